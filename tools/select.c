// SPDX-License-Identifier: GPL-2.0
/* The directory, time range and expression both tools are given. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "select.h"
#include "timearg.h"
#include "tool.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "?"
#endif

void sel_init(struct selection *s)
{
	memset(s, 0, sizeof(*s));
	s->dir = DEFAULT_DIR;
	s->since = TIME_MIN;
	s->until = TIME_MAX;
}

/* --since (@until false) or --until: 0, or -EINVAL (reported). */
static int sel_time(struct selection *s, const char *arg, bool until)
{
	const char *why;
	int64_t t;

	if (timearg_parse(arg, now_ns(), &t, &why)) {
		pr_err("--%s '%s': %s", until ? "until" : "since", arg, why);
		return -EINVAL;
	}
	if (until)
		s->until = t;
	else
		s->since = t;
	return 0;
}

int sel_option(struct selection *s, int c, const char *arg)
{
	switch (c) {
	case 'r':
		s->dir = arg;
		return 0;
	case OPT_SINCE:
	case OPT_UNTIL:
		return sel_time(s, arg, c == OPT_UNTIL);
	case 'q':
		log_set_level(NR_LOG_WARN);
		return 0;
	case 'V':
		printf("%s %s\n", log_get_name(), PACKAGE_VERSION);
		exit(EXIT_FOUND);
	default:
		fprintf(stderr, "Try '%s --help'.\n", log_get_name());
		return -EINVAL;
	}
}

int sel_expr(struct selection *s, int argc, char **argv)
{
	struct expr_error err;

	s->text = expr_join(argc, argv);
	if (!expr_parse(s->text, &s->expr, &err))
		return 0;
	fflush(stdout);
	expr_print_error(stderr, log_get_name(), s->text, &err);
	return -EINVAL;
}

/* Chunks whose writer fell behind: their flows may not all be there. */
static void warn_incomplete(const struct selection *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->set.n; i++) {
		const struct idx_chunk *c = s->set.chunks[i];

		if (c->incomplete &&
		    idx_overlaps(c->ts, c->end_ts, s->since, s->until))
			n++;
	}
	if (n)
		pr_warn("%zu chunk(s) in the time range have incomplete "
			"indexes (netrec fell behind and skipped indexing "
			"packets): flows may be missing (netrec-query "
			"--chunks shows which)",
			n);
}

int sel_load(struct selection *s, bool keep_json)
{
	struct idx_opts o = {
		.since = s->since,
		.until = s->until,
		.keep_json = keep_json,
	};
	int err;

	if (s->since >= s->until) {
		pr_err("--since is not before --until: the time range is "
		       "empty");
		return -EINVAL;
	}
	err = idx_load(&s->set, s->dir, &o);
	if (err)
		return err;
	if (s->set.indexes) {
		warn_incomplete(s);
		return 0;
	}
	if (s->set.chunk_files)
		pr_err("%s: no index files (*.idx.jsonl, *.idx.jsonl.zst) "
		       "here or below, but %zu chunk files: recorded by a "
		       "netrec without indexes, or their indexes were "
		       "removed (tcpdump -r still reads the chunks)",
		       s->dir, s->set.chunk_files);
	else
		pr_err("%s: no index files (*.idx.jsonl, *.idx.jsonl.zst) "
		       "here or below: not a netrec capture directory "
		       "(give one with -r DIR)",
		       s->dir);
	return -ENOENT;
}

void sel_free(struct selection *s)
{
	idx_free(&s->set);
	expr_free(s->expr);
	free(s->text);
}

void sel_range_str(const struct selection *s, char *buf, size_t len)
{
	char a[TIME_STR_LEN] = "the beginning", b[TIME_STR_LEN] = "the end";

	if (s->since == TIME_MIN && s->until == TIME_MAX) {
		snprintf(buf, len, "all");
		return;
	}
	if (s->since != TIME_MIN)
		time_str(s->since, a, sizeof(a));
	if (s->until != TIME_MAX)
		time_str(s->until, b, sizeof(b));
	snprintf(buf, len, "from %s to %s", a, b);
}
