/* rolling.h: one owner's counters in every rolling window, exact to 1% of each span (pure). */
#ifndef FEEDBACKD_ROLLING_H
#define FEEDBACKD_ROLLING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "rolling_plan.h"

/* The version written by rolling_pack(). */
#define ROLLING_VERSION 1

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

/*
 * rolling_totals, and unless masks is NULL, masks[w] for each window w of the plan (0 for
 * the others): a superset of the slots whose total in w is non-zero (every other one is 0).
 */
void rolling_totals_masks(const struct rolling *r, const struct rolling_plan *plan, int64_t now_ms,
    int64_t *out, int64_t *next_change, uint64_t masks[WINDOWS_MAX]);

/*
 * Adds every bucket of src into dst at now_ms (both laid out by plan), as rolling_add of
 * each bucket's values at its start: the totals of dst then count src's too, but for buckets
 * already out of every window at now_ms. False when out of memory (dst then holds a part).
 */
bool rolling_merge_from(struct rolling *dst, const struct rolling *src, const struct rolling_plan *plan,
    int64_t now_ms);

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

/*
 * Rewrites r, laid out by from, for to: the same windows (tiers, spans and granularities)
 * and from's slots first, with the same kinds, then more; the added slots are zero. False,
 * with r unchanged, when to is not such a plan or out of memory.
 */
bool rolling_widen(struct rolling *r, const struct rolling_plan *from, const struct rolling_plan *to);

/* rolling_unpack() of buf, which must hold exactly one MessagePack object. */
bool rolling_decode(const char *buf, size_t len, struct rolling *r, const struct rolling_plan *plan);

#endif
