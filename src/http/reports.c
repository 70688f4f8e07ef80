/* reports.c - GET /v1/reports/{change|exceptions|controls|access}: the
 * compliance reports, read in one read transaction.
 *
 * The handler gathers each production deployment of the period into a
 * struct sl_report_change and a JSON row; core/report.c decides which
 * facts make an exception, which evidence a control finds and what an
 * access review flags. Each report renders as JSON, CSV (one row per
 * change, exception, control or token/grant) or a printable HTML page
 * with no script. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cal/windows.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/report.h"
#include "core/validate.h"
#include "http/assets.h"
#include "http/governance.h"
#include "http/handlers.h"

enum kind { K_CHANGE, K_EXCEPTIONS, K_CONTROLS, K_ACCESS, K__COUNT };
static const char *const kind_names[K__COUNT] = {"change", "exceptions",
						 "controls", "access"};
enum fmt { F_JSON, F_CSV, F_HTML, F__COUNT };
static const char *const fmt_names[F__COUNT] = {"json", "csv", "html"};

/* One production change as gathered: its typed facts (strings borrowed
 * from docs kept in keep) and its JSON row. */
struct change {
	struct sl_report_change c;
	struct sl_report_approval *ap;
	json_t *row;
};

struct ctx {
	struct sl_req *r;
	struct sl_tx *tx;
	int64_t from, to;
	const char *env, *service;
	uint64_t tree_size;
	json_t *keep;	   /* documents the facts borrow from */
	json_t *windows;   /* live windows' documents */
	json_t *reviews;   /* "deployment id" -> review document */
	json_t *incidents; /* "deployment id" -> [incident keys] */
	json_t *policies;  /* "env" -> [[created_at, version], ...] */
	struct change *v;
	size_t n, cap;
};

static json_t *keep(struct ctx *x, json_t *doc)
{
	json_array_append_new(x->keep, doc);
	return doc;
}

/* A reference to the audit entry: its seq, the tree size it is proven in
 * (null while the tree has not reached it) and where to fetch the proof. */
static json_t *audit_ref(struct ctx *x, const struct sl_audit_row *a)
{
	char path[96];
	int proven = a->seq > 0 && (uint64_t)a->seq <= x->tree_size;

	snprintf(path, sizeof(path), "/v1/audit/%lld/proof?size=%llu",
		 (long long)a->seq, (unsigned long long)x->tree_size);
	return json_pack("{sI ss ss ss so so}", "seq", (json_int_t)a->seq,
			 "action", a->action, "object_type", a->object_type,
			 "object_id", a->object_id, "tree_size",
			 proven ? json_integer((json_int_t)x->tree_size)
				: json_null(),
			 "proof", proven ? json_string(path) : json_null());
}

/* Appends to refs the audit entries about one object; *via receives the
 * first entry's via and *actor its actor (copied into keep). */
static enum sl_err audit_of(struct ctx *x, const char *type, const char *id,
			    json_t *refs, const char **actor, const char **via,
			    struct sl_error *err)
{
	struct sl_filter f = {0};
	struct sl_audit_rows rows = {0};
	enum sl_err rc;

	f.object_type = type;
	f.object_id = id;
	f.limit = 500;
	rc = sl_store_audit_list(x->tx, &f, &rows, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < rows.n; i++) {
		json_array_append_new(refs, audit_ref(x, &rows.v[i]));
		if (i == 0 && actor) {
			json_t *s = keep(x, json_pack("[s?s?]", rows.v[i].actor,
						      rows.v[i].via));

			*actor = json_string_value(json_array_get(s, 0));
			*via = json_string_value(json_array_get(s, 1));
		}
	}
	sl_audit_rows_fini(&rows);
	return SL_OK;
}

/* The environment's policy in force at `at`: the latest version created
 * at or before it (defaults before the first). New reference, or NULL
 * with err. */
static json_t *policy_at(struct ctx *x, const char *env, int64_t at,
			 struct sl_error *err)
{
	struct sl_policies vs = {0};
	int64_t pick = 0;
	json_t *p, *sod, *stored, *d;
	char *doc = NULL;
	int64_t got;
	enum sl_err rc = sl_store_policy_versions(x->tx, env, &vs, err);

	if (rc)
		return NULL;
	for (size_t i = 0; i < vs.n; i++)
		if (vs.v[i].created_at <= at && vs.v[i].version > pick)
			pick = vs.v[i].version;
	sl_policies_fini(&vs);
	p = sl_policy_defaults();
	if (!pick)
		return p;
	rc = sl_store_policy_get(x->tx, env, pick, &doc, &got, err);
	if (rc) {
		json_decref(p);
		return NULL;
	}
	/* As sl_policy_load: rules left out of a stored segregation stay
	 * off. */
	d = sl_http_doc(doc);
	free(doc);
	stored = json_object_get(d, "policy");
	sod = json_deep_copy(json_object_get(p, "segregation"));
	if (json_is_object(stored))
		json_object_update(p, stored);
	json_object_update_missing(json_object_get(p, "segregation"), sod);
	json_decref(sod);
	json_decref(d);
	return p;
}

/* Finds a freeze or blackout window covering a deployment of a service
 * with tags into env at `at`: *name is its name, or NULL. A window that
 * cannot be worked out is not taken to be open or closed: SL_EUNAVAIL
 * with err, as the gate does. */
static enum sl_err freeze_at(struct ctx *x, const char *env,
			     const struct sl_tag *tags, size_t ntags,
			     int64_t at, const char **name,
			     struct sl_error *err)
{
	size_t i;
	json_t *w;

	*name = NULL;
	json_array_foreach(x->windows, i, w)
	{
		struct sl_window_reach reach = {
			json_string_value(json_object_get(w, "environment")),
			json_string_value(json_object_get(w, "service_tag")),
		};
		const char *kind =
			json_string_value(json_object_get(w, "kind"));
		const char *wname =
			json_string_value(json_object_get(w, "name"));
		struct sl_window_spec spec;
		struct sl_occurrence occ;
		struct sl_error e = {0};
		int covers;

		if (!kind ||
		    (strcmp(kind, "freeze") && strcmp(kind, "blackout")))
			continue;
		if (!sl_window_applies(&reach, env, tags, ntags))
			continue;
		sl_window_spec_of(w, &spec);
		covers = sl_window_covering(&spec, at, &occ, &e);
		if (covers < 0)
			return sl_error_set(err, SL_EUNAVAIL, "windows",
					    "the window '%s' cannot be "
					    "evaluated: %s",
					    wname ? wname : "?", e.message);
		if (covers == 1) {
			*name = wname;
			return SL_OK;
		}
	}
	return SL_OK;
}

static json_t *time_or_null(int64_t us)
{
	return us ? sl_h_time(us) : json_null();
}

/* Gathers one production deployment: its facts and its row. */
static enum sl_err gather_one(struct ctx *x, json_t *dep, struct sl_error *err)
{
	int64_t id = json_integer_value(json_object_get(dep, "id"));
	int64_t rid = json_integer_value(json_object_get(dep, "release_id"));
	const char *env =
		json_string_value(json_object_get(dep, "environment"));
	const char *service =
		json_string_value(json_object_get(dep, "service"));
	char idb[24], oid[160], *text = NULL;
	int64_t rev;
	json_t *rel, *policy, *refs = json_array(), *apps = json_array();
	json_t *items = json_array(), *cr = json_null(), *review, *row;
	struct sl_approvals ap = {0};
	struct sl_docs done = {0};
	struct change *ch;
	const char *actor = NULL, *via = NULL, *crkey;
	struct sl_tag *tags = NULL;
	size_t ntags = 0;
	int imported;
	enum sl_err rc;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 16;
		x->v = sl_xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	ch = &x->v[x->n];
	memset(ch, 0, sizeof(*ch));
	ch->c.id = id;
	ch->c.service = service;
	ch->c.environment = env;
	ch->c.deployer = json_string_value(json_object_get(dep, "deployer"));
	ch->c.started_at = sl_h_doc_time(dep, "started_at");
	if (!ch->c.started_at)
		ch->c.started_at = sl_h_doc_time(dep, "created_at");

	rc = sl_store_release_get(x->tx, rid, &text, &rev, err);
	if (rc)
		goto out;
	rel = keep(x, sl_http_doc(text));
	free(text);
	text = NULL;
	ch->c.author = json_string_value(json_object_get(rel, "created_by"));

	rc = sl_store_service_get(x->tx, service, &text, &rev, err);
	if (rc == SL_OK) {
		json_t *svc = keep(x, sl_http_doc(text));

		tags = sl_h_tags(json_object_get(svc, "tags"), &ntags);
	} else if (rc != SL_ENOTFOUND)
		goto out;
	free(text);
	text = NULL;

	policy = policy_at(x, env, ch->c.started_at, err);
	if (!policy) {
		rc = err->code;
		goto out;
	}
	keep(x, policy);
	ch->c.cr_required = json_is_true(json_object_get(
		json_object_get(policy, "change_request"), "required"));
	ch->c.sod_approver_may_not_deploy =
		sl_policy_rule(policy, "approver_may_not_deploy");
	ch->c.sod_deployer_may_not_be_author =
		sl_policy_rule(policy, "deployer_may_not_be_author");

	/* Who started it and how: the deployment's first audit entry. */
	rc = audit_of(x, "deployment", sl_h_id(id, idb, sizeof(idb)), refs,
		      &actor, &via, err);
	if (rc)
		goto out;
	/* The import's own table says it first: the audit entries of a
	 * write numbered after commit (PostgreSQL) may not be listed yet. */
	rc = sl_store_import_source_of(x->tx, "deployment", idb, &text, err);
	imported = rc == SL_OK;
	if (rc != SL_OK && rc != SL_ENOTFOUND)
		goto out;
	rc = SL_OK;
	free(text);
	text = NULL;
	if (imported || (via && strncmp(via, "import:", 7) == 0))
		ch->c.origin = SL_ORIGIN_IMPORT;
	else if ((actor && strncmp(actor, "receiver:", 9) == 0) ||
		 (ch->c.deployer &&
		  strncmp(ch->c.deployer, "receiver:", 9) == 0))
		ch->c.origin = SL_ORIGIN_WEBHOOK;
	else if (json_is_object(json_object_get(dep, "override")))
		ch->c.origin = SL_ORIGIN_OVERRIDE;
	else
		ch->c.origin = SL_ORIGIN_GATED;

	rc = sl_store_approval_list(x->tx, rid, env, &ap, err);
	if (rc)
		goto out;
	ch->ap = sl_xcalloc(ap.n + 1, sizeof(*ch->ap));
	for (size_t i = 0; i < ap.n; i++) {
		const struct sl_approval_rec *a = &ap.v[i];
		json_t *k = keep(x, json_pack("[s?s?s?]", a->approver, a->group,
					      a->decision));

		ch->ap[i].approver = json_string_value(json_array_get(k, 0));
		ch->ap[i].group = json_string_value(json_array_get(k, 1));
		ch->ap[i].decision = json_string_value(json_array_get(k, 2));
		ch->ap[i].at = a->at;
		ch->ap[i].ended_at = a->ended_at;
		json_array_append_new(apps,
				      json_pack("{sI ss? ss? ss? so so}", "id",
						(json_int_t)a->id, "approver",
						a->approver, "group", a->group,
						"decision", a->decision, "at",
						time_or_null(a->at), "ended_at",
						time_or_null(a->ended_at)));
		rc = audit_of(x, "approval", sl_h_id(a->id, idb, sizeof(idb)),
			      refs, NULL, NULL, err);
		if (rc)
			goto out;
	}
	ch->c.approvals = ch->ap;
	ch->c.napprovals = ap.n;

	rc = sl_store_checklist_list(x->tx, rid, env, &done, err);
	if (rc)
		goto out;
	for (size_t i = 0; i < done.n; i++)
		if (done.v[i].doc)
			json_array_append_new(items,
					      sl_http_doc(done.v[i].doc));
	ch->c.checklist_items = json_array_size(items);
	snprintf(oid, sizeof(oid), "%lld/%s", (long long)rid, env);
	if (done.n) {
		rc = audit_of(x, "checklist", oid, refs, NULL, NULL, err);
		if (rc)
			goto out;
	}

	crkey = json_string_value(json_object_get(rel, "change_request"));
	ch->c.cr_key = crkey;
	if (crkey) {
		rc = sl_store_change_get(x->tx, crkey, &text, &rev, err);
		if (rc == SL_OK) {
			json_t *d = keep(x, sl_http_doc(text));
			enum sl_change_class cls;

			ch->c.cr_found = 1;
			ch->c.cr_state =
				json_string_value(json_object_get(d, "state"));
			ch->c.cr_class =
				json_string_value(json_object_get(d, "class"));
			if (sl_change_class_parse(ch->c.cr_class, &cls))
				cls = SL_CRC__COUNT;
			ch->c.cr_preapproved = sl_change_preapproves(
				cls, sl_h_release_type(rel),
				sl_policy_standard_types(policy));
			rc = audit_of(x, "change_request", crkey, refs, NULL,
				      NULL, err);
		} else if (rc == SL_ENOTFOUND)
			rc = SL_OK;
		free(text);
		text = NULL;
		if (rc)
			goto out;
		json_decref(cr);
		cr = json_pack("{ss ss? ss? sb}", "key", crkey, "class",
			       ch->c.cr_class, "state", ch->c.cr_state, "known",
			       ch->c.cr_found);
	}

	review = json_object_get(x->reviews, sl_h_id(id, idb, sizeof(idb)));
	if (review) {
		ch->c.has_review = 1;
		ch->c.review_closed =
			!json_is_null(json_object_get(review, "closed_at"));
		rc = audit_of(x, "review",
			      sl_h_id(json_integer_value(
					      json_object_get(review, "id")),
				      oid, sizeof(oid)),
			      refs, NULL, NULL, err);
		if (rc)
			goto out;
	}

	rc = sl_store_verification_get(x->tx, id, &text, err);
	if (rc == SL_OK) {
		json_t *d = keep(x, sl_http_doc(text));

		ch->c.verification =
			json_string_value(json_object_get(d, "outcome"));
	} else if (rc != SL_ENOTFOUND)
		goto out;
	rc = SL_OK;
	free(text);
	text = NULL;
	if (!ch->c.verification &&
	    strcmp(json_string_value(json_object_get(dep, "status")),
		   "verified") == 0)
		ch->c.verification = "passed";
	ch->c.verified =
		ch->c.verification && strcmp(ch->c.verification, "passed") == 0;

	rc = freeze_at(x, env, tags, ntags, ch->c.started_at, &ch->c.freeze,
		       err);
	if (rc)
		goto out;

	{
		json_t *inc = json_object_get(x->incidents,
					      sl_h_id(id, idb, sizeof(idb)));
		row = json_pack(
			"{sI sO sO sI sO sO sO sO sO so ss so so so so so "
			"ss? ss? so so}",
			"deployment_id", (json_int_t)id, "service",
			json_object_get(dep, "service"), "version",
			json_object_get(dep, "version"), "release_id",
			(json_int_t)rid, "environment",
			json_object_get(dep, "environment"), "target",
			json_object_get(dep, "target"), "status",
			json_object_get(dep, "status"), "deployer",
			json_object_get(dep, "deployer"), "author",
			json_object_get(rel, "created_by"), "started_at",
			sl_h_time(ch->c.started_at), "gate",
			sl_report_origin_name(ch->c.origin), "override",
			json_is_object(json_object_get(dep, "override"))
				? json_deep_copy(
					  json_object_get(dep, "override"))
				: json_null(),
			"review", review ? json_deep_copy(review) : json_null(),
			"approvals", apps, "change_request", cr, "checklist",
			items, "verification", ch->c.verification, "freeze",
			ch->c.freeze, "incidents",
			inc ? json_deep_copy(inc) : json_array(), "audit",
			refs);
	}
	ch->row = row;
	apps = items = cr = refs = NULL;
	x->n++;
out:
	free(text);
	free(tags);
	sl_approvals_fini(&ap);
	sl_docs_fini(&done);
	json_decref(apps);
	json_decref(items);
	json_decref(cr);
	json_decref(refs);
	if (rc && ch->ap) {
		free(ch->ap);
		ch->ap = NULL;
	}
	return rc;
}

/* Reads what every change shares: windows, reviews, incidents' causes. */
static enum sl_err gather_shared(struct ctx *x, struct sl_error *err)
{
	struct sl_docs rows = {0};
	struct sl_scope_lists all = {0};
	struct sl_incident_filter f = {0};
	enum sl_err rc;

	rc = sl_store_log_size(x->tx, &x->tree_size, err);
	if (rc)
		return rc;
	rc = sl_store_window_list(x->tx, &rows, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < rows.n; i++)
		if (rows.v[i].doc)
			json_array_append_new(x->windows,
					      sl_http_doc(rows.v[i].doc));
	sl_docs_fini(&rows);
	rc = sl_store_review_list(x->tx, 0, &all, &rows, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < rows.n; i++) {
		json_t *d = rows.v[i].doc ? sl_http_doc(rows.v[i].doc) : NULL;
		char idb[24];

		if (d)
			json_object_set_new(
				x->reviews,
				sl_h_id(json_integer_value(json_object_get(
						d, "deployment_id")),
					idb, sizeof(idb)),
				d);
	}
	sl_docs_fini(&rows);
	f.limit = 500;
	for (;;) {
		rc = sl_store_incident_list(x->tx, &f, &rows, err);
		if (rc)
			return rc;
		for (size_t i = 0; i < rows.n; i++) {
			json_t *d, *c;
			size_t j;

			if (!rows.v[i].doc)
				continue;
			d = sl_http_doc(rows.v[i].doc);
			json_array_foreach(json_object_get(d, "causes"), j, c)
			{
				char idb[24];
				const char *k = sl_h_id(
					json_integer_value(json_object_get(
						c, "deployment_id")),
					idb, sizeof(idb));
				json_t *list = json_object_get(x->incidents, k);

				if (!list) {
					list = json_array();
					json_object_set_new(x->incidents, k,
							    list);
				}
				json_array_append(list,
						  json_object_get(d, "key"));
			}
			json_decref(d);
		}
		if (rows.n < (size_t)f.limit) {
			sl_docs_fini(&rows);
			break;
		}
		f.cursor = rows.v[rows.n - 1].id;
		sl_docs_fini(&rows);
	}
	return SL_OK;
}

static int by_id(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	return (x->c.id > y->c.id) - (x->c.id < y->c.id);
}

/* Every production deployment created in [from, to), filtered. */
static enum sl_err gather_changes(struct ctx *x, struct sl_error *err)
{
	struct sl_h_names prod = {0};
	enum sl_err rc = sl_h_production_envs(x->tx, &prod, err);
	int named = !x->env;

	for (size_t i = 0; rc == SL_OK && i < prod.n; i++) {
		struct sl_filter f = {0};

		if (x->env && strcmp(x->env, prod.v[i]))
			continue;
		named = 1;
		f.environment = prod.v[i];
		f.service = x->service;
		f.since = x->from;
		f.until = x->to;
		f.limit = 500;
		for (;;) {
			struct sl_docs rows = {0};

			rc = sl_store_deployment_list(x->tx, &f, &rows, err);
			for (size_t j = 0; rc == SL_OK && j < rows.n; j++) {
				json_t *d = keep(x, sl_http_doc(rows.v[j].doc));

				rc = gather_one(x, d, err);
			}
			if (rc || rows.n < (size_t)f.limit) {
				sl_docs_fini(&rows);
				break;
			}
			f.cursor = rows.v[rows.n - 1].id;
			sl_docs_fini(&rows);
		}
	}
	if (rc == SL_OK && !named)
		rc = sl_error_set(err, SL_EINVAL, "environment",
				  "'%s' is not a production environment",
				  x->env);
	sl_h_names_fini(&prod);
	if (rc == SL_OK && x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), by_id);
	return rc;
}

/* ---- the reports as JSON ---- */

static json_t *head(struct ctx *x, enum kind k)
{
	return json_pack("{ss so so ss? ss? so}", "report", kind_names[k],
			 "from", time_or_null(x->from), "to",
			 time_or_null(x->to), "environment", x->env, "service",
			 x->service, "generated_at", sl_h_time(x->r->now));
}

static json_t *change_report(struct ctx *x)
{
	json_t *out = head(x, K_CHANGE), *items = json_array();

	for (size_t i = 0; i < x->n; i++)
		json_array_append(items, x->v[i].row);
	json_object_set_new(out, "tree_size",
			    json_integer((json_int_t)x->tree_size));
	json_object_set_new(out, "items", items);
	return out;
}

static json_t *exceptions_report(struct ctx *x)
{
	json_t *out = head(x, K_EXCEPTIONS), *items = json_array(), *sod;
	size_t found[SL_EXC__COUNT] = {0}, enforced[SL_EXC__COUNT] = {0};

	for (size_t i = 0; i < x->n; i++) {
		struct sl_exception ex[SL_EXC__COUNT];
		size_t n = sl_report_exceptions(&x->v[i].c, ex);
		const json_t *row = x->v[i].row;

		enforced[SL_EXC_SOD_APPROVER_DEPLOYED] +=
			x->v[i].c.sod_approver_may_not_deploy;
		enforced[SL_EXC_SOD_AUTHOR_DEPLOYED] +=
			x->v[i].c.sod_deployer_may_not_be_author;
		for (size_t j = 0; j < n; j++) {
			found[ex[j].kind]++;
			json_array_append_new(
				items,
				json_pack("{sO sO sO sO sO sO ss ss sO}",
					  "deployment_id",
					  json_object_get(row, "deployment_id"),
					  "service",
					  json_object_get(row, "service"),
					  "version",
					  json_object_get(row, "version"),
					  "environment",
					  json_object_get(row, "environment"),
					  "deployer",
					  json_object_get(row, "deployer"),
					  "started_at",
					  json_object_get(row, "started_at"),
					  "kind", sl_exception_name(ex[j].kind),
					  "detail", ex[j].detail, "gate",
					  json_object_get(row, "gate")));
		}
	}
	/* The segregation checks are listed with their counts even when
	 * they find nothing: zero findings over N changes is the proof. */
	sod = json_array();
	for (int k = 0; k < SL_EXC__COUNT; k++)
		if (sl_exception_is_sod((enum sl_exception_kind)k))
			json_array_append_new(
				sod,
				json_pack("{ss sI sI sI}", "check",
					  sl_exception_name(
						  (enum sl_exception_kind)k),
					  "changes_checked", (json_int_t)x->n,
					  "policy_enforced",
					  (json_int_t)enforced[k], "findings",
					  (json_int_t)found[k]));
	json_object_set_new(out, "changes_checked",
			    json_integer((json_int_t)x->n));
	json_object_set_new(out, "items", items);
	json_object_set_new(out, "segregation", sod);
	return out;
}

static json_t *controls_report(struct ctx *x, struct sl_error *err)
{
	json_error_t je;
	json_t *map = json_loads(sl_controls_json, 0, &je), *c, *out, *list;
	size_t i;

	if (!map) {
		sl_error_set(err, SL_EINTERNAL, NULL,
			     "the control mapping does not parse: %s", je.text);
		return NULL;
	}
	out = head(x, K_CONTROLS);
	list = json_array();
	json_object_set(out, "mapping_version",
			json_object_get(map, "version"));
	json_object_set_new(out, "changes", json_integer((json_int_t)x->n));
	json_array_foreach(json_object_get(map, "controls"), i, c)
	{
		json_t *evs = json_array(), *gaps = json_array(), *e;
		size_t j;

		json_array_foreach(json_object_get(c, "evidence"), j, e)
		{
			enum sl_evidence ev;
			json_t *without = json_array();
			size_t with = 0;

			if (sl_evidence_parse(json_string_value(e), &ev)) {
				json_decref(without);
				continue;
			}
			for (size_t k = 0; k < x->n; k++) {
				if (sl_report_has_evidence(&x->v[k].c, ev))
					with++;
				else
					json_array_append_new(
						without,
						json_integer(x->v[k].c.id));
			}
			json_array_append_new(
				evs, json_pack("{sO sO sI sI}", "evidence", e,
					       "description",
					       json_object_get(
						       json_object_get(
							       map, "evidence"),
						       json_string_value(e)),
					       "changes_with", (json_int_t)with,
					       "changes_without",
					       (json_int_t)json_array_size(
						       without)));
			if (json_array_size(without))
				json_array_append_new(
					gaps,
					json_pack("{sO so}", "evidence", e,
						  "deployments", without));
			else
				json_decref(without);
		}
		json_array_append_new(
			list,
			json_pack("{sO sO sO ss so so}", "id",
				  json_object_get(c, "id"), "framework",
				  json_object_get(c, "framework"), "title",
				  json_object_get(c, "title"), "status",
				  !x->n			  ? "no_changes"
				  : json_array_size(gaps) ? "gap"
							  : "evidenced",
				  "evidence", evs, "gaps", gaps));
	}
	json_object_set_new(out, "controls", list);
	json_decref(map);
	return out;
}

static json_t *flags_json(unsigned f)
{
	json_t *a = json_array();

	if (f & SL_ACCESS_EXPIRED)
		json_array_append_new(a, json_string("expired"));
	if (f & SL_ACCESS_UNUSED)
		json_array_append_new(a, json_string("unused_90_days"));
	if (f & SL_ACCESS_REVOKED)
		json_array_append_new(a, json_string("revoked"));
	return a;
}

static json_t *access_report(struct ctx *x, struct sl_error *err)
{
	struct sl_tokens toks = {0};
	struct sl_docs grants = {0};
	struct sl_scope_lists all = {0};
	json_t *out, *items, *used = json_object();
	int64_t now = x->r->now;

	if (sl_store_token_list(x->tx, &toks, err) ||
	    sl_store_grant_list(x->tx, &all, &grants, err)) {
		sl_tokens_fini(&toks);
		sl_docs_fini(&grants);
		json_decref(used);
		return NULL;
	}
	out = head(x, K_ACCESS);
	items = json_array();
	for (size_t i = 0; i < toks.n; i++) {
		const struct sl_token_row *t = &toks.v[i];
		char idb[24];

		json_object_set_new(used, sl_h_id(t->id, idb, sizeof(idb)),
				    json_integer(t->last_used_at));
		json_array_append_new(
			items,
			json_pack(
				"{ss sI ss? ss? so ss? so so so so so}", "kind",
				"token", "id", (json_int_t)t->id, "holder",
				t->name, "role", t->role, "scope",
				t->scope ? sl_http_doc(t->scope) : json_null(),
				"granted_by", t->created_by, "granted_at",
				time_or_null(t->created_at), "expires_at",
				time_or_null(t->expires_at), "last_used_at",
				time_or_null(t->last_used_at), "revoked_at",
				time_or_null(t->revoked_at), "flags",
				flags_json(sl_access_flags(
					t->created_at, t->expires_at,
					t->last_used_at, t->revoked_at, now))));
	}
	for (size_t i = 0; i < grants.n; i++) {
		json_t *g =
			grants.v[i].doc ? sl_http_doc(grants.v[i].doc) : NULL;
		char idb[24];
		int64_t last;

		if (!g)
			continue;
		last = json_integer_value(json_object_get(
			used, sl_h_id(json_integer_value(
					      json_object_get(g, "token_id")),
				      idb, sizeof(idb))));
		json_array_append_new(
			items,
			json_pack(
				"{ss sO sO sO s{sO} sO sO sO so so so}", "kind",
				"grant", "id", json_object_get(g, "id"),
				"holder", json_object_get(g, "token"), "role",
				json_object_get(g, "role"), "scope",
				"environments",
				json_object_get(g, "environment"), "granted_by",
				json_object_get(g, "granted_by"), "granted_at",
				json_object_get(g, "created_at"), "expires_at",
				json_object_get(g, "expires_at"),
				"last_used_at", time_or_null(last),
				"revoked_at", json_null(), "flags",
				flags_json(sl_access_flags(
					sl_h_doc_time(g, "created_at"),
					sl_h_doc_time(g, "expires_at"), last, 0,
					now))));
		json_decref(g);
	}
	json_object_set_new(out, "items", items);
	sl_tokens_fini(&toks);
	sl_docs_fini(&grants);
	json_decref(used);
	return out;
}

/* ---- CSV and HTML ---- */
#include <stdarg.h>

/* Appends printf-style text to b. */
__attribute__((format(printf, 2, 3))) static void bprintf(struct sl_buf *b,
							  const char *fmt, ...)
{
	char small[256], *big = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		sl_buf_add(b, small, (size_t)n);
		return;
	}
	big = sl_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sl_buf_add(b, big, (size_t)n);
	free(big);
}

/* The buffer's string, taken (free it); "" when nothing was added. */
static char *btake(struct sl_buf *b)
{
	char *s = b->s ? b->s : sl_xstrdup("");

	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

/* The columns of each report's CSV and HTML table: a key of an item, a
 * JSON path ("a.b") into it, or a list joined by "; ". */
static const char *const cols[K__COUNT][20] = {
	[K_CHANGE] = {"deployment_id", "service", "version", "environment",
		      "status", "deployer", "started_at", "gate", "approvers",
		      "change_request.key", "change_request.class",
		      "change_request.state", "checklist", "verification",
		      "incidents", "audit_seqs"},
	[K_EXCEPTIONS] = {"deployment_id", "service", "version", "environment",
			  "deployer", "started_at", "gate", "kind", "detail"},
	[K_CONTROLS] = {"id", "framework", "title", "status", "evidence",
			"gaps"},
	[K_ACCESS] = {"kind", "id", "holder", "role", "scope", "granted_by",
		      "granted_at", "expires_at", "last_used_at", "revoked_at",
		      "flags"},
};

/* The text of one cell, malloc'ed. */
static char *cell(const json_t *item, const char *col)
{
	struct sl_buf b = {0};
	const json_t *v;
	char key[64];
	const char *dot = strchr(col, '.');
	size_t i;
	json_t *e;

	if (strcmp(col, "approvers") == 0) {
		json_array_foreach(json_object_get(item, "approvals"), i, e)
			bprintf(&b, "%s%s (%s, %s)", i ? "; " : "",
				json_string_value(
					json_object_get(e, "approver")),
				json_string_value(json_object_get(e, "group"))
					?: "-",
				json_string_value(
					json_object_get(e, "decision")));
		return btake(&b);
	}
	if (strcmp(col, "checklist") == 0) {
		json_array_foreach(json_object_get(item, "checklist"), i, e)
			bprintf(&b, "%s%s: %s", i ? "; " : "",
				json_string_value(json_object_get(e, "item")),
				json_string_value(
					json_object_get(e, "evidence"))
					?: "-");
		return btake(&b);
	}
	if (strcmp(col, "audit_seqs") == 0) {
		json_array_foreach(json_object_get(item, "audit"), i, e)
			bprintf(&b, "%s%lld", i ? " " : "",
				(long long)json_integer_value(
					json_object_get(e, "seq")));
		return btake(&b);
	}
	if (strcmp(col, "evidence") == 0 || strcmp(col, "gaps") == 0) {
		json_array_foreach(json_object_get(item, col), i, e)
		{
			const json_t *d = json_object_get(e, "deployments");

			bprintf(&b, "%s%s", i ? "; " : "",
				json_string_value(
					json_object_get(e, "evidence")));
			if (d) {
				size_t j;
				json_t *id;

				bprintf(&b, ":");
				json_array_foreach(d, j, id) bprintf(
					&b, " %lld",
					(long long)json_integer_value(id));
			} else
				bprintf(&b, " %lld/%lld",
					(long long)json_integer_value(
						json_object_get(
							e, "changes_with")),
					(long long)(json_integer_value(
							    json_object_get(
								    e,
								    "changes_"
								    "with")) +
						    json_integer_value(
							    json_object_get(
								    e, "changes"
								       "_withou"
								       "t"))));
		}
		return btake(&b);
	}
	if (dot && (size_t)(dot - col) < sizeof(key)) {
		memcpy(key, col, (size_t)(dot - col));
		key[dot - col] = 0;
		v = json_object_get(json_object_get(item, key), dot + 1);
	} else
		v = json_object_get(item, col);
	if (json_is_string(v))
		bprintf(&b, "%s", json_string_value(v));
	else if (json_is_integer(v))
		bprintf(&b, "%lld", (long long)json_integer_value(v));
	else if (json_is_array(v)) {
		json_array_foreach(v, i, e) if (json_is_string(e)) bprintf(
			&b, "%s%s", i ? "; " : "", json_string_value(e));
	} else if (json_is_object(v)) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);

		bprintf(&b, "%s", s);
		free(s);
	}
	return btake(&b);
}

static void csv_field(struct sl_buf *b, const char *s)
{
	/* A cell a spreadsheet would run as a formula is quoted with a
	 * leading apostrophe (OWASP CSV injection). */
	int formula = strchr("=+-@\t\r", s[0]) && s[0];

	bprintf(b, "\"%s", formula ? "'" : "");
	for (; *s; s++)
		bprintf(b, *s == '"' ? "\"\"" : "%c", *s);
	bprintf(b, "\"");
}

static const char *items_key(enum kind k)
{
	return k == K_CONTROLS ? "controls" : "items";
}

static char *render_csv(enum kind k, const json_t *rep)
{
	struct sl_buf b = {0};
	size_t i;
	json_t *it;

	for (int c = 0; cols[k][c]; c++) {
		bprintf(&b, "%s", c ? "," : "");
		csv_field(&b, cols[k][c]);
	}
	bprintf(&b, "\r\n");
	json_array_foreach(json_object_get(rep, items_key(k)), i, it)
	{
		for (int c = 0; cols[k][c]; c++) {
			char *s = cell(it, cols[k][c]);

			bprintf(&b, "%s", c ? "," : "");
			csv_field(&b, s);
			free(s);
		}
		bprintf(&b, "\r\n");
	}
	return btake(&b);
}

static void html_text(struct sl_buf *b, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '<':
			bprintf(b, "&lt;");
			break;
		case '>':
			bprintf(b, "&gt;");
			break;
		case '&':
			bprintf(b, "&amp;");
			break;
		case '"':
			bprintf(b, "&quot;");
			break;
		default:
			bprintf(b, "%c", *s);
		}
}

/* The dashboard's stylesheet ("/assets/app-<hash>.css"), or NULL in a
 * build without the dashboard. */
static const char *stylesheet(void)
{
	for (const struct sl_asset *a = sl_assets; a->path; a++) {
		size_t n = strlen(a->path);

		if (strncmp(a->path, "/assets/", 8) == 0 && n > 4 &&
		    strcmp(a->path + n - 4, ".css") == 0)
			return a->path;
	}
	return NULL;
}

/* A standalone page: semantic tables and no script. Its only style is the
 * dashboard's own stylesheet, linked from this origin (the strict CSP
 * holds), whose print rules (reports.css) lay the tables out on paper;
 * saved apart from the server it still reads as plain tables. */
static char *render_html(struct ctx *x, enum kind k, const json_t *rep)
{
	struct sl_buf b = {0};
	size_t i;
	json_t *it, *s;
	const char *from = json_string_value(json_object_get(rep, "from"));
	const char *to = json_string_value(json_object_get(rep, "to"));

	bprintf(&b, "<!doctype html>\n<html lang=\"en\"><head>"
		    "<meta charset=\"utf-8\"><title>shiplog ");
	html_text(&b, kind_names[k]);
	bprintf(&b, " report</title>");
	if (stylesheet()) {
		bprintf(&b, "<link rel=\"stylesheet\" href=\"");
		html_text(&b, stylesheet());
		bprintf(&b, "\">");
	}
	bprintf(&b, "</head><body><main class=\"report\"><h1>");
	html_text(&b, kind_names[k]);
	bprintf(&b, " report</h1><p>Period: ");
	html_text(&b, from ? from : "-");
	bprintf(&b, " to ");
	html_text(&b, to ? to : "-");
	bprintf(&b, "; environment: ");
	html_text(&b, x->env ? x->env : "every production environment");
	bprintf(&b, "; service: ");
	html_text(&b, x->service ? x->service : "every service");
	bprintf(&b, ". Generated ");
	html_text(&b, json_string_value(json_object_get(rep, "generated_at")));
	bprintf(&b, ".</p>");
	if (k == K_EXCEPTIONS) {
		bprintf(&b, "<h2>Segregation of duties</h2>"
			    "<table class=\"report-table\">"
			    "<thead><tr><th scope=\"col\">check</th>"
			    "<th scope=\"col\">changes checked</th>"
			    "<th scope=\"col\">findings</th></tr>"
			    "</thead><tbody>");
		json_array_foreach(json_object_get(rep, "segregation"), i, s)
		{
			bprintf(&b, "<tr><td>");
			html_text(&b, json_string_value(
					      json_object_get(s, "check")));
			bprintf(&b, "</td><td>%lld</td><td>%lld</td></tr>",
				(long long)json_integer_value(
					json_object_get(s, "changes_checked")),
				(long long)json_integer_value(
					json_object_get(s, "findings")));
		}
		bprintf(&b, "</tbody></table><h2>Exceptions</h2>");
	}
	bprintf(&b, "<table class=\"report-table\"><thead><tr>");
	for (int c = 0; cols[k][c]; c++) {
		bprintf(&b, "<th scope=\"col\">");
		html_text(&b, cols[k][c]);
		bprintf(&b, "</th>");
	}
	bprintf(&b, "</tr></thead><tbody>");
	json_array_foreach(json_object_get(rep, items_key(k)), i, it)
	{
		bprintf(&b, "<tr>");
		for (int c = 0; cols[k][c]; c++) {
			char *t = cell(it, cols[k][c]);

			bprintf(&b, "<td>");
			html_text(&b, t);
			bprintf(&b, "</td>");
			free(t);
		}
		bprintf(&b, "</tr>");
	}
	bprintf(&b, "</tbody></table></main></body></html>\n");
	return btake(&b);
}

/* ---- the route ---- */

static int parse_word(const char *s, const char *const *names, int n)
{
	for (int i = 0; s && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* 1 when the token may read a report: a report reads the facts of every
 * environment and service it covers, the audit log's entries and every
 * token, so a token scoped to some is refused (403), as for the log. */
static int unscoped(struct sl_req *r)
{
	static const char *const keys[] = {"environments", "services", "teams"};
	json_t *scope = r->actor.scope ? sl_http_doc(r->actor.scope) : NULL;
	int limited = 0;

	for (size_t i = 0; scope && i < 3; i++)
		if (json_array_size(json_object_get(scope, keys[i])))
			limited = 1;
	json_decref(scope);
	if (limited)
		sl_http_failf(r, SL_EFORBIDDEN, "scope",
			      "a report reads the facts of every environment "
			      "and service and the audit log; it takes a token "
			      "without an environment, service or team scope");
	return !limited;
}

void sl_h_report(struct sl_req *r)
{
	struct ctx x = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *format = NULL;
	int k = parse_word(r->params[0], kind_names, K__COUNT), f = F_JSON;
	json_t *rep = NULL;
	enum sl_err rc;

	if (k < 0) {
		sl_http_failf(r, SL_ENOTFOUND, "report",
			      "no report '%s': change, exceptions, controls "
			      "or access",
			      r->params[0]);
		return;
	}
	if (!unscoped(r))
		return;
	if (!sl_h_time_param(r, "from", &x.from) ||
	    !sl_h_time_param(r, "to", &x.to) ||
	    !sl_h_text_param(r, "environment", &x.env) ||
	    !sl_h_text_param(r, "service", &x.service) ||
	    !sl_h_text_param(r, "format", &format))
		return;
	if (format && (f = parse_word(format, fmt_names, F__COUNT)) < 0) {
		sl_http_failf(r, SL_EMALFORMED, "format",
			      "format must be json, csv or html, not '%s'",
			      format);
		return;
	}
	if (k != K_ACCESS && (!x.from || !x.to)) {
		sl_http_failf(r, SL_EMALFORMED, x.from ? "to" : "from",
			      "a %s report needs a period: from and to "
			      "(RFC 3339)",
			      kind_names[k]);
		return;
	}
	if (x.from && x.to && x.to <= x.from) {
		sl_http_failf(r, SL_EMALFORMED, "to",
			      "to must be later than from");
		return;
	}
	x.r = r;
	x.tx = &tx;
	x.keep = json_array();
	x.windows = json_array();
	x.reviews = json_object();
	x.incidents = json_object();
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc)
		goto fail;
	if (k != K_ACCESS) {
		/* A period reaching before an archive's cut-off would leave
		 * the archived changes out: refused, never a short report. */
		int64_t mark = 0;
		char when[SL_TIME_BUF];

		rc = sl_store_archive_watermark(&tx, &mark, &err);
		if (rc == SL_OK && mark > x.from)
			rc = sl_error_set(
				&err, SL_ECONFLICT, "from",
				"records before %s are archived: restore the "
				"archive (shiplog archive restore) or start "
				"the "
				"period at or after it",
				sl_time_format(mark, when));
		if (rc) {
			sl_store_abort(&tx);
			goto fail;
		}
	}
	if (k == K_ACCESS)
		rep = access_report(&x, &err);
	else {
		rc = gather_shared(&x, &err);
		if (rc == SL_OK)
			rc = gather_changes(&x, &err);
		if (rc == SL_OK)
			rep = k == K_CHANGE	  ? change_report(&x)
			      : k == K_EXCEPTIONS ? exceptions_report(&x)
						  : controls_report(&x, &err);
	}
	sl_store_abort(&tx);
	if (!rep)
		goto fail;
	if (f == F_JSON)
		sl_http_reply_json(r, 200, rep);
	else {
		char *body = f == F_CSV ? render_csv((enum kind)k, rep)
					: render_html(&x, (enum kind)k, rep);

		sl_http_reply_bytes(r, 200, body, strlen(body),
				    f == F_CSV ? "text/csv; charset=utf-8"
					       : "text/html; charset=utf-8");
		json_decref(rep);
	}
	goto out;
fail:
	if (!err.code)
		sl_error_set(&err, SL_EUNAVAIL, NULL,
			     "the report's facts could not be read");
	sl_http_fail(r, &err);
out:
	for (size_t i = 0; i < x.n; i++) {
		free(x.v[i].ap);
		json_decref(x.v[i].row);
	}
	free(x.v);
	json_decref(x.keep);
	json_decref(x.windows);
	json_decref(x.reviews);
	json_decref(x.incidents);
}
