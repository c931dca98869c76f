/* test_pauses.c: the status timeline and clock time with pauses, by hand, on always and on a business calendar. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "pauses.h"
#include "timestamp.h"

#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define PAUSING (1u << STATUS_PENDING | 1u << STATUS_ON_HOLD)

/* Epoch ms of a UTC civil time. */
static int64_t
utc(int64_t y, int m, int d, int hh, int mm)
{
	return ts_days_from_civil(y, m, d) * 24 * HOUR + hh * HOUR + mm * MIN;
}

/* The same changes in two arrival orders make the same timeline. */
static void
test_order_does_not_matter(void **state)
{
	struct pauses a = {0}, b = {0};

	(void)state;
	assert_true(pauses_note(&a, 100, STATUS_PENDING));
	assert_true(pauses_note(&a, 200, STATUS_OPEN));
	assert_true(pauses_note(&a, 200, STATUS_ON_HOLD));
	assert_true(pauses_note(&b, 200, STATUS_ON_HOLD));
	assert_true(pauses_note(&b, 200, STATUS_OPEN));
	assert_true(pauses_note(&b, 100, STATUS_PENDING));
	assert_false(pauses_note(&b, 100, STATUS_PENDING)); /* a repeat changes nothing */
	assert_int_equal(a.n, 3);
	assert_memory_equal(&a, &b, sizeof(a));
	/* At one instant, the higher status (on_hold over open) is the one in force. */
	assert_int_equal(pauses_status_at(&a, 99), STATUS_OPEN);
	assert_int_equal(pauses_status_at(&a, 100), STATUS_PENDING);
	assert_int_equal(pauses_status_at(&a, 199), STATUS_PENDING);
	assert_int_equal(pauses_status_at(&a, 200), STATUS_ON_HOLD);
}

/* Elapsed clock time leaves out the paused stretches only, and only statuses in the mask. */
static void
test_elapsed_always(void **state)
{
	struct calendar *cal = calendar_always();
	struct pauses p = {0};

	(void)state;
	pauses_note(&p, 10 * MIN, STATUS_PENDING);
	pauses_note(&p, 25 * MIN, STATUS_OPEN);
	pauses_note(&p, 40 * MIN, STATUS_ON_HOLD);
	/* 0-10 runs, 10-25 paused, 25-40 runs, 40-60 paused: 25 minutes. */
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, 0, 60 * MIN), 25 * MIN);
	/* Only pending pauses: on_hold from 40 runs. */
	assert_int_equal(pauses_elapsed(&p, 1u << STATUS_PENDING, cal, 0, 60 * MIN), 45 * MIN);
	/* No pausing status at all: wall time. */
	assert_int_equal(pauses_elapsed(&p, 0, cal, 0, 60 * MIN), 60 * MIN);
	/* Starting inside a pause. */
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, 15 * MIN, 30 * MIN), 5 * MIN);
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, 30 * MIN, 30 * MIN), 0);
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, 30 * MIN, 20 * MIN), 0);
}

/* The deadline moves by exactly the paused time, and a pause still in force holds it. */
static void
test_deadline_always(void **state)
{
	struct calendar *cal = calendar_always();
	struct pauses p = {0};

	(void)state;
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 0, HOUR), HOUR);
	pauses_note(&p, 10 * MIN, STATUS_PENDING);
	/* Paused at 10 minutes with no change after: held. */
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 0, HOUR), PAUSES_NEVER);
	/* A span used up before the pause is not held by it. */
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 0, 10 * MIN), 10 * MIN);
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 0, 5 * MIN), 5 * MIN);
	pauses_note(&p, 35 * MIN, STATUS_OPEN);
	/* 25 paused minutes: the hour ends at 85 minutes. */
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 0, HOUR), 85 * MIN);
	/* A clock started during the pause starts counting when it ends. */
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, 20 * MIN, HOUR), 95 * MIN);
	/* A status outside the mask does not pause. */
	assert_int_equal(pauses_deadline(&p, 1u << STATUS_ON_HOLD, cal, 0, HOUR), HOUR);
	/* Elapsed and deadline agree. */
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, 0, 85 * MIN), HOUR);
}

/* Pauses on a business calendar: paused business time is what moves the deadline. */
static void
test_deadline_business_hours(void **state)
{
	struct calendar_spec spec;
	struct calendar *cal;
	struct pauses p = {0};
	char reason[128];

	(void)state;
	memset(&spec, 0, sizeof(spec));
	snprintf(spec.timezone, sizeof(spec.timezone), "UTC");
	for (int d = 0; d < 5; d++) {
		spec.n_spans[d] = 1;
		spec.spans[d][0] = (struct calendar_span){9 * 60, 17 * 60};
	}
	cal = calendar_new(&spec, reason, sizeof(reason));
	assert_non_null(cal);
	/*
	 * Friday 2026-12-04 16:00 UTC, 4 business hours: 1 on Friday, 3 on Monday = Monday 12:00.
	 * Pending Friday 16:30 to Monday 10:00: 30 business minutes on Friday and 1 hour on
	 * Monday are paused, so the deadline is Monday 13:30.
	 */
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, utc(2026, 12, 4, 16, 0), 4 * HOUR),
	    utc(2026, 12, 7, 12, 0));
	pauses_note(&p, utc(2026, 12, 4, 16, 30), STATUS_PENDING);
	pauses_note(&p, utc(2026, 12, 7, 10, 0), STATUS_OPEN);
	assert_int_equal(pauses_deadline(&p, PAUSING, cal, utc(2026, 12, 4, 16, 0), 4 * HOUR),
	    utc(2026, 12, 7, 13, 30));
	assert_int_equal(pauses_elapsed(&p, PAUSING, cal, utc(2026, 12, 4, 16, 0),
	    utc(2026, 12, 7, 13, 30)), 4 * HOUR);
	calendar_free(cal);
}

/* Pruning keeps the change in force at the clock's start and all later ones. */
static void
test_prune(void **state)
{
	struct pauses p = {0};

	(void)state;
	pauses_note(&p, 10, STATUS_PENDING);
	pauses_note(&p, 20, STATUS_OPEN);
	pauses_note(&p, 30, STATUS_ON_HOLD);
	pauses_prune(&p, 25);
	assert_int_equal(p.n, 2);
	assert_int_equal(p.at[0].ts, 20);
	assert_int_equal(pauses_status_at(&p, 25), STATUS_OPEN);
	pauses_prune(&p, 5);
	assert_int_equal(p.n, 2);
}

/* A full timeline drops its oldest change, and refuses one older than all it keeps. */
static void
test_full(void **state)
{
	struct pauses p = {0};

	(void)state;
	for (int i = 0; i < PAUSES_MAX; i++)
		assert_true(pauses_note(&p, 100 + i, i % 2 ? STATUS_OPEN : STATUS_PENDING));
	assert_true(pauses_note(&p, 1000, STATUS_SOLVED));
	assert_int_equal(p.n, PAUSES_MAX);
	assert_int_equal(p.at[0].ts, 101);
	assert_int_equal(p.at[PAUSES_MAX - 1].ts, 1000);
	assert_false(pauses_note(&p, 50, STATUS_PENDING));
	assert_int_equal(p.at[0].ts, 101);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_order_does_not_matter),
		cmocka_unit_test(test_elapsed_always),
		cmocka_unit_test(test_deadline_always),
		cmocka_unit_test(test_deadline_business_hours),
		cmocka_unit_test(test_prune),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
