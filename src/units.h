/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_UNITS_H
#define NR_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A size in tcpdump's -C units: a bare number is millions of bytes, a k, m
 * or g suffix (either case) makes it KiB, MiB or GiB.  Digits only, no
 * sign or spaces.  Returns 0 or -EINVAL (also on overflow).
 */
int parse_size(const char *s, uint64_t *out);
/* parse_size() with a bare number counting @unit bytes. */
int parse_size_unit(const char *s, uint64_t unit, uint64_t *out);
/* The first @n bytes of @s, all decimal digits, as a number; no overflow. */
bool parse_digits(const char *s, size_t n, uint64_t *out);

#endif
