/*
 * test_view.c: the agent stats hashes and fb:agents as src/io/view.c writes them, in full or
 * only what changed against a memo, through the real src/redis.c connection in a libevent
 * loop into a private redis-server on a free port; failed flushes. The alerts and the
 * cluster slots are in test_view_alert.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil_view.h"

/* Microseconds Redis spent in command name since the last CONFIG RESETSTAT. */
static long long usec_of(const char *name)
{
	redisReply *r = test_cmd("INFO commandstats");
	char needle[64];
	const char *at;
	long long n = 0;

	snprintf(needle, sizeof(needle), "cmdstat_%s:", name);
	at = strstr(r->str, needle);
	if (at != NULL && (at = strstr(at, ",usec=")) != NULL)
		n = atoll(at + strlen(",usec="));
	freeReplyObject(r);
	return n;
}

/* The figures in the hash's order (view.c's view_layout): each in the four windows, in turn. */
static const char *const layout_figures[] = {
	"ratings", "csat", "dsat", "score_avg", "satisfied", "dissatisfied", "neutral", "nps_ratings", "nps",
	"replies", "resp_avg_s", "resp_p50_s", "resp_p90_s", "complaint_rate", "reply_sla_met", NULL,
	"complaints", "resp_max_s",
	"reply_sla_missed", "next_reply_met", "next_reply_avg_s", "first_reply_met", "first_reply_avg_s",
	"resolution_met", "resolution_avg_s", "promise_kept", "next_reply_max_s", "first_reply_max_s",
	"resolution_max_s", "next_reply_missed", "first_reply_missed", "resolution_missed", "promise_broken",
	"recovered", "recovery_rated", "recovery_rate", "follow_up_missing", "agents",
};

/* Asserts that key's fields are in the layout order: updated_at, then each figure (NULL: the tickets). */
static void assert_layout(const char *key)
{
	static const char *const windows[4] = {"1h", "24h", "7d", "30d"};
	char order[TEST_FULL_FIELDS + 4][32];
	size_t n = 0, at = 0;
	redisReply *r = test_cmd("HGETALL %s", key);

	snprintf(order[n++], sizeof(order[0]), "updated_at");
	for (size_t i = 0; i < sizeof(layout_figures) / sizeof(layout_figures[0]); i++) {
		if (layout_figures[i] == NULL) {
			snprintf(order[n++], sizeof(order[0]), "open_tickets");
			snprintf(order[n++], sizeof(order[0]), "overdue_tickets");
			continue;
		}
		for (int w = 0; w < 4; w++)
			snprintf(order[n++], sizeof(order[0]), "%s_%s", layout_figures[i], windows[w]);
	}
	assert_int_equal(n, TEST_FULL_FIELDS + 4); /* agents_W: a group's only */
	/* the hash's fields are the list's present ones, in its order */
	for (size_t i = 0; i < r->elements; i += 2) {
		while (at < n && strcmp(order[at], r->element[i]->str) != 0)
			at++;
		if (at == n)
			fail_msg("field %s (the %zu-th) is out of the layout's order", r->element[i]->str, i / 2 + 1);
	}
	freeReplyObject(r);
}

/* Every figure: exact contents, 147 fields, the hash replaced whole (MULTI, DEL, HSET, EXEC) in layout order. */
static void test_stats_full(void **state)
{
	struct view_flush *f = view_flush_begin(test_cur->view);
	struct totals t[4];

	(void)state;
	freeReplyObject(test_cmd("HSET fb:agent:{a17}:stats stray 1 ratings_30d 999"));
	test_fill_totals(t, true);
	view_agent_stats(f, "a17", t, 2, 1, TEST_NOW, NULL);
	assert_true(test_finish(f));
	test_assert_stats("fb:agent:{a17}:stats", true, "2", "1", "1795341660123"); /* "stray" is gone */
	assert_layout("fb:agent:{a17}:stats");
	assert_int_equal(test_cmd_int("HLEN fb:agent:{a17}:stats"), TEST_FULL_FIELDS);
	assert_int_equal(test_calls_of("hset"), 2);
	assert_int_equal(test_calls_of("del"), 1);
	assert_int_equal(test_calls_of("exec"), 1);
	assert_int_equal(test_cmd_int("DBSIZE"), 1);
}

/* Without a memo, figures that become undefined are gone after the whole write; a replay changes nothing. */
static void test_stats_absent_deleted(void **state)
{
	struct totals t[4];
	struct view_flush *f;

	(void)state;
	test_fill_totals(t, true);
	f = view_flush_begin(test_cur->view);
	view_agent_stats(f, "a17", t, 2, 1, TEST_NOW, NULL);
	view_agent_stats(f, "a18", t, 0, 0, TEST_NOW, NULL);
	assert_true(test_finish(f));
	test_fill_totals(t, false);
	for (int replay = 0; replay < 2; replay++) {
		f = view_flush_begin(test_cur->view);
		view_agent_stats(f, "a17", t, 1, 0, TEST_NOW + 1000, NULL);
		assert_true(test_finish(f));
		test_assert_stats("fb:agent:{a17}:stats", false, "1", "0", "1795341661123"); /* 46 fields gone */
	}
	assert_int_equal(test_calls_of("multi"), 4);
	assert_int_equal(test_calls_of("del"), 4);
	assert_int_equal(test_calls_of("hdel"), 0);
	test_assert_stats("fb:agent:{a18}:stats", true, "0", "0", "1795341660123"); /* another agent: untouched */
	/* the figures come back when defined again */
	test_fill_totals(t, true);
	f = view_flush_begin(test_cur->view);
	view_agent_stats(f, "a17", t, 3, 2, TEST_NOW + 2000, NULL);
	assert_true(test_finish(f));
	test_assert_stats("fb:agent:{a17}:stats", true, "3", "2", "1795341662123");
	assert_layout("fb:agent:{a17}:stats");
}

/* Writes a17's stats with memo in a flush of its own; asserts its result and Redis's commands. */
static void write_seen(const struct totals *t, int64_t open, int64_t now, view_memo_t *memo, bool ok,
    const char *const *want, size_t n)
{
	redisContext *mon = redisserver_monitor(&test_cur->rs);
	struct view_flush *f = view_flush_begin(test_cur->view);
	char got[4096];

	assert_non_null(mon);
	view_agent_stats(f, "a17", t, open, 0, now, memo);
	assert_int_equal(test_finish(f), ok);
	for (size_t i = 0; i < n; i++) {
		assert_true(redisserver_monitored(mon, got, sizeof(got)));
		if (want[i] != NULL)
			assert_string_equal(got, want[i]);
	}
	redisFree(mon);
}

/* A memo with nothing known (as a new queue has), and a17's first write with it: in full. */
static void memo_start(view_memo_t *memo, struct totals t[4], int64_t open)
{
	assert_int_equal(view_memo_fields(test_cur->view), TEST_MEMO_FIELDS);
	for (int i = 0; i < TEST_MEMO_FIELDS; i++)
		memo[i] = VIEW_MEMO_UNKNOWN;
	test_fill_totals(t, true);
	write_seen(t, open, TEST_NOW, memo, true, NULL, 0);
}

/* Asserts field of a17's hash holds want. */
static void assert_a17(const char *field, const char *want)
{
	redisReply *r = test_cmd("HGET fb:agent:{a17}:stats %s", field);

	assert_string_equal(r->str, want);
	freeReplyObject(r);
}

/* With a memo only changed fields go, with updated_at; the hash is what a full write makes. */
static void test_memo_changed_only(void **state)
{
	view_memo_t memo[TEST_MEMO_FIELDS];
	struct totals t[4];

	(void)state;
	memo_start(memo, t, 2);
	test_assert_stats("fb:agent:{a17}:stats", true, "2", "0", "1795341660123");
	write_seen(t, 2, TEST_NOW + 1, memo, true,
	    (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"1795341660124\""}, 1);
	t[1].c[C_RATINGS] = 11;
	t[3].c[C_SLA_MET] = 4; /* and so next_reply_met_30d: 4 - 2 */
	write_seen(t, 3, TEST_NOW + 2, memo, true, (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" "
	    "\"1795341660125\" \"ratings_24h\" \"11\" \"reply_sla_met_30d\" \"4\" \"open_tickets\" \"3\" "
	    "\"next_reply_met_30d\" \"2\""}, 1);
	assert_a17("ratings_24h", "11");
	assert_a17("reply_sla_met_30d", "4");
	assert_a17("next_reply_met_30d", "2");
	assert_int_equal(test_cmd_int("HLEN fb:agent:{a17}:stats"), TEST_FULL_FIELDS);
	assert_int_equal(test_calls_of("hset"), 3);
	assert_int_equal(test_calls_of("multi"), 1); /* the first write's, whole */
}

/* A figure that becomes undefined is deleted (MULTI/EXEC), and set again when it comes back. */
static void test_memo_absent(void **state)
{
	view_memo_t memo[TEST_MEMO_FIELDS];
	struct totals t[4];
	char got[4096];
	const char *hset = "\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"1795341660124\" \"ratings_1h\" \"3\" ";
	redisContext *mon;

	(void)state;
	memo_start(memo, t, 1);
	test_fill_totals(t, false);
	mon = redisserver_monitor(&test_cur->rs);
	write_seen(t, 1, TEST_NOW + 1, memo, true, (const char *[]){"\"MULTI\"", NULL, "\"HDEL\" \"fb:agent:{a17}:stats\" "
	    "\"csat_7d\" \"csat_30d\" \"dsat_7d\" \"dsat_30d\" \"score_avg_7d\" \"score_avg_30d\" \"nps_1h\" "
	    "\"nps_30d\" \"resp_avg_s_1h\" \"resp_avg_s_30d\" \"resp_p50_s_1h\" \"resp_p50_s_30d\" \"resp_p90_s_1h\" "
	    "\"resp_p90_s_30d\" \"complaint_rate_1h\" \"complaint_rate_30d\" \"resp_max_s_1h\" \"resp_max_s_30d\" "
	    "\"next_reply_met_1h\" \"next_reply_met_7d\" \"next_reply_met_30d\" \"next_reply_avg_s_1h\" "
	    "\"next_reply_avg_s_7d\" \"next_reply_avg_s_30d\" \"first_reply_met_1h\" \"first_reply_met_30d\" "
	    "\"first_reply_avg_s_1h\" \"first_reply_avg_s_30d\" \"resolution_met_1h\" \"resolution_met_30d\" "
	    "\"resolution_avg_s_1h\" \"resolution_avg_s_7d\" \"resolution_avg_s_30d\" \"promise_kept_1h\" "
	    "\"promise_kept_30d\" \"next_reply_max_s_1h\" \"next_reply_max_s_7d\" \"next_reply_max_s_30d\" "
	    "\"first_reply_max_s_1h\" \"first_reply_max_s_30d\" \"resolution_max_s_1h\" \"resolution_max_s_7d\" "
	    "\"resolution_max_s_30d\" \"next_reply_missed_1h\" \"next_reply_missed_7d\" \"next_reply_missed_30d\" "
	    "\"first_reply_missed_1h\" \"first_reply_missed_30d\" \"resolution_missed_1h\" \"resolution_missed_30d\" "
	    "\"promise_broken_1h\" \"promise_broken_30d\" \"recovered_30d\" \"recovery_rated_30d\" "
	    "\"recovery_rate_1h\" \"recovery_rate_30d\" \"follow_up_missing_30d\"",
	    "\"EXEC\""}, 4);
	/* The HSET between: only what changed, and nothing of 24h, whose figures did not. */
	for (int i = 0; i < 2; i++)
		assert_true(redisserver_monitored(mon, got, sizeof(got)));
	assert_true(strncmp(got, hset, strlen(hset)) == 0);
	assert_null(strstr(got, "_24h"));
	redisFree(mon);
	test_assert_stats("fb:agent:{a17}:stats", false, "1", "0", "1795341660124");
	write_seen(t, 1, TEST_NOW + 2, memo, true,
	    (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"1795341660125\""}, 1);
	/* Back: an HSET would add the 46 at the hash's end, so the hash is replaced whole, in order. */
	test_fill_totals(t, true);
	write_seen(t, 1, TEST_NOW + 3, memo, true,
	    (const char *[]){"\"MULTI\"", "\"DEL\" \"fb:agent:{a17}:stats\"", NULL, "\"EXEC\""}, 4);
	test_assert_stats("fb:agent:{a17}:stats", true, "1", "0", "1795341660126");
	assert_layout("fb:agent:{a17}:stats");
	assert_int_equal(test_calls_of("multi"), 3); /* the first write, the deletion, the return */
	assert_int_equal(test_calls_of("hdel"), 1);
	/* and then only what changes again, with nothing added */
	t[2].c[C_RATINGS]++;
	write_seen(t, 1, TEST_NOW + 4, memo, true, (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" "
	    "\"1795341660127\" \"ratings_7d\" \"11\""}, 1);
}

/* A value too wide for the memo is written every time; a deleted hash fails the next write. */
static void test_memo_wide_and_stale(void **state)
{
	char want[128];
	view_memo_t memo[TEST_MEMO_FIELDS];
	struct totals t[4];

	(void)state;
	memo_start(memo, t, 0);
	/* just past the memo's 16 bits, then past 32 */
	for (long long at = TEST_NOW + 1; at <= TEST_NOW + 4; at++) {
		t[0].c[C_RATINGS] = at <= TEST_NOW + 2 ? 32768 : INT64_C(5000000000);
		snprintf(want, sizeof(want), "\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"%lld\" "
		    "\"ratings_1h\" \"%lld\"", at, (long long)t[0].c[C_RATINGS]);
		write_seen(t, 0, at, memo, true, (const char *[]){want}, 1);
	}
	freeReplyObject(test_cmd("DEL fb:agent:{a17}:stats"));
	write_seen(t, 1, TEST_NOW + 5, memo, false, NULL, 0);
	assert_int_equal(test_cmd_int("HLEN fb:agent:{a17}:stats"), 3); /* ratings_1h, open_tickets, updated_at */
}

/* fb:agents keeps each agent's newest time (ZADD GT), in chunks of VIEW_SEEN_CHUNK. */
static void test_agents_gt(void **state)
{
	struct view_flush *f = view_flush_begin(test_cur->view);
	char agent[32];
	redisReply *r;

	(void)state;
	view_agent_seen(f, "a1", 100);
	view_agent_seen(f, "a2", 50);
	view_agent_seen(f, "a1", 90);  /* older, same call: ignored */
	assert_true(test_finish(f));
	f = view_flush_begin(test_cur->view);
	view_agent_seen(f, "a1", 60);  /* older: ignored */
	view_agent_seen(f, "a2", 70);
	view_agent_seen(f, "a3", 10);
	assert_true(test_finish(f));
	r = test_cmd("ZRANGE fb:agents 0 -1 WITHSCORES");
	assert_int_equal(r->elements, 6);
	assert_string_equal(r->element[0]->str, "a3");
	assert_string_equal(r->element[1]->str, "10");
	assert_string_equal(r->element[2]->str, "a2");
	assert_string_equal(r->element[3]->str, "70");
	assert_string_equal(r->element[4]->str, "a1");
	assert_string_equal(r->element[5]->str, "100");
	freeReplyObject(r);
	assert_int_equal(test_calls_of("zadd"), 2);
	/* 2500 agents: three calls of at most 1000 */
	freeReplyObject(test_cmd("CONFIG RESETSTAT"));
	f = view_flush_begin(test_cur->view);
	for (int i = 0; i < 2500; i++) {
		snprintf(agent, sizeof(agent), "b%d", i);
		view_agent_seen(f, agent, 1000 + i);
	}
	assert_true(test_finish(f));
	assert_int_equal(test_calls_of("zadd"), 3);
	assert_int_equal(test_cmd_int("ZCARD fb:agents"), 2503);
	for (int i = 0; i < 2500; i += 499) {
		r = test_cmd("ZSCORE fb:agents b%d", i);
		assert_int_equal(atoll(r->str), 1000 + i);
		freeReplyObject(r);
	}
}

/* An error reply fails the flush, in a transaction or not; the callback still comes once. */
static void test_error_fails(void **state)
{
	view_memo_t memo[TEST_MEMO_FIELDS];
	struct totals t[4];
	struct view_flush *f;

	(void)state;
	freeReplyObject(test_cmd("SET fb:agents x"));
	f = view_flush_begin(test_cur->view);
	view_agent_seen(f, "a1", 1);
	assert_false(test_finish(f));
	/* a whole write replaces the key, whatever it held */
	freeReplyObject(test_cmd("SET fb:agent:{a1}:stats x"));
	for (int i = 0; i < TEST_MEMO_FIELDS; i++)
		memo[i] = VIEW_MEMO_UNKNOWN;
	test_fill_totals(t, true);
	f = view_flush_begin(test_cur->view);
	view_agent_stats(f, "a1", t, 0, 0, TEST_NOW, memo);
	assert_true(test_finish(f));
	test_assert_stats("fb:agent:{a1}:stats", true, "0", "0", "1795341660123");
	/* a partial one on a key of another type fails: MULTI/EXEC, the errors inside EXEC's array */
	freeReplyObject(test_cmd("SET fb:agent:{a1}:stats x"));
	test_fill_totals(t, false);
	f = view_flush_begin(test_cur->view);
	view_agent_stats(f, "a1", t, 0, 0, TEST_NOW, memo);
	assert_false(test_finish(f));
	/* and so does a lone HSET */
	t[0].c[C_RATINGS]++;
	f = view_flush_begin(test_cur->view);
	view_agent_stats(f, "a1", t, 0, 0, TEST_NOW, memo);
	assert_false(test_finish(f));
	assert_int_equal(test_calls_of("exec"), 2);
	assert_int_equal(test_calls_of("hset"), 3);
	f = view_flush_begin(test_cur->view);
	assert_true(test_finish(f)); /* an empty flush is acknowledged at once */
}

/* With Redis down nothing is sent and the flush fails; fn is called once all the same. */
static void test_down_fails(void **state)
{
	struct config down = test_config;
	struct redis *r;
	struct view *v;
	struct view_flush *f;
	struct totals t[4];

	(void)state;
	down.redis_port = redisserver_free_port(); /* nobody listens there */
	r = redis_new(test_base, &down, &test_metrics, NULL, NULL);
	v = view_new(r, "fb:", &test_config.windows, NULL, 1);
	assert_non_null(v);
	test_fill_totals(t, false);
	f = view_flush_begin(v);
	view_agent_stats(f, "a1", t, 0, 0, TEST_NOW, NULL);
	view_agent_seen(f, "a1", 1);
	view_alert(f, "i", "a1", "", "csat_below", true, "{}", TEST_NOW);
	assert_false(test_finish_now(f));
	view_free(v);
	redis_free(r);
}

/* Redis's CPU time (user + system) in seconds, from INFO cpu. */
static double redis_cpu(void)
{
	redisReply *r = test_cmd("INFO cpu");
	const char *u = strstr(r->str, "used_cpu_user:"), *s = strstr(r->str, "used_cpu_sys:");
	double cpu;

	assert_non_null(u);
	assert_non_null(s);
	cpu = atof(u + strlen("used_cpu_user:")) + atof(s + strlen("used_cpu_sys:"));
	freeReplyObject(r);
	return cpu;
}

/*
 * Redis CPU per agent stats write, 10,000 agents pipelined in one flush: all 147 fields
 * (one HSET), then the mixed figures (MULTI, HSET, HDEL, EXEC). Only with
 * FEEDBACKD_VIEW_BENCH set: it measures, it is not a check of behaviour.
 */
static void test_bench_cpu(void **state)
{
	struct totals t[4];
	char agent[32];

	(void)state;
	if (getenv("FEEDBACKD_VIEW_BENCH") == NULL)
		skip();
	for (int full = 1; full >= 0; full--) {
		struct view_flush *f;
		double before, after;

		freeReplyObject(test_cmd("CONFIG RESETSTAT"));
		f = view_flush_begin(test_cur->view);
		before = redis_cpu();

		test_fill_totals(t, full);
		for (int i = 0; i < 10000; i++) {
			snprintf(agent, sizeof(agent), "agent-%05d", i);
			view_agent_stats(f, agent, t, 1, 0, TEST_NOW, NULL);
		}
		assert_true(test_finish(f));
		after = redis_cpu();
		assert_int_equal(test_cmd_int("DBSIZE"), 10000);
		assert_int_equal(test_cmd_int("HLEN fb:agent:{agent-00042}:stats"), full ? TEST_FULL_FIELDS : 79);
		printf("view bench: %s: %.2f us Redis CPU per agent stats write (10000 agents), of which "
		    "%.2f us in HSET itself\n", full ? "147 fields, HSET" : "90 fields + 57 deleted, MULTI/HSET/HDEL/EXEC",
		    (after - before) * 1e6 / 10000, usec_of("hset") / 10000.0);
	}
}

/* Runs the stats tests against a standalone server. */
int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test_setup(test_stats_full, test_flush_db),
		cmocka_unit_test_setup(test_stats_absent_deleted, test_flush_db),
		cmocka_unit_test_setup(test_memo_changed_only, test_flush_db),
		cmocka_unit_test_setup(test_memo_absent, test_flush_db),
		cmocka_unit_test_setup(test_memo_wide_and_stale, test_flush_db),
		cmocka_unit_test_setup(test_agents_gt, test_flush_db),
		cmocka_unit_test_setup(test_error_fails, test_flush_db),
		cmocka_unit_test_setup(test_down_fails, test_flush_db),
		cmocka_unit_test_setup(test_bench_cpu, test_flush_db),
	};

	return cmocka_run_group_tests_name("view (standalone)", plain, test_setup_plain, test_teardown_server);
}
