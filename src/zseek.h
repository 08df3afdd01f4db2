/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_ZSEEK_H
#define NR_ZSEEK_H

#include <stdint.h>
#include <sys/types.h>

/*
 * Random access into a compressed chunk.  compress.c writes the zstd
 * seekable format (contrib/seekable_format in the zstd sources):
 * independent frames of ZSEEK_FRAME_SIZE uncompressed bytes, then a seek
 * table in a skippable frame, which plain `zstd -d` ignores.  Reading
 * byte range [off, off + len) decompresses only the frames it touches.
 * A file without a seek table (any other .zst) is read from its start
 * (a read further back than the last starts over); there, a checksum is
 * only checked at its frame's end, after earlier bytes were returned.
 * One struct zseek is for one thread at a time.
 */
#define ZSEEK_FRAME_SIZE (1024 * 1024)

/* The seek table's framing, for the writer and the reader to agree on. */
#define ZSEEK_SKIPPABLE_MAGIC 0x184D2A5E /* the frame holding the table */
#define ZSEEK_SEEKABLE_MAGIC 0x8F92EAB1	 /* ends the table's footer */
#define ZSEEK_FOOTER 9	     /* number of frames, descriptor, magic */
#define ZSEEK_CHECKSUMS 0x80 /* the descriptor's Checksum_Flag */

struct zseek;

/*
 * @fd stays the caller's; it must stay open until zseek_close().  0, or
 * -EINVAL (not a regular file), -EBADMSG (a seek table that does not fit
 * the file), -EFBIG (a frame over 1 GiB), -ENOMEM, -errno.
 */
int zseek_open(struct zseek **out, int fd);
/* Uncompressed size, or -1 when the file has no seek table. */
int64_t zseek_size(const struct zseek *z);
/*
 * Up to @len uncompressed bytes from @off; returns bytes read (0 at the
 * end) or -errno (-EBADMSG for corrupt data).
 */
ssize_t zseek_pread(struct zseek *z, void *buf, size_t len, uint64_t off);
void zseek_close(struct zseek *z);

#endif
