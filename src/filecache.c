// SPDX-License-Identifier: GPL-2.0
/*
 * Output files as chunks.  Each split key (a process, a container, ...) has
 * at most one chunk being written, named "<final name>.part" so that
 * nothing that globs *.pcap ever sees it half-written.  A chunk is finished
 * (flushed, fsync'ed, renamed to its final name) when it reaches -C bytes,
 * when its -G period ends, after --idle-close seconds without a packet, on
 * SIGHUP, after a write error, and at exit.
 */
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digest.h"
#include "filecache.h"
#include "hashtab.h"
#include "index.h"
#include "log.h"
#include "recover.h"
#include "safeopen.h"
#include "sanitize.h"

/* "sub/base" with room for both sanitised components. */
#define STEM_MAX (2 * NR_NAME_MAX + 2)
/* ... plus ".YYYYMMDDTHHMMSSZ.NNNNNNNNNN.NNNN.pcapng.part". */
#define REL_MAX (STEM_MAX + 64)
#define PART ".part"

struct outfile {
	char stem[STEM_MAX]; /* hash key: zero padded */
	char final[REL_MAX]; /* the current chunk's name once finished */
	char part[REL_MAX + sizeof(PART)]; /* ... and while it is written */
	bool in_chunk; /* a chunk is being written (open or set aside) */
	bool full;     /* -C reached: finish before the next packet */
	struct format_file *ff;	       /* NULL while closed */
	struct outfile *prev, *next;   /* LRU list of open files */
	struct outfile *aprev, *anext; /* list of files in a chunk */
	struct pcapng_stats stats;     /* of the current chunk */
	struct digest *digest;	       /* SHA-256 of the chunk so far */
	void *hook;		       /* the hooks' handle for the chunk */
	uint64_t bytes;		       /* of the current chunk */
	uint64_t deadline_ns;	       /* -G: wall clock end of the chunk */
	uint64_t last_write;	       /* monotonic, for --idle-close */
	unsigned int seq;	       /* chunks made for this key */
	char (*ring)[REL_MAX];	       /* -W: finished chunks, oldest first */
	unsigned int nring;
};

struct filecache {
	int dirfd;
	struct format_spec spec;
	struct chunk_policy policy;
	unsigned int max_open;
	unsigned int nopen;
	struct outfile lru;    /* head: most recent first */
	struct outfile active; /* files in a chunk */
	struct hashtab *files;
	unsigned int chunks; /* finished */
	int last_logged_err;
	filecache_done_fn done;
	void *done_arg;
	const struct chunk_hooks *hooks;
	void *hooks_arg;
	uint64_t lost;	  /* written, then cut off after a write error */
	char **recovered; /* chunks of a crashed run, for the done callback */
	size_t nrecovered;
	/* -Z: chunks made by root before the switch are the user's too. */
	_Atomic long long owner; /* uid << 32 | gid, or -1 */
};

static int open_outdir(const char *dir, uid_t trusted)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0700) && errno != EEXIST) {
		pr_err("cannot create output directory %s: %s", dir,
		       strerror(errno));
		return -errno;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		pr_err("cannot open output directory %s: %s", dir,
		       errno == ELOOP || errno == ENOTDIR
			       ? "not a directory (symlinks are refused)"
			       : strerror(errno));
		return err;
	}
	/* -Z gave it to @trusted in an earlier run: that is fine too. */
	if (fstat(fd, &st) || (st.st_uid != geteuid() && st.st_uid != 0 &&
			       st.st_uid != trusted)) {
		pr_err("output directory %s belongs to another user (uid %u); refusing to write there",
		       dir, (unsigned int)st.st_uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

static void remember_recovered(void *arg, const char *relpath)
{
	struct filecache *fc = arg;
	char **v;

	v = realloc(fc->recovered, (fc->nrecovered + 1) * sizeof(*v));
	if (!v)
		return;
	fc->recovered = v;
	v[fc->nrecovered] = strdup(relpath);
	if (v[fc->nrecovered])
		fc->nrecovered++;
}

int filecache_open(struct filecache **out, const char *dir,
		   unsigned int max_open, const struct format_spec *spec,
		   const struct chunk_policy *policy)
{
	struct filecache *fc = calloc(1, sizeof(*fc));
	int err;

	if (!fc)
		return -ENOMEM;
	fc->files = hashtab_new(STEM_MAX);
	if (!fc->files) {
		free(fc);
		return -ENOMEM;
	}
	fc->dirfd = open_outdir(dir, policy->trusted_uid);
	if (fc->dirfd < 0) {
		err = fc->dirfd;
		hashtab_free(fc->files);
		free(fc);
		return err;
	}
	/*
	 * What a crashed run left half-written is finished first; its
	 * chunks go on to post-processing like any other.
	 */
	err = recover_dir(fc->dirfd, remember_recovered, fc);
	if (err > 0)
		pr_info("finished %d chunk(s) an earlier run left in %s", err,
			dir);
	fc->spec = *spec;
	fc->policy = *policy;
	fc->max_open = max_open;
	fc->lru.next = fc->lru.prev = &fc->lru;
	fc->active.anext = fc->active.aprev = &fc->active;
	atomic_init(&fc->owner, -1);
	*out = fc;
	return 0;
}

static void log_error(struct filecache *fc, const char *what, const char *rel,
		      int err)
{
	/* One line per kind of failure, not one per packet. */
	if (err == fc->last_logged_err)
		return;
	fc->last_logged_err = err;
	pr_err("%s %s: %s", what, rel, strerror(-err));
}

static void lru_unlink(struct outfile *f)
{
	f->prev->next = f->next;
	f->next->prev = f->prev;
}

static void lru_push(struct filecache *fc, struct outfile *f)
{
	f->next = fc->lru.next;
	f->prev = &fc->lru;
	fc->lru.next->prev = f;
	fc->lru.next = f;
}

/* Put a chunk aside for the open-file LRU: no fsync, appended to later. */
static int set_aside(struct filecache *fc, struct outfile *f)
{
	int err = format_close(f->ff, NULL, false);

	f->ff = NULL;
	lru_unlink(f);
	fc->nopen--;
	return err;
}

static void make_room(struct filecache *fc)
{
	while (fc->nopen >= fc->max_open && fc->lru.prev != &fc->lru) {
		struct outfile *f = fc->lru.prev;
		int err = set_aside(fc, f);

		if (err)
			log_error(fc, "error writing", f->part, err);
	}
}

static bool exists(struct filecache *fc, const char *rel)
{
	return !faccessat(fc->dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW);
}

/* UTC, ISO 8601 basic: sorts as text, valid in any file system. */
static void utc_stamp(char *buf, size_t len, uint64_t ns)
{
	time_t t = ns / 1000000000ULL;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
}

static bool rotating(const struct filecache *fc)
{
	return fc->policy.max_bytes || fc->policy.period_ns;
}

/*
 * The first free final name for a new chunk: neither it nor its .part may
 * exist.  Without rotation a key's chunks are stem.pcap, stem.1.pcap, ...;
 * with it, stem.<start>.<seq>.pcap, so ls lists them in time order.
 */
static int pick_name(struct filecache *fc, struct outfile *f, uint64_t start)
{
	const char *ext = format_ext(fc->spec.format);
	char base[STEM_MAX + 32], stamp[20], zst[REL_MAX + 8];
	char index[REL_MAX + 24];

	if (rotating(fc)) {
		utc_stamp(stamp, sizeof(stamp), start);
		/* Zero-padded: chunks of one second sort by number too. */
		snprintf(base, sizeof(base), "%s.%s.%06u", f->stem, stamp,
			 f->seq);
	} else {
		snprintf(base, sizeof(base), "%s", f->stem);
	}
	for (int n = 0; n < MAX_DEDUP; n++) {
		if (n)
			snprintf(f->final, sizeof(f->final), "%s.%d%s", base, n,
				 ext);
		else
			snprintf(f->final, sizeof(f->final), "%s%s", base, ext);
		snprintf(f->part, sizeof(f->part), "%s" PART, f->final);
		snprintf(zst, sizeof(zst), "%s.zst", f->final);
		/*
		 * Compressed, a finished chunk is name.zst: taken all the
		 * same; so is a name whose chunk is gone but not its index.
		 */
		snprintf(index, sizeof(index), "%s" INDEX_EXT, f->final);
		if (exists(fc, f->final) || exists(fc, f->part) ||
		    exists(fc, zst) || exists(fc, index))
			continue;
		snprintf(index, sizeof(index), "%s" INDEX_EXT ".zst", f->final);
		if (!exists(fc, index))
			return 0;
	}
	return -EEXIST;
}

static void active_unlink(struct outfile *f)
{
	f->aprev->anext = f->anext;
	f->anext->aprev = f->aprev;
}

static void give_chunk(struct filecache *fc, struct outfile *f)
{
	long long owner = atomic_load(&fc->owner);

	if (owner >= 0 && !geteuid())
		fchownat(fc->dirfd, f->part, owner >> 32, owner & 0xffffffff,
			 AT_SYMLINK_NOFOLLOW);
}

static int start_chunk(struct filecache *fc, struct outfile *f, uint64_t ts)
{
	uint64_t period = fc->policy.period_ns;
	int err = -EEXIST;

	f->digest = digest_sha256_new();
	if (!f->digest)
		return -ENOMEM;
	/* A name may be taken between the check and the create: retry. */
	for (int tries = 0; err == -EEXIST && tries < 8; tries++) {
		err = pick_name(fc, f, period ? ts - ts % period : ts);
		if (!err)
			err = format_create(&f->ff, &fc->spec, fc->dirfd,
					    f->part, f->digest);
	}
	if (err) {
		digest_free(f->digest);
		f->digest = NULL;
		return err;
	}
	f->hook = fc->hooks ? fc->hooks->start(fc->hooks_arg, f->final, f->stem,
					       ts)
			    : NULL;
	give_chunk(fc, f);
	f->in_chunk = true;
	f->seq++;
	f->bytes = 0;
	memset(&f->stats, 0, sizeof(f->stats));
	/* Aligned to the wall clock: a 3600 s period ends on the hour. */
	f->deadline_ns = period ? ts - ts % period + period : 0;
	f->anext = fc->active.anext;
	f->aprev = &fc->active;
	fc->active.anext->aprev = f;
	fc->active.anext = f;
	lru_push(fc, f);
	fc->nopen++;
	pr_debug("new chunk %s", f->part);
	return 0;
}

/* A deleted chunk's index goes with it, compressed or not. */
static void delete_index(struct filecache *fc, const char *name)
{
	char path[REL_MAX + 32];

	for (int zst = 0; zst < 2; zst++) {
		snprintf(path, sizeof(path), "%s" INDEX_EXT "%s", name,
			 zst ? ".zst" : "");
		unlinkat(fc->dirfd, path, 0);
	}
}

/*
 * The chunk may have been compressed meanwhile (name.zst), and a chunk with
 * a .hold file beside it is never deleted.
 */
static void delete_oldest(struct filecache *fc, const char *name,
			  unsigned int ring)
{
	char path[REL_MAX + 8];

	snprintf(path, sizeof(path), "%s.hold", name);
	if (exists(fc, path)) {
		pr_info("kept %s beyond -W %u: it is held", name, ring);
		return;
	}
	for (int zst = 0; zst < 2; zst++) {
		snprintf(path, sizeof(path), "%s%s", name, zst ? ".zst" : "");
		if (!unlinkat(fc->dirfd, path, 0)) {
			pr_info("deleted %s (-W %u)", path, ring);
			delete_index(fc, name);
			return;
		}
		if (errno != ENOENT) {
			pr_warn("cannot delete %s: %s", path, strerror(errno));
			return;
		}
	}
	/* Gone already: retention took it. */
}

/* -W: keep the last @ring finished chunks of this key, delete older ones. */
static void keep_ring(struct filecache *fc, struct outfile *f)
{
	unsigned int ring = fc->policy.ring;

	if (!ring)
		return;
	if (!f->ring) {
		f->ring = calloc(ring, sizeof(*f->ring));
		if (!f->ring)
			return;
	}
	if (f->nring == ring) {
		delete_oldest(fc, f->ring[0], ring);
		memmove(f->ring, f->ring + 1, (ring - 1) * sizeof(*f->ring));
		f->nring--;
	}
	snprintf(f->ring[f->nring++], REL_MAX, "%s", f->final);
}

/* Rename without ever replacing: a name taken meanwhile gets .N. */
static int publish(struct filecache *fc, struct outfile *f)
{
	const char *base;
	int pfd, err;

	pfd = open_parent_beneath(fc->dirfd, f->part, &base);
	if (pfd < 0)
		return pfd;
	err = rename_free(pfd, base, f->final, sizeof(f->final),
			  strlen(format_ext(fc->spec.format)));
	close(pfd);
	return err;
}

/* A name made or renamed in @rel's directory is durable once it is. */
static int sync_parent(struct filecache *fc, const char *rel)
{
	const char *base;
	int pfd, err = 0;

	pfd = open_parent_beneath(fc->dirfd, rel, &base);
	if (pfd < 0)
		return pfd;
	if (fsync(pfd))
		err = -errno;
	close(pfd);
	return err;
}

/*
 * Tell the hooks the chunk is finished (as @final; NULL if it is gone) so
 * that its index is finished in the same step, then make both names
 * durable with one fsync of the directory.
 */
static int end_chunk(struct filecache *fc, struct outfile *f, const char *final,
		     bool cut)
{
	struct chunk_end e = {
		.final = final,
		.packets = f->stats.ifrecv,
		.bytes = f->bytes,
		.cut = cut,
	};
	struct stat st;
	int err = 0;

	if (final && !fstatat(fc->dirfd, final, &st, AT_SYMLINK_NOFOLLOW))
		e.size = st.st_size;
	if (final && f->digest && !cut)
		digest_final_hex(f->digest, e.sha256);
	else if (final)
		digest_file(fc->dirfd, final, e.sha256); /* "" if unknown */
	digest_free(f->digest);
	f->digest = NULL;
	if (fc->hooks && f->hook)
		fc->hooks->finish(fc->hooks_arg, f->hook, &e);
	f->hook = NULL;
	if (final)
		err = sync_parent(fc, final);
	return err;
}

/*
 * Flushed, fsync'ed, renamed: only then is the chunk finished.  A chunk
 * that failed may end in a partial record: recovery cuts it back first.
 */
static void finish_chunk(struct filecache *fc, struct outfile *f)
{
	char final[REL_MAX];
	int err = 0;

	/*
	 * One set aside by the open-file LRU is opened again: it still
	 * needs its statistics (pcapng) and an fsync.
	 */
	if (!f->ff &&
	    !format_append(&f->ff, &fc->spec, fc->dirfd, f->part, f->digest)) {
		lru_push(fc, f);
		fc->nopen++;
	}
	if (f->ff) {
		err = format_close(f->ff, f->stats.ifrecv ? &f->stats : NULL,
				   true);
		f->ff = NULL;
		lru_unlink(f);
		fc->nopen--;
	}
	active_unlink(f);
	f->in_chunk = false;
	f->full = false;
	if (err) {
		uint64_t kept = 0;

		log_error(fc, "error writing", f->part, err);
		err = recover_chunk(fc->dirfd, f->part, final, sizeof(final),
				    &kept);
		/*
		 * Packets the buffer had taken but could not write are gone
		 * with the cut: they were counted as written, now as lost.
		 */
		if (!err && kept < f->stats.ifrecv) {
			fc->lost += f->stats.ifrecv - kept;
			f->stats.ifrecv = kept;
		}
		if (!err && !*final) {
			end_chunk(fc, f, NULL, true);
			return; /* it held nothing */
		}
		if (!err) {
			snprintf(f->final, sizeof(f->final), "%s", final);
			err = end_chunk(fc, f, f->final, true);
		}
	} else {
		err = publish(fc, f);
		if (!err)
			err = end_chunk(fc, f, f->final, false);
	}
	if (err < 0) {
		/* The hooks hear of it unless end_chunk() told them. */
		end_chunk(fc, f, NULL, true);
		log_error(fc, "cannot finish", f->part, err);
		return;
	}
	fc->chunks++;
	keep_ring(fc, f);
	if (fc->done)
		fc->done(fc->done_arg, f->final);
}

static int make_subdir(struct filecache *fc, const char *sub)
{
	if (mkdirat(fc->dirfd, sub, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

struct outfile *filecache_file(struct filecache *fc, const char *sub,
			       const char *base)
{
	struct outfile *f = calloc(1, sizeof(*f)), *old;
	int err;

	if (!f)
		return NULL;
	snprintf(f->stem, sizeof(f->stem), "%s%s%s", sub ? sub : "",
		 sub ? "/" : "", base);
	old = hashtab_get(fc->files, f->stem);
	if (old) {
		free(f);
		return old;
	}
	err = sub ? make_subdir(fc, sub) : 0;
	if (!err)
		err = hashtab_put(fc->files, f->stem, f);
	if (err) {
		log_error(fc, "cannot create", f->stem, err);
		free(f);
		return NULL;
	}
	return f;
}

static int ensure_open(struct filecache *fc, struct outfile *f, uint64_t ts)
{
	int err;

	if (f->ff) {
		if (fc->lru.next != f) {
			lru_unlink(f);
			lru_push(fc, f);
		}
		return 0;
	}
	make_room(fc);
	if (!f->in_chunk)
		return start_chunk(fc, f, ts);
	err = format_append(&f->ff, &fc->spec, fc->dirfd, f->part, f->digest);
	if (err)
		return err;
	lru_push(fc, f);
	fc->nopen++;
	return 0;
}

int filecache_write(struct filecache *fc, struct outfile *f,
		    const struct pcapng_packet *pkt, uint64_t now_mono,
		    struct chunk_pos *pos)
{
	int err;

	/*
	 * A packet past the chunk's period, or a chunk -C filled, opens the
	 * next one.  A full chunk is finished here or by the next tick, not
	 * right after its last packet: the caller still indexes that one.
	 */
	if (f->in_chunk &&
	    (f->full || (f->deadline_ns && pkt->ts_ns >= f->deadline_ns)))
		finish_chunk(fc, f);
	err = ensure_open(fc, f, pkt->ts_ns);
	if (err) {
		log_error(fc, "cannot write", f->in_chunk ? f->part : f->stem,
			  err);
		return err;
	}
	err = format_write(f->ff, pkt, &pos->offset);
	pos->chunk = f->hook;
	if (err) {
		/* Finish what is good; the next packet starts afresh. */
		log_error(fc, "error writing", f->part, err);
		finish_chunk(fc, f);
		return err;
	}
	if (!f->stats.ifrecv)
		f->stats.start_ns = pkt->ts_ns;
	f->stats.end_ns = pkt->ts_ns;
	f->stats.ifrecv++;
	if (pkt->has_drops)
		f->stats.ifdrop += pkt->drops;
	f->bytes += pkt->caplen;
	f->last_write = now_mono;
	if (fc->policy.max_bytes && f->bytes >= fc->policy.max_bytes)
		f->full = true;
	return 0;
}

void filecache_tick(struct filecache *fc, uint64_t now_wall, uint64_t now_mono)
{
	uint64_t idle = fc->policy.idle_ns;
	struct outfile *f, *next;

	for (f = fc->active.anext; f != &fc->active; f = next) {
		next = f->anext;
		if (f->full || (f->deadline_ns && now_wall >= f->deadline_ns) ||
		    (idle && now_mono - f->last_write >= idle))
			finish_chunk(fc, f);
	}
}

bool filecache_file_idle(const struct outfile *f)
{
	return !f->in_chunk;
}

static void free_file(const void *key, void *value, void *arg)
{
	struct outfile *f = value;

	(void)key;
	(void)arg;
	free(f->ring);
	free(f);
}

static bool forget_if_idle(const void *key, void *value, void *arg)
{
	struct outfile *f = value;

	if (f->in_chunk)
		return false;
	free_file(key, value, arg);
	return true;
}

void filecache_forget_idle(struct filecache *fc)
{
	hashtab_del_if(fc->files, forget_if_idle, NULL);
}

void filecache_finish_all(struct filecache *fc)
{
	while (fc->active.anext != &fc->active)
		finish_chunk(fc, fc->active.anext);
}

void filecache_flush(struct filecache *fc)
{
	for (struct outfile *f = fc->lru.next; f != &fc->lru; f = f->next) {
		int err = format_flush(f->ff);

		if (err)
			log_error(fc, "error writing", f->part, err);
	}
}

void filecache_close(struct filecache *fc)
{
	if (!fc)
		return;
	filecache_finish_all(fc);
	for (size_t i = 0; i < fc->nrecovered; i++)
		free(fc->recovered[i]);
	free(fc->recovered);
	hashtab_each(fc->files, free_file, NULL);
	hashtab_free(fc->files);
	close(fc->dirfd);
	free(fc);
}

uint64_t filecache_take_lost(struct filecache *fc)
{
	uint64_t n = fc->lost;

	fc->lost = 0;
	return n;
}

void filecache_set_hooks(struct filecache *fc, const struct chunk_hooks *h,
			 void *arg)
{
	fc->hooks = h;
	fc->hooks_arg = arg;
}

void filecache_on_done(struct filecache *fc, filecache_done_fn fn, void *arg)
{
	fc->done = fn;
	fc->done_arg = arg;
	for (size_t i = 0; i < fc->nrecovered; i++) {
		fn(arg, fc->recovered[i]);
		free(fc->recovered[i]);
	}
	free(fc->recovered);
	fc->recovered = NULL;
	fc->nrecovered = 0;
}

int filecache_chown(struct filecache *fc, uid_t uid, gid_t gid)
{
	struct outfile *f;
	struct dirent *de;
	DIR *d;
	int fd;

	atomic_store(&fc->owner, (long long)uid << 32 | gid);
	if (fchown(fc->dirfd, uid, gid))
		return -errno;
	/* Subdirectories (containers) will take the user's new chunks. */
	fd = openat(fc->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	while (d && (de = readdir(d)))
		if (de->d_type == DT_DIR && de->d_name[0] != '.')
			fchownat(fc->dirfd, de->d_name, uid, gid,
				 AT_SYMLINK_NOFOLLOW);
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	for (f = fc->active.anext; f != &fc->active; f = f->anext) {
		char index[REL_MAX + 32];

		if (fchownat(fc->dirfd, f->part, uid, gid, AT_SYMLINK_NOFOLLOW))
			return -errno;
		/* The index being written beside it (index.c names it so). */
		snprintf(index, sizeof(index), "%s" INDEX_EXT PART, f->final);
		if (fchownat(fc->dirfd, index, uid, gid, AT_SYMLINK_NOFOLLOW) &&
		    errno != ENOENT)
			return -errno;
	}
	return 0;
}

int filecache_dirfd(const struct filecache *fc)
{
	return fc->dirfd;
}

unsigned int filecache_count(const struct filecache *fc)
{
	return fc->chunks;
}
