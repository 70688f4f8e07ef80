/* report.c - the compliance reports' rules (see report.h). */
#include "core/report.h"

#include <stdio.h>
#include <string.h>

#include "core/state.h"
#include "core/vocab.h"

static const char *const origin_names[SL_ORIGIN__COUNT] = {
	[SL_ORIGIN_GATED] = "passed",
	[SL_ORIGIN_OVERRIDE] = "overridden",
	[SL_ORIGIN_WEBHOOK] = "not_gated_webhook",
	[SL_ORIGIN_IMPORT] = "not_gated_import",
};

const char *sl_report_origin_name(enum sl_report_origin o)
{
	return (unsigned)o < SL_ORIGIN__COUNT ? origin_names[o] : NULL;
}

static const struct {
	const char *name;
	int sod;
} kinds[SL_EXC__COUNT] = {
	[SL_EXC_NO_CHANGE_REQUEST] = {"no_change_request", 0},
	[SL_EXC_OPEN_REVIEW] = {"override_review_open", 0},
	[SL_EXC_LATE_APPROVAL] = {"approval_after_start", 0},
	[SL_EXC_SOD_APPROVER_DEPLOYED] = {"sod_approver_deployed", 1},
	[SL_EXC_SOD_AUTHOR_DEPLOYED] = {"sod_author_deployed", 1},
	[SL_EXC_FREEZE] = {"deployed_during_freeze", 0},
};

const char *sl_exception_name(enum sl_exception_kind k)
{
	return (unsigned)k < SL_EXC__COUNT ? kinds[k].name : NULL;
}

int sl_exception_is_sod(enum sl_exception_kind k)
{
	return (unsigned)k < SL_EXC__COUNT && kinds[k].sod;
}

/* 1 when a change request in this state was approved at some point and
 * not turned down: approved, scheduled, being implemented, in review or
 * closed after it. A report is read after the fact, when the request of
 * a change made long ago has moved on to closed. */
static int cr_was_approved(const char *state)
{
	enum sl_change_state st;

	if (!state || sl_change_state_parse(state, &st))
		return 0;
	return sl_change_authorized(st) || st == SL_CR_REVIEW ||
	       st == SL_CR_CLOSED;
}

static int has_approved_cr(const struct sl_report_change *c)
{
	if (!c->cr_key || !c->cr_found)
		return 0;
	return c->cr_preapproved || cr_was_approved(c->cr_state);
}

static int is_approve(const struct sl_report_approval *a)
{
	enum sl_decision d;

	return a->decision && sl_decision_parse(a->decision, &d) == 0 &&
	       d == SL_DECISION_APPROVE;
}

/* 1 when an approval stood at the start: given before, not ended by
 * then. */
static int stood_at_start(const struct sl_report_change *c)
{
	for (size_t i = 0; i < c->napprovals; i++) {
		const struct sl_report_approval *a = &c->approvals[i];

		if (is_approve(a) && a->at <= c->started_at &&
		    (!a->ended_at || a->ended_at > c->started_at))
			return 1;
	}
	return 0;
}

/* Appends an exception of kind k; answers its detail buffer, which the
 * caller fills (SL_EXC_DETAIL bytes). */
static char *add(struct sl_exception *out, size_t *n, enum sl_exception_kind k)
{
	out[*n].kind = k;
	out[*n].detail[0] = 0;
	return out[(*n)++].detail;
}

size_t sl_report_exceptions(const struct sl_report_change *c,
			    struct sl_exception *out)
{
	size_t n = 0;
	const char *late = NULL, *self = NULL;

	if (c->cr_required && !has_approved_cr(c)) {
		if (!c->cr_key)
			snprintf(add(out, &n, SL_EXC_NO_CHANGE_REQUEST),
				 SL_EXC_DETAIL,
				 "%s needs an approved change request and the "
				 "release names none",
				 c->environment);
		else
			snprintf(add(out, &n, SL_EXC_NO_CHANGE_REQUEST),
				 SL_EXC_DETAIL,
				 "change request %s is %s, not approved",
				 c->cr_key,
				 !c->cr_found  ? "unknown to shiplog"
				 : c->cr_state ? c->cr_state
					       : "in no state");
	}
	if (c->has_review && !c->review_closed)
		snprintf(add(out, &n, SL_EXC_OPEN_REVIEW), SL_EXC_DETAIL,
			 "the override still owes its post-incident review");
	/* An approval given after the start is an exception only when none
	 * stood at the start: a redeploy under a standing approval does not
	 * turn a later, extra approval into one. */
	if (!stood_at_start(c))
		for (size_t i = 0; i < c->napprovals && !late; i++)
			if (is_approve(&c->approvals[i]) &&
			    c->approvals[i].at > c->started_at)
				late = c->approvals[i].approver;
	if (late)
		snprintf(add(out, &n, SL_EXC_LATE_APPROVAL), SL_EXC_DETAIL,
			 "%s approved after the deployment started", late);
	for (size_t i = 0; i < c->napprovals && !self; i++)
		if (is_approve(&c->approvals[i]) && c->deployer &&
		    c->approvals[i].approver &&
		    strcmp(c->approvals[i].approver, c->deployer) == 0)
			self = c->deployer;
	if (self && c->sod_approver_may_not_deploy)
		snprintf(add(out, &n, SL_EXC_SOD_APPROVER_DEPLOYED),
			 SL_EXC_DETAIL,
			 "%s approved the release and deployed it", self);
	if (c->sod_deployer_may_not_be_author && c->author && c->deployer &&
	    strcmp(c->author, c->deployer) == 0)
		snprintf(add(out, &n, SL_EXC_SOD_AUTHOR_DEPLOYED),
			 SL_EXC_DETAIL,
			 "%s created the release and deployed it", c->author);
	if (c->freeze)
		snprintf(add(out, &n, SL_EXC_FREEZE), SL_EXC_DETAIL,
			 "started during the window %s", c->freeze);
	return n;
}

static const char *const evidence_names[SL_EV__COUNT] = {
	[SL_EV_APPROVAL] = "approval",
	[SL_EV_CHANGE_REQUEST] = "change_request",
	[SL_EV_CHECKLIST] = "checklist",
	[SL_EV_GATED] = "gate",
	[SL_EV_REVIEW] = "override_review",
	[SL_EV_SEGREGATION] = "segregation",
	[SL_EV_VERIFICATION] = "verification",
	[SL_EV_NO_FREEZE] = "no_freeze",
};

const char *sl_evidence_name(enum sl_evidence e)
{
	return (unsigned)e < SL_EV__COUNT ? evidence_names[e] : NULL;
}

int sl_evidence_parse(const char *s, enum sl_evidence *out)
{
	for (int i = 0; s && i < SL_EV__COUNT; i++)
		if (strcmp(s, evidence_names[i]) == 0) {
			*out = (enum sl_evidence)i;
			return 0;
		}
	return -1;
}

int sl_report_has_evidence(const struct sl_report_change *c, enum sl_evidence e)
{
	struct sl_exception ex[SL_EXC__COUNT];
	size_t n;

	switch (e) {
	case SL_EV_APPROVAL:
		return stood_at_start(c);
	case SL_EV_CHANGE_REQUEST:
		return has_approved_cr(c);
	case SL_EV_CHECKLIST:
		return c->checklist_items > 0;
	case SL_EV_GATED:
		return c->origin == SL_ORIGIN_GATED ||
		       c->origin == SL_ORIGIN_OVERRIDE;
	case SL_EV_REVIEW:
		return !c->has_review || c->review_closed;
	case SL_EV_SEGREGATION:
		n = sl_report_exceptions(c, ex);
		for (size_t i = 0; i < n; i++)
			if (sl_exception_is_sod(ex[i].kind))
				return 0;
		return 1;
	case SL_EV_VERIFICATION:
		return c->verified;
	case SL_EV_NO_FREEZE:
		return c->freeze == NULL;
	case SL_EV__COUNT:
		break;
	}
	return 0;
}

unsigned sl_access_flags(int64_t created_at, int64_t expires_at,
			 int64_t last_used_at, int64_t revoked_at, int64_t now)
{
	unsigned f = 0;
	int64_t since = last_used_at ? last_used_at : created_at;

	if (expires_at && expires_at <= now)
		f |= SL_ACCESS_EXPIRED;
	if (revoked_at)
		f |= SL_ACCESS_REVOKED;
	if (now - since >= SL_ACCESS_IDLE_US)
		f |= SL_ACCESS_UNUSED;
	return f;
}
