/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_REORDER_H
#define NR_REORDER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Records from different CPUs reach user space out of time order.  The
 * reorder puts them back in (ts, cpu, seq) order (see reorder.c); the caller
 * releases those older than a limit it knows to be safe (see writer.c).
 */
struct reorder_item {
	uint64_t ts;
	uint64_t seq;
	uint32_t cpu;
	void *data;
};

struct reorder;

struct reorder *reorder_new(void);
void reorder_free(struct reorder *r);
/* Returns 0 or -ENOMEM. */
int reorder_push(struct reorder *r, const struct reorder_item *it);
/*
 * Pop the oldest item if its ts <= @limit (UINT64_MAX: whatever its ts).
 * Returns 1 with *it filled, 0 when nothing is that old.
 */
int reorder_pop(struct reorder *r, uint64_t limit, struct reorder_item *it);
size_t reorder_count(const struct reorder *r);

#endif
