/* test_resp.c: commands as RESP text, byte for byte as hiredis formats them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "resp.h"

/* One bulk string, empty and with a NUL and line ends inside. */
static void test_bulk(void **state)
{
	char buf[64];

	(void)state;
	assert_int_equal(resp_bulk(buf, "", 0) - buf, 6);
	assert_memory_equal(buf, "$0\r\n\r\n", 6);
	assert_int_equal(resp_bulk(buf, "a\0\r\nb", 5) - buf, 11);
	assert_memory_equal(buf, "$5\r\na\0\r\nb\r\n", 11);
}

/* Whole commands equal hiredis's own formatting, with a head and lengths or without. */
static void test_command_as_hiredis(void **state)
{
	const char *argv[] = {"fb:task:{g:1}:meta", "", "0123456789x"};
	const size_t lens[] = {18, 0, 10};
	const char *full[] = {"EVALSHA", "abc", "1", "fb:task:{g:1}:meta", "", "0123456789"};
	char *mine, *theirs;
	size_t len;
	int n;

	(void)state;
	mine = resp_command(3, (const char *const[]){"EVALSHA", "abc", "1"}, 3, argv, lens, &len);
	n = redisFormatCommandArgv(&theirs, 6, full, (const size_t[]){7, 3, 1, 18, 0, 10});
	assert_non_null(mine);
	assert_int_equal((int)len, n);
	assert_memory_equal(mine, theirs, len);
	free(mine);
	redisFreeCommand(theirs);
	mine = resp_command(0, NULL, 2, (const char *[]){"GET", "k"}, NULL, &len);
	assert_int_equal(len, strlen("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"));
	assert_memory_equal(mine, "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", len);
	free(mine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_command_as_hiredis),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
