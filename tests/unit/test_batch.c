/* test_batch.c: the apply script's arguments, byte for byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "batch.h"

/* A parsed event with the given fields. */
static struct event make_event(enum event_type type, const char *id, const char *agent, const char *ticket)
{
	struct event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	snprintf(ev.event_id, sizeof(ev.event_id), "%s", id);
	snprintf(ev.agent_id, sizeof(ev.agent_id), "%s", agent);
	snprintf(ev.ticket_id, sizeof(ev.ticket_id), "%s", ticket);
	ev.ts_ms = 1795392000000;
	ev.severity = SEVERITY_NORMAL;
	return ev;
}

/* Asserts argument i equals s exactly (lengths included: ids may hold any byte). */
static void expect_arg(const char **argv, const size_t *lens, int i, const char *s)
{
	assert_int_equal(lens[i], strlen(s));
	assert_memory_equal(argv[i], s, lens[i]);
}

/* Header, predecessors and two events encode as apply.lua reads them. */
static void test_argv_layout(void **state)
{
	static const char *const header[BATCH_HEADER_ARGS - 1] = {"100", "fb:", "1h:3600000:150000", "300000",
	    "86400000", "g", "sla"};
	struct batch *b = batch_new();
	struct event r = make_event(EVENT_RATING, "e1", "a1", "");
	struct event c = make_event(EVENT_COMPLAINT, "e2", "a2", "T1");
	const char **argv;
	size_t *lens;
	const int64_t prev[2] = {41, -1};

	(void)state;
	r.score = 4;
	r.scale = 5;
	c.severity = SEVERITY_CRITICAL;
	snprintf(c.category, sizeof(c.category), "billing");
	assert_true(batch_add(b, &r, "feedback.events", 2, 42));
	assert_true(batch_add(b, &c, "other", 0, 7));
	assert_int_equal(batch_count(b), 2);
	assert_int_equal(batch_partition_count(b), 2);
	batch_set_predecessors(b, prev);
	assert_int_equal(batch_argv(b, header, &argv, &lens), BATCH_HEADER_ARGS + 2 * BATCH_ARGS_PER_EVENT);
	expect_arg(argv, lens, 0, "100");
	expect_arg(argv, lens, 6, "sla");
	expect_arg(argv, lens, 7, "feedback.events:2=41;other:0=-1");
	expect_arg(argv, lens, 8, "feedback.events:2");
	expect_arg(argv, lens, 9, "42");
	expect_arg(argv, lens, 10, "e1");
	expect_arg(argv, lens, 11, "r");
	expect_arg(argv, lens, 12, "a1");
	expect_arg(argv, lens, 13, "");
	expect_arg(argv, lens, 14, "1795392000000");
	expect_arg(argv, lens, 15, "4");
	expect_arg(argv, lens, 16, "5");
	expect_arg(argv, lens, 17, "1");
	expect_arg(argv, lens, 18, "");
	expect_arg(argv, lens, 19, "other:0");
	expect_arg(argv, lens, 22, "c");
	expect_arg(argv, lens, 24, "T1");
	expect_arg(argv, lens, 28, "3");
	expect_arg(argv, lens, 29, "billing");
	batch_free(b);
}

/* Positions and per-partition last offsets come back as added. */
static void test_positions(void **state)
{
	struct batch *b = batch_new();
	struct event ev = make_event(EVENT_REPLY, "x", "a", "T");
	const char *topic;
	int32_t partition;
	int64_t offset;

	(void)state;
	batch_add(b, &ev, "t", 1, 5);
	batch_add(b, &ev, "t", 1, 9);
	batch_add(b, &ev, "t", 0, 3);
	batch_position(b, 1, &topic, &partition, &offset);
	assert_string_equal(topic, "t");
	assert_int_equal(partition, 1);
	assert_int_equal(offset, 9);
	batch_partition(b, 0, &topic, &partition, &offset);
	assert_int_equal(partition, 1);
	assert_int_equal(offset, 9);
	batch_partition(b, 1, &topic, &partition, &offset);
	assert_int_equal(partition, 0);
	assert_int_equal(offset, 3);
	batch_free(b);
}

/* Each event's agent comes back as its own bytes, whatever its neighbours' ids. */
static void test_agents(void **state)
{
	struct batch *b = batch_new();
	struct event first = make_event(EVENT_RATING, "e1", "agent-long-id", "T1");
	struct event second = make_event(EVENT_REPLY, "e2", "a2", "T1");
	const char *agent;
	size_t len;

	(void)state;
	assert_true(batch_add(b, &first, "t", 0, 1));
	assert_true(batch_add(b, &second, "t", 0, 2));
	batch_agent(b, 0, &agent, &len);
	assert_int_equal(len, strlen("agent-long-id"));
	assert_memory_equal(agent, "agent-long-id", len);
	batch_agent(b, 1, &agent, &len);
	assert_int_equal(len, 2);
	assert_memory_equal(agent, "a2", 2);
	batch_free(b);
}

/* Past BATCH_PARTITIONS_MAX partitions the batch refuses, so the caller seals it. */
static void test_partition_limit(void **state)
{
	struct batch *b = batch_new();
	struct event ev = make_event(EVENT_RATING, "x", "a", "");

	(void)state;
	for (int32_t p = 0; p < BATCH_PARTITIONS_MAX; p++)
		assert_true(batch_add(b, &ev, "t", p, 0));
	assert_false(batch_add(b, &ev, "t", BATCH_PARTITIONS_MAX, 0));
	assert_true(batch_add(b, &ev, "t", 0, 1));
	assert_int_equal(batch_count(b), BATCH_PARTITIONS_MAX + 1);
	batch_free(b);
}

/* Many events grow the arena without corrupting earlier arguments. */
static void test_growth(void **state)
{
	static const char *const header[BATCH_HEADER_ARGS - 1] = {"", "", "", "", "", "", ""};
	struct batch *b = batch_new();
	const char **argv;
	size_t *lens;
	int64_t prev = -1;
	char id[32];

	(void)state;
	for (int i = 0; i < 3000; i++) {
		struct event ev = make_event(EVENT_RATING, "", "agent", "");

		snprintf(ev.event_id, sizeof(ev.event_id), "id-%d", i);
		assert_true(batch_add(b, &ev, "t", 0, i));
	}
	batch_set_predecessors(b, &prev);
	assert_int_equal(batch_argv(b, header, &argv, &lens), BATCH_HEADER_ARGS + 3000 * BATCH_ARGS_PER_EVENT);
	for (int i = 0; i < 3000; i += 997) {
		snprintf(id, sizeof(id), "id-%d", i);
		expect_arg(argv, lens, BATCH_HEADER_ARGS + i * BATCH_ARGS_PER_EVENT + 2, id);
	}
	batch_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_argv_layout),
	    cmocka_unit_test(test_positions),
	    cmocka_unit_test(test_agents),
	    cmocka_unit_test(test_partition_limit),
	    cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
