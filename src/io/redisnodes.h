/*
 * redisnodes.h: blocking connections to the primaries [redis] names (the one server, the
 * Sentinels' primary, or every primary of a cluster), for the start-up check and --rebuild.
 */
#ifndef FEEDBACKD_REDISNODES_H
#define FEEDBACKD_REDISNODES_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "config.h"

struct redisnodes;

/*
 * Connects as [redis] says, logged in (AUTH, SELECT), with [redis] timeout on the connect
 * and on every reply: one server, the primary the Sentinels name, or every primary of the
 * cluster's slot map (CLUSTER SLOTS from the first seed that answers). NULL with the
 * reason in err.
 */
struct redisnodes *redisnodes_open(const struct config *cfg, char *err, size_t size);

/* How many primaries: 1 unless a cluster. */
int redisnodes_count(const struct redisnodes *n);

/* Primary i (0 <= i < redisnodes_count). */
redisContext *redisnodes_at(const struct redisnodes *n, int i);

/* The primary serving key's slot. */
redisContext *redisnodes_of(const struct redisnodes *n, const char *key);

/* True on a cluster: a command may name keys of one slot only. */
bool redisnodes_cluster(const struct redisnodes *n);

/* Runs one command on c; NULL with the reason in err on a lost connection or an error reply. */
redisReply *redisnodes_command(redisContext *c, int argc, const char **argv, char *err, size_t size);

/* Disconnects and frees; NULL is ignored. */
void redisnodes_close(struct redisnodes *n);

#endif
