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
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "compress.h"
#include "fileio.h"
#include "log.h"
#include "safeopen.h"
#include "zseek.h"

#define ZST ".zst"
#define PART ".part"

static int zstd_error(size_t r, const char *relpath)
{
	/* strerror(EIO) alone would not say what went wrong. */
	pr_warn("zstd %s: %s", relpath, ZSTD_getErrorName(r));
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM
								    : -EIO;
}

/*
 * The zstd seekable format (zseek.h): a table entry per frame, written with
 * its checksum.
 */
#define SEEK_ENTRY 12 /* compressed size, size, checksum */

struct seek_table {
	uint8_t *buf; /* skippable frame header, then the entries */
	size_t len, cap;
	uint32_t frames;
};

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static int table_add(struct seek_table *t, uint64_t csize, uint32_t dsize,
		     const uint8_t checksum[4])
{
	/* Frame_Size is 32 bits too: entries and footer must fit in it. */
	if (csize > UINT32_MAX ||
	    (uint64_t)(t->frames + 1) * SEEK_ENTRY + ZSEEK_FOOTER > UINT32_MAX)
		return -EFBIG;
	if (!t->len)
		t->len = 8; /* room for the skippable frame's header */
	if (t->len + SEEK_ENTRY + ZSEEK_FOOTER > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 8 + 64 * SEEK_ENTRY;
		uint8_t *buf;

		while (cap < t->len + SEEK_ENTRY + ZSEEK_FOOTER)
			cap *= 2;
		buf = realloc(t->buf, cap);
		if (!buf)
			return -ENOMEM;
		t->buf = buf;
		t->cap = cap;
	}
	put_le32(t->buf + t->len, csize);
	put_le32(t->buf + t->len + 4, dsize);
	memcpy(t->buf + t->len + 8, checksum, 4);
	t->len += SEEK_ENTRY;
	t->frames++;
	return 0;
}

/* Completes the table (at least one frame is in) and writes it. */
static int table_write(struct seek_table *t, int out)
{
	uint8_t *p = t->buf + t->len;

	put_le32(t->buf, ZSEEK_SKIPPABLE_MAGIC);
	put_le32(t->buf + 4, t->len - 8 + ZSEEK_FOOTER);
	put_le32(p, t->frames);
	p[4] = ZSEEK_CHECKSUMS;
	put_le32(p + 5, ZSEEK_SEEKABLE_MAGIC);
	return write_all(out, t->buf, t->len + ZSEEK_FOOTER);
}

/* The last 4 bytes written so far, as a frame's checksum ends it. */
static void keep_tail(uint8_t tail[4], const uint8_t *p, size_t n)
{
	if (n >= 4) {
		memcpy(tail, p + n - 4, 4);
		return;
	}
	memmove(tail, tail + n, 4 - n);
	memcpy(tail + 4 - n, p, n);
}

struct zjob {
	ZSTD_CCtx *cctx;
	int in, out;
	char *ibuf, *obuf;
	size_t in_size, out_size;
	const char *relpath;
};

/* Feeds @n bytes (@mode ZSTD_e_end: the frame's last), writing it out. */
static int feed(struct zjob *j, size_t n, ZSTD_EndDirective mode,
		uint64_t *csize, uint8_t tail[4])
{
	ZSTD_inBuffer ib = { j->ibuf, n, 0 };
	bool done;
	size_t r;
	int err;

	do {
		ZSTD_outBuffer ob = { j->obuf, j->out_size, 0 };

		r = ZSTD_compressStream2(j->cctx, &ob, &ib, mode);
		if (ZSTD_isError(r))
			return zstd_error(r, j->relpath);
		err = write_all(j->out, j->obuf, ob.pos);
		if (err)
			return err;
		*csize += ob.pos;
		keep_tail(tail, (const uint8_t *)j->obuf, ob.pos);
		/* At the end, r is what is still to be flushed. */
		done = mode == ZSTD_e_end ? !r : ib.pos == ib.size;
	} while (!done);
	return 0;
}

static int size_changed(const char *relpath)
{
	pr_warn("zstd %s: the file changed size while compressed", relpath);
	return -EIO;
}

/* One frame of the next @len bytes of input, entered in @t. */
static int compress_frame(struct zjob *j, size_t len, struct seek_table *t)
{
	uint8_t tail[4] = { 0 };
	uint64_t csize = 0;
	size_t left = len;
	size_t r;
	int err;

	/*
	 * The size goes in the frame header, which lets a reader size its
	 * buffer, and makes zstd fail should the input not match it.
	 */
	r = ZSTD_CCtx_setPledgedSrcSize(j->cctx, len);
	if (ZSTD_isError(r))
		return zstd_error(r, j->relpath);
	do {
		size_t want = left < j->in_size ? left : j->in_size;
		ssize_t n = want ? read_retry(j->in, j->ibuf, want) : 0;

		if (n < 0)
			return n;
		if (!n && want)
			return size_changed(j->relpath);
		left -= n;
		err = feed(j, n, left ? ZSTD_e_continue : ZSTD_e_end, &csize,
			   tail);
		if (err)
			return err;
	} while (left);
	/* The frame ends with its checksum: the table's is the same. */
	return table_add(t, csize, len, tail);
}

static int compress_fd(int in, int out, const struct stat *st, int level,
		       const char *relpath)
{
	struct zjob j = {
		.cctx = ZSTD_createCCtx(),
		.in = in,
		.out = out,
		.in_size = ZSTD_CStreamInSize(),
		.out_size = ZSTD_CStreamOutSize(),
		.relpath = relpath,
	};
	struct seek_table t = { 0 };
	uint64_t left = st->st_size;
	int err = -ENOMEM;
	ssize_t n;
	size_t r;

	j.ibuf = malloc(j.in_size);
	j.obuf = malloc(j.out_size);
	if (!j.cctx || !j.ibuf || !j.obuf)
		goto out;
	r = ZSTD_CCtx_setParameter(j.cctx, ZSTD_c_compressionLevel, level);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(j.cctx, ZSTD_c_checksumFlag, 1);
	if (ZSTD_isError(r)) {
		err = zstd_error(r, relpath);
		goto out;
	}
	/* An empty file is one empty frame: still a zstd file. */
	do {
		size_t len = left < ZSEEK_FRAME_SIZE ? left : ZSEEK_FRAME_SIZE;

		err = compress_frame(&j, len, &t);
		if (err)
			goto out;
		left -= len;
	} while (left);
	/* Nothing more to read, or the file grew meanwhile. */
	n = read_retry(in, j.ibuf, 1);
	if (n) {
		err = n < 0 ? n : size_changed(relpath);
		goto out;
	}
	err = table_write(&t, out);
out:
	free(t.buf);
	free(j.obuf);
	free(j.ibuf);
	ZSTD_freeCCtx(j.cctx);
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
	char zst[NAME_MAX + 1], part[NAME_MAX + 1];
	int pdir = -1, in = -1, ofd = -1, err;
	bool made = false, renamed = false;
	struct stat st, zs;
	const char *base;

	/* Fail before the work, not after, when the answer cannot fit. */
	if (out && strlen(relpath) + strlen(ZST) >= out_len)
		return -ENAMETOOLONG;
	/*
	 * Everything from here on is relative to the chunk's own directory,
	 * pinned once: a rename and unlinkat() of a bare name cannot be
	 * led elsewhere by a symlink swapped into the path meanwhile.
	 */
	pdir = open_parent_beneath(dirfd, relpath, &base);
	if (pdir < 0)
		return pdir;
	if (snprintf(zst, sizeof(zst), "%s" ZST, base) >= (int)sizeof(zst) ||
	    snprintf(part, sizeof(part), "%s" ZST PART, base) >=
		    (int)sizeof(part)) {
		err = -ENAMETOOLONG;
		goto out;
	}
	in = open_regular_beneath(pdir, base, O_RDONLY, &st);
	if (in < 0) {
		err = in;
		goto out;
	}
	if (flock(in, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out;
	}
	/* rename_noreplace() decides; this only saves compressing in vain. */
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

	err = rename_noreplace(pdir, part, zst);
	if (err)
		goto out;
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
