/* outgroups.c: what a task's agents add to their teams and the site until the next flush (pure). */
#include "outgroups.h"

#include <stdlib.h>
#include <string.h>

/* See outgroups.h. */
bool outgroups_init(struct outgroups *o)
{
	memset(o, 0, sizeof(*o));
	o->site.scope = GROUP_SITE;
	return (o->index = idmap_new(16)) != NULL;
}

/* See outgroups.h. */
void outgroups_free(struct outgroups *o)
{
	agent_free(&o->site.pending);
	for (uint32_t i = 0; i < o->count; i++) {
		agent_free(&o->teams[i].pending);
		free(o->teams[i].team);
	}
	free(o->teams);
	idmap_free(o->index);
	memset(o, 0, sizeof(*o));
}

/* A team's entry, made on first use; NULL for no team, or when out of memory. */
static struct outgroup *outgroups_team(struct outgroups *o, const char *team)
{
	size_t len = team != NULL ? strlen(team) : 0;
	uint32_t i;

	if (len == 0)
		return NULL;
	if (idmap_get(o->index, team, len, &i))
		return &o->teams[i];
	if (o->count == o->cap) {
		uint32_t cap = o->cap ? 2 * o->cap : 8;
		struct outgroup *v = realloc(o->teams, cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		o->teams = v;
		o->cap = cap;
	}
	i = o->count;
	memset(&o->teams[i], 0, sizeof(o->teams[i]));
	o->teams[i].scope = GROUP_TEAM;
	if ((o->teams[i].team = strdup(team)) == NULL)
		return NULL;
	if (idmap_put(o->index, team, len, i) < 0) {
		free(o->teams[i].team);
		return NULL;
	}
	o->count++;
	return &o->teams[i];
}

/* Counts into one group's pending state. */
static void outgroups_add(struct outgroup *g, const struct agent_plan *plan, int64_t now_ms, int64_t ts,
    const struct rolling_inc *incs, size_t n)
{
	if (g != NULL && agent_count(&g->pending, plan, now_ms, ts, incs, n))
		g->changed = true;
}

/* See outgroups.h. */
void outgroups_count(struct outgroups *o, const char *team, const struct agent_plan *plan, int64_t now_ms,
    int64_t ts, const struct rolling_inc *incs, size_t n)
{
	outgroups_add(&o->site, plan, now_ms, ts, incs, n);
	outgroups_add(outgroups_team(o, team), plan, now_ms, ts, incs, n);
}

/* Adds a clock change to one group's pending state. */
static void outgroups_gauge(struct outgroup *g, int64_t open, int64_t overdue)
{
	if (g == NULL || (open == 0 && overdue == 0))
		return;
	g->pending.open += open;
	g->pending.overdue += overdue;
	g->changed = true;
}

/* See outgroups.h. */
void outgroups_clocks(struct outgroups *o, const char *team, int64_t open, int64_t overdue)
{
	outgroups_gauge(&o->site, open, overdue);
	outgroups_gauge(outgroups_team(o, team), open, overdue);
}

/* Adds sign to g's active count of every window in mask. */
static void outgroups_active(struct outgroup *g, unsigned mask, int sign, size_t tiers)
{
	for (size_t w = 0; g != NULL && w < tiers; w++)
		if (mask >> w & 1) {
			g->active[w] += sign;
			g->changed = true;
		}
}

/* See outgroups.h. */
void outgroups_move(struct outgroups *o, const char *from_team, unsigned from_mask, const char *to_team,
    unsigned to_mask, size_t tiers)
{
	bool same = (from_team == NULL && to_team == NULL) ||
	    (from_team != NULL && to_team != NULL && strcmp(from_team, to_team) == 0);

	if (same && from_mask == to_mask)
		return;
	outgroups_active(&o->site, from_mask & ~to_mask, -1, tiers);
	outgroups_active(&o->site, to_mask & ~from_mask, +1, tiers);
	outgroups_active(outgroups_team(o, from_team), from_mask, -1, tiers);
	outgroups_active(outgroups_team(o, to_team), to_mask, +1, tiers);
}

/* See outgroups.h. */
bool outgroups_flush(struct outgroups *o, bool (*fn)(void *arg, const struct outgroup *g), void *arg)
{
	for (uint32_t i = 0; i <= o->count; i++) {
		struct outgroup *g = i < o->count ? &o->teams[i] : &o->site;

		if (!g->changed)
			continue;
		if (!fn(arg, g))
			return false;
		agent_free(&g->pending);
		g->changed = false;
	}
	return true;
}
