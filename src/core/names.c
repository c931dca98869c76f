/* names.c: strings interned once and shared by handle, with reference counts (pure). */
#include "names.h"

#include <stdlib.h>
#include <string.h>

#include "idmap.h"

struct names_entry {
	char *s;       /* NULL while the slot is free */
	uint32_t refs; /* or, while free, the next free slot */
};

struct names {
	struct idmap *index;
	struct names_entry *e;
	uint32_t used, cap;
	uint32_t free_head; /* NAMES_NONE when no slot is free */
};

/* See names.h. */
struct names *names_new(void)
{
	struct names *n = calloc(1, sizeof(*n));

	if (n == NULL || (n->index = idmap_new(64)) == NULL) {
		free(n);
		return NULL;
	}
	n->free_head = NAMES_NONE;
	return n;
}

/* See names.h. */
void names_free(struct names *n)
{
	if (n == NULL)
		return;
	for (uint32_t i = 0; i < n->used; i++)
		free(n->e[i].s);
	free(n->e);
	idmap_free(n->index);
	free(n);
}

/* A free slot for a new name, growing the array when none is free. */
static uint32_t names_slot(struct names *n)
{
	uint32_t h = n->free_head;

	if (h != NAMES_NONE) {
		n->free_head = n->e[h].refs;
		return h;
	}
	if (n->used == n->cap) {
		uint32_t cap = n->cap ? n->cap * 2 : 64;
		struct names_entry *e = realloc(n->e, cap * sizeof(*e));

		if (e == NULL || cap >= NAMES_NONE)
			return NAMES_NONE;
		n->e = e;
		n->cap = cap;
	}
	return n->used++;
}

/* See names.h. */
uint32_t names_ref(struct names *n, const char *s, size_t len)
{
	uint32_t h;
	char *copy;

	if (idmap_get(n->index, s, len, &h)) {
		n->e[h].refs++;
		return h;
	}
	if (len == 0 || len > IDMAP_MAX_KEY || (copy = malloc(len + 1)) == NULL)
		return NAMES_NONE;
	memcpy(copy, s, len);
	copy[len] = '\0';
	h = names_slot(n);
	if (h == NAMES_NONE || idmap_put(n->index, s, len, h) < 0) {
		if (h != NAMES_NONE) {
			n->e[h].refs = n->free_head;
			n->free_head = h;
		}
		free(copy);
		return NAMES_NONE;
	}
	n->e[h] = (struct names_entry){copy, 1};
	return h;
}

/* See names.h. */
void names_unref(struct names *n, uint32_t handle)
{
	struct names_entry *e = &n->e[handle];

	if (--e->refs > 0)
		return;
	idmap_del(n->index, e->s, strlen(e->s), NULL);
	free(e->s);
	e->s = NULL;
	e->refs = n->free_head;
	n->free_head = handle;
}

/* See names.h. */
const char *names_get(const struct names *n, uint32_t handle)
{
	return n->e[handle].s;
}

/* See names.h. */
size_t names_count(const struct names *n)
{
	return idmap_size(n->index);
}
