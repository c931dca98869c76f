/* test_alert.c: alert facts, ids, field names and the contract JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alert.h"
#include "testutil_alert.h"

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

/* Runs the alert tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_clock_facts),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_facts_round_trip),
	    cmocka_unit_test(test_id_deterministic),
	    cmocka_unit_test(test_id_pinned),
	    cmocka_unit_test(test_field),
	    cmocka_unit_test(test_render_breach),
	    cmocka_unit_test(test_render_vip),
	    cmocka_unit_test(test_facts_round_trip_policy),
	    cmocka_unit_test(test_id_field_goal),
	    cmocka_unit_test(test_render_policy_members),
	    cmocka_unit_test(test_render_quality),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
