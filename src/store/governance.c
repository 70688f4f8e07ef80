/* governance.c - what the gates read and write: policies (versioned),
 * approvals, checklist completions, change requests, windows, grants and
 * post-incident reviews. Documents are kept as the http layer renders
 * them, beside the columns queries need. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* Whether the column col is one of the names in the list parameter p
 * (struct sl_scope_lists; NULL = no limit): the list shrinks when the
 * name, between newlines, is taken out of it. One portable text for
 * every scope, whatever its length; replace and length mean the same on
 * both engines. */
#define IN_SCOPE(p, col)                                                       \
	"(CAST(" p " AS TEXT) IS NULL OR length(" p ") > length(replace(" p    \
	", '\n' || " col " || '\n', '')))"

/* ---- policies ---- */

enum sl_err sl_store_policy_put(struct sl_tx *tx, const char *env,
				const char *doc, const char *by, int64_t now,
				int64_t *version, struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO policies (environment, version, created_at,"
		" created_by, doc) VALUES ($1, (SELECT COALESCE(MAX(version),"
		" 0) + 1 FROM policies WHERE environment = $1), $2, $3, $4)"
		" RETURNING version",
		P(SL_P_TEXT(env), SL_P_INT(now), SL_P_TEXT(by), SL_P_TEXT(doc)),
		version, "policy", err);
}

enum sl_err sl_store_policy_get(struct sl_tx *tx, const char *env,
				int64_t version, char **doc, int64_t *got,
				struct sl_error *err)
{
	return sl__store_one_text(
		tx,
		"SELECT doc, version FROM policies WHERE environment = $1"
		" AND ($2 = 0 OR version = $2) ORDER BY version DESC LIMIT 1",
		P(SL_P_TEXT(env), SL_P_INT(version)), doc, got, "policy", err);
}

enum sl_err sl_store_policy_set_doc(struct sl_tx *tx, const char *env,
				    int64_t version, const char *doc,
				    struct sl_error *err)
{
	return Q(tx,
		 "UPDATE policies SET doc = $3 WHERE environment = $1"
		 " AND version = $2",
		 NULL, NULL, err, SL_P_TEXT(env), SL_P_INT(version),
		 SL_P_TEXT(doc));
}

enum sl_err sl_store_policy_versions(struct sl_tx *tx, const char *env,
				     struct sl_policies *out,
				     struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_policies(
		Q(tx,
		  "SELECT version, created_at, created_by, doc FROM policies"
		  " WHERE environment = $1 ORDER BY version",
		  &rows, NULL, err, SL_P_TEXT(env)),
		&rows, out);
}

/* ---- approvals ---- */

enum sl_err sl_store_approval_insert(struct sl_tx *tx,
				     const struct sl_approval_row *a,
				     int64_t *id, struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO approvals (release_id, environment, approver, grp,"
		" decision, at, expires_at, artifacts_digest, doc)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '{}') RETURNING id",
		P(SL_P_INT(a->release_id), SL_P_TEXT(a->environment),
		  SL_P_TEXT(a->approver), SL_P_TEXT(a->group),
		  SL_P_TEXT(a->decision), SL_P_INT(a->at),
		  a->expires_at ? SL_P_INT(a->expires_at) : SL_P_NULL,
		  SL_P_TEXT(a->artifacts_digest)),
		id, "approval", err);
}

enum sl_err sl_store_approval_set_doc(struct sl_tx *tx, int64_t id,
				      const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE approvals SET doc = $2 WHERE id = $1", NULL, NULL,
		 err, SL_P_INT(id), SL_P_TEXT(doc));
}

enum sl_err sl_store_approval_get(struct sl_tx *tx, int64_t id, char **doc,
				  struct sl_error *err)
{
	return sl__store_one_text(tx, "SELECT doc FROM approvals WHERE id = $1",
				  P(SL_P_INT(id)), doc, NULL, "approval", err);
}

enum sl_err sl_store_approval_withdraw(struct sl_tx *tx, int64_t id,
				       int64_t now, const char *doc,
				       struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = QG(tx,
			    "UPDATE approvals SET withdrawn_at = $2, doc = $3"
			    " WHERE id = $1 AND withdrawn_at IS NULL",
			    NULL, &changes, err, SL_P_INT(id), SL_P_INT(now),
			    SL_P_TEXT(doc));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ECONFLICT, "id",
				  "approval %lld is already withdrawn",
				  (long long)id);
	return rc;
}

enum sl_err sl_store_approval_void(struct sl_tx *tx, int64_t id, int64_t now,
				   const char *doc, struct sl_error *err)
{
	return Q(tx,
		 "UPDATE approvals SET voided_at = $2, doc = $3"
		 " WHERE id = $1 AND voided_at IS NULL",
		 NULL, NULL, err, SL_P_INT(id), SL_P_INT(now), SL_P_TEXT(doc));
}

/* The approvals of a release, for env (NULL = all) and inside envs (a
 * scope list, NULL = no limit): one query for both entry points, so what
 * "stands" (column 7) is said once. */
static enum sl_err approval_rows(struct sl_tx *tx, int64_t release_id,
				 const char *env, const char *envs,
				 struct sl_approvals *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_approvals(
		Q(tx,
		  "SELECT id, approver, grp, decision, at, expires_at,"
		  " artifacts_digest,"
		  " CASE WHEN voided_at IS NULL OR withdrawn_at < voided_at"
		  " THEN withdrawn_at ELSE voided_at END,"
		  " environment, doc"
		  " FROM approvals WHERE release_id = $1"
		  " AND (CAST($2 AS TEXT) IS NULL OR environment = $2)"
		  " AND " IN_SCOPE("$3", "environment") " ORDER BY id",
		  &rows, NULL, err, SL_P_INT(release_id), SL_P_TEXT(env),
		  SL_P_TEXT(envs)),
		&rows, out);
}

enum sl_err sl_store_approval_list(struct sl_tx *tx, int64_t release_id,
				   const char *env, struct sl_approvals *out,
				   struct sl_error *err)
{
	return approval_rows(tx, release_id, env, NULL, out, err);
}

enum sl_err sl_store_approval_list_scoped(struct sl_tx *tx, int64_t release_id,
					  const char *env,
					  const struct sl_scope_lists *scope,
					  struct sl_approvals *out,
					  struct sl_error *err)
{
	return approval_rows(tx, release_id, env, scope->environments, out,
			     err);
}

/* ---- checklists ---- */

enum sl_err sl_store_checklist_done(struct sl_tx *tx, int64_t release_id,
				    const char *env, const char *item,
				    int64_t now, const char *doc,
				    struct sl_error *err)
{
	enum sl_err rc =
		QG(tx,
		   "INSERT INTO checklist_done (release_id,"
		   " environment, item, at, doc)"
		   " VALUES ($1, $2, $3, $4, $5)",
		   NULL, NULL, err, SL_P_INT(release_id), SL_P_TEXT(env),
		   SL_P_TEXT(item), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "item",
				    "'%s' is already done for %s", item, env);
	return rc;
}

enum sl_err sl_store_checklist_list(struct sl_tx *tx, int64_t release_id,
				    const char *env, struct sl_docs *out,
				    struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_docs(
		Q(tx,
		  "SELECT item, doc FROM checklist_done WHERE release_id = $1"
		  " AND environment = $2 ORDER BY at, item",
		  &rows, NULL, err, SL_P_INT(release_id), SL_P_TEXT(env)),
		&rows, SL_COLS_NAME_DOC, out);
}

/* ---- change requests ---- */

enum sl_err sl_store_change_insert(struct sl_tx *tx, const char *key,
				   int64_t now, const char *doc,
				   struct sl_error *err)
{
	enum sl_err rc = QG(tx,
			    "INSERT INTO change_requests (key, revision,"
			    " created_at, updated_at, doc)"
			    " VALUES ($1, 1, $2, $2, $3)",
			    NULL, NULL, err, SL_P_TEXT(key), SL_P_INT(now),
			    SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "key",
				    "change request %s already exists", key);
	return rc;
}

enum sl_err sl_store_change_get(struct sl_tx *tx, const char *key, char **doc,
				int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM change_requests WHERE key = $1",
		P(SL_P_TEXT(key)), doc, revision, "change request", err);
}

enum sl_err sl_store_change_update(struct sl_tx *tx, const char *key,
				   int64_t revision, int64_t now,
				   const char *doc, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE change_requests SET revision = revision + 1,"
			   " updated_at = $3, doc = $4"
			   " WHERE key = $1 AND revision = $2",
			   NULL, &changes, err, SL_P_TEXT(key),
			   SL_P_INT(revision), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_EPRECOND, "If-Match",
				  "the change request was changed since that "
				  "revision");
	return rc;
}

enum sl_err sl_store_change_list(struct sl_tx *tx, struct sl_docs *out,
				 struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(
		sl__store_run(
			tx, "SELECT key, doc FROM change_requests ORDER BY key",
			NULL, 0, &rows, NULL, err),
		&rows, SL_COLS_NAME_DOC, out);
}

/* ---- windows ---- */

enum sl_err sl_store_window_insert(struct sl_tx *tx, const char *env,
				   int64_t now, int64_t *id,
				   struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "INSERT INTO windows (environment, created_at,"
				 " doc) VALUES ($1, $2, '{}') RETURNING id",
				 P(SL_P_TEXT(env), SL_P_INT(now)), id, "window",
				 err);
}

enum sl_err sl_store_window_set_doc(struct sl_tx *tx, int64_t id,
				    const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE windows SET doc = $2 WHERE id = $1", NULL, NULL,
		 err, SL_P_INT(id), SL_P_TEXT(doc));
}

enum sl_err sl_store_window_delete(struct sl_tx *tx, int64_t id, int64_t now,
				   char **doc, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = sl__store_one_text(
		tx,
		"SELECT doc FROM windows WHERE id = $1 AND deleted_at IS NULL",
		P(SL_P_INT(id)), doc, NULL, "window", err);

	if (rc == SL_OK)
		rc = Q(tx, "UPDATE windows SET deleted_at = $2 WHERE id = $1",
		       NULL, &changes, err, SL_P_INT(id), SL_P_INT(now));
	return rc;
}

enum sl_err sl_store_window_list(struct sl_tx *tx, struct sl_docs *out,
				 struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_docs(
		sl__store_run(tx,
			      "SELECT id, environment, doc FROM windows"
			      " WHERE deleted_at IS NULL ORDER BY id",
			      NULL, 0, &rows, NULL, err),
		&rows, (struct sl__doc_cols){0, -1, 1, -1, 2, -1}, out);
}

/* ---- grants ---- */

enum sl_err sl_store_grant_insert(struct sl_tx *tx, int64_t token_id,
				  const char *role, const char *env,
				  int64_t expires_at, int64_t *id,
				  struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO grants (token_id, role, environment, expires_at,"
		" doc) VALUES ($1, $2, $3, $4, '{}') RETURNING id",
		P(SL_P_INT(token_id), SL_P_TEXT(role), SL_P_TEXT(env),
		  SL_P_INT(expires_at)),
		id, "grant", err);
}

enum sl_err sl_store_grant_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE grants SET doc = $2 WHERE id = $1", NULL, NULL,
		 err, SL_P_INT(id), SL_P_TEXT(doc));
}

enum sl_err sl_store_grant_active(struct sl_tx *tx, int64_t token_id,
				  int64_t now, struct sl_grants *out,
				  struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_grants(
		Q(tx,
		  "SELECT id, role, environment, expires_at FROM grants"
		  " WHERE token_id = $1 AND expires_at > $2"
		  " AND revoked_at IS NULL ORDER BY id",
		  &rows, NULL, err, SL_P_INT(token_id), SL_P_INT(now)),
		&rows, out);
}

enum sl_err sl_store_grant_list(struct sl_tx *tx,
				const struct sl_scope_lists *scope,
				struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(Q(tx,
				"SELECT id, doc FROM grants WHERE " IN_SCOPE(
					"$1", "environment") " ORDER BY id",
				&rows, NULL, err,
				SL_P_TEXT(scope->environments)),
			      &rows, SL_COLS_ID_DOC, out);
}

/* ---- reviews ---- */

enum sl_err sl_store_review_insert(struct sl_tx *tx, int64_t deployment_id,
				   int64_t now, int64_t *id,
				   struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "INSERT INTO reviews (deployment_id,"
				 " created_at, doc) VALUES ($1, $2, '{}')"
				 " RETURNING id",
				 P(SL_P_INT(deployment_id), SL_P_INT(now)), id,
				 "review", err);
}

enum sl_err sl_store_review_set_doc(struct sl_tx *tx, int64_t id,
				    const char *doc, int64_t closed_at,
				    struct sl_error *err)
{
	return Q(tx,
		 "UPDATE reviews SET doc = $2, closed_at = $3 WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(doc),
		 closed_at ? SL_P_INT(closed_at) : SL_P_NULL);
}

enum sl_err sl_store_review_get(struct sl_tx *tx, int64_t id, char **doc,
				struct sl_error *err)
{
	return sl__store_one_text(tx, "SELECT doc FROM reviews WHERE id = $1",
				  P(SL_P_INT(id)), doc, NULL, "review", err);
}

/* clang-format off */
enum sl_err sl_store_review_list(struct sl_tx *tx, int open_only,
				 const struct sl_scope_lists *scope,
				 struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(Q(tx,
		 "SELECT r.id, r.doc FROM reviews r"
		 " JOIN deployments d ON d.id = r.deployment_id"
		 " WHERE ($1 = 0 OR r.closed_at IS NULL)"
		 " AND " IN_SCOPE("$2", "d.environment")
		 " AND " IN_SCOPE("$3", "d.service")
		 " AND " IN_SCOPE("$4", "d.service")
		 " ORDER BY r.id",
		 &rows, NULL, err, SL_P_INT(open_only),
		 SL_P_TEXT(scope->environments), SL_P_TEXT(scope->services),
		 SL_P_TEXT(scope->team_services)), &rows, SL_COLS_ID_DOC, out);
}
/* clang-format on */

/* ---- what the gates read ---- */

enum sl_err sl_store_deployment_count_status(struct sl_tx *tx, const char *env,
					     const char *status, int64_t most,
					     int64_t *n, struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"SELECT COUNT(*) FROM (SELECT 1 FROM deployments"
		" WHERE environment = $1 AND status = $2 LIMIT $3) c",
		P(SL_P_TEXT(env), SL_P_TEXT(status), SL_P_INT(most)), n,
		"deployment", err);
}

enum sl_err sl_store_release_success_in(struct sl_tx *tx, int64_t release_id,
					const char *env, char **doc,
					struct sl_error *err)
{
	return sl__store_one_text(
		tx,
		"SELECT doc FROM deployments WHERE release_id = $1"
		" AND environment = $2 AND status IN ('succeeded', 'verified')"
		" ORDER BY id LIMIT 1",
		P(SL_P_INT(release_id), SL_P_TEXT(env)), doc, NULL,
		"deployment", err);
}

enum sl_err sl_store_running_in(struct sl_tx *tx, const char *service,
				const char *env, struct sl_docs *out,
				struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_docs(
		Q(tx,
		  "SELECT r.doc FROM placements p"
		  " JOIN deployments r ON r.id = p.running_id"
		  " WHERE p.service = $1 AND p.environment = $2",
		  &rows, NULL, err, SL_P_TEXT(service), SL_P_TEXT(env)),
		&rows, (struct sl__doc_cols){-1, -1, -1, -1, 0, -1}, out);
}
