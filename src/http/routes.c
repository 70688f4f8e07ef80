/* routes.c - the route table: one row per route (method, pattern,
 * handler, flags, summary, body schema, permission). Routing,
 * authentication, permissions, body checks, idempotency, metrics and the
 * OpenAPI document are all read from here. */
#include "cal/buckets.h"
#include "core/incident.h"
#include "core/notify.h"
#include "core/perm.h"
#include "core/state.h"
#include "http/governance.h"
#include "http/handlers.h"

#define PUB   SL_R_PUBLIC
#define BODY  SL_R_BODY
#define WRITE SL_R_WRITE
#define CACHE SL_R_CACHE

/* Query parameters, per route. A list takes limit and cursor (the
 * next_cursor of the page before) and its filters; a filter on a
 * vocabulary names the core list of its words. */
#define LIMIT                                                                  \
	{                                                                      \
		"limit", SL_Q_LIMIT, "items per page, 1-500 (default 50)",     \
			NULL                                                   \
	}
#define CURSOR(t)                                                              \
	{                                                                      \
		"cursor", t, "the next_cursor of the previous page", NULL      \
	}
#define TAG                                                                    \
	{                                                                      \
		"tag", SL_Q_TAG, "key=value: only objects with this tag", NULL \
	}

static const struct sl_qparam q_services[] = {
	LIMIT, CURSOR(SL_Q_TEXT), TAG, {0}};
static const struct sl_qparam q_environments[] = {
	LIMIT, CURSOR(SL_Q_TEXT), {0}};
static const struct sl_qparam q_releases[] = {
	LIMIT,
	CURSOR(SL_Q_INT),
	{"service", SL_Q_TEXT, "of this service", NULL},
	{"status", SL_Q_TEXT, "in this status", sl_release_status_names},
	{"type", SL_Q_TEXT, "of this type", sl_release_type_names},
	{"environment", SL_Q_TEXT, "deployed there at least once", NULL},
	{"since", SL_Q_TIME, "created at or after", NULL},
	{"until", SL_Q_TIME, "created before", NULL},
	TAG,
	{0},
};
static const struct sl_qparam q_deployments[] = {
	LIMIT,
	CURSOR(SL_Q_INT),
	{"service", SL_Q_TEXT, "of this service", NULL},
	{"environment", SL_Q_TEXT, "to this environment", NULL},
	{"status", SL_Q_TEXT, "in this status", sl_deploy_status_names},
	{"release", SL_Q_TEXT, "of this release (id or service@version)", NULL},
	{"type", SL_Q_TEXT, "of releases of this type", sl_release_type_names},
	{"since", SL_Q_TIME, "created at or after", NULL},
	{"until", SL_Q_TIME, "created before", NULL},
	TAG,
	{0},
};
static const struct sl_qparam q_status[] = {
	LIMIT,
	CURSOR(SL_Q_TEXT),
	{"service", SL_Q_TEXT, "only this service", NULL},
	{"environment", SL_Q_TEXT, "only this environment", NULL},
	TAG,
	{0},
};
static const struct sl_qparam q_tokens[] = {LIMIT, CURSOR(SL_Q_INT), {0}};
static const struct sl_qparam q_proof[] = {
	{"size", SL_Q_INT, "the tree size (of a checkpoint) to prove in", NULL},
	{0},
};
static const struct sl_qparam q_reports[] = {
	{"from", SL_Q_TIME, "the period's start (RFC 3339)", NULL},
	{"to", SL_Q_TIME, "the period's end, excluded (RFC 3339)", NULL},
	{"environment", SL_Q_TEXT, "only this production environment", NULL},
	{"service", SL_Q_TEXT, "only this service", NULL},
	{"format", SL_Q_TEXT, "json (default), csv or html", NULL},
	{0},
};
static const struct sl_qparam q_consistency[] = {
	{"from", SL_Q_INT, "the smaller tree size", NULL},
	{"to", SL_Q_INT, "the larger tree size", NULL},
	{0},
};
static const struct sl_qparam q_audit[] = {
	LIMIT,
	CURSOR(SL_Q_INT),
	{"after", SL_Q_INT, "entries after this sequence number", NULL},
	{"actor", SL_Q_TEXT, "written by this token (its name)", NULL},
	{"action", SL_Q_TEXT, "this action, e.g. deployment.create", NULL},
	{"object_type", SL_Q_TEXT, "about objects of this type", NULL},
	{"object_id", SL_Q_TEXT, "about the object with this id or name", NULL},
	{"from", SL_Q_TIME, "at or after this time", NULL},
	{"to", SL_Q_TIME, "before this time", NULL},
	{0},
};
static const struct sl_qparam q_policy[] = {
	{"version", SL_Q_INT, "this version (default: the latest)", NULL}, {0}};
static const struct sl_qparam q_environment[] = {
	{"environment", SL_Q_TEXT, "for this environment", NULL}, {0}};
static const struct sl_qparam q_windows[] = {
	{"environment", SL_Q_TEXT, "of this environment (and org-wide ones)",
	 NULL},
	{"from", SL_Q_TIME, "with to: occurrences from this time", NULL},
	{"to", SL_Q_TIME, "with from: occurrences before this time", NULL},
	{0},
};
static const struct sl_qparam q_stream[] = {
	{"environment", SL_Q_TEXT, "only changes in this environment", NULL},
	{"service", SL_Q_TEXT, "only changes to this service", NULL},
	{0},
};
static const struct sl_qparam q_deliveries[] = {LIMIT, CURSOR(SL_Q_INT), {0}};
static const struct sl_qparam q_import[] = {
	{"source", SL_Q_TEXT, "the name of what the records come from (a slug)",
	 NULL},
	{0},
};
static const struct sl_qparam q_reviews[] = {
	{"open", SL_Q_BOOL, "true: only reviews not closed", NULL}, {0}};

static const struct sl_qparam q_incidents[] = {
	LIMIT,
	CURSOR(SL_Q_INT),
	{"status", SL_Q_TEXT, "open or resolved", sl_incident_status_names},
	{"environment", SL_Q_TEXT, "in this environment", NULL},
	{"service", SL_Q_TEXT, "naming this service", NULL},
	{"release", SL_Q_INT, "known issues of this release (its id)", NULL},
	{"since", SL_Q_TIME, "started at or after", NULL},
	{"until", SL_Q_TIME, "started before", NULL},
	{0},
};
static const struct sl_qparam q_verification[] = {
	{"service", SL_Q_TEXT, "a service's own policy, not the environment's",
	 NULL},
	{0}};

static const struct sl_qparam q_notifications[] = {
	LIMIT,
	CURSOR(SL_Q_INT),
	{"status", SL_Q_TEXT, "in this status", sl_notify_status_names},
	{"subscription", SL_Q_TEXT, "for this subscription", NULL},
	{0},
};

static const struct sl_qparam q_dora[] = {
	{"from", SL_Q_TIME, "the period's start; default to minus 30 days",
	 NULL},
	{"to", SL_Q_TIME, "the period's end (excluded); default now", NULL},
	{"bucket", SL_Q_TEXT,
	 "day, week (ISO, from Monday) or month; default "
	 "week",
	 sl_cal_unit_names},
	{"tz", SL_Q_TEXT, "the IANA time zone of the buckets; default UTC",
	 NULL},
	{"environment", SL_Q_TEXT, "one production environment", NULL},
	{"service", SL_Q_TEXT, "one service", NULL},
	{"team", SL_Q_TEXT, "the services this owner owns", NULL},
	{"tag", SL_Q_TEXT, "key=value: releases with this tag", NULL},
	{0},
};

const struct sl_route sl_routes[] = {
	{"GET", "/healthz", sl_h_healthz, PUB, "liveness", NULL, SL_ACT_READ,
	 NULL, NULL},
	{"GET", "/readyz", sl_h_readyz, PUB, "readiness: the store answers",
	 NULL, SL_ACT_READ, NULL, NULL},
	{"GET", "/metrics", sl_h_metrics, 0, "Prometheus metrics", NULL,
	 SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/openapi.json", sl_h_openapi, 0, "this API, OpenAPI 3.1",
	 NULL, SL_ACT_READ, NULL, NULL},
	{"POST", "/v1/session", sl_h_session_create, PUB | BODY | SL_R_AUDITED,
	 "sign in: a token for a session cookie (the dashboard's)",
	 sl_session_fields, SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/session", sl_h_session_get, 0,
	 "who is signed in, what the role may do, the CSRF token", NULL,
	 SL_ACT_READ, NULL, NULL},
	{"DELETE", "/v1/session", sl_h_session_delete, SL_R_AUDITED,
	 "sign out: the session is closed and its cookie cleared", NULL,
	 SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/stream", sl_h_stream, 0,
	 "Server-Sent Events of every change the token sees; ids are "
	 "audit sequence numbers (Last-Event-ID resumes)",
	 NULL, SL_ACT_READ, NULL, q_stream},
	{"POST", "/hooks/{name}", sl_h_hook, PUB | SL_R_AUDITED,
	 "a sender delivers an event, proven by its own scheme (see "
	 "receivers)",
	 NULL, SL_ACT_READ, NULL, NULL},
	{"PUT", "/v1/receivers/{name}", sl_h_receiver_put, BODY | WRITE,
	 "create or replace an inbound webhook receiver", sl_receiver_fields,
	 SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/receivers", sl_h_receiver_list, 0,
	 "list inbound webhook receivers", NULL, SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/receivers/{name}", sl_h_receiver_get, 0,
	 "get a receiver (never its secret)", NULL, SL_ACT_READ, NULL, NULL},
	{"DELETE", "/v1/receivers/{name}", sl_h_receiver_delete, WRITE,
	 "delete a receiver (its deliveries are kept)", NULL,
	 SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/receivers/{name}/deliveries", sl_h_delivery_list, 0,
	 "a receiver's deliveries, newest first, with what came of each", NULL,
	 SL_ACT_READ, NULL, q_deliveries},
	{"POST", "/v1/receivers/{name}/deliveries/{id}/replay",
	 sl_h_delivery_replay, WRITE,
	 "take a kept delivery again, by the receiver's rules as they are now",
	 NULL, SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/", sl_h_page, PUB | SL_R_PAGEQUERY,
	 "the dashboard (also at every path outside the API)", NULL,
	 SL_ACT_READ, NULL, NULL},
	{"GET", "/assets/{name}", sl_h_asset, PUB,
	 "the dashboard's files, named by their content hash", NULL,
	 SL_ACT_READ, NULL, NULL},

	{"POST", "/v1/services", sl_h_service_create, BODY | WRITE,
	 "create a service", sl_service_fields, SL_ACT_CATALOG_WRITE, NULL,
	 NULL},
	{"GET", "/v1/services", sl_h_service_list, CACHE, "list services", NULL,
	 SL_ACT_READ, NULL, q_services},
	{"GET", "/v1/services/{name}", sl_h_service_get, CACHE, "get a service",
	 NULL, SL_ACT_READ, NULL, NULL},
	{"PATCH", "/v1/services/{name}", sl_h_service_update, BODY | WRITE,
	 "update a service", sl_service_fields, SL_ACT_CATALOG_WRITE, NULL,
	 NULL},
	{"DELETE", "/v1/services/{name}", sl_h_service_delete, WRITE,
	 "delete an unused service", NULL, SL_ACT_CATALOG_WRITE, NULL, NULL},

	{"POST", "/v1/environments", sl_h_env_create, BODY | WRITE,
	 "create an environment", sl_env_fields, SL_ACT_CATALOG_WRITE, NULL,
	 NULL},
	{"GET", "/v1/environments", sl_h_env_list, CACHE, "list environments",
	 NULL, SL_ACT_READ, NULL, q_environments},
	{"GET", "/v1/environments/{name}", sl_h_env_get, CACHE,
	 "get an environment", NULL, SL_ACT_READ, NULL, NULL},
	{"PATCH", "/v1/environments/{name}", sl_h_env_update, BODY | WRITE,
	 "update an environment", sl_env_fields, SL_ACT_CATALOG_WRITE, NULL,
	 NULL},
	{"DELETE", "/v1/environments/{name}", sl_h_env_delete, WRITE,
	 "delete an unused environment", NULL, SL_ACT_CATALOG_WRITE, NULL,
	 NULL},

	{"POST", "/v1/releases", sl_h_release_create, BODY | WRITE,
	 "create a release", sl_release_fields, SL_ACT_RELEASE_WRITE, NULL,
	 NULL},
	{"GET", "/v1/releases", sl_h_release_list, CACHE, "list releases", NULL,
	 SL_ACT_READ, NULL, q_releases},
	{"GET", "/v1/releases/{id}", sl_h_release_get, CACHE,
	 "get a release by id or service@version", NULL, SL_ACT_READ, NULL,
	 NULL},
	{"PATCH", "/v1/releases/{id}", sl_h_release_update, BODY | WRITE,
	 "update a release or move its status", sl_release_fields,
	 SL_ACT_RELEASE_WRITE, NULL, NULL},

	{"POST", "/v1/deployments", sl_h_deploy_create, BODY | WRITE,
	 "start or queue a deployment (runs the gates)", sl_deploy_fields,
	 SL_ACT_DEPLOY, NULL, NULL},
	{"GET", "/v1/deployments", sl_h_deploy_list, CACHE, "list deployments",
	 NULL, SL_ACT_READ, NULL, q_deployments},
	{"GET", "/v1/deployments/{id}", sl_h_deploy_get, CACHE,
	 "get a deployment with its timeline", NULL, SL_ACT_READ, NULL, NULL},
	{"POST", "/v1/deployments/{id}/events", sl_h_deploy_event, BODY | WRITE,
	 "report progress", sl_event_fields, SL_ACT_DEPLOY, NULL, NULL},
	{"GET", "/v1/deployments/{id}/events", sl_h_deploy_events, CACHE,
	 "a deployment's timeline", NULL, SL_ACT_READ, NULL, NULL},
	{"POST", "/v1/deployments/{id}/rollback", sl_h_deploy_rollback,
	 BODY | WRITE, "roll back to the version that ran before",
	 sl_rollback_fields, SL_ACT_DEPLOY, NULL, NULL},

	{"GET", "/v1/status", sl_h_status, CACHE,
	 "the matrix: what runs where, since when", NULL, SL_ACT_READ, NULL,
	 q_status},

	{"POST", "/v1/tokens", sl_h_token_create, BODY, "mint a token (admin)",
	 sl_token_fields, SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/tokens", sl_h_token_list, 0, "list tokens", NULL,
	 SL_ACT_TOKEN_ADMIN, NULL, q_tokens},
	{"GET", "/v1/tokens/{id}", sl_h_token_get, 0,
	 "get a token (never its secret)", NULL, SL_ACT_TOKEN_ADMIN, NULL,
	 NULL},
	{"DELETE", "/v1/tokens/{id}", sl_h_token_revoke, WRITE,
	 "revoke a token", NULL, SL_ACT_TOKEN_ADMIN, NULL, NULL},

	{"GET", "/v1/audit", sl_h_audit_list, 0, "audit entries", NULL,
	 SL_ACT_AUDIT_READ, NULL, q_audit},
	{"GET", "/v1/audit/key", sl_h_audit_key, 0,
	 "the log's verifier key (signed-note form), as text", NULL,
	 SL_ACT_AUDIT_READ, NULL, NULL},
	{"GET", "/v1/audit/consistency", sl_h_audit_consistency, 0,
	 "a consistency proof between two tree sizes", NULL, SL_ACT_AUDIT_READ,
	 NULL, q_consistency},
	{"GET", "/v1/audit/{id}/proof", sl_h_audit_proof, 0,
	 "the inclusion proof of an entry in a tree size", NULL,
	 SL_ACT_AUDIT_READ, NULL, q_proof},
	{"GET", "/v1/log/checkpoint", sl_h_log_checkpoint, 0,
	 "the latest signed checkpoint (C2SP tlog-checkpoint)", NULL,
	 SL_ACT_AUDIT_READ, NULL, NULL},
	{"POST", "/v1/log/checkpoint", sl_h_log_sign, 0,
	 "extend the tree and sign a checkpoint now (the leader)", NULL,
	 SL_ACT_AUDIT_READ, NULL, NULL},
	{"GET", "/v1/log/tile/{*}", sl_h_log_tile, 0,
	 "a tile or an entry bundle (C2SP tlog-tiles)", NULL, SL_ACT_AUDIT_READ,
	 NULL, NULL},

	{"GET", "/v1/environments/{name}/policy", sl_h_policy_get, 0,
	 "an environment's policy (latest, or ?version=)", NULL, SL_ACT_READ,
	 NULL, q_policy},
	{"PUT", "/v1/environments/{name}/policy", sl_h_policy_put, BODY | WRITE,
	 "replace the policy (a new version)", sl_policy_fields,
	 SL_ACT_POLICY_WRITE, NULL, NULL},
	{"GET", "/v1/environments/{name}/policy/versions", sl_h_policy_versions,
	 0, "every version of the policy", NULL, SL_ACT_READ, NULL, NULL},

	{"POST", "/v1/gates/check", sl_h_gate_check, BODY,
	 "may this release go there now? every check with its verdict",
	 sl_gate_fields, SL_ACT_READ, sl_h_gate_cached, NULL},

	{"POST", "/v1/releases/{id}/approvals", sl_h_approval_create,
	 BODY | WRITE, "approve or reject a release for an environment",
	 sl_approval_fields, SL_ACT_APPROVE, NULL, NULL},
	{"GET", "/v1/releases/{id}/approvals", sl_h_approval_list, 0,
	 "a release's approvals", NULL, SL_ACT_READ, NULL, q_environment},
	{"DELETE", "/v1/approvals/{id}", sl_h_approval_withdraw, WRITE,
	 "withdraw a decision", NULL, SL_ACT_APPROVE, NULL, NULL},
	{"GET", "/v1/approvals/pending", sl_h_approvals_pending, 0,
	 "what waits for my approval", NULL, SL_ACT_APPROVE, NULL, NULL},

	{"POST", "/v1/releases/{id}/checklist", sl_h_checklist_complete,
	 BODY | WRITE, "complete a checklist item", sl_checklist_fields,
	 SL_ACT_CHECKLIST, NULL, NULL},
	{"GET", "/v1/releases/{id}/checklist", sl_h_checklist_get, 0,
	 "a release's checklist for an environment", NULL, SL_ACT_READ, NULL,
	 q_environment},

	{"POST", "/v1/change-requests", sl_h_change_create, BODY | WRITE,
	 "record a change request", sl_change_fields, SL_ACT_CHANGE_WRITE, NULL,
	 NULL},
	{"GET", "/v1/change-requests", sl_h_change_list, 0,
	 "list change requests", NULL, SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/change-requests/{key}", sl_h_change_get, 0,
	 "get a change request", NULL, SL_ACT_READ, NULL, NULL},
	{"PATCH", "/v1/change-requests/{key}", sl_h_change_update, BODY | WRITE,
	 "update a change request", sl_change_fields, SL_ACT_CHANGE_WRITE, NULL,
	 NULL},

	{"POST", "/v1/windows", sl_h_window_create, BODY | WRITE,
	 "create a freeze, blackout or maintenance window", sl_window_fields,
	 SL_ACT_WINDOW_WRITE, NULL, NULL},
	{"GET", "/v1/windows", sl_h_window_list, 0,
	 "windows, and their occurrences with ?from=&to=", NULL, SL_ACT_READ,
	 NULL, q_windows},
	{"DELETE", "/v1/windows/{id}", sl_h_window_delete, WRITE,
	 "delete a window", NULL, SL_ACT_WINDOW_WRITE, NULL, NULL},

	{"POST", "/v1/grants", sl_h_grant_create, BODY | WRITE,
	 "grant a role on an environment for some hours", sl_grant_fields,
	 SL_ACT_GRANT, NULL, NULL},
	{"GET", "/v1/grants", sl_h_grant_list, 0, "list grants", NULL,
	 SL_ACT_READ, NULL, NULL},

	{"GET", "/v1/reviews", sl_h_review_list, 0,
	 "post-incident reviews owed by overrides (?open=true)", NULL,
	 SL_ACT_READ, NULL, q_reviews},
	{"POST", "/v1/reviews/{id}/close", sl_h_review_close, BODY | WRITE,
	 "close a review with a link", sl_review_close_fields, SL_ACT_OVERRIDE,
	 NULL, NULL},

	{"POST", "/v1/incidents", sl_h_incident_create, BODY | WRITE,
	 "record an incident", sl_incident_fields, SL_ACT_INCIDENT_WRITE, NULL,
	 NULL},
	{"GET", "/v1/incidents", sl_h_incident_list, 0, "list incidents", NULL,
	 SL_ACT_READ, NULL, q_incidents},
	{"GET", "/v1/incidents/{key}", sl_h_incident_get, 0,
	 "an incident with its suspected deployments", NULL, SL_ACT_READ, NULL,
	 NULL},
	{"PATCH", "/v1/incidents/{key}", sl_h_incident_update, BODY | WRITE,
	 "update or resolve an incident", sl_incident_update_fields,
	 SL_ACT_INCIDENT_WRITE, NULL, NULL},
	{"POST", "/v1/incidents/{key}/causes", sl_h_incident_cause,
	 BODY | WRITE, "confirm a deployment as the incident's cause",
	 sl_incident_cause_fields, SL_ACT_INCIDENT_CAUSE, NULL, NULL},
	{"DELETE", "/v1/incidents/{key}/causes/{id}", sl_h_incident_withdraw,
	 WRITE, "withdraw a confirmed cause", NULL, SL_ACT_INCIDENT_CAUSE, NULL,
	 NULL},
	{"POST", "/v1/releases/{id}/known-issues", sl_h_known_issue_add,
	 BODY | WRITE, "attach an incident to a release as a known issue",
	 sl_known_issue_fields, SL_ACT_RELEASE_WRITE, NULL, NULL},
	{"DELETE", "/v1/releases/{id}/known-issues/{key}",
	 sl_h_known_issue_remove, WRITE, "detach a known issue", NULL,
	 SL_ACT_RELEASE_WRITE, NULL, NULL},
	{"PUT", "/v1/environments/{name}/verification", sl_h_verify_policy_put,
	 BODY | WRITE,
	 "set how deployments there are verified after they succeed",
	 sl_verify_policy_fields, SL_ACT_POLICY_WRITE, NULL, q_verification},
	{"GET", "/v1/environments/{name}/verification", sl_h_verify_policy_get,
	 0, "an environment's (or a service's) verification policy", NULL,
	 SL_ACT_READ, NULL, q_verification},
	{"DELETE", "/v1/environments/{name}/verification",
	 sl_h_verify_policy_delete, WRITE, "stop verifying deployments there",
	 NULL, SL_ACT_POLICY_WRITE, NULL, q_verification},
	{"GET", "/v1/deployments/{id}/verification", sl_h_deploy_verification,
	 0, "a deployment's verification: policy, rounds, evidence, outcome",
	 NULL, SL_ACT_READ, NULL, NULL},
	{"POST", "/v1/import", sl_h_import, WRITE,
	 "bring history in: a batch of JSON Lines or CSV records, one "
	 "transaction, idempotent on the source's ids (docs/import/)",
	 NULL, SL_ACT_IMPORT, NULL, q_import},
	{"PUT", "/v1/subscriptions/{name}", sl_h_subscription_put, BODY | WRITE,
	 "create or replace a subscription: events, filters and a channel",
	 sl_subscription_fields, SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/subscriptions", sl_h_subscription_list, 0,
	 "list subscriptions", NULL, SL_ACT_READ, NULL, NULL},
	{"GET", "/v1/subscriptions/{name}", sl_h_subscription_get, 0,
	 "get a subscription (never its channel's secret)", NULL, SL_ACT_READ,
	 NULL, NULL},
	{"DELETE", "/v1/subscriptions/{name}", sl_h_subscription_delete, WRITE,
	 "delete a subscription (its notifications are kept)", NULL,
	 SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/notifications", sl_h_notification_list, 0,
	 "the outbox, newest first: pending, sent and dead notifications", NULL,
	 SL_ACT_READ, NULL, q_notifications},
	{"POST", "/v1/notifications/{id}/replay", sl_h_notification_replay,
	 WRITE, "send a dead (or sent) notification again, same key", NULL,
	 SL_ACT_TOKEN_ADMIN, NULL, NULL},
	{"GET", "/v1/reports/{kind}", sl_h_report, 0,
	 "a compliance report (change, exceptions, controls or access) as "
	 "JSON, CSV or printable HTML",
	 NULL, SL_ACT_AUDIT_READ, NULL, q_reports},
	{"POST", "/v1/archive", sl_h_archive_create, BODY | WRITE,
	 "archive the finished records older than a cut-off: answers the "
	 "archive file (JSON Lines); the audit log stays whole",
	 sl_archive_fields, SL_ACT_ARCHIVE, NULL, NULL},
	{"POST", "/v1/archive/restore", sl_h_archive_restore, WRITE,
	 "put an archive file's records back (idempotent)", NULL,
	 SL_ACT_ARCHIVE, NULL, NULL},
	{"GET", "/v1/metrics/dora", sl_h_metrics_dora, 0,
	 "delivery metrics (DORA) per bucket and for the period, with the "
	 "period before and levels",
	 NULL, SL_ACT_READ, NULL, q_dora},
};

const size_t sl_routes_count = sizeof(sl_routes) / sizeof(sl_routes[0]);
