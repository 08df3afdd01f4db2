// SPDX-License-Identifier: GPL-2.0
#include "clock.h"

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ULL + ts->tv_nsec;
}

uint64_t mono_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts_ns(&ts);
}

void wallclock_sync(struct wallclock *c)
{
	struct timespec m1, r, m2;
	uint64_t gap, best = UINT64_MAX, at = 0;
	int64_t offset = 0;

	/*
	 * Read the real-time clock between two monotonic reads and keep the
	 * tightest of a few tries: the midpoint is then within half the gap
	 * of the true offset.
	 */
	for (int i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		gap = ts_ns(&m2) - ts_ns(&m1);
		if (gap < best) {
			best = gap;
			offset = (int64_t)ts_ns(&r) -
				 (int64_t)(ts_ns(&m1) + gap / 2);
			at = ts_ns(&m2);
		}
	}
	wallclock_follow(c, offset, best / 2 + 1, at);
}

void wallclock_follow(struct wallclock *c, int64_t offset_ns, uint64_t err_ns,
		      uint64_t at)
{
	uint64_t diff = offset_ns > c->offset_ns
				? (uint64_t)(offset_ns - c->offset_ns)
				: (uint64_t)(c->offset_ns - offset_ns);

	/*
	 * Out of reach of the old measurement's error and the new one's:
	 * the clock was stepped, follow it, backwards too.  Within reach,
	 * a tighter measurement is taken only if it moves time forward.
	 */
	if (!c->synced_at || diff > c->err_ns + err_ns ||
	    (err_ns < c->err_ns && offset_ns >= c->offset_ns)) {
		c->offset_ns = offset_ns;
		c->err_ns = err_ns;
	}
	c->synced_at = at ? at : 1;
}

void wallclock_tick(struct wallclock *c, uint64_t now_mono)
{
	if (now_mono - c->synced_at >= WALLCLOCK_RESYNC_NS)
		wallclock_sync(c);
}

uint64_t wallclock_ns(const struct wallclock *c, uint64_t mono_ns)
{
	return mono_ns + c->offset_ns;
}
