/* outgroups.h: what a task's agents add to their teams and the site until the next flush (pure). */
#ifndef FEEDBACKD_OUTGROUPS_H
#define FEEDBACKD_OUTGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "group.h"
#include "idmap.h"

/* One tier-0 bucket's counters waiting for the next partial, merged as the counters' kinds say. */
struct outgroup_bucket {
	int64_t index;               /* ts / the tier-0 granularity; INT64_MIN: a free slot */
	int64_t vals[COUNTER_COUNT];
};

/* One group as this task's agents make it up: sent as a partial (group.h) at each flush that changed it. */
struct outgroup {
	enum group_scope scope;
	char *team;                  /* NULL for the site */
	/*
	 * The increments since the last partial, summed per tier-0 bucket in an open-addressing
	 * table (a rolling_add each would search the pending buckets for every event); at the
	 * flush they go in oldest bucket first, each to the front of the partial's rolling.
	 */
	struct outgroup_bucket *buckets;
	size_t nbuckets, cap;          /* used, and the table's size (a power of two) */
	/* The response times since the last partial; at the flush, summed per bucket and time (sent so). */
	struct histogram_count *times;
	size_t ntimes, times_cap;
	struct agent pending;        /* the partial's counts (made at the flush), clock changes */
	int64_t active[WINDOWS_MAX]; /* this task's agents of the group with an event in each window */
	bool changed;                /* a partial is due */
};

/* The site and every team one of this task's agents is in; zeroed, then outgroups_init. */
struct outgroups {
	struct outgroup site;
	struct idmap *index; /* team -> index into teams */
	struct outgroup *teams;
	uint32_t count;
	size_t cap;
};

/* Sets up an empty set; false when out of memory. */
bool outgroups_init(struct outgroups *o);

/* Frees everything it holds. */
void outgroups_free(struct outgroups *o);

/* What an agent counted in its months (appraisal_count's arguments but the increments). */
struct outgroups_month {
	month_t now, month;
	int64_t served;
};

/* No team's slot: an agent in none (or out of memory). */
#define OUTGROUPS_NO_TEAM UINT32_MAX

/*
 * The slot of team's group (NULL: OUTGROUPS_NO_TEAM), made on first use: slots never move,
 * so an agent can keep its team's and count without looking the team up each event.
 */
uint32_t outgroups_slot(struct outgroups *o, const char *team);

/*
 * Counts increments at ts for the site and the team in slot team_slot (outgroups_slot's), if
 * any: in their windows when windows (agent_count counted them), in their months when month
 * is not NULL (appraisal_count did).
 */
void outgroups_count(struct outgroups *o, uint32_t team_slot, const struct agent_plan *plan, int64_t ts,
    const struct rolling_inc *incs, size_t n, bool windows, const struct outgroups_month *month);

/* A change of an agent's running and overdue clocks, for the site and the team, if any. */
void outgroups_clocks(struct outgroups *o, const char *team, int64_t open, int64_t overdue);

/*
 * An agent counted as active under from_team in the windows of from_mask is now so under
 * to_team in those of to_mask: the site's and the teams' active counts follow.
 */
void outgroups_move(struct outgroups *o, const char *from_team, unsigned from_mask, const char *to_team,
    unsigned to_mask, size_t tiers);

/*
 * Calls fn for each group with a partial due, its pending counts made at now_ms, then clears
 * them; false when fn failed (or memory ran out).
 */
bool outgroups_flush(struct outgroups *o, const struct agent_plan *plan, int64_t now_ms,
    bool (*fn)(void *arg, const struct outgroup *g), void *arg);

#endif
