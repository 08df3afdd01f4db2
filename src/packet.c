// SPDX-License-Identifier: GPL-2.0
/*
 * L3/L4 headers of captured IP packets, for the index.  Every read is
 * checked against the captured bytes, and the IP packet is taken to end
 * where its own header says (never past the original length): Ethernet
 * padding is not payload.  Header lengths are only trusted for counting.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "packet.h"

/* Bound on the IPv6 extension header walk (Linux allows no more either). */
#define IPV6_EXT_MAX 8

#define IPV4_HDR_MIN 20
#define IPV6_HDR_LEN 40
#define TCP_HDR_MIN 20
#define UDP_HDR_LEN 8
#define ICMP_HDR_LEN 8

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* Bytes from @off to @end, 0 when @off is past it. */
static uint32_t room(uint32_t off, uint32_t end)
{
	return end > off ? end - off : 0;
}

/*
 * The fixed 20 bytes give ports, flags and sequence numbers: enough for
 * has_l4 even when a small snaplen cut the options off (the payload then
 * starts past the captured bytes).  Returns the header length, 0 if none.
 */
static uint32_t parse_tcp(const uint8_t *h, uint32_t n, struct pkt_info *pi)
{
	uint32_t doff;

	if (n < TCP_HDR_MIN)
		return 0;
	doff = (uint32_t)(h[12] >> 4) * 4;
	if (doff < TCP_HDR_MIN)
		return 0;
	pi->sport = get16(h);
	pi->dport = get16(h + 2);
	pi->seq = get32(h + 4);
	pi->ack = get32(h + 8);
	pi->tcp_flags = h[13];
	pi->has_l4 = true;
	return doff;
}

static uint32_t parse_udp(const uint8_t *h, uint32_t n, struct pkt_info *pi)
{
	if (n < UDP_HDR_LEN)
		return 0;
	pi->sport = get16(h);
	pi->dport = get16(h + 2);
	pi->has_l4 = true;
	return UDP_HDR_LEN;
}

/* ICMP and ICMPv6: type and code stand in for the ports, as in Zeek. */
static uint32_t parse_icmp(const uint8_t *h, uint32_t n, struct pkt_info *pi)
{
	if (n < ICMP_HDR_LEN)
		return 0;
	pi->sport = h[0];
	pi->dport = h[1];
	pi->has_l4 = true;
	return ICMP_HDR_LEN;
}

/* @end: where the captured bytes of the IP packet end. */
static void parse_l4(const uint8_t *pkt, uint32_t end, struct pkt_info *pi)
{
	const uint8_t *h = pkt + pi->l4_off;
	uint32_t n = room(pi->l4_off, end);
	uint32_t hlen = 0;

	if (pi->fragment)
		goto out;
	switch (pi->proto) {
	case IPPROTO_TCP:
		hlen = parse_tcp(h, n, pi);
		break;
	case IPPROTO_UDP:
		hlen = parse_udp(h, n, pi);
		break;
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		hlen = parse_icmp(h, n, pi);
		break;
	}
out:
	pi->payload_off = pi->l4_off + hlen;
	pi->payload_len = room(pi->payload_off, pi->ip_len);
	pi->payload_cap = room(pi->payload_off, end);
}

static int parse_ipv4(const uint8_t *pkt, uint32_t caplen, uint32_t len,
		      struct pkt_info *pi)
{
	uint32_t hlen, tot;

	if (caplen < IPV4_HDR_MIN)
		return -EINVAL;
	hlen = (uint32_t)(pkt[0] & 0x0f) * 4;
	if (hlen < IPV4_HDR_MIN)
		return -EINVAL;

	pi->family = 4;
	pi->proto = pkt[9];
	memcpy(pi->saddr, pkt + 12, 4);
	memcpy(pi->daddr, pkt + 16, 4);
	/* Offset not 0: a later fragment, with no L4 header. */
	pi->fragment = (get16(pkt + 6) & 0x1fff) != 0;
	/* A total length of 0 is a TCP GSO super-packet over 64k. */
	tot = get16(pkt + 2);
	pi->ip_len = tot ? min_u32(tot, len) : len;
	pi->l4_off = hlen;
	parse_l4(pkt, min_u32(caplen, pi->ip_len), pi);
	return 0;
}

static bool ipv6_is_ext(uint8_t nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH ||
	       nh == IPPROTO_DSTOPTS;
}

/*
 * Sets proto and l4_off past the extension headers.  A header cut off by
 * the capture, or too many of them, stops the walk: proto is then that
 * header's type, which parse_l4 knows nothing of.
 */
static void ipv6_skip_ext(const uint8_t *pkt, uint32_t end, struct pkt_info *pi)
{
	uint32_t off = IPV6_HDR_LEN;
	uint8_t nh = pkt[6];
	int i;

	for (i = 0; i < IPV6_EXT_MAX && ipv6_is_ext(nh); i++) {
		const uint8_t *h = pkt + off;

		if (room(off, end) < 8)
			break;
		if (nh == IPPROTO_FRAGMENT) {
			pi->fragment = (get16(h + 2) & 0xfff8) != 0;
			off += 8;
		} else if (nh == IPPROTO_AH) {
			off += ((uint32_t)h[1] + 2) * 4;
		} else {
			off += ((uint32_t)h[1] + 1) * 8;
		}
		nh = h[0];
		/* What follows a later fragment's header is not a header. */
		if (pi->fragment)
			break;
	}
	pi->proto = nh;
	pi->l4_off = off;
}

static int parse_ipv6(const uint8_t *pkt, uint32_t caplen, uint32_t len,
		      struct pkt_info *pi)
{
	uint32_t plen, end;

	if (caplen < IPV6_HDR_LEN)
		return -EINVAL;

	pi->family = 6;
	memcpy(pi->saddr, pkt + 8, 16);
	memcpy(pi->daddr, pkt + 24, 16);
	/* 0: a jumbogram or a BIG TCP GSO packet; the length is @len. */
	plen = get16(pkt + 4);
	pi->ip_len = plen ? min_u32(IPV6_HDR_LEN + plen, len) : len;
	end = min_u32(caplen, pi->ip_len);
	ipv6_skip_ext(pkt, end, pi);
	parse_l4(pkt, end, pi);
	return 0;
}

int pkt_parse(const uint8_t *pkt, uint32_t caplen, uint32_t len,
	      struct pkt_info *pi)
{
	int ret = -EINVAL;

	memset(pi, 0, sizeof(*pi));
	if (!pkt || !caplen)
		return -EINVAL;
	/* The original length is never less than what was captured. */
	if (len < caplen)
		len = caplen;

	switch (pkt[0] >> 4) {
	case 4:
		ret = parse_ipv4(pkt, caplen, len, pi);
		break;
	case 6:
		ret = parse_ipv6(pkt, caplen, len, pi);
		break;
	}
	if (ret)
		memset(pi, 0, sizeof(*pi));
	return ret;
}

bool pkt_proto_has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP || proto == IPPROTO_UDP ||
	       proto == IPPROTO_SCTP || proto == IPPROTO_UDPLITE;
}

void pkt_addr_str(int family, const uint8_t addr[16], char *out, size_t len)
{
	int af = family == 4 ? AF_INET : AF_INET6;

	if (!len)
		return;
	out[0] = '\0';
	if (family != 4 && family != 6)
		return;
	if (!inet_ntop(af, addr, out, (socklen_t)len))
		out[0] = '\0';
}
