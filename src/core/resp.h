/* resp.h: commands as RESP text (the Redis protocol), written in one pass (pure). */
#ifndef FEEDBACKD_RESP_H
#define FEEDBACKD_RESP_H

#include <stddef.h>

/* The most bytes resp_bulk adds beyond the string: "$", up to 20 digits, two line ends. */
#define RESP_BULK_OVERHEAD (1 + 20 + 2 + 2)

/* Writes one bulk string at p ("$len", the bytes, each line ended); returns its end. */
char *resp_bulk(char *p, const char *s, size_t len);

/*
 * The RESP text of the nhead words of head (NUL-terminated) followed by argc arguments
 * (lens NULL: NUL-terminated), malloc'd, *len bytes, as hiredis would format it; NULL when
 * out of memory.
 */
char *resp_command(int nhead, const char *const *head, int argc, const char **argv, const size_t *lens,
    size_t *len);

#endif
