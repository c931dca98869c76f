/* test_alert.c: alert facts, ids, field names, durations and the contract JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>

#include "alert.h"
#include "alert_text.h"

/* A reply-clock breach as claim.lua records it (cjson writes numbers as integers here). */
static const char breach_facts[] =
    "{\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-9\","
    "\"since\":1795392000000,\"at\":1795392003250,\"start\":1795305600000,\"due\":1795392000000,"
    "\"target\":86400000,\"severity\":\"high\",\"category\":\"billing\",\"late_ms\":3250}";

/* Parses the breach facts. */
static void load_breach(struct alert_facts *f)
{
	assert_true(alert_facts_parse(breach_facts, strlen(breach_facts), f));
}

/* Every field of the facts is read. */
static void test_parse_clock_facts(void **state)
{
	struct alert_facts f;

	(void)state;
	load_breach(&f);
	assert_string_equal(f.rule, "reply_sla_breach");
	assert_string_equal(f.state, "firing");
	assert_string_equal(f.agent, "a17");
	assert_string_equal(f.ticket, "T-9");
	assert_string_equal(f.severity, "high");
	assert_string_equal(f.category, "billing");
	assert_int_equal(f.since, 1795392000000);
	assert_int_equal(f.at, 1795392003250);
	assert_int_equal(f.start, 1795305600000);
	assert_int_equal(f.target, 86400000);
	assert_int_equal(f.late_ms, 3250);
	assert_int_equal(f.response_ms, -1);
	assert_int_equal(f.samples, -1);
	assert_false(f.has_value);
	/* An entry queued before policies: none of their members, and nothing made up. */
	assert_string_equal(f.policy, "");
	assert_string_equal(f.calendar, "");
	assert_string_equal(f.goal, "");
	assert_int_equal(f.business_ms, -1);
	assert_int_equal(f.wall_ms, -1);
	assert_int_equal(f.promise_ms, -1);
	assert_int_equal(f.promised, -1);
}

/* Junk, arrays, missing keys and unknown states are refused. */
static void test_parse_rejects(void **state)
{
	static const char *const bad[] = {
	    "", "not json", "[1]", "{}",
	    "{\"rule\":\"csat_below\",\"state\":\"firing\",\"agent\":\"a\",\"at\":1}",            /* no since */
	    "{\"rule\":\"csat_below\",\"state\":\"open\",\"agent\":\"a\",\"since\":1,\"at\":1}",   /* bad state */
	    "{\"rule\":\"csat_below\",\"state\":\"firing\",\"since\":1,\"at\":1}",                 /* no agent */
	};
	struct alert_facts f;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(alert_facts_parse(bad[i], strlen(bad[i]), &f));
}

/* Facts survive a JSON round trip, quality fields included. */
static void test_facts_round_trip(void **state)
{
	struct alert_facts f, g;
	char *json;

	(void)state;
	memset(&f, 0, sizeof(f));
	strcpy(f.rule, "csat_below");
	strcpy(f.state, "firing");
	strcpy(f.agent, "agënt-ø");
	strcpy(f.window, "24h");
	strcpy(f.message, "CSAT 72.0% over 24h (25 ratings) is below 80.0%");
	f.since = 1795392000000;
	f.at = 1795392000123;
	f.start = f.due = f.target = f.late_ms = f.remaining_ms = f.response_ms = -1;
	f.samples = 25;
	f.has_value = f.has_threshold = f.has_interval = true;
	f.value = 72.0;
	f.threshold = 80.0;
	f.lower = 52.4;
	f.upper = 85.7;
	json = alert_facts_json(&f);
	assert_non_null(json);
	assert_true(alert_facts_parse(json, strlen(json), &g));
	free(json);
	assert_string_equal(g.agent, "agënt-ø");
	assert_string_equal(g.window, "24h");
	assert_string_equal(g.message, f.message);
	assert_int_equal(g.samples, 25);
	assert_true(g.has_interval);
	assert_true(g.value == 72.0 && g.threshold == 80.0 && g.lower == 52.4 && g.upper == 85.7);
	assert_int_equal(g.start, -1);
}

/* The id depends on rule, agent, ticket and episode start, and on nothing else. */
static void test_id_deterministic(void **state)
{
	struct alert_facts f, g;
	char a[ALERT_ID_SIZE], b[ALERT_ID_SIZE];

	(void)state;
	load_breach(&f);
	alert_id(&f, a);
	assert_int_equal(strlen(a), 16);
	g = f;
	strcpy(g.state, "resolved");
	g.at += 99999;
	g.response_ms = 5;
	alert_id(&g, b);
	assert_string_equal(a, b);
	g = f;
	g.since += 1;
	alert_id(&g, b);
	assert_string_not_equal(a, b);
	g = f;
	strcpy(g.ticket, "T-90");
	alert_id(&g, b);
	assert_string_not_equal(a, b);
	/* Separators: ("a1","7") differs from ("a","17"). */
	g = f;
	strcpy(g.agent, "a1");
	strcpy(g.ticket, "7T-9");
	alert_id(&g, b);
	assert_string_not_equal(a, b);
}

/* The id is pinned, so a future change to it is a deliberate, visible one. */
static void test_id_pinned(void **state)
{
	struct alert_facts f;
	char id[ALERT_ID_SIZE];

	(void)state;
	memset(&f, 0, sizeof(f));
	strcpy(f.rule, "csat_below");
	strcpy(f.agent, "a1");
	f.since = 0;
	alert_id(&f, id);
	/* FNV-1a 64 of "csat_below\0a1\0\0" then "0", computed independently in Python. */
	assert_string_equal(id, "0a6e77f7c8c493d2");
}

/* Clock alerts are keyed rule:ticket in the agent's hash, quality alerts by rule. */
static void test_field(void **state)
{
	struct alert_facts f;
	char buf[300];

	(void)state;
	load_breach(&f);
	alert_field(&f, buf, sizeof(buf));
	assert_string_equal(buf, "reply_sla_breach:T-9");
	f.ticket[0] = '\0';
	strcpy(f.rule, "csat_below");
	alert_field(&f, buf, sizeof(buf));
	assert_string_equal(buf, "csat_below");
}

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

/* The published JSON of a breach, byte for byte. */
static void test_render_breach(void **state)
{
	struct alert_facts f;
	char id[ALERT_ID_SIZE], expected[2048];
	char *json;

	(void)state;
	load_breach(&f);
	alert_id(&f, id);
	snprintf(expected, sizeof(expected),
	    "{\"alert_id\":\"%s\",\"rule\":\"reply_sla_breach\",\"state\":\"firing\",\"agent_id\":\"a17\","
	    "\"ticket_id\":\"T-9\",\"window\":null,\"value\":86403.25,\"threshold\":86400.0,\"samples\":null,"
	    "\"since\":\"2026-11-23T00:00:00.000Z\",\"at\":\"2026-11-23T00:00:03.250Z\","
	    "\"message\":\"Agent a17 missed the 24h reply target on ticket T-9 (complaint, high, billing): "
	    "no reply 3s after the deadline\",\"opened_at\":\"2026-11-22T00:00:00.000Z\","
	    "\"deadline\":\"2026-11-23T00:00:00.000Z\",\"late_s\":3.25,\"severity\":\"high\",\"category\":\"billing\"}",
	    id);
	json = alert_render(&f);
	assert_string_equal(json, expected);
	free(json);
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

/*
 * What clock.c queued for a high complaint (billing) by a17 on T-1001 under policy vip:
 * calendar support (Europe/Berlin, Monday to Friday 09:00-17:00), first reply 4h (promise
 * 8h), resolution 16h (promise 24h), at risk 0.75, opened Monday 2026-11-23 15:00 local.
 * Each with its contract JSON: the business example of docs/alerts.md.
 */
static const struct {
	const char *facts, *json;
} vip_cases[] = {
	/* resolution_sla_at_risk firing */
	{
	    "{\"rule\":\"resolution_sla_at_risk\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\""
	    "severity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\""
	    "resolution\",\"since\":1795600800000,\"at\":1795600800150,\"start\":1795442400000,\"due\":1795615200"
	    "000,\"target\":57600000,\"remaining_ms\":14399850,\"business_ms\":43200150,\"wall_ms\":158400150,\"p"
	    "romise_ms\":86400000,\"promised\":1795701600000}",
	    "{\"alert_id\":\"5ec8c04664742bb4\",\"rule\":\"resolution_sla_at_risk\",\"state\":\"firing\",\"agent_"
	    "id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":158400.15,\"threshold\":57600.0,\"sa"
	    "mples\":null,\"since\":\"2026-11-25T10:00:00.000Z\",\"at\":\"2026-11-25T10:00:00.150Z\",\"message\":"
	    "\"Ticket T-1001 (complaint, high, billing) for agent a17 has 3h59m left of its 16h resolution target"
	    ", in business hours on calendar support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\""
	    "2026-11-25T14:00:00.000Z\",\"remaining_s\":14399.85,\"severity\":\"high\",\"category\":\"billing\","
	    "\"level\":\"warning\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resolution\",\"business"
	    "_s\":43200.15,\"wall_s\":158400.15,\"promise_s\":86400.0,\"promised_at\":\"2026-11-26T14:00:00.000Z"
	    "\"}"},
	/* resolution_sla_at_risk resolved */
	{
	    "{\"rule\":\"resolution_sla_at_risk\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\","
	    "\"severity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":"
	    "\"resolution\",\"since\":1795600800000,\"at\":1795615200150,\"start\":1795442400000,\"due\":17956152"
	    "00000,\"target\":57600000,\"business_ms\":57600150,\"wall_ms\":172800150,\"promise_ms\":86400000,\"p"
	    "romised\":1795701600000,\"superseded\":true}",
	    "{\"alert_id\":\"5ec8c04664742bb4\",\"rule\":\"resolution_sla_at_risk\",\"state\":\"resolved\",\"agen"
	    "t_id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":172800.15,\"threshold\":57600.0,\""
	    "samples\":null,\"since\":\"2026-11-25T10:00:00.000Z\",\"at\":\"2026-11-25T14:00:00.150Z\",\"message"
	    "\":\"Ticket T-1001 for agent a17 passed its 16h resolution target (see resolution_sla_breach)\",\"op"
	    "ened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-25T14:00:00.000Z\",\"severity\":\"high"
	    "\",\"category\":\"billing\",\"level\":\"warning\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal"
	    "\":\"resolution\",\"business_s\":57600.15,\"wall_s\":172800.15,\"promise_s\":86400.0,\"promised_at\""
	    ":\"2026-11-26T14:00:00.000Z\",\"superseded\":true}"},
	/* resolution_sla_breach firing */
	{
	    "{\"rule\":\"resolution_sla_breach\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"s"
	    "everity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"r"
	    "esolution\",\"since\":1795615200000,\"at\":1795615200150,\"start\":1795442400000,\"due\":17956152000"
	    "00,\"target\":57600000,\"late_ms\":150,\"business_ms\":57600150,\"wall_ms\":172800150,\"promise_ms\""
	    ":86400000,\"promised\":1795701600000}",
	    "{\"alert_id\":\"5a7ddfdfdb66cbd6\",\"rule\":\"resolution_sla_breach\",\"state\":\"firing\",\"agent_i"
	    "d\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":172800.15,\"threshold\":57600.0,\"sam"
	    "ples\":null,\"since\":\"2026-11-25T14:00:00.000Z\",\"at\":\"2026-11-25T14:00:00.150Z\",\"message\":"
	    "\"Ticket T-1001 (complaint, high, billing) for agent a17 was not solved within its 16h resolution ta"
	    "rget: still unsolved at the deadline\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"202"
	    "6-11-25T14:00:00.000Z\",\"late_s\":0.15,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"h"
	    "igh\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resolution\",\"business_s\":57600.15,\""
	    "wall_s\":172800.15,\"promise_s\":86400.0,\"promised_at\":\"2026-11-26T14:00:00.000Z\"}"},
	/* resolution_sla_breach resolved */
	{
	    "{\"rule\":\"resolution_sla_breach\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\","
	    "\"severity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":"
	    "\"resolution\",\"since\":1795615200000,\"at\":1795685400400,\"start\":1795442400000,\"due\":17956152"
	    "00000,\"target\":57600000,\"response_ms\":243000000,\"business_ms\":70200000,\"wall_ms\":243000000,"
	    "\"promise_ms\":86400000,\"promised\":1795701600000}",
	    "{\"alert_id\":\"5a7ddfdfdb66cbd6\",\"rule\":\"resolution_sla_breach\",\"state\":\"resolved\",\"agent"
	    "_id\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":243000.0,\"threshold\":57600.0,\"sa"
	    "mples\":null,\"since\":\"2026-11-25T14:00:00.000Z\",\"at\":\"2026-11-26T09:30:00.400Z\",\"message\":"
	    "\"Ticket T-1001 for agent a17 was solved after 19h30m, 3h30m past the 16h resolution target, in busi"
	    "ness hours on calendar support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-2"
	    "5T14:00:00.000Z\",\"response_s\":243000.0,\"severity\":\"high\",\"category\":\"billing\",\"level\":"
	    "\"high\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resolution\",\"business_s\":70200.0,"
	    "\"wall_s\":243000.0,\"promise_s\":86400.0,\"promised_at\":\"2026-11-26T14:00:00.000Z\"}"},
	/* promise_broken firing (first_reply) */
	{
	    "{\"rule\":\"promise_broken\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"severity"
	    "\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"first_re"
	    "ply\",\"since\":1795528800000,\"at\":1795528800150,\"start\":1795442400000,\"due\":1795514400000,\"t"
	    "arget\":14400000,\"late_ms\":150,\"business_ms\":28800150,\"wall_ms\":86400150,\"promise_ms\":288000"
	    "00,\"promised\":1795528800000}",
	    "{\"alert_id\":\"b6fcd5ba5c3bf510\",\"rule\":\"promise_broken\",\"state\":\"firing\",\"agent_id\":\"a"
	    "17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":86400.15,\"threshold\":14400.0,\"samples\":n"
	    "ull,\"since\":\"2026-11-24T14:00:00.000Z\",\"at\":\"2026-11-24T14:00:00.150Z\",\"message\":\"Agent a"
	    "17 broke the 8h promise to the customer on ticket T-1001 (first reply): no reply by the promised tim"
	    "e\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-24T10:00:00.000Z\",\"late_s\":"
	    "0.15,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"critical\",\"policy\":\"vip\",\"cale"
	    "ndar\":\"support\",\"goal\":\"first_reply\",\"business_s\":28800.15,\"wall_s\":86400.15,\"promise_s"
	    "\":28800.0,\"promised_at\":\"2026-11-24T14:00:00.000Z\"}"},
	/* promise_broken resolved (first_reply) */
	{
	    "{\"rule\":\"promise_broken\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"severi"
	    "ty\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"first_"
	    "reply\",\"since\":1795528800000,\"at\":1795533000300,\"start\":1795442400000,\"due\":1795514400000,"
	    "\"target\":14400000,\"response_ms\":90600000,\"business_ms\":33000000,\"wall_ms\":90600000,\"promise"
	    "_ms\":28800000,\"promised\":1795528800000}",
	    "{\"alert_id\":\"b6fcd5ba5c3bf510\",\"rule\":\"promise_broken\",\"state\":\"resolved\",\"agent_id\":"
	    "\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":90600.0,\"threshold\":14400.0,\"samples\""
	    ":null,\"since\":\"2026-11-24T14:00:00.000Z\",\"at\":\"2026-11-24T15:10:00.300Z\",\"message\":\"Agent"
	    " a17 replied to ticket T-1001 after 9h10m, 1h10m past the 8h promise, in business hours on calendar "
	    "support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-24T10:00:00.000Z\",\"res"
	    "ponse_s\":90600.0,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"critical\",\"policy\":"
	    "\"vip\",\"calendar\":\"support\",\"goal\":\"first_reply\",\"business_s\":33000.0,\"wall_s\":90600.0,"
	    "\"promise_s\":28800.0,\"promised_at\":\"2026-11-24T14:00:00.000Z\"}"},
	/* promise_broken firing (resolution) */
	{
	    "{\"rule\":\"promise_broken\",\"state\":\"firing\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"severity"
	    "\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resoluti"
	    "on\",\"since\":1795701600000,\"at\":1795701600150,\"start\":1795442400000,\"due\":1795615200000,\"ta"
	    "rget\":57600000,\"late_ms\":150,\"business_ms\":86400150,\"wall_ms\":259200150,\"promise_ms\":864000"
	    "00,\"promised\":1795701600000}",
	    "{\"alert_id\":\"5605dfa380967a5a\",\"rule\":\"promise_broken\",\"state\":\"firing\",\"agent_id\":\"a"
	    "17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":259200.15,\"threshold\":57600.0,\"samples\":"
	    "null,\"since\":\"2026-11-26T14:00:00.000Z\",\"at\":\"2026-11-26T14:00:00.150Z\",\"message\":\"Agent "
	    "a17 broke the 1d promise to the customer on ticket T-1001 (resolution): still unsolved at the promis"
	    "ed time\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-25T14:00:00.000Z\",\"lat"
	    "e_s\":0.15,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"critical\",\"policy\":\"vip\","
	    "\"calendar\":\"support\",\"goal\":\"resolution\",\"business_s\":86400.15,\"wall_s\":259200.15,\"prom"
	    "ise_s\":86400.0,\"promised_at\":\"2026-11-26T14:00:00.000Z\"}"},
	/* promise_broken resolved (resolution) */
	{
	    "{\"rule\":\"promise_broken\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"severi"
	    "ty\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resolu"
	    "tion\",\"since\":1795701600000,\"at\":1795705800400,\"start\":1795442400000,\"due\":1795615200000,\""
	    "target\":57600000,\"response_ms\":263400000,\"business_ms\":90600000,\"wall_ms\":263400000,\"promise"
	    "_ms\":86400000,\"promised\":1795701600000}",
	    "{\"alert_id\":\"5605dfa380967a5a\",\"rule\":\"promise_broken\",\"state\":\"resolved\",\"agent_id\":"
	    "\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":263400.0,\"threshold\":57600.0,\"samples"
	    "\":null,\"since\":\"2026-11-26T14:00:00.000Z\",\"at\":\"2026-11-26T15:10:00.400Z\",\"message\":\"Tic"
	    "ket T-1001 for agent a17 was solved after 1d01h, 1h10m past the 1d promise, in business hours on cal"
	    "endar support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-25T14:00:00.000Z\""
	    ",\"response_s\":263400.0,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"critical\",\"pol"
	    "icy\":\"vip\",\"calendar\":\"support\",\"goal\":\"resolution\",\"business_s\":90600.0,\"wall_s\":263"
	    "400.0,\"promise_s\":86400.0,\"promised_at\":\"2026-11-26T14:00:00.000Z\"}"},
	/* reply_sla_breach resolved */
	{
	    "{\"rule\":\"reply_sla_breach\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"seve"
	    "rity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"firs"
	    "t_reply\",\"since\":1795514400000,\"at\":1795533000300,\"start\":1795442400000,\"due\":1795514400000"
	    ",\"target\":14400000,\"response_ms\":90600000,\"business_ms\":33000000,\"wall_ms\":90600000,\"promis"
	    "e_ms\":28800000,\"promised\":1795528800000}",
	    "{\"alert_id\":\"1c5d79cc0a52a926\",\"rule\":\"reply_sla_breach\",\"state\":\"resolved\",\"agent_id\""
	    ":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":90600.0,\"threshold\":14400.0,\"samples"
	    "\":null,\"since\":\"2026-11-24T10:00:00.000Z\",\"at\":\"2026-11-24T15:10:00.300Z\",\"message\":\"Age"
	    "nt a17 replied to ticket T-1001 after 9h10m, 5h10m past the 4h reply target, in business hours on ca"
	    "lendar support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":\"2026-11-24T10:00:00.000Z"
	    "\",\"response_s\":90600.0,\"severity\":\"high\",\"category\":\"billing\",\"level\":\"high\",\"policy"
	    "\":\"vip\",\"calendar\":\"support\",\"goal\":\"first_reply\",\"business_s\":33000.0,\"wall_s\":90600"
	    ".0,\"promise_s\":28800.0,\"promised_at\":\"2026-11-24T14:00:00.000Z\"}"},
	/* reply_sla_at_risk resolved by a reply while `pending` holds the clock: no deadline, no promised instant */
	{
	    "{\"rule\":\"reply_sla_at_risk\",\"state\":\"resolved\",\"agent\":\"a17\",\"ticket\":\"T-1001\",\"sev"
	    "erity\":\"high\",\"category\":\"billing\",\"policy\":\"vip\",\"calendar\":\"support\",\"goal\":\"fir"
	    "st_reply\",\"since\":1795510800000,\"at\":1795516200300,\"start\":1795442400000,\"target\":14400000,"
	    "\"response_ms\":73800000,\"business_ms\":12600000,\"wall_ms\":73800000,\"promise_ms\":28800000}",
	    "{\"alert_id\":\"30353725f9f7ea54\",\"rule\":\"reply_sla_at_risk\",\"state\":\"resolved\",\"agent_id"
	    "\":\"a17\",\"ticket_id\":\"T-1001\",\"window\":null,\"value\":73800.0,\"threshold\":14400.0,\"sample"
	    "s\":null,\"since\":\"2026-11-24T09:00:00.000Z\",\"at\":\"2026-11-24T10:30:00.300Z\",\"message\":\"Ag"
	    "ent a17 replied to ticket T-1001 after 3h30m, within the 4h reply target, in business hours on calen"
	    "dar support\",\"opened_at\":\"2026-11-23T14:00:00.000Z\",\"deadline\":null,\"response_s\":73800.0,\""
	    "severity\":\"high\",\"category\":\"billing\",\"level\":\"warning\",\"policy\":\"vip\",\"calendar\":"
	    "\"support\",\"goal\":\"first_reply\",\"business_s\":12600.0,\"wall_s\":73800.0,\"promise_s\":28800.0"
	    ",\"promised_at\":null}"},
};

/* The new rules render, firing and resolved, byte for byte; their facts round-trip byte for byte. */
static void test_render_vip(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(vip_cases) / sizeof(vip_cases[0]); i++) {
		assert_true(alert_facts_parse(vip_cases[i].facts, strlen(vip_cases[i].facts), &f));
		json = alert_facts_json(&f);
		assert_string_equal(json, vip_cases[i].facts);
		free(json);
		json = alert_render(&f);
		assert_string_equal(json, vip_cases[i].json);
		free(json);
	}
}

/* The new members are read, written and read again; entries without them read as before. */
static void test_facts_round_trip_policy(void **state)
{
	struct alert_facts f, g;
	char *json;

	(void)state;
	assert_true(alert_facts_parse(vip_cases[4].facts, strlen(vip_cases[4].facts), &f));
	assert_string_equal(f.rule, "promise_broken");
	assert_string_equal(f.policy, "vip");
	assert_string_equal(f.calendar, "support");
	assert_string_equal(f.goal, "first_reply");
	assert_int_equal(f.business_ms, 28800150);
	assert_int_equal(f.wall_ms, 86400150);
	assert_int_equal(f.promise_ms, 28800000);
	assert_int_equal(f.promised, 1795528800000);
	json = alert_facts_json(&f);
	assert_true(alert_facts_parse(json, strlen(json), &g));
	free(json);
	assert_memory_equal(&f, &g, sizeof(f));

	/* A clock with no promise and a pause holding it: the absent numbers stay absent. */
	f.promise_ms = f.promised = f.due = -1;
	json = alert_facts_json(&f);
	assert_null(strstr(json, "\"promise_ms\""));
	assert_null(strstr(json, "\"promised\""));
	assert_null(strstr(json, "\"due\""));
	assert_true(alert_facts_parse(json, strlen(json), &g));
	free(json);
	assert_memory_equal(&f, &g, sizeof(f));

	/* An entry from before the upgrade: written back unchanged, read back the same. */
	load_breach(&f);
	json = alert_facts_json(&f);
	assert_null(strstr(json, "policy"));
	assert_null(strstr(json, "business_ms"));
	assert_true(alert_facts_parse(json, strlen(json), &g));
	free(json);
	assert_memory_equal(&f, &g, sizeof(f));
	assert_string_equal(g.goal, "");
	assert_int_equal(g.promised, -1);
}

/* Sets f to the promise_broken of vip_cases, with goal and since. */
static void load_promise(struct alert_facts *f, const char *goal, int64_t since)
{
	assert_true(alert_facts_parse(vip_cases[4].facts, strlen(vip_cases[4].facts), f));
	strcpy(f->goal, goal);
	f->since = since;
}

/* A ticket's two broken promises are two episodes; every other rule keeps its id and field. */
static void test_id_field_goal(void **state)
{
	struct alert_facts f, g;
	char a[ALERT_ID_SIZE], b[ALERT_ID_SIZE], field[300];

	(void)state;
	/* Both promises broken at the same instant still differ. */
	load_promise(&f, "first_reply", 1795528800000);
	load_promise(&g, "resolution", 1795528800000);
	alert_id(&f, a);
	alert_id(&g, b);
	/* FNV-1a 64 of "promise_broken\0a17\0T-1001\0first_reply\0" then "1795528800000" (and resolution), in Python. */
	assert_string_equal(a, "b6fcd5ba5c3bf510");
	assert_string_equal(b, "2259796fb7aa51cf");
	alert_field(&f, field, sizeof(field));
	assert_string_equal(field, "promise_broken:T-1001:first_reply");
	alert_field(&g, field, sizeof(field));
	assert_string_equal(field, "promise_broken:T-1001:resolution");
	/* Without a goal there is nothing to tell apart: the plain form. */
	f.goal[0] = '\0';
	alert_id(&f, a);
	assert_string_equal(a, "db3c34adbe7b8455");
	alert_field(&f, field, sizeof(field));
	assert_string_equal(field, "promise_broken:T-1001");

	/* The other rules ignore goal, policy and the rest: today's id and field, exactly. */
	assert_true(alert_facts_parse(vip_cases[8].facts, strlen(vip_cases[8].facts), &f));
	assert_string_equal(f.goal, "first_reply");
	alert_id(&f, a);
	assert_string_equal(a, "1c5d79cc0a52a926");
	alert_field(&f, field, sizeof(field));
	assert_string_equal(field, "reply_sla_breach:T-1001");
	g = f;
	g.goal[0] = g.policy[0] = g.calendar[0] = '\0';
	g.business_ms = g.wall_ms = g.promise_ms = g.promised = -1;
	alert_id(&g, b);
	assert_string_equal(a, b);
	assert_true(alert_facts_parse(vip_cases[2].facts, strlen(vip_cases[2].facts), &f));
	alert_id(&f, a);
	assert_string_equal(a, "5a7ddfdfdb66cbd6");
	alert_field(&f, field, sizeof(field));
	assert_string_equal(field, "resolution_sla_breach:T-1001");
	load_breach(&f);
	strcpy(f.goal, "first_reply");
	alert_field(&f, field, sizeof(field));
	assert_string_equal(field, "reply_sla_breach:T-9");
}

/* level by rule; deadline and promised_at null while a pause holds the clock; no promise, no promise members. */
static void test_render_policy_members(void **state)
{
	static const struct {
		const char *rule, *level;
	} levels[] = {
	    {"reply_sla_at_risk", "\"level\":\"warning\""}, {"resolution_sla_at_risk", "\"level\":\"warning\""},
	    {"reply_sla_breach", "\"level\":\"high\""}, {"resolution_sla_breach", "\"level\":\"high\""},
	    {"promise_broken", "\"level\":\"critical\""},
	};
	struct alert_facts f;
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		assert_true(alert_facts_parse(vip_cases[0].facts, strlen(vip_cases[0].facts), &f));
		strcpy(f.rule, levels[i].rule);
		json = alert_render(&f);
		assert_non_null(strstr(json, levels[i].level));
		free(json);
	}
	/* The at-risk alert of a clock a pause holds: no deadline and no promised instant now. */
	assert_true(alert_facts_parse(vip_cases[0].facts, strlen(vip_cases[0].facts), &f));
	f.due = f.promised = -1;
	json = alert_render(&f);
	assert_non_null(strstr(json, ",\"deadline\":null,"));
	assert_non_null(strstr(json, ",\"promise_s\":86400.0,\"promised_at\":null}"));
	free(json);
	/* A clock without a promise. */
	f.promise_ms = -1;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"business_s\":43200.15,\"wall_s\":158400.15}"));
	free(json);
	/* An entry queued before policies renders as it always did: the old breach has none of them. */
	load_breach(&f);
	json = alert_render(&f);
	assert_null(strstr(json, "\"level\""));
	assert_null(strstr(json, "\"business_s\""));
	assert_null(strstr(json, "\"goal\""));
	free(json);
	/* A quality alert is under no policy: nothing of one is rendered, whatever its facts hold. */
	memset(&f, 0, sizeof(f));
	strcpy(f.policy, "default");
	strcpy(f.rule, "csat_below");
	strcpy(f.state, "firing");
	strcpy(f.agent, "a17");
	strcpy(f.message, "m");
	f.since = f.at = 1;
	f.start = f.due = f.target = f.late_ms = f.remaining_ms = f.response_ms = f.samples = -1;
	f.business_ms = f.wall_ms = f.promise_ms = f.promised = -1;
	json = alert_render(&f);
	assert_string_equal(json, "{\"alert_id\":\"5e833e5b13709cde\",\"rule\":\"csat_below\",\"state\":\"firing\","
	    "\"agent_id\":\"a17\",\"ticket_id\":null,\"window\":null,\"value\":null,\"threshold\":null,\"samples\":null,"
	    "\"since\":\"1970-01-01T00:00:00.001Z\",\"at\":\"1970-01-01T00:00:00.001Z\",\"message\":\"m\"}");
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

/* A quality alert carries its own message, window, samples and interval. */
static void test_render_quality(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	memset(&f, 0, sizeof(f));
	strcpy(f.rule, "csat_below");
	strcpy(f.state, "firing");
	strcpy(f.agent, "a17");
	strcpy(f.window, "24h");
	strcpy(f.message, "CSAT 72.0% over 24h (25 ratings) is below 80.0%");
	f.since = 1795391890000;
	f.at = 1795392000123;
	f.start = f.due = f.target = f.late_ms = f.remaining_ms = f.response_ms = -1;
	f.samples = 25;
	f.has_value = f.has_threshold = f.has_interval = true;
	f.value = 72.0;
	f.threshold = 80.0;
	f.lower = 52.4;
	f.upper = 85.7;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"rule\":\"csat_below\",\"state\":\"firing\",\"agent_id\":\"a17\",\"ticket_id\":null,"
	    "\"window\":\"24h\",\"value\":72.0,\"threshold\":80.0,\"samples\":25,\"since\":\"2026-11-22T23:58:10.000Z\","
	    "\"at\":\"2026-11-23T00:00:00.123Z\",\"message\":\"CSAT 72.0% over 24h (25 ratings) is below 80.0%\","
	    "\"lower\":52.4,\"upper\":85.7}"));
	assert_null(strstr(json, "repeat"));
	free(json);

	/* A reminder (repeat_interval) is the same episode, marked as such. */
	f.repeat = true;
	json = alert_render(&f);
	assert_non_null(strstr(json, "\"message\":\"CSAT 72.0% over 24h (25 ratings) is below 80.0%\",\"repeat\":true,"
	    "\"lower\":52.4,\"upper\":85.7}"));
	free(json);
	/* A team's own alert: no agent, the team, an id of its own; its facts round-trip. */
	{
		struct alert_facts g = f, back;
		char a[ALERT_ID_SIZE], b[ALERT_ID_SIZE];

		g.repeat = false;
		g.agent[0] = '\0';
		strcpy(g.team, "billing");
		json = alert_render(&g);
		assert_non_null(strstr(json, "\"state\":\"firing\",\"agent_id\":null,\"team_id\":\"billing\",\"ticket_id\":null,"));
		free(json);
		alert_id(&f, a);
		alert_id(&g, b);
		assert_string_not_equal(a, b);
		strcpy(g.agent, "a17");
		alert_id(&g, b);
		assert_string_not_equal(a, b);
		g.agent[0] = '\0';
		json = alert_facts_json(&g);
		assert_true(alert_facts_parse(json, strlen(json), &back));
		assert_string_equal(back.team, "billing");
		assert_string_equal(back.agent, "");
		free(json);
	}
}

/* A fixed pseudo-random sequence for the written-as-jansson checks. */
static uint64_t seed = 42;

/* The next number: the high half of a 64-bit LCG (Knuth's MMIX constants). */
static uint32_t next(void)
{
	seed = seed * UINT64_C(6364136223846793005) + UINT64_C(1442695040888963407);
	return (uint32_t)(seed >> 32);
}

/* A string of up to max - 1 bytes: letters, quotes, backslashes, control bytes, UTF-8, DEL. */
static void random_text(char *buf, size_t max)
{
	static const char *const pieces[] = {"a", "Z", "9", " ", "\"", "\\", "/", "\n", "\t", "\x01", "\x1f",
	    "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\b", "\f", "\r"};
	size_t n = next() % 24, len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const char *p = pieces[next() % (sizeof(pieces) / sizeof(pieces[0]))];

		if (len + strlen(p) + 1 > max)
			break;
		strcpy(buf + len, p);
		len += strlen(p);
	}
}

/* A real of any size and sign, whole ones and exact thousandths included. */
static double random_real(void)
{
	switch (next() % 4) {
	case 0:
		return (double)(int32_t)next() / 1000.0;
	case 1:
		return (double)(int32_t)next();
	case 2:
		return ldexp((double)next(), (int)(next() % 400) - 200) * (next() % 2 ? 1 : -1);
	default:
		return (double)next() / 7.0;
	}
}

/* Random facts: every field set or absent, odd strings, reals of any size. */
static void random_facts(struct alert_facts *f)
{
	memset(f, 0, sizeof(*f));
	random_text(f->rule, sizeof(f->rule));
	strcpy(f->state, next() % 2 ? "firing" : "resolved");
	random_text(f->agent, sizeof(f->agent));
	if (next() % 2)
		random_text(f->ticket, sizeof(f->ticket));
	random_text(f->window, sizeof(f->window));
	random_text(f->severity, sizeof(f->severity));
	random_text(f->category, sizeof(f->category));
	random_text(f->message, sizeof(f->message));
	if (next() % 2) {
		random_text(f->policy, sizeof(f->policy));
		random_text(f->calendar, sizeof(f->calendar));
		random_text(f->goal, sizeof(f->goal));
	}
	f->since = next() % 4 ? (int64_t)next() * 1000 : -1;
	f->at = (int64_t)next() * 1000 + next() % 1000;
	f->start = next() % 2 ? f->at - next() % 100000000 : -1;
	f->due = f->target = f->late_ms = f->remaining_ms = f->response_ms = next() % 3 ? (int64_t)(next() % 100000000) : -1;
	f->samples = next() % 2 ? (int64_t)next() : -1;
	f->business_ms = f->wall_ms = f->promise_ms = f->promised = next() % 3 ? (int64_t)(next() % 100000000) : -1;
	if (f->business_ms >= 0) {
		f->wall_ms += next() % 2 ? (int64_t)(next() % 100000000) : 0;
		f->promised = next() % 4 ? f->at + next() % 100000000 : -1;
	}
	f->superseded = next() % 2;
	f->repeat = next() % 2;
	f->has_value = next() % 2;
	f->has_threshold = next() % 2;
	f->has_interval = next() % 2;
	f->value = random_real();
	f->threshold = random_real();
	f->lower = random_real();
	f->upper = random_real();
}

/* Asserts that jansson, reading json and writing it again compactly, gives the same text. */
static void assert_as_jansson(const char *json)
{
	json_error_t err;
	json_t *obj = json_loads(json, 0, &err);
	char *again;

	if (obj == NULL)
		fail_msg("not JSON (%s): %s", err.text, json);
	again = json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10));
	assert_string_equal(again, json);
	free(again);
	json_decref(obj);
}

/* Facts and contract JSON are written as jansson writes them, whatever the strings and reals. */
static void test_written_as_jansson(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	for (int round = 0; round < 3000; round++) {
		random_facts(&f);
		json = alert_facts_json(&f);
		assert_as_jansson(json);
		free(json);
		json = alert_render(&f);
		assert_as_jansson(json);
		free(json);
	}
}

/* What jansson refuses to hold is left out: a string that is not UTF-8, a real that is not finite. */
static void test_written_leaves_out(void **state)
{
	struct alert_facts f;
	char *json;

	(void)state;
	load_breach(&f);
	strcpy(f.category, "bad \xc3");  /* cut inside a character */
	json = alert_facts_json(&f);
	assert_null(strstr(json, "\"category\""));
	assert_non_null(strstr(json, "\"severity\":\"high\""));
	free(json);
	memset(&f, 0, sizeof(f));
	strcpy(f.rule, "csat_below");
	strcpy(f.state, "firing");
	strcpy(f.agent, "a1");
	strcpy(f.message, "m");
	f.since = f.at = 1;
	f.samples = -1;
	f.has_value = f.has_threshold = true;
	f.value = NAN;
	f.threshold = INFINITY;
	json = alert_facts_json(&f);
	assert_string_equal(json, "{\"rule\":\"csat_below\",\"state\":\"firing\",\"agent\":\"a1\",\"message\":\"m\","
	    "\"since\":1,\"at\":1,\"start\":0,\"due\":0,\"target\":0,\"late_ms\":0,\"remaining_ms\":0,\"response_ms\":0,"
	    "\"business_ms\":0,\"wall_ms\":0,\"promise_ms\":0,\"promised\":0}");
	free(json);
	json = alert_render(&f);
	assert_null(strstr(json, "\"value\""));
	assert_null(strstr(json, "\"threshold\""));
	assert_non_null(strstr(json, "\"samples\":null"));
	free(json);
}

/* Reads json twice, as it is and after a blank (which only jansson reads), and asserts the same outcome. */
static void assert_read_alike(const char *json)
{
	size_t len = strlen(json);
	char *spaced = malloc(len + 2);
	struct alert_facts a, b;
	bool ra, rb;

	assert_non_null(spaced);
	spaced[0] = ' ';
	memcpy(spaced + 1, json, len + 1);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	ra = alert_facts_parse(json, len, &a);
	rb = alert_facts_parse(spaced, len + 1, &b);
	if (ra != rb || memcmp(&a, &b, sizeof(a)) != 0)
		fail_msg("read differently: %s", json);
	free(spaced);
}

/* The facts alert_facts_json writes, and odd ones too, read the same as jansson reads them. */
static void test_read_as_jansson(void **state)
{
	static const char *const odd[] = {
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,\"since\":\"x\"}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1.9e3,\"at\":-0,\"lower\":1}",
	    "{\"rule\":\"r\",\"state\":\"resolved\",\"agent\":\"\\u0041\\/\\n\",\"since\":9007199254740993,\"at\":1,"
	    "\"upper\":2,\"value\":1E-400,\"threshold\":true,\"repeat\":true,\"superseded\":false}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,\"x\":{\"y\":[1]}}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"\\ud83d\\ude00\",\"since\":1,\"at\":2}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":01,\"at\":2}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":99999999999999999999,\"at\":2}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"\xc3\",\"since\":1,\"at\":2}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,\"value\":1e999}",
	    "{\"ru\\u006ce\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,\"samples\":null}",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2} ",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2}x",
	    "{\"rule\":\"r\",\"state\":\"firing\",\"agent\":\"a\",\"since\":1,\"at\":2,\"lower\":1,\"upper\":2.5}",
	    "{}", "{\"rule\"}", "{\"rule\":}", "{\"rule\":\"r", "-", "{\"rule\":-,\"x\":1}", "{\"a\":1.}", "{\"a\":1e}",
	};
	struct alert_facts f;
	char *json;

	(void)state;
	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		assert_read_alike(odd[i]);
	for (int round = 0; round < 2000; round++) {
		random_facts(&f);
		json = alert_facts_json(&f);
		assert_read_alike(json);
		free(json);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_clock_facts),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_facts_round_trip),
	    cmocka_unit_test(test_id_deterministic),
	    cmocka_unit_test(test_id_pinned),
	    cmocka_unit_test(test_field),
	    cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_render_breach),
	    cmocka_unit_test(test_render_messages),
	    cmocka_unit_test(test_render_vip),
	    cmocka_unit_test(test_facts_round_trip_policy),
	    cmocka_unit_test(test_id_field_goal),
	    cmocka_unit_test(test_render_policy_members),
	    cmocka_unit_test(test_messages_new_rules),
	    cmocka_unit_test(test_messages_solved_reply_clock),
	    cmocka_unit_test(test_messages_business),
	    cmocka_unit_test(test_message_breach_at_deadline),
	    cmocka_unit_test(test_render_quality),
	    cmocka_unit_test(test_written_as_jansson),
	    cmocka_unit_test(test_written_leaves_out),
	    cmocka_unit_test(test_read_as_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
