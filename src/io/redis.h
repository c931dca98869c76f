/*
 * redis.h: every Redis call the daemon makes, routed by its key's cluster slot to the server
 * that holds it: the one server, the primary the Sentinels name, or a Redis Cluster's node.
 */
#ifndef FEEDBACKD_REDIS_H
#define FEEDBACKD_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "metrics.h"
#include "redisconn.h"
#include "scripts.h"

struct redis;

/* Writes where [redis] points, for log lines: the server, the cluster's seeds or the Sentinels. */
void redis_where(const struct config *cfg, char *buf, size_t size);

/* A reply callback; reply is NULL when no answer came (a connection was lost, or the call given up). */
typedef redisconn_reply_fn redis_reply_fn;

/* Called when every slot can be served (up) and when that stops (!up). */
typedef void (*redis_state_fn)(void *arg, bool up);

/*
 * Starts connecting as [redis] mode says. In cluster mode the seeds are asked for the slot
 * map (CLUSTER SLOTS) and every primary gets a connection; a call answered MOVED, ASK,
 * TRYAGAIN or CLUSTERDOWN is sent again where and when the answer says, so the caller sees
 * only the final reply.
 */
struct redis *redis_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    redis_state_fn on_state, void *arg);

/* True when every slot has a server and each of them is connected, logged in and has the scripts. */
bool redis_is_up(const struct redis *r);

/*
 * Counts the times redis became up: what one session wrote may be gone in the next (a
 * restarted server, a replica promoted in a failover).
 */
uint64_t redis_session(const struct redis *r);

/* True when not up because a server stopped answering (see redisconn_unresponsive). */
bool redis_unresponsive(const struct redis *r);

/*
 * Sends a command whose keys are all in cluster slot `slot` (keyslot() of its key; a
 * keyless command such as WAIT names the slot whose server it is meant for). argv strings
 * have lengths lens (NULL: NUL-terminated); fn may be NULL. False when not sent.
 */
bool redis_command(struct redis *r, unsigned slot, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg);

/* The same for a command already in RESP (len bytes), which is copied. */
bool redis_formatted(struct redis *r, unsigned slot, const char *cmd, size_t len, redis_reply_fn fn, void *arg);

/*
 * Between redis_atomic(r, true) and redis_atomic(r, false) the calls sent are a transaction
 * (MULTI ... EXEC): a redirect of one is answered as the error it is, never followed, since
 * Redis aborts the transaction (EXECABORT) and the caller sends it whole again.
 */
void redis_atomic(struct redis *r, bool on);

/*
 * Script s's EVALSHA call with the first nkeys arguments as its keys, as RESP (malloc'd,
 * *len bytes), for a caller that keeps it to send again (redis_script_send); its slot is
 * the keys' one, in *slot unless slot is NULL. NULL when down, out of memory, or when the keys are not all in
 * one slot: a programming error, logged as one. A script's SHA does not change, so the
 * text stays good across connections and servers.
 */
char *redis_script_format(const struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, size_t *len, unsigned *slot);

/*
 * Sends a call made by redis_script_format to its slot's server; cmd stays the caller's
 * and must live until fn is called. False when not sent.
 */
bool redis_script_send(struct redis *r, unsigned slot, enum script s, const char *cmd, size_t len,
    redis_reply_fn fn, void *arg);

/* Formats and sends script s's call once (redis_script_format, then redis_script_send). */
bool redis_script_keys(struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, redis_reply_fn fn, void *arg);

/*
 * Replicas a write must reach before it counts (WAIT replicas timeout_ms after it, on the
 * same connection); [redis] wait_replicas, with half of [redis] timeout so that the wait
 * never trips the connection's watchdog.
 */
struct redis_wait {
	int replicas;        /* 0: none, no WAIT */
	int64_t timeout_ms;  /* > 0 when replicas > 0 */
};

/* The settings cfg gives. */
struct redis_wait redis_wait_of(const struct config *cfg);

/*
 * Sends WAIT w->replicas w->timeout_ms to slot's server, after the calls sent there before
 * it; fn gets its reply (the replicas reached, an integer). False when not sent.
 */
bool redis_wait(struct redis *r, unsigned slot, const struct redis_wait *w, redis_reply_fn fn, void *arg);

/* Commands sent and not yet answered, over every connection. */
size_t redis_pending(const struct redis *r);

/* Bytes of commands sent that hiredis still holds, not yet written to the sockets. */
size_t redis_unsent(const struct redis *r);

/* Disconnects (pending callbacks get NULL) and frees. */
void redis_free(struct redis *r);

#endif
