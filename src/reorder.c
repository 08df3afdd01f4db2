// SPDX-License-Identifier: GPL-2.0
/*
 * Records arrive as runs: each CPU's perf buffer delivers them nearly in
 * time order, and the order breaks only now and then (a batch of staged
 * packets after single ones sent meanwhile, a program that interrupted
 * another).  Each CPU extends its open run while the order holds and opens
 * a new run when it breaks; a min-heap of runs, keyed on each run's oldest
 * item, merges them.  A pop costs log(runs), a handful, and reads each run
 * in order: a heap of the items themselves (tens of thousands in the
 * window at a million packets a second) spent a fifth of the writer's time
 * waiting for memory.
 *
 * Keying on (ts, cpu, seq) rather than ts alone makes the output order
 * total and repeatable: records with equal timestamps (coarse clocks,
 * bursts) come out the same way each run.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "reorder.h"

#define RUN_MIN_CAP 64
/* CPUs beyond this share open runs: still correct, just more runs. */
#define OPEN_SLOTS 1024
/* Empty runs kept for reuse; the rest are freed. */
#define FREE_MAX 64

struct run {
	struct reorder_item *v;
	size_t head, tail, cap; /* the items are v[head..tail) */
	uint32_t slot;		/* the open[] slot that may point here */
	struct run *next_free;
};

struct reorder {
	size_t count; /* items */
	struct run **heap;
	size_t nheap, heap_cap;
	struct run *open[OPEN_SLOTS]; /* per CPU: the run its items extend */
	struct run *free;
	size_t nfree;
};

struct reorder *reorder_new(void)
{
	return calloc(1, sizeof(struct reorder));
}

static void run_free(struct run *run)
{
	if (!run)
		return;
	free(run->v);
	free(run);
}

void reorder_free(struct reorder *r)
{
	struct run *run;

	if (!r)
		return;
	/* A run is open, or in the heap, or free: free each once. */
	for (size_t i = 0; i < r->nheap; i++)
		if (r->open[r->heap[i]->slot] != r->heap[i])
			run_free(r->heap[i]);
	for (size_t i = 0; i < OPEN_SLOTS; i++)
		run_free(r->open[i]);
	while ((run = r->free)) {
		r->free = run->next_free;
		run_free(run);
	}
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

static bool run_before(const struct run *a, const struct run *b)
{
	return before(&a->v[a->head], &b->v[b->head]);
}

static bool run_empty(const struct run *run)
{
	return run->head == run->tail;
}

static void sift_down(struct reorder *r, size_t i)
{
	struct run **heap = r->heap, *run = heap[i];
	size_t child, n = r->nheap;

	for (; (child = 2 * i + 1) < n; i = child) {
		if (child + 1 < n && run_before(heap[child + 1], heap[child]))
			child++;
		if (!run_before(heap[child], run))
			break;
		heap[i] = heap[child];
	}
	heap[i] = run;
}

static int heap_add(struct reorder *r, struct run *run)
{
	size_t i, parent;

	if (r->nheap == r->heap_cap) {
		size_t cap = r->heap_cap ? r->heap_cap * 2 : 16;
		struct run **heap = realloc(r->heap, cap * sizeof(*heap));

		if (!heap)
			return -ENOMEM;
		r->heap = heap;
		r->heap_cap = cap;
	}
	for (i = r->nheap++; i; i = parent) {
		parent = (i - 1) / 2;
		if (!run_before(run, r->heap[parent]))
			break;
		r->heap[i] = r->heap[parent];
	}
	r->heap[i] = run;
	return 0;
}

/* Room for one more item at the tail. */
static int run_reserve(struct run *run)
{
	struct reorder_item *v;
	size_t cap;

	if (run->tail < run->cap)
		return 0;
	if (run->head && run->head >= run->cap / 2) {
		/* Half of it is popped: slide down rather than grow. */
		memmove(run->v, run->v + run->head,
			(run->tail - run->head) * sizeof(*run->v));
		run->tail -= run->head;
		run->head = 0;
		return 0;
	}
	cap = run->cap ? run->cap * 2 : RUN_MIN_CAP;
	if (cap > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	v = realloc(run->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	run->v = v;
	run->cap = cap;
	return 0;
}

static struct run *run_get(struct reorder *r, uint32_t slot)
{
	struct run *run = r->free;

	if (run) {
		r->free = run->next_free;
		r->nfree--;
	} else {
		run = calloc(1, sizeof(*run));
		if (!run)
			return NULL;
	}
	run->head = run->tail = 0;
	run->slot = slot;
	return run;
}

/* An emptied run that is nobody's open run any more. */
static void run_put(struct reorder *r, struct run *run)
{
	if (r->nfree >= FREE_MAX) {
		run_free(run);
		return;
	}
	run->next_free = r->free;
	r->free = run;
	r->nfree++;
}

int reorder_push(struct reorder *r, const struct reorder_item *it)
{
	uint32_t slot = it->cpu % OPEN_SLOTS;
	struct run *run = r->open[slot];
	bool fresh = false;

	if (run && !run_empty(run) && before(it, &run->v[run->tail - 1])) {
		/* The old run stays in the heap until it drains. */
		run = NULL;
	}
	if (!run) {
		run = run_get(r, slot);
		if (!run)
			return -ENOMEM;
		fresh = true;
	}
	if (run_reserve(run))
		goto fail;
	run->v[run->tail++] = *it;
	/* A run enters the heap when it gains its first item. */
	if (run->tail - run->head == 1 && heap_add(r, run)) {
		run->tail--;
		goto fail;
	}
	if (fresh)
		r->open[slot] = run;
	r->count++;
	return 0;
fail:
	if (fresh)
		run_put(r, run);
	return -ENOMEM;
}

int reorder_pop(struct reorder *r, uint64_t limit, struct reorder_item *it)
{
	struct run *run;

	if (!r->nheap)
		return 0;
	run = r->heap[0];
	if (run->v[run->head].ts > limit)
		return 0;
	*it = run->v[run->head++];
	r->count--;
	if (!run_empty(run)) {
		sift_down(r, 0);
		return 1;
	}
	run->head = run->tail = 0;
	if (--r->nheap) {
		r->heap[0] = r->heap[r->nheap];
		sift_down(r, 0);
	}
	if (r->open[run->slot] != run)
		run_put(r, run);
	return 1;
}

size_t reorder_count(const struct reorder *r)
{
	return r->count;
}
