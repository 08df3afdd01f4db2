/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_RECOVER_H
#define NR_RECOVER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Finish the chunks a crashed run left in @dirfd and its immediate
 * subdirectories: every regular file named *.pcap.part or *.pcapng.part is
 * cut back to its last whole record (pcap) or block (pcapng), fsync'ed and
 * renamed to its name without ".part" — or, if that name is taken, to the
 * first free "<stem>.N.<ext>" (N = 1, 2, ...), never replacing a file.  A
 * file that is not a valid capture at all (bad header) is left alone and
 * reported.  Never follows symlinks (skip them), never leaves @dirfd.
 * Logs what it did (pr_info / pr_warn from src/log.h).  @finished, if
 * not NULL, is called with each finished chunk's new relative path.  Returns
 * the number of chunks finished, or a negative errno.
 *
 * A chunk that cannot be finished (not a capture, an I/O error) is logged
 * and left as it is, and the others are still done: only failing to list
 * @dirfd itself or to allocate makes the result negative.  No other
 * process may be writing to the directory meanwhile.
 */
int recover_dir(int dirfd, void (*finished)(void *arg, const char *relpath),
		void *arg);

/*
 * The same for one file; @relpath is under @dirfd; @final receives the
 * relative path it was renamed to, or "" when the file was empty (made just
 * before a crash, before its header reached the disk) and was removed.
 *
 * Returns 0, -EBADMSG for a file that is not a capture (left alone), -ELOOP
 * for a symlink, -EINVAL for a name not ending in .pcap.part or
 * .pcapng.part or a file that is not a regular one, -ENAMETOOLONG if the
 * new path does not fit @final_len (nothing renamed), -EEXIST if no free
 * name was found, or another negative errno.
 */
int recover_file(int dirfd, const char *relpath, char *final, size_t final_len);
/* recover_file(), also giving the number of whole packets kept. */
int recover_chunk(int dirfd, const char *relpath, char *final, size_t final_len,
		  uint64_t *packets);

#endif
