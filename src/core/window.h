/* window.h: the configured rolling windows: names and spans (pure). */
#ifndef FEEDBACKD_WINDOW_H
#define FEEDBACKD_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WINDOWS_MAX 8
#define WINDOW_NAME_SIZE 16

struct window {
	char name[WINDOW_NAME_SIZE]; /* as configured: "24h"; used in key and field names */
	int64_t span_ms;
};

struct windows {
	size_t count;
	struct window w[WINDOWS_MAX]; /* ascending by span */
};

/* Parses "1h,24h,7d,30d"; rejects duplicates, junk and spans under 24 s. */
bool windows_parse(const char *list, struct windows *out, char *reason, size_t reason_size);

/* True when two window lists have the same names and spans, in the same order. */
bool windows_equal(const struct windows *a, const struct windows *b);

/* The longest configured span; events older than this are "late". */
int64_t windows_longest_ms(const struct windows *ws);

#endif
