/* hostport.h: "host:port" endpoints and comma-separated lists of them, as the config gives them (pure). */
#ifndef FEEDBACKD_HOSTPORT_H
#define FEEDBACKD_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

/* A host name or address: DNS names stop at 253 bytes. */
#define HOSTPORT_HOST_MAX 256
/* The most endpoints a list may name: seeds and Sentinels are a handful. */
#define HOSTPORT_LIST_MAX 16
/* The longest text hostport_format writes, its NUL included. */
#define HOSTPORT_TEXT_MAX (HOSTPORT_HOST_MAX + 8)

struct hostport {
	char host[HOSTPORT_HOST_MAX];
	int port;
};

/*
 * Reads len bytes of "host:port", "v6addr:port" or "[v6addr]:port" (the port after the last
 * colon, 1..65535; brackets dropped); false when that is not what they hold.
 */
bool hostport_parse(const char *s, size_t len, struct hostport *hp);

/*
 * Reads "a:1,b:2, c:3" (blanks around items ignored) into out; the count, or -1 when an item
 * does not parse, is empty or is one too many (its 0-based index in *bad).
 */
int hostport_list(const char *s, struct hostport *out, int max, int *bad);

/* Fills hp with host (copied) and port; false when host is too long to hold. */
bool hostport_set(struct hostport *hp, const char *host, int port);

/* Reads a host and a port given apart as text (as Redis replies give them) into hp; false when not an endpoint. */
bool hostport_join(const char *host, const char *port, struct hostport *hp);

/* Writes hp as "host:port", or "[addr]:port" for an IPv6 address. */
void hostport_format(const struct hostport *hp, char *buf, size_t size);

#endif
