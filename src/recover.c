// SPDX-License-Identifier: GPL-2.0
/*
 * Start-up recovery of the chunks a crash left as "<final name>.part".  The
 * writer only renames a chunk once it is whole and on disk, so a .part file
 * is exactly one that may end in a partial record or was never fsync'ed.
 */
#include <byteswap.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "index.h"
#include "log.h"
#include "pcapng.h"
#include "recover.h"
#include "safeopen.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define PART_SUFFIX ".part"
#define MAX_DEDUP 10000 /* as the writer's own name search */
#define WINDOW (64 * 1024)

#define PCAP_MAGIC_US 0xa1b2c3d4
#define PCAP_MAGIC_NS 0xa1b23c4d
#define PCAP_FILE_HDR 24
#define PCAPNG_EPB 6
#define PCAP_REC_HDR 16
/* libpcap's MAXIMUM_SNAPLEN, which is what it takes a snaplen of 0 for. */
#define PCAP_MAX_SNAPLEN 262144

enum kind { KIND_NONE, KIND_PCAP, KIND_PCAPNG };

static const char *const exts[] = {
	[KIND_PCAP] = ".pcap",
	[KIND_PCAPNG] = ".pcapng",
};

/* A name the writer could have given a chunk still being written. */
static enum kind part_kind(const char *name)
{
	size_t n = strlen(name), sl = strlen(PART_SUFFIX);

	if (n <= sl || strcmp(name + n - sl, PART_SUFFIX))
		return KIND_NONE;
	n -= sl;
	for (enum kind k = KIND_PCAP; k <= KIND_PCAPNG; k++) {
		size_t el = strlen(exts[k]);

		/* The writer never makes an empty stem. */
		if (n > el && !strncmp(name + n - el, exts[k], el))
			return k;
	}
	return KIND_NONE;
}

static uint16_t get16(const uint8_t *p, bool swap)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? bswap_16(v) : v;
}

static uint32_t get32(const uint8_t *p, bool swap)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return swap ? bswap_32(v) : v;
}

/*
 * Sequential reads through a window: record headers are 16 bytes apart
 * from a few dozen bytes to the snaplen, and one pread(2) for each would
 * cost more than reading the file through.
 */
struct reader {
	int fd;
	uint8_t *buf;
	off_t start;
	size_t len;
};

/* @n (<= WINDOW) bytes at @pos; NULL if the file ends first or on error. */
static const uint8_t *read_at(struct reader *r, off_t pos, size_t n, int *err)
{
	ssize_t got;

	if (pos >= r->start && pos + (off_t)n <= r->start + (off_t)r->len)
		return r->buf + (pos - r->start);
	r->start = pos;
	r->len = 0;
	while (r->len < WINDOW) {
		got = pread(r->fd, r->buf + r->len, WINDOW - r->len,
			    pos + r->len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			*err = -errno;
			return NULL;
		}
		if (!got)
			break;
		r->len += got;
	}
	return r->len >= n ? r->buf : NULL;
}

/*
 * Where the last whole record of the pcap file on @fd ends.  A record
 * breaking the header's snaplen or longer than on the wire is taken for
 * the garbage a crash can leave as much as one cut short is.
 */
static int pcap_end(int fd, off_t size, off_t *end, uint64_t *count)
{
	struct reader r = { .fd = fd };
	uint32_t magic, snaplen, caplen, len;
	off_t pos = PCAP_FILE_HDR;
	const uint8_t *h;
	int err = 0;
	bool swap;

	r.buf = malloc(WINDOW);
	if (!r.buf)
		return -ENOMEM;
	h = read_at(&r, 0, PCAP_FILE_HDR, &err);
	if (!h) {
		err = err ? err : -EBADMSG;
		goto out;
	}
	magic = get32(h, false);
	swap = magic == bswap_32(PCAP_MAGIC_US) ||
	       magic == bswap_32(PCAP_MAGIC_NS);
	/* The versions libpcap reads; a file it refuses is no capture. */
	if ((!swap && magic != PCAP_MAGIC_US && magic != PCAP_MAGIC_NS) ||
	    get16(h + 4, swap) != 2 || get16(h + 6, swap) > 4) {
		err = -EBADMSG;
		goto out;
	}
	snaplen = get32(h + 16, swap);
	if (!snaplen)
		snaplen = PCAP_MAX_SNAPLEN;
	while (size - pos >= PCAP_REC_HDR) {
		h = read_at(&r, pos, PCAP_REC_HDR, &err);
		if (!h)
			break;
		caplen = get32(h + 8, swap);
		len = get32(h + 12, swap);
		if (caplen > snaplen || caplen > len ||
		    caplen > size - pos - PCAP_REC_HDR)
			break;
		pos += PCAP_REC_HDR + caplen;
		(*count)++;
	}
	if (!err)
		*end = pos;
out:
	free(r.buf);
	return err;
}

/* Cut @base in @pfd back to whole records and make it durable. */
/* Enhanced Packet Blocks in a pcapng file already cut back to whole blocks. */
static int pcapng_count(int fd, off_t size, uint64_t *count)
{
	uint32_t h[2];
	off_t pos = 0;

	while (size - pos >= 12) {
		if (pread(fd, h, sizeof(h), pos) != sizeof(h))
			return -errno;
		if (h[1] < 12 || h[1] % 4)
			return -EBADMSG;
		*count += h[0] == PCAPNG_EPB;
		pos += h[1];
	}
	return 0;
}

static int finish(int pfd, const char *base, enum kind kind, off_t *cut,
		  uint64_t *count)
{
	struct pcapng *png;
	struct stat st, now;
	off_t end;
	int fd, err;

	if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW))
		return -errno;
	if (S_ISLNK(st.st_mode))
		return -ELOOP;
	/* Opening a device or FIFO could block or have side effects. */
	if (!S_ISREG(st.st_mode))
		return -EINVAL;
	fd = open_regular_beneath(pfd, base, O_RDWR | O_NONBLOCK, &st);
	if (fd < 0)
		return fd;
	/* Made just before a crash, before its header reached the disk. */
	if (!st.st_size) {
		err = -ENODATA;
		goto out;
	}
	if (kind == KIND_PCAP) {
		err = pcap_end(fd, st.st_size, &end, count);
		if (!err && end < st.st_size && ftruncate(fd, end))
			err = -errno;
	} else {
		err = pcapng_reopen(&png, pfd, base);
		if (!err)
			err = pcapng_close(png);
	}
	if (err)
		goto out;
	if (fstat(fd, &now) || fsync(fd)) {
		err = -errno;
		goto out;
	}
	if (kind != KIND_PCAP)
		err = pcapng_count(fd, now.st_size, count);
	*cut = st.st_size - now.st_size;
out:
	close(fd);
	return err;
}

static int rename_noreplace(int dfd, const char *from, const char *to)
{
	if (!syscall(SYS_renameat2, dfd, from, dfd, to, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/*
	 * NFS and some FUSE filesystems lack RENAME_NOREPLACE; a hard link
	 * refuses a taken name just the same.
	 */
	if (linkat(dfd, from, dfd, to, 0))
		return -errno;
	if (unlinkat(dfd, from, 0))
		return -errno;
	return 0;
}

/*
 * Rename @base in @pfd to the first free name; @final gets it prefixed
 * with the @plen bytes of @relpath naming the directory.
 */
static int rename_free(int pfd, const char *base, enum kind kind,
		       const char *relpath, int plen, char *final,
		       size_t final_len)
{
	int stem = strlen(base) - strlen(PART_SUFFIX) - strlen(exts[kind]);
	int len, err;

	for (int n = 0; n < MAX_DEDUP; n++) {
		if (n)
			len = snprintf(final, final_len, "%.*s%.*s.%d%s", plen,
				       relpath, stem, base, n, exts[kind]);
		else
			len = snprintf(final, final_len, "%.*s%.*s%s", plen,
				       relpath, stem, base, exts[kind]);
		if (len < 0 || (size_t)len >= final_len)
			return -ENAMETOOLONG;
		err = rename_noreplace(pfd, base, final + plen);
		if (err != -EEXIST)
			return err;
	}
	return -EEXIST;
}

int recover_file(int dirfd, const char *relpath, char *final, size_t final_len)
{
	uint64_t packets;

	return recover_chunk(dirfd, relpath, final, final_len, &packets);
}

int recover_chunk(int dirfd, const char *relpath, char *final, size_t final_len,
		  uint64_t *packets)
{
	const char *slash = strrchr(relpath, '/');
	const char *base = slash ? slash + 1 : relpath;
	char parent[PATH_MAX] = ".";
	enum kind kind = part_kind(base);
	int plen = slash ? slash + 1 - relpath : 0;
	off_t cut = 0;
	int pfd, err;

	if (final_len)
		final[0] = '\0';
	if (kind == KIND_NONE)
		return -EINVAL;
	if (slash) {
		/* Keep a leading '/' so that open_beneath() refuses it. */
		size_t n = slash > relpath ? (size_t)(slash - relpath) : 1;

		if (n >= sizeof(parent))
			return -ENAMETOOLONG;
		memcpy(parent, relpath, n);
		parent[n] = '\0';
	}
	/*
	 * Everything goes through the directory's fd: a path given to
	 * renameat2() would follow a symlink put in its place.
	 */
	pfd = open_beneath(dirfd, parent, O_RDONLY | O_DIRECTORY, 0);
	if (pfd < 0) {
		err = pfd;
		goto out;
	}
	*packets = 0;
	err = finish(pfd, base, kind, &cut, packets);
	if (err == -ENODATA) {
		/* Nothing to keep: no packet ever reached it. */
		err = unlinkat(pfd, base, 0) ? -errno : 0;
		if (!err)
			pr_info("removed %s: empty, no packet had reached it",
				relpath);
		close(pfd);
		return err;
	}
	if (!err)
		err = rename_free(pfd, base, kind, relpath, plen, final,
				  final_len);
	/* The rename is only durable once the directory is. */
	if (!err && fsync(pfd))
		err = -errno;
	close(pfd);
out:
	if (err == -EBADMSG)
		pr_warn("%s is not a capture this program can finish, left as is",
			relpath);
	else if (err == -ELOOP)
		pr_warn("%s is a symlink, skipped", relpath);
	else if (err)
		pr_warn("cannot finish %s: %s", relpath, strerror(-err));
	else if (cut)
		pr_info("finished %s as %s, cutting off %lld bytes after its last whole %s",
			relpath, final, (long long)cut,
			kind == KIND_PCAP ? "record" : "block");
	else
		pr_info("finished %s as %s", relpath, final);
	if (err && final_len)
		final[0] = '\0';
	return err;
}

#define INDEX_PART INDEX_EXT PART_SUFFIX

/* The index a crashed run was writing beside a chunk. */
static bool index_part(const char *name)
{
	size_t n = strlen(name), l = strlen(INDEX_PART);

	return n > l && !strcmp(name + n - l, INDEX_PART);
}

/*
 * An index whose chunk was finished before the crash (it was renamed
 * between the two): finish it too.  @rel is "<chunk>.idx.jsonl.part".
 */
static void finish_orphan_index(int dirfd, const char *rel)
{
	size_t n = strlen(rel) - strlen(INDEX_PART);
	char chunk[PATH_MAX], part[PATH_MAX + sizeof(PART_SUFFIX)];
	int err;

	if (faccessat(dirfd, rel, F_OK, AT_SYMLINK_NOFOLLOW))
		return; /* finished with its chunk */
	snprintf(chunk, sizeof(chunk), "%.*s", (int)n, rel);
	snprintf(part, sizeof(part), "%s" PART_SUFFIX, chunk);
	if (faccessat(dirfd, chunk, F_OK, AT_SYMLINK_NOFOLLOW)) {
		pr_warn("%s: its chunk is gone; left as it is", rel);
		return;
	}
	err = index_recover(dirfd, part, chunk, -1);
	if (err)
		pr_warn("cannot finish index %s: %s", rel, strerror(-err));
	else
		pr_info("finished index %s", rel);
}

struct list {
	char **v;
	size_t n, cap;
};

static int list_add(struct list *l, const char *sub, const char *name)
{
	char *s;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (sub ? asprintf(&s, "%s/%s", sub, name) < 0 : !(s = strdup(name)))
		return -ENOMEM;
	l->v[l->n++] = s;
	return 0;
}

static void list_free(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int entry_type(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type;
	if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
		return DT_UNKNOWN;
	return IFTODT(st.st_mode);
}

/*
 * Add the chunk names in @sub (NULL: @dirfd itself) to @parts and, if
 * @subs, the subdirectories to it.  Symlinks are listed as chunks if so
 * named, for recover_file() to report, never descended into.
 */
static int scan(int dirfd, const char *sub, struct list *parts,
		struct list *subs)
{
	struct dirent *e;
	int fd, err = 0;
	DIR *d;

	fd = open_beneath(dirfd, sub ? sub : ".", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		err = -errno;
		close(fd);
		return err;
	}
	for (;;) {
		errno = 0;
		e = readdir(d);
		if (!e) {
			err = -errno;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (entry_type(d, e) == DT_DIR) {
			if (subs)
				err = list_add(subs, NULL, e->d_name);
		} else if (part_kind(e->d_name) != KIND_NONE ||
			   index_part(e->d_name)) {
			err = list_add(parts, sub, e->d_name);
		}
		if (err)
			break;
	}
	closedir(d);
	return err;
}

int recover_dir(int dirfd, void (*finished)(void *arg, const char *relpath),
		void *arg)
{
	struct list parts = { 0 }, subs = { 0 };
	char final[PATH_MAX];
	uint64_t packets;
	int err, done = 0;

	/*
	 * List everything before renaming anything: readdir() may or may
	 * not show a name renamed during the walk.
	 */
	err = scan(dirfd, NULL, &parts, &subs);
	for (size_t i = 0; !err && i < subs.n; i++) {
		int e = scan(dirfd, subs.v[i], &parts, NULL);

		if (e == -ENOMEM)
			err = e;
		else if (e)
			pr_warn("cannot look for unfinished chunks in %s: %s",
				subs.v[i], strerror(-e));
	}
	if (err) {
		pr_err("cannot look for unfinished chunks: %s", strerror(-err));
		goto out;
	}
	if (parts.n)
		qsort(parts.v, parts.n, sizeof(*parts.v), cmp_str);
	for (size_t i = 0; i < parts.n; i++) {
		if (index_part(parts.v[i]))
			continue;
		if (recover_chunk(dirfd, parts.v[i], final, sizeof(final),
				  &packets))
			continue;
		done++;
		/* Its index first: postprocessing takes both. */
		index_recover(dirfd, parts.v[i], final, packets);
		if (finished && *final)
			finished(arg, final);
	}
	for (size_t i = 0; i < parts.n; i++)
		if (index_part(parts.v[i]))
			finish_orphan_index(dirfd, parts.v[i]);
out:
	list_free(&parts);
	list_free(&subs);
	return err ? err : done;
}
