/* jsondoc.h: JSON syntax for one event: validates the whole document, hands back its members. */
#ifndef FEEDBACKD_JSONDOC_H
#define FEEDBACKD_JSONDOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How deep values may nest, the top-level one being 1: deeper is not JSON here. */
#define JSONDOC_MAX_DEPTH 512

/*
 * What jsondoc_parse found. Of several faults, invalid UTF-8 anywhere is found first
 * (simdjson checks the whole input before the walk), then the first met in reading order.
 */
enum jsondoc_status {
	JSONDOC_OK,
	JSONDOC_NOT_JSON,	/* grammar, escapes, lone surrogates, depth beyond JSONDOC_MAX_DEPTH */
	JSONDOC_INVALID_UTF8,
	JSONDOC_NUL_CHARACTER,	/* a \u0000 in any string or key */
	JSONDOC_DUPLICATE_KEY,	/* in any object, keys compared unescaped */
	JSONDOC_NOT_OBJECT,	/* valid JSON, but not an object */
	JSONDOC_NO_MEMORY
};

enum jsondoc_kind {
	JSONDOC_STRING, JSONDOC_INTEGER, JSONDOC_REAL, JSONDOC_BOOL, JSONDOC_NULL,
	JSONDOC_OBJECT, JSONDOC_ARRAY
};

/*
 * One top-level member: its kind, and the value of a string, an integer or a boolean (the
 * only values an event reads). An integer beyond int64 is INT64_MAX or INT64_MIN, by its sign; a real of
 * any size is only JSONDOC_REAL.
 */
struct jsondoc_value {
	enum jsondoc_kind	 kind;
	const char		*str;		/* JSONDOC_STRING: unescaped, no NUL, not terminated */
	size_t			 len;
	int64_t			 integer;	/* JSONDOC_INTEGER; JSONDOC_BOOL: 1 for true, 0 for false */
};

/* The calling thread's own parser, made on first use and freed when the thread ends; or NULL. */
struct jsondoc *jsondoc_thread(void);

/* Validates the len bytes at buf as one JSON document whose top level must be an object. */
enum jsondoc_status jsondoc_parse(struct jsondoc *doc, const char *buf, size_t len);

/* The value of top-level member key after JSONDOC_OK, valid until the next parse; or NULL. */
const struct jsondoc_value *jsondoc_get(const struct jsondoc *doc, const char *key);

#ifdef __cplusplus
}
#endif

#endif
