/* producer.c: the idempotent Kafka producer for alerts and dead letters. */
#include "producer.h"

#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"

/* Delivery reports served per wake-up before the loop regains control. */
#define PRODUCER_POLLS_PER_WAKEUP 1000

struct producer {
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue;
	struct kafka_watch watch;
	producer_fatal_fn fatal;
	void *fatal_arg;
};

/* What a message carries until its delivery report. */
struct producer_cb {
	producer_done_fn done;
	void *arg;
};

/* Delivery report: hand the result to whoever sent the message. */
static void producer_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct producer_cb *cb = m->_private;

	(void)rk;
	(void)opaque;
	cb->done(cb->arg, m->err);
	free(cb);
}

/* Client-level errors; a fatal one (idempotence broken) stops the daemon gracefully. */
static void producer_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct producer *p = opaque;
	char why[512];

	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		rd_kafka_fatal_error(rk, why, sizeof(why));
		p->fatal(p->fatal_arg, why);
		return;
	}
	log_limited(LOG_WARNING, "kafka-producer", "kafka producer: %s: %s",
	    rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
}

/* The producer's queue has delivery reports or logs: serve them. */
static void producer_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct producer *p = arg;
	int served = 0;

	(void)fd;
	(void)what;
	kafka_watch_drain(&p->watch);
	while (served < PRODUCER_POLLS_PER_WAKEUP && rd_kafka_poll(p->rk, 0) > 0)
		served++;
	if (served == PRODUCER_POLLS_PER_WAKEUP)
		kafka_watch_kick(&p->watch);
}

/* See producer.h. */
struct producer *producer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    producer_fatal_fn fatal, void *arg, char *err, size_t err_size)
{
	struct producer *p = calloc(1, sizeof(*p));
	rd_kafka_conf_t *conf;

	if (p == NULL)
		return NULL;
	p->fatal = fatal;
	p->fatal_arg = arg;
	conf = kafka_conf_new(cfg, brokers, err, err_size);
	if (conf == NULL) {
		free(p);
		return NULL;
	}
	/* Idempotence: broker-side retries never duplicate or reorder an alert. */
	if (!kafka_conf_set(conf, "enable.idempotence", "true", err, err_size) ||
	    !kafka_conf_set(conf, "linger.ms", "5", err, err_size)) {
		rd_kafka_conf_destroy(conf);
		free(p);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, producer_on_delivery);
	rd_kafka_conf_set_error_cb(conf, producer_error);
	rd_kafka_conf_set_opaque(conf, p);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
	if (p->rk == NULL) {
		rd_kafka_conf_destroy(conf);
		free(p);
		return NULL;
	}
	rd_kafka_set_log_queue(p->rk, NULL);
	p->queue = rd_kafka_queue_get_main(p->rk);
	if (!kafka_watch_start(&p->watch, base, p->queue, producer_on_readable, p)) {
		snprintf(err, err_size, "cannot watch the producer queue");
		producer_free(p);
		return NULL;
	}
	return p;
}

/* See producer.h. */
bool producer_send(struct producer *p, const char *topic, const void *key, size_t key_len,
    const void *value, size_t value_len, rd_kafka_headers_t *headers, producer_done_fn done, void *arg)
{
	struct producer_cb *cb = malloc(sizeof(*cb));
	rd_kafka_resp_err_t err;

	if (cb == NULL)
		return false;
	cb->done = done;
	cb->arg = arg;
	err = rd_kafka_producev(p->rk,
	    RD_KAFKA_V_TOPIC(topic),
	    RD_KAFKA_V_KEY(key, key_len),
	    RD_KAFKA_V_VALUE((void *)value, value_len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_HEADERS(headers),
	    RD_KAFKA_V_OPAQUE(cb),
	    RD_KAFKA_V_END);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "kafka-produce", "kafka: produce to %s: %s", topic, rd_kafka_err2str(err));
		free(cb);
		return false;
	}
	return true;
}

/* See producer.h. */
int producer_outq(const struct producer *p)
{
	return rd_kafka_outq_len(p->rk);
}

/* See producer.h. */
void producer_flush(struct producer *p, int timeout_ms)
{
	rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		log_warn("kafka: %d messages still undelivered at shutdown; the outbox keeps alerts for next start",
		    rd_kafka_outq_len(p->rk));
}

/* See producer.h. */
void producer_free(struct producer *p)
{
	if (p == NULL)
		return;
	kafka_watch_stop(&p->watch, p->queue);
	if (p->queue != NULL)
		rd_kafka_queue_destroy(p->queue);
	rd_kafka_destroy(p->rk);
	free(p);
}
