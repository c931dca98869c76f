/* dlq.c: dead letters: rejected messages, kept byte for byte, with the reason in headers. */
#include "dlq.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "timestamp.h"

#define DLQ_RETRY_MS 1000
/* How long a delivered letter's position is remembered; re-reads come within minutes. */
#define DLQ_REMEMBER_MS (INT64_C(7) * 86400000)

/* One dead letter, owned here until the broker has it. */
struct dlq_record {
	struct dlq *dlq;
	struct dlq_record *next; /* in the retry list */
	char *topic;
	int32_t partition;
	int64_t offset;
	int type;                /* for metrics_dead_letter(): enum event_type, or -1 */
	char reason[128];
	char position[300];      /* "topic:partition:offset", its member in the Redis record */
	void *key;
	size_t key_len;
	void *payload;
	size_t len;
};

struct dlq {
	const struct config *cfg;
	struct producer *producer;
	struct redis *redis;
	struct metrics *metrics;
	char key[300];           /* the Redis sorted set of delivered positions */
	dlq_done_fn done;
	void *arg;
	struct event *retry_ev;
	struct dlq_record *retry;
	size_t pending;
};

/* Copies n bytes (n may be 0). */
static void *dlq_copy(const void *src, size_t n)
{
	void *dst = malloc(n ? n : 1);

	if (dst != NULL && n > 0)
		memcpy(dst, src, n);
	return dst;
}

/* Frees a record. */
static void dlq_record_free(struct dlq_record *r)
{
	free(r->topic);
	free(r->key);
	free(r->payload);
	free(r);
}

static void dlq_produce(struct dlq_record *r);

/* Schedules a record for another try. */
static void dlq_retry_later(struct dlq_record *r)
{
	struct dlq *d = r->dlq;
	struct timeval tv = {DLQ_RETRY_MS / 1000, (DLQ_RETRY_MS % 1000) * 1000};

	d->metrics->dlq_failures++;
	r->next = d->retry;
	d->retry = r;
	evtimer_add(d->retry_ev, &tv);
}

/* The letter is on the DLQ (and recorded, or Redis is away): its offset may be committed. */
static void dlq_finish(struct dlq_record *r)
{
	struct dlq *d = r->dlq;

	d->pending--;
	d->done(d->arg, r->topic, r->partition, r->offset);
	dlq_record_free(r);
}

/* The delivered position was recorded (or could not be: then at-least-once is what remains). */
static void dlq_on_recorded(void *arg, redisReply *reply)
{
	(void)reply;
	dlq_finish(arg);
}

/* Delivery report for one dead letter. */
static void dlq_on_delivery(void *arg, rd_kafka_resp_err_t err)
{
	struct dlq_record *r = arg;
	struct dlq *d = r->dlq;
	char now[24], old[24];

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "dlq-delivery", "dlq: delivery of %s/%" PRId32 "@%" PRId64 " failed: %s; retrying",
		    r->topic, r->partition, r->offset, rd_kafka_err2str(err));
		dlq_retry_later(r);
		return;
	}
	metrics_dead_letter(d->metrics, r->type);
	snprintf(now, sizeof(now), "%" PRId64, ts_now_ms());
	snprintf(old, sizeof(old), "%" PRId64, ts_now_ms() - DLQ_REMEMBER_MS);
	/* Both replies come in order; the offset is finished only after the record is in. */
	redis_command(d->redis, 4, (const char *[]){"ZREMRANGEBYSCORE", d->key, "-inf", old}, NULL, NULL,
	    NULL);
	if (!redis_command(d->redis, 4, (const char *[]){"ZADD", d->key, now, r->position}, NULL,
	        dlq_on_recorded, r))
		dlq_finish(r);
}

/* Produces a record with its provenance headers. */
static void dlq_produce(struct dlq_record *r)
{
	struct dlq *d = r->dlq;
	rd_kafka_headers_t *h = rd_kafka_headers_new(4);
	char partition[16], offset[24];

	snprintf(partition, sizeof(partition), "%" PRId32, r->partition);
	snprintf(offset, sizeof(offset), "%" PRId64, r->offset);
	rd_kafka_header_add(h, "error", -1, r->reason, -1);
	rd_kafka_header_add(h, "source_topic", -1, r->topic, -1);
	rd_kafka_header_add(h, "source_partition", -1, partition, -1);
	rd_kafka_header_add(h, "source_offset", -1, offset, -1);
	if (!producer_send(d->producer, d->cfg->dlq_topic, r->key, r->key_len, r->payload, r->len, h,
	        dlq_on_delivery, r)) {
		rd_kafka_headers_destroy(h);
		dlq_retry_later(r);
	}
}

/* The answer to "was this position dead-lettered before?" */
static void dlq_on_checked(void *arg, redisReply *reply)
{
	struct dlq_record *r = arg;

	if (reply != NULL && reply->type == REDIS_REPLY_STRING) {
		log_info("dlq: %s was dead-lettered before (read again after a rebalance); not sent twice",
		    r->position);
		dlq_finish(r);
		return;
	}
	dlq_produce(r);
}

/* Retry timer: try every waiting record again. */
static void dlq_on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct dlq *d = arg;
	struct dlq_record *r = d->retry;

	(void)fd;
	(void)what;
	d->retry = NULL;
	while (r != NULL) {
		struct dlq_record *next = r->next;

		dlq_produce(r);
		r = next;
	}
}

/* See dlq.h. */
struct dlq *dlq_new(struct event_base *base, const struct config *cfg, struct producer *producer,
    struct redis *redis, struct metrics *metrics, dlq_done_fn done, void *arg)
{
	struct dlq *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->producer = producer;
	d->redis = redis;
	d->metrics = metrics;
	snprintf(d->key, sizeof(d->key), "%sdlq:%s", cfg->prefix, cfg->group);
	d->done = done;
	d->arg = arg;
	d->retry_ev = evtimer_new(base, dlq_on_retry, d);
	return d;
}

/* See dlq.h. */
void dlq_send(struct dlq *d, const rd_kafka_message_t *msg, int type, const char *reason)
{
	struct dlq_record *r = calloc(1, sizeof(*r));
	const char *topic = rd_kafka_topic_name(msg->rkt);

	if (r == NULL || (r->topic = strdup(topic)) == NULL ||
	    (r->payload = dlq_copy(msg->payload, msg->len)) == NULL ||
	    (msg->key != NULL && (r->key = dlq_copy(msg->key, msg->key_len)) == NULL)) {
		/* Without memory the offset is never finished, so it is re-read after a restart. */
		log_err("dlq: out of memory for %s/%" PRId32 "@%" PRId64, topic, msg->partition, msg->offset);
		if (r != NULL)
			dlq_record_free(r);
		return;
	}
	r->dlq = d;
	r->partition = msg->partition;
	r->offset = msg->offset;
	r->type = type;
	r->key_len = msg->key != NULL ? msg->key_len : 0;
	r->len = msg->len;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	snprintf(r->position, sizeof(r->position), "%s:%" PRId32 ":%" PRId64, topic, msg->partition, msg->offset);
	d->pending++;
	log_limited(LOG_WARNING, "dlq", "rejected %s/%" PRId32 "@%" PRId64 ": %s", topic, msg->partition, msg->offset,
	    reason);
	/* Without Redis there is nothing to ask: send (at least once rather than not at all). */
	if (!redis_command(d->redis, 3, (const char *[]){"ZSCORE", d->key, r->position}, NULL, dlq_on_checked, r))
		dlq_produce(r);
}

/* See dlq.h. */
size_t dlq_pending(const struct dlq *d)
{
	return d->pending;
}

/* See dlq.h. */
void dlq_free(struct dlq *d)
{
	if (d == NULL)
		return;
	while (d->retry != NULL) {
		struct dlq_record *next = d->retry->next;

		dlq_record_free(d->retry);
		d->retry = next;
	}
	event_free(d->retry_ev);
	free(d);
}
