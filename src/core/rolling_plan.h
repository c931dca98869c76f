/* rolling_plan.h: how rolling counters lay out their tiers over the windows, and its fingerprint (pure). */
#ifndef FEEDBACKD_ROLLING_PLAN_H
#define FEEDBACKD_ROLLING_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "window.h"

/* Most counters ("slots") a bucket can hold. */
#define ROLLING_SLOTS_MAX 64
/* Event times and now_ms must lie in [0, ROLLING_TS_MAX]; spans must be under it too. */
#define ROLLING_TS_MAX (INT64_MAX / 4)

/* How a slot merges: summed, or the largest value kept (e.g. the longest response). */
enum rolling_kind {
	ROLLING_SUM,
	ROLLING_MAX
};

/*
 * The shared, read-only layout: one tier per window. Tier i has granularity gran_ms[i],
 * at most span_ms[i] / 100 and a multiple of gran_ms[i - 1]; tier 0's divides a day.
 * Window i decides by tier i's buckets: an event at ts counts in window i at now iff
 *   floor(ts / gran_ms[i]) * gran_ms[i] >= now - span_ms[i]
 * (Unix-epoch aligned floor). So it counts at least until ts + span - gran + 1 (so at
 * now = ts + span - span/100), never after ts + span, and from the moment it is added
 * (future ts too). Build with rolling_plan_init(); never written afterwards.
 */
struct rolling_plan {
	size_t tiers;                       /* = windows, ascending by span */
	int64_t span_ms[WINDOWS_MAX];
	int64_t gran_ms[WINDOWS_MAX];
	size_t slots;                       /* counters per bucket, 1..ROLLING_SLOTS_MAX */
	uint64_t max_slots;                 /* bit s set: slot s is ROLLING_MAX, else ROLLING_SUM */
	uint32_t id;                        /* fingerprint of all the above, in checkpoints */
};

/*
 * Lays out tiers for ws (1..WINDOWS_MAX windows, spans ascending, 100 ms..ROLLING_TS_MAX)
 * and slots counters whose kinds[s] say how each merges; false when out of range.
 */
bool rolling_plan_init(struct rolling_plan *plan, const struct windows *ws, size_t slots,
    const enum rolling_kind *kinds);

#endif
