// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"
#include "tap.h"

static const uint8_t v4_src[4] = { 10, 0, 0, 1 };
static const uint8_t v4_dst[4] = { 10, 0, 0, 2 };
static const uint8_t v6_src[16] = { 0xfd, 0, [15] = 1 };
static const uint8_t v6_dst[16] = { 0xfd, 0, [14] = 0xab, [15] = 0xcd };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

/* IPv4 header with @optlen (a multiple of 4) bytes of NOP options. */
static size_t ip4(uint8_t *p, uint8_t proto, uint16_t tot, uint16_t frag,
		  size_t optlen)
{
	size_t hlen = 20 + optlen;

	memset(p, 0, hlen);
	p[0] = (uint8_t)(0x40 | hlen / 4);
	put16(p + 2, tot);
	put16(p + 6, frag);
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, v4_src, 4);
	memcpy(p + 16, v4_dst, 4);
	memset(p + 20, 1, optlen);
	return hlen;
}

static size_t ip6(uint8_t *p, uint8_t nh, uint16_t plen)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	put16(p + 4, plen);
	p[6] = nh;
	p[7] = 64;
	memcpy(p + 8, v6_src, 16);
	memcpy(p + 24, v6_dst, 16);
	return 40;
}

/* Hop-by-hop, routing or destination options: (@units + 1) * 8 bytes. */
static size_t ext6(uint8_t *p, uint8_t nh, uint8_t units)
{
	size_t n = ((size_t)units + 1) * 8;

	memset(p, 0, n);
	p[0] = nh;
	p[1] = units;
	return n;
}

static size_t frag6(uint8_t *p, uint8_t nh, uint16_t off8, bool more)
{
	memset(p, 0, 8);
	p[0] = nh;
	put16(p + 2, (uint16_t)(off8 << 3 | more));
	put32(p + 4, 0x12345678);
	return 8;
}

/* Authentication header: (@units + 2) * 4 bytes. */
static size_t ah6(uint8_t *p, uint8_t nh, uint8_t units)
{
	size_t n = ((size_t)units + 2) * 4;

	memset(p, 0xaa, n);
	p[0] = nh;
	p[1] = units;
	return n;
}

/* TCP header with @optlen (a multiple of 4) bytes of NOP options. */
static size_t tcp(uint8_t *p, uint16_t sport, uint16_t dport, uint32_t seq,
		  uint32_t ack, uint8_t flags, size_t optlen)
{
	size_t hlen = 20 + optlen;

	memset(p, 0, hlen);
	put16(p, sport);
	put16(p + 2, dport);
	put32(p + 4, seq);
	put32(p + 8, ack);
	p[12] = (uint8_t)(hlen / 4 << 4);
	p[13] = flags;
	put16(p + 14, 65535);
	memset(p + 20, 1, optlen);
	return hlen;
}

static size_t udp(uint8_t *p, uint16_t sport, uint16_t dport, uint16_t len)
{
	put16(p, sport);
	put16(p + 2, dport);
	put16(p + 4, len);
	put16(p + 6, 0);
	return 8;
}

static size_t icmp(uint8_t *p, uint8_t type, uint8_t code)
{
	memset(p, 0, 8);
	p[0] = type;
	p[1] = code;
	put32(p + 4, 0x00010002);
	return 8;
}

static size_t payload(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)('a' + i % 26);
	return n;
}

/* Parses a copy in a buffer of exactly @caplen bytes: ASan sees overreads. */
static int parse(const uint8_t *pkt, uint32_t caplen, uint32_t len,
		 struct pkt_info *pi)
{
	uint8_t *copy = malloc(caplen);
	int ret;

	if (caplen && !copy)
		abort();
	if (caplen)
		memcpy(copy, pkt, caplen);
	ret = pkt_parse(copy, caplen, len, pi);
	free(copy);
	return ret;
}

static bool is_zero(const struct pkt_info *pi)
{
	static const struct pkt_info zero;

	return !memcmp(pi, &zero, sizeof(zero));
}

/* --- samples, built once and used by both the exact and the cut tests */

struct sample {
	const char *name;
	uint8_t pkt[512];
	uint32_t len;	/* bytes in pkt */
	uint32_t orig;	/* original length passed to pkt_parse */
	uint32_t l4min; /* bytes of L4 header has_l4 needs */
};

enum {
	S_V4_TCP,
	S_V4_OPT_UDP,
	S_V4_ICMP,
	S_V4_FRAG_FIRST,
	S_V4_FRAG_LATER,
	S_V4_GSO,
	S_V4_GRE,
	S_V6_TCP,
	S_V6_UDP,
	S_V6_ICMP6,
	S_V6_EXT_TCP,
	S_V6_AH_TCP,
	S_V6_FRAG_FIRST,
	S_V6_FRAG_LATER,
	S_V6_NONEXT,
	S_COUNT
};

static struct sample samples[S_COUNT];

static void add(int i, const char *name, size_t len, uint32_t l4min)
{
	samples[i].name = name;
	samples[i].len = (uint32_t)len;
	if (!samples[i].orig)
		samples[i].orig = (uint32_t)len;
	samples[i].l4min = l4min;
}

static void build_samples(void)
{
	uint8_t *p;
	size_t n;

	p = samples[S_V4_TCP].pkt;
	n = ip4(p, IPPROTO_TCP, 20 + 32 + 100, 0x4000, 0);
	n += tcp(p + n, 40112, 80, 1000, 2000, 0x18, 12);
	n += payload(p + n, 100);
	add(S_V4_TCP, "IPv4 TCP with options", n, 20);

	p = samples[S_V4_OPT_UDP].pkt;
	n = ip4(p, IPPROTO_UDP, 24 + 8 + 33, 0, 4);
	n += udp(p + n, 51515, 53, 8 + 33);
	n += payload(p + n, 33);
	add(S_V4_OPT_UDP, "IPv4 with options, UDP", n, 8);

	p = samples[S_V4_ICMP].pkt;
	n = ip4(p, IPPROTO_ICMP, 20 + 8 + 56, 0, 0);
	n += icmp(p + n, 3, 3);
	n += payload(p + n, 56);
	add(S_V4_ICMP, "IPv4 ICMP", n, 8);

	p = samples[S_V4_FRAG_FIRST].pkt;
	n = ip4(p, IPPROTO_UDP, 20 + 8 + 64, 0x2000, 0);
	n += udp(p + n, 4000, 5000, 3000);
	n += payload(p + n, 64);
	add(S_V4_FRAG_FIRST, "IPv4 first fragment", n, 8);

	p = samples[S_V4_FRAG_LATER].pkt;
	n = ip4(p, IPPROTO_UDP, 20 + 64, 185, 0);
	n += payload(p + n, 64);
	add(S_V4_FRAG_LATER, "IPv4 later fragment", n, 0);

	p = samples[S_V4_GSO].pkt;
	n = ip4(p, IPPROTO_TCP, 0, 0x4000, 0);
	n += tcp(p + n, 40112, 443, 7, 9, 0x10, 0);
	n += payload(p + n, 200);
	samples[S_V4_GSO].orig = 100000;
	add(S_V4_GSO, "IPv4 GSO, total length 0", n, 20);

	p = samples[S_V4_GRE].pkt;
	n = ip4(p, 47, 20 + 40, 0, 0);
	n += payload(p + n, 40);
	add(S_V4_GRE, "IPv4 GRE", n, 0);

	p = samples[S_V6_TCP].pkt;
	n = ip6(p, IPPROTO_TCP, 20 + 10);
	n += tcp(p + n, 443, 50000, 0xfffffff0, 0x80000000, 0x11, 0);
	n += payload(p + n, 10);
	add(S_V6_TCP, "IPv6 TCP", n, 20);

	p = samples[S_V6_UDP].pkt;
	n = ip6(p, IPPROTO_UDP, 8 + 20);
	n += udp(p + n, 5353, 5353, 8 + 20);
	n += payload(p + n, 20);
	add(S_V6_UDP, "IPv6 UDP", n, 8);

	p = samples[S_V6_ICMP6].pkt;
	n = ip6(p, IPPROTO_ICMPV6, 8 + 16);
	n += icmp(p + n, 128, 0);
	n += payload(p + n, 16);
	add(S_V6_ICMP6, "IPv6 ICMPv6 echo", n, 8);

	p = samples[S_V6_EXT_TCP].pkt;
	n = ip6(p, IPPROTO_HOPOPTS, 8 + 24 + 16 + 20 + 5);
	n += ext6(p + n, IPPROTO_ROUTING, 0);
	n += ext6(p + n, IPPROTO_DSTOPTS, 2);
	n += ext6(p + n, IPPROTO_TCP, 1);
	n += tcp(p + n, 1234, 22, 1, 2, 0x02, 0);
	n += payload(p + n, 5);
	add(S_V6_EXT_TCP, "IPv6 hop-by-hop, routing, dest-opts, TCP", n, 20);

	p = samples[S_V6_AH_TCP].pkt;
	n = ip6(p, IPPROTO_AH, 24 + 20 + 3);
	n += ah6(p + n, IPPROTO_TCP, 4);
	n += tcp(p + n, 1000, 2000, 3, 4, 0x04, 0);
	n += payload(p + n, 3);
	add(S_V6_AH_TCP, "IPv6 AH, TCP", n, 20);

	p = samples[S_V6_FRAG_FIRST].pkt;
	n = ip6(p, IPPROTO_DSTOPTS, 8 + 8 + 8 + 48);
	n += ext6(p + n, IPPROTO_FRAGMENT, 0);
	n += frag6(p + n, IPPROTO_UDP, 0, true);
	n += udp(p + n, 7000, 8000, 4000);
	n += payload(p + n, 48);
	add(S_V6_FRAG_FIRST, "IPv6 first fragment", n, 8);

	p = samples[S_V6_FRAG_LATER].pkt;
	n = ip6(p, IPPROTO_FRAGMENT, 8 + 48);
	n += frag6(p + n, IPPROTO_UDP, 181, false);
	n += payload(p + n, 48);
	add(S_V6_FRAG_LATER, "IPv6 later fragment", n, 0);

	p = samples[S_V6_NONEXT].pkt;
	n = ip6(p, IPPROTO_HOPOPTS, 8);
	n += ext6(p + n, IPPROTO_NONE, 0);
	add(S_V6_NONEXT, "IPv6 no next header", n, 0);
}

static int parse_sample(int i, struct pkt_info *pi)
{
	return parse(samples[i].pkt, samples[i].len, samples[i].orig, pi);
}

static bool addr_is(const struct pkt_info *pi, const uint8_t *s,
		    const uint8_t *d, size_t n)
{
	static const uint8_t zero[16];

	return !memcmp(pi->saddr, s, n) && !memcmp(pi->daddr, d, n) &&
	       !memcmp(pi->saddr + n, zero, 16 - n) &&
	       !memcmp(pi->daddr + n, zero, 16 - n);
}

/* --- exact results */

static void test_ipv4(void)
{
	struct pkt_info pi;

	ok(parse_sample(S_V4_TCP, &pi) == 0, "IPv4 TCP parses");
	ok(pi.family == 4 && pi.proto == IPPROTO_TCP && pi.has_l4 &&
		   !pi.fragment,
	   "IPv4 TCP: family, proto, has_l4");
	ok(addr_is(&pi, v4_src, v4_dst, 4), "IPv4 addresses, rest zero");
	ok(pi.sport == 40112 && pi.dport == 80, "TCP ports in host order");
	ok(pi.seq == 1000 && pi.ack == 2000 && pi.tcp_flags == 0x18,
	   "TCP seq, ack, flags");
	ok(pi.ip_len == 152 && pi.l4_off == 20 && pi.payload_off == 52,
	   "TCP data offset with options: payload at 52");
	ok(pi.payload_len == 100 && pi.payload_cap == 100, "TCP payload 100");

	ok(parse_sample(S_V4_OPT_UDP, &pi) == 0, "IPv4 with options parses");
	ok(pi.l4_off == 24 && pi.payload_off == 32, "IHL 6: UDP at 24");
	ok(pi.proto == IPPROTO_UDP && pi.has_l4 && pi.sport == 51515 &&
		   pi.dport == 53,
	   "UDP ports");
	ok(pi.payload_len == 33 && pi.payload_cap == 33, "UDP payload 33");
	ok(pi.seq == 0 && pi.ack == 0 && pi.tcp_flags == 0,
	   "no TCP fields for UDP");

	ok(parse_sample(S_V4_ICMP, &pi) == 0, "IPv4 ICMP parses");
	ok(pi.proto == IPPROTO_ICMP && pi.has_l4 && pi.sport == 3 &&
		   pi.dport == 3,
	   "ICMP: sport is the type, dport the code");
	ok(pi.payload_off == 28 && pi.payload_len == 56,
	   "ICMP payload after 8 bytes");

	ok(parse_sample(S_V4_GRE, &pi) == 0, "IPv4 GRE parses");
	ok(pi.proto == 47 && !pi.has_l4 && !pi.sport && !pi.dport,
	   "other protocol: no L4, ports 0");
	ok(pi.l4_off == 20 && pi.payload_off == 20 && pi.payload_len == 40 &&
		   pi.payload_cap == 40,
	   "other protocol: payload is all after the IP header");
}

static void test_ipv4_fragments(void)
{
	struct pkt_info pi;

	ok(parse_sample(S_V4_FRAG_FIRST, &pi) == 0, "first fragment parses");
	ok(!pi.fragment && pi.has_l4 && pi.sport == 4000 && pi.dport == 5000,
	   "first fragment (MF, offset 0) has its UDP header");
	ok(pi.payload_len == 64, "first fragment: this packet's payload only");

	ok(parse_sample(S_V4_FRAG_LATER, &pi) == 0, "later fragment parses");
	ok(pi.fragment && !pi.has_l4 && pi.proto == IPPROTO_UDP,
	   "later fragment: fragment, no L4, proto kept");
	ok(!pi.sport && !pi.dport && pi.payload_off == 20 &&
		   pi.payload_len == 64,
	   "later fragment: ports 0, payload after the IP header");
}

static void test_ipv4_lengths(void)
{
	struct pkt_info pi;
	uint8_t p[64] = { 0 };
	size_t n;

	ok(parse_sample(S_V4_GSO, &pi) == 0, "GSO super-packet parses");
	ok(pi.ip_len == 100000 && pi.has_l4 && pi.dport == 443,
	   "total length 0: the original length is used");
	ok(pi.payload_len == 100000 - 40 && pi.payload_cap == 200,
	   "GSO: payload_len from @len, payload_cap from caplen");

	/* A UDP packet with 2 bytes of data, padded to Ethernet's minimum. */
	memset(p, 0, sizeof(p));
	n = ip4(p, IPPROTO_UDP, 30, 0, 0);
	n += udp(p + n, 1, 2, 10);
	payload(p + n, 2);
	ok(parse(p, 46, 46, &pi) == 0, "padded packet parses");
	ok(pi.ip_len == 30 && pi.payload_len == 2 && pi.payload_cap == 2,
	   "Ethernet padding is not payload");

	/* Total length larger than the packet: not believed. */
	n = ip4(p, IPPROTO_UDP, 9000, 0, 0);
	udp(p + n, 1, 2, 10);
	ok(parse(p, 40, 40, &pi) == 0 && pi.ip_len == 40 &&
		   pi.payload_len == 12 && pi.payload_cap == 12,
	   "total length past the original length is cut to it");

	/* Total length shorter than the headers. */
	n = ip4(p, IPPROTO_UDP, 24, 0, 0);
	udp(p + n, 1, 2, 10);
	ok(parse(p, 40, 40, &pi) == 0 && !pi.has_l4 && pi.payload_off == 20 &&
		   pi.payload_len == 4 && pi.payload_cap == 4,
	   "L4 header past the total length is not parsed");

	/* Caller passing len < caplen. */
	n = ip4(p, IPPROTO_UDP, 0, 0, 0);
	udp(p + n, 1, 2, 10);
	ok(parse(p, 40, 0, &pi) == 0 && pi.ip_len == 40 && pi.payload_len == 12,
	   "len below caplen is taken as caplen");

	/* Ports are host order even for high bytes. */
	n = ip4(p, IPPROTO_TCP, 40, 0, 0);
	tcp(p + n, 0xfe01, 0x01fe, 0xdeadbeef, 0x01020304, 0xff, 0);
	ok(parse(p, 40, 40, &pi) == 0 && pi.sport == 0xfe01 &&
		   pi.dport == 0x01fe && pi.seq == 0xdeadbeef &&
		   pi.ack == 0x01020304 && pi.tcp_flags == 0xff,
	   "TCP fields in host order, all flag bits");

	/* TCP data offset below 5 is malformed. */
	n = ip4(p, IPPROTO_TCP, 40, 0, 0);
	tcp(p + n, 1, 2, 3, 4, 0x02, 0);
	p[n + 12] = 0x40;
	ok(parse(p, 40, 40, &pi) == 0 && !pi.has_l4 && pi.payload_off == 20,
	   "TCP data offset 4: no L4");

	/* Options cut by the snaplen: the fixed header is enough. */
	n = ip4(p, IPPROTO_TCP, 20 + 40 + 10, 0, 0);
	tcp(p + n, 5, 6, 7, 8, 0x10, 20);
	ok(parse(p, 48, 70, &pi) == 0 && pi.has_l4 && pi.sport == 5 &&
		   pi.payload_off == 60 && pi.payload_len == 10 &&
		   pi.payload_cap == 0,
	   "TCP options cut off: ports known, payload not captured");
}

static void test_ipv4_invalid(void)
{
	struct pkt_info pi;
	uint8_t p[64] = { 0 };

	memset(&pi, 0x5a, sizeof(pi));
	ok(parse(p, 0, 0, &pi) == -EINVAL && is_zero(&pi),
	   "nothing captured: -EINVAL, zeroed");
	memset(&pi, 0x5a, sizeof(pi));
	ok(pkt_parse(NULL, 0, 0, &pi) == -EINVAL && is_zero(&pi),
	   "NULL packet: -EINVAL");

	ip4(p, IPPROTO_TCP, 40, 0, 0);
	memset(&pi, 0x5a, sizeof(pi));
	ok(parse(p, 19, 40, &pi) == -EINVAL && is_zero(&pi),
	   "19 bytes of IPv4: -EINVAL, zeroed");
	p[0] = 0x44;
	memset(&pi, 0x5a, sizeof(pi));
	ok(parse(p, 40, 40, &pi) == -EINVAL && is_zero(&pi),
	   "IHL 4: -EINVAL, zeroed");
	p[0] = 0x45 | 0x10;
	ok(parse(p, 40, 40, &pi) == -EINVAL && is_zero(&pi), "version 5");
	p[0] = 0x00;
	ok(parse(p, 40, 40, &pi) == -EINVAL && is_zero(&pi), "version 0");

	/* IHL 15: 40 bytes of options, only some captured. */
	ip4(p, IPPROTO_TCP, 64, 0, 40);
	ok(parse(p, 30, 64, &pi) == 0 && pi.family == 4 && !pi.has_l4 &&
		   pi.l4_off == 60 && pi.payload_cap == 0,
	   "options cut off: addresses known, no L4");
	ok(addr_is(&pi, v4_src, v4_dst, 4), "options cut off: addresses");
}

static void test_ipv6(void)
{
	struct pkt_info pi;

	ok(parse_sample(S_V6_TCP, &pi) == 0, "IPv6 TCP parses");
	ok(pi.family == 6 && pi.proto == IPPROTO_TCP && pi.has_l4,
	   "IPv6 TCP: family, proto, has_l4");
	ok(addr_is(&pi, v6_src, v6_dst, 16), "IPv6 addresses");
	ok(pi.sport == 443 && pi.dport == 50000 && pi.seq == 0xfffffff0 &&
		   pi.ack == 0x80000000 && pi.tcp_flags == 0x11,
	   "IPv6 TCP fields");
	ok(pi.ip_len == 70 && pi.l4_off == 40 && pi.payload_off == 60 &&
		   pi.payload_len == 10 && pi.payload_cap == 10,
	   "IPv6 TCP lengths");

	ok(parse_sample(S_V6_UDP, &pi) == 0 && pi.proto == IPPROTO_UDP &&
		   pi.has_l4 && pi.sport == 5353 && pi.payload_len == 20,
	   "IPv6 UDP");

	ok(parse_sample(S_V6_ICMP6, &pi) == 0, "ICMPv6 parses");
	ok(pi.proto == IPPROTO_ICMPV6 && pi.has_l4 && pi.sport == 128 &&
		   pi.dport == 0,
	   "ICMPv6 echo request: type 128, code 0");
	ok(pi.payload_off == 48 && pi.payload_len == 16, "ICMPv6 payload");

	ok(parse_sample(S_V6_NONEXT, &pi) == 0 && pi.proto == IPPROTO_NONE &&
		   !pi.has_l4 && pi.l4_off == 48 && pi.payload_len == 0,
	   "IPv6 no next header");
}

static void test_ipv6_ext(void)
{
	struct pkt_info pi;
	uint8_t p[512];
	size_t n;
	int i;

	ok(parse_sample(S_V6_EXT_TCP, &pi) == 0, "extension chain parses");
	ok(pi.proto == IPPROTO_TCP && pi.has_l4 && pi.l4_off == 40 + 48,
	   "hop-by-hop, routing, dest-opts skipped: TCP at 88");
	ok(pi.sport == 1234 && pi.dport == 22 && pi.tcp_flags == 0x02,
	   "TCP after extensions");
	ok(pi.payload_off == 108 && pi.payload_len == 5 && pi.payload_cap == 5,
	   "payload after extensions");

	ok(parse_sample(S_V6_AH_TCP, &pi) == 0 && pi.proto == IPPROTO_TCP &&
		   pi.has_l4 && pi.l4_off == 64 && pi.dport == 2000,
	   "AH length in 4-byte units");

	ok(parse_sample(S_V6_FRAG_FIRST, &pi) == 0, "IPv6 first fragment");
	ok(!pi.fragment && pi.has_l4 && pi.proto == IPPROTO_UDP &&
		   pi.l4_off == 56 && pi.sport == 7000 && pi.dport == 8000,
	   "first fragment: UDP after dest-opts and fragment header");

	ok(parse_sample(S_V6_FRAG_LATER, &pi) == 0, "IPv6 later fragment");
	ok(pi.fragment && !pi.has_l4 && pi.proto == IPPROTO_UDP &&
		   pi.l4_off == 48 && pi.payload_off == 48 &&
		   pi.payload_len == 48 && !pi.sport,
	   "later fragment: fragment, proto of the fragment header, no L4");

	/* Too many extension headers: the walk stops, nothing is made up. */
	n = ip6(p, IPPROTO_DSTOPTS, 20 * 8 + 8);
	for (i = 0; i < 20; i++)
		n += ext6(p + n, IPPROTO_DSTOPTS, 0);
	n += udp(p + n, 1, 2, 8);
	ok(parse(p, (uint32_t)n, (uint32_t)n, &pi) == 0 && !pi.has_l4 &&
		   pi.proto == IPPROTO_DSTOPTS && pi.l4_off <= n,
	   "20 extension headers: bounded walk, no L4");

	/* An extension header claiming more than the packet. */
	n = ip6(p, IPPROTO_HOPOPTS, 16);
	n += ext6(p + n, IPPROTO_TCP, 0);
	p[41] = 255;
	n += payload(p + n, 8);
	ok(parse(p, (uint32_t)n, (uint32_t)n, &pi) == 0 && !pi.has_l4 &&
		   pi.proto == IPPROTO_TCP && pi.l4_off == 40 + 256 * 8 &&
		   pi.payload_len == 0 && pi.payload_cap == 0,
	   "extension header past the end: no L4, no payload");

	/* Payload length 0: a jumbogram or BIG TCP, the length is @len. */
	n = ip6(p, IPPROTO_TCP, 0);
	n += tcp(p + n, 1, 2, 3, 4, 0x10, 0);
	n += payload(p + n, 16);
	ok(parse(p, (uint32_t)n, 200000, &pi) == 0 && pi.ip_len == 200000 &&
		   pi.payload_len == 200000 - 60 && pi.payload_cap == 16,
	   "IPv6 payload length 0: the original length is used");

	memset(&pi, 0x5a, sizeof(pi));
	ok(parse(p, 39, 100, &pi) == -EINVAL && is_zero(&pi),
	   "39 bytes of IPv6: -EINVAL, zeroed");
}

/* --- every capture length of every sample */

static bool cut_ok(const struct sample *s, const struct pkt_info *ref,
		   uint32_t c, const struct pkt_info *pi, int ret)
{
	uint32_t minhdr = ref->family == 4 ? 20 : 40;
	uint32_t end = c < ref->ip_len ? c : ref->ip_len;

	if (c < minhdr)
		return ret == -EINVAL && is_zero(pi);
	if (ret || pi->family != ref->family || pi->ip_len != ref->ip_len)
		return false;
	if (memcmp(pi->saddr, ref->saddr, 16) ||
	    memcmp(pi->daddr, ref->daddr, 16))
		return false;
	if (c == s->len)
		return !memcmp(pi, ref, sizeof(*pi));
	/* Never past the captured bytes. */
	if (pi->payload_cap && pi->payload_off + pi->payload_cap > c)
		return false;
	if (pi->payload_cap !=
	    (end > pi->payload_off ? end - pi->payload_off : 0))
		return false;
	if (!pi->has_l4) {
		if (pi->sport || pi->dport || pi->seq || pi->ack ||
		    pi->tcp_flags)
			return false;
		/* Once the L4 header is there, it must be found. */
		return !ref->has_l4 || c < ref->l4_off + s->l4min;
	}
	return pi->l4_off + s->l4min <= c && pi->proto == ref->proto &&
	       pi->sport == ref->sport && pi->dport == ref->dport &&
	       pi->seq == ref->seq && pi->ack == ref->ack &&
	       pi->tcp_flags == ref->tcp_flags &&
	       pi->payload_off == ref->payload_off &&
	       pi->payload_len == ref->payload_len;
}

static void test_truncated(void)
{
	struct pkt_info ref, pi;
	uint32_t c;
	int i, ret;

	for (i = 0; i < S_COUNT; i++) {
		const struct sample *s = &samples[i];
		bool good = true;

		parse_sample(i, &ref);
		for (c = 0; c <= s->len; c++) {
			memset(&pi, 0x5a, sizeof(pi));
			ret = parse(s->pkt, c, s->orig, &pi);
			if (!cut_ok(s, &ref, c, &pi, ret)) {
				printf("# %s: bad result at caplen %u\n",
				       s->name, c);
				good = false;
			}
		}
		ok(good, "%s: every capture length from 0 to %u", s->name,
		   s->len);
	}
}

/* Random bytes after a plausible first byte: must not crash or overread. */
static void test_noise(void)
{
	struct pkt_info pi;
	uint8_t p[256];
	unsigned int seed = 12345;
	bool good = true;
	int i;
	size_t j;

	for (i = 0; i < 20000; i++) {
		uint32_t c, len;

		for (j = 0; j < sizeof(p); j++) {
			seed = seed * 1103515245 + 12345;
			p[j] = (uint8_t)(seed >> 16);
		}
		p[0] = (uint8_t)((i & 1 ? 0x60 : 0x40) | (p[0] & 0x0f));
		if (i & 2)
			p[6] = (uint8_t)(i % 3 ? IPPROTO_HOPOPTS
					       : IPPROTO_FRAGMENT);
		c = (uint32_t)(seed >> 8) % sizeof(p);
		len = (seed & 4) ? c : (uint32_t)(seed >> 4) % 70000;
		if (parse(p, c, len, &pi) == 0 && pi.payload_cap &&
		    pi.payload_off + pi.payload_cap > c)
			good = false;
	}
	ok(good, "random headers never give payload past the capture");
}

static void test_addr_str(void)
{
	struct pkt_info pi;
	char out[46];
	uint8_t a[16] = { 0 };

	parse_sample(S_V4_TCP, &pi);
	pkt_addr_str(4, pi.saddr, out, sizeof(out));
	is_str(out, "10.0.0.1", "IPv4 source as text");
	pkt_addr_str(4, pi.daddr, out, sizeof(out));
	is_str(out, "10.0.0.2", "IPv4 destination as text");

	parse_sample(S_V6_TCP, &pi);
	pkt_addr_str(6, pi.saddr, out, sizeof(out));
	is_str(out, "fd00::1", "IPv6 source as text");
	pkt_addr_str(6, pi.daddr, out, sizeof(out));
	is_str(out, "fd00::abcd", "IPv6 destination as text");

	memset(a, 0xff, sizeof(a));
	pkt_addr_str(6, a, out, sizeof(out));
	is_str(out, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
	       "longest IPv6 text fits");
	a[10] = 0xff;
	memset(a, 0, 10);
	a[11] = 0xff;
	a[12] = 192;
	a[13] = 0;
	a[14] = 2;
	a[15] = 1;
	pkt_addr_str(6, a, out, sizeof(out));
	is_str(out, "::ffff:192.0.2.1", "v4-mapped IPv6");

	memcpy(out, "XXXXXXX", 8);
	pkt_addr_str(4, pi.saddr, out, 5);
	is_str(out, "", "too small a buffer gives an empty string");
	memcpy(out, "XXXXXXX", 8);
	pkt_addr_str(4, pi.saddr, out, 0);
	is_str(out, "XXXXXXX", "zero-length buffer untouched");
	pkt_addr_str(5, pi.saddr, out, sizeof(out));
	is_str(out, "", "unknown family gives an empty string");
}

int main(void)
{
	build_samples();
	test_ipv4();
	test_ipv4_fragments();
	test_ipv4_lengths();
	test_ipv4_invalid();
	test_ipv6();
	test_ipv6_ext();
	test_truncated();
	test_noise();
	test_addr_str();
	return tap_done();
}
