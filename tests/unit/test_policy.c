/* test_policy.c: which policy a ticket falls under: order, fallback, severities, lists. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "testutil.h"

#define SEV(s) (1u << (s))

/* A policy named name that matches severities and the given lists (NULL-terminated). */
static struct policy
test_policy(const char *name, unsigned severities, const char *const *categories,
    const char *const *queues)
{
	struct policy	p;

	memset(&p, 0, sizeof p);
	snprintf(p.name, sizeof p.name, "%s", name);
	p.match.severities = severities;
	for (; categories != NULL && *categories != NULL; categories++)
		snprintf(p.match.categories[p.match.n_categories++], EVENT_ID_MAX + 1, "%s",
		    *categories);
	for (; queues != NULL && *queues != NULL; queues++)
		snprintf(p.match.queues[p.match.n_queues++], EVENT_ID_MAX + 1, "%s", *queues);
	return p;
}

/* The contract names, and a name for an out-of-range value. */
static void
test_target_names(void **state)
{
	(void)state;
	assert_string_equal(policy_target_name(POLICY_FIRST_REPLY), "first_reply");
	assert_string_equal(policy_target_name(POLICY_NEXT_REPLY), "next_reply");
	assert_string_equal(policy_target_name(POLICY_RESOLUTION), "resolution");
	assert_string_equal(policy_target_name((enum policy_target)POLICY_TARGET_COUNT), "unknown");
}

/* Of two policies that both match, the first in file order wins. */
static void
test_order_wins(void **state)
{
	static const char *const billing[] = { "billing", NULL };
	struct policy		 v[3], fallback = test_policy(POLICY_DEFAULT, 0, NULL, NULL);
	struct event		 e = test_opening(EVENT_COMPLAINT, SEVERITY_HIGH, "billing", "");

	(void)state;
	v[0] = test_policy("vip", SEV(SEVERITY_CRITICAL), NULL, NULL);
	v[1] = test_policy("billing_high", SEV(SEVERITY_HIGH), billing, NULL);
	v[2] = test_policy("billing", 0, billing, NULL);
	assert_ptr_equal(policy_select(v, 3, &fallback, &e), &v[1]);
	/* The same policies the other way round: the broader one now comes first. */
	v[0] = test_policy("billing", 0, billing, NULL);
	v[1] = test_policy("billing_high", SEV(SEVERITY_HIGH), billing, NULL);
	assert_ptr_equal(policy_select(v, 2, &fallback, &e), &v[0]);
}

/* A ticket no policy matches falls back to the default; so does every ticket with none. */
static void
test_default_fallback(void **state)
{
	static const char *const sales[] = { "sales", NULL };
	struct policy		 v[2], fallback = test_policy(POLICY_DEFAULT, 0, NULL, NULL);
	struct event		 e = test_opening(EVENT_COMPLAINT, SEVERITY_LOW, "billing", "eu");

	(void)state;
	v[0] = test_policy("critical", SEV(SEVERITY_CRITICAL), NULL, NULL);
	v[1] = test_policy("sales", 0, NULL, sales);
	assert_ptr_equal(policy_select(v, 2, &fallback, &e), &fallback);
	assert_ptr_equal(policy_select(NULL, 0, &fallback, &e), &fallback);
	/* The default's own match is empty: it takes anything. */
	assert_true(policy_matches(&fallback, &e));
}

/* A severity mask takes complaints of those severities only, never a message. */
static void
test_message_vs_severity(void **state)
{
	struct policy	urgent = test_policy("urgent", SEV(SEVERITY_HIGH) | SEV(SEVERITY_CRITICAL),
			    NULL, NULL);
	struct policy	any = test_policy("any", 0, NULL, NULL);
	struct event	e;

	(void)state;
	e = test_opening(EVENT_COMPLAINT, SEVERITY_HIGH, "", "");
	assert_true(policy_matches(&urgent, &e));
	e = test_opening(EVENT_COMPLAINT, SEVERITY_CRITICAL, "", "");
	assert_true(policy_matches(&urgent, &e));
	e = test_opening(EVENT_COMPLAINT, SEVERITY_NORMAL, "", "");
	assert_false(policy_matches(&urgent, &e));
	assert_true(policy_matches(&any, &e));
	/* A message carries SEVERITY_NORMAL, which must not count as a severity. */
	urgent.match.severities = SEV(SEVERITY_NORMAL);
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "", "");
	assert_false(policy_matches(&urgent, &e));
	assert_true(policy_matches(&any, &e));
	/* Every severity listed is still not "any": messages stay out. */
	urgent.match.severities = SEV(SEVERITY_LOW) | SEV(SEVERITY_NORMAL) | SEV(SEVERITY_HIGH) |
	    SEV(SEVERITY_CRITICAL);
	assert_false(policy_matches(&urgent, &e));
}

/* Categories and queues: exact, case-sensitive, any of the list, and both lists must agree. */
static void
test_queue_and_category_lists(void **state)
{
	static const char *const cats[] = { "billing", "refunds", NULL };
	static const char *const queues[] = { "eu", "us-east", NULL };
	struct policy		 p = test_policy("p", 0, cats, queues);
	struct policy		 by_queue = test_policy("q", 0, NULL, queues);
	struct event		 e;

	(void)state;
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "refunds", "us-east");
	assert_true(policy_matches(&p, &e));
	e = test_opening(EVENT_COMPLAINT, SEVERITY_LOW, "billing", "eu");
	assert_true(policy_matches(&p, &e));
	/* One list agreeing is not enough. */
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "billing", "apac");
	assert_false(policy_matches(&p, &e));
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "shipping", "eu");
	assert_false(policy_matches(&p, &e));
	/* No prefixes, no case folding, and an absent value ("") is in no list. */
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "bill", "eu");
	assert_false(policy_matches(&p, &e));
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "Billing", "eu");
	assert_false(policy_matches(&p, &e));
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "billing", "");
	assert_false(policy_matches(&p, &e));
	/* An empty list takes anything, an absent value too. */
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "", "eu");
	assert_true(policy_matches(&by_queue, &e));
	e = test_opening(EVENT_MESSAGE, SEVERITY_NORMAL, "anything", "us-east");
	assert_true(policy_matches(&by_queue, &e));
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_target_names),
		cmocka_unit_test(test_order_wins),
		cmocka_unit_test(test_default_fallback),
		cmocka_unit_test(test_message_vs_severity),
		cmocka_unit_test(test_queue_and_category_lists),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
