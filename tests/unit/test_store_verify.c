/* test_store_verify.c - what verification keeps (src/store/verify.c,
 * migration 12) on SQLite and, when SHIPLOG_TEST_PG names a server, on
 * PostgreSQL: policies per environment and service, the deployments the
 * worker picks up (succeeded, under a policy that was there when they
 * last changed, not begun), and the rounds that are due. */
#include <stdlib.h>

#include "store/store.h"
#include "test.h"

#define STORE_TEST_NAME "verify"
#include "store_backends.h"

/* An environment, a service and a release of it; the release's id. */
static int64_t world(struct sl_tx *tx, const char *env, const char *svc)
{
	int64_t rel = 0;
	char key[80];

	char *doc = NULL;
	int64_t rev = 0;

	if (sl_store_environment_get(tx, env, &doc, &rev, NULL) != SL_OK)
		SL_ASSERT(sl_store_environment_insert(tx, env, 1, 1, "{}",
						      NULL) == SL_OK);
	free(doc);
	SL_ASSERT(sl_store_service_insert(tx, svc, 1, "{}", NULL, 0, NULL) ==
		  SL_OK);
	snprintf(key, sizeof(key), "%s-1", svc);
	SL_ASSERT(sl_store_release_insert(tx, svc, "1.0.0", key, "released",
					  "minor", 1, &rel, NULL) == SL_OK);
	return rel;
}

/* A deployment of rel in status, last changed at. */
static int64_t dep(struct sl_tx *tx, int64_t rel, const char *svc,
		   const char *env, const char *status, int64_t at)
{
	int64_t id = 0;

	SL_ASSERT(sl_store_deployment_insert(tx, rel, svc, env, "", status, at,
					     &id, NULL) == SL_OK);
	SL_ASSERT(sl_store_deployment_update(tx, id, 0, status, at, "{}",
					     NULL) == SL_OK);
	return id;
}

/* The ids as "1,3". */
static const char *list(const struct sl_verification_ids *ids)
{
	static char buf[200];
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ids->n && n < sizeof(buf); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%lld",
				      i ? "," : "", (long long)ids->v[i]);
	return buf;
}

TEST(policies_are_kept_per_environment_and_service_with_revisions)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t rev = 0;

	world(&tx, "prod", "api");
	CHECK_INT(sl_store_verify_policy_put(&tx, "prod", "", "{\"a\":1}", 10,
					     &rev, &err),
		  SL_OK);
	CHECK_INT(rev, 1);
	CHECK_INT(sl_store_verify_policy_put(&tx, "prod", "", "{\"a\":2}", 20,
					     &rev, &err),
		  SL_OK);
	CHECK_INT(rev, 2);
	CHECK_INT(sl_store_verify_policy_put(&tx, "prod", "api", "{\"s\":1}",
					     30, &rev, &err),
		  SL_OK);
	CHECK_INT(rev, 1);
	CHECK_INT(sl_store_verify_policy_get(&tx, "prod", "", &doc, &rev, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"a\":2}");
	CHECK_INT(rev, 2);
	free(doc);
	CHECK_INT(sl_store_verify_policy_delete(&tx, "prod", "api", &err),
		  SL_OK);
	CHECK_INT(sl_store_verify_policy_delete(&tx, "prod", "api", &err),
		  SL_ENOTFOUND);
	doc = NULL;
	CHECK_INT(sl_store_verify_policy_get(&tx, "prod", "api", &doc, &rev,
					     &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	CHECK_INT(sl_store_verify_policy_get(&tx, "nowhere", "", &doc, &rev,
					     &err),
		  SL_ENOTFOUND);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(candidates_are_succeeded_under_a_policy_since_it_began_and_not_begun)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_verification_ids ids = {0};
	struct sl_error err = {0};
	int64_t rev, a = world(&tx, "prod", "api");
	int64_t b = world(&tx, "stage", "web");
	int64_t c = world(&tx, "stage", "db");
	int64_t old, now1, busy, elsewhere, svc_other, svc_own;

	SL_ASSERT(sl_store_environment_insert(&tx, "dev", 1, 1, "{}", NULL) ==
		  SL_OK);
	/* prod verifies everything from 100 on; stage only service db,
	 * and prod's api has its own policy too (one candidate, not two). */
	SL_ASSERT(sl_store_verify_policy_put(&tx, "prod", "", "{}", 100, &rev,
					     NULL) == SL_OK);
	SL_ASSERT(sl_store_verify_policy_put(&tx, "prod", "api", "{}", 100,
					     &rev, NULL) == SL_OK);
	SL_ASSERT(sl_store_verify_policy_put(&tx, "stage", "db", "{}", 100,
					     &rev, NULL) == SL_OK);
	old = dep(&tx, a, "api", "prod", "succeeded", 50);
	now1 = dep(&tx, a, "api", "prod", "succeeded", 150);
	busy = dep(&tx, a, "api", "prod", "in_progress", 150);
	elsewhere = dep(&tx, a, "api", "dev", "succeeded", 150);
	svc_other = dep(&tx, b, "web", "stage", "succeeded", 150);
	svc_own = dep(&tx, c, "db", "stage", "succeeded", 150);
	(void)old, (void)busy, (void)elsewhere, (void)svc_other;
	CHECK_INT(sl_store_verification_candidates(&tx, 10, &ids, &err), SL_OK);
	{
		char want[64];

		snprintf(want, sizeof(want), "%lld,%lld", (long long)now1,
			 (long long)svc_own);
		CHECK_STR(list(&ids), want);
	}
	sl_verification_ids_fini(&ids);
	CHECK_INT(sl_store_verification_insert(&tx, now1, "running", 150, 150,
					       "{}", &err),
		  SL_OK);
	CHECK_INT(sl_store_verification_candidates(&tx, 10, &ids, &err), SL_OK);
	{
		char want[32];

		snprintf(want, sizeof(want), "%lld", (long long)svc_own);
		CHECK_STR(list(&ids), want);
	}
	sl_verification_ids_fini(&ids);
	CHECK_INT(sl_store_verification_candidates(&tx, 0, &ids, &err), SL_OK);
	CHECK_INT(ids.n, 0);
	sl_verification_ids_fini(&ids);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(due_rounds_are_running_ones_whose_time_came_the_longest_waiting_first)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_verification_ids ids = {0};
	struct sl_error err = {0};
	int64_t rel = world(&tx, "prod", "api");
	int64_t d1 = dep(&tx, rel, "api", "prod", "succeeded", 1);
	int64_t d2 = dep(&tx, rel, "api", "prod", "succeeded", 1);
	int64_t d3 = dep(&tx, rel, "api", "prod", "verified", 1);
	char want[64], *doc = NULL;

	CHECK_INT(sl_store_verification_insert(&tx, d1, "running", 20, 1,
					       "{\"n\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_verification_insert(&tx, d2, "running", 10, 1,
					       "{\"n\":2}", &err),
		  SL_OK);
	CHECK_INT(sl_store_verification_insert(&tx, d3, "verified", 0, 1, "{}",
					       &err),
		  SL_OK);
	CHECK_INT(sl_store_verification_insert(&tx, d1, "running", 0, 1, "{}",
					       &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_verification_due(&tx, 15, 10, &ids, &err), SL_OK);
	snprintf(want, sizeof(want), "%lld", (long long)d2);
	CHECK_STR(list(&ids), want);
	sl_verification_ids_fini(&ids);
	CHECK_INT(sl_store_verification_due(&tx, 25, 10, &ids, &err), SL_OK);
	snprintf(want, sizeof(want), "%lld,%lld", (long long)d2, (long long)d1);
	CHECK_STR(list(&ids), want);
	sl_verification_ids_fini(&ids);
	CHECK_INT(sl_store_verification_update(&tx, d2, "failed", 0, 30,
					       "{\"n\":3}", &err),
		  SL_OK);
	CHECK_INT(sl_store_verification_due(&tx, 25, 10, &ids, &err), SL_OK);
	snprintf(want, sizeof(want), "%lld", (long long)d1);
	CHECK_STR(list(&ids), want);
	sl_verification_ids_fini(&ids);
	CHECK_INT(sl_store_verification_get(&tx, d2, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"n\":3}");
	free(doc);
	CHECK_INT(sl_store_verification_update(&tx, 999, "failed", 0, 30, "{}",
					       &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_verification_get(&tx, 999, &doc, &err),
		  SL_ENOTFOUND);
	sl_store_abort(&tx);
	sl_store_close(st);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(policies_are_kept_per_environment_and_service_with_revisions),
		T(candidates_are_succeeded_under_a_policy_since_it_began_and_not_begun),
		T(due_rounds_are_running_ones_whose_time_came_the_longest_waiting_first),
	};
	return store_run_backends(cases, sizeof(cases) / sizeof(cases[0]));
}
