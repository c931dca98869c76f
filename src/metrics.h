/* metrics.h: the daemon's counters, kept in one struct and rendered for Prometheus. */
#ifndef FEEDBACKD_METRICS_H
#define FEEDBACKD_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum event_result { RESULT_APPLIED, RESULT_DUPLICATE, RESULT_REDELIVERED, RESULT_LATE, RESULT_COUNT };
#define EVENT_TYPE_COUNT 4
#define METRICS_LATENCY_BUCKETS 12

struct metrics {
	uint64_t events[EVENT_TYPE_COUNT][RESULT_COUNT]; /* by type and result */
	uint64_t events_by_result[RESULT_COUNT];         /* when the type is not known per event */
	uint64_t dead_lettered;
	uint64_t dlq_failures;
	uint64_t batches;
	uint64_t batch_events;
	uint64_t batch_retries;
	uint64_t redis_errors;
	uint64_t redis_reconnects;
	uint64_t redis_latency[METRICS_LATENCY_BUCKETS]; /* cumulative-able histogram counts */
	double redis_latency_sum;
	uint64_t redis_latency_count;
	uint64_t alerts_published;
	uint64_t alerts_failed;
	uint64_t clocks_fired;
	int64_t started_ms;
};

/* Upper bounds of the latency histogram buckets, in seconds. */
extern const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS];

/* Records one Redis round trip. */
void metrics_redis_latency(struct metrics *m, double seconds);

#endif
