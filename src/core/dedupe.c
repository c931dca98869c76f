/* dedupe.c: the event ids one task has seen within the dedupe horizon (pure). */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "probe.h"

/*
 * Open addressing with linear probing over 16-byte slots, any capacity (the home slot is a
 * multiply-shift of hash bits, not a mask), so the table need not round up to a power of
 * two: 10M ids fit in 12.5M slots, not 16M. Deletion shifts the rest of the run back, so
 * there are no tombstones and probe runs stay as short as the load allows.
 */
#define DEDUPE_MIN_SLOTS 64
#define DEDUPE_MAX_SLOTS UINT32_MAX
/* Grow past 85 % full: unsuccessful probes average ~23 slots (6 cache lines, sequential). */
#define DEDUPE_LOAD_NUM 17
#define DEDUPE_LOAD_DEN 20
/* The table grows by 1 / DEDUPE_GROWTH_DIV of its slots (see dedupe_room). */
#define DEDUPE_GROWTH_DIV 2

/* One record in memory; expiry 0 marks an empty slot. */
struct dedupe_slot {
	uint64_t lo;  /* hash bits 0-63 */
	uint32_t hi;  /* hash bits 64-95 */
	uint32_t exp; /* seconds since the epoch */
};

struct dedupe {
	struct dedupe_slot *slots;
	uint32_t cap;
	uint32_t count;
	uint32_t cursor; /* where the next dedupe_sweep starts */
	bool has_last;
	struct dedupe_slot last;
	uint64_t unrecorded;
};

/* The slot an id hashing to lo would take in an empty table of cap slots. */
static uint32_t dedupe_home(uint64_t lo, uint32_t cap)
{
	return probe_home((uint32_t)(lo >> 32), cap);
}

/* The slot after i, wrapping. */
static uint32_t dedupe_next(const struct dedupe *d, uint32_t i)
{
	return probe_next(i, d->cap);
}

/* True if a record with expiry exp (seconds) is live at now_ms. */
static bool dedupe_live(uint32_t exp, int64_t now_ms)
{
	return now_ms <= (int64_t)exp * 1000;
}

/* The largest count a table of cap slots holds before it grows. */
static uint64_t dedupe_limit(uint64_t cap)
{
	return cap * DEDUPE_LOAD_NUM / DEDUPE_LOAD_DEN;
}

/* Slots for n records at the growth load, at least the minimum; 0 if that is too many. */
static uint32_t dedupe_slots_for(size_t n)
{
	uint64_t cap;

	if (n > DEDUPE_MAX_SLOTS)
		return 0;
	cap = (uint64_t)n * DEDUPE_LOAD_DEN / DEDUPE_LOAD_NUM + 1;
	if (cap < DEDUPE_MIN_SLOTS)
		cap = DEDUPE_MIN_SLOTS;
	return cap > DEDUPE_MAX_SLOTS ? 0 : (uint32_t)cap;
}

/* Empties slot i and moves back the records after it that may use it, keeping every run whole. */
static void dedupe_remove_at(struct dedupe *d, uint32_t i)
{
	uint32_t hole = i;

	for (uint32_t j = dedupe_next(d, i); d->slots[j].exp != 0; j = dedupe_next(d, j)) {
		if (probe_may_fill(hole, j, dedupe_home(d->slots[j].lo, d->cap))) {
			d->slots[hole] = d->slots[j];
			hole = j;
		}
	}
	d->slots[hole].exp = 0;
	d->count--;
}

/* The slot holding rec's hash, or the empty one ending its run; with now_ms >= 0, expired
 * records met on the way (rec's own included) are removed first: the lazy reclaim. */
static uint32_t dedupe_find(struct dedupe *d, const struct dedupe_slot *rec, int64_t now_ms)
{
	uint32_t i = dedupe_home(rec->lo, d->cap);

	for (;;) {
		const struct dedupe_slot *s = &d->slots[i];

		if (s->exp == 0)
			return i;
		if (now_ms >= 0 && !dedupe_live(s->exp, now_ms))
			dedupe_remove_at(d, i); /* slot i now holds the next record of the run, or nothing */
		else if (s->lo == rec->lo && s->hi == rec->hi)
			return i;
		else
			i = dedupe_next(d, i);
	}
}

/* Moves every record, but those expired at now_ms (if >= 0), into a fresh table of cap slots
 * (cap > count); false when out of memory. */
static bool dedupe_rehash(struct dedupe *d, uint32_t cap, int64_t now_ms)
{
	struct dedupe_slot *old = d->slots;
	uint32_t old_cap = d->cap;
	struct dedupe_slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	d->slots = slots;
	d->cap = cap;
	d->cursor = 0;
	for (uint32_t i = 0; i < old_cap; i++) {
		if (old[i].exp == 0)
			continue;
		if (now_ms >= 0 && !dedupe_live(old[i].exp, now_ms))
			d->count--;
		else
			d->slots[dedupe_find(d, &old[i], -1)] = old[i];
	}
	free(old);
	return true;
}

/*
 * Makes room for one more record: grows by half past the load limit (dropping what expired by
 * now_ms); false if there is no room. By a quarter the table sat fuller (68-85 % instead of
 * 57-85 %, 33 MB less at 10,000,000 ids) but claims cost more while it grows (more rehashes,
 * longer probes): benchmark 1's daemon CPU rose by up to 0.9 us/event.
 */
static bool dedupe_room(struct dedupe *d, int64_t now_ms)
{
	if (d->count + 1 <= dedupe_limit(d->cap))
		return true;
	uint64_t cap = (uint64_t)d->cap + d->cap / DEDUPE_GROWTH_DIV;

	if (cap > DEDUPE_MAX_SLOTS)
		cap = DEDUPE_MAX_SLOTS;
	if (cap > d->cap && dedupe_rehash(d, (uint32_t)cap, now_ms))
		return true;
	return d->count + 2 <= d->cap; /* never fill the last slot: runs must end */
}

/* Stores rec in slot i (empty or holding rec's hash). */
static void dedupe_put(struct dedupe *d, uint32_t i, const struct dedupe_slot *rec)
{
	if (d->slots[i].exp == 0)
		d->count++;
	d->slots[i] = *rec;
}

/* Reads a little-endian integer of n bytes. */
static uint64_t dedupe_get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int k = n - 1; k >= 0; k--)
		v = v << 8 | p[k];
	return v;
}

/* Writes v as a little-endian integer of n bytes. */
static void dedupe_set_le(uint8_t *p, uint64_t v, int n)
{
	for (int k = 0; k < n; k++, v >>= 8)
		p[k] = (uint8_t)v;
}

/* See dedupe.h. */
struct dedupe *dedupe_new(size_t expected_ids)
{
	uint32_t cap = dedupe_slots_for(expected_ids);
	struct dedupe *d = cap == 0 ? NULL : calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->slots = calloc(cap, sizeof(*d->slots));
	if (d->slots == NULL) {
		free(d);
		return NULL;
	}
	d->cap = cap;
	return d;
}

/* See dedupe.h. */
void dedupe_free(struct dedupe *d)
{
	if (d == NULL)
		return;
	free(d->slots);
	free(d);
}

/* See dedupe.h. */
bool dedupe_claim(struct dedupe *d, const void *id, size_t len, int64_t now_ms, int64_t horizon_ms)
{
	XXH128_hash_t h = XXH3_128bits(id, len);
	int64_t exp_s = (now_ms + horizon_ms + 999) / 1000;
	struct dedupe_slot rec = {
	    .lo = h.low64,
	    .hi = (uint32_t)h.high64,
	    .exp = exp_s > UINT32_MAX ? UINT32_MAX : (uint32_t)exp_s,
	};
	uint32_t i = dedupe_find(d, &rec, now_ms);
	uint32_t cap = d->cap;

	if (d->slots[i].exp != 0)
		return false; /* found live: an expired match was removed on the way */
	if (!dedupe_room(d, now_ms)) {
		d->unrecorded++;
		return true;
	}
	if (d->cap != cap)
		i = dedupe_find(d, &rec, -1); /* the table was rehashed */
	dedupe_put(d, i, &rec);
	d->last = rec;
	d->has_last = true;
	return true;
}

/* See dedupe.h. */
bool dedupe_last_record(const struct dedupe *d, uint8_t rec[DEDUPE_RECORD_SIZE])
{
	if (!d->has_last)
		return false;
	dedupe_set_le(rec, d->last.lo, 8);
	dedupe_set_le(rec + 8, d->last.hi, 4);
	dedupe_set_le(rec + 12, d->last.exp, 4);
	return true;
}

/* See dedupe.h. */
int dedupe_restore_record(struct dedupe *d, const uint8_t rec[DEDUPE_RECORD_SIZE], int64_t now_ms)
{
	struct dedupe_slot r = {
	    .lo = dedupe_get_le(rec, 8),
	    .hi = (uint32_t)dedupe_get_le(rec + 8, 4),
	    .exp = dedupe_record_expiry(rec),
	};
	uint32_t i;

	if (r.exp == 0 || !dedupe_live(r.exp, now_ms))
		return 0;
	i = dedupe_find(d, &r, now_ms);
	if (d->slots[i].exp != 0) {
		if (d->slots[i].exp >= r.exp)
			return 0;
		d->slots[i].exp = r.exp;
		return 1;
	}
	if (!dedupe_room(d, now_ms))
		return -1;
	dedupe_put(d, dedupe_find(d, &r, -1), &r);
	return 1;
}

/* See dedupe.h. */
size_t dedupe_sweep(struct dedupe *d, int64_t now_ms, size_t slots)
{
	size_t removed = 0;

	for (size_t n = 0; n < slots && d->count > 0; n++) {
		uint32_t i = d->cursor;

		/* A removal pulls the next record back into slot i: look at i again next time. */
		if (d->slots[i].exp != 0 && !dedupe_live(d->slots[i].exp, now_ms)) {
			dedupe_remove_at(d, i);
			removed++;
		} else {
			d->cursor = dedupe_next(d, i);
		}
	}
	return removed;
}

/* See dedupe.h. */
bool dedupe_reserve(struct dedupe *d, size_t n)
{
	uint32_t cap;

	if (n <= dedupe_limit(d->cap))
		return true;
	cap = dedupe_slots_for(n);
	return cap != 0 && dedupe_rehash(d, cap, -1);
}

/* See dedupe.h. */
size_t dedupe_count(const struct dedupe *d)
{
	return d->count;
}

/* See dedupe.h. */
size_t dedupe_capacity(const struct dedupe *d)
{
	return d->cap;
}

/* See dedupe.h. */
size_t dedupe_bytes(const struct dedupe *d)
{
	return sizeof(*d) + (size_t)d->cap * sizeof(*d->slots);
}

/* See dedupe.h. */
uint64_t dedupe_unrecorded(const struct dedupe *d)
{
	return d->unrecorded;
}

/* See dedupe.h. */
uint32_t dedupe_record_expiry(const uint8_t rec[DEDUPE_RECORD_SIZE])
{
	return (uint32_t)dedupe_get_le(rec + 12, 4);
}

/* See dedupe.h. */
uint32_t dedupe_segment(const uint8_t rec[DEDUPE_RECORD_SIZE], uint32_t segment_s)
{
	return dedupe_record_expiry(rec) / segment_s;
}

/* See dedupe.h. */
bool dedupe_segment_expired(uint32_t segment, uint32_t segment_s, int64_t now_ms)
{
	uint64_t last = ((uint64_t)segment + 1) * segment_s - 1; /* the latest expiry it can hold */

	if (last > UINT32_MAX)
		last = UINT32_MAX; /* expiries are clamped there */
	return !dedupe_live((uint32_t)last, now_ms);
}
