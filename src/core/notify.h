/* notify.h - notifications: the events a subscription may ask for, the
 * channels it is sent on, which changes are which event, which
 * subscriptions want one, and what becomes of a notification after each
 * attempt to send it (the retry and dead-letter rule).
 *
 * The http layer reads the audit entry of every write (before and after
 * documents) and the refusals of the gates, turns what it needs into the
 * values below and asks these functions; the dispatcher (src/workers)
 * asks sl_notify_after_attempt what to record once a send has been
 * tried. Nothing here reads a clock or a database. */
#ifndef SL_CORE_NOTIFY_H
#define SL_CORE_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/state.h"

/* The events, as subscriptions name them (wire and storage words). */
enum sl_notify_event {
	SL_NEV_DEPLOYMENT_FAILED,
	SL_NEV_DEPLOYMENT_STALLED,
	SL_NEV_DEPLOYMENT_VERIFIED,
	SL_NEV_DEPLOYMENT_ROLLED_BACK,
	SL_NEV_APPROVAL_REQUESTED,
	SL_NEV_GATE_REFUSED,
	SL_NEV_FREEZE_STARTED,
	SL_NEV_FREEZE_ENDED,
	SL_NEV_INCIDENT_LINKED,
	SL_NEV__COUNT
};
extern const char *const sl_notify_event_names[SL_NEV__COUNT + 1];
const char *sl_notify_event_name(enum sl_notify_event e);
int sl_notify_event_parse(const char *s, enum sl_notify_event *out);

/* How a notification leaves: a signed JSON webhook, a Slack-compatible
 * incoming webhook, or an email over SMTP. */
enum sl_notify_channel {
	SL_NCH_WEBHOOK,
	SL_NCH_SLACK,
	SL_NCH_EMAIL,
	SL_NCH__COUNT
};
extern const char *const sl_notify_channel_names[SL_NCH__COUNT + 1];
const char *sl_notify_channel_name(enum sl_notify_channel c);
int sl_notify_channel_parse(const char *s, enum sl_notify_channel *out);

/* Where a notification stands in the outbox. */
enum sl_notify_status {
	SL_NST_PENDING, /* waiting for its next attempt */
	SL_NST_SENT,	/* the receiver took it */
	SL_NST_DEAD,	/* every attempt failed: the dead-letter list */
	SL_NST__COUNT
};
extern const char *const sl_notify_status_names[SL_NST__COUNT + 1];
const char *sl_notify_status_name(enum sl_notify_status s);
int sl_notify_status_parse(const char *s, enum sl_notify_status *out);

/* What an audited write changed, as the event mapping needs it. A
 * status is -1 when the document has none (a creation has no before). */
struct sl_notify_change {
	const char *action;	 /* the audit action, "deployment.event" */
	const char *object_type; /* "deployment", "incident", ... */
	int before_status;	 /* enum sl_deploy_status or -1 */
	int after_status;	 /* enum sl_deploy_status or -1 */
};

/* 1 with *out set when the change is an event subscriptions may want: a
 * deployment whose status became failed, stalled, verified or
 * rolled_back (from any other status), or an incident whose cause was
 * confirmed ("incident.cause"); 0 for every other write. */
int sl_notify_event_of(const struct sl_notify_change *c,
		       enum sl_notify_event *out);

/* 1 when an audit action may map to an event at all: the writes whose
 * documents are worth reading. Cheap (a prefix compare). */
int sl_notify_action_maps(const char *action, const char *object_type);

/* The events a refusal of the gates is, as a bit mask of 1u << event,
 * given the names of the checks that failed: always gate.refused, and
 * approval.requested when the approvals check is one of them (what the
 * release waits for is someone's decision). */
unsigned sl_notify_refusal_events(const char *const *failed, size_t n);

/* A subscription's filters. An empty list (n == 0) takes everything;
 * otherwise the value must be one of its words (a NULL value never
 * matches a non-empty list). events is a bit mask of 1u << event. */
struct sl_notify_filter {
	unsigned events;
	const char *const *environments;
	size_t nenvironments;
	const char *const *services;
	size_t nservices;
	const char *const *teams;
	size_t nteams;
};

/* What an event is about, for the filters. An incident may touch
 * several services: services/nservices then hold them all and any one
 * matching is enough (service is ignored). team is the owner of the
 * service (or of any of them, teams/nteams). */
struct sl_notify_about {
	enum sl_notify_event event;
	const char *environment;
	const char *service;
	const char *team;
	const char *const *services;
	size_t nservices;
	const char *const *teams;
	size_t nteams;
	int every_environment; /* an organisation-wide freeze: any
				* environment filter takes it */
};

/* 1 when the subscription's filters take the event. */
int sl_notify_wants(const struct sl_notify_filter *f,
		    const struct sl_notify_about *a);

/* A channel as a subscription describes it: checked by
 * sl_notify_channel_check. */
struct sl_notify_channel_spec {
	enum sl_notify_channel type;
	const char *url;
	const char *secret; /* webhook: the HMAC key */
	const char *from;   /* email */
	size_t nto;	    /* email: how many recipients */
};

/* 0, or -1 with err filled (field "channel.<name>"): a webhook needs an
 * http(s) url and a secret, a Slack channel an http(s) url and no
 * secret, an email an smtp:// or smtps:// url, a from and at least one
 * recipient. */
int sl_notify_channel_check(const struct sl_notify_channel_spec *c,
			    struct sl_error *err);

/* The retry rule: how many attempts a notification gets and the wait
 * before the second (doubling each time, at most cap_us). */
struct sl_notify_retry {
	int64_t attempts;
	int64_t base_us;
	int64_t cap_us;
};

/* The wait after failed attempt number n (1-based): base * 2^(n-1), at
 * most cap. */
int64_t sl_notify_backoff(const struct sl_notify_retry *r, int64_t n);

/* After attempt number n (1-based) ended at now: *status and *next_at
 * to record. Sent when ok; else pending again after the backoff, or
 * dead once n reached the attempts allowed (next_at is then 0). */
void sl_notify_after_attempt(const struct sl_notify_retry *r, int64_t n, int ok,
			     int64_t now, enum sl_notify_status *status,
			     int64_t *next_at);

/* The first line a person reads: "Deployment 42 of api 1.2.0 to
 * production failed". Fits in size (cut at a character boundary). */
void sl_notify_summary(enum sl_notify_event e, const char *what,
		       const char *where, char *out, size_t size);

#endif
