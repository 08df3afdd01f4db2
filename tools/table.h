/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_TABLE_H
#define NR_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/*
 * An aligned text table for people: columns as wide as their widest cell,
 * two spaces apart, the last one not padded.  Cells are made safe for a
 * terminal (see safe_dup()) as they are added.
 */
struct table;

/* @align: one letter per column, 'l' or 'r'; @headers: as many names. */
struct table *table_new(const char *align, const char *const *headers);
/* One row: as many cells as columns; NULL prints as "-". */
void table_add(struct table *t, const char *const *cells);
void table_print(const struct table *t, FILE *f, bool header);
void table_free(struct table *t);

#endif
