/* mpack.h: reading the members of the daemon's own MessagePack records, checked (pure). */
#ifndef FEEDBACKD_MPACK_H
#define FEEDBACKD_MPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

/* An integer member within [min, max] into *out; false for anything else. */
bool mpack_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out);

/* A non-negative integer member of at most max into *out; false for anything else. */
bool mpack_uint(const msgpack_object *o, uint64_t max, uint64_t *out);

/* Unpacks buf into u when it holds exactly one object (nothing before or after it). */
bool mpack_one(msgpack_unpacked *u, const char *buf, size_t len);

#endif
