/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_QUEUE_H
#define NR_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * A bounded single-producer single-consumer ring of variable-size records
 * between the reader and the writer thread.  The consumer may release
 * records in any order and keeps using a record until it releases it, so
 * the writer can reorder records without copying them; space is reclaimed
 * once every older record is released.
 */
struct queue;

/* @bytes is rounded up to a power of two. */
struct queue *queue_new(size_t bytes);
void queue_free(struct queue *q);
/* The largest record queue_reserve() accepts. */
size_t queue_max_record(const struct queue *q);

/* Producer. */
/*
 * Space for a record of @len bytes, waiting while the ring is full.
 * NULL if @len is too large.  Nothing is visible before queue_commit().
 */
void *queue_reserve(struct queue *q, size_t len);
/* Publish the reserved record; cheap, and wakes nobody: see queue_wake(). */
void queue_commit(struct queue *q);
/* No more records will come. */
void queue_close(struct queue *q);
/* How many times queue_reserve() had to wait for space. */
uint64_t queue_full_waits(const struct queue *q);

/* Consumer. */
/*
 * The next unread record, waiting up to @timeout_ms for one.  NULL on
 * timeout or when the queue is closed and everything has been read.
 */
void *queue_next(struct queue *q, size_t *len, int timeout_ms);
void queue_release(struct queue *q, void *rec);
/*
 * Wake the other side if it sleeps.  Commits and releases do not, so that
 * their cost stays a plain store: each side calls this after a batch.
 */
void queue_wake(struct queue *q);
/* Closed by the producer, and every record read. */
int queue_all_read(const struct queue *q);
/* Bytes in use (unreleased), and the capacity. */
size_t queue_used(const struct queue *q);
size_t queue_size(const struct queue *q);

#endif
