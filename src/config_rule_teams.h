/* config_rule_teams.h: [rule.NAME] team.TEAM.threshold, a quality rule's threshold for one team's agents. */
#ifndef FEEDBACKD_CONFIG_RULE_TEAMS_H
#define FEEDBACKD_CONFIG_RULE_TEAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* The key's prefix in a [rule.NAME] section: "team.billing.threshold". */
#define CONFIG_RULE_TEAMS_PREFIX "team."

/*
 * One "team.TEAM.threshold = V" line of section [rule.NAME] (name: the key). False with the
 * reason for a bad team, a key other than threshold, a bad value, or a team set twice.
 */
bool config_rule_teams_set(struct config *cfg, const char *section, const char *name, const char *value,
    int line, char *reason, size_t size);

/*
 * Once the whole file is read: each team's rules are [rule.*]'s with its thresholds. False
 * with the reason and the threshold's line when it and its rule's margin leave no way to resolve.
 */
bool config_rule_teams_finish(struct config *cfg, int *line, char *reason, size_t size);

/* The rules for an agent of team (NULL: none): the team's when the file sets any, else cfg->rules. */
const struct rule_config *config_rule_teams_of(const struct config *cfg, const char *team);

/* Frees them. */
void config_rule_teams_free(struct config *cfg);

#endif
