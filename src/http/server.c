/* server.c - the request lifecycle on libmicrohttpd.
 *
 * A request arrives in pieces: the first call allocates its struct
 * sl_req, later calls gather the body (up to 1 MiB; beyond that it is
 * drained and answered 413), and the last call routes, authenticates,
 * checks the body and runs the handler. The completion callback logs one
 * JSON line, counts the request and frees everything it owned. What a
 * request brings (token, body, Idempotency-Key) is read in request.c;
 * what it answers (replies, problems, the write path) is in reply.c. */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/perm.h"
#include "core/validate.h"
#include "http/cache.h"
#include "http/handlers.h"
#include "http/http.h"
#include "http/internal.h"
#include "http/log.h"
#include "http/metrics.h"
#include "http/reqlog.h"
#include "http/schema.h"

struct sl_server {
	struct MHD_Daemon *mhd;
	struct sl_app *app;
	unsigned port;
};

/* Two queues of suspended requests, on SQLite.
 *
 * The writer: every write request is handed to one thread that runs the
 * handlers back to back inside one store batch and COMMITs once for all
 * of them, then resumes their suspended connections. While it syncs, new
 * writes queue up without holding a request thread, so a small pool
 * serves reads with low latency and writes in large groups.
 *
 * The readers: a read the read cache cannot answer is handed to one of a
 * few reader threads. A request thread serves many connections; were it
 * to run a read that waits on the disk (a store larger than the memory
 * the kernel keeps for it), every answer it could give from the cache
 * would wait too. The readers wait on the disk side by side instead, and
 * the request threads keep only the work that never blocks. */
#define WRITER_BATCH_MAX 128
#define SL_HTTP_CSP                                                            \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; "        \
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
/* Runs of a handler the engine undid for a concurrent write, at most:
 * under 64 writers on one PostgreSQL database about one run in five is
 * undone, so eight runs still left one write in ten thousand failing. */
#define HANDLER_ATTEMPTS 16

struct queue {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	struct sl_req *head, *tail;
	int stop;
};

struct writer {
	struct queue q;
	pthread_t thread;
};

struct readers {
	struct queue q;
	pthread_t *threads;
	unsigned n;
};

struct sl_app {
	struct sl_store *store;
	struct writer *writer;	 /* NULL when the engine does not group */
	struct readers *readers; /* likewise */
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct sl_store *sl_http_store(struct sl_req *r)
{
	return r->app->store;
}

const char *sl_http_query(struct sl_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *sl_http_header(struct sl_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, key);
}

/* ---- routing ---- */

/* Matches path against pattern, capturing {params}; 1 on a match. */
static int match(const char *pattern, const char *path, struct sl_req *r)
{
	size_t n = 0;

	while (*pattern && *path) {
		if (strcmp(pattern, "{*}") == 0) {
			/* The rest of the path, slashes and all. */
			if (n >= SL_MAX_PARAMS)
				goto no;
			r->params[n++] = sl_xstrdup(path);
			path += strlen(path);
			pattern += 3;
			break;
		}
		if (*pattern == '{') {
			const char *end = strchr(path, '/');
			size_t len = end ? (size_t)(end - path) : strlen(path);

			if (len == 0 || n >= SL_MAX_PARAMS)
				goto no;
			r->params[n++] = sl_xstrndup(path, len);
			path += len;
			pattern = strchr(pattern, '}') + 1;
			continue;
		}
		if (*pattern != *path)
			goto no;
		pattern++;
		path++;
	}
	if (*pattern || *path)
		goto no;
	r->nparams = n;
	return 1;
no:
	for (size_t i = 0; i < n; i++) {
		free(r->params[i]);
		r->params[i] = NULL;
	}
	return 0;
}

/* Finds the route; replies 404 or 405 and returns 0 when none fits. */
static int route(struct sl_req *r)
{
	int path_known = 0;

	for (size_t i = 0; i < sl_routes_count; i++) {
		if (!match(sl_routes[i].pattern, r->url, r))
			continue;
		if (strcmp(sl_routes[i].method, r->method) == 0) {
			r->route = &sl_routes[i];
			r->route_index = i;
			return 1;
		}
		path_known = 1;
		if (!strstr(r->allow, sl_routes[i].method)) {
			size_t used = strlen(r->allow);

			snprintf(r->allow + used, sizeof(r->allow) - used,
				 "%s%s", used ? ", " : "", sl_routes[i].method);
		}
		for (size_t j = 0; j < r->nparams; j++) {
			free(r->params[j]);
			r->params[j] = NULL;
		}
		r->nparams = 0;
	}
	r->route_index = sl_routes_count;
	if (path_known) {
		sl_http_fail_method(r);
		return 0;
	}
	/* A deep link into the dashboard: the page, whose router reads
	 * the path. */
	if (strcmp(r->method, "GET") == 0 && sl_http_is_page_path(r->url)) {
		for (size_t i = 0; i < sl_routes_count; i++)
			if (sl_routes[i].handler == sl_h_page) {
				r->route = &sl_routes[i];
				r->route_index = i;
				return 1;
			}
	}
	sl_http_failf(r, SL_ENOTFOUND, NULL, "no route for %s %s", r->method,
		      r->url);
	return 0;
}

/* What a connection remembers between its requests: the last bearer
 * secret it sent and its digest, so a keep-alive client that sends the
 * same token every time costs one hash, not one per request. Wiped when
 * the connection closes. */

static void queue_init(struct queue *q)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->wake, NULL);
}

static void queue_fini(struct queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->wake);
}

/* Suspends the request's connection and queues it; 0 (the caller runs the
 * handler itself) when there is no queue or it is stopping. */
static int queue_take(struct queue *q, struct sl_req *r)
{
	if (!q)
		return 0;
	pthread_mutex_lock(&q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		return 0;
	}
	r->queued = 1;
	MHD_suspend_connection(r->conn);
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	pthread_cond_signal(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return 1;
}

/* Waits for queued requests and takes up to max of them, as a list; NULL
 * once the queue is stopping and empty (what was queued is still taken). */
static struct sl_req *queue_pop(struct queue *q, int max)
{
	struct sl_req *batch, *r;
	int n = 0;

	pthread_mutex_lock(&q->mu);
	while (!q->head && !q->stop)
		pthread_cond_wait(&q->wake, &q->mu);
	batch = q->head;
	for (r = batch; r && ++n < max; r = r->next)
		;
	q->head = r ? r->next : NULL;
	if (r)
		r->next = NULL;
	if (!q->head)
		q->tail = NULL;
	else
		pthread_cond_signal(&q->wake); /* more for another thread */
	pthread_mutex_unlock(&q->mu);
	return batch;
}

/* Lets the queue's threads finish what was queued and end. */
static void queue_stop(struct queue *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = 1;
	pthread_cond_broadcast(&q->wake);
	pthread_mutex_unlock(&q->mu);
}

/* The answer of a queued request is ready: its connection sends it. */
static void resume(struct sl_req *r)
{
	r->done = 1;
	MHD_resume_connection(r->conn);
}

/* Forgets a reply, so the handler can run again. */
static void reply_reset(struct sl_req *r)
{
	sl_http_reply_free(r);
	free(r->location);
	r->location = NULL;
	free(r->set_cookie);
	r->set_cookie = NULL;
	r->reply_static = NULL;
	r->content_encoding = NULL;
	r->status = 0;
	r->content_type = NULL;
	r->reply_len = 0;
	r->cache_control = NULL;
	r->etag[0] = '\0';
	r->via[0] = '\0';
	r->via_until = 0;
	r->retry = 0;
}

/* Runs the route's handler and keeps a cacheable answer. A handler whose
 * transaction the engine undid because a concurrent one got in the way
 * (nothing of it was kept) runs again, a few times, after a short random
 * pause that grows; then its 503 stands. */
static void handle(struct sl_req *r)
{
	for (int attempt = 1;; attempt++) {
		r->route->handler(r);
		if (!r->retry || attempt == HANDLER_ATTEMPTS)
			break;
		reply_reset(r);
		sl_metrics_count_retry();
		usleep((useconds_t)(randombytes_uniform(
			1000u << (attempt < 7 ? attempt : 7))));
	}
	if (!r->status)
		sl_http_failf(r, SL_EINTERNAL, NULL, "handler set no reply");
	if (r->cache_key_len && r->status == 200 && !r->via[0] && r->reply &&
	    r->content_type)
		sl_cache_put(r->cache_key, r->cache_key_len, r->actor.id,
			     r->cache_version, 0, r->reply, r->content_type,
			     r->etag);
}

static void *writer_run(void *arg)
{
	struct sl_app *app = arg;
	struct sl_req *batch, *r;

	pthread_setname_np(pthread_self(), "shiplog-writer");
	while ((batch = queue_pop(&app->writer->q, WRITER_BATCH_MAX))) {
		struct sl_error err = {0};
		enum sl_err rc;

		sl_store_batch_begin(app->store);
		for (r = batch; r; r = r->next)
			handle(r);
		rc = sl_store_batch_end(app->store, &err);
		for (r = batch; r;) {
			struct sl_req *next = r->next;

			/* A failed COMMIT took every write of the batch with
			 * it: none may be acknowledged. */
			if (rc && r->status < 300)
				sl_http_failf(r, SL_EUNAVAIL, NULL,
					      "the write could not be "
					      "committed; retry");
			resume(r);
			r = next;
		}
	}
	return NULL;
}

static void *reader_run(void *arg)
{
	struct sl_app *app = arg;
	struct sl_req *r;

	pthread_setname_np(pthread_self(), "shiplog-reader");
	while ((r = queue_pop(&app->readers->q, 1))) {
		handle(r);
		resume(r);
	}
	return NULL;
}

struct key_buf {
	char *buf;
	size_t len, cap;
	int overflow;
};

static void key_put(struct key_buf *k, const char *s, size_t n)
{
	if (k->len + n + 1 > k->cap) {
		k->overflow = 1;
		return;
	}
	memcpy(k->buf + k->len, s, n);
	k->len += n;
	k->buf[k->len++] = '\0';
}

static enum MHD_Result key_arg(void *cls, enum MHD_ValueKind kind,
			       const char *key, const char *value)
{
	struct key_buf *k = cls;

	(void)kind;
	key_put(k, key, strlen(key));
	/* A key without "=" is told apart from one with an empty value. */
	if (value) {
		key_put(k, "=", 1);
		key_put(k, value, strlen(value));
	} else {
		key_put(k, "", 0);
	}
	return k->overflow ? MHD_NO : MHD_YES;
}

/* Answers a cacheable read from cache.c when an answer for the same path,
 * arguments and token was kept at the current data version; otherwise
 * notes the key and the version, so dispatch keeps what the handler
 * answers. The version is read before the handler runs: the answer is at
 * least as new as it. */
static int cached(struct sl_req *r)
{
	struct key_buf k = {r->cache_key, 0, sizeof(r->cache_key), 0};
	struct sl_cached hit;

	if (!sl_cache_enabled() ||
	    !sl_store_data_version(r->app->store, r->cache_version))
		return 0;
	key_put(&k, r->url, strlen(r->url));
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, key_arg, &k);
	if (k.overflow)
		return 0;
	r->cache_key_len = k.len;
	if (!sl_cache_get(r->cache_key, k.len, r->actor.id, r->cache_version,
			  r->now, &hit))
		return 0;
	r->status = 200;
	r->reply = (char *)hit.body;
	r->reply_ref = hit.ref;
	r->content_type = hit.content_type;
	memcpy(r->etag, hit.etag, sizeof(r->etag));
	return 1;
}

/* Refuses (400) a request whose target cannot be read as text: a path or
 * query parameter that is not valid UTF-8 or holds a control character
 * or %00 (which, decoded, would end the text early, so "12%00" would pass
 * for "12"). Runs before routing, so nothing after it echoes such bytes. */
static int request_readable(struct sl_req *r)
{
	struct sl_error err = {0};

	if (r->target && sl_valid_target(r->target, &err)) {
		sl_http_fail(r, &err);
		return 0;
	}
	return 1;
}

static void dispatch(struct sl_req *r)
{
	int may, writes;

	if (!request_readable(r) || !route(r))
		return;
	if (!(r->route->flags & SL_R_PUBLIC) && !sl_http_authenticate(r))
		return;
	/* The route's permission, anywhere; handlers check the scope
	 * (environment, service) where the object names one. */
	may = (r->route->flags & SL_R_PUBLIC)
		      ? 1
		      : sl_http_may_somewhere(r, r->route->action);
	if (may < 0) {
		sl_http_failf(r, SL_EUNAVAIL, "permission",
			      "the grants of the token '%s' cannot be read",
			      r->actor.name);
		return;
	}
	if (!may) {
		sl_http_failf(r, SL_EFORBIDDEN, "permission",
			      "this needs the permission %s, which the role %s "
			      "of the token '%s' does not hold",
			      sl_action_name(r->route->action), r->actor.role,
			      r->actor.name);
		return;
	}
	if (!(r->route->flags & SL_R_PAGEQUERY) && !sl_http_query_check(r))
		return;
	if (r->too_large) {
		sl_http_failf(r, SL_ETOOLARGE, NULL,
			      "the body is larger than %d bytes", SL_BODY_MAX);
		return;
	}
	if ((r->route->flags & SL_R_BODY) && !sl_http_read_body(r))
		return;
	/* A write: a POST that only reads (the gate check) is a read like
	 * the others. Not every write is SL_R_WRITE (minting a token is
	 * audited but never replayed). */
	writes = strcmp(r->method, "GET") != 0 &&
		 (r->route->action != SL_ACT_READ ||
		  (r->route->flags & SL_R_AUDITED));
	if (writes && sl_log_broken()) {
		/* A record that was rewritten takes no more writes. */
		sl_http_failf(r, SL_EUNAVAIL, NULL, "%s", sl_log_broken());
		return;
	}
	if ((r->route->flags & SL_R_WRITE) && sl_http_idempotent_replay(r))
		return;
	/* Writes go to the writer. */
	if (writes && queue_take(r->app->writer ? &r->app->writer->q : NULL, r))
		return;
	if ((r->route->flags & SL_R_CACHE) && cached(r))
		return;
	if (r->route->cached && r->route->cached(r))
		return;
	if (!(r->route->flags & SL_R_PUBLIC) &&
	    queue_take(r->app->readers ? &r->app->readers->q : NULL, r))
		return;
	handle(r);
}

/* ---- libmicrohttpd glue ---- */

/* Request ids: 64 random bits drawn once per process (so two daemons of a
 * cluster never hand out the same id) followed by a counter. Drawing
 * fresh random bytes per request cost a system call on every request. */
static char id_prefix[17];
static uint64_t id_counter;

static void new_request_id(struct sl_req *r)
{
	static const char hex[] = "0123456789abcdef";
	const char *given = sl_http_header(r, "X-Request-Id");
	uint64_t n;

	if (given && *given && strlen(given) < sizeof(r->request_id) &&
	    sl_valid_text(given, sizeof(r->request_id) - 1, 0, "", NULL) == 0 &&
	    !strpbrk(given, "\"\\")) {
		snprintf(r->request_id, sizeof(r->request_id), "%s", given);
		return;
	}
	n = __atomic_add_fetch(&id_counter, 1, __ATOMIC_RELAXED);
	memcpy(r->request_id, id_prefix, 16);
	for (int i = 15; i >= 0; i--, n >>= 4)
		r->request_id[16 + i] = hex[n & 15];
	r->request_id[32] = '\0';
}

/* Called with the request target as sent, before libmicrohttpd decodes
 * it (a decoded %00 would end the path early and unnoticed): the request
 * starts here, and keeps the target for request_readable. */
static void *on_target(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct sl_req *r = sl_xcalloc(1, sizeof(*r));

	r->app = cls;
	r->conn = conn;
	r->target = sl_xstrdup(uri ? uri : "");
	r->route_index = sl_routes_count;
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct sl_req *r = *con_cls;
	struct MHD_Response *resp;
	enum MHD_Result ok;
	char *body;

	(void)version;
	if (!r || !r->method) {
		if (!r) /* not seen by on_target */
			r = on_target(cls, "", conn);
		r->method = method;
		r->url = url;
		r->now = wall_us();
		r->start_ns = mono_ns();
		r->route_index = sl_routes_count;
		new_request_id(r);
		*con_cls = r;
		return MHD_YES;
	}
	if (*data_size) {
		if (!r->too_large && r->body_len + *data_size <= SL_BODY_MAX) {
			r->body = sl_xrealloc(r->body,
					      r->body_len + *data_size + 1);
			memcpy(r->body + r->body_len, data, *data_size);
			r->body_len += *data_size;
			r->body[r->body_len] = '\0';
		} else {
			r->too_large = 1;
		}
		*data_size = 0;
		return MHD_YES;
	}
	if (!r->done) {
		dispatch(r);
		if (r->queued)
			return MHD_YES; /* its queue's thread resumes it */
	}
	if (r->stream) {
		resp = sl_stream_response(r);
		if (!resp)
			return MHD_NO;
	} else if (r->reply_static) {
		resp = MHD_create_response_from_buffer(r->reply_len,
						       (void *)r->reply_static,
						       MHD_RESPMEM_PERSISTENT);
	} else if (r->reply_ref) {
		/* A kept answer is sent from the cache itself. */
		resp = MHD_create_response_from_buffer_with_free_callback_cls(
			strlen(r->reply), r->reply, sl_cache_release,
			r->reply_ref);
		r->reply = NULL;
		r->reply_ref = NULL;
	} else {
		body = r->reply ? r->reply : sl_xstrdup("");
		r->reply = NULL;
		resp = MHD_create_response_from_buffer(
			r->reply_len ? r->reply_len : strlen(body), body,
			MHD_RESPMEM_MUST_FREE);
	}
	MHD_add_response_header(resp, "Content-Type", r->content_type);
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	/* Every answer, the dashboard's page most of all: no script but
	 * the page's own files, no framing, no sniffing, no referrer. */
	MHD_add_response_header(resp, "Content-Security-Policy", SL_HTTP_CSP);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	if (r->content_encoding) {
		MHD_add_response_header(resp, "Content-Encoding",
					r->content_encoding);
	}
	if (r->reply_static)
		MHD_add_response_header(resp, "Vary", "Accept-Encoding");
	if (r->set_cookie)
		MHD_add_response_header(resp, "Set-Cookie", r->set_cookie);
	if (r->etag[0])
		MHD_add_response_header(resp, "ETag", r->etag);
	if (r->cache_control)
		MHD_add_response_header(resp, "Cache-Control",
					r->cache_control);
	if (r->location)
		MHD_add_response_header(resp, "Location", r->location);
	if (r->replayed)
		MHD_add_response_header(resp, "Idempotent-Replayed", "true");
	if (r->status == 401)
		MHD_add_response_header(resp, "WWW-Authenticate",
					"Bearer realm=\"shiplog\"");
	if (r->status == 405 && r->allow[0])
		MHD_add_response_header(resp, "Allow", r->allow);
	ok = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* Appends s to buf as the body of a JSON string (escaping quotes,
 * backslashes and control characters, a byte that is not valid UTF-8 as
 * U+FFFD, never cutting a character); returns the new length. */
static size_t put_json_text(char *buf, size_t len, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t left = strlen(s);

	for (; *s && len + 7 < cap; s++, left--) {
		unsigned char c = (unsigned char)*s;
		size_t n = c < 0x80 ? 1 : sl_utf8_seq(s, left);

		if (n == 0) {
			memcpy(buf + len, "\\ufffd", 6);
			len += 6;
		} else if (n > 1) {
			memcpy(buf + len, s, n);
			len += n;
			s += n - 1;
			left -= n - 1;
		} else if (c == '"' || c == '\\') {
			buf[len++] = '\\';
			buf[len++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			memcpy(buf + len, "\\u00", 4);
			buf[len + 4] = hex[c >> 4];
			buf[len + 5] = hex[c & 15];
			len += 6;
		} else {
			buf[len++] = (char)c;
		}
	}
	return len;
}

/* Appends s as it is (a fixed part of the line); returns the new length. */
static size_t put_raw(char *buf, size_t len, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (len + n >= cap)
		n = len < cap ? cap - len - 1 : 0;
	memcpy(buf + len, s, n);
	return len + n;
}

static size_t put_int(char *buf, size_t len, size_t cap, long long v)
{
	char digits[24];
	int n = 0;
	unsigned long long u =
		v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

	do {
		digits[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		digits[n++] = '-';
	while (n && len + 1 < cap)
		buf[len++] = digits[--n];
	return len;
}

/* One JSON line per request, handed whole to the log thread (reqlog.c),
 * so lines never interleave. Built by hand, without printf: this runs on
 * every request. */
static void log_line(const struct sl_req *r, int64_t dur_us)
{
	char when[SL_TIME_BUF], line[1024];
	const size_t cap = sizeof(line);
	size_t len = 0;

	len = put_raw(line, len, cap, "{\"time\":\"");
	len = put_raw(line, len, cap, sl_time_format(r->now, when));
	len = put_raw(line, len, cap,
		      "\",\"level\":\"info\",\"request_id\":\"");
	len = put_json_text(line, len, cap, r->request_id);
	len = put_raw(line, len, cap, "\",\"method\":\"");
	len = put_json_text(line, len, cap, r->method);
	len = put_raw(line, len, cap, "\",\"route\":\"");
	len = put_raw(line, len, cap,
		      r->route ? r->route->pattern : "unmatched");
	len = put_raw(line, len, cap, "\",\"path\":\"");
	len = put_json_text(line, len, cap, r->url);
	len = put_raw(line, len, cap, "\",\"status\":");
	len = put_int(line, len, cap, r->status);
	len = put_raw(line, len, cap, ",\"duration_us\":");
	len = put_int(line, len, cap, (long long)dur_us);
	len = put_raw(line, len, cap, ",\"actor\":\"");
	len = put_json_text(line, len, cap, r->actor.name ? r->actor.name : "");
	if (len + 3 > cap)
		len = cap - 3;
	line[len++] = '"';
	line[len++] = '}';
	line[len++] = '\n';
	sl_reqlog_line(line, len);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct sl_req *r = *con_cls;
	int64_t dur_us;

	(void)cls;
	(void)conn;
	(void)toe;
	if (!r)
		return;
	dur_us = (mono_ns() - r->start_ns) / 1000;
	if (r->status) {
		sl_metrics_count(r->route_index, r->status, dur_us);
		log_line(r, dur_us);
	}
	for (size_t i = 0; i < r->nparams; i++)
		free(r->params[i]);
	json_decref(r->json);
	free(r->body);
	sl_http_reply_free(r);
	sl_stream_discard(r);
	free(r->location);
	free(r->set_cookie);
	free(r->target);
	free(r->actor.name);
	free(r->actor.role);
	free(r->actor.scope);
	free(r);
	*con_cls = NULL;
}

/* The connection limits to run with: a client that opens connections
 * and sends its requests a byte at a time (slowloris) holds at most
 * per_ip of the max_conns connections, and each for at most timeout_s
 * seconds without a byte, so the others are still served. per_ip 0 is
 * libmicrohttpd's "no limit". */
static void limits(const struct sl_server_config *cfg, unsigned *max_conns,
		   unsigned *per_ip, unsigned *timeout_s)
{
	*max_conns = cfg->max_connections ? cfg->max_connections
					  : SL_SERVER_MAX_CONNECTIONS;
	*per_ip = cfg->max_per_ip == SL_SERVER_NO_LIMIT ? 0
		  : cfg->max_per_ip			? cfg->max_per_ip
							: SL_SERVER_MAX_PER_IP;
	*timeout_s = cfg->timeout_s ? cfg->timeout_s : SL_SERVER_TIMEOUT_S;
}

enum sl_err sl_server_start(const struct sl_server_config *cfg,
			    struct sl_server **out, struct sl_error *err)
{
	unsigned max_conns, per_ip, timeout_s;
	struct sl_server *s;
	struct sockaddr_in addr = {.sin_family = AF_INET};
	char host[64];
	const char *colon = strrchr(cfg->listen, ':');
	const union MHD_DaemonInfo *info;
	long port;
	char *end;

	if (!colon || (size_t)(colon - cfg->listen) >= sizeof(host))
		return sl_error_set(err, SL_EINVAL, "listen",
				    "--listen wants HOST:PORT, got '%s'",
				    cfg->listen);
	memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
	host[colon - cfg->listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 0 || port > 65535 ||
	    inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return sl_error_set(err, SL_EINVAL, "listen",
				    "--listen wants an IPv4 HOST:PORT, got "
				    "'%s'",
				    cfg->listen);
	addr.sin_port = htons((uint16_t)port);

	if (!id_prefix[0]) {
		unsigned char raw[8];

		randombytes_buf(raw, sizeof(raw));
		sodium_bin2hex(id_prefix, sizeof(id_prefix), raw, sizeof(raw));
	}
	s = sl_xcalloc(1, sizeof(*s));
	s->app = sl_xcalloc(1, sizeof(*s->app));
	sl_reqlog_start(STDERR_FILENO);
	s->app->store = cfg->store;
	limits(cfg, &max_conns, &per_ip, &timeout_s);
	s->mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
			MHD_ALLOW_SUSPEND_RESUME,
		0, NULL, NULL, on_request, s->app, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)(cfg->threads ? cfg->threads : 8),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_NOTIFY_CONNECTION, sl_http_on_connection, NULL,
		MHD_OPTION_URI_LOG_CALLBACK, on_target, s->app,
		MHD_OPTION_CONNECTION_TIMEOUT, timeout_s,
		MHD_OPTION_CONNECTION_LIMIT, max_conns,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		/* Headers up to 16 KiB; the pool is cleared after every
		 * request, so a larger one costs time on each. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!s->mhd) {
		sl_reqlog_stop();
		free(s->app);
		free(s);
		return sl_error_set(err, SL_EUNAVAIL, "listen",
				    "cannot listen on %s", cfg->listen);
	}
	if (sl_store_grouped(cfg->store)) {
		struct writer *w = sl_xcalloc(1, sizeof(*w));
		struct readers *rd = sl_xcalloc(1, sizeof(*rd));

		queue_init(&w->q);
		s->app->writer = w;
		if (pthread_create(&w->thread, NULL, writer_run, s->app)) {
			s->app->writer = NULL;
			queue_fini(&w->q);
			free(w);
		}
		queue_init(&rd->q);
		rd->threads = sl_xcalloc(cfg->readers ? cfg->readers : 1,
					 sizeof(*rd->threads));
		s->app->readers = rd;
		for (unsigned i = 0; i < cfg->readers; i++)
			if (pthread_create(&rd->threads[rd->n], NULL,
					   reader_run, s->app) == 0)
				rd->n++;
		if (!rd->n) {
			s->app->readers = NULL;
			queue_fini(&rd->q);
			free(rd->threads);
			free(rd);
		}
	}
	sl_stream_start(cfg->store);
	info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : (unsigned)port;
	*out = s;
	return SL_OK;
}

unsigned sl_server_port(const struct sl_server *s)
{
	return s->port;
}

void sl_server_stop(struct sl_server *s)
{
	if (!s)
		return;
	MHD_quiesce_daemon(s->mhd);
	sl_stream_stop();
	/* Drain the queues (every queued write is committed and answered,
	 * every queued read answered), then let late requests run inline. */
	if (s->app->writer) {
		queue_stop(&s->app->writer->q);
		pthread_join(s->app->writer->thread, NULL);
	}
	if (s->app->readers) {
		queue_stop(&s->app->readers->q);
		for (unsigned i = 0; i < s->app->readers->n; i++)
			pthread_join(s->app->readers->threads[i], NULL);
	}
	MHD_stop_daemon(s->mhd);
	sl_reqlog_stop();
	if (s->app->writer) {
		queue_fini(&s->app->writer->q);
		free(s->app->writer);
	}
	if (s->app->readers) {
		queue_fini(&s->app->readers->q);
		free(s->app->readers->threads);
		free(s->app->readers);
	}
	free(s->app);
	free(s);
}
