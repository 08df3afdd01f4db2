// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reorder.h"
#include "tap.h"
#include "testutil.h"

#define NCPU 4
#define BIG 100000

static uint64_t rnd(void)
{
	static uint64_t x = 0x853c49e6748fea9bULL;

	return tu_xorshift64(&x);
}

static void shuffle(struct reorder_item *v, size_t n)
{
	struct reorder_item t;
	size_t i, j;

	for (i = n - 1; i > 0; i--) {
		j = rnd() % (i + 1);
		t = v[i];
		v[i] = v[j];
		v[j] = t;
	}
}

static bool in_order(const struct reorder_item *a, const struct reorder_item *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return a->seq < b->seq;
}

/*
 * The caller's policy in miniature (the writer uses a watermark; these
 * tests use a fixed window): release what is at least @window old.
 */
static uint64_t window_ns;

static struct reorder *new_windowed(uint64_t window)
{
	window_ns = window;
	return reorder_new();
}

static int pop_due(struct reorder *r, uint64_t now, struct reorder_item *it)
{
	if (now < window_ns)
		return 0;
	return reorder_pop(r, now - window_ns, it);
}

static struct reorder_item item(uint64_t ts, uint32_t cpu, uint64_t seq)
{
	struct reorder_item it = { .ts = ts, .seq = seq, .cpu = cpu };

	it.data = (void *)(uintptr_t)(ts ^ seq ^ cpu);
	return it;
}

/* Pops everything with force; checks order, data and count on the way. */
static bool drain_sorted(struct reorder *r, size_t want)
{
	struct reorder_item prev, it;
	size_t n = 0;
	bool good = true;

	while (reorder_pop(r, UINT64_MAX, &it)) {
		if (n && !in_order(&prev, &it))
			good = false;
		if (it.data != (void *)(uintptr_t)(it.ts ^ it.seq ^ it.cpu))
			good = false;
		prev = it;
		n++;
		if (reorder_count(r) != want - n)
			good = false;
	}
	return good && n == want;
}

/*
 * Four CPUs each produce in time order, but their streams reach us
 * interleaved and late by up to @lag.  Popping at arrival time with a
 * window >= lag must give one sorted stream.
 */
static void test_cpus(void)
{
	enum { N = 20000 };
	const uint64_t window = 1000000, lag = 900000;
	static struct reorder_item v[N];
	static uint64_t arrive[N];
	uint64_t cpu_seq[NCPU] = { 0 }, ts = 0, now = 0;
	struct reorder *r = new_windowed(window);
	struct reorder_item it, prev;
	size_t i, j, out = 0;
	bool good = true;
	uint32_t cpu;

	for (i = 0; i < N; i++) {
		/* One clock; equal stamps on different CPUs happen too. */
		ts += rnd() % 500;
		cpu = (uint32_t)(rnd() % NCPU);
		v[i] = item(ts, cpu, cpu_seq[cpu]++);
	}
	/* Arrival order: by ts plus a random delay below the window. */
	for (i = 0; i < N; i++)
		arrive[i] = v[i].ts + rnd() % lag;
	for (i = 1; i < N; i++) {
		for (j = i; j > 0 && arrive[j - 1] > arrive[j]; j--) {
			uint64_t a = arrive[j];
			struct reorder_item t = v[j];

			arrive[j] = arrive[j - 1];
			v[j] = v[j - 1];
			arrive[j - 1] = a;
			v[j - 1] = t;
		}
	}

	for (i = 0; i < N; i++) {
		now = arrive[i];
		good &= reorder_push(r, &v[i]) == 0;
		while (pop_due(r, now, &it)) {
			if (out && !in_order(&prev, &it))
				good = false;
			if (it.ts + window > now)
				good = false;
			prev = it;
			out++;
		}
	}
	while (reorder_pop(r, UINT64_MAX, &it)) {
		if (out && !in_order(&prev, &it))
			good = false;
		prev = it;
		out++;
	}
	ok(good && out == N, "4 CPUs arriving late within the window: sorted");
	ok(reorder_count(r) == 0, "all released");
	reorder_free(r);
}

static void test_shuffled(void)
{
	enum { N = 4000 };
	static struct reorder_item v[N];
	struct reorder *r = new_windowed(100);
	bool good = true;
	size_t i;

	for (i = 0; i < N; i++)
		v[i] = item(1000 + rnd() % 500, (uint32_t)(i % NCPU), i);
	shuffle(v, N);
	for (i = 0; i < N; i++)
		good &= reorder_push(r, &v[i]) == 0;
	ok(good && reorder_count(r) == N, "pushed shuffled items");
	ok(drain_sorted(r, N), "forced pops come out sorted by (ts, cpu, seq)");
	reorder_free(r);
}

static void test_window(void)
{
	struct reorder *r = new_windowed(100);
	struct reorder_item it = item(1000, 0, 0), got;

	reorder_push(r, &it);
	ok(pop_due(r, 1000, &got) == 0, "not due at its own ts");
	ok(pop_due(r, 1099, &got) == 0, "not due 1ns before the window");
	ok(reorder_count(r) == 1, "still held");
	ok(pop_due(r, 1100, &got) == 1 && got.ts == 1000,
	   "due exactly when the window has passed");
	ok(pop_due(r, 5000, &got) == 0, "empty: nothing due");
	ok(reorder_pop(r, UINT64_MAX, &got) == 0, "empty: force gives nothing");

	/* Only the head counts: a later item is not released early. */
	it = item(2000, 0, 1);
	reorder_push(r, &it);
	it = item(1500, 0, 2);
	reorder_push(r, &it);
	ok(pop_due(r, 1600, &got) == 1 && got.ts == 1500,
	   "older item released first");
	ok(pop_due(r, 1600, &got) == 0, "newer item still held");
	ok(reorder_pop(r, UINT64_MAX, &got) == 1 && got.ts == 2000,
	   "force releases it regardless of now");
	reorder_free(r);
}

static void test_underflow(void)
{
	struct reorder *r = new_windowed(1000);
	struct reorder_item it = item(0, 0, 0), got;

	reorder_push(r, &it);
	ok(pop_due(r, 500, &got) == 0,
	   "now < window: ts 0 is not due (no wrap)");
	ok(pop_due(r, 999, &got) == 0, "still not due at window - 1");
	ok(pop_due(r, 1000, &got) == 1, "due at now == window");

	/* The other edge: ts + window would wrap. */
	it = item(UINT64_MAX - 5, 0, 0);
	reorder_push(r, &it);
	ok(pop_due(r, UINT64_MAX, &got) == 0,
	   "ts near UINT64_MAX not due early (no wrap)");
	it = item(UINT64_MAX - 2000, 0, 1);
	reorder_push(r, &it);
	ok(pop_due(r, UINT64_MAX, &got) == 1 && got.ts == UINT64_MAX - 2000,
	   "old enough item near UINT64_MAX is due");
	reorder_free(r);

	r = new_windowed(0);
	it = item(7, 0, 0);
	reorder_push(r, &it);
	ok(pop_due(r, 6, &got) == 0 && pop_due(r, 7, &got) == 1,
	   "zero window releases at ts");
	reorder_free(r);
}

static void test_ties(void)
{
	struct reorder *r = new_windowed(10);
	struct reorder_item in[] = {
		item(5, 2, 1), item(5, 1, 9), item(5, 1, 3),
		item(5, 0, 7), item(4, 3, 0), item(5, 0, 2),
	};
	static const uint32_t want_cpu[] = { 3, 0, 0, 1, 1, 2 };
	static const uint64_t want_seq[] = { 0, 2, 7, 3, 9, 1 };
	struct reorder_item got;
	bool good = true;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		reorder_push(r, &in[i]);
	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		if (pop_due(r, 100, &got) != 1 || got.cpu != want_cpu[i] ||
		    got.seq != want_seq[i])
			good = false;
	}
	ok(good, "equal timestamps ordered by cpu, then seq");
	reorder_free(r);
}

static void test_big(void)
{
	static struct reorder_item v[BIG];
	struct reorder *r = new_windowed(1000);
	struct reorder_item got;
	uint64_t prev_ts = 0;
	size_t i, out = 0;
	bool good = true;

	for (i = 0; i < BIG; i++)
		v[i] = item(i * 3, (uint32_t)(i % NCPU), i);
	shuffle(v, BIG);
	for (i = 0; i < BIG; i++)
		good &= reorder_push(r, &v[i]) == 0;
	ok(good && reorder_count(r) == BIG, "pushed %d items", BIG);

	/* Release the first half by time, then force out the rest. */
	while (pop_due(r, BIG * 3 / 2 + 1000, &got)) {
		good &= !out || got.ts > prev_ts;
		good &= got.ts <= BIG * 3 / 2;
		prev_ts = got.ts;
		out++;
	}
	ok(good && out == BIG / 2 + 1,
	   "timed pops release exactly the due half");
	ok(drain_sorted(r, BIG - out), "forced pops drain the rest sorted");

	/* Leaving items in must not leak: free owns only the heap. */
	for (i = 0; i < 10; i++)
		reorder_push(r, &v[i]);
	reorder_free(r);
	reorder_free(NULL);
}

/*
 * A CPU's staged batch arrives after single packets it sent meanwhile:
 * its runs overlap.  Popping in the middle of it, and pushing back what
 * was popped (the writer does after a failed write), keeps the order.
 */
static void test_batches(void)
{
	struct reorder *r = reorder_new();
	struct reorder_item it, prev = { 0 };
	bool good = true;
	size_t n = 0;

	for (int round = 0; round < 50; round++) {
		uint64_t base = 1000 + round * 100;

		for (int i = 1; i < 100; i += 2) /* singles: odd times */
			good &= !reorder_push(
				r, &(struct reorder_item){ .ts = base + i,
							   .cpu = 0,
							   .seq = 1 });
		for (int i = 0; i < 100; i += 2) /* the batch: even times */
			good &= !reorder_push(
				r, &(struct reorder_item){ .ts = base + i,
							   .cpu = 0,
							   .seq = 2 });
		for (int i = 0; i < 100; i += 3) /* another CPU, in order */
			good &= !reorder_push(
				r, &(struct reorder_item){ .ts = base + i,
							   .cpu = 1,
							   .seq = 3 });
		/* Release the older half; push the last one popped back. */
		while (reorder_pop(r, base + 50, &it)) {
			good &= !n || in_order(&prev, &it);
			prev = it;
			n++;
		}
		good &= !reorder_push(r, &prev);
		n--;
		good &= reorder_pop(r, UINT64_MAX, &it) && it.ts == prev.ts &&
			it.cpu == prev.cpu;
		n++;
	}
	while (reorder_pop(r, UINT64_MAX, &it)) {
		good &= in_order(&prev, &it);
		prev = it;
		n++;
	}
	ok(good && n == 50 * (100 + 34),
	   "overlapping runs of one CPU merge in order");
	reorder_free(r);
}

int main(void)
{
	test_window();
	test_underflow();
	test_ties();
	test_shuffled();
	test_cpus();
	test_big();
	test_batches();
	return tap_done();
}
