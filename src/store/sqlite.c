/* sqlite.c - the SQLite driver: WAL, synchronous=FULL, a cache of
 * prepared statements per connection keyed by the SQL text's address
 * (every query is a string literal in the store, so the address is a
 * stable identity). */
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/fault.h"

#include "store/db.h"

#define CACHE_SIZE 256
/* SQLite's page cache per connection, in KiB (its default is 2000). A
 * daemon holds a connection per reader thread and per request thread, and
 * the kernel's page cache holds the file behind them all. The writer's
 * connection, one per daemon, holds more (see sq_writer_setup). */
#define PAGE_CACHE_KB	1024
#define WRITER_CACHE_KB 16384
#define SL_STR_(x)	#x
#define SL_STR(x)	SL_STR_(x)

struct cached {
	const char *sql;
	sqlite3_stmt *stmt;
};

/* Bytes of the WAL index mapped for the data version (see map_shm). */
#define SHM_MAPPED 4096

struct checkpointer;

struct conn {
	sqlite3 *db;
	struct cached cache[CACHE_SIZE];
	char *path;
	int lock_fd; /* the leader lock file, -1 when not held */
	/* The WAL index's first page, mapped for the data version; NULL
	 * until the first call, MAP_FAILED when it cannot be mapped. */
	const void *shm_map;
	struct checkpointer *ckpt; /* the writer's, see sq_writer_setup */
	/* The shared read snapshot, while one is open (see read_enter). */
	int in_snap;	/* a read transaction begun by read_enter is open */
	int snap_known; /* snap_version holds the version it began at */
	unsigned char snap_version[SL_DATA_VERSION_LEN];
	uint64_t snap_tick; /* the store's tick when it began */
};

static const char SQL_BEGIN[] = "BEGIN", SQL_COMMIT[] = "COMMIT";
static void end_snapshot(struct conn *c);

/* Rewrites $N parameters to ?N, outside quoted strings. Caller frees. */
static char *adapt(const char *sql)
{
	size_t n = strlen(sql);
	char *out = sl_xmalloc(n + 1);
	char quote = 0;

	for (size_t i = 0; i <= n; i++) {
		char c = sql[i];

		if (quote) {
			if (c == quote)
				quote = 0;
		} else if (c == '\'' || c == '"') {
			quote = c;
		} else if (c == '$' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
			c = '?';
		}
		out[i] = c;
	}
	return out;
}

static enum sl_err fail(sqlite3 *db, int rc, struct sl_error *err)
{
	int ext = sqlite3_extended_errcode(db);

	if (ext == SQLITE_CONSTRAINT_UNIQUE ||
	    ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		return sl_error_set(err, SL_ECONFLICT, "",
				    "the object already exists");
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
		return sl_error_set(err, SL_EUNAVAIL, "",
				    "the database is busy: %s",
				    sqlite3_errmsg(db));
	/* A broken constraint is a bug of ours; anything else (an I/O
	 * error, a full disk, a read-only or damaged file, a missing table)
	 * means the store cannot answer now, and no decision is made. */
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return sl_error_set(err, SL_EINTERNAL, "", "sqlite: %s",
				    sqlite3_errmsg(db));
	return sl_error_set(err, SL_EUNAVAIL, "",
			    "the database cannot answer: %s",
			    sqlite3_errmsg(db));
}

/* SQLite's memory statistics take a global mutex on every allocation of
 * every connection; nothing here reads them. */
static void configure_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
#ifdef SL_FAULTS
	sl__store_fault_vfs_install();
#endif
}

static enum sl_err sq_open(const char *uri, void **out, struct sl_error *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct conn *c = sl_xcalloc(1, sizeof(*c));
	const char *path = uri;
	int rc;

	pthread_once(&once, configure_once);
	if (strncmp(path, "sqlite://", 9) == 0)
		path += 9;
	rc = sqlite3_open_v2(path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				     SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		enum sl_err e = sl_error_set(
			err, SL_EUNAVAIL, "", "cannot open %s: %s", path,
			c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		free(c);
		return e;
	}
	c->path = sl_xstrdup(path);
	c->lock_fd = -1;
	sqlite3_busy_timeout(c->db, 10000);
	rc = sqlite3_exec(c->db,
			  "PRAGMA journal_mode=WAL;"
			  "PRAGMA synchronous=FULL;"
			  "PRAGMA foreign_keys=ON;"
			  "PRAGMA cache_size=-" SL_STR(PAGE_CACHE_KB) ";",
			  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		enum sl_err e = fail(c->db, rc, err);
		sqlite3_close(c->db);
		free(c->path);
		free(c);
		return e;
	}
	*out = c;
	return SL_OK;
}

static void checkpointer_stop(struct checkpointer *k);

static void sq_close(void *p)
{
	struct conn *c = p;

	if (!c)
		return;
	if (c->ckpt)
		checkpointer_stop(c->ckpt);
	for (size_t i = 0; i < CACHE_SIZE; i++)
		sqlite3_finalize(c->cache[i].stmt);
	sqlite3_close(c->db);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->path);
	free(c);
}

/* Returns the cached statement for sql, preparing it on first use, or
 * NULL with err filled. */
static sqlite3_stmt *prepare(struct conn *c, const char *sql,
			     struct sl_error *err)
{
	size_t h = ((uintptr_t)sql >> 3) % CACHE_SIZE;
	sqlite3_stmt *stmt = NULL;
	char *text;
	int rc;

	for (size_t i = 0; i < CACHE_SIZE; i++) {
		struct cached *e = &c->cache[(h + i) % CACHE_SIZE];

		if (e->sql == sql)
			return e->stmt;
		if (!e->sql)
			break;
	}
	text = adapt(sql);
	rc = sqlite3_prepare_v3(c->db, text, -1, SQLITE_PREPARE_PERSISTENT,
				&stmt, NULL);
	free(text);
	if (rc != SQLITE_OK) {
		fail(c->db, rc, err);
		return NULL;
	}
	for (size_t i = 0; i < CACHE_SIZE; i++) {
		struct cached *e = &c->cache[(h + i) % CACHE_SIZE];

		if (!e->sql) {
			e->sql = sql;
			e->stmt = stmt;
			return stmt;
		}
	}
	/* Full: the newcomer takes its home slot. Replacing in place keeps
	 * the probe chains intact; the evicted text is prepared again the
	 * next time it is used. */
	sqlite3_finalize(c->cache[h].stmt);
	c->cache[h].sql = sql;
	c->cache[h].stmt = stmt;
	return stmt;
}

static enum sl_err sq_exec(void *p, const char *sql,
			   const struct sl_db_val *params, size_t nparams,
			   unsigned flags, struct sl_db_rows *out,
			   int64_t *changes, struct sl_error *err)
{
	/* A failing SQLite statement undoes only itself: nothing to guard. */
	(void)flags;
	struct conn *c = p;
	sqlite3_stmt *stmt = prepare(c, sql, err);
	enum sl_err result = SL_OK;
	size_t cap = 0;
	int rc;

	if (out)
		memset(out, 0, sizeof(*out));
	if (!stmt)
		return err ? err->code : SL_EINTERNAL;
	/* A write on a connection that holds a shared read snapshot runs
	 * on its own, committed at once, as it would without the snapshot. */
	if (c->in_snap && !sqlite3_stmt_readonly(stmt))
		end_snapshot(c);
	for (size_t i = 0; i < nparams; i++) {
		const struct sl_db_val *v = &params[i];
		int idx = (int)i + 1;

		if (v->type == SL_DB_INT)
			rc = sqlite3_bind_int64(stmt, idx, v->i);
		else if (v->type == SL_DB_TEXT)
			rc = sqlite3_bind_text(stmt, idx, v->s, -1,
					       SQLITE_STATIC);
		else
			rc = sqlite3_bind_null(stmt, idx);
		if (rc != SQLITE_OK) {
			result = fail(c->db, rc, err);
			goto out;
		}
	}
	if (out)
		out->ncols = (size_t)sqlite3_column_count(stmt);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		if (!out)
			continue;
		if (out->nrows == cap) {
			cap = cap ? cap * 2 : 8;
			out->cells = sl_xrealloc(
				out->cells, cap * out->ncols * sizeof(char *));
		}
		for (size_t j = 0; j < out->ncols; j++) {
			const unsigned char *t =
				sqlite3_column_text(stmt, (int)j);
			size_t n = (size_t)sqlite3_column_bytes(stmt, (int)j);
			char *cell = NULL;

			if (t) {
				cell = sl_xmalloc(n + 1);
				memcpy(cell, t, n);
				cell[n] = '\0';
			}
			out->cells[out->nrows * out->ncols + j] = cell;
		}
		out->nrows++;
	}
	if (rc != SQLITE_DONE) {
		result = fail(c->db, rc, err);
		if (out)
			sl_db_rows_fini(out);
		goto out;
	}
	if (changes)
		*changes = sqlite3_changes64(c->db);
out:
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return result;
}

static enum sl_err sq_script(void *p, const char *sql, struct sl_error *err)
{
	struct conn *c = p;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? SL_OK : fail(c->db, rc, err);
}

static enum sl_err sq_begin(void *p, struct sl_error *err)
{
	end_snapshot(p);
	return sq_script(p, "BEGIN IMMEDIATE", err);
}

static enum sl_err sq_commit(void *p, struct sl_error *err)
{
	return sq_script(p, "COMMIT", err);
}

static void sq_rollback(void *p)
{
	struct conn *c = p;

	c->in_snap = 0;
	if (!sqlite3_get_autocommit(c->db))
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
}

/* A connection may go back to the pool with no transaction or with a
 * read snapshot open; one inside a write is broken. */
static int sq_healthy(void *p)
{
	struct conn *c = p;

	return sqlite3_get_autocommit(c->db) != 0 ||
	       (c->in_snap &&
		sqlite3_txn_state(c->db, NULL) != SQLITE_TXN_WRITE);
}

static void end_snapshot(struct conn *c)
{
	c->in_snap = 0;
	if (sqlite3_get_autocommit(c->db))
		return;
	if (sq_exec(c, SQL_COMMIT, NULL, 0, 0, NULL, NULL, NULL))
		sq_rollback(c);
}

/* The data version is the first copy of the WAL-index header at the
 * start of the database's "-shm" file (the "WAL-index format" of SQLite's
 * file-format document): every commit, by any process, changes it (frame
 * count, checksums, or salts when the log restarts), and it is what
 * SQLite itself compares to learn whether its cached pages are still
 * good. It is read on every cacheable request, so the file's first page
 * is mapped (a read is a few loads, not a system call).
 *
 * The descriptor behind a mapping is never closed: SQLite's locks on the
 * file are POSIX locks, which belong to the process, and closing any
 * descriptor of the file would drop every one of them. Another process
 * opening the database would then find no holder, take the file over and
 * shrink it under every mapping of it (SIGBUS). So a process maps each
 * "-shm" file (one per file identity: a database deleted and created
 * again gets a new one) once, for all its connections, and keeps it. The
 * table is small: a process serves one database; tests open a few. A
 * file that SQLite has since deleted frees its slot (the mapping stays).
 * While a connection
 * of this process is open SQLite holds the file (a connection reads the
 * database, here, before the mapping), so it is not shrunk under us. */
#define SHM_SLOTS 16

static struct shm_slot {
	dev_t dev;
	ino_t ino;
	int fd;
	const void *map;
} shm_slots[SHM_SLOTS];
static pthread_mutex_t shm_lock = PTHREAD_MUTEX_INITIALIZER;

/* A slot whose file is gone (no name left), or NULL. Under shm_lock. */
static struct shm_slot *shm_free_slot(void)
{
	struct stat st;

	for (size_t i = 0; i < SHM_SLOTS; i++) {
		struct shm_slot *s = &shm_slots[i];

		if (!s->map)
			return s;
		/* Its mapping stays: a connection may still read it. */
		if (fstat(s->fd, &st) == 0 && st.st_nlink == 0) {
			close(s->fd);
			s->map = NULL;
			return s;
		}
	}
	return NULL;
}

static const void *map_shm(struct conn *c)
{
	const char *db = sqlite3_db_filename(c->db, "main");
	const void *m = MAP_FAILED;
	struct shm_slot *slot;
	char shm[4096];
	struct stat st;
	void *p;
	int fd;

	if (!db || !*db ||
	    (size_t)snprintf(shm, sizeof(shm), "%s-shm", db) >= sizeof(shm) ||
	    sqlite3_exec(c->db, "PRAGMA schema_version", NULL, NULL, NULL) !=
		    SQLITE_OK ||
	    stat(shm, &st) != 0 || st.st_size < SHM_MAPPED)
		return MAP_FAILED;
	pthread_mutex_lock(&shm_lock);
	for (size_t i = 0; i < SHM_SLOTS; i++)
		if (shm_slots[i].map && shm_slots[i].dev == st.st_dev &&
		    shm_slots[i].ino == st.st_ino) {
			m = shm_slots[i].map;
			goto out;
		}
	slot = shm_free_slot();
	if (!slot)
		goto out;
	fd = open(shm, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto out;
	p = mmap(NULL, SHM_MAPPED, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || fstat(fd, &st) != 0) {
		/* Kept open all the same: see above. */
		if (p != MAP_FAILED)
			munmap(p, SHM_MAPPED);
		goto out;
	}
	slot->dev = st.st_dev;
	slot->ino = st.st_ino;
	slot->fd = fd;
	slot->map = m = p;
out:
	pthread_mutex_unlock(&shm_lock);
	return m;
}

static int sq_data_version(void *p, unsigned char out[SL_DATA_VERSION_LEN])
{
	struct conn *c = p;
	const uint32_t *w;
	uint32_t words[SL_DATA_VERSION_LEN / 4];

	if (!c->shm_map)
		c->shm_map = map_shm(c);
	if (c->shm_map == MAP_FAILED)
		return 0;
	/* Another process writes these words while they are read: atomic
	 * loads, so a read sees each word whole (a header caught halfway
	 * reads as a version that matches nothing, which is safe). */
	w = c->shm_map;
	for (size_t i = 0; i < SL_DATA_VERSION_LEN / 4; i++)
		words[i] = __atomic_load_n(&w[i], __ATOMIC_ACQUIRE);
	memcpy(out, words, sizeof(words));
	return 1;
}

/* Reads share a snapshot: starting and ending a read transaction costs
 * two lock calls and a stat of the database file, more than a lookup by
 * key. A snapshot is kept as long as the data version it began at has
 * not moved, so a read never misses a committed write, whoever made it. */
static void sq_read_enter(void *p, uint64_t tick)
{
	struct conn *c = p;
	unsigned char v[SL_DATA_VERSION_LEN];
	int known = sq_data_version(c, v);

	if (known && c->in_snap && c->snap_known &&
	    !sqlite3_get_autocommit(c->db) &&
	    memcmp(v, c->snap_version, sizeof(v)) == 0)
		return;
	end_snapshot(c);
	/* The version is read before the snapshot is taken (at the first
	 * read after BEGIN): the snapshot is at least as new as it. */
	if (sq_exec(c, SQL_BEGIN, NULL, 0, 0, NULL, NULL, NULL) == SL_OK) {
		c->in_snap = 1;
		c->snap_known = known;
		memcpy(c->snap_version, v, sizeof(v));
		c->snap_tick = tick;
	}
}

static void sq_read_expire(void *p, uint64_t before)
{
	struct conn *c = p;

	if (c->in_snap && c->snap_tick < before)
		end_snapshot(c);
}

/* ---- checkpoints off the writer's thread ----
 *
 * By default the connection that commits a write also checkpoints the
 * log into the database once it holds 1,000 pages: it copies them and
 * syncs the database file while every write queued behind it waits. The
 * writer connection instead tells a thread of its own, which checkpoints
 * on a connection of its own (PASSIVE: never blocking readers or the
 * writer) while the writer goes on committing. A checkpoint that runs
 * while writes go on rarely catches the very end of the log, and only a
 * checkpoint that does lets the log start over from its beginning; so
 * once the log holds CKPT_INLINE pages the writer checkpoints itself,
 * which finds nearly every page already copied, and the log restarts.
 * The log thus stays under about CKPT_INLINE pages (16 MB). */
#define CKPT_PAGES  1000
#define CKPT_INLINE 4000

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	sqlite3 *db;
	int pending, stop;
};

static void *checkpointer_run(void *arg)
{
	struct checkpointer *k = arg;

	pthread_mutex_lock(&k->lock);
	while (!k->stop) {
		if (!k->pending) {
			pthread_cond_wait(&k->wake, &k->lock);
			continue;
		}
		k->pending = 0;
		pthread_mutex_unlock(&k->lock);
		sqlite3_wal_checkpoint_v2(
			k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&k->lock);
	}
	pthread_mutex_unlock(&k->lock);
	return NULL;
}

static void checkpointer_stop(struct checkpointer *k)
{
	pthread_mutex_lock(&k->lock);
	k->stop = 1;
	pthread_cond_signal(&k->wake);
	pthread_mutex_unlock(&k->lock);
	pthread_join(k->thread, NULL);
	sqlite3_close(k->db);
	pthread_mutex_destroy(&k->lock);
	pthread_cond_destroy(&k->wake);
	free(k);
}

/* Called by SQLite after each commit of the writer with the log's size. */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int pages)
{
	struct conn *c = arg;

	if (pages >= CKPT_INLINE) {
		sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE,
					  NULL, NULL);
	} else if (pages >= CKPT_PAGES) {
		pthread_mutex_lock(&c->ckpt->lock);
		c->ckpt->pending = 1;
		pthread_cond_signal(&c->ckpt->wake);
		pthread_mutex_unlock(&c->ckpt->lock);
	}
	return SQLITE_OK;
}

static void sq_writer_setup(void *p)
{
	struct conn *c = p;
	struct checkpointer *k = sl_xcalloc(1, sizeof(*k));

	if (sqlite3_open_v2(c->path, &k->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK ||
	    sqlite3_exec(k->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
		    SQLITE_OK) {
		sqlite3_close(k->db);
		free(k);
		return; /* the writer keeps checkpointing itself */
	}
	sqlite3_busy_timeout(k->db, 10000);
	pthread_mutex_init(&k->lock, NULL);
	pthread_cond_init(&k->wake, NULL);
	if (pthread_create(&k->thread, NULL, checkpointer_run, k)) {
		pthread_mutex_destroy(&k->lock);
		pthread_cond_destroy(&k->wake);
		sqlite3_close(k->db);
		free(k);
		return;
	}
	c->ckpt = k;
	/* The writer touches the same hot pages batch after batch (the
	 * deployments being deployed, their events' index, the log's end):
	 * a cache of its own that holds them spares a read per page. */
	sqlite3_exec(c->db, "PRAGMA cache_size=-" SL_STR(WRITER_CACHE_KB), NULL,
		     NULL, NULL);
	/* Replaces the automatic checkpoint of this connection. */
	sqlite3_wal_hook(c->db, wal_hook, c);
}

/* Leadership on SQLite is an exclusive flock on a file beside the
 * database, held as long as the connection lives; the kernel drops it
 * when the process dies. */
static int sq_try_lock(void *p, int64_t key)
{
	struct conn *c = p;
	char lock[4096];

	if (c->lock_fd >= 0)
		return 1;
	snprintf(lock, sizeof(lock), "%s.leader-%lld", c->path, (long long)key);
	c->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (c->lock_fd < 0)
		return -1;
	if (flock(c->lock_fd, LOCK_EX | LOCK_NB) == 0)
		return 1;
	close(c->lock_fd);
	c->lock_fd = -1;
	return 0;
}

const struct sl_db_ops sl_db_sqlite = {
	.name = "sqlite",
	.id_pk = "INTEGER PRIMARY KEY",
	.single_writer = 1,
	.open = sq_open,
	.close = sq_close,
	.begin = sq_begin,
	.commit = sq_commit,
	.rollback = sq_rollback,
	.exec = sq_exec,
	.exec_script = sq_script,
	.healthy = sq_healthy,
	.try_lock = sq_try_lock,
	.writer_setup = sq_writer_setup,
	.data_version = sq_data_version,
	.read_enter = sq_read_enter,
	.read_expire = sq_read_expire,
};
