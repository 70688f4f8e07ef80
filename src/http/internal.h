/* internal.h - the request lifecycle's own pieces, shared by server.c,
 * reply.c and request.c (not for handlers). */
#ifndef SL_HTTP_INTERNAL_H
#define SL_HTTP_INTERNAL_H

#include <microhttpd.h>

#include "http/http.h"
#include "http/schema.h"

/* Lets the reply's body go, whoever owns it (the request or the cache). */
void sl_http_reply_free(struct sl_req *r);
/* Replies 422 listing every field error in v. */
void sl_http_fail_verrs(struct sl_req *r, const struct sl_verrs *v);
/* Replies 405 (no sl_err code maps to it) naming r->allow. */
void sl_http_fail_method(struct sl_req *r);

/* libmicrohttpd's connection callback: keeps a memo of the last token
 * digest per connection, wiped when the connection closes. */
void sl_http_on_connection(void *cls, struct MHD_Connection *conn,
			   void **socket_context,
			   enum MHD_ConnectionNotificationCode code);
/* Finds the bearer token's holder into r->actor: 1 authenticated, 0 the
 * reply is set (401, 400 for a malformed token, 503 when the store cannot
 * say). */
int sl_http_authenticate(struct sl_req *r);
/* Authenticates the request as the token with that secret: 1, or 0 with
 * the reply (401, or 503 when the tokens cannot be read). */
int sl_http_authenticate_secret(struct sl_req *r, const char *secret);
/* The request's actor becomes the token of row t (its strings taken). */
void sl_http_actor_take(struct sl_req *r, struct sl_token_row *t);
/* session.c: the session cookie's value, or NULL; authenticating by it
 * (and, for a write, checking its CSRF header): 1, or 0 with the reply. */
const char *sl_http_session_cookie(struct sl_req *r);
int sl_http_authenticate_session(struct sl_req *r);
/* stream.c: the answer of a GET /v1/stream whose handler set r->stream
 * (libmicrohttpd owns the subscriber from then on); the subscriber of a
 * request that ended before its answer was made is let go. */
struct MHD_Response *sl_stream_response(struct sl_req *r);
void sl_stream_discard(struct sl_req *r);
/* Reads the JSON body of a SL_R_BODY route into r->json; replies and
 * returns 0 when it is not a JSON object that fits the route's schema. */
int sl_http_read_body(struct sl_req *r);
/* Answers a retried request from its idempotency record; 1 when the
 * reply is set (replayed or refused), 0 to go on. */
int sl_http_idempotent_replay(struct sl_req *r);

#endif
