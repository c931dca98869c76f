/* testutil_view.c: the fixture the view test drivers share (see testutil_view.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <cmocka.h>

#include "log.h"
#include "testutil_view.h"

struct event_base *test_base;
struct config test_config;
struct metrics test_metrics;
struct test_server *test_cur;
static bool up;
static int done_calls;
static bool done_ok;

/* See testutil_view.h. */
redisReply *test_cmd(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;

	va_start(ap, fmt);
	r = redisvCommand(test_cur->rs.rc, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fail_msg("no reply from redis-server: %s", test_cur->rs.rc->errstr);
	return r;
}

/* See testutil_view.h. */
long long test_cmd_int(const char *fmt, ...)
{
	va_list ap;
	redisReply *r;
	long long n;

	va_start(ap, fmt);
	r = redisvCommand(test_cur->rs.rc, fmt, ap);
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
	event_base_loopbreak(test_base);
}

/* Runs the loop until *flag or 10 s passed; false on the timeout. */
static bool loop_until(const bool *flag)
{
	time_t end = time(NULL) + 10;

	while (!*flag && time(NULL) < end) {
		struct timeval tv = {1, 0};

		event_base_loopexit(test_base, &tv);
		event_base_dispatch(test_base);
	}
	return *flag;
}

/* The flush callback: records its calls and result, stops the loop. */
static void on_done(void *arg, bool ok)
{
	*(bool *)arg = true;
	done_calls++;
	done_ok = ok;
	event_base_loopbreak(test_base);
}

/* See testutil_view.h. */
bool test_finish(struct view_flush *f)
{
	bool done = false;

	done_calls = 0;
	view_flush_end(f, on_done, &done);
	assert_true(loop_until(&done));
	assert_int_equal(done_calls, 1);
	return done_ok;
}

/* See testutil_view.h. */
bool test_finish_now(struct view_flush *f)
{
	done_calls = 0;
	view_flush_end(f, on_done, &(bool){false});
	assert_int_equal(done_calls, 1);
	return done_ok;
}

/* Closes s's connections, then stops its server. */
static void server_stop(struct test_server *s)
{
	view_free(s->view);
	redis_free(s->redis);
	redisserver_stop(&s->rs);
	free(s);
}

/* Starts a private redis-server (cluster: owning all slots), the connection and a view. */
static struct test_server *server_start(bool cluster)
{
	struct test_server *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (!redisserver_start(&s->rs, cluster)) {
		free(s);
		return NULL;
	}
	test_config.redis_port = s->rs.port;
	up = false;
	s->redis = redis_new(test_base, &test_config, &test_metrics, on_state, NULL);
	if (s->redis == NULL || !loop_until(&up)) {
		server_stop(s);
		return NULL;
	}
	s->view = view_new(s->redis, test_config.prefix, &test_config.windows, NULL, 1);
	if (s->view == NULL) {
		server_stop(s);
		return NULL;
	}
	return s;
}

/* Group setup: logging, the default config and the loop, then the server (cluster or not). */
static int setup(bool cluster)
{
	log_setup(LOG_WARNING, false);
	config_defaults(&test_config);
	if ((test_base = event_base_new()) == NULL)
		return -1;
	test_cur = server_start(cluster);
	return test_cur != NULL ? 0 : -1;
}

/* See testutil_view.h. */
int test_setup_plain(void **state)
{
	(void)state;
	return setup(false);
}

/* See testutil_view.h. */
int test_setup_cluster(void **state)
{
	(void)state;
	return setup(true);
}

/* See testutil_view.h. */
int test_teardown_server(void **state)
{
	(void)state;
	server_stop(test_cur);
	test_cur = NULL;
	event_base_free(test_base);
	config_free(&test_config);
	return 0;
}

/* See testutil_view.h. */
int test_flush_db(void **state)
{
	(void)state;
	freeReplyObject(test_cmd("FLUSHALL"));
	freeReplyObject(test_cmd("CONFIG RESETSTAT"));
	return 0;
}

/* See testutil_view.h. */
long long test_calls_of(const char *name)
{
	return redisserver_calls(&test_cur->rs, name);
}

/* Totals from the counters in enum counter order, and the histogram's count, p50 and p90. */
static struct totals totals_of(const int64_t c[COUNTER_COUNT], const int64_t pct[3])
{
	struct totals t;

	memset(&t, 0, sizeof(t));
	memcpy(t.c, c, sizeof(t.c));
	t.resp_n = pct[0];
	t.resp_p50_ms = pct[1];
	t.resp_p90_ms = pct[2];
	return t;
}

/*
 * Per default window (1h, 24h, 7d, 30d): counters, and the expected contract fields worked
 * out by hand (NULL: absent). Field order as in docs/redis-keys.md.
 */
static const char *const field_names[STATS_FIGURES] = {
	"ratings", "satisfied", "neutral", "dissatisfied", "csat", "dsat", "score_avg", "nps_ratings", "nps",
	"complaints", "replies", "complaint_rate", "resp_avg_s", "resp_max_s", "resp_p50_s", "resp_p90_s",
	"reply_sla_met",
	"reply_sla_missed", "first_reply_met", "first_reply_missed", "first_reply_avg_s",
	"first_reply_max_s", "next_reply_met", "next_reply_missed", "next_reply_avg_s", "next_reply_max_s",
	"resolution_met", "resolution_missed", "resolution_avg_s", "resolution_max_s", "promise_kept",
	"promise_broken", "recovered", "recovery_rated", "recovery_rate", "follow_up_missing", "agents"
};
/*
 * r s5 sat neu dis ssum n10 pro det cmp rep rn rsum rmax met miss,
 * frn frsum frmax frmet frmiss nrmax rsn rssum rsmax rsmet rsmiss pkept pbroken rcrated rcsat fumiss
 */
static const int64_t mixed[4][COUNTER_COUNT] = {
	{3, 3, 2, 0, 1, 11, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0},
	{10, 8, 6, 1, 1, 33, 2, 1, 1, 2, 8, 4, 10000, 4499, 3, 1,
	    3, 5501, 2500, 2, 1, 4499, 2, 7201000, 5400000, 1, 1, 5, 2, 3, 2, 1},
	{16, 0, 0, 0, 0, 0, 16, 1, 4, 3, 7, 1, 1500, 1500, 0, 2,
	    1, 1500, 1500, 0, 2, 0, 0, 0, 0, 0, 1, 0, 1, 1, 0, 0},
	{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
};
/* The histogram's count, p50 and p90 (ms) per window: 2.2 s and 4.499 s; 1.5 s up. */
static const int64_t mixed_pct[4][3] = {{0, 0, 0}, {4, 2200, 4499}, {1, 1500, 1500}, {0, 0, 0}};
static const char *const mixed_want[4][STATS_FIGURES] = {
	/*
	 * 2/3 = 66.67%, dsat 1/3, 11/3 = 3.667: no scale-10, no replies, no closed clocks, no policy
	 * figures; a complaint, so recovery counts, none rated
	 */
	{"3", "2", "0", "1", "66.7", "33.3", "3.67", "0", NULL, "1", "0", NULL, NULL, NULL, NULL, NULL, "0",
	    "0", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    "0", "0", NULL, "0", NULL},
	/*
	 * 6/8 = 75%, dsat 1/8, 33/8 = 4.125 up, nps 0, 2/8 = 25%, 10 s/4 = 2.5 up, 4.499 s down; first
	 * replies 5.501 s/3 = 1.83 up, 2.5 s up; the next one 4.499 s, met; resolutions
	 * 7201 s/2 = 3600.5 up, 5400 s; recovered 2 of 3 rated = 66.67%
	 */
	{"10", "6", "1", "1", "75.0", "12.5", "4.13", "2", "0.0", "2", "8", "25.0", "3", "4", "2", "4",
	    "3", "1", "2", "1", "2", "3", "1", "0", "4", "4", "1", "1", "3601", "5400", "5", "2",
	    "2", "3", "66.7", "1", NULL},
	/*
	 * no scale-5; nps -3/16 = -18.75 away from zero; 3/7 = 42.86%; 1.5 s up; the clock a
	 * first reply, so no next-reply figures; a resolution missed, none solved; a promise broken;
	 * one complaint rated after it, not satisfied: 0%
	 */
	{"16", "0", "0", "0", NULL, NULL, NULL, "16", "-18.8", "3", "7", "42.9", "2", "2", "2", "2", "0",
	    "2", "0", "2", "2", "2", NULL, NULL, NULL, NULL, "0", "1", NULL, NULL, "0", "1",
	    "0", "1", "0.0", "0", NULL},
	{"0", "0", "0", "0", NULL, NULL, NULL, "0", NULL, "0", "0", NULL, NULL, NULL, NULL, NULL, "0",
	    "0", NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL},
};

/* See testutil_view.h. */
void test_fill_totals(struct totals t[4], bool full)
{
	for (int i = 0; i < 4; i++)
		t[i] = totals_of(mixed[full ? 1 : i], mixed_pct[full ? 1 : i]);
}

/* See testutil_view.h. */
void test_assert_stats(const char *key, bool full, const char *open, const char *overdue,
    const char *updated)
{
	static const char *const windows[4] = {"1h", "24h", "7d", "30d"};
	redisReply *r = test_cmd("HGETALL %s", key);
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
			for (int k = 0; k < STATS_FIGURES && expect == NULL; k++) {
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
		for (int k = 0; k < STATS_FIGURES; k++)
			want += mixed_want[full ? 1 : w][k] != NULL;
	assert_int_equal(found, want);
	assert_int_equal(r->elements, 2 * want);
	freeReplyObject(r);
}
