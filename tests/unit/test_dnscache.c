// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"
#include "dnscache.h"
#include "tap.h"

#if defined(__SANITIZE_ADDRESS__)
/* From <sanitizer/allocator_interface.h>, not always installed. */
size_t __sanitizer_get_current_allocated_bytes(void);
static size_t heap_used(void)
{
	return __sanitizer_get_current_allocated_bytes();
}
#else
static size_t heap_used(void)
{
	return mallinfo2().uordblks;
}
#endif

#define SEC 1000000000ULL
#define T0 (1763787000ULL * SEC)

static struct dns_msg m;
static char names[DNSCACHE_MAX_NAMES + 4][DNS_NAME_MAX];

static void response(const char *qname)
{
	memset(&m, 0, sizeof(m));
	m.qr = true;
	m.has_question = true;
	snprintf(m.query, sizeof(m.query), "%s", qname);
	m.qtype = 1;
}

static struct dns_answer *answer(const char *owner, uint16_t type, uint32_t ttl)
{
	struct dns_answer *a = &m.answers[m.nanswers++];

	memset(a, 0, sizeof(*a));
	snprintf(a->name, sizeof(a->name), "%s", owner);
	a->type = type;
	a->ttl = ttl;
	return a;
}

static void cname(const char *owner, const char *target, uint32_t ttl)
{
	struct dns_answer *a = answer(owner, 5, ttl);

	snprintf(a->type_name, sizeof(a->type_name), "CNAME");
	snprintf(a->data, sizeof(a->data), "%s", target);
}

static void addr(const char *owner, const char *ip, uint32_t ttl)
{
	bool v6 = strchr(ip, ':') != NULL;
	struct dns_answer *a = answer(owner, v6 ? 28 : 1, ttl);

	inet_pton(v6 ? AF_INET6 : AF_INET, ip, a->addr);
	a->addr_family = v6 ? 6 : 4;
	snprintf(a->data, sizeof(a->data), "%s", ip);
}

/* The names of @ip, comma-separated, for comparing. */
static const char *names_of(struct dnscache *c, const char *ip, uint64_t now)
{
	static char out[4096];
	uint8_t a[16] = { 0 };
	bool v6 = strchr(ip, ':') != NULL;
	size_t n, i, used = 0;

	inet_pton(v6 ? AF_INET6 : AF_INET, ip, a);
	n = dnscache_lookup(c, v6 ? 6 : 4, a, now, names,
			    DNSCACHE_MAX_NAMES + 4);
	out[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s",
					 i ? "," : "", names[i]);
	return out;
}

static void test_chain(void)
{
	struct dnscache *c = dnscache_new(16);

	ok(c != NULL, "dnscache_new");
	response("www.x");
	cname("www.x", "cdn.y", 300);
	addr("cdn.y", "1.2.3.4", 60);
	addr("cdn.y", "fd00::1", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "1.2.3.4", T0), "cdn.y,www.x",
	       "CNAME chain: the A's name, then back to the question");
	is_str(names_of(c, "fd00::1", T0), "cdn.y,www.x", "same for AAAA");
	is_str(names_of(c, "1.2.3.5", T0), "", "unknown address");

	/* Longer, out of order, with case differences. */
	response("a.example");
	addr("c.example", "2.2.2.2", 60);
	cname("B.example", "c.example", 60);
	cname("a.example", "b.example", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "2.2.2.2", T0), "c.example,B.example,a.example",
	       "chain of three, records in any order, names in any case");

	/* A CNAME loop ends. */
	response("l1");
	cname("l1", "l2", 60);
	cname("l2", "l1", 60);
	addr("l1", "3.3.3.3", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "3.3.3.3", T0), "l1,l2", "a CNAME loop ends");

	/* Unrelated CNAMEs are not followed. */
	response("z");
	cname("p", "q", 60);
	addr("z", "4.4.4.4", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "4.4.4.4", T0), "z", "unrelated CNAME left out");

	/* Queries and errors teach nothing. */
	response("err");
	addr("err", "5.5.5.5", 60);
	m.rcode = 3;
	dnscache_learn(c, &m, T0);
	response("query");
	addr("query", "5.5.5.5", 60);
	m.qr = false;
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "5.5.5.5", T0), "",
	       "queries and rcode != 0 ignored");
	dnscache_free(c);
}

static void test_ttl(void)
{
	struct dnscache *c = dnscache_new(16);

	response("www.x");
	cname("www.x", "cdn.y", 10);
	addr("cdn.y", "1.2.3.4", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "1.2.3.4", T0 + 10 * SEC - 1), "cdn.y,www.x",
	       "both names within the CNAME's TTL");
	is_str(names_of(c, "1.2.3.4", T0 + 10 * SEC), "cdn.y",
	       "a chain name lasts its smallest TTL");
	is_str(names_of(c, "1.2.3.4", T0 + 60 * SEC - 1), "cdn.y",
	       "the A's name lasts its own TTL");
	is_str(names_of(c, "1.2.3.4", T0 + 60 * SEC), "", "all expired");

	response("zero");
	addr("zero", "6.6.6.6", 0);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "6.6.6.6", T0), "zero", "TTL 0: valid when learnt");
	is_str(names_of(c, "6.6.6.6", T0 + SEC - 1), "zero",
	       "TTL 0: valid for a second");
	is_str(names_of(c, "6.6.6.6", T0 + SEC), "", "TTL 0: gone after it");

	response("huge");
	addr("huge", "7.7.7.7", 0x80000000u);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "7.7.7.7", T0 + SEC), "",
	       "TTL with the top bit set counts as 0 (RFC 2181)");

	response("re");
	addr("re", "8.8.8.8", 10);
	dnscache_learn(c, &m, T0);
	response("re");
	addr("re", "8.8.8.8", 100);
	dnscache_learn(c, &m, T0 + 5 * SEC);
	response("re");
	addr("re", "8.8.8.8", 1);
	dnscache_learn(c, &m, T0 + 6 * SEC);
	is_str(names_of(c, "8.8.8.8", T0 + 104 * SEC), "re",
	       "learning again keeps the later expiry");
	is_str(names_of(c, "8.8.8.8", T0 + 105 * SEC), "", "then expires");

	/* An address whose names expired learns afresh. */
	response("again");
	addr("again", "8.8.8.8", 5);
	dnscache_learn(c, &m, T0 + 200 * SEC);
	is_str(names_of(c, "8.8.8.8", T0 + 200 * SEC), "again",
	       "expired address learnt again");
	dnscache_free(c);
}

static void test_order_dups(void)
{
	struct dnscache *c = dnscache_new(16);
	char name[32], want[512];
	uint8_t a[16] = { 9, 9, 9, 9 };
	size_t used = 0;
	int i;

	response("one");
	addr("one", "9.9.9.9", 60);
	dnscache_learn(c, &m, T0);
	response("two");
	addr("two", "9.9.9.9", 60);
	dnscache_learn(c, &m, T0 + 1);
	is_str(names_of(c, "9.9.9.9", T0 + 2), "two,one",
	       "most recently learnt first");
	response("ONE");
	addr("ONE", "9.9.9.9", 60);
	addr("ONE", "9.9.9.9", 60);
	dnscache_learn(c, &m, T0 + 2);
	is_str(names_of(c, "9.9.9.9", T0 + 3), "one,two",
	       "a name learnt again moves first, once, whatever its case");

	for (i = 0; i < 10; i++) {
		response("n");
		snprintf(name, sizeof(name), "n%d", i);
		addr(name, "9.9.9.9", 60);
		dnscache_learn(c, &m, T0 + 10 + i);
	}
	for (i = 9; i >= 10 - DNSCACHE_MAX_NAMES; i--)
		used += (size_t)snprintf(want + used, sizeof(want) - used,
					 "%sn%d", i == 9 ? "" : ",", i);
	is_str(names_of(c, "9.9.9.9", T0 + 30), want,
	       "at most DNSCACHE_MAX_NAMES names, the newest");
	ok(dnscache_lookup(c, 4, a, T0 + 30, names, 2) == 2 &&
		   !strcmp(names[0], "n9") && !strcmp(names[1], "n8"),
	   "lookup honours max");
	ok(dnscache_lookup(c, 5, a, T0 + 30, names, 2) == 0,
	   "bad family: nothing");
	dnscache_free(c);
}

static void test_ipv6(void)
{
	struct dnscache *c = dnscache_new(16);

	response("v6");
	addr("v6", "2001:db8::1", 60);
	addr("v4", "1.2.3.4", 60);
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "2001:db8::1", T0), "v6", "IPv6 address");
	is_str(names_of(c, "2001:db8::2", T0), "", "other IPv6 address");
	is_str(names_of(c, "102:304::", T0), "",
	       "IPv4 bytes as IPv6: a different key");
	is_str(names_of(c, "::ffff:1.2.3.4", T0), "",
	       "IPv4-mapped is a different key");
	dnscache_free(c);
}

static void learn_ip(struct dnscache *c, unsigned int n, uint64_t now)
{
	char ip[32], name[64];

	snprintf(ip, sizeof(ip), "10.%u.%u.%u", n >> 16 & 255, n >> 8 & 255,
		 n & 255);
	snprintf(name, sizeof(name), "host%08u.example.com", n);
	response(name);
	addr(name, ip, 60);
	dnscache_learn(c, &m, now);
}

static bool known(struct dnscache *c, unsigned int n, uint64_t now)
{
	uint8_t a[16] = { 10, n >> 16 & 255, n >> 8 & 255, n & 255 };

	return dnscache_lookup(c, 4, a, now, names, 1) == 1;
}

static void test_bound(void)
{
	struct dnscache *c = dnscache_new(3);
	size_t before, after;
	unsigned int i;
	bool good;

	ok(dnscache_new(0) == NULL, "max_entries 0 refused");
	learn_ip(c, 1, T0);
	learn_ip(c, 2, T0);
	learn_ip(c, 3, T0);
	learn_ip(c, 1, T0 + 1); /* learnt again: now the newest */
	learn_ip(c, 4, T0 + 2);
	ok(known(c, 1, T0 + 3) && !known(c, 2, T0 + 3) && known(c, 3, T0 + 3) &&
		   known(c, 4, T0 + 3),
	   "full: the address learnt longest ago goes");
	dnscache_free(c);

	c = dnscache_new(1000);
	for (i = 0; i < 5000; i++)
		learn_ip(c, i, T0 + i);
	before = heap_used();
	for (i = 5000; i < 300000; i++)
		learn_ip(c, i, T0 + i * 1000ULL);
	after = heap_used();
	printf("# heap before %zu after %zu\n", before, after);
	ok(after <= before + 4096, "memory flat under churn");
	good = true;
	for (i = 300000 - 1000; i < 300000; i++)
		good &= known(c, i, T0 + 300000 * 1000ULL);
	ok(good, "the last max_entries addresses are all there");
	ok(!known(c, 300000 - 1001, T0 + 300000 * 1000ULL),
	   "the one before them was evicted");

	/* Churn with expiry: every name dead before the next learns. */
	before = heap_used();
	for (i = 0; i < 100000; i++)
		learn_ip(c, 400000 + i, T0 + 1000 * SEC + i * 100 * SEC);
	after = heap_used();
	ok(after <= before + 4096, "memory flat when everything expires");
	dnscache_free(c);
}

/* From the wire: dns_parse, then learn. */
static void test_from_wire(void)
{
	static const uint8_t msg[] = {
		0x12, 0x34, 0x81, 0x80, 0, 1, 0, 2, 0, 0, 0, 0,
		/* www.example.com A IN */
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c',
		'o', 'm', 0, 0, 1, 0, 1,
		/* www.example.com CNAME cdn.example.net */
		0xc0, 12, 0, 5, 0, 1, 0, 0, 1, 0x2c, 0, 17, 3, 'c', 'd', 'n', 7,
		'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
		/* cdn.example.net A 93.184.216.34 */
		0xc0, 45, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34
	};
	struct dnscache *c = dnscache_new(16);

	ok(dns_parse(msg, sizeof(msg), &m) == 0, "wire response parses");
	dnscache_learn(c, &m, T0);
	is_str(names_of(c, "93.184.216.34", T0),
	       "cdn.example.net,www.example.com", "parsed chain learnt");
	dnscache_free(c);
}

int main(void)
{
	test_chain();
	test_ttl();
	test_order_dups();
	test_ipv6();
	test_bound();
	test_from_wire();
	return tap_done();
}
