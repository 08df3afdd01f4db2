// SPDX-License-Identifier: GPL-2.0
/* --since/--until: RFC 3339 times, @epoch and durations before now. */
#include <stdint.h>

#include "tap.h"
#include "timearg.h"

#define S 1000000000LL
/* 2025-11-22T04:40:00Z */
#define T0 1763786400LL
static const int64_t now = T0 * S + 123456789;

static void good(const char *s, int64_t want)
{
	const char *why = NULL;
	int64_t got = -1;
	int r = timearg_parse(s, now, &got, &why);

	ok(r == 0 && got == want, "'%s' -> %lld", s, (long long)want);
	if (r || got != want)
		printf("#   got %d, %lld (%s)\n", r, (long long)got,
		       why ? why : "");
}

static void bad(const char *s, const char *why_part)
{
	const char *why = NULL;
	int64_t got;
	int r = timearg_parse(s, now, &got, &why);

	ok(r != 0 && why && strstr(why, why_part), "'%s' is refused: %s", s,
	   why ? why : "(no reason)");
}

int main(void)
{
	good("2025-11-22T04:40:00Z", T0 * S);
	good("2025-11-22t04:40:00z", T0 * S);
	good("2025-11-22 04:40:00Z", T0 * S);
	good("2025-11-22T04:40:00.5Z", T0 * S + S / 2);
	good("2025-11-22T04:40:00.123456Z", T0 * S + 123456000);
	good("2025-11-22T04:40:00.123456789Z", T0 * S + 123456789);
	good("2025-11-22T05:40:00+01:00", T0 * S);
	good("2025-11-21T23:10:00-05:30", T0 * S);
	good("2025-11-22T04:40:00+00:00", T0 * S);
	good("2024-02-29T00:00:00Z", 1709164800LL * S);
	good("1970-01-01T00:00:00Z", 0);
	good("2016-12-31T23:59:60Z", 1483228800LL * S);
	good("@1763786400", T0 * S);
	good("@1763786400.25", T0 * S + S / 4);
	good("90s", now - 90 * S);
	good("15m", now - 15 * 60 * S);
	good("2h", now - 2 * 3600 * S);
	good("3d", now - 3 * 86400 * S);
	good("1w", now - 7 * 86400 * S);
	good("1h30m", now - 5400 * S);
	good("0s", now);

	bad("", "empty");
	bad("yesterday", "RFC 3339");
	bad("2025-11-22", "time and offset");
	bad("2025-11-22T04:40Z", "time and offset");
	bad("2025-11-22T04:40:00", "offset");
	bad("2025-11-22T04:40:00+0100", "offset");
	bad("2025-11-22T04:40:00.Z", "fraction");
	bad("2025-11-22T04:40:00.1234567890Z", "fraction");
	bad("2025-13-01T00:00:00Z", "out of range");
	bad("2025-02-30T00:00:00Z", "out of range");
	bad("2025-11-22T24:00:00Z", "out of range");
	bad("2025-11-22T04:40:00Z junk", "trailing");
	bad("1969-12-31T23:59:59Z", "out of range");
	bad("2300-01-01T00:00:00Z", "out of range");
	bad("90", "RFC 3339");
	bad("90x", "RFC 3339");
	bad("h", "RFC 3339");
	bad("1h30", "RFC 3339");
	bad("1h3x0m", "units");
	bad("-2h", "RFC 3339");
	bad("100000d", "century");
	bad("99999999999999999999s", "units");
	bad("@", "SECONDS");
	bad("@12x", "SECONDS");
	bad("@99999999999", "SECONDS");
	return tap_done();
}
