/* notify.c - what notifications keep: subscriptions (their channel's
 * secret apart from the document answers show) and the outbox. */
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "store/internal.h"

/* ---- subscriptions ---- */

void sl_subscription_fini(struct sl_subscription *s)
{
	free(s->name);
	if (s->secret)
		memset(s->secret, 0, strlen(s->secret));
	free(s->secret);
	free(s->doc);
	memset(s, 0, sizeof(*s));
}

void sl_subscriptions_fini(struct sl_subscriptions *s)
{
	for (size_t i = 0; i < s->n; i++)
		sl_subscription_fini(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

enum sl_err sl_store_subscription_put(struct sl_tx *tx, const char *name,
				      const char *secret, const char *doc,
				      int64_t now, int64_t *revision,
				      struct sl_error *err)
{
	return sl__store_one_int(
		tx,
		"INSERT INTO subscriptions (name, secret, revision,"
		" created_at, updated_at, doc) VALUES ($1, $2, 1, $3, $3, $4)"
		" ON CONFLICT (name) DO UPDATE SET secret = $2,"
		" revision = subscriptions.revision + 1, updated_at = $3,"
		" doc = $4 RETURNING revision",
		P(SL_P_TEXT(name), SL_P_TEXT(secret), SL_P_INT(now),
		  SL_P_TEXT(doc)),
		revision, "subscription", err);
}

static void subscription_row(const struct sl_db_rows *rows, size_t i,
			     struct sl_subscription *s)
{
	s->name = sl_xstrdup(sl_db_text(rows, i, 0));
	s->secret = sl_xstrdup(sl_db_text(rows, i, 1));
	s->revision = sl_db_int(rows, i, 2);
	s->doc = sl_xstrdup(sl_db_text(rows, i, 3));
}

enum sl_err sl_store_subscription_get(struct sl_tx *tx, const char *name,
				      struct sl_subscription *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = Q(tx,
			   "SELECT name, secret, revision, doc FROM"
			   " subscriptions WHERE name = $1",
			   &rows, NULL, err, SL_P_TEXT(name));

	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows.nrows == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "subscription '%s' not found", name);
	else if (rc == SL_OK)
		subscription_row(&rows, 0, out);
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_subscription_all(struct sl_tx *tx,
				      struct sl_subscriptions *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};
	enum sl_err rc = sl__store_run(tx,
				       "SELECT name, secret, revision, doc"
				       " FROM subscriptions ORDER BY name",
				       NULL, 0, &rows, NULL, err);

	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows.nrows) {
		out->v = sl_xcalloc(rows.nrows, sizeof(*out->v));
		for (size_t i = 0; i < rows.nrows; i++)
			subscription_row(&rows, i, &out->v[i]);
		out->n = rows.nrows;
	}
	sl_db_rows_fini(&rows);
	return rc;
}

enum sl_err sl_store_subscription_list(struct sl_tx *tx, struct sl_docs *out,
				       struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return sl__store_docs(sl__store_run(tx,
					    "SELECT name, doc FROM"
					    " subscriptions ORDER BY name",
					    NULL, 0, &rows, NULL, err),
			      &rows, SL_COLS_NAME_DOC, out);
}

enum sl_err sl_store_subscription_delete(struct sl_tx *tx, const char *name,
					 struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM subscriptions WHERE name = $1",
			   NULL, &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, NULL,
				  "subscription '%s' not found", name);
	return rc;
}

/* ---- the outbox ---- */

#define NOTE_COLS                                                              \
	"id, delivery_key, subscription, event, status, attempts, next_at,"    \
	" created_at, updated_at, sent_at, last_error, payload"

static enum sl_err note_rows(enum sl_err rc, struct sl_db_rows *rows,
			     struct sl_notifications *out)
{
	memset(out, 0, sizeof(*out));
	if (rc == SL_OK && rows->nrows) {
		out->v = sl_xcalloc(rows->nrows, sizeof(*out->v));
		for (size_t i = 0; i < rows->nrows; i++) {
			struct sl_notification *n = &out->v[i];

			n->id = sl_db_int(rows, i, 0);
			n->key = sl_xstrdup(sl_db_text(rows, i, 1));
			n->subscription = sl_xstrdup(sl_db_text(rows, i, 2));
			n->event = sl_xstrdup(sl_db_text(rows, i, 3));
			n->status = sl_xstrdup(sl_db_text(rows, i, 4));
			n->attempts = sl_db_int(rows, i, 5);
			n->next_at = sl_db_int(rows, i, 6);
			n->created_at = sl_db_int(rows, i, 7);
			n->updated_at = sl_db_int(rows, i, 8);
			n->sent_at = sl_db_int(rows, i, 9);
			n->last_error = sl_xstrdup(sl_db_text(rows, i, 10));
			n->payload = sl_xstrdup(sl_db_text(rows, i, 11));
		}
		out->n = rows->nrows;
	}
	sl_db_rows_fini(rows);
	return rc;
}

void sl_notifications_fini(struct sl_notifications *n)
{
	for (size_t i = 0; i < n->n; i++) {
		free(n->v[i].key);
		free(n->v[i].subscription);
		free(n->v[i].event);
		free(n->v[i].status);
		free(n->v[i].last_error);
		free(n->v[i].payload);
	}
	free(n->v);
	memset(n, 0, sizeof(*n));
}

enum sl_err sl_store_notification_add(struct sl_tx *tx, const char *key,
				      const char *subscription,
				      const char *event, const char *payload,
				      int64_t now, int *added,
				      struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(
		tx,
		"INSERT INTO notifications (delivery_key, subscription, event,"
		" status, attempts, next_at, created_at, updated_at, sent_at,"
		" last_error, payload) VALUES ($1, $2, $3, 'pending', 0, $4,"
		" $4, $4, 0, '', $5) ON CONFLICT (delivery_key) DO NOTHING",
		NULL, &changes, err, SL_P_TEXT(key), SL_P_TEXT(subscription),
		SL_P_TEXT(event), SL_P_INT(now), SL_P_TEXT(payload));

	*added = rc == SL_OK && changes > 0;
	return rc;
}

enum sl_err sl_store_notification_seen(struct sl_tx *tx, const char *key_base,
				       int64_t *seen, struct sl_error *err)
{
	/* LIKE with the wildcards escaped: exact on PostgreSQL; SQLite's
	 * ignores the case of ASCII letters, and sweep keys are lower case
	 * words and numbers. */
	struct sl_buf b = {0};
	enum sl_err rc;

	for (const char *p = key_base; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			sl_buf_add(&b, "\\", 1);
		sl_buf_add(&b, p, 1);
	}
	sl_buf_add_str(&b, ":%");
	rc = sl__store_one_int(tx,
			       "SELECT COUNT(*) FROM notifications WHERE"
			       " delivery_key LIKE $1 ESCAPE '\\'",
			       P(SL_P_TEXT(b.s)), seen, "notification", err);
	free(b.s);
	return rc;
}

enum sl_err sl_store_notification_due(struct sl_tx *tx, int64_t now,
				      int64_t limit,
				      struct sl_notifications *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return note_rows(Q(tx,
			   "SELECT " NOTE_COLS " FROM notifications WHERE"
			   " status = 'pending' AND next_at <= $1"
			   " ORDER BY next_at, id LIMIT $2",
			   &rows, NULL, err, SL_P_INT(now), SL_P_INT(limit)),
			 &rows, out);
}

enum sl_err sl_store_notification_claim(struct sl_tx *tx, int64_t id,
					int64_t attempts, int64_t until,
					int64_t now, int *claimed,
					struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE notifications SET attempts = attempts + 1,"
			   " next_at = $3, updated_at = $4 WHERE id = $1 AND"
			   " status = 'pending' AND attempts = $2",
			   NULL, &changes, err, SL_P_INT(id),
			   SL_P_INT(attempts), SL_P_INT(until), SL_P_INT(now));

	*claimed = rc == SL_OK && changes > 0;
	return rc;
}

enum sl_err sl_store_notification_record(struct sl_tx *tx, int64_t id,
					 const char *status, int64_t next_at,
					 const char *error, int64_t sent_at,
					 int64_t now, struct sl_error *err)
{
	return Q(tx,
		 "UPDATE notifications SET status = $2, next_at = $3,"
		 " last_error = $4, sent_at = $5, updated_at = $6"
		 " WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(status),
		 SL_P_INT(next_at), SL_P_TEXT(error ? error : ""),
		 SL_P_INT(sent_at), SL_P_INT(now));
}

enum sl_err sl_store_notification_list(struct sl_tx *tx, const char *status,
				       const char *subscription,
				       int64_t before_id, int64_t limit,
				       struct sl_notifications *out,
				       struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return note_rows(
		Q(tx,
		  "SELECT " NOTE_COLS " FROM notifications WHERE"
		  " ($1 = 0 OR id < $1) AND ($2 = '' OR status = $2) AND"
		  " ($3 = '' OR subscription = $3) ORDER BY id DESC LIMIT $4",
		  &rows, NULL, err, SL_P_INT(before_id),
		  SL_P_TEXT(status ? status : ""),
		  SL_P_TEXT(subscription ? subscription : ""), SL_P_INT(limit)),
		&rows, out);
}

enum sl_err sl_store_notification_get(struct sl_tx *tx, int64_t id,
				      struct sl_notifications *out,
				      struct sl_error *err)
{
	struct sl_db_rows rows = {0};

	return note_rows(Q(tx,
			   "SELECT " NOTE_COLS " FROM notifications"
			   " WHERE id = $1",
			   &rows, NULL, err, SL_P_INT(id)),
			 &rows, out);
}

enum sl_err sl_store_notification_requeue(struct sl_tx *tx, int64_t id,
					  int64_t now, struct sl_error *err)
{
	return Q(tx,
		 "UPDATE notifications SET status = 'pending', attempts = 0,"
		 " next_at = $2, sent_at = 0, updated_at = $2 WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_INT(now));
}
