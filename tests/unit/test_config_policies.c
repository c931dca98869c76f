/* test_config_policies.c: [calendar.NAME] and [policy.NAME]: what they load into, and every error. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "config.h"
#include "config_policies.h"
#include "testutil.h"
#include "testutil_config.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define SEV(s) (1u << (s))
#define PAUSE_DEFAULT ((1u << STATUS_PENDING) | (1u << STATUS_ON_HOLD))

/* Asserts one goal of p: its target, promise and at-risk point. */
static void
test_goal(const struct policy *p, enum policy_target t, int64_t target_ms, int64_t promise_ms,
    int at_risk_permille)
{
	assert_int_equal(p->goals[t].target_ms, target_ms);
	assert_int_equal(p->goals[t].promise_ms, promise_ms);
	assert_int_equal(p->goals[t].at_risk_permille, at_risk_permille);
}

/* Asserts p is the policy of the defaults, named name, with [sla] at_risk as permille. */
static void
test_default_policy(const struct policy *p, const char *name, int permille)
{
	assert_string_equal(p->name, name);
	assert_string_equal(p->calendar_name, "always");
	assert_ptr_equal(p->calendar, calendar_always());
	assert_int_equal(p->match.severities, 0);
	assert_int_equal(p->match.n_categories, 0);
	assert_int_equal(p->match.n_queues, 0);
	test_goal(p, POLICY_FIRST_REPLY, POLICY_INHERIT, 0, permille);
	test_goal(p, POLICY_NEXT_REPLY, POLICY_INHERIT, 0, permille);
	test_goal(p, POLICY_RESOLUTION, 0, 0, permille);
	assert_int_equal(p->pause_mask, PAUSE_DEFAULT);
}

/* Without [policy.*] there is a default policy of the defaults: the reply clocks as [sla] has them. */
static void
test_no_policies(void **state)
{
	struct fixture		*f = *state;
	struct config		*c = &f->cfg;
	struct event		 e = test_opening(EVENT_COMPLAINT, SEVERITY_HIGH, "billing", "vip");

	config_defaults(c);
	test_default_policy(&c->policy_default, "default", 800);
	assert_int_equal(c->policy_count, 0);
	assert_int_equal(c->calendar_count, 0);
	test_loads(f, "[sla]\nreply_target = 4h\n");
	test_default_policy(&c->policy_default, "default", 800);
	assert_int_equal(c->policy_count, 0);
	assert_null(c->policies);
	assert_int_equal(c->calendar_count, 0);
	assert_null(c->calendars);
	assert_ptr_equal(policy_select(c->policies, c->policy_count, &c->policy_default, &e), &c->policy_default);
	/* [sla] at_risk is read once the whole file is: a policy above it follows it too. */
	test_loads(f, "[policy.fast]\nfirst_reply = 1h\n[sla]\nat_risk = 0.5\n");
	test_default_policy(&c->policy_default, "default", 500);
	assert_int_equal(c->policy_count, 1);
	test_goal(&c->policies[0], POLICY_FIRST_REPLY, HOUR_MS, 0, 500);
	test_loads(f, "[sla]\nat_risk = 0\n");
	test_default_policy(&c->policy_default, "default", 0);
}

/* Two calendars, three policies and the default, each value read back; then which one a ticket gets. */
static void
test_full_file(void **state)
{
	struct fixture		*f = *state;
	struct config		*c = &f->cfg;
	const struct policy	*p;
	struct event		 e;

	test_loads(f,
	    "[sla]\n"
	    "reply_target.critical = 1h\n"
	    "[calendar.support]\n"
	    "timezone = Europe/Berlin\n"
	    "monday = 09:00-12:30, 13:30-18:00\n"
	    "tuesday = 09:00-18:00\n"
	    "friday = 09:00-16:00\n"
	    "holidays = 2026-12-24..2026-12-26, 2026-12-31 13:00-24:00\n"
	    "[calendar.follow-the-sun]\n"
	    "timezone = America/New_York\n"
	    "monday = 24h\n"
	    "saturday = closed\n"
	    "[policy.vip]\n"
	    "match.queue = vip, enterprise\n"
	    "calendar = follow-the-sun\n"
	    "first_reply = 1h\n"
	    "first_reply.at_risk = 0.5\n"
	    "first_reply.promise = 2h\n"
	    "next_reply = 2h\n"
	    "resolution = 1d\n"
	    "resolution.promise = 2d\n"
	    "pause = none\n"
	    "[policy.billing_urgent]\n"
	    "match.severity = high,critical\n"
	    "match.category = billing , refunds\n"
	    "calendar = support\n"
	    "first_reply = 4h\n"
	    "resolution = 3d\n"
	    "resolution.at_risk = 0.9\n"
	    "pause = on_hold\n"
	    "[policy.default]\n"
	    "calendar = support\n"
	    "resolution = 5d\n"
	    "[policy.chat]\n"
	    "match.category = chat\n"
	    "next_reply = off\n"
	    "pause = on_hold, pending\n"
	    "[sla]\n"
	    "at_risk = 0.75\n");

	assert_int_equal(c->calendar_count, 2);
	assert_string_equal(c->calendars[0].name, "support");
	assert_string_equal(calendar_timezone(c->calendars[0].calendar), "Europe/Berlin");
	assert_string_equal(c->calendars[1].name, "follow-the-sun");
	assert_string_equal(calendar_timezone(c->calendars[1].calendar), "America/New_York");

	/* File order, the default kept apart. */
	assert_int_equal(c->policy_count, 3);
	p = &c->policies[0];
	assert_string_equal(p->name, "vip");
	assert_int_equal(p->match.severities, 0);
	assert_int_equal(p->match.n_categories, 0);
	assert_int_equal(p->match.n_queues, 2);
	assert_string_equal(p->match.queues[0], "vip");
	assert_string_equal(p->match.queues[1], "enterprise");
	assert_string_equal(p->calendar_name, "follow-the-sun");
	assert_ptr_equal(p->calendar, c->calendars[1].calendar);
	test_goal(p, POLICY_FIRST_REPLY, HOUR_MS, 2 * HOUR_MS, 500);
	test_goal(p, POLICY_NEXT_REPLY, 2 * HOUR_MS, 0, 750);
	test_goal(p, POLICY_RESOLUTION, DAY_MS, 2 * DAY_MS, 750);
	assert_int_equal(p->pause_mask, 0);

	p = &c->policies[1];
	assert_string_equal(p->name, "billing_urgent");
	assert_int_equal(p->match.severities, SEV(SEVERITY_HIGH) | SEV(SEVERITY_CRITICAL));
	assert_int_equal(p->match.n_categories, 2);
	assert_string_equal(p->match.categories[0], "billing");
	assert_string_equal(p->match.categories[1], "refunds");
	assert_int_equal(p->match.n_queues, 0);
	assert_string_equal(p->calendar_name, "support");
	assert_ptr_equal(p->calendar, c->calendars[0].calendar);
	test_goal(p, POLICY_FIRST_REPLY, 4 * HOUR_MS, 0, 750);
	test_goal(p, POLICY_NEXT_REPLY, POLICY_INHERIT, 0, 750);
	test_goal(p, POLICY_RESOLUTION, 3 * DAY_MS, 0, 900);
	assert_int_equal(p->pause_mask, 1u << STATUS_ON_HOLD);

	p = &c->policies[2];
	assert_string_equal(p->name, "chat");
	assert_int_equal(p->match.n_categories, 1);
	assert_string_equal(p->match.categories[0], "chat");
	assert_ptr_equal(p->calendar, calendar_always());
	test_goal(p, POLICY_FIRST_REPLY, POLICY_INHERIT, 0, 750);
	test_goal(p, POLICY_NEXT_REPLY, 0, 0, 750);
	test_goal(p, POLICY_RESOLUTION, 0, 0, 750);
	assert_int_equal(p->pause_mask, PAUSE_DEFAULT);

	p = &c->policy_default;
	assert_string_equal(p->name, "default");
	assert_int_equal(p->match.severities, 0);
	assert_int_equal(p->match.n_categories + p->match.n_queues, 0);
	assert_ptr_equal(p->calendar, c->calendars[0].calendar);
	test_goal(p, POLICY_FIRST_REPLY, POLICY_INHERIT, 0, 750);
	test_goal(p, POLICY_NEXT_REPLY, POLICY_INHERIT, 0, 750);
	test_goal(p, POLICY_RESOLUTION, 5 * DAY_MS, 0, 750);
	assert_int_equal(p->pause_mask, PAUSE_DEFAULT);

	e = test_opening(EVENT_COMPLAINT, SEVERITY_CRITICAL, "billing", "vip");
	assert_ptr_equal(policy_select(c->policies, c->policy_count, &c->policy_default, &e), &c->policies[0]);
	e = test_opening(EVENT_COMPLAINT, SEVERITY_HIGH, "billing", "");
	assert_ptr_equal(policy_select(c->policies, c->policy_count, &c->policy_default, &e), &c->policies[1]);
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "billing", "");
	assert_ptr_equal(policy_select(c->policies, c->policy_count, &c->policy_default, &e), &c->policy_default);
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "chat", "eu");
	assert_ptr_equal(policy_select(c->policies, c->policy_count, &c->policy_default, &e), &c->policies[2]);

	/* Loading again frees them all (ASan checks), and a plain file has none. */
	test_loads(f, "[redis]\nport = 1\n");
	assert_int_equal(c->calendar_count, 0);
	assert_int_equal(c->policy_count, 0);
	test_default_policy(&c->policy_default, "default", 800);
}

/*
 * Sections may come in any order (a policy may name a calendar further down), a second
 * header goes on with its section in its first place, and a name of 63 characters is kept
 * whole although inih cuts section names short.
 */
static void
test_section_order(void **state)
{
	static const char long_name[] =
	    "a23456789-123456789-123456789-123456789-123456789-123456789-123";
	struct fixture	*f = *state;
	struct config	*c = &f->cfg;
	char		 text[512];

	test_loads(f,
	    "[policy.a]\n"
	    "calendar = late\n"
	    "[policy.b]\n"
	    "first_reply = 2h\n"
	    "[policy.a]\n"
	    "first_reply = 1h\n"
	    "[calendar.late]\n"
	    "timezone = UTC\n"
	    "[calendar.late]\n"
	    "sunday = 10:00-11:00\n");
	assert_int_equal(c->calendar_count, 1);
	assert_int_equal(c->policy_count, 2);
	assert_string_equal(c->policies[0].name, "a");
	assert_ptr_equal(c->policies[0].calendar, c->calendars[0].calendar);
	test_goal(&c->policies[0], POLICY_FIRST_REPLY, HOUR_MS, 0, 800);
	assert_string_equal(c->policies[1].name, "b");

	assert_int_equal(strlen(long_name), POLICY_NAME_MAX - 1);
	snprintf(text, sizeof text, "[calendar.%s]\ntimezone = UTC\nmonday = 24h\n[policy.%s]\n"
	    "calendar = %s\nfirst_reply = 1h\n", long_name, long_name, long_name);
	test_loads(f, text);
	assert_string_equal(c->calendars[0].name, long_name);
	assert_string_equal(c->policies[0].name, long_name);
	assert_ptr_equal(c->policies[0].calendar, c->calendars[0].calendar);
	test_goal(&c->policies[0], POLICY_FIRST_REPLY, HOUR_MS, 0, 800);
}

/* Every error of [calendar.NAME], with its line. */
static void
test_calendar_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*suffix;
	} bad[] = {
		{ "[calendar.always]\ntimezone = UTC\n",
		  ":1: [calendar.always] is built in (every instant is business time) and cannot be "
		  "defined" },
		{ "[calendar.support]\nmonday = 09:00-17:00\ntimezone = Europe/Berln\n",
		  ":3: [calendar.support] timezone: unknown time zone 'Europe/Berln'" },
		/* No hours is the section's fault: its header. */
		{ "[calendar.support]\ntimezone = UTC\nmonday = closed\n",
		  ":1: [calendar.support] no opening hours in the week" },
		{ "# hours\n[calendar.support]\nmonday = 24h\n",
		  ":2: [calendar.support] timezone is required (an IANA name such as Europe/Berlin)" },
		/* calendar_parse_day's and calendar_parse_holidays' reasons, on the key's line. */
		{ "[calendar.support]\ntimezone = UTC\nmonday = 9-18\n",
		  ":3: [calendar.support] monday: '9-18': expected HH:MM-HH:MM" },
		{ "[calendar.support]\ntimezone = UTC\n\nsunday = 10:00-12:00, 11:00-13:00\n",
		  ":4: [calendar.support] sunday: overlapping intervals 10:00-12:00 and 11:00-13:00" },
		{ "[calendar.support]\nholidays = 2026-12-26..2026-12-24\n",
		  ":2: [calendar.support] holidays: '2026-12-26..2026-12-24': range ends before it "
		  "starts" },
		{ "[calendar.support]\ntimezone = UTC\nmonday = 24h\ntuesdya = 24h\n",
		  ":4: unknown key 'tuesdya' in [calendar.support]" },
		{ "[calendar.support]\ntimezone = UTC\nmonday = 24h\n[calendar.support]\nmonday = closed\n",
		  ":5: duplicate key 'monday' in [calendar.support] (first set on line 3)" },
		{ "[calendar.support]\ntimezone = "
		  "Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
		  ":2: [calendar.support] timezone: "
		  "'Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is longer than "
		  "any time zone name" },
		{ "[calendar.9 to 5]\n",
		  ":1: [calendar.9 to 5]: the name after 'calendar.' must be 1 to 63 characters of "
		  "A-Z a-z 0-9 _ -" },
		{ "[calendar.]\n",
		  ":1: [calendar.]: the name after 'calendar.' must be 1 to 63 characters of "
		  "A-Z a-z 0-9 _ -" },
		{ "[calendar]\ntimezone = UTC\n", ":1: unknown section [calendar]" },
		{ "[calendars.x]\n", ":1: unknown section [calendars.x]" },
	};
	struct fixture	*f = *state;
	char		 text[4096], suffix[64];
	size_t		 off = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		test_fails(f, bad[i].text, bad[i].suffix);
	for (int i = 0; i <= 64; i++)
		off += (size_t)snprintf(text + off, sizeof text - off, "[calendar.c%d]\n", i);
	snprintf(suffix, sizeof suffix, ":65: more than 64 [calendar.*] sections");
	test_fails(f, text, suffix);
}

/* Every error of [policy.NAME], with its line. */
static void
test_policy_errors(void **state)
{
	static const struct {
		const char	*text;
		const char	*suffix;
	} bad[] = {
		{ "[policy.fast]\nfirst_reply = 1h\nfirst_replies = 2h\n",
		  ":3: unknown key 'first_replies' in [policy.fast]" },
		{ "[policy.fast]\nfirst_reply = 1h\n\nfirst_reply = 2h\n",
		  ":4: duplicate key 'first_reply' in [policy.fast] (first set on line 2)" },
		{ "[policy.a]\npause = none\n[policy.b]\n[policy.a]\npause = pending\n",
		  ":5: duplicate key 'pause' in [policy.a] (first set on line 2)" },
		{ "[policy.vip]\ncalendar = nine_to_five\n",
		  ":2: [policy.vip] calendar: no [calendar.nine_to_five] is defined" },
		{ "[policy.vip]\ncalendar = nine to five\n",
		  ":2: [policy.vip] calendar: 'nine to five' is not a calendar name (1 to 63 "
		  "characters of A-Z a-z 0-9 _ -)" },
		{ "[policy.default]\nresolution = 1d\nmatch.queue = vip\n",
		  ":3: [policy.default] match.queue: the default policy matches every ticket; "
		  "remove match.*" },
		{ "[policy.default]\nmatch.severity = low\n",
		  ":2: [policy.default] match.severity: the default policy matches every ticket; "
		  "remove match.*" },
		{ "[policy.p]\nmatch.severity = high, urgent\n",
		  ":2: [policy.p] match.severity: 'urgent' is not low, normal, high or critical" },
		{ "[policy.p]\nmatch.severity = high,high\n",
		  ":2: [policy.p] match.severity: 'high' is listed twice" },
		{ "[policy.p]\nmatch.severity =\n",
		  ":2: [policy.p] match.severity: '' is not low, normal, high or critical" },
		{ "[policy.p]\nmatch.category = a,,b\n",
		  ":2: [policy.p] match.category: '' is not 1 to 128 bytes long" },
		{ "[policy.p]\nmatch.queue = eu, us, eu\n",
		  ":2: [policy.p] match.queue: 'eu' is listed twice" },
		{ "[policy.p]\nmatch.queue = q1,q2,q3,q4,q5,q6,q7,q8,q9,q10,q11,q12,q13,q14,q15,q16,q17\n",
		  ":2: [policy.p] match.queue: more than 16 values" },
		{ "[policy.p]\nmatch.category = x123456789x123456789x123456789x123456789x123456789"
		  "x123456789x123456789x123456789x123456789x123456789x123456789x123456789x12345678\n",
		  ":2: [policy.p] match.category: "
		  "'x123456789x123456789x123456789x123456789x123456789x123456789x123' is not 1 to 128 "
		  "bytes long" },
		{ "[policy.p]\nfirst_reply = soon\n",
		  ":2: [policy.p] first_reply: 'soon' is not a duration (like 500ms, 90s, 15m, 24h, 7d) "
		  "or off" },
		{ "[policy.p]\nresolution = 0\n",
		  ":2: [policy.p] resolution: '0' is not a duration (like 500ms, 90s, 15m, 24h, 7d) "
		  "or off" },
		{ "[policy.p]\nnext_reply.at_risk = 1\n",
		  ":2: [policy.p] next_reply.at_risk: '1' is not a number from 0 up to (not including) "
		  "1" },
		{ "[policy.p]\nfirst_reply.promise = off\n",
		  ":2: [policy.p] first_reply.promise: 'off' is not a duration (like 500ms, 90s, 15m, "
		  "24h, 7d)" },
		/* A promise shorter than its target, on the later of the two lines. */
		{ "[policy.p]\nfirst_reply = 4h\nfirst_reply.promise = 2h\n",
		  ":3: [policy.p] first_reply.promise: 2h is shorter than first_reply (4h)" },
		{ "[policy.p]\nresolution.promise = 90m\n\nresolution = 2h\n",
		  ":4: [policy.p] resolution.promise: 90m is shorter than resolution (2h)" },
		/* Or than the [sla] target it inherits: the longest the policy's tickets may get. */
		{ "[sla]\nreply_target = 2h\nreply_target.high = 8h\n[policy.p]\n"
		  "match.severity = low, high\nfirst_reply.promise = 4h\n",
		  ":6: [policy.p] first_reply.promise: 4h is shorter than first_reply (8h, from [sla] "
		  "reply_target.high)" },
		{ "[policy.p]\nnext_reply.promise = 12h\n",
		  ":2: [policy.p] next_reply.promise: 12h is shorter than next_reply (1d, from [sla] "
		  "reply_target)" },
		/* An at-risk point or a promise with no clock to go with. */
		{ "[policy.p]\nresolution.promise = 8h\n",
		  ":2: [policy.p] resolution.promise: resolution is off" },
		{ "[policy.p]\nfirst_reply.at_risk = 0.5\nfirst_reply = off\n",
		  ":3: [policy.p] first_reply.at_risk: first_reply is off" },
		{ "[policy.p]\npause = solved\n",
		  ":2: [policy.p] pause: 'solved' cannot pause a clock: only pending and on_hold can" },
		{ "[policy.p]\npause = pending, open\n",
		  ":2: [policy.p] pause: 'open' cannot pause a clock: only pending and on_hold can" },
		{ "[policy.p]\npause = reopened\n",
		  ":2: [policy.p] pause: 'reopened' cannot pause a clock: only pending and on_hold can" },
		{ "[policy.p]\npause = waiting\n",
		  ":2: [policy.p] pause: 'waiting' is not pending or on_hold" },
		{ "[policy.p]\npause = none, pending\n",
		  ":2: [policy.p] pause: 'none' is not pending or on_hold" },
		{ "[policy.p]\npause = on_hold,on_hold\n",
		  ":2: [policy.p] pause: 'on_hold' is listed twice" },
		{ "[policy.a.b]\n",
		  ":1: [policy.a.b]: the name after 'policy.' must be 1 to 63 characters of "
		  "A-Z a-z 0-9 _ -" },
		{ "[policy.a123456789a123456789a123456789a123456789a123456789a123456789a123]\n",
		  ":1: [policy.a123456789a123456789a123456789a123456789a123456789a123456789a123]: the name after "
		  "'policy.' must be 1 to 63 characters of A-Z a-z 0-9 _ -" },
		{ "[policy]\n", ":1: unknown section [policy]" },
	};
	struct fixture	*f = *state;
	char		 text[4096], suffix[64];
	size_t		 off = 0;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		test_fails(f, bad[i].text, bad[i].suffix);
	/* 64 sections, the default among them, are fine; one more is not. */
	for (int i = 0; i < 63; i++)
		off += (size_t)snprintf(text + off, sizeof text - off, "[policy.p%d]\n", i);
	off += (size_t)snprintf(text + off, sizeof text - off, "[policy.default]\n");
	test_loads(f, text);
	assert_int_equal(f->cfg.policy_count, 63);
	snprintf(text + off, sizeof text - off, "[policy.p63]\n");
	snprintf(suffix, sizeof suffix, ":65: more than 64 [policy.*] sections");
	test_fails(f, text, suffix);
}

/* Values at their edges: accepted as written. */
static void
test_policy_edges(void **state)
{
	struct fixture		*f = *state;
	const struct policy	*p;

	test_loads(f,
	    "[policy.p]\n"
	    "match.severity = low,normal,high,critical\n"
	    "match.queue = q1,q2,q3,q4,q5,q6,q7,q8,q9,q10,q11,q12,q13,q14,q15,q16\n"
	    "match.category = x123456789x123456789x123456789x123456789x123456789x123456789"
	    "x123456789x123456789x123456789x123456789x123456789x123456789x1234567\n"
	    "calendar = always\n"
	    "first_reply = 1ms\n"
	    "first_reply.promise = 1ms\n"
	    "first_reply.at_risk = 0\n"
	    "next_reply.promise = 1d\n"
	    "resolution = off\n"
	    "pause = pending\n");
	p = &f->cfg.policies[0];
	assert_int_equal(p->match.severities, 0xf);
	assert_int_equal(p->match.n_queues, POLICY_MATCH_MAX);
	assert_string_equal(p->match.queues[15], "q16");
	assert_int_equal(strlen(p->match.categories[0]), EVENT_ID_MAX);
	assert_ptr_equal(p->calendar, calendar_always());
	test_goal(p, POLICY_FIRST_REPLY, 1, 1, 0);
	/* A promise equal to the inherited target is enough. */
	test_goal(p, POLICY_NEXT_REPLY, POLICY_INHERIT, DAY_MS, 800);
	test_goal(p, POLICY_RESOLUTION, 0, 0, 800);
	assert_int_equal(p->pause_mask, 1u << STATUS_PENDING);
}

/* [appraisal] calendar names a [calendar.NAME] (declared before or after) or always; unset is UTC's always. */
static void
test_appraisal_calendar(void **state)
{
	struct fixture	*f = *state;

	test_loads(f, "[appraisal]\n");
	assert_ptr_equal(f->cfg.appraisal, calendar_always());
	test_loads(f,
	    "[appraisal]\ncalendar = berlin\n"
	    "[calendar.berlin]\ntimezone = Europe/Berlin\nmonday = 09:00-17:00\n");
	assert_non_null(f->cfg.appraisal);
	assert_string_equal(calendar_timezone(f->cfg.appraisal), "Europe/Berlin");
	test_loads(f, "[appraisal]\ncalendar = always\n");
	assert_ptr_equal(f->cfg.appraisal, calendar_always());
	test_fails(f, "[appraisal]\ncalendar = nine_to_five\n",
	    ":2: [appraisal] calendar: no [calendar.nine_to_five] is defined");
}

/* The commented example in conf/feedbackd.conf loads as it is once its "# " are removed. */
static void
test_shipped_example(void **state)
{
	struct fixture	*f = *state;
	const char	*srcdir = getenv("srcdir");
	char		 path[4096], *text, *out, *o, *line, *save = NULL;
	bool		 in = false;

	snprintf(path, sizeof path, "%s/conf/feedbackd.conf", srcdir != NULL ? srcdir : ".");
	text = test_slurp(path);
	out = calloc(1, strlen(text) + 1);
	assert_non_null(out);
	o = out;
	/* From the first commented [calendar.*] header to the next line that is no comment. */
	for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (!in && strncmp(line, "# [calendar.", 12) != 0)
			continue;
		if (line[0] != '#')
			break;
		in = true;
		o += sprintf(o, "%s\n", line[1] == ' ' ? line + 2 : line + 1);
	}
	assert_true(in);
	test_loads(f, out);
	assert_int_equal(f->cfg.calendar_count, 1);
	assert_int_equal(f->cfg.policy_count, 1);
	assert_ptr_equal(f->cfg.policies[0].calendar, f->cfg.calendars[0].calendar);
	free(text);
	free(out);
}

/* Runs every test; srcdir (set by automake) locates conf/feedbackd.conf. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_no_policies),
		T(test_full_file),
		T(test_section_order),
		T(test_calendar_errors),
		T(test_policy_errors),
		T(test_policy_edges),
		T(test_shipped_example),
		T(test_appraisal_calendar),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
