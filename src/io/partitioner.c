/* partitioner.c: which partition librdkafka's producer gives a key, as a plain function. */
#include "partitioner.h"

#include <string.h>
#include <librdkafka/rdkafka.h>

/* One name per kind, indexed by enum partitioner_kind; the names are librdkafka's. */
static const char *const partitioner_names[] = {
	[PARTITIONER_CONSISTENT_RANDOM] = "consistent_random",
	[PARTITIONER_MURMUR2_RANDOM] = "murmur2_random",
};

/* See partitioner.h. */
bool partitioner_parse(const char *s, enum partitioner_kind *out)
{
	for (size_t i = 0; i < sizeof(partitioner_names) / sizeof(partitioner_names[0]); i++) {
		if (strcmp(s, partitioner_names[i]) == 0) {
			*out = (enum partitioner_kind)i;
			return true;
		}
	}
	return false;
}

/* See partitioner.h. */
const char *partitioner_name(enum partitioner_kind k)
{
	return partitioner_names[k];
}

/*
 * See partitioner.h. librdkafka's own exported functions do the hashing, so the answer
 * is the producer's by construction. The *_random variants differ from the plain ones
 * only for a keyless message, where they read the topic handle (there is none here) to
 * pick a random available partition; for any key they return exactly what these return
 * (rdkafka_msg.c; tests/unit/test_partitioner.c checks it).
 */
uint32_t partitioner_of(enum partitioner_kind k, const char *key, size_t len, uint32_t count)
{
	const char *k0 = key != NULL ? key : "";
	int32_t p;

	if (k == PARTITIONER_MURMUR2_RANDOM)
		p = rd_kafka_msg_partitioner_murmur2(NULL, k0, len, (int32_t)count, NULL, NULL);
	else
		p = rd_kafka_msg_partitioner_consistent(NULL, k0, len, (int32_t)count, NULL, NULL);
	return (uint32_t)p;
}
