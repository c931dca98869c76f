/*
 * redis.c: every Redis call the daemon makes, routed by its key's cluster slot to the server
 * that holds it: the one server, the primary the Sentinels name, or a Redis Cluster's node.
 */
#include "redis.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostport.h"
#include "keyslot.h"
#include "log.h"
#include "resp.h"
#include "sentinel.h"
#include "slotmap.h"

/* A call is sent again at most this many times (redirects, pauses), then given up. */
#define REDIS_TRIES_MAX 16
/* The pause before a call answered TRYAGAIN or CLUSTERDOWN, or with no server yet, is sent again. */
#define REDIS_PARK_MIN_MS 100
#define REDIS_PARK_MAX_MS 1000
/* While not up, the slot map (or the Sentinels' answer) is asked for again this often. */
#define REDIS_REFRESH_MS 500

/* A server: the one, the Sentinels' primary, or a cluster node (at its slot map index). */
struct redis_node {
	struct redis *r;
	int index;
	struct hostport at;
	struct redisconn *conn;
};

/* A call that may have to be sent again, so it keeps its RESP text until it is answered. */
struct redis_call {
	struct redis *r;
	redis_reply_fn fn;
	void *arg;
	unsigned slot;
	int script;               /* enum script, or -1 */
	char *cmd;
	size_t len;
	bool owned;               /* cmd is freed with the call */
	int node;                 /* where it was last sent */
	int ask_node;             /* the node an ASK named, for the next send only; -1 none */
	int tries;
	bool atomic;              /* in a transaction: redirects are not followed */
	struct redis_call *next;  /* in the parked list */
};

struct redis {
	struct event_base *base;
	const struct config *cfg;
	struct metrics *metrics;
	redis_state_fn on_state;
	void *state_arg;
	enum redis_mode mode;
	struct slotmap *map;      /* cluster mode; the others have one node serving every slot */
	struct redis_node *nodes[SLOTMAP_NODES_MAX];
	struct sentinel *sentinel; /* sentinel mode */
	bool up;
	uint64_t session;
	bool atomic;              /* see redis_atomic() */
	bool refreshing;          /* a CLUSTER SLOTS is awaited */
	int refresh_turn;         /* the node asked first next time */
	struct event *refresh_ev; /* asks for the map again while not up */
	struct event *prune_ev;   /* drops the nodes that serve no slot, outside their callbacks */
	struct redis_call *parked;
	struct event *park_ev;
	bool closing;
};

static void redis_update(struct redis *r);
static void redis_refresh(struct redis *r);

/* See redis.h. */
void redis_where(const struct config *cfg, char *buf, size_t size)
{
	const struct config_hostports *list = cfg->redis_mode == REDIS_MODE_CLUSTER ? &cfg->redis_cluster :
	    &cfg->redis_sentinels;
	struct hostport at;
	size_t n;

	if (cfg->redis_mode == REDIS_MODE_STANDALONE) {
		if (cfg->redis_socket != NULL) {
			snprintf(buf, size, "%s", cfg->redis_socket);
			return;
		}
		snprintf(at.host, sizeof(at.host), "%s", cfg->redis_host);
		at.port = cfg->redis_port;
		hostport_format(&at, buf, size);
		return;
	}
	n = (size_t)snprintf(buf, size, cfg->redis_mode == REDIS_MODE_CLUSTER ? "the cluster of " :
	    "primary '%s' of the Sentinels ", cfg->redis_master_name);
	for (int i = 0; i < list->count && n < size; i++) {
		if (i > 0)
			n += (size_t)snprintf(buf + n, size - n, ",");
		if (n < size)
			hostport_format(&list->at[i], buf + n, size - n);
		n = strlen(buf);
	}
}

/* A node's connection came up or went down. */
static void redis_on_node_state(void *arg, bool up)
{
	struct redis_node *node = arg;
	struct redis *r = node->r;

	/* A node that comes back may serve other slots now; a lost primary may have a successor. */
	if (r->mode == REDIS_MODE_CLUSTER && (!up || !r->up))
		redis_refresh(r);
	else if (r->mode == REDIS_MODE_SENTINEL && !up)
		sentinel_ask(r->sentinel);
	redis_update(r);
}

/* Node index's connection to at, made when there is none; false when out of memory. */
static bool redis_node_open(struct redis *r, int index, const struct hostport *at)
{
	struct redisconn_target to = {.tcp = *at};
	struct redis_node *node;

	if (r->nodes[index] != NULL)
		return true;
	if ((node = calloc(1, sizeof(*node))) == NULL)
		return false;
	node->r = r;
	node->index = index;
	node->at = *at;
	if (r->mode == REDIS_MODE_STANDALONE && r->cfg->redis_socket != NULL)
		to.socket = r->cfg->redis_socket;
	if ((node->conn = redisconn_new(r->base, r->cfg, r->metrics, &to, redis_on_node_state, node)) == NULL) {
		free(node);
		return false;
	}
	r->nodes[index] = node;
	return true;
}

/* Closes node index; its calls in flight are answered NULL. */
static void redis_node_close(struct redis *r, int index)
{
	struct redis_node *node = r->nodes[index];

	if (node == NULL)
		return;
	r->nodes[index] = NULL;
	redisconn_free(node->conn);
	free(node);
}

/* The cluster node at host:port (host "" is the node that answered, from), opened if new; -1 when full. */
static int redis_node_find(struct redis *r, const char *host, int port, int from)
{
	struct hostport at;
	int index;

	if (host[0] == '\0' && from >= 0 && r->nodes[from] != NULL)
		host = r->nodes[from]->at.host;
	if (!hostport_set(&at, host, port) || (index = slotmap_node(r->map, at.host, at.port)) < 0 ||
	    !redis_node_open(r, index, &at))
		return -1;
	return index;
}

/* Opens cluster node index again, at the address the map keeps for it. */
static void redis_node_reopen(struct redis *r, int index)
{
	const struct slotmap_node *known = slotmap_node_at(r->map, index);
	struct hostport at;

	if (hostport_set(&at, known->host, known->port))
		redis_node_open(r, index, &at);
}

/* Nodes that may hold a connection: indexes below this. */
static int redis_node_count(const struct redis *r)
{
	return r->mode == REDIS_MODE_CLUSTER ? slotmap_nodes(r->map) : 1;
}

/* The node that serves slot now, or -1. */
static int redis_owner(const struct redis *r, unsigned slot)
{
	return r->mode == REDIS_MODE_CLUSTER ? slotmap_owner(r->map, slot) : 0;
}

/* True when every slot has a node and each of those is up. */
static bool redis_all_served(const struct redis *r)
{
	bool serves[SLOTMAP_NODES_MAX];

	if (r->mode != REDIS_MODE_CLUSTER)
		return r->nodes[0] != NULL && redisconn_is_up(r->nodes[0]->conn);
	if (!slotmap_complete(r->map))
		return false;
	slotmap_serving(r->map, serves);
	for (int i = 0; i < slotmap_nodes(r->map); i++)
		if (serves[i] && (r->nodes[i] == NULL || !redisconn_is_up(r->nodes[i]->conn)))
			return false;
	return true;
}

/* Arms the refresh timer. */
static void redis_refresh_later(struct redis *r)
{
	struct timeval tv = {0, REDIS_REFRESH_MS * 1000};

	if (!r->closing && !evtimer_pending(r->refresh_ev, NULL))
		evtimer_add(r->refresh_ev, &tv);
}

/* Tells the owner when up changes; while down, asks again for where the slots are. */
static void redis_update(struct redis *r)
{
	bool up = !r->closing && redis_all_served(r), serves[SLOTMAP_NODES_MAX];

	if (!up && r->mode != REDIS_MODE_STANDALONE)
		redis_refresh_later(r);
	if (up == r->up)
		return;
	r->up = up;
	if (up) {
		r->session++;
		if (r->mode == REDIS_MODE_CLUSTER)
			log_notice("redis: cluster up: %d primaries serve all %d slots", slotmap_serving(r->map, serves),
			    KEYSLOT_COUNT);
	}
	if (r->on_state != NULL)
		r->on_state(r->state_arg, up);
}

/* Reads one CLUSTER SLOTS entry [first, last, [host, port, ...], replicas...] into the map. */
static bool redis_slots_entry(struct redis *r, const redisReply *e, int from)
{
	const redisReply *primary;
	int index;

	if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
	    e->element[1]->type != REDIS_REPLY_INTEGER || e->element[2]->type != REDIS_REPLY_ARRAY)
		return false;
	primary = e->element[2];
	if (primary->elements < 2 || primary->element[0]->type != REDIS_REPLY_STRING ||
	    primary->element[1]->type != REDIS_REPLY_INTEGER)
		return false;
	index = redis_node_find(r, primary->element[0]->str, (int)primary->element[1]->integer, from);
	return index >= 0 && slotmap_assign(r->map, (unsigned)e->element[0]->integer,
	    (unsigned)e->element[1]->integer, index);
}

/* Whether a CLUSTER SLOTS answer names an owner for every slot, once each. */
static bool redis_slots_complete(const redisReply *reply)
{
	unsigned covered = 0;

	for (size_t i = 0; i < reply->elements; i++) {
		const redisReply *e = reply->element[i];

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER || e->element[1]->integer < e->element[0]->integer)
			return false;
		covered += (unsigned)(e->element[1]->integer - e->element[0]->integer + 1);
	}
	return covered == KEYSLOT_COUNT;
}

/*
 * The CLUSTER SLOTS answer: the map is read anew from it. An answer that leaves slots
 * without an owner (a node that restarted empty, a cluster still forming) keeps the old
 * map, and the next refresh asks another node.
 */
static void redis_on_slots(void *arg, redisReply *reply)
{
	struct redis_node *node = arg;
	struct redis *r = node->r;
	bool ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY && redis_slots_complete(reply);

	if (r->closing)
		return;
	r->refreshing = false;
	if (ok) {
		slotmap_clear(r->map);
		for (size_t i = 0; ok && i < reply->elements; i++)
			ok = redis_slots_entry(r, reply->element[i], node->index);
	}
	if (!ok)
		log_limited(LOG_WARNING, "redis-slots", "redis: CLUSTER SLOTS from %s: %s",
		    redisconn_where(node->conn), reply == NULL ? "no answer" :
		    reply->type == REDIS_REPLY_ERROR ? reply->str : "not a slot list");
	else
		event_active(r->prune_ev, EV_TIMEOUT, 1);
	redis_update(r);
}

/* Asks an up node for the slot map, unless an answer is awaited. */
static void redis_refresh(struct redis *r)
{
	int n;

	if (r->mode != REDIS_MODE_CLUSTER || r->refreshing || r->closing)
		return;
	/* Each time another node first: one that answers badly is not asked again and again. */
	n = slotmap_nodes(r->map);
	for (int k = 0; k < n; k++) {
		struct redis_node *node = r->nodes[(r->refresh_turn + k) % n];

		if (node != NULL && redisconn_is_up(node->conn) &&
		    redisconn_command(node->conn, 2, (const char *[]){"CLUSTER", "SLOTS"}, NULL, redis_on_slots, node)) {
			r->refresh_turn = (r->refresh_turn + k + 1) % n;
			r->refreshing = true;
			r->metrics->redis_map_refreshes++;
			return;
		}
	}
}

/* The refresh timer: while not up, ask again; with no node left to ask, start from the seeds. */
static void redis_on_refresh(evutil_socket_t fd, short what, void *arg)
{
	struct redis *r = arg;
	bool any = false;

	(void)fd;
	(void)what;
	if (r->up)
		return;
	if (r->mode == REDIS_MODE_SENTINEL) {
		sentinel_ask(r->sentinel);
		redis_refresh_later(r);
		return;
	}
	for (int i = 0; i < slotmap_nodes(r->map); i++)
		any = any || (r->nodes[i] != NULL && redisconn_is_up(r->nodes[i]->conn));
	if (!any)
		for (int i = 0; i < r->cfg->redis_cluster.count; i++)
			redis_node_find(r, r->cfg->redis_cluster.at[i].host, r->cfg->redis_cluster.at[i].port, -1);
	redis_refresh(r);
	redis_update(r);
}

/* Drops the connections of nodes that serve no slot (a failed primary, a seed that is a replica). */
static void redis_on_prune(evutil_socket_t fd, short what, void *arg)
{
	struct redis *r = arg;
	bool serves[SLOTMAP_NODES_MAX];

	(void)fd;
	(void)what;
	if (!slotmap_complete(r->map))
		return;
	slotmap_serving(r->map, serves);
	for (int i = 0; i < slotmap_nodes(r->map); i++)
		if (!serves[i] && r->nodes[i] != NULL && redisconn_pending(r->nodes[i]->conn) == 0)
			redis_node_close(r, i); /* one with calls out (an ASK's importing node) stays */
	redis_update(r);
}

/* Answers a call and frees it. */
static void redis_call_done(struct redis_call *c, redisReply *reply)
{
	if (c->fn != NULL)
		c->fn(c->arg, reply);
	if (c->owned)
		free(c->cmd);
	free(c);
}

/* The reply callback of every routed call. */
static void redis_on_call_reply(void *arg, redisReply *reply);

/* Sends c where its slot (or an ASK) says; false when that node is not up. */
static bool redis_call_send(struct redis_call *c)
{
	struct redis *r = c->r;
	int node = c->ask_node >= 0 ? c->ask_node : redis_owner(r, c->slot);
	struct redisconn *conn;

	if (node >= 0 && r->nodes[node] == NULL && r->mode == REDIS_MODE_CLUSTER && !r->closing)
		redis_node_reopen(r, node); /* pruned, and named again by an ASK */
	if (node < 0 || r->nodes[node] == NULL || !redisconn_is_up(conn = r->nodes[node]->conn))
		return false;
	if (c->ask_node >= 0 && !redisconn_command(conn, 1, (const char *[]){"ASKING"}, NULL, NULL, NULL))
		return false;
	c->node = node;
	c->ask_node = -1;
	if (c->script >= 0)
		return redisconn_script_send(conn, (enum script)c->script, c->cmd, c->len, redis_on_call_reply, c);
	return redisconn_formatted(conn, c->cmd, c->len, redis_on_call_reply, c);
}

/* Holds c for a pause, growing with its tries, before it is sent again. */
static void redis_call_park(struct redis_call *c)
{
	struct redis *r = c->r;
	int ms = REDIS_PARK_MIN_MS << (c->tries < 4 ? c->tries : 4);
	struct timeval tv;

	if (ms > REDIS_PARK_MAX_MS)
		ms = REDIS_PARK_MAX_MS;
	c->next = r->parked;
	r->parked = c;
	if (!evtimer_pending(r->park_ev, NULL)) {
		tv.tv_sec = ms / 1000;
		tv.tv_usec = (ms % 1000) * 1000;
		evtimer_add(r->park_ev, &tv);
	}
}

/* Sends c again now, or after a pause when its node is not up; gives up after REDIS_TRIES_MAX. */
static void redis_call_again(struct redis_call *c, redisReply *last)
{
	if (++c->tries > REDIS_TRIES_MAX) {
		log_limited(LOG_WARNING, "redis-redirect", "redis: a call to slot %u given up after %d tries", c->slot,
		    REDIS_TRIES_MAX);
		redis_call_done(c, last);
		return;
	}
	if (!redis_call_send(c))
		redis_call_park(c);
}

/* The park timer: every parked call is sent again (or parked again). */
static void redis_on_park(evutil_socket_t fd, short what, void *arg)
{
	struct redis *r = arg;
	struct redis_call *c = r->parked;

	(void)fd;
	(void)what;
	r->parked = NULL;
	while (c != NULL) {
		struct redis_call *next = c->next;

		redis_call_again(c, NULL);
		c = next;
	}
}

/* See above: follows MOVED and ASK, pauses on TRYAGAIN and CLUSTERDOWN, else answers. */
static void redis_on_call_reply(void *arg, redisReply *reply)
{
	struct redis_call *c = arg;
	struct redis *r = c->r;
	struct slotmap_target t;
	enum slotmap_redirect kind;
	int index;

	if (reply == NULL || reply->type != REDIS_REPLY_ERROR || r->mode != REDIS_MODE_CLUSTER || r->closing) {
		redis_call_done(c, reply);
		return;
	}
	switch (kind = slotmap_redirect(reply->str, reply->len, &t)) {
	case SLOTMAP_MOVED:
	case SLOTMAP_ASK:
		if (t.slot != c->slot || (index = redis_node_find(r, t.host, t.port, c->node)) < 0)
			break;
		if (kind == SLOTMAP_MOVED) {
			/* The slot moved for good (a transaction learns it too); its neighbours likely did. */
			slotmap_assign(r->map, t.slot, t.slot, index);
			redis_refresh(r);
		}
		if (c->atomic)
			break;
		r->metrics->redis_redirects++;
		if (kind == SLOTMAP_ASK)
			c->ask_node = index;
		redis_call_again(c, reply);
		return;
	case SLOTMAP_TRYAGAIN:
	case SLOTMAP_CLUSTERDOWN:
		if (c->atomic)
			break;
		r->metrics->redis_retries++;
		redis_call_park(c); /* the park's timer counts the try */
		return;
	case SLOTMAP_OTHER:
		break;
	}
	redis_call_done(c, reply);
}

/* Sends cmd as a routed call; it is the call's to free when owned (also when not sent). */
static bool redis_call(struct redis *r, unsigned slot, int script, char *cmd, size_t len, bool owned,
    redis_reply_fn fn, void *arg)
{
	struct redis_call *c;

	if (!r->up || (c = calloc(1, sizeof(*c))) == NULL) {
		if (owned)
			free(cmd);
		return false;
	}
	*c = (struct redis_call){r, fn, arg, slot % KEYSLOT_COUNT, script, cmd, len, owned, -1, -1, 0, r->atomic, NULL};
	if (!redis_call_send(c)) {
		c->fn = NULL;
		if (!owned)
			c->cmd = NULL;
		redis_call_done(c, NULL);
		return false;
	}
	return true;
}

/* See redis.h. */
struct redis_wait redis_wait_of(const struct config *cfg)
{
	return (struct redis_wait){cfg->redis_wait_replicas, cfg->redis_timeout_ms / 2 + 1};
}

/* See redis.h. */
bool redis_wait(struct redis *r, unsigned slot, const struct redis_wait *w, redis_reply_fn fn, void *arg)
{
	char n[24], ms[24];

	snprintf(n, sizeof n, "%d", w->replicas);
	snprintf(ms, sizeof ms, "%" PRId64, w->timeout_ms);
	return redis_command(r, slot, 3, (const char *[]){"WAIT", n, ms}, NULL, fn, arg);
}

/* See redis.h. */
void redis_atomic(struct redis *r, bool on)
{
	r->atomic = on;
}

/*
 * Whether a standalone or Sentinel router can send: node 0 may be gone while up has not yet
 * changed (its connection is being replaced, and the NULL answers of its calls come first).
 */
static bool redis_single(const struct redis *r)
{
	return r->up && r->nodes[0] != NULL;
}

/* See redis.h. */
bool redis_command(struct redis *r, unsigned slot, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg)
{
	size_t len;
	char *cmd;

	if (r->mode != REDIS_MODE_CLUSTER)
		return redis_single(r) && redisconn_command(r->nodes[0]->conn, argc, argv, lens, fn, arg);
	if (!r->up || (cmd = resp_command(0, NULL, argc, argv, lens, &len)) == NULL)
		return false;
	return redis_call(r, slot, -1, cmd, len, true, fn, arg);
}

/* See redis.h. */
bool redis_formatted(struct redis *r, unsigned slot, const char *cmd, size_t len, redis_reply_fn fn, void *arg)
{
	char *copy;

	if (r->mode != REDIS_MODE_CLUSTER)
		return redis_single(r) && redisconn_formatted(r->nodes[0]->conn, cmd, len, fn, arg);
	if (!r->up || (copy = malloc(len)) == NULL)
		return false;
	memcpy(copy, cmd, len);
	return redis_call(r, slot, -1, copy, len, true, fn, arg);
}

/* See redis.h. */
char *redis_script_format(const struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, size_t *len, unsigned *slot)
{
	const char *sha = NULL;
	char numkeys[16];
	unsigned first;

	for (int i = 0; sha == NULL && i < redis_node_count(r); i++)
		if (r->nodes[i] != NULL)
			sha = redisconn_sha(r->nodes[i]->conn, s);
	if (!r->up || sha == NULL || nkeys < 0 || nkeys > argc)
		return NULL;
	first = nkeys > 0 ? keyslot(argv[0], lens != NULL ? lens[0] : strlen(argv[0])) : 0;
	for (int i = 1; i < nkeys; i++) {
		if (keyslot(argv[i], lens != NULL ? lens[i] : strlen(argv[i])) != first) {
			log_err("redis: programming error: script %d's keys %.*s and %.*s are in different cluster slots",
			    (int)s, (int)(lens != NULL ? lens[0] : strlen(argv[0])), argv[0],
			    (int)(lens != NULL ? lens[i] : strlen(argv[i])), argv[i]);
			return NULL;
		}
	}
	if (slot != NULL)
		*slot = first;
	snprintf(numkeys, sizeof(numkeys), "%d", nkeys);
	return resp_command(3, (const char *const[]){"EVALSHA", sha, numkeys}, argc, argv, lens, len);
}

/* See redis.h. */
bool redis_script_send(struct redis *r, unsigned slot, enum script s, const char *cmd, size_t len,
    redis_reply_fn fn, void *arg)
{
	if (r->mode != REDIS_MODE_CLUSTER)
		return redis_single(r) && redisconn_script_send(r->nodes[0]->conn, s, cmd, len, fn, arg);
	return redis_call(r, slot, (int)s, (char *)cmd, len, false, fn, arg);
}

/* See redis.h. */
bool redis_script_keys(struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, redis_reply_fn fn, void *arg)
{
	unsigned slot;
	size_t len;
	char *cmd = redis_script_format(r, s, nkeys, argc, argv, lens, &len, &slot);

	return cmd != NULL && redis_call(r, slot, (int)s, cmd, len, true, fn, arg);
}

/* The Sentinels named the primary (again, or a new one after a failover). */
static void redis_on_primary(void *arg, const struct hostport *at)
{
	struct redis *r = arg;

	if (r->nodes[0] != NULL && strcmp(r->nodes[0]->at.host, at->host) == 0 && r->nodes[0]->at.port == at->port)
		return;
	redis_node_close(r, 0);
	if (!redis_node_open(r, 0, at))
		log_err("redis: out of memory connecting to the primary");
	redis_update(r);
}

/* See redis.h. */
struct redis *redis_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    redis_state_fn on_state, void *arg)
{
	struct redis *r = calloc(1, sizeof(*r));
	struct hostport at;
	bool ok;

	if (r == NULL)
		return NULL;
	r->base = base;
	r->cfg = cfg;
	r->metrics = metrics;
	r->on_state = on_state;
	r->state_arg = arg;
	r->mode = cfg->redis_mode;
	r->refresh_ev = evtimer_new(base, redis_on_refresh, r);
	r->prune_ev = evtimer_new(base, redis_on_prune, r);
	r->park_ev = evtimer_new(base, redis_on_park, r);
	ok = r->refresh_ev != NULL && r->prune_ev != NULL && r->park_ev != NULL;
	switch (r->mode) {
	case REDIS_MODE_STANDALONE:
		ok = ok && hostport_set(&at, cfg->redis_host, cfg->redis_port) && redis_node_open(r, 0, &at);
		break;
	case REDIS_MODE_CLUSTER:
		ok = ok && (r->map = slotmap_new()) != NULL;
		for (int i = 0; ok && i < cfg->redis_cluster.count; i++)
			ok = redis_node_find(r, cfg->redis_cluster.at[i].host, cfg->redis_cluster.at[i].port, -1) >= 0;
		break;
	case REDIS_MODE_SENTINEL:
		ok = ok && (r->sentinel = sentinel_new(base, cfg, metrics, redis_on_primary, r)) != NULL;
		break;
	}
	if (!ok) {
		redis_free(r);
		return NULL;
	}
	if (r->mode != REDIS_MODE_STANDALONE)
		redis_refresh_later(r); /* asks again until up, even if the first answer names no primary */
	return r;
}

/* See redis.h. */
bool redis_is_up(const struct redis *r)
{
	return r->up;
}

/* See redis.h. */
uint64_t redis_session(const struct redis *r)
{
	return r->session;
}

/* See redis.h. */
bool redis_unresponsive(const struct redis *r)
{
	if (r->up)
		return false;
	for (int i = 0; i < redis_node_count(r); i++)
		if (r->nodes[i] != NULL && redisconn_unresponsive(r->nodes[i]->conn))
			return true;
	return false;
}

/* See redis.h. */
size_t redis_pending(const struct redis *r)
{
	size_t n = 0;

	for (int i = 0; i < redis_node_count(r); i++)
		if (r->nodes[i] != NULL)
			n += redisconn_pending(r->nodes[i]->conn);
	return n;
}

/* See redis.h. */
size_t redis_unsent(const struct redis *r)
{
	size_t n = 0;

	for (int i = 0; i < redis_node_count(r); i++)
		if (r->nodes[i] != NULL)
			n += redisconn_unsent(r->nodes[i]->conn);
	return n;
}

/* See redis.h. */
void redis_free(struct redis *r)
{
	if (r == NULL)
		return;
	r->closing = true;
	r->up = false; /* the NULL answers below must not send anything again */
	sentinel_free(r->sentinel);
	for (int i = 0; i < SLOTMAP_NODES_MAX; i++)
		redis_node_close(r, i);
	while (r->parked != NULL) {
		struct redis_call *c = r->parked;

		r->parked = c->next;
		redis_call_done(c, NULL);
	}
	if (r->refresh_ev != NULL)
		event_free(r->refresh_ev);
	if (r->prune_ev != NULL)
		event_free(r->prune_ev);
	if (r->park_ev != NULL)
		event_free(r->park_ev);
	slotmap_free(r->map);
	free(r);
}
