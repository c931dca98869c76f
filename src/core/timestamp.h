/* timestamp.h: event times and durations as text, and the wall clock. */
#ifndef FEEDBACKD_TIMESTAMP_H
#define FEEDBACKD_TIMESTAMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "2026-11-22T10:00:00.123Z" plus the terminating NUL. */
#define TS_RFC3339_SIZE 25

/* Parses an RFC 3339 date-time into epoch milliseconds (fraction truncated to ms). */
bool ts_parse_rfc3339(const char *s, size_t len, int64_t *out_ms);

/* Formats epoch milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void ts_format_rfc3339(int64_t ms, char *buf, size_t size);

/* Parses "500ms", "90s", "15m", "24h", "7d" into milliseconds; rejects zero and junk. */
bool duration_parse(const char *s, int64_t *out_ms);

/* Formats milliseconds in the largest unit that divides it exactly ("1h", "90s"). */
void duration_format(int64_t ms, char *buf, size_t size);

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
int64_t ts_days_from_civil(int64_t y, int64_t m, int64_t d);

/* The date of a day count since 1970-01-01; the inverse of ts_days_from_civil. */
void ts_civil_from_days(int64_t z, int64_t *y, int *m, int *d);

/* Floor division for b > 0 (C truncates toward zero), so times before 1970 work too. */
int64_t ts_floor_div(int64_t a, int64_t b);

/* Wall-clock time in epoch milliseconds. */
int64_t ts_now_ms(void);

#endif
