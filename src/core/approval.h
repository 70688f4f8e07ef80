/* approval.h - which approvals stand and what they add up to.
 *
 * A person decides on a release for an environment (approve or reject),
 * for one of the policy's approval groups or for none. Only the latest
 * decision of each person can stand, and it stands while it is not
 * withdrawn or voided, not expired, and made on the artifacts the release
 * carries now. The gate (approvals and segregation checks) and the list
 * of what waits for an approver both count through sl_approval_tally, so
 * what counts is said here once. Nothing here reads a clock or a
 * database: the caller passes the decisions and the moment. */
#ifndef SL_CORE_APPROVAL_H
#define SL_CORE_APPROVAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/vocab.h"

/* enum sl_decision and its names are a vocabulary (core/vocab.h). */

/* One decision of one person on a release for one environment. Strings
 * are borrowed. */
struct sl_approval {
	const char *approver;
	const char *group; /* the group it counts for; NULL = none */
	enum sl_decision decision;
	int64_t at;
	int64_t expires_at; /* 0 = never */
	const char *artifacts_digest;
	int64_t ended_at; /* withdrawn or voided at; 0 while it stands */
	const char *environment;
	const char *comment; /* NULL when none */
};

/* What a policy asks of one group: count distinct approvers. */
struct sl_approval_need {
	const char *group;
	int count;
};

/* What one group has: the approvers whose approval counted, oldest
 * first. */
struct sl_approval_count {
	const char *group;
	int required;
	int have;		/* entries in approvers */
	const char **approvers; /* borrowed names; the array is the tally's */
};

/* Everything the decisions of one release and environment add up to. */
struct sl_approval_tally {
	struct sl_approval_count *groups; /* one per need, in its order */
	size_t ngroups;
	/* The last rejection that stands, or NULL; its comment (NULL when
	 * it has none). */
	const char *rejected_by;
	const char *reject_comment;
	/* The actor has an approval that stands (counted or not: the
	 * author's is still theirs), and any decision that stands. */
	int actor_approved;
	int actor_decided;
	/* The earliest expiry after now of any of the decisions, 0 when
	 * none: until then only a new decision changes the tally. It takes
	 * in decisions that no longer stand as well, so it may come before
	 * the tally really changes, never after. */
	int64_t next_change;
};

/* The circumstances the decisions are counted in. */
struct sl_approval_context {
	const struct sl_approval_need *needs;
	size_t nneeds;
	const char *artifacts_digest; /* of the release as it is now */
	const char *author;	      /* who wrote the release; NULL unknown */
	const char *actor;	      /* who asks; NULL when no one */
	int author_may_not_approve;   /* the policy's segregation rule */
	int64_t now;
};

/* 1 when decision a (the index-th of n, oldest first) stands at now: no
 * later decision of the same person that has not ended, not ended
 * itself, not expired (an expiry at now has passed), and made on the
 * release's current artifacts. */
int sl_approval_stands(const struct sl_approval *list, size_t n, size_t index,
		       const char *artifacts_digest, int64_t now);

/* Counts the decisions list[0..n) of one release and environment, oldest
 * first, into out: for each need, the standing approvals for its group,
 * except the author's when ctx->author_may_not_approve (an approval for
 * no group counts for none); the last standing rejection; whether the
 * actor approved or decided; the next moment the tally may change. out
 * borrows strings from list and ctx; free it with sl_approval_tally_fini. */
void sl_approval_tally(const struct sl_approval *list, size_t n,
		       const struct sl_approval_context *ctx,
		       struct sl_approval_tally *out);
void sl_approval_tally_fini(struct sl_approval_tally *t);

/* 1 when the author of a release may not decide on it: the policy's
 * author_may_not_approve is on and the approver wrote it. */
int sl_approval_author_barred(const char *author, const char *approver,
			      int author_may_not_approve);

/* When a decision made at now expires: valid_hours after it, or 0
 * (never) when valid_hours is 0. */
int64_t sl_approval_expiry(int64_t now, int64_t valid_hours);

/* 1 when an edit that voids approvals voids decision a: it has not ended
 * and was made on the artifacts the release had before the edit
 * (old_digest). */
int sl_approval_voided_by_edit(const struct sl_approval *a,
			       const char *old_digest);

/* The group a new decision counts for, from what the approver asked
 * (asked: a group name, or NULL) and the groups their token belongs to
 * (groups[0..ngroups)), under the policy's needs for environment env.
 * Named: it must be one the policy requires (else SL_EINVAL, field
 * "group") and one the token belongs to (else SL_EFORBIDDEN, naming
 * who). Not named: the one required group the token belongs to; NULL
 * when it belongs to none (the decision then counts for no group), and
 * SL_EINVAL when to several (say which). *out borrows from needs or
 * asked. */
enum sl_err sl_approval_group(const struct sl_approval_need *needs,
			      size_t nneeds, const char *const *groups,
			      size_t ngroups, const char *asked,
			      const char *env, const char *who,
			      const char **out, struct sl_error *err);

#endif
