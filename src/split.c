// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "log.h"
#include "options.h"
#include "sanitize.h"
#include "split.h"

/* Routes remembered ahead of the table (a power of two). */
#define RECENT_N 16

/*
 * Everything the file choice depends on; unused fields stay zero.  A
 * process is its tgid, named (in the kernel) by its main thread.
 */
struct route_key {
	__u64 cgroup_id;
	__u64 start_ns;
	__u32 tgid;
	__u32 owned;
};

struct split {
	unsigned int mode;
	struct filecache *fc;
	struct ctrcache *containers;
	struct hashtab *routes; /* route_key -> outfile */
	/*
	 * The routes of the last few owners, by tgid and cgroup: a
	 * conversation between two local processes alternates between
	 * their files.
	 */
	struct recent {
		struct route_key key;
		struct outfile *f;
	} recent[RECENT_N];
};

int split_new(struct split **out, unsigned int mode, struct filecache *fc,
	      struct ctrcache *containers)
{
	struct split *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->mode = mode;
	s->fc = fc;
	s->containers = containers;
	s->routes = hashtab_new(sizeof(struct route_key));
	if (!s->routes) {
		free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void split_free(struct split *s)
{
	if (!s)
		return;
	hashtab_free(s->routes);
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
	k->start_ns = r->start_ns;
}

static struct outfile *new_route(struct split *s, const struct nr_record *r)
{
	const char *ctr = NULL;
	char stem[NR_NAME_MAX + 16];

	if (s->mode & SPLIT_CONTAINER) {
		const struct ctr_info *ci =
			ctrcache_get(s->containers, r->cgroup_id);

		if (!ci)
			return NULL;
		ctr = ci->label;
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

static bool idle_route(const void *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	return filecache_file_idle(value);
}

void split_forget_idle(struct split *s)
{
	hashtab_del_if(s->routes, idle_route, NULL);
	memset(s->recent, 0, sizeof(s->recent));
}

struct outfile *split_route(struct split *s, const struct nr_record *r)
{
	struct outfile *f;
	struct route_key k;
	struct recent *rc;

	route_key_of(s, r, &k);
	rc = &s->recent[(k.tgid ^ k.cgroup_id) & (RECENT_N - 1)];
	if (rc->f && !memcmp(&k, &rc->key, sizeof(k)))
		return rc->f;
	f = hashtab_get(s->routes, &k);
	if (!f) {
		f = new_route(s, r);
		if (!f)
			return NULL;
		/* Out of memory only costs the cache: the file still works. */
		(void)hashtab_put(s->routes, &k, f);
	}
	rc->key = k;
	rc->f = f;
	return f;
}
