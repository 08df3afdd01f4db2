/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_SELECT_H
#define NR_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "expr.h"
#include "idxread.h"

/*
 * What both tools are asked: a capture directory, a time range and an
 * expression; and the indexes that answer it.  Each step reports its own
 * errors on stderr.
 */
#define DEFAULT_DIR "netrec-out"

/* getopt_long() codes of --since and --until; each tool's own follow. */
enum { OPT_SINCE = 256, OPT_UNTIL, OPT_TOOL };

struct selection {
	const char *dir;
	int64_t since, until; /* [since, until) */
	char *text;	      /* the expression, as given */
	struct expr *expr;    /* NULL: everything */
	struct idx_set set;
};

void sel_init(struct selection *s);
/*
 * The options both tools take (-r, --since, --until, -q, -V), and what
 * neither knows (getopt_long()'s '?').  0, or -EINVAL (reported); -V
 * exits.
 */
int sel_option(struct selection *s, int c, const char *arg);
/* The expression from the words left on the command line. */
int sel_expr(struct selection *s, int argc, char **argv);
/*
 * Read the indexes.  -ENOENT (reported) when the directory holds none;
 * other -errno when it cannot be read.
 */
int sel_load(struct selection *s, bool keep_json);
void sel_free(struct selection *s);

/* "2025-11-22T04:00:00.000000Z .. 2025-11-22T05:00:00.000000Z", or "all". */
void sel_range_str(const struct selection *s, char *buf, size_t len);

#endif
