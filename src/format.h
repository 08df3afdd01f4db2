/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FORMAT_H
#define NR_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "pcapng.h"

/*
 * The two file formats behind one interface.  A packet is described as
 * for pcapng; pcap files keep only its time, lengths and bytes.
 */
enum out_format {
	FORMAT_PCAP = 0,
	FORMAT_PCAPNG,
};

struct format_spec {
	enum out_format format;
	uint32_t snaplen;		  /* the file's, link header included */
	const struct pcapng_section *shb; /* pcapng only */
};

struct format_file;
struct digest;

/*
 * As pcapfile_create(): beneath @dirfd, no symlinks, never replacing.
 * @d (may be NULL) receives every byte of the file, headers included, as
 * it is written: the file's SHA-256 costs no second read.
 */
int format_create(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath, struct digest *d);
/*
 * Re-open a file made by format_create() and closed cleanly; @d goes on
 * from where the file's digest was.
 */
int format_append(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath, struct digest *d);
/* @pos: the offset in the file where the packet's record starts. */
int format_write(struct format_file *ff, const struct pcapng_packet *pkt,
		 uint64_t *pos);
int format_flush(struct format_file *ff);
/*
 * @st: pcapng writes it as an Interface Statistics Block; may be NULL.
 * @sync: fsync before closing (a finished chunk), or not (a file the
 * open-file LRU puts aside, to be appended to later).
 */
int format_close(struct format_file *ff, const struct pcapng_stats *st,
		 bool sync);
/* ".pcap" or ".pcapng" */
const char *format_ext(enum out_format format);

#endif
