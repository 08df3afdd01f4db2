// SPDX-License-Identifier: GPL-2.0
/* Allocation, times and terminal-safe text for the tools. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "hashtab.h"
#include "log.h"
#include "tool.h"
#include "units.h"

void oom(void)
{
	pr_err("out of memory");
	exit(EXIT_USAGE);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

void xgrow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return;
	while (n < need)
		n *= 2;
	*p = xrealloc(*p, n * size);
	*cap = n;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom();
	return p;
}

int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

void time_str(int64_t ns, char *buf, size_t len)
{
	time_t sec = ns / NS_PER_SEC;
	long us = (ns % NS_PER_SEC) / 1000;
	struct tm tm;

	if (ns < 0 && ns % NS_PER_SEC) {
		sec--;
		us += 1000000;
	}
	if (!gmtime_r(&sec, &tm)) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, us);
}

char *str_join(const char *const *v, size_t n, const char *sep)
{
	size_t len = 1, seplen = strlen(sep), k, i;
	char *s, *p;

	for (i = 0; i < n; i++)
		len += strlen(v[i]) + seplen;
	s = p = xmalloc(len);
	for (i = 0; i < n; i++) {
		if (i) {
			memcpy(p, sep, seplen);
			p += seplen;
		}
		k = strlen(v[i]);
		memcpy(p, v[i], k);
		p += k;
	}
	*p = '\0';
	return s;
}

bool str_in_nocase(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcasecmp(v[i], s))
			return true;
	return false;
}

/* Bytes of the UTF-8 sequence at @s that must be escaped (0: none). */
static size_t unsafe_len(const unsigned char *s)
{
	if (*s < 0x20 || *s == 0x7f)
		return 1;
	/* C1 controls, U+0080..U+009F. */
	if (s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f)
		return 2;
	/* U+200E, U+200F, U+202A..U+202E, U+2066..U+2069. */
	if (s[0] == 0xe2 && s[1] == 0x80 &&
	    (s[2] == 0x8e || s[2] == 0x8f || (s[2] >= 0xaa && s[2] <= 0xae)))
		return 3;
	if (s[0] == 0xe2 && s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)
		return 3;
	return 0;
}

char *safe_dup(const char *s)
{
	const unsigned char *p;
	char *out, *q;
	size_t n;

	if (!s)
		return xstrdup("-");
	out = q = xmalloc(strlen(s) * 4 + 1);
	for (p = (const unsigned char *)s; *p;) {
		n = unsafe_len(p);
		if (!n) {
			*q++ = *p++;
			continue;
		}
		while (n--)
			q += sprintf(q, "\\x%02x", *p++);
	}
	*q = '\0';
	return out;
}

size_t str_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

int parse_ulong(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;

	if (!parse_digits(s, strlen(s), &v) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_bytes(const char *s, uint64_t *out)
{
	/* Longer ones (zeros before the digits) were always refused. */
	if (strlen(s) >= 32)
		return -EINVAL;
	return parse_size_unit(s, 1, out);
}

struct strmap_entry {
	char *key;
	void *value;
	struct strmap_entry *next; /* same hash */
};

struct strmap {
	struct hashtab *h; /* hash of the key -> first entry */
	struct strmap_entry **all;
	size_t n, cap;
};

struct strmap *strmap_new(void)
{
	struct strmap *m = xcalloc(1, sizeof(*m));

	m->h = hashtab_new(sizeof(uint64_t));
	if (!m->h)
		oom();
	return m;
}

static struct strmap_entry *strmap_find(const struct strmap *m, const char *key,
					uint64_t *hash)
{
	struct strmap_entry *e;

	*hash = hash_bytes(key, strlen(key));
	for (e = hashtab_get(m->h, hash); e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	return NULL;
}

void **strmap_slot(struct strmap *m, const char *key)
{
	struct strmap_entry *e;
	uint64_t hash;

	e = strmap_find(m, key, &hash);
	if (e)
		return &e->value;
	e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	e->next = hashtab_get(m->h, &hash);
	if (hashtab_put(m->h, &hash, e))
		oom();
	xgrow((void **)&m->all, &m->cap, m->n + 1, sizeof(*m->all));
	m->all[m->n++] = e;
	return &e->value;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	struct strmap_entry *e;
	uint64_t hash;

	e = strmap_find(m, key, &hash);
	return e ? e->value : NULL;
}

bool strmap_has(const struct strmap *m, const char *key)
{
	uint64_t hash;

	return strmap_find(m, key, &hash) != NULL;
}

size_t strmap_count(const struct strmap *m)
{
	return m->n;
}

void *strmap_value(const struct strmap *m, size_t i)
{
	return m->all[i]->value;
}

void strmap_free(struct strmap *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->all[i]->key);
		free(m->all[i]);
	}
	free(m->all);
	hashtab_free(m->h);
	free(m);
}

#define ARENA_BLOCK (256 << 10)

struct arena_block {
	struct arena_block *next;
	char data[];
};

struct arena {
	struct arena_block *blocks;
	char *cur;
	size_t left;
};

struct arena *arena_new(void)
{
	return xcalloc(1, sizeof(struct arena));
}

void *arena_alloc(struct arena *a, size_t n)
{
	struct arena_block *b;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (n > ARENA_BLOCK / 4) {
		/* Big: a block of its own, behind the current one. */
		b = xmalloc(sizeof(*b) + n);
		b->next = a->blocks ? a->blocks->next : NULL;
		if (a->blocks)
			a->blocks->next = b;
		else
			a->blocks = b;
		return b->data;
	}
	if (n > a->left) {
		b = xmalloc(sizeof(*b) + ARENA_BLOCK);
		b->next = a->blocks;
		a->blocks = b;
		a->cur = b->data;
		a->left = ARENA_BLOCK;
	}
	p = a->cur;
	a->cur += n;
	a->left -= n;
	return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p = arena_alloc(a, n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	if (!a)
		return;
	for (b = a->blocks; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
