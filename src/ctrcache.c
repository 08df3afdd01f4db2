// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrcache.h"
#include "hashtab.h"
#include "log.h"

struct ctrcache {
	const struct cgroup_root *root;
	const char *meta_root;
	struct hashtab *byid; /* cgroup id -> struct ctr_info */
};

struct ctrcache *ctrcache_new(const struct cgroup_root *root,
			      const char *meta_root)
{
	struct ctrcache *cc = calloc(1, sizeof(*cc));

	if (!cc)
		return NULL;
	cc->root = root;
	cc->meta_root = meta_root;
	cc->byid = hashtab_new(sizeof(uint64_t));
	if (!cc->byid) {
		free(cc);
		return NULL;
	}
	return cc;
}

static void free_info(const void *key, void *value, void *arg)
{
	struct ctr_info *ci = value;

	(void)key;
	(void)arg;
	free(ci->cgroup);
	free(ci);
}

void ctrcache_free(struct ctrcache *cc)
{
	if (!cc)
		return;
	hashtab_each(cc->byid, free_info, NULL);
	hashtab_free(cc->byid);
	free(cc);
}

static void set_label(struct ctr_info *ci)
{
	const char *name = ci->meta.name;

	if (!ci->is_container)
		snprintf(ci->label, sizeof(ci->label), "host");
	else if (*name)
		sanitize_name(ci->label, name, strlen(name));
	else if (ci->ref.runtime == CTR_LXC)
		sanitize_name(ci->label, ci->ref.id, strlen(ci->ref.id));
	else
		snprintf(ci->label, sizeof(ci->label), "%.12s", ci->ref.id);
}

static void resolve(struct ctrcache *cc, uint64_t cgroup_id,
		    struct ctr_info *ci)
{
	char path[4096];
	int err;

	err = cgroup_path_of(cc->root, cgroup_id, path, sizeof(path));
	if (err) {
		pr_debug("cgroup %llu: %s", (unsigned long long)cgroup_id,
			 strerror(-err));
		snprintf(ci->label, sizeof(ci->label), "cgroup-%llu",
			 (unsigned long long)cgroup_id);
		return;
	}
	ci->cgroup = strdup(path);
	ci->is_container = container_from_cgroup(path, &ci->ref);
	/* Metadata is a bonus: a container without it is still filed. */
	if (ci->is_container)
		container_meta_read(cc->meta_root, &ci->ref, &ci->meta);
	set_label(ci);
}

const struct ctr_info *ctrcache_get(struct ctrcache *cc, uint64_t cgroup_id)
{
	struct ctr_info *ci = hashtab_get(cc->byid, &cgroup_id);

	if (ci)
		return ci;
	ci = calloc(1, sizeof(*ci));
	if (!ci)
		return NULL;
	resolve(cc, cgroup_id, ci);
	if (hashtab_put(cc->byid, &cgroup_id, ci)) {
		free(ci->cgroup);
		free(ci);
		return NULL;
	}
	return ci;
}
