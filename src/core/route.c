/* route.c: the records one task sends another through the route topic, as MessagePack (pure). */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mpack.h"

/* Bumped when the layout below changes; a reader refuses other versions. */
#define ROUTE_VERSION 1
/* [version, src, seq, [records...]] */
#define ROUTE_HEAD 4
enum route_record { ROUTE_TICKET_PART, ROUTE_DELTA, ROUTE_GROUP, ROUTE_PEERS };
/*
 * [kind, type, agent, ticket, ts, severity, category, status, queue, score, scale, follow_up];
 * before service recovery the first 9 (no rating or follow_up), before status events the first 7.
 */
#define ROUTE_TICKET_FIELDS 12
#define ROUTE_TICKET_FIELDS_V2 9
#define ROUTE_TICKET_FIELDS_V1 7
/* [kind, agent, open, overdue, [ts, counter, value, ...]] */
#define ROUTE_DELTA_FIELDS 5
/* [kind, group key, partial] */
#define ROUTE_GROUP_FIELDS 3
/* [kind, group key, [ratings, top, middle, quick] per window] */
#define ROUTE_PEERS_FIELDS 3
#define ROUTE_PEERS_COUNTS 4

struct route_batch {
	uint32_t src;
	size_t count;
	msgpack_sbuffer body; /* the records, packed one after another */
	msgpack_packer pk;
	msgpack_sbuffer whole; /* made by route_batch_data */
};

/* Packs a string of known length. */
static int route_pack_str(msgpack_packer *pk, const char *s)
{
	size_t len = strlen(s);

	return msgpack_pack_str(pk, len) || msgpack_pack_str_body(pk, s, len);
}

/* See route.h. */
struct route_batch *route_batch_new(uint32_t src)
{
	struct route_batch *b = calloc(1, sizeof(*b));

	if (b == NULL)
		return NULL;
	b->src = src;
	msgpack_sbuffer_init(&b->body);
	msgpack_sbuffer_init(&b->whole);
	msgpack_packer_init(&b->pk, &b->body, msgpack_sbuffer_write);
	return b;
}

/* See route.h. */
bool route_batch_ticket_part(struct route_batch *b, const struct event *e)
{
	msgpack_packer *pk = &b->pk;

	if (msgpack_pack_array(pk, ROUTE_TICKET_FIELDS) || msgpack_pack_int(pk, ROUTE_TICKET_PART) ||
	    msgpack_pack_int(pk, (int)e->type) || route_pack_str(pk, e->agent_id) ||
	    route_pack_str(pk, e->ticket_id) || msgpack_pack_int64(pk, e->ts_ms) ||
	    msgpack_pack_int(pk, (int)e->severity) || route_pack_str(pk, e->category) ||
	    msgpack_pack_int(pk, (int)e->status) || route_pack_str(pk, e->queue) ||
	    msgpack_pack_int(pk, e->score) || msgpack_pack_int(pk, e->scale) ||
	    (e->follow_up ? msgpack_pack_true(pk) : msgpack_pack_false(pk)))
		return false;
	b->count++;
	return true;
}

/* See route.h. */
bool route_batch_delta(struct route_batch *b, const struct route_delta *d)
{
	msgpack_packer *pk = &b->pk;

	if (d->add_count > ROUTE_ADDS_MAX)
		return false;
	if (msgpack_pack_array(pk, ROUTE_DELTA_FIELDS) || msgpack_pack_int(pk, ROUTE_DELTA) ||
	    route_pack_str(pk, d->agent) || msgpack_pack_int64(pk, d->open) ||
	    msgpack_pack_int64(pk, d->overdue) || msgpack_pack_array(pk, d->add_count * 3))
		return false;
	for (size_t i = 0; i < d->add_count; i++)
		if (msgpack_pack_int64(pk, d->adds[i].ts_ms) || msgpack_pack_int(pk, (int)d->adds[i].counter) ||
		    msgpack_pack_int64(pk, d->adds[i].value))
			return false;
	b->count++;
	return true;
}

/* See route.h. */
bool route_batch_group(struct route_batch *b, const char *key, size_t key_len, const char *partial, size_t len)
{
	msgpack_packer *pk = &b->pk;

	if (msgpack_pack_array(pk, ROUTE_GROUP_FIELDS) || msgpack_pack_int(pk, ROUTE_GROUP) ||
	    msgpack_pack_str_with_body(pk, key, key_len) || msgpack_pack_bin_with_body(pk, partial, len))
		return false;
	b->count++;
	return true;
}

/* See route.h. */
bool route_batch_peers(struct route_batch *b, const char *key, size_t key_len, const struct integrity_counts *counts,
    size_t tiers)
{
	msgpack_packer *pk = &b->pk;

	if (msgpack_pack_array(pk, ROUTE_PEERS_FIELDS) || msgpack_pack_int(pk, ROUTE_PEERS) ||
	    msgpack_pack_str_with_body(pk, key, key_len) || msgpack_pack_array(pk, tiers * ROUTE_PEERS_COUNTS))
		return false;
	for (size_t w = 0; w < tiers; w++)
		if (msgpack_pack_int64(pk, counts[w].ratings) || msgpack_pack_int64(pk, counts[w].top) ||
		    msgpack_pack_int64(pk, counts[w].middle) || msgpack_pack_int64(pk, counts[w].quick))
			return false;
	b->count++;
	return true;
}

/* See route.h. */
size_t route_batch_count(const struct route_batch *b)
{
	return b->count;
}

/* See route.h. */
size_t route_batch_bytes(const struct route_batch *b)
{
	return b->body.size;
}

/* See route.h. */
const char *route_batch_data(struct route_batch *b, uint64_t seq, size_t *len)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(&b->whole);
	msgpack_packer_init(&pk, &b->whole, msgpack_sbuffer_write);
	if (msgpack_pack_array(&pk, ROUTE_HEAD) || msgpack_pack_int(&pk, ROUTE_VERSION) ||
	    msgpack_pack_uint32(&pk, b->src) || msgpack_pack_uint64(&pk, seq) ||
	    msgpack_pack_array(&pk, b->count) ||
	    msgpack_sbuffer_write(&b->whole, b->body.data, b->body.size) != 0)
		return NULL;
	*len = b->whole.size;
	return b->whole.data;
}

/* See route.h. */
void route_batch_free(struct route_batch *b)
{
	if (b == NULL)
		return;
	msgpack_sbuffer_destroy(&b->body);
	msgpack_sbuffer_destroy(&b->whole);
	free(b);
}

/* A string member of 0-EVENT_ID_MAX bytes, NUL-terminated into out; min is the least length. */
static bool route_str(const msgpack_object *o, size_t min, char out[EVENT_ID_MAX + 1])
{
	if (o->type != MSGPACK_OBJECT_STR || o->via.str.size < min || o->via.str.size > EVENT_ID_MAX ||
	    memchr(o->via.str.ptr, '\0', o->via.str.size) != NULL)
		return false;
	memcpy(out, o->via.str.ptr, o->via.str.size);
	out[o->via.str.size] = '\0';
	return true;
}

/* Decodes a ticket part: the clocks' event types, and ratings and follow-ups for recoveries. */
static bool route_read_ticket(const msgpack_object *m, uint32_t n, struct event *e)
{
	int64_t type, sev, status = STATUS_OPEN, score = 0, scale = 0;

	memset(e, 0, sizeof(*e));
	if ((n != ROUTE_TICKET_FIELDS && n != ROUTE_TICKET_FIELDS_V2 && n != ROUTE_TICKET_FIELDS_V1) ||
	    !mpack_int(&m[1], EVENT_RATING, EVENT_FOLLOW_UP, &type) ||
	    !route_str(&m[2], 1, e->agent_id) || !route_str(&m[3], 1, e->ticket_id) ||
	    !mpack_int(&m[4], 0, INT64_MAX, &e->ts_ms) ||
	    !mpack_int(&m[5], SEVERITY_LOW, SEVERITY_CRITICAL, &sev) || !route_str(&m[6], 0, e->category))
		return false;
	if (n >= ROUTE_TICKET_FIELDS_V2 &&
	    (!mpack_int(&m[7], STATUS_OPEN, TICKET_STATUS_COUNT - 1, &status) || !route_str(&m[8], 0, e->queue)))
		return false;
	if (n == ROUTE_TICKET_FIELDS &&
	    (!mpack_int(&m[9], 0, 10, &score) || !mpack_int(&m[10], 0, 10, &scale) || m[11].type != MSGPACK_OBJECT_BOOLEAN))
		return false;
	if ((n < ROUTE_TICKET_FIELDS && (type == EVENT_RATING || type == EVENT_FOLLOW_UP)) ||
	    (n == ROUTE_TICKET_FIELDS_V1 && type == EVENT_STATUS) ||
	    (type == EVENT_RATING && scale != 5 && scale != 10))
		return false;
	e->type = (enum event_type)type;
	e->severity = (enum severity)sev;
	e->status = (enum ticket_status)status;
	e->score = (int)score;
	e->scale = (int)scale;
	e->follow_up = n == ROUTE_TICKET_FIELDS && m[11].via.boolean;
	return true;
}

/* Decodes a delta record. */
static bool route_read_delta(const msgpack_object *m, uint32_t n, struct route_delta *d)
{
	const msgpack_object_array *adds;

	memset(d, 0, sizeof(*d));
	if (n != ROUTE_DELTA_FIELDS || !route_str(&m[1], 1, d->agent) ||
	    !mpack_int(&m[2], INT32_MIN, INT32_MAX, &d->open) ||
	    !mpack_int(&m[3], INT32_MIN, INT32_MAX, &d->overdue) || m[4].type != MSGPACK_OBJECT_ARRAY)
		return false;
	adds = &m[4].via.array;
	if (adds->size % 3 != 0 || adds->size / 3 > ROUTE_ADDS_MAX)
		return false;
	d->add_count = adds->size / 3;
	for (size_t i = 0; i < d->add_count; i++) {
		int64_t counter;

		if (!mpack_int(&adds->ptr[3 * i], 0, INT64_MAX, &d->adds[i].ts_ms) ||
		    !mpack_int(&adds->ptr[3 * i + 1], 0, COUNTER_COUNT - 1, &counter) ||
		    !mpack_int(&adds->ptr[3 * i + 2], INT64_MIN, INT64_MAX, &d->adds[i].value))
			return false;
		d->adds[i].counter = (enum counter)counter;
	}
	return true;
}

/* Decodes a peers record's counts; false unless whole windows of counts of 0 or more. */
static bool route_read_peers(const msgpack_object *o, struct integrity_counts counts[WINDOWS_MAX], size_t *tiers)
{
	const msgpack_object *v = o->via.array.ptr;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0 || o->via.array.size % ROUTE_PEERS_COUNTS != 0 ||
	    o->via.array.size / ROUTE_PEERS_COUNTS > WINDOWS_MAX)
		return false;
	*tiers = o->via.array.size / ROUTE_PEERS_COUNTS;
	for (size_t w = 0; w < *tiers; w++, v += ROUTE_PEERS_COUNTS)
		if (!mpack_int(&v[0], 0, INT64_MAX, &counts[w].ratings) || !mpack_int(&v[1], 0, INT64_MAX, &counts[w].top) ||
		    !mpack_int(&v[2], 0, INT64_MAX, &counts[w].middle) || !mpack_int(&v[3], 0, INT64_MAX, &counts[w].quick))
			return false;
	return true;
}

/* Decodes one record, and hands it to the reader unless reader is NULL (the checking pass). */
static bool route_read_record(const msgpack_object *o, const struct route_reader *reader)
{
	const msgpack_object *m;
	int64_t kind;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size == 0)
		return false;
	m = o->via.array.ptr;
	if (!mpack_int(&m[0], ROUTE_TICKET_PART, ROUTE_PEERS, &kind))
		return false;
	if (kind == ROUTE_PEERS) {
		struct integrity_counts counts[WINDOWS_MAX];
		size_t tiers;

		if (o->via.array.size != ROUTE_PEERS_FIELDS || m[1].type != MSGPACK_OBJECT_STR ||
		    m[1].via.str.size < 2 || m[1].via.str.size > ROUTE_GROUP_KEY_MAX || !route_read_peers(&m[2], counts, &tiers))
			return false;
		return reader == NULL || reader->peers(reader->arg, m[1].via.str.ptr, m[1].via.str.size, counts, tiers);
	}
	if (kind == ROUTE_GROUP) {
		if (o->via.array.size != ROUTE_GROUP_FIELDS || m[1].type != MSGPACK_OBJECT_STR ||
		    m[1].via.str.size < 2 || m[1].via.str.size > ROUTE_GROUP_KEY_MAX || m[2].type != MSGPACK_OBJECT_BIN)
			return false;
		return reader == NULL || reader->group(reader->arg, m[1].via.str.ptr, m[1].via.str.size,
		    m[2].via.bin.ptr, m[2].via.bin.size);
	}
	if (kind == ROUTE_TICKET_PART) {
		struct event e;

		return route_read_ticket(m, o->via.array.size, &e) &&
		    (reader == NULL || reader->ticket_part(reader->arg, &e));
	}
	struct route_delta d;

	return route_read_delta(m, o->via.array.size, &d) && (reader == NULL || reader->delta(reader->arg, &d));
}

/* See route.h. */
bool route_batch_read(const char *buf, size_t len, uint32_t *src, uint64_t *seq,
    const struct route_reader *reader)
{
	msgpack_unpacked u;
	bool ok = false;
	int64_t version, s, q;

	msgpack_unpacked_init(&u);
	if (!mpack_one(&u, buf, len))
		goto out;
	const msgpack_object *o = &u.data;
	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != ROUTE_HEAD)
		goto out;
	const msgpack_object *m = o->via.array.ptr;
	if (!mpack_int(&m[0], ROUTE_VERSION, ROUTE_VERSION, &version) ||
	    !mpack_int(&m[1], 0, UINT32_MAX, &s) || !mpack_int(&m[2], 0, INT64_MAX, &q) ||
	    m[3].type != MSGPACK_OBJECT_ARRAY)
		goto out;
	*src = (uint32_t)s;
	*seq = (uint64_t)q;
	/* Checked whole from the one unpacked copy before the reader sees a record. */
	for (uint32_t i = 0; i < m[3].via.array.size; i++)
		if (!route_read_record(&m[3].via.array.ptr[i], NULL))
			goto out;
	if (reader->wanted(reader->arg, *src, *seq))
		for (uint32_t i = 0; i < m[3].via.array.size; i++)
			if (!route_read_record(&m[3].via.array.ptr[i], reader))
				goto out;
	ok = true;
out:
	msgpack_unpacked_destroy(&u);
	return ok;
}
