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
/*
 * Script calls of a pass in flight at once: one running and one queued keep Redis busy,
 * while event batches still get in between and the stats writes and rule calls that each
 * answer triggers stay bounded (a pass over all agents at once queued them all together).
 */
#define REFRESH_INFLIGHT 2
#define REFRESH_HEADER_ARGS 5

struct refresh {
	const struct config *cfg;
	struct redis *redis;
	struct agentstats *stats;
	struct event *timer;
	struct event *again;   /* starts a forced pass asked for while one was running */
	bool running;
	bool force_next;       /* a forced pass is owed: the next pass is one, and starts when this ends */
	bool force_pass;       /* this pass rewrites every agent it looks at */
	int lists_pending;     /* agent-list queries of this pass not answered yet */
	int chunks_inflight;   /* script calls of this pass not answered yet */
	char **agents;         /* the pass's agents (copies), sent REFRESH_CHUNK at a time */
	size_t agent_count, agent_cap, next_agent;
	char windows[WINDOWS_SPEC_SIZE];
};

/* Arms the periodic timer. */
static void refresh_arm(struct refresh *r)
{
	struct timeval tv = {r->cfg->refresh_ms / 1000, (r->cfg->refresh_ms % 1000) * 1000};

	evtimer_add(r->timer, &tv);
}

/* Forgets the pass's agent list. */
static void refresh_clear(struct refresh *r)
{
	for (size_t i = 0; i < r->agent_count; i++)
		free(r->agents[i]);
	r->agent_count = r->next_agent = 0;
}

/*
 * Ends the pass once every list is in and every chunk answered. A forced pass asked for
 * meanwhile (a reload, Redis back) then starts at once rather than a whole refresh
 * interval later, so a rule the reload disabled resolves now; it starts from the loop,
 * not from inside a Redis callback.
 */
static void refresh_finish_if_done(struct refresh *r)
{
	static const struct timeval now = {0, 0};

	if (r->lists_pending > 0 || r->chunks_inflight > 0 || r->next_agent < r->agent_count)
		return;
	refresh_clear(r);
	r->running = false;
	if (r->force_next)
		evtimer_add(r->again, &now);
}

static void refresh_on_chunk(void *arg, redisReply *reply);

/* Sends the next chunks, up to REFRESH_INFLIGHT in flight; a refused send ends the pass. */
static void refresh_pump(struct refresh *r)
{
	const char *argv[REFRESH_HEADER_ARGS + REFRESH_CHUNK];
	char now[24], max_future[24];

	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	snprintf(max_future, sizeof(max_future), "%" PRId64, r->cfg->max_future_ms);
	argv[0] = now;
	argv[1] = r->cfg->prefix;
	argv[2] = r->windows;
	argv[3] = max_future;
	argv[4] = r->force_pass ? "1" : "0";
	while (r->chunks_inflight < REFRESH_INFLIGHT && r->next_agent < r->agent_count) {
		int argc = REFRESH_HEADER_ARGS;

		while (argc < REFRESH_HEADER_ARGS + REFRESH_CHUNK && r->next_agent < r->agent_count)
			argv[argc++] = r->agents[r->next_agent++];
		if (!redis_script(r->redis, SCRIPT_REFRESH, argc, argv, NULL, refresh_on_chunk, r)) {
			r->next_agent = r->agent_count; /* Redis is away: the next pass starts over */
			break;
		}
		r->chunks_inflight++;
	}
	refresh_finish_if_done(r);
}

/* One chunk's answer: publish the agents whose windows changed, then send more. */
static void refresh_on_chunk(void *arg, redisReply *reply)
{
	struct refresh *r = arg;

	r->chunks_inflight--;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY)
		agentstats_publish(r->stats, reply);
	else if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "refresh", "redis: refresh failed: %s", reply->str);
	if (reply == NULL)
		r->next_agent = r->agent_count; /* the connection went: the next pass starts over */
	refresh_pump(r);
}

/* Appends a copy of each agent of a list reply to the pass; false when memory ran out. */
static bool refresh_add_agents(struct refresh *r, const redisReply *reply)
{
	for (size_t i = 0; i < reply->elements; i++) {
		if (reply->element[i]->type != REDIS_REPLY_STRING)
			continue;
		if (r->agent_count == r->agent_cap) {
			size_t cap = r->agent_cap ? r->agent_cap * 2 : 1024;
			char **grown = realloc(r->agents, cap * sizeof(*grown));

			if (grown == NULL)
				return false;
			r->agents = grown;
			r->agent_cap = cap;
		}
		if ((r->agents[r->agent_count] = strdup(reply->element[i]->str)) == NULL)
			return false;
		r->agent_count++;
	}
	return true;
}

/* An agent list arrived (active agents, or agents with live rules): refresh them. */
static void refresh_on_agents(void *arg, redisReply *reply)
{
	struct refresh *r = arg;

	r->lists_pending--;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && !refresh_add_agents(r, reply))
		log_err("refresh: out of memory listing agents; the rest wait for the next pass");
	refresh_pump(r);
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
	r->lists_pending = 0;
	r->chunks_inflight = 0;
	refresh_clear(r);
	if (redis_command(r->redis, 4, (const char *[]){"ZRANGEBYSCORE", key, min, "+inf"}, NULL,
	        refresh_on_agents, r))
		r->lists_pending++;
	/* Agents with a pending or firing rule, however long idle, so their alerts can end. */
	if (redis_command(r->redis, 2, (const char *[]){"SMEMBERS", active}, NULL, refresh_on_agents, r))
		r->lists_pending++;
	r->running = r->lists_pending > 0;
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
	refresh_clear(r);
	free(r->agents);
	free(r);
}
