/* fuzz_rrule.c - recurring windows: the input is an RRULE for a weekly
 * Europe/Berlin window; valid ones are expanded over a year and must
 * come out in order with ends after starts. */
#include <stdint.h>
#include <stdlib.h>

#include "cal/windows.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sl_xstrndup((const char *)data, size > 512 ? 512 : size);
	struct sl_window_spec w = {"Europe/Berlin", "2026-03-20T18:00:00", NULL,
				   3600 * 60, s};
	struct sl_occurrence occ[64];
	size_t n = 0;

	if (sl_window_check(&w, NULL) == 0 &&
	    sl_window_occurrences(&w, 1767225600000000LL, 1798761600000000LL,
				  occ, 64, &n, NULL) == 0)
		for (size_t i = 0; i < n; i++) {
			SL_ASSERT(occ[i].end_us > occ[i].start_us);
			SL_ASSERT(i == 0 ||
				  occ[i].start_us >= occ[i - 1].start_us);
		}
	free(s);
	return 0;
}
