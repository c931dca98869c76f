/* config_teams.h: [teams] map, the file of agent -> team pairs, read when the configuration loads. */
#ifndef FEEDBACKD_CONFIG_TEAMS_H
#define FEEDBACKD_CONFIG_TEAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/*
 * Reads the file [teams] map names (a relative path is taken from the configuration file's
 * directory) into cfg->teams; nothing when unset. False with the reason, which names the
 * file and its line.
 */
bool config_teams_load(struct config *cfg, char *reason, size_t size);

/* Frees cfg->teams. */
void config_teams_free(struct config *cfg);

#endif
