/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PRIORITY_H
#define NR_PRIORITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A thread that steps aside while it is busy but ahead of its work: it
 * runs at the lowest priority (nice 19) while its backlog is small, and
 * at the priority it started with once the backlog grows or the work
 * slows down (see priority.c).  Another thread may bring it back: a thread
 * that waits for the CPU cannot see its backlog grow.
 */
struct priority;

struct priority *priority_new(void);
void priority_free(struct priority *p);
/*
 * Called by the thread itself, once: from now on its priority is managed.
 * Returns false, and the thread keeps its priority, if it could not come
 * back after stepping aside (neither CAP_SYS_NICE nor an RLIMIT_NICE that
 * lets it).
 */
bool priority_attach(struct priority *p);
/*
 * The thread's own view, after it took @taken records at @now_ns (any
 * clock that goes forward) and @used bytes of @size still wait: busy
 * (20000 records a second or more) and under a sixteenth full, it steps
 * aside; past a quarter full, or no longer busy, it comes back.
 */
void priority_follow(struct priority *p, size_t used, size_t size,
		     unsigned int taken, uint64_t now_ns);
/*
 * Another thread's view (the reader's): past a quarter full, the thread
 * comes back.  Aside, it may be too starved of CPU to see that itself.
 */
void priority_backlog(struct priority *p, size_t used, size_t size);
/* Capture ends: back to a fair share for good, whatever the backlog. */
void priority_finish(struct priority *p);
/* Whether the thread runs aside now (for tests and statistics). */
bool priority_aside(struct priority *p);
/*
 * Privileges are about to go (-Z): if only they let the thread back, bring
 * it back now and keep it there.
 */
void priority_before_privdrop(struct priority *p);

#endif
