/* test_clock_record.c: a ticket's checkpoint record survives, and garbage is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"

#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
#define T0 INT64_C(1795251600000) /* 2026-11-21T09:00:00Z */

/* The caller's intern table: handle 0 is agent a17, 1 category billing. */
static const char *
test_name(void *arg, uint32_t handle)
{
	static const char *const names[] = { "a17", "billing" };

	(void)arg;
	assert_true(handle < 2);
	return names[handle];
}

static const struct clock_names NAMES = { "T-1001", test_name, NULL };

/* Checks every member of two states. */
static void
test_same(const struct clock_state *a, const struct clock_state *b)
{
	assert_int_equal(a->phase, b->phase);
	assert_int_equal(a->start, b->start); /* early, for CLOCK_EARLY */
	assert_int_equal(a->created, b->created); /* expires */
	assert_int_equal(a->target, b->target);
	assert_int_equal(a->at_risk_permille, b->at_risk_permille);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->risk_fired, b->risk_fired);
}

/* Whether the decoder left the state zeroed, as it must after a refusal. */
static bool
test_zeroed(const struct clock_state *s)
{
	static const struct clock_state zero;

	return memcmp(s, &zero, sizeof(zero)) == 0;
}

/* Packs a state into buf; returns its length. */
static size_t
test_pack(const struct clock_state *s, char *buf, size_t size)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t len;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(clock_pack(&pk, s, &NAMES));
	assert_true(sb.size <= size);
	memcpy(buf, sb.data, sb.size);
	len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
}

/* Each phase survives its record with its strings; no prefix, no longer buffer is a record. */
static void
test_round_trip(void **state)
{
	struct clock_state in[4], out;
	struct clock_text agent, cat;
	static const size_t agent_len[] = { 0, 0, 3, 3 }, cat_len[] = { 0, 0, 7, 0 };
	char buf[512];
	size_t len;

	(void)state;
	memset(in, 0, sizeof(in));
	in[1].phase = CLOCK_EARLY;
	in[1].early = T0 + HOUR;
	in[1].expires = T0 + 2 * HOUR + 7 * DAY;
	in[2].phase = CLOCK_OPEN;
	in[2].start = T0 - 1;
	in[2].created = T0;
	in[2].target = DAY;
	in[2].agent = 0;
	in[2].category = 1;
	in[2].at_risk_permille = 800;
	in[2].kind = CLOCK_HIGH;
	in[2].risk_fired = true;
	in[3] = in[2];
	in[3].phase = CLOCK_OVERDUE;
	in[3].category = CLOCK_NO_NAME;
	in[3].at_risk_permille = 1000;
	in[3].kind = CLOCK_MESSAGE;
	in[3].risk_fired = false;
	in[3].created = -5; /* times are taken as they are */
	for (int i = 0; i < 4; i++) {
		len = test_pack(&in[i], buf, sizeof(buf));
		assert_true(clock_decode(buf, len, &out, &agent, &cat));
		test_same(&out, &in[i]);
		assert_int_equal(agent.len, agent_len[i]);
		assert_memory_equal(agent.ptr, "a17", agent.len);
		assert_int_equal(cat.len, cat_len[i]);
		assert_memory_equal(cat.ptr, "billing", cat.len);
		for (size_t n = 0; n < len; n++) {
			assert_false(clock_decode(buf, n, &out, &agent, &cat));
			assert_true(test_zeroed(&out));
		}
		buf[len] = 0;
		assert_false(clock_decode(buf, len + 1, &out, &agent, &cat));
	}
}

/* A record written by hand, with other integer widths than the packer's, reads the same. */
static void
test_by_hand(void **state)
{
	/* [1, 2, T0, T0 + 1, 86400000, 800, 3, false, "a17", ""]: an open high complaint. */
	static const unsigned char rec[] = {
		0x9a, 0x01, 0x02,
		0xd3, 0x00, 0x00, 0x01, 0xa1, 0xfd, 0x55, 0x7a, 0x80,
		0xcf, 0x00, 0x00, 0x01, 0xa1, 0xfd, 0x55, 0x7a, 0x81,
		0xce, 0x05, 0x26, 0x5c, 0x00, 0xcd, 0x03, 0x20, 0x03, 0xc2,
		0xa3, 'a', '1', '7', 0xa0,
	};
	struct clock_state s;
	struct clock_text agent, cat;

	(void)state;
	assert_true(clock_decode((const char *)rec, sizeof(rec), &s, &agent, &cat));
	assert_int_equal(s.phase, CLOCK_OPEN);
	assert_int_equal(s.start, T0);
	assert_int_equal(s.created, T0 + 1);
	assert_int_equal(s.target, DAY);
	assert_int_equal(s.at_risk_permille, 800);
	assert_int_equal(s.kind, CLOCK_HIGH);
	assert_false(s.risk_fired);
	assert_int_equal(clock_due(&s), T0 + DAY);
	assert_int_equal(clock_next(&s), T0 + 19 * HOUR + 12 * 60000);
	assert_int_equal(agent.len, 3);
	assert_memory_equal(agent.ptr, "a17", 3);
	assert_int_equal(cat.len, 0);
}

/* A record of an open clock, [1, 2, 0, 0, 1, 0, 0, false, agent of n bytes, ""], into buf. */
static size_t
test_agent_record(char *buf, size_t n)
{
	memcpy(buf, "\x9a\x01\x02\x00\x00\x01\x00\x00\xc2\xd9", 10);
	buf[10] = (char)n;
	memset(buf + 11, 'a', n);
	buf[11 + n] = '\xa0';
	return 12 + n;
}

/* Records of other versions, shapes or ranges are refused; their valid twins are not. */
static void
test_refused(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "\x92\x02\x00", 3 },                                   /* version 2 */
		{ "\x92\x00\x00", 3 },                                   /* version 0 */
		{ "\x92\x01\x04", 3 },                                   /* no phase 4 */
		{ "\x92\x01\xff", 3 },                                   /* phase -1 */
		{ "\x93\x01\x00\x00", 4 },                               /* idle with more */
		{ "\x93\x01\x01\x00", 4 },                               /* early without expiry */
		{ "\x94\x01\x01\x00\xc0", 5 },                           /* expiry nil */
		{ "\x94\x01\x01\xa1x\x00", 6 },                          /* early a string */
		{ "\x92\x01\x02", 3 },                                   /* open without members */
		{ "\x9a\x01\x02\x00\x00\x01\x00\x05\xc2\xa1x\xa0", 12 },  /* kind 5 */
		{ "\x9a\x01\x02\x00\x00\x01\xcd\x03\xe9\x00\xc2\xa1x\xa0", 14 }, /* permille 1001 */
		{ "\x9a\x01\x02\x00\x00\xff\x00\x00\xc2\xa1x\xa0", 12 },  /* target -1 */
		{ "\x9a\x01\x02\x00\x00\x01\x00\x00\x00\xa1x\xa0", 12 },  /* risk_fired 0, not false */
		{ "\x9a\x01\x02\x00\x00\x01\x00\x00\xc2\xa0\xa0", 11 },   /* empty agent */
		{ "\x9a\x01\x03\x00\x00\x01\x00\x00\xc2\xa1x\xc0", 12 },  /* category nil */
		{ "\x9a\x01\x03\x00\x00\x01\x00\x00\xc2\xc4\x01x\xa0", 13 }, /* agent binary */
		{ "\x81\x01\x02", 3 },                                   /* a map */
		{ "\xa3" "abc", 4 },                                     /* a string */
		{ "\x91\x01", 2 },                                       /* too short */
		{ "\x94\x01\x01\x00\xdd\xff\xff\xff\xff", 9 },           /* a 4G-member array */
		{ "\x94\x01\x01\x00\x91\x00", 6 },                       /* a nested array */
		{ "\x94\x01\x01\x00\xdf\x00\x00\x00\x01\x00\x00", 11 },   /* a map */
		{ "\x92\x01\xdb\xff\xff\xff\xff", 7 },                  /* a 4 GB string */
		{ "\xdc\x00\x02\x01\x00", 5 },                           /* an array16 */
		{ "", 0 },
	};
	static const struct {
		const char *bytes;
		size_t len;
	} good[] = {
		{ "\x92\x01\x00", 3 },
		{ "\x94\x01\x01\x00\xff", 5 },
		{ "\x9a\x01\x02\x00\x00\x01\x00\x04\xc2\xa1x\xa0", 12 },
		{ "\x9a\x01\x02\x00\x00\x01\xcd\x03\xe8\x00\xc3\xa1x\xa0", 14 },
		{ "\x9a\x01\x03\x00\x00\x00\x00\x00\xc2\xa1x\xa1y", 13 },
	};
	char buf[160];
	struct clock_state s;
	struct clock_text agent, cat;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(clock_decode(bad[i].bytes, bad[i].len, &s, &agent, &cat));
		assert_true(test_zeroed(&s));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(clock_decode(good[i].bytes, good[i].len, &s, &agent, &cat));
	/* An agent of EVENT_ID_MAX bytes is fine, one more is too long. */
	assert_true(clock_decode(buf, test_agent_record(buf, EVENT_ID_MAX), &s, &agent, &cat));
	assert_int_equal(agent.len, EVENT_ID_MAX);
	assert_false(clock_decode(buf, test_agent_record(buf, EVENT_ID_MAX + 1), &s, &agent, &cat));
	/* Random bytes never crash, and a refusal always leaves the state zeroed. */
	srand(11);
	for (int n = 0; n < 20000; n++) {
		char junk[24];
		size_t len = (size_t)(rand() % (int)sizeof(junk));

		junk[0] = (char)(0x92 + rand() % 9); /* mostly arrays, so the members get read */
		for (size_t i = 1; i < len; i++)
			junk[i] = (char)(rand() % 6 == 0 ? rand() : rand() % 4);
		if (!clock_decode(junk, len, &s, &agent, &cat))
			assert_true(test_zeroed(&s));
	}
}

/* A write callback that always fails. */
static int
test_write_fails(void *data, const char *buf, size_t len)
{
	(void)data;
	(void)buf;
	(void)len;
	return -1;
}

/* A packer error is reported. */
static void
test_pack_fails(void **state)
{
	struct clock_state s;
	msgpack_packer pk;

	(void)state;
	memset(&s, 0, sizeof(s));
	msgpack_packer_init(&pk, NULL, test_write_fails);
	assert_false(clock_pack(&pk, &s, &NAMES));
}

/* The state stays small: 1,000,000 clocks in 40 MB. */
static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct clock_state), 40);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_by_hand),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_pack_fails),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
