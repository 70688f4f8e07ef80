/* semver.h - Semantic Versioning 2.0.0 (semver.org), exactly by the spec.
 *
 * A version is parsed once into its parts; precedence is decided by
 * sl_semver_compare, and sl_semver_sortkey turns a version into a string
 * whose byte order is the same precedence, so the store can ORDER BY it. */
#ifndef SL_CORE_SEMVER_H
#define SL_CORE_SEMVER_H

#include <stdint.h>

#include "core/error.h"

struct sl_semver {
	uint64_t major, minor, patch;
	char *pre;   /* pre-release identifiers as written ("rc.1"), NULL when
			none; owned */
	char *build; /* build metadata as written, NULL when none; owned */
};

#define SL_SEMVER_MAX_LEN 128

/* Parses s into out. Returns SL_OK, or SL_EINVAL with err filled (field
 * "version") saying what is wrong; on failure out holds nothing that needs
 * freeing. On success release out's strings with sl_semver_fini(). */
enum sl_err sl_semver_parse(const char *s, struct sl_semver *out,
			    struct sl_error *err);

/* Frees the strings v owns and sets them to NULL; v itself is not freed. */
void sl_semver_fini(struct sl_semver *v);

/* Returns <0, 0 or >0 as a has lower, equal or higher precedence than b
 * (SemVer section 11); build metadata is ignored. */
int sl_semver_compare(const struct sl_semver *a, const struct sl_semver *b);

/* Returns a malloc'ed string of printable ASCII whose strcmp order equals
 * precedence order (equal keys exactly when equal precedence). The caller
 * frees it with free(). */
char *sl_semver_sortkey(const struct sl_semver *v);

/* Which part of MAJOR.MINOR.PATCH a version increments over another. */
enum sl_semver_bump {
	SL_BUMP_NONE, /* not above: the same or a lower MAJOR.MINOR.PATCH */
	SL_BUMP_PATCH,
	SL_BUMP_MINOR,
	SL_BUMP_MAJOR,
};

/* Returns the leftmost part of MAJOR.MINOR.PATCH in which v is above prev
 * (2.0.0 -> 2.0.2 is a patch bump, 2.0.9 -> 2.1.0 a minor one), or
 * SL_BUMP_NONE when v's MAJOR.MINOR.PATCH is not above prev's.
 * Pre-release and build metadata are not looked at: 3.0.0-rc.1 is a major
 * bump over 2.4.1, as 3.0.0 is. */
enum sl_semver_bump sl_semver_bump(const struct sl_semver *prev,
				   const struct sl_semver *v);

/* Returns <0, 0 or >0 as a's MAJOR.MINOR.PATCH is below, equal to or
 * above b's; pre-release and build metadata are not looked at. */
int sl_semver_compare_core(const struct sl_semver *a,
			   const struct sl_semver *b);

#endif
