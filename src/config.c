/* config.c: loads the INI file with libinih and checks it as a whole (keys: config_keys.c). */

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_calendars.h"
#include "config_keys.h"
#include "config_policies.h"
#include "config_rule_keys.h"
#include "config_rule_teams.h"
#include "config_teams.h"
#include "rule.h"
#include "window.h"

#define CONFIG_PASSTHROUGH_PREFIX "rdkafka."

/* State of one config_load: the file, the line being read and the first error. */
struct config_parse {
	struct config	*cfg;
	FILE		*fp;
	char		*line;		/* getline buffer */
	size_t		 line_size;
	int		 lineno;
	int		 seen[CONFIG_KEYS_MAX];	/* line that set each key, 0 if none */
	int		 rdkafka_seen[CONFIG_PASSTHROUGH_MAX];
	char		 rule_window[RULE_COUNT][CONFIG_QUOTE_MAX + 1];	/* as written */
	struct config_calendars_parse	 calendars;	/* [calendar.NAME], built once read */
	struct config_policies_parse	 policies;	/* [policy.NAME], resolved once read */
	bool		 failed;
	int		 err_line;
	char		*err;
	size_t		 err_size;
};

static int	config_fail(struct config_parse *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Records the first error as "file:line: reason" (no line when 0); returns 0 for inih. */
static int
config_fail(struct config_parse *p, int line, const char *fmt, ...)
{
	char	reason[CONFIG_REASON_SIZE];
	va_list	ap;

	if (p->failed)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof reason, fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(p->err, p->err_size, "%s:%d: %s", p->cfg->path, line, reason);
	else
		snprintf(p->err, p->err_size, "%s: %s", p->cfg->path, reason);
	p->failed = true;
	p->err_line = line;
	return 0;
}

/* Fills cfg with the built-in defaults. */
void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	config_keys_defaults(cfg);
	config_policies_defaults(cfg);
}

/* Frees every string, calendar and policy cfg owns; cfg may then be loaded again. */
void
config_free(struct config *cfg)
{
	config_keys_free(cfg);
	config_calendars_free(cfg);
	config_policies_free(cfg);
	config_teams_free(cfg);
	config_rule_teams_free(cfg);
	config_diff_free(cfg);
	for (size_t i = 0; i < cfg->rdkafka_count; i++) {
		free(cfg->rdkafka[i].name);
		free(cfg->rdkafka[i].value);
	}
	free(cfg->path);
	memset(cfg, 0, sizeof *cfg);
}

/* Whether the len bytes at s start with prefix. */
static bool
config_prefixed(const char *s, size_t len, const char *prefix)
{
	return len >= strlen(prefix) && memcmp(s, prefix, strlen(prefix)) == 0;
}

/* The NAME of a [PREFIX.NAME] section (name: len bytes, plen of them the prefix). */
static bool
config_section_name(const char *name, size_t len, size_t plen, char *reason, size_t size)
{
	size_t	n = len - plen;

	if (config_keys_name_valid(name + plen, n))
		return true;
	return config_keys_reject(reason, size, "[%.*s%.*s]: the name after '%.*s' must be "
	    CONFIG_KEYS_NAME_RULE, (int)plen, name,
	    (int)(n > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : n), name + plen, (int)plen, name);
}

/*
 * A section header (name: len bytes). [calendar.NAME] and [policy.NAME] open a section of
 * their module, which keeps the whole name (inih cuts long section names short); any other
 * must be a section of the key table, so a misspelt one is reported even when empty.
 */
static bool
config_section(struct config_parse *p, const char *name, size_t len)
{
	char	reason[CONFIG_REASON_SIZE];
	size_t	cal = strlen(CONFIG_CALENDARS_PREFIX), pol = strlen(CONFIG_POLICIES_PREFIX);
	bool	ok;

	if (config_prefixed(name, len, CONFIG_CALENDARS_PREFIX))
		ok = config_section_name(name, len, cal, reason, sizeof reason) &&
		    config_calendars_section(&p->calendars, name + cal, len - cal, p->lineno,
		    reason, sizeof reason);
	else if (config_prefixed(name, len, CONFIG_POLICIES_PREFIX))
		ok = config_section_name(name, len, pol, reason, sizeof reason) &&
		    config_policies_section(&p->policies, name + pol, len - pol, reason,
		    sizeof reason);
	else if (!(ok = config_keys_section_known(name, len)))
		snprintf(reason, sizeof reason, "unknown section [%.*s]",
		    (int)(len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : len), name);
	if (!ok)
		config_fail(p, p->lineno, "%s", reason);
	return ok;
}

/*
 * inih's line reader. Counting lines here is how errors get their line
 * numbers: this inih is built without INI_HANDLER_LINENO. It also sees
 * section headers, which inih never shows the handler (config_section).
 */
static char *
config_read_line(char *str, int num, void *stream)
{
	struct config_parse	*p = stream;
	ssize_t			 n;
	char			*s, *end;

	if (p->failed)
		return NULL;	/* stop at the first error */
	if ((n = getline(&p->line, &p->line_size, p->fp)) < 0)
		return NULL;
	p->lineno++;
	s = p->line;
	if (p->lineno == 1 && strncmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	/*
	 * inih joins an indented line onto the previous key ("multi-line
	 * values"), which would turn an indented "port = 1" into a second value
	 * of the key above. Nothing here is multi-line, so indentation is dropped.
	 */
	while (*s == ' ' || *s == '\t')
		s++;
	end = p->line + n;
	while (end > s && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	*end = '\0';
	/* inih would silently split a longer line in two. */
	if (end - s > num - 1) {
		config_fail(p, p->lineno, "line is longer than %d characters", num - 1);
		return NULL;
	}
	if (*s == '[' && (end = strchr(s, ']')) != NULL &&
	    !config_section(p, s + 1, (size_t)(end - s - 1)))
		return NULL;
	memcpy(str, s, strlen(s) + 1);
	return str;
}

/* Stores one "rdkafka.NAME = VALUE" line for librdkafka. */
static int
config_passthrough(struct config_parse *p, const char *name, const char *value)
{
	struct config		*cfg = p->cfg;
	struct config_passthrough *pt;

	if (*name == '\0')
		return config_fail(p, p->lineno, "[kafka] %s: missing property name",
		    CONFIG_PASSTHROUGH_PREFIX);
	for (size_t i = 0; i < cfg->rdkafka_count; i++) {
		if (strcmp(cfg->rdkafka[i].name, name) == 0)
			return config_fail(p, p->lineno,
			    "duplicate key '%s%s' in [kafka] (first set on line %d)",
			    CONFIG_PASSTHROUGH_PREFIX, name, p->rdkafka_seen[i]);
	}
	if (cfg->rdkafka_count == CONFIG_PASSTHROUGH_MAX)
		return config_fail(p, p->lineno, "more than %d %s* keys",
		    CONFIG_PASSTHROUGH_MAX, CONFIG_PASSTHROUGH_PREFIX);
	pt = &cfg->rdkafka[cfg->rdkafka_count];
	pt->name = strdup(name);
	pt->value = strdup(value);
	/* Counted even when half-made, so config_free releases whichever copy succeeded. */
	p->rdkafka_seen[cfg->rdkafka_count++] = p->lineno;
	if (pt->name == NULL || pt->value == NULL)
		return config_fail(p, p->lineno, "out of memory");
	return 1;
}

/* One "name = value" line of a section of the key table. */
static bool
config_fixed_key(struct config_parse *p, const char *section, const char *name,
    const char *value, char *reason, size_t size)
{
	int	i = config_keys_find(section, name), rule;

	if (!config_keys_mark(i, p->seen, section, name, p->lineno, reason, size) ||
	    !config_keys_set(p->cfg, i, value, reason, size))
		return false;
	if ((rule = config_keys_rule_window(i)) >= 0)
		snprintf(p->rule_window[rule], sizeof p->rule_window[0], "%s", value);
	return true;
}

/* inih's handler: one "name = value" line of the current section. */
static int
config_handler(void *user, const char *section, const char *name, const char *value)
{
	struct config_parse	*p = user;
	char			 reason[CONFIG_REASON_SIZE];
	bool			 ok;

	if (p->failed)
		return 0;
	if (*section == '\0')
		return config_fail(p, p->lineno, "key '%s' is outside any [section]", name);
	if (!config_diff_record(p->cfg, section, name, value))
		return config_fail(p, p->lineno, "out of memory");
	if (strcmp(section, "kafka") == 0 &&
	    strncmp(name, CONFIG_PASSTHROUGH_PREFIX, strlen(CONFIG_PASSTHROUGH_PREFIX)) == 0)
		return config_passthrough(p, name + strlen(CONFIG_PASSTHROUGH_PREFIX), value);

	/* The modules know the section config_section opened, whole, from its header. */
	if (config_prefixed(section, strlen(section), CONFIG_CALENDARS_PREFIX))
		ok = config_calendars_set(&p->calendars, name, value, p->lineno, reason,
		    sizeof reason);
	else if (config_prefixed(section, strlen(section), CONFIG_POLICIES_PREFIX))
		ok = config_policies_set(&p->policies, name, value, p->lineno, reason,
		    sizeof reason);
	else if (config_prefixed(section, strlen(section), "rule.") &&
	    config_prefixed(name, strlen(name), CONFIG_RULE_TEAMS_PREFIX))
		ok = config_rule_teams_set(p->cfg, section, name, value, p->lineno, reason, sizeof reason);
	else
		ok = config_fixed_key(p, section, name, value, reason, sizeof reason);
	return ok ? 1 : config_fail(p, p->lineno, "%s", reason);
}

/* The line that set a key, for errors found only once the whole file is read. */
static int
config_line_of(const struct config_parse *p, const char *section, const char *name)
{
	int	i = config_keys_find(section, name);

	return i >= 0 ? p->seen[i] : 0;
}

/* The later of two keys' lines: where a clash between them appeared. */
static int
config_later_line(const struct config_parse *p, const char *section1, const char *name1,
    const char *section2, const char *name2)
{
	int	a = config_line_of(p, section1, name1), b = config_line_of(p, section2, name2);

	return a > b ? a : b;
}

/* One topic feedbackd produces to: its key and the line that named it. */
struct config_output {
	const char	*section;
	const char	*key;
	const char	*topic;
	int		 line;
};

/*
 * The topics produced to must not be input topics (feedbackd would feed itself) nor
 * one another (dead letters, alerts and route records would mix). A clash is reported
 * on the later of the two lines; an unset route_topic is named on the group's line.
 */
static bool
config_validate_outputs(struct config_parse *p)
{
	struct config			*cfg = p->cfg;
	int				 route = config_line_of(p, "engine", "route_topic");
	const struct config_output	 out[] = {
		{ "kafka", "dlq_topic", cfg->dlq_topic, config_line_of(p, "kafka", "dlq_topic") },
		{ "kafka", "alerts_topic", cfg->alerts_topic,
		    config_line_of(p, "kafka", "alerts_topic") },
		{ "engine", "route_topic", cfg->route_topic,
		    route > 0 ? route : config_line_of(p, "kafka", "group") },
	};
	size_t				 n = sizeof out / sizeof out[0];
	int				 topics = config_line_of(p, "kafka", "topics");

	for (size_t o = 0; o < n; o++) {
		for (size_t i = 0; i < cfg->topic_count; i++) {
			if (strcmp(cfg->topics[i], out[o].topic) != 0)
				continue;
			config_fail(p, out[o].line > topics ? out[o].line : topics,
			    "[%s] %s: '%s' is also an input topic", out[o].section, out[o].key,
			    out[o].topic);
			return false;
		}
		for (size_t q = o + 1; q < n; q++) {
			if (strcmp(out[o].topic, out[q].topic) != 0)
				continue;
			config_fail(p, out[o].line > out[q].line ? out[o].line : out[q].line,
			    "[%s] %s and [%s] %s are both '%s'", out[o].section, out[o].key,
			    out[q].section, out[q].key, out[o].topic);
			return false;
		}
	}
	return true;
}

/*
 * Turns each rule's window name into an index into the final [windows]; a
 * rule without one takes its default window, or the configured one closest
 * to it in span.
 */
static bool
config_rule_windows(struct config_parse *p)
{
	struct config	*cfg = p->cfg;
	char		 section[32], list[WINDOWS_MAX * WINDOW_NAME_SIZE] = "";
	size_t		 off = 0, w;

	for (int id = 0; id < RULE_COUNT; id++) {
		const char	*name = p->rule_window[id];
		int		 line;

		snprintf(section, sizeof section, "rule.%s", rule_name((enum rule_id)id));
		if ((line = config_line_of(p, section, "window")) == 0) {
			cfg->rules[id].window = rule_default_window((enum rule_id)id, &cfg->windows);
			continue;
		}
		for (w = 0; w < cfg->windows.count; w++) {
			if (strcmp(cfg->windows.w[w].name, name) == 0)
				break;
		}
		if (w < cfg->windows.count) {
			cfg->rules[id].window = w;
			continue;
		}
		for (w = 0; w < cfg->windows.count; w++)
			off += (size_t)snprintf(list + off, sizeof list - off, "%s%s",
			    w > 0 ? "," : "", cfg->windows.w[w].name);
		config_fail(p, line,
		    "[%s] window: '%s' is not one of the configured windows (%s)", section, name,
		    list);
		return false;
	}
	return true;
}

/*
 * A firing csat_below or nps_below resolves only once the figure is at least
 * threshold + margin; past 100 no figure gets there, and such an alert would
 * stay firing until its ratings age out. Reported on the later of the two lines.
 */
static bool
config_rule_margins(struct config_parse *p)
{
	char	section[32];
	int	line, margin_line;

	for (int id = 0; id < RULE_COUNT; id++) {
		const struct rule_config	*rc = &p->cfg->rules[id];

		if (config_rule_keys_resolvable((enum rule_id)id, rc->threshold, rc->margin))
			continue;
		snprintf(section, sizeof section, "rule.%s", rule_name((enum rule_id)id));
		line = config_line_of(p, section, "threshold");
		if ((margin_line = config_line_of(p, section, "margin")) > line)
			line = margin_line;
		config_fail(p, line,
		    "[%s] threshold + margin (%g + %g) is above %d: a firing alert could never "
		    "resolve", section, rc->threshold, rc->margin, CONFIG_SCORE_MAX);
		return false;
	}
	return true;
}

/* [redis] mode against the keys each mode needs or cannot use. */
static bool
config_validate_redis(struct config_parse *p)
{
	const struct config	*cfg = p->cfg;
	bool			 cluster = cfg->redis_mode == REDIS_MODE_CLUSTER;
	bool			 sentinel = cfg->redis_mode == REDIS_MODE_SENTINEL;
	int			 line = config_line_of(p, "redis", "mode");

	if (cluster != (cfg->redis_cluster.count > 0)) {
		config_fail(p, cluster ? line : config_line_of(p, "redis", "cluster"), cluster ?
		    "[redis] mode = cluster needs cluster = HOST:PORT,... (seed nodes)" :
		    "[redis] cluster is set, but mode is not cluster");
		return false;
	}
	if (sentinel != (cfg->redis_sentinels.count > 0)) {
		config_fail(p, sentinel ? line : config_line_of(p, "redis", "sentinels"), sentinel ?
		    "[redis] mode = sentinel needs sentinels = HOST:PORT,..." :
		    "[redis] sentinels is set, but mode is not sentinel");
		return false;
	}
	if (cluster && cfg->redis_db != 0) {
		config_fail(p, config_line_of(p, "redis", "db"),
		    "[redis] db: a Redis Cluster has only database 0");
		return false;
	}
	if ((cluster || sentinel) && cfg->redis_socket != NULL) {
		config_fail(p, config_line_of(p, "redis", "socket"),
		    "[redis] socket: mode = %s reaches its nodes over TCP; remove socket",
		    cluster ? "cluster" : "sentinel");
		return false;
	}
	return true;
}

/* Resolves [appraisal] calendar; false with the reason and *line when it names no calendar. */
static bool
config_appraisal(struct config *cfg, int *line, struct config_parse *p, char *reason, size_t size)
{
	const char	*name = cfg->appraisal_calendar != NULL ? cfg->appraisal_calendar : CALENDAR_ALWAYS;

	if ((cfg->appraisal = config_calendars_find(cfg, name)) != NULL)
		return true;
	*line = config_line_of(p, "appraisal", "calendar");
	snprintf(reason, size, "[appraisal] calendar: no [%s%s] is defined", CONFIG_CALENDARS_PREFIX, name);
	return false;
}

/* Builds the calendars, then the policies that name them, from what their sections said. */
static bool
config_sections(struct config_parse *p)
{
	char	reason[CONFIG_REASON_SIZE];
	int	line;

	if (config_calendars_build(&p->calendars, p->cfg, &line, reason, sizeof reason) &&
	    config_appraisal(p->cfg, &line, p, reason, sizeof reason) &&
	    config_policies_finish(&p->policies, p->cfg, &line, reason, sizeof reason)) {
		if (config_teams_load(p->cfg, reason, sizeof reason))
			return true;
		line = config_line_of(p, "teams", "map");
	}
	config_fail(p, line, "%s", reason);
	return false;
}

/* Rules that involve more than one key, checked after the whole file is read. */
static bool
config_validate(struct config_parse *p)
{
	struct config	*cfg = p->cfg;
	char		 reason[CONFIG_REASON_SIZE];
	int		 line;

	if (cfg->topic_count == 0) {
		config_fail(p, config_line_of(p, "kafka", "topics"),
		    "[kafka] topics: at least one topic is required");
		return false;
	}
	if (!config_validate_outputs(p))
		return false;
	/* The task checkpoints' hash tag is {<group>:<task>} after the prefix: braces would move it. */
	if (strpbrk(cfg->prefix, "{}") != NULL) {
		config_fail(p, config_line_of(p, "redis", "prefix"),
		    "[redis] prefix: '%s' holds a brace, which would change the keys' cluster slots", cfg->prefix);
		return false;
	}
	if (strpbrk(cfg->group, "{}") != NULL) {
		config_fail(p, config_line_of(p, "kafka", "group"),
		    "[kafka] group: '%s' holds a brace, which would change the task keys' cluster slots", cfg->group);
		return false;
	}
	if (!config_validate_redis(p) || !config_rule_windows(p) || !config_rule_margins(p))
		return false;
	if (!config_rule_teams_finish(cfg, &line, reason, sizeof reason)) {
		config_fail(p, line, "%s", reason);
		return false;
	}
	return config_sections(p);
}

/*
 * Loads path over the defaults; on error writes "file:line: reason" and
 * returns false. cfg must be zeroed or hold a config (from config_defaults or
 * an earlier load): whatever it owns is freed first. On failure cfg holds a
 * partial config that only config_free should touch.
 */
bool
config_load(struct config *cfg, const char *path, char *err, size_t err_size)
{
	struct config_parse	p;
	char			reason[CONFIG_REASON_SIZE];
	int			ret;

	config_free(cfg);
	config_defaults(cfg);
	memset(&p, 0, sizeof p);
	p.cfg = cfg;
	p.err = err;
	p.err_size = err_size;
	if (err_size > 0)
		err[0] = '\0';
	if ((cfg->path = strdup(path)) == NULL) {
		snprintf(err, err_size, "%s: out of memory", path);
		return false;
	}
	if ((p.fp = fopen(path, "r")) == NULL) {
		config_fail(&p, 0, "%s", strerror(errno));
		return false;
	}

	ret = ini_parse_stream(config_read_line, &p, config_handler, &p);
	if (ferror(p.fp) && !p.failed)
		config_fail(&p, 0, "read error: %s", strerror(errno));
	fclose(p.fp);
	free(p.line);
	/* inih reports lines it cannot parse only through its return value. */
	if (ret > 0 && (!p.failed || ret < p.err_line)) {
		p.failed = false;
		config_fail(&p, ret, "syntax error: expected [section] or key = value");
	}
	if (!p.failed && !config_keys_derive(cfg, p.seen, reason, sizeof reason))
		config_fail(&p, config_later_line(&p, "kafka", "group", "engine", "route_topic"),
		    "%s", reason);
	if (!p.failed)
		config_validate(&p);
	config_calendars_parse_free(&p.calendars);
	config_policies_parse_free(&p.policies);
	return !p.failed;
}
