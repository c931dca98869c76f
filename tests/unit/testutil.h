/* testutil.h: small helpers shared by the unit test drivers. */
#ifndef FEEDBACKD_TESTUTIL_H
#define FEEDBACKD_TESTUTIL_H

/* Reads a whole file into a malloc'ed, NUL-terminated string; fails the test if it cannot. */
char *test_slurp(const char *path);

#endif
