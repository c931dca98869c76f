/* testutil.h: small helpers shared by the unit test drivers. */
#ifndef FEEDBACKD_TESTUTIL_H
#define FEEDBACKD_TESTUTIL_H

#include "event.h"

/* Reads a whole file into a malloc'ed, NUL-terminated string; fails the test if it cannot. */
char *test_slurp(const char *path);

/* An opening event for policy matching: a complaint of severity sev, or a message when type says so. */
struct event test_opening(enum event_type type, enum severity sev, const char *category, const char *queue);

#endif
