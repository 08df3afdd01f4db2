// SPDX-License-Identifier: GPL-2.0
/*
 * Start-up recovery of .part chunks: captures cut where a crash can cut
 * them, checked by reading them back with libpcap, which is what users'
 * tools will do.
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
#include <pcap/pcap.h>

#include "pcapng.h"
#include "recover.h"
#include "tap.h"
#include "testutil.h"

#define SNAPLEN 65535
#define LINKTYPE_NULL 0 /* DLT_NULL, which pcap/bpf.h would give */
#define NPKT 4
#define MAX_CASES 64

static const uint32_t sizes[NPKT] = { 60, 100, 33, 1 };

/* @top holds @out, the directory recovered, and @src, the masters. */
static char top[64], out[128], src[128], far[128];
static int dfd;

/* The master captures, and where each record or block ends in them. */
static uint8_t *pcap_buf, *png_buf;
static size_t pcap_len, png_len;
static size_t pcap_end_at[NPKT + 1], png_end_at[NPKT + 2];

static void swap32(uint8_t *p)
{
	uint8_t t = p[0];

	p[0] = p[3];
	p[3] = t;
	t = p[1];
	p[1] = p[2];
	p[2] = t;
}

static void swap16(uint8_t *p)
{
	uint8_t t = p[0];

	p[0] = p[1];
	p[1] = t;
}

static uint8_t pattern(int pkt, size_t i)
{
	return (uint8_t)(pkt * 31 + i);
}

static off_t size_at(int dir, const char *rel)
{
	struct stat st;

	return fstatat(dir, rel, &st, AT_SYMLINK_NOFOLLOW) ? -1 : st.st_size;
}

static bool exists(const char *rel)
{
	struct stat st;

	return !fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW);
}

static int make_masters(void)
{
	struct pcapng_iface idb = { .linktype = LINKTYPE_NULL,
				    .snaplen = SNAPLEN };
	uint8_t data[128];
	char path[256];
	struct pcapng *png;
	pcap_dumper_t *d;
	pcap_t *p;
	int sfd;

	snprintf(path, sizeof(path), "%s/master.pcap", src);
	p = pcap_open_dead_with_tstamp_precision(LINKTYPE_NULL, SNAPLEN,
						 PCAP_TSTAMP_PRECISION_NANO);
	d = p ? pcap_dump_open(p, path) : NULL;
	if (!d)
		return -1;
	pcap_end_at[0] = 24;
	for (int i = 0; i < NPKT; i++) {
		struct pcap_pkthdr h = {
			.ts = { .tv_sec = 1700000000 + i, .tv_usec = 123 },
			.caplen = sizes[i],
			.len = sizes[i] + 10,
		};

		for (size_t j = 0; j < sizes[i]; j++)
			data[j] = pattern(i, j);
		pcap_dump((u_char *)d, &h, data);
		pcap_end_at[i + 1] = pcap_end_at[i] + 16 + sizes[i];
	}
	pcap_dump_close(d);
	pcap_close(p);
	pcap_buf = tu_slurp(path, &pcap_len);

	sfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sfd < 0 || pcapng_create(&png, sfd, "master.pcapng", NULL, &idb))
		return -1;
	png_end_at[0] = size_at(sfd, "master.pcapng");
	for (int i = 0; i < NPKT; i++) {
		struct pcapng_packet pkt = {
			.ts_ns = 1700000000123456789ULL + i,
			.data = data,
			.caplen = sizes[i],
			.len = sizes[i] + 10,
			.dir = PCAPNG_DIR_IN,
		};

		for (size_t j = 0; j < sizes[i]; j++)
			data[j] = pattern(i, j);
		if (pcapng_write(png, &pkt) || pcapng_flush(png))
			return -1;
		png_end_at[i + 1] = size_at(sfd, "master.pcapng");
	}
	/* An ISB ends the chunk, as on a clean close. */
	if (pcapng_write_stats(png, &(struct pcapng_stats){ 1, 2, 4, 0 }) ||
	    pcapng_close(png))
		return -1;
	png_end_at[NPKT + 1] = size_at(sfd, "master.pcapng");
	close(sfd);
	snprintf(path, sizeof(path), "%s/master.pcapng", src);
	png_buf = tu_slurp(path, &png_len);
	return pcap_buf && png_buf && pcap_len == pcap_end_at[NPKT] &&
			       png_len == png_end_at[NPKT + 1]
		       ? 0
		       : -1;
}

static int put_file(int dir, const char *rel, const void *a, size_t alen,
		    const void *b, size_t blen)
{
	int fd =
		openat(dir, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	int err = 0;

	if (fd < 0)
		return -1;
	if ((alen && write(fd, a, alen) != (ssize_t)alen) ||
	    (blen && write(fd, b, blen) != (ssize_t)blen))
		err = -1;
	close(fd);
	return err;
}

/* ---- the expected outcome of each file ------------------------------- */

struct tcase {
	const char *part;  /* as left by the crash */
	const char *final; /* NULL: must be left alone */
	bool png;
	size_t cut;   /* bytes of the master kept */
	size_t extra; /* garbage bytes written after them */
	int nrec;     /* whole packets it holds */
	size_t size;  /* its size once finished */
};

static struct tcase cases[MAX_CASES];
static int ncases;
static uint8_t garbage[256];

/* A file made by hand that recovery must cut to @size holding @nrec. */
static void add_done(const char *part, const char *final, size_t size, int nrec)
{
	cases[ncases++] = (struct tcase){
		.part = part, .final = final, .nrec = nrec, .size = size
	};
}

static void add(const char *part, const char *final, bool png, size_t cut,
		const void *extra, size_t extra_len, int nrec)
{
	struct tcase *c = &cases[ncases++];
	const size_t *ends = png ? png_end_at : pcap_end_at;

	c->part = part;
	c->final = final;
	c->png = png;
	c->cut = cut;
	c->extra = extra_len;
	c->nrec = nrec;
	c->size = final ? ends[nrec] : cut + extra_len;
	if (png && final && nrec == NPKT && cut == png_len)
		c->size = png_len;
	if (put_file(dfd, part, png ? png_buf : pcap_buf, cut, extra,
		     extra_len))
		printf("# could not write %s: %s\n", part, strerror(errno));
}

/* The pcap master as a host of the other byte order writes it. */
static const uint8_t *swapped_pcap(void)
{
	static uint8_t buf[4096];
	size_t pos = 24;

	memcpy(buf, pcap_buf, pcap_len);
	swap32(buf);
	swap16(buf + 4);
	swap16(buf + 6);
	for (int i = 8; i < 24; i += 4)
		swap32(buf + i);
	for (int n = 0; n < NPKT; n++) {
		for (int i = 0; i < 16; i += 4)
			swap32(buf + pos + i);
		pos += 16 + sizes[n];
	}
	return buf;
}

/* A record header in host byte order, as the masters have. */
static void rec_hdr(uint8_t *h, uint32_t caplen, uint32_t len)
{
	uint32_t v[4] = { 1700000009, 0, caplen, len };

	memcpy(h, v, sizeof(v));
}

/* libpcap's reading of @rel: whole, with the masters' packets in order. */
static int read_back(const char *rel, bool png, int *nrec)
{
	char path[512], errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int r, n = 0, bad = 0;

	snprintf(path, sizeof(path), "%s/%s", out, rel);
	p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		printf("# %s: %s\n", rel, errbuf);
		return -1;
	}
	while ((r = pcap_next_ex(p, &h, &data)) == 1) {
		if (n >= NPKT || h->caplen != sizes[n] ||
		    h->len != sizes[n] + 10 ||
		    h->ts.tv_sec != (png ? 1700000000 : 1700000000 + n)) {
			bad++;
		} else {
			for (size_t j = 0; j < h->caplen; j++)
				bad += data[j] != pattern(n, j);
		}
		n++;
	}
	if (r != PCAP_ERROR_BREAK) {
		printf("# %s: %s\n", rel, pcap_geterr(p));
		bad++;
	}
	pcap_close(p);
	*nrec = n;
	return bad ? -1 : 0;
}

static void check_case(const struct tcase *c)
{
	int nrec = -1;

	if (!c->final) {
		ok(exists(c->part) &&
			   size_at(dfd, c->part) == (off_t)(c->cut + c->extra),
		   "%s left as it was", c->part);
		return;
	}
	ok(!exists(c->part), "%s is gone", c->part);
	ok(size_at(dfd, c->final) == (off_t)c->size, "%s is %zu bytes (%lld)",
	   c->final, c->size, (long long)size_at(dfd, c->final));
	ok(!read_back(c->final, c->png, &nrec) && nrec == c->nrec,
	   "%s reads back as %d whole packets (%d)", c->final, c->nrec, nrec);
}

/* ---- tests ---------------------------------------------------------- */

static void test_dir(void)
{
	const size_t *pe = pcap_end_at, *ne = png_end_at;
	static uint8_t big[16 + SNAPLEN + 1], wide[16 + 200], trailing[10];
	static const char text[] = "this is not a capture at all, but it is "
				   "longer than a pcap file header";
	char far_target[256], far_part[256];
	int ffd;
	int expected = 0, got;

	rec_hdr(big, SNAPLEN + 1, SNAPLEN + 1);
	rec_hdr(wide, 200, 100);
	memset(wide + 16, 0xee, 200);
	memset(trailing, 0x55, sizeof(trailing));
	for (size_t i = 0; i < sizeof(garbage); i++)
		garbage[i] = i * 7;

	if (mkdirat(dfd, "web", 0700) || mkdirat(dfd, "web/deep", 0700) ||
	    mkdirat(dfd, "d.pcap.part", 0700))
		printf("# mkdir: %s\n", strerror(errno));

	/* pcap, cut at each kind of place */
	add("hdr.pcap.part", "hdr.pcap", false, 24, NULL, 0, 0);
	add("midhdr.pcap.part", "midhdr.pcap", false, pe[1] + 7, NULL, 0, 1);
	add("middata.pcap.part", "middata.pcap", false, pe[1] + 16 + 50, NULL,
	    0, 1);
	add("edge.pcap.part", "edge.pcap", false, pe[2], NULL, 0, 2);
	add("whole.pcap.part", "whole.pcap", false, pe[NPKT], NULL, 0, NPKT);
	add("lastbyte.pcap.part", "lastbyte.pcap", false, pe[NPKT] - 1, NULL, 0,
	    NPKT - 1);
	add("oversnap.pcap.part", "oversnap.pcap", false, pe[2], big,
	    sizeof(big), 2);
	add("overlen.pcap.part", "overlen.pcap", false, pe[1], wide,
	    sizeof(wide), 1);
	add("tail.pcap.part", "tail.pcap", false, pe[NPKT], trailing,
	    sizeof(trailing), NPKT);
	put_file(dfd, "swapped.pcap.part", swapped_pcap(), pe[2] + 20, NULL, 0);
	add_done("swapped.pcap.part", "swapped.pcap", pe[2], 2);
	add("short.pcap.part", NULL, false, 23, NULL, 0, 0);
	/* Empty: made just before a crash; nothing to keep, so removed. */
	put_file(dfd, "empty.pcap.part", NULL, 0, NULL, 0);
	add("garbage.pcap.part", NULL, false, 0, text, sizeof(text), 0);

	/* pcapng, the same */
	add("hdr.pcapng.part", "hdr.pcapng", true, ne[0], NULL, 0, 0);
	add("midhdr.pcapng.part", "midhdr.pcapng", true, ne[1] + 6, NULL, 0, 1);
	add("middata.pcapng.part", "middata.pcapng", true, ne[1] + 40, NULL, 0,
	    1);
	add("edge.pcapng.part", "edge.pcapng", true, ne[2], NULL, 0, 2);
	add("lastbyte.pcapng.part", "lastbyte.pcapng", true, ne[NPKT] - 1, NULL,
	    0, NPKT - 1);
	add("midisb.pcapng.part", "midisb.pcapng", true, ne[NPKT] + 10, NULL, 0,
	    NPKT);
	add("whole.pcapng.part", "whole.pcapng", true, png_len, NULL, 0, NPKT);
	add("shb.pcapng.part", NULL, true, 20, NULL, 0, 0);
	add("garbage.pcapng.part", NULL, true, 0, garbage, sizeof(garbage), 0);
	add("pcap-in-png.pcapng.part", NULL, false, pe[2], NULL, 0, 0);

	/* names taken: never replaced */
	put_file(dfd, "clash.pcap", text, sizeof(text), NULL, 0);
	add("clash.pcap.part", "clash.1.pcap", false, pe[3], NULL, 0, 3);
	put_file(dfd, "web/c.7.pcapng", text, sizeof(text), NULL, 0);
	put_file(dfd, "web/c.7.1.pcapng", text, 1, NULL, 0);
	add("web/c.7.pcapng.part", "web/c.7.2.pcapng", true, ne[3] + 3, NULL, 0,
	    3);

	/* one level of subdirectories, not two */
	add("web/curl-12.20261122T031500Z.3.pcapng.part",
	    "web/curl-12.20261122T031500Z.3.pcapng", true, ne[2] + 1, NULL, 0,
	    2);
	add("web/curl-12.pcap.part", "web/curl-12.pcap", false, pe[1] + 3, NULL,
	    0, 1);
	add("d.pcap.part/in-dir.pcap.part", "d.pcap.part/in-dir.pcap", false,
	    pe[1], NULL, 0, 1);
	add("web/deep/z.pcap.part", NULL, false, pe[1] + 3, NULL, 0, 0);

	/* not chunks being written */
	add("keep.pcap", NULL, false, pe[1] + 3, NULL, 0, 0);
	add("keep.pcapng", NULL, true, ne[1] + 3, NULL, 0, 0);
	add("notes.txt.part", NULL, false, pe[1] + 3, NULL, 0, 0);
	add("x.pcap.partial", NULL, false, pe[1] + 3, NULL, 0, 0);
	add(".pcap.part", NULL, false, pe[1] + 3, NULL, 0, 0);

	/* symlinks: to a cut capture outside, and to a directory of them */
	snprintf(far_target, sizeof(far_target), "%s/target.pcap", far);
	put_file(AT_FDCWD, far_target, pcap_buf, pe[1] + 3, NULL, 0);
	ffd = open(far, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	put_file(ffd, "y.pcap.part", pcap_buf, pe[1] + 3, NULL, 0);
	close(ffd);
	if (symlinkat(far_target, dfd, "link.pcap.part") ||
	    symlinkat(far, dfd, "linkdir") ||
	    symlinkat("hdr.pcap.part", dfd, "rel.pcap.part"))
		printf("# symlink: %s\n", strerror(errno));

	expected = 1; /* empty.pcap.part */
	for (int i = 0; i < ncases; i++)
		expected += cases[i].final != NULL;
	got = recover_dir(dfd, NULL, NULL);
	ok(!exists("empty.pcap.part") && !exists("empty.pcap"),
	   "an empty chunk is removed, not renamed");
	ok(got == expected, "recover_dir finished %d chunks (%d)", expected,
	   got);
	for (int i = 0; i < ncases; i++)
		check_case(&cases[i]);

	ok(size_at(dfd, "clash.pcap") == sizeof(text) &&
		   size_at(dfd, "web/c.7.pcapng") == sizeof(text) &&
		   size_at(dfd, "web/c.7.1.pcapng") == 1,
	   "taken names kept their files");
	ok(size_at(AT_FDCWD, far_target) == (off_t)(pe[1] + 3),
	   "a symlink's target is left alone");
	ok(exists("link.pcap.part") && exists("rel.pcap.part") &&
		   !exists("link.pcap") && !exists("rel.pcap"),
	   "symlinks are skipped");
	snprintf(far_part, sizeof(far_part), "%s/y.pcap.part", far);
	ok(size_at(AT_FDCWD, far_part) == (off_t)(pe[1] + 3),
	   "a symlinked directory is not entered");
	ok(exists("d.pcap.part") && exists("web/deep"),
	   "directories are not renamed");

	got = recover_dir(dfd, NULL, NULL);
	ok(got == 0, "a second run finishes nothing (%d)", got);
	ok(exists("garbage.pcap.part") && exists("short.pcap.part"),
	   "and still leaves what it cannot finish");
}

/* Blocks a file holds past its end, rounded to whole blocks. */
static long long past_end(int dir, const char *rel)
{
	struct stat st;

	if (fstatat(dir, rel, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	return (long long)st.st_blocks * 512 -
	       (st.st_size + st.st_blksize - 1) / st.st_blksize * st.st_blksize;
}

/*
 * A chunk left by a crash with disk space reserved past its end (the
 * writers reserve ahead of their buffers): finished whole, the space given
 * back, whether or not it needed cutting.
 */
static void test_reserved(void)
{
	static const char *const names[] = { "r0.pcap.part", "r1.pcap.part",
					     "r2.pcapng.part" };
	const size_t lens[] = { pcap_end_at[2], pcap_end_at[2] + 5,
				png_end_at[2] };
	char final[64];

	for (int i = 0; i < 3; i++) {
		int fd, err, reserved;

		put_file(dfd, names[i], i < 2 ? pcap_buf : png_buf, lens[i],
			 NULL, 0);
		fd = openat(dfd, names[i], O_RDWR | O_CLOEXEC);
		reserved = fd >= 0 && !fallocate(fd, FALLOC_FL_KEEP_SIZE,
						 lens[i], 1 << 20);
		if (fd >= 0)
			close(fd);
		if (!reserved) {
			printf("ok %d - # SKIP %s: no fallocate here\n",
			       ++tap_n, names[i]);
			continue;
		}
		err = recover_file(dfd, names[i], final, sizeof(final));
		ok(err == 0 && past_end(dfd, final) <= 0 &&
			   size_at(dfd, final) ==
				   (off_t)(i == 2 ? png_end_at[2]
						  : pcap_end_at[2]),
		   "%s: finished whole, its reserved MiB given back (%lld bytes "
		   "past its end)",
		   names[i], past_end(dfd, final));
	}
}

static void test_file(void)
{
	char final[64];
	int err;

	put_file(dfd, "one.pcap.part", pcap_buf, pcap_end_at[2] + 5, NULL, 0);
	err = recover_file(dfd, "one.pcap.part", final, 8);
	ok(err == -ENAMETOOLONG && !strcmp(final, ""),
	   "a name not fitting the buffer: -ENAMETOOLONG (%d)", err);
	ok(exists("one.pcap.part") && !exists("one.pcap"),
	   "and nothing renamed");
	err = recover_file(dfd, "one.pcap.part", final, sizeof(final));
	ok(err == 0, "recover_file returns 0 (%d)", err);
	is_str(final, "one.pcap", "and names the file");
	ok(size_at(dfd, "one.pcap") == (off_t)pcap_end_at[2], "cut to 2");

	put_file(dfd, "one.pcap.part", pcap_buf, pcap_end_at[1], NULL, 0);
	err = recover_file(dfd, "one.pcap.part", final, sizeof(final));
	is_str(final, "one.1.pcap", "a taken name gets .1");

	put_file(dfd, "web/two.pcapng.part", png_buf, png_end_at[1] + 2, NULL,
		 0);
	err = recover_file(dfd, "web/two.pcapng.part", final, sizeof(final));
	is_str(final, "web/two.pcapng", "a subdirectory is kept in @final");

	err = recover_file(dfd, "one.pcap", final, sizeof(final));
	ok(err == -EINVAL, "a name without .part: -EINVAL (%d)", err);
	err = recover_file(dfd, "garbage.pcap.part", final, sizeof(final));
	ok(err == -EBADMSG && !strcmp(final, ""),
	   "not a capture: -EBADMSG (%d)", err);
	err = recover_file(dfd, "link.pcap.part", final, sizeof(final));
	ok(err == -ELOOP, "a symlink: -ELOOP (%d)", err);
	err = recover_file(dfd, "linkdir/y.pcap.part", final, sizeof(final));
	ok(err < 0 && exists("linkdir/y.pcap.part"),
	   "a symlinked directory: refused (%d)", err);
	err = recover_file(dfd, "d.pcap.part", final, sizeof(final));
	ok(err == -EINVAL, "a directory: -EINVAL (%d)", err);
	err = recover_file(dfd, "../far/y.pcap.part", final, sizeof(final));
	ok(err < 0, "a path out of the directory: refused (%d)", err);
	err = recover_file(dfd, "/tmp/y.pcap.part", final, sizeof(final));
	ok(err < 0, "an absolute path: refused (%d)", err);
	err = recover_file(dfd, "missing.pcap.part", final, sizeof(final));
	ok(err == -ENOENT, "a missing file: -ENOENT (%d)", err);
}

int main(void)
{
	int fds;

	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(top, sizeof(top), "/tmp/netrec-test-recover.XXXXXX");
	if (!mkdtemp(top)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(out, sizeof(out), "%s/out", top);
	snprintf(src, sizeof(src), "%s/src", top);
	snprintf(far, sizeof(far), "%s/far", top);
	if (mkdir(out, 0700) || mkdir(src, 0700) || mkdir(far, 0700) ||
	    (dfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    make_masters()) {
		printf("Bail out! cannot set up %s\n", top);
		tu_rm_tree(top);
		return 1;
	}
	/* A blocking read would hang the suite rather than fail it. */
	alarm(60);

	fds = tu_count_fds();
	test_dir();
	test_file();
	test_reserved();
	ok(tu_count_fds() == fds, "no file descriptor leaked (%d, %d)",
	   tu_count_fds(), fds);

	close(dfd);
	free(pcap_buf);
	free(png_buf);
	tu_rm_tree(top);
	return tap_done();
}
