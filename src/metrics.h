/* metrics.h: the daemon's counters, kept in one struct and rendered for Prometheus. */
#ifndef FEEDBACKD_METRICS_H
#define FEEDBACKD_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum event_result { RESULT_APPLIED, RESULT_DUPLICATE, RESULT_REDELIVERED, RESULT_LATE, RESULT_COUNT };
#define METRICS_LATENCY_BUCKETS 12
#define METRICS_BATCH_BUCKETS 13

/* Alert rules and states counted by metrics_alert(), in the order of metrics_alert_rules. */
#define METRICS_ALERT_RULES 7
enum metrics_alert_state { ALERT_STATE_FIRING, ALERT_STATE_RESOLVED, ALERT_STATE_COUNT };

/* A histogram of seconds over metrics_latency_bounds: per-bucket counts (rendered cumulative), sum, count. */
struct metrics_seconds {
	uint64_t counts[METRICS_LATENCY_BUCKETS];
	double sum;
	uint64_t count;
};

struct metrics {
	uint64_t events[EVENT_TYPE_COUNT][RESULT_COUNT]; /* by type and result */
	uint64_t events_by_result[RESULT_COUNT];         /* when the type is not known per event */
	uint64_t dead_lettered;                          /* every dead letter delivered */
	uint64_t dead_lettered_by_type[EVENT_TYPE_COUNT]; /* of which the type was known: metrics_dead_letter() */
	uint64_t dlq_failures;                           /* transient produce failures, retried */
	uint64_t dlq_truncated;                          /* letters cut to fit the topic's size limit */
	uint64_t dlq_lost;                               /* letters given up after a permanent error */
	uint64_t batches;
	uint64_t batch_events;
	uint64_t batch_sizes[METRICS_BATCH_BUCKETS];     /* events per batch, per-bucket: metrics_batch() */
	uint64_t batch_retries;
	uint64_t redis_errors;
	uint64_t redis_reconnects;
	uint64_t redis_timeouts;                         /* connections dropped for not answering */
	uint64_t redis_redirects;                        /* calls sent again after MOVED or ASK */
	uint64_t redis_retries;                          /* calls sent again after TRYAGAIN or CLUSTERDOWN */
	uint64_t redis_map_refreshes;                    /* cluster slot maps read (CLUSTER SLOTS) */
	struct metrics_seconds redis_latency; /* Redis round trips */
	/* stats writes answered: from the oldest change each shows (an event or a route batch
	 * applied) to its answer, the daemon's share of a dashboard's delay */
	struct metrics_seconds view_delay;
	uint64_t alerts_published;
	uint64_t alerts_failed;
	uint64_t clocks_fired;
	int64_t started_ms;
	uint64_t alerts[METRICS_ALERT_RULES][ALERT_STATE_COUNT]; /* by rule and state: metrics_alert() */
};

/* Consumer lag of one assigned partition (from librdkafka statistics). */
#define METRICS_TOPIC_MAX 249 /* Kafka's own limit on a topic name */
#define METRICS_LAG_MAX 256
struct metrics_lag {
	char topic[METRICS_TOPIC_MAX + 1];
	int32_t partition;
	int64_t lag; /* messages; librdkafka's consumer_lag (-1 when not known yet) */
};

/* Live values that are not counters: sampled when /metrics is asked for. */
struct metrics_gauges {
	uint64_t tasks;                 /* tasks this instance owns and has restored */
	uint64_t agents;                /* agents in those tasks */
	uint64_t open_clocks;           /* reply clocks open now in those tasks */
	uint64_t overdue_clocks;        /* of which past their deadline */
	uint64_t event_ids;             /* event ids held for dedupe in those tasks */
	struct metrics_lag lag[METRICS_LAG_MAX];
	size_t lag_count;
	uint64_t rss_bytes;             /* resident set size: metrics_rss_bytes() */
	double uptime_seconds;
	uint64_t reloads;               /* SIGHUP reloads attempted */
	bool last_reload_ok;            /* the last one succeeded (true before any) */
	bool redis_up;
	int kafka_assigned;             /* partitions assigned to this member */
};

/* Upper bounds of the latency histogram buckets, in seconds. */
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

/* Upper bounds of the batch size histogram buckets, in events. */
extern const double metrics_batch_bounds[METRICS_BATCH_BUCKETS];

/* Rule names, as in alerts: "reply_sla_at_risk", ..., "response_time_above". */
extern const char *const metrics_alert_rules[METRICS_ALERT_RULES];

/* Records one observation in a seconds histogram (m->redis_latency, m->view_delay). */
void metrics_seconds(struct metrics_seconds *h, double seconds);

/* Records one batch sent to Redis: batches, batch_events and the size histogram. */
void metrics_batch(struct metrics *m, size_t events);

/*
 * Records one dead letter delivered. type is its enum event_type when the message
 * was rejected after its type was read, else -1; such letters, and any counted in
 * dead_lettered alone, are rendered with type="unknown".
 */
void metrics_dead_letter(struct metrics *m, int type);

/*
 * Counts one alert published, by rule name and state ("firing" or "resolved").
 * Returns false (and counts nothing) for a rule or state it does not know.
 * alerts_published is left to the caller.
 */
bool metrics_alert(struct metrics *m, const char *rule, const char *state);

/*
 * Reads a librdkafka statistics document (statistics.interval.ms, stats_cb) of the
 * consumer: the consumer lag of every partition this member fetches into g->lag
 * (g->lag_count), and how many brokers are connected ("UP") into *brokers_up.
 * Returns false (g untouched, *brokers_up 0) when json is not such a document.
 */
bool metrics_kafka_stats(const char *json, struct metrics_gauges *g, int *brokers_up);

/* The process's resident set size from /proc/self/statm; 0 when unreadable. */
uint64_t metrics_rss_bytes(void);

/*
 * Renders m and g in the Prometheus text exposition format (version 0.0.4), with
 * HELP and TYPE lines. *out is malloc'ed and NUL-terminated; the caller frees it.
 * Returns false (with *out NULL) when out of memory.
 */
bool metrics_render(const struct metrics *m, const struct metrics_gauges *g, char **out);

#endif
