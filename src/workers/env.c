/* env.c - the workers' settings from the environment (workers.h). */
#include <stdlib.h>

#include "core/validate.h"
#include "workers/workers.h"

int64_t sl_worker_env_ms(const char *name, int64_t def, int64_t min,
			 int64_t max)
{
	const char *v = getenv(name);
	int64_t ms = 0;

	if (!v || sl_decimal_parse(v, &ms) || ms < min || ms > max)
		return def;
	return ms;
}
