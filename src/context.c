// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "context.h"

#define COMMENT_MAX 8192

/* What the comment depends on: packets of one thread reuse it. */
struct context_key {
	__u64 start_ns;
	__u64 cgroup_id;
	__u32 tgid;
	__u32 tid;
	__u32 owned;
	__u32 pad;
};

struct context {
	struct proc_cache *procs;
	struct ctrcache *containers;
	struct context_key last;
	bool valid;
	size_t len;
	char buf[COMMENT_MAX];
};

struct context *context_new(struct proc_cache *procs,
			    struct ctrcache *containers)
{
	struct context *cx = calloc(1, sizeof(*cx));

	if (!cx)
		return NULL;
	cx->procs = procs;
	cx->containers = containers;
	return cx;
}

void context_free(struct context *cx)
{
	free(cx);
}

/*
 * Append "Key: value\n".  Control bytes and backslashes in the value are
 * written as \xNN and \\, so a name holding "\nPID: 1" stays one value.
 */
static void put(struct context *cx, const char *key, const char *val)
{
	size_t room = sizeof(cx->buf) - cx->len;
	char *p = cx->buf + cx->len;
	int n;

	if (!val || !*val)
		return;
	n = snprintf(p, room, "%s: ", key);
	if (n < 0 || (size_t)n >= room)
		return;
	for (const unsigned char *v = (const unsigned char *)val;
	     *v && (size_t)n + 5 < room; v++) {
		if (*v < 0x20 || *v == 0x7f)
			n += snprintf(p + n, room - n, "\\x%02x", *v);
		else if (*v == '\\')
			n += snprintf(p + n, room - n, "\\\\");
		else
			p[n++] = *v;
	}
	p[n++] = '\n';
	cx->len += n;
}

static void put_u32(struct context *cx, const char *key, __u32 v)
{
	char num[16];

	snprintf(num, sizeof(num), "%u", v);
	put(cx, key, num);
}

static void build(struct context *cx, const struct nr_record *r)
{
	const struct ctr_info *ci;

	cx->len = 0;
	if (r->flags & NR_F_OWNER) {
		const struct proc_info *pi = proc_cache_get(
			cx->procs, r->tgid, r->start_ns, r->comm, r->uid);

		put_u32(cx, "PID", r->tgid);
		if (pi) {
			put(cx, "Cmd", *pi->exe ? pi->exe : pi->comm);
			put(cx, "Args", pi->args);
		}
		put_u32(cx, "ThreadId", r->tid);
		/* The main thread's name is the process's, in the record. */
		put(cx, "ThreadName",
		    r->tid == r->tgid && pi
			    ? pi->comm
			    : proc_thread_name(cx->procs, r->tgid, r->tid));
		put_u32(cx, "UserId", r->uid);
		if (pi && pi->ppid)
			put_u32(cx, "ParentPID", pi->ppid);
	}
	ci = ctrcache_get(cx->containers, r->cgroup_id);
	if (ci && ci->is_container) {
		put(cx, "ContainerId", ci->ref.id);
		put(cx, "ContainerName", ci->meta.name);
		put(cx, "ContainerImage", ci->meta.image);
		put(cx, "PodName", ci->meta.pod);
		put(cx, "PodNamespace", ci->meta.pod_namespace);
	}
	/* No trailing newline: Wireshark shows the comment as it is. */
	if (cx->len)
		cx->buf[--cx->len] = '\0';
}

const char *context_comment(struct context *cx, const struct nr_record *r,
			    size_t *len)
{
	struct context_key k = {
		.start_ns = r->start_ns,
		.cgroup_id = r->cgroup_id,
		.tgid = r->tgid,
		.tid = r->tid,
		.owned = r->flags & NR_F_OWNER,
	};

	if (!cx->valid || memcmp(&k, &cx->last, sizeof(k))) {
		build(cx, r);
		cx->last = k;
		cx->valid = true;
	}
	*len = cx->len;
	return cx->len ? cx->buf : NULL;
}
