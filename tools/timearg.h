/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_TIMEARG_H
#define NR_TIMEARG_H

#include <stdint.h>

/*
 * --since and --until: an RFC 3339 time with its offset
 * ("2025-11-22T14:00:00Z", "2025-11-22 15:00:00.25+01:00"; 't', 'z' and a
 * space for the 'T' are accepted, up to nine fraction digits), "@SECONDS"
 * since the epoch (as date(1) takes it, with an optional fraction), or a
 * duration meaning that long before @now: a number and a unit, s, m, h,
 * d or w, repeated as in "1h30m".
 *
 * Returns 0 with nanoseconds since the epoch in *@out, or -EINVAL with
 * *@why saying what is wrong.
 */
int timearg_parse(const char *s, int64_t now, int64_t *out, const char **why);

#endif
