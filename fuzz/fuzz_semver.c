/* fuzz_semver.c - SemVer parsing, precedence and sort keys. A parsed
 * version must compare equal to itself and its sort key must agree with
 * the comparison against a fixed version. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/semver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sl_xstrndup((const char *)data, size);
	struct sl_semver v, ref;
	char *k1, *k2;
	int c;

	if (sl_semver_parse(s, &v, NULL) == SL_OK) {
		SL_ASSERT(sl_semver_compare(&v, &v) == 0);
		SL_ASSERT(sl_semver_parse("1.2.3-rc.1", &ref, NULL) == SL_OK);
		k1 = sl_semver_sortkey(&v);
		k2 = sl_semver_sortkey(&ref);
		c = sl_semver_compare(&v, &ref);
		SL_ASSERT((c < 0) == (strcmp(k1, k2) < 0));
		SL_ASSERT((c == 0) == (strcmp(k1, k2) == 0));
		free(k1);
		free(k2);
		sl_semver_fini(&ref);
		sl_semver_fini(&v);
	}
	free(s);
	return 0;
}
