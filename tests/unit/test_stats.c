/* test_stats.c: rounding, fixed-point text, each figure, and the rendered fields. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "stats.h"

/* The counter names in enum order, as apply.lua spells them. */
static void
test_counter_names(void **state)
{
	static const char *const want[COUNTER_COUNT] = {
		"r", "s5", "sat", "neu", "dis", "ssum", "n10", "pro",
		"det", "cmp", "rep", "rn", "rsum", "rmax", "met", "miss",
		"frn", "frsum", "frmax", "frmet", "frmiss", "nrmax",
		"rsn", "rssum", "rsmax", "rsmet", "rsmiss", "pkept", "pbroken",
		"rcrated", "rcsat", "fumiss", "top", "quick"
	};

	(void)state;
	for (int c = 0; c < COUNTER_COUNT; c++)
		assert_string_equal(stats_counter_name((enum counter)c), want[c]);
	assert_string_equal(stats_counter_name(C_SATISFIED), "sat");
	assert_string_equal(stats_counter_name(C_SLA_MISSED), "miss");
	assert_string_equal(stats_counter_name(C_PROMISE_BROKEN), "pbroken");
	assert_string_equal(stats_counter_name(C_FOLLOW_UP_MISSING), "fumiss");
	assert_null(stats_counter_name(COUNTER_COUNT));
}

/* The maxima are the four ..._MAX_MS counters; every other counter is a sum. */
static void
test_counter_is_max(void **state)
{
	int	n = 0;

	(void)state;
	for (int c = 0; c < COUNTER_COUNT; c++)
		n += stats_counter_is_max((enum counter)c);
	assert_int_equal(n, 4);
	assert_true(stats_counter_is_max(C_RESP_MAX_MS));
	assert_true(stats_counter_is_max(C_FIRST_MAX_MS));
	assert_true(stats_counter_is_max(C_NEXT_MAX_MS));
	assert_true(stats_counter_is_max(C_RES_MAX_MS));
	assert_false(stats_counter_is_max(C_RESP_SUM_MS));
}

struct div_case {
	int64_t	num, den, want;
};

static const struct div_case div_cases[] = {
	{ 0, 1, 0 },
	{ 0, 7, 0 },
	{ 10, 5, 2 },
	{ -10, 5, -2 },
	{ 1, 3, 0 },
	{ -1, 3, 0 },
	{ 4, 3, 1 },
	{ -4, 3, -1 },
	{ 5, 3, 2 },
	{ -5, 3, -2 },
	/* Exact halves go away from zero, on both sides. */
	{ 1, 2, 1 },
	{ -1, 2, -1 },
	{ 5, 2, 3 },
	{ -5, 2, -3 },
	{ 7, 2, 4 },
	{ -7, 2, -4 },
	{ 1500, 1000, 2 },
	{ -1500, 1000, -2 },
	{ 2500, 1000, 3 },
	{ 1499, 1000, 1 },
	{ 1000, 8, 125 },
	{ 500, 8, 63 },
	{ -500, 8, -63 },
	{ 2000, 3, 667 },
	{ -2000, 3, -667 },
	{ 18000, 25, 720 },
	/* No overflow near the edges of int64_t. */
	{ INT64_MAX, INT64_MAX, 1 },
	{ INT64_MAX, 2, INT64_C(4611686018427387904) },
	{ INT64_MIN, 2, INT64_C(-4611686018427387904) },
	{ INT64_MIN + 1, 2, INT64_C(-4611686018427387904) },
	{ INT64_C(4611686018427387904), INT64_MAX, 1 },
	{ INT64_C(4611686018427387903), INT64_MAX, 0 },
	{ INT64_C(-4611686018427387904), INT64_MAX, -1 },
	{ INT64_C(-4611686018427387903), INT64_MAX, 0 },
	{ INT64_MIN, INT64_MAX, -1 },
	/* A bad denominator is a caller bug; it must not trap. */
	{ 5, 0, 0 },
	{ 5, -1, 0 },
};

/* Every row of the rounding table. */
static void
test_div_round(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof div_cases / sizeof div_cases[0]; i++) {
		const struct div_case	*c = &div_cases[i];
		int64_t			 got = stats_div_round(c->num, c->den);

		if (got != c->want)
			fail_msg("%lld/%lld = %lld, want %lld", (long long)c->num,
			    (long long)c->den, (long long)got, (long long)c->want);
	}
}

struct fixed_case {
	int64_t		 scaled;
	int		 decimals;
	const char	*want;
};

static const struct fixed_case fixed_cases[] = {
	{ 725, 1, "72.5" },
	{ -35, 1, "-3.5" },
	{ -5, 1, "-0.5" },
	{ 412, 2, "4.12" },
	{ 7, 2, "0.07" },
	{ -7, 2, "-0.07" },
	{ 100, 0, "100" },
	{ -3, 0, "-3" },
	{ 0, 0, "0" },
	{ 0, 1, "0.0" },
	{ 0, 2, "0.00" },
	{ 720, 1, "72.0" },
	{ 1000, 1, "100.0" },
	{ -1000, 1, "-100.0" },
	{ 5, 3, "0.005" },
	{ 400, 2, "4.00" },
	{ INT64_MAX, 3, "9223372036854775.807" },
	{ INT64_MIN, 0, "-9223372036854775808" },
	{ INT64_MIN, 2, "-92233720368547758.08" },
	{ 1, 18, "0.000000000000000001" },
	{ -1, 20, "-0.000000000000000001" },	/* cut to 18 decimals */
	{ 5, -1, "5" },
	{ 10, 0, "10" },
	{ 1000, 3, "1.000" },
};

/* Every row of the fixed-point table. */
static void
test_format_fixed(void **state)
{
	char	buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof fixed_cases / sizeof fixed_cases[0]; i++) {
		assert_int_equal(stats_format_fixed(fixed_cases[i].scaled,
		    fixed_cases[i].decimals, buf, sizeof buf), strlen(fixed_cases[i].want));
		assert_string_equal(buf, fixed_cases[i].want);
	}
	/* A short buffer gets a terminated prefix; the length is the whole text's. */
	assert_int_equal(stats_format_fixed(-1234, 2, buf, 4), 6);
	assert_string_equal(buf, "-12");
}

/* Totals with the given counters, all others zero. */
static struct totals
totals_of(int64_t s5, int64_t sat, int64_t ssum, int64_t n10, int64_t pro, int64_t det)
{
	struct totals	t;

	memset(&t, 0, sizeof t);
	t.c[C_S5] = s5;
	t.c[C_SATISFIED] = sat;
	t.c[C_SCORE_SUM] = ssum;
	t.c[C_N10] = n10;
	t.c[C_PROMOTERS] = pro;
	t.c[C_DETRACTORS] = det;
	return t;
}

/* CSAT = satisfied / scale-5 ratings, in tenths of a percent. */
static void
test_csat(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	t = totals_of(25, 18, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 720);		/* 72.0 */
	t = totals_of(3, 2, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 667);		/* 66.666... -> 66.7 */
	t = totals_of(8, 1, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 125);		/* 12.5 exactly */
	t = totals_of(16, 1, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 63);		/* 6.25 -> 6.3, half up */
	t = totals_of(6, 1, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 167);		/* 16.666... -> 16.7 */
	t = totals_of(5, 5, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 1000);
	t = totals_of(5, 0, 0, 0, 0, 0);
	assert_true(stats_csat_tenths(&t, &v));
	assert_int_equal(v, 0);
	/* No scale-5 ratings: no figure, out untouched; scale-10 ones do not count. */
	v = -777;
	t = totals_of(0, 0, 0, 4, 4, 0);
	assert_false(stats_csat_tenths(&t, &v));
	assert_int_equal(v, -777);
}

/* The mean scale-5 score, in hundredths. */
static void
test_score_avg(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	t = totals_of(25, 0, 103, 0, 0, 0);
	assert_true(stats_score_avg_hundredths(&t, &v));
	assert_int_equal(v, 412);		/* 4.12 */
	t = totals_of(3, 0, 14, 0, 0, 0);
	assert_true(stats_score_avg_hundredths(&t, &v));
	assert_int_equal(v, 467);		/* 4.666... -> 4.67 */
	t = totals_of(8, 0, 9, 0, 0, 0);
	assert_true(stats_score_avg_hundredths(&t, &v));
	assert_int_equal(v, 113);		/* 1.125 -> 1.13, half up */
	t = totals_of(1, 0, 5, 0, 0, 0);
	assert_true(stats_score_avg_hundredths(&t, &v));
	assert_int_equal(v, 500);
	v = -777;
	t = totals_of(0, 0, 0, 3, 0, 0);
	assert_false(stats_score_avg_hundredths(&t, &v));
	assert_int_equal(v, -777);
}

/* NPS = (promoters - detractors) / scale-10 ratings, in tenths; may be negative. */
static void
test_nps(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	t = totals_of(0, 0, 0, 10, 3, 5);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, -200);		/* -20.0 */
	t = totals_of(0, 0, 0, 3, 1, 2);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, -333);		/* -33.333... -> -33.3 */
	t = totals_of(0, 0, 0, 16, 0, 1);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, -63);		/* -6.25 -> -6.3, half away from zero */
	t = totals_of(0, 0, 0, 3, 2, 1);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, 333);
	t = totals_of(0, 0, 0, 7, 3, 2);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, 143);		/* 14.285... -> 14.3 */
	t = totals_of(0, 0, 0, 5, 5, 0);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, 1000);
	t = totals_of(0, 0, 0, 5, 0, 5);
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, -1000);
	t = totals_of(0, 0, 0, 4, 0, 0);	/* all passives */
	assert_true(stats_nps_tenths(&t, &v));
	assert_int_equal(v, 0);
	v = -777;
	t = totals_of(6, 6, 30, 0, 0, 0);
	assert_false(stats_nps_tenths(&t, &v));
	assert_int_equal(v, -777);
}

/* Complaints per 100 replies, in tenths. */
static void
test_complaint_rate(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_COMPLAINTS] = 3;
	t.c[C_REPLIES] = 40;
	assert_true(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, 75);		/* 7.5 */
	t.c[C_COMPLAINTS] = 1;
	t.c[C_REPLIES] = 3;
	assert_true(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, 333);
	t.c[C_COMPLAINTS] = 5;
	t.c[C_REPLIES] = 2;
	assert_true(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, 2500);		/* more complaints than replies */
	t.c[C_COMPLAINTS] = 1;
	t.c[C_REPLIES] = 16;
	assert_true(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, 63);		/* 6.25 -> 6.3 */
	t.c[C_COMPLAINTS] = 0;
	t.c[C_REPLIES] = 7;
	assert_true(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, 0);
	v = -777;
	t.c[C_COMPLAINTS] = 4;
	t.c[C_REPLIES] = 0;
	assert_false(stats_complaint_rate_tenths(&t, &v));
	assert_int_equal(v, -777);
}

/* Mean response time in whole seconds, one rounding of rsum / (rn * 1000). */
static void
test_resp_avg(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_RESP_N] = 1;
	t.c[C_RESP_SUM_MS] = 90500;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 91);		/* 90.5 -> 91 */
	t.c[C_RESP_N] = 2;
	t.c[C_RESP_SUM_MS] = 3000;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 2);			/* 1.5 -> 2 */
	t.c[C_RESP_SUM_MS] = 2999;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 1);			/* 1.4995 -> 1, not 1.5 -> 2 */
	t.c[C_RESP_N] = 3;
	t.c[C_RESP_SUM_MS] = 7200000;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 2400);
	t.c[C_RESP_N] = 7;
	t.c[C_RESP_SUM_MS] = 1234567;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 176);		/* 176.366... */
	t.c[C_RESP_N] = 2;
	t.c[C_RESP_SUM_MS] = 0;
	assert_true(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, 0);
	v = -777;
	t.c[C_RESP_N] = 0;
	t.c[C_RESP_SUM_MS] = 5000;
	assert_false(stats_resp_avg_s(&t, &v));
	assert_int_equal(v, -777);
}

/* Recovered share of the complaint tickets rated after the complaint; absent with none rated. */
static void
test_recovery_rate(void **state)
{
	struct totals	t;
	int64_t		v = -777;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_RECOVERED] = 0;
	assert_false(stats_recovery_rate_tenths(&t, &v));
	assert_int_equal(v, -777);
	t.c[C_RECOVERY_RATED] = 3;
	t.c[C_RECOVERED] = 1;
	assert_true(stats_recovery_rate_tenths(&t, &v));
	assert_int_equal(v, 333);		/* 33.33 */
	t.c[C_RECOVERED] = 2;
	assert_true(stats_recovery_rate_tenths(&t, &v));
	assert_int_equal(v, 667);		/* 66.67 up */
	t.c[C_RECOVERY_RATED] = 8;
	t.c[C_RECOVERED] = 1;
	assert_true(stats_recovery_rate_tenths(&t, &v));
	assert_int_equal(v, 125);		/* 12.5 exactly */
}

#define RENDER_FIELDS 37

/* The fields of one window, in order. */
struct capture {
	int	n;
	char	field[RENDER_FIELDS + 1][64];
	char	value[RENDER_FIELDS + 1][32];
	bool	present[RENDER_FIELDS + 1];
};

/* One window's fields as the stats hash has them: "<prefix>_<window>" and the figure's text. */
static void
render(const char *window, const struct totals *t, struct capture *cap)
{
	int64_t	v[STATS_FIGURES];
	bool	have[STATS_FIGURES];

	stats_figures(t, v, have);
	for (int i = 0; i < STATS_FIGURES; i++) {
		snprintf(cap->field[i], sizeof cap->field[i], "%s_%s", stats_figure_prefix(i), window);
		cap->present[i] = have[i];
		if (have[i])
			stats_format_fixed(v[i], stats_figure_decimals(i), cap->value[i],
			    sizeof cap->value[i]);
	}
	cap->n = STATS_FIGURES;
}

/* Renders t for window and compares against want[]: {field, value or NULL}. */
static void
check_render(const char *window, const struct totals *t, const char *const want[][2])
{
	struct capture	cap;

	memset(&cap, 0, sizeof cap);
	render(window, t, &cap);
	assert_int_equal(cap.n, RENDER_FIELDS);
	for (int i = 0; i < RENDER_FIELDS; i++) {
		if (strcmp(cap.field[i], want[i][0]) != 0)
			fail_msg("field %d is %s, want %s", i, cap.field[i], want[i][0]);
		if (want[i][1] == NULL) {
			if (cap.present[i])
				fail_msg("%s = \"%s\", want absent", want[i][0], cap.value[i]);
		} else if (!cap.present[i])
			fail_msg("%s absent, want \"%s\"", want[i][0], want[i][1]);
		else if (strcmp(cap.value[i], want[i][1]) != 0)
			fail_msg("%s = \"%s\", want \"%s\"", want[i][0], cap.value[i],
			    want[i][1]);
	}
}

/* Zero totals: counts are "0", every ratio is absent. */
static void
test_render_zero(void **state)
{
	static const char *const want[RENDER_FIELDS][2] = {
		{ "ratings_24h", "0" },
		{ "satisfied_24h", "0" },
		{ "neutral_24h", "0" },
		{ "dissatisfied_24h", "0" },
		{ "csat_24h", NULL },
		{ "dsat_24h", NULL },
		{ "score_avg_24h", NULL },
		{ "nps_ratings_24h", "0" },
		{ "nps_24h", NULL },
		{ "complaints_24h", "0" },
		{ "replies_24h", "0" },
		{ "complaint_rate_24h", NULL },
		{ "resp_avg_s_24h", NULL },
		{ "resp_max_s_24h", NULL },
		{ "resp_p50_s_24h", NULL },
		{ "resp_p90_s_24h", NULL },
		{ "reply_sla_met_24h", "0" },
		{ "reply_sla_missed_24h", "0" },
		{ "first_reply_met_24h", NULL },
		{ "first_reply_missed_24h", NULL },
		{ "first_reply_avg_s_24h", NULL },
		{ "first_reply_max_s_24h", NULL },
		{ "next_reply_met_24h", NULL },
		{ "next_reply_missed_24h", NULL },
		{ "next_reply_avg_s_24h", NULL },
		{ "next_reply_max_s_24h", NULL },
		{ "resolution_met_24h", NULL },
		{ "resolution_missed_24h", NULL },
		{ "resolution_avg_s_24h", NULL },
		{ "resolution_max_s_24h", NULL },
		{ "promise_kept_24h", NULL },
		{ "promise_broken_24h", NULL },
		{ "recovered_24h", NULL },
		{ "recovery_rated_24h", NULL },
		{ "recovery_rate_24h", NULL },
		{ "follow_up_missing_24h", NULL },
		{ "agents_24h", NULL },
	};
	struct totals	t;

	(void)state;
	memset(&t, 0, sizeof t);
	check_render("24h", &t, want);
}

/* Every counter set: every field present with its hand-computed text. */
static void
test_render_full(void **state)
{
	static const char *const want[RENDER_FIELDS][2] = {
		{ "ratings_7d", "30" },
		{ "satisfied_7d", "18" },
		{ "neutral_7d", "4" },
		{ "dissatisfied_7d", "3" },
		{ "csat_7d", "72.0" },		/* 18/25 */
		{ "dsat_7d", "12.0" },		/* 3/25: apart from csat, the 4 neutral between */
		{ "score_avg_7d", "3.96" },	/* 99/25 */
		{ "nps_ratings_7d", "5" },
		{ "nps_7d", "-40.0" },		/* (1-3)/5 */
		{ "complaints_7d", "3" },
		{ "replies_7d", "40" },
		{ "complaint_rate_7d", "7.5" },	/* 3/40 per 100 */
		{ "resp_avg_s_7d", "176" },	/* 1234567 ms / 7 */
		{ "resp_max_s_7d", "601" },	/* 600500 ms, half up */
		{ "resp_p50_s_7d", "30" },	/* the histogram's, as set below */
		{ "resp_p90_s_7d", "599" },
		{ "reply_sla_met_7d", "6" },
		{ "reply_sla_missed_7d", "1" },
		{ "first_reply_met_7d", "4" },
		{ "first_reply_missed_7d", "0" },
		{ "first_reply_avg_s_7d", "59" },	/* 234567 ms / 4 = 58.64 s */
		{ "first_reply_max_s_7d", "101" },	/* 100500 ms, half up */
		{ "next_reply_met_7d", "2" },		/* 6 - 4 */
		{ "next_reply_missed_7d", "1" },	/* 1 - 0 */
		{ "next_reply_avg_s_7d", "333" },	/* (1234567 - 234567) ms / (7 - 4) */
		{ "next_reply_max_s_7d", "601" },
		{ "resolution_met_7d", "1" },
		{ "resolution_missed_7d", "2" },
		{ "resolution_avg_s_7d", "3601" },	/* 7201000 ms / 2 = 3600.5 s, half up */
		{ "resolution_max_s_7d", "5400" },
		{ "promise_kept_7d", "5" },
		{ "promise_broken_7d", "1" },
		{ "recovered_7d", "2" },
		{ "recovery_rated_7d", "3" },
		{ "recovery_rate_7d", "66.7" },		/* 2/3 */
		{ "follow_up_missing_7d", "1" },
		{ "agents_7d", NULL },
	};
	struct totals	t;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_RATINGS] = 30;
	t.c[C_S5] = 25;
	t.c[C_SATISFIED] = 18;
	t.c[C_NEUTRAL] = 4;
	t.c[C_DISSATISFIED] = 3;
	t.c[C_SCORE_SUM] = 99;
	t.c[C_N10] = 5;
	t.c[C_PROMOTERS] = 1;
	t.c[C_DETRACTORS] = 3;
	t.c[C_COMPLAINTS] = 3;
	t.c[C_REPLIES] = 40;
	t.c[C_RESP_N] = 7;
	t.c[C_RESP_SUM_MS] = 1234567;
	t.c[C_RESP_MAX_MS] = 600500;
	t.c[C_SLA_MET] = 6;
	t.c[C_SLA_MISSED] = 1;
	t.c[C_FIRST_N] = 4;
	t.c[C_FIRST_SUM_MS] = 234567;
	t.c[C_FIRST_MAX_MS] = 100500;
	t.c[C_FIRST_MET] = 4;
	t.c[C_NEXT_MAX_MS] = 600500;
	t.c[C_RES_N] = 2;
	t.c[C_RES_SUM_MS] = 7201000;
	t.c[C_RES_MAX_MS] = 5400000;
	t.c[C_RES_MET] = 1;
	t.c[C_RES_MISSED] = 2;
	t.c[C_PROMISE_KEPT] = 5;
	t.c[C_RECOVERY_RATED] = 3;
	t.c[C_RECOVERED] = 2;
	t.c[C_FOLLOW_UP_MISSING] = 1;
	t.c[C_PROMISE_BROKEN] = 1;
	t.resp_n = 7;
	t.resp_p50_ms = 29500;
	t.resp_p90_ms = 598600;
	check_render("7d", &t, want);
}

/* Each ratio is absent on its own denominator only; big counts stay plain integers. */
static void
test_render_partial(void **state)
{
	static const char *const want[RENDER_FIELDS][2] = {
		{ "ratings_000000000000001h", "1234567890123" },
		{ "satisfied_000000000000001h", "0" },
		{ "neutral_000000000000001h", "0" },
		{ "dissatisfied_000000000000001h", "0" },
		{ "csat_000000000000001h", NULL },
		{ "dsat_000000000000001h", NULL },
		{ "score_avg_000000000000001h", NULL },
		{ "nps_ratings_000000000000001h", "3" },
		{ "nps_000000000000001h", "66.7" },
		{ "complaints_000000000000001h", "2" },
		{ "replies_000000000000001h", "0" },
		{ "complaint_rate_000000000000001h", NULL },
		{ "resp_avg_s_000000000000001h", "0" },
		{ "resp_max_s_000000000000001h", "0" },
		{ "resp_p50_s_000000000000001h", NULL },	/* no time in the histogram (an upgraded checkpoint) */
		{ "resp_p90_s_000000000000001h", NULL },
		{ "reply_sla_met_000000000000001h", "0" },
		{ "reply_sla_missed_000000000000001h", "9" },
		/* No first-reply counts (as in windows of checkpoints widened on upgrade): all next. */
		{ "first_reply_met_000000000000001h", NULL },
		{ "first_reply_missed_000000000000001h", NULL },
		{ "first_reply_avg_s_000000000000001h", NULL },
		{ "first_reply_max_s_000000000000001h", NULL },
		{ "next_reply_met_000000000000001h", "0" },
		{ "next_reply_missed_000000000000001h", "9" },
		{ "next_reply_avg_s_000000000000001h", "0" },
		{ "next_reply_max_s_000000000000001h", "0" },
		{ "resolution_met_000000000000001h", NULL },
		{ "resolution_missed_000000000000001h", NULL },
		{ "resolution_avg_s_000000000000001h", NULL },
		{ "resolution_max_s_000000000000001h", NULL },
		{ "promise_kept_000000000000001h", NULL },
		{ "promise_broken_000000000000001h", NULL },
		/* complaints, so the recovery counts show, none rated yet */
		{ "recovered_000000000000001h", "0" },
		{ "recovery_rated_000000000000001h", "0" },
		{ "recovery_rate_000000000000001h", NULL },
		{ "follow_up_missing_000000000000001h", "0" },
		{ "agents_000000000000001h", NULL },
	};
	struct totals	t;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_RATINGS] = INT64_C(1234567890123);
	t.c[C_N10] = 3;
	t.c[C_PROMOTERS] = 2;
	t.c[C_COMPLAINTS] = 2;
	t.c[C_RESP_N] = 1;
	t.c[C_RESP_SUM_MS] = 499;
	t.c[C_RESP_MAX_MS] = 499;
	t.c[C_SLA_MISSED] = 9;
	/* The longest window name (15 bytes) must not be cut from any field. */
	check_render("000000000000001h", &t, want);
}

/* The policy figures' presence: each pair and each time on its own counts, next ones derived. */
static void
test_render_policies(void **state)
{
	static const char *const want[RENDER_FIELDS][2] = {
		{ "ratings_30d", "0" },
		{ "satisfied_30d", "0" },
		{ "neutral_30d", "0" },
		{ "dissatisfied_30d", "0" },
		{ "csat_30d", NULL },
		{ "dsat_30d", NULL },
		{ "score_avg_30d", NULL },
		{ "nps_ratings_30d", "0" },
		{ "nps_30d", NULL },
		{ "complaints_30d", "0" },
		{ "replies_30d", "2" },
		{ "complaint_rate_30d", "0.0" },
		{ "resp_avg_s_30d", "2" },		/* 3000 ms / 2, half up */
		{ "resp_max_s_30d", "2" },
		{ "resp_p50_s_30d", "2" },		/* 1600 ms and 2400 ms, as set below */
		{ "resp_p90_s_30d", "2" },
		{ "reply_sla_met_30d", "1" },
		{ "reply_sla_missed_30d", "1" },
		/* Every reply clock was a first one: nothing of next ones. */
		{ "first_reply_met_30d", "1" },
		{ "first_reply_missed_30d", "1" },
		{ "first_reply_avg_s_30d", "2" },
		{ "first_reply_max_s_30d", "2" },
		{ "next_reply_met_30d", NULL },
		{ "next_reply_missed_30d", NULL },
		{ "next_reply_avg_s_30d", NULL },
		{ "next_reply_max_s_30d", NULL },
		/* Solved with no target: times, no met or missed. */
		{ "resolution_met_30d", NULL },
		{ "resolution_missed_30d", NULL },
		{ "resolution_avg_s_30d", "0" },	/* 400 ms */
		{ "resolution_max_s_30d", "0" },
		{ "promise_kept_30d", "0" },
		{ "promise_broken_30d", "3" },
		/* no complaint in the window, but a follow-up it missed: the recovery counts show */
		{ "recovered_30d", "0" },
		{ "recovery_rated_30d", "0" },
		{ "recovery_rate_30d", NULL },
		{ "follow_up_missing_30d", "1" },
		{ "agents_30d", NULL },
	};
	struct capture	cap;
	struct totals	t;

	(void)state;
	memset(&t, 0, sizeof t);
	t.c[C_REPLIES] = 2;
	t.c[C_RESP_N] = 2;
	t.c[C_RESP_SUM_MS] = 3000;
	t.c[C_RESP_MAX_MS] = 2400;
	t.c[C_SLA_MET] = 1;
	t.c[C_SLA_MISSED] = 1;
	t.c[C_FIRST_N] = 2;
	t.c[C_FIRST_SUM_MS] = 3000;
	t.c[C_FIRST_MAX_MS] = 2400;
	t.c[C_FIRST_MET] = 1;
	t.c[C_FIRST_MISSED] = 1;
	t.c[C_RES_N] = 1;
	t.c[C_RES_SUM_MS] = 400;
	t.c[C_FOLLOW_UP_MISSING] = 1;
	t.c[C_RES_MAX_MS] = 400;
	t.c[C_PROMISE_BROKEN] = 3;
	t.resp_n = 2;
	t.resp_p50_ms = 1600;
	t.resp_p90_ms = 2400;
	check_render("30d", &t, want);
	/* A first-reply clock missed with no reply yet: its met and missed, nothing after them. */
	memset(&t, 0, sizeof t);
	t.c[C_SLA_MISSED] = 1;
	t.c[C_FIRST_MISSED] = 1;
	memset(&cap, 0, sizeof cap);
	render("1h", &t, &cap);
	assert_string_equal(cap.field[18], "first_reply_met_1h");
	assert_string_equal(cap.value[18], "0");
	assert_string_equal(cap.field[19], "first_reply_missed_1h");
	assert_string_equal(cap.value[19], "1");
	for (int i = 20; i < RENDER_FIELDS; i++)
		assert_false(cap.present[i]);
}

/* A single top rating: csat and score_avg at their maximum. */
static void
test_render_one_rating(void **state)
{
	struct capture	cap;
	struct totals	t;

	(void)state;
	memset(&cap, 0, sizeof cap);
	memset(&t, 0, sizeof t);
	t.c[C_S5] = 1;
	t.c[C_SATISFIED] = 1;
	t.c[C_SCORE_SUM] = 5;
	render("1h", &t, &cap);
	assert_int_equal(cap.n, RENDER_FIELDS);
	assert_string_equal(cap.field[4], "csat_1h");
	assert_string_equal(cap.value[4], "100.0");
	assert_string_equal(cap.field[5], "dsat_1h");
	assert_string_equal(cap.value[5], "0.0");
	assert_string_equal(cap.field[6], "score_avg_1h");
	assert_string_equal(cap.value[6], "5.00");
}

/* Runs the stats tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter_names),
		cmocka_unit_test(test_counter_is_max),
		cmocka_unit_test(test_div_round),
		cmocka_unit_test(test_format_fixed),
		cmocka_unit_test(test_csat),
		cmocka_unit_test(test_score_avg),
		cmocka_unit_test(test_nps),
		cmocka_unit_test(test_complaint_rate),
		cmocka_unit_test(test_resp_avg),
		cmocka_unit_test(test_recovery_rate),
		cmocka_unit_test(test_render_zero),
		cmocka_unit_test(test_render_full),
		cmocka_unit_test(test_render_partial),
		cmocka_unit_test(test_render_policies),
		cmocka_unit_test(test_render_one_rating),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
