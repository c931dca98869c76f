/*
 * test_kafka.c: the librdkafka configuration src/io/kafka.c builds: the passthrough keys for
 * every client, and the consumer's group, with [kafka] group_instance_id as its
 * group.instance.id only.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config.h"
#include "kafka.h"

/* Asserts conf's property name reads want, or is unset for NULL (librdkafka: RD_KAFKA_CONF_UNKNOWN). */
static void assert_prop(rd_kafka_conf_t *conf, const char *name, const char *want)
{
	char buf[256];
	size_t size = sizeof(buf);
	rd_kafka_conf_res_t res = rd_kafka_conf_get(conf, name, buf, &size);

	if (want == NULL) {
		assert_int_equal(res, RD_KAFKA_CONF_UNKNOWN);
		return;
	}
	assert_int_equal(res, RD_KAFKA_CONF_OK);
	assert_string_equal(buf, want);
}

/* A configuration as a client gets it from cfg, NULL for none; with the consumer's group when group. */
static rd_kafka_conf_t *conf_of(const struct config *cfg, bool group)
{
	char err[256] = "";
	rd_kafka_conf_t *conf = kafka_conf_new(cfg, "127.0.0.1:9", err, sizeof(err));

	assert_non_null(conf);
	if (group)
		assert_true(kafka_conf_group(conf, cfg, err, sizeof(err)));
	return conf;
}

/* The key sets group.instance.id on the consumer only; unset, membership is dynamic. */
static void test_group_instance_id(void **state)
{
	struct config cfg;
	rd_kafka_conf_t *conf;

	(void)state;
	config_defaults(&cfg);
	conf = conf_of(&cfg, true);
	assert_prop(conf, "group.id", "feedbackd");
	assert_prop(conf, "group.instance.id", NULL);
	rd_kafka_conf_destroy(conf);
	cfg.group_instance_id = strdup("host-a");
	conf = conf_of(&cfg, true);
	assert_prop(conf, "group.instance.id", "host-a");
	rd_kafka_conf_destroy(conf);
	/* A producer's configuration (no group) does not carry it. */
	conf = conf_of(&cfg, false);
	assert_prop(conf, "group.instance.id", NULL);
	rd_kafka_conf_destroy(conf);
	config_free(&cfg);
}

/* The rdkafka.group.instance.id passthrough still works (for every client); the key wins over it. */
static void test_passthrough(void **state)
{
	struct config cfg;
	rd_kafka_conf_t *conf;

	(void)state;
	config_defaults(&cfg);
	cfg.rdkafka[0].name = strdup("group.instance.id");
	cfg.rdkafka[0].value = strdup("p");
	cfg.rdkafka_count = 1;
	conf = conf_of(&cfg, true);
	assert_prop(conf, "group.instance.id", "p");
	rd_kafka_conf_destroy(conf);
	conf = conf_of(&cfg, false);
	assert_prop(conf, "group.instance.id", "p");
	rd_kafka_conf_destroy(conf);
	cfg.group_instance_id = strdup("host-a");
	conf = conf_of(&cfg, true);
	assert_prop(conf, "group.instance.id", "host-a");
	rd_kafka_conf_destroy(conf);
	config_free(&cfg);
}

/* Runs the Kafka configuration tests. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_group_instance_id),
		cmocka_unit_test(test_passthrough),
	};

	return cmocka_run_group_tests_name("kafka", tests, NULL, NULL);
}
