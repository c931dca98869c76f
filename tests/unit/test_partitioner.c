/* test_partitioner.c: partitioner_of is the partition a librdkafka producer picks for a key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "partitioner.h"

/* Keys for the comparisons: short, long, unaligned lengths and bytes above 0x7f. */
#define KEY_COUNT 600
#define KEY_SIZE 48

/* Partitions of the mock topic the real producer writes to. */
#define MOCK_PARTITIONS 7

/* CRC-32 (IEEE, reflected, as zlib and librdkafka's rd_crc32), bit by bit. */
static uint32_t naive_crc32(const char *s, size_t len)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < len; i++) {
		c ^= (uint8_t)s[i];
		for (int b = 0; b < 8; b++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return c ^ 0xffffffffu;
}

/* Kafka's Java Utils.murmur2, transcribed: seed 0x9747b28c, little-endian words. */
static uint32_t naive_murmur2(const char *s, size_t len)
{
	const uint32_t m = 0x5bd1e995;
	const uint8_t *d = (const uint8_t *)s;
	uint32_t h = 0x9747b28cu ^ (uint32_t)len;
	size_t tail = len & ~(size_t)3;

	for (size_t i = 0; i < tail; i += 4) {
		uint32_t k = d[i] | (uint32_t)d[i + 1] << 8 | (uint32_t)d[i + 2] << 16 | (uint32_t)d[i + 3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)d[tail + 2] << 16;
		/* FALLTHROUGH */
	case 2:
		h ^= (uint32_t)d[tail + 1] << 8;
		/* FALLTHROUGH */
	case 1:
		h ^= d[tail];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

/* The partition of the naive model: crc32 % n, or Java's toPositive(murmur2) % n. */
static uint32_t naive_partition(enum partitioner_kind k, const char *s, size_t len, uint32_t n)
{
	if (k == PARTITIONER_MURMUR2_RANDOM)
		return (naive_murmur2(s, len) & 0x7fffffffu) % n;
	return naive_crc32(s, len) % n;
}

/* Writes key number i into buf (its length varies from 1 to KEY_SIZE - 1); returns the length. */
static size_t test_key(unsigned i, char *buf)
{
	size_t len = 1 + (i * 7) % (KEY_SIZE - 1);

	for (size_t j = 0; j < len; j++)
		buf[j] = (char)(uint8_t)((i * 131 + j * 17 + (j == 0 ? 0xc3 : 0)) & 0xff);
	return len;
}

/* The naive models give the published check values, so they are a fair reference. */
static void test_reference_values(void **state)
{
	(void)state;
	/* The CRC-32 check value (the "123456789" convention of every CRC catalogue). */
	assert_int_equal(naive_crc32("123456789", 9), 0xcbf43926u);
	assert_int_equal(naive_crc32("", 0), 0);
	/* Values of Kafka's Java murmur2, as listed in librdkafka's rdmurmur2.c unit test. */
	assert_int_equal(naive_murmur2("kafka", 5), 0xd067cf64u);
	assert_int_equal(naive_murmur2("giberish123456789", 17), 0x8f552b0cu);
	assert_int_equal(naive_murmur2("1234", 4), 0x9fc97b14u);
	assert_int_equal(naive_murmur2("234", 3), 0xe7c009cau);
	assert_int_equal(naive_murmur2("", 0), 0x106e08d9u);
}

/* A few keys by hand: the hashes above, reduced. */
static void test_known_partitions(void **state)
{
	(void)state;
	assert_int_equal(partitioner_of(PARTITIONER_CONSISTENT_RANDOM, "123456789", 9, 1000),
	    0xcbf43926u % 1000); /* 3421780262 % 1000 = 262 */
	assert_int_equal(partitioner_of(PARTITIONER_CONSISTENT_RANDOM, "123456789", 9, 1000), 262);
	assert_int_equal(partitioner_of(PARTITIONER_MURMUR2_RANDOM, "kafka", 5, 100), 80);
	assert_int_equal(partitioner_of(PARTITIONER_MURMUR2_RANDOM, "giberish123456789", 17, 1024),
	    (0x8f552b0cu & 0x7fffffffu) % 1024);
	/* One partition: everything goes there. */
	assert_int_equal(partitioner_of(PARTITIONER_CONSISTENT_RANDOM, "kafka", 5, 1), 0);
	assert_int_equal(partitioner_of(PARTITIONER_MURMUR2_RANDOM, "kafka", 5, 1), 0);
	/* Empty keys hash the empty string, NULL or not. */
	assert_int_equal(partitioner_of(PARTITIONER_CONSISTENT_RANDOM, "", 0, 12), 0);
	assert_int_equal(partitioner_of(PARTITIONER_CONSISTENT_RANDOM, NULL, 0, 12), 0);
	assert_int_equal(partitioner_of(PARTITIONER_MURMUR2_RANDOM, NULL, 0, 12), 0x106e08d9u % 12);
	/* Only len bytes count. */
	assert_int_equal(partitioner_of(PARTITIONER_MURMUR2_RANDOM, "kafkaXYZ", 5, 100), 80);
}

/* Many keys and partition counts agree with the naive models and with the *_random functions. */
static void test_models_agree(void **state)
{
	static const uint32_t counts[] = {1, 2, 3, 4, 7, 12, 64, 1000, 1024};
	char key[KEY_SIZE];
	unsigned differ = 0;

	(void)state;
	for (unsigned i = 0; i < KEY_COUNT; i++) {
		size_t len = test_key(i, key);

		for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
			uint32_t n = counts[c];
			uint32_t crc = partitioner_of(PARTITIONER_CONSISTENT_RANDOM, key, len, n);
			uint32_t mur = partitioner_of(PARTITIONER_MURMUR2_RANDOM, key, len, n);

			assert_int_equal(crc, naive_partition(PARTITIONER_CONSISTENT_RANDOM, key, len, n));
			assert_int_equal(mur, naive_partition(PARTITIONER_MURMUR2_RANDOM, key, len, n));
			/* With a key the *_random functions never touch the (NULL) topic handle. */
			assert_int_equal(crc, rd_kafka_msg_partitioner_consistent_random(NULL, key, len,
			    (int32_t)n, NULL, NULL));
			assert_int_equal(mur, rd_kafka_msg_partitioner_murmur2_random(NULL, key, len,
			    (int32_t)n, NULL, NULL));
			differ += crc != mur;
		}
	}
	/* The two really are different functions. */
	assert_true(differ > KEY_COUNT);
}

/* Names read back; anything else is refused and leaves the output alone. */
static void test_names(void **state)
{
	enum partitioner_kind k = PARTITIONER_MURMUR2_RANDOM;

	(void)state;
	assert_true(partitioner_parse("consistent_random", &k));
	assert_int_equal(k, PARTITIONER_CONSISTENT_RANDOM);
	assert_string_equal(partitioner_name(k), "consistent_random");
	assert_true(partitioner_parse("murmur2_random", &k));
	assert_int_equal(k, PARTITIONER_MURMUR2_RANDOM);
	assert_string_equal(partitioner_name(k), "murmur2_random");
	assert_false(partitioner_parse("murmur2", &k));
	assert_false(partitioner_parse("consistent", &k));
	assert_false(partitioner_parse("", &k));
	assert_false(partitioner_parse("Murmur2_random", &k));
	assert_false(partitioner_parse("murmur2_random ", &k));
	assert_int_equal(k, PARTITIONER_MURMUR2_RANDOM);
}

/* The partition each delivery report names, by message index. */
struct delivered {
	int32_t partition[KEY_COUNT];
	int count;
};

/* Records where librdkafka put a message. */
static void test_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct delivered *d = opaque;
	uintptr_t i = (uintptr_t)m->_private;

	(void)rk;
	assert_int_equal(m->err, RD_KAFKA_RESP_ERR_NO_ERROR);
	d->partition[i] = m->partition;
	d->count++;
}

/* A real producer with librdkafka's "partitioner" set to k, against the mock cluster. */
static void test_producer_picks(enum partitioner_kind k)
{
	char err[512], key[KEY_SIZE];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *mock_rk, *rk;
	rd_kafka_mock_cluster_t *mc;
	struct delivered d = {{0}, 0};

	rd_kafka_conf_set(conf, "log_level", "3", NULL, 0);
	mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(mock_rk);
	mc = rd_kafka_mock_cluster_new(mock_rk, 1);
	assert_non_null(mc);
	assert_int_equal(rd_kafka_mock_topic_create(mc, "keys", MOCK_PARTITIONS, 1), RD_KAFKA_RESP_ERR_NO_ERROR);
	conf = rd_kafka_conf_new();
	assert_int_equal(rd_kafka_conf_set(conf, "bootstrap.servers", rd_kafka_mock_cluster_bootstraps(mc), err,
	    sizeof(err)), RD_KAFKA_CONF_OK);
	assert_int_equal(rd_kafka_conf_set(conf, "partitioner", partitioner_name(k), err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	rd_kafka_conf_set_dr_msg_cb(conf, test_on_delivery);
	rd_kafka_conf_set_opaque(conf, &d);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
	assert_non_null(rk);
	for (unsigned i = 0; i < KEY_COUNT; i++) {
		size_t len = test_key(i, key);

		assert_int_equal(rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("keys"), RD_KAFKA_V_KEY(key, len),
		    RD_KAFKA_V_VALUE("v", 1), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END), RD_KAFKA_RESP_ERR_NO_ERROR);
	}
	assert_int_equal(rd_kafka_flush(rk, 30000), RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(d.count, KEY_COUNT);
	for (unsigned i = 0; i < KEY_COUNT; i++) {
		size_t len = test_key(i, key);

		assert_int_equal(d.partition[i], partitioner_of(k, key, len, MOCK_PARTITIONS));
	}
	rd_kafka_destroy(rk);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(mock_rk);
}

/* librdkafka's default partitioner, end to end. */
static void test_producer_consistent_random(void **state)
{
	(void)state;
	test_producer_picks(PARTITIONER_CONSISTENT_RANDOM);
}

/* The Java-compatible partitioner, end to end. */
static void test_producer_murmur2_random(void **state)
{
	(void)state;
	test_producer_picks(PARTITIONER_MURMUR2_RANDOM);
}

/* Runs every test. */
int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_values),
		cmocka_unit_test(test_known_partitions),
		cmocka_unit_test(test_models_agree),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_producer_consistent_random),
		cmocka_unit_test(test_producer_murmur2_random),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
