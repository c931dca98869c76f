/* terms.c: the frozen terms a ticket's clocks run under, and the book that keeps every version alive (pure). */
#include "terms.h"

#include <stdlib.h>
#include <string.h>

/* One interned version; the book owns its calendar (unless it is always). */
struct terms_entry {
	struct terms t;
	struct terms_entry *next;
};

struct terms_book {
	struct terms_entry *head;
};

/* See terms.h. */
struct terms_book *
terms_book_new(void)
{
	return calloc(1, sizeof(struct terms_book));
}

/* See terms.h. */
void
terms_book_free(struct terms_book *b)
{
	struct terms_entry *e, *next;

	if (b == NULL)
		return;
	for (e = b->head; e != NULL; e = next) {
		next = e->next;
		calendar_free(e->t.calendar);
		free(e);
	}
	free(b);
}

/* Whether two goals are the same, member by member (padding says nothing). */
static bool
terms_goal_equal(const struct terms_goal *a, const struct terms_goal *b)
{
	return memcmp(a->target_ms, b->target_ms, sizeof(a->target_ms)) == 0 &&
	    a->promise_ms == b->promise_ms && a->at_risk_permille == b->at_risk_permille;
}

/* Whether two terms say the same, calendars compared by what they were made from. */
static bool
terms_equal(const struct terms *a, const struct terms *b)
{
	for (int g = 0; g < POLICY_TARGET_COUNT; g++)
		if (!terms_goal_equal(&a->goals[g], &b->goals[g]))
			return false;
	return strcmp(a->policy, b->policy) == 0 && strcmp(a->calendar_name, b->calendar_name) == 0 &&
	    a->pause_mask == b->pause_mask && calendar_same(a->calendar, b->calendar);
}

/* See terms.h. */
const struct terms *
terms_book_intern(struct terms_book *b, const struct terms *t)
{
	struct terms_entry *e;

	for (e = b->head; e != NULL; e = e->next)
		if (terms_equal(&e->t, t))
			return &e->t;
	if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->t = *t;
	if (t->calendar != calendar_always() &&
	    (e->t.calendar = calendar_new(calendar_spec(t->calendar), NULL, 0)) == NULL) {
		free(e);
		return NULL;
	}
	e->next = b->head;
	b->head = e;
	return &e->t;
}

/* See terms.h. */
void
terms_of_policy(const struct policy *p, const int64_t *sla_target_ms, struct terms *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->policy, p->name, sizeof(out->policy));
	memcpy(out->calendar_name, p->calendar_name, sizeof(out->calendar_name));
	out->calendar = p->calendar;
	out->pause_mask = p->pause_mask;
	for (int g = 0; g < POLICY_TARGET_COUNT; g++) {
		const struct policy_goal *pg = &p->goals[g];
		struct terms_goal *tg = &out->goals[g];

		for (int k = 0; k < TERMS_KINDS; k++)
			tg->target_ms[k] = pg->target_ms == POLICY_INHERIT ? sla_target_ms[k] : pg->target_ms;
		tg->promise_ms = pg->promise_ms;
		tg->at_risk_permille = (uint16_t)pg->at_risk_permille;
	}
}
