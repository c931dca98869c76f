/* alertpub.h: delivers the alerts recorded in the Redis outbox to Kafka, the stream and the hash. */
#ifndef FEEDBACKD_ALERTPUB_H
#define FEEDBACKD_ALERTPUB_H

#include <stddef.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "metrics.h"
#include "producer.h"
#include "redis.h"

struct alertpub;

struct alertpub *alertpub_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct producer *producer, struct metrics *metrics);

/* Publishes outbox entries a script just recorded: (key, facts) pairs. */
void alertpub_outbox(struct alertpub *a, const redisReply *entries);

/* Re-drives entries whose publisher died or whose delivery failed (also run periodically). */
void alertpub_redrive(struct alertpub *a);

/* Alerts taken and not yet confirmed delivered. */
size_t alertpub_pending(const struct alertpub *a);

void alertpub_free(struct alertpub *a);

#endif
