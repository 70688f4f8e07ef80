/* tokcache.c - a short-lived cache of token lookups.
 *
 * Every request carries a token; looking its digest up in the store on
 * each one would cost a query per request. Answers are kept for a short
 * time (SHIPLOG_TOKEN_CACHE_MS, default 2000; 0 turns the cache off) in a
 * small direct-mapped table. A revocation through this daemon clears the
 * table at once; another daemon of a cluster sees it within that time.
 * Hits are confirmed with a constant-time comparison of the digest. A
 * slot also keeps the token's own expiry, so a cached token is refused
 * from the moment it expires, however fresh the slot.
 *
 * It also keeps when tokens were last used. Writing last_used_at on every
 * request would make every read a write; instead a use is noted in memory
 * when the token's known last use is a minute old or more, and a flush
 * (from the daemon's once-a-second housekeeping, and at shutdown) writes
 * the noted uses in one transaction. So last_used_at is at most about a
 * minute behind, and a busy token costs one write a minute per daemon. */
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http/http.h"

#define SLOTS 256

struct slot {
	char hash[SL_TOKEN_HASH_HEX];
	int64_t id;
	char name[72];
	char role[32];
	char *scope; /* owned, NULL when unscoped */
	int64_t expires_ns;
	int64_t token_expires_at; /* the token's own, wall clock; 0 never */
	int64_t last_used_at;
	uint64_t gen;
};

/* A use waiting to be written. */
struct use {
	int64_t id;
	int64_t at;
};

#define MAX_USES 4096

static struct slot slots[SLOTS];
static uint64_t gen = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t ttl_ns = -1;

static struct use uses[MAX_USES];
static size_t nuses;
static pthread_mutex_t uses_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t ttl(void)
{
	if (__atomic_load_n(&ttl_ns, __ATOMIC_RELAXED) < 0) {
		const char *s = getenv("SHIPLOG_TOKEN_CACHE_MS");
		int64_t ms = s ? atoll(s) : 2000;

		__atomic_store_n(&ttl_ns, (ms > 0 ? ms : 0) * 1000000,
				 __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&ttl_ns, __ATOMIC_RELAXED);
}

static struct slot *slot_of(const char *hash)
{
	unsigned v = 0;

	for (int i = 0; i < 2; i++) {
		char c = hash[i];

		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
	}
	return &slots[v % SLOTS];
}

int sl_tokcache_get(const char *hash, int64_t now, struct sl_actor *out)
{
	struct slot *s = slot_of(hash);
	int hit = 0;

	if (!ttl())
		return 0;
	pthread_mutex_lock(&lock);
	if (s->gen == gen && s->expires_ns > now_ns() &&
	    (!s->token_expires_at || now < s->token_expires_at) &&
	    sodium_memcmp(s->hash, hash, SL_TOKEN_HASH_HEX - 1) == 0) {
		out->id = s->id;
		out->name = sl_xstrdup(s->name);
		out->role = sl_xstrdup(s->role);
		out->scope = s->scope ? sl_xstrdup(s->scope) : NULL;
		out->expires_at = s->token_expires_at;
		out->last_used_at = s->last_used_at;
		hit = 1;
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

void sl_tokcache_put(const char *hash, const struct sl_actor *a)
{
	struct slot *s = slot_of(hash);

	if (!ttl() || strlen(a->name) >= sizeof(s->name) ||
	    strlen(a->role) >= sizeof(s->role))
		return;
	pthread_mutex_lock(&lock);
	memcpy(s->hash, hash, SL_TOKEN_HASH_HEX);
	s->id = a->id;
	snprintf(s->name, sizeof(s->name), "%s", a->name);
	snprintf(s->role, sizeof(s->role), "%s", a->role);
	free(s->scope);
	s->scope = a->scope ? sl_xstrdup(a->scope) : NULL;
	s->expires_ns = now_ns() + ttl();
	s->token_expires_at = a->expires_at;
	s->last_used_at = a->last_used_at;
	s->gen = gen;
	pthread_mutex_unlock(&lock);
}

void sl_tokcache_clear(void)
{
	pthread_mutex_lock(&lock);
	gen++;
	pthread_mutex_unlock(&lock);
}

void sl_tokcache_touch(const char *hash, struct sl_actor *a, int64_t now)
{
	struct slot *s = slot_of(hash);
	size_t i;

	if (a->last_used_at && now - a->last_used_at < SL_TOKEN_USE_EVERY_US)
		return;
	a->last_used_at = now;
	pthread_mutex_lock(&lock);
	if (sodium_memcmp(s->hash, hash, SL_TOKEN_HASH_HEX - 1) == 0 &&
	    s->id == a->id && s->last_used_at < now)
		s->last_used_at = now;
	pthread_mutex_unlock(&lock);
	/* A token whose slot was taken by another is looked up again with
	 * its stored last use until the flush; note it once. */
	pthread_mutex_lock(&uses_lock);
	for (i = 0; i < nuses && uses[i].id != a->id; i++)
		;
	if (i < nuses) {
		if (uses[i].at < now)
			uses[i].at = now;
	} else if (nuses < MAX_USES) {
		uses[nuses].id = a->id;
		uses[nuses].at = now;
		nuses++;
	}
	pthread_mutex_unlock(&uses_lock);
}

/* Puts back uses a failed flush could not write, unless a newer use of
 * the same token arrived meanwhile. */
static void requeue(const struct use *u, size_t n)
{
	pthread_mutex_lock(&uses_lock);
	for (size_t k = 0; k < n; k++) {
		size_t i;

		for (i = 0; i < nuses && uses[i].id != u[k].id; i++)
			;
		if (i < nuses) {
			if (uses[i].at < u[k].at)
				uses[i].at = u[k].at;
		} else if (nuses < MAX_USES) {
			uses[nuses++] = u[k];
		}
	}
	pthread_mutex_unlock(&uses_lock);
}

enum sl_err sl_tokcache_flush(struct sl_store *st, struct sl_error *err)
{
	struct use *batch;
	struct sl_tx tx;
	size_t n;
	enum sl_err rc;

	pthread_mutex_lock(&uses_lock);
	n = nuses;
	batch = n ? sl_xmalloc(n * sizeof(*batch)) : NULL;
	if (n)
		memcpy(batch, uses, n * sizeof(*batch));
	nuses = 0;
	pthread_mutex_unlock(&uses_lock);
	if (!n)
		return SL_OK;
	rc = sl_store_begin(st, 1, &tx, err);
	for (size_t i = 0; rc == SL_OK && i < n; i++)
		rc = sl_store_token_used(&tx, batch[i].id, batch[i].at, err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	if (rc)
		requeue(batch, n);
	free(batch);
	return rc;
}
