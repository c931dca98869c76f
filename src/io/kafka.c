/* kafka.c: what the consumer and the producer share: configuration, logs, loop wiring. */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/* Log lines written per wake-up before the loop regains control. */
#define KAFKA_LOG_LINES_PER_WAKEUP 100

/* See kafka.h. */
bool kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value, char *err, size_t err_size)
{
	char why[256];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) != RD_KAFKA_CONF_OK) {
		snprintf(err, err_size, "rdkafka.%s: %s", name, why);
		return false;
	}
	return true;
}

/* See kafka.h. */
bool kafka_conf_default(rd_kafka_conf_t *conf, const struct config *cfg, const char *name, const char *value,
    char *err, size_t err_size)
{
	for (size_t i = 0; i < cfg->rdkafka_count; i++)
		if (strcmp(cfg->rdkafka[i].name, name) == 0)
			return true;
	return kafka_conf_set(conf, name, value, err, err_size);
}

/* See kafka.h. */
rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, const char *brokers, char *err, size_t err_size)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	bool ok;

	ok = kafka_conf_set(conf, "bootstrap.servers", brokers, err, err_size) &&
	    kafka_conf_set(conf, "log.queue", "true", err, err_size) &&
	    kafka_conf_set(conf, "client.id", "feedbackd", err, err_size);
	for (size_t i = 0; ok && i < cfg->rdkafka_count; i++)
		ok = kafka_conf_set(conf, cfg->rdkafka[i].name, cfg->rdkafka[i].value, err, err_size);
	if (!ok) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	return conf;
}

/* See kafka.h. */
bool kafka_conf_group(rd_kafka_conf_t *conf, const struct config *cfg, char *err, size_t err_size)
{
	return kafka_conf_set(conf, "group.id", cfg->group, err, err_size) &&
	    (cfg->group_instance_id == NULL ||
	    kafka_conf_set(conf, "group.instance.id", cfg->group_instance_id, err, err_size));
}

/* See kafka.h. */
bool kafka_watch_start(struct kafka_watch *w, struct event_base *base, rd_kafka_queue_t *q,
    event_callback_fn cb, void *arg)
{
	if (pipe2(w->fds, O_NONBLOCK | O_CLOEXEC) != 0) {
		log_err("kafka: pipe: %s", strerror(errno));
		return false;
	}
	w->ev = event_new(base, w->fds[0], EV_READ | EV_PERSIST, cb, arg);
	if (w->ev == NULL || event_add(w->ev, NULL) != 0)
		return false;
	rd_kafka_queue_io_event_enable(q, w->fds[1], "1", 1);
	/* The pipe is written only when q goes from empty to non-empty: serve what is already there. */
	event_active(w->ev, EV_READ, 0);
	return true;
}

/* See kafka.h. */
void kafka_watch_drain(struct kafka_watch *w)
{
	char buf[256];

	while (read(w->fds[0], buf, sizeof(buf)) > 0)
		;
}

/* See kafka.h. */
void kafka_watch_kick(struct kafka_watch *w)
{
	event_active(w->ev, EV_READ, 0);
}

/* See kafka.h. */
void kafka_watch_stop(struct kafka_watch *w, rd_kafka_queue_t *q)
{
	if (w->ev == NULL)
		return;
	rd_kafka_queue_io_event_enable(q, -1, NULL, 0);
	event_free(w->ev);
	w->ev = NULL;
	close(w->fds[0]);
	close(w->fds[1]);
}

/* Writes up to max queued log lines; true when the queue may hold more. */
static bool kafka_log_serve(struct kafka_log *l, int max)
{
	rd_kafka_event_t *ev;
	int n = 0;

	while (n < max && (ev = rd_kafka_queue_poll(l->queue, 0)) != NULL) {
		const char *fac, *line;
		int level;

		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_LOG && rd_kafka_event_log(ev, &fac, &line, &level) == 0)
			log_msg(level, "rdkafka %s: %s: %s", rd_kafka_name(l->rk), fac, line);
		rd_kafka_event_destroy(ev);
		n++;
	}
	return n == max;
}

/* The log queue became non-empty. */
static void kafka_log_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct kafka_log *l = arg;

	(void)fd;
	(void)what;
	kafka_watch_drain(&l->watch);
	if (kafka_log_serve(l, KAFKA_LOG_LINES_PER_WAKEUP))
		kafka_watch_kick(&l->watch);
}

/*
 * See kafka.h. With log.queue set, librdkafka's threads only append to this queue (they
 * never wait on the daemon's log), and the lines no longer wait in a consumer queue that
 * is not read while partitions are paused. An rdkafka.log.queue = false key leaves the
 * lines to librdkafka's own logger, which writes them to stderr from its threads with its
 * own times (bench/throughput.py --fetch-trace times the fetcher so).
 */
bool kafka_log_start(struct kafka_log *l, struct event_base *base, rd_kafka_t *rk)
{
	rd_kafka_resp_err_t err;

	l->rk = rk;
	l->queue = rd_kafka_queue_new(rk);
	if (l->queue == NULL)
		return false;
	err = rd_kafka_set_log_queue(rk, l->queue);
	if (err == RD_KAFKA_RESP_ERR__NOT_CONFIGURED) {
		rd_kafka_queue_destroy(l->queue);
		l->queue = NULL;
		return true;
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		return false;
	return kafka_watch_start(&l->watch, base, l->queue, kafka_log_on_readable, l);
}

/* See kafka.h. */
void kafka_log_stop(struct kafka_log *l)
{
	if (l->queue == NULL)
		return;
	kafka_watch_stop(&l->watch, l->queue);
	kafka_log_serve(l, INT_MAX);
	rd_kafka_queue_destroy(l->queue);
	l->queue = NULL;
}
