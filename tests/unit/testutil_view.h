/*
 * testutil_view.h: the fixture the view test drivers share: private redis-servers (standalone
 * and cluster-enabled) with a src/io/redis.c connection and a view on them, helpers to run
 * flushes and read Redis, and the stats figures with the contract fields they must give.
 */
#ifndef FEEDBACKD_TESTUTIL_VIEW_H
#define FEEDBACKD_TESTUTIL_VIEW_H

#include <stdbool.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "metrics.h"
#include "redis.h"
#include "redisserver.h"
#include "view.h"

/* A stats hash with every field: 29 per default window and 3. */
#define TEST_FULL_FIELDS 147
/* The memo's entries: every figure of every window (agents_W too, a group's), open and overdue. */
#define TEST_MEMO_FIELDS (4 * STATS_FIGURES + 2)
#define TEST_NOW 1795341660123LL

/* A private redis-server (with a connection for the assertions), the connection under test, its view. */
struct test_server {
	struct redisserver rs;
	struct redis *redis;
	struct view *view;
};

extern struct event_base *test_base;
extern struct config test_config;  /* the defaults, redis_port the current server's */
extern struct metrics test_metrics;
extern struct test_server *test_cur; /* the server the current group runs against */

/*
 * Group setup and teardown: logging, the default config, the loop and a standalone or a
 * cluster-enabled server owning every slot.
 */
int test_setup_plain(void **state);
int test_setup_cluster(void **state);
int test_teardown_server(void **state);

/* Each test starts from an empty database and zeroed command statistics. */
int test_flush_db(void **state);

/* Runs a command on the synchronous connection; fails the test on no reply. */
redisReply *test_cmd(const char *fmt, ...);

/* Runs a command whose reply is an integer and returns it. */
long long test_cmd_int(const char *fmt, ...);

/* How often Redis ran command name (lower case) since the last CONFIG RESETSTAT. */
long long test_calls_of(const char *name);

/* Ends flush f and waits for its callback; returns ok, asserting it came exactly once. */
bool test_finish(struct view_flush *f);

/* Ends flush f, asserting its callback came exactly once before this returned; returns ok. */
bool test_finish_now(struct view_flush *f);

/* The four windows' totals: mixed figures (73 fields), or the 24h row in every window (all 119). */
void test_fill_totals(struct totals t[4], bool full);

/* Asserts the hash at key holds exactly the expected fields and values of (full or mixed). */
void test_assert_stats(const char *key, bool full, const char *open, const char *overdue, const char *updated);

#endif
