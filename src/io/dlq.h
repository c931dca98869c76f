/* dlq.h: dead letters: rejected messages, kept byte for byte (or cut to fit), with the reason in headers. */
#ifndef FEEDBACKD_DLQ_H
#define FEEDBACKD_DLQ_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "metrics.h"
#include "producer.h"
#include "redis.h"

/* Called once a dead letter is safely on the DLQ topic, so its offset may be committed. */
typedef void (*dlq_done_fn)(void *arg, const char *topic, int32_t partition, int64_t offset);

struct dlq;

struct dlq *dlq_new(struct event_base *base, const struct config *cfg, struct producer *producer,
    struct redis *redis, struct metrics *metrics, dlq_done_fn done, void *arg);

/*
 * Sends msg to the DLQ with reason; type (enum event_type, or -1 when not known) is
 * only for metrics_dead_letter(). A letter over the topic's max.message.bytes is cut to
 * fit and marked (docs/events.md); transient failures are retried with a bounded backoff,
 * and a permanent one gives the letter up (logged and counted). Each delivered letter's source
 * position is recorded in Redis, so a message read again (after a rebalance whose commit
 * failed) is recognised and not dead-lettered twice.
 */
void dlq_send(struct dlq *d, const rd_kafka_message_t *msg, int type, const char *reason);

/* Dead letters not yet delivered. */
size_t dlq_pending(const struct dlq *d);

void dlq_free(struct dlq *d);

#endif
