/* store.c - connections, transactions, group commit, migrations and the
 * statement runner every query goes through.
 *
 * The queries live beside the objects they keep: catalog.c (services,
 * environments), releases.c, deployments.c (deployments, placements,
 * events), tokens.c, audit.c (audit log, idempotency), governance.c, with
 * what they share in query.c. Each query is one portable SQL text with
 * $1..$N parameters; optional filters are written "(CAST($n AS TEXT) IS
 * NULL OR col = $n)" so one prepared statement serves every combination. */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"
#include "store/migrations.h"

#define POOL_MAX 64

struct sl_store {
	const struct sl_db_ops *ops;
	char *uri;
	pthread_mutex_t lock; /* guards pool */
	void *pool[POOL_MAX];
	size_t npool;
	/* SQLite has one writer at a time; taking the lock here instead of
	 * spinning on SQLITE_BUSY keeps writers in arrival order. */
	pthread_mutex_t write_lock;
	int schema_version;
	/* The connection that holds the leadership lock, when held. */
	void *leader;
	pthread_mutex_t leader_lock;
	int leader_held;     /* the last answer of sl_store_leader_try */
	struct group *group; /* grouped writes, on SQLite */
	/* A connection kept only to read the data version (SQLite). */
	void *probe;
	/* Counts sl_store_tick calls; a read snapshot remembers the tick it
	 * began in. */
	uint64_t ticks;
	/* The last write failed because the store could not take it (a full
	 * disk, an I/O error, a read-only file, a lost server); cleared by
	 * the next write that commits. */
	int write_broken;
};

static void write_outcome(struct sl_store *st, enum sl_err rc)
{
	if (rc == SL_OK || rc == SL_EUNAVAIL)
		__atomic_store_n(&st->write_broken, rc == SL_EUNAVAIL,
				 __ATOMIC_RELAXED);
}

/* Ends the shared read snapshots of the pooled connections that began
 * before tick `before` (all of them after a write), so an idle connection
 * never holds the write-ahead log back from a checkpoint. */
static void pool_expire(struct sl_store *st, uint64_t before)
{
	if (!st->ops->read_expire)
		return;
	pthread_mutex_lock(&st->lock);
	for (size_t i = 0; i < st->npool; i++)
		st->ops->read_expire(st->pool[i], before);
	pthread_mutex_unlock(&st->lock);
}

/* Called once a COMMIT that wrote has returned: the snapshots of idle
 * connections are stale now, and would keep the log from a checkpoint. */
static void wrote(struct sl_store *st)
{
	pool_expire(st, UINT64_MAX);
}

void sl_store_tick(struct sl_store *st)
{
	/* Snapshots begun before the previous tick have been idle for at
	 * least one tick's interval. */
	pool_expire(st, __atomic_fetch_add(&st->ticks, 1, __ATOMIC_RELAXED));
}

int sl_store_data_version(struct sl_store *st,
			  unsigned char out[SL_DATA_VERSION_LEN])
{
	return st->probe && st->ops->data_version(st->probe, out);
}

enum sl_err sl__store_run_at(const char *fn, struct sl_tx *tx, const char *sql,
			     const struct sl_db_val *p, size_t n,
			     struct sl_db_rows *out, int64_t *changes,
			     struct sl_error *err)
{
	return sl__store_run_flags_at(fn, tx, sql, p, n, 0, out, changes, err);
}

enum sl_err sl__store_run_flags_at(const char *fn, struct sl_tx *tx,
				   const char *sql, const struct sl_db_val *p,
				   size_t n, unsigned flags,
				   struct sl_db_rows *out, int64_t *changes,
				   struct sl_error *err)
{
	enum sl_err rc = SL_FAULT(fn, sql, err);

	if (rc) {
		if (out)
			memset(out, 0, sizeof(*out));
	} else {
		rc = tx->st->ops->exec(tx->conn, sql, p, n, flags, out, changes,
				       err);
	}
	if (rc == SL_EUNAVAIL && tx->write)
		write_outcome(tx->st, rc);
	return rc;
}

/* Runs a query expected to answer at most one row and copies its first
 * column; SL_ENOTFOUND (with what in the message) when there is none. */
enum sl_err sl__store_one_text_at(const char *fn, unsigned flags,
				  struct sl_tx *tx, const char *sql,
				  const struct sl_db_val *p, size_t n,
				  char **text, int64_t *second,
				  const char *what, struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = sl__store_run_flags_at(fn, tx, sql, p, n, flags, &rows,
						NULL, err);

	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "", "%s not found",
				    what);
	}
	if (text) {
		const char *t = sl_db_text(&rows, 0, 0);
		*text = t ? sl_xstrdup(t) : NULL;
	}
	if (second && rows.ncols > 1)
		*second = sl_db_int(&rows, 0, 1);
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl__store_one_int_at(const char *fn, unsigned flags,
				 struct sl_tx *tx, const char *sql,
				 const struct sl_db_val *p, size_t n,
				 int64_t *v, const char *what,
				 struct sl_error *err)
{
	char *t = NULL;
	enum sl_err rc = sl__store_one_text_at(fn, flags, tx, sql, p, n, &t,
					       NULL, what, err);

	if (rc == SL_OK) {
		*v = t ? strtoll(t, NULL, 10) : 0;
		free(t);
	}
	return rc;
}

/* ---- connections and transactions ---- */

static enum sl_err conn_get(struct sl_store *st, void **conn,
			    struct sl_error *err)
{
	pthread_mutex_lock(&st->lock);
	if (st->npool > 0) {
		*conn = st->pool[--st->npool];
		pthread_mutex_unlock(&st->lock);
		return SL_OK;
	}
	pthread_mutex_unlock(&st->lock);
	return st->ops->open(st->uri, conn, err);
}

static void conn_put(struct sl_store *st, void *conn)
{
	pthread_mutex_lock(&st->lock);
	if (st->npool < POOL_MAX) {
		st->pool[st->npool++] = conn;
		conn = NULL;
	}
	pthread_mutex_unlock(&st->lock);
	if (conn)
		st->ops->close(conn);
}

/* Gives a connection back, or closes it when it is broken or still in a
 * transaction, so the pool only ever holds clean connections. */
static void conn_release(struct sl_store *st, void *conn)
{
	if (st->ops->healthy(conn))
		conn_put(st, conn);
	else
		st->ops->close(conn);
}

/* ---- group commit (SQLite) ----
 *
 * SQLite has one writer, and a durable commit costs an fsync. Writes that
 * arrive together therefore share one transaction on one dedicated
 * connection: each write runs inside its own SAVEPOINT (so a failing
 * write rolls back alone), then waits while the writers queued behind it
 * add theirs; the last of the group COMMITs and wakes everyone. No write
 * is acknowledged before the COMMIT that holds it has returned. */

#define GROUP_MAX 64
#define RESULTS	  64

struct group {
	pthread_mutex_t mu;
	pthread_cond_t turn; /* the writer slot is free */
	pthread_cond_t done; /* a group was committed */
	void *conn;
	int active;	    /* a writer holds the connection */
	int waiting;	    /* writers queued for it */
	int open;	    /* the shared transaction has begun */
	int members;	    /* released savepoints awaiting COMMIT */
	uint64_t gen;	    /* the group being filled */
	uint64_t committed; /* the last group whose COMMIT returned */
	int batch;	    /* a batch owns the slot (sl_store_batch_*) */
	pthread_t batch_owner;
	uint64_t commits; /* COMMITs issued */
	uint64_t writes;  /* writes that joined a group */
	enum sl_err result[RESULTS];
	struct sl_error error[RESULTS];
};

static enum sl_err group_leave(struct sl_store *st, struct sl_tx *tx,
			       int joined, struct sl_error *err);

static enum sl_err group_begin(struct sl_store *st, struct sl_tx *tx,
			       struct sl_error *err)
{
	struct group *g = st->group;
	enum sl_err rc = SL_OK;

	pthread_mutex_lock(&g->mu);
	if (!(g->batch && pthread_equal(g->batch_owner, pthread_self()))) {
		g->waiting++;
		while (g->active)
			pthread_cond_wait(&g->turn, &g->mu);
		g->waiting--;
		g->active = 1;
	}
	pthread_mutex_unlock(&g->mu);
	if (!g->open) {
		rc = st->ops->begin(g->conn, err);
		if (rc == SL_OK) {
			g->open = 1;
			g->gen++;
		}
	}
	if (rc == SL_OK)
		rc = st->ops->exec_script(g->conn, "SAVEPOINT w", err);
	if (rc) {
		/* Hand the slot on (or flush the writers already waiting for
		 * their COMMIT) without joining. */
		tx->group = g->gen;
		group_leave(st, tx, 0, NULL);
		return rc;
	}
	tx->conn = g->conn;
	tx->group = g->gen;
	return SL_OK;
}

/* Commits the open group (or rolls it back when it holds nothing) and
 * wakes its members. Called by the writer holding the slot. */
static void group_flush(struct sl_store *st)
{
	struct group *g = st->group;
	struct sl_error e = {0};
	enum sl_err rc = SL_OK;

	if (g->members > 0) {
		__atomic_fetch_add(&g->commits, 1, __ATOMIC_RELAXED);
		__atomic_fetch_add(&g->writes, (uint64_t)g->members,
				   __ATOMIC_RELAXED);
		rc = st->ops->commit(g->conn, &e);
		if (rc)
			st->ops->rollback(g->conn);
		else
			wrote(st);
		write_outcome(st, rc);
	} else {
		st->ops->rollback(g->conn);
	}
	pthread_mutex_lock(&g->mu);
	g->open = 0;
	g->members = 0;
	g->result[g->gen % RESULTS] = rc;
	g->error[g->gen % RESULTS] = e;
	g->committed = g->gen;
	pthread_cond_broadcast(&g->done);
	g->active = 0;
	pthread_cond_signal(&g->turn);
	pthread_mutex_unlock(&g->mu);
}

/* Hands the writer slot on: to a queued writer when there is one and the
 * group has room, else commits the group. joined says whether this
 * writer's work is in the group and must wait for its COMMIT. */
static enum sl_err group_leave(struct sl_store *st, struct sl_tx *tx,
			       int joined, struct sl_error *err)
{
	struct group *g = st->group;
	enum sl_err rc;

	pthread_mutex_lock(&g->mu);
	if (joined)
		g->members++;
	if (g->batch && pthread_equal(g->batch_owner, pthread_self())) {
		/* Inside a batch the owner keeps the slot; the batch's end
		 * commits and reports. */
		pthread_mutex_unlock(&g->mu);
		return SL_OK;
	}
	if (g->waiting > 0 && g->members < GROUP_MAX) {
		g->active = 0;
		pthread_cond_signal(&g->turn);
		if (!joined) {
			pthread_mutex_unlock(&g->mu);
			return SL_OK;
		}
		while (g->committed < tx->group)
			pthread_cond_wait(&g->done, &g->mu);
		rc = g->result[tx->group % RESULTS];
		if (rc && err)
			*err = g->error[tx->group % RESULTS];
		pthread_mutex_unlock(&g->mu);
		return rc;
	}
	pthread_mutex_unlock(&g->mu);
	group_flush(st);
	if (!joined)
		return SL_OK;
	pthread_mutex_lock(&g->mu);
	rc = g->result[tx->group % RESULTS];
	if (rc && err)
		*err = g->error[tx->group % RESULTS];
	pthread_mutex_unlock(&g->mu);
	return rc;
}

int sl_store_grouped(const struct sl_store *st)
{
	return st->group != NULL;
}

int sl__store_single_writer(const struct sl_tx *tx)
{
	return tx->st->ops->single_writer;
}

int sl_store_numbers_at_once(const struct sl_store *st)
{
	return st->ops->single_writer;
}

int sl_store_batch_begin(struct sl_store *st)
{
	struct group *g = st->group;

	if (!g)
		return 0;
	pthread_mutex_lock(&g->mu);
	g->waiting++;
	while (g->active)
		pthread_cond_wait(&g->turn, &g->mu);
	g->waiting--;
	g->active = 1;
	g->batch = 1;
	g->batch_owner = pthread_self();
	pthread_mutex_unlock(&g->mu);
	return 1;
}

enum sl_err sl_store_batch_end(struct sl_store *st, struct sl_error *err)
{
	struct group *g = st->group;
	uint64_t gen;
	enum sl_err rc;

	pthread_mutex_lock(&g->mu);
	g->batch = 0;
	gen = g->gen;
	pthread_mutex_unlock(&g->mu);
	group_flush(st);
	pthread_mutex_lock(&g->mu);
	rc = g->result[gen % RESULTS];
	if (rc && err)
		*err = g->error[gen % RESULTS];
	pthread_mutex_unlock(&g->mu);
	return rc;
}

/* The lock key of an object's name: FNV-1a, in a range of its own (bit
 * 62 set) apart from the daemons' few fixed keys. */
static int64_t object_key(const char *object)
{
	uint64_t h = 14695981039346656037u;

	for (const unsigned char *p = (const unsigned char *)object; *p; p++)
		h = (h ^ *p) * 1099511628211u;
	return (int64_t)((h & ((1ull << 62) - 1)) | (1ull << 62));
}

/* Lets the object lock of tx go, if it holds one. */
static void object_release(struct sl_tx *tx)
{
	if (tx->object_key)
		tx->st->ops->unlock_object(tx->conn, tx->object_key);
	tx->object_key = 0;
}

static enum sl_err begin(struct sl_store *st, int write, int exclusive,
			 const char *object, struct sl_tx *tx,
			 struct sl_error *err)
{
	enum sl_err rc;

	tx->st = st;
	tx->write = write;
	tx->conn = NULL;
	tx->group = 0;
	tx->object_key = 0;
	rc = SL_FAULT(write ? "begin.write" : "begin.read", NULL, err);
	if (rc)
		return rc;
	if (write && st->group)
		return group_begin(st, tx, err);
	rc = conn_get(st, &tx->conn, err);
	if (rc)
		return rc;
	if (!write) {
		if (st->ops->read_enter)
			st->ops->read_enter(
				tx->conn,
				__atomic_load_n(&st->ticks, __ATOMIC_RELAXED));
		return SL_OK;
	}
	/* One writer at a time where the engine takes no more; elsewhere
	 * writers run side by side and the engine keeps them apart. */
	if (st->ops->single_writer)
		pthread_mutex_lock(&st->write_lock);
	if (object && st->ops->lock_object) {
		int64_t key = object_key(object);

		rc = st->ops->lock_object(tx->conn, key, err);
		if (rc) {
			conn_release(st, tx->conn);
			tx->conn = NULL;
			return rc;
		}
		tx->object_key = key;
	}
	rc = exclusive && st->ops->begin_exclusive
		     ? st->ops->begin_exclusive(tx->conn, err)
		     : st->ops->begin(tx->conn, err);
	if (rc) {
		if (st->ops->single_writer)
			pthread_mutex_unlock(&st->write_lock);
		object_release(tx);
		conn_release(st, tx->conn);
		tx->conn = NULL;
	}
	return rc;
}

enum sl_err sl_store_begin(struct sl_store *st, int write, struct sl_tx *tx,
			   struct sl_error *err)
{
	return begin(st, write, 0, NULL, tx, err);
}

enum sl_err sl_store_begin_on(struct sl_store *st, const char *object,
			      struct sl_tx *tx, struct sl_error *err)
{
	return begin(st, 1, 0, object, tx, err);
}

enum sl_err sl_store_begin_exclusive(struct sl_store *st, struct sl_tx *tx,
				     struct sl_error *err)
{
	return begin(st, 1, 1, NULL, tx, err);
}

enum sl_err sl_store_commit(struct sl_tx *tx, struct sl_error *err)
{
	enum sl_err rc = SL_OK;

	if (!tx->conn)
		return SL_OK;
	if (tx->write && tx->st->group) {
		enum sl_err rel = SL_FAULT("commit", NULL, err);

		if (rel == SL_OK)
			rel = tx->st->ops->exec_script(tx->conn, "RELEASE w",
						       err);

		if (rel) {
			tx->st->ops->exec_script(tx->conn, "ROLLBACK TO w",
						 NULL);
			tx->st->ops->exec_script(tx->conn, "RELEASE w", NULL);
		}
		rc = group_leave(tx->st, tx, rel == SL_OK, err);
		tx->conn = NULL;
		write_outcome(tx->st, rel ? rel : rc);
		return rel ? rel : rc;
	}
	if (tx->write) {
		rc = SL_FAULT("commit", NULL, err);
		if (rc == SL_OK)
			rc = tx->st->ops->commit(tx->conn, err);
		if (rc)
			tx->st->ops->rollback(tx->conn);
		if (tx->st->ops->single_writer)
			pthread_mutex_unlock(&tx->st->write_lock);
		object_release(tx);
		if (!rc)
			wrote(tx->st);
		write_outcome(tx->st, rc);
	}
	conn_release(tx->st, tx->conn);
	tx->conn = NULL;
	return rc;
}

void sl_store_abort(struct sl_tx *tx)
{
	if (!tx->conn)
		return;
	if (tx->write && tx->st->group) {
		tx->st->ops->exec_script(tx->conn, "ROLLBACK TO w", NULL);
		tx->st->ops->exec_script(tx->conn, "RELEASE w", NULL);
		group_leave(tx->st, tx, 0, NULL);
		tx->conn = NULL;
		return;
	}
	if (tx->write) {
		tx->st->ops->rollback(tx->conn);
		if (tx->st->ops->single_writer)
			pthread_mutex_unlock(&tx->st->write_lock);
		object_release(tx);
	}
	conn_release(tx->st, tx->conn);
	tx->conn = NULL;
}

enum sl_err sl_store_ping(struct sl_store *st, struct sl_error *err)
{
	struct sl_tx tx;
	int64_t one = 0;
	enum sl_err rc = sl_store_begin(st, 0, &tx, err);

	if (rc)
		return rc;
	rc = sl__store_one_int(&tx, "SELECT 1", NULL, 0, &one, "row", err);
	sl_store_abort(&tx);
	return rc;
}

enum sl_err sl_store_ready(struct sl_store *st, struct sl_error *err)
{
	struct sl_tx tx;
	enum sl_err rc = sl_store_ping(st, err);

	if (rc || !__atomic_load_n(&st->write_broken, __ATOMIC_RELAXED))
		return rc;
	/* Writes failed last time: only a write that commits says they
	 * work again. This one moves the first migration's time by a
	 * microsecond (an engine may skip a row written to itself). */
	rc = sl_store_begin_exclusive(st, &tx, err);
	if (rc)
		return rc;
	rc = Q(&tx,
	       "UPDATE schema_migrations SET applied_at = applied_at + 1"
	       " WHERE version = $1",
	       NULL, NULL, err, SL_P_INT(1));
	if (rc) {
		sl_store_abort(&tx);
		return rc;
	}
	return sl_store_commit(&tx, err);
}

/* Replaces every "{ID_PK}" in sql with the driver's spelling. Caller
 * frees. */
static char *expand_ddl(const char *sql, const char *id_pk)
{
	static const char mark[] = "{ID_PK}";
	size_t cap = strlen(sql) * 2 + 64, len = 0;
	char *out = sl_xmalloc(cap);
	const char *p = sql, *hit;

	while ((hit = strstr(p, mark))) {
		size_t a = (size_t)(hit - p), b = strlen(id_pk);

		if (len + a + b + 1 > cap)
			out = sl_xrealloc(out, cap = (len + a + b) * 2 + 1);
		memcpy(out + len, p, a);
		memcpy(out + len + a, id_pk, b);
		len += a + b;
		p = hit + sizeof(mark) - 1;
	}
	if (len + strlen(p) + 1 > cap)
		out = sl_xrealloc(out, len + strlen(p) + 1);
	memcpy(out + len, p, strlen(p) + 1);
	return out;
}

/* The text of migration m the store's engine runs. */
static const char *migration_sql(const struct sl_store *st,
				 const struct sl_migration *m)
{
	if (sl_store_is_pg(st->uri))
		for (size_t i = 0; i < sl_migrations_pg_count; i++)
			if (sl_migrations_pg[i].version == m->version)
				return sl_migrations_pg[i].sql;
	return m->sql;
}

/* Applies every migration above the stored version, each in its own
 * write transaction, so a crash leaves the schema at a whole version. */
static enum sl_err migrate(struct sl_store *st, struct sl_error *err)
{
	struct sl_tx tx;
	enum sl_err rc;

	rc = sl_store_begin_exclusive(st, &tx, err);
	if (rc)
		return rc;
	rc = st->ops->exec_script(tx.conn,
				  "CREATE TABLE IF NOT EXISTS schema_migrations"
				  " (version BIGINT PRIMARY KEY,"
				  " applied_at BIGINT NOT NULL)",
				  err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	if (rc)
		return rc;

	for (size_t i = 0; i < sl_migrations_count; i++) {
		const struct sl_migration *m = &sl_migrations[i];
		int64_t done = 0;
		char *ddl;

		rc = sl_store_begin_exclusive(st, &tx, err);
		if (rc)
			return rc;
		rc = sl__store_one_int(
			&tx,
			"SELECT COUNT(*) FROM schema_migrations"
			" WHERE version = $1",
			(const struct sl_db_val[]){SL_P_INT(m->version)}, 1,
			&done, "migration", err);
		if (rc == SL_OK && !done) {
			ddl = expand_ddl(migration_sql(st, m), st->ops->id_pk);
			rc = st->ops->exec_script(tx.conn, ddl, err);
			free(ddl);
			if (rc == SL_OK)
				rc = Q(&tx,
				       "INSERT INTO schema_migrations"
				       " (version, applied_at) VALUES ($1, $2)",
				       NULL, NULL, err, SL_P_INT(m->version),
				       SL_P_INT((int64_t)time(NULL) * 1000000));
		}
		if (rc) {
			sl_store_abort(&tx);
			return rc;
		}
		rc = sl_store_commit(&tx, err);
		if (rc)
			return rc;
		st->schema_version = m->version;
	}
	return SL_OK;
}

int sl_store_is_pg(const char *uri)
{
	return strncmp(uri, "postgresql://", 13) == 0 ||
	       strncmp(uri, "postgres://", 11) == 0;
}

enum sl_err sl_store_open(const char *uri, struct sl_store **out,
			  struct sl_error *err)
{
	struct sl_store *st;
	enum sl_err rc;

	st = sl_xcalloc(1, sizeof(*st));
	st->ops = sl_store_is_pg(uri) ? &sl_db_pg : &sl_db_sqlite;
	st->uri = sl_xstrdup(uri);
	pthread_mutex_init(&st->lock, NULL);
	pthread_mutex_init(&st->write_lock, NULL);
	pthread_mutex_init(&st->leader_lock, NULL);
	if (st->ops->single_writer) {
		st->group = sl_xcalloc(1, sizeof(*st->group));
		pthread_mutex_init(&st->group->mu, NULL);
		pthread_cond_init(&st->group->turn, NULL);
		pthread_cond_init(&st->group->done, NULL);
		rc = st->ops->open(st->uri, &st->group->conn, err);
		if (rc == SL_OK && st->ops->writer_setup)
			st->ops->writer_setup(st->group->conn);
		if (rc) {
			sl_store_close(st);
			return rc;
		}
	}
	rc = migrate(st, err);
	if (rc == SL_OK && st->ops->data_version) {
		unsigned char v[SL_DATA_VERSION_LEN];

		rc = st->ops->open(st->uri, &st->probe, err);
		/* The first call sets the probe up; later ones only read, from
		 * any thread. */
		if (rc == SL_OK)
			st->ops->data_version(st->probe, v);
	}
	if (rc) {
		sl_store_close(st);
		return rc;
	}
	*out = st;
	return SL_OK;
}

void sl_store_close(struct sl_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->npool; i++)
		st->ops->close(st->pool[i]);
	if (st->leader)
		st->ops->close(st->leader);
	if (st->probe)
		st->ops->close(st->probe);
	if (st->group) {
		if (st->group->conn)
			st->ops->close(st->group->conn);
		pthread_mutex_destroy(&st->group->mu);
		pthread_cond_destroy(&st->group->turn);
		pthread_cond_destroy(&st->group->done);
		free(st->group);
	}
	pthread_mutex_destroy(&st->lock);
	pthread_mutex_destroy(&st->write_lock);
	pthread_mutex_destroy(&st->leader_lock);
	free(st->uri);
	free(st);
}

int sl_store_leader_try(struct sl_store *st, int64_t key)
{
	int got;

	pthread_mutex_lock(&st->leader_lock);
	if (!st->leader && st->ops->open(st->uri, &st->leader, NULL) != SL_OK) {
		st->leader = NULL;
		__atomic_store_n(&st->leader_held, 0, __ATOMIC_RELAXED);
		pthread_mutex_unlock(&st->leader_lock);
		return -1;
	}
	got = st->ops->try_lock(st->leader, key);
	__atomic_store_n(&st->leader_held, got == 1, __ATOMIC_RELAXED);
	if (got <= 0) {
		/* Not ours (or unreachable): drop the connection so a lock
		 * that a reset connection lost is never believed held. */
		st->ops->close(st->leader);
		st->leader = NULL;
	}
	pthread_mutex_unlock(&st->leader_lock);
	return got;
}

void sl_store_group_stats(struct sl_store *st, uint64_t *commits,
			  uint64_t *writes, int *waiting)
{
	struct group *g = st->group;

	*commits = g ? __atomic_load_n(&g->commits, __ATOMIC_RELAXED) : 0;
	*writes = g ? __atomic_load_n(&g->writes, __ATOMIC_RELAXED) : 0;
	if (waiting) {
		*waiting = 0;
		if (g) {
			pthread_mutex_lock(&g->mu);
			*waiting = g->waiting;
			pthread_mutex_unlock(&g->mu);
		}
	}
}

int sl_store_leader_held(struct sl_store *st)
{
	return __atomic_load_n(&st->leader_held, __ATOMIC_RELAXED);
}

const char *sl_store_engine(const struct sl_store *st)
{
	return st->ops->name;
}

int sl_store_schema_version(struct sl_store *st)
{
	return st->schema_version;
}
