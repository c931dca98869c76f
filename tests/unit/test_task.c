/* test_task.c: a task's agents and groups: their decisions, what is saved and sent, and a restore that picks up exactly there. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "clock_record.h"
#include "group.h"
#include "route.h"
#include "task.h"
#include "testutil_task.h"

/* Ratings count in every window, a repeat id changes nothing, and a late event counts nowhere. */
static void test_ratings(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	struct event e;
	const struct task_view *v;

	(void)state;
	e = ev("e1", EVENT_RATING, "a1", NULL, T0 - 30 * MIN, 5);
	assert_int_equal(task_event(t, &e, T0), TASK_APPLIED);
	e = ev("e2", EVENT_RATING, "a1", NULL, T0 - 2 * HOUR, 2);
	assert_int_equal(task_event(t, &e, T0), TASK_APPLIED);
	e = ev("e1", EVENT_RATING, "a1", NULL, T0 - 30 * MIN, 5);
	assert_int_equal(task_event(t, &e, T0), TASK_DUPLICATE);
	e = ev("e3", EVENT_RATING, "a1", NULL, T0 - 31 * DAY, 4);
	assert_int_equal(task_event(t, &e, T0), TASK_LATE);
	flush(t, T0, &c);
	assert_int_equal(c.records, 3); /* the late event's id is remembered too */
	assert_int_equal(c.agents, 2);  /* a1, and the site, which task 0 owns */
	v = view_of(&c, "\x01s");
	assert_true(v->totals[0].group);
	assert_int_equal(v->totals[0].agents, 1);
	assert_int_equal(v->totals[1].c[C_RATINGS], 2);
	assert_int_equal(v->totals[1].c[C_DISSATISFIED], 1);
	v = view_of(&c, "a1");
	assert_false(v->totals[0].group);
	assert_int_equal(v->totals[0].c[C_RATINGS], 1);
	assert_int_equal(v->totals[0].c[C_SATISFIED], 1);
	assert_int_equal(v->totals[1].c[C_RATINGS], 2);
	assert_int_equal(v->totals[1].c[C_DISSATISFIED], 1);
	assert_int_equal(v->totals[1].c[C_SCORE_SUM], 7);
	assert_int_equal(v->totals[3].c[C_RATINGS], 2);
	assert_int_equal(v->newest_ms, T0 - 30 * MIN);
	assert_int_equal(task_agents(t), 1);
	cap_reset(&c);
	task_free(t);
}

/* A view carries when its oldest change came; shown again without a change, none. */
static void test_since(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	struct event e;

	(void)state;
	e = ev("e1", EVENT_RATING, "a1", NULL, T0 - MIN, 5);
	task_event(t, &e, T0 - 5000);
	e = ev("e2", EVENT_RATING, "a1", NULL, T0 - MIN, 4);
	task_event(t, &e, T0);
	flush(t, T0, &c);
	assert_int_equal(view_of(&c, "a1")->since_ms, T0 - 5000);
	task_show_all(t);
	flush(t, T0 + 1000, &c);
	assert_int_equal(view_of(&c, "a1")->since_ms, 0);
	e = ev("e3", EVENT_RATING, "a1", NULL, T0 - MIN, 3);
	task_event(t, &e, T0 + 2000);
	flush(t, T0 + 2000, &c);
	assert_int_equal(view_of(&c, "a1")->since_ms, T0 + 2000);
	cap_reset(&c);
	task_free(t);
}

/* Applies n ratings (ids prefix0, prefix1, ...) at T0: the first on_a1 to a1, the rest to a2. */
static void rate_a1_a2(struct task *t, const char *prefix, int n, int on_a1)
{
	char id[16];
	struct event e;

	for (int i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "%s%d", prefix, i);
		e = ev(id, EVENT_RATING, i < on_a1 ? "a1" : "a2", NULL, T0 - MIN, 5);
		task_event(t, &e, T0);
	}
}

/* A flush that changed its agents twice each or more is hot; about once each, not. */
static void test_hot(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};

	(void)state;
	assert_false(task_hot(t));
	rate_a1_a2(t, "h", 4, 3);
	flush(t, T0, &c);
	assert_true(task_hot(t)); /* 4 changes, 2 agents */
	rate_a1_a2(t, "s", 3, 2);
	flush(t, T0, &c);
	assert_false(task_hot(t)); /* 3 changes, 2 agents */
	cap_reset(&c);
	task_free(t);
}

/* A task restored from what it flushed shows the same figures and knows the same ids. */
static void test_restore(void **state)
{
	struct task *t = task_new(0, &cfg), *r = task_new(0, &cfg);
	struct capture c = {0}, after = {0};
	struct event e;

	(void)state;
	e = ev("e1", EVENT_RATING, "a1", NULL, T0 - 10 * MIN, 4);
	task_event(t, &e, T0);
	e = ev("m1", EVENT_COMPLAINT, "a2", "T9", T0 - 20 * MIN, 0);
	task_event(t, &e, T0);
	e = ev("x1", EVENT_MESSAGE, "a2", "xT", T0 - 5 * MIN, 0); /* a batch for task 1 in the outbox */
	task_event(t, &e, T0);
	flush(t, T0, &c);
	restore_into(r, &c, T0);
	/* The restored outbox may be sent at once, and numbers go on after it. */
	{
		const struct outbox_entry *o = outbox_after(task_outbox(r), 0);

		assert_non_null(o);
		assert_int_equal(o->seq, c.entry[0].seq);
		assert_int_equal(outbox_next_seq(task_outbox(r)), c.entry[0].seq + 1);
	}
	e = ev("e1", EVENT_RATING, "a1", NULL, T0 - 10 * MIN, 4);
	assert_int_equal(task_event(r, &e, T0 + SEC), TASK_DUPLICATE);
	flush(r, T0 + SEC, &after);
	/* shown again, not saved again; but the site, which takes the task's active agents again */
	assert_int_equal(after.agents, 1);
	assert_string_equal(after.agent_id[0], "\x01s");
	assert_int_equal(after.views, 3);
	assert_int_equal(view_of(&after, "\x01s")->totals[0].agents, 2);
	assert_int_equal(view_of(&after, "\x01s")->totals[0].c[C_RATINGS], 1);
	assert_int_equal(view_of(&after, "a1")->totals[0].c[C_SATISFIED], 1);
	assert_int_equal(view_of(&after, "a2")->totals[0].c[C_COMPLAINTS], 1);
	assert_int_equal(view_of(&after, "a2")->open, 1);
	{
		size_t overdue, alerts = 0;
		int64_t risk = T0 - 20 * MIN + (24 * HOUR * 8) / 10;

		/* The restored clock's timer is armed: its at-risk alert fires on time. */
		assert_int_equal(task_clocks(r, &overdue), 1);
		assert_true(task_next_tick(r) <= risk);
		task_tick(r, risk - 1);
		flush(r, risk - 1, &after);
		for (size_t i = 0; i < after.added; i++)
			alerts += after.entry[i].kind == OUTBOX_ALERT;
		assert_int_equal(alerts, 0);
		task_tick(r, risk);
		flush(r, risk, &after);
		for (size_t i = 0; i < after.added; i++)
			alerts += after.entry[i].kind == OUTBOX_ALERT &&
			    strstr(after.entry[i].data, "reply_sla_at_risk") != NULL;
		assert_int_equal(alerts, 1);
	}
	cap_reset(&c);
	cap_reset(&after);
	task_free(t);
	task_free(r);
}

/* Packs a version-1 running record [1, phase, start, created, target, permille, kind, risk_fired, agent, ""]. */
static size_t v1_record(char *buf, size_t size, int phase, int64_t start, int64_t target, int permille, bool risk_fired)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t len;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, phase);
	msgpack_pack_int64(&pk, start);
	msgpack_pack_int64(&pk, start);
	msgpack_pack_int64(&pk, target);
	msgpack_pack_int(&pk, permille);
	msgpack_pack_int(&pk, 0); /* a message */
	if (risk_fired)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_pack_str(&pk, 2);
	msgpack_pack_str_body(&pk, "a1", 2);
	msgpack_pack_str(&pk, 0);
	assert_true(sb.size <= size);
	memcpy(buf, sb.data, sb.size);
	len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
}

/*
 * A version-1 record's running clock (before policies) restores under the default policy's
 * terms with its own target and at-risk fraction: a message clock of 2h at risk at 0.5, where the
 * default's is 24h at 0.8.
 */
static void test_restore_v1(void **state)
{
	struct task *r = task_new(0, &cfg);
	struct capture c = {0};
	struct alert_facts f;
	char rec[64];
	const int64_t start = T0 - 30 * MIN;
	size_t overdue;

	(void)state;
	assert_true(task_restore_ticket(r, "T1", 2, rec, v1_record(rec, sizeof(rec), 2, start, 2 * HOUR, 500, false),
	    T0));
	task_restore_done(r, T0);
	assert_int_equal(task_clocks(r, &overdue), 1);
	assert_int_equal(overdue, 0);
	assert_int_equal(restored_terms.goals[POLICY_FIRST_REPLY].target_ms[0], 2 * HOUR);
	assert_int_equal(restored_terms.goals[POLICY_FIRST_REPLY].at_risk_permille, 500);
	/* Other kinds keep the default's targets. */
	assert_int_equal(restored_terms.goals[POLICY_FIRST_REPLY].target_ms[1], 24 * HOUR);
	assert_true(task_next_tick(r) <= start + HOUR);
	task_tick(r, start + HOUR - 1);
	flush(r, start + HOUR - 1, &c);
	assert_int_equal(alerts_of(&c, "reply_sla_at_risk", &f), 0);
	task_tick(r, start + HOUR);
	flush(r, start + HOUR, &c);
	assert_int_equal(alerts_of(&c, "reply_sla_at_risk", &f), 1);
	assert_int_equal(f.since, start + HOUR);
	assert_int_equal(f.target, 2 * HOUR);
	assert_int_equal(f.due, start + 2 * HOUR);
	task_tick(r, start + 2 * HOUR);
	flush(r, start + 2 * HOUR, &c);
	assert_int_equal(alerts_of(&c, "reply_sla_breach", &f), 1);
	assert_int_equal(f.since, start + 2 * HOUR);
	assert_int_equal(task_clocks(r, &overdue), 1);
	assert_int_equal(overdue, 1);
	cap_reset(&c);
	task_free(r);
	/* Overdue, its at-risk fired: the reply resolves the breach that release fired, at start + its target. */
	r = task_new(0, &cfg);
	assert_true(task_restore_ticket(r, "T1", 2, rec, v1_record(rec, sizeof(rec), 3, T0 - 2 * HOUR, HOUR, 800, true),
	    T0));
	task_restore_done(r, T0);
	assert_int_equal(task_clocks(r, &overdue), 1);
	assert_int_equal(overdue, 1);
	{
		struct event e = ev("r1", EVENT_REPLY, "a1", "T1", T0 + MIN, 0);

		task_event(r, &e, T0 + MIN);
	}
	flush(r, T0 + MIN, &c);
	assert_int_equal(alerts_of(&c, "reply_sla_breach", &f), 1);
	assert_string_equal(f.state, "resolved");
	assert_int_equal(f.since, T0 - HOUR);
	assert_int_equal(f.target, HOUR);
	assert_int_equal(f.response_ms, 2 * HOUR + MIN);
	assert_int_equal(task_clocks(r, &overdue), 0);
	assert_int_equal(overdue, 0);
	cap_reset(&c);
	task_free(r);
}

/* HSCAN may return a field twice: every record restored twice gives the same task as once. */
static void test_restore_repeats(void **state)
{
	struct task *t = task_new(0, &cfg), *r = task_new(0, &cfg);
	struct capture c = {0}, after = {0};
	struct event e;
	size_t overdue;

	(void)state;
	e = ev("m1", EVENT_MESSAGE, "a2", "T9", T0 - 30 * HOUR, 0);
	task_event(t, &e, T0);
	e = ev("x1", EVENT_MESSAGE, "a2", "xT", T0 - 5 * MIN, 0); /* a batch for task 1 in the outbox */
	task_event(t, &e, T0);
	task_tick(t, T0);
	flush(t, T0, &c);
	assert_int_equal(task_clocks(t, &overdue), 1);
	assert_int_equal(overdue, 1);
	assert_true(task_restore_meta(r, c.meta, c.meta_len));
	for (int twice = 0; twice < 2; twice++) {
		for (size_t i = 0; i < c.agents; i++)
			assert_true(task_restore_agent(r, c.agent_id[i], strlen(c.agent_id[i]), c.agent_blob[i],
			    c.agent_len[i]));
		for (size_t i = 0; i < c.tickets; i++)
			assert_true(task_restore_ticket(r, c.ticket_id[i], strlen(c.ticket_id[i]), c.ticket_blob[i],
			    c.ticket_len[i], T0));
		for (size_t i = 0; i < c.added; i++)
			assert_true(outbox_restore(task_outbox(r), c.entry[i].seq, c.entry_blob[i], c.entry_len[i], 2));
	}
	task_restore_done(r, T0);
	assert_int_equal(task_clocks(r, &overdue), 1);
	assert_int_equal(overdue, 1);
	/* Each outbox entry once. */
	for (size_t i = 0; i < c.added; i++) {
		const struct outbox_entry *o = outbox_after(task_outbox(r), i == 0 ? 0 : c.entry[i - 1].seq);

		assert_non_null(o);
		assert_int_equal(o->seq, c.entry[i].seq);
	}
	assert_null(outbox_after(task_outbox(r), c.entry[c.added - 1].seq));
	/* The reply ends the one clock: nothing open or overdue is left behind. */
	e = ev("r1", EVENT_REPLY, "a2", "T9", T0 - MIN, 0);
	task_event(r, &e, T0 + SEC);
	flush(r, T0 + SEC, &after);
	assert_int_equal(task_clocks(r, &overdue), 0);
	assert_int_equal(overdue, 0);
	assert_int_equal(view_of(&after, "a2")->open, 0);
	assert_int_equal(view_of(&after, "a2")->overdue, 0);
	cap_reset(&c);
	cap_reset(&after);
	task_free(t);
	task_free(r);
}

/* Enough bad ratings fire csat_below once, with its alert queued; the rule state is saved. */
static void test_rule_fires(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	size_t alerts = 0;

	(void)state;
	for (int i = 0; i < 40; i++) {
		char id[16];
		struct event e;

		snprintf(id, sizeof(id), "r%d", i);
		e = ev(id, EVENT_RATING, "a1", NULL, T0 - (i + 1) * MIN, 1);
		task_event(t, &e, T0);
	}
	flush(t, T0, &c);
	for (size_t i = 0; i < c.added; i++)
		if (c.entry[i].kind == OUTBOX_ALERT && strstr(c.entry[i].data, "\"csat_below\"") != NULL)
			alerts++;
	assert_int_equal(alerts, 1);
	assert_int_equal(c.agents, 2); /* and the site */
	cap_reset(&c);
	task_free(t);
}

/* Alerts in c's new outbox entries for csat_below in state st ("firing", "resolved"). */
static size_t csat_alerts(const struct capture *c, const char *st)
{
	char want[32];
	size_t n = 0;

	snprintf(want, sizeof(want), "\"state\":\"%s\"", st);
	for (size_t i = 0; i < c->added; i++)
		n += c->entry[i].kind == OUTBOX_ALERT && strstr(c->entry[i].data, "\"csat_below\"") != NULL &&
		    strstr(c->entry[i].data, want) != NULL;
	return n;
}

/* A fired rule is saved and restored firing (no second alert); once resolved, it is saved and restored OK. */
static void test_rule_resolves(void **state)
{
	struct task *t = task_new(0, &cfg), *r = task_new(0, &cfg), *q = task_new(0, &cfg);
	struct capture c = {0}, after = {0}, last = {0};
	size_t resolved = 0, fired = 0;
	char id[16];
	struct event e;

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "b%d", i);
		e = ev(id, EVENT_RATING, "a1", NULL, T0 - (i + 1) * MIN, 1);
		task_event(t, &e, T0);
	}
	flush(t, T0, &c);
	assert_int_equal(csat_alerts(&c, "firing"), 1);
	assert_int_equal(c.agents, 2); /* and the site */
	assert_true(task_restore_meta(r, c.meta, c.meta_len));
	assert_true(task_restore_agent(r, "a1", 2, c.agent_blob[0], c.agent_len[0]));
	task_restore_done(r, T0);
	flush(r, T0 + SEC, &after);
	assert_int_equal(after.added, 0);
	assert_int_equal(after.agents, 1); /* the site, made again from this task's active agents */
	/* Good ratings, flushed 50 at a time (a capture holds 64 ids): it resolves once. */
	for (int i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "g%d", i);
		e = ev(id, EVENT_RATING, "a1", NULL, T0 - 30 * MIN, 5);
		task_event(r, &e, T0 + SEC);
		if (i % 50 == 49) {
			flush(r, T0 + SEC, &after);
			resolved += csat_alerts(&after, "resolved");
			fired += csat_alerts(&after, "firing");
			assert_int_equal(after.agents, 2); /* and the site */
		}
	}
	assert_int_equal(resolved, 1);
	assert_int_equal(fired, 0);
	assert_true(task_restore_meta(q, after.meta, after.meta_len));
	assert_true(task_restore_agent(q, "a1", 2, after.agent_blob[0], after.agent_len[0]));
	task_restore_done(q, T0 + 2 * SEC);
	flush(q, T0 + 3 * SEC, &last);
	assert_int_equal(last.added, 0);
	assert_int_equal(last.agents, 1); /* the site */
	assert_int_equal(view_of(&last, "a1")->totals[1].c[C_RATINGS], 2040);
	cap_reset(&c);
	cap_reset(&after);
	cap_reset(&last);
	task_free(t);
	task_free(r);
	task_free(q);
}

/* [teams] map of the team tests: xb is in team xteam. */
static const char *team_map(void *arg, const char *agent, size_t len)
{
	(void)arg;
	return len == 2 && memcmp(agent, "xb", 2) == 0 ? "xteam" : NULL;
}

/* Applies every batch t's flush c sent to task dest. */
static void deliver(const struct capture *c, struct task *to, uint32_t dest, int64_t now)
{
	for (size_t i = 0; i < c->added; i++)
		if (c->entry[i].kind == OUTBOX_BATCH && c->entry[i].dest == dest)
			assert_true(task_batch(to, c->entry[i].data, c->entry[i].len, now));
}

/*
 * A team's figures are its agents' from every task, summed in the task that owns the team:
 * an event's team_id or the map's, the agents active per window, running clocks; an agent
 * that changes team takes its active windows and clocks along, not what it counted.
 */
static void test_teams(void **state)
{
	struct task_config tc = cfg;
	struct task *t0, *t1;
	struct capture c0 = {0}, c1 = {0};
	const struct task_view *v;
	struct event e;

	(void)state;
	tc.team_of = team_map;
	tc.team_generation = 1;
	t0 = task_new(0, &tc);
	t1 = task_new(1, &tc);
	e = in_team(ev("e1", EVENT_RATING, "a1", NULL, T0 - 30 * MIN, 5), "xteam");
	task_event(t0, &e, T0);
	e = in_team(ev("e2", EVENT_COMPLAINT, "a1", "T1", T0 - 2 * HOUR, 0), "xteam");
	task_event(t0, &e, T0);
	e = ev("e3", EVENT_RATING, "xb", NULL, T0 - 10 * MIN, 2);
	task_event(t1, &e, T0);
	flush(t0, T0, &c0);
	flush(t1, T0, &c1);
	deliver(&c0, t1, 1, T0);
	deliver(&c1, t0, 0, T0);
	cap_reset(&c1);
	flush(t1, T0, &c1);
	v = view_of(&c1, "\x01txteam");
	assert_true(v->totals[0].group);
	assert_int_equal(v->totals[0].c[C_RATINGS], 2);   /* a1's and xb's */
	assert_int_equal(v->totals[0].c[C_SATISFIED], 1);
	assert_int_equal(v->totals[0].c[C_DISSATISFIED], 1);
	assert_int_equal(v->totals[0].c[C_COMPLAINTS], 0); /* two hours ago */
	assert_int_equal(v->totals[1].c[C_COMPLAINTS], 1);
	assert_int_equal(v->totals[0].agents, 2);
	assert_int_equal(v->open, 1);                      /* a1's clock on T1 */
	/* The site (task 0's) has both tasks' agents. */
	cap_reset(&c0);
	flush(t0, T0, &c0);
	v = view_of(&c0, "\x01s");
	assert_int_equal(v->totals[1].c[C_RATINGS], 2);
	assert_int_equal(v->totals[1].agents, 2);
	assert_int_equal(v->open, 1);
	/* a1 moves to team "other" (task 0's): xteam keeps its counts, loses it and its clock. */
	e = in_team(ev("e4", EVENT_RATING, "a1", NULL, T0 + MIN, 4), "other");
	task_event(t0, &e, T0 + MIN);
	cap_reset(&c0);
	flush(t0, T0 + MIN, &c0);
	v = view_of(&c0, "\x01tother");
	assert_int_equal(v->totals[0].c[C_RATINGS], 1);
	assert_int_equal(v->totals[0].agents, 1);
	assert_int_equal(v->open, 1);
	deliver(&c0, t1, 1, T0 + MIN);
	cap_reset(&c1);
	flush(t1, T0 + MIN, &c1);
	v = view_of(&c1, "\x01txteam");
	assert_int_equal(v->totals[0].c[C_RATINGS], 2);
	assert_int_equal(v->totals[0].agents, 1);
	assert_int_equal(v->open, 0);
	/* Windows slide: at T0 + 1 h xb's rating (T0 - 10 min) leaves the 1 h window, and xb with it. */
	assert_true(task_next_tick(t1) <= T0 + 51 * MIN);
	task_tick(t1, T0 + HOUR);
	cap_reset(&c1);
	flush(t1, T0 + HOUR, &c1);
	v = view_of(&c1, "\x01txteam");
	assert_int_equal(v->totals[0].agents, 0);
	assert_int_equal(v->totals[1].agents, 1);
	assert_int_equal(task_agents(t1), 1);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/* The rules of team vip: csat_below's threshold 95 (task_config.rules_of). */
static struct rule_config vip_rules[RULE_COUNT];

/* task_config.rules_of: vip's rules for its agents, the defaults for the rest. */
static const struct rule_config *rules_of_team(void *arg, const char *team)
{
	(void)arg;
	return team != NULL && strcmp(team, "vip") == 0 ? vip_rules : rules;
}

/*
 * A team's own threshold: 20 satisfied of 25 ratings (CSAT 80%, upper bound 91.1%) fires
 * csat_below for an agent of vip (95), not for one of no team (80); and for team vip itself,
 * on its own figures (v1's), as the team's alert.
 */
static void test_team_rules(void **state)
{
	struct task_config tc = cfg;
	struct task *t;
	struct capture c = {0};
	struct event e;
	char id[16];
	size_t agent_alerts = 0, team_alerts = 0;

	(void)state;
	memcpy(vip_rules, rules, sizeof(vip_rules));
	vip_rules[RULE_CSAT_BELOW].threshold = 95;
	tc.rules_of = rules_of_team;
	tc.team_generation = 1;
	t = task_new(0, &tc);
	for (int i = 0; i < 25; i++)
		for (int a = 0; a < 2; a++) {
			snprintf(id, sizeof(id), "r%d-%d", a, i);
			e = ev(id, EVENT_RATING, a ? "v1" : "d1", NULL, T0 - (i + 1) * MIN, i < 20 ? 5 : 1);
			if (a)
				snprintf(e.team_id, sizeof(e.team_id), "vip");
			task_event(t, &e, T0);
		}
	flush(t, T0, &c);
	/* v1's, and the team's own (its figures are v1's): an alert of team vip, no agent */
	assert_int_equal(csat_alerts(&c, "firing"), 2);
	for (size_t i = 0; i < c.added; i++) {
		if (c.entry[i].kind != OUTBOX_ALERT)
			continue;
		agent_alerts += strstr(c.entry[i].data, "\"agent\":\"v1\"") != NULL;
		team_alerts += strstr(c.entry[i].data, "\"team\":\"vip\"") != NULL &&
		    strstr(c.entry[i].data, "\"agent\"") == NULL;
	}
	assert_int_equal(agent_alerts, 1);
	assert_int_equal(team_alerts, 1);
	cap_reset(&c);
	task_free(t);
}

/* n scale-5 ratings of agent at task t, fives of them 5 and the rest 4, 3, 2 in turn; quick ones a few seconds after a reply. */
static void rate_profile(struct task *t, const char *agent, int n, int fives, int quick)
{
	char id[32];
	struct event e;

	for (int k = 0; k < n; k++) {
		int64_t ts = T0 - 3 * HOUR + k * MIN;

		snprintf(id, sizeof(id), "%s-p%d", agent, k);
		/* one ticket an agent: a capture holds 64 tickets */
		e = ev(id, EVENT_REPLY, agent, agent, ts - (k < quick ? 5 * SEC : 20 * MIN), 0);
		task_event(t, &e, T0);
		snprintf(id, sizeof(id), "%s-r%d", agent, k);
		e = ev(id, EVENT_RATING, agent, NULL, ts, k < fives ? 5 : 4 - k % 3);
		task_event(t, &e, T0);
	}
}

/*
 * Rating integrity across tasks: the site's owner (task 0) sends its rating counts to the
 * tasks of its agents; an agent judged before they came is judged again once they do; the
 * nudger on task 0 is flagged against the other three, who are not.
 */
static void test_integrity_peers(void **state)
{
	struct task_config tc = cfg;
	struct rule_config rc[RULE_COUNT];
	struct task *t0, *t1;
	struct capture c0 = {0}, c1 = {0};
	struct alert_facts f;

	(void)state;
	memcpy(rc, rules, sizeof(rc));
	rc[RULE_RATING_INTEGRITY].enabled = true;
	tc.rules = rc;
	t0 = task_new(0, &tc);
	t1 = task_new(1, &tc);
	rate_profile(t0, "nina", 30, 27, 25);
	rate_profile(t0, "ann", 30, 10, 3);
	rate_profile(t1, "xb", 30, 10, 3);
	rate_profile(t1, "xc", 30, 11, 2);
	flush(t1, T0, &c1);
	deliver(&c1, t0, 0, T0);
	/* judged with no peers yet: nothing fires, and the site's first counts will have them judged again */
	assert_true(flush_once(t0, T0, &c0));
	assert_int_equal(alerts_of(&c0, "rating_integrity_suspect", &f), 0);
	flush(t0, T0 + SEC, &c0);
	assert_int_equal(alerts_of(&c0, "rating_integrity_suspect", &f), 1);
	assert_string_equal(f.agent, "nina");
	assert_string_equal(f.state, "firing");
	/* as the alert's JSON carries them: 27 of 30; the others' 10 + 10 + 11 of 90 */
	assert_true(fabs(f.value - 90.0) < 1e-4);
	assert_true(fabs(f.threshold - 100.0 * 31 / 90) < 1e-4);
	/* task 1 had the site's counts through the route topic; its agents are no suspects */
	deliver(&c0, t1, 1, T0 + SEC);
	flush(t1, T0 + 2 * SEC, &c1);
	assert_int_equal(alerts_of(&c1, "rating_integrity_suspect", &f), 0);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/* Sink: counts views (n[0]) and saved agent states (n[1]). */
static bool count_agent(void *arg, const char *id, const char *blob, size_t len, const struct task_view *v)
{
	size_t *n = arg;

	(void)id;
	(void)len;
	(void)v;
	n[0]++;
	n[1] += blob != NULL;
	return true;
}

/* Sink: accepts a ticket, record, outbox change or meta without keeping it. */
static bool count_ticket(void *arg, const char *id, const char *blob, size_t len)
{
	(void)arg;
	(void)id;
	(void)blob;
	(void)len;
	return true;
}

/* Sink: accepts a dedupe record. */
static bool count_record(void *arg, const uint8_t rec[DEDUPE_RECORD_SIZE])
{
	(void)arg;
	(void)rec;
	return true;
}

/* Sink: accepts a new outbox entry. */
static bool count_added(void *arg, const struct outbox_entry *e, const char *blob, size_t len)
{
	(void)arg;
	(void)e;
	(void)blob;
	(void)len;
	return true;
}

/* Sink: accepts a delivered entry. */
static bool count_removed(void *arg, uint64_t seq)
{
	(void)arg;
	(void)seq;
	return true;
}

/* Sink: accepts the meta record. */
static bool count_meta(void *arg, const char *blob, size_t len)
{
	(void)arg;
	(void)blob;
	(void)len;
	return true;
}

/* Flushes t, counting its views and saved agents into n. */
static void flush_count(struct task *t, int64_t now, size_t n[2])
{
	struct task_sink sink = {count_agent, count_ticket, count_record, {count_added, count_removed, NULL},
		count_meta, n};

	n[0] = n[1] = 0;
	assert_true(task_flush(t, now, &sink));
}

/* Showing every agent again goes TASK_SHOW_PER_FLUSH a flush, besides the agents that changed. */
static void test_show_all_paced(void **state)
{
	struct task *t = task_new(0, &cfg);
	const size_t agents = 2 * TASK_SHOW_PER_FLUSH + 5;
	size_t n[2];
	char id[16], agent[16];
	struct event e;

	(void)state;
	for (size_t i = 0; i < agents; i++) {
		snprintf(id, sizeof(id), "r%zu", i);
		snprintf(agent, sizeof(agent), "a%zu", i);
		e = ev(id, EVENT_RATING, agent, NULL, T0 - MIN, 5);
		task_event(t, &e, T0);
	}
	flush_count(t, T0, n);
	assert_int_equal(n[0], agents + 1); /* and the site, after them */
	assert_int_equal(n[1], agents + 1);
	assert_false(task_dirty(t));
	task_show_all(t);
	assert_true(task_dirty(t));
	e = ev("f1", EVENT_RATING, "fresh", NULL, T0, 4);
	task_event(t, &e, T0 + SEC);
	flush_count(t, T0 + SEC, n);
	/* the changed agent goes in the first flush, and the site it changed */
	assert_int_equal(n[0], TASK_SHOW_PER_FLUSH + 2);
	assert_int_equal(n[1], 2);
	assert_true(task_dirty(t));
	flush_count(t, T0 + 2 * SEC, n);
	assert_int_equal(n[0], TASK_SHOW_PER_FLUSH);
	assert_int_equal(n[1], 0);
	assert_true(task_dirty(t));
	flush_count(t, T0 + 3 * SEC, n);
	assert_int_equal(n[0], 5 + 1); /* the last agents, and the site again */
	assert_false(task_dirty(t));
	flush_count(t, T0 + 4 * SEC, n);
	assert_int_equal(n[0], 0);
	task_free(t);
}

/*
 * A partial of the release before times were listed (a histogram of rollings) is still read:
 * its group gets the counts and percentiles the same times listed give.
 */
static void test_group_partial_old(void **state)
{
	struct windows wins;
	struct agent_plan plan;
	struct agent pending, got[2];
	struct group_inbox in[2];
	struct histogram_count c[40];
	struct histogram_summary want[WINDOWS_MAX], sum[WINDOWS_MAX];
	int64_t active[WINDOWS_MAX] = {2, 2, 2, 2};
	int64_t tw[WINDOWS_MAX * ROLLING_SLOTS_MAX], tg[WINDOWS_MAX * ROLLING_SLOTS_MAX];
	msgpack_sbuffer sb[2];
	msgpack_packer pk;
	size_t n;

	(void)state;
	memset(&pending, 0, sizeof(pending));
	memset(got, 0, sizeof(got));
	memset(in, 0, sizeof(in));
	assert_true(windows_parse("1h,24h,7d,30d", &wins, NULL, 0));
	assert_true(agent_plan_init(&plan, &wins));
	for (int i = 0; i < 40; i++) {
		int64_t ts = T0 - i * 7 * MIN, ms = 900 + i * i * 300;
		struct rolling_inc incs[2] = {{C_RESP_N, 1}, {C_RESP_MAX_MS, ms}};

		assert_true(agent_count(&pending, &plan, T0, ts, incs, 2));
		c[i] = (struct histogram_count){ts, (uint32_t)histogram_bucket(ms), 1};
	}
	n = histogram_counts_sort(c, 40, &plan.responses);
	msgpack_sbuffer_init(&sb[0]);
	msgpack_sbuffer_init(&sb[1]);
	/* [counts, [range, rolling, ...], active, open, overdue], as group_partial_pack wrote it */
	msgpack_packer_init(&pk, &sb[0], msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_array(&pk, 5), 0);
	assert_true(rolling_pack(&pk, &pending.counts, &plan.counts));
	assert_true(histogram_pack(&pk, &pending.responses, &plan.responses));
	assert_int_equal(msgpack_pack_array(&pk, 4), 0);
	for (int w = 0; w < 4; w++)
		assert_int_equal(msgpack_pack_int64(&pk, active[w]), 0);
	assert_int_equal(msgpack_pack_int64(&pk, 1), 0);
	assert_int_equal(msgpack_pack_int64(&pk, 0), 0);
	msgpack_packer_init(&pk, &sb[1], msgpack_sbuffer_write);
	pending.open = 1;
	assert_true(group_partial_pack(&pk, &pending, c, n, &plan, active));
	histogram_summarize(&pending.responses, &plan.responses, T0 + MIN, want, NULL);
	rolling_totals(&pending.counts, &plan.counts, T0 + MIN, tw, NULL);
	for (int k = 0; k < 2; k++) {
		assert_true(group_partial_apply(&got[k], &in[k], 1, 4, sb[k].data, sb[k].size, &plan, T0 + MIN, month_of(&months, T0 + MIN)));
		assert_true(group_settle(&got[k], &in[k], &plan, T0 + MIN));
		histogram_summarize(&got[k].responses, &plan.responses, T0 + MIN, sum, NULL);
		assert_memory_equal(sum, want, sizeof(want));
		rolling_totals(&got[k].counts, &plan.counts, T0 + MIN, tg, NULL);
		assert_memory_equal(tg, tw, plan.counts.tiers * plan.counts.slots * sizeof(tw[0]));
		assert_int_equal(got[k].open, 1);
		assert_int_equal(got[k].active[WINDOWS_MAX + 3], 2);
		/* a malformed partial (cut short) changes nothing */
		assert_false(group_partial_apply(&got[k], &in[k], 1, 4, sb[k].data, sb[k].size - 1, &plan, T0 + MIN, month_of(&months, T0 + MIN)));
		assert_int_equal(in[k].ntimes, 0);
		group_inbox_free(&in[k]);
		agent_free(&got[k]);
		msgpack_sbuffer_destroy(&sb[k]);
	}
	agent_free(&pending);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratings),
		cmocka_unit_test(test_group_partial_old),
		cmocka_unit_test(test_since),
		cmocka_unit_test(test_hot),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_repeats),
		cmocka_unit_test(test_restore_v1),
		cmocka_unit_test(test_rule_fires),
		cmocka_unit_test(test_rule_resolves),
		cmocka_unit_test(test_show_all_paced),
		cmocka_unit_test(test_teams),
		cmocka_unit_test(test_team_rules),
		cmocka_unit_test(test_integrity_peers),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
