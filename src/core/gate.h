/* gate.h - may release R go to environment E now? One engine, a table of
 * small checks, each with a verdict and a sentence.
 *
 * The http layer gathers the facts (from the store, the policy, the
 * token) into struct sl_gate_facts; the engine decides. Nothing here
 * reads a clock or a database. */
#ifndef SL_CORE_GATE_H
#define SL_CORE_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "core/approval.h"

struct sl_gate_dep {
	const char *service;
	const char *range;
	const char *running; /* the version running there, NULL when none */
	int satisfied;
};

struct sl_gate_facts {
	int64_t now;
	const char *environment;

	/* permission: may the deployer deploy here at all? */
	int permitted;
	const char *actor;
	const char *permission_detail; /* why not, when not */

	/* segregation of duties, as the policy configures it */
	int sod_approver_may_not_deploy;
	int sod_deployer_may_not_be_author;
	const char *author;
	int actor_approved; /* the deployer approved this release here */

	/* approvals: all-of the groups, any-of inside each, as
	 * sl_approval_tally counted them */
	const struct sl_approval_count *groups;
	size_t ngroups;
	const char *rejected_by; /* a standing rejection, or NULL */
	const char *reject_comment;

	/* checklist items still open */
	const char *const *missing;
	size_t nmissing;
	size_t nitems;

	/* change request */
	int cr_required;
	const char *cr_key; /* the release's, or NULL */
	int cr_found;
	const char *cr_class;
	const char *cr_state;
	int cr_preapproved; /* a standard change for an allowed type */
	int64_t cr_window_start, cr_window_end; /* 0 when none */

	/* windows */
	const char *block_name; /* a freeze or blackout now, or NULL */
	const char *block_kind;
	int64_t block_until;
	int maintenance_only;
	int in_maintenance;
	int64_t next_maintenance; /* 0 when none is known */

	/* promotion */
	int promotion_required;
	const char *lower_env; /* NULL when this is the lowest rank */
	int64_t lower_since;   /* when it succeeded there, 0 when it has not */
	int64_t soak_us;

	/* dependencies */
	const struct sl_gate_dep *deps;
	size_t ndeps;

	/* concurrency */
	int64_t max_concurrent; /* 0 = unlimited */
	int64_t in_progress;	/* counted up to max_concurrent + 1 */

	/* overrides: checks an authorised person set aside, with a reason */
	const char *const *overrides;
	size_t noverrides;
	const char *override_by;
	const char *override_reason;
};

#define SL_GATE_DETAIL 512

struct sl_gate_check {
	const char *name;
	int passed;
	int overridden;
	/* The facts of this check could not be read: no verdict, and detail
	 * says why. Set only when the gate answered no verdict at all. */
	int unknown;
	char detail[SL_GATE_DETAIL];
};

/* The checks, in order; a check's name is stable API. */
size_t sl_gate_count(void);
const char *sl_gate_name(size_t i);
/* 1 when an override may set the named check aside (windows, approvals,
 * change_request, promotion, checklist); permission, segregation,
 * dependencies and concurrency never can. */
int sl_gate_overridable(const char *name);

/* The index of the named check, or -1. */
int sl_gate_index(const char *name);

/* Runs every check into out (sl_gate_count() entries); returns 1 when
 * all passed (or were overridden). */
int sl_gate_evaluate(const struct sl_gate_facts *f, struct sl_gate_check *out);

#endif
