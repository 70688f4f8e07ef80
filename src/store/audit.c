/* audit.c - the append-only audit log and idempotency records. */
#include "store/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

/* ---- audit ---- */

enum sl_err sl_store_audit_append(struct sl_tx *tx,
				  const struct sl_audit_entry *e, int64_t *seq,
				  struct sl_error *err)
{
	const struct sl_db_val p[] = {
		SL_P_INT(e->at),	 SL_P_TEXT(e->actor),
		SL_P_TEXT(e->action),	 SL_P_TEXT(e->object_type),
		SL_P_TEXT(e->object_id), SL_P_TEXT(e->request_id),
		SL_P_TEXT(e->change),	 SL_P_TEXT(e->environment),
		SL_P_TEXT(e->service),	 SL_P_TEXT(e->via),
	};
	int64_t id;

	SL_ASSERT(tx->write);
	/* One writer at a time: the next number now, under its lock. */
	if (sl__store_single_writer(tx))
		return sl__store_one_int(
			tx,
			"INSERT INTO audit (seq, at, actor, action,"
			" object_type, object_id, request_id, change,"
			" environment, service, via)"
			" VALUES ((SELECT COALESCE(MAX(seq), 0) + 1"
			" FROM audit), $1, $2, $3, $4, $5, $6, $7, $8, $9,"
			" $10) RETURNING seq",
			p, 10, seq, "audit entry", err);
	/* Writers side by side: numbered by the sequencer after commit. */
	*seq = 0;
	return sl__store_one_int(
		tx,
		"INSERT INTO audit (at, actor, action, object_type, object_id,"
		" request_id, change, environment, service, via)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING "
		"id",
		p, 10, &id, "audit entry", err);
}

enum sl_err sl_store_audit_last(struct sl_tx *tx, int64_t *seq,
				struct sl_error *err)
{
	return sl__store_one_int(tx, "SELECT COALESCE(MAX(seq), 0) FROM audit",
				 NULL, 0, seq, "audit entry", err);
}

enum sl_err sl_store_audit_number(struct sl_tx *tx, int64_t *numbered,
				  struct sl_error *err)
{
	int64_t base = 0, changes = 0;
	enum sl_err rc;

	SL_ASSERT(tx->write);
	*numbered = 0;
	rc = sl__store_one_int(tx, "SELECT COALESCE(MAX(seq), 0) FROM audit",
			       NULL, 0, &base, "audit entry", err);
	if (rc)
		return rc;
	rc = Q(tx,
	       "UPDATE audit SET seq = $1 + r.n FROM (SELECT id,"
	       " ROW_NUMBER() OVER (ORDER BY id) AS n FROM audit"
	       " WHERE seq IS NULL ORDER BY id LIMIT 10000) AS r"
	       " WHERE audit.id = r.id",
	       NULL, &changes, err, SL_P_INT(base));
	if (rc == SL_OK)
		*numbered = changes;
	return rc;
}

enum sl_err sl_store_audit_unnumbered(struct sl_tx *tx, int64_t *n,
				      struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "SELECT COUNT(*) FROM (SELECT 1 FROM audit"
				 " WHERE seq IS NULL LIMIT 1) AS pending",
				 NULL, 0, n, "audit entry", err);
}

enum sl_err sl_store_audit_list(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_audit_rows *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	static const struct sl__clause cl[] = {
		{"seq > $#", 1},       {"actor = $#", 1},
		{"action = $#", 1},    {"object_type = $#", 1},
		{"object_id = $#", 1}, {"at >= $#", 1},
		{"at < $#", 1},
	};
	const struct sl_db_val vals[] = {
		SL_P_INT(f->after),	 SL_P_TEXT(f->actor),
		SL_P_TEXT(f->action),	 SL_P_TEXT(f->object_type),
		SL_P_TEXT(f->object_id), SL_P_INT(f->since),
		SL_P_INT(f->until),
	};

	return sl__store_audit_rows(
		sl__store_list(
			tx, LIST_AUDIT,
			"SELECT seq, at, actor, action, object_type, object_id,"
			" request_id, before, after, change, environment,"
			" service, via FROM audit",
			cl, 7, vals,
			/* Entries still to be numbered are not in the log
			 * yet. */
			"AND seq IS NOT NULL ORDER BY seq LIMIT", f->limit,
			&rows, err),
		&rows, out);
}

/* ---- idempotency ---- */

enum sl_err sl_store_idem_get(struct sl_tx *tx, const char *actor,
			      const char *key, struct sl_idem *out,
			      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT method, path, body_hash, status, response"
			   " FROM idempotency WHERE actor = $1 AND key = $2",
			   &rows, NULL, err, SL_P_TEXT(actor), SL_P_TEXT(key));

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "",
				    "no idempotency record");
	}
	out->method = sl_xstrdup(sl_db_text(&rows, 0, 0));
	out->path = sl_xstrdup(sl_db_text(&rows, 0, 1));
	out->body_hash = sl_xstrdup(sl_db_text(&rows, 0, 2));
	out->status = sl_db_int(&rows, 0, 3);
	out->response = sl_xstrdup(sl_db_text(&rows, 0, 4));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_idem_put(struct sl_tx *tx, const char *actor,
			      const char *key, const struct sl_idem *rec,
			      int64_t now, struct sl_error *err)
{
	const struct sl_db_val p[] = {
		SL_P_TEXT(actor),	   SL_P_TEXT(key),
		SL_P_TEXT(rec->method),	   SL_P_TEXT(rec->path),
		SL_P_TEXT(rec->body_hash), SL_P_INT(rec->status),
		SL_P_TEXT(rec->response),  SL_P_INT(now),
	};

	/* A twin request may have put the key first: SL_ECONFLICT, and the
	 * transaction stays usable. */
	return sl__store_run_flags_at(
		__func__, tx,
		"INSERT INTO idempotency (actor, key, method, path,"
		" body_hash, status, response, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		p, 8, SL_DB_GUARD, NULL, NULL, err);
}

void sl_store_idem_fini(struct sl_idem *rec)
{
	free(rec->method);
	free(rec->path);
	free(rec->body_hash);
	free(rec->response);
	memset(rec, 0, sizeof(*rec));
}
