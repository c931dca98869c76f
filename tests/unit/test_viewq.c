/*
 * test_viewq.c: the queue of agent views (src/io/viewq.c) writing through src/io/view.c and
 * src/io/redis.c into a private redis-server: the newest view per agent, in full from a new
 * queue, then only the fields that changed; in full again after a failed round or on a new
 * connection; held while the connection is down; a closed queue's writes never land after a
 * new owner's; paced under load, not when quiet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <cmocka.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "event.h"
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "redisserver.h"
#include "timestamp.h"
#include "view.h"
#include "viewq.h"

/* Every field of a hash with all figures defined: 36 per default window and 3. */
#define ALL_FIELDS 147

static struct redisserver srv;
static struct event_base *base;
static struct config cfg;
static struct metrics metrics;
static struct redis *conn;
static struct view *writer;
static bool conn_up;
static int failures;
static int idles;

/* The connection's state. */
static void on_state(void *arg, bool is_up)
{
	(void)arg;
	conn_up = is_up;
}

/* The queue's failure callback (the engine shows every agent again there). */
static void on_failed(void *arg)
{
	(void)arg;
	failures++;
}

/* A closed queue's idle callback (the engine frees the closing task there). */
static void on_idle(void *arg)
{
	(void)arg;
	idles++;
}

/* Turns the loop until done(q) or 10 s passed; false on the timeout. */
static bool turn_until(bool (*done)(const struct viewq *q), const struct viewq *q)
{
	time_t end = time(NULL) + 10;

	while (!done(q) && time(NULL) < end)
		event_base_loop(base, EVLOOP_ONCE);
	return done(q);
}

/* turn_until's test: the connection is up. */
static bool is_up(const struct viewq *q)
{
	(void)q;
	return conn_up;
}

/* turn_until's test: the connection is down. */
static bool is_down(const struct viewq *q)
{
	(void)q;
	return !conn_up;
}

/* Queues agent's view: every figure defined, open_tickets = open. */
static void queue(struct viewq *q, const char *agent, int64_t open)
{
	/*
	 * r s5 sat neu dis ssum n10 pro det cmp rep rn rsum rmax met miss,
	 * frn frsum frmax frmet frmiss nrmax rsn rssum rsmax rsmet rsmiss pkept pbroken rcrated rcsat fumiss
	 */
	static const int64_t c[COUNTER_COUNT] = {10, 8, 6, 1, 1, 33, 2, 1, 1, 2, 8, 4, 10000, 4499, 3, 1,
	    3, 5501, 2500, 2, 1, 4499, 2, 7201000, 5400000, 1, 1, 5, 2, 3, 2, 1};
	struct task_view v = {.agent = agent, .open = open, .newest_ms = 1000};

	for (int w = 0; w < WINDOWS_MAX; w++)
		for (int id = 0; id < RANK_COUNT; id++)
			v.rank[w][id] = RANK_NONE;
	for (int w = 0; w < 4; w++) {
		memcpy(v.totals[w].c, c, sizeof(c));
		v.totals[w].resp_n = 4;
		v.totals[w].resp_p50_ms = 2200;
		v.totals[w].resp_p90_ms = 4499;
	}
	assert_true(viewq_put(q, &v));
}

/* Queues agent's view (as queue), writes it and waits for the answer. */
static void show(struct viewq *q, const char *agent, int64_t open)
{
	queue(q, agent, open);
	viewq_kick(q);
	assert_true(turn_until(viewq_idle, q));
}

/* The value of field in agent's stats hash ("" when absent). */
static void assert_field(const char *agent, const char *field, const char *want)
{
	redisReply *r = redisserver_command(&srv, "HGET fb:agent:{%s}:stats %s", agent, field);

	assert_non_null(r);
	assert_string_equal(r->type == REDIS_REPLY_STRING ? r->str : "", want);
	freeReplyObject(r);
}

/* Asserts agent's stats hash has n fields. */
static void assert_fields(const char *agent, long long n)
{
	redisReply *r = redisserver_command(&srv, "HLEN fb:agent:{%s}:stats", agent);

	assert_non_null(r);
	assert_int_equal(r->integer, n);
	freeReplyObject(r);
}

/* Runs a command for its effect. */
static void run(const char *command)
{
	freeReplyObject(redisserver_command(&srv, command));
}

/* Closes the writer's connection on the server and waits until the client sees it (it reconnects). */
static void drop_connection(void)
{
	run("CLIENT KILL TYPE normal SKIPME yes");
	assert_true(turn_until(is_down, NULL));
}

/* Each test starts from an empty database and no failures. */
static int clean(void **state)
{
	(void)state;
	run("FLUSHALL");
	run("CONFIG RESETSTAT");
	failures = 0;
	idles = 0;
	return 0;
}

/* A new queue writes in full; then only what changed is sent, the newest of each agent once. */
static void test_changed_only(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	struct task_view v = {.agent = "a1", .open = 9};

	(void)state;
	show(q, "a1", 1);
	assert_fields("a1", ALL_FIELDS);
	/* A field changed behind the queue's back stays so: unchanged fields are not sent. */
	run("HSET fb:agent:{a1}:stats satisfied_1h junk");
	assert_true(viewq_put(q, &v)); /* replaced before the round by the newer view below */
	show(q, "a1", 2);
	assert_field("a1", "satisfied_1h", "junk");
	assert_field("a1", "open_tickets", "2");
	assert_field("a1", "ratings_30d", "10");
	assert_int_equal(redisserver_calls(&srv, "hset"), 3);
	viewq_free(q);
	/* A new queue (a task assigned again) knows nothing: in full. */
	q = viewq_new(base, writer, &metrics, on_failed, NULL);
	show(q, "a1", 2);
	assert_field("a1", "satisfied_1h", "6");
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/* A failed round, or a hash found changed, makes every agent's next write a full one. */
static void test_failure_full(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);

	(void)state;
	show(q, "a1", 1);
	show(q, "a2", 1);
	run("HSET fb:agent:{a1}:stats satisfied_1h junk");
	run("SET fb:agent:{a2}:stats x"); /* a2's next write, a partial one, is refused: the round fails */
	show(q, "a2", 2);
	assert_int_equal(failures, 1);
	assert_field("a1", "satisfied_1h", "junk");
	show(q, "a1", 1);
	assert_field("a1", "satisfied_1h", "6");
	/* The hash deleted by someone else: the HSET adds more than expected. */
	run("DEL fb:agent:{a1}:stats");
	show(q, "a1", 2);
	assert_int_equal(failures, 2);
	show(q, "a1", 2);
	assert_fields("a1", ALL_FIELDS);
	viewq_free(q);
}

/* Down, the views wait; on the new connection, whose server may have lost writes, they go in full. */
static void test_reconnect_full(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	struct task_view v = {.agent = "a1", .open = 5};

	(void)state;
	show(q, "a1", 1);
	run("HSET fb:agent:{a1}:stats satisfied_1h junk");
	drop_connection();
	assert_true(viewq_put(q, &v));
	viewq_kick(q);
	assert_false(viewq_idle(q));
	assert_field("a1", "open_tickets", "1");
	assert_true(turn_until(is_up, q));
	show(q, "a1", 5);
	assert_field("a1", "satisfied_1h", "6");
	assert_field("a1", "open_tickets", "5");
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/*
 * A revoked task's queue, closed with a round out and a newer view queued behind it, sends
 * that view at once: it lands before the next owner's first (full) write on the connection,
 * which is what the hash keeps (the next owner then writes only what changed).
 */
static void test_close_before_new_owner(void **state)
{
	struct viewq *old = viewq_new(base, writer, &metrics, on_failed, NULL), *q;
	struct task_view v = {.agent = "a1", .open = 2};

	(void)state;
	show(old, "a1", 1);
	assert_true(viewq_put(old, &v));
	viewq_kick(old); /* a round out, not answered yet */
	v.open = 3;
	assert_true(viewq_put(old, &v));
	viewq_kick(old);
	assert_false(viewq_idle(old));
	viewq_close(old, on_idle);
	q = viewq_new(base, writer, &metrics, on_failed, NULL);
	show(q, "a1", 4);
	assert_true(turn_until(viewq_idle, old));
	assert_field("a1", "open_tickets", "4");
	assert_field("a1", "satisfied_1h", "6");
	assert_int_equal(idles, 1);
	assert_int_equal(failures, 0);
	viewq_free(old);
	viewq_free(q);
}

/* A closed queue's views are dropped while the connection is down: they would land after a new owner's. */
static void test_close_down(void **state)
{
	struct viewq *old = viewq_new(base, writer, &metrics, on_failed, NULL), *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	struct task_view v = {.agent = "a1", .open = 7};

	(void)state;
	show(old, "a1", 1);
	drop_connection();
	assert_true(viewq_put(old, &v));
	viewq_close(old, on_idle);
	assert_true(viewq_idle(old));
	assert_true(turn_until(is_up, NULL));
	show(q, "a1", 8);
	viewq_kick(old);
	assert_true(turn_until(viewq_idle, old));
	assert_field("a1", "open_tickets", "8");
	assert_int_equal(failures, 0);
	viewq_free(old);
	viewq_free(q);
}

/* The longest agent id: its key and its fb:agents entry are written whole. */
static void test_long_id(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	char agent[EVENT_ID_MAX + 1];
	redisReply *r;

	(void)state;
	memset(agent, 'x', EVENT_ID_MAX);
	agent[EVENT_ID_MAX] = '\0';
	show(q, agent, 1);
	assert_fields(agent, ALL_FIELDS);
	r = redisserver_command(&srv, "ZSCORE fb:agents %s", agent);
	assert_non_null(r);
	assert_string_equal(r->str, "1000");
	freeReplyObject(r);
	viewq_free(q);
}

/*
 * A round stops taking agents once it added a few MB not yet sent: 4,000 writes in full
 * (~9 MB of RESP) go in several rounds, each agent once, the queue's order kept.
 */
static void test_round_bound(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	char agent[32];
	redisReply *r;

	(void)state;
	for (int i = 0; i < 4000; i++) {
		snprintf(agent, sizeof(agent), "r%d", i);
		queue(q, agent, i);
	}
	viewq_kick(q);
	assert_true(view_unsent(writer) > 1024 * 1024);
	assert_true(view_unsent(writer) < 6 * 1024 * 1024);
	queue(q, "r7", 7000); /* the first round took r7: it is queued again, last */
	queue(q, "r3999", 8000); /* still queued: replaced in place */
	assert_true(turn_until(viewq_idle, q));
	assert_int_equal(redisserver_calls(&srv, "hset"), 4001);
	for (int i = 0; i < 4000; i += 123) {
		snprintf(agent, sizeof(agent), "r%d", i);
		assert_fields(agent, ALL_FIELDS);
	}
	assert_field("r0", "open_tickets", "0");
	assert_field("r7", "open_tickets", "7000");
	assert_field("r3998", "open_tickets", "3998");
	assert_field("r3999", "open_tickets", "8000");
	r = redisserver_command(&srv, "ZCARD fb:agents");
	assert_non_null(r);
	assert_int_equal(r->integer, 4000);
	freeReplyObject(r);
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/* A closing queue is not bounded: all of its 4,000 writes in full go at once, in one round. */
static void test_close_unbounded(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	char agent[32];

	(void)state;
	for (int i = 0; i < 4000; i++) {
		snprintf(agent, sizeof(agent), "c%d", i);
		queue(q, agent, i);
	}
	viewq_close(q, on_idle);
	assert_true(view_unsent(writer) > 6 * 1024 * 1024);
	assert_true(turn_until(viewq_idle, q));
	assert_int_equal(redisserver_calls(&srv, "hset"), 4000);
	assert_field("c3999", "open_tickets", "3999");
	assert_int_equal(idles, 1);
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/* Turns the loop for ms milliseconds. */
static void turn_for(long ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

/* A round waits a few times the last one's duration, unless the queue is quiet. */
static void test_quiet_not_paced(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);

	(void)state;
	show(q, "a1", 1);
	/* Redis holds the next round's writes for 300 ms: the pace after it is about 600 ms. */
	run("CLIENT PAUSE 300 WRITE");
	show(q, "a1", 2);
	queue(q, "a1", 3);
	viewq_kick(q);
	turn_for(100);
	assert_field("a1", "open_tickets", "2");
	assert_false(viewq_idle(q));
	/* Nothing more is coming: what waits goes at once. */
	viewq_quiet(q, true);
	turn_for(100);
	assert_field("a1", "open_tickets", "3");
	assert_true(viewq_idle(q));
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/* Queues agent's view as queue() does, showing a change applied at since_ms. */
static void queue_since(struct viewq *q, const char *agent, int64_t since_ms)
{
	struct task_view v = {.agent = agent, .open = 1, .newest_ms = 1000, .since_ms = since_ms};

	assert_true(viewq_put(q, &v));
}

/*
 * A write is timed from the oldest change it shows to its answer: an agent queued twice
 * counts from the first, a view without a change (windows slid) is not counted.
 */
static void test_delay(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);
	int64_t now = ts_now_ms();

	(void)state;
	memset(&metrics.view_delay, 0, sizeof(metrics.view_delay));
	queue_since(q, "a1", now - 300);
	queue_since(q, "a1", now - 100);
	queue_since(q, "a2", 0);
	viewq_kick(q);
	assert_true(turn_until(viewq_idle, q));
	assert_int_equal(metrics.view_delay.count, 1);
	assert_true(metrics.view_delay.sum >= 0.3 && metrics.view_delay.sum < 0.5);
	assert_int_equal(metrics.view_delay.counts[9], 1); /* le 0.5 */
	/* The next write of a1 shows no new change. */
	queue_since(q, "a1", 0);
	viewq_kick(q);
	assert_true(turn_until(viewq_idle, q));
	assert_int_equal(metrics.view_delay.count, 1);
	assert_int_equal(failures, 0);
	viewq_free(q);
}

/* Starts the server, the connection and the writer the tests share. */
static int setup(void **state)
{
	(void)state;
	if (!redisserver_start(&srv, false))
		return -1;
	cfg.redis_port = srv.port;
	conn = redis_new(base, &cfg, &metrics, on_state, NULL);
	writer = conn != NULL && turn_until(is_up, NULL) ? view_new(conn, cfg.prefix, &cfg.windows, NULL, 1) : NULL;
	return writer != NULL ? 0 : -1;
}

/* Frees what setup made. */
static int teardown(void **state)
{
	(void)state;
	view_free(writer);
	redis_free(conn);
	return redisserver_stop(&srv) ? 0 : -1;
}

/* Runs the queue tests. */
/* The score of member in key, as its text ("" when not a member). */
static void assert_score(const char *key, const char *member, const char *want)
{
	redisReply *r = redisserver_command(&srv, "ZSCORE %s %s", key, member);

	assert_non_null(r);
	assert_string_equal(r->type == REDIS_REPLY_STRING ? r->str : "", want);
	freeReplyObject(r);
}

/* Queues and writes agent's view with the given team and csat_lower score in 1h and 24h. */
static void show_ranked(struct viewq *q, const char *agent, const char *team, int64_t csat)
{
	struct task_view v = {.agent = agent, .team = team, .newest_ms = 1000};

	for (int w = 0; w < WINDOWS_MAX; w++)
		for (int id = 0; id < RANK_COUNT; id++)
			v.rank[w][id] = RANK_NONE;
	v.rank[0][RANK_CSAT_LOWER] = v.rank[1][RANK_CSAT_LOWER] = csat;
	assert_true(viewq_put(q, &v));
	viewq_kick(q);
	assert_true(turn_until(viewq_idle, q));
}

/*
 * An agent's scores go into the site's ranking and its team's, per window; a score it no
 * longer has (too few samples) takes it out; a new team takes it out of the old team's.
 */
static void test_rankings(void **state)
{
	struct viewq *q = viewq_new(base, writer, &metrics, on_failed, NULL);

	(void)state;
	show_ranked(q, "a1", "billing", 7235);
	show_ranked(q, "a2", NULL, 4385);
	assert_score("fb:rank:csat_lower:1h", "a1", "7235");
	assert_score("fb:rank:csat_lower:24h", "a1", "7235");
	assert_score("fb:team:{billing}:rank:csat_lower:1h", "a1", "7235");
	assert_score("fb:rank:csat_lower:1h", "a2", "4385");
	assert_score("fb:rank:csat_lower:7d", "a1", "");
	assert_score("fb:rank:complaint_rate_upper:1h", "a1", "");
	/* too few samples now: out of every csat ranking */
	show_ranked(q, "a1", "billing", RANK_NONE);
	assert_score("fb:rank:csat_lower:1h", "a1", "");
	assert_score("fb:team:{billing}:rank:csat_lower:24h", "a1", "");
	/* back, in team tech: out of billing's, into tech's */
	show_ranked(q, "a1", "billing", 8000);
	show_ranked(q, "a1", "tech", 8100);
	assert_score("fb:team:{billing}:rank:csat_lower:1h", "a1", "");
	assert_score("fb:team:{tech}:rank:csat_lower:1h", "a1", "8100");
	assert_score("fb:rank:csat_lower:1h", "a1", "8100");
	viewq_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_changed_only, clean),
		cmocka_unit_test_setup(test_failure_full, clean),
		cmocka_unit_test_setup(test_reconnect_full, clean),
		cmocka_unit_test_setup(test_close_before_new_owner, clean),
		cmocka_unit_test_setup(test_close_down, clean),
		cmocka_unit_test_setup(test_long_id, clean),
		cmocka_unit_test_setup(test_round_bound, clean),
		cmocka_unit_test_setup(test_delay, clean),
		cmocka_unit_test_setup(test_rankings, clean),
		cmocka_unit_test_setup(test_close_unbounded, clean),
		cmocka_unit_test_setup(test_quiet_not_paced, clean),
	};
	int failed;

	log_setup(LOG_CRIT, false);
	config_defaults(&cfg);
	if ((base = event_base_new()) == NULL)
		return 1;
	failed = cmocka_run_group_tests_name("viewq", tests, setup, teardown);
	event_base_free(base);
	config_free(&cfg);
	return failed;
}
