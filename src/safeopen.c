// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "safeopen.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

int open_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.mode = mode,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
			   RESOLVE_NO_MAGICLINKS,
	};
	int fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int open_regular_beneath(int dirfd, const char *relpath, int flags,
			 struct stat *st)
{
	int fd, err;

	/* O_NONBLOCK: a FIFO put there must not hang us in open(). */
	fd = open_beneath(dirfd, relpath, flags | O_NONBLOCK | O_NOCTTY, 0);
	/* What open() for writing refuses a directory or a socket with. */
	if (fd == -EISDIR || fd == -ENXIO)
		return -EINVAL;
	if (fd < 0)
		return fd;
	if (fstat(fd, st)) {
		err = -errno;
		goto err;
	}
	if (!S_ISREG(st->st_mode)) {
		err = -EINVAL;
		goto err;
	}
	/* A regular file after all: plain blocking I/O from here. */
	if (!(flags & O_NONBLOCK) &&
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)) {
		err = -errno;
		goto err;
	}
	return fd;
err:
	close(fd);
	return err;
}

int open_parent_beneath(int dirfd, const char *relpath, const char **base)
{
	const char *slash = strrchr(relpath, '/');
	char parent[PATH_MAX];
	size_t n;

	/* As open_beneath() would answer, which "." cannot give. */
	if (relpath[0] == '/')
		return -EXDEV;
	*base = slash ? slash + 1 : relpath;
	if (!**base)
		return -EINVAL;
	if (!slash)
		return open_beneath(dirfd, ".", O_RDONLY | O_DIRECTORY, 0);
	n = slash - relpath;
	if (n >= sizeof(parent))
		return -ENAMETOOLONG;
	memcpy(parent, relpath, n);
	parent[n] = '\0';
	return open_beneath(dirfd, parent, O_RDONLY | O_DIRECTORY, 0);
}

int rename_noreplace(int dfd, const char *from, const char *to)
{
	if (!syscall(SYS_renameat2, dfd, from, dfd, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/*
	 * NFS and some FUSE filesystems lack RENAME_NOREPLACE; a hard link
	 * refuses a taken name just the same.
	 */
	if (linkat(dfd, from, dfd, to, 0))
		return -errno;
	if (unlinkat(dfd, from, 0))
		return -errno;
	return 0;
}

int rename_noreplace_beneath(int dirfd, const char *from, const char *to)
{
	const char *fbase = strrchr(from, '/'), *tbase;
	size_t dlen;
	int pfd, err;

	fbase = fbase ? fbase + 1 : from;
	pfd = open_parent_beneath(dirfd, to, &tbase);
	if (pfd < 0)
		return pfd;
	dlen = tbase - to;
	if ((size_t)(fbase - from) != dlen || memcmp(from, to, dlen))
		err = -EXDEV;
	else
		err = rename_noreplace(pfd, fbase, tbase);
	close(pfd);
	return err;
}

int rename_free(int pfd, const char *from, char *path, size_t size,
		size_t ext_len)
{
	const char *slash = strrchr(path, '/');
	size_t plen = slash ? slash + 1 - path : 0, len = strlen(path);
	char want[PATH_MAX], name[PATH_MAX];
	int stem, n, err;

	if (len >= sizeof(want) || ext_len > len - plen)
		return -EINVAL;
	memcpy(want, path, len + 1);
	stem = len - ext_len;
	if (size > sizeof(name))
		size = sizeof(name);
	for (int i = 0; i < MAX_DEDUP; i++) {
		if (i)
			n = snprintf(name, size, "%.*s.%d%s", stem, want, i,
				     want + stem);
		else
			n = snprintf(name, size, "%s", want);
		if (n < 0 || (size_t)n >= size)
			return -ENAMETOOLONG;
		err = rename_noreplace(pfd, from, name + plen);
		if (err == -EEXIST)
			continue;
		if (!err)
			memcpy(path, name, n + 1);
		return err;
	}
	return -EEXIST;
}
