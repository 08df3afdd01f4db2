// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include <linux/types.h>

#include "netrec.h"
#include "pcapfile.h"
#include "tap.h"
#include "testutil.h"

#define SNAP 260 /* link header + 256 bytes */
#define FULL_SNAP (PCAP_NULL_HDR_LEN + NR_MAX_CAPLEN)
#define NSEC_MAGIC 0xa1b23c4d

struct rec {
	int family;
	struct timespec ts;
	uint32_t caplen, len; /* link header included */
};

static const struct rec recs[] = {
	{ 4, { 1700000000, 123456789 }, 4 + 60, 4 + 60 },
	{ 6, { 1700000000, 123456790 }, 4 + 80, 4 + 80 },
	{ 4, { 1700000001, 0 }, 4 + 100, 4 + 1500 },	    /* truncated */
	{ 6, { 1700000001, 999999999 }, 4 + 40, 4 + 9000 }, /* truncated */
	{ 4, { 1700000002, 1 }, SNAP, 4 + 65000 },	    /* at snaplen */
	{ 6, { 1700000002, 500000000 }, SNAP, SNAP },
	{ 4, { 0, 1 }, 4 + 20, 4 + 20 },
	{ 6, { 2147483647, 999999998 }, 4, 4 + 40 }, /* link header only */
};
#define NRECS (sizeof(recs) / sizeof(recs[0]))

static char top[64], dir[128];
static int dirfd_;

static uint8_t content_byte(size_t idx, uint32_t i)
{
	return (uint8_t)(idx * 37 + i * 11 + (i >> 8));
}

static void build_frame(const struct rec *r, size_t idx, uint8_t *buf)
{
	pcap_null_header(buf, r->family);
	for (uint32_t i = PCAP_NULL_HDR_LEN; i < r->caplen; i++)
		buf[i] = content_byte(idx, i);
	if (r->caplen > PCAP_NULL_HDR_LEN)
		buf[PCAP_NULL_HDR_LEN] = r->family == 6 ? 0x60 : 0x45;
}

static int write_recs(struct pcapfile *pf, size_t from, size_t to)
{
	uint8_t buf[FULL_SNAP];
	int err = 0;

	for (size_t i = from; i < to && !err; i++) {
		build_frame(&recs[i], i, buf);
		err = pcapfile_write(pf, &recs[i].ts, buf, recs[i].caplen,
				     recs[i].len);
	}
	return err;
}

static char *path_in(const char *base, const char *name)
{
	static char p[2][PATH_MAX + 256];
	static int k;

	k ^= 1;
	snprintf(p[k], sizeof(p[k]), "%s/%s", base, name);
	return p[k];
}

static bool exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/*
 * Check @path holds exactly @n records: recs[0..n) (indices from @idx if
 * not NULL).  With @each, one TAP line a record.
 */
static void check_file(const char *path, uint32_t snaplen, size_t n, bool each,
		       const char *what)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t want[FULL_SNAP], magic[4];
	size_t count = 0, bad = 0, flen;
	uint8_t *raw;
	uint32_t m;
	pcap_t *p;
	int rc;

	raw = tu_slurp(path, &flen);
	memcpy(magic, raw && flen >= 4 ? raw : (uint8_t *)"\0\0\0\0", 4);
	memcpy(&m, magic, 4);
	ok(raw && m == NSEC_MAGIC, "%s: nanosecond magic (0x%08x)", what, m);
	free(raw);

	p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	ok(p != NULL, "%s: libpcap opens it%s%s", what, p ? "" : ": ",
	   p ? "" : errbuf);
	if (!p)
		return;
	ok(pcap_datalink(p) == DLT_NULL, "%s: linktype DLT_NULL (%d)", what,
	   pcap_datalink(p));
	ok(pcap_snapshot(p) == (int)snaplen, "%s: snaplen %d, want %u", what,
	   pcap_snapshot(p), snaplen);
	ok(pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO,
	   "%s: nanosecond precision", what);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		const struct rec *r = count < n ? &recs[count] : NULL;
		uint32_t af = 0;
		bool good;

		if (!r) {
			count++;
			continue;
		}
		build_frame(r, count, want);
		if (h->caplen >= 4)
			memcpy(&af, data, 4);
		good = h->caplen == r->caplen && h->len == r->len &&
		       h->ts.tv_sec == r->ts.tv_sec &&
		       h->ts.tv_usec == r->ts.tv_nsec &&
		       !memcmp(data, want, r->caplen) &&
		       af == (r->family == 6 ? 24u : 2u);
		if (!good) {
			bad++;
			printf("# %s record %zu: caplen %u/%u len %u/%u ts %lld.%09ld/%lld.%09ld af %u\n",
			       what, count, h->caplen, r->caplen, h->len,
			       r->len, (long long)h->ts.tv_sec,
			       (long)h->ts.tv_usec, (long long)r->ts.tv_sec,
			       r->ts.tv_nsec, af);
		}
		if (each)
			ok(good,
			   "%s: record %zu (IPv%d, caplen %u, len %u, ts %lld.%09ld, af %u)",
			   what, count, r->family, r->caplen, r->len,
			   (long long)r->ts.tv_sec, r->ts.tv_nsec, af);
		count++;
	}
	ok(rc == PCAP_ERROR_BREAK, "%s: clean end of file (%d)", what, rc);
	ok(count == n, "%s: %zu records, want %zu", what, count, n);
	if (!each)
		ok(bad == 0, "%s: every record as written (%zu bad)", what,
		   bad);
	pcap_close(p);
}

static void test_null_header(void)
{
	uint8_t h[PCAP_NULL_HDR_LEN];
	uint32_t v;

	pcap_null_header(h, 4);
	memcpy(&v, h, 4);
	ok(v == 2 && v == AF_INET, "IPv4 null header is 2 in host order");
	pcap_null_header(h, 6);
	memcpy(&v, h, 4);
	ok(v == 24, "IPv6 null header is 24 in host order");
}

static void test_create(void)
{
	struct pcapfile *pf = NULL, *pf2 = (void *)&pf;
	uint8_t *before, *after;
	size_t blen, alen;
	struct stat st;
	int err;

	err = pcapfile_create(&pf, dirfd_, "a.pcap", SNAP);
	ok(err == 0 && pf, "create a.pcap (%d)", err);
	if (err)
		return;
	ok(fstatat(dirfd_, "a.pcap", &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		   S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
	   "mode 0600 under umask 0 (%o)", st.st_mode & 07777);
	err = write_recs(pf, 0, 3);
	ok(err == 0, "write 3 records (%d)", err);
	ok(pcapfile_flush(pf) == 0, "flush");
	check_file(path_in(dir, "a.pcap"), SNAP, 3, false, "flushed a.pcap");
	err = write_recs(pf, 3, NRECS);
	ok(err == 0, "write the rest (%d)", err);
	err = pcapfile_close(pf);
	ok(err == 0, "close (%d)", err);
	check_file(path_in(dir, "a.pcap"), SNAP, NRECS, true, "a.pcap");

	/* Never replaces a file. */
	before = tu_slurp(path_in(dir, "a.pcap"), &blen);
	err = pcapfile_create(&pf2, dirfd_, "a.pcap", SNAP);
	ok(err == -EEXIST, "create on an existing name: -EEXIST (%d)", err);
	ok(pf2 == (void *)&pf, "and *out untouched");
	after = tu_slurp(path_in(dir, "a.pcap"), &alen);
	ok(before && after && blen == alen && !memcmp(before, after, blen),
	   "the old file is intact (%zu bytes)", alen);
	free(before);
	free(after);

	/* The full snaplen, as netrec uses it. */
	err = pcapfile_create(&pf, dirfd_, "full.pcap", FULL_SNAP);
	ok(err == 0, "create with snaplen %u", FULL_SNAP);
	if (!err) {
		write_recs(pf, 0, NRECS);
		ok(pcapfile_close(pf) == 0, "close");
		check_file(path_in(dir, "full.pcap"), FULL_SNAP, NRECS, false,
			   "full.pcap");
	}

	/* A file with no records is still valid. */
	err = pcapfile_create(&pf, dirfd_, "empty.pcap", SNAP);
	ok(err == 0 && pcapfile_close(pf) == 0, "create and close empty.pcap");
	ok(stat(path_in(dir, "empty.pcap"), &st) == 0 && st.st_size == 24,
	   "empty file is the 24-byte header (%lld)", (long long)st.st_size);
	check_file(path_in(dir, "empty.pcap"), SNAP, 0, false, "empty.pcap");
}

/* Nothing may be created or changed outside the directory. */
static void test_escape(void)
{
	struct pcapfile *pf = NULL;
	char abs[128];
	uint8_t *before, *after;
	size_t blen, alen;
	struct stat st;
	int err;

	ok(symlinkat("../outside.pcap", dirfd_, "link.pcap") == 0 &&
		   symlinkat("..", dirfd_, "up") == 0 &&
		   symlinkat(top, dirfd_, "abs") == 0 &&
		   symlinkat("a.pcap", dirfd_, "alink.pcap") == 0 &&
		   symlinkat("../victim.pcap", dirfd_, "vlink.pcap") == 0 &&
		   mkdirat(dirfd_, "sub", 0700) == 0 &&
		   mkdirat(dirfd_, "dir.pcap", 0700) == 0,
	   "symlinks and directories made");

	err = pcapfile_create(&pf, dirfd_, "link.pcap", SNAP);
	ok(err < 0, "create through a dangling symlink fails (%d)", err);
	ok(!exists(path_in(top, "outside.pcap")), "nothing made outside");
	ok(lstat(path_in(dir, "link.pcap"), &st) == 0 && S_ISLNK(st.st_mode),
	   "the symlink is left alone");

	err = pcapfile_create(&pf, dirfd_, "up/x.pcap", SNAP);
	ok(err < 0, "create through a symlinked directory fails (%d)", err);
	ok(!exists(path_in(top, "x.pcap")), "nothing made outside");

	err = pcapfile_create(&pf, dirfd_, "abs/y.pcap", SNAP);
	ok(err < 0, "create through an absolute symlink fails (%d)", err);
	ok(!exists(path_in(top, "y.pcap")), "nothing made outside");

	err = pcapfile_create(&pf, dirfd_, "../x", SNAP);
	ok(err < 0, "create ../x fails (%d)", err);
	ok(!exists(path_in(top, "x")), "nothing made outside");

	err = pcapfile_create(&pf, dirfd_, "sub/../../z.pcap", SNAP);
	ok(err < 0, "create sub/../../z.pcap fails (%d)", err);
	ok(!exists(path_in(top, "z.pcap")), "nothing made outside");

	snprintf(abs, sizeof(abs), "%s/abs.pcap", top);
	err = pcapfile_create(&pf, dirfd_, abs, SNAP);
	ok(err < 0, "create with an absolute path fails (%d)", err);
	ok(!exists(abs), "nothing made there");

	err = pcapfile_create(&pf, dirfd_, "", SNAP);
	ok(err < 0, "create with an empty name fails (%d)", err);

	err = pcapfile_create(&pf, dirfd_, "sub/ok.pcap", SNAP);
	ok(err == 0, "create in a real subdirectory works (%d)", err);
	if (!err)
		pcapfile_close(pf);

	/* Re-opening checks the same way. */
	{
		int tfd = open(top, O_RDONLY | O_DIRECTORY);

		err = pcapfile_create(&pf, tfd, "victim.pcap", SNAP);
		if (!err) {
			write_recs(pf, 0, 2);
			err = pcapfile_close(pf);
		}
		close(tfd);
		ok(err == 0, "a valid pcap outside the directory");
	}
	before = tu_slurp(path_in(top, "victim.pcap"), &blen);
	err = pcapfile_reopen(&pf, dirfd_, "../victim.pcap", SNAP);
	ok(err < 0, "reopen ../victim.pcap fails (%d)", err);
	err = pcapfile_reopen(&pf, dirfd_, "vlink.pcap", SNAP);
	ok(err < 0, "reopen through a symlink leaving the dir fails (%d)", err);
	after = tu_slurp(path_in(top, "victim.pcap"), &alen);
	ok(before && after && blen == alen && !memcmp(before, after, blen),
	   "the outside file is untouched");
	free(before);
	free(after);

	before = tu_slurp(path_in(dir, "a.pcap"), &blen);
	err = pcapfile_reopen(&pf, dirfd_, "alink.pcap", SNAP);
	ok(err < 0, "reopen through a symlink inside the dir fails (%d)", err);
	after = tu_slurp(path_in(dir, "a.pcap"), &alen);
	ok(before && after && blen == alen && !memcmp(before, after, blen),
	   "its target is untouched");
	free(before);
	free(after);

	err = pcapfile_reopen(&pf, dirfd_, "dir.pcap", SNAP);
	ok(err < 0, "reopen of a directory fails (%d)", err);
	err = pcapfile_reopen(&pf, dirfd_, "missing.pcap", SNAP);
	ok(err == -ENOENT, "reopen of a missing file: -ENOENT (%d)", err);
}

static void test_reopen(void)
{
	struct pcapfile *pf = NULL;
	uint8_t *before, *after;
	size_t blen, alen, want_size = 24;
	struct stat st;
	int err;

	err = pcapfile_create(&pf, dirfd_, "b.pcap", SNAP);
	ok(err == 0, "create b.pcap");
	if (err)
		return;
	ok(write_recs(pf, 0, 3) == 0 && pcapfile_close(pf) == 0,
	   "3 records, closed");

	err = pcapfile_reopen(&pf, dirfd_, "b.pcap", SNAP);
	ok(err == 0, "reopen (%d)", err);
	if (err)
		return;
	ok(write_recs(pf, 3, 6) == 0 && pcapfile_close(pf) == 0,
	   "3 more, closed");
	err = pcapfile_reopen(&pf, dirfd_, "b.pcap", SNAP);
	ok(err == 0, "reopen again (%d)", err);
	if (err)
		return;
	ok(write_recs(pf, 6, NRECS) == 0 && pcapfile_flush(pf) == 0 &&
		   pcapfile_close(pf) == 0,
	   "the rest, flushed, closed");
	for (size_t i = 0; i < NRECS; i++)
		want_size += 16 + recs[i].caplen;
	ok(stat(path_in(dir, "b.pcap"), &st) == 0 &&
		   (size_t)st.st_size == want_size,
	   "one file header only: %lld bytes, want %zu", (long long)st.st_size,
	   want_size);
	ok((st.st_mode & 07777) == 0600, "still mode 0600");
	check_file(path_in(dir, "b.pcap"), SNAP, NRECS, false,
		   "appended b.pcap");

	/* A different snaplen cannot append to it. */
	before = tu_slurp(path_in(dir, "b.pcap"), &blen);
	err = pcapfile_reopen(&pf, dirfd_, "b.pcap", SNAP + 1);
	if (!err)
		pcapfile_close(pf);
	after = tu_slurp(path_in(dir, "b.pcap"), &alen);
	ok(err < 0, "reopen with another snaplen fails (%d)", err);
	ok(before && after && blen == alen && !memcmp(before, after, blen),
	   "and leaves the file alone");
	free(before);
	free(after);

	/* Something that is not a pcap file. */
	{
		int fd = openat(dirfd_, "junk.pcap", O_WRONLY | O_CREAT, 0600);

		ok(fd >= 0 && write(fd, "not a pcap file at all, no sir", 30) ==
				      30,
		   "junk file");
		close(fd);
	}
	err = pcapfile_reopen(&pf, dirfd_, "junk.pcap", SNAP);
	if (!err)
		pcapfile_close(pf);
	ok(err < 0, "reopen of a non-pcap file fails (%d)", err);
}

/* Frame @k of the busy file: sizes cycle so records straddle the writes. */
static uint32_t busy_caplen(size_t k)
{
	return k % 997 == 0 ? FULL_SNAP : 4 + (uint32_t)(k * 131 % 1500);
}

static void busy_frame(size_t k, uint8_t *buf)
{
	pcap_null_header(buf, 4);
	for (uint32_t i = PCAP_NULL_HDR_LEN; i < busy_caplen(k); i++)
		buf[i] = content_byte(k, i);
}

static int busy_write(struct pcapfile *pf, size_t from, size_t to,
		      uint64_t *size)
{
	static uint8_t buf[FULL_SNAP];
	int err = 0;

	for (size_t k = from; k < to && !err; k++) {
		struct timespec ts = { 1700000000 + k / 1000, k % 1000 };

		busy_frame(k, buf);
		err = pcapfile_write(pf, &ts, buf, busy_caplen(k),
				     busy_caplen(k) + 7);
		*size += 16 + busy_caplen(k);
		if (!err && pcapfile_offset(pf) != *size)
			err = -EPROTO;
	}
	return err;
}

/*
 * A file written fast gets bigger buffers as it goes (a re-opened one
 * too): every record must still land whole, in order, where the offset
 * said, with no gap or overlap at the buffer's edges.
 */
static void test_busy_file(void)
{
	static uint8_t want[FULL_SNAP];
	char errbuf[PCAP_ERRBUF_SIZE];
	const size_t n1 = 6000, n2 = 9000;
	struct pcapfile *pf = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t size = 24;
	size_t k = 0, bad = 0;
	struct stat st;
	pcap_t *p;
	int err;

	err = pcapfile_create(&pf, dirfd_, "busy.pcap", FULL_SNAP);
	ok(err == 0, "create busy.pcap");
	if (err)
		return;
	err = busy_write(pf, 0, n1, &size);
	ok(err == 0 && pcapfile_close(pf) == 0,
	   "%zu records (%llu bytes) written, offsets right (%d)", n1,
	   (unsigned long long)size, err);
	err = pcapfile_reopen(&pf, dirfd_, "busy.pcap", FULL_SNAP);
	ok(err == 0, "reopen busy.pcap (%d)", err);
	if (err)
		return;
	ok(pcapfile_offset(pf) == size, "re-opened at its end (%llu)",
	   (unsigned long long)pcapfile_offset(pf));
	err = busy_write(pf, n1, n2, &size);
	ok(err == 0 && pcapfile_flush(pf) == 0,
	   "%zu more records written, offsets right (%d)", n2 - n1, err);
	ok(stat(path_in(dir, "busy.pcap"), &st) == 0 &&
		   (uint64_t)st.st_size == size,
	   "flushed: the file is %lld bytes, want %llu", (long long)st.st_size,
	   (unsigned long long)size);
	ok(pcapfile_close(pf) == 0, "closed");

	p = pcap_open_offline_with_tstamp_precision(
		path_in(dir, "busy.pcap"), PCAP_TSTAMP_PRECISION_NANO, errbuf);
	ok(p != NULL, "libpcap opens busy.pcap%s%s", p ? "" : ": ",
	   p ? "" : errbuf);
	if (!p)
		return;
	while (pcap_next_ex(p, &h, &data) == 1) {
		busy_frame(k, want);
		if (h->caplen != busy_caplen(k) || h->len != h->caplen + 7 ||
		    h->ts.tv_sec != (time_t)(1700000000 + k / 1000) ||
		    h->ts.tv_usec != (suseconds_t)(k % 1000) ||
		    memcmp(data, want, h->caplen))
			bad++;
		k++;
	}
	pcap_close(p);
	ok(k == n2 && bad == 0,
	   "all %zu records read back whole (%zu, %zu bad)", n2, k, bad);
}

/* A full disk, as RLIMIT_FSIZE makes one: errors are reported and stick. */
static void test_write_error(void)
{
	struct pcapfile *pf = NULL;
	struct rlimit old, lim;
	uint8_t buf[FULL_SNAP];
	struct timespec ts = { 1700000000, 0 };
	int err = 0, first = 0, werr = 0, ferr, cerr, i;
	const long limit = 100000;
	struct stat st;

	err = pcapfile_create(&pf, dirfd_, "big.pcap", FULL_SNAP);
	ok(err == 0, "create big.pcap");
	if (err)
		return;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = limit;
	ok(setrlimit(RLIMIT_FSIZE, &lim) == 0, "file size limit %ld", limit);
	pcap_null_header(buf, 4);
	memset(buf + 4, 0xab, sizeof(buf) - 4);
	for (i = 0; i < 400 && !werr; i++) {
		ts.tv_nsec = i;
		werr = pcapfile_write(pf, &ts, buf, 1004, 1004);
	}
	first = werr;
	ferr = pcapfile_flush(pf);
	if (!first)
		first = ferr;
	ok(first == -EFBIG,
	   "write or flush reports -EFBIG (%d, after %d records)", first, i);
	ok(pcapfile_write(pf, &ts, buf, 100, 100) == first,
	   "later writes return the same error");
	ok(pcapfile_flush(pf) == first, "so does flush");
	cerr = pcapfile_close(pf);
	ok(cerr == first, "and close (%d)", cerr);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(stat(path_in(dir, "big.pcap"), &st) == 0 && st.st_size <= limit,
	   "the file stopped at the limit (%lld)", (long long)st.st_size);
}

/*
 * A disk that fills up: every record pcapfile_write() took is in the file,
 * whatever the buffer held when the disk filled (space is taken before a
 * record is); the one that did not fit is refused, and the file closes
 * whole.  Records of 1500 bytes and odd sizes, so that the disk fills in
 * the middle of buffered records, not at a buffer's edge.
 */
static void test_full_disk(void)
{
	static uint8_t buf[FULL_SNAP];
	char fs[PATH_MAX + 8];
	struct timespec ts = { 1700000000, 0 };
	struct pcapfile *pf = NULL;
	size_t taken = 0;
	uint64_t size = 24;
	struct stat st;
	int err, fsfd;

	fsfd = tu_small_fs_or_skip(top, 300 * 1024, fs, sizeof(fs));
	if (fsfd < 0)
		return;
	err = pcapfile_create(&pf, fsfd, "f.pcap", FULL_SNAP);
	ok(err == 0, "create f.pcap on a 300 KiB file system (%d)", err);
	if (err)
		goto out;
	pcap_null_header(buf, 4);
	for (int i = 0; i < 1000 && !err; i++) {
		uint32_t caplen = 1200 + (i * 97) % 700;

		memset(buf + 4, i, caplen - 4);
		ts.tv_nsec = i;
		err = pcapfile_write(pf, &ts, buf, caplen, caplen);
		if (!err) {
			taken++;
			size += 16 + caplen;
		}
	}
	ok(err == -ENOSPC,
	   "the disk fills: a record is refused, -ENOSPC (%d, "
	   "after %zu)",
	   err, taken);
	err = pcapfile_close(pf);
	ok(err == 0, "and the file closes whole (%d)", err);
	ok(stat(path_in(fs, "f.pcap"), &st) == 0 &&
		   (uint64_t)st.st_size == size,
	   "every record taken is in it: %lld bytes, want %llu",
	   (long long)st.st_size, (unsigned long long)size);
	{
		char errbuf[PCAP_ERRBUF_SIZE];
		pcap_t *p = pcap_open_offline_with_tstamp_precision(
			path_in(fs, "f.pcap"), PCAP_TSTAMP_PRECISION_NANO,
			errbuf);
		struct pcap_pkthdr *h;
		const u_char *data;
		size_t n = 0, bad = 0;

		while (p && pcap_next_ex(p, &h, &data) == 1) {
			bad += h->caplen != 1200 + (n * 97) % 700 ||
			       data[4] != (uint8_t)n ||
			       h->ts.tv_usec != (suseconds_t)n;
			n++;
		}
		if (p)
			pcap_close(p);
		ok(p && n == taken && !bad,
		   "libpcap reads back all %zu, in order (%zu, %zu bad)", taken,
		   n, bad);
	}
out:
	close(fsfd);
	umount2(fs, MNT_DETACH);
}

static void cleanup(void)
{
	/* Only our own mkdtemp() directory. */
	if (!strncmp(top, "/tmp/netrec-test-pcap.", 22) && tu_rm_tree(top))
		printf("# could not remove %s\n", top);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(0);
	snprintf(top, sizeof(top), "/tmp/netrec-test-pcap.XXXXXX");
	if (!mkdtemp(top)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/d", top);
	if (mkdir(dir, 0700) ||
	    (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		printf("Bail out! %s: %s\n", dir, strerror(errno));
		cleanup();
		return 1;
	}
	test_null_header();
	test_create();
	test_escape();
	test_reopen();
	test_busy_file();
	test_write_error();
	test_full_disk();
	close(dirfd_);
	cleanup();
	return tap_done();
}
