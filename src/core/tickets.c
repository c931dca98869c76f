/* tickets.c: a task's tickets: a slot per id, the names each one's clock goes by, free slots reused (pure). */
#include "tickets.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"

/* See tickets.h. */
bool tickets_init(struct tickets *k)
{
	memset(k, 0, sizeof(*k));
	k->free = UINT32_MAX;
	/* The map borrows the ids the slots keep anyway. */
	k->index = idmap_new_borrowing(256);
	return k->index != NULL;
}

/* See tickets.h. */
void tickets_free(struct tickets *k)
{
	for (uint32_t i = 0; i < k->used; i++) {
		clock_clear(&k->v[i].clock);
		free(k->v[i].recovery);
		free(k->v[i].text);
	}
	free(k->v);
	idmap_free(k->index);
	memset(k, 0, sizeof(*k));
}

/* A block "ID\0AGENT\0CATEGORY\0" (see struct tickets_slot); NULL when out of memory. */
static char *tickets_text(const char *id, size_t id_len, const struct clock_text *agent,
    const struct clock_text *category)
{
	char *p = malloc(id_len + agent->len + category->len + 3);

	if (p == NULL)
		return NULL;
	memcpy(p, id, id_len);
	p[id_len] = '\0';
	memcpy(p + id_len + 1, agent->ptr, agent->len);
	p[id_len + 1 + agent->len] = '\0';
	memcpy(p + id_len + agent->len + 2, category->ptr, category->len);
	p[id_len + agent->len + category->len + 2] = '\0';
	return p;
}

/* Whether the NUL-terminated s is the text t. */
static bool tickets_same(const char *s, const struct clock_text *t)
{
	return strncmp(s, t->ptr, t->len) == 0 && s[t->len] == '\0';
}

/* See tickets.h. */
uint32_t tickets_slot(struct tickets *k, const char *id, size_t len, const struct clock_text *agent,
    const struct clock_text *category)
{
	uint32_t i;

	if (idmap_get(k->index, id, len, &i))
		return i;
	if (k->free != UINT32_MAX) {
		i = k->free;
		k->free = k->v[i].next_free;
	} else {
		if (!growarray((void **)&k->v, &k->cap, (size_t)k->used + 1, sizeof(*k->v)))
			return UINT32_MAX;
		i = k->used++;
	}
	memset(&k->v[i], 0, sizeof(k->v[i]));
	k->v[i].text = tickets_text(id, len, agent, category);
	if (k->v[i].text == NULL || idmap_put(k->index, k->v[i].text, len, i) < 0) {
		free(k->v[i].text);
		k->v[i].text = NULL;
		k->v[i].next_free = k->free;
		k->free = i;
		return UINT32_MAX;
	}
	return i;
}

/* See tickets.h. */
uint32_t tickets_find(const struct tickets *k, const char *id, size_t len)
{
	uint32_t i;

	return idmap_get(k->index, id, len, &i) ? i : UINT32_MAX;
}

/* See tickets.h. */
bool tickets_rename(struct tickets *k, uint32_t i, const struct clock_text *agent,
    const struct clock_text *category)
{
	struct tickets_slot *s = &k->v[i];
	size_t id_len = strlen(s->text);
	const char *a = s->text + id_len + 1, *c = a + strlen(a) + 1;
	char *p;

	if (tickets_same(a, agent) && tickets_same(c, category))
		return true; /* as the block was made: the usual case */
	/* A new block, not realloc: the map borrows the id, and learns its new place first. */
	if ((p = tickets_text(s->text, id_len, agent, category)) == NULL)
		return false;
	if (idmap_put(k->index, p, id_len, i) < 0) {
		free(p);
		return false;
	}
	free(s->text);
	s->text = p;
	return true;
}

/* See tickets.h. */
char *tickets_forget(struct tickets *k, uint32_t i)
{
	struct tickets_slot *s = &k->v[i];
	char *text = s->text; /* its id ends at the first NUL */

	idmap_del(k->index, text, strlen(text), NULL);
	clock_clear(&s->clock);
	free(s->recovery);
	s->recovery = NULL;
	s->text = NULL;
	s->dirty = false;
	s->next_free = k->free;
	k->free = i;
	return text;
}

/* See tickets.h. */
void tickets_handles(uint32_t i, bool has_category, uint32_t *agent, uint32_t *category)
{
	*agent = 2 * i;
	*category = has_category ? 2 * i + 1 : CLOCK_NO_NAME;
}

/* See tickets.h. */
const char *tickets_name(void *arg, uint32_t handle)
{
	const char *p = ((struct tickets *)arg)->v[handle / 2].text;

	p += strlen(p) + 1;
	return handle % 2 == 0 ? p : p + strlen(p) + 1;
}
