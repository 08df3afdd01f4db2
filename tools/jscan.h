/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_JSCAN_H
#define NR_JSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A validating JSON scanner for the index's lines, which are objects whose
 * values are mostly strings and numbers: it finds the members of the
 * top-level object without allocating, and values are decoded only when
 * asked for.  The text must be JSON as RFC 8259 has it, in UTF-8, with no
 * NUL in strings (as jansson reads it by default); anything else is an
 * error with its column.  Reading a line costs a few times less than
 * building it with jansson, which is what makes a query over thousands of
 * chunks take a fraction of a second.
 */
enum jtype { J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_OBJ, J_ARR };

struct jval {
	enum jtype type;
	const char *p; /* strings: between the quotes; others: the value */
	size_t n;
	bool esc; /* a string with escapes in it */
};

struct jmember {
	const char *key; /* between the quotes, as written */
	size_t klen;
	struct jval v;
};

#define JSCAN_MAX_MEMBERS 96

struct jobj {
	struct jmember m[JSCAN_MAX_MEMBERS];
	size_t n;
};

/*
 * Scan @s (@len bytes): one object, then only white space.  Returns 0, or
 * -1 with *@why and the 1-based column of the problem in *@col.  Members
 * beyond JSCAN_MAX_MEMBERS are validated but not kept.
 */
int jscan(const char *s, size_t len, struct jobj *o, const char **why,
	  size_t *col);

/* The member @key (the last one, if repeated), or NULL. */
const struct jval *jget(const struct jobj *o, const char *key);

/*
 * A string's text, unescaped, into @out (@cap bytes; v->n + 1 is always
 * enough).  Its length, or -1 when it does not fit.
 */
ssize_t jstr(const struct jval *v, char *out, size_t cap);
/* Is @v the string @s? */
bool jstr_eq(const struct jval *v, const char *s);
/* A number that is an integer in [0, UINT64_MAX]. */
bool jint(const struct jval *v, uint64_t *out);
/* Any number. */
bool jnum(const struct jval *v, double *out);
/* The next element of array @a after *@pos (0 to start): false at the end. */
bool jnext(const struct jval *a, size_t *pos, struct jval *elem);

#endif
