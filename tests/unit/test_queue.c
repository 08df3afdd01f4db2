// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"
#include "tap.h"
#include "testutil.h"

#define STRESS_RECORDS 2000000
#define STRESS_QUEUE (256 * 1024)
#define STRESS_MAX_LEN 2000
#define WINDOW 8

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The content of record @seq of @len bytes, the same on both sides. */
static void fill(uint8_t *p, size_t len, uint64_t seq)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 0x2545f4914f6cdd1dULL;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t w = tu_xorshift64(&x);

		memcpy(p + i, &w, 8);
	}
	if (i < len) {
		uint64_t w = tu_xorshift64(&x);

		memcpy(p + i, &w, len - i);
	}
}

static bool content_ok(const uint8_t *p, size_t len, uint64_t seq)
{
	uint8_t *want = malloc(len + 1);
	bool same;

	if (!want)
		return false;
	fill(want, len, seq);
	same = memcmp(p, want, len) == 0;
	free(want);
	return same;
}

/* ---- single-threaded ---- */

static void *push(struct queue *q, size_t len, uint64_t seq)
{
	uint8_t *p = queue_reserve(q, len);

	if (!p)
		return NULL;
	fill(p, len, seq);
	queue_commit(q);
	return p;
}

static void test_sizes(void)
{
	struct queue *q = queue_new(1000);
	struct queue *q2 = queue_new(100000);
	struct queue *q3 = queue_new(1 << 20);

	ok(q && q2 && q3, "queue_new");
	ok(queue_size(q) >= 1000 && (queue_size(q) & (queue_size(q) - 1)) == 0,
	   "size %zu is a power of two >= 1000", queue_size(q));
	ok(queue_size(q2) == 131072, "100000 rounds up to 131072 (%zu)",
	   queue_size(q2));
	ok(queue_size(q3) == 1 << 20, "a power of two stays (%zu)",
	   queue_size(q3));
	ok(queue_max_record(q) > 0 && queue_max_record(q) < queue_size(q) / 2,
	   "max record %zu below half the ring", queue_max_record(q));
	ok(queue_max_record(q2) > queue_max_record(q),
	   "max record grows with the ring");
	ok(queue_used(q) == 0, "new queue is empty");
	ok(queue_full_waits(q) == 0, "no full waits yet");
	ok(!queue_all_read(q), "open queue is not all read");

	ok(queue_reserve(q, queue_max_record(q) + 1) == NULL,
	   "reserve of max_record + 1 is NULL");
	ok(queue_reserve(q, (size_t)-1) == NULL, "reserve of SIZE_MAX is NULL");
	ok(queue_used(q) == 0, "failed reserves use nothing");
	queue_free(q);
	queue_free(q2);
	queue_free(q3);
	queue_free(NULL);
}

static void test_round_trip(void)
{
	static const size_t sizes[] = { 0,    1,    2,	  7,   8,    9,
					15,   16,   17,	  100, 1000, 1500,
					4095, 4096, 4097, 9000 };
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	struct queue *q = queue_new(1 << 16);
	size_t i, len, total = 0;
	bool good = true;
	void *r;

	/* Nothing is visible before commit. */
	r = queue_reserve(q, 10);
	ok(r != NULL, "reserve 10");
	ok(queue_next(q, &len, 0) == NULL, "uncommitted record is invisible");
	fill(r, 10, 42);
	queue_commit(q);
	r = queue_next(q, &len, 0);
	ok(r && len == 10 && content_ok(r, 10, 42),
	   "committed record comes out");
	ok(queue_used(q) >= 10, "used %zu while unreleased", queue_used(q));
	queue_release(q, r);
	ok(queue_used(q) == 0, "released: used 0");

	for (i = 0; i < n; i++) {
		good &= push(q, sizes[i], i) != NULL;
		total += sizes[i];
	}
	ok(good, "%zu records of varied sizes reserved", n);
	ok(queue_used(q) >= total && queue_used(q) <= total + n * 16,
	   "used %zu for %zu payload bytes", queue_used(q), total);
	good = true;
	for (i = 0; i < n; i++) {
		r = queue_next(q, &len, 0);
		if (!r || len != sizes[i] || !content_ok(r, len, i)) {
			good = false;
			printf("# record %zu: %p len %zu\n", i, r, r ? len : 0);
			break;
		}
		if (((uintptr_t)r & 7) != 0) {
			good = false;
			printf("# record %zu misaligned\n", i);
		}
		queue_release(q, r);
	}
	ok(good, "all come out in order, 8-aligned, intact");
	ok(queue_next(q, &len, 0) == NULL, "then empty");
	ok(queue_used(q) == 0, "used 0 after releasing all");
	ok(!queue_all_read(q), "not closed: not all read");

	/* The largest record, several times, so it lands at any offset. */
	good = true;
	for (i = 0; i < 5; i++) {
		size_t big = queue_max_record(q);

		r = push(q, big, 1000 + i);
		if (!r) {
			good = false;
			break;
		}
		r = queue_next(q, &len, 0);
		good &= r && len == big && content_ok(r, len, 1000 + i);
		if (r)
			queue_release(q, r);
		/* Shift the offset a little. */
		r = push(q, 24 * i + 1, 2000 + i);
		r = queue_next(q, &len, 0);
		good &= r && len == 24 * i + 1 && content_ok(r, len, 2000 + i);
		if (r)
			queue_release(q, r);
	}
	ok(good, "max_record-sized records fit at any offset");
	ok(queue_used(q) == 0 && queue_full_waits(q) == 0, "no waits, used 0");
	queue_free(q);
}

/* Records crossing the end of the ring are moved whole to its start. */
static void test_wrap(void)
{
	struct queue *q = queue_new(1 << 16);
	uintptr_t prev = 0;
	int wraps = 0;
	bool good = true, bounded = true;
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	uint64_t seq;
	size_t len;

	for (seq = 0; seq < 400; seq++) {
		size_t want = 1000 + (seq * 3571) % 6000;
		uint8_t *w, *r;

		w = push(q, want, seq);
		if (!w) {
			good = false;
			break;
		}
		/* Two in flight, so a record wraps while another is held. */
		if (seq == 0)
			continue;
		r = queue_next(q, &len, 0);
		if (!r || len != 1000 + ((seq - 1) * 3571) % 6000 ||
		    !content_ok(r, len, seq - 1)) {
			good = false;
			printf("# record %llu bad\n",
			       (unsigned long long)seq - 1);
			break;
		}
		if ((uintptr_t)r < prev)
			wraps++;
		prev = (uintptr_t)r;
		if ((uintptr_t)r < lo)
			lo = (uintptr_t)r;
		if ((uintptr_t)r + len > hi)
			hi = (uintptr_t)r + len;
		queue_release(q, r);
	}
	if (good) {
		uint8_t *r = queue_next(q, &len, 0);

		good = r && content_ok(r, len, seq - 1);
		if (r)
			queue_release(q, r);
	}
	bounded = hi - lo <= queue_size(q);
	ok(good, "400 records of 1000..6999 bytes intact across the ring end");
	ok(wraps >= 10, "wrapped %d times", wraps);
	ok(bounded, "records stay within one ring (span %zu)",
	   (size_t)(hi - lo));
	ok(queue_used(q) == 0, "used 0 at the end");
	queue_free(q);
}

static void test_out_of_order(void)
{
	struct queue *q = queue_new(1 << 16);
	void *a, *b, *c, *d;
	size_t la, lb, lc, ld, used_all, used;

	push(q, 100, 1);
	push(q, 200, 2);
	push(q, 300, 3);
	used_all = queue_used(q);
	a = queue_next(q, &la, 0);
	b = queue_next(q, &lb, 0);
	c = queue_next(q, &lc, 0);
	ok(a && b && c && la == 100 && lb == 200 && lc == 300,
	   "three records read");
	ok(queue_used(q) == used_all, "reading frees nothing");

	queue_release(q, b);
	ok(queue_used(q) == used_all, "releasing the 2nd frees nothing");
	ok(content_ok(a, 100, 1) && content_ok(c, 300, 3),
	   "held records intact");
	queue_release(q, c);
	ok(queue_used(q) == used_all, "releasing the 3rd frees nothing");
	queue_release(q, a);
	ok(queue_used(q) == 0, "releasing the 1st frees all three");

	/* Oldest first frees only its own space. */
	push(q, 100, 4);
	push(q, 200, 5);
	used_all = queue_used(q);
	a = queue_next(q, &la, 0);
	b = queue_next(q, &lb, 0);
	queue_release(q, a);
	used = queue_used(q);
	ok(used < used_all && used >= 200, "oldest released: used %zu -> %zu",
	   used_all, used);
	ok(content_ok(b, lb, 5), "the other is intact");
	queue_release(q, b);
	ok(queue_used(q) == 0, "all released: used 0");

	/* A read-but-held record and an unread one. */
	push(q, 50, 6);
	push(q, 60, 7);
	push(q, 70, 8);
	used_all = queue_used(q);
	a = queue_next(q, &la, 0);
	b = queue_next(q, &lb, 0);
	queue_release(q, b);
	queue_release(q, a);
	used = queue_used(q);
	ok(used > 0 && used < used_all, "unread record keeps its space (%zu)",
	   used);
	c = queue_next(q, &lc, 0);
	ok(c && lc == 70 && content_ok(c, lc, 8), "unread record intact");
	queue_release(q, c);
	ok(queue_used(q) == 0, "used 0");

	/* Release order 4 2 3 1 over a wrap. */
	for (int i = 0; i < 20; i++) {
		push(q, 3000, 100 + i);
		a = queue_next(q, &la, 0);
		queue_release(q, a);
	}
	push(q, 5000, 200);
	push(q, 7000, 201);
	push(q, 9000, 202);
	push(q, 11000, 203);
	a = queue_next(q, &la, 0);
	b = queue_next(q, &lb, 0);
	c = queue_next(q, &lc, 0);
	d = queue_next(q, &ld, 0);
	used_all = queue_used(q);
	queue_release(q, d);
	queue_release(q, b);
	queue_release(q, c);
	/* At most a filler before the oldest may go. */
	used = queue_used(q);
	ok(used <= used_all && used >= la + lb + lc + ld &&
		   content_ok(a, la, 200),
	   "oldest held: none of the four freed (%zu of %zu), oldest intact",
	   used, used_all);
	queue_release(q, a);
	ok(queue_used(q) == 0, "all freed once the oldest goes");
	queue_free(q);
}

static void test_close(void)
{
	struct queue *q = queue_new(1 << 16);
	uint64_t t0;
	size_t len;
	void *a, *b;

	/* Empty: NULL after the timeout. */
	t0 = now_ms();
	ok(queue_next(q, &len, 0) == NULL, "timeout 0 on empty: NULL");
	ok(queue_next(q, &len, 50) == NULL, "timeout 50 on empty: NULL");
	ok(now_ms() - t0 >= 40, "and it waited (%llu ms)",
	   (unsigned long long)(now_ms() - t0));

	push(q, 10, 1);
	push(q, 20, 2);
	queue_close(q);
	ok(!queue_all_read(q), "closed with two unread: not all read");
	a = queue_next(q, &len, 1000);
	ok(a && len == 10 && content_ok(a, len, 1), "first after close");
	ok(!queue_all_read(q), "one unread: not all read");
	b = queue_next(q, &len, 1000);
	ok(b && len == 20 && content_ok(b, len, 2), "second after close");
	ok(queue_all_read(q), "now all read");
	t0 = now_ms();
	ok(queue_next(q, &len, 5000) == NULL, "closed and drained: NULL");
	ok(now_ms() - t0 < 1000, "without waiting out the timeout");
	queue_release(q, b);
	queue_release(q, a);
	ok(queue_used(q) == 0, "used 0");
	ok(queue_all_read(q), "still all read");
	queue_free(q);
}

/* ---- two threads ---- */

struct blocked {
	struct queue *q;
	size_t len;
	_Atomic int done;
};

static void *blocked_producer(void *arg)
{
	struct blocked *b = arg;

	push(b->q, b->len, 77);
	queue_wake(b->q);
	atomic_store(&b->done, 1);
	return NULL;
}

struct late {
	struct queue *q;
	int close; /* close instead of committing */
};

static void *late_producer(void *arg)
{
	struct late *l = arg;

	usleep(100 * 1000);
	if (l->close) {
		queue_close(l->q);
	} else {
		push(l->q, 33, 99);
		queue_wake(l->q);
	}
	return NULL;
}

/* A consumer sleeping in queue_next() wakes on queue_wake() and on close. */
static void test_wake(void)
{
	struct queue *q = queue_new(1 << 16);
	struct late l = { .q = q };
	uint64_t t0;
	pthread_t t;
	size_t len;
	void *r;

	t0 = now_ms();
	pthread_create(&t, NULL, late_producer, &l);
	r = queue_next(q, &len, 10000);
	pthread_join(t, NULL);
	ok(r && len == 33 && content_ok(r, len, 99),
	   "sleeping consumer gets the record");
	ok(now_ms() - t0 < 5000, "woken by queue_wake (%llu ms)",
	   (unsigned long long)(now_ms() - t0));
	if (r)
		queue_release(q, r);

	l.close = 1;
	t0 = now_ms();
	pthread_create(&t, NULL, late_producer, &l);
	r = queue_next(q, &len, 10000);
	pthread_join(t, NULL);
	ok(r == NULL && queue_all_read(q), "close ends the wait with NULL");
	ok(now_ms() - t0 < 5000, "woken by queue_close (%llu ms)",
	   (unsigned long long)(now_ms() - t0));
	queue_free(q);
}

/* A full ring held by its oldest record blocks the producer until then. */
static void test_blocking(void)
{
	struct queue *q = queue_new(1 << 16);
	struct blocked b = { .q = q, .len = 20000 };
	void *recs[16], *r;
	size_t len;
	pthread_t t;
	int i, n = 0;

	while (queue_used(q) + 8000 <= queue_size(q) && n < 16)
		push(q, 7000, n++);
	for (i = 0; i < n; i++)
		recs[i] = queue_next(q, &len, 0);
	for (i = 1; i < n; i++)
		queue_release(q, recs[i]);
	ok(queue_used(q) > queue_size(q) - 40000,
	   "oldest held: %zu of %zu in use", queue_used(q), queue_size(q));
	pthread_create(&t, NULL, blocked_producer, &b);
	usleep(300 * 1000);
	ok(!atomic_load(&b.done), "producer waits while the oldest is held");
	ok(queue_next(q, &len, 0) == NULL, "nothing new meanwhile");
	queue_release(q, recs[0]);
	queue_wake(q);
	r = queue_next(q, &len, 5000);
	ok(r && len == 20000 && content_ok(r, len, 77),
	   "released: the waiting record arrives");
	pthread_join(t, NULL);
	ok(atomic_load(&b.done), "producer done");
	ok(queue_full_waits(q) >= 1, "full waits counted (%llu)",
	   (unsigned long long)queue_full_waits(q));
	if (r)
		queue_release(q, r);
	ok(queue_used(q) == 0, "used 0");
	queue_free(q);
}

struct stress {
	struct queue *q;
	uint64_t n;
	uint64_t seed;
};

static size_t stress_len(uint64_t *x)
{
	return 1 + tu_xorshift64(x) % STRESS_MAX_LEN;
}

static uint32_t checksum(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0x100000001b3ULL;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (uint32_t)(h ^ (h >> 32));
}

/*
 * A record: seq (4 bytes, if it fits), then a checksum of the rest (4
 * bytes, if it fits), then content from fill().
 */
static void *stress_producer(void *arg)
{
	struct stress *s = arg;
	uint64_t x = s->seed;

	for (uint64_t seq = 0; seq < s->n; seq++) {
		size_t len = stress_len(&x);
		uint8_t *p = queue_reserve(s->q, len);
		uint32_t seq32 = (uint32_t)seq, sum;

		if (!p)
			abort();
		fill(p, len, seq);
		if (len >= 4)
			memcpy(p, &seq32, 4);
		if (len >= 8) {
			sum = checksum(p + 8, len - 8);
			memcpy(p + 4, &sum, 4);
		}
		queue_commit(s->q);
		/* Commits wake nobody: wake the consumer after a batch. */
		if (seq % 32 == 31)
			queue_wake(s->q);
	}
	queue_close(s->q);
	return NULL;
}

struct held {
	uint8_t *p;
	size_t len;
	uint64_t seq;
};

static bool stress_rec_ok(const struct held *h)
{
	uint8_t want[STRESS_MAX_LEN];
	uint32_t seq32 = (uint32_t)h->seq, sum;

	fill(want, h->len, h->seq);
	if (h->len >= 4)
		memcpy(want, &seq32, 4);
	if (h->len >= 8) {
		sum = checksum(h->p + 8, h->len - 8);
		if (memcmp(h->p + 4, &sum, 4))
			return false;
		memcpy(want + 4, &sum, 4);
	}
	return memcmp(h->p, want, h->len) == 0;
}

static void test_stress(uint64_t n)
{
	struct stress s = { .q = queue_new(STRESS_QUEUE),
			    .n = n,
			    .seed = 0x853c49e6748fea9bULL };
	struct held win[WINDOW];
	uint64_t x = s.seed, rnd = 12345, got = 0, bad = 0, bad_len = 0;
	uint64_t t0 = now_ms(), ooo = 0, nulls = 0;
	size_t nwin = 0, target = 1, len;
	bool seq_ok = true;
	pthread_t t;
	uint8_t *p;

	pthread_create(&t, NULL, stress_producer, &s);
	for (;;) {
		p = queue_next(s.q, &len, 100);
		if (p) {
			size_t want = stress_len(&x);
			uint32_t seq32;

			if (len != want) {
				bad_len++;
				if (bad_len < 5)
					printf("# record %llu: len %zu, want %zu\n",
					       (unsigned long long)got, len,
					       want);
			}
			if (len >= 4) {
				memcpy(&seq32, p, 4);
				if (seq32 != (uint32_t)got && seq_ok) {
					seq_ok = false;
					printf("# seq %u where %llu was due\n",
					       seq32, (unsigned long long)got);
				}
			}
			win[nwin].p = p;
			win[nwin].len = len;
			win[nwin].seq = got++;
			nwin++;
			/* Now and then let the producer fill the ring. */
			if (got % 200000 == 1000)
				usleep(20 * 1000);
		} else {
			nulls++;
		}
		/* Release a window of 1..8 records in random order. */
		if (nwin && (nwin >= target || !p)) {
			while (nwin) {
				size_t j = tu_xorshift64(&rnd) % nwin;

				if (j != 0)
					ooo++;
				if (!stress_rec_ok(&win[j]) && bad++ < 5)
					printf("# record %llu corrupt\n",
					       (unsigned long long)win[j].seq);
				queue_release(s.q, win[j].p);
				win[j] = win[--nwin];
			}
			queue_wake(s.q);
			target = 1 + tu_xorshift64(&rnd) % WINDOW;
		}
		if (!p && queue_all_read(s.q))
			break;
	}
	pthread_join(t, NULL);
	ok(got == n, "consumer got %llu of %llu records",
	   (unsigned long long)got, (unsigned long long)n);
	ok(seq_ok, "in order");
	ok(bad_len == 0, "every length as sent (%llu wrong)",
	   (unsigned long long)bad_len);
	ok(bad == 0, "content and checksum intact while held (%llu bad)",
	   (unsigned long long)bad);
	ok(ooo > n / 10, "%llu releases out of order", (unsigned long long)ooo);
	ok(queue_full_waits(s.q) > 0, "producer found the ring full %llu times",
	   (unsigned long long)queue_full_waits(s.q));
	ok(queue_used(s.q) == 0 && queue_all_read(s.q),
	   "drained: used 0, all read");
	printf("# stress: %llu records in %llu ms, %llu empty polls\n",
	       (unsigned long long)n, (unsigned long long)(now_ms() - t0),
	       (unsigned long long)nulls);
	queue_free(s.q);
}

int main(int argc, char **argv)
{
	uint64_t n = STRESS_RECORDS;

	/* A smaller count for slow (sanitizer) builds: test_queue N */
	if (argc > 1)
		n = strtoull(argv[1], NULL, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_sizes();
	test_round_trip();
	test_wrap();
	test_out_of_order();
	test_close();
	test_wake();
	test_blocking();
	test_stress(n);
	return tap_done();
}
