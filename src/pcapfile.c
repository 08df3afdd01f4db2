// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "digest.h"
#include "fileio.h"
#include "log.h"
#include "pcapfile.h"
#include "safeopen.h"

/* BSD's AF_INET6 as LINKTYPE_NULL readers know it (NetBSD/OpenBSD). */
#define BSD_AF_INET6 24
#define FILE_BUFFER (64 * 1024)

struct pcapfile {
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	char *buf; /* stdio buffer of a created file */
	int err;
	uint64_t pos;	       /* file offset of the next record */
	uint64_t reserved;     /* disk space taken up to here (fileio.h) */
	struct digest *digest; /* hashes every record written, if set */
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
	pf->pcap = pcap_open_dead_with_tstamp_precision(
		DLT_NULL, snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (!pf->pcap) {
		free(pf);
		return NULL;
	}
	return pf;
}

static void pcapfile_free(struct pcapfile *pf)
{
	pcap_close(pf->pcap);
	free(pf->buf);
	free(pf);
}

/*
 * Only the writer thread touches a file: stdio's per-call lock is pure
 * cost on every pcap_dump() and ferror() (a few percent of the writer).
 */
static void unlocked(struct pcapfile *pf)
{
	__fsetlocking(pcap_dump_file(pf->dumper), FSETLOCKING_BYCALLER);
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
	/*
	 * glibc ignores the size unless it is given the buffer.  A re-opened
	 * file keeps stdio's default: libpcap has read from it already.
	 */
	pf->buf = malloc(FILE_BUFFER);
	if (pf->buf)
		setvbuf(f, pf->buf, _IOFBF, FILE_BUFFER);
	pf->dumper = pcap_dump_fopen(pf->pcap, f);
	if (!pf->dumper) {
		pr_err("%s: %s", relpath, pcap_geterr(pf->pcap));
		fclose(f);
		err = -EIO;
		goto err_unlink;
	}
	unlocked(pf);
	/* The header on disk at once: even a file no packet reached is whole.
	 */
	if (pcap_dump_flush(pf->dumper)) {
		err = errno ? -errno : -EIO;
		pcap_dump_close(pf->dumper);
		goto err_unlink;
	}
	pf->pos = pf->reserved = PCAP_FILE_HDR_LEN;
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
	if (pf->dumper) {
		unlocked(pf);
	} else {
		pr_err("%s: %s", relpath, pcap_geterr(pf->pcap));
		err = -EIO;
	}
	pf->pos = pf->reserved = st.st_size;
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

int pcapfile_write(struct pcapfile *pf, const struct timespec *ts,
		   const uint8_t *frame, uint32_t caplen, uint32_t len)
{
	struct pcap_pkthdr h = {
		.ts = { .tv_sec = ts->tv_sec, .tv_usec = ts->tv_nsec },
		.caplen = caplen,
		.len = len,
	};

	struct sf_pkthdr sf = {
		.sec = ts->tv_sec,
		.frac = ts->tv_nsec,
		.caplen = caplen,
		.len = len,
	};
	int err;

	if (pf->err)
		return pf->err;
	/* Refused, not taken, when the disk is full: nothing buffered is lost.
	 */
	err = file_reserve(fileno(pcap_dump_file(pf->dumper)), &pf->reserved,
			   pf->pos + sizeof(sf) + caplen, FILE_BUFFER);
	if (err)
		return err;
	errno = 0;
	pcap_dump((u_char *)pf->dumper, &h, frame);
	if (ferror(pcap_dump_file(pf->dumper)))
		return pf->err = errno ? -errno : -EIO;
	if (pf->digest) {
		digest_update(pf->digest, &sf, sizeof(sf));
		digest_update(pf->digest, frame, caplen);
	}
	pf->pos += sizeof(sf) + caplen;
	return 0;
}

int pcapfile_flush(struct pcapfile *pf)
{
	if (pf->err)
		return pf->err;
	errno = 0;
	if (pcap_dump_flush(pf->dumper))
		pf->err = errno ? -errno : -EIO;
	return pf->err;
}

/* Flushed, and the space reserved past the end given back. */
static int flush_all(struct pcapfile *pf)
{
	int err = pcapfile_flush(pf);

	if (!err)
		err = file_unreserve(fileno(pcap_dump_file(pf->dumper)),
				     pf->reserved, pf->pos);
	if (err)
		pf->err = err;
	else
		pf->reserved = pf->pos;
	return err;
}

int pcapfile_sync(struct pcapfile *pf)
{
	int err = flush_all(pf);

	if (!err && fsync(fileno(pcap_dump_file(pf->dumper))))
		pf->err = err = -errno;
	return err;
}

int pcapfile_close(struct pcapfile *pf)
{
	/*
	 * pcap_dump_close() hides fclose()'s result; after a good flush only
	 * close(2) itself could still fail.
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
	return pf->pos;
}
