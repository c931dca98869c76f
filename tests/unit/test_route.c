/* test_route.c: route batches read back exactly what was written, and nothing malformed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "route.h"

/* What a reader saw, in order. */
struct seen {
	size_t parts, deltas, groups;
	char group_key[160], group_blob[64];
	size_t group_key_len, group_blob_len;
	struct event part[4];
	struct route_delta delta[4];
	struct integrity_counts peers[WINDOWS_MAX];
	size_t peers_tiers, peer_records;
	bool stop_after_first;
	bool skip;              /* wanted says no */
	uint32_t src;           /* what wanted was asked about */
	uint64_t seq;
};

/* Wants every batch unless told to skip; notes what it was asked. */
static bool want_all(void *arg, uint32_t src, uint64_t seq)
{
	struct seen *s = arg;

	s->src = src;
	s->seq = seq;
	return !s->skip;
}

/* Records a ticket part. */
static bool seen_part(void *arg, const struct event *e)
{
	struct seen *s = arg;

	if (s->parts < 4)
		s->part[s->parts] = *e;
	s->parts++;
	return !s->stop_after_first;
}

/* Records a delta. */
static bool seen_delta(void *arg, const struct route_delta *d)
{
	struct seen *s = arg;

	if (s->deltas < 4)
		s->delta[s->deltas] = *d;
	s->deltas++;
	return true;
}

/* Records a group's partial (the last one). */
static bool seen_group(void *arg, const char *key, size_t key_len, const char *partial, size_t len)
{
	struct seen *s = arg;

	assert_true(key_len <= sizeof(s->group_key) && len <= sizeof(s->group_blob));
	memcpy(s->group_key, key, key_len);
	s->group_key_len = key_len;
	memcpy(s->group_blob, partial, len);
	s->group_blob_len = len;
	s->groups++;
	return true;
}

/* Records a group's rating counts (the last one's). */
static bool seen_peers(void *arg, const char *key, size_t key_len, const struct integrity_counts *counts, size_t tiers)
{
	struct seen *s = arg;

	assert_true(key_len <= sizeof(s->group_key) && tiers <= WINDOWS_MAX);
	memcpy(s->group_key, key, key_len);
	s->group_key_len = key_len;
	memcpy(s->peers, counts, tiers * sizeof(*counts));
	s->peers_tiers = tiers;
	s->peer_records++;
	return true;
}

/* A complaint with every ticket field set. */
static struct event sample_event(void)
{
	struct event e;

	memset(&e, 0, sizeof(e));
	e.type = EVENT_COMPLAINT;
	strcpy(e.agent_id, "a\xc3\xab-17");
	strcpy(e.ticket_id, "T-1001");
	strcpy(e.category, "billing");
	e.ts_ms = 1795341600123;
	e.severity = SEVERITY_CRITICAL;
	return e;
}

/* A delta as a clock that closed late makes it. */
static struct route_delta sample_delta(void)
{
	struct route_delta d;

	memset(&d, 0, sizeof(d));
	strcpy(d.agent, "a17");
	d.open = -1;
	d.overdue = 0;
	d.add_count = 3;
	d.adds[0] = (struct route_add){1795341600000, C_RESP_N, 1};
	d.adds[1] = (struct route_add){1795341600000, C_RESP_MAX_MS, 86400001};
	d.adds[2] = (struct route_add){1795255200000, C_SLA_MISSED, 1};
	return d;
}

/* A batch of both kinds decodes to the same records, in order, with its source and sequence. */
static void test_round_trip(void **state)
{
	struct route_batch *b = route_batch_new(7);
	struct event e = sample_event(), msg = sample_event(), rating = sample_event(), follow = sample_event();
	struct route_delta d = sample_delta();
	struct seen s = {0};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	uint32_t src = 0;
	uint64_t seq = 0;
	size_t len;
	const char *data;

	(void)state;
	msg.type = EVENT_MESSAGE;
	memset(msg.category, 0, sizeof(msg.category));
	msg.severity = SEVERITY_NORMAL;
	/* a rating of a complaint ticket, and a reply marked as its follow-up: for its recovery */
	rating.type = EVENT_RATING;
	rating.score = 9;
	rating.scale = 10;
	follow.type = EVENT_REPLY;
	follow.follow_up = true;
	assert_true(route_batch_ticket_part(b, &e));
	assert_true(route_batch_delta(b, &d));
	assert_true(route_batch_ticket_part(b, &msg));
	assert_true(route_batch_ticket_part(b, &rating));
	assert_true(route_batch_ticket_part(b, &follow));
	assert_true(route_batch_group(b, "\x01tbilling", 9, "\x93\x00\x01\x02", 4));
	assert_int_equal(route_batch_count(b), 6);
	data = route_batch_data(b, 42, &len);
	assert_non_null(data);
	assert_true(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(src, 7);
	assert_int_equal(seq, 42);
	assert_int_equal(s.parts, 4);
	assert_int_equal(s.deltas, 1);
	assert_memory_equal(&s.part[0], &e, sizeof(e));
	assert_memory_equal(&s.part[1], &msg, sizeof(msg));
	assert_memory_equal(&s.part[2], &rating, sizeof(rating));
	assert_memory_equal(&s.part[3], &follow, sizeof(follow));
	assert_memory_equal(&s.delta[0], &d, sizeof(d));
	assert_int_equal(s.groups, 1);
	assert_int_equal(s.group_key_len, 9);
	assert_memory_equal(s.group_key, "\x01tbilling", 9);
	assert_int_equal(s.group_blob_len, 4);
	assert_memory_equal(s.group_blob, "\x93\x00\x01\x02", 4);
	route_batch_free(b);
}

/* A group's rating counts travel whole; a negative count or a partial window is refused. */
static void test_peers(void **state)
{
	struct integrity_counts counts[3] = {{40, 12, 20, 3}, {400, 120, 200, 30}, {0, 0, 0, 0}};
	struct seen s = {0};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	struct route_batch *b = route_batch_new(1);
	uint32_t src;
	uint64_t seq;
	size_t len;
	const char *data;

	(void)state;
	assert_true(route_batch_peers(b, "\x01tbilling", 9, counts, 3));
	data = route_batch_data(b, 5, &len);
	assert_true(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(s.peer_records, 1);
	assert_int_equal(s.peers_tiers, 3);
	assert_memory_equal(s.group_key, "\x01tbilling", 9);
	assert_memory_equal(s.peers, counts, sizeof(counts));
	route_batch_free(b);
	counts[1].quick = -1;
	b = route_batch_new(1);
	assert_true(route_batch_peers(b, "\x01s", 2, counts, 3));
	data = route_batch_data(b, 6, &len);
	assert_false(route_batch_read(data, len, &src, &seq, &r));
	route_batch_free(b);
	assert_int_equal(s.peer_records, 1);
}

/* Every truncation of a valid batch, and a byte too many, is refused. */
static void test_truncated(void **state)
{
	struct route_batch *b = route_batch_new(1);
	struct event e = sample_event();
	struct route_delta d = sample_delta();
	struct seen s = {0};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	uint32_t src;
	uint64_t seq;
	size_t len;
	const char *data;
	char *longer;

	(void)state;
	assert_true(route_batch_ticket_part(b, &e));
	assert_true(route_batch_delta(b, &d));
	data = route_batch_data(b, 2, &len);
	for (size_t n = 0; n < len; n++)
		assert_false(route_batch_read(data, n, &src, &seq, &r));
	longer = malloc(len + 1);
	memcpy(longer, data, len);
	longer[len] = 0;
	assert_false(route_batch_read(longer, len + 1, &src, &seq, &r));
	assert_true(route_batch_read(longer, len, &src, &seq, &r));
	free(longer);
	route_batch_free(b);
}

/* A record whose reader says stop fails the read. */
static void test_reader_stops(void **state)
{
	struct route_batch *b = route_batch_new(1);
	struct event e = sample_event();
	struct seen s = {.stop_after_first = true};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	uint32_t src;
	uint64_t seq;
	size_t len;
	const char *data;

	(void)state;
	assert_true(route_batch_ticket_part(b, &e));
	assert_true(route_batch_ticket_part(b, &e));
	data = route_batch_data(b, 2, &len);
	assert_false(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(s.parts, 1);
	route_batch_free(b);
}

/* Out-of-range values are refused: a rating as a ticket part, an unknown counter, a version. */
static void test_out_of_range(void **state)
{
	struct route_batch *b;
	struct event e = sample_event();
	struct route_delta d = sample_delta();
	struct seen s = {0};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	uint32_t src;
	uint64_t seq;
	size_t len;
	const char *data;
	char *copy;

	(void)state;
	e.type = EVENT_RATING; /* with no scale: no rating */
	b = route_batch_new(1);
	assert_true(route_batch_ticket_part(b, &e));
	data = route_batch_data(b, 2, &len);
	assert_false(route_batch_read(data, len, &src, &seq, &r));
	route_batch_free(b);

	d.adds[0].counter = COUNTER_COUNT; /* encoded as is; the reader must refuse it */
	b = route_batch_new(1);
	assert_true(route_batch_delta(b, &d));
	data = route_batch_data(b, 2, &len);
	assert_false(route_batch_read(data, len, &src, &seq, &r));
	route_batch_free(b);

	d = sample_delta();
	d.add_count = ROUTE_ADDS_MAX + 1;
	b = route_batch_new(1);
	assert_false(route_batch_delta(b, &d));
	data = route_batch_data(b, 2, &len);
	copy = malloc(len);
	memcpy(copy, data, len);
	assert_true(route_batch_read(copy, len, &src, &seq, &r)); /* empty, but valid */
	assert_int_equal((unsigned char)copy[1], 1); /* [0x94, version=1, ...] */
	copy[1] = 2;
	assert_false(route_batch_read(copy, len, &src, &seq, &r));
	free(copy);
	route_batch_free(b);
	assert_int_equal(s.parts + s.deltas, 0);
}

/* Records reach the reader only from a batch checked whole, and wanted. */
static void test_wanted_after_check(void **state)
{
	struct seen s = {.skip = true};
	struct route_reader r = {want_all, seen_part, seen_delta, seen_group, seen_peers, &s};
	struct route_batch *b = route_batch_new(3);
	struct route_delta bad = sample_delta();
	struct event e = sample_event();
	const char *data;
	uint64_t seq;
	uint32_t src;
	size_t len;

	(void)state;
	assert_true(route_batch_ticket_part(b, &e));
	data = route_batch_data(b, 9, &len);
	/* Read and checked, but not wanted: nothing handed over. */
	assert_true(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(s.src, 3);
	assert_int_equal(s.seq, 9);
	assert_int_equal(src, 3);
	assert_int_equal(seq, 9);
	assert_int_equal(s.parts, 0);
	s.skip = false;
	assert_true(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(s.parts, 1);
	/* A bad last record: none of the good ones before it is handed over. */
	bad.adds[0].counter = COUNTER_COUNT;
	assert_true(route_batch_ticket_part(b, &e));
	assert_true(route_batch_delta(b, &bad));
	data = route_batch_data(b, 10, &len);
	assert_false(route_batch_read(data, len, &src, &seq, &r));
	assert_int_equal(s.parts, 1);
	assert_int_equal(s.deltas, 0);
	route_batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_peers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_reader_stops),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_wanted_after_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
