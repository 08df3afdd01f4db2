// SPDX-License-Identifier: GPL-2.0
/* wallclock: the offset follows steps of the clock, never jitter. */
#include <stdint.h>
#include "../../src/clock.h"
#include "tap.h"

int main(void)
{
	struct wallclock c = { 0 };
	const int64_t base = 1700000000LL * 1000000000LL;
	uint64_t t;

	wallclock_follow(&c, base, 100, 1);
	ok(c.offset_ns == base, "the first measurement is taken");
	ok(wallclock_ns(&c, 5000) == (uint64_t)base + 5000,
	   "wall time is monotonic time plus the offset");

	t = wallclock_ns(&c, 1000000);
	wallclock_follow(&c, base - 150, 100, 2);
	ok(c.offset_ns == base,
	   "jitter backwards within the errors is ignored");
	ok(wallclock_ns(&c, 1000001) > t, "so time does not go back");

	wallclock_follow(&c, base + 150, 100, 3);
	ok(c.offset_ns == base, "jitter forwards, no tighter, is ignored too");

	wallclock_follow(&c, base + 50, 20, 4);
	ok(c.offset_ns == base + 50 && c.err_ns == 20,
	   "a tighter measurement that moves time forward is taken");
	wallclock_follow(&c, base + 40, 10, 5);
	ok(c.offset_ns == base + 50 && c.err_ns == 20,
	   "a tighter one that would move time back is not");

	wallclock_follow(&c, base + 1000000000LL, 100, 6);
	ok(c.offset_ns == base + 1000000000LL, "a step forward is followed");
	wallclock_follow(&c, base - 3000000LL, 100, 7);
	ok(c.offset_ns == base - 3000000LL,
	   "a step back is followed: that is what the clock says");
	ok(c.synced_at == 7, "the time of the measurement is kept");

	c = (struct wallclock){ 0 };
	wallclock_sync(&c);
	ok(c.synced_at && c.err_ns && c.err_ns < 1000000,
	   "a real measurement is tight (error %llu ns)",
	   (unsigned long long)c.err_ns);
	int64_t first = c.offset_ns;
	for (int i = 0; i < 1000; i++) {
		c.synced_at = 1;
		wallclock_tick(&c, WALLCLOCK_RESYNC_NS + 1);
		if (c.offset_ns < first)
			break;
	}
	ok(c.offset_ns >= first,
	   "1000 re-measurements never move the offset back");
	return tap_done();
}
