// SPDX-License-Identifier: GPL-2.0
/*
 * Retention: delete the oldest finished chunks, with their sidecars, when
 * they take more room than the user allows.  See retention.h for what
 * counts as a chunk, a sidecar and a hold.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "log.h"
#include "outdir.h"
#include "retention.h"
#include "safeopen.h"
#include "units.h"

/* Files and subdirectories listed per pass: ~100 MB at worst. */
#define MAX_SCAN 1000000
#define PART_SUFFIX ".part"
#define HOLD_SUFFIX ".hold"
#define ZST_SUFFIX ".zst"

static const char *const chunk_exts[] = {
	".pcap",
	".pcapng",
	".pcap.zst",
	".pcapng.zst",
};

struct rfile {
	char *path;    /* relative to dirfd: "name" or "sub/name" */
	uint64_t size; /* st_size; a chunk's includes its sidecars' */
	struct timespec mtime;
	uint32_t base; /* where the name starts in @path */
	int32_t next;  /* a chunk's first sidecar, a sidecar's next; -1 */
	bool chunk;
};

struct scan {
	struct rfile *v;
	size_t n, cap;
	size_t nsubs;
	bool truncated;
};

struct state {
	int dirfd;
	uint64_t max_total, total;
	uint64_t need, avail, deficit, freed;
};

static bool has_suffix(const char *s, size_t n, const char *suf)
{
	size_t l = strlen(suf);

	return n >= l && !memcmp(s + n - l, suf, l);
}

static bool is_chunk_name(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(chunk_exts) / sizeof(*chunk_exts); i++)
		if (n > strlen(chunk_exts[i]) &&
		    has_suffix(name, n, chunk_exts[i]))
			return true;
	return false;
}

/*
 * Only a cheap filter, so that unrelated files cost no stat() or memory:
 * whether @name really is "<chunk>.<more>" is decided once the chunks of
 * its directory are known.  Every chunk name holds ".pcap".
 */
static bool maybe_sidecar(const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (has_suffix(name, n, PART_SUFFIX) ||
	    has_suffix(name, n, HOLD_SUFFIX))
		return false;
	p = strstr(name, ".pcap");
	return p && strchr(p + 1, '.');
}

static bool scan_full(struct scan *sc)
{
	if (sc->n + sc->nsubs < MAX_SCAN)
		return false;
	sc->truncated = true;
	return true;
}

static int add_file(struct scan *sc, const char *sub, const char *name,
		    const struct stat *st, bool chunk)
{
	size_t sl = sub ? strlen(sub) + 1 : 0, nl = strlen(name);
	struct rfile *f;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 256;
		struct rfile *v = realloc(sc->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		sc->v = v;
		sc->cap = cap;
	}
	f = &sc->v[sc->n];
	f->path = malloc(sl + nl + 1);
	if (!f->path)
		return -ENOMEM;
	if (sub) {
		memcpy(f->path, sub, sl - 1);
		f->path[sl - 1] = '/';
	}
	memcpy(f->path + sl, name, nl + 1);
	f->base = sl;
	f->size = st->st_size;
	f->mtime = st->st_mtim;
	f->next = -1;
	f->chunk = chunk;
	sc->n++;
	return 0;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct rfile *)a)->path,
		      ((const struct rfile *)b)->path);
}

/* strcmp() of the first @klen bytes of @key, as a string, with @path. */
static int cmp_prefix(const char *key, size_t klen, const char *path)
{
	int c = strncmp(key, path, klen);

	if (c)
		return c;
	return path[klen] ? -1 : 0;
}

/* The file in v[lo, hi), sorted by path, whose path is @key[0, @klen). */
static struct rfile *find_path(struct rfile *v, size_t lo, size_t hi,
			       const char *key, size_t klen)
{
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_prefix(key, klen, v[mid].path);

		if (!c)
			return &v[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/*
 * Compression keeps the pair together by name: "x.pcap.idx.jsonl.zst"
 * belongs to "x.pcap.zst".  The chunk's name, if @p is such a sidecar.
 */
static struct rfile *find_zst_chunk(struct rfile *v, size_t lo, size_t hi,
				    const char *p, size_t base)
{
	size_t n = strlen(p), z = strlen(".zst");
	char key[PATH_MAX];

	if (n <= z || strcmp(p + n - z, ".zst") || n >= sizeof(key))
		return NULL;
	for (size_t k = n - z - 1; k > base; k--) {
		struct rfile *c;

		if (p[k] != '.')
			continue;
		snprintf(key, sizeof(key), "%.*s.zst", (int)k, p);
		c = find_path(v, lo, hi, key, strlen(key));
		if (c && c->chunk)
			return c;
	}
	return NULL;
}

/*
 * Hang each sidecar in v[lo, hi), one directory's files sorted by path, on
 * its chunk.  Trying the longest "<chunk>." prefix first is what gives
 * "x.pcap.zst.idx" to "x.pcap.zst" rather than to "x.pcap".
 */
static void link_sidecars(struct rfile *v, size_t lo, size_t hi)
{
	for (size_t i = lo; i < hi; i++) {
		const char *p = v[i].path;
		struct rfile *c = NULL;

		if (v[i].chunk)
			continue;
		for (size_t k = strlen(p) - 1; !c && k > v[i].base; k--) {
			if (p[k] != '.')
				continue;
			c = find_path(v, lo, hi, p, k);
			if (c && !c->chunk)
				c = NULL;
		}
		if (!c)
			c = find_zst_chunk(v, lo, hi, p, v[i].base);
		if (!c)
			continue;
		v[i].next = c->next;
		c->next = i;
		c->size += v[i].size;
	}
}

/*
 * Note a chunk or what may be a sidecar, and count subdirectories, which
 * the walk lists next, towards MAX_SCAN.
 */
static int note_file(int fd, const char *sub, const char *name, int type,
		     void *arg)
{
	struct scan *sc = arg;
	struct stat st;
	bool chunk;

	if (!sub && type == DT_DIR) {
		if (scan_full(sc))
			return OUTDIR_STOP;
		sc->nsubs++;
		return 0;
	}
	chunk = is_chunk_name(name);
	if (!chunk && !maybe_sidecar(name))
		return 0;
	if (type != DT_REG && type != DT_UNKNOWN)
		return 0;
	/* A file removed since readdir() is simply not there. */
	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode))
		return 0;
	if (scan_full(sc))
		return OUTDIR_STOP;
	return add_file(sc, sub, name, &st, chunk);
}

static bool same_dir(const struct rfile *a, const struct rfile *b)
{
	return a->base == b->base && !memcmp(a->path, b->path, a->base);
}

/* The walk lists a directory's files together: link them per directory. */
static void link_all(struct scan *sc)
{
	size_t lo, hi;

	for (lo = 0; lo < sc->n; lo = hi) {
		for (hi = lo + 1;
		     hi < sc->n && same_dir(&sc->v[lo], &sc->v[hi]); hi++)
			;
		qsort(sc->v + lo, hi - lo, sizeof(*sc->v), cmp_path);
		link_sidecars(sc->v, lo, hi);
	}
}

static void scan_free(struct scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		free(sc->v[i].path);
	free(sc->v);
}

static int cmp_age(const void *a, const void *b)
{
	const struct rfile *x = *(struct rfile *const *)a;
	const struct rfile *y = *(struct rfile *const *)b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
	return strcmp(x->path, y->path);
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	uint64_t r;

	return __builtin_mul_overflow(a, b, &r) ? UINT64_MAX : r;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static bool policy_holds(const struct state *s)
{
	return (!s->max_total || s->total <= s->max_total) &&
	       s->freed >= s->deficit;
}

static void why(const struct state *s, char *buf, size_t len)
{
	if (s->max_total && s->total > s->max_total)
		snprintf(buf, len,
			 "chunks take %" PRIu64 " bytes, more than %" PRIu64,
			 s->total, s->max_total);
	else
		snprintf(buf, len, "%" PRIu64 " bytes free, %" PRIu64 " wanted",
			 sat_add(s->avail, s->freed), s->need);
}

/* Whether "<name[0, len)>.hold" exists; when in doubt, it does. */
static bool held_by(int fd, const char *name, size_t len)
{
	char hold[NAME_MAX + 1];
	struct stat st;

	if (len + strlen(HOLD_SUFFIX) > NAME_MAX)
		return false;
	memcpy(hold, name, len);
	strcpy(hold + len, HOLD_SUFFIX);
	if (!fstatat(fd, hold, &st, AT_SYMLINK_NOFOLLOW))
		return true;
	if (errno == ENOENT)
		return false;
	pr_warn("cannot tell whether %s is held, so keeping it: %s", name,
		strerror(errno));
	return true;
}

static bool is_held(int fd, const char *name)
{
	size_t n = strlen(name), zl = strlen(ZST_SUFFIX);

	if (held_by(fd, name, n))
		return true;
	/* The hold a chunk got before it was compressed still holds it. */
	return has_suffix(name, n, ZST_SUFFIX) && held_by(fd, name, n - zl);
}

/* The file is gone, by us or by someone else: it no longer counts. */
static void forget(struct state *s, struct rfile *chunk, uint64_t size)
{
	s->total -= size;
	s->freed = sat_add(s->freed, size);
	chunk->size -= size;
}

/*
 * Delete @c and its sidecars, in @v.  Returns 1 if done, 0 if someone else
 * had deleted the chunk, -1 if it is kept (held, or an error).
 */
static int delete_chunk(struct state *s, struct rfile *v, struct rfile *c)
{
	const char *name;
	char reason[128];
	int fd, ret = -1;

	/*
	 * Open the subdirectory again rather than unlink "sub/name": a
	 * symlink put in place of "sub" since the listing must not be
	 * followed.
	 */
	fd = open_parent_beneath(s->dirfd, c->path, &name);
	if (fd == -ENOENT) {
		forget(s, c, c->size);
		return 0;
	}
	if (fd < 0) {
		pr_warn("cannot delete %s: %s", c->path, strerror(-fd));
		return -1;
	}
	if (is_held(fd, name)) {
		pr_debug("keeping %s: held", c->path);
		goto out;
	}
	why(s, reason, sizeof(reason));
	for (int32_t i = c->next; i >= 0; i = v[i].next) {
		struct rfile *f = &v[i];

		if (!unlinkat(fd, f->path + f->base, 0))
			pr_info("deleted %s (sidecar of %s)", f->path, c->path);
		else if (errno != ENOENT) {
			/* The chunk would most likely fail as well. */
			pr_warn("cannot delete %s, so keeping %s: %s", f->path,
				c->path, strerror(errno));
			goto out;
		}
		forget(s, c, f->size);
	}
	if (!unlinkat(fd, name, 0)) {
		pr_info("deleted %s (%s)", c->path, reason);
		ret = 1;
	} else if (errno == ENOENT) {
		ret = 0;
	} else {
		pr_warn("cannot delete %s: %s", c->path, strerror(errno));
		goto out;
	}
	forget(s, c, c->size);
out:
	close(fd);
	return ret;
}

static int read_free_space(struct state *s, const struct retention_policy *p)
{
	uint64_t frsize, fs_size, pct_need;
	struct statvfs vfs;

	if (fstatvfs(s->dirfd, &vfs))
		return -errno;
	frsize = vfs.f_frsize ? vfs.f_frsize : vfs.f_bsize;
	s->avail = sat_mul(vfs.f_bavail, frsize);
	fs_size = sat_mul(vfs.f_blocks, frsize);
	/* Split so that no file system size overflows the product. */
	pct_need = fs_size / 100 * p->min_free_pct +
		   fs_size % 100 * p->min_free_pct / 100;
	s->need = p->min_free > pct_need ? p->min_free : pct_need;
	s->deficit = s->need > s->avail ? s->need - s->avail : 0;
	return 0;
}

int retention_apply(int dirfd, const struct retention_policy *p)
{
	struct state s = { .dirfd = dirfd, .max_total = p->max_total };
	struct rfile **order = NULL;
	struct scan sc = { 0 };
	size_t nchunks = 0;
	int err = 0, deleted = 0;

	if (p->min_free_pct > 100)
		return -EINVAL;
	if (p->min_free || p->min_free_pct) {
		err = read_free_space(&s, p);
		if (err) {
			pr_err("cannot read the free space of the output directory: %s",
			       strerror(-err));
			return err;
		}
	}
	/* No listing at all on the common pass that has nothing to do. */
	if (!s.max_total && !s.deficit)
		return 0;

	err = outdir_walk(dirfd, "old chunks", note_file, &sc);
	if (err)
		goto out;
	link_all(&sc);
	if (sc.truncated)
		pr_warn("more than %d files in the output directory: retention only looks at some of them",
			MAX_SCAN);

	for (size_t i = 0; i < sc.n; i++) {
		if (!sc.v[i].chunk)
			continue;
		s.total = sat_add(s.total, sc.v[i].size);
		nchunks++;
	}
	if (policy_holds(&s))
		goto out;
	order = malloc((nchunks ? nchunks : 1) * sizeof(*order));
	if (!order) {
		err = -ENOMEM;
		goto out;
	}
	nchunks = 0;
	for (size_t i = 0; i < sc.n; i++)
		if (sc.v[i].chunk)
			order[nchunks++] = &sc.v[i];
	qsort(order, nchunks, sizeof(*order), cmp_age);

	for (size_t i = 0; i < nchunks && !policy_holds(&s); i++)
		if (delete_chunk(&s, sc.v, order[i]) > 0)
			deleted++;
	if (!policy_holds(&s)) {
		char reason[128];

		why(&s, reason, sizeof(reason));
		pr_warn("retention limits not met (%s): the chunks left are held or could not be deleted",
			reason);
	}
out:
	free(order);
	scan_free(&sc);
	return err ? err : deleted;
}

int retention_parse_min_free(const char *s, uint64_t *bytes, unsigned int *pct)
{
	size_t n = strlen(s);
	uint64_t v;

	if (n && s[n - 1] == '%') {
		if (!parse_digits(s, n - 1, &v) || v > 100)
			return -EINVAL;
		*pct = v;
		*bytes = 0;
		return 0;
	}
	if (parse_size(s, &v))
		return -EINVAL;
	*bytes = v;
	*pct = 0;
	return 0;
}
