// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "units.h"

bool parse_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

int parse_size_unit(const char *s, uint64_t unit, uint64_t *out)
{
	size_t n = strlen(s);
	uint64_t v;

	if (!n)
		return -EINVAL;
	switch (s[n - 1]) {
	case 'k':
	case 'K':
		unit = 1ULL << 10;
		n--;
		break;
	case 'm':
	case 'M':
		unit = 1ULL << 20;
		n--;
		break;
	case 'g':
	case 'G':
		unit = 1ULL << 30;
		n--;
		break;
	}
	if (!parse_digits(s, n, &v) || v > UINT64_MAX / unit)
		return -EINVAL;
	*out = v * unit;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	return parse_size_unit(s, 1000000, out);
}
