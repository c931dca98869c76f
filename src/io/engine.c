/* engine.c: the tasks this instance owns: restore, apply, flush to Redis, deliver the outbox. */
#include "engine.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "flushset.h"
#include "log.h"
#include "offsetlist.h"
#include "partitioner.h"
#include "taskstore.h"
#include "timestamp.h"
#include "view.h"
#include "viewq.h"

#include "engine_task.h"

/* See engine.h. */
uint32_t engine_owner(const struct engine *e, const char *id, size_t len)
{
	return partitioner_of(e->cfg->partitioner, id, len, e->ntasks);
}

/* task_config.owner. */
static uint32_t engine_owner_cb(void *arg, const char *id, size_t len)
{
	return engine_owner(arg, id, len);
}

/* Arms ev to fire wait_ms from now (at once when not positive). */
static void engine_timer_in(struct event *ev, int64_t wait_ms)
{
	struct timeval tv;

	if (wait_ms < 0)
		wait_ms = 0;
	tv.tv_sec = wait_ms / 1000;
	tv.tv_usec = (wait_ms % 1000) * 1000;
	evtimer_add(ev, &tv);
}

/* Arms the show timer unless armed: flush_interval after the oldest change not yet shown. */
static void engine_schedule_show(struct engine_task *et)
{
	int64_t now;

	if (evtimer_pending(et->show_ev, NULL))
		return;
	now = ts_now_ms();
	engine_timer_in(et->show_ev, (et->changed_ms ? et->changed_ms : now) + et->e->cfg->flush_interval_ms - now);
}

/*
 * When the next commit is due (ts_mono_ms), INT64_MAX when none: commit_interval after the
 * last one was sent while anything is unsaved, and while views wait, half a lease before
 * the lease they need runs out (a commit renews it, even one with nothing to save).
 */
static int64_t engine_commit_due(const struct engine_task *et)
{
	int64_t due = INT64_MAX, lease = et->lease_until_ms;

	if (task_dirty(et->task))
		due = et->commit_sent_ms + et->e->cfg->commit_interval_ms;
	if (viewq_waiting(et->viewq)) {
		if (lease < et->hold_until_ms)
			lease = et->hold_until_ms;
		if (lease - ENGINE_LEASE_MS / 2 < due)
			due = lease - ENGINE_LEASE_MS / 2;
	}
	return due;
}

/* Arms the commit timer for the next commit due, unless a commit is out (its answer arms it). */
static void engine_schedule_commit(struct engine_task *et)
{
	int64_t due;

	if (et->committing || et->state != ENGINE_READY)
		return;
	if ((due = engine_commit_due(et)) == INT64_MAX)
		evtimer_del(et->commit_ev);
	else
		engine_timer_in(et->commit_ev, due - ts_mono_ms());
}

/* Arms the tick timer for the task's next clock or window change. */
void engine_schedule_tick(struct engine_task *et)
{
	int64_t next = task_next_tick(et->task);

	if (next == INT64_MAX) {
		evtimer_del(et->tick_ev);
		return;
	}
	engine_timer_in(et->tick_ev, next - ts_now_ms());
}

/* The tick timer: runs what is due and flushes the result. */
static void engine_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct engine_task *et = arg;

	(void)fd;
	(void)what;
	if (et->state != ENGINE_READY)
		return;
	task_tick(et->task, ts_now_ms());
	engine_schedule_tick(et);
	if (task_showable(et->task))
		engine_schedule_show(et);
	else
		engine_schedule_commit(et);
}

/* The commit timer. */
static void engine_on_commit_due(evutil_socket_t fd, short what, void *arg)
{
	struct engine_task *et = arg;

	(void)fd;
	(void)what;
	/* Fired a little early (the loop's clock is not ts_mono_ms) with only a renewal due: armed again. */
	if (!task_dirty(et->task) && engine_commit_due(et) > ts_mono_ms()) {
		engine_schedule_commit(et);
		return;
	}
	engine_flush(et);
}

/* A closing task of et's id, other than et and skip; NULL when none. */
static struct engine_task *engine_twin(const struct engine_task *et, const struct engine_task *skip)
{
	for (struct engine_task *t = et->e->closing; t != NULL; t = t->next_closing)
		if (t->id == et->id && t != et && t != skip)
			return t;
	return NULL;
}

/*
 * A closing task is gone while this process holds its id again, under a task that restored
 * the checkpoint and waits for it: the entries it delivered since its last commit are in that
 * checkpoint too (its commit recording them was fenced by the new claim, or never made), so
 * they are dropped there rather than sent twice. With no earlier holder left, it delivers.
 */
static void engine_handover(struct engine_task *old)
{
	struct engine_task *et = old->e->tasks[old->id];

	if (et == NULL || !et->held || et->state != ENGINE_READY)
		return;
	/* One that never delivered (held, or gone before its restore) says nothing of its outbox. */
	if (old->delivering)
		outbox_delivered_by(task_outbox(et->task), task_outbox(old->task));
	if (engine_twin(et, old) != NULL)
		return;
	et->held = false;
	et->delivering = true;
	deliver_attach(et->deliver, task_outbox(et->task));
	deliver_drive(et->deliver);
	engine_schedule_commit(et);
}

/* Frees a task that no longer has anything out. */
static void engine_task_free(struct engine_task *et)
{
	struct engine_task **pp = &et->e->closing;

	if (et->e->tasks[et->id] == et)
		et->e->tasks[et->id] = NULL;
	while (*pp != NULL && *pp != et)
		pp = &(*pp)->next_closing;
	if (*pp == et) {
		*pp = et->next_closing;
		engine_handover(et);
	}
	offsetlist_free(&et->open);
	offsetlist_free(&et->flushed);
	event_free(et->show_ev);
	event_free(et->commit_ev);
	event_free(et->tick_ev);
	event_free(et->retry_ev);
	if (et->free_ev != NULL)
		event_free(et->free_ev);
	deliver_free(et->deliver);
	viewq_free(et->viewq);
	flushset_free(et->flush);
	taskstore_free(et->store);
	task_free(et->task);
	free(et);
}

/*
 * A closing task goes once its last commit answered, its views are written and nothing is
 * being delivered. Entries delivered since that commit get one more, which records them as
 * done: otherwise the next owner restores them and sends their alerts again. If the next owner
 * claimed the task first, that commit is fenced: another instance then sends them again (at
 * least once), while a successor here drops them (engine_handover).
 */
void engine_task_maybe_free(struct engine_task *et)
{
	const struct engine_task *next = et->e->tasks[et->id];

	if (et->state != ENGINE_CLOSING)
		return;
	/* Views it may not write (fenced, or never past the hold): the next owner writes every agent. */
	if (viewq_waiting(et->viewq) && (et->fenced || ts_mono_ms() < et->hold_until_ms))
		viewq_discard(et->viewq);
	/* Views its lease no longer covers: a commit renews it (fenced if the task is someone else's). */
	if (viewq_waiting(et->viewq) && ts_mono_ms() >= et->lease_until_ms)
		engine_flush(et);
	if (et->committing || taskstore_busy(et->store) || !deliver_idle(et->deliver) || !viewq_idle(et->viewq))
		return;
	/* Its successor here has not restored yet: what this one delivered is dropped there once it has. */
	if (next != NULL && next->held && next->state != ENGINE_READY)
		return;
	if (!et->fenced && outbox_changed(task_outbox(et->task))) {
		engine_flush(et);
		if (et->committing)
			return;
	}
	engine_task_free(et);
}

/* Frees a closing task from the loop: the callback that says it may go is still running. */
static void engine_task_free_soon(void *arg)
{
	struct engine_task *et = arg;
	struct timeval now = {0, 0};

	evtimer_add(et->free_ev, &now);
}

/* Has every closing twin of et try to go (from the loop): et no longer waits for them. */
void engine_twins_may_go(struct engine_task *et)
{
	for (struct engine_task *t = et->e->closing; t != NULL; t = t->next_closing)
		if (t->id == et->id && t != et)
			engine_task_free_soon(t);
}

/*
 * Lets a task go: it finishes what it has out (a last commit, its views, deliveries) and is
 * freed, while its id is free at once for a new task should the group give it back. Its views
 * go unpaced from now on, so none lands after the next owner's (which writes only what changed
 * once it wrote an agent in full: a late one would leave stale figures for good).
 */
void engine_close(struct engine_task *et, bool lost)
{
	struct engine *e = et->e;

	if (et->state == ENGINE_CLOSING)
		return;
	et->state = ENGINE_CLOSING;
	evtimer_del(et->tick_ev);
	viewq_close(et->viewq, engine_task_free_soon);
	if (et->held)
		engine_twins_may_go(et);
	if (e->tasks[et->id] == et) {
		e->tasks[et->id] = NULL;
		et->next_closing = e->closing;
		e->closing = et;
	}
	if (lost)
		e->handler.task_lost(e->handler.arg, et->id);
	engine_task_maybe_free(et);
}

/* The free timer: a closing task whose last delivery ended goes now. */
static void engine_on_free(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	engine_task_maybe_free(arg);
}

/* A round of views was not written, or found a hash changed: every agent is shown again, in full. */
static void engine_views_failed(void *arg)
{
	struct engine_task *et = arg;

	log_limited(LOG_WARNING, "views", "redis: a round of stats writes for task %" PRIu32 " was not fully "
	    "written, or found a stats hash changed by another client; its agents are written again in full",
	    et->id);
	if (et->state != ENGINE_READY)
		return;
	task_show_all(et->task);
	engine_schedule_show(et);
}

/* Queues one view the task showed; the queue writes the newest of each agent. */
static bool engine_write_view(void *arg, const struct task_view *v)
{
	struct engine_task *et = arg;

	/* Out of memory: that agent is shown with its next change. */
	(void)viewq_put(et->viewq, v);
	return true;
}

/* Out of memory half way through a show or a flush: its changes are gone, so the task is restored again. */
static void engine_out_of_memory(struct engine_task *et)
{
	log_err("engine: task %" PRIu32 ": out of memory applying its changes; dropping it "
	    "until the group gives it again", et->id);
	engine_close(et, true);
}

/* Writes what a show or a flush queued, paced only while the task is hot. */
static void engine_views_go(struct engine_task *et)
{
	viewq_quiet(et->viewq, !task_hot(et->task));
	viewq_kick(et->viewq);
}

/* The show timer: shows the agents that changed, and has a commit follow when one is due. */
static void engine_on_show(evutil_socket_t fd, short what, void *arg)
{
	struct engine_task *et = arg;
	struct task_sink sink = flushset_sink(et->flush);

	(void)fd;
	(void)what;
	if (et->state != ENGINE_READY)
		return;
	et->changed_ms = 0;
	if (task_showable(et->task) && !task_show(et->task, ts_now_ms(), &sink)) {
		engine_out_of_memory(et);
		return;
	}
	/* The show set the agents' next window changes and rule checks: the timer follows them. */
	engine_schedule_tick(et);
	engine_views_go(et);
	engine_schedule_commit(et);
}


/* The answer to a commit. */
static void engine_on_commit(void *arg, enum taskstore_result res)
{
	struct engine_task *et = arg;
	struct engine *e = et->e;
	struct timeval tv = {0, ENGINE_RETRY_MS * 1000};

	if (res == TASKSTORE_FAILED) {
		/* The same change set goes again, unchanged, once Redis answers. */
		e->metrics->batch_retries++;
		evtimer_add(et->retry_ev, &tv);
		return;
	}
	et->committing = false;
	if (res == TASKSTORE_FENCED) {
		log_warn("engine: task %" PRIu32 " was claimed by another instance; dropping it", et->id);
		et->fenced = true;
		viewq_discard(et->viewq);
		et->flushed.n = 0;
		if (et->state != ENGINE_CLOSING)
			engine_close(et, true);
		else
			engine_task_maybe_free(et);
		return;
	}
	outbox_committed(task_outbox(et->task));
	taskstore_changes_clear(flushset_changes(et->flush));
	/* Redis ran the commit after it was sent, so the task was still its owner then. */
	if (et->lease_until_ms < et->commit_sent_ms + ENGINE_LEASE_MS)
		et->lease_until_ms = et->commit_sent_ms + ENGINE_LEASE_MS;
	viewq_allow(et->viewq, et->hold_until_ms, et->lease_until_ms);
	offsetlist_count(&et->flushed, e->metrics); /* the metrics say what Redis holds */
	{
		/* Emptied first, so whoever hears of the last offset sees nothing left uncommitted here. */
		size_t n = et->flushed.n;

		et->flushed.n = 0;
		for (size_t i = 0; i < n; i++)
			e->handler.done(e->handler.arg, et->flushed.v[i].topic, et->flushed.v[i].partition,
			    et->flushed.v[i].offset);
		e->handler.settled(e->handler.arg);
		offsetlist_shrink(&et->flushed);
	}
	deliver_drive(et->deliver);
	if (et->state == ENGINE_CLOSING) {
		engine_task_maybe_free(et);
		return;
	}
	if (et->open.n >= (size_t)e->cfg->batch_size) {
		engine_flush(et);
		return;
	}
	engine_schedule_commit(et);
	if (!task_dirty(et->task))
		taskstore_changes_release(flushset_changes(et->flush)); /* quiet: its buffers are not kept */
}

/* Sends the change set out (again, after a failure). */
static void engine_commit(struct engine_task *et)
{
	et->commit_sent_ms = ts_mono_ms();
	if (!taskstore_commit(et->store, flushset_changes(et->flush), engine_on_commit, et)) {
		struct timeval tv = {0, ENGINE_RETRY_MS * 1000};

		evtimer_add(et->retry_ev, &tv); /* busy or Redis down: try again */
	}
}

/* Shows what changed, builds the change set of everything since the last flush and commits it. */
void engine_flush(struct engine_task *et)
{
	struct task_sink sink = flushset_sink(et->flush);
	struct offsetlist swap;

	if (et->committing || (et->state != ENGINE_READY && et->state != ENGINE_CLOSING) ||
	    (!task_dirty(et->task) && engine_commit_due(et) > ts_mono_ms()))
		return;
	evtimer_del(et->commit_ev);
	taskstore_changes_clear(flushset_changes(et->flush));
	if (!task_flush(et->task, ts_now_ms(), &sink)) {
		engine_out_of_memory(et);
		return;
	}
	engine_schedule_tick(et);
	et->changed_ms = 0;
	evtimer_del(et->show_ev);
	engine_views_go(et);
	swap = et->flushed;
	et->flushed = et->open;
	et->open = swap;
	et->open.n = 0;
	et->committing = true;
	engine_commit(et);
}

/* The retry timer: whatever step waits on Redis is tried again. */
static void engine_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct engine_task *et = arg;

	(void)fd;
	(void)what;
	if (et->committing)
		engine_commit(et);
	else if (et->state == ENGINE_CLAIMING || et->state == ENGINE_RESTORING)
		engine_claim(et);
}

/* Delivery of an outbox entry finished. */
static void engine_delivered(void *arg, uint64_t seq)
{
	struct engine_task *et = arg;

	outbox_delivered(task_outbox(et->task), seq);
	if (et->state == ENGINE_CLOSING)
		engine_task_free_soon(et); /* not here: the deliverer is still in its loop */
	else
		engine_schedule_commit(et);
}

/* See engine.h. */
void engine_assign(struct engine *e, uint32_t id)
{
	struct engine_task *et;
	int64_t segment_ms = e->cfg->dedupe_horizon_ms / ENGINE_SEGMENTS;

	if (id >= e->ntasks || e->tasks[id] != NULL)
		return;
	if ((et = calloc(1, sizeof(*et))) == NULL)
		goto fail;
	et->e = e;
	et->id = id;
	et->restore_started_ms = ts_now_ms();
	et->task = task_new(id, &e->tcfg);
	et->store = taskstore_new(e->redis, e->cfg->prefix, e->cfg->group, (int)id, segment_ms > 0 ? segment_ms : 1);
	et->flush = et->store != NULL ? flushset_new(et->store, engine_write_view, et) : NULL;
	et->deliver = deliver_new(e->base, e->cfg, e->metrics, e->view, e->route, e->alerts, engine_delivered, et);
	et->viewq = viewq_new(e->base, e->view, e->metrics, engine_views_failed, et);
	et->show_ev = evtimer_new(e->base, engine_on_show, et);
	et->commit_ev = evtimer_new(e->base, engine_on_commit_due, et);
	et->tick_ev = evtimer_new(e->base, engine_on_tick, et);
	et->retry_ev = evtimer_new(e->base, engine_on_retry, et);
	et->free_ev = evtimer_new(e->base, engine_on_free, et);
	if (et->task == NULL || et->flush == NULL || et->deliver == NULL || et->viewq == NULL || et->show_ev == NULL ||
	    et->commit_ev == NULL || et->tick_ev == NULL || et->retry_ev == NULL || et->free_ev == NULL) {
		engine_task_free(et);
		goto fail;
	}
	/* An earlier holder of the id still closing here: deliveries wait for it (engine_handover). */
	et->held = engine_twin(et, NULL) != NULL;
	deliver_attach(et->deliver, et->held ? NULL : task_outbox(et->task));
	e->tasks[id] = et;
	engine_claim(et);
	return;
fail:
	log_err("engine: out of memory taking task %" PRIu32, id);
	e->handler.task_lost(e->handler.arg, id);
}

/* See engine.h. */
void engine_revoke(struct engine *e, uint32_t id)
{
	struct engine_task *et = id < e->ntasks ? e->tasks[id] : NULL;

	if (et == NULL || et->state == ENGINE_CLOSING)
		return;
	if (et->state == ENGINE_READY && !et->committing)
		engine_flush(et);
	/* Offsets of changes not committed stay uncommitted in Kafka: the next owner reads them again. */
	et->open.n = 0;
	engine_close(et, false);
}

/* See engine.h. */
bool engine_ready(const struct engine *e, uint32_t id)
{
	return id < e->ntasks && e->tasks[id] != NULL && e->tasks[id]->state == ENGINE_READY;
}

/* Something was applied at now_ms: commit at once past [ingest] batch_size, else show it at the flush interval. */
static void engine_applied(struct engine_task *et, int64_t now_ms)
{
	viewq_quiet(et->viewq, !task_hot(et->task));
	if (et->changed_ms == 0)
		et->changed_ms = now_ms;
	if (et->open.n >= (size_t)et->e->cfg->batch_size && !et->committing) {
		engine_flush(et);
		return;
	}
	/* Not the tick timer: the show that follows re-arms it once for every change it holds. */
	engine_schedule_show(et);
}

/* See engine.h. */
void engine_event(struct engine *e, uint32_t id, const struct event *ev, const char *topic,
    int32_t partition, int64_t offset, int64_t now_ms)
{
	struct engine_task *et = e->tasks[id];
	enum task_result r = task_event(et->task, ev, now_ms);

	offsetlist_add(&et->open, topic, partition, offset, (int)ev->type, r);
	engine_applied(et, now_ms);
}

/* See engine.h. */
bool engine_batch(struct engine *e, uint32_t id, const char *buf, size_t len, const char *topic,
    int32_t partition, int64_t offset, int64_t now_ms)
{
	struct engine_task *et = e->tasks[id];
	bool ok = task_batch(et->task, buf, len, now_ms);

	offsetlist_add(&et->open, topic, partition, offset, -1, TASK_APPLIED);
	engine_applied(et, now_ms);
	return ok;
}

/* See engine.h. */
size_t engine_uncommitted(const struct engine *e)
{
	size_t n = 0;

	for (uint32_t id = 0; id < e->ntasks; id++)
		if (e->tasks[id] != NULL)
			n += e->tasks[id]->open.n + e->tasks[id]->flushed.n;
	return n;
}

/* See engine.h. */
void engine_redis_up(struct engine *e)
{
	for (uint32_t id = 0; id < e->ntasks; id++) {
		struct engine_task *et = e->tasks[id];

		if (et != NULL && !evtimer_pending(et->retry_ev, NULL) && et->committing)
			engine_commit(et);
	}
}

/* See engine.h. */
void engine_views_up(struct engine *e)
{
	for (uint32_t id = 0; id < e->ntasks; id++)
		if (e->tasks[id] != NULL)
			viewq_kick(e->tasks[id]->viewq);
	for (struct engine_task *et = e->closing; et != NULL; et = et->next_closing)
		viewq_kick(et->viewq);
}

/* See engine.h. */
bool engine_drain(struct engine *e)
{
	bool idle = true;

	for (uint32_t id = 0; id < e->ntasks; id++) {
		struct engine_task *et = e->tasks[id];

		if (et == NULL)
			continue;
		if (et->state == ENGINE_READY)
			engine_flush(et);
		if (et->committing || task_dirty(et->task) || !deliver_idle(et->deliver))
			idle = false;
	}
	for (const struct engine_task *et = e->closing; et != NULL; et = et->next_closing)
		if (et->committing || !deliver_idle(et->deliver))
			idle = false;
	return idle;
}

/* See engine.h. */
void engine_gauges(const struct engine *e, uint64_t *tasks, uint64_t *agents, uint64_t *clocks,
    uint64_t *overdue, uint64_t *ids)
{
	*tasks = *agents = *clocks = *overdue = *ids = 0;
	for (uint32_t id = 0; id < e->ntasks; id++) {
		const struct engine_task *et = e->tasks[id];
		size_t late;

		if (et == NULL || et->state != ENGINE_READY)
			continue;
		(*tasks)++;
		*agents += task_agents(et->task);
		*clocks += task_clocks(et->task, &late);
		*overdue += late;
		*ids += task_dedupe_ids(et->task);
	}
}

/* See engine.h. */
void engine_reconfigure(struct engine *e)
{
	const struct config *cfg = e->cfg;

	e->tcfg.clocks.target_ms[CLOCK_MESSAGE] = cfg->reply_target_ms;
	for (int s = 0; s < SEVERITY_COUNT; s++)
		e->tcfg.clocks.target_ms[CLOCK_MESSAGE + 1 + s] = cfg->reply_target_severity_ms[s];
	e->tcfg.clocks.pair_horizon_ms = cfg->pair_horizon_ms;
	e->tcfg.clocks.at_risk_permille = (int)(cfg->at_risk * 1000 + 0.5);
	e->tcfg.dedupe_horizon_ms = cfg->dedupe_horizon_ms;
	e->tcfg.rules_refresh_ms = cfg->refresh_ms;
	/* Changed rules apply to every agent now, not at its next event. */
	for (uint32_t id = 0; e->tasks != NULL && id < e->ntasks; id++) {
		struct engine_task *et = e->tasks[id];

		if (et != NULL && et->state == ENGINE_READY) {
			task_show_all(et->task);
			engine_schedule_show(et);
		}
	}
}

/* See engine.h. */
struct engine *engine_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct redis *redis, struct redis *views, struct producer *route, struct producer *alerts,
    const struct engine_handler *handler)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->base = base;
	e->cfg = cfg;
	e->metrics = metrics;
	e->redis = redis;
	e->route = route;
	e->alerts = alerts;
	e->handler = *handler;
	e->tcfg.windows = &cfg->windows;
	e->tcfg.rules = cfg->rules;
	e->ntasks = (uint32_t)cfg->tasks;
	e->tcfg.tasks = e->ntasks;
	e->tcfg.owner = engine_owner_cb;
	e->tcfg.owner_arg = e;
	engine_reconfigure(e);
	if (!agent_plan_init(&e->tcfg.plan, &cfg->windows) ||
	    (e->tasks = calloc(e->ntasks, sizeof(*e->tasks))) == NULL ||
	    (e->view = view_new(views, cfg->prefix, &cfg->windows)) == NULL) {
		engine_free(e);
		return NULL;
	}
	return e;
}

/* See engine.h. */
void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	for (uint32_t id = 0; e->tasks != NULL && id < e->ntasks; id++)
		if (e->tasks[id] != NULL)
			engine_task_free(e->tasks[id]);
	while (e->closing != NULL)
		engine_task_free(e->closing);
	free(e->tasks);
	view_free(e->view);
	free(e);
}
