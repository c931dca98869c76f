/*
 * test_view.c: the contract keys as src/io/view.c writes them, through the real src/redis.c
 * connection in a libevent loop, into private redis-servers on free ports: a standalone one,
 * and one with cluster-enabled owning every slot, where a cross-slot call is refused.
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
#include "log.h"
#include "metrics.h"
#include "redis.h"
#include "redisserver.h"
#include "scripts.h"
#include "view.h"

/* A stats hash with every field: 15 per default window and 3. */
#define FULL_FIELDS 63
#define NOW 1795341660123LL

struct server {
	struct redisserver rs;      /* the private redis-server, with a connection for the assertions */
	struct redis *redis;        /* the connection under test */
	struct view *view;
};

static struct event_base *base;
static struct config cfg;
static struct metrics metrics;
static struct server *cur;      /* the server the current group runs against */
static bool up;
static int done_calls;
static bool done_ok;

/* Runs a command on the synchronous connection; fails the test on no reply. */
static redisReply *cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(cur->rs.rc, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fail_msg("no reply from redis-server: %s", cur->rs.rc->errstr);
	return r;
}

/* Runs a command whose reply is an integer and returns it. */
static long long cmd_int(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long n;

	va_start(ap, fmt);
	r = redisvCommand(cur->rs.rc, fmt, ap);
	va_end(ap);
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* The redis connection's state callback: stops the loop once it is up. */
static void on_state(void *arg, bool is_up)
{
	(void)arg;
	up = is_up;
	event_base_loopbreak(base);
}

/* Runs the loop until *flag or 10 s passed; false on the timeout. */
static bool loop_until(const bool *flag)
{
	time_t end = time(NULL) + 10;

	while (!*flag && time(NULL) < end) {
		struct timeval tv = {1, 0};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return *flag;
}

/* The flush callback: records its calls and result, stops the loop. */
static void on_done(void *arg, bool ok)
{
	*(bool *)arg = true;
	done_calls++;
	done_ok = ok;
	event_base_loopbreak(base);
}

/* Ends flush f and waits for its callback; returns ok, asserting it came exactly once. */
static bool finish(struct view_flush *f)
{
	bool done = false;

	done_calls = 0;
	view_flush_end(f, on_done, &done);
	assert_true(loop_until(&done));
	assert_int_equal(done_calls, 1);
	return done_ok;
}

/* Closes s's connections, then stops its server. */
static void server_stop(struct server *s)
{
	view_free(s->view);
	redis_free(s->redis);
	redisserver_stop(&s->rs);
	free(s);
}

/* Starts a private redis-server (cluster: owning all slots), the connection and a view. */
static struct server *server_start(bool cluster)
{
	struct server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (!redisserver_start(&s->rs, cluster)) {
		free(s);
		return NULL;
	}
	cfg.redis_port = s->rs.port;
	up = false;
	s->redis = redis_new(base, &cfg, &metrics, on_state, NULL);
	if (s->redis == NULL || !loop_until(&up)) {
		server_stop(s);
		return NULL;
	}
	s->view = view_new(s->redis, cfg.prefix, &cfg.windows);
	if (s->view == NULL) {
		server_stop(s);
		return NULL;
	}
	return s;
}

/* Group setup: the standalone server. */
static int setup_plain(void **state)
{
	(void)state;
	cur = server_start(false);
	return cur != NULL ? 0 : -1;
}

/* Group setup: the cluster-enabled server. */
static int setup_cluster(void **state)
{
	(void)state;
	cur = server_start(true);
	return cur != NULL ? 0 : -1;
}

/* Group teardown. */
static int teardown_server(void **state)
{
	(void)state;
	server_stop(cur);
	cur = NULL;
	return 0;
}

/* Each test starts from an empty database and zeroed command statistics. */
static int flush_db(void **state)
{
	(void)state;
	freeReplyObject(cmd("FLUSHALL"));
	freeReplyObject(cmd("CONFIG RESETSTAT"));
	return 0;
}

/* How often Redis ran command name (lower case) since the last CONFIG RESETSTAT. */
static long long calls_of(const char *name)
{
	return redisserver_calls(&cur->rs, name);
}

/* Microseconds Redis spent in command name since the last CONFIG RESETSTAT. */
static long long usec_of(const char *name)
{
	redisReply *r = cmd("INFO commandstats");
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

/* Totals from the counters in enum counter order. */
static struct totals totals_of(const int64_t c[COUNTER_COUNT])
{
	struct totals t;

	memcpy(t.c, c, sizeof(t.c));
	return t;
}

/*
 * Per default window (1h, 24h, 7d, 30d): counters, and the expected contract fields worked
 * out by hand (NULL: absent). Field order as in docs/redis-keys.md.
 */
static const char *const field_names[15] = {
	"ratings", "satisfied", "neutral", "dissatisfied", "csat", "score_avg", "nps_ratings", "nps",
	"complaints", "replies", "complaint_rate", "resp_avg_s", "resp_max_s", "reply_sla_met",
	"reply_sla_missed"
};
/* r s5 sat neu dis ssum n10 pro det cmp rep rn rsum rmax met miss */
static const int64_t mixed[4][COUNTER_COUNT] = {
	{3, 3, 2, 0, 1, 11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0},
	{10, 8, 6, 1, 1, 33, 2, 1, 1, 2, 8, 4, 10000, 4499, 3, 1},
	{16, 0, 0, 0, 0, 0, 16, 1, 4, 3, 7, 1, 1500, 1500, 0, 2},
	{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};
static const char *const mixed_want[4][15] = {
	/* 2/3 = 66.67%, 11/3 = 3.667: no scale-10, no replies, no closed clocks */
	{"3", "2", "0", "1", "66.7", "3.67", "0", NULL, "1", "0", NULL, NULL, NULL, "0", "0"},
	/* 6/8 = 75%, 33/8 = 4.125 up, nps 0, 2/8 = 25%, 10 s/4 = 2.5 up, 4.499 s down */
	{"10", "6", "1", "1", "75.0", "4.13", "2", "0.0", "2", "8", "25.0", "3", "4", "3", "1"},
	/* no scale-5; nps -3/16 = -18.75 away from zero; 3/7 = 42.86%; 1.5 s up */
	{"16", "0", "0", "0", NULL, NULL, "16", "-18.8", "3", "7", "42.9", "2", "2", "0", "2"},
	{"0", "0", "0", "0", NULL, NULL, "0", NULL, "0", "0", NULL, NULL, NULL, "0", "0"},
};

/* The four windows' totals: mixed, or the 24h row in every window (all 63 fields). */
static void fill_totals(struct totals t[4], bool full)
{
	for (int i = 0; i < 4; i++)
		t[i] = totals_of(mixed[full ? 1 : i]);
}

/* Asserts the hash at key holds exactly the expected fields and values of (full or mixed). */
static void assert_stats(const char *key, bool full, const char *open, const char *overdue,
    const char *updated)
{
	static const char *const windows[4] = {"1h", "24h", "7d", "30d"};
	redisReply *r = cmd("HGETALL %s", key);
	size_t want = 3, found = 0;

	assert_int_equal(r->type, REDIS_REPLY_ARRAY);
	for (size_t i = 0; i + 1 < r->elements; i += 2) {
		const char *f = r->element[i]->str, *v = r->element[i + 1]->str, *expect = NULL;
		char name[64];

		if (strcmp(f, "open_tickets") == 0)
			expect = open;
		else if (strcmp(f, "overdue_tickets") == 0)
			expect = overdue;
		else if (strcmp(f, "updated_at") == 0)
			expect = updated;
		for (int w = 0; w < 4 && expect == NULL; w++)
			for (int k = 0; k < 15 && expect == NULL; k++) {
				snprintf(name, sizeof(name), "%s_%s", field_names[k], windows[w]);
				if (strcmp(f, name) == 0)
					expect = mixed_want[full ? 1 : w][k];
			}
		if (expect == NULL)
			fail_msg("field %s = \"%s\" should be absent", f, v);
		assert_string_equal(v, expect);
		found++;
	}
	for (int w = 0; w < 4; w++)
		for (int k = 0; k < 15; k++)
			want += mixed_want[full ? 1 : w][k] != NULL;
	assert_int_equal(found, want);
	assert_int_equal(r->elements, 2 * want);
	freeReplyObject(r);
}

/* Every figure: exact contents, 63 fields in one HSET without a transaction. */
static void test_stats_full(void **state)
{
	struct view_flush *f = view_flush_begin(cur->view);
	struct totals t[4];

	(void)state;
	fill_totals(t, true);
	view_agent_stats(f, "a17", t, 2, 1, NOW, NULL);
	assert_true(finish(f));
	assert_stats("fb:agent:{a17}:stats", true, "2", "1", "1795341660123");
	assert_int_equal(cmd_int("HLEN fb:agent:{a17}:stats"), FULL_FIELDS);
	assert_int_equal(calls_of("hset"), 1);
	assert_int_equal(calls_of("exec"), 0);
	assert_int_equal(cmd_int("DBSIZE"), 1);
}

/* Figures that become undefined are deleted in one transaction; a replay changes nothing. */
static void test_stats_absent_deleted(void **state)
{
	struct totals t[4];
	struct view_flush *f;

	(void)state;
	fill_totals(t, true);
	f = view_flush_begin(cur->view);
	view_agent_stats(f, "a17", t, 2, 1, NOW, NULL);
	view_agent_stats(f, "a18", t, 0, 0, NOW, NULL);
	assert_true(finish(f));
	fill_totals(t, false);
	for (int replay = 0; replay < 2; replay++) {
		f = view_flush_begin(cur->view);
		view_agent_stats(f, "a17", t, 1, 0, NOW + 1000, NULL);
		assert_true(finish(f));
		assert_stats("fb:agent:{a17}:stats", false, "1", "0", "1795341661123"); /* 12 fields gone */
	}
	assert_int_equal(calls_of("multi"), 2);
	assert_int_equal(calls_of("exec"), 2);
	assert_int_equal(calls_of("hdel"), 2);
	assert_stats("fb:agent:{a18}:stats", true, "0", "0", "1795341660123"); /* another agent: untouched */
	/* the figures come back when defined again */
	fill_totals(t, true);
	f = view_flush_begin(cur->view);
	view_agent_stats(f, "a17", t, 3, 2, NOW + 2000, NULL);
	assert_true(finish(f));
	assert_stats("fb:agent:{a17}:stats", true, "3", "2", "1795341662123");
}

/* Writes a17's stats with memo in a flush of its own; asserts its result and Redis's commands. */
static void write_seen(const struct totals *t, int64_t open, int64_t now, view_memo_t *memo, bool ok,
    const char *const *want, size_t n)
{
	redisContext *mon = redisserver_monitor(&cur->rs);
	struct view_flush *f = view_flush_begin(cur->view);
	char got[4096];

	assert_non_null(mon);
	view_agent_stats(f, "a17", t, open, 0, now, memo);
	assert_int_equal(finish(f), ok);
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
	assert_int_equal(view_memo_fields(cur->view), FULL_FIELDS - 1);
	for (int i = 0; i < FULL_FIELDS - 1; i++)
		memo[i] = VIEW_MEMO_UNKNOWN;
	fill_totals(t, true);
	write_seen(t, open, NOW, memo, true, NULL, 0);
}

/* Asserts field of a17's hash holds want. */
static void assert_a17(const char *field, const char *want)
{
	redisReply *r = cmd("HGET fb:agent:{a17}:stats %s", field);

	assert_string_equal(r->str, want);
	freeReplyObject(r);
}

/* With a memo only changed fields go, with updated_at; the hash is what a full write makes. */
static void test_memo_changed_only(void **state)
{
	view_memo_t memo[FULL_FIELDS - 1];
	struct totals t[4];

	(void)state;
	memo_start(memo, t, 2);
	assert_stats("fb:agent:{a17}:stats", true, "2", "0", "1795341660123");
	write_seen(t, 2, NOW + 1, memo, true,
	    (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"1795341660124\""}, 1);
	t[1].c[C_RATINGS] = 11;
	t[3].c[C_SLA_MET] = 4;
	write_seen(t, 3, NOW + 2, memo, true, (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"ratings_24h\" "
	    "\"11\" \"reply_sla_met_30d\" \"4\" \"open_tickets\" \"3\" \"updated_at\" \"1795341660125\""}, 1);
	assert_a17("ratings_24h", "11");
	assert_a17("reply_sla_met_30d", "4");
	assert_int_equal(cmd_int("HLEN fb:agent:{a17}:stats"), FULL_FIELDS);
	assert_int_equal(calls_of("hset"), 3);
	assert_int_equal(calls_of("multi"), 0);
}

/* A figure that becomes undefined is deleted (MULTI/EXEC), and set again when it comes back. */
static void test_memo_absent(void **state)
{
	view_memo_t memo[FULL_FIELDS - 1];
	struct totals t[4];
	char got[4096];
	const char *hset = "\"HSET\" \"fb:agent:{a17}:stats\" \"ratings_1h\" \"3\" ";
	redisContext *mon;

	(void)state;
	memo_start(memo, t, 1);
	fill_totals(t, false);
	mon = redisserver_monitor(&cur->rs);
	write_seen(t, 1, NOW + 1, memo, true, (const char *[]){"\"MULTI\"", NULL, "\"HDEL\" \"fb:agent:{a17}:stats\" "
	    "\"nps_1h\" \"complaint_rate_1h\" \"resp_avg_s_1h\" \"resp_max_s_1h\" \"csat_7d\" \"score_avg_7d\" "
	    "\"csat_30d\" \"score_avg_30d\" \"nps_30d\" \"complaint_rate_30d\" \"resp_avg_s_30d\" \"resp_max_s_30d\"",
	    "\"EXEC\""}, 4);
	/* The HSET between: only what changed, and nothing of 24h, whose figures did not. */
	for (int i = 0; i < 2; i++)
		assert_true(redisserver_monitored(mon, got, sizeof(got)));
	assert_true(strncmp(got, hset, strlen(hset)) == 0);
	assert_null(strstr(got, "_24h"));
	assert_non_null(strstr(got, "\"updated_at\" \"1795341660124\""));
	redisFree(mon);
	assert_stats("fb:agent:{a17}:stats", false, "1", "0", "1795341660124");
	write_seen(t, 1, NOW + 2, memo, true,
	    (const char *[]){"\"HSET\" \"fb:agent:{a17}:stats\" \"updated_at\" \"1795341660125\""}, 1);
	/* Back: the 12 fields are added, as the memo expects (a mismatch would fail the flush). */
	fill_totals(t, true);
	write_seen(t, 1, NOW + 3, memo, true, NULL, 0);
	assert_stats("fb:agent:{a17}:stats", true, "1", "0", "1795341660126");
	assert_int_equal(calls_of("multi"), 1);
	assert_int_equal(calls_of("hdel"), 1);
}

/* A value too wide for the memo is written every time; a deleted hash fails the next write. */
static void test_memo_wide_and_stale(void **state)
{
	char want[128];
	view_memo_t memo[FULL_FIELDS - 1];
	struct totals t[4];

	(void)state;
	memo_start(memo, t, 0);
	/* just past the memo's 16 bits, then past 32 */
	for (long long at = NOW + 1; at <= NOW + 4; at++) {
		t[0].c[C_RATINGS] = at <= NOW + 2 ? 32768 : INT64_C(5000000000);
		snprintf(want, sizeof(want), "\"HSET\" \"fb:agent:{a17}:stats\" \"ratings_1h\" \"%lld\" "
		    "\"updated_at\" \"%lld\"", (long long)t[0].c[C_RATINGS], at);
		write_seen(t, 0, at, memo, true, (const char *[]){want}, 1);
	}
	freeReplyObject(cmd("DEL fb:agent:{a17}:stats"));
	write_seen(t, 1, NOW + 5, memo, false, NULL, 0);
	assert_int_equal(cmd_int("HLEN fb:agent:{a17}:stats"), 3); /* ratings_1h, open_tickets, updated_at */
}

/* fb:agents keeps each agent's newest time (ZADD GT), in chunks of VIEW_SEEN_CHUNK. */
static void test_agents_gt(void **state)
{
	struct view_flush *f = view_flush_begin(cur->view);
	char agent[32];
	redisReply *r;

	(void)state;
	view_agent_seen(f, "a1", 100);
	view_agent_seen(f, "a2", 50);
	view_agent_seen(f, "a1", 90);  /* older, same call: ignored */
	assert_true(finish(f));
	f = view_flush_begin(cur->view);
	view_agent_seen(f, "a1", 60);  /* older: ignored */
	view_agent_seen(f, "a2", 70);
	view_agent_seen(f, "a3", 10);
	assert_true(finish(f));
	r = cmd("ZRANGE fb:agents 0 -1 WITHSCORES");
	assert_int_equal(r->elements, 6);
	assert_string_equal(r->element[0]->str, "a3");
	assert_string_equal(r->element[1]->str, "10");
	assert_string_equal(r->element[2]->str, "a2");
	assert_string_equal(r->element[3]->str, "70");
	assert_string_equal(r->element[4]->str, "a1");
	assert_string_equal(r->element[5]->str, "100");
	freeReplyObject(r);
	assert_int_equal(calls_of("zadd"), 2);
	/* 2500 agents: three calls of at most 1000 */
	freeReplyObject(cmd("CONFIG RESETSTAT"));
	f = view_flush_begin(cur->view);
	for (int i = 0; i < 2500; i++) {
		snprintf(agent, sizeof(agent), "b%d", i);
		view_agent_seen(f, agent, 1000 + i);
	}
	assert_true(finish(f));
	assert_int_equal(calls_of("zadd"), 3);
	assert_int_equal(cmd_int("ZCARD fb:agents"), 2503);
	for (int i = 0; i < 2500; i += 499) {
		r = cmd("ZSCORE fb:agents b%d", i);
		assert_int_equal(atoll(r->str), 1000 + i);
		freeReplyObject(r);
	}
}

/* Asserts the stream holds exactly the n given JSON messages, oldest first, in field alert. */
static void assert_stream(const char *const *json, size_t n)
{
	redisReply *r = cmd("XRANGE fb:alerts - +");

	assert_int_equal(r->elements, n);
	for (size_t i = 0; i < n; i++) {
		const redisReply *fields = r->element[i]->element[1];

		assert_int_equal(fields->elements, 2);
		assert_string_equal(fields->element[0]->str, "alert");
		assert_string_equal(fields->element[1]->str, json[i]);
	}
	freeReplyObject(r);
}

/* Each message reaches the stream once across re-sends; the hash follows firing/resolved. */
static void test_alerts_once(void **state)
{
	const char *fire = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"firing\"}";
	const char *resolve = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"resolved\"}";
	const char *remind = "{\"alert_id\":\"e9ad6453a31ea751\",\"state\":\"firing\",\"repeat\":true}";
	const char *all[] = {fire, resolve, remind};
	struct view_flush *f;
	redisReply *r;

	(void)state;
	for (int send = 0; send < 3; send++) {
		f = view_flush_begin(cur->view);
		view_alert(f, "e9ad6453a31ea751:firing:1000", "a17", "csat_below", true, fire, NOW + send);
		if (send == 0) /* twice in one flush too */
			view_alert(f, "e9ad6453a31ea751:firing:1000", "a17", "csat_below", true, fire, NOW);
		assert_true(finish(f));
		assert_stream(all, 1);
		r = cmd("HGETALL fb:agent:{a17}:alerts");
		assert_int_equal(r->elements, 2);
		assert_string_equal(r->element[0]->str, "csat_below");
		assert_string_equal(r->element[1]->str, fire);
		freeReplyObject(r);
	}
	r = cmd("ZSCORE {fb:alerts}:sent e9ad6453a31ea751:firing:1000");
	assert_string_equal(r->str, "1795341660123"); /* the first send's time */
	freeReplyObject(r);
	for (int send = 0; send < 3; send++) {
		f = view_flush_begin(cur->view);
		view_alert(f, "e9ad6453a31ea751:resolved:2000", "a17", "csat_below", false, resolve, NOW + 10);
		assert_true(finish(f));
		assert_stream(all, 2);
		assert_int_equal(cmd_int("EXISTS fb:agent:{a17}:alerts"), 0);
	}
	/* a reminder is another message of the same episode */
	f = view_flush_begin(cur->view);
	view_alert(f, "e9ad6453a31ea751:firing:3000", "a17", "csat_below", true, remind, NOW + 20);
	view_alert(f, "e9ad6453a31ea751:firing:3000", "a17", "csat_below", true, remind, NOW + 20);
	assert_true(finish(f));
	assert_stream(all, 3);
	assert_int_equal(cmd_int("ZCARD {fb:alerts}:sent"), 3);
	assert_int_equal(cmd_int("HLEN fb:agent:{a17}:alerts"), 1);
}

/* Runs the view_alert script directly with a small horizon and size bound. */
static long long run_alert_script(const char *id, long long now, long long horizon, long long max)
{
	redisReply *r = cmd("EVAL %s 2 fb:alerts {fb:alerts}:sent %s {} %lld %lld %lld 10000",
	    script_src_view_alert, id, now, horizon, max);
	long long n;

	assert_int_equal(r->type, REDIS_REPLY_INTEGER);
	n = r->integer;
	freeReplyObject(r);
	return n;
}

/* The sent set forgets identities older than the horizon and the oldest beyond its bound. */
static void test_sent_trimmed(void **state)
{
	redisReply *r;

	(void)state;
	assert_int_equal(run_alert_script("x1", 1000, 100, 2), 1);
	assert_int_equal(run_alert_script("x2", 1001, 100, 2), 1);
	assert_int_equal(run_alert_script("x3", 1002, 100, 2), 1); /* over the bound: x1 goes */
	r = cmd("ZRANGE {fb:alerts}:sent 0 -1");
	assert_int_equal(r->elements, 2);
	assert_string_equal(r->element[0]->str, "x2");
	assert_string_equal(r->element[1]->str, "x3");
	freeReplyObject(r);
	assert_int_equal(run_alert_script("x2", 1050, 100, 2), 0);
	assert_int_equal(run_alert_script("x4", 1101, 100, 10), 1); /* x2 (1001) is 100 ms old: kept */
	assert_int_equal(cmd_int("ZCARD {fb:alerts}:sent"), 3);
	assert_int_equal(run_alert_script("x5", 1102, 100, 10), 1); /* now x2 is older than 100 ms */
	r = cmd("ZRANGE {fb:alerts}:sent 0 -1");
	assert_int_equal(r->elements, 3);
	assert_string_equal(r->element[0]->str, "x3");
	assert_string_equal(r->element[1]->str, "x4");
	assert_string_equal(r->element[2]->str, "x5");
	freeReplyObject(r);
	assert_int_equal(cmd_int("XLEN fb:alerts"), 5);
}

/* An error reply fails the flush, in a transaction or not; the callback still comes once. */
static void test_error_fails(void **state)
{
	struct totals t[4];
	struct view_flush *f;

	(void)state;
	freeReplyObject(cmd("SET fb:agents x"));
	f = view_flush_begin(cur->view);
	view_agent_seen(f, "a1", 1);
	assert_false(finish(f));
	freeReplyObject(cmd("SET fb:agent:{a1}:stats x"));
	fill_totals(t, false);
	f = view_flush_begin(cur->view);
	view_agent_stats(f, "a1", t, 0, 0, NOW, NULL); /* MULTI/EXEC: the errors are inside EXEC's array */
	assert_false(finish(f));
	fill_totals(t, true);
	f = view_flush_begin(cur->view);
	view_agent_stats(f, "a1", t, 0, 0, NOW, NULL);
	assert_false(finish(f));
	f = view_flush_begin(cur->view);
	assert_true(finish(f)); /* an empty flush is acknowledged at once */
}

/* With Redis down nothing is sent and the flush fails; fn is called once all the same. */
static void test_down_fails(void **state)
{
	struct config down = cfg;
	struct redis *r;
	struct view *v;
	struct view_flush *f;
	struct totals t[4];

	(void)state;
	down.redis_port = redisserver_free_port(); /* nobody listens there */
	r = redis_new(base, &down, &metrics, NULL, NULL);
	v = view_new(r, "fb:", &cfg.windows);
	assert_non_null(v);
	fill_totals(t, false);
	f = view_flush_begin(v);
	view_agent_stats(f, "a1", t, 0, 0, NOW, NULL);
	view_agent_seen(f, "a1", 1);
	view_alert(f, "i", "a1", "csat_below", true, "{}", NOW);
	done_calls = 0;
	view_flush_end(f, on_done, &(bool){false});
	assert_int_equal(done_calls, 1);
	assert_false(done_ok);
	view_free(v);
	redis_free(r);
}

/* Key names: the contract templates, and the sent set in the stream's slot for any prefix. */
static void test_keys(void **state)
{
	const char *prefixes[] = {"fb:", "{t}:", "x{:", "p{q}{r}:"};
	char buf[VIEW_KEY_SIZE], stream[VIEW_KEY_SIZE], tiny[8];

	(void)state;
	assert_true(view_key_stats("fb:", "a17", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agent:{a17}:stats");
	assert_true(view_key_alerts("fb:", "a17", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agent:{a17}:alerts");
	assert_true(view_key_agents("fb:", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:agents");
	assert_true(view_key_stream("fb:", buf, sizeof(buf)));
	assert_string_equal(buf, "fb:alerts");
	assert_true(view_key_sent("fb:", buf, sizeof(buf)));
	assert_string_equal(buf, "{fb:alerts}:sent");
	assert_false(view_key_stats("fb:", "a17", tiny, sizeof(tiny)));
	assert_false(view_key_sent("a}b:", buf, sizeof(buf))); /* no tag could name its slot */
	assert_false(view_key_sent("x{}:", buf, sizeof(buf))); /* an empty tag is none */
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		assert_true(view_key_stream(prefixes[i], stream, sizeof(stream)));
		assert_true(view_key_sent(prefixes[i], buf, sizeof(buf)));
		assert_int_equal(cmd_int("CLUSTER KEYSLOT %s", stream), cmd_int("CLUSTER KEYSLOT %s", buf));
	}
}

/* Every kind of call is accepted by a cluster node, in both stats paths. */
static void test_cluster_accepts(void **state)
{
	struct view_flush *f = view_flush_begin(cur->view);
	struct totals full[4], mixed_t[4];

	(void)state;
	fill_totals(full, true);
	fill_totals(mixed_t, false);
	view_agent_stats(f, "a1", full, 1, 0, NOW, NULL);
	view_agent_stats(f, "a2", full, 1, 0, NOW, NULL);
	view_agent_stats(f, "a2", mixed_t, 1, 0, NOW, NULL);
	view_agent_seen(f, "a1", 5);
	view_agent_seen(f, "a2", 6);
	view_alert(f, "k:firing:1", "a1", "csat_below", true, "{\"state\":\"firing\"}", NOW);
	view_alert(f, "k:resolved:2", "a1", "csat_below", false, "{\"state\":\"resolved\"}", NOW);
	assert_true(finish(f));
	assert_stats("fb:agent:{a1}:stats", true, "1", "0", "1795341660123");
	assert_stats("fb:agent:{a2}:stats", false, "1", "0", "1795341660123");
	assert_int_equal(cmd_int("ZCARD fb:agents"), 2);
	assert_int_equal(cmd_int("XLEN fb:alerts"), 2);
	assert_int_equal(cmd_int("EXISTS fb:agent:{a1}:alerts"), 0);
	assert_int_equal(calls_of("exec"), 1);
}

/* The control: the same node refuses calls that span slots, so the test above can fail. */
static void test_cluster_refuses_cross_slot(void **state)
{
	redisReply *r;

	(void)state;
	r = cmd("EVAL %s 2 fb:alerts fb:agents i {} 1 1 1 1", script_src_view_alert);
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);
	freeReplyObject(cmd("MULTI"));
	freeReplyObject(cmd("HSET fb:agent:{a1}:stats f v"));
	freeReplyObject(cmd("HDEL fb:agent:{a2}:stats f"));
	r = cmd("EXEC");
	assert_int_equal(r->type, REDIS_REPLY_ERROR);
	assert_non_null(strstr(r->str, "CROSSSLOT"));
	freeReplyObject(r);
	assert_int_equal(cmd_int("EXISTS fb:agent:{a1}:stats"), 0);
}

/* Redis's CPU time (user + system) in seconds, from INFO cpu. */
static double redis_cpu(void)
{
	redisReply *r = cmd("INFO cpu");
	const char *u = strstr(r->str, "used_cpu_user:"), *s = strstr(r->str, "used_cpu_sys:");
	double cpu;

	assert_non_null(u);
	assert_non_null(s);
	cpu = atof(u + strlen("used_cpu_user:")) + atof(s + strlen("used_cpu_sys:"));
	freeReplyObject(r);
	return cpu;
}

/*
 * Redis CPU per agent stats write, 10,000 agents pipelined in one flush: all 63 fields
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

		freeReplyObject(cmd("CONFIG RESETSTAT"));
		f = view_flush_begin(cur->view);
		before = redis_cpu();

		fill_totals(t, full);
		for (int i = 0; i < 10000; i++) {
			snprintf(agent, sizeof(agent), "agent-%05d", i);
			view_agent_stats(f, agent, t, 1, 0, NOW, NULL);
		}
		assert_true(finish(f));
		after = redis_cpu();
		assert_int_equal(cmd_int("DBSIZE"), 10000);
		assert_int_equal(cmd_int("HLEN fb:agent:{agent-00042}:stats"), full ? FULL_FIELDS : 51);
		printf("view bench: %s: %.2f us Redis CPU per agent stats write (10000 agents), of which "
		    "%.2f us in HSET itself\n", full ? "63 fields, HSET" : "51 fields + 12 deleted, MULTI/HSET/HDEL/EXEC",
		    (after - before) * 1e6 / 10000, usec_of("hset") / 10000.0);
	}
}

/* Runs the standalone and the cluster groups. */
int main(void)
{
	const struct CMUnitTest plain[] = {
		cmocka_unit_test_setup(test_stats_full, flush_db),
		cmocka_unit_test_setup(test_stats_absent_deleted, flush_db),
		cmocka_unit_test_setup(test_memo_changed_only, flush_db),
		cmocka_unit_test_setup(test_memo_absent, flush_db),
		cmocka_unit_test_setup(test_memo_wide_and_stale, flush_db),
		cmocka_unit_test_setup(test_agents_gt, flush_db),
		cmocka_unit_test_setup(test_alerts_once, flush_db),
		cmocka_unit_test_setup(test_sent_trimmed, flush_db),
		cmocka_unit_test_setup(test_error_fails, flush_db),
		cmocka_unit_test_setup(test_down_fails, flush_db),
		cmocka_unit_test_setup(test_bench_cpu, flush_db),
	};
	const struct CMUnitTest cluster[] = {
		cmocka_unit_test_setup(test_keys, flush_db),
		cmocka_unit_test_setup(test_cluster_accepts, flush_db),
		cmocka_unit_test_setup(test_cluster_refuses_cross_slot, flush_db),
	};
	int failed;

	log_setup(LOG_WARNING, false);
	config_defaults(&cfg);
	base = event_base_new();
	if (base == NULL)
		return 1;
	failed = cmocka_run_group_tests_name("view (standalone)", plain, setup_plain, teardown_server);
	failed += cmocka_run_group_tests_name("view (cluster)", cluster, setup_cluster, teardown_server);
	event_base_free(base);
	config_free(&cfg);
	return failed;
}
