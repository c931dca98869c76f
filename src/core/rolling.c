/* rolling.c: one owner's counters in every rolling window, exact to 1% of each span (pure). */
#include "rolling.h"
#include "rolling_state.h"

#include <stdlib.h>
#include <string.h>

#include "timestamp.h"

/* A merge source of this many buckets or fewer is put bucket by bucket. */
#define ROLLING_MERGE_EACH 16

/* See rolling_state.h. */
size_t
rolling_hdr_size(const struct rolling_plan *plan)
{
	return ROLLING_DUE_SIZE + plan->tiers * sizeof(uint32_t);
}

/* See rolling_state.h. */
uint32_t
rolling_sec_len(const struct rolling *r, size_t t)
{
	uint32_t	v;

	memcpy(&v, r->buf + ROLLING_DUE_SIZE + t * sizeof v, sizeof v);
	return v;
}

/* See rolling_state.h. */
void
rolling_set_sec_len(struct rolling *r, size_t t, uint32_t v)
{
	memcpy(r->buf + ROLLING_DUE_SIZE + t * sizeof v, &v, sizeof v);
}

/* See rolling_state.h. */
int64_t
rolling_due(const struct rolling *r)
{
	int64_t	v;

	memcpy(&v, r->buf, sizeof v);
	return v;
}

/* See rolling_state.h. */
void
rolling_set_due(struct rolling *r, int64_t v)
{
	memcpy(r->buf, &v, sizeof v);
}

/* See rolling_state.h. */
size_t
rolling_sec_start(const struct rolling *r, const struct rolling_plan *plan, size_t t)
{
	size_t	off = rolling_hdr_size(plan);

	for (size_t u = t + 1; u < plan->tiers; u++)
		off += rolling_sec_len(r, u);
	return off;
}

/* Writes v as a LEB128 varint; returns its length. */
static size_t
rolling_varint_put(uint8_t *p, uint64_t v)
{
	size_t	n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Reads a varint of at most 64 bits before end; NULL when cut short or too long. */
static inline const uint8_t *
rolling_varint_get(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t	v = 0;

	/* Most values and headers are below 128: one byte. */
	if (p < end && *p < 0x80) {
		*out = *p;
		return p + 1;
	}
	for (unsigned shift = 0; p < end && shift < 64; shift += 7) {
		uint8_t	b = *p++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*out = v;
			return p;
		}
	}
	return NULL;
}

/* The bytes of a bucket's slot mask. */
static size_t
rolling_mask_size(const struct rolling_plan *plan)
{
	return (plan->slots + 7) / 8;
}

/* See rolling_state.h. */
const uint8_t *
rolling_head(const uint8_t *p, const uint8_t *end, const struct rolling_plan *plan, size_t t,
    int64_t prev, int64_t *idx, uint64_t *mask)
{
	uint64_t	h, m = 0;
	size_t		mb = rolling_mask_size(plan);

	if ((p = rolling_varint_get(p, end, &h)) == NULL || (size_t)(end - p) < mb)
		return NULL;
	if (prev == ROLLING_NO_PREV) {
		if (h > (uint64_t)(ROLLING_TS_MAX / plan->gran_ms[t]))
			return NULL;
		*idx = (int64_t)h;
	} else {
		/* Newest first: every later record is strictly older. */
		if (h == 0 || h > (uint64_t)prev)
			return NULL;
		*idx = prev - (int64_t)h;
	}
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Most records have 8 bytes after their header within the buffer: one load. */
	if ((size_t)(end - p) >= sizeof m) {
		memcpy(&m, p, sizeof m);
		if (mb < sizeof m)
			m &= (UINT64_C(1) << (8 * mb)) - 1;
	} else
#endif
		for (size_t i = 0; i < mb; i++)
			m |= (uint64_t)p[i] << (8 * i);
	if (m == 0 || (plan->slots < 64 && m >> plan->slots != 0))
		return NULL;
	*mask = m;
	return p + mb;
}

/* Merges v into cur by slot s's kind; sums saturate instead of overflowing. */
static inline int64_t
rolling_merge_one(const struct rolling_plan *plan, size_t s, int64_t cur, int64_t v)
{
	if ((plan->max_slots >> s & 1) != 0)
		return v > cur ? v : cur;
	return v > INT64_MAX - cur ? INT64_MAX : cur + v;
}

/* See rolling_state.h. */
const uint8_t *
rolling_vals(const uint8_t *p, const uint8_t *end, const struct rolling_plan *plan,
    uint64_t mask, int64_t *dst)
{
	/* Set bits only, lowest first (ctz is one instruction, unlike popcount without -mpopcnt). */
	for (; mask != 0; mask &= mask - 1) {
		unsigned	s = (unsigned)__builtin_ctzll(mask);
		uint64_t	v;

		if ((p = rolling_varint_get(p, end, &v)) == NULL || v == 0 || v > INT64_MAX)
			return NULL;
		if (dst != NULL)
			dst[s] = rolling_merge_one(plan, s, dst[s], (int64_t)v);
	}
	return p;
}

/* The set bits of m (SWAR: __builtin_popcountll is a table-driven libgcc call without -mpopcnt). */
static int
rolling_bits(uint64_t m)
{
	m -= (m >> 1) & UINT64_C(0x5555555555555555);
	m = (m & UINT64_C(0x3333333333333333)) + ((m >> 2) & UINT64_C(0x3333333333333333));
	m = (m + (m >> 4)) & UINT64_C(0x0f0f0f0f0f0f0f0f);
	return (int)((m * UINT64_C(0x0101010101010101)) >> 56);
}

/* Skips a trusted record's values: one varint per set bit, each ending in a byte < 0x80. */
static const uint8_t *
rolling_skip(const uint8_t *p, uint64_t mask)
{
	for (int k = rolling_bits(mask); k > 0; p++)
		k -= *p < 0x80;
	return p;
}

/* rolling_write of vals whose non-zero slots are exactly those set in mask. */
static size_t
rolling_write_mask(uint8_t *out, const struct rolling_plan *plan, uint64_t h, const int64_t *vals, uint64_t mask)
{
	size_t	n = rolling_varint_put(out, h), mb = rolling_mask_size(plan);

	for (size_t i = 0; i < mb; i++)
		out[n + i] = (uint8_t)(mask >> (8 * i));
	n += mb;
	for (; mask != 0; mask &= mask - 1)
		n += rolling_varint_put(out + n, (uint64_t)vals[__builtin_ctzll(mask)]);
	return n;
}

/* See rolling_state.h. */
size_t
rolling_write(uint8_t *out, const struct rolling_plan *plan, uint64_t h, const int64_t *vals)
{
	size_t		n = rolling_varint_put(out, h), mb = rolling_mask_size(plan);
	uint64_t	m = 0;
	uint8_t		*mp = out + n;

	n += mb;
	for (size_t s = 0; s < plan->slots; s++) {
		if (vals[s] != 0) {
			m |= UINT64_C(1) << s;
			n += rolling_varint_put(out + n, (uint64_t)vals[s]);
		}
	}
	for (size_t i = 0; i < mb; i++)
		mp[i] = (uint8_t)(m >> (8 * i));
	return n;
}

/* Merges the slots of src set in mask (every other one is 0) into dst. */
static void
rolling_merge_mask(const struct rolling_plan *plan, int64_t *dst, const int64_t *src, uint64_t mask)
{
	for (; mask != 0; mask &= mask - 1) {
		unsigned	s = (unsigned)__builtin_ctzll(mask);

		dst[s] = rolling_merge_one(plan, s, dst[s], src[s]);
	}
}

/* The earliest now at which time x no longer counts in window i. */
static int64_t
rolling_out(const struct rolling_plan *plan, size_t i, int64_t x)
{
	return ts_floor_div(x, plan->gran_ms[i]) * plan->gran_ms[i] + plan->span_ms[i] + 1;
}

/* The earliest now at which time x counts in none of windows 0..j-1. */
static int64_t
rolling_out_before(const struct rolling_plan *plan, size_t j, int64_t x)
{
	int64_t	t = INT64_MIN;

	for (size_t i = 0; i < j; i++) {
		int64_t	o = rolling_out(plan, i, x);

		if (o > t)
			t = o;
	}
	return t;
}

/* Where every window's edge is at one now, and what follows for merging and dropping. */
struct rolling_edges {
	int64_t	cut[WINDOWS_MAX];   /* window i holds the buckets starting at or after cut[i] */
	int64_t	merge[WINDOWS_MAX]; /* j >= 1: times before merge[j] are out of windows < j */
	int64_t	gone;               /* times before this are in no window */
};

/* Works out the edges at now: cut[i] = ceil((now - span) / gran) * gran. */
static void
rolling_edges(const struct rolling_plan *plan, int64_t now, struct rolling_edges *e)
{
	int64_t	least = INT64_MAX;

	for (size_t i = 0; i < plan->tiers; i++) {
		int64_t	g = plan->gran_ms[i];

		e->cut[i] = -ts_floor_div(plan->span_ms[i] - now, g) * g;
		/* A tier-i bucket must end by the edge of every finer window: floor to g. */
		e->merge[i] = ts_floor_div(least, g) * g;
		if (e->cut[i] < least)
			least = e->cut[i];
	}
	e->gone = least;
}

/* Where the tier-t bucket starting at a belongs: a tier >= t, or -1 (in no window). */
static int
rolling_target(const struct rolling_plan *plan, const struct rolling_edges *e, size_t t,
    int64_t a)
{
	size_t	j = t;

	if (a + plan->gran_ms[t] <= e->gone)
		return -1;
	while (j + 1 < plan->tiers && a < e->merge[j + 1])
		j++;
	return (int)j;
}

/* See rolling_state.h. */
int64_t
rolling_rec_due(const struct rolling_plan *plan, size_t t, int64_t a)
{
	int64_t	due = rolling_out_before(plan, plan->tiers, a + plan->gran_ms[t] - 1), g, m;

	if (t + 1 == plan->tiers)
		return due;
	/* It merges once its whole tier t + 1 bucket is out of every finer window. */
	g = plan->gran_ms[t + 1];
	m = rolling_out_before(plan, t + 1, ts_floor_div(a, g) * g + g - 1);
	return m < due ? m : due;
}

/* See rolling_state.h. */
bool
rolling_splice(struct rolling *r, size_t t, size_t off, size_t old_len, const uint8_t *src,
    size_t new_len)
{
	size_t	len = r->len - old_len + new_len;

	if (len > r->cap) {
		size_t	 cap = r->cap + r->cap / 4 + 32;
		uint8_t	*p;

		if (len > ROLLING_LEN_MAX)
			return false;
		/* Grow by a quarter: amortized O(1) yet little slack, as memory is the constraint. */
		if (cap < len)
			cap = len;
		if (cap > ROLLING_LEN_MAX)
			cap = ROLLING_LEN_MAX;
		if ((p = realloc(r->buf, cap)) == NULL)
			return false;
		r->buf = p;
		r->cap = (uint32_t)cap;
	}
	/* The usual merge keeps a record's length: then nothing after it moves. */
	if (new_len != old_len)
		memmove(r->buf + off + new_len, r->buf + off + old_len, r->len - off - old_len);
	if (new_len > 0)
		memcpy(r->buf + off, src, new_len);
	rolling_set_sec_len(r, t, (uint32_t)(rolling_sec_len(r, t) + new_len - old_len));
	r->len = (uint32_t)len;
	return true;
}

/* See rolling_state.h. */
bool
rolling_start(struct rolling *r, const struct rolling_plan *plan)
{
	size_t	h = rolling_hdr_size(plan);

	if ((r->buf = calloc(1, h)) == NULL)
		return false;
	r->len = r->cap = (uint32_t)h;
	rolling_set_due(r, INT64_MAX);
	return true;
}

/*
 * Merges vals, non-zero exactly in the slots of vmask, into tier t's bucket idx, inserting it
 * in order if new; false when out of memory.
 */
static bool
rolling_put(struct rolling *r, const struct rolling_plan *plan, size_t t, int64_t idx,
    const int64_t *vals, uint64_t vmask)
{
	uint8_t		 tmp[ROLLING_REC_MAX];
	int64_t		 cur[ROLLING_SLOTS_MAX], ridx = ROLLING_NO_PREV, prev = ROLLING_NO_PREV, due;
	uint64_t	 mask = 0, h;
	size_t		 base, rel = 0, n, old = 0;
	const uint8_t	*p = NULL, *q = NULL, *end;

	if (r->buf == NULL && !rolling_start(r, plan))
		return false;
	base = rolling_sec_start(r, plan, t);
	end = r->buf + base + rolling_sec_len(r, t);
	while ((p = r->buf + base + rel) < end) {
		if ((q = rolling_head(p, end, plan, t, prev, &ridx, &mask)) == NULL || ridx <= idx)
			break;
		prev = ridx;
		rel = (size_t)(rolling_skip(q, mask) - (r->buf + base));
	}
	h = (uint64_t)(prev == ROLLING_NO_PREV ? idx : prev - idx);
	if (p < end && q != NULL && ridx == idx) {
		const uint8_t	*next;

		memset(cur, 0, plan->slots * sizeof cur[0]);
		next = rolling_vals(q, end, plan, mask, cur);
		rolling_merge_mask(plan, cur, vals, vmask);
		n = rolling_write_mask(tmp, plan, h, cur, mask | vmask);
		return rolling_splice(r, t, base + rel, (size_t)(next - p), tmp, n);
	}
	n = rolling_write_mask(tmp, plan, h, vals, vmask);
	if (p < end && q != NULL) {
		/* The older record after the new one now counts from the new one's index. */
		old = (size_t)(rolling_varint_get(p, end, &h) - p);
		n += rolling_varint_put(tmp + n, (uint64_t)(idx - ridx));
	}
	if (!rolling_splice(r, t, base + rel, old, tmp, n))
		return false;
	due = rolling_rec_due(plan, t, idx * plan->gran_ms[t]);
	if (due < rolling_due(r))
		rolling_set_due(r, due);
	return true;
}

/* Removes the record at rel in tier t's section (prev: the index before it); never fails. */
static void
rolling_take(struct rolling *r, const struct rolling_plan *plan, size_t t, size_t rel,
    int64_t prev)
{
	size_t		 base = rolling_sec_start(r, plan, t), n = 0, old;
	const uint8_t	*p = r->buf + base + rel, *end = p - rel + rolling_sec_len(r, t), *next;
	uint8_t		 tmp[ROLLING_VARINT_MAX];
	int64_t		 idx = 0, fidx = 0;
	uint64_t	 mask = 0, fmask = 0, h;

	next = rolling_head(p, end, plan, t, prev, &idx, &mask);
	next = rolling_skip(next, mask);
	old = (size_t)(next - p);
	if (next < end && rolling_head(next, end, plan, t, idx, &fidx, &fmask) != NULL) {
		/* The record after it now counts from the one before (a shorter or equal splice). */
		old += (size_t)(rolling_varint_get(next, end, &h) - next);
		n = rolling_varint_put(tmp, (uint64_t)(prev == ROLLING_NO_PREV ? fidx : prev - fidx));
	}
	(void)rolling_splice(r, t, base + rel, old, tmp, n);
}

/* See rolling.h. */
enum rolling_result
rolling_add(struct rolling *r, const struct rolling_plan *plan, int64_t now_ms, int64_t ts_ms,
    const struct rolling_inc *incs, size_t n)
{
	int64_t		vals[ROLLING_SLOTS_MAX];
	int		t = 0;
	uint64_t	vmask = 0;

	if (ts_ms < 0 || ts_ms > ROLLING_TS_MAX || now_ms < 0 || now_ms > ROLLING_TS_MAX)
		return ROLLING_INVALID;
	memset(vals, 0, plan->slots * sizeof vals[0]);
	for (size_t i = 0; i < n; i++) {
		if (incs[i].slot >= plan->slots || incs[i].value < 0)
			return ROLLING_INVALID;
		if (incs[i].value > 0) {
			vals[incs[i].slot] = rolling_merge_one(plan, incs[i].slot,
			    vals[incs[i].slot], incs[i].value);
			vmask |= UINT64_C(1) << incs[i].slot;
		}
	}
	/* Fast path: younger than tier 0's horizon means tier 0, with no edge to work out. */
	if (now_ms - ts_ms > plan->span_ms[0] - plan->gran_ms[0]) {
		struct rolling_edges	e;

		rolling_edges(plan, now_ms, &e);
		t = rolling_target(plan, &e, 0, ts_floor_div(ts_ms, plan->gran_ms[0]) *
		    plan->gran_ms[0]);
		if (t < 0)
			return ROLLING_LATE;
	}
	if (vmask == 0)
		return ROLLING_ADDED;
	if (!rolling_put(r, plan, (size_t)t, ts_floor_div(ts_ms, plan->gran_ms[t]), vals, vmask))
		return ROLLING_INVALID;
	return ROLLING_ADDED;
}

/* See rolling.h. */
bool
rolling_advance(struct rolling *r, const struct rolling_plan *plan, int64_t now_ms)
{
	int64_t			due = INT64_MAX, vals[ROLLING_SLOTS_MAX];
	struct rolling_edges	e;

	if (r->buf == NULL || now_ms < rolling_due(r))
		return true;
	rolling_edges(plan, now_ms, &e);
	for (size_t t = 0; t < plan->tiers; t++) {
		int64_t	prev = ROLLING_NO_PREV;
		size_t	rel = 0;

		while (rel < rolling_sec_len(r, t)) {
			size_t		 base = rolling_sec_start(r, plan, t);
			const uint8_t	*p = r->buf + base + rel, *q, *next;
			const uint8_t	*end = r->buf + base + rolling_sec_len(r, t);
			int64_t		 idx = 0, a;
			uint64_t	 mask = 0;
			int		 to;

			if ((q = rolling_head(p, end, plan, t, prev, &idx, &mask)) == NULL)
				break;
			a = idx * plan->gran_ms[t];
			if ((to = rolling_target(plan, &e, t, a)) == (int)t) {
				prev = idx;
				next = rolling_skip(q, mask);
				rel = (size_t)(next - (r->buf + base));
				continue;
			}
			if (to > (int)t) {
				memset(vals, 0, plan->slots * sizeof vals[0]);
				(void)rolling_vals(q, end, plan, mask, vals);
				/* Put before taking: out of memory then loses nothing; retried next call. */
				if (!rolling_put(r, plan, (size_t)to,
				    ts_floor_div(a, plan->gran_ms[to]), vals, mask)) {
					rolling_set_due(r, now_ms);
					return false;
				}
			}
			rolling_take(r, plan, t, rel, prev);
		}
		/* Due times grow with a, so the oldest record kept decides the section's. */
		if (prev != ROLLING_NO_PREV && rolling_rec_due(plan, t, prev * plan->gran_ms[t]) < due)
			due = rolling_rec_due(plan, t, prev * plan->gran_ms[t]);
	}
	if (r->len == rolling_hdr_size(plan)) {
		/* Nothing left in any window: an idle owner costs no heap at all. */
		rolling_free(r);
		return true;
	}
	rolling_set_due(r, due);
	/* Give back slack beyond one growth step, so a burst does not pin memory for good. */
	if (r->cap > r->len + r->len / 4 + 64) {
		uint8_t	*p = realloc(r->buf, r->len + r->len / 8);

		if (p != NULL) {
			r->buf = p;
			r->cap = r->len + r->len / 8;
		}
	}
	return true;
}

/*
 * One section's next record, read into vals (zeroed first) with its non-zero slots in *mask;
 * false at the section's end.
 */
static bool
rolling_next(const uint8_t **p, const uint8_t *end, const struct rolling_plan *plan, size_t t, int64_t *prev,
    int64_t *idx, int64_t *vals, uint64_t *mask)
{
	*mask = 0;
	if (*p == NULL || *p >= end)
		return false;
	memset(vals, 0, plan->slots * sizeof vals[0]);
	if ((*p = rolling_head(*p, end, plan, t, *prev, idx, mask)) == NULL ||
	    (*p = rolling_vals(*p, end, plan, *mask, vals)) == NULL)
		return false;
	*prev = *idx;
	return true;
}

/* Whether r holds at most ROLLING_MERGE_EACH buckets. */
static bool
rolling_few(const struct rolling *r, const struct rolling_plan *plan)
{
	size_t	n = 0;

	for (size_t t = 0; t < plan->tiers; t++) {
		const uint8_t	*p = r->buf + rolling_sec_start(r, plan, t), *end = p + rolling_sec_len(r, t), *q;
		int64_t		 prev = ROLLING_NO_PREV, idx = 0;
		uint64_t	 mask = 0;

		for (; p < end && (q = rolling_head(p, end, plan, t, prev, &idx, &mask)) != NULL; prev = idx) {
			if (++n > ROLLING_MERGE_EACH)
				return false;
			p = rolling_skip(q, mask);
		}
	}
	return true;
}

/*
 * Puts each of src's buckets into dst (advanced first) at the tier now_ms gives it: for a
 * src of a few buckets (a group's partials hold a flush's, mostly its newest), each put
 * moves only the bytes after it, where a merge rewrites every bucket of dst.
 */
static bool
rolling_merge_each(struct rolling *dst, const struct rolling *src, const struct rolling_plan *plan,
    int64_t now_ms)
{
	struct rolling_edges	e;

	if (!rolling_advance(dst, plan, now_ms))
		return false;
	rolling_edges(plan, now_ms, &e);
	for (size_t t = 0; t < plan->tiers; t++) {
		const uint8_t	*p = src->buf + rolling_sec_start(src, plan, t), *end = p + rolling_sec_len(src, t);
		int64_t		 prev = ROLLING_NO_PREV, idx = 0, vals[ROLLING_SLOTS_MAX];
		uint64_t	 mask;

		while (rolling_next(&p, end, plan, t, &prev, &idx, vals, &mask)) {
			int64_t	a = idx * plan->gran_ms[t];
			int	j = rolling_target(plan, &e, t, a);

			if (j >= 0 && !rolling_put(dst, plan, (size_t)j, ts_floor_div(a, plan->gran_ms[j]), vals, mask))
				return false;
		}
		if (p == NULL)
			return false;
	}
	return true;
}

/* See rolling.h. */
bool
rolling_merge_from(struct rolling *dst, const struct rolling *src, const struct rolling_plan *plan,
    int64_t now_ms)
{
	size_t	 h = rolling_hdr_size(plan), room;
	uint8_t	*out, *o;

	if (src->buf == NULL)
		return true;
	if (dst->buf != NULL && rolling_few(src, plan))
		return rolling_merge_each(dst, src, plan, now_ms);
	if (dst->buf == NULL && !rolling_start(dst, plan))
		return false;
	/* A merged record is no longer than the two it replaces: varint(a + b) <= varint(a) + varint(b). */
	room = h + (dst->len - h) + (src->len - h);
	if (room > ROLLING_LEN_MAX || (out = malloc(room)) == NULL)
		return false;
	o = out + h;
	/* Tier by tier, both lists newest first: one linear merge, not a search per bucket. */
	for (size_t t = plan->tiers; t-- > 0;) {
		const uint8_t	*a = dst->buf + rolling_sec_start(dst, plan, t), *b = src->buf + rolling_sec_start(src, plan, t);
		const uint8_t	*aend = a + rolling_sec_len(dst, t), *bend = b + rolling_sec_len(src, t);
		int64_t		 pa = ROLLING_NO_PREV, pb = ROLLING_NO_PREV, last = ROLLING_NO_PREV, ia = 0, ib = 0;
		int64_t		 va[ROLLING_SLOTS_MAX], vb[ROLLING_SLOTS_MAX];
		uint64_t	 ma, mb;
		bool		 ha = rolling_next(&a, aend, plan, t, &pa, &ia, va, &ma);
		bool		 hb = rolling_next(&b, bend, plan, t, &pb, &ib, vb, &mb);
		uint8_t		*start = o;

		while (ha || hb) {
			int64_t	 idx = ha && (!hb || ia >= ib) ? ia : ib;
			int64_t	*vals = ha && idx == ia ? va : vb;
			uint64_t m = ha && idx == ia ? ma : mb;

			if (ha && hb && ia == ib) {
				rolling_merge_mask(plan, va, vb, mb);
				m = ma | mb;
			}
			o += rolling_write_mask(o, plan, (uint64_t)(last == ROLLING_NO_PREV ? idx : last - idx), vals, m);
			last = idx;
			if (ha && idx == ia)
				ha = rolling_next(&a, aend, plan, t, &pa, &ia, va, &ma);
			if (hb && idx == ib)
				hb = rolling_next(&b, bend, plan, t, &pb, &ib, vb, &mb);
		}
		if (a == NULL || b == NULL) {
			free(out);
			return false;
		}
		memcpy(out + ROLLING_DUE_SIZE + t * sizeof(uint32_t), &(uint32_t){(uint32_t)(o - start)}, sizeof(uint32_t));
	}
	free(dst->buf);
	dst->buf = out;
	dst->len = dst->cap = (uint32_t)(o - out);
	/* Due at once: the merged buckets go to the tiers now_ms gives them, or out of every window. */
	rolling_set_due(dst, 0);
	return rolling_advance(dst, plan, now_ms);
}

/* thr[t][i]: the smallest tier-t bucket index still in window i at now (start >= cut[i]). */
static void
rolling_thresholds(const struct rolling_plan *plan, int64_t now,
    int64_t thr[WINDOWS_MAX][WINDOWS_MAX])
{
	struct rolling_edges	e;

	rolling_edges(plan, now, &e);
	for (size_t i = 0; i < plan->tiers; i++)
		for (size_t t = 0; t < plan->tiers; t++)
			thr[t][i] = -ts_floor_div(-e.cut[i], plan->gran_ms[t]);
}

/* See rolling.h. */
void
rolling_totals(const struct rolling *r, const struct rolling_plan *plan, int64_t now_ms,
    int64_t *out, int64_t *next_change)
{
	rolling_totals_masks(r, plan, now_ms, out, next_change, NULL);
}

/* See rolling.h. */
void
rolling_totals_masks(const struct rolling *r, const struct rolling_plan *plan, int64_t now_ms,
    int64_t *out, int64_t *next_change, uint64_t masks[WINDOWS_MAX])
{
	int64_t		thr[WINDOWS_MAX][WINDOWS_MAX], vals[ROLLING_SLOTS_MAX];
	int64_t		band[WINDOWS_MAX * ROLLING_SLOTS_MAX], best = INT64_MAX;
	/* The slots each band and each window may hold non-zero: only those are folded. */
	uint64_t	bandm[WINDOWS_MAX] = {0}, outm[WINDOWS_MAX] = {0};
	size_t		n = plan->tiers * plan->slots;

	memset(out, 0, n * sizeof out[0]);
	if (next_change != NULL)
		*next_change = INT64_MAX;
	if (masks != NULL)
		memset(masks, 0, WINDOWS_MAX * sizeof masks[0]);
	if (r->buf == NULL)
		return;
	/* band[i]: buckets in windows i..last exactly, merged once, folded up at the end. */
	memset(band, 0, n * sizeof band[0]);
	rolling_thresholds(plan, now_ms, thr);
	for (size_t t = 0; t < plan->tiers; t++) {
		const uint8_t	*p = r->buf + rolling_sec_start(r, plan, t);
		const uint8_t	*end = p + rolling_sec_len(r, t);
		int64_t		 prev = ROLLING_NO_PREV, oldest[WINDOWS_MAX];

		for (size_t i = 0; i < plan->tiers; i++)
			oldest[i] = ROLLING_NO_PREV;
		while (p < end) {
			int64_t		 idx = 0;
			uint64_t	 mask = 0;
			size_t		 first = plan->tiers;
			bool		 suffix = true;

			if ((p = rolling_head(p, end, plan, t, prev, &idx, &mask)) == NULL)
				break;
			for (size_t i = 0; i < plan->tiers; i++) {
				if (idx >= thr[t][i]) {
					first = first < i ? first : i;
					/* Newest first: the last one seen in a window is its oldest there. */
					oldest[i] = idx;
				} else if (first < plan->tiers)
					suffix = false;
			}
			/* Newest first: once in no window, every older record is out too. */
			if (first == plan->tiers)
				break;
			prev = idx;
			if (suffix) {
				p = rolling_vals(p, end, plan, mask, band + first * plan->slots);
				bandm[first] |= mask;
				continue;
			}
			/* Windows within 1% of each other can skip one: merge window by window. */
			memset(vals, 0, plan->slots * sizeof vals[0]);
			p = rolling_vals(p, end, plan, mask, vals);
			for (size_t i = 0; i < plan->tiers; i++)
				if (idx >= thr[t][i]) {
					rolling_merge_mask(plan, out + i * plan->slots, vals, mask);
					outm[i] |= mask;
				}
		}
		for (size_t i = 0; i < plan->tiers; i++) {
			int64_t	leave;

			if (oldest[i] == ROLLING_NO_PREV)
				continue;
			leave = rolling_out(plan, i, oldest[i] * plan->gran_ms[t]);
			if (leave < best)
				best = leave;
		}
	}
	for (size_t i = 0; i < plan->tiers; i++) {
		if (i > 0) {
			rolling_merge_mask(plan, band + i * plan->slots, band + (i - 1) * plan->slots, bandm[i - 1]);
			bandm[i] |= bandm[i - 1];
		}
		rolling_merge_mask(plan, out + i * plan->slots, band + i * plan->slots, bandm[i]);
		outm[i] |= bandm[i];
	}
	if (next_change != NULL)
		*next_change = best;
	if (masks != NULL)
		memcpy(masks, outm, plan->tiers * sizeof masks[0]);
}

/* See rolling.h. */
size_t
rolling_bytes(const struct rolling *r)
{
	return r->cap;
}

/* See rolling.h. */
void
rolling_free(struct rolling *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}
