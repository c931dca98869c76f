/* outgroups.h: what a task's agents add to their teams and the site until the next flush (pure). */
#ifndef FEEDBACKD_OUTGROUPS_H
#define FEEDBACKD_OUTGROUPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "group.h"
#include "idmap.h"

/* One group as this task's agents make it up: sent as a partial (group.h) at each flush that changed it. */
struct outgroup {
	enum group_scope scope;
	char *team;                  /* NULL for the site */
	struct agent pending;        /* counts, times and clock changes since the last partial */
	int64_t active[WINDOWS_MAX]; /* this task's agents of the group with an event in each window */
	bool changed;                /* a partial is due */
};

/* The site and every team one of this task's agents is in; zeroed, then outgroups_init. */
struct outgroups {
	struct outgroup site;
	struct idmap *index; /* team -> index into teams */
	struct outgroup *teams;
	uint32_t count, cap;
};

/* Sets up an empty set; false when out of memory. */
bool outgroups_init(struct outgroups *o);

/* Frees everything it holds. */
void outgroups_free(struct outgroups *o);

/* Counts increments at ts (agent_count's) for the site and the team, if any. */
void outgroups_count(struct outgroups *o, const char *team, const struct agent_plan *plan, int64_t now_ms,
    int64_t ts, const struct rolling_inc *incs, size_t n);

/* A change of an agent's running and overdue clocks, for the site and the team, if any. */
void outgroups_clocks(struct outgroups *o, const char *team, int64_t open, int64_t overdue);

/*
 * An agent counted as active under from_team in the windows of from_mask is now so under
 * to_team in those of to_mask: the site's and the teams' active counts follow.
 */
void outgroups_move(struct outgroups *o, const char *from_team, unsigned from_mask, const char *to_team,
    unsigned to_mask, size_t tiers);

/* Calls fn for each group with a partial due, then clears its pending counts; false when fn failed. */
bool outgroups_flush(struct outgroups *o, bool (*fn)(void *arg, const struct outgroup *g), void *arg);

#endif
