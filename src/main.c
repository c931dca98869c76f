/* main.c: the launcher: reads the configuration, sets each module up in order, runs the loop. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "consumer.h"
#include "dlq.h"
#include "embedded.h"
#include "engine.h"
#include "http.h"
#include "ingest.h"
#include "legacy.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "partitioner.h"
#include "producer.h"
#include "redis.h"
#include "timestamp.h"

#include "build-config.h"

/* How long a graceful stop may wait for Redis to confirm what was consumed. */
#define SHUTDOWN_DRAIN_MS 15000
#define SHUTDOWN_POLL_MS 20
#define SHUTDOWN_FLUSH_MS 10000
/* How often STATUS= is sent to systemd (and readiness re-checked). */
#define STATUS_INTERVAL_MS 5000
/* How often the route topic's set-up is tried again while Kafka does not answer. */
#define MAIN_ROUTE_RETRY_MS 2000

struct daemon {
	struct event_base *base;
	struct config cfg;
	struct metrics metrics;
	struct embedded *embedded;
	const char *brokers;            /* the bootstrap list in use (the embedded one's, or cfg's) */
	struct redis *redis;            /* checkpoints (commits, claims, restores) and dead letters */
	struct redis *views;            /* the contract keys: stats, fb:agents, alerts (engine_new) */
	struct producer *producer;      /* alerts */
	struct producer *dlq_producer;  /* dead letters, each in a request of its own */
	struct producer *route_producer; /* forwarded events and batches between tasks */
	struct dlq *dlq;
	struct engine *engine;
	struct ingest *ingest;
	struct consumer *consumer;
	struct event *signals[3];
	struct event *drain_ev;
	struct event *route_retry_ev;   /* the route topic's set-up, asked again while Kafka is away */
	struct http *http;
	struct event *status_ev;
	bool ready_sent;          /* READY=1 went out (Redis up and the group joined) */
	bool verbose;             /* -v: debug level whatever [log] level says, reloads included */
	uint64_t reloads;         /* SIGHUP reloads attempted */
	bool last_reload_ok;
	uint64_t status_events;   /* events counted at the last STATUS= */
	int64_t status_ms;
	int64_t drain_deadline;
	bool stopping;
	int exit_code;
};

/* The log level in force: -v wins over the file, so a reload does not undo it. */
static int main_log_level(const struct daemon *d)
{
	return d->verbose ? LOG_DEBUG : d->cfg.log_level;
}

/* Prints usage. */
static void main_usage(FILE *out)
{
	fprintf(out,
	    "usage: feedbackd [-v] [-c FILE] [--check-config] [--rebuild] [--version]\n"
	    "  -c, --config FILE   configuration file (default " SYSCONFDIR "/feedbackd/feedbackd.conf)\n"
	    "      --check-config  validate the configuration and exit (0 valid, 1 invalid)\n"
	    "      --rebuild       with every instance stopped: delete the figures in Redis and reset the\n"
	    "                      group's offsets, so the next start rebuilds them from Kafka; then exit\n"
	    "  -v, --verbose       log at debug level\n"
	    "      --version       print the version and exit\n");
}

/* Polls until in-flight work is confirmed (or the wait is over), then leaves the loop. */
static void main_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {0, SHUTDOWN_POLL_MS * 1000};
	bool idle = d->engine == NULL || engine_drain(d->engine);
	size_t forwards = d->ingest != NULL ? ingest_forwarding(d->ingest) : 0;
	size_t letters = d->dlq != NULL ? dlq_pending(d->dlq) : 0;
	size_t replies = (redis_is_up(d->redis) ? redis_pending(d->redis) : 0) +
	    (redis_is_up(d->views) ? redis_pending(d->views) : 0);

	(void)fd;
	(void)what;
	if ((idle && forwards == 0 && letters == 0 && replies == 0) || ts_now_ms() >= d->drain_deadline) {
		if (!idle || forwards || letters)
			log_warn("shutdown: %s, %zu forwards and %zu dead letters unconfirmed; their events are "
			    "read again on the next start, and the outbox keeps what was not delivered",
			    idle ? "the tasks are saved" : "some task changes are not saved", forwards, letters);
		event_base_loopbreak(d->base);
		return;
	}
	evtimer_add(d->drain_ev, &tv);
}

/* Begins a graceful stop: consume nothing more, let Redis confirm what is in flight. */
static void main_stop(struct daemon *d, int exit_code)
{
	if (d->stopping)
		return;
	d->stopping = true;
	notify_stopping();
	notify_status("stopping: waiting for Redis to confirm what is in flight");
	d->exit_code = exit_code;
	if (d->ingest != NULL)
		ingest_stop(d->ingest);
	d->drain_deadline = ts_now_ms() + SHUTDOWN_DRAIN_MS;
	main_on_drain(-1, 0, d);
}

/* A fatal Kafka client error: stop gracefully rather than run broken. */
static void main_on_fatal(void *arg, const char *reason)
{
	log_err("kafka: fatal error: %s; stopping", reason);
	main_stop(arg, 1);
}

/* Keeps a setting that cannot change live: the fresh value is dropped, with a warning if it differs. */
static void main_keep(char **fresh, char **old, const char *name)
{
	if ((*fresh == NULL) != (*old == NULL) || (*fresh != NULL && strcmp(*fresh, *old) != 0))
		log_warn("reload: %s changed; that needs a restart", name);
	free(*fresh);
	*fresh = *old;
	*old = NULL;
}

/* Keeps the subscribed topics and the librdkafka settings, which only a restart can change. */
static void main_keep_topics(struct config *fresh, struct config *old)
{
	struct config swap = *fresh;
	bool same = fresh->topic_count == old->topic_count && fresh->rdkafka_count == old->rdkafka_count;

	for (size_t i = 0; same && i < fresh->topic_count; i++)
		same = strcmp(fresh->topics[i], old->topics[i]) == 0;
	for (size_t i = 0; same && i < fresh->rdkafka_count; i++)
		same = strcmp(fresh->rdkafka[i].name, old->rdkafka[i].name) == 0 &&
		    strcmp(fresh->rdkafka[i].value, old->rdkafka[i].value) == 0;
	if (!same)
		log_warn("reload: topics or rdkafka.* settings changed; that needs a restart");
	/* Swap, so the old struct frees the fresh lists and the running ones stay. */
	memcpy(fresh->topics, old->topics, sizeof(fresh->topics));
	fresh->topic_count = old->topic_count;
	memcpy(fresh->rdkafka, old->rdkafka, sizeof(fresh->rdkafka));
	fresh->rdkafka_count = old->rdkafka_count;
	memcpy(old->topics, swap.topics, sizeof(old->topics));
	old->topic_count = swap.topic_count;
	memcpy(old->rdkafka, swap.rdkafka, sizeof(old->rdkafka));
	old->rdkafka_count = swap.rdkafka_count;
}

/* Re-reads the configuration; what cannot change live is kept and reported. */
static void main_reload(struct daemon *d)
{
	struct config fresh;
	char err[CONFIG_ERROR_SIZE], changes[CONFIG_DIFF_SIZE];
	struct config old = d->cfg;

	log_notice("reloading %s", old.path);
	d->reloads++;
	if (d->ready_sent)
		notify_reloading();
	config_defaults(&fresh);
	if (!config_load(&fresh, old.path, err, sizeof(err))) {
		log_err("reload failed, keeping the running configuration: %s", err);
		config_free(&fresh);
		d->last_reload_ok = false;
		if (d->ready_sent)
			notify_ready(); /* the reload is over, even though it failed */
		return;
	}
	/* Connection settings stay as they are (the clients were built from them); say so if changed. */
	main_keep(&fresh.brokers, &old.brokers, "brokers");
	main_keep(&fresh.group, &old.group, "group");
	main_keep(&fresh.group_instance_id, &old.group_instance_id, "group_instance_id");
	main_keep(&fresh.prefix, &old.prefix, "prefix");
	main_keep(&fresh.redis_host, &old.redis_host, "redis host");
	main_keep(&fresh.redis_socket, &old.redis_socket, "redis socket");
	main_keep(&fresh.redis_user, &old.redis_user, "redis user");
	main_keep(&fresh.redis_password, &old.redis_password, "redis password");
	main_keep(&fresh.dlq_topic, &old.dlq_topic, "dlq_topic");
	main_keep(&fresh.alerts_topic, &old.alerts_topic, "alerts_topic");
	main_keep(&fresh.http_listen, &old.http_listen, "http listen");
	main_keep(&fresh.route_topic, &old.route_topic, "route_topic");
	if (!windows_equal(&fresh.windows, &old.windows) || fresh.tasks != old.tasks ||
	    fresh.partitioner != old.partitioner)
		log_warn("reload: [windows] sizes or [engine] tasks or partitioner changed; that needs a restart");
	fresh.windows = old.windows;
	fresh.tasks = old.tasks;
	fresh.partitioner = old.partitioner;
	main_keep(&fresh.redis_master_name, &old.redis_master_name, "redis master_name");
	if (fresh.redis_port != old.redis_port || fresh.redis_db != old.redis_db ||
	    fresh.redis_mode != old.redis_mode || fresh.redis_agents_shards != old.redis_agents_shards ||
	    memcmp(&fresh.redis_cluster, &old.redis_cluster, sizeof(old.redis_cluster)) != 0 ||
	    memcmp(&fresh.redis_sentinels, &old.redis_sentinels, sizeof(old.redis_sentinels)) != 0)
		log_warn("reload: the redis port, db, mode, cluster, sentinels or agents_shards changed; that needs a "
		    "restart");
	fresh.redis_port = old.redis_port;
	fresh.redis_db = old.redis_db;
	fresh.redis_mode = old.redis_mode;
	fresh.redis_agents_shards = old.redis_agents_shards;
	fresh.redis_cluster = old.redis_cluster;
	fresh.redis_sentinels = old.redis_sentinels;
	main_keep_topics(&fresh, &old);
	config_diff(&old, &fresh, changes, sizeof(changes));
	d->cfg = fresh;
	config_free(&old);
	log_set_level(main_log_level(d));
	if (d->engine != NULL)
		engine_reconfigure(d->engine);
	log_notice("reload complete: %s", changes);
	d->last_reload_ok = true;
	if (d->ready_sent)
		notify_ready();
}

/* Signals arrive here through libevent, never in a raw handler. */
static void main_on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	(void)what;
	if (sig == SIGHUP) {
		main_reload(d);
		return;
	}
	log_notice("received %s, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	main_stop(d, 0);
}

static void main_check_ready(struct daemon *d);

/* Redis connected or lost: the modules that care are told. */
static void main_on_redis(void *arg, bool up)
{
	struct daemon *d = arg;

	if (d->ingest != NULL)
		ingest_redis_state(d->ingest, up);
	if (up)
		main_check_ready(d);
}

/* The views' connection connected or lost: views wait while it is down, and go when it is back. */
static void main_on_views(void *arg, bool up)
{
	struct daemon *d = arg;

	if (up && d->engine != NULL)
		engine_views_up(d->engine);
	if (up)
		main_check_ready(d);
}

/* Redis counts as up when both connections are: the one for commits and the one for views. */
static bool main_redis_both_up(const struct daemon *d)
{
	return redis_is_up(d->redis) && redis_is_up(d->views);
}

/*
 * READY=1 once, when Redis is up and the group was joined. The join may give no
 * partitions (more instances than partitions): such a standby is ready all the same.
 */
static void main_check_ready(struct daemon *d)
{
	if (d->ready_sent || d->stopping || !main_redis_both_up(d) || d->consumer == NULL ||
	    !consumer_joined(d->consumer))
		return;
	d->ready_sent = true;
	notify_ready();
	log_notice("ready: Redis is up and the group is joined, %d partitions assigned",
	    consumer_assigned(d->consumer));
}

/* The consumer's callbacks go to ingest; main also watches the assignment. */
static void main_on_messages(void *arg, rd_kafka_message_t **msgs, size_t count)
{
	struct daemon *d = arg;

	ingest_messages(d->ingest, msgs, count);
}

static void main_on_assigned(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct daemon *d = arg;

	ingest_assigned(d->ingest, parts);
	main_check_ready(d);
}

static void main_on_revoking(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct daemon *d = arg;

	ingest_revoking(d->ingest, parts);
}

static bool main_on_letting_go(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct daemon *d = arg;

	return ingest_letting_go(d->ingest, parts);
}

static void main_on_revoked(void *arg, const rd_kafka_topic_partition_list_t *parts)
{
	struct daemon *d = arg;

	ingest_revoked(d->ingest, parts);
}

/* http_source: the live values for /metrics. */
static void main_gauges(void *arg, struct metrics_gauges *g)
{
	struct daemon *d = arg;
	const char *stats = d->consumer != NULL ? consumer_statistics(d->consumer) : NULL;
	int brokers_up;

	if (stats != NULL)
		metrics_kafka_stats(stats, g, &brokers_up);
	g->reloads = d->reloads;
	g->last_reload_ok = d->reloads == 0 || d->last_reload_ok;
	g->redis_up = main_redis_both_up(d);
	if (d->consumer != NULL)
		g->kafka_assigned = consumer_assigned(d->consumer);
	if (d->engine != NULL)
		engine_gauges(d->engine, &g->tasks, &g->agents, &g->open_clocks, &g->overdue_clocks, &g->event_ids);
}

/* http_source: Redis connected and scripts loaded, on both connections. */
static bool main_redis_up(void *arg)
{
	return main_redis_both_up(arg);
}

/* http_source: Redis is down because it stopped answering (a timeout), not refused, on either connection. */
static bool main_redis_unresponsive(void *arg)
{
	struct daemon *d = arg;

	return redis_unresponsive(d->redis) || redis_unresponsive(d->views);
}

/* http_source: some broker connected (from librdkafka statistics; before the first, the join). */
static bool main_kafka_up(void *arg)
{
	static struct metrics_gauges scratch; /* large; the loop is single-threaded */
	struct daemon *d = arg;
	const char *stats = d->consumer != NULL ? consumer_statistics(d->consumer) : NULL;
	int brokers_up = 0;

	if (stats == NULL || !metrics_kafka_stats(stats, &scratch, &brokers_up))
		return d->consumer != NULL && consumer_joined(d->consumer);
	return brokers_up > 0;
}

/* http_source: the group was joined at least once (with or without partitions). */
static bool main_ready(void *arg)
{
	struct daemon *d = arg;

	return d->consumer != NULL && consumer_joined(d->consumer);
}

/* Every few seconds: STATUS= for systemctl status (events/s, lag, open clocks). */
static void main_on_status(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct metrics_gauges *g = calloc(1, sizeof(*g));
	uint64_t events = d->metrics.dead_lettered;
	int64_t now = ts_now_ms(), lag = 0;

	(void)fd;
	(void)what;
	/* A burst of rate-limited lines that stopped gets its count written here. */
	log_flush_suppressed(log_clock_ms());
	main_check_ready(d);
	if (g == NULL || d->stopping) {
		free(g);
		return;
	}
	for (int r = 0; r < RESULT_COUNT; r++)
		events += d->metrics.events_by_result[r];
	main_gauges(d, g);
	for (size_t i = 0; i < g->lag_count; i++)
		if (g->lag[i].lag > 0)
			lag += g->lag[i].lag;
	if (!d->ready_sent)
		notify_status("starting: %s, %d partitions assigned", g->redis_up ? "Redis up" : "waiting for Redis",
		    g->kafka_assigned);
	else
		notify_status("%.1f events/s, lag %lld, %lld open clocks (%lld overdue)%s",
		    now > d->status_ms ? (double)(events - d->status_events) * 1000.0 / (double)(now - d->status_ms) : 0.0,
		    (long long)lag, (long long)g->open_clocks, (long long)g->overdue_clocks,
		    g->redis_up ? "" : ", Redis down");
	d->status_events = events;
	d->status_ms = now;
	free(g);
}

/* Logs why a client was not built; its constructors leave err empty when only memory ran out. */
static void main_setup_failed(const char *what, const char *err);

static void main_on_route(void *arg, int partitions, const char *why);
static void main_on_tasks(void *arg, int partitions, const char *why);

/* Settles the route topic: its partition count, then the topic itself (created when missing). */
static void main_route_setup(struct daemon *d)
{
	if (d->cfg.tasks > 0)
		producer_ensure_topic(d->route_producer, d->cfg.route_topic, d->cfg.tasks, main_on_route, d);
	else
		producer_partition_count(d->route_producer, d->cfg.topics[0], main_on_tasks, d);
}

/* Kafka did not answer about the topics yet: say so now and then, and ask again. */
static void main_route_later(struct daemon *d, const char *what, const char *why)
{
	struct timeval tv = {MAIN_ROUTE_RETRY_MS / 1000, (MAIN_ROUTE_RETRY_MS % 1000) * 1000};

	log_limited(LOG_WARNING, "route-setup", "kafka: %s: %s; asking again every %d s", what,
	    why != NULL ? why : "no answer", MAIN_ROUTE_RETRY_MS / 1000);
	evtimer_add(d->route_retry_ev, &tv);
}

/* The retry timer of the route topic's set-up. */
static void main_on_route_retry(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)what;
	if (!d->stopping)
		main_route_setup(d);
}

/*
 * 8. The route topic exists with cfg.tasks partitions: the pipeline is built, the tasks
 * (engine), what feeds them (ingest, dlq), then the consumer that joins the group.
 */
static void main_on_route(void *arg, int partitions, const char *why)
{
	static const struct consumer_handler handler_template = {
	    main_on_messages, main_on_assigned, main_on_revoking, main_on_letting_go, main_on_revoked, main_on_fatal,
	    NULL};
	struct consumer_handler handler = handler_template;
	struct engine_handler tasks = {ingest_done, ingest_settled, ingest_task_ready, ingest_task_lost, NULL};
	struct daemon *d = arg;
	char err[512] = "";

	if (d->stopping)
		return;
	if (partitions < 0) {
		main_route_later(d, d->cfg.route_topic, why);
		return;
	}
	if (partitions != d->cfg.tasks) {
		log_err("kafka: route topic %s has %d partitions, but [engine] tasks is %d: the tasks are "
		    "its partitions, so set tasks = %d (or delete the topic while no instance runs)",
		    d->cfg.route_topic, partitions, d->cfg.tasks, partitions);
		main_stop(d, 1);
		return;
	}
	d->ingest = ingest_new(&d->cfg, &d->metrics, d->route_producer, main_on_fatal, d);
	if (d->ingest == NULL)
		goto fail;
	tasks.arg = d->ingest;
	d->engine = engine_new(d->base, &d->cfg, &d->metrics, d->redis, d->views, d->route_producer, d->producer,
	    &tasks);
	d->dlq = dlq_new(d->base, &d->cfg, d->dlq_producer, d->redis, &d->metrics, ingest_dead_lettered, d->ingest);
	if (d->engine == NULL || d->dlq == NULL)
		goto fail;
	handler.arg = d;
	d->consumer = consumer_new(d->base, &d->cfg, d->brokers, true, &handler, err, sizeof(err));
	if (d->consumer == NULL)
		goto fail;
	ingest_attach(d->ingest, d->consumer, d->dlq, d->engine);
	ingest_redis_state(d->ingest, redis_is_up(d->redis));
	log_info("engine: %d tasks on %s (partitioner %s)", d->cfg.tasks, d->cfg.route_topic,
	    partitioner_name(d->cfg.partitioner));
	return;
fail:
	main_setup_failed("pipeline", err);
	main_stop(d, 1);
}

/* [engine] tasks = 0: the first input topic's partition count is known; the route topic is next. */
static void main_on_tasks(void *arg, int partitions, const char *why)
{
	struct daemon *d = arg;

	if (partitions <= 0) {
		main_route_later(d, d->cfg.topics[0], why);
		return;
	}
	d->cfg.tasks = partitions;
	producer_ensure_topic(d->route_producer, d->cfg.route_topic, d->cfg.tasks, main_on_route, d);
}

static void main_setup_failed(const char *what, const char *err)
{
	log_err("%s: %s", what, *err != '\0' ? err : "out of memory");
}

/* Builds every module in dependency order; false with a logged reason on failure. */
static bool main_setup(struct daemon *d)
{
	const char *brokers = d->cfg.brokers;
	char err[512] = "";
	static const int signals[3] = {SIGTERM, SIGINT, SIGHUP};

	d->metrics.started_ms = ts_now_ms();
	/* 1. The loop, with libevent's own warnings in our log. */
	log_route_libevent();
	d->base = event_base_new();
	if (d->base == NULL)
		return false;
	/* WATCHDOG=1 from the loop itself, when systemd asks for it (WatchdogSec=). */
	notify_watchdog_setup(d->base);
	notify_status("starting");
	/* 2. The embedded Kafka, when asked for, so the clients below can reach it. */
	if (strcmp(brokers, "embedded") == 0) {
		d->embedded = embedded_start(&d->cfg, err, sizeof(err));
		if (d->embedded == NULL) {
			log_err("%s", err);
			return false;
		}
		brokers = embedded_bootstrap(d->embedded);
	}
	d->brokers = brokers;
	/*
	 * 3. Redis: refused while it holds the previous release's state (legacy.h), which would
	 * be mixed with new figures; then it connects in the background and reconnects by
	 * itself (so only memory can fail here). Two connections: the contract keys' writes,
	 * many and large, go on their own, so the checkpoint commits never queue behind them.
	 */
	notify_status("starting: looking for the previous release's keys in Redis");
	if (!legacy_check(&d->cfg))
		return false;
	d->redis = redis_new(d->base, &d->cfg, &d->metrics, main_on_redis, d);
	d->views = d->redis != NULL ? redis_new(d->base, &d->cfg, &d->metrics, main_on_views, d) : NULL;
	if (d->views == NULL) {
		main_setup_failed("redis", "");
		return false;
	}
	/* 4. The producers for alerts, dead letters and the route topic, before anything can produce. */
	d->producer = producer_new(d->base, &d->cfg, brokers, PRODUCER_ALERTS, main_on_fatal, d, err, sizeof(err));
	if (d->producer == NULL) {
		main_setup_failed("kafka producer", err);
		return false;
	}
	d->dlq_producer = producer_new(d->base, &d->cfg, brokers, PRODUCER_DEAD_LETTERS, main_on_fatal, d, err,
	    sizeof(err));
	if (d->dlq_producer == NULL) {
		main_setup_failed("kafka dead-letter producer", err);
		return false;
	}
	d->route_producer = producer_new(d->base, &d->cfg, brokers, PRODUCER_ROUTE, main_on_fatal, d, err,
	    sizeof(err));
	if (d->route_producer == NULL) {
		main_setup_failed("kafka route producer", err);
		return false;
	}
	/* 5. The HTTP endpoint (/metrics, /healthz, /readyz) and STATUS= updates. */
	if (d->cfg.http_listen != NULL) {
		struct http_source src = {main_gauges, main_redis_up, main_redis_unresponsive, main_kafka_up, main_ready,
		    &d->metrics, d};

		d->http = http_start(d->base, d->cfg.http_listen, &src, err, sizeof(err));
		if (d->http == NULL) {
			log_err("%s", err);
			return false;
		}
	}
	{
		struct timeval tv = {STATUS_INTERVAL_MS / 1000, (STATUS_INTERVAL_MS % 1000) * 1000};

		d->status_ms = ts_now_ms();
		d->status_ev = event_new(d->base, -1, EV_PERSIST, main_on_status, d);
		if (d->status_ev == NULL || event_add(d->status_ev, &tv) != 0)
			return false;
	}
	/* 6. The route topic, whose partitions are the tasks: main_on_route goes on from there (step 8). */
	d->route_retry_ev = evtimer_new(d->base, main_on_route_retry, d);
	if (d->route_retry_ev == NULL)
		return false;
	main_route_setup(d);
	/* 7. Signals: a stop can begin from here on. */
	for (int i = 0; i < 3; i++) {
		d->signals[i] = evsignal_new(d->base, signals[i], main_on_signal, d);
		evsignal_add(d->signals[i], NULL);
	}
	d->drain_ev = evtimer_new(d->base, main_on_drain, d);
	return d->drain_ev != NULL;
}

/* Closes everything in reverse order: offsets committed, alerts flushed, then freed. */
static void main_teardown(struct daemon *d)
{
	int64_t flush_until;

	http_stop(d->http);
	if (d->status_ev != NULL)
		event_free(d->status_ev);
	notify_watchdog_stop();
	if (d->consumer != NULL)
		consumer_close(d->consumer);
	flush_until = ts_now_ms() + SHUTDOWN_FLUSH_MS;
	/* The producers share one flush deadline, so a stop stays within the unit's TimeoutStopSec. */
	if (d->route_producer != NULL)
		producer_flush(d->route_producer, SHUTDOWN_FLUSH_MS);
	if (d->producer != NULL)
		producer_flush(d->producer, (int)(flush_until > ts_now_ms() ? flush_until - ts_now_ms() : 0));
	if (d->dlq_producer != NULL)
		producer_flush(d->dlq_producer, (int)(flush_until > ts_now_ms() ? flush_until - ts_now_ms() : 0));
	for (int i = 0; i < 3; i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	if (d->route_retry_ev != NULL)
		event_free(d->route_retry_ev);
	/* These fail their pending callbacks, which reach into every module below (the consumer too). */
	redis_free(d->redis);
	redis_free(d->views);
	producer_free(d->producer);
	producer_free(d->dlq_producer);
	producer_free(d->route_producer);
	engine_free(d->engine);
	ingest_free(d->ingest);
	dlq_free(d->dlq);
	/* Closed above; freed once nothing that stores offsets in it is left. */
	consumer_free(d->consumer);
	embedded_stop(d->embedded);
	if (d->base != NULL)
		event_base_free(d->base);
	config_free(&d->cfg);
}

/* Entry point. */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"check-config", no_argument, NULL, 'C'},
	    {"rebuild", no_argument, NULL, 'R'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *path = SYSCONFDIR "/feedbackd/feedbackd.conf";
	bool check = false, rebuild = false, verbose = false;
	struct daemon d;
	char err[CONFIG_ERROR_SIZE];
	int opt;

	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'R': rebuild = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("feedbackd %s\n", PACKAGE_VERSION); return 0;
		case 'h': main_usage(stdout); return 0;
		default: main_usage(stderr); return 2;
		}
	}
	memset(&d, 0, sizeof(d));
	d.verbose = verbose;
	config_defaults(&d.cfg);
	if (!config_load(&d.cfg, path, err, sizeof(err))) {
		fprintf(stderr, "feedbackd: %s\n", err);
		config_free(&d.cfg);
		return 1;
	}
	if (check) {
		printf("%s: configuration is valid\n", path);
		config_free(&d.cfg);
		return 0;
	}
	/* journald sets JOURNAL_STREAM for the services whose stderr it reads. */
	log_setup(main_log_level(&d), getenv("JOURNAL_STREAM") != NULL);
	signal(SIGPIPE, SIG_IGN);
	/* librdkafka's threads would each get a glibc arena: tens of MB of RSS for nothing. */
	mallopt(M_ARENA_MAX, 2);
	/*
	 * A checkpoint commit is a ~1 MB command, built once and copied once more into hiredis's
	 * output buffer, several times a second a task; fetched batches and replies are as big.
	 * Mapped (above a fixed 128 KB threshold, until 2026-12), each such block came back as fresh pages,
	 * each faulted in and zeroed: 230,000 faults and ~0.5 us of system CPU per event in benchmark
	 * 1. Taken from the heap and kept there (up to 8 MB free at its top), they are reused:
	 * 78,000-84,000 faults, for ~20 MB more peak RSS (bench/README.md, "Where the rest of the gap is").
	 */
	mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 8 * 1024 * 1024);
	if (rebuild) {
		int rc = legacy_rebuild(&d.cfg);

		config_free(&d.cfg);
		return rc;
	}
	log_notice("feedbackd %s starting with %s", PACKAGE_VERSION, path);
	if (main_setup(&d)) {
		event_base_dispatch(d.base);
	} else {
		d.exit_code = 1;
	}
	main_teardown(&d);
	/* Counts of rate-limited lines still in their 10 s are written rather than lost. */
	log_flush_suppressed(INT64_MAX);
	log_notice("feedbackd stopped");
	return d.exit_code;
}
