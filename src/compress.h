/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_COMPRESS_H
#define NR_COMPRESS_H

#include <stddef.h>

/*
 * Compress @relpath (under @dirfd) into "<relpath>.zst": written as
 * "<relpath>.zst.part", fsync'ed, renamed with renameat2(RENAME_NOREPLACE)
 * to "<relpath>.zst", the directory fsync'ed, and only then @relpath
 * unlinked.  On any error the original stays and the partial output is
 * removed.  @out receives the new relative path.  Returns 0 or a negative
 * errno (-EEXIST if "<relpath>.zst" exists already).
 *
 * @level is zstd's (negative: faster; out of range: clamped).  The output
 * is the zstd seekable format (zseek.h): independent frames of
 * ZSEEK_FRAME_SIZE bytes, each recording its content size and a checksum,
 * so "zstd -t" finds corruption, then the seek table that zstd skips.
 * The output is mode 0600; when run as root it gets the input's owner.
 *
 * Other results: -ELOOP or -EXDEV for a path through a symlink or out of
 * @dirfd, -EINVAL for a file that is not a regular one, -ENAMETOOLONG if
 * "<relpath>.zst" does not fit @out_len (checked first), -EBUSY if another
 * compress_file() holds @relpath, -EIO if the file changed size meanwhile.
 * A "<relpath>.zst.part" is taken for a crash's leftover and replaced.
 * With RLIMIT_FSIZE, SIGXFSZ must be ignored to get -EFBIG, not killed.
 */
int compress_file(int dirfd, const char *relpath, int level, char *out,
		  size_t out_len);

#endif
