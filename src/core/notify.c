/* notify.c - which changes are events, who wants them, and the retry and
 * dead-letter rule (notify.h). */
#include <stdio.h>
#include <string.h>

#include "core/notify.h"
#include "core/validate.h"
#include "core/vocab.h"

const char *const sl_notify_event_names[SL_NEV__COUNT + 1] = {
	[SL_NEV_DEPLOYMENT_FAILED] = "deployment.failed",
	[SL_NEV_DEPLOYMENT_STALLED] = "deployment.stalled",
	[SL_NEV_DEPLOYMENT_VERIFIED] = "deployment.verified",
	[SL_NEV_DEPLOYMENT_ROLLED_BACK] = "deployment.rolled_back",
	[SL_NEV_APPROVAL_REQUESTED] = "approval.requested",
	[SL_NEV_GATE_REFUSED] = "gate.refused",
	[SL_NEV_FREEZE_STARTED] = "freeze.started",
	[SL_NEV_FREEZE_ENDED] = "freeze.ended",
	[SL_NEV_INCIDENT_LINKED] = "incident.linked",
	[SL_NEV__COUNT] = NULL,
};
SL_VOCAB_DEFINE(sl_notify_event, enum sl_notify_event, sl_notify_event_names)

const char *const sl_notify_channel_names[SL_NCH__COUNT + 1] = {
	[SL_NCH_WEBHOOK] = "webhook",
	[SL_NCH_SLACK] = "slack",
	[SL_NCH_EMAIL] = "email",
	[SL_NCH__COUNT] = NULL,
};
SL_VOCAB_DEFINE(sl_notify_channel, enum sl_notify_channel,
		sl_notify_channel_names)

const char *const sl_notify_status_names[SL_NST__COUNT + 1] = {
	[SL_NST_PENDING] = "pending",
	[SL_NST_SENT] = "sent",
	[SL_NST_DEAD] = "dead",
	[SL_NST__COUNT] = NULL,
};
SL_VOCAB_DEFINE(sl_notify_status, enum sl_notify_status, sl_notify_status_names)

/* The deployment statuses that are events when a deployment enters
 * them. */
static const struct {
	enum sl_deploy_status status;
	enum sl_notify_event event;
} entered[] = {
	{SL_DEP_FAILED, SL_NEV_DEPLOYMENT_FAILED},
	{SL_DEP_STALLED, SL_NEV_DEPLOYMENT_STALLED},
	{SL_DEP_VERIFIED, SL_NEV_DEPLOYMENT_VERIFIED},
	{SL_DEP_ROLLED_BACK, SL_NEV_DEPLOYMENT_ROLLED_BACK},
};

/* Writes named by their action alone. */
static const struct {
	const char *action;
	enum sl_notify_event event;
} actions[] = {
	{"incident.cause", SL_NEV_INCIDENT_LINKED},
};

int sl_notify_action_maps(const char *action, const char *object_type)
{
	if (object_type && strcmp(object_type, "deployment") == 0)
		return 1;
	for (size_t i = 0; action && i < sizeof(actions) / sizeof(*actions);
	     i++)
		if (strcmp(action, actions[i].action) == 0)
			return 1;
	return 0;
}

int sl_notify_event_of(const struct sl_notify_change *c,
		       enum sl_notify_event *out)
{
	for (size_t i = 0; c->action && i < sizeof(actions) / sizeof(*actions);
	     i++)
		if (strcmp(c->action, actions[i].action) == 0) {
			*out = actions[i].event;
			return 1;
		}
	if (!c->object_type || strcmp(c->object_type, "deployment") != 0 ||
	    c->after_status < 0 || c->after_status == c->before_status)
		return 0;
	for (size_t i = 0; i < sizeof(entered) / sizeof(*entered); i++)
		if ((int)entered[i].status == c->after_status) {
			*out = entered[i].event;
			return 1;
		}
	return 0;
}

unsigned sl_notify_refusal_events(const char *const *failed, size_t n)
{
	unsigned events = 1u << SL_NEV_GATE_REFUSED;

	for (size_t i = 0; i < n; i++)
		if (failed[i] && strcmp(failed[i], "approvals") == 0)
			events |= 1u << SL_NEV_APPROVAL_REQUESTED;
	return events;
}

/* 1 when list is empty or holds one of the values. */
static int among(const char *const *list, size_t n, const char *const *values,
		 size_t nvalues)
{
	if (n == 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < nvalues; j++)
			if (values[j] && strcmp(list[i], values[j]) == 0)
				return 1;
	return 0;
}

int sl_notify_wants(const struct sl_notify_filter *f,
		    const struct sl_notify_about *a)
{
	const char *const one_service[] = {a->service};
	const char *const one_team[] = {a->team};
	const char *const one_env[] = {a->environment};

	if (a->event >= SL_NEV__COUNT || !(f->events & (1u << a->event)))
		return 0;
	if (!a->every_environment &&
	    !among(f->environments, f->nenvironments, one_env, 1))
		return 0;
	if (a->nservices ? !among(f->services, f->nservices, a->services,
				  a->nservices)
			 : !among(f->services, f->nservices, one_service, 1))
		return 0;
	if (a->nteams ? !among(f->teams, f->nteams, a->teams, a->nteams)
		      : !among(f->teams, f->nteams, one_team, 1))
		return 0;
	return 1;
}

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

int sl_notify_channel_check(const struct sl_notify_channel_spec *c,
			    struct sl_error *err)
{
	const char *url = c->url ? c->url : "";

	switch (c->type) {
	case SL_NCH_WEBHOOK:
	case SL_NCH_SLACK:
		if (sl_valid_url(c->url, "channel.url", err))
			return -1;
		if (c->type == SL_NCH_WEBHOOK && (!c->secret || !*c->secret)) {
			sl_error_set(err, SL_EINVAL, "channel.secret",
				     "is required for a webhook: the key of "
				     "its HMAC signature");
			return -1;
		}
		if (c->type == SL_NCH_SLACK && c->secret) {
			sl_error_set(err, SL_EINVAL, "channel.secret",
				     "is not taken by a Slack channel: its "
				     "URL is its secret");
			return -1;
		}
		break;
	case SL_NCH_EMAIL:
		if (!has_prefix(url, "smtp://") &&
		    !has_prefix(url, "smtps://")) {
			sl_error_set(err, SL_EINVAL, "channel.url",
				     "must start with smtp:// or smtps:// "
				     "for an email channel");
			return -1;
		}
		if (!c->from || !*c->from) {
			sl_error_set(err, SL_EINVAL, "channel.from",
				     "is required for an email channel");
			return -1;
		}
		if (c->nto == 0) {
			sl_error_set(err, SL_EINVAL, "channel.to",
				     "needs at least one recipient");
			return -1;
		}
		if (c->secret) {
			sl_error_set(err, SL_EINVAL, "channel.secret",
				     "is not taken by an email channel");
			return -1;
		}
		break;
	default:
		sl_error_set(err, SL_EINVAL, "channel.type",
			     "must be one of webhook, slack, email");
		return -1;
	}
	return 0;
}

int64_t sl_notify_backoff(const struct sl_notify_retry *r, int64_t n)
{
	int64_t wait = r->base_us > 0 ? r->base_us : 1;

	for (int64_t i = 1; i < n && wait < r->cap_us; i++)
		wait = wait > r->cap_us / 2 ? r->cap_us : wait * 2;
	return wait < r->cap_us ? wait : r->cap_us;
}

void sl_notify_after_attempt(const struct sl_notify_retry *r, int64_t n, int ok,
			     int64_t now, enum sl_notify_status *status,
			     int64_t *next_at)
{
	if (ok) {
		*status = SL_NST_SENT;
		*next_at = 0;
	} else if (n >= r->attempts) {
		*status = SL_NST_DEAD;
		*next_at = 0;
	} else {
		*status = SL_NST_PENDING;
		*next_at = now + sl_notify_backoff(r, n);
	}
}

/* The words of each event, after what it is about. */
static const char *const said[SL_NEV__COUNT] = {
	[SL_NEV_DEPLOYMENT_FAILED] = "failed",
	[SL_NEV_DEPLOYMENT_STALLED] = "stalled: no progress past its deadline",
	[SL_NEV_DEPLOYMENT_VERIFIED] = "verified",
	[SL_NEV_DEPLOYMENT_ROLLED_BACK] = "rolled back",
	[SL_NEV_APPROVAL_REQUESTED] = "waits for approvals",
	[SL_NEV_GATE_REFUSED] = "refused by the gates",
	[SL_NEV_FREEZE_STARTED] = "started",
	[SL_NEV_FREEZE_ENDED] = "ended",
	[SL_NEV_INCIDENT_LINKED] = "linked to the deployment that caused it",
};

void sl_notify_summary(enum sl_notify_event e, const char *what,
		       const char *where, char *out, size_t size)
{
	const char *words = e < SL_NEV__COUNT ? said[e] : "happened";
	size_t n;

	snprintf(out, size, "%s%s%s %s", what ? what : "",
		 where && *where ? " in " : "", where && *where ? where : "",
		 words);
	/* A cut must not split a UTF-8 sequence. */
	n = strlen(out);
	if (n + 1 == size && n && ((unsigned char)out[n - 1] & 0x80)) {
		while (n && ((unsigned char)out[n - 1] & 0xC0) == 0x80)
			out[--n] = '\0';
		if (n && ((unsigned char)out[n - 1] & 0xC0) == 0xC0)
			out[--n] = '\0';
	}
}
