/* alertpub.c: delivers the alerts recorded in the Redis outbox to Kafka, the stream and the hash. */
#include "alertpub.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "log.h"
#include "timestamp.h"

#define ALERTPUB_RETRY_MS 1000
#define ALERTPUB_REDRIVE_MS 5000
#define ALERTPUB_REDRIVE_LIMIT "500"
#define ALERTPUB_BUCKETS 4096

/* One alert from outbox to confirmed delivery. */
struct alertpub_item {
	struct alertpub *a;
	struct alertpub_item *next_bucket; /* in the in-flight set */
	struct alertpub_item *next_retry;
	char *key;                         /* outbox key */
	char *json;                        /* the contract JSON */
	char agent[EVENT_ID_MAX + 1];
	char rule[32];
	char state[16];
};

struct alertpub {
	const struct config *cfg;
	struct redis *redis;
	struct producer *producer;
	struct metrics *metrics;
	struct event *retry_ev;
	struct event *redrive_ev;
	struct alertpub_item *retry;
	/* Keys in flight here, so a re-drive never sends them a second time. */
	struct alertpub_item *inflight[ALERTPUB_BUCKETS];
	size_t pending;
};

/* The in-flight set's bucket for a key. */
static size_t alertpub_bucket(const char *key)
{
	size_t h = 5381;

	while (*key)
		h = h * 33 + (unsigned char)*key++;
	return h % ALERTPUB_BUCKETS;
}

/* True when key is already being delivered by this process. */
static bool alertpub_inflight(const struct alertpub *a, const char *key)
{
	for (const struct alertpub_item *it = a->inflight[alertpub_bucket(key)]; it; it = it->next_bucket)
		if (strcmp(it->key, key) == 0)
			return true;
	return false;
}

/* Removes an item from the in-flight set and frees it. */
static void alertpub_finish(struct alertpub_item *it)
{
	struct alertpub *a = it->a;
	struct alertpub_item **pp = &a->inflight[alertpub_bucket(it->key)];

	while (*pp != it)
		pp = &(*pp)->next_bucket;
	*pp = it->next_bucket;
	a->pending--;
	free(it->key);
	free(it->json);
	free(it);
}

/* Answer to "done" or "commit"; failures are left to the lease re-drive. */
static void alertpub_on_script(void *arg, redisReply *reply)
{
	(void)arg;
	if (reply != NULL && reply->type == REDIS_REPLY_ERROR)
		log_limited(LOG_ERR, "outbox", "redis: alert outbox: %s", reply->str);
}

static void alertpub_produce(struct alertpub_item *it);

/* Kafka confirmed (or refused) one alert. */
static void alertpub_on_delivery(void *arg, rd_kafka_resp_err_t err)
{
	struct alertpub_item *it = arg;
	struct alertpub *a = it->a;
	struct timeval tv = {ALERTPUB_RETRY_MS / 1000, 0};

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "alert-delivery", "kafka: alert %s for %s not delivered: %s; retrying",
		    it->rule, it->agent, rd_kafka_err2str(err));
		a->metrics->alerts_failed++;
		it->next_retry = a->retry;
		a->retry = it;
		evtimer_add(a->retry_ev, &tv);
		return;
	}
	a->metrics->alerts_published++;
	metrics_alert(a->metrics, it->rule, it->state);
	/* If this fails the lease expires and the alert is sent again: at-least-once, never lost. */
	redis_script(a->redis, SCRIPT_OUTBOX, 3, (const char *[]){"done", a->cfg->prefix, it->key}, NULL,
	    alertpub_on_script, a);
	alertpub_finish(it);
}

/* Hands an alert to the producer, or queues it for the retry timer. */
static void alertpub_produce(struct alertpub_item *it)
{
	struct alertpub *a = it->a;
	struct timeval tv = {ALERTPUB_RETRY_MS / 1000, 0};

	rd_kafka_resp_err_t err = producer_send(a->producer, a->cfg->alerts_topic, RD_KAFKA_PARTITION_UA, it->agent,
	    strlen(it->agent), it->json, strlen(it->json), NULL, alertpub_on_delivery, it);

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "kafka-produce", "kafka: produce to %s: %s; retrying", a->cfg->alerts_topic,
		    rd_kafka_err2str(err));
		it->next_retry = a->retry;
		a->retry = it;
		evtimer_add(a->retry_ev, &tv);
	}
}

/* Takes one outbox entry: commits it to the stream and hash, then produces it. */
static void alertpub_take(struct alertpub *a, const redisReply *key, const redisReply *facts_json,
    const redisReply *committed)
{
	struct alert_facts f;
	struct alertpub_item *it;
	char field[EVENT_ID_MAX + 40];
	size_t b;

	if (key->type != REDIS_REPLY_STRING || facts_json->type != REDIS_REPLY_STRING ||
	    alertpub_inflight(a, key->str))
		return;
	if (!alert_facts_parse(facts_json->str, facts_json->len, &f)) {
		log_limited(LOG_ERR, "outbox-parse", "outbox: unreadable entry %s", key->str);
		return;
	}
	it = calloc(1, sizeof(*it));
	if (it == NULL)
		return;
	it->a = a;
	it->key = strdup(key->str);
	/* A re-driven entry that was committed keeps its first rendering, so every copy matches. */
	it->json = committed != NULL && committed->type == REDIS_REPLY_STRING && committed->len > 0 ?
	    strdup(committed->str) : alert_render(&f);
	if (it->key == NULL || it->json == NULL) {
		free(it->key);
		free(it->json);
		free(it);
		return;
	}
	snprintf(it->agent, sizeof(it->agent), "%s", f.agent);
	snprintf(it->rule, sizeof(it->rule), "%s", f.rule);
	snprintf(it->state, sizeof(it->state), "%s", f.state);
	b = alertpub_bucket(it->key);
	it->next_bucket = a->inflight[b];
	a->inflight[b] = it;
	a->pending++;
	alert_field(&f, field, sizeof(field));
	redis_script(a->redis, SCRIPT_OUTBOX, 7,
	    (const char *[]){"commit", a->cfg->prefix, it->key, f.agent, field, f.state, it->json}, NULL,
	    alertpub_on_script, a);
	log_info("alert %s %s agent=%s%s%s", f.rule, f.state, f.agent, f.ticket[0] ? " ticket=" : "", f.ticket);
	alertpub_produce(it);
}

/* See alertpub.h. */
void alertpub_outbox(struct alertpub *a, const redisReply *entries)
{
	if (entries == NULL || entries->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 1 < entries->elements; i += 2)
		alertpub_take(a, entries->element[i], entries->element[i + 1], NULL);
}

/* The lease script's answer: (key, facts, committed JSON) triples to deliver again. */
static void alertpub_on_leased(void *arg, redisReply *reply)
{
	struct alertpub *a = arg;

	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY)
		return;
	for (size_t i = 0; i + 2 < reply->elements; i += 3)
		alertpub_take(a, reply->element[i], reply->element[i + 1], reply->element[i + 2]);
}

/* See alertpub.h. */
void alertpub_redrive(struct alertpub *a)
{
	char now[24];

	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	redis_script(a->redis, SCRIPT_OUTBOX, 4, (const char *[]){"lease", a->cfg->prefix, now, ALERTPUB_REDRIVE_LIMIT},
	    NULL, alertpub_on_leased, a);
}

/* Retry timer: produce again what Kafka refused. */
static void alertpub_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct alertpub *a = arg;
	struct alertpub_item *it = a->retry;

	(void)fd;
	(void)what;
	a->retry = NULL;
	while (it != NULL) {
		struct alertpub_item *next = it->next_retry;

		alertpub_produce(it);
		it = next;
	}
}

/* Periodic re-drive of expired leases. */
static void alertpub_on_redrive(evutil_socket_t fd, short what, void *arg)
{
	struct alertpub *a = arg;
	struct timeval tv = {ALERTPUB_REDRIVE_MS / 1000, 0};

	(void)fd;
	(void)what;
	if (redis_is_up(a->redis))
		alertpub_redrive(a);
	evtimer_add(a->redrive_ev, &tv);
}

/* See alertpub.h. */
struct alertpub *alertpub_new(struct event_base *base, const struct config *cfg, struct redis *redis,
    struct producer *producer, struct metrics *metrics)
{
	struct alertpub *a = calloc(1, sizeof(*a));
	struct timeval tv = {ALERTPUB_REDRIVE_MS / 1000, 0};

	if (a == NULL)
		return NULL;
	a->cfg = cfg;
	a->redis = redis;
	a->producer = producer;
	a->metrics = metrics;
	a->retry_ev = evtimer_new(base, alertpub_on_retry, a);
	a->redrive_ev = evtimer_new(base, alertpub_on_redrive, a);
	evtimer_add(a->redrive_ev, &tv);
	return a;
}

/* See alertpub.h. */
size_t alertpub_pending(const struct alertpub *a)
{
	return a->pending;
}

/* See alertpub.h. */
void alertpub_free(struct alertpub *a)
{
	if (a == NULL)
		return;
	for (size_t b = 0; b < ALERTPUB_BUCKETS; b++)
		while (a->inflight[b] != NULL)
			alertpub_finish(a->inflight[b]);
	event_free(a->retry_ev);
	event_free(a->redrive_ev);
	free(a);
}
