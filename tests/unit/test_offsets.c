/* test_offsets.c: the commit point never passes an unfinished offset. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "offsets.h"

/* Asserts the next commit point, or that it did not move (expected < 0). */
static void expect_take(struct offsets *p, const char *topic, int32_t partition, int64_t expected)
{
	int64_t next = -1;
	bool moved = offsets_take(p, topic, partition, &next);

	if (expected < 0) {
		assert_false(moved);
	} else {
		assert_true(moved);
		assert_int_equal(next, expected);
	}
}

/* In-order completion moves the commit point step by step. */
static void test_in_order(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	for (int64_t o = 10; o < 15; o++)
		assert_true(offsets_begin(p, "t", 0, o));
	expect_take(p, "t", 0, 10);
	offsets_done(p, "t", 0, 10);
	offsets_done(p, "t", 0, 11);
	expect_take(p, "t", 0, 12);
	expect_take(p, "t", 0, -1); /* reported once */
	assert_int_equal(offsets_unfinished(p), 3);
	offsets_free(p);
}

/* A dead letter still in flight holds the commit point while later batches finish. */
static void test_hole_holds_commit(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	for (int64_t o = 0; o < 100; o++)
		offsets_begin(p, "t", 3, o);
	for (int64_t o = 0; o < 100; o++)
		if (o != 42)
			offsets_done(p, "t", 3, o);
	expect_take(p, "t", 3, 42);
	assert_int_equal(offsets_unfinished(p), 1);
	offsets_done(p, "t", 3, 42);
	expect_take(p, "t", 3, 100);
	assert_int_equal(offsets_unfinished(p), 0);
	offsets_free(p);
}

/* Offsets the broker skipped (compaction, transaction markers) count as finished. */
static void test_gaps(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	offsets_begin(p, "t", 0, 5);
	offsets_begin(p, "t", 0, 9);
	offsets_done(p, "t", 0, 5);
	expect_take(p, "t", 0, 9);
	offsets_done(p, "t", 0, 9);
	expect_take(p, "t", 0, 10);
	offsets_free(p);
}

/* Partitions and topics are independent; unknown ones and repeats are ignored. */
static void test_partitions_independent(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	offsets_begin(p, "a", 0, 0);
	offsets_begin(p, "a", 1, 0);
	offsets_begin(p, "b", 0, 7);
	offsets_done(p, "a", 1, 0);
	offsets_done(p, "a", 1, 0);   /* twice: no effect */
	offsets_done(p, "zz", 9, 0);  /* unknown: no effect */
	expect_take(p, "a", 1, 1);
	expect_take(p, "a", 0, 0);
	expect_take(p, "b", 0, 7);
	assert_int_equal(offsets_unfinished(p), 2);
	offsets_free(p);
}

/* Growth past the initial ring keeps order, also when the ring has wrapped. */
static void test_ring_growth(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	for (int64_t o = 0; o < 50; o++)
		offsets_begin(p, "t", 0, o);
	for (int64_t o = 0; o < 40; o++)
		offsets_done(p, "t", 0, o);
	for (int64_t o = 50; o < 5000; o++)
		offsets_begin(p, "t", 0, o);
	expect_take(p, "t", 0, 40);
	for (int64_t o = 4999; o >= 40; o--)
		offsets_done(p, "t", 0, o);
	expect_take(p, "t", 0, 5000);
	offsets_free(p);
}

/* A forgotten partition ignores late completions. */
static void test_forget(void **state)
{
	struct offsets *p = offsets_new();

	(void)state;
	offsets_begin(p, "t", 0, 151);
	offsets_forget(p, "t", 0);
	assert_int_equal(offsets_unfinished(p), 0);
	offsets_done(p, "t", 0, 151); /* late completion after a revoke: ignored */
	expect_take(p, "t", 0, -1);
	offsets_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_in_order),
	    cmocka_unit_test(test_hole_holds_commit),
	    cmocka_unit_test(test_gaps),
	    cmocka_unit_test(test_partitions_independent),
	    cmocka_unit_test(test_ring_growth),
	    cmocka_unit_test(test_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
