/* redis.c: one async hiredis connection in the libevent loop, with reconnects and scripts. */
#include "redis.h"

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

#include "log.h"
#include "timestamp.h"

#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 5000
/* Linux's upper bound for TCP_KEEPIDLE and TCP_KEEPINTVL. */
#define REDIS_KEEPALIVE_MAX_S 32767

struct redis {
	struct event_base *base;
	const struct config *cfg;
	struct metrics *metrics;
	redisAsyncContext *ac;
	bool connected;           /* the TCP or socket connect of ac completed */
	bool up;
	uint64_t session;         /* times up became true */
	bool unresponsive;        /* the last loss was a timeout: see redis_unresponsive() */
	bool closing;
	int setup_waiting;        /* setup replies still expected on this connection */
	bool setup_failed;
	int backoff_ms;
	struct event *retry_ev;   /* reconnect after backoff */
	struct event *watch_ev;   /* the reply watchdog, armed while something is awaited */
	struct timespec progress; /* last reply, or when the wait began: see redis_on_watch() */
	size_t pending;
	char sha[SCRIPT_COUNT][41];
	redis_state_fn on_state;
	void *state_arg;
};

/*
 * One command in flight. A script call keeps its formatted EVALSHA command, one buffer,
 * from which the EVAL retry after NOSCRIPT is made by swapping the leading two arguments.
 */
struct redis_request {
	struct redis *r;
	redis_reply_fn fn;
	void *arg;
	int script;               /* enum script, or -1 */
	bool retried;
	bool borrowed;            /* cmd is the caller's (redis_script_send), not freed here */
	int argc;
	char *cmd;                /* RESP text, scripts only */
	size_t len;
	struct timespec sent;
};

static const char *const redis_sources[SCRIPT_COUNT] = {
	[SCRIPT_VIEW_ALERT] = script_src_view_alert,
	[SCRIPT_CHECKPOINT] = script_src_checkpoint,
};

static void redis_connect(struct redis *r);

/* Seconds elapsed since a monotonic timestamp. */
static double redis_elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) + (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Arms the reconnect timer with exponential backoff. */
static void redis_schedule_retry(struct redis *r)
{
	struct timeval tv;

	if (r->closing)
		return;
	tv.tv_sec = r->backoff_ms / 1000;
	tv.tv_usec = (r->backoff_ms % 1000) * 1000;
	evtimer_add(r->retry_ev, &tv);
	r->backoff_ms *= 2;
	if (r->backoff_ms > REDIS_BACKOFF_MAX_MS)
		r->backoff_ms = REDIS_BACKOFF_MAX_MS;
}

/* Reconnect timer. */
static void redis_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	redis_connect(arg);
}

/* See redis.h. */
void redis_where(const struct config *cfg, char *buf, size_t size)
{
	if (cfg->redis_socket != NULL)
		snprintf(buf, size, "%s", cfg->redis_socket);
	else if (strchr(cfg->redis_host, ':') != NULL)
		snprintf(buf, size, "[%s]:%d", cfg->redis_host, cfg->redis_port);
	else
		snprintf(buf, size, "%s:%d", cfg->redis_host, cfg->redis_port);
}

/* Arms the watchdog to look again in ms milliseconds. */
static void redis_watch_in(struct redis *r, int64_t ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	evtimer_add(r->watch_ev, &tv);
}

/*
 * Something is awaited from Redis again: the watchdog measures from now. It fires when
 * the timeout would be reached and looks again only if replies came meanwhile, so it
 * costs about one wake-up per timeout while busy and none on an idle connection.
 */
static void redis_watch(struct redis *r)
{
	clock_gettime(CLOCK_MONOTONIC, &r->progress);
	if (!evtimer_pending(r->watch_ev, NULL))
		redis_watch_in(r, r->cfg->redis_timeout_ms);
}

/* One more command awaits its reply; the first one starts the watchdog's clock. */
static void redis_sent(struct redis *r)
{
	if (r->pending++ == 0)
		redis_watch(r);
}

/*
 * Drops the connection from outside any hiredis callback (the watchdog) and does what
 * redis_on_disconnect does for a lost one: every pending callback gets a NULL reply
 * (so batches are retried), the owner hears !up, and a reconnect is scheduled.
 */
static void redis_drop(struct redis *r, bool timed_out)
{
	redisAsyncContext *ac = r->ac;
	bool was_up = r->up;

	/*
	 * hiredis 0.14's redisAsyncFree fails the pending callbacks and then, if the connect
	 * had completed, calls redis_on_disconnect with REDIS_OK; clearing r->ac first tells
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
	redis_schedule_retry(r);
}

/*
 * The watchdog. Another client's long script does not starve us: Redis answers BUSY
 * once a script has run for busy-reply-threshold (5 s), counted from the script's start.
 * So a connection with commands outstanding and no reply of any kind for [redis] timeout
 * is hung (a stopped server, a dead host, a half-open connection) and is dropped. Progress
 * is the last reply, not each command's age, so a long pipeline that keeps answering
 * never trips it. A connect that gets no answer in that time is given up the same way.
 */
static void redis_on_watch(evutil_socket_t fd, short what, void *arg)
{
	struct redis *r = arg;
	double idle, limit = (double)r->cfg->redis_timeout_ms / 1000.0;
	char where[300];

	(void)fd;
	(void)what;
	if (r->ac == NULL || (r->connected && r->pending == 0))
		return;
	idle = redis_elapsed(&r->progress);
	if (idle < limit) {
		/* A reply came since it was armed: the timeout now ends later. */
		redis_watch_in(r, (int64_t)((limit - idle) * 1000.0) + 1);
		return;
	}
	redis_where(r->cfg, where, sizeof(where));
	if (r->connected) {
		log_limited(LOG_WARNING, "redis-timeout", "redis: no reply for %.1f s from %s; reconnecting",
		    idle, where);
		redis_drop(r, true);
	} else {
		log_limited(LOG_WARNING, "redis-connect", "redis: connect to %s timed out after %.1f s",
		    where, idle);
		redis_drop(r, false);
	}
}

/* Frees a request and its command text, unless that is the caller's. */
static void redis_request_free(struct redis_request *req)
{
	if (!req->borrowed)
		free(req->cmd);
	free(req);
}

/* Sends a script request's command text on the current connection. */
static bool redis_send(struct redis *r, struct redis_request *req);

/* Sends RESP text cmd for req on the current connection; false (req not taken) when it cannot. */
static bool redis_send_text(struct redis *r, struct redis_request *req, const char *cmd, size_t len);

/* The EVALSHA header of a formatted command: "*N", "EVALSHA" and the SHA as RESP. */
static size_t redis_evalsha_header(int argc)
{
	char count[16];

	return (size_t)snprintf(count, sizeof(count), "*%d\r\n", argc) + strlen("$7\r\nEVALSHA\r\n$40\r\n") + 40 + 2;
}

/* Rewrites a script request as EVAL with the script's source, keeping its other arguments. */
static bool redis_request_eval(struct redis_request *req, const char *src)
{
	size_t header = redis_evalsha_header(req->argc), src_len = strlen(src);
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
static void redis_on_reply(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
	struct redis_request *req = privdata;
	struct redis *r = req->r;
	redisReply *reply = reply_ptr;

	(void)ac;
	r->pending--;
	if (reply != NULL) {
		clock_gettime(CLOCK_MONOTONIC, &r->progress);
		metrics_seconds(&r->metrics->redis_latency, redis_elapsed(&req->sent));
	}
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR && req->script >= 0 && !req->retried &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		/* The script cache was flushed (restart, failover, SCRIPT FLUSH): EVAL caches it again. */
		req->retried = true;
		if (redis_request_eval(req, redis_sources[req->script]) && redis_send(r, req))
			return;
		reply = NULL;
	}
	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		r->metrics->redis_errors++;
	if (req->fn != NULL)
		req->fn(req->arg, reply);
	redis_request_free(req);
}

/* See above. */
static bool redis_send_text(struct redis *r, struct redis_request *req, const char *cmd, size_t len)
{
	if (r->ac == NULL)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &req->sent);
	if (redisAsyncFormattedCommand(r->ac, redis_on_reply, req, cmd, len) != REDIS_OK)
		return false;
	redis_sent(r);
	return true;
}

/* See above. */
static bool redis_send(struct redis *r, struct redis_request *req)
{
	return redis_send_text(r, req, req->cmd, req->len);
}

/* A request answered to fn, for a command (a script's sets script); NULL when down or out of memory. */
static struct redis_request *redis_request_new(struct redis *r, redis_reply_fn fn, void *arg)
{
	struct redis_request *req;

	if (!r->up || (req = calloc(1, sizeof(*req))) == NULL)
		return NULL;
	req->r = r;
	req->fn = fn;
	req->arg = arg;
	req->script = -1;
	return req;
}

/* See redis.h. */
bool redis_formatted(struct redis *r, const char *cmd, size_t len, redis_reply_fn fn, void *arg)
{
	struct redis_request *req = redis_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	if (!redis_send_text(r, req, cmd, len)) {
		redis_request_free(req);
		return false;
	}
	return true;
}

/* See redis.h. */
bool redis_command(struct redis *r, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg)
{
	struct redis_request *req = redis_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &req->sent);
	if (redisAsyncCommandArgv(r->ac, redis_on_reply, req, argc, argv, lens) != REDIS_OK) {
		redis_request_free(req);
		return false;
	}
	redis_sent(r);
	return true;
}

/* See redis.h. */
bool redis_script(struct redis *r, enum script s, int argc, const char **argv, const size_t *lens,
    redis_reply_fn fn, void *arg)
{
	/* Keys derived from arguments: these scripts target one Redis primary. */
	return redis_script_keys(r, s, 0, argc, argv, lens, fn, arg);
}

/* Writes n in decimal at p; returns its length. */
static size_t redis_put_num(char *p, size_t n)
{
	char digits[24];
	size_t k = 0;

	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	for (size_t i = 0; i < k; i++)
		p[i] = digits[k - 1 - i];
	return k;
}

/* Writes one RESP bulk string at p ("$len", the bytes, each line ended); returns its length. */
static size_t redis_put_bulk(char *p, const char *s, size_t len)
{
	size_t n = 0;

	p[n++] = '$';
	n += redis_put_num(p + n, len);
	memcpy(p + n, "\r\n", 2);
	memcpy(p + n + 2, s, len);
	memcpy(p + n + 2 + len, "\r\n", 2);
	return n + 4 + len;
}

/* See redis.h. */
char *redis_script_format(const struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, size_t *len)
{
	/* The RESP text as hiredis formats it, written in one pass: a commit's runs to megabytes. */
	const size_t bulk_max = 1 + 20 + 2 + 2; /* "$", the length, two line ends */
	char numkeys[16], *cmd;
	size_t size = 1 + 20 + 2 + 3 * bulk_max + 7 + 40 + sizeof(numkeys), n = 0;

	if (!r->up || nkeys < 0 || nkeys > argc)
		return NULL;
	for (int i = 0; i < argc; i++)
		size += bulk_max + (lens != NULL ? lens[i] : strlen(argv[i]));
	if ((cmd = malloc(size)) == NULL)
		return NULL;
	snprintf(numkeys, sizeof(numkeys), "%d", nkeys);
	cmd[n++] = '*';
	n += redis_put_num(cmd + n, (size_t)argc + 3);
	memcpy(cmd + n, "\r\n", 2);
	n += 2;
	n += redis_put_bulk(cmd + n, "EVALSHA", 7);
	n += redis_put_bulk(cmd + n, r->sha[s], 40);
	n += redis_put_bulk(cmd + n, numkeys, strlen(numkeys));
	for (int i = 0; i < argc; i++)
		n += redis_put_bulk(cmd + n, argv[i], lens != NULL ? lens[i] : strlen(argv[i]));
	*len = n;
	return cmd;
}

/* Sends script s's call cmd (redis_script_format's), owned by the request or borrowed. */
static bool redis_script_call(struct redis *r, enum script s, char *cmd, size_t len, bool borrowed,
    redis_reply_fn fn, void *arg)
{
	struct redis_request *req = redis_request_new(r, fn, arg);

	if (req == NULL)
		return false;
	req->script = (int)s;
	req->argc = atoi(cmd + 1); /* "*<argc>\r\n" */
	req->cmd = cmd;
	req->len = len;
	req->borrowed = borrowed;
	if (!redis_send(r, req)) {
		req->borrowed = true; /* the caller keeps cmd on failure */
		redis_request_free(req);
		return false;
	}
	return true;
}

/* See redis.h. */
bool redis_script_send(struct redis *r, enum script s, const char *cmd, size_t len, redis_reply_fn fn, void *arg)
{
	return redis_script_call(r, s, (char *)cmd, len, true, fn, arg);
}

/* See redis.h. */
bool redis_script_keys(struct redis *r, enum script s, int nkeys, int argc, const char **argv,
    const size_t *lens, redis_reply_fn fn, void *arg)
{
	size_t len;
	char *cmd = redis_script_format(r, s, nkeys, argc, argv, lens, &len);

	if (cmd == NULL)
		return false;
	if (!redis_script_call(r, s, cmd, len, false, fn, arg)) {
		free(cmd);
		return false;
	}
	return true;
}

/* A reply to one of the setup commands (AUTH, SELECT, SCRIPT LOAD) on a new connection. */
static void redis_on_setup(redisAsyncContext *ac, void *reply_ptr, void *privdata)
{
	struct redis *r = ac->data;
	redisReply *reply = reply_ptr;
	intptr_t script = (intptr_t)privdata;
	char where[300];

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
	r->session++;
	r->unresponsive = false;
	r->backoff_ms = REDIS_BACKOFF_MIN_MS;
	redis_where(r->cfg, where, sizeof(where));
	log_notice("redis: connected to %s", where);
	if (r->on_state != NULL)
		r->on_state(r->state_arg, true);
}

/* Sends one setup command; script is the enum script it loads, or -1. */
static void redis_setup_command(struct redis *r, intptr_t script, int argc, const char **argv)
{
	if (redisAsyncCommandArgv(r->ac, redis_on_setup, (void *)script, argc, argv, NULL) == REDIS_OK) {
		redis_sent(r);
		r->setup_waiting++;
	}
}

/* See redis.h. */
void redis_login(const struct config *cfg, struct redis_login *l)
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
static void redis_on_connect(const redisAsyncContext *ac, int status)
{
	struct redis *r = ac->data;
	struct redis_login login;

	if (status != REDIS_OK) {
		log_limited(LOG_WARNING, "redis-connect", "redis: cannot connect: %s", ac->errstr);
		r->ac = NULL; /* hiredis frees the context after a failed connect */
		r->unresponsive = false; /* refused or unreachable: down, not hung */
		redis_schedule_retry(r);
		return;
	}
	/* The setup replies are awaited under the same timeout: a stopped server accepts connects. */
	r->connected = true;
	clock_gettime(CLOCK_MONOTONIC, &r->progress);
	r->setup_failed = false;
	r->setup_waiting = 0;
	redis_login(r->cfg, &login);
	for (int i = 0; i < login.count; i++)
		redis_setup_command(r, -1, login.argc[i], login.argv[i]);
	for (intptr_t s = 0; s < SCRIPT_COUNT; s++)
		redis_setup_command(r, s, 3, (const char *[]){"SCRIPT", "LOAD", redis_sources[s]});
}

/* The connection is gone; hiredis has already failed its pending callbacks. */
static void redis_on_disconnect(const redisAsyncContext *ac, int status)
{
	struct redis *r = ac->data;
	bool was_up = r->up;

	if (ac != r->ac)
		return; /* dropped by redis_drop(), which did the rest */
	r->ac = NULL;
	r->up = false;
	r->connected = false;
	if (r->closing)
		return;
	r->unresponsive = false;
	if (status != REDIS_OK)
		log_limited(LOG_WARNING, "redis-connect", "redis: connection lost: %s", ac->errstr);
	r->metrics->redis_reconnects++;
	if (was_up && r->on_state != NULL)
		r->on_state(r->state_arg, false);
	redis_schedule_retry(r);
}

/*
 * TCP keepalive finds a peer that vanished (host down, a NAT or firewall that forgot the
 * connection) while no command is outstanding, which the watchdog cannot see. Probing after
 * [redis] timeout of silence, three probes a third of it apart, reports such a connection
 * lost about two timeouts after it went quiet, the same order as a hung command, for one
 * empty segment per timeout on an idle connection. (hiredis 0.14's redisKeepAlive() does
 * the same but its header is not installed; redisEnableKeepAlive() fixes 15 s.)
 */
static void redis_keepalive(struct redis *r)
{
	int64_t secs = (r->cfg->redis_timeout_ms + 999) / 1000;
	int fd = r->ac->c.fd, on = 1, idle, interval, count = 3;

	if (secs > REDIS_KEEPALIVE_MAX_S)
		secs = REDIS_KEEPALIVE_MAX_S;
	idle = (int)secs;
	interval = idle / 3 > 0 ? idle / 3 : 1;
	if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0)
		log_warn("redis: cannot enable TCP keepalive: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof(interval));
	setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count));
}

/* Starts one connection attempt. */
static void redis_connect(struct redis *r)
{
	const struct config *cfg = r->cfg;

	if (cfg->redis_socket != NULL)
		r->ac = redisAsyncConnectUnix(cfg->redis_socket);
	else
		r->ac = redisAsyncConnect(cfg->redis_host, cfg->redis_port);
	if (r->ac == NULL || r->ac->err) {
		log_limited(LOG_WARNING, "redis-connect", "redis: cannot connect: %s",
		    r->ac != NULL ? r->ac->errstr : "out of memory");
		if (r->ac != NULL)
			redisAsyncFree(r->ac);
		r->ac = NULL;
		redis_schedule_retry(r);
		return;
	}
	r->ac->data = r;
	r->connected = false;
	if (cfg->redis_socket == NULL)
		redis_keepalive(r);
	redisLibeventAttach(r->ac, r->base);
	redisAsyncSetConnectCallback(r->ac, redis_on_connect);
	redisAsyncSetDisconnectCallback(r->ac, redis_on_disconnect);
	redis_watch(r);
}

/* See redis.h. */
struct redis *redis_new(struct event_base *base, const struct config *cfg, struct metrics *metrics,
    redis_state_fn on_state, void *arg)
{
	struct redis *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->base = base;
	r->cfg = cfg;
	r->metrics = metrics;
	r->on_state = on_state;
	r->state_arg = arg;
	r->backoff_ms = REDIS_BACKOFF_MIN_MS;
	r->retry_ev = evtimer_new(base, redis_on_retry, r);
	r->watch_ev = evtimer_new(base, redis_on_watch, r);
	if (r->retry_ev == NULL || r->watch_ev == NULL) {
		redis_free(r);
		return NULL;
	}
	redis_connect(r);
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
	return !r->up && r->unresponsive;
}

/* See redis.h. */
size_t redis_pending(const struct redis *r)
{
	return r->pending;
}

/* See redis.h. */
size_t redis_unsent(const struct redis *r)
{
	return r->ac != NULL && r->ac->c.obuf != NULL ? sdslen(r->ac->c.obuf) : 0;
}

/* See redis.h. */
void redis_free(struct redis *r)
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
	free(r);
}
