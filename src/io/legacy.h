/* legacy.h: the previous release's Redis state: refused at start, or cleared by --rebuild (I/O). */
#ifndef FEEDBACKD_LEGACY_H
#define FEEDBACKD_LEGACY_H

#include <stdbool.h>

#include "config.h"

/*
 * The start-up check, before anything else uses Redis (over short-lived connections of its
 * own to each primary, redisnodes.c). True when Redis holds none of the previous release's marker keys
 * (P offsets:<group>, P due, P clocks, P outbox, P rules:active) and no unfinished
 * --rebuild (P rebuild). Otherwise logs at err what was found and exactly how to rebuild,
 * and returns false: the daemon must exit 1 rather than mix old state with new. While
 * Redis cannot be reached or answers errors it retries, with a warning now and then.
 */
bool legacy_check(const struct config *cfg);

/*
 * feedbackd --rebuild, run once with every instance stopped. Resets the group's committed
 * offsets (input topics to their beginning, the route topic to its end; nothing with
 * brokers = embedded), refused while the group has members; then deletes the previous
 * release's keys, the contract keys (agent stats and alerts, P agents or its shards,
 * P alerts and its sent set) and this group's task checkpoints on every primary, printing
 * progress on stdout every 2 s and a summary at the end. P rebuild is set meanwhile, so an interrupted run blocks the start
 * until it is run again; running it twice is harmless. Returns the exit status: 0 or 1.
 */
int legacy_rebuild(const struct config *cfg);

#endif
