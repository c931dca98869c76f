/* test_month.c: calendar months in UTC and in a time zone: boundaries at local midnight, DST, names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "month.h"
#include "timestamp.h"

/* An RFC 3339 instant in ms. */
static int64_t at(const char *text)
{
	int64_t ms;

	assert_true(ts_parse_rfc3339(text, strlen(text), &ms));
	return ms;
}

/* "YYYY-MM" of month m. */
static const char *name(month_t m)
{
	static char buf[MONTH_NAME_SIZE];

	month_name(m, buf);
	return buf;
}

/* A calendar in zone, open around the clock (only its time zone matters here). */
static struct calendar *zone_calendar(const char *zone)
{
	struct calendar_spec spec;
	char reason[128];
	struct calendar *c;

	memset(&spec, 0, sizeof(spec));
	snprintf(spec.timezone, sizeof(spec.timezone), "%s", zone);
	for (int d = 0; d < CALENDAR_DAYS_PER_WEEK; d++) {
		spec.n_spans[d] = 1;
		spec.spans[d][0] = (struct calendar_span){0, CALENDAR_MINUTES_PER_DAY};
	}
	c = calendar_new(&spec, reason, sizeof(reason));
	assert_non_null(c);
	return c;
}

/* UTC: a month is [the 1st 00:00Z, the next 1st 00:00Z); numbers count on across years. */
static void test_utc(void **state)
{
	struct month_clock mc;

	(void)state;
	month_clock_init(&mc, NULL);
	assert_int_equal(month_of(&mc, at("2026-12-05T10:00:00Z")), 2026 * 12 + 11);
	assert_string_equal(name(month_of(&mc, at("2026-12-05T10:00:00Z"))), "2026-12");
	assert_string_equal(name(month_of(&mc, at("2026-11-30T23:59:59.999Z"))), "2026-11");
	assert_string_equal(name(month_of(&mc, at("2027-01-01T00:00:00Z"))), "2027-01");
	assert_string_equal(name(month_of(&mc, at("2026-12-31T23:59:59.999Z"))), "2026-12");
	assert_string_equal(name(month_of(&mc, at("2028-02-29T12:00:00Z"))), "2028-02");
	assert_int_equal(month_start(&mc, 2026 * 12 + 11), at("2026-12-01T00:00:00Z"));
	assert_int_equal(month_start(&mc, 2026 * 12 + 12), at("2027-01-01T00:00:00Z"));
	assert_string_equal(name(2026 * 12 + 12), "2027-01");
	/* asked again after another month: the remembered one is not taken for it */
	assert_string_equal(name(month_of(&mc, at("2026-11-15T00:00:00Z"))), "2026-11");
	assert_string_equal(name(month_of(&mc, at("2026-12-15T00:00:00Z"))), "2026-12");
}

/*
 * A zone east of UTC starts its month before 00:00Z, one west after it; DST moves the offset
 * (Berlin: +01:00 on 1 November, +02:00 on 1 October; New York: -05:00 in December).
 */
static void test_time_zones(void **state)
{
	struct calendar *berlin = zone_calendar("Europe/Berlin"), *ny = zone_calendar("America/New_York");
	struct calendar *kolkata = zone_calendar("Asia/Kolkata");
	struct month_clock mc;

	(void)state;
	month_clock_init(&mc, berlin);
	assert_int_equal(month_start(&mc, 2026 * 12 + 10), at("2026-10-31T23:00:00Z"));
	assert_int_equal(month_start(&mc, 2026 * 12 + 9), at("2026-09-30T22:00:00Z"));
	assert_string_equal(name(month_of(&mc, at("2026-10-31T22:59:59.999Z"))), "2026-10");
	assert_string_equal(name(month_of(&mc, at("2026-10-31T23:00:00Z"))), "2026-11");
	assert_string_equal(name(month_of(&mc, at("2026-12-31T23:30:00Z"))), "2027-01");

	month_clock_init(&mc, ny);
	assert_int_equal(month_start(&mc, 2026 * 12 + 11), at("2026-12-01T05:00:00Z"));
	assert_string_equal(name(month_of(&mc, at("2026-12-01T04:59:59Z"))), "2026-11");
	assert_string_equal(name(month_of(&mc, at("2026-12-01T05:00:00Z"))), "2026-12");
	assert_string_equal(name(month_of(&mc, at("2027-01-01T03:00:00Z"))), "2026-12");

	month_clock_init(&mc, kolkata);
	assert_int_equal(month_start(&mc, 2026 * 12 + 11), at("2026-11-30T18:30:00Z"));
	assert_string_equal(name(month_of(&mc, at("2026-11-30T18:29:59Z"))), "2026-11");
	assert_string_equal(name(month_of(&mc, at("2026-11-30T18:30:00Z"))), "2026-12");
	calendar_free(berlin);
	calendar_free(ny);
	calendar_free(kolkata);
}

/* Runs the month tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_time_zones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
