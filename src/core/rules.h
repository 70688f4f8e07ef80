/* rules.h - how deployments move their release along. */
#ifndef SL_CORE_RULES_H
#define SL_CORE_RULES_H

#include <stdint.h>

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

#endif
