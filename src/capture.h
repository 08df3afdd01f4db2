/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_CAPTURE_H
#define NR_CAPTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "cgroup.h"
#include "netrec.h"

/* The kernel side: load, probe, attach, and read its counters. */
struct capture_config {
	uint32_t snaplen;    /* bytes from the IP header on */
	bool snap_headers;   /* keep through the L4 header instead */
	bool whole_dns_icmp; /* DNS and ICMP whatever the snaplen */
	/* Filters, applied in the kernel (see the NR_FILTER_* flags). */
	const unsigned int *pids, *uids;
	unsigned int npids, nuids;
	const char *comm;
	bool by_cgroup; /* cgroups come later: capture_filter_cgroup() */
};

struct capture;

/*
 * Check privileges and kernel support, load the programs, attach the
 * socket-ownership hooks and stamp sockets that already exist.  Packets are
 * not recorded until capture_attach_packets().  Errors are explained in the
 * log; returns a negative errno.
 */
int capture_open(struct capture **out, const struct capture_config *cfg,
		 const struct cgroup_root *root);
/* The perf event array the reader drains. */
int capture_events_fd(const struct capture *c);
/*
 * Have every CPU hand its staged packets to the perf buffer (see
 * bpf/netrec.h) and say how far the perf buffers are complete: every
 * packet stamped (CLOCK_MONOTONIC) before *@settled is in them.  Returns
 * 0, or a negative errno if a flush failed (*@settled still holds).  For
 * the reader thread alone.
 */
int capture_settle(struct capture *c, uint64_t *settled);
int capture_attach_packets(struct capture *c);
/* The map of last execs (struct nr_exec by tgid), or -1 if not kept. */
int capture_execs_fd(const struct capture *c);
/* Stop recording packets: after this no new sample appears. */
void capture_detach_packets(struct capture *c);
int capture_counters(const struct capture *c, struct nr_counters *sum);
/* Record sockets of this cgroup and those below it (with by_cgroup). */
int capture_filter_cgroup(struct capture *c, uint64_t cgroup_id);
void capture_close(struct capture *c);

#endif
