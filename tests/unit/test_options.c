// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/types.h>

#include "netrec.h"
#include "format.h"
#include "options.h"
#include "tap.h"

static struct options o;
static int saved_stdout = -1, saved_stderr = -1;

static enum options_result parse_v(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	return options_parse(&o, argc, argv);
}

/* PARSE("-s", "100") parses "netrec -s 100". */
#define PARSE(...) parse_v((char *[]){ "netrec", __VA_ARGS__, NULL })
#define PARSE0() parse_v((char *[]){ "netrec", NULL })

/* Point fd 1 at @out_fd and fd 2 at /dev/null; the TAP stream stays on
 * the saved stdout. */
static void redirect(int out_fd)
{
	int null = open("/dev/null", O_WRONLY);

	fflush(stdout);
	fflush(stderr);
	saved_stdout = dup(STDOUT_FILENO);
	saved_stderr = dup(STDERR_FILENO);
	dup2(out_fd >= 0 ? out_fd : null, STDOUT_FILENO);
	dup2(null, STDERR_FILENO);
	close(null);
}

static void restore(void)
{
	fflush(stdout);
	fflush(stderr);
	dup2(saved_stdout, STDOUT_FILENO);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stdout);
	close(saved_stderr);
}

/* A bad command line: OPTIONS_USAGE, its message kept off the TAP log. */
#define BAD(desc, ...)                                                         \
	do {                                                                   \
		enum options_result r_;                                        \
		redirect(-1);                                                  \
		r_ = PARSE(__VA_ARGS__);                                       \
		restore();                                                     \
		ok(r_ == OPTIONS_USAGE, "%s: usage error (%d)", desc, r_);     \
	} while (0)

/* Parse with stdout captured into @buf. */
#define CAPTURE(res, buf, ...)                                                 \
	do {                                                                   \
		FILE *t_ = tmpfile();                                          \
		size_t n_ = 0;                                                 \
		redirect(t_ ? fileno(t_) : -1);                                \
		res = PARSE(__VA_ARGS__);                                      \
		restore();                                                     \
		if (t_) {                                                      \
			rewind(t_);                                            \
			n_ = fread(buf, 1, sizeof(buf) - 1, t_);               \
			fclose(t_);                                            \
		}                                                              \
		buf[n_] = 0;                                                   \
	} while (0)

static void test_defaults(void)
{
	ok(PARSE0() == OPTIONS_RUN, "no arguments: run");
	is_str(o.outdir, "netrec-out", "default outdir");
	ok(o.split == SPLIT_PROCESS, "default split process");
	is_str(options_split_name(o.split), "process", "named process");
	ok(o.snaplen == NR_MAX_CAPLEN, "default snaplen NR_MAX_CAPLEN (%u)",
	   o.snaplen);
	ok(!o.snap_headers, "not headers-only");
	ok(!o.truncate_all, "DNS and ICMP kept whole");
	ok(o.duration == 0, "no duration");
	ok(o.buffer_kib == 0, "buffer size left to the reader (0)");
	ok(o.max_open == 128, "max_open 128");
	ok(o.verbosity == 0, "verbosity 0");

	/* Every parse starts from the defaults. */
	ok(PARSE("-w", "x", "-s", "100", "-B", "128", "--max-open", "3",
		 "--split", "single", "--duration", "5", "--truncate-all",
		 "-v") == OPTIONS_RUN,
	   "a full command line");
	ok(PARSE0() == OPTIONS_RUN && !strcmp(o.outdir, "netrec-out") &&
		   o.snaplen == NR_MAX_CAPLEN && o.buffer_kib == 0 &&
		   o.max_open == 128 && o.split == SPLIT_PROCESS &&
		   o.duration == 0 && !o.truncate_all && o.verbosity == 0,
	   "the next parse starts from the defaults again");
	ok(PARSE("--") == OPTIONS_RUN && o.split == SPLIT_PROCESS,
	   "'--' alone: run");
}

static void test_write(void)
{
	ok(PARSE("-w", "out") == OPTIONS_RUN, "-w out");
	is_str(o.outdir, "out", "outdir out");
	ok(PARSE("-wout2") == OPTIONS_RUN, "-wout2");
	is_str(o.outdir, "out2", "outdir out2");
	ok(PARSE("--write", "/var/tmp/x") == OPTIONS_RUN, "--write DIR");
	is_str(o.outdir, "/var/tmp/x", "outdir /var/tmp/x");
	ok(PARSE("--write=y") == OPTIONS_RUN, "--write=y");
	is_str(o.outdir, "y", "outdir y");
	ok(PARSE("-w", "a", "-w", "b") == OPTIONS_RUN && !strcmp(o.outdir, "b"),
	   "the last -w wins");
}

static void test_split(void)
{
	static const struct {
		const char *arg;
		unsigned int bits;
		const char *name;
	} good[] = {
		{ "single", SPLIT_SINGLE, "single" },
		{ "process", SPLIT_PROCESS, "process" },
		{ "command", SPLIT_COMMAND, "command" },
		{ "container", SPLIT_CONTAINER, "container" },
		{ "container,process", SPLIT_CONTAINER | SPLIT_PROCESS,
		  "container,process" },
		{ "container,command", SPLIT_CONTAINER | SPLIT_COMMAND,
		  "container,command" },
		{ "process,container", SPLIT_CONTAINER | SPLIT_PROCESS,
		  "container,process" },
		{ "command,container", SPLIT_CONTAINER | SPLIT_COMMAND,
		  "container,command" },
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		enum options_result r = PARSE("--split", (char *)good[i].arg);

		ok(r == OPTIONS_RUN && o.split == good[i].bits,
		   "--split %s: bits 0x%x", good[i].arg, o.split);
		is_str(options_split_name(o.split), good[i].name,
		       "--split %s is named %s", good[i].arg, good[i].name);
	}
	ok(PARSE("--split=command") == OPTIONS_RUN && o.split == SPLIT_COMMAND,
	   "--split=command");
	is_str(options_split_name(0), "?", "no split bits: ?");
	is_str(options_split_name(SPLIT_SINGLE | SPLIT_PROCESS), "?",
	       "an invalid mix: ?");
}

static void test_snaplen(void)
{
	ok(PARSE("-s", "0") == OPTIONS_RUN && o.snaplen == NR_MAX_CAPLEN &&
		   !o.snap_headers,
	   "-s 0 means NR_MAX_CAPLEN (%u)", o.snaplen);
	ok(PARSE("-s", "max") == OPTIONS_RUN && o.snaplen == NR_MAX_CAPLEN &&
		   !o.snap_headers,
	   "-s max means NR_MAX_CAPLEN (%u)", o.snaplen);
	ok(PARSE("-s", "100") == OPTIONS_RUN && o.snaplen == 100 &&
		   !o.snap_headers,
	   "-s 100 (%u)", o.snaplen);
	ok(PARSE("-s1") == OPTIONS_RUN && o.snaplen == 1, "-s1 (%u)",
	   o.snaplen);
	ok(PARSE("--snapshot-length", "1500") == OPTIONS_RUN &&
		   o.snaplen == 1500,
	   "--snapshot-length 1500 (%u)", o.snaplen);
	ok(PARSE("--snapshot-length=200") == OPTIONS_RUN && o.snaplen == 200,
	   "--snapshot-length=200 (%u)", o.snaplen);
	ok(PARSE("-s", "headers") == OPTIONS_RUN && o.snap_headers,
	   "-s headers");
	ok(PARSE("-s", "65280") == OPTIONS_RUN && o.snaplen == 65280,
	   "-s 65280 (%u)", o.snaplen);
	ok(PARSE("-s", "65281") == OPTIONS_RUN && o.snaplen == NR_MAX_CAPLEN,
	   "-s 65281 is clamped to NR_MAX_CAPLEN (%u)", o.snaplen);
	ok(PARSE("-s", "262144") == OPTIONS_RUN && o.snaplen == NR_MAX_CAPLEN,
	   "-s 262144 (tcpdump's limit) is clamped (%u)", o.snaplen);
	ok(PARSE("-s", "headers", "-s", "100") == OPTIONS_RUN &&
		   !o.snap_headers && o.snaplen == 100,
	   "a later -s 100 undoes -s headers");
	ok(PARSE("-s", "100", "-s", "headers") == OPTIONS_RUN && o.snap_headers,
	   "a later -s headers wins");
	ok(PARSE("-s", "headers", "-s", "max") == OPTIONS_RUN &&
		   !o.snap_headers && o.snaplen == NR_MAX_CAPLEN,
	   "a later -s max undoes -s headers");
}

static void test_others(void)
{
	ok(PARSE("--truncate-all") == OPTIONS_RUN && o.truncate_all,
	   "--truncate-all");
	ok(PARSE("--duration", "1.5") == OPTIONS_RUN && o.duration == 1.5,
	   "--duration 1.5 (%g)", o.duration);
	ok(PARSE("--duration=60") == OPTIONS_RUN && o.duration == 60,
	   "--duration=60 (%g)", o.duration);
	ok(PARSE("--duration", "0.001") == OPTIONS_RUN && o.duration == 0.001,
	   "--duration 0.001 (%g)", o.duration);
	ok(PARSE("--duration", "1e9") == OPTIONS_RUN && o.duration == 1e9,
	   "--duration 1e9 (%g)", o.duration);
	ok(PARSE("-B", "64") == OPTIONS_RUN && o.buffer_kib == 64, "-B 64");
	ok(PARSE("-B", "1048576") == OPTIONS_RUN && o.buffer_kib == 1048576,
	   "-B 1048576");
	ok(PARSE("--buffer-size=4096") == OPTIONS_RUN && o.buffer_kib == 4096,
	   "--buffer-size=4096");
	ok(PARSE("--max-open", "1") == OPTIONS_RUN && o.max_open == 1,
	   "--max-open 1");
	ok(PARSE("--max-open=65536") == OPTIONS_RUN && o.max_open == 65536,
	   "--max-open=65536");
	ok(PARSE("-q") == OPTIONS_RUN && o.verbosity == -1, "-q");
	ok(PARSE("--quiet") == OPTIONS_RUN && o.verbosity == -1, "--quiet");
	ok(PARSE("-v") == OPTIONS_RUN && o.verbosity == 1, "-v");
	ok(PARSE("--verbose") == OPTIONS_RUN && o.verbosity == 1, "--verbose");
	ok(PARSE("-vv") == OPTIONS_RUN && o.verbosity == 2, "-vv");
	ok(PARSE("-v", "-v", "-v") == OPTIONS_RUN && o.verbosity == 3,
	   "-v -v -v");
	ok(PARSE("-q", "-v") == OPTIONS_RUN && o.verbosity == 1,
	   "-q -v: verbose");
	ok(PARSE("-v", "-q") == OPTIONS_RUN && o.verbosity == -1,
	   "-v -q: quiet");

	ok(PARSE("-w", "dir", "--split", "container,command", "-s", "headers",
		 "--truncate-all", "--duration", "5", "-B", "1024",
		 "--max-open", "7", "-vq") == OPTIONS_RUN &&
		   !strcmp(o.outdir, "dir") &&
		   o.split == (SPLIT_CONTAINER | SPLIT_COMMAND) &&
		   o.snap_headers && o.truncate_all && o.duration == 5 &&
		   o.buffer_kib == 1024 && o.max_open == 7 && o.verbosity == -1,
	   "all options together");
}

static void test_bad(void)
{
	BAD("-s abc", "-s", "abc");
	BAD("-s -1", "-s", "-1");
	BAD("-s 262145", "-s", "262145");
	BAD("-s ''", "-s", "");
	BAD("-s 1x", "-s", "1x");
	BAD("-s +5", "-s", "+5");
	BAD("-s ' 5'", "-s", " 5");
	BAD("-s 99999999999999999999", "-s", "99999999999999999999");
	BAD("-s HEADERS", "-s", "HEADERS");
	BAD("-s without a value", "-s");

	BAD("--split bogus", "--split", "bogus");
	BAD("--split single,process", "--split", "single,process");
	BAD("--split process,single", "--split", "process,single");
	BAD("--split process,command", "--split", "process,command");
	BAD("--split process,process", "--split", "process,process");
	BAD("--split container,container", "--split", "container,container");
	BAD("--split ''", "--split", "");
	BAD("--split process,", "--split", "process,");
	BAD("--split ,process", "--split", ",process");
	BAD("--split Process", "--split", "Process");
	BAD("--split container,process,command", "--split",
	    "container,process,command");
	BAD("--split without a value", "--split");

	BAD("--duration 0", "--duration", "0");
	BAD("--duration -1", "--duration", "-1");
	BAD("--duration abc", "--duration", "abc");
	BAD("--duration inf", "--duration", "inf");
	BAD("--duration nan", "--duration", "nan");
	BAD("--duration ''", "--duration", "");
	BAD("--duration 5s", "--duration", "5s");
	BAD("--duration 1e10", "--duration", "1e10");

	BAD("-w ''", "-w", "");
	BAD("--write=", "--write=");

	BAD("-B 10", "-B", "10");
	BAD("-B 63", "-B", "63");
	BAD("-B 1048577", "-B", "1048577");
	BAD("-B abc", "-B", "abc");

	BAD("--max-open 0", "--max-open", "0");
	BAD("--max-open 65537", "--max-open", "65537");
	BAD("--max-open -1", "--max-open", "-1");

	BAD("unknown -x", "-x");
	BAD("unknown --bogus", "--bogus");
	BAD("--truncate-all=yes", "--truncate-all=yes");
	BAD("stray argument", "foo");
	BAD("stray argument after options", "-v", "foo");
	ok(PARSE("--", "foo", "-v") == OPTIONS_RUN && o.command &&
		   !strcmp(o.command[0], "foo") &&
		   !strcmp(o.command[1], "-v") && !o.command[2] &&
		   o.verbosity == 0,
	   "after --, the rest is the command to run, options included");
	ok(PARSE("-w", "d", "--", "curl", "http://x/") == OPTIONS_RUN &&
		   !strcmp(o.outdir, "d") && !strcmp(o.command[0], "curl"),
	   "options, then -- COMMAND ARGS");
	ok(PARSE("--") == OPTIONS_RUN && !o.command, "-- alone: no command");

	/* Filters and formats. */
	ok(PARSE("--pid", "12", "--pid", "34", "--uid", "0", "--comm", "curl",
		 "--container", "abcd", "--container", "web") == OPTIONS_RUN &&
		   o.npids == 2 && o.pids[0] == 12 && o.pids[1] == 34 &&
		   o.nuids == 1 && o.uids[0] == 0 && !strcmp(o.comm, "curl") &&
		   o.ncontainers == 2 && !strcmp(o.containers[1], "web"),
	   "--pid (twice), --uid, --comm, --container (twice)");
	ok(PARSE("--format", "pcapng", "--no-context") == OPTIONS_RUN &&
		   o.format == FORMAT_PCAPNG && o.no_context,
	   "--format pcapng --no-context");
	ok(PARSE0() == OPTIONS_RUN && o.format == FORMAT_PCAP &&
		   !o.no_context && !o.npids && !o.nuids && !o.comm &&
		   !o.ncontainers && !o.command,
	   "defaults: pcap, context on, no filters, no command");
	BAD("--format pcapx", "--format", "pcapx");
	BAD("--pid 0", "--pid", "0");
	BAD("--pid abc", "--pid", "abc");
	BAD("--uid -1", "--uid", "-1");
	BAD("--comm ''", "--comm", "");
	BAD("--comm longer than 15 bytes", "--comm", "0123456789abcdef");
	BAD("--container ''", "--container", "");
	BAD("a stray argument (a command needs --)", "curl");

	/* Chunks, in tcpdump's units. */
	ok(PARSE0() == OPTIONS_RUN && !o.rotate_bytes && !o.rotate_secs &&
		   !o.ring && o.idle_close == 60,
	   "defaults: no -C, -G or -W; --idle-close 60");
	ok(PARSE("-C", "100", "-G", "3600", "-W", "5", "--idle-close", "0") ==
			   OPTIONS_RUN &&
		   o.rotate_bytes == 100000000ULL && o.rotate_secs == 3600 &&
		   o.ring == 5 && o.idle_close == 0,
	   "-C 100 is 100 million bytes, -G 3600, -W 5, --idle-close 0");
	ok(PARSE("-C", "512k") == OPTIONS_RUN && o.rotate_bytes == 512 * 1024,
	   "-C 512k is 512 KiB");
	ok(PARSE("-C", "64M") == OPTIONS_RUN && o.rotate_bytes == 64ULL << 20,
	   "-C 64M is 64 MiB");
	ok(PARSE("-C", "2g") == OPTIONS_RUN && o.rotate_bytes == 2ULL << 30,
	   "-C 2g is 2 GiB");
	BAD("-C 0", "-C", "0");
	BAD("-C 10x", "-C", "10x");
	BAD("-C k", "-C", "k");
	BAD("-G 0", "-G", "0");
	BAD("-W 0", "-W", "0");
	BAD("--idle-close -1", "--idle-close", "-1");
	BAD("an option after a stray argument", "foo", "-v");
	BAD("bad value before --help", "-s", "abc", "--help");

	/* A parse abandoned inside "-vx" leaves nothing behind. */
	BAD("-vx", "-vx");
	ok(PARSE("-q") == OPTIONS_RUN && o.verbosity == -1,
	   "the next parse is clean");
}

static void test_exit(void)
{
	enum options_result r;
	char buf[8192];

	CAPTURE(r, buf, "--version");
	ok(r == OPTIONS_EXIT, "--version: exit (%d)", r);
	ok(!strncmp(buf, "netrec ", 7) && strchr(buf, '\n'),
	   "--version prints 'netrec VERSION'");
	CAPTURE(r, buf, "--help");
	ok(r == OPTIONS_EXIT, "--help: exit (%d)", r);
	ok(strstr(buf, "Usage: netrec") && strstr(buf, "--split") &&
		   strstr(buf, "--max-open"),
	   "--help prints the usage on stdout");
	CAPTURE(r, buf, "-v", "--help", "-s", "abc");
	ok(r == OPTIONS_EXIT, "--help before a bad value: exit (%d)", r);
	CAPTURE(r, buf, "-w", "x", "--version");
	ok(r == OPTIONS_EXIT, "--version after other options: exit (%d)", r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_defaults();
	test_write();
	test_split();
	test_snaplen();
	test_others();
	test_bad();
	test_exit();
	return tap_done();
}
