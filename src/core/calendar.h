/* calendar.h: business hours in a time zone, with holidays: business time added and measured (pure). */
#ifndef FEEDBACKD_CALENDAR_H
#define FEEDBACKD_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CALENDAR_TIMEZONE_MAX 64     /* bytes of an IANA name, NUL included */
#define CALENDAR_SPANS_PER_DAY 8     /* opening intervals one weekday may have */
#define CALENDAR_HOLIDAYS_MAX 256    /* holiday entries one calendar may have */
#define CALENDAR_MINUTES_PER_DAY 1440
#define CALENDAR_DAYS_PER_WEEK 7

/* One opening interval of a day, [start, end) in minutes after local midnight; end <= 1440. */
struct calendar_span {
	int start_min;
	int end_min;
};

/*
 * A closed stretch: local dates first_day..last_day (days since 1970-01-01, both included),
 * each closed over [start_min, end_min) minutes after local midnight (0 and 1440: all day).
 */
struct calendar_holiday {
	int64_t first_day;
	int64_t last_day;
	int start_min;
	int end_min;
};

/* Everything a calendar is made from, as [calendar.NAME] gives it. Weekday 0 is Monday. */
struct calendar_spec {
	char timezone[CALENDAR_TIMEZONE_MAX];
	int n_spans[CALENDAR_DAYS_PER_WEEK];
	struct calendar_span spans[CALENDAR_DAYS_PER_WEEK][CALENDAR_SPANS_PER_DAY];
	size_t n_holidays;
	struct calendar_holiday holidays[CALENDAR_HOLIDAYS_MAX];
};

/* A calendar caches the days it converted: one thread at a time may use it. */
struct calendar;

/*
 * Parses one weekday's hours, "09:00-12:30, 13:30-18:00", "24h" or "closed", into spans
 * sorted and not overlapping (adjacent ones are joined); "24:00" may end a span. False with a
 * reason ("'9-18': expected HH:MM-HH:MM") otherwise.
 */
bool calendar_parse_day(const char *value, struct calendar_span *spans, int *n, char *reason,
    size_t reason_size);

/*
 * Parses a comma-separated holiday list and appends it to spec: "2026-12-25" (a day),
 * "2026-12-24..2026-12-26" (days, both included), "2026-12-31 13:00-24:00" (part of a day).
 * False with a reason on a malformed entry, a range that ends before it starts, or more than
 * CALENDAR_HOLIDAYS_MAX entries.
 */
bool calendar_parse_holidays(const char *value, struct calendar_spec *spec, char *reason,
    size_t reason_size);

/*
 * A calendar from spec; NULL with a reason when the time zone is not one ICU knows, or the
 * week has no opening hours at all.
 */
struct calendar *calendar_new(const struct calendar_spec *spec, char *reason, size_t reason_size);

/* The name of the built-in calendar, which no [calendar.NAME] may take. */
#define CALENDAR_ALWAYS "always"

/* The built-in "always" calendar: every instant is business time, in UTC. Never freed. */
struct calendar *calendar_always(void);

/* Frees a calendar from calendar_new (NULL and calendar_always() are ignored). */
void calendar_free(struct calendar *c);

/* What a calendar was made from (always: UTC and no hours). */
const struct calendar_spec *calendar_spec(const struct calendar *c);

/* Whether two calendars were made from the same spec (always is only itself). */
bool calendar_same(const struct calendar *a, const struct calendar *b);

/* The IANA time zone ("UTC" for always). */
const char *calendar_timezone(const struct calendar *c);

/* Whether the instant t (epoch ms) is business time. */
bool calendar_open_at(struct calendar *c, int64_t t_ms);

/*
 * The earliest instant at which business_ms of business time have passed since start_ms
 * (start_ms itself for 0); INT64_MAX when that lies past the year 9999.
 */
int64_t calendar_add(struct calendar *c, int64_t start_ms, int64_t business_ms);

/* Business time in [from_ms, to_ms), in ms; 0 when to_ms <= from_ms. */
int64_t calendar_between(struct calendar *c, int64_t from_ms, int64_t to_ms);

/* The instant a local day (days since 1970-01-01 in the calendar's time zone) begins. */
int64_t calendar_day_start(struct calendar *c, int64_t day);

#endif
