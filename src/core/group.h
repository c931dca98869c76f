/* group.h: teams and the site: the partials tasks send them, and their agents active per window (pure). */
#ifndef FEEDBACKD_GROUP_H
#define FEEDBACKD_GROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "agent.h"
#include "groupkey.h"

/* Bit w set when an event at ts counts in window w at now (the rolling rule); 0 for ts <= 0. */
unsigned group_active_mask(const struct rolling_plan *plan, int64_t ts, int64_t now_ms);

/* The first time after now_ms at which group_active_mask(ts) changes; INT64_MAX when never. */
int64_t group_active_change(const struct rolling_plan *plan, int64_t ts, int64_t now_ms);

/*
 * A partial: what one task adds to one group between flushes (the counts and response
 * times of its agents in it, and the change of their running and overdue clocks, in
 * pending) and how many of its agents are active in each window now (absolute). Appended
 * as one MessagePack object.
 */
bool group_partial_pack(msgpack_packer *pk, const struct agent *pending, const struct agent_plan *plan,
    const int64_t active[WINDOWS_MAX]);

/*
 * Applies a partial from task src (of tasks) to the group g at now_ms: its counts, times and
 * clock changes added, src's active agents replaced. False when malformed or out of memory; a malformed one
 * changes nothing.
 */
bool group_partial_apply(struct agent *g, uint32_t src, uint32_t tasks, const char *blob, size_t len,
    const struct agent_plan *plan, int64_t now_ms);

/* Every window's active agents of g: the sum over the tasks. */
void group_active_totals(const struct agent *g, size_t tiers, int64_t out[WINDOWS_MAX]);

#endif
