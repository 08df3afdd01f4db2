/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_SAFEOPEN_H
#define NR_SAFEOPEN_H

#include <sys/types.h>

/*
 * openat() for files in the output directory: refuses symlinks anywhere
 * on the path and any path that leaves @dirfd, so a name built from a
 * hostile process or container name cannot write elsewhere.  O_CLOEXEC is
 * added.  Returns the fd or a negative errno.
 */
int open_beneath(int dirfd, const char *relpath, int flags, mode_t mode);

/*
 * open_beneath() of an existing regular file, without ever blocking on a
 * FIFO or opening a device put in its place (-EINVAL); @st gets its
 * fstat().
 */
struct stat;
int open_regular_beneath(int dirfd, const char *relpath, int flags,
			 struct stat *st);

#endif
