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

#include "core/buf.h"
#include "http/http.h"
#include "http/notify.h"

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

/* ---- the same patch, read off the texts ----
 * Stored documents are canonical JSON texts (sl_http_canon): no blank
 * outside strings, keys in byte order, each value written one way. Two
 * values of such texts are equal exactly when their bytes are, so the
 * patch above can be made without parsing either document: a value is
 * a span of its text, compared with memcmp and copied as it stands.
 * Writes spent most of their time parsing the two documents again; this
 * way is a pass over their bytes. A text it does not vouch for (a blank,
 * keys out of order, an escape in a key, -0.0, nesting past MAX_DEPTH)
 * goes the parsing way; both give the same bytes (test_change.c). */

#define MAX_DEPTH 32

/* Past the string literal at p (its '"'), NULL if it does not end;
 * *esc set when it holds an escape. */
static const char *string_end(const char *p, const char *end, int *esc)
{
	for (p++; p < end; p++) {
		if (*p == '"')
			return p + 1;
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			*esc = 1;
			if (++p == end)
				return NULL;
		}
	}
	return NULL;
}

static int key_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

/* Past the value at p, NULL when it is not one this reader vouches for
 * (see above). */
static const char *value_end(const char *p, const char *end, int depth)
{
	const char *prev = NULL, *s = p;
	size_t prevn = 0;
	int esc = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return string_end(p, end, &esc);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';

		if (depth >= MAX_DEPTH)
			return NULL;
		if (++p < end && *p == close)
			return p + 1;
		for (;;) {
			if (close == '}') {
				const char *k = p;

				if (p >= end || *p != '"')
					return NULL;
				p = string_end(p, end, &esc);
				if (!p || esc || p >= end || *p != ':')
					return NULL;
				if (prev && key_cmp(prev, prevn, k + 1,
						    (size_t)(p - k - 2)) >= 0)
					return NULL;
				prev = k + 1;
				prevn = (size_t)(p - k - 2);
				p++;
			}
			p = value_end(p, end, depth + 1);
			if (!p || p >= end)
				return NULL;
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	while (p < end && (((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-' || *p == '+' ||
			   *p == '.'))
		p++;
	if (p == s || (p - s == 4 && memcmp(s, "-0.0", 4) == 0))
		return NULL;
	return p;
}

static int canonical(const char *s, size_t n)
{
	return value_end(s, s + n, 0) == s + n;
}

/* One member of an object's text: the key's bytes and the value's. */
struct member {
	const char *k, *v;
	size_t kn, vn;
};

/* Reads the member at *p (inside an object of a vouched-for text) and
 * moves *p past it and its comma; 0 at the object's end. */
static int member_next(const char **p, const char *end, struct member *m)
{
	const char *q = *p;
	int esc = 0;

	if (*q == '}')
		return 0;
	m->k = q + 1;
	q = string_end(q, end, &esc);
	m->kn = (size_t)(q - m->k - 1);
	m->v = q + 1;
	q = value_end(m->v, end, 0);
	m->vn = (size_t)(q - m->v);
	*p = *q == ',' ? q + 1 : q;
	return 1;
}

static void path_push(struct sl_buf *path, const char *key, size_t n)
{
	sl_buf_add(path, "/", 1);
	for (size_t i = 0; i < n; i++) {
		if (key[i] == '~')
			sl_buf_add(path, "~0", 2);
		else if (key[i] == '/')
			sl_buf_add(path, "~1", 2);
		else
			sl_buf_add(path, key + i, 1);
	}
}

static void text_op(struct sl_buf *ops, const char *name,
		    const struct sl_buf *path, const char *v, size_t vn)
{
	sl_buf_add_str(ops, ops->len > 1 ? ",{\"op\":\"" : "{\"op\":\"");
	sl_buf_add_str(ops, name);
	sl_buf_add_str(ops, "\",\"path\":\"");
	sl_buf_add(ops, path->s ? path->s : "", path->len);
	if (v) {
		sl_buf_add_str(ops, "\",\"value\":");
		sl_buf_add(ops, v, vn);
		sl_buf_add_str(ops, "}");
	} else {
		sl_buf_add_str(ops, "\"}");
	}
}

static void text_diff(struct sl_buf *ops, struct sl_buf *path, const char *a,
		      size_t an, const char *b, size_t bn)
{
	size_t at = path->len;

	if (an == bn && memcmp(a, b, an) == 0)
		return;
	if (*a == '{' && *b == '{') {
		const char *pa = a + 1, *pb = b + 1;
		struct member ma, mb;
		int ha = member_next(&pa, a + an, &ma);
		int hb = member_next(&pb, b + bn, &mb);

		while (ha || hb) {
			int c = !ha   ? 1
				: !hb ? -1
				      : key_cmp(ma.k, ma.kn, mb.k, mb.kn);

			path_push(path, c <= 0 ? ma.k : mb.k,
				  c <= 0 ? ma.kn : mb.kn);
			if (c < 0)
				text_op(ops, "remove", path, NULL, 0);
			else if (c > 0)
				text_op(ops, "add", path, mb.v, mb.vn);
			else
				text_diff(ops, path, ma.v, ma.vn, mb.v, mb.vn);
			path->len = at;
			if (c <= 0)
				ha = member_next(&pa, a + an, &ma);
			if (c >= 0)
				hb = member_next(&pb, b + bn, &mb);
		}
		return;
	}
	/* An array that only grew: b is a's text up to its ']', then a
	 * comma and the new elements (element ends are fixed by the bytes,
	 * so equal prefixes are equal elements). */
	if (*a == '[' && *b == '[' && bn > an &&
	    (an == 2 || (memcmp(a, b, an - 1) == 0 && b[an - 1] == ','))) {
		const char *p = an == 2 ? b + 1 : b + an, *end = b + bn;

		path_push(path, "-", 1);
		while (*p != ']') {
			const char *e = value_end(p, end, 0);

			text_op(ops, "add", path, p, (size_t)(e - p));
			p = *e == ',' ? e + 1 : e;
		}
		path->len = at;
		return;
	}
	text_op(ops, "replace", path, b, bn);
}

char *sl_http_patch_text(const char *before, const char *after)
{
	size_t bn = before ? strlen(before) : 0, an = after ? strlen(after) : 0;
	struct sl_buf ops = {0}, path = {0};

	if ((before && !canonical(before, bn)) ||
	    (after && !canonical(after, an)))
		return NULL;
	sl_buf_add(&ops, "[", 1);
	sl_buf_add(&path, "", 0);
	if (!before && after)
		text_op(&ops, "add", &path, after, an);
	else if (before && !after)
		text_op(&ops, "replace", &path, "null", 4);
	else if (before && after)
		text_diff(&ops, &path, before, bn, after, an);
	sl_buf_add(&ops, "]", 1);
	free(path.s);
	return ops.s;
}

/* The string at key of the object text doc (vouched for): 1 with *out
 * its copy or NULL when it is not a string or absent; 0 when it holds an
 * escape (the parsing way then reads it). */
static int text_field(const char *doc, const char *key, char **out)
{
	const char *p = doc + 1, *end = doc + strlen(doc);
	size_t kn = strlen(key);
	struct member m;
	int esc = 0;

	*out = NULL;
	if (*doc != '{')
		return 1;
	while (member_next(&p, end, &m)) {
		if (m.kn != kn || memcmp(m.k, key, kn) != 0)
			continue;
		if (*m.v != '"')
			return 1;
		string_end(m.v, end, &esc);
		if (esc)
			return 0;
		*out = sl_xstrndup(m.v + 1, m.vn - 2);
		return 1;
	}
	return 1;
}

int sl_http_doc_string(const char *doc, const char *key, char **out)
{
	return text_field(doc, key, out);
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
	const char *about = after ? after : before;
	char *change = sl_http_patch_text(before, after);
	char *env = NULL, *svc = NULL;
	enum sl_err rc;

	if (!change || (about && (!text_field(about, "environment", &env) ||
				  !text_field(about, "service", &svc)))) {
		json_t *b = before ? sl_http_doc(before) : NULL;
		json_t *a = after ? sl_http_doc(after) : NULL;
		const json_t *doc = a ? a : b;

		free(change);
		free(env);
		free(svc);
		change = sl_http_patch(b, a);
		env = field(doc, "environment");
		svc = field(doc, "service");
		json_decref(a);
		json_decref(b);
	}
	e->change = change;
	e->environment = env;
	e->service = svc;
	rc = sl_store_audit_append(tx, e, seq, err);
	if (rc == SL_OK)
		rc = sl_h_notify_entry(tx, e, before, after, err);
	e->change = e->environment = e->service = NULL;
	free(change);
	free(env);
	free(svc);
	return rc;
}
