/* db.h - the engine driver interface under the store.
 *
 * A driver is a struct of function pointers (like git's ref backends):
 * open a connection, run one SQL text with typed parameters and collect
 * the rows, close. The store writes each query once, in portable SQL with
 * $1..$N parameters; a driver adapts the parameter syntax and the few DDL
 * words the engines spell differently. SQLite is the first driver;
 * PostgreSQL plugs in the same way. */
#ifndef SL_STORE_DB_H
#define SL_STORE_DB_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

enum sl_db_type { SL_DB_NULL, SL_DB_INT, SL_DB_TEXT };

/* A borrowed parameter value. */
struct sl_db_val {
	enum sl_db_type type;
	int64_t i;
	const char *s;
};

#define SL_P_INT(x)  ((struct sl_db_val){SL_DB_INT, (int64_t)(x), NULL})
#define SL_P_TEXT(x) ((struct sl_db_val){(x) ? SL_DB_TEXT : SL_DB_NULL, 0, (x)})
#define SL_P_NULL    ((struct sl_db_val){SL_DB_NULL, 0, NULL})

/* A materialised result: nrows x ncols cells, row-major; a NULL cell
 * pointer is SQL NULL. Owned; free with sl_db_rows_fini. */
struct sl_db_rows {
	size_t nrows, ncols;
	char **cells;
};

#define SL_DATA_VERSION_LEN 48

/* exec flags */
#define SL_DB_GUARD 1u

struct sl_db_ops {
	const char *name;
	/* The DDL spelling of an auto-assigned 64-bit integer primary key. */
	const char *id_pk;
	/* 1 when the engine takes one writer at a time: the store then
	 * carries every write on one connection and groups them under
	 * shared COMMITs (each write in its own savepoint). */
	int single_writer;
	enum sl_err (*open)(const char *uri, void **conn, struct sl_error *err);
	void (*close)(void *conn);
	/* Starts a transaction that will write; serialises writers. */
	enum sl_err (*begin)(void *conn, struct sl_error *err);
	/* Optional (NULL where writers take turns anyway): starts a write
	 * transaction that first waits for and takes the cluster-wide lock
	 * only exclusive transactions take (start-up, numbering the log),
	 * held until it ends; what it reads is what was committed once the
	 * lock was held. */
	enum sl_err (*begin_exclusive)(void *conn, struct sl_error *err);
	/* Optional: waits for and takes, outside any transaction, the lock
	 * of one object (a key other daemons use alike), and lets it go. */
	enum sl_err (*lock_object)(void *conn, int64_t key,
				   struct sl_error *err);
	void (*unlock_object)(void *conn, int64_t key);
	enum sl_err (*commit)(void *conn, struct sl_error *err);
	void (*rollback)(void *conn);
	/* Runs sql. When out is not NULL the rows are collected there; when
	 * changes is not NULL it receives the number of rows changed. A
	 * unique-constraint violation is SL_ECONFLICT. flags: SL_DB_GUARD
	 * when the caller may go on in the same transaction after this
	 * statement fails, so a failure must undo only the statement (an
	 * engine that aborts the whole transaction on an error wraps the
	 * statement in a savepoint). */
	enum sl_err (*exec)(void *conn, const char *sql,
			    const struct sl_db_val *params, size_t nparams,
			    unsigned flags, struct sl_db_rows *out,
			    int64_t *changes, struct sl_error *err);
	/* Runs a script of several statements without parameters. */
	enum sl_err (*exec_script)(void *conn, const char *sql,
				   struct sl_error *err);
	/* 1 when the connection may go back to the pool. */
	int (*healthy)(void *conn);
	/* Tries to take the cluster-wide lock key for the life of this
	 * connection: 1 taken (or already held), 0 held elsewhere, -1 the
	 * database cannot be reached. */
	int (*try_lock)(void *conn, int64_t key);
	/* Optional: called once on the connection that will carry all
	 * writes (SQLite's group commit); SQLite moves checkpoints off it. */
	void (*writer_setup)(void *conn);
	/* Optional (NULL on PostgreSQL). The database's data version:
	 * bytes that differ whenever any process has committed a write since
	 * they were read. 1 when out was filled, 0 when it is not known.
	 * The first call on a connection sets it up; after that, calls on
	 * one connection may come from several threads at once. */
	int (*data_version)(void *conn, unsigned char out[SL_DATA_VERSION_LEN]);
	/* Optional. A read connection may keep one snapshot across several
	 * read requests while nothing has been committed: read_enter ends
	 * the connection's snapshot when the data version moved and starts
	 * a new one when none is open (tick: the store's housekeeping tick
	 * now); read_expire ends one that began before tick `before`. The
	 * write path's begin ends a snapshot itself. */
	void (*read_enter)(void *conn, uint64_t tick);
	void (*read_expire)(void *conn, uint64_t before);
};

extern const struct sl_db_ops sl_db_sqlite;
extern const struct sl_db_ops sl_db_pg;

/* Cell text, or NULL for SQL NULL. */
const char *sl_db_text(const struct sl_db_rows *rows, size_t r, size_t c);
/* Cell as an integer (0 for NULL). */
int64_t sl_db_int(const struct sl_db_rows *rows, size_t r, size_t c);
/* Frees the cells; the struct itself is the caller's. */
void sl_db_rows_fini(struct sl_db_rows *rows);

#endif
