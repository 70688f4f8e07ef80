/* hook.h - inbound webhooks: the senders shiplog reads, how each proves
 * itself, what one delivery says once translated (a signal), and what
 * shiplog does with it (a plan).
 *
 * A receiver is a configured object: a sender (source), a shared secret
 * and mapping rules. The http layer checks the sender's signature, turns
 * its JSON into a struct sl_signal (hooksrc.c, one translator per
 * source) and gathers the facts the plan needs from the store; the rules
 * that decide -- which release a commit or tag names, whether a status
 * moves a deployment or arrived late, whether a tag makes a release --
 * are here, on typed structs. */
#ifndef SL_CORE_HOOK_H
#define SL_CORE_HOOK_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/state.h"

enum sl_hook_source {
	SL_HOOK_GITHUB,
	SL_HOOK_GITLAB,
	SL_HOOK_ARGOCD,
	SL_HOOK_JENKINS,
	SL_HOOK_ALERTMANAGER,
	SL_HOOK_CDEVENTS,
	SL_HOOK_GENERIC,
	SL_HOOK__COUNT
};
extern const char *const sl_hook_source_names[SL_HOOK__COUNT + 1];
const char *sl_hook_source_name(enum sl_hook_source s);
int sl_hook_source_parse(const char *s, enum sl_hook_source *out);

/* How a sender proves a delivery is its own. The secret is compared in
 * constant time, or is the HMAC key. Senders that can only add a fixed
 * header from their configuration (Argo CD, Alertmanager, Jenkins) send
 * the secret itself; senders that can compute send an HMAC of the body. */
enum sl_hook_auth {
	/* X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)> */
	SL_HOOK_AUTH_GITHUB,
	/* <header>: <secret> (GitLab's X-Gitlab-Token, X-Shiplog-Token) */
	SL_HOOK_AUTH_TOKEN,
	/* Authorization: Bearer <secret> (Alertmanager's http_config) */
	SL_HOOK_AUTH_BEARER,
	/* Authorization: Basic <base64(user:secret)>, any user (Jenkins's
	 * notification endpoint URL https://user:secret@host/...) */
	SL_HOOK_AUTH_BASIC,
	/* X-Shiplog-Signature: sha256=<hex HMAC-SHA256(secret, body)> */
	SL_HOOK_AUTH_HMAC,
};

/* Per source: its auth scheme and the header naming its event and its
 * delivery id (NULL where the body says them). */
struct sl_hook_scheme {
	enum sl_hook_auth auth;
	const char *auth_header;
	const char *event_header;
	const char *delivery_header;
};
const struct sl_hook_scheme *sl_hook_scheme(enum sl_hook_source s);

/* What a delivery says. Translators fill it from the sender's payload. */
enum sl_signal_kind {
	/* Nothing shiplog records: acknowledged and kept with the reason,
	 * so the sender does not retry. */
	SL_SIG_IGNORE,
	/* A version exists: a tag was pushed or a release published. */
	SL_SIG_RELEASE,
	/* A deployment of a commit or tag to an environment began or moved
	 * to a status. */
	SL_SIG_DEPLOYMENT,
	/* An alert group fires or is resolved: its incident (external_id
	 * names the group, event is "firing" or "resolved", at when it
	 * began, ended_at when it ended, message the summary). */
	SL_SIG_INCIDENT,
};

#define SL_SIG_TEXT 256
struct sl_signal {
	enum sl_signal_kind kind;
	char event[64];		  /* the sender's event, "deployment_status" */
	char reason[SL_SIG_TEXT]; /* IGNORE: why */
	char repo[SL_SIG_TEXT];	  /* repository, project, application, job */
	char environment[128];	  /* the sender's environment name */
	char sha[65];		  /* the commit, when named */
	char tag[128];		  /* the git tag, when named */
	char external_id[128];	  /* the sender's id of the deployment */
	char delivery_id[128];	  /* when the body names the delivery */
	int has_status;		  /* DEPLOYMENT: status is set */
	enum sl_deploy_status status;
	char url[512];		   /* where the sender shows it */
	char message[SL_SIG_TEXT]; /* a line for the deployment's timeline */
	int64_t at;		   /* when, as the sender says; 0 = unknown */
	int64_t ended_at;	   /* INCIDENT: when it was resolved; 0 */
	int resolved;		   /* INCIDENT: 1 resolved, 0 firing */
	char severity[32];	   /* INCIDENT: the sender's severity word */
};

/* Copies src into a signal field of size cap; -1 (nothing copied) when it
 * does not fit, so a translator refuses a payload rather than cut it. */
int sl_signal_set(char *field, size_t cap, const char *src);
/* Marks sig ignored, with the reason (printf-style). */
void sl_signal_ignore(struct sl_signal *sig, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The version a tag names: "v1.4.0" and "1.4.0" both give "1.4.0" in
 * buf; -1 when the tag is no SemVer version. */
int sl_hook_tag_version(const char *tag, char *buf, size_t size);

/* What the store holds that the plan needs. */
struct sl_hook_facts {
	const char *service;	 /* the service the repo maps to, or NULL */
	const char *environment; /* the mapped environment if it exists */
	int64_t release_id;	 /* the release the commit or tag names; 0 */
	int64_t deployment_id;	 /* the deployment the external id names */
	enum sl_deploy_status deployment_status; /* its status, if any */
	int create_releases; /* the receiver makes releases from tags */
};

enum sl_hook_step {
	SL_STEP_NONE,		/* the plan writes nothing (reason says why) */
	SL_STEP_CREATE_RELEASE, /* version, from the tag */
	SL_STEP_CREATE_DEPLOYMENT, /* then, in status */
	SL_STEP_MOVE_DEPLOYMENT,   /* deployment_id to status */
	SL_STEP_NOTE_DEPLOYMENT,   /* an event with the message only */
};

struct sl_hook_plan {
	struct {
		enum sl_hook_step step;
		enum sl_deploy_status status; /* CREATE_, MOVE_DEPLOYMENT */
	} steps[4];
	size_t nsteps;
	char version[64]; /* CREATE_RELEASE */
	/* the outcome word recorded with the delivery: "applied",
	 * "ignored", "unmatched" (or, set by the caller, "failed") */
	const char *outcome;
	char reason[2 * SL_SIG_TEXT];
};

/* Decides what one delivery does, from its signal and the facts. Never
 * fails: a signal that cannot be applied is planned as nothing, with the
 * reason. */
void sl_hook_plan(const struct sl_signal *sig, const struct sl_hook_facts *f,
		  struct sl_hook_plan *out);

/* The deployment status a sender's word maps to, from the table of each
 * source (GitHub's "success", GitLab's "running", Argo CD's "Failed",
 * ...); -1 when the word names no status shiplog records. */
int sl_hook_status(enum sl_hook_source s, const char *word,
		   enum sl_deploy_status *out);

#endif
