/* testutil_rule.h: windows, totals and a checked step shared by the rule test drivers. */
#ifndef FEEDBACKD_TESTUTIL_RULE_H
#define FEEDBACKD_TESTUTIL_RULE_H

#include <stddef.h>
#include <stdint.h>

#include "rule.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)
/* 2026-11-22T10:00:00Z, a plausible "now". */
#define T0 INT64_C(1795428000000)

/* The shipped windows 1h,24h,7d,30d, built by hand (window.c is not linked). */
void test_windows(struct windows *ws, const int64_t *spans, const char *const *names, size_t n);

/* The default windows. */
void test_default_windows(struct windows *ws);

/* A rule's defaults over the default windows. */
struct rule_config test_cfg(enum rule_id id);

/* Totals of scale-5 ratings: sat satisfied out of s5. */
struct totals test_csat(int64_t sat, int64_t s5);

/* Totals of scale-10 ratings. */
struct totals test_nps(int64_t pro, int64_t det, int64_t n10);

/* Totals of complaints and replies; rn replies closed a clock, taking resp_s seconds each. */
struct totals test_replies(int64_t cmp, int64_t rep, int64_t rn, int64_t resp_s);

/*
 * Observes t and steps *st at now. Every call also checks the contract that
 * next equals current exactly when the action is RULE_NONE, and that
 * stepping in place (next == current) gives the same result.
 */
enum rule_action test_step(enum rule_id id, const struct rule_config *cfg, const struct totals *t,
    struct rule_state *st, int64_t now);

/* Asserts a state's four fields. */
void test_state_is(const struct rule_state *st, enum rule_state_kind kind, int64_t since,
    int64_t pending_since, int64_t last_sent);

#endif
