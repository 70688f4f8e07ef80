/* hooks.c - what inbound webhooks keep: receivers, the deliveries they
 * took, the links from a sender's deployment ids to shiplog's, and the
 * lookups that match a delivery to a service and a release. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/internal.h"

/* ---- receivers ---- */

enum sl_err sl_store_receiver_put(struct sl_tx *tx, const char *name,
				  const char *source, const char *secret,
				  const char *doc, int64_t now,
				  int64_t *revision, struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO receivers (name, source, secret, revision,"
		" created_at, updated_at, doc) VALUES ($1, $2, $3, 1, $4, $4,"
		" $5) ON CONFLICT (name) DO UPDATE SET source = $2,"
		" secret = $3, revision = receivers.revision + 1,"
		" updated_at = $4, doc = $5 RETURNING revision",
		P(SL_P_TEXT(name), SL_P_TEXT(source), SL_P_TEXT(secret),
		  SL_P_INT(now), SL_P_TEXT(doc)),
		revision, "receiver", err);
}

enum sl_err sl_store_receiver_get(struct sl_tx *tx, const char *name,
				  struct sl_receiver *out, struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT name, source, secret, revision, doc FROM"
			   " receivers WHERE name = $1",
			   &rows, NULL, err, SL_P_TEXT(name));

	memset(out, 0, sizeof(*out));
	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, NULL,
				    "receiver '%s' not found", name);
	}
	out->name = sl_xstrdup(sl_db_text(&rows, 0, 0));
	out->source = sl_xstrdup(sl_db_text(&rows, 0, 1));
	out->secret = sl_xstrdup(sl_db_text(&rows, 0, 2));
	out->revision = sl_db_int(&rows, 0, 3);
	out->doc = sl_xstrdup(sl_db_text(&rows, 0, 4));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

void sl_receiver_fini(struct sl_receiver *r)
{
	free(r->name);
	free(r->source);
	if (r->secret)
		memset(r->secret, 0, strlen(r->secret));
	free(r->secret);
	free(r->doc);
	memset(r, 0, sizeof(*r));
}

enum sl_err sl_store_receiver_list(struct sl_tx *tx, struct sl_docs *out,
				   struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_docs(sl__store_run(tx,
					    "SELECT name, doc FROM receivers"
					    " ORDER BY name",
					    NULL, 0, &rows, NULL, err),
			      &rows, SL_COLS_NAME_DOC, out);
}

enum sl_err sl_store_receiver_delete(struct sl_tx *tx, const char *name,
				     struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM receivers WHERE name = $1", NULL,
			   &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "receiver '%s' not found", name);
	return rc;
}

/* ---- deliveries ---- */

static enum sl_err delivery_rows(enum sl_err rc, struct sl_db_rows *rows,
				 struct sl_deliveries *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->v = sl_xcalloc(rows->nrows, sizeof(*out->v));
		for (size_t i = 0; i < rows->nrows; i++) {
			struct sl_delivery *d = &out->v[i];

			d->id = sl_db_int(rows, i, 0);
			d->receiver = sl_xstrdup(sl_db_text(rows, i, 1));
			d->delivery_id = sl_xstrdup(sl_db_text(rows, i, 2));
			d->at = sl_db_int(rows, i, 3);
			d->body = sl_xstrdup(sl_db_text(rows, i, 4));
			d->doc = sl_xstrdup(sl_db_text(rows, i, 5));
		}
		out->n = rows->nrows;
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_deliveries_fini(struct sl_deliveries *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].receiver);
		free(d->v[i].delivery_id);
		free(d->v[i].body);
		free(d->v[i].doc);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

#define DELIVERY_COLS "id, receiver, delivery_id, at, body, doc"

enum sl_err sl_store_delivery_find(struct sl_tx *tx, const char *receiver,
				   const char *delivery_id,
				   struct sl_deliveries *out,
				   struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return delivery_rows(Q(tx,
			       "SELECT " DELIVERY_COLS " FROM deliveries"
			       " WHERE receiver = $1 AND delivery_id = $2",
			       &rows, NULL, err, SL_P_TEXT(receiver),
			       SL_P_TEXT(delivery_id)),
			     &rows, out);
}

enum sl_err sl_store_delivery_get(struct sl_tx *tx, const char *receiver,
				  int64_t id, struct sl_deliveries *out,
				  struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return delivery_rows(Q(tx,
			       "SELECT " DELIVERY_COLS " FROM deliveries"
			       " WHERE receiver = $1 AND id = $2",
			       &rows, NULL, err, SL_P_TEXT(receiver),
			       SL_P_INT(id)),
			     &rows, out);
}

enum sl_err sl_store_delivery_list(struct sl_tx *tx, const char *receiver,
				   int64_t before_id, int64_t limit,
				   struct sl_deliveries *out,
				   struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return delivery_rows(
		Q(tx,
		  "SELECT " DELIVERY_COLS " FROM deliveries WHERE receiver = $1"
		  " AND ($2 = 0 OR id < $2) ORDER BY id DESC LIMIT $3",
		  &rows, NULL, err, SL_P_TEXT(receiver), SL_P_INT(before_id),
		  SL_P_INT(limit)),
		&rows, out);
}

enum sl_err sl_store_delivery_insert(struct sl_tx *tx, const char *receiver,
				     const char *delivery_id, int64_t at,
				     const char *body, int64_t *id,
				     struct sl_error *err)
{
	return sl__store_one_int_guarded(
		tx,
		"INSERT INTO deliveries (receiver, delivery_id, at, body, doc)"
		" VALUES ($1, $2, $3, $4, '{}') RETURNING id",
		P(SL_P_TEXT(receiver), SL_P_TEXT(delivery_id), SL_P_INT(at),
		  SL_P_TEXT(body)),
		id, "delivery", err);
}

enum sl_err sl_store_delivery_set_doc(struct sl_tx *tx, int64_t id,
				      const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE deliveries SET doc = $2 WHERE id = $1", NULL, NULL,
		 err, SL_P_INT(id), SL_P_TEXT(doc));
}

/* ---- links ---- */

enum sl_err sl_store_hook_link_get(struct sl_tx *tx, const char *receiver,
				   const char *external_id,
				   int64_t *deployment_id, struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "SELECT deployment_id FROM hook_links WHERE"
				 " receiver = $1 AND external_id = $2",
				 P(SL_P_TEXT(receiver), SL_P_TEXT(external_id)),
				 deployment_id, "link", err);
}

enum sl_err sl_store_hook_link_put(struct sl_tx *tx, const char *receiver,
				   const char *external_id,
				   int64_t deployment_id, struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO hook_links (receiver, external_id, deployment_id)"
		 " VALUES ($1, $2, $3)",
		 NULL, NULL, err, SL_P_TEXT(receiver), SL_P_TEXT(external_id),
		 SL_P_INT(deployment_id));
}

/* ---- matching ---- */

/* s with LIKE's wildcards and the escape character escaped by '\',
 * inside the pattern before%s after. Caller frees. */
static char *like(const char *before, const char *s, const char *after)
{
	struct sl_buf b = {0};

	sl_buf_add_str(&b, before);
	for (const char *p = s; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			sl_buf_add(&b, "\\", 1);
		sl_buf_add(&b, p, 1);
	}
	sl_buf_add_str(&b, after);
	return b.s;
}

enum sl_err sl_store_service_by_repo(struct sl_tx *tx, const char *path,
				     struct sl_docs *out, struct sl_error *err)
{
	/* Documents are canonical JSON, so a repo URL ending in the path
	 * (with or without ".git") is found in the text, letters without
	 * case (hosts compare them so; SQLite's LIKE does, PostgreSQL's does
	 * not, so both sides are lowered); the caller checks each
	 * candidate's URL itself. */
	char *a = like("%\"repo\":\"%/", path, "\"%");
	char *b = like("%\"repo\":\"%/", path, ".git\"%");
	struct sl_db_rows rows = {0};
	enum sl_err rc =
		Q(tx,
		  "SELECT name, doc FROM services WHERE lower(doc) LIKE"
		  " lower($1) ESCAPE '\\' OR lower(doc) LIKE lower($2)"
		  " ESCAPE '\\' ORDER BY name LIMIT 20",
		  &rows, NULL, err, SL_P_TEXT(a), SL_P_TEXT(b));

	free(a);
	free(b);
	return sl__store_docs(rc, &rows, SL_COLS_NAME_DOC, out);
}

enum sl_err sl_store_release_by_ref(struct sl_tx *tx, const char *service,
				    const char *sha, const char *tag,
				    struct sl_docs *out, struct sl_error *err)
{
	/* A commit may be named short on one side and whole on the other:
	 * candidates share its first seven characters; the caller decides. */
	char prefix[8] = "";
	char *a, *b;
	struct sl_db_rows rows = {0};
	enum sl_err rc;

	if (sha && strlen(sha) >= 7)
		memcpy(prefix, sha, 7);
	a = prefix[0] ? like("%\"commit\":\"", prefix, "%") : NULL;
	b = tag && *tag ? like("%\"git_tag\":\"", tag, "\"%") : NULL;
	rc = Q(tx,
	       "SELECT id, doc FROM releases WHERE service = $1 AND"
	       " (doc LIKE $2 ESCAPE '\\' OR doc LIKE $3 ESCAPE '\\')"
	       " ORDER BY id DESC LIMIT 50",
	       &rows, NULL, err, SL_P_TEXT(service), SL_P_TEXT(a),
	       SL_P_TEXT(b));
	free(a);
	free(b);
	return sl__store_docs(rc, &rows, SL_COLS_ID_DOC, out);
}
