/* rules.c - release progress driven by deployments; what may change by
 * hand, and when; the release type against the version; rollbacks. */
#include "core/rules.h"

#include <inttypes.h>
#include <stdio.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

enum sl_release_status sl_release_status_after(enum sl_release_status cur,
					       enum sl_deploy_status dep,
					       int env_is_highest)
{
	enum sl_release_status want = cur;

	if (cur == SL_REL_CANCELLED || cur == SL_REL_RELEASED)
		return cur;
	if (cur == SL_REL_DRAFT || cur == SL_REL_PLANNED)
		want = SL_REL_IN_PROGRESS;
	if (env_is_highest && sl_deploy_status_is_running_version(dep))
		want = SL_REL_RELEASED;
	/* Walk the table rather than trusting the jump. */
	if (want != cur && cur != SL_REL_IN_PROGRESS && want == SL_REL_RELEASED)
		return sl_release_can_transition(cur, SL_REL_IN_PROGRESS)
			       ? SL_REL_RELEASED
			       : cur;
	return want != cur && sl_release_can_transition(cur, want) ? want : cur;
}

int sl_release_deployable(enum sl_release_status s)
{
	return s != SL_REL_CANCELLED;
}

int sl_release_awaits_approval(enum sl_release_status s)
{
	return !sl_release_status_is_final(s);
}

int64_t sl_duration_ms(int64_t started_us, int64_t finished_us)
{
	if (started_us <= 0 || finished_us <= 0 || finished_us < started_us)
		return -1;
	return (finished_us - started_us) / 1000;
}

enum sl_err sl_token_expiry_check(int64_t expires_at, int64_t now,
				  struct sl_error *err)
{
	if (expires_at <= now)
		return sl_error_set(err, SL_EINVAL, "expires_at",
				    "expires_at must be in the future");
	return SL_OK;
}

enum sl_err sl_release_set_check(enum sl_release_status from,
				 enum sl_release_status to,
				 struct sl_error *err)
{
	if (from == to || sl_release_can_set(from, to))
		return SL_OK;
	if (to == SL_REL_IN_PROGRESS || to == SL_REL_RELEASED)
		return sl_error_set(err, SL_ECONFLICT, "status",
				    "a release cannot be set from %s to %s by "
				    "hand: it becomes in_progress with its "
				    "first deployment and released when one "
				    "succeeds in the highest environment",
				    sl_release_status_name(from),
				    sl_release_status_name(to));
	return sl_error_set(err, SL_ECONFLICT, "status",
			    "a release cannot move from %s to %s",
			    sl_release_status_name(from),
			    sl_release_status_name(to));
}

static const char *const field_names[SL_RF__COUNT] = {
	[SL_RF_TYPE] = "type",
	[SL_RF_STATUS] = "status",
	[SL_RF_COMMIT] = "commit",
	[SL_RF_GIT_TAG] = "git_tag",
	[SL_RF_BUILD] = "build",
	[SL_RF_ARTIFACTS] = "artifacts",
	[SL_RF_CHANGE_REQUEST] = "change_request",
	[SL_RF_ROLLBACK] = "rollback",
	[SL_RF_NOTES] = "notes",
	[SL_RF_KNOWN_ISSUES] = "known_issues",
	[SL_RF_TAGS] = "tags",
	[SL_RF_DEPENDENCIES] = "dependencies",
};

/* What may still change once a release is released. */
#define AFTER_RELEASE (SL_RF_BIT(SL_RF_NOTES) | SL_RF_BIT(SL_RF_KNOWN_ISSUES))

/* What an approval approved. */
#define APPROVED                                                               \
	(SL_RF_BIT(SL_RF_COMMIT) | SL_RF_BIT(SL_RF_ARTIFACTS) |                \
	 SL_RF_BIT(SL_RF_DEPENDENCIES) | SL_RF_BIT(SL_RF_ROLLBACK))

const char *sl_release_field_name(enum sl_release_field f)
{
	if ((int)f < 0 || f >= SL_RF__COUNT)
		return NULL;
	return field_names[f];
}

enum sl_err sl_release_edit_check(enum sl_release_status st, unsigned changed,
				  struct sl_error *err)
{
	unsigned refused = changed & ~AFTER_RELEASE & ~SL_RF_BIT(SL_RF_STATUS);

	if (st != SL_REL_RELEASED || !refused)
		return SL_OK;
	for (int f = 0; f < SL_RF__COUNT; f++)
		if (refused & SL_RF_BIT(f))
			return sl_error_set(
				err, SL_ECONFLICT, field_names[f],
				"the release is released: its %s is part of "
				"the record of what shipped and cannot "
				"change; only notes and known_issues may",
				field_names[f]);
	return SL_OK;
}

int sl_release_edit_voids_approvals(unsigned changed)
{
	return (changed & APPROVED) != 0;
}

/* Writes v as MAJOR.MINOR.PATCH[-pre] into buf and returns buf. */
static const char *fmt_version(const struct sl_semver *v, char *buf, size_t cap)
{
	snprintf(buf, cap, "%" PRIu64 ".%" PRIu64 ".%" PRIu64 "%s%s", v->major,
		 v->minor, v->patch, v->pre ? "-" : "", v->pre ? v->pre : "");
	return buf;
}

/* The bumps each release type may be (1 << enum sl_semver_bump). */
static const unsigned type_bumps[SL_TYPE__COUNT] = {
	[SL_TYPE_MAJOR] = 1u << SL_BUMP_MAJOR,
	[SL_TYPE_MINOR] = 1u << SL_BUMP_MINOR,
	[SL_TYPE_PATCH] = 1u << SL_BUMP_PATCH,
	[SL_TYPE_HOTFIX] = 1u << SL_BUMP_PATCH,
	[SL_TYPE_EMERGENCY] = (1u << SL_BUMP_MINOR) | (1u << SL_BUMP_PATCH),
};

static const char *const bump_names[] = {
	[SL_BUMP_NONE] = "no",
	[SL_BUMP_PATCH] = "patch",
	[SL_BUMP_MINOR] = "minor",
	[SL_BUMP_MAJOR] = "major",
};

enum sl_err sl_release_type_check(enum sl_release_type t,
				  const struct sl_semver *v,
				  const struct sl_semver *prev,
				  const struct sl_semver *latest,
				  struct sl_error *err)
{
	char vb[80], pb[80], nb[80], fits[64] = "";
	enum sl_semver_bump bump;
	unsigned allowed;
	struct sl_semver next;
	size_t n = 0;

	SL_ASSERT((int)t >= 0 && t < SL_TYPE__COUNT);
	if (!prev) {
		if (latest && sl_semver_compare_core(v, latest) < 0)
			return sl_error_set(
				err, SL_EINVAL, "version",
				"%s is below every release of the service "
				"(the latest is %s) and continues none of its "
				"lines",
				fmt_version(v, vb, sizeof(vb)),
				fmt_version(latest, pb, sizeof(pb)));
		return SL_OK; /* the first release of a line */
	}
	bump = sl_semver_bump(prev, v);
	allowed = type_bumps[t];
	/* Below 1.0.0 anything may change, and a breaking change
	 * customarily bumps MINOR (0.3.1 -> 0.4.0). */
	if (t == SL_TYPE_MAJOR && v->major == 0 && prev->major == 0)
		allowed |= 1u << SL_BUMP_MINOR;
	if (bump == SL_BUMP_NONE || (allowed & (1u << bump)))
		return SL_OK;
	for (int k = 0; k < SL_TYPE__COUNT; k++)
		if (type_bumps[k] & (1u << bump))
			n += (size_t)snprintf(fits + n, sizeof(fits) - n,
					      "%s%s", n ? " or " : "",
					      sl_release_type_name(k));
	next = (struct sl_semver){prev->major, prev->minor, prev->patch + 1,
				  NULL, NULL};
	if (t == SL_TYPE_MAJOR)
		next = (struct sl_semver){prev->major + 1, 0, 0, NULL, NULL};
	else if (t == SL_TYPE_MINOR)
		next = (struct sl_semver){prev->major, prev->minor + 1, 0, NULL,
					  NULL};
	return sl_error_set(err, SL_EINVAL, "type",
			    "%s after %s is a %s bump, not what a %s release "
			    "is: make it %s, or a %s release %s",
			    fmt_version(v, vb, sizeof(vb)),
			    fmt_version(prev, pb, sizeof(pb)), bump_names[bump],
			    sl_release_type_name(t), fits,
			    sl_release_type_name(t),
			    fmt_version(&next, nb, sizeof(nb)));
}

enum sl_err sl_rollback_choose(int64_t previous, int64_t planned, int64_t self,
			       const char *env, struct sl_rollback_plan *out,
			       struct sl_error *err)
{
	*out = (struct sl_rollback_plan){0, 0};
	if (previous) {
		out->release_id = previous;
		return SL_OK;
	}
	if (planned && planned != self) {
		out->release_id = planned;
		out->gated = 1;
		return SL_OK;
	}
	return sl_error_set(err, SL_ECONFLICT, "status",
			    "nothing to roll back to: no earlier version ran "
			    "in %s and the release names no other rollback "
			    "target that exists",
			    env);
}

void sl_deploy_stamp(struct sl_deploy_times *t, enum sl_deploy_status to,
		     int64_t at)
{
	switch (to) {
	case SL_DEP_IN_PROGRESS:
		if (!t->started_at)
			t->started_at = at;
		break;
	case SL_DEP_VERIFIED:
		t->verified_at = at;
		break;
	case SL_DEP_SUCCEEDED:
	case SL_DEP_FAILED:
	case SL_DEP_CANCELLED:
		t->finished_at = at;
		break;
	case SL_DEP_ROLLED_BACK:
		if (!t->finished_at)
			t->finished_at = at;
		break;
	default:
		break;
	}
}

int sl_deploy_move_gated(enum sl_deploy_status from, enum sl_deploy_status to)
{
	return to == SL_DEP_IN_PROGRESS &&
	       (from == SL_DEP__COUNT || from == SL_DEP_QUEUED);
}

int sl_deploy_stalls(enum sl_deploy_status s, int64_t last_us,
		     int64_t stall_after_s, int64_t now_us)
{
	if (s != SL_DEP_IN_PROGRESS)
		return 0;
	if (stall_after_s <= 0)
		stall_after_s = SL_STALL_AFTER_DEFAULT_S;
	return now_us - last_us > stall_after_s * 1000000;
}

size_t sl_production_pick(const struct sl_env_prod *envs, size_t n, int *out)
{
	size_t count = 0;
	int marked = 0, have_top = 0;
	int64_t top = 0;

	for (size_t i = 0; i < n; i++) {
		if (envs[i].flag == SL_PROD_YES)
			marked = 1;
		if (envs[i].flag != SL_PROD_NO &&
		    (!have_top || envs[i].rank > top)) {
			top = envs[i].rank;
			have_top = 1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = marked ? envs[i].flag == SL_PROD_YES
				: have_top && envs[i].flag != SL_PROD_NO &&
					  envs[i].rank == top;
		count += (size_t)out[i];
	}
	return count;
}
