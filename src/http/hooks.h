/* hooks.h - inbound webhooks in the http layer: each source's payload
 * translated into a signal (hooksrc.c), and the receiver routes
 * (hooks.c). */
#ifndef SL_HTTP_HOOKS_H
#define SL_HTTP_HOOKS_H

#include <jansson.h>

#include "core/hook.h"

/* Translates one delivery of source s into sig (zeroed first). event is
 * the value of the source's event header (sl_hook_scheme), NULL when the
 * request had none; body the parsed JSON. An event shiplog does not
 * record is SL_OK with sig->kind SL_SIG_IGNORE and the reason in words.
 * SL_EINVAL with err (field "body" or the payload's field) when the body
 * is not what the source sends for that event, or a value does not fit
 * the signal. */
enum sl_err sl_hook_translate(enum sl_hook_source s, const char *event,
			      const json_t *body, struct sl_signal *sig,
			      struct sl_error *err);

#endif
