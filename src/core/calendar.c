/* calendar.c: business hours in a time zone, with holidays: business time added and measured (pure). */
#include "calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucal.h>
#include <unicode/ustring.h>

#include "timestamp.h"

#define CALENDAR_MS_PER_DAY INT64_C(86400000)
/* Local days kept converted; a power of two, so a day's slot is its low bits. */
#define CALENDAR_CACHE_DAYS 64
/* The local days business time is looked for on: 0001-01-01 to 9999-12-31. */
#define CALENDAR_FIRST_DAY INT64_C(-719162)
#define CALENDAR_LAST_DAY INT64_C(2932896)
/*
 * Offsets stay under a day, and a skipped wall time moves an instant at most a day later, so
 * the local days whose open intervals can hold an instant of UTC day u are u - 2 .. u + 1.
 */
#define CALENDAR_DAYS_BEFORE 2
#define CALENDAR_DAYS_AFTER 1
/* 1970-01-01, day 0, was a Thursday (Monday is 0). */
#define CALENDAR_EPOCH_WEEKDAY 3
/* The most open intervals one day can have: every other minute open. */
#define CALENDAR_RUNS_MAX (CALENDAR_MINUTES_PER_DAY / 2)
/* Quoted config text in a reason is cut to this many bytes. */
#define CALENDAR_QUOTE_MAX 40

/* Open time as instants, [start_ms, end_ms). */
struct calendar_interval {
	int64_t	start_ms;
	int64_t	end_ms;
};

/* One local day in the cache: its open intervals, in order. */
struct calendar_day {
	int64_t				 day;	/* INT64_MIN: an empty slot */
	size_t				 n;
	struct calendar_interval	*iv;	/* day_cap entries of the pool */
};

/* Local days closed all day, both included. */
struct calendar_closed {
	int64_t	first_day;
	int64_t	last_day;
};

/* Not for two threads at once: every query may fill the day cache. */
struct calendar {
	struct calendar_spec		 spec;		/* holidays sorted by first_day */
	UCalendar			*ucal;		/* NULL only for calendar_always() */
	struct calendar_closed		 closed[CALENDAR_HOLIDAYS_MAX];	/* sorted, apart */
	size_t				 n_closed;
	size_t				 day_cap;	/* most intervals one day can have */
	struct calendar_day		 days[CALENDAR_CACHE_DAYS];
	struct calendar_interval	*pool;
};

static struct calendar calendar_always_calendar = { .spec = { .timezone = "UTC" } };

static bool	calendar_reject(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Writes a reason; returns false, so a parser can return it. */
static bool
calendar_reject(char *reason, size_t reason_size, const char *fmt, ...)
{
	va_list	ap;

	if (reason == NULL || reason_size == 0)
		return false;
	va_start(ap, fmt);
	vsnprintf(reason, reason_size, fmt, ap);
	va_end(ap);
	return false;
}

/* How much of [s, end) a reason quotes: a long entry is cut short. */
static int
calendar_quote(const char *s, const char *end)
{
	return end - s > CALENDAR_QUOTE_MAX ? CALENDAR_QUOTE_MAX : (int)(end - s);
}

/* Blanks are allowed around list items and separators. */
static bool
calendar_is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Drops blanks from both ends of [*s, *end). */
static void
calendar_trim(const char **s, const char **end)
{
	while (*s < *end && calendar_is_space(**s))
		(*s)++;
	while (*end > *s && calendar_is_space((*end)[-1]))
		(*end)--;
}

/* Cuts the next comma-separated item, trimmed, off [*p, end); false after the last one. */
static bool
calendar_item(const char **p, const char *end, const char **item, const char **item_end)
{
	const char	*comma;

	if (*p == NULL)
		return false;
	comma = memchr(*p, ',', (size_t)(end - *p));
	*item = *p;
	*item_end = comma != NULL ? comma : end;
	*p = comma != NULL ? comma + 1 : NULL;
	calendar_trim(item, item_end);
	return true;
}

/*
 * Reads text shaped like pattern ("dddd-dd-dd"): each run of 'd' is a number of exactly that
 * many digits, stored in out in turn, so "+1" or " 1" never pass; other characters are literal.
 */
static bool
calendar_scan(const char **p, const char *end, const char *pattern, int *out)
{
	const char	*q = *p;
	int		 n = -1;

	for (size_t i = 0; pattern[i] != '\0'; i++, q++) {
		if (q >= end || (pattern[i] == 'd' ? *q < '0' || *q > '9' : *q != pattern[i]))
			return false;
		if (pattern[i] != 'd')
			continue;
		if (i == 0 || pattern[i - 1] != 'd')
			out[++n] = 0;
		out[n] = out[n] * 10 + (*q - '0');
	}
	*p = q;
	return true;
}

/* Consumes sep with optional blanks around it; consumes nothing when sep is not there. */
static bool
calendar_separator(const char **p, const char *end, const char *sep)
{
	const char	*q = *p;
	size_t		 n = strlen(sep);

	while (q < end && calendar_is_space(*q))
		q++;
	if ((size_t)(end - q) < n || memcmp(q, sep, n) != 0)
		return false;
	for (q += n; q < end && calendar_is_space(*q); q++)
		;
	*p = q;
	return true;
}

/* Parses "HH:MM-HH:MM" (blanks allowed around the dash), the whole of [s, end). */
static bool
calendar_parse_span(const char *s, const char *end, struct calendar_span *span, char *reason,
    size_t reason_size)
{
	const char	*p = s;
	int		 hm[4], min[2];	/* hours and minutes of start and end */

	if (!calendar_scan(&p, end, "dd:dd", hm) || !calendar_separator(&p, end, "-") ||
	    !calendar_scan(&p, end, "dd:dd", hm + 2) || p != end)
		return calendar_reject(reason, reason_size, "'%.*s': expected HH:MM-HH:MM",
		    calendar_quote(s, end), s);
	for (int i = 0; i < 2; i++) {
		int	h = hm[2 * i], m = hm[2 * i + 1];

		if (h > 24 || m > 59 || (h == 24 && m > 0))
			return calendar_reject(reason, reason_size, "'%02d:%02d': no such time", h,
			    m);
		min[i] = h * 60 + m;
	}
	if (min[0] == CALENDAR_MINUTES_PER_DAY)
		return calendar_reject(reason, reason_size, "'%.*s': 24:00 can only end a span",
		    calendar_quote(s, end), s);
	if (min[1] <= min[0])
		return calendar_reject(reason, reason_size, "'%.*s': end must be after start",
		    calendar_quote(s, end), s);
	span->start_min = min[0];
	span->end_min = min[1];
	return true;
}

/* See calendar.h. */
bool
calendar_parse_day(const char *value, struct calendar_span *spans, int *n, char *reason,
    size_t reason_size)
{
	struct calendar_span	 got[CALENDAR_SPANS_PER_DAY];
	const char		*p = value != NULL ? value : "", *end = p + strlen(p), *s, *e;
	int			 count = 0, joined = 0;

	calendar_trim(&p, &end);
	if (end - p == 6 && memcmp(p, "closed", 6) == 0) {
		*n = 0;
		return true;
	}
	if (end - p == 3 && memcmp(p, "24h", 3) == 0) {
		p = "00:00-24:00";
		end = p + strlen(p);
	}
	while (calendar_item(&p, end, &s, &e)) {
		if (count == CALENDAR_SPANS_PER_DAY)
			return calendar_reject(reason, reason_size, "more than %d spans",
			    CALENDAR_SPANS_PER_DAY);
		if (!calendar_parse_span(s, e, &got[count], reason, reason_size))
			return false;
		/* Insertion sort: there are a handful at most. */
		for (int i = count++; i > 0 && got[i - 1].start_min > got[i].start_min; i--) {
			struct calendar_span	t = got[i];

			got[i] = got[i - 1];
			got[i - 1] = t;
		}
	}
	for (int i = 1; i < count; i++) {
		if (got[i - 1].end_min > got[i].start_min)
			return calendar_reject(reason, reason_size,
			    "overlapping intervals %02d:%02d-%02d:%02d and %02d:%02d-%02d:%02d",
			    got[i - 1].start_min / 60, got[i - 1].start_min % 60,
			    got[i - 1].end_min / 60, got[i - 1].end_min % 60,
			    got[i].start_min / 60, got[i].start_min % 60,
			    got[i].end_min / 60, got[i].end_min % 60);
	}
	/* Written only now, so a refused value leaves the caller's spans alone. */
	for (int i = 0; i < count; i++) {
		if (joined > 0 && spans[joined - 1].end_min == got[i].start_min)
			spans[joined - 1].end_min = got[i].end_min;
		else
			spans[joined++] = got[i];
	}
	*n = joined;
	return true;
}

/* Reads "YYYY-MM-DD" at *p as a day number; false with a reason that quotes it otherwise. */
static bool
calendar_date(const char **p, const char *end, int64_t *day, char *reason, size_t reason_size)
{
	const char	*s = *p;
	int64_t		 y;
	int		 ymd[3], m, d;

	if (!calendar_scan(p, end, "dddd-dd-dd", ymd))
		return calendar_reject(reason, reason_size, "'%.*s': expected YYYY-MM-DD",
		    calendar_quote(s, end), s);
	/* The round trip refuses what the arithmetic would roll over: Feb 30, month 13, day 0. */
	*day = ts_days_from_civil(ymd[0], ymd[1], ymd[2]);
	ts_civil_from_days(*day, &y, &m, &d);
	if (y != ymd[0] || m != ymd[1] || d != ymd[2])
		return calendar_reject(reason, reason_size, "'%.10s': no such date", s);
	return true;
}

/* Parses one holiday entry, the whole of [s, end). */
static bool
calendar_parse_holiday(const char *s, const char *end, struct calendar_holiday *h, char *reason,
    size_t reason_size)
{
	const char		*p = s;
	struct calendar_span	 span = { 0, CALENDAR_MINUTES_PER_DAY };

	if (!calendar_date(&p, end, &h->first_day, reason, reason_size))
		return false;
	h->last_day = h->first_day;
	if (calendar_separator(&p, end, "..")) {
		if (!calendar_date(&p, end, &h->last_day, reason, reason_size))
			return false;
		if (h->last_day < h->first_day)
			return calendar_reject(reason, reason_size,
			    "'%.*s': range ends before it starts", calendar_quote(s, end), s);
	}
	/* Hours after a date, or after a range: those hours of each of its days. */
	if (p < end && calendar_is_space(*p)) {
		while (p < end && calendar_is_space(*p))
			p++;
		if (!calendar_parse_span(p, end, &span, reason, reason_size))
			return false;
	} else if (p != end)
		return calendar_reject(reason, reason_size,
		    "'%.*s': expected YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD or YYYY-MM-DD HH:MM-HH:MM",
		    calendar_quote(s, end), s);
	h->start_min = span.start_min;
	h->end_min = span.end_min;
	return true;
}

/* See calendar.h. */
bool
calendar_parse_holidays(const char *value, struct calendar_spec *spec, char *reason,
    size_t reason_size)
{
	const char	*p = value != NULL ? value : "", *end = p + strlen(p), *s, *e;
	size_t		 had = spec->n_holidays;
	bool		 ok = true;

	calendar_trim(&p, &end);
	if (p == end)
		return true;
	while (ok && calendar_item(&p, end, &s, &e)) {
		if (spec->n_holidays == CALENDAR_HOLIDAYS_MAX)
			ok = calendar_reject(reason, reason_size, "more than %d holidays",
			    CALENDAR_HOLIDAYS_MAX);
		else if ((ok = calendar_parse_holiday(s, e, &spec->holidays[spec->n_holidays],
		    reason, reason_size)))
			spec->n_holidays++;
	}
	/* All or nothing: a refused list appends no entry. */
	if (!ok)
		spec->n_holidays = had;
	return ok;
}

/* Whether ICU knows name as an IANA zone; zone receives it in UTF-16 for ucal_open. */
static bool
calendar_zone_known(const char *name, UChar *zone)
{
	UChar		canonical[CALENDAR_TIMEZONE_MAX];
	UBool		system = false;
	UErrorCode	status = U_ZERO_ERROR;

	if (memchr(name, '\0', CALENDAR_TIMEZONE_MAX) == NULL)
		return false;
	u_uastrcpy(zone, name);
	/*
	 * ucal_open takes any name and falls back to "Etc/Unknown" (GMT); this refuses what it
	 * does not know, and custom ids ("GMT+5"), which are not system zones.
	 */
	ucal_getCanonicalTimeZoneID(zone, -1, canonical, CALENDAR_TIMEZONE_MAX, &system, &status);
	return U_SUCCESS(status) && system;
}

/* Whether [start, end) is a non-empty stretch of one day. */
static bool
calendar_minutes_ok(int start, int end)
{
	return start >= 0 && start < end && end <= CALENDAR_MINUTES_PER_DAY;
}

/* Checks the zone, what the parsers guarantee (for a hand-built spec too), and the week's hours. */
static bool
calendar_spec_ok(const struct calendar_spec *spec, UChar *zone, char *reason, size_t reason_size)
{
	bool	ok = spec->n_holidays <= CALENDAR_HOLIDAYS_MAX, open = false;

	if (!calendar_zone_known(spec->timezone, zone))
		return calendar_reject(reason, reason_size, "unknown time zone '%.*s'",
		    CALENDAR_TIMEZONE_MAX, spec->timezone);

	for (int w = 0; ok && w < CALENDAR_DAYS_PER_WEEK; w++) {
		ok = spec->n_spans[w] >= 0 && spec->n_spans[w] <= CALENDAR_SPANS_PER_DAY;
		for (int i = 0; ok && i < spec->n_spans[w]; i++)
			ok = calendar_minutes_ok(spec->spans[w][i].start_min,
			    spec->spans[w][i].end_min);
		open |= spec->n_spans[w] > 0;
	}
	for (size_t i = 0; ok && i < spec->n_holidays; i++) {
		const struct calendar_holiday	*h = &spec->holidays[i];

		ok = calendar_minutes_ok(h->start_min, h->end_min) && h->first_day <= h->last_day &&
		    h->last_day <= CALENDAR_LAST_DAY;
	}
	if (!ok)
		return calendar_reject(reason, reason_size, "spans or holidays out of range");
	if (!open)
		return calendar_reject(reason, reason_size, "no opening hours in the week");
	return true;
}

/* Orders holidays by first day, for calendar_close_days. */
static int
calendar_holiday_cmp(const void *a, const void *b)
{
	int64_t	x = ((const struct calendar_holiday *)a)->first_day;
	int64_t	y = ((const struct calendar_holiday *)b)->first_day;

	return (x > y) - (x < y);
}

/*
 * Merges the holidays that cover every opening hour of the week into whole closed days, so
 * that a long holiday is skipped in one step instead of day by day.
 */
static void
calendar_close_days(struct calendar *c)
{
	int	first = CALENDAR_MINUTES_PER_DAY, last = 0;

	for (int w = 0; w < CALENDAR_DAYS_PER_WEEK; w++) {
		for (int i = 0; i < c->spec.n_spans[w]; i++) {
			if (c->spec.spans[w][i].start_min < first)
				first = c->spec.spans[w][i].start_min;
			if (c->spec.spans[w][i].end_min > last)
				last = c->spec.spans[w][i].end_min;
		}
	}
	for (size_t i = 0; i < c->spec.n_holidays; i++) {
		const struct calendar_holiday	*h = &c->spec.holidays[i];
		struct calendar_closed		*prev;

		if (h->start_min > first || h->end_min < last)
			continue;
		prev = c->n_closed > 0 ? &c->closed[c->n_closed - 1] : NULL;
		/* Sorted by first day: one that overlaps or touches the last stretch extends it. */
		if (prev != NULL && h->first_day <= prev->last_day + 1) {
			if (h->last_day > prev->last_day)
				prev->last_day = h->last_day;
		} else
			c->closed[c->n_closed++] = (struct calendar_closed){ h->first_day,
			    h->last_day };
	}
}

/* See calendar.h. */
struct calendar *
calendar_new(const struct calendar_spec *spec, char *reason, size_t reason_size)
{
	struct calendar	*c;
	UChar		 zone[CALENDAR_TIMEZONE_MAX];
	UErrorCode	 status = U_ZERO_ERROR;

	if (!calendar_spec_ok(spec, zone, reason, reason_size))
		return NULL;
	if ((c = calloc(1, sizeof *c)) == NULL) {
		calendar_reject(reason, reason_size, "out of memory");
		return NULL;
	}
	c->spec = *spec;
	qsort(c->spec.holidays, c->spec.n_holidays, sizeof c->spec.holidays[0],
	    calendar_holiday_cmp);
	calendar_close_days(c);
	/* A day's open runs: its spans' at most, plus one per holiday that cuts a run in two. */
	c->day_cap = CALENDAR_SPANS_PER_DAY + c->spec.n_holidays;
	if (c->day_cap > CALENDAR_RUNS_MAX)
		c->day_cap = CALENDAR_RUNS_MAX;
	c->pool = calloc(CALENDAR_CACHE_DAYS * c->day_cap, sizeof *c->pool);
	c->ucal = ucal_open(zone, -1, "", UCAL_GREGORIAN, &status);
	if (U_SUCCESS(status)) {
		/* See calendar_instant. */
		ucal_setAttribute(c->ucal, UCAL_REPEATED_WALL_TIME, UCAL_WALLTIME_FIRST);
		ucal_setAttribute(c->ucal, UCAL_SKIPPED_WALL_TIME, UCAL_WALLTIME_NEXT_VALID);
		/* Proleptic Gregorian, as ts_civil_from_days counts, not Julian before 1582. */
		ucal_setGregorianChange(c->ucal, U_DATE_MIN, &status);
	}
	if (c->pool == NULL || U_FAILURE(status)) {
		calendar_reject(reason, reason_size, "time zone '%s': %s", c->spec.timezone,
		    c->pool == NULL ? "out of memory" : u_errorName(status));
		calendar_free(c);
		return NULL;
	}
	for (size_t i = 0; i < CALENDAR_CACHE_DAYS; i++) {
		c->days[i].day = INT64_MIN;
		c->days[i].iv = c->pool + i * c->day_cap;
	}
	return c;
}

/* See calendar.h. */
struct calendar *
calendar_always(void)
{
	return &calendar_always_calendar;
}

/* See calendar.h. */
void
calendar_free(struct calendar *c)
{
	if (c == NULL || c == &calendar_always_calendar)
		return;
	ucal_close(c->ucal);
	free(c->pool);
	free(c);
}

/* See calendar.h. */
const char *
calendar_timezone(const struct calendar *c)
{
	return c->spec.timezone;
}

/* See calendar.h. */
const struct calendar_spec *
calendar_spec(const struct calendar *c)
{
	return &c->spec;
}

/* See calendar.h. */
bool
calendar_same(const struct calendar *a, const struct calendar *b)
{
	const struct calendar_spec *x = &a->spec, *y = &b->spec;

	if (a == b)
		return true;
	if (a == &calendar_always_calendar || b == &calendar_always_calendar ||
	    strcmp(x->timezone, y->timezone) != 0 || x->n_holidays != y->n_holidays)
		return false;
	for (int d = 0; d < CALENDAR_DAYS_PER_WEEK; d++)
		if (x->n_spans[d] != y->n_spans[d] ||
		    memcmp(x->spans[d], y->spans[d], (size_t)x->n_spans[d] * sizeof(x->spans[d][0])) != 0)
			return false;
	for (size_t i = 0; i < x->n_holidays; i++)
		if (x->holidays[i].first_day != y->holidays[i].first_day ||
		    x->holidays[i].last_day != y->holidays[i].last_day ||
		    x->holidays[i].start_min != y->holidays[i].start_min ||
		    x->holidays[i].end_min != y->holidays[i].end_min)
			return false;
	return true;
}

/*
 * The instant of local minute 0..1440 of a local day; business time is the real time between
 * such instants. A wall time a spring-forward gap skips becomes the first instant after the
 * gap; one a fall-back repeats becomes its first occurrence (ICU's UCAL_WALLTIME_NEXT_VALID
 * and UCAL_WALLTIME_FIRST); 24:00 is the next day's 00:00. So in Europe/Berlin 01:00-04:00
 * lasts 2 real hours on the spring-forward night and 4 on the fall-back one, and a span
 * opening at 02:30 opens at 03:00 CEST, or at the first 02:30 (CEST).
 */
static int64_t
calendar_instant(struct calendar *c, int64_t day, int minute)
{
	UErrorCode	status = U_ZERO_ERROR;
	int64_t		y;
	int		m, d;

	ts_civil_from_days(day + minute / CALENDAR_MINUTES_PER_DAY, &y, &m, &d);
	minute %= CALENDAR_MINUTES_PER_DAY;
	ucal_clear(c->ucal);
	ucal_setDateTime(c->ucal, (int32_t)y, UCAL_JANUARY + m - 1, d, minute / 60, minute % 60, 0,
	    &status);
	/* Cannot fail: the calendar is lenient and opened, and every field is in range. */
	return (int64_t)ucal_getMillis(c->ucal, &status);
}

/* Fills cache slot e with a local day: its weekday's spans less its holidays, as instants. */
static void
calendar_fill(struct calendar *c, struct calendar_day *e, int64_t day)
{
	bool	open[CALENDAR_MINUTES_PER_DAY];
	int64_t	w = day + CALENDAR_EPOCH_WEEKDAY;

	w -= ts_floor_div(w, CALENDAR_DAYS_PER_WEEK) * CALENDAR_DAYS_PER_WEEK;
	memset(open, 0, sizeof open);
	for (int i = 0; i < c->spec.n_spans[w]; i++)
		memset(open + c->spec.spans[w][i].start_min, 1,
		    (size_t)(c->spec.spans[w][i].end_min - c->spec.spans[w][i].start_min));
	for (size_t i = 0; i < c->spec.n_holidays && c->spec.holidays[i].first_day <= day; i++) {
		const struct calendar_holiday	*h = &c->spec.holidays[i];

		if (day <= h->last_day)
			memset(open + h->start_min, 0, (size_t)(h->end_min - h->start_min));
	}
	e->day = day;
	e->n = 0;
	for (int m = 0; m < CALENDAR_MINUTES_PER_DAY; m++) {
		int64_t	start, end;

		if (!open[m])
			continue;
		start = calendar_instant(c, day, m);
		while (m < CALENDAR_MINUTES_PER_DAY && open[m])
			m++;
		end = calendar_instant(c, day, m);
		/* A run inside a skipped hour lasts no real time. */
		if (start < end)
			e->iv[e->n++] = (struct calendar_interval){ start, end };
	}
}

/* The local day after day, past whole closed days: a long holiday is one step. */
static int64_t
calendar_next_day(const struct calendar *c, int64_t day)
{
	size_t	lo = 0, hi = c->n_closed;

	day++;
	/* lo ends just past the last closed stretch starting on or before day. */
	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;

		if (c->closed[mid].first_day <= day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo > 0 && day <= c->closed[lo - 1].last_day)
		day = c->closed[lo - 1].last_day + 1;
	return day;
}

/*
 * Walks open time in [from_ms, to_ms) forward until budget ms of it have passed; returns how
 * much it walked, and *at where the budget ran out (when it did). Days are stepped, not minutes.
 */
static int64_t
calendar_walk(struct calendar *c, int64_t from_ms, int64_t to_ms, int64_t budget, int64_t *at)
{
	int64_t	walked = 0;
	int64_t	first = ts_floor_div(from_ms, CALENDAR_MS_PER_DAY) - CALENDAR_DAYS_BEFORE;
	int64_t	last = ts_floor_div(to_ms - 1, CALENDAR_MS_PER_DAY) + CALENDAR_DAYS_AFTER;

	if (first < CALENDAR_FIRST_DAY)
		first = CALENDAR_FIRST_DAY;
	if (last > CALENDAR_LAST_DAY)
		last = CALENDAR_LAST_DAY;
	for (int64_t d = first; d <= last; d = calendar_next_day(c, d)) {
		struct calendar_day	*day = &c->days[(uint64_t)d % CALENDAR_CACHE_DAYS];

		/* ICU is called on a cache miss only. */
		if (day->day != d)
			calendar_fill(c, day, d);
		for (size_t i = 0; i < day->n; i++) {
			int64_t	lo = day->iv[i].start_ms > from_ms ? day->iv[i].start_ms : from_ms;
			int64_t	hi = day->iv[i].end_ms < to_ms ? day->iv[i].end_ms : to_ms;

			if (lo >= hi)
				continue;
			/* The earliest instant: the end of an interval, not the next opening. */
			if (hi - lo >= budget - walked) {
				*at = lo + (budget - walked);
				return budget;
			}
			walked += hi - lo;
		}
	}
	return walked;
}

/* See calendar.h. */
bool
calendar_open_at(struct calendar *c, int64_t t_ms)
{
	if (c->ucal == NULL)
		return true;
	return t_ms < INT64_MAX && calendar_between(c, t_ms, t_ms + 1) > 0;
}

/* See calendar.h; a negative amount counts as 0. */
int64_t
calendar_add(struct calendar *c, int64_t start_ms, int64_t business_ms)
{
	int64_t	at;

	if (business_ms <= 0)
		return start_ms;
	if (c->ucal == NULL)
		return start_ms > INT64_MAX - business_ms ? INT64_MAX : start_ms + business_ms;
	if (calendar_walk(c, start_ms, INT64_MAX, business_ms, &at) < business_ms)
		return INT64_MAX;
	return at;
}

/* See calendar.h. */
int64_t
calendar_between(struct calendar *c, int64_t from_ms, int64_t to_ms)
{
	int64_t	at;

	if (to_ms <= from_ms)
		return 0;
	if (c->ucal == NULL)
		return from_ms < 0 && to_ms > INT64_MAX + from_ms ? INT64_MAX : to_ms - from_ms;
	return calendar_walk(c, from_ms, to_ms, INT64_MAX, &at);
}

/* See calendar.h; always is UTC. */
int64_t
calendar_day_start(struct calendar *c, int64_t day)
{
	if (c->ucal == NULL)
		return day * CALENDAR_MS_PER_DAY;
	return calendar_instant(c, day, 0);
}
