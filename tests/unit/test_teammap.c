/* test_teammap.c: a [teams] map file's text: pairs, comments, and every error with its line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "teammap.h"

/* 127 bytes: a team id one too long. */
#define X127 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

/* Parses a NUL-terminated text. */
static struct teammap *parse(const char *text, int *line, char *reason, size_t size)
{
	return teammap_parse(text, strlen(text), line, reason, size);
}

/* Pairs separated by spaces or tabs, CRLF endings, comments and blank lines; teams interned. */
static void test_pairs(void **state)
{
	char reason[160];
	int line = -1;
	struct teammap *m = parse("# agent team\n\na17 billing\n  a18\tbilling  \r\nb1 \t tech\nc-9 tech", &line,
	    reason, sizeof(reason));

	(void)state;
	assert_non_null(m);
	assert_int_equal(line, 0);
	assert_string_equal(teammap_team(m, "a17", 3), "billing");
	assert_string_equal(teammap_team(m, "a18", 3), "billing");
	assert_string_equal(teammap_team(m, "b1", 2), "tech");
	assert_string_equal(teammap_team(m, "c-9", 3), "tech");
	assert_ptr_equal(teammap_team(m, "a17", 3), teammap_team(m, "a18", 3));
	assert_null(teammap_team(m, "a1", 2));
	assert_null(teammap_team(m, "", 0));
	assert_int_equal(teammap_agents(m), 4);
	assert_int_equal(teammap_teams(m), 2);
	teammap_free(m);
	/* an empty file is an empty map */
	assert_non_null(m = parse("", &line, reason, sizeof(reason)));
	assert_int_equal(teammap_agents(m), 0);
	assert_null(teammap_team(m, "a17", 3));
	teammap_free(m);
	assert_null(teammap_team(NULL, "a17", 3));
}

/* Each error names its line and what is wrong. */
static void test_errors(void **state)
{
	static const struct {
		const char *text;
		int line;
		const char *reason;
	} cases[] = {
		{"a17 billing\na18\n", 2, "expected AGENT TEAM, two ids separated by spaces"},
		{"a17 billing extra\n", 1, "expected AGENT TEAM, two ids separated by spaces"},
		{"a17 billing\n\na17 tech\n", 3, "agent 'a17' is listed twice (first on line 1)"},
		{"a\x01 billing\n", 1, "agent id holds a control character"},
		{"a17 bill\x7fing\n", 1, "team id holds a control character"},
		{"a17 " X127 "\n", 1, "team id longer than 126 bytes"},
	};
	char reason[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int line = -1;

		assert_null(parse(cases[i].text, &line, reason, sizeof(reason)));
		assert_int_equal(line, cases[i].line);
		assert_string_equal(reason, cases[i].reason);
	}
	/* a NUL byte inside the text */
	{
		int line = -1;

		assert_null(teammap_parse("a b\nc\0d e\n", 10, &line, reason, sizeof(reason)));
		assert_int_equal(line, 2);
		assert_string_equal(reason, "holds a NUL byte");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pairs),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
