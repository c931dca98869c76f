/* tally.c: a count per string key, for "which agents have events not yet applied" (pure). */
#include "tally.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define TALLY_MIN_SLOTS 256

/*
 * One counted key; chained per slot. Freed entries are kept for reuse, so a steady stream of
 * agents coming and going costs no allocation once the list is warm.
 */
struct tally_entry {
	struct tally_entry *next;
	size_t count;
	int64_t value;
	size_t len;
	size_t cap;
	char key[];
};

struct tally {
	struct tally_entry **slots;
	size_t slot_count; /* a power of two */
	size_t size;
	struct tally_entry *spare;
	size_t spare_count;
};

/* FNV-1a: short keys, no adversary worth a keyed hash (agent ids come from our own topics). */
static uint64_t tally_hash(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

/* The slot chain that holds key. */
static struct tally_entry **tally_slot(const struct tally *t, const char *key, size_t len)
{
	return &t->slots[tally_hash(key, len) & (t->slot_count - 1)];
}

/* The link pointing at key's entry, or at the NULL ending its chain. */
static struct tally_entry **tally_find(const struct tally *t, const char *key, size_t len)
{
	struct tally_entry **pp = tally_slot(t, key, len);

	while (*pp != NULL && ((*pp)->len != len || memcmp((*pp)->key, key, len) != 0))
		pp = &(*pp)->next;
	return pp;
}

/* Doubles the slot array once there are more keys than slots. */
static void tally_grow(struct tally *t)
{
	size_t count = t->slot_count * 2;
	struct tally_entry **slots = calloc(count, sizeof(*slots));

	if (slots == NULL)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->slot_count; i++) {
		struct tally_entry *e = t->slots[i], *next;

		for (; e != NULL; e = next) {
			struct tally_entry **head = &slots[tally_hash(e->key, e->len) & (count - 1)];

			next = e->next;
			e->next = *head;
			*head = e;
		}
	}
	free(t->slots);
	t->slots = slots;
	t->slot_count = count;
}

/* An entry that can hold len bytes: a spare one when it fits, else a new one. */
static struct tally_entry *tally_entry_get(struct tally *t, size_t len)
{
	struct tally_entry *e = t->spare;
	size_t cap = len < 32 ? 32 : len; /* every entry fits 32 bytes, so spares fit most ids */

	if (e != NULL && e->cap >= len) {
		t->spare = e->next;
		t->spare_count--;
		return e;
	}
	if ((e = malloc(sizeof(*e) + cap)) != NULL)
		e->cap = cap;
	return e;
}

/* See tally.h. */
struct tally *tally_new(void)
{
	struct tally *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->slot_count = TALLY_MIN_SLOTS;
	if ((t->slots = calloc(t->slot_count, sizeof(*t->slots))) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

/* Frees a chain of entries. */
static void tally_free_chain(struct tally_entry *e)
{
	while (e != NULL) {
		struct tally_entry *next = e->next;

		free(e);
		e = next;
	}
}

/* See tally.h. */
void tally_free(struct tally *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->slot_count; i++)
		tally_free_chain(t->slots[i]);
	tally_free_chain(t->spare);
	free(t->slots);
	free(t);
}

/* See tally.h. */
bool tally_add(struct tally *t, const char *key, size_t len)
{
	struct tally_entry **pp = tally_find(t, key, len), *e;

	if (*pp != NULL) {
		(*pp)->count++;
		return true;
	}
	if ((e = tally_entry_get(t, len)) == NULL)
		return false;
	memcpy(e->key, key, len);
	e->len = len;
	e->count = 1;
	e->value = 0;
	e->next = NULL;
	*pp = e;
	if (++t->size > t->slot_count)
		tally_grow(t);
	return true;
}

/* See tally.h. */
void tally_remove(struct tally *t, const char *key, size_t len)
{
	struct tally_entry **pp = tally_find(t, key, len), *e = *pp;

	if (e == NULL || --e->count > 0)
		return;
	*pp = e->next;
	t->size--;
	/*
	 * Keep up to TALLY_MIN_SLOTS spares more than there are live keys: enough for the next
	 * batch's newcomers, and a bounded leftover after a peak.
	 */
	if (t->spare_count < t->size + TALLY_MIN_SLOTS) {
		e->next = t->spare;
		t->spare = e;
		t->spare_count++;
	} else {
		free(e);
	}
}

/* See tally.h. */
size_t tally_count(const struct tally *t, const char *key, size_t len)
{
	const struct tally_entry *e = *tally_find(t, key, len);

	return e != NULL ? e->count : 0;
}

/* See tally.h. */
int64_t *tally_value(struct tally *t, const char *key, size_t len)
{
	struct tally_entry *e = *tally_find(t, key, len);

	return e != NULL ? &e->value : NULL;
}

/* See tally.h. */
size_t tally_size(const struct tally *t)
{
	return t->size;
}
