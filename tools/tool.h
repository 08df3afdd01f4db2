/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_TOOL_H
#define NR_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * What netrec-query and netrec-extract share: allocation that exits on
 * failure (a command-line tool has nothing better to do), times, and text
 * made safe for a terminal.  Messages go through src/log.h, prefixed with
 * the tool's name (log_set_name()).
 */

/* Exit codes of both tools. */
#define EXIT_FOUND 0
#define EXIT_NOMATCH 1
#define EXIT_USAGE 2

/* Says "out of memory" and exits with EXIT_USAGE. */
void oom(void) __attribute__((noreturn));
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
/* Grow *@p (of *@cap elements of @size) to hold at least @need. */
void xgrow(void **p, size_t *cap, size_t need, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The @n strings of @v with @sep between them (a new string). */
char *str_join(const char *const *v, size_t n, const char *sep);
/* Does @v (of @n) hold @s, case aside (names are case-insensitive)? */
bool str_in_nocase(const char *const *v, size_t n, const char *s);

#define NS_PER_SEC 1000000000LL
#define TIME_STR_LEN 40

int64_t now_ns(void);
/* "2025-11-22T04:40:00.123456Z": UTC, microseconds (as the index has). */
void time_str(int64_t ns, char *buf, size_t len);

/*
 * @s for a terminal: control characters (C0, DEL, C1) and the Unicode
 * bidirectional overrides as \xHH per byte, so that names taken from
 * packets cannot drive a terminal or reorder a line.  Other UTF-8 stays
 * (the index already writes bytes that are not UTF-8 as \xHH).  A new
 * string; NULL gives "-".
 */
char *safe_dup(const char *s);
/* Columns @s takes on a terminal (UTF-8 sequences count as one). */
size_t str_width(const char *s);

/*
 * Strings to pointers, in the order they were first put (for stable
 * output), on src/hashtab.c.
 */
struct strmap;

struct strmap *strmap_new(void);
/* The value slot of @key, made (holding NULL) when new. */
void **strmap_slot(struct strmap *m, const char *key);
/* NULL when absent. */
void *strmap_get(const struct strmap *m, const char *key);
bool strmap_has(const struct strmap *m, const char *key);
size_t strmap_count(const struct strmap *m);
/* The @i-th value put. */
void *strmap_value(const struct strmap *m, size_t i);
/* Frees the map and its keys, not the values. */
void strmap_free(struct strmap *m);

/*
 * Many small allocations freed together: strings of the indexes.  Blocks
 * of 256 KiB, or one of its own for anything bigger.
 */
struct arena;

struct arena *arena_new(void);
void *arena_alloc(struct arena *a, size_t n);
char *arena_strndup(struct arena *a, const char *s, size_t n);
void arena_free(struct arena *a);

/*
 * A size: digits, then optionally k, m or g (KiB, MiB, GiB).  0 or
 * -EINVAL.
 */
int parse_bytes(const char *s, uint64_t *out);
/* A non-negative decimal number that fits @max.  0 or -EINVAL. */
int parse_ulong(const char *s, uint64_t max, uint64_t *out);

#endif
