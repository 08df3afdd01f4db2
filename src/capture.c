// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "capture.h"
#include "clock.h"
#include "log.h"
#include "netrec.skel.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

struct capture {
	struct netrec_bpf *skel;
	struct bpf_link *ingress, *egress;
	struct bpf_link *sock_create, *send, *recv, *exec;
	const struct cgroup_root *root;
	int ncpus;
	/*
	 * The stages map, one per CPU, read-only: to see which hold packets
	 * and which are running a packet program.  NULL: not mapped.
	 */
	const struct nr_stage *stages;
	uint64_t *settled; /* per CPU: all stamped before is in the buffer */
};

/*
 * How many times to look at a CPU for a moment between two of its
 * programs (each runs for a microsecond or so) before making do with the
 * last such moment seen.
 */
#define SETTLE_TRIES 64
/*
 * Without the map to look at, a guess: a program hands its packet over
 * microseconds after stamping it, unless its CPU is taken away.
 */
#define SETTLE_SLACK_NS (5ULL * 1000000)
/*
 * A stage younger than this is left to fill and go by itself: under load
 * it does within a millisecond, and a flush is an interrupt on a busy CPU
 * and a wait for it (7.9% of netrec's CPU over a veth at 4 Gbit/s).
 */
#define FLUSH_AGE_NS (2ULL * 1000000)

static bool has_cap(const __u32 eff[2], int cap)
{
	return eff[cap / 32] & (1U << (cap % 32));
}

/* Name what is missing before the kernel answers a bare EPERM. */
static int check_privileges(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = {};
	__u32 eff[2];

	if (syscall(SYS_capget, &hdr, data))
		return 0; /* let the kernel decide */
	eff[0] = data[0].effective;
	eff[1] = data[1].effective;
	if (has_cap(eff, CAP_SYS_ADMIN) ||
	    (has_cap(eff, CAP_BPF) && has_cap(eff, CAP_PERFMON) &&
	     has_cap(eff, CAP_NET_ADMIN)))
		return 0;
	pr_err("loading BPF programs needs root (CAP_SYS_ADMIN), or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN; run netrec as root");
	return -EPERM;
}

static int check_kernel(void)
{
	if (libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_CGROUP_SKB, NULL) != 1) {
		pr_err("this kernel cannot run cgroup_skb BPF programs (needs CONFIG_CGROUP_BPF and CONFIG_BPF_SYSCALL)");
		return -EOPNOTSUPP;
	}
	return 0;
}

static bool kernel_has_tracepoint(const char *name)
{
	return libbpf_find_vmlinux_btf_id(name, BPF_TRACE_RAW_TP) > 0;
}

static __u32 filter_flags(const struct capture_config *cfg)
{
	return (cfg->npids ? NR_FILTER_PID : 0) |
	       (cfg->nuids ? NR_FILTER_UID : 0) |
	       (cfg->comm ? NR_FILTER_COMM : 0) |
	       (cfg->by_cgroup ? NR_FILTER_CGROUP : 0);
}

static int fill_filter(struct bpf_map *map, const unsigned int *keys,
		       unsigned int n)
{
	__u8 one = 1;

	for (unsigned int i = 0; i < n; i++) {
		__u32 k = keys[i];

		if (bpf_map_update_elem(bpf_map__fd(map), &k, &one, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Open and load; optional hooks only if this kernel has them. */
static int load(struct capture *c, const struct capture_config *cfg,
		bool optional)
{
	struct netrec_bpf *skel;
	int err;

	skel = netrec_bpf__open();
	if (!skel)
		return -errno;
	err = bpf_map__set_max_entries(skel->maps.stages, c->ncpus);
	if (err) {
		netrec_bpf__destroy(skel);
		return err;
	}
	skel->rodata->snaplen = cfg->snaplen;
	skel->rodata->snap_mode =
		cfg->snap_headers ? NR_SNAP_HEADERS : NR_SNAP_BYTES;
	skel->rodata->whole_dns_icmp = cfg->whole_dns_icmp;
	skel->rodata->filter_flags = filter_flags(cfg);
	/* Options checked it is shorter than the array: NUL-padded here. */
	if (cfg->comm)
		memcpy((char *)skel->rodata->filter_comm, cfg->comm,
		       strnlen(cfg->comm, NR_COMM_LEN - 1));
	bpf_program__set_autoload(
		skel->progs.netrec_send,
		optional && kernel_has_tracepoint("sock_send_length"));
	bpf_program__set_autoload(
		skel->progs.netrec_recv,
		optional && kernel_has_tracepoint("sock_recv_length"));
	bpf_program__set_autoload(skel->progs.netrec_existing, optional);
	bpf_program__set_autoload(skel->progs.netrec_flush, optional);
	bpf_program__set_autoload(
		skel->progs.netrec_exec,
		optional && kernel_has_tracepoint("sched_process_exec"));
	err = netrec_bpf__load(skel);
	if (err) {
		netrec_bpf__destroy(skel);
		return err;
	}
	c->skel = skel;
	return 0;
}

static void attach_owner_refresh(struct capture *c)
{
	struct netrec_bpf *s = c->skel;

	if (bpf_program__autoload(s->progs.netrec_send))
		c->send = bpf_program__attach(s->progs.netrec_send);
	if (bpf_program__autoload(s->progs.netrec_recv))
		c->recv = bpf_program__attach(s->progs.netrec_recv);
	if (!c->send || !c->recv)
		pr_warn("send/recv tracepoints unavailable: a socket handed to another process stays with its creator");
	if (bpf_program__autoload(s->progs.netrec_exec))
		c->exec = bpf_program__attach(s->progs.netrec_exec);
	if (!c->exec)
		pr_info("exec tracepoint unavailable: processes that exit before /proc is read are named by their comm only");
}

/* Run the task_file iterator once: it stamps sockets that have no owner. */
static void stamp_existing(struct capture *c)
{
	struct bpf_program *prog = c->skel->progs.netrec_existing;
	struct bpf_link *link = NULL;
	char buf[64];
	int fd = -1;
	ssize_t n;

	if (bpf_program__autoload(prog))
		link = bpf_program__attach_iter(prog, NULL);
	if (link)
		fd = bpf_iter_create(bpf_link__fd(link));
	if (fd < 0) {
		pr_warn("cannot walk existing sockets: connections opened before netrec started are recorded with an unknown owner");
		bpf_link__destroy(link);
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0 ||
	       (n < 0 && errno == EINTR))
		;
	if (n < 0)
		pr_warn("walking existing sockets: %s", strerror(errno));
	close(fd);
	bpf_link__destroy(link);
}

/* 0: flushed (or an offline CPU, which stages nothing); -EAGAIN: in use. */
static int flush_cpu(const struct capture *c, int cpu)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .flags = BPF_F_TEST_RUN_ON_CPU,
		    .cpu = cpu);

	if (bpf_prog_test_run_opts(bpf_program__fd(c->skel->progs.netrec_flush),
				   &opts))
		return errno == ENXIO ? 0 : -errno;
	return opts.retval ? -EAGAIN : 0;
}

/* An array map lays out 8-byte aligned values: the mmap is an array. */
_Static_assert(sizeof(struct nr_stage) % 8 == 0, "stage size");

static size_t stages_len(const struct capture *c)
{
	return sizeof(*c->stages) * c->ncpus;
}

static void unmap_stages(struct capture *c)
{
	if (c->stages)
		munmap((void *)c->stages, stages_len(c));
	c->stages = NULL;
	free(c->settled);
	c->settled = NULL;
}

static int map_stages(struct capture *c)
{
	void *p;

	c->settled = calloc(c->ncpus, sizeof(*c->settled));
	if (!c->settled)
		return -ENOMEM;
	p = mmap(NULL, stages_len(c), PROT_READ, MAP_SHARED,
		 bpf_map__fd(c->skel->maps.stages), 0);
	if (p == MAP_FAILED) {
		free(c->settled);
		c->settled = NULL;
		return -errno;
	}
	c->stages = p;
	return 0;
}

/*
 * Stage packets only once every CPU's stage has been flushed on demand:
 * a kernel that cannot run the flush program on a chosen CPU would leave
 * packets waiting there.
 */
static void start_staging(struct capture *c)
{
	int err = map_stages(c);

	if (err) {
		pr_debug(
			"cannot map the stages (%s): packets go to the perf buffer alone, and are taken as complete %llu ms back",
			strerror(-err), SETTLE_SLACK_NS / 1000000);
		return;
	}
	if (!bpf_program__autoload(c->skel->progs.netrec_flush))
		return;
	for (int cpu = 0; cpu < c->ncpus && !err; cpu++)
		err = flush_cpu(c, cpu);
	if (err) {
		pr_debug(
			"cannot flush staged packets on demand (%s): every packet goes to the perf buffer alone",
			strerror(-err));
		return;
	}
	c->skel->bss->stage_packets = true;
	pr_debug("batching packets under %d bytes in %d KiB per CPU",
		 NR_STAGE_CAP_MAX, NR_STAGE_BYTES / 1024);
}

static __u64 load_acquire(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/*
 * How far this CPU's packets are in the perf buffer: a moment when none
 * of its programs was running, or the earliest packet it still stages if
 * that is older.  Read as a sequence lock (see netrec.h); when no moment
 * is found, the last one still holds.
 */
static uint64_t cpu_settled(struct capture *c, int cpu)
{
	const struct nr_stage *st = &c->stages[cpu];
	uint64_t now, upto, entered;

	for (int i = 0; i < SETTLE_TRIES; i++) {
		now = mono_now_ns();
		if (load_acquire(&st->exited) !=
		    (entered = load_acquire(&st->entered)))
			continue;
		upto = now;
		if (__atomic_load_n(&st->used, __ATOMIC_ACQUIRE) &&
		    load_acquire(&st->oldest) < upto)
			upto = load_acquire(&st->oldest);
		if (load_acquire(&st->entered) != entered)
			continue;
		if (upto > c->settled[cpu])
			c->settled[cpu] = upto;
		break;
	}
	return c->settled[cpu];
}

/* A peek, not a promise: the flush program decides. */
static bool stage_waiting(const struct nr_stage *st, uint64_t now)
{
	return __atomic_load_n(&st->used, __ATOMIC_RELAXED) &&
	       __atomic_load_n(&st->oldest, __ATOMIC_RELAXED) + FLUSH_AGE_NS <=
		       now;
}

/*
 * Not needed for capture_settle()'s answer (what a stage holds counts),
 * but for it to move on: a stage fills only as fast as packets come.
 */
static int flush_stages(const struct capture *c)
{
	uint64_t now = mono_now_ns();
	int err = 0, e;

	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		if (!stage_waiting(&c->stages[cpu], now))
			continue;
		e = flush_cpu(c, cpu);
		if (e == -EAGAIN) /* in use for a microsecond: once more */
			e = flush_cpu(c, cpu);
		if (e && e != -EAGAIN && !err)
			err = e;
	}
	return err;
}

int capture_settle(struct capture *c, uint64_t *settled)
{
	uint64_t upto = UINT64_MAX, t;
	int err = 0;

	if (!c->stages) {
		t = mono_now_ns();
		*settled = t > SETTLE_SLACK_NS ? t - SETTLE_SLACK_NS : 0;
		return 0;
	}
	if (c->skel->bss->stage_packets)
		err = flush_stages(c);
	for (int cpu = 0; cpu < c->ncpus; cpu++) {
		t = cpu_settled(c, cpu);
		if (t < upto)
			upto = t;
	}
	*settled = upto;
	return err;
}

int capture_open(struct capture **out, const struct capture_config *cfg,
		 const struct cgroup_root *root)
{
	struct capture *c;
	int err;

	err = check_privileges();
	if (err)
		return err;
	err = check_kernel();
	if (err)
		return err;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->root = root;
	c->ncpus = libbpf_num_possible_cpus();
	err = load(c, cfg, true);
	if (err) {
		pr_debug(
			"loading with optional hooks failed (%s); retrying without",
			strerror(-err));
		err = load(c, cfg, false);
	}
	if (err) {
		pr_err("cannot load the BPF programs: %s%s", strerror(-err),
		       err == -EPERM ? " (needs root or CAP_BPF)" : "");
		goto err;
	}
	err = fill_filter(c->skel->maps.filter_pids, cfg->pids, cfg->npids);
	if (!err)
		err = fill_filter(c->skel->maps.filter_uids, cfg->uids,
				  cfg->nuids);
	if (err) {
		pr_err("cannot set the filters: %s", strerror(-err));
		goto err;
	}
	c->sock_create =
		cgroup_root_attach(c->root, c->skel->progs.netrec_sock_create);
	if (!c->sock_create) {
		err = -errno;
		goto err;
	}
	attach_owner_refresh(c);
	stamp_existing(c);
	start_staging(c);
	*out = c;
	return 0;
err:
	capture_close(c);
	return err;
}

int capture_events_fd(const struct capture *c)
{
	return bpf_map__fd(c->skel->maps.events);
}

int capture_attach_packets(struct capture *c)
{
	c->ingress = cgroup_root_attach(c->root, c->skel->progs.netrec_ingress);
	if (!c->ingress)
		return -errno;
	c->egress = cgroup_root_attach(c->root, c->skel->progs.netrec_egress);
	if (!c->egress)
		return -errno;
	return 0;
}

void capture_detach_packets(struct capture *c)
{
	bpf_link__destroy(c->ingress);
	bpf_link__destroy(c->egress);
	c->ingress = c->egress = NULL;
}

int capture_counters(const struct capture *c, struct nr_counters *sum)
{
	struct nr_counters *v;
	__u32 key = 0;
	int err = 0;

	memset(sum, 0, sizeof(*sum));
	v = calloc(c->ncpus, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(c->skel->maps.counters), &key, v)) {
		err = -errno;
		goto out;
	}
	for (int cpu = 0; cpu < c->ncpus; cpu++)
		for (int i = 0; i < NR_CNT_MAX; i++)
			sum->v[i] += v[cpu].v[i];
	/* The programs count only what they cannot derive. */
	sum->v[NR_CNT_RECORDED] = sum->v[NR_CNT_SEEN] -
				  sum->v[NR_CNT_OUTPUT_FAIL] -
				  sum->v[NR_CNT_FILTERED];
out:
	free(v);
	return err;
}

int capture_execs_fd(const struct capture *c)
{
	return c->exec ? bpf_map__fd(c->skel->maps.execs) : -1;
}

int capture_filter_cgroup(struct capture *c, uint64_t cgroup_id)
{
	__u64 id = cgroup_id;
	__u8 one = 1;

	if (bpf_map_update_elem(bpf_map__fd(c->skel->maps.filter_cgroups), &id,
				&one, BPF_ANY))
		return -errno;
	return 0;
}

void capture_close(struct capture *c)
{
	if (!c)
		return;
	capture_detach_packets(c);
	unmap_stages(c);
	bpf_link__destroy(c->send);
	bpf_link__destroy(c->recv);
	bpf_link__destroy(c->exec);
	bpf_link__destroy(c->sock_create);
	netrec_bpf__destroy(c->skel);
	free(c);
}
