/* test_histogram.c: log buckets within 2%, percentiles against exact ones, windows, checkpoints. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "histogram.h"
#include "window.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* 2026-11-22T10:00:00Z */
#define T0 INT64_C(1795341600000)
#define SAMPLES 5000

/* Uniform in [lo, hi], from the drand48 sequence the test seeded (srand48). */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	uint64_t r = (uint64_t)(uint32_t)mrand48() << 32 | (uint32_t)mrand48();

	return lo + (int64_t)(r % (uint64_t)(hi - lo + 1));
}

/* A time of one of three shapes: log-uniform 1 ms..10 days, a 30 s +- 20 s hump, a 4 h +- 4 h spread. */
static int64_t rnd_time(int shape)
{
	switch (shape) {
	case 0: {
		/* 2^(0..33) ms, then uniform within the octave */
		int64_t lo = INT64_C(1) << rnd_in(0, 33);
		return rnd_in(lo, 2 * lo);
	}
	case 1:
		return rnd_in(10000, 50000);
	default:
		return rnd_in(0, 8 * HOUR_MS);
	}
}

/* The nearest-rank quantile of dense bucket counts holding n times: the test's oracle. */
static int64_t histogram_quantile_ms(const int64_t *counts, int64_t n, int permille)
{
	int64_t rank = histogram_rank(n, permille), seen = 0;

	for (size_t b = 0; b < HISTOGRAM_BUCKETS; b++) {
		seen += counts[b];
		if (seen >= rank)
			return histogram_value_ms(b);
	}
	return histogram_value_ms(HISTOGRAM_BUCKETS - 1);
}

/* |got - want| within (g - 1) / (g + 1) = 1/51 (1.96%) of want, plus the half ms a bucket's value is rounded by. */
static void assert_within_2pct(int64_t got, int64_t want)
{
	double err = (double)(got > want ? got - want : want - got);

	if (err > (double)want / 51.0 + 0.5)
		fail_msg("%lld is not within 2%% of %lld", (long long)got, (long long)want);
}

/* int64_t ascending, for qsort. */
static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* Values worked out by hand (python: ceil(log(v) / log(1.04)), round(2 * 1.04**b / 2.04)). */
static void test_buckets_by_hand(void **state)
{
	(void)state;
	assert_int_equal(histogram_bucket(-5), 0);
	assert_int_equal(histogram_bucket(0), 0);
	assert_int_equal(histogram_bucket(1), 0);
	assert_int_equal(histogram_bucket(2), 18);
	assert_int_equal(histogram_bucket(5000), 218);
	assert_int_equal(histogram_bucket(60000), 281);
	assert_int_equal(histogram_bucket(INT64_C(1000000000000)), HISTOGRAM_BUCKETS - 1);
	assert_int_equal(histogram_value_ms(0), 0);
	assert_int_equal(histogram_value_ms(18), 2);
	assert_int_equal(histogram_value_ms(218), 5066);
	assert_int_equal(histogram_value_ms(281), 59947);
	assert_int_equal(histogram_value_ms(385), 3541893);
	assert_int_equal(histogram_value_ms(HISTOGRAM_BUCKETS - 1), INT64_C(6103373181));
}

/* Every time up to the last bucket's lies within 2% of its bucket's value, and buckets only rise. */
static void test_bucket_error_bound(void **state)
{
	size_t prev = 0;

	(void)state;
	for (int64_t v = 0; v < 200000; v++) {
		size_t b = histogram_bucket(v);

		assert_true(b >= prev);
		prev = b;
		if (v > 1)
			assert_within_2pct(histogram_value_ms(b), v);
	}
	srand48(7);
	for (int i = 0; i < 100000; i++) {
		int64_t v = rnd_in(2, INT64_C(6000000000));

		assert_within_2pct(histogram_value_ms(histogram_bucket(v)), v);
	}
}

/* p50 and p90 of random data are within 2% of the exact nearest-rank ones, over many seeds and sizes. */
static void test_quantiles_against_exact(void **state)
{
	static int64_t times[SAMPLES], counts[HISTOGRAM_BUCKETS];

	(void)state;
	for (uint64_t seed = 1; seed <= 60; seed++) {
		int64_t n = 1 + (int64_t)(seed * 83 % SAMPLES);
		int shape = (int)(seed % 3);

		srand48((long)(seed * 2654435761u));
		memset(counts, 0, sizeof(counts));
		for (int64_t i = 0; i < n; i++) {
			times[i] = rnd_time(shape);
			counts[histogram_bucket(times[i])]++;
		}
		qsort(times, (size_t)n, sizeof(times[0]), cmp_i64);
		/* nearest rank: the ceil(n p)-th smallest */
		assert_within_2pct(histogram_quantile_ms(counts, n, 500), times[(n + 1) / 2 - 1]);
		assert_within_2pct(histogram_quantile_ms(counts, n, 900), times[(9 * n + 9) / 10 - 1]);
	}
}

/* The ranks by hand: ten times 1..10 s; one time; p90 of 10 is the 9th. */
static void test_quantile_ranks(void **state)
{
	static int64_t counts[HISTOGRAM_BUCKETS];

	(void)state;
	for (int64_t s = 1; s <= 10; s++)
		counts[histogram_bucket(s * 1000)]++;
	assert_int_equal(histogram_quantile_ms(counts, 10, 500), histogram_value_ms(histogram_bucket(5000)));
	assert_int_equal(histogram_quantile_ms(counts, 10, 900), histogram_value_ms(histogram_bucket(9000)));
	assert_int_equal(histogram_quantile_ms(counts, 10, 900), 9124);
	memset(counts, 0, sizeof(counts));
	counts[histogram_bucket(60000)] = 1;
	assert_int_equal(histogram_quantile_ms(counts, 1, 500), 59947);
	assert_int_equal(histogram_quantile_ms(counts, 1, 900), 59947);
}

/* The windows' percentiles are those of the times whose bucket counts in each window. */
static void test_windows_match_model(void **state)
{
	struct windows ws;
	struct rolling_plan plan;
	struct histogram h = {NULL};
	static int64_t ts[SAMPLES], ms[SAMPLES], counts[HISTOGRAM_BUCKETS];
	struct histogram_summary got[WINDOWS_MAX];
	int n = 0;

	(void)state;
	assert_true(windows_parse("1h,24h,7d", &ws, NULL, 0));
	assert_true(histogram_plan_init(&plan, &ws));
	/* Add with the model alongside, then compare every window at several nows. */
	srand48(4242);
	n = 0;
	for (int step = 0; step < 30; step++) {
		int64_t now = T0 + step * 47 * MIN_MS;

		for (int i = 0; i < 60 && n < SAMPLES; i++) {
			int64_t at = now - rnd_in(0, 8 * DAY_MS), v = rnd_time(i % 3);
			bool counted = false;

			for (size_t w = 0; w < plan.tiers; w++)
				counted |= at / plan.gran_ms[w] * plan.gran_ms[w] >= now - plan.span_ms[w];
			assert_int_equal(histogram_add(&h, &plan, now, at, v), counted);
			if (counted) {
				ts[n] = at;
				ms[n++] = v;
			}
		}
		if (step % 3 == 0)
			histogram_advance(&h, &plan, now);
		histogram_summarize(&h, &plan, now, got, NULL);
		for (size_t w = 0; w < plan.tiers; w++) {
			int64_t k = 0;

			memset(counts, 0, sizeof(counts));
			for (int i = 0; i < n; i++)
				if (ts[i] / plan.gran_ms[w] * plan.gran_ms[w] >= now - plan.span_ms[w]) {
					counts[histogram_bucket(ms[i])]++;
					k++;
				}
			assert_int_equal(got[w].n, k);
			if (k == 0)
				continue;
			assert_int_equal(got[w].p50_ms, histogram_quantile_ms(counts, k, 500));
			assert_int_equal(got[w].p90_ms, histogram_quantile_ms(counts, k, 900));
		}
	}
	histogram_free(&h);
}

/* Two histograms merged summarize as one that had every time: the site's is its teams'. */
static void test_merge_from(void **state)
{
	struct windows ws;
	struct rolling_plan plan;
	struct histogram a = {NULL}, b = {NULL}, all = {NULL};
	struct histogram_summary want[WINDOWS_MAX], got[WINDOWS_MAX];

	(void)state;
	assert_true(windows_parse("1h,24h,7d", &ws, NULL, 0));
	assert_true(histogram_plan_init(&plan, &ws));
	srand48(5);
	for (int i = 0; i < 3000; i++) {
		int64_t at = T0 - rnd_in(0, 6 * DAY_MS), v = rnd_time(i % 3);

		assert_true(histogram_add(i % 2 ? &a : &b, &plan, T0, at, v));
		assert_true(histogram_add(&all, &plan, T0, at, v));
	}
	assert_true(histogram_merge_from(&a, &b, &plan, T0 + MIN_MS));
	histogram_summarize(&all, &plan, T0 + MIN_MS, want, NULL);
	histogram_summarize(&a, &plan, T0 + MIN_MS, got, NULL);
	assert_memory_equal(got, want, sizeof(want));
	assert_int_equal(got[2].n, 3000);
	histogram_free(&a);
	histogram_free(&b);
	histogram_free(&all);
}

/*
 * Times listed as counts (a group's partial's), summed per bucket and time and added at a
 * later now, summarize as each time added: those out of every window by then are dropped.
 */
static void test_add_counts(void **state)
{
	struct windows ws;
	struct rolling_plan plan;
	struct histogram h = {NULL}, all = {NULL};
	struct histogram_summary want[WINDOWS_MAX], got[WINDOWS_MAX];
	struct histogram_count c[2000];
	size_t n;

	(void)state;
	assert_true(windows_parse("1h,24h,7d", &ws, NULL, 0));
	assert_true(histogram_plan_init(&plan, &ws));
	srand48(9);
	for (int i = 0; i < 2000; i++) {
		int64_t at = T0 - rnd_in(0, 7 * DAY_MS), v = i % 4 == 0 ? 500 : rnd_time(i % 3);

		c[i] = (struct histogram_count){at, (uint32_t)histogram_bucket(v), 1};
		(void)histogram_add(&all, &plan, T0 + HOUR_MS, at, v);
	}
	n = histogram_counts_sort(c, 2000, &plan);
	assert_true(n < 2000);
	for (size_t i = 1; i < n; i++)
		assert_true(c[i - 1].bucket / HISTOGRAM_RANGE < c[i].bucket / HISTOGRAM_RANGE ||
		    (c[i - 1].bucket / HISTOGRAM_RANGE == c[i].bucket / HISTOGRAM_RANGE &&
		    (c[i - 1].ts < c[i].ts || (c[i - 1].ts == c[i].ts && c[i - 1].bucket < c[i].bucket))));
	assert_true(histogram_add_counts(&h, &plan, T0 + HOUR_MS, c, n));
	histogram_summarize(&all, &plan, T0 + HOUR_MS, want, NULL);
	histogram_summarize(&h, &plan, T0 + HOUR_MS, got, NULL);
	assert_memory_equal(got, want, sizeof(want));
	assert_true(got[2].n > 0 && got[2].n < 2000);
	histogram_free(&h);
	histogram_free(&all);
}

/* A histogram packed and unpacked summarizes the same; malformed arrays are refused. */
static void test_pack_roundtrip(void **state)
{
	struct windows ws;
	struct rolling_plan plan;
	struct histogram h = {NULL}, got = {NULL};
	struct histogram_summary a[WINDOWS_MAX], b[WINDOWS_MAX];
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	size_t off = 0;

	(void)state;
	assert_true(windows_parse("1h,24h", &ws, NULL, 0));
	assert_true(histogram_plan_init(&plan, &ws));
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	/* an empty one: an empty array */
	assert_true(histogram_pack(&pk, &h, &plan));
	for (int64_t v = 10; v < 100000000; v = v * 3 + 7)
		assert_true(histogram_add(&h, &plan, T0, T0 - v / 1000, v));
	assert_true(histogram_pack(&pk, &h, &plan));
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.via.array.size, 0);
	assert_true(histogram_unpack(&u.data, &got, &plan));
	assert_null(got.ranges);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, &off), MSGPACK_UNPACK_SUCCESS);
	assert_true(u.data.via.array.size >= 4);
	assert_true(histogram_unpack(&u.data, &got, &plan));
	histogram_summarize(&h, &plan, T0, a, NULL);
	histogram_summarize(&got, &plan, T0, b, NULL);
	assert_memory_equal(a, b, sizeof(a));
	assert_true(a[0].n > 10);
	/* ranges out of order: refused, got unchanged */
	msgpack_object first = u.data.via.array.ptr[0];
	u.data.via.array.ptr[0] = u.data.via.array.ptr[2];
	u.data.via.array.ptr[2] = first;
	assert_false(histogram_unpack(&u.data, &got, &plan));
	histogram_summarize(&got, &plan, T0, b, NULL);
	assert_memory_equal(a, b, sizeof(a));
	/* an odd length */
	u.data.via.array.size = 3;
	assert_false(histogram_unpack(&u.data, &got, &plan));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	histogram_free(&h);
	histogram_free(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_by_hand),
		cmocka_unit_test(test_bucket_error_bound),
		cmocka_unit_test(test_quantiles_against_exact),
		cmocka_unit_test(test_quantile_ranks),
		cmocka_unit_test(test_windows_match_model),
		cmocka_unit_test(test_merge_from),
		cmocka_unit_test(test_add_counts),
		cmocka_unit_test(test_pack_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
