/* month.c: calendar months in one time zone: the month of an instant, where a month begins, its name (pure). */
#include "month.h"

#include <stdio.h>
#include <string.h>

#include "timestamp.h"

#define MONTH_MS_PER_DAY INT64_C(86400000)

/* See month.h. */
void month_clock_init(struct month_clock *mc, struct calendar *calendar)
{
	memset(mc, 0, sizeof(*mc));
	mc->calendar = calendar;
}

/* See month.h. */
int64_t month_start(struct month_clock *mc, month_t m)
{
	unsigned slot = (unsigned)m % MONTH_STARTS_CACHED;
	int64_t day = ts_days_from_civil(m / 12, m % 12 + 1, 1);

	if (mc->starts[slot].month == m)
		return mc->starts[slot].start;
	mc->starts[slot].month = m;
	mc->starts[slot].start = mc->calendar != NULL ? calendar_day_start(mc->calendar, day) : day * MONTH_MS_PER_DAY;
	return mc->starts[slot].start;
}

/* See month.h. */
month_t month_of(struct month_clock *mc, int64_t ms)
{
	int64_t y;
	int m, d;
	month_t guess;

	if (mc->month != 0 && ms >= mc->start && ms < mc->end)
		return mc->month;
	/* The UTC month, then one either side: a time zone is less than a day off UTC. */
	ts_civil_from_days(ts_floor_div(ms, MONTH_MS_PER_DAY), &y, &m, &d);
	guess = (month_t)(y * 12 + m - 1);
	if (ms < month_start(mc, guess))
		guess--;
	else if (ms >= month_start(mc, guess + 1))
		guess++;
	mc->month = guess;
	mc->start = month_start(mc, guess);
	mc->end = month_start(mc, guess + 1);
	return guess;
}

/* See month.h. */
size_t month_name(month_t m, char buf[MONTH_NAME_SIZE])
{
	int n = snprintf(buf, MONTH_NAME_SIZE, "%04d-%02d", (int)(m / 12) % 10000, (int)(m % 12) + 1);

	return n < 0 ? 0 : (size_t)n;
}
