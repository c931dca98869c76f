/* batch.c: events gathered for one apply script call, encoded as its arguments (pure). */
#include "batch.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_AGENT_ARG 4 /* the agent's place among an event's arguments (batch_add) */

struct batch_partition {
	char topic[256];
	int32_t partition;
	int64_t last;
};

struct batch_item {
	uint16_t part;
	int64_t offset;
};

/* Arguments are kept as (start, length) spans of one text arena, so growing it is safe. */
struct batch_span {
	size_t start;
	size_t len;
};

struct batch {
	struct batch_partition parts[BATCH_PARTITIONS_MAX];
	size_t part_count;
	struct batch_item *items;
	size_t count, item_cap;
	char *arena;
	size_t used, arena_cap;
	struct batch_span *spans;   /* BATCH_ARGS_PER_EVENT per event */
	size_t span_count, span_cap;
	char *predecessors;
	const char **argv;
	size_t *lens;
};

/* See batch.h. */
struct batch *batch_new(void)
{
	return calloc(1, sizeof(struct batch));
}

/* See batch.h. */
void batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->items);
	free(b->arena);
	free(b->spans);
	free(b->predecessors);
	free(b->argv);
	free(b->lens);
	free(b);
}

/* Grows *buf so it holds at least need elements of size each. */
static bool batch_grow(void **buf, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n * size);
	if (p == NULL)
		return false;
	*buf = p;
	*cap = n;
	return true;
}

/* Appends one argument of len bytes. */
static bool batch_push(struct batch *b, const char *s, size_t len)
{
	if (!batch_grow((void **)&b->arena, &b->arena_cap, b->used + len, 1) ||
	    !batch_grow((void **)&b->spans, &b->span_cap, b->span_count + 1, sizeof(*b->spans)))
		return false;
	memcpy(b->arena + b->used, s, len);
	b->spans[b->span_count].start = b->used;
	b->spans[b->span_count].len = len;
	b->span_count++;
	b->used += len;
	return true;
}

/* Appends a NUL-terminated string argument. */
static bool batch_push_str(struct batch *b, const char *s)
{
	return batch_push(b, s, strlen(s));
}

/* Appends an integer argument. */
static bool batch_push_int(struct batch *b, int64_t v)
{
	char buf[24];
	int n = snprintf(buf, sizeof(buf), "%" PRId64, v);

	return batch_push(b, buf, (size_t)n);
}

/* The index of a partition in the batch, added if new; -1 when the table is full. */
static int batch_part_index(struct batch *b, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < b->part_count; i++)
		if (b->parts[i].partition == partition && strcmp(b->parts[i].topic, topic) == 0)
			return (int)i;
	if (b->part_count == BATCH_PARTITIONS_MAX)
		return -1;
	snprintf(b->parts[b->part_count].topic, sizeof(b->parts[0].topic), "%s", topic);
	b->parts[b->part_count].partition = partition;
	return (int)b->part_count++;
}

/* See batch.h. */
bool batch_add(struct batch *b, const struct event *ev, const char *topic, int32_t partition, int64_t offset)
{
	static const char type_code[] = {[EVENT_RATING] = 'r', [EVENT_COMPLAINT] = 'c',
	    [EVENT_MESSAGE] = 'm', [EVENT_REPLY] = 'p'};
	int part = batch_part_index(b, topic, partition);
	char tp[280];
	bool ok;

	if (part < 0 || !batch_grow((void **)&b->items, &b->item_cap, b->count + 1, sizeof(*b->items)))
		return false;
	snprintf(tp, sizeof(tp), "%s:%" PRId32, topic, partition);
	ok = batch_push_str(b, tp) && batch_push_int(b, offset) && batch_push_str(b, ev->event_id) &&
	    batch_push(b, &type_code[ev->type], 1) && batch_push_str(b, ev->agent_id) &&
	    batch_push_str(b, ev->ticket_id) && batch_push_int(b, ev->ts_ms) && batch_push_int(b, ev->score) &&
	    batch_push_int(b, ev->scale) && batch_push_int(b, ev->severity) && batch_push_str(b, ev->category);
	if (!ok) {
		/* Roll back a half-written event. */
		b->span_count = b->count * BATCH_ARGS_PER_EVENT;
		b->used = b->span_count ? b->spans[b->span_count - 1].start + b->spans[b->span_count - 1].len : 0;
		return false;
	}
	b->items[b->count].part = (uint16_t)part;
	b->items[b->count].offset = offset;
	b->parts[part].last = offset;
	b->count++;
	return true;
}

/* See batch.h. */
size_t batch_count(const struct batch *b)
{
	return b->count;
}

/* See batch.h. */
void batch_position(const struct batch *b, size_t i, const char **topic, int32_t *partition, int64_t *offset)
{
	const struct batch_partition *p = &b->parts[b->items[i].part];

	*topic = p->topic;
	*partition = p->partition;
	*offset = b->items[i].offset;
}

/* See batch.h. */
void batch_agent(const struct batch *b, size_t i, const char **agent, size_t *len)
{
	const struct batch_span *span = &b->spans[i * BATCH_ARGS_PER_EVENT + BATCH_AGENT_ARG];

	*agent = b->arena + span->start;
	*len = span->len;
}

/* See batch.h. */
size_t batch_partition_count(const struct batch *b)
{
	return b->part_count;
}

/* See batch.h. */
void batch_partition(const struct batch *b, size_t i, const char **topic, int32_t *partition, int64_t *last)
{
	*topic = b->parts[i].topic;
	*partition = b->parts[i].partition;
	*last = b->parts[i].last;
}

/* See batch.h. */
void batch_set_predecessors(struct batch *b, const int64_t *prev)
{
	size_t size = b->part_count * 300 + 1, used = 0;

	free(b->predecessors);
	b->predecessors = malloc(size);
	if (b->predecessors == NULL)
		return;
	b->predecessors[0] = '\0';
	for (size_t i = 0; i < b->part_count; i++)
		used += (size_t)snprintf(b->predecessors + used, size - used, "%s%s:%" PRId32 "=%" PRId64,
		    i ? ";" : "", b->parts[i].topic, b->parts[i].partition, prev[i]);
}

/* See batch.h. */
int batch_argv(struct batch *b, const char *const header[BATCH_HEADER_ARGS - 1], const char ***argv,
    size_t **lens)
{
	size_t argc = BATCH_HEADER_ARGS + b->span_count;

	free(b->argv);
	free(b->lens);
	b->argv = malloc(argc * sizeof(*b->argv));
	b->lens = malloc(argc * sizeof(*b->lens));
	if (b->argv == NULL || b->lens == NULL || b->predecessors == NULL)
		return -1;
	for (size_t i = 0; i < BATCH_HEADER_ARGS - 1; i++) {
		b->argv[i] = header[i];
		b->lens[i] = strlen(header[i]);
	}
	b->argv[BATCH_HEADER_ARGS - 1] = b->predecessors;
	b->lens[BATCH_HEADER_ARGS - 1] = strlen(b->predecessors);
	for (size_t i = 0; i < b->span_count; i++) {
		b->argv[BATCH_HEADER_ARGS + i] = b->arena + b->spans[i].start;
		b->lens[BATCH_HEADER_ARGS + i] = b->spans[i].len;
	}
	*argv = b->argv;
	*lens = b->lens;
	return (int)argc;
}
