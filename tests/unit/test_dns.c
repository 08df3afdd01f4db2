// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h> /* after <stdbool.h>: see src/dns.c */

#include "dns.h"
#include "tap.h"
#include "testutil.h"

/* --- a message writer, so that every byte is known */

struct wb {
	uint8_t b[8192];
	size_t n;
};

static void put8(struct wb *w, unsigned int v)
{
	w->b[w->n++] = (uint8_t)v;
}

static void put16(struct wb *w, unsigned int v)
{
	put8(w, v >> 8);
	put8(w, v);
}

static void put32(struct wb *w, uint32_t v)
{
	put16(w, v >> 16);
	put16(w, v & 0xffff);
}

static void put_raw(struct wb *w, const void *p, size_t n)
{
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* "www.example.com" as labels and the root; "" is the root alone. */
static void put_name(struct wb *w, const char *name)
{
	const char *dot;
	size_t n;

	while (*name) {
		dot = strchr(name, '.');
		n = dot ? (size_t)(dot - name) : strlen(name);
		put8(w, n);
		put_raw(w, name, n);
		name += n + (dot ? 1 : 0);
	}
	put8(w, 0);
}

static void put_hdr(struct wb *w, unsigned int id, unsigned int flags,
		    unsigned int qd, unsigned int an, unsigned int ns,
		    unsigned int ar)
{
	w->n = 0;
	put16(w, id);
	put16(w, flags);
	put16(w, qd);
	put16(w, an);
	put16(w, ns);
	put16(w, ar);
}

static void put_q(struct wb *w, const char *name, unsigned int type,
		  unsigned int qclass)
{
	put_name(w, name);
	put16(w, type);
	put16(w, qclass);
}

/* Owner as a compression pointer to @ptr, or as labels when ptr is 0. */
static void put_owner(struct wb *w, const char *name, unsigned int ptr)
{
	if (ptr)
		put16(w, 0xc000 | ptr);
	else
		put_name(w, name);
}

static void put_rr(struct wb *w, const char *owner, unsigned int ptr,
		   unsigned int type, uint32_t ttl, const void *rdata,
		   size_t rdlen)
{
	put_owner(w, owner, ptr);
	put16(w, type);
	put16(w, 1);
	put32(w, ttl);
	put16(w, rdlen);
	put_raw(w, rdata, rdlen);
}

static void put_rr_name(struct wb *w, const char *owner, unsigned int ptr,
			unsigned int type, uint32_t ttl, const char *target)
{
	size_t at;

	put_owner(w, owner, ptr);
	put16(w, type);
	put16(w, 1);
	put32(w, ttl);
	at = w->n;
	put16(w, 0);
	put_name(w, target);
	w->b[at] = (uint8_t)((w->n - at - 2) >> 8);
	w->b[at + 1] = (uint8_t)(w->n - at - 2);
}

/* --- what every result must satisfy */

static bool plain(unsigned char c, bool space_ok)
{
	return (c > ' ' && c < 0x7f) || (space_ok && c == ' ');
}

/* NUL-terminated in @size, printable ASCII, escapes complete. */
static bool clean(const char *s, size_t size, bool space_ok)
{
	const char *end = memchr(s, '\0', size);
	const char *p;

	if (!end)
		return false;
	for (p = s; p < end; p++) {
		if (!plain((unsigned char)*p, space_ok))
			return false;
		if (*p != '\\')
			continue;
		if (p + 1 >= end)
			return false;
		if (p[1] >= '0' && p[1] <= '9') {
			if (p + 3 >= end || p[2] < '0' || p[2] > '9' ||
			    p[3] < '0' || p[3] > '9')
				return false;
			p += 3;
		} else {
			p++;
		}
	}
	return true;
}

static bool msg_clean(const struct dns_msg *m, int ret)
{
	unsigned int i;
	const struct dns_answer *a;

	if (ret != 0 && ret != -EBADMSG)
		return false;
	if ((ret != 0) != m->malformed || m->nanswers > DNS_MAX_ANSWERS)
		return false;
	if (m->malformed != (m->error[0] != '\0'))
		return false;
	if (!clean(m->rcode_name, sizeof(m->rcode_name), false) ||
	    !clean(m->query, sizeof(m->query), false) ||
	    !clean(m->qtype_name, sizeof(m->qtype_name), false) ||
	    !clean(m->qclass_name, sizeof(m->qclass_name), false) ||
	    !clean(m->error, sizeof(m->error), true))
		return false;
	if (m->has_question && !m->query[0])
		return false;
	for (i = 0; i < m->nanswers; i++) {
		a = &m->answers[i];
		if (!clean(a->name, sizeof(a->name), false) || !a->name[0] ||
		    !clean(a->type_name, sizeof(a->type_name), false) ||
		    !clean(a->data, sizeof(a->data), true))
			return false;
		if (a->addr_family != 0 && a->addr_family != 4 &&
		    a->addr_family != 6)
			return false;
	}
	return true;
}

static struct dns_msg m;

static int parse(const struct wb *w)
{
	return dns_parse(w->b, w->n, &m);
}

/* --- well-formed messages */

static void test_query(void)
{
	struct wb w;
	int ret;

	put_hdr(&w, 0x1234, 0x0100, 1, 0, 0, 0);
	put_q(&w, "www.example.com", 1, 1);
	ret = parse(&w);
	ok(ret == 0 && !m.malformed && msg_clean(&m, ret), "query parses");
	ok(m.trans_id == 0x1234, "trans_id");
	ok(!m.qr && m.rd && !m.ra && !m.aa && !m.tc && m.opcode == 0,
	   "query flags");
	ok(m.has_question, "has a question");
	is_str(m.query, "www.example.com", "query name, no trailing dot");
	ok(m.qtype == 1 && m.qclass == 1, "qtype and qclass");
	is_str(m.qtype_name, "A", "qtype_name");
	is_str(m.qclass_name, "C_INTERNET", "qclass_name as Zeek");
	is_str(m.rcode_name, "NOERROR", "rcode_name");
	ok(m.nanswers == 0, "no answers");
}

static const uint8_t addr4[4] = { 93, 184, 216, 34 };
static const uint8_t addr6[16] = {
	0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x46
};

/* www.example.com CNAME cdn.example.net, A, AAAA; ends recorded. */
static size_t chain_ends[4];
static size_t qend;

static void build_chain(struct wb *w, unsigned int an)
{
	size_t cdn;

	put_hdr(w, 0xbeef, 0x8180, 1, an, 0, 0);
	put_q(w, "www.example.com", 1, 1);
	qend = w->n;
	put_rr_name(w, "", 12, 5, 300, "cdn.example.net");
	chain_ends[0] = w->n;
	/* cdn.example.net's labels start after the CNAME's rdlength */
	cdn = qend + 2 + 2 + 2 + 4 + 2;
	put_rr(w, "", (unsigned int)cdn, 1, 60, addr4, 4);
	chain_ends[1] = w->n;
	put_rr(w, "", (unsigned int)cdn, 28, 30, addr6, 16);
	chain_ends[2] = w->n;
}

static void test_chain(void)
{
	struct wb w;
	int ret;

	build_chain(&w, 3);
	ret = parse(&w);
	ok(ret == 0 && msg_clean(&m, ret), "CNAME chain response parses");
	ok(m.trans_id == 0xbeef && m.qr && m.rd && m.ra && !m.aa && !m.tc,
	   "response flags");
	is_str(m.query, "www.example.com", "response query");
	ok(m.nanswers == 3, "three answers");
	is_str(m.answers[0].name, "www.example.com", "CNAME owner");
	is_str(m.answers[0].type_name, "CNAME", "CNAME type_name");
	ok(m.answers[0].type == 5 && m.answers[0].ttl == 300, "CNAME type/ttl");
	is_str(m.answers[0].data, "cdn.example.net", "CNAME target, no dot");
	ok(m.answers[0].addr_family == 0, "CNAME is no address");
	is_str(m.answers[1].name, "cdn.example.net", "A owner (compressed)");
	is_str(m.answers[1].data, "93.184.216.34", "A data");
	ok(m.answers[1].addr_family == 4 &&
		   !memcmp(m.answers[1].addr, addr4, 4),
	   "A address bytes");
	ok(m.answers[1].ttl == 60, "A ttl");
	is_str(m.answers[2].type_name, "AAAA", "AAAA type_name");
	is_str(m.answers[2].data, "2606:2800:220:1::46", "AAAA data");
	ok(m.answers[2].addr_family == 6 &&
		   !memcmp(m.answers[2].addr, addr6, 16),
	   "AAAA address bytes");
}

static void test_nxdomain_tc(void)
{
	struct wb w;
	uint8_t soa[64];
	size_t n = 0;
	int ret;

	/* SOA rdata: two root names and five 32-bit numbers */
	memset(soa, 0, sizeof(soa));
	n = 2 + 20;
	put_hdr(&w, 7, 0x8183, 1, 0, 1, 0);
	put_q(&w, "nope.example.com", 1, 1);
	put_rr(&w, "example.com", 0, 6, 900, soa, n);
	ret = parse(&w);
	ok(ret == 0 && msg_clean(&m, ret), "NXDOMAIN parses");
	ok(m.rcode == 3, "rcode 3");
	is_str(m.rcode_name, "NXDOMAIN", "rcode_name NXDOMAIN");
	ok(m.nanswers == 0, "the authority SOA is not an answer");
	is_str(m.query, "nope.example.com", "NXDOMAIN query");

	put_hdr(&w, 8, 0x8380, 1, 0, 0, 0);
	put_q(&w, "big.example.com", 16, 1);
	ret = parse(&w);
	ok(ret == 0 && msg_clean(&m, ret), "TC response parses");
	ok(m.tc && m.qr && !m.malformed, "TC flag set, not malformed");
	is_str(m.qtype_name, "TXT", "TXT qtype_name");
}

static void test_names_of_codes(void)
{
	static const char *const rc[16] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
		"NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
		"NXRRSet", "NOTAUTH", "NOTZONE",  "RCODE11",
		"RCODE12", "RCODE13", "RCODE14",  "RCODE15",
	};
	static const struct {
		unsigned int c;
		const char *name;
	} cl[] = {
		{ 1, "C_INTERNET" }, { 2, "C_CSNET" },	 { 3, "C_CHAOS" },
		{ 4, "C_HESIOD" },   { 254, "C_NONE" },	 { 255, "C_ANY" },
		{ 0, "0" },	     { 32769, "32769" },
	};
	struct wb w;
	unsigned int i;
	bool good = true;

	for (i = 0; i < 16; i++) {
		put_hdr(&w, 1, 0x8000 | i, 0, 0, 0, 0);
		good &= parse(&w) == 0 && m.rcode == i &&
			!strcmp(m.rcode_name, rc[i]) && !m.has_question;
	}
	ok(good, "rcode names 0..15 as Zeek, RCODE<n> for the unassigned");
	for (i = 0; i < sizeof(cl) / sizeof(cl[0]); i++) {
		put_hdr(&w, 1, 0, 1, 0, 0, 0);
		put_q(&w, "version.bind", 16, cl[i].c);
		parse(&w);
		is_str(m.qclass_name, cl[i].name, "qclass %u", cl[i].c);
	}
	put_hdr(&w, 1, 0x2800, 1, 0, 0, 0); /* opcode 5, UPDATE */
	put_q(&w, "example.com", 65280, 1);
	ok(parse(&w) == 0 && m.opcode == 5, "opcode");
	is_str(m.qtype_name, "TYPE65280", "unknown qtype as TYPEn");
	put_hdr(&w, 1, 0, 1, 0, 0, 0);
	put_q(&w, "", 255, 1);
	ok(parse(&w) == 0, "root query parses");
	is_str(m.query, ".", "the root is \".\"");
	is_str(m.qtype_name, "ANY", "ANY qtype_name");
}

/* A response built with ldns itself: compression, EDNS, more types. */
static uint8_t *ldns_wire;
static size_t ldns_len;

static bool add_rr(ldns_pkt *pkt, ldns_pkt_section sec, const char *s)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL) != LDNS_STATUS_OK)
		return false;
	return ldns_pkt_push_rr(pkt, sec, rr);
}

static bool build_ldns(void)
{
	ldns_pkt *pkt = ldns_pkt_new();
	ldns_rr *q = NULL;
	bool good = pkt != NULL;

	if (!good)
		return false;
	ldns_pkt_set_id(pkt, 4660);
	ldns_pkt_set_qr(pkt, true);
	ldns_pkt_set_aa(pkt, true);
	ldns_pkt_set_rd(pkt, true);
	ldns_pkt_set_ra(pkt, true);
	good &= ldns_rr_new_question_frm_str(&q, "www.example.com. IN A", NULL,
					     NULL) == LDNS_STATUS_OK;
	good &= good && ldns_pkt_push_rr(pkt, LDNS_SECTION_QUESTION, q);
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "www.example.com. 300 IN CNAME cdn.example.net.");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "cdn.example.net. 60 IN A 93.184.216.34");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "cdn.example.net. 60 IN AAAA 2606:2800:220:1::46");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "cdn.example.net. 60 IN MX 10 mail.example.net.");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "cdn.example.net. 60 IN TXT \"hello world\" \"x\"");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "cdn.example.net. 60 IN TYPE65280 \\# 3 010203");
	good &= add_rr(pkt, LDNS_SECTION_ANSWER,
		       "34.216.184.93.in-addr.arpa. 5 IN PTR cdn.example.net.");
	good &= add_rr(pkt, LDNS_SECTION_AUTHORITY,
		       "example.net. 3600 IN NS ns1.example.net.");
	good &= add_rr(pkt, LDNS_SECTION_ADDITIONAL,
		       "ns1.example.net. 3600 IN A 192.0.2.53");
	ldns_pkt_set_edns_udp_size(pkt, 1232);
	good &= good &&
		ldns_pkt2wire(&ldns_wire, pkt, &ldns_len) == LDNS_STATUS_OK;
	ldns_pkt_free(pkt);
	return good;
}

static void test_ldns_built(void)
{
	int ret;

	ok(build_ldns(), "ldns builds a response");
	ret = dns_parse(ldns_wire, ldns_len, &m);
	ok(ret == 0 && msg_clean(&m, ret), "ldns-built response parses");
	ok(m.trans_id == 4660 && m.aa && m.qr && m.rd && m.ra, "header");
	ok(m.nanswers == 7, "seven answers (authority, additional left out)");
	is_str(m.answers[0].data, "cdn.example.net", "CNAME target");
	is_str(m.answers[1].data, "93.184.216.34", "A");
	is_str(m.answers[2].data, "2606:2800:220:1::46", "AAAA");
	is_str(m.answers[3].type_name, "MX", "MX type_name");
	is_str(m.answers[3].data, "10 mail.example.net.", "MX as ldns shows");
	is_str(m.answers[4].data, "\"hello world\" \"x\"", "TXT as ldns shows");
	is_str(m.answers[5].type_name, "TYPE65280", "unknown type as TYPEn");
	is_str(m.answers[5].data, "\\# 3 010203", "unknown type's data");
	is_str(m.answers[6].name, "34.216.184.93.in-addr.arpa", "PTR owner");
	is_str(m.answers[6].data, "cdn.example.net", "PTR target");
	ok(m.answers[6].ttl == 5, "PTR ttl");
}

static void test_many_answers(void)
{
	struct wb w;
	uint8_t a[4] = { 10, 0, 0, 0 };
	unsigned int i;
	int ret;

	put_hdr(&w, 9, 0x8180, 1, 40, 0, 0);
	put_q(&w, "many.example", 1, 1);
	for (i = 0; i < 40; i++) {
		a[3] = (uint8_t)i;
		put_rr(&w, "", 12, 1, i, a, 4);
	}
	ret = parse(&w);
	ok(ret == 0 && msg_clean(&m, ret), "40 answers parse");
	ok(m.nanswers == DNS_MAX_ANSWERS, "kept DNS_MAX_ANSWERS of them");
	is_str(m.answers[31].data, "10.0.0.31", "in order");

	/* An A record without data, as in dynamic updates */
	put_hdr(&w, 9, 0x8180, 0, 1, 0, 0);
	put_rr(&w, "empty.example", 0, 1, 0, a, 0);
	ret = parse(&w);
	ok(ret == 0 && m.nanswers == 1 && m.answers[0].addr_family == 0 &&
		   msg_clean(&m, ret),
	   "A with no data: no address");
}

/* --- odd bytes in names and data */

static void expect_escaped(const uint8_t *label, size_t n, char *out)
{
	size_t i;
	unsigned char c;

	for (i = 0; i < n; i++) {
		c = label[i];
		if (strchr(".;()\\", c) && c)
			out += sprintf(out, "\\%c", c);
		else if (c > ' ' && c < 0x7f)
			*out++ = (char)c;
		else
			out += sprintf(out, "\\%03u", c);
	}
	*out = '\0';
}

static void test_odd_bytes(void)
{
	uint8_t label[64];
	char want[DNS_NAME_MAX * 4];
	struct wb w;
	unsigned int v, i, n;
	bool good = true, asc = true;
	uint8_t txt[256];
	int ret;

	/* Every byte value, 40 at a time, in a one-label question. */
	for (v = 0; v < 256; v += 40) {
		n = v + 40 > 256 ? 256 - v : 40;
		for (i = 0; i < n; i++)
			label[i] = (uint8_t)(v + i);
		put_hdr(&w, 1, 0, 1, 0, 0, 0);
		put8(&w, n);
		put_raw(&w, label, n);
		put8(&w, 0);
		put16(&w, 1);
		put16(&w, 1);
		ret = parse(&w);
		expect_escaped(label, n, want);
		if (ret || strcmp(m.query, want) || !msg_clean(&m, ret)) {
			good = false;
			printf("# bytes %u..: got '%s' want '%s'\n", v, m.query,
			       want);
		}
	}
	ok(good, "every byte in a name: kept or escaped, ASCII out");

	put_hdr(&w, 1, 0, 1, 0, 0, 0);
	put_raw(&w, "\2a.\0", 4); /* label "a.": the final dot is escaped */
	put16(&w, 1);
	put16(&w, 1);
	parse(&w);
	is_str(m.query, "a\\.", "a label ending in a dot keeps it escaped");
	put_hdr(&w, 1, 0, 1, 0, 0, 0);
	put_raw(&w, "\2a\\\0", 4); /* label "a\" */
	put16(&w, 1);
	put16(&w, 1);
	parse(&w);
	is_str(m.query, "a\\\\", "a label ending in a backslash");

	/* A 255-byte name of 0xff bytes: 4 x 250 characters escaped, cut. */
	put_hdr(&w, 1, 0, 1, 0, 0, 0);
	memset(label, 0xff, sizeof(label));
	for (i = 0; i < 3; i++) {
		put8(&w, 63);
		put_raw(&w, label, 63);
	}
	put8(&w, 61);
	put_raw(&w, label, 61);
	put8(&w, 0);
	put16(&w, 1);
	put16(&w, 1);
	ret = parse(&w);
	ok(ret == 0 && msg_clean(&m, ret), "a 255-byte name parses");
	ok(strlen(m.query) <= DNS_NAME_MAX - 1 &&
		   strlen(m.query) >= DNS_NAME_MAX - 4 &&
		   !strncmp(m.query, "\\255\\255", 8),
	   "an escaped name too long is cut at an escape boundary");

	/* TXT with every byte: ldns prints tabs raw, so we escape them. */
	put_hdr(&w, 1, 0x8180, 0, 2, 0, 0);
	for (i = 0; i < 255; i++)
		txt[i + 1] = (uint8_t)i;
	txt[0] = 255;
	put_rr(&w, "t.example", 0, 16, 1, txt, 256);
	txt[0] = 3;
	txt[1] = '\t';
	txt[2] = '\n';
	txt[3] = 0xe9;
	put_rr(&w, "t.example", 0, 16, 1, txt, 4);
	ret = parse(&w);
	ok(ret == 0 && m.nanswers == 2 && msg_clean(&m, ret),
	   "TXT with every byte: printable ASCII out, bounded");
	for (i = 0; m.answers[0].data[i]; i++)
		asc &= plain((unsigned char)m.answers[0].data[i], true);
	ok(asc, "no control or non-ASCII byte in TXT data");
	is_str(m.answers[1].data, "\"\\009\\010\\233\"",
	       "tab, newline, 0xe9 as \\DDD");
}

/* --- malformed messages */

static void test_truncations(void)
{
	struct wb w;
	size_t len, i, want_an;
	bool crash_free = true, malformed = true, header = true;
	bool question = true, answers = true;
	int ret;

	build_chain(&w, 3);
	for (len = 0; len < w.n; len++) {
		ret = dns_parse(w.b, len, &m);
		crash_free &= msg_clean(&m, ret);
		malformed &= ret == -EBADMSG && m.malformed && m.error[0];
		if (len >= 2)
			header &= m.trans_id == 0xbeef;
		if (len >= 4)
			header &= m.qr && m.rd && m.ra &&
				  !strcmp(m.rcode_name, "NOERROR");
		else
			header &= !m.rcode_name[0];
		question &= m.has_question == (len >= qend);
		if (len >= qend)
			question &= !strcmp(m.query, "www.example.com");
		for (want_an = 0, i = 0; i < 3; i++)
			want_an += chain_ends[i] <= len;
		answers &= m.nanswers == want_an;
		if (!answers) {
			printf("# len %zu: %u answers, want %zu\n", len,
			       m.nanswers, want_an);
			break;
		}
	}
	ok(crash_free, "every truncation: clean result");
	ok(malformed, "every truncation: malformed with an error");
	ok(header, "header fields as far as the bytes reach");
	ok(question, "the question whenever it is there whole");
	ok(answers, "exactly the answers that are there whole");

	crash_free = malformed = true;
	for (len = 0; len < ldns_len; len++) {
		ret = dns_parse(ldns_wire, len, &m);
		crash_free &= msg_clean(&m, ret);
		malformed &= ret == -EBADMSG;
	}
	ok(crash_free && malformed, "every truncation of the ldns response");
	ret = dns_parse(NULL, 0, &m);
	ok(ret == -EBADMSG && m.malformed && m.error[0] && msg_clean(&m, ret),
	   "nothing at all");
	printf("# empty message: %s\n", m.error);
}

static void expect_bad(struct wb *w, const char *what)
{
	int ret = parse(w);

	ok(ret == -EBADMSG && m.malformed && msg_clean(&m, ret) &&
		   m.trans_id == 0x4242,
	   "%s: malformed (%s)", what, m.error);
}

static void test_malformed(void)
{
	uint8_t label[63];
	struct wb w;
	unsigned int i;
	int ret;

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put16(&w, 0xc00c); /* points at itself */
	put16(&w, 1);
	put16(&w, 1);
	expect_bad(&w, "pointer to itself");
	ok(!m.has_question, "no question from a pointer loop");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put16(&w, 0xc00e); /* 12 -> 14 -> 12 */
	put16(&w, 0xc00c);
	put16(&w, 1);
	put16(&w, 1);
	expect_bad(&w, "two pointers in a loop");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put_raw(&w, "\1a\xc0\x0c", 4); /* a.a.a.a... */
	put16(&w, 1);
	put16(&w, 1);
	expect_bad(&w, "a label then a pointer back to it");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put16(&w, 0xc0ff);
	put16(&w, 1);
	put16(&w, 1);
	expect_bad(&w, "pointer past the end");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put8(&w, 64);
	memset(label, 'x', sizeof(label));
	put_raw(&w, label, 63);
	put_raw(&w, "x\0\0\1\0\1", 6);
	expect_bad(&w, "label of 64");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	put_raw(&w, "\x80\1a\0\0\1\0\1", 8);
	expect_bad(&w, "extended label type");

	put_hdr(&w, 0x4242, 0, 1, 0, 0, 0);
	for (i = 0; i < 5; i++) {
		put8(&w, 63);
		put_raw(&w, label, 63);
	}
	put8(&w, 0);
	put16(&w, 1);
	put16(&w, 1);
	expect_bad(&w, "name of 321 bytes");

	put_hdr(&w, 0x4242, 0x8180, 1, 5, 0, 0);
	put_q(&w, "short.example", 1, 1);
	put_rr(&w, "", 12, 1, 60, addr4, 4);
	expect_bad(&w, "ancount 5, one answer");
	ok(m.has_question && m.nanswers == 1 &&
		   !strcmp(m.answers[0].data, "93.184.216.34"),
	   "the answer that is there is kept");

	put_hdr(&w, 0x4242, 0x8180, 0xffff, 0, 0, 0);
	put_q(&w, "q.example", 1, 1);
	expect_bad(&w, "qdcount 65535, one question");
	ok(m.has_question && !strcmp(m.query, "q.example"), "question kept");

	put_hdr(&w, 0x4242, 0x8180, 1, 1, 0, 0);
	put_q(&w, "r.example", 1, 1);
	put_owner(&w, "", 12);
	put16(&w, 1);
	put16(&w, 1);
	put32(&w, 60);
	put16(&w, 200); /* rdlength past the end */
	put_raw(&w, addr4, 4);
	expect_bad(&w, "rdlength past the end");
	ok(m.nanswers == 0, "no answer from it");

	put_hdr(&w, 0x4242, 0x8180, 1, 1, 0, 0);
	put_q(&w, "r.example", 1, 1);
	put_owner(&w, "", 12);
	put16(&w, 5); /* a CNAME whose rdata is cut */
	put16(&w, 1);
	put32(&w, 60);
	put16(&w, 2);
	put_raw(&w, "\x05", 1);
	expect_bad(&w, "CNAME rdata cut");

	/* A CNAME target running past its rdlength: ldns reads on. */
	put_hdr(&w, 0x4242, 0x8180, 1, 1, 0, 0);
	put_q(&w, "r.example", 1, 1);
	put_owner(&w, "", 12);
	put16(&w, 5);
	put16(&w, 1);
	put32(&w, 60);
	put16(&w, 2);
	put_raw(&w, "\3abc\0", 5);
	ret = parse(&w);
	ok(msg_clean(&m, ret), "CNAME past its rdlength: clean result (%s)",
	   m.malformed ? m.error : m.answers[0].data);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	return (uint32_t)(tu_xorshift64(&rng) >> 32);
}

static void test_garbage(void)
{
	uint8_t buf[700];
	struct wb w;
	size_t len, i, k;
	unsigned int round;
	bool good = true;
	int ret;

	for (round = 0; round < 20000 && good; round++) {
		len = rnd() % sizeof(buf);
		for (i = 0; i < len; i++)
			buf[i] = (uint8_t)rnd();
		if (len >= 12 && round % 2) {
			/* small counts, so that parsing goes further */
			for (i = 4; i < 12; i++)
				buf[i] = i % 2 ? (uint8_t)(rnd() % 6) : 0;
		}
		ret = dns_parse(buf, len, &m);
		good &= msg_clean(&m, ret);
	}
	ok(good, "random bytes: clean results (%u rounds)", round);

	build_chain(&w, 3);
	for (round = 0; round < 20000 && good; round++) {
		memcpy(buf, w.b, w.n);
		for (k = rnd() % 4 + 1; k; k--)
			buf[rnd() % w.n] = (uint8_t)rnd();
		len = w.n - (round % 3 ? 0 : rnd() % w.n);
		ret = dns_parse(buf, len, &m);
		good &= msg_clean(&m, ret);
	}
	ok(good, "mutated response: clean results (%u rounds)", round);

	for (round = 0; round < 20000 && good; round++) {
		memcpy(buf, ldns_wire, ldns_len);
		for (k = rnd() % 4 + 1; k; k--)
			buf[rnd() % ldns_len] = (uint8_t)rnd();
		ret = dns_parse(buf, ldns_len, &m);
		good &= msg_clean(&m, ret);
	}
	ok(good, "mutated ldns response: clean results (%u rounds)", round);
}

int main(void)
{
	test_query();
	test_chain();
	test_nxdomain_tc();
	test_names_of_codes();
	test_ldns_built();
	test_many_answers();
	test_odd_bytes();
	test_truncations();
	test_malformed();
	test_garbage();
	free(ldns_wire);
	return tap_done();
}
