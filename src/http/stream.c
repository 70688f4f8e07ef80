/* stream.c - GET /v1/stream: every change the caller may see, as
 * Server-Sent Events, read from the audit log itself.
 *
 * One thread (the follower) reads entries after the last one each
 * subscriber was sent, once for all of them, and appends to each
 * subscriber's own buffer the entries its token sees and its filters
 * keep. An event's id is the entry's sequence number, so a client that
 * reconnects with Last-Event-ID resumes exactly where it stopped: the log
 * is one gap-free order and the follower reads it in that order. Writers
 * never wait on it (it reads what they committed), and it never waits on
 * a subscriber: a buffer it takes nothing from for STALL_MS is closed, and that
 * client reconnects and resumes from its Last-Event-ID. A subscriber's
 * connection is suspended while its buffer is empty and resumed when
 * there is something to send. */
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http/handlers.h"
#include "http/internal.h"
#include "http/log.h"

#define BUF_KB	     256   /* bytes waiting for one subscriber */
#define SNDBUF	     65536 /* and in the kernel, on its socket */
#define BATCH	     500   /* entries read per pass */
#define TICK_MS	     200   /* how often the log is read */
#define KEEPALIVE_MS 15000 /* a comment when nothing else was sent */
#define STALL_MS     30000 /* a subscriber that takes nothing */

struct sub {
	pthread_mutex_t mu;
	struct MHD_Connection *conn;
	struct sl_req who;   /* stands for the subscriber: its token's scope */
	char *env, *service; /* filters, or NULL */
	int64_t last;	     /* the last entry looked at for it */
	int64_t token_id, session_id;
	int64_t ends; /* when its token or session ends (us); 0 = never */
	char *buf;
	size_t len, off, cap;
	int suspended, closed, failed;
	int fd; /* its socket, shut down when it is let go; -1 unknown */
	int64_t sent_at;  /* when it last took bytes (monotonic ms) */
	int64_t spoke_at; /* when bytes were last queued */
	struct sub *next;
};

static struct {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t thread;
	struct sl_store *st;
	struct sub *subs;
	int running, stop;
	size_t cap;	  /* SHIPLOG_STREAM_BUFFER_KB, in bytes */
	int64_t stall_ms; /* SHIPLOG_STREAM_STALL_MS */
	uint64_t let_go;  /* subscribers closed for taking nothing */
} hub = {.mu = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A positive whole number from the environment, or def. */
static long env_num(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long n = v ? strtol(v, &end, 10) : 0;

	return v && *v && !*end && n > 0 ? n : def;
}

/* Ends a subscriber's stream (with an error when failed: the client
 * reconnects). Called with s->mu held. */
static void sub_close(struct sub *s, int failed)
{
	if (s->closed)
		return;
	s->closed = 1;
	s->failed = failed;
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	}
}

/* s has taken nothing for stall_ms: what waits for it is dropped and its
 * socket shut down, so the connection ends now even if the client never
 * reads again (it resumes from its Last-Event-ID). The fd is still its
 * own: libmicrohttpd frees the answer (sub_free, which takes s out of the
 * list under hub.mu) before it closes the socket. Called with hub.mu and
 * s->mu held. */
static void let_go(struct sub *s)
{
	s->len = s->off = 0;
	sub_close(s, 1);
	if (s->fd >= 0)
		shutdown(s->fd, SHUT_RDWR);
	hub.let_go++;
}

/* Queues n bytes for s; 0 (nothing queued) when they do not fit. Called
 * with s->mu held. */
static int sub_put(struct sub *s, const char *p, size_t n)
{
	if (s->closed)
		return 1;
	if (s->len - s->off + n > s->cap)
		return 0;
	if (s->off) {
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
	s->spoke_at = mono_ms();
	if (s->suspended) {
		s->suspended = 0;
		MHD_resume_connection(s->conn);
	}
	return 1;
}

/* libmicrohttpd asks for the next bytes of a subscriber's answer. */
static ssize_t sub_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sub *s = cls;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&s->mu);
	if (s->len > s->off) {
		size_t k = s->len - s->off < max ? s->len - s->off : max;

		memcpy(out, s->buf + s->off, k);
		s->off += k;
		if (s->off == s->len)
			s->off = s->len = 0;
		s->sent_at = mono_ms();
		n = (ssize_t)k;
	} else if (s->closed) {
		n = s->failed ? MHD_CONTENT_READER_END_WITH_ERROR
			      : MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Nothing to send: park the connection until sub_put. */
		s->suspended = 1;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&s->mu);
	return n;
}

static void sub_free(void *cls)
{
	struct sub *s = cls;

	pthread_mutex_lock(&hub.mu);
	for (struct sub **p = &hub.subs; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	pthread_mutex_unlock(&hub.mu);
	pthread_mutex_destroy(&s->mu);
	free(s->who.actor.name);
	free(s->who.actor.role);
	free(s->who.actor.scope);
	free(s->env);
	free(s->service);
	free(s->buf);
	free(s);
}

/* The environment and service an entry is about, as its filters read
 * them (an environment's or a service's own entries name it). */
static void entry_place(const struct sl_audit_row *e, const char **env,
			const char **svc)
{
	*env = e->environment;
	*svc = e->service;
	if (strcmp(e->object_type, "environment") == 0 ||
	    strcmp(e->object_type, "policy") == 0)
		*env = e->object_id;
	if (strcmp(e->object_type, "service") == 0)
		*svc = e->object_id;
}

/* The event of entry e: id, name and a small JSON document. */
static char *event_text(const struct sl_audit_row *e, size_t *len)
{
	const char *env, *svc;
	json_t *d;
	char *data, *out;
	size_t n;

	entry_place(e, &env, &svc);
	d = json_pack("{sI so ss ss ss ss so so}", "seq", (json_int_t)e->seq,
		      "at", sl_h_time(e->at), "actor", e->actor, "action",
		      e->action, "object_type", e->object_type, "object_id",
		      e->object_id, "environment",
		      env ? json_string(env) : json_null(), "service",
		      svc ? json_string(svc) : json_null());
	data = json_dumps(d, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(d);
	n = strlen(data) + strlen(e->action) + 64;
	out = sl_xmalloc(n);
	*len = (size_t)snprintf(out, n, "id: %lld\nevent: %s\ndata: %s\n\n",
				(long long)e->seq, e->action, data);
	free(data);
	return out;
}

/* Offers entry e to s. 1 when s is done with it (sent, or not for it), 0
 * when its buffer is too full to take it now. */
static int offer(struct sub *s, const struct sl_audit_row *e)
{
	const char *env, *svc;
	int seen, ok = 1;

	entry_place(e, &env, &svc);
	if ((s->env && (!env || strcmp(s->env, env) != 0)) ||
	    (s->service && (!svc || strcmp(s->service, svc) != 0)))
		return 1;
	seen = sl_http_entry_seen(&s->who, e);
	if (seen < 0)
		return 0; /* the scope cannot be read now: try again */
	if (seen) {
		size_t n;
		char *text = event_text(e, &n);

		pthread_mutex_lock(&s->mu);
		ok = sub_put(s, text, n);
		pthread_mutex_unlock(&s->mu);
		free(text);
	}
	return ok;
}

/* One pass over the log for every subscriber; 1 when there may be more
 * to read right away. */
static int pass(void)
{
	struct sl_filter f = {.limit = BATCH};
	struct sl_audit_rows rows = {0};
	struct sl_error err = {0};
	struct sl_tx tx;
	int64_t t = mono_ms(), now = now_us();
	int any = 0, more = 0;
	enum sl_err rc;

	pthread_mutex_lock(&hub.mu);
	f.after = INT64_MAX;
	for (struct sub *s = hub.subs; s; s = s->next) {
		any = 1;
		if (s->last < f.after)
			f.after = s->last;
	}
	pthread_mutex_unlock(&hub.mu);
	if (!any)
		return 0;
	/* Entries committed side by side get their numbers here too, so
	 * the stream never waits for the next reader of the log. */
	rc = sl_log_number(hub.st, &err);
	if (rc == SL_OK)
		rc = sl_store_begin(hub.st, 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_audit_list(&tx, &f, &rows, &err);
		sl_store_abort(&tx);
	}
	if (rc)
		return 0; /* the store is away: the next pass tries again */
	pthread_mutex_lock(&hub.mu);
	for (struct sub *s = hub.subs; s; s = s->next) {
		for (size_t i = 0; i < rows.n; i++) {
			if (rows.v[i].seq <= s->last)
				continue;
			s->who.now = now;
			if (!offer(s, &rows.v[i]))
				break;
			s->last = rows.v[i].seq;
		}
		pthread_mutex_lock(&s->mu);
		if (s->ends && now >= s->ends)
			sub_close(s, 0); /* its token or session ended */
		else if (s->len > s->off && t - s->sent_at >= hub.stall_ms)
			let_go(s);
		else if (s->len == s->off && t - s->spoke_at >= KEEPALIVE_MS)
			sub_put(s, ": keepalive\n\n", 13);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&hub.mu);
	more = rows.n == (size_t)BATCH;
	sl_audit_rows_fini(&rows);
	return more;
}

static void *follow(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "shiplog-stream");
	pthread_mutex_lock(&hub.mu);
	while (!hub.stop) {
		struct timespec until;

		pthread_mutex_unlock(&hub.mu);
		while (pass() && !hub.stop)
			;
		pthread_mutex_lock(&hub.mu);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += TICK_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		if (!hub.stop)
			pthread_cond_timedwait(&hub.wake, &hub.mu, &until);
	}
	pthread_mutex_unlock(&hub.mu);
	return NULL;
}

void sl_stream_start(struct sl_store *st)
{
	hub.st = st;
	hub.stop = 0;
	hub.cap = (size_t)env_num("SHIPLOG_STREAM_BUFFER_KB", BUF_KB) * 1024;
	hub.stall_ms = env_num("SHIPLOG_STREAM_STALL_MS", STALL_MS);
	if (pthread_create(&hub.thread, NULL, follow, NULL) == 0)
		hub.running = 1;
}

/* Ends the streams that match (all when both are 0). */
static void end_where(int64_t token_id, int64_t session_id)
{
	pthread_mutex_lock(&hub.mu);
	for (struct sub *s = hub.subs; s; s = s->next) {
		if ((token_id && s->token_id != token_id) ||
		    (session_id && s->session_id != session_id))
			continue;
		pthread_mutex_lock(&s->mu);
		sub_close(s, 0);
		pthread_mutex_unlock(&s->mu);
	}
	pthread_mutex_unlock(&hub.mu);
}

void sl_stream_stop(void)
{
	if (!hub.running)
		return;
	pthread_mutex_lock(&hub.mu);
	hub.stop = 1;
	pthread_cond_signal(&hub.wake);
	pthread_mutex_unlock(&hub.mu);
	pthread_join(hub.thread, NULL);
	hub.running = 0;
	/* No connection may stay suspended when the server stops. */
	end_where(0, 0);
}

void sl_stream_end_token(int64_t token_id)
{
	if (token_id)
		end_where(token_id, 0);
}

void sl_stream_end_session(int64_t session_id)
{
	if (session_id)
		end_where(0, session_id);
}

/* Where the stream starts: after the Last-Event-ID the client sends on a
 * reconnect, else after the last entry now. 0 with the reply set when
 * the header is not a sequence number or the log cannot be read. */
static int start_after(struct sl_req *r, int64_t *after)
{
	const char *h = sl_http_header(r, "Last-Event-ID");
	struct sl_error err = {0};
	struct sl_tx tx;
	enum sl_err rc;

	if (h && *h) {
		char *end;
		long long v = strtoll(h, &end, 10);

		if (*end || v < 0 || h[0] == '-' || h[0] == '+') {
			sl_http_failf(r, SL_EINVAL, "Last-Event-ID",
				      "Last-Event-ID is the id of an event of "
				      "this stream, a sequence number; got "
				      "'%.40s'",
				      h);
			return 0;
		}
		*after = (int64_t)v;
		return 1;
	}
	rc = sl_log_number(sl_http_store(r), &err);
	if (rc == SL_OK)
		rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_audit_last(&tx, after, &err);
		sl_store_abort(&tx);
	}
	if (rc) {
		sl_http_fail(r, &err);
		return 0;
	}
	return 1;
}

void sl_h_stream(struct sl_req *r)
{
	const char *env = sl_http_query(r, "environment");
	const char *svc = sl_http_query(r, "service");
	static const char hello[] = "retry: 2000\n: connected\n\n";
	struct sub *s;
	int64_t after;

	if (!hub.running) {
		sl_http_failf(r, SL_EUNAVAIL, NULL,
			      "the event stream is not running");
		return;
	}
	if (!start_after(r, &after))
		return;
	s = sl_xcalloc(1, sizeof(*s));
	s->fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	s->conn = r->conn;
	s->who.app = r->app;
	s->who.actor.id = r->actor.id;
	s->who.actor.name = sl_xstrdup(r->actor.name);
	s->who.actor.role = sl_xstrdup(r->actor.role);
	s->who.actor.scope = r->actor.scope ? sl_xstrdup(r->actor.scope) : NULL;
	s->env = env && *env ? sl_xstrdup(env) : NULL;
	s->service = svc && *svc ? sl_xstrdup(svc) : NULL;
	s->last = after;
	s->token_id = r->actor.id;
	s->session_id = r->session_id;
	s->ends = r->actor.expires_at;
	if (r->session_id && (!s->ends || r->session_expires < s->ends))
		s->ends = r->session_expires;
	s->cap = hub.cap;
	s->buf = sl_xmalloc(s->cap);
	s->sent_at = s->spoke_at = mono_ms();
	memcpy(s->buf, hello, sizeof(hello) - 1);
	s->len = sizeof(hello) - 1;
	r->stream = s;
	r->status = 200;
	r->content_type = "text/event-stream";
	r->cache_control = "no-cache";
}

struct MHD_Response *sl_stream_response(struct sl_req *r)
{
	struct sub *s = r->stream;
	struct MHD_Response *resp = MHD_create_response_from_callback(
		MHD_SIZE_UNKNOWN, 4096, sub_read, s, sub_free);

	if (!resp)
		return NULL;
	/* From here libmicrohttpd owns it: sub_free runs when the
	 * connection is done with the answer. */
	r->stream = NULL;
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	{
		/* What waits for a subscriber waits in its buffer, where the
		 * stall is seen, not megabytes deep in the kernel. */
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
			r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		int sndbuf = SNDBUF;

		s->fd = ci ? ci->connect_fd : -1;
		if (ci)
			setsockopt(ci->connect_fd, SOL_SOCKET, SO_SNDBUF,
				   &sndbuf, sizeof(sndbuf));
	}
	pthread_mutex_lock(&hub.mu);
	s->next = hub.subs;
	hub.subs = s;
	pthread_cond_signal(&hub.wake);
	pthread_mutex_unlock(&hub.mu);
	return resp;
}

void sl_stream_stats(size_t *subscribers, uint64_t *let_go)
{
	size_t n = 0;

	pthread_mutex_lock(&hub.mu);
	for (struct sub *s = hub.subs; s; s = s->next)
		n++;
	*subscribers = n;
	*let_go = hub.let_go;
	pthread_mutex_unlock(&hub.mu);
}

void sl_stream_discard(struct sl_req *r)
{
	if (r->stream)
		sub_free(r->stream);
	r->stream = NULL;
}
