/* mpack.c: reading the members of the daemon's own MessagePack records, checked (pure). */
#include "mpack.h"

/* See mpack.h. */
bool mpack_int(const msgpack_object *o, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 <= INT64_MAX)
		v = (int64_t)o->via.u64;
	else if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
		v = o->via.i64;
	else
		return false;
	if (v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* See mpack.h. */
bool mpack_uint(const msgpack_object *o, uint64_t max, uint64_t *out)
{
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return false;
	*out = o->via.u64;
	return true;
}

/* See mpack.h. */
bool mpack_one(msgpack_unpacked *u, const char *buf, size_t len)
{
	size_t off = 0;

	return msgpack_unpack_next(u, buf, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len;
}
