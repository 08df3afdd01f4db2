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
	uint64_t best = UINT64_MAX;

	/*
	 * Read the real-time clock between two monotonic reads and keep the
	 * tightest of a few tries: the midpoint is then within a few hundred
	 * nanoseconds of the true offset.
	 */
	for (int i = 0; i < 3; i++) {
		clock_gettime(CLOCK_MONOTONIC, &m1);
		clock_gettime(CLOCK_REALTIME, &r);
		clock_gettime(CLOCK_MONOTONIC, &m2);
		uint64_t gap = ts_ns(&m2) - ts_ns(&m1);
		if (gap < best) {
			best = gap;
			c->offset_ns = (int64_t)ts_ns(&r) -
				       (int64_t)(ts_ns(&m1) + gap / 2);
			c->synced_at = ts_ns(&m2);
		}
	}
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
