/* testutil_rule.c: windows, totals and a checked step shared by the rule test drivers. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "testutil_rule.h"

/* See testutil_rule.h. */
void
test_windows(struct windows *ws, const int64_t *spans, const char *const *names, size_t n)
{
	memset(ws, 0, sizeof *ws);
	ws->count = n;
	for (size_t i = 0; i < n; i++) {
		snprintf(ws->w[i].name, sizeof ws->w[i].name, "%s", names[i]);
		ws->w[i].span_ms = spans[i];
	}
}

/* See testutil_rule.h. */
void
test_default_windows(struct windows *ws)
{
	static const int64_t spans[] = { HOUR_MS, DAY_MS, 7 * DAY_MS, 30 * DAY_MS };
	static const char *const names[] = { "1h", "24h", "7d", "30d" };

	test_windows(ws, spans, names, 4);
}

/* See testutil_rule.h. */
struct rule_config
test_cfg(enum rule_id id)
{
	struct windows		ws;
	struct rule_config	cfg;

	test_default_windows(&ws);
	rule_defaults(id, &ws, &cfg);
	return cfg;
}

/* See testutil_rule.h. */
struct totals
test_csat(int64_t sat, int64_t s5)
{
	struct totals	t;

	memset(&t, 0, sizeof t);
	t.c[C_RATINGS] = s5;
	t.c[C_S5] = s5;
	t.c[C_SATISFIED] = sat;
	t.c[C_DISSATISFIED] = s5 - sat;
	return t;
}

/* See testutil_rule.h. */
struct totals
test_nps(int64_t pro, int64_t det, int64_t n10)
{
	struct totals	t;

	memset(&t, 0, sizeof t);
	t.c[C_RATINGS] = n10;
	t.c[C_N10] = n10;
	t.c[C_PROMOTERS] = pro;
	t.c[C_DETRACTORS] = det;
	return t;
}

/* See testutil_rule.h. */
struct totals
test_replies(int64_t cmp, int64_t rep, int64_t rn, int64_t resp_s)
{
	struct totals	t;

	memset(&t, 0, sizeof t);
	t.c[C_COMPLAINTS] = cmp;
	t.c[C_REPLIES] = rep;
	t.c[C_RESP_N] = rn;
	t.c[C_RESP_SUM_MS] = rn * resp_s * 1000;
	t.c[C_RESP_MAX_MS] = resp_s * 1000;
	return t;
}

/* See testutil_rule.h. */
enum rule_action
test_step(enum rule_id id, const struct rule_config *cfg, const struct totals *t,
    struct rule_state *st, int64_t now)
{
	struct rule_observation	obs;
	struct rule_state	next, inplace = *st;
	enum rule_action	a, b;

	rule_observe(id, cfg, t, &obs);
	memset(&next, 0xa5, sizeof next);
	a = rule_step(cfg, &obs, st, now, &next);
	assert_int_equal(a == RULE_NONE,
	    next.kind == st->kind && next.since_ms == st->since_ms &&
	    next.pending_since_ms == st->pending_since_ms &&
	    next.last_sent_ms == st->last_sent_ms);
	b = rule_step(cfg, &obs, &inplace, now, &inplace);
	assert_int_equal(a, b);
	/* Field by field: the padding after kind is not part of the state. */
	assert_int_equal(inplace.kind, next.kind);
	assert_int_equal(inplace.since_ms, next.since_ms);
	assert_int_equal(inplace.pending_since_ms, next.pending_since_ms);
	assert_int_equal(inplace.last_sent_ms, next.last_sent_ms);
	*st = next;
	return a;
}

/* See testutil_rule.h. */
void
test_state_is(const struct rule_state *st, enum rule_state_kind kind, int64_t since,
    int64_t pending_since, int64_t last_sent)
{
	assert_int_equal(st->kind, kind);
	assert_int_equal(st->since_ms, since);
	assert_int_equal(st->pending_since_ms, pending_since);
	assert_int_equal(st->last_sent_ms, last_sent);
}
