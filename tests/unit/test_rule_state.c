/* test_rule_state.c: the alert state machine, its Redis text and its messages. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rule.h"
#include "testutil_rule.h"

/* A firing alert stays firing, without re-publishing, while the condition holds. */
static void
test_firing(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_replies(5, 0, 0, 0);

	(void)state;
	/* 5 is not above 5. */
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_NONE);
	t = test_replies(6, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 1), RULE_FIRE);
	test_state_is(&st, RULE_FIRING, T0 + 1, 0, T0 + 1);
	t = test_replies(9, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + HOUR_MS), RULE_NONE);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 30 * DAY_MS),
	    RULE_NONE);
	test_state_is(&st, RULE_FIRING, T0 + 1, 0, T0 + 1);
}

/* With "for", the condition must hold that long; the episode starts when it fires. */
static void
test_pending_completes(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_replies(7, 0, 0, 0);

	(void)state;
	c.for_ms = 10 * MIN_MS;
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_PENDING_START);
	test_state_is(&st, RULE_PENDING, 0, T0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 5 * MIN_MS),
	    RULE_NONE);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 10 * MIN_MS - 1),
	    RULE_NONE);
	test_state_is(&st, RULE_PENDING, 0, T0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 10 * MIN_MS),
	    RULE_FIRE);
	test_state_is(&st, RULE_FIRING, T0 + 10 * MIN_MS, T0, T0 + 10 * MIN_MS);
}

/* A pending alert whose condition stops holding goes back to OK, even inside the margin. */
static void
test_pending_cancelled(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_replies(7, 0, 0, 0);

	(void)state;
	c.for_ms = 10 * MIN_MS;
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_PENDING_START);
	/* 5 is not above 5, though not 10% under it either. */
	t = test_replies(5, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 9 * MIN_MS),
	    RULE_PENDING_CANCEL);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	/* A new pending period starts from scratch. */
	t = test_replies(7, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 11 * MIN_MS),
	    RULE_PENDING_START);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 20 * MIN_MS),
	    RULE_NONE);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 21 * MIN_MS),
	    RULE_FIRE);
}

/* CSAT: back over the threshold but within 2 points stays firing; 2 points over resolves. */
static void
test_hysteresis_points(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(15, 20);

	(void)state;
	c.confidence_mode = false;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	t = test_csat(16, 20);		/* 80.0: at the threshold */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 1), RULE_NONE);
	t = test_csat(163, 200);	/* 81.5 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 2), RULE_NONE);
	t = test_csat(819, 1000);	/* 81.9 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 3), RULE_NONE);
	test_state_is(&st, RULE_FIRING, T0, 0, T0);
	t = test_csat(41, 50);		/* 82.0 = 80 + 2 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 4), RULE_RESOLVE);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	/* Inside the band an OK rule stays OK: the band only holds a firing alert. */
	t = test_csat(163, 200);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 5), RULE_NONE);
	/* A fractional threshold with its margin, summed in floating point. */
	c.threshold = 80.1;
	st = (struct rule_state){ RULE_FIRING, T0, 0, T0 };
	t = test_csat(820, 1000);	/* 82.0 < 82.1 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 6), RULE_NONE);
	t = test_csat(821, 1000);	/* 82.1 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 7), RULE_RESOLVE);
}

/* Confidence mode fires on the interval but resolves on the figure and margin. */
static void
test_hysteresis_confidence(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_observation	o;
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(10, 25);

	(void)state;
	c.threshold = 90;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	/* 88%: the interval straddles 90, so no longer "confidently below", but 88 < 92. */
	t = test_csat(22, 25);
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_false(o.condition);
	assert_false(o.clear);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 1), RULE_NONE);
	t = test_csat(23, 25);		/* 92.0 */
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 2), RULE_RESOLVE);
}

/* Counts and times: resolve at threshold x (1 - margin). */
static void
test_hysteresis_fraction(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_replies(6, 0, 0, 0);

	(void)state;
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_FIRE);
	t = test_replies(5, 0, 0, 0);	/* not above 5, not under 4.5 */
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 1), RULE_NONE);
	t = test_replies(4, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 2), RULE_RESOLVE);

	/* 8 h threshold: 25920 s (7.2 h) resolves, 25921 s does not. */
	c = test_cfg(RULE_RESPONSE_TIME_ABOVE);
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	t = test_replies(0, 20, 20, 28801);
	assert_int_equal(test_step(RULE_RESPONSE_TIME_ABOVE, &c, &t, &st, T0), RULE_FIRE);
	t = test_replies(0, 20, 20, 28800);
	assert_int_equal(test_step(RULE_RESPONSE_TIME_ABOVE, &c, &t, &st, T0 + 1), RULE_NONE);
	t = test_replies(0, 20, 20, 25921);
	assert_int_equal(test_step(RULE_RESPONSE_TIME_ABOVE, &c, &t, &st, T0 + 2), RULE_NONE);
	t = test_replies(0, 20, 20, 25920);
	assert_int_equal(test_step(RULE_RESPONSE_TIME_ABOVE, &c, &t, &st, T0 + 3), RULE_RESOLVE);

	/* Complaint rate 10 per 100: resolves at 9.0, not at 9.1. */
	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	st = (struct rule_state){ RULE_FIRING, T0, 0, T0 };
	t = test_replies(91, 1000, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &st, T0 + 1), RULE_NONE);
	t = test_replies(90, 1000, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINT_RATE_ABOVE, &c, &t, &st, T0 + 2), RULE_RESOLVE);
}

/* Samples falling under the minimum resolve a firing alert, even with a bad figure. */
static void
test_samples_fall(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(5, 20);

	(void)state;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	t = test_csat(5, 19);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + HOUR_MS), RULE_RESOLVE);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	/* And all ratings aging out of the window resolves too. */
	c.min_samples = 0;
	st = (struct rule_state){ RULE_FIRING, T0, 0, T0 };
	t = test_csat(0, 0);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + HOUR_MS), RULE_RESOLVE);
	/* Complaints aging out: the count drops under 4.5. */
	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	st = (struct rule_state){ RULE_FIRING, T0, 0, T0 };
	t = test_replies(0, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + DAY_MS), RULE_RESOLVE);
}

/* repeat_interval re-publishes a firing alert in the same episode. */
static void
test_repeat(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_replies(8, 0, 0, 0);

	(void)state;
	c.repeat_ms = HOUR_MS;
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0), RULE_FIRE);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + HOUR_MS - 1),
	    RULE_NONE);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + HOUR_MS),
	    RULE_REPEAT);
	test_state_is(&st, RULE_FIRING, T0, 0, T0 + HOUR_MS);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 90 * MIN_MS),
	    RULE_NONE);
	/* An evaluation late by 10 min repeats then, and the next one counts from there. */
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 130 * MIN_MS),
	    RULE_REPEAT);
	test_state_is(&st, RULE_FIRING, T0, 0, T0 + 130 * MIN_MS);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 180 * MIN_MS),
	    RULE_NONE);
	/* Inside the hysteresis band a firing alert still repeats. */
	t = test_replies(5, 0, 0, 0);
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 190 * MIN_MS),
	    RULE_REPEAT);
	/* Off (0) never repeats. */
	c.repeat_ms = 0;
	assert_int_equal(test_step(RULE_COMPLAINTS_ABOVE, &c, &t, &st, T0 + 100 * DAY_MS),
	    RULE_NONE);
}

/* Disabling a rule resolves its firing alert, cancels a pending one, and fires nothing. */
static void
test_disabled(void **state)
{
	struct rule_config	c = test_cfg(RULE_CSAT_BELOW);
	struct rule_observation	o;
	struct rule_state	st = { RULE_OK, 0, 0, 0 };
	struct totals		t = test_csat(0, 50);

	(void)state;
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0), RULE_FIRE);
	c.enabled = false;
	rule_observe(RULE_CSAT_BELOW, &c, &t, &o);
	assert_true(o.has_value);	/* still measured, for the message */
	assert_false(o.condition);
	assert_true(o.clear);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 1), RULE_RESOLVE);
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 2), RULE_NONE);
	test_state_is(&st, RULE_OK, 0, 0, 0);
	st = (struct rule_state){ RULE_PENDING, 0, T0, 0 };
	assert_int_equal(test_step(RULE_CSAT_BELOW, &c, &t, &st, T0 + 3), RULE_PENDING_CANCEL);
}

/* The Redis text: round trips, OK as no field, and junk refused as OK. */
static void
test_state_text(void **state)
{
	static const char *const junk[] = {
		"firing", "firing:", "firing:1:2", "firing:1:0:1:5", "firing:a:0:1",
		"firing:1:0:", "firing::0:1", "firing: 1:0:1", "firing:+1:0:1",
		"firing:-1:0:1", "firing:1:0:1 ", "FIRING:1:0:1", "ok", "ok:0:0:0",
		"resolved:1:0:1", "firing:99999999999999999999:0:99999999999999999999",
		"firing:0:0:0", "firing:5:0:4", "pending:0:0:0", "pending:1:1:0",
		"pending:0:1:1", "firing:1795451431135:0:1795451431135\n",
	};
	struct rule_state	st, back;
	char			buf[RULE_STATE_TEXT_SIZE];

	(void)state;
	st = (struct rule_state){ RULE_FIRING, 1795451431135, 0, 1795451431135 };
	assert_true(rule_state_format(&st, buf, sizeof buf));
	assert_string_equal(buf, "firing:1795451431135:0:1795451431135");
	assert_true(rule_state_parse(buf, &back));
	test_state_is(&back, st.kind, st.since_ms, st.pending_since_ms, st.last_sent_ms);

	st = (struct rule_state){ RULE_FIRING, T0 + 600000, T0, T0 + 3 * HOUR_MS };
	assert_true(rule_state_format(&st, buf, sizeof buf));
	assert_string_equal(buf, "firing:1795428600000:1795428000000:1795438800000");
	assert_true(rule_state_parse(buf, &back));
	test_state_is(&back, st.kind, st.since_ms, st.pending_since_ms, st.last_sent_ms);

	st = (struct rule_state){ RULE_PENDING, 0, T0, 0 };
	assert_true(rule_state_format(&st, buf, sizeof buf));
	assert_string_equal(buf, "pending:0:1795428000000:0");
	assert_true(rule_state_parse(buf, &back));
	test_state_is(&back, st.kind, st.since_ms, st.pending_since_ms, st.last_sent_ms);

	/* The largest values fit the documented buffer. */
	st = (struct rule_state){ RULE_FIRING, INT64_MAX, INT64_MAX, INT64_MAX };
	assert_true(rule_state_format(&st, buf, sizeof buf));
	assert_true(rule_state_parse(buf, &back));
	test_state_is(&back, st.kind, st.since_ms, st.pending_since_ms, st.last_sent_ms);
	/* A short buffer is refused, not cut. */
	assert_false(rule_state_format(&st, buf, 20));
	assert_string_equal(buf, "");

	/* OK is no field at all. */
	st = (struct rule_state){ RULE_OK, 0, 0, 0 };
	memset(buf, 'x', sizeof buf);
	assert_true(rule_state_format(&st, buf, sizeof buf));
	assert_string_equal(buf, "");
	memset(&back, 0x5a, sizeof back);
	assert_true(rule_state_parse("", &back));
	test_state_is(&back, RULE_OK, 0, 0, 0);
	memset(&back, 0x5a, sizeof back);
	assert_true(rule_state_parse(NULL, &back));
	test_state_is(&back, RULE_OK, 0, 0, 0);

	for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) {
		memset(&back, 0x5a, sizeof back);
		if (rule_state_parse(junk[i], &back))
			fail_msg("accepted \"%s\"", junk[i]);
		test_state_is(&back, RULE_OK, 0, 0, 0);
	}
}

/* Describes t under c as action would, and compares with expected. */
static void
test_says(enum rule_id id, const struct rule_config *c, const char *window,
    const struct totals *t, enum rule_action action, const char *expected)
{
	struct rule_observation	o;
	char			buf[RULE_DESCRIBE_SIZE];

	rule_observe(id, c, t, &o);
	rule_describe(id, c, window, &o, action, buf, sizeof buf);
	assert_string_equal(buf, expected);
}

/* Firing messages, in each rule's unit. */
static void
test_describe_firing(void **state)
{
	struct rule_config	c;
	struct totals		t;

	(void)state;
	c = test_cfg(RULE_CSAT_BELOW);
	c.confidence_mode = false;
	t = test_csat(18, 25);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_FIRE,
	    "CSAT 72.0% over 24h (25 ratings) is below 80.0%");
	c.confidence_mode = true;
	c.threshold = 90;
	t = test_csat(10, 25);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_FIRE,
	    "CSAT 40.0% over 24h (25 ratings) is below 90.0% (95% interval 23.4-59.3%)");
	c.confidence = 0.995;
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_REPEAT,
	    "CSAT 40.0% over 24h (25 ratings) is below 90.0% (99.5% interval 18.3-66.5%)");

	c = test_cfg(RULE_NPS_BELOW);
	c.threshold = 10;
	t = test_nps(6, 14, 40);
	test_says(RULE_NPS_BELOW, &c, "7d", &t, RULE_FIRE,
	    "NPS -20.0 over 7d (40 ratings) is below 10.0 (95% interval -39.0 to 1.8)");
	c.confidence_mode = false;
	t = test_nps(0, 1, 1);
	test_says(RULE_NPS_BELOW, &c, "7d", &t, RULE_FIRE,
	    "NPS -100.0 over 7d (1 rating) is below 10.0");

	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	t = test_replies(12, 0, 0, 0);
	test_says(RULE_COMPLAINTS_ABOVE, &c, "24h", &t, RULE_FIRE,
	    "12 complaints over 24h is above 5");
	c.threshold = 0;
	t = test_replies(1, 0, 0, 0);
	test_says(RULE_COMPLAINTS_ABOVE, &c, "1h", &t, RULE_FIRE,
	    "1 complaint over 1h is above 0");
	c.threshold = 2.5;
	test_says(RULE_COMPLAINTS_ABOVE, &c, "1h", &t, RULE_NONE,
	    "1 complaint over 1h is above 2.5");

	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	t = test_replies(5, 35, 0, 0);
	test_says(RULE_COMPLAINT_RATE_ABOVE, &c, "7d", &t, RULE_FIRE,
	    "complaint rate 14.3 per 100 replies over 7d (35 replies) is above 10.0");

	c = test_cfg(RULE_RESPONSE_TIME_ABOVE);
	t = test_replies(0, 40, 40, 34200);
	test_says(RULE_RESPONSE_TIME_ABOVE, &c, "24h", &t, RULE_FIRE,
	    "mean response time 9.5 h over 24h (40 replies) is above 8.0 h");
	/* The unit follows the threshold. */
	c.threshold = 900;
	t = test_replies(0, 1, 1, 1230);
	test_says(RULE_RESPONSE_TIME_ABOVE, &c, "1h", &t, RULE_FIRE,
	    "mean response time 20.5 min over 1h (1 reply) is above 15.0 min");
	c.threshold = 45;
	t = test_replies(0, 3, 3, 50);
	test_says(RULE_RESPONSE_TIME_ABOVE, &c, "1h", &t, RULE_FIRE,
	    "mean response time 50 s over 1h (3 replies) is above 45 s");
}

/* Resolved messages, for each reason a firing alert can resolve. */
static void
test_describe_resolved(void **state)
{
	struct rule_config	c;
	struct totals		t;

	(void)state;
	c = test_cfg(RULE_CSAT_BELOW);
	t = test_csat(21, 25);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_RESOLVE,
	    "CSAT back to 84.0% over 24h (25 ratings), threshold 80.0%");
	t = test_csat(3, 12);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_RESOLVE,
	    "CSAT over 24h has 12 ratings, under the minimum of 20");
	t = test_csat(0, 0);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_RESOLVE,
	    "CSAT over 24h has no ratings");
	/* Disabled wins over every other reason. */
	c.enabled = false;
	t = test_csat(3, 12);
	test_says(RULE_CSAT_BELOW, &c, "24h", &t, RULE_RESOLVE, "rule csat_below is disabled");

	c = test_cfg(RULE_NPS_BELOW);
	t = test_nps(10, 8, 40);
	test_says(RULE_NPS_BELOW, &c, "7d", &t, RULE_RESOLVE,
	    "NPS back to 5.0 over 7d (40 ratings), threshold 0.0");

	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	t = test_replies(4, 0, 0, 0);
	test_says(RULE_COMPLAINTS_ABOVE, &c, "24h", &t, RULE_RESOLVE,
	    "complaints back to 4 over 24h, threshold 5");

	c = test_cfg(RULE_COMPLAINT_RATE_ABOVE);
	t = test_replies(4, 50, 0, 0);
	test_says(RULE_COMPLAINT_RATE_ABOVE, &c, "7d", &t, RULE_RESOLVE,
	    "complaint rate back to 8.0 per 100 replies over 7d (50 replies), threshold 10.0");
	t = test_replies(4, 0, 0, 0);
	test_says(RULE_COMPLAINT_RATE_ABOVE, &c, "7d", &t, RULE_RESOLVE,
	    "complaint rate over 7d has no replies");

	c = test_cfg(RULE_RESPONSE_TIME_ABOVE);
	t = test_replies(0, 25, 25, 6 * 3600);
	test_says(RULE_RESPONSE_TIME_ABOVE, &c, "24h", &t, RULE_RESOLVE,
	    "mean response time back to 6.0 h over 24h (25 replies), threshold 8.0 h");
	t = test_replies(0, 25, 1, 9 * 3600);
	test_says(RULE_RESPONSE_TIME_ABOVE, &c, "24h", &t, RULE_RESOLVE,
	    "mean response time over 24h has 1 reply, under the minimum of 20");
}

/* A short buffer gets a cut, terminated message. */
static void
test_describe_short(void **state)
{
	struct rule_config	c = test_cfg(RULE_COMPLAINTS_ABOVE);
	struct rule_observation	o;
	struct totals		t = test_replies(12, 0, 0, 0);
	char			buf[8];

	(void)state;
	rule_observe(RULE_COMPLAINTS_ABOVE, &c, &t, &o);
	rule_describe(RULE_COMPLAINTS_ABOVE, &c, "24h", &o, RULE_FIRE, buf, sizeof buf);
	assert_string_equal(buf, "12 comp");
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firing),
		cmocka_unit_test(test_pending_completes),
		cmocka_unit_test(test_pending_cancelled),
		cmocka_unit_test(test_hysteresis_points),
		cmocka_unit_test(test_hysteresis_confidence),
		cmocka_unit_test(test_hysteresis_fraction),
		cmocka_unit_test(test_samples_fall),
		cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_disabled),
		cmocka_unit_test(test_state_text),
		cmocka_unit_test(test_describe_firing),
		cmocka_unit_test(test_describe_resolved),
		cmocka_unit_test(test_describe_short),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
