// SPDX-License-Identifier: GPL-2.0
/*
 * zstd compression of finished chunks, in the post-processing thread.  The
 * chunk is only deleted once its compressed copy is whole and on disk, so
 * a crash at any point leaves at least one readable copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"
#include "log.h"
#include "safeopen.h"

#define ZST ".zst"
#define PART ".part"

static ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Cannot happen for a regular file; never spin on it. */
		if (!n)
			return -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int zstd_error(size_t r, const char *relpath)
{
	/* strerror(EIO) alone would not say what went wrong. */
	pr_warn("zstd %s: %s", relpath, ZSTD_getErrorName(r));
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM
								    : -EIO;
}

static int compress_fd(int in, int out, const struct stat *st, int level,
		       const char *relpath)
{
	size_t in_size = ZSTD_CStreamInSize(), out_size = ZSTD_CStreamOutSize();
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	char *ibuf = malloc(in_size), *obuf = malloc(out_size);
	int err = -ENOMEM;
	size_t r;

	if (!cctx || !ibuf || !obuf)
		goto out;
	r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	/*
	 * The size goes in the frame header, which lets a reader size its
	 * buffer, and makes zstd fail should the file still be growing.
	 */
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setPledgedSrcSize(cctx, st->st_size);
	if (ZSTD_isError(r)) {
		err = zstd_error(r, relpath);
		goto out;
	}
	for (;;) {
		ssize_t n = read_retry(in, ibuf, in_size);
		ZSTD_EndDirective mode = n ? ZSTD_e_continue : ZSTD_e_end;
		ZSTD_inBuffer ib = { ibuf, n > 0 ? n : 0, 0 };
		bool done;

		if (n < 0) {
			err = n;
			goto out;
		}
		do {
			ZSTD_outBuffer ob = { obuf, out_size, 0 };

			r = ZSTD_compressStream2(cctx, &ob, &ib, mode);
			if (ZSTD_isError(r)) {
				err = zstd_error(r, relpath);
				goto out;
			}
			err = write_all(out, obuf, ob.pos);
			if (err)
				goto out;
			/* At the end, r is what is still to be flushed. */
			done = mode == ZSTD_e_end ? !r : ib.pos == ib.size;
		} while (!done);
		if (mode == ZSTD_e_end)
			break;
	}
	err = 0;
out:
	free(obuf);
	free(ibuf);
	ZSTD_freeCCtx(cctx);
	return err;
}

/* Who gets the output: as root, whoever owned the chunk. */
static int give_owner(int fd, const struct stat *st)
{
	if (geteuid() || (st->st_uid == geteuid() && st->st_gid == getegid()))
		return 0;
	return fchown(fd, st->st_uid, st->st_gid) ? -errno : 0;
}

/* Create @part exclusively; a leftover of a crash is replaced once. */
static int create_part(int pdir, const char *part)
{
	int fd = open_beneath(pdir, part, O_WRONLY | O_CREAT | O_EXCL, 0600);

	if (fd != -EEXIST)
		return fd;
	/*
	 * Our own temporary name, and the caller's flock on the chunk
	 * shuts out any other compress_file() of it: nobody is writing it.
	 */
	if (unlinkat(pdir, part, 0) && errno != ENOENT)
		return -errno;
	pr_info("removed stale %s", part);
	return open_beneath(pdir, part, O_WRONLY | O_CREAT | O_EXCL, 0600);
}

int compress_file(int dirfd, const char *relpath, int level, char *out,
		  size_t out_len)
{
	char parent[PATH_MAX], zst[NAME_MAX + 1], part[NAME_MAX + 1];
	const char *slash = strrchr(relpath, '/'), *base;
	int pdir = -1, in = -1, ofd = -1, err;
	bool made = false, renamed = false;
	struct stat st, zs;

	/* Fail before the work, not after, when the answer cannot fit. */
	if (out && strlen(relpath) + strlen(ZST) >= out_len)
		return -ENAMETOOLONG;
	/* As open_beneath() would answer, which "." cannot give. */
	if (relpath[0] == '/')
		return -EXDEV;
	if (slash) {
		if (slash - relpath >= (ptrdiff_t)sizeof(parent))
			return -ENAMETOOLONG;
		memcpy(parent, relpath, slash - relpath);
		parent[slash - relpath] = '\0';
		base = slash + 1;
	} else {
		strcpy(parent, ".");
		base = relpath;
	}
	if (!*base)
		return -EINVAL;
	if (snprintf(zst, sizeof(zst), "%s" ZST, base) >= (int)sizeof(zst) ||
	    snprintf(part, sizeof(part), "%s" ZST PART, base) >=
		    (int)sizeof(part))
		return -ENAMETOOLONG;

	/*
	 * Everything from here on is relative to the chunk's own directory,
	 * pinned once: renameat2() and unlinkat() of a bare name cannot be
	 * led elsewhere by a symlink swapped into the path meanwhile.
	 */
	pdir = open_beneath(dirfd, parent, O_RDONLY | O_DIRECTORY, 0);
	if (pdir < 0)
		return pdir;
	/* O_NONBLOCK: a FIFO put there must not hang the thread in open. */
	in = open_beneath(pdir, base, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0);
	if (in < 0) {
		err = in;
		goto out;
	}
	if (fstat(in, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	/* A regular file after all: plain blocking reads from here. */
	if (fcntl(in, F_SETFL, fcntl(in, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		goto out;
	}
	if (flock(in, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	/* renameat2() decides; this only saves compressing in vain. */
	if (!fstatat(pdir, zst, &zs, AT_SYMLINK_NOFOLLOW)) {
		err = -EEXIST;
		goto out;
	}
	if (errno != ENOENT) {
		err = -errno;
		goto out;
	}

	ofd = create_part(pdir, part);
	if (ofd < 0) {
		err = ofd;
		goto out;
	}
	made = true;
	/* The umask may have taken bits away; the mode is meant exact. */
	if (fchmod(ofd, 0600)) {
		err = -errno;
		goto out;
	}
	err = give_owner(ofd, &st);
	if (err)
		goto out;
	err = compress_fd(in, ofd, &st, level, relpath);
	if (err)
		goto out;
	if (fsync(ofd)) {
		err = -errno;
		goto out;
	}
	err = close(ofd) && errno != EINTR ? -errno : 0;
	ofd = -1;
	if (err)
		goto out;

	if (renameat2(pdir, part, pdir, zst, RENAME_NOREPLACE)) {
		err = -errno;
		goto out;
	}
	made = false;
	renamed = true;
	if (fsync(pdir)) {
		err = -errno;
		goto out;
	}
	/* Gone already is as good: the copy is whole and on disk. */
	if (unlinkat(pdir, base, 0) && errno != ENOENT) {
		err = -errno;
		goto out;
	}
	renamed = false;
	if (out)
		snprintf(out, out_len, "%s" ZST, relpath);
	err = 0;
out:
	if (ofd >= 0)
		close(ofd);
	if (made)
		unlinkat(pdir, part, 0);
	/* Back to the chunk alone: never two copies on an error. */
	if (renamed)
		unlinkat(pdir, zst, 0);
	if (in >= 0)
		close(in);
	close(pdir);
	return err;
}
