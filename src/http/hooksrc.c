/* hooksrc.c - each sender's webhook payload translated into a signal
 * (hooks.h).
 *
 * Two tables drive it. sources[] says, per sender, how a delivery names
 * its event (a header, or a field of the body) and fills what all its
 * payloads share (the repository, the timestamp). routes[] has one row per
 * (source, event): the small function that reads that payload, or the
 * reason the event is not recorded. The last row of each source catches
 * the events it does not list. Nothing here decides what a delivery does:
 * sl_hook_plan does, on the signal. Payload shapes and the fields mapped
 * are those of the published examples listed in
 * shared/fixtures/webhooks/SOURCES.md, and of shiplog's own formats
 * (docs/hooks/argocd.yaml, docs/hooks/generic.md). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/merkle.h"
#include "core/validate.h"
#include "http/hooks.h"

#define FIELD(f) (f), sizeof(f)
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
/* Runs a step of a translator; the first failure ends it at out. */
#define TRY(x)                                                                 \
	do {                                                                   \
		rc = (x);                                                      \
		if (rc != SL_OK)                                               \
			goto out;                                              \
	} while (0)
/* A NULL-terminated list of payload paths, tried in order. */
#define PATHS(...) ((const char *const[]){__VA_ARGS__, NULL})

enum need { OPTIONAL, REQUIRED };

struct route;
typedef enum sl_err (*translate_fn)(const struct route *row, const json_t *body,
				    struct sl_signal *sig,
				    struct sl_error *err);
typedef enum sl_err (*open_fn)(const char *header, const json_t *body,
			       struct sl_signal *sig, const json_t **payload,
			       struct sl_error *err);

/* ---- Reading payloads ------------------------------------------------ */

/* The value at a dotted path of root ("deployment.id"), or NULL when a
 * step is missing or is no object. Borrowed from root. Argo CD's Go
 * templates render a field the application lacks as "<no value>": that
 * counts as missing here, for every sender, since no sender means those
 * words as data. */
static const json_t *get(const json_t *root, const char *path)
{
	char key[64];
	const char *dot;
	const json_t *v;

	while (root && (dot = strchr(path, '.'))) {
		size_t n = (size_t)(dot - path);

		SL_ASSERT(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		root = json_object_get(root, key);
		path = dot + 1;
	}
	v = root ? json_object_get(root, path) : NULL;
	if (json_is_string(v) &&
	    strcmp(json_string_value(v), "<no value>") == 0)
		return NULL;
	return v;
}

/* The string at path, or NULL when it is missing, null, empty or not a
 * string: for the words a translator chooses by (an action, a state). */
static const char *text(const json_t *root, const char *path)
{
	const json_t *v = get(root, path);
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;

	return s && *s ? s : NULL;
}

/* s, or "" for NULL; and the ": " that puts a detail after a message,
 * when there is one. */
static const char *nz(const char *s)
{
	return s ? s : "";
}

static const char *colon(const char *s)
{
	return s && *s ? ": " : "";
}

/* Copies s into a signal field of cap bytes; a value that does not fit is
 * refused, naming the payload field it came from, rather than cut. */
static enum sl_err put(char *dst, size_t cap, const char *s, const char *field,
		       struct sl_error *err)
{
	if (sl_signal_set(dst, cap, s) == 0)
		return SL_OK;
	return sl_error_set(err, SL_EINVAL, field,
			    "%s is longer than the %zu bytes shiplog keeps",
			    field, cap - 1);
}

/* Copies the string at path (or an integer, as decimal text: GitHub's and
 * GitLab's ids) into dst. Missing, null or "" leaves dst empty, an error
 * when need is REQUIRED; another type, a NUL inside the string, or a
 * value that does not fit is always one. */
static enum sl_err take(char *dst, size_t cap, const json_t *root,
			const char *path, enum need need, struct sl_error *err)
{
	const json_t *v = get(root, path);
	const char *s = NULL;
	char num[32];

	dst[0] = '\0';
	if (json_is_string(v)) {
		s = json_string_value(v);
		if (strlen(s) != json_string_length(v))
			return sl_error_set(err, SL_EINVAL, path,
					    "%s holds a NUL character", path);
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		s = num;
	} else if (v && !json_is_null(v)) {
		return sl_error_set(err, SL_EINVAL, path, "%s must be a string",
				    path);
	}
	if (!s || !*s)
		return need == REQUIRED
			       ? sl_error_set(err, SL_EINVAL, path,
					      "the payload has no %s", path)
			       : SL_OK;
	return put(dst, cap, s, path, err);
}

/* take() of the first of paths the payload has: a sender that names a
 * thing in several places, the most specific first. A REQUIRED value
 * missing from all of them is reported under the last, the one every
 * payload of the event has. */
static enum sl_err take_first(char *dst, size_t cap, const json_t *root,
			      const char *const *paths, enum need need,
			      struct sl_error *err)
{
	size_t i;

	for (i = 0; paths[i + 1]; i++)
		if (text(root, paths[i]) ||
		    json_is_integer(get(root, paths[i])))
			break;
	return take(dst, cap, root, paths[i], need, err);
}

/* Microseconds from a sender's timestamp: RFC 3339, or GitLab's
 * "2021-04-28 21:50:00 +0200" and "2016-08-12 15:23:28 UTC", which are
 * rewritten as RFC 3339 ("2021-04-28T21:50:00+02:00") first so that one
 * parser checks every date. */
static enum sl_err parse_time(const char *s, int64_t *us, const char *field,
			      struct sl_error *err)
{
	char buf[40];
	size_t n = strlen(s);

	if (n > 20 && n < 26 && s[10] == ' ' && s[19] == ' ') {
		const char *zone = s + 20;

		if (strcmp(zone, "UTC") == 0)
			snprintf(buf, sizeof(buf), "%.10sT%.8sZ", s, s + 11);
		else if (strlen(zone) == 5 &&
			 (zone[0] == '+' || zone[0] == '-'))
			snprintf(buf, sizeof(buf), "%.10sT%.8s%.3s:%.2s", s,
				 s + 11, zone, zone + 3);
		else
			snprintf(buf, sizeof(buf), "%s", s);
		s = buf;
	}
	return sl_time_parse(s, us, field, err) == 0 ? SL_OK : SL_EINVAL;
}

/* Sets *at from the first of paths the payload has; none leaves it 0
 * (unknown), but a date that does not parse refuses the payload. */
static enum sl_err take_time(int64_t *at, const json_t *root,
			     const char *const *paths, struct sl_error *err)
{
	for (size_t i = 0; paths[i]; i++) {
		const char *s = text(root, paths[i]);

		if (s)
			return parse_time(s, at, paths[i], err);
	}
	return SL_OK;
}

/* 1 when s is a full commit id: 40 hex digits (SHA-1), or 64 (SHA-256
 * repositories). An abbreviated one is no proof it is a commit at all. */
static int is_sha(const char *s)
{
	size_t n = s ? strspn(s, "0123456789abcdefABCDEF") : 0;

	return (n == 40 || n == 64) && s[n] == '\0';
}

/* 1 when s is git's null commit (all zeros), which a push names for the
 * side of a ref that does not exist: before a creation, after a
 * deletion. */
static int is_null_sha(const char *s)
{
	return s && *s && s[strspn(s, "0")] == '\0';
}

/* The tag a ref names: "refs/tags/v1.4.0" gives "v1.4.0". A bare ref (a
 * GitHub deployment's "ref", an Argo CD revision) counts as a tag only
 * when it reads as a SemVer version, since branches look the same. NULL
 * when it names none. */
static const char *ref_tag(const char *ref)
{
	char v[128];

	if (!ref)
		return NULL;
	if (strncmp(ref, "refs/tags/", 10) == 0)
		return ref[10] ? ref + 10 : NULL;
	if (strncmp(ref, "refs/", 5) == 0)
		return NULL;
	return sl_hook_tag_version(ref, v, sizeof(v)) == 0 ? ref : NULL;
}

/* Stores an id made of several payload fields (senders that give no one
 * id): as it reads when it fits, else as "sha256:<hex>" of it, which is
 * as stable across retries and always fits. Frees key's buffer. */
static void put_key(char *dst, size_t cap, struct sl_buf *key)
{
	unsigned char h[SL_HASH_LEN];
	const char *s = key->s ? key->s : "";

	SL_ASSERT(cap > 7 + 2 * SL_HASH_LEN);
	if (sl_signal_set(dst, cap, s) != 0) {
		sl_sha256(s, strlen(s), h);
		memcpy(dst, "sha256:", 7);
		for (size_t i = 0; i < SL_HASH_LEN; i++)
			snprintf(dst + 7 + 2 * i, 3, "%02x", h[i]);
	}
	free(key->s);
	*key = (struct sl_buf){0};
}

/* Appends each of the n strings to key, sep between them (a NULL one adds
 * nothing but the separator, so positions stay apart). */
static void join(struct sl_buf *key, const char *sep, size_t n, ...)
{
	va_list ap;

	va_start(ap, n);
	for (size_t i = 0; i < n; i++) {
		if (i)
			sl_buf_add_str(key, sep);
		sl_buf_add_str(key, nz(va_arg(ap, const char *)));
	}
	va_end(ap);
}

/* Writes the timeline's line. Unlike an id, a line may be cut: a
 * sender's free text (a description, a commit title) must not make its
 * delivery fail, so it is shortened at a character boundary and kept on
 * one line. */
static void say(struct sl_signal *sig, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void say(struct sl_signal *sig, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(sig->message, sizeof(sig->message), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(sig->message))
		sig->message[sl_utf8_boundary(sig->message,
					      strlen(sig->message))] = '\0';
	for (char *p = sig->message; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
}

/* Sets the status from a sender's word, through the status table of its
 * source (core/hook.c); 0, or -1 when the word names no status. */
static int status_of(enum sl_hook_source s, const char *word,
		     struct sl_signal *sig)
{
	if (sl_hook_status(s, word, &sig->status) != 0)
		return -1;
	sig->has_status = 1;
	return 0;
}

/* ---- The routes table's row, and the rows every source shares --------- */

struct route {
	enum sl_hook_source source;
	/* the event, exactly, or a prefix when it ends in '*' (CDEvents
	 * types end in their version); NULL: any event not listed above */
	const char *event;
	translate_fn fn;
	/* what fn reads the payload with, where it needs it: the reason of
	 * an event not recorded, the field holding the status word, ... */
	const char *arg;
};

struct source {
	const char *label;	/* the sender, as people name it */
	const char *repo_field; /* where repo comes from, for errors */
	const char *takes;	/* the events recorded, for reasons */
	open_fn open;
};
static const struct source sources[SL_HOOK__COUNT];

/* An event shiplog does not record, for the reason in the row. */
static enum sl_err ignored(const struct route *row, const json_t *body,
			   struct sl_signal *sig, struct sl_error *err)
{
	(void)body;
	(void)err;
	sl_signal_ignore(sig, "%s", row->arg);
	return SL_OK;
}

/* An event the source's rows do not list: acknowledged, so the sender
 * stops retrying, and named with the ones shiplog takes. */
static enum sl_err unknown(const struct route *row, const json_t *body,
			   struct sl_signal *sig, struct sl_error *err)
{
	const struct source *src = &sources[row->source];

	(void)body;
	(void)err;
	sl_signal_ignore(sig, "%s event '%s' is not recorded: shiplog takes %s",
			 src->label, sig->event, src->takes);
	return SL_OK;
}

/* ---- GitHub ------------------------------------------------------------ */

/* GitHub names its event in X-GitHub-Event, and the kind of change in
 * the body's "action". Every repository event carries the repository. */
static enum sl_err github_open(const char *header, const json_t *body,
			       struct sl_signal *sig, const json_t **payload,
			       struct sl_error *err)
{
	enum sl_err rc;

	*payload = body;
	if (!header)
		return sl_error_set(err, SL_EINVAL, "X-GitHub-Event",
				    "GitHub names its event in the "
				    "X-GitHub-Event header, and the request "
				    "had none");
	TRY(put(FIELD(sig->event), header, "X-GitHub-Event", err));
	TRY(take(FIELD(sig->repo), body, "repository.full_name", OPTIONAL,
		 err));
out:
	return rc;
}

/* What a deployment and each of its statuses share. The id is
 * deployment.id, the same in every status delivery; the URL the most
 * specific page the payload names, else the deployment's API URL. */
static enum sl_err github_deployment_fields(const json_t *body,
					    struct sl_signal *sig,
					    struct sl_error *err)
{
	const char *tag = ref_tag(text(body, "deployment.ref"));
	enum sl_err rc;

	TRY(take_first(FIELD(sig->environment), body,
		       PATHS("deployment_status.environment",
			     "deployment.environment"),
		       REQUIRED, err));
	TRY(take(FIELD(sig->sha), body, "deployment.sha", OPTIONAL, err));
	if (tag)
		TRY(put(FIELD(sig->tag), tag, "deployment.ref", err));
	TRY(take(FIELD(sig->external_id), body, "deployment.id", REQUIRED,
		 err));
	TRY(take_first(FIELD(sig->url), body,
		       PATHS("deployment_status.target_url",
			     "deployment_status.environment_url",
			     "deployment_status.log_url", "deployment.url"),
		       OPTIONAL, err));
	TRY(take_time(
		&sig->at, body,
		PATHS("deployment_status.created_at", "deployment.created_at"),
		err));
out:
	return rc;
}

/* A deployment was created: it begins queued, until its statuses move
 * it. */
static enum sl_err github_deployment(const struct route *row,
				     const json_t *body, struct sl_signal *sig,
				     struct sl_error *err)
{
	const char *action = text(body, "action");
	const char *what = text(body, "deployment.description");
	int known;
	enum sl_err rc;

	(void)row;
	TRY(github_deployment_fields(body, sig, err));
	if (!action || strcmp(action, "created") != 0) {
		sl_signal_ignore(sig,
				 "GitHub deployment action '%s' is not "
				 "recorded: shiplog creates deployments from "
				 "action created",
				 nz(action));
		goto out;
	}
	known = status_of(SL_HOOK_GITHUB, "queued", sig);
	SL_ASSERT(known == 0);
	sig->kind = SL_SIG_DEPLOYMENT;
	say(sig, "GitHub deployment created%s%s", colon(what), nz(what));
out:
	return rc;
}

/* A deployment's status: the state word moves it. "inactive" is GitHub
 * retiring an older deployment when a newer one reached the environment,
 * which shiplog knows from the newer one's own statuses. */
static enum sl_err github_deployment_status(const struct route *row,
					    const json_t *body,
					    struct sl_signal *sig,
					    struct sl_error *err)
{
	const char *state = text(body, "deployment_status.state");
	const char *what = text(body, "deployment_status.description");
	enum sl_err rc;

	(void)row;
	TRY(github_deployment_fields(body, sig, err));
	if (!state) {
		rc = sl_error_set(err, SL_EINVAL, "deployment_status.state",
				  "the payload has no deployment_status.state");
		goto out;
	}
	if (strcmp(state, "inactive") == 0) {
		sl_signal_ignore(sig,
				 "GitHub marks deployment %s inactive when a "
				 "newer deployment to %s replaces it; shiplog "
				 "records the newer one from its own statuses",
				 sig->external_id, sig->environment);
		goto out;
	}
	if (status_of(SL_HOOK_GITHUB, state, sig) != 0) {
		sl_signal_ignore(sig,
				 "GitHub deployment state '%s' names no "
				 "deployment status shiplog records",
				 state);
		goto out;
	}
	sig->kind = SL_SIG_DEPLOYMENT;
	say(sig, "GitHub deployment_status %s%s%s", state, colon(what),
	    nz(what));
out:
	return rc;
}

/* What each release action means: a version that now exists, or a change
 * to a release shiplog does not follow (and why). */
static const struct {
	const char *action;
	const char *why_not; /* NULL: the action records the release */
} github_release_actions[] = {
	{"published", NULL},
	{"released", NULL},
	{"created", NULL},
	{"prereleased", NULL},
	{"edited", "an edit changes its name or notes, not the version "
		   "shiplog keeps"},
	{"deleted", "deleting it on GitHub withdraws nothing in shiplog; "
		    "withdraw the release there"},
	{"unpublished", "it went back to draft; shiplog keeps the version "
			"it recorded"},
};

/* A release: its tag names the version; target_commitish is the commit
 * only when it is one (it is usually a branch name). A draft is no
 * release yet: its publication is. */
static enum sl_err github_release(const struct route *row, const json_t *body,
				  struct sl_signal *sig, struct sl_error *err)
{
	const char *action = text(body, "action");
	const char *commitish = text(body, "release.target_commitish");
	const char *name = text(body, "release.name");
	size_t i;
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->tag), body, "release.tag_name", REQUIRED, err));
	if (is_sha(commitish))
		TRY(put(FIELD(sig->sha), commitish, "release.target_commitish",
			err));
	TRY(take(FIELD(sig->url), body, "release.html_url", OPTIONAL, err));
	TRY(take_time(&sig->at, body,
		      PATHS("release.published_at", "release.created_at"),
		      err));
	for (i = 0; i < COUNT(github_release_actions); i++)
		if (action &&
		    strcmp(action, github_release_actions[i].action) == 0)
			break;
	if (i == COUNT(github_release_actions)) {
		sl_signal_ignore(sig,
				 "GitHub release action '%s' is not recorded: "
				 "shiplog takes published, released, created "
				 "and prereleased",
				 nz(action));
	} else if (github_release_actions[i].why_not) {
		sl_signal_ignore(sig, "GitHub release %s %s: %s", sig->tag,
				 action, github_release_actions[i].why_not);
	} else if (json_is_true(get(body, "release.draft"))) {
		sl_signal_ignore(sig,
				 "GitHub release %s is a draft: shiplog "
				 "records it when it is published",
				 sig->tag);
	} else {
		sig->kind = SL_SIG_RELEASE;
		say(sig, "GitHub release %s: %s", action,
		    name ? name : sig->tag);
	}
out:
	return rc;
}

/* A push: only a tag's creation makes a version. The time is the push's
 * own (repository.pushed_at, epoch seconds in push payloads), not the
 * commit's. */
static enum sl_err github_push(const struct route *row, const json_t *body,
			       struct sl_signal *sig, struct sl_error *err)
{
	const char *ref = text(body, "ref");
	const char *tag = ref_tag(ref);
	const json_t *pushed = get(body, "repository.pushed_at");
	enum sl_err rc = SL_OK;

	(void)row;
	if (!ref || strncmp(ref, "refs/tags/", 10) != 0 || !tag) {
		sl_signal_ignore(sig,
				 "GitHub branch pushes are not recorded: "
				 "shiplog takes releases from release events "
				 "and pushed tags");
		goto out;
	}
	TRY(put(FIELD(sig->tag), tag, "ref", err));
	TRY(take_first(FIELD(sig->url), body,
		       PATHS("head_commit.url", "compare"), OPTIONAL, err));
	if (json_is_integer(pushed))
		sig->at = (int64_t)json_integer_value(pushed) * 1000000;
	if (json_is_true(get(body, "deleted")) ||
	    is_null_sha(text(body, "after"))) {
		TRY(take(FIELD(sig->sha), body, "before", OPTIONAL, err));
		sl_signal_ignore(sig,
				 "GitHub push deleted tag %s: a deleted tag "
				 "withdraws no release; withdraw it in "
				 "shiplog",
				 tag);
		goto out;
	}
	TRY(take(FIELD(sig->sha), body, "after", REQUIRED, err));
	if (!json_is_true(get(body, "created")) &&
	    !is_null_sha(text(body, "before"))) {
		sl_signal_ignore(sig,
				 "GitHub push moved tag %s to %s: shiplog "
				 "keeps the release the tag first named",
				 tag, sig->sha);
		goto out;
	}
	sig->kind = SL_SIG_RELEASE;
	say(sig, "GitHub push created tag %s", tag);
out:
	return rc;
}

/* A workflow run is CI: whether a workflow deployed, and where, GitHub
 * says in a deployment (a job with an environment creates one). */
static enum sl_err github_workflow_run(const struct route *row,
				       const json_t *body,
				       struct sl_signal *sig,
				       struct sl_error *err)
{
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->sha), body, "workflow_run.head_sha", OPTIONAL,
		 err));
	TRY(take(FIELD(sig->url), body, "workflow_run.html_url", OPTIONAL,
		 err));
	sl_signal_ignore(sig, "GitHub workflow runs are CI, not deployments: "
			      "shiplog takes deployments from deployment and "
			      "deployment_status events, which a workflow job "
			      "with an environment creates");
out:
	return rc;
}

/* ---- GitLab ------------------------------------------------------------ */

/* object_kind, for deliveries that lost their X-Gitlab-Event header (a
 * replay from a log, a proxy): the body says the same thing. */
static const struct {
	const char *kind, *event;
} gitlab_kinds[] = {
	{"deployment", "Deployment Hook"},
	{"pipeline", "Pipeline Hook"},
	{"push", "Push Hook"},
	{"tag_push", "Tag Push Hook"},
	{"release", "Release Hook"},
	{"feature_flag", "Feature Flag Hook"},
	{"build", "Job Hook"},
};

/* GitLab names its event in X-Gitlab-Event, or else by the body's
 * object_kind; every project event carries the project. */
static enum sl_err gitlab_open(const char *header, const json_t *body,
			       struct sl_signal *sig, const json_t **payload,
			       struct sl_error *err)
{
	const char *event = header;
	const char *kind = text(body, "object_kind");
	enum sl_err rc;

	*payload = body;
	for (size_t i = 0; !event && kind && i < COUNT(gitlab_kinds); i++)
		if (strcmp(kind, gitlab_kinds[i].kind) == 0)
			event = gitlab_kinds[i].event;
	if (!event)
		event = kind;
	if (!event)
		return sl_error_set(err, SL_EINVAL, "object_kind",
				    "GitLab names its event in the "
				    "X-Gitlab-Event header or the body's "
				    "object_kind, and the delivery has "
				    "neither");
	TRY(put(FIELD(sig->event), event,
		header ? "X-Gitlab-Event" : "object_kind", err));
	TRY(take(FIELD(sig->repo), body, "project.path_with_namespace",
		 OPTIONAL, err));
out:
	return rc;
}

/* A deployment's status. GitLab gives the short commit id, and the full
 * one only at the end of commit_url. */
static enum sl_err gitlab_deployment(const struct route *row,
				     const json_t *body, struct sl_signal *sig,
				     struct sl_error *err)
{
	const char *status = text(body, "status");
	const char *commit_url = text(body, "commit_url");
	const char *last = commit_url ? strrchr(commit_url, '/') : NULL;
	const char *tag = ref_tag(text(body, "ref"));
	const char *title = text(body, "commit_title");
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->environment), body, "environment", REQUIRED, err));
	TRY(take(FIELD(sig->external_id), body, "deployment_id", REQUIRED,
		 err));
	if (last && is_sha(last + 1))
		TRY(put(FIELD(sig->sha), last + 1, "commit_url", err));
	else
		TRY(take(FIELD(sig->sha), body, "short_sha", OPTIONAL, err));
	if (tag)
		TRY(put(FIELD(sig->tag), tag, "ref", err));
	TRY(take_first(FIELD(sig->url), body,
		       PATHS("deployable_url", "environment_external_url"),
		       OPTIONAL, err));
	TRY(take_time(&sig->at, body, PATHS("status_changed_at"), err));
	if (!status) {
		rc = sl_error_set(err, SL_EINVAL, "status",
				  "the payload has no status");
		goto out;
	}
	if (status_of(SL_HOOK_GITLAB, status, sig) != 0) {
		sl_signal_ignore(sig,
				 "GitLab deployment status '%s' names no "
				 "deployment status shiplog records",
				 status);
		goto out;
	}
	sig->kind = SL_SIG_DEPLOYMENT;
	say(sig, "GitLab deployment %s%s%s", status, colon(title), nz(title));
out:
	return rc;
}

/* A tag pushed: a version, unless the push deleted it (after is the null
 * commit). GitLab's tag push names no time. */
static enum sl_err gitlab_tag_push(const struct route *row, const json_t *body,
				   struct sl_signal *sig, struct sl_error *err)
{
	const char *ref = text(body, "ref");
	const char *tag = ref_tag(ref);
	enum sl_err rc;

	(void)row;
	if (!ref || strncmp(ref, "refs/tags/", 10) != 0 || !tag) {
		rc = sl_error_set(err, SL_EINVAL, "ref",
				  "a Tag Push Hook names refs/tags/<tag> in "
				  "ref, not '%s'",
				  nz(ref));
		goto out;
	}
	TRY(put(FIELD(sig->tag), tag, "ref", err));
	TRY(take(FIELD(sig->url), body, "project.web_url", OPTIONAL, err));
	if (is_null_sha(text(body, "after"))) {
		TRY(take(FIELD(sig->sha), body, "before", OPTIONAL, err));
		sl_signal_ignore(sig,
				 "GitLab push deleted tag %s: a deleted tag "
				 "withdraws no release; withdraw it in "
				 "shiplog",
				 tag);
		goto out;
	}
	TRY(take_first(FIELD(sig->sha), body, PATHS("checkout_sha", "after"),
		       REQUIRED, err));
	sig->kind = SL_SIG_RELEASE;
	say(sig, "GitLab tag pushed: %s", tag);
out:
	return rc;
}

/* A release: "create" makes the version; an update or a deletion changes
 * nothing shiplog keeps. */
static enum sl_err gitlab_release(const struct route *row, const json_t *body,
				  struct sl_signal *sig, struct sl_error *err)
{
	const char *action = text(body, "action");
	const char *name = text(body, "name");
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->tag), body, "tag", REQUIRED, err));
	TRY(take(FIELD(sig->sha), body, "commit.id", OPTIONAL, err));
	TRY(take(FIELD(sig->url), body, "url", OPTIONAL, err));
	TRY(take_time(&sig->at, body, PATHS("released_at", "created_at"), err));
	if (!action || strcmp(action, "create") != 0) {
		sl_signal_ignore(sig,
				 "GitLab release %s %s: shiplog records a "
				 "release when it is created; an update or a "
				 "deletion changes nothing it keeps",
				 sig->tag, nz(action));
		goto out;
	}
	sig->kind = SL_SIG_RELEASE;
	say(sig, "GitLab release created: %s", name ? name : sig->tag);
out:
	return rc;
}

/* ---- Argo CD (shiplog's template, docs/hooks/argocd.yaml) -------------- */

/* The template puts the trigger's event and the application in the
 * body; Argo CD sends no header of its own. */
static enum sl_err argocd_open(const char *header, const json_t *body,
			       struct sl_signal *sig, const json_t **payload,
			       struct sl_error *err)
{
	enum sl_err rc;

	(void)header;
	*payload = body;
	TRY(take(FIELD(sig->event), body, "event", REQUIRED, err));
	TRY(take(FIELD(sig->repo), body, "app", OPTIONAL, err));
out:
	return rc;
}

/* A sync operation of an application: one deployment per operation, so
 * the id is app@revision@startedAt (the same in the running, succeeded
 * and failed deliveries of it, and in a health-degraded one after it).
 * The row names the field whose word is the status: the sync events
 * read the operation's phase, health-degraded the health, so that an
 * application still degraded from before does not fail a new sync. */
static enum sl_err argocd_sync(const struct route *row, const json_t *body,
			       struct sl_signal *sig, struct sl_error *err)
{
	const char *revision = text(body, "revision");
	const char *word = text(body, row->arg);
	const char *phase = text(body, "phase");
	const char *health = text(body, "health");
	struct sl_buf key = {0};
	enum sl_err rc;

	TRY(take(FIELD(sig->environment), body, "environment", REQUIRED, err));
	if (is_sha(revision))
		TRY(put(FIELD(sig->sha), revision, "revision", err));
	else if (ref_tag(revision))
		TRY(put(FIELD(sig->tag), ref_tag(revision), "revision", err));
	TRY(take(FIELD(sig->delivery_id), body, "id", OPTIONAL, err));
	TRY(take(FIELD(sig->url), body, "url", OPTIONAL, err));
	TRY(take_time(&sig->at, body, PATHS("finishedAt", "startedAt"), err));
	join(&key, "@", 3, sig->repo, revision, text(body, "startedAt"));
	put_key(FIELD(sig->external_id), &key);
	if (!word) {
		rc = sl_error_set(err, SL_EINVAL, row->arg,
				  "Argo CD's %s delivery has no %s", sig->event,
				  row->arg);
		goto out;
	}
	if (status_of(SL_HOOK_ARGOCD, word, sig) != 0) {
		sl_signal_ignore(sig,
				 "Argo CD %s '%s' names no deployment status "
				 "shiplog records",
				 row->arg, word);
		goto out;
	}
	sig->kind = SL_SIG_DEPLOYMENT;
	say(sig, "Argo CD %s: phase %s, health %s", sig->event,
	    phase ? phase : "unknown", health ? health : "unknown");
out:
	return rc;
}

/* ---- Jenkins (Notification plugin) ------------------------------------- */

/* The plugin sends one POST per build phase and no header: the phase is
 * the event, the job the repository. */
static enum sl_err jenkins_open(const char *header, const json_t *body,
				struct sl_signal *sig, const json_t **payload,
				struct sl_error *err)
{
	enum sl_err rc;

	(void)header;
	*payload = body;
	TRY(take(FIELD(sig->event), body, "build.phase", REQUIRED, err));
	TRY(take(FIELD(sig->repo), body, "name", OPTIONAL, err));
out:
	return rc;
}

/* What every phase of a build says: the build is the deployment
 * (name#number), each phase its own delivery (name#number#phase), the
 * environment a build parameter, the time the build's start (epoch
 * milliseconds). The build number is left in number. */
static enum sl_err jenkins_fields(const json_t *body, struct sl_signal *sig,
				  char *number, size_t cap,
				  struct sl_error *err)
{
	const json_t *ts = get(body, "build.timestamp");
	struct sl_buf key = {0};
	enum sl_err rc;

	TRY(take(number, cap, body, "build.number", REQUIRED, err));
	join(&key, "#", 2, sig->repo, number);
	put_key(FIELD(sig->external_id), &key);
	join(&key, "#", 3, sig->repo, number, sig->event);
	put_key(FIELD(sig->delivery_id), &key);
	TRY(take(FIELD(sig->sha), body, "build.scm.commit", OPTIONAL, err));
	TRY(take(FIELD(sig->url), body, "build.full_url", OPTIONAL, err));
	TRY(take_first(FIELD(sig->environment), body,
		       PATHS("build.parameters.ENVIRONMENT",
			     "build.parameters.environment"),
		       OPTIONAL, err));
	if (json_is_integer(ts))
		sig->at = (int64_t)json_integer_value(ts) * 1000;
	else if (ts && !json_is_null(ts))
		rc = sl_error_set(err, SL_EINVAL, "build.timestamp",
				  "build.timestamp must be epoch milliseconds");
out:
	return rc;
}

/* A build waiting for an executor has not begun to deploy. */
static enum sl_err jenkins_queued(const struct route *row, const json_t *body,
				  struct sl_signal *sig, struct sl_error *err)
{
	char number[32];
	enum sl_err rc;

	(void)row;
	TRY(jenkins_fields(body, sig, FIELD(number), err));
	sl_signal_ignore(sig,
			 "Jenkins %s #%s is QUEUED: a build waiting for an "
			 "executor has not begun to deploy; shiplog records it "
			 "from STARTED",
			 sig->repo, number);
out:
	return rc;
}

/* A build started or ended. The row names the field whose word is the
 * status: STARTED is its own, COMPLETED and FINALIZED carry
 * build.status. Without an environment parameter the build is recorded
 * and not applied, since shiplog cannot tell where it deployed. */
static enum sl_err jenkins_build(const struct route *row, const json_t *body,
				 struct sl_signal *sig, struct sl_error *err)
{
	char number[32];
	const char *word = text(body, row->arg);
	enum sl_err rc;

	TRY(jenkins_fields(body, sig, FIELD(number), err));
	if (!word) {
		rc = sl_error_set(err, SL_EINVAL, row->arg,
				  "a %s notification names %s", sig->event,
				  row->arg);
		goto out;
	}
	if (status_of(SL_HOOK_JENKINS, word, sig) != 0) {
		sl_signal_ignore(sig,
				 "Jenkins build status '%s' names no "
				 "deployment status shiplog records",
				 word);
		goto out;
	}
	if (strcmp(word, sig->event) == 0)
		say(sig, "Jenkins %s #%s %s", sig->repo, number, word);
	else
		say(sig, "Jenkins %s #%s %s: %s", sig->repo, number, sig->event,
		    word);
	if (!sig->environment[0]) {
		sl_signal_ignore(sig,
				 "Jenkins job %s passes no ENVIRONMENT build "
				 "parameter, so shiplog cannot tell where "
				 "build #%s deployed: add a string parameter "
				 "ENVIRONMENT to the job",
				 sig->repo, number);
		goto out;
	}
	sig->kind = SL_SIG_DEPLOYMENT;
out:
	return rc;
}

/* ---- Alertmanager ------------------------------------------------------ */

/* Alertmanager sends no header either: the group's status (firing,
 * resolved) is the event. The service is whichever label convention the
 * alerts follow. */
static enum sl_err alertmanager_open(const char *header, const json_t *body,
				     struct sl_signal *sig,
				     const json_t **payload,
				     struct sl_error *err)
{
	enum sl_err rc;

	(void)header;
	*payload = body;
	TRY(take(FIELD(sig->event), body, "status", REQUIRED, err));
	TRY(take_first(FIELD(sig->repo), body,
		       PATHS("commonLabels.service", "commonLabels.job",
			     "commonLabels.app"),
		       OPTIONAL, err));
	TRY(take_first(FIELD(sig->environment), body,
		       PATHS("commonLabels.env", "commonLabels.environment",
			     "commonLabels.cluster"),
		       OPTIONAL, err));
out:
	return rc;
}

/* A notification of an alert group: the group's incident, keyed by its
 * groupKey (else its first alert's fingerprint), firing or resolved.
 * Alertmanager gives no delivery id, and repeats a firing group every
 * repeat_interval: the group, and each alert's fingerprint, start and
 * status, tell one notification's content from another's, so a repeat
 * is recognised and a resolution is not mistaken for one. The service
 * and environment are the common labels' (alertmanager_open), else the
 * first alert's. */
static enum sl_err alertmanager_alerts(const struct route *row,
				       const json_t *body,
				       struct sl_signal *sig,
				       struct sl_error *err)
{
	const json_t *alerts = get(body, "alerts");
	const json_t *first = json_array_get(alerts, 0);
	const char *key_text = text(body, "groupKey");
	const char *summary = text(body, "commonAnnotations.summary");
	struct sl_buf key = {0};
	size_t i;
	const json_t *a;
	enum sl_err rc;

	(void)row;
	if (!json_is_array(alerts)) {
		rc = sl_error_set(err, SL_EINVAL, "alerts",
				  "an Alertmanager notification lists its "
				  "alerts in an array");
		goto out;
	}
	TRY(take(FIELD(sig->url), body, "externalURL", OPTIONAL, err));
	if (first) {
		TRY(take_time(&sig->at, first, PATHS("startsAt"), err));
		sig->resolved = strcmp(sig->event, "resolved") == 0;
		if (sig->resolved)
			TRY(take_time(&sig->ended_at, first, PATHS("endsAt"),
				      err));
		if (!sig->repo[0])
			TRY(take_first(FIELD(sig->repo), first,
				       PATHS("labels.service", "labels.job",
					     "labels.app"),
				       OPTIONAL, err));
		if (!sig->environment[0])
			TRY(take_first(FIELD(sig->environment), first,
				       PATHS("labels.env", "labels.environment",
					     "labels.cluster"),
				       OPTIONAL, err));
	}
	TRY(take_first(FIELD(sig->severity), body,
		       PATHS("commonLabels.severity"), OPTIONAL, err));
	if (!sig->severity[0] && first)
		TRY(take(FIELD(sig->severity), first, "labels.severity",
			 OPTIONAL, err));
	if (key_text) {
		sl_buf_add_str(&key, key_text);
		json_array_foreach(alerts, i, a)
		{
			sl_buf_add_str(&key, i ? "," : "|");
			join(&key, "@", 2, text(a, "fingerprint"),
			     text(a, "startsAt"));
			sl_buf_add_str(&key, ":");
			sl_buf_add_str(&key, nz(text(a, "status")));
		}
		put_key(FIELD(sig->delivery_id), &key);
		sl_buf_add_str(&key, key_text);
		put_key(FIELD(sig->external_id), &key);
	} else if (first && text(first, "fingerprint")) {
		sl_buf_add_str(&key, text(first, "fingerprint"));
		put_key(FIELD(sig->external_id), &key);
	}
	if (!summary && first)
		summary = text(first, "annotations.summary");
	if (!summary)
		summary = text(body, "commonLabels.alertname");
	say(sig, "%s", summary ? summary : "Alertmanager alert");
	if (!sig->external_id[0]) {
		sl_signal_ignore(sig, "the notification has neither a groupKey "
				      "nor an alert fingerprint to key an "
				      "incident by");
		goto out;
	}
	if (strcmp(sig->event, "firing") && strcmp(sig->event, "resolved")) {
		sl_signal_ignore(sig,
				 "Alertmanager status '%s' is neither "
				 "firing nor resolved",
				 sig->event);
		goto out;
	}
	sig->kind = SL_SIG_INCIDENT;
out:
	return rc;
}

/* ---- CDEvents ----------------------------------------------------------- */

/* A CDEvent arrives as its own JSON ({context, subject}; CloudEvents
 * binary mode, the type in ce-type) or inside a structured CloudEvent
 * ({specversion, id, type, data}). The delivery is the CloudEvent's id,
 * else the CDEvent's context.id (which binary mode copies into ce-id).
 * Spec versions up to 0.4 call context.specversion "version". */
static enum sl_err cdevents_open(const char *header, const json_t *body,
				 struct sl_signal *sig, const json_t **payload,
				 struct sl_error *err)
{
	const json_t *ev = body;
	const char *cloud_type = NULL, *type;
	enum sl_err rc = SL_OK;

	if (!get(body, "context") && get(body, "specversion")) {
		ev = get(body, "data");
		if (!json_is_object(ev)) {
			rc = sl_error_set(err, SL_EINVAL, "data",
					  "a structured CloudEvent carries the "
					  "CDEvent in data, as a JSON object");
			goto out;
		}
		TRY(take(FIELD(sig->delivery_id), body, "id", REQUIRED, err));
		cloud_type = text(body, "type");
	}
	*payload = ev;
	if (!json_is_object(get(ev, "context")) ||
	    !json_is_object(get(ev, "subject"))) {
		rc = sl_error_set(err, SL_EINVAL, "context",
				  "a CDEvent is an object with a context and "
				  "a subject");
		goto out;
	}
	if (!text(ev, "context.specversion") && !text(ev, "context.version")) {
		rc = sl_error_set(err, SL_EINVAL, "context.specversion",
				  "a CDEvent names its spec version in "
				  "context.specversion (context.version up to "
				  "0.4)");
		goto out;
	}
	type = text(ev, "context.type");
	if (!type) {
		rc = sl_error_set(err, SL_EINVAL, "context.type",
				  "the CDEvent has no context.type");
		goto out;
	}
	if ((header && strcmp(header, type) != 0) ||
	    (cloud_type && strcmp(cloud_type, type) != 0)) {
		rc = sl_error_set(err, SL_EINVAL, header ? "ce-type" : "type",
				  "the CloudEvent's type %s and the CDEvent's "
				  "context.type %s disagree",
				  header ? header : cloud_type, type);
		goto out;
	}
	TRY(put(FIELD(sig->event), type, "context.type", err));
	if (!sig->delivery_id[0])
		TRY(take(FIELD(sig->delivery_id), ev, "context.id", OPTIONAL,
			 err));
	TRY(take(FIELD(sig->repo), ev, "subject.id", OPTIONAL, err));
	TRY(take_time(&sig->at, ev, PATHS("context.timestamp"), err));
out:
	return rc;
}

/* The value of a hex digit, or -1. */
static int hex_value(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p;

	if (c >= 'A' && c <= 'F')
		c = (char)(c - 'A' + 'a');
	p = c ? strchr(digits, c) : NULL;
	return p ? (int)(p - digits) : -1;
}

/* Decodes the %XX escapes of the n bytes at src (a package URL's
 * version) into dst of cap bytes; a '%' that starts no escape is kept.
 * -1 when the result does not fit. */
static int percent_decode(const char *src, size_t n, char *dst, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = src[i];

		if (c == '%' && i + 2 < n && hex_value(src[i + 1]) >= 0 &&
		    hex_value(src[i + 2]) >= 0) {
			c = (char)(hex_value(src[i + 1]) * 16 +
				   hex_value(src[i + 2]));
			i += 2;
		}
		if (o + 1 >= cap)
			return -1;
		dst[o++] = c;
	}
	dst[o] = '\0';
	return 0;
}

/* The tag a package URL's version names, when it reads as SemVer:
 * "pkg:oci/myapp@v1.2.3?repository_url=..." gives "v1.2.3". A digest
 * ("pkg:oci/myapp@sha256%3A0b31...") or a commit names no tag. The
 * version is what follows the last '@' before the qualifiers. */
static enum sl_err purl_tag(char *dst, size_t cap, const char *purl,
			    const char *field, struct sl_error *err)
{
	char version[128], semver[128];
	const char *end, *at;

	if (!purl)
		return SL_OK;
	end = purl + strcspn(purl, "?#");
	at = memrchr(purl, '@', (size_t)(end - purl));
	if (!at ||
	    percent_decode(at + 1, (size_t)(end - at - 1), FIELD(version)) !=
		    0 ||
	    sl_hook_tag_version(version, FIELD(semver)) != 0)
		return SL_OK;
	return put(dst, cap, version, field, err);
}

/* A service deployed, upgraded or rolled back in an environment: the
 * event reports a deployment that happened, so it succeeded. The row
 * names the predicate, which is also the status word. The id is the
 * chain the event belongs to, else the service, environment and
 * artifact, which only that deployment shares. */
static enum sl_err cdevents_service(const struct route *row, const json_t *body,
				    struct sl_signal *sig, struct sl_error *err)
{
	const char *artifact = text(body, "subject.content.artifactId");
	const char *chain = text(body, "context.chainId");
	struct sl_buf key = {0};
	int known;
	enum sl_err rc;

	TRY(take(FIELD(sig->environment), body,
		 "subject.content.environment.id", REQUIRED, err));
	TRY(purl_tag(FIELD(sig->tag), artifact, "subject.content.artifactId",
		     err));
	if (chain) {
		TRY(put(FIELD(sig->external_id), chain, "context.chainId",
			err));
	} else {
		join(&key, "@", 3, sig->repo, sig->environment, artifact);
		put_key(FIELD(sig->external_id), &key);
	}
	known = status_of(SL_HOOK_CDEVENTS, row->arg, sig);
	SL_ASSERT(known == 0);
	sig->kind = SL_SIG_DEPLOYMENT;
	say(sig, "CDEvents service %s%s%s",
	    strcmp(row->arg, "rolledback") == 0 ? "rolled back" : row->arg,
	    colon(artifact), nz(artifact));
out:
	return rc;
}

/* A service taken out of an environment: no version deployed, nothing
 * for shiplog's deployments. */
static enum sl_err cdevents_removed(const struct route *row, const json_t *body,
				    struct sl_signal *sig, struct sl_error *err)
{
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->environment), body,
		 "subject.content.environment.id", OPTIONAL, err));
	sl_signal_ignore(sig,
			 "CDEvents service.removed is not recorded: shiplog "
			 "records the versions deployed, and removing %s "
			 "from %s deploys none",
			 sig->repo,
			 sig->environment[0] ? sig->environment
					     : "an environment");
out:
	return rc;
}

/* A pipeline run is CI, as GitHub's workflow runs are. */
static enum sl_err cdevents_pipelinerun(const struct route *row,
					const json_t *body,
					struct sl_signal *sig,
					struct sl_error *err)
{
	enum sl_err rc;

	(void)row;
	TRY(take_first(FIELD(sig->url), body,
		       PATHS("subject.content.uri", "subject.content.url"),
		       OPTIONAL, err));
	sl_signal_ignore(sig,
			 "CDEvents pipeline runs are CI, not deployments: "
			 "shiplog takes service.deployed, service.upgraded "
			 "and service.rolledback");
out:
	return rc;
}

/* An incident names the service, its environment and the artifact
 * running; subject.id is the incident's own id, which keys shiplog's
 * incident. detected and reported open it, resolved resolves it. */
static enum sl_err cdevents_incident(const struct route *row,
				     const json_t *body, struct sl_signal *sig,
				     struct sl_error *err)
{
	const char *what = text(body, "subject.content.description");
	struct sl_buf key = {0};
	enum sl_err rc;

	(void)row;
	TRY(take_first(FIELD(sig->repo), body,
		       PATHS("subject.content.service.id", "subject.id"),
		       OPTIONAL, err));
	TRY(take(FIELD(sig->environment), body,
		 "subject.content.environment.id", OPTIONAL, err));
	TRY(purl_tag(FIELD(sig->tag), text(body, "subject.content.artifactId"),
		     "subject.content.artifactId", err));
	TRY(take_time(&sig->at, body, PATHS("context.timestamp"), err));
	say(sig, "%s", what ? what : sig->event);
	if (!text(body, "subject.id")) {
		rc = sl_error_set(err, SL_EINVAL, "subject.id",
				  "the payload has no subject.id");
		goto out;
	}
	sl_buf_add_str(&key, text(body, "subject.id"));
	put_key(FIELD(sig->external_id), &key);
	if (strncmp(sig->event, "dev.cdevents.incident.resolved.", 31) == 0) {
		sig->resolved = 1;
		sig->ended_at = sig->at;
	} else if (strncmp(sig->event, "dev.cdevents.incident.detected.", 31) !=
			   0 &&
		   strncmp(sig->event, "dev.cdevents.incident.reported.", 31) !=
			   0) {
		sl_signal_ignore(sig,
				 "CDEvents %s is not an incident being "
				 "detected, reported or resolved",
				 sig->event);
		goto out;
	}
	sig->kind = SL_SIG_INCIDENT;
out:
	return rc;
}

/* ---- Generic (shiplog's own format, docs/hooks/generic.md) ------------- */

/* The event is the body's, else X-Shiplog-Event's. The service, when
 * named, is put in repo as "service:<name>" so the receiver can tell it
 * from a repository to map. */
static enum sl_err generic_open(const char *header, const json_t *body,
				struct sl_signal *sig, const json_t **payload,
				struct sl_error *err)
{
	const char *event = text(body, "event");
	const char *service = text(body, "service");
	const char *repository = text(body, "repository");
	struct sl_buf name = {0};
	enum sl_err rc;

	*payload = body;
	if (!event && !header)
		return sl_error_set(err, SL_EINVAL, "event",
				    "name the event, deployment or release, "
				    "in the body's event or X-Shiplog-Event");
	TRY(put(FIELD(sig->event), event ? event : header,
		event ? "event" : "X-Shiplog-Event", err));
	if (service && repository) {
		rc = sl_error_set(err, SL_EINVAL, "service",
				  "name the service or the repository, not "
				  "both");
	} else if (service) {
		join(&name, "", 2, "service:", service);
		rc = put(FIELD(sig->repo), name.s, "service", err);
		free(name.s);
	} else if (repository) {
		rc = take(FIELD(sig->repo), body, "repository", REQUIRED, err);
	} else {
		rc = sl_error_set(err, SL_EINVAL, "service",
				  "name the service, or the repository "
				  "shiplog maps to one");
	}
	if (rc)
		goto out;
	TRY(take(FIELD(sig->delivery_id), body, "id", OPTIONAL, err));
	TRY(take(FIELD(sig->tag), body, "tag", OPTIONAL, err));
	TRY(take(FIELD(sig->sha), body, "commit", OPTIONAL, err));
	if (sig->sha[0] && sl_valid_commit(sig->sha, "commit", err) != 0) {
		rc = SL_EINVAL;
		goto out;
	}
	TRY(take(FIELD(sig->url), body, "url", OPTIONAL, err));
	TRY(take(FIELD(sig->message), body, "message", OPTIONAL, err));
	TRY(take_time(&sig->at, body, PATHS("at"), err));
out:
	return rc;
}

/* A deployment: to an environment, of a commit or tag, in a status when
 * one is given (without, a new one is queued and a known one gets a
 * note). */
static enum sl_err generic_deployment(const struct route *row,
				      const json_t *body, struct sl_signal *sig,
				      struct sl_error *err)
{
	const char *status = text(body, "status");
	enum sl_err rc;

	(void)row;
	TRY(take(FIELD(sig->environment), body, "environment", REQUIRED, err));
	TRY(take(FIELD(sig->external_id), body, "deployment", OPTIONAL, err));
	if (!sig->sha[0] && !sig->tag[0]) {
		rc = sl_error_set(err, SL_EINVAL, "commit",
				  "a deployment names its commit, its tag or "
				  "both");
		goto out;
	}
	if (status && status_of(SL_HOOK_GENERIC, status, sig) != 0) {
		rc = sl_error_set(err, SL_EINVAL, "status",
				  "status must be queued, in_progress, "
				  "succeeded, failed or cancelled, not '%s'",
				  status);
		goto out;
	}
	sig->kind = SL_SIG_DEPLOYMENT;
	if (!sig->message[0])
		say(sig, "deployment %s", status ? status : "reported");
out:
	return rc;
}

/* A release: the version its tag names. */
static enum sl_err generic_release(const struct route *row, const json_t *body,
				   struct sl_signal *sig, struct sl_error *err)
{
	(void)row;
	(void)body;
	if (!sig->tag[0])
		return sl_error_set(err, SL_EINVAL, "tag",
				    "a release names its tag");
	sig->kind = SL_SIG_RELEASE;
	if (!sig->message[0])
		say(sig, "release %s", sig->tag);
	return SL_OK;
}

/* Shiplog's own format has two events; another is the caller's mistake,
 * refused so that it shows in the caller's response. */
static enum sl_err generic_unknown(const struct route *row, const json_t *body,
				   struct sl_signal *sig, struct sl_error *err)
{
	(void)row;
	(void)body;
	return sl_error_set(err, SL_EINVAL, "event",
			    "event must be deployment or release, not '%s'",
			    sig->event);
}

/* ---- The tables, and the loop ------------------------------------------ */

static const struct source sources[SL_HOOK__COUNT] = {
	[SL_HOOK_GITHUB] = {"GitHub", "repository.full_name",
			    "deployment, deployment_status, release and push "
			    "(tags)",
			    github_open},
	[SL_HOOK_GITLAB] = {"GitLab", "project.path_with_namespace",
			    "Deployment Hook, Tag Push Hook and Release Hook",
			    gitlab_open},
	[SL_HOOK_ARGOCD] = {"Argo CD", "app",
			    "sync-running, sync-succeeded, sync-failed and "
			    "health-degraded (docs/hooks/argocd.yaml)",
			    argocd_open},
	[SL_HOOK_JENKINS] = {"Jenkins", "name",
			     "the phases STARTED, COMPLETED and FINALIZED",
			     jenkins_open},
	[SL_HOOK_ALERTMANAGER] = {"Alertmanager", "commonLabels.service",
				  "firing and resolved, as incidents",
				  alertmanager_open},
	[SL_HOOK_CDEVENTS] = {"CDEvents", "subject.id",
			      "service.deployed, service.upgraded and "
			      "service.rolledback",
			      cdevents_open},
	[SL_HOOK_GENERIC] = {"shiplog", "service", "deployment and release",
			     generic_open},
};

static const struct route routes[] = {
	{SL_HOOK_GITHUB, "deployment", github_deployment, NULL},
	{SL_HOOK_GITHUB, "deployment_status", github_deployment_status, NULL},
	{SL_HOOK_GITHUB, "release", github_release, NULL},
	{SL_HOOK_GITHUB, "push", github_push, NULL},
	{SL_HOOK_GITHUB, "workflow_run", github_workflow_run, NULL},
	{SL_HOOK_GITHUB, "ping", ignored,
	 "GitHub's ping: the receiver is reachable, and there is nothing to "
	 "record"},
	{SL_HOOK_GITHUB, NULL, unknown, NULL},

	{SL_HOOK_GITLAB, "Deployment Hook", gitlab_deployment, NULL},
	{SL_HOOK_GITLAB, "Tag Push Hook", gitlab_tag_push, NULL},
	{SL_HOOK_GITLAB, "Release Hook", gitlab_release, NULL},
	{SL_HOOK_GITLAB, "Pipeline Hook", ignored,
	 "GitLab pipelines are CI; deployments come from Deployment Hook"},
	{SL_HOOK_GITLAB, "Push Hook", ignored,
	 "GitLab branch pushes are not recorded: shiplog takes releases from "
	 "Tag Push Hook and Release Hook"},
	{SL_HOOK_GITLAB, "Feature Flag Hook", ignored,
	 "GitLab feature flag changes are not recorded: shiplog records "
	 "releases and deployments"},
	{SL_HOOK_GITLAB, NULL, unknown, NULL},

	{SL_HOOK_ARGOCD, "sync-running", argocd_sync, "phase"},
	{SL_HOOK_ARGOCD, "sync-succeeded", argocd_sync, "phase"},
	{SL_HOOK_ARGOCD, "sync-failed", argocd_sync, "phase"},
	{SL_HOOK_ARGOCD, "health-degraded", argocd_sync, "health"},
	{SL_HOOK_ARGOCD, NULL, unknown, NULL},

	{SL_HOOK_JENKINS, "QUEUED", jenkins_queued, NULL},
	{SL_HOOK_JENKINS, "STARTED", jenkins_build, "build.phase"},
	{SL_HOOK_JENKINS, "COMPLETED", jenkins_build, "build.status"},
	{SL_HOOK_JENKINS, "FINALIZED", jenkins_build, "build.status"},
	{SL_HOOK_JENKINS, NULL, unknown, NULL},

	{SL_HOOK_ALERTMANAGER, "firing", alertmanager_alerts, NULL},
	{SL_HOOK_ALERTMANAGER, "resolved", alertmanager_alerts, NULL},
	{SL_HOOK_ALERTMANAGER, NULL, unknown, NULL},

	{SL_HOOK_CDEVENTS, "dev.cdevents.service.deployed.*", cdevents_service,
	 "deployed"},
	{SL_HOOK_CDEVENTS, "dev.cdevents.service.upgraded.*", cdevents_service,
	 "upgraded"},
	{SL_HOOK_CDEVENTS, "dev.cdevents.service.rolledback.*",
	 cdevents_service, "rolledback"},
	{SL_HOOK_CDEVENTS, "dev.cdevents.service.removed.*", cdevents_removed,
	 NULL},
	{SL_HOOK_CDEVENTS, "dev.cdevents.pipelinerun.*", cdevents_pipelinerun,
	 NULL},
	{SL_HOOK_CDEVENTS, "dev.cdevents.incident.*", cdevents_incident, NULL},
	{SL_HOOK_CDEVENTS, NULL, unknown, NULL},

	{SL_HOOK_GENERIC, "deployment", generic_deployment, NULL},
	{SL_HOOK_GENERIC, "release", generic_release, NULL},
	{SL_HOOK_GENERIC, NULL, generic_unknown, NULL},
};

/* Whether a row's event names this one: exactly, or by its prefix when
 * the row's ends in '*'. A row without one takes every event. */
static int matches(const char *row, const char *event)
{
	size_t n;

	if (!row)
		return 1;
	n = strlen(row);
	if (n && row[n - 1] == '*')
		return strncmp(row, event, n - 1) == 0;
	return strcmp(row, event) == 0;
}

enum sl_err sl_hook_translate(enum sl_hook_source s, const char *event,
			      const json_t *body, struct sl_signal *sig,
			      struct sl_error *err)
{
	const json_t *payload = NULL;
	const struct source *src;
	const struct route *row = NULL;
	enum sl_err rc;

	memset(sig, 0, sizeof(*sig));
	if ((unsigned)s >= SL_HOOK__COUNT)
		return sl_error_set(err, SL_EINVAL, "source",
				    "no webhook source %d", (int)s);
	src = &sources[s];
	if (!json_is_object(body))
		return sl_error_set(err, SL_EINVAL, "body",
				    "a %s delivery is a JSON object",
				    src->label);
	TRY(src->open(event && *event ? event : NULL, body, sig, &payload,
		      err));
	for (size_t i = 0; i < COUNT(routes) && !row; i++)
		if (routes[i].source == s &&
		    matches(routes[i].event, sig->event))
			row = &routes[i];
	SL_ASSERT(row != NULL);
	TRY(row->fn(row, payload, sig, err));
	/* A signal that would write something names what it is about. */
	if (sig->kind != SL_SIG_IGNORE && !sig->repo[0])
		rc = sl_error_set(err, SL_EINVAL, src->repo_field,
				  "the payload has no %s", src->repo_field);
out:
	return rc;
}
