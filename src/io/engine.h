/* engine.h: the tasks this instance owns: restore, apply, flush to Redis, deliver the outbox. */
#ifndef FEEDBACKD_ENGINE_H
#define FEEDBACKD_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "config.h"
#include "event.h"
#include "metrics.h"
#include "producer.h"
#include "redis.h"
#include "task.h"

/* What the engine tells its owner. */
struct engine_handler {
	/* An offset's effects are committed to Redis: it may be committed to Kafka once settled. */
	void (*done)(void *arg, const char *topic, int32_t partition, int64_t offset);
	/* Every offset of a commit went to done: what they allow is stored for Kafka, once a partition. */
	void (*settled)(void *arg);
	/* A task finished restoring (its partitions may flow) or stopped owning its state. */
	void (*task_ready)(void *arg, uint32_t task);
	void (*task_lost)(void *arg, uint32_t task);
	void *arg;
};

struct engine;

/*
 * The engine for cfg's tasks ([engine] tasks of them, route topic cfg->route_topic): state
 * checkpointed through redis, the contract keys (views, alerts) written through views, a
 * connection of their own so that commits never queue behind them; route batches sent with
 * route, alerts with alerts.
 */
struct engine *engine_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    struct redis *redis, struct redis *views, struct producer *route, struct producer *alerts,
    const struct engine_handler *handler);

/* A reload changed targets, rules or horizons: tasks use them now, every agent's rules re-checked. */
void engine_reconfigure(struct engine *e);

/* The task that owns an agent or ticket id (the route topic's partition for that key). */
uint32_t engine_owner(const struct engine *e, const char *id, size_t len);

/* This instance was given task id: claim it, restore it, then it becomes ready. */
void engine_assign(struct engine *e, uint32_t id);

/* The task was taken away: a last flush is tried (a newer owner fences it out), then it is dropped. */
void engine_revoke(struct engine *e, uint32_t id);

/* True while a task id let go here still finishes its last commit, views or deliveries. */
bool engine_closing(const struct engine *e, uint32_t id);

/* True when the task is restored and takes events. */
bool engine_ready(const struct engine *e, uint32_t id);

/*
 * Applies an event to a ready task that owns its agent, at now_ms (the time it was read:
 * one clock reading serves a whole read). The offset (topic must be a stable string) is
 * reported done, and the event counted in the metrics, once the flush holding the effects
 * is committed.
 */
void engine_event(struct engine *e, uint32_t id, const struct event *ev, const char *topic,
    int32_t partition, int64_t offset, int64_t now_ms);

/* Applies a route batch to a ready task at now_ms; false when malformed (nothing applied, offset done). */
bool engine_batch(struct engine *e, uint32_t id, const char *buf, size_t len, const char *topic,
    int32_t partition, int64_t offset, int64_t now_ms);

/* Events applied here and not committed yet, over every task: what back-pressure watches. */
size_t engine_uncommitted(const struct engine *e);

/* Redis came back: commits and restores that waited are sent. */
void engine_redis_up(struct engine *e);

/* The views' connection came back: the views held meanwhile are written (in full). */
void engine_views_up(struct engine *e);

/* Flushes every task now and reports whether nothing is left to commit or deliver (shutdown). */
bool engine_drain(struct engine *e);

/* Gauges for /metrics over the tasks owned. */
void engine_gauges(const struct engine *e, uint64_t *tasks, uint64_t *agents, uint64_t *clocks,
    uint64_t *overdue, uint64_t *ids);

void engine_free(struct engine *e);

#endif
