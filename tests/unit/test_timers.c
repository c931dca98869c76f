/* test_timers.c: the deadline heap against a naive list, by hand and at random. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "timers.h"

#define NAIVE_MAX 512

/* The model: each handle's deadline, or absent. */
struct naive {
	bool has[NAIVE_MAX];
	int64_t due[NAIVE_MAX];
};

/* The model's earliest entry by (due, handle), or -1 when empty. */
static int
naive_first(const struct naive *m)
{
	int best = -1;

	for (int h = 0; h < NAIVE_MAX; h++)
		if (m->has[h] && (best < 0 || m->due[h] < m->due[best]))
			best = h;
	return best;
}

/* The model's number of entries. */
static size_t
naive_count(const struct naive *m)
{
	size_t n = 0;

	for (int h = 0; h < NAIVE_MAX; h++)
		n += m->has[h];
	return n;
}

/* Checks the heap against the model: count, earliest entry, and every handle's deadline. */
static void
naive_check(const struct timers *t, const struct naive *m)
{
	int first = naive_first(m);
	int64_t due;
	uint32_t handle;

	assert_int_equal(timers_count(t), naive_count(m));
	if (first < 0) {
		assert_false(timers_peek(t, &due, &handle));
		return;
	}
	assert_true(timers_peek(t, &due, &handle));
	assert_int_equal(handle, first);
	assert_int_equal(due, m->due[first]);
	for (uint32_t h = 0; h < NAIVE_MAX; h++) {
		assert_int_equal(timers_get(t, h, &due), m->has[h]);
		if (m->has[h])
			assert_int_equal(due, m->due[h]);
	}
}

/* Earliest first, equal deadlines by handle; set moves, remove drops, pop takes what is due. */
static void
test_by_hand(void **state)
{
	struct timers *t = timers_new();
	uint32_t out[8], handle;
	int64_t due;

	(void)state;
	assert_non_null(t);
	assert_false(timers_peek(t, &due, &handle));
	assert_int_equal(timers_pop_due(t, INT64_MAX, out, 8), 0);
	assert_true(timers_set(t, 7, 300));
	assert_true(timers_set(t, 3, 100));
	assert_true(timers_set(t, 9, 100));
	assert_true(timers_set(t, 1, 200));
	assert_true(timers_set(t, 1000, 100)); /* a sparse handle: pos grows */
	assert_int_equal(timers_count(t), 5);
	assert_true(timers_peek(t, &due, &handle));
	assert_int_equal(due, 100);
	assert_int_equal(handle, 3);
	/* Re-key: 3 later, 7 earlier than everything. */
	assert_true(timers_set(t, 3, 250));
	assert_true(timers_set(t, 7, 50));
	assert_int_equal(timers_count(t), 5);
	assert_true(timers_get(t, 3, &due));
	assert_int_equal(due, 250);
	assert_true(timers_remove(t, 9));
	assert_false(timers_remove(t, 9));
	assert_false(timers_remove(t, 5000));
	assert_false(timers_get(t, 9, &due));
	assert_false(timers_get(t, 5000, &due));
	assert_false(timers_set(t, TIMERS_NO_HANDLE, 1));
	/* Left: 7@50, 1000@100, 1@200, 3@250. Due at 200, at most 2 per call. */
	assert_int_equal(timers_pop_due(t, 200, out, 2), 2);
	assert_int_equal(out[0], 7);
	assert_int_equal(out[1], 1000);
	assert_int_equal(timers_pop_due(t, 200, out, 2), 1);
	assert_int_equal(out[0], 1);
	assert_int_equal(timers_pop_due(t, 249, out, 8), 0);
	assert_int_equal(timers_count(t), 1);
	assert_int_equal(timers_pop_due(t, 250, out, 8), 1);
	assert_int_equal(out[0], 3);
	assert_int_equal(timers_count(t), 0);
	/* A popped handle can come back. */
	assert_true(timers_set(t, 3, -5));
	assert_true(timers_peek(t, &due, &handle));
	assert_int_equal(due, -5);
	assert_int_equal(handle, 3);
	timers_free(t);
	timers_free(NULL);
}

/* A tiny deterministic generator (xorshift64), so a failure replays. */
static uint64_t
test_rand(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Pops what the model says is due, in its order. */
static void
naive_pop(struct timers *t, struct naive *m, int64_t now, size_t max)
{
	uint32_t out[NAIVE_MAX];
	size_t n = timers_pop_due(t, now, out, max);
	size_t want = 0;

	for (int first = naive_first(m); first >= 0 && want < max && m->due[first] <= now;
	    first = naive_first(m)) {
		assert_true(want < n);
		assert_int_equal(out[want], first);
		m->has[first] = false;
		want++;
	}
	assert_int_equal(n, want);
}

/* Random sets, re-keys, removes and pops agree with the model at every step. */
static void
test_random(void **state)
{
	static struct naive m;
	struct timers *t = timers_new();
	uint64_t x = 0x9e3779b97f4a7c15u;
	int64_t now = 0;

	(void)state;
	assert_non_null(t);
	for (int step = 0; step < 200000; step++) {
		uint32_t h = (uint32_t)(test_rand(&x) % NAIVE_MAX);
		uint64_t op = test_rand(&x) % 10;
		/* Few distinct deadlines, so ties are common. */
		int64_t due = now + (int64_t)(test_rand(&x) % 64) - 8;

		if (op < 5) {
			assert_true(timers_set(t, h, due));
			m.has[h] = true;
			m.due[h] = due;
		} else if (op < 7) {
			assert_int_equal(timers_remove(t, h), m.has[h]);
			m.has[h] = false;
		} else if (op < 9) {
			now += (int64_t)(test_rand(&x) % 8);
			naive_pop(t, &m, now, (size_t)(test_rand(&x) % 6));
		} else {
			naive_pop(t, &m, now, NAIVE_MAX);
		}
		if (step % 97 == 0)
			naive_check(t, &m);
	}
	naive_check(t, &m);
	naive_pop(t, &m, INT64_MAX, NAIVE_MAX);
	assert_int_equal(timers_count(t), 0);
	timers_free(t);
}

/* 1,000,000 deadlines come out in (due, handle) order. */
static void
test_million(void **state)
{
	struct timers *t = timers_new();
	uint64_t x = 12345;
	uint32_t out[1000];
	int64_t last_due = INT64_MIN, due;
	uint32_t last_handle = 0, handle;
	size_t total = 0, n;

	(void)state;
	for (uint32_t h = 0; h < 1000000; h++)
		assert_true(timers_set(t, h, (int64_t)(test_rand(&x) % 100000)));
	assert_int_equal(timers_count(t), 1000000);
	while (timers_peek(t, &due, &handle)) {
		n = timers_pop_due(t, due, out, 1000);
		assert_true(n > 0);
		for (size_t i = 0; i < n; i++, total++) {
			/* Every popped entry is due; handles at one time ascend. */
			assert_true(due > last_due || (due == last_due && out[i] > last_handle) || total == 0);
			last_handle = out[i];
		}
		last_due = due;
	}
	assert_int_equal(total, 1000000);
	timers_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_million),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
