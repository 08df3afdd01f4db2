/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PRIORITY_H
#define NR_PRIORITY_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A thread that steps aside while it is ahead of its work: it runs at the
 * lowest priority (nice 19) while its backlog is small, and at the
 * priority it started with once the backlog grows (see priority.c).
 * Another thread may restore it: a thread that waits for the CPU cannot
 * see its backlog grow.
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
 * @used bytes of @size wait for the thread: under a sixteenth it steps
 * aside, past a quarter it comes back.  Any thread may call this.
 */
void priority_follow(struct priority *p, size_t used, size_t size);
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
