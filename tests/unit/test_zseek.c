// SPDX-License-Identifier: GPL-2.0
/*
 * Random access into compressed chunks: what compress_file() writes (the
 * zstd seekable format, which the zstd command must still take), read
 * back in random ranges; plain .zst files, read as a stream; and corrupt
 * files, which must give -EBADMSG, not wrong bytes.
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
#include <zstd.h>

#include "compress.h"
#include "zseek.h"
#include "tap.h"
#include "testutil.h"

#define FRAME ZSEEK_FRAME_SIZE
/* Not a whole number of frames. */
#define BIG_LEN (5 * FRAME + 123457)
#define PLAIN_LEN (2 * FRAME + 4321)

static char top[64];
static int dfd;

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* Compressible, but not the same in every frame. */
static uint8_t *make_data(size_t len)
{
	static const char *const words[] = {
		"GET ",	   "HTTP/1.1 ", "200 OK\r\n", "Host: ",
		"example", ".org",	"\r\n",	      "netrec ",
	};
	uint8_t *buf = malloc(len);
	size_t n = 0;

	while (buf && n < len) {
		uint64_t x = tu_xorshift64(&rng);
		const char *w = words[x % 8];
		size_t wl = strlen(w);

		if ((x >> 8) % 4 == 0) {
			buf[n++] = x >> 16;
			continue;
		}
		if (wl > len - n)
			wl = len - n;
		memcpy(buf + n, w, wl);
		n += wl;
	}
	return buf;
}

static bool put(const char *name, const void *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	return tu_write_file(path, buf, len);
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	return tu_slurp(path, len);
}

static bool zstd_test_ok(const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "zstd -q -t '%s/%s' 2>/dev/null", top, name);
	return system(cmd) == 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Opens @name with zseek; NULL (and says why) on failure. */
static struct zseek *zopen(const char *name, int *fdp, int *err)
{
	struct zseek *z = NULL;
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);

	*fdp = fd;
	*err = fd < 0 ? -errno : zseek_open(&z, fd);
	if (*err && fd >= 0) {
		close(fd);
		*fdp = -1;
	}
	return z;
}

static void zclose(struct zseek *z, int fd)
{
	zseek_close(z);
	if (fd >= 0)
		close(fd);
}

/* [off, off + len) through zseek is the original's, clipped at its end. */
static bool range_ok(struct zseek *z, const uint8_t *data, size_t dlen,
		     uint64_t off, size_t len)
{
	size_t want = off >= dlen ? 0 : dlen - off < len ? dlen - off : len;
	uint8_t *buf = malloc(len + 1);
	ssize_t n;
	bool same;

	if (!buf)
		return false;
	n = zseek_pread(z, buf, len, off);
	same = n == (ssize_t)want && !memcmp(buf, data + off, want);
	if (!same)
		printf("# [%llu, +%zu): got %zd, want %zu\n",
		       (unsigned long long)off, len, n, want);
	free(buf);
	return same;
}

/* The whole of it in @step pieces, front to back. */
static bool sequential_ok(struct zseek *z, const uint8_t *data, size_t dlen,
			  size_t step)
{
	for (uint64_t off = 0; off <= dlen; off += step)
		if (!range_ok(z, data, dlen, off, step))
			return false;
	return true;
}

/* The seek table at the end of compress_file()'s output, checked. */
static void check_table(const uint8_t *zd, size_t zlen, size_t dlen)
{
	size_t nframes = dlen / FRAME + 1, tsize = nframes * 12 + 9;
	const uint8_t *t = zd + zlen - tsize;
	uint64_t coff = 0, doff = 0;
	bool sizes = true;

	ok(zlen > tsize + 8 && le32(zd + zlen - 4) == 0x8F92EAB1 &&
		   le32(zd + zlen - 9) == nframes && zd[zlen - 5] == 0x80,
	   "footer: seekable magic, %zu frames, checksums", nframes);
	ok(le32(t - 8) == 0x184D2A5E && le32(t - 4) == tsize,
	   "table in a skippable frame of %zu bytes", tsize);
	for (size_t i = 0; i < nframes && zlen > tsize + 8; i++) {
		const uint8_t *e = t + 12 * i;
		size_t want = i + 1 < nframes ? FRAME : dlen % FRAME;
		uint32_t csize = le32(e);

		/* Each frame alone decodes to its slice. */
		sizes = sizes && le32(e + 4) == want &&
			ZSTD_getFrameContentSize(zd + coff, csize) == want &&
			ZSTD_findFrameCompressedSize(zd + coff, csize) == csize;
		/* The table's checksum is the frame's own. */
		sizes = sizes && le32(e + 8) == le32(zd + coff + csize - 4);
		coff += csize;
		doff += want;
	}
	ok(sizes && coff == zlen - tsize - 8 && doff == dlen,
	   "entries: frames of %d bytes, sizes add up", FRAME);
}

static void seekable(const uint8_t *data, size_t dlen)
{
	char out[256];
	struct zseek *z;
	uint8_t *zd;
	size_t zlen;
	bool all;
	int fd, r;

	ok(put("big.pcap", data, dlen), "big.pcap written");
	r = compress_file(dfd, "big.pcap", 3, out, sizeof(out));
	ok(r == 0, "compress_file(big.pcap) (%d)", r);
	ok(zstd_test_ok("big.pcap.zst"), "zstd -t accepts big.pcap.zst");
	zd = slurp("big.pcap.zst", &zlen);
	if (zd)
		check_table(zd, zlen, dlen);
	free(zd);

	z = zopen("big.pcap.zst", &fd, &r);
	ok(z && r == 0, "zseek_open (%d)", r);
	if (!z)
		return;
	ok(zseek_size(z) == (int64_t)dlen, "zseek_size = %zu", dlen);
	ok(sequential_ok(z, data, dlen, 65536), "read through in 64 KiB");
	ok(sequential_ok(z, data, dlen, 3 * FRAME / 2),
	   "read through in 1.5 frames");

	all = true;
	for (int i = 0; i < 300; i++) {
		uint64_t off = tu_xorshift64(&rng) % (dlen + 1000);
		size_t len = tu_xorshift64(&rng) % (i % 10 ? 5000 : 3 * FRAME);

		all = all && range_ok(z, data, dlen, off, len);
	}
	ok(all, "300 random ranges, forwards and back");

	ok(range_ok(z, data, dlen, FRAME - 10, 20),
	   "20 bytes across the first frame boundary");
	ok(range_ok(z, data, dlen, 2 * FRAME - 1, 2),
	   "2 bytes across the second");
	ok(range_ok(z, data, dlen, FRAME / 2, 4 * FRAME),
	   "4 frames' worth, from mid-frame");
	ok(range_ok(z, data, dlen, 5 * FRAME, 1),
	   "first byte of the last frame");
	ok(range_ok(z, data, dlen, 0, dlen + 100),
	   "all of it, asking for more");
	ok(range_ok(z, data, dlen, dlen - 5, 100), "5 bytes before the end");
	ok(range_ok(z, data, dlen, dlen, 100), "at the end: 0");
	ok(range_ok(z, data, dlen, dlen + 12345, 100), "past the end: 0");
	ok(zseek_pread(z, out, 10, UINT64_MAX - 3) == 0,
	   "at UINT64_MAX: 0, no wrap-around");
	ok(zseek_pread(z, out, 0, 100) == 0, "0 bytes asked: 0");
	zclose(z, fd);
}

/* @zd with @fix applied, written as @name, opened: zseek_open's result. */
static int open_damaged(const char *name, const uint8_t *zd, size_t zlen,
			size_t at, uint8_t xor, struct zseek **zp, int *fdp)
{
	uint8_t *copy = malloc(zlen);
	int r;

	*zp = NULL;
	*fdp = -1;
	if (!copy)
		return -ENOMEM;
	memcpy(copy, zd, zlen);
	if (at < zlen)
		copy[at] ^= xor;
	r = put(name, copy, zlen) ? 0 : -EIO;
	free(copy);
	if (r)
		return r;
	*zp = zopen(name, fdp, &r);
	return r;
}

static void corrupt(const uint8_t *data, size_t dlen)
{
	size_t zlen, tsize = (dlen / FRAME + 1) * 12 + 9, f0;
	uint8_t *zd = slurp("big.pcap.zst", &zlen);
	struct zseek *z;
	uint8_t buf[64];
	int fd, r;

	if (!zd || zlen < tsize + 8) {
		ok(0, "big.pcap.zst to damage");
		free(zd);
		return;
	}
	/* A byte in the middle of frame 0: only frame 0 is lost. */
	f0 = le32(zd + zlen - tsize);
	r = open_damaged("bad0.zst", zd, zlen, f0 / 2, 0x10, &z, &fd);
	ok(r == 0, "flipped byte in frame 0: opens (%d)", r);
	ok(!zstd_test_ok("bad0.zst"), "flipped byte in frame 0: zstd -t fails");
	if (z) {
		ok(range_ok(z, data, dlen, 3 * FRAME + 5, 1000),
		   "flipped byte in frame 0: frame 3 reads, frame 0 untouched");
		r = zseek_pread(z, buf, sizeof(buf), 100);
		ok(r == -EBADMSG,
		   "flipped byte in frame 0: -EBADMSG there (%d)", r);
		r = zseek_pread(z, buf, sizeof(buf), FRAME - 32);
		ok(r == -EBADMSG, "read from frame 0 into 1: -EBADMSG (%d)", r);
	}
	zclose(z, fd);

	/* Frame 1's checksum in the table disagrees with the frame's. */
	r = open_damaged("badsum.zst", zd, zlen, zlen - tsize + 12 + 8, 1, &z,
			 &fd);
	ok(r == 0 && zstd_test_ok("badsum.zst"),
	   "wrong checksum in the table: opens, zstd -t does not look (%d)", r);
	if (z) {
		r = zseek_pread(z, buf, sizeof(buf), FRAME + 7);
		ok(r == -EBADMSG, "wrong checksum in the table: -EBADMSG (%d)",
		   r);
		ok(range_ok(z, data, dlen, 7, 100),
		   "wrong checksum in the table: frame 0 still reads");
	}
	zclose(z, fd);

	/* The table itself. */
	r = open_damaged("badsize.zst", zd, zlen, zlen - tsize - 4, 1, &z, &fd);
	ok(r == -EBADMSG, "table's frame size wrong: -EBADMSG (%d)", r);
	zclose(z, fd);
	r = open_damaged("badcsize.zst", zd, zlen, zlen - tsize + 1, 1, &z,
			 &fd);
	ok(r == -EBADMSG, "an entry's compressed size wrong: -EBADMSG (%d)", r);
	zclose(z, fd);
	r = open_damaged("badcount.zst", zd, zlen, zlen - 9, 1, &z, &fd);
	ok(r == -EBADMSG, "number of frames wrong: -EBADMSG (%d)", r);
	zclose(z, fd);
	r = open_damaged("reserved.zst", zd, zlen, zlen - 5, 0x04, &z, &fd);
	ok(r == -EBADMSG, "reserved descriptor bit set: -EBADMSG (%d)", r);
	zclose(z, fd);

	/* Without its last byte, no table: a stream cut short. */
	if (put("cut.zst", zd, zlen - 1)) {
		z = zopen("cut.zst", &fd, &r);
		ok(z && zseek_size(z) == -1,
		   "cut short: no table, read as a stream (%d)", r);
		if (z) {
			ok(range_ok(z, data, dlen, dlen - 1000, 1000),
			   "cut short: the data frames still read");
			r = zseek_pread(z, buf, sizeof(buf), dlen);
			ok(r == -EBADMSG, "cut short: -EBADMSG at the end (%d)",
			   r);
		}
		zclose(z, fd);
	}
	free(zd);
}

/* A plain zstd file: one frame, or more, as the zstd library makes them. */
static void plain(const uint8_t *data, size_t dlen)
{
	size_t cap = ZSTD_compressBound(dlen) + 64, zlen, half = dlen / 3;
	uint8_t *zd = malloc(cap), buf[64];
	struct zseek *z;
	bool all;
	int fd, r;

	if (!zd)
		return;
	zlen = ZSTD_compress(zd, cap, data, dlen, 3);
	ok(!ZSTD_isError(zlen) && put("plain.zst", zd, zlen),
	   "plain.zst made with ZSTD_compress()");
	ok(zstd_test_ok("plain.zst"), "zstd -t accepts plain.zst");
	z = zopen("plain.zst", &fd, &r);
	ok(z && r == 0, "plain.zst: zseek_open (%d)", r);
	if (!z) {
		free(zd);
		return;
	}
	ok(zseek_size(z) == -1, "plain.zst: no seek table, size -1");
	ok(sequential_ok(z, data, dlen, 100000), "plain.zst: read through");
	ok(range_ok(z, data, dlen, 10, 100), "plain.zst: back to the start");
	ok(range_ok(z, data, dlen, dlen / 2, 1000), "plain.zst: forward");
	ok(range_ok(z, data, dlen, dlen / 2 - 5000, 10000),
	   "plain.zst: a little back");
	all = true;
	for (int i = 0; i < 20; i++) {
		uint64_t off = tu_xorshift64(&rng) % (dlen + 10);

		all = all && range_ok(z, data, dlen, off,
				      tu_xorshift64(&rng) % 200000);
	}
	ok(all, "plain.zst: 20 random ranges");
	ok(range_ok(z, data, dlen, dlen - 3, 10), "plain.zst: to the end");
	ok(range_ok(z, data, dlen, dlen, 10), "plain.zst: at the end: 0");
	ok(range_ok(z, data, dlen, dlen + 1, 10), "plain.zst: past it: 0");
	zclose(z, fd);

	/* Two frames with a skippable frame between: still one stream. */
	{
		size_t a = ZSTD_compress(zd, cap, data, half, 1), b;

		memcpy(zd + a, "\x50\x2a\x4d\x18\x03\0\0\0xyz", 11);
		b = ZSTD_compress(zd + a + 11, cap - a - 11, data + half,
				  dlen - half, 1);
		ok(!ZSTD_isError(a) && !ZSTD_isError(b) &&
			   put("frames.zst", zd, a + 11 + b),
		   "frames.zst: two frames and a skippable one");
		z = zopen("frames.zst", &fd, &r);
		ok(z && zseek_size(z) == -1 &&
			   sequential_ok(z, data, dlen, 77777),
		   "frames.zst: read through (%d)", r);
		if (z)
			ok(range_ok(z, data, dlen, half - 100, 200),
			   "frames.zst: across the frames, going back");
		zclose(z, fd);
	}

	/* Damaged: never wrong bytes, -EBADMSG. */
	zlen = ZSTD_compress(zd, cap, data, dlen, 3);
	zd[zlen / 2] ^= 0x20;
	if (put("plainbad.zst", zd, zlen)) {
		ssize_t n = 0;
		uint64_t off = 0;
		bool wrong = false;

		z = zopen("plainbad.zst", &fd, &r);
		while (z && (n = zseek_pread(z, buf, sizeof(buf), off)) > 0) {
			wrong = wrong || memcmp(buf, data + off, n);
			off += n;
		}
		ok(z && n == -EBADMSG && !wrong,
		   "plainbad.zst: -EBADMSG after %llu good bytes (%zd)",
		   (unsigned long long)off, n);
		zclose(z, fd);
	}
	zd[zlen / 2] ^= 0x20;
	if (put("plaincut.zst", zd, zlen - 7)) {
		z = zopen("plaincut.zst", &fd, &r);
		r = z ? zseek_pread(z, buf, sizeof(buf), dlen - 10) : r;
		ok(r == -EBADMSG, "plaincut.zst: cut short: -EBADMSG (%d)", r);
		zclose(z, fd);
	}
	free(zd);
}

static void odd_files(void)
{
	struct zseek *z;
	uint8_t buf[16];
	char out[256];
	int fd, r, p[2];

	/* An empty chunk compresses to an empty frame and its table. */
	ok(put("empty.pcap", "", 0) &&
		   !compress_file(dfd, "empty.pcap", 3, out, sizeof(out)),
	   "empty.pcap compressed");
	ok(zstd_test_ok("empty.pcap.zst"), "zstd -t accepts empty.pcap.zst");
	z = zopen("empty.pcap.zst", &fd, &r);
	ok(z && zseek_size(z) == 0 && zseek_pread(z, buf, 16, 0) == 0,
	   "empty.pcap.zst: size 0, nothing to read (%d)", r);
	zclose(z, fd);

	/* Not zstd at all, and an empty file: zstd -t refuses both too. */
	ok(put("junk.zst", "not zstd at all, really", 24), "junk.zst");
	z = zopen("junk.zst", &fd, &r);
	r = z ? zseek_pread(z, buf, 16, 0) : r;
	ok(r == -EBADMSG, "junk.zst: -EBADMSG (%d)", r);
	zclose(z, fd);
	ok(put("zero.zst", "", 0), "zero.zst");
	z = zopen("zero.zst", &fd, &r);
	r = z ? zseek_pread(z, buf, 16, 0) : r;
	ok(r == -EBADMSG, "0-byte file: -EBADMSG (%d)", r);
	zclose(z, fd);

	/* No seeking in a pipe. */
	if (!pipe(p)) {
		z = NULL;
		r = zseek_open(&z, p[0]);
		ok(r == -EINVAL && !z, "a pipe: -EINVAL (%d)", r);
		close(p[0]);
		close(p[1]);
	}
}

int main(void)
{
	uint8_t *data = make_data(BIG_LEN);

	alarm(300);
	if (!data || !mkdtemp(strcpy(top, "/tmp/test_zseek.XXXXXX"))) {
		perror("setup");
		return 2;
	}
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(top);
		return 2;
	}
	seekable(data, BIG_LEN);
	corrupt(data, BIG_LEN);
	plain(data, PLAIN_LEN);
	odd_files();

	free(data);
	close(dfd);
	if (tu_rm_tree(top))
		printf("# could not remove %s\n", top);
	return tap_done();
}
