// SPDX-License-Identifier: GPL-2.0
/*
 * The writer thread: queue -> reorder heap -> split -> file.  Records stay
 * in the queue until written; the reorder heap only holds pointers.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>

#include "clock.h"
#include "context.h"
#include "counter.h"
#include "ctrcache.h"
#include "filecache.h"
#include "index.h"
#include "log.h"
#include "options.h"
#include "packet.h"
#include "pcapfile.h"
#include "priority.h"
#include "proc.h"
#include "reader.h"
#include "reorder.h"
#include "split.h"
#include "writer.h"

/*
 * Records are released in time order once the reader's watermark says
 * nothing older can still come.  Should watermarks stop while the writer
 * keeps up (a CPU never found between two programs), records older than
 * this are released anyway.  Not while the writer is behind: its own
 * backlog holds the watermarks, and records older still.
 */
#define REORDER_MAX_WAIT_NS (1000ULL * 1000000)
#define FLUSH_NS (1000ULL * 1000000)
#define INDEX_TICK_NS (1000ULL * 1000000)
#define WAIT_MS 10
#define DISK_RETRY_NS (1000ULL * 1000000)
/* How often entries of processes gone idle are forgotten. */
#define FORGET_NS (60ULL * 1000000000)
/* Processes whose context is kept: a busy host's worth. */
#define PROC_CACHE_MAX 4096

struct writer {
	struct writer_config cfg;
	struct filecache *fc;
	struct ctrcache *containers;
	struct proc_cache *procs;
	struct context *context; /* NULL: no per-packet comments */
	struct index *index;	 /* NULL: no sidecar index */
	struct postproc *post;
	struct split *split;
	struct reorder *reorder;
	struct queue *q;
	struct priority *prio; /* NULL: the writer keeps its priority */
	struct wallclock clock;
	pthread_t thread;
	bool started;
	uint64_t last_ts;
	uint64_t now; /* monotonic, once per loop */
	uint64_t watermark;
	bool caught_up;		/* the last pull emptied the queue */
	uint64_t stalled_until; /* monotonic: the disk was full, retry then */
	_Atomic int finish_req; /* finish every chunk (SIGHUP) */
	uint64_t last_flush;
	uint64_t last_forget;
	uint64_t last_index_tick;
	uint64_t perf_lost; /* samples the perf buffers lost, all CPUs */
	counter_t packets, bytes, write_errors, out_of_order;
	counter_t unwritten; /* counted in packets, then cut off */
	counter_t unindexed;
	_Atomic unsigned int files;
};

/*
 * /proc/PID/exe names the file, symlinks resolved; execve() was given a
 * path, maybe through a symlink (python3 -> python3.11).  Resolve it the
 * same way, except paths that mean something else from here (relative,
 * or /proc/self/exe, which busybox uses to run its applets).
 */
static void canonical_exe(const char *given, char *out, size_t size)
{
	char *real = NULL;

	if (given[0] == '/' && strncmp(given, "/proc/", 6))
		real = realpath(given, NULL);
	snprintf(out, size, "%s", real ? real : given);
	free(real);
}

/* proc_exec_fn over the kernel's map of last execs. */
static int exec_lookup(void *arg, uint32_t pid, uint64_t start_ns,
		       uint32_t *ppid, char *exe, size_t exe_size, char *args,
		       size_t args_size)
{
	const struct writer *w = arg;
	struct nr_exec e;
	size_t n;

	if (bpf_map_lookup_elem(w->cfg.execs_fd, &pid, &e) ||
	    e.start_ns != start_ns)
		return -1;
	*ppid = e.ppid;
	e.exe[sizeof(e.exe) - 1] = '\0';
	canonical_exe(e.exe, exe, exe_size);
	n = e.args_len < args_size ? e.args_len : args_size;
	memcpy(args, e.args, n);
	return n;
}

/* Losses so far, for the index: the chunk lines report them per chunk. */
static void losses(void *arg, struct index_losses *out)
{
	struct writer *w = arg;
	struct nr_counters k = { 0 };

	out->perf = w->perf_lost;
	out->disk = counter_get(&w->write_errors);
	out->output = 0;
	if (w->cfg.kernel_counters &&
	    !w->cfg.kernel_counters(w->cfg.kernel_arg, &k))
		out->output = k.v[NR_CNT_OUTPUT_FAIL];
}

static int start_index(struct writer *w)
{
	const struct writer_config *cfg = &w->cfg;
	struct index_config ic = {
		.dirfd = filecache_dirfd(w->fc),
		.split = options_split_name(cfg->split),
		.format = cfg->spec.format == FORMAT_PCAPNG ? "pcapng" : "pcap",
		.snaplen = cfg->spec.snaplen,
		.options = cfg->cmdline,
		.procs = w->procs,
		.containers = w->containers,
		.losses = losses,
		.losses_arg = w,
	};

	w->index = index_new(&ic);
	if (!w->index)
		return -ENOMEM;
	filecache_set_hooks(w->fc, &index_chunk_hooks, w->index);
	return 0;
}

static void chunk_done(void *arg, const char *relpath)
{
	struct writer *w = arg;

	if (w->post)
		postproc_submit(w->post, relpath);
}

int writer_new(struct writer **out, const struct writer_config *cfg)
{
	struct writer *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		return -ENOMEM;
	w->cfg = *cfg;
	err = filecache_open(&w->fc, cfg->outdir, cfg->max_open, &cfg->spec,
			     &cfg->chunks);
	if (err)
		goto err;
	w->cfg.post.dirfd = filecache_dirfd(w->fc);
	w->cfg.post.dir = cfg->outdir;
	err = postproc_start(&w->post, &w->cfg.post);
	if (err)
		goto err;
	filecache_on_done(w->fc, chunk_done, w);
	err = -ENOMEM;
	w->containers = ctrcache_new(cfg->cgroup_root, "/");
	w->procs = proc_cache_new(PROC_CACHE_MAX);
	if (!w->containers || !w->procs)
		goto err;
	if (cfg->execs_fd >= 0)
		proc_cache_set_exec_source(w->procs, exec_lookup, w);
	if (cfg->spec.format == FORMAT_PCAPNG && cfg->context) {
		w->context = context_new(w->procs, w->containers);
		if (!w->context)
			goto err;
	}
	if (cfg->index) {
		err = start_index(w);
		if (err)
			goto err;
	}
	err = split_new(&w->split, cfg->split, w->fc, w->containers);
	if (err)
		goto err;
	w->reorder = reorder_new();
	if (!w->reorder) {
		err = -ENOMEM;
		goto err;
	}
	*out = w;
	return 0;
err:
	writer_free(w);
	return err;
}

/*
 * A full disk may empty again, a read-only remount be undone, a failing
 * device come back: worth holding packets for.  Other errors are not.
 */
static bool retryable(int err)
{
	return err == -ENOSPC || err == -EDQUOT || err == -EIO || err == -EROFS;
}

/*
 * Indexing must never slow capture: when the queue is three quarters
 * full the writer is behind, and packets go into the files but not the
 * index.  Not sooner: next to writing the packet, indexing it is cheap,
 * and a writer behind on a burst of large packets catches up anyway.
 */
static bool behind(const struct writer *w)
{
	return queue_used(w->q) > queue_size(w->q) / 4 * 3;
}

/*
 * Returns 0 once the record is written or counted as lost, or the error of
 * a write worth retrying later (the caller keeps the record meanwhile).
 */
static int write_record(struct writer *w, struct qrec *qr)
{
	struct nr_record *r = &qr->r;
	const uint8_t *ip = (const uint8_t *)(qr + 1) + PCAP_NULL_HDR_LEN;
	bool indexed = w->index && !behind(w);
	struct pkt_info pi, *parsed = NULL;
	struct pcapng_packet pkt;
	struct chunk_pos pos = { 0 };
	struct outfile *f;
	int err;

	if (r->ts_ns < w->last_ts)
		counter_add(&w->out_of_order, 1);
	else
		w->last_ts = r->ts_ns;
	pcap_null_header((uint8_t *)(qr + 1), r->family);
	/* Parsed once for both calls into the index (fragments: no ports). */
	if (indexed && !pkt_parse(ip, r->caplen, r->len, &pi) && !pi.fragment)
		parsed = &pi;
	/* The kernel's packets for a socket in TIME_WAIT, for one. */
	if (indexed && !(r->flags & NR_F_OWNER))
		index_owner(w->index, r, parsed);
	pkt = (struct pcapng_packet){
		.ts_ns = wallclock_ns(&w->clock, r->ts_ns),
		.data = (uint8_t *)(qr + 1),
		.caplen = PCAP_NULL_HDR_LEN + r->caplen,
		.len = PCAP_NULL_HDR_LEN + r->len,
		.dir = r->dir == NR_DIR_IN ? PCAPNG_DIR_IN : PCAPNG_DIR_OUT,
		.has_pid = r->flags & NR_F_OWNER,
		.pid = r->tgid,
		.tid = r->tid,
		.has_drops = true,
		.drops = qr->lost_before,
	};
	if (w->context)
		pkt.comment = context_comment(w->context, r, &pkt.comment_len);
	f = split_route(w->split, r);
	err = f ? filecache_write(w->fc, f, &pkt, w->now, &pos) : -ENOMEM;
	if (err && retryable(err))
		return err;
	/* Counted once, not again each time a full disk sends it back. */
	w->perf_lost += qr->lost_before;
	if (err) {
		counter_add(&w->write_errors, 1);
		return 0;
	}
	counter_add(&w->packets, 1);
	counter_add(&w->bytes, pkt.caplen);
	if (indexed) {
		index_packet(w->index, &pos, r, parsed, ip, pkt.ts_ns);
	} else if (w->index) {
		index_skip(&pos, pkt.ts_ns);
		counter_add(&w->unindexed, 1);
	}
	return 0;
}

/* Move what the reader has published into the reorder window. */
static int pull(struct writer *w, int timeout_ms)
{
	struct reorder_item it;
	struct qrec *qr;
	size_t len;
	int n = 0;

	while ((qr = queue_next(w->q, &len, n ? 0 : timeout_ms))) {
		if (qr->cpu == QREC_WATERMARK) {
			if (qr->r.ts_ns > w->watermark)
				w->watermark = qr->r.ts_ns;
			queue_release(w->q, qr);
			continue;
		}
		it.ts = qr->r.ts_ns;
		it.seq = qr->r.seq;
		it.cpu = qr->cpu;
		it.data = qr;
		if (reorder_push(w->reorder, &it)) {
			/* No memory for the heap: write it now, unordered. */
			if (write_record(w, qr))
				counter_add(&w->write_errors, 1);
			queue_release(w->q, qr);
		}
		if (++n >= 4096)
			break;
	}
	w->caught_up = !qr;
	return n;
}

/* Packets a write error cut off after they were counted as written. */
static void account_cut(struct writer *w)
{
	uint64_t lost = filecache_take_lost(w->fc);

	if (lost) {
		counter_add(&w->unwritten, lost);
		counter_add(&w->write_errors, lost);
	}
}

static void push_out(struct writer *w, uint64_t now, bool final)
{
	uint64_t limit = w->watermark;
	struct reorder_item it;
	bool pressure;
	int err;

	if (w->caught_up && now > REORDER_MAX_WAIT_NS &&
	    now - REORDER_MAX_WAIT_NS > limit)
		limit = now - REORDER_MAX_WAIT_NS;
	for (;;) {
		/*
		 * The queue holds two passes of the reader, so this is a last
		 * resort (a writer that cannot keep up for long): release
		 * early rather than stall the reader; out_of_order counts
		 * what that costs.
		 */
		pressure = queue_used(w->q) > queue_size(w->q) / 16 * 15;
		/* A full disk: packets wait in memory while there is room. */
		if (now < w->stalled_until && !pressure && !final)
			break;
		if (!reorder_pop(w->reorder,
				 final || pressure ? UINT64_MAX : limit, &it))
			break;
		err = write_record(w, it.data);
		account_cut(w);
		if (err && !pressure && !final &&
		    !reorder_push(w->reorder, &it)) {
			if (!w->stalled_until)
				pr_warn("%s: holding packets in memory, trying again every second",
					strerror(-err));
			w->stalled_until = now + DISK_RETRY_NS;
			break;
		}
		if (err)
			counter_add(&w->write_errors, 1);
		else if (w->stalled_until && now >= w->stalled_until) {
			pr_info("writing again");
			w->stalled_until = 0;
		}
		queue_release(w->q, it.data);
	}
	queue_wake(w->q);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned int taken;
	uint64_t now;
	bool final;

	pthread_setname_np(pthread_self(), "netrec-writer");
	if (w->prio && !priority_attach(w->prio))
		w->prio = NULL;
	wallclock_sync(&w->clock);
	w->last_flush = w->last_forget = mono_now_ns();
	do {
		taken = pull(w, WAIT_MS);
		now = w->now = mono_now_ns();
		if (w->prio)
			priority_follow(w->prio, queue_used(w->q),
					queue_size(w->q), taken, now);
		wallclock_tick(&w->clock, now);
		final = queue_all_read(w->q);
		push_out(w, now, final);
		/* Requests and timers act between records, never inside one. */
		if (atomic_exchange(&w->finish_req, 0))
			filecache_finish_all(w->fc);
		filecache_tick(w->fc, wallclock_ns(&w->clock, now), now);
		account_cut(w);
		/*
		 * A long run sees countless short processes: forget those
		 * with no chunk open, routes first (they point at files).
		 */
		if (now - w->last_forget >= FORGET_NS) {
			split_forget_idle(w->split);
			filecache_forget_idle(w->fc);
			w->last_forget = now;
		}
		if (w->index && now - w->last_index_tick >= INDEX_TICK_NS) {
			index_tick(w->index, wallclock_ns(&w->clock, now));
			w->last_index_tick = now;
		}
		if (now - w->last_flush >= FLUSH_NS) {
			filecache_flush(w->fc);
			w->last_flush = now;
		}
		atomic_store_explicit(&w->files, filecache_count(w->fc),
				      memory_order_relaxed);
	} while (!final);
	return NULL;
}

int writer_start(struct writer *w, struct queue *q, struct priority *prio)
{
	int err;

	w->q = q;
	w->prio = prio;
	err = -pthread_create(&w->thread, NULL, writer_main, w);
	if (!err)
		w->started = true;
	return err;
}

int writer_give_output(struct writer *w, uid_t uid, gid_t gid)
{
	return filecache_chown(w->fc, uid, gid);
}

void writer_finish_chunks(struct writer *w)
{
	atomic_store(&w->finish_req, 1);
}

int writer_stop(struct writer *w)
{
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
	if (w->fc) {
		filecache_finish_all(w->fc);
		account_cut(w);
		atomic_store(&w->files, filecache_count(w->fc));
		/* After-care of the last chunks first: it needs the directory.
		 */
		postproc_stop(w->post);
		w->post = NULL;
		filecache_close(w->fc);
		w->fc = NULL;
	}
	index_free(w->index);
	w->index = NULL;
	return counter_get(&w->write_errors) ? -EIO : 0;
}

void writer_stats(const struct writer *w, struct writer_stats *st)
{
	st->packets = counter_get(&w->packets) - counter_get(&w->unwritten);
	st->bytes = counter_get(&w->bytes);
	st->write_errors = counter_get(&w->write_errors);
	st->out_of_order = counter_get(&w->out_of_order);
	st->unindexed = counter_get(&w->unindexed);
	st->files = atomic_load(&w->files);
}

void writer_free(struct writer *w)
{
	if (!w)
		return;
	split_free(w->split);
	postproc_stop(w->post);
	w->post = NULL;
	filecache_close(w->fc);
	index_free(w->index);
	context_free(w->context);
	proc_cache_free(w->procs);
	ctrcache_free(w->containers);
	reorder_free(w->reorder);
	free(w);
}
