/* fuzz_hooks.c - webhook payloads: a body parsed as the receiver parses it
 * and translated as each source would, with each source's events; the
 * receiver body against its schema. A translation either fails with an
 * error or fills a signal whose strings all fit their fields. */
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "http/handlers.h"
#include "http/hooks.h"

/* The events each source names in a header (NULL: from the body). */
static const char *const events[] = {
	NULL,
	"deployment",
	"deployment_status",
	"release",
	"push",
	"Deployment Hook",
	"Tag Push Hook",
	"Release Hook",
	"dev.cdevents.service.deployed.0.3.0",
	"dev.cdevents.service.rolledback.0.2.0",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t jerr;
	json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			       &jerr);
	struct sl_verrs errs = {0};

	if (!v)
		return 0;
	for (int s = 0; s < SL_HOOK__COUNT; s++)
		for (size_t e = 0; e < sizeof(events) / sizeof(events[0]);
		     e++) {
			struct sl_signal sig;
			struct sl_error err = {0};

			if (sl_hook_translate((enum sl_hook_source)s, events[e],
					      v, &sig, &err) == SL_OK) {
				SL_ASSERT(
					memchr(sig.repo, 0, sizeof(sig.repo)));
				SL_ASSERT(memchr(sig.sha, 0, sizeof(sig.sha)));
				SL_ASSERT(memchr(sig.reason, 0,
						 sizeof(sig.reason)));
				SL_ASSERT(memchr(sig.message, 0,
						 sizeof(sig.message)));
			} else {
				SL_ASSERT(err.code != SL_OK);
			}
		}
	if (json_is_object(v))
		sl_schema_check(v, sl_receiver_fields, "", 0, &errs);
	json_decref(v);
	return 0;
}
