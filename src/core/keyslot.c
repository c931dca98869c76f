/* keyslot.c: the Redis Cluster slot of a key, hash tags included (pure). */
#include "keyslot.h"

#include <stdint.h>
#include <string.h>

/* CRC16-XMODEM (poly 0x1021, init 0), the checksum Redis Cluster hashes keys with. */
static uint16_t keyslot_crc16(const unsigned char *p, size_t len)
{
	uint16_t crc = 0;

	for (size_t i = 0; i < len; i++) {
		crc ^= (uint16_t)(p[i] << 8);
		for (int bit = 0; bit < 8; bit++)
			crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
	}
	return crc;
}

/* See keyslot.h. */
unsigned keyslot(const char *key, size_t len)
{
	const char *open = memchr(key, '{', len), *close;

	/* Only the first '{' counts, and only with a '}' after it and a non-empty tag between. */
	if (open != NULL) {
		close = memchr(open + 1, '}', len - (size_t)(open + 1 - key));
		if (close != NULL && close > open + 1) {
			key = open + 1;
			len = (size_t)(close - key);
		}
	}
	return keyslot_crc16((const unsigned char *)key, len) & (KEYSLOT_COUNT - 1);
}

/* See keyslot.h. */
bool keyslot_same(const char *const *keys, const size_t *lens, size_t n)
{
	unsigned first;

	if (n == 0)
		return true;
	first = keyslot(keys[0], lens[0]);
	for (size_t i = 1; i < n; i++)
		if (keyslot(keys[i], lens[i]) != first)
			return false;
	return true;
}
