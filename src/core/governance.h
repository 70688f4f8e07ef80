/* governance.h - the rules of an environment's governance records that
 * the gate checks stand on: who may set checks aside, which checklist
 * items a release owes, which windows reach a deployment, when a standard
 * change pre-approves one, which environment a release is promoted from,
 * and how many deployments may run at once.
 *
 * The http layer translates the policy and the stored documents into
 * these plain values; approvals have their own module (approval.h) and
 * the checks themselves are in gate.c. Nothing here reads a clock or a
 * database. */
#ifndef SL_CORE_GOVERNANCE_H
#define SL_CORE_GOVERNANCE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/perm.h"
#include "core/range.h"
#include "core/state.h"
#include "core/validate.h"
#include "core/vocab.h"

/* ---- overrides ---- */

/* An override asked for: the checks to set aside and why. Strings are
 * borrowed. */
struct sl_override {
	const char *const *checks;
	size_t nchecks;
	const char *reason; /* NULL when none was given */
};

/* Checks an override asked for a release of type `type` by a token of
 * role `role` (SL_ROLE__COUNT when it has none this build knows), where
 * the policy lets the roles in override_roles (SL_ROLE_BIT of each)
 * override. Only an emergency release may override, with a reason, from
 * such a role, and only over checks an override may set aside
 * (sl_gate_overridable). SL_OK, or SL_EINVAL (fields "override",
 * "override.reason", "override.checks") or SL_EFORBIDDEN ("override") with
 * a sentence, in that order of precedence. */
enum sl_err sl_override_check(const struct sl_override *o,
			      enum sl_release_type type, enum sl_role role,
			      unsigned override_roles, struct sl_error *err);

/* ---- checklists ---- */

/* One of a policy's checklists. Strings are borrowed. */
struct sl_checklist {
	unsigned types; /* SL_TYPE_BIT of each type it is for; 0 = every type */
	const char *const *items;
	size_t nitems;
};

/* 1 when checklist l applies to a release of type t (SL_TYPE__COUNT for a
 * type this build does not know: only a list for every type applies). */
int sl_checklist_applies(const struct sl_checklist *l, enum sl_release_type t);

/* 1 when item is on one of the lists[0..n) that apply to type t. */
int sl_checklist_requires(const struct sl_checklist *lists, size_t n,
			  enum sl_release_type t, const char *item);

/* The items of the lists[0..n) that apply to type t and are not among
 * done[0..ndone): writes at most cap of them (borrowed) to missing and
 * returns how many it wrote; *nitems gets the number of items the lists
 * that apply hold (an item on two lists counts twice). */
size_t sl_checklist_open(const struct sl_checklist *lists, size_t n,
			 enum sl_release_type t, const char *const *done,
			 size_t ndone, const char **missing, size_t cap,
			 size_t *nitems);

/* ---- windows ---- */

/* What a freeze, blackout or maintenance window reaches. Strings are
 * borrowed. */
struct sl_window_reach {
	const char *environment; /* NULL = every environment */
	const char *service_tag; /* "key=value": only services with that
				    tag; NULL = every service */
};

/* 1 when a window for environment window_env (NULL = every one) reaches
 * environment env. */
int sl_window_reaches_env(const char *window_env, const char *env);

/* 1 when window w applies to a deployment into env of a service with the
 * tags tags[0..ntags) (none when the service is unknown): it reaches env,
 * and the service carries its service_tag with that value. A service_tag
 * that is not key=value matches no service. */
int sl_window_applies(const struct sl_window_reach *w, const char *env,
		      const struct sl_tag *tags, size_t ntags);

/* One window that applies to a deployment, as worked out at one moment:
 * whether an occurrence covers it (and until when) and when the next one
 * begins. The name is borrowed. */
struct sl_window_state {
	const char *name;
	enum sl_window_kind kind;
	int covers;	       /* an occurrence covers the moment */
	int64_t end_us;	       /* when that occurrence ends */
	int has_next;	       /* a later occurrence is known */
	int64_t next_start_us; /* when it begins */
};

/* What the windows that apply say, for the gate's windows check: the
 * freeze or blackout in force that lasts longest (*block, NULL when none,
 * with *block_until), whether a maintenance window is open now, and when
 * the next maintenance window opens (0 when none is known; looked for only
 * when maintenance_only, the policy's windows_mode). */
struct sl_window_verdict {
	const struct sl_window_state *block;
	int64_t block_until;
	int in_maintenance;
	int64_t next_maintenance;
};
void sl_windows_judge(const struct sl_window_state *w, size_t n,
		      int maintenance_only, struct sl_window_verdict *out);

/* ---- change requests ---- */

/* 1 when a change request of class c pre-approves a release of type t:
 * a standard change, for a type in the policy's standard_types
 * (SL_TYPE_BIT of each). c and t may be their __COUNT values for what
 * this build does not know, which pre-approves nothing. */
int sl_change_preapproves(enum sl_change_class c, enum sl_release_type t,
			  unsigned standard_types);

/* ---- promotion ---- */

/* The environment a release is promoted from into an environment of
 * rank `rank`: the index in ranks[0..n) of the highest rank below it (the
 * first of equals), or n when there is none. */
size_t sl_env_below(const int64_t *ranks, size_t n, int64_t rank);

/* When a release counts as having succeeded in an environment: when its
 * first successful deployment there finished, or, when that deployment
 * holds no finish time, when it was last updated (0 when neither). */
int64_t sl_success_time(int64_t finished_at, int64_t updated_at);

/* ---- dependencies ---- */

/* Whether a dependency is met: the index of the first of versions[0..n)
 * (what runs of the service, one per target; NULL entries and versions
 * that do not parse never fit) that satisfies range, or n when none does.
 * A NULL range is never satisfied. */
size_t sl_dependency_fit(const struct sl_range *range,
			 const char *const *versions, size_t n);

/* ---- concurrency ---- */

/* How many deployments may be in progress at once in an environment: the
 * policy's max_concurrent when it sets one (policy_sets), else the
 * environment's own; 0 = unlimited. */
int64_t sl_concurrency_limit(int policy_sets, int64_t policy_max,
			     int64_t env_max);

#endif
