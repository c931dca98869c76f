/* dedupe.c: the event ids one task has seen within the dedupe horizon (pure). */
#include "dedupe.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "probe.h"

/*
 * Robin Hood linear probing over 12-byte slots, any capacity of at least DEDUPE_MIN_SLOTS
 * (the home slot is a multiply-shift of the hash word x, not a mask, so 10M ids fit in 11.1M
 * slots at the 90 % limit, not 16M). Within a run records lie in the order of their homes;
 * a slot keeps its record's distance from home, so a search stops at the first record homed
 * after its own (an absent id costs about as little as a present one) and deletion shifts
 * the rest of the run back: no tombstones.
 *
 * What a slot holds of the record's 96 hash bits (dedupe.h): x = low64 >> 32 chose the home,
 * and since x lies among at most 2^16 values of the home's first one (cap >= 2^16), its low
 * 16 bits say which: x is known exactly. The slot stores those 16 bits and 48 more (low64's
 * low 32 bits, high64's low 16 bits): 80 of the 96 bits, in 64. Two ids are taken for one
 * when all 80 agree (see dedupe.h for the odds). The expiry is kept as its low 24 bits,
 * read against the table's base second (see dedupe_abs).
 */
#define DEDUPE_MIN_SLOTS (1u << 16)
#define DEDUPE_MAX_SLOTS UINT32_MAX
/* Grow past 90 % full; Robin Hood keeps searches short there (mean distance ~4.5 slots). */
#define DEDUPE_LOAD_NUM 9
#define DEDUPE_LOAD_DEN 10
/* The table grows by 1 / DEDUPE_GROWTH_DIV of its slots: 72-90 % full, ~15 bytes an id. */
#define DEDUPE_GROWTH_DIV 4
/* The largest distance from home a slot records (stored plus one, in 8 bits; 0 is empty). */
#define DEDUPE_DIST_MAX 254
/* Expiries are stored modulo 2^24 s and are exact while every record's lies in [base, base + 2^24). */
#define DEDUPE_EXP_BITS 24
#define DEDUPE_EXP_MASK ((1u << DEDUPE_EXP_BITS) - 1)
/* So a record expires at most this many seconds ahead (97 days), and base moves on past it. */
#define DEDUPE_SPAN_S (1u << (DEDUPE_EXP_BITS - 1))

/* One record in memory: meta = expiry's low 24 bits << 8 | distance + 1 (0: empty), then tag. */
struct dedupe_slot {
	uint32_t meta;
	uint32_t tag_lo; /* low64's low 32 bits */
	uint32_t tag_hi; /* x's low 16 bits << 16 | high64's low 16 bits */
};

/* A record whole: the hash bits a slot keeps, and the expiry in seconds since the epoch. */
struct dedupe_key {
	uint32_t x;
	uint32_t tag_lo, tag_hi;
	uint32_t exp;
};

struct dedupe {
	struct dedupe_slot *slots;
	uint32_t cap;
	uint32_t count;
	uint32_t cursor;   /* where the next dedupe_sweep starts */
	int64_t base;      /* seconds: every record's expiry is in [base, base + 2^24) */
	bool has_last;
	uint64_t last_lo;  /* the last recorded claim, as its checkpoint record says it */
	uint32_t last_hi, last_exp;
	uint64_t unrecorded;
};

/* The distance from home of the record in slot s; -1 when empty. */
static int dedupe_dist(const struct dedupe_slot *s)
{
	return (int)(s->meta & 0xff) - 1;
}

/* The expiry of slot s in seconds, read against base. */
static int64_t dedupe_abs(const struct dedupe *d, const struct dedupe_slot *s)
{
	return d->base + (int64_t)(((s->meta >> 8) - (uint32_t)d->base) & DEDUPE_EXP_MASK);
}

/* The slot after i, wrapping. */
static uint32_t dedupe_next(const struct dedupe *d, uint32_t i)
{
	return probe_next(i, d->cap);
}

/* The second from which now_ms is past a whole-second expiry e (now_ms <= e * 1000 is live). */
static int64_t dedupe_second(int64_t now_ms)
{
	return (now_ms + 999) / 1000;
}

/* True if slot s (not empty) holds a record live at second c (dedupe_second). */
static bool dedupe_live(const struct dedupe *d, const struct dedupe_slot *s, int64_t c)
{
	return dedupe_abs(d, s) >= c;
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

/* The key of a 96-bit hash (low64, high64's low 32 bits) with expiry exp. */
static struct dedupe_key dedupe_key_of(uint64_t lo, uint32_t hi, uint32_t exp)
{
	return (struct dedupe_key){
	    .x = (uint32_t)(lo >> 32),
	    .tag_lo = (uint32_t)lo,
	    .tag_hi = (uint32_t)(lo >> 32) << 16 | (hi & 0xffff),
	    .exp = exp,
	};
}

/* The key held in slot i, its x worked out from its home (slot i less its distance). */
static struct dedupe_key dedupe_key_at(const struct dedupe *d, uint32_t i)
{
	const struct dedupe_slot *s = &d->slots[i];
	uint32_t dist = (uint32_t)dedupe_dist(s);
	uint64_t home = i >= dist ? i - dist : (uint64_t)i + d->cap - dist;
	/* x is the one value in [first, first + 2^16) with these low 16 bits, first the home's first x. */
	uint64_t first = ((home << 32) + d->cap - 1) / d->cap;
	uint32_t low = s->tag_hi >> 16;

	return (struct dedupe_key){
	    .x = (uint32_t)(first + ((low - first) & 0xffff)),
	    .tag_lo = s->tag_lo,
	    .tag_hi = s->tag_hi,
	    .exp = (uint32_t)dedupe_abs(d, s),
	};
}

/* Empties slot i and moves back the rest of its run, one slot nearer home each. */
static void dedupe_remove_at(struct dedupe *d, uint32_t i)
{
	uint32_t j = dedupe_next(d, i);

	while (dedupe_dist(&d->slots[j]) > 0) {
		d->slots[i] = d->slots[j];
		d->slots[i].meta--;
		i = j;
		j = dedupe_next(d, j);
	}
	d->slots[i].meta = 0;
	d->count--;
}

/*
 * Looks for k from its home: true with *at its slot when held; false with *at the slot it
 * belongs in and *dist its distance there. With c >= 0, expired records met on the way (k's
 * own included) are removed first: the lazy reclaim.
 */
static bool dedupe_find(struct dedupe *d, const struct dedupe_key *k, int64_t c, uint32_t *at, int *dist)
{
	uint32_t i = probe_home(k->x, d->cap);
	int n = 0;

	for (;;) {
		const struct dedupe_slot *s = &d->slots[i];
		int sd = dedupe_dist(s);

		if (sd >= 0 && c >= 0 && !dedupe_live(d, s, c)) {
			dedupe_remove_at(d, i); /* slot i now holds the next record of the run, or nothing */
			continue;
		}
		if (sd < n) {
			*at = i;
			*dist = n;
			return false;
		}
		if (sd == n && s->tag_lo == k->tag_lo && s->tag_hi == k->tag_hi) {
			*at = i;
			return true;
		}
		i = dedupe_next(d, i);
		n++;
	}
}

/*
 * Puts k at slot i, its distance dist, shifting the rest of the run on by one slot. False,
 * with nothing changed, when a distance would pass DEDUPE_DIST_MAX: the table must grow.
 */
static bool dedupe_insert(struct dedupe *d, uint32_t i, int dist, const struct dedupe_key *k)
{
	uint32_t end = i;

	if (dist > DEDUPE_DIST_MAX)
		return false;
	for (; dedupe_dist(&d->slots[end]) >= 0; end = dedupe_next(d, end))
		if (dedupe_dist(&d->slots[end]) == DEDUPE_DIST_MAX)
			return false;
	for (uint32_t j = end; j != i;) {
		uint32_t prev = j == 0 ? d->cap - 1 : j - 1;

		d->slots[j] = d->slots[prev];
		d->slots[j].meta++;
		j = prev;
	}
	d->slots[i] = (struct dedupe_slot){
	    .meta = (k->exp & DEDUPE_EXP_MASK) << 8 | (uint32_t)(dist + 1),
	    .tag_lo = k->tag_lo,
	    .tag_hi = k->tag_hi,
	};
	d->count++;
	return true;
}

/*
 * Moves every record, but those expired at second c (if >= 0), into a fresh table of cap
 * slots (cap > count); false when out of memory or cap is too small for some run.
 */
static bool dedupe_rehash(struct dedupe *d, uint32_t cap, int64_t c)
{
	struct dedupe old = *d;
	struct dedupe_slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	d->slots = slots;
	d->cap = cap;
	d->count = 0;
	d->cursor = 0;
	for (uint32_t i = 0; i < old.cap; i++) {
		struct dedupe_key k;
		uint32_t at;
		int dist;

		if (dedupe_dist(&old.slots[i]) < 0 || (c >= 0 && !dedupe_live(&old, &old.slots[i], c)))
			continue;
		k = dedupe_key_at(&old, i);
		dedupe_find(d, &k, -1, &at, &dist);
		if (!dedupe_insert(d, at, dist, &k)) {
			free(slots);
			*d = old;
			return false;
		}
	}
	free(old.slots);
	return true;
}

/* Grows by a quarter (dropping what expired at second c); false when it cannot. */
static bool dedupe_grow(struct dedupe *d, int64_t c)
{
	uint64_t cap = (uint64_t)d->cap + d->cap / DEDUPE_GROWTH_DIV;

	if (cap > DEDUPE_MAX_SLOTS)
		cap = DEDUPE_MAX_SLOTS;
	return cap > d->cap && dedupe_rehash(d, (uint32_t)cap, c);
}

/*
 * Keeps expiries readable at second c: when c left [base, base + DEDUPE_SPAN_S), removes what
 * expired (read against the old base, still exact) and moves base to c. Then every record's
 * expiry lies in [c, c + 2^24) and a new one, at most c + DEDUPE_SPAN_S, fits too. One pass
 * over the table every 97 days, or when the clock stepped back.
 */
static void dedupe_rebase(struct dedupe *d, int64_t c)
{
	if (c >= d->base && c < d->base + DEDUPE_SPAN_S)
		return;
	for (uint32_t i = 0; d->count > 0 && i < d->cap;) {
		if (dedupe_dist(&d->slots[i]) >= 0 && !dedupe_live(d, &d->slots[i], c))
			dedupe_remove_at(d, i); /* look at slot i again: the run moved back */
		else
			i++;
	}
	/* A record expiring beyond c + 2^24 (the clock went back that far) is cut to the span. */
	for (uint32_t i = 0; d->count > 0 && i < d->cap; i++)
		if (dedupe_dist(&d->slots[i]) >= 0 && dedupe_abs(d, &d->slots[i]) - c >= DEDUPE_SPAN_S)
			d->slots[i].meta = (uint32_t)((c + DEDUPE_SPAN_S - 1) & DEDUPE_EXP_MASK) << 8 |
			    (d->slots[i].meta & 0xff);
	d->base = c;
}

/* An expiry in seconds as the table keeps it: at most DEDUPE_SPAN_S - 1 past second c. */
static uint32_t dedupe_clamp(int64_t exp_s, int64_t c)
{
	int64_t max = c + DEDUPE_SPAN_S - 1;

	return (uint32_t)(exp_s < max ? exp_s : max);
}

/*
 * Records k, absent (find said slot at, distance dist), growing first past the load limit or
 * when a run is too long; false if there is no room.
 */
static bool dedupe_add(struct dedupe *d, const struct dedupe_key *k, uint32_t at, int dist, int64_t c)
{
	bool grown = false;

	if (d->count + 1 > dedupe_limit(d->cap)) {
		if (!dedupe_grow(d, c) && d->count + 2 > d->cap)
			return false; /* never fill the last slot: runs must end */
		grown = true;
	}
	for (;;) {
		if (grown)
			dedupe_find(d, k, -1, &at, &dist);
		if (dedupe_insert(d, at, dist, k))
			return true;
		if (!dedupe_grow(d, c))
			return false;
		grown = true;
	}
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
	int64_t c = dedupe_second(now_ms), exp_s = (now_ms + horizon_ms + 999) / 1000;
	uint32_t exp = exp_s > UINT32_MAX ? UINT32_MAX : (uint32_t)exp_s;
	struct dedupe_key k;
	uint32_t at;
	int dist;

	dedupe_rebase(d, c);
	k = dedupe_key_of(h.low64, (uint32_t)h.high64, dedupe_clamp(exp, c));
	if (dedupe_find(d, &k, c, &at, &dist))
		return false; /* found live: an expired match was removed on the way */
	if (!dedupe_add(d, &k, at, dist, c)) {
		d->unrecorded++;
		return true;
	}
	d->last_lo = h.low64;
	d->last_hi = (uint32_t)h.high64;
	d->last_exp = exp;
	d->has_last = true;
	return true;
}

/* See dedupe.h. */
bool dedupe_last_record(const struct dedupe *d, uint8_t rec[DEDUPE_RECORD_SIZE])
{
	if (!d->has_last)
		return false;
	dedupe_set_le(rec, d->last_lo, 8);
	dedupe_set_le(rec + 8, d->last_hi, 4);
	dedupe_set_le(rec + 12, d->last_exp, 4);
	return true;
}

/* See dedupe.h. */
int dedupe_restore_record(struct dedupe *d, const uint8_t rec[DEDUPE_RECORD_SIZE], int64_t now_ms)
{
	int64_t c = dedupe_second(now_ms);
	uint32_t exp = dedupe_record_expiry(rec), at;
	struct dedupe_key k;
	int dist;

	if (exp == 0 || (int64_t)exp < c)
		return 0;
	dedupe_rebase(d, c);
	k = dedupe_key_of(dedupe_get_le(rec, 8), (uint32_t)dedupe_get_le(rec + 8, 4), dedupe_clamp(exp, c));
	if (dedupe_find(d, &k, c, &at, &dist)) {
		struct dedupe_slot *s = &d->slots[at];

		if (dedupe_abs(d, s) >= k.exp)
			return 0;
		s->meta = (k.exp & DEDUPE_EXP_MASK) << 8 | (s->meta & 0xff);
		return 1;
	}
	return dedupe_add(d, &k, at, dist, c) ? 1 : -1;
}

/* See dedupe.h. */
size_t dedupe_sweep(struct dedupe *d, int64_t now_ms, size_t slots)
{
	int64_t c = dedupe_second(now_ms);
	size_t removed = 0;

	dedupe_rebase(d, c);
	for (size_t n = 0; n < slots && d->count > 0; n++) {
		uint32_t i = d->cursor;

		/* A removal pulls the next record back into slot i: look at i again next time. */
		if (dedupe_dist(&d->slots[i]) >= 0 && !dedupe_live(d, &d->slots[i], c)) {
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
	return dedupe_second(now_ms) > (int64_t)last;
}
