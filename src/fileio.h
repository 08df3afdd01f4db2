/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FILEIO_H
#define NR_FILEIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

/* read(2) again after EINTR.  Bytes read (0 at the end) or -errno. */
ssize_t read_retry(int fd, void *buf, size_t len);
/*
 * pread(2) of @len bytes at @off, again after EINTR or a short read: bytes
 * read (fewer only at the end of the file) or -errno.
 */
ssize_t pread_full(int fd, void *buf, size_t len, off_t off);
/* All of @len bytes, or -errno (-EIO if the file takes none). */
int write_all(int fd, const void *buf, size_t len);
/*
 * Disk space for a file written through a buffer, taken before the bytes
 * that go there are taken: blocks up to @end, and @ahead bytes more when
 * there is room, are allocated (past the end of the file, which keeps its
 * size).  A full disk then refuses the record at hand (-ENOSPC or
 * -EDQUOT), and the records already buffered are written whatever
 * happens to the disk meanwhile; without it they would be lost when the
 * buffer goes out.  *@reserved says how far the file is reserved (start
 * with its size); a file system without fallocate(2) is not asked again.
 */
int file_reserve(int fd, uint64_t *reserved, uint64_t end, uint64_t ahead);
/* Give back the blocks reserved past @size, the file's length. 0 or -errno. */
int file_unreserve(int fd, uint64_t *reserved, uint64_t size);
/* Does a file (left by a crash) hold blocks past its end? */
bool file_reserved_past_end(const struct stat *st);
/* write_all(), saying in *@done how much was written before an error. */
int write_some(int fd, const void *buf, size_t len, size_t *done);

/*
 * A file read front to back through a buffer of @size bytes: walking
 * headers a few bytes long, one pread(2) each would cost more than reading
 * the file through.  Start with @start and @len zero.
 */
struct read_window {
	int fd;
	void *buf;
	size_t size;
	off_t start;
	size_t len;
};

/*
 * @n (at most w->size) bytes at @pos.  NULL if the file ends first, or on
 * an error, which goes in *@err (left alone otherwise).
 */
const void *window_at(struct read_window *w, off_t pos, size_t n, int *err);

#endif
