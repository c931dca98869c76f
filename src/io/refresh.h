/* refresh.h: keeps stats true as windows slide with no new events. */
#ifndef FEEDBACKD_REFRESH_H
#define FEEDBACKD_REFRESH_H

#include <stdbool.h>
#include <event2/event.h>

#include "agentstats.h"
#include "config.h"
#include "redis.h"

struct refresh;

/* Every cfg->refresh_ms, re-sums the windows that slid for agents active within the longest window. */
struct refresh *refresh_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct agentstats *stats);

/* Runs a pass now; force rewrites every active agent's stats (after a restart or reconnect). */
void refresh_run(struct refresh *r, bool force);

/* The interval changed (reload). */
void refresh_reconfigure(struct refresh *r);

void refresh_free(struct refresh *r);

#endif
