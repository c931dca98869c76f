/* testutil_clock.h: terms, names and checked effects shared by the clock test drivers. */
#ifndef FEEDBACKD_TESTUTIL_CLOCK_H
#define FEEDBACKD_TESTUTIL_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "calendar.h"
#include "clock.h"
#include "terms.h"

#define SEC INT64_C(1000)
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* 2026-11-21T09:00:00Z, a Saturday: the opening time of the examples in docs/alerts.md. */
#define T0 INT64_C(1795251600000)
#define FRI_16 (T0 - 17 * HOUR)           /* 2026-11-20T16:00:00Z, a Friday */
#define MON_09 (T0 + 2 * DAY)             /* 2026-11-23T09:00:00Z, the Monday after */
#define PAUSING ((1u << STATUS_PENDING) | (1u << STATUS_ON_HOLD))

/* The caller's handles, and the ticket every alert names. */
enum { A17, A18, BILLING };
extern const struct clock_names TICKET;

/* [sla] with nothing new: a 7d pair horizon, forget at once, count at once. */
extern const struct clock_config CFG;

/*
 * The default policy of the examples on the always calendar: first and next reply 8h for a
 * message, 24h for a complaint but 4h for a critical one, at_risk 0.8, no promise, no
 * resolution clock, pending and on_hold pause.
 */
void tc_terms(struct terms *t);

/* The example terms (tc_terms), filled by tc_setup, cmocka's group setup of every clock test. */
extern struct terms tc_def;
int tc_setup(void **state);

#define DUE (T0 + DAY)                    /* a high complaint's first-reply deadline (24h) */
#define RISK (T0 + 19 * HOUR + 12 * MIN)  /* its at-risk point, 0.8 x 24h in */

/* Sets every kind's target of goal g, its promise and at-risk. */
void tc_goal(struct terms *t, enum policy_target g, int64_t target, int64_t promise, int permille);

/* Mon-Fri 09:00-17:00 UTC, no holidays; calendar_free it. */
struct calendar *tc_office(void);

/* clock_open with a (not late) event of kind by agent, category billing, stamped ts. */
void tc_open(struct clock_state *s, const struct clock_config *cfg, const struct terms *t,
    enum clock_kind kind, uint32_t agent, int64_t ts, int64_t now, struct clock_effects *e);

/* clock_status that must succeed. */
void tc_status(struct clock_state *s, const struct clock_config *cfg, enum ticket_status st,
    int64_t ts, int64_t now, struct clock_effects *e);

/* Checks a call's effects except its adds and alerts, which must number n_adds, n_alerts. */
void tc_fx(const struct clock_effects *e, enum clock_fate fate, bool changed, int64_t next,
    int open, int overdue, size_t n_adds, size_t n_alerts);

/* One expected counter change. */
struct tc_add {
	enum counter counter;
	int64_t ts;
	int64_t value;
};

/* Checks adds [from, from + n) against want, all for agent. */
void tc_adds(const struct clock_effects *e, size_t from, uint32_t agent, const struct tc_add *want, size_t n);
#define TC_ADDS(e, from, agent, ...)                                                              \
	tc_adds((e), (from), (agent), (const struct tc_add[]){ __VA_ARGS__ },                     \
	    sizeof((const struct tc_add[]){ __VA_ARGS__ }) / sizeof(struct tc_add))

/*
 * Checks the figures a settled reply clock adds from index from: rn, rsum, rmax, then for a
 * first reply frn, frsum, frmax, else nrmax, all at stop with time took. Returns the index after.
 */
size_t tc_settled(const struct clock_effects *e, size_t from, uint32_t agent, bool first, int64_t stop,
    int64_t took);

/* The facts of one clock alert; -1 is absent; agent NULL is "a17". */
struct tc_alert {
	const char *rule, *state, *goal, *severity, *agent;
	int64_t since, at, start, due, target;
	int64_t late_ms, remaining_ms, response_ms;
	int64_t business_ms, wall_ms, promise_ms, promised;
	bool superseded;
};

/* Checks an alert about T-1001 (category billing) under the terms t. */
void tc_alert(const struct alert_facts *f, const struct terms *t, struct tc_alert want);

/* Whether a state is all zero, as a deleted ticket is. */
bool tc_zeroed(const struct clock_state *s);

/*
 * What a compact state keeps apart (clock.h), read back whether or not the ticket has extras:
 * the resolution clock (an idle one without extras), the early reply and its expiry (0: none),
 * the timeline (NULL: none).
 */
const struct clock_run *tc_res(const struct clock_state *s);
int64_t tc_early(const struct clock_state *s);
int64_t tc_expires(const struct clock_state *s);
const struct pauses *tc_pauses(const struct clock_state *s);

/* A clock's target, promise and at-risk fraction: its goal's in the ticket's terms, for its kind. */
int64_t tc_target(const struct clock_state *s, const struct clock_run *r);
int64_t tc_promise(const struct clock_state *s, const struct clock_run *r);
int tc_at_risk(const struct clock_state *s, const struct clock_run *r);

#endif
