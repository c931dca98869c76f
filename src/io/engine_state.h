/*
 * engine_state.h: the engine's state, shared by engine.c and engine_restore.c, the files of
 * one module; callers outside it use engine.h.
 */
#ifndef FEEDBACKD_ENGINE_STATE_H
#define FEEDBACKD_ENGINE_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "offsetlist.h"
#include "policyset.h"
#include "task.h"

/* Waits before a claim, restore or commit that Redis refused or dropped is tried again. */
#define ENGINE_RETRY_MS 500

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
	struct flushset *flush;        /* the changes out (or being built) and their views */
	bool committing;               /* changes are out; only their answer may build the next */
	int64_t changed_ms;            /* when the oldest change not in a flush was applied; 0: none */
	bool fenced;                   /* another instance claimed it: nothing more is committed */
	struct offsetlist open;    /* offsets applied since the last flush */
	struct offsetlist flushed; /* offsets of the changes out */
	struct viewq *viewq;           /* views of committed changes, to Redis a round at a time */
	struct deliver *deliver;
	struct event *flush_ev;
	struct event *tick_ev;
	struct event *retry_ev;
	int64_t restore_started_ms;
	size_t restored_entries;
	bool meta_bad;                 /* the checkpoint's meta record could not be read */
	bool held;                     /* delivers nothing until its closing twins are gone (engine_handover) */
	bool delivering;               /* restored, and its outbox handed to its deliverer */
	/* Commits since the last debug summary (engine_debug_commits): how many, offsets, time. */
	struct {
		uint64_t commits, offsets, retries;
		int64_t since_ms, started_ms, total_ms;
	} debug;
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
	struct calendar *month_zone;   /* the appraisal calendar's copy, as at start; NULL: UTC */
	struct month_clock months;     /* tcfg.months */
	struct policyset policies;     /* the terms tickets start under, kept for those that use them */
	struct redis_wait wait;        /* every task's and the alerts', read at each write */
	struct engine_task **tasks;    /* by id; NULL when not owned */
	struct engine_task *closing;   /* tasks let go of, finishing what they had out */
	uint32_t ntasks;               /* [engine] tasks, settled at start */
};

/* Arms the tick timer for the task's next clock or window change. */
void engine_schedule_tick(struct engine_task *et);

/* Builds the change set of everything since the last flush and commits it. */
void engine_flush(struct engine_task *et);

/*
 * Lets a task go: it finishes what it has out (a last commit, its views, deliveries) and is
 * freed, while its id is free at once for a new task should the group give it back. Its views
 * go unpaced from now on, so none lands after the next owner's (which writes only what changed
 * once it wrote an agent in full: a late one would leave stale figures for good).
 */
void engine_close(struct engine_task *et, bool lost);

/*
 * A closing task goes once its last commit answered, its views are written and nothing is
 * being delivered. Entries delivered since that commit get one more, which records them as
 * done: otherwise the next owner restores them and sends their alerts again. If the next owner
 * claimed the task first, that commit is fenced: another instance then sends them again (at
 * least once), while a successor here drops them (engine_handover).
 */
void engine_task_maybe_free(struct engine_task *et);

/* Has every closing twin of et try to go (from the loop): et no longer waits for them. */
void engine_twins_may_go(struct engine_task *et);

/* Claims the task's generation, fencing out any earlier owner, then restores its checkpoint. */
void engine_restore_claim(struct engine_task *et);

/* task_config.restore_terms: a checkpointed ticket's terms; a calendar gone from the file is `always`. */
const struct terms *engine_restore_terms(void *arg, const struct terms *t);

#endif
