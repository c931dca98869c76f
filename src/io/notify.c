/* notify.c: the service manager protocol (sd_notify); no-ops when built without libsystemd. */
#include "build-config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "log.h"
#include "notify.h"

#ifdef HAVE_SYSTEMD

static struct event *notify_watchdog_ev;

/* Sends one message; failures only matter for debugging (no manager is the normal case). */
static void notify_send(const char *msg)
{
	int rc = sd_notify(0, msg);

	if (rc < 0)
		log_debug("sd_notify(%s): error %d", msg, -rc);
}

/* See notify.h. */
void notify_ready(void)
{
	notify_send("READY=1");
}

/* See notify.h. */
void notify_reloading(void)
{
	struct timespec ts;
	char msg[64];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL + (unsigned long long)ts.tv_nsec / 1000ULL);
	notify_send(msg);
}

/* See notify.h. */
void notify_stopping(void)
{
	notify_send("STOPPING=1");
}

/* See notify.h. */
void notify_status(const char *fmt, ...)
{
	char msg[256] = "STATUS=";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg + 7, sizeof(msg) - 7, fmt, ap);
	va_end(ap);
	notify_send(msg);
}

/* The watchdog timer: the loop is turning, say so. */
static void notify_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	sd_notify(0, "WATCHDOG=1");
}

/* See notify.h. */
bool notify_watchdog_setup(struct event_base *base)
{
	uint64_t usec = 0;
	struct timeval tv;

	if (notify_watchdog_ev != NULL || sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return false;
	usec /= 2;
	tv.tv_sec = (time_t)(usec / 1000000);
	tv.tv_usec = (suseconds_t)(usec % 1000000);
	notify_watchdog_ev = event_new(base, -1, EV_PERSIST, notify_on_watchdog, NULL);
	if (notify_watchdog_ev == NULL || event_add(notify_watchdog_ev, &tv) != 0) {
		log_err("systemd watchdog: cannot arm the timer");
		return false;
	}
	sd_notify(0, "WATCHDOG=1");
	log_info("systemd watchdog: pinging every %lld ms", (long long)(usec / 1000));
	return true;
}

/* See notify.h. */
void notify_watchdog_stop(void)
{
	if (notify_watchdog_ev != NULL) {
		event_free(notify_watchdog_ev);
		notify_watchdog_ev = NULL;
	}
}

#else /* !HAVE_SYSTEMD */

/* See notify.h. */
void notify_ready(void)
{
}

/* See notify.h. */
void notify_reloading(void)
{
}

/* See notify.h. */
void notify_stopping(void)
{
}

/* See notify.h. */
void notify_status(const char *fmt, ...)
{
	(void)fmt;
}

/* See notify.h. */
bool notify_watchdog_setup(struct event_base *base)
{
	(void)base;
	return false;
}

/* See notify.h. */
void notify_watchdog_stop(void)
{
}

#endif
