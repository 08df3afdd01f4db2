// SPDX-License-Identifier: GPL-2.0
/*
 * The filter expression: a tokenizer, a recursive-descent parser with
 * pcap-filter's grammar (qualifiers, inherited qualifiers after and/or,
 * not > and = or, left to right), and an evaluator on one packet.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expr.h"
#include "tool.h"

enum tok_kind { T_WORD, T_LP, T_RP, T_NOT, T_AND, T_OR, T_END };

struct tok {
	enum tok_kind kind;
	size_t off, len;
	char *word; /* T_WORD: the word, quotes removed */
	bool quoted;
};

enum prim_kind {
	P_HOST,
	P_NET,
	P_PORT,
	P_PORTRANGE,
	P_PROTO,
	P_FAMILY,
	P_NAME,
	P_PID,
	P_COMM,
	P_CONTAINER,
	P_UID,
	P_FLOW,
};

enum dir { D_ANY, D_SRC, D_DST, D_BOTH, D_ORIG, D_RESP };

enum node_kind { E_AND, E_OR, E_NOT, E_PRIM };

struct prim {
	enum prim_kind kind;
	enum dir dir;
	uint8_t family;	  /* host, net; P_FAMILY */
	uint8_t addr[16]; /* host, net (masked) */
	unsigned int plen;
	uint16_t lo, hi; /* port, portrange */
	uint32_t num;	 /* proto, pid, uid */
	char *str;	 /* name, comm, container, flow */
};

struct expr {
	enum node_kind kind;
	struct expr *l, *r;
	struct prim p;
};

/* Qualifiers, remembered for values that follow "and" or "or" alone. */
struct qual {
	int protoq; /* 0, or the index of a protocol word + 1 */
	enum dir dir;
	enum prim_kind type;
};

struct parser {
	const char *text;
	struct tok *toks;
	size_t n, i;
	struct expr_error *err;
	bool failed;
	struct qual last;
	bool have_last;
};

/* ------------------------------------------------------------ tokens --- */

static void set_err(struct expr_error *err, size_t off, size_t len,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void set_err(struct expr_error *err, size_t off, size_t len,
		    const char *fmt, ...)
{
	va_list ap;

	err->off = off;
	err->len = len ? len : 1;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

static bool word_end(const char *s)
{
	return !*s || isspace((unsigned char)*s) || *s == '(' || *s == ')' ||
	       (s[0] == '&' && s[1] == '&') || (s[0] == '|' && s[1] == '|');
}

static bool is_op(const char *w, size_t n, const char *lower)
{
	char up[4];
	size_t i;

	if (n != strlen(lower))
		return false;
	for (i = 0; i < n; i++)
		up[i] = toupper((unsigned char)lower[i]);
	return !memcmp(w, lower, n) || !memcmp(w, up, n);
}

/* A "quoted word" at @s; its end in *@end.  -1 if unterminated. */
static int quoted(const char *s, const char **end, char **word)
{
	char *w = xmalloc(strlen(s) + 1), *q = w;

	for (s++; *s && *s != '"'; s++) {
		if (*s == '\\' && (s[1] == '"' || s[1] == '\\'))
			s++;
		*q++ = *s;
	}
	*q = '\0';
	if (!*s) {
		free(w);
		return -1;
	}
	*end = s + 1;
	*word = w;
	return 0;
}

static int next_tok(const char *text, const char **pos, struct tok *t,
		    struct expr_error *err)
{
	const char *s = *pos, *e;

	while (isspace((unsigned char)*s))
		s++;
	memset(t, 0, sizeof(*t));
	t->off = s - text;
	e = s + 1;
	if (!*s) {
		t->kind = T_END;
		e = s;
	} else if (*s == '(') {
		t->kind = T_LP;
	} else if (*s == ')') {
		t->kind = T_RP;
	} else if (*s == '!') {
		t->kind = T_NOT;
	} else if ((s[0] == '&' && s[1] == '&') ||
		   (s[0] == '|' && s[1] == '|')) {
		t->kind = *s == '&' ? T_AND : T_OR;
		e = s + 2;
	} else if (*s == '"') {
		if (quoted(s, &e, &t->word)) {
			set_err(err, t->off, strlen(s), "unterminated quote");
			return -EINVAL;
		}
		t->kind = T_WORD;
		t->quoted = true;
	} else {
		for (e = s; !word_end(e); e++)
			;
		t->kind = T_WORD;
		if (is_op(s, e - s, "and"))
			t->kind = T_AND;
		else if (is_op(s, e - s, "or"))
			t->kind = T_OR;
		else if (is_op(s, e - s, "not"))
			t->kind = T_NOT;
		else
			t->word = strndup(s, e - s);
		if (t->kind == T_WORD && !t->word)
			t->word = xstrdup("");
	}
	t->len = e - s;
	*pos = e;
	return 0;
}

static void free_toks(struct tok *toks, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(toks[i].word);
	free(toks);
}

static int tokenize(const char *text, struct tok **out, size_t *n,
		    struct expr_error *err)
{
	struct tok *toks = NULL;
	const char *pos = text;
	size_t cap = 0, i = 0;

	for (;;) {
		xgrow((void **)&toks, &cap, i + 1, sizeof(*toks));
		if (next_tok(text, &pos, &toks[i], err)) {
			free_toks(toks, i);
			return -EINVAL;
		}
		if (toks[i++].kind == T_END)
			break;
	}
	*out = toks;
	*n = i;
	return 0;
}

/* ------------------------------------------------------------ nodes ---- */

static struct expr *node(enum node_kind kind, struct expr *l, struct expr *r)
{
	struct expr *e = xcalloc(1, sizeof(*e));

	e->kind = kind;
	e->l = l;
	e->r = r;
	return e;
}

void expr_free(struct expr *e)
{
	if (!e)
		return;
	expr_free(e->l);
	expr_free(e->r);
	free(e->p.str);
	free(e);
}

static struct tok *peek(struct parser *p)
{
	return &p->toks[p->i];
}

static struct tok *take(struct parser *p)
{
	struct tok *t = &p->toks[p->i];

	if (t->kind != T_END)
		p->i++;
	return t;
}

static struct expr *fail(struct parser *p, const struct tok *t, const char *fmt,
			 ...) __attribute__((format(printf, 3, 4)));

static void vset(struct parser *p, const struct tok *t, const char *fmt,
		 va_list ap)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err->off = t->off;
	p->err->len = t->len ? t->len : 1;
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
}

static struct expr *fail(struct parser *p, const struct tok *t, const char *fmt,
			 ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(p, t, fmt, ap);
	va_end(ap);
	return NULL;
}

static bool bad(struct parser *p, const struct tok *t, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static bool bad(struct parser *p, const struct tok *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(p, t, fmt, ap);
	va_end(ap);
	return false;
}

/* ------------------------------------------------------------ words ---- */

struct protoq {
	const char *word;
	enum prim_kind kind; /* P_PROTO or P_FAMILY */
	uint32_t value;
	bool ports; /* port and portrange apply */
};

static const struct protoq protoqs[] = {
	{ "ip", P_FAMILY, 4, true },	 { "ip6", P_FAMILY, 6, true },
	{ "tcp", P_PROTO, 6, true },	 { "udp", P_PROTO, 17, true },
	{ "sctp", P_PROTO, 132, true },	 { "icmp", P_PROTO, 1, false },
	{ "icmp6", P_PROTO, 58, false }, { "igmp", P_PROTO, 2, false },
	{ "igrp", P_PROTO, 9, false },	 { "pim", P_PROTO, 103, false },
	{ "ah", P_PROTO, 51, false },	 { "esp", P_PROTO, 50, false },
	{ "vrrp", P_PROTO, 112, false }, { "carp", P_PROTO, 112, false },
};

static int find_protoq(const char *w)
{
	for (size_t i = 0; i < sizeof(protoqs) / sizeof(protoqs[0]); i++)
		if (!strcmp(w, protoqs[i].word))
			return i + 1;
	return 0;
}

static const struct {
	const char *word;
	enum prim_kind kind;
	bool dir; /* takes src, dst, orig, resp */
} types[] = {
	{ "host", P_HOST, true },
	{ "net", P_NET, true },
	{ "port", P_PORT, true },
	{ "portrange", P_PORTRANGE, true },
	{ "proto", P_PROTO, false },
	{ "name", P_NAME, false },
	{ "pid", P_PID, false },
	{ "comm", P_COMM, false },
	{ "container", P_CONTAINER, false },
	{ "uid", P_UID, false },
	{ "flow", P_FLOW, false },
};

#define NTYPES (sizeof(types) / sizeof(types[0]))

static int find_type(const char *w)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(w, types[i].word))
			return i;
	return -1;
}

static const char *type_word(enum prim_kind kind)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].kind == kind)
			return types[i].word;
	return "?";
}

static bool type_takes_dir(enum prim_kind kind)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (types[i].kind == kind)
			return types[i].dir;
	return false;
}

static int find_dir(const char *w)
{
	static const char *const words[] = { "src", "dst", "orig", "resp" };
	static const enum dir dirs[] = { D_SRC, D_DST, D_ORIG, D_RESP };

	for (size_t i = 0; i < 4; i++)
		if (!strcmp(w, words[i]))
			return dirs[i];
	return -1;
}

/* pcap-filter words that make no sense for IP packets without a link. */
static bool unsupported(const char *w)
{
	static const char *const words[] = {
		"ether",    "arp",	 "rarp",      "vlan",	    "mpls",
		"pppoed",   "pppoes",	 "geneve",    "less",	    "greater",
		"len",	    "broadcast", "multicast", "gateway",    "atalk",
		"aarp",	    "decnet",	 "iso",	      "stp",	    "ipx",
		"netbeui",  "wlan",	 "type",      "subtype",    "inbound",
		"outbound", "ifname",	 "on",	      "rnr",	    "rulenum",
		"reason",   "rset",	 "srnr",      "subrulenum", "action",
		"link",	    "ppp",	 "slip",      "fddi",	    "tr",
		"radio",    "lat",	 "moprc",     "mopdl",	    "sca",
		"clnp",	    "esis",	 "isis",      "protochain", "llc",
		"dir",	    "hostname",	 "ra",	      "ta",	    "addr1",
		"addr2",    "addr3",	 "addr4",     "bpf",
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(w, words[i]))
			return true;
	return strchr(w, '[') && !strchr(w, '*') && !strchr(w, '?');
}

/* ------------------------------------------------------------ values --- */

static bool parse_addr(const char *s, uint8_t *family, uint8_t addr[16])
{
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, s, addr) == 1) {
		*family = 4;
		return true;
	}
	if (inet_pton(AF_INET6, s, addr) == 1) {
		*family = 6;
		return true;
	}
	return false;
}

static bool parse_num(const char *s, uint64_t max, uint64_t *out)
{
	return !parse_ulong(s, max, out);
}

/* "10", "10.1", "10.1.2": pcap's short networks, as /8, /16, /24. */
static bool short_net(const char *s, uint8_t addr[16], unsigned int *plen)
{
	char buf[16], *dot, *q;
	unsigned int n = 0;
	uint64_t v;

	if (strlen(s) >= sizeof(buf))
		return false;
	strcpy(buf, s);
	memset(addr, 0, 16);
	for (q = buf; q; q = dot ? dot + 1 : NULL) {
		dot = strchr(q, '.');
		if (dot)
			*dot = '\0';
		if (n == 3 || !parse_num(q, 255, &v))
			return false;
		addr[n++] = v;
	}
	*plen = 8 * n;
	return true;
}

static bool host_bits_clear(const struct prim *pr)
{
	unsigned int nbytes = pr->family == 4 ? 4 : 16;

	for (unsigned int i = 0; i < nbytes * 8; i++) {
		if (i < pr->plen)
			continue;
		if (pr->addr[i / 8] & (0x80 >> (i % 8)))
			return false;
	}
	return true;
}

static bool mask_net(struct parser *p, struct prim *pr, const struct tok *v)
{
	struct tok *m;
	uint8_t fam, mask[16];
	uint32_t bits;

	take(p); /* "mask" */
	m = take(p);
	if (m->kind != T_WORD)
		return bad(p, m, "'mask' needs a netmask (255.255.0.0)");
	if (pr->family != 4 || !parse_addr(m->word, &fam, mask) || fam != 4)
		return bad(p, m, "'%s' is not an IPv4 netmask", m->word);
	memcpy(&bits, mask, 4);
	bits = ntohl(bits);
	pr->plen = __builtin_popcount(bits);
	if (bits != (pr->plen ? ~0U << (32 - pr->plen) : 0))
		return bad(p, m, "'%s' is not a contiguous netmask", m->word);
	if (!host_bits_clear(pr))
		return bad(p, v, "non-network bits set in '%s mask %s'",
			   v->word, m->word);
	return true;
}

static bool net_value(struct parser *p, struct prim *pr, const struct tok *v)
{
	const char *slash = strchr(v->word, '/');
	char *a = strndup(v->word,
			  slash ? (size_t)(slash - v->word) : strlen(v->word));
	uint64_t len;
	bool good;

	good = a && parse_addr(a, &pr->family, pr->addr);
	pr->plen = pr->family == 4 ? 32 : 128;
	if (!good && a && !slash && short_net(a, pr->addr, &pr->plen)) {
		pr->family = 4;
		good = true;
	}
	free(a);
	if (!good)
		return bad(p, v, "'%s' is not a network (10.0.0.0/8, fd00::/8)",
			   v->word);
	if (slash) {
		if (!parse_num(slash + 1, pr->family == 4 ? 32 : 128, &len))
			return bad(p, v, "bad prefix length in '%s'", v->word);
		pr->plen = len;
	}
	if (!slash && peek(p)->kind == T_WORD && !peek(p)->quoted &&
	    !strcmp(peek(p)->word, "mask"))
		return mask_net(p, pr, v);
	if (!host_bits_clear(pr))
		return bad(p, v, "non-network bits set in '%s'", v->word);
	return true;
}

static bool port_num(const char *s, uint16_t *out)
{
	struct servent *se;
	uint64_t v;

	if (parse_num(s, 65535, &v)) {
		*out = v;
		return true;
	}
	se = getservbyname(s, "tcp");
	if (!se)
		se = getservbyname(s, "udp");
	if (!se)
		return false;
	*out = ntohs(se->s_port);
	return true;
}

static bool port_value(struct parser *p, struct prim *pr, const struct tok *v)
{
	char *dash, *lo;
	bool good;

	if (pr->kind == P_PORT) {
		if (!port_num(v->word, &pr->lo))
			return bad(p, v,
				   "'%s' is not a port number or service name",
				   v->word);
		pr->hi = pr->lo;
		return true;
	}
	dash = strchr(v->word, '-');
	if (!dash)
		return bad(p, v, "a port range is LOW-HIGH, not '%s'", v->word);
	lo = strndup(v->word, dash - v->word);
	good = lo && port_num(lo, &pr->lo) && port_num(dash + 1, &pr->hi);
	free(lo);
	if (!good)
		return bad(p, v, "'%s' is not a port range (LOW-HIGH)",
			   v->word);
	if (pr->lo > pr->hi) {
		uint16_t t = pr->lo;

		pr->lo = pr->hi;
		pr->hi = t;
	}
	return true;
}

static bool proto_value(struct parser *p, struct prim *pr, const struct tok *v)
{
	struct protoent *pe;
	uint64_t n;
	int q = find_protoq(v->word);

	if (q && protoqs[q - 1].kind == P_PROTO) {
		pr->num = protoqs[q - 1].value;
		return true;
	}
	if (parse_num(v->word, 255, &n)) {
		pr->num = n;
		return true;
	}
	pe = getprotobyname(v->word);
	if (!pe)
		return bad(p, v,
			   "'%s' is not a protocol number (0-255) or name",
			   v->word);
	pr->num = pe->p_proto;
	return true;
}

static bool all_hex(const char *s)
{
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* The value of a primitive of type pr->kind from token @v. */
static bool value(struct parser *p, struct prim *pr, const struct tok *v)
{
	uint64_t n;

	switch (pr->kind) {
	case P_HOST:
		if (strchr(v->word, '/'))
			return bad(p, v, "'%s' is a network: use net %s",
				   v->word, v->word);
		if (!parse_addr(v->word, &pr->family, pr->addr))
			return bad(p, v,
				   "'%s' is not an IP address (names are not "
				   "resolved; for a DNS name use: name %s)",
				   v->word, v->word);
		pr->plen = pr->family == 4 ? 32 : 128;
		return true;
	case P_NET:
		return net_value(p, pr, v);
	case P_PORT:
	case P_PORTRANGE:
		return port_value(p, pr, v);
	case P_PROTO:
		return proto_value(p, pr, v);
	case P_PID:
	case P_UID:
		if (!parse_num(v->word, UINT32_MAX, &n))
			return bad(p, v, "'%s' is not a number (for %s)",
				   v->word, type_word(pr->kind));
		pr->num = n;
		return true;
	case P_CONTAINER:
		/* An id prefix is matched case-insensitively. */
		if (all_hex(v->word))
			for (char *c = v->word; *c; c++)
				*c = tolower((unsigned char)*c);
		/* fall through */
	case P_NAME:
	case P_COMM:
	case P_FLOW:
		if (!*v->word)
			return bad(p, v, "empty %s", type_word(pr->kind));
		pr->str = xstrdup(v->word);
		return true;
	default:
		return bad(p, v, "internal error: no value for this word");
	}
}

/* ------------------------------------------------------------ parser --- */

static struct expr *parse_expr(struct parser *p);

static struct expr *proto_node(int protoq)
{
	struct expr *e = node(E_PRIM, NULL, NULL);

	e->p.kind = protoqs[protoq - 1].kind;
	if (e->p.kind == P_FAMILY)
		e->p.family = protoqs[protoq - 1].value;
	else
		e->p.num = protoqs[protoq - 1].value;
	return e;
}

/* "src or dst", "src and dst", or one of src, dst, orig, resp. */
static int parse_dir(struct parser *p)
{
	struct tok *t = peek(p), *op, *t2;
	int d = find_dir(t->word);

	if (d < 0 || t->quoted)
		return -1;
	take(p);
	op = peek(p);
	t2 = p->i + 1 < p->n ? &p->toks[p->i + 1] : NULL;
	if (d == D_SRC && (op->kind == T_OR || op->kind == T_AND) && t2 &&
	    t2->kind == T_WORD && !strcmp(t2->word, "dst")) {
		take(p);
		take(p);
		return op->kind == T_OR ? D_ANY : D_BOTH;
	}
	return d;
}

/* The primitive of qualifiers @q and value token @v. */
static struct expr *build(struct parser *p, const struct qual *q,
			  const struct tok *qtok, const struct tok *v)
{
	struct expr *e = node(E_PRIM, NULL, NULL), *pe;

	e->p.kind = q->type;
	e->p.dir = q->dir;
	if (q->dir != D_ANY && !type_takes_dir(q->type)) {
		expr_free(e);
		return fail(p, qtok, "a direction cannot qualify '%s'",
			    type_word(q->type));
	}
	if (q->protoq && (q->type == P_PORT || q->type == P_PORTRANGE) &&
	    !protoqs[q->protoq - 1].ports) {
		expr_free(e);
		return fail(p, qtok, "'%s' has no ports",
			    protoqs[q->protoq - 1].word);
	}
	if (v->kind != T_WORD) {
		expr_free(e);
		return fail(p, v, "'%s' needs a value", type_word(q->type));
	}
	if (!value(p, &e->p, v)) {
		expr_free(e);
		return NULL;
	}
	p->last = *q;
	p->have_last = true;
	if (!q->protoq)
		return e;
	pe = proto_node(q->protoq);
	if (q->type == P_PROTO && pe->p.kind == P_PROTO) {
		expr_free(pe);
		return e;
	}
	return node(E_AND, pe, e);
}

static struct expr *parse_prim(struct parser *p)
{
	struct tok *first = peek(p), *t;
	struct qual q = { 0 };
	uint8_t fam, addr[16];
	int d, ty;

	if (first->quoted)
		goto bare;
	q.protoq = find_protoq(first->word);
	if (q.protoq)
		take(p);
	t = peek(p);
	if (t->kind != T_WORD || t->quoted ||
	    (find_dir(t->word) < 0 && find_type(t->word) < 0)) {
		if (q.protoq) {
			p->have_last = false;
			return proto_node(q.protoq);
		}
		goto bare;
	}
	d = parse_dir(p);
	q.dir = d < 0 ? D_ANY : (enum dir)d;
	t = peek(p);
	ty = t->kind == T_WORD && !t->quoted ? find_type(t->word) : -1;
	if (ty >= 0) {
		q.type = types[ty].kind;
		take(p);
	} else {
		/* "src 10.0.0.1", "dst 10/8": host or net, as in pcap. */
		q.type = t->kind == T_WORD && strchr(t->word, '/') ? P_NET
								   : P_HOST;
	}
	return build(p, &q, first, take(p));
bare:
	if (!first->quoted && unsupported(first->word))
		return fail(p, first,
			    "'%s' is not supported: captures hold IP packets, "
			    "and the index flows",
			    first->word);
	if (p->have_last)
		return build(p, &p->last, first, take(p));
	/* A bare address is a host, as in pcap. */
	q.type = P_HOST;
	if (!first->quoted && parse_addr(first->word, &fam, addr))
		return build(p, &q, first, take(p));
	return fail(p, first,
		    "unknown word '%s': expected host, net, port, tcp, udp, "
		    "icmp, name, pid, comm, container, uid, ...",
		    first->word);
}

static struct expr *parse_unary(struct parser *p)
{
	struct tok *t = peek(p), *rp;
	struct expr *e;

	switch (t->kind) {
	case T_NOT:
		take(p);
		e = parse_unary(p);
		return e ? node(E_NOT, e, NULL) : NULL;
	case T_LP:
		take(p);
		p->have_last = false;
		e = parse_expr(p);
		if (!e)
			return NULL;
		rp = peek(p);
		if (rp->kind != T_RP) {
			expr_free(e);
			return fail(p, rp->kind == T_END ? t : rp,
				    rp->kind == T_END ? "'(' is never closed"
						      : "expected ')' here");
		}
		take(p);
		return e;
	case T_WORD:
		return parse_prim(p);
	case T_RP:
		return fail(p, t, "unexpected ')'");
	case T_END:
		return fail(p, t, "the expression ends too soon");
	default:
		return fail(p, t, "'%.*s' needs a primitive before it",
			    (int)t->len, p->text + t->off);
	}
}

static struct expr *parse_expr(struct parser *p)
{
	struct expr *l = parse_unary(p), *r;
	enum node_kind kind;

	while (l && (peek(p)->kind == T_AND || peek(p)->kind == T_OR)) {
		kind = take(p)->kind == T_AND ? E_AND : E_OR;
		r = parse_unary(p);
		if (!r) {
			expr_free(l);
			return NULL;
		}
		l = node(kind, l, r);
	}
	return l;
}

int expr_parse(const char *text, struct expr **out, struct expr_error *err)
{
	struct parser p = { .text = text, .err = err };
	struct expr *e;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	if (tokenize(text, &p.toks, &p.n, err))
		return -EINVAL;
	if (p.toks[0].kind == T_END) {
		free_toks(p.toks, p.n);
		return 0;
	}
	e = parse_expr(&p);
	if (e && peek(&p)->kind != T_END) {
		fail(&p, peek(&p),
		     peek(&p)->kind == T_RP
			     ? "unexpected ')'"
			     : "expected 'and' or 'or' before this word");
		expr_free(e);
		e = NULL;
	}
	free_toks(p.toks, p.n);
	if (!e)
		return -EINVAL;
	*out = e;
	return 0;
}

/* ------------------------------------------------------------ match ---- */

static bool in_net(const struct prim *pr, uint8_t family, const uint8_t *a)
{
	unsigned int full = pr->plen / 8, rest = pr->plen % 8;

	if (family != pr->family)
		return false;
	if (memcmp(a, pr->addr, full))
		return false;
	return !rest || !((a[full] ^ pr->addr[full]) & (0xff00 >> rest));
}

/* One end of the packet: address @a and port @port. */
static bool end_match(const struct prim *pr, const struct expr_pkt *p,
		      const uint8_t *a, uint16_t port)
{
	switch (pr->kind) {
	case P_HOST:
	case P_NET:
		return in_net(pr, p->family, a);
	case P_PORT:
	case P_PORTRANGE:
		return p->has_ports && port >= pr->lo && port <= pr->hi;
	default:
		return false;
	}
}

static bool dir_match(const struct prim *pr, const struct expr_pkt *p)
{
	const struct expr_attrs *at = p->attrs;
	bool s, d;

	switch (pr->dir) {
	case D_SRC:
		return end_match(pr, p, p->src, p->sport);
	case D_DST:
		return end_match(pr, p, p->dst, p->dport);
	case D_ORIG:
		return at && end_match(pr, p, at->orig, at->orig_p);
	case D_RESP:
		return at && end_match(pr, p, at->resp, at->resp_p);
	default:
		s = end_match(pr, p, p->src, p->sport);
		d = end_match(pr, p, p->dst, p->dport);
		return pr->dir == D_BOTH ? s && d : s || d;
	}
}

/* Does @name (a DNS name) match @glob, as the name primitive does? */
static bool expr_name_match(const char *glob, const char *name)
{
	char buf[1024];
	size_t n = strlen(name);

	/* "example.com." is "example.com". */
	if (n && n < sizeof(buf) && name[n - 1] == '.') {
		memcpy(buf, name, n - 1);
		buf[n - 1] = '\0';
		name = buf;
	}
	return !fnmatch(glob, name, FNM_CASEFOLD);
}

static bool names_match(const char *glob, const struct expr_attrs *at)
{
	for (size_t i = 0; i < at->nnames; i++)
		if (at->names[i] && expr_name_match(glob, at->names[i]))
			return true;
	return false;
}

static bool container_match(const char *v, const struct expr_attrs *at)
{
	size_t n = strlen(v);

	if (at->container_name && !fnmatch(v, at->container_name, 0))
		return true;
	return at->container_id && n >= 4 && all_hex(v) &&
	       !strncasecmp(at->container_id, v, n);
}

static bool attr_match(const struct prim *pr, const struct expr_attrs *at)
{
	if (!at)
		return false;
	switch (pr->kind) {
	case P_NAME:
		return names_match(pr->str, at);
	case P_PID:
		return at->has_pid && at->pid == pr->num;
	case P_UID:
		return at->has_uid && at->uid == pr->num;
	case P_COMM:
		return at->comm && !fnmatch(pr->str, at->comm, 0);
	case P_CONTAINER:
		return container_match(pr->str, at);
	case P_FLOW:
		return at->flow_uid && !strcmp(at->flow_uid, pr->str);
	default:
		return false;
	}
}

static bool prim_match(const struct prim *pr, const struct expr_pkt *p)
{
	switch (pr->kind) {
	case P_HOST:
	case P_NET:
	case P_PORT:
	case P_PORTRANGE:
		return dir_match(pr, p);
	case P_PROTO:
		return p->proto == pr->num;
	case P_FAMILY:
		return p->family == pr->family;
	default:
		return attr_match(pr, p->attrs);
	}
}

bool expr_match(const struct expr *e, const struct expr_pkt *p)
{
	if (!e)
		return true;
	switch (e->kind) {
	case E_AND:
		return expr_match(e->l, p) && expr_match(e->r, p);
	case E_OR:
		return expr_match(e->l, p) || expr_match(e->r, p);
	case E_NOT:
		return !expr_match(e->l, p);
	default:
		return prim_match(&e->p, p);
	}
}

/* ------------------------------------------------------------ text ----- */

char *expr_join(int argc, char **argv)
{
	return str_join((const char *const *)argv, argc, " ");
}

void expr_print_error(FILE *f, const char *prog, const char *text,
		      const struct expr_error *err)
{
	size_t i, col = 0, w = 0;

	fprintf(f, "%s: bad expression: %s\n  ", prog, err->msg);
	for (i = 0; text[i]; i++) {
		unsigned char c = text[i];
		bool lead = (c & 0xc0) != 0x80;

		fputc(c < 0x20 || c == 0x7f ? ' ' : c, f);
		if (i < err->off)
			col += lead;
		else if (i < err->off + err->len)
			w += lead;
	}
	fprintf(f, "\n  %*s^", (int)col, "");
	for (i = 1; i < w; i++)
		fputc('~', f);
	fputc('\n', f);
}
