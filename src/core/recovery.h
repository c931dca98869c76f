/* recovery.h: a complaint ticket's service recovery: its answer, its follow-up and the customer's later rating (pure). */
#ifndef FEEDBACKD_RECOVERY_H
#define FEEDBACKD_RECOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "alert.h"
#include "event.h"
#include "stats.h"

#define RECOVERY_NONE INT64_C(-1) /* no time: not answered, not followed up, no timer */

/* [recovery], as docs/reply-clocks.md describes it. */
struct recovery_config {
	int64_t follow_up_within_ms; /* a follow-up is due this long after the complaint's answer */
	int64_t rating_within_ms;    /* a rating this long after the complaint still counts; then it is forgotten */
	int64_t grace_ms;            /* the follow-up is judged no sooner than this after the complaint was applied */
};

/*
 * One complaint's recovery: the last of the five steps (apology, fix, empathy, atonement,
 * follow-up) is the one an event shows, and the customer's next rating says whether it
 * worked. Malloc'ed with the id of the agent it is credited to: the complaint's.
 */
struct recovery {
	int64_t complaint;    /* ts of the complaint */
	int64_t created;      /* now_ms when the complaint was applied: history replayed later still gets its rating_within */
	int64_t answered;     /* ts of the first reply after it; RECOVERY_NONE: not yet */
	int64_t followed;     /* ts of the latest follow-up after it; RECOVERY_NONE: none */
	uint8_t severity;     /* enum severity of the complaint */
	bool due_fired;       /* the follow-up was missing at its due time: counted and alerted */
	bool rated;           /* the first rating after the complaint was counted */
	char agent[];
};

/* A counter change for the recovery's agent at an event time. */
struct recovery_add {
	enum counter counter;
	int64_t ts;
};

/* What a call did; each call resets it. */
struct recovery_effects {
	bool changed;                 /* checkpoint it */
	size_t n_adds;
	struct recovery_add adds[2];  /* each adds 1 */
	size_t n_alerts;
	struct alert_facts alert;     /* follow_up_due, firing or resolved, when n_alerts is 1 */
};

/* A new recovery for a complaint by agent at ts, applied at now_ms; NULL when out of memory. */
struct recovery *recovery_new(const char *agent, size_t len, enum severity severity, int64_t ts, int64_t now_ms);

/*
 * A reply stamped ts (follow_up: marked so): the first one after the complaint answers it;
 * a marked one after the answer follows it up. ticket names the alert's ticket.
 */
void recovery_reply(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t ts,
    bool follow_up, int64_t now_ms, struct recovery_effects *out);

/* A `follow_up` event stamped ts. */
void recovery_follow_up(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t ts,
    int64_t now_ms, struct recovery_effects *out);

/* A rating stamped ts: the first one after the complaint, within rating_within, is its outcome. */
void recovery_rating(struct recovery *r, const struct recovery_config *cfg, int64_t ts, bool satisfied,
    struct recovery_effects *out);

/* Whether a rating of score on scale says the customer is satisfied (4-5 of 5, 9-10 of 10). */
bool recovery_satisfied(int score, int scale);

/*
 * The recovery's timer ran at now_ms: a follow-up missing at its due time (none, or a late
 * one) is counted, and alerted while none came, unless the complaint was applied after it
 * was due (history replayed pages nobody). False when the recovery is over (rated and
 * followed up, or rating_within past both the complaint and its applying, with nothing to
 * judge): forget it.
 */
bool recovery_fire(struct recovery *r, const struct recovery_config *cfg, const char *ticket, int64_t now_ms,
    struct recovery_effects *out);

/*
 * When the recovery's timer runs next: when its follow-up is judged (its due time, or
 * grace_ms after the complaint was applied if later), or when it is over; RECOVERY_NONE
 * while a missing follow-up is awaited (kept until it comes).
 */
int64_t recovery_next(const struct recovery *r, const struct recovery_config *cfg);

#endif
