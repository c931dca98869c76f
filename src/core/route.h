/* route.h: the records one task sends another through the route topic, as MessagePack (pure). */
#ifndef FEEDBACKD_ROUTE_H
#define FEEDBACKD_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "integrity.h"
#include "stats.h"
#include "window.h"

/* Counter adds one delta record can carry: all of one clock call's (CLOCK_MAX_ADDS). */
#define ROUTE_ADDS_MAX 24

/* One counter add credited to an agent at an event time. */
struct route_add {
	int64_t ts_ms;
	enum counter counter;
	int64_t value;
};

/* What a ticket's clock did to an agent owned by another task. */
struct route_delta {
	char agent[EVENT_ID_MAX + 1];
	int64_t open;    /* change of the agent's running clocks */
	int64_t overdue; /* change of its overdue clocks */
	size_t add_count;
	struct route_add adds[ROUTE_ADDS_MAX];
};

/* What a read hands over: whether the records are wanted, then each record, in order. */
struct route_reader {
	bool (*wanted)(void *arg, uint32_t src, uint64_t seq); /* false: the records are skipped */
	/* false stops the read (it then fails) */
	bool (*ticket_part)(void *arg, const struct event *e);
	bool (*delta)(void *arg, const struct route_delta *d);
	/* a group's partial (group.h), as the sender packed it */
	bool (*group)(void *arg, const char *key, size_t key_len, const char *partial, size_t len);
	/* a group's rating counts per window (tiers of them), for its agents' rating integrity */
	bool (*peers)(void *arg, const char *key, size_t key_len, const struct integrity_counts *counts, size_t tiers);
	void *arg;
};

struct route_batch;

/* Starts an empty batch from task src; NULL when out of memory. */
struct route_batch *route_batch_new(uint32_t src);

/*
 * Appends the ticket part of an event (type, agent, ticket, ts, severity, category, status,
 * queue, score, scale, follow_up): its clock's, or its recovery's.
 */
bool route_batch_ticket_part(struct route_batch *b, const struct event *e);

/* Appends a delta record. */
bool route_batch_delta(struct route_batch *b, const struct route_delta *d);

/* The longest group key a record carries (group.h's GROUP_KEY_SIZE less its NUL). */
#define ROUTE_GROUP_KEY_MAX (EVENT_TEAM_MAX + 2)

/* Appends a group's partial, for the task that owns the group. */
bool route_batch_group(struct route_batch *b, const char *key, size_t key_len, const char *partial, size_t len);

/* Appends a group's rating counts per window, for the tasks of its agents. */
bool route_batch_peers(struct route_batch *b, const char *key, size_t key_len, const struct integrity_counts *counts,
    size_t tiers);

/* Records appended so far. */
size_t route_batch_count(const struct route_batch *b);

/* Bytes of the records appended so far (the encoded batch is a few bytes more). */
size_t route_batch_bytes(const struct route_batch *b);

/* The batch encoded with sequence number seq, valid until the batch changes or is freed. */
const char *route_batch_data(struct route_batch *b, uint64_t seq, size_t *len);

void route_batch_free(struct route_batch *b);

/*
 * Decodes a batch: its source task and sequence number, then, once the whole batch was
 * checked and reader->wanted says so, every record to the reader. False on anything
 * malformed (the reader then saw nothing) or when the reader stopped.
 */
bool route_batch_read(const char *buf, size_t len, uint32_t *src, uint64_t *seq,
    const struct route_reader *reader);

#endif
