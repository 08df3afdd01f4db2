/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_IDXREAD_H
#define NR_IDXREAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "expr.h"

/*
 * Every sidecar index (docs/INDEX.md) under a capture directory, read
 * into memory: NAME.idx.jsonl and NAME.idx.jsonl.zst, in subdirectories
 * too, symlinks not followed.  A line that is not what the schema says is
 * reported on stderr as "FILE:LINE: what" and skipped; the rest of the
 * file is used.  An index without its end line (a crash cut it short) is
 * used with a warning.
 *
 * Times are nanoseconds since the epoch (the index has microseconds).
 */
#define TIME_MIN INT64_MIN
#define TIME_MAX INT64_MAX

struct idx_chunk;

/*
 * Strings are in the set's arenas, decoded (the index escapes them as JSON
 * does).  NULL when the line does not have them.
 */
struct idx_flow {
	struct idx_chunk *chunk;
	char *text; /* the line, with idx_opts.keep_json */
	unsigned int line;
	char *uid, *conn_state, *proto_name;
	uint8_t family, proto;
	bool local_resp; /* the local socket is the responder */
	int64_t ts, first_ts, last_ts;
	uint64_t pkts[2], bytes[2], ip_bytes[2]; /* [0] orig, [1] resp */
	bool has_offsets;
	uint64_t first_offset, last_offset;
	bool has_cookie;
	uint64_t cookie; /* the socket's */
	char *comm, *container_id, *container_name;
	/* Its names (DNS, then its own DNS queries and HTTP hosts). */
	char **names;
	size_t nnames;
	struct expr_attrs at; /* addresses, ports, owner, names */
};

struct idx_dns {
	struct idx_chunk *chunk;
	char *text;
	unsigned int line;
	char *uid, *query, *qtype, *rcode;
	char *comm, *container_id;
	char **answers;
	size_t nanswers;
	char **names; /* query and CNAME targets, for the name primitive */
	size_t nnames;
	uint8_t family, proto;
	bool response;
	int64_t ts;
	struct expr_attrs at;
};

/* What is kept of an HTTP request: the Host it names. */
struct idx_http {
	char *uid, *host;
};

struct idx_chunk {
	char *idx_path;	  /* DIR/.../NAME.pcap.idx.jsonl[.zst] */
	char *rel_idx;	  /* the same, relative to DIR */
	char *chunk_path; /* DIR/.../NAME.pcap[.zst]; NULL if missing */
	char *rel_chunk;  /* relative to DIR (the index's name if missing) */
	bool compressed;  /* chunk_path ends in .zst */
	char *start_text, *end_text; /* the chunk lines; NULL when missing */
	const char *key, *sha256;    /* from them, or NULL */
	int64_t ts, end_ts; /* from the chunk lines, else from the records */
	bool has_ts, has_end_ts;
	uint32_t snaplen;
	bool has_packets, has_size;
	uint64_t packets, size; /* from the end line */
	bool incomplete;	/* "index_complete": false */
	struct idx_flow *flows;
	size_t nflows;
	struct idx_dns *dns;
	size_t ndns;
	struct idx_http *http;
	size_t nhttp;
};

struct idx_opts {
	int64_t since, until; /* chunks outside [since, until) are skipped */
	bool keep_json;	      /* keep each record's line (for --json) */
};

struct idx_set {
	char *dir;
	struct arena *arena;   /* names added after reading */
	struct arena **arenas; /* the records' strings, per reader */
	size_t narenas;
	struct idx_chunk **chunks; /* by start time, then path */
	size_t n;
	size_t indexes;	    /* index files found */
	size_t chunk_files; /* chunk files (*.pcap, ...) found */
};

/*
 * Reads every index under @dir.  Returns 0 (also when none is found:
 * set->indexes says so), or -errno when @dir cannot be read (reported).
 */
int idx_load(struct idx_set *set, const char *dir, const struct idx_opts *o);
void idx_free(struct idx_set *set);

/* Does [@a, @b] meet [since, until)? */
static inline bool idx_overlaps(int64_t a, int64_t b, int64_t since,
				int64_t until)
{
	return a < until && b >= since;
}

/*
 * Does the flow's record match @e (a packet of it could) within
 * [since, until)?  Does the DNS message?
 */
bool idx_flow_match(const struct idx_flow *f, const struct expr *e,
		    int64_t since, int64_t until);
bool idx_dns_match(const struct idx_dns *d, const struct expr *e, int64_t since,
		   int64_t until);

/* "10.0.0.1:80", "[fd00::1]:80", or "10.0.0.1" without ports. */
void idx_endpoint(char *buf, size_t len, uint8_t family, const uint8_t *a,
		  uint16_t port, bool ports);

#endif
