/* groupkey.c: teams and the site among a task's owners: their keys, and the ids their tasks go by (pure). */
#include "groupkey.h"

#include <string.h>

#include "idmap.h"

_Static_assert(GROUP_KEY_SIZE - 1 <= IDMAP_MAX_KEY, "a group's key is a task's id");

/* See groupkey.h. */
size_t group_key(enum group_scope scope, const char *team, char *buf)
{
	size_t n = scope == GROUP_TEAM ? strnlen(team, EVENT_TEAM_MAX) : 0;

	buf[0] = GROUP_MARK;
	buf[1] = scope == GROUP_TEAM ? 't' : 's';
	if (n > 0)
		memcpy(buf + 2, team, n);
	buf[2 + n] = '\0';
	return 2 + n;
}

/* See groupkey.h. */
bool group_key_is(const char *id)
{
	return id[0] == GROUP_MARK;
}

/* See groupkey.h. */
bool group_key_parse(const char *key, size_t len, enum group_scope *scope, const char **team, size_t *team_len)
{
	if (len < 2 || !group_key_is(key) || (key[1] != 't' && key[1] != 's'))
		return false;
	*scope = key[1] == 't' ? GROUP_TEAM : GROUP_SITE;
	*team = key + 2;
	*team_len = len - 2;
	return *scope == GROUP_SITE ? len == 2 : len > 2;
}

/* See groupkey.h. */
const char *group_owner_id(enum group_scope scope, const char *team)
{
	return scope == GROUP_TEAM ? team : GROUP_SITE_OWNER;
}
