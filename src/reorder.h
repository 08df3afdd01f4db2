/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_REORDER_H
#define NR_REORDER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Records from different CPUs reach user space out of time order.  The
 * reorder window holds them in a min-heap on (ts, cpu, seq) and releases a
 * record once it is older than the window, so output is in time order as
 * long as no CPU lags by more than the window.
 */
struct reorder_item {
	uint64_t ts;
	uint64_t seq;
	uint32_t cpu;
	void *data;
};

struct reorder;

struct reorder *reorder_new(uint64_t window_ns);
void reorder_free(struct reorder *r);
/* Returns 0 or -ENOMEM. */
int reorder_push(struct reorder *r, const struct reorder_item *it);
/*
 * Pop the oldest item if it is due: its ts <= now - window, or @force.
 * Returns 1 with *it filled, 0 when nothing is due.
 */
int reorder_pop(struct reorder *r, uint64_t now, int force,
		struct reorder_item *it);
size_t reorder_count(const struct reorder *r);

#endif
