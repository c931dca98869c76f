/* test_mpack.c: members are read only when of the right kind and range; one object means one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mpack.h"

/* Packs [INT64_MIN, -1, 0, 7, UINT64_MAX, "x"] into sb. */
static void sample(msgpack_sbuffer *sb)
{
	msgpack_packer pk;

	msgpack_sbuffer_init(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 6);
	msgpack_pack_int64(&pk, INT64_MIN);
	msgpack_pack_int(&pk, -1);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_str(&pk, 1);
	msgpack_pack_str_body(&pk, "x", 1);
}

/* Integers within their range only; a string or a too-large unsigned is no integer. */
static void test_int(void **state)
{
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	const msgpack_object *m;
	int64_t v = 42;

	(void)state;
	sample(&sb);
	msgpack_unpacked_init(&u);
	assert_true(mpack_one(&u, sb.data, sb.size));
	m = u.data.via.array.ptr;
	assert_true(mpack_int(&m[0], INT64_MIN, 0, &v));
	assert_int_equal(v, INT64_MIN);
	assert_false(mpack_int(&m[1], 0, 10, &v));
	assert_int_equal(v, INT64_MIN); /* untouched when refused */
	assert_true(mpack_int(&m[3], 7, 7, &v));
	assert_int_equal(v, 7);
	assert_false(mpack_int(&m[3], 8, 9, &v));
	assert_false(mpack_int(&m[4], INT64_MIN, INT64_MAX, &v));
	assert_false(mpack_int(&m[5], INT64_MIN, INT64_MAX, &v));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* Unsigned members: no negatives, none past the bound. */
static void test_uint(void **state)
{
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	const msgpack_object *m;
	uint64_t v = 42;

	(void)state;
	sample(&sb);
	msgpack_unpacked_init(&u);
	assert_true(mpack_one(&u, sb.data, sb.size));
	m = u.data.via.array.ptr;
	assert_false(mpack_uint(&m[1], UINT64_MAX, &v));
	assert_true(mpack_uint(&m[2], 0, &v));
	assert_int_equal(v, 0);
	assert_true(mpack_uint(&m[4], UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	assert_false(mpack_uint(&m[3], 6, &v));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

/* Exactly one object: a truncation or a trailing byte is refused. */
static void test_one(void **state)
{
	msgpack_sbuffer sb;
	msgpack_unpacked u;
	char more[64];

	(void)state;
	sample(&sb);
	msgpack_unpacked_init(&u);
	for (size_t n = 0; n < sb.size; n++)
		assert_false(mpack_one(&u, sb.data, n));
	assert_true(sb.size < sizeof(more));
	memcpy(more, sb.data, sb.size);
	more[sb.size] = 0;
	assert_false(mpack_one(&u, more, sb.size + 1));
	assert_true(mpack_one(&u, more, sb.size));
	msgpack_unpacked_destroy(&u);
	msgpack_sbuffer_destroy(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_uint),
		cmocka_unit_test(test_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
