// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <pcap/dlt.h>

#include "digest.h"
#include "format.h"
#include "pcapfile.h"
#include "safeopen.h"

struct format_file {
	enum out_format format;
	union {
		struct pcapfile *pcap;
		struct pcapng *png;
	};
};

static int open_file(struct format_file **out, const struct format_spec *spec,
		     int dirfd, const char *relpath, int append)
{
	struct pcapng_iface idb = {
		.linktype = DLT_NULL,
		.snaplen = spec->snaplen,
	};
	struct format_file *ff = calloc(1, sizeof(*ff));
	int err;

	if (!ff)
		return -ENOMEM;
	ff->format = spec->format;
	if (spec->format == FORMAT_PCAPNG)
		err = append ? pcapng_append(&ff->png, dirfd, relpath,
					     spec->snaplen)
			     : pcapng_create(&ff->png, dirfd, relpath,
					     spec->shb, &idb);
	else
		err = append ? pcapfile_reopen(&ff->pcap, dirfd, relpath,
					       spec->snaplen)
			     : pcapfile_create(&ff->pcap, dirfd, relpath,
					       spec->snaplen);
	if (err) {
		free(ff);
		return err;
	}
	*out = ff;
	return 0;
}

static uint64_t offset(const struct format_file *ff)
{
	if (ff->format == FORMAT_PCAPNG)
		return pcapng_offset(ff->png);
	return pcapfile_offset(ff->pcap);
}

static void set_digest(struct format_file *ff, struct digest *d)
{
	if (ff->format == FORMAT_PCAPNG)
		pcapng_set_digest(ff->png, d);
	else
		pcapfile_set_digest(ff->pcap, d);
}

/*
 * The headers were written by libpcap or at creation: hash them as they
 * are on disk (they were flushed there), a few hundred bytes at most.
 */
static int digest_headers(int dirfd, const char *relpath, uint64_t len,
			  struct digest *d)
{
	uint8_t buf[4096];
	int fd, err = 0;
	ssize_t n;

	if (len > sizeof(buf))
		return -EFBIG;
	fd = open_beneath(dirfd, relpath, O_RDONLY, 0);
	if (fd < 0)
		return fd;
	n = pread(fd, buf, len, 0);
	if (n != (ssize_t)len)
		err = n < 0 ? -errno : -EIO;
	else
		digest_update(d, buf, len);
	close(fd);
	return err;
}

int format_create(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath, struct digest *d)
{
	int err = open_file(out, spec, dirfd, relpath, 0);

	if (err || !d)
		return err;
	err = digest_headers(dirfd, relpath, offset(*out), d);
	if (err) {
		format_close(*out, NULL, false);
		unlinkat(dirfd, relpath, 0);
		return err;
	}
	set_digest(*out, d);
	return 0;
}

int format_append(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath, struct digest *d)
{
	int err = open_file(out, spec, dirfd, relpath, 1);

	if (!err)
		set_digest(*out, d);
	return err;
}

int format_write(struct format_file *ff, const struct pcapng_packet *pkt,
		 uint64_t *pos)
{
	struct timespec ts;

	*pos = offset(ff);
	if (ff->format == FORMAT_PCAPNG)
		return pcapng_write(ff->png, pkt);
	ts.tv_sec = pkt->ts_ns / 1000000000ULL;
	ts.tv_nsec = pkt->ts_ns % 1000000000ULL;
	return pcapfile_write(ff->pcap, &ts, pkt->data, pkt->caplen, pkt->len);
}

int format_flush(struct format_file *ff)
{
	if (ff->format == FORMAT_PCAPNG)
		return pcapng_flush(ff->png);
	return pcapfile_flush(ff->pcap);
}

int format_close(struct format_file *ff, const struct pcapng_stats *st,
		 bool sync)
{
	int err = 0, e;

	if (ff->format == FORMAT_PCAPNG) {
		if (st)
			err = pcapng_write_stats(ff->png, st);
		if (!err && sync)
			err = pcapng_sync(ff->png);
		e = pcapng_close(ff->png);
	} else {
		if (sync)
			err = pcapfile_sync(ff->pcap);
		e = pcapfile_close(ff->pcap);
	}
	free(ff);
	return err ? err : e;
}

const char *format_ext(enum out_format format)
{
	return format == FORMAT_PCAPNG ? ".pcapng" : ".pcap";
}
