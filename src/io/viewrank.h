/* viewrank.h: the fair rankings' sorted sets, fb:rank:NAME:W and fb:team:{T}:rank:NAME:W, written by rounds. */
#ifndef FEEDBACKD_VIEWRANK_H
#define FEEDBACKD_VIEWRANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rank.h"
#include "view.h"
#include "window.h"

struct viewrank;

/* The rankings of the keys under prefix, for the windows ws; NULL when out of memory. */
struct viewrank *viewrank_new(const char *prefix, const struct windows *ws);
void viewrank_free(struct viewrank *r);

/* Memo entries an agent needs (view.h's codes): one per ranking and window. */
size_t viewrank_memo_fields(const struct viewrank *r);

/*
 * Adds agent's place in every ranking of every window to the round being built: scores
 * rank[w][id] (hundredths, or RANK_NONE), in the site's rankings and, when team is not
 * NULL, in the team's. Only what differs from memo is written (and memo then holds it). An
 * agent that left old_team (not NULL) is taken out of its rankings, and memo is unknown.
 * False when out of memory: the round is then failed by viewrank_send.
 */
void viewrank_agent(struct viewrank *r, const char *agent, const char *team, const char *old_team,
    const int64_t rank[WINDOWS_MAX][RANK_COUNT], view_memo_t *memo);

/* Sends what the round added, one ZADD and one ZREM per key, as commands of flush f; then empties it. */
void viewrank_send(struct viewrank *r, struct view_flush *f);

#endif
