/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PCAPFILE_H
#define NR_PCAPFILE_H

#include <stdint.h>
#include <time.h>

/*
 * One nanosecond pcap file of LINKTYPE_NULL frames.  libpcap writes (or,
 * to append, checks) the file header; records are written here.
 * A frame is a 4-byte link header (the address family in host byte order,
 * as BSD loopback has it) followed by the IP packet.
 */
#define PCAP_FILE_HDR_LEN 24
#define PCAP_NULL_HDR_LEN 4

/*
 * The record header of the pcap file format as libpcap reads it (32-bit
 * seconds and fraction, caplen, len, in host order).
 */
struct sf_pkthdr {
	uint32_t sec;
	uint32_t frac;
	uint32_t caplen;
	uint32_t len;
};

struct pcapfile;

/*
 * Create @relpath under @dirfd and write the file header.  Never follows a
 * symlink nor leaves @dirfd, never replaces a file (-EEXIST), mode 0600.
 * @snaplen is the file header's snapshot length, link header included.
 */
int pcapfile_create(struct pcapfile **out, int dirfd, const char *relpath,
		    uint32_t snaplen);
/* Re-open a file made by pcapfile_create() to append to it. */
int pcapfile_reopen(struct pcapfile **out, int dirfd, const char *relpath,
		    uint32_t snaplen);
/* @frame holds @caplen bytes, link header included; @len is the original. */
int pcapfile_write(struct pcapfile *pf, const struct timespec *ts,
		   const uint8_t *frame, uint32_t caplen, uint32_t len);
int pcapfile_flush(struct pcapfile *pf);
/* Flush and fsync: the data is on disk when it returns 0. */
int pcapfile_sync(struct pcapfile *pf);
/* Flushes and closes; returns the first error the file had, if any. */
int pcapfile_close(struct pcapfile *pf);

/*
 * Every byte written to the file from now on also goes into @d (NULL:
 * none), as it reaches the file.  Set it while no record is buffered.
 */
struct digest;
void pcapfile_set_digest(struct pcapfile *pf, struct digest *d);
/* Where the next record starts in the file. */
uint64_t pcapfile_offset(const struct pcapfile *pf);

/* The LINKTYPE_NULL header for IPv4 (@family 4) or IPv6 (6). */
void pcap_null_header(uint8_t hdr[PCAP_NULL_HDR_LEN], int family);

#endif
