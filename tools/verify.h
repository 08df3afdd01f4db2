/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_VERIFY_H
#define NR_VERIFY_H

#include <stdbool.h>

#include "digest.h"
#include "idxread.h"

/*
 * A chunk against the SHA-256 its index recorded when it was finished:
 * of the uncompressed chunk, so a .zst is decompressed (streaming) on the
 * way.  A mismatch means the file changed after netrec finished it: the
 * evidence may have been altered, and it is said loudly.
 */
enum verify_result {
	VERIFY_OK,
	VERIFY_MISMATCH,
	VERIFY_NO_SHA,	/* the index has none (cut short) */
	VERIFY_MISSING, /* the chunk file is gone */
	VERIFY_ERROR,	/* unreadable or corrupt compressed data */
};

/* SHA-256 of @path (uncompressed if @compressed); 0 or -errno. */
int chunk_sha256(const char *path, bool compressed, char hex[SHA256_HEX_LEN]);

/*
 * Verify @c, reporting anything but VERIFY_OK on stderr (a mismatch in
 * capitals, over several lines).  @got receives the file's digest ("" if
 * it could not be computed).
 */
enum verify_result chunk_verify(const struct idx_chunk *c,
				char got[SHA256_HEX_LEN]);

const char *verify_word(enum verify_result r);

#endif
