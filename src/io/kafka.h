/* kafka.h: what the consumer and the producer share: configuration, logs, loop wiring. */
#ifndef FEEDBACKD_KAFKA_H
#define FEEDBACKD_KAFKA_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

/* A librdkafka queue made visible to libevent through a pipe (no polling). */
struct kafka_watch {
	int fds[2];
	struct event *ev;
};

/* librdkafka's log lines, on a queue of their own that the loop serves as they come. */
struct kafka_log {
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue;
	struct kafka_watch watch;
};

/* A configuration with brokers, logging and every rdkafka.* passthrough key set. */
rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, const char *brokers, char *err, size_t err_size);

/* Sets one property or reports "name: reason". */
bool kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t err_size);

/* Sets a property to feedbackd's default unless an rdkafka.* key in cfg chose it. */
bool kafka_conf_default(rd_kafka_conf_t *conf, const struct config *cfg, const char *name, const char *value,
    char *err, size_t err_size);

/*
 * Sets the consumer's group: group.id, and group.instance.id from [kafka] group_instance_id
 * when set (static membership; over an rdkafka.group.instance.id key, which also reaches the
 * producers, where it means nothing).
 */
bool kafka_conf_group(rd_kafka_conf_t *conf, const struct config *cfg, char *err, size_t err_size);

/* Calls cb in the loop whenever q becomes non-empty. */
bool kafka_watch_start(struct kafka_watch *w, struct event_base *base, rd_kafka_queue_t *q,
    event_callback_fn cb, void *arg);

/* Empties the wake-up pipe; call first in the callback. */
void kafka_watch_drain(struct kafka_watch *w);

/* Runs the callback again soon, for queues left non-empty on purpose. */
void kafka_watch_kick(struct kafka_watch *w);

/* Stops watching and closes the pipe. */
void kafka_watch_stop(struct kafka_watch *w, rd_kafka_queue_t *q);

/* Routes rk's log lines to the daemon's log, written in the loop when they happen. */
bool kafka_log_start(struct kafka_log *l, struct event_base *base, rd_kafka_t *rk);

/* Writes what is still queued and stops; call before destroying rk. */
void kafka_log_stop(struct kafka_log *l);

#endif
