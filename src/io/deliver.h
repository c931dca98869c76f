/* deliver.h: sends a task's committed outbox: route batches to other tasks, alerts to Redis and Kafka. */
#ifndef FEEDBACKD_DELIVER_H
#define FEEDBACKD_DELIVER_H

#include <stdbool.h>
#include <stdint.h>
#include <event2/event.h>

#include "config.h"
#include "metrics.h"
#include "producer.h"
#include "outbox.h"
#include "view.h"

/* The header that marks a route-topic message as a batch (route.h); a forwarded event has none. */
#define DELIVER_BATCH_HEADER "fb-batch"

/* An outbox entry reached every place it goes. */
typedef void (*deliver_done_fn)(void *arg, uint64_t seq);

struct deliver;

struct deliver *deliver_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct view *view, struct producer *route, struct producer *alerts, deliver_done_fn done, void *arg);

/* The outbox delivered (a task's); NULL detaches. */
void deliver_attach(struct deliver *d, struct outbox *o);

/* Sends every committed entry not sent yet; a failed one is sent again, with all after it, later. */
void deliver_drive(struct deliver *d);

/* True when nothing is in flight. */
bool deliver_idle(const struct deliver *d);

/* Frees the deliverer; replies still out are then ignored. */
void deliver_free(struct deliver *d);

#endif
