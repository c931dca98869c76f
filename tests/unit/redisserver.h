/* redisserver.h: a private redis-server for a test, on a free loopback port in a temp dir. */
#ifndef FEEDBACKD_TEST_REDISSERVER_H
#define FEEDBACKD_TEST_REDISSERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include <hiredis/hiredis.h>

struct redisserver {
	char dir[64];
	int port;
	pid_t pid;
	redisContext *rc; /* a synchronous connection for the test's own looks */
};

/* A loopback port nobody listens on now (the kernel's pick), or -1. */
int redisserver_free_port(void);

/*
 * Starts redis-server; with cluster, as a one-node Redis Cluster owning all 16384 slots,
 * returning once the cluster state is ok. False on failure, with nothing left behind.
 */
bool redisserver_start(struct redisserver *s, bool cluster);

/* Runs a command on the test's connection; NULL (after printing why) when no reply came. */
redisReply *redisserver_command(struct redisserver *s, const char *fmt, ...);

/* How often the server ran command name (lower case) since the last CONFIG RESETSTAT. */
long long redisserver_calls(struct redisserver *s, const char *name);

/* A second connection that MONITORs the server: it sees every command run from now on. NULL on failure. */
redisContext *redisserver_monitor(struct redisserver *s);

/*
 * The next command the monitor saw, as the server prints it without time and client
 * ("\"HSET\" \"k\" \"f\" \"v\""), into buf; false when none came within 5 s.
 */
bool redisserver_monitored(redisContext *mon, char *buf, size_t size);

/*
 * Makes s a replica of primary (REPLICAOF) and waits until its link is up: the primary's
 * first sync may wait repl-diskless-sync-delay (5 s) for more replicas, so up to 30 s.
 */
bool redisserver_replicate(struct redisserver *s, const struct redisserver *primary);

/* Stops the server and removes its directory; false when something was left behind. */
bool redisserver_stop(struct redisserver *s);

#endif
