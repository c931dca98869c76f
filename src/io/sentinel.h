/* sentinel.h: asks Redis Sentinels where the primary is, and hears when they move it (+switch-master). */
#ifndef FEEDBACKD_SENTINEL_H
#define FEEDBACKD_SENTINEL_H

#include <event2/event.h>

#include "config.h"
#include "hostport.h"
#include "metrics.h"

struct sentinel;

/* The primary of [redis] master_name is at `at`: on the first answer and after a failover. */
typedef void (*sentinel_primary_fn)(void *arg, const struct hostport *at);

/*
 * Connects to every [redis] sentinels endpoint, asks them for the primary as soon as one
 * answers, and subscribes to +switch-master on one of them (another when it is lost).
 */
struct sentinel *sentinel_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    sentinel_primary_fn on_primary, void *arg);

/* Asks a Sentinel for the primary again (the primary was lost, or stopped answering as one). */
void sentinel_ask(struct sentinel *s);

/* Disconnects and frees; NULL is ignored. */
void sentinel_free(struct sentinel *s);

#endif
