// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "compress.h"
#include "index.h"
#include "log.h"
#include "outdir.h"
#include "postproc.h"
#include "safeopen.h"

#define PENDING_MAX 4096
#define PATH_LEN 512
/* Below capture and below the host's own work. */
#define NICENESS 10

struct postproc {
	struct postproc_config cfg;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	char (*pending)[PATH_LEN];
	unsigned int head, count;
	bool stop;
	unsigned long dropped;
};

/* -z: fork and exec, no shell: the path is one argument, never parsed. */
static void run_command(struct postproc *pp, const char *relpath)
{
	char path[PATH_LEN + 4096], *argv[64];
	int n = 0, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/%s", pp->cfg.dir, relpath);
	for (char *const *a = pp->cfg.command; *a && n < 62; a++)
		argv[n++] = *a;
	argv[n++] = path;
	argv[n] = NULL;
	pid = fork();
	if (pid < 0) {
		pr_warn("-z %s: %s", argv[0], strerror(errno));
		return;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		execvp(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		pr_debug("-z %s %s: done", argv[0], path);
	else if (WIFEXITED(status))
		pr_warn("-z %s %s exited with status %d", argv[0], path,
			WEXITSTATUS(status));
	else
		pr_warn("-z %s %s was killed by signal %d", argv[0], path,
			WTERMSIG(status));
}

static bool is_index(const char *relpath)
{
	size_t n = strlen(relpath), l = strlen(INDEX_EXT);

	return n > l && !strcmp(relpath + n - l, INDEX_EXT);
}

/* The chunk's index goes with it (docs/INDEX.md). */
static void compress_index(struct postproc *pp, const char *chunk)
{
	char index[PATH_LEN], out[PATH_LEN];
	int err;

	if (is_index(chunk))
		return;
	snprintf(index, sizeof(index), "%s" INDEX_EXT, chunk);
	if (faccessat(pp->cfg.dirfd, index, F_OK, AT_SYMLINK_NOFOLLOW))
		return;
	err = compress_file(pp->cfg.dirfd, index, pp->cfg.compress_level, out,
			    sizeof(out));
	if (err)
		pr_warn("cannot compress %s: %s", index, strerror(-err));
}

static void process(struct postproc *pp, const char *relpath)
{
	char compressed[PATH_LEN];
	int err;

	/* Retention may have taken it while it waited: nothing to do. */
	if (faccessat(pp->cfg.dirfd, relpath, F_OK, AT_SYMLINK_NOFOLLOW)) {
		pr_debug("%s is gone before its post-processing", relpath);
		return;
	}
	if (pp->cfg.compress_level) {
		compress_index(pp, relpath);
		err = compress_file(pp->cfg.dirfd, relpath,
				    pp->cfg.compress_level, compressed,
				    sizeof(compressed));
		if (err)
			pr_warn("cannot compress %s: %s", relpath,
				strerror(-err));
		else
			relpath = compressed;
	}
	if (pp->cfg.command && !is_index(relpath))
		run_command(pp, relpath);
}

#define ZST_PART ".zst.part"

/*
 * Note each X.zst.part.  The writer makes no hidden names: hidden files
 * and directories are passed over.
 */
static int note_leftover(int fd, const char *sub, const char *name, int type,
			 void *arg)
{
	size_t n = strlen(name), sl = strlen(ZST_PART);

	(void)fd;
	if (name[0] == '.' || (sub && sub[0] == '.'))
		return 0;
	if ((!sub && type == DT_DIR) || n <= sl ||
	    strcmp(name + n - sl, ZST_PART))
		return 0;
	return outdir_paths_add(arg, sub, name);
}

static void remove_leftover(int dirfd, const char *part)
{
	const char *base;
	int pfd = open_parent_beneath(dirfd, part, &base);

	if (pfd < 0)
		return;
	unlinkat(pfd, base, 0);
	close(pfd);
}

static void resume_one(struct postproc *pp, const char *part)
{
	char rel[PATH_LEN];

	snprintf(rel, sizeof(rel), "%.*s",
		 (int)(strlen(part) - strlen(ZST_PART)), part);
	if (faccessat(pp->cfg.dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW)) {
		/* Its chunk is gone: nothing left to finish. */
		remove_leftover(pp->cfg.dirfd, part);
		return;
	}
	pr_info("compressing %s again: a crash interrupted it", rel);
	process(pp, rel);
}

/*
 * A crash during compression leaves X.zst.part beside X, which was never
 * removed: compress X again (compress_file() replaces the leftover).  All
 * are listed first, as compressing changes the directories.
 */
static void resume(struct postproc *pp)
{
	struct outdir_paths l = { 0 };

	/* Best effort: what could not be listed waits for the next start. */
	outdir_walk(pp->cfg.dirfd, NULL, note_leftover, &l);
	for (size_t i = 0; i < l.n; i++)
		resume_one(pp, l.v[i]);
	outdir_paths_free(&l);
}

static void *postproc_main(void *arg)
{
	struct postproc *pp = arg;
	char relpath[PATH_LEN];

	pthread_setname_np(pthread_self(), "netrec-post");
	setpriority(PRIO_PROCESS, syscall(SYS_gettid), NICENESS);
	if (pp->cfg.compress_level)
		resume(pp);
	retention_apply(pp->cfg.dirfd, &pp->cfg.retention);
	for (;;) {
		pthread_mutex_lock(&pp->lock);
		while (!pp->count && !pp->stop)
			pthread_cond_wait(&pp->cond, &pp->lock);
		if (!pp->count) {
			pthread_mutex_unlock(&pp->lock);
			break;
		}
		memcpy(relpath, pp->pending[pp->head], PATH_LEN);
		pp->head = (pp->head + 1) % PENDING_MAX;
		pp->count--;
		pthread_mutex_unlock(&pp->lock);
		process(pp, relpath);
		retention_apply(pp->cfg.dirfd, &pp->cfg.retention);
	}
	return NULL;
}

int postproc_start(struct postproc **out, const struct postproc_config *cfg)
{
	struct postproc *pp = calloc(1, sizeof(*pp));
	int err;

	if (!pp)
		return -ENOMEM;
	pp->pending = calloc(PENDING_MAX, PATH_LEN);
	if (!pp->pending) {
		free(pp);
		return -ENOMEM;
	}
	pp->cfg = *cfg;
	pthread_mutex_init(&pp->lock, NULL);
	pthread_cond_init(&pp->cond, NULL);
	err = -pthread_create(&pp->thread, NULL, postproc_main, pp);
	if (err) {
		free(pp->pending);
		free(pp);
		return err;
	}
	*out = pp;
	return 0;
}

void postproc_submit(struct postproc *pp, const char *relpath)
{
	pthread_mutex_lock(&pp->lock);
	if (pp->count == PENDING_MAX) {
		/* The chunk is safe on disk; only its after-care is skipped. */
		if (!pp->dropped++)
			pr_warn("post-processing is %u chunks behind; %s and later ones are left as they are",
				PENDING_MAX, relpath);
	} else {
		snprintf(pp->pending[(pp->head + pp->count) % PENDING_MAX],
			 PATH_LEN, "%s", relpath);
		pp->count++;
		pthread_cond_signal(&pp->cond);
	}
	pthread_mutex_unlock(&pp->lock);
}

void postproc_stop(struct postproc *pp)
{
	if (!pp)
		return;
	pthread_mutex_lock(&pp->lock);
	pp->stop = true;
	pthread_cond_signal(&pp->cond);
	pthread_mutex_unlock(&pp->lock);
	pthread_join(pp->thread, NULL);
	pthread_mutex_destroy(&pp->lock);
	pthread_cond_destroy(&pp->cond);
	free(pp->pending);
	free(pp);
}
