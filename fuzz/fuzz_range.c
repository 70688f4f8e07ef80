/* fuzz_range.c - SemVer ranges: "RANGE\nVERSION". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sl_xstrndup((const char *)data, size);
	char *nl = strchr(s, '\n');
	const char *version = "1.2.3";

	if (nl) {
		*nl = '\0';
		version = nl + 1;
	}
	sl_range_satisfies(s, version, NULL);
	free(s);
	return 0;
}
