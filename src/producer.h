/* producer.h: the idempotent Kafka producer for alerts and dead letters. */
#ifndef FEEDBACKD_PRODUCER_H
#define FEEDBACKD_PRODUCER_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

/* Delivery report, run in the loop; err is RD_KAFKA_RESP_ERR_NO_ERROR on success. */
typedef void (*producer_done_fn)(void *arg, rd_kafka_resp_err_t err);
typedef void (*producer_fatal_fn)(void *arg, const char *reason);

struct producer;

struct producer *producer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    producer_fatal_fn fatal, void *arg, char *err, size_t err_size);

/*
 * Queues one message (copied). On success headers are owned by the producer and done
 * runs exactly once later; on failure (queue full) nothing was taken: retry later.
 */
bool producer_send(struct producer *p, const char *topic, const void *key, size_t key_len,
    const void *value, size_t value_len, rd_kafka_headers_t *headers, producer_done_fn done, void *arg);

/* Messages queued or in flight. */
int producer_outq(const struct producer *p);

/* Waits up to timeout_ms for every queued message's delivery report (shutdown). */
void producer_flush(struct producer *p, int timeout_ms);

void producer_free(struct producer *p);

#endif
