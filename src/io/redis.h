/* redis.h: one async hiredis connection in the libevent loop, with reconnects and scripts. */
#ifndef FEEDBACKD_REDIS_H
#define FEEDBACKD_REDIS_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "metrics.h"
#include "scripts.h"

struct redis;

/* Writes where [redis] points, for log lines: the socket path, host:port or [v6]:port. */
void redis_where(const struct config *cfg, char *buf, size_t size);

/* The commands that open a session as [redis] asks, in order: AUTH (user, password), SELECT. */
struct redis_login {
	int count;
	int argc[2];
	const char *argv[2][3]; /* point into the config and db */
	char db[16];
};

/* Fills l from cfg; its argv point into cfg and l, so both must outlive their use. */
void redis_login(const struct config *cfg, struct redis_login *l);

/* A reply callback; reply is NULL when the connection failed before an answer. */
typedef void (*redis_reply_fn)(void *arg, redisReply *reply);

/* Called when the connection becomes usable (up) or is lost (!up). */
typedef void (*redis_state_fn)(void *arg, bool up);

/*
 * Creates the connection and starts connecting; scripts are loaded on every (re)connect.
 * A connection that leaves commands unanswered for [redis] timeout is dropped like a
 * lost one (callbacks get NULL, on_state hears !up) and reconnected.
 */
struct redis *redis_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    redis_state_fn on_state, void *arg);

/* True when connected, authenticated and the scripts are loaded. */
bool redis_is_up(const struct redis *r);

/* Counts the times the connection came up: what one session wrote may be gone in the next. */
uint64_t redis_session(const struct redis *r);

/*
 * True when not up because Redis stopped answering: a connection was dropped after
 * [redis] timeout without a reply, and no other kind of loss (refused, reset) came since.
 */
bool redis_unresponsive(const struct redis *r);

/* Sends a command (argv strings with lengths; lens NULL means NUL-terminated); fn may be NULL. */
bool redis_command(struct redis *r, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg);

/*
 * Sends a command already in RESP (len bytes of "*<argc>\r\n$<len>\r\n<arg>\r\n..."), which
 * hiredis copies as it is: for callers that build many arguments, which redis_command would
 * format again one by one. fn may be NULL.
 */
bool redis_formatted(struct redis *r, const char *cmd, size_t len, redis_reply_fn fn, void *arg);

/* Runs a script by its SHA; a NOSCRIPT answer is retried with its source, invisibly. */
bool redis_script(struct redis *r, enum script s, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg);

/*
 * The same, with the first nkeys arguments declared as the script's keys (EVALSHA's numkeys),
 * as Redis Cluster needs: they must all be in one slot.
 */
bool redis_script_keys(struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, redis_reply_fn fn, void *arg);

/*
 * The call redis_script_keys would send, as RESP (malloc'd, *len bytes), for a caller that
 * keeps it to send again (redis_script_send) without its arguments; NULL when down or out of
 * memory. A script's SHA does not change, so the text stays good across connections.
 */
char *redis_script_format(const struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, size_t *len);

/*
 * Sends a call made by redis_script_format; cmd stays the caller's and must live until fn
 * is called (a NOSCRIPT retry reads it). False when not sent.
 */
bool redis_script_send(struct redis *r, enum script s, const char *cmd, size_t len, redis_reply_fn fn, void *arg);

/* Commands sent and not yet answered. */
size_t redis_pending(const struct redis *r);

/* Bytes of commands sent that hiredis still holds, not yet written to the socket. */
size_t redis_unsent(const struct redis *r);

/* Disconnects (pending callbacks get NULL) and frees. */
void redis_free(struct redis *r);

#endif
