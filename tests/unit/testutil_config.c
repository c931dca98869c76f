/* testutil_config.c: the fixture the config test drivers share. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil_config.h"

/* See testutil_config.h. */
int
test_setup(void **state)
{
	struct fixture	*f = calloc(1, sizeof *f);

	if (f == NULL)
		return -1;
	*state = f;
	return 0;
}

/* See testutil_config.h. */
int
test_teardown(void **state)
{
	struct fixture	*f = *state;

	config_free(&f->cfg);
	if (f->path[0] != '\0')
		unlink(f->path);
	free(f);
	return 0;
}

/* Writes text to a fresh temporary file named in f->path. */
static void
test_write(struct fixture *f, const char *text)
{
	int	fd;

	if (f->path[0] != '\0')
		unlink(f->path);
	snprintf(f->path, sizeof f->path, "/tmp/test_config.XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* See testutil_config.h. */
bool
test_load(struct fixture *f, const char *text)
{
	test_write(f, text);
	return config_load(&f->cfg, f->path, f->err, sizeof f->err);
}

/* See testutil_config.h. */
void
test_fails(struct fixture *f, const char *text, const char *suffix)
{
	char	expected[CONFIG_ERROR_SIZE + 64];

	assert_false(test_load(f, text));
	snprintf(expected, sizeof expected, "%s%s", f->path, suffix);
	assert_string_equal(f->err, expected);
}

/* See testutil_config.h. */
void
test_loads(struct fixture *f, const char *text)
{
	if (!test_load(f, text))
		fail_msg("unexpected error: %s", f->err);
}
