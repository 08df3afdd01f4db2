// SPDX-License-Identifier: GPL-2.0
/*
 * netrec: record the traffic of every process and container into pcap
 * files.  main() wires kernel -> reader -> writer together, waits for a
 * signal or the end of --duration, and tears down in the same order so
 * that every recorded packet reaches its file.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "capture.h"
#include "cgroup.h"
#include "clock.h"
#include "log.h"
#include "options.h"
#include "pcapfile.h"
#include "queue.h"
#include "priority.h"
#include "privdrop.h"
#include "reader.h"
#include "target.h"
#include "writer.h"

struct session {
	const struct options *opt;
	struct target_cmd cmd;
	bool have_cmd;
	struct pcapng_section shb;
	char hardware[80], os[160], userappl[64], cmdline[2048];
	char argv_line[2048]; /* the command line, for the index */
	struct cgroup_root root;
	struct capture *cap;
	struct writer *writer;
	struct reader *reader;
	struct queue *queue;
	struct priority *writer_prio;
};

static void print_counts(const struct session *s)
{
	struct nr_counters k = {};
	struct reader_stats rs = {};
	struct writer_stats ws = {};
	unsigned long long lost;

	if (s->cap)
		capture_counters(s->cap, &k);
	if (s->reader)
		reader_stats(s->reader, &rs);
	if (s->writer)
		writer_stats(s->writer, &ws);
	/* A full perf buffer shows up both as an output failure and as lost. */
	lost = k.v[NR_CNT_OUTPUT_FAIL] > rs.lost ? k.v[NR_CNT_OUTPUT_FAIL]
						 : rs.lost;
	lost += ws.write_errors + rs.bad;
	fprintf(stderr, "%llu packets recorded\n",
		(unsigned long long)ws.packets);
	fprintf(stderr, "%llu packets seen by the kernel programs\n",
		(unsigned long long)k.v[NR_CNT_SEEN]);
	if (k.v[NR_CNT_FILTERED])
		fprintf(stderr, "%llu packets left out by the filters\n",
			(unsigned long long)k.v[NR_CNT_FILTERED]);
	fprintf(stderr,
		"%llu packets lost (%llu output failures in the kernel, %llu lost in the perf buffer, %llu write errors)\n",
		lost, (unsigned long long)k.v[NR_CNT_OUTPUT_FAIL],
		(unsigned long long)rs.lost,
		(unsigned long long)ws.write_errors);
	fprintf(stderr, "%u files written in %s\n", ws.files, s->opt->outdir);
	if (rs.bad)
		pr_warn("%llu of the lost were malformed perf samples",
			(unsigned long long)rs.bad);
	if (ws.out_of_order)
		pr_warn("%llu packets were written out of time order (the reorder window overflowed)",
			(unsigned long long)ws.out_of_order);
	if (ws.unindexed)
		pr_warn("%llu packets were written but left out of the index (the writer fell behind; their chunks say \"index_complete\": false)",
			(unsigned long long)ws.unindexed);
}

/*
 * What the pcapng section header says about the capture: the machine, the
 * kernel, netrec's version, and the command line, so a file found later
 * tells how it was made.
 */
static void describe_section(struct session *s, int argc, char **argv)
{
	struct utsname u;
	size_t n = 0;

	if (!uname(&u)) {
		snprintf(s->hardware, sizeof(s->hardware), "%s", u.machine);
		snprintf(s->os, sizeof(s->os), "%s %s", u.sysname, u.release);
		s->shb.hardware = s->hardware;
		s->shb.os = s->os;
	}
	snprintf(s->userappl, sizeof(s->userappl), "netrec %s",
		 PACKAGE_VERSION);
	s->shb.userappl = s->userappl;
	for (int i = 0; i < argc && n < sizeof(s->argv_line); i++)
		n += snprintf(s->argv_line + n, sizeof(s->argv_line) - n,
			      "%s%s", i ? " " : "", argv[i]);
	n = snprintf(s->cmdline, sizeof(s->cmdline),
		     "netrec: snapshot length %u%s%s, split %s; command line:",
		     s->opt->snaplen, s->opt->snap_headers ? " (headers)" : "",
		     s->opt->truncate_all ? ", DNS and ICMP truncated too"
					  : ", DNS and ICMP whole",
		     options_split_name(s->opt->split));
	/* Cut as snprintf() would, spelled out for -Wformat-truncation. */
	if (argc && n + 1 < sizeof(s->cmdline))
		snprintf(s->cmdline + n, sizeof(s->cmdline) - n, " %.*s",
			 (int)(sizeof(s->cmdline) - n - 2), s->argv_line);
	s->shb.comment = s->cmdline;
}

static uint32_t file_snaplen(const struct options *o)
{
	/* DNS and ICMP are kept whole unless --truncate-all. */
	uint32_t max = o->truncate_all && !o->snap_headers ? o->snaplen
							   : NR_MAX_CAPLEN;

	return PCAP_NULL_HDR_LEN + max;
}

static void add_cgroup(uint64_t cgroup_id, void *arg)
{
	struct session *s = arg;

	if (capture_filter_cgroup(s->cap, cgroup_id))
		pr_warn("cannot add cgroup %llu to the filter",
			(unsigned long long)cgroup_id);
}

/*
 * Containers are found by walking the cgroup tree; one that starts later
 * is found by the walk main repeats every second.
 */
static void scan_containers(struct session *s)
{
	const struct options *o = s->opt;

	if (o->ncontainers)
		target_containers_scan(&s->root, "/", o->containers,
				       o->ncontainers, add_cgroup, s);
}

static int select_cgroups(struct session *s)
{
	const struct options *o = s->opt;
	int err;

	scan_containers(s);
	if (!o->command)
		return 0;
	err = target_cmd_start(&s->cmd, &s->root, o->command, o->user);
	if (err)
		return err;
	s->have_cmd = true;
	return capture_filter_cgroup(s->cap, s->cmd.cgroup_id);
}

static int kernel_counters(void *arg, struct nr_counters *sum)
{
	return capture_counters(arg, sum);
}

static int settle_capture(void *arg, uint64_t *settled)
{
	return capture_settle(arg, settled);
}

static int start(struct session *s)
{
	const struct options *o = s->opt;
	struct capture_config cc = {
		.snaplen = o->snaplen,
		.snap_headers = o->snap_headers,
		.whole_dns_icmp = !o->truncate_all,
		.pids = o->pids,
		.npids = o->npids,
		.uids = o->uids,
		.nuids = o->nuids,
		.comm = o->comm,
		.by_cgroup = o->ncontainers || o->command,
	};
	struct writer_config wc = {
		.outdir = o->outdir,
		.split = o->split,
		.max_open = o->max_open,
		.spec = {
			.format = o->format,
			.snaplen = file_snaplen(o),
			.shb = &s->shb,
		},
		.context = !o->no_context,
		.index = !o->no_index,
		.cmdline = s->argv_line,
		.kernel_counters = kernel_counters,
		.chunks = {
			.max_bytes = o->rotate_bytes,
			.period_ns = o->rotate_secs * 1000000000ULL,
			.ring = o->ring,
			.idle_ns = o->idle_close * 1000000000ULL,
			.trusted_uid = (uid_t)-1,
		},
		.post = {
			.compress_level = o->compress_level,
			.command = o->postrotate[0] ? o->postrotate : NULL,
			.retention = {
				.max_total = o->max_total,
				.min_free = o->min_free,
				.min_free_pct = o->min_free_pct,
			},
		},
		.cgroup_root = &s->root,
	};
	uid_t uid = 0;
	gid_t gid = 0;
	int err;

	if (o->user && privdrop_lookup(o->user, &uid, &gid))
		return -ENOENT;
	if (o->user)
		wc.chunks.trusted_uid = uid;
	err = cgroup_root_open(&s->root);
	if (err)
		return err;
	err = capture_open(&s->cap, &cc, &s->root);
	if (err)
		return err;
	wc.execs_fd = capture_execs_fd(s->cap);
	wc.kernel_arg = s->cap;
	err = writer_new(&s->writer, &wc);
	if (err)
		return err;
	s->queue = queue_new(reader_queue_bytes(o->buffer_kib));
	s->writer_prio = priority_new();
	if (!s->queue || !s->writer_prio)
		return -ENOMEM;
	err = writer_start(s->writer, s->queue, s->writer_prio);
	if (err)
		return err;
	err = select_cgroups(s);
	if (err)
		return err;
	/* The perf buffers must exist before a packet program can fire. */
	err = reader_start(&s->reader,
			   &(struct reader_source){
				   .events_fd = capture_events_fd(s->cap),
				   .settle = settle_capture,
				   .settle_arg = s->cap,
				   .writer_prio = s->writer_prio,
			   },
			   o->buffer_kib, s->queue);
	if (err)
		return err;
	err = capture_attach_packets(s->cap);
	if (err)
		return err;
	/* Files made from now on, and renames, are the user's to do. */
	if (o->user) {
		priority_before_privdrop(s->writer_prio);
		err = writer_give_output(s->writer, uid, gid);
		if (!err)
			err = privdrop_apply(o->user, uid, gid);
		if (err)
			return err;
	}
	if (s->opt->command)
		target_cmd_go(&s->cmd);
	return 0;
}

/* Tear down in data-flow order so nothing recorded is left behind. */
static int stop(struct session *s)
{
	int err = 0;

	if (s->cap)
		capture_detach_packets(s->cap);
	if (s->reader)
		reader_stop(s->reader);
	else if (s->queue)
		queue_close(s->queue);
	if (s->writer)
		err = writer_stop(s->writer);
	return err;
}

static void cleanup(struct session *s)
{
	reader_free(s->reader);
	writer_free(s->writer);
	queue_free(s->queue);
	priority_free(s->writer_prio);
	capture_close(s->cap);
	if (s->have_cmd)
		target_cmd_cleanup(&s->cmd, &s->root);
	cgroup_root_close(&s->root);
}

/* The command ran to its end: say how, and stop. */
static bool command_done(struct session *s)
{
	int status;

	if (!s->have_cmd || !target_cmd_exited(&s->cmd, &status))
		return false;
	if (WIFEXITED(status))
		pr_info("%s exited with status %d", s->opt->command[0],
			WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		pr_info("%s was killed by signal %d", s->opt->command[0],
			WTERMSIG(status));
	return true;
}

static int wait_for_stop(struct session *s, const sigset_t *sigs)
{
	uint64_t deadline = 0;
	int sig;

	if (s->opt->duration > 0)
		deadline = mono_now_ns() + (uint64_t)(s->opt->duration * 1e9);
	for (;;) {
		struct timespec tmo = { .tv_sec = 1 };
		uint64_t now = mono_now_ns();

		if (deadline) {
			if (now >= deadline)
				return 0;
			if (deadline - now < 1000000000ULL)
				tmo = (struct timespec){ .tv_nsec = deadline -
								    now };
		}
		sig = sigtimedwait(sigs, NULL, &tmo);
		if (sig == SIGUSR1)
			print_counts(s);
		else if (sig == SIGHUP)
			writer_finish_chunks(s->writer);
		else if (sig == SIGINT || sig == SIGTERM)
			return 0;
		if (command_done(s))
			return 0;
		if (sig < 0)
			scan_containers(s);
	}
}

static void set_log_level(int verbosity)
{
	if (verbosity < 0)
		log_set_level(NR_LOG_NOTICE);
	else if (verbosity == 1)
		log_set_level(NR_LOG_DEBUG);
	else if (verbosity > 1)
		log_set_level(NR_LOG_TRACE);
	log_hook_libbpf();
}

int main(int argc, char **argv)
{
	struct session s = { .root = { .fd = -1 } };
	struct options opt;
	sigset_t sigs;
	int err;

	switch (options_parse(&opt, argc, argv)) {
	case OPTIONS_EXIT:
		return 0;
	case OPTIONS_USAGE:
		return 2;
	case OPTIONS_RUN:
		break;
	}
	s.opt = &opt;
	set_log_level(opt.verbosity);
	describe_section(&s, argc, argv);

	/* Every thread inherits this mask: only main takes the signals. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGUSR1);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit must fail the write, not kill the recorder. */
	signal(SIGXFSZ, SIG_IGN);

	err = start(&s);
	if (!err) {
		char snap[32] = "headers";

		if (!opt.snap_headers)
			snprintf(snap, sizeof(snap), "%u bytes", opt.snaplen);
		pr_notice(
			"capturing on all sockets under cgroup %s, link-type NULL (BSD loopback), snapshot length %s%s, writing to %s/ split by %s",
			s.root.path, snap,
			opt.truncate_all ? "" : " (DNS and ICMP whole)",
			opt.outdir, options_split_name(opt.split));
		err = wait_for_stop(&s, &sigs);
	}
	if (stop(&s) && !err)
		err = -EIO;
	/* Counts mean something only once capture had started. */
	if (s.reader)
		print_counts(&s);
	cleanup(&s);
	return err ? 1 : 0;
}
