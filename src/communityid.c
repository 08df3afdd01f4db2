// SPDX-License-Identifier: GPL-2.0
/*
 * Community ID v1, as the spec's README and its reference implementations
 * (community-id.py in the spec repository, pycommunityid, c-community-id)
 * compute it:
 *
 *   sha1(seed . saddr . daddr . proto . 0 . sport . dport)
 *
 * all in network byte order, the endpoints swapped when needed so that the
 * smaller (address, port) comes first.  ICMP and ICMPv6 use the type and,
 * as Zeek does, the counterpart type of a request/reply pair for the ports
 * (those flows are ordered like any other); for the other ICMP messages,
 * "one-way", the type and the code, never swapped.  Protocols without
 * ports hash no ports at all.
 */
#include <stdbool.h>
#include <string.h>
#include <netinet/in.h>

#include "communityid.h"
#include "digest.h"

/* Pairs of ICMP request and reply types: each is the other's counterpart. */
static const uint8_t icmp4_pairs[][2] = {
	{ 8, 0 },   /* echo, echo reply */
	{ 13, 14 }, /* timestamp, timestamp reply */
	{ 15, 16 }, /* information request, reply */
	{ 10, 9 },  /* router solicitation, advertisement */
	{ 17, 18 }, /* address mask request, reply */
};

static const uint8_t icmp6_pairs[][2] = {
	{ 128, 129 }, /* echo request, echo reply */
	{ 133, 134 }, /* router solicitation, advertisement */
	{ 135, 136 }, /* neighbor solicitation, advertisement */
	{ 130, 131 }, /* multicast listener query, report */
	{ 139, 140 }, /* node information query, response */
	{ 144, 145 }, /* home agent address discovery request, reply */
};

/* The counterpart of ICMP type @type, or -1 for a one-way message. */
static int counterpart(const uint8_t (*pairs)[2], size_t n, uint16_t type)
{
	for (size_t i = 0; i < n; i++) {
		if (pairs[i][0] == type)
			return pairs[i][1];
		if (pairs[i][1] == type)
			return pairs[i][0];
	}
	return -1;
}

/* Maps type and code to ports; false for a one-way message. */
static bool icmp_ports(uint8_t proto, uint16_t *sport, uint16_t *dport)
{
	int other;

	if (proto == IPPROTO_ICMP)
		other = counterpart(
			icmp4_pairs,
			sizeof(icmp4_pairs) / sizeof(icmp4_pairs[0]), *sport);
	else
		other = counterpart(
			icmp6_pairs,
			sizeof(icmp6_pairs) / sizeof(icmp6_pairs[0]), *sport);
	if (other < 0)
		return false;
	*dport = other;
	return true;
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_ICMP ||
	       proto == IPPROTO_ICMPV6;
}

static void base64(const uint8_t *in, size_t len, char *out)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = in[i] << 16 | in[i + 1] << 8 | in[i + 2];

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = b64[(v >> 6) & 63];
		*out++ = b64[v & 63];
	}
	if (i < len) {
		uint32_t v = in[i] << 16 | (i + 1 < len ? in[i + 1] << 8 : 0);

		*out++ = b64[v >> 18];
		*out++ = b64[(v >> 12) & 63];
		*out++ = i + 1 < len ? b64[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

void community_id(int family, uint8_t proto, const uint8_t saddr[16],
		  const uint8_t daddr[16], uint16_t sport, uint16_t dport,
		  uint16_t seed, char out[COMMUNITY_ID_LEN])
{
	size_t alen = family == 6 ? 16 : 4, n = 0;
	bool ports = has_ports(proto), one_way = false;
	const uint8_t *a = saddr, *b = daddr;
	uint8_t buf[2 + 16 + 16 + 2 + 4], md[20];
	uint16_t pa = sport, pb = dport;
	int cmp;

	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		one_way = !icmp_ports(proto, &pa, &pb);
	cmp = memcmp(a, b, alen);
	/* Swap unless already smaller first (no ports: equal stays). */
	if (!one_way && (cmp > 0 || (cmp == 0 && ports && pa > pb))) {
		const uint8_t *t = a;
		uint16_t tp = pa;

		a = b;
		b = t;
		pa = pb;
		pb = tp;
	}
	buf[n++] = seed >> 8;
	buf[n++] = seed;
	memcpy(buf + n, a, alen);
	n += alen;
	memcpy(buf + n, b, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (ports) {
		buf[n++] = pa >> 8;
		buf[n++] = pa;
		buf[n++] = pb >> 8;
		buf[n++] = pb;
	}
	if (digest_sha1(buf, n, md)) {
		out[0] = '\0';
		return;
	}
	memcpy(out, "1:", 2);
	base64(md, sizeof(md), out + 2);
}
