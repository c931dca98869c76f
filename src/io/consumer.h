/* consumer.h: the Kafka group consumer, driven by the libevent loop. */
#ifndef FEEDBACKD_CONSUMER_H
#define FEEDBACKD_CONSUMER_H

#include <stdbool.h>
#include <stdint.h>
#include <event2/event.h>
#include <librdkafka/rdkafka.h>

#include "config.h"

/* What the consumer tells its owner. Messages are only valid during the call. */
struct consumer_handler {
	void (*messages)(void *arg, rd_kafka_message_t **msgs, size_t count);
	void (*assigned)(void *arg, const rd_kafka_topic_partition_list_t *parts);
	/* A revoke: revoking at once, letting_go asked until it says false, then revoked. */
	void (*revoking)(void *arg, const rd_kafka_topic_partition_list_t *parts);
	bool (*letting_go)(void *arg, const rd_kafka_topic_partition_list_t *parts);
	void (*revoked)(void *arg, const rd_kafka_topic_partition_list_t *parts);
	void (*fatal)(void *arg, const char *reason);
	void *arg;
};

struct consumer;

/*
 * Creates the consumer and subscribes to cfg's input topics, and to cfg->route_topic
 * too when with_route. The assignment callbacks get every partition, route ones
 * included: the owner tells them apart by topic name. Revoked partitions stop fetching at
 * once but stay assigned, holding the group's rebalance, while letting_go says their
 * owner still has work out for them (at most 30 s, or half of max.poll.interval.ms if
 * shorter; partitions lost are let go at once). The range assignor is forced (whatever
 * rdkafka.* says) so input partition q and route partition q go to the same member when
 * the counts agree.
 */
struct consumer *consumer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    bool with_route, const struct consumer_handler *handler, char *err, size_t err_size);

/*
 * Stops taking messages from the local queue until consumer_release. Fetching goes on
 * until librdkafka's bounded prefetch is full; nothing is discarded. For short waits.
 */
void consumer_hold(struct consumer *c);
void consumer_release(struct consumer *c);

/* Also pauses fetching (discarding the prefetch) until consumer_resume. For outages. */
void consumer_pause(struct consumer *c);
void consumer_resume(struct consumer *c);
bool consumer_paused(const struct consumer *c);

/*
 * Pauses or resumes fetching one assigned partition, as while its task restores. A
 * partition paused so stays paused through consumer_pause/consumer_resume (an outage)
 * until consumer_resume_partition; a revoke forgets it. Pausing drops what was
 * prefetched for it; resuming fetches again from the last message handed out.
 * Pausing returns false only when out of memory (the partition is then not paused).
 */
bool consumer_pause_partition(struct consumer *c, const char *topic, int32_t partition);
void consumer_resume_partition(struct consumer *c, const char *topic, int32_t partition);

/* The latest librdkafka statistics JSON (NULL before the first); see metrics_kafka_stats(). */
const char *consumer_statistics(const struct consumer *c);

/* Partitions currently assigned to this member. */
int consumer_assigned(const struct consumer *c);

/*
 * Whether the group was joined: an assignment arrived at least once, even an
 * empty one (a group with more members than partitions leaves some with none).
 */
bool consumer_joined(const struct consumer *c);

/* Marks everything before next_offset as done; it is committed with the next auto-commit. */
void consumer_store(struct consumer *c, const char *topic, int32_t partition, int64_t next_offset);

/* Commits stored offsets and leaves the group (blocking, for shutdown). */
void consumer_close(struct consumer *c);

void consumer_free(struct consumer *c);

#endif
