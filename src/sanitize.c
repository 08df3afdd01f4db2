// SPDX-License-Identifier: GPL-2.0
/*
 * Untrusted names (comms, container names) become file name components.
 * Percent-encoding rather than replacing bad bytes with '_' keeps the
 * mapping injective, so two different processes never share a file just
 * because their names differ only in unsafe bytes.
 */
#include <stdbool.h>

#include "sanitize.h"

/* The longest escape must fit, or a name of only unsafe bytes is empty. */
_Static_assert(NR_NAME_MAX >= 3, "NR_NAME_MAX too small for one escape");

static bool verbatim(unsigned char c, bool first)
{
	/* A leading '.' would make hidden files and "." / ".." */
	if (c == '.')
		return !first;
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return true;
	/* '%' is not here: it must be escaped for decoding to be unique. */
	return c == '_' || c == '+' || c == '-';
}

size_t sanitize_name(char *out, const char *in, size_t inlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = 0;

	/*
	 * An empty component is not a file name.  "_" is also what "_"
	 * encodes to; the only collision, and harmless for file names.
	 */
	if (!inlen) {
		out[0] = '_';
		out[1] = '\0';
		return 1;
	}

	for (i = 0; i < inlen; i++) {
		unsigned char c = (unsigned char)in[i];

		if (verbatim(c, i == 0)) {
			if (n + 1 > NR_NAME_MAX)
				break;
			out[n++] = (char)c;
			continue;
		}
		/* Stop rather than skip, so the output is a prefix. */
		if (n + 3 > NR_NAME_MAX)
			break;
		out[n++] = '%';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
	}
	out[n] = '\0';
	return n;
}
