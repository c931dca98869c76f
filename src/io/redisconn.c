/* redisconn.c: one async hiredis connection to one server in the libevent loop, with reconnects and scripts. */
#include "redisconn.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/sds.h>

#include "hostport.h"
#include "log.h"
#include "timestamp.h"

#define REDISCONN_BACKOFF_MIN_MS 100
#define REDISCONN_BACKOFF_MAX_MS 5000
/* Linux's upper bound for TCP_KEEPIDLE and TCP_KEEPINTVL. */
#define REDISCONN_KEEPALIVE_MAX_S 32767

struct redisconn {
	struct event_base *base;
	const struct config *cfg;
	struct metrics *metrics;
	char *socket;             /* a unix socket path, or NULL for tcp */
	struct hostport tcp;
	char where[HOSTPORT_TEXT_MAX]; /* for log lines */
	bool plain;               /* no login and no scripts: a Sentinel */
	redisAsyncContext *ac;
	bool connected;           /* the TCP or socket connect of ac completed */
	bool up;
	bool unresponsive;        /* the last loss was a timeout: see redisconn_unresponsive() */
	bool closing;
	int setup_waiting;        /* setup replies still expected on this connection */
	bool setup_failed;
	int backoff_ms;
	struct event *retry_ev;   /* reconnect after backoff */
	struct event *watch_ev;   /* the reply watchdog, armed while something is awaited */
	struct timespec progress; /* last reply, or when the wait began: see redisconn_on_watch() */
	size_t pending;
	char sha[SCRIPT_COUNT][41];
	redisconn_state_fn on_state;
	void *state_arg;
};

/*
 * One command in flight. A script call keeps its formatted EVALSHA command, one buffer,
 * from which the EVAL retry after NOSCRIPT is made by swapping the leading two arguments.
 */
struct redisconn_request {
	struct redisconn *r;
	redisconn_reply_fn fn;
	void *arg;
	int script;               /* enum script, or -1 */
	bool retried;
	bool borrowed;            /* cmd is the caller's (redisconn_script_send), not freed here */
	int argc;
	char *cmd;                /* RESP text, scripts only */
	size_t len;
	struct timespec sent;
};

static const char *const redisconn_sources[SCRIPT_COUNT] = {
	[SCRIPT_VIEW_ALERT] = script_src_view_alert,
	[SCRIPT_CHECKPOINT] = script_src_checkpoint,
};

static void redisconn_connect(struct redisconn *r);

/* Seconds elapsed since a monotonic timestamp. */
static double redisconn_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Arms the reconnect timer with exponential backoff. */
static void redisconn_schedule_retry(struct redisconn *r)
{
	struct timeval tv;

	if (r->closing)
		return;
	tv.tv_sec = r->backoff_ms / 1000;
	tv.tv_usec = (r->backoff_ms % 1000) * 1000;
	evtimer_add(r->retry_ev, &tv);
	r->backoff_ms *= 2;
	if (r->backoff_ms > REDISCONN_BACKOFF_MAX_MS)
		r->backoff_ms = REDISCONN_BACKOFF_MAX_MS;
}

/* Reconnect timer. */
static void redisconn_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	redisconn_connect(arg);
}

/* Arms the watchdog to look again in ms milliseconds. */
static void redisconn_watch_in(struct redisconn *r, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(r->watch_ev, &tv);
}

/*
 * Something is awaited from Redis again: the watchdog measures from now. It fires when
 * the timeout would be reached and looks again only if replies came meanwhile, so it
 * costs about one wake-up per timeout while busy and none on an idle connection.
 */
static void redisconn_watch(struct redisconn *r)
{
	clock_gettime(CLOCK_MONOTONIC, &r->progress);
	if (!evtimer_pending(r->watch_ev, NULL))
		redisconn_watch_in(r, r->cfg->redis_timeout_ms);
}

/* One more command awaits its reply; the first one starts the watchdog's clock. */
static void redisconn_sent(struct redisconn *r)
{
	if (r->pending++ == 0)
		redisconn_watch(r);
}

/*
 * Drops the connection from outside any hiredis callback (the watchdog) and does what
 * redisconn_on_disconnect does for a lost one: every pending callback gets a NULL reply
 * (so batches are retried), the owner hears !up, and a reconnect is scheduled.
 */
static void redisconn_drop(struct redisconn *r, bool timed_out)
{
	redisAsyncContext *ac = r->ac;
	bool was_up = r->up;

	/*
	 * hiredis 0.14's redisAsyncFree fails the pending callbacks and then, if the connect
	 * had completed, calls redisconn_on_disconnect with REDIS_OK; clearing r->ac first tells
	 * that call the loss is handled here, so it happens exactly once. Clearing up first
	 * makes the NULL-reply callbacks see Redis down and send nothing on the dying context.
	 */
	r->ac = NULL;
	r->up = false;
	r->connected = false;
	r->unresponsive = timed_out;
	if (timed_out)
		r->metrics->redis_timeouts++;
	redisAsyncFree(ac);
	r->metrics->redis_reconnects++;
	if (was_up && r->on_state != NULL)
		r->on_state(r->state_arg, false);
	redisconn_schedule_retry(r);
}

/*
 * The watchdog. Another client's long script does not starve us: Redis answers BUSY
 * once a script has run for busy-reply-threshold (5 s), counted from the script's start.
 * So a connection with commands outstanding and no reply of any kind for [redis] timeout
 * is hung (a stopped server, a dead host, a half-open connection) and is dropped. Progress
 * is the last reply, not each command's age, so a long pipeline that keeps answering
 * never trips it. A connect that gets no answer in that time is given up the same way.
 */
static void redisconn_on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct redisconn *r = arg;
	double idle, limit = (double)r->cfg->redis_timeout_ms / 1000.0;

	(void)fd;
	(void)what;
	if (r->ac == NULL || (r->connected && r->pending == 0))
		return;
	idle = redisconn_elapsed(&r->progress);
	if (idle < limit) {
		/* A reply came since it was armed: the timeout now ends later. */
		redisconn_watch_in(r, (int64_t)((limit - idle) * 1000.0) + 1);
		return;
	}
	if (r->connected) {
		log_limited(LOG_WARNING, "redis-timeout", "redis: no reply for %.1f s from %s; reconnecting",
		    idle, r->where);
		redisconn_drop(r, true);
	} else {
		log_limited(LOG_WARNING, "redis-connect", "redis: connect to %s timed out after %.1f s",
		    r->where, idle);
		redisconn_drop(r, false);
	}
}

/* Frees a request and its command text, unless that is the caller's. */
static void redisconn_request_free(struct redisconn_request *req)
{
	if (!req->borrowed)
		free(req->cmd);
	free(req);
}

/* Sends a script request's command text on the current connection. */
static bool redisconn_send(struct redisconn *r, struct redisconn_request *req);

/* Sends RESP text cmd for req on the current connection; false (req not taken) when it cannot. */
static bool redisconn_send_text(struct redisconn *r, struct redisconn_request *req, const char *cmd, size_t len);

/* The EVALSHA header of a formatted command: "*N", "EVALSHA" and the SHA as RESP. */
static size_t redisconn_evalsha_header(int argc)
{
	char count[16];

	return (size_t)snprintf(count, sizeof(count), "*%d\r\n", argc) + strlen("$7\r\nEVALSHA\r\n$40\r\n") + 40 + 2;
}

/* Rewrites a script request as EVAL with the script's source, keeping its other arguments. */
static bool redisconn_request_eval(struct redisconn_request *req, const char *src)
{
	size_t header = redisconn_evalsha_header(req->argc), src_len = strlen(src);
	size_t rest = req->len - header, size = 64 + src_len + rest;
	char *cmd = malloc(size);
	int n;

	if (cmd == NULL)
		return false;
	n = snprintf(cmd, size, "*%d\r\n$4\r\nEVAL\r\n$%zu\r\n", req->argc, src_len);
	memcpy(cmd + n, src, src_len);
	memcpy(cmd + n + src_len, "\r\n", 2);
	memcpy(cmd + n + src_len + 2, req->cmd + header, rest);
	if (!req->borrowed)
		free(req->cmd);
	req->borrowed = false;
	req->cmd = cmd;
	req->len = (size_t)n + src_len + 2 + rest;
	return true;
}

/* Every reply comes here first: latency, error counts and the NOSCRIPT retry. */
static void redisconn_on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
	struct redisconn_request *req = privdata;
	struct redisconn *r = req->r;
	redisReply *reply = reply_ptr;

	(void)ac;
	r->pending--;
	if (reply != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &r->progress);
		metrics_seconds(&r->metrics->redis_latency, redisconn_elapsed(&req->sent));
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && req->script >= 0 && !req->retried &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		/* The script cache was flushed (restart, failover, SCRIPT FLUSH): EVAL caches it again. */
		req->retried = true;
		if (redisconn_request_eval(req, redisconn_sources[req->script]) && redisconn_send(r, req))
			return;
		reply = NULL;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		r->metrics->redis_errors++;
	if (req->fn != NULL)
		req->fn(req->arg, reply);
	redisconn_request_free(req);
}

/* See above. */
static bool redisconn_send_text(struct redisconn *r, struct redisconn_request *req, const char *cmd, size_t len)
{
	if (r->ac == NULL)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &req->sent);
	if (redisAsyncFormattedCommand(r->ac, redisconn_on_reply, req, cmd, len) != REDIS_OK)
		return false;
	redisconn_sent(r);
	return true;
}

/* See above. */
static bool redisconn_send(struct redisconn *r, struct redisconn_request *req)
{
	return redisconn_send_text(r, req, req->cmd, req->len);
}

/* A request answered to fn, for a command (a script's sets script); NULL when down or out of memory. */
static struct redisconn_request *redisconn_request_new(struct redisconn *r, redisconn_reply_fn fn, void *arg)
{
	struct redisconn_request *req;

	if (!r->up || (req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->r = r;
	req->fn = fn;
	req->arg = arg;
	req->script = -1;
	return req;
}

/* See redisconn.h. */
bool redisconn_formatted(struct redisconn *r, const char *cmd, size_t len, redisconn_reply_fn fn, void *arg)
{
	struct redisconn_request *req = redisconn_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	if (!redisconn_send_text(r, req, cmd, len)) {
		redisconn_request_free(req);
		return false;
	}
	return true;
}

/* See redisconn.h. */
bool redisconn_command(struct redisconn *r, int argc, const char **argv, const size_t *lens,
    redisconn_reply_fn fn, void *arg)
{
	struct redisconn_request *req = redisconn_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &req->sent);
	if (redisAsyncCommandArgv(r->ac, redisconn_on_reply, req, argc, argv, lens) != REDIS_OK) {
		redisconn_request_free(req);
		return false;
	}
	redisconn_sent(r);
	return true;
}

/* See redisconn.h. */
bool redisconn_script_send(struct redisconn *r, enum script s, const char *cmd, size_t len, redisconn_reply_fn fn,
    void *arg)
{
	struct redisconn_request *req = redisconn_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	req->script = (int)s;
	req->argc = atoi(cmd + 1); /* "*<argc>\r\n" */
	req->cmd = (char *)cmd;
	req->len = len;
	req->borrowed = true;
	if (!redisconn_send(r, req)) {
		redisconn_request_free(req);
		return false;
	}
	return true;
}

/* See redisconn.h. */
const char *redisconn_sha(const struct redisconn *r, enum script s)
{
	return r->up && !r->plain ? r->sha[s] : NULL;
}

/* See redisconn.h. */
const char *redisconn_where(const struct redisconn *r)
{
	return r->where;
}

/* A reply to one of the setup commands (AUTH, SELECT, SCRIPT LOAD) on a new connection. */
static void redisconn_on_setup(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
	struct redisconn *r = ac->data;
	redisReply *reply = reply_ptr;
	intptr_t script = (intptr_t)privdata;

	r->pending--;
	if (reply == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->progress);
	if (reply->type == REDIS_REPLY_ERROR) {
		log_err("redis: setup failed: %s", reply->str);
		r->setup_failed = true;
	} else if (script >= 0 && reply->type == REDIS_REPLY_STRING && reply->len == 40) {
		memcpy(r->sha[script], reply->str, 40);
		r->sha[script][40] = '\0';
	}
	if (--r->setup_waiting > 0)
		return;
	if (r->setup_failed) {
		redisAsyncDisconnect(ac);
		return;
	}
	r->up = true;
	r->unresponsive = false;
	r->backoff_ms = REDISCONN_BACKOFF_MIN_MS;
	log_notice("redis: connected to %s", r->where);
	if (r->on_state != NULL)
		r->on_state(r->state_arg, true);
}

/* Sends one setup command; script is the enum script it loads, or -1. */
static void redisconn_setup_command(struct redisconn *r, intptr_t script, int argc, const char **argv)
{
	if (redisAsyncCommandArgv(r->ac, redisconn_on_setup, (void *)script, argc, argv, NULL) == REDIS_OK) {
		redisconn_sent(r);
		r->setup_waiting++;
	}
}

/* See redisconn.h. */
void redisconn_login(const struct config *cfg, struct redisconn_login *l)
{
	l->count = 0;
	if (cfg->redis_password != NULL) {
		int n = 0;

		l->argv[l->count][n++] = "AUTH";
		if (cfg->redis_user != NULL)
			l->argv[l->count][n++] = cfg->redis_user;
		l->argv[l->count][n++] = cfg->redis_password;
		l->argc[l->count++] = n;
	}
	if (cfg->redis_db != 0) {
		snprintf(l->db, sizeof(l->db), "%d", cfg->redis_db);
		l->argv[l->count][0] = "SELECT";
		l->argv[l->count][1] = l->db;
		l->argc[l->count++] = 2;
	}
}

/* TCP or socket connection established: authenticate, select and load the scripts. */
static void redisconn_on_connect(const redisAsyncContext *ac, int status)
{
	struct redisconn *r = ac->data;
	struct redisconn_login login;

	if (status != REDIS_OK) {
		log_limited(LOG_WARNING, "redis-connect", "redis: cannot connect to %s: %s", r->where, ac->errstr);
		r->ac = NULL; /* hiredis frees the context after a failed connect */
		r->unresponsive = false; /* refused or unreachable: down, not hung */
		redisconn_schedule_retry(r);
		return;
	}
	/* The setup replies are awaited under the same timeout: a stopped server accepts connects. */
	r->connected = true;
	clock_gettime(CLOCK_MONOTONIC, &r->progress);
	r->setup_failed = false;
	r->setup_waiting = 0;
	if (r->plain) {
		/* Nothing to set up, but up is reached the same way: through a reply. */
		redisconn_setup_command(r, -1, 1, (const char *[]){"PING"});
		return;
	}
	redisconn_login(r->cfg, &login);
	for (int i = 0; i < login.count; i++)
		redisconn_setup_command(r, -1, login.argc[i], login.argv[i]);
	for (intptr_t s = 0; s < SCRIPT_COUNT; s++)
		redisconn_setup_command(r, s, 3, (const char *[]){"SCRIPT", "LOAD", redisconn_sources[s]});
}

/* The connection is gone; hiredis has already failed its pending callbacks. */
static void redisconn_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redisconn *r = ac->data;
	bool was_up = r->up;

	if (ac != r->ac)
		return; /* dropped by redisconn_drop(), which did the rest */
	r->ac = NULL;
	r->up = false;
	r->connected = false;
	if (r->closing)
		return;
	r->unresponsive = false;
	if (status != REDIS_OK)
		log_limited(LOG_WARNING, "redis-connect", "redis: connection to %s lost: %s", r->where, ac->errstr);
	r->metrics->redis_reconnects++;
	if (was_up && r->on_state != NULL)
		r->on_state(r->state_arg, false);
	redisconn_schedule_retry(r);
}

/*
 * TCP keepalive finds a peer that vanished (host down, a NAT or firewall that forgot the
 * connection) while no command is outstanding, which the watchdog cannot see. Probing after
 * [redis] timeout of silence, three probes a third of it apart, reports such a connection
 * lost about two timeouts after it went quiet, the same order as a hung command, for one
 * empty segment per timeout on an idle connection. (hiredis 0.14's redisKeepAlive() does
 * the same but its header is not installed; redisEnableKeepAlive() fixes 15 s.)
 */
static void redisconn_keepalive(struct redisconn *r)
{
	int64_t secs = (r->cfg->redis_timeout_ms + 999) / 1000;
	int fd = r->ac->c.fd, on = 1, idle, interval, count = 3;

	if (secs > REDISCONN_KEEPALIVE_MAX_S)
		secs = REDISCONN_KEEPALIVE_MAX_S;
	idle = (int)secs;
	interval = idle / 3 > 0 ? idle / 3 : 1;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0)
		log_warn("redis: cannot enable TCP keepalive: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

/* Starts one connection attempt. */
static void redisconn_connect(struct redisconn *r)
{
	if (r->socket != NULL)
		r->ac = redisAsyncConnectUnix(r->socket);
	else
		r->ac = redisAsyncConnect(r->tcp.host, r->tcp.port);
	if (r->ac == NULL || r->ac->err) {
		log_limited(LOG_WARNING, "redis-connect", "redis: cannot connect to %s: %s", r->where,
		    r->ac != NULL ? r->ac->errstr : "out of memory");
		if (r->ac != NULL)
			redisAsyncFree(r->ac);
		r->ac = NULL;
		redisconn_schedule_retry(r);
		return;
	}
	r->ac->data = r;
	r->connected = false;
	if (r->socket == NULL)
		redisconn_keepalive(r);
	redisLibeventAttach(r->ac, r->base);
	redisAsyncSetConnectCallback(r->ac, redisconn_on_connect);
	redisAsyncSetDisconnectCallback(r->ac, redisconn_on_disconnect);
	redisconn_watch(r);
}

/* See redisconn.h. */
struct redisconn *redisconn_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    const struct redisconn_target *to, redisconn_state_fn on_state, void *arg)
{
	struct redisconn *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	if (to->socket != NULL) {
		if ((r->socket = strdup(to->socket)) == NULL) {
			free(r);
			return NULL;
		}
		snprintf(r->where, sizeof(r->where), "%s", to->socket);
	} else {
		r->tcp = to->tcp;
		hostport_format(&r->tcp, r->where, sizeof(r->where));
	}
	r->plain = to->plain;
	r->base = base;
	r->cfg = cfg;
	r->metrics = metrics;
	r->on_state = on_state;
	r->state_arg = arg;
	r->backoff_ms = REDISCONN_BACKOFF_MIN_MS;
	r->retry_ev = evtimer_new(base, redisconn_on_retry, r);
	r->watch_ev = evtimer_new(base, redisconn_on_watch, r);
	if (r->retry_ev == NULL || r->watch_ev == NULL) {
		redisconn_free(r);
		return NULL;
	}
	redisconn_connect(r);
	return r;
}

/* See redisconn.h. */
bool redisconn_is_up(const struct redisconn *r)
{
	return r->up;
}

/* See redisconn.h. */
bool redisconn_unresponsive(const struct redisconn *r)
{
	return !r->up && r->unresponsive;
}

/* See redisconn.h. */
size_t redisconn_pending(const struct redisconn *r)
{
	return r->pending;
}

/* See redisconn.h. */
size_t redisconn_unsent(const struct redisconn *r)
{
	return r->ac != NULL && r->ac->c.obuf != NULL ? sdslen(r->ac->c.obuf) : 0;
}

/* See redisconn.h. */
void redisconn_free(struct redisconn *r)
{
	if (r == NULL)
		return;
	r->closing = true;
	if (r->ac != NULL)
		redisAsyncFree(r->ac);
	if (r->retry_ev != NULL)
		event_free(r->retry_ev);
	if (r->watch_ev != NULL)
		event_free(r->watch_ev);
	free(r->socket);
	free(r);
}
