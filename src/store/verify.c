/* verify.c - what verification keeps: the policies of environments and
 * services, and each deployment's run (its rounds, evidence and
 * outcome), with the lookups the worker makes. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

enum sl_err sl_store_verify_policy_put(struct sl_tx *tx, const char *env,
				       const char *service, const char *doc,
				       int64_t now, int64_t *revision,
				       struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO verification_policies (environment, service,"
		" revision, created_at, updated_at, doc) VALUES ($1, $2, 1,"
		" $3, $3, $4) ON CONFLICT (environment, service) DO UPDATE"
		" SET revision = verification_policies.revision + 1,"
		" updated_at = $3, doc = $4 RETURNING revision",
		P(SL_P_TEXT(env), SL_P_TEXT(service), SL_P_INT(now),
		  SL_P_TEXT(doc)),
		revision, "verification policy", err);
}

enum sl_err sl_store_verify_policy_get(struct sl_tx *tx, const char *env,
				       const char *service, char **doc,
				       int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(tx,
				  "SELECT doc, revision FROM"
				  " verification_policies WHERE"
				  " environment = $1 AND service = $2",
				  P(SL_P_TEXT(env), SL_P_TEXT(service)), doc,
				  revision, "verification policy", err);
}

enum sl_err sl_store_verify_policy_delete(struct sl_tx *tx, const char *env,
					  const char *service,
					  struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "DELETE FROM verification_policies WHERE"
		  " environment = $1 AND service = $2",
		  NULL, &changes, err, SL_P_TEXT(env), SL_P_TEXT(service));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "verification policy not found");
	return rc;
}

void sl_verification_ids_fini(struct sl_verification_ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}

/* Copies the first column of rows into out; frees rows. */
static enum sl_err ids(enum sl_err rc, struct sl_db_rows *rows,
		       struct sl_verification_ids *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->v = sl_xcalloc(rows->nrows, sizeof(*out->v));
		for (size_t i = 0; i < rows->nrows; i++)
			out->v[i] = sl_db_int(rows, i, 0);
		out->n = rows->nrows;
	}
	sl_db_rows_fini(rows);
	return rc;
}

enum sl_err sl_store_verification_candidates(struct sl_tx *tx, int64_t limit,
					     struct sl_verification_ids *out,
					     struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT DISTINCT d.id FROM verification_policies p"
			   " JOIN deployments d ON d.status = 'succeeded'"
			   " AND d.environment = p.environment"
			   " AND d.updated_at >= p.created_at"
			   " AND (p.service = '' OR p.service = d.service)"
			   " WHERE NOT EXISTS (SELECT 1 FROM verifications v"
			   " WHERE v.deployment_id = d.id)"
			   " ORDER BY d.id LIMIT $1",
			   &rows, NULL, err, SL_P_INT(limit));

	return ids(rc, &rows, out);
}

enum sl_err sl_store_verification_due(struct sl_tx *tx, int64_t now,
				      int64_t limit,
				      struct sl_verification_ids *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT deployment_id FROM verifications"
			   " WHERE state = 'running' AND next_at <= $1"
			   " ORDER BY next_at, deployment_id LIMIT $2",
			   &rows, NULL, err, SL_P_INT(now), SL_P_INT(limit));

	return ids(rc, &rows, out);
}

enum sl_err sl_store_verification_insert(struct sl_tx *tx, int64_t id,
					 const char *state, int64_t next_at,
					 int64_t now, const char *doc,
					 struct sl_error *err)
{
	enum sl_err rc = QG(tx,
			    "INSERT INTO verifications (deployment_id, state,"
			    " next_at, created_at, updated_at, doc)"
			    " VALUES ($1, $2, $3, $4, $4, $5)",
			    NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(state),
			    SL_P_INT(next_at), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		rc = sl_error_set(err, SL_ECONFLICT, NULL,
				  "deployment %lld is verified already",
				  (long long)id);
	return rc;
}

enum sl_err sl_store_verification_get(struct sl_tx *tx, int64_t id, char **doc,
				      struct sl_error *err)
{
	return sl__store_one_text(tx,
				  "SELECT doc FROM verifications"
				  " WHERE deployment_id = $1",
				  P(SL_P_INT(id)), doc, NULL, "verification",
				  err);
}

enum sl_err sl_store_verification_update(struct sl_tx *tx, int64_t id,
					 const char *state, int64_t next_at,
					 int64_t now, const char *doc,
					 struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "UPDATE verifications SET state = $2, next_at = $3,"
		  " updated_at = $4, doc = $5 WHERE deployment_id = $1",
		  NULL, &changes, err, SL_P_INT(id), SL_P_TEXT(state),
		  SL_P_INT(next_at), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "deployment %lld has no verification",
				  (long long)id);
	return rc;
}
