// SPDX-License-Identifier: GPL-2.0
/* A validating, non-allocating JSON scanner for one-object lines. */
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "jscan.h"
#include "units.h"

#define MAX_DEPTH 64

struct sc {
	const char *s, *p, *end;
	const char *why;
};

static bool fail(struct sc *c, const char *why)
{
	if (!c->why)
		c->why = why;
	return false;
}

static void ws(struct sc *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' ||
				 *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char h = p[i];

		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* Bytes of the UTF-8 sequence at @p (before @end), 0 if it is not one. */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* \uXXXX at c->p (past the backslash), with a low surrogate after a high. */
static bool escape_u(struct sc *c)
{
	int u, lo;

	if (c->end - c->p < 5 || (u = hex4(c->p + 1)) < 0)
		return fail(c, "invalid \\u escape");
	c->p += 5;
	if (!u)
		return fail(c, "\\u0000 in a string");
	if (u >= 0xdc00 && u <= 0xdfff)
		return fail(c, "a lone low surrogate");
	if (u < 0xd800 || u > 0xdbff)
		return true;
	if (c->end - c->p < 6 || c->p[0] != '\\' || c->p[1] != 'u' ||
	    (lo = hex4(c->p + 2)) < 0xdc00 || lo > 0xdfff)
		return fail(c, "a high surrogate without its low one");
	c->p += 6;
	return true;
}

static bool string(struct sc *c, struct jval *v)
{
	const char *start = ++c->p;
	bool esc = false;
	size_t n;

	while (c->p < c->end) {
		unsigned char ch = *c->p;

		if (ch == '"') {
			*v = (struct jval){ J_STR, start, c->p - start, esc };
			c->p++;
			return true;
		}
		if (ch == '\\') {
			esc = true;
			if (++c->p >= c->end)
				break;
			if (*c->p == 'u') {
				if (!escape_u(c))
					return false;
				continue;
			}
			if (!strchr("\"\\/bfnrt", *c->p) || !*c->p)
				return fail(c, "invalid escape");
			c->p++;
			continue;
		}
		if (ch < 0x20)
			return fail(c, "control character in a string");
		if (ch < 0x80) {
			c->p++;
			continue;
		}
		n = utf8_len((const unsigned char *)c->p,
			     (const unsigned char *)c->end);
		if (!n)
			return fail(c, "invalid UTF-8");
		c->p += n;
	}
	return fail(c, "unterminated string");
}

static bool digits(struct sc *c)
{
	const char *s = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > s;
}

static bool number(struct sc *c, struct jval *v)
{
	const char *s = c->p;

	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (c->p >= c->end || *c->p < '1' || *c->p > '9')
		return fail(c, "invalid number");
	else
		digits(c);
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (!digits(c))
			return fail(c, "invalid number");
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (!digits(c))
			return fail(c, "invalid number");
	}
	*v = (struct jval){ J_NUM, s, c->p - s, false };
	return true;
}

static bool literal(struct sc *c, struct jval *v, const char *word,
		    enum jtype t)
{
	size_t n = strlen(word);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return fail(c, "invalid literal");
	*v = (struct jval){ t, c->p, n, false };
	c->p += n;
	return true;
}

static bool value(struct sc *c, struct jval *v, int depth);

/* An object, keeping its members in @o when given. */
static bool object(struct sc *c, struct jval *v, int depth, struct jobj *o)
{
	const char *s = c->p++;
	struct jval key, val;

	ws(c);
	if (c->p < c->end && *c->p == '}')
		goto done;
	for (;;) {
		ws(c);
		if (c->p >= c->end || *c->p != '"')
			return fail(c, "expected a member name");
		if (!string(c, &key))
			return false;
		ws(c);
		if (c->p >= c->end || *c->p != ':')
			return fail(c, "expected ':'");
		c->p++;
		if (!value(c, &val, depth + 1))
			return false;
		if (o && o->n < JSCAN_MAX_MEMBERS)
			o->m[o->n++] = (struct jmember){ key.p, key.n, val };
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == '}')
			break;
		return fail(c, "expected ',' or '}'");
	}
done:
	c->p++;
	*v = (struct jval){ J_OBJ, s, c->p - s, false };
	return true;
}

static bool array(struct sc *c, struct jval *v, int depth)
{
	const char *s = c->p++;
	struct jval e;

	ws(c);
	if (c->p < c->end && *c->p == ']')
		goto done;
	for (;;) {
		if (!value(c, &e, depth + 1))
			return false;
		ws(c);
		if (c->p < c->end && *c->p == ',') {
			c->p++;
			continue;
		}
		if (c->p < c->end && *c->p == ']')
			break;
		return fail(c, "expected ',' or ']'");
	}
done:
	c->p++;
	*v = (struct jval){ J_ARR, s, c->p - s, false };
	return true;
}

static bool value(struct sc *c, struct jval *v, int depth)
{
	if (depth > MAX_DEPTH)
		return fail(c, "nested too deep");
	ws(c);
	if (c->p >= c->end)
		return fail(c, "premature end of the line");
	switch (*c->p) {
	case '"':
		return string(c, v);
	case '{':
		return object(c, v, depth, NULL);
	case '[':
		return array(c, v, depth);
	case 't':
		return literal(c, v, "true", J_TRUE);
	case 'f':
		return literal(c, v, "false", J_FALSE);
	case 'n':
		return literal(c, v, "null", J_NULL);
	default:
		if (*c->p == '-' || (*c->p >= '0' && *c->p <= '9'))
			return number(c, v);
		return fail(c, "unexpected character");
	}
}

int jscan(const char *s, size_t len, struct jobj *o, const char **why,
	  size_t *col)
{
	struct sc c = { s, s, s + len, NULL };
	struct jval v;

	o->n = 0;
	ws(&c);
	if (c.p >= c.end || *c.p != '{')
		fail(&c, c.p >= c.end ? "empty line" : "not an object");
	else if (object(&c, &v, 0, o)) {
		ws(&c);
		if (c.p < c.end)
			fail(&c, "text after the object");
	}
	if (!c.why)
		return 0;
	*why = c.why;
	*col = c.p - s + 1;
	return -1;
}

const struct jval *jget(const struct jobj *o, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = o->n; i-- > 0;)
		if (o->m[i].klen == n && !memcmp(o->m[i].key, key, n))
			return &o->m[i].v;
	return NULL;
}

static size_t put_utf8(char *out, unsigned int u)
{
	if (u < 0x80) {
		out[0] = u;
		return 1;
	}
	if (u < 0x800) {
		out[0] = 0xc0 | u >> 6;
		out[1] = 0x80 | (u & 0x3f);
		return 2;
	}
	if (u < 0x10000) {
		out[0] = 0xe0 | u >> 12;
		out[1] = 0x80 | ((u >> 6) & 0x3f);
		out[2] = 0x80 | (u & 0x3f);
		return 3;
	}
	out[0] = 0xf0 | u >> 18;
	out[1] = 0x80 | ((u >> 12) & 0x3f);
	out[2] = 0x80 | ((u >> 6) & 0x3f);
	out[3] = 0x80 | (u & 0x3f);
	return 4;
}

static char unescape(char e)
{
	switch (e) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	default:
		return e; /* " \ / */
	}
}

ssize_t jstr(const struct jval *v, char *out, size_t cap)
{
	const char *p = v->p, *end = v->p + v->n;
	size_t n = 0, k;
	unsigned int u;
	char tmp[4];

	if (v->type != J_STR)
		return -1;
	while (p < end) {
		if (*p != '\\') {
			tmp[0] = *p++;
			k = 1;
		} else if (p[1] != 'u') {
			tmp[0] = unescape(p[1]);
			p += 2;
			k = 1;
		} else {
			u = hex4(p + 2);
			p += 6;
			/* Validated: a high surrogate has its low one next. */
			if (u >= 0xd800 && u <= 0xdbff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (hex4(p + 2) - 0xdc00);
				p += 6;
			}
			k = put_utf8(tmp, u);
		}
		if (n + k >= cap)
			return -1;
		memcpy(out + n, tmp, k);
		n += k;
	}
	if (n >= cap)
		return -1;
	out[n] = '\0';
	return n;
}

bool jstr_eq(const struct jval *v, const char *s)
{
	char buf[64];
	size_t n = strlen(s);

	if (!v || v->type != J_STR)
		return false;
	if (!v->esc)
		return v->n == n && !memcmp(v->p, s, n);
	return jstr(v, buf, sizeof(buf)) == (ssize_t)n && !memcmp(buf, s, n);
}

bool jint(const struct jval *v, uint64_t *out)
{
	if (!v || v->type != J_NUM)
		return false;
	return parse_digits(v->p, v->n, out);
}

bool jnum(const struct jval *v, double *out)
{
	char buf[64];

	if (!v || v->type != J_NUM || v->n >= sizeof(buf))
		return false;
	memcpy(buf, v->p, v->n);
	buf[v->n] = '\0';
	*out = strtod(buf, NULL);
	return true;
}

bool jnext(const struct jval *a, size_t *pos, struct jval *elem)
{
	struct sc c;

	if (!a || a->type != J_ARR)
		return false;
	c = (struct sc){ a->p, a->p + (*pos ? *pos : 1), a->p + a->n, NULL };
	ws(&c);
	if (c.p >= c.end || *c.p == ']')
		return false;
	if (!value(&c, elem, 1))
		return false;
	ws(&c);
	if (c.p < c.end && *c.p == ',')
		c.p++;
	*pos = c.p - a->p;
	return true;
}
