// SPDX-License-Identifier: GPL-2.0
/*
 * SHA-256 and SHA-1 through libcrypto: the known answers of FIPS 180-2
 * (appendix B for SHA-256, A for SHA-1), the same digest however the data
 * is cut up, copies that go on on their own, and whole files checked
 * against sha256sum.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digest.h"
#include "tap.h"
#include "testutil.h"

#define BIG_LEN (3 * 1024 * 1024 + 12345)

static char top[64];
static int dfd;

static const char abc56[] =
	"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

static void sha256(const void *p, size_t len, char hex[SHA256_HEX_LEN])
{
	struct digest *d = digest_sha256_new();

	if (!d) {
		hex[0] = '\0';
		return;
	}
	digest_update(d, p, len);
	digest_final_hex(d, hex);
	digest_free(d);
}

static void sha1_hex(const void *p, size_t len, char hex[41])
{
	uint8_t md[20];

	memset(hex, 0, 41);
	if (digest_sha1(p, len, md))
		return;
	for (int i = 0; i < 20; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static void known_answers(void)
{
	char hex[SHA256_HEX_LEN], h1[41];
	char *million = malloc(1000000);
	struct digest *d;

	sha256("", 0, hex);
	is_str(hex,
	       "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	       "SHA-256 of the empty string");
	sha256("abc", 3, hex);
	is_str(hex,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "SHA-256 of \"abc\"");
	sha256(abc56, strlen(abc56), hex);
	is_str(hex,
	       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "SHA-256 of the 56-byte two-block message");
	/* A million 'a', fed in uneven pieces. */
	d = digest_sha256_new();
	if (million && d) {
		size_t off = 0;

		memset(million, 'a', 1000000);
		while (off < 1000000) {
			size_t n = tu_xorshift64(&rng) % 9000;

			if (n > 1000000 - off)
				n = 1000000 - off;
			digest_update(d, million + off, n);
			off += n;
		}
		digest_final_hex(d, hex);
	}
	is_str(d ? hex : NULL,
	       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
	       "SHA-256 of a million 'a', in pieces");
	digest_free(d);
	free(million);

	sha1_hex("abc", 3, h1);
	is_str(h1, "a9993e364706816aba3e25717850c26c9cd0d89d",
	       "SHA-1 of \"abc\"");
	sha1_hex("", 0, h1);
	is_str(h1, "da39a3ee5e6b4b0d3255bfef95601890afd80709",
	       "SHA-1 of the empty string");
	sha1_hex(abc56, strlen(abc56), h1);
	is_str(h1, "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
	       "SHA-1 of the 56-byte two-block message");
}

/* However the data is cut up, the same digest as in one piece. */
static void incremental(const uint8_t *buf, size_t len)
{
	char one[SHA256_HEX_LEN], inc[SHA256_HEX_LEN];
	bool same = true;

	sha256(buf, len, one);
	for (int round = 0; round < 20; round++) {
		struct digest *d = digest_sha256_new();
		size_t off = 0;

		if (!d) {
			same = false;
			break;
		}
		while (off < len) {
			/* Empty, tiny, block-sized and large pieces. */
			size_t n = tu_xorshift64(&rng) %
				   (round < 10 ? 130 : 200000);

			if (n > len - off)
				n = len - off;
			digest_update(d, buf + off, n);
			off += n;
		}
		digest_final_hex(d, inc);
		digest_free(d);
		same = same && !strcmp(one, inc);
	}
	ok(same && strlen(one) == 64,
	   "20 ways of cutting %zu bytes: the one-shot digest", len);
}

static void copies(const uint8_t *buf, size_t len)
{
	char a[SHA256_HEX_LEN], b[SHA256_HEX_LEN], want[SHA256_HEX_LEN];
	struct digest *d = digest_sha256_new(), *c;
	size_t half = len / 2;

	digest_update(d, buf, half);
	c = digest_dup(d);
	ok(c != NULL, "digest_dup");
	if (!c) {
		digest_free(d);
		return;
	}
	/* The copy goes on with the rest, the original with other bytes. */
	digest_update(c, buf + half, len - half);
	digest_update(d, "abc", 3);
	digest_final_hex(c, a);
	digest_final_hex(d, b);
	sha256(buf, len, want);
	is_str(a, want, "the copy goes on from where the original was");
	{
		struct digest *e = digest_sha256_new();

		digest_update(e, buf, half);
		digest_update(e, "abc", 3);
		digest_final_hex(e, want);
		digest_free(e);
	}
	is_str(b, want, "the original is not disturbed by its copy");
	digest_free(c);

	/* A copy of a fresh digest is a fresh digest. */
	digest_free(d);
	d = digest_sha256_new();
	c = digest_dup(d);
	digest_update(c, "abc", 3);
	digest_final_hex(c, a);
	is_str(a,
	       "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	       "copy of a fresh digest");
	/* Done is done: no second answer, not a wrong one. */
	digest_update(c, "abc", 3);
	digest_final_hex(c, a);
	is_str(a, "", "a second digest_final_hex() gives \"\"");
	digest_free(c);
	digest_free(d);
	digest_free(NULL);
}

static bool write_file(const char *name, const void *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	return tu_write_file(path, buf, len);
}

/* sha256sum's answer for @name, "" if it failed. */
static void sha256sum(const char *name, char hex[SHA256_HEX_LEN])
{
	char cmd[512], line[256] = "";
	FILE *p;

	hex[0] = '\0';
	snprintf(cmd, sizeof(cmd), "sha256sum '%s/%s'", top, name);
	p = popen(cmd, "r");
	if (!p)
		return;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	if (pclose(p) == 0 && strlen(line) > 64 && line[64] == ' ') {
		memcpy(hex, line, 64);
		hex[64] = '\0';
	}
}

static void files(const uint8_t *buf, size_t len)
{
	char hex[SHA256_HEX_LEN], want[SHA256_HEX_LEN];
	int r;

	ok(write_file("big.pcap", buf, len), "big.pcap written");
	r = digest_file(dfd, "big.pcap", hex);
	sha256sum("big.pcap", want);
	ok(r == 0 && want[0] && !strcmp(hex, want),
	   "digest_file(big.pcap) = sha256sum (%d)", r);
	sha256(buf, len, want);
	is_str(hex, want, "digest_file = digest of the same bytes in memory");

	ok(write_file("empty.pcap", "", 0), "empty.pcap written");
	r = digest_file(dfd, "empty.pcap", hex);
	sha256sum("empty.pcap", want);
	ok(r == 0 && want[0] && !strcmp(hex, want),
	   "digest_file(empty.pcap) = sha256sum (%d)", r);

	mkdirat(dfd, "sub", 0700);
	ok(write_file("sub/c.pcap", "abc", 3), "sub/c.pcap written");
	r = digest_file(dfd, "sub/c.pcap", hex);
	ok(r == 0 && !strcmp(hex, "ba7816bf8f01cfea414140de5dae2223b00361a3"
				  "96177a9cb410ff61f20015ad"),
	   "digest_file(sub/c.pcap) (%d)", r);

	r = digest_file(dfd, "missing.pcap", hex);
	ok(r == -ENOENT && !hex[0], "missing file: -ENOENT (%d)", r);
	symlinkat("big.pcap", dfd, "link.pcap");
	r = digest_file(dfd, "link.pcap", hex);
	ok(r == -ELOOP, "symlink: -ELOOP (%d)", r);
	r = digest_file(dfd, "sub", hex);
	ok(r == -EINVAL, "directory: -EINVAL (%d)", r);
	mkfifoat(dfd, "fifo.pcap", 0600);
	r = digest_file(dfd, "fifo.pcap", hex);
	ok(r == -EINVAL, "FIFO: -EINVAL, no hang (%d)", r);
	r = digest_file(dfd, "../x", hex);
	ok(r == -EXDEV, "out of the directory: -EXDEV (%d)", r);
}

int main(void)
{
	uint8_t *buf = malloc(BIG_LEN);

	alarm(120);
	if (!buf || !mkdtemp(strcpy(top, "/tmp/test_digest.XXXXXX"))) {
		perror("setup");
		return 2;
	}
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(top);
		return 2;
	}
	for (size_t i = 0; i < BIG_LEN; i++)
		buf[i] = tu_xorshift64(&rng) >> 32;

	known_answers();
	incremental(buf, 1000);
	incremental(buf, BIG_LEN);
	copies(buf, 100000);
	files(buf, BIG_LEN);

	free(buf);
	close(dfd);
	if (tu_rm_tree(top))
		printf("# could not remove %s\n", top);
	return tap_done();
}
