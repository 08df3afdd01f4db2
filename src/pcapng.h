/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PCAPNG_H
#define NR_PCAPNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A pcapng file (draft-ietf-opsawg-pcapng) holding one section with one
 * interface, in host byte order, timestamps in nanoseconds.  libpcap only
 * reads pcapng, hence this writer.
 *
 * Options are at most PCAPNG_OPT_MAX bytes long, as their length field is
 * 16 bits: longer strings are cut there, or up to 3 bytes before so as not
 * to split a UTF-8 sequence.  Strings are otherwise written as given.
 *
 * Functions return 0 or a negative errno.  An I/O error sticks: every later
 * call returns it.  -EINVAL for a bad argument, or -ENOMEM, does not.
 */
#define PCAPNG_OPT_MAX 65535

struct pcapng;

/* Section Header Block options; NULL omits one. */
struct pcapng_section {
	const char *hardware; /* shb_hardware */
	const char *os;	      /* shb_os */
	const char *userappl; /* shb_userappl */
	const char *comment;  /* opt_comment */
};

/* The one Interface Description Block; if_tsresol is always 9. */
struct pcapng_iface {
	uint16_t linktype; /* LINKTYPE_* */
	uint32_t snaplen;  /* 0: no limit */
	const char *name;  /* if_name; NULL omits it */
};

/* epb_flags bits 0-1 */
enum pcapng_dir {
	PCAPNG_DIR_UNKNOWN = 0, /* epb_flags omitted */
	PCAPNG_DIR_IN = 1,
	PCAPNG_DIR_OUT = 2,
};

struct pcapng_packet {
	uint64_t ts_ns; /* since the epoch */
	const uint8_t *data;
	uint32_t caplen; /* bytes at @data; at most @len and the snaplen */
	uint32_t len;	 /* on the wire */
	enum pcapng_dir dir;
	/*
	 * epb_processid_threadid (option 8 in the draft): the pid, then
	 * the tid, 32 bits each.  Wireshark 4.0 reads past it unshown.
	 */
	bool has_pid;
	uint32_t pid, tid;
	bool has_drops;
	uint64_t drops; /* epb_dropcount: lost since the previous packet */
	/* opt_comment: any bytes, written as given; NULL or 0 omits it */
	const char *comment;
	size_t comment_len;
};

/* Interface Statistics Block, stamped @end_ns. */
struct pcapng_stats {
	uint64_t start_ns; /* isb_starttime */
	uint64_t end_ns;   /* isb_endtime */
	uint64_t ifrecv;   /* isb_ifrecv */
	uint64_t ifdrop;   /* isb_ifdrop */
};

/*
 * Create @relpath under @dirfd with its SHB and IDB, flushed so that even a
 * file with no packet is whole.  Never follows a symlink nor leaves @dirfd,
 * never replaces a file (-EEXIST), mode 0600.
 */
int pcapng_create(struct pcapng **out, int dirfd, const char *relpath,
		  const struct pcapng_section *shb,
		  const struct pcapng_iface *idb);
/*
 * Re-open a file made by pcapng_create() to append to it, reading it all
 * to check it.  A block a crash cut short at the end (an EPB or ISB no
 * longer than the snaplen allows) is cut off.  -EBADMSG for anything else
 * that is not a host byte order pcapng 1.0 file of one section of unknown
 * length starting with an IDB, leaving the file alone.
 */
int pcapng_reopen(struct pcapng **out, int dirfd, const char *relpath);
/*
 * pcapng_reopen() of the file open read-write on @fd, which is taken over
 * (closed on failure too); *@packets gets the number of packets kept.
 */
int pcapng_reopen_fd(struct pcapng **out, int fd, uint64_t *packets);
/*
 * Re-open a file this process made and closed cleanly, to append to it:
 * only its first block is checked, so it costs the same for any size (the
 * open-file LRU re-opens files all the time).  @snaplen as at creation.
 */
int pcapng_append(struct pcapng **out, int dirfd, const char *relpath,
		  uint32_t snaplen);
int pcapng_write(struct pcapng *png, const struct pcapng_packet *pkt);
int pcapng_write_stats(struct pcapng *png, const struct pcapng_stats *st);
int pcapng_flush(struct pcapng *png);
/* Flush and fsync: the data is on disk when it returns 0. */
int pcapng_sync(struct pcapng *png);
/* Flushes, closes and frees, whatever happens; returns the first error. */
int pcapng_close(struct pcapng *png);
/* Every block written from now on also goes into @d (NULL: none). */
struct digest;
void pcapng_set_digest(struct pcapng *png, struct digest *d);
/* Where the next block starts in the file. */
uint64_t pcapng_offset(const struct pcapng *png);

#endif
