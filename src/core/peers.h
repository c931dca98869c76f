/* peers.h: what a task knows of each team's and the site's rating counts, for rating integrity, as their owners last sent them (pure). */
#ifndef FEEDBACKD_PEERS_H
#define FEEDBACKD_PEERS_H

#include <stdbool.h>
#include <stddef.h>

#include "idmap.h"
#include "integrity.h"
#include "window.h"

/* One group's counts by window. */
struct peers_group {
	char *key;
	struct integrity_counts counts[WINDOWS_MAX];
};

/* The groups' counts, keyed by group key (groupkey.h); zeroed, then peers_init. */
struct peers {
	struct idmap *index;   /* key -> index into v */
	struct peers_group *v;
	uint32_t count;
	size_t cap;
};

/* An empty table; false when out of memory. */
bool peers_init(struct peers *p);

/* Frees everything it holds. */
void peers_free(struct peers *p);

/*
 * Keeps a group's counts in every window (tiers of them, the rest zero): 1 for a group new to
 * the table, 0 for one it had, -1 when out of memory.
 */
int peers_set(struct peers *p, const char *key, size_t len, const struct integrity_counts *counts, size_t tiers);

/* A group's counts by window as last set; NULL when none came yet. */
const struct integrity_counts *peers_get(const struct peers *p, const char *key, size_t len);

#endif
