/* offsetlist.c: a task's input offsets awaiting the commit that holds their effects. */
#include "offsetlist.h"

#include <stdlib.h>

/*
 * The array a list keeps between flushes: enough for benchmark 1's (a few thousand events),
 * so those reuse their pages; a burst's larger one (24 bytes an entry) is freed once its
 * commit answered.
 */
#define OFFSETLIST_KEEP 65536

/* See offsetlist.h. */
bool offsetlist_add(struct offsetlist *l, const char *topic, int32_t partition, int64_t offset, int type,
    enum task_result result)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct offsetlist_entry *v = realloc(l->v, cap * sizeof(*v));

		if (v == NULL)
			return false;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct offsetlist_entry){topic, partition, offset, (int8_t)type, (uint8_t)result};
	return true;
}

/* See offsetlist.h. */
void offsetlist_shrink(struct offsetlist *l)
{
	if (l->n == 0 && l->cap > OFFSETLIST_KEEP)
		offsetlist_free(l);
}

/* See offsetlist.h. */
void offsetlist_count(const struct offsetlist *l, struct metrics *m)
{
	static const enum event_result results[] = {
		[TASK_APPLIED] = RESULT_APPLIED, [TASK_DUPLICATE] = RESULT_DUPLICATE, [TASK_LATE] = RESULT_LATE,
	};
	size_t events = 0;

	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i].type < 0)
			continue;
		m->events[l->v[i].type][results[l->v[i].result]]++;
		m->events_by_result[results[l->v[i].result]]++;
		events++;
	}
	metrics_batch(m, events);
}

/* See offsetlist.h. */
void offsetlist_free(struct offsetlist *l)
{
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}
