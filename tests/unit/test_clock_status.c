/* test_clock_status.c: status events and the clocks: pauses, the settle grace, remembered tickets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "testutil_clock.h"

/*
 * struct tc_alert members in order: rule, state, goal, severity, agent, since, at, start, due,
 * target, late_ms, remaining_ms, response_ms, business_ms, wall_ms, promise_ms, promised, superseded.
 */
#define A(...) ((struct tc_alert){ __VA_ARGS__ })
#define GRACE (10 * MIN)

/* [sla] with a 10-minute status_grace; nothing remembered. */
static const struct clock_config GRACECFG = { .pair_horizon_ms = 7 * DAY, .memory_ms = 0, .grace_ms = GRACE };
/* [sla] that remembers a ticket with nothing running for a day; no grace. */
static const struct clock_config MEMCFG = { .pair_horizon_ms = 7 * DAY, .memory_ms = DAY, .grace_ms = 0 };
/* [sla] with both: a 10-minute grace, and a day's memory. */
static const struct clock_config BOTHCFG = { .pair_horizon_ms = 7 * DAY, .memory_ms = DAY, .grace_ms = GRACE };

/* Checks the 8 adds of a first reply stopped at stop after took of clock time, met. */
static void
test_met(const struct clock_effects *e, int64_t stop, int64_t took)
{
	assert_int_equal(e->n_adds, 8);
	assert_int_equal(tc_settled(e, 0, A17, true, stop, took), 6);
	TC_ADDS(e, 6, A17, { C_SLA_MET, stop, 1 }, { C_FIRST_MET, stop, 1 });
}

/* `pending` then `open` moves the deadline and the at-risk point by the paused time, 3h. */
static void
test_pause_moves_deadline(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 0, 0); /* held: nothing is due */
	assert_int_equal(clock_due(&s), CLOCK_NONE);
	assert_true(clock_reply_running(&s));
	assert_non_null(tc_pauses(&s));
	assert_int_equal(tc_pauses(&s)->n, 1);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 4 * HOUR, T0 + 4 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK + 3 * HOUR, 0, 0, 0, 0);
	assert_int_equal(clock_due(&s), DUE + 3 * HOUR);
	assert_true(clock_fire(&s, &CFG, RISK + 3 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, DUE + 3 * HOUR, 0, 0, 0, 1);
	/* 19h12m of clock time in 22h12m of wall time; 4h48m left. */
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_at_risk", "firing", "first_reply", "high", NULL, RISK + 3 * HOUR,
	    RISK + 3 * HOUR, T0, DUE + 3 * HOUR, DAY, -1, DUE - RISK, -1, RISK - T0, RISK - T0 + 3 * HOUR, -1, -1,
	    false));
	/* A reply at 26h took 23h of clock time: in time. */
	clock_reply(&s, &CFG, T0 + 26 * HOUR, T0 + 26 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	test_met(&e, T0 + 26 * HOUR, 23 * HOUR);
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_at_risk", "resolved", "first_reply", "high", NULL, RISK + 3 * HOUR,
	    T0 + 26 * HOUR, T0, DUE + 3 * HOUR, DAY, -1, -1, 26 * HOUR, 23 * HOUR, 26 * HOUR, -1, -1, false));
	assert_true(tc_zeroed(&s));
}

/* The same statuses in the other order, or on_hold for pending, give the same deadline; a repeat changes nothing. */
static void
test_pause_order(void **state)
{
	struct clock_state a = { 0 }, b = { 0 }, c = { 0 };
	struct clock_effects e;

	(void)state;
	tc_open(&a, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_open(&b, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_open(&c, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&a, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	tc_status(&a, &CFG, STATUS_OPEN, T0 + 4 * HOUR, T0 + 4 * HOUR, &e);
	tc_status(&b, &CFG, STATUS_OPEN, T0 + 4 * HOUR, T0 + 5 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 0, 0, 0, 0); /* open from the start: nothing moves yet */
	tc_status(&b, &CFG, STATUS_PENDING, T0 + HOUR, T0 + 5 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK + 3 * HOUR, 0, 0, 0, 0);
	tc_status(&b, &CFG, STATUS_PENDING, T0 + HOUR, T0 + 5 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, false, RISK + 3 * HOUR, 0, 0, 0, 0);
	tc_status(&c, &CFG, STATUS_ON_HOLD, T0 + HOUR, T0 + HOUR, &e);
	tc_status(&c, &CFG, STATUS_OPEN, T0 + 4 * HOUR, T0 + 4 * HOUR, &e);
	assert_int_equal(clock_due(&a), DUE + 3 * HOUR);
	assert_int_equal(clock_due(&b), DUE + 3 * HOUR);
	assert_int_equal(clock_due(&c), DUE + 3 * HOUR);
	assert_int_equal(clock_next(&b), clock_next(&a));
	assert_int_equal(clock_next(&c), clock_next(&a));
	clock_clear(&a);
	clock_clear(&b);
	clock_clear(&c);
}

/* A pause with no end holds the clock: no timer, unless the at-risk point passed before it (then that, once). */
static void
test_pause_held(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	assert_int_equal(clock_next(&s), CLOCK_NONE);
	assert_false(clock_fire(&s, &CFG, DUE + 10 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, CLOCK_NONE, 0, 0, 0, 0);
	/* A reply while held: 1h of clock time, met. */
	clock_reply(&s, &CFG, T0 + 5 * HOUR, T0 + 5 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 0);
	test_met(&e, T0 + 5 * HOUR, HOUR);
	/* Pending at 20h, past the at-risk point (19h12m) before it fired: that fires, then nothing is due. */
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + 20 * HOUR, T0 + 20 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 0, 0, 0, 0);
	assert_int_equal(clock_due(&s), CLOCK_NONE);
	assert_true(clock_fire(&s, &CFG, T0 + 20 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 0, 1);
	/* No deadline (due -1): remaining is the clock time left, 24h - 20h. */
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_at_risk", "firing", "first_reply", "high", NULL, RISK,
	    T0 + 20 * HOUR, T0, -1, DAY, -1, 4 * HOUR, -1, 20 * HOUR, 20 * HOUR, -1, -1, false));
	clock_reply(&s, &CFG, T0 + 30 * HOUR, T0 + 30 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	test_met(&e, T0 + 30 * HOUR, 20 * HOUR);
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_at_risk", "resolved", "first_reply", "high", NULL, RISK,
	    T0 + 30 * HOUR, T0, -1, DAY, -1, -1, 30 * HOUR, 20 * HOUR, 30 * HOUR, -1, -1, false));
}

/* pause_mask 0: pending holds nothing, yet joins the timeline. */
static void
test_pause_mask_zero(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	t.pause_mask = 0;
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 0, 0, 0, 0);
	assert_int_equal(clock_due(&s), DUE);
	assert_non_null(tc_pauses(&s));
	assert_int_equal(tc_pauses(&s)->n, 1);
	clock_reply(&s, &CFG, T0 + 5 * HOUR, T0 + 5 * HOUR, &TICKET, &e);
	test_met(&e, T0 + 5 * HOUR, 5 * HOUR);
	assert_true(tc_zeroed(&s));
}

/* On a business calendar a pause leaves out business time: 4h from Monday 09:00, pending Mon 10:00-Tue 10:00. */
static void
test_pause_business(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t tue_10 = MON_09 + DAY + HOUR;

	(void)state;
	t.calendar = tc_office();
	snprintf(t.calendar_name, sizeof(t.calendar_name), "office");
	tc_goal(&t, POLICY_FIRST_REPLY, 4 * HOUR, 0, 0);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, MON_09, MON_09, &e);
	assert_int_equal(clock_due(&s), MON_09 + 4 * HOUR);
	tc_status(&s, &CFG, STATUS_PENDING, MON_09 + HOUR, MON_09 + HOUR, &e);
	tc_status(&s, &CFG, STATUS_OPEN, tue_10, tue_10, &e);
	/* 1h on Monday, 3h from Tuesday 10:00: Tuesday 13:00. */
	tc_fx(&e, CLOCK_KEEP, true, tue_10 + 3 * HOUR, 0, 0, 0, 0);
	clock_reply(&s, &CFG, tue_10 + 2 * HOUR, tue_10 + 2 * HOUR, &TICKET, &e);
	test_met(&e, tue_10 + 2 * HOUR, 3 * HOUR);
	calendar_free(t.calendar);
}

/* With a grace the reply stops the clock (gauges at once, no counts); clock_fire at its settle time counts it. */
static void
test_grace_settles(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_open(&s, &GRACECFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &GRACECFG, T0 + 2 * HOUR, T0 + 2 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + GRACE, -1, 0, 0, 0);
	assert_int_equal(s.reply.state, RUN_SETTLING);
	assert_int_equal(s.reply.stop, T0 + 2 * HOUR);
	assert_int_equal(s.when, T0 + 2 * HOUR + GRACE); /* the reply clock settling: its settle time */
	assert_true(s.replied);
	assert_true(clock_holds_names(&s));
	assert_false(clock_reply_running(&s));
	assert_int_equal(clock_due(&s), CLOCK_NONE);
	assert_false(clock_fire(&s, &GRACECFG, T0 + 2 * HOUR + GRACE - 1, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, T0 + 2 * HOUR + GRACE, 0, 0, 0, 0);
	assert_true(clock_fire(&s, &GRACECFG, T0 + 2 * HOUR + GRACE, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_met(&e, T0 + 2 * HOUR, 2 * HOUR);
	assert_true(tc_zeroed(&s));
	/* A late reply pages at the reply; the misses wait for the settling, counted at the deadline. */
	tc_open(&s, &GRACECFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &GRACECFG, DUE + 20 * MIN, DUE + 40 * MIN, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, DUE + 40 * MIN + GRACE, -1, 0, 0, 2);
	assert_string_equal(e.alerts[0].state, "firing");
	assert_string_equal(e.alerts[1].state, "resolved");
	assert_true(clock_fire(&s, &GRACECFG, DUE + 40 * MIN + GRACE, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	assert_int_equal(tc_settled(&e, 0, A17, true, DUE + 20 * MIN, DAY + 20 * MIN), 6);
	TC_ADDS(&e, 6, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 });
}

/* A pending stamped before the reply, arriving within the grace, counts as in order; without a grace, too late. */
static void
test_grace_late_pending(void **state)
{
	struct clock_state a = { 0 }, b = { 0 };
	struct clock_effects ea, eb;
	const int64_t settle = T0 + 4 * HOUR + GRACE;

	(void)state;
	/* In order: pending at 1h, reply at 4h: 1h of clock time. */
	tc_open(&a, &GRACECFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &ea);
	tc_status(&a, &GRACECFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &ea);
	clock_reply(&a, &GRACECFG, T0 + 4 * HOUR, T0 + 4 * HOUR, &TICKET, &ea);
	assert_true(clock_fire(&a, &GRACECFG, settle, &TICKET, &ea));
	tc_fx(&ea, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_met(&ea, T0 + 4 * HOUR, HOUR);
	/* The reply first, the pending 5 minutes into the grace: the same. */
	tc_open(&b, &GRACECFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &eb);
	clock_reply(&b, &GRACECFG, T0 + 4 * HOUR, T0 + 4 * HOUR, &TICKET, &eb);
	tc_status(&b, &GRACECFG, STATUS_PENDING, T0 + HOUR, T0 + 4 * HOUR + 5 * MIN, &eb);
	tc_fx(&eb, CLOCK_KEEP, true, settle, 0, 0, 0, 0);
	assert_true(clock_fire(&b, &GRACECFG, settle, &TICKET, &eb));
	tc_fx(&eb, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	for (size_t i = 0; i < ea.n_adds; i++) {
		assert_int_equal(eb.adds[i].agent, ea.adds[i].agent);
		assert_int_equal(eb.adds[i].counter, ea.adds[i].counter);
		assert_int_equal(eb.adds[i].ts, ea.adds[i].ts);
		assert_int_equal(eb.adds[i].value, ea.adds[i].value);
	}
	/* No grace: the reply counts 4h at once, and the pending finds a forgotten ticket. */
	tc_open(&b, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &eb);
	clock_reply(&b, &CFG, T0 + 4 * HOUR, T0 + 4 * HOUR, &TICKET, &eb);
	test_met(&eb, T0 + 4 * HOUR, 4 * HOUR);
	tc_status(&b, &CFG, STATUS_PENDING, T0 + HOUR, T0 + 4 * HOUR + 5 * MIN, &eb);
	tc_fx(&eb, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&b));
}

/* A message during the grace settles the old clock first, then starts the next-reply clock. */
static void
test_grace_message(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t m2 = T0 + HOUR + 2 * MIN;

	(void)state;
	tc_open(&s, &GRACECFG, &tc_def, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &GRACECFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_open(&s, &GRACECFG, &tc_def, CLOCK_MESSAGE, A17, m2, m2, &e);
	tc_fx(&e, CLOCK_KEEP, true, m2 + 6 * HOUR + 24 * MIN, 1, 0, 8, 0);
	test_met(&e, T0 + HOUR, HOUR);
	assert_int_equal(s.reply.state, RUN_OPEN);
	assert_int_equal(s.reply.goal, POLICY_NEXT_REPLY);
	assert_int_equal(s.reply.start, m2);
	clock_clear(&s);
}

/* An early reply paired within a grace settles at its settle time too. */
static void
test_grace_pair(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	clock_reply(&s, &GRACECFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_open(&s, &GRACECFG, &tc_def, CLOCK_HIGH, A17, T0, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + GRACE, 0, 0, 0, 0);
	assert_int_equal(s.reply.state, RUN_SETTLING);
	assert_int_equal(s.reply.stop, T0 + HOUR);
	assert_int_equal(s.when, T0 + 2 * HOUR + GRACE);
	assert_null(s.extra); /* the early reply was its only extra */
	assert_true(clock_fire(&s, &GRACECFG, T0 + 2 * HOUR + GRACE, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_met(&e, T0 + HOUR, HOUR);
}

/* `solved` settles the resolution clock after the grace; an on_hold stamped before it, arriving then, pauses it. */
static void
test_grace_solved(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_goal(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 0);
	tc_open(&s, &GRACECFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &GRACECFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	assert_true(clock_fire(&s, &GRACECFG, T0 + HOUR + GRACE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 48 * HOUR, 0, 0, 8, 0);
	tc_status(&s, &GRACECFG, STATUS_SOLVED, T0 + 10 * HOUR, T0 + 10 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 10 * HOUR + GRACE, 0, 0, 0, 0);
	assert_int_equal(tc_res(&s)->state, RUN_SETTLING);
	assert_int_equal(tc_res(&s)->stop, T0 + 10 * HOUR);
	assert_int_equal(s.extra->settle_at, T0 + 10 * HOUR + GRACE);
	assert_int_equal(s.when, 0); /* a clock runs (settles): nothing is forgotten */
	tc_status(&s, &GRACECFG, STATUS_ON_HOLD, T0 + 2 * HOUR, T0 + 10 * HOUR + 5 * MIN, &e);
	assert_true(clock_fire(&s, &GRACECFG, T0 + 10 * HOUR + GRACE, &TICKET, &e));
	/* On hold from 2h to the solve: 2h of clock time. */
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 4, 0);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 10 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 10 * HOUR, 2 * HOUR },
	    { C_RES_MAX_MS, T0 + 10 * HOUR, 2 * HOUR }, { C_RES_MET, T0 + 10 * HOUR, 1 });
}

/* A ticket with nothing running is remembered memory_ms from then (a status does not extend it), then deleted. */
static void
test_memory(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t forget = T0 + HOUR + DAY;

	(void)state;
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, forget, -1, 0, 8, 0);
	assert_int_equal(s.when, forget);
	assert_ptr_equal(s.terms, &tc_def);
	assert_true(s.replied);
	assert_false(clock_holds_names(&s));
	assert_false(clock_empty(&s));
	assert_int_equal(clock_next(&s), forget);
	tc_status(&s, &MEMCFG, STATUS_PENDING, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, forget, 0, 0, 0, 0);
	assert_false(clock_fire(&s, &MEMCFG, forget - 1, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, forget, 0, 0, 0, 0);
	/* Forgotten: a change, and the ticket goes. */
	assert_true(clock_fire(&s, &MEMCFG, forget, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
}

/* An early reply alone is deleted at its expiry as before; on a remembered ticket it defers the forgetting. */
static void
test_memory_early(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t expiry = T0 + 2 * HOUR + 7 * DAY;

	(void)state;
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + HOUR + 7 * DAY, 0, 0, 0, 0);
	assert_int_equal(s.when, 0);
	assert_true(clock_fire(&s, &MEMCFG, T0 + HOUR + 7 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	clock_reply(&s, &MEMCFG, T0 + 2 * HOUR, T0 + 2 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, expiry, 0, 0, 0, 0);
	assert_int_equal(s.when, 0);
	assert_true(clock_fire(&s, &MEMCFG, expiry, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, expiry + DAY, 0, 0, 0, 0);
	assert_true(clock_fire(&s, &MEMCFG, expiry + DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	/* A timer on the forgotten ticket is stale. */
	assert_false(clock_fire(&s, &MEMCFG, expiry + 2 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, false, CLOCK_NONE, 0, 0, 0, 0);
}

/* A status on an unknown ticket: forgotten at once with memory 0; else its timeline waits for the first clock. */
static void
test_status_first(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_status(&s, &CFG, STATUS_PENDING, T0, T0, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	tc_status(&s, &MEMCFG, STATUS_PENDING, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + DAY, 0, 0, 0, 0);
	assert_null(s.terms);
	/* A message while pending: a clock held from its start, released by `open` at 3h. */
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_MESSAGE, A17, T0 + HOUR, T0 + HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 1, 0, 0, 0);
	assert_int_equal(s.when, 0);
	tc_status(&s, &MEMCFG, STATUS_OPEN, T0 + 3 * HOUR, T0 + 3 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 3 * HOUR + 6 * HOUR + 24 * MIN, 0, 0, 0, 0);
	clock_clear(&s);
	/* `solved` before any clock does not mark the ticket solved: the resolution clock starts. */
	tc_goal(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 0);
	tc_status(&s, &MEMCFG, STATUS_SOLVED, T0, T0, &e);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0 + HOUR, T0 + HOUR, &e);
	assert_false(s.solved);
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	clock_clear(&s);
}

/* The timeline keeps only what the clocks running can need: the last change at or before their start, and later. */
static void
test_prune(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_status(&s, &MEMCFG, STATUS_PENDING, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_status(&s, &MEMCFG, STATUS_OPEN, T0 + 3 * HOUR, T0 + 3 * HOUR, &e);
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_MESSAGE, A17, T0 + 4 * HOUR, T0 + 4 * HOUR, &e);
	tc_status(&s, &MEMCFG, STATUS_ON_HOLD, T0 + 5 * HOUR, T0 + 5 * HOUR, &e);
	assert_non_null(tc_pauses(&s));
	assert_int_equal(tc_pauses(&s)->n, 2);
	assert_int_equal(tc_pauses(&s)->at[0].ts, T0 + 3 * HOUR);
	assert_int_equal(tc_pauses(&s)->at[0].status, STATUS_OPEN);
	assert_int_equal(tc_pauses(&s)->at[1].ts, T0 + 5 * HOUR);
	assert_int_equal(tc_pauses(&s)->at[1].status, STATUS_ON_HOLD);
	clock_clear(&s);
}

/*
 * The common ticket, a reply clock and nothing else (no status event, no resolution target, no
 * early reply), never has extras: open, at risk, breached, replied, settling, remembered, a next
 * reply, forgotten. That is what keeps 1,000,000 open clocks at 64 MB.
 */
static void
test_extra_reply_only(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t replied = DUE + HOUR, settle = DUE + HOUR + GRACE, next = settle + HOUR;

	(void)state;
	tc_open(&s, &BOTHCFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0);
	assert_null(s.extra);
	assert_int_equal(s.when, 0);
	assert_true(clock_fire(&s, &BOTHCFG, RISK, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, DUE, 0, 0, 0, 1);
	assert_null(s.extra);
	assert_true(clock_fire(&s, &BOTHCFG, DUE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 2);
	assert_int_equal(e.alerts[0].since, RISK); /* the superseded at-risk alert: its point, worked out again */
	assert_null(s.extra);
	assert_int_equal(s.when, 0);
	/* The reply resolves the breach at the point it fired, worked out again: nothing moved it. */
	clock_reply(&s, &BOTHCFG, replied, replied, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, settle, -1, -1, 0, 1);
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE, replied,
	    T0, DUE, DAY, -1, -1, DAY + HOUR, DAY + HOUR, DAY + HOUR, -1, -1, false));
	assert_null(s.extra);
	assert_int_equal(s.reply.state, RUN_SETTLING);
	assert_int_equal(s.reply.stop, replied);
	assert_int_equal(s.when, settle);
	/* Settled: remembered for a day. */
	assert_true(clock_fire(&s, &BOTHCFG, settle, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, settle + DAY, 0, 0, 6, 0);
	assert_int_equal(tc_settled(&e, 0, A17, true, replied, DAY + HOUR), 6);
	assert_null(s.extra);
	assert_false(clock_holds_names(&s));
	assert_int_equal(s.when, settle + DAY);
	/* A next-reply clock on the remembered ticket, answered in time, settled, remembered again. */
	tc_open(&s, &BOTHCFG, &tc_def, CLOCK_MESSAGE, A17, next, next, &e);
	tc_fx(&e, CLOCK_KEEP, true, next + 6 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_null(s.extra);
	assert_int_equal(s.when, 0);
	clock_reply(&s, &BOTHCFG, next + HOUR, next + HOUR, &TICKET, &e);
	assert_null(s.extra);
	assert_int_equal(s.when, next + HOUR + GRACE);
	assert_true(clock_fire(&s, &BOTHCFG, next + HOUR + GRACE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, next + HOUR + GRACE + DAY, 0, 0, 5, 0);
	assert_null(s.extra);
	/* Forgotten. */
	assert_true(clock_fire(&s, &BOTHCFG, next + HOUR + GRACE + DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
}

/*
 * The extras are made by what needs them (a status event, a resolution clock that starts, an
 * early reply) and freed when nothing in them is needed any more.
 */
static void
test_extra_made_trimmed(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	/* A status event: the timeline stays as long as the ticket is remembered. */
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	assert_null(s.extra);
	tc_status(&s, &MEMCFG, STATUS_OPEN, T0 + HOUR, T0 + HOUR, &e);
	assert_non_null(s.extra);
	assert_non_null(tc_pauses(&s));
	assert_int_equal(tc_res(&s)->state, RUN_IDLE);
	assert_int_equal(tc_expires(&s), 0);
	clock_reply(&s, &MEMCFG, T0 + 2 * HOUR, T0 + 2 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + DAY, -1, 0, 8, 0);
	assert_non_null(tc_pauses(&s));
	assert_true(clock_fire(&s, &MEMCFG, T0 + 2 * HOUR + DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	/* A status event on an unknown ticket: the timeline alone. */
	tc_status(&s, &MEMCFG, STATUS_PENDING, T0, T0, &e);
	assert_null(s.terms);
	assert_non_null(tc_pauses(&s));
	clock_clear(&s);
	/* A resolution clock, once one starts: not for a message whose resolution target is 0. */
	tc_goal(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 0);
	t.goals[POLICY_RESOLUTION].target_ms[CLOCK_MESSAGE] = 0;
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	assert_true(clock_reply_running(&s));
	assert_null(s.extra);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0 + HOUR, T0 + HOUR, &e);
	assert_non_null(s.extra);
	assert_null(tc_pauses(&s));
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	assert_int_equal(tc_res(&s)->start, T0 + HOUR);
	/* It outlives the reply clock, and an early reply paired beside it takes only its own part. */
	clock_reply(&s, &MEMCFG, T0 + 2 * HOUR, T0 + 2 * HOUR, &TICKET, &e);
	assert_false(clock_reply_running(&s));
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	clock_reply(&s, &MEMCFG, T0 + 4 * HOUR, T0 + 4 * HOUR, &TICKET, &e);
	assert_int_equal(tc_early(&s), T0 + 4 * HOUR);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0 + 3 * HOUR, T0 + 4 * HOUR, &e);
	/* A next reply, paired (and counted); the resolution clock's deadline is next. */
	tc_fx(&e, CLOCK_KEEP, true, T0 + 49 * HOUR, 0, 0, 5, 0);
	assert_non_null(s.extra);
	assert_int_equal(tc_early(&s), 0);
	assert_int_equal(tc_expires(&s), 0);
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	assert_int_equal(tc_res(&s)->start, T0 + HOUR);
	clock_clear(&s);
	/* An early reply: its extras go when a message pairs with it... */
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	assert_non_null(s.extra);
	assert_null(s.terms);
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	assert_true(tc_zeroed(&s));
	/* ... or when a later message's clock supersedes it... */
	clock_reply(&s, &CFG, T0 - 1, T0, &TICKET, &e);
	assert_non_null(s.extra);
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0 + MIN, &e);
	assert_true(clock_reply_running(&s));
	assert_null(s.extra);
	clock_clear(&s);
	/* ... or when it expires: a remembered ticket is remembered again, without extras. */
	tc_open(&s, &MEMCFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	assert_null(s.extra);
	assert_int_equal(s.when, T0 + HOUR + DAY);
	clock_reply(&s, &MEMCFG, T0 + 2 * HOUR, T0 + 2 * HOUR, &TICKET, &e);
	assert_non_null(s.extra);
	assert_int_equal(s.when, 0);
	assert_true(clock_fire(&s, &MEMCFG, T0 + 2 * HOUR + 7 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + 8 * DAY, 0, 0, 0, 0);
	assert_null(s.extra);
	assert_ptr_equal(s.terms, &tc_def);
	assert_int_equal(s.when, T0 + 2 * HOUR + 8 * DAY);
	clock_clear(&s);
}

/* Checks that two alerts are about the same episode: the same since, the same alert_id. */
static void
test_same_episode(const struct alert_facts *firing, const struct alert_facts *resolved)
{
	char a[ALERT_ID_SIZE], b[ALERT_ID_SIZE];

	assert_string_equal(firing->rule, resolved->rule);
	assert_string_equal(firing->state, "firing");
	assert_string_equal(resolved->state, "resolved");
	assert_int_equal(resolved->since, firing->since);
	alert_id(firing, a);
	alert_id(resolved, b);
	assert_string_equal(b, a);
}

/*
 * An episode that fired before the ticket's first status event (no extras: its since is the
 * point itself) keeps its since when that event moves the points: the resolved alert names the
 * episode the firing one opened. So does one that fired with a timeline already there, and one
 * of the resolution clock.
 */
static void
test_since_kept(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;
	struct alert_facts risk, breach, promise;

	(void)state;
	/* At risk at 19h12m; then a pending 1h-2h arrives late: the points move 1h later. */
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	risk = e.alerts[0];
	assert_int_equal(risk.since, RISK);
	assert_null(s.extra);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, RISK + MIN, &e);
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 0, 0); /* held */
	assert_non_null(s.extra);
	assert_int_equal(s.extra->since[0][CLOCK_RISK], RISK);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 2 * HOUR, RISK + 2 * MIN, &e);
	tc_fx(&e, CLOCK_KEEP, true, DUE + HOUR, 0, 0, 0, 0);
	assert_int_equal(clock_due(&s), DUE + HOUR);
	clock_reply(&s, &CFG, T0 + 21 * HOUR, T0 + 21 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	tc_alert(&e.alerts[0], &tc_def, A("reply_sla_at_risk", "resolved", "first_reply", "high", NULL, RISK,
	    T0 + 21 * HOUR, T0, DUE + HOUR, DAY, -1, -1, 21 * HOUR, 20 * HOUR, 21 * HOUR, -1, -1, false));
	test_same_episode(&risk, &e.alerts[0]);
	assert_true(tc_zeroed(&s));
	/* Breach at 24h and broken promise at 36h; then a pending 1h-3h arrives: they move 2h later. */
	tc_goal(&t, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 800);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	breach = e.alerts[1];
	assert_int_equal(breach.since, DUE);
	assert_true(clock_fire(&s, &CFG, T0 + 36 * HOUR, &TICKET, &e));
	promise = e.alerts[0];
	assert_int_equal(promise.since, T0 + 36 * HOUR);
	assert_null(s.extra);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + 37 * HOUR, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 3 * HOUR, T0 + 37 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 0, 0); /* overdue, its promise fired: nothing due */
	assert_int_equal(clock_due(&s), DUE + 2 * HOUR);
	assert_int_equal(s.extra->since[0][CLOCK_RISK], RISK);
	assert_int_equal(s.extra->since[0][CLOCK_BREACH], DUE);
	assert_int_equal(s.extra->since[0][CLOCK_PROMISE], T0 + 36 * HOUR);
	clock_reply(&s, &CFG, T0 + 40 * HOUR, T0 + 40 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 6, 2);
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE,
	    T0 + 40 * HOUR, T0, DUE + 2 * HOUR, DAY, -1, -1, 40 * HOUR, 38 * HOUR, 40 * HOUR, 36 * HOUR,
	    T0 + 38 * HOUR, false));
	tc_alert(&e.alerts[1], &t, A("promise_broken", "resolved", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 40 * HOUR, T0, DUE + 2 * HOUR, DAY, -1, -1, 40 * HOUR, 38 * HOUR, 40 * HOUR, 36 * HOUR,
	    T0 + 38 * HOUR, false));
	test_same_episode(&breach, &e.alerts[0]);
	test_same_episode(&promise, &e.alerts[1]);
	assert_true(tc_zeroed(&s));
	/* With a timeline already there when it fired: the same. */
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + MIN, T0 + MIN, &e);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	risk = e.alerts[0];
	assert_int_equal(s.extra->since[0][CLOCK_RISK], RISK);
	tc_status(&s, &CFG, STATUS_ON_HOLD, T0 + HOUR, RISK + MIN, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 2 * HOUR, RISK + MIN, &e);
	clock_reply(&s, &CFG, T0 + 21 * HOUR, T0 + 21 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	test_same_episode(&risk, &e.alerts[0]);
	/* The resolution clock at risk at 24h; a pending 2h-4h arrives: its point moves to 26h. */
	t = tc_def;
	tc_goal(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 500);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	assert_true(clock_fire(&s, &CFG, T0 + DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 48 * HOUR, 0, 0, 0, 1);
	risk = e.alerts[0];
	assert_string_equal(risk.rule, "resolution_sla_at_risk");
	assert_int_equal(risk.since, T0 + DAY);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + 2 * HOUR, T0 + DAY + MIN, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 4 * HOUR, T0 + DAY + MIN, &e);
	assert_int_equal(clock_due(&s), T0 + 50 * HOUR);
	tc_status(&s, &CFG, STATUS_SOLVED, T0 + 30 * HOUR, T0 + 30 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 4, 1);
	test_same_episode(&risk, &e.alerts[0]);
	assert_int_equal(e.alerts[0].due, T0 + 50 * HOUR);
	assert_true(tc_zeroed(&s));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pause_moves_deadline),
		cmocka_unit_test(test_pause_order),
		cmocka_unit_test(test_pause_held),
		cmocka_unit_test(test_pause_mask_zero),
		cmocka_unit_test(test_pause_business),
		cmocka_unit_test(test_grace_settles),
		cmocka_unit_test(test_grace_late_pending),
		cmocka_unit_test(test_grace_message),
		cmocka_unit_test(test_grace_pair),
		cmocka_unit_test(test_grace_solved),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_memory_early),
		cmocka_unit_test(test_status_first),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_extra_reply_only),
		cmocka_unit_test(test_extra_made_trimmed),
		cmocka_unit_test(test_since_kept),
	};

	return cmocka_run_group_tests(tests, tc_setup, NULL);
}
