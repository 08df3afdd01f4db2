/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FILECACHE_H
#define NR_FILECACHE_H

#include <stdint.h>

#include "format.h"

/*
 * The output directory and the capture files in it.  Files are created on
 * first use under names that never replace an existing file, and at most
 * max_open of them are open at once: the least recently written is closed
 * and re-opened for appending when its next packet comes.  Each close of
 * a pcapng file ends with its statistics so far.
 */
struct filecache;
struct outfile;

/* @spec is copied; what its pointers point to must outlive the cache. */
int filecache_open(struct filecache **out, const char *dir,
		   unsigned int max_open, const struct format_spec *spec);
/*
 * The file for @base (a sanitised name stem) in the subdirectory @sub
 * (sanitised too; NULL for none), created if new.  NULL on error, which
 * is logged.
 */
struct outfile *filecache_file(struct filecache *fc, const char *sub,
			       const char *base);
int filecache_write(struct filecache *fc, struct outfile *f,
		    const struct pcapng_packet *pkt);
/* Push buffered data of every open file to the kernel. */
void filecache_flush(struct filecache *fc);
/* Close everything; returns the first error seen while closing. */
int filecache_close(struct filecache *fc);
unsigned int filecache_count(const struct filecache *fc);

#endif
