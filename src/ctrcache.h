/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CTRCACHE_H
#define NR_CTRCACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "cgroup.h"
#include "container.h"
#include "ctrmeta.h"
#include "sanitize.h"

/*
 * What a socket's cgroup says about its container, looked up once per
 * cgroup id: the cgroup path, the container it names, and the runtime's
 * name and image for it where its files are readable.
 */
struct ctr_info {
	bool is_container;
	struct container_ref ref;
	struct container_meta meta;
	/* For file names: the container's name, else its short id, else
	 * "host", or "cgroup-<id>" if the cgroup was gone before we looked. */
	char label[NR_NAME_MAX + 1];
	/* The cgroup's path from the root ("/system.slice/x.scope"); NULL if
	 * the cgroup was gone. */
	char *cgroup;
};

struct ctrcache;

/* @meta_root: where the runtimes' files are ("/"; tests use a fake tree). */
struct ctrcache *ctrcache_new(const struct cgroup_root *root,
			      const char *meta_root);
void ctrcache_free(struct ctrcache *cc);
/* NULL only when out of memory. */
const struct ctr_info *ctrcache_get(struct ctrcache *cc, uint64_t cgroup_id);

#endif
