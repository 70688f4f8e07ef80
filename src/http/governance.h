/* governance.h - what the governance handlers share: policies and the
 * gate run. */
#ifndef SL_HTTP_GOVERNANCE_H
#define SL_HTTP_GOVERNANCE_H

#include "core/approval.h"
#include "core/gate.h"
#include "core/governance.h"
#include "http/http.h"
#include "http/schema.h"

extern const struct sl_field sl_policy_fields[];

/* The policy document with every default filled in; new reference. */
json_t *sl_policy_defaults(void);
/* The latest policy of env (defaults when none; *version 0), or NULL
 * with err. New reference. */
json_t *sl_policy_load(struct sl_tx *tx, const char *env, int64_t *version,
		       struct sl_error *err);

/* The policy as core's values (policy.c). Strings are borrowed from
 * policy. */
/* 1 when the segregation rule named (e.g. "author_may_not_approve") is
 * on. */
int sl_policy_rule(const json_t *policy, const char *rule);
/* The approval groups it requires, in order; free() the array. */
struct sl_approval_need *sl_policy_needs(const json_t *policy, size_t *n);
/* Its checklists, in order; free() the array (one block with the item
 * names' pointers). */
struct sl_checklist *sl_policy_checklists(const json_t *policy, size_t *n);
/* The roles that may override (SL_ROLE_BIT each). */
unsigned sl_policy_override_roles(const json_t *policy);
/* The release types a standard change pre-approves (SL_TYPE_BIT each). */
unsigned sl_policy_standard_types(const json_t *policy);

/* The decisions on a release for one environment, read from the store
 * and counted by sl_approval_tally: tally, and what it borrows from. */
struct sl_h_approvals {
	struct sl_approval_tally tally;
	struct sl_approvals rows;
	struct sl_approval *list;
	size_t n;
	struct sl_approval_need *needs;
	json_t *docs;
	char digest[65];
};
/* A kept decision as core's, without its comment (in the document);
 * strings are borrowed from rec. SL_EUNAVAIL when it holds a decision
 * this build does not know. */
enum sl_err sl_h_approval_row(const struct sl_approval_rec *rec,
			      struct sl_approval *a, struct sl_error *err);
/* Reads and counts the decisions on release rel (a document) for env,
 * under policy, for actor (NULL: no one) at now, into out; SL_OK, or
 * the store's error (SL_EUNAVAIL, with err, when a stored decision
 * cannot be read). Free out with sl_h_approvals_fini either way; it
 * borrows from policy, rel and actor. */
enum sl_err sl_h_approvals_count(struct sl_tx *tx, const json_t *policy,
				 const json_t *rel, const char *env,
				 const char *actor, int64_t now,
				 struct sl_h_approvals *out,
				 struct sl_error *err);
void sl_h_approvals_fini(struct sl_h_approvals *a);

/* Hex SHA-256 of the canonical JSON of a release's artifacts, into out
 * (65 bytes): approvals are void when it changes. */
void sl_artifacts_digest(const json_t *release, char *out);

/* Runs every gate for release rel (a document) into environment env at
 * time at, for the request's actor, with an optional override object
 * ({"checks": [...], "reason": "..."}). Fills checks (sl_gate_count()
 * entries) and returns 1 when allowed, 0 when not, -1 when the facts
 * could not be read (err filled). until, when not NULL, gets the first
 * moment after at when the clock alone may change the verdict (an
 * approval or grant expires, a window opens or closes, a change window
 * opens or closes, a soak ends): 0 when none within a year, -1 when one
 * could not be worked out. Otherwise only a write can change it. */
int sl_gate_run(struct sl_req *r, struct sl_tx *tx, const json_t *rel,
		const char *env, const char *target, int64_t at,
		const json_t *override, struct sl_gate_check *checks,
		int64_t *until, struct sl_error *err);
struct sl_window_spec;
/* Points spec at a stored window document's fields (borrowed). */
void sl_window_spec_of(const json_t *w, struct sl_window_spec *spec);
/* The checks as a JSON array; new reference. */
json_t *sl_gate_json(const struct sl_gate_check *checks);
/* Replies 409 with a problem document that lists every check. */
void sl_gate_refuse(struct sl_req *r, const struct sl_gate_check *checks);
/* After sl_gate_run failed: 1 when it failed because facts could not be
 * read (checks names them). fail replies: 503 gate-unavailable listing
 * the checks without a verdict and why, or the error's own problem. */
int sl_gate_unknown(const struct sl_gate_check *checks,
		    const struct sl_error *err);
void sl_gate_fail(struct sl_req *r, const struct sl_gate_check *checks,
		  const struct sl_error *err);

/* Handlers (policy.c, approvals.c, governance.c). */
void sl_h_policy_get(struct sl_req *r);
void sl_h_policy_put(struct sl_req *r);
void sl_h_policy_versions(struct sl_req *r);
void sl_h_gate_check(struct sl_req *r);
/* A kept verdict for the request, when there is one (the route's cache
 * hook); 1 when it answered. */
int sl_h_gate_cached(struct sl_req *r);
void sl_h_approval_create(struct sl_req *r);
void sl_h_approval_list(struct sl_req *r);
void sl_h_approval_withdraw(struct sl_req *r);
void sl_h_approvals_pending(struct sl_req *r);
void sl_h_checklist_complete(struct sl_req *r);
void sl_h_checklist_get(struct sl_req *r);
void sl_h_change_create(struct sl_req *r);
void sl_h_change_list(struct sl_req *r);
void sl_h_change_get(struct sl_req *r);
void sl_h_change_update(struct sl_req *r);
void sl_h_window_create(struct sl_req *r);
void sl_h_window_list(struct sl_req *r);
void sl_h_window_delete(struct sl_req *r);
void sl_h_grant_create(struct sl_req *r);
void sl_h_grant_list(struct sl_req *r);
void sl_h_review_list(struct sl_req *r);
void sl_h_review_close(struct sl_req *r);
extern const struct sl_field sl_gate_fields[];
extern const struct sl_field sl_override_fields_table[];
extern const struct sl_field sl_approval_fields[];
extern const struct sl_field sl_checklist_fields[];
extern const struct sl_field sl_change_fields[];
extern const struct sl_field sl_window_fields[];
extern const struct sl_field sl_grant_fields[];
extern const struct sl_field sl_review_close_fields[];

#endif
