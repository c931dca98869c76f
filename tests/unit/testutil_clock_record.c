/* testutil_clock_record.c: the checks and terms shared by the clock record test drivers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil_clock.h"
#include "testutil_clock_record.h"

/* See testutil_clock_record.h. */
size_t
test_sbuffer_take(msgpack_sbuffer *sb, char *buf, size_t size)
{
	size_t len = sb->size;

	assert_true(len <= size);
	memcpy(buf, sb->data, len);
	msgpack_sbuffer_destroy(sb);
	return len;
}

/* See testutil_clock_record.h. */
void
test_same_run(const struct clock_run *a, const struct clock_run *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->stop, b->stop);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->goal, b->goal);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->risk_fired, b->risk_fired);
	assert_int_equal(a->breach_counted, b->breach_counted);
	assert_int_equal(a->promise_fired, b->promise_fired);
}

/* See testutil_clock_record.h. */
void
test_same_terms(const struct terms *got, const struct terms *want)
{
	assert_string_equal(got->policy, want->policy);
	assert_string_equal(got->calendar_name, want->calendar_name);
	assert_null(got->calendar);
	assert_int_equal(got->pause_mask, want->pause_mask);
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			assert_int_equal(got->goals[g].target_ms[k], want->goals[g].target_ms[k]);
		assert_int_equal(got->goals[g].promise_ms, want->goals[g].promise_ms);
		assert_int_equal(got->goals[g].at_risk_permille, want->goals[g].at_risk_permille);
	}
}

/* See testutil_clock_record.h. */
void
test_text(struct clock_text t, const char *want)
{
	assert_int_equal(t.len, strlen(want));
	assert_memory_equal(t.ptr, want, t.len);
}

/* See testutil_clock_record.h. */
void
test_vip(struct terms *t)
{
	tc_terms(t);
	snprintf(t->policy, sizeof(t->policy), "vip");
	snprintf(t->calendar_name, sizeof(t->calendar_name), "office");
	t->pause_mask = 1u << STATUS_ON_HOLD;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			t->goals[g].target_ms[k] = (g + 1) * HOUR + k;
		t->goals[g].promise_ms = (g + 2) * DAY;
		t->goals[g].at_risk_permille = (uint16_t)(g == 2 ? 1000 : 700 + g);
	}
}
