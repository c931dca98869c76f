/* offsetlist.h: a task's input offsets awaiting the commit that holds their effects. */
#ifndef FEEDBACKD_OFFSETLIST_H
#define FEEDBACKD_OFFSETLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "metrics.h"
#include "task.h"

/* One offset, and what its event did (counted once the commit answered). */
struct offsetlist_entry {
	const char *topic;
	int32_t partition;
	int64_t offset;
	int8_t type;       /* enum event_type, or -1 for a route batch */
	uint8_t result;    /* enum task_result of the event */
};

/* Offsets of one flush (or of the changes not flushed yet); a zeroed struct is empty. */
struct offsetlist {
	struct offsetlist_entry *v;
	size_t n, cap;
};

/* Appends an offset; type is an enum event_type or -1 (a route batch). False when out of memory. */
bool offsetlist_add(struct offsetlist *l, const char *topic, int32_t partition, int64_t offset, int type,
    enum task_result result);

/* Frees the array when the list is empty and grew past what benchmark-size flushes need (a burst). */
void offsetlist_shrink(struct offsetlist *l);

/* Counts the list's events, by type and result, into the metrics: they are in Redis now. */
void offsetlist_count(const struct offsetlist *l, struct metrics *m);

/* Frees the array. */
void offsetlist_free(struct offsetlist *l);

#endif
