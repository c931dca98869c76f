/* outbox.c: what a task must send, numbered, kept until delivered and saved with the task (pure). */
#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "mpack.h"

/* Bumped when the entry record changes. */
#define OUTBOX_VERSION 1
/* [version, kind, dest, data] */
#define OUTBOX_FIELDS 4

/* See outbox.h. */
void outbox_init(struct outbox *o)
{
	memset(o, 0, sizeof(*o));
	o->next_seq = 1;
	o->flushed_below = o->sendable_below = 1;
}

/* See outbox.h. */
void outbox_free(struct outbox *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->v[i].data);
	free(o->v);
	free(o->done);
	memset(o, 0, sizeof(*o));
}

/* Makes room for one more entry. */
static bool outbox_room(struct outbox *o)
{
	struct outbox_entry *v;
	size_t cap;

	if (o->n < o->cap)
		return true;
	cap = o->cap ? o->cap * 2 : 16;
	if ((v = realloc(o->v, cap * sizeof(*v))) == NULL)
		return false;
	o->v = v;
	o->cap = cap;
	return true;
}

/* See outbox.h. */
bool outbox_add(struct outbox *o, enum outbox_kind kind, uint32_t dest, char *data, size_t len)
{
	if (!outbox_room(o)) {
		free(data);
		return false;
	}
	o->v[o->n++] = (struct outbox_entry){o->next_seq++, kind, dest, data, len};
	return true;
}

/* See outbox.h. */
uint64_t outbox_next_seq(const struct outbox *o)
{
	return o->next_seq;
}

/* See outbox.h. */
bool outbox_changed(const struct outbox *o)
{
	return o->reported < o->n || o->done_n > 0;
}

/* Encodes an entry's checkpoint record. */
static bool outbox_pack(msgpack_sbuffer *sb, const struct outbox_entry *e)
{
	msgpack_packer pk;

	msgpack_sbuffer_clear(sb);
	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
	return !(msgpack_pack_array(&pk, OUTBOX_FIELDS) || msgpack_pack_int(&pk, OUTBOX_VERSION) ||
	    msgpack_pack_int(&pk, (int)e->kind) || msgpack_pack_uint32(&pk, e->dest) ||
	    msgpack_pack_bin(&pk, e->len) || msgpack_pack_bin_body(&pk, e->data, e->len));
}

/* See outbox.h. */
bool outbox_flush(struct outbox *o, const struct outbox_sink *sink)
{
	msgpack_sbuffer sb;
	bool ok = false;

	msgpack_sbuffer_init(&sb);
	for (; o->reported < o->n; o->reported++)
		if (!outbox_pack(&sb, &o->v[o->reported]) ||
		    !sink->added(sink->arg, &o->v[o->reported], sb.data, sb.size))
			goto out;
	for (size_t i = 0; i < o->done_n; i++)
		if (!sink->removed(sink->arg, o->done[i]))
			goto out;
	o->done_n = 0;
	o->flushed_below = o->next_seq;
	ok = true;
out:
	msgpack_sbuffer_destroy(&sb);
	return ok;
}

/* See outbox.h. */
void outbox_committed(struct outbox *o)
{
	o->sendable_below = o->flushed_below;
}

/* See outbox.h. */
const struct outbox_entry *outbox_after(const struct outbox *o, uint64_t seq)
{
	for (size_t i = 0; i < o->n && o->v[i].seq < o->sendable_below; i++)
		if (o->v[i].seq > seq)
			return &o->v[i];
	return NULL;
}

/* See outbox.h. */
void outbox_delivered(struct outbox *o, uint64_t seq)
{
	for (size_t i = 0; i < o->n; i++) {
		if (o->v[i].seq != seq)
			continue;
		if (o->done_n == o->done_cap) {
			size_t cap = o->done_cap ? o->done_cap * 2 : 16;
			uint64_t *d = realloc(o->done, cap * sizeof(*d));

			if (d == NULL)
				return; /* kept: sent again later, which every receiver tolerates */
			o->done = d;
			o->done_cap = cap;
		}
		o->done[o->done_n++] = seq;
		free(o->v[i].data);
		memmove(&o->v[i], &o->v[i + 1], (o->n - i - 1) * sizeof(*o->v));
		o->n--;
		if (i < o->reported)
			o->reported--;
		return;
	}
}

/* True when o holds entry seq, committed or not (entries are in sequence order). */
static bool outbox_holds(const struct outbox *o, uint64_t seq)
{
	size_t lo = 0, hi = o->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (o->v[mid].seq == seq)
			return true;
		if (o->v[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* See outbox.h. */
void outbox_delivered_by(struct outbox *o, const struct outbox *prev)
{
	for (size_t i = 0; i < o->n;) {
		size_t n = o->n;

		if (o->v[i].seq < prev->next_seq && !outbox_holds(prev, o->v[i].seq))
			outbox_delivered(o, o->v[i].seq);
		if (o->n == n) /* kept (or out of memory: then sent again, which receivers tolerate) */
			i++;
	}
}

/* See outbox.h. */
void outbox_restore_seq(struct outbox *o, uint64_t next_seq)
{
	o->next_seq = next_seq;
}

/* See outbox.h. */
bool outbox_restore(struct outbox *o, uint64_t seq, const char *blob, size_t len, uint32_t tasks)
{
	msgpack_unpacked u;
	uint64_t version, kind, dest;
	char *data;
	bool ok = false;

	msgpack_unpacked_init(&u);
	if (!mpack_one(&u, blob, len) || u.data.type != MSGPACK_OBJECT_ARRAY || u.data.via.array.size != OUTBOX_FIELDS)
		goto out;
	const msgpack_object *m = u.data.via.array.ptr;
	if (!mpack_uint(&m[0], OUTBOX_VERSION, &version) || version != OUTBOX_VERSION ||
	    !mpack_uint(&m[1], OUTBOX_ALERT, &kind) || tasks == 0 || !mpack_uint(&m[2], tasks - 1, &dest) ||
	    m[3].type != MSGPACK_OBJECT_BIN || seq == 0 || !outbox_room(o) ||
	    (data = malloc(m[3].via.bin.size + 1)) == NULL)
		goto out;
	memcpy(data, m[3].via.bin.ptr, m[3].via.bin.size);
	data[m[3].via.bin.size] = '\0';
	o->v[o->n++] = (struct outbox_entry){seq, (enum outbox_kind)kind, (uint32_t)dest, data, m[3].via.bin.size};
	ok = true;
out:
	msgpack_unpacked_destroy(&u);
	return ok;
}

/* Orders entries by number. */
static int outbox_cmp(const void *a, const void *b)
{
	const struct outbox_entry *x = a, *y = b;

	return (x->seq > y->seq) - (x->seq < y->seq);
}

/* See outbox.h. */
void outbox_restore_done(struct outbox *o)
{
	size_t kept = 0;

	if (o->n > 1)
		qsort(o->v, o->n, sizeof(*o->v), outbox_cmp);
	/* The same entry read twice (HSCAN may repeat one) is kept once. */
	for (size_t i = 0; i < o->n; i++) {
		if (kept > 0 && o->v[kept - 1].seq == o->v[i].seq)
			free(o->v[i].data);
		else
			o->v[kept++] = o->v[i];
	}
	o->n = kept;
	/* An entry numbered at or past the saved next number cannot be: keep numbers unique. */
	if (o->n > 0 && o->v[o->n - 1].seq >= o->next_seq)
		o->next_seq = o->v[o->n - 1].seq + 1;
	o->reported = o->n;
	o->flushed_below = o->sendable_below = o->next_seq;
}
