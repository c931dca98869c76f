/* idmap.c: a map from a byte-string id (agent, ticket) to the caller's 32-bit index (pure). */
#include "idmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "probe.h"

/*
 * Open addressing with linear probing over 16-byte slots and backward-shift deletion, so
 * there are no tombstones. A key of up to IDMAP_INLINE bytes (a ticket id like
 * "T-000123456") lives in its slot: a lookup reads one slot run and nothing else. A longer
 * key lives in the arena and its slot keeps 32 hash bits to compare first. The home slot is a
 * multiply-shift of hash bits, so any capacity works (no rounding up to a power of two).
 */
#define IDMAP_MIN_SLOTS 16
#define IDMAP_MAX_SLOTS UINT32_MAX
/* Grow past 80 % full, by half. */
#define IDMAP_LOAD_NUM 4
#define IDMAP_LOAD_DEN 5
#define IDMAP_INLINE 11
#define IDMAP_MIN_ARENA 256

/* One entry; len 0 marks an empty slot. */
struct idmap_slot {
	uint32_t value;
	uint8_t len;
	/*
	 * len <= IDMAP_INLINE: the key; longer: 32 hash bits, then the key's arena offset, or in a
	 * borrowing map the key's address, then its hash bits 8-31
	 */
	uint8_t key[IDMAP_INLINE];
};

_Static_assert(sizeof(struct idmap_slot) == 16, "an idmap slot is 16 bytes");
_Static_assert(sizeof(const uint8_t *) + 3 <= IDMAP_INLINE, "a borrowed key's address and 24 hash bits fit a slot");

struct idmap {
	struct idmap_slot *slots;
	uint32_t cap;
	uint32_t count;
	uint8_t *arena; /* the keys longer than IDMAP_INLINE */
	size_t arena_len; /* bytes in use, garbage included */
	size_t arena_cap;
	size_t garbage; /* bytes of deleted keys */
	bool borrows;   /* long keys are the caller's (idmap_new_borrowing) */
};

/* The 32 hash bits a key is placed by. */
static uint32_t idmap_hash(const void *key, size_t len)
{
	return (uint32_t)(XXH3_64bits(key, len) >> 32);
}

/* A 32-bit field of a long key's slot: 0 the hash bits, 1 the arena offset. */
static uint32_t idmap_field(const struct idmap_slot *s, int k)
{
	uint32_t v;

	memcpy(&v, s->key + 4 * k, sizeof(v));
	return v;
}

/* The caller's address of a borrowed long key in slot s. */
static const uint8_t *idmap_borrowed(const struct idmap_slot *s)
{
	const uint8_t *p;

	memcpy(&p, s->key, sizeof(p));
	return p;
}

/* The hash bits a long key's slot keeps to compare first: all 32, or 24 in a borrowing map. */
static uint32_t idmap_check_bits(const struct idmap *m, uint32_t hash)
{
	return m->borrows ? hash >> 8 : hash;
}

/* The check bits kept in a long key's slot. */
static uint32_t idmap_slot_check(const struct idmap *m, const struct idmap_slot *s)
{
	const uint8_t *c = s->key + sizeof(const uint8_t *);

	if (!m->borrows)
		return idmap_field(s, 0);
	return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16;
}

/* The bytes of the key in slot s. */
static const uint8_t *idmap_slot_key(const struct idmap *m, const struct idmap_slot *s)
{
	if (s->len <= IDMAP_INLINE)
		return s->key;
	return m->borrows ? idmap_borrowed(s) : m->arena + idmap_field(s, 1);
}

/* The hash bits of the key in slot s (an inline or borrowed key is hashed again: no room to keep them). */
static uint32_t idmap_slot_hash(const struct idmap *m, const struct idmap_slot *s)
{
	if (s->len <= IDMAP_INLINE || m->borrows)
		return idmap_hash(idmap_slot_key(m, s), s->len);
	return idmap_field(s, 0);
}

/* The slot a key with these hash bits would take in an empty table of cap slots. */
static uint32_t idmap_home(uint32_t hash, uint32_t cap)
{
	return probe_home(hash, cap);
}

/* The slot after i, wrapping. */
static uint32_t idmap_next_slot(const struct idmap *m, uint32_t i)
{
	return probe_next(i, m->cap);
}

/* Slots for n entries at the growth load, at least the minimum; 0 if that is too many. */
static uint32_t idmap_slots_for(size_t n)
{
	uint64_t cap;

	if (n > IDMAP_MAX_SLOTS)
		return 0;
	cap = (uint64_t)n * IDMAP_LOAD_DEN / IDMAP_LOAD_NUM + 1;
	if (cap < IDMAP_MIN_SLOTS)
		cap = IDMAP_MIN_SLOTS;
	return cap > IDMAP_MAX_SLOTS ? 0 : (uint32_t)cap;
}

/* The slot holding key, or the empty slot ending its run. */
static uint32_t idmap_find(const struct idmap *m, const void *key, size_t len, uint32_t hash)
{
	uint32_t i = idmap_home(hash, m->cap);

	for (;;) {
		const struct idmap_slot *s = &m->slots[i];

		if (s->len == 0)
			return i;
		if (s->len == len && (len <= IDMAP_INLINE || idmap_slot_check(m, s) == idmap_check_bits(m, hash)) &&
		    memcmp(idmap_slot_key(m, s), key, len) == 0)
			return i;
		i = idmap_next_slot(m, i);
	}
}

/* The empty slot ending the run from a hash's home (the key is known to be absent). */
static uint32_t idmap_free_slot(const struct idmap *m, uint32_t hash)
{
	uint32_t i = idmap_home(hash, m->cap);

	while (m->slots[i].len != 0)
		i = idmap_next_slot(m, i);
	return i;
}

/* Moves every entry into a fresh table of cap slots (cap > count); false when out of memory. */
static bool idmap_rehash(struct idmap *m, uint32_t cap)
{
	struct idmap_slot *old = m->slots;
	uint32_t old_cap = m->cap;
	struct idmap_slot *slots = calloc(cap, sizeof(*slots));

	if (slots == NULL)
		return false;
	m->slots = slots;
	m->cap = cap;
	for (uint32_t i = 0; i < old_cap; i++) {
		if (old[i].len != 0)
			m->slots[idmap_free_slot(m, idmap_slot_hash(m, &old[i]))] = old[i];
	}
	free(old);
	return true;
}

/* Copies the live long keys into a fresh arena of cap bytes, dropping the garbage; false when out of memory. */
static bool idmap_compact(struct idmap *m, size_t cap)
{
	uint8_t *arena = malloc(cap);
	uint32_t len = 0;

	if (arena == NULL)
		return false;
	for (uint32_t i = 0; i < m->cap; i++) {
		struct idmap_slot *s = &m->slots[i];

		if (s->len <= IDMAP_INLINE)
			continue;
		memcpy(arena + len, idmap_slot_key(m, s), s->len);
		memcpy(s->key + 4, &len, sizeof(len));
		len += s->len;
	}
	free(m->arena);
	m->arena = arena;
	m->arena_len = len;
	m->arena_cap = cap;
	m->garbage = 0;
	return true;
}

/*
 * Makes room for need more arena bytes: compacts when at least half of it is garbage (so
 * deleted keys cost at most as much as live ones), otherwise grows by half. false when out
 * of memory or past the 4 GiB offsets can reach.
 */
static bool idmap_arena_room(struct idmap *m, size_t need)
{
	size_t cap;

	if (m->arena_len + need <= m->arena_cap)
		return true;
	if (m->garbage * 2 >= m->arena_len) {
		cap = m->arena_cap;
		if ((m->arena_len - m->garbage) + need > cap)
			cap = (m->arena_len - m->garbage) + need;
	} else {
		cap = m->arena_cap + m->arena_cap / 2;
		if (cap < IDMAP_MIN_ARENA)
			cap = IDMAP_MIN_ARENA;
		if (m->arena_len + need > cap)
			cap = m->arena_len + need;
	}
	return cap <= UINT32_MAX && idmap_compact(m, cap);
}

/* See idmap.h. */
struct idmap *idmap_new(size_t expected)
{
	uint32_t cap = idmap_slots_for(expected);
	struct idmap *m = cap == 0 ? NULL : calloc(1, sizeof(*m));

	if (m == NULL)
		return NULL;
	m->slots = calloc(cap, sizeof(*m->slots));
	if (m->slots == NULL) {
		free(m);
		return NULL;
	}
	m->cap = cap;
	return m;
}

/* See idmap.h. */
struct idmap *idmap_new_borrowing(size_t expected)
{
	struct idmap *m = idmap_new(expected);

	if (m != NULL)
		m->borrows = true;
	return m;
}

/* See idmap.h. */
void idmap_free(struct idmap *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m->arena);
	free(m);
}

/* See idmap.h. */
int idmap_put(struct idmap *m, const void *key, size_t len, uint32_t value)
{
	uint32_t hash;
	uint32_t i;
	struct idmap_slot *s;

	if (len == 0 || len > IDMAP_MAX_KEY)
		return -1;
	hash = idmap_hash(key, len);
	i = idmap_find(m, key, len, hash);
	if (m->slots[i].len != 0) {
		m->slots[i].value = value;
		if (m->borrows && len > IDMAP_INLINE)
			memcpy(m->slots[i].key, &key, sizeof(key)); /* the caller may have moved it */
		return 0;
	}
	if ((uint64_t)m->count + 1 > (uint64_t)m->cap * IDMAP_LOAD_NUM / IDMAP_LOAD_DEN) {
		uint64_t cap = (uint64_t)m->cap + m->cap / 2;

		if (cap > IDMAP_MAX_SLOTS || !idmap_rehash(m, (uint32_t)cap))
			return -1;
		i = idmap_free_slot(m, hash);
	}
	if (len > IDMAP_INLINE && !m->borrows && !idmap_arena_room(m, len))
		return -1;
	s = &m->slots[i];
	memset(s, 0, sizeof(*s));
	s->value = value;
	s->len = (uint8_t)len;
	if (len <= IDMAP_INLINE) {
		memcpy(s->key, key, len);
	} else if (m->borrows) {
		uint32_t check = idmap_check_bits(m, hash);

		memcpy(s->key, &key, sizeof(key));
		for (size_t b = 0; b < 3; b++)
			s->key[sizeof(key) + b] = (uint8_t)(check >> (8 * b));
	} else {
		uint32_t off = (uint32_t)m->arena_len;

		memcpy(s->key, &hash, sizeof(hash));
		memcpy(s->key + 4, &off, sizeof(off));
		memcpy(m->arena + off, key, len);
		m->arena_len += len;
	}
	m->count++;
	return 1;
}

/* See idmap.h. */
bool idmap_get(const struct idmap *m, const void *key, size_t len, uint32_t *value)
{
	uint32_t i;

	if (len == 0 || len > IDMAP_MAX_KEY)
		return false;
	i = idmap_find(m, key, len, idmap_hash(key, len));
	if (m->slots[i].len == 0)
		return false;
	if (value != NULL)
		*value = m->slots[i].value;
	return true;
}

/* See idmap.h. */
bool idmap_del(struct idmap *m, const void *key, size_t len, uint32_t *value)
{
	uint32_t hole;

	if (len == 0 || len > IDMAP_MAX_KEY)
		return false;
	hole = idmap_find(m, key, len, idmap_hash(key, len));
	if (m->slots[hole].len == 0)
		return false;
	if (value != NULL)
		*value = m->slots[hole].value;
	if (len > IDMAP_INLINE && !m->borrows)
		m->garbage += len;
	/* Backward shift, so no tombstones are left. */
	for (uint32_t j = idmap_next_slot(m, hole); m->slots[j].len != 0; j = idmap_next_slot(m, j)) {
		if (probe_may_fill(hole, j, idmap_home(idmap_slot_hash(m, &m->slots[j]), m->cap))) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].len = 0;
	m->count--;
	return true;
}

/* See idmap.h. */
bool idmap_next(const struct idmap *m, size_t *pos, const uint8_t **key, size_t *len, uint32_t *value)
{
	for (size_t i = *pos; i < m->cap; i++) {
		const struct idmap_slot *s = &m->slots[i];

		if (s->len == 0)
			continue;
		*key = idmap_slot_key(m, s);
		*len = s->len;
		*value = s->value;
		*pos = i + 1;
		return true;
	}
	*pos = m->cap;
	return false;
}

/* See idmap.h. */
size_t idmap_size(const struct idmap *m)
{
	return m->count;
}

/* See idmap.h. */
size_t idmap_bytes(const struct idmap *m)
{
	return sizeof(*m) + (size_t)m->cap * sizeof(*m->slots) + m->arena_cap;
}
