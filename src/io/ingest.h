/* ingest.h: consumed messages to Redis effects, in order, with offsets stored only after. */
#ifndef FEEDBACKD_INGEST_H
#define FEEDBACKD_INGEST_H

#include <stdbool.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "agentstats.h"
#include "config.h"
#include "consumer.h"
#include "dlq.h"
#include "metrics.h"
#include "redis.h"

struct ingest;

/* What an applied batch may cause besides counters: alerts to publish, a clock to watch. */
struct ingest_effects {
	void (*outbox)(void *arg, const redisReply *entries); /* key, facts pairs */
	void (*next_due)(void *arg, int64_t due_ms);           /* a clock's next action */
	void *arg;
};

struct ingest *ingest_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct redis *redis, struct agentstats *stats);

/* Wiring that exists only after ingest does (the consumer and DLQ call back into it). */
void ingest_attach(struct ingest *in, struct consumer *consumer, struct dlq *dlq,
    const struct ingest_effects *effects);

/* The consumer_handler callbacks; arg is the ingest. */
void ingest_messages(void *arg, rd_kafka_message_t **msgs, size_t count);
void ingest_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts);
void ingest_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts);

/* dlq_done_fn: a dead letter was delivered. */
void ingest_dead_lettered(void *arg, const char *topic, int32_t partition, int64_t offset);

/* Redis came back (send what waits) or went away (stop consuming). */
void ingest_redis_state(struct ingest *in, bool up);

/* Reloadable settings changed (windows and targets are encoded once, here). */
void ingest_reconfigure(struct ingest *in);

/* Batches not yet confirmed by Redis. */
size_t ingest_queued(const struct ingest *in);

/* For shutdown: take no more messages. */
void ingest_stop(struct ingest *in);

void ingest_free(struct ingest *in);

#endif
