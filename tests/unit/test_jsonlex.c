/* test_jsonlex.c: the lenient lexer: clamping numbers jansson cannot hold, reading a member. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonlex.h"

#define IMAX "9223372036854775807"
#define IMIN "-9223372036854775808"
#define RMAX "1.7976931348623157e308"
#define RMIN "-1.7976931348623157e308"

struct clamp_case {
	const char	*name;
	const char	*in;
	const char	*out;	/* NULL: copied unchanged */
};

static const struct clamp_case clamp_cases[] = {
	/* Integers beyond int64, both signs; the bounds themselves fit. */
	{ "integer 20 digits", "[99999999999999999999]", "[" IMAX "]" },
	{ "negative integer 20 digits", "[-99999999999999999999]", "[" IMIN "]" },
	{ "integer 30 digits", "{\"extra\":123456789012345678901234567890}",
	  "{\"extra\":" IMAX "}" },
	{ "int64 max", "[" IMAX "," IMIN "]", NULL },
	{ "int64 max + 1", "[9223372036854775808]", "[" IMAX "]" },
	{ "int64 min - 1", "[-9223372036854775809]", "[" IMIN "]" },
	{ "long zero fraction is a real that fits", "[99999999999999999999.0]", NULL },

	/* Reals beyond double, every exponent form; underflow is no error. */
	{ "real 1e400", "[1e400]", "[" RMAX "]" },
	{ "real -1e400", "[-1e400]", "[" RMIN "]" },
	{ "real 1E+400", "[1E+400]", "[" RMAX "]" },
	{ "real 2.5e999", "[2.5e999]", "[" RMAX "]" },
	{ "real 1e309, the shortest", "[1e309]", "[" RMAX "]" },
	{ "real 0.5e-400 underflows", "[0.5e-400]", NULL },
	{ "real -1e-400 underflows", "[-1e-400]", NULL },
	{ "double max", "[" RMAX "]", NULL },
	{ "rounds down to double max", "[1.7976931348623158e308]", NULL },
	{ "rounds up past double max", "[1.7976931348623159e308]", "[" RMAX "]" },
	{ "393-digit integer part", "[1" "0000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
	  ".0]", "[" RMAX "]" },

	/* Strings are text, whatever digits they hold. */
	{ "digits in strings",
	  "{\"a\":\"99999999999999999999\",\"1e400\":\"-1e400\",\"n\":1e400}",
	  "{\"a\":\"99999999999999999999\",\"1e400\":\"-1e400\",\"n\":" RMAX "}" },
	{ "escaped quotes in a string",
	  "{\"a\":\"x\\\"1e400\\\"99999999999999999999\",\"n\":-1e400}",
	  "{\"a\":\"x\\\"1e400\\\"99999999999999999999\",\"n\":" RMIN "}" },
	{ "escaped backslash ends the string", "{\"a\":\"\\\\\",\"n\":1e400}",
	  "{\"a\":\"\\\\\",\"n\":" RMAX "}" },
	{ "unclosed string", "[1e400,\"1e400", "[" RMAX ",\"1e400" },
	{ "invalid utf-8 copied", "{\"a\":\"\xff\xfe\",\"n\":1e400}",
	  "{\"a\":\"\xff\xfe\",\"n\":" RMAX "}" },

	/* Nesting, several numbers, malformed numbers left as they are. */
	{ "nested", "{\"a\":{\"b\":[1,{\"c\":-1e999}],\"d\":99999999999999999999},\"e\":2}",
	  "{\"a\":{\"b\":[1,{\"c\":" RMIN "}],\"d\":" IMAX "},\"e\":2}" },
	{ "small numbers", "[0,-0,1.5,-2e3,10E-2,123]", NULL },
	{ "malformed numbers", "[1.e400,-,01,1e+,.5]", NULL },
	{ "number at the end", "1e400", RMAX },
	{ "integer at the end", "-99999999999999999999", IMIN },
	{ "empty", "", NULL },
};

/* Every clamp case: the exact bytes and length of the copy. */
static void
test_clamp(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof clamp_cases / sizeof clamp_cases[0]; i++) {
		const struct clamp_case	*c = &clamp_cases[i];
		const char		*want = c->out != NULL ? c->out : c->in;
		size_t			 len = strlen(c->in), olen = 12345;
		/* An exact-size heap copy: a read past the end shows under ASan or valgrind. */
		char			*in = malloc(len + 1), *out;

		assert_non_null(in);
		memcpy(in, c->in, len);
		out = jsonlex_clamp_numbers(in, len, &olen);
		assert_non_null(out);
		if (olen != strlen(want) || memcmp(out, want, olen) != 0)
			fail_msg("%s: got \"%.*s\", want \"%s\"", c->name, (int)olen, out, want);
		free(out);
		free(in);
	}
}

/* The worst growth: every byte in overflowing reals of the shortest form, all clamped. */
static void
test_clamp_growth(void **state)
{
	const char	*unit = "-1e309,";
	size_t		 n = 10000, ul = strlen(unit), rl = strlen(RMIN ","), olen = 0;
	char		*in = malloc(n * ul), *out;

	(void)state;
	assert_non_null(in);
	for (size_t i = 0; i < n; i++)
		memcpy(in + i * ul, unit, ul);
	out = jsonlex_clamp_numbers(in, n * ul, &olen);
	assert_non_null(out);
	assert_int_equal(olen, n * rl);
	for (size_t i = 0; i < n; i++)
		assert_memory_equal(out + i * rl, RMIN ",", rl);
	free(out);
	free(in);
}

/* A long run of zeros is read once, not once per zero. */
static void
test_clamp_linear(void **state)
{
	size_t	 n = 1000000, olen = 0;
	char	*in = malloc(n), *out;

	(void)state;
	assert_non_null(in);
	memset(in, '0', n);
	out = jsonlex_clamp_numbers(in, n, &olen);
	assert_non_null(out);
	assert_int_equal(olen, n);
	assert_memory_equal(out, in, n);
	free(out);
	free(in);
}

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

/* A message of any size is read, and nesting is bounded as jansson bounds it. */
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

	/* 2048 levels (the top object included) are read; 2049 are not, and nothing overflows. */
	for (size_t depth = 2048; depth <= 2049; depth++) {
		size_t	o = 0;

		memcpy(buf + o, "{\"type\":\"rating\",\"x\":", 21);
		o += 21;
		memset(buf + o, '[', depth - 1);
		o += depth - 1;
		memset(buf + o, ']', depth - 1);
		o += depth - 1;
		buf[o++] = '}';
		got = jsonlex_member_string(buf, o, "type", &vlen);
		if (depth == 2048)
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
		cmocka_unit_test(test_clamp),
		cmocka_unit_test(test_clamp_growth),
		cmocka_unit_test(test_clamp_linear),
		cmocka_unit_test(test_member),
		cmocka_unit_test(test_member_size_and_depth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
