// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <pcap/dlt.h>

#include "format.h"
#include "pcapfile.h"

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

int format_create(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath)
{
	return open_file(out, spec, dirfd, relpath, 0);
}

int format_append(struct format_file **out, const struct format_spec *spec,
		  int dirfd, const char *relpath)
{
	return open_file(out, spec, dirfd, relpath, 1);
}

int format_write(struct format_file *ff, const struct pcapng_packet *pkt)
{
	struct timespec ts;

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
