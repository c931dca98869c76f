/* timers.h: a min-heap of deadlines, one per caller handle (pure). */
#ifndef FEEDBACKD_TIMERS_H
#define FEEDBACKD_TIMERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Each handle (a small dense number, e.g. a ticket's slot, < TIMERS_NO_HANDLE) has at most
 * one deadline. Earliest first; equal deadlines by handle, so the order is deterministic.
 * Memory: 16 bytes per entry plus 4 per handle up to the largest one used (arrays double).
 */
struct timers;

#define TIMERS_NO_HANDLE UINT32_MAX

/* An empty heap, or NULL when out of memory. */
struct timers *timers_new(void);

/* Frees the heap (NULL is fine). */
void timers_free(struct timers *t);

/* Sets handle's deadline, inserting or moving it; false (unchanged): out of memory, or no handle. */
bool timers_set(struct timers *t, uint32_t handle, int64_t due_ms);

/* Drops handle's deadline; false when it had none. */
bool timers_remove(struct timers *t, uint32_t handle);

/* Reads handle's deadline; false when it has none. */
bool timers_get(const struct timers *t, uint32_t handle, int64_t *due_ms);

/* The earliest entry; false when the heap is empty. */
bool timers_peek(const struct timers *t, int64_t *due_ms, uint32_t *handle);

/* Removes up to max entries due at or before now_ms into handles, in order; returns how many. */
size_t timers_pop_due(struct timers *t, int64_t now_ms, uint32_t *handles, size_t max);

/* How many entries the heap holds. */
size_t timers_count(const struct timers *t);

#endif
