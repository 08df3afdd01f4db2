/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_COUNTER_H
#define NR_COUNTER_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * A statistics counter with one writing thread and readers elsewhere.  On
 * the per-packet path a relaxed load and store does, where an atomic add
 * would cost a locked instruction per packet.
 */
typedef _Atomic uint64_t counter_t;

static inline void counter_add(counter_t *c, uint64_t n)
{
	atomic_store_explicit(c,
			      atomic_load_explicit(c, memory_order_relaxed) + n,
			      memory_order_relaxed);
}

static inline uint64_t counter_get(const counter_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

#endif
