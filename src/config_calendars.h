/* config_calendars.h: the [calendar.NAME] sections: business hours, read, then built. */
#ifndef FEEDBACKD_CONFIG_CALENDARS_H
#define FEEDBACKD_CONFIG_CALENDARS_H

#include <stdbool.h>
#include <stddef.h>

#include "calendar.h"
#include "config.h"

#define CONFIG_CALENDARS_PREFIX "calendar."
#define CONFIG_CALENDARS_MAX 64			/* [calendar.NAME] sections one file may have */

struct config_calendars_entry;

/* The [calendar.NAME] sections of the file being read: what they say, on which lines. */
struct config_calendars_parse {
	struct config_calendars_entry	*v;	/* in the order of their first headers */
	size_t				 n;
	size_t				 cur;	/* the section whose keys are being read */
};

/*
 * A [calendar.NAME] header on line (name: len bytes, a valid name); the keys that follow
 * are its own. A second header of one name goes on with that section. False with the
 * reason for "always" and for one section too many.
 */
bool config_calendars_section(struct config_calendars_parse *cp, const char *name, size_t len,
    int line, char *reason, size_t size);

/* One "key = value" line of the current section; false with the reason. */
bool config_calendars_set(struct config_calendars_parse *cp, const char *key, const char *value,
    int line, char *reason, size_t size);

/*
 * Builds every section read into cfg->calendars, once the whole file is read. False with the
 * reason and *line: the faulty key's, or the header's when a section as a whole is wrong.
 */
bool config_calendars_build(const struct config_calendars_parse *cp, struct config *cfg,
    int *line, char *reason, size_t size);

/* The calendar name stands for in cfg: "always", or one of cfg->calendars; NULL if none. */
struct calendar *config_calendars_find(const struct config *cfg, const char *name);

/* Frees what cp holds; the calendars built from it are cfg's. */
void config_calendars_parse_free(struct config_calendars_parse *cp);

/* Frees cfg's calendars. */
void config_calendars_free(struct config *cfg);

#endif
