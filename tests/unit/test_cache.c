/* test_cache.c - the read cache's table: hits need the same key, token
 * and data version; a newer version drops the entry, and so does the
 * moment a clock-bound answer stops holding; the byte budget
 * evicts the least recently used entries first. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/cache.h"
#include "test.h"

static unsigned char v1[SL_DATA_VERSION_LEN], v2[SL_DATA_VERSION_LEN];

/* A hit's body, copied (the lent one is given back at once). */
static int get(const char *key, size_t len, int64_t token,
	       const unsigned char *v, char **body)
{
	struct sl_cached c = {0};
	int hit = sl_cache_get(key, len, token, v, 0, &c);

	*body = hit ? strdup(c.body) : NULL;
	sl_cache_release(c.ref);
	return hit;
}

TEST(hits_need_same_key_token_and_version)
{
	static const char ct[] = "application/json";
	char *body = NULL;
	struct sl_cached c = {0};

	sl_cache_clear();
	/* Keys hold NUL-separated parts: "a\0b" and "a\0c" differ. */
	sl_cache_put("/x\0a=1", 6, 7, v1, 0, "{\"n\":1}", ct, "\"3\"");
	CHECK_INT(sl_cache_get("/x\0a=1", 6, 7, v1, 0, &c), 1);
	CHECK_STR(c.body, "{\"n\":1}");
	CHECK_STR(c.etag, "\"3\"");
	CHECK(c.content_type == ct);
	CHECK_INT((long long)c.body_len, 7);
	sl_cache_release(c.ref);
	CHECK_INT(get("/x\0a=2", 6, 7, v1, &body), 0);
	CHECK_INT(get("/x", 2, 7, v1, &body), 0);
	CHECK_INT(get("/x\0a=1", 6, 8, v1, &body), 0);
	/* Another version: a miss, and the old entry is gone for good. */
	CHECK_INT(get("/x\0a=1", 6, 7, v2, &body), 0);
	CHECK_INT(get("/x\0a=1", 6, 7, v1, &body), 0);
}

TEST(a_lent_body_outlives_its_entry)
{
	struct sl_cached c = {0};
	char *body = NULL;

	sl_cache_clear();
	sl_cache_put("/lent", 5, 1, v1, 0, "{\"kept\":true}",
		     "application/json", "");
	CHECK_INT(sl_cache_get("/lent", 5, 1, v1, 0, &c), 1);
	/* A reply is still sending the body when a write retires the entry
	 * and the table is emptied: the body stays until it is given back
	 * (under ASan a use after free would fail here). */
	CHECK_INT(get("/lent", 5, 1, v2, &body), 0);
	sl_cache_clear();
	CHECK_STR(c.body, "{\"kept\":true}");
	sl_cache_release(c.ref);
	CHECK_INT(get("/lent", 5, 1, v1, &body), 0);
}

TEST(an_answer_bound_to_the_clock_stops_at_its_moment)
{
	struct sl_cached c = {0};

	sl_cache_clear();
	sl_cache_put("/gate", 5, 1, v1, 1000, "{\"allowed\":true}",
		     "application/json", "");
	CHECK_INT(sl_cache_get("/gate", 5, 1, v1, 999, &c), 1);
	CHECK_STR(c.body, "{\"allowed\":true}");
	sl_cache_release(c.ref);
	/* At the moment itself it no longer holds, and is gone for good. */
	CHECK_INT(sl_cache_get("/gate", 5, 1, v1, 1000, &c), 0);
	CHECK_INT(sl_cache_get("/gate", 5, 1, v1, 999, &c), 0);
	/* 0: no moment; any clock reading hits. */
	sl_cache_put("/plain", 6, 1, v1, 0, "{}", "application/json", "");
	CHECK_INT(sl_cache_get("/plain", 6, 1, v1, INT64_MAX, &c), 1);
	sl_cache_release(c.ref);
}

TEST(the_budget_evicts_least_recently_used_first)
{
	/* 1 MiB over 16 stripes: 64 KiB a stripe. Entries of ~8 KiB, all
	 * in one stripe or another: put 400 (3.2 MB), reading the first
	 * one after every put keeps it; the second, never read, goes. */
	char key[32], *big = malloc(8001), *body = NULL;
	uint64_t hits, misses;
	size_t bytes;
	int kept = 0;

	memset(big, 'x', 8000);
	big[8000] = '\0';
	sl_cache_clear();
	for (int i = 0; i < 400; i++) {
		int n = snprintf(key, sizeof(key), "/k%d", i);

		sl_cache_put(key, (size_t)n, 1, v1, 0, big, "application/json",
			     "");
		if (get("/k0", 3, 1, v1, &body))
			kept++;
		free(body);
	}
	CHECK_INT(kept, 400);
	CHECK_INT(get("/k1", 3, 1, v1, &body), 0);
	free(body);
	CHECK_INT(get("/k399", 5, 1, v1, &body), 1);
	free(body);
	sl_cache_stats(&hits, &misses, &bytes);
	CHECK(bytes <= 1024 * 1024);
	CHECK(bytes >= 512 * 1024);
	free(big);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(a_lent_body_outlives_its_entry),
		T(an_answer_bound_to_the_clock_stops_at_its_moment),
		T(hits_need_same_key_token_and_version),
		T(the_budget_evicts_least_recently_used_first),
	};
	int passed = 0, failed = 0;

	setenv("SHIPLOG_CACHE_MB", "1", 1);
	memset(v2, 1, sizeof(v2));
	t_run(cases, sizeof(cases) / sizeof(cases[0]), &passed, &failed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
