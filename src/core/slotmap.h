/* slotmap.h: which Redis Cluster node serves each slot, and the redirects that say otherwise (pure). */
#ifndef FEEDBACKD_SLOTMAP_H
#define FEEDBACKD_SLOTMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "keyslot.h"

/* The most primaries a map holds; Redis Cluster suggests staying under 1,000 nodes in all. */
#define SLOTMAP_NODES_MAX 1024
/* A node's host as Redis reports it: an address or a host name, and "" when unknown. */
#define SLOTMAP_HOST_MAX 256

struct slotmap_node {
	char host[SLOTMAP_HOST_MAX];
	int port;
};

struct slotmap;

/* An empty map (no slot served); NULL when out of memory. */
struct slotmap *slotmap_new(void);

/* Frees the map; NULL is ignored. */
void slotmap_free(struct slotmap *m);

/* Forgets every slot's owner, keeping the nodes (a fresh CLUSTER SLOTS is being read). */
void slotmap_clear(struct slotmap *m);

/* The index of node host:port, added when new; -1 when the map is full or host too long. */
int slotmap_node(struct slotmap *m, const char *host, int port);

/* Node i (0 <= i < slotmap_nodes(m)). */
const struct slotmap_node *slotmap_node_at(const struct slotmap *m, int i);

/* Nodes known, served slots or not. */
int slotmap_nodes(const struct slotmap *m);

/* Node `node` serves slots first..last; false when the range or the node is out of range. */
bool slotmap_assign(struct slotmap *m, unsigned first, unsigned last, int node);

/* The node serving slot, or -1 when none does (or slot is out of range). */
int slotmap_owner(const struct slotmap *m, unsigned slot);

/* True when every slot has an owner: the map may route every call. */
bool slotmap_complete(const struct slotmap *m);

/* Marks in serves[i] whether node i owns some slot; returns how many do. */
int slotmap_serving(const struct slotmap *m, bool serves[SLOTMAP_NODES_MAX]);

/* What an error reply asks of a cluster client. */
enum slotmap_redirect {
	SLOTMAP_OTHER,        /* not a cluster redirect: the error is the call's own */
	SLOTMAP_MOVED,        /* the slot lives on node host:port now: update the map, send there */
	SLOTMAP_ASK,          /* this call only: send ASKING then the call to host:port */
	SLOTMAP_TRYAGAIN,     /* the slot is being moved: send again after a pause */
	SLOTMAP_CLUSTERDOWN,  /* the cluster cannot serve it now: send again after a pause */
};

/* A redirect's target; host "" when Redis did not know its own endpoint (use the node asked). */
struct slotmap_target {
	unsigned slot;
	char host[SLOTMAP_HOST_MAX];
	int port;
};

/*
 * Reads an error reply's text ("MOVED 3999 127.0.0.1:6381", "ASK 3999 ::1:6381",
 * "TRYAGAIN ...", "CLUSTERDOWN ..."); MOVED and ASK fill *t. A MOVED or ASK that does not
 * parse is SLOTMAP_OTHER: it is passed on as an error, not followed.
 */
enum slotmap_redirect slotmap_redirect(const char *err, size_t len, struct slotmap_target *t);

#endif
