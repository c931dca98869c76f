/* idmap.h: a map from a byte-string id (agent, ticket) to the caller's 32-bit index (pure). */
#ifndef FEEDBACKD_IDMAP_H
#define FEEDBACKD_IDMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value is a uint32_t, not a pointer: the caller keeps its agents and tickets in its own
 * arrays and maps an id to a slot there. That is 4 bytes instead of 8 per entry, the value
 * stays valid when the caller's array is reallocated, and it can be written to a checkpoint
 * as it is. The map keeps its own copy of each key: up to 11 bytes inside the entry's
 * 16-byte slot, longer ones in the map's key arena. A key need not end in NUL and may hold
 * any byte.
 */
#define IDMAP_MAX_KEY 128

struct idmap;

/* An empty map sized for expected entries without growing; NULL when out of memory. */
struct idmap *idmap_new(size_t expected);
/*
 * An empty map that borrows its long keys (over 11 bytes) instead of copying them: such a
 * key's bytes must stay at the address given to idmap_put, unchanged, until its entry is
 * deleted, or put again from its new address (a put of an existing key takes the address it
 * is given). For keys the caller keeps anyway, such as a task's ticket ids: one copy, not two.
 */
struct idmap *idmap_new_borrowing(size_t expected);

/* Frees the map and its keys; NULL is ignored. */
void idmap_free(struct idmap *m);

/*
 * Maps key (1..IDMAP_MAX_KEY bytes) to value. Returns 1 if the key was added, 0 if it was
 * there (its value is replaced), -1 if the length is out of range or memory ran out (the
 * map is unchanged). No allocation unless the table or the key arena grows.
 */
int idmap_put(struct idmap *m, const void *key, size_t len, uint32_t value);

/* True and *value (if not NULL) set when key is mapped. */
bool idmap_get(const struct idmap *m, const void *key, size_t len, uint32_t *value);

/* Unmaps key; true and *value (if not NULL) set to its value if it was mapped. */
bool idmap_del(struct idmap *m, const void *key, size_t len, uint32_t *value);

/*
 * Iterates: start with *pos = 0; each call that returns true gives one entry (key points into
 * the map, valid until the next change) and moves *pos on. Every entry comes once, in no
 * particular order. The map must not change during an iteration.
 */
bool idmap_next(const struct idmap *m, size_t *pos, const uint8_t **key, size_t *len, uint32_t *value);

/* Entries mapped. */
size_t idmap_size(const struct idmap *m);

/* Bytes of memory the map holds (the struct, its table and its key arena). */
size_t idmap_bytes(const struct idmap *m);

#endif
