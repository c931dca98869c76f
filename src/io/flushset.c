/* flushset.c: what a task's flush writes: its checkpoint changes, and its agents' views for after the commit. */
#include "flushset.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * An agent view of a flush, written to the contract keys once it is committed. A flush's
 * views are packed one after another in one buffer (a flush of 100,000 agents holds them
 * all until its commit answers): the configured windows' totals and ranking scores only
 * (a task_view has room for WINDOWS_MAX), then the id and its NUL, then the team and its
 * NUL when it has one, padded to the next view's alignment.
 */
struct flushset_view {
	int64_t open, overdue, newest_ms, since_ms;
	bool has_team;
	size_t nmonths;
	struct appraisal_view months[APPRAISAL_MONTHS];
	struct totals totals[];
};
/*
 * The views buffer kept between flushes: enough for benchmark 1's (a few thousand events,
 * 2-3 MB of views), so those reuse their pages; a burst's larger one is freed once its
 * commit answered.
 */
#define FLUSHSET_VIEWS_KEEP (4 * 1024 * 1024)

struct flushset {
	struct taskstore_changes *changes;
	size_t windows;
	char *views;                   /* packed (struct flushset_view) */
	size_t views_len, views_cap;
};

/* See flushset.h. */
struct flushset *flushset_new(const struct taskstore *store, size_t windows)
{
	struct taskstore_changes *changes = taskstore_changes_new(store);
	struct flushset *fs = changes != NULL ? calloc(1, sizeof(*fs)) : NULL;

	if (fs == NULL) {
		taskstore_changes_free(changes);
		return NULL;
	}
	fs->changes = changes;
	fs->windows = windows;
	return fs;
}

/* See flushset.h. */
void flushset_free(struct flushset *fs)
{
	if (fs != NULL) {
		taskstore_changes_free(fs->changes);
		free(fs->views);
		free(fs);
	}
}

/* See flushset.h. */
struct taskstore_changes *flushset_changes(struct flushset *fs)
{
	return fs->changes;
}

/* Where a packed view's ranking scores start: after its totals. */
static int64_t *flushset_ranks(struct flushset_view *v, size_t windows)
{
	return (int64_t *)(void *)&v->totals[windows];
}

/* Where a packed view's id starts: after its ranking scores. */
static char *flushset_id(struct flushset_view *v, size_t windows)
{
	return (char *)(flushset_ranks(v, windows) + windows * RANK_COUNT);
}

/* The bytes of a packed view with n windows and ids (agent and team) of len bytes with their NULs. */
static size_t flushset_view_size(size_t windows, size_t len)
{
	size_t a = _Alignof(struct flushset_view), n = sizeof(struct flushset_view) + windows * sizeof(struct totals) +
	    windows * RANK_COUNT * sizeof(int64_t);

	return (n + len + a - 1) / a * a;
}

/* See flushset.h. */
void flushset_drop_views(struct flushset *fs)
{
	fs->views_len = 0;
	if (fs->views_cap > FLUSHSET_VIEWS_KEEP) {
		free(fs->views);
		fs->views = NULL;
		fs->views_cap = 0;
	}
}

/* See flushset.h. */
void flushset_views(struct flushset *fs, void (*fn)(void *arg, const struct task_view *v), void *arg)
{
	struct task_view tv;

	memset(&tv, 0, sizeof(tv));
	for (size_t off = 0; off < fs->views_len;) {
		struct flushset_view *v = (struct flushset_view *)(void *)(fs->views + off);
		const int64_t *rank = flushset_ranks(v, fs->windows);
		size_t ids;

		tv.agent = flushset_id(v, fs->windows);
		ids = strlen(tv.agent) + 1;
		tv.team = v->has_team ? tv.agent + ids : NULL;
		ids += v->has_team ? strlen(tv.team) + 1 : 0;
		off += flushset_view_size(fs->windows, ids);
		for (size_t w = 0; w < WINDOWS_MAX; w++)
			for (size_t r = 0; r < RANK_COUNT; r++)
				tv.rank[w][r] = w < fs->windows ? rank[w * RANK_COUNT + r] : RANK_NONE;
		tv.open = v->open;
		tv.overdue = v->overdue;
		tv.newest_ms = v->newest_ms;
		tv.since_ms = v->since_ms;
		tv.nmonths = v->nmonths;
		memcpy(tv.months, v->months, v->nmonths * sizeof(tv.months[0]));
		memcpy(tv.totals, v->totals, fs->windows * sizeof(tv.totals[0]));
		fn(arg, &tv);
	}
	flushset_drop_views(fs);
}

/* Sink: a changed agent; its record (when its state changed) and its view. */
static bool flushset_agent(void *arg, const char *id, const char *blob, size_t len, const struct task_view *view)
{
	struct flushset *fs = arg;
	size_t id_len = strlen(id), team_len = view->team != NULL ? strlen(view->team) + 1 : 0;
	size_t size = flushset_view_size(fs->windows, id_len + 1 + team_len);
	struct flushset_view *v;
	int64_t *rank;

	if (blob != NULL && !taskstore_put(fs->changes, TASKSTORE_AGENT, id, id_len, blob, len))
		return false;
	if (fs->views_len + size > fs->views_cap) {
		size_t cap = fs->views_cap ? fs->views_cap * 2 : 64 * size;
		char *p;

		while (cap < fs->views_len + size)
			cap *= 2;
		if ((p = realloc(fs->views, cap)) == NULL)
			return false;
		fs->views = p;
		fs->views_cap = cap;
	}
	v = (struct flushset_view *)(void *)(fs->views + fs->views_len);
	v->open = view->open;
	v->overdue = view->overdue;
	v->newest_ms = view->newest_ms;
	v->since_ms = view->since_ms;
	v->has_team = view->team != NULL;
	v->nmonths = view->nmonths;
	memcpy(v->months, view->months, view->nmonths * sizeof(v->months[0]));
	memcpy(v->totals, view->totals, fs->windows * sizeof(v->totals[0]));
	rank = flushset_ranks(v, fs->windows);
	for (size_t w = 0; w < fs->windows; w++)
		memcpy(rank + w * RANK_COUNT, view->rank[w], RANK_COUNT * sizeof(*rank));
	memcpy(flushset_id(v, fs->windows), id, id_len + 1);
	if (view->team != NULL)
		memcpy(flushset_id(v, fs->windows) + id_len + 1, view->team, team_len);
	fs->views_len += size;
	return true;
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
	struct task_sink sink = {flushset_agent, flushset_ticket, flushset_dedupe,
		{flushset_outbox, flushset_outbox_done, fs}, flushset_meta, fs};

	return sink;
}
