/* error.h - the one error vocabulary of shiplog.
 *
 * Every fallible function returns an enum sl_err (0 = ok). Where a caller
 * needs the words, it also fills a struct sl_error, and only on failure.
 * The http layer maps codes to statuses and problem types in one table. */
#ifndef SL_CORE_ERROR_H
#define SL_CORE_ERROR_H

#include <stddef.h>

enum sl_err {
	SL_OK = 0,
	SL_EMALFORMED, /* the request could not be read (400) */
	SL_EAUTH,      /* no or bad credentials (401) */
	SL_EFORBIDDEN, /* credentials lack the permission (403) */
	SL_ENOTFOUND,  /* the object does not exist (404) */
	SL_ECONFLICT,  /* duplicate, in use, or impossible transition (409) */
	SL_EPRECOND,   /* If-Match did not match (412) */
	SL_ETOOLARGE,  /* body over the limit (413) */
	SL_EMEDIA,     /* body is not JSON (415) */
	SL_EINVAL,     /* well-formed but invalid (422) */
	SL_EUNAVAIL,   /* the store cannot be reached (503) */
	SL_EINTERNAL,  /* a bug or an I/O failure (500) */
	SL_EGONE,      /* the object was archived: it left the store (410) */
};

struct sl_error {
	enum sl_err code;
	char field[64];	   /* the offending field, "" when none */
	char message[256]; /* a full sentence for a human */
	/* 1 when the same request, run again from the start, may succeed:
	 * the engine undid a transaction that ran into a concurrent one
	 * (a serialization failure). sl_error_set clears it. */
	int transient;
};

/* Fills err (when not NULL) and returns code, so callers can write
 * "return sl_error_set(err, SL_EINVAL, "version", "...")". */
enum sl_err sl_error_set(struct sl_error *err, enum sl_err code,
			 const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Where to cut s[0..len) so that it does not end inside a UTF-8
 * sequence: len, or the start of an incomplete last sequence. What
 * sl_error_set does to a message it had to shorten. */
size_t sl_utf8_boundary(const char *s, size_t len);

/* The stable short name of a code ("invalid", "not-found", ...). */
const char *sl_error_name(enum sl_err code);

/* Aborts the process with a message; used for out-of-memory and broken
 * invariants, never for bad input. */
_Noreturn void sl_die(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

/* Allocation wrappers that never return NULL. Free with free(). */
void *sl_xmalloc(size_t n);
void *sl_xcalloc(size_t n, size_t size);
void *sl_xrealloc(void *p, size_t n);
char *sl_xstrdup(const char *s);
char *sl_xstrndup(const char *s, size_t n);

/* Checks an invariant; names the broken assumption when it fails. */
#define SL_ASSERT(cond)                                                        \
	do {                                                                   \
		if (!(cond))                                                   \
			sl_die("%s:%d: assumption broken: %s", __FILE__,       \
			       __LINE__, #cond);                               \
	} while (0)

#endif
