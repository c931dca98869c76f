/* histogram.c: response times in log buckets, per rolling window, mergeable; their percentiles (pure). */
#include "histogram.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mpack.h"
#include "timestamp.h"

_Static_assert(HISTOGRAM_BUCKETS % HISTOGRAM_RANGE == 0, "whole ranges");
_Static_assert(HISTOGRAM_RANGE <= ROLLING_SLOTS_MAX, "a range is one rolling's slots");

/* See histogram.h. */
size_t histogram_bucket(int64_t ms)
{
	double b;

	if (ms <= 1)
		return 0;
	b = ceil(log((double)ms) / log(HISTOGRAM_GROWTH));
	return b >= HISTOGRAM_BUCKETS - 1 ? HISTOGRAM_BUCKETS - 1 : (size_t)b;
}

/* See histogram.h. */
int64_t histogram_value_ms(size_t b)
{
	if (b == 0)
		return 0;
	return llround(2.0 * pow(HISTOGRAM_GROWTH, (double)b) / (HISTOGRAM_GROWTH + 1.0));
}

/* See histogram.h; n * permille could overflow. */
int64_t histogram_rank(int64_t n, int permille)
{
	int64_t rank = n / 1000 * permille + ((n % 1000) * permille + 999) / 1000;

	return rank < 1 ? 1 : rank;
}

/* See histogram.h. */
bool histogram_plan_init(struct rolling_plan *plan, const struct windows *ws)
{
	enum rolling_kind kinds[HISTOGRAM_RANGE];

	for (size_t s = 0; s < HISTOGRAM_RANGE; s++)
		kinds[s] = ROLLING_SUM;
	return rolling_plan_init(plan, ws, HISTOGRAM_RANGE, kinds);
}

/* See histogram.h. */
bool histogram_add(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms, int64_t ts_ms,
    int64_t ms)
{
	size_t b = histogram_bucket(ms);
	struct rolling_inc inc = {(unsigned)(b % HISTOGRAM_RANGE), 1};

	if (h->ranges == NULL && (h->ranges = calloc(HISTOGRAM_RANGES, sizeof(*h->ranges))) == NULL)
		return false;
	return rolling_add(&h->ranges[b / HISTOGRAM_RANGE], plan, now_ms, ts_ms, &inc, 1) == ROLLING_ADDED;
}

/* Counts by range of buckets, time and bucket, for qsort. */
static int histogram_by_range(const void *a, const void *b)
{
	const struct histogram_count *x = a, *y = b;
	uint32_t rx = x->bucket / HISTOGRAM_RANGE, ry = y->bucket / HISTOGRAM_RANGE;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return (x->bucket > y->bucket) - (x->bucket < y->bucket);
}

/* See histogram.h. */
size_t histogram_counts_sort(struct histogram_count *c, size_t n, const struct rolling_plan *plan)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		c[i].ts = ts_floor_div(c[i].ts, plan->gran_ms[0]) * plan->gran_ms[0];
	if (n > 1)
		qsort(c, n, sizeof(*c), histogram_by_range);
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && c[k - 1].ts == c[i].ts && c[k - 1].bucket == c[i].bucket) {
			c[k - 1].n = c[i].n > UINT32_MAX - c[k - 1].n ? UINT32_MAX : c[k - 1].n + c[i].n;
			continue;
		}
		c[k++] = c[i];
	}
	return k;
}

/* See histogram.h. */
bool histogram_add_counts(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms,
    const struct histogram_count *c, size_t n)
{
	if (n > 0 && h->ranges == NULL && (h->ranges = calloc(HISTOGRAM_RANGES, sizeof(*h->ranges))) == NULL)
		return false;
	for (size_t i = 0, j; i < n; i = j) {
		struct rolling_inc incs[HISTOGRAM_RANGE];
		size_t r = c[i].bucket / HISTOGRAM_RANGE, k = 0;

		for (j = i; j < n && c[j].ts == c[i].ts && c[j].bucket / HISTOGRAM_RANGE == r; j++)
			incs[k++] = (struct rolling_inc){c[j].bucket % HISTOGRAM_RANGE, c[j].n};
		if (rolling_add(&h->ranges[r], plan, now_ms, c[i].ts, incs, k) == ROLLING_INVALID)
			return false;
	}
	return true;
}

/* See histogram.h. */
bool histogram_merge_from(struct histogram *dst, const struct histogram *src, const struct rolling_plan *plan,
    int64_t now_ms)
{
	for (size_t r = 0; src->ranges != NULL && r < HISTOGRAM_RANGES; r++) {
		if (src->ranges[r].buf == NULL)
			continue;
		if (dst->ranges == NULL && (dst->ranges = calloc(HISTOGRAM_RANGES, sizeof(*dst->ranges))) == NULL)
			return false;
		if (!rolling_merge_from(&dst->ranges[r], &src->ranges[r], plan, now_ms))
			return false;
	}
	return true;
}

/* See histogram.h. */
void histogram_advance(struct histogram *h, const struct rolling_plan *plan, int64_t now_ms)
{
	for (size_t r = 0; h->ranges != NULL && r < HISTOGRAM_RANGES; r++)
		if (h->ranges[r].buf != NULL)
			rolling_advance(&h->ranges[r], plan, now_ms);
}

/* See histogram.h. */
void histogram_summarize(const struct histogram *h, const struct rolling_plan *plan, int64_t now_ms,
    struct histogram_summary out[WINDOWS_MAX], int64_t *next_change)
{
	/* Only the ranges that hold times are totalled: most hold none, and this runs for every view. */
	int64_t flat[HISTOGRAM_RANGES][WINDOWS_MAX * HISTOGRAM_RANGE];
	/* masks[u][w]: the buckets of used range u that window w may hold times in; the rest are 0. */
	uint64_t masks[HISTOGRAM_RANGES][WINDOWS_MAX];
	size_t used[HISTOGRAM_RANGES], nused = 0;

	memset(out, 0, WINDOWS_MAX * sizeof(*out));
	if (next_change != NULL)
		*next_change = INT64_MAX;
	for (size_t r = 0; h->ranges != NULL && r < HISTOGRAM_RANGES; r++) {
		int64_t nc;

		if (h->ranges[r].buf == NULL)
			continue;
		rolling_totals_masks(&h->ranges[r], plan, now_ms, flat[nused], &nc, masks[nused]);
		if (next_change != NULL && nc < *next_change)
			*next_change = nc;
		for (size_t w = 0; w < plan->tiers; w++)
			for (uint64_t m = masks[nused][w]; m != 0; m &= m - 1)
				out[w].n += flat[nused][w * HISTOGRAM_RANGE + (size_t)__builtin_ctzll(m)];
		used[nused++] = r;
	}
	for (size_t w = 0; w < plan->tiers; w++) {
		int64_t p50 = histogram_rank(out[w].n, 500), p90 = histogram_rank(out[w].n, 900), seen = 0;

		/* Ascending buckets: the first to reach each rank holds it; p90's comes last. */
		for (size_t u = 0; out[w].n > 0 && u < nused && seen < p90; u++)
			for (uint64_t m = masks[u][w]; m != 0 && seen < p90; m &= m - 1) {
				size_t s = (size_t)__builtin_ctzll(m);
				int64_t c = flat[u][w * HISTOGRAM_RANGE + s];
				size_t b = used[u] * HISTOGRAM_RANGE + s;

				if (c == 0)
					continue;
				if (seen < p50 && seen + c >= p50)
					out[w].p50_ms = histogram_value_ms(b);
				if (seen < p90 && seen + c >= p90)
					out[w].p90_ms = histogram_value_ms(b);
				seen += c;
			}
	}
}

/* See histogram.h. */
size_t histogram_bytes(const struct histogram *h)
{
	size_t bytes = 0;

	if (h->ranges == NULL)
		return 0;
	for (size_t r = 0; r < HISTOGRAM_RANGES; r++)
		bytes += rolling_bytes(&h->ranges[r]);
	return bytes + HISTOGRAM_RANGES * sizeof(*h->ranges);
}

/* See histogram.h. */
void histogram_free(struct histogram *h)
{
	for (size_t r = 0; h->ranges != NULL && r < HISTOGRAM_RANGES; r++)
		rolling_free(&h->ranges[r]);
	free(h->ranges);
	h->ranges = NULL;
}

/* See histogram.h. */
bool histogram_pack(msgpack_packer *pk, const struct histogram *h, const struct rolling_plan *plan)
{
	size_t used = 0;

	for (size_t r = 0; h->ranges != NULL && r < HISTOGRAM_RANGES; r++)
		used += h->ranges[r].buf != NULL;
	if (msgpack_pack_array(pk, 2 * used) != 0)
		return false;
	for (size_t r = 0; h->ranges != NULL && r < HISTOGRAM_RANGES; r++)
		if (h->ranges[r].buf != NULL &&
		    (msgpack_pack_uint32(pk, (uint32_t)r) != 0 || !rolling_pack(pk, &h->ranges[r], plan)))
			return false;
	return true;
}

/* See histogram.h. */
bool histogram_unpack(const msgpack_object *o, struct histogram *h, const struct rolling_plan *plan)
{
	struct histogram next = {NULL};
	int64_t last = -1;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size % 2 != 0 ||
	    o->via.array.size > 2 * HISTOGRAM_RANGES)
		return false;
	for (uint32_t i = 0; i < o->via.array.size; i += 2) {
		int64_t r;

		/* Ranges ascending, each once. */
		if (!mpack_int(&o->via.array.ptr[i], last + 1, HISTOGRAM_RANGES - 1, &r))
			goto fail;
		if (next.ranges == NULL && (next.ranges = calloc(HISTOGRAM_RANGES, sizeof(*next.ranges))) == NULL)
			goto fail;
		if (!rolling_unpack(&o->via.array.ptr[i + 1], &next.ranges[r], plan))
			goto fail;
		last = r;
	}
	histogram_free(h);
	*h = next;
	return true;
fail:
	histogram_free(&next);
	return false;
}
