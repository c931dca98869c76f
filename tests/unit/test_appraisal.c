/* test_appraisal.c: a month's counts from events' increments, the months counted, merging, figures, records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "appraisal.h"
#include "histogram.h"
#include "stats.h"

#define NOV ((month_t)(2026 * 12 + 10))
#define OCT (NOV - 1)
#define SEP (NOV - 2)
#define DEC (NOV + 1)

/* Increments of the events the tests count (as agent_incs_of and a reply clock make them). */
static const struct rolling_inc sat5[] = {{C_RATINGS, 1}, {C_S5, 1}, {C_SATISFIED, 1}, {C_SCORE_SUM, 5}, {C_TOP, 1}};
static const struct rolling_inc neutral5[] = {{C_RATINGS, 1}, {C_S5, 1}, {C_NEUTRAL, 1}, {C_SCORE_SUM, 3}};
static const struct rolling_inc dis5[] = {{C_RATINGS, 1}, {C_S5, 1}, {C_DISSATISFIED, 1}, {C_SCORE_SUM, 1}};
static const struct rolling_inc pro10[] = {{C_RATINGS, 1}, {C_N10, 1}, {C_PROMOTERS, 1}, {C_TOP, 1}};
static const struct rolling_inc det10[] = {{C_RATINGS, 1}, {C_N10, 1}, {C_DETRACTORS, 1}};
static const struct rolling_inc complaint[] = {{C_COMPLAINTS, 1}};
static const struct rolling_inc reply[] = {{C_REPLIES, 1}};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* A reply clock closed in ms, within its target or not. */
static void count_answer(struct appraisal *ap, month_t m, int64_t ms, bool met)
{
	const struct rolling_inc incs[] = {{C_RESP_N, 1}, {C_RESP_SUM_MS, ms}, {C_RESP_MAX_MS, ms},
	    {met ? C_SLA_MET : C_SLA_MISSED, 1}};

	assert_true(appraisal_count(ap, NOV, m, incs, N(incs), 0));
}

/* Figure i of the view of month m; fails when it has no value. */
static int64_t figure(const struct appraisal *ap, month_t now, month_t m, const char *field)
{
	struct appraisal_view v[APPRAISAL_MONTHS];
	size_t n = appraisal_views(ap, now, v);

	for (size_t k = 0; k < n; k++) {
		if (v[k].month != m)
			continue;
		for (int i = 0; i < APPRAISAL_FIGURES; i++)
			if (strcmp(appraisal_figure_name(i), field) == 0) {
				assert_true(v[k].have[i]);
				return v[k].value[i];
			}
	}
	fail_msg("month %d has no %s", (int)m, field);
	return 0;
}

/* Whether month m shows figure field. */
static bool has(const struct appraisal *ap, month_t now, month_t m, const char *field)
{
	struct appraisal_view v[APPRAISAL_MONTHS];
	size_t n = appraisal_views(ap, now, v);

	for (size_t k = 0; k < n; k++)
		for (int i = 0; v[k].month == m && i < APPRAISAL_FIGURES; i++)
			if (strcmp(appraisal_figure_name(i), field) == 0)
				return v[k].have[i];
	return false;
}

/*
 * November: 3 served, 7 ratings (3 of 5 of 5, a 3, a 1, a 10 and a 2 of 10), 2 complaints,
 * ten answers of 10 s .. 100 s (8 met, 2 missed): every figure, by hand.
 */
static void fill_november(struct appraisal *ap)
{
	for (int i = 0; i < 3; i++)
		assert_true(appraisal_count(ap, NOV, NOV, sat5, N(sat5), 1));
	assert_true(appraisal_count(ap, NOV, NOV, neutral5, N(neutral5), 0));
	assert_true(appraisal_count(ap, NOV, NOV, dis5, N(dis5), 0));
	assert_true(appraisal_count(ap, NOV, NOV, pro10, N(pro10), 0));
	assert_true(appraisal_count(ap, NOV, NOV, det10, N(det10), 0));
	assert_true(appraisal_count(ap, NOV, NOV, complaint, N(complaint), 0));
	assert_true(appraisal_count(ap, NOV, NOV, complaint, N(complaint), 0));
	for (int i = 1; i <= 10; i++)
		count_answer(ap, NOV, i * 10000, i <= 8);
}

/* The figures of one month, each worked out by hand. */
static void test_figures(void **state)
{
	struct appraisal ap;

	(void)state;
	for (int i = 0; i < APPRAISAL_FIGURES; i++)
		assert_true(strlen(appraisal_figure_name(i)) <= APPRAISAL_NAME_MAX);
	memset(&ap, 0, sizeof(ap));
	fill_november(&ap);
	/* a reply moves no appraisal counter: nothing changes */
	assert_false(appraisal_count(&ap, NOV, NOV, reply, N(reply), 0));
	assert_int_equal(figure(&ap, NOV, NOV, "served"), 3);
	assert_int_equal(figure(&ap, NOV, NOV, "ratings"), 7);
	assert_int_equal(figure(&ap, NOV, NOV, "positive_rate"), 571);  /* 4 of 7 (3 fives, the 10) */
	assert_int_equal(figure(&ap, NOV, NOV, "dsat_rate"), 286);      /* 2 of 7 (the 1, the 2 of 10) */
	assert_int_equal(figure(&ap, NOV, NOV, "complaints"), 2);
	assert_int_equal(figure(&ap, NOV, NOV, "complaint_rate"), 667); /* 2 per 3 served */
	assert_int_equal(figure(&ap, NOV, NOV, "reply_sla_met"), 8);
	assert_int_equal(figure(&ap, NOV, NOV, "reply_sla_missed"), 2);
	/* nearest rank: the 5th and 9th of ten, 50 s and 90 s, as their buckets stand for them (1.04^b) */
	assert_int_equal(histogram_value_ms(histogram_bucket(50000)), 49272);
	assert_int_equal(figure(&ap, NOV, NOV, "resp_p50_s"), 49);
	assert_int_equal(histogram_value_ms(histogram_bucket(90000)), 88736);
	assert_int_equal(figure(&ap, NOV, NOV, "resp_p90_s"), 89);
	appraisal_free(&ap);
}

/* Without ratings, served tickets or times the shares and percentiles have no value; counts are 0. */
static void test_undefined(void **state)
{
	struct appraisal ap;

	(void)state;
	memset(&ap, 0, sizeof(ap));
	assert_true(appraisal_count(&ap, NOV, NOV, complaint, N(complaint), 0));
	assert_int_equal(figure(&ap, NOV, NOV, "complaints"), 1);
	assert_int_equal(figure(&ap, NOV, NOV, "served"), 0);
	assert_int_equal(figure(&ap, NOV, NOV, "ratings"), 0);
	assert_false(has(&ap, NOV, NOV, "positive_rate"));
	assert_false(has(&ap, NOV, NOV, "dsat_rate"));
	assert_false(has(&ap, NOV, NOV, "complaint_rate"));
	assert_false(has(&ap, NOV, NOV, "resp_p50_s"));
	assert_false(has(&ap, NOV, NOV, "resp_p90_s"));
	appraisal_free(&ap);
}

/*
 * The current month, the one before and the one after are counted; others are not; a new
 * month takes the slot of one no longer counted, and one no longer counted is not shown.
 */
static void test_months_counted(void **state)
{
	struct appraisal ap;
	struct appraisal_view v[APPRAISAL_MONTHS];

	(void)state;
	memset(&ap, 0, sizeof(ap));
	assert_true(appraisal_count(&ap, NOV, NOV, sat5, N(sat5), 1));
	assert_true(appraisal_count(&ap, NOV, OCT, dis5, N(dis5), 0));
	assert_true(appraisal_count(&ap, NOV, DEC, pro10, N(pro10), 0));
	assert_false(appraisal_count(&ap, NOV, SEP, dis5, N(dis5), 0));
	assert_false(appraisal_count(&ap, NOV, DEC + 1, dis5, N(dis5), 0));
	assert_int_equal(appraisal_views(&ap, NOV, v), 3);
	assert_int_equal(v[0].month, OCT);
	assert_int_equal(v[1].month, NOV);
	assert_int_equal(v[2].month, DEC);
	assert_int_equal(figure(&ap, NOV, OCT, "dsat_rate"), 1000);
	assert_int_equal(figure(&ap, NOV, NOV, "positive_rate"), 1000);
	assert_int_equal(figure(&ap, NOV, DEC, "positive_rate"), 1000);
	/* December: October is no longer shown, and January's counts take its slot */
	assert_int_equal(appraisal_views(&ap, DEC, v), 2);
	assert_int_equal(v[0].month, NOV);
	assert_true(appraisal_count(&ap, DEC, DEC + 1, complaint, N(complaint), 0));
	assert_false(appraisal_count(&ap, DEC, OCT, complaint, N(complaint), 0));
	assert_int_equal(figure(&ap, DEC, DEC + 1, "complaints"), 1);
	assert_int_equal(figure(&ap, DEC, NOV, "served"), 1);
	assert_int_equal(figure(&ap, DEC, DEC, "ratings"), 1);
	assert_int_equal(appraisal_closed(NOV), DEC + 1);
	assert_false(appraisal_counted(NOV, appraisal_closed(NOV)));
	assert_true(appraisal_counted(NOV, appraisal_closed(NOV) - 1));
	/* February: only January; advancing frees the rest */
	appraisal_advance(&ap, DEC + 2);
	assert_int_equal(appraisal_views(&ap, DEC + 2, v), 1);
	assert_int_equal(v[0].month, DEC + 1);
	assert_false(appraisal_empty(&ap));
	appraisal_advance(&ap, DEC + 3);
	assert_true(appraisal_empty(&ap));
	appraisal_free(&ap);
}

/* Two owners' months merged are the months of all their events (a team of two agents). */
static void test_merge(void **state)
{
	struct appraisal a, b, team;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&team, 0, sizeof(team));
	fill_november(&a);
	assert_true(appraisal_count(&b, NOV, NOV, det10, N(det10), 2));
	assert_true(appraisal_count(&b, NOV, OCT, sat5, N(sat5), 1));
	count_answer(&b, NOV, 200000, false);
	assert_true(appraisal_merge(&team, &a, NOV));
	assert_true(appraisal_merge(&team, &b, NOV));
	assert_int_equal(figure(&team, NOV, NOV, "served"), 5);
	assert_int_equal(figure(&team, NOV, NOV, "ratings"), 8);
	assert_int_equal(figure(&team, NOV, NOV, "dsat_rate"), 375);      /* 3 of 8 */
	assert_int_equal(figure(&team, NOV, NOV, "complaint_rate"), 400); /* 2 per 5 served */
	assert_int_equal(figure(&team, NOV, NOV, "reply_sla_missed"), 3);
	assert_int_equal(figure(&team, NOV, NOV, "resp_p50_s"), 60);      /* 6th of 11: 60 s, bucket 59.947 s */
	assert_int_equal(figure(&team, NOV, NOV, "resp_p90_s"), 100);     /* 10th of 11: 100 s, bucket 99.816 s */
	assert_int_equal(figure(&team, NOV, OCT, "served"), 1);
	/* merged in December, October's counts are no longer counted */
	appraisal_free(&team);
	assert_true(appraisal_merge(&team, &b, DEC));
	assert_int_equal(figure(&team, DEC, NOV, "served"), 2);
	assert_false(has(&team, DEC, OCT, "served"));
	appraisal_free(&team);
	appraisal_free(&a);
	appraisal_free(&b);
}

/* Packs ap and unpacks it into out; returns whether unpack took it. */
static bool round_trip(const struct appraisal *ap, struct appraisal *out)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	msgpack_unpacked u;
	bool ok;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(appraisal_pack(&pk, ap));
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	ok = appraisal_unpack(&u.data, out);
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

/* A record round-trips; one whose times disagree with their count, or are out of order, is refused and changes nothing. */
static void test_record(void **state)
{
	struct appraisal ap, got;
	struct appraisal_month *nov;

	(void)state;
	memset(&ap, 0, sizeof(ap));
	memset(&got, 0, sizeof(got));
	fill_november(&ap);
	assert_true(appraisal_count(&ap, NOV, OCT, pro10, N(pro10), 1));
	for (nov = ap.m; nov->month != NOV; nov++)
		assert_true(nov < ap.m + APPRAISAL_MONTHS - 1);
	assert_true(round_trip(&ap, &got));
	for (int i = 0; i < APPRAISAL_FIGURES; i++) {
		const char *f = appraisal_figure_name(i);

		assert_int_equal(figure(&got, NOV, NOV, f), figure(&ap, NOV, NOV, f));
		assert_int_equal(has(&got, NOV, OCT, f), has(&ap, NOV, OCT, f));
	}
	/* a count of times that is not the times' */
	nov->c[AP_RESP_N]++;
	assert_false(round_trip(&ap, &got));
	nov->c[AP_RESP_N]--;
	/* buckets out of order */
	struct appraisal_time t = nov->times[0];
	nov->times[0] = nov->times[1];
	nov->times[1] = t;
	assert_false(round_trip(&ap, &got));
	assert_int_equal(figure(&got, NOV, NOV, "ratings"), 7);
	/* empty */
	appraisal_free(&ap);
	assert_true(round_trip(&ap, &got));
	assert_true(appraisal_empty(&got));
	appraisal_free(&got);
}

/* Runs the appraisal tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_figures),
		cmocka_unit_test(test_undefined),
		cmocka_unit_test(test_months_counted),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_record),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
