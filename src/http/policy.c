/* policy.c - an environment's policy as versioned data: which approvals
 * it needs, its segregation rules, checklists, change-request rule,
 * windows mode, soak time, concurrency and who may override. Every PUT
 * keeps a new version; the gates read the latest. */
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "core/state.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/governance.h"
#include "http/handlers.h"

static const struct sl_field group_fields[] = {
	{"group", SL_FT_STRING, SL_F_REQUIRED, 1, 63, sl_valid_slug, NULL, NULL,
	 "approval group"},
	{"count", SL_FT_INT, SL_F_REQUIRED, 1, 20, NULL, NULL, NULL,
	 "distinct approvers needed from the group"},
	{0},
};

static const struct sl_field sod_fields[] = {
	{"author_may_not_approve", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL},
	{"approver_may_not_deploy", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL,
	 NULL},
	{"deployer_may_not_be_author", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL,
	 NULL},
	{0},
};

static const struct sl_field checklist_fields[] = {
	{"release_types", SL_FT_STRINGS, 0, 1, 16, NULL, NULL,
	 sl_release_type_names, "the types it applies to; empty = all"},
	{"items", SL_FT_STRINGS, SL_F_REQUIRED, 1, 200, NULL, NULL, NULL, NULL},
	{0},
};

static const struct sl_field cr_fields[] = {
	{"required", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL, NULL},
	{"standard_types", SL_FT_STRINGS, 0, 1, 16, NULL, NULL,
	 sl_release_type_names, "release types a standard change pre-approves"},
	{0},
};

const struct sl_field sl_policy_fields[] = {
	{"approvals", SL_FT_OBJECTS, 0, 0, 10, NULL, group_fields, NULL,
	 "all of these groups, any member within each"},
	{"approval_valid_hours", SL_FT_INT, 0, 0, 8760, NULL, NULL, NULL,
	 "0 = approvals do not expire"},
	{"segregation", SL_FT_OBJECT, 0, 0, 0, NULL, sod_fields, NULL, NULL},
	{"checklists", SL_FT_OBJECTS, 0, 0, 20, NULL, checklist_fields, NULL,
	 NULL},
	{"change_request", SL_FT_OBJECT, 0, 0, 0, NULL, cr_fields, NULL, NULL},
	{"windows_mode", SL_FT_STRING, 0, 1, 32, NULL, NULL,
	 sl_windows_mode_names, NULL},
	{"soak_minutes", SL_FT_INT, 0, 0, 525600, NULL, NULL, NULL,
	 "time in the environment below before promotion"},
	{"promotion", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL,
	 "require success in the environment of the next lower rank"},
	{"max_concurrent", SL_FT_INT, SL_F_NULLABLE, 0, 10000, NULL, NULL, NULL,
	 "overrides the environment's; 0 = unlimited"},
	{"override_roles", SL_FT_STRINGS, 0, 1, 32, NULL, NULL, sl_role_names,
	 "roles that may override gates for emergency releases"},
	{0},
};

json_t *sl_policy_defaults(void)
{
	return json_pack("{s[] si s{sb sb sb} s[] s{sb s[]} ss si sb sn "
			 "s[ss]}",
			 "approvals", "approval_valid_hours", 0, "segregation",
			 "author_may_not_approve", 0, "approver_may_not_deploy",
			 0, "deployer_may_not_be_author", 0, "checklists",
			 "change_request", "required", 0, "standard_types",
			 "windows_mode", sl_windows_mode_name(SL_WMODE_NORMAL),
			 "soak_minutes", 0, "promotion", 0, "max_concurrent",
			 "override_roles", sl_role_name(SL_ROLE_ADMIN),
			 sl_role_name(SL_ROLE_RELEASE_MANAGER));
}

json_t *sl_policy_load(struct sl_tx *tx, const char *env, int64_t *version,
		       struct sl_error *err)
{
	char *doc = NULL;
	int64_t v = 0;
	json_t *p = sl_policy_defaults(), *stored, *sod;
	enum sl_err rc = sl_store_policy_get(tx, env, 0, &doc, &v, err);

	if (version)
		*version = 0;
	if (rc == SL_ENOTFOUND)
		return p;
	if (rc) {
		json_decref(p);
		return NULL;
	}
	{
		json_t *d = sl_http_doc(doc);

		stored = json_object_get(d, "policy");
		sod = json_deep_copy(json_object_get(p, "segregation"));
		if (json_is_object(stored))
			json_object_update(p, stored);
		/* Rules left out of a stored segregation stay off. */
		json_object_update_missing(json_object_get(p, "segregation"),
					   sod);
		json_decref(sod);
		json_decref(d);
	}
	if (version)
		*version = v;
	free(doc);
	return p;
}

/* ---- the policy as core's values ---- */

/* The release types named in a JSON array, as a mask; names this build
 * does not know (the schema lets none in) are left out. */
static unsigned type_mask(const json_t *names)
{
	enum sl_release_type t;
	unsigned mask = 0;
	json_t *v;
	size_t i;

	json_array_foreach(names, i, v) if (sl_release_type_parse(
						    json_string_value(v), &t) ==
					    0) mask |= SL_TYPE_BIT(t);
	return mask;
}

int sl_policy_rule(const json_t *policy, const char *rule)
{
	return json_is_true(
		json_object_get(json_object_get(policy, "segregation"), rule));
}

struct sl_approval_need *sl_policy_needs(const json_t *policy, size_t *n)
{
	const json_t *groups = json_object_get(policy, "approvals");
	struct sl_approval_need *needs;
	json_t *g;
	size_t i;

	*n = json_array_size(groups);
	needs = sl_xcalloc(*n ? *n : 1, sizeof(*needs));
	json_array_foreach(groups, i, g)
	{
		needs[i].group = json_string_value(json_object_get(g, "group"));
		needs[i].count =
			(int)json_integer_value(json_object_get(g, "count"));
	}
	return needs;
}

struct sl_checklist *sl_policy_checklists(const json_t *policy, size_t *n)
{
	const json_t *lists = json_object_get(policy, "checklists");
	struct sl_checklist *out;
	const char **items;
	size_t total = 0, i, j;
	json_t *l, *item;

	*n = json_array_size(lists);
	json_array_foreach(lists, i, l) total +=
		json_array_size(json_object_get(l, "items"));
	/* The lists, then every item's name, in one block. */
	out = sl_xcalloc(1, (*n ? *n : 1) * sizeof(*out) +
				    (total ? total : 1) * sizeof(*items));
	items = (const char **)(out + (*n ? *n : 1));
	json_array_foreach(lists, i, l)
	{
		out[i].types = type_mask(json_object_get(l, "release_types"));
		out[i].items = items;
		json_array_foreach(json_object_get(l, "items"), j, item)
			items[out[i].nitems++] = json_string_value(item);
		items += out[i].nitems;
	}
	return out;
}

unsigned sl_policy_override_roles(const json_t *policy)
{
	enum sl_role role;
	unsigned mask = 0;
	json_t *v;
	size_t i;

	json_array_foreach(json_object_get(policy, "override_roles"), i, v)
	{
		if (sl_role_parse(json_string_value(v), &role) == 0)
			mask |= SL_ROLE_BIT(role);
	}
	return mask;
}

unsigned sl_policy_standard_types(const json_t *policy)
{
	return type_mask(json_object_get(
		json_object_get(policy, "change_request"), "standard_types"));
}

/* The environment named in the path; replies 404 and returns 0 when it
 * does not exist. */
static int env_exists(struct sl_req *r, struct sl_tx *tx)
{
	char *doc = NULL;
	int64_t rev;
	struct sl_error err = {0};
	enum sl_err rc =
		sl_store_environment_get(tx, r->params[0], &doc, &rev, &err);

	free(doc);
	if (rc == SL_OK)
		return 1;
	if (rc != SL_ENOTFOUND)
		sl_http_fail(r, &err);
	else
		sl_http_failf(r, SL_ENOTFOUND, NULL,
			      "environment '%s' not found", r->params[0]);
	return 0;
}

void sl_h_policy_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *doc = NULL;
	int64_t want = 0, got = 0;
	enum sl_err rc;

	if (!sl_h_int_param(r, "version", &want))
		return;
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!env_exists(r, &tx)) {
		sl_store_abort(&tx);
		return;
	}
	rc = sl_store_policy_get(&tx, r->params[0], want, &doc, &got, &err);
	sl_store_abort(&tx);
	if (rc == SL_ENOTFOUND && !want) {
		/* No policy yet: the defaults, as version 0. */
		json_t *p = sl_policy_defaults();

		sl_http_reply_json(r, 200,
				   json_pack("{ss si so sn sn}", "environment",
					     r->params[0], "version", 0,
					     "policy", p, "created_at",
					     "created_by"));
		return;
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "%s has no policy version %lld",
			      r->params[0], (long long)want);
	else if (rc)
		sl_http_fail(r, &err);
	else
		sl_h_reply_doc(r, 200, doc, got);
}

void sl_h_policy_versions(struct sl_req *r)
{
	struct sl_policies rows = {0};
	struct sl_docs docs = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc;

	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!env_exists(r, &tx)) {
		sl_store_abort(&tx);
		return;
	}
	rc = sl_store_policy_versions(&tx, r->params[0], &rows, &err);
	sl_store_abort(&tx);
	if (rc)
		sl_http_fail(r, &err);
	else {
		/* A view of the versions' documents, which stay theirs. */
		docs.n = rows.n;
		docs.v = sl_xcalloc(rows.n + 1, sizeof(*docs.v));
		for (size_t i = 0; i < rows.n; i++)
			docs.v[i].doc = rows.v[i].doc;
		sl_http_reply(r, 200, sl_h_list(&docs, NULL));
		free(docs.v);
	}
	sl_policies_fini(&rows);
}

void sl_h_policy_put(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *text = NULL, vb[24];
	int64_t version = 0, old = 0;
	json_t *doc, *prev;
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_POLICY_WRITE, r->params[0], NULL))
		return;
	if (sl_store_begin(sl_http_store(r), 1, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!env_exists(r, &tx)) {
		sl_store_abort(&tx);
		return;
	}
	rc = sl_store_policy_get(&tx, r->params[0], 0, &before, &old, &err);
	if (rc == SL_ENOTFOUND)
		rc = SL_OK;
	if (rc == SL_OK && before && !sl_http_if_match(r, old)) {
		sl_store_abort(&tx);
		free(before);
		return;
	}
	/* The stored policy is exactly what was sent, with the defaults
	 * filled in, so every version reads complete. */
	prev = sl_policy_defaults();
	json_object_update(prev, r->json);
	if (json_object_get(r->json, "segregation")) {
		json_t *defaults = sl_policy_defaults();
		json_t *sod =
			json_deep_copy(json_object_get(prev, "segregation"));

		/* A copy, so the request's own object is left alone. */
		json_object_update_missing(
			sod, json_object_get(defaults, "segregation"));
		json_object_set_new(prev, "segregation", sod);
		json_decref(defaults);
	}
	/* Insert first to learn the version, then write the document. */
	if (rc == SL_OK)
		rc = sl_store_policy_put(&tx, r->params[0], "{}", r->actor.name,
					 r->now, &version, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
		json_decref(prev);
		free(before);
		return;
	}
	doc = json_pack("{ss sI so so ss}", "environment", r->params[0],
			"version", (json_int_t)version, "policy", prev,
			"created_at", sl_h_time(r->now), "created_by",
			r->actor.name);
	text = sl_http_canon(doc);
	rc = sl_store_policy_set_doc(&tx, r->params[0], version, text, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		snprintf(vb, sizeof(vb), "%s", r->params[0]);
		sl_http_etag(r, version);
		sl_h_finish(r, &tx, "policy.update", "policy", vb, before, 200,
			    text);
	}
	json_decref(doc);
	free(text);
	free(before);
}
