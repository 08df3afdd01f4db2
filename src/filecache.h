/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_FILECACHE_H
#define NR_FILECACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "format.h"

/*
 * The output directory and the capture files in it, written as chunks (see
 * filecache.c).  At most max_open files are open at once: the least
 * recently written is closed and re-opened for appending when its next
 * packet comes.
 */
struct filecache;
struct outfile;

/* When a chunk is finished and a new one begun; 0 means never. */
struct chunk_policy {
	uint64_t max_bytes; /* -C */
	uint64_t period_ns; /* -G, aligned to the wall clock */
	unsigned int ring;  /* -W: finished chunks kept per file */
	uint64_t idle_ns;   /* --idle-close */
	uid_t trusted_uid;  /* -Z's user may own the directory; -1 if none */
};

/*
 * Opens (makes) the directory and finishes chunks a crashed run left
 * there.  @spec and @policy are copied; what @spec points to must outlive
 * the cache.
 */
int filecache_open(struct filecache **out, const char *dir,
		   unsigned int max_open, const struct format_spec *spec,
		   const struct chunk_policy *policy);
/*
 * The file for @base (a sanitised name stem) in the subdirectory @sub
 * (sanitised too; NULL for none).  NULL on error, which is logged.
 */
struct outfile *filecache_file(struct filecache *fc, const char *sub,
			       const char *base);
/* Where a packet was written: the hooks' chunk handle and file offset. */
struct chunk_pos {
	void *chunk;
	uint64_t offset;
};

/* @now_mono: CLOCK_MONOTONIC, for --idle-close. */
int filecache_write(struct filecache *fc, struct outfile *f,
		    const struct pcapng_packet *pkt, uint64_t now_mono,
		    struct chunk_pos *pos);
/* Finish chunks whose period ended or that sat idle, packets or not. */
void filecache_tick(struct filecache *fc, uint64_t now_wall, uint64_t now_mono);
/* No chunk is being written for @f: it may be forgotten. */
bool filecache_file_idle(const struct outfile *f);
/*
 * Forget every file with no chunk being written, so that a long run does
 * not keep an entry for every process it ever saw.  The caller must hold
 * no pointer to such a file any more (see split_forget_idle()).
 */
void filecache_forget_idle(struct filecache *fc);
/* Finish every chunk: new packets start new ones (SIGHUP). */
void filecache_finish_all(struct filecache *fc);
/* Push buffered data of every open file to the kernel. */
void filecache_flush(struct filecache *fc);
/* Finish everything and free the cache. */
void filecache_close(struct filecache *fc);
/*
 * Packets that filecache_write() took but a later write error cut off
 * (they were in stdio's buffer), since the last call.
 */
uint64_t filecache_take_lost(struct filecache *fc);
/* How a chunk ended, for its index. */
struct chunk_end {
	const char *final; /* its name now; NULL: nothing of it was kept */
	char sha256[65];   /* of the file as renamed; "" if unknown */
	uint64_t packets, bytes, size;
	bool cut; /* a write error cut it back to its last whole packet */
};

/*
 * The index beside each chunk.  start() is called when a chunk is begun
 * and returns a handle for it; finish() once the chunk is on disk and
 * renamed, before the directory is fsync'ed, so that the index can be
 * renamed in the same step.
 */
struct chunk_hooks {
	void *(*start)(void *arg, const char *final, const char *key,
		       uint64_t ts_ns);
	void (*finish)(void *arg, void *chunk, const struct chunk_end *e);
};
void filecache_set_hooks(struct filecache *fc, const struct chunk_hooks *h,
			 void *arg);

/*
 * Called with each chunk's final path once it is finished, starting with
 * those a crashed run left and filecache_open() finished.
 */
typedef void (*filecache_done_fn)(void *arg, const char *relpath);
void filecache_on_done(struct filecache *fc, filecache_done_fn fn, void *arg);
/*
 * -Z: give the directory, its subdirectories and the chunks being written
 * to @uid, who will finish them.
 */
int filecache_chown(struct filecache *fc, uid_t uid, gid_t gid);
/* The output directory, for those who work on finished chunks. */
int filecache_dirfd(const struct filecache *fc);
/* Chunks finished so far. */
unsigned int filecache_count(const struct filecache *fc);

#endif
