/* notify.h - notifications seen from the rest of the daemon: the hook
 * every audited write goes through (change.c), the refusals of the gates
 * (gates.c), and what the dispatcher (src/workers/dispatch.c) asks for
 * and records. The routes' handlers are in handlers.h. */
#ifndef SL_HTTP_NOTIFY_H
#define SL_HTTP_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/notify.h"

struct sl_tx;
struct sl_req;
struct sl_store;
struct sl_audit_entry;
struct sl_gate_check;

/* Called by sl_http_audit_append for every audited write, inside its
 * transaction: when the write is an event (core's sl_notify_event_of),
 * one outbox row per subscription that wants it. Writes that map to no
 * event read nothing. A subscription that cannot be read fails the
 * write (SL_EUNAVAIL): a notification is never dropped in silence. */
enum sl_err sl_h_notify_entry(struct sl_tx *tx, const struct sl_audit_entry *e,
			      const char *before, const char *after,
			      struct sl_error *err);

/* A refusal of the gates (a deployment or a gate check): gate.refused,
 * and approval.requested when the approvals check is among the failing
 * ones, for release rel_id (name, service) to env. A refusal writes
 * nothing, so these are recorded in a transaction of their own, once per
 * release, environment and set of failing checks (the key says so).
 * Called after the caller's transaction has ended. When actor is not
 * NULL the refusal is a deployment start's and is recorded too (the
 * gate_refusals table the delivery metrics read), in the same
 * transaction: recorded once, with its notifications or not at all. */
enum sl_err sl_h_notify_refused(struct sl_store *st, int64_t now,
				int64_t rel_id, const char *rel_name,
				const char *service, const char *env,
				const struct sl_gate_check *checks,
				const char *actor, struct sl_error *err);

/* Freezes starting and ending: every occurrence edge of a freeze window
 * in (now - lookback, now] (and after the subscription was created)
 * enqueued once per subscription that wants it; *added counts them. */
enum sl_err sl_h_notify_freezes(struct sl_store *st, int64_t now,
				int64_t lookback_us, size_t *added,
				struct sl_error *err);

/* One notification on its way out: what the dispatcher sends. */
struct sl_outgoing {
	int64_t id, attempt; /* attempt: this one's number, 1-based */
	enum sl_notify_channel channel;
	char *url;
	char *body;	  /* the request body, or the whole email */
	char *headers[4]; /* "Name: value", NULL-ended (HTTP channels) */
	char *from;	  /* email */
	char **to;	  /* email, NULL-ended */
	char *error;	  /* set when it cannot be sent at all (no
			   * subscription any more): recorded as failed */
};
void sl_outgoing_fini(struct sl_outgoing *o);

/* Claims up to max due notifications (each one's attempt counted and its
 * next_at moved to now + lease_us before it is sent, so a daemon killed
 * while sending sends it again after the lease) and fills out[0..*n)
 * with what to send. */
enum sl_err sl_h_notify_claim(struct sl_store *st, int64_t now,
			      int64_t lease_us, struct sl_outgoing *out,
			      size_t max, size_t *n, struct sl_error *err);

/* Records how attempt o->attempt of o ended (error NULL: sent) by the
 * retry rule. */
enum sl_err sl_h_notify_record(struct sl_store *st, const struct sl_outgoing *o,
			       const char *error,
			       const struct sl_notify_retry *retry, int64_t now,
			       struct sl_error *err);

#endif
