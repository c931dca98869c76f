/* test_alert_text.c: the sentences of clock alerts (alert_text.c), and the durations they say. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "alert_text.h"
#include "testutil_alert.h"

/* Durations for people. */
static void test_duration(void **state)
{
	static const struct {
		int64_t ms;
		const char *text;
	} cases[] = {
	    {-5, "0s"}, {0, "0s"}, {999, "0s"}, {45000, "45s"}, {60000, "1m00s"}, {192000, "3m12s"},
	    {3599000, "59m59s"}, {3600000, "1h00m"}, {3780000, "1h03m"}, {86399000, "23h59m"},
	    {86400000, "1d00h"}, {187200000, "2d04h"},
	};
	char buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		alert_duration(cases[i].ms, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].text);
	}
}

/* Resolved and at-risk texts name the agent, ticket, target and how late or close. */
static void test_render_messages(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	load_breach(&f);
	strcpy(f.state, "resolved");
	f.late_ms = -1;
	f.response_ms = 86400000 + 3780000;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"message\":\"Agent a17 replied to ticket T-9 after 1d01h, 1h03m past the 24h reply target\""));
	assert_non_null(strstr(json, "\"value\":90180.0"));
	assert_non_null(strstr(json, "\"response_s\":90180.0"));
	free(json);

	load_breach(&f);
	strcpy(f.rule, "reply_sla_at_risk");
	strcpy(f.severity, "message");
	f.category[0] = '\0';
	f.late_ms = -1;
	f.remaining_ms = 17280000;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"message\":\"Ticket T-9 (message) for agent a17 has 4h48m left of its 24h reply target\""));
	assert_null(strstr(json, "\"severity\""));
	free(json);

	/* The at-risk episode ended by a reply after the deadline says so, and is marked. */
	f.superseded = true;
	f.remaining_ms = -1;
	f.response_ms = 86400000 + 5000;
	strcpy(f.state, "resolved");
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"message\":\"Ticket T-9 for agent a17 passed its 24h reply target (see reply_sla_breach)\""));
	assert_non_null(strstr(json, "\"superseded\":true"));
	free(json);

	/* A breach resolved by a reply stamped in time but delivered after the breach. */
	load_breach(&f);
	strcpy(f.state, "resolved");
	f.late_ms = -1;
	f.response_ms = 86400000 - 60000;
	json = alert_render(&f);
	assert_non_null(strstr(json, "after 23h59m, within the 24h reply target, but the reply arrived after the breach was declared"));
	free(json);
}

/* The facts of a clock alert on T-1 for a17 (a high billing complaint), under the built-in calendar. */
static void clock_facts(struct alert_facts *f, const char *rule, const char *state, const char *goal,
    int64_t target, int64_t promise)
{
	memset(f, 0, sizeof(*f));
	strcpy(f->rule, rule);
	strcpy(f->state, state);
	strcpy(f->agent, "a17");
	strcpy(f->ticket, "T-1");
	strcpy(f->severity, "high");
	strcpy(f->category, "billing");
	strcpy(f->policy, "default");
	strcpy(f->calendar, "always");
	strcpy(f->goal, goal);
	f->since = f->at = f->start = 1795392000000;
	f->due = f->start + target;
	f->target = target;
	f->late_ms = f->remaining_ms = f->response_ms = f->samples = -1;
	f->promise_ms = promise;
	f->promised = promise >= 0 ? f->start + promise : -1;
}

/* Asserts f's sentence. */
static void assert_message(const struct alert_facts *f, const char *text)
{
	char buf[ALERT_TEXT_SIZE];

	alert_clock_message(f, buf, sizeof(buf));
	assert_string_equal(buf, text);
}

#define H (3600 * INT64_C(1000))
#define M (60 * INT64_C(1000))

/* The sentences of resolution clocks and broken promises, under the built-in calendar. */
static void test_messages_new_rules(void **state)
{
	struct alert_facts f;

	(void)state;
	clock_facts(&f, "resolution_sla_breach", "firing", "resolution", 72 * H, 96 * H);
	f.late_ms = 2 * H + 10 * M;
	f.business_ms = f.wall_ms = 74 * H + 10 * M;
	assert_message(&f, "Ticket T-1 (complaint, high, billing) for agent a17 was not solved within its 3d "
	    "resolution target: unsolved 2h10m after the deadline");
	f.late_ms = 999;
	f.business_ms = f.wall_ms = 72 * H + 999;
	assert_message(&f, "Ticket T-1 (complaint, high, billing) for agent a17 was not solved within its 3d "
	    "resolution target: still unsolved at the deadline");
	strcpy(f.state, "resolved");
	f.late_ms = -1;
	f.response_ms = f.business_ms = f.wall_ms = 76 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved after 3d04h, 4h00m past the 3d resolution target");
	/* Stamped in time, applied after the breach fired. */
	f.response_ms = f.business_ms = f.wall_ms = 71 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved after 2d23h, within the 3d resolution target, "
	    "but the solved status arrived after the breach was declared");

	clock_facts(&f, "resolution_sla_at_risk", "firing", "resolution", 72 * H, -1);
	f.remaining_ms = 5 * H;
	f.business_ms = f.wall_ms = 67 * H;
	assert_message(&f, "Ticket T-1 (complaint, high, billing) for agent a17 has 5h00m left of its 3d resolution target");
	strcpy(f.state, "resolved");
	f.remaining_ms = -1;
	f.response_ms = f.business_ms = f.wall_ms = 70 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved after 2d22h, within the 3d resolution target");
	f.superseded = true;
	f.response_ms = -1;
	assert_message(&f, "Ticket T-1 for agent a17 passed its 3d resolution target (see resolution_sla_breach)");
	/* A resolution target that is not whole days is said in its largest exact unit. */
	f.target = 36 * H;
	assert_message(&f, "Ticket T-1 for agent a17 passed its 36h resolution target (see resolution_sla_breach)");

	clock_facts(&f, "promise_broken", "firing", "first_reply", 8 * H, 24 * H);
	f.late_ms = 12 * M;
	f.business_ms = f.wall_ms = 24 * H + 12 * M;
	assert_message(&f, "Agent a17 broke the 24h promise to the customer on ticket T-1 (first reply): "
	    "no reply 12m00s after it");
	f.late_ms = 0;
	f.business_ms = f.wall_ms = 24 * H;
	assert_message(&f, "Agent a17 broke the 24h promise to the customer on ticket T-1 (first reply): "
	    "no reply by the promised time");
	strcpy(f.state, "resolved");
	f.late_ms = -1;
	f.response_ms = f.business_ms = f.wall_ms = 25 * H;
	assert_message(&f, "Agent a17 replied to ticket T-1 after 1d01h, 1h00m past the 24h promise");
	f.response_ms = f.business_ms = f.wall_ms = 24 * H - M;
	assert_message(&f, "Agent a17 replied to ticket T-1 after 23h59m, within the 24h promise, "
	    "but the reply arrived after the promise was declared broken");
	strcpy(f.goal, "next_reply");
	f.response_ms = -1;
	f.business_ms = f.wall_ms = 26 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved without a reply after 1d02h, 2h00m past the 24h promise");

	clock_facts(&f, "promise_broken", "firing", "resolution", 72 * H, 96 * H);
	f.late_ms = 3 * H;
	f.business_ms = f.wall_ms = 99 * H;
	assert_message(&f, "Agent a17 broke the 4d promise to the customer on ticket T-1 (resolution): "
	    "unsolved 3h00m after it");
	f.late_ms = 20;
	assert_message(&f, "Agent a17 broke the 4d promise to the customer on ticket T-1 (resolution): "
	    "still unsolved at the promised time");
	strcpy(f.state, "resolved");
	f.response_ms = f.business_ms = f.wall_ms = 100 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved after 4d04h, 4h00m past the 4d promise");
}

/* `solved` ends a reply clock without a reply (response_ms -1): its alerts say so. */
static void test_messages_solved_reply_clock(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	clock_facts(&f, "reply_sla_breach", "resolved", "first_reply", 24 * H, -1);
	f.business_ms = f.wall_ms = 26 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved without a reply after 1d02h, 2h00m past the 24h reply target");
	f.business_ms = f.wall_ms = 23 * H;
	assert_message(&f, "Ticket T-1 for agent a17 was solved without a reply after 23h00m, within the 24h reply target, "
	    "but the solved status arrived after the breach was declared");
	clock_facts(&f, "reply_sla_at_risk", "resolved", "next_reply", 24 * H, -1);
	f.business_ms = f.wall_ms = 20 * H;
	f.at = f.start + 20 * H + 300;
	assert_message(&f, "Ticket T-1 for agent a17 was solved without a reply after 20h00m, within the 24h reply target");
	/* No response_s; value is the wait up to the decision, as for any alert without a reply. */
	json = alert_render(&f);
	assert_null(strstr(json, "response_s"));
	assert_non_null(strstr(json, "\"value\":72000.3,"));
	free(json);
}

/* Clock time is said where it is not wall time; under `always` without pauses the old sentences stay. */
static void test_messages_business(void **state)
{
	struct alert_facts f;

	(void)state;
	/* The old sentence, byte for byte, when business and wall time agree. */
	clock_facts(&f, "reply_sla_breach", "firing", "first_reply", 24 * H, -1);
	f.late_ms = 2 * H + 10 * M;
	f.business_ms = f.wall_ms = 26 * H + 10 * M;
	assert_message(&f, "Agent a17 missed the 24h reply target on ticket T-1 (complaint, high, billing): "
	    "no reply 2h10m after the deadline");
	/* On a business calendar the breach came 2h10m of business time late, over a weekend. */
	strcpy(f.calendar, "support");
	f.late_ms = 2 * 86400000LL + 2 * H + 10 * M;
	f.wall_ms = 4 * 86400000LL + 2 * H + 10 * M;
	assert_message(&f, "Agent a17 missed the 24h reply target on ticket T-1 (complaint, high, billing): "
	    "no reply 2h10m after the deadline, in business hours on calendar support");
	/* Decided at the deadline: nothing to qualify. */
	f.business_ms = 24 * H + 300;
	assert_message(&f, "Agent a17 missed the 24h reply target on ticket T-1 (complaint, high, billing): "
	    "no reply by the deadline");
	strcpy(f.state, "resolved");
	f.late_ms = -1;
	f.business_ms = 25 * H;
	f.wall_ms = f.response_ms = 3 * 86400000LL + H;
	assert_message(&f, "Agent a17 replied to ticket T-1 after 1d01h, 1h00m past the 24h reply target, "
	    "in business hours on calendar support");
	f.business_ms = 23 * H;
	assert_message(&f, "Agent a17 replied to ticket T-1 after 23h00m, within the 24h reply target, "
	    "in business hours on calendar support, but the reply arrived after the breach was declared");
	strcpy(f.rule, "reply_sla_at_risk");
	strcpy(f.state, "firing");
	f.response_ms = -1;
	f.remaining_ms = 30 * H;
	f.business_ms = 19 * H;
	assert_message(&f, "Ticket T-1 (complaint, high, billing) for agent a17 has 5h00m left of its 24h reply target, "
	    "in business hours on calendar support");
	/* Under `always`, a pause is what made them differ. */
	strcpy(f.calendar, "always");
	assert_message(&f, "Ticket T-1 (complaint, high, billing) for agent a17 has 5h00m left of its 24h reply target, "
	    "not counting pauses");
	strcpy(f.state, "resolved");
	f.remaining_ms = -1;
	f.response_ms = f.wall_ms = 26 * H;
	f.business_ms = 22 * H;
	assert_message(&f, "Agent a17 replied to ticket T-1 after 22h00m, within the 24h reply target, not counting pauses");
	/* Resolution clocks and promises alike. */
	clock_facts(&f, "resolution_sla_breach", "resolved", "resolution", 72 * H, -1);
	strcpy(f.calendar, "support");
	f.business_ms = 76 * H;
	f.wall_ms = f.response_ms = 9 * 86400000LL;
	assert_message(&f, "Ticket T-1 for agent a17 was solved after 3d04h, 4h00m past the 3d resolution target, "
	    "in business hours on calendar support");
	clock_facts(&f, "promise_broken", "firing", "first_reply", 8 * H, 24 * H);
	strcpy(f.calendar, "support");
	f.business_ms = 24 * H + 12 * M;
	f.wall_ms = 3 * 86400000LL;
	f.late_ms = 14 * H;
	assert_message(&f, "Agent a17 broke the 24h promise to the customer on ticket T-1 (first reply): "
	    "no reply 12m00s after it, in business hours on calendar support");
}

/* The operator's report: a breach decided at its deadline said "no reply 0s after the deadline". */
static void test_message_breach_at_deadline(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	load_breach(&f);
	f.late_ms = 120;
	f.at = f.due + 120;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"message\":\"Agent a17 missed the 24h reply target on ticket T-9 "
	    "(complaint, high, billing): no reply by the deadline\""));
	assert_non_null(strstr(json, "\"late_s\":0.12,"));
	free(json);
	f.late_ms = 999;
	assert_message(&f, "Agent a17 missed the 24h reply target on ticket T-9 (complaint, high, billing): no reply by the deadline");
	f.late_ms = 1000;
	assert_message(&f, "Agent a17 missed the 24h reply target on ticket T-9 (complaint, high, billing): no reply 1s after the deadline");
}

/* Runs the alert text tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_render_messages),
	    cmocka_unit_test(test_messages_new_rules),
	    cmocka_unit_test(test_messages_solved_reply_clock),
	    cmocka_unit_test(test_messages_business),
	    cmocka_unit_test(test_message_breach_at_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
