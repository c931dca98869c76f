/* test_rolling_plan.c: the tiers laid out over the windows, and what cannot be laid out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rolling_plan.h"

#define DAY_MS INT64_C(86400000)

static uint64_t seed;

/* A number in [lo, hi] from a 64-bit LCG (Knuth's MMIX constants), the same run after run. */
static int64_t rnd_in(int64_t lo, int64_t hi)
{
	seed = seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return lo + (int64_t)((seed >> 16) % (uint64_t)(hi - lo + 1));
}

/* Tier granularities: the documented ones for the default windows, and the rules for any. */
static void test_granularity(void **state)
{
	struct rolling_plan p;
	struct windows ws;
	static const int64_t want[] = { 36000, 864000, 6048000, 24192000 };
	enum rolling_kind kinds[1] = { ROLLING_SUM };

	(void)state;
	assert_true(windows_parse("1h,24h,7d,30d", &ws, NULL, 0));
	assert_true(rolling_plan_init(&p, &ws, 1, kinds));
	assert_int_equal(p.tiers, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(p.gran_ms[i], want[i]);
	seed = 99;
	for (int round = 0; round < 2000; round++) {
		memset(&ws, 0, sizeof ws);
		ws.count = (size_t)rnd_in(1, WINDOWS_MAX);
		for (size_t i = 0; i < ws.count; i++)
			ws.w[i].span_ms = (i > 0 ? ws.w[i - 1].span_ms : 99) + rnd_in(1, rnd_in(0, 2) == 0 ? 1000 : 40 * DAY_MS);
		assert_true(rolling_plan_init(&p, &ws, 1, kinds));
		assert_int_equal(86400000 % p.gran_ms[0], 0);
		/* The largest divisor of a day within 1% of the shortest span. */
		for (int64_t d = 1; d * d <= 86400000; d++) {
			int64_t pair[2] = { d, 86400000 / d };

			for (int k = 0; k < 2; k++)
				if (86400000 % d == 0 && pair[k] > p.gran_ms[0] && pair[k] <= ws.w[0].span_ms / 100)
					fail_msg("span %lld: gran %lld but %lld divides a day", (long long)ws.w[0].span_ms,
					    (long long)p.gran_ms[0], (long long)pair[k]);
		}
		for (size_t i = 0; i < ws.count; i++) {
			assert_true(p.gran_ms[i] >= 1);
			assert_true(p.gran_ms[i] * 100 <= ws.w[i].span_ms);
			if (i > 0) {
				assert_int_equal(p.gran_ms[i] % p.gran_ms[i - 1], 0);
				assert_true((p.gran_ms[i] + p.gran_ms[i - 1]) * 100 > ws.w[i].span_ms);
			}
		}
	}
}

/* plan_init refuses what it cannot lay out. */
static void test_plan_rejects(void **state)
{
	struct windows ws;
	struct rolling_plan p;
	enum rolling_kind kinds[ROLLING_SLOTS_MAX + 1];

	(void)state;
	for (size_t s = 0; s <= ROLLING_SLOTS_MAX; s++)
		kinds[s] = ROLLING_SUM;
	assert_true(windows_parse("1h,24h", &ws, NULL, 0));
	assert_true(rolling_plan_init(&p, &ws, ROLLING_SLOTS_MAX, kinds));
	assert_false(rolling_plan_init(&p, &ws, 0, kinds));
	assert_false(rolling_plan_init(&p, &ws, ROLLING_SLOTS_MAX + 1, kinds));
	kinds[3] = (enum rolling_kind)7;
	assert_false(rolling_plan_init(&p, &ws, 4, kinds));
	assert_true(rolling_plan_init(&p, &ws, 3, kinds));
	kinds[3] = ROLLING_SUM;
	ws.w[1].span_ms = ws.w[0].span_ms; /* not ascending */
	assert_false(rolling_plan_init(&p, &ws, 1, kinds));
	ws.count = 1;
	ws.w[0].span_ms = 99;              /* under 1 ms of granularity */
	assert_false(rolling_plan_init(&p, &ws, 1, kinds));
	ws.w[0].span_ms = 100;
	assert_true(rolling_plan_init(&p, &ws, 1, kinds));
	assert_int_equal(p.gran_ms[0], 1);
	ws.count = 0;
	assert_false(rolling_plan_init(&p, &ws, 1, kinds));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_granularity),
	    cmocka_unit_test(test_plan_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
