/* test_idmap.c: the id map against a brute-force array of keys, through growth, deletes and iteration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "idmap.h"

#define POOL 5000

/* The naive model: pool key k is mapped when present[k], to value[k]. */
struct model {
	bool present[POOL];
	uint32_t value[POOL];
};

/* A deterministic generator (splitmix64), so a failure replays. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Pool key k into buf (lengths 1 to 128, some sharing prefixes); its length. */
static size_t key_of(unsigned k, char *buf)
{
	size_t len = 1 + (k * 37u) % 128;

	for (size_t i = 0; i < len; i++)
		buf[i] = (char)('a' + (k + i * i) % 26);
	if (len >= 4)
		memcpy(buf, &k, 4); /* distinct; any byte, NUL included */
	else
		buf[0] = (char)(k & 0xff); /* short keys: k < 256 distinct, others collide with equal keys */
	return len;
}

/* Every pool key, and for each the first pool index with equal bytes (short keys can repeat). */
struct pool {
	char key[POOL][IDMAP_MAX_KEY];
	size_t len[POOL];
	unsigned canon[POOL];
};

/* Builds the pool. */
static struct pool *pool_new(void)
{
	struct pool *p = calloc(1, sizeof(*p));

	for (unsigned k = 0; k < POOL; k++) {
		p->len[k] = key_of(k, p->key[k]);
		p->canon[k] = k;
		for (unsigned j = 0; j < k && p->len[k] < 4; j++) {
			if (p->len[j] == p->len[k] && memcmp(p->key[j], p->key[k], p->len[k]) == 0) {
				p->canon[k] = j;
				break;
			}
		}
	}
	return p;
}

/* The canonical pool index of a key taken from the map. */
static unsigned pool_find(const struct pool *p, const uint8_t *key, size_t len)
{
	unsigned k;

	if (len >= 4) {
		memcpy(&k, key, 4);
		return k;
	}
	for (k = 0; k < POOL; k++) {
		if (p->len[k] == len && memcmp(p->key[k], key, len) == 0)
			return p->canon[k];
	}
	return POOL;
}

/* Puts, gets and deletes behave on small cases as a map should, lengths checked. */
static void test_basic(void **state)
{
	struct idmap *m = idmap_new(0);
	char big[IDMAP_MAX_KEY + 1];
	uint32_t v = 99;

	(void)state;
	memset(big, 'k', sizeof(big));
	assert_int_equal(idmap_put(m, "a1", 2, 7), 1);
	assert_int_equal(idmap_put(m, "a1", 2, 8), 0);
	assert_int_equal(idmap_put(m, "a", 1, 9), 1);
	assert_int_equal(idmap_put(m, "a1\0", 3, 10), 1);
	assert_int_equal(idmap_put(m, "", 0, 1), -1);
	assert_int_equal(idmap_put(m, big, sizeof(big), 1), -1);
	assert_int_equal(idmap_put(m, big, IDMAP_MAX_KEY, 11), 1);
	assert_int_equal(idmap_size(m), 4);
	assert_true(idmap_get(m, "a1", 2, &v));
	assert_int_equal(v, 8);
	assert_true(idmap_get(m, "a", 1, &v));
	assert_int_equal(v, 9);
	assert_true(idmap_get(m, "a1\0", 3, &v));
	assert_int_equal(v, 10);
	assert_true(idmap_get(m, big, IDMAP_MAX_KEY, NULL));
	assert_false(idmap_get(m, big, sizeof(big), &v));
	assert_false(idmap_get(m, "a2", 2, &v));
	assert_false(idmap_get(m, "", 0, &v));
	assert_int_equal(v, 10); /* untouched by a miss */
	assert_true(idmap_del(m, "a1", 2, &v));
	assert_int_equal(v, 8);
	assert_false(idmap_del(m, "a1", 2, &v));
	assert_false(idmap_get(m, "a1", 2, NULL));
	assert_true(idmap_get(m, "a1\0", 3, NULL));
	assert_int_equal(idmap_size(m), 3);
	idmap_free(m);
}

/* Iteration gives every entry once, with its key bytes and value, and nothing else. */
static void check_iteration(const struct idmap *m, const struct model *mo, const struct pool *p)
{
	bool seen[POOL] = {false};
	size_t pos = 0, n = 0;
	const uint8_t *key;
	size_t len;
	uint32_t value;

	while (idmap_next(m, &pos, &key, &len, &value)) {
		unsigned k = pool_find(p, key, len);

		assert_true(k < POOL);
		assert_int_equal(p->canon[k], k);
		assert_int_equal(p->len[k], len);
		assert_memory_equal(p->key[k], key, len);
		assert_true(mo->present[k]);
		assert_false(seen[k]);
		assert_int_equal(value, mo->value[k]);
		seen[k] = true;
		n++;
	}
	assert_false(idmap_next(m, &pos, &key, &len, &value)); /* stays at the end */
	assert_int_equal(n, idmap_size(m));
	for (unsigned k = 0; k < POOL; k++)
		assert_int_equal(seen[k], mo->present[k]);
}

/*
 * A random mix of puts, gets and deletes on m answers as the model, through growth (and arena
 * compaction). Keys come from a scratch buffer, or for a borrowing map from the pool's own,
 * which stay put.
 */
static void random_mix(struct idmap *m, bool borrowing)
{
	struct model *mo = calloc(1, sizeof(*mo));
	struct pool *p = pool_new();
	uint64_t seed = 3;
	size_t bytes_max = 0;

	for (int step = 0; step < 300000; step++) {
		uint64_t r = rnd(&seed);
		unsigned k = (unsigned)(r % POOL), c = p->canon[k];
		char scratch[IDMAP_MAX_KEY];
		size_t len = key_of(k, scratch);
		const char *buf = borrowing ? p->key[k] : scratch;
		uint32_t v = 0xdeadbeef;
		/* phases: grow to most of the pool, shrink to little, grow again */
		unsigned put_pct = (step / 50000) % 2 == 0 ? 70 : 25;
		unsigned op = (unsigned)((r >> 32) % 100);

		if (op < put_pct) {
			assert_int_equal(idmap_put(m, buf, len, (uint32_t)(r >> 40)), mo->present[c] ? 0 : 1);
			mo->present[c] = true;
			mo->value[c] = (uint32_t)(r >> 40);
		} else if (op < 90) {
			assert_int_equal(idmap_del(m, buf, len, &v), mo->present[c]);
			if (mo->present[c])
				assert_int_equal(v, mo->value[c]);
			mo->present[c] = false;
		} else {
			assert_int_equal(idmap_get(m, buf, len, &v), mo->present[c]);
			assert_int_equal(v, mo->present[c] ? mo->value[c] : 0xdeadbeef);
		}
		if (idmap_bytes(m) > bytes_max)
			bytes_max = idmap_bytes(m);
		if (step % 25000 == 0)
			check_iteration(m, mo, p);
	}
	check_iteration(m, mo, p);
	for (unsigned k = 0; k < POOL; k++) {
		char buf[IDMAP_MAX_KEY];
		size_t len = key_of(k, buf);

		assert_int_equal(idmap_get(m, buf, len, NULL), mo->present[p->canon[k]]);
	}
	/* churn with a steady size does not grow the memory without bound (arena garbage is reclaimed) */
	assert_true(idmap_bytes(m) <= bytes_max);
	for (int round = 0; round < 20; round++) {
		for (unsigned k = 0; k < POOL; k++) {
			unsigned c = p->canon[k];

			if (mo->present[c] && c == k) {
				assert_true(idmap_del(m, p->key[k], p->len[k], NULL));
				assert_int_equal(idmap_put(m, p->key[k], p->len[k], mo->value[c]), 1);
			}
		}
		assert_true(idmap_bytes(m) <= bytes_max);
	}
	check_iteration(m, mo, p);
	free(p);
	free(mo);
	idmap_free(m);
}

/* The random mix on a map that copies its keys. */
static void test_random(void **state)
{
	(void)state;
	random_mix(idmap_new(0), false);
}

/* The random mix on a map that borrows its long keys. */
static void test_random_borrowing(void **state)
{
	(void)state;
	random_mix(idmap_new_borrowing(0), true);
}

/* A borrowing map reads long keys where the caller keeps them: found from a copy, followed when moved. */
static void test_borrowing(void **state)
{
	struct idmap *m = idmap_new_borrowing(0), *copying = idmap_new(0);
	static char keys[100][24];
	char copy[24], *moved = malloc(24), shortkey[8] = "a123";
	size_t pos = 0, len;
	const uint8_t *key;
	uint32_t v;

	(void)state;
	for (unsigned k = 0; k < 100; k++) {
		snprintf(keys[k], sizeof(keys[k]), "ticket-%016u", k);
		assert_int_equal(idmap_put(m, keys[k], 23, k), 1);
		assert_int_equal(idmap_put(copying, keys[k], 23, k), 1);
	}
	/* Same slots, but no arena of copies. */
	assert_true(idmap_bytes(m) < idmap_bytes(copying));
	for (unsigned k = 0; k < 100; k++) {
		memcpy(copy, keys[k], sizeof(copy));
		assert_true(idmap_get(m, copy, 23, &v));
		assert_int_equal(v, k);
	}
	/* Iteration gives the caller's own addresses. */
	while (idmap_next(m, &pos, &key, &len, &v)) {
		assert_int_equal(len, 23);
		assert_ptr_equal(key, keys[v]);
	}
	/* A key put again from a new place is read there: the old one may change. */
	memcpy(moved, keys[7], 24);
	assert_int_equal(idmap_put(m, moved, 23, 7), 0);
	memset(keys[7], 'x', 23);
	assert_true(idmap_get(m, moved, 23, &v));
	assert_int_equal(v, 7);
	assert_false(idmap_get(m, keys[7], 23, NULL));
	assert_true(idmap_del(m, moved, 23, &v));
	assert_int_equal(v, 7);
	free(moved);
	for (unsigned k = 0; k < 100; k++)
		assert_int_equal(idmap_get(m, keys[k], 23, &v), k != 7);
	/* A short key is kept in its slot: the caller's buffer may change. */
	assert_int_equal(idmap_put(m, shortkey, 4, 500), 1);
	shortkey[0] = 'z';
	assert_true(idmap_get(m, "a123", 4, &v));
	assert_int_equal(v, 500);
	idmap_free(m);
	idmap_free(copying);
}

/* In a map that never grows (16 slots, up to 12 keys) runs wrap past the last slot: deletes there too. */
static void test_small_wrapping(void **state)
{
	struct model *mo = calloc(1, sizeof(*mo));
	struct pool *p = pool_new();
	uint64_t seed = 17;

	(void)state;
	for (int round = 0; round < 300; round++) {
		struct idmap *m = idmap_new(0);
		unsigned base = (unsigned)(rnd(&seed) % (POOL - 12));

		memset(mo, 0, sizeof(*mo));
		for (int step = 0; step < 200; step++) {
			uint64_t r = rnd(&seed);
			unsigned k = base + (unsigned)(r % 12), c = p->canon[k];
			uint32_t v = 0xdeadbeef;

			if ((r >> 32) % 2 == 0) {
				assert_int_equal(idmap_put(m, p->key[k], p->len[k], (uint32_t)step), mo->present[c] ? 0 : 1);
				mo->present[c] = true;
				mo->value[c] = (uint32_t)step;
			} else {
				assert_int_equal(idmap_del(m, p->key[k], p->len[k], &v), mo->present[c]);
				mo->present[c] = false;
			}
			for (unsigned j = base; j < base + 12; j++) {
				assert_int_equal(idmap_get(m, p->key[j], p->len[j], &v), mo->present[p->canon[j]]);
				if (mo->present[p->canon[j]])
					assert_int_equal(v, mo->value[p->canon[j]]);
			}
		}
		check_iteration(m, mo, p);
		idmap_free(m);
	}
	free(p);
	free(mo);
}

/* An empty map iterates nothing; ticket-like ids map to their own values. */
static void test_sized(void **state)
{
	struct idmap *m = idmap_new(1000);
	size_t pos = 0;
	const uint8_t *key;
	size_t len;
	uint32_t value;
	char buf[32];

	(void)state;
	assert_false(idmap_next(m, &pos, &key, &len, &value));
	for (unsigned k = 0; k < 1000; k++) {
		int n = snprintf(buf, sizeof(buf), "T-%09u", k);

		assert_int_equal(idmap_put(m, buf, (size_t)n, k), 1);
	}
	for (unsigned k = 0; k < 1000; k++) {
		int n = snprintf(buf, sizeof(buf), "T-%09u", k);
		uint32_t v;

		assert_true(idmap_get(m, buf, (size_t)n, &v));
		assert_int_equal(v, k);
	}
	assert_int_equal(idmap_size(m), 1000);
	idmap_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_random_borrowing),
	    cmocka_unit_test(test_borrowing),
	    cmocka_unit_test(test_small_wrapping),
	    cmocka_unit_test(test_sized),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
