/* peers.c: what a task knows of each team's and the site's rating counts, for rating integrity, as their owners last sent them (pure). */
#include "peers.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"

/* See peers.h. */
bool peers_init(struct peers *p)
{
	memset(p, 0, sizeof(*p));
	/* The map borrows the keys the table keeps. */
	p->index = idmap_new_borrowing(16);
	return p->index != NULL;
}

/* See peers.h. */
void peers_free(struct peers *p)
{
	for (uint32_t i = 0; i < p->count; i++)
		free(p->v[i].key);
	free(p->v);
	idmap_free(p->index);
	memset(p, 0, sizeof(*p));
}

/* See peers.h. */
int peers_set(struct peers *p, const char *key, size_t len, const struct integrity_counts *counts, size_t tiers)
{
	uint32_t i;
	int added = 0;

	if (!idmap_get(p->index, key, len, &i)) {
		if (!growarray((void **)&p->v, &p->cap, (size_t)p->count + 1, sizeof(*p->v)))
			return -1;
		i = p->count;
		if ((p->v[i].key = malloc(len + 1)) == NULL)
			return -1;
		memcpy(p->v[i].key, key, len);
		p->v[i].key[len] = '\0';
		if (idmap_put(p->index, p->v[i].key, len, i) < 0) {
			free(p->v[i].key);
			return -1;
		}
		p->count++;
		added = 1;
	}
	memset(p->v[i].counts, 0, sizeof(p->v[i].counts));
	memcpy(p->v[i].counts, counts, tiers * sizeof(*counts));
	return added;
}

/* See peers.h. */
const struct integrity_counts *peers_get(const struct peers *p, const char *key, size_t len)
{
	uint32_t i;

	return idmap_get(p->index, key, len, &i) ? p->v[i].counts : NULL;
}
