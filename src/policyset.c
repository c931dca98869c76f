/* policyset.c: the terms of the configured policies, made anew at each reload and kept for the tickets that use them. */
#include "policyset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_calendars.h"

/* See policyset.h. */
bool
policyset_init(struct policyset *ps)
{
	memset(ps, 0, sizeof(*ps));
	return (ps->book = terms_book_new()) != NULL;
}

/* See policyset.h. */
void
policyset_free(struct policyset *ps)
{
	free(ps->terms);
	terms_book_free(ps->book);
	memset(ps, 0, sizeof(*ps));
}

/* [sla]'s reply targets by kind: reply_target for messages, then each severity's. */
static void
policyset_sla_targets(const struct config *cfg, int64_t out[TERMS_KINDS])
{
	out[0] = cfg->reply_target_ms;
	for (int s = 0; s < SEVERITY_COUNT; s++)
		out[1 + s] = cfg->reply_target_severity_ms[s];
}

/* The book's terms of one policy. */
static const struct terms *
policyset_intern(struct policyset *ps, const struct policy *p, const int64_t *sla)
{
	struct terms t;

	terms_of_policy(p, sla, &t);
	return terms_book_intern(ps->book, &t);
}

/* See policyset.h. */
bool
policyset_load(struct policyset *ps, const struct config *cfg)
{
	int64_t sla[TERMS_KINDS];
	const struct terms **terms = calloc(cfg->policy_count + 1, sizeof(*terms));
	const struct terms *def;

	if (terms == NULL)
		return false;
	policyset_sla_targets(cfg, sla);
	for (size_t i = 0; i < cfg->policy_count; i++)
		if ((terms[i] = policyset_intern(ps, &cfg->policies[i], sla)) == NULL) {
			free(terms);
			return false;
		}
	if ((def = policyset_intern(ps, &cfg->policy_default, sla)) == NULL) {
		free(terms);
		return false;
	}
	free(ps->terms);
	ps->terms = terms;
	ps->count = cfg->policy_count;
	ps->default_terms = def;
	return true;
}

/* See policyset.h. */
const struct terms *
policyset_restore(struct policyset *ps, const struct config *cfg, const struct terms *t, bool *missing)
{
	struct terms copy = *t;

	copy.calendar = config_calendars_find(cfg, t->calendar_name);
	*missing = copy.calendar == NULL;
	if (*missing) {
		/* Its alerts then name the calendar that counts, and a later restart keeps it. */
		copy.calendar = calendar_always();
		snprintf(copy.calendar_name, sizeof(copy.calendar_name), "%s", CALENDAR_ALWAYS);
	}
	return terms_book_intern(ps->book, &copy);
}
