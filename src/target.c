// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "container.h"
#include "ctrmeta.h"
#include "log.h"
#include "privdrop.h"
#include "target.h"

struct scan {
	const char *meta_root;
	char *const *ctrs;
	int nctrs;
	void (*add)(uint64_t cgroup_id, void *arg);
	void *arg;
	int found;
};

static bool is_id_prefix(const char *want, const char *id)
{
	size_t n = strlen(want);

	if (n < 4 || n > NR_CTR_ID_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)want[i]))
			return false;
	return !strncasecmp(want, id, n);
}

static bool chosen(const struct scan *sc, const struct container_ref *ref)
{
	struct container_meta meta = { 0 };
	bool have_meta = false;

	for (int i = 0; i < sc->nctrs; i++) {
		if (is_id_prefix(sc->ctrs[i], ref->id))
			return true;
		if (!have_meta) {
			container_meta_read(sc->meta_root, ref, &meta);
			have_meta = true;
		}
		if (*meta.name && !strcmp(sc->ctrs[i], meta.name))
			return true;
	}
	return false;
}

static void walk(struct scan *sc, int dfd, char *path, size_t used, size_t len,
		 int depth)
{
	struct container_ref ref;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!fstat(dfd, &st) &&
	    container_from_cgroup(used ? path : "/", &ref) &&
	    chosen(sc, &ref)) {
		sc->add(st.st_ino, sc->arg);
		sc->found++;
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return;
	}
	while (depth < 32 && (de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (snprintf(path + used, len - used, "/%s", de->d_name) >=
		    (int)(len - used))
			continue;
		sub = openat(dirfd(d), de->d_name,
			     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			walk(sc, sub, path, used + strlen(path + used), len,
			     depth + 1);
		path[used] = '\0';
	}
	closedir(d);
}

int target_containers_scan(const struct cgroup_root *root,
			   const char *meta_root, char *const *ctrs, int nctrs,
			   void (*add)(uint64_t cgroup_id, void *arg),
			   void *arg)
{
	struct scan sc = { meta_root, ctrs, nctrs, add, arg, 0 };
	char path[4096] = "";
	int fd = openat(root->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	walk(&sc, fd, path, 0, sizeof(path), 0);
	return sc.found;
}

static int make_cgroup(struct target_cmd *tc, const struct cgroup_root *root)
{
	struct stat st;

	snprintf(tc->cgroup_name, sizeof(tc->cgroup_name), "netrec-run-%d",
		 (int)getpid());
	if (mkdirat(root->fd, tc->cgroup_name, 0755) && errno != EEXIST)
		return -errno;
	tc->cgroup_dirfd =
		openat(root->fd, tc->cgroup_name,
		       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (tc->cgroup_dirfd < 0 || fstat(tc->cgroup_dirfd, &st))
		return -errno;
	tc->cgroup_id = st.st_ino;
	return 0;
}

/* In the child: join the cgroup, wait for the go, exec.  Never returns. */
static void run_child(struct target_cmd *tc, int go_rd, char *const *argv,
		      const char *user)
{
	uid_t uid;
	gid_t gid;

	char pid[16], c;
	sigset_t none;
	int fd, n;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	fd = openat(tc->cgroup_dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	n = snprintf(pid, sizeof(pid), "%d", (int)getpid());
	if (fd < 0 || write(fd, pid, n) != n) {
		fprintf(stderr,
			"netrec: cannot move the command into its cgroup: %s\n",
			strerror(errno));
		_exit(127);
	}
	close(fd);
	/* EOF on the pipe is the go: recording has started. */
	while (read(go_rd, &c, 1) < 0 && errno == EINTR)
		;
	if (user && (privdrop_lookup(user, &uid, &gid) ||
		     privdrop_apply(user, uid, gid)))
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "netrec: cannot run %s: %s\n", argv[0],
		strerror(errno));
	_exit(127);
}

int target_cmd_start(struct target_cmd *tc, const struct cgroup_root *root,
		     char *const *argv, const char *user)
{
	int go[2], err;

	memset(tc, 0, sizeof(*tc));
	tc->go_fd = tc->cgroup_dirfd = -1;
	err = make_cgroup(tc, root);
	if (err) {
		pr_err("cannot make a cgroup for the command under %s: %s",
		       root->path, strerror(-err));
		return err;
	}
	if (pipe2(go, O_CLOEXEC))
		return -errno;
	tc->pid = fork();
	if (tc->pid < 0) {
		err = -errno;
		close(go[0]);
		close(go[1]);
		return err;
	}
	if (tc->pid == 0) {
		close(go[1]);
		run_child(tc, go[0], argv, user);
	}
	close(go[0]);
	tc->go_fd = go[1];
	return 0;
}

void target_cmd_go(struct target_cmd *tc)
{
	if (tc->go_fd >= 0)
		close(tc->go_fd);
	tc->go_fd = -1;
}

bool target_cmd_exited(struct target_cmd *tc, int *status)
{
	if (tc->pid <= 0)
		return true;
	if (waitpid(tc->pid, status, WNOHANG) != tc->pid)
		return false;
	tc->pid = 0;
	return true;
}

void target_cmd_cleanup(struct target_cmd *tc, const struct cgroup_root *root)
{
	if (tc->go_fd >= 0 && tc->pid > 0) {
		/* Recording never started: the command must not run. */
		kill(tc->pid, SIGKILL);
		waitpid(tc->pid, NULL, 0);
		tc->pid = 0;
	}
	target_cmd_go(tc);
	/* Stopped before the command ended: it keeps running, unwatched. */
	if (tc->pid > 0)
		pr_warn("the command (pid %d) is still running", (int)tc->pid);
	if (tc->cgroup_dirfd >= 0)
		close(tc->cgroup_dirfd);
	tc->cgroup_dirfd = -1;
	if (*tc->cgroup_name &&
	    unlinkat(root->fd, tc->cgroup_name, AT_REMOVEDIR) &&
	    errno != ENOENT)
		pr_warn("cgroup %s/%s left behind: %s", root->path,
			tc->cgroup_name, strerror(errno));
}
