/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_SANITIZE_H
#define NR_SANITIZE_H

#include <stddef.h>

/* Longest component sanitize_name() writes, without the NUL. */
#define NR_NAME_MAX 64

/*
 * Turn an untrusted name (a comm, a container name) into one safe file name
 * component: bytes outside [A-Za-z0-9_+.-] and a leading '.' become %XX, so
 * the result never holds '/', never is "." or "..", never starts with '.',
 * has no control or non-ASCII bytes, and is never empty ("_" for an empty
 * input).  The encoding is injective up to the length bound: the output is
 * cut at NR_NAME_MAX bytes, never in the middle of a %XX escape.
 * @out must hold NR_NAME_MAX + 1 bytes.  Returns the output length.
 */
size_t sanitize_name(char *out, const char *in, size_t inlen);

#endif
