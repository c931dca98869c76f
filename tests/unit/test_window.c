/* test_window.c: window list parsing and bucket arithmetic. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "window.h"

#define NOW INT64_C(1795341600000) /* 2026-11-22T10:00:00Z */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

/* Parses a list that must be valid. */
static struct windows
parse_ok(const char *list)
{
	struct windows	ws;
	char		reason[96] = "";

	memset(&ws, 0, sizeof ws);
	if (!windows_parse(list, &ws, reason, sizeof reason))
		fail_msg("\"%s\" rejected: %s", list, reason);
	return ws;
}

/* Checks one parsed window's name and span. */
static void
check_window(const struct window *w, const char *name, int64_t span)
{
	assert_string_equal(w->name, name);
	assert_int_equal(w->span_ms, span);
}

/* The default list parses to four windows in order. */
static void
test_parse_defaults(void **state)
{
	struct windows	ws = parse_ok("1h,24h,7d,30d");

	(void)state;
	assert_int_equal(ws.count, 4);
	check_window(&ws.w[0], "1h", HOUR);
	check_window(&ws.w[1], "24h", DAY);
	check_window(&ws.w[2], "7d", 7 * DAY);
	check_window(&ws.w[3], "30d", 30 * DAY);
	assert_int_equal(windows_longest_ms(&ws), 30 * DAY);
}

/* Blanks around items are dropped from the names; the order is by span. */
static void
test_parse_whitespace_and_order(void **state)
{
	struct windows	ws = parse_ok("  30d , 1h,\t24h ,7d  ");

	(void)state;
	assert_int_equal(ws.count, 4);
	check_window(&ws.w[0], "1h", HOUR);
	check_window(&ws.w[1], "24h", DAY);
	check_window(&ws.w[2], "7d", 7 * DAY);
	check_window(&ws.w[3], "30d", 30 * DAY);

	ws = parse_ok("2d,90m,36h,1d");
	assert_int_equal(ws.count, 4);
	check_window(&ws.w[0], "90m", 90 * 60000);
	check_window(&ws.w[1], "1d", DAY);
	check_window(&ws.w[2], "36h", 36 * HOUR);
	check_window(&ws.w[3], "2d", 2 * DAY);

	ws = parse_ok("15m");
	assert_int_equal(ws.count, 1);
	check_window(&ws.w[0], "15m", 15 * 60000);
}

/* The smallest span is 24 s. */
static void
test_parse_min_span(void **state)
{
	struct windows	ws = parse_ok("24s");
	char		reason[96];

	(void)state;
	check_window(&ws.w[0], "24s", 24000);
	ws = parse_ok("24001ms");
	check_window(&ws.w[0], "24001ms", 24001);

	assert_false(windows_parse("23s", &ws, reason, sizeof reason));
	assert_string_equal(reason, "window too short: 23s");
	assert_false(windows_parse("1h, 23999ms", &ws, reason, sizeof reason));
	assert_string_equal(reason, "window too short: 23999ms");
}

struct reject_case {
	const char	*list;
	const char	*reason;
};

static const struct reject_case reject_cases[] = {
	{ "", "empty list" },
	{ "   \t", "empty list" },
	{ "1h,1h", "duplicate window: 1h" },
	{ "1h,24h,60m", "duplicate window: 60m" },
	{ "1d, 24h", "duplicate window: 24h" },
	{ "1h,,24h", "empty window" },
	{ "1h,", "empty window" },
	{ ",1h", "empty window" },
	{ "1h, ,24h", "empty window" },
	{ "1h,abc", "bad window: abc" },
	{ "1h,1 h", "bad window: 1 h" },
	{ "0h", "bad window: 0h" },
	{ "-1h", "bad window: -1h" },
	{ "1h;24h", "bad window: 1h;24h" },
	{ "1w", "bad window: 1w" },
	{ "00000000000001h,000000000000001h", "bad window: 000000000000001h" },
	{ "10s", "window too short: 10s" },
	{ "1m,2m,3m,4m,5m,6m,7m,8m,9m", "too many windows: 9m" },
	{ "9m,8m,7m,6m,5m,4m,3m,2m,1m", "too many windows: 1m" },
	{ "1h,x234567890123456789012345678901234567890",
	  "bad window: x2345678901234567890123456789012" },
};

/* Every bad list, with the reason naming the bad item; out is left alone. */
static void
test_parse_rejects(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof reject_cases / sizeof reject_cases[0]; i++) {
		struct windows	ws, before;
		char		reason[96] = "unset";

		memset(&ws, 0x5a, sizeof ws);
		before = ws;
		if (windows_parse(reject_cases[i].list, &ws, reason, sizeof reason))
			fail_msg("\"%s\" accepted", reject_cases[i].list);
		if (strcmp(reason, reject_cases[i].reason) != 0)
			fail_msg("\"%s\": reason \"%s\", want \"%s\"", reject_cases[i].list,
			    reason, reject_cases[i].reason);
		assert_memory_equal(&ws, &before, sizeof ws);
	}
}

/* WINDOWS_MAX windows fit; a 15-byte name fits and is kept verbatim. */
static void
test_parse_limits(void **state)
{
	struct windows	ws = parse_ok("8m,7m,6m,5m,4m,3m,2m,1m");

	(void)state;
	assert_int_equal(ws.count, WINDOWS_MAX);
	for (size_t i = 0; i < ws.count; i++)
		assert_int_equal(ws.w[i].span_ms, (int64_t)(i + 1) * 60000);
	assert_string_equal(ws.w[7].name, "8m");

	ws = parse_ok(" 00000000000001h ");
	assert_int_equal(strlen(ws.w[0].name), WINDOW_NAME_SIZE - 1);
	assert_string_equal(ws.w[0].name, "00000000000001h");
	assert_int_equal(ws.w[0].span_ms, HOUR);
}

/* The longest span, whatever the order, and 0 for none. */
static void
test_longest(void **state)
{
	struct windows	ws;

	(void)state;
	memset(&ws, 0, sizeof ws);
	assert_int_equal(windows_longest_ms(&ws), 0);
	ws.count = 3;
	ws.w[0].span_ms = 2 * DAY;
	ws.w[1].span_ms = 9 * DAY;
	ws.w[2].span_ms = HOUR;
	assert_int_equal(windows_longest_ms(&ws), 9 * DAY);
	ws = parse_ok("7d,1h");
	assert_int_equal(windows_longest_ms(&ws), 7 * DAY);
}

/* Runs the window tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_defaults),
		cmocka_unit_test(test_parse_whitespace_and_order),
		cmocka_unit_test(test_parse_min_span),
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
