/* month.h: calendar months in one time zone: the month of an instant, where a month begins, its name (pure). */
#ifndef FEEDBACKD_MONTH_H
#define FEEDBACKD_MONTH_H

#include <stddef.h>
#include <stdint.h>

#include "calendar.h"

/* A month as one number: year * 12 + (month - 1), so December 2026 is 24323 and months count on. */
typedef int32_t month_t;

/* "YYYY-MM" and its NUL. */
#define MONTH_NAME_SIZE 8

/* Month starts remembered (direct-mapped by month): a flush asks for a few months over and over. */
#define MONTH_STARTS_CACHED 16

/*
 * The months of one time zone, with the month last asked for remembered: nearly every
 * instant a task asks about is in the current month, so ICU is called on a change only.
 * One thread at a time may use it, as its calendar.
 */
struct month_clock {
	struct calendar *calendar; /* NULL: UTC */
	month_t month;             /* the month remembered, [start, end); 0: none yet */
	int64_t start, end;
	struct {
		month_t month;     /* 0: empty */
		int64_t start;
	} starts[MONTH_STARTS_CACHED];
};

/* Months in calendar's time zone (NULL: UTC); the calendar is the caller's and must outlive mc. */
void month_clock_init(struct month_clock *mc, struct calendar *calendar);

/* The month the instant ms (epoch ms) falls in. */
month_t month_of(struct month_clock *mc, int64_t ms);

/* The instant month m begins: local midnight on its first day. */
int64_t month_start(struct month_clock *mc, month_t m);

/* Writes "YYYY-MM" into buf (MONTH_NAME_SIZE bytes); returns its length. */
size_t month_name(month_t m, char buf[MONTH_NAME_SIZE]);

#endif
