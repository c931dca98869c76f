/* test_clock_policy.c: what policies add to the clocks: first and next reply, resolution, promises, business hours. */
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
#define MEM (30 * DAY)

/* [sla] that remembers a ticket with nothing running for 30 days. */
static const struct clock_config MEMCFG = { .pair_horizon_ms = 7 * DAY, .memory_ms = MEM, .grace_ms = 0 };

/* The example policy renamed "vip", with goal g set (all kinds) as given. */
static void
test_terms(struct terms *t, enum policy_target g, int64_t target, int64_t promise, int permille)
{
	tc_terms(t);
	snprintf(t->policy, sizeof(t->policy), "vip");
	tc_goal(t, g, target, promise, permille);
}

/* The first reply counts first-reply figures; a later message starts a next-reply clock of its own target. */
static void
test_first_then_next(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_NEXT_REPLY, 2 * HOUR, 0, 500);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 6 * HOUR + 24 * MIN, 1, 0, 0, 0); /* 0.8 x 8h */
	assert_int_equal(s.reply.goal, POLICY_FIRST_REPLY);
	assert_int_equal(tc_target(&s, &s.reply), 8 * HOUR);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + HOUR + MEM, -1, 0, 8, 0);
	assert_int_equal(tc_settled(&e, 0, A17, true, T0 + HOUR, HOUR), 6);
	TC_ADDS(&e, 6, A17, { C_SLA_MET, T0 + HOUR, 1 }, { C_FIRST_MET, T0 + HOUR, 1 });
	assert_true(s.replied);
	assert_int_equal(s.when, T0 + HOUR + MEM); /* nothing runs: when it is forgotten */
	assert_false(clock_holds_names(&s));
	/* a18's message: a next-reply clock for a18, 2h, at risk 0.5 x 2h = 1h in. */
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A18, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 3 * HOUR, 1, 0, 0, 0);
	assert_int_equal(e.agent, A18);
	assert_int_equal(s.agent, A18);
	assert_int_equal(s.reply.goal, POLICY_NEXT_REPLY);
	assert_int_equal(tc_target(&s, &s.reply), 2 * HOUR);
	assert_int_equal(tc_at_risk(&s, &s.reply), 500);
	assert_int_equal(s.when, 0);
	assert_int_equal(clock_due(&s), T0 + 4 * HOUR);
	assert_true(clock_fire(&s, &MEMCFG, T0 + 3 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 4 * HOUR, 0, 0, 0, 1);
	tc_alert(&e.alerts[0], &t, A("reply_sla_at_risk", "firing", "next_reply", "message", "a18", T0 + 3 * HOUR,
	    T0 + 3 * HOUR, T0 + 2 * HOUR, T0 + 4 * HOUR, 2 * HOUR, -1, HOUR, -1, HOUR, HOUR, -1, -1, false));
	/* Its reply: rn, rsum, rmax, nrmax and met, no first-reply figure. */
	clock_reply(&s, &MEMCFG, T0 + 3 * HOUR + 30 * MIN, T0 + 3 * HOUR + 30 * MIN, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 3 * HOUR + 30 * MIN + MEM, -1, 0, 5, 1);
	assert_int_equal(tc_settled(&e, 0, A18, false, T0 + 3 * HOUR + 30 * MIN, 90 * MIN), 4);
	TC_ADDS(&e, 4, A18, { C_SLA_MET, T0 + 3 * HOUR + 30 * MIN, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_at_risk", "resolved", "next_reply", "message", "a18", T0 + 3 * HOUR,
	    T0 + 3 * HOUR + 30 * MIN, T0 + 2 * HOUR, T0 + 4 * HOUR, 2 * HOUR, -1, -1, 90 * MIN, 90 * MIN, 90 * MIN,
	    -1, -1, false));
}

/* A next-reply clock missed: only the all-replies miss, at its deadline; no first-reply figure. */
static void
test_next_missed(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_NEXT_REPLY, 2 * HOUR, 0, 0);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 4 * HOUR, 1, 0, 0, 0); /* at_risk 0: the deadline */
	assert_true(clock_fire(&s, &MEMCFG, T0 + 4 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 1, 1);
	TC_ADDS(&e, 0, A17, { C_SLA_MISSED, T0 + 4 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "firing", "next_reply", "high", NULL, T0 + 4 * HOUR,
	    T0 + 4 * HOUR, T0 + 2 * HOUR, T0 + 4 * HOUR, 2 * HOUR, 0, -1, -1, 2 * HOUR, 2 * HOUR, -1, -1, false));
	clock_reply(&s, &MEMCFG, T0 + 5 * HOUR, T0 + 5 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 5 * HOUR + MEM, -1, -1, 4, 1);
	assert_int_equal(tc_settled(&e, 0, A17, false, T0 + 5 * HOUR, 3 * HOUR), 4);
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "next_reply", "high", NULL, T0 + 4 * HOUR,
	    T0 + 5 * HOUR, T0 + 2 * HOUR, T0 + 4 * HOUR, 2 * HOUR, -1, -1, 3 * HOUR, 3 * HOUR, 3 * HOUR, -1, -1, false));
}

/* A target of 0 starts no clock: next_reply off after a reply, first_reply off from the start. */
static void
test_target_off(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_NEXT_REPLY, 0, 0, 0);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_open(&s, &MEMCFG, &t, CLOCK_CRITICAL, A17, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + HOUR + MEM, 0, 0, 0, 0); /* still remembered from the reply */
	assert_int_equal(s.reply.state, RUN_IDLE);
	assert_int_equal(s.when, T0 + HOUR + MEM);
	/* first_reply off, no resolution: nothing runs, and with memory 0 nothing is kept. */
	test_terms(&t, POLICY_FIRST_REPLY, 0, 0, 0);
	clock_clear(&s);
	tc_open(&s, &CFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
}

/* With memory_ms 0 the ticket is forgotten at the reply, so the next message is a first reply again. */
static void
test_forgotten_is_first(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_NEXT_REPLY, 2 * HOUR, 0, 500);
	tc_open(&s, &CFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 0);
	assert_true(tc_zeroed(&s));
	tc_open(&s, &CFG, &t, CLOCK_MESSAGE, A17, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + 6 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_int_equal(s.reply.goal, POLICY_FIRST_REPLY);
	assert_int_equal(tc_target(&s, &s.reply), 8 * HOUR);
	clock_clear(&s);
}

/* An early reply on a replied ticket pairs as a next reply. */
static void
test_next_pairs(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_NEXT_REPLY, 2 * HOUR, 0, 500);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	clock_reply(&s, &MEMCFG, T0 + 5 * HOUR, T0 + 5 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 5 * HOUR + 7 * DAY, 0, 0, 0, 0); /* the wait replaces the memory */
	assert_int_equal(s.when, 0);
	assert_int_equal(tc_early(&s), T0 + 5 * HOUR);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0 + 4 * HOUR, T0 + 6 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 6 * HOUR + MEM, 0, 0, 5, 0);
	assert_int_equal(tc_settled(&e, 0, A17, false, T0 + 5 * HOUR, HOUR), 4);
	TC_ADDS(&e, 4, A17, { C_SLA_MET, T0 + 5 * HOUR, 1 });
	assert_null(s.extra); /* paired: the early reply's extras went with it */
	assert_int_equal(s.when, T0 + 6 * HOUR + MEM);
	clock_clear(&s);
}

/* The resolution clock: starts with the first opening, at risk, breaches (no overdue gauge), `solved` counts it. */
static void
test_resolution_clock(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 500);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0); /* the reply clock's at-risk point is first */
	assert_non_null(s.extra); /* the resolution clock is an extra */
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	assert_int_equal(tc_res(&s)->goal, POLICY_RESOLUTION);
	assert_int_equal(tc_res(&s)->kind, CLOCK_HIGH);
	assert_int_equal(tc_res(&s)->start, T0);
	assert_int_equal(tc_res(&s)->created, T0);
	assert_int_equal(tc_target(&s, tc_res(&s)), 48 * HOUR);
	assert_int_equal(tc_promise(&s, tc_res(&s)), 0);
	assert_int_equal(tc_at_risk(&s, tc_res(&s)), 500);
	/* The reply ends the reply clock; the ticket stays for its resolution clock, at risk 24h in. */
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + DAY, -1, 0, 8, 0);
	assert_int_equal(clock_due(&s), T0 + 48 * HOUR);
	assert_true(clock_holds_names(&s));
	assert_false(clock_reply_running(&s));
	assert_true(clock_fire(&s, &CFG, T0 + DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 48 * HOUR, 0, 0, 0, 1);
	tc_alert(&e.alerts[0], &t, A("resolution_sla_at_risk", "firing", "resolution", "high", NULL, T0 + DAY,
	    T0 + DAY, T0, T0 + 48 * HOUR, 48 * HOUR, -1, DAY, -1, DAY, DAY, -1, -1, false));
	assert_true(clock_fire(&s, &CFG, T0 + 48 * HOUR + 5, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 1, 2);
	TC_ADDS(&e, 0, A17, { C_RES_MISSED, T0 + 48 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("resolution_sla_at_risk", "resolved", "resolution", "high", NULL, T0 + DAY,
	    T0 + 48 * HOUR + 5, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, -1, 48 * HOUR + 5, 48 * HOUR + 5, -1, -1, true));
	tc_alert(&e.alerts[1], &t, A("resolution_sla_breach", "firing", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 48 * HOUR + 5, T0, T0 + 48 * HOUR, 48 * HOUR, 5, -1, -1, 48 * HOUR + 5, 48 * HOUR + 5, -1, -1, false));
	assert_int_equal(tc_res(&s)->state, RUN_OVERDUE);
	assert_true(tc_res(&s)->breach_counted);
	assert_false(clock_reply_overdue(&s));
	/* `solved` at 50h: its time at the solved ts; the miss was counted by the breach. */
	tc_status(&s, &CFG, STATUS_SOLVED, T0 + 50 * HOUR, T0 + 50 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 3, 1);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 50 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 50 * HOUR, 50 * HOUR },
	    { C_RES_MAX_MS, T0 + 50 * HOUR, 50 * HOUR });
	tc_alert(&e.alerts[0], &t, A("resolution_sla_breach", "resolved", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 50 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, 50 * HOUR, 50 * HOUR, 50 * HOUR, -1, -1, false));
	assert_true(tc_zeroed(&s));
}

/* `solved` ends a running reply clock uncounted (its breach resolved) and counts the resolution met or missed. */
static void
test_solved(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 500);
	t.goals[POLICY_FIRST_REPLY].at_risk_permille = 0;
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	/* At 24h the reply clock breaches first, then the resolution clock is at risk: one step a call. */
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, DUE, 0, 1, 2, 1);
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 48 * HOUR, 0, 0, 0, 1);
	tc_status(&s, &CFG, STATUS_SOLVED, T0 + 30 * HOUR, T0 + 30 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 4, 2);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 30 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 30 * HOUR, 30 * HOUR },
	    { C_RES_MAX_MS, T0 + 30 * HOUR, 30 * HOUR }, { C_RES_MET, T0 + 30 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE, T0 + 30 * HOUR,
	    T0, DUE, DAY, -1, -1, -1, 30 * HOUR, 30 * HOUR, -1, -1, false));
	tc_alert(&e.alerts[1], &t, A("resolution_sla_at_risk", "resolved", "resolution", "high", NULL, T0 + DAY,
	    T0 + 30 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, 30 * HOUR, 30 * HOUR, 30 * HOUR, -1, -1, false));
	/* Nothing fired: the reply clock ends silently; solved at 50h, 2h late: missed and paged at once. */
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_SOLVED, T0 + 50 * HOUR, T0 + 50 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 4, 2);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 50 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 50 * HOUR, 50 * HOUR },
	    { C_RES_MAX_MS, T0 + 50 * HOUR, 50 * HOUR }, { C_RES_MISSED, T0 + 48 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("resolution_sla_breach", "firing", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 50 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, 2 * HOUR, -1, -1, 50 * HOUR, 50 * HOUR, -1, -1, false));
	tc_alert(&e.alerts[1], &t, A("resolution_sla_breach", "resolved", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 50 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, 50 * HOUR, 50 * HOUR, 50 * HOUR, -1, -1, false));
}

/* A solved ticket never breaches; a message restarts only the reply clock, `solved` ends it, `reopened` starts both. */
static void
test_reopened(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 500);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_status(&s, &MEMCFG, STATUS_SOLVED, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + MEM, 0, 0, 4, 0);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 2 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 2 * HOUR, 2 * HOUR },
	    { C_RES_MAX_MS, T0 + 2 * HOUR, 2 * HOUR }, { C_RES_MET, T0 + 2 * HOUR, 1 });
	assert_true(s.solved);
	assert_false(clock_fire(&s, &MEMCFG, T0 + 48 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, T0 + 2 * HOUR + MEM, 0, 0, 0, 0);
	/* A message on the solved ticket: a next-reply clock (8h, at risk 3h + 6h24m), no resolution clock. */
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0 + 3 * HOUR, T0 + 3 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 3 * HOUR + 6 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_int_equal(s.reply.goal, POLICY_NEXT_REPLY);
	assert_int_equal(tc_res(&s)->state, RUN_IDLE);
	/* `solved` again ends that reply clock, uncounted. */
	tc_status(&s, &MEMCFG, STATUS_SOLVED, T0 + 4 * HOUR, T0 + 4 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 4 * HOUR + MEM, -1, 0, 0, 0);
	assert_int_equal(s.reply.state, RUN_IDLE);
	/* `reopened`: next reply (at risk 5h + 6h24m) and resolution (5h + 24h) clocks, as for a message at its ts. */
	tc_status(&s, &MEMCFG, STATUS_REOPENED, T0 + 5 * HOUR, T0 + 5 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 11 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_false(s.solved);
	assert_int_equal(s.reply.goal, POLICY_NEXT_REPLY);
	assert_int_equal(s.reply.start, T0 + 5 * HOUR);
	assert_int_equal(s.reply.kind, CLOCK_MESSAGE);
	assert_int_equal(tc_res(&s)->state, RUN_OPEN);
	assert_int_equal(tc_res(&s)->start, T0 + 5 * HOUR);
	assert_int_equal(tc_res(&s)->kind, CLOCK_MESSAGE);
	assert_int_equal(s.when, 0);
	/* `reopened` on a ticket not solved only joins the timeline. */
	tc_status(&s, &MEMCFG, STATUS_REOPENED, T0 + 6 * HOUR, T0 + 6 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 11 * HOUR + 24 * MIN, 0, 0, 0, 0);
	assert_int_equal(s.reply.start, T0 + 5 * HOUR);
	clock_clear(&s);
}

/* A `solved` older than the running reply clock ends only the resolution clock; a later one ends the reply clock. */
static void
test_solved_out_of_order(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_RESOLUTION, 48 * HOUR, 0, 500);
	tc_open(&s, &MEMCFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0 + 3 * HOUR, T0 + 3 * HOUR, &e);
	tc_status(&s, &MEMCFG, STATUS_SOLVED, T0 + 2 * HOUR, T0 + 4 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 9 * HOUR + 24 * MIN, 0, 0, 4, 0); /* the next reply's risk: 3h + 6h24m */
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 2 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 2 * HOUR, 2 * HOUR },
	    { C_RES_MAX_MS, T0 + 2 * HOUR, 2 * HOUR }, { C_RES_MET, T0 + 2 * HOUR, 1 });
	assert_true(clock_reply_running(&s));
	tc_status(&s, &MEMCFG, STATUS_SOLVED, T0 + 5 * HOUR, T0 + 5 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 5 * HOUR + MEM, -1, 0, 0, 0);
	assert_false(clock_reply_running(&s));
	clock_clear(&s);
}

/* A promise breaks at its point after the breach: counted at the promise instant, paged with its goal. */
static void
test_promise_broken(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 800);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	tc_alert(&e.alerts[0], &t, A("reply_sla_at_risk", "firing", "first_reply", "high", NULL, RISK, RISK, T0, DUE,
	    DAY, -1, DUE - RISK, -1, RISK - T0, RISK - T0, 36 * HOUR, T0 + 36 * HOUR, false));
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 36 * HOUR, 0, 1, 2, 2);
	tc_alert(&e.alerts[1], &t, A("reply_sla_breach", "firing", "first_reply", "high", NULL, DUE, DUE, T0, DUE,
	    DAY, 0, -1, -1, DAY, DAY, 36 * HOUR, T0 + 36 * HOUR, false));
	assert_false(clock_fire(&s, &CFG, T0 + 36 * HOUR - 1, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, T0 + 36 * HOUR + 7, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 0, 1, 1);
	TC_ADDS(&e, 0, A17, { C_PROMISE_BROKEN, T0 + 36 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("promise_broken", "firing", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 36 * HOUR + 7, T0, DUE, DAY, 7, -1, -1, 36 * HOUR + 7, 36 * HOUR + 7, 36 * HOUR, T0 + 36 * HOUR,
	    false));
	assert_true(s.reply.promise_fired);
	/* The reply resolves the breach and the promise; nothing more is counted but its time. */
	clock_reply(&s, &CFG, T0 + 40 * HOUR, T0 + 40 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 6, 2);
	assert_int_equal(tc_settled(&e, 0, A17, true, T0 + 40 * HOUR, 40 * HOUR), 6);
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE,
	    T0 + 40 * HOUR, T0, DUE, DAY, -1, -1, 40 * HOUR, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	tc_alert(&e.alerts[1], &t, A("promise_broken", "resolved", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 40 * HOUR, T0, DUE, DAY, -1, -1, 40 * HOUR, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
}

/* A reply by the promise keeps it: in time, after the breach, and at the promise point exactly. */
static void
test_promise_kept(void **state)
{
	static const int64_t replies[] = { T0 + 3 * HOUR, T0 + 30 * HOUR, T0 + 36 * HOUR };
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 0);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &CFG, replies[0], replies[0], &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 9, 0);
	assert_int_equal(tc_settled(&e, 0, A17, true, replies[0], 3 * HOUR), 6);
	TC_ADDS(&e, 6, A17, { C_SLA_MET, replies[0], 1 }, { C_FIRST_MET, replies[0], 1 },
	    { C_PROMISE_KEPT, replies[0], 1 });
	for (int i = 1; i < 3; i++) {
		tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
		assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
		clock_reply(&s, &CFG, replies[i], replies[i], &TICKET, &e);
		tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 7, 1);
		assert_int_equal(tc_settled(&e, 0, A17, true, replies[i], replies[i] - T0), 6);
		TC_ADDS(&e, 6, A17, { C_PROMISE_KEPT, replies[i], 1 });
	}
}

/* A reply past the promise before its timer ran: broken at the promise instant, firing and resolved at once. */
static void
test_promise_late_reply(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 0);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	clock_reply(&s, &CFG, T0 + 40 * HOUR, T0 + 41 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 7, 3);
	assert_int_equal(tc_settled(&e, 0, A17, true, T0 + 40 * HOUR, 40 * HOUR), 6);
	TC_ADDS(&e, 6, A17, { C_PROMISE_BROKEN, T0 + 36 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE,
	    T0 + 41 * HOUR, T0, DUE, DAY, -1, -1, 40 * HOUR, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	tc_alert(&e.alerts[1], &t, A("promise_broken", "firing", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 41 * HOUR, T0, DUE, DAY, 4 * HOUR, -1, -1, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	tc_alert(&e.alerts[2], &t, A("promise_broken", "resolved", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 41 * HOUR, T0, DUE, DAY, -1, -1, 40 * HOUR, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	/* Nothing fired at all: breach (late 40h - 24h = 16h) and promise (40h - 36h = 4h) fire and resolve. */
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	clock_reply(&s, &CFG, T0 + 40 * HOUR, T0 + 41 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 9, 4);
	TC_ADDS(&e, 6, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 }, { C_PROMISE_BROKEN, T0 + 36 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "firing", "first_reply", "high", NULL, DUE,
	    T0 + 41 * HOUR, T0, DUE, DAY, 16 * HOUR, -1, -1, 40 * HOUR, 40 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	assert_string_equal(e.alerts[2].rule, "promise_broken");
	assert_int_equal(e.alerts[2].late_ms, 4 * HOUR);
	assert_string_equal(e.alerts[3].state, "resolved");
	/* A backlog replay first seen after the promise: the same counts, nobody paged. */
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0 + 37 * HOUR, &e);
	clock_reply(&s, &CFG, T0 + 40 * HOUR, T0 + 41 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 9, 0);
	TC_ADDS(&e, 6, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 }, { C_PROMISE_BROKEN, T0 + 36 * HOUR, 1 });
}

/* `solved` late on an overdue ticket: the reply clock's alerts resolve, the resolution's fire and resolve. */
static void
test_solved_many_alerts(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_terms(&t, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 0);
	tc_goal(&t, POLICY_RESOLUTION, 48 * HOUR, 72 * HOUR, 0);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, T0 + 36 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 48 * HOUR, 0, 0, 1, 1); /* the reply promise; the resolution is next */
	/* Solved at 80h: 32h past the resolution deadline, 8h past its promise (72h). */
	tc_status(&s, &CFG, STATUS_SOLVED, T0 + 80 * HOUR, T0 + 80 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 5, 6);
	TC_ADDS(&e, 0, A17, { C_RES_N, T0 + 80 * HOUR, 1 }, { C_RES_SUM_MS, T0 + 80 * HOUR, 80 * HOUR },
	    { C_RES_MAX_MS, T0 + 80 * HOUR, 80 * HOUR }, { C_RES_MISSED, T0 + 48 * HOUR, 1 },
	    { C_PROMISE_BROKEN, T0 + 72 * HOUR, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_breach", "resolved", "first_reply", "high", NULL, DUE,
	    T0 + 80 * HOUR, T0, DUE, DAY, -1, -1, -1, 80 * HOUR, 80 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	tc_alert(&e.alerts[1], &t, A("promise_broken", "resolved", "first_reply", "high", NULL, T0 + 36 * HOUR,
	    T0 + 80 * HOUR, T0, DUE, DAY, -1, -1, -1, 80 * HOUR, 80 * HOUR, 36 * HOUR, T0 + 36 * HOUR, false));
	tc_alert(&e.alerts[2], &t, A("resolution_sla_breach", "firing", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 80 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, 32 * HOUR, -1, -1, 80 * HOUR, 80 * HOUR, 72 * HOUR,
	    T0 + 72 * HOUR, false));
	tc_alert(&e.alerts[3], &t, A("resolution_sla_breach", "resolved", "resolution", "high", NULL, T0 + 48 * HOUR,
	    T0 + 80 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, 80 * HOUR, 80 * HOUR, 80 * HOUR, 72 * HOUR,
	    T0 + 72 * HOUR, false));
	tc_alert(&e.alerts[4], &t, A("promise_broken", "firing", "resolution", "high", NULL, T0 + 72 * HOUR,
	    T0 + 80 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, 8 * HOUR, -1, -1, 80 * HOUR, 80 * HOUR, 72 * HOUR,
	    T0 + 72 * HOUR, false));
	tc_alert(&e.alerts[5], &t, A("promise_broken", "resolved", "resolution", "high", NULL, T0 + 72 * HOUR,
	    T0 + 80 * HOUR, T0, T0 + 48 * HOUR, 48 * HOUR, -1, -1, 80 * HOUR, 80 * HOUR, 80 * HOUR, 72 * HOUR,
	    T0 + 72 * HOUR, false));
}

/* Business hours: opened Friday 16:00, due Monday 12:00; a reply Monday 10:00 counts 2h (66h of wall time). */
static void
test_business_hours(void **state)
{
	struct terms t;
	struct clock_state s = { 0 }, copy;
	struct clock_effects e;
	const int64_t mon_10 = MON_09 + HOUR, mon_12 = MON_09 + 3 * HOUR, fri_17 = FRI_16 + HOUR;

	(void)state;
	/* Mon-Fri 09:00-17:00 UTC, 4h, at risk 0.25 x 4h = 1h: Friday 17:00; due 1h Friday + 3h Monday. */
	test_terms(&t, POLICY_FIRST_REPLY, 4 * HOUR, 0, 250);
	snprintf(t.calendar_name, sizeof(t.calendar_name), "office");
	t.calendar = tc_office();
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, FRI_16, FRI_16, &e);
	tc_fx(&e, CLOCK_KEEP, true, fri_17, 1, 0, 0, 0);
	assert_int_equal(clock_due(&s), mon_12);
	assert_true(clock_fire(&s, &CFG, fri_17, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, mon_12, 0, 0, 0, 1);
	/* remaining_ms is wall time to the deadline: Friday 17:00 to Monday 12:00 is 67h. */
	tc_alert(&e.alerts[0], &t, A("reply_sla_at_risk", "firing", "first_reply", "high", NULL, fri_17, fri_17,
	    FRI_16, mon_12, 4 * HOUR, -1, 67 * HOUR, -1, HOUR, HOUR, -1, -1, false));
	copy = s;
	assert_false(clock_fire(&s, &CFG, mon_12 - 1, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, mon_12, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 2);
	TC_ADDS(&e, 0, A17, { C_SLA_MISSED, mon_12, 1 }, { C_FIRST_MISSED, mon_12, 1 });
	tc_alert(&e.alerts[1], &t, A("reply_sla_breach", "firing", "first_reply", "high", NULL, mon_12, mon_12,
	    FRI_16, mon_12, 4 * HOUR, 0, -1, -1, 4 * HOUR, 68 * HOUR, -1, -1, false));
	/* The reply Monday 10:00: 2h counted; the alert's response_ms and wall_ms are the wall time, 66h. */
	clock_reply(&copy, &CFG, mon_10, mon_10, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	assert_int_equal(tc_settled(&e, 0, A17, true, mon_10, 2 * HOUR), 6);
	TC_ADDS(&e, 6, A17, { C_SLA_MET, mon_10, 1 }, { C_FIRST_MET, mon_10, 1 });
	tc_alert(&e.alerts[0], &t, A("reply_sla_at_risk", "resolved", "first_reply", "high", NULL, fri_17, mon_10,
	    FRI_16, mon_12, 4 * HOUR, -1, -1, 66 * HOUR, 2 * HOUR, 66 * HOUR, -1, -1, false));
	/* Opened on Saturday 09:00 (T0), the clock waits for Monday: due 13:00, at risk 10:00. */
	clock_clear(&s);
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, mon_10, 1, 0, 0, 0);
	assert_int_equal(clock_due(&s), MON_09 + 4 * HOUR);
	clock_clear(&s);
	calendar_free(t.calendar);
}

/* A promise shorter than the target of the kind that opened the clock breaks before the deadline, at its instant. */
static void
test_promise_before_target(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_terms(&t);
	/* The message target is 8h (tc_terms); a 6h promise, as one checked against complaints only could be. */
	tc_goal(&t, POLICY_FIRST_REPLY, 8 * HOUR, 6 * HOUR, 0);
	tc_open(&s, &CFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	assert_int_equal(e.next_ms, T0 + 6 * HOUR);
	assert_true(clock_fire(&s, &CFG, T0 + 6 * HOUR, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, T0 + 8 * HOUR, 0, 0, 1, 1);
	TC_ADDS(&e, 0, A17, { C_PROMISE_BROKEN, T0 + 6 * HOUR, 1 });
	assert_string_equal(e.alerts[0].rule, "promise_broken");
	assert_string_equal(e.alerts[0].state, "firing");
	assert_int_equal(e.alerts[0].since, T0 + 6 * HOUR);
	assert_int_equal(s.reply.state, RUN_OPEN);
	/* The breach then fires at the deadline, and the reply resolves both. */
	assert_true(clock_fire(&s, &CFG, T0 + 8 * HOUR, &TICKET, &e));
	assert_string_equal(e.alerts[0].rule, "reply_sla_breach");
	clock_reply(&s, &CFG, T0 + 9 * HOUR, T0 + 9 * HOUR, &TICKET, &e);
	assert_int_equal(e.n_alerts, 2);
	assert_string_equal(e.alerts[1].rule, "promise_broken");
	assert_string_equal(e.alerts[1].state, "resolved");
	assert_int_equal(e.alerts[1].since, T0 + 6 * HOUR);
	clock_clear(&s);
}

/* `reopened` on a remembered ticket with nothing running starts its clocks, as a message would. */
static void
test_reopened_remembered(void **state)
{
	struct terms t;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	tc_terms(&t);
	tc_open(&s, &MEMCFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	clock_reply(&s, &MEMCFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	assert_int_equal(s.reply.state, RUN_IDLE);
	tc_status(&s, &MEMCFG, STATUS_REOPENED, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	assert_int_equal(e.open_delta, 1);
	assert_int_equal(s.reply.state, RUN_OPEN);
	assert_int_equal(s.reply.goal, POLICY_NEXT_REPLY);
	assert_int_equal(s.reply.start, T0 + 2 * HOUR);
	clock_clear(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_then_next),
		cmocka_unit_test(test_next_missed),
		cmocka_unit_test(test_target_off),
		cmocka_unit_test(test_forgotten_is_first),
		cmocka_unit_test(test_next_pairs),
		cmocka_unit_test(test_resolution_clock),
		cmocka_unit_test(test_solved),
		cmocka_unit_test(test_reopened),
		cmocka_unit_test(test_solved_out_of_order),
		cmocka_unit_test(test_promise_broken),
		cmocka_unit_test(test_promise_kept),
		cmocka_unit_test(test_promise_late_reply),
		cmocka_unit_test(test_solved_many_alerts),
		cmocka_unit_test(test_business_hours),
		cmocka_unit_test(test_promise_before_target),
		cmocka_unit_test(test_reopened_remembered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
