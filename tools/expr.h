/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_EXPR_H
#define NR_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The filter expression of netrec-query and netrec-extract: pcap-filter's
 * words for addresses, ports and protocols (host, net, port, portrange,
 * src, dst, tcp, udp, icmp, proto, ...; and, or, not, parentheses, with
 * pcap's precedence: not binds tightest, and/or are equal and group left
 * to right), extended with the owner and names the index knows: name
 * GLOB, pid N, comm NAME, container ID|NAME, uid N, flow UID, and the
 * qualifiers orig/resp (the flow's originator and responder).
 *
 * It is evaluated on one packet at a time: its addresses, ports and
 * protocol, plus what the index says of the flow it belongs to.  A flow
 * matches when a packet of it could: the caller evaluates each direction
 * the flow has packets in.
 */
struct expr;

struct expr_error {
	size_t off, len; /* the offending word in the expression text */
	char msg[256];
};

/* What the index says of the flow (or DNS message) a packet belongs to. */
struct expr_attrs {
	bool has_pid, has_uid;
	uint32_t pid, uid;
	const char *comm;	    /* NULL when unknown */
	const char *container_id;   /* full id */
	const char *container_name; /* the runtime's name */
	const char *flow_uid;	    /* Zeek-style uid */
	const char *const *names;   /* DNS names (and HTTP hosts) */
	size_t nnames;
	/* The flow's originator and responder. */
	uint8_t orig[16], resp[16];
	uint16_t orig_p, resp_p;
};

/* One packet. */
struct expr_pkt {
	uint8_t family; /* 4 or 6 */
	uint8_t proto;	/* IPPROTO_* */
	bool has_ports; /* TCP, UDP or SCTP with its header */
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	const struct expr_attrs *attrs;
};

/*
 * Parse @text.  An empty (or all-blank) text gives *@out = NULL, which
 * matches everything.  Returns 0, or -EINVAL with *@err filled.
 */
int expr_parse(const char *text, struct expr **out, struct expr_error *err);
void expr_free(struct expr *e);
bool expr_match(const struct expr *e, const struct expr_pkt *p);

/*
 * Prints the error as
 *	PROG: bad expression: MESSAGE
 *	  TEXT
 *	  ^~~~ under the offending word
 */
void expr_print_error(FILE *f, const char *prog, const char *text,
		      const struct expr_error *err);

/* The words of @argv joined by single spaces (a new string). */
char *expr_join(int argc, char **argv);

#endif
