/* flushset.c: what a task's flush and show write: its checkpoint change set; its views, passed on. */
#include "flushset.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flushset {
	struct taskstore_changes *changes;
	bool (*view)(void *arg, const struct task_view *v);
	void *view_arg;
};

/* See flushset.h. */
struct flushset *flushset_new(const struct taskstore *store,
    bool (*view)(void *arg, const struct task_view *v), void *view_arg)
{
	struct taskstore_changes *changes = taskstore_changes_new(store);
	struct flushset *fs = changes != NULL ? calloc(1, sizeof(*fs)) : NULL;

	if (fs == NULL) {
		taskstore_changes_free(changes);
		return NULL;
	}
	fs->changes = changes;
	fs->view = view;
	fs->view_arg = view_arg;
	return fs;
}

/* See flushset.h. */
void flushset_free(struct flushset *fs)
{
	if (fs != NULL) {
		taskstore_changes_free(fs->changes);
		free(fs);
	}
}

/* See flushset.h. */
struct taskstore_changes *flushset_changes(struct flushset *fs)
{
	return fs->changes;
}

/* Sink: an agent shown: its view goes on at once. */
static bool flushset_view(void *arg, const struct task_view *v)
{
	struct flushset *fs = arg;

	return fs->view(fs->view_arg, v);
}

/* Sink: an agent's changed state. */
static bool flushset_agent(void *arg, const char *id, const char *blob, size_t len)
{
	struct flushset *fs = arg;

	return taskstore_put(fs->changes, TASKSTORE_AGENT, id, strlen(id), blob, len);
}

/* Sink: a changed or deleted ticket. */
static bool flushset_ticket(void *arg, const char *id, const char *blob, size_t len)
{
	struct flushset *fs = arg;

	if (blob == NULL)
		return taskstore_del(fs->changes, TASKSTORE_TICKET, id, strlen(id));
	return taskstore_put(fs->changes, TASKSTORE_TICKET, id, strlen(id), blob, len);
}

/* Sink: a new dedupe record. */
static bool flushset_dedupe(void *arg, const uint8_t rec[DEDUPE_RECORD_SIZE])
{
	struct flushset *fs = arg;

	return taskstore_dedupe(fs->changes, rec, (int64_t)dedupe_record_expiry(rec) * 1000);
}

/* The checkpoint id of an outbox entry: its sequence number in decimal. */
static void flushset_outbox_id(uint64_t seq, char buf[24])
{
	snprintf(buf, 24, "%" PRIu64, seq);
}

/* Sink: a new outbox entry. */
static bool flushset_outbox(void *arg, const struct outbox_entry *o, const char *blob, size_t len)
{
	struct flushset *fs = arg;
	char id[24];

	flushset_outbox_id(o->seq, id);
	return taskstore_put(fs->changes, TASKSTORE_OUTBOX, id, strlen(id), blob, len);
}

/* Sink: a delivered outbox entry. */
static bool flushset_outbox_done(void *arg, uint64_t seq)
{
	struct flushset *fs = arg;
	char id[24];

	flushset_outbox_id(seq, id);
	return taskstore_del(fs->changes, TASKSTORE_OUTBOX, id, strlen(id));
}

/* Sink: the task's sequences and marks. */
static bool flushset_meta(void *arg, const char *blob, size_t len)
{
	struct flushset *fs = arg;

	return taskstore_positions(fs->changes, blob, len);
}

/* See flushset.h. */
struct task_sink flushset_sink(struct flushset *fs)
{
	struct task_sink sink = {flushset_view, flushset_agent, flushset_ticket, flushset_dedupe,
		{flushset_outbox, flushset_outbox_done, fs}, flushset_meta, fs};

	return sink;
}
