/* test_dedupe.c: the id set against a brute-force list of (id, expiry), across time, growth, sweeps and restore. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <xxhash.h>

#include "dedupe.h"

#define POOL 3000
#define HORIZON_MS 5000
/* The smallest table (dedupe.c): 2^16 slots. */
#define MIN_SLOTS 65536
/* Ids that fill a fresh table past its load limit, so it grows. */
#define FILL 60000

/* The naive model: every id ever claimed with its expiry in seconds (0: never claimed). */
struct model {
	uint32_t exp[POOL];
};

/* A deterministic generator (splitmix64), so a failure replays. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The id of pool entry k, written into buf; its length. */
static size_t id_of(unsigned k, char *buf)
{
	return (size_t)snprintf(buf, 32, "evt-%u", k);
}

/* The model's answer to a claim, as the contract states it: live while now <= expiry seconds. */
static int model_claim(struct model *m, unsigned k, int64_t now_ms, int64_t horizon_ms)
{
	if (m->exp[k] != 0 && now_ms <= (int64_t)m->exp[k] * 1000)
		return 0;
	m->exp[k] = (uint32_t)((now_ms + horizon_ms + 999) / 1000);
	return 1;
}

/* Ids the model holds live at now_ms. */
static size_t model_live(const struct model *m, int64_t now_ms)
{
	size_t n = 0;

	for (unsigned k = 0; k < POOL; k++)
		n += m->exp[k] != 0 && now_ms <= (int64_t)m->exp[k] * 1000;
	return n;
}

/* Claims pool entry k in d and checks the answer against the model. */
static void claim_both(struct dedupe *d, struct model *m, unsigned k, int64_t now_ms)
{
	char buf[32];
	size_t len = id_of(k, buf);

	assert_int_equal(dedupe_claim(d, buf, len, now_ms, HORIZON_MS), model_claim(m, k, now_ms, HORIZON_MS));
}

/* Sweeps d through one whole pass plus every removal, so no expired record is left. */
static void sweep_all(struct dedupe *d, int64_t now_ms)
{
	size_t budget = dedupe_capacity(d) + dedupe_count(d);

	while (budget > 0) {
		size_t step = budget < 97 ? budget : 97;
		size_t removed = dedupe_sweep(d, now_ms, step);

		assert_true(removed <= step);
		budget -= step;
	}
}

/* The record's layout: XXH3-128 low64, then high64's low 32 bits, then expiry, all little-endian. */
static void test_record_layout(void **state)
{
	struct dedupe *d = dedupe_new(0);
	XXH128_hash_t h = XXH3_128bits("abc", 3);
	uint8_t rec[DEDUPE_RECORD_SIZE];
	uint8_t want[DEDUPE_RECORD_SIZE];

	(void)state;
	assert_false(dedupe_last_record(d, rec));
	for (int k = 0; k < 8; k++)
		want[k] = (uint8_t)(h.low64 >> (8 * k));
	for (int k = 0; k < 4; k++)
		want[8 + k] = (uint8_t)(h.high64 >> (8 * k));
	/* 1000500 + 10000 ms = 1010.5 s, rounded up to 1011 = 0x3f3 */
	want[12] = 0xf3;
	want[13] = 0x03;
	want[14] = 0;
	want[15] = 0;
	assert_true(dedupe_claim(d, "abc", 3, 1000500, 10000));
	assert_true(dedupe_last_record(d, rec));
	assert_memory_equal(rec, want, sizeof(want));
	assert_int_equal(dedupe_record_expiry(rec), 1011);
	assert_false(dedupe_claim(d, "abc", 3, 1000600, 10000)); /* a duplicate leaves the last record */
	assert_true(dedupe_last_record(d, rec));
	assert_memory_equal(rec, want, sizeof(want));
	dedupe_free(d);
}

/* A repeat is a duplicate up to and at the deadline, and to the end of its second; new after. */
static void test_expiry_edges(void **state)
{
	struct dedupe *d = dedupe_new(0);

	(void)state;
	assert_true(dedupe_claim(d, "e1", 2, 1000500, 10000)); /* deadline 1010500, expiry 1011 s */
	assert_false(dedupe_claim(d, "e1", 2, 1010499, 10000));
	assert_false(dedupe_claim(d, "e1", 2, 1010500, 10000));
	assert_false(dedupe_claim(d, "e1", 2, 1011000, 10000));
	assert_true(dedupe_claim(d, "e1", 2, 1011001, 10000)); /* new again, expiry 1022 s */
	assert_false(dedupe_claim(d, "e1", 2, 1022000, 10000));
	assert_true(dedupe_claim(d, "e1", 2, 1022001, 10000));
	/* a whole-second deadline is exact */
	assert_true(dedupe_claim(d, "e2", 2, 2000000, 10000));
	assert_false(dedupe_claim(d, "e2", 2, 2010000, 10000));
	assert_true(dedupe_claim(d, "e2", 2, 2010001, 10000));
	/* a prefix or a longer id is another id */
	assert_true(dedupe_claim(d, "e", 1, 2010001, 10000));
	assert_true(dedupe_claim(d, "e22", 3, 2010001, 10000));
	assert_int_equal(dedupe_count(d), 4);
	dedupe_free(d);
}

/* Claims FILL ids that stay live for the whole test ("fill-<k>"), so the table grows near its limit. */
static void fill(struct dedupe *d, int64_t now_ms)
{
	char buf[32];

	for (unsigned k = 0; k < FILL; k++)
		assert_true(dedupe_claim(d, buf, (size_t)snprintf(buf, sizeof(buf), "fill-%u", k), now_ms, 1000000000));
}

/* A random stream with time moving forward answers exactly as the model, through growth. */
static void test_random_stream(void **state)
{
	struct dedupe *d = dedupe_new(0);
	struct model *m = calloc(1, sizeof(*m));
	uint64_t seed = 11;
	int64_t now = 1700000000000;
	size_t cap0 = dedupe_capacity(d);

	(void)state;
	assert_int_equal(cap0, MIN_SLOTS);
	fill(d, now);
	for (int step = 0; step < 200000; step++) {
		uint64_t r = rnd(&seed);
		unsigned k = (unsigned)(r % POOL);

		now += (int64_t)((r >> 32) % 7);
		if ((r >> 40) % 64 == 0 && m->exp[k] != 0 && (int64_t)m->exp[k] * 1000 - 1 >= now) {
			/* jump to just before, at or just after this id's expiry */
			now = (int64_t)m->exp[k] * 1000 - 1 + (int64_t)((r >> 48) % 3);
		}
		claim_both(d, m, k, now);
		if ((r >> 20) % 1000 == 0)
			dedupe_sweep(d, now, (size_t)((r >> 50) % 200));
	}
	assert_true(dedupe_capacity(d) > cap0);
	sweep_all(d, now);
	assert_int_equal(dedupe_count(d), model_live(m, now) + FILL);
	/* after the sweep it still answers as the model */
	for (unsigned k = 0; k < POOL; k++)
		claim_both(d, m, k, now);
	free(m);
	dedupe_free(d);
}

/* Ids homed in the last 16 of MIN_SLOTS slots: "wrap-<k>" whose hash word x has its top 16 bits >= 0xfff0. */
#define WRAP_IDS 64

/* Finds WRAP_IDS such ids, written into ids[i]. */
static void wrap_ids(char ids[WRAP_IDS][32])
{
	unsigned found = 0;

	for (unsigned k = 0; found < WRAP_IDS; k++) {
		size_t len = (size_t)snprintf(ids[found], 32, "wrap-%u", k);

		if (XXH3_128bits(ids[found], len).low64 >> 48 >= 0xfff0)
			found++;
	}
}

/* In a table that never grows (MIN_SLOTS slots, up to 40 ids homed at its end) runs wrap past the last slot: reclaim there too. */
static void test_small_wrapping(void **state)
{
	struct model *m = calloc(1, sizeof(*m));
	char (*ids)[32] = malloc(WRAP_IDS * sizeof(*ids));
	uint64_t seed = 23;
	int64_t now = 1000000;

	(void)state;
	wrap_ids(ids);
	for (int round = 0; round < 200; round++) {
		struct dedupe *d = dedupe_new(0);
		unsigned base = (unsigned)(rnd(&seed) % (WRAP_IDS - 40));

		memset(m, 0, sizeof(*m));
		for (int step = 0; step < 400; step++) {
			uint64_t r = rnd(&seed);
			unsigned k = base + (unsigned)(r % 40);

			now += (int64_t)((r >> 32) % 400);
			assert_int_equal(dedupe_claim(d, ids[k], strlen(ids[k]), now, HORIZON_MS),
			    model_claim(m, k, now, HORIZON_MS));
			if ((r >> 40) % 8 == 0)
				dedupe_sweep(d, now, (size_t)((r >> 48) % 16));
		}
		assert_int_equal(dedupe_capacity(d), MIN_SLOTS);
		sweep_all(d, now);
		assert_int_equal(dedupe_count(d), model_live(m, now));
		dedupe_free(d);
	}
	free(ids);
	free(m);
}

/* A sweep examines at most its budget; it removes exactly the expired records, never a live one. */
static void test_sweep_bound(void **state)
{
	struct dedupe *d = dedupe_new(1000);
	size_t cap = dedupe_capacity(d);
	char buf[32];
	size_t total = 0;

	(void)state;
	assert_int_equal(cap, MIN_SLOTS);
	for (unsigned k = 0; k < 1000; k++) {
		size_t len = id_of(k, buf);

		/* even ids expire at 11 s, odd ones at 101 s */
		assert_true(dedupe_claim(d, buf, len, 1000, k % 2 == 0 ? 10000 : 100000));
	}
	assert_int_equal(dedupe_sweep(d, 11000, cap + 1000), 0); /* nothing expired yet */
	assert_int_equal(dedupe_sweep(d, 11001, 0), 0);
	for (size_t budget = 0; budget < cap + 500; budget += 7) {
		size_t removed = dedupe_sweep(d, 11001, 7);

		assert_true(removed <= 7);
		total += removed;
		assert_int_equal(dedupe_count(d), 1000 - total);
	}
	assert_int_equal(total, 500);
	assert_int_equal(dedupe_count(d), 500);
	assert_int_equal(dedupe_capacity(d), cap); /* no growth, no shrink */
	for (unsigned k = 0; k < 1000; k++) {
		size_t len = id_of(k, buf);

		assert_int_equal(dedupe_claim(d, buf, len, 11001, 10000), k % 2 == 0);
	}
	/* everything expired: one pass plus one step per removal empties the table */
	assert_int_equal(dedupe_sweep(d, 101001, cap + 1000), 1000);
	assert_int_equal(dedupe_count(d), 0);
	dedupe_free(d);
}

/* Growth keeps every record; dedupe_bytes is the table plus a fixed overhead. */
static void test_growth(void **state)
{
	struct dedupe *d = dedupe_new(0);
	size_t overhead = dedupe_bytes(d) - 12 * dedupe_capacity(d);
	char buf[32];

	(void)state;
	for (unsigned k = 0; k < 100000; k++) {
		size_t len = id_of(k, buf);

		assert_true(dedupe_claim(d, buf, len, 5000, 1000000));
	}
	assert_int_equal(dedupe_count(d), 100000);
	assert_true(dedupe_capacity(d) * 9 >= 100000 * 10); /* at most 90 % full */
	/* Grown by a quarter at a time from 65536 slots: 81920, 102400 (up to 92160 ids), 128000. */
	assert_int_equal(dedupe_capacity(d), 128000);
	assert_int_equal(dedupe_bytes(d), overhead + 12 * dedupe_capacity(d));
	for (unsigned k = 0; k < 100000; k++) {
		size_t len = id_of(k, buf);

		assert_false(dedupe_claim(d, buf, len, 6000, 1000000));
	}
	assert_true(dedupe_reserve(d, 300000));
	assert_int_equal(dedupe_capacity(d), 300000 * 10 / 9 + 1);
	assert_int_equal(dedupe_count(d), 100000);
	for (unsigned k = 0; k < 100000; k++) {
		size_t len = id_of(k, buf);

		assert_false(dedupe_claim(d, buf, len, 7000, 1000000));
	}
	assert_int_equal(dedupe_unrecorded(d), 0);
	dedupe_free(d);
}

/* The restored set answers as the original; expired records are skipped; repeats change nothing. */
static void test_restore(void **state)
{
	struct dedupe *d = dedupe_new(0);
	struct model *m = calloc(1, sizeof(*m));
	uint8_t (*log)[DEDUPE_RECORD_SIZE] = malloc(60000 * sizeof(*log));
	size_t nlog = 0;
	uint64_t seed = 5;
	int64_t now = 1700000000000;
	struct dedupe *r = dedupe_new(0);
	size_t added = 0;
	size_t want_skipped = 0;

	(void)state;
	for (int step = 0; step < 60000; step++) {
		uint64_t v = rnd(&seed);
		unsigned k = (unsigned)(v % POOL);
		char buf[32];
		size_t len = id_of(k, buf);
		bool fresh;

		now += (int64_t)((v >> 32) % 3);
		fresh = dedupe_claim(d, buf, len, now, HORIZON_MS);
		assert_int_equal(fresh, model_claim(m, k, now, HORIZON_MS));
		if (fresh)
			assert_true(dedupe_last_record(d, log[nlog++]));
	}
	/* fed newest first, then all again: the order and the repeats do not matter */
	for (size_t i = nlog; i-- > 0;) {
		int rc = dedupe_restore_record(r, log[i], now);

		if (now > (int64_t)dedupe_record_expiry(log[i]) * 1000) {
			assert_int_equal(rc, 0);
			want_skipped++;
		} else {
			assert_true(rc == 0 || rc == 1);
			added += (size_t)rc;
		}
	}
	assert_true(want_skipped > 0);
	assert_int_equal(added, model_live(m, now)); /* newest first: each live id added once */
	assert_int_equal(dedupe_count(r), model_live(m, now));
	for (size_t i = 0; i < nlog; i++)
		assert_int_equal(dedupe_restore_record(r, log[i], now), 0);
	assert_int_equal(dedupe_count(r), model_live(m, now));
	/* both sets go on answering as the model */
	for (int step = 0; step < 20000; step++) {
		uint64_t v = rnd(&seed);
		unsigned k = (unsigned)(v % POOL);
		char buf[32];
		size_t len = id_of(k, buf);
		bool want;

		now += (int64_t)((v >> 32) % 3);
		want = model_claim(m, k, now, HORIZON_MS);
		assert_int_equal(dedupe_claim(d, buf, len, now, HORIZON_MS), want);
		assert_int_equal(dedupe_claim(r, buf, len, now, HORIZON_MS), want);
	}
	free(log);
	free(m);
	dedupe_free(r);
	dedupe_free(d);
}

/* An older record of an id never shortens a later one; garbage expiry 0 is skipped. */
static void test_restore_order(void **state)
{
	struct dedupe *a = dedupe_new(0);
	struct dedupe *b = dedupe_new(0);
	uint8_t early[DEDUPE_RECORD_SIZE];
	uint8_t late[DEDUPE_RECORD_SIZE];
	uint8_t zero[DEDUPE_RECORD_SIZE];

	(void)state;
	assert_true(dedupe_claim(a, "x", 1, 1000, 5000)); /* expiry 6 s */
	assert_true(dedupe_last_record(a, early));
	assert_true(dedupe_claim(a, "x", 1, 6001, 5000)); /* expiry 12 s */
	assert_true(dedupe_last_record(a, late));
	assert_int_equal(dedupe_restore_record(b, early, 2000), 1);
	assert_int_equal(dedupe_restore_record(b, late, 2000), 1); /* extends */
	assert_int_equal(dedupe_restore_record(b, early, 2000), 0);
	assert_int_equal(dedupe_count(b), 1);
	assert_false(dedupe_claim(b, "x", 1, 12000, 5000));
	assert_true(dedupe_claim(b, "x", 1, 12001, 5000));
	memcpy(zero, late, sizeof(zero));
	memset(zero + 12, 0, 4);
	zero[0] ^= 1;
	assert_int_equal(dedupe_restore_record(b, zero, 0), 0);
	assert_int_equal(dedupe_restore_record(b, late, 12001), 0); /* expired at restore time */
	assert_int_equal(dedupe_count(b), 1);
	dedupe_free(a);
	dedupe_free(b);
}

/*
 * Expiries kept modulo 2^24 s stay exact across the years: an id expired long ago is new, however
 * far the clock moved (one past 2^24 s would read as live without the table's base moving); one
 * claimed for longer than 2^23 s is held 2^23 s; a clock stepping back keeps what it holds.
 */
static void test_long_spans(void **state)
{
	struct dedupe *d = dedupe_new(0);
	struct dedupe *r = dedupe_new(0);
	int64_t t = 1700000000000, span = (1LL << 23) * 1000, wrap = (1LL << 24) * 1000;
	uint8_t rec[DEDUPE_RECORD_SIZE];

	(void)state;
	assert_true(dedupe_claim(d, "a", 1, t, 10000));
	assert_true(dedupe_claim(d, "b", 1, t, 400LL * 86400 * 1000)); /* 400 days: held 2^23 s */
	assert_true(dedupe_last_record(d, rec));
	assert_int_equal(dedupe_record_expiry(rec), (t + 400LL * 86400 * 1000) / 1000); /* the checkpoint keeps it */
	assert_false(dedupe_claim(d, "a", 1, t + 10000, 10000));
	assert_false(dedupe_claim(d, "b", 1, t + span - 2000, 10000));
	assert_true(dedupe_claim(d, "a", 1, t + wrap + 5000, 10000)); /* would read as live modulo 2^24 s */
	assert_true(dedupe_claim(d, "b", 1, t + wrap + 5000, 10000));
	assert_int_equal(dedupe_count(d), 2);
	assert_false(dedupe_claim(d, "a", 1, t + wrap + 9000, 10000));
	assert_false(dedupe_claim(d, "a", 1, t + wrap - 3600000, 10000)); /* the clock went back an hour */
	assert_int_equal(dedupe_count(d), 2);
	/* restored, the 400-day record is held 2^23 s too */
	assert_int_equal(dedupe_restore_record(r, rec, t + 1000), 1);
	assert_false(dedupe_claim(r, "b", 1, t + span - 2000, 10000));
	assert_true(dedupe_claim(r, "b", 1, t + span + 1000, 10000));
	dedupe_free(r);
	dedupe_free(d);
}

/* Segments group records by expiry; a segment can go once its last possible second has passed. */
static void test_segments(void **state)
{
	uint8_t rec[DEDUPE_RECORD_SIZE] = {0};

	(void)state;
	rec[12] = 0x0f; /* expiry 0x0e0f = 3599 */
	rec[13] = 0x0e;
	assert_int_equal(dedupe_record_expiry(rec), 3599);
	assert_int_equal(dedupe_segment(rec, 3600), 0);
	rec[12] = 0x10; /* 3600 */
	assert_int_equal(dedupe_segment(rec, 3600), 1);
	assert_int_equal(dedupe_segment(rec, 60), 60);
	assert_false(dedupe_segment_expired(0, 3600, 3599000));
	assert_true(dedupe_segment_expired(0, 3600, 3599001));
	assert_false(dedupe_segment_expired(1, 3600, 7199000));
	assert_true(dedupe_segment_expired(1, 3600, 7199001));
	/* the last segment holds the clamped expiries */
	assert_false(dedupe_segment_expired(UINT32_MAX / 3600, 3600, (int64_t)UINT32_MAX * 1000));
	assert_true(dedupe_segment_expired(UINT32_MAX / 3600, 3600, (int64_t)UINT32_MAX * 1000 + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_record_layout),
	    cmocka_unit_test(test_expiry_edges),
	    cmocka_unit_test(test_random_stream),
	    cmocka_unit_test(test_small_wrapping),
	    cmocka_unit_test(test_sweep_bound),
	    cmocka_unit_test(test_growth),
	    cmocka_unit_test(test_restore),
	    cmocka_unit_test(test_restore_order),
	    cmocka_unit_test(test_long_spans),
	    cmocka_unit_test(test_segments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
