/* test_sums.c: decoding an agent's stored sums, exactly and defensively. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include <msgpack.h>

#include "sums.h"

#define SPEC "1h:3600000:150000;24h:86400000:3600000"

/* A sums array as src/lua/_common.lua stores it, for two windows; counter c of window w
 * is w * 100 + c, except where the caller overrides the layout. */
struct packed {
	msgpack_sbuffer buf;
	msgpack_packer pk;
};

/* Starts an array of n members. */
static void packed_begin(struct packed *p, size_t n)
{
	msgpack_sbuffer_init(&p->buf);
	msgpack_packer_init(&p->pk, &p->buf, msgpack_sbuffer_write);
	msgpack_pack_array(&p->pk, n);
}

/* Packs a text member. */
static void packed_str(struct packed *p, const char *s)
{
	msgpack_pack_str(&p->pk, strlen(s));
	msgpack_pack_str_body(&p->pk, s, strlen(s));
}

/* The head (spec, version, open, overdue) and two windows of counters. */
static void packed_valid(struct packed *p, const char *spec)
{
	packed_begin(p, 4 + 2 * (1 + COUNTER_COUNT));
	packed_str(p, spec);
	msgpack_pack_int64(&p->pk, 41);
	msgpack_pack_int64(&p->pk, 3);
	msgpack_pack_int64(&p->pk, -1); /* a negative member decodes too */
	for (int w = 0; w < 2; w++) {
		msgpack_pack_int64(&p->pk, 11976000 + w);
		for (int c = 0; c < COUNTER_COUNT; c++)
			msgpack_pack_int64(&p->pk, c == C_RESP_SUM_MS ? 5000000000LL + w : w * 100 + c);
	}
}

/* Every member lands in its place. */
static void test_decodes_exactly(void **state)
{
	struct packed p;
	struct sums s;

	(void)state;
	memset(&s, 0x55, sizeof(s));
	packed_valid(&p, SPEC);
	assert_true(sums_decode(p.buf.data, p.buf.size, SPEC, 2, &s));
	assert_int_equal(s.version, 41);
	assert_int_equal(s.open, 3);
	assert_int_equal(s.overdue, -1);
	for (int w = 0; w < 2; w++)
		for (int c = 0; c < COUNTER_COUNT; c++)
			assert_int_equal(s.w[w].c[c], c == C_RESP_SUM_MS ? 5000000000LL + w : w * 100 + c);
	msgpack_sbuffer_destroy(&p.buf);
}

/* Sums computed for other windows, or of the wrong size, are refused. */
static void test_other_windows_refused(void **state)
{
	struct packed p;
	struct sums s;

	(void)state;
	packed_valid(&p, SPEC);
	assert_false(sums_decode(p.buf.data, p.buf.size, "1h:3600000:150000", 2, &s));
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC ";7d:604800000:21600000", 2, &s));
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC, 1, &s));
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC, 3, &s));
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC, WINDOWS_MAX + 1, &s));
	msgpack_sbuffer_destroy(&p.buf);
}

/* Truncated, non-array and non-integer input is refused, never read past. */
static void test_malformed_refused(void **state)
{
	struct packed p;
	struct sums s;

	(void)state;
	packed_valid(&p, SPEC);
	for (size_t cut = 0; cut < p.buf.size; cut++)
		assert_false(sums_decode(p.buf.data, cut, SPEC, 2, &s));
	msgpack_sbuffer_destroy(&p.buf);

	packed_begin(&p, 0);
	msgpack_pack_int64(&p.pk, 1); /* not an array: the int follows an empty one */
	assert_false(sums_decode(p.buf.data + 1, p.buf.size - 1, SPEC, 2, &s));
	msgpack_sbuffer_destroy(&p.buf);

	/* the right size, but a counter is a float */
	packed_begin(&p, 4 + 2 * (1 + COUNTER_COUNT));
	packed_str(&p, SPEC);
	for (int i = 1; i < 4 + 2 * (1 + COUNTER_COUNT); i++) {
		if (i == 20)
			msgpack_pack_double(&p.pk, 1.5);
		else
			msgpack_pack_int64(&p.pk, i);
	}
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC, 2, &s));
	msgpack_sbuffer_destroy(&p.buf);

	/* the spec is not a string */
	packed_begin(&p, 4 + 2 * (1 + COUNTER_COUNT));
	for (int i = 0; i < 4 + 2 * (1 + COUNTER_COUNT); i++)
		msgpack_pack_int64(&p.pk, i);
	assert_false(sums_decode(p.buf.data, p.buf.size, SPEC, 2, &s));
	msgpack_sbuffer_destroy(&p.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decodes_exactly),
	    cmocka_unit_test(test_other_windows_refused),
	    cmocka_unit_test(test_malformed_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
