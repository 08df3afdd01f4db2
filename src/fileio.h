/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FILEIO_H
#define NR_FILEIO_H

#include <stddef.h>
#include <sys/types.h>

/* read(2) again after EINTR.  Bytes read (0 at the end) or -errno. */
ssize_t read_retry(int fd, void *buf, size_t len);
/* All of @len bytes, or -errno (-EIO if the file takes none). */
int write_all(int fd, const void *buf, size_t len);

#endif
