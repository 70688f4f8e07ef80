/* tokcache.c - a short-lived cache of token lookups.
 *
 * Every request carries a token; looking its digest up in the store on
 * each one would cost a query per request. Answers are kept for a short
 * time (SHIPLOG_TOKEN_CACHE_MS, default 2000; 0 turns the cache off) in a
 * small direct-mapped table. A revocation through this daemon clears the
 * table at once; another daemon of a cluster sees it within that time.
 * Hits are confirmed with a constant-time comparison of the digest. */
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
	uint64_t gen;
};

static struct slot slots[SLOTS];
static uint64_t gen = 1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t ttl_ns = -1;

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

int sl_tokcache_get(const char *hash, struct sl_actor *out)
{
	struct slot *s = slot_of(hash);
	int hit = 0;

	if (!ttl())
		return 0;
	pthread_mutex_lock(&lock);
	if (s->gen == gen && s->expires_ns > now_ns() &&
	    sodium_memcmp(s->hash, hash, SL_TOKEN_HASH_HEX - 1) == 0) {
		out->id = s->id;
		out->name = sl_xstrdup(s->name);
		out->role = sl_xstrdup(s->role);
		out->scope = s->scope ? sl_xstrdup(s->scope) : NULL;
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
	s->gen = gen;
	pthread_mutex_unlock(&lock);
}

void sl_tokcache_clear(void)
{
	pthread_mutex_lock(&lock);
	gen++;
	pthread_mutex_unlock(&lock);
}
