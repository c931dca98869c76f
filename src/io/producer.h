/* producer.h: an idempotent Kafka producer (one for alerts, one for dead letters). */
#ifndef FEEDBACKD_PRODUCER_H
#define FEEDBACKD_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

/* Delivery report, run in the loop; err is RD_KAFKA_RESP_ERR_NO_ERROR on success. */
typedef void (*producer_done_fn)(void *arg, rd_kafka_resp_err_t err);
typedef void (*producer_fatal_fn)(void *arg, const char *reason);

/* A topic's max.message.bytes, run in the loop; bytes is -1 (and why says why) when unknown. */
typedef void (*producer_limit_fn)(void *arg, int64_t bytes, const char *why);

/*
 * What a producer carries. Alerts are small and batched. Dead letters may be as large
 * as the topic allows, so each goes in a request of its own (its size never depends on
 * another's) and librdkafka's own size check is lifted: the caller fits each letter to
 * the topic's limit, read with producer_topic_limit().
 */
enum producer_kind { PRODUCER_ALERTS, PRODUCER_DEAD_LETTERS };

struct producer;

struct producer *producer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    enum producer_kind kind, producer_fatal_fn fatal, void *arg, char *err, size_t err_size);

/*
 * Queues one message (copied; a NULL value is sent as a NULL value). On success headers
 * are owned by the producer and done runs exactly once later; on failure nothing was
 * taken and the error (queue full, too large, ...) is returned.
 */
rd_kafka_resp_err_t producer_send(struct producer *p, const char *topic, const void *key, size_t key_len,
    const void *value, size_t value_len, rd_kafka_headers_t *headers, producer_done_fn done, void *arg);

/*
 * Asks the cluster for topic's max.message.bytes; fn runs once, in the loop, with the
 * answer. One question is out at a time: a call while one is out is dropped, and the
 * reply goes to the first asker (the dead-letter queue is the only one).
 */
void producer_topic_limit(struct producer *p, const char *topic, producer_limit_fn fn, void *arg);

/* Messages queued or in flight. */
int producer_outq(const struct producer *p);

/* Waits up to timeout_ms for every queued message's delivery report (shutdown). */
void producer_flush(struct producer *p, int timeout_ms);

void producer_free(struct producer *p);

#endif
