// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "tap.h"

static const char *const methods[] = {
	"GET",	   "POST",  "PUT",     "DELETE", "HEAD",
	"OPTIONS", "PATCH", "CONNECT", "TRACE",
};

static struct http_msg m;
/* Messages http_parse() took that http_may_start() would have turned away. */
static int may_start_missed, parsed_ok;

/*
 * Parses a copy in a buffer of exactly @n bytes, with no NUL after it:
 * ASan reports any read past the end.
 */
static bool parse(const void *s, size_t n)
{
	uint8_t *copy = malloc(n);
	bool ret;

	if (n && !copy)
		abort();
	if (n)
		memcpy(copy, s, n);
	memset(&m, 0x5a, sizeof(m));
	ret = http_parse(copy, n, &m);
	if (ret) {
		parsed_ok++;
		may_start_missed += !http_may_start(copy, n);
	}
	free(copy);
	return ret;
}

static bool parse_str(const char *s)
{
	return parse(s, strlen(s));
}

static bool is_zero(const struct http_msg *msg)
{
	static const struct http_msg zero;

	return !memcmp(msg, &zero, sizeof(zero));
}

static bool terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static bool has_ctl(const char *s, bool tab_ok)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t' && tab_ok)
			continue;
		if (c < 0x20 || c == 0x7f)
			return true;
	}
	return false;
}

static bool known_method(const char *s)
{
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!strcmp(s, methods[i]))
			return true;
	}
	return false;
}

/* What http.h promises of every result. */
static bool well_formed(bool ret)
{
	if (!ret)
		return is_zero(&m);
	if (!terminated(m.version, sizeof(m.version)) ||
	    !terminated(m.method, sizeof(m.method)) ||
	    !terminated(m.uri, sizeof(m.uri)) ||
	    !terminated(m.host, sizeof(m.host)) ||
	    !terminated(m.status_msg, sizeof(m.status_msg)))
		return false;
	if (m.version[0] &&
	    (strlen(m.version) != 3 || strncmp(m.version, "1.", 2) ||
	     m.version[2] < '0' || m.version[2] > '9'))
		return false;
	if (m.is_response)
		return m.status_code >= 100 && m.status_code <= 599 &&
		       m.version[0] && !m.method[0] && !m.uri[0] &&
		       !m.host[0] && !has_ctl(m.status_msg, true);
	return known_method(m.method) && m.uri[0] && !strchr(m.uri, ' ') &&
	       !has_ctl(m.uri, false) && !has_ctl(m.host, true) &&
	       !m.status_code && !m.status_msg[0];
}

static void test_request(void)
{
	char buf[64];
	size_t i;
	bool good = true;

	ok(parse_str("GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n"
		     "User-Agent: curl/8.5\r\nAccept: */*\r\n\r\n"),
	   "GET request");
	ok(!m.is_response, "request is not a response");
	is_str(m.method, "GET", "method");
	is_str(m.uri, "/index.html", "uri");
	is_str(m.version, "1.1", "version");
	is_str(m.host, "www.example.com", "host");
	ok(m.status_code == 0 && !m.status_msg[0], "no status on a request");

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		snprintf(buf, sizeof(buf), "%s /x HTTP/1.0\r\n\r\n",
			 methods[i]);
		if (!parse_str(buf) || strcmp(m.method, methods[i]) ||
		    strcmp(m.version, "1.0")) {
			printf("# method %s not taken\n", methods[i]);
			good = false;
		}
	}
	ok(good, "all nine methods");

	ok(parse_str("CONNECT example.com:443 HTTP/1.1\r\n"
		     "Host: example.com:443\r\n\r\n"),
	   "CONNECT");
	is_str(m.uri, "example.com:443", "CONNECT authority as uri");

	ok(parse_str("POST /api?q=1&r=%20 HTTP/1.1\nHost: api\n\nbody"),
	   "bare LF line ends");
	is_str(m.uri, "/api?q=1&r=%20", "query kept raw");
	is_str(m.host, "api", "host with bare LF");

	ok(parse_str("GET / HTTP/1.1 \t\r\n\r\n"),
	   "trailing blanks after version");
	ok(parse_str("OPTIONS * HTTP/1.1\r\n\r\n"), "asterisk form");
	is_str(m.uri, "*", "asterisk uri");
}

static void test_not_request(void)
{
	ok(!parse_str("get / HTTP/1.1\r\n\r\n") && is_zero(&m),
	   "lowercase method: no, zeroed");
	ok(!parse_str("GETX / HTTP/1.1\r\n\r\n"), "method with a suffix");
	ok(!parse_str("PROPFIND / HTTP/1.1\r\n\r\n"), "unknown method");
	ok(!parse_str(" GET / HTTP/1.1\r\n\r\n"), "leading space");
	ok(!parse_str("\r\nGET / HTTP/1.1\r\n\r\n"), "leading empty line");
	ok(!parse_str("GET  / HTTP/1.1\r\n\r\n"), "two spaces after method");
	ok(!parse_str("GET / HTTP/2.0\r\n\r\n"), "HTTP/2.0");
	ok(!parse_str("GET / HTTP/1.x\r\n\r\n"), "HTTP/1.x with a letter");
	ok(!parse_str("GET / HTTP/1.1 extra\r\n\r\n"), "junk after version");
	ok(!parse_str("GET / HTTP/1.10\r\n\r\n"), "HTTP/1.10");
	ok(!parse_str("GET / FTP/1.1\r\n\r\n"), "not HTTP");
	ok(!parse_str("GET /\r\n"), "HTTP/0.9 request line");
	ok(!parse_str("GET \r\n\r\n"), "no uri");
	ok(!parse_str("GET  HTTP/1.1\r\n"), "empty uri");
	ok(!parse_str("GET"), "method alone");
	ok(!parse_str("GET "), "method and space only");
	ok(!parse_str("GE"), "cut method");
}

static void test_host(void)
{
	char big[600];
	size_t n;

	ok(parse_str("GET / HTTP/1.1\r\nhOsT:\t  example.org:8080 \t\r\n\r\n"),
	   "mixed case Host");
	is_str(m.host, "example.org:8080",
	       "Host name case-insensitive, trimmed");

	ok(parse_str("GET / HTTP/1.1\r\nX-Host: evil\r\nHostname: bad\r\n"
		     "Host: good\r\nHost: second\r\n\r\n"),
	   "several host-like headers");
	is_str(m.host, "good", "only Host itself, the first one");

	ok(parse_str("GET / HTTP/1.1\r\nAccept: */*\r\n\r\nHost: body\r\n"),
	   "Host after the headers");
	is_str(m.host, "", "Host in the body is not taken");

	ok(parse_str("GET / HTTP/1.1\r\nAccept: */*\r\nHost: www.exa"),
	   "Host line cut off");
	is_str(m.host, "", "a cut Host is not taken");

	ok(parse_str("GET / HTTP/1.1\r\nAccept: */*\r\nHost: a.b\r"),
	   "Host line cut before LF");
	is_str(m.host, "", "Host without LF is not taken");

	ok(parse_str("GET / HTTP/1.1\r\n Host: folded\r\n\r\n"),
	   "continuation line");
	is_str(m.host, "", "indented Host is not a header");

	ok(parse_str("GET / HTTP/1.1\r\nHost : spaced\r\n\r\n"),
	   "space before colon");
	is_str(m.host, "", "Host with space before colon is not taken");

	ok(parse_str("GET / HTTP/1.1\r\nHost:\r\n\r\n"), "empty Host");
	is_str(m.host, "", "empty Host value");

	ok(parse_str("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"), "no Host");
	is_str(m.host, "", "no Host header");

	ok(parse("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29), "NUL in Host");
	is_str(m.host, "", "Host with NUL is left out");

	ok(parse_str("GET / HTTP/1.1\r\nHost: a\x1b[2Jb\r\n\r\n"),
	   "escape in Host");
	is_str(m.host, "", "Host with control bytes is left out");

	ok(parse_str("GET / HTTP/1.1\r\nHost: \xc3\xa9t\xc3\xa9\xff\r\n\r\n"),
	   "non-ASCII Host");
	is_str(m.host, "\xc3\xa9t\xc3\xa9\xff", "non-ASCII Host kept raw");

	memcpy(big, "GET / HTTP/1.1\r\nHost: ", 22);
	memset(big + 22, 'h', 500);
	memcpy(big + 522, "\r\n\r\n", 4);
	ok(parse(big, 526) && strlen(m.host) == HTTP_HOST_MAX - 1 &&
		   m.host[0] == 'h',
	   "long Host cut to fit");
	for (n = 254; n <= 257; n++) {
		memset(big + 22, 'h', n);
		memcpy(big + 22 + n, "\r\n\r\n", 4);
		ok(parse(big, 22 + n + 4) &&
			   strlen(m.host) == (n < 255 ? n : 255),
		   "Host of %zu bytes", n);
	}

	ok(parse_str("HTTP/1.1 301 Moved\r\nHost: x\r\n\r\n") && !m.host[0],
	   "Host is not looked for in responses");
}

static void test_uri(void)
{
	char big[5100];
	size_t i;

	memcpy(big, "GET /", 5);
	for (i = 5; i < 5005; i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big + 5005, " HTTP/1.1\r\nHost: h\r\n\r\n", 22);
	ok(parse(big, 5027), "5000-byte uri");
	ok(strlen(m.uri) == HTTP_URI_MAX - 1 && !memcmp(m.uri, big + 4, 1023),
	   "long uri cut to fit");
	is_str(m.version, "1.1", "version after a long uri");
	is_str(m.host, "h", "host after a long uri");

	ok(parse(big, 3000), "long uri cut by the snaplen");
	ok(strlen(m.uri) == HTTP_URI_MAX - 1 && !m.version[0],
	   "cut long uri: uri cut, version unknown");

	/* Right at the bounds: a uri of 1023, 1024 and 1025 bytes. */
	for (i = 1023; i <= 1025; i++) {
		memset(big + 5, 'u', i - 1);
		memcpy(big + 4 + i, " HTTP/1.1\r\n\r\n", 13);
		ok(parse(big, 4 + i + 13) &&
			   strlen(m.uri) == (i < 1023 ? i : 1023) &&
			   !strcmp(m.version, "1.1"),
		   "uri of %zu bytes", i);
	}

	ok(!parse("GET /a\0b HTTP/1.1\r\n\r\n", 21) && is_zero(&m),
	   "NUL in uri: no");
	ok(!parse_str("GET /a\rb HTTP/1.1\r\n\r\n"), "CR in uri");
	ok(!parse_str("GET /a\x1b HTTP/1.1\r\n\r\n"), "ESC in uri");
	ok(!parse_str("GET /a\x7f HTTP/1.1\r\n\r\n"), "DEL in uri");
	ok(!parse_str("GET /a\tb HTTP/1.1\r\n\r\n"), "tab in uri");
	ok(parse_str("GET /\xff\xfe\xc3\xa9 HTTP/1.1\r\n\r\n"),
	   "non-ASCII uri taken");
	is_str(m.uri, "/\xff\xfe\xc3\xa9", "non-ASCII uri kept raw");
}

static void test_cut(void)
{
	ok(parse_str("GET /very/long/pa"), "request cut in the uri");
	is_str(m.uri, "/very/long/pa", "cut uri");
	is_str(m.version, "", "cut request: version unknown");
	is_str(m.host, "", "cut request: no host");

	ok(parse_str("GET / HTT") && !m.version[0], "cut in the version");
	ok(parse_str("GET / HTTP/1.") && !m.version[0], "cut before the digit");
	ok(!parse_str("GET / HTX"), "cut in something not a version");
	ok(parse_str("GET / HTTP/1.1") && !strcmp(m.version, "1.1"),
	   "cut before CR LF");
	ok(parse_str("GET / HTTP/1.1\r") && !strcmp(m.version, "1.1"),
	   "cut between CR and LF");

	ok(!parse_str("HTTP/1.1 20"), "status line cut in the code");
	ok(!parse_str("HTTP/1."), "status line cut in the version");
	ok(parse_str("HTTP/1.1 200") && m.status_code == 200 &&
		   !m.status_msg[0],
	   "status line cut after the code");
	ok(parse_str("HTTP/1.1 206 Parti") && !strcmp(m.status_msg, "Parti"),
	   "status line cut in the reason");
}

static void test_response(void)
{
	char big[400];
	size_t n;

	ok(parse_str("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
	   "200 response");
	ok(m.is_response && m.status_code == 200, "is_response, code");
	is_str(m.status_msg, "OK", "reason");
	is_str(m.version, "1.1", "response version");
	ok(!m.method[0] && !m.uri[0], "no request fields on a response");

	ok(parse_str("HTTP/1.0 404 Not Found\r\n\r\n") && m.status_code == 404,
	   "404");
	is_str(m.status_msg, "Not Found", "reason with a space");
	is_str(m.version, "1.0", "HTTP/1.0");

	ok(parse_str("HTTP/1.1 204\r\n\r\n") && m.status_code == 204 &&
		   !m.status_msg[0],
	   "no reason, no space");
	ok(parse_str("HTTP/1.1 204 \r\n\r\n") && !m.status_msg[0],
	   "empty reason");
	ok(parse_str("HTTP/1.1 500  Oops \t\r\n") &&
		   !strcmp(m.status_msg, "Oops"),
	   "reason trimmed");
	ok(parse_str("HTTP/1.1 100 Continue\n\n") && m.status_code == 100,
	   "bare LF response");
	ok(parse_str("HTTP/1.1 599 \xc3\xa9\r\n") &&
		   !strcmp(m.status_msg, "\xc3\xa9"),
	   "non-ASCII reason kept");

	ok(!parse_str("HTTP/2 200\r\n\r\n"), "HTTP/2");
	ok(!parse_str("HTTP/1.1 20 OK\r\n"), "two-digit code");
	ok(!parse_str("HTTP/1.1 2000 OK\r\n"), "four-digit code");
	ok(!parse_str("HTTP/1.1 600 X\r\n"), "code 600");
	ok(!parse_str("HTTP/1.1 099 X\r\n"), "code 099");
	ok(!parse_str("HTTP/1.1  200 OK\r\n"), "two spaces before code");
	ok(!parse_str("HTTP/1.1 2x0 OK\r\n"), "letter in code");
	ok(!parse_str("HTTP/1.1\r\n"), "no code");
	ok(!parse("HTTP/1.1 200 O\0K\r\n", 18) && is_zero(&m), "NUL in reason");
	ok(!parse_str("HTTP/1.1 200 O\x1bK\r\n"), "ESC in reason");
	ok(!parse_str("http/1.1 200 OK\r\n"), "lowercase http");

	memcpy(big, "HTTP/1.1 200 ", 13);
	memset(big + 13, 'r', 300);
	memcpy(big + 313, "\r\n", 2);
	ok(parse(big, 315) && strlen(m.status_msg) == HTTP_MSG_MAX - 1,
	   "long reason cut to fit");
	for (n = 126; n <= 129; n++) {
		memset(big + 13, 'r', n);
		memcpy(big + 13 + n, "\r\n", 2);
		ok(parse(big, 13 + n + 2) &&
			   strlen(m.status_msg) == (n < 127 ? n : 127),
		   "reason of %zu bytes", n);
	}
}

static void test_garbage(void)
{
	static const uint8_t tls[] = {
		0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03,
		0x03, 0x4e, 0x2a, 0x80, 0x11, 0x00, 0x00, 0x20, 0x47, 0x45,
	};
	uint8_t zeros[100] = { 0 };

	ok(!parse(tls, sizeof(tls)) && is_zero(&m), "TLS ClientHello");
	ok(!parse(zeros, sizeof(zeros)), "zeros");
	ok(!parse("", 0), "empty");
	memset(&m, 0x5a, sizeof(m));
	ok(!http_parse(NULL, 0, &m) && is_zero(&m), "NULL, zeroed");
	ok(!parse_str("SSH-2.0-OpenSSH_9.6\r\n"), "SSH banner");
	ok(!parse_str("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), "HTTP/2 preface");
	ok(!parse_str("\x16\x03\x01GET / HTTP/1.1\r\n"), "GET not at start");
}

/* Every prefix of a message: no crash, and nothing that contradicts it. */
static void test_prefixes(void)
{
	static const char req[] = "PATCH /items/42?x=y HTTP/1.1\r\n"
				  "Accept: */*\r\nHost: shop.example\r\n\r\n{}";
	static const char rsp[] = "HTTP/1.0 403 Forbidden here\r\n"
				  "Server: x\r\n\r\nno";
	size_t n, ulen = strlen("/items/42?x=y");
	bool good = true;

	for (n = 0; n <= sizeof(req) - 1; n++) {
		bool ret = parse(req, n);

		if (!well_formed(ret))
			good = false;
		/* Taken from the first uri byte on. */
		if (ret != (n >= 7))
			good = false;
		if (ret && (strcmp(m.method, "PATCH") ||
			    strncmp(m.uri, "/items/42?x=y", strlen(m.uri))))
			good = false;
		if (ret && m.host[0] && strcmp(m.host, "shop.example"))
			good = false;
		if (n == sizeof(req) - 1 &&
		    (strlen(m.uri) != ulen || strcmp(m.host, "shop.example")))
			good = false;
		if (!good) {
			printf("# request prefix %zu\n", n);
			break;
		}
	}
	ok(good, "every prefix of a request");

	for (n = 0; n <= sizeof(rsp) - 1; n++) {
		bool ret = parse(rsp, n);

		if (!well_formed(ret) || ret != (n >= 12))
			good = false;
		if (ret && (m.status_code != 403 ||
			    strncmp(m.status_msg, "Forbidden here",
				    strlen(m.status_msg))))
			good = false;
		if (!good) {
			printf("# response prefix %zu\n", n);
			break;
		}
	}
	ok(good, "every prefix of a response");
}

static unsigned int seed = 4242;

static unsigned int rnd(void)
{
	seed = seed * 1103515245 + 12345;
	return seed >> 16;
}

/* Random and mutated messages: results are always well formed. */
static void test_fuzz(void)
{
	static const char *const base[] = {
		"GET /a/b HTTP/1.1\r\nHost: h.example\r\nX: y\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n",
		"DELETE /x HTTP/1.0\nHost:  z \n\n",
	};
	uint8_t buf[256];
	bool good = true, ret;
	int i, taken = 0;
	size_t j, n;

	for (i = 0; i < 30000; i++) {
		const char *b = base[i % 3];

		n = strlen(b);
		memcpy(buf, b, n);
		for (j = rnd() % 4; j > 0; j--)
			buf[rnd() % n] = (uint8_t)rnd();
		if (i % 5 == 0) {
			n = rnd() % sizeof(buf);
			for (j = 0; j < n; j++)
				buf[j] = (uint8_t)rnd();
		}
		n = rnd() % 3 ? n : rnd() % (n + 1);
		ret = parse(buf, n);
		taken += ret;
		if (!well_formed(ret)) {
			good = false;
			printf("# fuzz case %d\n", i);
			break;
		}
	}
	ok(good, "30000 mutated messages give well-formed results");
	ok(taken > 1000, "and many of them are still taken (%d)", taken);
}

/* The cheap test ahead of the parser: never turns a message away. */
static void test_may_start(void)
{
	static const uint8_t tls[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };

	ok(may_start_missed == 0,
	   "http_may_start() passes all %d messages the parser took (%d not)",
	   parsed_ok, may_start_missed);
	ok(http_may_start((const uint8_t *)"OPTIONS * HTTP/1.1", 18) &&
		   http_may_start((const uint8_t *)"HTTP/1.0 200 OK", 15),
	   "may start: the longest method, a status line");
	ok(!http_may_start((const uint8_t *)"get / HTTP/1.1", 14) &&
		   !http_may_start((const uint8_t *)"GETX / HTTP/1.1", 15) &&
		   !http_may_start((const uint8_t *)"GET", 3) &&
		   !http_may_start((const uint8_t *)"SSH-2.0-OpenSSH", 15) &&
		   !http_may_start(tls, sizeof(tls)),
	   "may not start: lower case, unknown method, no space, SSH, TLS");
}

int main(void)
{
	test_request();
	test_not_request();
	test_host();
	test_uri();
	test_cut();
	test_response();
	test_garbage();
	test_prefixes();
	test_fuzz();
	test_may_start();
	return tap_done();
}
