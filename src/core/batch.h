/* batch.h: events gathered for one apply script call, encoded as its arguments (pure). */
#ifndef FEEDBACKD_BATCH_H
#define FEEDBACKD_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Leading arguments of the apply script (see src/lua/apply.lua). */
#define BATCH_HEADER_ARGS 8
#define BATCH_ARGS_PER_EVENT 11
#define BATCH_PARTITIONS_MAX 64

struct batch;

struct batch *batch_new(void);
void batch_free(struct batch *b);

/* Adds an event; false when the batch cannot take another partition (seal it first). */
bool batch_add(struct batch *b, const struct event *ev, const char *topic, int32_t partition, int64_t offset);

size_t batch_count(const struct batch *b);

/* The i-th event's source position. */
void batch_position(const struct batch *b, size_t i, const char **topic, int32_t *partition, int64_t *offset);

/* The i-th event's agent id: len bytes, not NUL-terminated. */
void batch_agent(const struct batch *b, size_t i, const char **agent, size_t *len);

/* The distinct partitions in the batch, with the last offset of each. */
size_t batch_partition_count(const struct batch *b);
void batch_partition(const struct batch *b, size_t i, const char **topic, int32_t *partition, int64_t *last);

/* Records what precedes the batch per partition ("topic:p=prev;..."): argument 8. */
void batch_set_predecessors(struct batch *b, const int64_t *prev);

/*
 * The full argument vector: the first BATCH_HEADER_ARGS - 1 entries of header, then the
 * predecessors, then the events. Valid until the batch changes or is freed.
 */
int batch_argv(struct batch *b, const char *const header[BATCH_HEADER_ARGS - 1], const char ***argv,
    size_t **lens);

#endif
