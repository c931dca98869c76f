/* tickets.h: a task's tickets: a slot per id, the names each one's clock goes by, free slots reused (pure). */
#ifndef FEEDBACKD_TICKETS_H
#define FEEDBACKD_TICKETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"
#include "idmap.h"
#include "recovery.h"

/*
 * One ticket: its clock, and its id, its clock's agent and category in one block,
 * "ID\0AGENT\0CATEGORY\0". A clock's name handles are 2 x its slot (the agent) and 2 x its
 * slot + 1 (the category), so every name lives with its ticket: a task's clocks rarely share
 * an agent (1,000,000 clocks of 100,000 agents over 8 tasks), and a shared, counted table
 * cost 70 bytes a name for nothing.
 */
struct tickets_slot {
	struct clock_state clock;
	char *text;         /* NULL while the slot is free */
	struct recovery *recovery; /* a complaint's service recovery; NULL: none (most tickets) */
	uint32_t next_free;
	bool dirty;         /* the owner's mark: changed since it last saved the ticket */
};

/* The slots; a zeroed struct is not valid: use tickets_init. */
struct tickets {
	struct idmap *index;      /* id -> slot, borrowing the ids the slots keep */
	struct tickets_slot *v;   /* slots [0, used) made, the free ones linked from free */
	uint32_t used, free;
	size_t cap;
};

/* Empty slots; false when out of memory. */
bool tickets_init(struct tickets *k);
void tickets_free(struct tickets *k);

/*
 * A ticket's slot, made (idle) on first use with the names given (empty for a reply), so the
 * usual opener keeps them as they are; UINT32_MAX when out of memory.
 */
uint32_t tickets_slot(struct tickets *k, const char *id, size_t len, const struct clock_text *agent,
    const struct clock_text *category);

/* A ticket's slot if it has one; UINT32_MAX otherwise. */
uint32_t tickets_find(const struct tickets *k, const char *id, size_t len);

/* Sets the agent and category kept with slot i's id; false when out of memory (unchanged). */
bool tickets_rename(struct tickets *k, uint32_t i, const struct clock_text *agent,
    const struct clock_text *category);

/* Frees slot i (its clock cleared, its recovery freed) and hands its block (the id at its start) to the caller, who frees it. */
char *tickets_forget(struct tickets *k, uint32_t i);

/* How the clock of slot i names its agent and, when it has one, its category. */
void tickets_handles(uint32_t i, bool has_category, uint32_t *agent, uint32_t *category);

/* The string of a name handle (see struct tickets_slot); clock_names' name, arg the tickets. */
const char *tickets_name(void *arg, uint32_t handle);

#endif
