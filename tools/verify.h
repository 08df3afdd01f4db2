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

/*
 * Verify @c, reporting anything but VERIFY_OK on stderr (a mismatch in
 * capitals, over several lines).  @got receives the file's digest ("" if
 * it could not be computed).
 */
enum verify_result chunk_verify(const struct idx_chunk *c,
				char got[SHA256_HEX_LEN]);

const char *verify_word(enum verify_result r);
/*
 * Does @r count as a failed chunk?  A chunk without a SHA-256 or gone
 * is warned about but does not: nothing says it was altered.
 */
bool verify_is_failure(enum verify_result r);
/*
 * When @failed, says so in capitals, with what that means for what the
 * tool did (@meaning).  Returns whether it did.
 */
bool verify_summary(int failed, const char *meaning);

#endif
