/* window.c: the configured rolling windows: names and spans (pure). */

#include <stdio.h>
#include <string.h>

#include "timestamp.h"
#include "window.h"

/* The shortest window: its 1% edge (core/rolling.c) stays a whole number of milliseconds. */
#define WINDOW_MIN_SPAN_MS INT64_C(24000)

/* Blanks and tabs around list items are allowed in the config file. */
static int
window_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Writes a reason that quotes the offending item, cut short if it is long; returns false. */
static bool
window_reject(char *reason, size_t reason_size, const char *what, const char *item,
    size_t len)
{
	if (reason == NULL || reason_size == 0)
		return false;
	if (item != NULL)
		snprintf(reason, reason_size, "%s: %.*s", what, (int)(len > 32 ? 32 : len),
		    item);
	else
		snprintf(reason, reason_size, "%s", what);
	return false;
}

/* Parses one trimmed item into w. */
static bool
window_parse_item(const char *item, size_t len, struct window *w, char *reason,
    size_t reason_size)
{
	if (len == 0)
		return window_reject(reason, reason_size, "empty window", NULL, 0);
	/* The name goes verbatim into field names, so it must fit whole. */
	if (len >= WINDOW_NAME_SIZE)
		return window_reject(reason, reason_size, "bad window", item, len);
	memcpy(w->name, item, len);
	w->name[len] = '\0';
	if (!duration_parse(w->name, &w->span_ms))
		return window_reject(reason, reason_size, "bad window", item, len);
	if (w->span_ms < WINDOW_MIN_SPAN_MS)
		return window_reject(reason, reason_size, "window too short", item, len);
	return true;
}

/* Inserts w keeping ws ascending by span; refuses a span already present. */
static bool
windows_insert(struct windows *ws, const struct window *w, char *reason,
    size_t reason_size)
{
	size_t	i = ws->count;

	for (size_t j = 0; j < ws->count; j++) {
		/* "1h" and "60m" would be the same figures under two names, so spans must differ. */
		if (ws->w[j].span_ms == w->span_ms)
			return window_reject(reason, reason_size, "duplicate window",
			    w->name, strlen(w->name));
	}
	if (ws->count == WINDOWS_MAX)
		return window_reject(reason, reason_size, "too many windows", w->name,
		    strlen(w->name));
	while (i > 0 && ws->w[i - 1].span_ms > w->span_ms) {
		ws->w[i] = ws->w[i - 1];
		i--;
	}
	ws->w[i] = *w;
	ws->count++;
	return true;
}

/* Parses "1h,24h,7d,30d"; rejects duplicates, junk and spans under 24 s. */
bool
windows_parse(const char *list, struct windows *out, char *reason, size_t reason_size)
{
	struct windows	 ws;
	const char	*p = list;

	if (reason != NULL && reason_size > 0)
		reason[0] = '\0';
	memset(&ws, 0, sizeof ws);
	if (list == NULL)
		return window_reject(reason, reason_size, "empty list", NULL, 0);
	while (*p != '\0' && window_is_space(*p))
		p++;
	if (*p == '\0')
		return window_reject(reason, reason_size, "empty list", NULL, 0);

	for (;;) {
		const char	*start = p, *end, *comma = strchr(p, ',');
		struct window	 w;

		end = comma != NULL ? comma : p + strlen(p);
		p = comma != NULL ? comma + 1 : end;
		while (start < end && window_is_space(*start))
			start++;
		while (end > start && window_is_space(end[-1]))
			end--;
		memset(&w, 0, sizeof w);
		if (!window_parse_item(start, (size_t)(end - start), &w, reason,
		    reason_size))
			return false;
		if (!windows_insert(&ws, &w, reason, reason_size))
			return false;
		if (comma == NULL)
			break;
	}
	/* out is only written for a valid list, never half-filled. */
	*out = ws;
	return true;
}

/* True when two window lists have the same names and spans, in the same order. */
bool
windows_equal(const struct windows *a, const struct windows *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (a->w[i].span_ms != b->w[i].span_ms || strcmp(a->w[i].name, b->w[i].name) != 0)
			return false;
	return true;
}

/* The longest configured span; events older than this are "late". */
int64_t
windows_longest_ms(const struct windows *ws)
{
	int64_t	longest = 0;

	/* Not trusting the order lets callers build a struct windows by hand. */
	for (size_t i = 0; i < ws->count && i < WINDOWS_MAX; i++) {
		if (ws->w[i].span_ms > longest)
			longest = ws->w[i].span_ms;
	}
	return longest;
}
