/*
 * engine_task.h: the engine's own view of a task, shared by its two files (engine.c: the
 * tasks' life, shows, commits and views; engine_restore.c: claim and restore). Not an
 * interface: the rest of the daemon uses engine.h.
 */
#ifndef FEEDBACKD_ENGINE_TASK_H
#define FEEDBACKD_ENGINE_TASK_H

#include <stdbool.h>
#include <stdint.h>
#include <event2/event.h>

#include "engine.h"
#include "offsetlist.h"
#include "task.h"

/* A dedupe segment is this part of the horizon: few keys, little overstay. */
#define ENGINE_SEGMENTS 24
/* Waits before a claim, restore or commit that Redis refused or dropped is tried again. */
#define ENGINE_RETRY_MS 500
/*
 * Views run ahead of the checkpoint, so they are fenced by time rather than by the commit's
 * generation check: a task writes views only within ENGINE_LEASE_MS after sending a commit
 * that Redis then accepted (its lease), and a new owner writes none until ENGINE_LEASE_MS +
 * ENGINE_LEASE_MARGIN_MS after its claim answered. So an owner that lost a task without
 * knowing (a stalled process, a lost group session) has stopped writing its agents' figures
 * before the next owner starts, and none of its writes lands after the next owner's.
 */
#define ENGINE_LEASE_MS 1000
#define ENGINE_LEASE_MARGIN_MS 500

enum engine_state {
	ENGINE_CLAIMING,  /* generation increment sent */
	ENGINE_RESTORING, /* checkpoint streaming back */
	ENGINE_READY,     /* takes events */
	ENGINE_CLOSING    /* revoked or fenced: last flush out, then freed */
};

struct engine_task {
	struct engine *e;
	uint32_t id;
	enum engine_state state;
	struct task *task;
	struct taskstore *store;
	struct flushset *flush;        /* the changes out (or being built) */
	bool committing;               /* changes are out; only their answer may build the next */
	int64_t changed_ms;            /* when the oldest change not yet shown was applied; 0: none */
	int64_t commit_sent_ms;        /* when the last commit was sent (ts_mono_ms, each attempt) */
	int64_t hold_until_ms;         /* no views before: the last owner's lease is over (ts_mono_ms) */
	int64_t lease_until_ms;        /* no views from: the last accepted commit's lease ends (ts_mono_ms) */
	bool fenced;                   /* another instance claimed it: nothing more is committed */
	struct offsetlist open;    /* offsets applied since the last flush */
	struct offsetlist flushed; /* offsets of the changes out */
	struct viewq *viewq;           /* views of shown changes, to Redis a round at a time */
	struct deliver *deliver;
	struct event *show_ev;         /* the next show: flush_interval after the oldest change */
	struct event *commit_ev;       /* the next commit, when one is due (engine_commit_due) */
	struct event *tick_ev;
	struct event *retry_ev;
	int64_t restore_started_ms;
	size_t restored_entries;
	bool meta_bad;                 /* the checkpoint's meta record could not be read */
	bool held;                     /* delivers nothing until its closing twins are gone (engine_handover) */
	bool delivering;               /* restored, and its outbox handed to its deliverer */
	struct engine_task *next_closing;
	struct event *free_ev;         /* frees a closing task from the loop, never under a callback */
};

struct engine {
	struct event_base *base;
	const struct config *cfg;
	struct metrics *metrics;
	struct redis *redis;
	struct producer *route;
	struct producer *alerts;
	struct view *view;
	struct engine_handler handler;
	struct task_config tcfg;
	struct engine_task **tasks;    /* by id; NULL when not owned */
	struct engine_task *closing;   /* tasks let go of, finishing what they had out */
	uint32_t ntasks;               /* [engine] tasks, settled at start */
};

/* engine.c */
void engine_flush(struct engine_task *et);
void engine_close(struct engine_task *et, bool lost);
void engine_task_maybe_free(struct engine_task *et);
void engine_schedule_tick(struct engine_task *et);
void engine_twins_may_go(struct engine_task *et);

/* engine_restore.c: claims the task's generation, fencing out any earlier owner, then restores it. */
void engine_claim(struct engine_task *et);

#endif
