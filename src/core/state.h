/* state.h - the status machines of releases, deployments and change
 * requests, and the vocabularies their rules read (statuses, release
 * types, strategies, event sources, change classes).
 *
 * Every machine is one static table of allowed {from, to} pairs; every
 * vocabulary is one exported NULL-terminated array of names indexed by
 * its enum (see vocab.h). Names are the wire and storage spelling. */
#ifndef SL_CORE_STATE_H
#define SL_CORE_STATE_H

#include "core/vocab.h"

enum sl_release_status {
	SL_REL_DRAFT,
	SL_REL_PLANNED,
	SL_REL_IN_PROGRESS,
	SL_REL_RELEASED,
	SL_REL_CANCELLED,
	SL_REL__COUNT
};

enum sl_deploy_status {
	SL_DEP_QUEUED,
	SL_DEP_IN_PROGRESS,
	SL_DEP_SUCCEEDED,
	SL_DEP_VERIFIED,
	SL_DEP_FAILED,
	SL_DEP_ROLLED_BACK,
	SL_DEP_CANCELLED,
	SL_DEP_STALLED,
	SL_DEP__COUNT
};

enum sl_release_type {
	SL_TYPE_MAJOR,
	SL_TYPE_MINOR,
	SL_TYPE_PATCH,
	SL_TYPE_HOTFIX,
	SL_TYPE_EMERGENCY,
	SL_TYPE__COUNT
};

/* A set of release types, as a bit mask. */
#define SL_TYPE_BIT(t) (1u << (t))

enum sl_strategy {
	SL_STRAT_ROLLING,
	SL_STRAT_BLUE_GREEN,
	SL_STRAT_CANARY,
	SL_STRAT_RECREATE,
	SL_STRAT__COUNT
};

enum sl_source {
	SL_SRC_API,
	SL_SRC_CLI,
	SL_SRC_WEBHOOK,
	SL_SRC_HEALTH_CHECK,
	SL_SRC__COUNT
};

/* Change request states, as ITSM tools (ServiceNow's normal change) name
 * them, and the change classes that decide which path a change takes. */
enum sl_change_state {
	SL_CR_NEW,
	SL_CR_ASSESS,
	SL_CR_AUTHORIZE,
	SL_CR_APPROVED,
	SL_CR_SCHEDULED,
	SL_CR_IMPLEMENT,
	SL_CR_REVIEW,
	SL_CR_CLOSED,
	SL_CR_CANCELLED,
	SL_CR_REJECTED,
	SL_CR__COUNT
};

enum sl_change_class {
	SL_CRC_STANDARD,
	SL_CRC_NORMAL,
	SL_CRC_EMERGENCY,
	SL_CRC__COUNT
};

/* The names of each vocabulary, indexed by its enum and ended by NULL:
 * the allowed strings of the body fields that take them. */
extern const char *const sl_release_status_names[SL_REL__COUNT + 1];
extern const char *const sl_deploy_status_names[SL_DEP__COUNT + 1];
extern const char *const sl_release_type_names[SL_TYPE__COUNT + 1];
extern const char *const sl_strategy_names[SL_STRAT__COUNT + 1];
extern const char *const sl_source_names[SL_SRC__COUNT + 1];
extern const char *const sl_change_state_names[SL_CR__COUNT + 1];
extern const char *const sl_change_class_names[SL_CRC__COUNT + 1];

/* The statuses a release may be created in (sl_release_status_is_initial)
 * and a deployment may start in (sl_deploy_status_is_initial), in enum
 * order, ended by NULL. */
extern const char *const sl_release_initial_status_names[];
extern const char *const sl_deploy_initial_status_names[];

/* A set of roles, as a bit mask. */
#define SL_ROLE_BIT(r) (1u << (r))

/* Each _name function returns a static string (do not free), or NULL for a
 * value out of range. Each _parse function stores the value named by s in
 * *out and returns 0, or returns -1 (leaving *out alone) when s is NULL or
 * not one of the names; matching is exact and case-sensitive. */

const char *sl_release_status_name(enum sl_release_status s);
int sl_release_status_parse(const char *s, enum sl_release_status *out);
/* Returns 1 when a release may move from `from` to `to`, else 0; a status
 * to itself is not a transition. */
int sl_release_can_transition(enum sl_release_status from,
			      enum sl_release_status to);

/* Returns 1 when a person may move a release from `from` to `to` by
 * hand (a PATCH of its status): plan it, take it back to draft, cancel
 * it. in_progress and released follow from its deployments
 * (sl_release_status_after) and are never set by hand, so no manual
 * change can step past a gate. */
int sl_release_can_set(enum sl_release_status from, enum sl_release_status to);
/* 1 for the statuses a new release may have: draft (the default) and
 * planned; the others follow from deployments or end it. */
int sl_release_status_is_initial(enum sl_release_status s);
/* 1 for statuses no transition leaves (released, cancelled): nothing is
 * waiting on such a release any more. */
int sl_release_status_is_final(enum sl_release_status s);

const char *sl_deploy_status_name(enum sl_deploy_status s);
int sl_deploy_status_parse(const char *s, enum sl_deploy_status *out);
/* Returns 1 when a deployment may move from `from` to `to`, else 0; a
 * status to itself is not a transition. */
int sl_deploy_can_transition(enum sl_deploy_status from,
			     enum sl_deploy_status to);
/* Returns 1 for statuses no transition leaves (rolled_back, cancelled). */
int sl_deploy_status_is_terminal(enum sl_deploy_status s);
/* Returns 1 for the statuses a deployment may be created in: queued (the
 * default) and in_progress (started at once, through the gates). */
int sl_deploy_status_is_initial(enum sl_deploy_status s);
/* Returns 1 when the deployed version is running in its environment
 * (succeeded or verified). */
int sl_deploy_status_is_running_version(enum sl_deploy_status s);

const char *sl_release_type_name(enum sl_release_type t);
int sl_release_type_parse(const char *s, enum sl_release_type *out);
/* Returns 1 for the release type whose deployments may set gate checks
 * aside with an override (emergency); the rest meet every check. */
int sl_release_type_may_override(enum sl_release_type t);

const char *sl_strategy_name(enum sl_strategy s);
int sl_strategy_parse(const char *s, enum sl_strategy *out);
/* Returns 1 for strategies that shift traffic (canary, blue_green). */
int sl_strategy_has_traffic(enum sl_strategy s);

const char *sl_source_name(enum sl_source s);
int sl_source_parse(const char *s, enum sl_source *out);

const char *sl_change_state_name(enum sl_change_state s);
int sl_change_state_parse(const char *s, enum sl_change_state *out);
const char *sl_change_class_name(enum sl_change_class c);
int sl_change_class_parse(const char *s, enum sl_change_class *out);
/* Returns 1 when a change request of class c may move from `from` to
 * `to`, else 0; a state to itself is not a transition. A normal change
 * is assessed, authorised (approved or rejected), scheduled, implemented,
 * reviewed and closed; an emergency change skips the assessment; a
 * standard change is pre-approved and goes from new to scheduled. Any
 * change may be cancelled until it is being implemented; closed,
 * cancelled and rejected are final, and nothing goes back to new once
 * approved. */
int sl_change_can_transition(enum sl_change_class c, enum sl_change_state from,
			     enum sl_change_state to);
/* 1 when a change in state s has been approved and not yet finished:
 * approved, scheduled or being implemented; a deployment may go ahead
 * under it (inside its window). */
int sl_change_authorized(enum sl_change_state s);
/* 1 for the states no transition leaves: closed, cancelled, rejected. */
int sl_change_state_is_final(enum sl_change_state s);

#endif
