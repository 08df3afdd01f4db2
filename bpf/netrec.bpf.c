// SPDX-License-Identifier: GPL-2.0
/*
 * netrec kernel side: copy every IP packet of every socket, truncated to the
 * snaplen here in the kernel, with its owner into a per-CPU perf buffer.
 *
 * The cgroup_skb programs run for every packet and must stay cheap; all the
 * work of finding out who owns a socket is done by hooks that run in process
 * context (socket creation, send/recv, a start-up iterator) and left in
 * socket-local storage, where the packet programs only read it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "netrec.h"

#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86DD
#define IPPROTO_ICMP 1
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17
#define IPPROTO_ICMPV6 58
#define DNS_PORT 53

/* Set by the loader before load (see src/capture.c). */
const volatile __u32 snaplen = NR_MAX_CAPLEN;
const volatile __u32 snap_mode = NR_SNAP_BYTES;
const volatile bool whole_dns_icmp = true;
const volatile __u32 filter_flags = 0;
const volatile char filter_comm[NR_COMM_LEN] = {};
/*
 * Set by user space once it has shown it can flush every CPU's stage
 * (see netrec_flush); until then each packet goes out alone.
 */
bool stage_packets = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nr_counters);
} counters SEC(".maps");

/* Each CPU's staged packets (see netrec.h), indexed by CPU number. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1); /* the loader sets the number of CPUs */
	__type(key, __u32);
	__type(value, struct nr_stage);
} stages SEC(".maps");

/* The values each filter accepts; the key is what matters. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NR_FILTER_MAX_VALUES);
	__type(key, __u32);
	__type(value, __u8);
} filter_pids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, NR_FILTER_MAX_VALUES);
	__type(key, __u32);
	__type(value, __u8);
} filter_uids SEC(".maps");

/* Cgroups of the chosen containers, or of the command netrec runs. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u8);
} filter_cgroups SEC(".maps");

/* Per CPU: the last socket a send/recv hook saw, and who used it. */
struct last_user {
	__u64 sk;
	__u64 cookie;
	__u64 pid_tgid;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct last_user);
} last_users SEC(".maps");

/* tgid -> its last exec; the least recently used go first. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct nr_exec);
} execs SEC(".maps");

/* nr_exec is too big for the BPF stack: build it here. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct nr_exec);
} exec_scratch SEC(".maps");

/* BPF_F_CLONE: an accepted socket starts with its listener's owner. */
struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC | BPF_F_CLONE);
	__type(key, int);
	__type(value, struct nr_owner);
} owners SEC(".maps");

/* Since 6.2; without it the namespace is left unknown (0). */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

/*
 * The namespace of the packet's socket: the same addresses and ports in
 * two namespaces are two connections.  For the kernel's own replies (RST,
 * TIME_WAIT ACK) the socket is the control socket, which the kernel moves
 * into the namespace it replies in.
 */
static __always_inline __u32 sock_netns(struct __sk_buff *skb)
{
	struct bpf_sock *bs = skb->sk;
	struct sock *sk;

	if (!bs || !bpf_rdonly_cast)
		return 0;
	sk = bpf_rdonly_cast(bs, bpf_core_type_id_kernel(struct sock));
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* What the snaplen policy needs to know of a packet's headers. */
struct l4_info {
	__u32 hdr_end; /* offset just past the L4 header */
	__u8 whole;    /* DNS or ICMP: keep it whole */
};

/*
 * Headers are read in place (cgroup_skb may read the linear data): this
 * runs for most packets when a snaplen is set, and a helper call per field
 * would cost more than the rest of the program.  Headers outside the linear
 * area count as payload.
 */
static __always_inline void parse_l4(struct __sk_buff *skb, __u8 family,
				     struct l4_info *li)
{
	void *data = (void *)(long)skb->data;
	void *end = (void *)(long)skb->data_end;
	__u8 *l4, proto;
	__u16 *ports;

	/* Unreadable headers: keep what the longest headers would take. */
	li->hdr_end = 120;
	if (family == 4) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > end)
			return;
		proto = ip->protocol;
		l4 = data + ip->ihl * 4;
	} else {
		/* Extension headers are rare enough to count as payload. */
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > end)
			return;
		proto = ip6->nexthdr;
		l4 = (void *)(ip6 + 1);
	}
	li->hdr_end = l4 - (__u8 *)data;
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6) {
		li->whole = 1;
		li->hdr_end += 8;
		return;
	}
	if (proto == IPPROTO_UDP) {
		li->hdr_end += 8;
	} else if (proto == IPPROTO_TCP) {
		if ((void *)(l4 + 13) > end) {
			li->hdr_end += 60; /* the longest TCP header */
			return;
		}
		li->hdr_end += (l4[12] >> 4) * 4;
	} else {
		return;
	}
	ports = (__u16 *)l4;
	if ((void *)(ports + 2) > end)
		return;
	if (ports[0] == bpf_htons(DNS_PORT) || ports[1] == bpf_htons(DNS_PORT))
		li->whole = 1;
}

static __always_inline __u32 capture_len(struct __sk_buff *skb, __u8 family)
{
	struct l4_info li = {};
	__u32 len = skb->len, cap = snaplen;

	if (snap_mode == NR_SNAP_BYTES && cap >= len)
		goto out;
	parse_l4(skb, family, &li);
	if (li.whole && whole_dns_icmp)
		cap = NR_MAX_CAPLEN;
	else if (snap_mode == NR_SNAP_HEADERS)
		cap = li.hdr_end;
out:
	if (cap > len)
		cap = len;
	if (cap > NR_MAX_CAPLEN)
		cap = NR_MAX_CAPLEN;
	return cap;
}

static __always_inline bool comm_matches(const char *comm)
{
	for (int i = 0; i < NR_COMM_LEN; i++) {
		if (comm[i] != filter_comm[i])
			return false;
		if (!comm[i])
			break;
	}
	return true;
}

/* The socket's cgroup, or one above it, was chosen. */
static __always_inline bool cgroup_matches(struct __sk_buff *skb)
{
	for (int level = NR_CGROUP_MAX_DEPTH; level >= 1; level--) {
		__u64 id = bpf_skb_ancestor_cgroup_id(skb, level);

		if (id && bpf_map_lookup_elem(&filter_cgroups, &id))
			return true;
	}
	return false;
}

/*
 * Filters run here so that unwanted packets cost no copy.  A packet with
 * no known owner fails any owner filter.
 */
static __always_inline bool wanted(struct __sk_buff *skb,
				   const struct nr_record *r)
{
	bool owned = r->flags & NR_F_OWNER;

	if ((filter_flags & NR_FILTER_PID) &&
	    (!owned || !bpf_map_lookup_elem(&filter_pids, &r->tgid)))
		return false;
	if ((filter_flags & NR_FILTER_UID) &&
	    (!owned || !bpf_map_lookup_elem(&filter_uids, &r->uid)))
		return false;
	if ((filter_flags & NR_FILTER_COMM) &&
	    (!owned || !comm_matches(r->comm)))
		return false;
	if ((filter_flags & NR_FILTER_CGROUP) && !cgroup_matches(skb))
		return false;
	return true;
}

/*
 * Let go of the stage.  Without the barrier the compiler may move the
 * release above the stage's updates (it did: busy was cleared before used
 * and count were written); a program that interrupted this one in between
 * would stage its packet over this one's, or flush the stage without it
 * and leave used counting entries already sent: duplicated and torn
 * records.  Only this CPU takes the stage, so ordering for the compiler
 * is all it takes.
 */
static __always_inline void stage_release(struct nr_stage *st)
{
	barrier();
	st->busy = 0;
}

/* Hand the stage over as one sample.  The caller holds st->busy. */
static __always_inline void flush_stage(void *ctx, struct nr_stage *st,
					struct nr_counters *c)
{
	__u32 n = st->used;

	if (n > NR_STAGE_BYTES) /* never: it bounds the size for the verifier */
		n = NR_STAGE_BYTES;
	if (n &&
	    bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, st->buf,
				  n) &&
	    c)
		__sync_fetch_and_add(&c->v[NR_CNT_OUTPUT_FAIL], st->count);
	st->used = 0;
	st->count = 0;
}

/* Copy the packet into this CPU's stage; false: send it out alone. */
static __always_inline bool stage(struct __sk_buff *skb, struct nr_stage *st,
				  const struct nr_record *r, __u32 cap,
				  struct nr_counters *c)
{
	struct nr_record *dst;
	__u32 need, off, len;

	if (!st || !stage_packets || cap >= NR_STAGE_CAP_MAX)
		return false;
	/*
	 * Held: this program interrupted (or, on a preemptible kernel,
	 * preempted) another user of the stage on this CPU.
	 */
	if (__sync_lock_test_and_set(&st->busy, 1))
		return false;
	need = NR_ENTRY_SIZE(cap);
	off = st->used;
	if (off + need > NR_STAGE_BYTES) {
		flush_stage(skb, st, c);
		off = 0;
	}
	/* No-op masks, hidden from the compiler, that the verifier needs. */
	barrier_var(off);
	off &= (NR_STAGE_BYTES - 1) & ~7;
	dst = (struct nr_record *)(st->buf + off);
	*dst = *r;
	len = cap;
	barrier_var(len);
	len &= NR_STAGE_CAP_MAX - 1;
	if (len && bpf_skb_load_bytes(skb, 0, dst + 1, len)) {
		stage_release(st);
		return false;
	}
	if (!st->count || r->ts_ns < st->oldest)
		st->oldest = r->ts_ns;
	st->used = off + need;
	st->count++;
	stage_release(st);
	return true;
}

static __always_inline void record(struct __sk_buff *skb, struct nr_stage *st,
				   __u8 dir)
{
	struct nr_record r = {};
	struct nr_counters *c;
	struct bpf_tcp_sock *tp;
	struct nr_owner *o;
	struct bpf_sock *sk;
	__u32 zero = 0;
	__u64 cap;

	if (skb->protocol == bpf_htons(ETH_P_IP))
		r.family = 4;
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		r.family = 6;
	else
		return;
	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return;
	r.seq = __sync_fetch_and_add(&c->v[NR_CNT_SEEN], 1);
	sk = skb->sk;
	if (sk)
		sk = bpf_sk_fullsock(sk);
	if (sk) {
		o = bpf_sk_storage_get(&owners, sk, 0, 0);
		if (o && o->tgid) {
			r.start_ns = o->start_ns;
			r.tgid = o->tgid;
			r.tid = o->tid;
			r.uid = o->uid;
			__builtin_memcpy(r.comm, o->comm, sizeof(r.comm));
			r.flags |= NR_F_OWNER;
			if (o->flags & NR_OWNER_NEW)
				r.flags |= NR_F_NEWSOCK;
		}
		/* The kernel's own view of the connection, for the index. */
		tp = bpf_tcp_sock(sk);
		if (tp) {
			r.srtt_us = tp->srtt_us >> 3;
			r.retrans = tp->total_retrans;
			r.flags |= NR_F_TCPINFO;
		}
	}
	if (filter_flags && !wanted(skb, &r)) {
		__sync_fetch_and_add(&c->v[NR_CNT_FILTERED], 1);
		return;
	}
	r.ts_ns = bpf_ktime_get_ns();
	r.dir = dir;
	r.len = skb->len;
	cap = capture_len(skb, r.family);
	r.caplen = cap;
	r.cookie = bpf_get_socket_cookie(skb);
	r.cgroup_id = bpf_skb_cgroup_id(skb);
	r.netns = sock_netns(skb);

	if (stage(skb, st, &r, cap, c))
		return;
	/* Recorded is seen - failed - filtered: one locked add fewer. */
	if (bpf_perf_event_output(skb, &events, BPF_F_CURRENT_CPU | (cap << 32),
				  &r, sizeof(r)))
		__sync_fetch_and_add(&c->v[NR_CNT_OUTPUT_FAIL], 1);
}

/* A fetching add: it orders what comes before and after it everywhere. */
static __always_inline void count_one(__u64 *v)
{
	__u64 was = __sync_fetch_and_add(v, 1);

	barrier_var(was);
}

/* Counted in and out for user space's sake (see netrec.h). */
static __always_inline void capture(struct __sk_buff *skb, __u8 dir)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct nr_stage *st = bpf_map_lookup_elem(&stages, &cpu);

	/* Never NULL (the loader sized the map to the CPUs): the verifier. */
	if (st)
		count_one(&st->entered);
	record(skb, st, dir);
	if (st)
		count_one(&st->exited);
}

/* Never drop or alter traffic: both programs always return 1. */
SEC("cgroup_skb/ingress")
int netrec_ingress(struct __sk_buff *skb)
{
	capture(skb, NR_DIR_IN);
	return 1;
}

SEC("cgroup_skb/egress")
int netrec_egress(struct __sk_buff *skb)
{
	capture(skb, NR_DIR_OUT);
	return 1;
}

/*
 * Run by user space on one CPU (BPF_F_TEST_RUN_ON_CPU) to hand over what
 * that CPU has staged: the last packets before a quiet spell must not wait
 * for the next busy one.  Returns 1 if the stage was in use: try again.
 */
SEC("raw_tp")
int netrec_flush(void *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id(), zero = 0;
	struct nr_stage *st = bpf_map_lookup_elem(&stages, &cpu);

	if (!st)
		return 0;
	if (__sync_lock_test_and_set(&st->busy, 1))
		return 1;
	flush_stage(ctx, st, bpf_map_lookup_elem(&counters, &zero));
	stage_release(st);
	return 0;
}

/*
 * Stamp @task as the owner.  The name is the process's (its main thread's):
 * a socket made by a worker thread still belongs to the program.
 */
static __always_inline void set_owner(struct nr_owner *o,
				      struct task_struct *task)
{
	o->start_ns = BPF_CORE_READ(task, group_leader, start_boottime);
	o->tgid = BPF_CORE_READ(task, tgid);
	o->tid = BPF_CORE_READ(task, pid);
	o->uid = BPF_CORE_READ(task, cred, uid.val);
	BPF_CORE_READ_STR_INTO(&o->comm, task, group_leader, comm);
}

SEC("cgroup/sock_create")
int netrec_sock_create(struct bpf_sock *sk)
{
	struct nr_owner *o;

	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o) {
		set_owner(o, bpf_get_current_task_btf());
		o->flags |= NR_OWNER_NEW;
	}
	return 1;
}

/*
 * A socket passed over a unix socket or inherited across fork belongs to
 * whoever uses it now.  Rewrite only on change: these fire on every
 * send/recv call.
 */
static __always_inline void refresh_owner(struct sock *sk)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid(), cookie;
	struct last_user *lu;
	struct nr_owner *o;
	__u32 zero = 0;

	if (!sk)
		return;
	/*
	 * A thread usually sends and receives on the same socket many times
	 * in a row: skip the storage lookup then.  The cookie (0 until a
	 * packet of the socket was recorded) tells a reused address apart.
	 */
	cookie = sk->__sk_common.skc_cookie.counter;
	lu = bpf_map_lookup_elem(&last_users, &zero);
	if (lu && cookie && lu->sk == (__u64)sk && lu->cookie == cookie &&
	    lu->pid_tgid == pid_tgid)
		return;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	if (o->tgid != pid_tgid >> 32 || o->tid != (__u32)pid_tgid)
		set_owner(o, bpf_get_current_task_btf());
	if (lu) {
		lu->sk = (__u64)sk;
		lu->cookie = cookie;
		lu->pid_tgid = pid_tgid;
	}
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(netrec_send, struct sock *sk, int ret, int flags)
{
	refresh_owner(sk);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(netrec_recv, struct sock *sk, int ret, int flags)
{
	refresh_owner(sk);
	return 0;
}

/*
 * Sockets that existed before netrec started: walk every task's files once
 * at start and stamp each socket not yet owned with the task holding it.
 */
SEC("iter/task_file")
int netrec_existing(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct nr_owner *o;
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = sock->sk;
	if (!sk)
		return 0;
	o = bpf_sk_storage_get(&owners, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (o && !o->tgid)
		set_owner(o, task);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(netrec_exec, struct task_struct *p, pid_t old_pid,
	     struct linux_binprm *bprm)
{
	unsigned long start, end, len;
	struct nr_exec *e;
	__u32 zero = 0, tgid;

	e = bpf_map_lookup_elem(&exec_scratch, &zero);
	if (!e)
		return 0;
	tgid = BPF_CORE_READ(p, tgid);
	e->start_ns = BPF_CORE_READ(p, group_leader, start_boottime);
	e->ppid = BPF_CORE_READ(p, real_parent, tgid);
	bpf_probe_read_kernel_str(e->exe, sizeof(e->exe),
				  BPF_CORE_READ(bprm, filename));
	start = BPF_CORE_READ(p, mm, arg_start);
	end = BPF_CORE_READ(p, mm, arg_end);
	len = end > start ? end - start : 0;
	if (len > NR_ARGS_LEN)
		len = NR_ARGS_LEN;
	e->args_len = 0;
	if (len && !bpf_probe_read_user(e->args, len, (void *)start))
		e->args_len = len;
	bpf_map_update_elem(&execs, &tgid, e, BPF_ANY);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
