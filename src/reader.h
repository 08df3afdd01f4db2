/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_READER_H
#define NR_READER_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "netrec.h"
#include "queue.h"

/*
 * The reader thread drains the per-CPU perf buffers into the queue.  Each
 * queue record is laid out as:
 *
 *   struct qrec | link header room (QREC_LINK_ROOM) | caplen packet bytes
 *
 * so the writer can put the link header in front of the packet in place.
 */
#define QREC_LINK_ROOM 4

struct qrec {
	struct nr_record r;
	__u32 cpu;	   /* QREC_WATERMARK: not a packet, see below */
	__u32 lost_before; /* samples this CPU lost just before this one */
};

/*
 * After each pass over every perf buffer the reader queues a watermark: a
 * qrec with cpu == QREC_WATERMARK and no packet, whose r.ts_ns is a time
 * up to which (inclusive) every packet has been queued.  The writer can
 * release all that in time order without waiting out a fixed window.
 */
#define QREC_WATERMARK UINT32_MAX

struct reader;

/*
 * The size of the entry at @p (a record and its packet, padded; see
 * bpf/netrec.h) if it is whole within @n bytes and its record is sane,
 * else 0: the rest of a sample that holds a torn entry cannot be trusted.
 */
size_t reader_entry_size(const void *p, size_t n);

struct reader_stats {
	uint64_t samples;     /* records handed to the queue */
	uint64_t lost;	      /* perf buffer lost samples */
	uint64_t bad;	      /* malformed samples (never expected) */
	uint64_t queue_waits; /* times the queue was full */
};

/*
 * The size of a queue that holds two full passes over every CPU's perf
 * buffer, so the writer can always wait for the watermark that ends a pass
 * without stalling the reader.  @buffer_kib as for reader_start().
 */
size_t reader_queue_bytes(unsigned int buffer_kib);

/*
 * Asks the kernel side to hand over what it holds back (staged packets)
 * and to say how far the perf buffers are complete: every packet stamped
 * before *settled (CLOCK_MONOTONIC ns) is in them.  0, or a negative
 * errno if staged packets could not be handed over (*settled still holds).
 */
typedef int (*reader_settle_fn)(void *arg, uint64_t *settled);

struct priority;

struct reader_source {
	int events_fd; /* the perf event array map */
	reader_settle_fn settle;
	void *settle_arg;
	/*
	 * The writer's, if it steps aside while it keeps up (priority.h):
	 * the reader sees the queue fill when the writer cannot.
	 */
	struct priority *writer_prio;
};

/* @buffer_kib per CPU (0: 8 MiB, less on machines with more than 8 CPUs). */
int reader_start(struct reader **out, const struct reader_source *src,
		 unsigned int buffer_kib, struct queue *q);
/* Stop polling, drain every buffer, then close the queue. */
void reader_stop(struct reader *rd);
void reader_stats(const struct reader *rd, struct reader_stats *st);
void reader_free(struct reader *rd);

#endif
