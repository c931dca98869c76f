/* window.h: rolling windows and their time buckets (pure arithmetic). */
#ifndef FEEDBACKD_WINDOW_H
#define FEEDBACKD_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WINDOWS_MAX 8
/* Room for windows_encode()'s text. */
#define WINDOWS_SPEC_SIZE (WINDOWS_MAX * 48)
#define WINDOW_NAME_SIZE 16
/* Every window is cut into this many buckets, so the edge error is span/24. */
#define WINDOW_BUCKETS 24

struct window {
	char name[WINDOW_NAME_SIZE]; /* as configured: "24h"; used in key and field names */
	int64_t span_ms;
	int64_t bucket_ms;           /* span_ms / WINDOW_BUCKETS */
};

struct windows {
	size_t count;
	struct window w[WINDOWS_MAX]; /* ascending by span */
};

/* Parses "1h,24h,7d,30d"; rejects duplicates, junk and spans under 24 s. */
bool windows_parse(const char *list, struct windows *out, char *reason, size_t reason_size);

/* The bucket that holds time ts_ms. */
int64_t window_bucket_of(const struct window *w, int64_t ts_ms);

/* The oldest bucket still inside the window at now_ms: its start is >= now - span. */
int64_t window_first_bucket(const struct window *w, int64_t now_ms);

/* Epoch ms after which a bucket is never read again, for its key's expiry. */
int64_t window_bucket_expiry_ms(const struct window *w, int64_t bucket);

/* True when two window lists have the same names and spans, in the same order. */
bool windows_equal(const struct windows *a, const struct windows *b);

/* The longest configured span; events older than this are "late". */
int64_t windows_longest_ms(const struct windows *ws);

/* Encodes windows for the Lua scripts: "1h:3600000:150000;24h:86400000:3600000". */
void windows_encode(const struct windows *ws, char *buf, size_t size);

#endif
