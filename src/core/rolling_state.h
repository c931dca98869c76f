/*
 * rolling_state.h: the rolling buffer's layout and the helpers rolling.c (counting,
 * totals) and rolling_record.c (checkpoint records, widening) share; callers outside use
 * rolling.h (pure).
 */
#ifndef FEEDBACKD_ROLLING_STATE_H
#define FEEDBACKD_ROLLING_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rolling.h"

/*
 * Buffer layout: [int64 due][uint32 section length per tier][section of the coarsest tier]
 * ... [section of tier 0]. The finest section is last, so the hot inserts move little.
 * A section lists its buckets newest first, so the bucket events usually hit is first.
 * A bucket record: varint header (the first: its bucket index; the others: the previous
 * index minus this one, >= 1), a bitmask of ceil(slots / 8) bytes of its non-zero slots,
 * then one varint per set bit, each in 1..INT64_MAX.
 */
#define ROLLING_DUE_SIZE sizeof(int64_t)
/* A varint of 64 bits takes at most 10 bytes. */
#define ROLLING_VARINT_MAX 10
/* The largest record, plus the re-encoded header of the record after it. */
#define ROLLING_REC_MAX \
	(ROLLING_VARINT_MAX + ROLLING_SLOTS_MAX / 8 + ROLLING_SLOTS_MAX * ROLLING_VARINT_MAX + ROLLING_VARINT_MAX)
/* "First record of its section": no previous index. */
#define ROLLING_NO_PREV INT64_C(-1)
/* The buffer never grows past this, so offsets fit in uint32_t. */
#define ROLLING_LEN_MAX (UINT32_MAX / 2)
/* pack's array: version, plan id, section lengths, the sections' bytes. */
#define ROLLING_PACK_MEMBERS 4

/* The bytes before the first section. */
size_t rolling_hdr_size(const struct rolling_plan *plan);

/* The byte length of tier t's section. */
uint32_t rolling_sec_len(const struct rolling *r, size_t t);

/* Sets the byte length of tier t's section. */
void rolling_set_sec_len(struct rolling *r, size_t t, uint32_t v);

/* The earliest now at which rolling_advance() has work (kept at the buffer's start). */
int64_t rolling_due(const struct rolling *r);

/* Sets the time rolling_advance() next has work. */
void rolling_set_due(struct rolling *r, int64_t v);

/* The offset of tier t's section: after the header and every coarser section. */
size_t rolling_sec_start(const struct rolling *r, const struct rolling_plan *plan, size_t t);

/*
 * Reads a record's header and mask (prev: the previous record's index, or
 * ROLLING_NO_PREV); returns where its values start, NULL when malformed.
 */
const uint8_t *rolling_head(const uint8_t *p, const uint8_t *end, const struct rolling_plan *plan, size_t t,
    int64_t prev, int64_t *idx, uint64_t *mask);

/* Reads a record's values, merged into dst[slot] unless dst is NULL; returns its end, NULL if malformed. */
const uint8_t *rolling_vals(const uint8_t *p, const uint8_t *end, const struct rolling_plan *plan,
    uint64_t mask, int64_t *dst);

/* Encodes a record of header h and the non-zero vals; returns its length. */
size_t rolling_write(uint8_t *out, const struct rolling_plan *plan, uint64_t h, const int64_t *vals);

/* The earliest now at which the tier-t bucket starting at a must move or go. */
int64_t rolling_rec_due(const struct rolling_plan *plan, size_t t, int64_t a);

/* Replaces old_len bytes at off (in tier t's section) by src; false when out of memory. */
bool rolling_splice(struct rolling *r, size_t t, size_t off, size_t old_len, const uint8_t *src,
    size_t new_len);

/* Gives an empty r its header: no sections, nothing due; false when out of memory. */
bool rolling_start(struct rolling *r, const struct rolling_plan *plan);

#endif
