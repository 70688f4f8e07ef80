/* session.c - the dashboard's sign-in. A person gives a token once
 * (POST /v1/session); the daemon opens a session for it and sets a cookie
 * holding the session's secret: HttpOnly (no script reads it), SameSite=
 * Strict (no other site's page sends it), Secure behind TLS. The session
 * is the token: same role, scope and grants, and it ends when the token
 * is revoked or expires, or sooner. A write made with the cookie must also
 * carry the header X-CSRF-Token, a value derived from the secret that the
 * page reads from POST or GET /v1/session; a page of another origin can
 * neither read it nor set that header without the daemon's consent. */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/perm.h"
#include "http/handlers.h"
#include "http/internal.h"

#define COOKIE	     "shiplog_session"
#define SESSION_SECS (12 * 3600)
#define CSRF_HEADER  "X-CSRF-Token"

const struct sl_field sl_session_fields[] = {
	{"token", SL_FT_STRING, SL_F_REQUIRED, 1, 128, NULL, NULL, NULL,
	 "the token to sign in with"},
	{0},
};

const char *sl_http_session_cookie(struct sl_req *r)
{
	const char *v =
		MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, COOKIE);

	return v && *v ? v : NULL;
}

/* The CSRF token of a session: a digest of its secret under a label of
 * its own, so it differs from the digest the store keeps. */
static void csrf_of(const char *secret, char *out)
{
	char label[128];

	snprintf(label, sizeof(label), "shiplog-csrf:%s", secret);
	sl_token_hash(label, out);
	sodium_memzero(label, sizeof(label));
}

static int safe_method(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
}

int sl_http_authenticate_session(struct sl_req *r)
{
	const char *secret = sl_http_session_cookie(r);
	char hash[SL_TOKEN_HASH_HEX];
	struct sl_session s;
	struct sl_tokens t = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc;

	if (strlen(secret) > 100) {
		sl_http_failf(r, SL_EAUTH, NULL,
			      "the session is unknown, closed or expired; "
			      "sign in again");
		return 0;
	}
	sl_token_hash(secret, hash);
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_session_find(&tx, hash, r->now, &s, &t, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_OK && sodium_memcmp(s.hash, hash, strlen(hash)) != 0)
		rc = SL_ENOTFOUND;
	if (rc == SL_ENOTFOUND) {
		sl_tokens_fini(&t);
		sl_http_failf(r, SL_EAUTH, NULL,
			      "the session is unknown, closed or expired; "
			      "sign in again");
		return 0;
	}
	if (rc) {
		sl_tokens_fini(&t);
		sl_http_fail(r, &err);
		return 0;
	}
	sl_http_actor_take(r, &t.v[0]);
	sl_tokens_fini(&t);
	r->session_id = s.id;
	r->session_expires = s.expires_at;
	csrf_of(secret, r->csrf);
	if (!safe_method(r->method)) {
		const char *got = sl_http_header(r, CSRF_HEADER);

		if (!got || strlen(got) != strlen(r->csrf) ||
		    sodium_memcmp(got, r->csrf, strlen(r->csrf)) != 0) {
			sl_http_failf(r, SL_EFORBIDDEN, CSRF_HEADER,
				      "a write signed in by the session cookie "
				      "needs the header " CSRF_HEADER
				      " with the session's csrf_token");
			return 0;
		}
	}
	return 1;
}

/* What the page needs to know of who is signed in: the token, when the
 * session ends, the CSRF token, and what the role may do (the server
 * still decides every request; the page hides what would be refused). */
static json_t *session_doc(struct sl_req *r)
{
	json_t *may = json_object();
	enum sl_role role;
	int known = sl_role_parse(r->actor.role, &role) == 0;

	for (int a = 0; a < SL_ACT__COUNT; a++)
		json_object_set_new(
			may, sl_action_name((enum sl_action)a),
			json_boolean(known &&
				     sl_role_allows(role, (enum sl_action)a)));
	return json_pack(
		"{s{ss ss so} so so so}", "actor", "name", r->actor.name,
		"role", r->actor.role, "scope",
		r->actor.scope ? sl_http_doc(r->actor.scope) : json_object(),
		"expires_at",
		r->session_id ? sl_h_time(r->session_expires) : json_null(),
		"csrf_token",
		r->session_id ? json_string(r->csrf) : json_null(),
		"permissions", may);
}

static void set_cookie(struct sl_req *r, const char *value, int64_t max_age)
{
	const char *proto = sl_http_header(r, "X-Forwarded-Proto");
	char buf[256];

	snprintf(buf, sizeof(buf),
		 COOKIE
		 "=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld%s",
		 value, (long long)max_age,
		 proto && strcasecmp(proto, "https") == 0 ? "; Secure" : "");
	free(r->set_cookie);
	r->set_cookie = sl_xstrdup(buf);
}

void sl_h_session_create(struct sl_req *r)
{
	const char *token =
		json_string_value(json_object_get(r->json, "token"));
	char secret[80], hash[SL_TOKEN_HASH_HEX], idb[24], *after;
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t id = 0, expires = r->now + (int64_t)SESSION_SECS * 1000000;
	enum sl_err rc;

	if (!sl_http_authenticate_secret(r, token))
		return;
	/* A session never outlives its token. */
	if (r->actor.expires_at && r->actor.expires_at < expires)
		expires = r->actor.expires_at;
	sl_token_generate(secret, sizeof(secret));
	sl_token_hash(secret, hash);
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_session_insert(&tx, hash, r->actor.id, r->now,
					     expires, &id, &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sodium_memzero(secret, sizeof(secret));
		sl_http_fail(r, &err);
		return;
	}
	r->session_id = id;
	r->session_expires = expires;
	csrf_of(secret, r->csrf);
	set_cookie(r, secret, (expires - r->now) / 1000000);
	sodium_memzero(secret, sizeof(secret));
	/* The entry names the session and its token, never its secret. */
	{
		json_t *pub = json_pack("{sI ss so so}", "id", (json_int_t)id,
					"token", r->actor.name, "created_at",
					sl_h_time(r->now), "expires_at",
					sl_h_time(expires));
		struct sl_audit_info a = {"session.create", "session",
					  sl_h_id(id, idb, sizeof(idb)), NULL,
					  NULL};

		after = sl_http_canon(pub);
		a.after = after;
		json_decref(pub);
		json_t *doc = session_doc(r);

		sl_http_write_finish(r, &tx, &a, 201, sl_http_canon(doc));
		json_decref(doc);
		free(after);
	}
}

void sl_h_session_get(struct sl_req *r)
{
	r->cache_control = "no-store";
	sl_http_reply_json(r, 200, session_doc(r));
}

void sl_h_session_delete(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char idb[24];
	enum sl_err rc;

	if (!r->session_id) {
		sl_http_failf(r, SL_EINVAL, NULL,
			      "this request was not signed in by a session "
			      "cookie; a token is revoked with DELETE "
			      "/v1/tokens/{id}");
		return;
	}
	rc = sl_store_begin(sl_http_store(r), 1, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_session_revoke(&tx, r->session_id, r->now, &err);
	if (rc) {
		if (tx.conn)
			sl_store_abort(&tx);
		sl_http_fail(r, &err);
		return;
	}
	set_cookie(r, "", 0);
	{
		json_t *was =
			json_pack("{sI ss sn}", "id", (json_int_t)r->session_id,
				  "token", r->actor.name, "revoked_at");
		json_t *now = json_pack(
			"{sI ss so}", "id", (json_int_t)r->session_id, "token",
			r->actor.name, "revoked_at", sl_h_time(r->now));
		char *before = sl_http_canon(was), *after = sl_http_canon(now);
		struct sl_audit_info a = {
			"session.delete", "session",
			sl_h_id(r->session_id, idb, sizeof(idb)), before,
			after};

		sl_http_write_finish(r, &tx, &a, 204, sl_xstrdup(""));
		if (r->status == 204)
			sl_stream_end_session(r->session_id);
		json_decref(was);
		json_decref(now);
		free(before);
		free(after);
	}
}
