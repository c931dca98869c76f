/* test_config_keys.c: every key of the config file, its default and every kind of bad value. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"
#include "testutil_config.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)

/* The built-in defaults are the documented ones. */
static void
test_defaults(void **state)
{
	struct fixture	*f = *state;
	struct config	*c = &f->cfg;

	config_defaults(c);
	assert_null(c->path);
	assert_string_equal(c->brokers, "embedded");
	assert_string_equal(c->group, "feedbackd");
	assert_null(c->group_instance_id);
	assert_int_equal(c->topic_count, 1);
	assert_string_equal(c->topics[0], "feedback.events");
	assert_string_equal(c->dlq_topic, "feedback.dlq");
	assert_string_equal(c->alerts_topic, "feedback.alerts");
	assert_int_equal(c->embedded_partitions, 4);
	assert_int_equal(c->rdkafka_count, 0);
	assert_string_equal(c->redis_host, "127.0.0.1");
	assert_int_equal(c->redis_port, 6379);
	assert_null(c->redis_socket);
	assert_null(c->redis_user);
	assert_null(c->redis_password);
	assert_int_equal(c->redis_db, 0);
	assert_string_equal(c->prefix, "fb:");
	assert_int_equal(c->redis_timeout_ms, 5000);
	assert_int_equal(c->windows.count, 4);
	assert_string_equal(c->windows.w[0].name, "1h");
	assert_string_equal(c->windows.w[3].name, "30d");
	assert_int_equal(c->windows.w[3].span_ms, 30 * DAY_MS);
	assert_int_equal(c->refresh_ms, 60000);
	assert_int_equal(c->batch_size, 8000);
	assert_int_equal(c->dedupe_horizon_ms, DAY_MS);
	assert_int_equal(c->max_future_ms, 5 * 60000);
	assert_int_equal(c->reply_target_ms, DAY_MS);
	for (int s = 0; s < SEVERITY_COUNT; s++)
		assert_int_equal(c->reply_target_severity_ms[s], DAY_MS);
	assert_true(c->at_risk == 0.8);
	assert_int_equal(c->pair_horizon_ms, 7 * DAY_MS);
	assert_string_equal(c->http_listen, "127.0.0.1:9187");
	assert_int_equal(c->log_level, LOG_INFO);
	assert_int_equal(c->tasks, 0);
	assert_string_equal(c->route_topic, "feedbackd.route");
	assert_int_equal(c->partitioner, PARTITIONER_CONSISTENT_RANDOM);
	assert_int_equal(c->flush_interval_ms, 20);

	/* The rules: windows 1 and 2 are 24h and 7d. */
	for (int r = 0; r < RULE_COUNT; r++) {
		assert_true(c->rules[r].enabled);
		assert_int_equal(c->rules[r].for_ms, 0);
		assert_int_equal(c->rules[r].repeat_ms, 0);
		assert_true(c->rules[r].confidence == (r == RULE_RATING_INTEGRITY ? 0.99 : 0.95));
	}
	assert_int_equal(c->rules[RULE_CSAT_BELOW].window, 1);
	assert_true(c->rules[RULE_CSAT_BELOW].threshold == 80);
	assert_int_equal(c->rules[RULE_CSAT_BELOW].min_samples, 20);
	assert_true(c->rules[RULE_CSAT_BELOW].confidence_mode);
	assert_true(c->rules[RULE_CSAT_BELOW].margin == 2);
	assert_int_equal(c->rules[RULE_NPS_BELOW].window, 2);
	assert_true(c->rules[RULE_NPS_BELOW].threshold == 0);
	assert_int_equal(c->rules[RULE_NPS_BELOW].min_samples, 20);
	assert_true(c->rules[RULE_NPS_BELOW].confidence_mode);
	assert_true(c->rules[RULE_NPS_BELOW].margin == 2);
	assert_int_equal(c->rules[RULE_COMPLAINTS_ABOVE].window, 1);
	assert_true(c->rules[RULE_COMPLAINTS_ABOVE].threshold == 5);
	assert_false(c->rules[RULE_COMPLAINTS_ABOVE].confidence_mode);
	assert_true(c->rules[RULE_COMPLAINTS_ABOVE].margin == 0.10);
	assert_int_equal(c->rules[RULE_COMPLAINT_RATE_ABOVE].window, 2);
	assert_true(c->rules[RULE_COMPLAINT_RATE_ABOVE].threshold == 10);
	assert_int_equal(c->rules[RULE_COMPLAINT_RATE_ABOVE].min_samples, 20);
	assert_false(c->rules[RULE_COMPLAINT_RATE_ABOVE].confidence_mode);
	assert_true(c->rules[RULE_COMPLAINT_RATE_ABOVE].margin == 0.10);
	assert_int_equal(c->rules[RULE_RESPONSE_TIME_ABOVE].window, 1);
	assert_true(c->rules[RULE_RESPONSE_TIME_ABOVE].threshold == 8 * 3600);
	assert_int_equal(c->rules[RULE_RESPONSE_TIME_ABOVE].min_samples, 20);
	assert_false(c->rules[RULE_RESPONSE_TIME_ABOVE].confidence_mode);
	assert_true(c->rules[RULE_RESPONSE_TIME_ABOVE].margin == 0.10);
}

/* Every key set to something other than its default, read back. */
static void
test_all_keys(void **state)
{
	struct fixture	*f = *state;
	struct config	*c = &f->cfg;

	test_loads(f,
	    "[kafka]\n"
	    "brokers = k1:9092,k2:9092\n"
	    "group = fbd-test\n"
	    "group_instance_id = host-a\n"
	    "topics = a.events , b_events,c-events\n"
	    "dlq_topic = my.dlq\n"
	    "alerts_topic = my.alerts\n"
	    "embedded_partitions = 64\n"
	    "[redis]\n"
	    "host = redis.local\n"
	    "port = 6380\n"
	    "socket = /run/redis.sock\n"
	    "user = fbd\n"
	    "password = s3cret\n"
	    "db = 15\n"
	    "prefix = feedback:\n"
	    "timeout = 1500ms\n"
	    "[windows]\n"
	    "sizes = 15m, 1d\n"
	    "refresh = 90s\n"
	    "[ingest]\n"
	    "batch_size = 10000\n"
	    "max_inflight_batches = 1\n"
	    "dedupe_horizon = 2d\n"
	    "max_future = 500ms\n"
	    "[sla]\n"
	    "reply_target = 4h\n"
	    "reply_target.critical = 30m\n"
	    "at_risk = 0\n"
	    "pair_horizon = 1d\n"
	    "rescan = 1s\n"
	    "[http]\n"
	    "listen = [::1]:8080\n"
	    "[log]\n"
	    "level = debug\n");
	assert_string_equal(c->brokers, "k1:9092,k2:9092");
	assert_string_equal(c->group, "fbd-test");
	assert_string_equal(c->group_instance_id, "host-a");
	assert_int_equal(c->topic_count, 3);
	assert_string_equal(c->topics[0], "a.events");
	assert_string_equal(c->topics[1], "b_events");
	assert_string_equal(c->topics[2], "c-events");
	assert_string_equal(c->dlq_topic, "my.dlq");
	assert_string_equal(c->alerts_topic, "my.alerts");
	assert_int_equal(c->embedded_partitions, 64);
	assert_string_equal(c->redis_host, "redis.local");
	assert_int_equal(c->redis_port, 6380);
	assert_string_equal(c->redis_socket, "/run/redis.sock");
	assert_string_equal(c->redis_user, "fbd");
	assert_string_equal(c->redis_password, "s3cret");
	assert_int_equal(c->redis_db, 15);
	assert_string_equal(c->prefix, "feedback:");
	assert_int_equal(c->redis_timeout_ms, 1500);
	assert_int_equal(c->windows.count, 2);
	assert_string_equal(c->windows.w[0].name, "15m");
	assert_string_equal(c->windows.w[1].name, "1d");
	assert_int_equal(c->refresh_ms, 90000);
	assert_int_equal(c->batch_size, 10000);
	assert_int_equal(c->dedupe_horizon_ms, 2 * DAY_MS);
	assert_int_equal(c->max_future_ms, 500);
	assert_int_equal(c->reply_target_ms, 4 * HOUR_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_CRITICAL], 30 * 60000);
	assert_true(c->at_risk == 0.0);
	assert_int_equal(c->pair_horizon_ms, DAY_MS);
	assert_string_equal(c->http_listen, "[::1]:8080");
	assert_int_equal(c->log_level, LOG_DEBUG);
}

/* Integers: the range is in the message. */
static void
test_int_values(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nport = 70000\n",
	    ":2: [redis] port: '70000' is not an integer between 1 and 65535");
	test_fails(f, "[redis]\nport = 63x\n",
	    ":2: [redis] port: '63x' is not an integer between 1 and 65535");
	test_fails(f, "[redis]\nport =\n",
	    ":2: [redis] port: '' is not an integer between 1 and 65535");
	test_fails(f, "[redis]\ndb = 16\n", ":2: [redis] db: '16' is not an integer between 0 and 15");
	test_fails(f, "[redis]\ndb = -1\n", ":2: [redis] db: '-1' is not an integer between 0 and 15");
	test_fails(f, "[redis]\ndb = 99999999999999999999\n",
	    ":2: [redis] db: '99999999999999999999' is not an integer between 0 and 15");
	test_fails(f, "[kafka]\nembedded_partitions = 0\n",
	    ":2: [kafka] embedded_partitions: '0' is not an integer between 1 and 64");
	test_fails(f, "[kafka]\nembedded_partitions = 65\n",
	    ":2: [kafka] embedded_partitions: '65' is not an integer between 1 and 64");
	test_loads(f, "[redis]\nport = 1\ndb = 0\n[kafka]\nembedded_partitions = 1\n");
	assert_int_equal(f->cfg.redis_port, 1);
	assert_int_equal(f->cfg.embedded_partitions, 1);
}

/* batch_size and max_inflight_batches have hard limits. */
static void
test_ingest_limits(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[ingest]\nbatch_size = 0\n",
	    ":2: [ingest] batch_size: '0' is not an integer between 1 and 10000");
	test_fails(f, "[ingest]\nbatch_size = 10001\n",
	    ":2: [ingest] batch_size: '10001' is not an integer between 1 and 10000");
	/* Keys that lost their meaning still load, whatever their value, so old files do. */
	test_loads(f, "[ingest]\nbatch_size = 1\nmax_inflight_batches = anything\n[sla]\nrescan = 0\n");
	assert_int_equal(f->cfg.batch_size, 1);
}

/* Durations need a unit and must be positive. */
static void
test_duration_values(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[ingest]\nmax_future = 5\n",
	    ":2: [ingest] max_future: '5' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[windows]\nrefresh = 0s\n",
	    ":2: [windows] refresh: '0s' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[sla]\npair_horizon = 1 s\n",
	    ":2: [sla] pair_horizon: '1 s' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[sla]\nreply_target.high = 2x\n",
	    ":2: [sla] reply_target.high: '2x' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[redis]\nport = 6380\ntimeout = 0ms\n",
	    ":3: [redis] timeout: '0ms' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[redis]\ntimeout = 5\n",
	    ":2: [redis] timeout: '5' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_loads(f, "[ingest]\nmax_future = 90s\ndedupe_horizon = 36h\n");
	assert_int_equal(f->cfg.max_future_ms, 90000);
	assert_int_equal(f->cfg.dedupe_horizon_ms, 36 * HOUR_MS);
	test_loads(f, "[redis]\ntimeout = 2s\n");
	assert_int_equal(f->cfg.redis_timeout_ms, 2000);
}

/* The window list goes through windows_parse, whose reason is kept. */
static void
test_window_values(void **state)
{
	struct fixture	*f = *state;

	assert_false(test_load(f, "[windows]\nsizes = 1h,2x\n"));
	assert_non_null(strstr(f->err, ":2: [windows] sizes: '1h,2x' is not a window list ("));
	assert_false(test_load(f, "[windows]\nsizes = 1h,1h\n"));
	assert_non_null(strstr(f->err, ":2: [windows] sizes: '1h,1h' is not a window list ("));
	assert_false(test_load(f, "[windows]\nsizes =\n"));
	assert_non_null(strstr(f->err, ":2: [windows] sizes: '' is not a window list ("));
	test_loads(f, "[windows]\nsizes = 30d, 1h\n");
	assert_int_equal(f->cfg.windows.count, 2);
	assert_string_equal(f->cfg.windows.w[0].name, "1h");
}

/* The at_risk fraction: 0 disables, 1 would never fire before the deadline. */
static void
test_fraction_values(void **state)
{
	struct fixture	*f = *state;
	static const char *const bad[] = { "1", "1.5", "-0.1", "nan", "abc", "0.5x", "" };

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char	text[64], suffix[128];

		snprintf(text, sizeof text, "[sla]\nat_risk = %s\n", bad[i]);
		snprintf(suffix, sizeof suffix,
		    ":2: [sla] at_risk: '%s' is not a number from 0 up to (not including) 1",
		    bad[i]);
		test_fails(f, text, suffix);
	}
	test_loads(f, "[sla]\nat_risk = 0.95\n");
	assert_true(f->cfg.at_risk == 0.95);
	test_loads(f, "[sla]\nat_risk = 0\n");
	assert_true(f->cfg.at_risk == 0.0);
}

/* Severity targets not set follow reply_target, even one set after them. */
static void
test_severity_targets(void **state)
{
	struct fixture	*f = *state;
	struct config	*c = &f->cfg;

	test_loads(f, "[sla]\nreply_target.critical = 1h\nreply_target.high = 4h\nreply_target = 48h\n");
	assert_int_equal(c->reply_target_ms, 48 * HOUR_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_LOW], 48 * HOUR_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_NORMAL], 48 * HOUR_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_HIGH], 4 * HOUR_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_CRITICAL], HOUR_MS);
	test_loads(f, "[sla]\nreply_target.low = 3d\n");
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_LOW], 3 * DAY_MS);
	assert_int_equal(c->reply_target_severity_ms[SEVERITY_HIGH], DAY_MS);
	test_fails(f, "[sla]\nreply_target.urgent = 1h\n",
	    ":2: unknown key 'reply_target.urgent' in [sla]");
}

/* listen is HOST:PORT or off. */
static void
test_http_listen(void **state)
{
	struct fixture	*f = *state;

	test_loads(f, "[http]\nlisten = off\n");
	assert_null(f->cfg.http_listen);
	test_loads(f, "[http]\nlisten = 0.0.0.0:80\n");
	assert_string_equal(f->cfg.http_listen, "0.0.0.0:80");
	test_fails(f, "[http]\nlisten = 9187\n", ":2: [http] listen: '9187' is not HOST:PORT or off");
	test_fails(f, "[http]\nlisten = :9187\n", ":2: [http] listen: ':9187' is not HOST:PORT or off");
	test_fails(f, "[http]\nlisten = h:0\n", ":2: [http] listen: 'h:0' is not HOST:PORT or off");
	test_fails(f, "[http]\nlisten = OFF\n", ":2: [http] listen: 'OFF' is not HOST:PORT or off");
}

/* [redis] mode and the endpoint lists. */
static void
test_redis_endpoints(void **state)
{
	struct fixture	*f = *state;

	test_loads(f, "[redis]\nmode = cluster\ncluster = 10.0.0.1:7000, [::1]:7001\n");
	assert_int_equal(f->cfg.redis_mode, REDIS_MODE_CLUSTER);
	assert_int_equal(f->cfg.redis_cluster.count, 2);
	assert_string_equal(f->cfg.redis_cluster.at[1].host, "::1");
	assert_int_equal(f->cfg.redis_cluster.at[1].port, 7001);
	test_loads(f, "[redis]\nmode = sentinel\nsentinels = s1:26379,s2:26379,s3:26379\nmaster_name = fb\n");
	assert_int_equal(f->cfg.redis_mode, REDIS_MODE_SENTINEL);
	assert_int_equal(f->cfg.redis_sentinels.count, 3);
	assert_string_equal(f->cfg.redis_master_name, "fb");
	test_fails(f, "[redis]\nmode = Cluster\n",
	    ":2: [redis] mode: 'Cluster' is not standalone, cluster or sentinel");
	test_fails(f, "[redis]\nmode = cluster\ncluster = a:1,b\n",
	    ":3: [redis] cluster: item 2 of 'a:1,b' is not HOST:PORT");
	test_fails(f, "[redis]\nsentinels = a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8,a:9,a:10,a:11,a:12,a:13,a:14,a:15,a:16,a:17\n",
	    ":2: [redis] sentinels: more than 16 endpoints in "
	    "'a:1,a:2,a:3,a:4,a:5,a:6,a:7,a:8,a:9,a:10,a:11,a:12,a:13,a:14,a:1'"); /* quoted in part */
}

/* Log levels, with the aliases log_level_parse knows. */
static void
test_log_level_values(void **state)
{
	struct fixture	*f = *state;

	test_loads(f, "[log]\nlevel = warn\n");
	assert_int_equal(f->cfg.log_level, LOG_WARNING);
	test_loads(f, "[log]\nlevel = error\n");
	assert_int_equal(f->cfg.log_level, LOG_ERR);
	test_fails(f, "[log]\nlevel = loud\n",
	    ":2: [log] level: 'loud' is not one of err, warning, notice, info, debug");
}

/* Strings: required ones may not be empty, optional ones empty means unset. */
static void
test_string_values(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[redis]\nprefix =\n", ":2: [redis] prefix: must not be empty");
	test_fails(f, "[kafka]\ngroup =   \n", ":2: [kafka] group: must not be empty");
	test_fails(f, "[redis]\nhost =\n", ":2: [redis] host: must not be empty");
	test_loads(f, "[redis]\nsocket =\nuser =\npassword = a b  c\n");
	assert_null(f->cfg.redis_socket);
	assert_null(f->cfg.redis_user);
	assert_string_equal(f->cfg.redis_password, "a b  c");
	test_loads(f, "[kafka]\ngroup_instance_id =\n");
	assert_null(f->cfg.group_instance_id);
	/* " ;" starts a comment, as the shipped file warns. */
	test_loads(f, "[redis]\npassword = abc ; comment\nhost = h;x\n");
	assert_string_equal(f->cfg.redis_password, "abc");
	assert_string_equal(f->cfg.redis_host, "h;x");
}

/* Topic lists: trimmed, no empty, invalid or repeated names, at most CONFIG_TOPICS_MAX. */
static void
test_topics_values(void **state)
{
	struct fixture	*f = *state;
	char		 text[1024], suffix[64];
	size_t		 off;

	test_fails(f, "[kafka]\ntopics = a,,b\n", ":2: [kafka] topics: '' is not a valid topic name");
	test_fails(f, "[kafka]\ntopics = a,\n", ":2: [kafka] topics: '' is not a valid topic name");
	test_fails(f, "[kafka]\ntopics = a, b c\n",
	    ":2: [kafka] topics: 'b c' is not a valid topic name");
	test_fails(f, "[kafka]\ntopics = a,b, a\n", ":2: [kafka] topics: topic 'a' is listed twice");
	test_fails(f, "[kafka]\ndlq_topic = bad/name\n",
	    ":2: [kafka] dlq_topic: 'bad/name' is not a valid topic name");
	test_fails(f, "[kafka]\nalerts_topic =\n",
	    ":2: [kafka] alerts_topic: '' is not a valid topic name");

	off = (size_t)snprintf(text, sizeof text, "[kafka]\ntopics = t0");
	for (int i = 1; i <= CONFIG_TOPICS_MAX; i++)
		off += (size_t)snprintf(text + off, sizeof text - off, ",t%d", i);
	snprintf(text + off, sizeof text - off, "\n");
	snprintf(suffix, sizeof suffix, ":2: [kafka] topics: more than %d topics",
	    CONFIG_TOPICS_MAX);
	test_fails(f, text, suffix);

	test_loads(f, "[kafka]\ntopics = x\n");
	assert_int_equal(f->cfg.topic_count, 1);
	assert_string_equal(f->cfg.topics[0], "x");
}

/* [engine]: tasks, the route topic named after the group, the partitioner, flush_interval. */
static void
test_engine(void **state)
{
	struct fixture	*f = *state;

	/* Unset or empty, the route topic follows the group wherever the group line is. */
	test_loads(f, "[engine]\ntasks = 12\n[kafka]\ngroup = billing\n");
	assert_string_equal(f->cfg.route_topic, "billing.route");
	assert_int_equal(f->cfg.tasks, 12);
	test_loads(f, "[engine]\nroute_topic =\n[kafka]\ngroup = g2\n");
	assert_string_equal(f->cfg.route_topic, "g2.route");
	test_loads(f, "[kafka]\ngroup = g3\n[engine]\nroute_topic = my.route\n"
	    "partitioner = murmur2_random\nflush_interval = 10s\ntasks = 1024\n");
	assert_string_equal(f->cfg.route_topic, "my.route");
	assert_int_equal(f->cfg.partitioner, PARTITIONER_MURMUR2_RANDOM);
	assert_int_equal(f->cfg.flush_interval_ms, 10000);
	assert_int_equal(f->cfg.tasks, 1024);
	test_loads(f, "[engine]\nflush_interval = 1ms\npartitioner = consistent_random\n");
	assert_int_equal(f->cfg.flush_interval_ms, 1);
	assert_int_equal(f->cfg.partitioner, PARTITIONER_CONSISTENT_RANDOM);

	test_fails(f, "[engine]\ntasks = -1\n",
	    ":2: [engine] tasks: '-1' is not an integer between 0 and 1024");
	test_fails(f, "[engine]\ntasks = 1025\n",
	    ":2: [engine] tasks: '1025' is not an integer between 0 and 1024");
	test_fails(f, "[engine]\nflush_interval = 10001ms\n",
	    ":2: [engine] flush_interval: '10001ms' is not a duration from 1ms to 10s");
	test_fails(f, "[engine]\nflush_interval = 0\n",
	    ":2: [engine] flush_interval: '0' is not a duration (like 500ms, 90s, 15m, 24h, 7d)");
	test_fails(f, "[engine]\npartitioner = murmur2\n",
	    ":2: [engine] partitioner: 'murmur2' is not consistent_random or murmur2_random");
	test_fails(f, "[engine]\nroute_topic = a b\n",
	    ":2: [engine] route_topic: 'a b' is not a valid topic name");
	/* A group that makes no topic name is refused only when it would name the route topic. */
	test_fails(f, "[kafka]\ngroup = my group\n",
	    ":2: [kafka] group: 'my group.route' (the name of an unset [engine] route_topic) is "
	    "not a valid topic name; set route_topic");
	test_loads(f, "[kafka]\ngroup = my group\n[engine]\nroute_topic = r\n");
	assert_string_equal(f->cfg.route_topic, "r");
}

/* Every rule key set away from its default, read back. */
static void
test_rule_overrides(void **state)
{
	struct fixture		*f = *state;
	const struct rule_config *r = f->cfg.rules;

	test_loads(f,
	    "[rule.csat_below]\n"
	    "enabled = no\n"
	    "window = 7d\n"
	    "threshold = 85.5\n"
	    "min_samples = 30\n"
	    "mode = plain\n"
	    "confidence = 0.99\n"
	    "margin = 3\n"
	    "for = 15m\n"
	    "repeat_interval = 4h\n"
	    "[rule.nps_below]\n"
	    "threshold = -20\n"
	    "confidence = 0.5\n"
	    "margin = 0\n"
	    "[rule.complaints_above]\n"
	    "window = 1h\n"
	    "threshold = 0\n"
	    "mode = plain\n"
	    "margin = 0.5\n"
	    "[rule.complaint_rate_above]\n"
	    "enabled = off\n"
	    "min_samples = 0\n"
	    "threshold = 12.5\n"
	    "[rule.response_time_above]\n"
	    "threshold = 90m\n"
	    "repeat_interval = 1d\n");
	assert_false(r[RULE_CSAT_BELOW].enabled);
	assert_int_equal(r[RULE_CSAT_BELOW].window, 2);
	assert_true(r[RULE_CSAT_BELOW].threshold == 85.5);
	assert_int_equal(r[RULE_CSAT_BELOW].min_samples, 30);
	assert_false(r[RULE_CSAT_BELOW].confidence_mode);
	assert_true(r[RULE_CSAT_BELOW].confidence == 0.99);
	assert_true(r[RULE_CSAT_BELOW].margin == 3);
	assert_int_equal(r[RULE_CSAT_BELOW].for_ms, 15 * 60000);
	assert_int_equal(r[RULE_CSAT_BELOW].repeat_ms, 4 * HOUR_MS);
	assert_true(r[RULE_NPS_BELOW].enabled);
	assert_int_equal(r[RULE_NPS_BELOW].window, 2);
	assert_true(r[RULE_NPS_BELOW].threshold == -20);
	assert_true(r[RULE_NPS_BELOW].confidence_mode);
	assert_true(r[RULE_NPS_BELOW].confidence == 0.5);
	assert_true(r[RULE_NPS_BELOW].margin == 0);
	assert_int_equal(r[RULE_COMPLAINTS_ABOVE].window, 0);
	assert_true(r[RULE_COMPLAINTS_ABOVE].threshold == 0);
	assert_true(r[RULE_COMPLAINTS_ABOVE].margin == 0.5);
	assert_false(r[RULE_COMPLAINT_RATE_ABOVE].enabled);
	assert_int_equal(r[RULE_COMPLAINT_RATE_ABOVE].min_samples, 0);
	assert_true(r[RULE_COMPLAINT_RATE_ABOVE].threshold == 12.5);
	assert_true(r[RULE_RESPONSE_TIME_ABOVE].threshold == 5400);
	assert_int_equal(r[RULE_RESPONSE_TIME_ABOVE].repeat_ms, DAY_MS);
	assert_int_equal(r[RULE_RESPONSE_TIME_ABOVE].window, 1);

	/* A response-time threshold may be plain seconds too; for and repeat may be 0. */
	test_loads(f, "[rule.response_time_above]\nthreshold = 28800\nfor = 0\n"
	    "repeat_interval = 0\nenabled = true\n");
	assert_true(r[RULE_RESPONSE_TIME_ABOVE].threshold == 28800);
	assert_int_equal(r[RULE_RESPONSE_TIME_ABOVE].for_ms, 0);
	assert_int_equal(r[RULE_RESPONSE_TIME_ABOVE].repeat_ms, 0);
	assert_true(r[RULE_RESPONSE_TIME_ABOVE].enabled);
	test_loads(f, "[rule.response_time_above]\nthreshold = 90.5\n");
	assert_true(r[RULE_RESPONSE_TIME_ABOVE].threshold == 90.5);
}

/* Rules without a window follow the configured windows: the closest span, ties longer. */
static void
test_rule_default_window(void **state)
{
	struct fixture	*f = *state;
	const struct rule_config *r = f->cfg.rules;

	test_loads(f, "[windows]\nsizes = 1h,12h,30d\n");
	assert_int_equal(r[RULE_CSAT_BELOW].window, 1);
	assert_int_equal(r[RULE_NPS_BELOW].window, 1);
	test_loads(f, "[windows]\nsizes = 12h,36h,5d\n");
	assert_int_equal(r[RULE_CSAT_BELOW].window, 1);
	assert_int_equal(r[RULE_NPS_BELOW].window, 2);
	test_loads(f, "[windows]\nsizes = 1d,7d\n");
	assert_int_equal(r[RULE_COMPLAINTS_ABOVE].window, 0);
	assert_int_equal(r[RULE_COMPLAINT_RATE_ABOVE].window, 1);
}

/* mode: confidence or plain, and confidence only where there is an interval. */
static void
test_rule_bad_mode(void **state)
{
	struct fixture	*f = *state;

	test_fails(f, "[rule.csat_below]\nmode = strict\n",
	    ":2: [rule.csat_below] mode: 'strict' is not confidence or plain");
	test_fails(f, "[rule.nps_below]\nmode = Confidence\n",
	    ":2: [rule.nps_below] mode: 'Confidence' is not confidence or plain");
	test_fails(f, "[rule.complaints_above]\nmode = confidence\n",
	    ":2: [rule.complaints_above] mode: 'confidence' is only available for csat_below "
	    "and nps_below");
	test_fails(f, "[rule.complaint_rate_above]\nmode = confidence\n",
	    ":2: [rule.complaint_rate_above] mode: 'confidence' is only available for "
	    "csat_below and nps_below");
	test_fails(f, "[rule.response_time_above]\n\nmode = confidence\n",
	    ":3: [rule.response_time_above] mode: 'confidence' is only available for "
	    "csat_below and nps_below");
	test_loads(f, "[rule.nps_below]\nmode = plain\n[rule.response_time_above]\nmode = plain\n");
	assert_false(f->cfg.rules[RULE_NPS_BELOW].confidence_mode);
	test_loads(f, "[rule.nps_below]\nmode = confidence\n");
	assert_true(f->cfg.rules[RULE_NPS_BELOW].confidence_mode);
}

/* Every other rule value out of range or malformed. */
static void
test_rule_bad_values(void **state)
{
	static const struct {
		const char	*text;
		const char	*suffix;
	} bad[] = {
		{ "[rule.csat_below]\nenabled = 1\n",
		  ":2: [rule.csat_below] enabled: '1' is not true or false" },
		{ "[rule.csat_below]\nthreshold = 101\n",
		  ":2: [rule.csat_below] threshold: '101' is not a percentage from 0 to 100" },
		{ "[rule.csat_below]\nthreshold = 80%\n",
		  ":2: [rule.csat_below] threshold: '80%' is not a percentage from 0 to 100" },
		{ "[rule.csat_below]\nthreshold = nan\n",
		  ":2: [rule.csat_below] threshold: 'nan' is not a percentage from 0 to 100" },
		{ "[rule.nps_below]\nthreshold = -101\n",
		  ":2: [rule.nps_below] threshold: '-101' is not a score from -100 to 100" },
		{ "[rule.complaints_above]\nthreshold = -1\n",
		  ":2: [rule.complaints_above] threshold: '-1' is not a number of 0 or more" },
		{ "[rule.complaint_rate_above]\nthreshold = 0x10\n",
		  ":2: [rule.complaint_rate_above] threshold: '0x10' is not a number of 0 or more" },
		{ "[rule.response_time_above]\nthreshold = 8 h\n",
		  ":2: [rule.response_time_above] threshold: '8 h' is not a duration (like 90s, "
		  "30m, 8h) or a number of seconds" },
		{ "[rule.csat_below]\nmin_samples = -1\n",
		  ":2: [rule.csat_below] min_samples: '-1' is not a whole number from 0 to 1000000" },
		{ "[rule.response_time_above]\nmin_samples = 2.5\n",
		  ":2: [rule.response_time_above] min_samples: '2.5' is not a whole number from 0 "
		  "to 1000000" },
		{ "[rule.csat_below]\nconfidence = 0.9999\n",
		  ":2: [rule.csat_below] confidence: '0.9999' is not a number from 0.5 to 0.999" },
		{ "[rule.nps_below]\nconfidence = 95%\n",
		  ":2: [rule.nps_below] confidence: '95%' is not a number from 0.5 to 0.999" },
		{ "[rule.nps_below]\nconfidence = 0.49\n",
		  ":2: [rule.nps_below] confidence: '0.49' is not a number from 0.5 to 0.999" },
		{ "[rule.csat_below]\nmargin = -1\n",
		  ":2: [rule.csat_below] margin: '-1' is not a number of points from 0 to 100" },
		{ "[rule.complaints_above]\nmargin = 1\n",
		  ":2: [rule.complaints_above] margin: '1' is not a fraction from 0 up to (not "
		  "including) 1" },
		{ "[rule.response_time_above]\nmargin = 10%\n",
		  ":2: [rule.response_time_above] margin: '10%' is not a fraction from 0 up to "
		  "(not including) 1" },
		{ "[rule.csat_below]\nfor = 10\n",
		  ":2: [rule.csat_below] for: '10' is not 0 or a duration (like 500ms, 90s, 15m, "
		  "24h, 7d)" },
		{ "[rule.nps_below]\nrepeat_interval = off\n",
		  ":2: [rule.nps_below] repeat_interval: 'off' is not 0 or a duration (like 500ms, "
		  "90s, 15m, 24h, 7d)" },
		/* Keys that would have no effect are unknown, not ignored. */
		{ "[rule.complaints_above]\nmin_samples = 5\n",
		  ":2: unknown key 'min_samples' in [rule.complaints_above]" },
		{ "[rule.complaint_rate_above]\nconfidence = 0.9\n",
		  ":2: unknown key 'confidence' in [rule.complaint_rate_above]" },
		{ "[rule.csat_below]\nthreshold = 70\nthreshold = 75\n",
		  ":3: duplicate key 'threshold' in [rule.csat_below] (first set on line 2)" },
		{ "[rule.csat]\n", ":1: unknown section [rule.csat]" },
		{ "[rule]\n", ":1: unknown section [rule]" },
	};
	struct fixture	*f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		test_fails(f, bad[i].text, bad[i].suffix);
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_defaults),
		T(test_all_keys),
		T(test_int_values),
		T(test_ingest_limits),
		T(test_duration_values),
		T(test_window_values),
		T(test_fraction_values),
		T(test_severity_targets),
		T(test_http_listen),
		T(test_redis_endpoints),
		T(test_log_level_values),
		T(test_string_values),
		T(test_topics_values),
		T(test_engine),
		T(test_rule_overrides),
		T(test_rule_default_window),
		T(test_rule_bad_mode),
		T(test_rule_bad_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
