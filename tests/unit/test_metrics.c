/* test_metrics.c: the Prometheus text rendered for a known set of counters and gauges. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

/* Every line of the exposition for the populated struct below, in order. */
static const char want_full[] =
    "# HELP feedbackd_events_total Events consumed, by type and result; dead_lettered: rejected to the dead-letter "
    "topic (type unknown when rejected before the type was read).\n"
    "# TYPE feedbackd_events_total counter\n"
    "feedbackd_events_total{type=\"rating\",result=\"applied\"} 3\n"
    "feedbackd_events_total{type=\"rating\",result=\"duplicate\"} 1\n"
    "feedbackd_events_total{type=\"rating\",result=\"redelivered\"} 2\n"
    "feedbackd_events_total{type=\"rating\",result=\"late\"} 0\n"
    "feedbackd_events_total{type=\"rating\",result=\"dead_lettered\"} 2\n"
    "feedbackd_events_total{type=\"complaint\",result=\"applied\"} 5\n"
    "feedbackd_events_total{type=\"complaint\",result=\"duplicate\"} 0\n"
    "feedbackd_events_total{type=\"complaint\",result=\"redelivered\"} 0\n"
    "feedbackd_events_total{type=\"complaint\",result=\"late\"} 0\n"
    "feedbackd_events_total{type=\"complaint\",result=\"dead_lettered\"} 0\n"
    "feedbackd_events_total{type=\"message\",result=\"applied\"} 7\n"
    "feedbackd_events_total{type=\"message\",result=\"duplicate\"} 0\n"
    "feedbackd_events_total{type=\"message\",result=\"redelivered\"} 0\n"
    "feedbackd_events_total{type=\"message\",result=\"late\"} 1\n"
    "feedbackd_events_total{type=\"message\",result=\"dead_lettered\"} 0\n"
    "feedbackd_events_total{type=\"reply\",result=\"applied\"} 4\n"
    "feedbackd_events_total{type=\"reply\",result=\"duplicate\"} 2\n"
    "feedbackd_events_total{type=\"reply\",result=\"redelivered\"} 0\n"
    "feedbackd_events_total{type=\"reply\",result=\"late\"} 0\n"
    "feedbackd_events_total{type=\"reply\",result=\"dead_lettered\"} 1\n"
    "feedbackd_events_total{type=\"status\",result=\"applied\"} 0\n"
    "feedbackd_events_total{type=\"status\",result=\"duplicate\"} 0\n"
    "feedbackd_events_total{type=\"status\",result=\"redelivered\"} 0\n"
    "feedbackd_events_total{type=\"status\",result=\"late\"} 0\n"
    "feedbackd_events_total{type=\"status\",result=\"dead_lettered\"} 0\n"
    "feedbackd_events_total{type=\"follow_up\",result=\"applied\"} 0\n"
    "feedbackd_events_total{type=\"follow_up\",result=\"duplicate\"} 0\n"
    "feedbackd_events_total{type=\"follow_up\",result=\"redelivered\"} 0\n"
    "feedbackd_events_total{type=\"follow_up\",result=\"late\"} 0\n"
    "feedbackd_events_total{type=\"follow_up\",result=\"dead_lettered\"} 0\n"
    "feedbackd_events_total{type=\"unknown\",result=\"dead_lettered\"} 6\n"
    "# HELP feedbackd_events_dead_lettered_total Invalid messages delivered to the dead-letter topic.\n"
    "# TYPE feedbackd_events_dead_lettered_total counter\n"
    "feedbackd_events_dead_lettered_total 9\n"
    "# HELP feedbackd_dead_letter_failures_total Attempts to produce a dead letter that failed transiently (they are retried).\n"
    "# TYPE feedbackd_dead_letter_failures_total counter\n"
    "feedbackd_dead_letter_failures_total 1\n"
    "# HELP feedbackd_dead_letters_truncated_total Dead letters cut to fit the dead-letter topic's size limit (headers keep the size and SHA-256).\n"
    "# TYPE feedbackd_dead_letters_truncated_total counter\n"
    "feedbackd_dead_letters_truncated_total 4\n"
    "# HELP feedbackd_dead_letters_lost_total Dead letters given up after a permanent produce error (logged with their source position).\n"
    "# TYPE feedbackd_dead_letters_lost_total counter\n"
    "feedbackd_dead_letters_lost_total 6\n"
    "# HELP feedbackd_batches_total Task checkpoints committed to Redis.\n"
    "# TYPE feedbackd_batches_total counter\n"
    "feedbackd_batches_total 6\n"
    "# HELP feedbackd_batch_events_total Events and route batches in those checkpoints.\n"
    "# TYPE feedbackd_batch_events_total counter\n"
    "feedbackd_batch_events_total 25\n"
    "# HELP feedbackd_batch_retries_total Checkpoint commits sent again after no answer.\n"
    "# TYPE feedbackd_batch_retries_total counter\n"
    "feedbackd_batch_retries_total 2\n"
    "# HELP feedbackd_batch_size_events Events and route batches per checkpoint.\n"
    "# TYPE feedbackd_batch_size_events histogram\n"
    "feedbackd_batch_size_events_bucket{le=\"1\"} 1\n"
    "feedbackd_batch_size_events_bucket{le=\"2\"} 2\n"
    "feedbackd_batch_size_events_bucket{le=\"5\"} 5\n"
    "feedbackd_batch_size_events_bucket{le=\"10\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"25\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"50\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"100\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"250\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"500\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"1000\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"2500\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"5000\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"10000\"} 6\n"
    "feedbackd_batch_size_events_bucket{le=\"+Inf\"} 6\n"
    "feedbackd_batch_size_events_sum 25\n"
    "feedbackd_batch_size_events_count 6\n"
    "# HELP feedbackd_redis_latency_seconds Redis command round-trip time.\n"
    "# TYPE feedbackd_redis_latency_seconds histogram\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.0005\"} 1\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.001\"} 1\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.0025\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.005\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.01\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.025\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.05\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.1\"} 2\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.25\"} 3\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"0.5\"} 3\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"1\"} 3\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"5\"} 3\n"
    "feedbackd_redis_latency_seconds_bucket{le=\"+Inf\"} 4\n"
    "feedbackd_redis_latency_seconds_sum 8.252197265625\n"
    "feedbackd_redis_latency_seconds_count 4\n"
    "# HELP feedbackd_view_delay_seconds From a change applied (an event, a route batch) to the answer of the stats write that shows it.\n"
    "# TYPE feedbackd_view_delay_seconds histogram\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.0005\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.001\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.0025\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.005\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.01\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.025\"} 0\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.05\"} 1\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.1\"} 1\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.25\"} 1\n"
    "feedbackd_view_delay_seconds_bucket{le=\"0.5\"} 2\n"
    "feedbackd_view_delay_seconds_bucket{le=\"1\"} 2\n"
    "feedbackd_view_delay_seconds_bucket{le=\"5\"} 2\n"
    "feedbackd_view_delay_seconds_bucket{le=\"+Inf\"} 2\n"
    "feedbackd_view_delay_seconds_sum 0.53125\n"
    "feedbackd_view_delay_seconds_count 2\n"
    "# HELP feedbackd_redis_errors_total Redis commands answered with an error.\n"
    "# TYPE feedbackd_redis_errors_total counter\n"
    "feedbackd_redis_errors_total 3\n"
    "# HELP feedbackd_redis_reconnects_total Connections to Redis started after a loss.\n"
    "# TYPE feedbackd_redis_reconnects_total counter\n"
    "feedbackd_redis_reconnects_total 1\n"
    "# HELP feedbackd_redis_timeouts_total Connections to Redis dropped because a command went unanswered for [redis] timeout.\n"
    "# TYPE feedbackd_redis_timeouts_total counter\n"
    "feedbackd_redis_timeouts_total 7\n"
    "# HELP feedbackd_redis_redirects_total Redis calls sent again to another cluster node after a MOVED or ASK answer.\n"
    "# TYPE feedbackd_redis_redirects_total counter\n"
    "feedbackd_redis_redirects_total 8\n"
    "# HELP feedbackd_redis_retries_total Redis calls sent again after a TRYAGAIN or CLUSTERDOWN answer.\n"
    "# TYPE feedbackd_redis_retries_total counter\n"
    "feedbackd_redis_retries_total 9\n"
    "# HELP feedbackd_redis_map_refreshes_total Redis Cluster slot maps read with CLUSTER SLOTS.\n"
    "# TYPE feedbackd_redis_map_refreshes_total counter\n"
    "feedbackd_redis_map_refreshes_total 10\n"
    "# HELP feedbackd_redis_up Whether Redis is connected and the scripts are loaded.\n"
    "# TYPE feedbackd_redis_up gauge\n"
    "feedbackd_redis_up 1\n"
    "# HELP feedbackd_alerts_published_total Alerts published, by rule and state.\n"
    "# TYPE feedbackd_alerts_published_total counter\n"
    "feedbackd_alerts_published_total{rule=\"reply_sla_at_risk\",state=\"firing\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"reply_sla_at_risk\",state=\"resolved\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"reply_sla_breach\",state=\"firing\"} 2\n"
    "feedbackd_alerts_published_total{rule=\"reply_sla_breach\",state=\"resolved\"} 1\n"
    "feedbackd_alerts_published_total{rule=\"csat_below\",state=\"firing\"} 1\n"
    "feedbackd_alerts_published_total{rule=\"csat_below\",state=\"resolved\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"nps_below\",state=\"firing\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"nps_below\",state=\"resolved\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"complaints_above\",state=\"firing\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"complaints_above\",state=\"resolved\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"complaint_rate_above\",state=\"firing\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"complaint_rate_above\",state=\"resolved\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"response_time_above\",state=\"firing\"} 0\n"
    "feedbackd_alerts_published_total{rule=\"response_time_above\",state=\"resolved\"} 1\n"
    "# HELP feedbackd_alerts_failed_total Alert deliveries that failed (they are retried).\n"
    "# TYPE feedbackd_alerts_failed_total counter\n"
    "feedbackd_alerts_failed_total 0\n"
    "# HELP feedbackd_kafka_assigned_partitions Partitions assigned to this group member.\n"
    "# TYPE feedbackd_kafka_assigned_partitions gauge\n"
    "feedbackd_kafka_assigned_partitions 2\n"
    "# HELP feedbackd_consumer_lag Messages between the consumed position and the end of each assigned partition.\n"
    "# TYPE feedbackd_consumer_lag gauge\n"
    "feedbackd_consumer_lag{topic=\"feedback.events\",partition=\"0\"} 5\n"
    "feedbackd_consumer_lag{topic=\"feedback.events\",partition=\"3\"} 0\n"
    "# HELP feedbackd_tasks Tasks (route topic partitions) this instance owns and has restored.\n"
    "# TYPE feedbackd_tasks gauge\n"
    "feedbackd_tasks 2\n"
    "# HELP feedbackd_agents Agents in the tasks this instance owns.\n"
    "# TYPE feedbackd_agents gauge\n"
    "feedbackd_agents 30\n"
    "# HELP feedbackd_open_clocks Reply clocks open now in the tasks this instance owns.\n"
    "# TYPE feedbackd_open_clocks gauge\n"
    "feedbackd_open_clocks 12\n"
    "# HELP feedbackd_overdue_clocks Of those, the clocks past their deadline.\n"
    "# TYPE feedbackd_overdue_clocks gauge\n"
    "feedbackd_overdue_clocks 4\n"
    "# HELP feedbackd_dedupe_ids Event ids remembered for dedupe in the tasks this instance owns.\n"
    "# TYPE feedbackd_dedupe_ids gauge\n"
    "feedbackd_dedupe_ids 500\n"
    "# HELP feedbackd_reloads_total Configuration reloads (SIGHUP) attempted.\n"
    "# TYPE feedbackd_reloads_total counter\n"
    "feedbackd_reloads_total 3\n"
    "# HELP feedbackd_last_reload_success Whether the last reload succeeded (1 before the first).\n"
    "# TYPE feedbackd_last_reload_success gauge\n"
    "feedbackd_last_reload_success 0\n"
    "# HELP feedbackd_process_resident_memory_bytes Resident memory size in bytes.\n"
    "# TYPE feedbackd_process_resident_memory_bytes gauge\n"
    "feedbackd_process_resident_memory_bytes 12345678\n"
    "# HELP feedbackd_uptime_seconds Seconds since the daemon started.\n"
    "# TYPE feedbackd_uptime_seconds gauge\n"
    "feedbackd_uptime_seconds 3600.5\n";

/* Compares line by line, so a failure names the first differing line. */
static void
assert_lines(const char *got, const char *want)
{
	int line = 1;

	while (*got != '\0' || *want != '\0') {
		size_t gl = strcspn(got, "\n"), wl = strcspn(want, "\n");

		if (gl != wl || strncmp(got, want, gl) != 0 || got[gl] != want[wl]) {
			fprintf(stderr, "line %d:\n  want: %.*s\n  got:  %.*s\n", line, (int)wl, want, (int)gl, got);
			fail();
		}
		got += gl + (got[gl] != '\0');
		want += wl + (want[wl] != '\0');
		line++;
	}
}

static void
test_render_full(void **state)
{
	struct metrics m;
	static struct metrics_gauges g; /* large: not on the stack */
	char *text = NULL;

	(void)state;
	memset(&m, 0, sizeof(m));
	memset(&g, 0, sizeof(g));
	m.events[EVENT_RATING][RESULT_APPLIED] = 3;
	m.events[EVENT_RATING][RESULT_DUPLICATE] = 1;
	m.events[EVENT_RATING][RESULT_REDELIVERED] = 2;
	m.events[EVENT_COMPLAINT][RESULT_APPLIED] = 5;
	m.events[EVENT_MESSAGE][RESULT_APPLIED] = 7;
	m.events[EVENT_MESSAGE][RESULT_LATE] = 1;
	m.events[EVENT_REPLY][RESULT_APPLIED] = 4;
	m.events[EVENT_REPLY][RESULT_DUPLICATE] = 2;
	/* 9 dead letters: 2 ratings and a reply, 5 rejected before their type was read, 1 counted without a type. */
	metrics_dead_letter(&m, EVENT_RATING);
	metrics_dead_letter(&m, EVENT_RATING);
	metrics_dead_letter(&m, EVENT_REPLY);
	for (int i = 0; i < 4; i++)
		metrics_dead_letter(&m, -1);
	metrics_dead_letter(&m, EVENT_TYPE_COUNT);
	m.dead_lettered++;
	m.dlq_failures = 1;
	m.dlq_truncated = 4;
	m.dlq_lost = 6;
	/* 6 batches of 25 events: 1, 2, then 3, 4 and 5 in the le="5" bucket, and 10. */
	metrics_batch(&m, 1);
	metrics_batch(&m, 2);
	metrics_batch(&m, 3);
	metrics_batch(&m, 4);
	metrics_batch(&m, 5);
	metrics_batch(&m, 10);
	m.batch_retries = 2;
	m.redis_errors = 3;
	m.redis_reconnects = 1;
	m.redis_timeouts = 7;
	m.redis_redirects = 8;
	m.redis_retries = 9;
	m.redis_map_refreshes = 10;
	/* Powers of two, so the sum is exact: 2^-12, 2^-9, 0.25 and 8 (above every bound). */
	metrics_seconds(&m.redis_latency, 0.000244140625);
	metrics_seconds(&m.redis_latency, 0.001953125);
	metrics_seconds(&m.redis_latency, 0.25);
	metrics_seconds(&m.redis_latency, 8.0);
	metrics_seconds(&m.view_delay, 0.03125);
	metrics_seconds(&m.view_delay, 0.5);
	assert_true(metrics_alert(&m, "reply_sla_breach", "firing"));
	assert_true(metrics_alert(&m, "reply_sla_breach", "firing"));
	assert_true(metrics_alert(&m, "reply_sla_breach", "resolved"));
	assert_true(metrics_alert(&m, "csat_below", "firing"));
	assert_true(metrics_alert(&m, "response_time_above", "resolved"));
	assert_false(metrics_alert(&m, "no_such_rule", "firing"));
	assert_false(metrics_alert(&m, "csat_below", "pending"));

	g.redis_up = true;
	g.kafka_assigned = 2;
	strcpy(g.lag[0].topic, "feedback.events");
	g.lag[0].partition = 0;
	g.lag[0].lag = 5;
	strcpy(g.lag[1].topic, "feedback.events");
	g.lag[1].partition = 1;
	g.lag[1].lag = -1; /* not known yet: left out */
	strcpy(g.lag[2].topic, "feedback.events");
	g.lag[2].partition = 3;
	g.lag[2].lag = 0;
	g.lag_count = 3;
	g.tasks = 2;
	g.agents = 30;
	g.event_ids = 500;
	g.open_clocks = 12;
	g.overdue_clocks = 4;
	g.reloads = 3;
	g.last_reload_ok = false;
	g.rss_bytes = 12345678;
	g.uptime_seconds = 3600.5;

	assert_true(metrics_render(&m, &g, &text));
	assert_non_null(text);
	assert_lines(text, want_full);
	free(text);
}

/* A zeroed struct renders every family, all zero, and no lag samples. */
static void
test_render_zero(void **state)
{
	static struct metrics m;
	static struct metrics_gauges g;
	char *text = NULL;

	(void)state;
	assert_true(metrics_render(&m, &g, &text));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"reply\",result=\"late\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_redis_latency_seconds_bucket{le=\"+Inf\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_redis_latency_seconds_sum 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"unknown\",result=\"dead_lettered\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_batch_size_events_bucket{le=\"1\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_batch_size_events_count 0\n"));
	assert_non_null(strstr(text, "# TYPE feedbackd_consumer_lag gauge\n# HELP feedbackd_tasks "));
	assert_non_null(strstr(text, "\nfeedbackd_redis_up 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_uptime_seconds 0\n"));
	/* Every sample line ends with a newline and the text ends with one. */
	assert_int_equal(text[strlen(text) - 1], '\n');
	free(text);
}

/* Label values are escaped; inexact sums keep every digit needed to read back. */
static void
test_render_escapes_and_floats(void **state)
{
	static struct metrics m;
	static struct metrics_gauges g;
	char *text = NULL;

	(void)state;
	strcpy(g.lag[0].topic, "a\"b\\c");
	g.lag[0].partition = 7;
	g.lag[0].lag = 42;
	g.lag_count = 1;
	metrics_seconds(&m.redis_latency, 0.1);
	metrics_seconds(&m.redis_latency, 0.2);
	assert_true(metrics_render(&m, &g, &text));
	assert_non_null(strstr(text, "\nfeedbackd_consumer_lag{topic=\"a\\\"b\\\\c\",partition=\"7\"} 42\n"));
	assert_non_null(strstr(text, "\nfeedbackd_redis_latency_seconds_sum 0.30000000000000004\n"));
	assert_non_null(strstr(text, "\nfeedbackd_redis_latency_seconds_bucket{le=\"0.1\"} 1\n"));
	assert_non_null(strstr(text, "\nfeedbackd_redis_latency_seconds_bucket{le=\"0.25\"} 2\n"));
	free(text);
}

/* Batch sizes on and around the bucket bounds; above the last one only +Inf counts them. */
static void
test_batch_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 5, 6, 4000, 5000, 5001, 10000, 10001 };
	static const uint64_t want[METRICS_BATCH_BUCKETS] = { 2, 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 2 };
	static struct metrics m;
	static struct metrics_gauges g;
	char *text = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		metrics_batch(&m, sizes[i]);
	for (int i = 0; i < METRICS_BATCH_BUCKETS; i++)
		assert_int_equal(m.batch_sizes[i], want[i]);
	assert_int_equal(m.batches, 11);
	assert_int_equal(m.batch_events, 34019);
	assert_true(metrics_render(&m, &g, &text));
	assert_non_null(strstr(text, "\nfeedbackd_batch_size_events_bucket{le=\"5000\"} 8\n"
	    "feedbackd_batch_size_events_bucket{le=\"10000\"} 10\n"
	    "feedbackd_batch_size_events_bucket{le=\"+Inf\"} 11\n"
	    "feedbackd_batch_size_events_sum 34019\n"
	    "feedbackd_batch_size_events_count 11\n"));
	assert_non_null(strstr(text, "\nfeedbackd_batches_total 11\n"));
	assert_non_null(strstr(text, "\nfeedbackd_batch_events_total 34019\n"));
	free(text);
}

/* Dead letters by type; the unknown ones are what the total holds beyond the typed. */
static void
test_dead_letters(void **state)
{
	static struct metrics m;
	static struct metrics_gauges g;
	char *text = NULL;

	(void)state;
	metrics_dead_letter(&m, EVENT_COMPLAINT);
	metrics_dead_letter(&m, EVENT_MESSAGE);
	metrics_dead_letter(&m, EVENT_MESSAGE);
	metrics_dead_letter(&m, -1);
	metrics_dead_letter(&m, 99);
	assert_int_equal(m.dead_lettered, 5);
	assert_int_equal(m.dead_lettered_by_type[EVENT_RATING], 0);
	assert_int_equal(m.dead_lettered_by_type[EVENT_COMPLAINT], 1);
	assert_int_equal(m.dead_lettered_by_type[EVENT_MESSAGE], 2);
	assert_int_equal(m.dead_lettered_by_type[EVENT_REPLY], 0);
	assert_true(metrics_render(&m, &g, &text));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"rating\",result=\"dead_lettered\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"complaint\",result=\"dead_lettered\"} 1\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"message\",result=\"dead_lettered\"} 2\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"reply\",result=\"dead_lettered\"} 0\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_total{type=\"unknown\",result=\"dead_lettered\"} 2\n"));
	assert_non_null(strstr(text, "\nfeedbackd_events_dead_lettered_total 5\n"));
	free(text);
}

/* The alert rule table spells the rules as alerts do. */
static void
test_alert_rules(void **state)
{
	static const char *const want[METRICS_ALERT_RULES] = {
		"reply_sla_at_risk", "reply_sla_breach", "csat_below", "nps_below",
		"complaints_above", "complaint_rate_above", "response_time_above"
	};
	struct metrics m;

	(void)state;
	memset(&m, 0, sizeof(m));
	for (int r = 0; r < METRICS_ALERT_RULES; r++) {
		assert_string_equal(metrics_alert_rules[r], want[r]);
		assert_true(metrics_alert(&m, want[r], "resolved"));
		assert_int_equal(m.alerts[r][ALERT_STATE_RESOLVED], 1);
		assert_int_equal(m.alerts[r][ALERT_STATE_FIRING], 0);
	}
}

/* A librdkafka statistics document, cut down to what is read (shape per STATISTICS.md). */
static const char kafka_stats[] =
    "{\"name\":\"rdkafka#consumer-1\",\"type\":\"consumer\","
    "\"brokers\":{"
    "\"127.0.0.1:9092/1\":{\"name\":\"127.0.0.1:9092/1\",\"nodeid\":1,\"source\":\"configured\",\"state\":\"UP\"},"
    "\"127.0.0.1:9093/2\":{\"name\":\"127.0.0.1:9093/2\",\"nodeid\":2,\"source\":\"learned\",\"state\":\"DOWN\"},"
    "\"GroupCoordinator\":{\"name\":\"GroupCoordinator\",\"nodeid\":-1,\"source\":\"logical\",\"state\":\"UP\"},"
    "\":0/internal\":{\"name\":\":0/internal\",\"nodeid\":-1,\"source\":\"internal\",\"state\":\"UP\"}},"
    "\"topics\":{\"feedback.events\":{\"topic\":\"feedback.events\",\"partitions\":{"
    "\"0\":{\"partition\":0,\"desired\":true,\"fetch_state\":\"active\",\"consumer_lag\":17},"
    "\"1\":{\"partition\":1,\"desired\":false,\"fetch_state\":\"none\",\"consumer_lag\":-1},"
    "\"2\":{\"partition\":2,\"desired\":true,\"fetch_state\":\"active\",\"consumer_lag\":-1},"
    "\"-1\":{\"partition\":-1,\"desired\":false,\"consumer_lag\":-1}}}},"
    "\"cgrp\":{\"state\":\"up\",\"join_state\":\"steady\",\"assignment_size\":2}}";

static void
test_kafka_stats(void **state)
{
	static struct metrics_gauges g;
	int up = -1;

	(void)state;
	assert_true(metrics_kafka_stats(kafka_stats, &g, &up));
	assert_int_equal(up, 1); /* the logical and internal ones are not connections */
	assert_int_equal(g.lag_count, 2);
	assert_string_equal(g.lag[0].topic, "feedback.events");
	assert_int_equal(g.lag[0].partition, 0);
	assert_int_equal(g.lag[0].lag, 17);
	assert_int_equal(g.lag[1].partition, 2);
	assert_int_equal(g.lag[1].lag, -1); /* assigned, not known yet: left out when rendered */
	assert_false(metrics_kafka_stats("{\"brokers\":{}}", &g, &up));
	assert_int_equal(up, 0);
	assert_false(metrics_kafka_stats("not json", &g, &up));
	assert_int_equal(g.lag_count, 2);
}

/* The one reader with I/O: this process certainly has some resident pages. */
static void
test_rss(void **state)
{
	(void)state;
	assert_true(metrics_rss_bytes() > 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_render_full),
		cmocka_unit_test(test_render_zero),
		cmocka_unit_test(test_render_escapes_and_floats),
		cmocka_unit_test(test_batch_sizes),
		cmocka_unit_test(test_dead_letters),
		cmocka_unit_test(test_alert_rules),
		cmocka_unit_test(test_kafka_stats),
		cmocka_unit_test(test_rss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
