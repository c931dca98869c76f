/* embedded.c: librdkafka's mock cluster inside the daemon, for demos and tests. */
#include "embedded.h"

#include <stdio.h>
#include <stdlib.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "log.h"

struct embedded {
	rd_kafka_t *rk; /* the mock cluster needs a handle to live in */
	rd_kafka_mock_cluster_t *cluster;
};

/* Creates one topic or reports why not. */
static bool embedded_topic(struct embedded *e, const char *topic, int partitions, char *err, size_t err_size)
{
	rd_kafka_resp_err_t rerr = rd_kafka_mock_topic_create(e->cluster, topic, partitions, 1);

	if (rerr != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, err_size, "embedded kafka: create %s: %s", topic, rd_kafka_err2str(rerr));
		return false;
	}
	return true;
}

/* See embedded.h. */
struct embedded *embedded_start(const struct config *cfg, char *err, size_t err_size)
{
	struct embedded *e = calloc(1, sizeof(*e));
	bool ok = true;

	if (e == NULL)
		return NULL;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();

	/* This handle only carries the cluster; its "no bootstrap.servers" notice would mislead. */
	rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
	e->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, err_size);
	if (e->rk == NULL) {
		free(e);
		return NULL;
	}
	e->cluster = rd_kafka_mock_cluster_new(e->rk, 1);
	if (e->cluster == NULL) {
		snprintf(err, err_size, "embedded kafka: cannot start the mock cluster");
		embedded_stop(e);
		return NULL;
	}
	for (size_t i = 0; ok && i < cfg->topic_count; i++)
		ok = embedded_topic(e, cfg->topics[i], cfg->embedded_partitions, err, err_size);
	/* The mock cluster does not answer CreateTopics, so the route topic is made here. */
	ok = ok && embedded_topic(e, cfg->dlq_topic, 1, err, err_size) &&
	    embedded_topic(e, cfg->alerts_topic, 1, err, err_size) &&
	    embedded_topic(e, cfg->route_topic, cfg->tasks > 0 ? cfg->tasks : cfg->embedded_partitions, err,
	    err_size);
	if (!ok) {
		embedded_stop(e);
		return NULL;
	}
	log_notice("embedded kafka ready: bootstrap=%s", embedded_bootstrap(e));
	return e;
}

/* See embedded.h. */
const char *embedded_bootstrap(const struct embedded *e)
{
	return rd_kafka_mock_cluster_bootstraps(e->cluster);
}

/* See embedded.h. */
void embedded_stop(struct embedded *e)
{
	if (e == NULL)
		return;
	if (e->cluster != NULL)
		rd_kafka_mock_cluster_destroy(e->cluster);
	rd_kafka_destroy(e->rk);
	free(e);
}
