/* config_diff.h: the settings a file made, as written, and what a reload changed among them. */
#ifndef FEEDBACKD_CONFIG_DIFF_H
#define FEEDBACKD_CONFIG_DIFF_H

#include <stdbool.h>
#include <stddef.h>

struct config;

/* One "key = value" line of the file, in its section. */
struct config_setting {
	char *section;
	char *name;
	char *value;
	bool secret; /* a password: compared, never shown */
};

/* Room for a reload's summary line. */
#define CONFIG_DIFF_SIZE 1024

/* Keeps one line of the file in cfg's settings; false when out of memory. */
bool config_diff_record(struct config *cfg, const char *section, const char *name, const char *value);

/*
 * Writes what changed from old to fresh into buf: "[sla] reply_target 24h -> 4h, [teams] map
 * set to teams, [rule.csat_below] threshold unset (was 85)", in fresh's file order, then the
 * removed ones; secrets say only "changed"; "nothing changed" when the settings are the same.
 * A summary longer than the buffer ends with "and N more".
 */
void config_diff(const struct config *old, const struct config *fresh, char *buf, size_t size);

/* Frees cfg's settings. */
void config_diff_free(struct config *cfg);

#endif
