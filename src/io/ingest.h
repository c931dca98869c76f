/* ingest.h: consumed messages to the tasks: parsed, dead-lettered, applied in place or forwarded. */
#ifndef FEEDBACKD_INGEST_H
#define FEEDBACKD_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"
#include "consumer.h"
#include "dlq.h"
#include "engine.h"
#include "metrics.h"
#include "producer.h"

struct ingest;

/* Stage one of the pipeline; route forwards events whose agent another task owns; fatal stops the daemon. */
struct ingest *ingest_new(const struct config *cfg, struct metrics *metrics, struct producer *route,
    void (*fatal)(void *arg, const char *reason), void *fatal_arg);

/* Wiring that exists only after ingest does (they call back into it). */
void ingest_attach(struct ingest *in, struct consumer *consumer, struct dlq *dlq, struct engine *engine);

/* The consumer_handler callbacks; arg is the ingest. */
void ingest_messages(void *arg, rd_kafka_message_t **msgs, size_t count);
void ingest_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts);
void ingest_revoking(void *arg, const rd_kafka_topic_partition_list_t *parts);
bool ingest_letting_go(void *arg, const rd_kafka_topic_partition_list_t *parts);
void ingest_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts);

/* dlq_done_fn: a dead letter was delivered. */
void ingest_dead_lettered(void *arg, const char *topic, int32_t partition, int64_t offset);

/* The engine_handler callbacks; arg is the ingest. */
void ingest_done(void *arg, const char *topic, int32_t partition, int64_t offset);
void ingest_settled(void *arg);
void ingest_task_ready(void *arg, uint32_t task);
void ingest_task_lost(void *arg, uint32_t task);

/* Redis came back or went away: fetching resumes or pauses. */
void ingest_redis_state(struct ingest *in, bool up);

/* Forwards not yet acknowledged by Kafka. */
size_t ingest_forwarding(const struct ingest *in);

/* For shutdown: take no more messages. */
void ingest_stop(struct ingest *in);

void ingest_free(struct ingest *in);

#endif
