/* fuzz_body.c - request bodies: JSON parsed as the server parses it and
 * checked against every body schema, as create and as update. */
#include <jansson.h>
#include <stdint.h>

#include "http/governance.h"
#include "http/handlers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct sl_field *const schemas[] = {
		sl_service_fields, sl_env_fields,    sl_release_fields,
		sl_deploy_fields,  sl_event_fields,  sl_policy_fields,
		sl_window_fields,  sl_change_fields, sl_approval_fields,
		sl_grant_fields,   sl_gate_fields,   sl_token_fields,
	};
	json_error_t jerr;
	json_t *v = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
			       &jerr);

	if (json_is_object(v))
		for (size_t i = 0; i < sizeof(schemas) / sizeof(schemas[0]);
		     i++)
			for (int update = 0; update < 2; update++) {
				struct sl_verrs errs = {0};

				sl_schema_check(v, schemas[i], "", update,
						&errs);
				SL_ASSERT(errs.n <= SL_VERR_MAX);
			}
	json_decref(v);
	return 0;
}
