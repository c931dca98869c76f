/*
 * redisnodes.c: blocking connections to the primaries [redis] names (the one server, the
 * Sentinels' primary, or every primary of a cluster), for the start-up check and --rebuild.
 */
#include "redisnodes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostport.h"
#include "keyslot.h"
#include "redisconn.h"
#include "slotmap.h"

struct redisnodes {
	struct slotmap *map;     /* a cluster's primaries by slot; NULL otherwise */
	int count;
	redisContext *c[SLOTMAP_NODES_MAX];
};

/* See redisnodes.h. */
redisReply *redisnodes_command(redisContext *c, int argc, const char **argv, char *err, size_t size)
{
	redisReply *reply = redisCommandArgv(c, argc, argv, NULL);

	if (reply == NULL) {
		snprintf(err, size, "%s", c->errstr[0] != '\0' ? c->errstr : "no reply");
		return NULL;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(err, size, "%s: %s", argv[0], reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

/* A connection to at (or socket, when not NULL), logged in when login; NULL with err. */
static redisContext *redisnodes_connect(const struct config *cfg, const struct hostport *at, const char *socket,
    bool login, char *err, size_t size)
{
	struct timeval tv = {(time_t)(cfg->redis_timeout_ms / 1000), (suseconds_t)(cfg->redis_timeout_ms % 1000) * 1000};
	struct redisconn_login l;
	redisContext *c = socket != NULL ? redisConnectUnixWithTimeout(socket, tv) :
	    redisConnectWithTimeout(at->host, at->port, tv);

	if (c == NULL || c->err) {
		snprintf(err, size, "%s", c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	redisSetTimeout(c, tv);
	redisconn_login(cfg, &l);
	for (int i = 0; login && i < l.count; i++) {
		redisReply *reply = redisnodes_command(c, l.argc[i], l.argv[i], err, size);

		if (reply == NULL) {
			redisFree(c);
			return NULL;
		}
		freeReplyObject(reply);
	}
	return c;
}

/* Reads a [host, port] reply pair (the port a string or an integer) into at. */
static bool redisnodes_endpoint(const redisReply *host, const redisReply *port, struct hostport *at)
{
	char number[24];

	if (host->type != REDIS_REPLY_STRING || (port->type != REDIS_REPLY_STRING && port->type != REDIS_REPLY_INTEGER))
		return false;
	if (port->type == REDIS_REPLY_INTEGER)
		snprintf(number, sizeof(number), "%lld", port->integer);
	return hostport_join(host->str, port->type == REDIS_REPLY_INTEGER ? number : port->str, at);
}

/* Asks the Sentinels in turn where the primary is; false with the reason in err. */
static bool redisnodes_sentinel(const struct config *cfg, struct hostport *at, char *err, size_t size)
{
	snprintf(err, size, "no Sentinel answered");
	for (int i = 0; i < cfg->redis_sentinels.count; i++) {
		redisContext *c = redisnodes_connect(cfg, &cfg->redis_sentinels.at[i], NULL, false, err, size);
		redisReply *reply = c == NULL ? NULL : redisnodes_command(c, 3, (const char *[]){"SENTINEL",
		    "get-master-addr-by-name", cfg->redis_master_name}, err, size);
		bool ok = reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
		    redisnodes_endpoint(reply->element[0], reply->element[1], at);

		if (reply != NULL && !ok)
			snprintf(err, size, "the Sentinels name no primary '%s'", cfg->redis_master_name);
		freeReplyObject(reply);
		redisFree(c);
		if (ok)
			return true;
	}
	return false;
}

/* Reads a CLUSTER SLOTS reply into n->map; false when it is not a complete slot map. */
static bool redisnodes_slots(struct redisnodes *n, const redisReply *reply, const struct hostport *asked)
{
	for (size_t i = 0; reply->type == REDIS_REPLY_ARRAY && i < reply->elements; i++) {
		const redisReply *e = reply->element[i];
		struct hostport at;
		int index;

		if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 || e->element[0]->type != REDIS_REPLY_INTEGER ||
		    e->element[1]->type != REDIS_REPLY_INTEGER || e->element[2]->type != REDIS_REPLY_ARRAY ||
		    e->element[2]->elements < 2 || !redisnodes_endpoint(e->element[2]->element[0],
		    e->element[2]->element[1], &at))
			return false;
		if (at.host[0] == '\0') /* the node asked does not know its own address */
			snprintf(at.host, sizeof(at.host), "%s", asked->host);
		index = slotmap_node(n->map, at.host, at.port);
		if (index < 0 || !slotmap_assign(n->map, (unsigned)e->element[0]->integer,
		    (unsigned)e->element[1]->integer, index))
			return false;
	}
	return slotmap_complete(n->map);
}

/* The cluster's primaries, from the first seed that gives a complete slot map. */
static bool redisnodes_cluster_open(struct redisnodes *n, const struct config *cfg, char *err, size_t size)
{
	bool mapped = false;

	if ((n->map = slotmap_new()) == NULL) {
		snprintf(err, size, "out of memory");
		return false;
	}
	for (int i = 0; !mapped && i < cfg->redis_cluster.count; i++) {
		const struct hostport *seed = &cfg->redis_cluster.at[i];
		redisContext *c = redisnodes_connect(cfg, seed, NULL, true, err, size);
		redisReply *reply = c == NULL ? NULL :
		    redisnodes_command(c, 2, (const char *[]){"CLUSTER", "SLOTS"}, err, size);

		slotmap_clear(n->map);
		mapped = reply != NULL && redisnodes_slots(n, reply, seed);
		if (reply != NULL && !mapped)
			snprintf(err, size, "CLUSTER SLOTS of %s:%d: not every slot is served", seed->host, seed->port);
		freeReplyObject(reply);
		redisFree(c);
	}
	for (int i = 0; mapped && i < slotmap_nodes(n->map); i++) {
		const struct slotmap_node *node = slotmap_node_at(n->map, i);
		struct hostport at;

		if (!hostport_set(&at, node->host, node->port) ||
		    (n->c[i] = redisnodes_connect(cfg, &at, NULL, true, err, size)) == NULL)
			return false;
		n->count = i + 1;
	}
	return mapped;
}

/* See redisnodes.h. */
struct redisnodes *redisnodes_open(const struct config *cfg, char *err, size_t size)
{
	struct redisnodes *n = calloc(1, sizeof(*n));
	struct hostport at;
	bool ok;

	if (n == NULL) {
		snprintf(err, size, "out of memory");
		return NULL;
	}
	switch (cfg->redis_mode) {
	case REDIS_MODE_CLUSTER:
		ok = redisnodes_cluster_open(n, cfg, err, size);
		break;
	case REDIS_MODE_SENTINEL:
		ok = redisnodes_sentinel(cfg, &at, err, size) &&
		    (n->c[0] = redisnodes_connect(cfg, &at, NULL, true, err, size)) != NULL;
		break;
	default:
		if (!hostport_set(&at, cfg->redis_host, cfg->redis_port)) {
			snprintf(err, size, "[redis] host is longer than %d bytes", HOSTPORT_HOST_MAX - 1);
			ok = false;
			break;
		}
		ok = (n->c[0] = redisnodes_connect(cfg, &at, cfg->redis_socket, true, err, size)) != NULL;
		break;
	}
	if (n->map == NULL && ok)
		n->count = 1;
	if (!ok) {
		redisnodes_close(n);
		return NULL;
	}
	return n;
}

/* See redisnodes.h. */
int redisnodes_count(const struct redisnodes *n)
{
	return n->count;
}

/* See redisnodes.h. */
redisContext *redisnodes_at(const struct redisnodes *n, int i)
{
	return n->c[i];
}

/* See redisnodes.h. */
redisContext *redisnodes_of(const struct redisnodes *n, const char *key)
{
	return n->map == NULL ? n->c[0] : n->c[slotmap_owner(n->map, keyslot(key, strlen(key)))];
}

/* See redisnodes.h. */
bool redisnodes_cluster(const struct redisnodes *n)
{
	return n->map != NULL;
}

/* See redisnodes.h. */
void redisnodes_close(struct redisnodes *n)
{
	if (n == NULL)
		return;
	for (int i = 0; i < SLOTMAP_NODES_MAX; i++)
		redisFree(n->c[i]);
	slotmap_free(n->map);
	free(n);
}
