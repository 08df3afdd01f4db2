/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CLOCK_H
#define NR_CLOCK_H

#include <stdint.h>
#include <time.h>

/*
 * The kernel stamps packets with CLOCK_MONOTONIC (bpf_ktime_get_ns()).
 * Wall-clock time is that plus an offset, measured at start and again
 * every second so a stepped clock (NTP, settimeofday) is followed.
 */
struct wallclock {
	int64_t offset_ns;  /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t synced_at; /* monotonic ns of the last measurement */
};

#define WALLCLOCK_RESYNC_NS 1000000000ULL

uint64_t mono_now_ns(void);
void wallclock_sync(struct wallclock *c);
/* Re-measure if the last measurement is older than WALLCLOCK_RESYNC_NS. */
void wallclock_tick(struct wallclock *c, uint64_t now_mono);
/* Nanoseconds since the epoch. */
uint64_t wallclock_ns(const struct wallclock *c, uint64_t mono_ns);

#endif
