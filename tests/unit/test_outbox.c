/* test_outbox.c: the outbox's numbering, delivery and hand-over from an earlier holder (pure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "outbox.h"

/* What a flush reported removed. */
static uint64_t removed[16];
static size_t removed_n;

/* Sink: entries added are not looked at. */
static bool sink_added(void *arg, const struct outbox_entry *e, const char *blob, size_t len)
{
	(void)arg, (void)e, (void)blob, (void)len;
	return true;
}

/* Sink: records the entries removed. */
static bool sink_removed(void *arg, uint64_t seq)
{
	(void)arg;
	assert_true(removed_n < 16);
	removed[removed_n++] = seq;
	return true;
}

/* Adds n alerts to o (numbered on from its next number) and commits them. */
static void add_committed(struct outbox *o, int n)
{
	const struct outbox_sink sink = {sink_added, sink_removed, NULL};

	for (int i = 0; i < n; i++)
		assert_true(outbox_add(o, OUTBOX_ALERT, 0, strdup("{}"), 2));
	assert_true(outbox_flush(o, &sink));
	outbox_committed(o);
}

/* Asserts that o's committed entries are exactly want[0..n). */
static void assert_entries(const struct outbox *o, const uint64_t *want, size_t n)
{
	uint64_t at = 0;

	for (size_t i = 0; i < n; i++) {
		const struct outbox_entry *e = outbox_after(o, at);

		assert_non_null(e);
		assert_int_equal(e->seq, want[i]);
		at = e->seq;
	}
	assert_null(outbox_after(o, at));
}

/*
 * The earlier holder delivered 2 and 4 of its 1..5 and also made 6, never committed (so it
 * still holds it); this one restored 1..5 and made 6 and 7 of its own: 2 and 4 are dropped
 * here and reported removed by the next flush; 6 and 7 stay (6 the earlier holder still holds,
 * 7 is past its numbers).
 */
static void test_delivered_by(void **state)
{
	const struct outbox_sink sink = {sink_added, sink_removed, NULL};
	struct outbox prev, o;

	(void)state;
	removed_n = 0;
	outbox_init(&prev);
	outbox_init(&o);
	add_committed(&prev, 5);
	assert_true(outbox_add(&prev, OUTBOX_ALERT, 0, strdup("{}"), 2));
	outbox_delivered(&prev, 2);
	outbox_delivered(&prev, 4);
	add_committed(&o, 7);
	removed_n = 0;
	outbox_delivered_by(&o, &prev);
	assert_entries(&o, (const uint64_t[]){1, 3, 5, 6, 7}, 5);
	assert_true(outbox_changed(&o));
	assert_true(outbox_flush(&o, &sink));
	assert_int_equal(removed_n, 2);
	assert_int_equal(removed[0], 2);
	assert_int_equal(removed[1], 4);
	/* Again: nothing more to drop. */
	outbox_delivered_by(&o, &prev);
	assert_false(outbox_changed(&o));
	outbox_free(&prev);
	outbox_free(&o);
}

/* An earlier holder that delivered everything it had: every entry below its numbers goes. */
static void test_delivered_by_all(void **state)
{
	struct outbox prev, o;

	(void)state;
	outbox_init(&prev);
	outbox_init(&o);
	add_committed(&prev, 3);
	for (uint64_t s = 1; s <= 3; s++)
		outbox_delivered(&prev, s);
	add_committed(&o, 4);
	outbox_delivered_by(&o, &prev);
	assert_entries(&o, (const uint64_t[]){4}, 1);
	outbox_free(&prev);
	outbox_free(&o);
}

/* Runs the tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delivered_by),
		cmocka_unit_test(test_delivered_by_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
