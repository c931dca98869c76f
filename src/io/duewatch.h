/* duewatch.h: fires reply clocks at their at-risk point and deadline, from deadlines kept in Redis. */
#ifndef FEEDBACKD_DUEWATCH_H
#define FEEDBACKD_DUEWATCH_H

#include <stdint.h>
#include <event2/event.h>

#include "agentstats.h"
#include "alertpub.h"
#include "config.h"
#include "metrics.h"
#include "redis.h"

struct duewatch;

struct duewatch *duewatch_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct agentstats *stats, struct alertpub *alerts, struct metrics *metrics);

/* A clock action is due at due_ms: make sure the timer fires by then. */
void duewatch_expect(struct duewatch *w, int64_t due_ms);

/* Claims whatever is due now (on start, after Redis returns, and from the timers). */
void duewatch_check(struct duewatch *w);

/* Clocks running and overdue over all agents, as of the last claim (at most a rescan old). */
void duewatch_clocks(const struct duewatch *w, int64_t *open, int64_t *overdue);

/* The rescan interval changed (reload). */
void duewatch_reconfigure(struct duewatch *w);

void duewatch_free(struct duewatch *w);

#endif
