/* rules.h - how deployments move their release along; when a token may
 * expire. */
#ifndef SL_CORE_RULES_H
#define SL_CORE_RULES_H

#include <stdint.h>

#include "core/error.h"
#include "core/state.h"

/* The status a release takes when one of its deployments reaches dep in
 * an environment; env_is_highest says whether that environment has the
 * highest rank. A release starts (in_progress) with its first deployment
 * and is released when it succeeds at the top; it never moves back. */
enum sl_release_status sl_release_status_after(enum sl_release_status cur,
					       enum sl_deploy_status dep,
					       int env_is_highest);

/* Whole milliseconds between two times in microseconds, or -1 when the
 * end is not known or precedes the start. */
int64_t sl_duration_ms(int64_t started_us, int64_t finished_us);

/* A new token's expiry (microseconds since the epoch) must lie after now:
 * a token born expired could never be used. Returns SL_OK, or SL_EINVAL
 * with err filled for the field "expires_at". */
enum sl_err sl_token_expiry_check(int64_t expires_at, int64_t now,
				  struct sl_error *err);

#endif
