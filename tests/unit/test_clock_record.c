/* test_clock_record.c: a ticket's checkpoint record survives (version 2), version 1 still reads, garbage is refused. */
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

#define REC_MAX 1024
#define RUN_BYTES 78      /* six times, at-risk (2), state, goal, kind, flags, three fired instants */
#define GOAL_BYTES 50     /* five targets, a promise, at-risk (2) */

/* The example terms (tc_terms), set up once. */
static struct terms DEF;

/* Fills DEF. */
static int
test_setup(void **state)
{
	(void)state;
	tc_terms(&DEF);
	return 0;
}

/* Checks every member of two clocks. */
static void
test_same_run(const struct clock_run *a, const struct clock_run *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->created, b->created);
	assert_int_equal(a->stop, b->stop);
	assert_int_equal(a->settle_at, b->settle_at);
	assert_int_equal(a->target, b->target);
	assert_int_equal(a->promise, b->promise);
	assert_int_equal(a->at_risk_permille, b->at_risk_permille);
	assert_int_equal(a->state, b->state);
	assert_int_equal(a->goal, b->goal);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->risk_fired, b->risk_fired);
	assert_int_equal(a->breach_counted, b->breach_counted);
	assert_int_equal(a->promise_fired, b->promise_fired);
	assert_int_equal(a->risk_since, b->risk_since);
	assert_int_equal(a->breach_since, b->breach_since);
	assert_int_equal(a->promise_since, b->promise_since);
}

/* Checks every member a record carries: both clocks, the ticket's and its timeline. */
static void
test_same(const struct clock_state *got, const struct clock_state *want)
{
	test_same_run(&got->reply, &want->reply);
	test_same_run(&got->resolution, &want->resolution);
	assert_int_equal(got->early, want->early);
	assert_int_equal(got->expires, want->expires);
	assert_int_equal(got->forget_at, want->forget_at);
	assert_int_equal(got->replied, want->replied);
	assert_int_equal(got->solved, want->solved);
	assert_null(got->terms); /* the caller's to set, as agent and category */
	assert_int_equal(got->agent, 0);
	assert_int_equal(got->category, 0);
	if (want->pauses == NULL || want->pauses->n == 0) {
		assert_null(got->pauses);
		return;
	}
	assert_non_null(got->pauses);
	assert_int_equal(got->pauses->n, want->pauses->n);
	for (size_t i = 0; i < want->pauses->n; i++) {
		assert_int_equal(got->pauses->at[i].ts, want->pauses->at[i].ts);
		assert_int_equal(got->pauses->at[i].status, want->pauses->at[i].status);
	}
}

/* Checks the terms a record carries: names, mask and every goal; no calendar. */
static void
test_same_terms(const struct terms *got, const struct terms *want)
{
	assert_string_equal(got->policy, want->policy);
	assert_string_equal(got->calendar_name, want->calendar_name);
	assert_null(got->calendar);
	assert_int_equal(got->pause_mask, want->pause_mask);
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			assert_int_equal(got->goals[g].target_ms[k], want->goals[g].target_ms[k]);
		assert_int_equal(got->goals[g].promise_ms, want->goals[g].promise_ms);
		assert_int_equal(got->goals[g].at_risk_permille, want->goals[g].at_risk_permille);
	}
}

/* Checks a decoded text. */
static void
test_text(struct clock_text t, const char *want)
{
	assert_int_equal(t.len, strlen(want));
	assert_memory_equal(t.ptr, want, t.len);
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
	assert_true(clock_record_pack(&pk, s, &TICKET));
	assert_true(sb.size <= size);
	memcpy(buf, sb.data, sb.size);
	len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
}

/* Terms unlike DEF in every member: "vip" on "office", pause on_hold only, each goal its own. */
static void
test_vip(struct terms *t)
{
	tc_terms(t);
	snprintf(t->policy, sizeof(t->policy), "vip");
	snprintf(t->calendar_name, sizeof(t->calendar_name), "office");
	t->pause_mask = 1u << STATUS_ON_HOLD;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			t->goals[g].target_ms[k] = (g + 1) * HOUR + k;
		t->goals[g].promise_ms = (g + 2) * DAY;
		t->goals[g].at_risk_permille = (uint16_t)(g == 2 ? 1000 : 700 + g);
	}
}

/* Packs in, decodes it, checks everything and that no prefix nor longer buffer is a record. */
static void
test_trip(const struct clock_state *in, const char *agent, const char *category)
{
	struct clock_state out;
	struct clock_record rec;
	char buf[REC_MAX];
	size_t len = test_pack(in, buf, sizeof(buf) - 1);

	assert_true(clock_record_decode(buf, len, &out, &rec));
	test_same(&out, in);
	assert_int_equal(rec.has_terms, in->terms != NULL);
	if (in->terms != NULL)
		test_same_terms(&rec.terms, in->terms);
	test_text(rec.agent, agent);
	test_text(rec.category, category);
	clock_clear(&out); /* the timeline is the decoder's allocation: ASan sees it freed */
	for (size_t n = 0; n < len; n++) {
		assert_false(clock_record_decode(buf, n, &out, &rec));
		assert_true(tc_zeroed(&out));
		assert_false(rec.has_terms);
		test_text(rec.agent, "");
	}
	buf[len] = 0;
	assert_false(clock_record_decode(buf, len + 1, &out, &rec));
	assert_true(tc_zeroed(&out));
}

/* Version 2 keeps every member: terms, both clocks in every state, early reply, memory, flags, timeline. */
static void
test_round_trip(void **state)
{
	struct terms vip;
	struct pauses p = { 0 }, full = { 0 };
	struct clock_state s;

	(void)state;
	test_vip(&vip);
	assert_true(pauses_note(&p, T0 + HOUR, STATUS_PENDING));
	assert_true(pauses_note(&p, T0 + 2 * HOUR, STATUS_OPEN));
	assert_true(pauses_note(&p, T0 - 5, STATUS_SOLVED));
	for (int i = 0; i < PAUSES_MAX; i++)
		assert_true(pauses_note(&full, T0 + i * MIN, (enum ticket_status)(i % TICKET_STATUS_COUNT)));
	/* Open and overdue, every flag, an early reply and the timeline; names held. */
	memset(&s, 0, sizeof(s));
	s.terms = &vip;
	s.pauses = &p;
	s.reply = (struct clock_run){ T0 - 1, T0, 0, 0, DAY, 36 * HOUR, 800, RUN_OPEN, POLICY_FIRST_REPLY, CLOCK_HIGH,
		true, false, false, T0 + HOUR, 0, 0 };
	s.resolution = (struct clock_run){ T0 - 2, -5, 0, 0, 48 * HOUR, 72 * HOUR, 1000, RUN_OVERDUE, POLICY_RESOLUTION,
		CLOCK_CRITICAL, false, true, true, 0, T0 + 2 * HOUR, T0 + 3 * HOUR };
	s.early = T0 + 3 * HOUR;
	s.expires = T0 + 3 * HOUR + 7 * DAY;
	s.replied = true;
	s.agent = A17;
	s.category = BILLING;
	test_trip(&s, "a17", "billing");
	/* Both settling, no category, a full timeline, solved. */
	s.pauses = &full;
	s.reply = (struct clock_run){ T0, T0 + 1, T0 + 2, T0 + 3, 2 * HOUR, 0, 0, RUN_SETTLING, POLICY_NEXT_REPLY,
		CLOCK_MESSAGE, false, true, false, 0, T0 + 4 * HOUR, 0 };
	s.resolution = (struct clock_run){ T0 + 4, T0 + 5, T0 + 6, T0 + 7, HOUR, HOUR, 1, RUN_SETTLING,
		POLICY_RESOLUTION, CLOCK_LOW, true, false, true, T0 + 5 * HOUR, 0, T0 + 6 * HOUR };
	s.early = s.expires = 0;
	s.solved = true;
	s.category = CLOCK_NO_NAME;
	test_trip(&s, "a17", "");
	/* Remembered: terms and timeline, nothing running, so no names. */
	memset(&s.reply, 0, sizeof(s.reply));
	memset(&s.resolution, 0, sizeof(s.resolution));
	s.pauses = &p;
	s.forget_at = T0 + 30 * DAY;
	test_trip(&s, "", "");
	/* Only an early reply: no terms, no timeline. */
	memset(&s, 0, sizeof(s));
	s.early = T0 + HOUR;
	s.expires = T0 + HOUR + 7 * DAY;
	test_trip(&s, "", "");
	/* Nothing at all. */
	memset(&s, 0, sizeof(s));
	test_trip(&s, "", "");
}

/* The state the clock leaves after a run of events survives its record: decoded and resumed, it fires the same. */
static void
test_resume(void **state)
{
	struct clock_state s = { 0 }, out;
	struct clock_record rec;
	struct clock_effects e, e2;
	char buf[REC_MAX];
	size_t len;

	(void)state;
	tc_open(&s, &CFG, &DEF, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	len = test_pack(&s, buf, sizeof(buf));
	assert_true(clock_record_decode(buf, len, &out, &rec));
	assert_true(rec.has_terms);
	test_same_terms(&rec.terms, &DEF);
	out.terms = &DEF; /* as the caller interns rec.terms */
	out.agent = A17;
	out.category = BILLING;
	assert_int_equal(clock_next(&out), clock_next(&s));
	assert_int_equal(clock_due(&out), T0 + DAY + HOUR);
	assert_true(clock_fire(&out, &CFG, clock_next(&s), &TICKET, &e));
	assert_true(clock_fire(&s, &CFG, clock_next(&s), &TICKET, &e2));
	assert_int_equal(e.n_alerts, 1);
	assert_int_equal(e2.n_alerts, 1);
	assert_int_equal(e.alerts[0].remaining_ms, e2.alerts[0].remaining_ms);
	assert_int_equal(e.alerts[0].business_ms, e2.alerts[0].business_ms);
	clock_clear(&out);
	clock_clear(&s);
}

/* A version-2 record of a growing buffer: the documented layout, little-endian, written here by hand. */
struct v2 {
	int version, members;
	const char *str[4];              /* policy, calendar, agent, category; NULL packs nil */
	unsigned char bin[4][256];       /* terms, clocks, ticket, timeline */
	size_t len[4];
	bool bin_as_str;                 /* the clocks member as a string */
};

/* Writes v as n little-endian bytes at p. */
static void
test_le(unsigned char *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

/* Appends n little-endian bytes of v to binary i. */
static void
test_put(struct v2 *r, int i, uint64_t v, int n)
{
	test_le(r->bin[i] + r->len[i], v, n);
	r->len[i] += (size_t)n;
}

/* Appends one clock. */
static void
test_put_run(struct v2 *r, const int64_t t[6], int permille, int st, int goal, int kind, int flags)
{
	for (int i = 0; i < 6; i++)
		test_put(r, 1, (uint64_t)t[i], 8);
	test_put(r, 1, (uint64_t)permille, 2);
	test_put(r, 1, (uint64_t)st, 1);
	test_put(r, 1, (uint64_t)goal, 1);
	test_put(r, 1, (uint64_t)kind, 1);
	test_put(r, 1, (uint64_t)flags, 1);
	for (int i = 0; i < 3; i++)  /* the fired episodes' starts: at-risk, breach, promise */
		test_put(r, 1, (uint64_t)(flags >> i & 1 ? T0 + (i + 1) * HOUR : 0), 8);
}

/* The base record: a17's high complaint under vip (test_vip), both clocks running, an early reply, two changes. */
static void
test_v2_base(struct v2 *r)
{
	static const int64_t reply[6] = { T0, T0 + 1, 0, 0, DAY, 36 * HOUR };
	static const int64_t res[6] = { T0, T0 + 1, 0, 0, 48 * HOUR, 72 * HOUR };
	struct terms vip;

	test_vip(&vip);
	memset(r, 0, sizeof(*r));
	r->version = 2;
	r->members = 9;
	r->str[0] = "vip";
	r->str[1] = "office";
	r->str[2] = "a17";
	r->str[3] = "billing";
	test_put(r, 0, vip.pause_mask, 4);
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		for (int k = 0; k < TERMS_KINDS; k++)
			test_put(r, 0, (uint64_t)vip.goals[g].target_ms[k], 8);
		test_put(r, 0, (uint64_t)vip.goals[g].promise_ms, 8);
		test_put(r, 0, vip.goals[g].at_risk_permille, 2);
	}
	test_put_run(r, reply, 800, RUN_OPEN, POLICY_FIRST_REPLY, CLOCK_HIGH, 1);
	test_put_run(r, res, 0, RUN_OVERDUE, POLICY_RESOLUTION, CLOCK_HIGH, 2 | 4);
	test_put(r, 2, (uint64_t)(T0 + 5 * HOUR), 8);
	test_put(r, 2, (uint64_t)(T0 + 5 * HOUR + 7 * DAY), 8);
	test_put(r, 2, 0, 8);
	test_put(r, 2, 1, 1);
	test_put(r, 3, (uint64_t)(T0 + HOUR), 8);
	test_put(r, 3, STATUS_PENDING, 1);
	test_put(r, 3, (uint64_t)(T0 + 2 * HOUR), 8);
	test_put(r, 3, STATUS_OPEN, 1);
}

/* Packs r into buf; returns its length. */
static size_t
test_v2_pack(const struct v2 *r, char *buf, size_t size)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;
	size_t len;

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
	assert_true(sb.size <= size);
	memcpy(buf, sb.data, sb.size);
	len = sb.size;
	msgpack_sbuffer_destroy(&sb);
	return len;
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

/* The layout, written by hand, reads as the members it documents. */
static void
test_v2_layout(void **state)
{
	struct v2 r;
	struct terms vip;
	struct clock_state s;
	struct clock_record rec;
	char buf[REC_MAX];

	(void)state;
	test_v2_base(&r);
	test_vip(&vip);
	assert_true(clock_record_decode(buf, test_v2_pack(&r, buf, sizeof(buf)), &s, &rec));
	assert_true(rec.has_terms);
	test_same_terms(&rec.terms, &vip);
	test_text(rec.agent, "a17");
	test_text(rec.category, "billing");
	test_same_run(&s.reply, &(struct clock_run){ T0, T0 + 1, 0, 0, DAY, 36 * HOUR, 800, RUN_OPEN,
	    POLICY_FIRST_REPLY, CLOCK_HIGH, true, false, false, T0 + HOUR, 0, 0 });
	test_same_run(&s.resolution, &(struct clock_run){ T0, T0 + 1, 0, 0, 48 * HOUR, 72 * HOUR, 0, RUN_OVERDUE,
	    POLICY_RESOLUTION, CLOCK_HIGH, false, true, true, 0, T0 + 2 * HOUR, T0 + 3 * HOUR });
	assert_int_equal(s.early, T0 + 5 * HOUR);
	assert_int_equal(s.expires, T0 + 5 * HOUR + 7 * DAY);
	assert_int_equal(s.forget_at, 0);
	assert_true(s.replied);
	assert_false(s.solved);
	assert_int_equal(s.pauses->n, 2);
	assert_int_equal(s.pauses->at[0].ts, T0 + HOUR);
	assert_int_equal(s.pauses->at[0].status, STATUS_PENDING);
	assert_int_equal(s.pauses->at[1].ts, T0 + 2 * HOUR);
	assert_int_equal(s.pauses->at[1].status, STATUS_OPEN);
	/* Resumed under vip, whose mask (on_hold only) lets the pending pause nothing. */
	s.terms = &vip;
	assert_int_equal(clock_due(&s), T0 + DAY);
	clock_clear(&s);
}

/* Decodes one version-1 record that must be accepted. */
static void
test_v1(const char *bytes, size_t len, struct clock_state *s, struct clock_record *rec)
{
	assert_true(clock_record_decode(bytes, len, s, rec));
	assert_false(rec->has_terms);
	assert_null(s->pauses);
	assert_int_equal(s->resolution.state, RUN_IDLE);
	assert_int_equal(s->forget_at, 0);
	assert_false(s->replied);
	assert_false(s->solved);
}

/* A version-1 record of each phase reads as the state the clock builds now from the same events. */
static void
test_v1_phases(void **state)
{
	/* [1, 2, T0, T0 + 1, 86400000, 800, 3, false, "a17", "billing"]: an open high complaint. */
	static const char open[] = "\x9a\x01\x02\xcf\x00\x00\x01\xa1\xfd\x55\x7a\x80\xcf\x00\x00\x01\xa1\xfd\x55"
				   "\x7a\x81\xce\x05\x26\x5c\x00\xcd\x03\x20\x03\xc2\xa3" "a17" "\xa7" "billing";
	struct clock_state s, want = { 0 };
	struct clock_record rec;
	struct clock_effects e;
	char buf[sizeof(open)];

	(void)state;
	test_v1("\x92\x01\x00", 3, &s, &rec); /* idle */
	assert_true(tc_zeroed(&s));
	test_text(rec.agent, "");
	/* [1, 1, T0 + 1h, T0 + 1h + 7d]: the early reply clock_reply keeps. */
	clock_reply(&want, &CFG, T0 + HOUR, T0 + HOUR, &TICKET, &e);
	test_v1("\x94\x01\x01\xcf\x00\x00\x01\xa1\xfd\x8c\x69\x00\xcf\x00\x00\x01\xa2\x21\x98\xed\x00", 21, &s, &rec);
	test_same(&s, &want);
	/* Open: the first-reply clock tc_open starts at T0 + 1. */
	memset(&want, 0, sizeof(want));
	tc_open(&want, &CFG, &DEF, CLOCK_HIGH, A17, T0, T0 + 1, &e);
	test_v1(open, sizeof(open) - 1, &s, &rec);
	test_same(&s, &want);
	test_text(rec.agent, "a17");
	test_text(rec.category, "billing");
	s.terms = &DEF; /* the default policy's, as the caller gives it */
	assert_int_equal(clock_due(&s), T0 + DAY);
	assert_int_equal(clock_next(&s), T0 + 19 * HOUR + 12 * MIN);
	/* Overdue (phase 3, at-risk fired): the breach counted, as clock_fire leaves it. */
	assert_true(clock_fire(&want, &CFG, T0 + 19 * HOUR + 12 * MIN, &TICKET, &e));
	assert_true(clock_fire(&want, &CFG, T0 + DAY, &TICKET, &e));
	memcpy(buf, open, sizeof(open));
	buf[2] = 0x03;
	buf[30] = (char)0xc3; /* risk_fired */
	test_v1(buf, sizeof(open) - 1, &s, &rec);
	test_same(&s, &want);
	assert_true(s.reply.breach_counted);
	/* at_risk 1000 was a valid v1 record (0.9995 and over round to it), and still is. */
	test_v1("\x9a\x01\x02\x00\x00\x01\xcd\x03\xe8\x00\xc3\xa1x\xa0", 14, &s, &rec);
	assert_int_equal(s.reply.at_risk_permille, 1000);
}

/* A v1 record written with other integer widths than the packer's reads the same. */
static void
test_v1_by_hand(void **state)
{
	/* [1, 2, T0, T0 + 1, 86400000, 800, 3, false, "a17", ""]: an open high complaint. */
	static const unsigned char rec1[] = {
		0x9a, 0x01, 0x02,
		0xd3, 0x00, 0x00, 0x01, 0xa1, 0xfd, 0x55, 0x7a, 0x80,
		0xcf, 0x00, 0x00, 0x01, 0xa1, 0xfd, 0x55, 0x7a, 0x81,
		0xce, 0x05, 0x26, 0x5c, 0x00, 0xcd, 0x03, 0x20, 0x03, 0xc2,
		0xa3, 'a', '1', '7', 0xa0,
	};
	struct clock_state s;
	struct clock_record rec;

	(void)state;
	test_v1((const char *)rec1, sizeof(rec1), &s, &rec);
	assert_int_equal(s.reply.state, RUN_OPEN);
	assert_int_equal(s.reply.start, T0);
	assert_int_equal(s.reply.created, T0 + 1);
	assert_int_equal(s.reply.target, DAY);
	assert_int_equal(s.reply.at_risk_permille, 800);
	assert_int_equal(s.reply.kind, CLOCK_HIGH);
	assert_false(s.reply.risk_fired);
	test_text(rec.agent, "a17");
	test_text(rec.category, "");
}

/* A v1 record of an open clock, [1, 2, 0, 0, 1, 0, 0, false, agent of n bytes, ""], into buf. */
static size_t
test_agent_record(char *buf, size_t n)
{
	memcpy(buf, "\x9a\x01\x02\x00\x00\x01\x00\x00\xc2\xd9", 10);
	buf[10] = (char)n;
	memset(buf + 11, 'a', n);
	buf[11 + n] = '\xa0';
	return 12 + n;
}

/* Version-1 records of other shapes or ranges, and junk, are refused (state zeroed); valid twins are not. */
static void
test_v1_refused(void **state)
{
	static const struct {
		const char *bytes;
		size_t len;
	} bad[] = {
		{ "\x92\x03\x00", 3 },                                   /* version 3 */
		{ "\x92\x02\x00", 3 },                                   /* version 2 of 2 members */
		{ "\x92\x00\x00", 3 },                                   /* version 0 */
		{ "\x92\x01\x04", 3 },                                   /* no phase 4 */
		{ "\x92\x01\xff", 3 },                                   /* phase -1 */
		{ "\x93\x01\x00\x00", 4 },                               /* idle with more */
		{ "\x93\x01\x01\x00", 4 },                               /* early without expiry */
		{ "\x94\x01\x01\x00\xc0", 5 },                           /* expiry nil */
		{ "\x94\x01\x01\x00\xff", 5 },                           /* expiry -1: no reply would wait */
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
		{ "\x94\x01\x01\x00\x01", 5 },
		{ "\x9a\x01\x02\x00\x00\x01\x00\x04\xc2\xa1x\xa0", 12 },
		{ "\x9a\x01\x02\x00\x00\x01\xcd\x03\xe8\x00\xc3\xa1x\xa0", 14 },
		{ "\x9a\x01\x03\x00\x00\x00\x00\x00\xc2\xa1x\xa1y", 13 },
	};
	char buf[160];
	struct clock_state s;
	struct clock_record rec;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(clock_record_decode(bad[i].bytes, bad[i].len, &s, &rec));
		assert_true(tc_zeroed(&s));
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(clock_record_decode(good[i].bytes, good[i].len, &s, &rec));
	/* An agent of EVENT_ID_MAX bytes is fine, one more is too long. */
	assert_true(clock_record_decode(buf, test_agent_record(buf, EVENT_ID_MAX), &s, &rec));
	assert_int_equal(rec.agent.len, EVENT_ID_MAX);
	assert_false(clock_record_decode(buf, test_agent_record(buf, EVENT_ID_MAX + 1), &s, &rec));
	/* Random bytes never crash, and a refusal always leaves the state zeroed. */
	srand(11);
	for (int n = 0; n < 20000; n++) {
		char junk[24];
		size_t len = (size_t)(rand() % (int)sizeof(junk));

		junk[0] = (char)(0x92 + rand() % 9); /* mostly arrays, so the members get read */
		for (size_t i = 1; i < len; i++)
			junk[i] = (char)(rand() % 6 == 0 ? rand() : rand() % 4);
		if (!clock_record_decode(junk, len, &s, &rec))
			assert_true(tc_zeroed(&s));
		clock_clear(&s);
	}
}

/* One change to the base record, and whether it must still decode. */
struct v2_case {
	int bin, off, bytes;             /* write value at bin[bin] + off (bytes wide); bin -1: none */
	int64_t value;
	bool ok;
};

/* Version-2 records out of shape or range are refused with the state zeroed; their valid twins are not. */
static void
test_v2_refused(void **state)
{
	static const struct v2_case cases[] = {
		{ 0, 0, 4, 31, true },                                   /* pause mask: every status */
		{ 0, 0, 4, 32, false },                                  /* a sixth status */
		{ 0, 4 + 48, 2, 1000, true },                            /* first reply at_risk 1000 */
		{ 0, 4 + 48, 2, 1001, false },
		{ 0, 4 + GOAL_BYTES + 8, 8, -1, false },                 /* next reply target -1 */
		{ 0, 4 + 2 * GOAL_BYTES + 40, 8, -1, false },            /* resolution promise -1 */
		{ 1, 50, 1, RUN_SETTLING, true },                        /* reply state */
		{ 1, 50, 1, RUN_SETTLING + 1, false },
		{ 1, RUN_BYTES + 51, 1, POLICY_RESOLUTION + 1, false },  /* resolution goal */
		{ 1, 52, 1, CLOCK_CRITICAL + 1, false },                 /* reply kind */
		{ 1, 48, 2, 1000, true },                                /* reply at_risk */
		{ 1, 48, 2, 1001, false },
		{ 1, 32, 8, INT64_MAX / 1000, true },                    /* reply target */
		{ 1, 32, 8, INT64_MAX / 1000 + 1, false },
		{ 1, RUN_BYTES + 32, 8, -1, false },                     /* resolution target -1 */
		{ 1, 40, 8, -1, false },                                 /* reply promise -1 */
		{ 3, 8, 1, TICKET_STATUS_COUNT - 1, true },              /* a status */
		{ 3, 8, 1, TICKET_STATUS_COUNT, false },
		{ 3, 9, 8, T0 + HOUR, false },                           /* the same change twice */
	};
	char name[256];
	struct v2 r;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test_v2_base(&r);
		test_le(r.bin[cases[i].bin] + cases[i].off, (uint64_t)cases[i].value, cases[i].bytes);
		if (cases[i].bin == 3 && cases[i].off == 9)
			r.bin[3][17] = STATUS_PENDING;
		if (test_v2_decodes(&r) != cases[i].ok)
			fail_msg("case %zu", i);
	}
	/* Shapes: version, member count and types, binary sizes. */
	test_v2_base(&r);
	assert_true(test_v2_decodes(&r));
	r.version = 3;
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
	/* A timeline of PAUSES_MAX changes is the most. */
	test_v2_base(&r);
	r.len[3] = 0;
	for (int i = 0; i < PAUSES_MAX; i++) {
		test_put(&r, 3, (uint64_t)(T0 + i), 8);
		test_put(&r, 3, STATUS_PENDING, 1);
	}
	assert_true(test_v2_decodes(&r));
	test_put(&r, 3, (uint64_t)(T0 + PAUSES_MAX), 8);
	test_put(&r, 3, STATUS_PENDING, 1);
	assert_false(test_v2_decodes(&r));
	/* Running clocks need terms and an agent (refused after the timeline was read: ASan sees it freed). */
	test_v2_base(&r);
	r.len[0] = 0;
	assert_false(test_v2_decodes(&r));
	test_v2_base(&r);
	r.str[2] = "";
	assert_false(test_v2_decodes(&r));
	/* With nothing running, neither is needed. */
	test_v2_base(&r);
	memset(r.bin[1], 0, r.len[1]);
	r.len[0] = 0;
	r.str[2] = "";
	assert_true(test_v2_decodes(&r));
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

/* A write callback that fails after a budget of bytes. */
static int
test_write_fails(void *data, const char *buf, size_t len)
{
	size_t *budget = data;

	(void)buf;
	if (len > *budget)
		return -1;
	*budget -= len;
	return 0;
}

/* A packer error anywhere in the record is reported. */
static void
test_pack_fails(void **state)
{
	struct terms vip;
	struct pauses p = { 0 };
	struct clock_state s = { 0 };
	msgpack_packer pk;
	char buf[REC_MAX];
	size_t len, budget;

	(void)state;
	test_vip(&vip);
	assert_true(pauses_note(&p, T0, STATUS_PENDING));
	s.terms = &vip;
	s.pauses = &p;
	s.reply = (struct clock_run){ T0, T0, 0, 0, DAY, 0, 800, RUN_OPEN, POLICY_FIRST_REPLY, CLOCK_HIGH, false, false,
		false, 0, 0, 0 };
	s.agent = A17;
	s.category = BILLING;
	len = test_pack(&s, buf, sizeof(buf));
	for (budget = 0; budget < len; budget++) {
		size_t left = budget;

		msgpack_packer_init(&pk, &left, test_write_fails);
		assert_false(clock_record_pack(&pk, &s, &TICKET));
	}
	budget = len;
	msgpack_packer_init(&pk, &budget, test_write_fails);
	assert_true(clock_record_pack(&pk, &s, &TICKET));
}

/* The state: 8 + 8 (terms, timeline) + 2 x 80 (clocks) + 3 x 8 + 2 x 4 + 2 = 210, aligned 216. */
static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct clock_run), 80);
	assert_int_equal(sizeof(struct clock_state), 216);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_v2_layout),
		cmocka_unit_test(test_v1_phases),
		cmocka_unit_test(test_v1_by_hand),
		cmocka_unit_test(test_v1_refused),
		cmocka_unit_test(test_v2_refused),
		cmocka_unit_test(test_v2_mutations),
		cmocka_unit_test(test_pack_fails),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, test_setup, NULL);
}
