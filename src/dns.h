/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_DNS_H
#define NR_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * One DNS message, parsed with ldns.  Malformed or truncated messages are
 * reported as such, with whatever could be read: parsing never fails hard
 * and never reads past the bytes given.
 */
#define DNS_NAME_MAX 256 /* presentation form, NUL-terminated */
#define DNS_DATA_MAX 512 /* one answer's data in presentation form */
#define DNS_MAX_ANSWERS 32

struct dns_answer {
	char name[DNS_NAME_MAX]; /* owner name, no trailing dot */
	uint16_t type;		 /* LDNS_RR_TYPE_* */
	char type_name[16];	 /* "A", "AAAA", "CNAME", "TYPE65280" */
	uint32_t ttl;
	/* "93.184.216.34", "fd00::1", a CNAME/PTR/NS target without its
	   trailing dot, or ldns's presentation of other data */
	char data[DNS_DATA_MAX];
	uint8_t addr[16]; /* A (first 4 bytes) / AAAA, for the address cache */
	uint8_t addr_family; /* 4, 6, or 0 when not an address record */
};

struct dns_msg {
	uint16_t trans_id;
	bool qr, aa, tc, rd, ra;
	uint8_t opcode;
	uint8_t rcode;
	char rcode_name[16]; /* "NOERROR", "NXDOMAIN", ... or "RCODE15" */
	bool has_question;
	char query[DNS_NAME_MAX]; /* first question, no trailing dot */
	uint16_t qtype, qclass;
	char qtype_name[16];
	char qclass_name[16]; /* "C_INTERNET" as Zeek, "C_CHAOS", "C_HESIOD",
				 "C_ANY", or the number */
	unsigned int nanswers;
	struct dns_answer answers[DNS_MAX_ANSWERS]; /* answer section only */
	bool malformed;
	char error[96]; /* what is wrong, when malformed */
};

/*
 * Parse @len bytes of a DNS message (for TCP, without the 2-byte length
 * prefix).  Always fills @m as far as the bytes allow; returns 0 when the
 * message parsed whole, -EBADMSG when it is malformed or cut short (then
 * m->malformed is set and m->error says why).  Bytes in names that are not
 * printable are kept as ldns presents them (\DDD), so names are ASCII.
 *
 * On a malformed message the header fields are set as far as @len reaches
 * (trans_id from 2 bytes, the flags, rcode and rcode_name from 4: below
 * that they stay 0 and ""), the question when it is there whole, and the
 * answers that parse whole before the first fault.  All text is printable
 * ASCII (space only in answer data); text too long for its field (names
 * full of \DDD escapes, long TXT data) is cut at an escape boundary.
 */
int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m);

#endif
