/* common.c - what the handlers share: query parameters, lists, tags,
 * release references, the write path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "core/naming.h"
#include "core/semver.h"
#include "core/validate.h"
#include "http/handlers.h"

int sl_h_limit(struct sl_req *r, int *limit)
{
	int64_t v = 0;

	*limit = 50;
	if (!sl_h_int_param(r, "limit", &v))
		return 0;
	if (!sl_http_query(r, "limit"))
		return 1;
	if (v < 1 || v > 500) {
		sl_http_failf(r, SL_EMALFORMED, "limit",
			      "limit must be between 1 and 500");
		return 0;
	}
	*limit = (int)v;
	return 1;
}

int sl_h_int_param(struct sl_req *r, const char *key, int64_t *v)
{
	const char *s = sl_http_query(r, key);

	*v = 0;
	if (!s)
		return 1;
	if (sl_decimal_parse(s, v)) {
		sl_http_failf(r, SL_EMALFORMED, key,
			      "%s must be a non-negative integer (decimal "
			      "digits, without leading zeros, signs or "
			      "spaces)",
			      key);
		return 0;
	}
	return 1;
}

int sl_h_text_param(struct sl_req *r, const char *key, const char **v)
{
	const char *s = sl_http_query(r, key);
	struct sl_error err = {0};

	*v = NULL;
	if (!s)
		return 1;
	if (sl_valid_text(s, 256, 0, key, &err)) {
		sl_http_failf(r, SL_EMALFORMED, key, "%s", err.message);
		return 0;
	}
	*v = s;
	return 1;
}

int sl_h_time_param(struct sl_req *r, const char *key, int64_t *us)
{
	const char *s = sl_http_query(r, key);
	struct sl_error err = {0};

	*us = 0;
	if (!s)
		return 1;
	if (sl_time_parse(s, us, key, &err)) {
		sl_http_failf(r, SL_EMALFORMED, key, "%s", err.message);
		return 0;
	}
	return 1;
}

int sl_h_tag_param(struct sl_req *r, char **buf, const char **key,
		   const char **value)
{
	const char *s;
	char *eq;

	*buf = NULL;
	*key = *value = NULL;
	if (!sl_h_text_param(r, "tag", &s))
		return 0;
	if (!s)
		return 1;
	eq = strchr(s, '=');
	if (!eq || eq == s) {
		sl_http_failf(r, SL_EMALFORMED, "tag",
			      "tag must be written key=value");
		return 0;
	}
	*buf = sl_xstrdup(s);
	(*buf)[eq - s] = '\0';
	*key = *buf;
	*value = *buf + (eq - s) + 1;
	return 1;
}

char *sl_h_list(const struct sl_docs *docs, const char *next_cursor)
{
	size_t cap = 64, len = 0;
	int first = 1;
	char *out;

	for (size_t i = 0; i < docs->n; i++) {
		const char *d = docs->v[i].doc;

		cap += d ? strlen(d) + 1 : 0;
	}
	cap += next_cursor ? strlen(next_cursor) + 2 : 4;
	out = sl_xmalloc(cap);
	len = (size_t)snprintf(out, cap, "{\"items\":[");
	for (size_t i = 0; i < docs->n; i++) {
		const char *d = docs->v[i].doc;
		size_t n;

		if (!d) /* not rendered yet */
			continue;
		n = strlen(d);
		if (!first)
			out[len++] = ',';
		first = 0;
		memcpy(out + len, d, n);
		len += n;
	}
	if (next_cursor)
		snprintf(out + len, cap - len, "],\"next_cursor\":\"%s\"}",
			 next_cursor);
	else
		snprintf(out + len, cap - len, "],\"next_cursor\":null}");
	return out;
}

struct sl_tag *sl_h_tags(const json_t *obj, size_t *n)
{
	struct sl_tag *tags;
	const char *key;
	json_t *v;
	size_t i = 0;

	*n = json_is_object(obj) ? json_object_size(obj) : 0;
	tags = sl_xcalloc(*n ? *n : 1, sizeof(*tags));
	if (!*n)
		return tags;
	json_object_foreach((json_t *)obj, key, v)
	{
		tags[i].key = key;
		tags[i].value = json_string_value(v);
		i++;
	}
	return tags;
}

json_t *sl_h_time(int64_t us)
{
	char buf[SL_TIME_BUF];

	return json_string(sl_time_format(us, buf));
}

enum sl_err sl_h_release_ref(struct sl_tx *tx, const char *ref,
			     const char *field, int64_t *id,
			     struct sl_error *err)
{
	const char *at = strchr(ref, '@');
	struct sl_semver v;
	char *service, *key;
	enum sl_err rc;
	int64_t n = 0;

	if (!at) {
		if (sl_decimal_parse(ref, &n) || n < 1)
			return sl_error_set(
				err, SL_EMALFORMED, field,
				"release '%.*s' is neither an id "
				"(a positive decimal number without "
				"leading zeros, signs or spaces) nor "
				"service@version",
				(int)sl_h_cut(ref, 64), ref);
		*id = n;
		return SL_OK;
	}
	if (sl_semver_parse(at + 1, &v, NULL))
		return sl_error_set(err, SL_EMALFORMED, field,
				    "release '%.*s' is not service@version: "
				    "'%.*s' is not a SemVer version",
				    (int)sl_h_cut(ref, 64), ref,
				    (int)sl_h_cut(at + 1, 64), at + 1);
	service = sl_xstrndup(ref, (size_t)(at - ref));
	key = sl_semver_sortkey(&v);
	rc = sl_store_release_find(tx, service, key, id, err);
	if (rc == SL_ENOTFOUND)
		sl_error_set(err, SL_ENOTFOUND, "release",
			     "release '%s' not found", ref);
	free(service);
	free(key);
	sl_semver_fini(&v);
	return rc;
}

void sl_h_reply_doc(struct sl_req *r, int status, char *doc, int64_t revision)
{
	sl_http_etag(r, revision);
	sl_http_reply(r, status, doc);
}

void sl_h_merge(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)src, key, v) json_object_set(dst, key, v);
}

const char *sl_h_id(int64_t id, char *buf, size_t size)
{
	snprintf(buf, size, "%lld", (long long)id);
	return buf;
}

void sl_h_finish(struct sl_req *r, struct sl_tx *tx, const char *action,
		 const char *type, const char *id, const char *before,
		 int status, const char *after)
{
	struct sl_audit_info a = {
		.action = action,
		.object_type = type,
		.object_id = id,
		.before = before,
		.after = after,
	};

	sl_http_write_finish(r, tx, &a, status, sl_xstrdup(after ? after : ""));
}

int sl_h_check_semver(const char *s, const char *field, struct sl_error *err)
{
	struct sl_semver v;
	enum sl_err rc = sl_semver_parse(s, &v, err);

	if (rc)
		snprintf(err->field, sizeof(err->field), "%s", field);
	else
		sl_semver_fini(&v);
	return rc ? -1 : 0;
}

int sl_h_check_naming(const char *s, const char *field, struct sl_error *err)
{
	(void)field;
	return sl_naming_check(s, err);
}

int sl_h_check_time(const char *s, const char *field, struct sl_error *err)
{
	int64_t us;

	return sl_time_parse(s, &us, field, err);
}

enum sl_err sl_h_scope_filter(struct sl_req *r, struct sl_docs *docs,
			      const char *env_key, const char *service_key,
			      struct sl_error *err)
{
	if (!r->actor.scope)
		return SL_OK;
	for (size_t i = 0; i < docs->n; i++) {
		char **cell = &docs->v[i].doc;
		json_t *d;
		int sees;

		if (!*cell)
			continue;
		d = sl_http_doc(*cell);
		sees = sl_http_sees(
			r,
			env_key ? json_string_value(json_object_get(d, env_key))
				: NULL,
			service_key ? json_string_value(
					      json_object_get(d, service_key))
				    : NULL);
		json_decref(d);
		if (sees < 0)
			/* Unknown is not "not yours": no list at all. */
			return sl_error_set(err, SL_EUNAVAIL, "",
					    "the scope of the token cannot be "
					    "read");
		if (!sees) {
			/* A NULL document is skipped by sl_h_list. */
			free(*cell);
			*cell = NULL;
		}
	}
	return SL_OK;
}

void sl_h_reply_docs(struct sl_req *r, sl_docs_fn fn)
{
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK) {
		rc = fn(&tx, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(r, 200, sl_h_list(&rows, NULL));
	sl_docs_fini(&rows);
}

int sl_h_path_id(struct sl_req *r, const char *what, int64_t *id)
{
	const char *s = r->params[0];
	int64_t n = 0;

	if (sl_decimal_parse(s, &n) || n < 1) {
		sl_http_failf(r, SL_EMALFORMED, "id",
			      "the %s id '%.*s' is not an id: ids are positive "
			      "decimal numbers, without leading zeros, signs "
			      "or spaces",
			      what, (int)sl_h_cut(s, 40), s);
		return 0;
	}
	*id = n;
	return 1;
}

size_t sl_h_cut(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n <= max ? n : sl_utf8_boundary(s, max);
}

enum sl_release_type sl_h_release_type(const json_t *rel)
{
	enum sl_release_type t;

	if (sl_release_type_parse(
		    json_string_value(json_object_get(rel, "type")), &t))
		return SL_TYPE__COUNT;
	return t;
}

int64_t sl_h_doc_time(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));
	int64_t us = 0;

	if (s && sl_time_parse(s, &us, key, NULL))
		us = 0;
	return us;
}

enum sl_release_status sl_h_release_status(const json_t *rel)
{
	enum sl_release_status s = SL_REL__COUNT;

	sl_release_status_parse(
		json_string_value(json_object_get(rel, "status")), &s);
	return s;
}

json_t *sl_h_body_release(struct sl_tx *tx, const json_t *ref,
			  struct sl_error *err)
{
	char buf[32], *doc = NULL;
	const char *refs = buf;
	int64_t id = 0, rev;
	enum sl_err rc;
	json_t *rel;

	if (json_is_integer(ref))
		sl_h_id(json_integer_value(ref), buf, sizeof(buf));
	else
		refs = json_string_value(ref);
	rc = sl_h_release_ref(tx, refs, "release", &id, err);
	if (rc == SL_OK)
		rc = sl_store_release_get(tx, id, &doc, &rev, err);
	if (rc == SL_ENOTFOUND || rc == SL_EMALFORMED)
		sl_error_set(err, SL_EINVAL, "release",
			     "release '%s' does not exist", refs);
	if (rc)
		return NULL;
	rel = sl_http_doc(doc);
	free(doc);
	return rel;
}

void sl_h_secret_fingerprint(const char *secret, char out[13])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * sizeof(d) + 1];

	crypto_hash_sha256(d, (const unsigned char *)secret, strlen(secret));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	memcpy(out, hex, 12);
	out[12] = '\0';
}
