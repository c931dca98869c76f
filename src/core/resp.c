/* resp.c: commands as RESP text (the Redis protocol), written in one pass (pure). */
#include "resp.h"

#include <stdlib.h>
#include <string.h>

/* Writes n in decimal at p; returns its end. */
static char *resp_num(char *p, size_t n)
{
	char digits[24];
	size_t k = 0;

	do
		digits[k++] = (char)('0' + n % 10);
	while ((n /= 10) > 0);
	while (k > 0)
		*p++ = digits[--k];
	return p;
}

/* See resp.h. */
char *resp_bulk(char *p, const char *s, size_t len)
{
	*p++ = '$';
	p = resp_num(p, len);
	memcpy(p, "\r\n", 2);
	memcpy(p + 2, s, len);
	memcpy(p + 2 + len, "\r\n", 2);
	return p + 4 + len;
}

/* See resp.h. */
char *resp_command(int nhead, const char *const *head, int argc, const char **argv, const size_t *lens,
    size_t *len)
{
	/* Sized first and written once: a checkpoint commit's text runs to megabytes. */
	size_t size = 1 + 20 + 2;
	char *cmd, *p;

	for (int i = 0; i < nhead; i++)
		size += RESP_BULK_OVERHEAD + strlen(head[i]);
	for (int i = 0; i < argc; i++)
		size += RESP_BULK_OVERHEAD + (lens != NULL ? lens[i] : strlen(argv[i]));
	if ((cmd = malloc(size)) == NULL)
		return NULL;
	p = cmd;
	*p++ = '*';
	p = resp_num(p, (size_t)(nhead + argc));
	memcpy(p, "\r\n", 2);
	p += 2;
	for (int i = 0; i < nhead; i++)
		p = resp_bulk(p, head[i], strlen(head[i]));
	for (int i = 0; i < argc; i++)
		p = resp_bulk(p, argv[i], lens != NULL ? lens[i] : strlen(argv[i]));
	*len = (size_t)(p - cmd);
	return cmd;
}
