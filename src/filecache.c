// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "filecache.h"
#include "hashtab.h"
#include "log.h"
#include "sanitize.h"

/* "sub/base" with room for both sanitised components. */
#define STEM_MAX (2 * NR_NAME_MAX + 2)
/* ... plus ".NNNN.pcapng". */
#define REL_MAX (STEM_MAX + 24)
#define MAX_DEDUP 10000

struct outfile {
	char stem[STEM_MAX];	     /* hash key: zero padded */
	char rel[REL_MAX];	     /* path under the output directory */
	struct format_file *ff;	     /* NULL while closed */
	struct outfile *prev, *next; /* LRU list of open files */
	struct pcapng_stats stats;   /* over the file's whole life */
	int err;
};

struct filecache {
	int dirfd;
	struct format_spec spec;
	unsigned int max_open;
	unsigned int nopen;
	struct outfile lru; /* head: most recent first */
	struct hashtab *files;
	int last_logged_err;
};

static int open_outdir(const char *dir)
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
	if (fstat(fd, &st) || (st.st_uid != geteuid() && st.st_uid != 0)) {
		pr_err("output directory %s belongs to another user (uid %u); refusing to write there",
		       dir, (unsigned int)st.st_uid);
		close(fd);
		return -EPERM;
	}
	return fd;
}

int filecache_open(struct filecache **out, const char *dir,
		   unsigned int max_open, const struct format_spec *spec)
{
	struct filecache *fc = calloc(1, sizeof(*fc));

	if (!fc)
		return -ENOMEM;
	fc->files = hashtab_new(STEM_MAX);
	if (!fc->files) {
		free(fc);
		return -ENOMEM;
	}
	fc->dirfd = open_outdir(dir);
	if (fc->dirfd < 0) {
		int err = fc->dirfd;

		hashtab_free(fc->files);
		free(fc);
		return err;
	}
	fc->spec = *spec;
	fc->max_open = max_open;
	fc->lru.next = fc->lru.prev = &fc->lru;
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

static int close_file(struct filecache *fc, struct outfile *f)
{
	int err = format_close(f->ff, f->stats.ifrecv ? &f->stats : NULL);

	f->ff = NULL;
	lru_unlink(f);
	fc->nopen--;
	if (err) {
		/* It may end in a partial record: never append to it again. */
		log_error(fc, "error writing", f->rel, err);
		f->err = err;
	}
	return err;
}

static void make_room(struct filecache *fc)
{
	while (fc->nopen >= fc->max_open && fc->lru.prev != &fc->lru)
		close_file(fc, fc->lru.prev);
}

/* Create the file under the first free name: stem.pcap, stem.1.pcap, ... */
static int create_file(struct filecache *fc, struct outfile *f)
{
	const char *ext = format_ext(fc->spec.format);
	int err = -EEXIST;

	for (int n = 0; err == -EEXIST && n < MAX_DEDUP; n++) {
		if (n)
			snprintf(f->rel, sizeof(f->rel), "%s.%d%s", f->stem, n,
				 ext);
		else
			snprintf(f->rel, sizeof(f->rel), "%s%s", f->stem, ext);
		err = format_create(&f->ff, &fc->spec, fc->dirfd, f->rel);
	}
	return err;
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
	make_room(fc);
	err = sub ? make_subdir(fc, sub) : 0;
	if (!err)
		err = create_file(fc, f);
	if (!err)
		err = hashtab_put(fc->files, f->stem, f);
	if (err) {
		log_error(fc, "cannot create", f->stem, err);
		if (f->ff)
			format_close(f->ff, NULL);
		free(f);
		return NULL;
	}
	pr_debug("new file %s", f->rel);
	lru_push(fc, f);
	fc->nopen++;
	return f;
}

static int ensure_open(struct filecache *fc, struct outfile *f)
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
	err = format_append(&f->ff, &fc->spec, fc->dirfd, f->rel);
	if (err) {
		log_error(fc, "cannot reopen", f->rel, err);
		return err;
	}
	lru_push(fc, f);
	fc->nopen++;
	return 0;
}

int filecache_write(struct filecache *fc, struct outfile *f,
		    const struct pcapng_packet *pkt)
{
	int err = f->err ? f->err : ensure_open(fc, f);

	if (err)
		return err;
	err = format_write(f->ff, pkt);
	if (!err) {
		if (!f->stats.ifrecv)
			f->stats.start_ns = pkt->ts_ns;
		f->stats.end_ns = pkt->ts_ns;
		f->stats.ifrecv++;
		if (pkt->has_drops)
			f->stats.ifdrop += pkt->drops;
	}
	if (err)
		close_file(fc, f); /* and takes no further packets */
	return err;
}

void filecache_flush(struct filecache *fc)
{
	for (struct outfile *f = fc->lru.next; f != &fc->lru; f = f->next) {
		int err = format_flush(f->ff);

		if (err) {
			log_error(fc, "error writing", f->rel, err);
			f->err = err;
		}
	}
}

static void free_file(const void *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

int filecache_close(struct filecache *fc)
{
	int err = 0;

	if (!fc)
		return 0;
	while (fc->lru.next != &fc->lru) {
		int e = close_file(fc, fc->lru.next);

		if (e && !err)
			err = e;
	}
	hashtab_each(fc->files, free_file, NULL);
	hashtab_free(fc->files);
	close(fc->dirfd);
	free(fc);
	return err;
}

unsigned int filecache_count(const struct filecache *fc)
{
	return hashtab_count(fc->files);
}
