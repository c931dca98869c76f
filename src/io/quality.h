/* quality.h: evaluates the quality rules for every agent whose totals were just read. */
#ifndef FEEDBACKD_QUALITY_H
#define FEEDBACKD_QUALITY_H

#include <hiredis/hiredis.h>

#include "alertpub.h"
#include "config.h"
#include "redis.h"
#include "stats.h"

struct quality;

struct quality *quality_new(const struct config *cfg, struct redis *redis, struct alertpub *alerts);

/* An agentstats_fn: evaluates every rule against the agent's totals and stored states. */
void quality_evaluate(void *arg, const char *agent, const struct totals *per_window, const redisReply *rules);

void quality_free(struct quality *q);

#endif
