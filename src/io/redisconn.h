/* redisconn.h: one async hiredis connection to one server in the libevent loop, with reconnects and scripts. */
#ifndef FEEDBACKD_REDISCONN_H
#define FEEDBACKD_REDISCONN_H

#include <stdbool.h>
#include <stddef.h>
#include <event2/event.h>
#include <hiredis/hiredis.h>

#include "config.h"
#include "hostport.h"
#include "metrics.h"
#include "scripts.h"

struct redisconn;

/* The commands that open a session as [redis] asks, in order: AUTH (user, password), SELECT. */
struct redisconn_login {
	int count;
	int argc[2];
	const char *argv[2][3]; /* point into the config and db */
	char db[16];
};

/* Fills l from cfg; its argv point into cfg and l, so both must outlive their use. */
void redisconn_login(const struct config *cfg, struct redisconn_login *l);

/* Where a connection goes, and what it sets up there. */
struct redisconn_target {
	const char *socket;     /* a unix socket path; NULL: tcp */
	struct hostport tcp;
	bool plain;             /* a Sentinel: no login, no scripts (up after a PING) */
};

/* A reply callback; reply is NULL when the connection failed before an answer. */
typedef void (*redisconn_reply_fn)(void *arg, redisReply *reply);

/* Called when the connection becomes usable (up) or is lost (!up). */
typedef void (*redisconn_state_fn)(void *arg, bool up);

/*
 * Creates the connection and starts connecting; the login and the scripts are done on
 * every (re)connect. A connection that leaves commands unanswered for [redis] timeout is
 * dropped like a lost one (callbacks get NULL, on_state hears !up) and reconnected.
 */
struct redisconn *redisconn_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    const struct redisconn_target *to, redisconn_state_fn on_state, void *arg);

/* True when connected, logged in and the scripts are loaded. */
bool redisconn_is_up(const struct redisconn *c);

/*
 * True when not up because the server stopped answering: a connection was dropped after
 * [redis] timeout without a reply, and no other kind of loss (refused, reset) came since.
 */
bool redisconn_unresponsive(const struct redisconn *c);

/* Where it connects, as log lines name it: a socket path, host:port or [v6]:port. */
const char *redisconn_where(const struct redisconn *c);

/* Script s's SHA as the server gave it when the scripts were loaded; NULL while not up. */
const char *redisconn_sha(const struct redisconn *c, enum script s);

/* Sends a command (argv strings with lengths; lens NULL means NUL-terminated); fn may be NULL. */
bool redisconn_command(struct redisconn *c, int argc, const char **argv, const size_t *lens,
    redisconn_reply_fn fn, void *arg);

/* Sends a command already in RESP, which hiredis copies as it is; fn may be NULL. */
bool redisconn_formatted(struct redisconn *c, const char *cmd, size_t len, redisconn_reply_fn fn, void *arg);

/*
 * Sends script s's EVALSHA call, already in RESP; cmd stays the caller's and must live
 * until fn is called. A NOSCRIPT answer is retried with the script's source, invisibly.
 */
bool redisconn_script_send(struct redisconn *c, enum script s, const char *cmd, size_t len,
    redisconn_reply_fn fn, void *arg);

/* Commands sent and not yet answered. */
size_t redisconn_pending(const struct redisconn *c);

/* Bytes of commands sent that hiredis still holds, not yet written to the socket. */
size_t redisconn_unsent(const struct redisconn *c);

/* Disconnects (pending callbacks get NULL) and frees. */
void redisconn_free(struct redisconn *c);

#endif
