// SPDX-License-Identifier: GPL-2.0
/*
 * Positions (head, tail, rd) count bytes since the start and only grow; a
 * record sits at pos % size.  head is written by the producer, tail and rd
 * by the consumer.  Each record starts with an 8-byte header; a record
 * that would cross the end of the ring is preceded by a filler that covers
 * the rest of it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>

#include "queue.h"

#define HDR_SIZE 8
#define CACHE_LINE 64
#define FILLER UINT32_MAX

struct rec_hdr {
	uint32_t len; /* payload bytes, or FILLER */
	uint32_t released;
};

/*
 * The producer's and the consumer's positions live on cache lines of their
 * own, each side with its last view of the other's: a record then costs
 * no cache line moved between the two threads, only a batch of them does.
 */
struct queue {
	uint8_t *buf;
	size_t size;
	size_t mask;
	_Atomic int closed;
	_Atomic int prod_waiting;
	_Atomic int cons_waiting;
	_Atomic uint64_t full_waits;
	pthread_mutex_t lock;
	pthread_cond_t cond;

	/* The producer's */
	alignas(CACHE_LINE) _Atomic uint64_t head; /* next write */
	uint64_t reserved;			   /* head after commit */
	uint64_t tail_seen;			   /* tail, when last read */

	/* The consumer's */
	alignas(CACHE_LINE) _Atomic uint64_t tail; /* oldest unreleased */
	uint64_t rd;				   /* next unread */
	uint64_t head_seen;			   /* head, when last read */
};

static size_t rec_span(size_t len)
{
	return HDR_SIZE + ((len + 7) & ~(size_t)7);
}

struct queue *queue_new(size_t bytes)
{
	struct queue *q;
	size_t size = 1 << 16;

	if (bytes > SIZE_MAX / 4)
		return NULL;
	while (size < bytes)
		size <<= 1;
	q = aligned_alloc(CACHE_LINE, sizeof(*q));
	if (!q)
		return NULL;
	memset(q, 0, sizeof(*q));
	/* Fault the ring in now rather than on the packet path. */
	q->buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (q->buf == MAP_FAILED) {
		free(q);
		return NULL;
	}
	q->size = size;
	q->mask = size - 1;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	return q;
}

void queue_free(struct queue *q)
{
	if (!q)
		return;
	pthread_mutex_destroy(&q->lock);
	pthread_cond_destroy(&q->cond);
	munmap(q->buf, q->size);
	free(q);
}

size_t queue_max_record(const struct queue *q)
{
	/* Even a record preceded by the largest filler must fit. */
	return q->size / 2 - 2 * HDR_SIZE;
}

size_t queue_size(const struct queue *q)
{
	return q->size;
}

size_t queue_used(const struct queue *q)
{
	return atomic_load(&q->head) - atomic_load(&q->tail);
}

static struct rec_hdr *hdr_at(const struct queue *q, uint64_t pos)
{
	return (struct rec_hdr *)(q->buf + (pos & q->mask));
}

void queue_wake(struct queue *q)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (!atomic_load_explicit(&q->prod_waiting, memory_order_relaxed) &&
	    !atomic_load_explicit(&q->cons_waiting, memory_order_relaxed))
		return;
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

/*
 * Sleep until @ready(q) or @timeout_ms passes.  The flag is set before the
 * condition is checked again, and queue_wake() checks the flag after a
 * full fence, so a wake-up is never missed once the other side calls it.
 */
static bool wait_for(struct queue *q, _Atomic int *waiting,
		     bool (*ready)(struct queue *, size_t), size_t arg,
		     int timeout_ms)
{
	struct timespec until;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&q->lock);
	atomic_store(waiting, 1);
	while (!(ok = ready(q, arg)))
		if (pthread_cond_timedwait(&q->cond, &q->lock, &until) ==
		    ETIMEDOUT) {
			ok = ready(q, arg);
			break;
		}
	atomic_store(waiting, 0);
	pthread_mutex_unlock(&q->lock);
	return ok;
}

static bool has_space(struct queue *q, size_t need)
{
	if (q->size - (q->reserved - q->tail_seen) >= need)
		return true;
	q->tail_seen = atomic_load_explicit(&q->tail, memory_order_acquire);
	return q->size - (q->reserved - q->tail_seen) >= need ||
	       atomic_load(&q->closed);
}

void *queue_reserve(struct queue *q, size_t len)
{
	size_t span = rec_span(len), off, need;
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);

	if (len > queue_max_record(q))
		return NULL;
	q->reserved = head;
	off = head & q->mask;
	need = span;
	if (off + span > q->size)
		need += q->size - off;
	while (!has_space(q, need)) {
		atomic_fetch_add(&q->full_waits, 1);
		queue_wake(q);
		wait_for(q, &q->prod_waiting, has_space, need, 10);
	}
	if (need != span) {
		struct rec_hdr *f = hdr_at(q, head);

		f->len = FILLER;
		f->released = 1;
		head += q->size - off;
	}
	hdr_at(q, head)->len = len;
	hdr_at(q, head)->released = 0;
	q->reserved = head + span;
	return (uint8_t *)hdr_at(q, head) + HDR_SIZE;
}

void queue_commit(struct queue *q)
{
	atomic_store_explicit(&q->head, q->reserved, memory_order_release);
}

void queue_close(struct queue *q)
{
	atomic_store(&q->closed, 1);
	pthread_mutex_lock(&q->lock);
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

uint64_t queue_full_waits(const struct queue *q)
{
	return atomic_load(&q->full_waits);
}

/* Records to read: head as last seen, or as it is now. */
static bool has_data(struct queue *q, size_t unused)
{
	(void)unused;
	if (q->head_seen != q->rd)
		return true;
	q->head_seen = atomic_load_explicit(&q->head, memory_order_acquire);
	return q->head_seen != q->rd;
}

static bool has_data_or_closed(struct queue *q, size_t unused)
{
	return has_data(q, unused) || atomic_load(&q->closed);
}

void *queue_next(struct queue *q, size_t *len, int timeout_ms)
{
	struct rec_hdr *h;

	if (!has_data(q, 0)) {
		if (timeout_ms <= 0 ||
		    !wait_for(q, &q->cons_waiting, has_data_or_closed, 0,
			      timeout_ms))
			return NULL;
		if (!has_data(q, 0))
			return NULL; /* closed */
	}
	h = hdr_at(q, q->rd);
	if (h->len == FILLER) {
		q->rd += q->size - (q->rd & q->mask);
		h = hdr_at(q, q->rd);
	}
	q->rd += rec_span(h->len);
	*len = h->len;
	return (uint8_t *)h + HDR_SIZE;
}

void queue_release(struct queue *q, void *rec)
{
	struct rec_hdr *h = (struct rec_hdr *)((uint8_t *)rec - HDR_SIZE);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t old = tail;

	h->released = 1;
	/* Records released out of order wait for the older ones. */
	while (tail != q->rd && hdr_at(q, tail)->released) {
		struct rec_hdr *t = hdr_at(q, tail);

		tail += t->len == FILLER ? q->size - (tail & q->mask)
					 : rec_span(t->len);
	}
	if (tail != old)
		atomic_store_explicit(&q->tail, tail, memory_order_release);
}

int queue_all_read(const struct queue *q)
{
	return atomic_load(&q->closed) && atomic_load(&q->head) == q->rd;
}
