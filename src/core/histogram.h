/* histogram.h: response times in log buckets, per rolling window, mergeable; their percentiles (pure). */
#ifndef FEEDBACKD_HISTOGRAM_H
#define FEEDBACKD_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "rolling.h"
#include "window.h"

/*
 * Bucket 0 holds 0-1 ms; bucket i >= 1 holds (g^(i-1), g^i] ms with g = HISTOGRAM_GROWTH, and
 * stands for 2 g^i / (g + 1) ms, which is within (g - 1) / (g + 1) = 1.96% of every time in
 * it. The last bucket also takes every longer time (g^575 ms is about 72 days).
 */
#define HISTOGRAM_GROWTH 1.04
#define HISTOGRAM_BUCKETS 576
/* Buckets are kept in ranges of this many, each a rolling of its own, made on need. */
#define HISTOGRAM_RANGE 64
#define HISTOGRAM_RANGES (HISTOGRAM_BUCKETS / HISTOGRAM_RANGE)

/* The bucket of a time in ms (negative counts as 0). */
size_t histogram_bucket(int64_t ms);

/* The time in ms that bucket b stands for (rounded to the ms). */
int64_t histogram_value_ms(size_t b);

/* The nearest rank of a quantile of n times: ceil(n * permille / 1000), at least 1. */
int64_t histogram_rank(int64_t n, int permille);

/* One owner's times in every window; a zeroed struct is empty and valid. */
struct histogram {
	struct rolling *ranges; /* HISTOGRAM_RANGES of them, or NULL while nothing was added */
};

/* The percentiles of one window: p50 and p90 in ms, of n times (both 0 when n is 0). */
struct histogram_summary {
	int64_t n, p50_ms, p90_ms;
};

/* The rolling layout of one range of buckets over ws. */
bool histogram_plan_init(struct rolling_plan *plan, const struct windows *ws);

/* Counts one time of ms at event time ts; false when ts is in no window or out of memory. */
bool histogram_add(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms, int64_t ts_ms,
    int64_t ms);

/* How many times fell in one bucket at one event time: a group's partial lists its times so. */
struct histogram_count {
	int64_t ts;
	uint32_t bucket; /* < HISTOGRAM_BUCKETS */
	uint32_t n;
};

/*
 * Floors each count's time to the start of its finest rolling bucket, sorts them by range of
 * buckets, time and bucket, and sums the counts of one bucket at one time; returns how many
 * are left (the first of c).
 */
size_t histogram_counts_sort(struct histogram_count *c, size_t n, const struct rolling_plan *plan);

/*
 * Adds counts sorted by histogram_counts_sort at now_ms, a range's at one time as one add;
 * a count in no window at now_ms is dropped, as histogram_add drops a time. False when out of memory.
 */
bool histogram_add_counts(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms,
    const struct histogram_count *c, size_t n);

/* Adds src's times into dst at now_ms (rolling_merge_from of each range); false when out of memory. */
bool histogram_merge_from(struct histogram *dst, const struct histogram *src, const struct rolling_plan *plan,
    int64_t now_ms);

/* rolling_advance() of every range. */
void histogram_advance(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms);

/*
 * Every window's percentiles at now_ms, out[w] for window w of the plan; and, unless
 * next_change is NULL, the first time after now_ms they may change with no new time
 * (rolling_totals'), INT64_MAX when never.
 */
void histogram_summarize(const struct histogram *h, const struct rolling_plan *plan, int64_t now_ms,
    struct histogram_summary out[WINDOWS_MAX], int64_t *next_change);

/* Heap bytes held. */
size_t histogram_bytes(const struct histogram *h);

/* Frees what it holds; it is then empty. */
void histogram_free(struct histogram *h);

/* Appends h as one MessagePack array of [range, rolling] pairs; false on a packer error. */
bool histogram_pack(msgpack_packer *pk, const struct histogram *h, const struct rolling_plan *plan);

/* Replaces *h by the histogram in o; false, *h unchanged, when malformed. */
bool histogram_unpack(const msgpack_object *o, struct histogram *h, const struct rolling_plan *plan);

#endif
