/* test_calendar.c: business hours: parsing, adding and measuring, across DST and holidays. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "calendar.h"
#include "timestamp.h"

#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

/* An instant from a UTC civil time. */
static int64_t
utc(int y, int mo, int d, int h, int mi)
{
	return ts_days_from_civil(y, mo, d) * DAY + h * HOUR + mi * MIN;
}

/* A spec in zone tz: weekdays' hours Monday to Friday, weekend's on Saturday and Sunday. */
static struct calendar_spec
spec_week(const char *tz, const char *weekdays, const char *weekend)
{
	struct calendar_spec	spec;
	char			reason[128] = "";

	memset(&spec, 0, sizeof spec);
	snprintf(spec.timezone, sizeof spec.timezone, "%s", tz);
	for (int w = 0; w < CALENDAR_DAYS_PER_WEEK; w++) {
		const char	*v = w < 5 ? weekdays : weekend;

		if (!calendar_parse_day(v, spec.spans[w], &spec.n_spans[w], reason, sizeof reason))
			fail_msg("\"%s\" rejected: %s", v, reason);
	}
	return spec;
}

/* Appends holidays that must parse. */
static void
add_holidays(struct calendar_spec *spec, const char *list)
{
	char	reason[128] = "";

	if (!calendar_parse_holidays(list, spec, reason, sizeof reason))
		fail_msg("\"%s\" rejected: %s", list, reason);
}

/* A calendar from a spec that must be accepted. */
static struct calendar *
new_ok(const struct calendar_spec *spec)
{
	char		 reason[128] = "";
	struct calendar	*c = calendar_new(spec, reason, sizeof reason);

	if (c == NULL)
		fail_msg("calendar refused: %s", reason);
	return c;
}

/* Europe/Berlin, Mon-Fri 09:00-18:00, with holidays (NULL: none). */
static struct calendar *
berlin_office(const char *holidays)
{
	struct calendar_spec	spec = spec_week("Europe/Berlin", "09:00-18:00", "closed");

	if (holidays != NULL)
		add_holidays(&spec, holidays);
	return new_ok(&spec);
}

/* Friday 17:30 CET (16:30Z) + 4 h: 30 min on Friday, 3 h 30 from Monday 09:00 CET (08:00Z). */
static void
test_add_over_weekend(void **state)
{
	struct calendar	*c = berlin_office(NULL);
	int64_t		 fri = utc(2026, 12, 4, 16, 30), mon = utc(2026, 12, 7, 11, 30);

	(void)state;
	assert_int_equal(calendar_add(c, fri, 4 * HOUR), mon);
	assert_int_equal(calendar_between(c, fri, mon), 4 * HOUR);
	/* The weekend counts nothing: Friday 18:00 CET (17:00Z) to Monday 09:00 CET (08:00Z). */
	assert_int_equal(calendar_between(c, utc(2026, 12, 4, 17, 0), utc(2026, 12, 7, 8, 0)), 0);
	assert_int_equal(calendar_between(c, mon, fri), 0);
	assert_string_equal(calendar_timezone(c), "Europe/Berlin");
	calendar_free(c);
}

/* Saturday is closed: business time starts at Monday 09:00 CET, so + 1 h is 10:00 CET (09:00Z). */
static void
test_add_from_closed_time(void **state)
{
	struct calendar	*c = berlin_office(NULL);
	int64_t		 sat = utc(2026, 12, 5, 10, 0);

	(void)state;
	assert_false(calendar_open_at(c, sat));
	assert_int_equal(calendar_add(c, sat, HOUR), utc(2026, 12, 7, 9, 0));
	/* Nothing to add: the start itself, closed or not. */
	assert_int_equal(calendar_add(c, sat, 0), sat);
	/* One ms: the first ms after the opening (08:00Z). */
	assert_int_equal(calendar_add(c, sat, 1), utc(2026, 12, 7, 8, 0) + 1);
	/* Friday 08:59 CET (07:59Z) + 1 min: the start waits for 09:00 CET too. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 4, 7, 59), MIN), utc(2026, 12, 4, 8, 1));
	calendar_free(c);
}

/* A whole day, a range and part of a day, on the Mon-Fri 09:00-18:00 (CET, UTC+1) calendar. */
static void
test_holidays(void **state)
{
	struct calendar	*c;

	c = berlin_office("2026-12-08, 2026-12-24..2026-12-26, 2026-12-31 13:00-18:00");

	(void)state;
	/* Monday 17:00 CET + 2 h: 1 h on Monday, Tuesday 8th closed, 1 h from Wednesday 09:00 CET. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 7, 16, 0), 2 * HOUR), utc(2026, 12, 9, 9, 0));
	assert_int_equal(calendar_between(c, utc(2026, 12, 7, 16, 0), utc(2026, 12, 9, 9, 0)),
	    2 * HOUR);
	/* Wednesday 23rd 17:00 CET + 2 h: 1 h, Thursday to Sunday closed, Monday 28th 10:00 CET. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 23, 16, 0), 2 * HOUR),
	    utc(2026, 12, 28, 9, 0));
	/* Thursday 31st is open 09:00-13:00 CET only: 12:00 CET + 2 h is Friday Jan 1st 10:00 CET. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 31, 11, 0), 2 * HOUR), utc(2027, 1, 1, 9, 0));
	assert_int_equal(calendar_between(c, utc(2026, 12, 31, 0, 0), utc(2027, 1, 1, 0, 0)),
	    4 * HOUR);
	assert_true(calendar_open_at(c, utc(2026, 12, 31, 11, 59)));
	assert_false(calendar_open_at(c, utc(2026, 12, 31, 12, 0)));
	/* 09:00 CET + 4 h is 13:00 CET (12:00Z): the end of the open time, not the next opening. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 31, 8, 0), 4 * HOUR),
	    utc(2026, 12, 31, 12, 0));
	calendar_free(c);
}

/* Europe/Berlin, every day the same hours. */
static struct calendar *
berlin_daily(const char *hours)
{
	struct calendar_spec	spec = spec_week("Europe/Berlin", hours, hours);

	return new_ok(&spec);
}

/* 2026-03-29 02:00 CET becomes 03:00 CEST: 01:00-04:00 is 00:00Z-02:00Z, 2 real hours. */
static void
test_dst_forward(void **state)
{
	struct calendar	*c = berlin_daily("01:00-04:00");
	int64_t		 open = utc(2026, 3, 29, 0, 0);

	(void)state;
	assert_int_equal(calendar_between(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
	    2 * HOUR);
	/* 01:00 CET + 1 h 30 is 03:30 CEST (01:30Z): the skipped hour is not business time. */
	assert_int_equal(calendar_add(c, open, 90 * MIN), utc(2026, 3, 29, 1, 30));
	/* The span ends at 04:00 CEST (02:00Z); a minute more is 01:01 CEST next day (23:01Z). */
	assert_int_equal(calendar_add(c, open, 2 * HOUR), utc(2026, 3, 29, 2, 0));
	assert_int_equal(calendar_add(c, open, 2 * HOUR + MIN), utc(2026, 3, 29, 23, 1));
	/* The day before is CET throughout: 3 hours, 00:00Z-03:00Z. */
	assert_int_equal(calendar_between(c, utc(2026, 3, 27, 12, 0), utc(2026, 3, 28, 12, 0)),
	    3 * HOUR);
	calendar_free(c);

	/* 02:30 does not exist that night: the span opens at 03:00 CEST (01:00Z), ends 05:00 CEST. */
	c = berlin_daily("02:30-05:00");
	assert_false(calendar_open_at(c, utc(2026, 3, 29, 0, 59)));
	assert_true(calendar_open_at(c, utc(2026, 3, 29, 1, 0)));
	assert_int_equal(calendar_add(c, utc(2026, 3, 29, 0, 0), MIN), utc(2026, 3, 29, 1, 1));
	assert_int_equal(calendar_between(c, utc(2026, 3, 28, 12, 0), utc(2026, 3, 29, 12, 0)),
	    2 * HOUR);
	calendar_free(c);
}

/* 2026-10-25 03:00 CEST becomes 02:00 CET: 01:00 CEST (23:00Z) to 04:00 CET (03:00Z) is 4 h. */
static void
test_dst_back(void **state)
{
	struct calendar	*c = berlin_daily("01:00-04:00");

	(void)state;
	assert_int_equal(calendar_between(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
	    4 * HOUR);
	/* 01:00 CEST + 3 h 30 is 03:30 CET (02:30Z): the repeated hour counts twice. */
	assert_int_equal(calendar_add(c, utc(2026, 10, 24, 23, 0), 3 * HOUR + 30 * MIN),
	    utc(2026, 10, 25, 2, 30));
	calendar_free(c);

	/* 02:30 happens twice: the span opens at the first (CEST, 00:30Z), ends 05:00 CET. */
	c = berlin_daily("02:30-05:00");
	assert_false(calendar_open_at(c, utc(2026, 10, 25, 0, 29)));
	assert_true(calendar_open_at(c, utc(2026, 10, 25, 0, 30)));
	assert_int_equal(calendar_add(c, utc(2026, 10, 24, 12, 0), MIN), utc(2026, 10, 25, 0, 31));
	assert_int_equal(calendar_between(c, utc(2026, 10, 24, 12, 0), utc(2026, 10, 25, 12, 0)),
	    3 * HOUR + 30 * MIN);
	calendar_free(c);
}

/* Offsets of half and three quarters of an hour: Friday 17:00 local + 2 h is Monday 10:00 local. */
static void
test_odd_offsets(void **state)
{
	struct calendar_spec	 kolkata = spec_week("Asia/Kolkata", "09:00-18:00", "closed");
	struct calendar_spec	 kathmandu = spec_week("Asia/Kathmandu", "09:00-18:00", "closed");
	struct calendar		*c = new_ok(&kolkata);

	(void)state;
	/* +05:30: Friday 17:00 is 11:30Z, Monday 10:00 is 04:30Z. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 4, 11, 30), 2 * HOUR),
	    utc(2026, 12, 7, 4, 30));
	assert_int_equal(calendar_between(c, utc(2026, 12, 4, 11, 30), utc(2026, 12, 7, 4, 30)),
	    2 * HOUR);
	/* Monday 08:59 local (03:29Z) is closed, 09:00 (03:30Z) open. */
	assert_false(calendar_open_at(c, utc(2026, 12, 7, 3, 29)));
	assert_true(calendar_open_at(c, utc(2026, 12, 7, 3, 30)));
	calendar_free(c);
	/* +05:45: Friday 17:00 is 11:15Z, Monday 10:00 is 04:15Z. */
	c = new_ok(&kathmandu);
	assert_int_equal(calendar_add(c, utc(2026, 12, 4, 11, 15), 2 * HOUR),
	    utc(2026, 12, 7, 4, 15));
	assert_int_equal(calendar_between(c, utc(2026, 12, 4, 11, 15), utc(2026, 12, 7, 4, 15)),
	    2 * HOUR);
	calendar_free(c);
}

/* West of UTC an evening is the next UTC day: America/New_York (-05:00), evenings open. */
static void
test_negative_offset(void **state)
{
	struct calendar_spec	 spec = spec_week("America/New_York", "09:00-12:00, 19:00-23:00",
				    "closed");
	struct calendar		*c = new_ok(&spec);
	int64_t			 fri = utc(2026, 12, 5, 3, 0);	/* Friday 22:00 EST */

	(void)state;
	assert_true(calendar_open_at(c, fri));
	/* 1 h to 23:00 EST (Saturday 04:00Z), 1 h from Monday 09:00 EST (14:00Z). */
	assert_int_equal(calendar_add(c, fri, 2 * HOUR), utc(2026, 12, 7, 15, 0));
	assert_int_equal(calendar_between(c, fri, utc(2026, 12, 7, 15, 0)), 2 * HOUR);
	calendar_free(c);
}

/* Fixed-seed xorshift64: the same instants on every run. */
static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random number in [lo, hi). */
static int64_t
rand_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(xorshift(s) % (uint64_t)(hi - lo));
}

/* Berlin (with DST), two spans a day, Saturday night running into Sunday, and holidays. */
static struct calendar_spec
property_spec(void)
{
	struct calendar_spec	spec = spec_week("Europe/Berlin", "08:00-12:00, 13:00-17:30",
				    "closed");

	assert_true(calendar_parse_day("10:00-14:00, 22:00-24:00", spec.spans[5], &spec.n_spans[5],
	    NULL, 0));
	assert_true(calendar_parse_day("00:00-03:30, 20:00-22:00", spec.spans[6], &spec.n_spans[6],
	    NULL, 0));
	add_holidays(&spec, "2026-12-24..2026-12-26, 2027-01-01, 2026-12-31 13:00-24:00, "
	    "2027-05-01, 2027-08-02..2027-08-20, 2026-03-29 02:00-03:00, 2027-10-31 00:30-01:00");
	return spec;
}

/* add and between are inverses, and every result is open time or the end of it. */
static void
test_property_inverse(void **state)
{
	struct calendar_spec	 spec = property_spec();
	struct calendar		*c = new_ok(&spec);
	uint64_t		 seed = UINT64_C(0x9e3779b97f4a7c15);
	int			 inside = 0;

	(void)state;
	for (int i = 0; i < 10000; i++) {
		int64_t	start = rand_range(&seed, utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0));
		int64_t	t = rand_range(&seed, start, start + 60 * DAY);
		int64_t	x = rand_range(&seed, 0, 200 * HOUR), r = calendar_add(c, start, x);

		/* Business time grew in t's last ms, so t is the earliest instant with that much. */
		if (t > start && calendar_open_at(c, t - 1)) {
			assert_int_equal(calendar_add(c, start, calendar_between(c, start, t)), t);
			inside++;
		}
		assert_int_equal(calendar_between(c, start, r), x);
		assert_true(x == 0 || calendar_open_at(c, r - 1));
	}
	/* About half the week is open: far more than a few hundred starts were checked. */
	assert_true(inside > 2000);
	calendar_free(c);
}

/* The instant of a local minute, straight from ICU under the rule calendar.c documents. */
static int64_t
icu_instant(UCalendar *cal, int64_t day, int minute)
{
	UErrorCode	status = U_ZERO_ERROR;
	int64_t		y;
	int		m, d;

	ts_civil_from_days(day + minute / CALENDAR_MINUTES_PER_DAY, &y, &m, &d);
	minute %= CALENDAR_MINUTES_PER_DAY;
	ucal_clear(cal);
	ucal_setDateTime(cal, (int32_t)y, m - 1, d, minute / 60, minute % 60, 0, &status);
	assert_true(U_SUCCESS(status));
	return (int64_t)ucal_getMillis(cal, &status);
}

/* Brute force: whether minute m of local day is open, by the spec's spans and holidays. */
static bool
minute_open(const struct calendar_spec *spec, int64_t day, int m)
{
	int	w = (int)(((day + 3) % 7 + 7) % 7);	/* 1970-01-01 was a Thursday */
	bool	open = false;

	for (int i = 0; i < spec->n_spans[w]; i++)
		open |= spec->spans[w][i].start_min <= m && m < spec->spans[w][i].end_min;
	for (size_t i = 0; i < spec->n_holidays; i++) {
		const struct calendar_holiday	*h = &spec->holidays[i];

		if (h->first_day <= day && day <= h->last_day && h->start_min <= m && m < h->end_min)
			open = false;
	}
	return open;
}

/* Brute force: t is open when some open local minute of the days around it maps over t. */
static bool
brute_open(UCalendar *cal, const struct calendar_spec *spec, int64_t t)
{
	int64_t	u = ts_floor_div(t, DAY);

	for (int64_t day = u - 2; day <= u + 1; day++) {
		for (int m = 0; m < CALENDAR_MINUTES_PER_DAY; m++) {
			if (minute_open(spec, day, m) && icu_instant(cal, day, m) <= t &&
			    t < icu_instant(cal, day, m + 1))
				return true;
		}
	}
	return false;
}

/* calendar_open_at agrees with the brute force, at random instants and around DST changes. */
static void
test_property_open_at(void **state)
{
	static const int	 dst[][3] = { { 2026, 3, 29 }, { 2026, 10, 25 }, { 2027, 3, 28 },
				    { 2027, 10, 31 } };
	struct calendar_spec	 spec = property_spec();
	struct calendar		*c = new_ok(&spec);
	uint64_t		 seed = UINT64_C(42);
	UErrorCode		 status = U_ZERO_ERROR;
	UChar			 zone[CALENDAR_TIMEZONE_MAX];
	UCalendar		*cal;
	int			 open = 0, n = 0;

	(void)state;
	u_uastrcpy(zone, "Europe/Berlin");
	cal = ucal_open(zone, -1, "", UCAL_GREGORIAN, &status);
	assert_true(U_SUCCESS(status));
	ucal_setAttribute(cal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
	ucal_setAttribute(cal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
	for (int i = 0; i < 40; i++) {
		int64_t	t = rand_range(&seed, utc(2026, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0));
		bool	want = brute_open(cal, &spec, t);

		assert_int_equal(calendar_open_at(c, t), want);
		open += want;
		n++;
	}
	/* Every 7 minutes through each DST night, Saturday 20:00Z to Sunday 06:00Z. */
	for (size_t k = 0; k < sizeof dst / sizeof dst[0]; k++) {
		for (int64_t t = utc(dst[k][0], dst[k][1], dst[k][2], 0, 0) - 4 * HOUR;
		    t < utc(dst[k][0], dst[k][1], dst[k][2], 6, 0); t += 7 * MIN) {
			bool	want = brute_open(cal, &spec, t);

			assert_int_equal(calendar_open_at(c, t), want);
			open += want;
			n++;
		}
	}
	/* Both answers occur, so a calendar always open (or never) would fail. */
	assert_true(open > 0 && open < n);
	ucal_close(cal);
	calendar_free(c);
}

/* The always calendar: plain arithmetic in UTC, saturating. */
static void
test_always(void **state)
{
	struct calendar	*c = calendar_always();

	(void)state;
	assert_string_equal(calendar_timezone(c), "UTC");
	assert_int_equal(calendar_add(c, utc(2026, 12, 5, 10, 0), HOUR), utc(2026, 12, 5, 11, 0));
	assert_int_equal(calendar_add(c, INT64_MAX - 10, 100), INT64_MAX);
	assert_int_equal(calendar_add(c, 5, 0), 5);
	assert_int_equal(calendar_between(c, 1000, 5000), 4000);
	assert_int_equal(calendar_between(c, 5000, 1000), 0);
	assert_int_equal(calendar_between(c, INT64_MIN, INT64_MAX), INT64_MAX);
	assert_true(calendar_open_at(c, utc(2026, 12, 5, 3, 0)));
	assert_true(calendar_open_at(c, INT64_MAX));
	/* Freeing it (or NULL) is a no-op: it still works after. */
	calendar_free(c);
	calendar_free(NULL);
	assert_ptr_equal(calendar_always(), c);
	assert_int_equal(calendar_between(c, 0, 7), 7);
}

/* Checks one weekday's value parses to the given spans (start, end pairs in minutes). */
static void
check_day(const char *value, int n, const int *want)
{
	struct calendar_span	spans[CALENDAR_SPANS_PER_DAY];
	int			got = -1;
	char			reason[128] = "";

	if (!calendar_parse_day(value, spans, &got, reason, sizeof reason))
		fail_msg("\"%s\" rejected: %s", value, reason);
	assert_int_equal(got, n);
	for (int i = 0; i < n; i++) {
		assert_int_equal(spans[i].start_min, want[2 * i]);
		assert_int_equal(spans[i].end_min, want[2 * i + 1]);
	}
}

/* Spans are sorted and adjacent ones joined; blanks are optional; "closed" and "24h". */
static void
test_parse_day(void **state)
{
	(void)state;
	check_day("09:00-12:30, 13:30-18:00", 2, (const int[]){ 540, 750, 810, 1080 });
	check_day("13:30 - 18:00,09:00-12:30", 2, (const int[]){ 540, 750, 810, 1080 });
	check_day("09:00-12:00,12:00-13:00 , 13:00-14:00", 1, (const int[]){ 540, 840 });
	check_day("  closed ", 0, NULL);
	check_day("24h", 1, (const int[]){ 0, 1440 });
	check_day("22:00-24:00", 1, (const int[]){ 1320, 1440 });
}

/* The three holiday forms, appended in the order given. */
static void
test_parse_holidays(void **state)
{
	struct calendar_spec	spec;
	int64_t			xmas = ts_days_from_civil(2026, 12, 25);

	(void)state;
	memset(&spec, 0, sizeof spec);
	assert_true(calendar_parse_holidays("", &spec, NULL, 0));
	assert_int_equal(spec.n_holidays, 0);
	add_holidays(&spec, "2026-12-25,2026-12-24 .. 2026-12-26 , 2026-12-31  13:00-24:00");
	assert_int_equal(spec.n_holidays, 3);
	assert_int_equal(spec.holidays[0].first_day, xmas);
	assert_int_equal(spec.holidays[0].last_day, xmas);
	assert_int_equal(spec.holidays[0].start_min, 0);
	assert_int_equal(spec.holidays[0].end_min, 1440);
	assert_int_equal(spec.holidays[1].first_day, xmas - 1);
	assert_int_equal(spec.holidays[1].last_day, xmas + 1);
	assert_int_equal(spec.holidays[2].first_day, xmas + 6);
	assert_int_equal(spec.holidays[2].last_day, xmas + 6);
	assert_int_equal(spec.holidays[2].start_min, 780);
	assert_int_equal(spec.holidays[2].end_min, 1440);
	/* 2024 is a leap year. */
	add_holidays(&spec, "2024-02-29");
	assert_int_equal(spec.holidays[3].first_day, ts_days_from_civil(2024, 3, 1) - 1);
}

/* A weekday value that must be refused, with exactly this reason. */
static void
check_day_error(const char *value, const char *want)
{
	struct calendar_span	spans[CALENDAR_SPANS_PER_DAY];
	int			n = -1;
	char			reason[128] = "";

	assert_false(calendar_parse_day(value, spans, &n, reason, sizeof reason));
	assert_string_equal(reason, want);
	assert_int_equal(n, -1);
}

/* A holiday list that must be refused, with exactly this reason, appending nothing. */
static void
check_holiday_error(const char *value, const char *want)
{
	struct calendar_spec	spec;
	char			reason[128] = "";

	memset(&spec, 0, sizeof spec);
	assert_false(calendar_parse_holidays(value, &spec, reason, sizeof reason));
	assert_string_equal(reason, want);
	assert_int_equal(spec.n_holidays, 0);
}

/* Every refusal says what and quotes where. */
static void
test_parse_errors(void **state)
{
	(void)state;
	check_day_error("09:00-12:00, 11:00-13:00",
	    "overlapping intervals 09:00-12:00 and 11:00-13:00");
	check_day_error("09:00-12:60", "'12:60': no such time");
	check_day_error("25:00-26:00", "'25:00': no such time");
	check_day_error("09:00-24:01", "'24:01': no such time");
	check_day_error("24:00-24:00", "'24:00-24:00': 24:00 can only end a span");
	check_day_error("18:00-09:00", "'18:00-09:00': end must be after start");
	check_day_error("9-18", "'9-18': expected HH:MM-HH:MM");
	check_day_error("09:00-12:00,", "'': expected HH:MM-HH:MM");
	check_day_error("00:00-01:00,01:00-02:00,02:00-03:00,03:00-04:00,04:00-05:00,"
	    "05:00-06:00,06:00-07:00,07:00-08:00,08:00-09:00", "more than 8 spans");
	check_holiday_error("2026-12-24, 2026-02-30", "'2026-02-30': no such date");
	check_holiday_error("2026-13-01", "'2026-13-01': no such date");
	check_holiday_error("2026-12-26..2026-12-24",
	    "'2026-12-26..2026-12-24': range ends before it starts");
	check_holiday_error("2026-12-25x", "'2026-12-25x': expected YYYY-MM-DD, "
	    "YYYY-MM-DD..YYYY-MM-DD or YYYY-MM-DD HH:MM-HH:MM");
	check_holiday_error("26-12-25", "'26-12-25': expected YYYY-MM-DD");
	check_holiday_error("2026-12-31 13:00-12:00", "'13:00-12:00': end must be after start");
}

/* calendar_new refuses an unknown zone and a week with no hours, and caps the holidays. */
static void
test_new_errors(void **state)
{
	struct calendar_spec	spec = spec_week("Europe/Berln", "09:00-18:00", "closed");
	char			reason[128] = "";

	(void)state;
	assert_null(calendar_new(&spec, reason, sizeof reason));
	assert_string_equal(reason, "unknown time zone 'Europe/Berln'");
	/* ICU canonicalizes custom ids, but they are no IANA zones. */
	snprintf(spec.timezone, sizeof spec.timezone, "GMT+5");
	assert_null(calendar_new(&spec, reason, sizeof reason));
	assert_string_equal(reason, "unknown time zone 'GMT+5'");
	spec = spec_week("Europe/Berlin", "closed", "closed");
	assert_null(calendar_new(&spec, reason, sizeof reason));
	assert_string_equal(reason, "no opening hours in the week");

	spec = spec_week("Europe/Berlin", "09:00-18:00", "closed");
	for (int i = 0; i < CALENDAR_HOLIDAYS_MAX; i++)
		add_holidays(&spec, "2026-12-25");
	assert_false(calendar_parse_holidays("2026-12-26", &spec, reason, sizeof reason));
	assert_string_equal(reason, "more than 256 holidays");
	assert_int_equal(spec.n_holidays, CALENDAR_HOLIDAYS_MAX);
}

/* A 3-week holiday is crossed; a calendar open one day a week; nothing open until 9999. */
static void
test_long_closures(void **state)
{
	struct calendar		*c = berlin_office("2026-12-21..2027-01-08");
	struct calendar_spec	 spec = spec_week("UTC", "closed", "closed");

	(void)state;
	/* Friday 18th 17:00 CET + 2 h: 1 h that day, then Monday Jan 11th 09:00-10:00 CET. */
	assert_int_equal(calendar_add(c, utc(2026, 12, 18, 16, 0), 2 * HOUR), utc(2027, 1, 11, 9, 0));
	assert_int_equal(calendar_between(c, utc(2026, 12, 18, 16, 0), utc(2027, 1, 11, 9, 0)),
	    2 * HOUR);
	calendar_free(c);
	/* Hours that cover every opening are as closed as a whole day. */
	c = berlin_office("2026-12-21..2027-01-08 08:00-19:00");
	assert_int_equal(calendar_add(c, utc(2026, 12, 18, 16, 0), 2 * HOUR), utc(2027, 1, 11, 9, 0));
	calendar_free(c);
	/* Hours that leave part of the opening leave it open: 17:00-18:00 CET, then 09:00-10:00. */
	c = berlin_office("2026-12-21..2027-01-08 08:00-17:00");
	assert_int_equal(calendar_add(c, utc(2026, 12, 18, 16, 0), 2 * HOUR),
	    utc(2026, 12, 21, 17, 0));
	calendar_free(c);
	c = berlin_office("2026-12-21..2027-01-08 10:00-19:00");
	assert_int_equal(calendar_add(c, utc(2026, 12, 18, 16, 0), 2 * HOUR),
	    utc(2026, 12, 21, 9, 0));
	calendar_free(c);

	/* Only Wednesdays 10:00-12:00 UTC: Wednesday 2nd 11:00 + 3 h is 1 h, then the 9th's 2 h. */
	assert_true(calendar_parse_day("10:00-12:00", spec.spans[2], &spec.n_spans[2], NULL, 0));
	c = new_ok(&spec);
	assert_int_equal(calendar_add(c, utc(2026, 12, 2, 11, 0), 3 * HOUR), utc(2026, 12, 9, 12, 0));
	/* A year of Wednesdays is 2 h each: 2027-01-01 (a Friday) to 2028-01-01 holds 52. */
	assert_int_equal(calendar_between(c, utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0)),
	    52 * 2 * HOUR);
	calendar_free(c);

	/* Closed from 2026 to the end of 9999: add gives up, between finds nothing, and quickly. */
	add_holidays(&spec, "2026-01-01..9999-12-31");
	c = new_ok(&spec);
	assert_int_equal(calendar_add(c, utc(2026, 12, 2, 11, 0), HOUR), INT64_MAX);
	assert_int_equal(calendar_add(c, utc(2025, 12, 31, 11, 0), 2 * HOUR), INT64_MAX);
	assert_int_equal(calendar_add(c, utc(2025, 12, 31, 11, 0), HOUR), utc(2025, 12, 31, 12, 0));
	assert_int_equal(calendar_between(c, utc(2025, 12, 31, 0, 0), INT64_MAX), 2 * HOUR);
	assert_int_equal(calendar_add(c, INT64_MAX - 1, HOUR), INT64_MAX);
	calendar_free(c);
}

/* The worked examples of docs/reply-clocks.md, to the minute. */
static void
test_doc_examples(void **state)
{
	struct calendar	*office = berlin_office("2026-12-24..2026-12-26, 2026-12-31 13:00-24:00");
	struct calendar	*nights = berlin_daily("00:00-06:00");
	int64_t		 fri = utc(2026, 12, 4, 16, 30);

	(void)state;
	/* A Friday evening: deadline Monday 12:30 CET, at risk 11:42, promise 16:30. */
	assert_int_equal(calendar_add(office, fri, 4 * HOUR), utc(2026, 12, 7, 11, 30));
	assert_int_equal(calendar_add(office, fri, 192 * MIN), utc(2026, 12, 7, 10, 42));
	assert_int_equal(calendar_add(office, fri, 8 * HOUR), utc(2026, 12, 7, 15, 30));
	/* ... and a reply Monday 10:00 CET took 1h30m of business time. */
	assert_int_equal(calendar_between(office, fri, utc(2026, 12, 7, 9, 0)), 90 * MIN);
	/* A DST night: 2 h from 01:30 CET is 04:30 CEST; in October, 02:30 CET. */
	assert_int_equal(calendar_add(nights, utc(2026, 3, 29, 0, 30), 2 * HOUR), utc(2026, 3, 29, 2, 30));
	assert_int_equal(calendar_add(nights, utc(2026, 10, 24, 23, 30), 2 * HOUR), utc(2026, 10, 25, 1, 30));
	/* A holiday: Wednesday 23 December 16:00 CET + 4 h is Monday 28 December 11:00 CET. */
	assert_int_equal(calendar_add(office, utc(2026, 12, 23, 15, 0), 4 * HOUR), utc(2026, 12, 28, 10, 0));
	/* Thursday 31 December 11:00 CET: two hours that morning, two on Friday 1 January. */
	assert_int_equal(calendar_add(office, utc(2026, 12, 31, 10, 0), 4 * HOUR), utc(2027, 1, 1, 10, 0));
	calendar_free(office);
	calendar_free(nights);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_over_weekend),
		cmocka_unit_test(test_add_from_closed_time),
		cmocka_unit_test(test_holidays),
		cmocka_unit_test(test_dst_forward),
		cmocka_unit_test(test_dst_back),
		cmocka_unit_test(test_odd_offsets),
		cmocka_unit_test(test_negative_offset),
		cmocka_unit_test(test_property_inverse),
		cmocka_unit_test(test_property_open_at),
		cmocka_unit_test(test_always),
		cmocka_unit_test(test_parse_day),
		cmocka_unit_test(test_parse_holidays),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_new_errors),
		cmocka_unit_test(test_long_closures),
		cmocka_unit_test(test_doc_examples),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
