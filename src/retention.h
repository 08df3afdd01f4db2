/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_RETENTION_H
#define NR_RETENTION_H

#include <stdint.h>

struct retention_policy {
	/* bytes of finished chunks (with sidecars) to keep at most; 0: none */
	uint64_t max_total;
	/* bytes that must stay free on the file system; 0: none */
	uint64_t min_free;
	/* percent of the file system that must stay free; 0: none */
	unsigned int min_free_pct;
};

/*
 * Delete the oldest finished chunks (by modification time, then name) and
 * their sidecar files until the policy holds or only held chunks are left.
 * Never follows symlinks, never leaves @dirfd, never touches .part files.
 * Every deletion is logged (pr_info "deleted X (reason)").  Returns the
 * number of chunks deleted, or a negative errno.
 *
 * What counts:
 *  - A chunk is a regular file in @dirfd or one of its immediate
 *    subdirectories named "<stem>.pcap", ".pcapng", ".pcap.zst" or
 *    ".pcapng.zst" (stem not empty).  Deeper directories are not looked at.
 *  - Its sidecars are the regular files beside it named "<chunk>.<more>";
 *    a file that could be the sidecar of two chunks ("x.pcap.zst.idx"
 *    beside "x.pcap" and "x.pcap.zst") goes with the longer name, and a
 *    file itself named like a chunk ("x.pcap.zst") is a chunk of its own.
 *    Sidecars are deleted before their chunk, so a crash in between
 *    leaves a chunk the next pass deletes, never an orphan no pass would.
 *  - A chunk is held, and is never deleted, while "<chunk>.hold" exists
 *    beside it, whatever that is (file, directory, dangling symlink).  A
 *    compressed chunk "x.pcap.zst" is also held by "x.pcap.hold", so a hold
 *    survives compression.  The hold is looked up just before deleting,
 *    not from the listing, so one made during the pass is still honoured.
 *    Held chunks still count towards @max_total.  Files ending in ".hold"
 *    are never deleted.
 *  - Names ending in ".part" (chunks and sidecars being written) are never
 *    counted, opened or deleted.
 *  - Symlinks, whatever their name and target, are neither chunks nor
 *    sidecars: never followed, counted (not even the link's own size) or
 *    deleted, and a symlink to a directory is not descended into.
 *    Retention only deletes regular files netrec could have written.
 *
 * Sizes are st_size (apparent size), not allocated blocks: that is what
 * the writer's -C budget and a copy of the chunk elsewhere measure, and it
 * does not change with the file system's allocation, compression or
 * delayed allocation.  For the free-space limits, free space is read once
 * (fstatvfs(@dirfd): f_bavail, and f_blocks for the percentage) and each
 * deletion is assumed to free its chunk's st_size, rather than asking the
 * file system again, which may free blocks later than unlink() returns and
 * would make the pass delete everything.  The estimate is off by up to a
 * block per file (more on compressing file systems or for hard-linked
 * chunks); the next pass corrects it.
 *
 * At most 1,000,000 chunks, sidecars and subdirectories are kept per
 * pass, to bound memory (about 100 bytes each); past that the pass works
 * with what it listed and says so, which may delete a chunk that is not the
 * oldest or leave some sidecars of a deleted chunk behind.
 *
 * A chunk that cannot be deleted (an error other than ENOENT) is logged
 * and skipped; only failing to list @dirfd itself, to read its free space
 * or to allocate makes the result negative, and then nothing is deleted.
 * Nothing is listed when there is no @max_total and the free space is
 * enough already (or no limit is set), so such a pass costs one fstatvfs().
 * A @min_free_pct above 100 is -EINVAL.
 */
int retention_apply(int dirfd, const struct retention_policy *p);

/*
 * Parse "--min-free" values: "10%" or a size (a bare number is millions of
 * bytes as in tcpdump's -C; k/m/g suffixes are KiB/MiB/GiB). Returns 0 or
 * -EINVAL.
 *
 * "N%" sets *@pct to N (0 to 100) and *@bytes to 0; a size sets *@bytes
 * and *@pct to 0.  Only decimal digits are taken before the suffix (no
 * sign, blank or hex); a size that does not fit 64 bits is invalid.
 * Nothing is written on error.
 */
int retention_parse_min_free(const char *s, uint64_t *bytes, unsigned int *pct);

#endif
