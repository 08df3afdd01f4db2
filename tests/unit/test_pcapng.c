// SPDX-License-Identifier: GPL-2.0
/*
 * The pcapng writer, checked twice: by Wireshark's own tools (tshark and
 * capinfos, which is what users will open the files with) and by a strict
 * parser here, for what those tools cannot show (exact option bytes, the
 * pid/tid option Wireshark 4.0 skips, ISB values, padding).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "pcapng.h"
#include "tap.h"
#include "testutil.h"

#define LINKTYPE_NULL 0
#define SNAPLEN 262144 /* above 65535: must survive as 32 bits */
#define BSD_AF_INET6 24
#define MAX_FRAME (4 + 9000)

#define BT_SHB 0x0A0D0D0A
#define BT_IDB 1
#define BT_ISB 5
#define BT_EPB 6

static char top[64], dir[128];
static int dfd;

/* ---- expected packets ------------------------------------------------ */

struct tpkt {
	int family; /* 4 or 6 */
	uint64_t ts_ns;
	uint32_t iplen;	 /* IP packet on the wire */
	uint32_t caplen; /* frame bytes kept, link header included */
	enum pcapng_dir dir;
	bool has_pid;
	uint32_t pid, tid;
	bool has_drops;
	uint64_t drops;
	const char *comment;
	size_t comment_len;
	const char *time_epoch; /* as tshark prints it */
};

static const char hostile[] = "\x01\x02\x1b[31m\r\n\t\"'<>;$(rm -rf /)`id`\\"
			      "\0after-nul\x7f";
static char long_comment[70000];

#define S(s) s, sizeof(s) - 1
static struct tpkt pkts[] = {
	{ 4, 1700000000123456789ULL, 61, 4 + 61, PCAPNG_DIR_IN, false, 0, 0,
	  false, 0, S("line one\nline two\n"), "1700000000.123456789" },
	{ 6, 1700000000123456790ULL, 80, 4 + 80, PCAPNG_DIR_OUT, true, 1234,
	  5678, false, 0,
	  S("caf\xc3\xa9 \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80"),
	  "1700000000.123456790" },
	{ 4, 1700000001000000000ULL, 1500, 4 + 101, PCAPNG_DIR_UNKNOWN, false,
	  0, 0, true, 3, S("\xff\xfe\xc3(\x80 not utf-8 \xed\xa0\x80"),
	  "1700000001.000000000" },
	{ 6, 1ULL, 9000, 4 + 42, PCAPNG_DIR_IN, true, 0, 0, true, 0, S(hostile),
	  "0.000000001" },
	{ 4, 4102444800000000007ULL, 20, 4 + 20, PCAPNG_DIR_OUT, false, 0, 0,
	  true, 1ULL << 40, long_comment, sizeof(long_comment),
	  "4102444800.000000007" },
	{ 6, 1999999999ULL, 40, 4, PCAPNG_DIR_UNKNOWN, false, 0, 0, false, 0,
	  NULL, 0, "1.999999999" },
	{ 6, 1700000002000000001ULL, 1280, 4 + 1280, PCAPNG_DIR_IN, true,
	  UINT32_MAX, UINT32_MAX, false, 0, NULL, 0, "1700000002.000000001" },
};
#define NPKTS (sizeof(pkts) / sizeof(pkts[0]))

static const struct pcapng_section shb = {
	.hardware = "x86_64 test rig",
	.os = "Linux 6.1 (t\xc3\xa9st)",
	.userappl = "netrec test",
	.comment = "section comment \xe2\x80\x94 \xc3\xbcn\xc3\xaf"
		   "code",
};

static const struct pcapng_stats stats = {
	.start_ns = 1700000000000000001ULL,
	.end_ns = 1700000005999999999ULL,
	.ifrecv = 123456789012ULL,
	.ifdrop = 42,
};

static void put16be(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

/* A LINKTYPE_NULL frame of @t whole, @t->caplen of which is captured. */
static uint32_t build_frame(const struct tpkt *t, size_t idx, uint8_t *buf)
{
	uint32_t af = t->family == 6 ? BSD_AF_INET6 : 2, len = 4 + t->iplen;
	uint8_t *ip = buf + 4;

	memcpy(buf, &af, 4);
	for (uint32_t i = 4; i < len; i++)
		buf[i] = (uint8_t)(idx * 31 + i * 7);
	if (t->family == 4) {
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16be(ip + 2, t->iplen);
		ip[8] = 64;
		ip[9] = 17;
		memcpy(ip + 12, "\xc0\x00\x02\x01", 4); /* 192.0.2.1 */
		memcpy(ip + 16, "\xc6\x33\x64", 3);	/* 198.51.100.x */
		ip[19] = idx;
	} else {
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16be(ip + 4, t->iplen - 40);
		ip[6] = 17;
		ip[7] = 64;
		ip[8] = 0x20;
		ip[9] = 0x01;
		ip[10] = 0x0d;
		ip[11] = 0xb8;
		ip[23] = 1;
		memcpy(ip + 24, ip + 8, 15);
		ip[39] = idx;
	}
	return len;
}

static int write_pkt(struct pcapng *png, const struct tpkt *t, size_t idx)
{
	static uint8_t buf[MAX_FRAME];
	struct pcapng_packet p = {
		.ts_ns = t->ts_ns,
		.data = buf,
		.caplen = t->caplen,
		.len = build_frame(t, idx, buf),
		.dir = t->dir,
		.has_pid = t->has_pid,
		.pid = t->pid,
		.tid = t->tid,
		.has_drops = t->has_drops,
		.drops = t->drops,
		.comment = t->comment,
		.comment_len = t->comment_len,
	};

	return pcapng_write(png, &p);
}

/* The comment bytes the file should hold: options stop at 65535 bytes. */
static size_t want_comment_len(const struct tpkt *t)
{
	return t->comment_len > PCAPNG_OPT_MAX ? PCAPNG_OPT_MAX
					       : t->comment_len;
}

/* ---- helpers --------------------------------------------------------- */

static char *path_in(const char *name)
{
	static char p[8][256];
	static int k;

	k = (k + 1) % 8;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static bool spew(const char *path, const void *buf, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool good;

	if (fd < 0)
		return false;
	good = write(fd, buf, len) == (ssize_t)len;
	return !close(fd) && good;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

/* stdout of a shell command, stderr dropped; *status is its exit code. */
static char *run(int *status, const char *fmt, ...)
{
	char cmd[1024];
	size_t len = 0, cap = 4096;
	char *out = malloc(cap);
	va_list ap;
	FILE *p;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd) - 16, fmt, ap);
	va_end(ap);
	strcat(cmd, " 2>/dev/null");
	*status = -1;
	p = popen(cmd, "r");
	if (!p || !out) {
		if (p)
			pclose(p);
		free(out);
		return NULL;
	}
	for (;;) {
		size_t r;

		if (cap - len < 4096) {
			char *n = realloc(out, cap *= 2);

			if (!n)
				break;
			out = n;
		}
		r = fread(out + len, 1, cap - len - 1, p);
		if (!r)
			break;
		len += r;
	}
	out[len] = '\0';
	st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

/* Split @s in place at @sep into at most @max fields; returns the count. */
static int split(char *s, char sep, char **f, int max)
{
	int n = 0;

	while (n < max) {
		char *e = strchr(s, sep);

		f[n++] = s;
		if (!e)
			break;
		*e = '\0';
		s = e + 1;
	}
	return n;
}

/* Column @name of capinfos -M -T output, or NULL. */
static char *capinfos_col(const char *out, const char *name)
{
	static char val[256];
	char *copy = strdup(out), *lines[3], *hdr[64], *row[64];
	int nl, nh, nr;

	val[0] = '\0';
	if (!copy)
		return NULL;
	nl = split(copy, '\n', lines, 3);
	if (nl < 2) {
		free(copy);
		return NULL;
	}
	nh = split(lines[0], '\t', hdr, 64);
	nr = split(lines[1], '\t', row, 64);
	for (int i = 0; i < nh && i < nr; i++)
		if (!strcmp(hdr[i], name)) {
			snprintf(val, sizeof(val), "%s", row[i]);
			free(copy);
			return val;
		}
	free(copy);
	return NULL;
}

/* What tshark 4.0 -T fields prints for a string: up to a NUL, escaped. */
static char *tshark_escape(const char *s, size_t len)
{
	char *out = malloc(2 * len + 1), *o = out;

	for (size_t i = 0; out && i < len && s[i]; i++) {
		switch (s[i]) {
		case '\n':
			*o++ = '\\', *o++ = 'n';
			break;
		case '\r':
			*o++ = '\\', *o++ = 'r';
			break;
		case '\t':
			*o++ = '\\', *o++ = 't';
			break;
		default:
			*o++ = s[i];
		}
	}
	if (out)
		*o = '\0';
	return out;
}

/* ---- a strict pcapng parser ------------------------------------------ */

struct pblk {
	uint32_t type, len;
	const uint8_t *p; /* the block's first byte */
	size_t off;	  /* in the file */
};

struct popt {
	uint16_t code, len;
	const uint8_t *val;
};

struct pfile {
	uint8_t *raw;
	size_t size;
	struct pblk b[512];
	size_t n;
	char why[128];
};

static uint16_t g16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t g32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t g64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint64_t gts(const uint8_t *p)
{
	return (uint64_t)g32(p) << 32 | g32(p + 4);
}

/* Every block whole, lengths agreeing, nothing after the last one. */
static bool parse_file(const char *path, struct pfile *pf)
{
	size_t off = 0;

	memset(pf, 0, sizeof(*pf));
	pf->raw = tu_slurp(path, &pf->size);
	if (!pf->raw) {
		snprintf(pf->why, sizeof(pf->why), "cannot read");
		return false;
	}
	while (off < pf->size) {
		struct pblk *b = &pf->b[pf->n];

		if (pf->n == 512 || pf->size - off < 12) {
			snprintf(pf->why, sizeof(pf->why), "short at %zu", off);
			return false;
		}
		b->p = pf->raw + off;
		b->off = off;
		b->type = g32(b->p);
		b->len = g32(b->p + 4);
		if (b->len < 12 || b->len % 4 || b->len > pf->size - off ||
		    g32(b->p + b->len - 4) != b->len) {
			snprintf(pf->why, sizeof(pf->why), "bad block at %zu",
				 off);
			return false;
		}
		off += b->len;
		pf->n++;
	}
	return true;
}

static void pfile_free(struct pfile *pf)
{
	free(pf->raw);
	pf->raw = NULL;
}

/*
 * Options of @b from @off: values padded with zeros to 32 bits, ending
 * with opt_endofopt right before the trailer, or none at all.  Returns
 * their count, -1 if malformed.
 */
static int parse_opts(const struct pblk *b, size_t off, struct popt *o, int max)
{
	size_t end = b->len - 4;
	int n = 0;

	if (off == end)
		return 0;
	while (off + 4 <= end) {
		uint16_t code = g16(b->p + off), len = g16(b->p + off + 2);
		size_t padded = (len + 3u) & ~3u;

		off += 4;
		if (off + padded > end)
			return -1;
		for (size_t i = len; i < padded; i++)
			if (b->p[off + i])
				return -1;
		if (code == 0)
			return len == 0 && off == end ? n : -1;
		if (n == max)
			return -1;
		o[n++] = (struct popt){ code, len, b->p + off };
		off += padded;
	}
	return -1;
}

static const struct popt *find_opt(const struct popt *o, int n, uint16_t code)
{
	for (int i = 0; i < n; i++)
		if (o[i].code == code)
			return &o[i];
	return NULL;
}

static bool opt_is(const struct popt *o, int n, uint16_t code, const void *v,
		   size_t len)
{
	const struct popt *x = find_opt(o, n, code);

	return x && x->len == len && !memcmp(x->val, v, len);
}

static bool opt_str(const struct popt *o, int n, uint16_t code, const char *s)
{
	return opt_is(o, n, code, s, strlen(s));
}

static bool check_shb(const struct pblk *b, const struct pcapng_section *s)
{
	struct popt o[8];
	int n, want = 0;

	if (b->type != BT_SHB || b->len < 28 || g32(b->p + 8) != 0x1A2B3C4D ||
	    g16(b->p + 12) != 1 || g16(b->p + 14) != 0 ||
	    g64(b->p + 16) != UINT64_MAX)
		return false;
	n = parse_opts(b, 24, o, 8);
	if (!s)
		return n == 0;
	want = !!s->hardware + !!s->os + !!s->userappl + !!s->comment;
	return n == want && (!s->hardware || opt_str(o, n, 2, s->hardware)) &&
	       (!s->os || opt_str(o, n, 3, s->os)) &&
	       (!s->userappl || opt_str(o, n, 4, s->userappl)) &&
	       (!s->comment || opt_str(o, n, 1, s->comment));
}

static bool check_idb(const struct pblk *b, uint32_t snaplen, const char *name)
{
	struct popt o[8];
	int n;

	if (b->type != BT_IDB || b->len < 20 ||
	    g16(b->p + 8) != LINKTYPE_NULL || g16(b->p + 10) != 0 ||
	    g32(b->p + 12) != snaplen)
		return false;
	n = parse_opts(b, 16, o, 8);
	return n == 1 + !!name && opt_is(o, n, 9, "\x09", 1) &&
	       (!name || opt_str(o, n, 2, name));
}

/* The EPB of pkts[idx]; @what says where it is not. */
static bool check_epb(const struct pblk *b, const struct tpkt *t, size_t idx,
		      const char **what)
{
	static uint8_t frame[MAX_FRAME];
	uint32_t len = build_frame(t, idx, frame), pad = (t->caplen + 3) & ~3u;
	struct popt o[8];
	int n, want;

	*what = "header";
	if (b->type != BT_EPB || b->len < 32 || g32(b->p + 8) != 0 ||
	    gts(b->p + 12) != t->ts_ns || g32(b->p + 20) != t->caplen ||
	    g32(b->p + 24) != len || 28 + pad + 4 > b->len)
		return false;
	*what = "data";
	if (memcmp(b->p + 28, frame, t->caplen))
		return false;
	for (uint32_t i = t->caplen; i < pad; i++)
		if (b->p[28 + i])
			return false;
	*what = "options";
	n = parse_opts(b, 28 + pad, o, 8);
	want = (t->dir != PCAPNG_DIR_UNKNOWN) + t->has_pid + t->has_drops +
	       !!t->comment;
	if (n != want)
		return false;
	*what = "epb_flags";
	if (t->dir != PCAPNG_DIR_UNKNOWN &&
	    !opt_is(o, n, 2, &(uint32_t){ t->dir }, 4))
		return false;
	*what = "epb_dropcount";
	if (t->has_drops && !opt_is(o, n, 4, &t->drops, 8))
		return false;
	*what = "epb_processid_threadid";
	if (t->has_pid && !opt_is(o, n, 8, (uint32_t[]){ t->pid, t->tid }, 8))
		return false;
	*what = "opt_comment";
	if (t->comment && !opt_is(o, n, 1, t->comment, want_comment_len(t)))
		return false;
	return true;
}

static bool check_isb(const struct pblk *b, const struct pcapng_stats *s)
{
	struct popt o[8];
	uint8_t ts[8];
	int n;

	if (b->type != BT_ISB || b->len < 24 || g32(b->p + 8) != 0 ||
	    gts(b->p + 12) != s->end_ns)
		return false;
	n = parse_opts(b, 20, o, 8);
	if (n != 4 || !find_opt(o, n, 2) || !find_opt(o, n, 3))
		return false;
	memcpy(ts, find_opt(o, n, 2)->val, 8);
	if (find_opt(o, n, 2)->len != 8 || gts(ts) != s->start_ns)
		return false;
	memcpy(ts, find_opt(o, n, 3)->val, 8);
	return find_opt(o, n, 3)->len == 8 && gts(ts) == s->end_ns &&
	       opt_is(o, n, 4, &s->ifrecv, 8) && opt_is(o, n, 5, &s->ifdrop, 8);
}

/*
 * @path holds an SHB, the IDB, pkts[idx[0..n)] in order and, with @isb,
 * the stats at the end; one TAP line.
 */
static void check_structure(const char *path, const struct pcapng_section *s,
			    uint32_t snaplen, const char *name,
			    const size_t *idx, size_t n, bool isb,
			    const char *label)
{
	struct pfile pf;
	const char *what = "layout";
	bool good = parse_file(path, &pf);
	size_t i;

	if (!good)
		what = pf.why;
	else if (pf.n != 2 + n + isb)
		good = false;
	else if (!check_shb(&pf.b[0], s))
		good = false, what = "SHB";
	else if (!check_idb(&pf.b[1], snaplen, name))
		good = false, what = "IDB";
	for (i = 0; good && i < n; i++)
		good = check_epb(&pf.b[2 + i], &pkts[idx[i]], idx[i], &what);
	if (good && isb && !check_isb(&pf.b[2 + n], &stats))
		good = false, what = "ISB";
	ok(good, "%s: strict parse: SHB, IDB, %zu EPBs%s (%s%s%s)", label, n,
	   isb ? ", ISB" : "", good ? "ok" : "bad ", good ? "" : what,
	   good || i == 0 ? "" : " in an EPB");
	pfile_free(&pf);
}

/* capinfos's packet count, -1 if it fails. */
static long capinfos_count(const char *path)
{
	int st;
	char *out = run(&st, "capinfos -M -T '%s'", path), *v;
	long n = -1;

	if (out && st == 0 && (v = capinfos_col(out, "Number of packets")))
		n = strtol(v, NULL, 10);
	free(out);
	return n;
}

/* tshark reads every frame cleanly and stamps them as pkts[idx[..]]. */
static void check_tshark_times(const char *path, const size_t *idx, size_t n,
			       const char *label)
{
	int st;
	char *out = run(&st, "tshark -r '%s' -T fields -e frame.time_epoch",
			path),
	     *lines[64];
	int nl = out ? split(out, '\n', lines, 64) : 0;
	size_t good = 0;

	for (size_t i = 0; i < n && (int)i < nl; i++)
		good += !strcmp(lines[i], pkts[idx[i]].time_epoch);
	ok(out && st == 0 && nl == (int)n + 1 && good == n,
	   "%s: tshark exits 0 and reads all %zu frames with their times "
	   "(%zu match)",
	   label, n, good);
	free(out);
}

/* ---- tests ----------------------------------------------------------- */

static const size_t all[] = { 0, 1, 2, 3, 4, 5, 6 };

static void test_full(void)
{
	const char *path = path_in("full.pcapng");
	const struct pcapng_iface idb = { LINKTYPE_NULL, SNAPLEN, "nr0" };
	struct pcapng *png = NULL;
	char *out, *lines[64], *f[16], *want, *v;
	struct stat st;
	int err = 0, rc, nl;

	rc = pcapng_create(&png, dfd, "full.pcapng", &shb, &idb);
	ok(rc == 0, "create full.pcapng (%d)", rc);
	if (rc)
		return;
	ok(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600,
	   "mode 0600 (%o)", st.st_mode & 07777);
	ok(file_size(path) > 0, "SHB and IDB are on disk before any packet");
	for (size_t i = 0; i < NPKTS && !err; i++)
		err = write_pkt(png, &pkts[i], i);
	ok(err == 0, "write %zu packets (%d)", NPKTS, err);
	rc = pcapng_write_stats(png, &stats);
	ok(rc == 0, "write stats (%d)", rc);
	rc = pcapng_close(png);
	ok(rc == 0, "close (%d)", rc);

	check_structure(path, &shb, SNAPLEN, "nr0", all, NPKTS, true, "full");

	out = run(&rc, "capinfos -M -T '%s'", path);
	ok(out && rc == 0, "capinfos exits 0");
	if (out) {
		is_str(capinfos_col(out, "File type"), "pcapng",
		       "capinfos: file type");
		is_str(capinfos_col(out, "File encapsulation"), "null",
		       "capinfos: encapsulation null");
		is_str(capinfos_col(out, "File time precision"), "nanoseconds",
		       "capinfos: nanosecond precision");
		v = capinfos_col(out, "Number of packets");
		ok(v && strtol(v, NULL, 10) == (long)NPKTS,
		   "capinfos: %zu packets (%s)", NPKTS, v ? v : "?");
		is_str(capinfos_col(out, "Capture hardware"), shb.hardware,
		       "capinfos: shb_hardware");
		is_str(capinfos_col(out, "Capture oper-sys"), shb.os,
		       "capinfos: shb_os");
		is_str(capinfos_col(out, "Capture application"), shb.userappl,
		       "capinfos: shb_userappl");
		is_str(capinfos_col(out, "Capture comment"), shb.comment,
		       "capinfos: SHB opt_comment");
		is_str(capinfos_col(out, "Strict time order"), "False",
		       "capinfos: sees the out-of-order timestamps");
	}
	free(out);

	out = run(&rc, "capinfos '%s'", path);
	ok(out && rc == 0 && strstr(out, "Capture length = 262144"),
	   "capinfos: 32-bit snaplen 262144 in the IDB");
	ok(out && strstr(out, "Name = nr0"), "capinfos: if_name");
	ok(out && strstr(out, "Time resolution = 0x09"),
	   "capinfos: if_tsresol 9");
	ok(out && strstr(out, "Number of stat entries = 1"),
	   "capinfos: reads the ISB");
	free(out);

	out = run(&rc,
		  "tshark -r '%s' -T fields -E separator=/t -e frame.len "
		  "-e frame.cap_len -e frame.comment "
		  "-e frame.packet_flags_direction -e frame.time_epoch "
		  "-e frame.drop_count -e null.family -e ip.dst -e ipv6.dst "
		  "-e frame.interface_name",
		  path);
	nl = out ? split(out, '\n', lines, 64) : 0;
	ok(out && rc == 0 && nl == NPKTS + 1 && !*lines[NPKTS],
	   "tshark exits 0 and prints %zu lines (%d)", NPKTS, nl - 1);
	for (size_t i = 0; i < NPKTS && (int)i < nl; i++) {
		const struct tpkt *t = &pkts[i];
		char num[64], ip[64];
		int nf = split(lines[i], '\t', f, 16);

		if (nf != 10) {
			ok(0, "frame %zu: 10 fields (%d)", i + 1, nf);
			continue;
		}
		snprintf(num, sizeof(num), "%u", 4 + t->iplen);
		is_str(f[0], num, "frame %zu: frame.len", i + 1);
		snprintf(num, sizeof(num), "%u", t->caplen);
		is_str(f[1], num, "frame %zu: frame.cap_len", i + 1);
		want = t->comment
			       ? tshark_escape(t->comment, want_comment_len(t))
			       : strdup("");
		ok(want && !strcmp(f[2], want),
		   "frame %zu: frame.comment (%zu bytes shown)", i + 1,
		   strlen(f[2]));
		free(want);
		if (t->dir)
			snprintf(num, sizeof(num), "0x%08x", t->dir);
		else
			num[0] = '\0';
		is_str(f[3], num, "frame %zu: frame.packet_flags_direction",
		       i + 1);
		is_str(f[4], t->time_epoch, "frame %zu: frame.time_epoch",
		       i + 1);
		if (t->has_drops)
			snprintf(num, sizeof(num), "%llu",
				 (unsigned long long)t->drops);
		else
			num[0] = '\0';
		is_str(f[5], num, "frame %zu: frame.drop_count", i + 1);
		is_str(f[6], t->family == 6 ? "24" : "2",
		       "frame %zu: null.family", i + 1);
		if (t->caplen < 4 + (t->family == 6 ? 40 : 20))
			ip[0] = '\0';
		else if (t->family == 4)
			snprintf(ip, sizeof(ip), "198.51.100.%zu", i);
		else
			snprintf(ip, sizeof(ip), "2001:db8::%zx", i);
		is_str(f[t->family == 6 ? 8 : 7], ip,
		       "frame %zu: IPv%d destination", i + 1, t->family);
		is_str(f[9], "nr0", "frame %zu: frame.interface_name", i + 1);
	}
	free(out);
}

/* Options are 16-bit long: a long comment stops short of a split UTF-8. */
static void test_comment_cut(void)
{
	static const struct {
		const char *tail;
		size_t prefix, want;
	} cases[] = {
		{ "\xc3\xa9zz", 65534, 65534 },	  /* 2-byte across */
		{ "\xe2\x82\xac", 65533, 65533 }, /* 3-byte across */
		{ "\xe2\x82\xac"
		  "b",
		  65532, 65535 },		      /* 3-byte ends at it */
		{ "\xf0\x9f\x98\x80", 65533, 65533 }, /* 4-byte across */
		{ "\x80\x80", 65535, 65535 },	      /* stray continuations */
		{ "", 65535, 65535 },		      /* exactly the limit */
		{ "a", 65535, 65535 },		      /* one over */
	};
	const struct pcapng_iface idb = { LINKTYPE_NULL, 0, NULL };
	static char c[65540];
	struct pcapng *png;
	struct pfile pf;
	uint8_t frame[64];
	int rc, err = 0;
	size_t i;

	rc = pcapng_create(&png, dfd, "cut.pcapng", NULL, &idb);
	ok(rc == 0, "create cut.pcapng, snaplen 0 (%d)", rc);
	if (rc)
		return;
	memset(frame, 0x45, sizeof(frame));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]) && !err; i++) {
		struct pcapng_packet p = { .ts_ns = i,
					   .data = frame,
					   .caplen = 64,
					   .len = 64,
					   .comment = c };

		memset(c, 'a', cases[i].prefix);
		strcpy(c + cases[i].prefix, cases[i].tail);
		p.comment_len = cases[i].prefix + strlen(cases[i].tail);
		err = pcapng_write(png, &p);
	}
	rc = pcapng_close(png);
	ok(!err && !rc, "write long comments and close");
	ok(parse_file(path_in("cut.pcapng"), &pf) &&
		   pf.n == 2 + sizeof(cases) / sizeof(cases[0]),
	   "cut.pcapng parses");
	for (i = 0; i + 2 < pf.n; i++) {
		struct popt o[4];
		int n = parse_opts(&pf.b[2 + i], 28 + 64, o, 4);

		ok(n == 1 && o[0].code == 1 && o[0].len == cases[i].want,
		   "comment of %zu bytes cut to %zu (%d)",
		   cases[i].prefix + strlen(cases[i].tail), cases[i].want,
		   n == 1 ? o[0].len : -1);
	}
	pfile_free(&pf);
	ok(capinfos_count(path_in("cut.pcapng")) == (long)i,
	   "capinfos reads all %zu", i);
}

static void test_empty(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 65535, NULL };
	struct pcapng *png;
	int rc = pcapng_create(&png, dfd, "empty.pcapng", NULL, &idb);

	ok(rc == 0 && pcapng_close(png) == 0, "create and close, no packets");
	check_structure(path_in("empty.pcapng"), NULL, 65535, NULL, NULL, 0,
			false, "empty");
	ok(capinfos_count(path_in("empty.pcapng")) == 0, "capinfos: 0 packets");
}

static void test_bad_args(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 100, NULL };
	struct pcapng_packet p = { .ts_ns = 5, .caplen = 50, .len = 40 };
	uint8_t frame[200] = { 0 };
	struct pcapng *png;
	int rc;

	rc = pcapng_create(&png, dfd, "args.pcapng", NULL, &idb);
	ok(rc == 0, "create args.pcapng (%d)", rc);
	if (rc)
		return;
	p.data = frame;
	ok(pcapng_write(png, &p) == -EINVAL, "caplen > len: -EINVAL");
	p.caplen = 101;
	p.len = 200;
	ok(pcapng_write(png, &p) == -EINVAL, "caplen > snaplen: -EINVAL");
	p.caplen = 10;
	p.data = NULL;
	ok(pcapng_write(png, &p) == -EINVAL, "no data: -EINVAL");
	p.data = frame;
	p.dir = 3;
	ok(pcapng_write(png, &p) == -EINVAL, "direction 3: -EINVAL");
	p.dir = PCAPNG_DIR_IN;
	p.caplen = 100;
	ok(pcapng_write(png, &p) == 0, "-EINVAL does not stick");
	p.caplen = 0;
	p.data = NULL;
	ok(pcapng_write(png, &p) == 0, "caplen 0 without data is fine");
	ok(pcapng_close(png) == 0, "close");
	ok(capinfos_count(path_in("args.pcapng")) == 2,
	   "only the good packets are in the file");
}

static void test_append(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, SNAPLEN, "lo" };
	const char *path = path_in("append.pcapng");
	struct pcapng *png;
	int rc, err = 0;
	size_t i;

	rc = pcapng_create(&png, dfd, "append.pcapng", &shb, &idb);
	ok(rc == 0, "create append.pcapng (%d)", rc);
	if (rc)
		return;
	for (i = 0; i < 3 && !err; i++)
		err = write_pkt(png, &pkts[i], i);
	rc = pcapng_close(png);
	ok(!err && !rc, "3 packets, closed");
	ok(capinfos_count(path) == 3, "capinfos: 3 packets");

	rc = pcapng_reopen(&png, dfd, "append.pcapng");
	ok(rc == 0, "reopen (%d)", rc);
	if (rc)
		return;
	for (i = 3; i < NPKTS && !err; i++)
		err = write_pkt(png, &pkts[i], i);
	ok(!err, "append %zu packets (%d)", NPKTS - 3, err);
	ok(pcapng_write_stats(png, &stats) == 0, "append stats");
	ok(pcapng_close(png) == 0, "close");
	check_structure(path, &shb, SNAPLEN, "lo", all, NPKTS, true, "append");
	ok(capinfos_count(path) == (long)NPKTS, "capinfos: %zu packets", NPKTS);
	check_tshark_times(path, all, NPKTS, "append");

	/* Appending after the ISB is still one valid section. */
	rc = pcapng_reopen(&png, dfd, "append.pcapng");
	ok(rc == 0, "reopen again after the ISB (%d)", rc);
	if (rc)
		return;
	{
		struct pcapng_packet p = { .ts_ns = 7,
					   .caplen = 300,
					   .len = 300 };
		static uint8_t big[300];

		p.data = big;
		ok(pcapng_write(png, &p) == 0,
		   "snaplen %u is known after reopen: 300 bytes fit", SNAPLEN);
	}
	ok(pcapng_close(png) == 0, "close");
	ok(capinfos_count(path) == (long)NPKTS + 1, "capinfos: %zu packets",
	   NPKTS + 1);
}

/* A crash leaves a cut block: reopen drops it, appending goes on. */
static void test_repair(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 1000, NULL };
	const char *path = path_in("cut-tail.pcapng");
	static const size_t first3[] = { 0, 1, 2 }, fixed[] = { 0, 1, 2, 5 };
	static const size_t cuts[] = { 1, 5, 40 };
	size_t whole3 = 0, full = 0;
	struct pcapng *png;
	struct pfile pf;
	int rc, err = 0;

	for (size_t c = 0; c < sizeof(cuts) / sizeof(cuts[0]); c++) {
		unlink(path);
		rc = pcapng_create(&png, dfd, "cut-tail.pcapng", NULL, &idb);
		if (rc) {
			ok(0, "cut %zu: create (%d)", cuts[c], rc);
			return;
		}
		for (size_t i = 0; i < 4 && !err; i++)
			err = write_pkt(png, &pkts[i], i);
		rc = pcapng_close(png);
		ok(!err && !rc, "cut %zu: 4 packets written", cuts[c]);
		if (parse_file(path, &pf) && pf.n == 6) {
			whole3 = pf.b[5].off;
			full = pf.size;
		}
		pfile_free(&pf);
		ok(whole3 && !truncate(path, full - cuts[c]),
		   "cut %zu: cut %zu bytes off the last block", cuts[c],
		   cuts[c]);
		rc = pcapng_reopen(&png, dfd, "cut-tail.pcapng");
		ok(rc == 0, "cut %zu: reopen (%d)", cuts[c], rc);
		if (rc)
			return;
		ok(file_size(path) == (off_t)whole3,
		   "cut %zu: file truncated to the 3rd packet's end (%lld)",
		   cuts[c], (long long)file_size(path));
		rc = pcapng_close(png);
		ok(rc == 0, "cut %zu: close", cuts[c]);
		check_structure(path, NULL, 1000, NULL, first3, 3, false,
				"repaired");
	}
	/* The header of the cut block itself cut: under 8 bytes left. */
	ok(!truncate(path, whole3 + 6), "leave 6 bytes of a block header");
	rc = pcapng_reopen(&png, dfd, "cut-tail.pcapng");
	ok(rc == 0 && file_size(path) == (off_t)whole3,
	   "reopen cuts them off (%d)", rc);
	if (rc)
		return;
	{
		static uint8_t big[1001];
		struct pcapng_packet p = { .data = big,
					   .caplen = 1001,
					   .len = 1001 };

		ok(pcapng_write(png, &p) == -EINVAL,
		   "the snaplen (1000) is enforced after reopen");
	}
	rc = write_pkt(png, &pkts[5], 5);
	ok(pcapng_close(png) == 0 && rc == 0, "append one packet");
	check_structure(path, NULL, 1000, NULL, fixed, 4, false, "repaired");
	ok(capinfos_count(path) == 4, "capinfos: 4 packets");
	check_tshark_times(path, fixed, 4, "repaired");
}

/* Damage other than a cut tail is refused, and the file left alone. */
static void test_refuse(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 1000, NULL };
	const char *good = path_in("good.pcapng"), *bad = path_in("bad.pcapng");
	struct pcapng *png;
	struct pfile pf;
	uint8_t *raw, *copy;
	size_t len, idb_off, e1, e2, e3;
	int rc, err = 0;

	rc = pcapng_create(&png, dfd, "good.pcapng", NULL, &idb);
	if (rc) {
		ok(0, "create good.pcapng (%d)", rc);
		return;
	}
	for (size_t i = 0; i < 3 && !err; i++)
		err = write_pkt(png, &pkts[i], i);
	rc = pcapng_close(png);
	ok(!err && !rc, "good.pcapng written");
	raw = tu_slurp(good, &len);
	copy = raw ? malloc(len) : NULL;
	if (!parse_file(good, &pf) || pf.n != 5 || !copy) {
		ok(0, "good.pcapng parses");
		pfile_free(&pf);
		free(raw);
		free(copy);
		return;
	}
	idb_off = pf.b[1].off;
	e1 = pf.b[2].off; /* first EPB */
	e2 = pf.b[3].off; /* second EPB */
	e3 = pf.b[4].off; /* third and last */
	pfile_free(&pf);

#define REFUSE(label, size, ...)                                               \
	do {                                                                   \
		memcpy(copy, raw, len);                                        \
		__VA_ARGS__;                                                   \
		spew(bad, copy, (size));                                       \
		rc = pcapng_reopen(&png, dfd, "bad.pcapng");                   \
		ok(rc == -EBADMSG && file_size(bad) == (off_t)(size),          \
		   "refuse %s: -EBADMSG, untouched (%d)", label, rc);          \
		if (!rc)                                                       \
			pcapng_close(png);                                     \
	} while (0)

	REFUSE("an empty file", 0);
	REFUSE("a file shorter than a block header", 6);
	REFUSE("text", len, memset(copy, 'A', len));
	REFUSE("a pcap file", len, memcpy(copy, "\xd4\xc3\xb2\xa1", 4));
	REFUSE("the other byte order", len, {
		uint32_t m = __builtin_bswap32(0x1A2B3C4D);

		memcpy(copy + 8, &m, 4);
	});
	REFUSE("version 2.0", len, copy[12] = 2);
	REFUSE("version 1.1", len, memcpy(copy + 14, &(uint16_t){ 1 }, 2));
	REFUSE("a known section length", len, memset(copy + 16, 0, 8));
	REFUSE("an SHB alone (IDB cut)", e1 - 4);
	REFUSE("a block length of 13", len,
	       memcpy(copy + e2 + 4, &(uint32_t){ 13 }, 4));
	REFUSE("a block length of 8", len,
	       memcpy(copy + e2 + 4, &(uint32_t){ 8 }, 4));
	REFUSE("mismatched trailing length", len, copy[e2 - 4] ^= 4);
	/* Cutting there would lose the blocks after: no crash did that. */
	REFUSE("a length running past the end mid-file", len,
	       memcpy(copy + e2 + 4, &(uint32_t){ 0x1000000 }, 4));
	REFUSE("a cut block of an unknown type", len - 5,
	       memcpy(copy + e3, &(uint32_t){ 99 }, 4));
	REFUSE("a cut block longer than the snaplen allows", len - 5,
	       memcpy(copy + e3 + 4, &(uint32_t){ 1000 + 65700 }, 4));
	REFUSE("a cut EPB on interface 1", len - 5,
	       memcpy(copy + e3 + 8, &(uint32_t){ 1 }, 4));
	REFUSE("an EPB on interface 1", len,
	       memcpy(copy + e2 + 8, &(uint32_t){ 1 }, 4));
	REFUSE("an EPB caplen beyond its block", len,
	       memcpy(copy + e2 + 20, &(uint32_t){ 4000 }, 4));
	REFUSE("a second SHB", len + 28, {
		uint8_t *c2 = realloc(copy, len + 28);

		if (c2) {
			copy = c2;
			memcpy(copy + len, raw, 28);
		}
	});
	REFUSE("an EPB before the IDB", len, {
		memcpy(copy + idb_off, raw + e1, e2 - e1);
		memcpy(copy + idb_off + e2 - e1, raw + idb_off, e1 - idb_off);
	});
#undef REFUSE
	free(raw);
	free(copy);

	rc = pcapng_reopen(&png, dfd, ".");
	ok(rc < 0, "refuse a directory (%d)", rc);
	rc = pcapng_reopen(&png, dfd, "nonexistent.pcapng");
	ok(rc == -ENOENT, "missing file: -ENOENT (%d)", rc);
}

static void test_paths(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 100, NULL };
	const char *a = path_in("full.pcapng");
	struct pcapng *png;
	char abs[256], outside[256];
	size_t len1, len2;
	uint8_t *before = tu_slurp(a, &len1), *after;
	int rc;

	rc = pcapng_create(&png, dfd, "full.pcapng", NULL, &idb);
	ok(rc == -EEXIST, "existing name: -EEXIST (%d)", rc);
	after = tu_slurp(a, &len2);
	ok(before && after && len1 == len2 && !memcmp(before, after, len1),
	   "the existing file is untouched");
	free(before);
	free(after);

	ok(!symlink("full.pcapng", path_in("link.pcapng")) &&
		   !symlink("new.pcapng", path_in("dangling.pcapng")) &&
		   !mkdir(path_in("sub"), 0700) &&
		   !symlink("sub", path_in("sublink")),
	   "make symlinks");
	rc = pcapng_create(&png, dfd, "dangling.pcapng", NULL, &idb);
	ok(rc < 0 && file_size(path_in("new.pcapng")) < 0,
	   "create through a dangling symlink fails (%d), no target made", rc);
	rc = pcapng_create(&png, dfd, "sublink/x.pcapng", NULL, &idb);
	ok(rc == -ELOOP && file_size(path_in("sub/x.pcapng")) < 0,
	   "create through a symlinked directory: -ELOOP (%d)", rc);
	rc = pcapng_reopen(&png, dfd, "link.pcapng");
	ok(rc == -ELOOP, "reopen a symlink: -ELOOP (%d)", rc);
	rc = pcapng_reopen(&png, dfd, "sublink/../full.pcapng");
	ok(rc == -ELOOP, "reopen through a symlinked directory: -ELOOP (%d)",
	   rc);

	snprintf(outside, sizeof(outside), "%s/escape.pcapng", top);
	rc = pcapng_create(&png, dfd, "../escape.pcapng", NULL, &idb);
	ok(rc == -EXDEV && file_size(outside) < 0,
	   "create ../escape.pcapng: -EXDEV, nothing made (%d)", rc);
	rc = pcapng_create(&png, dfd, "sub/../../escape.pcapng", NULL, &idb);
	ok(rc == -EXDEV && file_size(outside) < 0,
	   "create sub/../../escape.pcapng: -EXDEV (%d)", rc);
	snprintf(abs, sizeof(abs), "%s/abs.pcapng", dir);
	rc = pcapng_create(&png, dfd, abs, NULL, &idb);
	ok(rc == -EXDEV && file_size(abs) < 0,
	   "create an absolute path: -EXDEV (%d)", rc);
	rc = pcapng_reopen(&png, dfd, "../d/full.pcapng");
	ok(rc == -EXDEV, "reopen ../d/full.pcapng: -EXDEV (%d)", rc);
	rc = pcapng_create(&png, dfd, "sub/ok.pcapng", NULL, &idb);
	ok(rc == 0 && !pcapng_close(png), "a plain subdirectory is fine (%d)",
	   rc);
}

/* A full disk: the error sticks, and reopen repairs what was written. */
static void test_write_error(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 2000, NULL };
	const char *path = path_in("big.pcapng");
	struct rlimit old, lim;
	struct pcapng *png;
	struct pfile pf;
	int rc, first = 0, i, whole = 0;
	const off_t limit = 10001;

	rc = pcapng_create(&png, dfd, "big.pcapng", NULL, &idb);
	ok(rc == 0, "create big.pcapng (%d)", rc);
	if (rc)
		return;
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = limit;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	for (i = 0; i < 2000 && !first; i++)
		first = write_pkt(png, &pkts[0], 0);
	if (!first)
		first = pcapng_flush(png);
	ok(first == -EFBIG, "write or flush fails -EFBIG (%d after %d)", first,
	   i);
	ok(write_pkt(png, &pkts[1], 1) == first, "the error sticks to write");
	ok(pcapng_write_stats(png, &stats) == first, "and to write_stats");
	ok(pcapng_flush(png) == first, "and to flush");
	rc = pcapng_close(png);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	ok(rc == first, "close returns it too (%d)", rc);
	ok(file_size(path) == limit, "the file stopped mid-block at %lld",
	   (long long)file_size(path));

	rc = pcapng_reopen(&png, dfd, "big.pcapng");
	ok(rc == 0, "reopen (%d)", rc);
	if (rc)
		return;
	ok(pcapng_close(png) == 0, "close");
	if (parse_file(path, &pf)) {
		whole = (int)pf.n - 2;
		for (size_t b = 2; b < pf.n; b++) {
			const char *what;

			if (!check_epb(&pf.b[b], &pkts[0], 0, &what))
				whole = -1;
		}
	}
	pfile_free(&pf);
	ok(whole > 0 && file_size(path) < limit,
	   "repaired to %d whole packets (%lld bytes)", whole,
	   (long long)file_size(path));
	ok(capinfos_count(path) == whole, "capinfos agrees");
}

/*
 * A disk that fills up: every packet pcapng_write() took is in the file,
 * whatever the buffer held when the disk filled; the one that did not fit
 * is refused, and the file closes whole.
 */
static void test_full_disk(void)
{
	const struct pcapng_iface idb = { LINKTYPE_NULL, 0, NULL };
	static uint8_t frame[2000];
	char fs[sizeof(top) + 8], path[sizeof(fs) + 16];
	struct pcapng *png = NULL;
	size_t taken = 0;
	int err = 0, rc, fsfd;

	fsfd = tu_small_fs_or_skip(top, 300 * 1024, fs, sizeof(fs));
	if (fsfd < 0)
		return;
	rc = pcapng_create(&png, fsfd, "f.pcapng", NULL, &idb);
	ok(rc == 0, "create f.pcapng on a 300 KiB file system (%d)", rc);
	if (rc)
		goto out;
	memset(frame, 0x45, sizeof(frame));
	for (int i = 0; i < 1000 && !err; i++) {
		struct pcapng_packet p = { .ts_ns = i,
					   .data = frame,
					   .caplen = 1200 + (i * 97) % 700,
					   .len = 2000 };

		err = pcapng_write(png, &p);
		taken += !err;
	}
	ok(err == -ENOSPC,
	   "the disk fills: a packet is refused, -ENOSPC (%d, after %zu)", err,
	   taken);
	rc = pcapng_close(png);
	ok(rc == 0, "and the file closes whole (%d)", rc);
	snprintf(path, sizeof(path), "%s/f.pcapng", fs);
	ok(capinfos_count(path) == (long)taken,
	   "every packet taken is in it: capinfos counts %ld, want %zu",
	   capinfos_count(path), taken);
out:
	close(fsfd);
	umount2(fs, MNT_DETACH);
}

static void cleanup(void)
{
	/* Only our own mkdtemp() directory. */
	if (!strncmp(top, "/tmp/netrec-test-pcapng.", 24) && tu_rm_tree(top))
		printf("# could not remove %s\n", top);
}

int main(void)
{
	int fds;

	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(0);
	for (size_t i = 0; i < sizeof(long_comment); i++)
		long_comment[i] =
			"0123456789abcdefghijklmnopqrstuvwxyz"[i % 36];
	snprintf(top, sizeof(top), "/tmp/netrec-test-pcapng.XXXXXX");
	if (!mkdtemp(top)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/d", top);
	if (mkdir(dir, 0700) ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		printf("Bail out! %s: %s\n", dir, strerror(errno));
		cleanup();
		return 1;
	}
	fds = tu_count_fds();
	test_full();
	test_comment_cut();
	test_empty();
	test_bad_args();
	test_append();
	test_repair();
	test_refuse();
	test_paths();
	test_write_error();
	test_full_disk();
	ok(tu_count_fds() == fds, "no file descriptor leaked (%d, %d)",
	   tu_count_fds(), fds);
	close(dfd);
	cleanup();
	return tap_done();
}
