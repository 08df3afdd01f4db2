/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_SAFEOPEN_H
#define NR_SAFEOPEN_H

#include <stddef.h>
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
 * FIFO or opening a device put in its place: anything else is -EINVAL,
 * whatever the access mode.  @st gets its fstat().
 */
struct stat;
int open_regular_beneath(int dirfd, const char *relpath, int flags,
			 struct stat *st);

/*
 * open_beneath() of the directory holding @relpath, to work on its last
 * component, *@base, by name: a symlink swapped into the path meanwhile
 * cannot lead a rename or unlink elsewhere.  -EXDEV for an absolute path,
 * -ENAMETOOLONG for a directory part of PATH_MAX bytes or more, -EINVAL
 * for an empty last component ("sub/").
 */
int open_parent_beneath(int dirfd, const char *relpath, const char **base);

/*
 * Rename @from to @to, both in @dfd, never replacing a file (-EEXIST);
 * where the file system lacks renameat2()'s RENAME_NOREPLACE, through a
 * hard link, which refuses a taken name just the same.
 */
int rename_noreplace(int dfd, const char *from, const char *to);
/*
 * rename_noreplace() of two paths below @dirfd in the same directory
 * ("sub/a" to "sub/b"), by name in that directory (open_parent_beneath()).
 * -EXDEV if their directories differ.
 */
int rename_noreplace_beneath(int dirfd, const char *from, const char *to);
/* Names tried for a file, "<stem>.N<ext>", before giving up. */
#define MAX_DEDUP 10000
/*
 * Rename @from, in @pfd, to the first free name of "<stem><ext>",
 * "<stem>.1<ext>", "<stem>.2<ext>", ...: @path is "<stem><ext>" on entry
 * and the name taken on return, both possibly prefixed with the directory
 * that @pfd is ("sub/"), @ext the last @ext_len bytes.  -ENAMETOOLONG if
 * a name does not fit @size, -EEXIST if none is free; @path only changes
 * on success.
 */
int rename_free(int pfd, const char *from, char *path, size_t size,
		size_t ext_len);

#endif
