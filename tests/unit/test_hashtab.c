// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hashtab.h"
#include "tap.h"
#include "testutil.h"

#define BIG 100000

/* Shaped like a flow key: 16 bytes, no padding. */
struct key {
	uint64_t a;
	uint32_t b;
	uint32_t c;
};

static struct key mk(uint64_t i)
{
	struct key k;

	memset(&k, 0, sizeof(k));
	k.a = i;
	k.b = (uint32_t)(i * 7);
	k.c = 0xabcd;
	return k;
}

static void *val(uint64_t i)
{
	return (void *)(uintptr_t)(i + 1);
}

static uint64_t rnd(void)
{
	static uint64_t x = 0x2545f4914f6cdd1dULL;

	return tu_xorshift64(&x);
}

static void test_basic(void)
{
	struct hashtab *h = hashtab_new(sizeof(struct key));
	struct key k1 = mk(1), k2 = mk(2), k3 = mk(3);
	int x, y;

	ok(h != NULL, "new");
	ok(hashtab_count(h) == 0, "empty table has no entries");
	ok(hashtab_get(h, &k1) == NULL, "get on empty table");
	ok(hashtab_del(h, &k1) == NULL, "del on empty table");

	ok(hashtab_put(h, &k1, &x) == 0, "put k1");
	ok(hashtab_put(h, &k2, &y) == 0, "put k2");
	ok(hashtab_get(h, &k1) == &x && hashtab_get(h, &k2) == &y,
	   "get both back");
	ok(hashtab_get(h, &k3) == NULL, "absent key gives NULL");
	ok(hashtab_count(h) == 2, "count is 2");

	ok(hashtab_put(h, &k1, &y) == 0 && hashtab_get(h, &k1) == &y,
	   "put on an existing key replaces");
	ok(hashtab_count(h) == 2, "replace does not add");

	/* Keys are copied in: changing the caller's copy changes nothing. */
	k2.c = 1;
	ok(hashtab_get(h, &k2) == NULL, "modified key misses");
	k2.c = 0xabcd;
	ok(hashtab_get(h, &k2) == &y, "table kept its own copy of the key");

	ok(hashtab_del(h, &k1) == &y, "del returns the value");
	ok(hashtab_get(h, &k1) == NULL, "deleted key is gone");
	ok(hashtab_del(h, &k1) == NULL, "second del gives NULL");
	ok(hashtab_count(h) == 1, "count is 1");
	ok(hashtab_put(h, &k1, &x) == 0 && hashtab_get(h, &k1) == &x,
	   "re-insert after del");
	hashtab_free(h);
	hashtab_free(NULL);

	errno = 0;
	ok(hashtab_new(0) == NULL && errno == EINVAL, "zero key size refused");
}

static void test_big(void)
{
	struct hashtab *h = hashtab_new(sizeof(struct key));
	bool good = true;
	struct key k;
	uint64_t i;

	for (i = 0; i < BIG; i++) {
		k = mk(i);
		good &= hashtab_put(h, &k, val(i)) == 0;
	}
	ok(good && hashtab_count(h) == BIG, "grew to %d keys", BIG);

	good = true;
	for (i = 0; i < BIG; i++) {
		k = mk(i);
		good &= hashtab_get(h, &k) == val(i);
	}
	ok(good, "all %d keys found after growth", BIG);
	k = mk(BIG);
	ok(hashtab_get(h, &k) == NULL, "key never inserted is absent");

	good = true;
	for (i = 1; i < BIG; i += 2) {
		k = mk(i);
		good &= hashtab_del(h, &k) == val(i);
	}
	ok(good && hashtab_count(h) == BIG / 2, "deleted every odd key");

	good = true;
	for (i = 0; i < BIG; i++) {
		k = mk(i);
		good &= hashtab_get(h, &k) == (i % 2 ? NULL : val(i));
	}
	ok(good, "even keys survive deletions of their neighbours");

	good = true;
	for (i = 1; i < BIG; i += 2) {
		k = mk(i);
		good &= hashtab_put(h, &k, val(i + 1000000)) == 0;
	}
	ok(good && hashtab_count(h) == BIG, "re-inserted the odd keys");

	good = true;
	for (i = 0; i < BIG; i++) {
		k = mk(i);
		good &= hashtab_get(h, &k) == val(i % 2 ? i + 1000000 : i);
	}
	ok(good, "every key has its latest value");

	good = true;
	for (i = 0; i < BIG; i++) {
		k = mk(i);
		good &= hashtab_del(h, &k) != NULL;
	}
	ok(good && hashtab_count(h) == 0, "deleted everything");
	k = mk(42);
	ok(hashtab_get(h, &k) == NULL, "emptied table finds nothing");
	hashtab_free(h);
}

/*
 * Random puts and dels against a plain array: stresses backward shift.  A
 * small domain keeps the table small and dense, and a slot gets a fresh
 * random key whenever it is empty, so over time entries land everywhere,
 * including clusters that wrap around the end of the slot array.
 */
static void test_churn(size_t domain, size_t ops)
{
	void **ref = calloc(domain, sizeof(*ref));
	uint64_t *ids = calloc(domain, sizeof(*ids));
	struct hashtab *h = hashtab_new(sizeof(struct key));
	size_t count = 0, i;
	bool good = true;
	uint64_t r, n;
	struct key k;

	for (i = 0; i < ops && good; i++) {
		r = rnd();
		n = (r >> 8) % domain;
		if (!ref[n])
			ids[n] = rnd();
		k = mk(ids[n]);
		if (r & 1) {
			good &= hashtab_put(h, &k, val(i)) == 0;
			count += !ref[n];
			ref[n] = val(i);
		} else {
			good &= hashtab_del(h, &k) == ref[n];
			count -= !!ref[n];
			ref[n] = NULL;
		}
		good &= hashtab_count(h) == count;
	}
	for (n = 0; n < domain; n++) {
		k = mk(ids[n]);
		good &= hashtab_get(h, &k) == ref[n];
	}
	ok(good, "%zu random puts/dels over %zu keys agree with a reference",
	   ops, domain);
	hashtab_free(h);
	free(ids);
	free(ref);
}

struct tally {
	size_t calls;
	uint64_t sum;
	bool keys_match;
};

static void count_fn(const void *key, void *value, void *arg)
{
	struct tally *t = arg;
	struct key k;

	memcpy(&k, key, sizeof(k));
	t->calls++;
	t->sum += (uintptr_t)value;
	if (val(k.a) != value)
		t->keys_match = false;
}

static void test_each(void)
{
	struct hashtab *h = hashtab_new(sizeof(struct key));
	struct tally t = { 0, 0, true };
	uint64_t i, want = 0;
	struct key k;

	hashtab_each(h, count_fn, &t);
	ok(t.calls == 0, "each on an empty table calls nothing");

	for (i = 0; i < 1000; i++) {
		k = mk(i);
		hashtab_put(h, &k, val(i));
	}
	for (i = 0; i < 1000; i += 3) {
		k = mk(i);
		hashtab_del(h, &k);
	}
	for (i = 0; i < 1000; i++)
		if (i % 3)
			want += (uintptr_t)val(i);
	hashtab_each(h, count_fn, &t);
	ok(t.calls == hashtab_count(h) && t.calls == 666,
	   "each visits every live entry once");
	ok(t.sum == want && t.keys_match,
	   "each passes matching keys and values");
	hashtab_free(h);
}

struct del_if {
	uint64_t mod;  /* remove the keys with k.a % mod == 0 */
	size_t calls;  /* of the predicate */
	uint8_t *seen; /* by value: which entries were offered */
	bool twice;    /* one was offered again */
};

/* Values are malloc'ed indexes: a sanitizer sees a use after free. */
static bool del_mod(const void *key, void *value, void *arg)
{
	struct del_if *d = arg;
	uint64_t *v = value;
	struct key k;

	memcpy(&k, key, sizeof(k));
	d->calls++;
	d->twice |= d->seen[*v];
	d->seen[*v] = 1;
	if (k.a % d->mod)
		return false;
	free(v);
	return true;
}

static void *own_val(uint64_t i)
{
	uint64_t *v = malloc(sizeof(*v));

	if (v)
		*v = i;
	return v;
}

/* Entry i of @h has the key mk(ids[i]) and the value own_val(i). */
static struct hashtab *fill(const uint64_t *ids, size_t n)
{
	struct hashtab *h = hashtab_new(sizeof(struct key));
	bool good = h != NULL;
	struct key k;

	for (size_t i = 0; good && i < n; i++) {
		k = mk(ids[i]);
		good = !hashtab_put(h, &k, own_val(i));
	}
	if (!good || hashtab_count(h) != n) {
		printf("# cannot fill the table\n");
		return NULL;
	}
	return h;
}

/*
 * hashtab_del_if() removes the entries left with ids[i] % @mod == 0, no
 * more, offering each entry once.
 */
static bool del_if_agrees(struct hashtab *h, const uint64_t *ids, size_t n,
			  uint64_t mod)
{
	struct del_if d = { .mod = mod, .seen = calloc(n + 1, 1) };
	size_t before = hashtab_count(h), gone = 0, removed;
	bool good = d.seen != NULL;
	struct key k;

	if (!good)
		return false;
	for (size_t i = 0; i < n; i++) {
		k = mk(ids[i]);
		gone += !(ids[i] % mod) && hashtab_get(h, &k);
	}
	removed = hashtab_del_if(h, del_mod, &d);
	for (size_t i = 0; i < n; i++) {
		uint64_t *v;

		k = mk(ids[i]);
		v = hashtab_get(h, &k);
		if (!(ids[i] % mod)) {
			good &= v == NULL;
		} else if (v) {
			good &= *v == i && d.seen[i];
		} else {
			good = false;
		}
	}
	good &= removed == gone && hashtab_count(h) == before - gone &&
		d.calls == before && !d.twice;
	free(d.seen);
	return good;
}

static void free_val(const void *key, void *value, void *arg)
{
	(void)key;
	(void)arg;
	free(value);
}

static void test_del_if(void)
{
	struct del_if none = { .mod = 1 };
	uint64_t ids[1000];
	struct hashtab *h;
	bool good = true;

	for (size_t i = 0; i < 1000; i++)
		ids[i] = i;
	h = fill(ids, 0);
	ok(h && hashtab_del_if(h, del_mod, &none) == 0 && !none.calls,
	   "del_if on an empty table calls nothing");
	hashtab_free(h);

	h = fill(ids, 1000);
	ok(h && del_if_agrees(h, ids, 1000, 3),
	   "del_if removes exactly the entries chosen, offering each once");
	ok(h && del_if_agrees(h, ids, 1000, 1) && hashtab_count(h) == 0,
	   "del_if can empty the table");
	hashtab_free(h);

	/*
	 * Small dense tables of random keys: clusters often wrap around the
	 * end of the slot array, where a backward shift moves an entry from
	 * its start to its end.
	 */
	for (int round = 0; round < 5000 && good; round++) {
		size_t n = 4 + rnd() % 8;

		for (size_t i = 0; i < n; i++)
			ids[i] = rnd();
		h = fill(ids, n);
		good = h && del_if_agrees(h, ids, n, 2 + round % 3);
		if (h)
			hashtab_each(h, free_val, NULL);
		hashtab_free(h);
	}
	ok(good, "del_if agrees in 5000 small dense tables");
}

/* Odd key sizes exercise every tail path of hash_bytes and the copies. */
static void test_key_sizes(void)
{
	static const size_t sizes[] = { 1, 3, 4, 7, 8, 13, 37, 48 };
	unsigned char key[48];
	struct hashtab *h;
	bool good = true;
	size_t s, i, n;

	for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		h = hashtab_new(sizes[s]);
		n = sizes[s] == 1 ? 256 : 5000;
		for (i = 0; i < n; i++) {
			memset(key, 0x11, sizeof(key));
			memcpy(key, &i,
			       sizes[s] < sizeof(i) ? sizes[s] : sizeof(i));
			good &= hashtab_put(h, key, val(i)) == 0;
		}
		good &= hashtab_count(h) == n;
		for (i = 0; i < n; i++) {
			memset(key, 0x11, sizeof(key));
			memcpy(key, &i,
			       sizes[s] < sizeof(i) ? sizes[s] : sizeof(i));
			good &= hashtab_get(h, key) == val(i);
		}
		hashtab_free(h);
	}
	ok(good, "key sizes 1..48 bytes");
}

static void test_hash(void)
{
	enum { BUCKETS = 1024 };
	static unsigned hist[BUCKETS];
	unsigned char buf[48];
	unsigned max = 0;
	struct key k;
	size_t i;

	memset(buf, 0, sizeof(buf));
	ok(hash_bytes(buf, 16) == hash_bytes(buf, 16), "hash is deterministic");
	ok(hash_bytes(buf, 16) != hash_bytes(buf, 17),
	   "length is part of the hash");
	buf[47] = 1;
	ok(hash_bytes(buf, 48) != hash_bytes(buf, 47) &&
		   hash_bytes(buf, 48) != hash_bytes("", 0),
	   "last byte of a 48-byte key matters");

	/* Near-identical keys must spread over the low bits the table uses. */
	for (i = 0; i < BIG; i++) {
		k = mk(i);
		hist[hash_bytes(&k, sizeof(k)) & (BUCKETS - 1)]++;
	}
	for (i = 0; i < BUCKETS; i++)
		if (hist[i] > max)
			max = hist[i];
	/* Mean is ~98; a poor hash puts thousands in one bucket. */
	ok(max < 160, "sequential keys spread evenly (fullest bucket %u)", max);
}

int main(void)
{
	test_basic();
	test_big();
	test_churn(11, 200000);
	test_churn(40, 200000);
	test_churn(4096, 1000000);
	test_each();
	test_del_if();
	test_key_sizes();
	test_hash();
	return tap_done();
}
