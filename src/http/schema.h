/* schema.h - request bodies described as data.
 *
 * Each body is a table of fields (name, type, limits, a validator from
 * core). One loop checks a body against its table and collects every
 * problem, so a 422 lists each field and why; the same tables write the
 * OpenAPI schemas. */
#ifndef SL_HTTP_SCHEMA_H
#define SL_HTTP_SCHEMA_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"

enum sl_ftype {
	SL_FT_STRING,
	SL_FT_INT,
	SL_FT_BOOL,
	SL_FT_TAGS,    /* object of string -> string */
	SL_FT_STRINGS, /* array of strings */
	SL_FT_OBJECT,  /* object described by sub */
	SL_FT_OBJECTS, /* array of objects described by sub */
	SL_FT_REF,     /* a string, or a positive integer id */
	SL_FT_MAP,     /* object of name -> string: keys are any short text
			* (a repository "Octo/App"), values checked as a
			* string field (min, max, check) */
	SL_FT_NUMBER,  /* a finite JSON number (integer or real) within
			* min..max */
};

#define SL_F_REQUIRED  0x1 /* must be present on create */
#define SL_F_NULLABLE  0x2 /* null is accepted (and clears) */
#define SL_F_IMMUTABLE 0x4 /* may not appear in an update */
#define SL_F_MULTILINE 0x8 /* strings may hold newlines and tabs */

typedef int (*sl_check_fn)(const char *s, const char *field,
			   struct sl_error *err);

struct sl_field {
	const char *name;
	enum sl_ftype type;
	unsigned flags;
	int64_t min, max; /* int range; string bytes; array items */
	sl_check_fn check;
	const struct sl_field *sub;
	/* The allowed strings, NULL-terminated: a core vocabulary
	 * (sl_<vocab>_names), for a string or each string of an array. */
	const char *const *choices;
	const char *doc;
};

#define SL_VERR_MAX 32

struct sl_verrs {
	size_t n;
	struct {
		char field[96];
		char message[256];
	} e[SL_VERR_MAX];
};

void sl_verrs_add(struct sl_verrs *v, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Checks obj against fields; update = 1 for a PATCH (nothing required,
 * immutable fields refused). Problems are appended to errs. */
void sl_schema_check(const json_t *obj, const struct sl_field *fields,
		     const char *prefix, int update, struct sl_verrs *errs);

/* A NULL-terminated word list as a JSON Schema "enum" array; new
 * reference. */
json_t *sl_schema_enum(const char *const *choices);

/* The JSON Schema (2020-12) of a field table; new reference. */
json_t *sl_schema_json(const struct sl_field *fields);

#endif
