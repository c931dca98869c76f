/* refresh.c: keeps stats true as windows slid with no new events. */
#include "refresh.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timestamp.h"

/* Agents per script call, so one call never blocks Redis for long. */
#define REFRESH_CHUNK 200
#define REFRESH_HEADER_ARGS 5

struct refresh {
	const struct config *cfg;
	struct redis *redis;
	struct agentstats *stats;
	struct event *timer;
	struct event *again;   /* starts a forced pass asked for while one was running */
	bool running;
	bool force_next;       /* a forced pass is owed: the next pass is one, and starts when this ends */
	bool force_pass;   /* this pass rewrites every agent it looks at */
	int outstanding;   /* list queries and script calls of this pass */
	char windows[WINDOWS_MAX * 48];
};

/* Arms the periodic timer. */
static void refresh_arm(struct refresh *r)
{
	struct timeval tv = {r->cfg->refresh_ms / 1000, (r->cfg->refresh_ms % 1000) * 1000};

	evtimer_add(r->timer, &tv);
}

/*
 * One query or script call of the pass is answered. When the last is in and a
 * forced pass was asked for meanwhile (a reload, Redis back), it starts at once
 * rather than a whole refresh interval later: a rule the reload disabled resolves
 * now. It starts from the loop, not from inside this Redis callback.
 */
static void refresh_done(struct refresh *r)
{
	static const struct timeval now = {0, 0};

	if (--r->outstanding > 0)
		return;
	r->running = false;
	if (r->force_next)
		evtimer_add(r->again, &now);
}

/* One chunk's answer: publish the agents whose windows changed. */
static void refresh_on_chunk(void *arg, redisReply *reply)
{
	struct refresh *r = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
		agentstats_publish(r->stats, reply);
	else if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "refresh", "redis: refresh failed: %s", reply->str);
	refresh_done(r);
}

/* The active agents arrived: refresh them a chunk at a time. */
static void refresh_on_agents(void *arg, redisReply *reply)
{
	struct refresh *r = arg;
	const char *argv[REFRESH_HEADER_ARGS + REFRESH_CHUNK];
	char now[24], max_future[24];

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY || reply->elements == 0) {
		refresh_done(r);
		return;
	}
	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	snprintf(max_future, sizeof(max_future), "%" PRId64, r->cfg->max_future_ms);
	argv[0] = now;
	argv[1] = r->cfg->prefix;
	argv[2] = r->windows;
	argv[3] = max_future;
	argv[4] = r->force_pass ? "1" : "0";
	for (size_t at = 0; at < reply->elements; at += REFRESH_CHUNK) {
		int argc = REFRESH_HEADER_ARGS;

		for (size_t i = at; i < reply->elements && i < at + REFRESH_CHUNK; i++)
			argv[argc++] = reply->element[i]->str;
		if (redis_script(r->redis, SCRIPT_REFRESH, argc, argv, NULL, refresh_on_chunk, r))
			r->outstanding++;
	}
	refresh_done(r);
}

/* See refresh.h. */
void refresh_run(struct refresh *r, bool force)
{
	char min[24], key[256], active[256];
	const struct windows *ws = &r->cfg->windows;

	r->force_next = r->force_next || force;
	if (r->running || !redis_is_up(r->redis))
		return;
	r->force_pass = r->force_next;
	r->force_next = false;
	/* Agents whose newest event left the longest window (with a pass to spare) have nothing to slide. */
	snprintf(min, sizeof(min), "%" PRId64,
	    ts_now_ms() - windows_longest_ms(ws) - ws->w[ws->count - 1].bucket_ms - 2 * r->cfg->refresh_ms);
	snprintf(key, sizeof(key), "%sagents", r->cfg->prefix);
	snprintf(active, sizeof(active), "%srules:active", r->cfg->prefix);
	r->outstanding = 0;
	if (redis_command(r->redis, 4, (const char *[]){"ZRANGEBYSCORE", key, min, "+inf"}, NULL,
	        refresh_on_agents, r))
		r->outstanding++;
	/* Agents with a pending or firing rule, however long idle, so their alerts can end. */
	if (redis_command(r->redis, 2, (const char *[]){"SMEMBERS", active}, NULL, refresh_on_agents, r))
		r->outstanding++;
	r->running = r->outstanding > 0;
}

/* The forced pass owed since the last one ran. */
static void refresh_on_again(evutil_socket_t fd, short what, void *arg)
{
	struct refresh *r = arg;

	(void)fd;
	(void)what;
	refresh_run(r, true);
}

/* Periodic timer. */
static void refresh_on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct refresh *r = arg;

	(void)fd;
	(void)what;
	refresh_run(r, false);
	refresh_arm(r);
}

/* See refresh.h. */
void refresh_reconfigure(struct refresh *r)
{
	windows_encode(&r->cfg->windows, r->windows, sizeof(r->windows));
	evtimer_del(r->timer);
	refresh_arm(r);
}

/* See refresh.h. */
struct refresh *refresh_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct agentstats *stats)
{
	struct refresh *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->cfg = cfg;
	r->redis = redis;
	r->stats = stats;
	r->timer = evtimer_new(base, refresh_on_timer, r);
	r->again = evtimer_new(base, refresh_on_again, r);
	if (r->timer == NULL || r->again == NULL) {
		refresh_free(r);
		return NULL;
	}
	refresh_reconfigure(r);
	return r;
}

/* See refresh.h. */
void refresh_free(struct refresh *r)
{
	if (r == NULL)
		return;
	if (r->timer != NULL)
		event_free(r->timer);
	if (r->again != NULL)
		event_free(r->again);
	free(r);
}
