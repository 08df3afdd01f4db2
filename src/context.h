/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CONTEXT_H
#define NR_CONTEXT_H

#include <stddef.h>
#include <linux/types.h>

#include "ctrcache.h"
#include "netrec.h"
#include "proc.h"

/*
 * The per-packet comment of pcapng files: who sent or received it, as the
 * "Key: value" lines ptcpdump writes, so ptcpdump and its readers (and any
 * person in Wireshark) understand our files.
 */
struct context;

struct context *context_new(struct proc_cache *procs,
			    struct ctrcache *containers);
void context_free(struct context *cx);
/*
 * The comment for @r, valid until the next call; NULL if the packet has
 * no known owner and no container.  Values are escaped so that no byte of
 * a hostile name can start a line or a key of its own.
 */
const char *context_comment(struct context *cx, const struct nr_record *r,
			    size_t *len);

#endif
