/* test_agent.c: an agent's checkpoint record: its round trip, older versions read; its response percentiles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "agent.h"

#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)
/* 2026-11-22T10:00:00Z */
#define T0 INT64_C(1795341600000)
/* The counters of version 1 records: enum counter through C_SLA_MISSED; of versions 2 and 3, through C_PROMISE_BROKEN. */
#define V1_COUNTERS (C_SLA_MISSED + 1)
#define V3_COUNTERS (C_PROMISE_BROKEN + 1)
/* The version agent_pack writes. */
#define CURRENT 5
/* 2026-11 and 2026-10, as month_t */
#define NOV ((month_t)(2026 * 12 + 10))
#define OCT (NOV - 1)

static struct windows ws;
static struct agent_plan plan, v1, v3;

/* The plan of an older version: its first counters of the same kinds. */
static void old_plan(struct agent_plan *p, size_t counters)
{
	enum rolling_kind kinds[COUNTER_COUNT];

	for (size_t c = 0; c < counters; c++)
		kinds[c] = stats_counter_is_max((enum counter)c) ? ROLLING_MAX : ROLLING_SUM;
	assert_true(rolling_plan_init(&p->counts, &ws, counters, kinds));
	p->responses = plan.responses;
}

/* The default windows; the current plan, version 1's (16 counters) and version 3's (29). */
static int setup(void **state)
{
	(void)state;
	assert_true(windows_parse("1h,24h,7d,30d", &ws, NULL, 0));
	assert_true(agent_plan_init(&plan, &ws));
	old_plan(&v1, V1_COUNTERS);
	old_plan(&v3, V3_COUNTERS);
	return 0;
}

/* An agent whose counts, laid out by p, have buckets in every tier; a firing rule and gauges. */
static void make_agent(struct agent *a, const struct agent_plan *p)
{
	/* Each event: a scale-5 rating of 4, a complaint, a reply closing a clock in 90.5 s, missed. */
	const struct rolling_inc incs[] = { { C_RATINGS, 1 }, { C_S5, 1 }, { C_SATISFIED, 1 }, { C_SCORE_SUM, 4 },
	    { C_COMPLAINTS, 1 }, { C_REPLIES, 1 }, { C_RESP_N, 1 }, { C_RESP_SUM_MS, 90500 },
	    { C_RESP_MAX_MS, 90500 }, { C_SLA_MISSED, 1 } };
	const int64_t ago[] = { 0, 10 * 60000, 2 * HOUR, 20 * HOUR, 3 * DAY, 6 * DAY, 12 * DAY, 29 * DAY };

	memset(a, 0, sizeof(*a));
	for (size_t k = 0; k < sizeof(ago) / sizeof(ago[0]); k++)
		assert_true(agent_count(a, p, T0, T0 - ago[k], incs, sizeof(incs) / sizeof(incs[0])));
	/* A longer reply, so the maximum differs from the other times. */
	assert_true(agent_count(a, p, T0, T0 - 5 * DAY, &(struct rolling_inc){ C_RESP_MAX_MS, 600500 }, 1));
	agent_advance(a, p, T0);
	a->open = 3;
	a->overdue = 1;
	a->newest_ms = T0;
	a->rules = calloc(RULE_COUNT, sizeof(*a->rules));
	assert_non_null(a->rules);
	a->rules[RULE_COMPLAINTS_ABOVE] = (struct rule_state){ RULE_FIRING, T0 - HOUR, T0 - 2 * HOUR, T0 - HOUR };
	/* Its months: a served ticket and the events' counts in November, one rating in October. */
	assert_true(appraisal_count(&a->months, NOV, NOV, incs, sizeof(incs) / sizeof(incs[0]), 1));
	assert_true(appraisal_count(&a->months, NOV, OCT, incs, 1, 0));
}

/* Asserts got's months are want's, figure by figure. */
static void assert_same_months(const struct agent *got, const struct agent *want)
{
	struct appraisal_view g[APPRAISAL_MONTHS], w[APPRAISAL_MONTHS];
	size_t n = appraisal_views(&want->months, NOV, w);

	assert_int_equal(appraisal_views(&got->months, NOV, g), n);
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(g[k].month, w[k].month);
		for (int i = 0; i < APPRAISAL_FIGURES; i++) {
			assert_int_equal(g[k].have[i], w[k].have[i]);
			if (w[k].have[i])
				assert_int_equal(g[k].value[i], w[k].value[i]);
		}
	}
}

/*
 * a packed as a record of the given version, its counts laid out by p; the caller frees the
 * buffer. Version 3 has no latest reply and the states of 5 rules; versions before it no
 * responses, team or active table either: the record's first 6 fields.
 */
static msgpack_sbuffer record(const struct agent *a, const struct agent_plan *p, uint8_t version)
{
	msgpack_sbuffer sb, old;
	msgpack_packer pk;
	msgpack_unpacked u;
	uint32_t fields = version >= CURRENT ? 11 : version == 4 ? 10 : version == 3 ? 9 : 6;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	assert_true(agent_pack(&pk, a, p));
	/* [version, ...]: a fixarray, then the version as a positive fixint. */
	assert_int_equal((uint8_t)sb.data[0], 0x9b);
	assert_int_equal((uint8_t)sb.data[1], CURRENT);
	sb.data[1] = (char)version;
	if (version >= CURRENT)
		return sb;
	msgpack_unpacked_init(&u);
	assert_int_equal(msgpack_unpack_next(&u, sb.data, sb.size, NULL), MSGPACK_UNPACK_SUCCESS);
	msgpack_sbuffer_init(&old);
	msgpack_packer_init(&pk, &old, msgpack_sbuffer_write);
	assert_int_equal(msgpack_pack_array(&pk, fields), 0);
	for (uint32_t i = 0; i < fields; i++) {
		const msgpack_object *m = &u.data.via.array.ptr[i];

		if (i != 5 || version >= 4) {
			assert_int_equal(msgpack_pack_object(&pk, *m), 0);
			continue;
		}
		/* the rule states: the first 5 rules' 4 fields each */
		assert_int_equal(msgpack_pack_array(&pk, 5 * 4), 0);
		for (uint32_t k = 0; k < 5 * 4; k++)
			assert_int_equal(msgpack_pack_object(&pk, m->via.array.ptr[k]), 0);
	}
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
	return old;
}

/* Asserts got (current plan) has want's gauges, rules, and counts (laid out by wp) in every window at now. */
static void assert_same_agent(struct agent *got, const struct agent *want, const struct agent_plan *wp,
    int64_t now)
{
	struct totals t[WINDOWS_MAX];
	int64_t flat[WINDOWS_MAX * ROLLING_SLOTS_MAX], got_nc, want_nc;

	assert_int_equal(got->open, want->open);
	assert_int_equal(got->overdue, want->overdue);
	assert_int_equal(got->newest_ms, want->newest_ms);
	assert_non_null(got->rules);
	for (int id = 0; id < RULE_COUNT; id++) {
		assert_int_equal(got->rules[id].kind, want->rules[id].kind);
		assert_int_equal(got->rules[id].since_ms, want->rules[id].since_ms);
		assert_int_equal(got->rules[id].pending_since_ms, want->rules[id].pending_since_ms);
		assert_int_equal(got->rules[id].last_sent_ms, want->rules[id].last_sent_ms);
	}
	agent_totals(got, &plan, now, t, &got_nc);
	rolling_totals(&want->counts, &wp->counts, now, flat, &want_nc);
	assert_int_equal(got_nc, want_nc);
	for (size_t w = 0; w < plan.counts.tiers; w++)
		for (size_t c = 0; c < COUNTER_COUNT; c++)
			assert_int_equal(t[w].c[c], c < wp->counts.slots ? flat[w * wp->counts.slots + c] : 0);
}

/* The plan's maxima are stats_counter_is_max's, and a record round-trips as the current version, percentiles too. */
static void test_round_trip(void **state)
{
	struct agent a, got;
	struct totals t[WINDOWS_MAX];
	msgpack_sbuffer sb;

	(void)state;
	assert_int_equal(plan.counts.slots, COUNTER_COUNT);
	assert_int_equal(plan.counts.max_slots, (UINT64_C(1) << C_RESP_MAX_MS) | (UINT64_C(1) << C_FIRST_MAX_MS) |
	    (UINT64_C(1) << C_NEXT_MAX_MS) | (UINT64_C(1) << C_RES_MAX_MS));
	make_agent(&a, &plan);
	assert_true(agent_count(&a, &plan, T0, T0, &(struct rolling_inc){ C_PROMISE_KEPT, 2 }, 1));
	sb = record(&a, &plan, CURRENT);
	memset(&got, 0, sizeof(got));
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	assert_same_agent(&got, &a, &plan, T0);
	assert_same_months(&got, &a);
	assert_int_equal(got.months.m[0].month + got.months.m[1].month, NOV + OCT);
	agent_totals(&got, &plan, T0, t, NULL);
	assert_int_equal(t[0].c[C_PROMISE_KEPT], 2);
	assert_int_equal(t[3].c[C_RATINGS], 8);
	/* 30d: eight 90.5 s replies and one of 600.5 s; 7d: six and the long one; by hand, 1.04^b */
	assert_int_equal(t[3].resp_n, 9);
	assert_int_equal(t[3].resp_p50_ms, 88736);
	assert_int_equal(t[3].resp_p90_ms, 606366);
	assert_int_equal(t[2].resp_n, 7);
	assert_int_equal(t[2].resp_p50_ms, 88736);
	assert_int_equal(t[2].resp_p90_ms, 606366);
	/* Kept percentiles: the same again; a new time, or a bucket leaving a window, changes them. */
	agent_totals(&got, &plan, T0 + 1, t, NULL);
	assert_int_equal(t[3].resp_n, 9);
	assert_true(agent_count(&got, &plan, T0 + 1, T0, &(struct rolling_inc){ C_RESP_MAX_MS, 600500 }, 1));
	assert_true(agent_count(&got, &plan, T0 + 1, T0, &(struct rolling_inc){ C_RESP_MAX_MS, 600500 }, 1));
	assert_true(agent_count(&got, &plan, T0 + 1, T0, &(struct rolling_inc){ C_RESP_MAX_MS, 600500 }, 1));
	agent_totals(&got, &plan, T0 + 1, t, NULL);
	assert_int_equal(t[3].resp_n, 12);
	assert_int_equal(t[3].resp_p90_ms, 606366);
	assert_int_equal(t[0].resp_n, 5); /* 2 events in 1h, and the three new ones */
	agent_totals(&got, &plan, T0 + 2 * HOUR, t, NULL);
	assert_int_equal(t[0].resp_n, 0);
	msgpack_sbuffer_destroy(&sb);
	agent_free(&got);
	agent_free(&a);
}

/* An agent's team and a group's active table round-trip; malformed ones are refused. */
static void test_team_and_group(void **state)
{
	struct agent a, g, got;
	msgpack_sbuffer sb;

	(void)state;
	make_agent(&a, &plan);
	assert_true(agent_set_team(&a, "billing"));
	sb = record(&a, &plan, CURRENT);
	memset(&got, 0, sizeof(got));
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	assert_string_equal(got.team, "billing");
	assert_null(got.active);
	msgpack_sbuffer_destroy(&sb);
	/* a group of 3 tasks: its active table, task by task, window by window */
	memset(&g, 0, sizeof(g));
	assert_true(agent_make_group(&g, 3));
	g.active[0 * WINDOWS_MAX + 1] = 4;
	g.active[2 * WINDOWS_MAX + 3] = 7;
	sb = record(&g, &plan, CURRENT);
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	assert_null(got.team);
	assert_int_equal(got.active_tasks, 3);
	assert_int_equal(got.active[0 * WINDOWS_MAX + 1], 4);
	assert_int_equal(got.active[2 * WINDOWS_MAX + 3], 7);
	assert_int_equal(got.active[1 * WINDOWS_MAX + 3], 0);
	/* a negative count is refused, got unchanged */
	g.active[1] = -1;
	msgpack_sbuffer_destroy(&sb);
	sb = record(&g, &plan, CURRENT);
	assert_false(agent_decode(sb.data, sb.size, &got, &plan));
	assert_int_equal(got.active[2 * WINDOWS_MAX + 3], 7);
	/* clearing the team */
	assert_true(agent_set_team(&a, NULL));
	assert_null(a.team);
	msgpack_sbuffer_destroy(&sb);
	agent_free(&got);
	agent_free(&g);
	agent_free(&a);
}

/*
 * A version 1 record (16 counters) decodes into the same totals, the new counters zero and no
 * response times (percentiles start from the upgrade), and saves as the current version.
 */
static void test_v1_widened(void **state)
{
	struct agent old, got, again;
	struct totals t[WINDOWS_MAX];
	msgpack_sbuffer sb, sb2;

	(void)state;
	make_agent(&old, &v1);
	sb = record(&old, &v1, 1);
	memset(&got, 0, sizeof(got));
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	for (int64_t now = T0; now <= T0 + 31 * DAY; now += 5 * HOUR + 17)
		assert_same_agent(&got, &old, &v1, now);
	/* By hand: 2 events in 1h, 4 in 24h, 6 in 7d (and the longer reply), 8 in 30d. */
	agent_totals(&got, &plan, T0, t, NULL);
	assert_int_equal(t[0].c[C_RATINGS], 2);
	assert_int_equal(t[1].c[C_SCORE_SUM], 16);
	assert_int_equal(t[2].c[C_SLA_MISSED], 6);
	assert_int_equal(t[2].c[C_RESP_SUM_MS], 543000);
	assert_int_equal(t[2].c[C_RESP_MAX_MS], 600500);
	assert_int_equal(t[1].c[C_RESP_MAX_MS], 90500);
	assert_int_equal(t[3].c[C_COMPLAINTS], 8);
	assert_int_equal(t[3].resp_n, 0);
	/* It counts on in the new counters, and is saved as the current version of the current plan. */
	assert_true(agent_count(&got, &plan, T0, T0, &(struct rolling_inc){ C_RES_MAX_MS, 7000 }, 1));
	assert_true(agent_count(&got, &plan, T0, T0, &(struct rolling_inc){ C_RESP_MAX_MS, 7000 }, 1));
	sb2 = record(&got, &plan, CURRENT);
	memset(&again, 0, sizeof(again));
	assert_true(agent_decode(sb2.data, sb2.size, &again, &plan));
	agent_totals(&again, &plan, T0, t, NULL);
	assert_int_equal(t[0].c[C_RES_MAX_MS], 7000);
	assert_int_equal(t[0].c[C_RATINGS], 2);
	assert_int_equal(t[0].resp_n, 1);
	assert_int_equal(t[0].resp_p50_ms, 6933);
	msgpack_sbuffer_destroy(&sb);
	msgpack_sbuffer_destroy(&sb2);
	agent_free(&again);
	agent_free(&got);
	agent_free(&old);
}

/* A version 3 record (29 counters, percentiles and team) keeps them all; the recovery counters start at zero. */
static void test_v3_widened(void **state)
{
	struct agent old, got;
	struct totals t[WINDOWS_MAX], want[WINDOWS_MAX];
	msgpack_sbuffer sb;

	(void)state;
	make_agent(&old, &v3);
	assert_true(agent_count(&old, &v3, T0, T0, &(struct rolling_inc){ C_PROMISE_BROKEN, 3 }, 1));
	assert_true(agent_count(&old, &v3, T0, T0, &(struct rolling_inc){ C_RESP_MAX_MS, 7000 }, 1));
	assert_true(agent_set_team(&old, "billing"));
	sb = record(&old, &v3, 3);
	memset(&got, 0, sizeof(got));
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	agent_totals(&old, &v3, T0, want, NULL);
	agent_totals(&got, &plan, T0, t, NULL);
	assert_int_equal(t[0].c[C_PROMISE_BROKEN], 3);
	assert_int_equal(t[0].c[C_RECOVERED], 0);
	/* the two replies of the last hour and the new time */
	assert_int_equal(t[0].resp_n, 3);
	assert_int_equal(t[0].resp_p50_ms, want[0].resp_p50_ms);
	assert_int_equal(t[3].resp_p90_ms, want[3].resp_p90_ms);
	assert_string_equal(got.team, "billing");
	for (int64_t now = T0; now <= T0 + 31 * DAY; now += 5 * HOUR + 17)
		assert_same_agent(&got, &old, &v3, now);
	msgpack_sbuffer_destroy(&sb);
	agent_free(&got);
	agent_free(&old);
}

/* A version 4 record (no months) keeps everything else; its months count from the upgrade. */
static void test_v4_no_months(void **state)
{
	struct agent a, got;
	msgpack_sbuffer sb;

	(void)state;
	make_agent(&a, &plan);
	a.last_reply_ms = T0 - 5;
	sb = record(&a, &plan, 4);
	memset(&got, 0, sizeof(got));
	assert_true(agent_decode(sb.data, sb.size, &got, &plan));
	assert_same_agent(&got, &a, &plan, T0);
	assert_int_equal(got.last_reply_ms, T0 - 5);
	assert_true(appraisal_empty(&got.months));
	assert_int_equal(got.rules[RULE_COMPLAINTS_ABOVE].kind, RULE_FIRING);
	msgpack_sbuffer_destroy(&sb);
	agent_free(&got);
	agent_free(&a);
}

/* A version's counts must be its own plan's; other versions are refused; a refusal changes nothing. */
static void test_versions_refused(void **state)
{
	struct agent old, cur, got;
	msgpack_sbuffer v2_of_v1, v1_of_cur, v3_of_cur, later;
	struct totals t[WINDOWS_MAX];

	(void)state;
	make_agent(&old, &v1);
	make_agent(&cur, &plan);
	v2_of_v1 = record(&old, &v1, 2);
	v1_of_cur = record(&cur, &plan, 1);
	v3_of_cur = record(&cur, &plan, 3);
	later = record(&cur, &plan, CURRENT + 1);
	memset(&got, 0, sizeof(got));
	assert_true(agent_count(&got, &plan, T0, T0, &(struct rolling_inc){ C_RATINGS, 5 }, 1));
	assert_false(agent_decode(v2_of_v1.data, v2_of_v1.size, &got, &plan));
	assert_false(agent_decode(v1_of_cur.data, v1_of_cur.size, &got, &plan));
	assert_false(agent_decode(v3_of_cur.data, v3_of_cur.size, &got, &plan));
	assert_false(agent_decode(later.data, later.size, &got, &plan));
	later.data[1] = 0;
	assert_false(agent_decode(later.data, later.size, &got, &plan));
	agent_totals(&got, &plan, T0, t, NULL);
	assert_int_equal(t[0].c[C_RATINGS], 5);
	assert_null(got.rules);
	msgpack_sbuffer_destroy(&v2_of_v1);
	msgpack_sbuffer_destroy(&v1_of_cur);
	msgpack_sbuffer_destroy(&v3_of_cur);
	msgpack_sbuffer_destroy(&later);
	agent_free(&got);
	agent_free(&cur);
	agent_free(&old);
}

/* Runs the agent record tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_v1_widened),
		cmocka_unit_test(test_v3_widened),
		cmocka_unit_test(test_v4_no_months),
		cmocka_unit_test(test_versions_refused),
		cmocka_unit_test(test_team_and_group),
	};

	return cmocka_run_group_tests_name("agent", tests, setup, NULL);
}
