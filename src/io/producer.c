/* producer.c: an idempotent Kafka producer (alerts, dead letters, route records), and topic admin. */
#include "producer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka.h"
#include "log.h"

/* Delivery reports served per wake-up before the loop regains control. */
#define PRODUCER_POLLS_PER_WAKEUP 1000

/* librdkafka's own limit on message.max.bytes: the dead-letter producer checks sizes itself. */
#define PRODUCER_UNCHECKED_BYTES "1000000000"
#define PRODUCER_ADMIN_TIMEOUT_MS 10000
/* Metadata is read blocking at start-up only, briefly: the caller retries, the loop stays live. */
#define PRODUCER_METADATA_TIMEOUT_MS 1000

/* Room for why a topic question failed. */
#define PRODUCER_WHY_SIZE 256

/* One producer_ensure_topic() or producer_partition_count() answer on its way to the loop. */
struct producer_count {
	struct producer *p;
	producer_count_fn fn;
	void *arg;
	int partitions;
	char why[PRODUCER_WHY_SIZE];
	char *topic;      /* the topic being created, for the count after TOPIC_ALREADY_EXISTS */
};

struct producer {
	struct event_base *base;
	enum producer_kind kind;
	rd_kafka_t *rk;
	rd_kafka_queue_t *queue;
	struct kafka_watch watch;
	rd_kafka_queue_t *admin_queue; /* answers to producer_topic_limit() */
	struct kafka_watch admin_watch;
	producer_limit_fn limit_fn;    /* the one request in flight, if any */
	void *limit_arg;
	struct producer_count *creating; /* the one producer_ensure_topic() awaiting CreateTopics */
	struct kafka_log log;
	producer_fatal_fn fatal;
	void *fatal_arg;
};

/* What each kind carries, and what becomes of it when undelivered at shutdown. */
static const struct {
	const char *what;
	const char *after;
} producer_kinds[] = {
	[PRODUCER_ALERTS] = {"alerts", "the outbox keeps them for the next start"},
	[PRODUCER_DEAD_LETTERS] = {"dead letters", "their messages are read again at the next start"},
	[PRODUCER_ROUTE] = {"route records", "the task outboxes keep them for the next start"},
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

/* Reads max.message.bytes from a DescribeConfigs answer; -1 and why when it is not there. */
static int64_t producer_limit_of(rd_kafka_event_t *ev, const char **why)
{
	const rd_kafka_DescribeConfigs_result_t *res = rd_kafka_event_DescribeConfigs_result(ev);
	const rd_kafka_ConfigResource_t **rs;
	const rd_kafka_ConfigEntry_t **entries;
	size_t nr = 0, ne = 0;

	*why = rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR ? rd_kafka_event_error_string(ev) : NULL;
	if (*why != NULL || res == NULL)
		return -1;
	rs = rd_kafka_DescribeConfigs_result_resources(res, &nr);
	if (nr != 1 || rd_kafka_ConfigResource_error(rs[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		*why = nr == 1 ? rd_kafka_ConfigResource_error_string(rs[0]) : "no such topic";
		return -1;
	}
	entries = rd_kafka_ConfigResource_configs(rs[0], &ne);
	for (size_t i = 0; i < ne; i++) {
		const char *v = rd_kafka_ConfigEntry_value(entries[i]);
		char *end;
		long long n;

		if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), "max.message.bytes") != 0 || v == NULL)
			continue;
		errno = 0;
		n = strtoll(v, &end, 10);
		if (errno == 0 && *end == '\0' && n > 0)
			return n;
	}
	*why = "max.message.bytes not in the answer";
	return -1;
}

/* Runs a count answer's callback from the loop and frees it. */
static void producer_count_run(evutil_socket_t fd, short what, void *arg)
{
	struct producer_count *c = arg;

	(void)fd;
	(void)what;
	c->fn(c->arg, c->partitions, c->partitions < 0 ? c->why : NULL);
	free(c->topic);
	free(c);
}

/* Hands a count answer to the loop, so a callback never runs inside the call that asked. */
static void producer_count_post(struct producer_count *c)
{
	static const struct timeval now = {0, 0};

	if (event_base_once(c->p->base, -1, EV_TIMEOUT, producer_count_run, c, &now) != 0) {
		/* Only when out of memory; answering late beats never answering. */
		producer_count_run(-1, 0, c);
	}
}

/* A new count answer for fn; NULL when out of memory. */
static struct producer_count *producer_count_new(struct producer *p, producer_count_fn fn, void *arg)
{
	struct producer_count *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return NULL;
	c->p = p;
	c->fn = fn;
	c->arg = arg;
	c->partitions = -1;
	return c;
}

/*
 * Reads topic's partition count into c (blocking, up to PRODUCER_METADATA_TIMEOUT_MS). Asks
 * for every topic: a request naming the topic would let a broker with
 * auto.create.topics.enable create it with its defaults. True when the topic is absent.
 */
static bool producer_count_read(struct producer *p, const char *topic, struct producer_count *c)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t err = rd_kafka_metadata(p->rk, 1, NULL, &md, PRODUCER_METADATA_TIMEOUT_MS);
	bool absent = true;

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(c->why, sizeof(c->why), "metadata: %s", rd_kafka_err2str(err));
		return false;
	}
	for (int i = 0; i < md->topic_cnt; i++) {
		const struct rd_kafka_metadata_topic *t = &md->topics[i];

		if (strcmp(t->topic, topic) != 0)
			continue;
		absent = false;
		if (t->err != RD_KAFKA_RESP_ERR_NO_ERROR)
			snprintf(c->why, sizeof(c->why), "%s: %s", topic, rd_kafka_err2str(t->err));
		else
			c->partitions = t->partition_cnt;
	}
	if (absent)
		snprintf(c->why, sizeof(c->why), "%s: no such topic", topic);
	rd_kafka_metadata_destroy(md);
	return absent;
}

/* The answer to producer_ensure_topic()'s CreateTopics. */
static void producer_on_created(struct producer *p, rd_kafka_event_t *ev)
{
	struct producer_count *c = p->creating;
	const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
	const rd_kafka_topic_result_t **ts;
	size_t n = 0;
	rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
	const char *why = rd_kafka_event_error_string(ev);

	if (c == NULL)
		return;
	p->creating = NULL;
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR && res != NULL) {
		ts = rd_kafka_CreateTopics_result_topics(res, &n);
		if (n == 1) {
			err = rd_kafka_topic_result_error(ts[0]);
			why = rd_kafka_topic_result_error_string(ts[0]);
		}
	}
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_notice("kafka: created topic %s with %d partitions", c->topic, c->partitions);
	} else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
		/* Another instance made it meanwhile: its count is what counts. */
		c->partitions = -1;
		producer_count_read(p, c->topic, c);
	} else {
		c->partitions = -1;
		snprintf(c->why, sizeof(c->why), "create %s: %s", c->topic, why != NULL ? why : rd_kafka_err2str(err));
	}
	producer_count_post(c);
}

/* Answers on the admin queue: producer_topic_limit()'s and producer_ensure_topic()'s. */
static void producer_on_admin(evutil_socket_t fd, short what, void *arg)
{
	struct producer *p = arg;
	rd_kafka_event_t *ev;

	(void)fd;
	(void)what;
	kafka_watch_drain(&p->admin_watch);
	while ((ev = rd_kafka_queue_poll(p->admin_queue, 0)) != NULL) {
		producer_limit_fn fn = p->limit_fn;
		const char *why;
		int64_t bytes;

		if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_CREATETOPICS_RESULT) {
			producer_on_created(p, ev);
			rd_kafka_event_destroy(ev);
			continue;
		}
		bytes = producer_limit_of(ev, &why);
		p->limit_fn = NULL;
		if (fn != NULL)
			fn(p->limit_arg, bytes, why);
		rd_kafka_event_destroy(ev);
	}
}

/* Sets what a kind of producer needs beyond the shared configuration. */
static bool producer_conf_kind(rd_kafka_conf_t *conf, const struct config *cfg, enum producer_kind kind,
    char *err, size_t err_size)
{
	/* Idempotence: broker-side retries never duplicate or reorder a message. */
	if (!kafka_conf_set(conf, "enable.idempotence", "true", err, err_size))
		return false;
	if (kind == PRODUCER_ALERTS)
		return kafka_conf_default(conf, cfg, "linger.ms", "5", err, err_size);
	/*
	 * Route records: batches of one task must arrive in order. Gapless makes a lost message
	 * fatal rather than skipped, and a message that never times out cannot be lost while
	 * the ones after it go through.
	 */
	/* Room for ten times what ingest forwards before it holds the consumer (100,000), batches included. */
	if (kind == PRODUCER_ROUTE)
		return kafka_conf_set(conf, "enable.gapless.guarantee", "true", err, err_size) &&
		    kafka_conf_set(conf, "message.timeout.ms", "0", err, err_size) &&
		    kafka_conf_set(conf, "queue.buffering.max.messages", "1000000", err, err_size) &&
		    kafka_conf_default(conf, cfg, "linger.ms", "5", err, err_size);
	return kafka_conf_set(conf, "batch.num.messages", "1", err, err_size) &&
	    kafka_conf_default(conf, cfg, "message.max.bytes", PRODUCER_UNCHECKED_BYTES, err, err_size);
}

/* Undoes a partly made producer. */
static void producer_abandon(struct producer *p, rd_kafka_conf_t *conf)
{
	if (conf != NULL)
		rd_kafka_conf_destroy(conf);
	free(p);
}

/* See producer.h. */
struct producer *producer_new(struct event_base *base, const struct config *cfg, const char *brokers,
    enum producer_kind kind, producer_fatal_fn fatal, void *arg, char *err, size_t err_size)
{
	struct producer *p = calloc(1, sizeof(*p));
	rd_kafka_conf_t *conf;

	if (p == NULL)
		return NULL;
	p->base = base;
	p->kind = kind;
	p->fatal = fatal;
	p->fatal_arg = arg;
	conf = kafka_conf_new(cfg, brokers, err, err_size);
	if (conf == NULL || !producer_conf_kind(conf, cfg, kind, err, err_size)) {
		producer_abandon(p, conf);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, producer_on_delivery);
	rd_kafka_conf_set_error_cb(conf, producer_error);
	rd_kafka_conf_set_opaque(conf, p);
	p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
	if (p->rk == NULL) {
		producer_abandon(p, conf);
		return NULL;
	}
	p->queue = rd_kafka_queue_get_main(p->rk);
	p->admin_queue = rd_kafka_queue_new(p->rk);
	if (!kafka_log_start(&p->log, base, p->rk) ||
	    !kafka_watch_start(&p->watch, base, p->queue, producer_on_readable, p) ||
	    !kafka_watch_start(&p->admin_watch, base, p->admin_queue, producer_on_admin, p)) {
		snprintf(err, err_size, "cannot watch the producer's queues");
		producer_free(p);
		return NULL;
	}
	return p;
}

/* See producer.h. */
rd_kafka_resp_err_t producer_send(struct producer *p, const char *topic, int32_t partition, const void *key,
    size_t key_len, const void *value, size_t value_len, rd_kafka_headers_t *headers, producer_done_fn done,
    void *arg)
{
	struct producer_cb *cb = malloc(sizeof(*cb));
	rd_kafka_resp_err_t err;

	if (cb == NULL)
		return RD_KAFKA_RESP_ERR__FAIL; /* out of memory */
	cb->done = done;
	cb->arg = arg;
	err = rd_kafka_producev(p->rk,
	    RD_KAFKA_V_TOPIC(topic),
	    RD_KAFKA_V_PARTITION(partition),
	    RD_KAFKA_V_KEY(key, key_len),
	    RD_KAFKA_V_VALUE((void *)value, value_len),
	    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
	    RD_KAFKA_V_HEADERS(headers),
	    RD_KAFKA_V_OPAQUE(cb),
	    RD_KAFKA_V_END);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
		free(cb);
	return err;
}

/* See producer.h. */
void producer_topic_limit(struct producer *p, const char *topic, producer_limit_fn fn, void *arg)
{
	rd_kafka_ConfigResource_t *res;
	rd_kafka_AdminOptions_t *opt;

	/* One question at a time: a second asker while one is out is answered by the same reply. */
	if (p->limit_fn != NULL)
		return;
	p->limit_fn = fn;
	p->limit_arg = arg;
	res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic);
	opt = rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	rd_kafka_AdminOptions_set_request_timeout(opt, PRODUCER_ADMIN_TIMEOUT_MS, NULL, 0);
	rd_kafka_DescribeConfigs(p->rk, &res, 1, opt, p->admin_queue);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_ConfigResource_destroy(res);
}

/* See producer.h. */
void producer_ensure_topic(struct producer *p, const char *topic, int partitions, producer_count_fn fn,
    void *arg)
{
	struct producer_count *c = producer_count_new(p, fn, arg);
	rd_kafka_NewTopic_t *nt;
	rd_kafka_AdminOptions_t *opt;
	char why[PRODUCER_WHY_SIZE / 2]; /* room to quote it in c->why */

	if (c == NULL) {
		fn(arg, -1, "out of memory");
		return;
	}
	if (p->creating != NULL) {
		snprintf(c->why, sizeof(c->why), "another topic is being created");
		producer_count_post(c);
		return;
	}
	if (!producer_count_read(p, topic, c)) {
		producer_count_post(c); /* it exists (or the cluster did not say): answered */
		return;
	}
	if ((c->topic = strdup(topic)) == NULL) {
		snprintf(c->why, sizeof(c->why), "out of memory");
		producer_count_post(c);
		return;
	}
	c->partitions = partitions;
	/* -1: the brokers' default.replication.factor. */
	nt = rd_kafka_NewTopic_new(topic, partitions, -1, why, sizeof(why));
	if (nt == NULL) {
		c->partitions = -1;
		snprintf(c->why, sizeof(c->why), "create %.*s: %s", (int)sizeof(why) / 2, topic, why);
		producer_count_post(c);
		return;
	}
	p->creating = c;
	opt = rd_kafka_AdminOptions_new(p->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	rd_kafka_AdminOptions_set_request_timeout(opt, PRODUCER_ADMIN_TIMEOUT_MS, NULL, 0);
	rd_kafka_CreateTopics(p->rk, &nt, 1, opt, p->admin_queue);
	rd_kafka_AdminOptions_destroy(opt);
	rd_kafka_NewTopic_destroy(nt);
}

/* See producer.h. */
void producer_partition_count(struct producer *p, const char *topic, producer_count_fn fn, void *arg)
{
	struct producer_count *c = producer_count_new(p, fn, arg);

	if (c == NULL) {
		fn(arg, -1, "out of memory");
		return;
	}
	producer_count_read(p, topic, c);
	producer_count_post(c);
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
		log_warn("kafka: %d %s still undelivered at shutdown; %s", rd_kafka_outq_len(p->rk),
		    producer_kinds[p->kind].what, producer_kinds[p->kind].after);
}

/* See producer.h. */
void producer_free(struct producer *p)
{
	if (p == NULL)
		return;
	kafka_watch_stop(&p->watch, p->queue);
	kafka_watch_stop(&p->admin_watch, p->admin_queue);
	if (p->queue != NULL)
		rd_kafka_queue_destroy(p->queue);
	if (p->admin_queue != NULL)
		rd_kafka_queue_destroy(p->admin_queue);
	kafka_log_stop(&p->log);
	rd_kafka_destroy(p->rk);
	if (p->creating != NULL) {
		free(p->creating->topic);
		free(p->creating);
	}
	free(p);
}
