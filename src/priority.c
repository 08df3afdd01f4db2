// SPDX-License-Identifier: GPL-2.0
/*
 * Writing, hashing and indexing a packet cost the writer several times
 * what capturing it costs, and none of it is urgent while the queue has
 * room.  Run at netrec's own priority, a busy writer takes its share of
 * the CPU just when the programs being recorded want it, and a program
 * that waits for the CPU falls behind: on a 2-CPU VM, TCP over a veth
 * pair kept a tenth more of its throughput with the writer at nice 19.
 * At nice 19 the writer gets almost nothing from a busy CPU, though, so
 * it comes back to its own priority as soon as the queue fills past a
 * quarter, long before the queue could run out of room; the reader, which
 * runs at netrec's priority throughout, sees that happen and brings it
 * back.  A writer with little to do stays at its own priority: yielding
 * would save nothing, and its timers would wait.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "log.h"
#include "priority.h"

#define ASIDE_NICE 19
/*
 * Busy: taking this many records a second, over windows of BUSY_WINDOW_NS.
 * Below it the writer's CPU is not worth yielding (300 ns a record: under
 * 1% of a CPU), and its timers (-G, --idle-close) should not wait behind
 * whatever else keeps the CPUs busy.
 */
#define BUSY_RATE 20000
#define BUSY_WINDOW_NS (100ULL * 1000000)

struct priority {
	pthread_mutex_t lock; /* the state and the nice value change together */
	pid_t tid;
	int base; /* the thread's nice value when it was attached */
	bool attached;
	bool pinned; /* capture ends, or privileges go: never step aside */
	atomic_bool aside;
	bool warned;
	/* The managed thread's own, in priority_follow(): */
	bool busy;
	uint64_t window_start, window_taken;
};

struct priority *priority_new(void)
{
	struct priority *p = calloc(1, sizeof(*p));

	if (p)
		pthread_mutex_init(&p->lock, NULL);
	return p;
}

void priority_free(struct priority *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/*
 * Coming back down to @base takes CAP_SYS_NICE or an RLIMIT_NICE of
 * 20 - @base.  Capabilities go with -Z, the limit stays: raise it where
 * the hard limit, or CAP_SYS_RESOURCE, allows.
 */
static bool limit_lets_back(int base)
{
	rlim_t need = (rlim_t)(20 - base);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NICE, &rl))
		return false;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return true;
	rl.rlim_cur = need;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;
	return !setrlimit(RLIMIT_NICE, &rl);
}

/*
 * Whether the way back is open, found by taking it: one step down and back.
 * If only the step back fails, the thread runs at one nice step below
 * its own, which costs nothing worth a second try.
 */
static bool can_come_back(pid_t tid, int base)
{
	if (limit_lets_back(base))
		return true;
	return !setpriority(PRIO_PROCESS, tid, base + 1) &&
	       !setpriority(PRIO_PROCESS, tid, base);
}

bool priority_attach(struct priority *p)
{
	pid_t tid = gettid();
	bool ok;
	int base;

	errno = 0;
	base = getpriority(PRIO_PROCESS, tid);
	pthread_mutex_lock(&p->lock);
	ok = !errno && base < ASIDE_NICE && !p->pinned &&
	     can_come_back(tid, base);
	if (ok) {
		p->tid = tid;
		p->base = base;
		p->attached = true;
	}
	pthread_mutex_unlock(&p->lock);
	if (!ok)
		pr_debug("the writer keeps its priority throughout");
	return ok;
}

static void set_nice(struct priority *p, bool aside)
{
	int nice = aside ? ASIDE_NICE : p->base;

	if (!setpriority(PRIO_PROCESS, p->tid, nice)) {
		atomic_store(&p->aside, aside);
		return;
	}
	if (!p->warned)
		pr_warn("cannot set the writer's priority to nice %d: %s", nice,
			strerror(errno));
	p->warned = true;
}

/*
 * Aside or back; the lock only when that is a change.  Only an attached
 * thread steps aside; coming back is always allowed (pinned, too, should
 * setting it back have failed).
 */
static void move(struct priority *p, bool aside)
{
	if (atomic_load_explicit(&p->aside, memory_order_relaxed) == aside)
		return;
	pthread_mutex_lock(&p->lock);
	if (atomic_load(&p->aside) != aside && (p->attached || !aside))
		set_nice(p, aside);
	pthread_mutex_unlock(&p->lock);
}

void priority_follow(struct priority *p, size_t used, size_t size,
		     unsigned int taken, uint64_t now_ns)
{
	uint64_t dt;

	if (!p->window_start)
		p->window_start = now_ns;
	dt = now_ns - p->window_start;
	p->window_taken += taken;
	if (dt >= BUSY_WINDOW_NS) {
		p->busy = p->window_taken * 1000000000ULL >= BUSY_RATE * dt;
		p->window_start = now_ns;
		p->window_taken = 0;
	}
	if (!p->busy || used > size / 4)
		move(p, false);
	else if (used < size / 16)
		move(p, true);
}

void priority_backlog(struct priority *p, size_t used, size_t size)
{
	if (used > size / 4)
		move(p, false);
}

/* Come back if aside, and stay: what is left to do must not wait. */
static void pin(struct priority *p)
{
	if (atomic_load(&p->aside))
		set_nice(p, false);
	p->attached = false;
	p->pinned = true;
}

void priority_finish(struct priority *p)
{
	pthread_mutex_lock(&p->lock);
	pin(p);
	pthread_mutex_unlock(&p->lock);
}

bool priority_aside(struct priority *p)
{
	return atomic_load(&p->aside);
}

void priority_before_privdrop(struct priority *p)
{
	int base;

	pthread_mutex_lock(&p->lock);
	errno = 0;
	base = p->attached ? p->base : getpriority(PRIO_PROCESS, 0);
	if (!errno && !limit_lets_back(base)) {
		pin(p);
		pr_debug(
			"the writer keeps its priority: without CAP_SYS_NICE it could not take it back");
	}
	pthread_mutex_unlock(&p->lock);
}
