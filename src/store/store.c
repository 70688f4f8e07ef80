/* store.c - connections, transactions, migrations and every query.
 *
 * Each query is one portable SQL text with $1..$N parameters; optional
 * filters are written "(CAST($n AS TEXT) IS NULL OR col = $n)" so one
 * prepared statement serves every combination. */
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
	enum sl_err rc = SL_FAULT(fn, sql, err);

	if (rc) {
		if (out)
			memset(out, 0, sizeof(*out));
	} else {
		rc = tx->st->ops->exec(tx->conn, sql, p, n, out, changes, err);
	}
	if (rc == SL_EUNAVAIL && tx->write)
		write_outcome(tx->st, rc);
	return rc;
}

/* Runs a query expected to answer at most one row and copies its first
 * column; SL_ENOTFOUND (with what in the message) when there is none. */
enum sl_err sl__store_one_text_at(const char *fn, struct sl_tx *tx,
				  const char *sql, const struct sl_db_val *p,
				  size_t n, char **text, int64_t *second,
				  const char *what, struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = sl__store_run_at(fn, tx, sql, p, n, &rows, NULL, err);

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

enum sl_err sl__store_one_int_at(const char *fn, struct sl_tx *tx,
				 const char *sql, const struct sl_db_val *p,
				 size_t n, int64_t *v, const char *what,
				 struct sl_error *err)
{
	char *t = NULL;
	enum sl_err rc =
		sl__store_one_text_at(fn, tx, sql, p, n, &t, NULL, what, err);

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

enum sl_err sl_store_begin(struct sl_store *st, int write, struct sl_tx *tx,
			   struct sl_error *err)
{
	enum sl_err rc;

	tx->st = st;
	tx->write = write;
	tx->conn = NULL;
	tx->group = 0;
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
	pthread_mutex_lock(&st->write_lock);
	rc = st->ops->begin(tx->conn, err);
	if (rc) {
		pthread_mutex_unlock(&st->write_lock);
		conn_release(st, tx->conn);
		tx->conn = NULL;
	}
	return rc;
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
		pthread_mutex_unlock(&tx->st->write_lock);
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
		pthread_mutex_unlock(&tx->st->write_lock);
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
	rc = sl_store_begin(st, 1, &tx, err);
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

/* Applies every migration above the stored version, each in its own
 * write transaction, so a crash leaves the schema at a whole version. */
static enum sl_err migrate(struct sl_store *st, struct sl_error *err)
{
	struct sl_tx tx;
	enum sl_err rc;

	rc = sl_store_begin(st, 1, &tx, err);
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

		rc = sl_store_begin(st, 1, &tx, err);
		if (rc)
			return rc;
		rc = sl__store_one_int(
			&tx,
			"SELECT COUNT(*) FROM schema_migrations"
			" WHERE version = $1",
			(const struct sl_db_val[]){SL_P_INT(m->version)}, 1,
			&done, "migration", err);
		if (rc == SL_OK && !done) {
			ddl = expand_ddl(m->sql, st->ops->id_pk);
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
	if (st->ops == &sl_db_sqlite) {
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

/* ---- filtered lists ----
 *
 * A list query is a head, optional clauses (one per filter) and a tail.
 * Only the clauses whose filter is set are written into the SQL, so each
 * engine sees plain equalities it can answer from an index. The texts
 * are built once per combination and kept for the life of the process:
 * their addresses stay stable, which is what the statement caches key
 * on. A clause writes "$#" where its next parameter goes. */

struct clause {
	const char *sql;
	int nparams;
};

#define MAX_CLAUSES 10
enum {
	LIST_SERVICES,
	LIST_RELEASES,
	LIST_DEPLOYMENTS,
	LIST_PLACEMENTS,
	LIST_ENVIRONMENTS,
	LIST_TOKENS,
	LIST_AUDIT,
	LIST__COUNT
};

static pthread_mutex_t variants_lock = PTHREAD_MUTEX_INITIALIZER;
static char *variants[LIST__COUNT][1 << MAX_CLAUSES];

/* Returns the SQL for query with the clauses in mask. Never freed. */
static const char *variant(int query, const char *head, const struct clause *cl,
			   size_t ncl, const char *tail, unsigned mask)
{
	char *text;
	size_t cap, len;
	int next = 1;

	SL_ASSERT(ncl <= MAX_CLAUSES && mask < (1u << ncl));
	pthread_mutex_lock(&variants_lock);
	text = variants[query][mask];
	if (text)
		goto out;
	cap = strlen(head) + strlen(tail) + 64;
	for (size_t i = 0; i < ncl; i++)
		cap += strlen(cl[i].sql) + 16;
	text = sl_xmalloc(cap);
	len = (size_t)snprintf(text, cap, "%s WHERE 1 = 1", head);
	for (size_t i = 0; i < ncl; i++) {
		const char *p = cl[i].sql;

		if (!(mask & (1u << i)))
			continue;
		len += (size_t)snprintf(text + len, cap - len, " AND ");
		while (*p) {
			if (p[0] == '$' && p[1] == '#') {
				len += (size_t)snprintf(text + len, cap - len,
							"$%d", next++);
				p += 2;
			} else {
				text[len++] = *p++;
			}
		}
		text[len] = '\0';
	}
	snprintf(text + len, cap - len, " %s $%d", tail, next);
	variants[query][mask] = text;
out:
	pthread_mutex_unlock(&variants_lock);
	return text;
}

/* Runs a list query: the clauses whose values are present (a non-NULL
 * text or a non-zero integer) join the SQL and the parameters, then the
 * limit. vals holds each clause's parameters in order. */
static enum sl_err run_list(struct sl_tx *tx, int query, const char *head,
			    const struct clause *cl, size_t ncl,
			    const struct sl_db_val *vals, const char *tail,
			    int limit, struct sl_db_rows *out,
			    struct sl_error *err)
{
	struct sl_db_val p[2 * MAX_CLAUSES + 1];
	unsigned mask = 0;
	size_t np = 0, v = 0;

	for (size_t i = 0; i < ncl; v += (size_t)cl[i].nparams, i++) {
		const struct sl_db_val *first = &vals[v];

		if (first->type == SL_DB_NULL ||
		    (first->type == SL_DB_INT && first->i == 0))
			continue;
		mask |= 1u << i;
		for (int k = 0; k < cl[i].nparams; k++)
			p[np++] = vals[v + (size_t)k];
	}
	p[np++] = SL_P_INT(limit > 0 ? limit : 1000000000000LL);
	return sl__store_run(tx, variant(query, head, cl, ncl, tail, mask), p,
			     np, out, NULL, err);
}

/* ---- services ---- */

static enum sl_err put_tags(struct sl_tx *tx, const char *del_sql,
			    const char *ins_sql, struct sl_db_val owner,
			    const struct sl_tag *tags, size_t ntags,
			    struct sl_error *err)
{
	enum sl_err rc = sl__store_run(tx, del_sql, &owner, 1, NULL, NULL, err);

	for (size_t i = 0; rc == SL_OK && i < ntags; i++)
		rc = Q(tx, ins_sql, NULL, NULL, err, owner,
		       SL_P_TEXT(tags[i].key), SL_P_TEXT(tags[i].value));
	return rc;
}

static enum sl_err service_tags(struct sl_tx *tx, const char *name,
				const struct sl_tag *tags, size_t ntags,
				struct sl_error *err)
{
	return put_tags(tx, "DELETE FROM service_tags WHERE service = $1",
			"INSERT INTO service_tags (service, key, value)"
			" VALUES ($1, $2, $3)",
			SL_P_TEXT(name), tags, ntags, err);
}

enum sl_err sl_store_service_insert(struct sl_tx *tx, const char *name,
				    int64_t now, const char *doc,
				    const struct sl_tag *tags, size_t ntags,
				    struct sl_error *err)
{
	enum sl_err rc = Q(tx,
			   "INSERT INTO services"
			   " (name, revision, created_at, updated_at, doc)"
			   " VALUES ($1, 1, $2, $2, $3)",
			   NULL, NULL, err, SL_P_TEXT(name), SL_P_INT(now),
			   SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "name",
				    "service '%s' already exists", name);
	return rc ? rc : service_tags(tx, name, tags, ntags, err);
}

enum sl_err sl_store_service_get(struct sl_tx *tx, const char *name, char **doc,
				 int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM services WHERE name = $1",
		(const struct sl_db_val[]){SL_P_TEXT(name)}, 1, doc, revision,
		"service", err);
}

/* Checks the outcome of a revision-guarded UPDATE: no row changed means
 * either the object is gone or its revision moved on. */
static enum sl_err guarded(struct sl_tx *tx, int64_t changes,
			   const char *exists_sql, struct sl_db_val key,
			   const char *what, struct sl_error *err)
{
	int64_t n = 0;
	enum sl_err rc;

	if (changes == 1)
		return SL_OK;
	rc = sl__store_one_int(tx, exists_sql, &key, 1, &n, what, err);
	if (rc)
		return rc;
	if (n == 0)
		return sl_error_set(err, SL_ENOTFOUND, "", "%s not found",
				    what);
	return sl_error_set(err, SL_EPRECOND, "If-Match",
			    "the %s was changed since that revision", what);
}

enum sl_err sl_store_service_update(struct sl_tx *tx, const char *name,
				    int64_t expected_revision, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc =
		Q(tx,
		  "UPDATE services SET revision = revision + 1,"
		  " updated_at = $3, doc = $4"
		  " WHERE name = $1 AND revision = $2",
		  NULL, &changes, err, SL_P_TEXT(name),
		  SL_P_INT(expected_revision), SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK)
		rc = guarded(tx, changes,
			     "SELECT COUNT(*) FROM services WHERE name = $1",
			     SL_P_TEXT(name), "service", err);
	return rc ? rc : service_tags(tx, name, tags, ntags, err);
}

enum sl_err sl_store_service_delete(struct sl_tx *tx, const char *name,
				    struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM services WHERE name = $1", NULL,
			   &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "", "service not found");
	return rc;
}

enum sl_err sl_store_service_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_db_rows *out, struct sl_error *err)
{
	static const struct clause cl[] = {
		{"s.name > $#", 1},
		{"EXISTS (SELECT 1 FROM service_tags t WHERE t.service = s.name"
		 " AND t.key = $# AND t.value = $#)",
		 2},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->cursor_name),
		SL_P_TEXT(f->tag_key),
		SL_P_TEXT(f->tag_value),
	};

	return run_list(tx, LIST_SERVICES,
			"SELECT s.name, s.doc FROM services s", cl, 2, vals,
			"ORDER BY s.name LIMIT", f->limit, out, err);
}

/* ---- environments ---- */

enum sl_err sl_store_environment_insert(struct sl_tx *tx, const char *name,
					int64_t rank, int64_t now,
					const char *doc, struct sl_error *err)
{
	enum sl_err rc = Q(tx,
			   "INSERT INTO environments (name, rank, revision,"
			   " created_at, updated_at, doc)"
			   " VALUES ($1, $2, 1, $3, $3, $4)",
			   NULL, NULL, err, SL_P_TEXT(name), SL_P_INT(rank),
			   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "name",
				    "environment '%s' already exists", name);
	return rc;
}

enum sl_err sl_store_environment_get(struct sl_tx *tx, const char *name,
				     char **doc, int64_t *revision,
				     struct sl_error *err)
{
	return sl__store_one_text(tx,
				  "SELECT doc, revision FROM environments"
				  " WHERE name = $1",
				  (const struct sl_db_val[]){SL_P_TEXT(name)},
				  1, doc, revision, "environment", err);
}

enum sl_err sl_store_environment_update(struct sl_tx *tx, const char *name,
					int64_t expected_revision, int64_t rank,
					int64_t now, const char *doc,
					struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE environments SET revision = revision + 1,"
			   " rank = $3, updated_at = $4, doc = $5"
			   " WHERE name = $1 AND revision = $2",
			   NULL, &changes, err, SL_P_TEXT(name),
			   SL_P_INT(expected_revision), SL_P_INT(rank),
			   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc)
		return rc;
	return guarded(tx, changes,
		       "SELECT COUNT(*) FROM environments WHERE name = $1",
		       SL_P_TEXT(name), "environment", err);
}

enum sl_err sl_store_environment_delete(struct sl_tx *tx, const char *name,
					struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx, "DELETE FROM environments WHERE name = $1", NULL,
			   &changes, err, SL_P_TEXT(name));

	if (rc == SL_OK && changes == 0)
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "environment not found");
	return rc;
}

enum sl_err sl_store_environment_list(struct sl_tx *tx, struct sl_db_rows *out,
				      struct sl_error *err)
{
	return sl__store_run(
		tx, "SELECT name, doc FROM environments ORDER BY rank, name",
		NULL, 0, out, NULL, err);
}

enum sl_err sl_store_environment_page(struct sl_tx *tx,
				      const struct sl_filter *f,
				      struct sl_db_rows *out,
				      struct sl_error *err)
{
	/* The name comes first: it says whether the clause is in use (a
	 * rank may be 0). */
	static const struct clause cl[] = {
		{"((name > $# AND rank = $#) OR rank > $#)", 3},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->cursor_name),
		SL_P_INT(f->cursor_rank),
		SL_P_INT(f->cursor_rank),
	};

	return run_list(tx, LIST_ENVIRONMENTS,
			"SELECT name, doc, rank FROM environments", cl, 1, vals,
			"ORDER BY rank, name LIMIT", f->limit, out, err);
}

enum sl_err sl_store_environment_max_rank(struct sl_tx *tx, int64_t *rank,
					  struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COALESCE(MAX(rank), 0) FROM environments", NULL, 0,
		rank, "environment", err);
}

/* ---- releases ---- */

enum sl_err sl_store_release_insert(struct sl_tx *tx, const char *service,
				    const char *version, const char *sortkey,
				    const char *status, const char *type,
				    int64_t now, int64_t *id,
				    struct sl_error *err)
{
	enum sl_err rc;
	const struct sl_db_val p[] = {
		SL_P_TEXT(service), SL_P_TEXT(version), SL_P_TEXT(sortkey),
		SL_P_TEXT(status),  SL_P_TEXT(type),	SL_P_INT(now),
	};

	rc = sl__store_one_int(
		tx,
		"INSERT INTO releases (service, version, sortkey, status,"
		" type, revision, created_at, updated_at, doc)"
		" VALUES ($1, $2, $3, $4, $5, 0, $6, $6, '') RETURNING id",
		p, 6, id, "release", err);
	if (rc == SL_ECONFLICT)
		return sl_error_set(err, SL_ECONFLICT, "version",
				    "%s already has a release %s", service,
				    version);
	return rc;
}

enum sl_err sl_store_release_get(struct sl_tx *tx, int64_t id, char **doc,
				 int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM releases WHERE id = $1",
		(const struct sl_db_val[]){SL_P_INT(id)}, 1, doc, revision,
		"release", err);
}

enum sl_err sl_store_release_get_by_key(struct sl_tx *tx, const char *service,
					const char *sortkey, char **doc,
					int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx,
		"SELECT doc, revision FROM releases"
		" WHERE service = $1 AND sortkey = $2",
		(const struct sl_db_val[]){SL_P_TEXT(service),
					   SL_P_TEXT(sortkey)},
		2, doc, revision, "release", err);
}

enum sl_err sl_store_release_find(struct sl_tx *tx, const char *service,
				  const char *sortkey, int64_t *id,
				  struct sl_error *err)
{
	return sl__store_one_int(tx,
				 "SELECT id FROM releases"
				 " WHERE service = $1 AND sortkey = $2",
				 (const struct sl_db_val[]){SL_P_TEXT(service),
							    SL_P_TEXT(sortkey)},
				 2, id, "release", err);
}

enum sl_err sl_store_release_update(struct sl_tx *tx, int64_t id,
				    int64_t expected_revision,
				    const char *status, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE releases SET revision = revision + 1,"
			   " status = $3, updated_at = $4, doc = $5"
			   " WHERE id = $1 AND revision = $2",
			   NULL, &changes, err, SL_P_INT(id),
			   SL_P_INT(expected_revision), SL_P_TEXT(status),
			   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc == SL_OK)
		rc = guarded(tx, changes,
			     "SELECT COUNT(*) FROM releases WHERE id = $1",
			     SL_P_INT(id), "release", err);
	if (rc || !tags)
		return rc;
	return put_tags(tx, "DELETE FROM release_tags WHERE release_id = $1",
			"INSERT INTO release_tags (release_id, key, value)"
			" VALUES ($1, $2, $3)",
			SL_P_INT(id), tags, ntags, err);
}

enum sl_err sl_store_release_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_db_rows *out, struct sl_error *err)
{
	static const struct clause cl[] = {
		{"r.id < $#", 1},
		{"r.service = $#", 1},
		{"r.status = $#", 1},
		{"r.type = $#", 1},
		{"r.created_at >= $#", 1},
		{"r.created_at < $#", 1},
		{"EXISTS (SELECT 1 FROM release_tags t WHERE t.release_id = "
		 "r.id"
		 " AND t.key = $# AND t.value = $#)",
		 2},
		{"EXISTS (SELECT 1 FROM deployments d WHERE d.release_id = r.id"
		 " AND d.environment = $#)",
		 1},
	};
	const struct sl_db_val vals[] = {
		SL_P_INT(f->cursor),	   SL_P_TEXT(f->service),
		SL_P_TEXT(f->status),	   SL_P_TEXT(f->type),
		SL_P_INT(f->since),	   SL_P_INT(f->until),
		SL_P_TEXT(f->tag_key),	   SL_P_TEXT(f->tag_value),
		SL_P_TEXT(f->environment),
	};

	return run_list(tx, LIST_RELEASES, "SELECT r.id, r.doc FROM releases r",
			cl, 8, vals, "ORDER BY r.id DESC LIMIT", f->limit, out,
			err);
}

/* Copies the first column of the only row of a one-row-at-most query into
 * *text, NULL when there is no row. */
static enum sl_err maybe_text(struct sl_tx *tx, const char *sql,
			      const struct sl_db_val *p, size_t n, char **text,
			      struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = sl__store_run(tx, sql, p, n, &rows, NULL, err);

	*text = NULL;
	if (rc)
		return rc;
	if (rows.nrows && sl_db_text(&rows, 0, 0))
		*text = sl_xstrdup(sl_db_text(&rows, 0, 0));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_release_neighbours(struct sl_tx *tx, const char *service,
					const char *below, int64_t exclude,
					char **prev, char **latest,
					struct sl_error *err)
{
	enum sl_err rc;

	*latest = NULL;
	rc = maybe_text(
		tx,
		"SELECT version FROM releases WHERE service = $1"
		" AND sortkey < $2 AND id <> $3"
		" AND status <> 'cancelled'"
		" ORDER BY sortkey DESC LIMIT 1",
		P(SL_P_TEXT(service), SL_P_TEXT(below), SL_P_INT(exclude)),
		prev, err);
	if (rc == SL_OK)
		rc = maybe_text(
			tx,
			"SELECT version FROM releases WHERE service = $1"
			" AND id <> $2 AND status <> 'cancelled'"
			" ORDER BY sortkey DESC LIMIT 1",
			P(SL_P_TEXT(service), SL_P_INT(exclude)), latest, err);
	if (rc) {
		free(*prev);
		*prev = NULL;
	}
	return rc;
}

enum sl_err sl_store_release_count(struct sl_tx *tx, const char *service,
				   int64_t *n, struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COUNT(*) FROM releases WHERE service = $1",
		(const struct sl_db_val[]){SL_P_TEXT(service)}, 1, n, "release",
		err);
}

/* ---- deployments ---- */

enum sl_err sl_store_deployment_insert(struct sl_tx *tx, int64_t release_id,
				       const char *service,
				       const char *environment,
				       const char *target, const char *status,
				       int64_t now, int64_t *id,
				       struct sl_error *err)
{
	const struct sl_db_val p[] = {
		SL_P_INT(release_id),	SL_P_TEXT(service),
		SL_P_TEXT(environment), SL_P_TEXT(target),
		SL_P_TEXT(status),	SL_P_INT(now),
	};

	return sl__store_one_int(
		tx,
		"INSERT INTO deployments (release_id, service,"
		" environment, target, status, revision, created_at,"
		" updated_at, doc) VALUES ($1, $2, $3, $4, $5, 0, $6,"
		" $6, '') RETURNING id",
		p, 6, id, "deployment", err);
}

enum sl_err sl_store_deployment_get(struct sl_tx *tx, int64_t id, char **doc,
				    int64_t *revision, struct sl_error *err)
{
	return sl__store_one_text(
		tx, "SELECT doc, revision FROM deployments WHERE id = $1",
		(const struct sl_db_val[]){SL_P_INT(id)}, 1, doc, revision,
		"deployment", err);
}

enum sl_err sl_store_deployment_update(struct sl_tx *tx, int64_t id,
				       int64_t expected_revision,
				       const char *status, int64_t now,
				       const char *doc, struct sl_error *err)
{
	int64_t changes = 0;
	enum sl_err rc = Q(tx,
			   "UPDATE deployments SET revision = revision + 1,"
			   " status = $3, updated_at = $4, doc = $5"
			   " WHERE id = $1 AND revision = $2",
			   NULL, &changes, err, SL_P_INT(id),
			   SL_P_INT(expected_revision), SL_P_TEXT(status),
			   SL_P_INT(now), SL_P_TEXT(doc));

	if (rc)
		return rc;
	return guarded(tx, changes,
		       "SELECT COUNT(*) FROM deployments WHERE id = $1",
		       SL_P_INT(id), "deployment", err);
}

enum sl_err sl_store_deployment_list(struct sl_tx *tx,
				     const struct sl_filter *f,
				     struct sl_db_rows *out,
				     struct sl_error *err)
{
	static const struct clause cl[] = {
		{"d.id < $#", 1},
		{"d.service = $#", 1},
		{"d.environment = $#", 1},
		{"d.status = $#", 1},
		{"d.release_id = $#", 1},
		{"d.created_at >= $#", 1},
		{"d.created_at < $#", 1},
		{"EXISTS (SELECT 1 FROM releases r WHERE r.id = d.release_id"
		 " AND r.type = $#)",
		 1},
		{"EXISTS (SELECT 1 FROM release_tags t WHERE"
		 " t.release_id = d.release_id AND t.key = $# AND t.value = "
		 "$#)",
		 2},
	};
	const struct sl_db_val vals[] = {
		SL_P_INT(f->cursor),	   SL_P_TEXT(f->service),
		SL_P_TEXT(f->environment), SL_P_TEXT(f->status),
		SL_P_INT(f->release_id),   SL_P_INT(f->since),
		SL_P_INT(f->until),	   SL_P_TEXT(f->type),
		SL_P_TEXT(f->tag_key),	   SL_P_TEXT(f->tag_value),
	};

	return run_list(tx, LIST_DEPLOYMENTS,
			"SELECT d.id, d.doc FROM deployments d", cl, 9, vals,
			"ORDER BY d.id DESC LIMIT", f->limit, out, err);
}

enum sl_err sl_store_deployment_count_env(struct sl_tx *tx,
					  const char *environment, int64_t *n,
					  struct sl_error *err)
{
	return sl__store_one_int(
		tx, "SELECT COUNT(*) FROM deployments WHERE environment = $1",
		(const struct sl_db_val[]){SL_P_TEXT(environment)}, 1, n,
		"deployment", err);
}

enum sl_err sl_store_deployment_running(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, int64_t before_id,
					int64_t *id, struct sl_error *err)
{
	const struct sl_db_val p[] = {SL_P_TEXT(service),
				      SL_P_TEXT(environment), SL_P_TEXT(target),
				      SL_P_INT(before_id)};

	return sl__store_one_int(tx,
				 "SELECT COALESCE(MAX(id), 0) FROM deployments"
				 " WHERE service = $1 AND environment = $2"
				 " AND target = $3 AND ($4 = 0 OR id < $4)"
				 " AND status IN ('succeeded', 'verified')",
				 p, 4, id, "deployment", err);
}

enum sl_err sl_store_deployment_status_counts(struct sl_tx *tx,
					      struct sl_db_rows *out,
					      struct sl_error *err)
{
	return sl__store_run(
		tx,
		"SELECT status, COUNT(*) FROM deployments GROUP BY status"
		" ORDER BY status",
		NULL, 0, out, NULL, err);
}

enum sl_err sl_store_placement_refresh(struct sl_tx *tx, const char *service,
				       const char *environment,
				       const char *target, struct sl_error *err)
{
	return Q(tx,
		 "INSERT INTO placements (service, environment, target,"
		 " latest_id, running_id) SELECT $1, $2, $3,"
		 " (SELECT MAX(id) FROM deployments WHERE service = $1"
		 " AND environment = $2 AND target = $3),"
		 " (SELECT MAX(id) FROM deployments WHERE service = $1"
		 " AND environment = $2 AND target = $3"
		 " AND status IN ('succeeded', 'verified'))"
		 " WHERE 1 = 1"
		 " ON CONFLICT (service, environment, target) DO UPDATE"
		 " SET latest_id = excluded.latest_id,"
		 " running_id = excluded.running_id",
		 NULL, NULL, err, SL_P_TEXT(service), SL_P_TEXT(environment),
		 SL_P_TEXT(target));
}

enum sl_err sl_store_placement_get(struct sl_tx *tx, const char *service,
				   const char *environment, const char *target,
				   char **running, char **latest,
				   struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = Q(tx,
			   "SELECT r.doc, l.doc FROM placements p"
			   " JOIN deployments l ON l.id = p.latest_id"
			   " LEFT JOIN deployments r ON r.id = p.running_id"
			   " WHERE p.service = $1 AND p.environment = $2"
			   " AND p.target = $3",
			   &rows, NULL, err, SL_P_TEXT(service),
			   SL_P_TEXT(environment), SL_P_TEXT(target));

	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "", "no placement");
	}
	*running = sl_db_text(&rows, 0, 0) ? sl_xstrdup(sl_db_text(&rows, 0, 0))
					   : NULL;
	*latest = sl_xstrdup(sl_db_text(&rows, 0, 1));
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_placement_set_item(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, const char *item,
					struct sl_error *err)
{
	return Q(tx,
		 "UPDATE placements SET item = $4 WHERE service = $1"
		 " AND environment = $2 AND target = $3",
		 NULL, NULL, err, SL_P_TEXT(service), SL_P_TEXT(environment),
		 SL_P_TEXT(target), SL_P_TEXT(item));
}

enum sl_err sl_store_placement_list(struct sl_tx *tx, const struct sl_filter *f,
				    struct sl_db_rows *out,
				    struct sl_error *err)
{
	/* The cursor is the last row's key, in the order of the list: the
	 * first clause lets the primary key start at its service. */
	static const struct clause cl[] = {
		{"p.service = $#", 1},
		{"p.environment = $#", 1},
		{"EXISTS (SELECT 1 FROM service_tags t WHERE t.service = "
		 "p.service"
		 " AND t.key = $# AND t.value = $#)",
		 2},
		{"p.service >= $#", 1},
		{"(p.service, e.rank, p.environment, p.target) > ($#,"
		 " (SELECT c.rank FROM environments c WHERE c.name = $#), $#,"
		 " $#)",
		 4},
	};
	const struct sl_db_val vals[] = {
		SL_P_TEXT(f->service),	     SL_P_TEXT(f->environment),
		SL_P_TEXT(f->tag_key),	     SL_P_TEXT(f->tag_value),
		SL_P_TEXT(f->cursor_name),   SL_P_TEXT(f->cursor_name),
		SL_P_TEXT(f->cursor_env),    SL_P_TEXT(f->cursor_env),
		SL_P_TEXT(f->cursor_target),
	};

	return run_list(tx, LIST_PLACEMENTS,
			"SELECT p.service, p.environment, p.target, p.item"
			" FROM placements p"
			" JOIN environments e ON e.name = p.environment",
			cl, 5, vals,
			"ORDER BY p.service, e.rank, p.environment, p.target"
			" LIMIT",
			f->limit, out, err);
}

/* ---- events ---- */

enum sl_err sl_store_event_insert(struct sl_tx *tx, int64_t deployment_id,
				  int64_t at, const char *doc, int64_t *id,
				  int64_t *seq, struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = Q(tx,
			   "INSERT INTO deployment_events (deployment_id, seq,"
			   " at, doc) SELECT $1, COALESCE(MAX(seq), 0) + 1,"
			   " $2, $3 FROM deployment_events"
			   " WHERE deployment_id = $1 RETURNING id, seq",
			   &rows, NULL, err, SL_P_INT(deployment_id),
			   SL_P_INT(at), SL_P_TEXT(doc));

	if (rc)
		return rc;
	SL_ASSERT(rows.nrows == 1);
	*id = sl_db_int(&rows, 0, 0);
	*seq = sl_db_int(&rows, 0, 1);
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_event_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err)
{
	return Q(tx, "UPDATE deployment_events SET doc = $2 WHERE id = $1",
		 NULL, NULL, err, SL_P_INT(id), SL_P_TEXT(doc));
}

enum sl_err sl_store_event_list(struct sl_tx *tx, int64_t deployment_id,
				struct sl_db_rows *out, struct sl_error *err)
{
	return Q(tx,
		 "SELECT id, doc FROM deployment_events"
		 " WHERE deployment_id = $1 ORDER BY seq",
		 out, NULL, err, SL_P_INT(deployment_id));
}

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
	enum sl_err rc = sl__store_one_int(
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
				int64_t *id, char **name, char **role,
				char **stored, char **scope,
				int64_t *expires_at, int64_t *last_used_at,
				struct sl_error *err)
{
	struct sl_db_rows rows;
	enum sl_err rc = Q(tx,
			   "SELECT id, name, role, hash, scope, expires_at,"
			   " last_used_at FROM tokens"
			   " WHERE hash = $1 AND revoked_at IS NULL"
			   " AND (expires_at IS NULL OR expires_at > $2)",
			   &rows, NULL, err, SL_P_TEXT(hash), SL_P_INT(now));

	if (rc)
		return rc;
	if (rows.nrows == 0) {
		sl_db_rows_fini(&rows);
		return sl_error_set(err, SL_ENOTFOUND, "", "token not found");
	}
	*id = sl_db_int(&rows, 0, 0);
	*name = sl_xstrdup(sl_db_text(&rows, 0, 1));
	*role = sl_xstrdup(sl_db_text(&rows, 0, 2));
	*stored = sl_xstrdup(sl_db_text(&rows, 0, 3));
	*scope = sl_db_text(&rows, 0, 4) ? sl_xstrdup(sl_db_text(&rows, 0, 4))
					 : NULL;
	*expires_at = sl_db_text(&rows, 0, 5) ? sl_db_int(&rows, 0, 5) : 0;
	*last_used_at = sl_db_text(&rows, 0, 6) ? sl_db_int(&rows, 0, 6) : 0;
	sl_db_rows_fini(&rows);
	return SL_OK;
}

enum sl_err sl_store_token_list(struct sl_tx *tx, struct sl_db_rows *out,
				struct sl_error *err)
{
	return sl__store_run(
		tx,
		"SELECT id, name, role, created_at, created_by, revoked_at,"
		" scope, expires_at, last_used_at FROM tokens ORDER BY id",
		NULL, 0, out, NULL, err);
}

enum sl_err sl_store_token_page(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_db_rows *out, struct sl_error *err)
{
	static const struct clause cl[] = {{"id > $#", 1}};
	const struct sl_db_val vals[] = {SL_P_INT(f->cursor)};

	return run_list(tx, LIST_TOKENS,
			"SELECT id, name, role, created_at, created_by,"
			" revoked_at, scope, expires_at, last_used_at"
			" FROM tokens",
			cl, 1, vals, "ORDER BY id LIMIT", f->limit, out, err);
}

enum sl_err sl_store_token_get(struct sl_tx *tx, int64_t id,
			       struct sl_db_rows *out, struct sl_error *err)
{
	enum sl_err rc = Q(tx,
			   "SELECT id, name, role, created_at, created_by,"
			   " revoked_at, scope, expires_at, last_used_at"
			   " FROM tokens WHERE id = $1",
			   out, NULL, err, SL_P_INT(id));

	if (rc == SL_OK && out->nrows == 0) {
		sl_db_rows_fini(out);
		rc = sl_error_set(err, SL_ENOTFOUND, "",
				  "no token with id %lld", (long long)id);
	}
	return rc;
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

/* ---- audit ---- */

enum sl_err sl_store_audit_append(struct sl_tx *tx,
				  const struct sl_audit_entry *e, int64_t *seq,
				  struct sl_error *err)
{
	const struct sl_db_val p[] = {
		SL_P_INT(e->at),	 SL_P_TEXT(e->actor),
		SL_P_TEXT(e->action),	 SL_P_TEXT(e->object_type),
		SL_P_TEXT(e->object_id), SL_P_TEXT(e->request_id),
		SL_P_TEXT(e->before),	 SL_P_TEXT(e->after),
		SL_P_TEXT(e->via),
	};

	SL_ASSERT(tx->write);
	return sl__store_one_int(
		tx,
		"INSERT INTO audit (seq, at, actor, action, object_type,"
		" object_id, request_id, before, after, via)"
		" SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4, $5,"
		" $6, $7, $8, $9 FROM audit RETURNING seq",
		p, 9, seq, "audit entry", err);
}

enum sl_err sl_store_audit_list(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_db_rows *out, struct sl_error *err)
{
	static const struct clause cl[] = {
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

	return run_list(tx, LIST_AUDIT,
			"SELECT seq, at, actor, action, object_type, object_id,"
			" request_id, before, after, via FROM audit",
			cl, 7, vals, "ORDER BY seq LIMIT", f->limit, out, err);
}

/* ---- idempotency ---- */

enum sl_err sl_store_idem_get(struct sl_tx *tx, const char *actor,
			      const char *key, struct sl_idem *out,
			      struct sl_error *err)
{
	struct sl_db_rows rows;
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

	return sl__store_run(
		tx,
		"INSERT INTO idempotency (actor, key, method, path,"
		" body_hash, status, response, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		p, 8, NULL, NULL, err);
}

void sl_store_idem_fini(struct sl_idem *rec)
{
	free(rec->method);
	free(rec->path);
	free(rec->body_hash);
	free(rec->response);
	memset(rec, 0, sizeof(*rec));
}
