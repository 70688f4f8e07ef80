/* report.h - the compliance reports' rules: which facts of a production
 * change make an exception, which evidence a change carries for a
 * control, and which tokens and grants an access review flags.
 *
 * The handler gathers the facts of each deployment into a
 * struct sl_report_change (strings borrowed); these functions decide. */
#ifndef SL_CORE_REPORT_H
#define SL_CORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

/* How a deployment met the gates when it started. */
enum sl_report_origin {
	SL_ORIGIN_GATED,    /* created through the API: the gates passed */
	SL_ORIGIN_OVERRIDE, /* created through the API past an override */
	SL_ORIGIN_WEBHOOK,  /* reported by a receiver: not gated */
	SL_ORIGIN_IMPORT,   /* brought in by an import: not gated */
	SL_ORIGIN__COUNT
};
/* "passed", "overridden", "not_gated_webhook", "not_gated_import". */
const char *sl_report_origin_name(enum sl_report_origin o);

/* A decision on the deployment's release for its environment. */
struct sl_report_approval {
	const char *approver, *group, *decision; /* decision: vocabulary */
	int64_t at, ended_at;			 /* ended_at 0: stands */
};

struct sl_report_change {
	int64_t id;
	const char *service, *environment, *deployer;
	const char *author; /* who created the release */
	int64_t started_at; /* created_at of the deployment */
	enum sl_report_origin origin;

	/* the environment's policy in force at the start */
	int cr_required;
	int sod_approver_may_not_deploy;
	int sod_deployer_may_not_be_author;

	/* the release's change request: NULL key when none; found 0 when the
	 * key names none shiplog knows */
	const char *cr_key, *cr_state, *cr_class;
	int cr_found;
	int cr_preapproved; /* a standard change for the release's type */

	/* an override's post-incident review */
	int has_review;
	int review_closed;

	const struct sl_report_approval *approvals;
	size_t napprovals;

	size_t checklist_items;	  /* completed items */
	int verified;		  /* verification outcome known: 1 passed */
	const char *verification; /* its outcome word, or NULL */

	/* a freeze or blackout covering started_at, or NULL */
	const char *freeze;
};

enum sl_exception_kind {
	SL_EXC_NO_CHANGE_REQUEST,
	SL_EXC_OPEN_REVIEW,
	SL_EXC_LATE_APPROVAL,
	SL_EXC_SOD_APPROVER_DEPLOYED,
	SL_EXC_SOD_AUTHOR_DEPLOYED,
	SL_EXC_FREEZE,
	SL_EXC__COUNT
};

#define SL_EXC_DETAIL 256

struct sl_exception {
	enum sl_exception_kind kind;
	char detail[SL_EXC_DETAIL];
};

/* The stable name of an exception kind ("no_change_request", ...). */
const char *sl_exception_name(enum sl_exception_kind k);
/* 1 when the kind is a segregation-of-duties breach. */
int sl_exception_is_sod(enum sl_exception_kind k);

/* Fills out (room for SL_EXC__COUNT) with the change's exceptions, each
 * kind at most once, in kind order; returns how many. */
size_t sl_report_exceptions(const struct sl_report_change *c,
			    struct sl_exception *out);

/* The evidence a control may ask for; names are stable (data/controls.json
 * uses them). */
enum sl_evidence {
	SL_EV_APPROVAL,	      /* an approval stood when it started */
	SL_EV_CHANGE_REQUEST, /* an approved (or pre-approved) change request */
	SL_EV_CHECKLIST,      /* at least one checklist item with evidence */
	SL_EV_GATED,	      /* the gates ran (passed or overridden) */
	SL_EV_REVIEW,	      /* no override, or its review is closed */
	SL_EV_SEGREGATION,    /* no segregation-of-duties breach */
	SL_EV_VERIFICATION,   /* verification passed after it succeeded */
	SL_EV_NO_FREEZE,      /* no freeze or blackout covered its start */
	SL_EV__COUNT
};
const char *sl_evidence_name(enum sl_evidence e);
/* Stores the evidence named s in *out and returns 0, or returns -1. */
int sl_evidence_parse(const char *s, enum sl_evidence *out);
/* 1 when the change carries evidence e. */
int sl_report_has_evidence(const struct sl_report_change *c,
			   enum sl_evidence e);

/* An access review's flags for a token or a grant. */
#define SL_ACCESS_EXPIRED (1u << 0)
#define SL_ACCESS_UNUSED  (1u << 1) /* no use in the last 90 days */
#define SL_ACCESS_REVOKED (1u << 2)
#define SL_ACCESS_IDLE_US (90LL * 86400 * 1000000)

/* Times in microseconds, 0 for none (never used, never expires, not
 * revoked). A grant is used through its token: pass the token's
 * last use. */
unsigned sl_access_flags(int64_t created_at, int64_t expires_at,
			 int64_t last_used_at, int64_t revoked_at, int64_t now);

#endif
