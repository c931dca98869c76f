/* metrics.c: the daemon's counters, kept in one struct and rendered for Prometheus. */
#include "metrics.h"

/* Round trips to a local Redis take well under a millisecond; batches take longer. */
const double metrics_latency_bounds[METRICS_LATENCY_BUCKETS] = {
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0};

/* See metrics.h. */
void metrics_redis_latency(struct metrics *m, double seconds)
{
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++)
		if (seconds <= metrics_latency_bounds[i]) {
			m->redis_latency[i]++;
			break;
		}
	m->redis_latency_sum += seconds;
	m->redis_latency_count++;
}
