/* http.c: the small HTTP listener for /metrics, /healthz and /readyz (libevent evhttp). */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

#include "http.h"
#include "log.h"
#include "timestamp.h"

/* The loop is "turning" when its heartbeat timer ran within this long. */
#define HTTP_TICK_MS 1000
#define HTTP_STALL_MS 5000
#define HTTP_TIMEOUT_S 10

struct http {
	struct evhttp *evh;
	struct event *tick;
	struct http_source src;
	int64_t last_tick_ms; /* monotonic */
};

/* Monotonic milliseconds, for the heartbeat. */
static int64_t http_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The heartbeat: proves to /healthz that the loop runs timers. */
static void http_on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;

	(void)fd;
	(void)what;
	h->last_tick_ms = http_mono_ms();
}

/* Sends a reply with a body and a content type. */
static void http_reply(struct evhttp_request *req, int code, const char *reason, const char *type,
    const char *body)
{
	struct evkeyvalq *hdr = evhttp_request_get_output_headers(req);
	struct evbuffer *buf = evbuffer_new();

	evhttp_add_header(hdr, "Content-Type", type);
	evhttp_add_header(hdr, "Cache-Control", "no-store");
	if (buf != NULL)
		evbuffer_add(buf, body, strlen(body));
	evhttp_send_reply(req, code, reason, buf);
	if (buf != NULL)
		evbuffer_free(buf);
}

/* Sends a JSON status object. */
static void http_json(struct evhttp_request *req, bool ok, const char *okstatus, const char *why)
{
	char body[256];

	if (ok)
		snprintf(body, sizeof(body), "{\"status\":\"%s\"}\n", okstatus);
	else
		snprintf(body, sizeof(body), "{\"status\":\"unavailable\",\"reason\":\"%s\"}\n", why);
	http_reply(req, ok ? 200 : 503, ok ? "OK" : "Service Unavailable", "application/json", body);
}

/* GET /metrics. */
static void http_metrics(struct http *h, struct evhttp_request *req)
{
	struct metrics_gauges *g = calloc(1, sizeof(*g));
	char *text = NULL;

	if (g == NULL || h->src.metrics == NULL) {
		free(g);
		http_reply(req, 500, "Internal Server Error", "text/plain", "no metrics\n");
		return;
	}
	g->rss_bytes = metrics_rss_bytes();
	if (h->src.metrics->started_ms > 0)
		g->uptime_seconds = (double)(ts_now_ms() - h->src.metrics->started_ms) / 1000.0;
	g->last_reload_ok = true;
	g->redis_up = h->src.redis_up != NULL && h->src.redis_up(h->src.arg);
	if (h->src.gauges != NULL)
		h->src.gauges(h->src.arg, g);
	if (!metrics_render(h->src.metrics, g, &text)) {
		free(g);
		http_reply(req, 500, "Internal Server Error", "text/plain", "out of memory\n");
		return;
	}
	http_reply(req, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", text);
	free(text);
	free(g);
}

/* GET /healthz: Kafka and Redis reachable, the loop turning. */
static void http_healthz(struct http *h, struct evhttp_request *req)
{
	char why[128] = "";
	bool kafka = h->src.kafka_up != NULL && h->src.kafka_up(h->src.arg);
	bool redis = h->src.redis_up != NULL && h->src.redis_up(h->src.arg);
	/* A hung Redis is told apart from one that refuses or drops connections. */
	bool hung = h->src.redis_unresponsive != NULL && h->src.redis_unresponsive(h->src.arg);
	bool loop = http_mono_ms() - h->last_tick_ms <= HTTP_STALL_MS;

	if (!kafka)
		strcat(why, "kafka down");
	if (!redis && hung)
		strcat(why, *why ? ", redis unresponsive" : "redis unresponsive");
	else if (!redis)
		strcat(why, *why ? ", redis down" : "redis down");
	if (!loop)
		strcat(why, *why ? ", event loop stalled" : "event loop stalled");
	http_json(req, *why == '\0', "ok", why);
}

/*
 * GET /readyz: the consumer group was joined (an assignment, even an empty one, arrived at
 * least once) and Redis is up: with Redis down nothing is committed, so events wait.
 */
static void http_readyz(struct http *h, struct evhttp_request *req)
{
	bool joined = h->src.ready != NULL && h->src.ready(h->src.arg);
	bool redis = h->src.redis_up != NULL && h->src.redis_up(h->src.arg);

	http_json(req, joined && redis, "ready", !joined ? "waiting for partition assignment" : "redis down");
}

/* Every request: route by path, then by method. */
static void http_on_request(struct evhttp_request *req, void *arg)
{
	struct http *h = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri != NULL ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	void (*route)(struct http *, struct evhttp_request *) = NULL;

	if (path == NULL)
		route = NULL;
	else if (strcmp(path, "/metrics") == 0)
		route = http_metrics;
	else if (strcmp(path, "/healthz") == 0)
		route = http_healthz;
	else if (strcmp(path, "/readyz") == 0)
		route = http_readyz;
	if (route == NULL) {
		http_reply(req, 404, "Not Found", "text/plain", "not found; try /metrics, /healthz or /readyz\n");
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, HEAD");
		http_reply(req, 405, "Method Not Allowed", "text/plain", "method not allowed\n");
		return;
	}
	route(h, req);
}

/* Splits "HOST:PORT" or "[V6]:PORT" into host and port (in place); false if malformed. */
static bool http_split(char *s, char **host, char **port)
{
	char *colon;

	if (*s == '[') {
		char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return false;
		*end = '\0';
		*host = s + 1;
		*port = end + 2;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return false;
		*colon = '\0';
		*host = s;
		*port = colon + 1;
	}
	if (**host == '\0' || strcmp(*host, "*") == 0)
		*host = NULL; /* every address */
	return **port != '\0';
}

/* Binds and listens on host:port; the socket, or -1 with a reason in err. */
static evutil_socket_t http_bind(const char *listen_on, char *err, size_t err_size)
{
	struct addrinfo hints, *res = NULL, *ai;
	char *copy = strdup(listen_on), *host, *port;
	evutil_socket_t fd = -1;
	int rc, saved = 0, one = 1;

	if (copy == NULL) {
		snprintf(err, err_size, "http: out of memory");
		return -1;
	}
	if (!http_split(copy, &host, &port)) {
		snprintf(err, err_size, "http: cannot listen on %s: not HOST:PORT", listen_on);
		free(copy);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc != 0) {
		snprintf(err, err_size, "http: cannot listen on %s: %s", listen_on, gai_strerror(rc));
		free(copy);
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
		if (fd < 0) {
			saved = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 64) == 0)
			break;
		saved = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		snprintf(err, err_size, "http: cannot listen on %s: %s", listen_on, strerror(saved));
	freeaddrinfo(res);
	free(copy);
	return fd;
}

/* See http.h. */
struct http *http_start(struct event_base *base, const char *listen_on, const struct http_source *src,
    char *err, size_t err_size)
{
	struct timeval tv = {HTTP_TICK_MS / 1000, (HTTP_TICK_MS % 1000) * 1000};
	struct http *h;
	evutil_socket_t fd;

	if (err_size > 0)
		*err = '\0';
	if (listen_on == NULL)
		return NULL;
	fd = http_bind(listen_on, err, err_size);
	if (fd < 0)
		return NULL;
	h = calloc(1, sizeof(*h));
	if (h == NULL || (h->evh = evhttp_new(base)) == NULL ||
	    (h->tick = event_new(base, -1, EV_PERSIST, http_on_tick, h)) == NULL) {
		snprintf(err, err_size, "http: out of memory");
		close(fd);
		http_stop(h);
		return NULL;
	}
	if (evhttp_accept_socket_with_handle(h->evh, fd) == NULL) {
		snprintf(err, err_size, "http: cannot accept on %s", listen_on);
		close(fd);
		http_stop(h);
		return NULL;
	}
	h->src = *src;
	h->last_tick_ms = http_mono_ms();
	event_add(h->tick, &tv);
	evhttp_set_allowed_methods(h->evh, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
	    EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_timeout(h->evh, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(h->evh, 16384);
	evhttp_set_max_body_size(h->evh, 4096);
	evhttp_set_gencb(h->evh, http_on_request, h);
	log_notice("http: listening on %s (/metrics, /healthz, /readyz)", listen_on);
	return h;
}

/* See http.h. */
void http_stop(struct http *h)
{
	if (h == NULL)
		return;
	if (h->evh != NULL)
		evhttp_free(h->evh);
	if (h->tick != NULL)
		event_free(h->tick);
	free(h);
}
