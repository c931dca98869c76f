/* config_policies.h: the [policy.NAME] sections: reply policies, read, then resolved. */
#ifndef FEEDBACKD_CONFIG_POLICIES_H
#define FEEDBACKD_CONFIG_POLICIES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "event.h"
#include "policy.h"

#define CONFIG_POLICIES_PREFIX "policy."
#define CONFIG_POLICIES_MAX 64		/* [policy.NAME] sections of a file, default included */

struct config_policies_entry;

/* The [policy.NAME] sections of the file being read: what they say, on which lines. */
struct config_policies_parse {
	struct config_policies_entry	*v;	/* in the order of their first headers */
	size_t				 n;
	size_t				 cur;	/* the section whose keys are being read */
};

/*
 * A [policy.NAME] header (name: len bytes, a valid name); the keys that follow are its own.
 * A second header of one name goes on with that section, in its first place. False with the
 * reason for one section too many.
 */
bool config_policies_section(struct config_policies_parse *pp, const char *name, size_t len,
    char *reason, size_t size);

/* One "key = value" line of the current section; false with the reason. */
bool config_policies_set(struct config_policies_parse *pp, const char *key, const char *value,
    int line, char *reason, size_t size);

/*
 * Once the whole file is read and cfg's calendars are built: gives each policy what it takes
 * from [sla], its calendar, checks its promises, and moves it into cfg->policies or
 * cfg->policy_default (a default the file does not write is made anew from the final [sla]).
 * False with the reason and the *line it belongs on.
 */
bool config_policies_finish(const struct config_policies_parse *pp, struct config *cfg,
    int *line, char *reason, size_t size);

/* Sets cfg->policy_default to the policy of the defaults, with cfg's [sla] at_risk. */
void config_policies_defaults(struct config *cfg);

/* Frees what pp holds. */
void config_policies_parse_free(struct config_policies_parse *pp);

/* Frees cfg's policies (the default is part of cfg). */
void config_policies_free(struct config *cfg);

#endif
