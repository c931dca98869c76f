/* timestamp.c: RFC 3339 times and durations, with our own calendar arithmetic. */

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timestamp.h"

#define MS_PER_SECOND INT64_C(1000)
#define MS_PER_MINUTE (60 * MS_PER_SECOND)
#define MS_PER_HOUR (60 * MS_PER_MINUTE)
#define MS_PER_DAY (24 * MS_PER_HOUR)

/* See timestamp.h. */
int64_t
ts_floor_div(int64_t a, int64_t b)
{
	int64_t	q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/* See timestamp.h. */
int64_t
ts_days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t	era, yoe, doy, doe;

	/* Count years from March so the leap day is the last day of the year. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* See timestamp.h. */
void
ts_civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t	era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* True in Gregorian leap years. */
static int
ts_is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Number of days in a month (1-12) of year y. */
static int
ts_days_in_month(int64_t y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (m == 2 && ts_is_leap(y))
		return 29;
	return days[m - 1];
}

/* Reads exactly n ASCII digits at *p, so "+1" or " 1" never pass as numbers. */
static int
ts_digits(const char **p, const char *end, int n, int *out)
{
	int	v = 0;

	if (end - *p < n)
		return 0;
	for (int i = 0; i < n; i++) {
		char	c = (*p)[i];

		if (c < '0' || c > '9')
			return 0;
		v = v * 10 + (c - '0');
	}
	*p += n;
	*out = v;
	return 1;
}

/* Consumes one expected separator character. */
static int
ts_expect(const char **p, const char *end, char c)
{
	if (*p >= end || **p != c)
		return 0;
	(*p)++;
	return 1;
}

/* Parses an RFC 3339 date-time into epoch milliseconds (fraction truncated to ms). */
bool
ts_parse_rfc3339(const char *s, size_t len, int64_t *out_ms)
{
	const char	*p = s, *end = s + len;
	int		 year, mon, day, hour, min, sec, ms = 0, oh, om;
	int64_t		 offset_ms = 0, t;

	if (s == NULL)
		return false;
	if (!ts_digits(&p, end, 4, &year) || !ts_expect(&p, end, '-') ||
	    !ts_digits(&p, end, 2, &mon) || !ts_expect(&p, end, '-') ||
	    !ts_digits(&p, end, 2, &day))
		return false;
	if (p >= end || (*p != 'T' && *p != 't'))
		return false;
	p++;
	if (!ts_digits(&p, end, 2, &hour) || !ts_expect(&p, end, ':') ||
	    !ts_digits(&p, end, 2, &min) || !ts_expect(&p, end, ':') ||
	    !ts_digits(&p, end, 2, &sec))
		return false;
	if (mon < 1 || mon > 12 || day < 1 || day > ts_days_in_month(year, mon))
		return false;
	/* Leap seconds are refused: epoch ms cannot represent them. */
	if (hour > 23 || min > 59 || sec > 59)
		return false;

	if (p < end && *p == '.') {
		int	n = 0;

		p++;
		/* Any number of digits is allowed; only the first three matter. */
		while (p < end && *p >= '0' && *p <= '9') {
			if (n < 3)
				ms = ms * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0)
			return false;
		for (; n < 3; n++)
			ms *= 10;
	}

	if (p < end && (*p == 'Z' || *p == 'z'))
		p++;
	else if (p < end && (*p == '+' || *p == '-')) {
		int	sign = *p == '-' ? -1 : 1;

		p++;
		if (!ts_digits(&p, end, 2, &oh) || !ts_expect(&p, end, ':') ||
		    !ts_digits(&p, end, 2, &om))
			return false;
		if (oh > 23 || om > 59)
			return false;
		offset_ms = sign * (oh * MS_PER_HOUR + om * MS_PER_MINUTE);
	} else
		return false;
	if (p != end)
		return false;

	t = ts_days_from_civil(year, mon, day) * MS_PER_DAY + hour * MS_PER_HOUR +
	    min * MS_PER_MINUTE + sec * MS_PER_SECOND + ms;
	/* Local time minus its offset is UTC. */
	*out_ms = t - offset_ms;
	return true;
}

/* Formats epoch milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void
ts_format_rfc3339(int64_t ms, char *buf, size_t size)
{
	int64_t	days, rem, y;
	int	m, d;

	if (buf == NULL || size == 0)
		return;
	days = ts_floor_div(ms, MS_PER_DAY);
	rem = ms - days * MS_PER_DAY;
	ts_civil_from_days(days, &y, &m, &d);
	snprintf(buf, size, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
	    (int)(rem / MS_PER_HOUR), (int)(rem / MS_PER_MINUTE % 60),
	    (int)(rem / MS_PER_SECOND % 60), (int)(rem % MS_PER_SECOND));
}

/* Parses "500ms", "90s", "15m", "24h", "7d" into milliseconds; rejects zero and junk. */
bool
duration_parse(const char *s, int64_t *out_ms)
{
	int64_t		 n = 0, unit;
	const char	*p = s;

	if (s == NULL || *p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (n > (INT64_MAX - (*p - '0')) / 10)
			return false;
		n = n * 10 + (*p - '0');
	}
	if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (strcmp(p, "s") == 0)
		unit = MS_PER_SECOND;
	else if (strcmp(p, "m") == 0)
		unit = MS_PER_MINUTE;
	else if (strcmp(p, "h") == 0)
		unit = MS_PER_HOUR;
	else if (strcmp(p, "d") == 0)
		unit = MS_PER_DAY;
	else
		return false;
	if (n == 0 || n > INT64_MAX / unit)
		return false;
	*out_ms = n * unit;
	return true;
}

/* Formats milliseconds in the largest unit that divides it exactly ("1h", "90s"). */
void
duration_format(int64_t ms, char *buf, size_t size)
{
	static const struct {
		int64_t		 ms;
		const char	*suffix;
	} units[] = {
		{ MS_PER_DAY, "d" },
		{ MS_PER_HOUR, "h" },
		{ MS_PER_MINUTE, "m" },
		{ MS_PER_SECOND, "s" },
	};

	if (buf == NULL || size == 0)
		return;
	/* Zero and negatives are not durations we parse; show them raw. */
	if (ms > 0) {
		for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
			if (ms % units[i].ms == 0) {
				snprintf(buf, size, "%" PRId64 "%s", ms / units[i].ms,
				    units[i].suffix);
				return;
			}
		}
	}
	snprintf(buf, size, "%" PRId64 "ms", ms);
}

/* Wall-clock time in epoch milliseconds. */
int64_t
ts_now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * MS_PER_SECOND + ts.tv_nsec / 1000000;
}
