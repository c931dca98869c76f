/* offsets.h: which offsets of each partition are finished, so commits never skip one (pure). */
#ifndef FEEDBACKD_OFFSETS_H
#define FEEDBACKD_OFFSETS_H

#include <stdbool.h>
#include <stdint.h>

struct offsets;

struct offsets *offsets_new(void);
void offsets_free(struct offsets *p);

/* Registers an offset taken from a partition; offsets arrive in increasing order. */
bool offsets_begin(struct offsets *p, const char *topic, int32_t partition, int64_t offset);

/* Marks one registered offset finished (its effects committed, forwarded, or its dead letter delivered). */
void offsets_done(struct offsets *p, const char *topic, int32_t partition, int64_t offset);

/* The next offset to commit, when it moved since the last call: every offset below is finished. */
bool offsets_take(struct offsets *p, const char *topic, int32_t partition, int64_t *next_offset);

/* Offsets registered and not finished, over all partitions. */
uint64_t offsets_unfinished(const struct offsets *p);

/* Drops a partition that was revoked; late completions for it are then ignored. */
void offsets_forget(struct offsets *p, const char *topic, int32_t partition);

#endif
