/* http.h: the small HTTP listener for /metrics, /healthz and /readyz (libevent evhttp). */
#ifndef FEEDBACKD_HTTP_H
#define FEEDBACKD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>

#include "metrics.h"

/*
 * Where the listener's answers come from; filled by the owner, copied by http_start.
 * Every callback may be NULL: gauges then stays as prefilled (rss, uptime from
 * metrics->started_ms, last_reload_ok true, redis_up/kafka_assigned from the
 * callbacks below), redis_up/kafka_up/ready/redis_unresponsive then count as false.
 */
struct http_source {
	void (*gauges)(void *arg, struct metrics_gauges *out); /* fill the live values */
	bool (*redis_up)(void *arg);  /* connected, scripts loaded */
	bool (*redis_unresponsive)(void *arg); /* not up because Redis stopped answering */
	bool (*kafka_up)(void *arg);  /* brokers reachable */
	bool (*ready)(void *arg);     /* the consumer group was joined (an assignment, even empty) */
	const struct metrics *metrics;
	void *arg;
};

struct http;

/*
 * Listens on listen ("HOST:PORT", "[v6addr]:PORT"). Returns NULL with a reason in
 * err on failure (a bind failure is a startup error). When listen is NULL ("off")
 * nothing is started: NULL is returned and err is "".
 */
struct http *http_start(struct event_base *base, const char *listen, const struct http_source *src,
    char *err, size_t err_size);

/* Closes the listener and frees; NULL is fine. */
void http_stop(struct http *h);

#endif
