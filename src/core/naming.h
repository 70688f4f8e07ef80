/* naming.h - release names rendered from a per-service template such as
 * "{service}-{version}". */
#ifndef SL_CORE_NAMING_H
#define SL_CORE_NAMING_H

#include "core/error.h"
#include "core/semver.h"

#define SL_NAMING_DEFAULT "{service}-{version}"
#define SL_NAMING_MAX_LEN 128

/* Checks a template: non-empty, at most 128 bytes, valid UTF-8 without
 * control characters, braces balanced and not nested, and only the
 * placeholders {service} {version} {type} {major} {minor} {patch}.
 * Returns 0, or -1 with err filled (field "naming_template"). */
int sl_naming_check(const char *tmpl, struct sl_error *err);

/* Renders tmpl. {version} is version_text when not NULL, else v written
 * back as MAJOR.MINOR.PATCH[-pre][+build]; {major} {minor} {patch} come
 * from v. Returns a malloc'ed string the caller frees with free(), or NULL
 * with err filled (SL_EINVAL, field "naming_template") when the template
 * is invalid or uses a placeholder whose value was passed as NULL. */
char *sl_naming_render(const char *tmpl, const char *service,
		       const struct sl_semver *v, const char *version_text,
		       const char *type, struct sl_error *err);

#endif
