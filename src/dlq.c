/* dlq.c: dead letters: rejected messages, kept byte for byte, with the reason in headers. */
#include "dlq.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define DLQ_RETRY_MS 1000

/* One dead letter, owned here until the broker has it. */
struct dlq_record {
	struct dlq *dlq;
	struct dlq_record *next; /* in the retry list */
	char *topic;
	int32_t partition;
	int64_t offset;
	char reason[128];
	void *key;
	size_t key_len;
	void *payload;
	size_t len;
};

struct dlq {
	const struct config *cfg;
	struct producer *producer;
	struct metrics *metrics;
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

/* Delivery report for one dead letter. */
static void dlq_on_delivery(void *arg, rd_kafka_resp_err_t err)
{
	struct dlq_record *r = arg;
	struct dlq *d = r->dlq;

	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		log_limited(LOG_WARNING, "dlq-delivery", "dlq: delivery of %s/%" PRId32 "@%" PRId64 " failed: %s; retrying",
		    r->topic, r->partition, r->offset, rd_kafka_err2str(err));
		dlq_retry_later(r);
		return;
	}
	d->pending--;
	d->metrics->dead_lettered++;
	d->done(d->arg, r->topic, r->partition, r->offset);
	dlq_record_free(r);
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
    struct metrics *metrics, dlq_done_fn done, void *arg)
{
	struct dlq *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	d->cfg = cfg;
	d->producer = producer;
	d->metrics = metrics;
	d->done = done;
	d->arg = arg;
	d->retry_ev = evtimer_new(base, dlq_on_retry, d);
	return d;
}

/* See dlq.h. */
void dlq_send(struct dlq *d, const rd_kafka_message_t *msg, const char *reason)
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
	r->key_len = msg->key != NULL ? msg->key_len : 0;
	r->len = msg->len;
	snprintf(r->reason, sizeof(r->reason), "%s", reason);
	d->pending++;
	log_limited(LOG_WARNING, "dlq", "rejected %s/%" PRId32 "@%" PRId64 ": %s", topic, msg->partition, msg->offset,
	    reason);
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
