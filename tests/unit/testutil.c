/* testutil.c: small helpers shared by the unit test drivers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "testutil.h"

/* See testutil.h. */
char *
test_slurp(const char *path)
{
	FILE	*fp = fopen(path, "r");
	char	*buf;
	long	 len;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	len = ftell(fp);
	assert_true(len >= 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

/* See testutil.h. */
struct event
test_opening(enum event_type type, enum severity sev, const char *category, const char *queue)
{
	struct event	e;

	memset(&e, 0, sizeof e);
	e.type = type;
	e.severity = sev;
	snprintf(e.category, sizeof e.category, "%s", category);
	snprintf(e.queue, sizeof e.queue, "%s", queue);
	return e;
}
