// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
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
