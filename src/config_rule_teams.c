/* config_rule_teams.c: [rule.NAME] team.TEAM.threshold, a quality rule's threshold for one team's agents. */
#include "config_rule_teams.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_keys.h"
#include "config_rule_keys.h"
#include "growarray.h"

/* The team's entry, made on first use; NULL when out of memory. */
static struct config_rule_team *config_rule_teams_entry(struct config *cfg, const char *team, size_t len)
{
	struct config_rule_team *t;

	for (size_t i = 0; i < cfg->rule_team_count; i++)
		if (strlen(cfg->rule_teams[i].team) == len && memcmp(cfg->rule_teams[i].team, team, len) == 0)
			return &cfg->rule_teams[i];
	if (!growarray((void **)&cfg->rule_teams, &cfg->rule_team_cap, cfg->rule_team_count + 1,
	    sizeof(*cfg->rule_teams)))
		return NULL;
	t = &cfg->rule_teams[cfg->rule_team_count++];
	memset(t, 0, sizeof(*t));
	memcpy(t->team, team, len);
	return t;
}

/* See config_rule_teams.h. */
bool config_rule_teams_set(struct config *cfg, const char *section, const char *name, const char *value,
    int line, char *reason, size_t size)
{
	const char *team = name + strlen(CONFIG_RULE_TEAMS_PREFIX), *dot = strrchr(name, '.');
	size_t len = dot != NULL && dot > team ? (size_t)(dot - team) : 0;
	struct config_rule_team *t;
	enum rule_id id;
	double threshold;

	if (!rule_parse_name(section + strlen("rule."), &id))
		return config_keys_reject(reason, size, "unknown key '%s' in [%s]", name, section);
	if (len == 0 || len > EVENT_TEAM_MAX || strcmp(dot, ".threshold") != 0)
		return config_keys_reject(reason, size, "[%s] %s: a team's key is team.TEAM.threshold, TEAM 1-%d bytes",
		    section, name, EVENT_TEAM_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)team[i] < 0x20 || team[i] == 0x7f)
			return config_keys_reject(reason, size, "[%s] %s: the team holds a control character", section, name);
	if (!config_rule_keys_threshold(id, value, &threshold, reason, size))
		return false;
	if ((t = config_rule_teams_entry(cfg, team, len)) == NULL)
		return config_keys_reject(reason, size, "out of memory");
	if (t->set[id])
		return config_keys_reject(reason, size, "[%s] %s is set twice", section, name);
	t->set[id] = true;
	t->line[id] = line;
	t->threshold[id] = threshold;
	return true;
}

/* See config_rule_teams.h. */
bool config_rule_teams_finish(struct config *cfg, int *line, char *reason, size_t size)
{
	for (size_t i = 0; i < cfg->rule_team_count; i++) {
		struct config_rule_team *t = &cfg->rule_teams[i];

		memcpy(t->rules, cfg->rules, sizeof(t->rules));
		for (int id = 0; id < RULE_COUNT; id++) {
			if (!t->set[id])
				continue;
			t->rules[id].threshold = t->threshold[id];
			*line = t->line[id];
			if (!config_rule_keys_resolvable((enum rule_id)id, t->threshold[id], t->rules[id].margin))
				return config_keys_reject(reason, size,
				    "[rule.%s] team.%s.threshold + margin (%g + %g) is above %d: a firing alert could "
				    "never resolve", rule_name((enum rule_id)id), t->team, t->threshold[id],
				    t->rules[id].margin, CONFIG_SCORE_MAX);
		}
	}
	return true;
}

/* See config_rule_teams.h. */
const struct rule_config *config_rule_teams_of(const struct config *cfg, const char *team)
{
	for (size_t i = 0; team != NULL && i < cfg->rule_team_count; i++)
		if (strcmp(cfg->rule_teams[i].team, team) == 0)
			return cfg->rule_teams[i].rules;
	return cfg->rules;
}

/* See config_rule_teams.h. */
void config_rule_teams_free(struct config *cfg)
{
	free(cfg->rule_teams);
	cfg->rule_teams = NULL;
	cfg->rule_team_count = cfg->rule_team_cap = 0;
}
