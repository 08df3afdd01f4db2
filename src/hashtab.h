/* SPDX-License-Identifier: GPL-2.0 */
#ifndef NR_HASHTAB_H
#define NR_HASHTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A small open-addressing hash table of fixed-size keys (compared with
 * memcmp, so keys must be fully initialised, padding included) to pointers.
 * Single-threaded.
 */
struct hashtab;

struct hashtab *hashtab_new(size_t key_size);
void hashtab_free(struct hashtab *h);
/* NULL when absent. */
void *hashtab_get(const struct hashtab *h, const void *key);
/* Insert or replace.  Returns 0 or -ENOMEM. */
int hashtab_put(struct hashtab *h, const void *key, void *value);
/* Returns the removed value, or NULL. */
void *hashtab_del(struct hashtab *h, const void *key);
/*
 * Remove every entry for which @pred returns true, calling it once per
 * entry.  @pred must not modify the table; it may free the value of an
 * entry it removes.  Returns the number removed.
 */
size_t hashtab_del_if(struct hashtab *h,
		      bool (*pred)(const void *key, void *value, void *arg),
		      void *arg);
size_t hashtab_count(const struct hashtab *h);
/* Calls fn for each entry; fn must not modify the table. */
void hashtab_each(const struct hashtab *h,
		  void (*fn)(const void *key, void *value, void *arg),
		  void *arg);
uint64_t hash_bytes(const void *p, size_t n);

#endif
