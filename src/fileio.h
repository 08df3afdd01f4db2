/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FILEIO_H
#define NR_FILEIO_H

#include <stddef.h>
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
