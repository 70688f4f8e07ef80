/* pg.c - the PostgreSQL driver over libpq.
 *
 * Parameters travel as text with explicit types (int8 or text), so one
 * portable SQL text means the same thing on both engines. Writers of
 * every daemon run side by side, each write transaction SERIALIZABLE:
 * the engine keeps their outcome that of some order one at a time, as on
 * SQLite, and undoes a transaction that would break it (SQLSTATE 40001,
 * reported as transient, so the request is run again). No lock is held
 * across a write: audit entries are numbered after commit by the
 * cluster's sequencer (store/audit.c). A connection that breaks reports
 * SL_EUNAVAIL and is reset on its next use. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/db.h"

#define INT8OID 20
#define TEXTOID 25

struct conn {
	PGconn *pg;
};

static enum sl_err pg_fail(struct conn *c, PGresult *res, struct sl_error *err)
{
	const char *state =
		res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg =
		res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg);

	if (PQstatus(c->pg) != CONNECTION_OK)
		return sl_error_set(err, SL_EUNAVAIL, "",
				    "the database connection is lost: %s",
				    PQerrorMessage(c->pg));
	if (state && strcmp(state, "23505") == 0)
		return sl_error_set(err, SL_ECONFLICT, "",
				    "the object already exists");
	/* Two writers ran into each other; the engine undid this one.
	 * The request is run again (the http layer), never half kept. */
	if (state &&
	    (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)) {
		sl_error_set(err, SL_EUNAVAIL, "",
			     "a concurrent write got in the way; retry");
		if (err)
			err->transient = 1;
		return SL_EUNAVAIL;
	}
	/* A broken constraint is a bug of ours; anything else (a lost
	 * connection, a timeout, a serialization failure, a missing table,
	 * a read-only server) means the store cannot answer now, and no
	 * decision is made. */
	if (state && strncmp(state, "23", 2) == 0)
		return sl_error_set(err, SL_EINTERNAL, "", "postgresql: %s",
				    msg);
	return sl_error_set(err, SL_EUNAVAIL, "",
			    "the database cannot answer: %s", msg);
}

static enum sl_err pg_open(const char *uri, void **out, struct sl_error *err)
{
	struct conn *c = sl_xcalloc(1, sizeof(*c));

	c->pg = PQconnectdb(uri);
	if (PQstatus(c->pg) != CONNECTION_OK) {
		enum sl_err e = sl_error_set(err, SL_EUNAVAIL, "db",
					     "cannot connect to PostgreSQL: %s",
					     PQerrorMessage(c->pg));
		PQfinish(c->pg);
		free(c);
		return e;
	}
	PQclear(PQexec(c->pg, "SET client_min_messages = warning"));
	*out = c;
	return SL_OK;
}

static void pg_close(void *p)
{
	struct conn *c = p;

	if (!c)
		return;
	PQfinish(c->pg);
	free(c);
}

/* Re-establishes a broken connection; 0 when it is usable. */
static int pg_ensure(struct conn *c)
{
	if (PQstatus(c->pg) == CONNECTION_OK)
		return 0;
	PQreset(c->pg);
	return PQstatus(c->pg) == CONNECTION_OK ? 0 : -1;
}

/* Runs one statement without parameters or rows. */
static enum sl_err simple(struct conn *c, const char *sql, struct sl_error *err)
{
	PGresult *res = PQexec(c->pg, sql);
	enum sl_err rc = SL_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(c, res, err);
	PQclear(res);
	return rc;
}

static enum sl_err pg_exec(void *p, const char *sql,
			   const struct sl_db_val *params, size_t nparams,
			   unsigned flags, struct sl_db_rows *out,
			   int64_t *changes, struct sl_error *err)
{
	struct conn *c = p;
	Oid types[32];
	const char *values[32];
	char nums[32][24];
	PGresult *res;
	enum sl_err rc = SL_OK;
	ExecStatusType st;
	int guard;

	SL_ASSERT(nparams <= 32);
	if (out)
		memset(out, 0, sizeof(*out));
	if (pg_ensure(c))
		return pg_fail(c, NULL, err);
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].type == SL_DB_INT) {
			snprintf(nums[i], sizeof(nums[i]), "%lld",
				 (long long)params[i].i);
			values[i] = nums[i];
			types[i] = INT8OID;
		} else if (params[i].type == SL_DB_TEXT) {
			values[i] = params[i].s;
			types[i] = TEXTOID;
		} else {
			values[i] = NULL;
			types[i] = 0;
		}
	}
	/* A failing statement aborts a whole PostgreSQL transaction, where
	 * SQLite fails only the statement. The store marks the statements
	 * whose failure its caller may carry on from (a unique violation
	 * turned into SL_ECONFLICT); a savepoint around those keeps the
	 * transaction usable. */
	guard = (flags & SL_DB_GUARD) &&
		PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
	if (guard && (rc = simple(c, "SAVEPOINT sl_stmt", err)))
		return rc;
	res = PQexecParams(c->pg, sql, (int)nparams, types, values, NULL, NULL,
			   0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		rc = pg_fail(c, res, err);
		PQclear(res);
		if (guard && PQstatus(c->pg) == CONNECTION_OK)
			PQclear(PQexec(c->pg, "ROLLBACK TO SAVEPOINT sl_stmt"));
		return rc;
	}
	if (guard && (rc = simple(c, "RELEASE SAVEPOINT sl_stmt", err))) {
		PQclear(res);
		return rc;
	}
	if (out && st == PGRES_TUPLES_OK) {
		out->nrows = (size_t)PQntuples(res);
		out->ncols = (size_t)PQnfields(res);
		out->cells =
			sl_xcalloc(out->nrows * out->ncols + 1, sizeof(char *));
		for (size_t r = 0; r < out->nrows; r++)
			for (size_t k = 0; k < out->ncols; k++)
				if (!PQgetisnull(res, (int)r, (int)k))
					out->cells[r * out->ncols + k] =
						sl_xstrdup(PQgetvalue(
							res, (int)r, (int)k));
	}
	if (changes) {
		const char *n = PQcmdTuples(res);
		*changes = *n ? strtoll(n, NULL, 10) : 0;
	}
	PQclear(res);
	return rc;
}

static enum sl_err pg_script(void *p, const char *sql, struct sl_error *err)
{
	struct conn *c = p;
	PGresult *res;
	enum sl_err rc = SL_OK;

	if (pg_ensure(c))
		return pg_fail(c, NULL, err);
	res = PQexec(c->pg, sql);
	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = pg_fail(c, res, err);
	PQclear(res);
	return rc;
}

static enum sl_err pg_begin(void *p, struct sl_error *err)
{
	return pg_script(p, "BEGIN ISOLATION LEVEL SERIALIZABLE", err);
}

/* Any constant shared by all daemons on the database. */
#define EXCLUSIVE_KEY 7081990

/* READ COMMITTED: each statement reads what was committed when it ran,
 * so after the lock is held, everything the previous holder wrote. (A
 * SERIALIZABLE snapshot would be taken by the lock's own statement,
 * before the wait.) */
static enum sl_err pg_begin_exclusive(void *p, struct sl_error *err)
{
	char sql[96];
	enum sl_err rc =
		pg_script(p, "BEGIN ISOLATION LEVEL READ COMMITTED", err);

	if (rc)
		return rc;
	snprintf(sql, sizeof(sql), "SELECT pg_advisory_xact_lock(%d)",
		 EXCLUSIVE_KEY);
	rc = pg_script(p, sql, err);
	if (rc)
		pg_script(p, "ROLLBACK", NULL);
	return rc;
}

/* Session-level: taken before BEGIN, so the transaction's snapshot is
 * taken once the previous writer of the object has committed. */
static enum sl_err pg_lock_object(void *p, int64_t key, struct sl_error *err)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_lock(%lld)",
		 (long long)key);
	return pg_script(p, sql, err);
}

static void pg_unlock_object(void *p, int64_t key)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "SELECT pg_advisory_unlock(%lld)",
		 (long long)key);
	pg_script(p, sql, NULL);
}

static enum sl_err pg_commit(void *p, struct sl_error *err)
{
	struct conn *c = p;
	PGresult *res;
	enum sl_err rc = SL_OK;

	/* COMMIT of a transaction that an error aborted answers "ROLLBACK"
	 * with success; that is a failed commit. */
	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) == PQTRANS_INERROR) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		return sl_error_set(err, SL_EINTERNAL, "",
				    "postgresql: the transaction failed and "
				    "was rolled back");
	}
	res = PQexec(c->pg, "COMMIT");
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_fail(c, res, err);
	else if (strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = sl_error_set(err, SL_EINTERNAL, "",
				  "postgresql: COMMIT answered %s",
				  PQcmdStatus(res));
	PQclear(res);
	return rc;
}

static void pg_rollback(void *p)
{
	struct conn *c = p;

	if (PQstatus(c->pg) == CONNECTION_OK &&
	    PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
}

static int pg_healthy(void *p)
{
	struct conn *c = p;

	return PQstatus(c->pg) == CONNECTION_OK &&
	       PQtransactionStatus(c->pg) == PQTRANS_IDLE;
}

static int pg_try_lock(void *p, int64_t key)
{
	struct conn *c = p;
	char sql[96];
	PGresult *res;
	int got;

	if (pg_ensure(c))
		return -1;
	snprintf(sql, sizeof(sql), "SELECT pg_try_advisory_lock(%lld)",
		 (long long)key);
	res = PQexec(c->pg, sql);
	got = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	      strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		got = -1;
	PQclear(res);
	return got;
}

const struct sl_db_ops sl_db_pg = {
	.name = "postgresql",
	.id_pk = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
	.open = pg_open,
	.close = pg_close,
	.begin = pg_begin,
	.commit = pg_commit,
	.rollback = pg_rollback,
	.exec = pg_exec,
	.exec_script = pg_script,
	.begin_exclusive = pg_begin_exclusive,
	.lock_object = pg_lock_object,
	.unlock_object = pg_unlock_object,
	.healthy = pg_healthy,
	.try_lock = pg_try_lock,
};
