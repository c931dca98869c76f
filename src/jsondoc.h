/* jsondoc.h: JSON syntax for one event: validates the whole document, hands back its members. */
#ifndef FEEDBACKD_JSONDOC_H
#define FEEDBACKD_JSONDOC_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What jsondoc_parse found: the document's fault, the first one met reading it in order. */
enum jsondoc_status {
	JSONDOC_OK,
	JSONDOC_NOT_JSON,	/* grammar, escapes, lone surrogates, depth beyond 2048 */
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
 * One top-level member's value. A number too large to hold is the largest that can be held,
 * with its sign and kind (INT64_MAX/INT64_MIN, +-DBL_MAX).
 */
struct jsondoc_value {
	enum jsondoc_kind	 kind;
	const char		*str;		/* JSONDOC_STRING: unescaped, no NUL, not terminated */
	size_t			 len;
	int64_t			 integer;	/* JSONDOC_INTEGER */
	double			 real;		/* JSONDOC_REAL */
	int			 boolean;	/* JSONDOC_BOOL */
};

/* A parser with its reusable buffers; NULL when out of memory. */
struct jsondoc *jsondoc_new(void);

/* Frees a parser from jsondoc_new; NULL is fine. */
void jsondoc_free(struct jsondoc *doc);

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
