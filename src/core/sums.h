/* sums.h: an agent's stored window sums, as the scripts return them (pure). */
#ifndef FEEDBACKD_SUMS_H
#define FEEDBACKD_SUMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "stats.h"
#include "window.h"

struct sums {
	int64_t version;                  /* of the agent's stats hash */
	int64_t open, overdue;            /* its running and overdue reply clocks */
	struct totals w[WINDOWS_MAX];     /* per configured window, in order */
};

/*
 * Decodes the MessagePack array of src/lua/_common.lua: the windows spec, version, open,
 * overdue, then per window its first bucket and COUNTER_COUNT counters. False when it is
 * malformed or was computed for other windows than spec (windows_encode's text).
 */
bool sums_decode(const char *buf, size_t len, const char *spec, size_t windows, struct sums *out);

#endif
