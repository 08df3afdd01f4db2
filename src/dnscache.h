/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_DNSCACHE_H
#define NR_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

#include "dns.h"

/*
 * Which names resolved to an address: fed with every DNS response seen,
 * asked for the names of a flow's remote address when the flow begins.
 * Keyed by answer address, entries expire with their TTL, and the table
 * holds at most @max_entries addresses (the oldest go first).
 */
struct dnscache;

/* Names kept per address, most recently learnt first. */
#define DNSCACHE_MAX_NAMES 8

/* NULL with errno EINVAL for @max_entries 0, or ENOMEM. */
struct dnscache *dnscache_new(size_t max_entries);
void dnscache_free(struct dnscache *c);

/*
 * Learn from a response at wall-clock time @now_ns: each A/AAAA answer
 * maps its address to the name it answers and, following CNAME records
 * of the same message back (www.x -> cdn.y -> A 1.2.3.4), to every name
 * of the chain and the question's name.  Non-responses, and responses
 * with rcode != 0, are ignored.  A name stays valid for its smallest TTL
 * on the chain, at least one second (so TTL 0 counts too).
 */
void dnscache_learn(struct dnscache *c, const struct dns_msg *m,
		    uint64_t now_ns);

/*
 * The names of @addr still valid at @now_ns, most recently learnt first,
 * at most @max of them, copied into @names (each DNS_NAME_MAX bytes).
 * Returns how many.  @family is 4 or 6 (as dns_answer.addr_family).
 */
size_t dnscache_lookup(struct dnscache *c, int family, const uint8_t addr[16],
		       uint64_t now_ns, char (*names)[DNS_NAME_MAX],
		       size_t max);

#endif
