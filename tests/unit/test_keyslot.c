/* test_keyslot.c: key slots match what a real Redis Cluster answers, hash tags included. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "keyslot.h"

/* A key and the slot redis-server 7.0.15 (cluster-enabled) answered to CLUSTER KEYSLOT. */
struct known {
	const char *key;
	unsigned slot;
};

static const struct known known[] = {
	{"foo", 12182},
	{"bar", 5061},
	{"123456789", 12739},         /* CRC16-XMODEM's check value 0x31C3 */
	{"", 0},
	{"{user1000}.following", 3443},
	{"{user1000}.followers", 3443},
	{"foo{}{bar}", 8363},         /* empty first tag: the whole key */
	{"foo{{bar}}zap", 4015},      /* tag "{bar" */
	{"{bar", 4015},
	{"foo{bar}{zap}", 5061},      /* tag "bar": only the first braces count */
	{"{", 4092},                  /* no '}': the whole key */
	{"}{", 12793},                /* '}' before '{' is no tag */
	{"a{b", 13340},
	{"{}", 15257},
	{"x{}}", 15984},              /* the first '}' after '{' closes it, even when empty */
	{"{{}}", 4092},               /* tag "{" */
	{"fb:task:{feedbackd:3}:meta", 2375},
	{"feedbackd:3", 2375},
};

/* Every known key gets the slot the real server gave it. */
static void test_known_slots(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		unsigned got = keyslot(known[i].key, strlen(known[i].key));

		if (got != known[i].slot)
			fail_msg("keyslot(\"%s\") = %u, want %u", known[i].key, got, known[i].slot);
	}
}

/* A key is its bytes: a NUL or a tag past len does not count, and slots stay in range. */
static void test_bytes_and_range(void **state)
{
	const char buf[] = "foo\0{bar}";

	(void)state;
	assert_int_equal(keyslot(buf, 3), 12182);
	assert_int_equal(keyslot("{bar}", 4), keyslot("{bar", 4)); /* the '}' is cut off */
	assert_int_equal(keyslot(buf + 4, 5), 5061);
	for (unsigned i = 0; i < 5000; i++) {
		char key[16];
		size_t len = (size_t)(i % 15);

		for (size_t j = 0; j < len; j++)
			key[j] = (char)((i * 31 + j * 7) & 0xff);
		assert_true(keyslot(key, len) < KEYSLOT_COUNT);
	}
}

/* Keys sharing a tag share a slot; one key of another slot makes the set mixed. */
static void test_same(void **state)
{
	const char *keys[] = {"fb:task:{g:3}:meta", "fb:task:{g:3}:agents", "fb:task:{g:3}:dd:12", "foo"};
	size_t lens[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		lens[i] = strlen(keys[i]);
	assert_true(keyslot_same(keys, lens, 0));
	assert_true(keyslot_same(keys, lens, 1));
	assert_true(keyslot_same(keys, lens, 3));
	assert_int_equal(keyslot(keys[0], lens[0]), keyslot("g:3", 3));
	assert_true(keyslot("foo", 3) != keyslot("g:3", 3));
	assert_false(keyslot_same(keys, lens, 4));
	assert_false(keyslot_same(keys + 2, lens + 2, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_known_slots),
	    cmocka_unit_test(test_bytes_and_range),
	    cmocka_unit_test(test_same),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
