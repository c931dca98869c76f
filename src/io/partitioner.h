/* partitioner.h: which partition librdkafka's producer gives a key, as a plain function. */
#ifndef FEEDBACKD_PARTITIONER_H
#define FEEDBACKD_PARTITIONER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The partitioners feedbackd can reproduce. It must be the one the producers of the
 * input topics use, so an event is applied where it is read; a mismatch only costs a
 * forward through the route topic, never correctness.
 */
enum partitioner_kind {
	PARTITIONER_CONSISTENT_RANDOM, /* librdkafka's default (kcat, confluent clients): crc32 */
	PARTITIONER_MURMUR2_RANDOM,    /* the Java client's default: murmur2 */
};

/* Reads "consistent_random" or "murmur2_random"; false for anything else. */
bool partitioner_parse(const char *s, enum partitioner_kind *out);

/* The name partitioner_parse() reads, as librdkafka's "partitioner" property spells it. */
const char *partitioner_name(enum partitioner_kind k);

/*
 * The partition in [0, count) a librdkafka producer configured with partitioner k
 * picks for a message with this key; count must be at least 1. An empty key (which
 * a producer spreads at random) gets the hash of the empty string, so the answer is
 * always the same for the same key.
 */
uint32_t partitioner_of(enum partitioner_kind k, const char *key, size_t len, uint32_t count);

#endif
