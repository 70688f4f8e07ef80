/* http.h - the http layer: requests, replies, the route table.
 *
 * The only layer that speaks libmicrohttpd and jansson. A handler reads
 * the request, asks core to decide and the store to keep, and sets the
 * reply. Memory a handler allocates for the reply is owned by the request
 * and freed with it. */
#ifndef SL_HTTP_HTTP_H
#define SL_HTTP_HTTP_H

#include <jansson.h>
#include <stdint.h>

#include "core/error.h"
#include "store/store.h"

#define SL_BODY_MAX   (1024 * 1024)
#define SL_MAX_PARAMS 4

struct sl_app;
struct sl_req;

typedef void (*sl_handler)(struct sl_req *r);

/* Route flags. */
#define SL_R_PUBLIC 0x1 /* no token needed */
#define SL_R_BODY   0x2 /* expects a JSON object body */
#define SL_R_WRITE  0x4 /* changes state: audited, idempotent */
/* A read answered from stored data alone, never from the clock: its
 * answers are kept by cache.c. */
#define SL_R_CACHE 0x8
/* Audited like a write though any token may take it (signing in and
 * out): runs where writes run. */
#define SL_R_AUDITED 0x10
/* The query string is not the server's: the dashboard's page, whose
 * router reads it (/deployments?service=payments), takes any. */
#define SL_R_PAGEQUERY 0x20

struct sl_field;

/* What a query parameter's value must be. */
enum sl_qtype {
	SL_Q_TEXT,  /* printable UTF-8, at most 256 bytes */
	SL_Q_INT,   /* a non-negative decimal integer, digits only */
	SL_Q_LIMIT, /* a page size: an integer from 1 to 500 */
	SL_Q_TIME,  /* an RFC 3339 date-time */
	SL_Q_TAG,   /* key=value */
	SL_Q_BOOL,  /* true or false */
};

/* A query parameter a route accepts. */
struct sl_qparam {
	const char *name;
	enum sl_qtype type;
	const char *doc;
	/* SL_Q_TEXT: the allowed words, NULL-terminated (a core
	 * vocabulary), or NULL for any text. */
	const char *const *choices;
};

struct sl_route {
	const char *method;
	const char *pattern; /* "/v1/releases/{id}" */
	sl_handler handler;
	unsigned flags;
	const char *summary;
	const struct sl_field *body; /* the request body's schema, if any */
	int action;		     /* enum sl_action the route needs */
	/* Answers from the read cache when it can (1), before the request
	 * is handed to a reader; NULL for most routes. */
	int (*cached)(struct sl_req *r);
	/* The query parameters it accepts, ending with {0}; NULL for none.
	 * Any other parameter, a repeated one or a value of the wrong
	 * type is refused (400) before the handler runs. */
	const struct sl_qparam *query;
};

extern const struct sl_route sl_routes[];
extern const size_t sl_routes_count;

struct sl_actor {
	int64_t id;
	char *name;
	char *role;
	char *scope; /* JSON {"environments","services","teams","groups"} or
			NULL */
	int64_t expires_at;   /* microseconds since the epoch; 0 = never */
	int64_t last_used_at; /* as far as this daemon knows; 0 = never */
};

struct sl_req {
	struct sl_app *app;
	void *conn; /* struct MHD_Connection */
	const char *method;
	const char *url;
	char *target; /* the request target as sent, before decoding */
	const struct sl_route *route;
	size_t route_index;
	char *params[SL_MAX_PARAMS];
	size_t nparams;

	char *body;
	size_t body_len;
	int too_large;
	json_t *json; /* the parsed body, for SL_R_BODY routes */

	struct sl_actor actor;
	int64_t session_id;	 /* signed in by a session cookie: its id */
	int64_t session_expires; /* and when it ends */
	char csrf[65];		 /* and the CSRF token its writes carry */
	char request_id[48];
	int64_t now;	  /* microseconds since the epoch, at arrival */
	int64_t start_ns; /* monotonic, for the duration */
	const char *idem_key;
	char idem_hash[65];

	/* the reply */
	int status;
	char *reply;
	void *reply_ref; /* reply is lent by the read cache (cache.h) */
	const char *content_type;
	size_t reply_len;	      /* bytes of a binary reply; 0 = strlen */
	const char *cache_control;    /* a static string, or NULL */
	const char *reply_static;     /* bytes that outlive the request (an
					 embedded file), sent as they are */
	const char *content_encoding; /* a static string, or NULL */
	char *set_cookie;	      /* a Set-Cookie value, or NULL */
	void *stream; /* an event stream's subscriber (stream.c) */
	char etag[32];
	char *location;
	int replayed;
	int queued;	     /* handed to the writer, connection suspended */
	int done;	     /* the writer finished it; reply on resume */
	struct sl_req *next; /* the writer's queue */
	char allow[40];	     /* the methods the path allows, for a 405 */
	int retry;	     /* the reply is a transient store failure */
	char via[40];	     /* "grant:<id>" when only a grant allowed it */
	int64_t via_until;   /* when that grant expires */
	/* A cacheable read: its key (path and arguments) and the data
	 * version read before the handler ran; cache_key_len is 0 when the
	 * answer is not to be kept. */
	size_t cache_key_len;
	char cache_key[1024];
	unsigned char cache_version[SL_DATA_VERSION_LEN];
	/* An import writes objects at their original times (now) and
	 * audits them at the request's own: that time here; 0 otherwise. */
	int64_t logged_at;
};

/* Replies with status and a body (taken: freed with the request). */
void sl_http_reply(struct sl_req *r, int status, char *body);
/* Replies with len bytes of body (taken; may hold NUL bytes) of the given
 * static content type. */
void sl_http_reply_bytes(struct sl_req *r, int status, char *body, size_t len,
			 const char *content_type);
/* Replies with the JSON value (stolen) serialised. */
void sl_http_reply_json(struct sl_req *r, int status, json_t *v);
/* Replies with a problem document made from err. */
void sl_http_fail(struct sl_req *r, const struct sl_error *err);
/* The same, with the members of extra (taken) added to the document and
 * to each of its errors: an import names the line of the bad record. */
void sl_http_fail_with(struct sl_req *r, const struct sl_error *err,
		       json_t *extra);
/* Replies with a problem document for code with a formatted detail. */
void sl_http_failf(struct sl_req *r, enum sl_err code, const char *field,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Sets the ETag from a revision. */
void sl_http_etag(struct sl_req *r, int64_t revision);
/* 1 when If-Match is absent or names this revision; otherwise replies 412
 * and returns 0. */
int sl_http_if_match(struct sl_req *r, int64_t revision);

/* A query-string value, or NULL. */
const char *sl_http_query(struct sl_req *r, const char *key);
/* Checks the request's query parameters against its route's table;
 * replies 400 naming the first bad one and returns 0, else 1. */
int sl_http_query_check(struct sl_req *r);
/* The words for a query parameter type, as the OpenAPI document and
 * the errors say them. */
const char *sl_http_qtype_name(enum sl_qtype t);
/* A request header, or NULL. */
const char *sl_http_header(struct sl_req *r, const char *key);

/* The canonical JSON text of v: sorted keys, compact. Caller frees. */
char *sl_http_canon(const json_t *v);
/* Parses a stored document; aborts on corruption (documents are written
 * by this layer only). Caller json_decref()s. */
json_t *sl_http_doc(const char *doc);

/* The RFC 6902 JSON Patch from before to after (either NULL for no
 * object), in canonical JSON (change.c says how it is made). */
char *sl_http_patch(const json_t *before, const json_t *after);
/* The same patch, made from the canonical JSON texts before and after
 * without parsing them; NULL when either is not a text this reader
 * vouches for (change.c says which), and the parsed way is needed. */
char *sl_http_patch_text(const char *before, const char *after);
/* Appends the audit entry e of a write that turned the stored document
 * before into after (canonical JSON texts, NULL for none): fills in its
 * change and scope from them, and returns what sl_store_audit_append
 * does. */
/* The string at key of a stored (canonical) document, read off its
 * text: 1 with *out a copy (free()) or NULL when absent or not a string;
 * 0 when it holds an escape (parse the document instead). */
int sl_http_doc_string(const char *doc, const char *key, char **out);
enum sl_err sl_http_audit_append(struct sl_tx *tx, struct sl_audit_entry *e,
				 const char *before, const char *after,
				 int64_t *seq, struct sl_error *err);

/* Ends a write: appends the audit entry, records the idempotent answer,
 * commits, and sets the reply (body taken). On any failure the
 * transaction is rolled back and the reply is the error. */
struct sl_audit_info {
	const char *action;
	const char *object_type;
	const char *object_id;
	const char *before;
	const char *after;
};
void sl_http_write_finish(struct sl_req *r, struct sl_tx *tx,
			  const struct sl_audit_info *a, int status,
			  char *body);

/* Authorisation (authz.c). allowed: 1 when the token may take action a
 * (enum sl_action) on env and service (NULL = not at issue), 0 with why
 * filled when not, -1 with why filled when the facts (grants, a service's
 * team) cannot be read; require: the same, replying 403 when not and 503
 * when unknown. may_somewhere: the role or a live grant allows a
 * anywhere (-1: unknown). in_groups: the token belongs to the approval
 * group. sees: env/service are in its scope (-1: unknown). No answer of
 * -1 is ever taken for a yes. */
int sl_http_allowed(struct sl_req *r, int a, const char *env,
		    const char *service, char *why, size_t whylen);
int sl_http_require(struct sl_req *r, int a, const char *env,
		    const char *service);
int sl_http_may_somewhere(struct sl_req *r, int a);
int sl_http_in_groups(struct sl_req *r, const char *group);
int sl_http_sees(struct sl_req *r, const char *env, const char *service);
/* The token's scope as the store's list filters (struct sl_scope_lists),
 * for list queries that leave out what the token may not see; a teams
 * scope is read, in tx, as the services those teams own. Returns 0, or a
 * store error with err filled (then s holds nothing). The lists are owned
 * by s: free with sl_http_scope_fini, in either case. */
struct sl_http_scope {
	struct sl_scope_lists lists;
	char *mem[3];
};
enum sl_err sl_http_scope_init(struct sl_req *r, struct sl_tx *tx,
			       struct sl_http_scope *s, struct sl_error *err);
void sl_http_scope_fini(struct sl_http_scope *s);

/* The store of the running app. */
struct sl_store *sl_http_store(struct sl_req *r);

/* Starts serving on addr ("127.0.0.1:8080"); 0 or -1 with a message. */
struct sl_server_config {
	const char *listen;
	unsigned threads;
	unsigned readers; /* reader threads, on SQLite (see server.c) */
	/* Connection limits against clients that open many connections or
	 * send slowly (0 = the default; see SL_SERVER_* below). */
	unsigned max_connections;
	unsigned max_per_ip; /* SL_SERVER_NO_LIMIT: no limit per address */
	unsigned timeout_s;  /* idle seconds before a connection is closed */
	struct sl_store *store;
};
#define SL_SERVER_MAX_CONNECTIONS 4096
#define SL_SERVER_MAX_PER_IP	  256
#define SL_SERVER_TIMEOUT_S	  30
#define SL_SERVER_NO_LIMIT	  0xFFFFFFFFu
struct sl_server;
enum sl_err sl_server_start(const struct sl_server_config *cfg,
			    struct sl_server **out, struct sl_error *err);
/* The port actually bound (useful with port 0). */
unsigned sl_server_port(const struct sl_server *s);
/* Stops accepting, finishes requests in flight, frees. */
void sl_server_stop(struct sl_server *s);

/* Token secrets. */
#define SL_TOKEN_HASH_HEX 65
/* Hex SHA-256 of a secret, into out (SL_TOKEN_HASH_HEX bytes). */
void sl_token_hash(const char *secret, char *out);
/* A new random 256-bit secret as "slt_" + 64 hex digits, into out (at
 * least 72 bytes). */
void sl_token_generate(char *out, size_t size);

/* The token lookup cache (tokcache.c). get fills out (name and role
 * malloc'ed) and returns 1 on a fresh hit for a token not expired at now
 * (microseconds since the epoch); clear forgets everything, as after a
 * revocation. */
int sl_tokcache_get(const char *hash, int64_t now, struct sl_actor *out);
void sl_tokcache_put(const char *hash, const struct sl_actor *a);
void sl_tokcache_clear(void);

/* How often at most a token's last_used_at is written: once a minute. */
#define SL_TOKEN_USE_EVERY_US (60 * 1000000LL)

/* Notes that the token a (looked up by hash) authenticated at now. Costs
 * nothing when its last use is less than SL_TOKEN_USE_EVERY_US old;
 * otherwise the use waits in memory for sl_tokcache_flush and a->
 * last_used_at becomes now. */
void sl_tokcache_touch(const char *hash, struct sl_actor *a, int64_t now);

/* Writes the waiting uses to the store in one transaction (not audited:
 * it is bookkeeping, not a change to the record). Run about once a second
 * and at shutdown. A use that could not be written waits for the next
 * flush. Returns SL_OK, or the store's error with err filled. */
enum sl_err sl_tokcache_flush(struct sl_store *st, struct sl_error *err);

/* Prometheus text of the request counters; caller frees. */
char *sl_metrics_render(struct sl_req *r);

#endif
