/*
 * mockkafka.c: a standalone librdkafka mock cluster for the integration tests.
 *
 * Usage: mockkafka -t topic1,topic2 [-p PARTITIONS] [-b BROKERS]
 *
 * Creates the topics, prints exactly one line "bootstrap=127.0.0.1:PORT" on
 * stdout once ready, then runs until SIGTERM or SIGINT and destroys the cluster.
 * It lives in its own process so a test can restart or SIGKILL the daemon while
 * the broker keeps its data (messages, committed offsets).
 */
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#define TOPIC_LIST_MAX 4096

/* Prints the usage line to stderr and returns the exit status for bad usage. */
static int usage(const char *prog)
{
	fprintf(stderr, "usage: %s -t topic1,topic2 [-p PARTITIONS] [-b BROKERS]\n", prog);
	return 2;
}

/* Parses a positive int in [1, max]; false on junk or out of range. */
static bool parse_count(const char *s, int max, int *out)
{
	char *end = NULL;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* Creates every topic of the comma list; returns 0 on success. */
static int create_topics(rd_kafka_mock_cluster_t *mc, const char *list, int partitions)
{
	char buf[TOPIC_LIST_MAX];
	char *save = NULL;
	char *tok;

	if (strlen(list) >= sizeof(buf)) {
		fprintf(stderr, "mockkafka: topic list too long\n");
		return -1;
	}
	memcpy(buf, list, strlen(list) + 1);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		rd_kafka_resp_err_t err;

		if (*tok == '\0')
			continue;
		err = rd_kafka_mock_topic_create(mc, tok, partitions, 1);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr, "mockkafka: cannot create topic %s: %s\n", tok, rd_kafka_err2str(err));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *topics = NULL;
	int partitions = 1;
	int brokers = 1;
	char errstr[512];
	rd_kafka_conf_t *conf;
	rd_kafka_t *rk;
	rd_kafka_mock_cluster_t *mc;
	sigset_t set;
	int sig = 0;
	int opt;

	while ((opt = getopt(argc, argv, "t:p:b:h")) != -1) {
		switch (opt) {
		case 't':
			topics = optarg;
			break;
		case 'p':
			if (!parse_count(optarg, 1000, &partitions))
				return usage(argv[0]);
			break;
		case 'b':
			if (!parse_count(optarg, 16, &brokers))
				return usage(argv[0]);
			break;
		default:
			return usage(argv[0]);
		}
	}
	if (topics == NULL || optind != argc)
		return usage(argv[0]);

	/* Block the stop signals before librdkafka starts threads, so they inherit the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0) {
		fprintf(stderr, "mockkafka: pthread_sigmask failed\n");
		return 1;
	}

	conf = rd_kafka_conf_new();
	if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "mockkafka: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (rk == NULL) {
		fprintf(stderr, "mockkafka: rd_kafka_new: %s\n", errstr);
		rd_kafka_conf_destroy(conf);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (mc == NULL) {
		fprintf(stderr, "mockkafka: cannot create the mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	if (create_topics(mc, topics, partitions) != 0) {
		rd_kafka_mock_cluster_destroy(mc);
		rd_kafka_destroy(rk);
		return 1;
	}

	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);

	while (sigwait(&set, &sig) != 0)
		;
	fprintf(stderr, "mockkafka: signal %d, shutting down\n", sig);

	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
