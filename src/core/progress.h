/* progress.h: which offsets of each partition are finished, so commits never skip one (pure). */
#ifndef FEEDBACKD_PROGRESS_H
#define FEEDBACKD_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress;

struct progress *progress_new(void);
void progress_free(struct progress *p);

/* Registers an offset taken from a partition; offsets arrive in increasing order. */
bool progress_begin(struct progress *p, const char *topic, int32_t partition, int64_t offset);

/* Marks one registered offset finished (its effects committed, forwarded, or its dead letter delivered). */
void progress_done(struct progress *p, const char *topic, int32_t partition, int64_t offset);

/* The next offset to commit, when it moved since the last call: every offset below is finished. */
bool progress_take(struct progress *p, const char *topic, int32_t partition, int64_t *next_offset);

/* Offsets registered and not finished, over all partitions. */
uint64_t progress_unfinished(const struct progress *p);

/* Drops a partition that was revoked; late completions for it are then ignored. */
void progress_forget(struct progress *p, const char *topic, int32_t partition);

#endif
