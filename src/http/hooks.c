/* hooks.c - inbound webhooks: receivers (configured senders), the route
 * senders deliver to, and the deliveries kept.
 *
 * POST /hooks/{name} is public: the sender proves itself by its own
 * scheme (core/hook.h), checked before anything is read or written; a
 * delivery that fails it gets 401 and is counted by the request metrics,
 * not kept. An authenticated delivery is kept once per sender's delivery
 * id (a redelivery answers what the first one did and writes nothing),
 * translated into a signal (hooksrc.c), matched to a service, an
 * environment, a release and a deployment, planned by the core, and
 * applied in the same transaction as its record and the audit entries
 * of everything it changed. A delivery shiplog does not apply is
 * acknowledged (200) and kept with the reason, so senders do not retry
 * it for ever. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "core/buf.h"
#include "core/hook.h"
#include "core/incident.h"
#include "core/note.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/hooks.h"

#define DELIVERIES_MAX 200

const struct sl_field sl_receiver_fields[] = {
	{"source", SL_FT_STRING, SL_F_REQUIRED, 1, 32, NULL, NULL,
	 sl_hook_source_names, "the sender: how it signs and what it sends"},
	{"secret", SL_FT_STRING, SL_F_REQUIRED, 16, 256, NULL, NULL, NULL,
	 "the shared secret: the HMAC key, or the token the sender presents; "
	 "never answered back"},
	{"services", SL_FT_MAP, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "the sender's repository, project, application or job -> service; "
	 "unnamed ones match the service whose repo URL ends in them"},
	{"environments", SL_FT_MAP, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "the sender's environment name -> environment; unnamed ones match "
	 "as they are"},
	{"events", SL_FT_STRINGS, 0, 1, 128, NULL, NULL, NULL,
	 "the sender's events to take (default: every event shiplog reads); "
	 "others are kept as ignored"},
	{"create_releases", SL_FT_BOOL, 0, 0, 0, NULL, NULL, NULL,
	 "a delivery naming a SemVer tag no release has creates that release "
	 "(default false: kept as unmatched)"},
	{0},
};

/* ---- receivers ---- */

void sl_h_receiver_put(struct sl_req *r)
{
	const char *name = r->params[0];
	json_t *in = r->json, *doc = NULL;
	struct sl_error err = {0};
	struct sl_receiver old = {0};
	struct sl_tx tx;
	char fp[13], url[160], *text = NULL;
	int64_t rev = 0;
	enum sl_err rc;

	if (sl_valid_slug(name, "name", &err)) {
		sl_http_fail(r, &err);
		return;
	}
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc)
		goto fail;
	rc = sl_store_receiver_get(&tx, name, &old, &err);
	if (rc && rc != SL_ENOTFOUND)
		goto abort;
	sl_h_secret_fingerprint(
		json_string_value(json_object_get(in, "secret")), fp);
	snprintf(url, sizeof(url), "/hooks/%s", name);
	/* The defaults, then what the body gives; never the secret. */
	doc = json_pack("{s{} s{} s[] sb}", "services", "environments",
			"events", "create_releases", 0);
	sl_h_merge(doc, in);
	json_object_del(doc, "secret");
	json_object_set_new(doc, "name", json_string(name));
	json_object_set_new(doc, "secret_fingerprint", json_string(fp));
	json_object_set_new(doc, "url", json_string(url));
	{
		json_t *prev = old.doc ? sl_http_doc(old.doc) : NULL;

		json_object_set_new(
			doc, "created_at",
			prev ? json_incref(json_object_get(prev, "created_at"))
			     : sl_h_time(r->now));
		json_decref(prev);
	}
	json_object_set_new(doc, "updated_at", sl_h_time(r->now));
	json_object_set_new(doc, "revision", json_integer(old.revision + 1));
	text = sl_http_canon(doc);
	rc = sl_store_receiver_put(
		&tx, name, json_string_value(json_object_get(in, "source")),
		json_string_value(json_object_get(in, "secret")), text, r->now,
		&rev, &err);
	if (rc)
		goto abort;
	sl_http_etag(r, rev);
	sl_h_finish(r, &tx, old.doc ? "receiver.update" : "receiver.create",
		    "receiver", name, old.doc, old.doc ? 200 : 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
fail:
	sl_http_fail(r, &err);
out:
	sl_receiver_fini(&old);
	json_decref(doc);
	free(text);
}

void sl_h_receiver_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_receiver rec = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK) {
		rc = sl_store_receiver_get(&tx, r->params[0], &rec, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
	} else {
		sl_h_reply_doc(r, 200, rec.doc, rec.revision);
		rec.doc = NULL;
	}
	sl_receiver_fini(&rec);
}

void sl_h_receiver_list(struct sl_req *r)
{
	sl_h_reply_docs(r, sl_store_receiver_list);
}

void sl_h_receiver_delete(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_receiver old = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);

	if (rc == SL_OK)
		rc = sl_store_receiver_get(&tx, r->params[0], &old, &err);
	if (rc == SL_OK)
		rc = sl_store_receiver_delete(&tx, r->params[0], &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		struct sl_audit_info a = {"receiver.delete", "receiver",
					  r->params[0], old.doc, NULL};

		sl_http_write_finish(r, &tx, &a, 204, NULL);
	}
	sl_receiver_fini(&old);
}

/* ---- the sender's proof ---- */

/* 1 when a and b are the same text; in constant time for a given b's
 * length (both are hashed first, so neither length nor content leaks
 * through the comparison). */
static int same_secret(const char *a, size_t alen, const char *b)
{
	unsigned char da[crypto_hash_sha256_BYTES], db[sizeof(da)];

	crypto_hash_sha256(da, (const unsigned char *)a, alen);
	crypto_hash_sha256(db, (const unsigned char *)b, strlen(b));
	return sodium_memcmp(da, db, sizeof(da)) == 0;
}

/* 1 when sig is "sha256=<hex>" of the HMAC-SHA256 of body under key. */
static int hmac_matches(const char *sig, const char *key, const char *body,
			size_t len)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES], got[sizeof(mac)];
	crypto_auth_hmacsha256_state st;
	size_t n = 0;

	if (!sig || strncmp(sig, "sha256=", 7) != 0 ||
	    strlen(sig + 7) != 2 * sizeof(got) ||
	    sodium_hex2bin(got, sizeof(got), sig + 7, 2 * sizeof(got), NULL, &n,
			   NULL) ||
	    n != sizeof(got))
		return 0;
	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
				    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
	crypto_auth_hmacsha256_final(&st, mac);
	return sodium_memcmp(mac, got, sizeof(mac)) == 0;
}

/* 1 when the request carries the receiver's secret as its source's
 * scheme says; else why, in words for the 401. */
static int authentic(struct sl_req *r, const struct sl_hook_scheme *sc,
		     const char *secret, const char **why)
{
	const char *h = sl_http_header(r, sc->auth_header);
	const char *body = r->body ? r->body : "";

	*why = NULL;
	if (!h) {
		*why = "the request has no signature header";
		return 0;
	}
	switch (sc->auth) {
	case SL_HOOK_AUTH_GITHUB:
	case SL_HOOK_AUTH_HMAC:
		if (hmac_matches(h, secret, body, r->body_len))
			return 1;
		break;
	case SL_HOOK_AUTH_TOKEN:
		if (same_secret(h, strlen(h), secret))
			return 1;
		break;
	case SL_HOOK_AUTH_BEARER:
		if (strncmp(h, "Bearer ", 7) == 0 &&
		    same_secret(h + 7, strlen(h + 7), secret))
			return 1;
		break;
	case SL_HOOK_AUTH_BASIC: {
		unsigned char dec[512];
		long n = strncmp(h, "Basic ", 6) == 0
				 ? sl_base64_decode(h + 6, strlen(h + 6), dec,
						    sizeof(dec) - 1)
				 : -1;
		const char *colon = n > 0 ? memchr(dec, ':', (size_t)n) : NULL;

		if (colon &&
		    same_secret(colon + 1,
				(size_t)n - (size_t)(colon + 1 - (char *)dec),
				secret))
			return 1;
		break;
	}
	}
	*why = "the signature does not match the receiver's secret";
	return 0;
}

/* ---- matching a signal to the record ---- */

/* Whether a repo URL names the repository path ("Octo/App"): its path
 * ends in it, with or without ".git" or a final "/", letters compared
 * without case, as the hosts do. */
static int url_names(const char *url, const char *path)
{
	size_t n = strlen(url), m = strlen(path);

	while (n && url[n - 1] == '/')
		n--;
	if (n > 4 && strncmp(url + n - 4, ".git", 4) == 0)
		n -= 4;
	return m && n > m && url[n - m - 1] == '/' &&
	       strncasecmp(url + n - m, path, m) == 0;
}

/* The service the signal's repo maps to (*out, malloc'ed), or NULL. */
static enum sl_err find_service(struct sl_tx *tx, const json_t *rdoc,
				const char *repo, char **out,
				struct sl_error *err)
{
	const char *named = json_string_value(
		json_object_get(json_object_get(rdoc, "services"), repo));
	struct sl_docs c = {0};
	char *doc = NULL;
	int64_t rev;
	enum sl_err rc;

	*out = NULL;
	if (!named && strncmp(repo, "service:", 8) == 0)
		named = repo + 8;
	if (named) {
		rc = sl_store_service_get(tx, named, &doc, &rev, err);
		free(doc);
		if (rc == SL_OK)
			*out = sl_xstrdup(named);
		return rc == SL_ENOTFOUND ? SL_OK : rc;
	}
	if (!*repo)
		return SL_OK;
	rc = sl_store_service_by_repo(tx, repo, &c, err);
	for (size_t i = 0; rc == SL_OK && i < c.n && !*out; i++) {
		json_t *s = sl_http_doc(c.v[i].doc);
		const char *url = json_string_value(json_object_get(s, "repo"));

		if (url && url_names(url, repo))
			*out = sl_xstrdup(c.v[i].name);
		json_decref(s);
	}
	sl_docs_fini(&c);
	return rc;
}

/* Whether commit a names commit b: equal, or one the other's prefix of at
 * least seven characters, without case. */
static int same_commit(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), k = n < m ? n : m;

	return k >= 7 && strncasecmp(a, b, k) == 0;
}

/* The release of service the signal's commit or tag names (0: none):
 * its git tag or commit, else the version the tag spells. */
static enum sl_err find_release(struct sl_tx *tx, const char *service,
				const struct sl_signal *sig, int64_t *id,
				struct sl_error *err)
{
	struct sl_docs c = {0};
	char version[64], ref[256];
	enum sl_err rc;

	*id = 0;
	if (!sig->sha[0] && !sig->tag[0])
		return SL_OK;
	rc = sl_store_release_by_ref(tx, service, sig->sha, sig->tag, &c, err);
	for (size_t i = 0; rc == SL_OK && i < c.n && !*id; i++) {
		json_t *d = sl_http_doc(c.v[i].doc);
		const char *tag =
			json_string_value(json_object_get(d, "git_tag"));
		const char *commit =
			json_string_value(json_object_get(d, "commit"));

		if ((sig->tag[0] && tag && strcmp(tag, sig->tag) == 0) ||
		    (sig->sha[0] && commit && same_commit(commit, sig->sha)))
			*id = c.v[i].id;
		json_decref(d);
	}
	sl_docs_fini(&c);
	if (rc || *id ||
	    sl_hook_tag_version(sig->tag, version, sizeof(version)))
		return rc;
	snprintf(ref, sizeof(ref), "%s@%s", service, version);
	rc = sl_h_release_ref(tx, ref, "release", id, err);
	if (rc == SL_ENOTFOUND || rc == SL_EMALFORMED) {
		*id = 0;
		rc = SL_OK;
	}
	return rc;
}

/* The facts the plan needs; strings owned by the caller's buffers. */
struct found {
	char *service;
	char environment[128];
	int64_t release_id, deployment_id;
	enum sl_deploy_status deployment_status;
};

static enum sl_err gather(struct sl_tx *tx, const char *receiver,
			  const json_t *rdoc, const struct sl_signal *sig,
			  struct found *f, struct sl_error *err)
{
	enum sl_err rc = find_service(tx, rdoc, sig->repo, &f->service, err);

	if (rc == SL_OK &&
	    (sig->kind == SL_SIG_DEPLOYMENT || sig->kind == SL_SIG_INCIDENT) &&
	    sig->environment[0]) {
		const char *mapped = json_string_value(
			json_object_get(json_object_get(rdoc, "environments"),
					sig->environment));
		char *doc = NULL;
		int64_t rev;

		snprintf(f->environment, sizeof(f->environment), "%s",
			 mapped ? mapped : sig->environment);
		rc = sl_store_environment_get(tx, f->environment, &doc, &rev,
					      err);
		free(doc);
		if (rc == SL_ENOTFOUND) {
			f->environment[0] = '\0';
			rc = SL_OK;
		}
	}
	if (rc == SL_OK && sig->kind == SL_SIG_DEPLOYMENT &&
	    sig->external_id[0]) {
		rc = sl_store_hook_link_get(tx, receiver, sig->external_id,
					    &f->deployment_id, err);
		if (rc == SL_OK) {
			char *doc = NULL;
			int64_t rev;

			rc = sl_store_deployment_get(tx, f->deployment_id, &doc,
						     &rev, err);
			if (rc == SL_OK) {
				json_t *d = sl_http_doc(doc);

				sl_deploy_status_parse(
					json_string_value(
						json_object_get(d, "status")),
					&f->deployment_status);
				json_decref(d);
			}
			free(doc);
		} else if (rc == SL_ENOTFOUND) {
			f->deployment_id = 0;
			rc = SL_OK;
		}
	}
	if (rc == SL_OK && f->service && !f->deployment_id)
		rc = find_release(tx, f->service, sig, &f->release_id, err);
	return rc;
}

/* ---- applying a plan ---- */

/* What a delivery did, for its record. */
struct done {
	int64_t release_id, deployment_id;
	const char *moved_to;
	char incident[64]; /* the incident an alert opened or resolved */
};

static enum sl_err audit_release(struct sl_req *r, struct sl_tx *tx,
				 const json_t *doc, struct sl_error *err)
{
	char idb[24], *text = sl_http_canon(doc);
	int64_t seq;
	struct sl_audit_entry a = {
		.at = r->now,
		.actor = r->actor.name,
		.action = "release.create",
		.object_type = "release",
		.object_id =
			sl_h_id(json_integer_value(json_object_get(doc, "id")),
				idb, sizeof(idb)),
		.request_id = r->request_id,
	};
	enum sl_err rc = sl_http_audit_append(tx, &a, NULL, text, &seq, err);

	free(text);
	return rc;
}

static enum sl_err apply(struct sl_req *r, struct sl_tx *tx,
			 const char *receiver, const struct sl_signal *sig,
			 const struct found *f, const struct sl_hook_plan *p,
			 struct done *d, struct sl_error *err)
{
	json_t *rel = NULL;
	int64_t dep = f->deployment_id;
	enum sl_err rc = SL_OK;

	d->release_id = f->release_id;
	for (size_t i = 0; rc == SL_OK && i < p->nsteps; i++) {
		enum sl_deploy_status st = p->steps[i].status;

		switch (p->steps[i].step) {
		case SL_STEP_NONE:
			break;
		case SL_STEP_CREATE_RELEASE: {
			json_t *in = json_pack("{ss ss ss}", "service",
					       f->service, "version",
					       p->version, "git_tag", sig->tag);

			if (sig->sha[0] &&
			    sl_valid_commit(sig->sha, "commit", NULL) == 0)
				json_object_set_new(in, "commit",
						    json_string(sig->sha));
			rc = sl_h_release_insert(r, tx, in, &rel, err);
			json_decref(in);
			if (rc == SL_OK)
				rc = audit_release(r, tx, rel, err);
			if (rc == SL_OK)
				d->release_id = json_integer_value(
					json_object_get(rel, "id"));
			break;
		}
		case SL_STEP_CREATE_DEPLOYMENT: {
			if (!rel) {
				char *text = NULL;
				int64_t rev;

				rc = sl_store_release_get(tx, d->release_id,
							  &text, &rev, err);
				rel = rc == SL_OK ? sl_http_doc(text) : NULL;
				free(text);
			}
			if (rc == SL_OK)
				rc = sl_h_deploy_record(r, tx, rel,
							f->environment, st,
							sig->url, &dep, err);
			if (rc == SL_OK && sig->external_id[0])
				rc = sl_store_hook_link_put(tx, receiver,
							    sig->external_id,
							    dep, err);
			d->deployment_id = dep;
			break;
		}
		case SL_STEP_MOVE_DEPLOYMENT:
			rc = sl_h_deploy_report(r, tx, dep, &st,
						sig->message[0] ? sig->message
								: NULL,
						sig->at, err);
			d->deployment_id = dep;
			d->moved_to = sl_deploy_status_name(st);
			break;
		case SL_STEP_NOTE_DEPLOYMENT:
			if (sig->message[0])
				rc = sl_h_deploy_report(r, tx, dep, NULL,
							sig->message, sig->at,
							err);
			d->deployment_id = dep;
			break;
		}
	}
	json_decref(rel);
	return rc;
}

/* An alert: its group's incident, in the mapped service and
 * environment, created, resolved or reopened (sl_incident_alert_step).
 * Without a mapped service or environment it is kept as unmatched. */
static enum sl_err apply_incident(struct sl_req *r, struct sl_tx *tx,
				  const char *receiver, const char *source,
				  const struct sl_signal *sig,
				  const struct found *f, struct sl_hook_plan *p,
				  struct done *d, struct sl_error *err)
{
	struct sl_incident_alert a = {
		.receiver = receiver,
		.firing = !sig->resolved,
		.severity = sl_incident_severity_from_label(
			sig->severity[0] ? sig->severity : NULL),
		.environment = f->environment,
		.service = f->service,
		.summary = sig->message,
		.url = sig->url,
		.started_at = sig->at > 0 ? sig->at : r->now,
		.ended_at = sig->ended_at > 0 ? sig->ended_at : r->now,
	};
	struct sl_buf name = {0};
	enum sl_err rc;

	p->outcome = "unmatched";
	if (!f->service) {
		snprintf(p->reason, sizeof(p->reason),
			 "no service for '%s': name it in the receiver's "
			 "services, or label the alerts with a service's name",
			 sig->repo);
		return SL_OK;
	}
	if (!f->environment[0]) {
		if (sig->environment[0])
			snprintf(p->reason, sizeof(p->reason),
				 "no environment for '%s': name it in the "
				 "receiver's environments",
				 sig->environment);
		else
			snprintf(p->reason, sizeof(p->reason),
				 "the delivery names no environment (an "
				 "alert's env, environment or cluster label): "
				 "add one to name the incident's environment");
		return SL_OK;
	}
	/* An alert may end before it began by the sender's clock: it is
	 * taken as ending when it began. */
	if (a.ended_at < a.started_at)
		a.ended_at = a.started_at;
	sl_buf_add_str(&name, receiver);
	sl_buf_add_str(&name, "\n");
	sl_buf_add_str(&name, sig->external_id);
	sl_incident_key_from(source, name.s, a.key, sizeof(a.key));
	free(name.s);
	p->reason[0] = '\0';
	rc = sl_h_incident_alert(r, tx, &a, &p->outcome, p->reason,
				 sizeof(p->reason), err);
	if (rc == SL_OK)
		snprintf(d->incident, sizeof(d->incident), "%s", a.key);
	return rc;
}

/* ---- deliveries ---- */

/* The delivery's document: what it was and what came of it. */
static json_t *delivery_doc(int64_t id, const char *receiver,
			    const char *delivery_id, int64_t at,
			    const char *event, const char *outcome,
			    const char *reason, const struct done *d,
			    int64_t replay_of)
{
	json_t *doc = json_pack(
		"{sI ss ss so ss ss ss? so so so}", "id", (json_int_t)id,
		"receiver", receiver, "delivery_id", delivery_id, "at",
		sl_h_time(at), "event", event ? event : "", "outcome", outcome,
		"reason", reason && *reason ? reason : NULL, "release",
		d && d->release_id ? json_integer(d->release_id) : json_null(),
		"deployment",
		d && d->deployment_id ? json_integer(d->deployment_id)
				      : json_null(),
		"replay_of", replay_of ? json_integer(replay_of) : json_null());

	if (d && d->moved_to)
		json_object_set_new(doc, "status", json_string(d->moved_to));
	if (d && d->incident[0])
		json_object_set_new(doc, "incident", json_string(d->incident));
	return doc;
}

/* Takes one authenticated delivery of rec inside the write tx and ends
 * the request. delivery_id NULL: the body's own, or its digest. */
static void deliver(struct sl_req *r, struct sl_tx *tx,
		    const struct sl_receiver *rec, const char *delivery_id,
		    const char *event, const char *body, size_t len,
		    int64_t replay_of)
{
	struct sl_error err = {0};
	struct sl_signal sig;
	struct sl_hook_plan plan = {0};
	struct found f = {0};
	struct done d = {0};
	enum sl_hook_source src = SL_HOOK_GENERIC;
	json_t *rdoc = sl_http_doc(rec->doc), *in = NULL, *doc = NULL;
	json_error_t jerr;
	char digest[2 * crypto_hash_sha256_BYTES + 1], idb[24], *text = NULL;
	const char *outcome, *reason;
	int64_t id = 0;
	enum sl_err rc = SL_OK;

	memset(&sig, 0, sizeof(sig));
	sl_hook_source_parse(rec->source, &src);
	in = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!in && src == SL_HOOK_GENERIC) {
		sl_error_set(&err, SL_EMALFORMED, "body",
			     "the body is not JSON: %s (line %d, column %d)",
			     jerr.text, jerr.line, jerr.column);
		goto abort;
	} else if (!in) {
		plan.outcome = "failed";
		snprintf(plan.reason, sizeof(plan.reason),
			 "the body is not JSON: %s (line %d, column %d)",
			 jerr.text, jerr.line, jerr.column);
	} else if (sl_hook_translate(src, event, in, &sig, &err)) {
		if (src == SL_HOOK_GENERIC) {
			/* shiplog's own format: the caller wrote it, and
			 * hears what is wrong, as from any API route. */
			goto abort;
		}
		plan.outcome = "failed";
		snprintf(plan.reason, sizeof(plan.reason), "%s%s%s",
			 err.field[0] ? err.field : "",
			 err.field[0] ? ": " : "", err.message);
		memset(&err, 0, sizeof(err));
	}
	if (!delivery_id && sig.delivery_id[0])
		delivery_id = sig.delivery_id;
	if (!delivery_id) {
		unsigned char h[crypto_hash_sha256_BYTES];

		crypto_hash_sha256(h, (const unsigned char *)body, len);
		sodium_bin2hex(digest, sizeof(digest), h, sizeof(h));
		delivery_id = digest;
	}
	if (!replay_of) {
		struct sl_deliveries seen = {0};

		rc = sl_store_delivery_find(tx, rec->name, delivery_id, &seen,
					    &err);
		if (rc == SL_OK && seen.n) {
			/* A redelivery: the first answer, nothing new. */
			json_t *first = sl_http_doc(seen.v[0].doc);

			json_object_set_new(first, "redelivered", json_true());
			sl_store_abort(tx);
			sl_http_reply(r, 200, sl_http_canon(first));
			json_decref(first);
			sl_deliveries_fini(&seen);
			goto out;
		}
		sl_deliveries_fini(&seen);
		if (rc)
			goto abort;
	}
	if (!plan.outcome) {
		json_t *events = json_object_get(rdoc, "events");
		int listed = !json_array_size(events);
		size_t i;
		json_t *e;

		/* An empty list takes every event. */
		json_array_foreach(events, i, e)
		{
			if (strcmp(json_string_value(e), sig.event) == 0)
				listed = 1;
		}
		if (!listed)
			sl_signal_ignore(&sig,
					 "the receiver takes only the events "
					 "it lists, not %s",
					 sig.event);
		rc = gather(tx, rec->name, rdoc, &sig, &f, &err);
		if (rc)
			goto abort;
		{
			struct sl_hook_facts facts = {
				.service = f.service,
				.environment =
					f.environment[0] ? f.environment : NULL,
				.release_id = f.release_id,
				.deployment_id = f.deployment_id,
				.deployment_status = f.deployment_status,
				.create_releases = json_is_true(json_object_get(
					rdoc, "create_releases")),
			};

			if (sig.kind != SL_SIG_INCIDENT)
				sl_hook_plan(&sig, &facts, &plan);
		}
		rc = sig.kind == SL_SIG_INCIDENT
			     ? apply_incident(r, tx, rec->name, rec->source,
					      &sig, &f, &plan, &d, &err)
			     : apply(r, tx, rec->name, &sig, &f, &plan, &d,
				     &err);
		if (rc == SL_EINVAL || rc == SL_ECONFLICT) {
			/* The record refused what the sender said (a
			 * release the service's type rule refuses): the
			 * delivery is kept as failed, with the reason,
			 * and nothing else is written. */
			char object[96];

			sl_store_abort(tx);
			snprintf(object, sizeof(object), "receiver:%s",
				 rec->name);
			rc = sl_store_begin_on(sl_http_store(r), object, tx,
					       &err);
			if (rc)
				goto fail;
			plan.outcome = "failed";
			snprintf(plan.reason, sizeof(plan.reason), "%s",
				 err.message);
			memset(&err, 0, sizeof(err));
			memset(&d, 0, sizeof(d));
		} else if (rc) {
			goto abort;
		}
	}
	outcome = plan.outcome;
	reason = plan.reason;
	rc = sl_store_delivery_insert(tx, rec->name, delivery_id, r->now, body,
				      &id, &err);
	if (rc)
		goto abort;
	doc = delivery_doc(id, rec->name, delivery_id, r->now, sig.event,
			   outcome, reason, &d, replay_of);
	text = sl_http_canon(doc);
	rc = sl_store_delivery_set_doc(tx, id, text, &err);
	if (rc)
		goto abort;
	{
		struct sl_audit_info a = {"delivery.receive", "delivery",
					  sl_h_id(id, idb, sizeof(idb)), NULL,
					  text};

		sl_http_write_finish(r, tx, &a, 200, sl_xstrdup(text));
	}
	goto out;
abort:
	sl_store_abort(tx);
fail:
	sl_http_fail(r, &err);
out:
	json_decref(rdoc);
	json_decref(in);
	json_decref(doc);
	free(f.service);
	free(text);
}

/* The actor a receiver's writes are recorded under. */
static void act_as(struct sl_req *r, const char *name)
{
	size_t n = strlen(name) + 16;

	free(r->actor.name);
	r->actor.name = sl_xmalloc(n);
	snprintf(r->actor.name, n, "receiver:%s", name);
}

void sl_h_hook(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_receiver rec = {0};
	struct sl_tx tx;
	enum sl_hook_source src;
	const struct sl_hook_scheme *sc;
	const char *why, *delivery_id, *event;
	char key[128];
	char object[96];
	enum sl_err rc;

	/* A receiver's deliveries take turns: GitHub sends a deployment and
	 * its first status at once, and the second must find the
	 * deployment the first created, not make another. */
	snprintf(object, sizeof(object), "receiver:%s", r->params[0]);
	rc = sl_store_begin_on(sl_http_store(r), object, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_receiver_get(&tx, r->params[0], &rec, &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	if (sl_hook_source_parse(rec.source, &src)) {
		sl_store_abort(&tx);
		sl_http_failf(r, SL_EINTERNAL, NULL,
			      "receiver '%s' names no source shiplog reads",
			      rec.name);
		goto out;
	}
	sc = sl_hook_scheme(src);
	if (!authentic(r, sc, rec.secret, &why)) {
		sl_store_abort(&tx);
		sl_http_failf(r, SL_EAUTH, sc->auth_header, "%s (%s)", why,
			      sc->auth_header);
		goto out;
	}
	if (r->body_len && !sl_valid_utf8(r->body, r->body_len)) {
		sl_store_abort(&tx);
		sl_http_failf(r, SL_EMALFORMED, "body",
			      "the body is not UTF-8 text");
		goto out;
	}
	act_as(r, rec.name);
	delivery_id = sc->delivery_header
			      ? sl_http_header(r, sc->delivery_header)
			      : NULL;
	if (delivery_id && (!*delivery_id || strlen(delivery_id) > 200))
		delivery_id = NULL;
	if (delivery_id && sc->scope_header) {
		sl_hook_delivery_key(sl_http_header(r, sc->scope_header),
				     delivery_id, key, sizeof(key));
		delivery_id = key;
	}
	event = sc->event_header ? sl_http_header(r, sc->event_header) : NULL;
	deliver(r, &tx, &rec, delivery_id, event, r->body ? r->body : "",
		r->body_len, 0);
out:
	sl_receiver_fini(&rec);
}

void sl_h_delivery_list(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_receiver rec = {0};
	struct sl_deliveries list = {0};
	struct sl_tx tx;
	int64_t before = 0;
	int limit = 50;
	enum sl_err rc;

	if (!sl_h_limit(r, &limit) || !sl_h_int_param(r, "cursor", &before))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_receiver_get(&tx, r->params[0], &rec, &err);
	if (rc == SL_OK)
		rc = sl_store_delivery_list(&tx, r->params[0], before, limit,
					    &list, &err);
	if (tx.conn)
		sl_store_abort(&tx);
	if (rc) {
		sl_http_fail(r, &err);
	} else {
		json_t *items = json_array(), *page;
		char next[24];

		for (size_t i = 0; i < list.n; i++)
			json_array_append_new(items,
					      sl_http_doc(list.v[i].doc));
		page = json_object();
		json_object_set_new(page, "items", items);
		json_object_set_new(
			page, "next_cursor",
			list.n == (size_t)limit
				? json_string(sl_h_id(list.v[list.n - 1].id,
						      next, sizeof(next)))
				: json_null());
		sl_http_reply(r, 200, sl_http_canon(page));
		json_decref(page);
	}
	sl_deliveries_fini(&list);
	sl_receiver_fini(&rec);
}

void sl_h_delivery_replay(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_receiver rec = {0};
	struct sl_deliveries one = {0};
	struct sl_tx tx;
	int64_t id = 0;
	char fresh[96];
	enum sl_err rc;

	if (sl_decimal_parse(r->params[1], &id) || id < 1) {
		sl_http_failf(r, SL_EMALFORMED, "id",
			      "the delivery id '%s' is not an id",
			      r->params[1]);
		return;
	}
	snprintf(fresh, sizeof(fresh), "receiver:%s", r->params[0]);
	rc = sl_store_begin_on(sl_http_store(r), fresh, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_receiver_get(&tx, r->params[0], &rec, &err);
	if (rc == SL_OK)
		rc = sl_store_delivery_get(&tx, r->params[0], id, &one, &err);
	if (rc == SL_OK && one.n == 0)
		rc = sl_error_set(&err, SL_ENOTFOUND, NULL,
				  "delivery %lld of receiver '%s' not found",
				  (long long)id, r->params[0]);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
		goto out;
	}
	{
		/* The replay is a delivery of its own (its id says which
		 * and when), taken by the receiver's rules as they are now;
		 * its signature was checked when it first came. */
		json_t *first = sl_http_doc(one.v[0].doc);
		const char *event =
			json_string_value(json_object_get(first, "event"));
		char *ev = sl_xstrdup(event && *event ? event : "");

		json_decref(first);
		snprintf(fresh, sizeof(fresh), "replay:%lld:%lld",
			 (long long)id, (long long)r->now);
		deliver(r, &tx, &rec, fresh, *ev ? ev : NULL, one.v[0].body,
			strlen(one.v[0].body), id);
		free(ev);
	}
out:
	sl_deliveries_fini(&one);
	sl_receiver_fini(&rec);
}
