/* notify.c - notifications: subscriptions, the outbox, and what the
 * dispatcher sends.
 *
 * A notification is written to the outbox in the transaction of the
 * change that causes it: sl_http_audit_append, which every write goes
 * through, calls sl_h_notify_entry, and core's sl_notify_event_of says
 * whether the change is an event at all. Refusals of the gates write
 * nothing, so their notifications get a transaction of their own
 * (sl_h_notify_refused); freezes starting and ending are found by the
 * dispatcher from the windows (sl_h_notify_freezes). Each row carries an
 * idempotency key that every attempt sends (X-Shiplog-Delivery, the
 * email's Message-ID), so a receiver can drop a repeat after a daemon
 * died between sending and recording. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "cal/windows.h"
#include "core/buf.h"
#include "core/gate.h"
#include "core/validate.h"
#include "core/vocab.h"
#include "http/governance.h"
#include "http/handlers.h"
#include "http/notify.h"

#define NOTIFICATIONS_MAX 500

static const struct sl_field channel_fields[] = {
	{"type", SL_FT_STRING, SL_F_REQUIRED, 1, 16, NULL, NULL,
	 sl_notify_channel_names, "how notifications leave"},
	{"url", SL_FT_STRING, SL_F_REQUIRED, 1, 2048, NULL, NULL, NULL,
	 "webhook and slack: the http(s) URL posted to; email: the SMTP "
	 "server, smtp://host:port or smtps://host:port"},
	{"secret", SL_FT_STRING, 0, 16, 256, NULL, NULL, NULL,
	 "webhook: the HMAC-SHA256 key of X-Shiplog-Signature; never "
	 "answered back"},
	{"from", SL_FT_STRING, 0, 3, 254, NULL, NULL, NULL,
	 "email: the sender address"},
	{"to", SL_FT_STRINGS, 0, 3, 254, NULL, NULL, NULL,
	 "email: the recipients (at most 64)"},
	{0},
};

const struct sl_field sl_subscription_fields[] = {
	{"events", SL_FT_STRINGS, SL_F_REQUIRED, 1, 64, NULL, NULL,
	 sl_notify_event_names, "the events to notify (at least one)"},
	{"environments", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "only events in these environments (default: every one)"},
	{"services", SL_FT_STRINGS, 0, 1, 63, sl_valid_slug, NULL, NULL,
	 "only events about these services (default: every one)"},
	{"teams", SL_FT_STRINGS, 0, 1, 128, NULL, NULL, NULL,
	 "only events about services these teams own, a service's team being "
	 "its owner (default: every one)"},
	{"channel", SL_FT_OBJECT, SL_F_REQUIRED, 0, 0, NULL, channel_fields,
	 NULL, "where notifications go"},
	{0},
};

/* ---- small helpers ---- */

/* The strings of a JSON array, borrowed, in a malloc'ed array (free()). */
static const char **strings(const json_t *arr, size_t *n)
{
	const char **v = sl_xcalloc(json_array_size(arr) + 1, sizeof(*v));
	size_t i, k = 0;
	json_t *s;

	json_array_foreach(arr, i, s) if (json_is_string(s)) v[k++] =
		json_string_value(s);
	*n = k;
	return v;
}

/* A subscription's document as core's filter: the strings borrowed from
 * doc, which the view holds. */
struct view {
	json_t *doc;
	const char **envs, **svcs, **teams;
	struct sl_notify_filter f;
	int64_t created_at;
};

static void view_init(struct view *v, const char *text)
{
	json_t *ev;
	size_t i;

	memset(v, 0, sizeof(*v));
	v->doc = sl_http_doc(text);
	json_array_foreach(json_object_get(v->doc, "events"), i, ev)
	{
		enum sl_notify_event e;

		if (sl_notify_event_parse(json_string_value(ev), &e) == 0)
			v->f.events |= 1u << e;
	}
	v->envs = strings(json_object_get(v->doc, "environments"),
			  &v->f.nenvironments);
	v->svcs = strings(json_object_get(v->doc, "services"), &v->f.nservices);
	v->teams = strings(json_object_get(v->doc, "teams"), &v->f.nteams);
	v->f.environments = v->envs;
	v->f.services = v->svcs;
	v->f.teams = v->teams;
	v->created_at = sl_h_doc_time(v->doc, "created_at");
}

static void view_fini(struct view *v)
{
	free(v->envs);
	free(v->svcs);
	free(v->teams);
	json_decref(v->doc);
}

/* 1 when some subscription asks for an event of the mask. */
static int any_wants(const struct sl_subscriptions *subs, unsigned events)
{
	int yes = 0;

	for (size_t i = 0; i < subs->n && !yes; i++) {
		struct view v;

		view_init(&v, subs->v[i].doc);
		yes = (v.f.events & events) != 0;
		view_fini(&v);
	}
	return yes;
}

/* A fresh idempotency key: "ntf_" and 32 random hex digits. */
static void random_key(char out[40])
{
	unsigned char b[16];

	randombytes_buf(b, sizeof(b));
	memcpy(out, "ntf_", 4);
	sodium_bin2hex(out + 4, 33, b, sizeof(b));
}

/* The team owning service (*team malloc'ed, NULL when it has none or
 * there is no such service). */
static enum sl_err team_of(struct sl_tx *tx, const char *service, char **team,
			   struct sl_error *err)
{
	char *doc = NULL;
	int64_t rev;
	enum sl_err rc;

	*team = NULL;
	if (!service)
		return SL_OK;
	rc = sl_store_service_get(tx, service, &doc, &rev, err);
	if (rc == SL_OK) {
		json_t *s = sl_http_doc(doc);
		const char *owner =
			json_string_value(json_object_get(s, "owner"));

		*team = owner ? sl_xstrdup(owner) : NULL;
		json_decref(s);
	}
	free(doc);
	return rc == SL_ENOTFOUND ? SL_OK : rc;
}

/* What one event says, whoever it goes to. */
struct event {
	struct sl_notify_about about;
	const char *object_type, *object_id;
	const char *summary;
	const json_t *data;
	int64_t at;
	/* Set for events found again and again (refusals, freezes): the key
	 * is "<key_base>:<subscription>", enqueued once. NULL: a random key
	 * (a write happens once). */
	const char *key_base;
	/* Edges found by a sweep go only to subscriptions created before
	 * them. */
	int64_t edge_at;
};

/* The payload every channel is made from (canonical JSON; free()). */
static char *payload(const struct event *ev, const char *key,
		     const char *subscription)
{
	json_t *p = json_pack("{ss ss so ss ss s{ss ss}}", "event",
			      sl_notify_event_name(ev->about.event), "key", key,
			      "at", sl_h_time(ev->at), "subscription",
			      subscription, "summary", ev->summary, "object",
			      "type", ev->object_type, "id", ev->object_id);
	char *text;

	json_object_set_new(p, "environment",
			    ev->about.environment
				    ? json_string(ev->about.environment)
				    : json_null());
	json_object_set_new(p, "service",
			    ev->about.service ? json_string(ev->about.service)
					      : json_null());
	json_object_set(p, "data", ev->data ? (json_t *)ev->data : json_null());
	text = sl_http_canon(p);
	json_decref(p);
	return text;
}

/* One outbox row per subscription that wants ev; *added counts them. A
 * teams filter needs the service's owner, read once when first needed
 * (*team_read). */
static enum sl_err enqueue(struct sl_tx *tx,
			   const struct sl_subscriptions *subs,
			   struct event *ev, size_t *added,
			   struct sl_error *err)
{
	char *team = NULL;
	int team_read = ev->about.team != NULL || ev->about.nteams > 0;
	enum sl_err rc = SL_OK;

	for (size_t i = 0; rc == SL_OK && i < subs->n; i++) {
		struct view v;
		char key[512];
		char *text;
		int one = 0;

		view_init(&v, subs->v[i].doc);
		if (v.f.nteams && !team_read) {
			rc = team_of(tx, ev->about.service, &team, err);
			ev->about.team = team;
			team_read = 1;
		}
		if (rc || !sl_notify_wants(&v.f, &ev->about) ||
		    (ev->edge_at && ev->edge_at < v.created_at)) {
			view_fini(&v);
			continue;
		}
		if (ev->key_base)
			snprintf(key, sizeof(key), "%s:%s", ev->key_base,
				 subs->v[i].name);
		else
			random_key(key);
		text = payload(ev, key, subs->v[i].name);
		rc = sl_store_notification_add(
			tx, key, subs->v[i].name,
			sl_notify_event_name(ev->about.event), text, ev->at,
			&one, err);
		*added += (size_t)one;
		free(text);
		view_fini(&v);
	}
	if (team && ev->about.team == team)
		ev->about.team = NULL;
	free(team);
	return rc;
}

/* ---- the changes every write makes ---- */

/* The deployment status of a stored document, or -1. */
static int status_of(const char *doc)
{
	enum sl_deploy_status s;
	char *v = NULL;
	int out = -1;

	if (doc && sl_http_doc_string(doc, "status", &v) && v &&
	    sl_deploy_status_parse(v, &s) == 0)
		out = (int)s;
	free(v);
	return out;
}

enum sl_err sl_h_notify_entry(struct sl_tx *tx, const struct sl_audit_entry *e,
			      const char *before, const char *after,
			      struct sl_error *err)
{
	struct sl_notify_change c = {e->action, e->object_type, -1, -1};
	struct sl_subscriptions subs = {0};
	struct event ev = {0};
	enum sl_notify_event event;
	const char **svcs = NULL;
	json_t *doc = NULL;
	char what[256], summary[512];
	size_t added = 0;
	enum sl_err rc;

	if (!sl_notify_action_maps(e->action, e->object_type))
		return SL_OK;
	if (strcmp(e->object_type, "deployment") == 0) {
		c.before_status = status_of(before);
		c.after_status = status_of(after);
	}
	if (!sl_notify_event_of(&c, &event))
		return SL_OK;
	rc = sl_store_subscription_all(tx, &subs, err);
	if (rc || !any_wants(&subs, 1u << event))
		goto out;
	doc = sl_http_doc(after ? after : before);
	ev.about.event = event;
	ev.about.environment =
		json_string_value(json_object_get(doc, "environment"));
	ev.about.service = json_string_value(json_object_get(doc, "service"));
	if (event == SL_NEV_INCIDENT_LINKED) {
		svcs = strings(json_object_get(doc, "services"),
			       &ev.about.nservices);
		ev.about.services = svcs;
		if (ev.about.nservices == 0 && ev.about.service) {
			svcs[0] = ev.about.service;
			ev.about.nservices = 1;
		}
		/* The owner of the first: teams of an incident on several
		 * services are those of its first service. */
		if (!ev.about.service && ev.about.nservices)
			ev.about.service = svcs[0];
		snprintf(
			what, sizeof(what), "Incident %s",
			json_string_value(json_object_get(doc, "key"))
				? json_string_value(json_object_get(doc, "key"))
				: e->object_id);
	} else {
		snprintf(what, sizeof(what), "%s %s (deployment %s)",
			 ev.about.service ? ev.about.service : "",
			 json_string_value(json_object_get(doc, "version"))
				 ? json_string_value(
					   json_object_get(doc, "version"))
				 : "",
			 e->object_id);
	}
	sl_notify_summary(event, what, ev.about.environment, summary,
			  sizeof(summary));
	ev.object_type = e->object_type;
	ev.object_id = e->object_id;
	ev.summary = summary;
	ev.data = doc;
	ev.at = e->at;
	rc = enqueue(tx, &subs, &ev, &added, err);
out:
	free(svcs);
	json_decref(doc);
	sl_subscriptions_fini(&subs);
	return rc;
}

/* ---- refusals ---- */

enum sl_err sl_h_notify_refused(struct sl_store *st, int64_t now,
				int64_t rel_id, const char *rel_name,
				const char *service, const char *env,
				const struct sl_gate_check *checks,
				const char *actor, struct sl_error *err)
{
	struct sl_subscriptions subs = {0};
	const char *failed[32];
	size_t nfailed = 0, added = 0;
	struct sl_buf names = {0};
	json_t *data = NULL, *list;
	unsigned events;
	struct sl_tx tx;
	char idb[24];
	enum sl_err rc;

	for (size_t i = 0; i < sl_gate_count() && nfailed < 32; i++)
		if (checks[i].name && !checks[i].passed)
			failed[nfailed++] = checks[i].name;
	events = sl_notify_refusal_events(failed, nfailed);
	rc = sl_store_begin(st, 0, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_subscription_all(&tx, &subs, err);
	sl_store_abort(&tx);
	if (rc || (!actor && !any_wants(&subs, events)))
		goto out;
	if (!any_wants(&subs, events))
		events = 0;
	list = json_array();
	for (size_t i = 0; i < sl_gate_count(); i++)
		if (checks[i].name && !checks[i].passed) {
			json_array_append_new(
				list,
				json_pack("{ss ss}", "name", checks[i].name,
					  "detail", checks[i].detail));
			sl_buf_add_str(&names, names.len ? "," : "");
			sl_buf_add_str(&names, checks[i].name);
		}
	data = json_pack("{ss sI ss ss so}", "release", rel_name, "release_id",
			 (json_int_t)rel_id, "service", service, "environment",
			 env, "checks", list);
	rc = sl_store_begin(st, 1, &tx, err);
	if (rc)
		goto out;
	/* The attempt itself, for the delivery metrics: not an audited
	 * change of the record (nothing in it changed). */
	if (actor)
		rc = sl_store_gate_refusal_add(&tx, now, env, service, rel_id,
					       names.s ? names.s : "", actor,
					       err);
	for (int e = 0; rc == SL_OK && e < SL_NEV__COUNT; e++) {
		struct event ev = {0};
		char base[384], summary[512];

		if (!(events & (1u << e)))
			continue;
		ev.about.event = (enum sl_notify_event)e;
		ev.about.environment = env;
		ev.about.service = service;
		sl_notify_summary(ev.about.event, rel_name, env, summary,
				  sizeof(summary));
		/* Once per release, environment and the checks that
		 * failed: a pipeline asking again and again is told once;
		 * approvals are asked for once per release and
		 * environment. */
		if (e == SL_NEV_APPROVAL_REQUESTED)
			snprintf(base, sizeof(base), "%s:%lld:%s",
				 sl_notify_event_name(ev.about.event),
				 (long long)rel_id, env);
		else
			snprintf(base, sizeof(base), "%s:%lld:%s:%s",
				 sl_notify_event_name(ev.about.event),
				 (long long)rel_id, env,
				 names.s ? names.s : "");
		ev.object_type = "release";
		ev.object_id = sl_h_id(rel_id, idb, sizeof(idb));
		ev.summary = summary;
		ev.data = data;
		ev.at = now;
		ev.key_base = base;
		rc = enqueue(&tx, &subs, &ev, &added, err);
	}
	if (rc == SL_OK && (added || actor))
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
out:
	free(names.s);
	json_decref(data);
	sl_subscriptions_fini(&subs);
	return rc;
}

/* ---- freezes ---- */

/* One edge of a freeze occurrence, to enqueue. */
struct edge {
	enum sl_notify_event event;
	int64_t at, window;
	json_t *doc; /* the window (borrowed) */
	char key[160];
};

enum sl_err sl_h_notify_freezes(struct sl_store *st, int64_t now,
				int64_t lookback_us, size_t *added,
				struct sl_error *err)
{
	unsigned events =
		(1u << SL_NEV_FREEZE_STARTED) | (1u << SL_NEV_FREEZE_ENDED);
	struct sl_subscriptions subs = {0};
	struct sl_docs windows = {0};
	json_t *docs = json_array();
	struct edge *edges = NULL;
	size_t nedges = 0, cap = 0;
	struct sl_tx tx;
	enum sl_err rc;

	*added = 0;
	rc = sl_store_begin(st, 0, &tx, err);
	if (rc)
		goto out;
	rc = sl_store_subscription_all(&tx, &subs, err);
	if (rc == SL_OK && any_wants(&subs, events))
		rc = sl_store_window_list(&tx, &windows, err);
	for (size_t i = 0; rc == SL_OK && i < windows.n; i++) {
		json_t *w = sl_http_doc(windows.v[i].doc);
		enum sl_window_kind kind;
		struct sl_window_spec spec;
		struct sl_occurrence occ[8];
		struct sl_error werr = {0};
		size_t n = 0;

		json_array_append_new(docs, w);
		if (sl_window_kind_parse(
			    json_string_value(json_object_get(w, "kind")),
			    &kind) ||
		    kind != SL_WIN_FREEZE)
			continue;
		sl_window_spec_of(w, &spec);
		/* A window libical cannot expand was refused when it was
		 * made; one that fails now has no edges to tell. */
		if (sl_window_occurrences(&spec, now - lookback_us, now + 1,
					  occ, 8, &n, &werr))
			continue;
		for (size_t k = 0; k < n; k++)
			for (int which = 0; which < 2; which++) {
				int64_t at =
					which ? occ[k].end_us : occ[k].start_us;
				struct edge *g;
				int64_t has = 0;

				if (at <= now - lookback_us || at > now)
					continue;
				if (nedges == cap) {
					cap = cap ? 2 * cap : 8;
					edges = sl_xrealloc(
						edges, cap * sizeof(*edges));
				}
				g = &edges[nedges];
				g->event = which ? SL_NEV_FREEZE_ENDED
						 : SL_NEV_FREEZE_STARTED;
				g->at = at;
				g->window = json_integer_value(
					json_object_get(w, "id"));
				g->doc = w;
				snprintf(g->key, sizeof(g->key),
					 "%s:window:%lld:%lld",
					 sl_notify_event_name(g->event),
					 (long long)g->window, (long long)at);
				/* Already told every subscription there
				 * was then? Asked of the first key only
				 * when nothing changed since: cheap, and
				 * the insert below is once per key
				 * anyway. */
				rc = sl_store_notification_seen(&tx, g->key,
								&has, err);
				if (rc)
					break;
				if (!has)
					nedges++;
			}
	}
	sl_store_abort(&tx);
	if (rc || nedges == 0)
		goto out;
	rc = sl_store_begin(st, 1, &tx, err);
	if (rc)
		goto out;
	for (size_t i = 0; rc == SL_OK && i < nedges; i++) {
		struct edge *g = &edges[i];
		struct event ev = {0};
		const char *name =
			json_string_value(json_object_get(g->doc, "name"));
		char what[256], summary[512], idb[24];

		ev.about.event = g->event;
		ev.about.environment = json_string_value(
			json_object_get(g->doc, "environment"));
		ev.about.every_environment = ev.about.environment == NULL;
		snprintf(what, sizeof(what), "Freeze %s%s%s", name ? "'" : "#",
			 name ? name : sl_h_id(g->window, idb, sizeof(idb)),
			 name ? "'" : "");
		sl_notify_summary(g->event, what, ev.about.environment, summary,
				  sizeof(summary));
		ev.object_type = "window";
		ev.object_id = sl_h_id(g->window, idb, sizeof(idb));
		ev.summary = summary;
		ev.data = g->doc;
		ev.at = g->at;
		ev.key_base = g->key;
		ev.edge_at = g->at;
		rc = enqueue(&tx, &subs, &ev, added, err);
	}
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
out:
	free(edges);
	json_decref(docs);
	sl_docs_fini(&windows);
	sl_subscriptions_fini(&subs);
	return rc;
}

/* ---- subscriptions ---- */

void sl_h_subscription_put(struct sl_req *r)
{
	const char *name = r->params[0];
	json_t *in = r->json, *ch = json_object_get(in, "channel"), *doc = NULL,
	       *out_ch;
	struct sl_notify_channel_spec spec = {0};
	struct sl_error err = {0};
	struct sl_subscription old = {0};
	const char *secret;
	struct sl_tx tx;
	char fp[13], *text = NULL;
	int64_t rev = 0;
	enum sl_err rc;

	if (sl_valid_slug(name, "name", &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (json_array_size(json_object_get(in, "events")) == 0) {
		sl_http_failf(r, SL_EINVAL, "events",
			      "needs at least one event");
		return;
	}
	sl_notify_channel_parse(json_string_value(json_object_get(ch, "type")),
				&spec.type);
	spec.url = json_string_value(json_object_get(ch, "url"));
	spec.secret = json_string_value(json_object_get(ch, "secret"));
	spec.from = json_string_value(json_object_get(ch, "from"));
	spec.nto = json_array_size(json_object_get(ch, "to"));
	if (sl_notify_channel_check(&spec, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	/* The channel's secret is kept apart: the webhook's key, and a
	 * Slack URL, which is itself the credential. */
	secret = spec.type == SL_NCH_WEBHOOK ? spec.secret
		 : spec.type == SL_NCH_SLACK ? spec.url
					     : "";
	out_ch = json_pack("{ss}", "type", sl_notify_channel_name(spec.type));
	if (*secret) {
		sl_h_secret_fingerprint(secret, fp);
		json_object_set_new(out_ch,
				    spec.type == SL_NCH_SLACK
					    ? "url_fingerprint"
					    : "secret_fingerprint",
				    json_string(fp));
	}
	if (spec.type != SL_NCH_SLACK)
		json_object_set_new(out_ch, "url", json_string(spec.url));
	if (spec.type == SL_NCH_EMAIL) {
		json_object_set(out_ch, "from", json_object_get(ch, "from"));
		json_object_set(out_ch, "to", json_object_get(ch, "to"));
	}
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		json_decref(out_ch);
		goto fail;
	}
	rc = sl_store_subscription_get(&tx, name, &old, &err);
	if (rc && rc != SL_ENOTFOUND) {
		json_decref(out_ch);
		goto abort;
	}
	/* The defaults, then what the body gives; the channel as shown. */
	doc = json_pack("{s[] s[] s[]}", "environments", "services", "teams");
	sl_h_merge(doc, in);
	json_object_set_new(doc, "channel", out_ch);
	json_object_set_new(doc, "name", json_string(name));
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
	rc = sl_store_subscription_put(&tx, name, secret, text, r->now, &rev,
				       &err);
	if (rc)
		goto abort;
	sl_http_etag(r, rev);
	sl_h_finish(r, &tx,
		    old.doc ? "subscription.update" : "subscription.create",
		    "subscription", name, old.doc, old.doc ? 200 : 201, text);
	goto out;
abort:
	sl_store_abort(&tx);
fail:
	sl_http_fail(r, &err);
out:
	sl_subscription_fini(&old);
	json_decref(doc);
	free(text);
}

void sl_h_subscription_get(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_subscription s = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);

	if (rc == SL_OK) {
		rc = sl_store_subscription_get(&tx, r->params[0], &s, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
	} else {
		sl_h_reply_doc(r, 200, s.doc, s.revision);
		s.doc = NULL;
	}
	sl_subscription_fini(&s);
}

void sl_h_subscription_list(struct sl_req *r)
{
	sl_h_reply_docs(r, sl_store_subscription_list);
}

void sl_h_subscription_delete(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_subscription old = {0};
	struct sl_tx tx;
	enum sl_err rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);

	if (rc == SL_OK)
		rc = sl_store_subscription_get(&tx, r->params[0], &old, &err);
	if (rc == SL_OK)
		rc = sl_store_subscription_delete(&tx, r->params[0], &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		struct sl_audit_info a = {"subscription.delete", "subscription",
					  r->params[0], old.doc, NULL};

		sl_http_write_finish(r, &tx, &a, 204, NULL);
	}
	sl_subscription_fini(&old);
}

/* ---- the outbox ---- */

static json_t *time_or_null(int64_t us)
{
	return us ? sl_h_time(us) : json_null();
}

/* A notification as answered: its row, and what it says (the payload's
 * summary, environment and service; the payload itself). New
 * reference. */
static json_t *note_doc(const struct sl_notification *n)
{
	json_t *p = sl_http_doc(n->payload);
	json_t *d = json_pack(
		"{sI ss ss ss ss sI so so so so so}", "id", (json_int_t)n->id,
		"key", n->key, "subscription", n->subscription, "event",
		n->event, "status", n->status, "attempts",
		(json_int_t)n->attempts, "next_at",
		strcmp(n->status, "pending") == 0 ? time_or_null(n->next_at)
						  : json_null(),
		"created_at", sl_h_time(n->created_at), "updated_at",
		sl_h_time(n->updated_at), "sent_at", time_or_null(n->sent_at),
		"last_error",
		*n->last_error ? json_string(n->last_error) : json_null());

	json_object_set(d, "summary", json_object_get(p, "summary"));
	json_object_set(d, "environment", json_object_get(p, "environment"));
	json_object_set(d, "service", json_object_get(p, "service"));
	json_object_set_new(d, "payload", p);
	return d;
}

void sl_h_notification_list(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_notifications list = {0};
	struct sl_docs docs = {0};
	const char *status = NULL, *sub = NULL;
	struct sl_tx tx;
	int64_t before = 0;
	int limit = 50;
	enum sl_err rc;

	if (!sl_h_limit(r, &limit) || !sl_h_int_param(r, "cursor", &before) ||
	    !sl_h_text_param(r, "status", &status) ||
	    !sl_h_text_param(r, "subscription", &sub))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_notification_list(&tx, status, sub, before, limit,
						&list, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK && list.n) {
		docs.v = sl_xcalloc(list.n, sizeof(*docs.v));
		docs.n = list.n;
		for (size_t i = 0; i < list.n; i++) {
			json_t *d = note_doc(&list.v[i]);

			docs.v[i].id = list.v[i].id;
			docs.v[i].doc = sl_http_canon(d);
			json_decref(d);
		}
		rc = sl_h_scope_filter(r, &docs, "environment", "service",
				       &err);
	}
	if (rc) {
		sl_http_fail(r, &err);
	} else {
		char next[24];

		sl_http_reply(r, 200,
			      sl_h_list(&docs,
					list.n && list.n == (size_t)limit
						? sl_h_id(list.v[list.n - 1].id,
							  next, sizeof(next))
						: NULL));
	}
	sl_docs_fini(&docs);
	sl_notifications_fini(&list);
}

void sl_h_notification_replay(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_notifications one = {0}, again = {0};
	char *before = NULL, *after = NULL;
	struct sl_tx tx;
	int64_t id = 0;
	enum sl_err rc;

	if (!sl_h_path_id(r, "notification", &id))
		return;
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	rc = sl_store_notification_get(&tx, id, &one, &err);
	if (rc == SL_OK && one.n == 0)
		rc = sl_error_set(&err, SL_ENOTFOUND, NULL,
				  "notification %lld not found", (long long)id);
	if (rc == SL_OK && strcmp(one.v[0].status, "pending") == 0)
		rc = sl_error_set(&err, SL_ECONFLICT, "status",
				  "notification %lld is pending: the "
				  "dispatcher sends it; only a sent or dead "
				  "one is replayed",
				  (long long)id);
	if (rc == SL_OK)
		rc = sl_store_notification_requeue(&tx, id, r->now, &err);
	if (rc == SL_OK)
		rc = sl_store_notification_get(&tx, id, &again, &err);
	if (rc) {
		sl_store_abort(&tx);
		sl_http_fail(r, &err);
	} else {
		json_t *b = note_doc(&one.v[0]), *a = note_doc(&again.v[0]);
		char idb[24];

		before = sl_http_canon(b);
		after = sl_http_canon(a);
		json_decref(b);
		json_decref(a);
		sl_h_finish(r, &tx, "notification.replay", "notification",
			    sl_h_id(id, idb, sizeof(idb)), before, 200, after);
	}
	free(before);
	free(after);
	sl_notifications_fini(&one);
	sl_notifications_fini(&again);
}

/* ---- what the dispatcher sends ---- */

void sl_outgoing_fini(struct sl_outgoing *o)
{
	free(o->url);
	free(o->body);
	for (size_t i = 0; i < sizeof(o->headers) / sizeof(*o->headers); i++)
		free(o->headers[i]);
	free(o->from);
	for (size_t i = 0; o->to && o->to[i]; i++)
		free(o->to[i]);
	free(o->to);
	free(o->error);
	memset(o, 0, sizeof(*o));
}

static char *header(const char *name, const char *value)
{
	size_t n = strlen(name) + strlen(value) + 3;
	char *h = sl_xmalloc(n);

	snprintf(h, n, "%s: %s", name, value);
	return h;
}

/* "sha256=<hex HMAC-SHA256 of body under key>". */
static char *signature(const char *key, const char *body)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	char hex[2 * sizeof(mac) + 1], *out = sl_xmalloc(7 + sizeof(hex));

	crypto_auth_hmacsha256_init(&st, (const unsigned char *)key,
				    strlen(key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)body,
				      strlen(body));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof(hex), mac, sizeof(mac));
	snprintf(out, 7 + sizeof(hex), "sha256=%s", hex);
	return out;
}

/* s with every control character (CR and LF among them) as a space: a
 * header value that cannot start another header. */
static void one_line(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

/* The email: headers (Message-ID from the key, so a repeat is the same
 * message), the summary, and the payload, lines ended by CRLF. */
static char *email(const json_t *p, const json_t *ch, int64_t now)
{
	struct sl_buf b = {0};
	char date[64], *subject, *json;
	const char *key = json_string_value(json_object_get(p, "key"));
	time_t t = (time_t)(now / 1000000);
	struct tm tm;
	size_t i;
	json_t *to;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	subject = sl_xstrdup(json_string_value(json_object_get(p, "summary")));
	one_line(subject);
	sl_buf_add_str(&b, "From: ");
	sl_buf_add_str(&b, json_string_value(json_object_get(ch, "from")));
	sl_buf_add_str(&b, "\r\nTo: ");
	json_array_foreach(json_object_get(ch, "to"), i, to)
	{
		sl_buf_add_str(&b, i ? ", " : "");
		sl_buf_add_str(&b, json_string_value(to));
	}
	sl_buf_add_str(&b, "\r\nSubject: [shiplog] ");
	sl_buf_add_str(&b, subject);
	sl_buf_add_str(&b, "\r\nDate: ");
	sl_buf_add_str(&b, date);
	sl_buf_add_str(&b, "\r\nMessage-ID: <");
	sl_buf_add_str(&b, key);
	sl_buf_add_str(&b, "@shiplog>\r\nX-Shiplog-Delivery: ");
	sl_buf_add_str(&b, key);
	sl_buf_add_str(&b, "\r\nMIME-Version: 1.0\r\nContent-Type: text/plain;"
			   " charset=utf-8\r\n\r\n");
	sl_buf_add_str(&b, subject);
	sl_buf_add_str(&b, "\r\n\r\n");
	json = json_dumps(p, JSON_INDENT(2) | JSON_SORT_KEYS);
	for (char *c = json; c && *c; c++)
		sl_buf_add(&b, *c == '\n' ? "\r\n" : c, *c == '\n' ? 2 : 1);
	sl_buf_add_str(&b, "\r\n");
	free(json);
	free(subject);
	return b.s;
}

/* The Slack-compatible body: the summary as text, and a block with the
 * event's facts. */
static char *slack(const json_t *p)
{
	const char *summary = json_string_value(json_object_get(p, "summary"));
	char facts[512];
	json_t *b;
	char *text;

	snprintf(facts, sizeof(facts), "*%s*\nevent `%s` · key `%s`", summary,
		 json_string_value(json_object_get(p, "event")),
		 json_string_value(json_object_get(p, "key")));
	b = json_pack("{ss s[{ss s{ss ss}}]}", "text", summary, "blocks",
		      "type", "section", "text", "type", "mrkdwn", "text",
		      facts);
	text = sl_http_canon(b);
	json_decref(b);
	return text;
}

/* What to send for notification n of subscription s (NULL: deleted). */
static void outgoing(const struct sl_notification *n,
		     const struct sl_subscription *s, int64_t now,
		     struct sl_outgoing *o)
{
	json_t *doc, *ch, *p;
	size_t i;
	json_t *to;

	memset(o, 0, sizeof(*o));
	o->id = n->id;
	o->attempt = n->attempts + 1;
	if (!s) {
		size_t len = strlen(n->subscription) + 64;

		o->error = sl_xmalloc(len);
		snprintf(o->error, len, "the subscription '%s' was deleted",
			 n->subscription);
		return;
	}
	doc = sl_http_doc(s->doc);
	ch = json_object_get(doc, "channel");
	p = sl_http_doc(n->payload);
	sl_notify_channel_parse(json_string_value(json_object_get(ch, "type")),
				&o->channel);
	switch (o->channel) {
	case SL_NCH_WEBHOOK:
		o->url = sl_xstrdup(
			json_string_value(json_object_get(ch, "url")));
		o->body = sl_xstrdup(n->payload);
		o->headers[0] = header("Content-Type", "application/json");
		o->headers[1] = signature(s->secret, o->body);
		{
			char *sig = o->headers[1];

			o->headers[1] = header("X-Shiplog-Signature", sig);
			free(sig);
		}
		o->headers[2] = header("X-Shiplog-Delivery", n->key);
		break;
	case SL_NCH_SLACK:
		o->url = sl_xstrdup(s->secret);
		o->body = slack(p);
		o->headers[0] = header("Content-Type", "application/json");
		break;
	case SL_NCH_EMAIL:
	default:
		o->url = sl_xstrdup(
			json_string_value(json_object_get(ch, "url")));
		o->from = sl_xstrdup(
			json_string_value(json_object_get(ch, "from")));
		o->to = sl_xcalloc(json_array_size(json_object_get(ch, "to")) +
					   1,
				   sizeof(*o->to));
		json_array_foreach(json_object_get(ch, "to"), i, to) o->to[i] =
			sl_xstrdup(json_string_value(to));
		o->body = email(p, ch, now);
		break;
	}
	json_decref(p);
	json_decref(doc);
}

enum sl_err sl_h_notify_claim(struct sl_store *st, int64_t now,
			      int64_t lease_us, struct sl_outgoing *out,
			      size_t max, size_t *n, struct sl_error *err)
{
	struct sl_notifications due = {0};
	struct sl_tx tx;
	enum sl_err rc;

	*n = 0;
	/* Nothing due is the common case: asked on a read, so an idle
	 * outbox costs no write (and retires no cached answer). */
	rc = sl_store_begin(st, 0, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_notification_due(&tx, now, 1, &due, err);
	sl_store_abort(&tx);
	if (rc || due.n == 0)
		goto out;
	sl_notifications_fini(&due);
	rc = sl_store_begin(st, 1, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_notification_due(&tx, now, (int64_t)max, &due, err);
	for (size_t i = 0; rc == SL_OK && i < due.n; i++) {
		struct sl_subscription s = {0};
		int claimed = 0;
		enum sl_err got;

		rc = sl_store_notification_claim(
			&tx, due.v[i].id, due.v[i].attempts, now + lease_us,
			now, &claimed, err);
		if (rc || !claimed)
			continue;
		got = sl_store_subscription_get(&tx, due.v[i].subscription, &s,
						err);
		if (got && got != SL_ENOTFOUND) {
			rc = got;
			break;
		}
		outgoing(&due.v[i], got ? NULL : &s, now, &out[*n]);
		(*n)++;
		sl_subscription_fini(&s);
	}
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	if (rc) {
		for (size_t i = 0; i < *n; i++)
			sl_outgoing_fini(&out[i]);
		*n = 0;
	}
out:
	sl_notifications_fini(&due);
	return rc;
}

enum sl_err sl_h_notify_record(struct sl_store *st, const struct sl_outgoing *o,
			       const char *error,
			       const struct sl_notify_retry *retry, int64_t now,
			       struct sl_error *err)
{
	enum sl_notify_status status;
	int64_t next_at;
	struct sl_tx tx;
	enum sl_err rc;

	sl_notify_after_attempt(retry, o->attempt, error == NULL, now, &status,
				&next_at);
	rc = sl_store_begin(st, 1, &tx, err);
	if (rc)
		return rc;
	rc = sl_store_notification_record(
		&tx, o->id, sl_notify_status_name(status), next_at, error,
		error ? 0 : now, now, err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	return rc;
}
