/* parse.c: the parse cost per event, jansson json_loadb against event_parse. */
/* Usage: bench/parse [FILE] [REPEATS]   (events one per line, "KEY\x1f" prefixes allowed) */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "event.h"

/* The messages, one per line, as offsets into one buffer. */
struct lines {
	char	*buf;
	size_t	*start, *len, n;
};

/* Reads every line of f, dropping a gen_events.py key prefix (KEY\x1f). */
static int
read_lines(FILE *f, struct lines *ls)
{
	size_t	 cap = 0, size = 0, n, i, s;
	char	*p;

	ls->buf = NULL;
	do {
		if (size + 65536 > cap) {
			cap = cap * 2 + 65536;
			if ((p = realloc(ls->buf, cap)) == NULL)
				return -1;
			ls->buf = p;
		}
		n = fread(ls->buf + size, 1, cap - size, f);
		size += n;
	} while (n > 0);
	ls->n = 0;
	for (i = 0; i < size; i++)
		ls->n += ls->buf[i] == '\n';
	ls->start = malloc((ls->n + 1) * sizeof *ls->start);
	ls->len = malloc((ls->n + 1) * sizeof *ls->len);
	if (ls->start == NULL || ls->len == NULL)
		return -1;
	ls->n = 0;
	for (i = 0, s = 0; i <= size; i++) {
		if (i < size && ls->buf[i] != '\n')
			continue;
		if (i > s) {
			char *key = memchr(ls->buf + s, 0x1f, i - s);
			size_t b = key != NULL ? (size_t)(key - ls->buf) + 1 : s;

			ls->start[ls->n] = b;
			ls->len[ls->n++] = i - b;
		}
		s = i + 1;
	}
	return 0;
}

/* CLOCK_MONOTONIC in seconds. */
static double
now_s(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* jansson as event.c used it, then the three fields every event has read; returns how many parsed. */
static size_t
run_jansson(const struct lines *ls)
{
	size_t	ok = 0;

	for (size_t i = 0; i < ls->n; i++) {
		json_error_t	 err;
		json_t		*root = json_loadb(ls->buf + ls->start[i], ls->len[i],
		    JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);

		if (root == NULL)
			continue;
		if (json_string_value(json_object_get(root, "type")) != NULL &&
		    json_string_value(json_object_get(root, "agent_id")) != NULL)
			ok += json_integer_value(json_object_get(root, "score")) >= 0;
		json_decref(root);
	}
	return ok;
}

/* event_parse with the daemon's limits; returns how many were valid. */
static size_t
run_event_parse(const struct lines *ls)
{
	size_t		 ok = 0;
	struct event	 ev;
	char		 reason[EVENT_REASON_SIZE];

	for (size_t i = 0; i < ls->n; i++)
		ok += event_parse(ls->buf + ls->start[i], ls->len[i], INT64_MAX / 2, 300000, &ev,
		    reason, sizeof reason);
	return ok;
}

/* Times run over every line repeats times and prints the best. */
static void
measure(const char *name, size_t (*run)(const struct lines *), const struct lines *ls,
    int repeats)
{
	double	best = 0, t;
	size_t	ok = 0;

	for (int r = 0; r < repeats; r++) {
		t = now_s();
		ok = run(ls);
		t = now_s() - t;
		if (r == 0 || t < best)
			best = t;
	}
	printf("%-12s %.3f us/event  (best of %d: %.3f s for %zu events, %zu accepted)\n", name,
	    best * 1e6 / (double)ls->n, repeats, best, ls->n, ok);
}

/* Reads the events and times both parsers. */
int
main(int argc, char **argv)
{
	FILE		*f = stdin;
	struct lines	 ls;
	int		 repeats = argc > 2 ? atoi(argv[2]) : 5;

	if (argc > 1 && strcmp(argv[1], "-") != 0 && (f = fopen(argv[1], "r")) == NULL) {
		perror(argv[1]);
		return 1;
	}
	if (read_lines(f, &ls) != 0 || ls.n == 0 || repeats < 1) {
		fprintf(stderr, "usage: bench/parse [FILE] [REPEATS]: no events read\n");
		return 1;
	}
	measure("jansson", run_jansson, &ls, repeats);
	measure("event_parse", run_event_parse, &ls, repeats);
	free(ls.buf);
	free(ls.start);
	free(ls.len);
	if (f != stdin)
		fclose(f);
	return 0;
}
