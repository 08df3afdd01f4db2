// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sanitize.h"
#include "tap.h"
#include "testutil.h"

#define VERBATIM                                                               \
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_+-."

static char out[NR_NAME_MAX + 1];

static const char *san(const char *in, size_t len)
{
	size_t n;

	memset(out, 'X', sizeof(out));
	n = sanitize_name(out, in, len);
	/* The returned length and the NUL must agree. */
	if (n > NR_NAME_MAX || out[n] != '\0' || strlen(out) != n)
		return "(bad length)";
	return out;
}

static const char *san_str(const char *in)
{
	return san(in, strlen(in));
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* Everything the header promises about any output. */
static bool well_formed(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > NR_NAME_MAX || s[0] == '.')
		return false;
	if (!strcmp(s, ".") || !strcmp(s, "..") || strchr(s, '/'))
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n)
				return false;
			if (!is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return false;
			i += 2;
			continue;
		}
		if (c < 0x21 || c >= 0x7f)
			return false;
		if (!strchr(VERBATIM, c))
			return false;
	}
	return true;
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* Inverse of the encoding: a round trip for every input proves injectivity. */
static size_t decode(const char *s, char *dst)
{
	size_t n = 0;

	for (; *s; s++) {
		if (*s == '%') {
			dst[n++] = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			dst[n++] = *s;
		}
	}
	return n;
}

static bool round_trips(const char *in, size_t len)
{
	char dec[NR_NAME_MAX];
	const char *enc = san(in, len);

	if (!well_formed(enc))
		return false;
	return decode(enc, dec) == len && !memcmp(dec, in, len);
}

static void test_plain(void)
{
	is_str(san_str("curl"), "curl", "plain comm unchanged");
	is_str(san_str("my-app_1.2+x"), "my-app_1.2+x",
	       "all verbatim punctuation kept");
	is_str(san_str("a.b"), "a.b", "inner dot kept");
	is_str(san_str("Z"), "Z", "single letter");
}

static void test_unsafe(void)
{
	is_str(san_str("a/b"), "a%2Fb", "slash encoded, uppercase hex");
	is_str(san_str("/"), "%2F", "lone slash");
	is_str(san_str("."), "%2E", "dot is not '.'");
	is_str(san_str(".."), "%2E.", "dot-dot is not '..'");
	is_str(san_str("../../x"), "%2E.%2F..%2Fx", "traversal neutralised");
	is_str(san_str(".bashrc"), "%2Ebashrc", "leading dot encoded");
	is_str(san_str("%"), "%25", "percent itself encoded");
	is_str(san_str("kworker/0:1"), "kworker%2F0%3A1", "kernel thread comm");
	is_str(san_str("a b"), "a%20b", "space encoded");
	is_str(san_str("\t\n\r\x1b\x7f"), "%09%0A%0D%1B%7F",
	       "control chars encoded");
	is_str(san_str("\xc3\xa9t\xc3\xa9"), "%C3%A9t%C3%A9", "UTF-8 encoded");
	is_str(san_str("\x80\xff"), "%80%FF", "high bytes encoded");
	is_str(san("a\0b", 3), "a%00b", "embedded NUL encoded");
	is_str(san("\0", 1), "%00", "lone NUL is not empty");
	is_str(san("", 0), "_", "empty input gives _");
	is_str(san(NULL, 0), "_", "NULL with zero length gives _");
}

static void test_long(void)
{
	char in[1000], want[NR_NAME_MAX + 1];
	const char *s;
	size_t pre, n;
	bool good = true;

	memset(in, 'a', sizeof(in));
	memset(want, 'a', NR_NAME_MAX);
	want[NR_NAME_MAX] = '\0';
	is_str(san(in, sizeof(in)), want, "long plain name cut at NR_NAME_MAX");

	/* Every alignment of escapes against the bound. */
	for (pre = 0; pre < 4; pre++) {
		memset(in, 'a', pre);
		memset(in + pre, '/', sizeof(in) - pre);
		s = san(in, sizeof(in));
		n = strlen(s);
		if (!well_formed(s) || n + 3 <= NR_NAME_MAX || n < pre) {
			good = false;
			printf("# pre=%zu got '%s'\n", pre, s);
		}
	}
	ok(good, "escape never cut, output filled to within one escape");

	memset(in, 'a', NR_NAME_MAX - 1);
	in[NR_NAME_MAX - 1] = '/';
	s = san(in, NR_NAME_MAX);
	ok(strlen(s) == NR_NAME_MAX - 1 && !strchr(s, '%'),
	   "escape that does not fit is dropped whole");

	memset(in, 'a', NR_NAME_MAX - 3);
	in[NR_NAME_MAX - 3] = '/';
	s = san(in, NR_NAME_MAX - 2);
	ok(strlen(s) == NR_NAME_MAX && !strcmp(s + NR_NAME_MAX - 3, "%2F"),
	   "escape that just fits is kept");

	good = true;
	for (n = 0; n < sizeof(in); n++)
		in[n] = (char)(n * 37 + 11);
	for (pre = 0; pre < 200; pre++)
		good &= well_formed(san(in + pre, sizeof(in) - pre));
	ok(good, "long mixed-byte names are well formed");
}

static void test_injective(void)
{
	static const char *const names[] = {
		"a/b", "a_b",  "a%2Fb", "a%b", "a.b", "a-b", "a+b",
		".a",  "%2Ea", "_2Ea",	"a",   "A",   "..",  ".",
	};
	static char enc[sizeof(names) / sizeof(names[0])][NR_NAME_MAX + 1];
	size_t i, j, n = sizeof(names) / sizeof(names[0]);
	bool distinct = true;
	char in[2];
	bool good;
	int a, b;

	for (i = 0; i < n; i++)
		strcpy(enc[i], san_str(names[i]));
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (!strcmp(enc[i], enc[j])) {
				distinct = false;
				printf("# '%s' and '%s' both give '%s'\n",
				       names[i], names[j], enc[i]);
			}
	ok(distinct, "confusable names stay distinct");

	good = true;
	for (a = 0; a < 256; a++) {
		in[0] = (char)a;
		good &= round_trips(in, 1);
	}
	ok(good, "every single byte round-trips");

	good = true;
	for (a = 0; a < 256; a++)
		for (b = 0; b < 256; b++) {
			in[0] = (char)a;
			in[1] = (char)b;
			good &= round_trips(in, 2);
		}
	ok(good, "every two-byte name round-trips (so encoding is injective)");
}

static uint64_t rnd(void)
{
	static uint64_t x = 0x9e3779b97f4a7c15ULL;

	return tu_xorshift64(&x);
}

static void test_random(void)
{
	char in[NR_NAME_MAX / 3];
	bool good = true;
	size_t len, k;
	int i;

	/* Short enough never to be cut, so each must round-trip. */
	for (i = 0; i < 100000; i++) {
		len = 1 + rnd() % sizeof(in);
		for (k = 0; k < len; k++)
			in[k] = (char)rnd();
		good &= round_trips(in, len);
	}
	ok(good, "random short names round-trip and are well formed");
}

int main(void)
{
	test_plain();
	test_unsafe();
	test_long();
	test_injective();
	test_random();
	return tap_done();
}
