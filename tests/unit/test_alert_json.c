/* test_alert_json.c: facts and contract JSON are written and read as jansson writes and reads them. */
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
#include "testutil_alert.h"

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

/* Runs the written-as-jansson and read-as-jansson tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_written_as_jansson),
	    cmocka_unit_test(test_written_leaves_out),
	    cmocka_unit_test(test_read_as_jansson),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
