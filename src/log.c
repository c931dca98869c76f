/* log.c: the one logger; every line is built whole and written to stderr at once. */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"

#define nitems(a) (sizeof (a) / sizeof ((a)[0]))

/* Below PIPE_BUF, so one write(2) to a pipe (journald, a supervisor) is never interleaved. */
#define LOG_LINE_SIZE 2048

#define LOG_LIMIT_SLOTS 64
#define LOG_LIMIT_KEY_SIZE 64
#define LOG_LIMIT_LINES 5
#define LOG_LIMIT_WINDOW_MS 10000

/* Rate-limit state of one key: how many lines it wrote in the current window. */
struct log_limit {
	char	 key[LOG_LIMIT_KEY_SIZE];	/* "" while the slot is free */
	int64_t	 window_start_ms;		/* log_clock_ms() */
	int	 lines;
	int	 suppressed;
	int	 prio;				/* the most severe suppressed line's */
};

/* A count of suppressed lines taken out of a slot, to be written as one summary line. */
struct log_summary {
	char	 key[LOG_LIMIT_KEY_SIZE];
	int	 count;
	int	 prio;
};

/*
 * The logger is the one process-wide global, as in tmux: every module and the
 * libevent callback log without being handed a context. librdkafka's lines now
 * reach it through a queue served by the loop (kafka.c), but it stays safe to call
 * from any thread: the level and journal flag are atomics and the rate-limit
 * table is guarded by its mutex.
 */
static struct {
	atomic_int		 level;
	atomic_bool		 journal;
	pthread_mutex_t		 limit_lock;
	struct log_limit	 limits[LOG_LIMIT_SLOTS];
} log_state = {
	/* Logging works before log_setup, e.g. for errors in the config file. */
	.level = LOG_INFO,
	.journal = false,
	.limit_lock = PTHREAD_MUTEX_INITIALIZER,
};

static const char *const log_prio_names[] = {
	"emerg", "alert", "crit", "error", "warning", "notice", "info", "debug"
};

static void	log_vmsg(int, const char *, va_list) __attribute__((format(printf, 2, 0)));

/* Starts logging to stderr; journald-style "<N>" prefixes when journal is true. */
void
log_setup(int level, bool journal)
{
	atomic_store(&log_state.level, level);
	atomic_store(&log_state.journal, journal);
}

/* Changes the level at run time (SIGHUP). */
void
log_set_level(int level)
{
	atomic_store(&log_state.level, level);
}

/* Parses "err", "warning", "notice", "info", "debug"; -1 when unknown. */
int
log_level_parse(const char *name)
{
	static const struct {
		const char	*name;
		int		 level;
	} names[] = {
		{ "err", LOG_ERR },
		{ "error", LOG_ERR },
		{ "warning", LOG_WARNING },
		{ "warn", LOG_WARNING },
		{ "notice", LOG_NOTICE },
		{ "info", LOG_INFO },
		{ "debug", LOG_DEBUG },
	};

	if (name == NULL)
		return -1;
	for (size_t i = 0; i < nitems(names); i++) {
		if (strcasecmp(name, names[i].name) == 0)
			return names[i].level;
	}
	return -1;
}

/* The rate limiter's clock: monotonic, so wall-clock steps neither open nor hold a window. */
int64_t
log_clock_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Writes the "2026-11-23T10:00:00.123Z feedbackd[pid]: " prefix; returns its length. */
static size_t
log_prefix(char *buf, size_t size, int prio)
{
	struct timespec	ts;
	struct tm	tm;
	char		date[32];
	int		n;

	if (atomic_load(&log_state.journal)) {
		/* journald reads the priority from "<N>" and adds its own time and pid. */
		n = snprintf(buf, size, "<%d>", prio);
	} else {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(buf, size, "%s.%03ldZ feedbackd[%ld]: %s: ", date,
		    ts.tv_nsec / 1000000, (long)getpid(), log_prio_names[prio]);
	}
	if (n < 0)
		return 0;
	return (size_t)n < size ? (size_t)n : size - 1;
}

/* Formats and writes one line; the whole line goes out in one write(2) so threads never interleave. */
static void
log_vmsg(int prio, const char *fmt, va_list ap)
{
	char	 line[LOG_LINE_SIZE], *p;
	size_t	 len, room;
	int	 n, saved_errno = errno;

	if (prio < LOG_EMERG)
		prio = LOG_EMERG;
	if (prio > LOG_DEBUG)
		prio = LOG_DEBUG;
	if (prio > atomic_load(&log_state.level))
		return;

	len = log_prefix(line, sizeof line, prio);
	/* Keep room for "\n"; a too-long text is cut and marked with "...". */
	room = sizeof line - len - 1;
	n = vsnprintf(line + len, room, fmt, ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= room) {
		n = (int)room - 1;
		memcpy(line + len + n - 3, "...", 3);
	}
	/*
	 * Messages may quote event data or library text; a newline or control
	 * character in them would split the line or forge a journald entry.
	 */
	for (p = line + len; p < line + len + n; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	}
	len += (size_t)n;
	while (len > 0 && line[len - 1] == ' ')
		len--;
	line[len++] = '\n';

	for (p = line; len > 0;) {
		ssize_t	w = write(STDERR_FILENO, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	/* Callers log strerror(errno) and may look at errno again afterwards. */
	errno = saved_errno;
}

/* Writes one line at syslog priority prio; safe from any thread. */
void
log_msg(int prio, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

/* FNV-1a; only spreads keys over the slots, so collisions merely share a slot. */
static uint32_t
log_hash(const char *key)
{
	uint32_t	h = 2166136261u;

	for (; *key != '\0'; key++) {
		h ^= (unsigned char)*key;
		h *= 16777619u;
	}
	return h;
}

/* Whether slot l's window has ended by now_ms, so its count may be reported. */
static bool
log_limit_due(const struct log_limit *l, int64_t now_ms)
{
	return now_ms - l->window_start_ms >= LOG_LIMIT_WINDOW_MS;
}

/* Moves slot l's suppressed count into *out (count 0 when there is none) and clears it. */
static void
log_limit_drain(struct log_limit *l, struct log_summary *out)
{
	snprintf(out->key, sizeof out->key, "%s", l->key);
	out->count = l->suppressed;
	out->prio = l->prio;
	l->suppressed = 0;
}

/* Writes the summary of a drained slot, if it held any suppressed lines. */
static void
log_summary_write(const struct log_summary *s)
{
	if (s->count > 0)
		log_msg(s->prio, "%d similar messages suppressed (%s)", s->count, s->key);
}

/*
 * Counts one line against key's budget at now_ms. Returns whether the line
 * may be written, and in *pending the suppressed lines not yet reported of
 * the slot's previous window (it closed, or a colliding key took the slot).
 */
static bool
log_limit_take(const char *key, int prio, int64_t now_ms, struct log_summary *pending)
{
	struct log_limit	*l;
	bool			 ok;

	pending->count = 0;
	pthread_mutex_lock(&log_state.limit_lock);
	l = &log_state.limits[log_hash(key) % LOG_LIMIT_SLOTS];
	if (strncmp(l->key, key, sizeof l->key - 1) != 0 || log_limit_due(l, now_ms)) {
		log_limit_drain(l, pending);
		snprintf(l->key, sizeof l->key, "%s", key);
		l->window_start_ms = now_ms;
		l->lines = 0;
	}
	ok = l->lines < LOG_LIMIT_LINES;
	if (ok) {
		l->lines++;
	} else {
		/* One summary speaks for them all, at the most severe of their priorities. */
		if (l->suppressed == 0 || prio < l->prio)
			l->prio = prio;
		l->suppressed++;
	}
	pthread_mutex_unlock(&log_state.limit_lock);
	return ok;
}

/*
 * Like log_msg, but at most a few lines per key every 10 s; later ones are
 * counted and reported as "N similar messages suppressed". For per-message errors.
 */
void
log_limited(int prio, const char *key, const char *fmt, ...)
{
	va_list			ap;
	struct log_summary	pending;
	bool			ok;

	/* Lines below the level are not counted: they would not have been written anyway. */
	if (prio > atomic_load(&log_state.level))
		return;
	if (key == NULL)
		key = "";
	ok = log_limit_take(key, prio, log_clock_ms(), &pending);
	log_summary_write(&pending);
	if (!ok)
		return;
	va_start(ap, fmt);
	log_vmsg(prio, fmt, ap);
	va_end(ap);
}

/*
 * Writes the summary of every key whose window ended by now_ms: without this a
 * burst that stops would never have its count reported, since only the key's
 * next line reports it otherwise.
 */
void
log_flush_suppressed(int64_t now_ms)
{
	struct log_summary	s;

	for (size_t i = 0; i < LOG_LIMIT_SLOTS; i++) {
		struct log_limit	*l = &log_state.limits[i];

		s.count = 0;
		pthread_mutex_lock(&log_state.limit_lock);
		if (l->suppressed > 0 && log_limit_due(l, now_ms))
			log_limit_drain(l, &s);
		pthread_mutex_unlock(&log_state.limit_lock);
		/* Written outside the lock, so other threads' log_limited never waits on a write. */
		log_summary_write(&s);
	}
}

/* libevent's callback: maps its severities onto syslog priorities. */
static void
log_libevent_cb(int severity, const char *msg)
{
	int	prio;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		prio = LOG_DEBUG;
		break;
	case EVENT_LOG_MSG:
		prio = LOG_INFO;
		break;
	case EVENT_LOG_WARN:
		prio = LOG_WARNING;
		break;
	default:
		prio = LOG_ERR;
		break;
	}
	log_msg(prio, "libevent: %s", msg);
}

/* Routes libevent's own warnings into this logger. */
void
log_route_libevent(void)
{
	event_set_log_callback(log_libevent_cb);
}

/* See log.h. */
bool
log_summary_due(int64_t *since_ms, int64_t now_ms, int64_t *elapsed_ms)
{
	if (*since_ms != 0 && now_ms - *since_ms < 1000)
		return false;
	*elapsed_ms = *since_ms != 0 ? now_ms - *since_ms : 0;
	*since_ms = now_ms;
	return true;
}
