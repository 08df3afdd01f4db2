// SPDX-License-Identifier: GPL-2.0
/*
 * netrec-extract: the packets of the flows an expression matches, read at
 * the offsets the indexes give, merged across chunks in time order, the
 * second copy of a packet two split views both recorded dropped, written
 * as one pcap.
 */
#include <errno.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <pcap/dlt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hashtab.h"
#include "idxread.h"
#include "log.h"
#include "packet.h"
#include "pcapfile.h"
#include "pktread.h"
#include "select.h"
#include "tool.h"
#include "verify.h"

#define DEFAULT_SNAPLEN 262144
/* Flows this close together in a chunk are read in one sweep. */
#define RANGE_GAP (256 << 10)
/* The two copies of a packet of a local conversation are this close. */
#define DUP_WINDOW_NS 1000000LL
/* The pcap magic of nanosecond files. */
#define PCAP_NSEC_MAGIC 0xa1b23c4d

/* ---------------------------------------------------------------- tuples - */

/* Both directions of a conversation, as the flow table keys it. */
struct tuple {
	uint8_t family, proto, pad[2];
	uint16_t port[2];
	uint8_t addr[2][16];
};

static void make_tuple(struct tuple *t, uint8_t family, uint8_t proto,
		       const uint8_t *a, uint16_t ap, const uint8_t *b,
		       uint16_t bp)
{
	int c = memcmp(a, b, 16);
	bool swap = c > 0 || (c == 0 && ap > bp);

	memset(t, 0, sizeof(*t));
	t->family = family;
	t->proto = proto;
	if (!pkt_proto_has_ports(proto))
		ap = bp = 0;
	memcpy(t->addr[0], swap ? b : a, 16);
	memcpy(t->addr[1], swap ? a : b, 16);
	t->port[0] = swap ? bp : ap;
	t->port[1] = swap ? ap : bp;
}

/* ---------------------------------------------------------------- jobs --- */

struct cand {
	const struct idx_flow *f;
	struct cand *next;
};

struct range {
	uint64_t lo, hi; /* record offsets: first, and last one to read */
};

struct out_pkt {
	int64_t ts;
	uint32_t caplen, len;
	const uint8_t *data;
};

/* One chunk to read from. */
struct job {
	struct idx_chunk *c;
	unsigned int order;  /* for ties between chunks: the index order */
	unsigned int key_id; /* its split view (the index's key) */
	const struct idx_flow **flows;
	size_t nflows, cap;
	int64_t start; /* no packet of it comes earlier */
	struct range *ranges;
	size_t nranges, cur;
	bool have_last; /* a record of the current range was read: */
	uint64_t last;	/* its offset */
	bool whole;	/* a flow without offsets: read it all */
	struct hashtab *by_tuple;
	struct cand *cands;
	struct pkt_src *src;
	struct out_pkt pkt; /* the next packet to write */
	bool broken;	    /* missing, or not read to the end of its ranges */
	uint64_t read, kept, dups;
	enum verify_result verified;
};

struct extract {
	struct selection sel;
	const char *out;
	uint64_t max_pkts, max_bytes;
	bool verify, dedup;
	struct job *jobs;
	size_t njobs;
	struct job **heap;
	size_t nheap;
	pcap_dumper_t *dumper;
	pcap_t *dead;
	struct digest *digest; /* of the output, when it is a file to keep */
	uint64_t written, bytes;
	bool limited;
	int mismatches;
	struct dedup *dd;
};

static void add_flow(struct job *j, const struct idx_flow *f)
{
	xgrow((void **)&j->flows, &j->cap, j->nflows + 1, sizeof(*j->flows));
	j->flows[j->nflows++] = f;
	if (f->first_ts < j->start)
		j->start = f->first_ts;
	if (!f->has_offsets)
		j->whole = true;
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* The flows' [first_offset, last_offset], merged when near. */
static void make_ranges(struct job *j)
{
	size_t i, n = 0;

	j->ranges = xcalloc(j->nflows, sizeof(*j->ranges));
	if (j->whole) {
		j->ranges[0] = (struct range){ 0, UINT64_MAX };
		j->nranges = 1;
		return;
	}
	for (i = 0; i < j->nflows; i++)
		j->ranges[i] = (struct range){ j->flows[i]->first_offset,
					       j->flows[i]->last_offset };
	qsort(j->ranges, j->nflows, sizeof(*j->ranges), cmp_range);
	for (i = 1; i < j->nflows; i++) {
		struct range *r = &j->ranges[n];

		if (j->ranges[i].lo <= r->hi + RANGE_GAP) {
			if (j->ranges[i].hi > r->hi)
				r->hi = j->ranges[i].hi;
			continue;
		}
		j->ranges[++n] = j->ranges[i];
	}
	j->nranges = n + 1;
}

static void index_flows(struct job *j)
{
	struct tuple t;
	struct cand *c;

	j->by_tuple = hashtab_new(sizeof(struct tuple));
	j->cands = xcalloc(j->nflows, sizeof(*j->cands));
	if (!j->by_tuple)
		oom();
	for (size_t i = 0; i < j->nflows; i++) {
		const struct idx_flow *f = j->flows[i];

		make_tuple(&t, f->family, f->proto, f->at.orig, f->at.orig_p,
			   f->at.resp, f->at.resp_p);
		c = &j->cands[i];
		c->f = f;
		c->next = hashtab_get(j->by_tuple, &t);
		if (hashtab_put(j->by_tuple, &t, c))
			oom();
	}
}

/* The split view of a chunk: the index's key, else its file name. */
static unsigned int key_id(struct strmap *keys, const struct idx_chunk *c)
{
	void **slot = strmap_slot(keys, c->key ? c->key : c->rel_chunk);

	if (!*slot)
		*slot = (void *)(uintptr_t)strmap_count(keys);
	return (uintptr_t)*slot;
}

/* A job per chunk in the time range with matching flows. */
static void plan(struct extract *x)
{
	struct selection *s = &x->sel;
	struct strmap *keys = strmap_new();
	size_t i, k;

	x->jobs = xcalloc(s->set.n, sizeof(*x->jobs));
	for (i = 0; i < s->set.n; i++) {
		struct idx_chunk *c = s->set.chunks[i];
		struct job *j = &x->jobs[x->njobs];

		j->start = TIME_MAX;
		for (k = 0; k < c->nflows; k++)
			if (idx_flow_match(&c->flows[k], s->expr, s->since,
					   s->until))
				add_flow(j, &c->flows[k]);
		if (!j->nflows)
			continue;
		j->c = c;
		j->order = x->njobs++;
		j->key_id = key_id(keys, c);
		if (j->start < s->since)
			j->start = s->since;
		make_ranges(j);
		index_flows(j);
	}
	strmap_free(keys);
}

static void free_job(struct job *j)
{
	pkt_src_close(j->src);
	hashtab_free(j->by_tuple);
	free(j->cands);
	free(j->ranges);
	free(j->flows);
}

/* ---------------------------------------------------------------- reading */

static bool cand_match(const struct cand *c, const struct pkt_rec *r,
		       struct expr_pkt *p, const struct selection *s)
{
	const struct idx_flow *f = c->f;

	/* The record is within this flow's part of the chunk. */
	if (f->has_offsets &&
	    (r->offset < f->first_offset || r->offset > f->last_offset))
		return false;
	p->attrs = &f->at;
	return expr_match(s->expr, p);
}

/* Does the record belong to a matching flow, and match itself? */
static bool keep(const struct job *j, const struct pkt_rec *r,
		 const struct selection *s)
{
	const uint32_t lh = PCAP_NULL_HDR_LEN;
	struct pkt_info pi;
	struct expr_pkt p;
	struct tuple t;
	const struct cand *c;
	bool ports;

	if (r->ts < s->since || r->ts >= s->until || r->caplen < lh)
		return false;
	if (pkt_parse(r->data + lh, r->caplen - lh,
		      r->len >= lh ? r->len - lh : 0, &pi))
		return false;
	ports = pi.has_l4 && pkt_proto_has_ports(pi.proto);
	make_tuple(&t, pi.family, pi.proto, pi.saddr, ports ? pi.sport : 0,
		   pi.daddr, ports ? pi.dport : 0);
	memset(&p, 0, sizeof(p));
	p.family = pi.family;
	p.proto = pi.proto;
	/*
	 * pkt_parse() reads the ports of TCP and UDP only, both of which
	 * pcap's port primitives take: the tuple's ports are the filter's.
	 */
	p.has_ports = ports;
	memcpy(p.src, pi.saddr, 16);
	memcpy(p.dst, pi.daddr, 16);
	p.sport = pi.sport;
	p.dport = pi.dport;
	for (c = hashtab_get(j->by_tuple, &t); c; c = c->next)
		if (cand_match(c, r, &p, s))
			return true;
	return false;
}

static void job_fail(struct job *j, int err)
{
	const char *why = strerror(-err);

	if (err == -EBADMSG)
		why = "not a record where the index points (a damaged file, "
		      "or not its index?)";
	else if (!err)
		why = "the file ends before the packets its index points at";
	pr_err("%s: %s%s", j->c->chunk_path, why,
	       j->whole ? "" : "; skipping the rest of this part");
	j->broken = true;
}

/* The next packet to write from @j into j->pkt; false when none is left. */
static bool job_next(struct job *j, const struct selection *s)
{
	struct pkt_rec r;
	int n;

	while (j->cur < j->nranges) {
		const struct range *rg = &j->ranges[j->cur];

		n = pkt_src_next(j->src, &r);
		if (n <= 0 || r.offset > rg->hi) {
			/* The file ending before the range's last record. */
			if (n < 0 || (!n && rg->hi != UINT64_MAX &&
				      (!j->have_last || j->last < rg->hi)))
				job_fail(j, n);
			j->have_last = false;
			if (++j->cur < j->nranges)
				pkt_src_seek(j->src, j->ranges[j->cur].lo);
			continue;
		}
		j->have_last = true;
		j->last = r.offset;
		j->read++;
		if (!keep(j, &r, s))
			continue;
		j->kept++;
		j->pkt = (struct out_pkt){ r.ts, r.caplen, r.len, r.data };
		return true;
	}
	pkt_src_close(j->src);
	j->src = NULL;
	return false;
}

static bool job_open(struct job *j, const struct selection *s)
{
	int err;

	if (!j->c->chunk_path) {
		pr_err("%s: the chunk is missing (its index is %s): its "
		       "packets cannot be extracted",
		       j->c->rel_chunk, j->c->idx_path);
		j->broken = true;
		return false;
	}
	err = pkt_src_open(&j->src, j->c->chunk_path, j->c->compressed);
	if (err) {
		pr_err("%s: %s", j->c->chunk_path,
		       err == -EPROTONOSUPPORT ? "not LINKTYPE_NULL"
		       : err == -EBADMSG       ? "not a pcap or pcapng file"
					       : strerror(-err));
		j->broken = true;
		return false;
	}
	pkt_src_seek(j->src, j->ranges[0].lo);
	return job_next(j, s);
}

/* ---------------------------------------------------------------- heap --- */

static bool before(const struct job *a, const struct job *b)
{
	if (a->pkt.ts != b->pkt.ts)
		return a->pkt.ts < b->pkt.ts;
	return a->order < b->order;
}

static void heap_push(struct extract *x, struct job *j)
{
	size_t i = x->nheap++, p;

	while (i && before(j, x->heap[p = (i - 1) / 2])) {
		x->heap[i] = x->heap[p];
		i = p;
	}
	x->heap[i] = j;
}

static struct job *heap_pop(struct extract *x)
{
	struct job *top = x->heap[0], *last = x->heap[--x->nheap];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < x->nheap) {
		if (c + 1 < x->nheap && before(x->heap[c + 1], x->heap[c]))
			c++;
		if (!before(x->heap[c], last))
			break;
		x->heap[i] = x->heap[c];
		i = c;
	}
	if (x->nheap)
		x->heap[i] = last;
	return top;
}

/* ---------------------------------------------------------------- dups --- */

/*
 * A packet between two local sockets is recorded twice, in the sender's
 * file as it left and in the receiver's as it arrived, byte for byte the
 * same, microseconds apart.  The second copy is dropped when it has the
 * same captured bytes and lengths as a packet written less than
 * DUP_WINDOW_NS before it from another split view (another index key),
 * and that packet has not been paired with a copy already: so a packet
 * sent twice is written twice.
 */
struct seen {
	int64_t ts;
	unsigned int key_id;
	uint32_t caplen, len;
	uint64_t hash;
	bool paired;
	uint8_t *data;
	struct seen *next_same; /* same hash, newer first */
	struct seen *next_age;	/* newer */
};

struct dedup {
	struct hashtab *by_hash; /* hash -> newest struct seen */
	struct seen *oldest, *newest;
};

static struct dedup *dedup_new(void)
{
	struct dedup *d = xcalloc(1, sizeof(*d));

	d->by_hash = hashtab_new(sizeof(uint64_t));
	if (!d->by_hash)
		oom();
	return d;
}

/* Forget what was written more than the window before @now. */
static void dedup_expire(struct dedup *d, int64_t now)
{
	struct seen *s, *head, *q;

	while ((s = d->oldest) && now - s->ts > DUP_WINDOW_NS) {
		d->oldest = s->next_age;
		if (!d->oldest)
			d->newest = NULL;
		/* The oldest of the window is the last of its chain. */
		head = hashtab_get(d->by_hash, &s->hash);
		if (head == s) {
			hashtab_del(d->by_hash, &s->hash);
		} else {
			for (q = head; q && q->next_same != s; q = q->next_same)
				;
			if (q)
				q->next_same = NULL;
		}
		free(s->data);
		free(s);
	}
}

/* True when @p is the second copy of a packet written from another view. */
static bool dedup_check(struct dedup *d, const struct out_pkt *p,
			unsigned int key_id)
{
	uint64_t h = hash_bytes(p->data, p->caplen) ^ p->len;
	struct seen *s, *match = NULL;

	dedup_expire(d, p->ts);
	for (s = hashtab_get(d->by_hash, &h); s; s = s->next_same)
		if (!s->paired && s->key_id != key_id &&
		    s->caplen == p->caplen && s->len == p->len &&
		    !memcmp(s->data, p->data, p->caplen))
			match = s; /* the oldest one wins */
	if (match) {
		match->paired = true;
		return true;
	}
	s = xcalloc(1, sizeof(*s));
	*s = (struct seen){ p->ts, key_id, p->caplen,	       p->len,
			    h,	   false,  xmalloc(p->caplen), NULL,
			    NULL };
	memcpy(s->data, p->data, p->caplen);
	s->next_same = hashtab_get(d->by_hash, &h);
	if (hashtab_put(d->by_hash, &h, s))
		oom();
	if (d->newest)
		d->newest->next_age = s;
	else
		d->oldest = s;
	d->newest = s;
	return false;
}

static void dedup_free(struct dedup *d)
{
	if (!d)
		return;
	dedup_expire(d, TIME_MAX);
	hashtab_free(d->by_hash);
	free(d);
}

/* ---------------------------------------------------------------- output - */

static uint32_t out_snaplen(const struct extract *x)
{
	uint32_t snap = 0;

	for (size_t i = 0; i < x->njobs; i++) {
		if (!x->jobs[i].c->snaplen)
			return DEFAULT_SNAPLEN;
		if (x->jobs[i].c->snaplen > snap)
			snap = x->jobs[i].c->snaplen;
	}
	return snap ? snap : DEFAULT_SNAPLEN;
}

/*
 * The SHA-256 of the output is taken as it is written, not read back:
 * starting with the file header as pcap_dump_open() writes it (libpcap's
 * sf_write_header(); LINKTYPE_NULL is DLT_NULL's 0).  NULL without
 * memory: no digest is reported then.
 */
static struct digest *output_digest(uint32_t snaplen)
{
	struct pcap_file_header h = {
		.magic = PCAP_NSEC_MAGIC,
		.version_major = PCAP_VERSION_MAJOR,
		.version_minor = PCAP_VERSION_MINOR,
		.snaplen = snaplen,
		.linktype = DLT_NULL,
	};
	struct digest *d = digest_sha256_new();

	_Static_assert(sizeof(h) == PCAP_FILE_HDR_LEN, "pcap file header");
	if (d)
		digest_update(d, &h, sizeof(h));
	return d;
}

static int open_output(struct extract *x)
{
	uint32_t snaplen = out_snaplen(x);
	struct stat st;

	x->dead = pcap_open_dead_with_tstamp_precision(
		DLT_NULL, snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (!x->dead) {
		pr_err("libpcap: cannot make a pcap handle");
		return -ENOMEM;
	}
	x->dumper = pcap_dump_open(x->dead, x->out);
	if (!x->dumper) {
		pr_err("%s: %s", x->out, pcap_geterr(x->dead));
		return -EIO;
	}
	x->bytes = PCAP_FILE_HDR_LEN;
	/* A file to keep: a regular file named as given, not a symlink. */
	if (strcmp(x->out, "-") && !lstat(x->out, &st) && S_ISREG(st.st_mode))
		x->digest = output_digest(snaplen);
	return 0;
}

/* Write @p unless a limit says stop: false then. */
static bool emit(struct extract *x, const struct job *j)
{
	const struct out_pkt *p = &j->pkt;
	struct pcap_pkthdr h;
	struct sf_pkthdr sf;

	if (x->max_pkts && x->written >= x->max_pkts) {
		x->limited = true;
		return false;
	}
	if (x->max_bytes && x->bytes + sizeof(sf) + p->caplen > x->max_bytes) {
		x->limited = true;
		return false;
	}
	/* With nanosecond precision, tv_usec holds nanoseconds. */
	h.ts.tv_sec = p->ts / NS_PER_SEC;
	h.ts.tv_usec = p->ts % NS_PER_SEC;
	h.caplen = p->caplen;
	h.len = p->len;
	pcap_dump((u_char *)x->dumper, &h, p->data);
	if (x->digest) {
		sf = (struct sf_pkthdr){
			.sec = h.ts.tv_sec,
			.frac = h.ts.tv_usec,
			.caplen = h.caplen,
			.len = h.len,
		};
		digest_update(x->digest, &sf, sizeof(sf));
		digest_update(x->digest, p->data, p->caplen);
	}
	x->written++;
	x->bytes += sizeof(sf) + p->caplen;
	return true;
}

static void activate(struct extract *x, size_t *next)
{
	struct job *j;

	while (*next < x->njobs) {
		j = &x->jobs[*next];
		if (x->nheap && j->start > x->heap[0]->pkt.ts)
			break;
		(*next)++;
		if (job_open(j, &x->sel))
			heap_push(x, j);
	}
}

static int cmp_jobs(const void *a, const void *b)
{
	const struct job *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* The k-way merge: jobs join as time reaches their first flow. */
static void merge(struct extract *x)
{
	size_t next = 0;
	struct job *j;

	qsort(x->jobs, x->njobs, sizeof(*x->jobs), cmp_jobs);
	x->heap = xcalloc(x->njobs ? x->njobs : 1, sizeof(*x->heap));
	for (;;) {
		activate(x, &next);
		if (!x->nheap)
			break;
		j = heap_pop(x);
		if (x->dd && dedup_check(x->dd, &j->pkt, j->key_id)) {
			j->dups++;
		} else if (!emit(x, j)) {
			break;
		}
		if (job_next(j, &x->sel))
			heap_push(x, j);
	}
}

/* ---------------------------------------------------------------- custody */

static void verify_jobs(struct extract *x)
{
	char got[SHA256_HEX_LEN];

	for (size_t i = 0; i < x->njobs; i++) {
		struct job *j = &x->jobs[i];

		j->verified = chunk_verify(j->c, got);
		if (verify_is_failure(j->verified))
			x->mismatches++;
	}
}

static const char *custody_word(const struct extract *x, const struct job *j)
{
	if (!x->verify)
		return "not verified (--no-verify)";
	switch (j->verified) {
	case VERIFY_OK:
		return "verified";
	case VERIFY_MISMATCH:
		return "MISMATCH: the file no longer has this SHA-256";
	case VERIFY_NO_SHA:
		return "no SHA-256 in its index";
	case VERIFY_MISSING:
		return "file missing";
	default:
		return "could not be verified";
	}
}

static void log_start(const struct extract *x)
{
	char range[2 * TIME_STR_LEN + 16];

	sel_range_str(&x->sel, range, sizeof(range));
	pr_info("directory: %s", x->sel.dir);
	pr_info("expression: %s", *x->sel.text ? x->sel.text : "(none)");
	pr_info("time: %s", range);
}

static void log_end(const struct extract *x, const char *out_sha)
{
	for (size_t i = 0; i < x->njobs; i++) {
		const struct job *j = &x->jobs[i];

		pr_info("chunk %s: sha256 %s (%s): %llu packets read, "
			"%llu matched, %llu duplicates dropped%s",
			j->c->rel_chunk, j->c->sha256 ? j->c->sha256 : "-",
			custody_word(x, j), (unsigned long long)j->read,
			(unsigned long long)j->kept,
			(unsigned long long)j->dups,
			j->broken ? "; NOT READ IN FULL (see above)" : "");
	}
	pr_info("wrote %llu packets (%llu bytes) to %s%s%s%s",
		(unsigned long long)x->written, (unsigned long long)x->bytes,
		strcmp(x->out, "-") ? x->out : "standard output",
		out_sha ? ", sha256 " : "", out_sha ? out_sha : "",
		x->limited ? " (stopped at the limit)" : "");
	verify_summary(x->mismatches, "their packets were extracted, but the "
				      "evidence may have been altered");
}

/* ---------------------------------------------------------------- main --- */

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: netrec-extract [-r DIR] -w FILE [-c COUNT] "
		"[--max-bytes SIZE]\n"
		"                      [--since TIME] [--until TIME] "
		"[--no-verify] [EXPRESSION]\n"
		"\n"
		"Write the packets of a netrec capture directory that match "
		"EXPRESSION in\n"
		"the time range into one pcap (nanosecond, LINKTYPE_NULL), in "
		"time order\n"
		"across chunks and split files, reading only the parts of the "
		"chunks the\n"
		"indexes point at.\n"
		"\n"
		"  -r, --dir DIR       capture directory (default "
		"./" DEFAULT_DIR ")\n"
		"  -w, --write FILE    the pcap to write; - for standard "
		"output\n"
		"  -c, --count N       stop after N packets\n"
		"      --max-bytes SIZE  stop before the file would exceed "
		"SIZE bytes\n"
		"                      (k, m, g: KiB, MiB, GiB)\n"
		"      --since TIME, --until TIME\n"
		"                      only packets in [since, until): RFC "
		"3339, @SECONDS,\n"
		"                      or a duration before now (90s, 15m, "
		"2h, 3d)\n"
		"      --no-verify     do not check the chunks read against "
		"the SHA-256\n"
		"                      their indexes recorded\n"
		"      --keep-duplicates  keep both copies of packets recorded "
		"by two\n"
		"                      split views (both ends local)\n"
		"  -q, --quiet         no log of what was exported\n"
		"  -h, --help          this help\n"
		"  -V, --version       the version\n"
		"\n"
		"EXPRESSION is netrec-query's (see netrec-query --help): "
		"pcap-filter's\n"
		"words plus name, pid, comm, container, uid, flow, orig, "
		"resp.\n"
		"\n"
		"Examples:\n"
		"  netrec-extract -r /var/lib/netrec -w web.pcap --since 1h "
		"container web\n"
		"  netrec-extract -r /var/lib/netrec -w - pid 4242 | tcpdump "
		"-nn -r -\n"
		"  netrec-extract -r /var/lib/netrec -w - name '*.example.com' "
		"| wireshark -k -i -\n"
		"  netrec-extract -r /var/lib/netrec -w x.pcap -c 1000 host "
		"10.0.0.5 and port 443\n"
		"\n"
		"What was exported (expression, time range, each chunk with "
		"the SHA-256\n"
		"from its index) is logged on standard error.  Exit status: 0 "
		"packets\n"
		"written, 1 nothing matched, 2 usage or input error (also a "
		"chunk whose\n"
		"SHA-256 no longer matches its index).\n");
}

enum { OPT_MAX_BYTES = OPT_TOOL, OPT_NO_VERIFY, OPT_DUPS };

static const struct option longopts[] = {
	{ "dir", required_argument, NULL, 'r' },
	{ "write", required_argument, NULL, 'w' },
	{ "count", required_argument, NULL, 'c' },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "no-verify", no_argument, NULL, OPT_NO_VERIFY },
	{ "keep-duplicates", no_argument, NULL, OPT_DUPS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(struct extract *x, int argc, char **argv)
{
	int c;

	while ((c = getopt_long(argc, argv, "r:w:c:qhV", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'w':
			x->out = optarg;
			break;
		case 'c':
			if (parse_ulong(optarg, UINT64_MAX, &x->max_pkts) ||
			    !x->max_pkts) {
				pr_err("-c '%s': a number of packets, 1 or "
				       "more",
				       optarg);
				return -EINVAL;
			}
			break;
		case OPT_MAX_BYTES:
			if (parse_bytes(optarg, &x->max_bytes) ||
			    !x->max_bytes) {
				pr_err("--max-bytes '%s': a size in bytes "
				       "(k, m, g for KiB, MiB, GiB)",
				       optarg);
				return -EINVAL;
			}
			break;
		case OPT_NO_VERIFY:
			x->verify = false;
			break;
		case OPT_DUPS:
			x->dedup = false;
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_FOUND);
		default:
			if (sel_option(&x->sel, c, optarg))
				return -EINVAL;
			break;
		}
	}
	if (!x->out) {
		pr_err("no output: give -w FILE (or -w - for standard "
		       "output)");
		return -EINVAL;
	}
	if (!strcmp(x->out, "-") && isatty(STDOUT_FILENO)) {
		pr_err("-w -: standard output is a terminal; pipe it into "
		       "tcpdump -r - or give a file");
		return -EINVAL;
	}
	return sel_expr(&x->sel, argc - optind, argv + optind);
}

/* Every chunk may be open at once in the merge. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int run(struct extract *x)
{
	char sha[SHA256_HEX_LEN] = "";

	plan(x);
	log_start(x);
	if (x->verify)
		verify_jobs(x);
	if (open_output(x))
		return EXIT_USAGE;
	if (x->dedup)
		x->dd = dedup_new();
	merge(x);
	pcap_dump_flush(x->dumper);
	if (ferror(pcap_dump_file(x->dumper))) {
		pr_err("%s: write error", x->out);
		return EXIT_USAGE;
	}
	pcap_dump_close(x->dumper);
	x->dumper = NULL;
	if (x->digest)
		digest_final_hex(x->digest, sha);
	log_end(x, sha[0] ? sha : NULL);
	for (size_t i = 0; i < x->njobs; i++)
		if (x->jobs[i].broken)
			return EXIT_USAGE;
	if (x->mismatches)
		return EXIT_USAGE;
	return x->written ? EXIT_FOUND : EXIT_NOMATCH;
}

int main(int argc, char **argv)
{
	struct extract x = { .verify = true, .dedup = true };
	int rc;

	log_set_name("netrec-extract");
	sel_init(&x.sel);
	raise_nofile();
	if (parse_args(&x, argc, argv) || sel_load(&x.sel, false)) {
		sel_free(&x.sel);
		return EXIT_USAGE;
	}
	rc = run(&x);
	for (size_t i = 0; i < x.njobs; i++)
		free_job(&x.jobs[i]);
	free(x.jobs);
	free(x.heap);
	dedup_free(x.dd);
	digest_free(x.digest);
	if (x.dumper)
		pcap_dump_close(x.dumper);
	if (x.dead)
		pcap_close(x.dead);
	sel_free(&x.sel);
	return rc;
}
