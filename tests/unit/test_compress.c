// SPDX-License-Identifier: GPL-2.0
/*
 * zstd compression of finished chunks: the output checked by the zstd
 * command and by libzstd, the chunk read back by tcpdump, and every way it
 * can fail leaving the chunk as it was and nothing else behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <zstd.h>

#include "compress.h"
#include "tap.h"
#include "testutil.h"

#define BIG_LEN (10 * 1024 * 1024)
#define NPKT 3
/* Whatever the test does, it must end: a hang is a failure too. */
#define TIMEOUT_S 300

static char top[64];
static int dfd;

static bool exists(const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW);
}

static void put(const char *name, const void *buf, size_t len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	if (!tu_write_file(path, buf, len)) {
		perror(path);
		exit(2);
	}
}

/* All of a stream; NULL on a read error. */
static uint8_t *slurp_stream(FILE *f, size_t *len)
{
	size_t cap = 1 << 16, n = 0, got;
	uint8_t *buf = malloc(cap);

	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			uint8_t *more = realloc(buf, cap *= 2);

			if (!more) {
				free(buf);
				return NULL;
			}
			buf = more;
		}
	}
	if (buf && ferror(f)) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", top, name);
	return tu_slurp(path, len);
}

static bool same_file(const char *name, const uint8_t *want, size_t len)
{
	size_t got_len;
	uint8_t *got = slurp(name, &got_len);
	bool same = got && got_len == len && !memcmp(got, want, len);

	free(got);
	return same;
}

/* What the zstd command makes of @name; the command must succeed. */
static bool zstd_cmd_gives(const char *name, const uint8_t *want, size_t len)
{
	char cmd[512];
	size_t got_len = 0;
	uint8_t *got;
	FILE *p;
	bool same;
	int status;

	snprintf(cmd, sizeof(cmd), "zstd -q -d -c '%s/%s'", top, name);
	p = popen(cmd, "r");
	if (!p)
		return false;
	got = slurp_stream(p, &got_len);
	status = pclose(p);
	same = got && status == 0 && got_len == len && !memcmp(got, want, len);
	free(got);
	return same;
}

/*
 * Where the seek table (a skippable frame, ending the file) begins: the
 * file is the zstd seekable format, its data frames first.  0 if not.
 */
static size_t table_start(const uint8_t *z, size_t zlen)
{
	size_t off = 0, n;

	while (off < zlen) {
		n = ZSTD_findFrameCompressedSize(z + off, zlen - off);
		if (ZSTD_isError(n))
			return 0;
		/* 0x184D2A5E, little-endian: the seek table's magic. */
		if (off + n == zlen &&
		    !memcmp(z + off, "\x5e\x2a\x4d\x18", 4) &&
		    !memcmp(z + zlen - 4, "\xb1\xea\x92\x8f", 4))
			return off;
		off += n;
	}
	return 0;
}

/*
 * Every frame must carry its size and a checksum, and they must decode
 * to @want (ZSTD_decompress() skips the seek table).
 */
static bool libzstd_gives(const uint8_t *z, size_t zlen, const uint8_t *want,
			  size_t len)
{
	size_t end = table_start(z, zlen), off = 0, n;
	unsigned long long size = 0;
	uint8_t *got;
	size_t r;
	bool same;

	if (!end)
		return false;
	for (; off < end; off += n) {
		unsigned long long fsize;

		/*
		 * RFC 8878 3.1.1.1.1: bit 2 of the frame header descriptor,
		 * which follows the magic number (ZSTD_getFrameHeader() is
		 * static-only).
		 */
		if (end - off < 5 || memcmp(z + off, "\x28\xb5\x2f\xfd", 4) ||
		    !(z[off + 4] & 0x04))
			return false;
		fsize = ZSTD_getFrameContentSize(z + off, end - off);
		n = ZSTD_findFrameCompressedSize(z + off, end - off);
		if (fsize == ZSTD_CONTENTSIZE_UNKNOWN ||
		    fsize == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(n))
			return false;
		size += fsize;
	}
	if (size != len)
		return false;
	got = malloc(len + 1);
	if (!got)
		return false;
	r = ZSTD_decompress(got, len + 1, z, zlen);
	same = !ZSTD_isError(r) && r == len && !memcmp(got, want, len);
	free(got);
	return same;
}

static bool mode_is_0600(const char *name)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600;
}

static bool no_output(const char *name)
{
	char zst[256], part[256];

	snprintf(zst, sizeof(zst), "%s.zst", name);
	snprintf(part, sizeof(part), "%s.zst.part", name);
	return !exists(zst) && !exists(part);
}

/* Compress @name holding @data and check everything about the result. */
static void roundtrip(const char *name, const uint8_t *data, size_t len,
		      int level)
{
	char out[256] = "", zst[256], part[256];
	size_t zlen = 0;
	uint8_t *z;
	int r;

	snprintf(zst, sizeof(zst), "%s.zst", name);
	snprintf(part, sizeof(part), "%s.zst.part", name);
	r = compress_file(dfd, name, level, out, sizeof(out));
	ok(r == 0, "%s (%zu bytes, level %d): compressed (%d)", name, len,
	   level, r);
	is_str(out, zst, "%s: new path given", name);
	ok(!exists(name), "%s: original gone", name);
	ok(!exists(part), "%s: no .part left", name);
	ok(mode_is_0600(zst), "%s: .zst is a regular file, mode 0600", name);
	ok(zstd_cmd_gives(zst, data, len), "%s: zstd -d -c gives it back",
	   name);
	z = slurp(zst, &zlen);
	ok(z && libzstd_gives(z, zlen, data, len),
	   "%s: ZSTD_decompress gives it back, size and checksum in frames",
	   name);
	free(z);
}

/* A failure: @r as expected, the chunk untouched, nothing else behind. */
static void refused(const char *what, int r, int want, const char *name,
		    const uint8_t *data, size_t len)
{
	ok(r == want, "%s: %d (want %d)", what, r, want);
	ok(same_file(name, data, len), "%s: original intact", what);
	ok(no_output(name), "%s: no .zst, no .part", what);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* Random, but from a small vocabulary, as packet payloads often are. */
static uint8_t *compressible(size_t len)
{
	static const char *const words[] = {
		"GET ",	      "HTTP/1.1 ", "200 OK\r\n", "Host: ",
		"example",    ".org",	   "\r\n",	 "Content-Length: ",
		"netrec ",    "\0\0\0\0",  "\xff\xff",	 "Accept: */*",
		"keep-alive", "gzip",	   "; ",	 "0123456789",
	};
	uint8_t *buf = malloc(len);
	size_t n = 0;

	while (buf && n < len) {
		uint64_t x = tu_xorshift64(&rng);
		const char *w = words[x % 16];
		size_t wl = x % 16 == 9 ? 4 : x % 16 == 10 ? 2 : strlen(w);

		/* Now and then a raw byte, so it is not all dictionary. */
		if ((x >> 8) % 8 == 0) {
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

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void le32(uint8_t *p, uint32_t v)
{
	le16(p, v);
	le16(p + 2, v >> 16);
}

/* A classic pcap of NPKT Ethernet/IPv4/UDP packets, with stdio. */
static void write_pcap(const char *name)
{
	uint8_t hdr[24] = { 0 }, rec[16], pkt[60] = { 0 };
	char path[256];
	FILE *f;

	le32(hdr, 0xa1b2c3d4);
	le16(hdr + 4, 2);
	le16(hdr + 6, 4);
	le32(hdr + 16, 65535);
	le32(hdr + 20, 1); /* LINKTYPE_ETHERNET */
	snprintf(path, sizeof(path), "%s/%s", top, name);
	f = fopen(path, "wb");
	if (!f) {
		perror(path);
		exit(2);
	}
	fwrite(hdr, 1, sizeof(hdr), f);
	for (int i = 0; i < NPKT; i++) {
		uint8_t *ip = pkt + 14, *udp = ip + 20;

		memcpy(pkt, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00", 14);
		ip[0] = 0x45;
		ip[3] = 46; /* total length, big-endian */
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, "\x0a\0\0\x01\x0a\0\0\x02", 8);
		udp[0] = 0x30;
		udp[1] = 0x39 + i; /* source port 12345 + i */
		/* Port 9999, which tcpdump prints as plain UDP. */
		udp[2] = 0x27;
		udp[3] = 0x0f;
		udp[5] = 26;
		snprintf((char *)udp + 8, 18, "hello netrec %d", i);
		le32(rec, 1700000000 + i);
		le32(rec + 4, 1000 * i);
		le32(rec + 8, sizeof(pkt));
		le32(rec + 12, sizeof(pkt));
		fwrite(rec, 1, sizeof(rec), f);
		fwrite(pkt, 1, sizeof(pkt), f);
	}
	if (fclose(f)) {
		perror(path);
		exit(2);
	}
}

/* Lines tcpdump prints for the decompressed stream; -1 if it failed. */
static int tcpdump_lines(const char *zst)
{
	char cmd[512], line[512];
	int n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "zstdcat '%s/%s' | tcpdump -nn -r - 2>/dev/null", top, zst);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	while (fgets(line, sizeof(line), p))
		if (strstr(line, "UDP"))
			n++;
	return pclose(p) == 0 ? n : -1;
}

static bool zstd_test_fails(const char *name)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "zstd -q -t '%s/%s' 2>/dev/null", top, name);
	return system(cmd) != 0;
}

/* compress_file() in a child whose files cannot grow past @limit. */
static int compress_limited(const char *name, rlim_t limit)
{
	struct rlimit rl = { limit, limit };
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1000;
	if (pid == 0) {
		char out[256];
		int r;

		/* Else the kernel kills us instead of failing the write. */
		signal(SIGXFSZ, SIG_IGN);
		if (setrlimit(RLIMIT_FSIZE, &rl))
			_exit(255);
		r = compress_file(dfd, name, 3, out, sizeof(out));
		_exit(-r & 0xff);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1001;
	return -WEXITSTATUS(status);
}

int main(void)
{
	static const uint8_t one[1] = { 'x' };
	uint8_t *big = compressible(BIG_LEN), *pcap, *z, *small;
	size_t pcap_len, zlen, small_len = 100000;
	char out[256], path[256];
	int fds, r, fd;
	struct stat st;

	alarm(TIMEOUT_S);
	if (!big || !mkdtemp(strcpy(top, "/tmp/test_compress.XXXXXX"))) {
		perror("setup");
		return 2;
	}
	dfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		perror(top);
		return 2;
	}
	fds = tu_count_fds();
	small = compressible(small_len);

	/* The payloads. */
	put("empty.pcap", "", 0);
	roundtrip("empty.pcap", (const uint8_t *)"", 0, 3);
	put("one.pcap", one, 1);
	roundtrip("one.pcap", one, 1, 1);
	put("big.pcap", big, BIG_LEN);
	roundtrip("big.pcap", big, BIG_LEN, 3);
	z = slurp("big.pcap.zst", &zlen);
	ok(z && zlen < BIG_LEN / 2, "big.pcap: compressed to %zu bytes", zlen);
	write_pcap("cap.pcap");
	pcap = slurp("cap.pcap", &pcap_len);
	ok(pcap && pcap_len == 24 + NPKT * (16 + 60), "cap.pcap written");
	roundtrip("cap.pcap", pcap, pcap_len, 19);
	ok(tcpdump_lines("cap.pcap.zst") == NPKT,
	   "zstdcat cap.pcap.zst | tcpdump -r - reads %d packets", NPKT);
	put("fast.pcap", small, small_len);
	roundtrip("fast.pcap", small, small_len, -5);
	put("clamped.pcap", small, small_len);
	roundtrip("clamped.pcap", small, small_len, 1000);

	/* The checksum is there to catch this. */
	if (z && zlen > 8 && table_start(z, zlen)) {
		/* The last data frame's checksum ends just before the table. */
		size_t sum = table_start(z, zlen) - 1;

		z[sum] ^= 0x01;
		ok(ZSTD_isError(ZSTD_decompress(big, BIG_LEN, z, zlen)),
		   "checksum: libzstd refuses a flipped checksum byte");
		z[sum] ^= 0x01;
		z[zlen / 2] ^= 0x10;
		put("corrupt.zst", z, zlen);
		ok(zstd_test_fails("corrupt.zst"),
		   "checksum: zstd -t refuses a flipped byte mid-file");
		unlinkat(dfd, "corrupt.zst", 0);
	}
	free(z);
	free(big);

	/* Below the top directory. */
	mkdirat(dfd, "sub", 0700);
	mkdirat(dfd, "sub/deep", 0700);
	put("sub/deep/c.pcap", small, small_len);
	roundtrip("sub/deep/c.pcap", small, small_len, 3);

	/* A name taken: nothing replaced, nothing lost. */
	put("taken.pcap", small, small_len);
	put("taken.pcap.zst", "mine", 4);
	r = compress_file(dfd, "taken.pcap", 3, out, sizeof(out));
	ok(r == -EEXIST, "existing .zst: -EEXIST (%d)", r);
	ok(same_file("taken.pcap", small, small_len),
	   "existing .zst: original intact");
	ok(same_file("taken.pcap.zst", (const uint8_t *)"mine", 4),
	   "existing .zst: left as it was");
	ok(!exists("taken.pcap.zst.part"), "existing .zst: no .part");
	unlinkat(dfd, "taken.pcap.zst", 0);
	symlinkat("/nonexistent", dfd, "taken.pcap.zst");
	r = compress_file(dfd, "taken.pcap", 3, out, sizeof(out));
	ok(r == -EEXIST, "dangling symlink as .zst: -EEXIST (%d)", r);
	unlinkat(dfd, "taken.pcap.zst", 0);
	roundtrip("taken.pcap", small, small_len, 3);

	/* A crash's leftover .part does not block the chunk forever. */
	put("stale.pcap", small, small_len);
	put("stale.pcap.zst.part", "half a frame", 12);
	roundtrip("stale.pcap", small, small_len, 3);

	/* Symlinks, anywhere on the path, and ways out. */
	put("real.pcap", small, small_len);
	symlinkat("real.pcap", dfd, "link.pcap");
	r = compress_file(dfd, "link.pcap", 3, out, sizeof(out));
	ok(r == -ELOOP, "symlinked chunk: -ELOOP (%d)", r);
	ok(same_file("real.pcap", small, small_len) && no_output("real.pcap"),
	   "symlinked chunk: target intact, not compressed");
	ok(exists("link.pcap") && no_output("link.pcap"),
	   "symlinked chunk: link intact, no .zst, no .part");
	mkdirat(dfd, "realdir", 0700);
	put("realdir/d.pcap", small, small_len);
	symlinkat("realdir", dfd, "linkdir");
	r = compress_file(dfd, "linkdir/d.pcap", 3, out, sizeof(out));
	refused("symlinked directory", r, -ELOOP, "realdir/d.pcap", small,
		small_len);
	put("../outside.pcap", small, small_len);
	r = compress_file(dfd, "sub/../../outside.pcap", 3, out, sizeof(out));
	refused("sub/../../outside.pcap", r, -EXDEV, "../outside.pcap", small,
		small_len);
	unlinkat(dfd, "../outside.pcap", 0);
	snprintf(path, sizeof(path), "%s/real.pcap", top);
	r = compress_file(dfd, path, 3, out, sizeof(out));
	refused("absolute path", r, -EXDEV, "real.pcap", small, small_len);

	/* Not a regular file; a FIFO must not hang the thread in open(). */
	mkfifoat(dfd, "fifo.pcap", 0600);
	r = compress_file(dfd, "fifo.pcap", 3, out, sizeof(out));
	ok(r == -EINVAL && no_output("fifo.pcap"), "FIFO: -EINVAL (%d)", r);
	r = compress_file(dfd, "sub", 3, out, sizeof(out));
	ok(r == -EINVAL && no_output("sub"), "directory: -EINVAL (%d)", r);
	r = compress_file(dfd, "sub/", 3, out, sizeof(out));
	ok(r == -EINVAL, "trailing slash: -EINVAL (%d)", r);
	r = compress_file(dfd, "missing.pcap", 3, out, sizeof(out));
	ok(r == -ENOENT && no_output("missing.pcap"), "missing: -ENOENT (%d)",
	   r);

	/* Told before the work when the new name will not fit. */
	r = compress_file(dfd, "real.pcap", 3, out, strlen("real.pcap.zst"));
	refused("short @out", r, -ENAMETOOLONG, "real.pcap", small, small_len);

	/* Another compress_file() of the same chunk holds it. */
	fd = openat(dfd, "real.pcap", O_RDONLY | O_CLOEXEC);
	ok(fd >= 0 && !flock(fd, LOCK_EX), "flock taken");
	r = compress_file(dfd, "real.pcap", 3, out, sizeof(out));
	refused("chunk locked", r, -EBUSY, "real.pcap", small, small_len);
	close(fd);
	roundtrip("real.pcap", small, small_len, 3);

	/* The output cannot be written: out of (allowed) space. */
	big = compressible(BIG_LEN);
	put("limited.pcap", big, BIG_LEN);
	r = compress_limited("limited.pcap", 4096);
	refused("RLIMIT_FSIZE 4096", r, -EFBIG, "limited.pcap", big, BIG_LEN);
	r = compress_limited("limited.pcap", 0);
	refused("RLIMIT_FSIZE 0", r, -EFBIG, "limited.pcap", big, BIG_LEN);
	free(big);

	/* A directory squatting on the .part name is not ours to remove. */
	put("squat.pcap", small, small_len);
	mkdirat(dfd, "squat.pcap.zst.part", 0700);
	r = compress_file(dfd, "squat.pcap", 3, out, sizeof(out));
	ok(r < 0 && same_file("squat.pcap", small, small_len) &&
		   !exists("squat.pcap.zst"),
	   "directory as .part: refused (%d), original intact", r);
	unlinkat(dfd, "squat.pcap.zst.part", AT_REMOVEDIR);

	if (geteuid() == 0) {
		/* A chunk of an unprivileged user stays theirs. */
		put("user.pcap", small, small_len);
		ok(!fchownat(dfd, "user.pcap", 65534, 65534, 0),
		   "user.pcap given to 65534");
		roundtrip("user.pcap", small, small_len, 3);
		ok(!fstatat(dfd, "user.pcap.zst", &st, 0) &&
			   st.st_uid == 65534 && st.st_gid == 65534,
		   "user.pcap.zst owned by 65534:65534");
		printf("ok %d - # SKIP read-only directory: root ignores "
		       "modes\n",
		       ++tap_n);
	} else {
		mkdirat(dfd, "ro", 0700);
		put("ro/r.pcap", small, small_len);
		fchmodat(dfd, "ro", 0500, 0);
		r = compress_file(dfd, "ro/r.pcap", 3, out, sizeof(out));
		refused("read-only directory", r, -EACCES, "ro/r.pcap", small,
			small_len);
		fchmodat(dfd, "ro", 0700, 0);
		printf("ok %d - # SKIP chown: not root\n", ++tap_n);
	}

	ok(tu_count_fds() == fds, "no file descriptor leaked");
	free(small);
	free(pcap);
	close(dfd);
	if (tu_rm_tree(top))
		printf("# could not remove %s\n", top);
	return tap_done();
}
