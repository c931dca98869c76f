/* config_calendars.c: the [calendar.NAME] sections: business hours, read, then built. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_calendars.h"
#include "config_keys.h"

#define nitems(a) (sizeof (a) / sizeof ((a)[0]))

/* The keys of a section, by index; weekday d (0 is Monday) is CONFIG_CALENDARS_MONDAY + d. */
enum {
	CONFIG_CALENDARS_TIMEZONE,
	CONFIG_CALENDARS_MONDAY,
	CONFIG_CALENDARS_HOLIDAYS = CONFIG_CALENDARS_MONDAY + CALENDAR_DAYS_PER_WEEK,
	CONFIG_CALENDARS_KEYS
};
static const char *const config_calendars_keys[] = {
	"timezone", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
	"holidays",
};
_Static_assert(nitems(config_calendars_keys) == CONFIG_CALENDARS_KEYS, "one name per key");

/* One [calendar.NAME] as read: a spec for calendar_new and the lines its errors point at. */
struct config_calendars_entry {
	char			 section[sizeof CONFIG_CALENDARS_PREFIX + POLICY_NAME_MAX];
	int			 header;	/* line of its first header */
	int			 seen[CONFIG_CALENDARS_KEYS];	/* line that set each key, or 0 */
	struct calendar_spec	 spec;		/* zeroed: every day closed, no holiday */
};

/* The name of an entry, after "calendar.". */
static const char *
config_calendars_name(const struct config_calendars_entry *e)
{
	return e->section + strlen(CONFIG_CALENDARS_PREFIX);
}

/* See config_calendars.h. */
bool
config_calendars_section(struct config_calendars_parse *cp, const char *name, size_t len,
    int line, char *reason, size_t size)
{
	struct config_calendars_entry	*v;
	char				 section[sizeof v->section];

	snprintf(section, sizeof section, "%s%.*s", CONFIG_CALENDARS_PREFIX, (int)len, name);
	for (size_t i = 0; i < cp->n; i++) {
		if (strcmp(cp->v[i].section, section) == 0) {
			cp->cur = i;
			return true;
		}
	}
	if (strcmp(section + strlen(CONFIG_CALENDARS_PREFIX), CALENDAR_ALWAYS) == 0)
		return config_keys_refuse(reason, size, section, NULL,
		    "is built in (every instant is business time) and cannot be defined");
	if (cp->n == CONFIG_CALENDARS_MAX)
		return config_keys_reject(reason, size, "more than %d [%s*] sections",
		    CONFIG_CALENDARS_MAX, CONFIG_CALENDARS_PREFIX);
	if ((v = realloc(cp->v, (cp->n + 1) * sizeof *v)) == NULL)
		return config_keys_reject(reason, size, "out of memory");
	cp->v = v;
	memset(&v[cp->n], 0, sizeof v[cp->n]);
	memcpy(v[cp->n].section, section, sizeof section);
	v[cp->n].header = line;
	cp->cur = cp->n++;
	return true;
}

/* The index of key, or -1 when a section has no such key. */
static int
config_calendars_key(const char *key)
{
	for (size_t i = 0; i < nitems(config_calendars_keys); i++) {
		if (strcmp(config_calendars_keys[i], key) == 0)
			return (int)i;
	}
	return -1;
}

/* See config_calendars.h. */
bool
config_calendars_set(struct config_calendars_parse *cp, const char *key, const char *value,
    int line, char *reason, size_t size)
{
	struct config_calendars_entry	*e = &cp->v[cp->cur];
	struct calendar_spec		*spec = &e->spec;
	char				 why[CONFIG_REASON_SIZE];
	int				 k = config_calendars_key(key), day;
	bool				 ok;

	if (!config_keys_mark(k, e->seen, e->section, key, line, reason, size))
		return false;
	switch (k) {
	case CONFIG_CALENDARS_TIMEZONE:
		/* ICU judges the name itself once the file is read (calendar_new). */
		if (strlen(value) >= sizeof spec->timezone)
			return config_keys_refuse(reason, size, e->section, key,
			    "'%.*s' is longer than any time zone name", CONFIG_QUOTE_MAX, value);
		snprintf(spec->timezone, sizeof spec->timezone, "%s", value);
		return true;
	case CONFIG_CALENDARS_HOLIDAYS:
		ok = calendar_parse_holidays(value, spec, why, sizeof why);
		break;
	default:
		day = k - CONFIG_CALENDARS_MONDAY;
		ok = calendar_parse_day(value, spec->spans[day], &spec->n_spans[day], why,
		    sizeof why);
		break;
	}
	if (!ok)
		return config_keys_refuse(reason, size, e->section, key, "%s", why);
	return true;
}

/* Whether some weekday of spec has opening hours. */
static bool
config_calendars_open(const struct calendar_spec *spec)
{
	for (int d = 0; d < CALENDAR_DAYS_PER_WEEK; d++) {
		if (spec->n_spans[d] > 0)
			return true;
	}
	return false;
}

/* See config_calendars.h. */
bool
config_calendars_build(const struct config_calendars_parse *cp, struct config *cfg, int *line,
    char *reason, size_t size)
{
	char	why[CONFIG_REASON_SIZE];

	*line = 0;
	if (cp->n > 0 && (cfg->calendars = calloc(cp->n, sizeof *cfg->calendars)) == NULL)
		return config_keys_reject(reason, size, "out of memory");
	for (size_t i = 0; i < cp->n; i++) {
		const struct config_calendars_entry	*e = &cp->v[i];
		struct config_calendar			*c = &cfg->calendars[i];

		*line = e->header;
		if (e->seen[CONFIG_CALENDARS_TIMEZONE] == 0)
			return config_keys_refuse(reason, size, e->section, NULL,
			    "timezone is required (an IANA name such as Europe/Berlin)");
		if ((c->calendar = calendar_new(&e->spec, why, sizeof why)) == NULL) {
			/* calendar_new refuses a week without hours, or else the time zone. */
			if (!config_calendars_open(&e->spec))
				return config_keys_refuse(reason, size, e->section, NULL, "%s",
				    why);
			*line = e->seen[CONFIG_CALENDARS_TIMEZONE];
			return config_keys_refuse(reason, size, e->section,
			    config_calendars_keys[CONFIG_CALENDARS_TIMEZONE], "%s", why);
		}
		snprintf(c->name, sizeof c->name, "%s", config_calendars_name(e));
		cfg->calendar_count++;
	}
	return true;
}

/* See config_calendars.h. */
struct calendar *
config_calendars_find(const struct config *cfg, const char *name)
{
	if (strcmp(name, CALENDAR_ALWAYS) == 0)
		return calendar_always();
	for (size_t i = 0; i < cfg->calendar_count; i++) {
		if (strcmp(cfg->calendars[i].name, name) == 0)
			return cfg->calendars[i].calendar;
	}
	return NULL;
}

/* See config_calendars.h. */
void
config_calendars_parse_free(struct config_calendars_parse *cp)
{
	free(cp->v);
	memset(cp, 0, sizeof *cp);
}

/* See config_calendars.h. */
void
config_calendars_free(struct config *cfg)
{
	for (size_t i = 0; i < cfg->calendar_count; i++)
		calendar_free(cfg->calendars[i].calendar);
	free(cfg->calendars);
	cfg->calendars = NULL;
	cfg->calendar_count = 0;
}
