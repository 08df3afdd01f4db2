// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "log.h"
#include "outdir.h"
#include "safeopen.h"

struct subs {
	char **v;
	size_t n, cap;
};

static int add_sub(struct subs *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n] = strdup(name);
	if (!s->v[s->n])
		return -ENOMEM;
	s->n++;
	return 0;
}

static void free_subs(struct subs *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

/* Whether an entry is a subdirectory decides whether to descend into it. */
static int entry_type(int fd, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW))
		return DT_UNKNOWN;
	return IFTODT(st.st_mode);
}

/* @sub (NULL: @dirfd itself, whose subdirectories go in @subs). */
static int list(int dirfd, const char *sub, struct subs *subs, outdir_fn fn,
		void *arg)
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
		type = sub ? e->d_type : entry_type(fd, e);
		err = fn(fd, sub, e->d_name, type, arg);
		if (!err && !sub && type == DT_DIR)
			err = add_sub(subs, e->d_name);
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int outdir_walk(int dirfd, const char *what, outdir_fn fn, void *arg)
{
	struct subs subs = { 0 };
	int err;

	err = list(dirfd, NULL, &subs, fn, arg);
	for (size_t i = 0; !err && i < subs.n; i++) {
		int e = list(dirfd, subs.v[i], NULL, fn, arg);

		if (e == -ENOMEM || e == OUTDIR_STOP)
			err = e;
		else if (e && what)
			pr_warn("cannot look for %s in %s: %s", what, subs.v[i],
				strerror(-e));
	}
	free_subs(&subs);
	if (err == OUTDIR_STOP)
		return 0;
	if (err && what)
		pr_err("cannot look for %s: %s", what, strerror(-err));
	return err;
}
