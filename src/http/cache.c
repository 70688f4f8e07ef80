/* cache.c - answers of read routes, kept while the data is unchanged.
 *
 * A read route flagged SL_R_CACHE answers from stored data alone (never
 * from the clock), so its answer for one request target and one token is
 * the same as long as nothing has been committed. Such answers are kept
 * with the database's data version (sl_store_data_version) they were
 * computed at; a later request with the same target and token, seeing the
 * same version, gets a copy without a query. Any commit, by this daemon or
 * another process, moves the version and so retires every entry at once;
 * stale entries are dropped when met or pushed out by new ones.
 *
 * An answer that also depends on the clock (a gate verdict) is kept with
 * the moment it stops holding, and is not given out from then on.
 *
 * Entries are keyed by the raw request target and the token id (a token's
 * role and scope never change, and both decide what a list shows). The
 * table is split into stripes, each with its own lock, an LRU list and a
 * share of the byte budget (SHIPLOG_CACHE_MB, default 32; 0 turns it off). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "http/cache.h"

#define STRIPES 16
#define BUCKETS 512 /* per stripe */
/* Bigger answers are not kept: a page of 50 large documents is read
 * seldom twice, and a few of them would push out hundreds of small ones. */
#define ENTRY_MAX 16384

struct entry {
	struct entry *chain;	   /* bucket chain */
	struct entry *prev, *next; /* LRU, most recent first */
	uint64_t hash;
	int64_t token;
	int64_t until; /* 0, or when the answer stops holding */
	unsigned char version[SL_DATA_VERSION_LEN];
	const char *content_type;
	char etag[32];
	size_t cost;
	size_t key_len, body_len;
	int refs;   /* the table's (while linked) and each reply's in flight */
	char key[]; /* the key, a NUL, then the body */
};

static char *body_of(struct entry *e)
{
	return e->key + e->key_len + 1;
}

struct stripe {
	pthread_mutex_t lock;
	struct entry *bucket[BUCKETS];
	struct entry *head, *tail;
	size_t bytes;
};

static struct stripe stripes[STRIPES];
static size_t stripe_budget;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static uint64_t hits, misses;

static void init(void)
{
	const char *s = getenv("SHIPLOG_CACHE_MB");
	long mb = s && *s ? atol(s) : 32;

	if (mb < 0)
		mb = 0;
	stripe_budget = (size_t)mb * 1024 * 1024 / STRIPES;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i].lock, NULL);
}

int sl_cache_enabled(void)
{
	pthread_once(&once, init);
	return stripe_budget > 0;
}

/* FNV-1a over the target and the token. */
static uint64_t hash_of(const char *key, size_t len, int64_t token)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	for (int i = 0; i < 8; i++)
		h = (h ^ (uint64_t)((token >> (8 * i)) & 0xff)) *
		    1099511628211ULL;
	return h;
}

static void lru_unlink(struct stripe *s, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push(struct stripe *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (!s->tail)
		s->tail = e;
}

static void unref(struct entry *e)
{
	if (__atomic_sub_fetch(&e->refs, 1, __ATOMIC_ACQ_REL) == 0)
		free(e);
}

/* Unlinks e from its bucket and the LRU list and lets it go (it is freed
 * once no reply still sends its body). */
static void drop(struct stripe *s, struct entry *e)
{
	struct entry **at = &s->bucket[(e->hash / STRIPES) % BUCKETS];

	while (*at != e)
		at = &(*at)->chain;
	*at = e->chain;
	lru_unlink(s, e);
	s->bytes -= e->cost;
	unref(e);
}

static struct entry *find(struct stripe *s, uint64_t h, const char *key,
			  size_t len, int64_t token)
{
	struct entry *e = s->bucket[(h / STRIPES) % BUCKETS];

	for (; e; e = e->chain)
		if (e->hash == h && e->token == token && e->key_len == len &&
		    memcmp(e->key, key, len) == 0)
			return e;
	return NULL;
}

int sl_cache_get(const char *key, size_t len, int64_t token,
		 const unsigned char version[SL_DATA_VERSION_LEN], int64_t now,
		 struct sl_cached *out)
{
	uint64_t h = hash_of(key, len, token);
	struct stripe *s = &stripes[h % STRIPES];
	struct entry *e;
	int hit = 0;

	if (!sl_cache_enabled())
		return 0;
	pthread_mutex_lock(&s->lock);
	e = find(s, h, key, len, token);
	if (e && (memcmp(e->version, version, SL_DATA_VERSION_LEN) != 0 ||
		  (e->until && now >= e->until))) {
		drop(s, e);
		e = NULL;
	}
	if (e) {
		__atomic_add_fetch(&e->refs, 1, __ATOMIC_RELAXED);
		out->body = body_of(e);
		out->body_len = e->body_len;
		out->ref = e;
		out->content_type = e->content_type;
		memcpy(out->etag, e->etag, sizeof(out->etag));
		lru_unlink(s, e);
		lru_push(s, e);
		hit = 1;
	}
	pthread_mutex_unlock(&s->lock);
	__atomic_fetch_add(hit ? &hits : &misses, 1, __ATOMIC_RELAXED);
	return hit;
}

void sl_cache_put(const char *key, size_t len, int64_t token,
		  const unsigned char version[SL_DATA_VERSION_LEN],
		  int64_t until, const char *body, const char *content_type,
		  const char *etag)
{
	size_t blen = strlen(body), elen = strlen(etag);
	uint64_t h = hash_of(key, len, token);
	struct stripe *s = &stripes[h % STRIPES];
	struct entry *e, *old;
	size_t cost = sizeof(*e) + len + 1 + blen + 1;

	if (!sl_cache_enabled() || cost > ENTRY_MAX || cost > stripe_budget ||
	    elen >= sizeof(e->etag))
		return;
	e = sl_xmalloc(cost);
	memset(e, 0, sizeof(*e));
	e->hash = h;
	e->token = token;
	e->until = until;
	memcpy(e->version, version, SL_DATA_VERSION_LEN);
	e->content_type = content_type;
	memcpy(e->etag, etag, elen + 1);
	e->cost = cost;
	e->key_len = len;
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->body_len = blen;
	e->refs = 1;
	memcpy(body_of(e), body, blen + 1);

	pthread_mutex_lock(&s->lock);
	old = find(s, h, key, len, token);
	if (old)
		drop(s, old);
	while (s->tail && s->bytes + cost > stripe_budget)
		drop(s, s->tail);
	e->chain = s->bucket[(h / STRIPES) % BUCKETS];
	s->bucket[(h / STRIPES) % BUCKETS] = e;
	lru_push(s, e);
	s->bytes += cost;
	pthread_mutex_unlock(&s->lock);
}

void sl_cache_release(void *ref)
{
	if (ref)
		unref(ref);
}

void sl_cache_stats(uint64_t *hit_count, uint64_t *miss_count, size_t *bytes)
{
	size_t total = 0;

	for (int i = 0; sl_cache_enabled() && i < STRIPES; i++) {
		pthread_mutex_lock(&stripes[i].lock);
		total += stripes[i].bytes;
		pthread_mutex_unlock(&stripes[i].lock);
	}
	*hit_count = __atomic_load_n(&hits, __ATOMIC_RELAXED);
	*miss_count = __atomic_load_n(&misses, __ATOMIC_RELAXED);
	*bytes = total;
}

void sl_cache_clear(void)
{
	for (int i = 0; sl_cache_enabled() && i < STRIPES; i++) {
		struct stripe *s = &stripes[i];

		pthread_mutex_lock(&s->lock);
		while (s->tail)
			drop(s, s->tail);
		pthread_mutex_unlock(&s->lock);
	}
}
