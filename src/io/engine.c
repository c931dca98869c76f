/* engine.c: the tasks this instance owns: apply, flush to Redis, deliver the outbox, let go (taken on: engine_restore.c). */
#include "engine.h"
#include "engine_state.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_rule_teams.h"
#include "deliver.h"
#include "flushset.h"
#include "log.h"
#include "offsetlist.h"
#include "partitioner.h"
#include "policyset.h"
#include "taskstore.h"
#include "timestamp.h"
#include "view.h"
#include "viewq.h"

/* A dedupe segment is this part of the horizon: few keys, little overstay. */
#define ENGINE_SEGMENTS 24

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

/* task_config.team_of: an agent's team in [teams] map, as the configuration now has it. */
static const char *engine_team_of(void *arg, const char *agent, size_t len)
{
	struct engine *e = arg;

	return teammap_team(e->cfg->teams, agent, len);
}

/* task_config.rules_of: the rules an agent of team is judged by, as the configuration now has them. */
static const struct rule_config *engine_rules_of(void *arg, const char *team)
{
	struct engine *e = arg;

	return config_rule_teams_of(e->cfg, team);
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

/*
 * Arms the flush timer unless it is armed or a commit is out (its answer flushes again):
 * flush_interval after the oldest change not yet flushed, so a change that came while a
 * commit was out waits for that commit, not for a whole interval after it too.
 */
static void engine_schedule_flush(struct engine_task *et)
{
	int64_t now;

	if (et->committing || evtimer_pending(et->flush_ev, NULL))
		return;
	now = ts_now_ms();
	engine_timer_in(et->flush_ev, (et->changed_ms ? et->changed_ms : now) + et->e->cfg->flush_interval_ms - now);
}

/* See engine_state.h. */
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
	if (task_dirty(et->task))
		engine_schedule_flush(et);
}

/* The flush timer. */
static void engine_on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	engine_flush(arg);
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
	engine_schedule_flush(et);
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
	event_free(et->flush_ev);
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

/* See engine_state.h. */
void engine_task_maybe_free(struct engine_task *et)
{
	const struct engine_task *next = et->e->tasks[et->id];

	if (et->state != ENGINE_CLOSING || et->committing || taskstore_busy(et->store) ||
	    !deliver_idle(et->deliver) || !viewq_idle(et->viewq))
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

/* See engine_state.h. */
void engine_twins_may_go(struct engine_task *et)
{
	for (struct engine_task *t = et->e->closing; t != NULL; t = t->next_closing)
		if (t->id == et->id && t != et)
			engine_task_free_soon(t);
}

/* See engine_state.h. */
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
	engine_schedule_flush(et);
}

/* Queues one view of a committed flush. */
static void engine_write_view(void *arg, const struct task_view *v)
{
	struct engine_task *et = arg;

	/* Out of memory: that agent is shown with its next change. */
	(void)viewq_put(et->viewq, v);
}

/* Queues the views of a committed flush; the queue writes the newest of each agent. */
static void engine_write_views(struct engine_task *et)
{
	flushset_views(et->flush, engine_write_view, et);
	viewq_kick(et->viewq);
}

/* Views are paced only while waiting combines changes: a burst goes on, agents change twice a flush. */
static void engine_pace_views(struct engine_task *et)
{
	viewq_quiet(et->viewq, !task_dirty(et->task) || !task_hot(et->task));
}

/*
 * Counts a commit that answered, and at most once a second says at debug level what the
 * task committed since the last summary: commits, offsets, their mean time, retries.
 */
static void engine_debug_commits(struct engine_task *et)
{
	int64_t now = ts_now_ms(), elapsed;

	et->debug.commits++;
	et->debug.offsets += et->flushed.n;
	et->debug.total_ms += now - et->debug.started_ms;
	if (!log_summary_due(&et->debug.since_ms, now, &elapsed))
		return;
	log_debug("engine: task %" PRIu32 ": %" PRIu64 " commits in %.1f s, %" PRIu64 " offsets, mean %.1f ms a commit, %"
	    PRIu64 " retried", et->id, et->debug.commits, (double)elapsed / 1000.0, et->debug.offsets,
	    (double)et->debug.total_ms / (double)et->debug.commits, et->debug.retries);
	et->debug.commits = et->debug.offsets = et->debug.retries = 0;
	et->debug.total_ms = 0;
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
		et->debug.retries++;
		evtimer_add(et->retry_ev, &tv);
		return;
	}
	et->committing = false;
	if (res == TASKSTORE_FENCED) {
		log_warn("engine: task %" PRIu32 " was claimed by another instance; dropping it", et->id);
		et->fenced = true;
		flushset_drop_views(et->flush);
		et->flushed.n = 0;
		if (et->state != ENGINE_CLOSING)
			engine_close(et, true);
		else
			engine_task_maybe_free(et);
		return;
	}
	engine_debug_commits(et);
	outbox_committed(task_outbox(et->task));
	taskstore_changes_clear(flushset_changes(et->flush));
	engine_pace_views(et);
	engine_write_views(et);
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
	if (et->open.n >= (size_t)e->cfg->batch_size)
		engine_flush(et);
	else if (task_dirty(et->task))
		engine_schedule_flush(et);
	else
		taskstore_changes_release(flushset_changes(et->flush)); /* quiet: its buffers are not kept */
}

/* Sends the change set out (again, after a failure). */
static void engine_commit(struct engine_task *et)
{
	if (!taskstore_commit(et->store, flushset_changes(et->flush), engine_on_commit, et)) {
		struct timeval tv = {0, ENGINE_RETRY_MS * 1000};

		evtimer_add(et->retry_ev, &tv); /* busy or Redis down: try again */
	}
}

/* See engine_state.h. */
void engine_flush(struct engine_task *et)
{
	struct task_sink sink = flushset_sink(et->flush);
	struct offsetlist swap;

	if (et->committing || (et->state != ENGINE_READY && et->state != ENGINE_CLOSING) ||
	    !task_dirty(et->task))
		return;
	taskstore_changes_clear(flushset_changes(et->flush));
	if (!task_flush(et->task, ts_now_ms(), &sink)) {
		/* Out of memory half way: the task's changes are gone, so its state is restored again. */
		log_err("engine: task %" PRIu32 ": cannot build its checkpoint (out of memory); dropping it "
		    "until the group gives it again", et->id);
		engine_close(et, true);
		return;
	}
	/* The flush set the agents' next window changes and rule checks: the timer follows them. */
	engine_schedule_tick(et);
	et->changed_ms = 0;
	swap = et->flushed;
	et->flushed = et->open;
	et->open = swap;
	et->open.n = 0;
	et->committing = true;
	et->debug.started_ms = ts_now_ms();
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
		engine_restore_claim(et);
}

/* Delivery of an outbox entry finished. */
static void engine_delivered(void *arg, uint64_t seq)
{
	struct engine_task *et = arg;

	outbox_delivered(task_outbox(et->task), seq);
	if (et->state == ENGINE_CLOSING)
		engine_task_free_soon(et); /* not here: the deliverer is still in its loop */
	else
		engine_schedule_flush(et);
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
	et->store = taskstore_new(e->redis, e->cfg->prefix, e->cfg->group, (int)id, segment_ms > 0 ? segment_ms : 1,
	    &e->wait);
	et->flush = et->store != NULL ? flushset_new(et->store, e->cfg->windows.count) : NULL;
	et->deliver = deliver_new(e->base, e->cfg, e->metrics, e->view, e->route, e->alerts, engine_delivered, et);
	et->viewq = viewq_new(e->base, e->view, e->metrics, engine_views_failed, et);
	et->flush_ev = evtimer_new(e->base, engine_on_flush, et);
	et->tick_ev = evtimer_new(e->base, engine_on_tick, et);
	et->retry_ev = evtimer_new(e->base, engine_on_retry, et);
	et->free_ev = evtimer_new(e->base, engine_on_free, et);
	if (et->task == NULL || et->flush == NULL || et->deliver == NULL || et->viewq == NULL || et->flush_ev == NULL ||
	    et->tick_ev == NULL || et->retry_ev == NULL || et->free_ev == NULL) {
		engine_task_free(et);
		goto fail;
	}
	/* An earlier holder of the id still closing here: deliveries wait for it (engine_handover). */
	et->held = engine_twin(et, NULL) != NULL;
	deliver_attach(et->deliver, et->held ? NULL : task_outbox(et->task));
	e->tasks[id] = et;
	engine_restore_claim(et);
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
bool engine_closing(const struct engine *e, uint32_t id)
{
	for (const struct engine_task *et = e->closing; et != NULL; et = et->next_closing)
		if (et->id == id)
			return true;
	return false;
}

/* See engine.h. */
bool engine_ready(const struct engine *e, uint32_t id)
{
	return id < e->ntasks && e->tasks[id] != NULL && e->tasks[id]->state == ENGINE_READY;
}

/* Something was applied at now_ms: commit at once past [ingest] batch_size, else at the flush interval. */
static void engine_applied(struct engine_task *et, int64_t now_ms)
{
	engine_pace_views(et);
	if (et->changed_ms == 0)
		et->changed_ms = now_ms;
	if (et->open.n >= (size_t)et->e->cfg->batch_size && !et->committing) {
		evtimer_del(et->flush_ev);
		engine_flush(et);
		return;
	}
	/* Not the tick timer: the flush that follows re-arms it once for every change it holds. */
	engine_schedule_flush(et);
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

/* The time zone of the months: the appraisal calendar's at start; false when out of memory. */
static bool engine_month_zone(struct engine *e)
{
	char reason[128];

	if (e->cfg->appraisal != NULL && e->cfg->appraisal != calendar_always() &&
	    (e->month_zone = calendar_new(calendar_spec(e->cfg->appraisal), reason, sizeof(reason))) == NULL) {
		log_err("engine: [appraisal] calendar: %s", reason);
		return false;
	}
	month_clock_init(&e->months, e->month_zone);
	e->tcfg.months = &e->months;
	return true;
}

/* See engine.h. */
void engine_reconfigure(struct engine *e)
{
	const struct config *cfg = e->cfg;
	const char *zone = cfg->appraisal != NULL ? calendar_timezone(cfg->appraisal) : "UTC";
	const char *was = e->month_zone != NULL ? calendar_timezone(e->month_zone) : "UTC";

	/* A month counted in two time zones would mix them: the months keep the zone they started with. */
	if (strcmp(zone, was) != 0)
		log_warn("reload: [appraisal] calendar's time zone changed (%s, was %s); that needs a restart", zone, was);

	/* The teams map may have changed: each agent's is looked up again at its next event. */
	e->tcfg.team_generation++;
	e->tcfg.clocks.pair_horizon_ms = cfg->pair_horizon_ms;
	e->tcfg.clocks.memory_ms = cfg->ticket_memory_ms;
	e->tcfg.recovery.follow_up_within_ms = cfg->follow_up_within_ms;
	e->tcfg.recovery.rating_within_ms = cfg->rating_within_ms;
	e->tcfg.recovery.grace_ms = cfg->status_grace_ms;
	e->tcfg.clocks.grace_ms = cfg->status_grace_ms;
	/* Running clocks keep their terms; tickets started from now on take these. */
	if (!policyset_load(&e->policies, cfg)) {
		/* The previous policies went with the previous file: only the default is left to match. */
		log_err("engine: out of memory loading the policies; tickets start under the default policy");
		e->policies.count = 0;
	}
	e->tcfg.policies = cfg->policies;
	e->tcfg.policy_count = e->policies.count;
	e->tcfg.policy_terms = e->policies.terms;
	e->tcfg.default_policy = &cfg->policy_default;
	e->tcfg.default_terms = e->policies.default_terms;
	e->tcfg.dedupe_horizon_ms = cfg->dedupe_horizon_ms;
	e->tcfg.rules_refresh_ms = cfg->refresh_ms;
	e->wait = redis_wait_of(cfg);
	/* Changed rules apply to every agent now, not at its next event. */
	for (uint32_t id = 0; e->tasks != NULL && id < e->ntasks; id++) {
		struct engine_task *et = e->tasks[id];

		if (et != NULL && et->state == ENGINE_READY) {
			task_show_all(et->task);
			engine_schedule_flush(et);
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
	e->tcfg.restore_terms = engine_restore_terms;
	e->tcfg.restore_arg = e;
	e->tcfg.team_of = engine_team_of;
	e->tcfg.team_arg = e;
	e->tcfg.rules_of = engine_rules_of;
	e->tcfg.rules_arg = e;
	if (!policyset_init(&e->policies)) {
		free(e);
		return NULL;
	}
	if (!engine_month_zone(e)) {
		engine_free(e);
		return NULL;
	}
	engine_reconfigure(e);
	if (e->policies.default_terms == NULL || !agent_plan_init(&e->tcfg.plan, &cfg->windows) ||
	    (e->tasks = calloc(e->ntasks, sizeof(*e->tasks))) == NULL ||
	    (e->view = view_new(views, cfg->prefix, &cfg->windows, &e->wait, cfg->redis_agents_shards)) == NULL) {
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
	policyset_free(&e->policies);
	calendar_free(e->month_zone);
	free(e);
}
