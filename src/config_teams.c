/* config_teams.c: [teams] map, the file of agent -> team pairs, read when the configuration loads. */
#include "config_teams.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "teammap.h"

/* A map file larger than this is refused: 1 million agents at 64 bytes a line. */
#define CONFIG_TEAMS_MAX_BYTES (64L * 1024 * 1024)

/* The map's path: as written when absolute, else beside the configuration file. NULL: no memory. */
static char *config_teams_path(const struct config *cfg)
{
	const char *slash = cfg->path != NULL ? strrchr(cfg->path, '/') : NULL;
	size_t dir = slash != NULL ? (size_t)(slash - cfg->path) + 1 : 0;
	char *path;

	if (cfg->teams_map[0] == '/' || dir == 0)
		return strdup(cfg->teams_map);
	if ((path = malloc(dir + strlen(cfg->teams_map) + 1)) == NULL)
		return NULL;
	memcpy(path, cfg->path, dir);
	strcpy(path + dir, cfg->teams_map);
	return path;
}

/* The whole file at path, in a malloc'ed buffer; NULL with the reason. */
static char *config_teams_read(const char *path, size_t *len, char *reason, size_t size)
{
	FILE *fp = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (fp == NULL) {
		snprintf(reason, size, "[teams] map: %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0)
		snprintf(reason, size, "[teams] map: %s: %s", path, strerror(errno));
	else if (n > CONFIG_TEAMS_MAX_BYTES)
		snprintf(reason, size, "[teams] map: %s: larger than %ld bytes", path, CONFIG_TEAMS_MAX_BYTES);
	else if ((buf = malloc((size_t)n + 1)) == NULL)
		snprintf(reason, size, "[teams] map: %s: out of memory", path);
	else if (fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		snprintf(reason, size, "[teams] map: %s: read error", path);
		free(buf);
		buf = NULL;
	} else
		*len = (size_t)n;
	fclose(fp);
	return buf;
}

/* See config_teams.h. */
bool config_teams_load(struct config *cfg, char *reason, size_t size)
{
	char *path, *text, why[160];
	size_t len = 0;
	int line;

	if (cfg->teams_map == NULL)
		return true;
	if ((path = config_teams_path(cfg)) == NULL) {
		snprintf(reason, size, "[teams] map: out of memory");
		return false;
	}
	if ((text = config_teams_read(path, &len, reason, size)) != NULL) {
		if ((cfg->teams = teammap_parse(text, len, &line, why, sizeof(why))) == NULL)
			snprintf(reason, size, "[teams] map: %s:%d: %s", path, line, why);
		free(text);
	}
	free(path);
	return cfg->teams != NULL;
}

/* See config_teams.h. */
void config_teams_free(struct config *cfg)
{
	teammap_free(cfg->teams);
	cfg->teams = NULL;
}
