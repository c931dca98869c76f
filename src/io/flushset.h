/* flushset.h: what a task's flush writes: its checkpoint changes, and its agents' views for after the commit. */
#ifndef FEEDBACKD_FLUSHSET_H
#define FEEDBACKD_FLUSHSET_H

#include <stddef.h>

#include "task.h"
#include "taskstore.h"

struct flushset;

/*
 * An empty set for store's change sets, with views of windows windows (the configured
 * count, at most WINDOWS_MAX); NULL when out of memory.
 */
struct flushset *flushset_new(const struct taskstore *store, size_t windows);

void flushset_free(struct flushset *fs);

/*
 * The sink task_flush fills fs through: agents' records, tickets, dedupe records, outbox
 * entries (their id the sequence number in decimal) and the meta record go to the change set;
 * the agents' views are kept (packed) until flushset_views.
 */
struct task_sink flushset_sink(struct flushset *fs);

/* The change set: what taskstore_commit sends, and taskstore_changes_clear empties. */
struct taskstore_changes *flushset_changes(struct flushset *fs);

/* Hands each view kept to fn, in the order flushed, then forgets them (its commit answered). */
void flushset_views(struct flushset *fs, void (*fn)(void *arg, const struct task_view *v), void *arg);

/* Forgets the views kept (their commit was fenced); a buffer a large flush grew is given back. */
void flushset_drop_views(struct flushset *fs);

#endif
