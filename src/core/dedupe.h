/* dedupe.h: the event ids one task has seen within the dedupe horizon (pure). */
#ifndef FEEDBACKD_DEDUPE_H
#define FEEDBACKD_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An id's record, as the checkpoint keeps it, is 16 bytes (little-endian):
 *   bytes 0-11   the low 96 bits of XXH3-128(id, seed 0): XXH128_hash_t.low64, then the low
 *                32 bits of .high64
 *   bytes 12-15  expiry, whole seconds since the epoch, rounded up:
 *                ceil((first_seen_ms + horizon_ms) / 1000)
 * A record is live at now_ms while now_ms <= expiry * 1000, so an id is a duplicate for at
 * least the horizon (as SET NX PX: a key expires once now > its deadline) and at most 999 ms
 * longer. Expiry 0 never occurs in a valid record.
 *
 * In memory a record takes 12 bytes (dedupe.c), which hold 80 of the 96 hash bits: two ids
 * are taken for one when those 80 bits agree. With n = 10,000,000 live ids in one task a new
 * id is wrongly called a duplicate (and dropped) with probability n / 2^80 = 8.3e-18; at
 * 300,000 events/s for a year (9.5e12 claims) that is 7.8e-5 in all, 1 in 12,800 years (and
 * n is a task's share: 1.25M of 10M over 8 tasks, 1 in 100,000 years). That is below the
 * chance of losing an event to a hardware fault, so it needs no handling; the checkpoint keeps
 * all 96 bits. The hash is unkeyed (the checkpoint must read the same in any process), which
 * is fine for ids from our own producers.
 *
 * Memory keeps expiries modulo 2^24 s, so an id is held at most 2^23 s (97 days) whatever
 * the horizon: a longer one acts as 97 days.
 */
#define DEDUPE_RECORD_SIZE 16

struct dedupe;

/* An empty set sized for at least expected_ids records without growing; NULL when out of memory. */
struct dedupe *dedupe_new(size_t expected_ids);
/* Frees the set and everything in it; NULL is ignored. */
void dedupe_free(struct dedupe *d);

/*
 * True if id (len bytes) is new at now_ms, or seen before but expired: it is recorded with
 * expiry now_ms + horizon_ms (as above). False if it is live: nothing changes. now_ms >= 0,
 * horizon_ms > 0. Amortised O(1), no allocation unless the table grows (by a quarter, then a
 * one-off rehash; size the set with dedupe_new or dedupe_reserve to avoid that). If the table
 * is full and cannot grow, the id is reported new and not recorded (counted by
 * dedupe_unrecorded): applying a rare duplicate beats dropping an event.
 */
bool dedupe_claim(struct dedupe *d, const void *id, size_t len, int64_t now_ms, int64_t horizon_ms);

/* The record of the last claim that returned true and recorded its id; false if none yet. */
bool dedupe_last_record(const struct dedupe *d, uint8_t rec[DEDUPE_RECORD_SIZE]);

/*
 * Puts a checkpointed record back. Returns 1 if it was added or extended a live record's
 * expiry, 0 if skipped (expired at now_ms, expiry 0, or already held with an expiry at least
 * as late), -1 when out of memory. Feeding the same record twice, or in any order, gives
 * the same set.
 */
int dedupe_restore_record(struct dedupe *d, const uint8_t rec[DEDUPE_RECORD_SIZE], int64_t now_ms);

/*
 * Removes expired records among the next `slots` table slots (a cursor walks the table and
 * wraps), so memory is returned to use without a stop-the-world pass. The work is `slots`
 * examinations plus, per removal, moving back the rest of its probe run (a few slots at the
 * load the table keeps). Returns the number of records removed.
 */
size_t dedupe_sweep(struct dedupe *d, int64_t now_ms, size_t slots);

/* Grows the table now so it holds n records without growing later; false when out of memory. */
bool dedupe_reserve(struct dedupe *d, size_t n);

/* Records held, live or expired but not yet reclaimed. */
size_t dedupe_count(const struct dedupe *d);

/* Table slots; one dedupe_sweep pass over all of them reclaims every expired record. */
size_t dedupe_capacity(const struct dedupe *d);

/* Bytes of memory the set holds (the struct and its table). */
size_t dedupe_bytes(const struct dedupe *d);

/* Claims reported new without being recorded because the table was full and could not grow. */
uint64_t dedupe_unrecorded(const struct dedupe *d);

/* A record's expiry in seconds since the epoch. */
uint32_t dedupe_record_expiry(const uint8_t rec[DEDUPE_RECORD_SIZE]);

/* The checkpoint segment of a record: its expiry / segment_s (segment_s > 0 seconds). */
uint32_t dedupe_segment(const uint8_t rec[DEDUPE_RECORD_SIZE], uint32_t segment_s);

/* True once every record of segment (of segment_s seconds) has expired at now_ms: it can go. */
bool dedupe_segment_expired(uint32_t segment, uint32_t segment_s, int64_t now_ms);

#endif
