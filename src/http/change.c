/* change.c - what an audit entry says a write changed: the RFC 6902
 * JSON Patch that turns the object as it was into the object as it is.
 *
 * The patch is made the same way every time, so the same write always
 * gives the same bytes (docs/audit.md, "The change"):
 *   - a creation is one "add" of the whole object at the root "";
 *   - a deletion is one "replace" of the root with null;
 *   - an update walks both objects' keys in byte order: a key gone is a
 *     "remove", a key new an "add", a key on both compared in turn;
 *     an array that only grew is an "add" at "/-" per new element (a
 *     deployment's events, an approval's history); any other value that
 *     differs is a "replace" of it whole.
 * Applying the patch to the object before, with any RFC 6902
 * implementation, gives the object after, byte for byte once written in
 * canonical form. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "http/http.h"

/* path with key appended as a JSON Pointer token (RFC 6901: "~" as
 * "~0", "/" as "~1"). Caller frees. */
static char *pointer(const char *path, const char *key)
{
	size_t n = strlen(path);
	char *out = sl_xmalloc(n + 2 * strlen(key) + 2);

	memcpy(out, path, n);
	out[n++] = '/';
	for (const char *p = key; *p; p++) {
		if (*p == '~' || *p == '/') {
			out[n++] = '~';
			out[n++] = *p == '~' ? '0' : '1';
		} else {
			out[n++] = *p;
		}
	}
	out[n] = '\0';
	return out;
}

static void op(json_t *ops, const char *name, const char *path, json_t *value)
{
	json_t *o = json_pack("{ss ss}", "op", name, "path", path);

	if (value)
		json_object_set(o, "value", value);
	json_array_append_new(ops, o);
}

static int by_bytes(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The keys of a and b together, each once, in byte order (borrowed). */
static const char **keys(const json_t *a, const json_t *b, size_t *n)
{
	const char **v = sl_xcalloc(
		json_object_size(a) + json_object_size(b) + 1, sizeof(*v));
	const char *key;
	json_t *val;
	size_t k = 0;

	json_object_foreach((json_t *)a, key, val) v[k++] = key;
	json_object_foreach((json_t *)b, key, val) if (!json_object_get(a, key))
		v[k++] = key;
	qsort(v, k, sizeof(*v), by_bytes);
	*n = k;
	return v;
}

/* Whether array b is array a with elements added at its end. */
static int grew(const json_t *a, const json_t *b)
{
	size_t na = json_array_size(a);

	if (json_array_size(b) <= na)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (!json_equal(json_array_get(a, i), json_array_get(b, i)))
			return 0;
	return 1;
}

static void diff(json_t *ops, const char *path, const json_t *a,
		 const json_t *b)
{
	if (json_equal(a, b))
		return;
	if (json_is_object(a) && json_is_object(b)) {
		size_t n;
		const char **k = keys(a, b, &n);

		for (size_t i = 0; i < n; i++) {
			json_t *va = json_object_get(a, k[i]);
			json_t *vb = json_object_get(b, k[i]);
			char *p = pointer(path, k[i]);

			if (!vb)
				op(ops, "remove", p, NULL);
			else if (!va)
				op(ops, "add", p, vb);
			else
				diff(ops, p, va, vb);
			free(p);
		}
		free(k);
		return;
	}
	if (json_is_array(a) && json_is_array(b) && grew(a, b)) {
		char *p = pointer(path, "-");

		for (size_t i = json_array_size(a); i < json_array_size(b); i++)
			op(ops, "add", p, json_array_get(b, i));
		free(p);
		return;
	}
	op(ops, "replace", path, (json_t *)b);
}

char *sl_http_patch(const json_t *before, const json_t *after)
{
	json_t *ops = json_array();
	char *text;

	if (!before && after) {
		op(ops, "add", "", (json_t *)after);
	} else if (before && !after) {
		json_t *null = json_null();

		op(ops, "replace", "", null);
		json_decref(null);
	} else if (before && after) {
		diff(ops, "", before, after);
	}
	text = sl_http_canon(ops);
	json_decref(ops);
	return text;
}

/* The object's environment and service, as a scoped token's view of the
 * log reads them (NULL when it has none). */
static char *field(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(doc, key));

	return s ? sl_xstrdup(s) : NULL;
}

enum sl_err sl_http_audit_append(struct sl_tx *tx, struct sl_audit_entry *e,
				 const char *before, const char *after,
				 int64_t *seq, struct sl_error *err)
{
	json_t *b = before ? sl_http_doc(before) : NULL;
	json_t *a = after ? sl_http_doc(after) : NULL;
	const json_t *about = a ? a : b;
	char *change = sl_http_patch(b, a);
	char *env = field(about, "environment"), *svc = field(about, "service");
	enum sl_err rc;

	e->change = change;
	e->environment = env;
	e->service = svc;
	rc = sl_store_audit_append(tx, e, seq, err);
	e->change = e->environment = e->service = NULL;
	free(change);
	free(env);
	free(svc);
	json_decref(a);
	json_decref(b);
	return rc;
}
