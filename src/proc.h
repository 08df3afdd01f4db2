/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PROC_H
#define NR_PROC_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Process context for packets, read from /proc once per process and kept
 * in a bounded LRU cache.  A pid can be reused, so a process is identified
 * by (pid, start_ns), where start_ns is the group leader's start_boottime
 * in nanoseconds as the kernel reports it: /proc data is used only when
 * the starttime in /proc/PID/stat is that same instant, so a reused pid
 * never gets an earlier (or later) process's data.
 *
 * Single-threaded: meant for the writer thread alone.
 */

#define PROC_ARGS_MAX 1024

struct proc_info {
	uint32_t pid, ppid, uid;
	uint64_t start_ns;
	/* From the kernel record, NUL-terminated. */
	char comm[17];
	/*
	 * readlink /proc/PID/exe; "" if unknown (kernel thread, gone, or
	 * permission).
	 */
	char exe[4096];
	/*
	 * /proc/PID/cmdline: the arguments joined by single spaces.  An
	 * argument with characters other than [A-Za-z0-9@%+=:,./_-] and
	 * printable UTF-8 is quoted as the shell would read it: '...' when
	 * it has only printable characters and no single quote, else
	 * bash's $'...' with \\, \', \n, \t, \r, \xHH (control bytes, bytes
	 * that are not UTF-8) and \uHHHH (invisible or bidirectional
	 * Unicode controls).  An empty argument is ''.  When the result is
	 * longer than PROC_ARGS_MAX - 1 it is cut between characters or
	 * escapes and ends with "..." (no closing quote).
	 */
	char args[PROC_ARGS_MAX];
	/*
	 * false: the process was gone (or its pid reused) before it could be
	 * read; only pid/comm/uid/start_ns are set, from the kernel.
	 */
	bool from_proc;
};

struct proc_cache;

/* Holds at most @max_entries processes (and as many thread names). */
struct proc_cache *proc_cache_new(unsigned int max_entries);
void proc_cache_free(struct proc_cache *pc);

/*
 * The process (@pid, @start_ns); @comm (16 bytes, NUL-terminated or not)
 * and @uid are the kernel's and are what is returned for them.  Reads
 * /proc only the first time a (pid, start_ns) is seen; later calls are
 * one hash lookup, unless the read failed for want of file descriptors or
 * memory, when it is tried again.  NULL only when out of memory.
 *
 * The result is valid until the next proc_cache_get(),
 * proc_cache_set_root() or proc_cache_free() on @pc (it may be evicted
 * then); @comm may point into it.
 */
const struct proc_info *proc_cache_get(struct proc_cache *pc, uint32_t pid,
				       uint64_t start_ns, const char comm[16],
				       uint32_t uid);

/*
 * The name of thread @tid of process @pid (/proc/PID/task/TID/comm),
 * cached per (pid, tid) with the same bound; "" if unknown.  When the
 * last proc_cache_get() was for @pid, the name is cached for that
 * process only and read only if /proc/PID is still that process, so a
 * reused pid does not inherit thread names either.
 *
 * The result is valid until the next proc_thread_name(),
 * proc_cache_set_root() or proc_cache_free() on @pc.
 */
const char *proc_thread_name(struct proc_cache *pc, uint32_t pid, uint32_t tid);

/*
 * Let the root of the proc filesystem be another directory (tests).
 * Default "/proc".  Drops everything cached.
 */
void proc_cache_set_root(struct proc_cache *pc, const char *root);

/*
 * Where to look when /proc no longer has the process: the kernel's record
 * of its last exec.  The callback fills @ppid, @exe (NUL-terminated) and
 * @args (NUL-separated, as /proc/PID/cmdline) for the process (@pid,
 * @start_ns) and returns the length of @args, or -1 if it knows nothing
 * of it.
 */
typedef int (*proc_exec_fn)(void *arg, uint32_t pid, uint64_t start_ns,
			    uint32_t *ppid, char *exe, size_t exe_size,
			    char *args, size_t args_size);
void proc_cache_set_exec_source(struct proc_cache *pc, proc_exec_fn fn,
				void *arg);

#endif
