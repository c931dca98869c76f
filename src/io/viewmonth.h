/* viewmonth.h: the monthly appraisal hashes, fb:agent:{A}:month:YYYY-MM and the team's and the site's, written when they changed. */
#ifndef FEEDBACKD_VIEWMONTH_H
#define FEEDBACKD_VIEWMONTH_H

#include <stddef.h>

#include "appraisal.h"
#include "view.h"

/* One owner's memo of its month hashes: per month slot, the month, then each figure. */
#define VIEWMONTH_MEMO_FIELDS (APPRAISAL_MONTHS * (1 + APPRAISAL_FIGURES))

/*
 * Writes in flush f the month hashes of owner (an agent id or a group key, groupkey.h) whose
 * figures differ from memo (VIEWMONTH_MEMO_FIELDS entries, as view_memo_t: VIEW_MEMO_UNKNOWN
 * when nothing is known), and notes them there: one HSET of every field each, and the first
 * time a month is written by this memo a PEXPIREAT at its expire_ms. A month's figures only
 * grow, so a field never leaves its hash.
 */
void viewmonth_write(struct view_flush *f, const char *prefix, const char *owner, const struct appraisal_view *months,
    size_t n, view_memo_t *memo);

#endif
