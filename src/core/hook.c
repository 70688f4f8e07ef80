/* hook.c - inbound webhooks: sources, schemes, status words, and the plan
 * that decides what one delivery writes (hook.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "core/hook.h"
#include "core/semver.h"
#include "core/vocab.h"

const char *const sl_hook_source_names[SL_HOOK__COUNT + 1] = {
	"github",	"gitlab",   "argocd",  "jenkins",
	"alertmanager", "cdevents", "generic", NULL,
};
SL_VOCAB_DEFINE(sl_hook_source, enum sl_hook_source, sl_hook_source_names)

/* One row per source, in enum order: how it authenticates, and the
 * headers that name its event and its delivery (NULL: the body does).
 * CloudEvents name their delivery in ce-id; GitLab keeps Idempotency-Key
 * across the retries of one delivery. */
static const struct sl_hook_scheme schemes[SL_HOOK__COUNT] = {
	[SL_HOOK_GITHUB] = {SL_HOOK_AUTH_GITHUB, "X-Hub-Signature-256",
			    "X-GitHub-Event", "X-GitHub-Delivery"},
	[SL_HOOK_GITLAB] = {SL_HOOK_AUTH_TOKEN, "X-Gitlab-Token",
			    "X-Gitlab-Event", "Idempotency-Key"},
	[SL_HOOK_ARGOCD] = {SL_HOOK_AUTH_TOKEN, "X-Shiplog-Token", NULL, NULL},
	[SL_HOOK_JENKINS] = {SL_HOOK_AUTH_BASIC, "Authorization", NULL, NULL},
	[SL_HOOK_ALERTMANAGER] = {SL_HOOK_AUTH_BEARER, "Authorization", NULL,
				  NULL},
	[SL_HOOK_CDEVENTS] = {SL_HOOK_AUTH_HMAC, "X-Shiplog-Signature",
			      "ce-type", "ce-id", "ce-source"},
	[SL_HOOK_GENERIC] = {SL_HOOK_AUTH_HMAC, "X-Shiplog-Signature", NULL,
			     "X-Shiplog-Delivery"},
};

const struct sl_hook_scheme *sl_hook_scheme(enum sl_hook_source s)
{
	return (unsigned)s < SL_HOOK__COUNT ? &schemes[s] : NULL;
}

void sl_hook_delivery_key(const char *scope, const char *id, char *out,
			  size_t cap)
{
	char text[1024];
	int n = scope && *scope
			? snprintf(text, sizeof(text), "%s %s", scope, id)
			: snprintf(text, sizeof(text), "%s", id);

	SL_ASSERT(cap > 7 + 64);
	if (n >= 0 && (size_t)n < cap && (size_t)n < sizeof(text)) {
		memcpy(out, text, (size_t)n + 1);
		return;
	}
	{
		/* Too long to keep as it is: its digest, over the whole
		 * text even when the buffer above cut it. */
		unsigned char d[32];
		unsigned int dn = 0;
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();

		SL_ASSERT(ctx);
		EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
		if (scope && *scope) {
			EVP_DigestUpdate(ctx, scope, strlen(scope));
			EVP_DigestUpdate(ctx, " ", 1);
		}
		EVP_DigestUpdate(ctx, id, strlen(id));
		EVP_DigestFinal_ex(ctx, d, &dn);
		EVP_MD_CTX_free(ctx);
		memcpy(out, "sha256-", 7);
		for (unsigned i = 0; i < 32; i++)
			snprintf(out + 7 + 2 * i, 3, "%02x", d[i]);
	}
}

int sl_signal_set(char *field, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		return -1;
	memcpy(field, src ? src : "", n + 1);
	return 0;
}

void sl_signal_ignore(struct sl_signal *sig, const char *fmt, ...)
{
	va_list ap;

	sig->kind = SL_SIG_IGNORE;
	va_start(ap, fmt);
	vsnprintf(sig->reason, sizeof(sig->reason), fmt, ap);
	va_end(ap);
}

int sl_hook_tag_version(const char *tag, char *buf, size_t size)
{
	struct sl_semver v;
	struct sl_error err = {0};
	const char *s = tag;

	if (!tag || !*tag)
		return -1;
	if (s[0] == 'v' || s[0] == 'V')
		s++;
	if (strlen(s) >= size || sl_semver_parse(s, &v, &err) != SL_OK)
		return -1;
	sl_semver_fini(&v);
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

/* Senders' status words, per source. A word not here is no status
 * shiplog records (GitHub's "inactive": an older deployment superseded). */
struct status_word {
	enum sl_hook_source source;
	const char *word;
	enum sl_deploy_status status;
};

static const struct status_word words[] = {
	{SL_HOOK_GITHUB, "queued", SL_DEP_QUEUED},
	{SL_HOOK_GITHUB, "pending", SL_DEP_QUEUED},
	{SL_HOOK_GITHUB, "in_progress", SL_DEP_IN_PROGRESS},
	{SL_HOOK_GITHUB, "success", SL_DEP_SUCCEEDED},
	{SL_HOOK_GITHUB, "failure", SL_DEP_FAILED},
	{SL_HOOK_GITHUB, "error", SL_DEP_FAILED},
	{SL_HOOK_GITLAB, "created", SL_DEP_QUEUED},
	{SL_HOOK_GITLAB, "running", SL_DEP_IN_PROGRESS},
	{SL_HOOK_GITLAB, "success", SL_DEP_SUCCEEDED},
	{SL_HOOK_GITLAB, "failed", SL_DEP_FAILED},
	{SL_HOOK_GITLAB, "canceled", SL_DEP_CANCELLED},
	{SL_HOOK_ARGOCD, "Running", SL_DEP_IN_PROGRESS},
	{SL_HOOK_ARGOCD, "Succeeded", SL_DEP_SUCCEEDED},
	{SL_HOOK_ARGOCD, "Failed", SL_DEP_FAILED},
	{SL_HOOK_ARGOCD, "Error", SL_DEP_FAILED},
	{SL_HOOK_ARGOCD, "Degraded", SL_DEP_FAILED},
	{SL_HOOK_JENKINS, "STARTED", SL_DEP_IN_PROGRESS},
	{SL_HOOK_JENKINS, "SUCCESS", SL_DEP_SUCCEEDED},
	{SL_HOOK_JENKINS, "FAILURE", SL_DEP_FAILED},
	{SL_HOOK_JENKINS, "UNSTABLE", SL_DEP_FAILED},
	{SL_HOOK_JENKINS, "ABORTED", SL_DEP_CANCELLED},
	{SL_HOOK_CDEVENTS, "deployed", SL_DEP_SUCCEEDED},
	{SL_HOOK_CDEVENTS, "upgraded", SL_DEP_SUCCEEDED},
	{SL_HOOK_CDEVENTS, "rolledback", SL_DEP_SUCCEEDED},
	{SL_HOOK_GENERIC, "queued", SL_DEP_QUEUED},
	{SL_HOOK_GENERIC, "in_progress", SL_DEP_IN_PROGRESS},
	{SL_HOOK_GENERIC, "succeeded", SL_DEP_SUCCEEDED},
	{SL_HOOK_GENERIC, "failed", SL_DEP_FAILED},
	{SL_HOOK_GENERIC, "cancelled", SL_DEP_CANCELLED},
};

int sl_hook_status(enum sl_hook_source s, const char *word,
		   enum sl_deploy_status *out)
{
	if (!word)
		return -1;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i].source == s && strcmp(words[i].word, word) == 0) {
			*out = words[i].status;
			return 0;
		}
	return -1;
}

static void nothing(struct sl_hook_plan *p, const char *outcome,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void nothing(struct sl_hook_plan *p, const char *outcome,
		    const char *fmt, ...)
{
	va_list ap;

	p->nsteps = 0;
	p->outcome = outcome;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
}

static void step(struct sl_hook_plan *p, enum sl_hook_step s,
		 enum sl_deploy_status status)
{
	p->steps[p->nsteps].step = s;
	p->steps[p->nsteps].status = status;
	p->nsteps++;
}

/* The moves from `from` to `to`: straight, or through in_progress (a
 * sender that reports only the end of a deployment it announced queued:
 * GitHub's "success" after "created"). 0 when neither is allowed. */
static int moves(struct sl_hook_plan *p, enum sl_deploy_status from,
		 enum sl_deploy_status to)
{
	if (sl_deploy_can_transition(from, to)) {
		step(p, SL_STEP_MOVE_DEPLOYMENT, to);
		return 1;
	}
	if (sl_deploy_can_transition(from, SL_DEP_IN_PROGRESS) &&
	    sl_deploy_can_transition(SL_DEP_IN_PROGRESS, to)) {
		step(p, SL_STEP_MOVE_DEPLOYMENT, SL_DEP_IN_PROGRESS);
		step(p, SL_STEP_MOVE_DEPLOYMENT, to);
		return 1;
	}
	return 0;
}

/* What names the release: the commit and the tag the signal carries. */
static void naming(const struct sl_signal *sig, char *buf, size_t size)
{
	if (sig->sha[0] && sig->tag[0])
		snprintf(buf, size, "commit %s or tag %s", sig->sha, sig->tag);
	else if (sig->tag[0])
		snprintf(buf, size, "tag %s", sig->tag);
	else if (sig->sha[0])
		snprintf(buf, size, "commit %s", sig->sha);
	else
		snprintf(buf, size, "no commit or tag");
}

/* The release the plan deploys: the one found, or one made from the tag
 * when the receiver says so. 0 when there is none (the plan is then
 * nothing, with the reason). */
static int release_step(const struct sl_signal *sig,
			const struct sl_hook_facts *f, struct sl_hook_plan *p)
{
	char names[400];

	if (f->release_id)
		return 1;
	naming(sig, names, sizeof(names));
	if (!f->create_releases) {
		nothing(p, "unmatched",
			"no release of %s has %s, and the receiver does not "
			"create releases",
			f->service, names);
		return 0;
	}
	if (sl_hook_tag_version(sig->tag, p->version, sizeof(p->version))) {
		nothing(p, "unmatched",
			"no release of %s has %s, and %s is no SemVer tag to "
			"make one from",
			f->service, names,
			sig->tag[0] ? sig->tag : "the delivery names no tag");
		return 0;
	}
	step(p, SL_STEP_CREATE_RELEASE, SL_DEP_QUEUED);
	return 1;
}

void sl_hook_plan(const struct sl_signal *sig, const struct sl_hook_facts *f,
		  struct sl_hook_plan *p)
{
	enum sl_deploy_status to;

	memset(p, 0, sizeof(*p));
	p->outcome = "applied";
	if (sig->kind == SL_SIG_IGNORE) {
		nothing(p, "ignored", "%s", sig->reason);
		return;
	}
	if (!f->service) {
		nothing(p, "unmatched",
			"no service for '%s': name it in the receiver's "
			"services, or set a service's repo to it",
			sig->repo);
		return;
	}
	if (sig->kind == SL_SIG_RELEASE) {
		if (f->release_id) {
			nothing(p, "ignored", "%s already has a release for %s",
				f->service, sig->tag[0] ? sig->tag : sig->sha);
			return;
		}
		release_step(sig, f, p);
		return;
	}
	/* A deployment. */
	if (!f->environment) {
		nothing(p, "unmatched",
			"no environment for '%s': name it in the receiver's "
			"environments, or create an environment of that name",
			sig->environment);
		return;
	}
	to = sig->has_status ? sig->status : SL_DEP_QUEUED;
	if (f->deployment_id) {
		if (!sig->has_status) {
			step(p, SL_STEP_NOTE_DEPLOYMENT, f->deployment_status);
		} else if (f->deployment_status == to) {
			nothing(p, "ignored", "deployment %lld is already %s",
				(long long)f->deployment_id,
				sl_deploy_status_name(to));
		} else if (!moves(p, f->deployment_status, to)) {
			nothing(p, "ignored",
				"deployment %lld is %s and cannot move to %s: "
				"the delivery arrived late",
				(long long)f->deployment_id,
				sl_deploy_status_name(f->deployment_status),
				sl_deploy_status_name(to));
		}
		return;
	}
	if (!release_step(sig, f, p))
		return;
	/* A deployment is created queued or in progress; one first heard of
	 * when it ended is created in progress and moved at once, so its
	 * timeline says both. */
	if (sl_deploy_status_is_initial(to)) {
		step(p, SL_STEP_CREATE_DEPLOYMENT, to);
	} else {
		step(p, SL_STEP_CREATE_DEPLOYMENT, SL_DEP_IN_PROGRESS);
		if (!moves(p, SL_DEP_IN_PROGRESS, to))
			nothing(p, "ignored",
				"a new deployment cannot start as %s",
				sl_deploy_status_name(to));
	}
}
