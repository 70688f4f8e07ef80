/* cache.h - answers of read routes, kept while the data is unchanged
 * (see cache.c). */
#ifndef SL_HTTP_CACHE_H
#define SL_HTTP_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "store/db.h"

struct sl_cached {
	/* The kept body, lent to the caller: it stays valid, even if the
	 * entry is dropped meanwhile, until sl_cache_release(ref). */
	const char *body;
	size_t body_len;
	void *ref;
	const char *content_type; /* a string with static lifetime */
	char etag[32];
};

/* 1 unless SHIPLOG_CACHE_MB=0 turned the cache off. */
int sl_cache_enabled(void);
/* 1 and out filled when an answer for key (len bytes naming the path and
 * the query arguments) and token was kept at this data version and still
 * holds at now (microseconds since the epoch). */
int sl_cache_get(const char *key, size_t len, int64_t token,
		 const unsigned char version[SL_DATA_VERSION_LEN], int64_t now,
		 struct sl_cached *out);
/* Keeps a 200 answer computed at version (read before the handler ran)
 * that holds until the moment until (0: as long as the data is
 * unchanged); content_type must have static lifetime. */
void sl_cache_put(const char *key, size_t len, int64_t token,
		  const unsigned char version[SL_DATA_VERSION_LEN],
		  int64_t until, const char *body, const char *content_type,
		  const char *etag);
/* Gives back a body lent by sl_cache_get; NULL does nothing. */
void sl_cache_release(void *ref);
void sl_cache_stats(uint64_t *hits, uint64_t *misses, size_t *bytes);
/* Drops every entry (tests). */
void sl_cache_clear(void);

#endif
