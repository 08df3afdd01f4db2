// SPDX-License-Identifier: GPL-2.0
/* Aligned text tables. */
#include <stdlib.h>
#include <string.h>

#include "table.h"
#include "tool.h"

struct table {
	size_t ncols, nrows, cap;
	char *align;
	char **cells; /* nrows + 1 rows (the header first) of ncols */
	size_t *width;
};

static void put_row(struct table *t, const char *const *cells)
{
	size_t i, w;
	char **row;

	xgrow((void **)&t->cells, &t->cap, (t->nrows + 1) * t->ncols,
	      sizeof(*t->cells));
	row = t->cells + t->nrows * t->ncols;
	for (i = 0; i < t->ncols; i++) {
		row[i] = safe_dup(cells[i]);
		w = str_width(row[i]);
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

struct table *table_new(const char *align, const char *const *headers)
{
	struct table *t = xcalloc(1, sizeof(*t));

	t->ncols = strlen(align);
	t->align = xstrdup(align);
	t->width = xcalloc(t->ncols, sizeof(*t->width));
	put_row(t, headers);
	return t;
}

void table_add(struct table *t, const char *const *cells)
{
	put_row(t, cells);
}

static void pad(FILE *f, size_t n)
{
	while (n--)
		fputc(' ', f);
}

static void print_row(const struct table *t, FILE *f, char *const *row)
{
	size_t i, w;

	for (i = 0; i < t->ncols; i++) {
		bool last = i + 1 == t->ncols;

		w = str_width(row[i]);
		if (i)
			fputs("  ", f);
		if (t->align[i] == 'r')
			pad(f, t->width[i] - w);
		fputs(row[i], f);
		if (t->align[i] != 'r' && !last)
			pad(f, t->width[i] - w);
	}
	fputc('\n', f);
}

void table_print(const struct table *t, FILE *f, bool header)
{
	for (size_t r = header ? 0 : 1; r < t->nrows; r++)
		print_row(t, f, t->cells + r * t->ncols);
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t->align);
	free(t);
}
