// SPDX-License-Identifier: GPL-2.0
/*
 * Reading the sidecar indexes of a capture directory (docs/INDEX.md).
 * Each index is read whole (decompressed with libzstd when it is .zst),
 * its first and last lines first: a chunk outside the time range costs
 * two lines of JSON.  Then every line is scanned (jscan.c: no allocation
 * but for the strings kept, in arenas) into a flow, DNS or HTTP record.
 * A few threads share the indexes: parsing is most of a query's time.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "fileio.h"
#include "idxread.h"
#include "index.h"
#include "jscan.h"
#include "log.h"
#include "outdir.h"
#include "packet.h"
#include "tool.h"

#define IDX_ZST_EXT INDEX_EXT ".zst"
/* An index bigger than this (uncompressed) is not one of ours. */
#define IDX_MAX (1ULL << 32)
/* Bad lines reported per file; the rest are counted. */
#define BAD_SHOWN 10
#define SCHEMA 1
/* Archives of output directories nest them; deeper than this is not ours. */
#define WALK_DEPTH 16

struct walk {
	struct idx_set *set;
	struct strmap *chunks; /* chunk files found (relative paths) */
	char **paths;	       /* relative to the directory */
	size_t n, cap;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_chunk_name(const char *s)
{
	return ends_with(s, ".pcap") || ends_with(s, ".pcapng") ||
	       ends_with(s, ".pcap.zst") || ends_with(s, ".pcapng.zst");
}

static bool is_index_name(const char *s)
{
	return ends_with(s, INDEX_EXT) || ends_with(s, IDX_ZST_EXT);
}

/* Notes an index or a chunk found beneath the directory (an outdir_fn). */
static int note_file(int fd, const char *sub, const char *name, int type,
		     void *arg)
{
	struct walk *w = arg;
	bool index = is_index_name(name);
	char *path;

	(void)fd;
	if (type != DT_REG || (!index && !is_chunk_name(name)))
		return 0;
	path = sub ? xasprintf("%s/%s", sub, name) : xstrdup(name);
	if (index) {
		xgrow((void **)&w->paths, &w->cap, w->n + 1, sizeof(*w->paths));
		w->paths[w->n++] = path;
		return 0;
	}
	w->set->chunk_files++;
	strmap_slot(w->chunks, path);
	free(path);
	return 0;
}

/* ---------------------------------------------------------------- files -- */

/* Buffers reused from one index to the next. */
struct iobuf {
	char *p;
	size_t cap;
};

static int read_all(int fd, struct iobuf *b, size_t *len)
{
	size_t n = 0;
	ssize_t r;

	for (;;) {
		if (n == b->cap) {
			if (b->cap >= IDX_MAX)
				return -EFBIG;
			xgrow((void **)&b->p, &b->cap, n + 1, 1);
		}
		r = read_retry(fd, b->p + n, b->cap - n);
		if (r < 0)
			return r;
		if (!r)
			break;
		n += r;
	}
	*len = n;
	return 0;
}

/* Decompress a whole .zst in memory; a cut-off frame keeps what it had. */
static int unzstd(const char *in, size_t in_len, struct iobuf *b, size_t *len,
		  const char **why)
{
	ZSTD_DStream *ds = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, in_len, 0 };
	size_t n = 0, r = 0;

	if (!ds)
		return -ENOMEM;
	ZSTD_initDStream(ds);
	for (;;) {
		if (b->cap - n < (1 << 15)) {
			if (b->cap >= IDX_MAX) {
				*why = "too big for an index";
				break;
			}
			xgrow((void **)&b->p, &b->cap, n + (1 << 16), 1);
		}
		ZSTD_outBuffer ob = { b->p + n, b->cap - n, 0 };

		r = ZSTD_decompressStream(ds, &ob, &ib);
		n += ob.pos;
		if (ZSTD_isError(r)) {
			*why = ZSTD_getErrorName(r);
			break;
		}
		/* All input used and all output out: done. */
		if (ib.pos == ib.size && ob.pos < ob.size)
			break;
	}
	if (!*why && r)
		*why = "the compressed index is cut short";
	ZSTD_freeDStream(ds);
	*len = n;
	return 0;
}

/* The index at @path, uncompressed, in @io[0] (@io[1] for a .zst's raw). */
static int load_file(const char *path, struct iobuf io[2], size_t *len)
{
	const char *why = NULL;
	bool zst = ends_with(path, ".zst");
	size_t n = 0;
	int fd, err;

	*len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_all(fd, &io[zst], &n);
	close(fd);
	if (err)
		return err;
	if (!zst) {
		*len = n;
		return 0;
	}
	err = unzstd(io[1].p, n, &io[0], len, &why);
	if (why)
		pr_warn("%s: %s; using what could be read", path, why);
	return err;
}

/* ---------------------------------------------------------------- lines -- */

struct reader {
	struct arena *arena; /* this thread's, for the records' strings */
	struct jobj *obj;    /* the line being read */
	const struct idx_opts *o;
	struct idx_chunk *c;
	unsigned int line;
	unsigned int shown;
	size_t flows_cap, dns_cap, http_cap;
};

static void bad_line(struct reader *rd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void bad_line(struct reader *rd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (rd->shown++ >= BAD_SHOWN)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_warn("%s:%u: %s", rd->c->idx_path, rd->line, msg);
}

/* Microseconds in the index: round there, not in nanoseconds. */
static bool get_time(const struct jobj *o, const char *k, int64_t *out)
{
	double d;

	if (!jnum(jget(o, k), &d) || !isfinite(d) || fabs(d) > 9e9)
		return false;
	*out = (int64_t)llround(d * 1e6) * 1000;
	return true;
}

static bool get_u64(const struct jobj *o, const char *k, uint64_t *out)
{
	return jint(jget(o, k), out);
}

/* A string member, decoded into the set's arena; NULL if absent. */
static char *get_str(struct reader *rd, const struct jobj *o, const char *k)
{
	const struct jval *v = jget(o, k);
	char *s;

	if (!v || v->type != J_STR)
		return NULL;
	s = arena_alloc(rd->arena, v->n + 1);
	return jstr(v, s, v->n + 1) < 0 ? NULL : s;
}

static bool get_addr(const struct jobj *o, const char *k, uint8_t *family,
		     uint8_t addr[16])
{
	const struct jval *v = jget(o, k);
	char s[INET6_ADDRSTRLEN + 1];
	uint8_t fam = 0;

	memset(addr, 0, 16);
	if (!v || jstr(v, s, sizeof(s)) < 0)
		return false;
	if (inet_pton(AF_INET, s, addr) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, s, addr) == 1)
		fam = 6;
	if (!fam || (*family && *family != fam))
		return false;
	*family = fam;
	return true;
}

static bool get_port(const struct jobj *o, const char *k, uint16_t *out)
{
	uint64_t v = 0;

	if (jget(o, k) && (!get_u64(o, k, &v) || v > 65535))
		return false;
	*out = v;
	return true;
}

/* "tcp", "udp", "icmp" (1 or 58 by family) or a number. */
static bool proto_num(const char *s, uint8_t family, uint8_t *out)
{
	uint64_t v;

	if (!s)
		return false;
	if (!strcmp(s, "tcp"))
		*out = 6;
	else if (!strcmp(s, "udp"))
		*out = 17;
	else if (!strcmp(s, "icmp"))
		*out = family == 6 ? 58 : 1;
	else if (!parse_ulong(s, 255, &v))
		*out = v;
	else
		return false;
	return true;
}

/* The strings of an array member (others are skipped), in the arena. */
static char **str_array(struct reader *rd, const struct jobj *o, const char *k,
			size_t *n)
{
	const struct jval *a = jget(o, k);
	struct jval e;
	size_t pos = 0, cap = 0;
	char **out = NULL, *s;

	*n = 0;
	if (!a || a->type != J_ARR)
		return NULL;
	while (jnext(a, &pos, &e)) {
		if (e.type != J_STR)
			continue;
		s = arena_alloc(rd->arena, e.n + 1);
		if (jstr(&e, s, e.n + 1) < 0)
			continue;
		xgrow((void **)&out, &cap, *n + 1, sizeof(*out));
		out[(*n)++] = s;
	}
	return out;
}

/* pid, comm, the user id, container. */
static void get_owner(struct reader *rd, const struct jobj *o,
		      struct expr_attrs *at, char **comm, char **cid,
		      char **cname)
{
	uint64_t v;

	if (get_u64(o, "pid", &v) && v <= UINT32_MAX) {
		at->has_pid = true;
		at->pid = v;
	}
	/* "user_id"; a numeric "uid" in indexes written before it. */
	if ((get_u64(o, "user_id", &v) || get_u64(o, "uid", &v)) &&
	    v <= UINT32_MAX) {
		at->has_uid = true;
		at->uid = v;
	}
	*comm = get_str(rd, o, "comm");
	*cid = get_str(rd, o, "container_id");
	if (cname)
		*cname = get_str(rd, o, "container_name");
	at->comm = *comm;
	at->container_id = *cid;
	at->container_name = cname ? *cname : NULL;
}

static bool get_ids(struct reader *rd, const struct jobj *o, uint8_t *family,
		    struct expr_attrs *at)
{
	*family = 0;
	if (!get_addr(o, "id.orig_h", family, at->orig)) {
		bad_line(rd, "no valid \"id.orig_h\"");
		return false;
	}
	if (!get_addr(o, "id.resp_h", family, at->resp)) {
		bad_line(rd, "no valid \"id.resp_h\" (of the same family)");
		return false;
	}
	if (!get_port(o, "id.orig_p", &at->orig_p) ||
	    !get_port(o, "id.resp_p", &at->resp_p)) {
		bad_line(rd, "a port is not a number from 0 to 65535");
		return false;
	}
	return true;
}

static void get_counts(const struct jobj *o, struct idx_flow *f)
{
	static const char *const keys[3][2] = {
		{ "orig_pkts", "resp_pkts" },
		{ "orig_bytes", "resp_bytes" },
		{ "orig_ip_bytes", "resp_ip_bytes" },
	};

	for (int s = 0; s < 2; s++) {
		get_u64(o, keys[0][s], &f->pkts[s]);
		get_u64(o, keys[1][s], &f->bytes[s]);
		get_u64(o, keys[2][s], &f->ip_bytes[s]);
	}
}

static void flow_times(struct reader *rd, const struct jobj *o,
		       struct idx_flow *f)
{
	bool ts = get_time(o, "ts", &f->ts);
	bool first = get_time(o, "first_ts", &f->first_ts);
	bool last = get_time(o, "last_ts", &f->last_ts);

	if (!first)
		f->first_ts = ts ? f->ts : rd->c->ts;
	if (!ts)
		f->ts = f->first_ts;
	if (!last)
		f->last_ts = f->first_ts;
}

/* The line's text, for --json. */
static char *keep_text(struct reader *rd, const char *line, size_t n)
{
	return rd->o->keep_json ? arena_strndup(rd->arena, line, n) : NULL;
}

static void parse_flow(struct reader *rd, const struct jobj *o,
		       const char *line, size_t n)
{
	struct idx_chunk *c = rd->c;
	struct idx_flow *f;

	xgrow((void **)&c->flows, &rd->flows_cap, c->nflows + 1,
	      sizeof(*c->flows));
	f = &c->flows[c->nflows];
	memset(f, 0, sizeof(*f));
	if (!get_ids(rd, o, &f->family, &f->at))
		return;
	f->proto_name = get_str(rd, o, "proto");
	if (!proto_num(f->proto_name, f->family, &f->proto)) {
		bad_line(rd, "no valid \"proto\"");
		return;
	}
	f->uid = get_str(rd, o, "uid");
	f->conn_state = get_str(rd, o, "conn_state");
	f->local_resp = jstr_eq(jget(o, "local"), "resp");
	f->has_cookie = get_u64(o, "cookie", &f->cookie);
	flow_times(rd, o, f);
	get_counts(o, f);
	f->has_offsets = get_u64(o, "first_offset", &f->first_offset) &&
			 get_u64(o, "last_offset", &f->last_offset) &&
			 f->first_offset <= f->last_offset;
	get_owner(rd, o, &f->at, &f->comm, &f->container_id,
		  &f->container_name);
	f->names = str_array(rd, o, "names", &f->nnames);
	f->at.flow_uid = f->uid;
	f->chunk = c;
	f->line = rd->line;
	f->text = keep_text(rd, line, n);
	c->nflows++;
}

/* The query and the CNAME targets among the answers. */
static void dns_names(struct idx_dns *d, const struct jobj *o)
{
	const struct jval *types = jget(o, "answer_types");
	struct jval t;
	size_t i, pos = 0;

	d->names = xcalloc(d->nanswers + 1, sizeof(*d->names));
	if (d->query)
		d->names[d->nnames++] = d->query;
	for (i = 0; types && i < d->nanswers && jnext(types, &pos, &t); i++)
		if (jstr_eq(&t, "CNAME"))
			d->names[d->nnames++] = d->answers[i];
	d->at.names = (const char *const *)d->names;
	d->at.nnames = d->nnames;
}

static void parse_dns(struct reader *rd, const struct jobj *o, const char *line,
		      size_t n)
{
	struct idx_chunk *c = rd->c;
	struct idx_dns *d;
	char *proto;

	xgrow((void **)&c->dns, &rd->dns_cap, c->ndns + 1, sizeof(*c->dns));
	d = &c->dns[c->ndns];
	memset(d, 0, sizeof(*d));
	if (!get_ids(rd, o, &d->family, &d->at))
		return;
	if (!get_time(o, "ts", &d->ts)) {
		bad_line(rd, "no valid \"ts\"");
		return;
	}
	proto = get_str(rd, o, "proto");
	if (!proto_num(proto, d->family, &d->proto))
		d->proto = 17;
	d->uid = get_str(rd, o, "uid");
	d->query = get_str(rd, o, "query");
	d->qtype = get_str(rd, o, "qtype_name");
	d->rcode = get_str(rd, o, "rcode_name");
	d->response = jget(o, "qr") && jget(o, "qr")->type == J_TRUE;
	d->answers = str_array(rd, o, "answers", &d->nanswers);
	get_owner(rd, o, &d->at, &d->comm, &d->container_id, NULL);
	dns_names(d, o);
	d->at.flow_uid = d->uid;
	d->chunk = c;
	d->line = rd->line;
	d->text = keep_text(rd, line, n);
	c->ndns++;
}

/* "example.com:8080" -> "example.com", "[fd00::1]:80" -> "fd00::1". */
static void strip_port(char *host)
{
	char *c;

	if (host[0] == '[' && (c = strchr(host, ']'))) {
		*c = '\0';
		memmove(host, host + 1, c - host);
		return;
	}
	c = strchr(host, ':');
	if (c && !strchr(c + 1, ':'))
		*c = '\0';
}

/* Only the Host of a request, without its port: a name of its flow. */
static void parse_http(struct reader *rd, const struct jobj *o)
{
	char *uid = get_str(rd, o, "uid"), *host = get_str(rd, o, "host");
	struct idx_chunk *c = rd->c;

	if (host)
		strip_port(host);
	if (!uid || !host || !*host)
		return;
	xgrow((void **)&c->http, &rd->http_cap, c->nhttp + 1, sizeof(*c->http));
	c->http[c->nhttp].uid = uid;
	c->http[c->nhttp].host = host;
	c->nhttp++;
}

/* The fields of a chunk line (the end line's win over the start's). */
static void chunk_fields(struct reader *rd, const struct jobj *o, bool end)
{
	struct idx_chunk *c = rd->c;
	const struct jval *v;
	char *sha;
	uint64_t x;

	if (get_time(o, "ts", &c->ts))
		c->has_ts = true;
	if (end && get_time(o, "end", &c->end_ts))
		c->has_end_ts = true;
	c->key = get_str(rd, o, "key") ?: c->key;
	if (get_u64(o, "snaplen", &x) && x <= UINT32_MAX)
		c->snaplen = x;
	if (!end)
		return;
	c->has_packets = get_u64(o, "packets", &c->packets);
	c->has_size = get_u64(o, "size", &c->size);
	v = jget(o, "index_complete");
	c->incomplete = v && v->type == J_FALSE;
	sha = get_str(rd, o, "sha256");
	c->sha256 = sha && strlen(sha) == 64 ? sha : NULL;
}

static void parse_chunk_line(struct reader *rd, const struct jobj *o,
			     const char *line, size_t n, bool first)
{
	const struct jval *ev = jget(o, "event");
	struct idx_chunk *c = rd->c;
	uint64_t schema;
	bool end = jstr_eq(ev, "end");

	if (!end && !jstr_eq(ev, "start")) {
		bad_line(rd, "a chunk line's \"event\" is start or end");
		return;
	}
	if (!end && !first) {
		bad_line(rd, "a chunk start line after the first line");
		return;
	}
	if (first && get_u64(o, "schema", &schema) && schema > SCHEMA)
		pr_warn("%s: schema %llu is newer than this tool (%d); "
			"reading what it knows",
			c->idx_path, (unsigned long long)schema, SCHEMA);
	chunk_fields(rd, o, end);
	if (end)
		c->end_text = arena_strndup(rd->arena, line, n);
	else
		c->start_text = arena_strndup(rd->arena, line, n);
}

static void parse_line(struct reader *rd, const char *line, size_t n,
		       bool first, bool last_unterminated)
{
	const struct jval *type;
	const char *why;
	size_t col;

	if (jscan(line, n, rd->obj, &why, &col)) {
		if (last_unterminated)
			bad_line(rd,
				 "truncated line (the index was cut short)");
		else
			bad_line(rd, "not JSON: %s (column %zu)", why, col);
		return;
	}
	type = jget(rd->obj, "type");
	if (jstr_eq(type, "flow"))
		parse_flow(rd, rd->obj, line, n);
	else if (jstr_eq(type, "dns"))
		parse_dns(rd, rd->obj, line, n);
	else if (jstr_eq(type, "http"))
		parse_http(rd, rd->obj);
	else if (jstr_eq(type, "chunk"))
		parse_chunk_line(rd, rd->obj, line, n, first);
	else if (!type || type->type != J_STR)
		bad_line(rd, "no \"type\"");
	/* Types of later schemas: skipped. */
}

/* ---------------------------------------------------------------- chunks - */

/* The chunk's start and end from its chunk lines, where they have them. */
/* The first and the last line: enough to skip a chunk out of range. */
static bool out_of_time(struct reader *rd, const char *buf, size_t len)
{
	const char *nl = memchr(buf, '\n', len), *last, *why;
	struct idx_chunk *c = rd->c;
	bool out = false;
	size_t col;

	if (rd->o->since == TIME_MIN && rd->o->until == TIME_MAX)
		return false;
	if (!nl || (size_t)(nl + 1 - buf) == len)
		return false;
	while (len && buf[len - 1] == '\n')
		len--;
	last = memrchr(buf, '\n', len);
	if (!jscan(buf, nl - buf, rd->obj, &why, &col) &&
	    jstr_eq(jget(rd->obj, "event"), "start") &&
	    get_time(rd->obj, "ts", &c->ts))
		out = c->ts >= rd->o->until;
	if (!out && last &&
	    !jscan(last + 1, len - (last + 1 - buf), rd->obj, &why, &col) &&
	    jstr_eq(jget(rd->obj, "event"), "end") &&
	    get_time(rd->obj, "end", &c->end_ts))
		out = c->end_ts < rd->o->since;
	return out;
}

static void parse_lines(struct reader *rd, const char *buf, size_t len)
{
	const char *p = buf, *end = buf + len, *nl;
	bool first = true;

	for (rd->line = 1; p < end; rd->line++, p = nl + 1) {
		nl = memchr(p, '\n', end - p);
		if (!nl)
			nl = end;
		if (nl == p) {
			bad_line(rd, "empty line");
			continue;
		}
		parse_line(rd, p, nl - p, first, nl == end);
		first = false;
	}
}

/* Times the chunk lines do not give, from the records. */
static void fill_times(struct idx_chunk *c)
{
	bool has_ts = c->has_ts, has_end = c->has_end_ts;
	int64_t lo = TIME_MAX, hi = TIME_MIN;
	size_t i;

	for (i = 0; i < c->nflows; i++) {
		lo = c->flows[i].first_ts < lo ? c->flows[i].first_ts : lo;
		hi = c->flows[i].last_ts > hi ? c->flows[i].last_ts : hi;
	}
	for (i = 0; i < c->ndns; i++) {
		lo = c->dns[i].ts < lo ? c->dns[i].ts : lo;
		hi = c->dns[i].ts > hi ? c->dns[i].ts : hi;
	}
	if (!has_ts)
		c->ts = lo;
	/* Cut short: the records it has, else open-ended. */
	if (!has_end)
		c->end_ts = hi != TIME_MIN ? hi : TIME_MAX;
	if (has_ts && hi > c->end_ts)
		c->end_ts = hi;
}

/* DIR/x.pcap.idx.jsonl[.zst] -> DIR/x.pcap, or DIR/x.pcap.zst. */
static void find_chunk(struct idx_set *set, struct idx_chunk *c,
		       const struct strmap *files)
{
	bool zst_first = ends_with(c->rel_idx, ".zst");
	size_t ext = strlen(zst_first ? IDX_ZST_EXT : INDEX_EXT);
	size_t n = strlen(c->rel_idx);
	char *base = strndup(c->rel_idx, n > ext ? n - ext : 0), *cand[2];

	if (!base)
		return;
	cand[zst_first ? 1 : 0] = xstrdup(base);
	cand[zst_first ? 0 : 1] = xasprintf("%s.zst", base);
	for (int i = 0; i < 2; i++) {
		/* The walk saw every regular chunk file: no stat here. */
		if (!c->chunk_path && strmap_has(files, cand[i])) {
			c->chunk_path = xasprintf("%s/%s", set->dir, cand[i]);
			c->rel_chunk = xstrdup(cand[i]);
			c->compressed = ends_with(cand[i], ".zst");
		}
		free(cand[i]);
	}
	if (!c->rel_chunk)
		c->rel_chunk = base;
	else
		free(base);
}

static void free_chunk(struct idx_chunk *c);

/* One index file: NULL when unreadable, empty or out of the time range. */
static struct idx_chunk *read_index(struct idx_set *set, const char *rel,
				    const struct idx_opts *o, struct jobj *obj,
				    struct iobuf io[2],
				    const struct strmap *files,
				    struct arena *arena)
{
	struct idx_chunk *c = xcalloc(1, sizeof(*c));
	struct reader rd = { .arena = arena, .obj = obj, .o = o, .c = c };
	const char *buf;
	size_t len = 0;
	int err;

	c->rel_idx = xstrdup(rel);
	c->idx_path = xasprintf("%s/%s", set->dir, rel);
	err = load_file(c->idx_path, io, &len);
	buf = io[0].p;
	if (err) {
		pr_warn("%s: cannot read: %s", c->idx_path, strerror(-err));
		goto skip;
	}
	if (out_of_time(&rd, buf, len))
		goto skip;
	parse_lines(&rd, buf, len);
	if (rd.shown > BAD_SHOWN)
		pr_warn("%s: %u more bad lines not shown", c->idx_path,
			rd.shown - BAD_SHOWN);
	if (!c->end_text && len)
		pr_warn("%s: no end line: the index was cut short (a crash?); "
			"using the %u lines it has",
			c->idx_path, rd.line - 1);
	fill_times(c);
	find_chunk(set, c, files);
	return c;
skip:
	free_chunk(c);
	return NULL;
}

/* ---------------------------------------------------------------- names -- */

struct namelist {
	char **names;
	size_t n, cap;
};

static void add_name(struct strmap *m, const char *uid, const char *name)
{
	struct namelist **slot = (struct namelist **)strmap_slot(m, uid), *l;

	if (!*slot)
		*slot = xcalloc(1, sizeof(**slot));
	l = *slot;
	if (str_in_nocase((const char *const *)l->names, l->n, name))
		return;
	xgrow((void **)&l->names, &l->cap, l->n + 1, sizeof(*l->names));
	l->names[l->n++] = xstrdup(name);
}

static void flow_add_names(struct arena *a, struct idx_flow *f,
			   const struct namelist *l)
{
	f->names = xrealloc(f->names, (f->nnames + l->n) * sizeof(*f->names));
	for (size_t i = 0; i < l->n; i++)
		if (!str_in_nocase((const char *const *)f->names, f->nnames,
				   l->names[i]))
			f->names[f->nnames++] = arena_strndup(
				a, l->names[i], strlen(l->names[i]));
}

/*
 * The DNS names a flow carried (queries, CNAMEs) and the HTTP hosts it
 * asked for are names of it too: "name x" finds the lookup as well as the
 * connection.
 */
static void link_names(struct idx_set *set)
{
	struct strmap *m = strmap_new();
	struct namelist *l;
	size_t i, k;

	for (i = 0; i < set->n; i++) {
		struct idx_chunk *c = set->chunks[i];

		for (k = 0; k < c->ndns; k++)
			for (size_t n = 0;
			     c->dns[k].uid && n < c->dns[k].nnames; n++)
				add_name(m, c->dns[k].uid, c->dns[k].names[n]);
		for (k = 0; k < c->nhttp; k++)
			add_name(m, c->http[k].uid, c->http[k].host);
	}
	for (i = 0; i < set->n; i++) {
		struct idx_chunk *c = set->chunks[i];

		for (k = 0; k < c->nflows; k++) {
			struct idx_flow *f = &c->flows[k];

			l = f->uid ? strmap_get(m, f->uid) : NULL;
			if (l)
				flow_add_names(set->arena, f, l);
			f->at.names = (const char *const *)f->names;
			f->at.nnames = f->nnames;
		}
	}
	for (i = 0; i < strmap_count(m); i++) {
		l = strmap_value(m, i);
		for (k = 0; k < l->n; k++)
			free(l->names[k]);
		free(l->names);
		free(l);
	}
	strmap_free(m);
}

/* ---------------------------------------------------------------- set ---- */

static int cmp_chunks(const void *a, const void *b)
{
	const struct idx_chunk *x = *(struct idx_chunk *const *)a;
	const struct idx_chunk *y = *(struct idx_chunk *const *)b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return strcmp(x->rel_idx, y->rel_idx);
}

/*
 * Reading the indexes the walk found, on a few threads: parsing is most of
 * a query's time.  Each has its own buffers and arena; the chunks land in
 * the walk's order, whatever thread read them.
 */
#define MAX_READERS 4

struct pool {
	struct idx_set *set;
	struct walk *w;
	const struct idx_opts *o;
	struct idx_chunk **out; /* one per path */
	size_t next;		/* the next path to take */
};

struct worker {
	struct pool *pool;
	struct arena *arena;
	pthread_t tid;
};

static void *read_some(void *arg)
{
	struct worker *wk = arg;
	struct pool *p = wk->pool;
	struct iobuf io[2] = { { 0 } };
	struct jobj *obj = xmalloc(sizeof(*obj));
	size_t i;

	while ((i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED)) <
	       p->w->n)
		p->out[i] = read_index(p->set, p->w->paths[i], p->o, obj, io,
				       p->w->chunks, wk->arena);
	free(obj);
	free(io[0].p);
	free(io[1].p);
	return NULL;
}

static void read_all_indexes(struct idx_set *set, struct walk *w,
			     const struct idx_opts *o)
{
	struct pool p = { set, w, o, xcalloc(w->n, sizeof(*p.out)), 0 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = cpus < 1 ? 1 : cpus > MAX_READERS ? MAX_READERS : cpus;
	struct worker wk[MAX_READERS];
	size_t i, started = 0;

	if (n > w->n / 8 + 1)
		n = w->n / 8 + 1; /* a few indexes: not worth a thread */
	for (i = 0; i < n; i++) {
		wk[i] = (struct worker){ &p, arena_new(), 0 };
		set->arenas[set->narenas++] = wk[i].arena;
		if (i && !pthread_create(&wk[i].tid, NULL, read_some, &wk[i]))
			started++;
	}
	read_some(&wk[0]);
	for (i = 1; i <= started; i++)
		pthread_join(wk[i].tid, NULL);
	set->chunks = xcalloc(w->n ? w->n : 1, sizeof(*set->chunks));
	for (i = 0; i < w->n; i++)
		if (p.out[i])
			set->chunks[set->n++] = p.out[i];
	free(p.out);
}

int idx_load(struct idx_set *set, const char *dir, const struct idx_opts *o)
{
	struct walk w = { .set = set };
	int fd, err = 0;

	memset(set, 0, sizeof(*set));
	set->dir = xstrdup(dir);
	set->arena = arena_new();
	set->arenas = xcalloc(MAX_READERS, sizeof(*set->arenas));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("%s: %s", dir, strerror(errno));
		return err;
	}
	w.chunks = strmap_new();
	err = outdir_walk_depth(fd, "indexes", WALK_DEPTH, note_file, &w);
	close(fd);
	if (err)
		goto out;
	set->indexes = w.n;
	read_all_indexes(set, &w, o);
	qsort(set->chunks, set->n, sizeof(*set->chunks), cmp_chunks);
	link_names(set);
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.paths[i]);
	free(w.paths);
	strmap_free(w.chunks);
	return err;
}

/* Strings are in the set's arena; arrays of them are not. */
static void free_chunk(struct idx_chunk *c)
{
	size_t i;

	for (i = 0; i < c->nflows; i++)
		free(c->flows[i].names);
	for (i = 0; i < c->ndns; i++) {
		free(c->dns[i].answers);
		free(c->dns[i].names);
	}
	free(c->flows);
	free(c->dns);
	free(c->http);
	free(c->idx_path);
	free(c->rel_idx);
	free(c->chunk_path);
	free(c->rel_chunk);
	free(c);
}

void idx_free(struct idx_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		free_chunk(set->chunks[i]);
	free(set->chunks);
	free(set->dir);
	arena_free(set->arena);
	for (size_t i = 0; i < set->narenas; i++)
		arena_free(set->arenas[i]);
	free(set->arenas);
	memset(set, 0, sizeof(*set));
}

/* ---------------------------------------------------------------- views -- */

/* A packet between the record's ends: resp to orig when @reply. */
static void fill_pkt(struct expr_pkt *p, uint8_t family, uint8_t proto,
		     bool ports, const struct expr_attrs *at, bool reply)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->proto = proto;
	p->has_ports = ports;
	memcpy(p->src, reply ? at->resp : at->orig, 16);
	memcpy(p->dst, reply ? at->orig : at->resp, 16);
	p->sport = reply ? at->resp_p : at->orig_p;
	p->dport = reply ? at->orig_p : at->resp_p;
	p->attrs = at;
}

/*
 * The packets of @f as the filter sees them: one per direction the flow
 * has packets in (orig to resp, then resp to orig).  Returns how many (0
 * to 2).
 */
static int flow_pkts(const struct idx_flow *f, struct expr_pkt out[2])
{
	/*
	 * pcap-filter's port primitives know TCP, UDP and SCTP only: not
	 * pkt_proto_has_ports(), which has UDP-Lite too.
	 */
	bool ports = f->proto == 6 || f->proto == 17 || f->proto == 132;
	/* Counts unknown (both 0): either way could be there. */
	bool any = !f->pkts[0] && !f->pkts[1];
	int n = 0;

	for (int side = 0; side < 2; side++)
		if (any || f->pkts[side])
			fill_pkt(&out[n++], f->family, f->proto, ports, &f->at,
				 side);
	return n;
}

bool idx_flow_match(const struct idx_flow *f, const struct expr *e,
		    int64_t since, int64_t until)
{
	struct expr_pkt p[2];
	int n;

	if (!idx_overlaps(f->first_ts, f->last_ts, since, until))
		return false;
	n = flow_pkts(f, p);
	for (int i = 0; i < n; i++)
		if (expr_match(e, &p[i]))
			return true;
	return false;
}

bool idx_dns_match(const struct idx_dns *d, const struct expr *e, int64_t since,
		   int64_t until)
{
	struct expr_pkt p;

	if (d->ts < since || d->ts >= until)
		return false;
	fill_pkt(&p, d->family, d->proto, true, &d->at, d->response);
	return expr_match(e, &p);
}

void idx_endpoint(char *buf, size_t len, uint8_t family, const uint8_t *a,
		  uint16_t port, bool ports)
{
	char s[INET6_ADDRSTRLEN];

	pkt_addr_str(family, a, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (family == 6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
}
