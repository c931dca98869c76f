/* outgroups.c: what a task's agents add to their teams and the site until the next flush (pure). */
#include "outgroups.h"

#include <stdlib.h>
#include <string.h>

#include "growarray.h"
#include "timestamp.h"

/* Frees a group's waiting increments. */
static void outgroups_drop(struct outgroup *g)
{
	free(g->buckets);
	free(g->times);
	g->buckets = NULL;
	g->times = NULL;
	g->nbuckets = g->cap = g->ntimes = g->times_cap = 0;
}

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
	outgroups_drop(&o->site);
	for (uint32_t i = 0; i < o->count; i++) {
		agent_free(&o->teams[i].pending);
		outgroups_drop(&o->teams[i]);
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
	if (!growarray((void **)&o->teams, &o->cap, (size_t)o->count + 1, sizeof(*o->teams)))
		return NULL;
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

/* The table slot of bucket index, made on first use; NULL when out of memory. */
static struct outgroup_bucket *outgroups_bucket(struct outgroup *g, int64_t index)
{
	size_t i;

	if (4 * (g->nbuckets + 1) > 3 * g->cap) {
		/* 240 bytes a slot and one table per group and task: a flush's events span a few buckets. */
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct outgroup_bucket *old = g->buckets, *v = malloc(cap * sizeof(*v));

		if (v == NULL)
			return NULL;
		for (size_t k = 0; k < cap; k++)
			v[k].index = INT64_MIN;
		g->buckets = v;
		for (size_t k = 0; k < g->cap; k++) {
			if (old[k].index == INT64_MIN)
				continue;
			for (i = (uint64_t)old[k].index * 0x9E3779B97F4A7C15u >> 7 & (cap - 1); v[i].index != INT64_MIN;
			    i = (i + 1) & (cap - 1))
				;
			v[i] = old[k];
		}
		free(old);
		g->cap = cap;
	}
	for (i = (uint64_t)index * 0x9E3779B97F4A7C15u >> 7 & (g->cap - 1); g->buckets[i].index != INT64_MIN;
	    i = (i + 1) & (g->cap - 1))
		if (g->buckets[i].index == index)
			return &g->buckets[i];
	memset(&g->buckets[i], 0, sizeof(g->buckets[i]));
	g->buckets[i].index = index;
	g->nbuckets++;
	return &g->buckets[i];
}

/* Adds increments at ts to one group's waiting ones; out of memory loses them (as an agent's delta would be). */
static void outgroups_add(struct outgroup *g, const struct agent_plan *plan, int64_t ts,
    const struct rolling_inc *incs, size_t n)
{
	struct outgroup_bucket *b;

	if (g == NULL || (b = outgroups_bucket(g, ts_floor_div(ts, plan->counts.gran_ms[0]))) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		int64_t *v = &b->vals[incs[i].slot];

		*v = stats_counter_is_max((enum counter)incs[i].slot) ? (incs[i].value > *v ? incs[i].value : *v) :
		    *v + incs[i].value;
		if (incs[i].slot != C_RESP_MAX_MS)
			continue;
		if (!growarray((void **)&g->times, &g->times_cap, g->ntimes + 1, sizeof(*g->times)))
			continue;
		g->times[g->ntimes++] = (struct histogram_count){ts, (uint32_t)histogram_bucket(incs[i].value), 1};
	}
	g->changed = true;
}

/* Counts what an agent counted in a month in one group's pending months. */
static void outgroups_month_add(struct outgroup *g, const struct rolling_inc *incs, size_t n,
    const struct outgroups_month *month)
{
	if (g != NULL && appraisal_count(&g->pending.months, month->now, month->month, incs, n, month->served))
		g->changed = true;
}

/* See outgroups.h. */
uint32_t outgroups_slot(struct outgroups *o, const char *team)
{
	struct outgroup *g = outgroups_team(o, team);

	return g != NULL ? (uint32_t)(g - o->teams) : OUTGROUPS_NO_TEAM;
}

/* See outgroups.h. */
void outgroups_count(struct outgroups *o, uint32_t team_slot, const struct agent_plan *plan, int64_t ts,
    const struct rolling_inc *incs, size_t n, bool windows, const struct outgroups_month *month)
{
	struct outgroup *g = team_slot < o->count ? &o->teams[team_slot] : NULL;

	if (windows) {
		outgroups_add(&o->site, plan, ts, incs, n);
		outgroups_add(g, plan, ts, incs, n);
	}
	if (month != NULL) {
		outgroups_month_add(&o->site, incs, n, month);
		outgroups_month_add(g, incs, n, month);
	}
}

/* Buckets by index, oldest first, free slots last, for qsort. */
static int outgroups_by_index(const void *a, const void *b)
{
	int64_t x = ((const struct outgroup_bucket *)a)->index, y = ((const struct outgroup_bucket *)b)->index;

	if (x == INT64_MIN || y == INT64_MIN)
		return (x == INT64_MIN) - (y == INT64_MIN);
	return (x > y) - (x < y);
}

/*
 * Makes g's pending counts from its waiting increments, oldest first (each then goes to the
 * front of its rolling), and empties the table; the longest response time is in the buckets'
 * C_RESP_MAX_MS. Its times are summed per histogram bucket and time, as the partial lists them.
 */
static void outgroups_make(struct outgroup *g, const struct agent_plan *plan, int64_t now_ms)
{
	int64_t gran = plan->counts.gran_ms[0];

	if (g->cap > 0)
		qsort(g->buckets, g->cap, sizeof(*g->buckets), outgroups_by_index);
	for (size_t k = 0; k < g->nbuckets; k++) {
		struct rolling_inc incs[COUNTER_COUNT];
		size_t n = 0;

		for (size_t c = 0; c < COUNTER_COUNT; c++)
			if (g->buckets[k].vals[c] != 0)
				incs[n++] = (struct rolling_inc){(unsigned)c, g->buckets[k].vals[c]};
		rolling_add(&g->pending.counts, &plan->counts, now_ms, g->buckets[k].index * gran, incs, n);
	}
	g->ntimes = histogram_counts_sort(g->times, g->ntimes, &plan->responses);
	for (size_t k = 0; k < g->cap; k++)
		g->buckets[k].index = INT64_MIN;
	g->nbuckets = 0;
}

/* Adds a clock change to one group's pending state. */
static void outgroups_gauge(struct outgroup *g, int64_t open, int64_t overdue)
{
	if (g == NULL)
		return;
	g->pending.open += open;
	g->pending.overdue += overdue;
	g->changed = true;
}

/* See outgroups.h. */
void outgroups_clocks(struct outgroups *o, const char *team, int64_t open, int64_t overdue)
{
	/* Most deltas move no clock: then the team, a cold string, is not even looked up. */
	if (open == 0 && overdue == 0)
		return;
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
bool outgroups_flush(struct outgroups *o, const struct agent_plan *plan, int64_t now_ms,
    bool (*fn)(void *arg, const struct outgroup *g), void *arg)
{
	for (uint32_t i = 0; i <= o->count; i++) {
		struct outgroup *g = i < o->count ? &o->teams[i] : &o->site;

		if (!g->changed)
			continue;
		outgroups_make(g, plan, now_ms);
		if (!fn(arg, g))
			return false;
		agent_free(&g->pending);
		g->ntimes = 0;
		g->changed = false;
		/* A burst's table is given back; a steady flow's is reused. */
		if (g->cap > 1024 || g->times_cap > 4096)
			outgroups_drop(g);
	}
	return true;
}
