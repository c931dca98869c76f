/* sums.c: an agent's stored window sums, as the scripts return them (pure). */
#include "sums.h"

#include <string.h>

#include <msgpack.h>

/* The array members before the first window, and per window (its first bucket, counters). */
#define SUMS_HEAD 4
#define SUMS_WINDOW (1 + COUNTER_COUNT)

/* One member as an integer; Lua numbers that are whole arrive as MessagePack integers. */
static bool sums_int(const msgpack_object *o, int64_t *out)
{
	switch (o->type) {
	case MSGPACK_OBJECT_POSITIVE_INTEGER:
		if (o->via.u64 > INT64_MAX)
			return false;
		*out = (int64_t)o->via.u64;
		return true;
	case MSGPACK_OBJECT_NEGATIVE_INTEGER:
		*out = o->via.i64;
		return true;
	default:
		return false;
	}
}

/* Fills out from a decoded array already checked to have the right size. */
static bool sums_fill(const msgpack_object *m, size_t windows, struct sums *out)
{
	if (!sums_int(&m[1], &out->version) || !sums_int(&m[2], &out->open) || !sums_int(&m[3], &out->overdue))
		return false;
	for (size_t w = 0; w < windows; w++) {
		const msgpack_object *counters = &m[SUMS_HEAD + w * SUMS_WINDOW + 1];

		for (size_t c = 0; c < COUNTER_COUNT; c++)
			if (!sums_int(&counters[c], &out->w[w].c[c]))
				return false;
	}
	return true;
}

/* See sums.h. */
bool sums_decode(const char *buf, size_t len, const char *spec, size_t windows, struct sums *out)
{
	msgpack_zone zone;
	msgpack_object o;
	const msgpack_object *m;
	size_t off = 0;
	bool ok = false;

	/* One chunk holds the whole decoded array, so the zone allocates once. */
	if (windows > WINDOWS_MAX ||
	    !msgpack_zone_init(&zone, (SUMS_HEAD + WINDOWS_MAX * SUMS_WINDOW) * sizeof(msgpack_object)))
		return false;
	if (msgpack_unpack(buf, len, &off, &zone, &o) != MSGPACK_UNPACK_SUCCESS ||
	    o.type != MSGPACK_OBJECT_ARRAY || o.via.array.size != SUMS_HEAD + windows * SUMS_WINDOW)
		goto out;
	m = o.via.array.ptr;
	if (m[0].type != MSGPACK_OBJECT_STR || m[0].via.str.size != strlen(spec) ||
	    memcmp(m[0].via.str.ptr, spec, m[0].via.str.size) != 0)
		goto out;
	ok = sums_fill(m, windows, out);
out:
	msgpack_zone_destroy(&zone);
	return ok;
}
