/* test_log.c: the logger: line format, levels, and the rate limiter with its late summaries. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "log.h"
#include "testutil.h"

/* The limiter's window, as documented in log.h. */
#define WINDOW_MS 10000

/* A summary is due at once the first time, then only once a second has passed since the last. */
static void test_log_summary_due(void **state)
{
	int64_t since = 0, elapsed = -1;

	(void)state;
	assert_true(log_summary_due(&since, 5000, &elapsed));
	assert_int_equal(elapsed, 0);
	assert_int_equal(since, 5000);
	assert_false(log_summary_due(&since, 5999, &elapsed));
	assert_int_equal(since, 5000);
	assert_true(log_summary_due(&since, 6000, &elapsed));
	assert_int_equal(elapsed, 1000);
	assert_int_equal(since, 6000);
	assert_true(log_summary_due(&since, 9500, &elapsed));
	assert_int_equal(elapsed, 3500);
}

/* Runs fn with stderr sent to a temporary file, and returns what was written. */
static char *
test_capture_stderr(void (*fn)(void))
{
	char	 path[] = "/tmp/test_log.XXXXXX", *text;
	int	 fd = mkstemp(path), saved = dup(STDERR_FILENO);

	assert_true(fd >= 0 && saved >= 0);
	dup2(fd, STDERR_FILENO);
	fn();
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	text = test_slurp(path);
	unlink(path);
	return text;
}

/* The lines test_log_format writes. */
static void
test_log_format_lines(void)
{
	log_setup(LOG_INFO, false);
	log_warn("disk %s", "full");
	log_debug("not shown");
	log_info("two\nlines");
	log_setup(LOG_DEBUG, true);
	log_debug("dbg");
	log_err("bad");
	log_set_level(LOG_ERR);
	log_warn("hidden");
	log_setup(LOG_INFO, false);
}

/* Plain lines carry an RFC 3339 time, ident and level; journal lines a "<N>" prefix. */
static void
test_log_format(void **state)
{
	char	*out, ident[64], *line2, *line3;

	(void)state;
	out = test_capture_stderr(test_log_format_lines);
	snprintf(ident, sizeof ident, "Z feedbackd[%ld]: warning: disk full\n", (long)getpid());
	/* 2026-11-23T10:00:00.123 */
	assert_true(strlen(out) > 23);
	assert_true(out[4] == '-' && out[10] == 'T' && out[19] == '.');
	assert_memory_equal(out + 23, ident, strlen(ident));
	line2 = strchr(out, '\n') + 1;
	assert_non_null(strstr(line2, ": info: two lines\n"));
	line3 = strchr(line2, '\n') + 1;
	assert_string_equal(line3, "<7>dbg\n<3>bad\n");
	free(out);
}

/* The lines test_log_limited writes; every key is this test's own, so no window is shared. */
static void
test_log_limited_lines(void)
{
	log_setup(LOG_INFO, true);
	for (int i = 0; i < 8; i++)
		log_limited(LOG_WARNING, "bad-json", "bad %d", i);
	log_limited(LOG_WARNING, "other", "other");
	log_limited(LOG_DEBUG, "bad-json", "below the level");
	/* The window is still open: nothing to report yet. */
	log_flush_suppressed(log_clock_ms());
	/* At exit every count is reported; it also leaves no count behind for the next test. */
	log_flush_suppressed(INT64_MAX);
	log_setup(LOG_INFO, false);
}

/* At most five lines per key and window; other keys have their own budget. */
static void
test_log_limited(void **state)
{
	char	*out;

	(void)state;
	out = test_capture_stderr(test_log_limited_lines);
	assert_string_equal(out, "<4>bad 0\n<4>bad 1\n<4>bad 2\n<4>bad 3\n<4>bad 4\n<4>other\n"
	    "<4>3 similar messages suppressed (bad-json)\n");
	free(out);
}

/* A burst that stops: its count comes from the flush once the window is over, and only once. */
static void
test_log_flush_lines(void)
{
	int64_t	start;

	log_setup(LOG_INFO, true);
	start = log_clock_ms();
	for (int i = 0; i < 7; i++)
		log_limited(LOG_WARNING, "burst", "burst %d", i);
	log_limited(LOG_ERR, "burst", "worse");
	/* A key that stayed within its budget has nothing to report. */
	log_limited(LOG_WARNING, "quiet", "quiet");
	log_flush_suppressed(start + WINDOW_MS - 1);
	log_flush_suppressed(start + WINDOW_MS + 1000);
	log_flush_suppressed(start + 2 * WINDOW_MS);
	log_setup(LOG_INFO, false);
}

/* The summary is written at the most severe suppressed priority. */
static void
test_log_flush(void **state)
{
	char	*out;

	(void)state;
	out = test_capture_stderr(test_log_flush_lines);
	assert_string_equal(out, "<4>burst 0\n<4>burst 1\n<4>burst 2\n<4>burst 3\n<4>burst 4\n"
	    "<4>quiet\n<3>3 similar messages suppressed (burst)\n");
	free(out);
}

/* A count reported at exit (INT64_MAX) is not repeated; the key's window goes on meanwhile. */
static void
test_log_flush_exit_lines(void)
{
	log_setup(LOG_INFO, true);
	for (int i = 0; i < 6; i++)
		log_limited(LOG_NOTICE, "at-exit", "line %d", i);
	log_flush_suppressed(INT64_MAX);
	log_limited(LOG_NOTICE, "at-exit", "after");
	log_flush_suppressed(INT64_MAX);
	log_setup(LOG_INFO, false);
}

/* After the flush the key is still over its budget: its next line is suppressed and counted afresh. */
static void
test_log_flush_exit(void **state)
{
	char	*out;

	(void)state;
	out = test_capture_stderr(test_log_flush_exit_lines);
	assert_string_equal(out, "<5>line 0\n<5>line 1\n<5>line 2\n<5>line 3\n<5>line 4\n"
	    "<5>1 similar messages suppressed (at-exit)\n<5>1 similar messages suppressed (at-exit)\n");
	free(out);
}

/* Level names and their aliases. */
static void
test_log_level_parse(void **state)
{
	(void)state;
	assert_int_equal(log_level_parse("err"), LOG_ERR);
	assert_int_equal(log_level_parse("error"), LOG_ERR);
	assert_int_equal(log_level_parse("warning"), LOG_WARNING);
	assert_int_equal(log_level_parse("warn"), LOG_WARNING);
	assert_int_equal(log_level_parse("notice"), LOG_NOTICE);
	assert_int_equal(log_level_parse("info"), LOG_INFO);
	assert_int_equal(log_level_parse("debug"), LOG_DEBUG);
	assert_int_equal(log_level_parse("DEBUG"), LOG_DEBUG);
	assert_int_equal(log_level_parse("trace"), -1);
	assert_int_equal(log_level_parse(""), -1);
	assert_int_equal(log_level_parse(NULL), -1);
}

/* Runs every test. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_format),
		cmocka_unit_test(test_log_limited),
		cmocka_unit_test(test_log_flush),
		cmocka_unit_test(test_log_flush_exit),
		cmocka_unit_test(test_log_level_parse),
		cmocka_unit_test(test_log_summary_due),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
