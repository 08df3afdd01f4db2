// SPDX-License-Identifier: GPL-2.0
/* --since and --until: RFC 3339 times, @epoch, or durations before now. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "timearg.h"

#define NS 1000000000LL
/* Nanoseconds since the epoch fit an int64_t until 2262. */
#define MAX_SEC 9000000000LL
/* A century back is far enough for any capture. */
#define MAX_DUR (100LL * 366 * 86400 * NS)

/* Exactly @n digits at *@p, moving past them. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool expect(const char **p, const char *set)
{
	if (!**p || !strchr(set, **p))
		return false;
	(*p)++;
	return true;
}

/* ".123456789": up to nine digits, as nanoseconds. */
static bool fraction(const char **p, int64_t *ns)
{
	int64_t v = 0, scale = NS;
	int n = 0;

	*ns = 0;
	if (**p != '.' && **p != ',')
		return true;
	(*p)++;
	while (isdigit((unsigned char)**p)) {
		if (++n > 9)
			return false;
		scale /= 10;
		v += (**p - '0') * scale;
		(*p)++;
	}
	*ns = v;
	return n > 0;
}

static int rfc3339(const char *s, int64_t *out, const char **why)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s;
	struct tm tm = { 0 };
	int64_t frac;
	time_t t;

	*why = "not an RFC 3339 time (2025-11-22T14:00:00Z), a duration "
	       "(90s, 15m, 2h, 3d) or @SECONDS";
	if (!digits(&p, 4, &y) || !expect(&p, "-") || !digits(&p, 2, &mo) ||
	    !expect(&p, "-") || !digits(&p, 2, &d))
		return -EINVAL;
	*why = "a date needs its time and offset too "
	       "(2025-11-22T14:00:00Z)";
	if (!expect(&p, "Tt ") || !digits(&p, 2, &h) || !expect(&p, ":") ||
	    !digits(&p, 2, &mi) || !expect(&p, ":") || !digits(&p, 2, &sec))
		return -EINVAL;
	*why = "bad fraction of a second (at most nine digits)";
	if (!fraction(&p, &frac))
		return -EINVAL;
	*why = "the time needs an offset: Z for UTC, or +HH:MM / -HH:MM";
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '-' ? -1 : 1;
		if (!digits(&p, 2, &oh) || !expect(&p, ":") ||
		    !digits(&p, 2, &om))
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	*why = "trailing characters after the time";
	if (*p)
		return -EINVAL;
	*why = "a field of the time is out of range";
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
	    sec > 60 || oh > 23 || om > 59)
		return -EINVAL;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	/* A leap second is the second after :59, as POSIX time has it. */
	tm.tm_sec = sec == 60 ? 59 : sec;
	t = timegm(&tm) + (sec == 60);
	/* timegm normalises 31 February into March: refuse it. */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -EINVAL;
	t -= sign * (oh * 3600 + om * 60);
	*why = "the time is out of range";
	if (t < 0 || t > MAX_SEC)
		return -EINVAL;
	*out = (int64_t)t * NS + frac;
	return 0;
}

static int epoch(const char *s, int64_t *out, const char **why)
{
	const char *p = s + 1;
	int64_t sec = 0, frac;

	*why = "@SECONDS: a number of seconds since the epoch";
	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		sec = sec * 10 + (*p - '0');
		if (sec > MAX_SEC)
			return -EINVAL;
	}
	if (!fraction(&p, &frac) || *p)
		return -EINVAL;
	*out = sec * NS + frac;
	return 0;
}

static int64_t unit_ns(char c)
{
	switch (c) {
	case 's':
		return NS;
	case 'm':
		return 60 * NS;
	case 'h':
		return 3600 * NS;
	case 'd':
		return 86400 * NS;
	case 'w':
		return 7 * 86400 * NS;
	}
	return 0;
}

static int duration(const char *s, int64_t now, int64_t *out, const char **why)
{
	const char *p = s;
	int64_t total = 0, v, u;

	while (*p) {
		*why = "a duration is numbers with units s, m, h, d or w "
		       "(90s, 1h30m)";
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		for (v = 0; isdigit((unsigned char)*p); p++) {
			v = v * 10 + (*p - '0');
			if (v > MAX_DUR / NS)
				return -EINVAL;
		}
		u = unit_ns(*p);
		if (!u)
			return -EINVAL;
		p++;
		*why = "a duration of more than a century";
		if (v > (MAX_DUR - total) / u)
			return -EINVAL;
		total += v * u;
	}
	*out = now - total;
	return 0;
}

int timearg_parse(const char *s, int64_t now, int64_t *out, const char **why)
{
	size_t n = strlen(s);

	*why = "empty time";
	if (!n)
		return -EINVAL;
	if (s[0] == '@')
		return epoch(s, out, why);
	/* "2025-..." has a '-' after four digits; a duration never does. */
	if (n > 4 && s[4] == '-')
		return rfc3339(s, out, why);
	if (isdigit((unsigned char)s[0]) && unit_ns(s[n - 1]))
		return duration(s, now, out, why);
	return rfc3339(s, out, why);
}
