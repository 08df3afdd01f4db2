// SPDX-License-Identifier: GPL-2.0
/*
 * Address -> names, from the DNS answers seen.  One entry per address in a
 * hash table, and all entries on a list in the order they were last
 * learnt: a new address in a full table evicts the head, the address
 * learnt longest ago.  Each entry keeps at most DNSCACHE_MAX_NAMES names,
 * most recently learnt first, each with its own expiry; when a new name
 * does not fit, the one learnt longest ago goes.
 *
 * CNAMEs are followed back from each address record only as far as they
 * link up, so the question's name is learnt when the chain reaches it (as
 * in every real answer), not for an address record on some other name.
 *
 * Expiry: a name learnt at t from records with TTL T is valid while
 * now < t + max(T, 1 s), T being the smallest TTL of the records linking
 * the name to the address (the A/AAAA and the CNAMEs on the way).  A TTL
 * of 0 thus counts for one second: the connection that asked for the name
 * usually starts within it.  TTLs with the top bit set count as 0 (RFC
 * 2181, 8).  Learning a name again keeps the later of the two expiries.
 *
 * Memory: the table holds at most max_entries entries, each at most
 * DNSCACHE_MAX_NAMES names of at most DNS_NAME_MAX bytes, whatever the
 * churn; expired names are dropped when their entry is next touched, and
 * entries whose names all expired when they reach the head of the list.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dnscache.h"
#include "hashtab.h"

#define NS_PER_SEC 1000000000ULL
/* Expired entries looked for at the head of the list on each learn. */
#define DC_REAP_PER_LEARN 2

struct dc_key {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16];
};

struct dc_name {
	char *name;
	uint64_t expires; /* ns, wall clock */
};

struct dc_entry {
	struct dc_key key;
	struct dc_entry *prev, *next; /* learn order, oldest first */
	unsigned int n;
	struct dc_name names[DNSCACHE_MAX_NAMES]; /* most recent first */
};

struct dnscache {
	struct hashtab *tab;
	size_t max_entries;
	struct dc_entry *oldest, *newest;
};

/* A chain of names leading to one address, address record first. */
struct dc_chain {
	unsigned int n;
	const char *names[DNS_MAX_ANSWERS];
	uint32_t ttls[DNS_MAX_ANSWERS]; /* smallest TTL on the way */
};

struct dnscache *dnscache_new(size_t max_entries)
{
	struct dnscache *c;

	if (!max_entries) {
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->tab = hashtab_new(sizeof(struct dc_key));
	if (!c->tab) {
		free(c);
		return NULL;
	}
	c->max_entries = max_entries;
	return c;
}

static void unlink_entry(struct dnscache *c, struct dc_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->oldest = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->newest = e->prev;
	e->prev = e->next = NULL;
}

static void link_newest(struct dnscache *c, struct dc_entry *e)
{
	e->prev = c->newest;
	e->next = NULL;
	if (c->newest)
		c->newest->next = e;
	else
		c->oldest = e;
	c->newest = e;
}

static void free_entry(struct dc_entry *e)
{
	unsigned int i;

	for (i = 0; i < e->n; i++)
		free(e->names[i].name);
	free(e);
}

static void remove_entry(struct dnscache *c, struct dc_entry *e)
{
	hashtab_del(c->tab, &e->key);
	unlink_entry(c, e);
	free_entry(e);
}

void dnscache_free(struct dnscache *c)
{
	struct dc_entry *e, *next;

	if (!c)
		return;
	for (e = c->oldest; e; e = next) {
		next = e->next;
		free_entry(e);
	}
	hashtab_free(c->tab);
	free(c);
}

/* Drop the expired names, keeping the order.  Returns how many are left. */
static unsigned int prune(struct dc_entry *e, uint64_t now_ns)
{
	unsigned int i, kept = 0;

	for (i = 0; i < e->n; i++) {
		if (e->names[i].expires <= now_ns) {
			free(e->names[i].name);
			continue;
		}
		e->names[kept++] = e->names[i];
	}
	e->n = kept;
	return kept;
}

static void reap_oldest(struct dnscache *c, uint64_t now_ns)
{
	int i;

	for (i = 0; i < DC_REAP_PER_LEARN && c->oldest; i++) {
		if (prune(c->oldest, now_ns))
			return;
		remove_entry(c, c->oldest);
	}
}

static bool make_key(int family, const uint8_t addr[16], struct dc_key *k)
{
	memset(k, 0, sizeof(*k));
	if (family != 4 && family != 6)
		return false;
	k->family = (uint8_t)family;
	memcpy(k->addr, addr, family == 4 ? 4 : 16);
	return true;
}

static struct dc_entry *get_entry(struct dnscache *c, const struct dc_key *k)
{
	struct dc_entry *e = hashtab_get(c->tab, k);

	if (e)
		return e;
	while (c->oldest && hashtab_count(c->tab) >= c->max_entries)
		remove_entry(c, c->oldest);
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->key = *k;
	if (hashtab_put(c->tab, &e->key, e)) {
		free(e);
		return NULL;
	}
	link_newest(c, e);
	return e;
}

/* Put @name first in @e's names, once. */
static void add_name(struct dc_entry *e, const char *name, uint64_t expires)
{
	unsigned int i;
	struct dc_name nm = { NULL, expires };

	for (i = 0; i < e->n; i++)
		if (!strcasecmp(e->names[i].name, name))
			break;
	if (i < e->n) {
		nm = e->names[i];
		if (nm.expires < expires)
			nm.expires = expires;
	} else {
		nm.name = strdup(name);
		if (!nm.name)
			return;
		if (e->n == DNSCACHE_MAX_NAMES)
			free(e->names[--e->n].name);
		i = e->n++;
	}
	memmove(&e->names[1], &e->names[0], i * sizeof(e->names[0]));
	e->names[0] = nm;
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint64_t expiry(uint64_t now_ns, uint32_t ttl)
{
	if (ttl > INT32_MAX)
		ttl = 0;
	if (!ttl)
		ttl = 1;
	return now_ns + (uint64_t)ttl * NS_PER_SEC;
}

static bool in_chain(const struct dc_chain *ch, const char *name)
{
	unsigned int i;

	for (i = 0; i < ch->n; i++)
		if (!strcasecmp(ch->names[i], name))
			return true;
	return false;
}

/* The CNAME of @m whose target is @name and whose owner is new, or NULL. */
static const struct dns_answer *
cname_to(const struct dns_msg *m, const struct dc_chain *ch, const char *name)
{
	const struct dns_answer *a;
	unsigned int i;

	for (i = 0; i < m->nanswers; i++) {
		a = &m->answers[i];
		if (a->type != 5 /* CNAME */ || !a->name[0])
			continue;
		if (!strcasecmp(a->data, name) && !in_chain(ch, a->name))
			return a;
	}
	return NULL;
}

/* @a's owner, then the owners of the CNAMEs leading to it, back. */
static void build_chain(const struct dns_msg *m, const struct dns_answer *a,
			struct dc_chain *ch)
{
	const struct dns_answer *cn;
	uint32_t ttl = a->ttl > INT32_MAX ? 0 : a->ttl;

	ch->n = 0;
	ch->names[ch->n] = a->name;
	ch->ttls[ch->n++] = ttl;
	while (ch->n < DNS_MAX_ANSWERS) {
		cn = cname_to(m, ch, ch->names[ch->n - 1]);
		if (!cn)
			break;
		ttl = min_u32(ttl, cn->ttl > INT32_MAX ? 0 : cn->ttl);
		ch->names[ch->n] = cn->name;
		ch->ttls[ch->n++] = ttl;
	}
}

static void learn_addr(struct dnscache *c, const struct dns_msg *m,
		       const struct dns_answer *a, uint64_t now_ns)
{
	struct dc_chain ch;
	struct dc_entry *e;
	struct dc_key k;
	unsigned int i;

	if (!a->name[0] || !make_key(a->addr_family, a->addr, &k))
		return;
	build_chain(m, a, &ch);
	e = get_entry(c, &k);
	if (!e)
		return;
	prune(e, now_ns);
	/* Last first, so that the address record's own name ends up first. */
	for (i = ch.n < DNSCACHE_MAX_NAMES ? ch.n : DNSCACHE_MAX_NAMES; i--;)
		add_name(e, ch.names[i], expiry(now_ns, ch.ttls[i]));
	if (!e->n) {
		remove_entry(c, e);
		return;
	}
	unlink_entry(c, e);
	link_newest(c, e);
}

void dnscache_learn(struct dnscache *c, const struct dns_msg *m,
		    uint64_t now_ns)
{
	unsigned int i;

	if (!c || !m->qr || m->rcode)
		return;
	reap_oldest(c, now_ns);
	for (i = 0; i < m->nanswers && i < DNS_MAX_ANSWERS; i++)
		learn_addr(c, m, &m->answers[i], now_ns);
}

size_t dnscache_lookup(struct dnscache *c, int family, const uint8_t addr[16],
		       uint64_t now_ns, char (*names)[DNS_NAME_MAX], size_t max)
{
	struct dc_entry *e;
	struct dc_key k;
	size_t i, n;

	if (!c || !make_key(family, addr, &k))
		return 0;
	e = hashtab_get(c->tab, &k);
	if (!e)
		return 0;
	if (!prune(e, now_ns)) {
		remove_entry(c, e);
		return 0;
	}
	n = e->n < max ? e->n : max;
	for (i = 0; i < n; i++)
		snprintf(names[i], DNS_NAME_MAX, "%s", e->names[i].name);
	return n;
}
