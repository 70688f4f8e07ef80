/* rules.h - how deployments move their release along; when a token may
 * expire. */
#ifndef SL_CORE_RULES_H
#define SL_CORE_RULES_H

#include <stdint.h>

#include "core/error.h"
#include "core/semver.h"
#include "core/state.h"

/* The status a release takes when one of its deployments reaches dep in
 * an environment; env_is_highest says whether that environment has the
 * highest rank. A release starts (in_progress) with its first deployment
 * and is released when it succeeds at the top; it never moves back. */
enum sl_release_status sl_release_status_after(enum sl_release_status cur,
					       enum sl_deploy_status dep,
					       int env_is_highest);

/* Which statuses a new release may begin in is a vocabulary:
 * sl_release_status_is_initial (core/state.h). */

/* 1 when a release in status s may be deployed: anything but cancelled
 * (a released one may go to more environments). A rollback back to what
 * ran there before is not a new deployment of it and does not ask. */
int sl_release_deployable(enum sl_release_status s);

/* 1 when a release in status s still waits for approvals: its status is
 * not final (sl_release_status_is_final: released or cancelled). */
int sl_release_awaits_approval(enum sl_release_status s);

/* Checks a change of a release's status by hand (PATCH) from `from` to
 * `to`: SL_OK when sl_release_can_set allows it or nothing changes, else
 * SL_ECONFLICT (field "status") naming both statuses, and saying so when
 * the status is one only deployments lead to. */
enum sl_err sl_release_set_check(enum sl_release_status from,
				 enum sl_release_status to,
				 struct sl_error *err);

/* The fields of a release an edit may change, with their wire names. */
enum sl_release_field {
	SL_RF_TYPE,
	SL_RF_STATUS,
	SL_RF_COMMIT,
	SL_RF_GIT_TAG,
	SL_RF_BUILD,
	SL_RF_ARTIFACTS,
	SL_RF_CHANGE_REQUEST,
	SL_RF_ROLLBACK,
	SL_RF_NOTES,
	SL_RF_KNOWN_ISSUES,
	SL_RF_TAGS,
	SL_RF_DEPENDENCIES,
	SL_RF__COUNT
};
#define SL_RF_BIT(f) (1u << (f))

/* The wire name of a field ("known_issues"), a static string; NULL out of
 * range. */
const char *sl_release_field_name(enum sl_release_field f);

/* Checks an edit of a release in status st that changes the fields in
 * changed (SL_RF_BIT of each). What shipped is the record: once
 * released, only notes and known_issues may change; anything else is
 * SL_ECONFLICT naming the first such field. The status itself is judged
 * by sl_release_set_check. */
enum sl_err sl_release_edit_check(enum sl_release_status st, unsigned changed,
				  struct sl_error *err);

/* Returns 1 when an edit changing the fields in changed voids the
 * release's standing approvals: they approved a commit, artifacts,
 * dependencies and a rollback plan, and what was approved is what ships. */
int sl_release_edit_voids_approvals(unsigned changed);

/* Checks that release type t fits version v, given prev, the highest
 * other release of the service whose MAJOR.MINOR.PATCH is below v's, and
 * latest, the highest other release of the service (each NULL when there
 * is none; cancelled releases are not counted). The first release of a
 * service may have any type. After that a major release bumps MAJOR
 * (or, below 1.0.0, MINOR), a minor one MINOR, a patch or a hotfix
 * PATCH, and an emergency one MINOR or PATCH; a version below every
 * release of the service continues none of its lines. SL_EINVAL (field
 * "type", or "version" for the last case) with a sentence naming the
 * versions and what would fit; the caller refuses or keeps it as a
 * warning, as the service says. */
enum sl_err sl_release_type_check(enum sl_release_type t,
				  const struct sl_semver *v,
				  const struct sl_semver *prev,
				  const struct sl_semver *latest,
				  struct sl_error *err);

/* Where a rollback goes, and whether it must pass the gates. */
struct sl_rollback_plan {
	int64_t release_id; /* 0: nothing to roll back to */
	int gated;
};

/* Chooses the release a rollback of a deployment of release self starts.
 * previous is the release that ran in that environment (and target)
 * before it, 0 when none did; planned is the release its rollback plan's
 * target_version names, 0 when none (or none that exists). Going back to
 * what ran there before is the emergency path and is not gated; a
 * planned target that never ran there is a deployment like any other and
 * meets the gates. SL_ECONFLICT (field "status") when there is nothing to
 * go back to in env. */
enum sl_err sl_rollback_choose(int64_t previous, int64_t planned, int64_t self,
			       const char *env, struct sl_rollback_plan *out,
			       struct sl_error *err);

/* A deployment's times, microseconds, 0 = not yet. */
struct sl_deploy_times {
	int64_t started_at, verified_at, finished_at;
};

/* Stamps the times a deployment's move to `to` at `at` sets: starting
 * (in_progress) sets started_at the first time only; verified sets
 * verified_at; an end (succeeded, failed, cancelled) sets finished_at; a
 * rollback sets finished_at only when it had not finished. */
void sl_deploy_stamp(struct sl_deploy_times *t, enum sl_deploy_status to,
		     int64_t at);

/* 1 when a deployment's move from `from` into `to` meets the gates:
 * starting it, whether created in_progress (from = SL_DEP__COUNT, a new
 * deployment) or moved there from queued. A queued deployment waits
 * without being gated; every other move follows from one that was. */
int sl_deploy_move_gated(enum sl_deploy_status from, enum sl_deploy_status to);

/* Whole milliseconds between two times in microseconds, or -1 when the
 * end is not known or precedes the start. */
int64_t sl_duration_ms(int64_t started_us, int64_t finished_us);

/* A new token's expiry (microseconds since the epoch) must lie after now:
 * a token born expired could never be used. Returns SL_OK, or SL_EINVAL
 * with err filled for the field "expires_at". */
enum sl_err sl_token_expiry_check(int64_t expires_at, int64_t now,
				  struct sl_error *err);

/* A deployment that makes no progress: how long an environment lets a
 * deployment stay in progress without an event before it is stalled,
 * when the environment names no deadline of its own. */
#define SL_STALL_AFTER_DEFAULT_S (60 * 60)
/* 1 when a deployment in status s, whose last progress (its last event)
 * was at last_us, has outrun the deadline of stall_after_s seconds (0:
 * the default) at now_us: only a deployment in progress stalls. */
int sl_deploy_stalls(enum sl_deploy_status s, int64_t last_us,
		     int64_t stall_after_s, int64_t now_us);

/* What an environment says of being production: its `production` field
 * true, false, or absent/null (unset). */
enum sl_prod_flag { SL_PROD_UNSET, SL_PROD_YES, SL_PROD_NO };
struct sl_env_prod {
	int64_t rank;
	enum sl_prod_flag flag;
};
/* Which environments count as production (for delivery metrics and
 * change reports): those marked production: true when any is; else every
 * environment of the highest rank among those not marked false. Sets
 * out[i] to 1 or 0 for each of the n environments; returns how many
 * count. */
size_t sl_production_pick(const struct sl_env_prod *envs, size_t n, int *out);

#endif
