/* test_rule.c: rule names, defaults, figures and when they fire (state machine: test_rule_state.c). */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"
#include "testutil_rule.h"

/* Asserts |a - b| <= tol, with the numbers in the message. */
static void
test_near(double a, double b, double tol)
{
	if (!(fabs(a - b) <= tol))
		fail_msg("%.9f is not within %g of %.9f", a, tol, b);
}

/* Names both ways. */
static void
test_names(void **state)
{
	static const char *const names[RULE_COUNT] = {
		"csat_below", "nps_below", "complaints_above", "complaint_rate_above",
		"response_time_above", "rating_integrity_suspect",
	};
	enum rule_id	id;

	(void)state;
	for (int i = 0; i < RULE_COUNT; i++) {
		assert_string_equal(rule_name((enum rule_id)i), names[i]);
		id = RULE_COUNT;
		assert_true(rule_parse_name(names[i], &id));
		assert_int_equal(id, i);
	}
	assert_null(rule_name(RULE_COUNT));
	assert_false(rule_parse_name("csat", &id));
	assert_false(rule_parse_name("CSAT_BELOW", &id));
	assert_false(rule_parse_name("", &id));
	assert_false(rule_parse_name(NULL, &id));
	assert_true(rule_is_score(RULE_CSAT_BELOW));
	assert_true(rule_is_score(RULE_NPS_BELOW));
	assert_false(rule_is_score(RULE_COMPLAINTS_ABOVE));
	assert_false(rule_is_score(RULE_COMPLAINT_RATE_ABOVE));
	assert_false(rule_is_score(RULE_RESPONSE_TIME_ABOVE));
	assert_false(rule_is_score(RULE_RATING_INTEGRITY));
	assert_false(rule_is_score(RULE_COUNT));
}

/* The documented defaults of every rule. */
static void
test_defaults(void **state)
{
	struct rule_config	c;

	(void)state;
	c = test_cfg(RULE_CSAT_BELOW);
	assert_true(c.enabled);
	assert_int_equal(c.window, 1);
	assert_true(c.threshold == 80);
	assert_int_equal(c.min_samples, 20);
	assert_true(c.confidence_mode);
	assert_true(c.confidence == 0.95);
	assert_true(c.margin == 2);
	assert_int_equal(c.for_ms, 0);
	assert_int_equal(c.repeat_ms, 0);

	c = test_cfg(RULE_NPS_BELOW);
	assert_true(c.enabled);
	assert_int_equal(c.window, 2);
	assert_true(c.threshold == 0);
	assert_int_equal(c.min_samples, 20);
	assert_true(c.confidence_mode);
	assert_true(c.confidence == 0.95);
	assert_true(c.margin == 2);

	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	assert_int_equal(c.window, 1);
	assert_true(c.threshold == 5);
	assert_int_equal(c.min_samples, 0);
	assert_false(c.confidence_mode);
	assert_true(c.margin == 0.10);

	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	assert_int_equal(c.window, 2);
	assert_true(c.threshold == 10);
	assert_int_equal(c.min_samples, 20);
	assert_false(c.confidence_mode);
	assert_true(c.margin == 0.10);

	c = test_cfg(RULE_RESPONSE_TIME_ABOVE);
	assert_true(c.enabled);
	assert_int_equal(c.window, 1);
	assert_true(c.threshold == 28800);
	assert_int_equal(c.min_samples, 20);
	assert_false(c.confidence_mode);
	assert_true(c.margin == 0.10);
	assert_int_equal(c.for_ms, 0);
	assert_int_equal(c.repeat_ms, 0);
}

/* Without a 24h or 7d window the closest span is used; a tie goes to the longer one. */
static void
test_default_window_closest(void **state)
{
	static const int64_t spans[] = { HOUR_MS, 12 * HOUR_MS, 30 * DAY_MS };
	static const char *const names[] = { "1h", "12h", "30d" };
	static const int64_t tie_spans[] = { 12 * HOUR_MS, 36 * HOUR_MS };
	static const char *const tie_names[] = { "12h", "36h" };
	static const int64_t one_span[] = { HOUR_MS };
	static const char *const one_name[] = { "1h" };
	struct windows	ws;

	(void)state;
	test_windows(&ws, spans, names, 3);
	assert_int_equal(rule_default_window(RULE_CSAT_BELOW, &ws), 1);
	/* 7d is 6.5 days from 12h and 23 days from 30d. */
	assert_int_equal(rule_default_window(RULE_NPS_BELOW, &ws), 1);
	test_windows(&ws, tie_spans, tie_names, 2);
	assert_int_equal(rule_default_window(RULE_COMPLAINTS_ABOVE, &ws), 1);
	/* 7d is past both: the longest. */
	assert_int_equal(rule_default_window(RULE_COMPLAINT_RATE_ABOVE, &ws), 1);
	test_windows(&ws, one_span, one_name, 1);
	assert_int_equal(rule_default_window(RULE_RESPONSE_TIME_ABOVE, &ws), 0);
	test_default_windows(&ws);
	assert_int_equal(rule_default_window(RULE_NPS_BELOW, &ws), 2);
}

/* Each rule's figure is the one the stats hash shows, with its sample count. */
static void
test_values(void **state)
{
	struct rule_config	c;
	struct rule_observation	o;
	struct totals		t;

	(void)state;
	/* CSAT 2/3 = 66.666..% shows as 66.7, and the rule uses 66.7. */
	c = test_cfg(RULE_CSAT_BELOW);
	t = test_csat(2, 3);
	t.c[C_RATINGS] = 10;	/* scale-10 ratings do not count for CSAT */
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_true(o.has_value);
	test_near(o.value, 66.7, 1e-12);
	assert_int_equal(o.samples, 3);
	assert_true(o.has_interval);
	/* Wilson 2/3 at 95%: [20.77%, 93.85%]. */
	test_near(o.lower, 20.765, 0.01);
	test_near(o.upper, 93.849, 0.01);

	c = test_cfg(RULE_NPS_BELOW);
	t = test_nps(7, 2, 12);
	rule_observe(RULE_NPS_BELOW, &c, &t, &o);
	test_near(o.value, 41.7, 1e-12);
	assert_int_equal(o.samples, 12);
	assert_true(o.has_interval && o.lower < 41.7 && o.upper > 41.7);
	t = test_nps(1, 9, 12);
	rule_observe(RULE_NPS_BELOW, &c, &t, &o);
	test_near(o.value, -66.7, 1e-12);

	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	t = test_replies(12, 3, 0, 0);
	rule_observe(RULE_COMPLAINTS_ABOVE, &c, &t, &o);
	assert_true(o.has_value);
	test_near(o.value, 12, 0);
	assert_int_equal(o.samples, 12);
	assert_false(o.has_interval);
	/* No complaints is still a figure: 0. */
	t = test_replies(0, 0, 0, 0);
	rule_observe(RULE_COMPLAINTS_ABOVE, &c, &t, &o);
	assert_true(o.has_value);
	test_near(o.value, 0, 0);

	/* 5 per 35 replies = 14.2857 per 100, shown as 14.3. */
	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	t = test_replies(5, 35, 0, 0);
	rule_observe(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &o);
	test_near(o.value, 14.3, 1e-12);
	assert_int_equal(o.samples, 35);
	assert_false(o.has_interval);

	/* Mean response time in whole seconds, like resp_avg_s: 1.5 s rounds to 2. */
	c = test_cfg(RULE_RESPONSE_TIME_ABOVE);
	t = test_replies(0, 4, 2, 0);
	t.c[C_RESP_SUM_MS] = 3000;
	rule_observe(RULE_RESPONSE_TIME_ABOVE, &c, &t, &o);
	test_near(o.value, 2, 0);
	assert_int_equal(o.samples, 2);
	t = test_replies(0, 50, 40, 34200);
	rule_observe(RULE_RESPONSE_TIME_ABOVE, &c, &t, &o);
	test_near(o.value, 34200, 0);
	assert_int_equal(o.samples, 40);

	/* Confidence mode is for CSAT and NPS only; elsewhere it is ignored. */
	c.confidence_mode = true;
	rule_observe(RULE_RESPONSE_TIME_ABOVE, &c, &t, &o);
	assert_false(o.has_interval);
	assert_true(o.condition);
}

/* Nothing to divide by: no figure, no firing, and a firing alert clears. */
static void
test_no_value(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_observation	o;
	struct totals		t = test_csat(0, 0);

	(void)state;
	c.min_samples = 0;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_false(o.has_value);
	assert_false(o.has_interval);
	assert_false(o.condition);
	assert_true(o.clear);
	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	t = test_replies(3, 0, 0, 0);
	rule_observe(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &o);
	assert_false(o.has_value);
	assert_false(o.condition);
	assert_true(o.clear);
}

/* Under min_samples nothing fires, however bad the figure. */
static void
test_not_enough_samples(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(0, 19);

	(void)state;
	/* 0 of 19 satisfied: Wilson upper bound 16.8%, far below 80%, but 19 < 20. */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_NONE);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	t = test_csat(0, 20);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	/* The same for rate rules, counted in replies. */
	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	t = test_replies(19, 19, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &st, T0), RULE_NONE);
	t = test_replies(19, 20, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &st, T0), RULE_FIRE);
	/* complaints_above has no minimum: min_samples is ignored. */
	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	c.min_samples = 100;
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	t = test_replies(6, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_FIRE);
}

/* 17 of 20 (85%) against 90%: the 95% interval [64.0, 94.8] reaches 90, so no alert. */
static void
test_confidence_not_reached(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_observation	o;
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(17, 20);

	(void)state;
	c.threshold = 90;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	test_near(o.value, 85.0, 1e-12);
	test_near(o.lower, 63.9581, 1e-3);
	test_near(o.upper, 94.7631, 1e-3);
	assert_false(o.condition);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_NONE);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + DAY_MS), RULE_NONE);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	/* The plain mode would have fired on 85 < 90. */
	c.confidence_mode = false;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
}

/* 10 of 25 (40%) against 90%: the interval [23.4, 59.3] is wholly below, so it fires. */
static void
test_confidence_reached(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_observation	o;
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(10, 25);

	(void)state;
	c.threshold = 90;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	test_near(o.value, 40.0, 1e-12);
	test_near(o.lower, 23.4033, 1e-3);
	test_near(o.upper, 59.2605, 1e-3);
	assert_true(o.condition);
	assert_false(o.clear);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	test_state_is(&st, RULE_FIRING, T0, 0, T0);
	/* With the threshold at the upper bound it is no longer "wholly below". */
	c.threshold = 59.2;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_false(o.condition);
	c.threshold = 59.3;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_true(o.condition);
}

/* NPS in confidence mode: fires only when the whole interval is under the threshold. */
static void
test_nps_confidence(void **state)
{
	struct rule_config	c = test_cfg(RULE_NPS_BELOW);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_nps(8, 12, 40);

	(void)state;
	/* NPS -10 with interval [-30.3, 11.6] straddles 0. */
	assert_int_equal(test_step(RULE_NPS_BELOW, &c, &t, &st, T0), RULE_NONE);
	/* NPS -20 with interval [-39.0, 1.8]: still straddles 0, but not 5. */
	t = test_nps(6, 14, 40);
	assert_int_equal(test_step(RULE_NPS_BELOW, &c, &t, &st, T0), RULE_NONE);
	c.threshold = 5;
	assert_int_equal(test_step(RULE_NPS_BELOW, &c, &t, &st, T0), RULE_FIRE);
	/* Resolves on the value with the margin: 7.0 >= 5 + 2. */
	t = test_nps(14, 14 - 3, 42);	/* 3/42 = 7.1 */
	assert_int_equal(test_step(RULE_NPS_BELOW, &c, &t, &st, T0 + MIN_MS), RULE_RESOLVE);
}

/* The plain mode compares the figure only, still behind min_samples. */
static void
test_plain_min_samples(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(2, 5);

	(void)state;
	c.confidence_mode = false;
	/* 40% of 5 ratings is well below 80%, but 5 < 20. */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_NONE);
	c.min_samples = 5;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	/* 79.9% is below 80 in plain mode; 80.0% is not. */
	c.min_samples = 20;
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	t = test_csat(799, 1000);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	t = test_csat(16, 20);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_NONE);
}

/* An agent's totals for rating integrity: n scale-5 ratings, top fives, middle 3-4s, quick ones; its peers'. */
static struct totals
test_integrity_totals(int64_t n, int64_t top, int64_t middle, int64_t quick, const struct integrity_counts *peers)
{
	struct totals t;

	memset(&t, 0, sizeof t);
	t.c[C_RATINGS] = t.c[C_S5] = n;
	t.c[C_TOP] = top;
	t.c[C_SATISFIED] = top + middle;  /* the middle ones all fours */
	t.c[C_DISSATISFIED] = n - top - middle;
	t.c[C_QUICK] = quick;
	if (peers != NULL) {
		t.peers_known = true;
		t.peers = *peers;
	}
	return t;
}

/*
 * rating_integrity_suspect: fires while the agent is suspect against its peers, resolves once
 * not; no peers known yet, or too few ratings, is no evidence. Its message names every figure.
 */
static void
test_integrity(void **state)
{
	struct rule_config	c = test_cfg(RULE_RATING_INTEGRITY);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct integrity_counts	peers = { 540, 189, 250, 54 };
	struct totals		t = test_integrity_totals(60, 48, 2, 30, NULL);
	struct rule_observation	o;
	char			buf[768];

	(void)state;
	assert_int_equal(c.window, 2);		/* 7d */
	assert_int_equal(c.min_samples, 20);
	assert_true(c.threshold == 10);
	assert_true(c.confidence == 0.99);
	assert_int_equal(test_step(RULE_RATING_INTEGRITY, &c, &t, &st, T0), RULE_NONE);
	t = test_integrity_totals(60, 48, 2, 30, &peers);
	rule_observe(RULE_RATING_INTEGRITY, &c, &t, &o);
	assert_true(o.condition);
	assert_true(fabs(o.value - 80) < 1e-9 && fabs(o.threshold - 35) < 1e-9);
	assert_int_equal(o.samples, 60);
	rule_describe(RULE_RATING_INTEGRITY, &c, "7d", &o, RULE_FIRE, buf, sizeof buf);
	assert_string_equal(buf, "Top-box share 80.0% over 7d (60 ratings) is far above its peers' 35.0% "
	    "(z 6.8, threshold 10 points); ratings within 30s of a reply 50.0% (peers 10.0%), unusual; "
	    "middle scores among those below the top 16.7% (peers 71.2%), missing");
	assert_int_equal(test_step(RULE_RATING_INTEGRITY, &c, &t, &st, T0), RULE_FIRE);
	/* like its peers again: 21 of 60 at the top */
	t = test_integrity_totals(60, 21, 30, 6, &peers);
	rule_observe(RULE_RATING_INTEGRITY, &c, &t, &o);
	assert_true(o.clear);
	rule_describe(RULE_RATING_INTEGRITY, &c, "7d", &o, RULE_RESOLVE, buf, sizeof buf);
	assert_string_equal(buf, "Top-box share 35.0% over 7d (60 ratings) is no longer suspect: peers 35.0%");
	assert_int_equal(test_step(RULE_RATING_INTEGRITY, &c, &t, &st, T0 + MIN_MS), RULE_RESOLVE);
	/* too few ratings of the agent's own */
	t = test_integrity_totals(19, 19, 0, 19, &peers);
	assert_int_equal(test_step(RULE_RATING_INTEGRITY, &c, &t, &st, T0 + 2 * MIN_MS), RULE_NONE);
	c.enabled = false;
	t = test_integrity_totals(60, 48, 2, 30, &peers);
	assert_int_equal(test_step(RULE_RATING_INTEGRITY, &c, &t, &st, T0 + 3 * MIN_MS), RULE_NONE);
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_default_window_closest),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_no_value),
		cmocka_unit_test(test_not_enough_samples),
		cmocka_unit_test(test_confidence_not_reached),
		cmocka_unit_test(test_confidence_reached),
		cmocka_unit_test(test_nps_confidence),
		cmocka_unit_test(test_plain_min_samples),
		cmocka_unit_test(test_integrity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
