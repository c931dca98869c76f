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
	f->since = next() % 4 ? (int64_t)next() * 1000 : -1;
	f->at = (int64_t)next() * 1000 + next() % 1000;
	f->start = next() % 2 ? f->at - next() % 100000000 : -1;
	f->due = f->target = f->late_ms = f->remaining_ms = f->response_ms = next() % 3 ? (int64_t)(next() % 100000000) : -1;
	f->samples = next() % 2 ? (int64_t)next() : -1;
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
	    "\"since\":1,\"at\":1,\"start\":0,\"due\":0,\"target\":0,\"late_ms\":0,\"remaining_ms\":0,\"response_ms\":0}");
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
	    cmocka_unit_test(test_render_quality),
	    cmocka_unit_test(test_written_as_jansson),
	    cmocka_unit_test(test_written_leaves_out),
	    cmocka_unit_test(test_read_as_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
