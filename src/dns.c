// SPDX-License-Identifier: GPL-2.0
/*
 * DNS messages through ldns.  ldns_wire2pkt parses a whole message; when it
 * refuses one (cut short, bad pointer, counts larger than the data...) we
 * read the header ourselves and take the question and the answer records
 * one by one with ldns_wire2rr until the first that does not parse, so a
 * message cut by the snaplen still yields what it holds.
 *
 * Text comes from ldns's presentation functions, then goes through one
 * filter (copy_escaped) that makes it ASCII whatever ldns or the locale
 * did: ldns escapes odd bytes in names as \DDD, but prints tabs raw in
 * character strings and uses isprint(), which is locale-dependent.  The
 * filter also cuts text that does not fit at an escape boundary, never in
 * the middle of a \DDD.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * After <stdbool.h>: without __bool_true_false_are_defined, ldns/common.h
 * defines _Bool as signed char, and bool fields would then hold 0x80.
 */
#include <ldns/ldns.h>

#include "dns.h"

#define DNS_HDR_LEN 12

static size_t min_size(size_t a, size_t b)
{
	return a < b ? a : b;
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* Names never hold a space (ldns writes \032); data separates with one. */
static bool plain(uint8_t c, bool space_ok)
{
	if (c == ' ')
		return space_ok;
	return c > ' ' && c < 0x7f;
}

/*
 * One token of presentation text at @s (@n bytes left) into @tok: a plain
 * character, an escape kept as it is ("\DDD", "\."), or an odd byte made
 * into \DDD.  Returns how many source bytes it used.
 */
static size_t next_token(const uint8_t *s, size_t n, bool space_ok, char tok[5])
{
	if (s[0] != '\\') {
		if (plain(s[0], space_ok)) {
			tok[0] = (char)s[0];
			tok[1] = '\0';
		} else {
			snprintf(tok, 5, "\\%03u", s[0]);
		}
		return 1;
	}
	if (n >= 4 && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3])) {
		memcpy(tok, s, 4);
		tok[4] = '\0';
		return 4;
	}
	if (n < 2) {
		/* A lone backslash at the end: keep it as a byte. */
		snprintf(tok, 5, "\\%03u", '\\');
		return 1;
	}
	/* "\c": the escaped byte itself, plain or as \DDD. */
	if (plain(s[1], false))
		snprintf(tok, 5, "\\%c", s[1]);
	else
		snprintf(tok, 5, "\\%03u", s[1]);
	return 2;
}

/* Copy @n bytes of presentation text into @dst as printable ASCII. */
static void copy_escaped(char *dst, size_t size, const uint8_t *s, size_t n,
			 bool space_ok)
{
	size_t used = 0, i = 0, tlen;
	char tok[5];

	while (i < n) {
		i += next_token(s + i, n - i, space_ok, tok);
		tlen = strlen(tok);
		if (used + tlen >= size)
			break;
		memcpy(dst + used, tok, tlen);
		used += tlen;
	}
	dst[used] = '\0';
}

static void copy_str(char *dst, size_t size, const char *s)
{
	copy_escaped(dst, size, (const uint8_t *)s, strlen(s), true);
}

static const uint8_t *buf_text(ldns_buffer *b, size_t *n)
{
	*n = ldns_buffer_position(b);
	return ldns_buffer_begin(b);
}

/* Presentation form without the trailing dot; the root stays ".". */
static void name_str(ldns_buffer *b, const ldns_rdf *rdf, char *dst,
		     size_t size)
{
	const uint8_t *s;
	size_t n, bs = 0;

	dst[0] = '\0';
	if (!rdf || ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME)
		return;
	ldns_buffer_clear(b);
	if (ldns_rdf2buffer_str_dname(b, rdf) != LDNS_STATUS_OK)
		return;
	s = buf_text(b, &n);
	/* Strip the final dot unless a backslash escapes it ("a\."). */
	while (bs + 1 < n && s[n - 2 - bs] == '\\')
		bs++;
	if (n > 1 && s[n - 1] == '.' && !(bs & 1))
		n--;
	copy_escaped(dst, size, s, n, false);
}

static void type_str(ldns_buffer *b, uint16_t type, char *dst, size_t size)
{
	size_t n;
	const uint8_t *s;

	ldns_buffer_clear(b);
	if (ldns_rr_type2buffer_str(b, (ldns_rr_type)type) != LDNS_STATUS_OK) {
		snprintf(dst, size, "TYPE%u", type);
		return;
	}
	s = buf_text(b, &n);
	copy_escaped(dst, size, s, n, false);
}

static const char *const rcode_names[] = {
	"NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSet",  "NOTAUTH",  "NOTZONE",
};

/* Zeek's DNS::base_errors; Zeek's "unassigned-N" become "RCODE<N>". */
static void rcode_str(uint8_t rcode, char *dst, size_t size)
{
	if (rcode < sizeof(rcode_names) / sizeof(rcode_names[0]))
		snprintf(dst, size, "%s", rcode_names[rcode]);
	else
		snprintf(dst, size, "RCODE%u", rcode);
}

/* Zeek's DNS::classes, else the number. */
static void class_str(uint16_t qclass, char *dst, size_t size)
{
	const char *s = NULL;

	switch (qclass) {
	case 1:
		s = "C_INTERNET";
		break;
	case 2:
		s = "C_CSNET";
		break;
	case 3:
		s = "C_CHAOS";
		break;
	case 4:
		s = "C_HESIOD";
		break;
	case 254:
		s = "C_NONE";
		break;
	case 255:
		s = "C_ANY";
		break;
	}
	if (s)
		snprintf(dst, size, "%s", s);
	else
		snprintf(dst, size, "%u", qclass);
}

static void set_error(struct dns_msg *m, ldns_status st)
{
	const char *s = ldns_get_errorstr_by_id(st);

	m->malformed = true;
	if (s)
		copy_str(m->error, sizeof(m->error), s);
	else
		snprintf(m->error, sizeof(m->error), "ldns error %d", (int)st);
}

/* What the header holds, as far as @len reaches. */
static void read_header(const uint8_t *p, size_t len, struct dns_msg *m)
{
	if (len >= 2)
		m->trans_id = (uint16_t)(p[0] << 8 | p[1]);
	if (len >= 4) {
		m->qr = !!(p[2] & 0x80);
		m->opcode = (p[2] >> 3) & 0x0f;
		m->aa = !!(p[2] & 0x04);
		m->tc = !!(p[2] & 0x02);
		m->rd = !!(p[2] & 0x01);
		m->ra = !!(p[3] & 0x80);
		m->rcode = p[3] & 0x0f;
		rcode_str(m->rcode, m->rcode_name, sizeof(m->rcode_name));
	}
}

static void fill_question(ldns_buffer *b, const ldns_rr *rr, struct dns_msg *m)
{
	m->has_question = true;
	name_str(b, ldns_rr_owner(rr), m->query, sizeof(m->query));
	m->qtype = (uint16_t)ldns_rr_get_type(rr);
	m->qclass = (uint16_t)ldns_rr_get_class(rr);
	type_str(b, m->qtype, m->qtype_name, sizeof(m->qtype_name));
	class_str(m->qclass, m->qclass_name, sizeof(m->qclass_name));
}

/* RFC 3597's generic form of the record data, when ldns cannot print it. */
static void generic_rdata(const ldns_rr *rr, char *dst, size_t size)
{
	size_t i, j, total = 0, used;
	const ldns_rdf *rdf;
	const uint8_t *d;

	for (i = 0; i < ldns_rr_rd_count(rr); i++)
		total += ldns_rdf_size(ldns_rr_rdf(rr, i));
	used = (size_t)snprintf(dst, size, "\\# %zu%s", total,
				total ? " " : "");
	if (used >= size)
		return;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		rdf = ldns_rr_rdf(rr, i);
		d = ldns_rdf_data(rdf);
		for (j = 0; j < ldns_rdf_size(rdf); j++) {
			if (used + 3 > size)
				return;
			snprintf(dst + used, 3, "%02x", d[j]);
			used += 2;
		}
	}
}

/*
 * ldns's presentation of each rdata field, separated by spaces.  Stops
 * once there is more text than @size can hold: the copy cuts it anyway.
 */
static void rdata_str(ldns_buffer *b, const ldns_rr *rr, char *dst, size_t size)
{
	size_t i, n;
	const uint8_t *s;

	ldns_buffer_clear(b);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if (ldns_buffer_position(b) >= size)
			break;
		if (i)
			ldns_buffer_printf(b, " ");
		if (ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, i)) !=
		    LDNS_STATUS_OK) {
			generic_rdata(rr, dst, size);
			return;
		}
	}
	if (!ldns_buffer_status_ok(b)) {
		generic_rdata(rr, dst, size);
		return;
	}
	s = buf_text(b, &n);
	copy_escaped(dst, size, s, n, true);
}

static bool fill_addr(const ldns_rdf *rdf, ldns_rdf_type type, size_t alen,
		      struct dns_answer *a)
{
	int af = alen == 4 ? AF_INET : AF_INET6;

	if (!rdf || ldns_rdf_get_type(rdf) != type ||
	    ldns_rdf_size(rdf) != alen)
		return false;
	memcpy(a->addr, ldns_rdf_data(rdf), alen);
	a->addr_family = alen == 4 ? 4 : 6;
	inet_ntop(af, a->addr, a->data, sizeof(a->data));
	return true;
}

static void fill_answer(ldns_buffer *b, const ldns_rr *rr, struct dns_answer *a)
{
	const ldns_rdf *rdf0 = ldns_rr_rd_count(rr) ? ldns_rr_rdf(rr, 0) : NULL;
	bool done = false;

	memset(a, 0, sizeof(*a));
	name_str(b, ldns_rr_owner(rr), a->name, sizeof(a->name));
	a->type = (uint16_t)ldns_rr_get_type(rr);
	type_str(b, a->type, a->type_name, sizeof(a->type_name));
	a->ttl = ldns_rr_ttl(rr);

	switch (a->type) {
	case LDNS_RR_TYPE_A:
		done = fill_addr(rdf0, LDNS_RDF_TYPE_A, 4, a);
		break;
	case LDNS_RR_TYPE_AAAA:
		done = fill_addr(rdf0, LDNS_RDF_TYPE_AAAA, 16, a);
		break;
	case LDNS_RR_TYPE_CNAME:
	case LDNS_RR_TYPE_PTR:
	case LDNS_RR_TYPE_NS:
	case LDNS_RR_TYPE_DNAME:
		if (rdf0 && ldns_rdf_get_type(rdf0) == LDNS_RDF_TYPE_DNAME) {
			name_str(b, rdf0, a->data, sizeof(a->data));
			done = true;
		}
		break;
	}
	if (!done)
		rdata_str(b, rr, a->data, sizeof(a->data));
}

static void add_answer(ldns_buffer *b, const ldns_rr *rr, struct dns_msg *m)
{
	if (m->nanswers >= DNS_MAX_ANSWERS)
		return;
	fill_answer(b, rr, &m->answers[m->nanswers++]);
}

static void fill_from_pkt(ldns_buffer *b, const ldns_pkt *pkt,
			  struct dns_msg *m)
{
	const ldns_rr_list *qs = ldns_pkt_question(pkt);
	const ldns_rr_list *an = ldns_pkt_answer(pkt);
	size_t i, n;

	if (qs && ldns_rr_list_rr_count(qs))
		fill_question(b, ldns_rr_list_rr(qs, 0), m);
	n = an ? min_size(ldns_rr_list_rr_count(an), DNS_MAX_ANSWERS) : 0;
	for (i = 0; i < n; i++)
		add_answer(b, ldns_rr_list_rr(an, i), m);
}

/* Next record of @section at *@pos into @m; false when it does not parse. */
static bool take_rr(ldns_buffer *b, const uint8_t *p, size_t len, size_t *pos,
		    ldns_pkt_section section, struct dns_msg *m)
{
	ldns_rr *rr = NULL;

	if (ldns_wire2rr(&rr, p, len, pos, section) != LDNS_STATUS_OK)
		return false;
	if (section == LDNS_SECTION_QUESTION && !m->has_question)
		fill_question(b, rr, m);
	else if (section == LDNS_SECTION_ANSWER)
		add_answer(b, rr, m);
	ldns_rr_free(rr);
	return true;
}

/* After ldns_wire2pkt refused the message: the records before the fault. */
static void fill_partial(ldns_buffer *b, const uint8_t *p, size_t len,
			 struct dns_msg *m)
{
	unsigned int qd = (unsigned int)(p[4] << 8 | p[5]);
	unsigned int an = (unsigned int)(p[6] << 8 | p[7]);
	size_t pos = DNS_HDR_LEN;
	unsigned int i;

	for (i = 0; i < qd; i++)
		if (!take_rr(b, p, len, &pos, LDNS_SECTION_QUESTION, m))
			return;
	for (i = 0; i < an && m->nanswers < DNS_MAX_ANSWERS; i++)
		if (!take_rr(b, p, len, &pos, LDNS_SECTION_ANSWER, m))
			return;
}

int dns_parse(const uint8_t *p, size_t len, struct dns_msg *m)
{
	ldns_pkt *pkt = NULL;
	ldns_buffer *b;
	ldns_status st;
	int ret = 0;

	memset(m, 0, sizeof(*m));
	read_header(p, len, m);
	if (len < DNS_HDR_LEN) {
		set_error(m, LDNS_STATUS_WIRE_INCOMPLETE_HEADER);
		return -EBADMSG;
	}
	b = ldns_buffer_new(DNS_DATA_MAX);
	if (!b) {
		set_error(m, LDNS_STATUS_MEM_ERR);
		return -EBADMSG;
	}
	st = ldns_wire2pkt(&pkt, p, len);
	if (st == LDNS_STATUS_OK) {
		fill_from_pkt(b, pkt, m);
		ldns_pkt_free(pkt);
	} else {
		set_error(m, st);
		fill_partial(b, p, len, m);
		ret = -EBADMSG;
	}
	ldns_buffer_free(b);
	return ret;
}
