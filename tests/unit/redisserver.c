/* redisserver.c: a private redis-server for a test, on a free loopback port in a temp dir. */
#include "redisserver.h"

#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define REDISSERVER_ARGS_MAX 32

/* See redisserver.h. */
int redisserver_free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 && getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

/* Removes the server's directory and its files (redis-server makes no subdirectories). */
static bool redisserver_rmdir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[600];
	bool ok = true;

	if (d == NULL)
		return false;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		ok = unlink(path) == 0 && ok;
	}
	closedir(d);
	return rmdir(dir) == 0 && ok;
}

/* Assigns every slot to the one node and waits until the cluster says it is ok. */
static bool redisserver_cluster(struct redisserver *s)
{
	redisReply *r = redisserver_command(s, "CLUSTER ADDSLOTSRANGE 0 16383");
	bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;

	freeReplyObject(r);
	for (int i = 0; ok && i < 100; i++) {
		r = redisserver_command(s, "CLUSTER INFO");
		ok = r != NULL && r->type == REDIS_REPLY_STRING;
		if (ok && strstr(r->str, "cluster_state:ok") != NULL) {
			freeReplyObject(r);
			return true;
		}
		freeReplyObject(r);
		usleep(50000);
	}
	return false;
}

/* See redisserver.h. */
bool redisserver_start(struct redisserver *s, bool cluster)
{
	const char *argv[REDISSERVER_ARGS_MAX];
	char port[16], bus[16], log[sizeof(s->dir) + 16];
	int n = 0;

	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/feedbackd-redis-XXXXXX");
	s->port = redisserver_free_port();
	if (s->port < 0 || mkdtemp(s->dir) == NULL) {
		s->dir[0] = '\0';
		return false;
	}
	snprintf(port, sizeof(port), "%d", s->port);
	/* A log file, not the test's stdout: a server outliving a crashed test holds no pipe open. */
	snprintf(log, sizeof(log), "%s/redis.log", s->dir);
	for (const char *fixed[] = {"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
	         "--appendonly", "no", "--dir", s->dir, "--loglevel", "warning", "--logfile", log, NULL},
	         **p = fixed; *p != NULL; p++)
		argv[n++] = *p;
	if (cluster) {
		/* The bus port is another free one: port + 10000 may be taken or past 65535. */
		snprintf(bus, sizeof(bus), "%d", redisserver_free_port());
		for (const char *more[] = {"--cluster-enabled", "yes", "--cluster-port", bus, NULL}, **p = more;
		     *p != NULL; p++)
			argv[n++] = *p;
	}
	argv[n] = NULL;
	s->pid = fork();
	if (s->pid == 0) {
		execvp("redis-server", (char *const *)argv);
		_exit(127);
	}
	for (int i = 0; s->pid > 0 && i < 100; i++) {
		s->rc = redisConnect("127.0.0.1", s->port);
		if (s->rc != NULL && !s->rc->err && (!cluster || redisserver_cluster(s)))
			return true;
		if (s->rc != NULL && !s->rc->err)
			break; /* up, but no cluster */
		redisFree(s->rc);
		s->rc = NULL;
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0; /* exec failed or the server refused to start */
			break;
		}
		usleep(50000);
	}
	fprintf(stderr, "could not start redis-server on port %d\n", s->port);
	redisserver_stop(s);
	return false;
}

/* See redisserver.h. */
redisReply *redisserver_command(struct redisserver *s, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(s->rc, fmt, ap);
	va_end(ap);
	if (r == NULL)
		fprintf(stderr, "redis-server: no reply: %s\n", s->rc->errstr);
	return r;
}

/* See redisserver.h. */
long long redisserver_calls(struct redisserver *s, const char *name)
{
	redisReply *r = redisserver_command(s, "INFO commandstats");
	char needle[64];
	const char *at;
	long long n = 0;

	snprintf(needle, sizeof(needle), "cmdstat_%s:calls=", name);
	if (r != NULL && r->type == REDIS_REPLY_STRING && (at = strstr(r->str, needle)) != NULL)
		n = atoll(at + strlen(needle));
	freeReplyObject(r);
	return n;
}

/* See redisserver.h. */
redisContext *redisserver_monitor(struct redisserver *s)
{
	struct timeval tv = {5, 0};
	redisContext *mon = redisConnectWithTimeout("127.0.0.1", s->port, tv);
	redisReply *r;

	if (mon == NULL || mon->err || redisSetTimeout(mon, tv) != REDIS_OK ||
	    (r = redisCommand(mon, "MONITOR")) == NULL) {
		redisFree(mon);
		return NULL;
	}
	freeReplyObject(r);
	return mon;
}

/* See redisserver.h. */
bool redisserver_monitored(redisContext *mon, char *buf, size_t size)
{
	redisReply *r = NULL;
	const char *cmd;

	if (redisGetReply(mon, (void **)&r) != REDIS_OK || r == NULL || r->type != REDIS_REPLY_STATUS ||
	    (cmd = strstr(r->str, "] ")) == NULL) {
		freeReplyObject(r);
		return false;
	}
	snprintf(buf, size, "%s", cmd + 2);
	freeReplyObject(r);
	return true;
}

/* Whether replica s's link to its primary is up. */
static bool redisserver_replica_linked(struct redisserver *s)
{
	redisReply *r = redisserver_command(s, "INFO replication");
	bool up = r != NULL && r->type == REDIS_REPLY_STRING && strstr(r->str, "master_link_status:up") != NULL;

	freeReplyObject(r);
	return up;
}

/* See redisserver.h. */
bool redisserver_replicate(struct redisserver *s, const struct redisserver *primary)
{
	redisReply *r = redisserver_command(s, "REPLICAOF 127.0.0.1 %d", primary->port);
	bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;

	freeReplyObject(r);
	for (int i = 0; ok && i < 1200 && !redisserver_replica_linked(s); i++)
		usleep(25000);
	return ok && redisserver_replica_linked(s);
}

/* See redisserver.h. */
bool redisserver_stop(struct redisserver *s)
{
	bool ok = true;

	if (s->rc != NULL)
		redisFree(s->rc);
	s->rc = NULL;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
	if (s->dir[0] != '\0')
		ok = redisserver_rmdir(s->dir);
	s->dir[0] = '\0';
	return ok;
}
