/* test_timestamp.c: RFC 3339 and duration parsing and formatting. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

#define NOW_2026 INT64_C(1795341600000) /* 2026-11-22T10:00:00Z */

struct parse_case {
	const char	*in;
	bool		 ok;
	int64_t		 ms;
};

static const struct parse_case parse_cases[] = {
	{ "2026-11-22T10:00:00Z", true, NOW_2026 },
	{ "2026-11-22t10:00:00z", true, NOW_2026 },
	{ "2026-11-22T10:00:00.1Z", true, NOW_2026 + 100 },
	{ "2026-11-22T10:00:00.12Z", true, NOW_2026 + 120 },
	{ "2026-11-22T10:00:00.123Z", true, NOW_2026 + 123 },
	{ "2026-11-22T10:00:00.123456789Z", true, NOW_2026 + 123 },
	{ "2026-11-22T10:00:00.999999Z", true, NOW_2026 + 999 },
	{ "2026-11-22T10:00:00.000Z", true, NOW_2026 },
	{ "2026-11-22T12:00:00+02:00", true, NOW_2026 },
	{ "2026-11-22T04:30:00-05:30", true, NOW_2026 },
	{ "2026-11-22T10:00:00+00:00", true, NOW_2026 },
	{ "2026-11-22T10:00:00-00:00", true, NOW_2026 },
	{ "2026-11-23T09:59:00+23:59", true, NOW_2026 },
	{ "2026-11-22T12:00:00.250+02:00", true, NOW_2026 + 250 },
	{ "1970-01-01T00:00:00Z", true, 0 },
	{ "1970-01-01T00:00:00+01:00", true, -3600000 },
	{ "1969-12-31T23:59:59.999Z", true, -1 },
	{ "2000-01-01T00:00:00Z", true, INT64_C(946684800000) },
	{ "2024-02-29T12:00:00Z", true, INT64_C(1709208000000) },
	{ "2000-02-29T00:00:00Z", true, INT64_C(951782400000) },
	{ "1900-03-01T00:00:00Z", true, INT64_C(-2203891200000) },
	{ "2100-02-28T00:00:00Z", true, INT64_C(4107456000000) },
	{ "0001-01-01T00:00:00Z", true, INT64_C(-62135596800000) },
	{ "9999-12-31T23:59:59.999Z", true, INT64_C(253402300799999) },
	{ "2026-04-30T00:00:00Z", true, INT64_C(1777507200000) },
	{ "2026-12-31T23:59:59Z", true, INT64_C(1798761599000) },

	/* Calendar and clock ranges. */
	{ "2023-02-29T12:00:00Z", false, 0 },
	{ "1900-02-29T00:00:00Z", false, 0 },
	{ "2100-02-29T00:00:00Z", false, 0 },
	{ "2024-02-30T00:00:00Z", false, 0 },
	{ "2026-04-31T00:00:00Z", false, 0 },
	{ "2026-00-10T00:00:00Z", false, 0 },
	{ "2026-13-10T00:00:00Z", false, 0 },
	{ "2026-01-00T00:00:00Z", false, 0 },
	{ "2026-01-32T00:00:00Z", false, 0 },
	{ "2026-01-01T24:00:00Z", false, 0 },
	{ "2026-01-01T00:60:00Z", false, 0 },
	{ "2026-01-01T00:00:60Z", false, 0 },
	{ "2026-12-31T23:59:60Z", false, 0 },
	{ "2026-01-01T00:00:00+24:00", false, 0 },
	{ "2026-01-01T00:00:00+02:60", false, 0 },

	/* Shape and junk. */
	{ "", false, 0 },
	{ "2026-11-22", false, 0 },
	{ "2026-11-22T10:00:00", false, 0 },
	{ "2026-11-22T10:00Z", false, 0 },
	{ "2026-11-22 10:00:00Z", false, 0 },
	{ "2026-11-22X10:00:00Z", false, 0 },
	{ "2026-1-22T10:00:00Z", false, 0 },
	{ "26-11-22T10:00:00Z", false, 0 },
	{ "+2026-11-22T10:00:00Z", false, 0 },
	{ " 2026-11-22T10:00:00Z", false, 0 },
	{ "2026-11-22T10:00:00Z ", false, 0 },
	{ "2026-11-22T10:00:00Zjunk", false, 0 },
	{ "2026-11-22T10:00:00ZZ", false, 0 },
	{ "2026-11-22T10:00:00.Z", false, 0 },
	{ "2026-11-22T10:00:00,5Z", false, 0 },
	{ "2026-11-22T10:00:00.5 Z", false, 0 },
	{ "2026-11-22T10:00:00.5x", false, 0 },
	{ "2026-11-22T10:00:00+0200", false, 0 },
	{ "2026-11-22T10:00:00+02", false, 0 },
	{ "2026-11-22T10:00:00+2:00", false, 0 },
	{ "2026-11-22T10:00:00+02:00:00", false, 0 },
	{ "2026-11-22T10:0a:00Z", false, 0 },
	{ "2026-11-22T1 :00:00Z", false, 0 },
};

/* Every row of the parse table. */
static void
test_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
		const struct parse_case	*c = &parse_cases[i];
		int64_t			 ms = INT64_C(-777);
		bool			 ok;

		ok = ts_parse_rfc3339(c->in, strlen(c->in), &ms);
		if (ok != c->ok || (ok && ms != c->ms))
			fail_msg("case %zu \"%s\": ok %d ms %lld, want ok %d ms %lld", i,
			    c->in, ok, (long long)ms, c->ok, (long long)c->ms);
		/* A rejection must not touch the output. */
		if (!ok)
			assert_int_equal(ms, -777);
	}
}

/* Only len bytes are read: the input need not be NUL-terminated. */
static void
test_parse_length_bound(void **state)
{
	const char	 raw[] = { '2', '0', '2', '6', '-', '1', '1', '-', '2', '2', 'T',
	    '1', '0', ':', '0', '0', ':', '0', '0', 'Z' };
	const char	*longer = "2026-11-22T10:00:00Zgarbage";
	int64_t		 ms = 0;

	(void)state;
	assert_true(ts_parse_rfc3339(raw, sizeof raw, &ms));
	assert_int_equal(ms, NOW_2026);
	ms = 0;
	assert_true(ts_parse_rfc3339(longer, 20, &ms));
	assert_int_equal(ms, NOW_2026);
	assert_false(ts_parse_rfc3339(longer, 19, &ms));
	assert_false(ts_parse_rfc3339(longer, 21, &ms));
	assert_false(ts_parse_rfc3339(longer, 0, &ms));
	/* A fraction cut by len ends where len ends. */
	assert_true(ts_parse_rfc3339("2026-11-22T10:00:00.5Z9", 22, &ms));
	assert_int_equal(ms, NOW_2026 + 500);
}

struct format_case {
	int64_t		 ms;
	const char	*out;
};

static const struct format_case format_cases[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ -1, "1969-12-31T23:59:59.999Z" },
	{ -86400000, "1969-12-31T00:00:00.000Z" },
	{ -86400001, "1969-12-30T23:59:59.999Z" },
	{ NOW_2026, "2026-11-22T10:00:00.000Z" },
	{ NOW_2026 + 123, "2026-11-22T10:00:00.123Z" },
	{ NOW_2026 + 7, "2026-11-22T10:00:00.007Z" },
	{ INT64_C(1709208000000), "2024-02-29T12:00:00.000Z" },
	{ INT64_C(951782400000), "2000-02-29T00:00:00.000Z" },
	{ INT64_C(-2203891200000), "1900-03-01T00:00:00.000Z" },
	{ INT64_C(-62135596800000), "0001-01-01T00:00:00.000Z" },
	{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
	{ INT64_C(1798761599000), "2026-12-31T23:59:59.000Z" },
};

/* Every row of the format table, and each parses back to itself. */
static void
test_format_table(void **state)
{
	char	buf[TS_RFC3339_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
		int64_t	back = 0;

		ts_format_rfc3339(format_cases[i].ms, buf, sizeof buf);
		assert_string_equal(buf, format_cases[i].out);
		assert_int_equal(strlen(buf), TS_RFC3339_SIZE - 1);
		assert_true(ts_parse_rfc3339(buf, strlen(buf), &back));
		assert_int_equal(back, format_cases[i].ms);
	}
}

/* Format then parse is the identity across years 1..9999, at odd times of day. */
static void
test_round_trip_sweep(void **state)
{
	const int64_t	day = INT64_C(86400000);
	const int64_t	first = INT64_C(-719162), last = INT64_C(2932896);
	char		buf[TS_RFC3339_SIZE];
	size_t		n = 0;

	(void)state;
	/* first and last are the day numbers of 0001-01-01 and 9999-12-31. */
	for (int64_t d = first; d <= last; d += 97) {
		int64_t	ms = d * day + (d * 7919 % day + day) % day, back = 0;

		ts_format_rfc3339(ms, buf, sizeof buf);
		if (!ts_parse_rfc3339(buf, strlen(buf), &back) || back != ms)
			fail_msg("round trip of %lld gave \"%s\" -> %lld", (long long)ms,
			    buf, (long long)back);
		n++;
	}
	assert_true(n > 30000);
	/* Every day of a leap and a common year, at the last millisecond. */
	for (int64_t d = 19358; d < 19358 + 366 + 365; d++) {
		int64_t	ms = d * day + day - 1, back = 0;

		ts_format_rfc3339(ms, buf, sizeof buf);
		assert_true(ts_parse_rfc3339(buf, strlen(buf), &back));
		assert_int_equal(back, ms);
	}
}

/* A short buffer gets a NUL-terminated prefix, never an overflow. */
static void
test_format_short_buffer(void **state)
{
	char	buf[10];

	(void)state;
	memset(buf, 'x', sizeof buf);
	ts_format_rfc3339(NOW_2026, buf, sizeof buf);
	assert_string_equal(buf, "2026-11-2");
	ts_format_rfc3339(NOW_2026, buf, 0);
	assert_string_equal(buf, "2026-11-2");
}

struct duration_case {
	const char	*in;
	bool		 ok;
	int64_t		 ms;
};

static const struct duration_case duration_cases[] = {
	{ "1ms", true, 1 },
	{ "500ms", true, 500 },
	{ "1s", true, 1000 },
	{ "90s", true, 90000 },
	{ "15m", true, 900000 },
	{ "1h", true, 3600000 },
	{ "24h", true, 86400000 },
	{ "7d", true, 604800000 },
	{ "30d", true, INT64_C(2592000000) },
	{ "05m", true, 300000 },
	{ "9223372036854775807ms", true, INT64_MAX },
	{ "106751991167d", true, INT64_C(9223372036828800000) },
	{ "9223372036854775808ms", false, 0 },
	{ "106751991168d", false, 0 },
	{ "99999999999999999999999s", false, 0 },
	{ "", false, 0 },
	{ "0ms", false, 0 },
	{ "0s", false, 0 },
	{ "000d", false, 0 },
	{ "-5s", false, 0 },
	{ "+5s", false, 0 },
	{ "5", false, 0 },
	{ "s", false, 0 },
	{ "ms", false, 0 },
	{ "5 s", false, 0 },
	{ " 5s", false, 0 },
	{ "5s ", false, 0 },
	{ "5sec", false, 0 },
	{ "5S", false, 0 },
	{ "5H", false, 0 },
	{ "1.5h", false, 0 },
	{ "5mss", false, 0 },
	{ "5w", false, 0 },
	{ "1h30m", false, 0 },
	{ "0x10s", false, 0 },
};

/* Every row of the duration parse table. */
static void
test_duration_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof duration_cases / sizeof duration_cases[0]; i++) {
		const struct duration_case	*c = &duration_cases[i];
		int64_t				 ms = -777;
		bool				 ok = duration_parse(c->in, &ms);

		if (ok != c->ok || (ok && ms != c->ms) || (!ok && ms != -777))
			fail_msg("case \"%s\": ok %d ms %lld, want ok %d ms %lld", c->in, ok,
			    (long long)ms, c->ok, (long long)c->ms);
	}
}

struct dformat_case {
	int64_t		 ms;
	const char	*out;
};

static const struct dformat_case dformat_cases[] = {
	{ 3600000, "1h" },
	{ 90000, "90s" },
	{ 1500, "1500ms" },
	{ 86400000, "1d" },
	{ 1, "1ms" },
	{ 1000, "1s" },
	{ 60000, "1m" },
	{ 5400000, "90m" },
	{ 604800000, "7d" },
	{ INT64_C(2592000000), "30d" },
	{ 90061000, "90061s" },
	{ 90000000, "25h" },
	{ 300000, "5m" },
	{ 0, "0ms" },
};

/* Every row of the duration format table; positive ones parse back. */
static void
test_duration_format_table(void **state)
{
	char	buf[32];

	(void)state;
	for (size_t i = 0; i < sizeof dformat_cases / sizeof dformat_cases[0]; i++) {
		int64_t	back = 0;

		duration_format(dformat_cases[i].ms, buf, sizeof buf);
		assert_string_equal(buf, dformat_cases[i].out);
		if (dformat_cases[i].ms > 0) {
			assert_true(duration_parse(buf, &back));
			assert_int_equal(back, dformat_cases[i].ms);
		}
	}
	duration_format(3600000, buf, 2);
	assert_string_equal(buf, "1");
}

/*
 * The wall clock in milliseconds agrees with time(2) to within a second. time(2) reads a
 * coarse clock that can still show the previous second after the precise one moved on,
 * hence a second of slack either side (a wrong unit is still off by far more).
 */
static void
test_now(void **state)
{
	int64_t	before, now, after;

	(void)state;
	before = ((int64_t)time(NULL) - 1) * 1000;
	now = ts_now_ms();
	after = ((int64_t)time(NULL) + 2) * 1000;
	assert_true(now >= before);
	assert_true(now < after);
}

/* Runs the timestamp tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_table),
		cmocka_unit_test(test_parse_length_bound),
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_round_trip_sweep),
		cmocka_unit_test(test_format_short_buffer),
		cmocka_unit_test(test_duration_parse_table),
		cmocka_unit_test(test_duration_format_table),
		cmocka_unit_test(test_now),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
