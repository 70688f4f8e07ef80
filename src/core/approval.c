/* approval.c - which approvals stand and what they add up to. */
#include "core/approval.h"

#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static int same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

int sl_approval_stands(const struct sl_approval *list, size_t n, size_t index,
		       const char *artifacts_digest, int64_t now)
{
	const struct sl_approval *a = &list[index];

	SL_ASSERT(index < n);
	/* A later decision of the same person replaces this one while that
	 * later one has not ended, even once it has expired: changing one's
	 * mind is not undone by time. Withdrawing the later one brings this
	 * one back. */
	for (size_t k = index + 1; k < n; k++)
		if (same(list[k].approver, a->approver) && !list[k].ended_at)
			return 0;
	if (a->ended_at)
		return 0;
	if (a->expires_at && a->expires_at <= now)
		return 0;
	return same(a->artifacts_digest, artifacts_digest);
}

int sl_approval_author_barred(const char *author, const char *approver,
			      int author_may_not_approve)
{
	return author_may_not_approve && same(author, approver);
}

void sl_approval_tally(const struct sl_approval *list, size_t n,
		       const struct sl_approval_context *ctx,
		       struct sl_approval_tally *out)
{
	memset(out, 0, sizeof(*out));
	out->ngroups = ctx->nneeds;
	out->groups =
		sl_xcalloc(ctx->nneeds ? ctx->nneeds : 1, sizeof(*out->groups));
	for (size_t g = 0; g < ctx->nneeds; g++) {
		out->groups[g].group = ctx->needs[g].group;
		out->groups[g].required = ctx->needs[g].count;
		/* At most one approval per person stands, so n is enough. */
		out->groups[g].approvers = sl_xcalloc(
			n ? n : 1, sizeof(*out->groups[g].approvers));
	}
	for (size_t i = 0; i < n; i++) {
		const struct sl_approval *a = &list[i];

		if (a->expires_at > ctx->now &&
		    (!out->next_change || a->expires_at < out->next_change))
			out->next_change = a->expires_at;
		if (!sl_approval_stands(list, n, i, ctx->artifacts_digest,
					ctx->now))
			continue;
		if (same(a->approver, ctx->actor))
			out->actor_decided = 1;
		if (a->decision == SL_DECISION_REJECT) {
			out->rejected_by = a->approver;
			out->reject_comment =
				a->comment && *a->comment ? a->comment : NULL;
			continue;
		}
		if (same(a->approver, ctx->actor))
			out->actor_approved = 1;
		if (sl_approval_author_barred(ctx->author, a->approver,
					      ctx->author_may_not_approve))
			continue;
		for (size_t g = 0; g < out->ngroups; g++) {
			struct sl_approval_count *c = &out->groups[g];

			if (!same(a->group, c->group))
				continue;
			c->approvers[c->have++] = a->approver;
		}
	}
}

void sl_approval_tally_fini(struct sl_approval_tally *t)
{
	for (size_t g = 0; g < t->ngroups; g++)
		free(t->groups[g].approvers);
	free(t->groups);
	memset(t, 0, sizeof(*t));
}

int64_t sl_approval_expiry(int64_t now, int64_t valid_hours)
{
	return valid_hours ? now + valid_hours * 3600 * 1000000LL : 0;
}

int sl_approval_voided_by_edit(const struct sl_approval *a,
			       const char *old_digest)
{
	return !a->ended_at && same(a->artifacts_digest, old_digest);
}

static int member(const char *const *groups, size_t n, const char *g)
{
	for (size_t i = 0; g && i < n; i++)
		if (groups[i] && strcmp(groups[i], g) == 0)
			return 1;
	return 0;
}

enum sl_err sl_approval_group(const struct sl_approval_need *needs,
			      size_t nneeds, const char *const *groups,
			      size_t ngroups, const char *asked,
			      const char *env, const char *who,
			      const char **out, struct sl_error *err)
{
	*out = NULL;
	if (asked) {
		int required = 0;

		for (size_t i = 0; i < nneeds; i++)
			if (same(needs[i].group, asked))
				required = 1;
		if (!required)
			return sl_error_set(err, SL_EINVAL, "group",
					    "%s requires no approvals from "
					    "group '%s'",
					    env, asked);
		if (!member(groups, ngroups, asked))
			return sl_error_set(err, SL_EFORBIDDEN, "group",
					    "the token '%s' is not a member of "
					    "the group '%s'",
					    who, asked);
		*out = asked;
		return SL_OK;
	}
	for (size_t i = 0; i < nneeds; i++) {
		if (!member(groups, ngroups, needs[i].group))
			continue;
		if (*out) {
			*out = NULL;
			return sl_error_set(err, SL_EINVAL, "group",
					    "the token belongs to several "
					    "required groups; say which one "
					    "this approval is for");
		}
		*out = needs[i].group;
	}
	return SL_OK;
}
