/* slotmap.c: which Redis Cluster node serves each slot, and the redirects that say otherwise (pure). */
#include "slotmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A slot no node serves. */
#define SLOTMAP_NONE UINT16_MAX

struct slotmap {
	uint16_t owner[KEYSLOT_COUNT];  /* node index, or SLOTMAP_NONE */
	struct slotmap_node *nodes;
	int nnodes, cap;
};

/* See slotmap.h. */
struct slotmap *slotmap_new(void)
{
	struct slotmap *m = calloc(1, sizeof(*m));

	if (m != NULL)
		slotmap_clear(m);
	return m;
}

/* See slotmap.h. */
void slotmap_free(struct slotmap *m)
{
	if (m == NULL)
		return;
	free(m->nodes);
	free(m);
}

/* See slotmap.h. */
void slotmap_clear(struct slotmap *m)
{
	for (size_t s = 0; s < KEYSLOT_COUNT; s++)
		m->owner[s] = SLOTMAP_NONE;
}

/* See slotmap.h. */
int slotmap_node(struct slotmap *m, const char *host, int port)
{
	size_t len = strlen(host);
	struct slotmap_node *grown;

	for (int i = 0; i < m->nnodes; i++)
		if (m->nodes[i].port == port && strcmp(m->nodes[i].host, host) == 0)
			return i;
	if (len >= SLOTMAP_HOST_MAX || m->nnodes == SLOTMAP_NODES_MAX)
		return -1;
	if (m->nnodes == m->cap) {
		int cap = m->cap ? 2 * m->cap : 8;

		if ((grown = realloc(m->nodes, (size_t)cap * sizeof(*grown))) == NULL)
			return -1;
		m->nodes = grown;
		m->cap = cap;
	}
	memcpy(m->nodes[m->nnodes].host, host, len + 1);
	m->nodes[m->nnodes].port = port;
	return m->nnodes++;
}

/* See slotmap.h. */
const struct slotmap_node *slotmap_node_at(const struct slotmap *m, int i)
{
	return &m->nodes[i];
}

/* See slotmap.h. */
int slotmap_nodes(const struct slotmap *m)
{
	return m->nnodes;
}

/* See slotmap.h. */
bool slotmap_assign(struct slotmap *m, unsigned first, unsigned last, int node)
{
	if (first > last || last >= KEYSLOT_COUNT || node < 0 || node >= m->nnodes)
		return false;
	for (unsigned s = first; s <= last; s++)
		m->owner[s] = (uint16_t)node;
	return true;
}

/* See slotmap.h. */
int slotmap_owner(const struct slotmap *m, unsigned slot)
{
	return slot < KEYSLOT_COUNT && m->owner[slot] != SLOTMAP_NONE ? m->owner[slot] : -1;
}

/* See slotmap.h. */
bool slotmap_complete(const struct slotmap *m)
{
	for (size_t s = 0; s < KEYSLOT_COUNT; s++)
		if (m->owner[s] == SLOTMAP_NONE)
			return false;
	return true;
}

/* See slotmap.h. */
int slotmap_serving(const struct slotmap *m, bool serves[SLOTMAP_NODES_MAX])
{
	int n = 0;

	memset(serves, 0, SLOTMAP_NODES_MAX * sizeof(serves[0]));
	for (size_t s = 0; s < KEYSLOT_COUNT; s++) {
		int owner = m->owner[s];

		if (owner != SLOTMAP_NONE && !serves[owner]) {
			serves[owner] = true;
			n++;
		}
	}
	return n;
}

/* Whether err (len bytes) starts with the word w followed by a space or its end. */
static bool slotmap_word(const char *err, size_t len, const char *w)
{
	size_t n = strlen(w);

	return len >= n && memcmp(err, w, n) == 0 && (len == n || err[n] == ' ');
}

/* Reads "<slot> <host>:<port>" (the host may hold colons: IPv6) into t; false when malformed. */
static bool slotmap_target(const char *p, size_t len, struct slotmap_target *t)
{
	const char *end = p + len, *sp = memchr(p, ' ', len), *colon = NULL;
	unsigned long slot = 0, port = 0;

	if (sp == NULL || sp == p)
		return false;
	for (const char *q = p; q < sp; q++) {
		if (*q < '0' || *q > '9' || (slot = slot * 10 + (unsigned long)(*q - '0')) >= KEYSLOT_COUNT)
			return false;
	}
	for (const char *q = sp + 1; q < end; q++)
		if (*q == ':')
			colon = q;
	if (colon == NULL || colon + 1 == end || (size_t)(colon - (sp + 1)) >= SLOTMAP_HOST_MAX)
		return false;
	for (const char *q = colon + 1; q < end; q++) {
		if (*q < '0' || *q > '9' || (port = port * 10 + (unsigned long)(*q - '0')) > 65535)
			return false;
	}
	if (port == 0)
		return false;
	t->slot = (unsigned)slot;
	memcpy(t->host, sp + 1, (size_t)(colon - (sp + 1)));
	t->host[colon - (sp + 1)] = '\0';
	t->port = (int)port;
	return true;
}

/* See slotmap.h. */
enum slotmap_redirect slotmap_redirect(const char *err, size_t len, struct slotmap_target *t)
{
	if (slotmap_word(err, len, "MOVED"))
		return len > 6 && slotmap_target(err + 6, len - 6, t) ? SLOTMAP_MOVED : SLOTMAP_OTHER;
	if (slotmap_word(err, len, "ASK"))
		return len > 4 && slotmap_target(err + 4, len - 4, t) ? SLOTMAP_ASK : SLOTMAP_OTHER;
	if (slotmap_word(err, len, "TRYAGAIN"))
		return SLOTMAP_TRYAGAIN;
	if (slotmap_word(err, len, "CLUSTERDOWN"))
		return SLOTMAP_CLUSTERDOWN;
	return SLOTMAP_OTHER;
}
