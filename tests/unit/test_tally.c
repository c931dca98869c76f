/* test_tally.c: counts per key go up and down exactly, through growth and entry reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tally.h"

/* Counts a NUL-terminated key. */
static size_t count_of(const struct tally *t, const char *key)
{
	return tally_count(t, key, strlen(key));
}

/* Adds and removes move one key's count and nothing else's. */
static void test_add_remove(void **state)
{
	struct tally *t = tally_new();

	(void)state;
	assert_non_null(t);
	assert_int_equal(count_of(t, "a1"), 0);
	assert_true(tally_add(t, "a1", 2));
	assert_true(tally_add(t, "a1", 2));
	assert_true(tally_add(t, "a2", 2));
	assert_int_equal(count_of(t, "a1"), 2);
	assert_int_equal(count_of(t, "a2"), 1);
	assert_int_equal(tally_size(t), 2);
	tally_remove(t, "a1", 2);
	assert_int_equal(count_of(t, "a1"), 1);
	tally_remove(t, "a1", 2);
	assert_int_equal(count_of(t, "a1"), 0);
	assert_int_equal(count_of(t, "a2"), 1);
	assert_int_equal(tally_size(t), 1);
	tally_remove(t, "a1", 2); /* unknown now: ignored, never negative */
	assert_int_equal(count_of(t, "a1"), 0);
	assert_int_equal(tally_size(t), 1);
	tally_free(t);
}

/* A counted key keeps the caller's value until it is forgotten; a new count starts at 0. */
static void test_value(void **state)
{
	struct tally *t = tally_new();
	int64_t *v;

	(void)state;
	assert_null(tally_value(t, "a1", 2));
	assert_true(tally_add(t, "a1", 2));
	v = tally_value(t, "a1", 2);
	assert_non_null(v);
	assert_int_equal(*v, 0);
	*v = 1234;
	assert_true(tally_add(t, "a1", 2));
	assert_true(tally_add(t, "a2", 2));
	tally_remove(t, "a1", 2);
	assert_int_equal(*tally_value(t, "a1", 2), 1234); /* still counted once */
	assert_int_equal(*tally_value(t, "a2", 2), 0);
	tally_remove(t, "a1", 2);
	assert_null(tally_value(t, "a1", 2));
	assert_true(tally_add(t, "a1", 2)); /* the reused entry starts over */
	assert_int_equal(*tally_value(t, "a1", 2), 0);
	tally_free(t);
}

/* A key is its bytes: a prefix, or the same bytes inside a longer buffer, is another key. */
static void test_key_is_its_bytes(void **state)
{
	struct tally *t = tally_new();
	const char buf[] = "agent-7\x1fticket";

	(void)state;
	assert_true(tally_add(t, buf, 7));
	assert_int_equal(count_of(t, "agent-7"), 1);
	assert_int_equal(count_of(t, "agent-"), 0);
	assert_int_equal(count_of(t, "agent-70"), 0);
	assert_int_equal(tally_count(t, buf, sizeof(buf) - 1), 0);
	tally_free(t);
}

/* Many keys (past several growths, with reused entries) keep their exact counts. */
static void test_many_keys(void **state)
{
	struct tally *t = tally_new();
	char key[64];

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 5000; i++) {
			/* Key i is counted i % 3 + 1 times; every 7th key is long, past the spare size. */
			int n = snprintf(key, sizeof(key), i % 7 ? "a%d" : "a-long-agent-identifier-past-the-spare-%08d", i);

			for (int k = 0; k <= i % 3; k++)
				assert_true(tally_add(t, key, (size_t)n));
		}
		assert_int_equal(tally_size(t), 5000);
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(key, sizeof(key), i % 7 ? "a%d" : "a-long-agent-identifier-past-the-spare-%08d", i);

			assert_int_equal(tally_count(t, key, (size_t)n), (size_t)(i % 3 + 1));
		}
		for (int i = 0; i < 5000; i++) {
			int n = snprintf(key, sizeof(key), i % 7 ? "a%d" : "a-long-agent-identifier-past-the-spare-%08d", i);

			for (int k = 0; k <= i % 3; k++)
				tally_remove(t, key, (size_t)n);
		}
		assert_int_equal(tally_size(t), 0);
		assert_int_equal(count_of(t, "a1"), 0);
	}
	tally_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_remove),
	    cmocka_unit_test(test_value),
	    cmocka_unit_test(test_key_is_its_bytes),
	    cmocka_unit_test(test_many_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
