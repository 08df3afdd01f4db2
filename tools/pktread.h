/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_PKTREAD_H
#define NR_PKTREAD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Reading the records of a chunk from given byte offsets: pcap records
 * (16-byte header and frame) and pcapng Enhanced Packet Blocks, in a
 * plain chunk (pread) or a compressed one (src/zseek.h: only the frames
 * the offsets touch are decompressed).  Offsets are in the uncompressed
 * chunk, as the index gives them.  Reads go through one buffer, so
 * records next to each other cost one read.
 */
struct pkt_src;

struct pkt_rec {
	uint64_t offset; /* of the record (header or block) */
	int64_t ts;	 /* nanoseconds since the epoch */
	uint32_t caplen, len;
	const uint8_t *data; /* the frame, caplen bytes; valid until next */
};

/*
 * Opens @path and reads its file header (pcap) or the blocks before the
 * first packet (pcapng).  -EPROTONOSUPPORT when the link type is not
 * LINKTYPE_NULL; -EBADMSG when it is neither format.
 */
int pkt_src_open(struct pkt_src **out, const char *path, bool compressed);
void pkt_src_close(struct pkt_src *s);

/* Read records from @off on: the next pkt_src_next() starts there. */
void pkt_src_seek(struct pkt_src *s, uint64_t off);
/*
 * The next packet record: 1, 0 at the end of the file, -EBADMSG when the
 * record there is not one (a wrong offset, or a damaged file), other
 * -errno on read errors.  pcapng blocks other than packets are skipped.
 */
int pkt_src_next(struct pkt_src *s, struct pkt_rec *rec);

#endif
