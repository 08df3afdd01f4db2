// SPDX-License-Identifier: GPL-2.0
/*
 * Random access into zstd files.  With a seek table (the seekable format
 * that compress.c writes), a read decompresses whole frames, only those
 * it touches, and keeps the last one: reads that walk through a chunk
 * decompress each frame once.  Without one, the file is decompressed as a
 * stream from its start, keeping the last piece of output; a read before
 * that piece starts over from the beginning.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "fileio.h"
#include "zseek.h"

#define SEEK_RESERVED 0x7c
/* As zstd's own seekable library: no frame holds more. */
#define MAX_FRAME (1U << 30)

struct zframe {
	uint64_t coff, doff; /* where it starts, compressed and not */
	uint32_t csize, dsize, checksum;
};

struct zseek {
	int fd;
	ZSTD_DCtx *dctx;
	/* The seek table, if any. */
	bool seekable, checksums;
	struct zframe *frames;
	uint32_t nframes;
	uint64_t size;
	uint8_t *cbuf; /* one compressed frame */
	size_t ccap;
	/* The uncompressed bytes at hand: [wpos, wpos + wlen). */
	uint8_t *win;
	size_t wcap, wlen;
	uint64_t wpos;
	/* Streaming: where the input stands. */
	uint8_t *in;
	ZSTD_inBuffer ib;
	uint64_t coff;
	bool in_eof, ended, full;
};

static uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread_full(fd, buf, len, off);

	if (n < 0)
		return n;
	/* The file is shorter than its own table says. */
	return (size_t)n < len ? -EBADMSG : 0;
}

static int zstd_err(size_t r)
{
	return ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation ? -ENOMEM
								    : -EBADMSG;
}

/* Reads the entries of a table that starts at @start, of @n frames. */
static int read_entries(struct zseek *z, uint64_t start, uint32_t n, size_t esz)
{
	uint64_t coff = 0, doff = 0;
	uint8_t *buf = malloc((size_t)n * esz + 1);
	int err = -ENOMEM;

	z->frames = calloc(n ? n : 1, sizeof(*z->frames));
	if (!buf || !z->frames)
		goto out;
	err = read_exact(z->fd, buf, (size_t)n * esz, start + 8);
	if (err)
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		struct zframe *f = &z->frames[i];
		const uint8_t *e = buf + (size_t)i * esz;

		f->coff = coff;
		f->doff = doff;
		f->csize = get_le32(e);
		f->dsize = get_le32(e + 4);
		f->checksum = esz == 12 ? get_le32(e + 8) : 0;
		coff += f->csize;
		doff += f->dsize;
		if (f->dsize > MAX_FRAME) {
			err = -EFBIG;
			goto out;
		}
	}
	/* The frames must fill the file up to the table exactly. */
	err = coff == start ? 0 : -EBADMSG;
	z->nframes = n;
	z->size = doff;
out:
	free(buf);
	return err;
}

/* 0 and z->seekable set, 0 for a file without a table, or -errno. */
static int read_table(struct zseek *z, uint64_t fsize)
{
	uint8_t foot[ZSEEK_FOOTER], head[8];
	uint64_t tsize, start;
	uint32_t n;
	size_t esz;
	int err;

	if (fsize < 8 + ZSEEK_FOOTER)
		return 0;
	err = read_exact(z->fd, foot, sizeof(foot), fsize - sizeof(foot));
	if (err)
		return err;
	if (get_le32(foot + 5) != ZSEEK_SEEKABLE_MAGIC)
		return 0;
	/* Reserved bits: a later format this one cannot read right. */
	if (foot[4] & SEEK_RESERVED)
		return -EBADMSG;
	n = get_le32(foot);
	esz = foot[4] & ZSEEK_CHECKSUMS ? 12 : 8;
	tsize = (uint64_t)n * esz + ZSEEK_FOOTER;
	if (tsize > UINT32_MAX || 8 + tsize > fsize)
		return -EBADMSG;
	start = fsize - 8 - tsize;
	err = read_exact(z->fd, head, sizeof(head), start);
	if (err)
		return err;
	if (get_le32(head) != ZSEEK_SKIPPABLE_MAGIC ||
	    get_le32(head + 4) != tsize)
		return -EBADMSG;
	err = read_entries(z, start, n, esz);
	if (err)
		return err;
	z->seekable = true;
	z->checksums = esz == 12;
	return 0;
}

static int grow(uint8_t **buf, size_t *cap, size_t len)
{
	uint8_t *p;

	if (len <= *cap)
		return 0;
	p = realloc(*buf, len);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = len;
	return 0;
}

/* The frame that holds uncompressed offset @pos (< z->size). */
static uint32_t find_frame(const struct zseek *z, uint64_t pos)
{
	uint32_t lo = 0, hi = z->nframes - 1;

	/* The first frame that ends after @pos; empty frames end before. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const struct zframe *f = &z->frames[mid];

		if (f->doff + f->dsize > pos)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/*
 * A frame that carries its own checksum (RFC 8878: bit 2 of the header
 * descriptor, the checksum its last 4 bytes) must agree with the table,
 * which holds the same XXH64 bits: else the table is not this file's.
 */
static bool checksum_agrees(const struct zseek *z, const struct zframe *f)
{
	const uint8_t *p = z->cbuf;

	if (!z->checksums || f->csize < 9 || get_le32(p) != ZSTD_MAGICNUMBER ||
	    !(p[4] & 0x04))
		return true;
	return get_le32(p + f->csize - 4) == f->checksum;
}

static int load_frame(struct zseek *z, uint32_t i)
{
	const struct zframe *f = &z->frames[i];
	size_t r;
	int err;

	z->wlen = 0;
	err = grow(&z->cbuf, &z->ccap, f->csize);
	if (!err)
		err = grow(&z->win, &z->wcap, f->dsize);
	if (!err)
		err = read_exact(z->fd, z->cbuf, f->csize, f->coff);
	if (err)
		return err;
	if (!checksum_agrees(z, f))
		return -EBADMSG;
	r = ZSTD_decompressDCtx(z->dctx, z->win, f->dsize, z->cbuf, f->csize);
	if (ZSTD_isError(r))
		return zstd_err(r);
	if (r != f->dsize)
		return -EBADMSG;
	z->wpos = f->doff;
	z->wlen = f->dsize;
	return 0;
}

/* Streaming from the start again. */
static void restart(struct zseek *z)
{
	ZSTD_DCtx_reset(z->dctx, ZSTD_reset_session_only);
	z->ib = (ZSTD_inBuffer){ z->in, 0, 0 };
	z->coff = 0;
	z->in_eof = z->ended = z->full = false;
	z->wpos = 0;
	z->wlen = 0;
}

static int refill(struct zseek *z)
{
	ssize_t n = pread_full(z->fd, z->in, ZSTD_DStreamInSize(), z->coff);

	if (n < 0)
		return n;
	z->ib = (ZSTD_inBuffer){ z->in, n, 0 };
	z->coff += n;
	z->in_eof = !n;
	return 0;
}

/* The next piece of output after the window: 1, 0 at the end, -errno. */
static int stream_next(struct zseek *z)
{
	z->wpos += z->wlen;
	z->wlen = 0;
	for (;;) {
		ZSTD_outBuffer ob = { z->win, z->wcap, 0 };
		size_t r;
		int err;

		if (z->ib.pos == z->ib.size && !z->in_eof) {
			err = refill(z);
			if (err)
				return err;
		}
		/* No input left and zstd holds nothing back. */
		if (z->ib.pos == z->ib.size && z->in_eof && !z->full)
			return z->ended ? 0 : -EBADMSG;
		r = ZSTD_decompressStream(z->dctx, &ob, &z->ib);
		if (ZSTD_isError(r))
			return zstd_err(r);
		z->ended = !r;
		z->full = ob.pos == ob.size;
		z->wlen = ob.pos;
		if (ob.pos)
			return 1;
	}
}

/* Gets @pos into the window: 1, 0 past the end, or -errno. */
static int stream_to(struct zseek *z, uint64_t pos)
{
	int r;

	if (pos < z->wpos)
		restart(z);
	do {
		r = stream_next(z);
		if (r <= 0)
			return r;
	} while (pos >= z->wpos + z->wlen);
	return 1;
}

static int seek_to(struct zseek *z, uint64_t pos)
{
	int err;

	if (pos >= z->size)
		return 0;
	err = load_frame(z, find_frame(z, pos));
	return err ? err : 1;
}

int zseek_open(struct zseek **out, int fd)
{
	struct zseek *z = calloc(1, sizeof(*z));
	struct stat st;
	int err = -ENOMEM;

	*out = NULL;
	if (!z)
		return -ENOMEM;
	z->fd = fd;
	z->dctx = ZSTD_createDCtx();
	if (!z->dctx)
		goto fail;
	if (fstat(fd, &st)) {
		err = -errno;
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto fail;
	}
	err = read_table(z, st.st_size);
	if (err)
		goto fail;
	if (!z->seekable) {
		z->in = malloc(ZSTD_DStreamInSize());
		err = grow(&z->win, &z->wcap, ZSTD_DStreamOutSize());
		if (!z->in || err) {
			err = -ENOMEM;
			goto fail;
		}
		restart(z);
	}
	*out = z;
	return 0;
fail:
	zseek_close(z);
	return err;
}

int64_t zseek_size(const struct zseek *z)
{
	return z->seekable ? (int64_t)z->size : -1;
}

ssize_t zseek_pread(struct zseek *z, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;
	size_t done = 0;
	int r;

	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	if (len > UINT64_MAX - off)
		len = UINT64_MAX - off;
	while (done < len) {
		uint64_t pos = off + done;
		size_t n;

		if (pos >= z->wpos && pos - z->wpos < z->wlen) {
			n = z->wlen - (pos - z->wpos);
			if (n > len - done)
				n = len - done;
			memcpy(p + done, z->win + (pos - z->wpos), n);
			done += n;
			continue;
		}
		r = z->seekable ? seek_to(z, pos) : stream_to(z, pos);
		if (r < 0 && !z->seekable)
			restart(z); /* lost its place: next time, anew */
		/* As pread(2): what was read, then the error next time. */
		if (r < 0)
			return done ? (ssize_t)done : r;
		if (!r)
			break;
	}
	return done;
}

void zseek_close(struct zseek *z)
{
	if (!z)
		return;
	ZSTD_freeDCtx(z->dctx);
	free(z->frames);
	free(z->cbuf);
	free(z->win);
	free(z->in);
	free(z);
}
