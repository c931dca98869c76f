/* testutil_config.h: the fixture the config test drivers share: a temp file, its config, its error. */
#ifndef FEEDBACKD_TESTUTIL_CONFIG_H
#define FEEDBACKD_TESTUTIL_CONFIG_H

#include <stdbool.h>

#include "config.h"

/* One test's temporary file, the config loaded from it and the error. */
struct fixture {
	char		path[64];
	struct config	cfg;
	char		err[CONFIG_ERROR_SIZE];
};

/* A test run with the fixture set up and torn down around it (include cmocka.h first). */
#define T(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)

/* Gives each test a zeroed config, which config_load accepts. */
int test_setup(void **state);

/* Frees whatever the test left in the config, loaded or half-loaded. */
int test_teardown(void **state);

/* Loads text as a config file. */
bool test_load(struct fixture *f, const char *text);

/* Loads text, which must fail with "PATH" followed by suffix exactly. */
void test_fails(struct fixture *f, const char *text, const char *suffix);

/* Loads text, which must succeed. */
void test_loads(struct fixture *f, const char *text);

#endif
