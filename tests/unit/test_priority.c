// SPDX-License-Identifier: GPL-2.0
/*
 * The writer steps aside while it is busy and the queue nearly empty, and
 * comes back once the queue fills past a quarter, whichever thread sees
 * it, or once it is no longer busy; and stays at its own priority when
 * dropping privileges would leave it no way back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "priority.h"
#include "tap.h"

#define SIZE 1600 /* a sixteenth is 100, a quarter 400 */

static pid_t tid;

static int nice_of(pid_t t)
{
	errno = 0;
	return getpriority(PRIO_PROCESS, t);
}

#define MS 1000000ULL

static uint64_t now = 1000 * MS;

/*
 * A round of the thread's own: @taken records over the last 100 ms (under
 * 2000: 20000 a second, the busy rate).
 */
static void round_(struct priority *p, size_t used, unsigned int taken)
{
	now += 100 * MS;
	priority_follow(p, used, SIZE, taken, now);
}

struct call {
	struct priority *p;
	size_t used; /* SIZE + 1: priority_finish() */
};

static void *from_elsewhere(void *arg)
{
	struct call *c = arg;

	if (c->used > SIZE)
		priority_finish(c->p);
	else
		priority_backlog(c->p, c->used, SIZE);
	return NULL;
}

/* As the reader does: a call from a thread other than the managed one. */
static void call_elsewhere(struct priority *p, size_t used)
{
	struct call c = { p, used };
	pthread_t t;

	if (pthread_create(&t, NULL, from_elsewhere, &c) == 0)
		pthread_join(t, NULL);
}

static void test_follow(struct priority *p, int base)
{
	round_(p, 0, 0);
	round_(p, 0, 1999);
	ok(nice_of(tid) == base && !priority_aside(p),
	   "an empty queue, 19990 records a second: it stays at nice %d", base);
	round_(p, 0, 2000);
	ok(nice_of(tid) == 19 && priority_aside(p),
	   "20000 a second, the queue empty: it steps aside to nice 19 (%d)",
	   nice_of(tid));
	round_(p, 200, 5000);
	ok(nice_of(tid) == 19, "an eighth full: it stays aside");
	round_(p, 400, 5000);
	ok(nice_of(tid) == 19, "a quarter full: it stays aside");
	call_elsewhere(p, 400);
	ok(nice_of(tid) == 19, "a quarter full, seen by another thread: aside");
	call_elsewhere(p, 401);
	ok(nice_of(tid) == base && !priority_aside(p),
	   "past a quarter, seen by another thread: back to nice %d (%d)", base,
	   nice_of(tid));
	call_elsewhere(p, 0);
	ok(nice_of(tid) == base, "another thread never sends it aside");
	round_(p, 200, 5000);
	ok(nice_of(tid) == base, "an eighth full again: it stays back");
	round_(p, 100, 5000);
	ok(nice_of(tid) == base, "a sixteenth full: it stays back");
	round_(p, 99, 5000);
	ok(nice_of(tid) == 19, "under a sixteenth: aside again");
	round_(p, 401, 5000);
	ok(nice_of(tid) == base, "past a quarter, seen by itself: back");
	round_(p, 0, 5000);
	ok(nice_of(tid) == 19, "empty: aside again");
	round_(p, 0, 1999);
	ok(nice_of(tid) == base, "the records slow down: back, however empty");
	now += 10 * MS;
	priority_follow(p, 0, SIZE, 5000, now);
	ok(nice_of(tid) == base,
	   "a burst within the window changes nothing yet");
	round_(p, 0, 5000);
	ok(nice_of(tid) == 19, "busy over the window: aside");
	call_elsewhere(p, SIZE + 1);
	ok(nice_of(tid) == base && !priority_aside(p),
	   "priority_finish() from another thread brings it back");
	round_(p, 0, 5000);
	ok(nice_of(tid) == base,
	   "for good: an empty queue no longer sends it aside");
}

/*
 * In a child (the limit cannot be raised again): with an RLIMIT_NICE of
 * 0, only CAP_SYS_NICE lets the thread back, and -Z would take that.
 */
static int privdrop_child(int base)
{
	struct rlimit rl = { 0, 0 };
	struct priority *p = priority_new();
	int bad = 0;

	tid = gettid();
	if (!p || setrlimit(RLIMIT_NICE, &rl))
		return 100;
	if (!priority_attach(p))
		return 101; /* root here: CAP_SYS_NICE lets it back */
	round_(p, 0, 5000);
	round_(p, 0, 5000);
	if (nice_of(tid) != 19)
		bad |= 1;
	priority_before_privdrop(p);
	if (nice_of(tid) != base || priority_aside(p))
		bad |= 2;
	round_(p, 0, 5000);
	if (nice_of(tid) != base)
		bad |= 4;
	priority_free(p);
	return bad;
}

static void test_privdrop(int base)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(privdrop_child(base));
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status),
	   "the child ran");
	status = WEXITSTATUS(status);
	ok(status < 100, "the child could set up (%d)", status);
	ok(!(status & 1),
	   "a thread whose way back is CAP_SYS_NICE steps aside");
	ok(!(status & 2),
	   "before privileges go, it is brought back, to nice %d", base);
	ok(!(status & 4), "and stays there, whatever the queue");
}

int main(void)
{
	struct priority *p = priority_new();
	int base;

	tid = gettid();
	base = nice_of(tid);
	ok(p && !errno, "a priority, for a thread at nice %d", base);
	if (geteuid() != 0) {
		printf("# not root: the way back may be closed\n");
		ok(1, "# SKIP needs root");
		priority_free(p);
		return tap_done();
	}
	ok(priority_attach(p), "root can always come back: attached");
	ok(nice_of(tid) == base, "attaching alone changes nothing");
	test_follow(p, base);
	priority_free(p);
	test_privdrop(base);
	return tap_done();
}
