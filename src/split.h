/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_SPLIT_H
#define NR_SPLIT_H

#include <linux/types.h>

#include "ctrcache.h"
#include "filecache.h"
#include "netrec.h"

/*
 * Which file a record goes to, by the --split mode: the owner's process
 * (comm-pid), command (comm), container (from the socket's cgroup), or all
 * in one.  Decisions are cached per (cgroup, process, comm), so the cost
 * per packet is one hash lookup.
 */
struct split;

int split_new(struct split **out, unsigned int mode, struct filecache *fc,
	      struct ctrcache *containers);
/* NULL if the file could not be made (already logged). */
struct outfile *split_route(struct split *s, const struct nr_record *r);
void split_free(struct split *s);
/*
 * Drop the routes to files with no chunk being written; call right before
 * filecache_forget_idle().  A later packet of such a process finds its
 * way again (a new file entry, a new chunk).
 */
void split_forget_idle(struct split *s);

/* File name stem for a process: "<comm>-<pid>" or "<comm>", or "unknown". */
void split_process_stem(char *out, size_t len, const struct nr_record *r,
			int with_pid);

#endif
