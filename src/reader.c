// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

#include "clock.h"
#include "counter.h"
#include "log.h"
#include "priority.h"
#include "reader.h"

/*
 * A wake-up per sample costs the sending task microseconds.  The reader
 * polls on a timer instead and is woken early only when a buffer is a
 * quarter full, so a burst cannot overrun it between two timer ticks.
 */
#define POLL_MS 10
/* Wake the writer at least this often within a long pass. */
#define WAKE_BATCH 4096

struct reader {
	struct perf_buffer *pb;
	struct queue *q;
	pthread_t thread;
	_Atomic int stop;
	int ncpus;
	__u32 *lost_pending; /* per CPU, for the next sample's lost_before */
	counter_t samples, lost, bad;
	unsigned int unwoken; /* commits since the last queue_wake() */
	reader_settle_fn settle;
	void *settle_arg;
	struct priority *writer_prio;
};

struct perf_sample {
	struct perf_event_header header;
	__u32 size;
	__u8 data[];
};

struct perf_lost {
	struct perf_event_header header;
	__u64 id;
	__u64 lost;
};

/* Raw data sits 4 bytes past an 8-byte boundary: fields are copied out. */
#define FIELD(p, field, out)                                                   \
	memcpy(&(out), (const __u8 *)(p) + offsetof(struct nr_record, field),  \
	       sizeof(out))

/*
 * What the programs always write: a bad value means a torn entry, which
 * must not reach a file as a packet (it did, before the stage's release
 * was ordered; see stage_release() in bpf/netrec.bpf.c).
 */
static bool entry_sane(const void *p, size_t n, __u32 *caplen)
{
	__u32 len;
	__u8 family, dir;

	if (n < sizeof(struct nr_record))
		return false;
	FIELD(p, caplen, *caplen);
	FIELD(p, len, len);
	FIELD(p, family, family);
	FIELD(p, dir, dir);
	return *caplen <= n - sizeof(struct nr_record) && *caplen <= len &&
	       *caplen <= NR_MAX_CAPLEN && (family == 4 || family == 6) &&
	       (dir == NR_DIR_IN || dir == NR_DIR_OUT);
}

size_t reader_entry_size(const void *p, size_t n)
{
	__u32 caplen;

	return entry_sane(p, n, &caplen) ? NR_ENTRY_SIZE(caplen) : 0;
}

/* One entry: a record and its packet.  Returns its size, 0 if malformed. */
static size_t take_entry(struct reader *rd, int cpu, const __u8 *p, size_t n)
{
	struct qrec *qr;
	__u32 caplen;

	if (!entry_sane(p, n, &caplen))
		return 0;
	/* The record goes straight into the queue. */
	qr = queue_reserve(rd->q, sizeof(*qr) + QREC_LINK_ROOM + caplen);
	if (!qr)
		return 0;
	memcpy(&qr->r, p, sizeof(qr->r));
	qr->cpu = cpu;
	qr->lost_before = 0;
	if (cpu >= 0 && cpu < rd->ncpus) {
		qr->lost_before = rd->lost_pending[cpu];
		rd->lost_pending[cpu] = 0;
	}
	memcpy((__u8 *)(qr + 1) + QREC_LINK_ROOM, p + sizeof(qr->r), caplen);
	queue_commit(rd->q);
	counter_add(&rd->samples, 1);
	if (++rd->unwoken >= WAKE_BATCH) {
		queue_wake(rd->q);
		rd->unwoken = 0;
	}
	return NR_ENTRY_SIZE(caplen);
}

/* A sample holds one packet, or a CPU's stage of them (bpf/netrec.h). */
static void take_sample(struct reader *rd, int cpu, const struct perf_sample *s)
{
	size_t off = 0, took;

	/* The kernel pads raw data to 8 bytes past the size field: skip it. */
	do {
		took = take_entry(rd, cpu, s->data + off, s->size - off);
		if (!took) {
			counter_add(&rd->bad, 1);
			return;
		}
		off += took;
	} while (off < s->size && s->size - off >= sizeof(struct nr_record));
}

static void put_watermark(struct reader *rd, uint64_t settled)
{
	struct qrec *qr;

	if (!settled)
		return;
	qr = queue_reserve(rd->q, sizeof(*qr));
	if (!qr)
		return;
	memset(qr, 0, sizeof(*qr));
	qr->cpu = QREC_WATERMARK;
	/* Everything stamped before settled: the writer takes <= ts_ns. */
	qr->r.ts_ns = settled - 1;
	queue_commit(rd->q);
	queue_wake(rd->q);
	rd->unwoken = 0;
}

/*
 * Have the kernel hand over what it stages, drain every CPU's buffer,
 * then say how far the queue is complete.  A flush that failed leaves
 * packets staged, and the answer says so.
 */
static void drain_all(struct reader *rd)
{
	uint64_t settled;

	rd->settle(rd->settle_arg, &settled);
	perf_buffer__consume(rd->pb);
	put_watermark(rd, settled);
	if (rd->writer_prio)
		priority_backlog(rd->writer_prio, queue_used(rd->q),
				 queue_size(rd->q));
}

/*
 * The programs are detached, but one that started before may still be
 * running (it takes microseconds, unless its CPU is taken away): drain
 * until everything stamped before now is in.
 */
static void drain_last(struct reader *rd)
{
	uint64_t t = mono_now_ns(), settled;
	int err;

	for (int i = 0; i < 200; i++) {
		usleep(5000);
		err = rd->settle(rd->settle_arg, &settled);
		perf_buffer__consume(rd->pb);
		if (!err && settled >= t)
			break;
	}
}

static enum bpf_perf_event_ret on_event(void *ctx, int cpu,
					struct perf_event_header *ev)
{
	struct reader *rd = ctx;

	if (ev->type == PERF_RECORD_SAMPLE) {
		take_sample(rd, cpu, (const struct perf_sample *)ev);
	} else if (ev->type == PERF_RECORD_LOST) {
		const struct perf_lost *l = (const struct perf_lost *)ev;

		counter_add(&rd->lost, l->lost);
		if (cpu >= 0 && cpu < rd->ncpus)
			rd->lost_pending[cpu] += l->lost;
	}
	return LIBBPF_PERF_EVENT_CONT;
}

static void *reader_main(void *arg)
{
	struct reader *rd = arg;
	int err;

	pthread_setname_np(pthread_self(), "netrec-reader");
	while (!atomic_load(&rd->stop)) {
		err = perf_buffer__poll(rd->pb, POLL_MS);
		if (err < 0 && err != -EINTR) {
			pr_err("reading perf buffers: %s", strerror(-err));
			break;
		}
		/* Drain every buffer each round so none lags behind. */
		drain_all(rd);
	}
	/* What is left is the writer's last work: no reason to wait. */
	if (rd->writer_prio)
		priority_finish(rd->writer_prio);
	drain_last(rd);
	queue_close(rd->q);
	return NULL;
}

/* Bound the total on big machines: 64 MiB across all CPUs, 1-8 MiB each. */
static unsigned int default_kib(void)
{
	int ncpus = libbpf_num_possible_cpus();
	unsigned int kib = ncpus > 0 ? 65536 / ncpus : 8192;

	return kib > 8192 ? 8192 : kib < 1024 ? 1024 : kib;
}

static size_t buffer_pages(unsigned int kib)
{
	size_t want, pages = 1;

	if (!kib)
		kib = default_kib();
	want = (size_t)kib * 1024 / 4096;
	while (pages < want)
		pages <<= 1;
	return pages;
}

size_t reader_queue_bytes(unsigned int buffer_kib)
{
	int ncpus = libbpf_num_possible_cpus();
	size_t pass = buffer_pages(buffer_kib) * 4096 * (ncpus > 0 ? ncpus : 1);
	size_t min = 32u << 20;

	return 2 * pass + (1u << 20) > min ? 2 * pass + (1u << 20) : min;
}

int reader_start(struct reader **out, const struct reader_source *src,
		 unsigned int buffer_kib, struct queue *q)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
		.watermark = 1,
		.wakeup_watermark = buffer_pages(buffer_kib) * 4096 / 4,
	};
	struct reader *rd;
	int err;

	rd = calloc(1, sizeof(*rd));
	if (!rd)
		return -ENOMEM;
	rd->q = q;
	rd->settle = src->settle;
	rd->settle_arg = src->settle_arg;
	rd->writer_prio = src->writer_prio;
	rd->ncpus = libbpf_num_possible_cpus();
	if (rd->ncpus <= 0) {
		err = rd->ncpus ? rd->ncpus : -EINVAL;
		goto err_free;
	}
	rd->lost_pending = calloc(rd->ncpus, sizeof(*rd->lost_pending));
	if (!rd->lost_pending) {
		err = -ENOMEM;
		goto err_free;
	}
	rd->pb = perf_buffer__new_raw(src->events_fd, buffer_pages(buffer_kib),
				      &attr, on_event, rd, NULL);
	if (!rd->pb) {
		err = -errno;
		pr_err("cannot set up perf buffers of %zu KiB per CPU: %s",
		       buffer_pages(buffer_kib) * 4, strerror(errno));
		goto err_free;
	}
	err = -pthread_create(&rd->thread, NULL, reader_main, rd);
	if (err) {
		perf_buffer__free(rd->pb);
		goto err_free;
	}
	*out = rd;
	return 0;
err_free:
	free(rd->lost_pending);
	free(rd);
	return err;
}

void reader_stop(struct reader *rd)
{
	atomic_store(&rd->stop, 1);
	pthread_join(rd->thread, NULL);
}

void reader_stats(const struct reader *rd, struct reader_stats *st)
{
	st->samples = counter_get(&rd->samples);
	st->lost = counter_get(&rd->lost);
	st->bad = counter_get(&rd->bad);
	st->queue_waits = queue_full_waits(rd->q);
}

void reader_free(struct reader *rd)
{
	if (!rd)
		return;
	perf_buffer__free(rd->pb);
	free(rd->lost_pending);
	free(rd);
}
