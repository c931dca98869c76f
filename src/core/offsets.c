/* offsets.c: which offsets of each partition are finished, so commits never skip one (pure). */
#include "offsets.h"

#include <stdlib.h>
#include <string.h>

/*
 * One partition: offsets [low, high) are registered, flags[] says which are finished,
 * kept in a ring that starts at head. Offsets skipped by the broker (compaction,
 * transaction markers) count as finished.
 */
struct offsets_partition {
	char *topic;
	int32_t partition;
	int64_t low;
	int64_t high;
	int64_t reported;
	uint8_t *flags;
	size_t head;
	size_t cap;        /* a power of two */
	size_t unfinished;
};

struct offsets {
	struct offsets_partition *parts;
	size_t count;
	size_t cap;
};

/* See offsets.h. */
struct offsets *offsets_new(void)
{
	return calloc(1, sizeof(struct offsets));
}

/* See offsets.h. */
void offsets_free(struct offsets *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->count; i++) {
		free(p->parts[i].topic);
		free(p->parts[i].flags);
	}
	free(p->parts);
	free(p);
}

/* Finds a partition, creating it when create is true. */
static struct offsets_partition *offsets_find(struct offsets *p, const char *topic, int32_t partition,
    bool create)
{
	struct offsets_partition *pp;

	for (size_t i = 0; i < p->count; i++)
		if (p->parts[i].partition == partition && strcmp(p->parts[i].topic, topic) == 0)
			return &p->parts[i];
	if (!create)
		return NULL;
	if (p->count == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		struct offsets_partition *parts = realloc(p->parts, cap * sizeof(*parts));

		if (parts == NULL)
			return NULL;
		p->parts = parts;
		p->cap = cap;
	}
	pp = &p->parts[p->count];
	memset(pp, 0, sizeof(*pp));
	pp->topic = strdup(topic);
	if (pp->topic == NULL)
		return NULL;
	pp->partition = partition;
	pp->low = pp->high = pp->reported = -1;
	p->count++;
	return pp;
}

/* The flag slot of an offset inside [low, high). */
static uint8_t *offsets_slot(struct offsets_partition *pp, int64_t offset)
{
	return &pp->flags[(pp->head + (size_t)(offset - pp->low)) & (pp->cap - 1)];
}

/* Makes room for n registered offsets, keeping the ring's order. */
static bool offsets_reserve(struct offsets_partition *pp, size_t n)
{
	size_t cap = pp->cap ? pp->cap : 64;
	size_t used = (size_t)(pp->high - pp->low);
	uint8_t *flags;

	while (cap < n)
		cap *= 2;
	if (cap == pp->cap)
		return true;
	flags = calloc(cap, 1);
	if (flags == NULL)
		return false;
	for (size_t i = 0; i < used; i++)
		flags[i] = pp->flags[(pp->head + i) & (pp->cap - 1)];
	free(pp->flags);
	pp->flags = flags;
	pp->cap = cap;
	pp->head = 0;
	return true;
}

/* Moves low past every finished offset at the front. */
static void offsets_advance(struct offsets_partition *pp)
{
	while (pp->low < pp->high && *offsets_slot(pp, pp->low)) {
		*offsets_slot(pp, pp->low) = 0;
		pp->head = (pp->head + 1) & (pp->cap - 1);
		pp->low++;
	}
}

/* See offsets.h. */
bool offsets_begin(struct offsets *p, const char *topic, int32_t partition, int64_t offset)
{
	struct offsets_partition *pp = offsets_find(p, topic, partition, true);

	if (pp == NULL)
		return false;
	if (pp->high < 0 || pp->low == pp->high) {
		/* Nothing pending: start afresh at this offset. */
		pp->low = pp->high = offset;
		pp->head = 0;
	}
	if (offset < pp->high)
		return true; /* already registered (a re-fetch after pause) */
	if (!offsets_reserve(pp, (size_t)(offset + 1 - pp->low)))
		return false;
	for (int64_t gap = pp->high; gap < offset; gap++)
		*offsets_slot(pp, gap) = 1;
	*offsets_slot(pp, offset) = 0;
	pp->high = offset + 1;
	pp->unfinished++;
	offsets_advance(pp);
	return true;
}

/* See offsets.h. */
void offsets_done(struct offsets *p, const char *topic, int32_t partition, int64_t offset)
{
	struct offsets_partition *pp = offsets_find(p, topic, partition, false);

	if (pp == NULL || offset < pp->low || offset >= pp->high || *offsets_slot(pp, offset))
		return;
	*offsets_slot(pp, offset) = 1;
	pp->unfinished--;
	offsets_advance(pp);
}

/* See offsets.h. */
bool offsets_take(struct offsets *p, const char *topic, int32_t partition, int64_t *next_offset)
{
	struct offsets_partition *pp = offsets_find(p, topic, partition, false);

	if (pp == NULL || pp->low < 0 || pp->low == pp->reported)
		return false;
	pp->reported = pp->low;
	*next_offset = pp->low;
	return true;
}

/* See offsets.h. */
uint64_t offsets_unfinished(const struct offsets *p)
{
	uint64_t n = 0;

	for (size_t i = 0; i < p->count; i++)
		n += p->parts[i].unfinished;
	return n;
}

/* See offsets.h. */
void offsets_forget(struct offsets *p, const char *topic, int32_t partition)
{
	struct offsets_partition *pp = offsets_find(p, topic, partition, false);

	if (pp == NULL)
		return;
	free(pp->topic);
	free(pp->flags);
	*pp = p->parts[--p->count];
}
