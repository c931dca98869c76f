/* test_hostport.c: endpoints and endpoint lists as [redis] cluster and sentinels give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "hostport.h"

/* Parses s whole; the host and port, or fails the test. */
static struct hostport parse_ok(const char *s)
{
	struct hostport hp;

	if (!hostport_parse(s, strlen(s), &hp))
		fail_msg("'%s' did not parse", s);
	return hp;
}

/* Names, IPv4, IPv6 with and without brackets. */
static void test_parse(void **state)
{
	struct hostport hp;
	char text[HOSTPORT_TEXT_MAX];

	(void)state;
	hp = parse_ok("redis-a.example:7000");
	assert_string_equal(hp.host, "redis-a.example");
	assert_int_equal(hp.port, 7000);
	hp = parse_ok("[::1]:6379");
	assert_string_equal(hp.host, "::1");
	assert_int_equal(hp.port, 6379);
	hostport_format(&hp, text, sizeof text);
	assert_string_equal(text, "[::1]:6379");
	hp = parse_ok("fe80::1:65535"); /* the port is after the last colon */
	assert_string_equal(hp.host, "fe80::1");
	assert_int_equal(hp.port, 65535);
	hp = parse_ok("127.0.0.1:1");
	hostport_format(&hp, text, sizeof text);
	assert_string_equal(text, "127.0.0.1:1");
	/* Only len bytes count. */
	assert_true(hostport_parse("h:12,x", 4, &hp));
	assert_int_equal(hp.port, 12);
}

/* Everything that is not host:port with a port of 1..65535. */
static void test_parse_refused(void **state)
{
	static const char *const bad[] = {
		"", "host", ":6379", "host:", "host:0", "host:65536", "host:123456", "host:6a",
		"host:-1", "[]:6379", "[::1:6379", "a]b:1", "host: 1",
	};
	struct hostport hp;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (hostport_parse(bad[i], strlen(bad[i]), &hp))
			fail_msg("'%s' parsed", bad[i]);
}

/* Lists: blanks around items, the item that fails, and the limit. */
static void test_list(void **state)
{
	struct hostport hps[HOSTPORT_LIST_MAX];
	int bad = -7;

	(void)state;
	assert_int_equal(hostport_list("a:1, b:2 ,[::1]:3", hps, HOSTPORT_LIST_MAX, &bad), 3);
	assert_string_equal(hps[1].host, "b");
	assert_int_equal(hps[2].port, 3);
	assert_int_equal(bad, -7);
	assert_int_equal(hostport_list("a:1,,b:2", hps, HOSTPORT_LIST_MAX, &bad), -1);
	assert_int_equal(bad, 1);
	assert_int_equal(hostport_list("a:1,b:2,", hps, HOSTPORT_LIST_MAX, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(hostport_list("a:1,b:2,c:3", hps, 2, &bad), -1);
	assert_int_equal(bad, 2);
	assert_int_equal(hostport_list("a:1", hps, HOSTPORT_LIST_MAX, &bad), 1);
}

/* A host and port given apart, as Redis replies give them, and a host set as it is. */
static void test_join_and_set(void **state)
{
	struct hostport hp;
	char longhost[HOSTPORT_HOST_MAX + 1];

	(void)state;
	assert_true(hostport_join("::1", "26379", &hp));
	assert_string_equal(hp.host, "::1");
	assert_int_equal(hp.port, 26379);
	assert_false(hostport_join("10.0.0.1", "0", &hp));
	assert_false(hostport_join("10.0.0.1", "x", &hp));
	assert_false(hostport_join("", "6379", &hp));
	assert_true(hostport_set(&hp, "redis-a", 7000));
	assert_string_equal(hp.host, "redis-a");
	assert_int_equal(hp.port, 7000);
	memset(longhost, 'h', HOSTPORT_HOST_MAX);
	longhost[HOSTPORT_HOST_MAX] = '\0';
	assert_false(hostport_set(&hp, longhost, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refused),
		cmocka_unit_test(test_list),
		cmocka_unit_test(test_join_and_set),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
