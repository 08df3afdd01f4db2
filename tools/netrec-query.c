// SPDX-License-Identifier: GPL-2.0
/*
 * netrec-query: flows, DNS messages, chunks or per-process totals of a
 * capture directory, from its sidecar indexes alone.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "idxread.h"
#include "log.h"
#include "select.h"
#include "table.h"
#include "tool.h"
#include "verify.h"

enum mode { M_FLOWS, M_DNS, M_CHUNKS, M_SUMMARY };

struct query {
	struct selection sel;
	enum mode mode;
	bool json, header, verify;
	int verify_failed;
	enum verify_result *verified; /* per chunk, with --verify */
	char (*now)[SHA256_HEX_LEN];
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: netrec-query [-r DIR] [--flows | --dns | --chunks | "
		"--summary] [--json]\n"
		"                    [--since TIME] [--until TIME] [--verify] "
		"[EXPRESSION]\n"
		"\n"
		"Answer from the indexes of a netrec capture directory: which "
		"flows, DNS\n"
		"messages or chunks match EXPRESSION in the time range, or how "
		"much each\n"
		"process and container sent and received.\n"
		"\n"
		"  -r, --dir DIR    capture directory (default ./" DEFAULT_DIR
		"), read with\n"
		"                   its subdirectories\n"
		"      --flows      matching flows, one line per flow (the "
		"default)\n"
		"      --dns        matching DNS queries and responses\n"
		"      --chunks     chunks with matching flows or DNS messages "
		"(all of\n"
		"                   them in the time range without an "
		"expression)\n"
		"      --summary    per process and per container: bytes sent "
		"and received,\n"
		"                   flows, distinct remote hosts and names\n"
		"  -j, --json       JSON Lines instead of a table\n"
		"  -H, --no-header  no header line over the table\n"
		"      --since TIME, --until TIME\n"
		"                   only what happened in [since, until): "
		"RFC 3339\n"
		"                   (2025-11-22T14:00:00Z), @SECONDS, or a "
		"duration before\n"
		"                   now (90s, 15m, 2h, 3d, 1h30m)\n"
		"      --verify     check every chunk in the time range "
		"against the SHA-256\n"
		"                   its index recorded (reads them all)\n"
		"  -q, --quiet      no informational messages\n"
		"  -h, --help       this help\n"
		"  -V, --version    the version\n"
		"\n"
		"EXPRESSION is in pcap-filter's words (host, net, port, "
		"portrange, src,\n"
		"dst, tcp, udp, icmp, icmp6, ip, ip6, proto; and, or, not, "
		"parentheses),\n"
		"plus: name GLOB (a DNS name), pid N, comm NAME, container "
		"ID|NAME,\n"
		"uid N (user), flow UID, and orig/resp for the flow's "
		"originator and\n"
		"responder.  As in pcap, 'and' and 'or' have equal precedence.\n"
		"\n"
		"Examples:\n"
		"  netrec-query -r /var/lib/netrec --since 2h host 10.0.0.5\n"
		"  netrec-query -r /var/lib/netrec --dns name '*.example.com'\n"
		"  netrec-query -r /var/lib/netrec --summary --since "
		"2025-11-22T14:00:00Z \\\n"
		"      --until 2025-11-22T15:00:00Z\n"
		"  netrec-query -r /var/lib/netrec --json comm curl and dst "
		"port 443 | jq .\n"
		"  netrec-query -r /var/lib/netrec --chunks --verify container "
		"web\n"
		"\n"
		"Exit status: 0 something matched, 1 nothing did, 2 usage or "
		"input error\n"
		"(also a chunk whose SHA-256 no longer matches its index).\n");
}

/* ---------------------------------------------------------------- flows -- */

struct mflow {
	const struct idx_flow *head, *tail; /* first and last part */
	int64_t first_ts, last_ts;
	uint64_t pkts[2], bytes[2], ip_bytes[2];
	const struct idx_flow **parts;
	size_t nparts, cap;
	const char **names;
	size_t nnames, ncap;
};

static void merge_names(struct mflow *m, const struct idx_flow *f)
{
	for (size_t i = 0; i < f->nnames; i++) {
		if (str_in_nocase(m->names, m->nnames, f->names[i]))
			continue;
		xgrow((void **)&m->names, &m->ncap, m->nnames + 1,
		      sizeof(*m->names));
		m->names[m->nnames++] = f->names[i];
	}
}

static void merge(struct mflow *m, const struct idx_flow *f)
{
	if (!m->head || f->first_ts < m->first_ts) {
		m->head = f;
		m->first_ts = f->first_ts;
	}
	if (!m->tail || f->last_ts >= m->last_ts) {
		m->tail = f;
		m->last_ts = f->last_ts;
	}
	for (int s = 0; s < 2; s++) {
		m->pkts[s] += f->pkts[s];
		m->bytes[s] += f->bytes[s];
		m->ip_bytes[s] += f->ip_bytes[s];
	}
	xgrow((void **)&m->parts, &m->cap, m->nparts + 1, sizeof(*m->parts));
	m->parts[m->nparts++] = f;
	merge_names(m, f);
}

static int cmp_mflow(const void *a, const void *b)
{
	const struct mflow *x = *(struct mflow *const *)a;
	const struct mflow *y = *(struct mflow *const *)b;

	if (x->first_ts != y->first_ts)
		return x->first_ts < y->first_ts ? -1 : 1;
	if (x->head->uid && y->head->uid)
		return strcmp(x->head->uid, y->head->uid);
	return 0;
}

/*
 * A flow's records in several chunks share its uid; without one, its
 * socket cookie and 5-tuple tell them apart.
 */
static char *flow_key(const struct idx_flow *f)
{
	char o[64], r[64];

	if (f->uid)
		return xstrdup(f->uid);
	if (!f->has_cookie)
		return xasprintf("\n%s:%u", f->chunk->rel_idx, f->line);
	idx_endpoint(o, sizeof(o), f->family, f->at.orig, f->at.orig_p, true);
	idx_endpoint(r, sizeof(r), f->family, f->at.resp, f->at.resp_p, true);
	return xasprintf("\n%llu %u %s %s", (unsigned long long)f->cookie,
			 f->proto, o, r);
}

/* The matching flow records, merged by uid across chunks, by time. */
static struct mflow **matched_flows(struct query *q, size_t *n)
{
	struct selection *s = &q->sel;
	struct strmap *m = strmap_new();
	struct mflow **out, **slot;
	size_t i, k;

	for (i = 0; i < s->set.n; i++) {
		struct idx_chunk *c = s->set.chunks[i];

		for (k = 0; k < c->nflows; k++) {
			struct idx_flow *f = &c->flows[k];
			char *key;

			if (!idx_flow_match(f, s->expr, s->since, s->until))
				continue;
			key = flow_key(f);
			slot = (struct mflow **)strmap_slot(m, key);
			free(key);
			if (!*slot)
				*slot = xcalloc(1, sizeof(**slot));
			merge(*slot, f);
		}
	}
	*n = strmap_count(m);
	out = xcalloc(*n, sizeof(*out));
	for (i = 0; i < *n; i++)
		out[i] = strmap_value(m, i);
	strmap_free(m);
	qsort(out, *n, sizeof(*out), cmp_mflow);
	return out;
}

static void free_mflows(struct mflow **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i]->parts);
		free(v[i]->names);
		free(v[i]);
	}
	free(v);
}

static json_t *json_time(int64_t ns)
{
	return json_real((double)(ns / 1000) / 1e6);
}

static json_t *json_strs(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static void print_json(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT);

	if (s)
		puts(s);
	free(s);
}

/* The last record of the flow, with the counts and times of all. */
static void flow_json(const struct mflow *m)
{
	const struct idx_flow *t = m->tail;
	json_t *o = json_loads(t->text, 0, NULL), *chunks = json_array();
	static const char *const keys[3][2] = {
		{ "orig_pkts", "resp_pkts" },
		{ "orig_bytes", "resp_bytes" },
		{ "orig_ip_bytes", "resp_ip_bytes" },
	};

	for (int s = 0; s < 2; s++) {
		json_object_set_new(o, keys[0][s], json_integer(m->pkts[s]));
		json_object_set_new(o, keys[1][s], json_integer(m->bytes[s]));
		json_object_set_new(o, keys[2][s],
				    json_integer(m->ip_bytes[s]));
	}
	json_object_set_new(o, "first_ts", json_time(m->first_ts));
	json_object_set_new(o, "last_ts", json_time(m->last_ts));
	json_object_set_new(o, "duration",
			    json_real((double)(m->last_ts - t->ts) / 1e9));
	if (m->nnames)
		json_object_set_new(o, "names", json_strs(m->names, m->nnames));
	json_object_del(o, "first_offset");
	json_object_del(o, "last_offset");
	for (size_t i = 0; i < m->nparts; i++) {
		const struct idx_flow *f = m->parts[i];
		json_t *c = json_pack("{s:s}", "file", f->chunk->rel_chunk);

		if (f->has_offsets) {
			json_object_set_new(c, "first_offset",
					    json_integer(f->first_offset));
			json_object_set_new(c, "last_offset",
					    json_integer(f->last_offset));
		}
		json_object_set_new(c, "first_ts", json_time(f->first_ts));
		json_object_set_new(c, "last_ts", json_time(f->last_ts));
		json_array_append_new(chunks, c);
	}
	json_object_set_new(o, "chunks", chunks);
	print_json(o);
	json_decref(o);
}

static const char *container_of(const char *name, const char *id)
{
	static char shortid[13];

	if (name)
		return name;
	if (!id)
		return NULL;
	snprintf(shortid, sizeof(shortid), "%s", id);
	return shortid;
}

static void flow_row(struct table *tb, const struct mflow *m)
{
	const struct idx_flow *t = m->tail;
	bool ports = t->proto == 6 || t->proto == 17 || t->proto == 132;
	char first[TIME_STR_LEN], dur[32], orig[64], resp[64], pkts[24];
	char bytes[24], pid[16] = "-", *names;

	time_str(m->first_ts, first, sizeof(first));
	snprintf(dur, sizeof(dur), "%.3f",
		 (double)(m->last_ts - m->first_ts) / 1e9);
	idx_endpoint(orig, sizeof(orig), t->family, t->at.orig, t->at.orig_p,
		     ports);
	idx_endpoint(resp, sizeof(resp), t->family, t->at.resp, t->at.resp_p,
		     ports);
	snprintf(pkts, sizeof(pkts), "%llu",
		 (unsigned long long)(m->pkts[0] + m->pkts[1]));
	snprintf(bytes, sizeof(bytes), "%llu",
		 (unsigned long long)(m->ip_bytes[0] + m->ip_bytes[1]));
	if (t->at.has_pid)
		snprintf(pid, sizeof(pid), "%u", t->at.pid);
	names = m->nnames ? str_join(m->names, m->nnames, ",") : NULL;
	table_add(tb, (const char *[]){
			      first, dur, t->proto_name, orig, resp,
			      t->conn_state, pkts, bytes, pid, t->comm,
			      container_of(t->container_name, t->container_id),
			      names, t->uid });
	free(names);
}

static int show_flows(struct query *q)
{
	static const char *const head[] = {
		"FIRST",     "DURATION", "PROTO", "ORIG", "RESP",
		"STATE",     "PKTS",	 "BYTES", "PID",  "COMM",
		"CONTAINER", "NAMES",	 "FLOW",
	};
	struct table *tb = NULL;
	struct mflow **v;
	size_t n, i;

	v = matched_flows(q, &n);
	if (!q->json)
		tb = table_new("lrllllrrrllll", head);
	for (i = 0; i < n; i++) {
		if (q->json)
			flow_json(v[i]);
		else
			flow_row(tb, v[i]);
	}
	if (tb && n)
		table_print(tb, stdout, q->header);
	table_free(tb);
	free_mflows(v, n);
	return n ? EXIT_FOUND : EXIT_NOMATCH;
}

/* ---------------------------------------------------------------- dns ---- */

static int cmp_dns(const void *a, const void *b)
{
	const struct idx_dns *x = *(struct idx_dns *const *)a;
	const struct idx_dns *y = *(struct idx_dns *const *)b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->chunk != y->chunk)
		return strcmp(x->chunk->rel_idx, y->chunk->rel_idx);
	return x->line < y->line ? -1 : x->line > y->line;
}

static void dns_row(struct table *tb, const struct idx_dns *d)
{
	char ts[TIME_STR_LEN], cli[64], srv[64], pid[16] = "-", *ans;

	time_str(d->ts, ts, sizeof(ts));
	idx_endpoint(cli, sizeof(cli), d->family, d->at.orig, d->at.orig_p,
		     true);
	idx_endpoint(srv, sizeof(srv), d->family, d->at.resp, d->at.resp_p,
		     true);
	if (d->at.has_pid)
		snprintf(pid, sizeof(pid), "%u", d->at.pid);
	ans = d->nanswers ? str_join((const char *const *)d->answers,
				     d->nanswers, ",")
			  : NULL;
	table_add(tb, (const char *[]){ ts, cli, srv,
					d->response ? "response" : "query",
					d->query, d->qtype, d->rcode, ans, pid,
					d->comm });
	free(ans);
}

static void dns_json(const struct idx_dns *d)
{
	json_t *o = json_loads(d->text, 0, NULL);

	json_object_set_new(o, "chunk", json_string(d->chunk->rel_chunk));
	print_json(o);
	json_decref(o);
}

static int show_dns(struct query *q)
{
	static const char *const head[] = {
		"TIME",	 "CLIENT", "SERVER",  "QR",  "QUERY",
		"QTYPE", "RCODE",  "ANSWERS", "PID", "COMM",
	};
	struct selection *s = &q->sel;
	const struct idx_dns **v = NULL;
	struct table *tb;
	size_t n = 0, cap = 0, i, k;

	for (i = 0; i < s->set.n; i++) {
		struct idx_chunk *c = s->set.chunks[i];

		for (k = 0; k < c->ndns; k++) {
			if (!idx_dns_match(&c->dns[k], s->expr, s->since,
					   s->until))
				continue;
			xgrow((void **)&v, &cap, n + 1, sizeof(*v));
			v[n++] = &c->dns[k];
		}
	}
	qsort(v, n, sizeof(*v), cmp_dns);
	tb = table_new("llllllllrl", head);
	for (i = 0; i < n; i++) {
		if (q->json)
			dns_json(v[i]);
		else
			dns_row(tb, v[i]);
	}
	if (!q->json && n)
		table_print(tb, stdout, q->header);
	table_free(tb);
	free(v);
	return n ? EXIT_FOUND : EXIT_NOMATCH;
}

/* ---------------------------------------------------------------- chunks - */

static bool in_range(const struct selection *s, const struct idx_chunk *c)
{
	return idx_overlaps(c->ts, c->end_ts, s->since, s->until);
}

static bool chunk_matches(const struct selection *s, const struct idx_chunk *c)
{
	size_t k;

	if (!in_range(s, c))
		return false;
	if (!s->expr)
		return true;
	for (k = 0; k < c->nflows; k++)
		if (idx_flow_match(&c->flows[k], s->expr, s->since, s->until))
			return true;
	for (k = 0; k < c->ndns; k++)
		if (idx_dns_match(&c->dns[k], s->expr, s->since, s->until))
			return true;
	return false;
}

static const char *chunk_status(const struct idx_chunk *c)
{
	if (!c->chunk_path)
		return "missing";
	if (!c->end_text)
		return "cut-short";
	if (c->incomplete)
		return "incomplete";
	return "ok";
}

static void chunk_json(const struct query *q, size_t i)
{
	const struct idx_chunk *c = q->sel.set.chunks[i];
	const char *text = c->end_text ? c->end_text : c->start_text;
	json_t *o = text ? json_loads(text, 0, NULL) : NULL;

	if (!o)
		o = json_object();
	json_object_set_new(o, "path", json_string(c->rel_chunk));
	json_object_set_new(o, "index", json_string(c->rel_idx));
	json_object_set_new(o, "status", json_string(chunk_status(c)));
	if (q->verify) {
		json_object_set_new(o, "verified",
				    json_string(verify_word(q->verified[i])));
		if (q->now[i][0])
			json_object_set_new(o, "sha256_now",
					    json_string(q->now[i]));
	}
	print_json(o);
	json_decref(o);
}

static void chunk_row(struct table *tb, const struct query *q, size_t i)
{
	const struct idx_chunk *c = q->sel.set.chunks[i];
	char a[TIME_STR_LEN] = "-", b[TIME_STR_LEN] = "-", pk[24] = "-";
	char size[24] = "-", flows[24];

	if (c->ts != TIME_MAX)
		time_str(c->ts, a, sizeof(a));
	if (c->end_ts != TIME_MAX)
		time_str(c->end_ts, b, sizeof(b));
	if (c->has_packets)
		snprintf(pk, sizeof(pk), "%llu",
			 (unsigned long long)c->packets);
	if (c->has_size)
		snprintf(size, sizeof(size), "%llu",
			 (unsigned long long)c->size);
	snprintf(flows, sizeof(flows), "%zu", c->nflows);
	table_add(tb, (const char *[]){ a, b, pk, size, flows,
					q->verify ? verify_word(q->verified[i])
						  : chunk_status(c),
					c->sha256, c->rel_chunk });
}

static int show_chunks(struct query *q)
{
	static const char *const head[] = {
		"START", "END",	   "PACKETS", "SIZE",
		"FLOWS", "STATUS", "SHA256",  "FILE",
	};
	struct selection *s = &q->sel;
	struct table *tb = table_new("llrrrlll", head);
	size_t i, n = 0;

	for (i = 0; i < s->set.n; i++) {
		if (!chunk_matches(s, s->set.chunks[i]))
			continue;
		n++;
		if (q->json)
			chunk_json(q, i);
		else
			chunk_row(tb, q, i);
	}
	if (!q->json && n)
		table_print(tb, stdout, q->header);
	table_free(tb);
	return n ? EXIT_FOUND : EXIT_NOMATCH;
}

/* ---------------------------------------------------------------- summary */

struct group {
	char *comm, *container; /* for the table */
	bool has_pid;
	uint32_t pid;
	uint64_t sent, received;
	struct strmap *flows, *hosts, *names;
};

/* The group of @key, made from the flow @f when new. */
static struct group *group_of(struct strmap *m, const char *key,
			      const struct idx_flow *f, bool process)
{
	struct group **g = (struct group **)strmap_slot(m, key);
	const char *ctr = container_of(f->container_name, f->container_id);

	if (*g)
		return *g;
	*g = xcalloc(1, sizeof(**g));
	(*g)->flows = strmap_new();
	(*g)->hosts = strmap_new();
	(*g)->names = strmap_new();
	(*g)->container = ctr ? xstrdup(ctr) : NULL;
	if (!process)
		return *g;
	(*g)->has_pid = f->at.has_pid;
	(*g)->pid = f->at.pid;
	(*g)->comm = f->comm ? xstrdup(f->comm) : NULL;
	return *g;
}

static void count(struct group *g, const struct idx_flow *f)
{
	int local = f->local_resp ? 1 : 0;
	char host[64], *lower;
	size_t i;

	g->sent += f->ip_bytes[local];
	g->received += f->ip_bytes[!local];
	strmap_slot(g->flows, f->uid ? f->uid : "");
	idx_endpoint(host, sizeof(host), f->family,
		     local ? f->at.orig : f->at.resp, 0, false);
	strmap_slot(g->hosts, host);
	for (i = 0; i < f->nnames; i++) {
		lower = xstrdup(f->names[i]);
		for (char *c = lower; *c; c++)
			*c = tolower((unsigned char)*c);
		strmap_slot(g->names, lower);
		free(lower);
	}
}

/* Per process: pid and comm (a pid reused by another command is
 * another row); per container: its name, else its short id. */
static void add_flow(struct strmap *procs, struct strmap *ctrs,
		     const struct idx_flow *f)
{
	const char *ctr = container_of(f->container_name, f->container_id);
	char *key;

	key = f->at.has_pid
		      ? xasprintf("%u\n%s", f->at.pid, f->comm ? f->comm : "")
		      : xstrdup("");
	count(group_of(procs, key, f, true), f);
	free(key);
	count(group_of(ctrs, ctr ? ctr : "", f, false), f);
}

static int cmp_group(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a;
	const struct group *y = *(struct group *const *)b;
	uint64_t tx = x->sent + x->received, ty = y->sent + y->received;

	if (tx != ty)
		return tx > ty ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct group **sorted(struct strmap *m, size_t *n)
{
	struct group **v;

	*n = strmap_count(m);
	v = xcalloc(*n, sizeof(*v));
	for (size_t i = 0; i < *n; i++)
		v[i] = strmap_value(m, i);
	qsort(v, *n, sizeof(*v), cmp_group);
	return v;
}

static void group_json(const struct group *g, bool process)
{
	json_t *o =
		json_pack("{s:s}", "type", process ? "process" : "container");

	if (process && g->has_pid)
		json_object_set_new(o, "pid", json_integer(g->pid));
	if (process && g->comm)
		json_object_set_new(o, "comm", json_string(g->comm));
	if (g->container)
		json_object_set_new(o, "container", json_string(g->container));
	json_object_set_new(o, "sent", json_integer(g->sent));
	json_object_set_new(o, "received", json_integer(g->received));
	json_object_set_new(o, "flows", json_integer(strmap_count(g->flows)));
	json_object_set_new(o, "hosts", json_integer(strmap_count(g->hosts)));
	json_object_set_new(o, "names", json_integer(strmap_count(g->names)));
	print_json(o);
	json_decref(o);
}

static void group_row(struct table *tb, const struct group *g, bool process)
{
	char pid[16] = "-", s[24], r[24], fl[24], h[24], nm[24];

	if (g->has_pid)
		snprintf(pid, sizeof(pid), "%u", g->pid);
	snprintf(s, sizeof(s), "%llu", (unsigned long long)g->sent);
	snprintf(r, sizeof(r), "%llu", (unsigned long long)g->received);
	snprintf(fl, sizeof(fl), "%zu", strmap_count(g->flows));
	snprintf(h, sizeof(h), "%zu", strmap_count(g->hosts));
	snprintf(nm, sizeof(nm), "%zu", strmap_count(g->names));
	if (process)
		table_add(tb, (const char *[]){ pid, g->comm, g->container, s,
						r, fl, h, nm });
	else
		table_add(tb,
			  (const char *[]){ g->container, s, r, fl, h, nm });
}

static void print_groups(const struct query *q, struct strmap *m, bool process)
{
	static const char *const phead[] = {
		"PID",	    "COMM",  "CONTAINER", "SENT",
		"RECEIVED", "FLOWS", "HOSTS",	  "NAMES",
	};
	static const char *const chead[] = {
		"CONTAINER", "SENT", "RECEIVED", "FLOWS", "HOSTS", "NAMES",
	};
	struct table *tb = process ? table_new("rllrrrrr", phead)
				   : table_new("lrrrrr", chead);
	struct group **v;
	size_t n, i;

	v = sorted(m, &n);
	for (i = 0; i < n; i++) {
		if (q->json)
			group_json(v[i], process);
		else
			group_row(tb, v[i], process);
	}
	if (!q->json)
		table_print(tb, stdout, q->header);
	table_free(tb);
	for (i = 0; i < n; i++) {
		free(v[i]->comm);
		free(v[i]->container);
		strmap_free(v[i]->flows);
		strmap_free(v[i]->hosts);
		strmap_free(v[i]->names);
		free(v[i]);
	}
	free(v);
}

static int show_summary(struct query *q)
{
	struct selection *s = &q->sel;
	struct strmap *procs = strmap_new(), *ctrs = strmap_new();
	size_t i, k, n = 0;

	for (i = 0; i < s->set.n; i++) {
		struct idx_chunk *c = s->set.chunks[i];

		for (k = 0; k < c->nflows; k++) {
			if (!idx_flow_match(&c->flows[k], s->expr, s->since,
					    s->until))
				continue;
			add_flow(procs, ctrs, &c->flows[k]);
			n++;
		}
	}
	if (n) {
		print_groups(q, procs, true);
		if (!q->json)
			putchar('\n');
		print_groups(q, ctrs, false);
	}
	strmap_free(procs);
	strmap_free(ctrs);
	return n ? EXIT_FOUND : EXIT_NOMATCH;
}

/* ---------------------------------------------------------------- main --- */

static void verify_all(struct query *q)
{
	struct selection *s = &q->sel;
	size_t i;

	q->verified = xcalloc(s->set.n, sizeof(*q->verified));
	q->now = xcalloc(s->set.n, sizeof(*q->now));
	for (i = 0; i < s->set.n; i++) {
		if (!in_range(s, s->set.chunks[i]))
			continue;
		q->verified[i] = chunk_verify(s->set.chunks[i], q->now[i]);
		if (verify_is_failure(q->verified[i]))
			q->verify_failed++;
	}
	if (!verify_summary(q->verify_failed, "see above"))
		pr_info("verified: no chunk in the time range differs from "
			"the SHA-256 in its index");
}

enum { OPT_FLOWS = OPT_TOOL, OPT_DNS, OPT_CHUNKS, OPT_SUMMARY, OPT_VERIFY };

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, 'r' },
	{ "flows", no_argument, NULL, OPT_FLOWS },
	{ "dns", no_argument, NULL, OPT_DNS },
	{ "chunks", no_argument, NULL, OPT_CHUNKS },
	{ "summary", no_argument, NULL, OPT_SUMMARY },
	{ "json", no_argument, NULL, 'j' },
	{ "no-header", no_argument, NULL, 'H' },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "verify", no_argument, NULL, OPT_VERIFY },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(struct query *q, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "r:jHqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FLOWS:
		case OPT_DNS:
		case OPT_CHUNKS:
		case OPT_SUMMARY:
			q->mode = c - OPT_FLOWS;
			break;
		case 'j':
			q->json = true;
			break;
		case 'H':
			q->header = false;
			break;
		case OPT_VERIFY:
			q->verify = true;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_FOUND);
		default:
			if (sel_option(&q->sel, c, optarg))
				return -EINVAL;
			break;
		}
	}
	return sel_expr(&q->sel, argc - optind, argv + optind);
}

int main(int argc, char **argv)
{
	struct query q = { .header = true };
	int rc;

	log_set_name("netrec-query");
	sel_init(&q.sel);
	/* Only flows and DNS messages are printed from their lines. */
	if (parse_args(&q, argc, argv) ||
	    sel_load(&q.sel,
		     q.json && (q.mode == M_FLOWS || q.mode == M_DNS))) {
		sel_free(&q.sel);
		return EXIT_USAGE;
	}
	if (q.verify)
		verify_all(&q);
	switch (q.mode) {
	case M_DNS:
		rc = show_dns(&q);
		break;
	case M_CHUNKS:
		rc = show_chunks(&q);
		break;
	case M_SUMMARY:
		rc = show_summary(&q);
		break;
	default:
		rc = show_flows(&q);
		break;
	}
	if (fflush(stdout) || ferror(stdout)) {
		pr_err("writing the output: %s", strerror(errno));
		rc = EXIT_USAGE;
	}
	if (q.verify_failed)
		rc = EXIT_USAGE;
	free(q.verified);
	free(q.now);
	sel_free(&q.sel);
	return rc;
}
