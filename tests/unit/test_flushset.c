/*
 * test_flushset.c: what a task's flush writes (src/io/flushset.c): the views kept packed
 * until the commit answered, exactly as flushed and with the configured windows only, and
 * the change set, committed through src/io/taskstore.c into a private redis-server and
 * restored back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "flushset.h"
#include "testutil_taskstore.h"

/* Most views a test collects. */
#define VIEWS_MAX 4

/* The views flushset_views handed out, copied. */
static struct task_view got[VIEWS_MAX];
static char got_ids[VIEWS_MAX][32], got_teams[VIEWS_MAX][32];
static size_t ngot;

/* flushset_views' callback: copies the view. */
static void on_view(void *arg, const struct task_view *v)
{
	(void)arg;
	assert_true(ngot < VIEWS_MAX);
	strncpy(got_ids[ngot], v->agent, sizeof(got_ids[ngot]) - 1);
	got[ngot] = *v;
	got[ngot].agent = got_ids[ngot];
	if (v->team != NULL) {
		strncpy(got_teams[ngot], v->team, sizeof(got_teams[ngot]) - 1);
		got[ngot].team = got_teams[ngot];
	}
	ngot++;
}

/* A view of agent with window w's ratings counter = base + w in every window. */
static struct task_view view_of(const char *agent, int64_t base_value)
{
	struct task_view v = {.agent = agent, .open = base_value + 100, .overdue = base_value + 200,
		.newest_ms = base_value + 300, .since_ms = base_value + 400};

	for (int w = 0; w < WINDOWS_MAX; w++) {
		v.totals[w].c[0] = base_value + w;
		for (int r = 0; r < RANK_COUNT; r++)
			v.rank[w][r] = base_value * 100 + w * 10 + r;
	}
	return v;
}

/* Views are kept until handed out, as flushed, with two windows of the four, team and scores too; then forgotten. */
static void test_views(void **state)
{
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 0, 1000, NULL);
	struct flushset *fs = flushset_new(ts, 2);
	struct task_sink sink;
	struct task_view a = view_of("a1", 10), b = view_of("agent-two", 20);

	(void)state;
	b.team = "billing-emea";
	assert_non_null(fs);
	sink = flushset_sink(fs);
	assert_true(sink.agent(sink.arg, a.agent, NULL, 0, &a));
	assert_true(sink.agent(sink.arg, b.agent, NULL, 0, &b));
	/* Views only: the checkpoint keeps the agents as they are. */
	assert_int_equal(taskstore_changes_bytes(flushset_changes(fs)), 0);
	ngot = 0;
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 2);
	assert_string_equal(got[0].agent, "a1");
	assert_string_equal(got[1].agent, "agent-two");
	assert_int_equal(got[1].open, 120);
	assert_int_equal(got[1].overdue, 220);
	assert_int_equal(got[1].newest_ms, 320);
	assert_int_equal(got[1].since_ms, 420);
	assert_int_equal(got[0].totals[0].c[0], 10);
	assert_int_equal(got[0].totals[1].c[0], 11);
	assert_int_equal(got[1].totals[1].c[0], 21);
	assert_int_equal(got[1].totals[2].c[0], 0); /* not a configured window */
	assert_null(got[0].team);
	assert_string_equal(got[1].team, "billing-emea");
	assert_int_equal(got[0].rank[1][2], 1012);
	assert_int_equal(got[1].rank[0][1], 2001);
	assert_true(got[1].rank[2][0] == RANK_NONE); /* not a configured window */
	ngot = 0;
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 0);
	/* Dropped (a fenced commit): nothing is handed out. */
	assert_true(sink.agent(sink.arg, a.agent, NULL, 0, &a));
	flushset_drop_views(fs);
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 0);
	flushset_free(fs);
	taskstore_free(ts);
}

/* Every kind of change is committed under its kind, outbox entries under their decimal sequence number. */
static void test_changes(void **state)
{
	struct taskstore *ts = taskstore_new(test_plain.redis, "fb:", "g", 0, 1000, NULL);
	struct taskstore_changes *before = taskstore_changes_new(ts);
	struct flushset *fs = flushset_new(ts, 4);
	struct task_view a = view_of("a1", 10);
	struct outbox_entry o = {.seq = 12345678901ULL};
	uint32_t expiry = (uint32_t)(test_now_ms() / 1000 + 5);
	uint8_t rec[DEDUPE_RECORD_SIZE] = {0};
	const char *want[] = {"0:a1=A1", "1:t1=T1", "2:12345678901=O"};
	struct task_sink sink;

	(void)state;
	assert_non_null(fs);
	for (int i = 0; i < 4; i++)
		rec[12 + i] = (uint8_t)(expiry >> (8 * i));
	test_own(&test_plain, ts);
	test_put(before, TASKSTORE_TICKET, "t2", "old");
	test_put(before, TASKSTORE_OUTBOX, "5", "old");
	assert_int_equal(test_commit(&test_plain, ts, before), TASKSTORE_OK);
	sink = flushset_sink(fs);
	assert_true(sink.agent(sink.arg, "a1", "A1", 2, &a));
	assert_true(sink.ticket(sink.arg, "t1", "T1", 2));
	assert_true(sink.ticket(sink.arg, "t2", NULL, 0));
	assert_true(sink.dedupe(sink.arg, rec));
	assert_true(sink.outbox.added(sink.outbox.arg, &o, "O", 1));
	assert_true(sink.outbox.removed(sink.outbox.arg, 5));
	assert_true(sink.meta(sink.arg, "M", 1));
	assert_int_equal(test_commit(&test_plain, ts, flushset_changes(fs)), TASKSTORE_OK);
	assert_int_equal(test_restore(&test_plain, ts, test_now_ms()), TASKSTORE_OK);
	test_check_entries(want, 3);
	test_check_records((unsigned char (*)[TASKSTORE_DEDUPE_SIZE])rec, 1);
	assert_int_equal(test_got.pos_len, 1);
	assert_memory_equal(test_got.pos, "M", 1);
	/* The agent's view is kept for after the commit too. */
	ngot = 0;
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].totals[3].c[0], 13);
	flushset_free(fs);
	taskstore_changes_free(before);
	taskstore_free(ts);
}

/* Runs the flush set tests against a private redis-server. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_views, test_flush),
		cmocka_unit_test_setup(test_changes, test_flush),
	};

	return cmocka_run_group_tests_name("flushset", tests, test_setup_plain, test_teardown_plain);
}
