/* test_task_months.c: a task's monthly appraisal: served tickets counted once per agent and month, across a restore; teams' months. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "testutil_task.h"

/* 2026-11 and 2026-12 as month_t; T0 is in November. */
#define NOV ((month_t)(2026 * 12 + 10))
#define DEC (NOV + 1)
/* 2026-12-01T00:00:00Z */
#define DEC1 INT64_C(1796083200000)

/* Figure field of month m in view v; -1 when the view has no such month or the figure no value. */
static int64_t month_figure(const struct task_view *v, month_t m, const char *field)
{
	for (size_t k = 0; k < v->nmonths; k++)
		for (int i = 0; v->months[k].month == m && i < APPRAISAL_FIGURES; i++)
			if (strcmp(appraisal_figure_name(i), field) == 0)
				return v->months[k].have[i] ? v->months[k].value[i] : -1;
	return -1;
}

/* A reply of agent to ticket at ts. */
static void reply(struct task *t, const char *id, const char *agent, const char *ticket, int64_t ts, int64_t now)
{
	struct event e = ev(id, EVENT_REPLY, agent, ticket, ts, 0);

	assert_int_equal(task_event(t, &e, now), TASK_APPLIED);
}

/*
 * served: the tickets an agent replied to in the month, each once; another agent's reply to
 * the same ticket counts for that agent; a new month counts the ticket again. The claims
 * are checkpointed with the event ids: a restored task counts a ticket served before once.
 */
static void test_served(void **state)
{
	struct task *t = task_new(0, &cfg), *r;
	struct capture c = {0};
	const struct task_view *v;

	(void)state;
	reply(t, "e1", "a1", "T1", T0 - HOUR, T0);
	reply(t, "e2", "a1", "T1", T0 - 30 * MIN, T0);
	reply(t, "e3", "a1", "T2", T0 - 20 * MIN, T0);
	reply(t, "e4", "a2", "T1", T0 - 10 * MIN, T0);
	/* a reply without a ticket serves none */
	reply(t, "e5", "a2", NULL, T0 - 5 * MIN, T0);
	flush(t, T0, &c);
	v = view_of(&c, "a1");
	assert_int_equal(v->nmonths, 1);
	assert_int_equal(v->months[0].month, NOV);
	assert_int_equal(month_figure(v, NOV, "served"), 2);
	assert_int_equal(month_figure(view_of(&c, "a2"), NOV, "served"), 1);
	/* 5 event ids and 3 served claims */
	assert_int_equal(c.records, 8);

	/* restored from the checkpoint: T1 again is not served again, T3 is */
	r = task_new(0, &cfg);
	restore_into(r, &c, T0);
	reply(r, "e6", "a1", "T1", T0 + MIN, T0 + MIN);
	reply(r, "e7", "a1", "T3", T0 + MIN, T0 + MIN);
	cap_reset(&c);
	flush(r, T0 + MIN, &c);
	assert_int_equal(month_figure(view_of(&c, "a1"), NOV, "served"), 3);

	/* December: T1 is served again, in December's hash; November's stays shown */
	reply(r, "e8", "a1", "T1", DEC1 + MIN, DEC1 + 2 * MIN);
	cap_reset(&c);
	flush(r, DEC1 + 2 * MIN, &c);
	v = view_of(&c, "a1");
	assert_int_equal(v->nmonths, 2);
	assert_int_equal(v->months[0].month, NOV);
	assert_int_equal(v->months[1].month, DEC);
	assert_int_equal(month_figure(v, NOV, "served"), 3);
	assert_int_equal(month_figure(v, DEC, "served"), 1);
	/* each hash expires 13 months after its month began */
	assert_int_equal(v->months[1].expire_ms, month_start(&months, DEC + 13));
	cap_reset(&c);
	task_free(t);
	task_free(r);
}

/*
 * Ratings, complaints and a reply clock's verdict and time count in the month of their event;
 * an event of a month no longer counted (September, in November) in none.
 */
static void test_month_counts(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	const struct task_view *v;
	struct event e;

	(void)state;
	e = ev("m1", EVENT_MESSAGE, "a1", "T1", T0 - 2 * HOUR, 0);
	task_event(t, &e, T0);
	reply(t, "r1", "a1", "T1", T0 - 2 * HOUR + 90 * SEC, T0);
	e = ev("c1", EVENT_COMPLAINT, "a1", "T2", T0 - HOUR, 0);
	task_event(t, &e, T0);
	e = ev("s1", EVENT_RATING, "a1", "T9", T0 - HOUR, 5);
	task_event(t, &e, T0);
	e = ev("s2", EVENT_RATING, "a1", NULL, T0 - HOUR, 2);
	task_event(t, &e, T0);
	/* 2026-10-30: October is still counted in November */
	e = ev("s3", EVENT_RATING, "a1", NULL, T0 - 23 * DAY, 4);
	task_event(t, &e, T0);
	flush(t, T0, &c);
	v = view_of(&c, "a1");
	assert_int_equal(month_figure(v, NOV, "ratings"), 2);
	assert_int_equal(month_figure(v, NOV, "positive_rate"), 500);
	assert_int_equal(month_figure(v, NOV, "dsat_rate"), 500);
	assert_int_equal(month_figure(v, NOV, "complaints"), 1);
	assert_int_equal(month_figure(v, NOV, "complaint_rate"), 1000); /* 1 per 1 served */
	assert_int_equal(month_figure(v, NOV, "reply_sla_met"), 1);
	assert_int_equal(month_figure(v, NOV, "reply_sla_missed"), 0);
	assert_int_equal(month_figure(v, NOV, "resp_p50_s"), 89);       /* 90 s: its bucket stands for 88.736 s */
	assert_int_equal(month_figure(v, NOV - 1, "ratings"), 1);
	assert_int_equal(month_figure(v, NOV - 1, "positive_rate"), 1000);
	cap_reset(&c);
	task_free(t);
}

/* A team's and the site's months are the sums of their agents' from every task, served included. */
static void test_team_months(void **state)
{
	struct task *t0 = task_new(0, &cfg), *t1 = task_new(1, &cfg);
	struct capture c0 = {0}, c1 = {0};
	const struct task_view *v;
	struct event e;

	(void)state;
	e = in_team(ev("e1", EVENT_REPLY, "a1", "T1", T0 - 30 * MIN, 0), "xteam");
	task_event(t0, &e, T0);
	e = in_team(ev("e2", EVENT_RATING, "a1", NULL, T0 - 20 * MIN, 5), "xteam");
	task_event(t0, &e, T0);
	e = in_team(ev("e3", EVENT_REPLY, "xb", "T1", T0 - 10 * MIN, 0), "xteam");
	task_event(t1, &e, T0);
	e = in_team(ev("e4", EVENT_RATING, "xb", NULL, T0 - 10 * MIN, 1), "xteam");
	task_event(t1, &e, T0);
	flush(t0, T0, &c0);
	flush(t1, T0, &c1);
	assert_true(deliver_batches(&c0, t1, T0) > 0);
	assert_true(deliver_batches(&c1, t0, T0) > 0);
	cap_reset(&c0);
	cap_reset(&c1);
	flush(t1, T0, &c1);
	flush(t0, T0, &c0);
	v = view_of(&c1, "\x01txteam");
	/* each agent served T1: the team's served is the sum of its agents' */
	assert_int_equal(month_figure(v, NOV, "served"), 2);
	assert_int_equal(month_figure(v, NOV, "ratings"), 2);
	assert_int_equal(month_figure(v, NOV, "positive_rate"), 500);
	assert_int_equal(month_figure(v, NOV, "dsat_rate"), 500);
	v = view_of(&c0, "\x01s");
	assert_int_equal(month_figure(v, NOV, "served"), 2);
	assert_int_equal(month_figure(v, NOV, "ratings"), 2);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/* Runs the task's appraisal tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_served, setup),
		cmocka_unit_test_setup(test_month_counts, setup),
		cmocka_unit_test_setup(test_team_months, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
