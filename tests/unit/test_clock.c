/* test_clock.c: the reply clock of docs/reply-clocks.md by hand: always calendar, no status, no memory. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "alert.h"
#include "clock.h"
#include "testutil_clock.h"


/* Opens with a (not late) event of kind by agent under tc_def, category billing, stamped ts. */
static void
test_open(struct clock_state *s, enum clock_kind kind, uint32_t agent, int64_t ts, int64_t now,
    struct clock_effects *e)
{
	tc_open(s, &CFG, &tc_def, kind, agent, ts, now, e);
}

/* A high complaint by a17 on T-1001 stamped T0, applied at now. */
static void
test_high(struct clock_state *s, int64_t now)
{
	struct clock_effects e;

	memset(s, 0, sizeof(*s));
	test_open(s, CLOCK_HIGH, A17, T0, now, &e);
	assert_int_equal(e.open_delta, 1);
}

/* Checks the 8 adds of a first reply at replied to a clock started at start, met by it. */
static void
test_met(const struct clock_effects *e, uint32_t agent, int64_t start, int64_t replied)
{
	assert_int_equal(tc_settled(e, 0, agent, true, replied, replied - start), 6);
	TC_ADDS(e, 6, agent, { C_SLA_MET, replied, 1 }, { C_FIRST_MET, replied, 1 });
}

/* The same, missed: the misses count at the deadline due. */
static void
test_missed(const struct clock_effects *e, uint32_t agent, int64_t start, int64_t replied, int64_t due)
{
	assert_int_equal(tc_settled(e, 0, agent, true, replied, replied - start), 6);
	TC_ADDS(e, 6, agent, { C_SLA_MISSED, due, 1 }, { C_FIRST_MISSED, due, 1 });
}

/*
 * Checks the running reply clock of a17 (category billing) under tc_def, and no resolution clock:
 * a reply clock alone, with no status event and no early reply waiting, has no extras.
 */
static void
test_running(const struct clock_state *s, enum clock_run_state state, int64_t start, int64_t created,
    enum clock_kind kind, bool risk_fired)
{
	assert_ptr_equal(s->terms, &tc_def);
	assert_int_equal(s->reply.state, state);
	assert_int_equal(s->reply.goal, POLICY_FIRST_REPLY);
	assert_int_equal(s->reply.start, start);
	assert_int_equal(s->reply.created, created);
	assert_int_equal(s->reply.kind, kind);
	assert_int_equal(tc_target(s, &s->reply), tc_def.goals[POLICY_FIRST_REPLY].target_ms[kind]);
	assert_int_equal(tc_promise(s, &s->reply), 0);
	assert_int_equal(tc_at_risk(s, &s->reply), 800);
	assert_int_equal(s->reply.risk_fired, risk_fired);
	assert_int_equal(s->reply.breach_counted, state == RUN_OVERDUE);
	assert_false(s->reply.promise_fired);
	assert_null(s->extra);
	assert_int_equal(tc_res(s)->state, RUN_IDLE);
	assert_int_equal(s->agent, A17);
	assert_int_equal(s->category, BILLING);
	assert_int_equal(s->when, 0); /* running, not settling: nothing to forget, nothing to count */
	assert_false(s->replied);
	assert_true(clock_holds_names(s));
	assert_true(clock_reply_running(s));
	assert_int_equal(clock_reply_overdue(s), state == RUN_OVERDUE);
	assert_false(clock_empty(s));
}

/* The extras a Lua clock_alert call passed; -1 is absent, superseded -1/0/1 absent/false/true. */
struct lua_extra {
	int64_t late_ms, remaining_ms, response_ms, replied;
	int superseded;
};

/*
 * Checks an alert against the outbox JSON the Lua wrote for a high complaint by a17 on T-1001
 * (opened at start) read back by alert_facts_parse, as the daemon reads its outbox; and the
 * facts policies added, which on the always calendar with no pause say upto - start twice
 * (upto: the decision, or the reply that stopped the clock).
 */
static void
test_lua_alert(const struct alert_facts *got, const char *rule, const char *state, int64_t since,
    int64_t at, int64_t start, int64_t upto, struct lua_extra x)
{
	char json[1024];
	int n;
	struct alert_facts want;
	const struct {
		const char *key;
		int64_t v;
	} ints[] = { { "late_ms", x.late_ms }, { "remaining_ms", x.remaining_ms },
		{ "response_ms", x.response_ms }, { "replied", x.replied } };

	n = snprintf(json, sizeof(json), "{\"rule\":\"%s\",\"state\":\"%s\",\"agent\":\"a17\","
	    "\"ticket\":\"T-1001\",\"since\":%" PRId64 ",\"at\":%" PRId64 ",\"start\":%" PRId64
	    ",\"due\":%" PRId64 ",\"target\":86400000,\"severity\":\"high\",\"category\":\"billing\"",
	    rule, state, since, at, start, start + DAY);
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
		if (ints[i].v >= 0)
			n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"%s\":%" PRId64, ints[i].key, ints[i].v);
	if (x.superseded >= 0)
		n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"superseded\":%s", x.superseded ? "true" : "false");
	snprintf(json + n, sizeof(json) - (size_t)n, "}");
	assert_true(alert_facts_parse(json, strlen(json), &want));
	assert_string_equal(got->rule, want.rule);
	assert_string_equal(got->state, want.state);
	assert_string_equal(got->agent, want.agent);
	assert_string_equal(got->ticket, want.ticket);
	assert_string_equal(got->window, want.window);
	assert_string_equal(got->severity, want.severity);
	assert_string_equal(got->category, want.category);
	assert_string_equal(got->message, want.message);
	assert_int_equal(got->since, want.since);
	assert_int_equal(got->at, want.at);
	assert_int_equal(got->start, want.start);
	assert_int_equal(got->due, want.due);
	assert_int_equal(got->target, want.target);
	assert_int_equal(got->late_ms, want.late_ms);
	assert_int_equal(got->remaining_ms, want.remaining_ms);
	assert_int_equal(got->response_ms, want.response_ms);
	assert_int_equal(got->samples, want.samples);
	assert_int_equal(got->superseded, want.superseded);
	assert_int_equal(got->repeat, want.repeat);
	assert_int_equal(got->has_value, want.has_value);
	assert_int_equal(got->has_threshold, want.has_threshold);
	assert_int_equal(got->has_interval, want.has_interval);
	assert_string_equal(got->policy, "default");
	assert_string_equal(got->calendar, "always");
	assert_string_equal(got->goal, "first_reply");
	assert_int_equal(got->business_ms, upto - start);
	assert_int_equal(got->wall_ms, upto - start);
	assert_int_equal(got->promise_ms, -1);
	assert_int_equal(got->promised, -1);
}

/*
 * Checks that an alert renders every member of the contract JSON doc with its value. The
 * members policies add (policy, calendar, goal, business and wall time, ...) are alert.c's
 * and docs/alerts.md's to pin; they may come beside these. Without with_message, the text is
 * not compared (alert_text.c words it now otherwise than the docs' example does).
 */
static void
test_render(const struct alert_facts *f, const char *doc, bool with_message)
{
	char *json = alert_render(f);
	json_t *got, *want, *v;
	const char *key;

	assert_non_null(json);
	got = json_loads(json, 0, NULL);
	want = json_loads(doc, 0, NULL);
	assert_non_null(got);
	assert_non_null(want);
	json_object_foreach(want, key, v) {
		if ((with_message || strcmp(key, "message") != 0) && !json_equal(json_object_get(got, key), v))
			fail_msg("member %s differs: %s", key, json);
	}
	json_decref(got);
	json_decref(want);
	free(json);
}

/* The examples of docs/alerts.md, verbatim: the renderer must keep producing them. */
static const char DOC_RISK_FIRING[] =
	"{\"alert_id\":\"315d1a2cbdb2b300\",\"rule\":\"reply_sla_at_risk\",\"state\":\"firing\",\"agent_i"
	"d\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":69120.23,\"threshold\":86400.0,\""
	"samples\":null,\"since\":\"2026-11-22T04:12:00.000Z\",\"at\":\"2026-11-22T04:12:00.230Z\",\"mess"
	"age\":\"Ticket T-1001 (complaint, high, billing) for agent a17 has 4h47m left of its 24h reply t"
	"arget\",\"opened_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"r"
	"emaining_s\":17279.77,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_RISK_RESOLVED[] =
	"{\"alert_id\":\"315d1a2cbdb2b300\",\"rule\":\"reply_sla_at_risk\",\"state\":\"resolved\",\"agent"
	"_id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":77400.0,\"threshold\":86400.0,"
	"\"samples\":null,\"since\":\"2026-11-22T04:12:00.000Z\",\"at\":\"2026-11-22T06:30:00.400Z\",\"me"
	"ssage\":\"Agent a17 replied to ticket T-1001 after 21h30m, within the 24h reply target\",\"opene"
	"d_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"response_s\":774"
	"00.0,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_RISK_SUPERSEDED[] =
	"{\"alert_id\":\"315d1a2cbdb2b300\",\"rule\":\"reply_sla_at_risk\",\"state\":\"resolved\",\"agent"
	"_id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":86400.12,\"threshold\":86400.0,"
	"\"samples\":null,\"since\":\"2026-11-22T04:12:00.000Z\",\"at\":\"2026-11-22T09:00:00.120Z\",\"me"
	"ssage\":\"Ticket T-1001 for agent a17 passed its 24h reply target (see reply_sla_breach)\",\"ope"
	"ned_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"severity\":\"h"
	"igh\",\"category\":\"billing\",\"superseded\":true}";
static const char DOC_BREACH_FIRING[] =
	"{\"alert_id\":\"1cf56f98c0a3b02a\",\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent_id"
	"\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":86400.12,\"threshold\":86400.0,\"s"
	"amples\":null,\"since\":\"2026-11-22T09:00:00.000Z\",\"at\":\"2026-11-22T09:00:00.120Z\",\"messa"
	"ge\":\"Agent a17 missed the 24h reply target on ticket T-1001 (complaint, high, billing): no rep"
	"ly 0s after the deadline\",\"opened_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T"
	"09:00:00.000Z\",\"late_s\":0.12,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_BREACH_LATE_REPLY[] =
	"{\"alert_id\":\"1cf56f98c0a3b02a\",\"rule\":\"reply_sla_breach\",\"state\":\"resolved\",\"agent_"
	"id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":91800.0,\"threshold\":86400.0,\""
	"samples\":null,\"since\":\"2026-11-22T09:00:00.000Z\",\"at\":\"2026-11-22T10:30:00.500Z\",\"mess"
	"age\":\"Agent a17 replied to ticket T-1001 after 1d01h, 1h30m past the 24h reply target\",\"open"
	"ed_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"response_s\":91"
	"800.0,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_BREACH_DELAYED_REPLY[] =
	"{\"alert_id\":\"1cf56f98c0a3b02a\",\"rule\":\"reply_sla_breach\",\"state\":\"resolved\",\"agent_"
	"id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":86370.0,\"threshold\":86400.0,\""
	"samples\":null,\"since\":\"2026-11-22T09:00:00.000Z\",\"at\":\"2026-11-22T09:02:00.000Z\",\"mess"
	"age\":\"Agent a17 replied to ticket T-1001 after 23h59m, within the 24h reply target, but the re"
	"ply arrived after the breach was declared\",\"opened_at\":\"2026-11-21T09:00:00.000Z\",\"deadlin"
	"e\":\"2026-11-22T09:00:00.000Z\",\"response_s\":86370.0,\"severity\":\"high\",\"category\":\"bil"
	"ling\"}";
static const char DOC_DOWN_FIRING[] =
	"{\"alert_id\":\"1cf56f98c0a3b02a\",\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent_id"
	"\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":88800.3,\"threshold\":86400.0,\"sa"
	"mples\":null,\"since\":\"2026-11-22T09:00:00.000Z\",\"at\":\"2026-11-22T09:40:00.300Z\",\"messag"
	"e\":\"Agent a17 missed the 24h reply target on ticket T-1001 (complaint, high, billing): no repl"
	"y 20m00s after the deadline\",\"opened_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-"
	"22T09:00:00.000Z\",\"late_s\":1200.0,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_DOWN_RESOLVED[] =
	"{\"alert_id\":\"1cf56f98c0a3b02a\",\"rule\":\"reply_sla_breach\",\"state\":\"resolved\",\"agent_"
	"id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":87600.0,\"threshold\":86400.0,\""
	"samples\":null,\"since\":\"2026-11-22T09:00:00.000Z\",\"at\":\"2026-11-22T09:40:00.300Z\",\"mess"
	"age\":\"Agent a17 replied to ticket T-1001 after 1d00h, 20m00s past the 24h reply target\",\"ope"
	"ned_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"response_s\":8"
	"7600.0,\"severity\":\"high\",\"category\":\"billing\"}";
static const char DOC_DOWN_RISK[] =
	"{\"alert_id\":\"315d1a2cbdb2b300\",\"rule\":\"reply_sla_at_risk\",\"state\":\"resolved\",\"agent"
	"_id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":87600.0,\"threshold\":86400.0,"
	"\"samples\":null,\"since\":\"2026-11-22T04:12:00.000Z\",\"at\":\"2026-11-22T09:40:00.300Z\",\"me"
	"ssage\":\"Ticket T-1001 for agent a17 passed its 24h reply target (see reply_sla_breach)\",\"ope"
	"ned_at\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-22T09:00:00.000Z\",\"response_s\":8"
	"7600.0,\"severity\":\"high\",\"category\":\"billing\",\"superseded\":true}";
static const char DOC_MESSAGE_RISK[] =
	"{\"alert_id\":\"1d8eb2428676f46c\",\"rule\":\"reply_sla_at_risk\",\"state\":\"firing\",\"agent_i"
	"d\":\"a17\",\"ticket_id\":\"T-1002\",\"window\":null,\"value\":23040.23,\"threshold\":28800.0,\""
	"samples\":null,\"since\":\"2026-11-21T15:24:00.000Z\",\"at\":\"2026-11-21T15:24:00.230Z\",\"mess"
	"age\":\"Ticket T-1002 (message) for agent a17 has 1h35m left of its 8h reply target\",\"opened_a"
	"t\":\"2026-11-21T09:00:00.000Z\",\"deadline\":\"2026-11-21T17:00:00.000Z\",\"remaining_s\":5759."
	"77}";

/* Kinds map from events, and name themselves as the alerts' severity. */
static void
test_kinds(void **state)
{
	static const char *const names[] = { "message", "low", "normal", "high", "critical" };

	(void)state;
	assert_int_equal(clock_kind_of(EVENT_MESSAGE, SEVERITY_NORMAL), CLOCK_MESSAGE);
	assert_int_equal(clock_kind_of(EVENT_COMPLAINT, SEVERITY_LOW), CLOCK_LOW);
	assert_int_equal(clock_kind_of(EVENT_COMPLAINT, SEVERITY_NORMAL), CLOCK_NORMAL);
	assert_int_equal(clock_kind_of(EVENT_COMPLAINT, SEVERITY_HIGH), CLOCK_HIGH);
	assert_int_equal(clock_kind_of(EVENT_COMPLAINT, SEVERITY_CRITICAL), CLOCK_CRITICAL);
	for (int k = 0; k < CLOCK_KIND_COUNT; k++)
		assert_string_equal(clock_kind_name((enum clock_kind)k), names[k]);
}

/* A complaint or message starts a first-reply clock at its ts under its terms; the target comes from its kind. */
static void
test_start(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	test_open(&s, CLOCK_HIGH, A17, T0, T0 + 5 * MIN, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0);
	assert_int_equal(e.agent, A17);
	test_running(&s, RUN_OPEN, T0, T0 + 5 * MIN, CLOCK_HIGH, false);
	assert_int_equal(clock_due(&s), DUE);
	assert_int_equal(clock_next(&s), RISK);
	/* A message uses reply_target (8h): at risk 6h24m in. */
	clock_clear(&s);
	test_open(&s, CLOCK_MESSAGE, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 6 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_int_equal(clock_due(&s), T0 + 8 * HOUR);
	/* A critical complaint its own (4h): at risk 3h12m in. */
	clock_clear(&s);
	test_open(&s, CLOCK_CRITICAL, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 3 * HOUR + 12 * MIN, 1, 0, 0, 0);
	assert_int_equal(clock_due(&s), T0 + 4 * HOUR);
	/* The at-risk point is floor(target x at_risk): 1001 ms x 0.8 = 800.8 -> 800. */
	t.goals[POLICY_FIRST_REPLY].target_ms[CLOCK_MESSAGE] = 1001;
	clock_clear(&s);
	tc_open(&s, &CFG, &t, CLOCK_MESSAGE, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 800, 1, 0, 0, 0);
	assert_ptr_equal(s.terms, &t);
	assert_int_equal(clock_due(&s), T0 + 1001);
}

/* A late complaint or message opens nothing, takes no terms and pairs with no early reply. */
static void
test_late_open(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	struct clock_opening ev = { CLOCK_HIGH, A17, BILLING, T0, true, &tc_def };

	(void)state;
	clock_open(&s, &CFG, &ev, T0 + 31 * DAY, &e);
	tc_fx(&e, CLOCK_DELETE, false, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	/* A reply waits at T0 + 1h; the late event would pair with it, but does not. */
	clock_reply(&s, &CFG, T0 + HOUR, T0 + 31 * DAY, &TICKET, &e);
	clock_open(&s, &CFG, &ev, T0 + 31 * DAY, &e);
	tc_fx(&e, CLOCK_KEEP, false, T0 + 38 * DAY, 0, 0, 0, 0);
	assert_int_equal(tc_early(&s), T0 + HOUR);
	assert_null(s.terms);
	assert_false(clock_holds_names(&s));
	clock_clear(&s);
}

/* Another opening event while a clock runs does not restart it, whoever sends it. */
static void
test_open_while_running(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	test_open(&s, CLOCK_CRITICAL, A18, T0 + HOUR, T0 + HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, false, RISK, 0, 0, 0, 0);
	assert_int_equal(e.agent, A17);
	test_running(&s, RUN_OPEN, T0, T0, CLOCK_HIGH, false);
	/* As old as the start is not older: no move. */
	test_open(&s, CLOCK_HIGH, A17, T0, T0 + HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, false, RISK, 0, 0, 0, 0);
}

/* An older one moves the start back until an alert fired; target, kind, agent and terms stay. */
static void
test_move_back(void **state)
{
	struct terms t = tc_def;
	struct clock_state s;
	struct clock_effects e;
	struct clock_opening ev = { CLOCK_MESSAGE, A18, CLOCK_NO_NAME, T0 - 2 * HOUR, false, &t };

	(void)state;
	test_high(&s, T0);
	t.goals[POLICY_FIRST_REPLY].at_risk_permille = 500; /* the event's terms are not the ticket's */
	clock_open(&s, &CFG, &ev, T0 + HOUR, &e);
	/* The ticket keeps tc_def: at risk 0.8 x 24h = 19h12m after the new start. */
	tc_fx(&e, CLOCK_KEEP, true, T0 - 2 * HOUR + 19 * HOUR + 12 * MIN, 0, 0, 0, 0);
	assert_int_equal(e.agent, A17);
	test_running(&s, RUN_OPEN, T0 - 2 * HOUR, T0, CLOCK_HIGH, false);
	assert_int_equal(clock_due(&s), T0 + 22 * HOUR);
	/* After the at-risk alert fired, an older event moves nothing. */
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	clock_open(&s, &CFG, &ev, RISK + 1, &e);
	tc_fx(&e, CLOCK_KEEP, false, DUE, 0, 0, 0, 0);
	test_running(&s, RUN_OPEN, T0, T0, CLOCK_HIGH, true);
	/* Nor after the breach (at_risk 0 here, so nothing else fired). */
	t.goals[POLICY_FIRST_REPLY].at_risk_permille = 0;
	memset(&s, 0, sizeof(s));
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	clock_open(&s, &CFG, &ev, DUE + 1, &e);
	tc_fx(&e, CLOCK_KEEP, false, CLOCK_NONE, 0, 0, 0, 0);
	assert_int_equal(s.reply.state, RUN_OVERDUE);
	assert_int_equal(s.reply.start, T0);
}

/* A reply by the deadline stops the clock: met and response time at the reply's ts, first-reply figures too. */
static void
test_reply_met(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	clock_reply(&s, &CFG, T0 + 3 * HOUR, T0 + 3 * HOUR + 5 * SEC, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 0);
	test_met(&e, A17, T0, T0 + 3 * HOUR);
	assert_true(tc_zeroed(&s));
	/* At the deadline exactly is in time; an at-risk alert that fired is resolved. */
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	clock_reply(&s, &CFG, DUE, DUE + 1, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	test_met(&e, A17, T0, DUE);
	test_lua_alert(&e.alerts[0], "reply_sla_at_risk", "resolved", RISK, DUE + 1, T0, DUE,
	    (struct lua_extra){ -1, -1, DAY, DUE, 0 });
}

/* A reply older than the clock's start answers something older: ignored. As old: not. */
static void
test_reply_before_start(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	clock_reply(&s, &CFG, T0 - 1, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, false, RISK, 0, 0, 0, 0);
	test_running(&s, RUN_OPEN, T0, T0, CLOCK_HIGH, false);
	assert_int_equal(tc_early(&s), 0);
	/* Stamped at the start exactly, it answers this clock: response time 0. */
	clock_reply(&s, &CFG, T0, T0 + HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 0);
	test_met(&e, A17, T0, T0);
}

/* A reply after the deadline before the breach fired: missed, and paged if known in time. */
static void
test_reply_late_unfired(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	clock_reply(&s, &CFG, DUE + 20 * MIN, DUE + 40 * MIN, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 2);
	test_missed(&e, A17, T0, DUE + 20 * MIN, DUE);
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "firing", DUE, DUE + 40 * MIN, T0, DUE + 20 * MIN,
	    (struct lua_extra){ 20 * MIN, -1, -1, -1, -1 });
	test_lua_alert(&e.alerts[1], "reply_sla_breach", "resolved", DUE, DUE + 40 * MIN, T0, DUE + 20 * MIN,
	    (struct lua_extra){ -1, -1, DAY + 20 * MIN, DUE + 20 * MIN, -1 });
	/* Created at the deadline exactly still counts as known in time. */
	test_high(&s, DUE);
	clock_reply(&s, &CFG, DUE + 1, DUE + 2, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 2);
	test_missed(&e, A17, T0, DUE + 1, DUE);
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "firing", DUE, DUE + 2, T0, DUE + 1,
	    (struct lua_extra){ 1, -1, -1, -1, -1 });
}

/* A backlog replay: created after its deadline, replied late before the timer: no page. */
static void
test_backlog_replay(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, DUE + 1);
	assert_int_equal(clock_next(&s), RISK); /* in the past: the timer runs at once */
	clock_reply(&s, &CFG, DUE + 5 * MIN, DUE + 2, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 0);
	test_missed(&e, A17, T0, DUE + 5 * MIN, DUE);
	/* If the timer runs first, the breach fires at once (only it: the at-risk point is past). */
	test_high(&s, DUE + HOUR);
	assert_true(clock_fire(&s, &CFG, DUE + HOUR + 1, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 1);
	TC_ADDS(&e, 0, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 });
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "firing", DUE, DUE + HOUR + 1, T0, DUE + HOUR + 1,
	    (struct lua_extra){ HOUR + 1, -1, -1, -1, -1 });
	clock_reply(&s, &CFG, DUE + 5 * MIN, DUE + HOUR + 2, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 6, 1);
	assert_int_equal(tc_settled(&e, 0, A17, true, DUE + 5 * MIN, DAY + 5 * MIN), 6);
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "resolved", DUE, DUE + HOUR + 2, T0, DUE + 5 * MIN,
	    (struct lua_extra){ -1, -1, DAY + 5 * MIN, DUE + 5 * MIN, -1 });
}

/* The at-risk point fires once, then the clock waits for its deadline. */
static void
test_fire_at_risk(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_false(clock_fire(&s, &CFG, RISK - 1, &TICKET, &e)); /* a stale timer */
	tc_fx(&e, CLOCK_KEEP, false, RISK, 0, 0, 0, 0);
	assert_true(clock_fire(&s, &CFG, RISK + 230, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, DUE, 0, 0, 0, 1);
	test_lua_alert(&e.alerts[0], "reply_sla_at_risk", "firing", RISK, RISK + 230, T0, RISK + 230,
	    (struct lua_extra){ -1, DUE - RISK - 230, -1, -1, -1 });
	test_running(&s, RUN_OPEN, T0, T0, CLOCK_HIGH, true);
	assert_false(clock_fire(&s, &CFG, DUE - 1, &TICKET, &e)); /* fired once */
	tc_fx(&e, CLOCK_KEEP, false, DUE, 0, 0, 0, 0);
}

/* The deadline: overdue, missed (and first-reply missed) at the deadline, the at-risk alert superseded. */
static void
test_fire_breach(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, DUE + 120, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 2);
	TC_ADDS(&e, 0, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 });
	test_lua_alert(&e.alerts[0], "reply_sla_at_risk", "resolved", RISK, DUE + 120, T0, DUE + 120,
	    (struct lua_extra){ -1, -1, -1, -1, 1 });
	test_lua_alert(&e.alerts[1], "reply_sla_breach", "firing", DUE, DUE + 120, T0, DUE + 120,
	    (struct lua_extra){ 120, -1, -1, -1, -1 });
	test_running(&s, RUN_OVERDUE, T0, T0, CLOCK_HIGH, true);
	assert_int_equal(clock_due(&s), DUE);
	/* Overdue with no promise has no timer: a stale one does nothing, however late. */
	assert_false(clock_fire(&s, &CFG, DUE + 30 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, CLOCK_NONE, 0, 0, 0, 0);
	/* Downtime over both points: only the breach fires. */
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, DUE + 2 * HOUR + 13 * MIN, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 1);
	TC_ADDS(&e, 0, A17, { C_SLA_MISSED, DUE, 1 }, { C_FIRST_MISSED, DUE, 1 });
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "firing", DUE, DUE + 2 * HOUR + 13 * MIN, T0,
	    DUE + 2 * HOUR + 13 * MIN, (struct lua_extra){ 2 * HOUR + 13 * MIN, -1, -1, -1, -1 });
}

/* at_risk = 0: no at-risk point; the timer is the deadline. */
static void
test_at_risk_disabled(void **state)
{
	struct terms t = tc_def;
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	t.goals[POLICY_FIRST_REPLY].at_risk_permille = 0;
	tc_open(&s, &CFG, &t, CLOCK_HIGH, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_KEEP, true, DUE, 1, 0, 0, 0);
	assert_false(clock_fire(&s, &CFG, DUE - 1, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, true, CLOCK_NONE, 0, 1, 2, 1);
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "firing", DUE, DUE, T0, DUE,
	    (struct lua_extra){ 0, -1, -1, -1, -1 });
}

/* A reply after the breach: response time only; open and overdue go down; resolved. */
static void
test_reply_after_breach(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e));
	/* Stamped before the deadline, applied after the breach: still only the time. */
	clock_reply(&s, &CFG, DUE - 30 * SEC, DUE + 2 * MIN, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 6, 1);
	assert_int_equal(tc_settled(&e, 0, A17, true, DUE - 30 * SEC, DAY - 30 * SEC), 6);
	test_lua_alert(&e.alerts[0], "reply_sla_breach", "resolved", DUE, DUE + 2 * MIN, T0, DUE - 30 * SEC,
	    (struct lua_extra){ -1, -1, DAY - 30 * SEC, DUE - 30 * SEC, -1 });
	assert_true(tc_zeroed(&s));
}

/* A reply with no clock waits as early: the earliest one, expiring pair_horizon after. */
static void
test_early_kept(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	clock_reply(&s, &CFG, T0 + HOUR, T0 + 2 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + 7 * DAY, 0, 0, 0, 0);
	assert_non_null(s.extra); /* the early reply is an extra */
	assert_int_equal(tc_early(&s), T0 + HOUR);
	assert_int_equal(tc_expires(&s), T0 + 2 * HOUR + 7 * DAY);
	assert_int_equal(s.when, 0);
	assert_false(clock_holds_names(&s));
	assert_false(clock_empty(&s));
	assert_int_equal(clock_due(&s), CLOCK_NONE);
	/* A later one is dropped, and the expiry stays. */
	clock_reply(&s, &CFG, T0 + 3 * HOUR, T0 + 4 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, false, T0 + 2 * HOUR + 7 * DAY, 0, 0, 0, 0);
	clock_reply(&s, &CFG, T0 + HOUR, T0 + 4 * HOUR, &TICKET, &e); /* as early: not earlier */
	tc_fx(&e, CLOCK_KEEP, false, T0 + 2 * HOUR + 7 * DAY, 0, 0, 0, 0);
	/* An earlier one replaces it, and the expiry restarts. */
	clock_reply(&s, &CFG, T0 + 30 * MIN, T0 + 5 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 5 * HOUR + 7 * DAY, 0, 0, 0, 0);
	assert_int_equal(tc_early(&s), T0 + 30 * MIN);
	assert_int_equal(tc_expires(&s), T0 + 5 * HOUR + 7 * DAY);
	/* The timer before the expiry is stale; at it, the record goes (forgetting is something done). */
	assert_false(clock_fire(&s, &CFG, T0 + 5 * HOUR + 7 * DAY - 1, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, T0 + 5 * HOUR + 7 * DAY, 0, 0, 0, 0);
	assert_true(clock_fire(&s, &CFG, T0 + 5 * HOUR + 7 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 0, 0);
	assert_true(tc_zeroed(&s));
	assert_true(clock_empty(&s));
	/* Nothing there: a timer does nothing. */
	assert_false(clock_fire(&s, &CFG, T0 + 9 * DAY, &TICKET, &e));
	tc_fx(&e, CLOCK_DELETE, false, CLOCK_NONE, 0, 0, 0, 0);
}

/* An opening event at or before the early reply, within the horizon, pairs: no clock, no alert. */
static void
test_pair(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	clock_reply(&s, &CFG, T0 + 3 * HOUR, T0 + 3 * HOUR, &TICKET, &e);
	test_open(&s, CLOCK_HIGH, A18, T0, T0 + 4 * HOUR, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_met(&e, A18, T0, T0 + 3 * HOUR);
	assert_true(tc_zeroed(&s));
	/* The same ts: response time 0. */
	clock_reply(&s, &CFG, T0, T0, &TICKET, &e);
	test_open(&s, CLOCK_HIGH, A17, T0, T0, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_met(&e, A17, T0, T0);
	/* The whole horizon apart: paired, missed against the opening kind's target (8h), no alert. */
	clock_reply(&s, &CFG, T0 + 7 * DAY, T0 + 7 * DAY, &TICKET, &e);
	test_open(&s, CLOCK_MESSAGE, A17, T0, T0 + 7 * DAY, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, 0, 0, 8, 0);
	test_missed(&e, A17, T0, T0 + 7 * DAY, T0 + 8 * HOUR);
	/* One ms more: no pair; a clock starts and the early reply is gone. */
	clock_reply(&s, &CFG, T0 + 7 * DAY + 1, T0 + 7 * DAY, &TICKET, &e);
	test_open(&s, CLOCK_HIGH, A17, T0, T0 + 7 * DAY, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0);
	test_running(&s, RUN_OPEN, T0, T0 + 7 * DAY, CLOCK_HIGH, false);
	assert_int_equal(tc_early(&s), 0);
	assert_int_equal(tc_expires(&s), 0);
	clock_clear(&s);
}

/* An opening event after the early reply discards it and starts a normal clock. */
static void
test_early_discarded(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;

	(void)state;
	clock_reply(&s, &CFG, T0 - 1, T0, &TICKET, &e);
	test_open(&s, CLOCK_HIGH, A17, T0, T0 + MIN, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0);
	test_running(&s, RUN_OPEN, T0, T0 + MIN, CLOCK_HIGH, false);
	assert_int_equal(tc_expires(&s), 0);
	/* Replies at 10:00 and 12:00, then a message at 11:00: a clock the 12:00 one never closes. */
	clock_clear(&s);
	clock_reply(&s, &CFG, T0 + HOUR, T0 + 3 * HOUR, &TICKET, &e);
	clock_reply(&s, &CFG, T0 + 3 * HOUR, T0 + 3 * HOUR, &TICKET, &e);
	test_open(&s, CLOCK_MESSAGE, A17, T0 + 2 * HOUR, T0 + 3 * HOUR, &e);
	tc_fx(&e, CLOCK_KEEP, true, T0 + 2 * HOUR + 6 * HOUR + 24 * MIN, 1, 0, 0, 0);
	assert_int_equal(s.reply.state, RUN_OPEN);
	assert_int_equal(s.reply.start, T0 + 2 * HOUR);
	assert_int_equal(tc_early(&s), 0);
	assert_null(s.extra);
	clock_clear(&s);
}

/* An early reply past its expiry is gone even before its timer ran. */
static void
test_early_expired(void **state)
{
	struct clock_state s = { 0 };
	struct clock_effects e;
	const int64_t gone = T0 + HOUR + 7 * DAY;

	(void)state;
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	test_open(&s, CLOCK_HIGH, A17, T0, gone, &e);
	tc_fx(&e, CLOCK_KEEP, true, RISK, 1, 0, 0, 0);
	test_running(&s, RUN_OPEN, T0, gone, CLOCK_HIGH, false);
	/* A later reply than the expired one waits in its place, with a new expiry. */
	clock_clear(&s);
	clock_reply(&s, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	clock_reply(&s, &CFG, T0 + 2 * HOUR, gone, &TICKET, &e);
	tc_fx(&e, CLOCK_KEEP, true, gone + 7 * DAY, 0, 0, 0, 0);
	assert_int_equal(tc_early(&s), T0 + 2 * HOUR);
	assert_int_equal(tc_expires(&s), gone + 7 * DAY);
	clock_clear(&s);
}

/* docs/alerts.md: at-risk firing, then a reply in time resolves it. */
static void
test_doc_reply_in_time(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK + 230, &TICKET, &e));
	test_render(&e.alerts[0], DOC_RISK_FIRING, true);
	clock_reply(&s, &CFG, T0 + 21 * HOUR + 30 * MIN, T0 + 21 * HOUR + 30 * MIN + 400, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 1);
	test_render(&e.alerts[0], DOC_RISK_RESOLVED, true);
}

/* docs/alerts.md: the breach supersedes the at-risk alert; a late reply resolves it. */
static void
test_doc_breach(void **state)
{
	struct clock_state s, copy;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK + 230, &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, DUE + 120, &TICKET, &e));
	test_render(&e.alerts[0], DOC_RISK_SUPERSEDED, true);
	/* The docs say "no reply 0s after the deadline", alert_text.c now "no reply by the deadline". */
	test_render(&e.alerts[1], DOC_BREACH_FIRING, false);
	copy = s;
	clock_reply(&s, &CFG, DUE + 90 * MIN, DUE + 90 * MIN + 500, &TICKET, &e);
	test_render(&e.alerts[0], DOC_BREACH_LATE_REPLY, true);
	clock_reply(&copy, &CFG, DUE - 30 * SEC, DUE + 2 * MIN, &TICKET, &e);
	test_render(&e.alerts[0], DOC_BREACH_DELAYED_REPLY, true);
}

/* docs/alerts.md: down 08:30-09:40, a reply stamped 09:20: firing, resolved, superseded. */
static void
test_doc_downtime(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, RISK + 230, &TICKET, &e));
	clock_reply(&s, &CFG, DUE + 20 * MIN, DUE + 40 * MIN + 300, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, 0, 8, 3);
	test_missed(&e, A17, T0, DUE + 20 * MIN, DUE);
	test_render(&e.alerts[0], DOC_DOWN_FIRING, true);
	test_render(&e.alerts[1], DOC_DOWN_RESOLVED, true);
	test_render(&e.alerts[2], DOC_DOWN_RISK, true);
	test_lua_alert(&e.alerts[2], "reply_sla_at_risk", "resolved", RISK, DUE + 40 * MIN + 300, T0,
	    DUE + 20 * MIN, (struct lua_extra){ -1, -1, DAY + 20 * MIN, DUE + 20 * MIN, 1 });
}

/* docs/alerts.md: a message clock (8h) without a category has no severity or category. */
static void
test_doc_message(void **state)
{
	static const struct clock_names t1002 = { "T-1002", NULL, NULL };
	struct clock_state s = { 0 };
	struct clock_effects e;
	struct clock_names names = t1002;
	const struct clock_opening ev = { CLOCK_MESSAGE, A17, CLOCK_NO_NAME, T0, false, &tc_def };

	(void)state;
	names.name = TICKET.name;
	clock_open(&s, &CFG, &ev, T0, &e);
	assert_true(clock_fire(&s, &CFG, T0 + 6 * HOUR + 24 * MIN + 230, &names, &e));
	test_render(&e.alerts[0], DOC_MESSAGE_RISK, true);
}

/* Each call's effects start empty: a stale timer after a busy call reports nothing of it. */
static void
test_effects_reset(void **state)
{
	struct clock_state s;
	struct clock_effects e;

	(void)state;
	test_high(&s, T0);
	assert_true(clock_fire(&s, &CFG, DUE, &TICKET, &e)); /* 2 adds, 1 alert, overdue +1 */
	assert_int_equal(e.n_alerts, 1);
	assert_false(clock_fire(&s, &CFG, DUE + 1, &TICKET, &e));
	tc_fx(&e, CLOCK_KEEP, false, CLOCK_NONE, 0, 0, 0, 0);
	assert_int_equal(e.agent, A17);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_start),
		cmocka_unit_test(test_late_open),
		cmocka_unit_test(test_open_while_running),
		cmocka_unit_test(test_move_back),
		cmocka_unit_test(test_reply_met),
		cmocka_unit_test(test_reply_before_start),
		cmocka_unit_test(test_reply_late_unfired),
		cmocka_unit_test(test_backlog_replay),
		cmocka_unit_test(test_fire_at_risk),
		cmocka_unit_test(test_fire_breach),
		cmocka_unit_test(test_at_risk_disabled),
		cmocka_unit_test(test_reply_after_breach),
		cmocka_unit_test(test_early_kept),
		cmocka_unit_test(test_pair),
		cmocka_unit_test(test_early_discarded),
		cmocka_unit_test(test_early_expired),
		cmocka_unit_test(test_doc_reply_in_time),
		cmocka_unit_test(test_doc_breach),
		cmocka_unit_test(test_doc_downtime),
		cmocka_unit_test(test_doc_message),
		cmocka_unit_test(test_effects_reset),
	};

	return cmocka_run_group_tests(tests, tc_setup, NULL);
}
