/* test_clock_record_layout.c: a version-2 record written by hand reads as documented; bad or mutated ones are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "clock_record.h"
#include "testutil_clock.h"
#include "testutil_clock_record.h"

/* One clock of a version-2 record, as its clocks binary holds it. */
struct v2_run {
	int64_t start, created, settle_at;   /* created: the stop while it settles */
	int state, goal, kind, flags;        /* one byte each */
	int64_t since[CLOCK_EPISODES];       /* the fired episodes' starts: at-risk, breach, promise */
};

/* The members of a version-2 record's four binaries, before they are written. */
struct v2_fields {
	bool has_terms;                      /* false: an empty terms binary */
	int64_t mask;
	int64_t target[POLICY_TARGET_COUNT][TERMS_KINDS], promise[POLICY_TARGET_COUNT], permille[POLICY_TARGET_COUNT];
	struct v2_run run[2];                /* reply, resolution */
	int64_t early, expires, forget_at;
	int flags;                           /* one byte */
	size_t changes;
	int64_t change_ts[PAUSES_MAX + 1];
	int change_status[PAUSES_MAX + 1];   /* one byte each */
};

/*
 * A version-2 record of a growing buffer, written here by hand as clock_record.c documents it:
 * the numbers in the binaries zigzag varints (LEB128, low 7 bits first), the rest single bytes.
 */
struct v2 {
	int version, members;
	const char *str[4];              /* policy, calendar, agent, category; NULL packs nil */
	struct v2_fields f;              /* what test_v2_write puts in the binaries */
	unsigned char bin[4][256];       /* terms, clocks, ticket, timeline */
	size_t len[4];
	bool bin_as_str;                 /* the clocks member as a string */
};

/* Appends one byte to binary i. */
static void
test_byte(struct v2 *r, int i, int v)
{
	assert_true(r->len[i] < sizeof(r->bin[i]));
	r->bin[i][r->len[i]++] = (unsigned char)v;
}

/* Appends v to binary i as a zigzag varint: 0, -1, 1, -2, ... are 0, 1, 2, 3, ..., 7 bits a byte. */
static void
test_var(struct v2 *r, int i, int64_t v)
{
	uint64_t z = v >= 0 ? (uint64_t)v * 2 : ((uint64_t)-(v + 1)) * 2 + 1;

	for (; z >= 0x80; z >>= 7)
		test_byte(r, i, (int)(z & 0x7f) | 0x80);
	test_byte(r, i, (int)z);
}

/* Writes r's fields into its four binaries. */
static void
test_v2_write(struct v2 *r)
{
	const struct v2_fields *f = &r->f;

	memset(r->len, 0, sizeof(r->len));
	if (f->has_terms) {
		test_var(r, 0, f->mask);
		for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
			for (int k = 0; k < TERMS_KINDS; k++)
				test_var(r, 0, f->target[g][k]);
			test_var(r, 0, f->promise[g]);
			test_var(r, 0, f->permille[g]);
		}
	}
	for (int c = 0; c < 2; c++) {
		const struct v2_run *run = &f->run[c];

		test_var(r, 1, run->start);
		test_var(r, 1, run->created);
		test_var(r, 1, run->settle_at);
		test_byte(r, 1, run->state);
		test_byte(r, 1, run->goal);
		test_byte(r, 1, run->kind);
		test_byte(r, 1, run->flags);
		for (int e = 0; e < CLOCK_EPISODES; e++)
			test_var(r, 1, run->since[e]);
	}
	test_var(r, 2, f->early);
	test_var(r, 2, f->expires);
	test_var(r, 2, f->forget_at);
	test_byte(r, 2, f->flags);
	for (size_t i = 0; i < f->changes; i++) {
		test_var(r, 3, f->change_ts[i]);
		test_byte(r, 3, f->change_status[i]);
	}
}

/*
 * The base record, written: a17's high complaint under vip (test_vip), the reply clock open and
 * at risk, the resolution clock overdue and its promise broken, an early reply, two changes.
 */
static void
test_v2_base(struct v2 *r)
{
	struct terms vip;
	struct v2_fields *f = &r->f;

	test_vip(&vip);
	memset(r, 0, sizeof(*r));
	r->version = 2;
	r->members = 9;
	r->str[0] = "vip";
	r->str[1] = "office";
	r->str[2] = "a17";
	r->str[3] = "billing";
	f->has_terms = true;
	f->mask = vip.pause_mask;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			f->target[g][k] = vip.goals[g].target_ms[k];
		f->promise[g] = vip.goals[g].promise_ms;
		f->permille[g] = vip.goals[g].at_risk_permille;
	}
	f->run[0] = (struct v2_run){ T0, T0 + 1, 0, RUN_OPEN, POLICY_FIRST_REPLY, CLOCK_HIGH, 1, { T0 + HOUR, 0, 0 } };
	f->run[1] = (struct v2_run){ T0, T0 + 1, 0, RUN_OVERDUE, POLICY_RESOLUTION, CLOCK_HIGH, 2 | 4,
		{ 0, T0 + 2 * HOUR, T0 + 3 * HOUR } };
	f->early = T0 + 5 * HOUR;
	f->expires = T0 + 5 * HOUR + 7 * DAY;
	f->flags = 1;
	f->changes = 2;
	f->change_ts[0] = T0 + HOUR;
	f->change_status[0] = STATUS_PENDING;
	f->change_ts[1] = T0 + 2 * HOUR;
	f->change_status[1] = STATUS_OPEN;
	test_v2_write(r);
}

/* Packs r into buf; returns its length. */
static size_t
test_v2_pack(const struct v2 *r, char *buf, size_t size)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, (size_t)r->members);
	msgpack_pack_int(&pk, r->version);
	for (int i = 0; i < 4 && i + 1 < r->members; i++) {
		if (r->str[i] == NULL) {
			msgpack_pack_nil(&pk);
			continue;
		}
		msgpack_pack_str(&pk, strlen(r->str[i]));
		msgpack_pack_str_body(&pk, r->str[i], strlen(r->str[i]));
	}
	for (int i = 0; i < 4 && i + 5 < r->members; i++) {
		if (i == 1 && r->bin_as_str) {
			msgpack_pack_str(&pk, r->len[i]);
			msgpack_pack_str_body(&pk, r->bin[i], r->len[i]);
			continue;
		}
		msgpack_pack_bin(&pk, r->len[i]);
		msgpack_pack_bin_body(&pk, r->bin[i], r->len[i]);
	}
	for (int i = 9; i < r->members; i++)
		msgpack_pack_nil(&pk);
	return test_sbuffer_take(&sb, buf, size);
}

/* Whether r decodes; a refusal must leave the state zeroed, a success is cleared. */
static bool
test_v2_decodes(const struct v2 *r)
{
	char buf[REC_MAX];
	struct clock_state s;
	struct clock_record rec;
	bool ok = clock_record_decode(buf, test_v2_pack(r, buf, sizeof(buf)), &s, &rec);

	if (!ok)
		assert_true(tc_zeroed(&s));
	clock_clear(&s);
	return ok;
}

/* Decodes r into s and rec, which must succeed. */
static void
test_v2_decode(const struct v2 *r, struct clock_state *s, struct clock_record *rec)
{
	char buf[REC_MAX];

	assert_true(clock_record_decode(buf, test_v2_pack(r, buf, sizeof(buf)), s, rec));
}

/* The layout, written by hand, reads as the members it documents. */
static void
test_v2_layout(void **state)
{
	static const unsigned char waits[] = { 0x01, 0x80, 0x01, 0x00, 0x00 };
	static const unsigned char remembered[] = { 0x00, 0x00, 0x80, 0x80, 0x01, 0x03 };
	struct v2 r;
	struct terms vip;
	struct clock_state s;
	struct clock_record rec;

	(void)state;
	test_v2_base(&r);
	test_vip(&vip);
	test_v2_decode(&r, &s, &rec);
	assert_true(rec.has_terms);
	test_same_terms(&rec.terms, &vip);
	test_text(rec.agent, "a17");
	test_text(rec.category, "billing");
	assert_false(rec.v1_running);
	test_same_run(&s.reply, &(struct clock_run){ .start = T0, .created = T0 + 1, .state = RUN_OPEN,
	    .goal = POLICY_FIRST_REPLY, .kind = CLOCK_HIGH, .risk_fired = true });
	assert_non_null(s.extra);
	test_same_run(&s.extra->resolution, &(struct clock_run){ .start = T0, .created = T0 + 1, .state = RUN_OVERDUE,
	    .goal = POLICY_RESOLUTION, .kind = CLOCK_HIGH, .breach_counted = true, .promise_fired = true });
	assert_int_equal(s.extra->since[0][CLOCK_RISK], T0 + HOUR);
	assert_int_equal(s.extra->since[0][CLOCK_BREACH], 0);
	assert_int_equal(s.extra->since[0][CLOCK_PROMISE], 0);
	assert_int_equal(s.extra->since[1][CLOCK_RISK], 0);
	assert_int_equal(s.extra->since[1][CLOCK_BREACH], T0 + 2 * HOUR);
	assert_int_equal(s.extra->since[1][CLOCK_PROMISE], T0 + 3 * HOUR);
	assert_int_equal(s.extra->early, T0 + 5 * HOUR);
	assert_int_equal(s.extra->expires, T0 + 5 * HOUR + 7 * DAY);
	assert_int_equal(s.when, 0);
	assert_true(s.replied);
	assert_false(s.solved);
	assert_non_null(s.extra->pauses);
	assert_int_equal(s.extra->pauses->n, 2);
	assert_int_equal(s.extra->pauses->at[0].ts, T0 + HOUR);
	assert_int_equal(s.extra->pauses->at[0].status, STATUS_PENDING);
	assert_int_equal(s.extra->pauses->at[1].ts, T0 + 2 * HOUR);
	assert_int_equal(s.extra->pauses->at[1].status, STATUS_OPEN);
	/*
	 * Resumed under vip, whose mask (on_hold only) lets the pending pause nothing: due its
	 * first-reply target for a high complaint, 1h + 3 ms, after the start.
	 */
	s.terms = &vip;
	assert_int_equal(clock_due(&s), T0 + HOUR + 3);
	clock_clear(&s);
	/* Both settling: their settle times, the reply clock's in the state, the resolution's in the extras. */
	r.f.run[0].state = r.f.run[1].state = RUN_SETTLING;
	r.f.run[0].settle_at = T0 + 10;
	r.f.run[1].settle_at = T0 + 20;
	r.f.forget_at = T0 + 30; /* a forget_at beside running clocks means nothing */
	test_v2_write(&r);
	test_v2_decode(&r, &s, &rec);
	assert_int_equal(s.reply.state, RUN_SETTLING);
	assert_int_equal(s.reply.stop, T0 + 1);
	assert_int_equal(s.when, T0 + 10);
	assert_int_equal(s.extra->resolution.state, RUN_SETTLING);
	assert_int_equal(s.extra->resolution.stop, T0 + 1);
	assert_int_equal(s.extra->settle_at, T0 + 20);
	clock_clear(&s);
	/* Nothing running, no early reply: forget_at is when, and the timeline alone makes the extras. */
	memset(r.f.run, 0, sizeof(r.f.run));
	r.f.early = r.f.expires = 0;
	r.str[2] = r.str[3] = "";
	test_v2_write(&r);
	test_v2_decode(&r, &s, &rec);
	assert_int_equal(s.when, T0 + 30);
	assert_false(clock_holds_names(&s));
	assert_non_null(s.extra);
	assert_non_null(s.extra->pauses);
	assert_int_equal(s.extra->resolution.state, RUN_IDLE);
	assert_int_equal(s.extra->expires, 0);
	clock_clear(&s);
	/* And without the timeline, no extras at all. */
	r.f.changes = 0;
	test_v2_write(&r);
	test_v2_decode(&r, &s, &rec);
	assert_int_equal(s.when, T0 + 30);
	assert_null(s.extra);
	clock_clear(&s);
	/* Varints by hand: early -1 (01), expires 64 (80 01), forget_at 0, no flags. */
	memcpy(r.bin[2], waits, sizeof(waits));
	r.len[2] = sizeof(waits);
	test_v2_decode(&r, &s, &rec);
	assert_non_null(s.extra);
	assert_int_equal(s.extra->early, -1);
	assert_int_equal(s.extra->expires, 64);
	assert_int_equal(s.when, 0);
	assert_false(s.replied);
	clock_clear(&s);
	/* Forget_at 8192 (80 80 01), replied and solved. */
	memcpy(r.bin[2], remembered, sizeof(remembered));
	r.len[2] = sizeof(remembered);
	test_v2_decode(&r, &s, &rec);
	assert_null(s.extra);
	assert_int_equal(s.when, 8192);
	assert_true(s.replied);
	assert_true(s.solved);
	clock_clear(&s);
}

/* Checks that the base record with the change stmt decodes (ok) or is refused with the state zeroed. */
#define V2_CASE(ok, ...)                                                                          \
	do {                                                                                      \
		test_v2_base(&r);                                                                 \
		__VA_ARGS__;                                                                      \
		test_v2_write(&r);                                                                \
		if (test_v2_decodes(&r) != (ok))                                                  \
			fail_msg("line %d: %s", __LINE__, #__VA_ARGS__);                          \
	} while (0)

/* Version-2 records out of shape or range are refused with the state zeroed; their valid twins are not. */
static void
test_v2_refused(void **state)
{
	char name[256];
	struct v2 r;

	(void)state;
	/* Terms: the pause mask, and the goals' targets, promises and at-risk fractions (the clocks' own). */
	V2_CASE(true, r.f.mask = 31);                                            /* every status */
	V2_CASE(false, r.f.mask = 32);                                           /* a sixth status */
	V2_CASE(false, r.f.mask = -1);
	V2_CASE(true, r.f.permille[POLICY_FIRST_REPLY] = 1000);
	V2_CASE(false, r.f.permille[POLICY_FIRST_REPLY] = 1001);
	V2_CASE(false, r.f.permille[POLICY_RESOLUTION] = 1001);
	V2_CASE(false, r.f.permille[POLICY_NEXT_REPLY] = -1);
	V2_CASE(false, r.f.target[POLICY_NEXT_REPLY][CLOCK_MESSAGE] = -1);
	V2_CASE(true, r.f.target[POLICY_FIRST_REPLY][CLOCK_HIGH] = INT64_MAX / 1000);
	V2_CASE(false, r.f.target[POLICY_FIRST_REPLY][CLOCK_HIGH] = INT64_MAX / 1000 + 1);
	V2_CASE(false, r.f.target[POLICY_RESOLUTION][CLOCK_HIGH] = -1);
	V2_CASE(true, r.f.target[POLICY_RESOLUTION][CLOCK_HIGH] = 0);
	V2_CASE(false, r.f.promise[POLICY_FIRST_REPLY] = -1);
	V2_CASE(false, r.f.promise[POLICY_RESOLUTION] = -1);
	V2_CASE(true, r.f.promise[POLICY_RESOLUTION] = INT64_MAX);
	/* Clocks: state, goal, kind and flags in range; the times any time. */
	V2_CASE(true, r.f.run[0].state = RUN_SETTLING);
	V2_CASE(false, r.f.run[0].state = RUN_SETTLING + 1);
	V2_CASE(false, r.f.run[1].state = RUN_SETTLING + 1);
	V2_CASE(true, r.f.run[0].goal = POLICY_RESOLUTION);
	V2_CASE(false, r.f.run[1].goal = POLICY_RESOLUTION + 1);
	V2_CASE(true, r.f.run[0].kind = CLOCK_CRITICAL);
	V2_CASE(false, r.f.run[0].kind = CLOCK_CRITICAL + 1);
	V2_CASE(false, r.f.run[1].kind = CLOCK_CRITICAL + 1);
	V2_CASE(true, r.f.run[0].flags = 7);                                     /* every flag */
	V2_CASE(false, r.f.run[0].flags = 8);                                    /* an unknown one */
	V2_CASE(false, r.f.run[1].flags = 0x80);
	V2_CASE(true, r.f.run[0].settle_at = T0 + 1);                            /* while open: unused */
	V2_CASE(true, r.f.run[0].since[CLOCK_RISK] = -1);
	V2_CASE(true, r.f.run[1].start = INT64_MIN; r.f.run[1].created = INT64_MAX);
	/* The ticket: an expiry of 0 is no early reply, before 0 none; its flags replied and solved. */
	V2_CASE(true, r.f.expires = 0);
	V2_CASE(false, r.f.expires = -1);
	V2_CASE(true, r.f.early = INT64_MIN);                                    /* a 10-byte varint */
	V2_CASE(true, r.f.flags = 3);
	V2_CASE(false, r.f.flags = 4);
	V2_CASE(false, r.f.flags = 0x81);
	/* The timeline: statuses in range, each change once, at most PAUSES_MAX of them. */
	V2_CASE(true, r.f.change_status[1] = TICKET_STATUS_COUNT - 1);
	V2_CASE(false, r.f.change_status[1] = TICKET_STATUS_COUNT);
	V2_CASE(false, r.f.change_ts[1] = T0 + HOUR; r.f.change_status[1] = STATUS_PENDING); /* the same change twice */
	for (int n = PAUSES_MAX; n <= PAUSES_MAX + 1; n++) {
		test_v2_base(&r);
		r.f.changes = (size_t)n;
		for (int i = 0; i < n; i++) {
			r.f.change_ts[i] = T0 + i;
			r.f.change_status[i] = STATUS_PENDING;
		}
		test_v2_write(&r);
		assert_int_equal(test_v2_decodes(&r), n == PAUSES_MAX);
	}
	/* Running clocks need terms and an agent (refused after the timeline was read: ASan sees it freed). */
	V2_CASE(false, r.f.has_terms = false);
	V2_CASE(false, r.str[2] = "");
	/* With nothing running, neither is needed. */
	V2_CASE(true, memset(r.f.run, 0, sizeof(r.f.run)); r.f.has_terms = false; r.str[2] = "");
	/* Shapes: version, member count and types, binary sizes. */
	test_v2_base(&r);
	assert_true(test_v2_decodes(&r));
	r.version = 4;
	assert_false(test_v2_decodes(&r));
	for (int m = 8; m <= 10; m += 2) {
		test_v2_base(&r);
		r.members = m;
		assert_false(test_v2_decodes(&r));
	}
	for (int i = 0; i < 4; i++) {
		test_v2_base(&r);
		r.str[i] = NULL;
		assert_false(test_v2_decodes(&r));
	}
	test_v2_base(&r);
	r.bin_as_str = true;
	assert_false(test_v2_decodes(&r));
	for (int i = 0; i < 3; i++) {
		for (int d = -1; d <= 1; d += 2) {
			test_v2_base(&r);
			r.len[i] = (size_t)((int)r.len[i] + d);
			assert_false(test_v2_decodes(&r));
		}
	}
	test_v2_base(&r);
	r.len[3] -= 1; /* not whole changes */
	assert_false(test_v2_decodes(&r));
	/* A varint that runs off its binary's end, or is longer than 64 bits take (10 bytes). */
	test_v2_base(&r);
	r.bin[1][r.len[1] - 1] |= 0x80;
	assert_false(test_v2_decodes(&r));
	for (int n = 10; n <= 11; n++) {
		/* early 0 in n bytes (80 ... 80 00), then expires, forget_at and flags 0 */
		test_v2_base(&r);
		r.len[2] = 0;
		for (int i = 0; i < n - 1; i++)
			test_byte(&r, 2, 0x80);
		for (int i = 0; i < 4; i++)
			test_byte(&r, 2, 0);
		assert_int_equal(test_v2_decodes(&r), n == 10);
	}
	/* Names: a policy or calendar of 63 bytes, an agent of EVENT_ID_MAX; one more is refused. */
	memset(name, 'n', sizeof(name));
	for (int i = 0; i < 4; i++) {
		size_t max = i < 2 ? POLICY_NAME_MAX - 1 : EVENT_ID_MAX;

		test_v2_base(&r);
		name[max] = '\0';
		r.str[i] = name;
		assert_true(test_v2_decodes(&r));
		name[max] = 'n';
		name[max + 1] = '\0';
		assert_false(test_v2_decodes(&r));
		name[max + 1] = 'n';
	}
}

/* Any byte of a valid record changed: decoded (and freed) or refused with the state zeroed, never a crash or a leak. */
static void
test_v2_mutations(void **state)
{
	struct v2 base;
	char rec[REC_MAX], buf[REC_MAX];
	size_t len;
	struct clock_state s;
	struct clock_record out;
	static const unsigned char values[] = { 0x00, 0x01, 0x05, 0x7f, 0x80, 0xc0, 0xc4, 0xd9, 0xff };

	(void)state;
	test_v2_base(&base);
	len = test_v2_pack(&base, rec, sizeof(rec));
	for (size_t i = 0; i < len; i++) {
		for (size_t v = 0; v < sizeof(values); v++) {
			memcpy(buf, rec, len);
			buf[i] = (char)values[v];
			if (!clock_record_decode(buf, len, &s, &out))
				assert_true(tc_zeroed(&s));
			clock_clear(&s);
		}
	}
}

/* Runs the version-2 layout tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v2_layout),
		cmocka_unit_test(test_v2_refused),
		cmocka_unit_test(test_v2_mutations),
	};

	return cmocka_run_group_tests(tests, tc_setup, NULL);
}
