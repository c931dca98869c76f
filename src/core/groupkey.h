/* groupkey.h: teams and the site among a task's owners: their keys, and the ids their tasks go by (pure). */
#ifndef FEEDBACKD_GROUPKEY_H
#define FEEDBACKD_GROUPKEY_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

/*
 * A group's figures are owned, like an agent's, by one task: the one the partitioner gives its
 * owner id (a team's id; the site's GROUP_SITE_OWNER). The group lives among that task's
 * agents under a key no agent id can be (agent ids hold no control characters), so it is
 * saved, restored and shown the way an agent is.
 */
enum group_scope { GROUP_TEAM, GROUP_SITE };
#define GROUP_MARK '\x01'
/* The key of a team: mark, 't', the team id; of the site: mark, 's'. */
#define GROUP_KEY_SIZE (EVENT_TEAM_MAX + 3)
/* The id the site's owner task is found by. */
#define GROUP_SITE_OWNER "site"

/* Writes a group's key into buf[GROUP_KEY_SIZE] (team ignored for the site); returns its length. */
size_t group_key(enum group_scope scope, const char *team, char *buf);

/* Whether an id (NUL-terminated) among a task's is a group's key rather than an agent's. */
bool group_key_is(const char *id);

/* Whether key (len bytes) is a group's; then its scope and team (len 0 for the site). */
bool group_key_parse(const char *key, size_t len, enum group_scope *scope, const char **team, size_t *team_len);

/* The id a group's owner task is found by: its team, or GROUP_SITE_OWNER. */
const char *group_owner_id(enum group_scope scope, const char *team);

#endif
