/* sentinel.c: asks Redis Sentinels where the primary is, and hears when they move it (+switch-master). */
#include "sentinel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>

#include "log.h"
#include "redisconn.h"

/* After a lost subscription, the next Sentinel is tried this much later. */
#define SENTINEL_RESUBSCRIBE_MS 1000
/* What the Sentinels publish when a failover has made a replica the primary. */
#define SENTINEL_CHANNEL "+switch-master"

struct sentinel {
	struct event_base *base;
	const struct config *cfg;
	sentinel_primary_fn on_primary;
	void *arg;
	int count;
	struct redisconn *conns[HOSTPORT_LIST_MAX]; /* for questions, one per Sentinel */
	bool asking;
	redisAsyncContext *sub;      /* the subscription to SENTINEL_CHANNEL */
	int sub_index;               /* the Sentinel it is on, or is tried next */
	struct event *resub_ev;
	bool closing;
};

/* A Sentinel's answer to get-master-addr-by-name: [host, port], or nil for a name it does not know. */
static void sentinel_on_answer(void *arg, redisReply *reply)
{
	struct sentinel *s = arg;
	struct hostport at;

	if (s->closing)
		return;
	s->asking = false;
	if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
	    reply->element[0]->type == REDIS_REPLY_STRING && reply->element[1]->type == REDIS_REPLY_STRING &&
	    hostport_join(reply->element[0]->str, reply->element[1]->str, &at))
		s->on_primary(s->arg, &at);
	else if (reply != NULL)
		log_limited(LOG_WARNING, "sentinel", "redis: the Sentinels name no primary '%s'%s%s",
		    s->cfg->redis_master_name, reply->type == REDIS_REPLY_ERROR ? ": " : "",
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "");
}

/* See sentinel.h. */
void sentinel_ask(struct sentinel *s)
{
	const char *argv[] = {"SENTINEL", "get-master-addr-by-name", s->cfg->redis_master_name};

	if (s->asking || s->closing)
		return;
	/* Always the first that answers, in the configured order: answers do not alternate. */
	for (int i = 0; i < s->count; i++) {
		if (redisconn_is_up(s->conns[i]) &&
		    redisconn_command(s->conns[i], 3, argv, NULL, sentinel_on_answer, s)) {
			s->asking = true;
			return;
		}
	}
}

/* A Sentinel connection came up: ask it. */
static void sentinel_on_state(void *arg, bool up)
{
	if (up)
		sentinel_ask(arg);
}

/* A message on SENTINEL_CHANNEL: "<name> <old ip> <old port> <new ip> <new port>". */
static void sentinel_on_message(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
	struct sentinel *s = privdata;
	redisReply *reply = reply_ptr, *payload;
	char name[256], host[HOSTPORT_HOST_MAX], port[8];
	struct hostport at;

	(void)ac;
	if (reply == NULL || s->closing || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING || strcmp(reply->element[0]->str, "message") != 0)
		return;
	payload = reply->element[2];
	if (payload->type != REDIS_REPLY_STRING ||
	    sscanf(payload->str, "%255s %*s %*s %255s %7s", name, host, port) != 3 ||
	    strcmp(name, s->cfg->redis_master_name) != 0)
		return;
	if (!hostport_join(host, port, &at)) {
		log_limited(LOG_WARNING, "sentinel", "redis: cannot read %s message '%s'", SENTINEL_CHANNEL, payload->str);
		return;
	}
	log_notice("redis: the Sentinels moved primary '%s' to %s:%d", name, at.host, at.port);
	s->on_primary(s->arg, &at);
}

/* Tries the next Sentinel for the subscription, a little later. */
static void sentinel_resubscribe_later(struct sentinel *s)
{
	struct timeval tv = {SENTINEL_RESUBSCRIBE_MS / 1000, (SENTINEL_RESUBSCRIBE_MS % 1000) * 1000};

	s->sub = NULL;
	if (s->closing)
		return;
	s->sub_index = (s->sub_index + 1) % s->count;
	evtimer_add(s->resub_ev, &tv);
}

/* The subscription's connection completed, or failed. */
static void sentinel_on_sub_connect(const redisAsyncContext *ac, int status)
{
	struct sentinel *s = ac->data;

	if (status != REDIS_OK) {
		log_limited(LOG_WARNING, "sentinel", "redis: cannot subscribe to %s: %s", SENTINEL_CHANNEL, ac->errstr);
		sentinel_resubscribe_later(s); /* hiredis frees the context */
		return;
	}
	redisEnableKeepAlive((redisContext *)&ac->c);
	/* A failover may have happened while no subscription was there to hear it. */
	sentinel_ask(s);
}

/* The subscription's connection is gone. */
static void sentinel_on_sub_disconnect(const redisAsyncContext *ac, int status)
{
	struct sentinel *s = ac->data;

	if (s->closing)
		return;
	log_limited(LOG_WARNING, "sentinel", "redis: subscription to %s lost: %s", SENTINEL_CHANNEL,
	    status == REDIS_OK ? "closed" : ac->errstr);
	sentinel_resubscribe_later(s);
}

/* Subscribes to SENTINEL_CHANNEL on Sentinel sub_index. */
static void sentinel_subscribe(struct sentinel *s)
{
	const struct hostport *at = &s->cfg->redis_sentinels.at[s->sub_index];

	s->sub = redisAsyncConnect(at->host, at->port);
	if (s->sub == NULL || s->sub->err) {
		log_limited(LOG_WARNING, "sentinel", "redis: cannot subscribe to %s: %s", SENTINEL_CHANNEL,
		    s->sub != NULL ? s->sub->errstr : "out of memory");
		if (s->sub != NULL)
			redisAsyncFree(s->sub);
		sentinel_resubscribe_later(s);
		return;
	}
	s->sub->data = s;
	redisLibeventAttach(s->sub, s->base);
	redisAsyncSetConnectCallback(s->sub, sentinel_on_sub_connect);
	redisAsyncSetDisconnectCallback(s->sub, sentinel_on_sub_disconnect);
	redisAsyncCommand(s->sub, sentinel_on_message, s, "SUBSCRIBE %s", SENTINEL_CHANNEL);
}

/* The resubscribe timer. */
static void sentinel_on_resubscribe(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sentinel_subscribe(arg);
}

/* See sentinel.h. */
struct sentinel *sentinel_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    sentinel_primary_fn on_primary, void *arg)
{
	struct sentinel *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->base = base;
	s->cfg = cfg;
	s->on_primary = on_primary;
	s->arg = arg;
	s->count = cfg->redis_sentinels.count;
	if ((s->resub_ev = evtimer_new(base, sentinel_on_resubscribe, s)) == NULL) {
		sentinel_free(s);
		return NULL;
	}
	for (int i = 0; i < s->count; i++) {
		struct redisconn_target to = {.tcp = cfg->redis_sentinels.at[i], .plain = true};

		if ((s->conns[i] = redisconn_new(base, cfg, metrics, &to, sentinel_on_state, s)) == NULL) {
			sentinel_free(s);
			return NULL;
		}
	}
	sentinel_subscribe(s);
	return s;
}

/* See sentinel.h. */
void sentinel_free(struct sentinel *s)
{
	if (s == NULL)
		return;
	s->closing = true;
	if (s->sub != NULL)
		redisAsyncFree(s->sub);
	for (int i = 0; i < s->count; i++)
		redisconn_free(s->conns[i]);
	if (s->resub_ev != NULL)
		event_free(s->resub_ev);
	free(s);
}
