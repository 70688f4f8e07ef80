/* tokens.c - API tokens; only the hash of a secret is kept. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- tokens ---- */

enum sl_err sl_store_token_insert(struct sl_tx *tx, const char *name,
				  const char *role, const char *hash,
				  int64_t now, const char *created_by,
				  const char *scope, int64_t expires_at,
				  int64_t *id, struct sl_error *err)
{
	const struct sl_db_val p[] = {SL_P_TEXT(name),
				      SL_P_TEXT(role),
				      SL_P_TEXT(hash),
				      SL_P_INT(now),
				      SL_P_TEXT(created_by),
				      SL_P_TEXT(scope),
				      expires_at ? SL_P_INT(expires_at)
						 : SL_P_NULL};
	enum sl_err rc = sl__store_one_int_guarded(
		tx,
		"INSERT INTO tokens (name, role, hash,"
		" created_at, created_by, scope, expires_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
		p, 7, id, "token", err);

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "name",
				    "a token named '%s' already exists", name);
	return rc;
}

enum sl_err sl_store_token_find(struct sl_tx *tx, const char *hash, int64_t now,
				struct sl_tokens *out, char **stored,
				struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT id, name, role, created_at, created_by,"
			   " revoked_at, scope, expires_at, last_used_at, hash"
			   " FROM tokens"
			   " WHERE hash = $1 AND revoked_at IS NULL"
			   " AND (expires_at IS NULL OR expires_at > $2)",
			   &rows, NULL, err, SL_P_TEXT(hash), SL_P_INT(now));

	*stored = NULL;
	if (rc == SL_OK && rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "", "token not found");
	if (rc == SL_OK)
		*stored = sl_xstrdup(sl_db_text(&rows, 0, 9));
	return sl__store_tokens(rc, &rows, out);
}

enum sl_err sl_store_token_list(struct sl_tx *tx, struct sl_tokens *out,
				struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	return sl__store_tokens(
		sl__store_run(tx,
			      "SELECT id, name, role, created_at, created_by, "
			      "revoked_at,"
			      " scope, expires_at, last_used_at FROM tokens "
			      "ORDER BY id",
			      NULL, 0, &rows, NULL, err),
		&rows, out);
}

enum sl_err sl_store_token_page(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_tokens *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	static const struct sl__clause cl[] = {{"id > $#", 1}};
	const struct sl_db_val vals[] = {SL_P_INT(f->cursor)};

	return sl__store_tokens(
		sl__store_list(tx, LIST_TOKENS,
			       "SELECT id, name, role, created_at, created_by,"
			       " revoked_at, scope, expires_at, last_used_at"
			       " FROM tokens",
			       cl, 1, vals, "ORDER BY id LIMIT", f->limit,
			       &rows, err),
		&rows, out);
}

enum sl_err sl_store_token_get(struct sl_tx *tx, int64_t id,
			       struct sl_tokens *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT id, name, role, created_at, created_by,"
			   " revoked_at, scope, expires_at, last_used_at"
			   " FROM tokens WHERE id = $1",
			   &rows, NULL, err, SL_P_INT(id));

	if (rc == SL_OK && rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "no token with id %lld", (long long)id);
	return sl__store_tokens(rc, &rows, out);
}

enum sl_err sl_store_token_used(struct sl_tx *tx, int64_t id, int64_t at,
				struct sl_error *err)
{
	return Q(tx,
		 "UPDATE tokens SET last_used_at = $2"
		 " WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < "
		 "$2)",
		 NULL, NULL, err, SL_P_INT(id), SL_P_INT(at));
}

enum sl_err sl_store_token_revoke(struct sl_tx *tx, int64_t id, int64_t now,
				  struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE tokens SET revoked_at = $2"
			   " WHERE id = $1 AND revoked_at IS NULL",
			   NULL, &changes, err, SL_P_INT(id), SL_P_INT(now));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "no live token with id %lld", (long long)id);
	return rc;
}

enum sl_err sl_store_token_count(struct sl_tx *tx, const char *role,
				 int64_t now, int64_t *n, struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"SELECT COUNT(*) FROM tokens WHERE revoked_at IS NULL"
		" AND (CAST($1 AS TEXT) IS NULL OR role = $1)"
		" AND (expires_at IS NULL OR expires_at > $2)",
		(const struct sl_db_val[]){SL_P_TEXT(role), SL_P_INT(now)}, 2,
		n, "token", err);
}

/* ---- sessions ---- */

enum sl_err sl_store_session_insert(struct sl_tx *tx, const char *hash,
				    int64_t token_id, int64_t now,
				    int64_t expires_at, int64_t *id,
				    struct sl_error *err)
{
	const struct sl_db_val p[] = {SL_P_TEXT(hash), SL_P_INT(token_id),
				      SL_P_INT(now), SL_P_INT(expires_at)};

	return sl__store_one_int(tx,
				 "INSERT INTO sessions (hash, token_id,"
				 " created_at, expires_at)"
				 " VALUES ($1, $2, $3, $4) RETURNING id",
				 p, 4, id, "session", err);
}

enum sl_err sl_store_session_find(struct sl_tx *tx, const char *hash,
				  int64_t now, struct sl_session *out,
				  struct sl_tokens *token, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT t.id, t.name, t.role, t.created_at,"
			   " t.created_by, t.revoked_at, t.scope, t.expires_at,"
			   " t.last_used_at, s.id, s.hash, s.expires_at"
			   " FROM sessions s JOIN tokens t ON t.id = s.token_id"
			   " WHERE s.hash = $1 AND s.revoked_at IS NULL"
			   " AND s.expires_at > $2 AND t.revoked_at IS NULL"
			   " AND (t.expires_at IS NULL OR t.expires_at > $2)",
			   &rows, NULL, err, SL_P_TEXT(hash), SL_P_INT(now));

	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "", "session not found");
	if (rc == SL_OK) {
		out->id = sl_db_int(&rows, 0, 9);
		snprintf(out->hash, sizeof(out->hash), "%s",
			 sl_db_text(&rows, 0, 10));
		out->expires_at = sl_db_int(&rows, 0, 11);
	}
	return sl__store_tokens(rc, &rows, token);
}

enum sl_err sl_store_session_revoke(struct sl_tx *tx, int64_t id, int64_t now,
				    struct sl_error *err)
{
	return Q(tx,
		 "UPDATE sessions SET revoked_at = $2"
		 " WHERE id = $1 AND revoked_at IS NULL",
		 NULL, NULL, err, SL_P_INT(id), SL_P_INT(now));
}
