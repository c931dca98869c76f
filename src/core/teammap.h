/* teammap.h: the agent -> team map of a [teams] map file, parsed from its text (pure). */
#ifndef FEEDBACKD_TEAMMAP_H
#define FEEDBACKD_TEAMMAP_H

#include <stdbool.h>
#include <stddef.h>

struct teammap;

/*
 * Parses text (len bytes): one "AGENT TEAM" pair a line, separated by spaces or tabs; blank
 * lines and lines starting with '#' are skipped. Ids have no whitespace or control
 * characters, an agent's 1-128 bytes, a team's 1-126 (EVENT_TEAM_MAX); an agent listed twice is an error. NULL on error, with the 1-based
 * line in *line (0: out of memory) and the reason.
 */
struct teammap *teammap_parse(const char *text, size_t len, int *line, char *reason, size_t size);

/* The team of agent (len bytes); NULL when the map has none. */
const char *teammap_team(const struct teammap *m, const char *agent, size_t len);

/* Agents mapped, and the teams they fall in. */
size_t teammap_agents(const struct teammap *m);
size_t teammap_teams(const struct teammap *m);

/* Frees the map; NULL is ignored. */
void teammap_free(struct teammap *m);

#endif
