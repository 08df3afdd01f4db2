/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_DIGEST_H
#define NR_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/*
 * SHA-256 of what is written to a chunk, computed as it is written, and
 * SHA-1 for Community IDs: OpenSSL's libcrypto (vetted, and using the
 * CPU's SHA instructions).
 */
#define SHA256_LEN 32
#define SHA256_HEX_LEN 65 /* 64 hex digits and a NUL */

struct digest;

struct digest *digest_sha256_new(void);
/* A copy, to go on from the same state (NULL on no memory). */
struct digest *digest_dup(const struct digest *d);
void digest_update(struct digest *d, const void *p, size_t len);
/*
 * Writes the hex digest; @d can no longer be updated.  "" when it cannot
 * be known (libcrypto ran out of memory on the way, or a second call).
 */
void digest_final_hex(struct digest *d, char hex[SHA256_HEX_LEN]);
void digest_free(struct digest *d);

/*
 * SHA-256 of the whole file @relpath under @dirfd, opened as
 * open_beneath() does (-ELOOP, -EXDEV); -EINVAL if not a regular file.
 * 0 or -errno.
 */
int digest_file(int dirfd, const char *relpath, char hex[SHA256_HEX_LEN]);
/* SHA-256 of what is left to read of @fd.  0 or -errno. */
int digest_fd(int fd, char hex[SHA256_HEX_LEN]);

/* SHA-1 of @len bytes at @p, into @out (20 bytes).  0, or -ENOMEM. */
int digest_sha1(const void *p, size_t len, uint8_t out[20]);

#endif
