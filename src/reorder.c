// SPDX-License-Identifier: GPL-2.0
/*
 * A binary min-heap in a growable array.  Keying on (ts, cpu, seq) rather
 * than ts alone makes the output order total and repeatable: records with
 * equal timestamps (coarse clocks, bursts) come out the same way each run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "reorder.h"

#define REORDER_MIN_CAP 64

struct reorder {
	size_t count;
	size_t cap;
	struct reorder_item *heap;
};

struct reorder *reorder_new(void)
{
	return calloc(1, sizeof(struct reorder));
}

void reorder_free(struct reorder *r)
{
	if (!r)
		return;
	free(r->heap);
	free(r);
}

static bool before(const struct reorder_item *a, const struct reorder_item *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->seq < b->seq;
}

static int reserve(struct reorder *r)
{
	struct reorder_item *heap;
	size_t cap;

	if (r->count < r->cap)
		return 0;
	cap = r->cap ? r->cap * 2 : REORDER_MIN_CAP;
	if (cap < r->cap || cap > SIZE_MAX / sizeof(*heap))
		return -ENOMEM;
	heap = realloc(r->heap, cap * sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	r->heap = heap;
	r->cap = cap;
	return 0;
}

int reorder_push(struct reorder *r, const struct reorder_item *it)
{
	struct reorder_item *heap;
	size_t i, parent;

	if (reserve(r))
		return -ENOMEM;
	heap = r->heap;
	/* Sift up by moving parents down: one copy per level, not a swap. */
	for (i = r->count++; i; i = parent) {
		parent = (i - 1) / 2;
		if (!before(it, &heap[parent]))
			break;
		heap[i] = heap[parent];
	}
	heap[i] = *it;
	return 0;
}

static void sift_down(struct reorder *r, const struct reorder_item *it)
{
	struct reorder_item *heap = r->heap;
	size_t i = 0, child, n = r->count;

	for (; (child = 2 * i + 1) < n; i = child) {
		if (child + 1 < n && before(&heap[child + 1], &heap[child]))
			child++;
		if (!before(&heap[child], it))
			break;
		heap[i] = heap[child];
	}
	heap[i] = *it;
}

int reorder_pop(struct reorder *r, uint64_t limit, struct reorder_item *it)
{
	if (!r->count || r->heap[0].ts > limit)
		return 0;
	*it = r->heap[0];
	if (--r->count) {
		struct reorder_item last = r->heap[r->count];

		sift_down(r, &last);
	}
	return 1;
}

size_t reorder_count(const struct reorder *r)
{
	return r->count;
}
