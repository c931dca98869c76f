/* config_keys.h: every key of the config file, its default and its value parser. */
#ifndef FEEDBACKD_CONFIG_KEYS_H
#define FEEDBACKD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Room for one reason a value or a file was refused. */
#define CONFIG_REASON_SIZE 256
/* Values are quoted in messages only this far, so a long one cannot hide the reason. */
#define CONFIG_QUOTE_MAX 64
/* The most keys the table may hold, so the loader can keep a line per key. */
#define CONFIG_KEYS_MAX 128

/* The index of key name of [section], or -1 when there is no such key. */
int config_keys_find(const char *section, const char *name);

/* True when some key lives in section name (len bytes). */
bool config_keys_section_known(const char *name, size_t len);

/*
 * Parses value into key i of cfg. On failure writes the reason, starting with
 * "[section] key: ", and leaves the field as it was.
 */
bool config_keys_set(struct config *cfg, int i, const char *value, char *reason, size_t size);

/* The rule whose "window" key i is, or -1: such a name is resolved once the file is read. */
int config_keys_rule_window(int i);

/* Fills a zeroed cfg with the table's defaults, derived values included. */
void config_keys_defaults(struct config *cfg);

/*
 * Sets the values that follow other keys unless the file set them: the severity
 * targets follow reply_target, an unset route_topic is "<group>.route". seen[i] is
 * the line that set key i, 0 if none. False with the reason when a derived value is
 * not valid (a group whose "<group>.route" is no topic name) or out of memory.
 */
bool config_keys_derive(struct config *cfg, const int *seen, char *reason, size_t size);

/* Frees the strings and lists the keys own. */
void config_keys_free(struct config *cfg);

#endif
