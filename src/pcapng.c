// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "digest.h"
#include "fileio.h"
#include "pcapng.h"
#include "safeopen.h"

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 1
#define BT_ISB 5
#define BT_EPB 6
#define BYTE_ORDER_MAGIC 0x1A2B3C4D

#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_HARDWARE 2
#define SHB_OS 3
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_TSRESOL 9
#define EPB_FLAGS 2
#define EPB_DROPCOUNT 4
#define EPB_PROCESSID_THREADID 8
#define ISB_STARTTIME 2
#define ISB_ENDTIME 3
#define ISB_IFRECV 4
#define ISB_IFDROP 5

#define FILE_BUFFER (64 * 1024)
#define SHB_FIXED 24 /* type, length, magic, version, section length */
#define IDB_FIXED 16 /* type, length, linktype, reserved, snaplen */
#define ISB_FIXED 20 /* type, length, interface, timestamp */
#define EPB_FIXED 28 /* type, length, interface, timestamp, lengths */
/* All of an EPB but its packet data: options at their longest, trailer. */
#define EPB_OVERHEAD (EPB_FIXED + 8 + 12 + 12 + 4 + 65536 + 4 + 4)
/*
 * Wireshark refuses larger packets on most link types; sizing the buffer
 * for no more keeps a snaplen of 0 ("no limit") from costing 4 GiB.
 */
#define PREALLOC_SNAPLEN (256 * 1024)

struct pcapng {
	FILE *f;
	char *iobuf;  /* given to setvbuf */
	uint8_t *blk; /* the block being built; reopen reads through it */
	size_t blk_size;
	uint32_t snaplen;
	int err;
	uint64_t pos;	       /* file offset of the next block */
	uint64_t reserved;     /* disk space taken up to here (fileio.h) */
	struct digest *digest; /* hashes every block written, if set */
};

static inline size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* pcapng's timestamp layout, high word first whatever the byte order. */
static uint8_t *put_ts(uint8_t *p, uint64_t ts)
{
	p = put32(p, ts >> 32);
	return put32(p, (uint32_t)ts);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint8_t *put_opt(uint8_t *p, uint16_t code, const void *val,
			uint16_t len)
{
	size_t padded = pad4(len);

	p = put16(p, code);
	p = put16(p, len);
	if (len)
		memcpy(p, val, len);
	memset(p + len, 0, padded - len);
	return p + padded;
}

static uint8_t *put_opt_u64(uint8_t *p, uint16_t code, uint64_t v)
{
	return put_opt(p, code, &v, sizeof(v));
}

static uint8_t *put_opt_ts(uint8_t *p, uint16_t code, uint64_t ts)
{
	uint8_t v[8];

	put_ts(v, ts);
	return put_opt(p, code, v, sizeof(v));
}

/*
 * How much of @len bytes at @s fits an option.  A cut inside a UTF-8
 * sequence would leave readers a broken last character, so the cut moves
 * back to the sequence's first byte.
 */
static uint16_t opt_len(const char *s, size_t len)
{
	const uint8_t *u = (const uint8_t *)s;
	size_t n = PCAPNG_OPT_MAX;

	if (len <= n)
		return len;
	for (size_t k = 1; k <= 3 && (u[n] & 0xc0) == 0x80; k++) {
		uint8_t lead = u[n - k];
		size_t seq;

		if ((lead & 0xc0) == 0x80)
			continue;
		seq = (lead & 0xe0) == 0xc0   ? 2
		      : (lead & 0xf0) == 0xe0 ? 3
		      : (lead & 0xf8) == 0xf0 ? 4
					      : 1;
		if (seq > k)
			n -= k;
		break;
	}
	return n;
}

static size_t str_opt_size(const char *s)
{
	return s ? 4 + pad4(opt_len(s, strlen(s))) : 0;
}

static uint8_t *put_str_opt(uint8_t *p, uint16_t code, const char *s)
{
	return s ? put_opt(p, code, s, opt_len(s, strlen(s))) : p;
}

static int ensure_blk(struct pcapng *png, size_t size)
{
	uint8_t *blk;

	if (size <= png->blk_size)
		return 0;
	blk = realloc(png->blk, size);
	if (!blk)
		return -ENOMEM;
	png->blk = blk;
	png->blk_size = size;
	return 0;
}

static struct pcapng *pcapng_alloc(void)
{
	struct pcapng *png = calloc(1, sizeof(*png));

	if (!png)
		return NULL;
	png->iobuf = malloc(FILE_BUFFER);
	if (!png->iobuf || ensure_blk(png, FILE_BUFFER)) {
		free(png->iobuf);
		free(png);
		return NULL;
	}
	return png;
}

static void pcapng_free(struct pcapng *png)
{
	free(png->blk);
	free(png->iobuf);
	free(png);
}

/*
 * The packet path must not allocate: make room now for any packet within
 * the snaplen with every option at its longest.
 */
static int size_for_snaplen(struct pcapng *png, uint32_t snaplen)
{
	png->snaplen = snaplen;
	if (!snaplen || snaplen > PREALLOC_SNAPLEN)
		snaplen = PREALLOC_SNAPLEN;
	return ensure_blk(png, EPB_OVERHEAD + pad4(snaplen));
}

/* Takes over @fd, closed on failure. */
static int open_stream(struct pcapng *png, int fd)
{
	png->f = fdopen(fd, "w");
	if (!png->f) {
		int err = -errno;

		close(fd);
		return err;
	}
	/* glibc ignores the size unless it is given the buffer. */
	setvbuf(png->f, png->iobuf, _IOFBF, FILE_BUFFER);
	/* One thread writes a chunk: stdio's lock per fwrite() is pure cost. */
	__fsetlocking(png->f, FSETLOCKING_BYCALLER);
	return 0;
}

static int io_error(struct pcapng *png)
{
	png->err = errno ? -errno : -EIO;
	return png->err;
}

/* A block's length is known once it is built, and goes at both ends. */
static int emit(struct pcapng *png, uint8_t *end)
{
	uint32_t len = end + 4 - png->blk;
	int err;

	put32(png->blk + 4, len);
	put32(end, len);
	/* A full disk refuses this block; what is buffered is never lost. */
	err = file_reserve(fileno(png->f), &png->reserved, png->pos + len,
			   FILE_BUFFER);
	if (err)
		return err;
	errno = 0;
	if (fwrite(png->blk, len, 1, png->f) != 1)
		return io_error(png);
	if (png->digest)
		digest_update(png->digest, png->blk, len);
	png->pos += len;
	return 0;
}

static int write_headers(struct pcapng *png, const struct pcapng_section *shb,
			 const struct pcapng_iface *idb)
{
	static const struct pcapng_section none;
	size_t opts, size;
	uint8_t *p;
	int err;

	if (!shb)
		shb = &none;
	opts = str_opt_size(shb->comment) + str_opt_size(shb->hardware) +
	       str_opt_size(shb->os) + str_opt_size(shb->userappl);
	size = SHB_FIXED + opts + (opts ? 4 : 0) + 4;
	err = ensure_blk(png, size);
	if (err)
		return err;
	p = put32(png->blk, BT_SHB) + 4;
	p = put32(p, BYTE_ORDER_MAGIC);
	p = put16(p, 1);
	p = put16(p, 0);
	/* Section length unknown (-1): appending must not have to fix it. */
	memset(p, 0xff, 8);
	p += 8;
	p = put_str_opt(p, OPT_COMMENT, shb->comment);
	p = put_str_opt(p, SHB_HARDWARE, shb->hardware);
	p = put_str_opt(p, SHB_OS, shb->os);
	p = put_str_opt(p, SHB_USERAPPL, shb->userappl);
	if (opts)
		p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	err = emit(png, p);
	if (err)
		return err;

	size = IDB_FIXED + str_opt_size(idb->name) + 8 + 4 + 4;
	err = ensure_blk(png, size);
	if (err)
		return err;
	p = put32(png->blk, BT_IDB) + 4;
	p = put16(p, idb->linktype);
	p = put16(p, 0);
	p = put32(p, idb->snaplen);
	p = put_str_opt(p, IF_NAME, idb->name);
	p = put_opt(p, IF_TSRESOL, &(uint8_t){ 9 }, 1);
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	return emit(png, p);
}

int pcapng_create(struct pcapng **out, int dirfd, const char *relpath,
		  const struct pcapng_section *shb,
		  const struct pcapng_iface *idb)
{
	struct pcapng *png;
	int fd, err;

	if (!idb)
		return -EINVAL;
	png = pcapng_alloc();
	if (!png)
		return -ENOMEM;
	err = size_for_snaplen(png, idb->snaplen);
	if (err)
		goto err_free;
	fd = open_beneath(dirfd, relpath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	err = open_stream(png, fd);
	if (err)
		goto err_unlink;
	err = write_headers(png, shb, idb);
	if (!err)
		err = pcapng_flush(png);
	if (err) {
		fclose(png->f);
		goto err_unlink;
	}
	*out = png;
	return 0;
err_unlink:
	unlinkat(dirfd, relpath, 0);
err_free:
	pcapng_free(png);
	return err;
}

/* The walk checked the size first: a file ending sooner shrank. */
static const uint8_t *block_at(struct read_window *w, off_t pos, size_t n,
			       int *err)
{
	const uint8_t *h = window_at(w, pos, n, err);

	if (!h && !*err)
		*err = -EBADMSG;
	return h;
}

/*
 * Whether the @have bytes at @h can be the start of a block cut by a crash
 * while appending, rather than a damaged length, which cutting there would
 * lose the rest of the file to: the block is one we append, no longer than
 * we would write it.
 */
static bool cut_block(const uint8_t *h, size_t have, uint32_t nidb,
		      uint32_t snaplen)
{
	uint64_t max = snaplen ? EPB_OVERHEAD + pad4(snaplen) : UINT32_MAX;

	if (have < 8)
		return true;
	if (get32(h) != BT_EPB && get32(h) != BT_ISB)
		return false;
	return get32(h + 4) <= max && (have < 12 || get32(h + 8) < nidb);
}

/*
 * Check the file is ours block by block and find where appending starts:
 * its end, or the start of a trailing block a crash cut short.  Learns the
 * snaplen, and counts the packets kept, on the way.
 */
static int walk(struct pcapng *png, int fd, off_t size, off_t *end,
		uint64_t *packets)
{
	struct read_window w = {
		.fd = fd,
		.buf = png->blk,
		.size = png->blk_size,
	};
	uint32_t nidb = 0, type, len;
	uint64_t epbs = 0;
	const uint8_t *h;
	off_t pos = 0;
	int err = 0;

	while (pos < size) {
		size_t have = size - pos < 12 ? size - pos : 12;

		h = block_at(&w, pos, have, &err);
		if (!h)
			return err;
		if (have < 8 || get32(h + 4) > size - pos) {
			if (!nidb || !cut_block(h, have, nidb, png->snaplen))
				return -EBADMSG;
			break;
		}
		type = get32(h);
		len = get32(h + 4);
		if (len < 12 || len % 4)
			return -EBADMSG;
		h = block_at(&w, pos + len - 4, 4, &err);
		if (!h)
			return err;
		if (get32(h) != len)
			return -EBADMSG;
		/* The fixed part of the block, for the checks below. */
		h = block_at(&w, pos, len < 32 ? len : 32, &err);
		if (!h)
			return err;
		if ((pos == 0) != (type == BT_SHB))
			return -EBADMSG;
		switch (type) {
		case BT_SHB:
			/* Others' byte order or section length: not ours. */
			if (len < SHB_FIXED + 4 ||
			    get32(h + 8) != BYTE_ORDER_MAGIC ||
			    get16(h + 12) != 1 || get16(h + 14) != 0 ||
			    get32(h + 16) != UINT32_MAX ||
			    get32(h + 20) != UINT32_MAX)
				return -EBADMSG;
			break;
		case BT_IDB:
			if (len < IDB_FIXED + 4)
				return -EBADMSG;
			if (!nidb++)
				png->snaplen = get32(h + 12);
			break;
		case BT_EPB:
			if (len < EPB_FIXED + 4 || get32(h + 8) >= nidb ||
			    pad4(get32(h + 20)) > len - EPB_FIXED - 4)
				return -EBADMSG;
			epbs++;
			break;
		case BT_ISB:
			if (len < ISB_FIXED + 4 || get32(h + 8) >= nidb)
				return -EBADMSG;
			break;
		}
		if (pos > 0 && !nidb)
			return -EBADMSG;
		pos += len;
	}
	if (!nidb)
		return -EBADMSG;
	*end = pos;
	if (packets)
		*packets = epbs;
	return 0;
}

/* Checks the file's first block only: the cheap test for our own files. */
static int check_header(int fd)
{
	uint8_t h[12];

	if (pread(fd, h, sizeof(h), 0) != sizeof(h) || get32(h) != BT_SHB ||
	    get32(h + 8) != BYTE_ORDER_MAGIC)
		return -EBADMSG;
	return 0;
}

/*
 * Take over @fd, an existing file open read-write, to append to it (closed
 * on failure too).  @full: read it all, check every block, count the
 * packets and cut off a block a crash left half-written; else trust all
 * but the first block and take @snaplen as the file's.
 */
static int open_fd(struct pcapng **out, int fd, bool full, uint32_t snaplen,
		   uint64_t *packets)
{
	struct pcapng *png;
	struct stat st;
	off_t end;
	int err;

	png = pcapng_alloc();
	if (!png) {
		close(fd);
		return -ENOMEM;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto err_close;
	}
	end = st.st_size;
	png->snaplen = snaplen;
	err = full ? walk(png, fd, st.st_size, &end, packets)
		   : check_header(fd);
	if (!err && end < st.st_size && ftruncate(fd, end))
		err = -errno;
	if (!err && lseek(fd, end, SEEK_SET) < 0)
		err = -errno;
	if (!err)
		err = size_for_snaplen(png, png->snaplen);
	if (err)
		goto err_close;
	err = open_stream(png, fd);
	if (err)
		goto err_free;
	png->pos = png->reserved = end;
	*out = png;
	return 0;
err_close:
	close(fd);
err_free:
	pcapng_free(png);
	return err;
}

static int open_existing(struct pcapng **out, int dirfd, const char *relpath,
			 bool full, uint32_t snaplen)
{
	int fd = open_beneath(dirfd, relpath, O_RDWR, 0);

	if (fd < 0)
		return fd;
	return open_fd(out, fd, full, snaplen, NULL);
}

int pcapng_reopen(struct pcapng **out, int dirfd, const char *relpath)
{
	return open_existing(out, dirfd, relpath, true, 0);
}

int pcapng_reopen_fd(struct pcapng **out, int fd, uint64_t *packets)
{
	return open_fd(out, fd, true, 0, packets);
}

int pcapng_append(struct pcapng **out, int dirfd, const char *relpath,
		  uint32_t snaplen)
{
	return open_existing(out, dirfd, relpath, false, snaplen);
}

int pcapng_write(struct pcapng *png, const struct pcapng_packet *pkt)
{
	uint16_t clen = 0;
	uint64_t size;
	uint8_t *p;
	int err;

	if (png->err)
		return png->err;
	if (pkt->caplen > pkt->len || (pkt->caplen && !pkt->data) ||
	    (png->snaplen && pkt->caplen > png->snaplen) ||
	    (unsigned int)pkt->dir > PCAPNG_DIR_OUT)
		return -EINVAL;
	if (pkt->comment)
		clen = opt_len(pkt->comment, pkt->comment_len);
	size = (uint64_t)EPB_OVERHEAD + pad4(pkt->caplen);
	if (size > UINT32_MAX)
		return -EINVAL;
	err = ensure_blk(png, size);
	if (err)
		return err;

	p = put32(png->blk, BT_EPB) + 4;
	p = put32(p, 0);
	p = put_ts(p, pkt->ts_ns);
	p = put32(p, pkt->caplen);
	p = put32(p, pkt->len);
	if (pkt->caplen)
		memcpy(p, pkt->data, pkt->caplen);
	memset(p + pkt->caplen, 0, pad4(pkt->caplen) - pkt->caplen);
	p += pad4(pkt->caplen);
	if (pkt->dir != PCAPNG_DIR_UNKNOWN)
		p = put_opt(p, EPB_FLAGS, &(uint32_t){ pkt->dir }, 4);
	if (pkt->has_drops)
		p = put_opt_u64(p, EPB_DROPCOUNT, pkt->drops);
	if (pkt->has_pid) {
		uint32_t v[2] = { pkt->pid, pkt->tid };

		p = put_opt(p, EPB_PROCESSID_THREADID, v, sizeof(v));
	}
	if (clen)
		p = put_opt(p, OPT_COMMENT, pkt->comment, clen);
	if (p != png->blk + EPB_FIXED + pad4(pkt->caplen))
		p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	return emit(png, p);
}

int pcapng_write_stats(struct pcapng *png, const struct pcapng_stats *st)
{
	uint8_t *p;

	if (png->err)
		return png->err;
	/* The buffer always has room for this small block. */
	p = put32(png->blk, BT_ISB) + 4;
	p = put32(p, 0);
	p = put_ts(p, st->end_ns);
	p = put_opt_ts(p, ISB_STARTTIME, st->start_ns);
	p = put_opt_ts(p, ISB_ENDTIME, st->end_ns);
	p = put_opt_u64(p, ISB_IFRECV, st->ifrecv);
	p = put_opt_u64(p, ISB_IFDROP, st->ifdrop);
	p = put_opt(p, OPT_ENDOFOPT, NULL, 0);
	return emit(png, p);
}

int pcapng_flush(struct pcapng *png)
{
	if (png->err)
		return png->err;
	errno = 0;
	if (fflush(png->f))
		return io_error(png);
	return 0;
}

/* Flushed, and the space reserved past the end given back. */
static int flush_all(struct pcapng *png)
{
	int err = pcapng_flush(png);

	if (!err)
		err = file_unreserve(fileno(png->f), &png->reserved, png->pos);
	return err;
}

int pcapng_sync(struct pcapng *png)
{
	int err = flush_all(png);

	if (!err && fsync(fileno(png->f)))
		err = io_error(png);
	return err;
}

int pcapng_close(struct pcapng *png)
{
	int err = flush_all(png);

	errno = 0;
	if (fclose(png->f) && !err)
		err = errno ? -errno : -EIO;
	pcapng_free(png);
	return err;
}

void pcapng_set_digest(struct pcapng *png, struct digest *d)
{
	png->digest = d;
}

uint64_t pcapng_offset(const struct pcapng *png)
{
	return png->pos;
}
