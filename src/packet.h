/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PACKET_H
#define NR_PACKET_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The L3/L4 headers of one captured IP packet, for the index.  Parsing
 * never reads past the captured bytes; what was cut off is simply unknown.
 */
struct pkt_info {
	uint8_t family;	   /* 4 or 6 */
	uint8_t proto;	   /* IPPROTO_*: the L4 protocol, after IPv6 ext. */
	uint8_t tcp_flags; /* TH_FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 */
	bool has_l4;	   /* ports/type, flags and seq below are valid */
	bool fragment;	   /* a non-first fragment: no L4 header in it */
	uint8_t saddr[16]; /* IPv4: first 4 bytes, the rest zero */
	uint8_t daddr[16];
	uint16_t sport, dport; /* host order; ICMP: type and code */
	uint32_t seq, ack;     /* TCP, host order */
	uint32_t ip_len;       /* original length of the IP packet */
	uint32_t l4_off;       /* offset of the L4 header in the packet */
	uint32_t payload_off;  /* offset of the L4 payload (no L4 header
				  parsed: all after the IP headers) */
	uint32_t payload_len;  /* original payload length */
	uint32_t payload_cap;  /* payload bytes that were captured */
};

/*
 * @pkt: the captured bytes from the IP header on (@caplen of them); @len:
 * the original length.  Returns 0, or -EINVAL when not even the IP header
 * is there or it is not IPv4/IPv6 (then @pi is zeroed).  A cut-off L4
 * header leaves has_l4 false (TCP needs its fixed 20 bytes, not the
 * options).
 */
int pkt_parse(const uint8_t *pkt, uint32_t caplen, uint32_t len,
	      struct pkt_info *pi);

/*
 * Whether a protocol's connections are told apart by ports (TCP, UDP,
 * SCTP, UDP-Lite): what a flow's key holds beyond the addresses.
 */
bool pkt_proto_has_ports(uint8_t proto);

/* Address to text ("10.0.0.1", "fd00::1"); @out holds at least 46 bytes. */
void pkt_addr_str(int family, const uint8_t addr[16], char *out, size_t len);

#endif
