/* hostport.c: "host:port" endpoints and comma-separated lists of them, as the config gives them (pure). */
#include "hostport.h"

#include <stdio.h>
#include <string.h>

/* See hostport.h. */
bool hostport_parse(const char *s, size_t len, struct hostport *hp)
{
	const char *colon = NULL;
	size_t host_len;
	int port = 0;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (colon == NULL || colon == s || colon + 1 == s + len || (size_t)(s + len - colon - 1) > 5)
		return false;
	for (const char *p = colon + 1; p < s + len; p++) {
		if (*p < '0' || *p > '9')
			return false;
		port = port * 10 + (*p - '0');
	}
	host_len = (size_t)(colon - s);
	if (s[0] == '[' && colon[-1] == ']') {
		s++;
		host_len -= 2;
	}
	if (port < 1 || port > 65535 || host_len == 0 || host_len >= HOSTPORT_HOST_MAX ||
	    memchr(s, '[', host_len) != NULL || memchr(s, ']', host_len) != NULL)
		return false;
	memcpy(hp->host, s, host_len);
	hp->host[host_len] = '\0';
	hp->port = port;
	return true;
}

/* See hostport.h. */
int hostport_list(const char *s, struct hostport *out, int max, int *bad)
{
	int n = 0;

	for (;;) {
		const char *end = strchr(s, ',');
		size_t len = end != NULL ? (size_t)(end - s) : strlen(s);

		while (len > 0 && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (n == max || !hostport_parse(s, len, &out[n])) {
			*bad = n;
			return -1;
		}
		n++;
		if (end == NULL)
			return n;
		s = end + 1;
	}
}

/* See hostport.h. */
bool hostport_set(struct hostport *hp, const char *host, int port)
{
	size_t len = strlen(host);

	if (len >= HOSTPORT_HOST_MAX)
		return false;
	memcpy(hp->host, host, len + 1);
	hp->port = port;
	return true;
}

/* See hostport.h. */
bool hostport_join(const char *host, const char *port, struct hostport *hp)
{
	char text[HOSTPORT_TEXT_MAX];
	int n = snprintf(text, sizeof(text), "%s:%s", host, port);

	return n > 0 && (size_t)n < sizeof(text) && hostport_parse(text, (size_t)n, hp);
}

/* See hostport.h. */
void hostport_format(const struct hostport *hp, char *buf, size_t size)
{
	snprintf(buf, size, strchr(hp->host, ':') != NULL ? "[%s]:%d" : "%s:%d", hp->host, hp->port);
}
