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

/* Checks one parsed window's name, span and bucket width. */
static void
check_window(const struct window *w, const char *name, int64_t span)
{
	assert_string_equal(w->name, name);
	assert_int_equal(w->span_ms, span);
	assert_int_equal(w->bucket_ms, span / 24);
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
	assert_int_equal(ws.w[0].bucket_ms, 150000);
	assert_int_equal(ws.w[1].bucket_ms, HOUR);
	assert_int_equal(ws.w[2].bucket_ms, 7 * HOUR);
	assert_int_equal(ws.w[3].bucket_ms, 30 * HOUR);
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

/* The smallest span is 24 s (one-second buckets); a bucket is span/24, floored. */
static void
test_parse_min_span(void **state)
{
	struct windows	ws = parse_ok("24s");
	char		reason[96];

	(void)state;
	check_window(&ws.w[0], "24s", 24000);
	assert_int_equal(ws.w[0].bucket_ms, 1000);
	ws = parse_ok("24001ms");
	assert_int_equal(ws.w[0].bucket_ms, 1000);
	ws = parse_ok("25s");
	assert_int_equal(ws.w[0].bucket_ms, 1041);

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

/* A time at a bucket's first ms is in it; one ms earlier is in the bucket before. */
static void
test_bucket_edges(void **state)
{
	struct windows	ws = parse_ok("1h,24h,7d,30d");

	(void)state;
	for (size_t i = 0; i < ws.count; i++) {
		const struct window	*w = &ws.w[i];
		int64_t			 bm = w->bucket_ms;
		const int64_t		 ks[] = { 1, 2, 24, 11967, NOW / bm, -1, -2, -24 };

		for (size_t j = 0; j < sizeof ks / sizeof ks[0]; j++) {
			int64_t	k = ks[j];

			assert_int_equal(window_bucket_of(w, k * bm), k);
			assert_int_equal(window_bucket_of(w, k * bm - 1), k - 1);
			assert_int_equal(window_bucket_of(w, k * bm + bm - 1), k);
		}
		assert_int_equal(window_bucket_of(w, 0), 0);
		assert_int_equal(window_bucket_of(w, -1), -1);
		assert_int_equal(window_bucket_of(w, 1), 0);
	}
	/* Concrete numbers for 1h (2.5 min buckets) and 24h. */
	assert_int_equal(window_bucket_of(&ws.w[0], NOW), 11968944);
	assert_int_equal(window_bucket_of(&ws.w[0], NOW - 1), 11968943);
	assert_int_equal(window_bucket_of(&ws.w[1], NOW), 498706);
	assert_int_equal(window_bucket_of(&ws.w[1], NOW + HOUR - 1), 498706);
	assert_int_equal(window_bucket_of(&ws.w[0], -150000), -1);
	assert_int_equal(window_bucket_of(&ws.w[0], -150001), -2);
	assert_int_equal(window_bucket_of(&ws.w[0], -299999), -2);
	assert_int_equal(window_bucket_of(&ws.w[0], -300000), -2);
	assert_int_equal(window_bucket_of(&ws.w[0], -300001), -3);
}

/* The first bucket at now - span boundaries, positive and negative. */
static void
test_first_bucket(void **state)
{
	struct windows	 ws = parse_ok("1h,24h");
	const struct window	*h = &ws.w[0], *d = &ws.w[1];

	(void)state;
	/* now - span lands exactly on a bucket start: that bucket is still in. */
	assert_int_equal(window_first_bucket(h, NOW), 11968944 - 24);
	assert_int_equal(window_first_bucket(h, NOW + 1), 11968944 - 23);
	assert_int_equal(window_first_bucket(h, NOW - 1), 11968944 - 24);
	assert_int_equal(window_first_bucket(h, NOW + 149999), 11968944 - 23);
	assert_int_equal(window_first_bucket(h, NOW + 150000), 11968944 - 23);
	assert_int_equal(window_first_bucket(h, NOW + 150001), 11968944 - 22);
	assert_int_equal(window_first_bucket(d, NOW), 498706 - 24);
	assert_int_equal(window_first_bucket(d, NOW + 1), 498706 - 23);
	/* Near and before the epoch, where now - span is negative. */
	assert_int_equal(window_first_bucket(h, HOUR), 0);
	assert_int_equal(window_first_bucket(h, HOUR + 1), 1);
	assert_int_equal(window_first_bucket(h, HOUR - 1), 0);
	assert_int_equal(window_first_bucket(h, 0), -24);
	assert_int_equal(window_first_bucket(h, 1), -23);
	assert_int_equal(window_first_bucket(h, -1), -24);
	assert_int_equal(window_first_bucket(h, -150000), -25);
	assert_int_equal(window_first_bucket(h, -150001), -25);
	assert_int_equal(window_first_bucket(h, -149999), -24);
}

/* Sweeps of times and nows against the defining inequalities. */
static void
test_bucket_properties(void **state)
{
	struct windows	ws = parse_ok("24s,1h,24h,7d,30d");

	(void)state;
	for (size_t i = 0; i < ws.count; i++) {
		const struct window	*w = &ws.w[i];
		int64_t			 bm = w->bucket_ms, step = bm / 7 + 1;

		for (int64_t t = -3 * w->span_ms; t <= 3 * w->span_ms; t += step) {
			int64_t	b = window_bucket_of(w, t);
			int64_t	f = window_first_bucket(w, t);

			/* b*bm <= t < (b+1)*bm */
			assert_true(b * bm <= t);
			assert_true(t < (b + 1) * bm);
			/* first is the least bucket whose start is >= t - span. */
			assert_true(f * bm >= t - w->span_ms);
			assert_true((f - 1) * bm < t - w->span_ms);
			/* A bucket holding t is still in the window at time t. */
			assert_true(f <= b);
		}
	}
}

/* A bucket expires one bucket after the last moment it is inside the window. */
static void
test_expiry(void **state)
{
	struct windows	ws = parse_ok("1h,24h,7d,30d");
	const int64_t	bs[] = { 0, 1, 11968944, 498706, -1, -25 };

	(void)state;
	assert_int_equal(window_bucket_expiry_ms(&ws.w[0], 11968944), NOW + HOUR + 150000);
	assert_int_equal(window_bucket_expiry_ms(&ws.w[1], 498706), NOW + DAY + HOUR);
	assert_int_equal(window_bucket_expiry_ms(&ws.w[0], 0), HOUR + 150000);
	assert_int_equal(window_bucket_expiry_ms(&ws.w[0], -1), HOUR);
	assert_int_equal(window_bucket_expiry_ms(&ws.w[3], 2), 27 * 30 * HOUR);
	for (size_t i = 0; i < ws.count; i++) {
		const struct window	*w = &ws.w[i];

		for (size_t j = 0; j < sizeof bs / sizeof bs[0]; j++) {
			int64_t	e = window_bucket_expiry_ms(w, bs[j]);

			/* Still read at expiry - bucket, gone one ms later. */
			assert_int_equal(window_first_bucket(w, e - w->bucket_ms), bs[j]);
			assert_int_equal(window_first_bucket(w, e - w->bucket_ms + 1), bs[j] + 1);
		}
	}
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
		cmocka_unit_test(test_bucket_edges),
		cmocka_unit_test(test_first_bucket),
		cmocka_unit_test(test_bucket_properties),
		cmocka_unit_test(test_expiry),
		cmocka_unit_test(test_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
