/* testutil_clock.c: terms, names and checked effects shared by the clock test drivers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil_clock.h"

static const char *const tc_names[] = { "a17", "a18", "billing" };

/* Resolves a handle as the caller's intern table would. */
static const char *
tc_name(void *arg, uint32_t handle)
{
	(void)arg;
	assert_true(handle < sizeof(tc_names) / sizeof(tc_names[0]));
	return tc_names[handle];
}

const struct clock_names TICKET = { "T-1001", tc_name, NULL };
const struct clock_config CFG = { .pair_horizon_ms = 7 * DAY, .memory_ms = 0, .grace_ms = 0 };

/* See testutil_clock.h. */
void
tc_terms(struct terms *t)
{
	static const int64_t reply[TERMS_KINDS] = { 8 * HOUR, 24 * HOUR, 24 * HOUR, 24 * HOUR, 4 * HOUR };

	memset(t, 0, sizeof(*t));
	snprintf(t->policy, sizeof(t->policy), "%s", POLICY_DEFAULT);
	snprintf(t->calendar_name, sizeof(t->calendar_name), "always");
	t->calendar = calendar_always();
	t->pause_mask = PAUSING;
	for (int g = POLICY_FIRST_REPLY; g <= POLICY_NEXT_REPLY; g++) {
		memcpy(t->goals[g].target_ms, reply, sizeof(reply));
		t->goals[g].at_risk_permille = 800;
	}
}

/* See testutil_clock.h. */
void
tc_goal(struct terms *t, enum policy_target g, int64_t target, int64_t promise, int permille)
{
	for (int k = 0; k < TERMS_KINDS; k++)
		t->goals[g].target_ms[k] = target;
	t->goals[g].promise_ms = promise;
	t->goals[g].at_risk_permille = (uint16_t)permille;
}

/* See testutil_clock.h. */
struct calendar *
tc_office(void)
{
	struct calendar_spec spec;
	struct calendar *c;
	char reason[128] = "";

	memset(&spec, 0, sizeof(spec));
	snprintf(spec.timezone, sizeof(spec.timezone), "UTC");
	for (int w = 0; w < 5; w++)
		assert_true(calendar_parse_day("09:00-17:00", spec.spans[w], &spec.n_spans[w], reason, sizeof(reason)));
	c = calendar_new(&spec, reason, sizeof(reason));
	if (c == NULL)
		fail_msg("calendar refused: %s", reason);
	return c;
}

/* See testutil_clock.h. */
void
tc_open(struct clock_state *s, const struct clock_config *cfg, const struct terms *t,
    enum clock_kind kind, uint32_t agent, int64_t ts, int64_t now, struct clock_effects *e)
{
	const struct clock_opening ev = { kind, agent, BILLING, ts, false, t };

	clock_open(s, cfg, &ev, now, e);
}

/* See testutil_clock.h. */
void
tc_status(struct clock_state *s, const struct clock_config *cfg, enum ticket_status st,
    int64_t ts, int64_t now, struct clock_effects *e)
{
	assert_true(clock_status(s, cfg, st, ts, now, &TICKET, e));
}

/* See testutil_clock.h. */
void
tc_fx(const struct clock_effects *e, enum clock_fate fate, bool changed, int64_t next,
    int open, int overdue, size_t n_adds, size_t n_alerts)
{
	assert_int_equal(e->fate, fate);
	assert_int_equal(e->changed, changed);
	assert_int_equal(e->next_ms, next);
	assert_int_equal(e->open_delta, open);
	assert_int_equal(e->overdue_delta, overdue);
	assert_int_equal(e->n_adds, n_adds);
	assert_int_equal(e->n_alerts, n_alerts);
}

/* See testutil_clock.h. */
void
tc_adds(const struct clock_effects *e, size_t from, uint32_t agent, const struct tc_add *want, size_t n)
{
	assert_true(from + n <= e->n_adds);
	assert_int_equal(e->agent, agent);
	for (size_t i = 0; i < n; i++) {
		const struct clock_add *a = &e->adds[from + i];

		assert_int_equal(a->agent, agent);
		assert_int_equal(a->counter, want[i].counter);
		assert_int_equal(a->ts, want[i].ts);
		assert_int_equal(a->value, want[i].value);
	}
}

/* See testutil_clock.h. */
size_t
tc_settled(const struct clock_effects *e, size_t from, uint32_t agent, bool first, int64_t stop,
    int64_t took)
{
	TC_ADDS(e, from, agent, { C_RESP_N, stop, 1 }, { C_RESP_SUM_MS, stop, took }, { C_RESP_MAX_MS, stop, took });
	if (!first) {
		TC_ADDS(e, from + 3, agent, { C_NEXT_MAX_MS, stop, took });
		return from + 4;
	}
	TC_ADDS(e, from + 3, agent, { C_FIRST_N, stop, 1 }, { C_FIRST_SUM_MS, stop, took },
	    { C_FIRST_MAX_MS, stop, took });
	return from + 6;
}

/* See testutil_clock.h. */
void
tc_alert(const struct alert_facts *f, const struct terms *t, struct tc_alert want)
{
	assert_string_equal(f->rule, want.rule);
	assert_string_equal(f->state, want.state);
	assert_string_equal(f->goal, want.goal);
	assert_string_equal(f->severity, want.severity);
	assert_string_equal(f->agent, want.agent != NULL ? want.agent : "a17");
	assert_string_equal(f->ticket, "T-1001");
	assert_string_equal(f->category, "billing");
	assert_string_equal(f->window, "");
	assert_string_equal(f->message, "");
	assert_string_equal(f->policy, t->policy);
	assert_string_equal(f->calendar, t->calendar_name);
	assert_int_equal(f->since, want.since);
	assert_int_equal(f->at, want.at);
	assert_int_equal(f->start, want.start);
	assert_int_equal(f->due, want.due);
	assert_int_equal(f->target, want.target);
	assert_int_equal(f->late_ms, want.late_ms);
	assert_int_equal(f->remaining_ms, want.remaining_ms);
	assert_int_equal(f->response_ms, want.response_ms);
	assert_int_equal(f->business_ms, want.business_ms);
	assert_int_equal(f->wall_ms, want.wall_ms);
	assert_int_equal(f->promise_ms, want.promise_ms);
	assert_int_equal(f->promised, want.promised);
	assert_int_equal(f->superseded, want.superseded);
	assert_int_equal(f->samples, -1);
	assert_false(f->repeat);
	assert_false(f->has_value);
	assert_false(f->has_threshold);
	assert_false(f->has_interval);
}

/* See testutil_clock.h. */
bool
tc_zeroed(const struct clock_state *s)
{
	static const struct clock_state zero;

	return memcmp(s, &zero, sizeof(zero)) == 0;
}

/* See testutil_clock.h. */
const struct clock_run *
tc_res(const struct clock_state *s)
{
	static const struct clock_run idle;

	return s->extra != NULL ? &s->extra->resolution : &idle;
}

/* See testutil_clock.h. */
int64_t
tc_early(const struct clock_state *s)
{
	return s->extra != NULL ? s->extra->early : 0;
}

/* See testutil_clock.h. */
int64_t
tc_expires(const struct clock_state *s)
{
	return s->extra != NULL ? s->extra->expires : 0;
}

/* See testutil_clock.h. */
const struct pauses *
tc_pauses(const struct clock_state *s)
{
	return s->extra != NULL ? s->extra->pauses : NULL;
}

/* See testutil_clock.h. */
int64_t
tc_target(const struct clock_state *s, const struct clock_run *r)
{
	assert_non_null(s->terms);
	return s->terms->goals[r->goal].target_ms[r->kind];
}

/* See testutil_clock.h. */
int64_t
tc_promise(const struct clock_state *s, const struct clock_run *r)
{
	assert_non_null(s->terms);
	return s->terms->goals[r->goal].promise_ms;
}

/* See testutil_clock.h. */
int
tc_at_risk(const struct clock_state *s, const struct clock_run *r)
{
	assert_non_null(s->terms);
	return s->terms->goals[r->goal].at_risk_permille;
}

/* See testutil_clock.h. */
struct terms tc_def;

/* See testutil_clock.h. */
int
tc_setup(void **state)
{
	(void)state;
	tc_terms(&tc_def);
	return 0;
}
