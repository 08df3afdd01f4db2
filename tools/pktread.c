// SPDX-License-Identifier: GPL-2.0
/* pcap records and pcapng packet blocks at given offsets, plain or zstd. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapfile.h"
#include "pktread.h"
#include "tool.h"
#include "zseek.h"

#define BUF_SIZE (1 << 20)
/* No record of ours comes near this: a bigger one is damage. */
#define MAX_RECORD (16 << 20)
#define HEAD_MAX (1 << 20) /* pcapng blocks before the first packet */

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 1
#define BT_EPB 6
#define PNG_MAGIC 0x1A2B3C4D
#define MAX_IFACES 64

enum fmt { F_PCAP, F_PCAPNG };

struct pkt_src {
	int fd;
	struct zseek *z; /* compressed */
	enum fmt fmt;
	bool swap; /* the file's byte order is not ours */
	bool nano; /* pcap: nanosecond timestamps */
	uint64_t data_start;
	/* pcapng: nanoseconds per tick of each interface (0: unknown). */
	uint64_t tick[MAX_IFACES];
	unsigned int nifaces;
	/* The buffer holds the file's bytes [boff, boff + blen). */
	uint8_t *buf;
	size_t bcap, blen;
	uint64_t boff;
	uint64_t pos; /* where the next record starts */
};

static uint32_t get32(const struct pkt_src *s, const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return s->swap ? __builtin_bswap32(v) : v;
}

static uint16_t get16(const struct pkt_src *s, const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return s->swap ? __builtin_bswap16(v) : v;
}

static ssize_t src_pread(struct pkt_src *s, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = s->z ? zseek_pread(s->z, (uint8_t *)buf + done, len - done,
				       off + done)
			 : pread(s->fd, (uint8_t *)buf + done, len - done,
				 off + done);
		if (n < 0 && !s->z && errno == EINTR)
			continue;
		if (n < 0)
			return s->z ? n : -errno;
		if (!n)
			break;
		done += n;
	}
	return done;
}

/*
 * Make [off, off + len) available in the buffer; returns a pointer to it,
 * or NULL with *@err (0: the file ends first).
 */
static const uint8_t *need(struct pkt_src *s, uint64_t off, size_t len,
			   int *err)
{
	size_t want;
	ssize_t n;

	*err = 0;
	if (off >= s->boff && off + len <= s->boff + s->blen)
		return s->buf + (off - s->boff);
	if (len > MAX_RECORD) {
		*err = -EBADMSG;
		return NULL;
	}
	want = len > BUF_SIZE ? len : BUF_SIZE;
	if (want > s->bcap) {
		s->buf = xrealloc(s->buf, want);
		s->bcap = want;
	}
	n = src_pread(s, s->buf, want, off);
	if (n < 0) {
		*err = n;
		s->blen = 0;
		return NULL;
	}
	s->boff = off;
	s->blen = n;
	return (size_t)n >= len ? s->buf : NULL;
}

static int pcap_header(struct pkt_src *s, const uint8_t *h)
{
	uint32_t magic;

	memcpy(&magic, h, 4);
	switch (magic) {
	case 0xa1b2c3d4:
	case 0xa1b23c4d:
		break;
	case 0xd4c3b2a1:
	case 0x4d3cb2a1:
		s->swap = true;
		break;
	default:
		return -EBADMSG;
	}
	s->fmt = F_PCAP;
	s->nano = get32(s, h) == 0xa1b23c4d;
	s->data_start = PCAP_FILE_HDR_LEN;
	return get32(s, h + 20) == 0 ? 0 : -EPROTONOSUPPORT;
}

/* if_tsresol of an IDB's options, as nanoseconds per tick. */
static uint64_t idb_tick(const struct pkt_src *s, const uint8_t *o, size_t len)
{
	uint16_t code, olen;
	uint64_t tick = 1000; /* microseconds, the default */
	uint8_t r;

	while (len >= 4) {
		code = get16(s, o);
		olen = get16(s, o + 2);
		if (!code || 4 + (size_t)olen > len)
			break;
		if (code == 9 && olen == 1) {
			r = o[4];
			if (r & 0x80)
				return 0; /* powers of two: not supported */
			tick = 1;
			for (int i = r; i < 9; i++)
				tick *= 10;
			if (r > 9)
				return 0;
		}
		size_t step = 4 + (size_t)((olen + 3) & ~3);

		if (step > len)
			break;
		o += step;
		len -= step;
	}
	return tick;
}

static int idb(struct pkt_src *s, const uint8_t *b, uint32_t blen)
{
	if (blen < 20)
		return -EBADMSG;
	if (get16(s, b + 8) != 0)
		return -EPROTONOSUPPORT;
	if (s->nifaces < MAX_IFACES)
		s->tick[s->nifaces] = idb_tick(s, b + 16, blen - 20);
	s->nifaces++;
	return 0;
}

/* The SHB and IDBs, up to the first other block. */
static int pcapng_header(struct pkt_src *s)
{
	const uint8_t *b;
	uint64_t off = 0;
	uint32_t type, blen, magic;
	int err;

	b = need(s, 0, 12, &err);
	if (!b)
		return err ? err : -EBADMSG;
	memcpy(&magic, b + 8, 4);
	s->swap = magic != PNG_MAGIC;
	if (s->swap && magic != __builtin_bswap32(PNG_MAGIC))
		return -EBADMSG;
	s->fmt = F_PCAPNG;
	while (off < HEAD_MAX) {
		b = need(s, off, 8, &err);
		if (!b)
			break;
		type = get32(s, b);
		blen = get32(s, b + 4);
		if (blen < 12 || blen % 4 || blen > MAX_RECORD)
			return -EBADMSG;
		if (type != BT_SHB && type != BT_IDB)
			break;
		b = need(s, off, blen, &err);
		if (!b)
			return err ? err : -EBADMSG;
		if (type == BT_IDB && (err = idb(s, b, blen)))
			return err;
		off += blen;
	}
	s->data_start = off;
	return s->nifaces ? 0 : -EBADMSG;
}

int pkt_src_open(struct pkt_src **out, const char *path, bool compressed)
{
	struct pkt_src *s = xcalloc(1, sizeof(*s));
	const uint8_t *h;
	uint32_t magic;
	int err;

	s->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (s->fd < 0) {
		err = -errno;
		goto fail;
	}
	if (compressed && (err = zseek_open(&s->z, s->fd)))
		goto fail;
	h = need(s, 0, PCAP_FILE_HDR_LEN, &err);
	if (!h) {
		err = err ? err : -EBADMSG;
		goto fail;
	}
	memcpy(&magic, h, 4);
	err = magic == BT_SHB ? pcapng_header(s) : pcap_header(s, h);
	if (err)
		goto fail;
	s->pos = s->data_start;
	*out = s;
	return 0;
fail:
	pkt_src_close(s);
	return err;
}

void pkt_src_close(struct pkt_src *s)
{
	if (!s)
		return;
	zseek_close(s->z);
	if (s->fd >= 0)
		close(s->fd);
	free(s->buf);
	free(s);
}

void pkt_src_seek(struct pkt_src *s, uint64_t off)
{
	s->pos = off < s->data_start ? s->data_start : off;
}

static int next_pcap(struct pkt_src *s, struct pkt_rec *r)
{
	const uint8_t *h;
	uint32_t frac;
	int err;

	h = need(s, s->pos, sizeof(struct sf_pkthdr), &err);
	if (!h)
		return err;
	r->caplen = get32(s, h + 8);
	r->len = get32(s, h + 12);
	frac = get32(s, h + 4);
	if (r->caplen > MAX_RECORD || frac >= 1000000000U ||
	    (!s->nano && frac >= 1000000U))
		return -EBADMSG;
	r->ts = (int64_t)get32(s, h) * NS_PER_SEC +
		(s->nano ? frac : frac * 1000LL);
	h = need(s, s->pos, sizeof(struct sf_pkthdr) + r->caplen, &err);
	if (!h)
		return err ? err : -EBADMSG; /* cut inside the record */
	r->offset = s->pos;
	r->data = h + sizeof(struct sf_pkthdr);
	s->pos += sizeof(struct sf_pkthdr) + r->caplen;
	return 1;
}

static int epb(struct pkt_src *s, const uint8_t *b, uint32_t blen,
	       struct pkt_rec *r)
{
	uint32_t ifc;
	uint64_t t, tick;

	/* Its fields and the trailing length must be in the block. */
	if (blen < 32)
		return -EBADMSG;
	ifc = get32(s, b + 8);
	t = (uint64_t)get32(s, b + 12) << 32 | get32(s, b + 16);
	tick = ifc < s->nifaces && ifc < MAX_IFACES ? s->tick[ifc] : 0;
	r->caplen = get32(s, b + 20);
	r->len = get32(s, b + 24);
	if (!tick || r->caplen > blen - 32)
		return -EBADMSG;
	r->ts = (int64_t)(t * tick);
	r->data = b + 28;
	return 1;
}

static int next_pcapng(struct pkt_src *s, struct pkt_rec *r)
{
	const uint8_t *b;
	uint32_t type, blen;
	int err;

	for (;;) {
		b = need(s, s->pos, 8, &err);
		if (!b)
			return err;
		type = get32(s, b);
		blen = get32(s, b + 4);
		if (blen < 12 || blen % 4 || blen > MAX_RECORD)
			return -EBADMSG;
		b = need(s, s->pos, blen, &err);
		if (!b)
			return err ? err : -EBADMSG;
		r->offset = s->pos;
		s->pos += blen;
		if (type == BT_EPB)
			return epb(s, b, blen, r);
		if (type == BT_IDB && (err = idb(s, b, blen)))
			return err;
		if (type == BT_SHB)
			return -EBADMSG; /* a new section: not in a chunk */
	}
}

int pkt_src_next(struct pkt_src *s, struct pkt_rec *r)
{
	return s->fmt == F_PCAP ? next_pcap(s, r) : next_pcapng(s, r);
}
