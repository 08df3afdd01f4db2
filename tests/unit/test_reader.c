// SPDX-License-Identifier: GPL-2.0
/*
 * The reader's check of each staged entry: a whole, sane entry gives its
 * padded size; a torn one (as the stage gave before its release was
 * ordered) gives 0, so that no garbage reaches a file as a packet.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "reader.h"
#include "tap.h"

/* An entry at 4 bytes past an 8-byte boundary, as in a perf sample. */
static uint8_t area[4 + 2 * 65536] __attribute__((aligned(8)));
static uint8_t *const at = area + 4;

static struct nr_record good(uint32_t caplen)
{
	struct nr_record r = {
		.ts_ns = 123456789,
		.len = 1500,
		.caplen = caplen,
		.family = 4,
		.dir = NR_DIR_OUT,
	};

	return r;
}

static size_t check(struct nr_record r, size_t n)
{
	memcpy(at, &r, sizeof(r));
	return reader_entry_size(at, n);
}

int main(void)
{
	const size_t rec = sizeof(struct nr_record);
	struct nr_record r;

	ok(check(good(96), rec + 96) == NR_ENTRY_SIZE(96),
	   "a whole entry: its padded size (%zu)", (size_t)NR_ENTRY_SIZE(96));
	ok(check(good(0), rec) == rec, "no packet bytes: the record alone");
	ok(check(good(97), rec + 200) == NR_ENTRY_SIZE(97) &&
		   NR_ENTRY_SIZE(97) % 8 == 0,
	   "an odd caplen is padded to 8 bytes");
	r = good(96);
	r.family = 6;
	r.dir = NR_DIR_IN;
	ok(check(r, rec + 96) == NR_ENTRY_SIZE(96), "IPv6, inbound: whole");
	r = good(1500);
	ok(check(r, rec + 1500) == NR_ENTRY_SIZE(1500), "caplen == len: whole");
	r = good(NR_MAX_CAPLEN);
	r.len = 131018;
	ok(check(r, rec + NR_MAX_CAPLEN) == NR_ENTRY_SIZE(NR_MAX_CAPLEN),
	   "a super-packet cut at NR_MAX_CAPLEN: whole");

	ok(check(good(96), rec - 1) == 0, "shorter than a record: 0");
	ok(check(good(96), rec + 95) == 0, "packet bytes cut short: 0");
	r = good(1501);
	ok(check(r, rec + 2000) == 0, "caplen > len: 0");
	r = good(NR_MAX_CAPLEN + 8);
	r.len = 131018;
	ok(check(r, rec + NR_MAX_CAPLEN + 8) == 0, "caplen > NR_MAX_CAPLEN: 0");
	r = good(96);
	r.family = 0;
	ok(check(r, rec + 96) == 0, "family 0: 0");
	r.family = 5;
	ok(check(r, rec + 96) == 0, "family 5: 0");
	r = good(96);
	r.dir = 2;
	ok(check(r, rec + 96) == 0, "direction 2: 0");
	/* What a torn stage gave: a timestamp where the lengths belong. */
	memset(&r, 0xa5, sizeof(r));
	ok(check(r, rec + 4096) == 0, "bytes of another entry: 0");
	return tap_done();
}
