/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_OPTIONS_H
#define NR_OPTIONS_H

#include <stdbool.h>
#include <linux/types.h>

#include "netrec.h"

/* --split: how records are spread over files (combinable as documented). */
enum split_mode {
	SPLIT_SINGLE = 1 << 0,
	SPLIT_PROCESS = 1 << 1,
	SPLIT_COMMAND = 1 << 2,
	SPLIT_CONTAINER = 1 << 3,
};

struct options {
	const char *outdir;
	int format;		 /* enum out_format */
	bool no_context;	 /* pcapng: no per-packet comments */
	bool no_index;		 /* no sidecar index */
	unsigned int split;	 /* enum split_mode bits */
	unsigned int snaplen;	 /* bytes from the IP header on */
	bool snap_headers;	 /* -s headers */
	bool truncate_all;	 /* apply the snaplen to DNS and ICMP too */
	double duration;	 /* seconds; 0: until stopped */
	unsigned int buffer_kib; /* perf buffer per CPU; 0: default */
	unsigned int max_open;	 /* open pcap files at most */
	int verbosity;		 /* -1 quiet, 0 normal, 1+ verbose */
	/* Record only these (each kind: any of its values; kinds: all). */
	unsigned int pids[NR_FILTER_MAX_VALUES], npids;
	unsigned int uids[NR_FILTER_MAX_VALUES], nuids;
	const char *comm;
	char *containers[NR_FILTER_MAX_VALUES];
	int ncontainers;
	char **command; /* after "--": run it and record it alone */
	/* Chunks: 0 means never. */
	unsigned long long rotate_bytes; /* -C */
	unsigned long rotate_secs;	 /* -G */
	unsigned int ring;		 /* -W */
	unsigned long idle_close;	 /* --idle-close, seconds */
	int compress_level;		 /* --compress; 0: off */
	unsigned long long max_total;	 /* --max-total */
	unsigned long long min_free;	 /* --min-free, bytes */
	unsigned int min_free_pct;	 /* --min-free, percent */
	char *postrotate[2];		 /* -z COMMAND, as an argv */
	const char *user;		 /* -Z */
};

enum options_result {
	OPTIONS_RUN = 0,   /* go on */
	OPTIONS_EXIT = 1,  /* --help or --version was printed: exit 0 */
	OPTIONS_USAGE = 2, /* bad command line, already reported: exit 2 */
};

enum options_result options_parse(struct options *o, int argc, char **argv);

/* "process", "container,process", ... for messages. */
const char *options_split_name(unsigned int split);

#endif
