/* fuzz_time.c - RFC 3339 times: what parses formats back to the same
 * instant. */
#include <stdint.h>
#include <stdlib.h>

#include "core/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sl_xstrndup((const char *)data, size);
	char buf[SL_TIME_BUF];
	int64_t a = 0, b = 0;

	if (sl_time_parse(s, &a, "t", NULL) == 0) {
		SL_ASSERT(sl_time_parse(sl_time_format(a, buf), &b, "t",
					NULL) == 0);
		SL_ASSERT(a == b);
	}
	free(s);
	return 0;
}
