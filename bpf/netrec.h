/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Record layout shared by the kernel programs (bpf/netrec.bpf.c) and the
 * user side (src/).  Both sides must agree byte for byte: every field has a
 * fixed width and the struct has no implicit padding.
 */
#ifndef NETREC_H
#define NETREC_H

#define NR_COMM_LEN 16

/* Direction of a packet as seen by the local socket. */
enum nr_dir {
	NR_DIR_IN = 0,
	NR_DIR_OUT = 1,
};

/* nr_record.flags */
#define NR_F_OWNER 0x01	  /* owner fields come from the socket's storage */
#define NR_F_TCPINFO 0x02 /* srtt_us and retrans are the TCP socket's */
/* The socket was made after capture began: none of its flows is older. */
#define NR_F_NEWSOCK 0x04
/*
 * Set by user space, never the kernel: the packet had no owner and was
 * given that of its connection (see flow_owner_of()).
 */
#define NR_F_INFERRED 0x80

/*
 * A perf sample is a u16-sized perf record: header (8) + raw size (4) +
 * nr_record + packet, rounded up to 8.  Keep caplen under this so the
 * kernel never has to refuse a sample.
 */
#define NR_MAX_CAPLEN 65280

/* Snaplen policy (nr_config.snap_mode). */
enum nr_snap_mode {
	NR_SNAP_BYTES = 0,   /* snaplen bytes from the start of the IP header */
	NR_SNAP_HEADERS = 1, /* through the L4 header */
};

/* nr_owner.flags */
#define NR_OWNER_NEW 0x01 /* made while netrec watched (cgroup/sock_create) */

/* Who owns a socket: kept in socket-local storage. */
struct nr_owner {
	__u64 start_ns; /* the process's start (boot time): tells reused pids
			   apart */
	__u32 tgid;
	__u32 tid; /* the thread that made or last used the socket */
	__u32 uid;
	__u32 flags;		/* NR_OWNER_* */
	char comm[NR_COMM_LEN]; /* the process's: its main thread's name */
};

/* Metadata in front of every packet in a perf sample. */
struct nr_record {
	__u64 ts_ns;	 /* CLOCK_MONOTONIC, bpf_ktime_get_ns() */
	__u64 cookie;	 /* socket cookie, 0 if none */
	__u64 cgroup_id; /* cgroup v2 id of the socket */
	__u32 seq;	 /* per-CPU sequence number (wraps) */
	__u32 netns;	 /* socket's network namespace (inode); 0: unknown */
	__u64 start_ns;	 /* owner's process start, CLOCK_BOOTTIME; 0 if unknown
			  */
	__u32 len;	 /* original length, from the IP header on */
	__u32 caplen;	 /* bytes of packet that follow this struct */
	__u32 tgid;	 /* owner, 0 if unknown */
	__u32 tid;
	__u32 uid;
	__u8 dir;    /* enum nr_dir */
	__u8 family; /* 4 or 6 */
	__u8 flags;  /* NR_F_* */
	__u8 pad;
	char comm[NR_COMM_LEN];
	__u32 srtt_us; /* smoothed RTT of a TCP socket, microseconds */
	__u32 retrans; /* its total retransmissions */
};

/*
 * Most packets are not handed to the perf buffer one by one: each CPU
 * stages them in a buffer of its own and hands the buffer over as one
 * perf sample when it is full, or when user space asks (netrec_flush, run
 * on that CPU), because each bpf_perf_event_output() call costs several
 * times what copying a small packet does.  A sample therefore holds one
 * or more entries, each a struct nr_record, its caplen packet bytes, and
 * padding to a multiple of 8.  Packets of NR_STAGE_CAP_MAX bytes or more,
 * and packets seen while the CPU's buffer is in use (an interrupt in the
 * middle of staging), go out alone, as before.
 */
#define NR_STAGE_BYTES 32768
#define NR_STAGE_CAP_MAX 2048

struct nr_stage {
	__u32 used;  /* bytes of buf holding entries */
	__u32 count; /* entries in buf */
	__u64 busy; /* a program on this CPU is using buf (64 bits: BPF xchg) */
	/*
	 * How many packet programs have started and ended on this CPU: one
	 * counts in before it stamps a packet, out once the packet is staged
	 * or in the perf buffer.  User space reads both, the stage and entered
	 * again (a sequence lock): equal counts and no entry meanwhile give a
	 * moment when nothing was in flight and a true view of what is
	 * staged, whatever stalled the CPU before (a hypervisor can take a
	 * vCPU away for milliseconds) and whatever one program's perf output
	 * hid inside another's.
	 */
	__u64 entered, exited;
	__u64 oldest; /* the earliest ts_ns staged; meaningful if used */
	/* Room past NR_STAGE_BYTES lets the verifier bound the copy. */
	__u8 buf[NR_STAGE_BYTES + sizeof(struct nr_record) + NR_STAGE_CAP_MAX];
};

/* Entry size in a staged sample: the record, its bytes, padding. */
#define NR_ENTRY_SIZE(caplen)                                                  \
	((sizeof(struct nr_record) + (caplen) + 7) & ~(__u64)7)

/*
 * The last exec of a process, kept by the kernel so that a process that
 * exits before user space can read /proc (a short curl) is still named by
 * its program and arguments.
 */
#define NR_EXE_LEN 256
#define NR_ARGS_LEN 512

struct nr_exec {
	__u64 start_ns; /* as nr_owner.start_ns: which process this was */
	__u32 args_len; /* bytes of args: NUL-separated, as /proc/PID/cmdline */
	__u32 ppid;
	char exe[NR_EXE_LEN]; /* the path execve() was given */
	char args[NR_ARGS_LEN];
};

/* Per-CPU counters: the single value of the per-CPU counters array. */
enum nr_counter {
	NR_CNT_SEEN = 0, /* IP packets that reached the hooks */
	NR_CNT_RECORDED, /* handed to the perf buffer (derived, see capture.c)
			  */
	NR_CNT_OUTPUT_FAIL, /* bpf_perf_event_output() failed: lost */
	NR_CNT_FILTERED,    /* left out by --pid, --comm, --uid, --container */
	NR_CNT_MAX,
};

/* Which filters are on (nr_config filter_flags); all on must match. */
#define NR_FILTER_PID 0x01  /* owner tgid in filter_pids */
#define NR_FILTER_UID 0x02  /* owner uid in filter_uids */
#define NR_FILTER_COMM 0x04 /* owner comm == filter_comm */
/* the socket's cgroup, or an ancestor, in filter_cgroups */
#define NR_FILTER_CGROUP 0x08
#define NR_FILTER_MAX_VALUES 64
#define NR_CGROUP_MAX_DEPTH 16

struct nr_counters {
	__u64 v[NR_CNT_MAX];
};

#endif /* NETREC_H */
