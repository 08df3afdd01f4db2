// SPDX-License-Identifier: GPL-2.0
/*
 * The flow table of the index (see flow.h).  Three LRU lists, one per idle
 * timeout, so that expiring is popping tails: never a walk of the table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "communityid.h"
#include "flow.h"
#include "hashtab.h"

/* A flow's two ends and namespace: the key of the tables by ends. */
#define ENDS_KEY_LEN 44

enum lru_class { LRU_CLOSED, LRU_TCP, LRU_OTHER, LRU_N };

struct lru {
	struct flow head;
	uint64_t timeout;
};

/*
 * Flows looked up lately, by a cheap hash of the key: a local exchange
 * alternates two sockets' flows, and an unowned packet is looked up for
 * its owner and then for its flow.  An entry is good while its flow's key
 * is the one wanted: re-keying a flow (adopt) needs no care, freeing does.
 */
#define RECENT_N 16

struct flow_table {
	struct flow_config cfg;
	struct hashtab *flows; /* key -> struct flow */
	struct flow *recent[RECENT_N];
	/* Server ends of handshakes: ends (ends_key()) -> struct flow */
	struct hashtab *accepting;
	/* TCP flows with an owner, by their ends */
	struct hashtab *owned;
	struct lru lru[LRU_N];
	uint64_t seed[2], next_id;
	size_t count;
	size_t dns_bufs; /* DNS over TCP messages being put together */
};

/* The letters of Zeek's history, each recorded once per side. */
static const char letters[] = "SHADFRT";

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static void base62(char *out, uint64_t v, int n)
{
	static const char digits[] =
		"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

	for (int i = 0; i < n; i++, v /= 62)
		out[i] = digits[v % 62];
}

/* Unique in this run, unguessable across runs: "C" and 16 base62 digits. */
static void make_uid(struct flow_table *t, char uid[20])
{
	uint64_t id = t->next_id++;

	uid[0] = 'C';
	base62(uid + 1, mix64(t->seed[0] ^ id), 8);
	base62(uid + 9, mix64(t->seed[1] + id), 8);
	uid[17] = '\0';
}

static void lru_unlink(struct flow *f)
{
	f->lru_prev->lru_next = f->lru_next;
	f->lru_next->lru_prev = f->lru_prev;
}

static void lru_push(struct lru *l, struct flow *f)
{
	f->lru_next = l->head.lru_next;
	f->lru_prev = &l->head;
	l->head.lru_next->lru_prev = f;
	l->head.lru_next = f;
}

static enum lru_class class_of(const struct flow *f)
{
	if (f->proto != IPPROTO_TCP)
		return LRU_OTHER;
	return f->closed ? LRU_CLOSED : LRU_TCP;
}

struct flow_table *flow_table_new(const struct flow_config *cfg)
{
	struct flow_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cfg = *cfg;
	t->flows = hashtab_new(sizeof(((struct flow *)0)->key));
	t->accepting = hashtab_new(ENDS_KEY_LEN);
	t->owned = hashtab_new(ENDS_KEY_LEN);
	if (!t->flows || !t->accepting || !t->owned) {
		hashtab_free(t->flows);
		hashtab_free(t->accepting);
		hashtab_free(t->owned);
		free(t);
		return NULL;
	}
	if (getrandom(t->seed, sizeof(t->seed), 0) != sizeof(t->seed)) {
		t->seed[0] = (uintptr_t)t ^ cfg->start_ts;
		t->seed[1] = mix64(t->seed[0]);
	}
	for (int i = 0; i < LRU_N; i++)
		t->lru[i].head.lru_next = t->lru[i].head.lru_prev =
			&t->lru[i].head;
	t->lru[LRU_CLOSED].timeout = cfg->closed_idle_ns;
	t->lru[LRU_TCP].timeout = cfg->tcp_idle_ns;
	t->lru[LRU_OTHER].timeout = cfg->other_idle_ns;
	return t;
}

static void free_slice(struct flow_slice *s)
{
	struct flow_slices *c = s->chunk;

	if (s->prev)
		s->prev->next = s->next;
	else
		c->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	c->count--;
	free(s);
}

/*
 * A connection's handshake reaches the listening socket, the rest the
 * socket accept() gives: two cookies, one conversation.  The listener's
 * flow is kept here by its two ends, for the accepted socket to take
 * over, so the server's view is one flow that knows its originator.
 * The ends are a namespace's: the same addresses and ports in another
 * one are another connection (a container's loopback, for one).
 */
static void ends_key(unsigned char key[ENDS_KEY_LEN], uint32_t netns,
		     int family, uint8_t proto, const uint8_t local[16],
		     uint16_t lport, const uint8_t remote[16], uint16_t rport)
{
	memset(key, 0, ENDS_KEY_LEN);
	key[0] = family;
	key[1] = proto;
	memcpy(key + 4, local, 16);
	memcpy(key + 20, remote, 16);
	memcpy(key + 36, &lport, 2);
	memcpy(key + 38, &rport, 2);
	memcpy(key + 40, &netns, 4);
}

/* A packet's ends, this host's first: it sent what goes out. */
static void packet_ends_key(const struct flow_pkt *p,
			    unsigned char key[ENDS_KEY_LEN])
{
	const struct pkt_info *pi = p->pi;
	bool out = p->r->dir == NR_DIR_OUT;

	ends_key(key, p->r->netns, pi->family, pi->proto,
		 out ? pi->saddr : pi->daddr, out ? pi->sport : pi->dport,
		 out ? pi->daddr : pi->saddr, out ? pi->dport : pi->sport);
}

/* The ends of @f, local first: the key of both tables by ends. */
static void local_key(const struct flow *f, unsigned char key[ENDS_KEY_LEN])
{
	bool lo = f->local_is_orig;

	ends_key(key, f->netns, f->family, f->proto, lo ? f->orig_h : f->resp_h,
		 lo ? f->orig_p : f->resp_p, lo ? f->resp_h : f->orig_h,
		 lo ? f->resp_p : f->orig_p);
}

/* Put @f in table @h by its ends; *@in says whether it is there. */
static void ends_put(struct hashtab *h, struct flow *f, bool *in)
{
	unsigned char key[ENDS_KEY_LEN];

	local_key(f, key);
	*in = !hashtab_put(h, key, f);
}

/* Take @f out of @h, unless another flow of the same ends replaced it. */
static void ends_del(struct hashtab *h, struct flow *f, bool *in)
{
	unsigned char key[ENDS_KEY_LEN];

	if (!*in)
		return;
	local_key(f, key);
	if (hashtab_get(h, key) == f)
		hashtab_del(h, key);
	*in = false;
}

/* A server's flow that saw the handshake: for accept()'s socket. */
static void note_accepting(struct flow_table *t, struct flow *f)
{
	if (f->proto == IPPROTO_TCP && f->orig_known && !f->local_is_orig)
		ends_put(t->accepting, f, &f->accepting);
}

static void note_owned(struct flow_table *t, struct flow *f)
{
	if (!f->owned && f->proto == IPPROTO_TCP)
		ends_put(t->owned, f, &f->owned);
}

static void evict(struct flow_table *t, struct flow *f, bool idle);

static unsigned int recent_slot(const unsigned char key[48])
{
	uint64_t cookie, ends;

	memcpy(&cookie, key, 8);
	memcpy(&ends, key + 40, 8); /* the second address's end, both ports */
	return mix64(cookie ^ ends) & (RECENT_N - 1);
}

/* The flow of @key, if any; *@slot is its place in the memo. */
static struct flow *find_flow(struct flow_table *t, const unsigned char key[48],
			      struct flow ***slot)
{
	struct flow *f;

	*slot = &t->recent[recent_slot(key)];
	f = **slot;
	if (f && !memcmp(f->key, key, sizeof(f->key)))
		return f;
	f = hashtab_get(t->flows, key);
	if (f)
		**slot = f;
	return f;
}

static void forget_recent(struct flow_table *t, const struct flow *f)
{
	for (int i = 0; i < RECENT_N; i++)
		if (t->recent[i] == f)
			t->recent[i] = NULL;
}

/* The listener's flow of the connection this mid-stream packet is of. */
static struct flow *adopt(struct flow_table *t, const struct flow_pkt *p,
			  const unsigned char key[48])
{
	const struct pkt_info *pi = p->pi;
	unsigned char ek[ENDS_KEY_LEN];
	struct flow *f;

	if (pi->proto != IPPROTO_TCP || !pi->has_l4 || (pi->tcp_flags & TH_SYN))
		return NULL;
	packet_ends_key(p, ek);
	f = hashtab_get(t->accepting, ek);
	if (!f || f->cookie == p->r->cookie || f->closed)
		return NULL;
	hashtab_del(t->flows, f->key);
	memcpy(f->key, key, sizeof(f->key));
	if (hashtab_put(t->flows, f->key, f)) {
		evict(t, f, false);
		return NULL;
	}
	f->cookie = p->r->cookie;
	ends_del(t->accepting, f, &f->accepting);
	return f;
}

uint8_t *flow_dns_buf_new(struct flow_table *t, struct flow *f, int side,
			  size_t size)
{
	if (f->dns_tcp[side].buf || t->dns_bufs >= FLOW_DNS_BUFS)
		return NULL;
	f->dns_tcp[side].buf = malloc(size);
	if (f->dns_tcp[side].buf)
		t->dns_bufs++;
	return f->dns_tcp[side].buf;
}

void flow_dns_buf_free(struct flow_table *t, struct flow *f, int side)
{
	if (!f->dns_tcp[side].buf)
		return;
	free(f->dns_tcp[side].buf);
	f->dns_tcp[side].buf = NULL;
	t->dns_bufs--;
}

static void free_flow(struct flow_table *t, struct flow *f)
{
	for (unsigned int i = 0; i < f->nnames; i++)
		free(f->names[i]);
	flow_dns_buf_free(t, f, 0);
	flow_dns_buf_free(t, f, 1);
	free(f);
}

static void emit_slice(struct flow_table *t, struct flow_slice *s)
{
	t->cfg.emit(t->cfg.arg, s);
	free_slice(s);
}

static void evict(struct flow_table *t, struct flow *f, bool idle)
{
	struct flow_slice *s, *next;

	if (idle)
		f->closed = true;
	for (s = f->slices; s; s = next) {
		next = s->next_in_flow;
		emit_slice(t, s);
	}
	hashtab_del(t->flows, f->key);
	forget_recent(t, f);
	ends_del(t->accepting, f, &f->accepting);
	ends_del(t->owned, f, &f->owned);
	lru_unlink(f);
	free_flow(t, f);
	t->count--;
}

void flow_table_free(struct flow_table *t)
{
	if (!t)
		return;
	/* Every flow is on one LRU list. */
	for (int i = 0; i < LRU_N; i++)
		while (t->lru[i].head.lru_prev != &t->lru[i].head)
			evict(t, t->lru[i].head.lru_prev, false);
	hashtab_free(t->flows);
	hashtab_free(t->accepting);
	hashtab_free(t->owned);
	free(t);
}

/* Ordered so both directions of the socket's conversation meet. */
static void make_key(const struct flow_pkt *p, unsigned char key[48])
{
	const struct pkt_info *pi = p->pi;
	uint16_t sp = pkt_proto_has_ports(pi->proto) ? pi->sport : 0;
	uint16_t dp = pkt_proto_has_ports(pi->proto) ? pi->dport : 0;
	int c = memcmp(pi->saddr, pi->daddr, 16);
	bool swap = c > 0 || (c == 0 && sp > dp);

	memset(key, 0, 48);
	memcpy(key, &p->r->cookie, 8);
	key[8] = pi->family;
	key[9] = pi->proto;
	memcpy(key + 12, swap ? pi->daddr : pi->saddr, 16);
	memcpy(key + 28, swap ? pi->saddr : pi->daddr, 16);
	memcpy(key + 44, swap ? &dp : &sp, 2);
	memcpy(key + 46, swap ? &sp : &dp, 2);
}

static void set_ends(struct flow *f, const struct pkt_info *pi, bool swap)
{
	memcpy(f->orig_h, swap ? pi->daddr : pi->saddr, 16);
	memcpy(f->resp_h, swap ? pi->saddr : pi->daddr, 16);
	if (!pi->has_l4)
		return;
	if (pi->proto == IPPROTO_ICMP || pi->proto == IPPROTO_ICMPV6) {
		/* Zeek's: type and code of the flow's first message. */
		f->orig_p = pi->sport;
		f->resp_p = pi->dport;
	} else if (pkt_proto_has_ports(pi->proto)) {
		f->orig_p = swap ? pi->dport : pi->sport;
		f->resp_p = swap ? pi->sport : pi->dport;
	}
}

/*
 * TCP: the sender of the first SYN (or the receiver of the first SYN-ACK)
 * opened the flow; without either it was running before we looked.  Other
 * protocols: the first sender, if the socket is younger than the capture
 * (so is the flow); else, or with no socket, nobody can tell.
 */
static void set_originator(struct flow *f, const struct flow_pkt *p)
{
	const struct pkt_info *pi = p->pi;
	bool swap = false;

	if (pi->proto == IPPROTO_TCP) {
		if (pi->has_l4 && (pi->tcp_flags & TH_SYN)) {
			f->orig_known = true;
			swap = pi->tcp_flags & TH_ACK;
		}
	} else {
		f->orig_known = p->r->flags & NR_F_NEWSOCK;
	}
	set_ends(f, pi, swap);
	/* Outgoing: the source is this host's socket. */
	if (p->r->dir == NR_DIR_OUT)
		f->local_is_orig = !swap;
	else
		f->local_is_orig = swap;
}

static void learn_names(struct flow_table *t, struct flow *f)
{
	const uint8_t *remote = f->local_is_orig ? f->resp_h : f->orig_h;

	if (t->cfg.names)
		f->nnames = t->cfg.names(t->cfg.arg, f->family, remote,
					 f->first_ts, f->names, FLOW_NAMES);
}

static struct flow *new_flow(struct flow_table *t, const struct flow_pkt *p,
			     const unsigned char key[48])
{
	const struct pkt_info *pi = p->pi;
	struct flow *f;

	if (t->count >= t->cfg.max_flows) {
		struct flow *old = NULL;

		/* The least recently seen of the three lists' tails. */
		for (int i = 0; i < LRU_N; i++) {
			struct flow *c = t->lru[i].head.lru_prev;

			if (c != &t->lru[i].head &&
			    (!old || c->last_ts < old->last_ts))
				old = c;
		}
		if (old)
			evict(t, old, false);
	}
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	memcpy(f->key, key, sizeof(f->key));
	if (hashtab_put(t->flows, f->key, f)) {
		free(f);
		return NULL;
	}
	f->cookie = p->r->cookie;
	f->netns = p->r->netns;
	f->family = pi->family;
	f->proto = pi->proto;
	f->first_ts = f->last_ts = p->ts;
	make_uid(t, f->uid);
	set_originator(f, p);
	community_id(f->family, f->proto, f->orig_h, f->resp_h, f->orig_p,
		     f->resp_p, 0, f->community_id);
	learn_names(t, f);
	lru_push(&t->lru[class_of(f)], f);
	t->count++;
	return f;
}

/* The bit of letter @c of @side in hist_seen. */
static uint32_t letter_bit(char c, int side)
{
	return 1u << ((strchr(letters, c) - letters) * 2 + side);
}

static void add_letter(struct flow *f, char c, int side)
{
	uint32_t bit = letter_bit(c, side);
	size_t n = strlen(f->history);

	if (f->hist_seen & bit || n + 1 >= sizeof(f->history))
		return;
	f->hist_seen |= bit;
	f->history[n] = side == FLOW_ORIG ? c : c - 'A' + 'a';
	f->history[n + 1] = '\0';
}

/* Payload entirely at or below what this side had already sent. */
static bool retransmitted(struct flow *f, const struct pkt_info *pi, int side)
{
	uint32_t end = pi->seq + pi->payload_len;
	bool again =
		f->seq_valid[side] && (int32_t)(end - f->seq_end[side]) <= 0;

	if (!f->seq_valid[side] || (int32_t)(end - f->seq_end[side]) > 0)
		f->seq_end[side] = end;
	f->seq_valid[side] = true;
	return again;
}

static void tcp_history(struct flow *f, const struct pkt_info *pi, int side)
{
	uint8_t fl = pi->tcp_flags;

	if (!pi->has_l4)
		return;
	if ((fl & TH_SYN) && !(fl & TH_ACK))
		add_letter(f, 'S', side);
	if ((fl & TH_SYN) && (fl & TH_ACK))
		add_letter(f, 'H', side);
	if (fl & TH_RST)
		add_letter(f, 'R', side);
	if (fl & TH_FIN)
		add_letter(f, 'F', side);
	/* Zeek: data and pure ACKs count only without SYN, FIN or RST. */
	if (fl & (TH_SYN | TH_FIN | TH_RST))
		;
	else if (pi->payload_len) {
		if (retransmitted(f, pi, side))
			add_letter(f, 'T', side);
		add_letter(f, 'D', side);
	} else if (fl & TH_ACK) {
		add_letter(f, 'A', side);
	}
	f->flags_seen[side] |= fl;
	if ((fl & TH_RST) || ((f->flags_seen[FLOW_ORIG] & TH_FIN) &&
			      (f->flags_seen[FLOW_RESP] & TH_FIN)))
		f->closed = true;
}

/*
 * The socket sent what goes out: the direction tells the sides apart
 * even where addresses and ports cannot (a ping to 127.0.0.1).
 */
static int side_of(const struct flow *f, const struct nr_record *r)
{
	bool sent_by_local = r->dir == NR_DIR_OUT;

	return sent_by_local == f->local_is_orig ? FLOW_ORIG : FLOW_RESP;
}

static struct flow_slice *slice_of(struct flow *f, struct flow_slices *chunk)
{
	struct flow_slice *s;

	for (s = f->slices; s; s = s->next_in_flow)
		if (s->chunk == chunk)
			return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->flow = f;
	s->chunk = chunk;
	s->next_in_flow = f->slices;
	f->slices = s;
	s->next = chunk->head;
	if (chunk->head)
		chunk->head->prev = s;
	chunk->head = s;
	chunk->count++;
	return s;
}

/* Field by field: a copy of a struct just written so would stall. */
static void take_owner(struct flow_owner *o, const struct nr_record *r)
{
	o->known = true;
	o->pid = r->tgid;
	o->tid = r->tid;
	o->uid = r->uid;
	o->start_ns = r->start_ns;
	memcpy(o->comm, r->comm, sizeof(o->comm));
	o->cgroup_id = r->cgroup_id;
}

static void count(struct flow_slice *s, const struct flow_pkt *p, int side)
{
	const struct nr_record *r = p->r;

	if (!s->pkts[FLOW_ORIG] && !s->pkts[FLOW_RESP]) {
		s->first_offset = p->offset;
		s->first_ts = p->ts;
	}
	s->pkts[side]++;
	s->ip_bytes[side] += p->pi->ip_len;
	if (p->pi->has_l4)
		s->bytes[side] += p->pi->payload_len;
	s->last_offset = p->offset;
	s->last_ts = p->ts;
	if (r->flags & NR_F_OWNER)
		take_owner(&s->owner, r);
	s->owner.cgroup_id = r->cgroup_id;
	if (r->flags & NR_F_TCPINFO) {
		s->has_tcp_info = true;
		s->srtt_us = r->srtt_us;
		s->retrans = r->retrans;
	}
}

struct flow *flow_packet(struct flow_table *t, const struct flow_pkt *p,
			 int *side)
{
	unsigned char key[48];
	struct flow_slice *s;
	struct flow *f, **slot;

	make_key(p, key);
	f = find_flow(t, key, &slot);
	if (!f) {
		f = adopt(t, p, key);
		if (!f) {
			f = new_flow(t, p, key);
			if (f)
				note_accepting(t, f);
		}
		*slot = f;
	}
	if (!f)
		return NULL;
	s = slice_of(f, p->chunk);
	if (!s)
		return NULL;
	*side = side_of(f, p->r);
	f->sent[*side] = true;
	if (f->proto == IPPROTO_TCP)
		tcp_history(f, p->pi, *side);
	else if (p->pi->payload_len)
		add_letter(f, 'D', *side);
	count(s, p, *side);
	/* Only a packet of its own: not a lent owner, nor none (TIME_WAIT). */
	if ((p->r->flags & (NR_F_OWNER | NR_F_INFERRED)) == NR_F_OWNER) {
		take_owner(&f->owner, p->r);
		note_owned(t, f);
	}
	f->last_ts = p->ts;
	lru_unlink(f);
	lru_push(&t->lru[class_of(f)], f);
	return f;
}

const struct flow_owner *flow_owner_of(struct flow_table *t,
				       const struct flow_pkt *p)
{
	const struct pkt_info *pi = p->pi;
	unsigned char key[48], ek[ENDS_KEY_LEN];
	struct flow *f = NULL, **slot;

	if (p->r->cookie) {
		make_key(p, key);
		f = find_flow(t, key, &slot);
	}
	if ((!f || !f->owner.known) && pi->proto == IPPROTO_TCP && pi->has_l4) {
		packet_ends_key(p, ek);
		f = hashtab_get(t->owned, ek);
	}
	return f && f->owner.known ? &f->owner : NULL;
}

void flow_expire(struct flow_table *t, uint64_t now)
{
	for (int i = 0; i < LRU_N; i++) {
		struct lru *l = &t->lru[i];
		struct flow *f;

		while ((f = l->head.lru_prev) != &l->head && now > f->last_ts &&
		       now - f->last_ts >= l->timeout)
			evict(t, f, true);
	}
}

void flow_chunk_done(struct flow_table *t, struct flow_slices *chunk)
{
	while (chunk->head) {
		struct flow_slice *s = chunk->head, **pp;

		for (pp = &s->flow->slices; *pp != s; pp = &(*pp)->next_in_flow)
			;
		*pp = s->next_in_flow;
		emit_slice(t, s);
	}
}

static bool seen(const struct flow *f, char c, int side)
{
	return f->hist_seen & letter_bit(c, side);
}

/*
 * A side seen only in mid-stream (no handshake): as Zeek, its FIN or RST
 * still closes it.
 */
static const char *midstream_state(bool fin_o, bool fin_r, bool rst_o,
				   bool rst_r)
{
	if (fin_o && fin_r)
		return "SF";
	if (rst_r)
		return "RSTRH";
	if (rst_o)
		return "OTH";
	if (fin_o)
		return "SH";
	if (fin_r)
		return "SHR";
	return "OTH";
}

static const char *tcp_state(const struct flow *f)
{
	bool syn = seen(f, 'S', FLOW_ORIG), synack = seen(f, 'H', FLOW_RESP);
	bool fin_o = seen(f, 'F', FLOW_ORIG), fin_r = seen(f, 'F', FLOW_RESP);
	bool rst_o = seen(f, 'R', FLOW_ORIG), rst_r = seen(f, 'R', FLOW_RESP);
	bool any_r = f->flags_seen[FLOW_RESP];
	/* Zeek takes any ACK of the originator's as the handshake's end. */
	bool acked = f->flags_seen[FLOW_ORIG] & TH_ACK;

	if (!syn && !synack)
		return midstream_state(fin_o, fin_r, rst_o, rst_r);
	if (syn && !synack) {
		if (rst_r)
			return "REJ";
		if (rst_o)
			return "RSTOS0";
		if (fin_o)
			return "SH";
		return any_r ? "OTH" : "S0";
	}
	if (!syn && !acked) {
		if (rst_r)
			return "RSTRH";
		if (fin_r)
			return "SHR";
		return "OTH";
	}
	/* Both closed with FINs: a RST after that changes nothing. */
	if (fin_o && fin_r)
		return "SF";
	if (rst_o)
		return "RSTO";
	if (rst_r)
		return "RSTR";
	if (fin_o)
		return "S2";
	if (fin_r)
		return "S3";
	return "S1";
}

const char *flow_conn_state(const struct flow *f)
{
	if (f->proto == IPPROTO_TCP)
		return tcp_state(f);
	/* Zeek: a reply makes a UDP flow "SF"; other protocols are "OTH". */
	if (f->proto != IPPROTO_UDP)
		return "OTH";
	return f->sent[FLOW_RESP] ? "SF" : "S0";
}

const char *flow_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return "icmp";
	}
	return NULL;
}

size_t flow_count(const struct flow_table *t)
{
	return t->count;
}

void flow_dns_query(struct flow *f, uint16_t id, uint64_t ts)
{
	unsigned int i;

	/* A retry, or the id reused: one entry, never a stale twin. */
	for (i = 0; i < f->nqueries; i++)
		if (f->queries[i].id == id)
			break;
	if (i == f->nqueries)
		i = f->nqueries < FLOW_QUERIES ? f->nqueries++
					       : id % FLOW_QUERIES;
	f->queries[i].id = id;
	f->queries[i].ts = ts;
}

/* An answered query is forgotten: its id may come again. */
uint64_t flow_dns_answer(struct flow *f, uint16_t id)
{
	for (unsigned int i = 0; i < f->nqueries; i++) {
		uint64_t ts = f->queries[i].ts;

		if (f->queries[i].id != id)
			continue;
		f->queries[i] = f->queries[--f->nqueries];
		return ts;
	}
	return 0;
}
