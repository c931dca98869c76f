/* policy.h: reply policies: which tickets they match, their calendar, targets, promises and pauses (pure). */
#ifndef FEEDBACKD_POLICY_H
#define FEEDBACKD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "event.h"

#define POLICY_NAME_MAX 64           /* bytes of a policy or calendar name, NUL included */
#define POLICY_MATCH_MAX 16          /* values one match key may list */
#define POLICY_DEFAULT "default"     /* the policy every ticket falls back to */
#define POLICY_INHERIT INT64_C(-1)   /* a target left to [sla]: reply_target(.<severity>) */

/* The three clocks a ticket may run under its policy. */
enum policy_target {
	POLICY_FIRST_REPLY,   /* from the ticket's first opening event to the first reply */
	POLICY_NEXT_REPLY,    /* from each later customer message to the reply after it */
	POLICY_RESOLUTION     /* from the first opening event to a `solved` status */
};
#define POLICY_TARGET_COUNT 3

/*
 * One target, in business ms on the policy's calendar. target_ms 0: no such clock;
 * POLICY_INHERIT (first and next reply only): [sla]'s target for the ticket, reply_target for
 * a message, reply_target.<severity> for a complaint. promise_ms 0: no promise; else at least
 * the target (the configuration refuses less).
 */
struct policy_goal {
	int64_t target_ms;
	int64_t promise_ms;
	int at_risk_permille;          /* round(at_risk x 1000); 0 disables at-risk alerts */
};

/* What a policy matches; an empty list matches anything. */
struct policy_match {
	unsigned severities;           /* bit (1 << enum severity); 0: any (messages match only 0) */
	size_t n_categories, n_queues;
	char categories[POLICY_MATCH_MAX][EVENT_ID_MAX + 1];
	char queues[POLICY_MATCH_MAX][EVENT_ID_MAX + 1];
};

/* [policy.NAME]. */
struct policy {
	char name[POLICY_NAME_MAX];
	char calendar_name[POLICY_NAME_MAX];
	struct calendar *calendar;     /* borrowed from the configuration that made the policy */
	struct policy_match match;
	struct policy_goal goals[POLICY_TARGET_COUNT];
	unsigned pause_mask;           /* bit (1 << enum ticket_status) for each status that pauses */
};

/* The contract name of a target: "first_reply", "next_reply", "resolution". */
const char *policy_target_name(enum policy_target target);

/* Whether a ticket opened by e (a complaint or message) falls under p's match. */
bool policy_matches(const struct policy *p, const struct event *e);

/*
 * The policy for a ticket opened by e: the first of v[0..n) that matches, in file order, or
 * fallback (the default policy, which matches everything and so is kept out of v) when none does.
 */
const struct policy *policy_select(const struct policy *v, size_t n, const struct policy *fallback,
    const struct event *e);

#endif
