/* config_keys.h: every key of the config file, its default and its value parser. */
#ifndef FEEDBACKD_CONFIG_KEYS_H
#define FEEDBACKD_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* Room for one reason a value or a file was refused. */
#define CONFIG_REASON_SIZE 256
/* Values are quoted in messages only this far, so a long one cannot hide the reason. */
#define CONFIG_QUOTE_MAX 64
/* The most keys the table may hold, so the loader can keep a line per key. */
#define CONFIG_KEYS_MAX 128
/* What a [calendar.NAME] or [policy.NAME] name may be (63: POLICY_NAME_MAX - 1), for messages. */
#define CONFIG_KEYS_NAME_RULE "1 to 63 characters of A-Z a-z 0-9 _ -"

/* The index of key name of [section], or -1 when there is no such key. */
int config_keys_find(const char *section, const char *name);

/*
 * Records line in seen[i] as the line that set key i of [section], i < 0 being no such key.
 * False with the reason, "unknown key 'x' in [section]" or "duplicate key 'x' in [section]
 * (first set on line N)", when there is no such key or it was set before.
 */
bool config_keys_mark(int i, int *seen, const char *section, const char *name, int line,
    char *reason, size_t size);

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

/*
 * The parsers and messages the [calendar.NAME] and [policy.NAME] sections share with the
 * fixed keys, so one kind of value is read and refused in the same words everywhere.
 */

/* Writes fmt as the reason; returns false. */
bool config_keys_reject(char *reason, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "[section] key: " then fmt as the reason ("[section] " when key is NULL); returns false. */
bool config_keys_refuse(char *reason, size_t size, const char *section, const char *key,
    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * The next item of the comma-separated list at *cursor, blanks around it trimmed; false once
 * the list is done (*cursor NULL). Start with *cursor = the value: a list has at least one
 * item, and "", "a,,b" or "a," give an empty one, so the caller refuses it in its own words.
 */
bool config_keys_list_next(const char **cursor, const char **item, size_t *len);

/* Whether the len bytes at s are a calendar or policy name: CONFIG_KEYS_NAME_RULE. */
bool config_keys_name_valid(const char *s, size_t len);

/* Parses a duration ("90s") into *ms; false with the reason. */
bool config_keys_duration(const char *value, int64_t *ms, char *reason, size_t size);

/* Parses a fraction 0 <= x < 1 (an at-risk point) into *out; false with the reason. */
bool config_keys_fraction(const char *value, double *out, char *reason, size_t size);

/* Parses a whole decimal integer in [min, max] into *out; false when it is not one. */
bool config_keys_int(const char *s, int min, int max, int *out);

#endif
