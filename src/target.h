/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_TARGET_H
#define NR_TARGET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"

/*
 * What netrec was asked to record when not everything: the cgroups of
 * chosen containers, or a command it runs itself in a cgroup of its own.
 */

/*
 * Call @add for every cgroup that belongs to one of @ctrs (a container id,
 * an id prefix of at least 4 hex digits, or a container name).  @meta_root
 * as for container_meta_read().  Returns how many cgroups matched.
 */
int target_containers_scan(const struct cgroup_root *root,
			   const char *meta_root, char *const *ctrs, int nctrs,
			   void (*add)(uint64_t cgroup_id, void *arg),
			   void *arg);

struct target_cmd {
	pid_t pid;
	uint64_t cgroup_id;
	int go_fd; /* write end: the child execs when it closes */
	int cgroup_dirfd;
	char cgroup_name[64];
};

/*
 * Make a cgroup under @root, fork @argv into it, and hold the child before
 * exec until target_cmd_go(), so its first packet is recorded.  Its
 * children inherit the cgroup and are recorded too.  With @user (-Z) the
 * command runs as that user, not as root.
 */
int target_cmd_start(struct target_cmd *tc, const struct cgroup_root *root,
		     char *const *argv, const char *user);
void target_cmd_go(struct target_cmd *tc);
/* Reap the command if it has exited: true with its wait status. */
bool target_cmd_exited(struct target_cmd *tc, int *status);
/*
 * Remove the cgroup if it is empty (a daemon it left behind keeps it).  A
 * command still held, because recording never started, is killed.
 */
void target_cmd_cleanup(struct target_cmd *tc, const struct cgroup_root *root);

#endif
