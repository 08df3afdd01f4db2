/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_OUTDIR_H
#define NR_OUTDIR_H

/*
 * The output directory holds chunks at its top and in subdirectories one
 * level down (one per container, with --split container).  Those who
 * look for files in it all walk it the same way.
 */

#include <stddef.h>

/* Relative paths ("name" or "sub/name") noted during a walk. */
struct outdir_paths {
	char **v;
	size_t n, cap;
};

/* Returns 0 or -ENOMEM. */
int outdir_paths_add(struct outdir_paths *p, const char *sub, const char *name);
void outdir_paths_free(struct outdir_paths *p);

/* What an outdir_fn returns to end the walk early, and not as a failure. */
#define OUTDIR_STOP 1

/*
 * Called for each entry but "." and "..", from the directory open on @fd:
 * @sub is its name (NULL: the top).  @type is the entry's d_type, looked
 * up when the file system does not give it (DT_UNKNOWN if even that
 * fails).  Returns 0 to go on, OUTDIR_STOP or a negative errno.
 */
typedef int (*outdir_fn)(int fd, const char *sub, const char *name, int type,
			 void *arg);

/*
 * List @dirfd, then each subdirectory found at its top, never through a
 * symlink, calling @fn for every entry.  @fn only takes note: readdir()
 * may or may not show a name renamed or made during the walk, so files are
 * acted on once it is over.  A subdirectory that cannot be listed is passed
 * over with "cannot look for @what in <sub>: <error>"; only failing to list
 * @dirfd itself, -ENOMEM, or any error from @fn at the top fails the walk, with
 * "cannot look for @what: <error>".  A NULL @what logs nothing.  Returns 0
 * (also after OUTDIR_STOP) or a negative errno.
 */
int outdir_walk(int dirfd, const char *what, outdir_fn fn, void *arg);

/*
 * The same, for trees that hold more than one output directory (the
 * tools read archives of them): subdirectories down to @depth levels
 * below @dirfd, breadth first.  outdir_walk() is a depth of 1.
 */
int outdir_walk_depth(int dirfd, const char *what, unsigned int depth,
		      outdir_fn fn, void *arg);

#endif
