// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "proc.h"
#include "tap.h"

#define BIG_ARG 5000
/* The child's fds: it says "ready" on one and waits for EOF on the other. */
#define CHILD_READY_FD 3
#define CHILD_WAIT_FD 4

static uint64_t ns_per_tick;

/* A kernel-style comm: 16 bytes, NUL-padded. */
static const char *comm16(const char *s)
{
	static char buf[16];

	memset(buf, 0, sizeof(buf));
	memcpy(buf, s, strnlen(s, sizeof(buf)));
	return buf;
}
static char self_exe[PATH_MAX];
static char fake_root[64];

/* comm may hold spaces and ')': it ends at the last ')'. */
static bool stat_of(pid_t pid, uint64_t *starttime, unsigned int *ppid,
		    char *comm, size_t comm_size)
{
	char path[64], buf[4096], *open_paren, *close_paren, *p;
	FILE *f;
	size_t n;
	int field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	open_paren = strchr(buf, '(');
	close_paren = strrchr(buf, ')');
	if (!open_paren || !close_paren)
		return false;
	if (comm)
		snprintf(comm, comm_size, "%.*s",
			 (int)(close_paren - open_paren - 1), open_paren + 1);
	p = close_paren + 2;
	for (field = 3; field < 22; field++) {
		if (field == 4 && ppid)
			*ppid = (unsigned int)strtoul(p, NULL, 10);
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	*starttime = strtoull(p, NULL, 10);
	return true;
}

/* A start_ns late in its tick, so that only the integer division matches. */
static uint64_t start_ns_of(pid_t pid)
{
	uint64_t ticks = 0;

	if (!stat_of(pid, &ticks, NULL, NULL, 0))
		return 0;
	return ticks * ns_per_tick + ns_per_tick - 1;
}

static void test_self(const char *argv0)
{
	struct proc_cache *pc = proc_cache_new(16);
	const struct proc_info *pi;
	uint64_t start_ns = start_ns_of(getpid());
	/* All 16 bytes used: no NUL from the kernel. */
	const char comm[16] = { 't', 'e', 's', 't', '_', 'p', 'r', 'o',
				'c', '-', 'c', 'o', 'm', 'm', '1', '6' };

	ok(start_ns != 0, "own starttime from /proc/self/stat");
	pi = proc_cache_get(pc, (uint32_t)getpid(), start_ns, comm, getuid());
	ok(pi && pi->from_proc, "own process read from /proc");
	if (!pi)
		return;
	ok(pi->pid == (uint32_t)getpid(), "pid");
	ok(pi->ppid == (uint32_t)getppid(), "ppid == getppid()");
	ok(pi->uid == getuid(), "uid");
	ok(pi->start_ns == start_ns, "start_ns kept");
	is_str(pi->comm, "test_proc-comm16", "16-byte comm NUL-terminated");
	is_str(pi->exe, self_exe, "exe is the test binary");
	is_str(pi->args, argv0, "args are our command line");

	pi = proc_cache_get(pc, (uint32_t)getpid(), start_ns + 1, comm,
			    getuid());
	ok(pi && !pi->from_proc && !pi->exe[0] && !pi->args[0] && !pi->ppid,
	   "start_ns one tick later: another process, nothing from /proc");
	pi = proc_cache_get(pc, (uint32_t)getpid(), start_ns - ns_per_tick,
			    comm, getuid());
	ok(pi && !pi->from_proc, "start_ns one tick earlier: another process");
	proc_cache_free(pc);
}

static int child_main(void)
{
	char c = 0;

	if (prctl(PR_SET_NAME, "a) b c", 0, 0, 0))
		return 1;
	if (write(CHILD_READY_FD, "r", 1) != 1)
		return 1;
	/* Until the parent closes its end. */
	while (read(CHILD_WAIT_FD, &c, 1) > 0)
		;
	return 0;
}

/* Runs this binary as a child with @argv; @wait_fd keeps it alive. */
static pid_t spawn_child(char *const argv[], int *wait_fd)
{
	int ready[2], hold[2];
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (dup2(ready[1], CHILD_READY_FD) < 0 ||
		    dup2(hold[0], CHILD_WAIT_FD) < 0)
			_exit(127);
		execv(self_exe, argv);
		_exit(127);
	}
	close(ready[1]);
	close(hold[0]);
	if (pid < 0 || read(ready[0], &c, 1) != 1) {
		close(ready[0]);
		close(hold[1]);
		return -1;
	}
	close(ready[0]);
	*wait_fd = hold[1];
	return pid;
}

static void reap(pid_t pid, int wait_fd)
{
	int status;

	close(wait_fd);
	waitpid(pid, &status, 0);
}

static void test_hostile_child(void)
{
	static char big[BIG_ARG + 1];
	char *argv[] = { "tproc-child",
			 "--child",
			 "a b",
			 "it's",
			 "say \"hi\"",
			 "back\\slash",
			 "line1\nline2",
			 "bad\xff byte",
			 "caf\xc3\xa9",
			 "",
			 "\xe2\x80\xae"
			 "evil",
			 big,
			 NULL };
	const char *want =
		"tproc-child --child 'a b' $'it\\'s' 'say \"hi\"' "
		"'back\\slash' $'line1\\nline2' $'bad\\xff byte' caf\xc3\xa9 "
		"'' $'\\u202eevil' ";
	char comm[16] = "a) b c", stat_comm[64] = "";
	struct proc_cache *pc = proc_cache_new(16);
	const struct proc_info *pi;
	uint64_t ticks = 0;
	unsigned int ppid = 0;
	size_t i, len, wlen = strlen(want);
	bool all_x = true;
	int wait_fd;
	pid_t pid;

	memset(big, 'x', BIG_ARG);
	pid = spawn_child(argv, &wait_fd);
	ok(pid > 0, "child with a hostile argv started");
	if (pid <= 0)
		return;
	ok(stat_of(pid, &ticks, &ppid, stat_comm, sizeof(stat_comm)) &&
		   !strcmp(stat_comm, "a) b c"),
	   "the child's stat comm has ')' and spaces");
	pi = proc_cache_get(pc, (uint32_t)pid, ticks * ns_per_tick, comm, 1234);
	ok(pi && pi->from_proc, "child read from /proc despite its comm");
	if (!pi)
		goto out;
	ok(pi->ppid == (uint32_t)getpid(), "child's ppid parsed past comm");
	ok(pi->uid == 1234, "uid is the kernel's");
	is_str(pi->comm, "a) b c", "comm from the kernel");
	is_str(pi->exe, self_exe, "child's exe");
	len = strlen(pi->args);
	ok(len == PROC_ARGS_MAX - 1, "args filled and bounded (%zu)", len);
	ok(!strncmp(pi->args, want, wlen), "args escaped");
	if (strncmp(pi->args, want, wlen))
		printf("#   got '%s'\n#  want '%s...'\n", pi->args, want);
	ok(len > 3 && !strcmp(pi->args + len - 3, "..."),
	   "truncated args end with ...");
	for (i = wlen; i + 3 < len; i++)
		all_x &= pi->args[i] == 'x';
	ok(all_x && len > wlen + 3, "the 5000-byte argument is cut");
out:
	reap(pid, wait_fd);
	proc_cache_free(pc);
}

static void test_vanished(void)
{
	char *argv[] = { "tproc-child", "--child", NULL };
	struct proc_cache *pc = proc_cache_new(16);
	const struct proc_info *pi;
	uint64_t start_ns;
	int wait_fd;
	pid_t pid;

	pid = spawn_child(argv, &wait_fd);
	ok(pid > 0, "short-lived child started");
	if (pid <= 0)
		return;
	start_ns = start_ns_of(pid);
	reap(pid, wait_fd);
	pi = proc_cache_get(pc, (uint32_t)pid, start_ns, comm16("gone"), 42);
	ok(pi && !pi->from_proc && !strcmp(pi->comm, "gone") && pi->uid == 42 &&
		   pi->pid == (uint32_t)pid && pi->start_ns == start_ns &&
		   !pi->exe[0] && !pi->args[0],
	   "a vanished process: kernel data only");
	proc_cache_free(pc);
}

static int put_file(const char *dir, const char *name, const void *data,
		    size_t len)
{
	char path[256];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* /proc/PID in the fake root: pid @ppid, starttime @ticks, comm @comm. */
static int fake_pid(uint32_t pid, uint32_t ppid, uint64_t ticks,
		    const char *comm, const void *cmdline, size_t cmdline_len)
{
	char dir[128], stat[1024], link[256];
	int n;

	snprintf(dir, sizeof(dir), "%s/%u", fake_root, pid);
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	n = snprintf(
		stat, sizeof(stat),
		"%u (%s) S %u %u %u 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 %llu 1000000 100 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
		pid, comm, ppid, pid, pid, (unsigned long long)ticks);
	snprintf(link, sizeof(link), "%s/exe", dir);
	unlink(link);
	if (put_file(dir, "stat", stat, (size_t)n) ||
	    put_file(dir, "cmdline", cmdline, cmdline_len) ||
	    put_file(dir, "status", "Name:\tfake\nUid:\t0\t0\t0\t0\n", 24) ||
	    symlink("/usr/bin/fake-exe", link))
		return -1;
	return 0;
}

static void unfake_pid(uint32_t pid)
{
	static const char *const files[] = { "stat", "cmdline", "status",
					     "exe" };
	char path[256];
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%u/%s", fake_root, pid,
			 files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/%u", fake_root, pid);
	rmdir(path);
}

#define FAKE_CMDLINE "fake\0--opt\0"

static const char kcomm[16] = "kernel-comm";

static const struct proc_info *fake_get(struct proc_cache *pc, uint32_t pid,
					uint64_t ticks)
{
	return proc_cache_get(pc, pid, ticks * ns_per_tick, kcomm, 7);
}

static void test_fake_reuse(void)
{
	struct proc_cache *pc = proc_cache_new(16);
	const struct proc_info *pi;
	uint64_t late = 1000 * ns_per_tick + ns_per_tick - 1;

	proc_cache_set_root(pc, fake_root);
	if (fake_pid(4242, 77, 1000, "fake) x", FAKE_CMDLINE,
		     sizeof(FAKE_CMDLINE) - 1)) {
		ok(0, "fake root set up");
		return;
	}
	pi = proc_cache_get(pc, 4242, late, kcomm, 7);
	ok(pi && pi->from_proc && pi->ppid == 77 && pi->uid == 7,
	   "fake process matches its starttime");
	if (pi) {
		is_str(pi->exe, "/usr/bin/fake-exe", "fake exe");
		is_str(pi->args, "fake --opt", "fake args");
		is_str(pi->comm, "kernel-comm", "comm is the kernel's");
	}
	pi = proc_cache_get(pc, 4242, late + 1, comm16("newer"), 8);
	ok(pi && !pi->from_proc && !strcmp(pi->comm, "newer") && pi->uid == 8 &&
		   !pi->ppid && !pi->exe[0] && !pi->args[0],
	   "reused pid (starttime differs): nothing from /proc");
	pi = fake_get(pc, 4242, 999);
	ok(pi && !pi->from_proc, "earlier process of that pid: not it either");

	ok(!fake_pid(4243, 1, 5, "broken", "", 0), "fake root set up");
	if (!put_file(fake_root, "4243/stat", "4243 (no close paren S 1", 24)) {
		pi = fake_get(pc, 4243, 5);
		ok(pi && !pi->from_proc, "malformed stat: not from /proc");
	}
	unfake_pid(4242);
	unfake_pid(4243);
	proc_cache_free(pc);
}

/* One fake process per cmdline; returns its args. */
static const char *fake_args(struct proc_cache *pc, uint32_t pid,
			     const void *cmdline, size_t len)
{
	const struct proc_info *pi;

	if (fake_pid(pid, 1, 10, "args", cmdline, len))
		return "(setup failed)";
	pi = fake_get(pc, pid, 10);
	unfake_pid(pid);
	return pi && pi->from_proc ? pi->args : "(not from proc)";
}

static bool valid_utf8_e_acute(const char *s, size_t n)
{
	size_t i;

	if (n % 2)
		return false;
	for (i = 0; i < n; i += 2)
		if ((unsigned char)s[i] != 0xc3 ||
		    (unsigned char)s[i + 1] != 0xa9)
			return false;
	return true;
}

static void test_escaping(void)
{
	static const char mixed[] = "t\tab\0\x7f\0\xc2\x85\0\xc0\xaf\0"
				    "\xed\xa0\x80\0$HOME\0"
				    "a=b,c:d@e%f+g/h.i_j-k\0\0last";
	char raw[3000];
	struct proc_cache *pc = proc_cache_new(16);
	const char *a;
	size_t len, i;
	bool ok_units = true;

	proc_cache_set_root(pc, fake_root);
	is_str(fake_args(pc, 5000, mixed, sizeof(mixed) - 1),
	       "$'t\\tab' $'\\x7f' $'\\u0085' $'\\xc0\\xaf' $'\\xed\\xa0\\x80' "
	       "'$HOME' a=b,c:d@e%f+g/h.i_j-k '' last",
	       "tab, DEL, C1, overlong, surrogate, $, safe, empty, no final NUL");
	is_str(fake_args(pc, 5001, "a\0\0", 3), "a ''", "trailing empty arg");
	is_str(fake_args(pc, 5002, "", 0), "", "empty cmdline (kernel thread)");

	memset(raw, 1, sizeof(raw));
	a = fake_args(pc, 5003, raw, sizeof(raw));
	len = strlen(a);
	ok(len <= PROC_ARGS_MAX - 1 && len > 8 && !strncmp(a, "$'", 2) &&
		   !strcmp(a + len - 3, "..."),
	   "long control-byte arg bounded (%zu)", len);
	for (i = 2; i + 3 < len; i += 4)
		ok_units &= !strncmp(a + i, "\\x01", 4);
	ok(ok_units && (len - 5) % 4 == 0, "cut between escapes");

	for (i = 0; i + 1 < sizeof(raw); i += 2) {
		raw[i] = (char)0xc3;
		raw[i + 1] = (char)0xa9;
	}
	a = fake_args(pc, 5004, raw, sizeof(raw));
	len = strlen(a);
	ok(len <= PROC_ARGS_MAX - 1 && len > 3 && !strcmp(a + len - 3, "..."),
	   "long UTF-8 arg bounded (%zu)", len);
	ok(valid_utf8_e_acute(a, len - 3), "cut between UTF-8 characters");

	memset(raw, 'y', sizeof(raw));
	raw[PROC_ARGS_MAX - 1] = '\0';
	a = fake_args(pc, 5005, raw, PROC_ARGS_MAX);
	ok(strlen(a) == PROC_ARGS_MAX - 1 && a[PROC_ARGS_MAX - 2] == 'y',
	   "an exactly fitting cmdline is not cut");
	a = fake_args(pc, 5006, raw, PROC_ARGS_MAX + 1);
	len = strlen(a);
	ok(len == PROC_ARGS_MAX - 1 && !strcmp(a + len - 3, "..."),
	   "one character more is cut");
	proc_cache_free(pc);
}

static void test_cache(void)
{
	struct proc_cache *pc = proc_cache_new(4);
	const struct proc_info *pi, *first;
	uint32_t pid;
	bool all = true;

	proc_cache_set_root(pc, fake_root);
	if (fake_pid(4242, 77, 1000, "fake", FAKE_CMDLINE,
		     sizeof(FAKE_CMDLINE) - 1)) {
		ok(0, "fake root set up");
		return;
	}
	first = fake_get(pc, 4242, 1000);
	unfake_pid(4242);
	pi = fake_get(pc, 4242, 1000);
	ok(pi == first && pi->from_proc && pi->ppid == 77 &&
		   !strcmp(pi->args, "fake --opt") &&
		   !strcmp(pi->exe, "/usr/bin/fake-exe"),
	   "second get is served from the cache");

	for (pid = 1000; pid < 1100; pid++)
		all &= !fake_pid(pid, 1, pid, "many", FAKE_CMDLINE,
				 sizeof(FAKE_CMDLINE) - 1);
	ok(all, "100 fake processes");
	for (pid = 1000; pid < 1100; pid++) {
		pi = fake_get(pc, pid, pid);
		all &= pi && pi->from_proc;
	}
	ok(all, "all 100 read");
	for (pid = 1000; pid < 1100; pid++)
		unfake_pid(pid);
	/* Touched from the newest, so the newest becomes the least recent. */
	for (pid = 1099; pid >= 1096; pid--) {
		pi = fake_get(pc, pid, pid);
		all &= pi && pi->from_proc;
	}
	ok(all, "the last 4 are still cached");
	pi = fake_get(pc, 1095, 1095);
	ok(pi && !pi->from_proc, "the fifth most recent was evicted");
	pi = fake_get(pc, 1096, 1096);
	ok(pi && pi->from_proc, "a recently used entry stays");
	pi = fake_get(pc, 1099, 1099);
	ok(pi && !pi->from_proc, "the least recently used one went");
	pi = fake_get(pc, 1000, 1000);
	ok(pi && !pi->from_proc, "the first one went long ago");
	pi = fake_get(pc, 4242, 1000);
	ok(pi && !pi->from_proc, "and so did the very first");
	proc_cache_free(pc);

	/* The caller may pass back what it got last time, evicted or not. */
	pc = proc_cache_new(1);
	proc_cache_set_root(pc, fake_root);
	pi = proc_cache_get(pc, 1, 1, comm16("first"), 0);
	pi = proc_cache_get(pc, 2, 2, pi->comm, 0);
	ok(pi && !strcmp(pi->comm, "first") && pi->pid == 2,
	   "comm from the evicted entry passed back in");
	proc_cache_free(pc);
}

struct thread_arg {
	pthread_barrier_t barrier;
	pid_t tid;
};

static void *thread_main(void *p)
{
	struct thread_arg *ta = p;

	ta->tid = gettid();
	pthread_barrier_wait(&ta->barrier);
	/* Until the main thread has looked at us. */
	pthread_barrier_wait(&ta->barrier);
	return NULL;
}

static void test_threads(void)
{
	struct proc_cache *pc = proc_cache_new(8);
	struct thread_arg ta;
	pthread_t t;
	char main_comm[64] = "";
	uint64_t ticks = 0;
	uint32_t pid = (uint32_t)getpid();
	uint64_t start_ns = start_ns_of(getpid());

	pthread_barrier_init(&ta.barrier, NULL, 2);
	if (pthread_create(&t, NULL, thread_main, &ta)) {
		ok(0, "thread started");
		return;
	}
	pthread_barrier_wait(&ta.barrier);
	ok(!pthread_setname_np(t, "worker one"), "thread named");
	is_str(proc_thread_name(pc, pid, (uint32_t)ta.tid), "worker one",
	       "thread name");
	stat_of(getpid(), &ticks, NULL, main_comm, sizeof(main_comm));
	is_str(proc_thread_name(pc, pid, pid), main_comm, "main thread's name");
	pthread_setname_np(t, "worker two");
	is_str(proc_thread_name(pc, pid, (uint32_t)ta.tid), "worker one",
	       "thread name cached");
	is_str(proc_thread_name(pc, pid, 0x3fffffff), "", "no such thread");

	proc_cache_get(pc, pid, start_ns + ns_per_tick, comm16("x"), 0);
	is_str(proc_thread_name(pc, pid, (uint32_t)ta.tid), "",
	       "no names for another process with this pid");
	proc_cache_get(pc, pid, start_ns, comm16("x"), 0);
	is_str(proc_thread_name(pc, pid, (uint32_t)ta.tid), "worker two",
	       "names for the process of the last get");

	pthread_barrier_wait(&ta.barrier);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&ta.barrier);
	proc_cache_free(pc);
}

int main(int argc, char **argv)
{
	long hz = sysconf(_SC_CLK_TCK);

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return child_main();
	setvbuf(stdout, NULL, _IOLBF, 0);
	ns_per_tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
	/* As the kernel has it: symlinks resolved. */
	if (!realpath(argv[0], self_exe)) {
		printf("Bail out! cannot find the test binary\n");
		return 1;
	}
	snprintf(fake_root, sizeof(fake_root), "/tmp/netrec-test-proc.XXXXXX");
	if (!mkdtemp(fake_root)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_self(argc == 1 ? argv[0] : "");
	test_hostile_child();
	test_vanished();
	test_fake_reuse();
	test_escaping();
	test_cache();
	test_threads();
	if (rmdir(fake_root))
		printf("# could not remove %s\n", fake_root);
	return tap_done();
}
