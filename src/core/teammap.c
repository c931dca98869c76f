/* teammap.c: the agent -> team map of a [teams] map file, parsed from its text (pure). */
#include "teammap.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "growarray.h"
#include "idmap.h"

struct teammap {
	struct idmap *agents; /* agent -> index into names */
	struct idmap *index;  /* team -> index into names, to intern each team once */
	char **names;
	size_t count, cap;
	struct idmap *lines;  /* agent -> its line, for "listed twice" */
};

/* Whether c separates the two ids of a line. */
static bool teammap_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One id's length at p (up to end): the bytes up to the next space; 0 when it starts with one. */
static size_t teammap_word(const char *p, const char *end)
{
	size_t n = 0;

	while (p + n < end && !teammap_space(p[n]))
		n++;
	return n;
}

/* Checks an id of a line: 1-128 bytes, no control characters. */
static bool teammap_id_ok(const char *p, size_t n, size_t max, const char *what, char *reason, size_t size)
{
	if (n > max) {
		snprintf(reason, size, "%s longer than %zu bytes", what, max);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(reason, size, "%s holds a control character", what);
			return false;
		}
	return true;
}

/* The index of team (interned); UINT32_MAX when out of memory. */
static uint32_t teammap_intern(struct teammap *m, const char *team, size_t n)
{
	uint32_t i;
	char *copy;

	if (idmap_get(m->index, team, n, &i))
		return i;
	if (!growarray((void **)&m->names, &m->cap, m->count + 1, sizeof(*m->names)))
		return UINT32_MAX;
	if ((copy = strndup(team, n)) == NULL)
		return UINT32_MAX;
	if (idmap_put(m->index, team, n, (uint32_t)m->count) < 0) {
		free(copy);
		return UINT32_MAX;
	}
	m->names[m->count] = copy;
	return (uint32_t)m->count++;
}

/* Reads one line's pair into the map; false with the reason (reason "" when out of memory). */
static bool teammap_line(struct teammap *m, const char *p, const char *end, int lineno, char *reason, size_t size)
{
	const char *agent, *team;
	size_t an, tn;
	uint32_t t, prev;

	while (p < end && teammap_space(*p))
		p++;
	if (p == end || *p == '#')
		return true;
	agent = p;
	an = teammap_word(p, end);
	for (p += an; p < end && teammap_space(*p); p++)
		;
	team = p;
	tn = teammap_word(p, end);
	for (p += tn; p < end && teammap_space(*p); p++)
		;
	if (tn == 0 || p != end) {
		snprintf(reason, size, "expected AGENT TEAM, two ids separated by spaces");
		return false;
	}
	if (!teammap_id_ok(agent, an, EVENT_ID_MAX, "agent id", reason, size) ||
	    !teammap_id_ok(team, tn, EVENT_TEAM_MAX, "team id", reason, size))
		return false;
	if (idmap_get(m->lines, agent, an, &prev)) {
		snprintf(reason, size, "agent '%.*s' is listed twice (first on line %u)", (int)an, agent, prev);
		return false;
	}
	reason[0] = '\0';
	if ((t = teammap_intern(m, team, tn)) == UINT32_MAX || idmap_put(m->agents, agent, an, t) < 0 ||
	    idmap_put(m->lines, agent, an, (uint32_t)lineno) < 0)
		return false;
	return true;
}

/* See teammap.h. */
struct teammap *teammap_parse(const char *text, size_t len, int *line, char *reason, size_t size)
{
	struct teammap *m = calloc(1, sizeof(*m));
	const char *p = text, *end = text + len;
	int lineno = 0;

	*line = 0;
	snprintf(reason, size, "out of memory");
	if (m == NULL || (m->agents = idmap_new(64)) == NULL || (m->index = idmap_new(16)) == NULL ||
	    (m->lines = idmap_new(64)) == NULL) {
		teammap_free(m);
		return NULL;
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl != NULL ? nl : end;

		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)) != NULL) {
			snprintf(reason, size, "holds a NUL byte");
			*line = lineno;
			teammap_free(m);
			return NULL;
		}
		if (!teammap_line(m, p, eol, lineno, reason, size)) {
			if (reason[0] == '\0')
				snprintf(reason, size, "out of memory");
			else
				*line = lineno;
			teammap_free(m);
			return NULL;
		}
		p = nl != NULL ? nl + 1 : end;
	}
	/* The lines were for the errors only. */
	idmap_free(m->lines);
	m->lines = NULL;
	return m;
}

/* See teammap.h. */
const char *teammap_team(const struct teammap *m, const char *agent, size_t len)
{
	uint32_t t;

	if (m == NULL || len == 0 || len > IDMAP_MAX_KEY || !idmap_get(m->agents, agent, len, &t))
		return NULL;
	return m->names[t];
}

/* See teammap.h. */
size_t teammap_agents(const struct teammap *m)
{
	return m != NULL ? idmap_size(m->agents) : 0;
}

/* See teammap.h. */
size_t teammap_teams(const struct teammap *m)
{
	return m != NULL ? m->count : 0;
}

/* See teammap.h. */
void teammap_free(struct teammap *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->count; i++)
		free(m->names[i]);
	free(m->names);
	idmap_free(m->agents);
	idmap_free(m->index);
	idmap_free(m->lines);
	free(m);
}
