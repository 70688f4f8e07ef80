/* import.c - POST /v1/import: history brought in from another tool.
 *
 * A body of records (JSON Lines, or CSV with a header row) is one batch
 * and one transaction. Each record is split into the fields its normal
 * route takes, checked against that route's own schema, and the fields
 * only an import has (its kind, the source's id for it, its original
 * times), checked against a table of their own; then written through the
 * same functions the normal routes write through, with the objects
 * taking their original times and every audit entry the import's time,
 * its actor and "via": "import:<source>". The first bad record answers a
 * problem naming its line and field, and nothing of the batch is kept.
 * A record whose source id was imported before is matched, not written
 * again (the import_ids table), so a second import of a file writes
 * nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/import.h"
#include "core/perm.h"
#include "core/rules.h"
#include "core/state.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/handlers.h"

/* ---- the fields only an import has ---- */

#define IMP_KIND                                                               \
	{                                                                      \
		"kind", SL_FT_STRING, 0, 1, 16, NULL, NULL,                    \
			sl_import_kind_names,                                  \
			"what the record is (CSV: default deployment)"         \
	}
#define IMP_ID                                                                 \
	{                                                                      \
		"id", SL_FT_REF, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL,      \
			"the source's own id for the record"                   \
	}
#define IMP_CREATED                                                            \
	{                                                                      \
		"created_at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL,   \
			NULL, "RFC 3339; when it was created at the source"    \
	}

static const struct sl_field catalog_extra[] = {
	IMP_KIND, IMP_ID, IMP_CREATED, {0}};

static const struct sl_field deploy_extra[] = {
	IMP_KIND,
	IMP_ID,
	IMP_CREATED,
	{"status", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_deploy_status_names, "where the deployment ended"},
	{"started_at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339"},
	{"finished_at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339"},
	{"verified_at", SL_FT_STRING, 0, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339; default finished_at"},
	/* A row that names its release by service and version implies the
	 * release (and the service, given an owner) when it is not there. */
	{"service", SL_FT_STRING, 0, 1, 63, NULL, NULL, NULL,
	 "with version, instead of release"},
	{"version", SL_FT_STRING, 0, 1, 128, NULL, NULL, NULL,
	 "with service, instead of release"},
	{"type", SL_FT_STRING, 0, 1, 16, NULL, NULL, NULL,
	 "of an implied release"},
	{"commit", SL_FT_STRING, 0, 1, 64, NULL, NULL, NULL,
	 "of an implied release"},
	{"git_tag", SL_FT_STRING, 0, 1, 255, NULL, NULL, NULL,
	 "of an implied release"},
	{"owner", SL_FT_STRING, 0, 1, 128, NULL, NULL, NULL,
	 "of an implied service"},
	{0},
};

static const struct sl_field event_extra[] = {
	IMP_KIND,
	IMP_ID,
	{"deployment", SL_FT_REF, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL,
	 "the source's id of the deployment"},
	{"at", SL_FT_STRING, SL_F_REQUIRED, 1, 40, sl_h_check_time, NULL, NULL,
	 "RFC 3339"},
	{0},
};

/* ---- a batch ---- */

struct batch {
	struct sl_req *r;
	struct sl_tx *tx;
	const char *source;
	int64_t created[SL_IMP__COUNT], matched[SL_IMP__COUNT];
	json_t *items;
	size_t line;
};

typedef enum sl_err (*apply_fn)(struct batch *b, const char *ext, json_t *body,
				json_t *extra, struct sl_error *err);

static enum sl_err apply_service(struct batch *b, const char *ext, json_t *body,
				 json_t *extra, struct sl_error *err);
static enum sl_err apply_env(struct batch *b, const char *ext, json_t *body,
			     json_t *extra, struct sl_error *err);
static enum sl_err apply_release(struct batch *b, const char *ext, json_t *body,
				 json_t *extra, struct sl_error *err);
static enum sl_err apply_deploy(struct batch *b, const char *ext, json_t *body,
				json_t *extra, struct sl_error *err);
static enum sl_err apply_event(struct batch *b, const char *ext, json_t *body,
			       json_t *extra, struct sl_error *err);

/* Each kind: the normal route's schema, the import's own fields, and
 * what writes it. */
static const struct {
	const struct sl_field *fields;
	const struct sl_field *extra;
	apply_fn apply;
} kinds[SL_IMP__COUNT] = {
	[SL_IMP_SERVICE] = {sl_service_fields, catalog_extra, apply_service},
	[SL_IMP_ENVIRONMENT] = {sl_env_fields, catalog_extra, apply_env},
	[SL_IMP_RELEASE] = {sl_release_fields, catalog_extra, apply_release},
	[SL_IMP_DEPLOYMENT] = {sl_deploy_fields, deploy_extra, apply_deploy},
	[SL_IMP_EVENT] = {sl_event_fields, event_extra, apply_event},
};

static const struct sl_field *field_in(const struct sl_field *t,
				       const char *name)
{
	for (; t && t->name; t++)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* The field a record of kind k takes under name: the import's own first
 * (a deployment's status is where it ended, not where it starts). */
static const struct sl_field *field_of(enum sl_import_kind k, const char *name)
{
	const struct sl_field *f = field_in(kinds[k].extra, name);

	return f ? f : field_in(kinds[k].fields, name);
}

/* An id or a reference as text: a string as it is, an integer in
 * decimal. Into buf; NULL when v is neither. */
static const char *ref_text(const json_t *v, char *buf, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		return sl_h_id(json_integer_value(v), buf, size);
	return NULL;
}

static int64_t time_of(const json_t *extra, const char *key)
{
	int64_t us = 0;
	const char *s = json_string_value(json_object_get(extra, key));

	if (s)
		sl_time_parse(s, &us, key, NULL);
	return us;
}

/* The request with the objects' time set to at (the import's own time
 * stays in logged_at, for the audit entries). */
static struct sl_req at_time(const struct batch *b, int64_t at)
{
	struct sl_req sub = *b->r;

	sub.logged_at = b->r->now;
	sub.now = at ? at : b->r->now;
	return sub;
}

static void note(struct batch *b, enum sl_import_kind k, const char *ext,
		 json_t *object, int created)
{
	(created ? b->created : b->matched)[k]++;
	json_array_append_new(
		b->items,
		json_pack("{sI ss so so ss}", "line", (json_int_t)b->line,
			  "kind", sl_import_kind_name(k), "id",
			  ext ? json_string(ext) : json_null(), "object",
			  object, "outcome", created ? "created" : "matched"));
}

/* The object a source's record became, or SL_ENOTFOUND. */
static enum sl_err find(struct batch *b, enum sl_import_kind k, const char *ext,
			char **object, struct sl_error *err)
{
	return sl_store_import_find(b->tx, b->source, sl_import_kind_name(k),
				    ext, object, err);
}

static enum sl_err link(struct batch *b, enum sl_import_kind k, const char *ext,
			const char *object, struct sl_error *err)
{
	if (!ext)
		return SL_OK;
	return sl_store_import_link(b->tx, b->source, sl_import_kind_name(k),
				    ext, object, b->r->now, err);
}

/* The audit entry of an object the import created: at the import's
 * time, by its actor, via import:<source> (r->via). */
static enum sl_err audit(struct batch *b, const char *action, const char *type,
			 const char *id, const char *after,
			 struct sl_error *err)
{
	int64_t seq;
	struct sl_audit_entry e = {
		.at = b->r->now,
		.actor = b->r->actor.name,
		.action = action,
		.object_type = type,
		.object_id = id,
		.request_id = b->r->request_id,
		.via = b->r->via,
	};

	return sl_http_audit_append(b->tx, &e, NULL, after, &seq, err);
}

/* Whether the token's scope takes a record of env and service: SL_OK,
 * SL_EFORBIDDEN when not, SL_EUNAVAIL when that cannot be told. */
static enum sl_err in_scope(struct batch *b, const char *env,
			    const char *service, struct sl_error *err)
{
	char why[256] = "";
	int ok = sl_http_allowed(b->r, SL_ACT_IMPORT, env, service, why,
				 sizeof(why));

	if (ok > 0)
		return SL_OK;
	return sl_error_set(err, ok < 0 ? SL_EUNAVAIL : SL_EFORBIDDEN,
			    env ? "environment" : "service", "%s", why);
}

/* A reference to a record of kind k: the source's own id for one when
 * the source imported one by it, else the value itself (a natural key:
 * a service's name, service@version). Into *out, malloc'ed. */
static enum sl_err resolve(struct batch *b, enum sl_import_kind k,
			   const char *value, char **out, struct sl_error *err)
{
	enum sl_err rc = find(b, k, value, out, err);

	if (rc == SL_ENOTFOUND) {
		*out = sl_xstrdup(value);
		rc = SL_OK;
	}
	return rc;
}

/* ---- each kind ---- */

/* A service or an environment: matched by the source's id, else by its
 * name, else created at created_at. */
static enum sl_err catalog(struct batch *b, enum sl_import_kind k,
			   const char *ext, const json_t *body,
			   const json_t *extra, struct sl_error *err)
{
	int is_env = k == SL_IMP_ENVIRONMENT;
	const char *name = json_string_value(json_object_get(body, "name"));
	struct sl_req sub = at_time(b, time_of(extra, "created_at"));
	char *doc = NULL, *text = NULL, action[48];
	int64_t rev;
	enum sl_err rc;

	rc = in_scope(b, is_env ? name : NULL, is_env ? NULL : name, err);
	if (rc)
		return rc;
	rc = is_env ? sl_store_environment_get(b->tx, name, &doc, &rev, err)
		    : sl_store_service_get(b->tx, name, &doc, &rev, err);
	free(doc);
	if (rc == SL_OK) {
		rc = link(b, k, ext, name, err);
		note(b, k, ext, json_string(name), 0);
		return rc;
	}
	if (rc != SL_ENOTFOUND)
		return rc;
	rc = sl_h_catalog_insert(&sub, b->tx, is_env, body, &text, err);
	snprintf(action, sizeof(action), "%s.create",
		 is_env ? "environment" : "service");
	if (rc == SL_OK)
		rc = audit(b, action, is_env ? "environment" : "service", name,
			   text, err);
	if (rc == SL_OK)
		rc = link(b, k, ext, name, err);
	if (rc == SL_OK)
		note(b, k, ext, json_string(name), 1);
	free(text);
	return rc;
}

static enum sl_err apply_service(struct batch *b, const char *ext, json_t *body,
				 json_t *extra, struct sl_error *err)
{
	return catalog(b, SL_IMP_SERVICE, ext, body, extra, err);
}

static enum sl_err apply_env(struct batch *b, const char *ext, json_t *body,
			     json_t *extra, struct sl_error *err)
{
	return catalog(b, SL_IMP_ENVIRONMENT, ext, body, extra, err);
}

/* Checks body against a normal route's schema as a create; the first
 * problem into err. */
static enum sl_err check(const json_t *body, const struct sl_field *fields,
			 struct sl_error *err)
{
	struct sl_verrs v = {0};

	sl_schema_check(body, fields, "", 0, &v);
	if (!v.n)
		return SL_OK;
	return sl_error_set(err, SL_EINVAL, v.e[0].field, "%s", v.e[0].message);
}

/* Release body (the release schema's fields, service already resolved):
 * matched by service@version, else created at `at` as the normal route
 * creates one (draft or planned; type checked against the version).
 * *id the release's; ext the source's id, or NULL for a release a
 * deployment row implies. */
static enum sl_err release(struct batch *b, const char *ext, const json_t *body,
			   int64_t at, int64_t *id, struct sl_error *err)
{
	const char *service =
		json_string_value(json_object_get(body, "service"));
	const char *version =
		json_string_value(json_object_get(body, "version"));
	const char *status = json_string_value(json_object_get(body, "status"));
	struct sl_req sub = at_time(b, at);
	enum sl_release_status st;
	json_t *doc = NULL;
	char *key, *text, idb[24];
	enum sl_err rc;

	if (status && (sl_release_status_parse(status, &st) ||
		       !sl_release_status_is_initial(st)))
		return sl_error_set(err, SL_EINVAL, "status",
				    "a new release is draft or planned, not %s",
				    status);
	rc = in_scope(b, NULL, service, err);
	if (rc)
		return rc;
	key = sl_xmalloc(strlen(service) + strlen(version) + 2);
	snprintf(key, strlen(service) + strlen(version) + 2, "%s@%s", service,
		 version);
	rc = sl_h_release_ref(b->tx, key, "version", id, err);
	free(key);
	if (rc == SL_OK) {
		rc = link(b, SL_IMP_RELEASE, ext,
			  sl_h_id(*id, idb, sizeof(idb)), err);
		note(b, SL_IMP_RELEASE, ext, json_integer(*id), 0);
		return rc;
	}
	if (rc != SL_ENOTFOUND)
		return rc;
	rc = sl_h_release_insert(&sub, b->tx, body, &doc, err);
	if (rc)
		return rc;
	*id = json_integer_value(json_object_get(doc, "id"));
	text = sl_http_canon(doc);
	json_decref(doc);
	sl_h_id(*id, idb, sizeof(idb));
	rc = audit(b, "release.create", "release", idb, text, err);
	free(text);
	if (rc == SL_OK)
		rc = link(b, SL_IMP_RELEASE, ext, idb, err);
	if (rc == SL_OK)
		note(b, SL_IMP_RELEASE, ext, json_integer(*id), 1);
	return rc;
}

static enum sl_err apply_release(struct batch *b, const char *ext, json_t *body,
				 json_t *extra, struct sl_error *err)
{
	char *service = NULL;
	int64_t id;
	enum sl_err rc =
		resolve(b, SL_IMP_SERVICE,
			json_string_value(json_object_get(body, "service")),
			&service, err);

	if (rc)
		return rc;
	json_object_set_new(body, "service", json_string(service));
	free(service);
	return release(b, ext, body, time_of(extra, "created_at"), &id, err);
}

/* The service of a deployment row that names no release: resolved, and
 * created from the row's owner (as POST /v1/services would) when it is
 * not there. */
static enum sl_err implied_service(struct batch *b, const json_t *extra,
				   int64_t at, char **name,
				   struct sl_error *err)
{
	const char *owner = json_string_value(json_object_get(extra, "owner"));
	char *doc = NULL, *text = NULL;
	struct sl_req sub = at_time(b, at);
	json_t *body;
	int64_t rev;
	enum sl_err rc =
		resolve(b, SL_IMP_SERVICE,
			json_string_value(json_object_get(extra, "service")),
			name, err);

	if (rc == SL_OK)
		rc = sl_store_service_get(b->tx, *name, &doc, &rev, err);
	free(doc);
	if (rc != SL_ENOTFOUND)
		return rc;
	if (!owner)
		return sl_error_set(err, SL_EINVAL, "service",
				    "service '%s' does not exist (an owner "
				    "column creates it)",
				    *name);
	body = json_pack("{ss ss}", "name", *name, "owner", owner);
	rc = check(body, sl_service_fields, err);
	if (rc == SL_OK)
		rc = in_scope(b, NULL, *name, err);
	if (rc == SL_OK)
		rc = sl_h_catalog_insert(&sub, b->tx, 0, body, &text, err);
	if (rc == SL_OK)
		rc = audit(b, "service.create", "service", *name, text, err);
	if (rc == SL_OK)
		note(b, SL_IMP_SERVICE, NULL, json_string(*name), 1);
	json_decref(body);
	free(text);
	return rc;
}

/* The release a deployment record names (by the source's id, an id or
 * service@version), or the one its service and version imply (created
 * when not there). *rel its stored document. */
static enum sl_err deploy_release(struct batch *b, json_t *body,
				  const json_t *extra, int64_t at, json_t **rel,
				  struct sl_error *err)
{
	json_t *ref = json_object_get(body, "release"), *in, *idv;
	char buf[32], *object = NULL, *service = NULL;
	const char *refs = ref_text(ref, buf, sizeof(buf));
	int64_t id = 0;
	enum sl_err rc;

	if (refs) {
		/* The source's own id first, then the release itself. */
		rc = find(b, SL_IMP_RELEASE, refs, &object, err);
		if (rc == SL_OK) {
			idv = json_integer(strtoll(object, NULL, 10));
			free(object);
		} else if (rc == SL_ENOTFOUND) {
			idv = json_incref(ref);
		} else {
			return rc;
		}
		*rel = sl_h_body_release(b->tx, idv, err);
		json_decref(idv);
		return *rel ? SL_OK : err->code;
	}
	if (!json_object_get(extra, "service") ||
	    !json_object_get(extra, "version"))
		return sl_error_set(err, SL_EINVAL, "release",
				    "a deployment names its release, or its "
				    "service and version");
	rc = implied_service(b, extra, at, &service, err);
	if (rc == SL_OK) {
		in = json_pack("{ss sO}", "service", service, "version",
			       json_object_get(extra, "version"));
		if (json_object_get(extra, "type"))
			json_object_set(in, "type",
					json_object_get(extra, "type"));
		if (json_object_get(extra, "commit"))
			json_object_set(in, "commit",
					json_object_get(extra, "commit"));
		if (json_object_get(extra, "git_tag"))
			json_object_set(in, "git_tag",
					json_object_get(extra, "git_tag"));
		/* The release schema, less type (the service's rule picks
		 * one when it is not given). */
		rc = json_object_get(in, "type")
			     ? check(in, sl_release_fields, err)
			     : SL_OK;
		if (rc == SL_OK && !json_object_get(in, "type")) {
			json_object_set_new(in, "type", json_string("patch"));
			rc = check(in, sl_release_fields, err);
			json_object_del(in, "type");
		}
		if (rc == SL_OK)
			rc = release(b, NULL, in, at, &id, err);
		json_decref(in);
	}
	free(service);
	if (rc)
		return rc;
	json_object_set_new(body, "release", json_integer(id));
	idv = json_integer(id);
	*rel = sl_h_body_release(b->tx, idv, err);
	json_decref(idv);
	return *rel ? SL_OK : err->code;
}

static enum sl_err apply_deploy(struct batch *b, const char *ext, json_t *body,
				json_t *extra, struct sl_error *err)
{
	struct sl_import_times t = {
		time_of(extra, "created_at"),
		time_of(extra, "started_at"),
		time_of(extra, "finished_at"),
		time_of(extra, "verified_at"),
	};
	struct sl_import_step steps[SL_IMPORT_STEPS_MAX];
	enum sl_deploy_status final;
	json_t *rel = NULL;
	size_t n = 0;
	int64_t id = 0;
	char idb[24];
	enum sl_err rc;

	if (json_object_get(body, "override"))
		return sl_error_set(err, SL_EINVAL, "override",
				    "an import records what happened; it sets "
				    "no gate aside");
	sl_deploy_status_parse(
		json_string_value(json_object_get(extra, "status")), &final);
	/* The times first: a row that contradicts itself implies nothing. */
	rc = sl_import_deploy_plan(final, &t, b->r->now, steps, &n, err);
	if (rc == SL_OK)
		rc = deploy_release(b, body, extra, steps[0].at, &rel, err);
	if (rc == SL_OK)
		rc = in_scope(
			b,
			json_string_value(json_object_get(body, "environment")),
			json_string_value(json_object_get(rel, "service")),
			err);
	if (rc == SL_OK) {
		struct sl_req sub = at_time(b, 0);

		rc = sl_h_deploy_import(&sub, b->tx, rel, body, steps, n, &id,
					err);
	}
	if (rc == SL_OK)
		rc = link(b, SL_IMP_DEPLOYMENT, ext,
			  sl_h_id(id, idb, sizeof(idb)), err);
	if (rc == SL_OK)
		note(b, SL_IMP_DEPLOYMENT, ext, json_integer(id), 1);
	json_decref(rel);
	return rc;
}

static enum sl_err apply_event(struct batch *b, const char *ext, json_t *body,
			       json_t *extra, struct sl_error *err)
{
	const char *to = json_string_value(json_object_get(body, "status"));
	json_t *traffic = json_object_get(body, "traffic_percent");
	const char *message =
		json_string_value(json_object_get(body, "message"));
	char buf[32], *object = NULL, *doc = NULL, idb[24];
	const char *dep = ref_text(json_object_get(extra, "deployment"), buf,
				   sizeof(buf));
	enum sl_deploy_status to_s = SL_DEP__COUNT;
	int64_t id = 0, rev, ev = 0;
	json_t *d;
	enum sl_err rc;

	if (!to && !traffic && !message)
		return sl_error_set(err, SL_EINVAL, "status",
				    "an event needs a status, a "
				    "traffic_percent or a message");
	rc = find(b, SL_IMP_DEPLOYMENT, dep, &object, err);
	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_EINVAL, "deployment",
				    "no deployment '%s' was imported from "
				    "'%s'",
				    dep, b->source);
	if (rc)
		return rc;
	id = strtoll(object, NULL, 10);
	free(object);
	rc = sl_store_deployment_get(b->tx, id, &doc, &rev, err);
	if (rc)
		return rc;
	d = sl_http_doc(doc);
	free(doc);
	rc = in_scope(b, json_string_value(json_object_get(d, "environment")),
		      json_string_value(json_object_get(d, "service")), err);
	json_decref(d);
	if (rc)
		return rc;
	if (to)
		sl_deploy_status_parse(to, &to_s);
	{
		struct sl_req sub = at_time(b, 0);

		rc = sl_h_deploy_event_import(
			&sub, b->tx, id, to_s, traffic, message,
			json_string_value(json_object_get(body, "source")),
			time_of(extra, "at"), &ev, err);
	}
	if (rc == SL_OK)
		rc = link(b, SL_IMP_EVENT, ext, sl_h_id(ev, idb, sizeof(idb)),
			  err);
	if (rc == SL_OK)
		note(b, SL_IMP_EVENT, ext, json_integer(ev), 1);
	return rc;
}

/* ---- one record ---- */

/* Splits rec into the fields of the normal route (*body) and the
 * import's own (*extra), both new references. */
static void split(const json_t *rec, enum sl_import_kind k, json_t **body,
		  json_t **extra)
{
	const char *key;
	json_t *v;

	*body = json_object();
	*extra = json_object();
	json_object_foreach((json_t *)rec, key, v) json_object_set(
		field_in(kinds[k].extra, key) ? *extra : *body, key, v);
	/* An event's time is both: the normal schema checks its form. */
	if (k == SL_IMP_EVENT && json_object_get(*extra, "at"))
		json_object_set(*body, "at", json_object_get(*extra, "at"));
}

static enum sl_err one(struct batch *b, const json_t *rec, struct sl_error *err)
{
	const char *ks = json_string_value(json_object_get(rec, "kind"));
	enum sl_import_kind k;
	json_t *body = NULL, *extra = NULL;
	char buf[32], *object = NULL;
	const char *ext;
	enum sl_err rc;

	if (!ks || sl_import_kind_parse(ks, &k)) {
		char words[128];

		sl_vocab_join(sl_import_kind_names, ", ", words, sizeof(words));
		return sl_error_set(err, SL_EINVAL, "kind",
				    "kind must be one of: %s", words);
	}
	split(rec, k, &body, &extra);
	rc = check(extra, kinds[k].extra, err);
	if (rc == SL_OK && k == SL_IMP_DEPLOYMENT &&
	    !json_object_get(body, "release") &&
	    json_is_string(json_object_get(extra, "service")) &&
	    json_is_string(json_object_get(extra, "version")))
		/* Checked as the release it names; made in apply_deploy. */
		json_object_set_new(
			body, "release",
			json_sprintf("%s@%s",
				     json_string_value(
					     json_object_get(extra, "service")),
				     json_string_value(json_object_get(
					     extra, "version"))));
	if (rc == SL_OK)
		rc = check(body, kinds[k].fields, err);
	if (rc == SL_OK && k == SL_IMP_DEPLOYMENT &&
	    json_object_get(extra, "service") &&
	    !json_object_get(rec, "release"))
		json_object_del(body, "release");
	if (rc)
		goto out;
	ext = ref_text(json_object_get(extra, "id"), buf, sizeof(buf));
	rc = find(b, k, ext, &object, err);
	if (rc == SL_OK) {
		int64_t n = 0;
		json_t *o = k == SL_IMP_SERVICE || k == SL_IMP_ENVIRONMENT ||
					    sl_decimal_parse(object, &n)
				    ? json_string(object)
				    : json_integer(n);

		note(b, k, ext, o, 0);
	} else if (rc == SL_ENOTFOUND) {
		rc = kinds[k].apply(b, ext, body, extra, err);
	}
out:
	free(object);
	json_decref(body);
	json_decref(extra);
	return rc;
}

/* ---- the body: JSON Lines or CSV ---- */

struct record {
	size_t line;
	json_t *rec;
};

struct records {
	size_t n, cap;
	struct record *v;
};

static void records_add(struct records *rs, size_t line, json_t *rec)
{
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->v = sl_xrealloc(rs->v, rs->cap * sizeof(*rs->v));
	}
	rs->v[rs->n].line = line;
	rs->v[rs->n++].rec = rec;
}

static void records_fini(struct records *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		json_decref(rs->v[i].rec);
	free(rs->v);
}

/* One JSON object per line; blank lines are nothing. *line names the bad
 * one. */
static enum sl_err read_jsonl(const char *s, size_t len, struct records *rs,
			      size_t *line, struct sl_error *err)
{
	size_t pos = 0;

	*line = 0;
	while (pos < len) {
		const char *nl = memchr(s + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - s) : len, e = end;
		json_error_t jerr;
		json_t *v;

		++*line;
		while (e > pos && (s[e - 1] == '\r' || s[e - 1] == ' ' ||
				   s[e - 1] == '\t'))
			e--;
		if (e > pos) {
			v = json_loadb(s + pos, e - pos, JSON_REJECT_DUPLICATES,
				       &jerr);
			if (!v)
				return sl_error_set(err, SL_EINVAL, "",
						    "line %zu is not JSON: %s",
						    *line, jerr.text);
			if (!json_is_object(v)) {
				json_decref(v);
				return sl_error_set(err, SL_EINVAL, "",
						    "line %zu is not a JSON "
						    "object",
						    *line);
			}
			records_add(rs, *line, v);
		}
		pos = end + 1;
	}
	return SL_OK;
}

/* A CSV cell as the JSON value of the field it fills: integers, true or
 * false, lists split at ';', tags as k=v;k=v, objects as JSON text. */
static enum sl_err cell(const struct sl_field *f, const char *col,
			const char *s, json_t **out, struct sl_error *err)
{
	int64_t n;

	switch (f ? f->type : SL_FT_STRING) {
	case SL_FT_INT:
		if ((*s == '-' && !sl_decimal_parse(s + 1, &n) &&
		     (n = -n, 1)) ||
		    !sl_decimal_parse(s, &n)) {
			*out = json_integer(n);
			return SL_OK;
		}
		return sl_error_set(err, SL_EINVAL, col,
				    "%s must be an integer", col);
	case SL_FT_BOOL:
		if (strcmp(s, "true") && strcmp(s, "false"))
			return sl_error_set(err, SL_EINVAL, col,
					    "%s must be true or false", col);
		*out = json_boolean(strcmp(s, "true") == 0);
		return SL_OK;
	case SL_FT_REF:
		*out = !sl_decimal_parse(s, &n) ? json_integer(n)
						: json_string(s);
		return SL_OK;
	case SL_FT_STRINGS:
	case SL_FT_TAGS: {
		char *copy = sl_xstrdup(s), *save = NULL, *p, *eq;

		*out = f->type == SL_FT_TAGS ? json_object() : json_array();
		for (p = strtok_r(copy, ";", &save); p;
		     p = strtok_r(NULL, ";", &save)) {
			if (f->type == SL_FT_STRINGS) {
				json_array_append_new(*out, json_string(p));
				continue;
			}
			eq = strchr(p, '=');
			if (!eq) {
				json_decref(*out);
				free(copy);
				return sl_error_set(err, SL_EINVAL, col,
						    "%s holds key=value pairs "
						    "separated by ';'",
						    col);
			}
			*eq = '\0';
			json_object_set_new(*out, p, json_string(eq + 1));
		}
		free(copy);
		return SL_OK;
	}
	case SL_FT_OBJECT:
	case SL_FT_OBJECTS:
	case SL_FT_MAP:
		*out = json_loads(s, 0, NULL);
		if (!*out)
			return sl_error_set(err, SL_EINVAL, col,
					    "%s must be JSON text", col);
		return SL_OK;
	default:
		*out = json_string(s);
		return *out ? SL_OK
			    : sl_error_set(err, SL_EINVAL, col,
					   "%s is not UTF-8", col);
	}
}

/* A header row, then one record a row: the cells of the kind's columns
 * (kind: deployment when there is no kind column or its cell is
 * empty); an empty cell is a field not given. */
static enum sl_err read_csv(const char *s, size_t len, struct records *rs,
			    size_t *line, struct sl_error *err)
{
	struct sl_csv c;
	struct sl_csv_row head = {0}, row = {0};
	enum sl_err rc = SL_OK;
	int got;

	sl_csv_init(&c, s, len);
	*line = 1;
	got = sl_csv_next(&c, &head, err);
	if (got < 0)
		return err->code;
	if (got == 0)
		return SL_OK;
	*line = head.line;
	for (size_t i = 0; i < head.n; i++)
		for (size_t j = 0; j < i; j++)
			if (!head.fields[i][0] ||
			    strcmp(head.fields[i], head.fields[j]) == 0) {
				rc = sl_error_set(err, SL_EINVAL, "",
						  "the header names column "
						  "'%s' twice or none",
						  head.fields[i]);
				goto out;
			}
	while ((got = sl_csv_next(&c, &row, err)) > 0) {
		json_t *rec = json_object();
		enum sl_import_kind k = SL_IMP_DEPLOYMENT;

		*line = row.line;
		if (row.n != head.n) {
			json_decref(rec);
			rc = sl_error_set(err, SL_EINVAL, "",
					  "line %zu has %zu fields, the header "
					  "%zu",
					  row.line, row.n, head.n);
			goto out;
		}
		for (size_t i = 0; i < head.n; i++)
			if (strcmp(head.fields[i], "kind") == 0 &&
			    row.fields[i][0] &&
			    sl_import_kind_parse(row.fields[i], &k))
				k = SL_IMP__COUNT;
		json_object_set_new(
			rec, "kind",
			json_string(k == SL_IMP__COUNT
					    ? "?"
					    : sl_import_kind_name(k)));
		for (size_t i = 0; i < head.n && k != SL_IMP__COUNT; i++) {
			json_t *v = NULL;

			if (!row.fields[i][0] ||
			    strcmp(head.fields[i], "kind") == 0)
				continue;
			rc = cell(field_of(k, head.fields[i]), head.fields[i],
				  row.fields[i], &v, err);
			if (rc) {
				json_decref(rec);
				goto out;
			}
			json_object_set_new(rec, head.fields[i], v);
		}
		records_add(rs, row.line, rec);
		sl_csv_row_fini(&row);
	}
	if (got < 0) {
		*line = c.line;
		rc = err->code;
	}
out:
	sl_csv_row_fini(&head);
	sl_csv_row_fini(&row);
	return rc;
}

/* 1 when the Content-Type is type (parameters aside). */
static int media(const char *ct, const char *type)
{
	size_t n = strlen(type);

	return ct && strncasecmp(ct, type, n) == 0 &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The answer: counts per kind and what each record became. */
static json_t *answer(const struct batch *b, size_t records)
{
	json_t *created = json_object(), *matched = json_object();

	for (int k = 0; k < SL_IMP__COUNT; k++) {
		json_object_set_new(created, sl_import_kind_name(k),
				    json_integer(b->created[k]));
		json_object_set_new(matched, sl_import_kind_name(k),
				    json_integer(b->matched[k]));
	}
	return json_pack("{ss sI so so}", "source", b->source, "records",
			 (json_int_t)records, "created", created, "matched",
			 matched);
}

static void fail_at(struct sl_req *r, const struct sl_error *err, size_t line,
		    const char *id)
{
	json_t *extra = json_pack("{sI}", "line", (json_int_t)line);

	if (id)
		json_object_set_new(extra, "record", json_string(id));
	sl_http_fail_with(r, err, extra);
}

void sl_h_import(struct sl_req *r)
{
	const char *source = NULL;
	const char *ct = sl_http_header(r, "Content-Type");
	struct records rs = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	struct batch b = {0};
	enum sl_role role;
	size_t line = 0, created = 0;
	char *summary = NULL;
	enum sl_err rc;

	if (!sl_h_text_param(r, "source", &source))
		return;
	if (!source) {
		sl_http_failf(r, SL_EINVAL, "source",
			      "name the source: ?source=NAME (a slug)");
		return;
	}
	if (sl_valid_slug(source, "source", &err) || strlen(source) > 32) {
		if (!err.code)
			sl_error_set(&err, SL_EINVAL, "source",
				     "source is at most 32 characters");
		sl_http_fail(r, &err);
		return;
	}
	/* The token's own role, never a grant: an import sets the gates
	 * aside, as only an administrator may. */
	if (sl_role_parse(r->actor.role, &role) ||
	    !sl_role_allows(role, SL_ACT_IMPORT)) {
		sl_http_failf(r, SL_EFORBIDDEN, "permission",
			      "this needs the permission import, which the "
			      "role %s of the token '%s' does not hold",
			      r->actor.role, r->actor.name);
		return;
	}
	if (media(ct, "application/x-ndjson") || media(ct, "application/jsonl"))
		rc = read_jsonl(r->body ? r->body : "", r->body_len, &rs, &line,
				&err);
	else if (media(ct, "text/csv"))
		rc = read_csv(r->body ? r->body : "", r->body_len, &rs, &line,
			      &err);
	else {
		sl_http_failf(r, SL_EMEDIA, "Content-Type",
			      "send JSON Lines (application/x-ndjson) or CSV "
			      "(text/csv), not %s",
			      ct ? ct : "no Content-Type");
		return;
	}
	if (rc) {
		/* A record that cannot be read is a bad record too. */
		err.code = SL_EINVAL;
		fail_at(r, &err, line, NULL);
		goto out;
	}
	if (rs.n == 0) {
		sl_http_failf(r, SL_EINVAL, NULL, "the batch holds no records");
		goto out;
	}
	if (rs.n > SL_IMPORT_BATCH_MAX) {
		sl_http_failf(r, SL_ETOOLARGE, NULL,
			      "a batch holds at most %d records, this one %zu: "
			      "split it",
			      SL_IMPORT_BATCH_MAX, rs.n);
		goto out;
	}
	snprintf(r->via, sizeof(r->via), "import:%s", source);
	b.r = r;
	b.tx = &tx;
	b.source = source;
	b.items = json_array();
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		goto out;
	}
	for (size_t i = 0; i < rs.n; i++) {
		char buf[32];

		b.line = rs.v[i].line;
		rc = one(&b, rs.v[i].rec, &err);
		if (rc) {
			sl_store_abort(&tx);
			/* A record the batch refuses is bad input, whatever
			 * route would have said 409. */
			if (rc == SL_ECONFLICT || rc == SL_ENOTFOUND ||
			    rc == SL_EMALFORMED)
				err.code = SL_EINVAL;
			fail_at(r, &err, b.line,
				ref_text(json_object_get(rs.v[i].rec, "id"),
					 buf, sizeof(buf)));
			goto out;
		}
	}
	for (int k = 0; k < SL_IMP__COUNT; k++)
		created += (size_t)b.created[k];
	{
		json_t *a = answer(&b, rs.n);

		summary = sl_http_canon(a);
		json_object_set(a, "items", b.items);
		if (!created) {
			/* Everything was there: nothing to write or audit. */
			sl_store_abort(&tx);
			sl_http_reply_json(r, 200, a);
		} else {
			struct sl_audit_info info = {"import.batch", "import",
						     source, NULL, summary};

			sl_http_write_finish(r, &tx, &info, 201,
					     sl_http_canon(a));
			json_decref(a);
		}
	}
out:
	free(summary);
	json_decref(b.items);
	records_fini(&rs);
}
