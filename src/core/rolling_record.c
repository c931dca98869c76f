/* rolling_record.c: one owner's rolling counters as a checkpoint record, checked on the way back, and widened (pure). */
#include "rolling.h"
#include "rolling_state.h"

#include <stdlib.h>
#include <string.h>

/* See rolling.h. */
bool
rolling_pack(msgpack_packer *pk, const struct rolling *r, const struct rolling_plan *plan)
{
	size_t	h = rolling_hdr_size(plan);
	bool	ok;

	ok = msgpack_pack_array(pk, ROLLING_PACK_MEMBERS) == 0 &&
	    msgpack_pack_uint32(pk, ROLLING_VERSION) == 0 &&
	    msgpack_pack_uint32(pk, plan->id) == 0 &&
	    msgpack_pack_array(pk, plan->tiers) == 0;
	for (size_t t = 0; ok && t < plan->tiers; t++)
		ok = msgpack_pack_uint32(pk, r->buf != NULL ? rolling_sec_len(r, t) : 0) == 0;
	if (!ok || msgpack_pack_bin(pk, r->buf != NULL ? r->len - h : 0) != 0)
		return false;
	return r->buf == NULL || msgpack_pack_bin_body(pk, r->buf + h, r->len - h) == 0;
}

/* Whether o is a MessagePack unsigned integer equal to v. */
static bool
rolling_is_uint(const msgpack_object *o, uint64_t v)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER && o->via.u64 == v;
}

/* Checks every record of every section of a fresh buffer and works out its due time. */
static bool
rolling_check(struct rolling *r, const struct rolling_plan *plan)
{
	int64_t	due = INT64_MAX;

	for (size_t t = 0; t < plan->tiers; t++) {
		size_t		 base = rolling_sec_start(r, plan, t);
		const uint8_t	*p = r->buf + base, *end = p + rolling_sec_len(r, t);
		int64_t		 prev = ROLLING_NO_PREV;

		while (p < end) {
			int64_t		 idx = 0, d;
			uint64_t	 mask = 0;

			if ((p = rolling_head(p, end, plan, t, prev, &idx, &mask)) == NULL ||
			    (p = rolling_vals(p, end, plan, mask, NULL)) == NULL)
				return false;
			if ((d = rolling_rec_due(plan, t, idx * plan->gran_ms[t])) < due)
				due = d;
			prev = idx;
		}
	}
	rolling_set_due(r, due);
	return true;
}

/* See rolling.h. */
bool
rolling_unpack(const msgpack_object *o, struct rolling *r, const struct rolling_plan *plan)
{
	const msgpack_object	*m, *lens;
	struct rolling		 n = { NULL, 0, 0 };
	size_t			 h = rolling_hdr_size(plan), total = 0;

	if (o->type != MSGPACK_OBJECT_ARRAY || o->via.array.size != ROLLING_PACK_MEMBERS)
		return false;
	m = o->via.array.ptr;
	if (!rolling_is_uint(&m[0], ROLLING_VERSION) || !rolling_is_uint(&m[1], plan->id) ||
	    m[2].type != MSGPACK_OBJECT_ARRAY || m[2].via.array.size != plan->tiers ||
	    m[3].type != MSGPACK_OBJECT_BIN || m[3].via.bin.size > ROLLING_LEN_MAX - h)
		return false;
	lens = m[2].via.array.ptr;
	for (size_t t = 0; t < plan->tiers; t++) {
		if (lens[t].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    lens[t].via.u64 > m[3].via.bin.size - total)
			return false;
		total += (size_t)lens[t].via.u64;
	}
	if (total != m[3].via.bin.size)
		return false;
	if (total > 0) {
		if ((n.buf = malloc(h + total)) == NULL)
			return false;
		n.len = n.cap = (uint32_t)(h + total);
		memcpy(n.buf + h, m[3].via.bin.ptr, total);
		for (size_t t = 0; t < plan->tiers; t++)
			rolling_set_sec_len(&n, t, (uint32_t)lens[t].via.u64);
		if (!rolling_check(&n, plan)) {
			rolling_free(&n);
			return false;
		}
	}
	rolling_free(r);
	*r = n;
	return true;
}

/* See rolling.h. */
bool
rolling_widen(struct rolling *r, const struct rolling_plan *from, const struct rolling_plan *to)
{
	uint64_t	low = from->slots < 64 ? (UINT64_C(1) << from->slots) - 1 : UINT64_MAX;
	struct rolling	n = { NULL, 0, 0 };

	if (from->tiers != to->tiers || from->slots > to->slots || (to->max_slots & low) != from->max_slots ||
	    memcmp(from->span_ms, to->span_ms, sizeof to->span_ms) != 0 ||
	    memcmp(from->gran_ms, to->gran_ms, sizeof to->gran_ms) != 0)
		return false;
	if (r->buf == NULL)
		return true;
	if (!rolling_start(&n, to))
		return false;
	/* Coarsest first, as the sections lie, so each record goes at the end: nothing moves. */
	for (size_t t = to->tiers; t-- > 0;) {
		const uint8_t	*p = r->buf + rolling_sec_start(r, from, t), *end = p + rolling_sec_len(r, t);
		int64_t		 prev = ROLLING_NO_PREV;

		while (p < end) {
			uint8_t		rec[ROLLING_REC_MAX];
			int64_t		idx = 0, vals[ROLLING_SLOTS_MAX];
			uint64_t	mask = 0;
			size_t		len;

			memset(vals, 0, to->slots * sizeof vals[0]);
			p = rolling_head(p, end, from, t, prev, &idx, &mask);
			p = rolling_vals(p, end, from, mask, vals);
			len = rolling_write(rec, to, (uint64_t)(prev == ROLLING_NO_PREV ? idx : prev - idx), vals);
			if (!rolling_splice(&n, t, n.len, 0, rec, len)) {
				rolling_free(&n);
				return false;
			}
			prev = idx;
		}
	}
	/* Same buckets, same windows: the same due time. */
	rolling_set_due(&n, rolling_due(r));
	rolling_free(r);
	*r = n;
	return true;
}

/*
 * Whether buf is one complete object of only what rolling_pack() writes (fixarrays, unsigned
 * integers, bins): msgpack_unpack_next() would allocate for a huge array's claim first.
 */
static bool
rolling_mp_plain(const uint8_t *p, size_t len)
{
	const uint8_t	*end = p + len;
	size_t		 want = 1;

	while (want-- > 0) {
		uint64_t	n = 0;
		uint8_t		b;

		if (p >= end)
			return false;
		if ((b = *p++) >= 0x90 && b <= 0x9f)
			want += b & 0x0f;
		else if (b >= 0xcc && b <= 0xcf)
			n = UINT64_C(1) << (b - 0xcc);
		else if (b >= 0xc4 && b <= 0xc6) {
			size_t	ls = (size_t)1 << (b - 0xc4);

			if ((size_t)(end - p) < ls)
				return false;
			for (size_t i = 0; i < ls; i++)
				n = n << 8 | *p++;
		} else if (b > 0x7f)
			return false;
		if (n > (uint64_t)(end - p))
			return false;
		p += n;
	}
	return true;
}

/* See rolling.h. */
bool
rolling_decode(const char *buf, size_t len, struct rolling *r, const struct rolling_plan *plan)
{
	msgpack_unpacked	u;
	size_t			off = 0;
	bool			ok;

	if (!rolling_mp_plain((const uint8_t *)buf, len))
		return false;
	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, buf, len, &off) == MSGPACK_UNPACK_SUCCESS && off == len &&
	    rolling_unpack(&u.data, r, plan);
	msgpack_unpacked_destroy(&u);
	return ok;
}
