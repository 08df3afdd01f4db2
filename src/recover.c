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

#include "fileio.h"
#include "format.h"
#include "index.h"
#include "log.h"
#include "outdir.h"
#include "pcapfile.h"
#include "pcapng.h"
#include "recover.h"
#include "safeopen.h"

#define PART_SUFFIX ".part"
#define WINDOW (64 * 1024)

#define PCAP_MAGIC_US 0xa1b2c3d4
#define PCAP_MAGIC_NS 0xa1b23c4d
#define PCAP_REC_HDR 16
/* libpcap's MAXIMUM_SNAPLEN, which is what it takes a snaplen of 0 for. */
#define PCAP_MAX_SNAPLEN 262144

/* A name the writer could have given a chunk still being written. */
static bool part_format(const char *name, enum out_format *format)
{
	size_t n = strlen(name), sl = strlen(PART_SUFFIX);

	if (n <= sl || strcmp(name + n - sl, PART_SUFFIX))
		return false;
	n -= sl;
	for (enum out_format f = FORMAT_PCAP; f <= FORMAT_PCAPNG; f++) {
		const char *ext = format_ext(f);
		size_t el = strlen(ext);

		/* The writer never makes an empty stem. */
		if (n > el && !strncmp(name + n - el, ext, el)) {
			*format = f;
			return true;
		}
	}
	return false;
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
 * Where the last whole record of the pcap file on @fd ends.  A record
 * breaking the header's snaplen or longer than on the wire is taken for
 * the garbage a crash can leave as much as one cut short is.  Record
 * headers are 16 bytes apart from a few dozen bytes to the snaplen: read
 * through a window.
 */
static int pcap_end(int fd, off_t size, off_t *end, uint64_t *count)
{
	struct read_window w = { .fd = fd, .size = WINDOW };
	uint32_t magic, snaplen, caplen, len;
	off_t pos = PCAP_FILE_HDR_LEN;
	const uint8_t *h;
	int err = 0;
	bool swap;

	w.buf = malloc(WINDOW);
	if (!w.buf)
		return -ENOMEM;
	h = window_at(&w, 0, PCAP_FILE_HDR_LEN, &err);
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
		h = window_at(&w, pos, PCAP_REC_HDR, &err);
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
	free(w.buf);
	return err;
}

/* Cut the pcap file on @fd (taken over) to whole records, durably. */
static int finish_pcap(int fd, off_t size, off_t *end, uint64_t *count)
{
	int err = pcap_end(fd, size, end, count);

	if (!err && *end < size && ftruncate(fd, *end))
		err = -errno;
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	return err;
}

/* The same for pcapng: re-opening it checks every block and cuts. */
static int finish_pcapng(int fd, off_t *end, uint64_t *count)
{
	struct pcapng *png;
	int err, cerr;

	err = pcapng_reopen_fd(&png, fd, count);
	if (err)
		return err;
	*end = pcapng_offset(png);
	err = pcapng_sync(png);
	cerr = pcapng_close(png);
	return err ? err : cerr;
}

/* Cut @base in @pfd back to whole records and make it durable. */
static int finish(int pfd, const char *base, enum out_format format, off_t *cut,
		  uint64_t *count)
{
	struct stat st;
	off_t end = 0;
	int fd, err;

	fd = open_regular_beneath(pfd, base, O_RDWR, &st);
	if (fd < 0)
		return fd;
	/* Made just before a crash, before its header reached the disk. */
	if (!st.st_size) {
		close(fd);
		return -ENODATA;
	}
	/* Space reserved for records the crash did not let come (fileio.h). */
	if (file_reserved_past_end(&st) && ftruncate(fd, st.st_size)) {
		err = -errno;
		close(fd);
		return err;
	}
	if (format == FORMAT_PCAP)
		err = finish_pcap(fd, st.st_size, &end, count);
	else
		err = finish_pcapng(fd, &end, count);
	if (!err)
		*cut = st.st_size - end;
	return err;
}

/* @relpath without ".part" into @final, then renamed to a free name. */
static int rename_part(int pfd, const char *base, enum out_format format,
		       const char *relpath, char *final, size_t final_len)
{
	int n = strlen(relpath) - strlen(PART_SUFFIX);

	if ((size_t)n >= final_len)
		return -ENAMETOOLONG;
	snprintf(final, final_len, "%.*s", n, relpath);
	return rename_free(pfd, base, final, final_len,
			   strlen(format_ext(format)));
}

int recover_file(int dirfd, const char *relpath, char *final, size_t final_len)
{
	uint64_t packets;

	return recover_chunk(dirfd, relpath, final, final_len, &packets);
}

int recover_chunk(int dirfd, const char *relpath, char *final, size_t final_len,
		  uint64_t *packets)
{
	const char *slash = strrchr(relpath, '/'), *base;
	enum out_format format;
	off_t cut = 0;
	int pfd, err;

	if (final_len)
		final[0] = '\0';
	if (!part_format(slash ? slash + 1 : relpath, &format))
		return -EINVAL;
	/*
	 * Everything goes through the directory's fd: a path given to
	 * renameat2() would follow a symlink put in its place.
	 */
	pfd = open_parent_beneath(dirfd, relpath, &base);
	if (pfd < 0) {
		err = pfd;
		goto out;
	}
	*packets = 0;
	err = finish(pfd, base, format, &cut, packets);
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
		err = rename_part(pfd, base, format, relpath, final, final_len);
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
			format == FORMAT_PCAP ? "record" : "block");
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

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Chunk names go in the list, symlinks too, for recover_chunk() to
 * report; a subdirectory named as one is no chunk.
 */
static int note_part(int fd, const char *sub, const char *name, int type,
		     void *arg)
{
	enum out_format format;

	(void)fd;
	if (type == DT_DIR)
		return 0;
	if (!part_format(name, &format) && !index_part(name))
		return 0;
	return outdir_paths_add(arg, sub, name);
}

int recover_dir(int dirfd, void (*finished)(void *arg, const char *relpath),
		void *arg)
{
	struct outdir_paths parts = { 0 };
	char final[PATH_MAX];
	uint64_t packets;
	int err, done = 0;

	err = outdir_walk(dirfd, "unfinished chunks", note_part, &parts);
	if (err)
		goto out;
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
	outdir_paths_free(&parts);
	return err ? err : done;
}
