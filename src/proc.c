// SPDX-License-Identifier: GPL-2.0
/*
 * Each /proc/PID directory is opened once and everything else is read
 * relative to that descriptor: it stays bound to the process it was
 * opened for, so once stat has shown the right starttime, cmdline and exe
 * either belong to that process too or fail, even if the pid is reused
 * meanwhile.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hashtab.h"
#include "proc.h"

/* Both tables use it; tid is 0 for processes.  No padding. */
struct key {
	uint32_t pid;
	uint32_t tid;
	uint64_t start_ns;
};

struct node {
	struct node *prev, *next; /* LRU list: most recent first */
	struct key key;
};

struct proc_entry {
	struct node n;
	/* Reading /proc failed for a reason that may pass: try again. */
	bool retry;
	struct proc_info info;
};

struct thread_entry {
	struct node n;
	char name[16];
};

struct table {
	struct hashtab *h;
	struct node head;
	size_t entry_size;
};

struct proc_cache {
	unsigned int max_entries;
	uint64_t ns_per_tick;
	char *root;
	struct table procs, threads;
	/* The last proc_cache_get(), to tie thread names to a process. */
	uint32_t last_pid;
	uint64_t last_start_ns;
	proc_exec_fn exec_fn;
	void *exec_arg;
};

static void lru_unlink(struct node *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
}

static void lru_push(struct table *t, struct node *n)
{
	n->next = t->head.next;
	n->prev = &t->head;
	t->head.next->prev = n;
	t->head.next = n;
}

static int table_init(struct table *t, size_t entry_size)
{
	t->h = hashtab_new(sizeof(struct key));
	t->head.prev = t->head.next = &t->head;
	t->entry_size = entry_size;
	return t->h ? 0 : -ENOMEM;
}

static void table_clear(struct table *t)
{
	struct node *n, *next;

	for (n = t->head.next; n != &t->head; n = next) {
		next = n->next;
		hashtab_del(t->h, &n->key);
		free(n);
	}
	t->head.prev = t->head.next = &t->head;
}

static struct node *table_get(struct table *t, const struct key *k)
{
	struct node *n = hashtab_get(t->h, k);

	if (n && t->head.next != n) {
		lru_unlink(n);
		lru_push(t, n);
	}
	return n;
}

/*
 * A zeroed entry for @k, made the most recent.  The least recent one is
 * recycled when the table is full: its pointer was only promised until
 * this call.
 */
static struct node *table_add(struct table *t, const struct key *k,
			      unsigned int max)
{
	struct node *n;

	if (hashtab_count(t->h) >= max) {
		n = t->head.prev;
		lru_unlink(n);
		hashtab_del(t->h, &n->key);
		memset(n, 0, t->entry_size);
	} else {
		n = calloc(1, t->entry_size);
		if (!n)
			return NULL;
	}
	n->key = *k;
	if (hashtab_put(t->h, &n->key, n)) {
		free(n);
		return NULL;
	}
	lru_push(t, n);
	return n;
}

static struct key make_key(uint32_t pid, uint32_t tid, uint64_t start_ns)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.pid = pid;
	k.tid = tid;
	k.start_ns = start_ns;
	return k;
}

struct proc_cache *proc_cache_new(unsigned int max_entries)
{
	struct proc_cache *pc = calloc(1, sizeof(*pc));
	long hz = sysconf(_SC_CLK_TCK);

	if (!pc)
		return NULL;
	/* One entry at least, so the one just returned is never evicted. */
	pc->max_entries = max_entries ? max_entries : 1;
	/* The kernel's USER_HZ is 100 everywhere; sysconf only confirms it. */
	pc->ns_per_tick = 1000000000ULL / (uint64_t)(hz > 0 ? hz : 100);
	pc->root = strdup("/proc");
	if (!pc->root || table_init(&pc->procs, sizeof(struct proc_entry)) ||
	    table_init(&pc->threads, sizeof(struct thread_entry))) {
		proc_cache_free(pc);
		return NULL;
	}
	return pc;
}

void proc_cache_free(struct proc_cache *pc)
{
	if (!pc)
		return;
	if (pc->procs.h) {
		table_clear(&pc->procs);
		hashtab_free(pc->procs.h);
	}
	if (pc->threads.h) {
		table_clear(&pc->threads);
		hashtab_free(pc->threads.h);
	}
	free(pc->root);
	free(pc);
}

void proc_cache_set_root(struct proc_cache *pc, const char *root)
{
	char *copy = strdup(root);

	if (!copy)
		return;
	free(pc->root);
	pc->root = copy;
	table_clear(&pc->procs);
	table_clear(&pc->threads);
}

/*
 * Up to @size - 1 bytes of @name, NUL-terminated.  Returns the length or
 * -errno.  Loops because /proc files may come in more than one read.
 */
static ssize_t read_file_at(int dirfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < size - 1) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return err ? err : (ssize_t)len;
}

static int parse_u64(const char **p, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

/*
 * Fields 1 (pid), 4 (ppid) and 22 (starttime) of a stat line.  comm
 * (field 2) may hold anything, ')' and spaces included, but nothing after
 * it can hold ')', so the last one ends it.
 */
static int parse_stat(const char *buf, uint64_t *pid, uint64_t *ppid,
		      uint64_t *starttime)
{
	const char *p = buf, *end = strrchr(buf, ')');
	int field;

	if (!end || parse_u64(&p, pid) || strncmp(p, " (", 2))
		return -EINVAL;
	p = end + 1;
	for (field = 3; field <= 22; field++) {
		if (*p++ != ' ' || !*p)
			return -EINVAL;
		if (field == 4 && parse_u64(&p, ppid))
			return -EINVAL;
		if (field == 22)
			return parse_u64(&p, starttime);
		p += strcspn(p, " ");
	}
	return -EINVAL;
}

/* Errors after which the process might still be read later. */
static bool transient(int err)
{
	return err == -EMFILE || err == -ENFILE || err == -ENOMEM ||
	       err == -EAGAIN || err == -EINTR;
}

/*
 * /proc/PID as a descriptor, checked to be the process started at
 * @start_ns.  -ESRCH when it is another one.
 */
static int open_pid_dir(struct proc_cache *pc, uint32_t pid, uint64_t start_ns,
			uint64_t *ppid)
{
	char path[4096], stat[4096];
	uint64_t spid, sppid = 0, starttime;
	ssize_t n;
	int dirfd;

	if ((size_t)snprintf(path, sizeof(path), "%s/%u", pc->root, pid) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	n = read_file_at(dirfd, "stat", stat, sizeof(stat));
	if (n < 0) {
		close(dirfd);
		return (int)n;
	}
	/*
	 * Both sides come from the same start_boottime, the kernel's rounded
	 * down to clock ticks, so they agree exactly or it is another process.
	 */
	if (parse_stat(stat, &spid, &sppid, &starttime) || spid != pid ||
	    starttime != start_ns / pc->ns_per_tick) {
		close(dirfd);
		return -ESRCH;
	}
	if (ppid)
		*ppid = sppid;
	return dirfd;
}

/* Length of the valid UTF-8 character at @s (0 if none), and its value. */
static size_t utf8_char(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0f;
		/* Overlong forms and UTF-16 surrogates are not UTF-8. */
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = (v << 6) | (s[i] & 0x3f);
	}
	*cp = v;
	return len;
}

/*
 * Characters that print as nothing or reorder what follows them: shown
 * raw, they could make one command line look like another.
 */
static bool unicode_control(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c ||
	       (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff ||
	       (cp >= 0xfff9 && cp <= 0xfffb);
}

static bool shell_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || (c && strchr("@%+=:,./_-", c));
}

/*
 * Output cut only at the end of a whole unit (character, escape, quote),
 * with room kept for "..." at the last such point.
 */
struct out {
	char *buf;
	size_t len, cut;
	bool full;
};

static void emit(struct out *o, const char *s, size_t n)
{
	if (o->full)
		return;
	if (o->len + n > PROC_ARGS_MAX - 1) {
		memcpy(o->buf + o->cut, "...", 3);
		o->len = o->cut + 3;
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	if (o->len + 3 <= PROC_ARGS_MAX - 1)
		o->cut = o->len;
}

enum quoting { Q_NONE, Q_SINGLE, Q_ANSI };

static enum quoting arg_quoting(const unsigned char *s, size_t n)
{
	enum quoting q = n ? Q_NONE : Q_SINGLE;
	size_t i, len;
	uint32_t cp;

	for (i = 0; i < n; i += len) {
		len = utf8_char(s + i, n - i, &cp);
		if (!len || cp < 0x20 || cp == 0x7f || cp == '\'' ||
		    unicode_control(cp))
			return Q_ANSI;
		if (len == 1 && !shell_safe(s[i]))
			q = Q_SINGLE;
	}
	return q;
}

static void emit_arg(struct out *o, const unsigned char *s, size_t n)
{
	enum quoting q = arg_quoting(s, n);
	char esc[12];
	size_t i, len;
	uint32_t cp;

	if (q == Q_SINGLE)
		emit(o, "'", 1);
	else if (q == Q_ANSI)
		emit(o, "$'", 2);
	for (i = 0; i < n && !o->full; i += len) {
		len = utf8_char(s + i, n - i, &cp);
		if (len &&
		    (q != Q_ANSI || (cp >= 0x20 && cp != 0x7f && cp != '\'' &&
				     cp != '\\' && !unicode_control(cp)))) {
			emit(o, (const char *)s + i, len);
			continue;
		}
		if (!len) {
			len = 1;
			snprintf(esc, sizeof(esc), "\\x%02x", s[i]);
		} else if (cp == '\n' || cp == '\t' || cp == '\r') {
			snprintf(esc, sizeof(esc), "\\%c",
				 cp == '\n'   ? 'n'
				 : cp == '\t' ? 't'
					      : 'r');
		} else if (cp == '\'' || cp == '\\') {
			snprintf(esc, sizeof(esc), "\\%c", (char)cp);
		} else if (cp < 0x80) {
			snprintf(esc, sizeof(esc), "\\x%02x", (unsigned int)cp);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned int)cp);
		}
		emit(o, esc, strlen(esc));
	}
	if (q != Q_NONE)
		emit(o, "'", 1);
}

/*
 * Every raw byte but the final NUL yields at least one output character,
 * so this many bytes always overflow the output: no need to read more.
 */
#define CMDLINE_READ (PROC_ARGS_MAX + 8)

static void format_args(char *dst, const char *raw, size_t n)
{
	struct out o = { .buf = dst };
	const unsigned char *s = (const unsigned char *)raw, *nul;
	size_t i, back, len;
	uint32_t cp;

	/*
	 * A read that filled the buffer may have split the last character;
	 * drop its head so that it is not shown as invalid bytes.
	 */
	if (n == CMDLINE_READ - 1) {
		for (back = 1; back <= 3 && back <= n; back++) {
			if ((s[n - back] & 0xc0) == 0x80)
				continue;
			if (s[n - back] >= 0xc0 &&
			    !utf8_char(s + n - back, back, &cp))
				n -= back;
			break;
		}
	}
	/* The terminating NUL of the last argument is not a separator. */
	if (n && !s[n - 1])
		n--;
	for (i = 0; i <= n && n && !o.full;) {
		nul = memchr(s + i, '\0', n - i);
		len = nul ? (size_t)(nul - (s + i)) : n - i;

		if (i)
			emit(&o, " ", 1);
		emit_arg(&o, s + i, len);
		i += len + 1;
	}
	dst[o.len] = '\0';
}

void proc_cache_set_exec_source(struct proc_cache *pc, proc_exec_fn fn,
				void *arg)
{
	pc->exec_fn = fn;
	pc->exec_arg = arg;
}

/* The process is gone from /proc: its last exec may still name it. */
static void fill_from_exec(struct proc_cache *pc, struct proc_info *info)
{
	char raw[CMDLINE_READ];
	int n;

	if (!pc->exec_fn)
		return;
	n = pc->exec_fn(pc->exec_arg, info->pid, info->start_ns, &info->ppid,
			info->exe, sizeof(info->exe), raw, sizeof(raw) - 1);
	if (n < 0) {
		info->exe[0] = '\0';
		return;
	}
	format_args(info->args, raw, n);
}

static void fill_from_proc(struct proc_cache *pc, struct proc_entry *e)
{
	struct proc_info *info = &e->info;
	char raw[CMDLINE_READ];
	uint64_t ppid = 0;
	ssize_t n;
	int dirfd;

	dirfd = open_pid_dir(pc, info->pid, info->start_ns, &ppid);
	if (dirfd < 0) {
		e->retry = transient(dirfd);
		if (!e->retry)
			fill_from_exec(pc, info);
		return;
	}
	info->ppid = (uint32_t)ppid;
	n = readlinkat(dirfd, "exe", info->exe, sizeof(info->exe));
	/* Kernel threads and zombies have none; a cut path is no path. */
	if (n < 0 || (size_t)n >= sizeof(info->exe))
		n = 0;
	info->exe[n] = '\0';
	n = read_file_at(dirfd, "cmdline", raw, sizeof(raw));
	format_args(info->args, raw, n > 0 ? (size_t)n : 0);
	close(dirfd);
	info->from_proc = true;
	e->retry = false;
	/* Caught exiting (a zombie has no exe, no cmdline): ask the exec
	 * record. */
	if (!info->exe[0] && !info->args[0]) {
		uint32_t ppid = info->ppid;

		fill_from_exec(pc, info);
		info->ppid = ppid;
	}
}

const struct proc_info *proc_cache_get(struct proc_cache *pc, uint32_t pid,
				       uint64_t start_ns, const char comm[16],
				       uint32_t uid)
{
	struct key k = make_key(pid, 0, start_ns);
	struct proc_entry *e;
	char kcomm[17];

	pc->last_pid = pid;
	pc->last_start_ns = start_ns;
	e = (struct proc_entry *)table_get(&pc->procs, &k);
	if (e && !e->retry)
		return &e->info;
	if (e) {
		fill_from_proc(pc, e);
		return &e->info;
	}
	/* Copied first: it may be the entry the next line recycles. */
	memset(kcomm, 0, sizeof(kcomm));
	memcpy(kcomm, comm, strnlen(comm, 16));
	e = (struct proc_entry *)table_add(&pc->procs, &k, pc->max_entries);
	if (!e)
		return NULL;
	e->info.pid = pid;
	e->info.uid = uid;
	e->info.start_ns = start_ns;
	memcpy(e->info.comm, kcomm, sizeof(kcomm));
	fill_from_proc(pc, e);
	return &e->info;
}

static void read_thread_name(struct proc_cache *pc, struct thread_entry *e)
{
	char path[4096], buf[64];
	ssize_t n;
	int dirfd;

	if (e->n.key.start_ns) {
		dirfd = open_pid_dir(pc, e->n.key.pid, e->n.key.start_ns, NULL);
	} else {
		if ((size_t)snprintf(path, sizeof(path), "%s/%u", pc->root,
				     e->n.key.pid) >= sizeof(path))
			return;
		dirfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	if (dirfd < 0)
		return;
	snprintf(path, sizeof(path), "task/%u/comm", e->n.key.tid);
	n = read_file_at(dirfd, path, buf, sizeof(buf));
	close(dirfd);
	if (n <= 0)
		return;
	/* Only the kernel's own newline: a name may hold one too. */
	if (buf[n - 1] == '\n')
		n--;
	if ((size_t)n >= sizeof(e->name))
		n = sizeof(e->name) - 1;
	memcpy(e->name, buf, (size_t)n);
	e->name[n] = '\0';
}

const char *proc_thread_name(struct proc_cache *pc, uint32_t pid, uint32_t tid)
{
	struct key k =
		make_key(pid, tid, pc->last_pid == pid ? pc->last_start_ns : 0);
	struct thread_entry *e;

	e = (struct thread_entry *)table_get(&pc->threads, &k);
	if (e)
		return e->name;
	e = (struct thread_entry *)table_add(&pc->threads, &k, pc->max_entries);
	if (!e)
		return "";
	read_thread_name(pc, e);
	return e->name;
}
