/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_WRITER_H
#define NR_WRITER_H

#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "filecache.h"
#include "format.h"
#include "postproc.h"
#include "queue.h"

struct writer_config {
	const char *outdir;
	unsigned int split; /* enum split_mode bits */
	unsigned int max_open;
	struct format_spec spec; /* format; snaplen with the link header */
	struct chunk_policy chunks;
	struct postproc_config post; /* dirfd and dir are filled in */
	bool context;		     /* pcapng: per-packet owner comments */
	int execs_fd;		     /* the kernel's last execs, or -1 */
	const struct cgroup_root *cgroup_root;
	bool index;	     /* write the sidecar index of each chunk */
	const char *cmdline; /* for the index's chunk lines */
	/* The kernel's counters, for the losses each chunk's index reports. */
	int (*kernel_counters)(void *arg, struct nr_counters *sum);
	void *kernel_arg;
};

struct writer_stats {
	uint64_t packets; /* written to files */
	uint64_t bytes;	  /* captured bytes written, link headers included */
	uint64_t write_errors; /* packets lost to output errors */
	uint64_t out_of_order; /* released before an older record */
	uint64_t unindexed;    /* written, but left out of the index */
	unsigned int files;
};

struct writer;
struct priority;

/* Opens the output directory: errors here are the user's to fix. */
int writer_new(struct writer **out, const struct writer_config *cfg);
/*
 * A busy writer steps aside (@prio, see priority.h) while the queue is
 * nearly empty; NULL: it keeps its priority.
 */
int writer_start(struct writer *w, struct queue *q, struct priority *prio);
/* Hand the output directory to @uid, for -Z. */
int writer_give_output(struct writer *w, uid_t uid, gid_t gid);
/* Finish every chunk at the next chance; new packets start new ones. */
void writer_finish_chunks(struct writer *w);
/*
 * Waits until the queue is closed and drained, then finishes every file.
 * -EIO if any packet could not be written.
 */
int writer_stop(struct writer *w);
void writer_stats(const struct writer *w, struct writer_stats *st);
void writer_free(struct writer *w);

#endif
