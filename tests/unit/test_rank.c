/* test_rank.c: the fair rankings' scores: confidence bounds worked out by hand, sample gating, order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "rank.h"

static struct rule_config rules[RULE_COUNT];

/* The built-in rules over the default windows: min_samples 20, confidence 0.95. */
static int setup(void **state)
{
	struct windows ws;

	(void)state;
	assert_true(windows_parse("1h,24h,7d,30d", &ws, NULL, 0));
	for (int id = 0; id < RULE_COUNT; id++)
		rule_defaults((enum rule_id)id, &ws, &rules[id]);
	return 0;
}

/* Totals of s5 scale-5 ratings, sat of them satisfied, and cmp complaints over rep replies. */
static struct totals totals(int64_t sat, int64_t s5, int64_t cmp, int64_t rep)
{
	struct totals t;

	memset(&t, 0, sizeof(t));
	t.c[C_SATISFIED] = sat;
	t.c[C_S5] = s5;
	t.c[C_COMPLAINTS] = cmp;
	t.c[C_REPLIES] = rep;
	return t;
}

/*
 * Wilson bounds by hand (python: p = k/n, z = 1.959964, (p + z^2/2n -+ z sqrt(p(1-p)/n +
 * z^2/4n^2)) / (1 + z^2/n)): 20/20 -> 0.8389 lower; 18/25 -> 0.5242 lower; 3/40 -> 0.1986 upper.
 */
static void test_scores_by_hand(void **state)
{
	struct totals t;

	(void)state;
	t = totals(20, 20, 0, 0);
	assert_int_equal(rank_score(RANK_CSAT_LOWER, rules, &t), 8389);
	t = totals(18, 25, 3, 40);
	assert_int_equal(rank_score(RANK_CSAT_LOWER, rules, &t), 5242);
	assert_int_equal(rank_score(RANK_COMPLAINT_RATE_UPPER, rules, &t), 1986);
	assert_string_equal(rank_name(RANK_CSAT_LOWER), "csat_lower");
	assert_string_equal(rank_name(RANK_NPS_LOWER), "nps_lower");
	assert_string_equal(rank_name(RANK_COMPLAINT_RATE_UPPER), "complaint_rate_upper");
	assert_null(rank_name(RANK_COUNT));
}

/* Fewer samples than the rule's min_samples: not ranked; the rule's setting decides. */
static void test_min_samples(void **state)
{
	struct rule_config r[RULE_COUNT];
	struct totals t = totals(3, 3, 0, 19);

	(void)state;
	assert_true(rank_score(RANK_CSAT_LOWER, rules, &t) == RANK_NONE);
	assert_true(rank_score(RANK_COMPLAINT_RATE_UPPER, rules, &t) == RANK_NONE);
	assert_true(rank_score(RANK_NPS_LOWER, rules, &t) == RANK_NONE);
	memcpy(r, rules, sizeof(r));
	r[RULE_CSAT_BELOW].min_samples = 3;
	/* 3 of 3: the lower bound is 43.85, not 100 */
	assert_int_equal(rank_score(RANK_CSAT_LOWER, r, &t), 4385);
}

/*
 * The point of it: 3 perfect ratings rank below 95 of 100; one bad day of 4 ratings does not
 * put a long good record under a short one; fewer complaints on more replies rank better.
 */
static void test_fair_order(void **state)
{
	struct rule_config r[RULE_COUNT];
	struct totals few = totals(3, 3, 0, 0), many = totals(95, 100, 0, 0);
	struct totals record = totals(180, 204, 0, 0), short_run = totals(20, 21, 0, 0);
	struct totals a = totals(0, 0, 1, 200), b = totals(0, 0, 0, 25);

	(void)state;
	memcpy(r, rules, sizeof(r));
	r[RULE_CSAT_BELOW].min_samples = 1;
	r[RULE_COMPLAINT_RATE_ABOVE].min_samples = 1;
	assert_true(rank_score(RANK_CSAT_LOWER, r, &few) < rank_score(RANK_CSAT_LOWER, r, &many));
	/* 180/204 = 88.2% (4 bad ratings in it) against 20/21 = 95.2%: the record ranks first */
	assert_true(rank_score(RANK_CSAT_LOWER, r, &record) > rank_score(RANK_CSAT_LOWER, r, &short_run));
	/* 1 complaint in 200 replies beats none in 25 on the upper bound */
	assert_true(rank_score(RANK_COMPLAINT_RATE_UPPER, r, &a) < rank_score(RANK_COMPLAINT_RATE_UPPER, r, &b));
}

/* NPS: the lower bound lies below the raw NPS and within -100..100. */
static void test_nps(void **state)
{
	struct totals t;
	int64_t s;

	(void)state;
	memset(&t, 0, sizeof(t));
	t.c[C_N10] = 40;
	t.c[C_PROMOTERS] = 30;
	t.c[C_DETRACTORS] = 4;
	s = rank_score(RANK_NPS_LOWER, rules, &t);
	assert_true(s < 6500 && s > -10000);
	t.c[C_N10] = 10;
	assert_true(rank_score(RANK_NPS_LOWER, rules, &t) == RANK_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scores_by_hand),
		cmocka_unit_test(test_min_samples),
		cmocka_unit_test(test_fair_order),
		cmocka_unit_test(test_nps),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
