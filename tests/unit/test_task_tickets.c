/* test_task_tickets.c: a task's tickets: clocks local and remote, their names, and complaints' service recovery. */
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
#include "route.h"
#include "task.h"
#include "testutil_task.h"

/* A clock whose ticket is local: met, response time, and the open gauge back to zero. */
static void test_local_clock(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	struct event e;
	const struct task_view *v;
	size_t overdue;

	(void)state;
	e = ev("m1", EVENT_MESSAGE, "a1", "T1", T0 - HOUR, 0);
	task_event(t, &e, T0);
	assert_int_equal(task_clocks(t, &overdue), 1);
	flush(t, T0, &c);
	assert_int_equal(c.tickets, 1);
	assert_string_equal(c.ticket_id[0], "T1");
	assert_int_equal(view_of(&c, "a1")->open, 1);
	e = ev("r1", EVENT_REPLY, "a1", "T1", T0 - 30 * MIN, 0);
	task_event(t, &e, T0);
	flush(t, T0, &c);
	assert_int_equal(c.deleted, 1);
	v = view_of(&c, "a1");
	assert_int_equal(v->open, 0);
	assert_int_equal(v->totals[0].c[C_REPLIES], 1);
	assert_int_equal(v->totals[0].c[C_RESP_N], 1);
	assert_int_equal(v->totals[0].c[C_RESP_SUM_MS], 30 * MIN);
	assert_int_equal(v->totals[0].c[C_SLA_MET], 1);
	assert_int_equal(task_clocks(t, &overdue), 0);
	/* The next clock of the same agent still names it (the last one let its names go). */
	e = ev("m2", EVENT_MESSAGE, "a1", "T2", T0 - 10 * MIN, 0);
	snprintf(e.category, sizeof(e.category), "billing");
	task_event(t, &e, T0);
	flush(t, T0, &c);
	assert_int_equal(c.tickets, 1);
	{
		struct clock_state s;
		struct clock_record rec;

		assert_true(clock_record_decode(c.ticket_blob[0], c.ticket_len[0], &s, &rec));
		assert_int_equal(rec.agent.len, 2);
		assert_memory_equal(rec.agent.ptr, "a1", 2);
		assert_int_equal(rec.category.len, 7);
		assert_memory_equal(rec.category.ptr, "billing", 7);
		clock_clear(&s);
	}
	cap_reset(&c);
	task_free(t);
}

/* A ticket owned elsewhere: its part travels, its breach comes back as a delta, alerts are queued. */
static void test_remote_clock(void **state)
{
	struct task *t0 = task_new(0, &cfg), *t1 = task_new(1, &cfg);
	struct capture c0 = {0}, c1 = {0};
	struct event e = ev("m1", EVENT_MESSAGE, "a1", "xT", T0 - HOUR, 0);
	const struct task_view *v;
	size_t overdue, alerts = 0;

	(void)state;
	task_event(t0, &e, T0);
	flush(t0, T0, &c0);
	assert_int_equal(c0.added, 1);
	assert_int_equal(c0.entry[0].kind, OUTBOX_BATCH);
	assert_int_equal(c0.entry[0].dest, 1);
	assert_int_equal(deliver_batches(&c0, t1, T0), 1);
	assert_true(task_batch(t1, c0.entry[0].data, c0.entry[0].len, T0)); /* again: skipped */
	assert_int_equal(task_clocks(t1, &overdue), 1);
	/* Cut short, it is refused and nothing of it applied; from a task beyond the count too. */
	assert_false(task_batch(t0, c0.entry[0].data, c0.entry[0].len - 1, T0));
	assert_int_equal(task_clocks(t0, &overdue), 0);
	{
		struct route_batch *b = route_batch_new(2);
		size_t len;
		const char *data;

		assert_true(route_batch_ticket_part(b, &e));
		data = route_batch_data(b, 1, &len);
		assert_false(task_batch(t0, data, len, T0));
		assert_int_equal(task_clocks(t0, &overdue), 0);
		route_batch_free(b);
	}
	/* At 80% of the target the at-risk alert fires; past the deadline the breach supersedes it. */
	assert_int_equal(task_next_tick(t1), T0 - HOUR + (24 * HOUR * 8) / 10);
	task_tick(t1, T0 + 19 * HOUR);
	assert_int_equal(task_next_tick(t1), T0 + 23 * HOUR);
	task_tick(t1, T0 + 24 * HOUR);
	assert_int_equal(task_clocks(t1, &overdue), 1);
	assert_int_equal(overdue, 1);
	flush(t1, T0 + 24 * HOUR, &c1);
	for (size_t i = 0; i < c1.added; i++)
		alerts += c1.entry[i].kind == OUTBOX_ALERT;
	assert_int_equal(alerts, 3); /* at-risk firing, at-risk resolved (superseded), breach firing */
	assert_int_equal(deliver_batches(&c1, t0, T0 + 24 * HOUR), 1);
	flush(t0, T0 + 24 * HOUR, &c0);
	v = view_of(&c0, "a1");
	assert_int_equal(v->open, 1);
	assert_int_equal(v->overdue, 1);
	assert_int_equal(v->totals[1].c[C_SLA_MISSED], 1);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/* The agent and category a ticket's clock goes by: the opening event's, kept until the clock ends. */
static void test_ticket_names(void **state)
{
	struct task *t = task_new(0, &cfg);
	struct capture c = {0};
	struct event e;
	struct clock_state s;
	struct clock_record rec;
	size_t overdue, breaches = 0;

	(void)state;
	/* Ids over 11 bytes: the ticket map reads them from the tickets' own blocks. */
	/* An early reply waits; the message it answers pairs with it under the message's agent. */
	e = ev("r0", EVENT_REPLY, "a9", "T0-paired-early-reply", T0 - 10 * MIN, 0);
	task_event(t, &e, T0);
	e = ev("m0", EVENT_MESSAGE, "a2", "T0-paired-early-reply", T0 - 40 * MIN, 0);
	snprintf(e.category, sizeof(e.category), "refunds");
	task_event(t, &e, T0);
	assert_int_equal(task_clocks(t, &overdue), 0);
	flush(t, T0, &c);
	assert_int_equal(view_of(&c, "a2")->totals[0].c[C_RESP_N], 1);
	assert_int_equal(view_of(&c, "a2")->totals[0].c[C_RESP_SUM_MS], 30 * MIN);
	assert_int_equal(view_of(&c, "a9")->totals[0].c[C_RESP_N], 0);
	/* A running clock keeps its first agent and category when another message names others. */
	e = ev("m1", EVENT_MESSAGE, "a1", "T1-kept-by-its-opener", T0 - 2 * HOUR, 0);
	snprintf(e.category, sizeof(e.category), "billing");
	task_event(t, &e, T0);
	e = ev("m2", EVENT_MESSAGE, "a3", "T1-kept-by-its-opener", T0 - HOUR, 0);
	task_event(t, &e, T0);
	flush(t, T0, &c);
	assert_int_equal(c.tickets, 1);
	assert_true(clock_record_decode(c.ticket_blob[0], c.ticket_len[0], &s, &rec));
	assert_int_equal(rec.agent.len, 2);
	assert_memory_equal(rec.agent.ptr, "a1", 2);
	assert_int_equal(rec.category.len, 7);
	assert_memory_equal(rec.category.ptr, "billing", 7);
	clock_clear(&s);
	assert_int_equal(view_of(&c, "a1")->open, 1);
	/* Its breach names them too, and the reply's figures go to a1, not to a3. */
	task_tick(t, T0 - 2 * HOUR + 24 * HOUR);
	flush(t, T0 - 2 * HOUR + 24 * HOUR, &c);
	for (size_t i = 0; i < c.added; i++)
		breaches += c.entry[i].kind == OUTBOX_ALERT && strstr(c.entry[i].data, "\"reply_sla_breach\"") &&
		    strstr(c.entry[i].data, "\"agent\":\"a1\"") && strstr(c.entry[i].data, "\"category\":\"billing\"");
	assert_int_equal(breaches, 1);
	e = ev("r1", EVENT_REPLY, "a3", "T1-kept-by-its-opener", T0 + 23 * HOUR, 0);
	task_event(t, &e, T0 + 23 * HOUR);
	flush(t, T0 + 23 * HOUR, &c);
	assert_int_equal(c.deleted, 1);
	assert_int_equal(view_of(&c, "a1")->open, 0);
	assert_int_equal(view_of(&c, "a1")->overdue, 0);
	assert_int_equal(view_of(&c, "a1")->totals[1].c[C_RESP_SUM_MS], 25 * HOUR);
	assert_int_equal(task_clocks(t, &overdue), 0);
	cap_reset(&c);
	task_free(t);
}

/* The recovery the last record of ticket id in c holds (the caller frees it); NULL when none. */
static struct recovery *recovery_in(const struct capture *c, const char *id)
{
	struct clock_state s;
	struct clock_record rec;

	for (size_t i = c->tickets; i-- > 0;)
		if (strcmp(c->ticket_id[i], id) == 0) {
			assert_true(clock_record_decode(c->ticket_blob[i], c->ticket_len[i], &s, &rec));
			clock_clear(&s);
			return rec.recovery;
		}
	fail_msg("no record of %s", id);
	return NULL;
}

/* Applies e at task t0 (which owns the agents a...) and delivers what it sends to t1, which owns tickets x... */
static void at_t0(struct task *t0, struct task *t1, const struct event *e, int64_t now, struct capture *c)
{
	task_event(t0, e, now);
	flush(t0, now, c);
	deliver_batches(c, t1, now);
}

/*
 * A complaint whose ticket another task owns: its recovery lives there, with the ticket, after
 * its clock ended; the first rating after it, of that ticket, is its outcome, credited back
 * to the complaint's agent. A rating of a ticket with no recovery makes no ticket.
 */
static void test_recovery_rated(void **state)
{
	struct task *t0 = task_new(0, &cfg), *t1 = task_new(1, &cfg);
	struct capture c0 = {0}, c1 = {0};
	struct event e;
	struct recovery *r;
	const struct task_view *v;
	size_t overdue;

	(void)state;
	e = ev("c1", EVENT_COMPLAINT, "a1", "xT", T0 - 2 * HOUR, 0);
	e.severity = SEVERITY_HIGH;
	at_t0(t0, t1, &e, T0, &c0);
	e = ev("r1", EVENT_REPLY, "a1", "xT", T0 - HOUR, 0);
	at_t0(t0, t1, &e, T0, &c0);
	flush(t1, T0, &c1);
	/* the clock ended, the ticket stays for its recovery: answered, not followed up, due in 3d */
	assert_int_equal(task_clocks(t1, &overdue), 0);
	assert_int_equal(c1.deleted, 0);
	r = recovery_in(&c1, "xT");
	assert_non_null(r);
	assert_string_equal(r->agent, "a1");
	assert_int_equal(r->complaint, T0 - 2 * HOUR);
	assert_int_equal(r->answered, T0 - HOUR);
	assert_int_equal(r->severity, SEVERITY_HIGH);
	free(r);
	assert_int_equal(task_next_tick(t1), T0 - HOUR + 3 * DAY);
	/* a rating of another ticket, and one with no ticket: no recovery, nothing made */
	e = ev("s0", EVENT_RATING, "a1", "xOther", T0, 5);
	at_t0(t0, t1, &e, T0, &c0);
	e = ev("s1", EVENT_RATING, "a1", NULL, T0, 5);
	at_t0(t0, t1, &e, T0, &c0);
	flush(t1, T0, &c1);
	assert_int_equal(c1.tickets + c1.deleted + c1.added, 0);
	/* rated 4 of 5: recovered, credited to a1 at the rating's time */
	e = ev("s2", EVENT_RATING, "a1", "xT", T0 + MIN, 4);
	at_t0(t0, t1, &e, T0 + MIN, &c0);
	flush(t1, T0 + MIN, &c1);
	assert_int_equal(deliver_batches(&c1, t0, T0 + MIN), 1);
	flush(t0, T0 + MIN, &c0);
	v = view_of(&c0, "a1");
	assert_int_equal(v->totals[0].c[C_RECOVERY_RATED], 1);
	assert_int_equal(v->totals[0].c[C_RECOVERED], 1);
	assert_int_equal(v->totals[0].c[C_RATINGS], 3);
	/* a second rating is no second outcome */
	e = ev("s3", EVENT_RATING, "a1", "xT", T0 + 2 * MIN, 1);
	at_t0(t0, t1, &e, T0 + 2 * MIN, &c0);
	flush(t1, T0 + 2 * MIN, &c1);
	assert_int_equal(c1.added, 0);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/*
 * No follow-up within 3d of the answer: follow_up_missing for the agent at the due time, and
 * follow_up_due fires; a restored task keeps the recovery; a later follow_up event resolves the
 * alert, and the ticket is forgotten once the complaint's rating_within is over.
 */
static void test_recovery_follow_up_due(void **state)
{
	struct task *t0 = task_new(0, &cfg), *t1 = task_new(1, &cfg), *again = task_new(1, &cfg);
	struct capture c0 = {0}, c1 = {0};
	struct alert_facts f;
	struct event e;
	const struct task_view *v;
	int64_t due = T0 + 3 * DAY;

	(void)state;
	e = ev("c1", EVENT_COMPLAINT, "a1", "xT", T0 - HOUR, 0);
	at_t0(t0, t1, &e, T0, &c0);
	e = ev("r1", EVENT_REPLY, "a1", "xT", T0, 0);
	at_t0(t0, t1, &e, T0, &c0);
	flush(t1, T0, &c1);
	/* restored from its records, the ticket task keeps the recovery and its timer */
	for (size_t i = 0; i < c1.tickets; i++)
		assert_true(task_restore_ticket(again, c1.ticket_id[i], strlen(c1.ticket_id[i]), c1.ticket_blob[i],
		    c1.ticket_len[i], T0));
	task_restore_done(again, T0);
	task_free(t1);
	t1 = again;
	assert_int_equal(task_next_tick(t1), due);
	task_tick(t1, due - 1);
	assert_false(task_dirty(t1));
	task_tick(t1, due + 200);
	flush(t1, due + 200, &c1);
	assert_int_equal(alerts_of(&c1, "follow_up_due", &f), 1);
	assert_string_equal(f.state, "firing");
	assert_string_equal(f.agent, "a1");
	assert_string_equal(f.ticket, "xT");
	assert_int_equal(f.since, due);
	assert_int_equal(f.late_ms, 200);
	assert_int_equal(deliver_batches(&c1, t0, due + 200), 1);
	flush(t0, due + 200, &c0);
	v = view_of(&c0, "a1");
	assert_int_equal(v->totals[0].c[C_FOLLOW_UP_MISSING], 1);
	assert_int_equal(v->totals[0].c[C_COMPLAINTS], 0); /* the complaint is 3d old */
	assert_int_equal(v->totals[2].c[C_COMPLAINTS], 1);
	/* no timer while the follow-up is awaited */
	assert_int_equal(task_next_tick(t1), INT64_MAX);
	/* the follow-up, a day late: the alert resolves; the counted miss stays */
	e = ev("f1", EVENT_FOLLOW_UP, "a2", "xT", due + DAY, 0);
	at_t0(t0, t1, &e, due + DAY, &c0);
	flush(t1, due + DAY, &c1);
	assert_int_equal(alerts_of(&c1, "follow_up_due", &f), 1);
	assert_string_equal(f.state, "resolved");
	assert_int_equal(f.since, due);
	assert_int_equal(f.response_ms, 4 * DAY);
	/* forgotten rating_within after the complaint was applied (at T0, an hour after it was made) */
	assert_int_equal(task_next_tick(t1), T0 + 7 * DAY);
	task_tick(t1, T0 + 7 * DAY);
	flush(t1, T0 + 7 * DAY, &c1);
	assert_int_equal(c1.deleted, 1);
	assert_int_equal(task_next_tick(t1), INT64_MAX);
	cap_reset(&c0);
	cap_reset(&c1);
	task_free(t0);
	task_free(t1);
}

/* A follow-up in time (a reply marked so) counts nothing missing and fires nothing; the ticket goes once rated. */
static void test_recovery_followed(void **state)
{
	struct task *t = task_new(1, &cfg);
	struct capture c = {0};
	struct alert_facts f;
	struct event e;

	(void)state;
	/* Task 1 owns both the agent x1 and the ticket xT: everything stays local. */
	e = ev("c1", EVENT_COMPLAINT, "x1", "xT", T0, 0);
	task_event(t, &e, T0);
	e = ev("r1", EVENT_REPLY, "x1", "xT", T0 + HOUR, 0);
	task_event(t, &e, T0 + HOUR);
	e = ev("r2", EVENT_REPLY, "x1", "xT", T0 + DAY, 0);
	e.follow_up = true;
	task_event(t, &e, T0 + DAY);
	e = ev("s1", EVENT_RATING, "x1", "xT", T0 + 2 * DAY, 2);
	task_event(t, &e, T0 + 2 * DAY);
	flush(t, T0 + 2 * DAY, &c);
	assert_int_equal(view_of(&c, "x1")->totals[2].c[C_RECOVERY_RATED], 1);
	assert_int_equal(view_of(&c, "x1")->totals[2].c[C_RECOVERED], 0);
	/*
	 * Rated and followed up: over at the next tick. The ticket stays only for the marked
	 * reply, which answered no message: an early reply, waiting for one ([sla] pair_horizon).
	 */
	task_tick(t, T0 + 2 * DAY);
	flush(t, T0 + 2 * DAY, &c);
	assert_int_equal(c.tickets, 1);
	assert_null(recovery_in(&c, "xT"));
	assert_int_equal(alerts_of(&c, "follow_up_due", &f), 0);
	task_tick(t, T0 + 10 * DAY);
	flush(t, T0 + 10 * DAY, &c);
	assert_int_equal(view_of(&c, "x1")->totals[3].c[C_FOLLOW_UP_MISSING], 0);
	cap_reset(&c);
	task_free(t);
}

/* A reply that came before its complaint (paired by the clock as an early reply) is the recovery's answer. */
static void test_recovery_early_answer(void **state)
{
	struct task *t = task_new(1, &cfg);
	struct capture c = {0};
	struct recovery *r;
	struct event e;

	(void)state;
	e = ev("r1", EVENT_REPLY, "x1", "xT", T0 - HOUR, 0);
	task_event(t, &e, T0);
	e = ev("c1", EVENT_COMPLAINT, "x1", "xT", T0 - 2 * HOUR, 0);
	task_event(t, &e, T0);
	flush(t, T0, &c);
	r = recovery_in(&c, "xT");
	assert_non_null(r);
	assert_int_equal(r->complaint, T0 - 2 * HOUR);
	assert_int_equal(r->answered, T0 - HOUR);
	free(r);
	assert_int_equal(view_of(&c, "x1")->totals[0].c[C_RESP_N], 1);
	cap_reset(&c);
	task_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local_clock),
		cmocka_unit_test(test_remote_clock),
		cmocka_unit_test(test_ticket_names),
		cmocka_unit_test(test_recovery_rated),
		cmocka_unit_test(test_recovery_follow_up_due),
		cmocka_unit_test(test_recovery_followed),
		cmocka_unit_test(test_recovery_early_answer),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
