// SPDX-License-Identifier: GPL-2.0
/* The tools' JSON scanner: decoding, errors, and jansson as an oracle. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "jscan.h"

static struct jobj o;

static int scan(const char *s)
{
	const char *why;
	size_t col;

	return jscan(s, strlen(s), &o, &why, &col);
}

static void test_values(void)
{
	const char *line = "{\"type\":\"flow\",\"n\":42,\"r\":1763787000.25,"
			   "\"t\":true,\"f\":false,\"z\":null,"
			   "\"s\":\"a\\\"b\\\\c\\/d\\n\\u00e9\\ud83d\\ude00\","
			   "\"a\":[\"x\",1,\"y\",{\"k\":[]}],\"o\":{\"p\":1},"
			   "\"n\":43}";
	char buf[64];
	uint64_t u;
	double d;
	struct jval e;
	size_t pos = 0;

	ok(scan(line) == 0, "a line with every kind of value scans");
	ok(jstr_eq(jget(&o, "type"), "flow"), "a plain string");
	ok(jint(jget(&o, "n"), &u) && u == 43, "a repeated key: the last one");
	ok(jnum(jget(&o, "r"), &d) && d == 1763787000.25, "a real");
	ok(!jint(jget(&o, "r"), &u), "a real is not an integer");
	ok(jget(&o, "t")->type == J_TRUE && jget(&o, "f")->type == J_FALSE &&
		   jget(&o, "z")->type == J_NULL,
	   "true, false, null");
	ok(jstr(jget(&o, "s"), buf, sizeof(buf)) > 0, "escapes decode");
	is_str(buf, "a\"b\\c/d\n\xc3\xa9\xf0\x9f\x98\x80",
	       "escapes, \\u and a surrogate pair as UTF-8");
	ok(jstr(jget(&o, "s"), buf, 4) < 0, "a short buffer is refused");
	for (size_t i = 0; i < o.n; i++) {
		const struct jval *v = &o.m[i].v;
		char *exact;

		if (v->type != J_STR)
			continue;
		exact = malloc(v->n + 1);
		ok(jstr(v, exact, v->n + 1) >= 0,
		   "'%.*s': its raw length + 1 is enough", (int)o.m[i].klen,
		   o.m[i].key);
		free(exact);
	}

	ok(jnext(jget(&o, "a"), &pos, &e) && jstr_eq(&e, "x"), "array: 1st");
	ok(jnext(jget(&o, "a"), &pos, &e) && jint(&e, &u) && u == 1,
	   "array: 2nd");
	ok(jnext(jget(&o, "a"), &pos, &e) && jstr_eq(&e, "y"), "array: 3rd");
	ok(jnext(jget(&o, "a"), &pos, &e) && e.type == J_OBJ, "array: 4th");
	ok(!jnext(jget(&o, "a"), &pos, &e), "array: end");
	ok(jget(&o, "o")->type == J_OBJ && !jget(&o, "p"),
	   "nested members are not top-level members");
	ok(!jget(&o, "missing"), "a missing key");
	ok(scan("{\"c\":\"a\\nb\",\"d\":\"\\\\x41\"}") == 0 &&
		   jstr(jget(&o, "c"), buf, 4) == 3 &&
		   jstr(jget(&o, "d"), buf, 5) == 4 && !strcmp(buf, "\\x41"),
	   "escapes at the end of a string fit their raw length");
	ok(scan("  {}  \n") == 0 && o.n == 0, "an empty object");
	ok(scan("{\"k\":-0.5e+3}") == 0 && jnum(jget(&o, "k"), &d) && d == -500,
	   "an exponent");
	ok(!jint(jget(&o, "k"), &u), "a negative number is no uint");
	ok(scan("{\"k\":18446744073709551616}") == 0 &&
		   !jint(jget(&o, "k"), &u),
	   "an integer beyond 64 bits is not an integer");
}

static void bad(const char *s, const char *why_part, size_t want_col)
{
	const char *why = NULL;
	size_t col = 0;
	int r = jscan(s, strlen(s), &o, &why, &col);

	ok(r != 0 && why && strstr(why, why_part) &&
		   (!want_col || col == want_col),
	   "refused: %s (%s, column %zu)", why_part, why ? why : "-", col);
}

static void test_errors(void)
{
	bad("", "empty", 1);
	bad("[1]", "not an object", 1);
	bad("{\"a\":1", "expected ','", 7);
	bad("{\"a\":1,}", "member name", 8);
	bad("{\"a\" 1}", "':'", 6);
	bad("{\"a\":1} x", "after the object", 9);
	bad("{\"a\":\"b}", "unterminated", 0);
	bad("{\"a\":\"\x01\"}", "control character", 7);
	bad("{\"a\":\"\\x\"}", "invalid escape", 0);
	bad("{\"a\":\"\\u12g4\"}", "\\u escape", 0);
	bad("{\"a\":\"\\u0000\"}", "\\u0000", 0);
	bad("{\"a\":\"\\udc00\"}", "lone low surrogate", 0);
	bad("{\"a\":\"\\ud800x\"}", "without its low", 0);
	bad("{\"a\":\"\xff\"}", "UTF-8", 7);
	bad("{\"a\":\"\xc0\xaf\"}", "UTF-8", 7);
	bad("{\"a\":\"\xed\xa0\x80\"}", "UTF-8", 7);
	bad("{\"a\":01}", "expected ','", 0);
	bad("{\"a\":1.}", "invalid number", 0);
	bad("{\"a\":-}", "invalid number", 0);
	bad("{\"a\":1e}", "invalid number", 0);
	bad("{\"a\":tru}", "literal", 0);
	bad("{\"a\":[1,]}", "unexpected", 0);
	bad("{\"a\":'x'}", "unexpected", 0);
	bad("{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]"
	    "]]]]]]]]]]]]]]]}",
	    "too deep", 0);
}

/* jscan accepts what jansson accepts, on mutations of real lines. */
static void test_oracle(void)
{
	static const char *const lines[] = {
		"{\"type\":\"flow\",\"uid\":\"CkR3xT9m2pQ1vB7a\",\"proto\":\"tcp\","
		"\"id.orig_h\":\"10.0.0.1\",\"id.orig_p\":40112,\"ts\":1763787000."
		"2,\"duration\":0.0031,\"closed\":true,\"names\":[\"www.example."
		"com\"],\"comm\":\"c\\u00e9\\\\x41\",\"first_offset\":24}",
		"{\"type\":\"dns\",\"answers\":[\"a\",\"93.184.216.34\"],\"TTLs\":"
		"[300,60],\"rtt\":2.1e-4,\"qr\":false,\"x\":null,\"o\":{\"p\":"
		"{}}}",
	};
	static const char alphabet[] = "{}[]\":,\\-+.eE0123456789 \tunlfatrx"
				       "\x01\x7f\xc3\xa9\xff\xed\xa0\x80";
	char buf[512];
	int agree = 0, n = 0, skipped = 0;

	srand(1);
	for (int i = 0; i < 40000; i++) {
		const char *src = lines[i % 2];
		size_t len = strlen(src), k;
		json_error_t e;
		json_t *j;
		int edits = 1 + rand() % 3;

		memcpy(buf, src, len);
		for (int m = 0; m < edits; m++) {
			k = rand() % len;
			switch (rand() % 3) {
			case 0:
				buf[k] = alphabet[rand() %
						  (sizeof(alphabet) - 1)];
				break;
			case 1:
				memmove(buf + k, buf + k + 1, len - k - 1);
				len--;
				break;
			default:
				if (len + 1 >= sizeof(buf))
					break;
				memmove(buf + k + 1, buf + k, len - k);
				buf[k] = alphabet[rand() %
						  (sizeof(alphabet) - 1)];
				len++;
			}
		}
		j = json_loadb(buf, len, 0, &e);
		/* jansson's own limits on numbers are not JSON's. */
		if (!j &&
		    (strstr(e.text, "too big") || strstr(e.text, "overflow"))) {
			skipped++;
			continue;
		}
		const char *why;
		size_t col;
		bool mine = !jscan(buf, len, &o, &why, &col);
		bool theirs = j && json_is_object(j);

		n++;
		agree += mine == theirs;
		if (mine != theirs && n - agree <= 3)
			printf("# disagree (jscan %d, jansson %d): %.*s\n",
			       mine, theirs, (int)len, buf);
		json_decref(j);
	}
	ok(agree == n,
	   "jscan and jansson agree on %d of %d mutated lines "
	   "(%d skipped)",
	   agree, n, skipped);
}

int main(void)
{
	test_values();
	test_errors();
	test_oracle();
	return tap_done();
}
