/* notify.h: the service manager protocol (sd_notify); no-ops when built without libsystemd. */
#ifndef FEEDBACKD_NOTIFY_H
#define FEEDBACKD_NOTIFY_H

#include <stdbool.h>
#include <event2/event.h>

/* READY=1: started (Redis reached, partitions assigned), or a reload finished. */
void notify_ready(void);

/* RELOADING=1 with MONOTONIC_USEC= (what Type=notify-reload wants); READY=1 must follow. */
void notify_reloading(void);

/* STOPPING=1: a graceful stop has begun. */
void notify_stopping(void);

/* STATUS=...: one short line shown by systemctl status. */
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * When the service manager asks for a watchdog (WatchdogSec=), arms a persistent
 * timer in base that sends WATCHDOG=1 every half interval, from the loop itself,
 * so a wedged loop gets the service restarted. Returns whether it is armed.
 */
bool notify_watchdog_setup(struct event_base *base);

/* Frees the watchdog timer (before the base is freed); harmless when none. */
void notify_watchdog_stop(void);

#endif
