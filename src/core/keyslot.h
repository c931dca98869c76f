/* keyslot.h: the Redis Cluster slot of a key, hash tags included (pure). */
#ifndef FEEDBACKD_KEYSLOT_H
#define FEEDBACKD_KEYSLOT_H

#include <stdbool.h>
#include <stddef.h>

/* Redis Cluster's slot count: a slot is CRC16(key or tag) mod this. */
#define KEYSLOT_COUNT 16384

/*
 * The slot Redis Cluster gives key: CRC16-XMODEM of the hash tag (the bytes between the
 * first '{' and the first '}' after it, when that is not empty), else of the whole key,
 * mod KEYSLOT_COUNT.
 */
unsigned keyslot(const char *key, size_t len);

/* True when all n keys share one slot (n == 0 included): one call may touch them all. */
bool keyslot_same(const char *const *keys, const size_t *lens, size_t n);

#endif
