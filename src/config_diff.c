/* config_diff.c: the settings a file made, as written, and what a reload changed among them. */
#include "config_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "growarray.h"

/* Whether a key holds a secret (its name says password or secret). */
static bool config_diff_secret(const char *name)
{
	return strstr(name, "password") != NULL || strstr(name, "secret") != NULL;
}

/* See config_diff.h. */
bool config_diff_record(struct config *cfg, const char *section, const char *name, const char *value)
{
	struct config_setting *s;

	if (!growarray((void **)&cfg->settings, &cfg->settings_cap, cfg->setting_count + 1, sizeof(*cfg->settings)))
		return false;
	s = &cfg->settings[cfg->setting_count];
	s->section = strdup(section);
	s->name = strdup(name);
	s->value = strdup(value);
	s->secret = config_diff_secret(name);
	/* Counted even when half-made, so config_diff_free releases whichever copy succeeded. */
	cfg->setting_count++;
	return s->section != NULL && s->name != NULL && s->value != NULL;
}

/* The setting of [section] name in cfg, or NULL. */
static const struct config_setting *config_diff_find(const struct config *cfg, const struct config_setting *like)
{
	for (size_t i = 0; i < cfg->setting_count; i++)
		if (strcmp(cfg->settings[i].section, like->section) == 0 && strcmp(cfg->settings[i].name, like->name) == 0)
			return &cfg->settings[i];
	return NULL;
}

/* The summary being written: what fits, and how many changes did not. */
struct config_diff_out {
	char *buf;
	size_t size, len;
	size_t left_out;
};

/* Appends one change, or counts it as left out when it does not fit (room kept for "and N more"). */
static void config_diff_add(struct config_diff_out *o, const char *text)
{
	size_t n = strlen(text) + (o->len > 0 ? 2 : 0);

	if (o->left_out > 0 || o->len + n + 32 >= o->size) {
		o->left_out++;
		return;
	}
	o->len += (size_t)snprintf(o->buf + o->len, o->size - o->len, "%s%s", o->len > 0 ? ", " : "", text);
}

/* A setting's value as a summary shows it: quoted when empty, and a secret not at all. */
static const char *config_diff_shown(const struct config_setting *s)
{
	return s->secret ? "(hidden)" : *s->value == '\0' ? "\"\"" : s->value;
}

/* See config_diff.h. */
void config_diff(const struct config *old, const struct config *fresh, char *buf, size_t size)
{
	struct config_diff_out o = {buf, size, 0, 0};
	char text[512];

	buf[0] = '\0';
	for (size_t i = 0; i < fresh->setting_count; i++) {
		const struct config_setting *now = &fresh->settings[i], *was = config_diff_find(old, now);

		if (was != NULL && strcmp(was->value, now->value) == 0)
			continue;
		if (was == NULL)
			snprintf(text, sizeof(text), "[%s] %s set to %s", now->section, now->name, config_diff_shown(now));
		else if (now->secret)
			snprintf(text, sizeof(text), "[%s] %s changed", now->section, now->name);
		else
			snprintf(text, sizeof(text), "[%s] %s %s -> %s", now->section, now->name, config_diff_shown(was),
			    config_diff_shown(now));
		config_diff_add(&o, text);
	}
	for (size_t i = 0; i < old->setting_count; i++) {
		const struct config_setting *was = &old->settings[i];

		if (config_diff_find(fresh, was) != NULL)
			continue;
		snprintf(text, sizeof(text), "[%s] %s unset (was %s)", was->section, was->name, config_diff_shown(was));
		config_diff_add(&o, text);
	}
	if (o.left_out > 0)
		snprintf(buf + o.len, size - o.len, "%sand %zu more", o.len > 0 ? ", " : "", o.left_out);
	else if (o.len == 0)
		snprintf(buf, size, "nothing changed");
}

/* See config_diff.h. */
void config_diff_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->setting_count; i++) {
		free(cfg->settings[i].section);
		free(cfg->settings[i].name);
		free(cfg->settings[i].value);
	}
	free(cfg->settings);
	cfg->settings = NULL;
	cfg->setting_count = cfg->settings_cap = 0;
}
