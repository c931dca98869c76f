/* viewmonth.c: the monthly appraisal hashes, fb:agent:{A}:month:YYYY-MM and the team's and the site's, written when they changed. */
#include "viewmonth.h"

#include <stdio.h>
#include <string.h>

#include "groupkey.h"
#include "keyslot.h"
#include "resp.h"
#include "stats.h"

/* Room for a figure's text. */
#define VIEWMONTH_NUM_SIZE 24
/* HSET, the key, then a name and a value per figure. */
#define VIEWMONTH_ARGS (2 + 2 * APPRAISAL_FIGURES)
/* Room for a month's HSET as RESP: its head, then every argument with its overhead. */
#define VIEWMONTH_CMD_SIZE (16 + VIEWMONTH_ARGS * RESP_BULK_OVERHEAD + 16 + VIEW_KEY_SIZE + \
	APPRAISAL_FIGURES * (APPRAISAL_NAME_MAX + VIEWMONTH_NUM_SIZE))

/* The key of owner's hash for month; false when it does not fit. */
static bool viewmonth_key(const char *prefix, const char *owner, const char *month, char *key, size_t size)
{
	enum group_scope scope;
	const char *team;
	size_t team_len;

	if (!group_key_parse(owner, strlen(owner), &scope, &team, &team_len))
		return view_key_month(prefix, owner, month, key, size);
	return scope == GROUP_TEAM ? view_key_team_month(prefix, team, team_len, month, key, size) :
	    view_key_site_month(prefix, month, key, size);
}

/* A month in a memo entry: month numbers fit 16 bits until the year 2730. */
static view_memo_t viewmonth_code(month_t m)
{
	return (view_memo_t)m;
}

/* Whether memo (one month's entries) already holds v's figures: nothing to write. */
static bool viewmonth_same(const view_memo_t *memo, const struct appraisal_view *v)
{
	if (memo[0] != viewmonth_code(v->month))
		return false;
	for (int i = 0; i < APPRAISAL_FIGURES; i++) {
		view_memo_t code = view_memo_code(v->value[i], v->have[i]);

		if (code != memo[1 + i] || code == VIEW_MEMO_WIDE)
			return false;
	}
	return true;
}

/* Notes v's figures in memo (one month's entries). */
static void viewmonth_note(view_memo_t *memo, const struct appraisal_view *v)
{
	memo[0] = viewmonth_code(v->month);
	for (int i = 0; i < APPRAISAL_FIGURES; i++)
		memo[1 + i] = view_memo_code(v->value[i], v->have[i]);
}

/* Sends one command of argc arguments (a key, figures' names and values) in flush f, as RESP. */
static void viewmonth_send(struct view_flush *f, unsigned slot, int argc, const char **argv)
{
	char cmd[VIEWMONTH_CMD_SIZE];
	char *p = cmd + snprintf(cmd, sizeof(cmd), "*%d\r\n", argc);

	for (int i = 0; i < argc; i++)
		p = resp_bulk(p, argv[i], strlen(argv[i]));
	view_flush_send(f, slot, cmd, (size_t)(p - cmd));
}

/* Writes one month's hash, with its expiry when the memo did not know the month. */
static void viewmonth_one(struct view_flush *f, const char *prefix, const char *owner, const struct appraisal_view *v,
    bool expire)
{
	char month[MONTH_NAME_SIZE], key[VIEW_KEY_SIZE], text[APPRAISAL_FIGURES][VIEWMONTH_NUM_SIZE], at[VIEWMONTH_NUM_SIZE];
	const char *argv[VIEWMONTH_ARGS];
	int argc = 2;
	unsigned slot;

	month_name(v->month, month);
	if (!viewmonth_key(prefix, owner, month, key, sizeof(key))) {
		view_flush_fail(f);
		return;
	}
	slot = keyslot(key, strlen(key));
	argv[0] = "HSET";
	argv[1] = key;
	for (int i = 0; i < APPRAISAL_FIGURES; i++) {
		if (!v->have[i])
			continue;
		stats_format_fixed(v->value[i], appraisal_figure_decimals(i), text[i], sizeof(text[i]));
		argv[argc++] = appraisal_figure_name(i);
		argv[argc++] = text[i];
	}
	viewmonth_send(f, slot, argc, argv);
	if (!expire)
		return;
	stats_format_fixed(v->expire_ms, 0, at, sizeof(at));
	argv[0] = "PEXPIREAT";
	argv[2] = at;
	viewmonth_send(f, slot, 3, argv);
}

/* See viewmonth.h. */
void viewmonth_write(struct view_flush *f, const char *prefix, const char *owner, const struct appraisal_view *months,
    size_t n, view_memo_t *memo)
{
	for (size_t k = 0; k < n; k++) {
		const struct appraisal_view *v = &months[k];
		view_memo_t *m = memo + (size_t)(v->month % APPRAISAL_MONTHS) * (1 + APPRAISAL_FIGURES);

		if (viewmonth_same(m, v))
			continue;
		viewmonth_one(f, prefix, owner, v, m[0] != viewmonth_code(v->month));
		viewmonth_note(m, v);
	}
}
