// SPDX-License-Identifier: GPL-2.0
/* The tools' filter expression: grammar, primitives, errors. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "expr.h"
#include "tool.h"

static const char *names[] = { "www.example.com.", "cdn.Example.NET" };

static struct expr_attrs attrs = {
	.has_pid = true,
	.pid = 4242,
	.has_uid = true,
	.uid = 1000,
	.comm = "curl",
	.container_id = "c0ffee0123456789abcdef",
	.container_name = "web",
	.flow_uid = "CkR3xT9m2pQ1vB7a",
	.names = names,
	.nnames = 2,
};

static void addr(const char *s, uint8_t *family, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = 4;
		return;
	}
	if (inet_pton(AF_INET6, s, out) != 1)
		abort();
	*family = 6;
}

/* A packet src:sport -> dst:dport of the flow orig -> resp in attrs. */
static struct expr_pkt pkt(const char *src, uint16_t sport, const char *dst,
			   uint16_t dport, uint8_t proto)
{
	struct expr_pkt p = { .proto = proto, .sport = sport, .dport = dport };

	addr(src, &p.family, p.src);
	addr(dst, &p.family, p.dst);
	p.has_ports = proto == 6 || proto == 17 || proto == 132;
	p.attrs = &attrs;
	return p;
}

/* Packet of the flow 10.0.0.1:40112 -> 10.0.0.2:80, TCP, either way. */
static struct expr_pkt out4, in4, udp6, icmp4, icmp6;

static void setup(void)
{
	uint8_t f;

	out4 = pkt("10.0.0.1", 40112, "10.0.0.2", 80, 6);
	in4 = pkt("10.0.0.2", 80, "10.0.0.1", 40112, 6);
	udp6 = pkt("fd00::1", 5353, "fd00:1:2::53", 53, 17);
	icmp4 = pkt("192.168.1.1", 8, "10.0.0.1", 0, 1);
	icmp6 = pkt("fe80::1", 128, "fd00::1", 0, 58);
	addr("10.0.0.1", &f, attrs.orig);
	addr("10.0.0.2", &f, attrs.resp);
	attrs.orig_p = 40112;
	attrs.resp_p = 80;
}

/* Parse @text and evaluate it on @p: 1 match, 0 no match, -1 error. */
static int eval(const char *text, const struct expr_pkt *p)
{
	struct expr_error err;
	struct expr *e;
	int r;

	if (expr_parse(text, &e, &err)) {
		printf("# '%s': %s\n", text, err.msg);
		return -1;
	}
	r = expr_match(e, p);
	expr_free(e);
	return r;
}

#define match(text, p) ok(eval(text, p) == 1, "'%s' matches " #p, text)
#define nomatch(text, p) ok(eval(text, p) == 0, "'%s' rejects " #p, text)

/* @text fails with the error on the word at [@off, @off + @len). */
static void error_at(const char *text, size_t off, size_t len,
		     const char *msg_part)
{
	struct expr_error err;
	struct expr *e = NULL;
	int r = expr_parse(text, &e, &err);

	ok(r != 0 && !e, "'%s' is an error", text);
	ok(err.off == off && err.len == len,
	   "'%s': error at %zu+%zu (got %zu+%zu)", text, off, len, err.off,
	   err.len);
	ok(strstr(err.msg, msg_part) != NULL, "'%s': message has '%s' (%s)",
	   text, msg_part, err.msg);
	expr_free(e);
}

static void test_hosts(void)
{
	match("host 10.0.0.1", &out4);
	match("host 10.0.0.1", &in4);
	nomatch("host 10.0.0.3", &out4);
	match("src host 10.0.0.1", &out4);
	nomatch("src host 10.0.0.1", &in4);
	match("dst host 10.0.0.1", &in4);
	nomatch("dst host 10.0.0.1", &out4);
	match("src or dst host 10.0.0.2", &out4);
	nomatch("src and dst host 10.0.0.2", &out4);
	struct expr_pkt self6 = udp6;

	memcpy(self6.dst, self6.src, 16);
	match("src and dst host fd00::1", &self6);
	match("orig host 10.0.0.1", &in4);
	nomatch("resp host 10.0.0.1", &in4);
	match("resp host 10.0.0.2", &out4);
	match("host fd00:1:2::53", &udp6);
	match("host FD00:1:2:0::53", &udp6);
	nomatch("host 10.0.0.1", &udp6);
	match("10.0.0.2", &out4);
	match("src 10.0.0.1", &out4);
	match("dst 10.0.0.0/24", &out4);
	match("ip host 10.0.0.1", &out4);
	nomatch("ip6 host 10.0.0.1", &out4);
}

static void test_nets(void)
{
	match("net 10.0.0.0/8", &out4);
	match("net 10.0.0.0/24", &in4);
	nomatch("net 10.0.1.0/24", &out4);
	match("net 0.0.0.0/0", &icmp4);
	match("net 10.0.0.0/31", &out4);
	nomatch("net 10.0.0.0/32", &out4);
	match("src net 192.168.0.0/16", &icmp4);
	nomatch("dst net 192.168.0.0/16", &icmp4);
	match("net 10", &out4);
	match("net 10.0", &out4);
	match("net 192.168.1", &icmp4);
	nomatch("net 192.168.2", &icmp4);
	match("net 10.0.0.0 mask 255.255.255.0", &out4);
	nomatch("net 10.1.0.0 mask 255.255.0.0", &out4);
	match("net fd00::/8", &udp6);
	match("net fd00:1:2::/48", &udp6);
	match("dst net fd00:1:2::/48", &udp6);
	nomatch("src net fd00:1:2::/48", &udp6);
	nomatch("net fd00:1:3::/48", &udp6);
	match("net fd00:1:2::/47", &udp6);
	match("net fd00:1::/33", &udp6);
	nomatch("net fd00:1:8000::/33", &udp6);
	match("net fd00:1:2::53/128", &udp6);
	nomatch("net 10.0.0.0/8", &udp6);
	nomatch("net fd00::/8", &out4);
}

static void test_ports(void)
{
	match("port 80", &out4);
	match("port 80", &in4);
	match("src port 80", &in4);
	nomatch("src port 80", &out4);
	match("dst port 80", &out4);
	match("port http", &out4);
	match("port domain", &udp6);
	match("tcp port 80", &out4);
	nomatch("udp port 80", &out4);
	match("udp dst port 53", &udp6);
	match("portrange 40000-41000", &out4);
	match("src portrange 79-81", &in4);
	nomatch("dst portrange 79-81", &in4);
	match("portrange 90-70", &out4);
	nomatch("port 8", &icmp4);
	nomatch("port 0", &icmp4);
	match("orig port 40112", &in4);
	match("resp port 80", &in4);
	nomatch("resp port 40112", &out4);
	/* A cut-off TCP header: no ports, as in pcap. */
	struct expr_pkt cut = out4;

	cut.has_ports = false;
	nomatch("port 80", &cut);
	match("tcp", &cut);
}

static void test_protos(void)
{
	match("tcp", &out4);
	nomatch("udp", &out4);
	match("udp", &udp6);
	match("icmp", &icmp4);
	nomatch("icmp", &icmp6);
	match("icmp6", &icmp6);
	nomatch("icmp6", &icmp4);
	match("ip", &out4);
	nomatch("ip6", &out4);
	match("ip6", &udp6);
	match("proto 6", &out4);
	match("proto tcp", &out4);
	match("proto udp", &udp6);
	match("ip proto 1", &icmp4);
	nomatch("ip6 proto 1", &icmp4);
	match("ip6 proto 58", &icmp6);
	match("proto icmp6", &icmp6);
	nomatch("sctp", &out4);
}

static void test_attrs(void)
{
	match("name www.example.com", &out4);
	match("name WWW.EXAMPLE.COM", &out4);
	match("name *.example.com", &out4);
	match("name cdn.example.net", &out4);
	match("name *example*", &out4);
	nomatch("name example.com", &out4);
	match("name *.com or name x", &out4);
	match("pid 4242", &out4);
	nomatch("pid 4243", &out4);
	match("pid 1 or 4242", &out4);
	match("comm curl", &out4);
	nomatch("comm cur", &out4);
	match("comm cu*", &out4);
	match("uid 1000", &out4);
	nomatch("uid 0", &out4);
	match("container web", &out4);
	match("container w?b", &out4);
	match("container c0ffee", &out4);
	match("container C0FFEE01", &out4);
	nomatch("container c0f", &out4);
	nomatch("container ffee", &out4);
	match("flow CkR3xT9m2pQ1vB7a", &out4);
	nomatch("flow CkR3xT9m2pQ1vB7b", &out4);
	match("comm \"curl\"", &out4);

	struct expr_attrs spaced = attrs;
	struct expr_pkt p = out4;

	spaced.comm = "my prog";
	p.attrs = &spaced;
	match("comm \"my prog\"", &p);
	match("comm \"my \\\"x\\\"\" or comm \"my*\"", &p);

	struct expr_attrs none = { 0 };

	p.attrs = &none;
	nomatch("pid 0", &p);
	nomatch("uid 0", &p);
	nomatch("comm *", &p);
	nomatch("name *", &p);
	nomatch("container *", &p);
	match("not pid 0", &p);
	p.attrs = NULL;
	nomatch("orig host 10.0.0.1", &p);
	nomatch("pid 4242", &p);
}

static void test_logic(void)
{
	struct expr_error err;
	struct expr *e = (struct expr *)1;

	ok(expr_parse("", &e, &err) == 0 && e == NULL, "empty: no expression");
	ok(expr_match(NULL, &out4), "no expression matches everything");
	ok(expr_parse("  \t ", &e, &err) == 0 && e == NULL, "blank: none");

	match("tcp and port 80", &out4);
	nomatch("tcp and port 81", &out4);
	match("tcp && port 80", &out4);
	match("udp || port 80", &out4);
	match("udp or port 80", &out4);
	match("tcp AND port 80", &out4);
	match("not udp", &out4);
	match("! udp", &out4);
	match("!udp", &out4);
	nomatch("not tcp", &out4);
	match("not not tcp", &out4);
	/* pcap: and/or equal and left-associative: (udp or tcp) and port 81 */
	nomatch("udp or tcp and port 81", &out4);
	match("udp or (tcp and port 80)", &out4);
	/* not binds tighter than and: (not udp) and port 80 */
	match("not udp and port 80", &out4);
	nomatch("not (tcp and port 80)", &out4);
	match("not (tcp and port 81)", &out4);
	match("((tcp))", &out4);
	match("(host 10.0.0.9 or host 10.0.0.1) and (port 1 or port 80)",
	      &out4);
	match("host 10.0.0.9 or 10.0.0.1", &out4);
	nomatch("host 10.0.0.9 or 10.0.0.8", &out4);
	match("tcp dst port 81 or 80", &out4);
	nomatch("tcp dst port 81 or 80", &in4);
	match("src host 10.0.0.2 and (port 80)", &in4);
	match("tcp&&port 80", &out4);
	match("(tcp)and(port 80)", &out4);
}

static void test_errors(void)
{
	error_at("tcp port abc", 9, 3, "not a port number");
	error_at("port", 4, 1, "needs a value");
	error_at("host 1.2.3", 5, 5, "not an IP address");
	error_at("host www.example.com", 5, 15, "name www.example.com");
	error_at("host 10.0.0.0/8", 5, 10, "use net");
	error_at("net 10.0.0.1/8", 4, 10, "non-network bits");
	error_at("net 10.0.0.0/33", 4, 11, "prefix length");
	error_at("net fd00::/129", 4, 10, "prefix length");
	error_at("net fd00::1/64", 4, 10, "non-network bits");
	error_at("net 10.0.0.0 mask 255.0.255.0", 18, 11, "contiguous");
	error_at("net 10.0.0.0 mask", 17, 1, "needs a netmask");
	error_at("net x.y", 4, 3, "not a network");
	error_at("(host 1.2.3.4", 0, 1, "never closed");
	error_at("host 1.2.3.4)", 12, 1, "unexpected ')'");
	error_at("host 1.2.3.4 port 80", 13, 4, "expected 'and' or 'or'");
	error_at("and host 1.2.3.4", 0, 3, "needs a primitive");
	error_at("tcp or", 6, 1, "ends too soon");
	error_at("not", 3, 1, "ends too soon");
	error_at("ether host 1.2.3.4", 0, 5, "not supported");
	error_at("tcp and less 100", 8, 4, "not supported");
	error_at("tcp[13] & 2 != 0", 0, 7, "not supported");
	error_at("pid abc", 4, 3, "not a number");
	error_at("pid 4294967296", 4, 10, "not a number");
	error_at("uid -1", 4, 2, "not a number");
	error_at("src pid 5", 0, 3, "direction");
	error_at("icmp port 80", 0, 4, "has no ports");
	error_at("frobnicate", 0, 10, "unknown word");
	error_at("tcp and frobnicate", 8, 10, "unknown word");
	error_at("comm \"curl", 5, 5, "unterminated quote");
	error_at("proto 256", 6, 3, "not a protocol");
	error_at("portrange 80", 10, 2, "LOW-HIGH");
	error_at("portrange 80-x", 10, 4, "not a port range");
	error_at("name \"\"", 5, 2, "empty name");
	error_at("port 80 or abc", 11, 3, "not a port number");
	error_at("tcp port 80 and ()", 17, 1, "unexpected ')'");
}

static void test_print(void)
{
	struct expr_error err;
	struct expr *e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *text = "tcp port abc";

	ok(expr_parse(text, &e, &err) != 0, "parse error for the caret");
	expr_print_error(f, "netrec-query", text, &err);
	fclose(f);
	is_str(buf,
	       "netrec-query: bad expression: 'abc' is not a port number or "
	       "service name\n  tcp port abc\n           ^~~\n",
	       "the caret is under the offending word");
	free(buf);

	buf = NULL;
	f = open_memstream(&buf, &len);
	text = "name \xc3\xa9t\xc3\xa9 and";
	ok(expr_parse(text, &e, &err) != 0, "UTF-8 before the error");
	expr_print_error(f, "q", text, &err);
	fclose(f);
	/* 12 characters (14 bytes): the caret goes in column 12. */
	ok(strstr(buf, "\n  name \xc3\xa9t\xc3\xa9 and\n              ^\n") !=
		   NULL,
	   "caret columns count UTF-8 characters");
	free(buf);

	char *argv[] = { "tcp", "port", "80" };
	char *j = expr_join(3, argv);

	is_str(j, "tcp port 80", "expr_join joins with spaces");
	free(j);
}

int main(void)
{
	setup();
	test_hosts();
	test_nets();
	test_ports();
	test_protos();
	test_attrs();
	test_logic();
	test_errors();
	test_print();
	return tap_done();
}
