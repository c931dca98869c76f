/* policy.c: reply policies: which tickets they match (pure). */

#include <string.h>

#include "policy.h"

static const char *const policy_target_names[] = {
	"first_reply", "next_reply", "resolution"
};
_Static_assert(sizeof policy_target_names / sizeof policy_target_names[0] == POLICY_TARGET_COUNT,
    "one name per enum policy_target");

/* The contract name of a target: "first_reply", "next_reply", "resolution". */
const char *
policy_target_name(enum policy_target target)
{
	if ((unsigned)target >= POLICY_TARGET_COUNT)
		return "unknown";
	return policy_target_names[target];
}

/* Whether s is one of list[0..n); an empty list stands for every value, "" included. */
static bool
policy_listed(const char list[][EVENT_ID_MAX + 1], size_t n, const char *s)
{
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(list[i], s) == 0)
			return true;
	}
	return false;
}

/* See policy.h. */
bool
policy_matches(const struct policy *p, const struct event *e)
{
	const struct policy_match	*m = &p->match;

	/* Only a complaint has a severity: a policy that asks for one never takes a message. */
	if (m->severities != 0 &&
	    (e->type != EVENT_COMPLAINT || (m->severities & (1u << e->severity)) == 0))
		return false;
	return policy_listed(m->categories, m->n_categories, e->category) &&
	    policy_listed(m->queues, m->n_queues, e->queue);
}

/* See policy.h. */
const struct policy *
policy_select(const struct policy *v, size_t n, const struct policy *fallback,
    const struct event *e)
{
	for (size_t i = 0; i < n; i++) {
		if (policy_matches(&v[i], e))
			return &v[i];
	}
	return fallback;
}
