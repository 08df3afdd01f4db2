// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "hashtab.h"
#include "log.h"
#include "options.h"
#include "sanitize.h"
#include "split.h"

/*
 * Everything the file choice depends on; unused fields stay zero.  A
 * process is its tgid, named (in the kernel) by its main thread.
 */
struct route_key {
	__u64 cgroup_id;
	__u32 tgid;
	__u32 owned;
};

struct split {
	unsigned int mode;
	struct filecache *fc;
	const struct cgroup_root *root;
	struct hashtab *routes;	    /* route_key -> outfile */
	struct hashtab *containers; /* cgroup id -> label */
	struct route_key last_key; /* consecutive packets mostly share a file */
	struct outfile *last;
};

int split_new(struct split **out, unsigned int mode, struct filecache *fc,
	      const struct cgroup_root *root)
{
	struct split *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->mode = mode;
	s->fc = fc;
	s->root = root;
	s->routes = hashtab_new(sizeof(struct route_key));
	s->containers = hashtab_new(sizeof(__u64));
	if (!s->routes || !s->containers) {
		split_free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

static void free_value(const void *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

void split_free(struct split *s)
{
	if (!s)
		return;
	hashtab_free(s->routes);
	if (s->containers)
		hashtab_each(s->containers, free_value, NULL);
	hashtab_free(s->containers);
	free(s);
}

void split_process_stem(char *out, size_t len, const struct nr_record *r,
			int with_pid)
{
	char name[NR_NAME_MAX + 1];

	if (!(r->flags & NR_F_OWNER)) {
		snprintf(out, len, "unknown");
		return;
	}
	sanitize_name(name, r->comm, strnlen(r->comm, sizeof(r->comm)));
	if (with_pid)
		snprintf(out, len, "%s-%u", name, r->tgid);
	else
		snprintf(out, len, "%s", name);
}

/* A container's short id, "host", or "cgroup-<id>" if the path is gone. */
static char *container_label(const struct split *s, __u64 cgroup_id)
{
	char path[4096], label[NR_NAME_MAX + 1];
	struct container_ref ref;
	int err;

	err = cgroup_path_of(s->root, cgroup_id, path, sizeof(path));
	if (err) {
		pr_debug("cgroup %llu: %s", (unsigned long long)cgroup_id,
			 strerror(-err));
		snprintf(label, sizeof(label), "cgroup-%llu",
			 (unsigned long long)cgroup_id);
	} else if (!container_from_cgroup(path, &ref)) {
		snprintf(label, sizeof(label), "host");
	} else if (ref.runtime == CTR_LXC) {
		sanitize_name(label, ref.id, strlen(ref.id));
	} else {
		snprintf(label, sizeof(label), "%.12s", ref.id);
	}
	return strdup(label);
}

static const char *container_of(struct split *s, __u64 cgroup_id)
{
	char *label = hashtab_get(s->containers, &cgroup_id);

	if (label)
		return label;
	label = container_label(s, cgroup_id);
	if (!label)
		return NULL;
	if (hashtab_put(s->containers, &cgroup_id, label)) {
		free(label);
		return NULL;
	}
	return label;
}

static void route_key_of(const struct split *s, const struct nr_record *r,
			 struct route_key *k)
{
	memset(k, 0, sizeof(*k));
	if (s->mode & SPLIT_CONTAINER)
		k->cgroup_id = r->cgroup_id;
	if (!(s->mode & (SPLIT_PROCESS | SPLIT_COMMAND)) ||
	    !(r->flags & NR_F_OWNER))
		return;
	k->owned = 1;
	k->tgid = r->tgid;
}

static struct outfile *new_route(struct split *s, const struct nr_record *r)
{
	const char *ctr = NULL;
	char stem[NR_NAME_MAX + 16];

	if (s->mode & SPLIT_CONTAINER) {
		ctr = container_of(s, r->cgroup_id);
		if (!ctr)
			return NULL;
	}
	if (s->mode & (SPLIT_PROCESS | SPLIT_COMMAND))
		split_process_stem(stem, sizeof(stem), r,
				   s->mode & SPLIT_PROCESS);
	else if (ctr)
		return filecache_file(s->fc, NULL, ctr);
	else
		snprintf(stem, sizeof(stem), "all");
	return filecache_file(s->fc, ctr, stem);
}

struct outfile *split_route(struct split *s, const struct nr_record *r)
{
	struct outfile *f;
	struct route_key k;

	route_key_of(s, r, &k);
	if (s->last && !memcmp(&k, &s->last_key, sizeof(k)))
		return s->last;
	f = hashtab_get(s->routes, &k);
	if (!f) {
		f = new_route(s, r);
		if (!f)
			return NULL;
		/* Out of memory only costs the cache: the file still works. */
		(void)hashtab_put(s->routes, &k, f);
	}
	s->last_key = k;
	s->last = f;
	return f;
}
