/* catalog.c - services and environments: objects named by a slug.
 *
 * Both kinds share one set of handlers driven by a descriptor (kind name,
 * field table, defaults, store calls), so create, read, update and delete
 * behave the same way for each. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/naming.h"
#include "core/perm.h"
#include "core/rules.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/handlers.h"

static const char *const no_choices[] = {NULL};

const struct sl_field sl_service_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL, "slug, unique"},
	{"owner", SL_FT_STRING, SL_F_REQUIRED, 1, 128, NULL, NULL, NULL,
	 "owning team"},
	{"tier", SL_FT_INT, 0, 1, 4, NULL, NULL, NULL,
	 "1 = most critical ... 4"},
	{"repo", SL_FT_STRING, SL_F_NULLABLE, 1, 2048, sl_valid_url, NULL, NULL,
	 "repository URL"},
	{"tags", SL_FT_TAGS, 0, 0, 32, NULL, NULL, NULL, "key=value labels"},
	{"naming_template", SL_FT_STRING, 0, 1, 128, sl_h_check_naming, NULL,
	 NULL, "release name template"},
	{"release_type_check", SL_FT_STRING, 0, 1, 16, NULL, NULL,
	 sl_type_check_mode_names,
	 "a release type that does not fit the version bump: refuse (the "
	 "default) or warn"},
	{0},
};

const struct sl_field sl_env_fields[] = {
	{"name", SL_FT_STRING, SL_F_REQUIRED | SL_F_IMMUTABLE, 1, 63,
	 sl_valid_slug, NULL, NULL, "slug, unique"},
	{"rank", SL_FT_INT, SL_F_REQUIRED, 0, 1000, NULL, NULL, NULL,
	 "promotion order"},
	{"protected", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL, "governed"},
	{"targets", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "regions, clusters or tenants"},
	{"timezone", SL_FT_STRING, 0, 1, 64, sl_valid_timezone_name, NULL, NULL,
	 "IANA time zone"},
	{"max_concurrent", SL_FT_INT, 0, 0, 10000, NULL, NULL, NULL,
	 "0 = unlimited"},
	{"stall_after_seconds", SL_FT_INT, SL_F_NULLABLE, 1, 2592000, NULL,
	 NULL, NULL,
	 "a deployment in progress this long without an event is stalled "
	 "(null: an hour)"},
	{"production", SL_FT_BOOL, SL_F_NULLABLE, 0, 0, NULL, NULL, NULL,
	 "counts as production in delivery metrics and change reports "
	 "(null: only when none is marked true and it has the highest rank "
	 "of those not marked false)"},
	{0},
};

struct kind {
	const char *name; /* "service" */
	int is_env;	  /* the name is an environment's, else a service's */
	json_t *(*defaults)(void);
	enum sl_err (*insert)(struct sl_tx *, const char *, int64_t,
			      const json_t *, const char *, struct sl_error *);
	enum sl_err (*get)(struct sl_tx *, const char *, char **, int64_t *,
			   struct sl_error *);
	enum sl_err (*update)(struct sl_tx *, const char *, int64_t, int64_t,
			      const json_t *, const char *, struct sl_error *);
	enum sl_err (*remove)(struct sl_tx *, const char *, struct sl_error *);
	/* fills *n with the objects that use it; deletion needs 0 */
	enum sl_err (*users)(struct sl_tx *, const char *, int64_t *,
			     struct sl_error *);
	const char *users_word;
};

static json_t *service_defaults(void)
{
	return json_pack("{si s{} sn ss ss}", "tier", 3, "tags", "repo",
			 "naming_template", SL_NAMING_DEFAULT,
			 "release_type_check",
			 sl_type_check_mode_name(SL_TCHECK_REFUSE));
}

static enum sl_err service_insert(struct sl_tx *tx, const char *name,
				  int64_t now, const json_t *doc,
				  const char *text, struct sl_error *err)
{
	size_t n;
	struct sl_tag *tags = sl_h_tags(json_object_get(doc, "tags"), &n);
	enum sl_err rc =
		sl_store_service_insert(tx, name, now, text, tags, n, err);

	free(tags);
	return rc;
}

static enum sl_err service_update(struct sl_tx *tx, const char *name,
				  int64_t rev, int64_t now, const json_t *doc,
				  const char *text, struct sl_error *err)
{
	size_t n;
	struct sl_tag *tags = sl_h_tags(json_object_get(doc, "tags"), &n);
	enum sl_err rc =
		sl_store_service_update(tx, name, rev, now, text, tags, n, err);

	free(tags);
	return rc;
}

static json_t *env_defaults(void)
{
	return json_pack("{sb s[] ss si}", "protected", 0, "targets",
			 "timezone", "UTC", "max_concurrent", 0);
}

static enum sl_err env_insert(struct sl_tx *tx, const char *name, int64_t now,
			      const json_t *doc, const char *text,
			      struct sl_error *err)
{
	return sl_store_environment_insert(
		tx, name, json_integer_value(json_object_get(doc, "rank")), now,
		text, err);
}

static enum sl_err env_update(struct sl_tx *tx, const char *name, int64_t rev,
			      int64_t now, const json_t *doc, const char *text,
			      struct sl_error *err)
{
	return sl_store_environment_update(
		tx, name, rev, json_integer_value(json_object_get(doc, "rank")),
		now, text, err);
}

static const struct kind service_kind = {
	"service",
	0,
	service_defaults,
	service_insert,
	sl_store_service_get,
	service_update,
	sl_store_service_delete,
	sl_store_release_count,
	"releases",
};

static const struct kind env_kind = {
	"environment",
	1,
	env_defaults,
	env_insert,
	sl_store_environment_get,
	env_update,
	sl_store_environment_delete,
	sl_store_deployment_count_env,
	"deployments",
};

/* Inserts a k from in, created at r->now; *text its document. */
static enum sl_err insert(struct sl_req *r, struct sl_tx *tx,
			  const struct kind *k, const json_t *in, char **text,
			  struct sl_error *err)
{
	json_t *doc = k->defaults();
	enum sl_err rc;

	sl_h_merge(doc, in);
	json_object_set_new(doc, "revision", json_integer(1));
	json_object_set_new(doc, "created_at", sl_h_time(r->now));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	*text = sl_http_canon(doc);
	rc = k->insert(tx, json_string_value(json_object_get(in, "name")),
		       r->now, doc, *text, err);
	json_decref(doc);
	if (rc) {
		free(*text);
		*text = NULL;
	}
	return rc;
}

static void create(struct sl_req *r, const struct kind *k)
{
	const char *name = json_string_value(json_object_get(r->json, "name"));
	struct sl_error err = {0};
	struct sl_tx tx;
	char *text = NULL, action[48];
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_CATALOG_WRITE, k->is_env ? name : NULL,
			     k->is_env ? NULL : name))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = insert(r, &tx, k, r->json, &text, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		snprintf(action, sizeof(action), "%s.create", k->name);
		sl_http_etag(r, 1);
		sl_h_finish(r, &tx, action, k->name, name, NULL, 201, text);
	}
	free(text);
}

static void get(struct sl_req *r, const struct kind *k)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *doc = NULL;
	int64_t rev = 0;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK) {
		rc = k->get(&tx, r->params[0], &doc, &rev, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		sl_http_failf(r, rc, NULL, "%s '%s' not found", k->name,
			      r->params[0]);
	else if (rc)
		sl_http_fail(r, &err);
	else if (!sl_http_require(r, SL_ACT_READ,
				  k->is_env ? r->params[0] : NULL,
				  k->is_env ? NULL : r->params[0]))
		free(doc);
	else
		sl_h_reply_doc(r, 200, doc, rev);
}

static void update(struct sl_req *r, const struct kind *k)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, *after = NULL, action[48];
	int64_t rev = 0;
	json_t *doc = NULL;
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_CATALOG_WRITE,
			     k->is_env ? r->params[0] : NULL,
			     k->is_env ? NULL : r->params[0]))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = k->get(&tx, r->params[0], &before, &rev, &err);
	if (rc) {
		sl_store_abort(&tx);
		if (rc == SL_ENOTFOUND)
			sl_http_failf(r, rc, NULL, "%s '%s' not found", k->name,
				      r->params[0]);
		else
			sl_http_fail(r, &err);
		return;
	}
	if (!sl_http_if_match(r, rev)) {
		sl_store_abort(&tx);
		free(before);
		return;
	}
	doc = sl_http_doc(before);
	sl_h_merge(doc, r->json);
	json_object_set_new(doc, "revision", json_integer(rev + 1));
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	after = sl_http_canon(doc);
	rc = k->update(&tx, r->params[0], rev, r->now, doc, after, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		snprintf(action, sizeof(action), "%s.update", k->name);
		sl_http_etag(r, rev + 1);
		sl_h_finish(r, &tx, action, k->name, r->params[0], before, 200,
			    after);
	}
	json_decref(doc);
	free(before);
	free(after);
}

static void delete (struct sl_req *r, const struct kind *k)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *before = NULL, action[48];
	int64_t rev = 0, users = 0;
	enum sl_err rc;

	if (!sl_http_require(r, SL_ACT_CATALOG_WRITE,
			     k->is_env ? r->params[0] : NULL,
			     k->is_env ? NULL : r->params[0]))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);

	if (rc == SL_OK)
		rc = k->get(&tx, r->params[0], &before, &rev, &err);
	if (rc == SL_OK && !sl_http_if_match(r, rev)) {
		sl_store_abort(&tx);
		free(before);
		return;
	}
	if (rc == SL_OK)
		rc = k->users(&tx, r->params[0], &users, &err);
	if (rc == SL_OK && users > 0)
		rc = sl_error_set(&err, SL_ECONFLICT, "name",
				  "%s '%s' is used by %lld %s and cannot be "
				  "deleted",
				  k->name, r->params[0], (long long)users,
				  k->users_word);
	if (rc == SL_OK)
		rc = k->remove(&tx, r->params[0], &err);
	if (rc) {
		sl_store_abort(&tx);
		if (rc == SL_ENOTFOUND)
			sl_http_failf(r, rc, NULL, "%s '%s' not found", k->name,
				      r->params[0]);
		else
			sl_http_fail(r, &err);
	} else {
		snprintf(action, sizeof(action), "%s.delete", k->name);
		sl_h_finish(r, &tx, action, k->name, r->params[0], before, 204,
			    NULL);
	}
	free(before);
}

void sl_h_service_create(struct sl_req *r)
{
	create(r, &service_kind);
}

void sl_h_service_get(struct sl_req *r)
{
	get(r, &service_kind);
}

void sl_h_service_update(struct sl_req *r)
{
	update(r, &service_kind);
}

void sl_h_service_delete(struct sl_req *r)
{
	delete (r, &service_kind);
}

void sl_h_env_create(struct sl_req *r)
{
	create(r, &env_kind);
}

void sl_h_env_get(struct sl_req *r)
{
	get(r, &env_kind);
}

void sl_h_env_update(struct sl_req *r)
{
	update(r, &env_kind);
}

void sl_h_env_delete(struct sl_req *r)
{
	delete (r, &env_kind);
}

void sl_h_service_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	char *tagbuf = NULL;
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) ||
	    !sl_h_text_param(r, "cursor", &f.cursor_name) ||
	    !sl_h_tag_param(r, &tagbuf, &f.tag_key, &f.tag_value))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_service_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK)
		rc = sl_h_scope_filter(r, &rows, NULL, "name", &err);
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(
			r, 200,
			sl_h_list(&rows, rows.n && rows.n == (size_t)f.limit
						 ? rows.v[rows.n - 1].name
						 : NULL));
	sl_docs_fini(&rows);
	free(tagbuf);
}

/* Environments are listed by rank, then name; a page's next_cursor is
 * its last row as "rank~name". */
void sl_h_env_list(struct sl_req *r)
{
	struct sl_filter f = {0};
	struct sl_docs rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	const char *cursor = NULL;
	char *name = NULL, next[96];
	enum sl_err rc;

	if (!sl_h_limit(r, &f.limit) || !sl_h_text_param(r, "cursor", &cursor))
		return;
	if (cursor) {
		const char *tilde = strchr(cursor, '~');

		name = tilde ? sl_xstrndup(cursor, (size_t)(tilde - cursor))
			     : NULL;
		if (!name || sl_decimal_parse(name, &f.cursor_rank) ||
		    !tilde[1]) {
			free(name);
			sl_http_failf(r, SL_EMALFORMED, "cursor",
				      "cursor must be the next_cursor of a "
				      "page before (rank~name)");
			return;
		}
		f.cursor_name = tilde + 1;
	}
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_environment_page(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK && rows.n && rows.n == (size_t)f.limit)
		snprintf(next, sizeof(next), "%lld~%s",
			 (long long)rows.v[rows.n - 1].rank,
			 rows.v[rows.n - 1].name);
	if (rc == SL_OK)
		rc = sl_h_scope_filter(r, &rows, "name", NULL, &err);
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply(
			r, 200,
			sl_h_list(&rows, rows.n && rows.n == (size_t)f.limit
						 ? next
						 : NULL));
	sl_docs_fini(&rows);
	free(name);
	(void)no_choices;
}

enum sl_err sl_h_catalog_insert(struct sl_req *r, struct sl_tx *tx, int is_env,
				const json_t *in, char **text,
				struct sl_error *err)
{
	return insert(r, tx, is_env ? &env_kind : &service_kind, in, text, err);
}

/* ---- which environments are production ---- */

void sl_h_names_fini(struct sl_h_names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->v[i]);
	free(n->v);
	n->v = NULL;
	n->n = 0;
}

enum sl_err sl_h_production_envs(struct sl_tx *tx, struct sl_h_names *out,
				 struct sl_error *err)
{
	struct sl_docs rows = {0};
	struct sl_env_prod *envs;
	int *pick;
	enum sl_err rc = sl_store_environment_list(tx, &rows, err);

	out->n = 0;
	out->v = NULL;
	if (rc)
		return rc;
	envs = sl_xcalloc(rows.n + 1, sizeof(*envs));
	pick = sl_xcalloc(rows.n + 1, sizeof(*pick));
	for (size_t i = 0; i < rows.n; i++) {
		json_t *d = sl_http_doc(rows.v[i].doc);
		const json_t *p = json_object_get(d, "production");

		envs[i].rank = json_integer_value(json_object_get(d, "rank"));
		envs[i].flag = json_is_true(p)	  ? SL_PROD_YES
			       : json_is_false(p) ? SL_PROD_NO
						  : SL_PROD_UNSET;
		json_decref(d);
	}
	out->v = sl_xcalloc(sl_production_pick(envs, rows.n, pick) + 1,
			    sizeof(*out->v));
	for (size_t i = 0; i < rows.n; i++)
		if (pick[i])
			out->v[out->n++] = sl_xstrdup(rows.v[i].name);
	free(envs);
	free(pick);
	sl_docs_fini(&rows);
	return SL_OK;
}
