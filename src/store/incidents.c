/* incidents.c - what incidents keep: the incident (its document and the
 * columns lists filter on), the services it names, the deployments
 * confirmed as its cause and the releases it is a known issue of. */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

enum sl_err sl_store_incident_insert(struct sl_tx *tx,
				     const struct sl_incident_cols *c,
				     const char *const *services, size_t n,
				     int64_t now, const char *doc,
				     struct sl_error *err)
{
	enum sl_err rc =
		QG(tx,
		   "INSERT INTO incidents (key, status, severity, environment,"
		   " started_at, resolved_at, revision, created_at, updated_at,"
		   " doc) VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8)",
		   NULL, NULL, err, SL_P_TEXT(c->key), SL_P_TEXT(c->status),
		   SL_P_TEXT(c->severity), SL_P_TEXT(c->environment),
		   SL_P_INT(c->started_at),
		   c->resolved_at ? SL_P_INT(c->resolved_at) : SL_P_NULL,
		   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "key",
				    "incident %s already exists", c->key);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = Q(tx,
		       "INSERT INTO incident_services (incident, service)"
		       " VALUES ($1, $2) ON CONFLICT DO NOTHING",
		       NULL, NULL, err, SL_P_TEXT(c->key),
		       SL_P_TEXT(services[i]));
	return rc;
}

enum sl_err sl_store_incident_get(struct sl_tx *tx, const char *key, char **doc,
				  int64_t *revision, struct sl_error *err)
{
	enum sl_err rc = sl__store_one_text(
		tx, "SELECT doc, revision FROM incidents WHERE key = $1",
		P(SL_P_TEXT(key)), doc, revision, "incident", err);

	if (rc == SL_ENOTFOUND)
		return sl_error_set(err, SL_ENOTFOUND, NULL,
				    "incident '%s' not found", key);
	return rc;
}

enum sl_err sl_store_incident_update(struct sl_tx *tx,
				     const struct sl_incident_cols *c,
				     int64_t revision, int64_t now,
				     const char *doc, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "UPDATE incidents SET revision = revision + 1, status = $3,"
		  " severity = $4, resolved_at = $5, updated_at = $6, doc = $7"
		  " WHERE key = $1 AND revision = $2",
		  NULL, &changes, err, SL_P_TEXT(c->key), SL_P_INT(revision),
		  SL_P_TEXT(c->status), SL_P_TEXT(c->severity),
		  c->resolved_at ? SL_P_INT(c->resolved_at) : SL_P_NULL,
		  SL_P_INT(now), SL_P_TEXT(doc));

	if (rc)
		return rc;
	return sl__store_check_revision(
		tx, changes, "SELECT COUNT(*) FROM incidents WHERE key = $1",
		SL_P_TEXT(c->key), "incident", err);
}

enum sl_err sl_store_incident_list(struct sl_tx *tx,
				   const struct sl_incident_filter *f,
				   struct sl_docs *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	/* One text serves every combination of filters: an unset one is
	 * NULL or 0 and its clause is true. */
	return sl__store_docs(
		Q(tx,
		  "SELECT i.id, i.doc FROM incidents i"
		  " WHERE ($1 = 0 OR i.id < $1)"
		  " AND (CAST($2 AS TEXT) IS NULL OR i.status = $2)"
		  " AND (CAST($3 AS TEXT) IS NULL OR i.environment = $3)"
		  " AND (CAST($4 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM"
		  " incident_services s WHERE s.incident = i.key"
		  " AND s.service = $4))"
		  " AND ($5 = 0 OR i.started_at >= $5)"
		  " AND ($6 = 0 OR i.started_at < $6)"
		  " AND ($7 = 0 OR EXISTS (SELECT 1 FROM incident_releases k"
		  " WHERE k.incident = i.key AND k.release_id = $7))"
		  " ORDER BY i.id DESC LIMIT $8",
		  &rows, NULL, err, SL_P_INT(f->cursor), SL_P_TEXT(f->status),
		  SL_P_TEXT(f->environment), SL_P_TEXT(f->service),
		  SL_P_INT(f->since), SL_P_INT(f->until),
		  SL_P_INT(f->release_id), SL_P_INT(f->limit)),
		&rows, SL_COLS_ID_DOC, out);
}

enum sl_err sl_store_incident_candidates(struct sl_tx *tx, const char *service,
					 const char *env, int64_t before,
					 int limit, struct sl_docs *out,
					 struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_docs(
		Q(tx,
		  "SELECT id, doc FROM deployments WHERE service = $1"
		  " AND environment = $2 AND created_at < $3"
		  " ORDER BY id DESC LIMIT $4",
		  &rows, NULL, err, SL_P_TEXT(service), SL_P_TEXT(env),
		  SL_P_INT(before), SL_P_INT(limit)),
		&rows, SL_COLS_ID_DOC, out);
}

enum sl_err sl_store_incident_cause_add(struct sl_tx *tx, const char *key,
					int64_t deployment_id, const char *by,
					int64_t now, struct sl_error *err)
{
	enum sl_err rc =
		QG(tx,
		   "INSERT INTO incident_causes (incident,"
		   " deployment_id, confirmed_by, confirmed_at)"
		   " VALUES ($1, $2, $3, $4)",
		   NULL, NULL, err, SL_P_TEXT(key), SL_P_INT(deployment_id),
		   SL_P_TEXT(by), SL_P_INT(now));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "deployment_id",
				    "deployment %lld is already confirmed as "
				    "a cause of incident %s",
				    (long long)deployment_id, key);
	return rc;
}

enum sl_err sl_store_incident_cause_remove(struct sl_tx *tx, const char *key,
					   int64_t deployment_id,
					   struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "DELETE FROM incident_causes WHERE incident = $1"
		  " AND deployment_id = $2",
		  NULL, &changes, err, SL_P_TEXT(key), SL_P_INT(deployment_id));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "deployment %lld is not a confirmed cause "
				  "of incident %s",
				  (long long)deployment_id, key);
	return rc;
}

enum sl_err sl_store_incident_release_add(struct sl_tx *tx, const char *key,
					  int64_t release_id,
					  struct sl_error *err)
{
	enum sl_err rc =
		QG(tx,
		   "INSERT INTO incident_releases (incident,"
		   " release_id) VALUES ($1, $2)",
		   NULL, NULL, err, SL_P_TEXT(key), SL_P_INT(release_id));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "incident",
				    "incident %s is already a known issue of "
				    "release %lld",
				    key, (long long)release_id);
	return rc;
}

enum sl_err sl_store_incident_release_remove(struct sl_tx *tx, const char *key,
					     int64_t release_id,
					     struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "DELETE FROM incident_releases WHERE incident = $1"
		  " AND release_id = $2",
		  NULL, &changes, err, SL_P_TEXT(key), SL_P_INT(release_id));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "incident %s is not a known issue of "
				  "release %lld",
				  key, (long long)release_id);
	return rc;
}
