// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "clock.h"
#include "digest.h"
#include "fileio.h"
#include "log.h"
#include "pcapfile.h"
#include "safeopen.h"

/* BSD's AF_INET6 as LINKTYPE_NULL readers know it (NetBSD/OpenBSD). */
#define BSD_AF_INET6 24
/*
 * Records are gathered here and written with one pwrite(2).  A file
 * starts with BUF_MIN; one that fills its buffer within BUF_FAST_NS of the
 * last write doubles it, up to BUF_MAX: a write(2) into the page cache
 * costs per call as well as per byte.  Slow files keep small buffers, so
 * 128 open files do not hold 128 MiB.  The smallest buffer still holds the
 * largest record.  The disk space of a buffer's worth past the last record
 * is taken ahead (fileio.h).
 */
#define BUF_MIN (64 * 1024)
#define BUF_MAX (1024 * 1024)
#define BUF_FAST_NS (250ULL * 1000000)

struct pcapfile {
	pcap_t *pcap;
	pcap_dumper_t *dumper; /* wrote or checked the file header */
	int fd;		       /* the dumper's: records bypass stdio */
	int err;
	uint8_t *buf;
	size_t cap, used;
	uint64_t done;	       /* file offset of buf[0] */
	uint64_t reserved;     /* disk space taken up to here (fileio.h) */
	uint64_t last_write;   /* mono ns of the last write(2) */
	struct digest *digest; /* hashes every byte written once set */
};

void pcap_null_header(uint8_t hdr[PCAP_NULL_HDR_LEN], int family)
{
	uint32_t af = family == 6 ? BSD_AF_INET6 : AF_INET;

	memcpy(hdr, &af, sizeof(af));
}

static struct pcapfile *pcapfile_alloc(uint32_t snaplen)
{
	struct pcapfile *pf = calloc(1, sizeof(*pf));

	if (!pf)
		return NULL;
	pf->fd = -1;
	pf->cap = BUF_MIN;
	pf->buf = malloc(pf->cap);
	pf->pcap = pcap_open_dead_with_tstamp_precision(
		DLT_NULL, snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (!pf->pcap || !pf->buf) {
		if (pf->pcap)
			pcap_close(pf->pcap);
		free(pf->buf);
		free(pf);
		return NULL;
	}
	pf->last_write = mono_now_ns();
	return pf;
}

static void pcapfile_free(struct pcapfile *pf)
{
	pcap_close(pf->pcap);
	free(pf->buf);
	free(pf);
}

/*
 * From here on records go to the dumper's fd, after what libpcap wrote or
 * found: stdio must hold nothing, or it would write over them at close.
 */
static int take_fd(struct pcapfile *pf)
{
	int64_t end;

	errno = 0;
	if (pcap_dump_flush(pf->dumper))
		return errno ? -errno : -EIO;
	end = pcap_dump_ftell64(pf->dumper);
	if (end < 0)
		return errno ? -errno : -EIO;
	pf->fd = fileno(pcap_dump_file(pf->dumper));
	pf->done = pf->reserved = end;
	return 0;
}

int pcapfile_create(struct pcapfile **out, int dirfd, const char *relpath,
		    uint32_t snaplen)
{
	struct pcapfile *pf;
	FILE *f;
	int fd, err;

	pf = pcapfile_alloc(snaplen);
	if (!pf)
		return -ENOMEM;
	fd = open_beneath(dirfd, relpath, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	f = fdopen(fd, "w");
	if (!f) {
		err = -errno;
		close(fd);
		goto err_unlink;
	}
	pf->dumper = pcap_dump_fopen(pf->pcap, f);
	if (!pf->dumper) {
		pr_err("%s: %s", relpath, pcap_geterr(pf->pcap));
		fclose(f);
		err = -EIO;
		goto err_unlink;
	}
	/* The header on disk at once: even a file no packet reached is whole.
	 */
	err = take_fd(pf);
	if (err) {
		pcap_dump_close(pf->dumper);
		goto err_unlink;
	}
	*out = pf;
	return 0;
err_unlink:
	unlinkat(dirfd, relpath, 0);
err_free:
	pcapfile_free(pf);
	return err;
}

int pcapfile_reopen(struct pcapfile **out, int dirfd, const char *relpath,
		    uint32_t snaplen)
{
	struct pcapfile *pf;
	char path[64];
	struct stat st;
	int fd, err = 0;

	pf = pcapfile_alloc(snaplen);
	if (!pf)
		return -ENOMEM;
	fd = open_beneath(dirfd, relpath, O_RDWR, 0);
	if (fd < 0) {
		err = fd;
		goto out;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		err = -EINVAL;
		goto out;
	}
	/*
	 * libpcap appends only by path; the fd's magic link reopens exactly
	 * the file checked above, whatever happens to the name meanwhile.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	pf->dumper = pcap_dump_open_append(pf->pcap, path);
	if (!pf->dumper) {
		pr_err("%s: %s", relpath, pcap_geterr(pf->pcap));
		err = -EIO;
		goto out;
	}
	err = take_fd(pf);
	if (err)
		pcap_dump_close(pf->dumper);
out:
	if (fd >= 0)
		close(fd);
	if (err) {
		pcapfile_free(pf);
		return err;
	}
	*out = pf;
	return 0;
}

/* Write the whole buffer; a short write is retried, an error kept. */
static int write_out(struct pcapfile *pf)
{
	size_t off = 0;

	if (pf->err)
		return pf->err;
	while (off < pf->used) {
		ssize_t n = pwrite(pf->fd, pf->buf + off, pf->used - off,
				   pf->done + off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return pf->err = n < 0 ? -errno : -EIO;
		/* What reached the file, a buffer at a time, not a record. */
		if (pf->digest)
			digest_update(pf->digest, pf->buf + off, n);
		off += n;
	}
	pf->done += pf->used;
	pf->used = 0;
	pf->last_write = mono_now_ns();
	return 0;
}

static void grow(struct pcapfile *pf, size_t cap)
{
	uint8_t *bigger = realloc(pf->buf, cap);

	if (bigger) {
		pf->buf = bigger;
		pf->cap = cap;
	}
}

/* No room for @need more: write the buffer, give a busy file a bigger one. */
static int make_room(struct pcapfile *pf, size_t need)
{
	bool fast = mono_now_ns() - pf->last_write < BUF_FAST_NS;
	int err;

	err = write_out(pf);
	if (err)
		return err;
	if (fast && pf->cap < BUF_MAX)
		grow(pf, pf->cap * 2);
	if (need > pf->cap) /* never for a packet: BUF_MIN holds the largest */
		grow(pf, need);
	return need > pf->cap ? -ENOMEM : 0;
}

int pcapfile_write(struct pcapfile *pf, const struct timespec *ts,
		   const uint8_t *frame, uint32_t caplen, uint32_t len)
{
	struct sf_pkthdr sf = {
		.sec = ts->tv_sec,
		.frac = ts->tv_nsec,
		.caplen = caplen,
		.len = len,
	};
	size_t need = sizeof(sf) + caplen;
	int err;

	if (pf->err)
		return pf->err;
	/*
	 * Refused, not taken, when the disk is full: what the buffer holds
	 * is written whatever happens to the disk meanwhile.
	 */
	if (pf->done + pf->used + need > pf->reserved) {
		err = file_reserve(pf->fd, &pf->reserved,
				   pf->done + pf->used + need, pf->cap);
		if (err)
			return err;
	}
	if (pf->used + need > pf->cap) {
		err = make_room(pf, need);
		if (err)
			return err;
	}
	memcpy(pf->buf + pf->used, &sf, sizeof(sf));
	memcpy(pf->buf + pf->used + sizeof(sf), frame, caplen);
	pf->used += need;
	return 0;
}

int pcapfile_flush(struct pcapfile *pf)
{
	return write_out(pf);
}

/* Written, and the space reserved past the end given back. */
static int flush_all(struct pcapfile *pf)
{
	int err = write_out(pf);

	if (!err)
		err = file_unreserve(pf->fd, &pf->reserved, pf->done);
	if (err)
		pf->err = err;
	return err;
}

int pcapfile_sync(struct pcapfile *pf)
{
	int err = flush_all(pf);

	if (!err && fsync(pf->fd))
		pf->err = err = -errno;
	return err;
}

int pcapfile_close(struct pcapfile *pf)
{
	/*
	 * pcap_dump_close() hides fclose()'s result; stdio holds nothing
	 * (records bypass it), so only close(2) itself could still fail.
	 */
	int err = flush_all(pf);

	pcap_dump_close(pf->dumper);
	pcapfile_free(pf);
	return err;
}

void pcapfile_set_digest(struct pcapfile *pf, struct digest *d)
{
	pf->digest = d;
}

uint64_t pcapfile_offset(const struct pcapfile *pf)
{
	return pf->done + pf->used;
}
