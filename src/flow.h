/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FLOW_H
#define NR_FLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "netrec.h"
#include "packet.h"

/*
 * The flow table of the index.  A flow is what one socket sees of a
 * conversation: its 5-tuple and socket cookie, so the two local ends of a
 * connection are two flows, each counted once.  The state a flow keeps
 * for its life (uid, originator, Zeek's history) lives in the table; what
 * a chunk's index says of it (counts, offsets) lives in a slice per chunk.
 *
 * The table is bounded: flows idle past their timeout, or the least
 * recently seen when it is full, are evicted, and their slices handed to
 * the emit callback first, so memory stays flat however many flows come.
 */
#define FLOW_ORIG 0
#define FLOW_RESP 1
#define FLOW_NAMES 4
#define FLOW_QUERIES 4

struct flow;
struct flow_slice;

/* One chunk's slices; embedded in the index's chunk. */
struct flow_slices {
	struct flow_slice *head;
	size_t count;
};

struct flow_owner {
	uint32_t pid, tid, uid;
	uint64_t start_ns;
	uint64_t cgroup_id;
	char comm[NR_COMM_LEN];
	bool known;
};

struct flow_slice {
	struct flow *flow;
	struct flow_slices *chunk;
	struct flow_slice *next_in_flow;
	struct flow_slice *prev, *next;		 /* in the chunk */
	uint64_t pkts[2], bytes[2], ip_bytes[2]; /* [FLOW_ORIG], [FLOW_RESP] */
	uint64_t first_offset, last_offset;
	uint64_t first_ts, last_ts; /* wall clock, ns */
	struct flow_owner owner;    /* at the last packet in the chunk */
	uint32_t srtt_us, retrans;
	bool has_tcp_info;
};

struct flow {
	uint64_t cookie;
	uint32_t netns; /* the socket's namespace, 0 if unknown */
	uint8_t family, proto;
	uint8_t orig_h[16], resp_h[16];
	uint16_t orig_p, resp_p;
	bool orig_known;
	bool local_is_orig;
	bool closed;
	bool accepting;		 /* a listener's: in the table of handshakes */
	bool owned;		 /* in the table of owned TCP ends */
	struct flow_owner owner; /* the socket's, at its last owned packet */
	char uid[20];		 /* "C" and base62 */
	char community_id[32];
	uint64_t first_ts, last_ts; /* wall clock, ns */
	char history[24];
	uint32_t hist_seen; /* letters already in history */
	uint8_t flags_seen[2];
	bool sent[2];	     /* each side sent something */
	uint32_t seq_end[2]; /* highest sequence end seen, for 'T' */
	bool seq_valid[2];
	char *names[FLOW_NAMES];
	unsigned int nnames;
	struct {
		uint16_t id;
		uint64_t ts;
	} queries[FLOW_QUERIES]; /* DNS queries waiting for an answer */
	unsigned int nqueries;
	uint32_t dns_skip[2]; /* TCP: rest of a message not reassembled */
	struct {
		uint8_t *buf; /* a DNS message being put together, or NULL */
		uint32_t len, need;
		uint32_t next_seq; /* where the next segment must start */
	} dns_tcp[2];		   /* DNS over TCP, per side */
	struct flow_slice *slices;
	struct flow *lru_prev, *lru_next;
	unsigned char key[48];
};

/* Learns the names a new flow's remote address had. */
typedef size_t (*flow_names_fn)(void *arg, int family, const uint8_t addr[16],
				uint64_t ts, char **names, size_t max);
/* Writes the index line of a slice; called before it is freed. */
typedef void (*flow_emit_fn)(void *arg, const struct flow_slice *s);

struct flow_config {
	size_t max_flows;
	uint64_t tcp_idle_ns;	 /* established or unknown TCP */
	uint64_t closed_idle_ns; /* TCP after FIN both ways or RST */
	uint64_t other_idle_ns;	 /* UDP, ICMP, others */
	uint64_t start_ts;	 /* capture start, wall clock */
	flow_names_fn names;
	flow_emit_fn emit;
	void *arg;
};

/* A packet, as the flow table is told of it. */
struct flow_pkt {
	const struct pkt_info *pi;
	const struct nr_record *r;
	uint64_t ts; /* wall clock, ns */
	uint64_t offset;
	struct flow_slices *chunk;
};

struct flow_table;

struct flow_table *flow_table_new(const struct flow_config *cfg);
/* Evicts (and emits) every flow. */
void flow_table_free(struct flow_table *t);
/*
 * Account a packet to its flow and its chunk's slice; NULL when out of
 * memory.  @side receives FLOW_ORIG or FLOW_RESP: which side sent it.
 */
struct flow *flow_packet(struct flow_table *t, const struct flow_pkt *p,
			 int *side);
/*
 * The owner of the connection a packet without one belongs to (the kernel
 * answering for a socket in TIME_WAIT, or for a request socket): the
 * flow of its socket cookie, else the owned TCP flow with the same local
 * and remote ends.  NULL when none is known.  @p->chunk is not used.
 */
const struct flow_owner *flow_owner_of(struct flow_table *t,
				       const struct flow_pkt *p);
/* Evict flows idle at @now (wall clock). */
void flow_expire(struct flow_table *t, uint64_t now);
/* Emit and free every slice of a finished chunk. */
void flow_chunk_done(struct flow_table *t, struct flow_slices *chunk);
/* Zeek's conn_state for what was seen of @f. */
const char *flow_conn_state(const struct flow *f);
/* "tcp", "udp", "icmp", or NULL for others. */
const char *flow_proto_name(uint8_t proto);
size_t flow_count(const struct flow_table *t);

/*
 * Room for a DNS message over TCP that spans segments, kept with the flow
 * (f->dns_tcp[side]); at most FLOW_DNS_BUFS at once in the table.  NULL
 * when there is one already, too many, or no memory.
 */
#define FLOW_DNS_BUFS 1024
uint8_t *flow_dns_buf_new(struct flow_table *t, struct flow *f, int side,
			  size_t size);
void flow_dns_buf_free(struct flow_table *t, struct flow *f, int side);

/* DNS round-trip times: remember a query, find the answer's. */
void flow_dns_query(struct flow *f, uint16_t id, uint64_t ts);
/* The query's time, or 0 when it was not seen (or already answered). */
uint64_t flow_dns_answer(struct flow *f, uint16_t id);

#endif
