/* store.h - where shiplog keeps things.
 *
 * The only layer with SQL. Objects are kept as their canonical JSON
 * document (written by the http layer) beside the columns that queries
 * filter and order on, so a read answers the stored bytes as they are and
 * the audit log holds exactly the bytes a client saw.
 *
 * Every function takes a transaction. A write transaction serialises
 * writers and must end with sl_store_commit or sl_store_abort; a read
 * transaction only borrows a connection. Functions return 0 or an
 * enum sl_err, filling err on failure. Returned strings are malloc'ed and
 * the caller frees them; returned rows are freed with sl_db_rows_fini. */
#ifndef SL_STORE_STORE_H
#define SL_STORE_STORE_H

#include <stdint.h>

#include "core/error.h"
#include "core/validate.h"
#include "store/db.h"

struct sl_store;

struct sl_tx {
	struct sl_store *st;
	void *conn;
	int write;
	uint64_t group; /* the commit group a grouped write belongs to */
};

/* Filters for lists; NULL or 0 means "any". cursor is the last id (or
 * name) of the previous page. */
struct sl_filter {
	const char *service;
	const char *environment;
	const char *status;
	const char *type;
	const char *tag_key;
	const char *tag_value;
	const char *cursor_name;
	/* The status matrix's cursor: the last row's environment and target
	 * (cursor_name holds its service). */
	const char *cursor_env, *cursor_target;
	int64_t release_id;
	int64_t since, until; /* microseconds; 0 = open */
	int64_t cursor;	      /* list ids below this; 0 = from the top */
	int64_t after;	      /* audit: sequence numbers above this */
	/* audit: entries by this actor, of this action, about this object
	 * (type and/or id); since/until bound their time */
	const char *actor, *action, *object_type, *object_id;
	/* environments: the rank of the cursor_name environment */
	int64_t cursor_rank;
	int limit;
};

/* Opens (creating if needed) the store at uri and migrates its schema
 * forward. "postgresql://..." selects PostgreSQL, anything else is a
 * SQLite path. Free with sl_store_close. */
enum sl_err sl_store_open(const char *uri, struct sl_store **out,
			  struct sl_error *err);
void sl_store_close(struct sl_store *st);
/* 1 when uri names a PostgreSQL database. */
int sl_store_is_pg(const char *uri);
/* Tries to hold cluster leadership for key (work that must run once per
 * cluster): 1 this process holds it, 0 another does, -1 the database
 * cannot be reached. Call it periodically; a lost connection loses the
 * lock and the next call says so. */
int sl_store_leader_try(struct sl_store *st, int64_t key);
/* Group commit counters (SQLite): COMMITs issued, the writes they
 * carried and, when waiting is not NULL, the writers queued now; all 0 on
 * engines that do not group. */
void sl_store_group_stats(struct sl_store *st, uint64_t *commits,
			  uint64_t *writes, int *waiting);
/* Housekeeping, called about once a second: ends the shared read
 * snapshots that idle pooled connections still hold. */
void sl_store_tick(struct sl_store *st);
/* The database's data version (SQLite): SL_DATA_VERSION_LEN bytes that
 * differ whenever any process has committed a write since they were read.
 * 1 when out was filled, 0 when the engine cannot tell cheaply. */
int sl_store_data_version(struct sl_store *st,
			  unsigned char out[SL_DATA_VERSION_LEN]);
/* 1 when the last sl_store_leader_try took or kept the lock. */
int sl_store_leader_held(struct sl_store *st);
/* The lock key of the daemon's cluster-wide leadership. */
#define SL_LEADER_KEY 7081991
/* The name of the engine ("sqlite"). */
const char *sl_store_engine(const struct sl_store *st);
/* The schema version after migrations. */
int sl_store_schema_version(struct sl_store *st);

enum sl_err sl_store_begin(struct sl_store *st, int write, struct sl_tx *tx,
			   struct sl_error *err);
enum sl_err sl_store_commit(struct sl_tx *tx, struct sl_error *err);
/* Rolls back (for a write) and gives the connection back. Safe to call
 * after a failed commit. */
void sl_store_abort(struct sl_tx *tx);
/* Batches (SQLite): the calling thread takes the writer for a series of
 * write transactions that all share one COMMIT, issued by batch_end,
 * which returns its result; a failed write inside rolls back alone.
 * batch_begin returns 0 (and does nothing) on engines that do not
 * group. Nothing written in a batch may be acknowledged before batch_end
 * returns SL_OK. */
int sl_store_batch_begin(struct sl_store *st);
/* 1 when the engine groups writes (and batches mean something). */
int sl_store_grouped(const struct sl_store *st);
enum sl_err sl_store_batch_end(struct sl_store *st, struct sl_error *err);
/* 0 when the store answers a trivial query. */
enum sl_err sl_store_ping(struct sl_store *st, struct sl_error *err);
/* Readiness: the store answers a read, and, when the last write failed
 * because the store could not take it, a probe write commits. */
enum sl_err sl_store_ready(struct sl_store *st, struct sl_error *err);

/* Services and environments: objects named by a slug. */
enum sl_err sl_store_service_insert(struct sl_tx *tx, const char *name,
				    int64_t now, const char *doc,
				    const struct sl_tag *tags, size_t ntags,
				    struct sl_error *err);
enum sl_err sl_store_service_get(struct sl_tx *tx, const char *name, char **doc,
				 int64_t *revision, struct sl_error *err);
/* Replaces the document when the revision still is expected_revision;
 * SL_EPRECOND otherwise. The new revision is expected_revision + 1. */
enum sl_err sl_store_service_update(struct sl_tx *tx, const char *name,
				    int64_t expected_revision, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err);
enum sl_err sl_store_service_delete(struct sl_tx *tx, const char *name,
				    struct sl_error *err);
/* Rows: (name, doc), by name, after f->cursor_name. */
enum sl_err sl_store_service_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_db_rows *out, struct sl_error *err);

enum sl_err sl_store_environment_insert(struct sl_tx *tx, const char *name,
					int64_t rank, int64_t now,
					const char *doc, struct sl_error *err);
enum sl_err sl_store_environment_get(struct sl_tx *tx, const char *name,
				     char **doc, int64_t *revision,
				     struct sl_error *err);
enum sl_err sl_store_environment_update(struct sl_tx *tx, const char *name,
					int64_t expected_revision, int64_t rank,
					int64_t now, const char *doc,
					struct sl_error *err);
enum sl_err sl_store_environment_delete(struct sl_tx *tx, const char *name,
					struct sl_error *err);
/* Rows: (name, doc), by rank then name. */
enum sl_err sl_store_environment_list(struct sl_tx *tx, struct sl_db_rows *out,
				      struct sl_error *err);
/* A page of environments, in the same order: f->limit rows after the
 * environment f->cursor_name of rank f->cursor_rank (from the first when
 * cursor_name is NULL). */
enum sl_err sl_store_environment_page(struct sl_tx *tx,
				      const struct sl_filter *f,
				      struct sl_db_rows *out,
				      struct sl_error *err);
/* The highest rank of any environment (0 when none). */
enum sl_err sl_store_environment_max_rank(struct sl_tx *tx, int64_t *rank,
					  struct sl_error *err);

/* Releases. The id is assigned by insert; the caller then writes the
 * document that contains it with sl_store_release_update. */
enum sl_err sl_store_release_insert(struct sl_tx *tx, const char *service,
				    const char *version, const char *sortkey,
				    const char *status, const char *type,
				    int64_t now, int64_t *id,
				    struct sl_error *err);
enum sl_err sl_store_release_get(struct sl_tx *tx, int64_t id, char **doc,
				 int64_t *revision, struct sl_error *err);
/* Reads a release by service and SemVer sort key in one query. */
enum sl_err sl_store_release_get_by_key(struct sl_tx *tx, const char *service,
					const char *sortkey, char **doc,
					int64_t *revision,
					struct sl_error *err);
/* Finds a release by service and SemVer sort key; fills *id. */
enum sl_err sl_store_release_find(struct sl_tx *tx, const char *service,
				  const char *sortkey, int64_t *id,
				  struct sl_error *err);
/* Replaces status and document (and tags, when tags is not NULL). */
enum sl_err sl_store_release_update(struct sl_tx *tx, int64_t id,
				    int64_t expected_revision,
				    const char *status, int64_t now,
				    const char *doc, const struct sl_tag *tags,
				    size_t ntags, struct sl_error *err);
/* Rows: (id, doc), newest first. */
enum sl_err sl_store_release_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_db_rows *out, struct sl_error *err);
/* The versions around a release of service, for checking its type: *prev
 * the highest whose sort key is below `below`, *latest the highest of
 * all; release `exclude` (0 for none) and cancelled releases are not
 * counted. Each is NULL when there is none, else free() it. */
enum sl_err sl_store_release_neighbours(struct sl_tx *tx, const char *service,
					const char *below, int64_t exclude,
					char **prev, char **latest,
					struct sl_error *err);
enum sl_err sl_store_release_count(struct sl_tx *tx, const char *service,
				   int64_t *n, struct sl_error *err);

/* Deployments. As for releases, insert assigns the id. */
enum sl_err sl_store_deployment_insert(struct sl_tx *tx, int64_t release_id,
				       const char *service,
				       const char *environment,
				       const char *target, const char *status,
				       int64_t now, int64_t *id,
				       struct sl_error *err);
enum sl_err sl_store_deployment_get(struct sl_tx *tx, int64_t id, char **doc,
				    int64_t *revision, struct sl_error *err);
enum sl_err sl_store_deployment_update(struct sl_tx *tx, int64_t id,
				       int64_t expected_revision,
				       const char *status, int64_t now,
				       const char *doc, struct sl_error *err);
/* Rows: (id, doc), newest first. */
enum sl_err sl_store_deployment_list(struct sl_tx *tx,
				     const struct sl_filter *f,
				     struct sl_db_rows *out,
				     struct sl_error *err);
enum sl_err sl_store_deployment_count_env(struct sl_tx *tx,
					  const char *environment, int64_t *n,
					  struct sl_error *err);
/* The id of the newest succeeded or verified deployment in a placement
 * with an id below before_id (0 = any); 0 when none. */
enum sl_err sl_store_deployment_running(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, int64_t before_id,
					int64_t *id, struct sl_error *err);
/* Rows: (status, count). */
enum sl_err sl_store_deployment_status_counts(struct sl_tx *tx,
					      struct sl_db_rows *out,
					      struct sl_error *err);

/* Recomputes the placement of a service in an environment and target:
 * its latest deployment and the one running now (the newest succeeded or
 * verified one). Call after any deployment there is created or changes
 * status. */
enum sl_err sl_store_placement_refresh(struct sl_tx *tx, const char *service,
				       const char *environment,
				       const char *target,
				       struct sl_error *err);
/* The running (NULL when none) and latest documents of a placement. */
enum sl_err sl_store_placement_get(struct sl_tx *tx, const char *service,
				   const char *environment, const char *target,
				   char **running, char **latest,
				   struct sl_error *err);
/* Keeps the placement's status-matrix row, as the http layer renders
 * it, so reading the matrix is a concatenation. */
enum sl_err sl_store_placement_set_item(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, const char *item,
					struct sl_error *err);
/* Rows: (service, environment, target, item), ordered by service,
 * environment rank, target. */
enum sl_err sl_store_placement_list(struct sl_tx *tx, const struct sl_filter *f,
				    struct sl_db_rows *out,
				    struct sl_error *err);

/* Events on a deployment's timeline; seq counts from 1 per deployment. */
enum sl_err sl_store_event_insert(struct sl_tx *tx, int64_t deployment_id,
				  int64_t at, const char *doc, int64_t *id,
				  int64_t *seq, struct sl_error *err);
enum sl_err sl_store_event_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err);
/* Rows: (id, doc) in timeline order. */
enum sl_err sl_store_event_list(struct sl_tx *tx, int64_t deployment_id,
				struct sl_db_rows *out, struct sl_error *err);

/* Tokens: only the hash of the secret is kept. expires_at is
 * microseconds since the epoch, 0 for a token that never expires. */
enum sl_err sl_store_token_insert(struct sl_tx *tx, const char *name,
				  const char *role, const char *hash,
				  int64_t now, const char *created_by,
				  const char *scope, int64_t expires_at,
				  int64_t *id, struct sl_error *err);
/* Finds a live token by hash: not revoked and not expired at now. Fills
 * id, name, role, the stored hash and the scope document (NULL when
 * unscoped), all malloc'ed, the caller frees; and expires_at and
 * last_used_at (0 when none). SL_ENOTFOUND when none. */
enum sl_err sl_store_token_find(struct sl_tx *tx, const char *hash, int64_t now,
				int64_t *id, char **name, char **role,
				char **stored, char **scope,
				int64_t *expires_at, int64_t *last_used_at,
				struct sl_error *err);
/* Rows: (id, name, role, created_at, created_by, revoked_at, scope,
 * expires_at, last_used_at). */
enum sl_err sl_store_token_list(struct sl_tx *tx, struct sl_db_rows *out,
				struct sl_error *err);
/* A page of the same rows: f->limit tokens with ids above f->cursor. */
enum sl_err sl_store_token_page(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_db_rows *out, struct sl_error *err);
/* One token (revoked or expired too), as one row of the list;
 * SL_ENOTFOUND when there is none with that id. */
enum sl_err sl_store_token_get(struct sl_tx *tx, int64_t id,
			       struct sl_db_rows *out, struct sl_error *err);
/* Records that the token authenticated at at; never moves last_used_at
 * back (several daemons may report the same token). */
enum sl_err sl_store_token_used(struct sl_tx *tx, int64_t id, int64_t at,
				struct sl_error *err);
enum sl_err sl_store_token_revoke(struct sl_tx *tx, int64_t id, int64_t now,
				  struct sl_error *err);
/* Counts live tokens (not revoked, not expired at now), of one role when
 * role is not NULL. */
enum sl_err sl_store_token_count(struct sl_tx *tx, const char *role,
				 int64_t now, int64_t *n, struct sl_error *err);

/* Audit: appends one entry, numbering it one past the last (gap-free,
 * because writers are serialised). Fills *seq. */
struct sl_audit_entry {
	int64_t at;
	const char *actor;
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *request_id;
	const char *before; /* canonical JSON or NULL */
	const char *after;  /* canonical JSON or NULL */
	const char *via;    /* "grant:<id>" when a grant allowed it */
};
enum sl_err sl_store_audit_append(struct sl_tx *tx,
				  const struct sl_audit_entry *e, int64_t *seq,
				  struct sl_error *err);
/* Rows: (seq, at, actor, action, object_type, object_id, request_id,
 * before, after, via), by seq above f->after, at most f->limit; only
 * the entries matching every filter set in f (actor, action,
 * object_type, object_id, since <= at < until). */
enum sl_err sl_store_audit_list(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_db_rows *out, struct sl_error *err);

/* Idempotency records: the first answer to (actor, key). */
struct sl_idem {
	char *method, *path, *body_hash, *response;
	int64_t status;
};
enum sl_err sl_store_idem_get(struct sl_tx *tx, const char *actor,
			      const char *key, struct sl_idem *out,
			      struct sl_error *err);
enum sl_err sl_store_idem_put(struct sl_tx *tx, const char *actor,
			      const char *key, const struct sl_idem *rec,
			      int64_t now, struct sl_error *err);
void sl_store_idem_fini(struct sl_idem *rec);

/* ---- governance (governance.c) ---- */

/* Policies: every version kept; put numbers the next one. version 0 in
 * get means the latest; SL_ENOTFOUND when the environment has none. */
enum sl_err sl_store_policy_put(struct sl_tx *tx, const char *env,
				const char *doc, const char *by, int64_t now,
				int64_t *version, struct sl_error *err);
enum sl_err sl_store_policy_get(struct sl_tx *tx, const char *env,
				int64_t version, char **doc, int64_t *got,
				struct sl_error *err);
enum sl_err sl_store_policy_set_doc(struct sl_tx *tx, const char *env,
				    int64_t version, const char *doc,
				    struct sl_error *err);
/* Rows: (version, created_at, created_by, doc). */
enum sl_err sl_store_policy_versions(struct sl_tx *tx, const char *env,
				     struct sl_db_rows *out,
				     struct sl_error *err);

struct sl_approval_row {
	int64_t release_id;
	const char *environment;
	const char *approver;
	const char *group; /* NULL when it counts for no group */
	const char *decision;
	int64_t at;
	int64_t expires_at; /* 0 = never */
	const char *artifacts_digest;
};
enum sl_err sl_store_approval_insert(struct sl_tx *tx,
				     const struct sl_approval_row *a,
				     int64_t *id, struct sl_error *err);
enum sl_err sl_store_approval_set_doc(struct sl_tx *tx, int64_t id,
				      const char *doc, struct sl_error *err);
enum sl_err sl_store_approval_get(struct sl_tx *tx, int64_t id, char **doc,
				  struct sl_error *err);
/* SL_ECONFLICT when already withdrawn. */
enum sl_err sl_store_approval_withdraw(struct sl_tx *tx, int64_t id,
				       int64_t now, const char *doc,
				       struct sl_error *err);
/* Marks an approval void: an edit changed what it approved. */
enum sl_err sl_store_approval_void(struct sl_tx *tx, int64_t id, int64_t now,
				   const char *doc, struct sl_error *err);
/* Rows: (id, approver, grp, decision, at, expires_at, artifacts_digest,
 * ended_at, environment, doc), oldest first; env NULL = all. ended_at is
 * when the decision stopped standing: withdrawn by its approver or voided
 * by an edit of the release; NULL while it stands. */
/* A token's scope as list queries filter by it: each list holds its
 * names, each between newlines ("\nstaging\ndev\n"; no name may hold a
 * newline; "\n" alone matches nothing), or is NULL for no limit.
 * team_services names the services the token's teams own. */
struct sl_scope_lists {
	const char *environments, *services, *team_services;
};

/* As sl_store_approval_list, keeping only the approvals for environments
 * in scope->environments. */
enum sl_err sl_store_approval_list_scoped(struct sl_tx *tx, int64_t release_id,
					  const char *env,
					  const struct sl_scope_lists *scope,
					  struct sl_db_rows *out,
					  struct sl_error *err);
enum sl_err sl_store_approval_list(struct sl_tx *tx, int64_t release_id,
				   const char *env, struct sl_db_rows *out,
				   struct sl_error *err);

/* Checklist completions; SL_ECONFLICT when the item is already done. */
enum sl_err sl_store_checklist_done(struct sl_tx *tx, int64_t release_id,
				    const char *env, const char *item,
				    int64_t now, const char *doc,
				    struct sl_error *err);
/* Rows: (item, doc). */
enum sl_err sl_store_checklist_list(struct sl_tx *tx, int64_t release_id,
				    const char *env, struct sl_db_rows *out,
				    struct sl_error *err);

enum sl_err sl_store_change_insert(struct sl_tx *tx, const char *key,
				   int64_t now, const char *doc,
				   struct sl_error *err);
enum sl_err sl_store_change_get(struct sl_tx *tx, const char *key, char **doc,
				int64_t *revision, struct sl_error *err);
enum sl_err sl_store_change_update(struct sl_tx *tx, const char *key,
				   int64_t revision, int64_t now,
				   const char *doc, struct sl_error *err);
/* Rows: (key, doc). */
enum sl_err sl_store_change_list(struct sl_tx *tx, struct sl_db_rows *out,
				 struct sl_error *err);

/* Windows; env NULL = organisation-wide. */
enum sl_err sl_store_window_insert(struct sl_tx *tx, const char *env,
				   int64_t now, int64_t *id,
				   struct sl_error *err);
enum sl_err sl_store_window_set_doc(struct sl_tx *tx, int64_t id,
				    const char *doc, struct sl_error *err);
/* Marks a live window deleted; *doc is its document before. */
enum sl_err sl_store_window_delete(struct sl_tx *tx, int64_t id, int64_t now,
				   char **doc, struct sl_error *err);
/* Rows: (id, environment, doc) of live windows. */
enum sl_err sl_store_window_list(struct sl_tx *tx, struct sl_db_rows *out,
				 struct sl_error *err);

/* Time-bound grants of a role on an environment to a token. */
enum sl_err sl_store_grant_insert(struct sl_tx *tx, int64_t token_id,
				  const char *role, const char *env,
				  int64_t expires_at, int64_t *id,
				  struct sl_error *err);
enum sl_err sl_store_grant_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err);
/* Rows: (id, role, environment, expires_at) of live grants. */
enum sl_err sl_store_grant_active(struct sl_tx *tx, int64_t token_id,
				  int64_t now, struct sl_db_rows *out,
				  struct sl_error *err);
/* Rows: (id, doc) of the grants on environments in scope->environments. */
enum sl_err sl_store_grant_list(struct sl_tx *tx,
				const struct sl_scope_lists *scope,
				struct sl_db_rows *out, struct sl_error *err);

/* Post-incident reviews owed by overrides. */
enum sl_err sl_store_review_insert(struct sl_tx *tx, int64_t deployment_id,
				   int64_t now, int64_t *id,
				   struct sl_error *err);
enum sl_err sl_store_review_set_doc(struct sl_tx *tx, int64_t id,
				    const char *doc, int64_t closed_at,
				    struct sl_error *err);
enum sl_err sl_store_review_get(struct sl_tx *tx, int64_t id, char **doc,
				struct sl_error *err);
/* Rows: (id, doc) of the reviews whose deployment's environment and
 * service the scope covers. */
enum sl_err sl_store_review_list(struct sl_tx *tx, int open_only,
				 const struct sl_scope_lists *scope,
				 struct sl_db_rows *out, struct sl_error *err);

/* Deployments in an environment with a status, counted up to most (an
 * index range of at most that many entries, however many there are). */
enum sl_err sl_store_deployment_count_status(struct sl_tx *tx, const char *env,
					     const char *status, int64_t most,
					     int64_t *n, struct sl_error *err);
/* The first succeeded or verified deployment of a release in an
 * environment; SL_ENOTFOUND when there is none. */
enum sl_err sl_store_release_success_in(struct sl_tx *tx, int64_t release_id,
					const char *env, char **doc,
					struct sl_error *err);
/* Rows: (doc) of what runs of a service in an environment, per target. */
enum sl_err sl_store_running_in(struct sl_tx *tx, const char *service,
				const char *env, struct sl_db_rows *out,
				struct sl_error *err);

#endif
