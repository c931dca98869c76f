/* test_jsonlex.c: the lenient lexer: reading a member of what the strict parser refuses. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsondoc.h"
#include "jsonlex.h"

struct member_case {
	const char	*name;
	const char	*in;
	const char	*value;	/* NULL: not readable */
};

static const struct member_case member_cases[] = {
	{ "plain", "{\"type\":\"rating\"}", "rating" },
	{ "blanks everywhere", " \n{ \"a\" : 1 ,\t\"type\" :\r\"reply\" }\n ", "reply" },
	{ "empty string", "{\"type\":\"\"}", "" },
	{ "after nested values", "{\"x\":{\"type\":\"rating\",\"y\":[1,{\"z\":[]}]},"
	  "\"s\":\"}\\\"]\",\"type\":\"complaint\"}", "complaint" },
	{ "before nested values", "{\"type\":\"message\",\"x\":[[[{}]]],\"y\":{}}", "message" },
	{ "last one wins", "{\"type\":\"rating\",\"type\":\"reply\"}", "reply" },
	{ "a later non-string wins", "{\"type\":\"rating\",\"type\":3}", NULL },
	{ "only nested", "{\"x\":{\"type\":\"rating\"}}", NULL },
	{ "only in an array", "{\"x\":[{\"type\":\"rating\"}]}", NULL },
	{ "only inside a string", "{\"x\":\"\\\"type\\\":\\\"rating\\\"\"}", NULL },
	{ "as a value", "{\"x\":\"type\",\"y\":\"rating\"}", NULL },
	{ "absent", "{\"event_id\":\"e1\"}", NULL },
	{ "empty object", "{}", NULL },
	{ "number", "{\"type\":1}", NULL },
	{ "null", "{\"type\":null}", NULL },
	{ "true", "{\"type\":true}", NULL },
	{ "array", "{\"type\":[\"rating\"]}", NULL },
	{ "object", "{\"type\":{\"type\":\"rating\"}}", NULL },
	{ "escaped value", "{\"type\":\"r\\u0061ting\"}", NULL },
	{ "escaped name", "{\"typ\\u0065\":\"rating\"}", NULL },

	/* What jansson refuses but the shape shows. */
	{ "huge numbers", "{\"score\":99999999999999999999,\"type\":\"rating\",\"x\":-1e400}",
	  "rating" },
	{ "invalid utf-8", "{\"agent_id\":\"\xff\xfe\",\"type\":\"rating\"}", "rating" },
	{ "\\u0000", "{\"agent_id\":\"a\\u0000\",\"type\":\"rating\"}", "rating" },
	{ "duplicate keys", "{\"a\":1,\"a\":2,\"type\":\"rating\"}", "rating" },
	{ "raw control byte", "{\"a\":\"\x01\",\"type\":\"rating\"}", "rating" },

	/* Not one object in shape. */
	{ "array at top", "[\"type\",\"rating\"]", NULL },
	{ "string at top", "\"type\"", NULL },
	{ "number at top", "42", NULL },
	{ "garbage", "garbage", NULL },
	{ "empty", "", NULL },
	{ "blanks", " \n", NULL },
	{ "truncated", "{\"type\":\"rating\"", NULL },
	{ "truncated after a comma", "{\"type\":\"rating\",", NULL },
	{ "unclosed string", "{\"type\":\"rating\",\"x\":\"abc}", NULL },
	{ "trailing junk", "{\"type\":\"rating\"}x", NULL },
	{ "two objects", "{\"type\":\"rating\"}{\"type\":\"rating\"}", NULL },
	{ "trailing comma", "{\"type\":\"rating\",}", NULL },
	{ "missing colon", "{\"type\" \"rating\"}", NULL },
	{ "missing comma", "{\"a\":1 \"type\":\"rating\"}", NULL },
	{ "name not a string", "{type:\"rating\"}", NULL },
	{ "bad literal", "{\"type\":\"rating\",\"x\":tru}", NULL },
	{ "literal run on", "{\"type\":\"rating\",\"x\":truex}", NULL },
	{ "bad number", "{\"type\":\"rating\",\"x\":01}", NULL },
	{ "array trailing comma", "{\"type\":\"rating\",\"x\":[1,]}", NULL },
	{ "member in an array", "{\"type\":\"rating\",\"x\":[\"a\":1]}", NULL },
	{ "object without value", "{\"type\":\"rating\",\"x\":{\"a\"}}", NULL },
	{ "mismatched brackets", "{\"type\":\"rating\",\"x\":[1}}", NULL },
};

/* Reads key from the exact-size heap copy of the case, checking value and length. */
static void
check_member(const char *name, const char *json, size_t len, const char *key, const char *want)
{
	char		*in = malloc(len + 1);
	const char	*got;
	size_t		 vlen = 12345;

	assert_non_null(in);
	memcpy(in, json, len);
	got = jsonlex_member_string(in, len, key, &vlen);
	if (want == NULL && got != NULL)
		fail_msg("%s: got \"%.*s\", want none", name, (int)vlen, got);
	if (want != NULL && (got == NULL || vlen != strlen(want) ||
	    memcmp(got, want, vlen) != 0))
		fail_msg("%s: got %s, want \"%s\"", name, got == NULL ? "none" : "another", want);
	/* The value points into the buffer, not at a copy. */
	if (got != NULL && (got < in || got + vlen > in + len))
		fail_msg("%s: value outside the buffer", name);
	if (got == NULL)
		assert_int_equal(vlen, 0);
	free(in);
}

/* Every member case. */
static void
test_member(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof member_cases / sizeof member_cases[0]; i++) {
		const struct member_case	*c = &member_cases[i];

		check_member(c->name, c->in, strlen(c->in), "type", c->value);
	}
	/* Another key, and a key that is a prefix of a name. */
	check_member("other key", "{\"type\":\"rating\",\"agent_id\":\"a1\"}",
	    strlen("{\"type\":\"rating\",\"agent_id\":\"a1\"}"), "agent_id", "a1");
	check_member("prefix of a name", "{\"types\":\"rating\"}", strlen("{\"types\":\"rating\"}"),
	    "type", NULL);
	/* Stops at len: the object is complete within it. */
	check_member("bytes after len", "{\"type\":\"reply\"}junk", 16, "type", "reply");
}

/* A message of any size is read, and nesting is bounded as the strict parser bounds it. */
static void
test_member_size_and_depth(void **state)
{
	const char	*head = "{\"pad\":\"", *tail = "\",\"type\":\"rating\"}";
	size_t		 n = 1000000, hl = strlen(head), tl = strlen(tail), vlen;
	char		*buf = malloc(n);
	const char	*got;

	(void)state;
	assert_non_null(buf);
	memcpy(buf, head, hl);
	memset(buf + hl, 'x', n - hl - tl);
	memcpy(buf + n - tl, tail, tl);
	got = jsonlex_member_string(buf, n, "type", &vlen);
	assert_non_null(got);
	assert_int_equal(vlen, 6);
	assert_memory_equal(got, "rating", 6);

	/* JSONDOC_MAX_DEPTH levels (the top object included) are read; one more is not. */
	for (size_t depth = JSONDOC_MAX_DEPTH; depth <= JSONDOC_MAX_DEPTH + 1; depth++) {
		size_t	o = 0;

		memcpy(buf + o, "{\"type\":\"rating\",\"x\":", 21);
		o += 21;
		memset(buf + o, '[', depth - 1);
		o += depth - 1;
		memset(buf + o, ']', depth - 1);
		o += depth - 1;
		buf[o++] = '}';
		got = jsonlex_member_string(buf, o, "type", &vlen);
		if (depth == JSONDOC_MAX_DEPTH)
			assert_non_null(got);
		else
			assert_null(got);
	}
	memset(buf, '[', n);
	assert_null(jsonlex_member_string(buf, n, "type", &vlen));
	memset(buf, '{', n);
	assert_null(jsonlex_member_string(buf, n, "type", &vlen));
	free(buf);
}

/* Runs the lexer tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_member_size_and_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
