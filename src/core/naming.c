/* naming.c - release name templates. */
#include "core/naming.h"
#include "core/buf.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"

#define FIELD "naming_template"

enum placeholder {
	PH_SERVICE,
	PH_VERSION,
	PH_TYPE,
	PH_MAJOR,
	PH_MINOR,
	PH_PATCH
};

static const char *const placeholders[] = {
	[PH_SERVICE] = "service", [PH_VERSION] = "version",
	[PH_TYPE] = "type",	  [PH_MAJOR] = "major",
	[PH_MINOR] = "minor",	  [PH_PATCH] = "patch",
};

/* Fills err with SL_EINVAL for the template field; returns -1. */
__attribute__((format(printf, 2, 3))) static int fail(struct sl_error *err,
						      const char *fmt, ...)
{
	char msg[sizeof(err->message)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_error_set(err, SL_EINVAL, FIELD, "%s", msg);
	return -1;
}

/* Returns the placeholder named by the len bytes at name, or -1. */
static int lookup(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(placeholders) / sizeof(placeholders[0]);
	     i++)
		if (strlen(placeholders[i]) == len &&
		    memcmp(placeholders[i], name, len) == 0)
			return (int)i;
	return -1;
}

int sl_naming_check(const char *tmpl, struct sl_error *err)
{
	if (!tmpl || !*tmpl)
		return fail(err, "naming template must not be empty");
	if (sl_valid_text(tmpl, SL_NAMING_MAX_LEN, 0, FIELD, err))
		return -1;
	for (const char *p = tmpl; *p; p++) {
		const char *close;

		if (*p == '}')
			return fail(err,
				    "naming template has a '}' without "
				    "a matching '{' at byte %zu",
				    (size_t)(p - tmpl) + 1);
		if (*p != '{')
			continue;
		close = p + 1 + strcspn(p + 1, "{}");
		if (*close != '}')
			return fail(err,
				    "naming template has a '{' without "
				    "a matching '}' at byte %zu",
				    (size_t)(p - tmpl) + 1);
		if (lookup(p + 1, (size_t)(close - p - 1)) < 0)
			return fail(err,
				    "naming template has unknown "
				    "placeholder {%.*s}; known are "
				    "{service} {version} {type} {major} "
				    "{minor} {patch}",
				    (int)(close - p - 1), p + 1);
		p = close;
	}
	return 0;
}

static void buf_add_u64(struct sl_buf *b, uint64_t n)
{
	char tmp[24];

	snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	sl_buf_add_str(b, tmp);
}

/* Appends the value of placeholder ph. Returns 0, or -1 with err filled
 * when the value it needs was not given. */
static int add_value(struct sl_buf *b, int ph, const char *service,
		     const struct sl_semver *v, const char *version_text,
		     const char *type, struct sl_error *err)
{
	int missing = 0;

	switch (ph) {
	case PH_SERVICE:
		if (!(missing = !service))
			sl_buf_add_str(b, service);
		break;
	case PH_TYPE:
		if (!(missing = !type))
			sl_buf_add_str(b, type);
		break;
	case PH_VERSION:
		if (version_text) {
			sl_buf_add_str(b, version_text);
		} else if (!(missing = !v)) {
			buf_add_u64(b, v->major);
			sl_buf_add_str(b, ".");
			buf_add_u64(b, v->minor);
			sl_buf_add_str(b, ".");
			buf_add_u64(b, v->patch);
			if (v->pre) {
				sl_buf_add_str(b, "-");
				sl_buf_add_str(b, v->pre);
			}
			if (v->build) {
				sl_buf_add_str(b, "+");
				sl_buf_add_str(b, v->build);
			}
		}
		break;
	default:
		if (!(missing = !v))
			buf_add_u64(b, ph == PH_MAJOR	? v->major
				       : ph == PH_MINOR ? v->minor
							: v->patch);
		break;
	}
	if (missing)
		return fail(err,
			    "naming template uses {%s} but no value "
			    "was given for it",
			    placeholders[ph]);
	return 0;
}

char *sl_naming_render(const char *tmpl, const char *service,
		       const struct sl_semver *v, const char *version_text,
		       const char *type, struct sl_error *err)
{
	struct sl_buf b = {NULL, 0, 0};
	const char *p = tmpl;

	if (sl_naming_check(tmpl, err))
		return NULL;
	sl_buf_add(&b, "", 0);
	while (*p) {
		size_t lit = strcspn(p, "{");
		const char *close;

		sl_buf_add(&b, p, lit);
		p += lit;
		if (!*p)
			break;
		close = strchr(p, '}'); /* present: the template checked */
		if (add_value(&b, lookup(p + 1, (size_t)(close - p - 1)),
			      service, v, version_text, type, err)) {
			free(b.s);
			return NULL;
		}
		p = close + 1;
	}
	return b.s;
}
