// SPDX-License-Identifier: GPL-2.0
/*
 * The sidecar index of each chunk (docs/INDEX.md).  Lines are built with
 * jansson and gathered per chunk in memory, appended to
 * "<chunk>.idx.jsonl.part" when 64 KiB have gathered, and the file is
 * finished with its chunk.  Flow lines are written when the chunk ends or
 * their flow is evicted, so memory is bounded by the flow table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <jansson.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "digest.h"
#include "dns.h"
#include "dnscache.h"
#include "fileio.h"
#include "flow.h"
#include "http.h"
#include "index.h"
#include "log.h"
#include "packet.h"
#include "safeopen.h"

#define SCHEMA 1
#define PART ".part"
#define FLUSH_AT (64 * 1024)
#define MAX_PENDING (1024 * 1024) /* per chunk, while writes fail */
#define MAX_FLOWS 65536
#define DNS_CACHE_MAX 65536
/* Zeek's defaults: tcp_inactivity_timeout, udp/icmp_inactivity_timeout. */
#define TCP_IDLE_NS (300ULL * 1000000000)
#define OTHER_IDLE_NS (60ULL * 1000000000)
#define CLOSED_IDLE_NS (5ULL * 1000000000)
#define DNS_PORT 53

struct ixchunk {
	struct index *ix;
	char *file; /* the chunk's name (as planned until it is finished) */
	char *key;
	char *part; /* the index being written */
	uint64_t start_ts, end_ts;
	struct flow_slices slices;
	struct index_losses lost_at_start;
	uint64_t flows, dns, http, unindexed;
	char *buf;
	size_t len, cap;
	int err;
};

struct index {
	struct index_config cfg;
	struct flow_table *flows;
	struct dnscache *dns;
	char host[65], kernel[65];
	int last_err;
	/* Scratch for one message at a time (the writer thread's alone). */
	struct dns_msg dns_msg;
	struct http_msg http_msg;
};

/* --- JSON -------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at @p, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t c;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (n < len)
		return 0;
	c = p[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode. */
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	return len;
}

/*
 * Any bytes as a JSON string: valid UTF-8 as it is, other bytes as \xHH
 * and the backslash as \\, so nothing is lost and every line parses.
 */
static json_t *json_bytes(const void *s, size_t n)
{
	const unsigned char *p = s;
	char *out = malloc(4 * n + 1), *o = out;
	json_t *j;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t l = p[i] == '\\' ? 0 : utf8_len(p + i, n - i);

		if (p[i] == '\\') {
			*o++ = '\\';
			*o++ = '\\';
			i++;
		} else if (!l || !p[i]) {
			o += sprintf(o, "\\x%02x", p[i]);
			i++;
		} else {
			memcpy(o, p + i, l);
			o += l;
			i += l;
		}
	}
	j = json_stringn(out, o - out);
	free(out);
	return j;
}

static json_t *json_str(const char *s)
{
	return json_bytes(s, strlen(s));
}

/* Seconds since the epoch with microseconds, as Zeek writes them. */
static json_t *json_time(uint64_t ns)
{
	return json_real((double)(ns / 1000) / 1e6);
}

static json_t *json_secs(uint64_t ns)
{
	return json_real((double)ns / 1e9);
}

static void set(json_t *o, const char *k, json_t *v)
{
	if (v)
		json_object_set_new(o, k, v);
}

static void set_addr(json_t *o, const char *k, int family,
		     const uint8_t addr[16])
{
	char s[64];

	pkt_addr_str(family, addr, s, sizeof(s));
	set(o, k, json_string(s));
}

static json_t *json_comm(const char comm[NR_COMM_LEN])
{
	return json_bytes(comm, strnlen(comm, NR_COMM_LEN));
}

/* --- lines and files ---------------------------------------------------- */

static struct ixchunk *chunk_of(struct flow_slices *s)
{
	return (struct ixchunk *)((char *)s - offsetof(struct ixchunk, slices));
}

static void log_error(struct index *ix, const char *what, const char *path,
		      int err)
{
	if (err == ix->last_err)
		return;
	ix->last_err = err;
	pr_err("%s %s: %s", what, path, strerror(-err));
}

/*
 * Append what has gathered; with @sync, make it durable.  What a failed
 * write (a full disk) left unwritten stays for the next try, so no line
 * is ever written twice or in part.
 */
static int flush_chunk(struct ixchunk *c, bool sync)
{
	size_t done = 0;
	int fd, err;

	fd = open_beneath(c->ix->cfg.dirfd, c->part,
			  O_WRONLY | O_CREAT | O_APPEND, 0600);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	err = write_some(fd, c->buf, c->len, &done);
	if (!err && sync && fsync(fd))
		err = -errno;
	close(fd);
out:
	memmove(c->buf, c->buf + done, c->len - done);
	c->len -= done;
	c->err = err;
	if (err)
		log_error(c->ix, "cannot write index", c->part, err);
	return err;
}

static void add_line(struct ixchunk *c, json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(16));
	size_t n = s ? strlen(s) : 0;

	json_decref(o);
	/* Writes failing, and a lot waiting already: this line is lost. */
	if (!s || (c->err && c->len >= MAX_PENDING)) {
		c->unindexed++;
		goto out;
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : FLUSH_AT;
		char *b;

		while (cap < c->len + n + 1)
			cap *= 2;
		b = realloc(c->buf, cap);
		if (!b) {
			c->unindexed++;
			goto out;
		}
		c->buf = b;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, s, n);
	c->buf[c->len + n] = '\n';
	c->len += n + 1;
	/* After a failure, try again only once more has gathered. */
	if (c->len >= FLUSH_AT * (c->err ? 4 : 1) && c->len < MAX_PENDING)
		flush_chunk(c, false);
out:
	free(s);
}

static json_t *chunk_line(struct ixchunk *c, const char *event)
{
	const struct index_config *cfg = &c->ix->cfg;
	json_t *o = json_object();

	if (!o)
		return NULL;
	set(o, "type", json_string("chunk"));
	set(o, "event", json_string(event));
	set(o, "schema", json_integer(SCHEMA));
	set(o, "file", json_str(c->file));
	set(o, "key", json_str(c->key));
	set(o, "split", json_string(cfg->split));
	set(o, "format", json_string(cfg->format));
	set(o, "ts", json_time(c->start_ts));
	return o;
}

static void add_run_info(struct ixchunk *c, json_t *o)
{
	const struct index *ix = c->ix;

	set(o, "snaplen", json_integer(ix->cfg.snaplen));
	set(o, "host", json_str(ix->host));
	set(o, "kernel", json_str(ix->kernel));
	set(o, "version", json_string(PACKAGE_VERSION));
	set(o, "options", json_str(ix->cfg.options ? ix->cfg.options : ""));
}

static void *chunk_start(void *arg, const char *final, const char *key,
			 uint64_t ts)
{
	struct index *ix = arg;
	struct ixchunk *c = calloc(1, sizeof(*c));
	json_t *o;

	if (!c)
		return NULL;
	c->ix = ix;
	c->file = strdup(final);
	c->key = strdup(key);
	if (c->file && asprintf(&c->part, "%s" INDEX_EXT PART, final) < 0)
		c->part = NULL;
	if (!c->file || !c->key || !c->part) {
		free(c->file);
		free(c->key);
		free(c);
		return NULL;
	}
	c->start_ts = c->end_ts = ts;
	if (ix->cfg.losses)
		ix->cfg.losses(ix->cfg.losses_arg, &c->lost_at_start);
	o = chunk_line(c, "start");
	if (o) {
		add_run_info(c, o);
		add_line(c, o);
	}
	/* On disk from the start: a crash leaves an index to finish. */
	flush_chunk(c, false);
	return c;
}

static json_t *losses_since(struct ixchunk *c)
{
	struct index_losses now = { 0 }, *a = &c->lost_at_start;
	json_t *o = json_object();

	if (c->ix->cfg.losses)
		c->ix->cfg.losses(c->ix->cfg.losses_arg, &now);
	set(o, "perf", json_integer(now.perf - a->perf));
	set(o, "output", json_integer(now.output - a->output));
	set(o, "disk", json_integer(now.disk - a->disk));
	return o;
}

static void free_chunk(struct ixchunk *c)
{
	free(c->file);
	free(c->key);
	free(c->part);
	free(c->buf);
	free(c);
}

static void finish_index(struct ixchunk *c, const struct chunk_end *e)
{
	struct index *ix = c->ix;
	char *final = NULL;
	int err;
	json_t *o;

	free(c->file);
	c->file = strdup(e->final);
	o = chunk_line(c, "end");
	if (o && c->file) {
		set(o, "end", json_time(c->end_ts));
		set(o, "packets", json_integer(e->packets));
		set(o, "bytes", json_integer(e->bytes));
		set(o, "size", json_integer(e->size));
		set(o, "lost", losses_since(c));
		set(o, "index_complete",
		    json_boolean(!c->unindexed && !e->cut));
		set(o, "unindexed", json_integer(c->unindexed));
		set(o, "flows", json_integer(c->flows));
		set(o, "dns", json_integer(c->dns));
		set(o, "http", json_integer(c->http));
		if (e->cut)
			set(o, "cut", json_true());
		if (e->sha256[0])
			set(o, "sha256", json_string(e->sha256));
		add_run_info(c, o);
		add_line(c, o);
	} else {
		json_decref(o);
	}
	if (asprintf(&final, "%s" INDEX_EXT, e->final) < 0)
		final = NULL;
	err = !final ? -ENOMEM : flush_chunk(c, true);
	if (!err)
		err = rename_noreplace_beneath(ix->cfg.dirfd, c->part, final);
	if (err) {
		/* Half an index would not say what it lacks: none at all. */
		pr_err("index of %s lost: %s", e->final, strerror(-err));
		unlinkat(ix->cfg.dirfd, c->part, 0);
	}
	free(final);
}

static void chunk_finish(void *arg, void *chunk, const struct chunk_end *e)
{
	struct ixchunk *c = chunk;
	struct index *ix = arg;

	/* Flow lines first: they belong between the chunk's two lines. */
	flow_chunk_done(ix->flows, &c->slices);
	if (e->final)
		finish_index(c, e);
	else
		unlinkat(ix->cfg.dirfd, c->part, 0);
	free_chunk(c);
}

const struct chunk_hooks index_chunk_hooks = {
	.start = chunk_start,
	.finish = chunk_finish,
};

/* --- flows -------------------------------------------------------------- */

static void set_owner(struct index *ix, json_t *o, const struct flow_owner *w)
{
	const struct ctr_info *ci;
	const struct proc_info *pi;

	if (w->known) {
		set(o, "pid", json_integer(w->pid));
		set(o, "comm", json_comm(w->comm));
		pi = ix->cfg.procs
			     ? proc_cache_get(ix->cfg.procs, w->pid,
					      w->start_ns, w->comm, w->uid)
			     : NULL;
		if (pi && pi->exe[0])
			set(o, "exe", json_str(pi->exe));
		set(o, "user_id", json_integer(w->uid));
	}
	ci = ix->cfg.containers ? ctrcache_get(ix->cfg.containers, w->cgroup_id)
				: NULL;
	if (!ci)
		return;
	if (ci->is_container) {
		set(o, "container_id", json_string(ci->ref.id));
		if (ci->meta.name[0])
			set(o, "container_name", json_str(ci->meta.name));
	}
	if (ci->cgroup)
		set(o, "cgroup", json_str(ci->cgroup));
}

static void set_ids(json_t *o, const struct flow *f)
{
	set_addr(o, "id.orig_h", f->family, f->orig_h);
	set(o, "id.orig_p", json_integer(f->orig_p));
	set_addr(o, "id.resp_h", f->family, f->resp_h);
	set(o, "id.resp_p", json_integer(f->resp_p));
}

static json_t *proto_name(uint8_t proto)
{
	const char *name = flow_proto_name(proto);
	char num[8];

	if (name)
		return json_string(name);
	snprintf(num, sizeof(num), "%u", proto);
	return json_string(num);
}

static void emit_flow(void *arg, const struct flow_slice *s)
{
	const struct flow *f = s->flow;
	struct ixchunk *c = chunk_of(s->chunk);
	struct index *ix = arg;
	json_t *o = json_object(), *names;

	if (!o)
		return;
	set(o, "type", json_string("flow"));
	set(o, "uid", json_string(f->uid));
	set(o, "community_id", json_string(f->community_id));
	set(o, "proto", proto_name(f->proto));
	set_ids(o, f);
	set(o, "orig_known", json_boolean(f->orig_known));
	set(o, "local", json_string(f->local_is_orig ? "orig" : "resp"));
	set(o, "ts", json_time(f->first_ts));
	set(o, "duration", json_secs(s->last_ts - f->first_ts));
	set(o, "first_ts", json_time(s->first_ts));
	set(o, "last_ts", json_time(s->last_ts));
	set(o, "orig_pkts", json_integer(s->pkts[FLOW_ORIG]));
	set(o, "orig_bytes", json_integer(s->bytes[FLOW_ORIG]));
	set(o, "orig_ip_bytes", json_integer(s->ip_bytes[FLOW_ORIG]));
	set(o, "resp_pkts", json_integer(s->pkts[FLOW_RESP]));
	set(o, "resp_bytes", json_integer(s->bytes[FLOW_RESP]));
	set(o, "resp_ip_bytes", json_integer(s->ip_bytes[FLOW_RESP]));
	set(o, "conn_state", json_string(flow_conn_state(f)));
	set(o, "history", json_string(f->history));
	if (s->has_tcp_info) {
		set(o, "rtt_us", json_integer(s->srtt_us));
		set(o, "retrans", json_integer(s->retrans));
	}
	set(o, "closed", json_boolean(f->closed));
	set(o, "cookie", json_integer(f->cookie));
	set_owner(ix, o, &s->owner);
	if (f->nnames && (names = json_array())) {
		for (unsigned int i = 0; i < f->nnames; i++)
			json_array_append_new(names, json_str(f->names[i]));
		set(o, "names", names);
	}
	set(o, "first_offset", json_integer(s->first_offset));
	set(o, "last_offset", json_integer(s->last_offset));
	add_line(c, o);
	c->flows++;
}

static size_t flow_names(void *arg, int family, const uint8_t addr[16],
			 uint64_t ts, char **names, size_t max)
{
	char found[FLOW_NAMES][DNS_NAME_MAX];
	struct index *ix = arg;
	size_t n, kept = 0;

	if (max > FLOW_NAMES)
		max = FLOW_NAMES;
	n = dnscache_lookup(ix->dns, family, addr, ts, found, max);
	for (size_t i = 0; i < n; i++)
		if ((names[kept] = strdup(found[i])))
			kept++;
	return kept;
}

/* --- DNS and HTTP ------------------------------------------------------- */

struct pkt_ctx {
	struct ixchunk *c;
	const struct nr_record *r;
	const struct pkt_info *pi;
	struct flow *f;
	uint64_t ts, offset;
};

/* The packet's addresses, with the given side as originator. */
static void set_pkt_ids(json_t *o, const struct pkt_info *pi, bool src_orig)
{
	set_addr(o, "id.orig_h", pi->family, src_orig ? pi->saddr : pi->daddr);
	set(o, "id.orig_p", json_integer(src_orig ? pi->sport : pi->dport));
	set_addr(o, "id.resp_h", pi->family, src_orig ? pi->daddr : pi->saddr);
	set(o, "id.resp_p", json_integer(src_orig ? pi->dport : pi->sport));
}

static void set_pkt_owner(json_t *o, struct index *ix,
			  const struct nr_record *r)
{
	const struct ctr_info *ci;

	if (r->flags & NR_F_OWNER) {
		set(o, "pid", json_integer(r->tgid));
		set(o, "comm", json_comm(r->comm));
	}
	ci = ix->cfg.containers ? ctrcache_get(ix->cfg.containers, r->cgroup_id)
				: NULL;
	if (ci && ci->is_container)
		set(o, "container_id", json_string(ci->ref.id));
}

static json_t *answers_json(const struct dns_msg *m, int what)
{
	json_t *a = json_array();

	for (unsigned int i = 0; a && i < m->nanswers; i++) {
		const struct dns_answer *an = &m->answers[i];

		if (what == 0)
			json_array_append_new(a, json_str(an->data));
		else if (what == 1)
			json_array_append_new(a, json_str(an->type_name));
		else
			json_array_append_new(a, json_integer(an->ttl));
	}
	return a;
}

static void dns_line(struct pkt_ctx *x, const uint8_t *p, size_t len, bool cut)
{
	struct index *ix = x->c->ix;
	struct dns_msg *m = &ix->dns_msg;
	bool parsed;
	uint64_t qts;
	json_t *o;

	parsed = !dns_parse(p, len, m);
	o = json_object();
	if (!o)
		return;
	set(o, "type", json_string("dns"));
	set(o, "ts", json_time(x->ts));
	set(o, "uid", json_string(x->f->uid));
	set(o, "proto", proto_name(x->pi->proto));
	/* The query's sender is the originator, on the response too. */
	set_pkt_ids(o, x->pi, !m->qr);
	set(o, "qr", json_boolean(m->qr));
	set(o, "trans_id", json_integer(m->trans_id));
	if (m->has_question) {
		set(o, "query", json_str(m->query));
		set(o, "qclass", json_integer(m->qclass));
		set(o, "qclass_name", json_str(m->qclass_name));
		set(o, "qtype", json_integer(m->qtype));
		set(o, "qtype_name", json_str(m->qtype_name));
	}
	/* Flags and rcode only when the message was long enough for them. */
	if (m->rcode_name[0]) {
		set(o, "rcode", json_integer(m->rcode));
		set(o, "rcode_name", json_str(m->rcode_name));
		set(o, "AA", json_boolean(m->aa));
		set(o, "TC", json_boolean(m->tc));
		set(o, "RD", json_boolean(m->rd));
		set(o, "RA", json_boolean(m->ra));
	}
	if (m->nanswers) {
		set(o, "answers", answers_json(m, 0));
		set(o, "answer_types", answers_json(m, 1));
		set(o, "TTLs", answers_json(m, 2));
	}
	if (!m->qr) {
		flow_dns_query(x->f, m->trans_id, x->ts);
	} else if ((qts = flow_dns_answer(x->f, m->trans_id)) && qts <= x->ts) {
		set(o, "rtt", json_secs(x->ts - qts));
	}
	if (!parsed) {
		set(o, "malformed", json_true());
		set(o, "error", json_str(m->error));
	}
	if (cut)
		set(o, "truncated", json_true());
	set_pkt_owner(o, ix, x->r);
	set(o, "offset", json_integer(x->offset));
	set(o, "dir", json_string(x->r->dir == NR_DIR_OUT ? "out" : "in"));
	add_line(x->c, o);
	x->c->dns++;
	if (parsed && m->qr)
		dnscache_learn(ix->dns, m, x->ts);
}

/*
 * DNS over TCP: each message has a 2-byte length in front.  A message
 * that goes on in later segments is put together in order (at most
 * FLOW_DNS_BUFS at once); one that cannot be (a gap, a snaplen cut, too many)
 * is recorded from what there is as truncated, and the rest of it is
 * skipped rather than read as a new message.
 */
static void give_up_tcp(struct pkt_ctx *x, int side, uint32_t rest)
{
	struct flow *f = x->f;

	dns_line(x, f->dns_tcp[side].buf, f->dns_tcp[side].len, true);
	flow_dns_buf_free(x->c->ix->flows, f, side);
	f->dns_skip[side] = rest;
}

/* Feed a segment to the message being put together; bytes taken. */
static size_t continue_tcp(struct pkt_ctx *x, int side, const uint8_t *p,
			   size_t have)
{
	const struct pkt_info *pi = x->pi;
	struct flow *f = x->f;
	uint32_t want = f->dns_tcp[side].need - f->dns_tcp[side].len;
	uint32_t take = pi->payload_len < want ? pi->payload_len : want;

	if (pi->seq != f->dns_tcp[side].next_seq) {
		/* Sent again (already here): nothing new. */
		if ((int32_t)(pi->seq + pi->payload_len -
			      f->dns_tcp[side].next_seq) <= 0)
			return pi->payload_len;
		give_up_tcp(x, side, 0);
		return pi->payload_len; /* a gap: no telling where we are */
	}
	if (have < take) {
		give_up_tcp(x, side, want - take);
		return take;
	}
	memcpy(f->dns_tcp[side].buf + f->dns_tcp[side].len, p, take);
	f->dns_tcp[side].len += take;
	f->dns_tcp[side].next_seq += take;
	if (f->dns_tcp[side].len < f->dns_tcp[side].need)
		return take;
	dns_line(x, f->dns_tcp[side].buf, f->dns_tcp[side].need, false);
	flow_dns_buf_free(x->c->ix->flows, f, side);
	return take;
}

/* Start putting together a message of @mlen whose first @have came. */
static bool start_tcp(struct pkt_ctx *x, int side, const uint8_t *p,
		      size_t have, size_t mlen)
{
	struct flow *f = x->f;

	if (!flow_dns_buf_new(x->c->ix->flows, f, side, mlen))
		return false;
	memcpy(f->dns_tcp[side].buf, p, have);
	f->dns_tcp[side].len = have;
	f->dns_tcp[side].need = mlen;
	f->dns_tcp[side].next_seq = x->pi->seq + x->pi->payload_len;
	return true;
}

static void dns_tcp(struct pkt_ctx *x, int side, const uint8_t *p, size_t have)
{
	const struct pkt_info *pi = x->pi;
	size_t left = pi->payload_len, skip = x->f->dns_skip[side], mlen, n = 0;

	/* First the rest of a message begun in an earlier segment. */
	if (skip) {
		n = skip < left ? skip : left;
		x->f->dns_skip[side] -= n;
	} else if (x->f->dns_tcp[side].buf) {
		n = continue_tcp(x, side, p, have);
	}
	left -= n;
	n = n < have ? n : have;
	p += n;
	have -= n;
	while (left >= 2 && have >= 2) {
		mlen = (size_t)p[0] << 8 | p[1];
		if (mlen + 2 <= left && mlen + 2 <= have) {
			dns_line(x, p + 2, mlen, false);
		} else if (mlen + 2 > left && have == left &&
			   start_tcp(x, side, p + 2, have - 2, mlen)) {
			return;
		} else {
			/* Cut by the snaplen, or no room to put it together. */
			dns_line(x, p + 2, mlen < have - 2 ? mlen : have - 2,
				 true);
			if (mlen + 2 > left)
				x->f->dns_skip[side] = mlen + 2 - left;
			return;
		}
		p += mlen + 2;
		have -= mlen + 2;
		left -= mlen + 2;
	}
}

static void dns_packet(struct pkt_ctx *x, const uint8_t *data, int side)
{
	const struct pkt_info *pi = x->pi;
	const uint8_t *p = data + pi->payload_off;

	if (pi->proto == IPPROTO_UDP)
		dns_line(x, p, pi->payload_cap,
			 pi->payload_cap < pi->payload_len);
	else if (pi->payload_len)
		dns_tcp(x, side, p, pi->payload_cap);
}

static void http_packet(struct pkt_ctx *x, const uint8_t *data)
{
	const struct pkt_info *pi = x->pi;
	struct http_msg *m = &x->c->ix->http_msg;
	bool src_orig;
	json_t *o;

	/* Most payload is not HTTP: no parse (it clears 1.4 KiB) for it. */
	if (pi->payload_cap < 16 ||
	    !http_may_start(data + pi->payload_off, pi->payload_cap))
		return;
	if (!http_parse(data + pi->payload_off, pi->payload_cap, m) ||
	    !(o = json_object()))
		return;
	src_orig = !m->is_response;
	set(o, "type", json_string("http"));
	set(o, "ts", json_time(x->ts));
	set(o, "uid", json_string(x->f->uid));
	set_pkt_ids(o, pi, src_orig);
	set(o, "is_response", json_boolean(m->is_response));
	set(o, "version", json_str(m->version));
	if (m->is_response) {
		set(o, "status_code", json_integer(m->status_code));
		set(o, "status_msg", json_str(m->status_msg));
	} else {
		set(o, "method", json_str(m->method));
		set(o, "uri", json_str(m->uri));
		if (m->host[0])
			set(o, "host", json_str(m->host));
	}
	set_pkt_owner(o, x->c->ix, x->r);
	set(o, "offset", json_integer(x->offset));
	add_line(x->c, o);
	x->c->http++;
}

static bool is_dns(const struct pkt_info *pi)
{
	return pi->has_l4 &&
	       (pi->proto == IPPROTO_UDP || pi->proto == IPPROTO_TCP) &&
	       (pi->sport == DNS_PORT || pi->dport == DNS_PORT);
}

void index_packet(struct index *ix, const struct chunk_pos *pos,
		  const struct nr_record *r, const struct pkt_info *pi,
		  const uint8_t *data, uint64_t ts)
{
	struct ixchunk *c = pos->chunk;
	struct flow_pkt fp = {
		.pi = pi,
		.r = r,
		.ts = ts,
		.offset = pos->offset,
	};
	struct pkt_ctx x;
	int side;

	if (!c)
		return;
	c->end_ts = ts;
	/* In the file, but no flow could be told from it. */
	if (!pi)
		return;
	fp.chunk = &c->slices;
	x.f = flow_packet(ix->flows, &fp, &side);
	if (!x.f) {
		c->unindexed++;
		return;
	}
	x.c = c;
	x.r = r;
	x.pi = pi;
	x.ts = ts;
	x.offset = pos->offset;
	if (is_dns(pi))
		dns_packet(&x, data, side);
	else if (pi->proto == IPPROTO_TCP && pi->has_l4 && pi->payload_cap)
		http_packet(&x, data);
}

void index_owner(struct index *ix, struct nr_record *r,
		 const struct pkt_info *pi)
{
	const struct flow_owner *o;
	struct flow_pkt fp = {
		.pi = pi,
		.r = r,
	};

	if (!pi)
		return;
	o = flow_owner_of(ix->flows, &fp);
	if (!o)
		return;
	r->tgid = o->pid;
	r->tid = o->tid;
	r->uid = o->uid;
	r->start_ns = o->start_ns;
	r->cgroup_id = o->cgroup_id;
	memcpy(r->comm, o->comm, sizeof(r->comm));
	r->flags |= NR_F_OWNER | NR_F_INFERRED;
}

void index_skip(const struct chunk_pos *pos, uint64_t ts)
{
	struct ixchunk *c = pos->chunk;

	if (!c)
		return;
	c->unindexed++;
	c->end_ts = ts;
}

void index_tick(struct index *ix, uint64_t now)
{
	flow_expire(ix->flows, now);
}

/* --- life --------------------------------------------------------------- */

struct index *index_new(const struct index_config *cfg)
{
	struct index *ix = calloc(1, sizeof(*ix));
	struct flow_config fc = {
		.max_flows = MAX_FLOWS,
		.tcp_idle_ns = TCP_IDLE_NS,
		.closed_idle_ns = CLOSED_IDLE_NS,
		.other_idle_ns = OTHER_IDLE_NS,
		.names = flow_names,
		.emit = emit_flow,
	};
	struct timespec now;
	struct utsname u;

	if (!ix)
		return NULL;
	ix->cfg = *cfg;
	clock_gettime(CLOCK_REALTIME, &now);
	fc.start_ts = now.tv_sec * 1000000000ULL + now.tv_nsec;
	fc.arg = ix;
	if (!uname(&u)) {
		snprintf(ix->host, sizeof(ix->host), "%s", u.nodename);
		snprintf(ix->kernel, sizeof(ix->kernel), "%s", u.release);
	}
	ix->dns = dnscache_new(DNS_CACHE_MAX);
	ix->flows = ix->dns ? flow_table_new(&fc) : NULL;
	if (!ix->flows) {
		dnscache_free(ix->dns);
		free(ix);
		return NULL;
	}
	return ix;
}

void index_free(struct index *ix)
{
	if (!ix)
		return;
	flow_table_free(ix->flows);
	dnscache_free(ix->dns);
	free(ix);
}

static bool ends_line(int fd)
{
	struct stat st;
	char c;

	if (fstat(fd, &st) || !st.st_size)
		return true;
	return pread(fd, &c, 1, st.st_size - 1) == 1 && c == '\n';
}

int index_recover(int dirfd, const char *part, const char *final,
		  int64_t packets)
{
	size_t n = strlen(part), pl = strlen(PART);
	char *ipart = NULL, *ifinal = NULL, hex[SHA256_HEX_LEN], *s = NULL;
	json_t *o = json_object();
	struct stat st;
	int fd = -1, err;

	err = -EINVAL;
	if (n <= pl || strcmp(part + n - pl, PART) || !o)
		goto out;
	err = -ENOMEM;
	if (asprintf(&ipart, "%.*s" INDEX_EXT PART, (int)(n - pl), part) < 0 ||
	    asprintf(&ifinal, "%s" INDEX_EXT, final) < 0) {
		ipart = ifinal = NULL;
		goto out;
	}
	if (!*final) {
		/* The chunk held nothing and is gone: so is its index. */
		err = unlinkat(dirfd, ipart, 0) ? -errno : 0;
		goto out;
	}
	fd = open_beneath(dirfd, ipart, O_RDWR | O_APPEND, 0);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	set(o, "type", json_string("chunk"));
	set(o, "event", json_string("end"));
	set(o, "schema", json_integer(SCHEMA));
	set(o, "file", json_str(final));
	if (!fstatat(dirfd, final, &st, AT_SYMLINK_NOFOLLOW))
		set(o, "size", json_integer(st.st_size));
	if (packets >= 0)
		set(o, "packets", json_integer(packets));
	set(o, "recovered", json_true());
	set(o, "index_complete", json_false());
	if (!digest_file(dirfd, final, hex))
		set(o, "sha256", json_string(hex));
	set(o, "version", json_string(PACKAGE_VERSION));
	s = json_dumps(o, JSON_COMPACT);
	err = -ENOMEM;
	if (!s)
		goto out;
	/* A crash may have cut the last line: end it first. */
	err = ends_line(fd) ? 0 : write_all(fd, "\n", 1);
	if (!err)
		err = write_all(fd, s, strlen(s));
	if (!err)
		err = write_all(fd, "\n", 1);
	if (!err && fsync(fd))
		err = -errno;
	if (!err)
		err = rename_noreplace_beneath(dirfd, ipart, ifinal);
out:
	if (fd >= 0)
		close(fd);
	json_decref(o);
	free(s);
	free(ipart);
	free(ifinal);
	return err;
}
