/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_POSTPROC_H
#define NR_POSTPROC_H

#include <stdint.h>

#include "retention.h"

/*
 * What happens to a chunk once it is finished, in a low-priority thread of
 * its own so capture never waits for it: zstd compression (--compress),
 * the -z command, then retention (--max-total, --min-free, which also run
 * once at start).
 */
struct postproc_config {
	int compress_level;   /* 0: do not compress */
	char *const *command; /* -z: argv, the chunk's path is appended */
	struct retention_policy retention;
	int dirfd;	 /* the output directory (not owned) */
	const char *dir; /* its path, to hand -z an absolute-ish path */
};

struct postproc;

int postproc_start(struct postproc **out, const struct postproc_config *cfg);
/* Queue @relpath (under the output directory); never blocks. */
void postproc_submit(struct postproc *pp, const char *relpath);
/* Process what is queued, then stop the thread and free. */
void postproc_stop(struct postproc *pp);

#endif
