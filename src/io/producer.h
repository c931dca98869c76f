/* producer.h: an idempotent Kafka producer (alerts, dead letters, route records), and topic admin. */
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

/* A topic's partition count; partitions is -1 (and why says why) when unknown. */
typedef void (*producer_count_fn)(void *arg, int partitions, const char *why);

/*
 * What a producer carries. Alerts are small and batched. Dead letters may be as large
 * as the topic allows, so each goes in a request of its own (its size never depends on
 * another's) and librdkafka's own size check is lifted: the caller fits each letter to
 * the topic's limit, read with producer_topic_limit().
 */
enum producer_kind { PRODUCER_ALERTS, PRODUCER_DEAD_LETTERS, PRODUCER_ROUTE };

/*
 * PRODUCER_ROUTE carries records between tasks (the route topic). Its messages never
 * time out and it keeps the gapless guarantee: a message that failed while later ones
 * succeeded would let a later batch overtake an earlier one, so librdkafka raises a
 * fatal error (the fatal callback) instead.
 */

struct producer;

struct producer *producer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    enum producer_kind kind, producer_fatal_fn fatal, void *arg, char *err, size_t err_size);

/*
 * Queues one message (copied; a NULL value is sent as a NULL value) to partition of
 * topic, or where the partitioner puts its key when partition is -1
 * (RD_KAFKA_PARTITION_UA). On success headers are owned by the producer and done runs
 * exactly once later; on failure nothing was taken and the error (queue full, too
 * large, unknown partition, ...) is returned.
 */
rd_kafka_resp_err_t producer_send(struct producer *p, const char *topic, int32_t partition, const void *key,
    size_t key_len, const void *value, size_t value_len, rd_kafka_headers_t *headers, producer_done_fn done,
    void *arg);

/*
 * Asks the cluster for topic's max.message.bytes; fn runs once, in the loop, with the
 * answer. One question is out at a time: a call while one is out is dropped, and the
 * reply goes to the first asker (the dead-letter queue is the only one).
 */
void producer_topic_limit(struct producer *p, const char *topic, producer_limit_fn fn, void *arg);

/*
 * Makes sure topic exists, creating it with partitions partitions (and the brokers'
 * default replication factor) when it does not; fn then runs once, in the loop, never
 * before this returns, with the topic's partition count, which may differ from
 * partitions when the topic already existed (the caller refuses a mismatch). For
 * start-up: whether it exists is read with a blocking metadata request (up to 1 s);
 * only the creation is asynchronous. One call at a time: another while one is out is
 * answered at once with -1. librdkafka 2.0's mock cluster (brokers = embedded) does
 * not answer CreateTopics, so there the topic must exist already (embedded.c creates it).
 */
void producer_ensure_topic(struct producer *p, const char *topic, int partitions, producer_count_fn fn,
    void *arg);

/*
 * The partition count of topic, read with a blocking metadata request (up to 1 s;
 * for start-up, to resolve [engine] tasks = 0). fn runs once, in the loop, never
 * before this returns; -1 and why when the topic does not exist or the cluster did
 * not answer.
 */
void producer_partition_count(struct producer *p, const char *topic, producer_count_fn fn, void *arg);

/* Messages queued or in flight. */
int producer_outq(const struct producer *p);

/* Waits up to timeout_ms for every queued message's delivery report (shutdown). */
void producer_flush(struct producer *p, int timeout_ms);

void producer_free(struct producer *p);

#endif
