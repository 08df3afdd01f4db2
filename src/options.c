// SPDX-License-Identifier: GPL-2.0
/* The command line, in tcpdump's words where tcpdump has one. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>

#include "netrec.h"
#include "format.h"
#include "options.h"
#include "retention.h"
#include "units.h"

enum {
	OPT_SPLIT = 256,
	OPT_DURATION,
	OPT_TRUNCATE_ALL,
	OPT_MAX_OPEN,
	OPT_VERSION,
	OPT_HELP,
	OPT_FORMAT,
	OPT_NO_CONTEXT,
	OPT_NO_INDEX,
	OPT_PID,
	OPT_UID,
	OPT_COMM,
	OPT_CONTAINER,
	OPT_IDLE_CLOSE,
	OPT_COMPRESS,
	OPT_MAX_TOTAL,
	OPT_MIN_FREE,
};

static const struct option long_opts[] = {
	{ "write", required_argument, NULL, 'w' },
	{ "split", required_argument, NULL, OPT_SPLIT },
	{ "snapshot-length", required_argument, NULL, 's' },
	{ "truncate-all", no_argument, NULL, OPT_TRUNCATE_ALL },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "buffer-size", required_argument, NULL, 'B' },
	{ "max-open", required_argument, NULL, OPT_MAX_OPEN },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "no-context", no_argument, NULL, OPT_NO_CONTEXT },
	{ "no-index", no_argument, NULL, OPT_NO_INDEX },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "container", required_argument, NULL, OPT_CONTAINER },
	{ "file-size", required_argument, NULL, 'C' },
	{ "rotate-seconds", required_argument, NULL, 'G' },
	{ "file-count", required_argument, NULL, 'W' },
	{ "idle-close", required_argument, NULL, OPT_IDLE_CLOSE },
	{ "compress", optional_argument, NULL, OPT_COMPRESS },
	{ "max-total", required_argument, NULL, OPT_MAX_TOTAL },
	{ "min-free", required_argument, NULL, OPT_MIN_FREE },
	{ "postrotate-command", required_argument, NULL, 'z' },
	{ "relinquish-privileges", required_argument, NULL, 'Z' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{ 0 },
};

static const char usage_text[] =
	"Usage: netrec [options] [-- COMMAND [ARG...]]\n"
	"Record every packet of every process and container into pcap files;\n"
	"with a COMMAND, run it and record it and its children alone until it\n"
	"exits.\n"
	"\n"
	"  -w DIR              output directory (default ./netrec-out)\n"
	"      --split LIST    single | process | command | container,\n"
	"                      container,process | container,command\n"
	"                      (default process)\n"
	"  -s SNAPLEN          bytes to keep from the IP header on: a number,\n"
	"                      'headers' (through the L4 header) or 'max'\n"
	"                      (default; 0 means max as in tcpdump)\n"
	"      --format FMT    pcap (default) or pcapng: pcapng files say, per\n"
	"                      packet, its direction and owner (process,\n"
	"                      thread, command line, container)\n"
	"      --no-context    pcapng without the per-packet owner comments\n"
	"      --no-index      no sidecar index (.idx.jsonl) beside the chunks\n"
	"      --truncate-all  apply the snaplen to DNS and ICMP too\n"
	"                      (by default they are kept whole)\n"
	"      --duration SECONDS  stop after this long\n"
	"  -C SIZE             finish a file's chunk at SIZE: millions of bytes,\n"
	"                      or with a k, m or g suffix KiB, MiB or GiB\n"
	"  -G SECONDS          finish chunks every SECONDS, on the wall clock\n"
	"                      (3600: on the hour), packets or not\n"
	"  -W COUNT            keep the last COUNT finished chunks of each file\n"
	"      --idle-close SECONDS  finish a chunk idle this long (default 60;\n"
	"                      0: never)\n"
	"  -z COMMAND          run COMMAND FILE on each finished chunk (no shell)\n"
	"      --compress[=LEVEL]  zstd finished chunks to .zst (default level 3)\n"
	"      --max-total SIZE    delete the oldest finished chunks beyond SIZE\n"
	"      --min-free SIZE|N%  ... or while less than this is free\n"
	"  -Z USER             drop root for USER once capture is set up\n"
	"  -B KIB              perf buffer size per CPU in KiB (default 8192;\n"
	"                      less on machines with more than 8 CPUs)\n"
	"      --max-open N    pcap files open at once at most (default 128)\n"
	"      --pid PID       only this process (repeatable)\n"
	"      --uid UID       only processes of this user (repeatable)\n"
	"      --comm NAME     only processes of this name\n"
	"      --container ID|NAME  only this container (repeatable)\n"
	"  -q                  quiet: only the start line, warnings, errors\n"
	"                      and the final counts\n"
	"  -v                  verbose (twice: libbpf's messages too)\n"
	"      --version       print the version and exit\n"
	"      --help          print this help and exit\n"
	"\n"
	"Ctrl-C stops and prints counts; SIGUSR1 prints them while running.\n"
	"See netrec(8).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "netrec: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'netrec --help'.\n");
	return OPTIONS_USAGE;
}

/* Name the option as written: "-x" inside "-qx", or "--bogus". */
static int bad_option(int c, const char *word)
{
	char shortopt[3] = { '-', (char)optopt, '\0' };
	const char *name =
		optopt > 0 && optopt < 256 && word[1] != '-' ? shortopt : word;

	if (c == ':')
		return usage_error("option '%s' needs an argument", name);
	return usage_error("unknown option '%s'", name);
}

/* A whole number in [min, max], nothing else. */
static int parse_uint(const char *s, unsigned long min, unsigned long max,
		      unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_snaplen(struct options *o, const char *arg)
{
	unsigned long v;

	if (!strcmp(arg, "headers")) {
		o->snap_headers = true;
		return 0;
	}
	o->snap_headers = false;
	if (!strcmp(arg, "max")) {
		o->snaplen = NR_MAX_CAPLEN;
		return 0;
	}
	/* tcpdump's -s accepts up to 262144; 0 means the maximum. */
	if (parse_uint(arg, 0, 262144, &v))
		return -1;
	o->snaplen = (v == 0 || v > NR_MAX_CAPLEN) ? NR_MAX_CAPLEN : v;
	return 0;
}

static int split_word(const char *w, size_t n)
{
	static const struct {
		const char *name;
		int bit;
	} words[] = {
		{ "single", SPLIT_SINGLE },
		{ "process", SPLIT_PROCESS },
		{ "command", SPLIT_COMMAND },
		{ "container", SPLIT_CONTAINER },
	};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strlen(words[i].name) == n && !strncmp(w, words[i].name, n))
			return words[i].bit;
	return 0;
}

static int parse_split(struct options *o, const char *arg)
{
	unsigned int split = 0;
	const char *p = arg;

	for (;;) {
		size_t n = strcspn(p, ",");
		int bit = split_word(p, n);

		if (!bit || (split & bit))
			return -1;
		split |= bit;
		if (!p[n])
			break;
		p += n + 1;
	}
	/* single stands alone; process implies command. */
	if ((split & SPLIT_SINGLE) && split != SPLIT_SINGLE)
		return -1;
	if ((split & SPLIT_PROCESS) && (split & SPLIT_COMMAND))
		return -1;
	o->split = split;
	return 0;
}

static int parse_duration(struct options *o, const char *arg)
{
	char *end;
	double d;

	/* Plain decimal seconds: no sign, spaces or hex. */
	if ((*arg < '0' || *arg > '9') && *arg != '.')
		return -1;
	if (strpbrk(arg, "xXpP"))
		return -1;
	errno = 0;
	d = strtod(arg, &end);
	if (errno || end == arg || *end || !isfinite(d) || d <= 0 || d > 1e9)
		return -1;
	o->duration = d;
	return 0;
}

static void set_defaults(struct options *o)
{
	memset(o, 0, sizeof(*o));
	o->outdir = "netrec-out";
	o->split = SPLIT_PROCESS;
	o->snaplen = NR_MAX_CAPLEN;
	o->buffer_kib = 0; /* the reader picks by the number of CPUs */
	o->max_open = 128;
	o->idle_close = 60;
}

static enum options_result parse_one(struct options *o, int c, const char *arg)
{
	unsigned long v;
	uint64_t size;

	switch (c) {
	case 'w':
		if (!*arg)
			return usage_error("-w needs a directory%s", "");
		o->outdir = arg;
		break;
	case OPT_SPLIT:
		if (parse_split(o, arg))
			return usage_error(
				"bad --split '%s': use single, process, command, container, container,process or container,command",
				arg);
		break;
	case 's':
		if (parse_snaplen(o, arg))
			return usage_error(
				"bad snaplen '%s': use a number of bytes (0-262144), 'headers' or 'max'",
				arg);
		break;
	case OPT_TRUNCATE_ALL:
		o->truncate_all = true;
		break;
	case 'C':
		/* tcpdump's units, as for --max-total. */
		if (parse_size(arg, &size) || !size || size > (64ULL << 40))
			return usage_error(
				"bad -C '%s': use a size such as 100 (millions of bytes), 512k, 64m or 2g",
				arg);
		o->rotate_bytes = size;
		break;
	case 'G':
		if (parse_uint(arg, 1, 31 * 86400, &v))
			return usage_error(
				"bad -G '%s': use seconds, from 1 to 2678400",
				arg);
		o->rotate_secs = v;
		break;
	case 'W':
		if (parse_uint(arg, 1, 100000, &v))
			return usage_error(
				"bad -W '%s': use a count from 1 to 100000",
				arg);
		o->ring = v;
		break;
	case OPT_IDLE_CLOSE:
		if (parse_uint(arg, 0, 31 * 86400, &v))
			return usage_error(
				"bad --idle-close '%s': use seconds (0: never)",
				arg);
		o->idle_close = v;
		break;
	case 'z':
		if (!*arg)
			return usage_error("-z needs a command%s", "");
		o->postrotate[0] = (char *)arg;
		break;
	case 'Z':
		if (!*arg)
			return usage_error("-Z needs a user name%s", "");
		o->user = arg;
		break;
	case OPT_COMPRESS:
		o->compress_level = 3;
		if (arg && parse_uint(arg, 1, 19, &v))
			return usage_error(
				"bad --compress level '%s': use 1 (fast) to 19",
				arg);
		if (arg)
			o->compress_level = v;
		break;
	case OPT_MAX_TOTAL:
		if (parse_size(arg, &size) || !size)
			return usage_error(
				"bad --max-total '%s': use a size such as 500 (millions of bytes), 512m or 20g",
				arg);
		o->max_total = size;
		break;
	case OPT_MIN_FREE: {
		uint64_t bytes;

		if (retention_parse_min_free(arg, &bytes, &o->min_free_pct))
			return usage_error(
				"bad --min-free '%s': use a size (as for -C) or a percentage such as 10%%",
				arg);
		o->min_free = bytes;
		break;
	}
	case OPT_FORMAT:
		if (!strcmp(arg, "pcap"))
			o->format = FORMAT_PCAP;
		else if (!strcmp(arg, "pcapng"))
			o->format = FORMAT_PCAPNG;
		else
			return usage_error(
				"bad --format '%s': use pcap or pcapng", arg);
		break;
	case OPT_NO_INDEX:
		o->no_index = true;
		break;
	case OPT_NO_CONTEXT:
		o->no_context = true;
		break;
	case OPT_PID:
		if (o->npids >= NR_FILTER_MAX_VALUES ||
		    parse_uint(arg, 1, 4194304, &v))
			return usage_error(
				"bad --pid '%s': use a process id (at most 64 of them)",
				arg);
		o->pids[o->npids++] = v;
		break;
	case OPT_UID:
		if (o->nuids >= NR_FILTER_MAX_VALUES ||
		    parse_uint(arg, 0, 4294967294UL, &v))
			return usage_error(
				"bad --uid '%s': use a numeric user id (at most 64 of them)",
				arg);
		o->uids[o->nuids++] = v;
		break;
	case OPT_COMM:
		if (!*arg || strlen(arg) >= NR_COMM_LEN)
			return usage_error(
				"bad --comm '%s': a process name has 1 to 15 bytes",
				arg);
		o->comm = arg;
		break;
	case OPT_CONTAINER:
		if (!*arg || o->ncontainers >= NR_FILTER_MAX_VALUES)
			return usage_error(
				"bad --container '%s': use a container id or name (at most 64 of them)",
				arg);
		o->containers[o->ncontainers++] = (char *)arg;
		break;
	case OPT_DURATION:
		if (parse_duration(o, arg))
			return usage_error(
				"bad --duration '%s': use a positive number of seconds",
				arg);
		break;
	case 'B':
		if (parse_uint(arg, 64, 1 << 20, &v))
			return usage_error(
				"bad buffer size '%s': use KiB from 64 to 1048576",
				arg);
		o->buffer_kib = v;
		break;
	case OPT_MAX_OPEN:
		if (parse_uint(arg, 1, 65536, &v))
			return usage_error(
				"bad --max-open '%s': use a number from 1 to 65536",
				arg);
		o->max_open = v;
		break;
	case 'q':
		o->verbosity = -1;
		break;
	case 'v':
		o->verbosity = o->verbosity < 0 ? 1 : o->verbosity + 1;
		break;
	case OPT_VERSION:
		printf("netrec %s\n", PACKAGE_VERSION);
		return OPTIONS_EXIT;
	case OPT_HELP:
		fputs(usage_text, stdout);
		return OPTIONS_EXIT;
	default:
		return OPTIONS_USAGE;
	}
	return OPTIONS_RUN;
}

enum options_result options_parse(struct options *o, int argc, char **argv)
{
	enum options_result res;
	int c;

	set_defaults(o);
	optind = 0; /* full reset: the unit tests parse many times */
	opterr = 0; /* we say it ourselves, as "netrec:" */
	while ((c = getopt_long(argc, argv, "+:w:s:B:C:G:W:z:Z:qv", long_opts,
				NULL)) != -1) {
		if (c == ':' || c == '?')
			return bad_option(c, argv[optind - 1]);
		res = parse_one(o, c, optarg);
		if (res != OPTIONS_RUN)
			return res;
	}
	/* A command comes after "--", as in "netrec -w out -- curl URL". */
	if (optind < argc && optind > 0 && !strcmp(argv[optind - 1], "--")) {
		o->command = argv + optind;
		return OPTIONS_RUN;
	}
	if (optind < argc)
		return usage_error(
			"unexpected argument '%s' (a command to run goes after '--')",
			argv[optind]);
	return OPTIONS_RUN;
}

const char *options_split_name(unsigned int split)
{
	switch (split) {
	case SPLIT_SINGLE:
		return "single";
	case SPLIT_PROCESS:
		return "process";
	case SPLIT_COMMAND:
		return "command";
	case SPLIT_CONTAINER:
		return "container";
	case SPLIT_CONTAINER | SPLIT_PROCESS:
		return "container,process";
	case SPLIT_CONTAINER | SPLIT_COMMAND:
		return "container,command";
	}
	return "?";
}
