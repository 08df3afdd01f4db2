// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "outdir.h"
#include "safeopen.h"

int outdir_paths_add(struct outdir_paths *p, const char *sub, const char *name)
{
	char *s;

	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		char **v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	if (sub ? asprintf(&s, "%s/%s", sub, name) < 0 : !(s = strdup(name)))
		return -ENOMEM;
	p->v[p->n++] = s;
	return 0;
}

void outdir_paths_free(struct outdir_paths *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
}

/* d_type, from the inode where the file system does not fill it in. */
static int entry_type(int fd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
		return DT_UNKNOWN;
	return IFTODT(st.st_mode);
}

/* @sub (NULL: @dirfd itself); its subdirectories go in @subs if not NULL. */
static int list(int dirfd, const char *sub, struct outdir_paths *subs,
		outdir_fn fn, void *arg)
{
	struct dirent *e;
	int fd, type, err = 0;
	DIR *d;

	fd = open_beneath(dirfd, sub ? sub : ".", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			err = -errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		type = entry_type(fd, e);
		err = fn(fd, sub, e->d_name, type, arg);
		if (!err && subs && type == DT_DIR)
			err = outdir_paths_add(subs, sub, e->d_name);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

/* How many directories down from the top @sub is. */
static unsigned int depth_of(const char *sub)
{
	unsigned int d = 1;

	for (; *sub; sub++)
		d += *sub == '/';
	return d;
}

int outdir_walk_depth(int dirfd, const char *what, unsigned int depth,
		      outdir_fn fn, void *arg)
{
	struct outdir_paths subs = { 0 };
	int err;

	err = list(dirfd, NULL, depth ? &subs : NULL, fn, arg);
	/* subs grows as it is walked: breadth first. */
	for (size_t i = 0; !err && i < subs.n; i++) {
		bool deeper = depth_of(subs.v[i]) < depth;
		int e = list(dirfd, subs.v[i], deeper ? &subs : NULL, fn, arg);

		if (e == -ENOMEM || e == OUTDIR_STOP)
			err = e;
		else if (e && what)
			pr_warn("cannot look for %s in %s: %s", what, subs.v[i],
				strerror(-e));
	}
	outdir_paths_free(&subs);
	if (err == OUTDIR_STOP)
		return 0;
	if (err && what)
		pr_err("cannot look for %s: %s", what, strerror(-err));
	return err;
}

int outdir_walk(int dirfd, const char *what, outdir_fn fn, void *arg)
{
	return outdir_walk_depth(dirfd, what, 1, fn, arg);
}
