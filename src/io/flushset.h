/* flushset.h: what a task's flush and show write: its checkpoint change set; its views, passed on. */
#ifndef FEEDBACKD_FLUSHSET_H
#define FEEDBACKD_FLUSHSET_H

#include <stddef.h>

#include "task.h"
#include "taskstore.h"

struct flushset;

/*
 * An empty set for store's change sets; the views the task shows go to view (arg view_arg)
 * as they come (false: out of memory). NULL when out of memory.
 */
struct flushset *flushset_new(const struct taskstore *store,
    bool (*view)(void *arg, const struct task_view *v), void *view_arg);

void flushset_free(struct flushset *fs);

/*
 * The sink task_show and task_flush fill fs through: views go on at once; agents' records,
 * tickets, dedupe records, outbox entries (their id the sequence number in decimal) and the
 * meta record go to the change set.
 */
struct task_sink flushset_sink(struct flushset *fs);

/* The change set: what taskstore_commit sends, and taskstore_changes_clear empties. */
struct taskstore_changes *flushset_changes(struct flushset *fs);

#endif
