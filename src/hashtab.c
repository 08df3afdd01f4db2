// SPDX-License-Identifier: GPL-2.0
/*
 * Linear probing with backward-shift deletion: no tombstones, so lookups
 * stay short however many deletions a long capture does.  Each slot keeps
 * its full hash, which makes most mismatches cheap and rehashing free.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"

#define HT_MIN_CAP 16
/* Load limit as a fraction: grow when count would exceed 7/10 of cap. */
#define HT_LOAD_NUM 7
#define HT_LOAD_DEN 10
/* Set in every stored hash so that 0 can mean "empty slot". */
#define HT_USED (1ULL << 63)

struct hashtab {
	size_t key_size;
	size_t cap; /* a power of two */
	size_t count;
	uint64_t *hashes; /* 0: empty, else hash_bytes() | HT_USED */
	void **values;
	unsigned char *keys; /* cap * key_size */
};

static uint64_t rotl64(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

/*
 * The XXH64 primes and tail rounds, used for the whole input: our keys
 * are short (16 to 48 bytes), so the four-lane bulk loop of XXH64 would
 * not pay for itself, and the final avalanche makes every output bit
 * depend on every input bit, which the low-bit masking below needs.
 */
#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = P5 + n, w;
	uint32_t w32;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h ^= rotl64(w * P2, 31) * P1;
		h = rotl64(h, 27) * P1 + P4;
	}
	if (n >= 4) {
		memcpy(&w32, s, 4);
		h ^= (uint64_t)w32 * P1;
		h = rotl64(h, 23) * P2 + P3;
		s += 4;
		n -= 4;
	}
	for (; n; s++, n--) {
		h ^= *s * P5;
		h = rotl64(h, 11) * P1;
	}
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	h ^= h >> 32;
	return h;
}

static unsigned char *slot_key(const struct hashtab *h, size_t i)
{
	return h->keys + i * h->key_size;
}

static int alloc_slots(struct hashtab *h, size_t cap)
{
	size_t kbytes;

	if (__builtin_mul_overflow(cap, h->key_size, &kbytes))
		return -ENOMEM;
	h->hashes = calloc(cap, sizeof(*h->hashes));
	h->values = calloc(cap, sizeof(*h->values));
	h->keys = malloc(kbytes);
	if (!h->hashes || !h->values || !h->keys) {
		free(h->hashes);
		free(h->values);
		free(h->keys);
		return -ENOMEM;
	}
	h->cap = cap;
	return 0;
}

struct hashtab *hashtab_new(size_t key_size)
{
	struct hashtab *h;

	if (!key_size) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->key_size = key_size;
	if (alloc_slots(h, HT_MIN_CAP)) {
		free(h);
		errno = ENOMEM;
		return NULL;
	}
	return h;
}

void hashtab_free(struct hashtab *h)
{
	if (!h)
		return;
	free(h->hashes);
	free(h->values);
	free(h->keys);
	free(h);
}

/* Slot holding @key, or the empty slot ending its probe sequence. */
static size_t find_slot(const struct hashtab *h, const void *key, uint64_t hv,
			bool *found)
{
	size_t mask = h->cap - 1, i = hv & mask;

	/* The load limit guarantees an empty slot, so this ends. */
	while (h->hashes[i]) {
		if (h->hashes[i] == hv &&
		    !memcmp(slot_key(h, i), key, h->key_size)) {
			*found = true;
			return i;
		}
		i = (i + 1) & mask;
	}
	*found = false;
	return i;
}

static void place(struct hashtab *h, size_t i, uint64_t hv, const void *key,
		  void *value)
{
	h->hashes[i] = hv;
	h->values[i] = value;
	memcpy(slot_key(h, i), key, h->key_size);
}

static int grow(struct hashtab *h)
{
	struct hashtab old = *h;
	size_t i, j;
	bool found;

	if (old.cap > SIZE_MAX / 2)
		return -ENOMEM;
	if (alloc_slots(h, old.cap * 2)) {
		*h = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++) {
		if (!old.hashes[i])
			continue;
		j = find_slot(h, slot_key(&old, i), old.hashes[i], &found);
		place(h, j, old.hashes[i], slot_key(&old, i), old.values[i]);
	}
	free(old.hashes);
	free(old.values);
	free(old.keys);
	return 0;
}

static uint64_t key_hash(const struct hashtab *h, const void *key)
{
	return hash_bytes(key, h->key_size) | HT_USED;
}

void *hashtab_get(const struct hashtab *h, const void *key)
{
	bool found;
	size_t i = find_slot(h, key, key_hash(h, key), &found);

	return found ? h->values[i] : NULL;
}

int hashtab_put(struct hashtab *h, const void *key, void *value)
{
	uint64_t hv = key_hash(h, key);
	bool found;
	size_t i = find_slot(h, key, hv, &found);

	if (found) {
		h->values[i] = value;
		return 0;
	}
	if ((h->count + 1) * HT_LOAD_DEN > h->cap * HT_LOAD_NUM) {
		if (grow(h))
			return -ENOMEM;
		i = find_slot(h, key, hv, &found);
	}
	place(h, i, hv, key, value);
	h->count++;
	return 0;
}

/* Is slot @home cyclically within (@gap, @j]?  Then the entry at j stays. */
static bool home_between(size_t gap, size_t home, size_t j)
{
	if (gap <= j)
		return gap < home && home <= j;
	return gap < home || home <= j;
}

/* Empty slot @gap, keeping every entry reachable from its home slot. */
static void remove_at(struct hashtab *h, size_t gap)
{
	size_t mask = h->cap - 1, j;

	/*
	 * Pull later entries of the cluster back into the hole unless that
	 * would move one before its home slot, where lookups never look.
	 */
	for (j = (gap + 1) & mask; h->hashes[j]; j = (j + 1) & mask) {
		if (home_between(gap, h->hashes[j] & mask, j))
			continue;
		place(h, gap, h->hashes[j], slot_key(h, j), h->values[j]);
		gap = j;
	}
	h->hashes[gap] = 0;
	h->values[gap] = NULL;
	h->count--;
}

void *hashtab_del(struct hashtab *h, const void *key)
{
	bool found;
	size_t i = find_slot(h, key, key_hash(h, key), &found);
	void *value;

	if (!found)
		return NULL;
	value = h->values[i];
	remove_at(h, i);
	return value;
}

size_t hashtab_del_if(struct hashtab *h,
		      bool (*pred)(const void *key, void *value, void *arg),
		      void *arg)
{
	size_t mask = h->cap - 1, start = 0, n = 0;

	/*
	 * From just after an empty slot, no cluster wraps past the end of
	 * the walk: the backward shift of a deletion at slot i only moves
	 * entries into slots from i on, still to be visited, so slot i is
	 * checked again and no entry is seen twice or missed.
	 */
	while (h->hashes[start])
		start++;
	for (size_t k = 1; k <= h->cap; k++) {
		size_t i = (start + k) & mask;

		while (h->hashes[i] &&
		       pred(slot_key(h, i), h->values[i], arg)) {
			remove_at(h, i);
			n++;
		}
	}
	return n;
}

size_t hashtab_count(const struct hashtab *h)
{
	return h->count;
}

void hashtab_each(const struct hashtab *h,
		  void (*fn)(const void *key, void *value, void *arg),
		  void *arg)
{
	size_t i;

	for (i = 0; i < h->cap; i++)
		if (h->hashes[i])
			fn(slot_key(h, i), h->values[i], arg);
}
