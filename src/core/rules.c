/* rules.c - release progress driven by deployments. */
#include "core/rules.h"

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
