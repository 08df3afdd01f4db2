// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 and SHA-1 through OpenSSL's EVP interface.  A digest that an
 * allocation failure broke half-way says so by giving "" for its hex
 * digest: the index then leaves the field out rather than write a wrong
 * one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "digest.h"
#include "fileio.h"
#include "safeopen.h"

#define FILE_BUF (128 * 1024)

/*
 * pcapng hands over each packet's block as it writes it; each EVP call
 * costs more than hashing a small piece does, so small pieces are
 * gathered here and hashed a buffer at a time.
 */
#define PEND_MAX (16 * 1024)

struct digest {
	EVP_MD_CTX *ctx;
	bool failed; /* an EVP call failed: the result is unknown */
	bool done;   /* finalized: no more updates */
	size_t npend;
	uint8_t pend[PEND_MAX]; /* input not yet given to EVP */
};

struct digest *digest_sha256_new(void)
{
	struct digest *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->ctx = EVP_MD_CTX_new();
	if (!d->ctx || !EVP_DigestInit_ex(d->ctx, EVP_sha256(), NULL)) {
		digest_free(d);
		return NULL;
	}
	return d;
}

struct digest *digest_dup(const struct digest *d)
{
	struct digest *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->failed = d->failed;
	c->done = d->done;
	c->npend = d->npend;
	memcpy(c->pend, d->pend, d->npend);
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || !EVP_MD_CTX_copy_ex(c->ctx, d->ctx)) {
		digest_free(c);
		return NULL;
	}
	return c;
}

static void hash(struct digest *d, const void *p, size_t len)
{
	if (len && !EVP_DigestUpdate(d->ctx, p, len))
		d->failed = true;
}

static void hash_pending(struct digest *d)
{
	hash(d, d->pend, d->npend);
	d->npend = 0;
}

void digest_update(struct digest *d, const void *p, size_t len)
{
	if (d->failed || d->done || !len)
		return;
	if (d->npend + len > PEND_MAX) {
		hash_pending(d);
		if (len >= PEND_MAX) {
			hash(d, p, len);
			return;
		}
	}
	memcpy(d->pend + d->npend, p, len);
	d->npend += len;
}

static void to_hex(const uint8_t *md, unsigned int len, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (unsigned int i = 0; i < len; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0xf];
	}
	hex[2 * len] = '\0';
}

void digest_final_hex(struct digest *d, char hex[SHA256_HEX_LEN])
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	hex[0] = '\0';
	if (d->done)
		d->failed = true;
	else if (!d->failed)
		hash_pending(d);
	d->done = true;
	if (d->failed)
		return;
	if (!EVP_DigestFinal_ex(d->ctx, md, &len) || len != SHA256_LEN) {
		d->failed = true;
		return;
	}
	to_hex(md, len, hex);
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	EVP_MD_CTX_free(d->ctx);
	free(d);
}

int digest_fd(int fd, char hex[SHA256_HEX_LEN])
{
	struct digest *d = digest_sha256_new();
	char *buf = malloc(FILE_BUF);
	int err = -ENOMEM;
	ssize_t n;

	if (!d || !buf)
		goto out;
	while ((n = read_retry(fd, buf, FILE_BUF)) > 0)
		digest_update(d, buf, n);
	if (n < 0) {
		err = n;
		goto out;
	}
	digest_final_hex(d, hex);
	err = hex[0] ? 0 : -ENOMEM;
out:
	free(buf);
	digest_free(d);
	return err;
}

int digest_file(int dirfd, const char *relpath, char hex[SHA256_HEX_LEN])
{
	struct stat st;
	int fd, err;

	hex[0] = '\0';
	fd = open_regular_beneath(dirfd, relpath, O_RDONLY, &st);
	if (fd < 0)
		return fd;
	err = digest_fd(fd, hex);
	close(fd);
	return err;
}

int digest_sha1(const void *p, size_t len, uint8_t out[20])
{
	unsigned int n = 0;

	if (!EVP_Digest(p, len, out, &n, EVP_sha1(), NULL) || n != 20) {
		memset(out, 0, 20);
		return -ENOMEM;
	}
	return 0;
}
