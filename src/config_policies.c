/* config_policies.c: the [policy.NAME] sections: reply policies, read, then resolved. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_calendars.h"
#include "config_keys.h"
#include "config_policies.h"
#include "timestamp.h"

#define nitems(a) (sizeof (a) / sizeof ((a)[0]))

/* The statuses that may pause a clock (the ticket waits on someone else), and do by default. */
#define CONFIG_POLICIES_PAUSABLE ((1u << STATUS_PENDING) | (1u << STATUS_ON_HOLD))
/* Room for a key's name, "resolution.promise" the longest. */
#define CONFIG_POLICIES_KEY_SIZE 32

/* The keys of a section but the targets': the first CONFIG_POLICIES_MATCHES are match.*. */
enum {
	CONFIG_POLICIES_SEVERITY,
	CONFIG_POLICIES_CATEGORY,
	CONFIG_POLICIES_QUEUE,
	CONFIG_POLICIES_CALENDAR,
	CONFIG_POLICIES_PAUSE,
	CONFIG_POLICIES_TARGETS		/* then each target's keys: config_policies_index() */
};
#define CONFIG_POLICIES_MATCHES (CONFIG_POLICIES_QUEUE + 1)
static const char *const config_policies_keys[] = {
	"match.severity", "match.category", "match.queue", "calendar", "pause",
};
_Static_assert(nitems(config_policies_keys) == CONFIG_POLICIES_TARGETS, "one name per key");

/* What each of a target's keys sets; its name follows the target's ("first_reply.at_risk"). */
enum config_policies_aspect {
	CONFIG_POLICIES_TARGET,
	CONFIG_POLICIES_AT_RISK,
	CONFIG_POLICIES_PROMISE,
	CONFIG_POLICIES_ASPECTS
};
static const char *const config_policies_suffixes[] = { "", ".at_risk", ".promise" };
_Static_assert(nitems(config_policies_suffixes) == CONFIG_POLICIES_ASPECTS, "one per aspect");

#define CONFIG_POLICIES_KEYS \
	(CONFIG_POLICIES_TARGETS + POLICY_TARGET_COUNT * CONFIG_POLICIES_ASPECTS)

/* One [policy.NAME] as read: the policy so far and the lines its errors point at. */
struct config_policies_entry {
	char		 section[sizeof CONFIG_POLICIES_PREFIX + POLICY_NAME_MAX];
	int		 seen[CONFIG_POLICIES_KEYS];	/* line that set each key, 0 if none */
	struct policy	 policy;
};

/* The index of target t's key for aspect a. */
static int
config_policies_index(enum policy_target t, enum config_policies_aspect a)
{
	return CONFIG_POLICIES_TARGETS + (int)t * CONFIG_POLICIES_ASPECTS + (int)a;
}

/* The name of key k ("match.queue", "next_reply.promise"), written into buf if need be. */
static const char *
config_policies_key_name(int k, char *buf, size_t size)
{
	if (k < CONFIG_POLICIES_TARGETS)
		return config_policies_keys[k];
	k -= CONFIG_POLICIES_TARGETS;
	snprintf(buf, size, "%s%s",
	    policy_target_name((enum policy_target)(k / CONFIG_POLICIES_ASPECTS)),
	    config_policies_suffixes[k % CONFIG_POLICIES_ASPECTS]);
	return buf;
}

/* The index of key, or -1 when a section has no such key. */
static int
config_policies_key(const char *key)
{
	char	buf[CONFIG_POLICIES_KEY_SIZE];

	for (int k = 0; k < CONFIG_POLICIES_KEYS; k++) {
		if (strcmp(config_policies_key_name(k, buf, sizeof buf), key) == 0)
			return k;
	}
	return -1;
}

/* An at-risk fraction as the clocks keep it, rounded as for [sla] at_risk. */
static int
config_policies_permille(double at_risk)
{
	return (int)(at_risk * 1000 + 0.5);
}

/* Fills p with what a [policy.NAME] without keys means, but what it takes from [sla]. */
static void
config_policies_init(struct policy *p, const char *name, size_t len)
{
	memset(p, 0, sizeof *p);
	snprintf(p->name, sizeof p->name, "%.*s", (int)len, name);
	snprintf(p->calendar_name, sizeof p->calendar_name, "%s", CALENDAR_ALWAYS);
	p->calendar = calendar_always();
	/* The reply clocks run as [sla] has them; a resolution clock only when asked for. */
	for (int t = 0; t < POLICY_TARGET_COUNT; t++)
		p->goals[t].target_ms = t == POLICY_RESOLUTION ? 0 : POLICY_INHERIT;
	p->pause_mask = CONFIG_POLICIES_PAUSABLE;
}

/* Gives p the at-risk points its section left unset (seen NULL: all) from cfg's [sla]. */
static void
config_policies_derive(struct policy *p, const int *seen, const struct config *cfg)
{
	for (int t = 0; t < POLICY_TARGET_COUNT; t++) {
		if (seen == NULL || seen[config_policies_index((enum policy_target)t,
		    CONFIG_POLICIES_AT_RISK)] == 0)
			p->goals[t].at_risk_permille = config_policies_permille(cfg->at_risk);
	}
}

/* See config_policies.h. */
bool
config_policies_section(struct config_policies_parse *pp, const char *name, size_t len,
    char *reason, size_t size)
{
	struct config_policies_entry	*v;
	char				 section[sizeof v->section];

	snprintf(section, sizeof section, "%s%.*s", CONFIG_POLICIES_PREFIX, (int)len, name);
	for (size_t i = 0; i < pp->n; i++) {
		if (strcmp(pp->v[i].section, section) == 0) {
			pp->cur = i;
			return true;
		}
	}
	if (pp->n == CONFIG_POLICIES_MAX)
		return config_keys_reject(reason, size, "more than %d [%s*] sections",
		    CONFIG_POLICIES_MAX, CONFIG_POLICIES_PREFIX);
	if ((v = realloc(pp->v, (pp->n + 1) * sizeof *v)) == NULL)
		return config_keys_reject(reason, size, "out of memory");
	pp->v = v;
	memset(&v[pp->n], 0, sizeof v[pp->n]);
	memcpy(v[pp->n].section, section, sizeof section);
	config_policies_init(&v[pp->n].policy, name, len);
	pp->cur = pp->n++;
	return true;
}

/* The bit of the severity the len bytes at s name; false when none is. */
static bool
config_policies_severity_bit(const char *s, size_t len, unsigned *bit)
{
	enum severity	sev;

	if (!severity_from_name(s, len, &sev))
		return false;
	*bit = 1u << sev;
	return true;
}

/* The bit of the ticket status the len bytes at s name; false when none is. */
static bool
config_policies_status_bit(const char *s, size_t len, unsigned *bit)
{
	enum ticket_status	status;

	if (!ticket_status_from_name(s, len, &status))
		return false;
	*bit = 1u << status;
	return true;
}

/* A comma-separated list of names into the mask of their bits, each named once. */
static bool
config_policies_mask(const char *value, bool (*bit_of)(const char *, size_t, unsigned *),
    const char *expected, unsigned *mask, char *why, size_t size)
{
	const char	*cursor = value, *s;
	size_t		 len;
	unsigned	 m = 0, bit;

	while (config_keys_list_next(&cursor, &s, &len)) {
		int	quoted = len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : (int)len;

		if (!bit_of(s, len, &bit))
			return config_keys_reject(why, size, "'%.*s' is not %s", quoted, s,
			    expected);
		if ((m & bit) != 0)
			return config_keys_reject(why, size, "'%.*s' is listed twice", quoted, s);
		m |= bit;
	}
	*mask = m;
	return true;
}

/* pause: "none", or the statuses among the pausable ones that pause the clocks. */
static bool
config_policies_pause(const char *value, unsigned *mask, char *why, size_t size)
{
	unsigned	m;

	if (strcmp(value, "none") == 0) {
		*mask = 0;
		return true;
	}
	if (!config_policies_mask(value, config_policies_status_bit, "pending or on_hold", &m,
	    why, size))
		return false;
	/* An open or reopened ticket waits on the team, and a solved one stops its clocks. */
	for (int status = 0; status < TICKET_STATUS_COUNT; status++) {
		if ((m & ~CONFIG_POLICIES_PAUSABLE & (1u << status)) != 0)
			return config_keys_reject(why, size,
			    "'%s' cannot pause a clock: only pending and on_hold can",
			    ticket_status_name((enum ticket_status)status));
	}
	*mask = m;
	return true;
}

/* A match.category or match.queue list into v[0..*n): each value 1 to EVENT_ID_MAX bytes, once. */
static bool
config_policies_values(const char *value, char v[][EVENT_ID_MAX + 1], size_t *n, char *why,
    size_t size)
{
	const char	*cursor = value, *s;
	size_t		 len, count = 0;

	while (config_keys_list_next(&cursor, &s, &len)) {
		int	quoted = len > CONFIG_QUOTE_MAX ? CONFIG_QUOTE_MAX : (int)len;

		if (len == 0 || len > EVENT_ID_MAX)
			return config_keys_reject(why, size, "'%.*s' is not 1 to %d bytes long",
			    quoted, s, EVENT_ID_MAX);
		for (size_t i = 0; i < count; i++) {
			if (strlen(v[i]) == len && memcmp(v[i], s, len) == 0)
				return config_keys_reject(why, size, "'%.*s' is listed twice", quoted,
				    s);
		}
		if (count == POLICY_MATCH_MAX)
			return config_keys_reject(why, size, "more than %d values",
			    POLICY_MATCH_MAX);
		memcpy(v[count], s, len);
		v[count++][len] = '\0';
	}
	*n = count;
	return true;
}

/* One of a target's keys: the target ("off" or a duration), its at-risk point or its promise. */
static bool
config_policies_goal(struct policy_goal *g, enum config_policies_aspect a, const char *value,
    char *why, size_t size)
{
	double	d;

	switch (a) {
	case CONFIG_POLICIES_TARGET:
		if (strcmp(value, "off") == 0)
			g->target_ms = 0;
		else if (!duration_parse(value, &g->target_ms))
			return config_keys_reject(why, size,
			    "'%.*s' is not a duration (like 500ms, 90s, 15m, 24h, 7d) or off",
			    CONFIG_QUOTE_MAX, value);
		return true;
	case CONFIG_POLICIES_AT_RISK:
		if (!config_keys_fraction(value, &d, why, size))
			return false;
		g->at_risk_permille = config_policies_permille(d);
		return true;
	default:
		return config_keys_duration(value, &g->promise_ms, why, size);
	}
}

/* Parses value into key k of p; false with the reason, without "[section] key: ". */
static bool
config_policies_value(struct policy *p, int k, const char *value, char *why, size_t size)
{
	struct policy_match	*m = &p->match;

	switch (k) {
	case CONFIG_POLICIES_SEVERITY:
		return config_policies_mask(value, config_policies_severity_bit,
		    "low, normal, high or critical", &m->severities, why, size);
	case CONFIG_POLICIES_CATEGORY:
		return config_policies_values(value, m->categories, &m->n_categories, why, size);
	case CONFIG_POLICIES_QUEUE:
		return config_policies_values(value, m->queues, &m->n_queues, why, size);
	case CONFIG_POLICIES_CALENDAR:
		/* Calendars may come further down: config_policies_finish() looks it up. */
		if (!config_keys_name_valid(value, strlen(value)))
			return config_keys_reject(why, size,
			    "'%.*s' is not a calendar name (" CONFIG_KEYS_NAME_RULE ")",
			    CONFIG_QUOTE_MAX, value);
		snprintf(p->calendar_name, sizeof p->calendar_name, "%s", value);
		return true;
	case CONFIG_POLICIES_PAUSE:
		return config_policies_pause(value, &p->pause_mask, why, size);
	default:
		k -= CONFIG_POLICIES_TARGETS;
		return config_policies_goal(&p->goals[k / CONFIG_POLICIES_ASPECTS],
		    (enum config_policies_aspect)(k % CONFIG_POLICIES_ASPECTS), value, why, size);
	}
}

/* See config_policies.h. */
bool
config_policies_set(struct config_policies_parse *pp, const char *key, const char *value,
    int line, char *reason, size_t size)
{
	struct config_policies_entry	*e = &pp->v[pp->cur];
	char				 why[CONFIG_REASON_SIZE];
	int				 k = config_policies_key(key);

	if (!config_keys_mark(k, e->seen, e->section, key, line, reason, size))
		return false;
	if (k < CONFIG_POLICIES_MATCHES && strcmp(e->policy.name, POLICY_DEFAULT) == 0)
		return config_keys_refuse(reason, size, e->section, key,
		    "the default policy matches every ticket; remove match.*");
	if (!config_policies_value(&e->policy, k, value, why, sizeof why))
		return config_keys_refuse(reason, size, e->section, key, "%s", why);
	return true;
}

/*
 * The target goal t of p stands for: its own, or when left to [sla] the longest [sla]
 * target a ticket under p may get, named in from (", from [sla] reply_target.high").
 */
static int64_t
config_policies_target(const struct policy *p, enum policy_target t, const struct config *cfg,
    char *from, size_t size)
{
	unsigned	sev = p->match.severities;
	int64_t		ms = p->goals[t].target_ms;

	*from = '\0';
	if (ms != POLICY_INHERIT)
		return ms;
	/* Messages have no severity: only a policy that asks for none takes them. */
	if (sev == 0) {
		ms = cfg->reply_target_ms;
		snprintf(from, size, ", from [sla] reply_target");
	}
	for (int s = 0; s < SEVERITY_COUNT; s++) {
		if ((sev == 0 || (sev & (1u << s)) != 0) && cfg->reply_target_severity_ms[s] > ms) {
			ms = cfg->reply_target_severity_ms[s];
			snprintf(from, size, ", from [sla] reply_target.%s",
			    severity_name((enum severity)s));
		}
	}
	return ms;
}

/*
 * Target t of e's policy p: an at-risk point or a promise needs a clock to go with, and a
 * promise may not be shorter than the target. A clash is reported on the later of its lines.
 */
static bool
config_policies_check(const struct config_policies_entry *e, const struct policy *p,
    enum policy_target t, const struct config *cfg, int *line, char *reason, size_t size)
{
	const struct policy_goal	*g = &p->goals[t];
	int				 risk = config_policies_index(t, CONFIG_POLICIES_AT_RISK);
	int				 promise = config_policies_index(t, CONFIG_POLICIES_PROMISE);
	int				 target, k;
	char				 key[CONFIG_POLICIES_KEY_SIZE], from[64], a[32], b[32];
	int64_t				 ms;

	target = e->seen[config_policies_index(t, CONFIG_POLICIES_TARGET)];
	if (g->target_ms == 0) {
		/* With both set, the at-risk point is the one named. */
		k = e->seen[risk] != 0 ? risk : promise;
		if (e->seen[k] == 0)
			return true;
		*line = e->seen[k] > target ? e->seen[k] : target;
		return config_keys_refuse(reason, size, e->section,
		    config_policies_key_name(k, key, sizeof key), "%s is off",
		    policy_target_name(t));
	}
	if (e->seen[promise] == 0 ||
	    g->promise_ms >= (ms = config_policies_target(p, t, cfg, from, sizeof from)))
		return true;
	*line = e->seen[promise] > target ? e->seen[promise] : target;
	duration_format(g->promise_ms, a, sizeof a);
	duration_format(ms, b, sizeof b);
	return config_keys_refuse(reason, size, e->section,
	    config_policies_key_name(promise, key, sizeof key), "%s is shorter than %s (%s%s)", a,
	    policy_target_name(t), b, from);
}

/* Gives p, e's policy, its calendar and checks its targets against their other keys. */
static bool
config_policies_resolve(const struct config_policies_entry *e, struct policy *p,
    const struct config *cfg, int *line, char *reason, size_t size)
{
	if ((p->calendar = config_calendars_find(cfg, p->calendar_name)) == NULL) {
		*line = e->seen[CONFIG_POLICIES_CALENDAR];
		return config_keys_refuse(reason, size, e->section,
		    config_policies_keys[CONFIG_POLICIES_CALENDAR], "no [%s%s] is defined",
		    CONFIG_CALENDARS_PREFIX, p->calendar_name);
	}
	for (int t = 0; t < POLICY_TARGET_COUNT; t++) {
		if (!config_policies_check(e, p, (enum policy_target)t, cfg, line, reason, size))
			return false;
	}
	return true;
}

/* See config_policies.h. */
bool
config_policies_finish(const struct config_policies_parse *pp, struct config *cfg, int *line,
    char *reason, size_t size)
{
	*line = 0;
	/* [sla] is final now: a default the file does not write follows it. */
	config_policies_defaults(cfg);
	if (pp->n > 0 && (cfg->policies = calloc(pp->n, sizeof *cfg->policies)) == NULL)
		return config_keys_reject(reason, size, "out of memory");
	for (size_t i = 0; i < pp->n; i++) {
		const struct config_policies_entry	*e = &pp->v[i];
		struct policy				*p;

		if (strcmp(e->policy.name, POLICY_DEFAULT) == 0)
			p = &cfg->policy_default;
		else
			p = &cfg->policies[cfg->policy_count++];
		*p = e->policy;
		config_policies_derive(p, e->seen, cfg);
		if (!config_policies_resolve(e, p, cfg, line, reason, size))
			return false;
	}
	return true;
}

/* See config_policies.h. */
void
config_policies_defaults(struct config *cfg)
{
	config_policies_init(&cfg->policy_default, POLICY_DEFAULT, strlen(POLICY_DEFAULT));
	config_policies_derive(&cfg->policy_default, NULL, cfg);
}

/* See config_policies.h. */
void
config_policies_parse_free(struct config_policies_parse *pp)
{
	free(pp->v);
	memset(pp, 0, sizeof *pp);
}

/* See config_policies.h. */
void
config_policies_free(struct config *cfg)
{
	free(cfg->policies);
	cfg->policies = NULL;
	cfg->policy_count = 0;
}
