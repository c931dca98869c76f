/* test_tickets.c: a slot per ticket id, the names kept with it, and freed slots reused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tickets.h"

/* A clock_text of a C string. */
static struct clock_text text(const char *s)
{
	struct clock_text t = {s, strlen(s)};

	return t;
}

/* A slot is made once per id, keeps its names, and names its clock's handles by them. */
static void test_slot_and_names(void **state)
{
	struct tickets k;
	struct clock_text agent = text("agent-7"), billing = text("billing"), none = text("");
	uint32_t a, b, ha, hc;

	(void)state;
	assert_true(tickets_init(&k));
	a = tickets_slot(&k, "T1", 2, &agent, &billing);
	b = tickets_slot(&k, "T2-a-longer-id", 14, &none, &none);
	assert_int_equal(a, 0);
	assert_int_equal(b, 1);
	assert_int_equal(tickets_slot(&k, "T1", 2, &none, &none), a); /* found: names unchanged */
	assert_string_equal(k.v[a].text, "T1");
	tickets_handles(a, true, &ha, &hc);
	assert_int_equal(ha, 2 * a);
	assert_int_equal(hc, 2 * a + 1);
	assert_string_equal(tickets_name(&k, ha), "agent-7");
	assert_string_equal(tickets_name(&k, hc), "billing");
	tickets_handles(b, false, &ha, &hc);
	assert_int_equal(hc, CLOCK_NO_NAME);
	assert_string_equal(tickets_name(&k, ha), "");
	tickets_free(&k);
}

/* Renaming keeps the block when the names are the same, else moves the id and the map follows. */
static void test_rename(void **state)
{
	struct tickets k;
	struct clock_text none = text(""), agent = text("a1"), cat = text("c1");
	const char *before;
	uint32_t i;

	(void)state;
	assert_true(tickets_init(&k));
	i = tickets_slot(&k, "ticket-with-a-long-id", 21, &none, &none);
	before = k.v[i].text;
	assert_true(tickets_rename(&k, i, &none, &none));
	assert_ptr_equal(k.v[i].text, before);
	assert_true(tickets_rename(&k, i, &agent, &cat));
	assert_string_equal(k.v[i].text, "ticket-with-a-long-id");
	assert_string_equal(tickets_name(&k, 2 * i), "a1");
	assert_string_equal(tickets_name(&k, 2 * i + 1), "c1");
	/* The map borrows the id: it must have learned the new block's address. */
	assert_int_equal(tickets_slot(&k, "ticket-with-a-long-id", 21, &none, &none), i);
	assert_string_equal(tickets_name(&k, 2 * i), "a1");
	tickets_free(&k);
}

/* A forgotten slot hands its id over, its id is unknown after, and the slot is made again first. */
static void test_forget_reuses(void **state)
{
	struct tickets k;
	struct clock_text none = text(""), agent = text("a9");
	uint32_t a, b, c;
	char *id;

	(void)state;
	assert_true(tickets_init(&k));
	a = tickets_slot(&k, "A", 1, &none, &none);
	b = tickets_slot(&k, "B", 1, &none, &none);
	k.v[a].dirty = true;
	id = tickets_forget(&k, a);
	assert_string_equal(id, "A");
	free(id);
	assert_null(k.v[a].text);
	assert_false(k.v[a].dirty);
	c = tickets_slot(&k, "C", 1, &agent, &none);
	assert_int_equal(c, a);
	assert_int_equal(k.used, 2);
	assert_string_equal(tickets_name(&k, 2 * c), "a9");
	/* "A" is gone: asking for it makes a new slot past the others. */
	assert_int_equal(tickets_slot(&k, "A", 1, &none, &none), 2);
	assert_int_equal(tickets_slot(&k, "B", 1, &none, &none), b);
	tickets_free(&k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_and_names),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_forget_reuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
