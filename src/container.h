/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CONTAINER_H
#define NR_CONTAINER_H

#include <stdbool.h>

#define NR_CTR_ID_LEN 64
#define NR_POD_UID_LEN 36

enum container_runtime {
	CTR_NONE = 0, /* a host process */
	CTR_DOCKER,
	CTR_CONTAINERD,
	CTR_CRIO,
	CTR_PODMAN,
	CTR_LXC,
};

struct container_ref {
	enum container_runtime runtime;
	char id[NR_CTR_ID_LEN + 1];	  /* full id, lower-case hex */
	char pod_uid[NR_POD_UID_LEN + 1]; /* Kubernetes pod uid, or "" */
};

/*
 * Find the container a cgroup v2 path (as in /proc/PID/cgroup, starting at
 * the cgroup root with '/') belongs to.  Returns false, with @ref set to
 * CTR_NONE, for host cgroups.
 */
bool container_from_cgroup(const char *path, struct container_ref *ref);

/* "docker", "containerd", ... ; "host" for CTR_NONE. */
const char *container_runtime_name(enum container_runtime rt);

#endif
