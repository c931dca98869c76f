/* terms.h: the frozen terms a ticket's clocks run under, and the book that keeps every version alive (pure). */
#ifndef FEEDBACKD_TERMS_H
#define FEEDBACKD_TERMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calendar.h"
#include "event.h"
#include "policy.h"

/* What opened a reply clock: a message, or a complaint of severity s (TERMS_MESSAGE + 1 + s). */
#define TERMS_KINDS (1 + SEVERITY_COUNT)

/* One target of a policy, resolved: its span for each kind of opening event. */
struct terms_goal {
	int64_t target_ms[TERMS_KINDS]; /* business ms; 0: no such clock */
	int64_t promise_ms;             /* business ms; 0: no promise */
	uint16_t at_risk_permille;      /* 0 disables the at-risk alert */
};

/*
 * A policy as a ticket started under it: [sla]'s values filled in where the policy inherits
 * them. A ticket keeps its terms until it is forgotten, whatever a reload changes, and its
 * checkpoint record carries them (with the calendar's name) so a restart finds them again.
 */
struct terms {
	char policy[POLICY_NAME_MAX];
	char calendar_name[POLICY_NAME_MAX];
	struct calendar *calendar;      /* the book's own copy */
	unsigned pause_mask;            /* bit (1 << enum ticket_status) for each status that pauses */
	struct terms_goal goals[POLICY_TARGET_COUNT];
};

/*
 * Every version of terms a ticket may hold, interned by content: a reload that changes
 * nothing makes nothing new, and an old version lives on for the tickets that use it. The
 * book only grows, by the distinct versions an operator configures (about 1 KB each).
 */
struct terms_book;

/* An empty book; NULL when out of memory. */
struct terms_book *terms_book_new(void);
void terms_book_free(struct terms_book *b);

/*
 * The book's copy of t, made on first sight; t->calendar is only read (its spec), and
 * calendar_name says which calendar it is. NULL when out of memory.
 */
const struct terms *terms_book_intern(struct terms_book *b, const struct terms *t);

/*
 * The terms of policy p: its goals, and where a target inherits, [sla]'s reply_target by kind
 * (sla_target_ms[TERMS_KINDS]).
 */
void terms_of_policy(const struct policy *p, const int64_t *sla_target_ms, struct terms *out);

#endif
