/*
 * test_flushset.c: what a task's flush writes (src/io/flushset.c): the views kept packed
 * until the commit answered, exactly as flushed and with the configured windows only, and
 * the change set, committed through src/io/taskstore.c into a private redis-server and read
 * back key by key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <cmocka.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "flushset.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "redisserver.h"
#include "taskstore.h"

/* Most views a test collects. */
#define VIEWS_MAX 4

static struct redisserver srv;
static struct event_base *base;
static struct config cfg;
static struct metrics metrics;
static struct redis *conn;
static struct taskstore *store;
static bool conn_up;
static bool answered;
static enum taskstore_result answer;
/* The views flushset_views handed out, copied. */
static struct task_view got[VIEWS_MAX];
static char got_ids[VIEWS_MAX][32];
static size_t ngot;

/* The connection's state. */
static void on_state(void *arg, bool is_up)
{
	(void)arg;
	conn_up = is_up;
}

/* flushset_views' callback: copies the view. */
static void on_view(void *arg, const struct task_view *v)
{
	(void)arg;
	assert_true(ngot < VIEWS_MAX);
	strncpy(got_ids[ngot], v->agent, sizeof(got_ids[ngot]) - 1);
	got[ngot] = *v;
	got[ngot].agent = got_ids[ngot];
	ngot++;
}

/* Turns the loop until *flag or 10 s passed; false on the timeout. */
static bool turn_until(const bool *flag)
{
	time_t end = time(NULL) + 10;

	while (!*flag && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
	return *flag;
}

/* A claim's or commit's answer. */
static void on_answer(void *arg, enum taskstore_result res)
{
	(void)arg;
	answer = res;
	answered = true;
}

/* The claim's answer. */
static void on_claim(void *arg, enum taskstore_result res, uint64_t gen)
{
	(void)gen;
	on_answer(arg, res);
}

/* Restore callbacks: the checkpoint is empty here, nothing to take. */
static void on_meta(void *arg, uint64_t gen, uint64_t seq, const void *pos, size_t len)
{
	(void)arg;
	(void)gen;
	(void)seq;
	(void)pos;
	(void)len;
}

/* Restore: an entry (none in an empty checkpoint). */
static void on_entry(void *arg, enum taskstore_kind kind, const char *id, size_t id_len, const void *blob,
    size_t len)
{
	(void)arg;
	(void)kind;
	(void)id;
	(void)id_len;
	(void)blob;
	(void)len;
}

/* Restore: dedupe records (none). */
static void on_dedupe(void *arg, const unsigned char *records, size_t n)
{
	(void)arg;
	(void)records;
	(void)n;
}

/* Waits for the answer to the call just sent and asserts it is OK. */
static void await_ok(bool sent)
{
	assert_true(sent);
	assert_true(turn_until(&answered));
	assert_int_equal(answer, TASKSTORE_OK);
	answered = false;
}

/* A view of agent with window w's ratings counter = base + w in every window. */
static struct task_view view_of(const char *agent, int64_t base_value)
{
	struct task_view v = {.agent = agent, .open = base_value + 100, .overdue = base_value + 200,
		.newest_ms = base_value + 300};

	for (int w = 0; w < WINDOWS_MAX; w++)
		v.totals[w].c[0] = base_value + w;
	return v;
}

/* Asserts the field of key (under the task's hash tag) is want, or absent when want is NULL. */
static void assert_stored(const char *key, const char *field, const char *want)
{
	redisReply *r = redisserver_command(&srv, "HGET fb:task:{g:0}:%s %s", key, field);

	assert_non_null(r);
	if (want == NULL)
		assert_int_equal(r->type, REDIS_REPLY_NIL);
	else
		assert_string_equal(r->type == REDIS_REPLY_STRING ? r->str : "(none)", want);
	freeReplyObject(r);
}

/* Views are kept until handed out, as flushed, with two windows of the four; then forgotten. */
static void test_views(void **state)
{
	struct flushset *fs = flushset_new(store, 2);
	struct task_sink sink;
	struct task_view a = view_of("a1", 10), b = view_of("agent-two", 20);

	(void)state;
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
	assert_int_equal(got[0].totals[0].c[0], 10);
	assert_int_equal(got[0].totals[1].c[0], 11);
	assert_int_equal(got[1].totals[1].c[0], 21);
	assert_int_equal(got[1].totals[2].c[0], 0); /* not a configured window */
	ngot = 0;
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 0);
	/* Dropped (a fenced commit): nothing is handed out. */
	assert_true(sink.agent(sink.arg, a.agent, NULL, 0, &a));
	flushset_drop_views(fs);
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 0);
	flushset_free(fs);
}

/* Every kind of change lands in its key, outbox entries under their decimal sequence number. */
static void test_changes(void **state)
{
	struct flushset *fs = flushset_new(store, 4);
	struct taskstore_restore_fns fns = {on_meta, on_entry, on_dedupe, on_answer};
	struct task_view a = view_of("a1", 10);
	struct outbox_entry o = {.seq = 12345678901ULL};
	uint32_t expiry = (uint32_t)(time(NULL) + 3600);
	uint8_t rec[DEDUPE_RECORD_SIZE] = {0};
	struct task_sink sink;
	redisReply *r;

	(void)state;
	assert_non_null(fs);
	for (int i = 0; i < 4; i++)
		rec[12 + i] = (uint8_t)(expiry >> (8 * i));
	await_ok(taskstore_claim(store, on_claim, NULL));
	await_ok(taskstore_restore(store, (int64_t)time(NULL) * 1000, 10000, &fns, NULL));
	freeReplyObject(redisserver_command(&srv, "HSET fb:task:{g:0}:tickets t2 old"));
	freeReplyObject(redisserver_command(&srv, "HSET fb:task:{g:0}:outbox 5 old"));
	sink = flushset_sink(fs);
	assert_true(sink.agent(sink.arg, "a1", "A1", 2, &a));
	assert_true(sink.ticket(sink.arg, "t1", "T1", 2));
	assert_true(sink.ticket(sink.arg, "t2", NULL, 0));
	assert_true(sink.dedupe(sink.arg, rec));
	assert_true(sink.outbox.added(sink.outbox.arg, &o, "O", 1));
	assert_true(sink.outbox.removed(sink.outbox.arg, 5));
	assert_true(sink.meta(sink.arg, "M", 1));
	await_ok(taskstore_commit(store, flushset_changes(fs), on_answer, NULL));
	assert_stored("agents", "a1", "A1");
	assert_stored("tickets", "t1", "T1");
	assert_stored("tickets", "t2", NULL);
	assert_stored("outbox", "12345678901", "O");
	assert_stored("outbox", "5", NULL);
	assert_stored("meta", "pos", "M");
	/* The record in its segment's key: segments of 1 s here, so numbered by the expiry. */
	r = redisserver_command(&srv, "STRLEN fb:task:{g:0}:dd:%u", expiry);
	assert_non_null(r);
	assert_int_equal(r->integer, DEDUPE_RECORD_SIZE);
	freeReplyObject(r);
	/* The agent's view is kept for after the commit too. */
	ngot = 0;
	flushset_views(fs, on_view, NULL);
	assert_int_equal(ngot, 1);
	assert_int_equal(got[0].totals[3].c[0], 13);
	flushset_free(fs);
}

/* Starts the loop, the server, the connection and the task store the tests share. */
static int setup(void **state)
{
	(void)state;
	log_setup(LOG_CRIT, false);
	config_defaults(&cfg);
	if ((base = event_base_new()) == NULL || !redisserver_start(&srv, false))
		return -1;
	cfg.redis_port = srv.port;
	conn = redis_new(base, &cfg, &metrics, on_state, NULL);
	store = conn != NULL && turn_until(&conn_up) ? taskstore_new(conn, "fb:", "g", 0, 1000) : NULL;
	return store != NULL ? 0 : -1;
}

/* Frees what setup made. */
static int teardown(void **state)
{
	bool stopped;

	(void)state;
	taskstore_free(store);
	redis_free(conn);
	stopped = redisserver_stop(&srv);
	event_base_free(base);
	config_free(&cfg);
	return stopped ? 0 : -1;
}

/* Runs the flush set tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_views),
		cmocka_unit_test(test_changes),
	};

	return cmocka_run_group_tests_name("flushset", tests, setup, teardown);
}
