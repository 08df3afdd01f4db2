/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_INDEX_H
#define NR_INDEX_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "ctrcache.h"
#include "filecache.h"
#include "netrec.h"
#include "packet.h"
#include "proc.h"

/*
 * The sidecar index (docs/INDEX.md): beside each chunk a JSON Lines file
 * of its flows, DNS messages and HTTP requests, written by the writer
 * thread as it writes the packets, and finished with the chunk.
 */
#define INDEX_EXT ".idx.jsonl"

/* Packets the host lost, as counted so far; for the chunk lines. */
struct index_losses {
	uint64_t perf, output, disk;
};

struct index_config {
	int dirfd;
	const char *split;   /* "process", "container,process", ... */
	const char *format;  /* "pcap" or "pcapng" */
	uint32_t snaplen;    /* the files', link header included */
	const char *options; /* the command line */
	struct proc_cache *procs;
	struct ctrcache *containers;
	void (*losses)(void *arg, struct index_losses *out);
	void *losses_arg;
};

struct index;

struct index *index_new(const struct index_config *cfg);
/* Every chunk must have been finished (filecache closed) first. */
void index_free(struct index *ix);
/* Hooks for filecache_set_hooks(), with the index as their argument. */
extern const struct chunk_hooks index_chunk_hooks;
/*
 * A packet written at @pos: @data is the packet from its IP header on
 * (r->caplen bytes), @pi what pkt_parse() made of it (NULL: not a packet
 * a flow can be told from), @ts its wall-clock time.
 */
void index_packet(struct index *ix, const struct chunk_pos *pos,
		  const struct nr_record *r, const struct pkt_info *pi,
		  const uint8_t *data, uint64_t ts);
/*
 * A packet without an owner (@pi as for index_packet()): give it the
 * owner of the connection it belongs to, if the index knows one (the
 * kernel's ACK for a socket in TIME_WAIT belongs with the socket's other
 * packets).  Sets NR_F_OWNER and NR_F_INFERRED in @r if it knows one.
 */
void index_owner(struct index *ix, struct nr_record *r,
		 const struct pkt_info *pi);
/* A packet written at @pos (at @ts) that the index had no time for. */
void index_skip(const struct chunk_pos *pos, uint64_t ts);
/* Evict idle flows, writing their lines (wall clock @now). */
void index_tick(struct index *ix, uint64_t now);

/*
 * Finish the index a crash left beside chunk @part (its name with
 * ".part"), now finished as @final ("": it held nothing and is gone) with
 * @packets in it (-1: unknown): it gets a last line saying so, with
 * @final's name and SHA-256.  0, or -ENOENT when there was no index.
 */
int index_recover(int dirfd, const char *part, const char *final,
		  int64_t packets);

#endif
