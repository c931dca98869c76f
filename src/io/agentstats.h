/* agentstats.h: turns the raw totals a script returns into each agent's contract stats hash. */
#ifndef FEEDBACKD_AGENTSTATS_H
#define FEEDBACKD_AGENTSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "metrics.h"
#include "redis.h"
#include "stats.h"

struct agentstats;

/*
 * Called with every agent's decoded totals, after its stats were queued for writing (or
 * left to a later call, see agentstats_defer); rules holds the agent's quality-rule states
 * as field/value pairs.
 */
typedef void (*agentstats_fn)(void *arg, const char *agent, const struct totals *per_window,
    const redisReply *rules);

struct agentstats *agentstats_new(const struct config *cfg, struct redis *redis, struct metrics *metrics);

/*
 * Whether a later script call is sure to return newer totals for the agent (len bytes): NULL
 * if not, else where agentstats keeps, for as long as that lasts, when it first put off the
 * agent's write (0 until then).
 */
typedef int64_t *(*agentstats_pending_fn)(void *arg, const char *agent, size_t len);

/*
 * Leaves the stats write of agents for which fn says so to that later call: under load most
 * agents of a batch are in the next one too. An agent put off for a second is written anyway
 * (a bounded number per call), so one that is in every batch is still written while the load
 * lasts.
 */
void agentstats_defer(struct agentstats *s, agentstats_pending_fn fn, void *arg);

/* Also tell fn about every agent published (the quality rules listen here). */
void agentstats_listen(struct agentstats *s, agentstats_fn fn, void *arg);

/* Writes the stats hash of every agent in a totals reply (layout: totals_update in _common.lua). */
void agentstats_publish(struct agentstats *s, const redisReply *totals);

void agentstats_free(struct agentstats *s);

#endif
