// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "fileio.h"

ssize_t read_retry(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

ssize_t pread_full(int fd, void *buf, size_t len, off_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n =
			pread(fd, (char *)buf + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

const void *window_at(struct read_window *w, off_t pos, size_t n, int *err)
{
	ssize_t got;

	if (pos >= w->start && pos + (off_t)n <= w->start + (off_t)w->len)
		return (const char *)w->buf + (pos - w->start);
	w->start = pos;
	w->len = 0;
	got = pread_full(w->fd, w->buf, w->size, pos);
	if (got < 0) {
		*err = got;
		return NULL;
	}
	w->len = got;
	return w->len >= n ? w->buf : NULL;
}

int write_some(int fd, const void *buf, size_t len, size_t *done)
{
	const char *p = buf;

	for (*done = 0; *done < len;) {
		ssize_t n = write(fd, p + *done, len - *done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Cannot happen for a regular file; never spin on it. */
		if (!n)
			return -EIO;
		*done += n;
	}
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	size_t done;

	return write_some(fd, buf, len, &done);
}

/* Blocks from *@reserved up to @upto, past the end; 0 or -errno. */
static int reserve_upto(int fd, uint64_t *reserved, uint64_t upto)
{
	int rc;

	do
		rc = fallocate(fd, FALLOC_FL_KEEP_SIZE, *reserved,
			       upto - *reserved);
	while (rc && errno == EINTR);
	if (rc)
		return -errno;
	*reserved = upto;
	return 0;
}

int file_reserve(int fd, uint64_t *reserved, uint64_t end, uint64_t ahead)
{
	int err;

	if (end <= *reserved)
		return 0;
	err = reserve_upto(fd, reserved, end + ahead);
	if (!err)
		return 0;
	/* Room for what is asked, if not for the margin. */
	if (err == -ENOSPC || err == -EDQUOT)
		return reserve_upto(fd, reserved, end);
	/* No fallocate(2) here (or it failed otherwise): write as before. */
	*reserved = UINT64_MAX;
	return 0;
}

int file_unreserve(int fd, uint64_t *reserved, uint64_t size)
{
	if (*reserved == UINT64_MAX || *reserved <= size)
		return 0;
	if (ftruncate(fd, size))
		return -errno;
	*reserved = size;
	return 0;
}

bool file_reserved_past_end(const struct stat *st)
{
	uint64_t blk = st->st_blksize > 0 ? st->st_blksize : 4096;
	uint64_t whole = ((uint64_t)st->st_size + blk - 1) / blk * blk;

	return (uint64_t)st->st_blocks * 512 > whole;
}
