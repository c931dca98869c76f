/* test_recovery.c: a complaint's service recovery: answer, follow-up, rating, the due alert, when it is forgotten. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alert.h"
#include "recovery.h"

/* 2026-11-22T10:00:00Z, the complaint */
#define T0 INT64_C(1795341600000)
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

static const struct recovery_config cfg = {3 * DAY, 7 * DAY, 0};

/* A fresh recovery of a high complaint by a17 at T0. */
static struct recovery *complaint(void)
{
	struct recovery *r = recovery_new("a17", 3, SEVERITY_HIGH, T0, T0);

	assert_non_null(r);
	assert_string_equal(r->agent, "a17");
	assert_int_equal(r->answered, RECOVERY_NONE);
	assert_int_equal(r->followed, RECOVERY_NONE);
	return r;
}

/* Asserts fx's adds are exactly these counters at these times. */
static void assert_adds(const struct recovery_effects *fx, size_t n, const enum counter *c, const int64_t *ts)
{
	assert_int_equal(fx->n_adds, n);
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(fx->adds[i].counter, c[i]);
		assert_int_equal(fx->adds[i].ts, ts[i]);
	}
}

/* Answered, followed up in time, rated satisfied: recovered; nothing fires; over once rated. */
static void test_recovered(void **state)
{
	struct recovery *r = complaint();
	struct recovery_effects fx;

	(void)state;
	/* Before the answer: forgotten at the complaint plus rating_within. */
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	recovery_reply(r, &cfg, "T-1", T0 + 2 * HOUR, false, T0 + 2 * HOUR, &fx);
	assert_true(fx.changed);
	assert_int_equal(fx.n_adds, 0);
	assert_int_equal(r->answered, T0 + 2 * HOUR);
	assert_int_equal(recovery_next(r, &cfg), T0 + 2 * HOUR + 3 * DAY);
	/* A second reply is no follow-up unless marked so. */
	recovery_reply(r, &cfg, "T-1", T0 + 5 * HOUR, false, T0 + 5 * HOUR, &fx);
	assert_false(fx.changed);
	recovery_reply(r, &cfg, "T-1", T0 + DAY, true, T0 + DAY, &fx);
	assert_true(fx.changed);
	assert_int_equal(fx.n_alerts, 0);
	assert_int_equal(r->followed, T0 + DAY);
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	recovery_rating(r, &cfg, T0 + 2 * DAY, recovery_satisfied(5, 5), &fx);
	assert_adds(&fx, 2, (enum counter[]){C_RECOVERY_RATED, C_RECOVERED}, (int64_t[]){T0 + 2 * DAY, T0 + 2 * DAY});
	/* Only the first rating after the complaint counts. */
	recovery_rating(r, &cfg, T0 + 3 * DAY, true, &fx);
	assert_int_equal(fx.n_adds, 0);
	assert_false(fx.changed);
	/* Rated and followed up: over at once. */
	assert_true(recovery_next(r, &cfg) <= T0 + 3 * DAY);
	assert_false(recovery_fire(r, &cfg, "T-1", T0 + 3 * DAY, &fx));
	assert_int_equal(fx.n_adds, 0);
	free(r);
}

/* No follow-up by the due time: counted at the due time, alerted; a late follow-up resolves the alert. */
static void test_follow_up_due(void **state)
{
	struct recovery *r = complaint();
	struct recovery_effects fx;
	int64_t due = T0 + HOUR + 3 * DAY;

	(void)state;
	recovery_reply(r, &cfg, "T-1", T0 + HOUR, false, T0 + HOUR, &fx);
	/* Early: a stale timer does nothing. */
	assert_true(recovery_fire(r, &cfg, "T-1", due - 1, &fx));
	assert_false(fx.changed);
	assert_true(recovery_fire(r, &cfg, "T-1", due + 500, &fx));
	assert_true(fx.changed);
	assert_adds(&fx, 1, (enum counter[]){C_FOLLOW_UP_MISSING}, (int64_t[]){due});
	assert_int_equal(fx.n_alerts, 1);
	assert_string_equal(fx.alert.rule, "follow_up_due");
	assert_string_equal(fx.alert.state, "firing");
	assert_string_equal(fx.alert.agent, "a17");
	assert_string_equal(fx.alert.ticket, "T-1");
	assert_string_equal(fx.alert.severity, "high");
	assert_int_equal(fx.alert.since, due);
	assert_int_equal(fx.alert.start, T0 + HOUR);
	assert_int_equal(fx.alert.due, due);
	assert_int_equal(fx.alert.target, 3 * DAY);
	assert_int_equal(fx.alert.late_ms, 500);
	assert_string_equal(fx.alert.message,
	    "Agent a17 has not followed up on complaint ticket T-1: answered 3d00h ago, a follow-up was due within 3d");
	/* Kept, with no timer, until the follow-up comes; the counted miss stays counted. */
	assert_int_equal(recovery_next(r, &cfg), RECOVERY_NONE);
	assert_true(recovery_fire(r, &cfg, "T-1", due + DAY, &fx));
	assert_int_equal(fx.n_adds, 0);
	/* A reply, even a later one, no longer moves the answer once the follow-up was judged. */
	recovery_reply(r, &cfg, "T-1", T0 + 30 * MIN, false, due + DAY, &fx);
	assert_int_equal(r->answered, T0 + HOUR);
	recovery_follow_up(r, &cfg, "T-1", due + 4 * HOUR, due + 4 * HOUR + 100, &fx);
	assert_true(fx.changed);
	assert_int_equal(fx.n_alerts, 1);
	assert_string_equal(fx.alert.state, "resolved");
	assert_int_equal(fx.alert.since, due);
	assert_int_equal(fx.alert.response_ms, 3 * DAY + 4 * HOUR);
	assert_string_equal(fx.alert.message,
	    "Agent a17 followed up on complaint ticket T-1 3d04h after answering it, 4h00m past the 3d follow-up target");
	/* The same alert id, firing and resolved. */
	{
		struct alert_facts firing = fx.alert;
		char a[ALERT_ID_SIZE], b[ALERT_ID_SIZE];

		snprintf(firing.state, sizeof(firing.state), "firing");
		alert_id(&firing, a);
		alert_id(&fx.alert, b);
		assert_string_equal(a, b);
	}
	/* A second follow-up resolves nothing more. */
	recovery_follow_up(r, &cfg, "T-1", due + 5 * HOUR, due + 5 * HOUR, &fx);
	assert_int_equal(fx.n_alerts, 0);
	/* Not rated: kept until the complaint's rating_within is over. */
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	assert_false(recovery_fire(r, &cfg, "T-1", T0 + 7 * DAY, &fx));
	free(r);
}

/* Events before the complaint, or a follow-up before the answer, do not count; out-of-order ones do. */
static void test_order(void **state)
{
	struct recovery *r = complaint();
	struct recovery_effects fx;

	(void)state;
	recovery_reply(r, &cfg, "T-1", T0 - 1, false, T0, &fx);
	assert_false(fx.changed);
	recovery_rating(r, &cfg, T0, true, &fx);
	assert_false(fx.changed);
	recovery_follow_up(r, &cfg, "T-1", T0, T0, &fx);
	assert_false(fx.changed);
	/* A follow-up that arrives before the answer it follows (another partition, say) is kept. */
	recovery_follow_up(r, &cfg, "T-1", T0 + DAY, T0 + DAY, &fx);
	assert_true(fx.changed);
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	recovery_reply(r, &cfg, "T-1", T0 + 2 * HOUR, false, T0 + DAY, &fx);
	assert_int_equal(r->answered, T0 + 2 * HOUR);
	/* followed (T0 + 1d) after answered: nothing is due */
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	/* An earlier reply arriving later is the answer. */
	recovery_reply(r, &cfg, "T-1", T0 + HOUR, false, T0 + DAY, &fx);
	assert_int_equal(r->answered, T0 + HOUR);
	/* A follow-up-marked first reply answers, and does not follow itself up. */
	free(r);
	r = complaint();
	recovery_reply(r, &cfg, "T-1", T0 + HOUR, true, T0 + HOUR, &fx);
	assert_int_equal(r->answered, T0 + HOUR);
	assert_int_equal(r->followed, RECOVERY_NONE);
	assert_int_equal(recovery_next(r, &cfg), T0 + HOUR + 3 * DAY);
	free(r);
}

/* A rating past rating_within counts nothing; satisfied is 4-5 of 5 and 9-10 of 10; unsatisfied counts as rated. */
static void test_rating(void **state)
{
	struct recovery *r = complaint();
	struct recovery_effects fx;

	(void)state;
	recovery_rating(r, &cfg, T0 + 7 * DAY + 1, true, &fx);
	assert_int_equal(fx.n_adds, 0);
	recovery_rating(r, &cfg, T0 + 7 * DAY, false, &fx);
	assert_adds(&fx, 1, (enum counter[]){C_RECOVERY_RATED}, (int64_t[]){T0 + 7 * DAY});
	assert_true(r->rated);
	assert_false(recovery_satisfied(3, 5));
	assert_true(recovery_satisfied(4, 5));
	assert_true(recovery_satisfied(5, 5));
	assert_false(recovery_satisfied(8, 10));
	assert_true(recovery_satisfied(9, 10));
	assert_false(recovery_satisfied(0, 10));
	/* Rated, never answered: forgotten at rating_within. */
	assert_int_equal(recovery_next(r, &cfg), T0 + 7 * DAY);
	assert_true(recovery_fire(r, &cfg, "T-1", T0 + 7 * DAY - 1, &fx));
	assert_false(recovery_fire(r, &cfg, "T-1", T0 + 7 * DAY, &fx));
	free(r);
}

/*
 * History replayed (the complaint applied days after it was made): the rating_within still
 * runs from its applying, and a follow-up already due when it was applied is counted missing
 * but pages nobody, and so resolves nothing either.
 */
static void test_replayed(void **state)
{
	int64_t now = T0 + 10 * DAY;
	struct recovery *r = recovery_new("a17", 3, SEVERITY_LOW, T0, now);
	struct recovery_effects fx;

	(void)state;
	assert_non_null(r);
	assert_int_equal(recovery_next(r, &cfg), now + 7 * DAY);
	recovery_rating(r, &cfg, T0 + DAY, true, &fx);
	assert_int_equal(fx.n_adds, 2);
	recovery_reply(r, &cfg, "T-1", T0 + HOUR, false, now, &fx);
	/* due long ago: judged at once */
	assert_int_equal(recovery_next(r, &cfg), now);
	assert_true(recovery_fire(r, &cfg, "T-1", now, &fx));
	assert_adds(&fx, 1, (enum counter[]){C_FOLLOW_UP_MISSING}, (int64_t[]){T0 + HOUR + 3 * DAY});
	assert_int_equal(fx.n_alerts, 0);
	recovery_follow_up(r, &cfg, "T-1", T0 + 5 * DAY, now, &fx);
	assert_true(fx.changed);
	assert_int_equal(fx.n_alerts, 0);
	/* rated and followed up: over */
	assert_false(recovery_fire(r, &cfg, "T-1", now, &fx));
	free(r);
}

/*
 * A ticket's events applied together (another partition, history): the follow-up is judged
 * grace_ms after the complaint was applied when that is later than its due time, so a late
 * follow-up already known is counted missing without paging, and one in time is not counted.
 */
static void test_judged_after_grace(void **state)
{
	const struct recovery_config graced = {3 * DAY, 7 * DAY, 10000};
	int64_t now = T0 + 5 * DAY;
	struct recovery *r = recovery_new("a17", 3, SEVERITY_NORMAL, T0, now);
	struct recovery_effects fx;

	(void)state;
	recovery_reply(r, &graced, "T-1", T0 + HOUR, false, now, &fx);
	assert_int_equal(recovery_next(r, &graced), now + 10000);
	/* a follow-up a day late, applied before the judgement */
	recovery_follow_up(r, &graced, "T-1", T0 + HOUR + 4 * DAY, now + 5000, &fx);
	assert_int_equal(fx.n_alerts, 0);
	assert_int_equal(recovery_next(r, &graced), now + 10000);
	assert_true(recovery_fire(r, &graced, "T-1", now + 10000, &fx));
	assert_adds(&fx, 1, (enum counter[]){C_FOLLOW_UP_MISSING}, (int64_t[]){T0 + HOUR + 3 * DAY});
	assert_int_equal(fx.n_alerts, 0);
	/* judged and followed up: kept for its rating until rating_within after it was applied */
	assert_int_equal(recovery_next(r, &graced), now + 7 * DAY);
	free(r);
	/* one in time, applied a moment after the answer: nothing to judge, nothing counted */
	r = recovery_new("a17", 3, SEVERITY_NORMAL, T0, now);
	recovery_reply(r, &graced, "T-1", T0 + HOUR, false, now, &fx);
	recovery_reply(r, &graced, "T-1", T0 + 2 * HOUR, true, now + 1, &fx);
	assert_int_equal(fx.n_alerts, 0);
	assert_int_equal(recovery_next(r, &graced), now + 7 * DAY);
	assert_false(recovery_fire(r, &graced, "T-1", now + 7 * DAY, &fx));
	assert_int_equal(fx.n_adds, 0);
	free(r);
}

/* Runs the recovery tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recovered),
		cmocka_unit_test(test_follow_up_due),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_rating),
		cmocka_unit_test(test_replayed),
		cmocka_unit_test(test_judged_after_grace),
	};

	return cmocka_run_group_tests_name("recovery", tests, NULL, NULL);
}
