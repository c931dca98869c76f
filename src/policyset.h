/* policyset.h: the terms of the configured policies, made anew at each reload and kept for the tickets that use them. */
#ifndef FEEDBACKD_POLICYSET_H
#define FEEDBACKD_POLICYSET_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "terms.h"

/*
 * The terms of cfg's policies (terms[i] for cfg->policies[i]) and of its default, all held by
 * one book that outlives every reload: a ticket keeps the terms it started with.
 */
struct policyset {
	struct terms_book *book;
	const struct terms **terms;
	size_t count;
	const struct terms *default_terms;
};

/* An empty set; false when out of memory. */
bool policyset_init(struct policyset *ps);
void policyset_free(struct policyset *ps);

/* Makes the terms of cfg's policies the current ones; false (the set unchanged) when out of memory. */
bool policyset_load(struct policyset *ps, const struct config *cfg);

/*
 * A restored ticket's terms, made the book's own. Its calendar is found by name in cfg; one
 * no longer configured is replaced by `always`, and *missing says so. NULL when out of memory.
 */
const struct terms *policyset_restore(struct policyset *ps, const struct config *cfg, const struct terms *t,
    bool *missing);

#endif
