/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CLOCK_H
#define NR_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * The kernel stamps packets with CLOCK_MONOTONIC (bpf_ktime_get_ns()).
 * Wall-clock time is that plus an offset, measured at start and again
 * every second so a stepped clock (NTP, settimeofday) is followed.
 *
 * NTP slews both clocks alike, so the offset changes only when the clock
 * is stepped.  A new measurement replaces the offset only if it differs
 * by more than the two measurements' errors, or is tighter and moves time
 * forward: jitter taken for a step would set recorded time back by up to
 * a microsecond, and packets a chunk apart would come out of order.
 */
struct wallclock {
	int64_t offset_ns;  /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t err_ns;    /* the offset is within this of the truth */
	uint64_t synced_at; /* monotonic ns of the last measurement; 0: none */
};

#define WALLCLOCK_RESYNC_NS 1000000000ULL

uint64_t mono_now_ns(void);
void wallclock_sync(struct wallclock *c);
/* Re-measure if the last measurement is older than WALLCLOCK_RESYNC_NS. */
void wallclock_tick(struct wallclock *c, uint64_t now_mono);
/*
 * Take a measurement of @offset_ns, within @err_ns of the truth, made at
 * monotonic @at: the offset follows it if the clock was stepped.
 */
void wallclock_follow(struct wallclock *c, int64_t offset_ns, uint64_t err_ns,
		      uint64_t at);
/* Nanoseconds since the epoch. */
uint64_t wallclock_ns(const struct wallclock *c, uint64_t mono_ns);

#endif
