/* log.h: the one logger; libevent and librdkafka are routed into it too. */
#ifndef FEEDBACKD_LOG_H
#define FEEDBACKD_LOG_H

#include <stdbool.h>
#include <stdint.h>
#include <syslog.h>

/* Starts logging to stderr; journald-style "<N>" prefixes when journal is true. */
void log_setup(int level, bool journal);

/* Changes the level at run time (SIGHUP). */
void log_set_level(int level);

/* Parses "err", "warning", "notice", "info", "debug"; -1 when unknown. */
int log_level_parse(const char *name);

/* Writes one line at syslog priority prio; safe from any thread. */
void log_msg(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Like log_msg, but at most a few lines per key every 10 s; later ones are
 * counted and reported as "N similar messages suppressed (KEY)" once the 10 s
 * are over: by the key's next line, or else by log_flush_suppressed().
 * For per-message errors.
 */
void log_limited(int prio, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * Reports the suppressed lines of every key whose 10 s ended by now_ms (on the
 * log_clock_ms() clock), so a burst that stops still has its count written.
 * Call it every few seconds; INT64_MAX reports every count left (at exit).
 */
void log_flush_suppressed(int64_t now_ms);

/*
 * For a summary logged at most once a second (counts kept by the caller): false while the
 * last one, at *since_ms, is less than a second before now_ms; else true, with *elapsed_ms
 * the time it covers (0 for the first, which goes at once) and *since_ms moved to now_ms.
 */
bool log_summary_due(int64_t *since_ms, int64_t now_ms, int64_t *elapsed_ms);

/* The rate limiter's clock: CLOCK_MONOTONIC in milliseconds. */
int64_t log_clock_ms(void);

/* Routes libevent's own warnings into this logger. */
void log_route_libevent(void);

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
