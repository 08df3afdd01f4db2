// SPDX-License-Identifier: GPL-2.0
/* SHA-256 of chunks, plain or zstd, against their indexes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "tool.h"
#include "verify.h"
#include "zseek.h"

#define BUF_SIZE (1 << 20)

/*
 * What `zstd -dc` gives, read as extraction reads it (tools/pktread.c), so
 * that what is verified is what is extracted.
 */
static int hash_zstd(int fd, char hex[SHA256_HEX_LEN])
{
	uint8_t *buf = xmalloc(BUF_SIZE);
	struct digest *d = digest_sha256_new();
	struct zseek *z = NULL;
	uint64_t off = 0;
	ssize_t n;
	int err;

	err = d ? zseek_open(&z, fd) : -ENOMEM;
	while (!err) {
		n = zseek_pread(z, buf, BUF_SIZE, off);
		if (n <= 0) {
			err = n;
			break;
		}
		digest_update(d, buf, n);
		off += n;
	}
	if (!err) {
		digest_final_hex(d, hex);
		err = hex[0] ? 0 : -ENOMEM; /* as digest_fd() says it */
	}
	zseek_close(z);
	digest_free(d);
	free(buf);
	return err;
}

/* SHA-256 of @path (uncompressed if @compressed); 0 or -errno. */
static int chunk_sha256(const char *path, bool compressed,
			char hex[SHA256_HEX_LEN])
{
	int fd, err;

	hex[0] = '\0';
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	err = compressed ? hash_zstd(fd, hex) : digest_fd(fd, hex);
	close(fd);
	return err;
}

const char *verify_word(enum verify_result r)
{
	switch (r) {
	case VERIFY_OK:
		return "ok";
	case VERIFY_MISMATCH:
		return "MISMATCH";
	case VERIFY_NO_SHA:
		return "no-sha256";
	case VERIFY_MISSING:
		return "missing";
	default:
		return "error";
	}
}

bool verify_is_failure(enum verify_result r)
{
	return r == VERIFY_MISMATCH || r == VERIFY_ERROR;
}

bool verify_summary(int failed, const char *meaning)
{
	if (failed)
		pr_err("*** %d chunk(s) failed verification: %s ***", failed,
		       meaning);
	return failed;
}

enum verify_result chunk_verify(const struct idx_chunk *c,
				char got[SHA256_HEX_LEN])
{
	int err;

	got[0] = '\0';
	if (!c->chunk_path) {
		pr_warn("%s: the chunk is missing (its index is %s)",
			c->rel_chunk, c->idx_path);
		return VERIFY_MISSING;
	}
	if (!c->sha256) {
		pr_warn("%s: its index has no SHA-256 (cut short): "
			"cannot be verified",
			c->chunk_path);
		return VERIFY_NO_SHA;
	}
	err = chunk_sha256(c->chunk_path, c->compressed, got);
	if (err) {
		pr_err("%s: cannot verify: %s", c->chunk_path,
		       err == -EBADMSG ? "corrupt compressed data"
				       : strerror(-err));
		return VERIFY_ERROR;
	}
	if (!strcmp(got, c->sha256))
		return VERIFY_OK;
	pr_err("*** SHA-256 MISMATCH: %s no longer matches its index ***",
	       c->chunk_path);
	pr_err("***   index %s: sha256 %s", c->idx_path, c->sha256);
	pr_err("***   file now:  sha256 %s", got);
	pr_err("*** the file changed after netrec finished it: "
	       "the evidence may have been altered ***");
	return VERIFY_MISMATCH;
}
