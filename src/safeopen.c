// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "safeopen.h"

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
