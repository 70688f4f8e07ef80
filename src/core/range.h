/* range.h - SemVer ranges as written in dependency declarations.
 *
 * The syntax is node-semver's: comparators (=, >, >=, <, <=, or a bare
 * version for "exactly"), caret (^1.2.3) and tilde (~1.2.3) ranges,
 * wildcards (1.x, 1.2.*, *, and partial versions such as 1 or 1.2), and
 * hyphen ranges (1.2.3 - 2.3.4). Comparators separated by whitespace must
 * all hold; "||" separates alternatives, any of which may hold.
 *
 * A pre-release version satisfies an alternative only when one of that
 * alternative's comparators names the same MAJOR.MINOR.PATCH with a
 * pre-release tag, so "^1.2.0" does not pick up 1.3.0-beta.1 by accident.
 * Build metadata is ignored, as in sl_semver_compare. */
#ifndef SL_CORE_RANGE_H
#define SL_CORE_RANGE_H

#include "core/error.h"
#include "core/semver.h"

/* A parsed range: a union (||) of intersections of comparators. */
struct sl_range;

#define SL_RANGE_MAX_LEN 256

/* Parses text into *out. Returns SL_OK, or SL_EINVAL with err filled
 * (field "range", a message saying what is wrong and at which character)
 * and *out set to NULL. On success free *out with sl_range_free(). */
enum sl_err sl_range_parse(const char *text, struct sl_range **out,
			   struct sl_error *err);

/* Frees r and everything it owns; NULL is allowed. */
void sl_range_free(struct sl_range *r);

/* Returns 1 when v satisfies r, 0 when it does not. */
int sl_range_match(const struct sl_range *r, const struct sl_semver *v);

/* Parses range and version and matches them. Returns 1 or 0, or -1 with
 * err filled when either does not parse (field "range" or "version"). */
int sl_range_satisfies(const char *range, const char *version,
		       struct sl_error *err);

#endif
