/* tally.h: a count per string key, for "which agents have events not yet applied" (pure). */
#ifndef FEEDBACKD_TALLY_H
#define FEEDBACKD_TALLY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally;

struct tally *tally_new(void);
void tally_free(struct tally *t);

/* Counts key (len bytes, need not end in NUL) once more; false when out of memory. */
bool tally_add(struct tally *t, const char *key, size_t len);

/* Counts key once less; a key that reaches zero is forgotten. Unknown keys are ignored. */
void tally_remove(struct tally *t, const char *key, size_t len);

/* How many times key is counted now (0 when unknown). */
size_t tally_count(const struct tally *t, const char *key, size_t len);

/* A value the caller keeps with a counted key, 0 when it was first counted; NULL if not counted. */
int64_t *tally_value(struct tally *t, const char *key, size_t len);

/* Distinct keys counted now. */
size_t tally_size(const struct tally *t);

#endif
