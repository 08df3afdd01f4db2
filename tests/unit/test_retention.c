// SPDX-License-Identifier: GPL-2.0
/*
 * Retention: which chunks go, in which order, with what, and what is never
 * touched (held chunks, .part files, symlinks and what they point to).
 * Files are sparse: sizes are st_size, which is what retention counts.
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

#include "log.h"
#include "retention.h"
#include "tap.h"
#include "testutil.h"

#define T0 1700000000
#define NMANY 3000

/* @top holds @out, the directory retention works on, and @far, outside. */
static char top[64], out[128], far[128], logpath[128];

static void mkfile_at(int dfd, const char *rel, off_t size, time_t mtime)
{
	struct timespec ts[2] = { { T0 + mtime, 0 }, { T0 + mtime, 0 } };
	int fd = openat(dfd, rel, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC,
			0600);

	if (fd < 0 || ftruncate(fd, size) || close(fd) ||
	    utimensat(dfd, rel, ts, AT_SYMLINK_NOFOLLOW)) {
		perror(rel);
		exit(2);
	}
}

static void mklink_at(int dfd, const char *rel, const char *target,
		      time_t mtime)
{
	struct timespec ts[2] = { { T0 + mtime, 0 }, { T0 + mtime, 0 } };

	if (symlinkat(target, dfd, rel) ||
	    utimensat(dfd, rel, ts, AT_SYMLINK_NOFOLLOW)) {
		perror(rel);
		exit(2);
	}
}

static bool exists_at(int dfd, const char *rel)
{
	struct stat st;

	return !fstatat(dfd, rel, &st, AT_SYMLINK_NOFOLLOW);
}

/* Whether each of @names (NULL-terminated) exists, as @want says. */
static bool all(int dfd, const char *const *names, bool want)
{
	bool good = true;

	for (; *names; names++) {
		if (exists_at(dfd, *names) != want) {
			printf("#   %s %s\n", *names,
			       want ? "missing" : "still there");
			good = false;
		}
	}
	return good;
}

static int mkdir_or_die(const char *path)
{
	if (mkdir(path, 0700)) {
		perror(path);
		exit(2);
	}
	return open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/*
 * Group sizes (chunk and sidecars):
 *   a.pcap        1100  t=100  held by a.pcap.hold
 *   hz.pcap.zst   1000  t=120  held by hz.pcap.hold (before compression)
 *   h.pcap.zst    1010  t=150
 *   b.pcap        1080  t=200
 *   sub/c.pcapng  1020  t=300
 *   sub/u.pcap    1000  t=400  ("sub/u.pcap" < "t.pcap": goes first)
 *   t.pcap        1000  t=400
 *   f.pcap        1000  t=600
 *   h.pcap        1000  t=700
 * 9210 in all.  The rest is older but never counted nor deleted.
 */
static void make_fixture(int dfd)
{
	char path[256];
	int fd;

	mkfile_at(dfd, "a.pcap", 1000, 100);
	mkfile_at(dfd, "a.pcap.idx.jsonl", 100, 900);
	mkfile_at(dfd, "a.pcap.hold", 0, 1);
	mkfile_at(dfd, "hz.pcap.zst", 1000, 120);
	mkfile_at(dfd, "hz.pcap.hold", 0, 1);
	mkfile_at(dfd, "h.pcap.zst", 1000, 150);
	mkfile_at(dfd, "h.pcap.zst.idx.jsonl", 10, 150);
	mkfile_at(dfd, "b.pcap", 1000, 200);
	mkfile_at(dfd, "b.pcap.idx.jsonl", 50, 200);
	mkfile_at(dfd, "b.pcap.idx.jsonl.zst", 30, 200);
	mkfile_at(dfd, "b.pcap.idx.jsonl.part", 7, 200);
	mkfile_at(dfd, "t.pcap", 1000, 400);
	mkfile_at(dfd, "f.pcap", 1000, 600);
	mkfile_at(dfd, "h.pcap", 1000, 700);
	mkfile_at(dfd, "g.pcap.part", 5000, 50);
	mkfile_at(dfd, "notes.txt", 10, 1);
	mkfile_at(dfd, "zz.pcap.idx.jsonl", 10, 1);

	fd = mkdirat(dfd, "sub", 0700) ? -1 : openat(dfd, "sub", O_RDONLY);
	if (fd < 0 || mkdirat(fd, "deeper", 0700)) {
		perror("sub");
		exit(2);
	}
	mkfile_at(fd, "c.pcapng", 1000, 300);
	mkfile_at(fd, "c.pcapng.idx.jsonl", 20, 300);
	mkfile_at(fd, "u.pcap", 1000, 400);
	mkfile_at(fd, "v.pcap.part", 5000, 1);
	mkfile_at(fd, "deeper/k.pcap", 1000, 1);
	close(fd);

	/* Outside: a big "chunk", an older one, and a sidecar look-alike. */
	fd = open(far, O_RDONLY | O_DIRECTORY);
	mkfile_at(fd, "big.pcap", 1000000, 1);
	mkfile_at(fd, "old.pcap", 1000, 1);
	mkfile_at(fd, "victim", 10, 1);
	close(fd);
	snprintf(path, sizeof(path), "%s/big.pcap", far);
	mklink_at(dfd, "l.pcap", path, 1);
	snprintf(path, sizeof(path), "%s/victim", far);
	mklink_at(dfd, "f.pcap.idx.jsonl", path, 600);
	mklink_at(dfd, "linkdir", far, 1);
}

static const char *const never_touched[] = {
	"a.pcap",	    "a.pcap.idx.jsonl",	 "a.pcap.hold",
	"hz.pcap.zst",	    "hz.pcap.hold",	 "b.pcap.idx.jsonl.part",
	"g.pcap.part",	    "notes.txt",	 "zz.pcap.idx.jsonl",
	"sub/v.pcap.part",  "sub/deeper/k.pcap", "l.pcap",
	"f.pcap.idx.jsonl", "linkdir",		 "linkdir/big.pcap",
	"linkdir/old.pcap", "linkdir/victim",	 NULL,
};

static void test_fixture(void)
{
	struct retention_policy p = { 0 };
	int dfd, saved, logfd;
	const char *log;
	char *logbuf;

	dfd = open(out, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	make_fixture(dfd);

	/* pr_info goes to stderr: keep it to check every deletion is told. */
	fflush(stderr);
	saved = dup(2);
	logfd = open(logpath, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0600);
	dup2(logfd, 2);

	ok(retention_apply(dfd, &p) == 0, "no limits: nothing done");
	ok(exists_at(dfd, "h.pcap.zst") && exists_at(dfd, "b.pcap"),
	   "no limits: nothing deleted");

	p.max_total = 6200;
	ok(retention_apply(dfd, &p) == 3,
	   "max_total 6200 of 9210: three chunks deleted");
	ok(all(dfd,
	       (const char *const[]){ "h.pcap.zst", "h.pcap.zst.idx.jsonl",
				      "b.pcap", "b.pcap.idx.jsonl",
				      "b.pcap.idx.jsonl.zst", "sub/c.pcapng",
				      "sub/c.pcapng.idx.jsonl", NULL },
	       false),
	   "the oldest unheld chunks went, with their sidecars");
	ok(all(dfd,
	       (const char *const[]){ "h.pcap", "sub/u.pcap", "t.pcap",
				      "f.pcap", NULL },
	       true),
	   "the newer chunks stay (h.pcap is not h.pcap.zst's)");
	ok(all(dfd, never_touched, true),
	   "held chunks, .part, symlinks and what they point to stay");
	ok(retention_apply(dfd, &p) == 0, "max_total 6200 again: no-op");

	p.max_total = 6100;
	ok(retention_apply(dfd, &p) == 0, "max_total exactly met: no-op");
	p.max_total = 6099;
	ok(retention_apply(dfd, &p) == 1, "one byte over: one chunk deleted");
	ok(!exists_at(dfd, "sub/u.pcap") && exists_at(dfd, "t.pcap"),
	   "same mtime: ordered by path, sub/u.pcap before t.pcap");

	p.max_total = 0;
	p.min_free = UINT64_MAX;
	ok(retention_apply(dfd, &p) == 3,
	   "huge min_free: the three chunks left deleted");
	ok(all(dfd, (const char *const[]){ "t.pcap", "f.pcap", "h.pcap", NULL },
	       false),
	   "huge min_free: every unheld chunk gone");
	ok(all(dfd, never_touched, true),
	   "huge min_free: held, .part, symlinks, deeper, orphans stay");
	ok(retention_apply(dfd, &p) == 0, "huge min_free again: stops at 0");

	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(logfd);
	logbuf = tu_slurp(logpath, NULL);
	/* An unreadable log fails the checks below, as an empty one would. */
	log = logbuf ? logbuf : "";
	ok(strstr(log,
		  "deleted b.pcap (chunks take 8200 bytes, more than 6200)\n") &&
		   strstr(log,
			  "deleted b.pcap.idx.jsonl.zst (sidecar of b.pcap)\n") &&
		   strstr(log,
			  "deleted sub/c.pcapng.idx.jsonl (sidecar of sub/c.pcapng)\n") &&
		   strstr(log, "deleted h.pcap (") &&
		   !strstr(log, "deleted a.pcap"),
	   "deletions logged with their reason");
	if (!strstr(log, "deleted b.pcap ("))
		printf("# log:\n%s", log);
	free(logbuf);
	close(dfd);
}

static void test_pct(void)
{
	struct retention_policy p = { .min_free_pct = 100 };
	char path[160];
	int dfd;

	snprintf(path, sizeof(path), "%s/pct", top);
	dfd = mkdir_or_die(path);
	mkfile_at(dfd, "x.pcapng", 10, 1);
	mkfile_at(dfd, "y.pcapng.zst", 10, 2);
	mkfile_at(dfd, "y.pcapng.zst.idx.jsonl", 10, 2);
	mkfile_at(dfd, "z.pcap", 10, 0);
	mkfile_at(dfd, "z.pcap.hold", 0, 0);
	ok(retention_apply(dfd, &p) == 2, "min_free_pct 100: all unheld go");
	ok(all(dfd,
	       (const char *const[]){ "x.pcapng", "y.pcapng.zst",
				      "y.pcapng.zst.idx.jsonl", NULL },
	       false) &&
		   all(dfd,
		       (const char *const[]){ "z.pcap", "z.pcap.hold", NULL },
		       true),
	   "min_free_pct 100: the held chunk stays");
	p.min_free_pct = 101;
	ok(retention_apply(dfd, &p) == -EINVAL, "min_free_pct 101: -EINVAL");
	close(dfd);
}

struct many {
	char name[32];
	time_t mtime;
	off_t size; /* with the sidecar */
	bool sidecar;
};

static int cmp_many(const void *a, const void *b)
{
	const struct many *x = a, *y = b;

	if (x->mtime != y->mtime)
		return x->mtime < y->mtime ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Many chunks, many equal mtimes: exactly the oldest ones go. */
static void test_many(void)
{
	struct retention_policy p = { 0 };
	static struct many m[NMANY];
	uint32_t seed = 12345;
	uint64_t total = 0, left;
	char path[160];
	int dfd, sub, n, want = 0;
	bool good = true;

	snprintf(path, sizeof(path), "%s/many", top);
	dfd = mkdir_or_die(path);
	if (mkdirat(dfd, "s", 0700))
		exit(2);
	sub = openat(dfd, "s", O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < NMANY; i++) {
		int d = i % 3 ? dfd : sub;

		seed = seed * 1103515245 + 12345;
		snprintf(m[i].name, sizeof(m[i].name), "%sc%04d.pcap",
			 d == sub ? "s/" : "", i);
		m[i].mtime = (seed >> 8) % 500;
		m[i].size = 10 + i % 7;
		m[i].sidecar = i % 2;
		mkfile_at(dfd, m[i].name, m[i].size, m[i].mtime);
		if (m[i].sidecar) {
			snprintf(path, sizeof(path), "%.*s.idx.jsonl",
				 (int)sizeof(m[i].name), m[i].name);
			mkfile_at(dfd, path, 3, 0);
			m[i].size += 3;
		}
		total += m[i].size;
	}
	qsort(m, NMANY, sizeof(*m), cmp_many);
	p.max_total = total / 2;
	for (left = total; left > p.max_total; want++)
		left -= m[want].size;

	/* 1,500 "deleted" lines would bury the TAP output. */
	log_set_level(NR_LOG_WARN);
	n = retention_apply(dfd, &p);
	log_set_level(NR_LOG_INFO);
	ok(n == want, "%d chunks: %d deleted, %d expected", NMANY, n, want);
	for (int i = 0; i < NMANY; i++) {
		bool gone = i < want;

		snprintf(path, sizeof(path), "%.*s.idx.jsonl",
			 (int)sizeof(m[i].name), m[i].name);
		if (exists_at(dfd, m[i].name) == gone ||
		    (m[i].sidecar && exists_at(dfd, path) == gone)) {
			printf("#   %s (#%d by age) wrongly %s\n", m[i].name, i,
			       gone ? "kept" : "deleted");
			good = false;
		}
	}
	ok(good, "%d chunks: exactly the oldest deleted, with sidecars", NMANY);
	close(sub);
	close(dfd);
}

static void test_parse(void)
{
	static const struct {
		const char *s;
		int ret;
		uint64_t bytes;
		unsigned int pct;
	} cases[] = {
		{ "10%", 0, 0, 10 },
		{ "0%", 0, 0, 0 },
		{ "100%", 0, 0, 100 },
		{ "100", 0, 100000000ULL, 0 },
		{ "0", 0, 0, 0 },
		{ "5g", 0, 5ULL << 30, 0 },
		{ "5G", 0, 5ULL << 30, 0 },
		{ "1k", 0, 1024, 0 },
		{ "2M", 0, 2ULL << 20, 0 },
		{ "18446744073709", 0, 18446744073709000000ULL, 0 },
		{ "18446744073710", -EINVAL, 0, 0 },
		{ "17179869184g", -EINVAL, 0, 0 },
		{ "101%", -EINVAL, 0, 0 },
		{ "abc", -EINVAL, 0, 0 },
		{ "", -EINVAL, 0, 0 },
		{ "%", -EINVAL, 0, 0 },
		{ "g", -EINVAL, 0, 0 },
		{ "-1", -EINVAL, 0, 0 },
		{ " 10", -EINVAL, 0, 0 },
		{ "10 %", -EINVAL, 0, 0 },
		{ "10%%", -EINVAL, 0, 0 },
		{ "5gb", -EINVAL, 0, 0 },
		{ "0x10", -EINVAL, 0, 0 },
		{ "99999999999999999999999%", -EINVAL, 0, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		uint64_t bytes = 7;
		unsigned int pct = 7;
		int ret = retention_parse_min_free(cases[i].s, &bytes, &pct);

		if (cases[i].ret)
			ok(ret == cases[i].ret && bytes == 7 && pct == 7,
			   "\"%s\" invalid, nothing written", cases[i].s);
		else
			ok(!ret && bytes == cases[i].bytes &&
				   pct == cases[i].pct,
			   "\"%s\" is %llu bytes, %u%%", cases[i].s,
			   (unsigned long long)cases[i].bytes, cases[i].pct);
	}
}

int main(void)
{
	snprintf(top, sizeof(top), "/tmp/test_retention.XXXXXX");
	if (!mkdtemp(top)) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(out, sizeof(out), "%s/out", top);
	snprintf(far, sizeof(far), "%s/far", top);
	snprintf(logpath, sizeof(logpath), "%s/log", top);
	close(mkdir_or_die(out));
	close(mkdir_or_die(far));

	test_fixture();
	test_pct();
	test_many();
	test_parse();

	tu_rm_tree(top);
	return tap_done();
}
