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
 * A partial: what one task adds to one group between flushes (the counts of its agents in
 * it and the change of their running and overdue clocks, in pending; their response times,
 * as histogram_counts_sort left them) and how many of its agents are active in each window
 * now (absolute). Appended as one MessagePack object.
 */
bool group_partial_pack(msgpack_packer *pk, const struct agent *pending, const struct histogram_count *times,
    size_t ntimes, const struct agent_plan *plan, const int64_t active[WINDOWS_MAX]);

/*
 * The counts and times of the partials a group received since its last flush. A merge into
 * the group walks all of its buckets, and every task sends each group a partial a flush: so
 * they are gathered here (a zeroed struct is empty) and merged into it once, at its flush.
 */
struct group_inbox {
	struct rolling counts;
	struct histogram responses;    /* from partials of the release before times were listed */
	struct histogram_count *times;
	size_t ntimes, times_cap;
};

/*
 * Applies a partial from task src (of tasks) to the group g at now_ms: its counts and times
 * to g's inbox in, its months added to g's (the current month being month_now), its clock
 * changes added, src's active agents replaced. False when
 * malformed or out of memory; a malformed one changes nothing.
 */
bool group_partial_apply(struct agent *g, struct group_inbox *in, uint32_t src, uint32_t tasks, const char *blob,
    size_t len, const struct agent_plan *plan, int64_t now_ms, month_t month_now);

/* Merges the inbox into g at now_ms and empties it; false when out of memory (g then holds a part). */
bool group_settle(struct agent *g, struct group_inbox *in, const struct agent_plan *plan, int64_t now_ms);

/* Frees what the inbox holds; it is then empty. */
void group_inbox_free(struct group_inbox *in);

/* A group's view totals: every window's active agents, the sum over the tasks. */
void group_totals(const struct agent *g, size_t tiers, struct totals totals[WINDOWS_MAX]);

#endif
