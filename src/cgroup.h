/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CGROUP_H
#define NR_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_root {
	char path[PATH_MAX];
	int fd;	      /* O_DIRECTORY fd of path */
	bool mounted; /* we mounted it: unmount on release */
};

/*
 * Find the cgroup v2 root in /proc/mounts.  If none is mounted, mount one
 * on a private directory and say so.  Returns 0 or a negative errno.
 */
int cgroup_root_open(struct cgroup_root *root);
void cgroup_root_close(struct cgroup_root *root);

/*
 * Attach @prog to the root with a bpf_link, which goes with the process;
 * NULL, said why, on failure.
 */
struct bpf_program;
struct bpf_link *cgroup_root_attach(const struct cgroup_root *root,
				    struct bpf_program *prog);

/*
 * The path, relative to the cgroup v2 root and starting with '/', of the
 * cgroup with this id (the id bpf_skb_cgroup_id() gives).
 * Returns 0 or a negative errno (-ENOENT: the cgroup is gone).
 */
int cgroup_path_of(const struct cgroup_root *root, uint64_t id, char *out,
		   size_t len);

#endif
