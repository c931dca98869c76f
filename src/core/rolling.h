/* rolling.h: one owner's counters in every rolling window, exact to 1% of each span (pure). */
#ifndef FEEDBACKD_ROLLING_H
#define FEEDBACKD_ROLLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "window.h"

/* Most counters ("slots") a bucket can hold. */
#define ROLLING_SLOTS_MAX 64
/* Event times and now_ms must lie in [0, ROLLING_TS_MAX]; spans must be under it too. */
#define ROLLING_TS_MAX (INT64_MAX / 4)
/* The version written by rolling_pack(). */
#define ROLLING_VERSION 1

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
 * One owner's buckets (an agent's, a team's): only non-empty buckets, only non-zero
 * slots, varint-packed in one malloc'ed buffer. A zeroed struct is empty and valid.
 * Every call on it must pass the same plan and a now_ms that never goes back.
 */
struct rolling {
	uint8_t *buf;
	uint32_t len, cap;
};

/* One counter increment of an event: slot < plan->slots, value >= 0 (0 adds nothing). */
struct rolling_inc {
	unsigned slot;
	int64_t value;
};

enum rolling_result {
	ROLLING_ADDED,   /* counted in every window whose rule covers ts */
	ROLLING_LATE,    /* ts counts in no window at now (always when ts < now - longest span) */
	ROLLING_INVALID, /* a slot, value or ts out of range, or no memory; nothing changed */
};

/*
 * Lays out tiers for ws (1..WINDOWS_MAX windows, spans ascending, 100 ms..ROLLING_TS_MAX)
 * and slots counters whose kinds[s] say how each merges; false when out of range.
 */
bool rolling_plan_init(struct rolling_plan *plan, const struct windows *ws, size_t slots,
    const enum rolling_kind *kinds);

/* Adds (or maxes) one event's increments into the bucket of ts_ms, all or nothing. */
enum rolling_result rolling_add(struct rolling *r, const struct rolling_plan *plan,
    int64_t now_ms, int64_t ts_ms, const struct rolling_inc *incs, size_t n);

/*
 * Merges buckets into coarser tiers and drops those in no window, as far as now_ms allows.
 * Never changes totals; idempotent; O(1) until something is due. False only when out of
 * memory, with the state still exact (just less compact).
 */
bool rolling_advance(struct rolling *r, const struct rolling_plan *plan, int64_t now_ms);

/*
 * Every window's totals at now_ms by the rule above: out[w * plan->slots + s] for window w
 * and slot s (plan->tiers * plan->slots values). Exact whether or not advanced. Unless
 * next_change is NULL, also (from the same pass over the buckets) the earliest time > now_ms
 * at which a bucket leaves some window, so the totals may change with no new event (a MAX
 * tie can leave them equal); INT64_MAX when never.
 */
void rolling_totals(const struct rolling *r, const struct rolling_plan *plan, int64_t now_ms,
    int64_t *out, int64_t *next_change);

/* Heap bytes held (the buffer's capacity; the allocator adds its own small overhead). */
size_t rolling_bytes(const struct rolling *r);

/* Frees the buffer; r is empty afterwards and may be reused. */
void rolling_free(struct rolling *r);

/* Appends r as one MessagePack object (versioned, tied to plan->id); false on a packer error. */
bool rolling_pack(msgpack_packer *pk, const struct rolling *r, const struct rolling_plan *plan);

/*
 * Replaces *r (freeing what it held) by the state in o, checked byte by byte; false, with
 * *r unchanged, for anything malformed, another version or another plan.
 */
bool rolling_unpack(const msgpack_object *o, struct rolling *r, const struct rolling_plan *plan);

/* rolling_unpack() of buf, which must hold exactly one MessagePack object. */
bool rolling_decode(const char *buf, size_t len, struct rolling *r, const struct rolling_plan *plan);

#endif
