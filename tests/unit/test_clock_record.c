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
#include "testutil_clock_record.h"

/* Whether a state needs extras: a timeline, a resolution clock or an early reply. */
static bool
test_needs_extra(const struct clock_state *s)
{
	return (tc_pauses(s) != NULL && tc_pauses(s)->n > 0) || tc_res(s)->state != RUN_IDLE || tc_expires(s) > 0 ||
	    (s->reply.state != RUN_IDLE && (s->reply.risk_fired || s->reply.breach_counted || s->reply.promise_fired));
}

/*
 * Checks every member a record carries: both clocks and their settle times, the ticket's, its
 * timeline, and (with extras) the starts of the fired episodes. The extras come back exactly
 * when something needs them.
 */
static void
test_same(const struct clock_state *got, const struct clock_state *want)
{
	const struct pauses *gp = tc_pauses(got), *wp = tc_pauses(want);

	test_same_run(&got->reply, &want->reply);
	test_same_run(tc_res(got), tc_res(want));
	assert_int_equal(got->when, want->when);
	assert_int_equal(tc_early(got), tc_early(want));
	assert_int_equal(tc_expires(got), tc_expires(want));
	assert_int_equal(got->replied, want->replied);
	assert_int_equal(got->solved, want->solved);
	assert_null(got->terms); /* the caller's to set, as agent and category */
	assert_int_equal(got->agent, 0);
	assert_int_equal(got->category, 0);
	assert_int_equal(got->extra != NULL, test_needs_extra(want));
	if (got->extra == NULL)
		return;
	if (tc_res(want)->state == RUN_SETTLING)
		assert_int_equal(got->extra->settle_at, want->extra->settle_at);
	/* The starts of fired episodes come back as they were, kept or (without extras) the points. */
	for (int c = 0; c < 2; c++) {
		const struct clock_run *g = c == 0 ? &got->reply : tc_res(got), *w = c == 0 ? &want->reply : tc_res(want);
		const bool fired[CLOCK_EPISODES] = {w->risk_fired, w->breach_counted, w->promise_fired};

		for (int i = 0; i < CLOCK_EPISODES; i++)
			assert_int_equal(got->extra->since[c][i], fired[i] && w->state != RUN_IDLE ?
			    clock_since(want, w, (enum clock_episode)i) : 0);
		(void)g;
	}
	if (wp == NULL || wp->n == 0) {
		assert_null(gp);
		return;
	}
	assert_non_null(gp);
	assert_int_equal(gp->n, wp->n);
	for (size_t i = 0; i < wp->n; i++) {
		assert_int_equal(gp->at[i].ts, wp->at[i].ts);
		assert_int_equal(gp->at[i].status, wp->at[i].status);
	}
}

/* Packs a state into buf; returns its length. */
static size_t
test_pack(const struct clock_state *s, char *buf, size_t size)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(clock_record_pack(&pk, s, &TICKET, NULL));
	return test_sbuffer_take(&sb, buf, size);
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
	struct terms vip, vip2;
	struct pauses p = { 0 }, full = { 0 };
	struct clock_extra x;
	struct clock_state s;

	(void)state;
	test_vip(&vip);
	assert_true(pauses_note(&p, T0 + HOUR, STATUS_PENDING));
	assert_true(pauses_note(&p, T0 + 2 * HOUR, STATUS_OPEN));
	assert_true(pauses_note(&p, T0 - 5, STATUS_SOLVED));
	for (int i = 0; i < PAUSES_MAX; i++)
		assert_true(pauses_note(&full, T0 + i * MIN, (enum ticket_status)(i % TICKET_STATUS_COUNT)));
	/*
	 * Open and overdue, every flag, an early reply and the timeline; names held. The clocks'
	 * targets, promises and at-risk fractions are the terms' (and travel with them).
	 */
	tc_goal(&vip, POLICY_FIRST_REPLY, DAY, 36 * HOUR, 800);
	tc_goal(&vip, POLICY_RESOLUTION, 48 * HOUR, 72 * HOUR, 1000);
	memset(&s, 0, sizeof(s));
	memset(&x, 0, sizeof(x));
	s.terms = &vip;
	s.extra = &x;
	x.pauses = &p;
	s.reply = (struct clock_run){ .start = T0 - 1, .created = T0, .state = RUN_OPEN, .goal = POLICY_FIRST_REPLY,
		.kind = CLOCK_HIGH, .risk_fired = true };
	x.resolution = (struct clock_run){ .start = T0 - 2, .created = -5, .state = RUN_OVERDUE,
		.goal = POLICY_RESOLUTION, .kind = CLOCK_CRITICAL, .breach_counted = true, .promise_fired = true };
	x.since[0][CLOCK_RISK] = T0 + HOUR;
	x.since[1][CLOCK_BREACH] = T0 + 2 * HOUR;
	x.since[1][CLOCK_PROMISE] = T0 + 3 * HOUR;
	x.early = T0 + 3 * HOUR;
	x.expires = T0 + 3 * HOUR + 7 * DAY;
	s.replied = true;
	s.agent = A17;
	s.category = BILLING;
	test_trip(&s, "a17", "billing");
	/* Both settling (each its own settle time), no category, a full timeline, solved. */
	test_vip(&vip2);
	tc_goal(&vip2, POLICY_NEXT_REPLY, 2 * HOUR, 0, 0);
	tc_goal(&vip2, POLICY_RESOLUTION, HOUR, HOUR, 1);
	s.terms = &vip2;
	x.pauses = &full;
	s.reply = (struct clock_run){ .start = T0, .stop = T0 + 2, .state = RUN_SETTLING, .goal = POLICY_NEXT_REPLY,
		.kind = CLOCK_MESSAGE, .breach_counted = true };
	s.when = T0 + 3;
	x.resolution = (struct clock_run){ .start = T0 + 4, .stop = T0 + 6, .state = RUN_SETTLING,
		.goal = POLICY_RESOLUTION, .kind = CLOCK_LOW, .risk_fired = true, .promise_fired = true };
	x.settle_at = T0 + 7;
	memset(x.since, 0, sizeof(x.since));
	x.since[0][CLOCK_BREACH] = T0 + 4 * HOUR;
	x.since[1][CLOCK_RISK] = T0 + 5 * HOUR;
	x.since[1][CLOCK_PROMISE] = T0 + 6 * HOUR;
	x.early = x.expires = 0;
	s.solved = true;
	s.category = CLOCK_NO_NAME;
	test_trip(&s, "a17", "");
	/* The reply clock settling alone, with no extras: its settle time is the state's. */
	s.terms = &vip;
	s.extra = NULL;
	test_trip(&s, "a17", "");
	/* Remembered: terms and timeline, nothing running, so no names. */
	s.extra = &x;
	memset(&s.reply, 0, sizeof(s.reply));
	memset(&x, 0, sizeof(x));
	x.pauses = &p;
	s.when = T0 + 30 * DAY;
	test_trip(&s, "", "");
	/* Remembered with no timeline: no extras. */
	s.extra = NULL;
	test_trip(&s, "", "");
	/* A reply clock alone that fired everything: its starts (its points) come back in extras. */
	s.reply = (struct clock_run){ .start = T0, .created = T0 + 1, .state = RUN_OVERDUE, .goal = POLICY_FIRST_REPLY,
		.kind = CLOCK_CRITICAL, .risk_fired = true, .breach_counted = true, .promise_fired = true };
	s.when = 0;
	s.category = BILLING;
	test_trip(&s, "a17", "billing");
	/* Only an early reply: no terms, no timeline. */
	memset(&s, 0, sizeof(s));
	memset(&x, 0, sizeof(x));
	s.extra = &x;
	x.early = T0 + HOUR;
	x.expires = T0 + HOUR + 7 * DAY;
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
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, T0 + HOUR, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 2 * HOUR, T0 + 2 * HOUR, &e);
	len = test_pack(&s, buf, sizeof(buf));
	assert_true(clock_record_decode(buf, len, &out, &rec));
	assert_true(rec.has_terms);
	test_same_terms(&rec.terms, &tc_def);
	out.terms = &tc_def; /* as the caller interns rec.terms */
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

/*
 * The starts of fired episodes travel in the record: resumed after a status event moved the
 * points, a clock resolves the episode it fired.
 */
static void
test_resume_since(void **state)
{
	struct clock_state s = { 0 }, out;
	struct clock_record rec;
	struct clock_effects e;
	char buf[REC_MAX];
	size_t len;
	const int64_t risk = T0 + 19 * HOUR + 12 * MIN;

	(void)state;
	tc_open(&s, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0, &e);
	assert_true(clock_fire(&s, &CFG, risk, &TICKET, &e));
	tc_status(&s, &CFG, STATUS_PENDING, T0 + HOUR, risk + MIN, &e);
	tc_status(&s, &CFG, STATUS_OPEN, T0 + 2 * HOUR, risk + MIN, &e);
	len = test_pack(&s, buf, sizeof(buf));
	assert_true(clock_record_decode(buf, len, &out, &rec));
	out.terms = &tc_def;
	out.agent = A17;
	out.category = BILLING;
	assert_non_null(out.extra);
	assert_int_equal(out.extra->since[0][CLOCK_RISK], risk);
	assert_int_equal(clock_due(&out), T0 + DAY + HOUR);
	clock_reply(&out, &CFG, T0 + 21 * HOUR, T0 + 21 * HOUR, &TICKET, &e);
	assert_int_equal(e.n_alerts, 1);
	assert_string_equal(e.alerts[0].rule, "reply_sla_at_risk");
	assert_string_equal(e.alerts[0].state, "resolved");
	assert_int_equal(e.alerts[0].since, risk);
	assert_int_equal(e.alerts[0].due, T0 + DAY + HOUR);
	assert_true(tc_zeroed(&out));
	clock_clear(&s);
}

/* Decodes one version-1 record that must be accepted. */
static void
test_v1(const char *bytes, size_t len, struct clock_state *s, struct clock_record *rec)
{
	assert_true(clock_record_decode(bytes, len, s, rec));
	assert_false(rec->has_terms);
	assert_null(tc_pauses(s));
	assert_int_equal(tc_res(s)->state, RUN_IDLE);
	assert_int_equal(s->when, 0);
	assert_false(s->replied);
	assert_false(s->solved);
	/* A running clock's target and at-risk are the record's own: the task builds its terms with them. */
	assert_int_equal(rec->v1_running, clock_holds_names(s));
	if (!rec->v1_running) {
		assert_int_equal(rec->v1_target, 0);
		assert_int_equal(rec->v1_at_risk_permille, 0);
	}
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
	assert_non_null(s.extra); /* the early reply is an extra, the decoder's allocation */
	clock_clear(&s);
	clock_clear(&want);
	/* Open: the first-reply clock tc_open starts at T0 + 1. */
	tc_open(&want, &CFG, &tc_def, CLOCK_HIGH, A17, T0, T0 + 1, &e);
	test_v1(open, sizeof(open) - 1, &s, &rec);
	test_same(&s, &want);
	assert_true(rec.v1_running);
	assert_int_equal(rec.v1_target, DAY);
	assert_int_equal(rec.v1_at_risk_permille, 800);
	test_text(rec.agent, "a17");
	test_text(rec.category, "billing");
	s.terms = &tc_def; /* the default policy's (the same target and at-risk here), as the caller gives it */
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
	assert_true(rec.v1_running);
	assert_int_equal(rec.v1_target, DAY);
	assert_int_equal(rec.v1_at_risk_permille, 800);
	clock_clear(&s); /* what fired keeps its start in extras */
	/* at_risk 1000 was a valid v1 record (0.9995 and over round to it), and still is. */
	test_v1("\x9a\x01\x02\x00\x00\x01\xcd\x03\xe8\x00\xc3\xa1x\xa0", 14, &s, &rec);
	assert_int_equal(rec.v1_at_risk_permille, 1000);
	assert_int_equal(rec.v1_target, 1);
	clock_clear(&s);
	clock_clear(&want);
}

/* Packs a version-1 running record [1, phase, start, created, target, permille, kind, risk_fired, agent, category]. */
static size_t
test_v1_pack(char *buf, size_t size, int phase, int64_t target, int permille, int kind, bool risk_fired,
    const char *category)
{
	msgpack_sbuffer sb;
	msgpack_packer pk;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 10);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, phase);
	msgpack_pack_int64(&pk, T0);
	msgpack_pack_int64(&pk, T0 + 1);
	msgpack_pack_int64(&pk, target);
	msgpack_pack_int(&pk, permille);
	msgpack_pack_int(&pk, kind);
	if (risk_fired)
		msgpack_pack_true(&pk);
	else
		msgpack_pack_false(&pk);
	msgpack_pack_str(&pk, 3);
	msgpack_pack_str_body(&pk, "a17", 3);
	msgpack_pack_str(&pk, strlen(category));
	msgpack_pack_str_body(&pk, category, strlen(category));
	return test_sbuffer_take(&sb, buf, size);
}

/*
 * A version-1 running record decodes to v1_running with its own target and at-risk (the [sla]
 * of the release that wrote it), no terms and no extras. Under the default policy's terms with
 * those, as the task builds them, it fires and resolves as that release's clock would.
 */
static void
test_v1_running(void **state)
{
	struct terms v1 = tc_def;
	struct clock_state s;
	struct clock_record rec;
	struct clock_effects e;
	char buf[160];

	(void)state;
	/* Open: a message clock of 2h (the default's is 8h), at risk at 0.5 (the default's 0.8). */
	test_v1(buf, test_v1_pack(buf, sizeof(buf), 2, 2 * HOUR, 500, CLOCK_MESSAGE, false, "billing"), &s, &rec);
	assert_true(rec.v1_running);
	assert_int_equal(rec.v1_target, 2 * HOUR);
	assert_int_equal(rec.v1_at_risk_permille, 500);
	test_text(rec.agent, "a17");
	test_text(rec.category, "billing");
	assert_null(s.extra);
	assert_null(s.terms);
	assert_int_equal(s.reply.state, RUN_OPEN);
	assert_int_equal(s.reply.goal, POLICY_FIRST_REPLY);
	assert_int_equal(s.reply.kind, CLOCK_MESSAGE);
	assert_int_equal(s.reply.start, T0);
	assert_int_equal(s.reply.created, T0 + 1);
	assert_false(s.reply.risk_fired);
	assert_false(s.reply.breach_counted);
	v1.goals[POLICY_FIRST_REPLY].target_ms[CLOCK_MESSAGE] = rec.v1_target;
	v1.goals[POLICY_FIRST_REPLY].at_risk_permille = rec.v1_at_risk_permille;
	s.terms = &v1;
	s.agent = A17;
	s.category = BILLING;
	assert_int_equal(clock_due(&s), T0 + 2 * HOUR);
	assert_int_equal(clock_next(&s), T0 + HOUR);
	assert_true(clock_fire(&s, &CFG, T0 + HOUR, &TICKET, &e));
	assert_int_equal(e.n_alerts, 1);
	assert_string_equal(e.alerts[0].rule, "reply_sla_at_risk");
	assert_int_equal(e.alerts[0].since, T0 + HOUR);
	assert_int_equal(e.alerts[0].target, 2 * HOUR);
	assert_int_equal(e.alerts[0].remaining_ms, HOUR);
	assert_null(s.extra);
	/* Overdue, its at-risk fired (phase 3): resolved at start + target, as that release fired its breach. */
	test_v1(buf, test_v1_pack(buf, sizeof(buf), 3, 2 * HOUR, 500, CLOCK_MESSAGE, true, ""), &s, &rec);
	assert_true(rec.v1_running);
	assert_int_equal(rec.v1_target, 2 * HOUR);
	assert_int_equal(rec.v1_at_risk_permille, 500);
	assert_int_equal(s.reply.state, RUN_OVERDUE);
	assert_true(s.reply.risk_fired);
	assert_true(s.reply.breach_counted);
	s.terms = &v1;
	s.agent = A17;
	s.category = CLOCK_NO_NAME;
	assert_true(clock_reply_overdue(&s));
	assert_int_equal(clock_next(&s), CLOCK_NONE);
	clock_reply(&s, &CFG, T0 + 3 * HOUR, T0 + 3 * HOUR, &TICKET, &e);
	tc_fx(&e, CLOCK_DELETE, true, CLOCK_NONE, -1, -1, 6, 1);
	assert_string_equal(e.alerts[0].rule, "reply_sla_breach");
	assert_string_equal(e.alerts[0].state, "resolved");
	assert_int_equal(e.alerts[0].since, T0 + 2 * HOUR);
	assert_int_equal(e.alerts[0].response_ms, 3 * HOUR);
	assert_true(tc_zeroed(&s));
	/* A critical complaint's: only that kind's target is its own. */
	test_v1(buf, test_v1_pack(buf, sizeof(buf), 2, 90 * MIN, 0, CLOCK_CRITICAL, false, ""), &s, &rec);
	assert_int_equal(s.reply.kind, CLOCK_CRITICAL);
	assert_int_equal(rec.v1_target, 90 * MIN);
	assert_int_equal(rec.v1_at_risk_permille, 0);
	/* Idle and early records run nothing: not v1_running (test_v1 checks it), the early reply an extra. */
	test_v1("\x92\x01\x00", 3, &s, &rec);
	assert_false(rec.v1_running);
	test_v1("\x94\x01\x01\x05\x06", 5, &s, &rec);
	assert_false(rec.v1_running);
	assert_non_null(s.extra);
	assert_int_equal(s.extra->early, 5);
	assert_int_equal(s.extra->expires, 6);
	assert_null(s.extra->pauses);
	assert_int_equal(s.extra->resolution.state, RUN_IDLE);
	clock_clear(&s);
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
	assert_true(rec.v1_running);
	assert_int_equal(rec.v1_target, DAY);
	assert_int_equal(rec.v1_at_risk_permille, 800);
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
		{ "\xdc\x00\x02\x01\x00", 5 },                           /* an array16, but of a recovery's 16 */
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
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		assert_true(clock_record_decode(good[i].bytes, good[i].len, &s, &rec));
		clock_clear(&s); /* an early reply is the decoder's allocation */
	}
	/* An agent of EVENT_ID_MAX bytes is fine, one more is too long. */
	assert_true(clock_record_decode(buf, test_agent_record(buf, EVENT_ID_MAX), &s, &rec));
	assert_int_equal(rec.agent.len, EVENT_ID_MAX);
	clock_clear(&s);
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
	struct clock_extra x = { 0 };
	struct clock_state s = { 0 };
	msgpack_packer pk;
	char buf[REC_MAX];
	size_t len, budget;

	(void)state;
	test_vip(&vip);
	tc_goal(&vip, POLICY_FIRST_REPLY, DAY, 0, 800);
	assert_true(pauses_note(&p, T0, STATUS_PENDING));
	s.terms = &vip;
	s.extra = &x;
	x.pauses = &p;
	s.reply = (struct clock_run){ .start = T0, .created = T0, .state = RUN_OPEN, .goal = POLICY_FIRST_REPLY,
		.kind = CLOCK_HIGH };
	s.agent = A17;
	s.category = BILLING;
	len = test_pack(&s, buf, sizeof(buf));
	for (budget = 0; budget < len; budget++) {
		size_t left = budget;

		msgpack_packer_init(&pk, &left, test_write_fails);
		assert_false(clock_record_pack(&pk, &s, &TICKET, NULL));
	}
	budget = len;
	msgpack_packer_init(&pk, &budget, test_write_fails);
	assert_true(clock_record_pack(&pk, &s, &TICKET, NULL));
}

/* Packs an empty clock and recovery r, then member `member` replaced by value (member < 0: none). */
static msgpack_sbuffer
test_recovery_record(const struct recovery *r, int member, int64_t value)
{
	static const struct clock_state empty;
	msgpack_sbuffer sb, out;
	msgpack_packer pk;
	msgpack_unpacked u;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(clock_record_pack(&pk, &empty, &TICKET, r));
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	assert_int_equal(u.data.via.array.size, 16);
	msgpack_sbuffer_init(&out);
	msgpack_packer_init(&pk, &out, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_array(&pk, member == 16 ? 15 : 16), 0);
	for (int i = 0; i < 16; i++) {
		if (i == member && member == 16)
			break;
		if (i == member)
			assert_int_equal(msgpack_pack_int64(&pk, value), 0);
		else
			assert_int_equal(msgpack_pack_object(&pk, u.data.via.array.ptr[i]), 0);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return out;
}

/* A ticket in service recovery keeps it in six more members, read back exactly; bad ones are refused. */
static void
test_recovery_members(void **state)
{
	struct recovery *r = recovery_new("a17", 3, SEVERITY_HIGH, T0, T0 + 5);
	struct clock_state s;
	struct clock_record rec;
	msgpack_sbuffer sb;
	/* member, value: severity 4, flags 4, answered -2, created -1, complaint -1, a number for the agent; 16: one short */
	static const int64_t bad[][2] = {{14, 4}, {15, 4}, {12, -2}, {11, -1}, {10, -1}, {9, 7}, {16, 0}};

	(void)state;
	assert_non_null(r);
	r->answered = T0 + 60000;
	r->followed = RECOVERY_NONE;
	r->due_fired = true;
	sb = test_recovery_record(r, -1, 0);
	assert_true(clock_record_decode(sb.data, sb.size, &s, &rec));
	assert_true(clock_empty(&s));
	assert_non_null(rec.recovery);
	assert_string_equal(rec.recovery->agent, "a17");
	assert_int_equal(rec.recovery->complaint, T0);
	assert_int_equal(rec.recovery->created, T0 + 5);
	assert_int_equal(rec.recovery->answered, T0 + 60000);
	assert_int_equal(rec.recovery->followed, RECOVERY_NONE);
	assert_int_equal(rec.recovery->severity, SEVERITY_HIGH);
	assert_true(rec.recovery->due_fired);
	assert_false(rec.recovery->rated);
	free(rec.recovery);
	msgpack_sbuffer_destroy(&sb);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		sb = test_recovery_record(r, (int)bad[i][0], bad[i][1]);
		assert_false(clock_record_decode(sb.data, sb.size, &s, &rec));
		assert_null(rec.recovery);
		msgpack_sbuffer_destroy(&sb);
	}
	free(r);
}

/*
 * Every open ticket holds one state, and 1,000,000 open clocks must fit: at 64 bytes that is
 * 64 MB of states (it was 216 bytes, 216 MB). A clock: start and created-or-stop (8 each) and
 * six one-byte members, 22, aligned 24 (its target, promise and at-risk are the terms'). The
 * state: terms and extras (8 each), the reply clock (24), when (8), agent and category (4 each),
 * two flags, 58, aligned 64; the rest (timeline, resolution clock, early reply, the fired
 * episodes' starts) is in the extras, which the common ticket never has (test_clock_status).
 */
static void
test_size(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct clock_run), 24);
	assert_int_equal(sizeof(struct clock_state), 64);
}

/* Runs the record tests: packed and read back, version 1, pack errors, recovery, size. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_resume),
		cmocka_unit_test(test_resume_since),
		cmocka_unit_test(test_v1_phases),
		cmocka_unit_test(test_v1_running),
		cmocka_unit_test(test_v1_by_hand),
		cmocka_unit_test(test_v1_refused),
		cmocka_unit_test(test_pack_fails),
		cmocka_unit_test(test_recovery_members),
		cmocka_unit_test(test_size),
	};

	return cmocka_run_group_tests(tests, tc_setup, NULL);
}
