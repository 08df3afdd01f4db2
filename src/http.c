// SPDX-License-Identifier: GPL-2.0
/*
 * The start line (and Host header) of an HTTP/1.x message, recognised by
 * content.  The input is packet payload: any bytes, no NUL at the end,
 * maybe cut anywhere by the snaplen.  A start line cut off after enough
 * of it to be sure (the method and part of the URI, or the version and
 * status code) is still taken, with what is unknown left empty; a header
 * line is only taken whole, so a cut Host is never a wrong one.
 */
#include <stdbool.h>
#include <string.h>

#include "http.h"

static const char *const methods[] = {
	"GET",	   "POST",  "PUT",     "DELETE", "HEAD",
	"OPTIONS", "PATCH", "CONNECT", "TRACE",
};

/* One line of the input: its content without CR LF. */
struct line {
	const uint8_t *p;
	size_t n;
	bool complete; /* ended by LF, not by the end of the input */
};

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Controls other than HTAB, and DEL: never in a start line or a value. */
static bool is_ctl(uint8_t c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Splits off the line at @p; returns where the next one starts. */
static size_t next_line(const uint8_t *p, size_t len, struct line *l)
{
	const uint8_t *lf = memchr(p, '\n', len);
	size_t used = lf ? (size_t)(lf - p) + 1 : len;

	l->p = p;
	l->n = lf ? (size_t)(lf - p) : len;
	l->complete = lf != NULL;
	/* A CR belongs to the line end, even one the capture cut before LF. */
	if (l->n && p[l->n - 1] == '\r')
		l->n--;
	return used;
}

static void copy_cut(char *dst, size_t size, const uint8_t *src, size_t n)
{
	if (n > size - 1)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void trim(const uint8_t **p, size_t *n)
{
	while (*n && is_ws((*p)[0])) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_ws((*p)[*n - 1]))
		(*n)--;
}

static bool any_ctl(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (is_ctl(p[i]))
			return true;
	}
	return false;
}

/*
 * "HTTP/1.x" at @p (@n bytes): 1 when there, and @version is filled; 0
 * when @n ends inside it; -1 when it is not.
 */
static int match_version(const uint8_t *p, size_t n, char version[4])
{
	static const char prefix[] = "HTTP/1.";
	size_t i;

	for (i = 0; i < sizeof(prefix) - 1; i++) {
		if (i == n)
			return 0;
		if (p[i] != (uint8_t)prefix[i])
			return -1;
	}
	if (i == n)
		return 0;
	if (!is_digit(p[i]))
		return -1;
	version[0] = '1';
	version[1] = '.';
	version[2] = (char)p[i];
	version[3] = '\0';
	return 1;
}

static bool known_method(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (strlen(methods[i]) == n && !memcmp(p, methods[i], n))
			return true;
	}
	return false;
}

bool http_may_start(const uint8_t *p, size_t len)
{
	const uint8_t *sp;

	if (len >= 5 && !memcmp(p, "HTTP/", 5))
		return true;
	sp = memchr(p, ' ', len < HTTP_METHOD_MAX ? len : HTTP_METHOD_MAX);
	return sp && known_method(p, (size_t)(sp - p));
}

/* The request target: visible bytes (or not ASCII); no SP, CR or NUL. */
static bool uri_byte(uint8_t c)
{
	return c > 0x20 && c != 0x7f;
}

/* "METHOD SP URI SP HTTP/1.x" */
static bool parse_request(const struct line *l, struct http_msg *m)
{
	const uint8_t *sp = memchr(l->p, ' ', l->n);
	size_t mlen, off, ulen;
	int v;

	if (!sp)
		return false;
	mlen = (size_t)(sp - l->p);
	if (!known_method(l->p, mlen))
		return false;
	off = mlen + 1;
	for (ulen = 0; off + ulen < l->n && uri_byte(l->p[off + ulen]); ulen++)
		;
	if (!ulen)
		return false;
	if (off + ulen == l->n) {
		/* No version: HTTP/0.9, unless the capture cut it off. */
		if (l->complete)
			return false;
		goto found;
	}
	if (l->p[off + ulen] != ' ')
		return false;
	off += ulen + 1;
	v = match_version(l->p + off, l->n - off, m->version);
	if (v < 0 || (v == 0 && l->complete))
		return false;
	if (v > 0) {
		off += 8;
		while (off < l->n && is_ws(l->p[off]))
			off++;
		if (off != l->n)
			return false;
	}
found:
	copy_cut(m->method, sizeof(m->method), l->p, mlen);
	copy_cut(m->uri, sizeof(m->uri), l->p + mlen + 1, ulen);
	return true;
}

/* "HTTP/1.x SP 3DIGIT [SP reason]" */
static bool parse_status(const struct line *l, struct http_msg *m)
{
	const uint8_t *p = l->p, *reason;
	size_t rlen;

	if (match_version(p, l->n, m->version) <= 0)
		return false;
	if (l->n < 12 || p[8] != ' ')
		return false;
	if (p[9] < '1' || p[9] > '5' || !is_digit(p[10]) || !is_digit(p[11]))
		return false;
	if (l->n > 12 && p[12] != ' ')
		return false;
	reason = p + 12;
	rlen = l->n - 12;
	trim(&reason, &rlen);
	if (any_ctl(reason, rlen))
		return false;
	m->is_response = true;
	m->status_code = (unsigned int)((p[9] - '0') * 100 +
					(p[10] - '0') * 10 + (p[11] - '0'));
	copy_cut(m->status_msg, sizeof(m->status_msg), reason, rlen);
	return true;
}

/* The first whole "Host:" line before the end of the headers. */
static void find_host(const uint8_t *p, size_t len, struct http_msg *m)
{
	static const char name[] = "host:";
	const size_t nlen = sizeof(name) - 1;
	struct line l;
	size_t i;

	while (len) {
		size_t used = next_line(p, len, &l);

		if (!l.complete || !l.n)
			return;
		p += used;
		len -= used;
		if (l.n < nlen)
			continue;
		for (i = 0; i < nlen && lower(l.p[i]) == (uint8_t)name[i]; i++)
			;
		if (i < nlen)
			continue;
		l.p += nlen;
		l.n -= nlen;
		trim(&l.p, &l.n);
		if (!any_ctl(l.p, l.n))
			copy_cut(m->host, sizeof(m->host), l.p, l.n);
		return;
	}
}

bool http_parse(const uint8_t *p, size_t len, struct http_msg *m)
{
	struct line l;
	size_t used;

	memset(m, 0, sizeof(*m));
	if (!p || !len)
		return false;
	used = next_line(p, len, &l);

	if (l.n >= 5 && !memcmp(l.p, "HTTP/", 5)) {
		if (!parse_status(&l, m))
			goto fail;
		return true;
	}
	if (!parse_request(&l, m))
		goto fail;
	if (l.complete)
		find_host(p + used, len - used, m);
	return true;
fail:
	memset(m, 0, sizeof(*m));
	return false;
}
