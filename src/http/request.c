/* request.c - what a request brings: its token (authentication, with a
 * per-connection memo of the last digest), its JSON body checked against
 * the route's schema, and its Idempotency-Key answered from the record. */
#include <microhttpd.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "http/internal.h"
#include "http/schema.h"

#define CONN_SECRET_MAX 128

struct conn_memo {
	size_t secret_len;
	char secret[CONN_SECRET_MAX];
	char hash[SL_TOKEN_HASH_HEX];
};

void sl_http_on_connection(void *cls, struct MHD_Connection *conn,
			   void **socket_context,
			   enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)conn;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		*socket_context = sl_xcalloc(1, sizeof(struct conn_memo));
	} else if (*socket_context) {
		sodium_memzero(*socket_context, sizeof(struct conn_memo));
		free(*socket_context);
		*socket_context = NULL;
	}
}

/* The token digest of secret, from the connection's memo when it sent the
 * same secret last time. */
static void token_hash(struct sl_req *r, const char *secret, char *hash)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct conn_memo *m = ci ? ci->socket_context : NULL;
	size_t n = strlen(secret);

	if (m && n == m->secret_len &&
	    sodium_memcmp(secret, m->secret, n) == 0) {
		memcpy(hash, m->hash, SL_TOKEN_HASH_HEX);
		return;
	}
	sl_token_hash(secret, hash);
	if (m && n <= CONN_SECRET_MAX) {
		memcpy(m->secret, secret, n);
		m->secret_len = n;
		memcpy(m->hash, hash, SL_TOKEN_HASH_HEX);
	}
}

/* 1 when s is made of printable ASCII only (0x21-0x7E, and the space
 * too when space): what a token or an Idempotency-Key may hold. */
static int visible_ascii(const char *s, int space)
{
	for (; *s; s++)
		if (!((*s > 0x20 && *s < 0x7F) || (space && *s == ' ')))
			return 0;
	return 1;
}

int sl_http_authenticate_secret(struct sl_req *r, const char *secret)
{
	char hash[SL_TOKEN_HASH_HEX], *stored = NULL;
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc;

	token_hash(r, secret, hash);
	if (sl_tokcache_get(hash, r->now, &r->actor)) {
		sl_tokcache_touch(hash, &r->actor, r->now);
		return 1;
	}
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		struct sl_tokens t = {0};

		rc = sl_store_token_find(&tx, hash, r->now, &t, &stored, &err);
		sl_store_abort(&tx);
		if (rc == SL_OK)
			sl_http_actor_take(r, &t.v[0]);
		sl_tokens_fini(&t);
	}
	/* The index finds the row by digest; the final say is a
	 * constant-time comparison, so no engine collation or early exit
	 * decides who gets in. */
	if (rc == SL_OK && (strlen(stored) != strlen(hash) ||
			    sodium_memcmp(stored, hash, strlen(hash)) != 0))
		rc = SL_ENOTFOUND;
	free(stored);
	if (rc == SL_ENOTFOUND) {
		sl_http_failf(r, SL_EAUTH, NULL,
			      "the token is unknown, revoked or expired");
		return 0;
	}
	if (rc) {
		sl_http_fail(r, &err);
		return 0;
	}
	sl_tokcache_put(hash, &r->actor);
	sl_tokcache_touch(hash, &r->actor, r->now);
	return 1;
}

void sl_http_actor_take(struct sl_req *r, struct sl_token_row *t)
{
	free(r->actor.name);
	free(r->actor.role);
	free(r->actor.scope);
	r->actor.id = t->id;
	r->actor.name = t->name;
	r->actor.role = t->role;
	r->actor.scope = t->scope;
	r->actor.expires_at = t->expires_at;
	r->actor.last_used_at = t->last_used_at;
	t->name = t->role = t->scope = NULL;
}

int sl_http_authenticate(struct sl_req *r)
{
	const char *h = sl_http_header(r, "Authorization");

	if (!h && sl_http_session_cookie(r))
		return sl_http_authenticate_session(r);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0 || !h[7]) {
		sl_http_failf(r, SL_EAUTH, NULL,
			      "send Authorization: Bearer <token>, or sign "
			      "in (POST /v1/session)");
		return 0;
	}
	if (!visible_ascii(h + 7, 0)) {
		sl_http_failf(r, SL_EMALFORMED, "Authorization",
			      "the bearer token may hold only printable ASCII "
			      "characters, without spaces");
		return 0;
	}
	return sl_http_authenticate_secret(r, h + 7);
}

static int is_json_type(const char *ct)
{
	size_t n = strlen("application/json");

	if (!ct || strncasecmp(ct, "application/json", n) != 0)
		return 0;
	return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* Reads the JSON body of a SL_R_BODY route; replies and returns 0 when it
 * is not a JSON object that fits the route's schema. */
int sl_http_read_body(struct sl_req *r)
{
	json_error_t jerr;
	struct sl_verrs verrs = {0};
	const char *ct = sl_http_header(r, "Content-Type");

	if (r->body_len == 0 && r->route->body == NULL) {
		r->json = json_object();
		return 1;
	}
	if (r->body_len == 0) {
		sl_http_failf(r, SL_EMALFORMED, NULL,
			      "a JSON object body is required");
		return 0;
	}
	if (!is_json_type(ct)) {
		sl_http_failf(r, SL_EMEDIA, "Content-Type",
			      "send the body as application/json (got %s)",
			      ct ? ct : "no Content-Type");
		return 0;
	}
	r->json =
		json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (!r->json) {
		sl_http_failf(r, SL_EMALFORMED, NULL,
			      "the body is not valid JSON: %s at line %d "
			      "column %d",
			      jerr.text, jerr.line, jerr.column);
		return 0;
	}
	if (!json_is_object(r->json)) {
		sl_http_failf(r, SL_EMALFORMED, NULL,
			      "the body must be a JSON object");
		return 0;
	}
	if (r->route->body) {
		sl_schema_check(r->json, r->route->body, "",
				strcmp(r->method, "PATCH") == 0, &verrs);
		if (verrs.n) {
			sl_http_fail_verrs(r, &verrs);
			return 0;
		}
	}
	return 1;
}

/* Answers a retried request from its idempotency record; 1 when the
 * reply is set (replayed or refused), 0 to go on. */
int sl_http_idempotent_replay(struct sl_req *r)
{
	const char *key = sl_http_header(r, "Idempotency-Key");
	unsigned char digest[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state h;
	struct sl_idem rec;
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc;

	if (!key)
		return 0;
	if (!*key || strlen(key) > 255 || !visible_ascii(key, 1)) {
		sl_http_failf(r, SL_EMALFORMED, "Idempotency-Key",
			      "Idempotency-Key must be 1 to 255 printable "
			      "ASCII characters");
		return 1;
	}
	if (strcmp(r->method, "POST") != 0)
		return 0;
	crypto_hash_sha256_init(&h);
	crypto_hash_sha256_update(&h, (const unsigned char *)r->method,
				  strlen(r->method) + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)r->url,
				  strlen(r->url) + 1);
	crypto_hash_sha256_update(&h, (const unsigned char *)r->body,
				  r->body_len);
	crypto_hash_sha256_final(&h, digest);
	sodium_bin2hex(r->idem_hash, sizeof(r->idem_hash), digest,
		       sizeof(digest));
	r->idem_key = key;

	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_idem_get(&tx, r->actor.name, key, &rec, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		return 0;
	if (rc) {
		sl_http_fail(r, &err);
		return 1;
	}
	if (strcmp(rec.body_hash, r->idem_hash) != 0) {
		sl_http_failf(r, SL_EINVAL, "Idempotency-Key",
			      "this Idempotency-Key was used for a different "
			      "request");
	} else {
		sl_http_reply(r, (int)rec.status, rec.response);
		rec.response = NULL;
		if (rec.status >= 400)
			r->content_type = "application/problem+json";
		r->replayed = 1;
	}
	sl_store_idem_fini(&rec);
	return 1;
}
