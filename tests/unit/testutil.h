/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers the unit tests share.  All static inline: a test that leaves one
 * unused must still build with -Wunused-function -Werror.
 */
#ifndef NR_TESTUTIL_H
#define NR_TESTUTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tap.h"

/* Open descriptors, to compare before and after: a leak shows as a rise. */
static inline int tu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/*
 * All of @path in malloc'd memory, with a NUL past the end so text can be
 * used as a string; NULL on error.  @len, if not NULL, gets the length.
 */
static inline void *tu_slurp(const char *path, size_t *len)
{
	size_t cap = 4096, n = 0;
	struct stat st;
	char *buf = NULL, *more;
	ssize_t r;
	int fd;

	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	/* Only a hint: files in /proc say 0.  One spare byte to see EOF. */
	if (!fstat(fd, &st) && st.st_size > 0)
		cap = (size_t)st.st_size + 2;
	for (;;) {
		if (!buf || n + 1 == cap) {
			if (buf)
				cap *= 2;
			more = realloc(buf, cap);
			if (!more)
				goto fail;
			buf = more;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

/*
 * Create or truncate @path and write @buf to it.  Mode 0666 less the umask,
 * as fopen() would, which is what the tests' files always had.  On failure
 * errno says why, for perror().
 */
static inline bool tu_write_file(const char *path, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t r;
	int fd, err;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (fd < 0)
		return false;
	while (len) {
		r = write(fd, p, len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			err = r < 0 ? errno : EIO;
			close(fd);
			errno = err;
			return false;
		}
		p += r;
		len -= (size_t)r;
	}
	return !close(fd);
}

static inline int tu_rm_one_(const char *path, const struct stat *st, int flag,
			     struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Remove @path and all below it; symlinks go, what they point to stays. */
static inline int tu_rm_tree(const char *path)
{
	return nftw(path, tu_rm_one_, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * A tmpfs of @size bytes made on the new directory @dir, in a mount
 * namespace of this process's own: nothing outside sees it, and it goes
 * with the process (or with umount2(@dir, MNT_DETACH)).  An fd of @dir,
 * or -errno (not root: skip).
 */
static inline int tu_small_fs(const char *dir, unsigned long size)
{
	static bool own_ns;
	char opt[48];
	int fd;

	if (mkdir(dir, 0700))
		return -errno;
	if (!own_ns) {
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			return -errno;
		own_ns = true;
	}
	snprintf(opt, sizeof(opt), "size=%lu", size);
	if (mount("tmpfs", dir, "tmpfs", 0, opt))
		return -errno;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		fd = -errno;
		umount2(dir, MNT_DETACH);
	}
	return fd;
}

/*
 * tu_small_fs() on @parent/small (its path in @dir), or a TAP skip line
 * saying why not and -1.
 */
static inline int tu_small_fs_or_skip(const char *parent, unsigned long size,
				      char *dir, size_t dirlen)
{
	int fd;

	snprintf(dir, dirlen, "%s/small", parent);
	fd = tu_small_fs(dir, size);
	if (fd < 0)
		printf("ok %d - # SKIP no small file system: %s\n", ++tap_n,
		       strerror(-fd));
	return fd;
}

/*
 * Marsaglia's xorshift64: the same data on every run, from the seed each
 * test keeps in *@state (never 0).
 */
static inline uint64_t tu_xorshift64(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

#endif
