/* main.c: the launcher: reads the configuration, sets each module up in order, runs the loop. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "agentstats.h"
#include "alertpub.h"
#include "config.h"
#include "consumer.h"
#include "dlq.h"
#include "duewatch.h"
#include "embedded.h"
#include "ingest.h"
#include "log.h"
#include "metrics.h"
#include "producer.h"
#include "redis.h"
#include "refresh.h"
#include "timestamp.h"

#include "build-config.h"

/* How long a graceful stop may wait for Redis to confirm what was consumed. */
#define SHUTDOWN_DRAIN_MS 15000
#define SHUTDOWN_POLL_MS 20
#define SHUTDOWN_FLUSH_MS 10000

struct daemon {
	struct event_base *base;
	struct config cfg;
	struct metrics metrics;
	struct embedded *embedded;
	struct redis *redis;
	struct producer *producer;
	struct dlq *dlq;
	struct agentstats *stats;
	struct ingest *ingest;
	struct consumer *consumer;
	struct refresh *refresh;
	struct alertpub *alertpub;
	struct duewatch *duewatch;
	struct event *signals[3];
	struct event *drain_ev;
	int64_t drain_deadline;
	bool stopping;
	int exit_code;
};

/* Prints usage. */
static void main_usage(FILE *out)
{
	fprintf(out,
	    "usage: feedbackd [-v] [-c FILE] [--check-config] [--version]\n"
	    "  -c, --config FILE   configuration file (default " SYSCONFDIR "/feedbackd/feedbackd.conf)\n"
	    "      --check-config  validate the configuration and exit (0 valid, 1 invalid)\n"
	    "  -v, --verbose       log at debug level\n"
	    "      --version       print the version and exit\n");
}

/* Polls until in-flight work is confirmed (or the wait is over), then leaves the loop. */
static void main_on_drain(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct timeval tv = {0, SHUTDOWN_POLL_MS * 1000};
	size_t batches = ingest_queued(d->ingest), letters = dlq_pending(d->dlq);
	size_t alerts = alertpub_pending(d->alertpub);

	(void)fd;
	(void)what;
	if ((batches == 0 && letters == 0 && alerts == 0) || ts_now_ms() >= d->drain_deadline) {
		if (batches || letters || alerts)
			log_warn("shutdown: %zu batches, %zu dead letters and %zu alerts unconfirmed; batches and "
			    "dead letters are re-read on the next start, alerts stay in the outbox", batches, letters,
			    alerts);
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
	d->exit_code = exit_code;
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

/* Re-reads the configuration; what cannot change live is kept and reported. */
static void main_reload(struct daemon *d)
{
	struct config fresh;
	char err[CONFIG_ERROR_SIZE];
	struct config old = d->cfg;

	log_notice("reloading %s", old.path);
	config_defaults(&fresh);
	if (!config_load(&fresh, old.path, err, sizeof(err))) {
		log_err("reload failed, keeping the running configuration: %s", err);
		config_free(&fresh);
		return;
	}
#define KEEP(field)                                                            \
	do {                                                                       \
		if ((fresh.field == NULL) != (old.field == NULL) ||                    \
		    (fresh.field != NULL && strcmp(fresh.field, old.field) != 0))      \
			log_warn("reload: " #field " changed; it needs a restart");        \
	} while (0)
	KEEP(brokers);
	KEEP(group);
	KEEP(redis_host);
	KEEP(redis_socket);
	KEEP(prefix);
#undef KEEP
	/* Connection settings stay as they are; the modules hold pointers into them. */
	fresh.brokers = old.brokers, old.brokers = NULL;
	fresh.group = old.group, old.group = NULL;
	fresh.prefix = old.prefix, old.prefix = NULL;
	fresh.redis_host = old.redis_host, old.redis_host = NULL;
	fresh.redis_socket = old.redis_socket, old.redis_socket = NULL;
	fresh.redis_user = old.redis_user, old.redis_user = NULL;
	fresh.redis_password = old.redis_password, old.redis_password = NULL;
	fresh.redis_port = old.redis_port;
	fresh.redis_db = old.redis_db;
	fresh.dlq_topic = old.dlq_topic, old.dlq_topic = NULL;
	fresh.alerts_topic = old.alerts_topic, old.alerts_topic = NULL;
	d->cfg = fresh;
	config_free(&old);
	log_set_level(d->cfg.log_level);
	ingest_reconfigure(d->ingest);
	refresh_reconfigure(d->refresh);
	duewatch_reconfigure(d->duewatch);
	refresh_run(d->refresh, true);
	log_notice("reload complete");
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

/* Redis connected or lost: the modules that care are told. */
static void main_on_redis(void *arg, bool up)
{
	struct daemon *d = arg;

	ingest_redis_state(d->ingest, up);
	if (up) {
		/* Deadlines that passed while Redis (or this daemon) was away fire now. */
		refresh_run(d->refresh, true);
		duewatch_check(d->duewatch);
		alertpub_redrive(d->alertpub);
	}
}

/* An applied batch recorded alerts. */
static void main_on_outbox(void *arg, const redisReply *entries)
{
	struct daemon *d = arg;

	alertpub_outbox(d->alertpub, entries);
}

/* An applied batch started a reply clock. */
static void main_on_next_due(void *arg, int64_t due_ms)
{
	struct daemon *d = arg;

	duewatch_expect(d->duewatch, due_ms);
}

/* Builds every module in dependency order; false with a logged reason on failure. */
static bool main_setup(struct daemon *d)
{
	static const struct consumer_handler handler_template = {
	    ingest_messages, ingest_assigned, ingest_revoked, main_on_fatal, NULL};
	struct consumer_handler handler = handler_template;
	struct ingest_effects effects = {main_on_outbox, main_on_next_due, NULL};
	const char *brokers = d->cfg.brokers;
	char err[512];
	static const int signals[3] = {SIGTERM, SIGINT, SIGHUP};

	d->metrics.started_ms = ts_now_ms();
	/* 1. The loop, with libevent's own warnings in our log. */
	log_route_libevent();
	d->base = event_base_new();
	if (d->base == NULL)
		return false;
	/* 2. The embedded Kafka, when asked for, so the clients below can reach it. */
	if (strcmp(brokers, "embedded") == 0) {
		d->embedded = embedded_start(&d->cfg, err, sizeof(err));
		if (d->embedded == NULL) {
			log_err("%s", err);
			return false;
		}
		brokers = embedded_bootstrap(d->embedded);
	}
	/* 3. Redis: connects in the background and reconnects by itself. */
	d->redis = redis_new(d->base, &d->cfg, &d->metrics, main_on_redis, d);
	/* 4. The producer for dead letters and alerts, before anything can produce. */
	d->producer = producer_new(d->base, &d->cfg, brokers, main_on_fatal, d, err, sizeof(err));
	if (d->redis == NULL || d->producer == NULL) {
		log_err("kafka producer: %s", err);
		return false;
	}
	/* 5. The pipeline from message to Redis, then the consumer that feeds it. */
	d->stats = agentstats_new(&d->cfg, d->redis, &d->metrics);
	d->ingest = ingest_new(d->base, &d->cfg, &d->metrics, d->redis, d->stats);
	d->dlq = dlq_new(d->base, &d->cfg, d->producer, &d->metrics, ingest_dead_lettered, d->ingest);
	if (d->stats == NULL || d->ingest == NULL || d->dlq == NULL)
		return false;
	handler.arg = d->ingest;
	d->consumer = consumer_new(d->base, &d->cfg, brokers, &handler, err, sizeof(err));
	if (d->consumer == NULL) {
		log_err("kafka consumer: %s", err);
		return false;
	}
	/* 6. Alerts: the outbox publisher and the deadline timer that feeds it. */
	d->alertpub = alertpub_new(d->base, &d->cfg, d->redis, d->producer, &d->metrics);
	d->duewatch = duewatch_new(d->base, &d->cfg, d->redis, d->stats, d->alertpub, &d->metrics);
	if (d->alertpub == NULL || d->duewatch == NULL)
		return false;
	effects.arg = d;
	ingest_attach(d->ingest, d->consumer, d->dlq, &effects);
	/* 7. The periodic refresh that keeps idle windows sliding. */
	d->refresh = refresh_new(d->base, &d->cfg, d->redis, d->stats);
	/* 8. Signals last: a stop can only begin once there is something to stop. */
	for (int i = 0; i < 3; i++) {
		d->signals[i] = evsignal_new(d->base, signals[i], main_on_signal, d);
		evsignal_add(d->signals[i], NULL);
	}
	d->drain_ev = evtimer_new(d->base, main_on_drain, d);
	return d->refresh != NULL && d->drain_ev != NULL;
}

/* Closes everything in reverse order: offsets committed, alerts flushed, then freed. */
static void main_teardown(struct daemon *d)
{
	if (d->consumer != NULL)
		consumer_close(d->consumer);
	if (d->producer != NULL)
		producer_flush(d->producer, SHUTDOWN_FLUSH_MS);
	for (int i = 0; i < 3; i++)
		if (d->signals[i] != NULL)
			event_free(d->signals[i]);
	if (d->drain_ev != NULL)
		event_free(d->drain_ev);
	refresh_free(d->refresh);
	duewatch_free(d->duewatch);
	consumer_free(d->consumer);
	redis_free(d->redis); /* fails pending callbacks, so before the modules they call */
	producer_free(d->producer); /* likewise for delivery reports */
	ingest_free(d->ingest);
	alertpub_free(d->alertpub);
	dlq_free(d->dlq);
	agentstats_free(d->stats);
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
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	const char *path = SYSCONFDIR "/feedbackd/feedbackd.conf";
	bool check = false, verbose = false;
	struct daemon d;
	char err[CONFIG_ERROR_SIZE];
	int opt;

	while ((opt = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c': path = optarg; break;
		case 'C': check = true; break;
		case 'v': verbose = true; break;
		case 'V': printf("feedbackd %s\n", PACKAGE_VERSION); return 0;
		case 'h': main_usage(stdout); return 0;
		default: main_usage(stderr); return 2;
		}
	}
	memset(&d, 0, sizeof(d));
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
	log_setup(verbose ? LOG_DEBUG : d.cfg.log_level, getenv("JOURNAL_STREAM") != NULL);
	signal(SIGPIPE, SIG_IGN);
	log_notice("feedbackd %s starting with %s", PACKAGE_VERSION, path);
	if (main_setup(&d)) {
		event_base_dispatch(d.base);
	} else {
		d.exit_code = 1;
	}
	main_teardown(&d);
	log_notice("feedbackd stopped");
	return d.exit_code;
}
