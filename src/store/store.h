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
	uint64_t group;	    /* the commit group a grouped write belongs to */
	int64_t object_key; /* the object lock held for the write, or 0 */
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

/* Typed rows. Lists answer their objects as these, each field named:
 * never a column by position. Strings are owned by the row set and
 * freed with its _fini; a NULL string is SQL NULL. */

/* An object of a list: the keys it is listed by and its stored document
 * (NULL while not rendered yet, or once a scope filter dropped it). */
struct sl_doc_row {
	int64_t id;	   /* numbered objects: the id; else 0 */
	char *name;	   /* named objects: the name, key or item; placements:
			    * the service */
	char *environment; /* windows and placements: the environment */
	char *target;	   /* placements: the target */
	int64_t rank;	   /* environment pages: the rank */
	char *doc;
};
struct sl_docs {
	size_t n;
	struct sl_doc_row *v;
};
void sl_docs_fini(struct sl_docs *d);

/* A token as listed (never its secret or hash); times are microseconds,
 * 0 for none. */
struct sl_token_row {
	int64_t id;
	char *name, *role, *created_by;
	char *scope; /* the scope document, NULL when unscoped */
	int64_t created_at, revoked_at, expires_at, last_used_at;
};
struct sl_tokens {
	size_t n;
	struct sl_token_row *v;
};
void sl_tokens_fini(struct sl_tokens *t);

/* An audit entry as kept. */
struct sl_audit_row {
	int64_t seq, at;
	char *actor, *action, *object_type, *object_id, *request_id;
	char *before, *after; /* legacy entries only: whole documents */
	char *change;	      /* JSON Patch (canonical JSON); NULL: legacy */
	char *environment, *service; /* of the object, for scoped reads */
	char *via;		     /* "grant:<id>" or NULL */
};
struct sl_audit_rows {
	size_t n;
	struct sl_audit_row *v;
};
void sl_audit_rows_fini(struct sl_audit_rows *a);

/* A count by key (deployments by status). */
struct sl_count_row {
	char *key;
	int64_t n;
};
struct sl_counts {
	size_t n;
	struct sl_count_row *v;
};
void sl_counts_fini(struct sl_counts *c);

/* A live grant of a role on an environment. */
struct sl_grant_row {
	int64_t id;
	char *role, *environment;
	int64_t expires_at;
};
struct sl_grants {
	size_t n;
	struct sl_grant_row *v;
};
void sl_grants_fini(struct sl_grants *g);

/* A kept version of an environment's policy. */
struct sl_policy_row {
	int64_t version, created_at;
	char *created_by, *doc;
};
struct sl_policies {
	size_t n;
	struct sl_policy_row *v;
};
void sl_policies_fini(struct sl_policies *p);

/* A decision on a release for an environment, as kept; the store does
 * not read its words (decision is the vocabulary's name). */
struct sl_approval_rec {
	int64_t id;
	char *approver, *group, *decision, *artifacts_digest, *environment;
	int64_t at, expires_at; /* expires_at 0 = never */
	int64_t ended_at;	/* withdrawn or voided at; 0 while it stands */
	char *doc;
};
struct sl_approvals {
	size_t n;
	struct sl_approval_rec *v;
};
void sl_approvals_fini(struct sl_approvals *a);

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
/* A write transaction on one object ("deployment:42"): on an engine
 * where writers run side by side, writes on the same object wait for
 * each other before they read anything (so the busiest deployment's
 * events queue up instead of undoing each other); writes on other
 * objects run beside them. */
enum sl_err sl_store_begin_on(struct sl_store *st, const char *object,
			      struct sl_tx *tx, struct sl_error *err);
/* A write transaction that no other exclusive one runs beside, on any
 * daemon: the start-up's migrations, identity and first token, and the
 * log's sequencer and integrator. Ordinary writes never wait for it. */
enum sl_err sl_store_begin_exclusive(struct sl_store *st, struct sl_tx *tx,
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
/* 1 when audit entries get their seq as they are written (one writer at
 * a time); 0 when the sequencer numbers them after commit. */
int sl_store_numbers_at_once(const struct sl_store *st);
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
/* Services by name (name, doc), after f->cursor_name. */
enum sl_err sl_store_service_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_docs *out, struct sl_error *err);

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
/* Environments (name, doc), by rank then name. */
enum sl_err sl_store_environment_list(struct sl_tx *tx, struct sl_docs *out,
				      struct sl_error *err);
/* A page of environments, in the same order: f->limit rows after the
 * environment f->cursor_name of rank f->cursor_rank (from the first when
 * cursor_name is NULL). */
enum sl_err sl_store_environment_page(struct sl_tx *tx,
				      const struct sl_filter *f,
				      struct sl_docs *out,
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
/* Releases (id, doc), newest first. */
enum sl_err sl_store_release_list(struct sl_tx *tx, const struct sl_filter *f,
				  struct sl_docs *out, struct sl_error *err);
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
/* Deployments (id, doc), newest first. */
enum sl_err sl_store_deployment_list(struct sl_tx *tx,
				     const struct sl_filter *f,
				     struct sl_docs *out, struct sl_error *err);
enum sl_err sl_store_deployment_count_env(struct sl_tx *tx,
					  const char *environment, int64_t *n,
					  struct sl_error *err);
/* The id of the newest succeeded or verified deployment in a placement
 * with an id below before_id (0 = any); 0 when none. */
enum sl_err sl_store_deployment_running(struct sl_tx *tx, const char *service,
					const char *environment,
					const char *target, int64_t before_id,
					int64_t *id, struct sl_error *err);
/* Deployments counted by status (key = status), by status. */
enum sl_err sl_store_deployment_status_counts(struct sl_tx *tx,
					      struct sl_counts *out,
					      struct sl_error *err);

/* Recomputes the placement of a service in an environment and target:
 * its latest deployment and the one running now (the newest succeeded or
 * verified one), newest by creation time (then id): an imported
 * deployment keeps its original time and takes its place in that order.
 * Call after any deployment there is created or changes status. */
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
/* Placements (name = service, environment, target, doc = item),
 * ordered by service, environment rank, target. */
enum sl_err sl_store_placement_list(struct sl_tx *tx, const struct sl_filter *f,
				    struct sl_docs *out, struct sl_error *err);

/* Events on a deployment's timeline; seq counts from 1 per deployment. */
enum sl_err sl_store_event_insert(struct sl_tx *tx, int64_t deployment_id,
				  int64_t at, const char *doc, int64_t *id,
				  int64_t *seq, struct sl_error *err);
enum sl_err sl_store_event_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err);
/* A deployment's events (id, doc) in timeline order. */
enum sl_err sl_store_event_list(struct sl_tx *tx, int64_t deployment_id,
				struct sl_docs *out, struct sl_error *err);

/* Tokens: only the hash of the secret is kept. expires_at is
 * microseconds since the epoch, 0 for a token that never expires. */
enum sl_err sl_store_token_insert(struct sl_tx *tx, const char *name,
				  const char *role, const char *hash,
				  int64_t now, const char *created_by,
				  const char *scope, int64_t expires_at,
				  int64_t *id, struct sl_error *err);
/* Finds a live token by hash: not revoked and not expired at now. Fills
 * out (free with sl_tokens_fini: one row) and *stored with the stored
 * hash (free() it). SL_ENOTFOUND when none. */
enum sl_err sl_store_token_find(struct sl_tx *tx, const char *hash, int64_t now,
				struct sl_tokens *out, char **stored,
				struct sl_error *err);
/* Every token, by id. */
enum sl_err sl_store_token_list(struct sl_tx *tx, struct sl_tokens *out,
				struct sl_error *err);
/* A page of them: f->limit tokens with ids above f->cursor. */
enum sl_err sl_store_token_page(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_tokens *out, struct sl_error *err);
/* One token (revoked or expired too), as one row; SL_ENOTFOUND when
 * there is none with that id. */
enum sl_err sl_store_token_get(struct sl_tx *tx, int64_t id,
			       struct sl_tokens *out, struct sl_error *err);
/* Records that the token authenticated at at; never moves last_used_at
 * back (several daemons may report the same token). */
enum sl_err sl_store_token_used(struct sl_tx *tx, int64_t id, int64_t at,
				struct sl_error *err);
enum sl_err sl_store_token_revoke(struct sl_tx *tx, int64_t id, int64_t now,
				  struct sl_error *err);
/* A dashboard session: the token it stands for is read with it. */
struct sl_session {
	int64_t id;
	char hash[65]; /* the digest of its secret, as kept */
	int64_t expires_at;
};
enum sl_err sl_store_session_insert(struct sl_tx *tx, const char *hash,
				    int64_t token_id, int64_t now,
				    int64_t expires_at, int64_t *id,
				    struct sl_error *err);
/* The live session with that digest and its live token (as one row of
 * token); SL_ENOTFOUND when the session or its token is unknown, closed,
 * revoked or expired at now. */
enum sl_err sl_store_session_find(struct sl_tx *tx, const char *hash,
				  int64_t now, struct sl_session *out,
				  struct sl_tokens *token,
				  struct sl_error *err);
enum sl_err sl_store_session_revoke(struct sl_tx *tx, int64_t id, int64_t now,
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
	const char *change;		   /* the JSON Patch, canonical JSON */
	const char *environment, *service; /* of the object, or NULL */
	const char *via; /* "grant:<id>" when a grant allowed it */
};
/* Appends an entry. Where the engine takes one writer at a time it is
 * numbered at once (*seq); elsewhere *seq is 0 and it waits, committed,
 * for sl_store_audit_number. */
enum sl_err sl_store_audit_append(struct sl_tx *tx,
				  const struct sl_audit_entry *e, int64_t *seq,
				  struct sl_error *err);
/* Numbers committed entries that have no seq yet, in the order of their
 * provisional ids, after the highest seq: gap-free. *numbered says how
 * many (at most 10,000 a call). Two sequencers at once cannot both
 * succeed (the second one's numbers are taken, or it fails to commit). */
enum sl_err sl_store_audit_number(struct sl_tx *tx, int64_t *numbered,
				  struct sl_error *err);
/* *n is 1 when some committed entry has no seq yet, else 0. */
enum sl_err sl_store_audit_unnumbered(struct sl_tx *tx, int64_t *n,
				      struct sl_error *err);
/* Entries by seq above f->after, at most f->limit; only the entries
 * matching every filter set in f (actor, action, object_type,
 * object_id, since <= at < until). */
/* The sequence number of the last numbered entry (0: none yet). */
enum sl_err sl_store_audit_last(struct sl_tx *tx, int64_t *seq,
				struct sl_error *err);
enum sl_err sl_store_audit_list(struct sl_tx *tx, const struct sl_filter *f,
				struct sl_audit_rows *out,
				struct sl_error *err);

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
/* Every kept version, oldest first. */
enum sl_err sl_store_policy_versions(struct sl_tx *tx, const char *env,
				     struct sl_policies *out,
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
/* The decisions on a release, oldest first; env NULL = all. */
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
					  struct sl_approvals *out,
					  struct sl_error *err);
/* The decisions on a release, oldest first; env NULL = all. ended_at is
 * when a decision stopped standing: withdrawn by its approver or voided
 * by an edit of the release. */
enum sl_err sl_store_approval_list(struct sl_tx *tx, int64_t release_id,
				   const char *env, struct sl_approvals *out,
				   struct sl_error *err);

/* Checklist completions; SL_ECONFLICT when the item is already done. */
enum sl_err sl_store_checklist_done(struct sl_tx *tx, int64_t release_id,
				    const char *env, const char *item,
				    int64_t now, const char *doc,
				    struct sl_error *err);
/* The items done (name = item, doc). */
enum sl_err sl_store_checklist_list(struct sl_tx *tx, int64_t release_id,
				    const char *env, struct sl_docs *out,
				    struct sl_error *err);

enum sl_err sl_store_change_insert(struct sl_tx *tx, const char *key,
				   int64_t now, const char *doc,
				   struct sl_error *err);
enum sl_err sl_store_change_get(struct sl_tx *tx, const char *key, char **doc,
				int64_t *revision, struct sl_error *err);
enum sl_err sl_store_change_update(struct sl_tx *tx, const char *key,
				   int64_t revision, int64_t now,
				   const char *doc, struct sl_error *err);
/* Change requests (name = key, doc). */
enum sl_err sl_store_change_list(struct sl_tx *tx, struct sl_docs *out,
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
/* Live windows (id, environment: NULL for organisation-wide, doc). */
enum sl_err sl_store_window_list(struct sl_tx *tx, struct sl_docs *out,
				 struct sl_error *err);

/* Time-bound grants of a role on an environment to a token. */
enum sl_err sl_store_grant_insert(struct sl_tx *tx, int64_t token_id,
				  const char *role, const char *env,
				  int64_t expires_at, int64_t *id,
				  struct sl_error *err);
enum sl_err sl_store_grant_set_doc(struct sl_tx *tx, int64_t id,
				   const char *doc, struct sl_error *err);
/* A token's live grants. */
enum sl_err sl_store_grant_active(struct sl_tx *tx, int64_t token_id,
				  int64_t now, struct sl_grants *out,
				  struct sl_error *err);
/* The grants (id, doc) on environments in scope->environments. */
enum sl_err sl_store_grant_list(struct sl_tx *tx,
				const struct sl_scope_lists *scope,
				struct sl_docs *out, struct sl_error *err);

/* Post-incident reviews owed by overrides. */
enum sl_err sl_store_review_insert(struct sl_tx *tx, int64_t deployment_id,
				   int64_t now, int64_t *id,
				   struct sl_error *err);
enum sl_err sl_store_review_set_doc(struct sl_tx *tx, int64_t id,
				    const char *doc, int64_t closed_at,
				    struct sl_error *err);
enum sl_err sl_store_review_get(struct sl_tx *tx, int64_t id, char **doc,
				struct sl_error *err);
/* The reviews (id, doc) whose deployment's environment and service the
 * scope covers. */
enum sl_err sl_store_review_list(struct sl_tx *tx, int open_only,
				 const struct sl_scope_lists *scope,
				 struct sl_docs *out, struct sl_error *err);

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
/* What runs of a service in an environment (doc: the deployment), one
 * per target. */
enum sl_err sl_store_running_in(struct sl_tx *tx, const char *service,
				const char *env, struct sl_docs *out,
				struct sl_error *err);

/* ---- the audit log's tree (log.c) ---- */

/* One tlog tile: its width (1..256) and width * 32 bytes of hashes into
 * hashes (room for 256 * 32). SL_ENOTFOUND when it is not kept;
 * SL_EINTERNAL when what is kept is not a tile (the record was damaged). */
enum sl_err sl_store_log_tile_get(struct sl_tx *tx, int level, uint64_t idx,
				  unsigned *width, unsigned char *hashes,
				  struct sl_error *err);
/* Keeps a tile, replacing a narrower one at the same place. */
enum sl_err sl_store_log_tile_put(struct sl_tx *tx, int level, uint64_t idx,
				  unsigned width, const unsigned char *hashes,
				  struct sl_error *err);
/* How many audit entries (from seq 1) the tree covers; 0 at first. */
enum sl_err sl_store_log_size(struct sl_tx *tx, uint64_t *size,
			      struct sl_error *err);
enum sl_err sl_store_log_size_set(struct sl_tx *tx, uint64_t size,
				  struct sl_error *err);
/* Keeps a signed checkpoint of the tree of size entries (the first one
 * of a size is kept). */
enum sl_err sl_store_log_checkpoint_put(struct sl_tx *tx, uint64_t size,
					const char *root_hex, const char *note,
					int64_t now, struct sl_error *err);
/* The signed checkpoint of a size, or the latest for size 0 (*got its
 * size, when not NULL); SL_ENOTFOUND when there is none. free() *note. */
enum sl_err sl_store_log_checkpoint_get(struct sl_tx *tx, uint64_t size,
					uint64_t *got, char **note,
					struct sl_error *err);
/* The log's origin and verifier key, set once; SL_ENOTFOUND before.
 * free() both. */
enum sl_err sl_store_log_identity_get(struct sl_tx *tx, char **origin,
				      char **verifier_key,
				      struct sl_error *err);
/* SL_ECONFLICT when the log has one already. */
enum sl_err sl_store_log_identity_put(struct sl_tx *tx, const char *origin,
				      const char *verifier_key,
				      struct sl_error *err);

/* ---- inbound webhooks (hooks.c) ---- */

/* A receiver as kept: its secret too, for checking signatures only. */
struct sl_receiver {
	char *name, *source, *secret, *doc;
	int64_t revision;
};
void sl_receiver_fini(struct sl_receiver *r);
/* Creates or replaces the receiver name; *revision is its new one. */
enum sl_err sl_store_receiver_put(struct sl_tx *tx, const char *name,
				  const char *source, const char *secret,
				  const char *doc, int64_t now,
				  int64_t *revision, struct sl_error *err);
/* SL_ENOTFOUND when there is none. Free with sl_receiver_fini. */
enum sl_err sl_store_receiver_get(struct sl_tx *tx, const char *name,
				  struct sl_receiver *out,
				  struct sl_error *err);
/* Every receiver (name, doc), by name. */
enum sl_err sl_store_receiver_list(struct sl_tx *tx, struct sl_docs *out,
				   struct sl_error *err);
enum sl_err sl_store_receiver_delete(struct sl_tx *tx, const char *name,
				     struct sl_error *err);

/* A delivery as kept: the body as the sender sent it, and the document
 * of what came of it. */
struct sl_delivery {
	int64_t id, at;
	char *receiver, *delivery_id, *body, *doc;
};
struct sl_deliveries {
	size_t n;
	struct sl_delivery *v;
};
void sl_deliveries_fini(struct sl_deliveries *d);
/* The delivery a sender's id names (none or one). */
enum sl_err sl_store_delivery_find(struct sl_tx *tx, const char *receiver,
				   const char *delivery_id,
				   struct sl_deliveries *out,
				   struct sl_error *err);
/* Delivery id of the receiver (none or one). */
enum sl_err sl_store_delivery_get(struct sl_tx *tx, const char *receiver,
				  int64_t id, struct sl_deliveries *out,
				  struct sl_error *err);
/* A receiver's deliveries, newest first, older than before_id (0: from
 * the newest), at most limit. */
enum sl_err sl_store_delivery_list(struct sl_tx *tx, const char *receiver,
				   int64_t before_id, int64_t limit,
				   struct sl_deliveries *out,
				   struct sl_error *err);
/* SL_ECONFLICT (the transaction still usable) when the sender's id was
 * taken meanwhile. */
enum sl_err sl_store_delivery_insert(struct sl_tx *tx, const char *receiver,
				     const char *delivery_id, int64_t at,
				     const char *body, int64_t *id,
				     struct sl_error *err);
enum sl_err sl_store_delivery_set_doc(struct sl_tx *tx, int64_t id,
				      const char *doc, struct sl_error *err);
/* The deployment a sender's id names for the receiver (SL_ENOTFOUND). */
enum sl_err sl_store_hook_link_get(struct sl_tx *tx, const char *receiver,
				   const char *external_id,
				   int64_t *deployment_id,
				   struct sl_error *err);
enum sl_err sl_store_hook_link_put(struct sl_tx *tx, const char *receiver,
				   const char *external_id,
				   int64_t deployment_id, struct sl_error *err);
/* Services whose repo URL may end in path ("octo/app"): candidates
 * (name, doc) for the caller to check. */
enum sl_err sl_store_service_by_repo(struct sl_tx *tx, const char *path,
				     struct sl_docs *out, struct sl_error *err);
/* Releases of service that may have the commit sha (or share its first
 * seven characters) or the git tag: candidates (id, doc), newest first. */
enum sl_err sl_store_release_by_ref(struct sl_tx *tx, const char *service,
				    const char *sha, const char *tag,
				    struct sl_docs *out, struct sl_error *err);

/* A deployment in progress, for the stall detector. */
struct sl_progress_row {
	int64_t id, updated_at;
	char *environment;
};
struct sl_progress {
	size_t n;
	struct sl_progress_row *v;
};
void sl_progress_fini(struct sl_progress *p);
/* Deployments in progress whose document last changed before before_us,
 * oldest change first, at most limit. */
enum sl_err sl_store_deployment_quiet(struct sl_tx *tx, int64_t before_us,
				      int64_t limit, struct sl_progress *out,
				      struct sl_error *err);

/* ---- incidents (incidents.c) ---- */

/* The columns an incident is filtered on, beside its document. */
struct sl_incident_cols {
	const char *key, *status, *severity, *environment;
	int64_t started_at, resolved_at; /* resolved_at 0: open */
};
/* Inserts an incident naming services (n of them); SL_ECONFLICT on field
 * key when the key is taken. */
enum sl_err sl_store_incident_insert(struct sl_tx *tx,
				     const struct sl_incident_cols *c,
				     const char *const *services, size_t n,
				     int64_t now, const char *doc,
				     struct sl_error *err);
enum sl_err sl_store_incident_get(struct sl_tx *tx, const char *key, char **doc,
				  int64_t *revision, struct sl_error *err);
/* Rewrites the incident at revision (SL_EPRECOND when it moved on). */
enum sl_err sl_store_incident_update(struct sl_tx *tx,
				     const struct sl_incident_cols *c,
				     int64_t revision, int64_t now,
				     const char *doc, struct sl_error *err);
/* Filters of the incident list; NULL or 0 = any. since/until bound
 * started_at; cursor lists ids below it; newest first. */
struct sl_incident_filter {
	const char *status, *environment, *service;
	int64_t since, until, cursor, release_id;
	int limit;
};
enum sl_err sl_store_incident_list(struct sl_tx *tx,
				   const struct sl_incident_filter *f,
				   struct sl_docs *out, struct sl_error *err);
/* The newest deployments (id, doc) to service in env created before
 * `before`, at most limit: the candidates a suspect is chosen from. */
enum sl_err sl_store_incident_candidates(struct sl_tx *tx, const char *service,
					 const char *env, int64_t before,
					 int limit, struct sl_docs *out,
					 struct sl_error *err);
/* A confirmed cause: add (SL_ECONFLICT when already confirmed), remove
 * (SL_ENOTFOUND when it was not). */
enum sl_err sl_store_incident_cause_add(struct sl_tx *tx, const char *key,
					int64_t deployment_id, const char *by,
					int64_t now, struct sl_error *err);
enum sl_err sl_store_incident_cause_remove(struct sl_tx *tx, const char *key,
					   int64_t deployment_id,
					   struct sl_error *err);
/* A known issue of a release: add (SL_ECONFLICT when already), remove
 * (SL_ENOTFOUND when it was not). */
enum sl_err sl_store_incident_release_add(struct sl_tx *tx, const char *key,
					  int64_t release_id,
					  struct sl_error *err);
enum sl_err sl_store_incident_release_remove(struct sl_tx *tx, const char *key,
					     int64_t release_id,
					     struct sl_error *err);
/* ---- verification after a deployment (verify.c) ---- */

/* Creates or replaces the verification policy of environment env, or of
 * service there (service "" for the environment's own); *revision is its
 * new one. */
enum sl_err sl_store_verify_policy_put(struct sl_tx *tx, const char *env,
				       const char *service, const char *doc,
				       int64_t now, int64_t *revision,
				       struct sl_error *err);
/* The stored policy document (caller frees) and revision; SL_ENOTFOUND
 * when there is none. */
enum sl_err sl_store_verify_policy_get(struct sl_tx *tx, const char *env,
				       const char *service, char **doc,
				       int64_t *revision, struct sl_error *err);
/* SL_ENOTFOUND when there was none. */
enum sl_err sl_store_verify_policy_delete(struct sl_tx *tx, const char *env,
					  const char *service,
					  struct sl_error *err);
/* Deployment ids, for the verification worker. */
struct sl_verification_ids {
	size_t n;
	int64_t *v;
};
void sl_verification_ids_fini(struct sl_verification_ids *ids);
/* Succeeded deployments with no verification yet in an environment whose
 * policy (its own or its service's) was there when they last changed, at
 * most limit, oldest first. */
enum sl_err sl_store_verification_candidates(struct sl_tx *tx, int64_t limit,
					     struct sl_verification_ids *out,
					     struct sl_error *err);
/* Running verifications whose next round is due at now, at most limit,
 * the longest waiting first. */
enum sl_err sl_store_verification_due(struct sl_tx *tx, int64_t now,
				      int64_t limit,
				      struct sl_verification_ids *out,
				      struct sl_error *err);
/* Begins deployment id's verification. SL_ECONFLICT when it has one. */
enum sl_err sl_store_verification_insert(struct sl_tx *tx, int64_t id,
					 const char *state, int64_t next_at,
					 int64_t now, const char *doc,
					 struct sl_error *err);
/* Deployment id's verification document (caller frees); SL_ENOTFOUND
 * when it has none. */
enum sl_err sl_store_verification_get(struct sl_tx *tx, int64_t id, char **doc,
				      struct sl_error *err);
/* Replaces deployment id's verification after a round. */
enum sl_err sl_store_verification_update(struct sl_tx *tx, int64_t id,
					 const char *state, int64_t next_at,
					 int64_t now, const char *doc,
					 struct sl_error *err);
/* Imports (import.c): the shiplog object (a name or a decimal id, into
 * *object_id, malloc'ed) a source's record of kind became; SL_ENOTFOUND
 * when it was never imported. link records it. */
enum sl_err sl_store_import_find(struct sl_tx *tx, const char *source,
				 const char *kind, const char *external_id,
				 char **object_id, struct sl_error *err);
enum sl_err sl_store_import_link(struct sl_tx *tx, const char *source,
				 const char *kind, const char *external_id,
				 const char *object_id, int64_t now,
				 struct sl_error *err);

/* ---- notifications (notify.c) ---- */

/* A subscription as kept: its channel's secret too (the webhook's HMAC
 * key, the Slack URL), for sending only. */
struct sl_subscription {
	char *name, *secret, *doc;
	int64_t revision;
};
struct sl_subscriptions {
	size_t n;
	struct sl_subscription *v;
};
void sl_subscription_fini(struct sl_subscription *s);
void sl_subscriptions_fini(struct sl_subscriptions *s);
/* Creates or replaces subscription name; *revision is its new one. */
enum sl_err sl_store_subscription_put(struct sl_tx *tx, const char *name,
				      const char *secret, const char *doc,
				      int64_t now, int64_t *revision,
				      struct sl_error *err);
/* SL_ENOTFOUND when there is none. Free with sl_subscription_fini. */
enum sl_err sl_store_subscription_get(struct sl_tx *tx, const char *name,
				      struct sl_subscription *out,
				      struct sl_error *err);
/* Every subscription with its secret, by name (the event mapping and the
 * dispatcher). Free with sl_subscriptions_fini. */
enum sl_err sl_store_subscription_all(struct sl_tx *tx,
				      struct sl_subscriptions *out,
				      struct sl_error *err);
/* Every subscription (name, doc), by name. */
enum sl_err sl_store_subscription_list(struct sl_tx *tx, struct sl_docs *out,
				       struct sl_error *err);
enum sl_err sl_store_subscription_delete(struct sl_tx *tx, const char *name,
					 struct sl_error *err);

/* A notification in the outbox. Times in microseconds (0: none). */
struct sl_notification {
	int64_t id, attempts, next_at, created_at, updated_at, sent_at;
	char *key, *subscription, *event, *status, *last_error, *payload;
};
struct sl_notifications {
	size_t n;
	struct sl_notification *v;
};
void sl_notifications_fini(struct sl_notifications *n);
/* Enqueues a pending notification due at now, unless one with the same
 * key exists: *added is 1 when it was written, 0 when the key was
 * there. */
enum sl_err sl_store_notification_add(struct sl_tx *tx, const char *key,
				      const char *subscription,
				      const char *event, const char *payload,
				      int64_t now, int *added,
				      struct sl_error *err);
/* *seen is 1 when some notification's key is key_base followed by ':'
 * (an event found by a sweep, told to any subscription). */
enum sl_err sl_store_notification_seen(struct sl_tx *tx, const char *key_base,
				       int64_t *seen, struct sl_error *err);
/* Pending notifications due at now (next_at <= now), oldest first, at
 * most limit. */
enum sl_err sl_store_notification_due(struct sl_tx *tx, int64_t now,
				      int64_t limit,
				      struct sl_notifications *out,
				      struct sl_error *err);
/* Counts an attempt of notification id before it is made and moves its
 * next_at to until (the lease: the row is due again then if no outcome
 * is recorded). *claimed is 0 when the row is no longer pending with
 * attempts as read (another dispatcher took it). */
enum sl_err sl_store_notification_claim(struct sl_tx *tx, int64_t id,
					int64_t attempts, int64_t until,
					int64_t now, int *claimed,
					struct sl_error *err);
/* Records an attempt's outcome: status, when it is due again, the error
 * (empty when sent), sent_at (0 unless sent). */
enum sl_err sl_store_notification_record(struct sl_tx *tx, int64_t id,
					 const char *status, int64_t next_at,
					 const char *error, int64_t sent_at,
					 int64_t now, struct sl_error *err);
/* Notifications newest first, id below before_id (0: from the newest),
 * of status and subscription when given (NULL: any), at most limit. */
enum sl_err sl_store_notification_list(struct sl_tx *tx, const char *status,
				       const char *subscription,
				       int64_t before_id, int64_t limit,
				       struct sl_notifications *out,
				       struct sl_error *err);
/* Notification id (none or one row). */
enum sl_err sl_store_notification_get(struct sl_tx *tx, int64_t id,
				      struct sl_notifications *out,
				      struct sl_error *err);
/* Puts notification id back to pending, due at now, with its attempts
 * started again (its last error kept until the next attempt). */
enum sl_err sl_store_notification_requeue(struct sl_tx *tx, int64_t id,
					  int64_t now, struct sl_error *err);

/* The source an object of kind (its id as text) was imported from
 * (caller frees); SL_ENOTFOUND when no import brought it in. */
enum sl_err sl_store_import_source_of(struct sl_tx *tx, const char *kind,
				      const char *object_id, char **source,
				      struct sl_error *err);
/* ---- retention and archives (archive.c) ---- */

/* A live table an archive takes rows of, in the order they are put back
 * (parents first): its kind as the archive file names it, its columns,
 * and each column's type ('i' integer, 't' text). */
struct sl_archive_table {
	const char *kind;
	const char *const *cols;
	const char *types;
	size_t ncols;
};
extern const struct sl_archive_table sl_store_archive_tables[];
extern const size_t sl_store_archive_ntables;

/* A deployment that last changed before a cut-off: its status, whether
 * a placement shows it now (current), whether evidence names it (held:
 * an incident's cause, an override's review). */
struct sl_archive_cand {
	int64_t id;
	char status[24];
	int current;
	int held;
};
/* The deployments last changed before before, by id. free() *out. */
enum sl_err sl_store_archive_candidates(struct sl_tx *tx, int64_t before,
					struct sl_archive_cand **out, size_t *n,
					struct sl_error *err);
/* The releases last changed before before, with current set when a
 * deployment of theirs stays live once archive id's are taken, held
 * when an incident names them. free() *out. */
enum sl_err sl_store_archive_release_candidates(struct sl_tx *tx, int64_t id,
						int64_t before,
						struct sl_archive_cand **out,
						size_t *n,
						struct sl_error *err);
/* Marks release rel_id as taken by archive id (its tags, approvals and
 * checklist go with it), found by id and by service@version. */
enum sl_err sl_store_archive_take_release(struct sl_tx *tx, int64_t id,
					  int64_t rel_id, struct sl_error *err);
/* Opens an archive of what is older than before: *id is its number. */
enum sl_err sl_store_archive_open(struct sl_tx *tx, int64_t before, int64_t now,
				  uint64_t tree_size, int64_t *id,
				  struct sl_error *err);
/* Marks deployment dep_id as taken by archive id (its events,
 * verification and webhook links go with it). */
enum sl_err sl_store_archive_take_deployment(struct sl_tx *tx, int64_t id,
					     int64_t dep_id,
					     struct sl_error *err);
/* Marks what else archive id takes: webhook deliveries received and
 * notifications sent before before. */
enum sl_err sl_store_archive_take_rest(struct sl_tx *tx, int64_t id,
				       int64_t before, struct sl_error *err);
/* The live rows of table t (an index of sl_store_archive_tables) that
 * archive id took, as text cells in the table's column order.
 * sl_db_rows_fini(out). */
enum sl_err sl_store_archive_rows(struct sl_tx *tx, int64_t id, size_t t,
				  struct sl_db_rows *out, struct sl_error *err);
/* Deletes from the live tables every row archive id took. */
enum sl_err sl_store_archive_remove(struct sl_tx *tx, int64_t id,
				    struct sl_error *err);
/* Records the archive file's SHA-256 (hex) and counts (JSON text). */
enum sl_err sl_store_archive_seal(struct sl_tx *tx, int64_t id,
				  const char *sha256, const char *counts,
				  struct sl_error *err);
/* The archive that holds object kind/object_id now, and its cut-off;
 * SL_ENOTFOUND when none does. */
enum sl_err sl_store_archive_find(struct sl_tx *tx, const char *kind,
				  const char *object_id, int64_t *archive_id,
				  int64_t *before, struct sl_error *err);
/* The archive whose file has this SHA-256: its id and when it was
 * restored (0: not yet); SL_ENOTFOUND when no archive has it. */
enum sl_err sl_store_archive_by_digest(struct sl_tx *tx, const char *sha256,
				       int64_t *id, int64_t *restored_at,
				       struct sl_error *err);
/* Puts a row of table t back (cells as text, NULL for SQL NULL, in the
 * table's column order); SL_ECONFLICT when one with its key is there. */
enum sl_err sl_store_archive_put_row(struct sl_tx *tx, size_t t,
				     const char *const *cells,
				     struct sl_error *err);
/* Marks archive id restored at now: its objects are live again. */
enum sl_err sl_store_archive_restored(struct sl_tx *tx, int64_t id, int64_t now,
				      struct sl_error *err);
/* The archived-before watermark: the latest cut-off of an archive not
 * restored, 0 when nothing is archived. A measure over a period that
 * starts before it would miss archived records: check it and refuse. */
enum sl_err sl_store_archive_watermark(struct sl_tx *tx, int64_t *before,
				       struct sl_error *err);
/* ---- delivery metrics (dora.c) ---- */

/* One deployment as the delivery metrics read it (migration 15's
 * columns): times in microseconds, 0 for none; commit_at is its
 * release's commit time, else the release's creation. The strings point
 * into the row set's buffers and live as long as it. */
struct sl_dora_row {
	int64_t id, created_at, started_at, finished_at, rollback_of;
	int64_t commit_at, succeeded_at; /* its first success */
	const char *service, *environment, *status, *release_type;
};
struct sl_dora_rows {
	struct sl_dora_row *v;
	size_t n;
	/* What the rows point into: texts and, where cells_n[i] is not 0,
	 * an array of that many texts. */
	char **bufs;
	size_t *cells_n, nbufs;
};
void sl_dora_rows_fini(struct sl_dora_rows *r);

/* Appends to out the deployments to environment created in [since,
 * until), of service and with release tag key=value when those are not
 * NULL. */
enum sl_err sl_store_dora_rows(struct sl_tx *tx, const char *environment,
			       int64_t since, int64_t until,
			       const char *service, const char *tag_key,
			       const char *tag_value, struct sl_dora_rows *out,
			       struct sl_error *err);

/* A fact about a deployment: two times (b_null: b is SQL NULL). */
struct sl_dora_fact {
	int64_t id, a, b;
	int b_null;
};
struct sl_dora_facts {
	struct sl_dora_fact *v;
	size_t n;
};
void sl_dora_facts_fini(struct sl_dora_facts *f);

/* Appends to out every confirmed incident cause: (deployment id, the
 * incident's start, its resolution or NULL), by deployment id then
 * start. */
enum sl_err sl_store_dora_causes(struct sl_tx *tx, struct sl_dora_facts *out,
				 struct sl_error *err);

/* ---- gate refusals (dora.c) ---- */

/* Records one gate refusal of a deployment start: checks are the failing
 * checks' names, comma-joined. */
enum sl_err sl_store_gate_refusal_add(struct sl_tx *tx, int64_t at,
				      const char *environment,
				      const char *service, int64_t release_id,
				      const char *checks, const char *actor,
				      struct sl_error *err);

/* A refusal (checks set) or an approval given (checks NULL) as delivery
 * metrics read them: at is when; for an approval, created_at is its
 * release's creation and refused_at the first refusal of that release in
 * that environment naming `approvals` (0: none). Strings are owned. */
struct sl_dora_gate_row {
	int64_t at, created_at, refused_at;
	char *service, *checks;
};
struct sl_dora_gate_rows {
	struct sl_dora_gate_row *v;
	size_t n;
};
void sl_dora_gate_rows_fini(struct sl_dora_gate_rows *r);

/* Appends to refusals the refusals in environment at [since, until) and
 * to approvals the approvals given there then, of service and release tag
 * key=value when those are not NULL. */
enum sl_err
sl_store_dora_gates(struct sl_tx *tx, const char *environment, int64_t since,
		    int64_t until, const char *service, const char *tag_key,
		    const char *tag_value, struct sl_dora_gate_rows *refusals,
		    struct sl_dora_gate_rows *approvals, struct sl_error *err);

#endif
