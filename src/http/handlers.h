/* handlers.h - the route handlers and what they share. */
#ifndef SL_HTTP_HANDLERS_H
#define SL_HTTP_HANDLERS_H

#include "core/state.h"
#include "http/http.h"
#include "http/schema.h"

/* services and environments (catalog.c) */
void sl_h_service_create(struct sl_req *r);
void sl_h_service_list(struct sl_req *r);
void sl_h_service_get(struct sl_req *r);
void sl_h_service_update(struct sl_req *r);
void sl_h_service_delete(struct sl_req *r);
void sl_h_env_create(struct sl_req *r);
void sl_h_env_list(struct sl_req *r);
void sl_h_env_get(struct sl_req *r);
void sl_h_env_update(struct sl_req *r);
void sl_h_env_delete(struct sl_req *r);
extern const struct sl_field sl_service_fields[];
extern const struct sl_field sl_env_fields[];
/* The first 12 hex digits of a secret's SHA-256, as receivers and
 * subscriptions answer it: enough to see that a secret changed, nothing to
 * recover it from. */
void sl_h_secret_fingerprint(const char *secret, char out[13]);
/* Names, owned. */
struct sl_h_names {
	size_t n;
	char **v;
};
void sl_h_names_fini(struct sl_h_names *n);
/* The environments that count as production (sl_production_pick over
 * every environment's rank and `production` field), in rank order. */
enum sl_err sl_h_production_envs(struct sl_tx *tx, struct sl_h_names *out,
				 struct sl_error *err);

/* releases (releases.c) */
void sl_h_release_create(struct sl_req *r);
void sl_h_release_list(struct sl_req *r);
void sl_h_release_get(struct sl_req *r);
void sl_h_release_update(struct sl_req *r);
extern const struct sl_field sl_release_fields[];

/* deployments (deployments.c) */
void sl_h_deploy_create(struct sl_req *r);
void sl_h_deploy_list(struct sl_req *r);
void sl_h_deploy_get(struct sl_req *r);
void sl_h_deploy_event(struct sl_req *r);
void sl_h_deploy_events(struct sl_req *r);
void sl_h_deploy_rollback(struct sl_req *r);
void sl_h_status(struct sl_req *r);
/* Recomputes a placement (latest, running) and its status-matrix row;
 * call after a deployment there is created or changes status. */
enum sl_err sl_h_placement_refresh(struct sl_tx *tx, const char *service,
				   const char *env, const char *target,
				   struct sl_error *err);
extern const struct sl_field sl_deploy_fields[];
extern const struct sl_field sl_event_fields[];
extern const struct sl_field sl_rollback_fields[];

/* tokens, audit, operations (admin.c) */
void sl_h_token_create(struct sl_req *r);
void sl_h_token_list(struct sl_req *r);
void sl_h_token_get(struct sl_req *r);
void sl_h_token_revoke(struct sl_req *r);
void sl_h_audit_list(struct sl_req *r);
void sl_h_healthz(struct sl_req *r);
void sl_h_readyz(struct sl_req *r);
void sl_h_metrics(struct sl_req *r);
void sl_h_openapi(struct sl_req *r);
/* Whether the request's token sees an audit entry (1, 0, -1 when that
 * cannot be told): by the environment and service of its object. */
int sl_http_entry_seen(struct sl_req *r, const struct sl_audit_row *e);
/* stream.c: GET /v1/stream */
void sl_h_stream(struct sl_req *r);
/* The stream's own thread, which follows the log for every subscriber:
 * started with the server, stopped (every stream ended) before it. */
void sl_stream_start(struct sl_store *st);
void sl_stream_stop(void);
/* Ends the streams of a token (revoked) or of a session (closed). */
void sl_stream_end_token(int64_t token_id);
void sl_stream_end_session(int64_t session_id);
/* How many subscribers are connected, and how many were let go for
 * taking nothing (for /metrics). */
void sl_stream_stats(size_t *subscribers, uint64_t *let_go);
/* session.c: the dashboard's sign-in */
void sl_h_session_create(struct sl_req *r);
void sl_h_session_get(struct sl_req *r);
void sl_h_session_delete(struct sl_req *r);
extern const struct sl_field sl_session_fields[];
/* page.c: the dashboard */
void sl_h_page(struct sl_req *r);
void sl_h_asset(struct sl_req *r);
/* 1 when a GET of path that no route takes is a deep link into the
 * dashboard (anything outside the API, hooks and assets). */
int sl_http_is_page_path(const char *path);
extern const struct sl_field sl_token_fields[];

/* shared helpers (common.c) */

/* Reads ?limit= (1..500, default 50); replies 400 and returns 0 if bad. */
int sl_h_limit(struct sl_req *r, int *limit);
/* Reads an optional RFC 3339 query parameter into *us (0 when absent). */
int sl_h_time_param(struct sl_req *r, const char *key, int64_t *us);
/* Reads an optional integer query parameter (>= 0). */
int sl_h_int_param(struct sl_req *r, const char *key, int64_t *v);
/* Reads an optional text query parameter, checked as printable UTF-8. */
int sl_h_text_param(struct sl_req *r, const char *key, const char **v);
/* Splits ?tag=key=value into key and value (malloc'ed into *buf, which
 * the caller frees). */
int sl_h_tag_param(struct sl_req *r, char **buf, const char **key,
		   const char **value);
/* Builds {"items":[docs...],"next_cursor":...} from the stored documents
 * of docs (skipping NULL ones); cursor is a string or NULL. Caller
 * frees. */
char *sl_h_list(const struct sl_docs *docs, const char *next_cursor);
/* Collects the tags object into a malloc'ed array; caller frees the
 * array (strings are borrowed from obj). */
struct sl_tag *sl_h_tags(const json_t *obj, size_t *n);
/* Formats microseconds as an RFC 3339 JSON string. */
json_t *sl_h_time(int64_t us);
/* Resolves a release reference (id or "service@version"): SL_EMALFORMED
 * naming field when it is neither a canonical id nor service@SemVer,
 * SL_ENOTFOUND when no release has that version. */
enum sl_err sl_h_release_ref(struct sl_tx *tx, const char *ref,
			     const char *field, int64_t *id,
			     struct sl_error *err);
/* The release a body names in a field (an id or "service@version"),
 * as a new reference; NULL with err (422 on field "release" when it does
 * not exist). */
json_t *sl_h_body_release(struct sl_tx *tx, const json_t *ref,
			  struct sl_error *err);
/* Replies with a stored document and its ETag. */
void sl_h_reply_doc(struct sl_req *r, int status, char *doc, int64_t revision);
/* Copies every key of src into dst (set, replacing). */
void sl_h_merge(json_t *dst, const json_t *src);
/* A decimal id as a string, into buf. */
const char *sl_h_id(int64_t id, char *buf, size_t size);
/* Writes through the common path: doc's canonical bytes are both the
 * audit "after" and the reply. */
void sl_h_finish(struct sl_req *r, struct sl_tx *tx, const char *action,
		 const char *type, const char *id, const char *before,
		 int status, const char *after);
/* Drops (sets to NULL) the rows whose document lies outside the
 * token's scope: env_key and service_key name the document's fields.
 * SL_EUNAVAIL when the scope cannot be told (a team's services). */
enum sl_err sl_h_scope_filter(struct sl_req *r, struct sl_docs *docs,
			      const char *env_key, const char *service_key,
			      struct sl_error *err);
/* Reads every row of a list query and replies with its documents as
 * {"items": [...]}. */
typedef enum sl_err (*sl_docs_fn)(struct sl_tx *tx, struct sl_docs *out,
				  struct sl_error *err);
void sl_h_reply_docs(struct sl_req *r, sl_docs_fn fn);
/* Reads the numeric {id} path parameter; replies 400 (field "id")
 * naming what and returns 0 when it is not a canonical positive decimal
 * id ("12"; never "012", "+12" or "12 "). */
int sl_h_path_id(struct sl_req *r, const char *what, int64_t *id);
/* How many bytes of s to echo in a message: all of it up to max bytes,
 * else max cut back to a character boundary. */
size_t sl_h_cut(const char *s, size_t max);
/* A release document's type, SL_TYPE__COUNT when it has none this build
 * knows. */
enum sl_release_type sl_h_release_type(const json_t *rel);
/* A document's RFC 3339 field as microseconds, 0 when absent or bad. */
int64_t sl_h_doc_time(const json_t *doc, const char *key);
/* A release document's status; SL_REL__COUNT when it holds none that core
 * knows, so that no comparison with a status holds. */
enum sl_release_status sl_h_release_status(const json_t *rel);
/* Validators with the sl_check_fn shape, for schemas. */
int sl_h_check_semver(const char *s, const char *field, struct sl_error *err);
int sl_h_check_naming(const char *s, const char *field, struct sl_error *err);
int sl_h_check_time(const char *s, const char *field, struct sl_error *err);

/* The verifiable audit log (log.c). */
void sl_h_audit_key(struct sl_req *r);
void sl_h_audit_proof(struct sl_req *r);
void sl_h_audit_consistency(struct sl_req *r);
void sl_h_log_checkpoint(struct sl_req *r);
void sl_h_log_sign(struct sl_req *r);
void sl_h_log_tile(struct sl_req *r);

/* Shared with inbound webhooks (hooks.c): each writes its object and its
 * audit entry inside the caller's write, which the caller ends. */
/* Inserts a release from in (the release schema's fields; type may be
 * absent: the first the service's rule takes); *out its document. */
enum sl_err sl_h_release_insert(struct sl_req *r, struct sl_tx *tx,
				const json_t *in, json_t **out,
				struct sl_error *err);
/* Records a deployment of release rel (a stored document) to env that a
 * sender reports, in status (queued or in_progress), not gated: the
 * sender says what it did. *id is the new deployment's. */
enum sl_err sl_h_deploy_record(struct sl_req *r, struct sl_tx *tx,
			       const json_t *rel, const char *env,
			       enum sl_deploy_status status, const char *url,
			       int64_t *id, struct sl_error *err);
/* The same, from another source than a webhook. */
enum sl_err sl_h_deploy_report_from(struct sl_req *r, struct sl_tx *tx,
				    int64_t id, const enum sl_deploy_status *to,
				    const char *message, int64_t at,
				    enum sl_source source,
				    struct sl_error *err);
/* Stalls every deployment in progress past its environment's deadline
 * (stall_after_seconds, an hour by default) without an event: each moved
 * to stalled in its own write, with an event saying why (source
 * health_check, actor "shiplog") and its audit entry. *moved counts them.
 * Run by the leader only (src/workers/stall.c). */
enum sl_err sl_h_deploy_stall_sweep(struct sl_store *st, int64_t now,
				    size_t *moved, struct sl_error *err);
/* Adds a sender's event to deployment id: a move to *to (the caller
 * checked it is allowed), or with to NULL a message only, at its time
 * (now when it is not believable). */
enum sl_err sl_h_deploy_report(struct sl_req *r, struct sl_tx *tx, int64_t id,
			       const enum sl_deploy_status *to,
			       const char *message, int64_t at,
			       struct sl_error *err);

/* Inbound webhooks (hooks.c). */
extern const struct sl_field sl_receiver_fields[];
void sl_h_receiver_put(struct sl_req *r);
void sl_h_receiver_get(struct sl_req *r);
void sl_h_receiver_list(struct sl_req *r);
void sl_h_receiver_delete(struct sl_req *r);
void sl_h_delivery_list(struct sl_req *r);
void sl_h_delivery_replay(struct sl_req *r);
void sl_h_hook(struct sl_req *r);

/* Incidents (incidents.c). */
extern const struct sl_field sl_incident_fields[];
extern const struct sl_field sl_incident_update_fields[];
extern const struct sl_field sl_incident_cause_fields[];
extern const struct sl_field sl_known_issue_fields[];
void sl_h_incident_create(struct sl_req *r);
void sl_h_incident_list(struct sl_req *r);
void sl_h_incident_get(struct sl_req *r);
void sl_h_incident_update(struct sl_req *r);
void sl_h_incident_cause(struct sl_req *r);
void sl_h_incident_withdraw(struct sl_req *r);
void sl_h_known_issue_add(struct sl_req *r);
void sl_h_known_issue_remove(struct sl_req *r);
/* What an alert says about its group's incident, mapped to the record. */
struct sl_incident_alert {
	char key[64];	      /* the incident's key (sl_incident_key_from) */
	const char *receiver; /* the receiver it came through */
	int firing;	      /* 1 firing, 0 resolved */
	int severity;	      /* enum sl_incident_severity */
	const char *environment, *service, *summary, *url;
	int64_t started_at, ended_at; /* ended_at: when resolved */
};
/* Creates, resolves or reopens the alert's incident inside the caller's
 * write (audited there); *outcome "applied", or "ignored" with the
 * reason when the incident already is as the alert says. */
enum sl_err sl_h_incident_alert(struct sl_req *r, struct sl_tx *tx,
				const struct sl_incident_alert *a,
				const char **outcome, char *reason,
				size_t reason_size, struct sl_error *err);
/* Verification after a deployment (verify.c). */
extern const struct sl_field sl_verify_policy_fields[];
void sl_h_verify_policy_put(struct sl_req *r);
void sl_h_verify_policy_get(struct sl_req *r);
void sl_h_verify_policy_delete(struct sl_req *r);
void sl_h_deploy_verification(struct sl_req *r);
/* Rolls deployment id back to the release that ran there before it, as
 * POST /v1/deployments/{id}/rollback does (the same writes and audit
 * entry), inside tx, with reason as the event's message from source.
 * Only that emergency path, which meets no gates: with no earlier
 * release there, SL_ECONFLICT and nothing written. *new_id is the new
 * deployment. */
enum sl_err sl_h_deploy_rollback_auto(struct sl_req *r, struct sl_tx *tx,
				      int64_t id, const char *reason,
				      enum sl_source source, int64_t *new_id,
				      struct sl_error *err);
/* Bringing history in (import.c). */
void sl_h_import(struct sl_req *r);
struct sl_import_step;
/* Inserts a deployment of release rel (a stored document) with the
 * fields of in (the deployment schema's: environment, target, strategy,
 * deployer, pipeline_url) as it happened elsewhere: created in steps[0]
 * and moved through the rest, each at its own time (sl_import_deploy_plan
 * made them), not gated; each write audited at r->now with r->via. *id
 * is the new deployment's. */
enum sl_err sl_h_deploy_import(struct sl_req *r, struct sl_tx *tx,
			       const json_t *rel, const json_t *in,
			       const struct sl_import_step *steps, size_t n,
			       int64_t *id, struct sl_error *err);
/* Adds an event that happened at `at` to deployment id: a move to `to`
 * (SL_DEP__COUNT: none) the machine allows from where it is, a traffic
 * milestone, a message; at not before its last change
 * (sl_import_event_at). Audited at r->now with r->via; *event_id (when
 * not NULL) is the event's. */
enum sl_err sl_h_deploy_event_import(struct sl_req *r, struct sl_tx *tx,
				     int64_t id, enum sl_deploy_status to,
				     json_t *traffic, const char *message,
				     const char *source, int64_t at,
				     int64_t *event_id, struct sl_error *err);
/* Inserts a service or an environment (is_env) from in (its schema's
 * fields), created at r->now, with its defaults; *text its document
 * (caller frees). Writes no audit entry: the caller ends the write. */
enum sl_err sl_h_catalog_insert(struct sl_req *r, struct sl_tx *tx, int is_env,
				const json_t *in, char **text,
				struct sl_error *err);

/* Notifications (notify.c): subscriptions and the outbox. */
extern const struct sl_field sl_subscription_fields[];
void sl_h_subscription_put(struct sl_req *r);
void sl_h_subscription_get(struct sl_req *r);
void sl_h_subscription_list(struct sl_req *r);
void sl_h_subscription_delete(struct sl_req *r);
void sl_h_notification_list(struct sl_req *r);
void sl_h_notification_replay(struct sl_req *r);

/* compliance reports (reports.c); the control mapping (controls.c:
 * data/controls.json, NUL-ended) */
void sl_h_report(struct sl_req *r);
extern const char sl_controls_json[];
/* Retention (archive.c). */
extern const struct sl_field sl_archive_fields[];
/* Sets the retention period in days (0: everything is kept). */
void sl_h_archive_configure(int64_t days);
void sl_h_archive_create(struct sl_req *r);
void sl_h_archive_restore(struct sl_req *r);
/* When object kind/id is held by an archive, replies 410 naming it (or
 * 503 when that cannot be read) and returns 1; else 0. Call on a 404. */
int sl_h_archive_gone(struct sl_req *r, struct sl_tx *tx, const char *kind,
		      int64_t object_id);
/* The same for an object archived under a text key (a release by
 * "service@sortkey": kind "release_key"); what names it in the detail. */
int sl_h_archive_gone_key(struct sl_req *r, struct sl_tx *tx, const char *kind,
			  const char *key, const char *what);
/* delivery metrics (dora.c) */
void sl_h_metrics_dora(struct sl_req *r);
/* The delivery gauges of the last 30 days for /metrics (Prometheus text;
 * "" when they cannot be read). Caller frees. */
char *sl_h_dora_gauges(struct sl_req *r);

#endif
