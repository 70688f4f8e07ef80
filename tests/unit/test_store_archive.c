/* test_store_archive.c - what retention keeps (src/store/archive.c,
 * migration 14) on SQLite and, when SHIPLOG_TEST_PG names a server, on
 * PostgreSQL: the deployments an archive takes go with their events,
 * the watermark says what is archived, and a restore puts the rows back
 * as they were and lowers the watermark again. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "test.h"

#define STORE_TEST_NAME "archive"
#include "store_backends.h"

/* The index of kind in sl_store_archive_tables. */
static size_t table(const char *kind)
{
	for (size_t t = 0; t < sl_store_archive_ntables; t++)
		if (!strcmp(sl_store_archive_tables[t].kind, kind))
			return t;
	SL_ASSERT(!"an archive table of that kind");
	return 0;
}

TEST(an_archive_takes_a_deployment_with_its_events_and_restores_them)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_db_rows dep = {0}, ev = {0};
	struct sl_archive_cand *c = NULL;
	size_t n = 0;
	int64_t rel = 0, d1 = 0, d2 = 0, aid = 0, wm = -1, found = 0, before;
	int64_t restored = -1, seq = 0;
	char *doc = NULL, key[24];

	SL_ASSERT(sl_store_environment_insert(&tx, "prod", 1, 1, "{}", NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_service_insert(&tx, "api", 1, "{}", NULL, 0, NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_release_insert(&tx, "api", "1.0.0", "api-1",
					  "released", "minor", 1, &rel,
					  NULL) == SL_OK);
	SL_ASSERT(sl_store_deployment_insert(&tx, rel, "api", "prod", "",
					     "succeeded", 100, &d1,
					     NULL) == SL_OK);
	SL_ASSERT(sl_store_deployment_update(&tx, d1, 0, "succeeded", 100,
					     "{\"n\":1}", NULL) == SL_OK);
	SL_ASSERT(sl_store_event_insert(&tx, d1, 100, "{\"e\":1}", &found, &seq,
					NULL) == SL_OK);
	SL_ASSERT(sl_store_deployment_insert(&tx, rel, "api", "prod", "",
					     "succeeded", 900, &d2,
					     NULL) == SL_OK);
	CHECK_INT(sl_store_archive_watermark(&tx, &wm, &err), SL_OK);
	CHECK_INT(wm, 0);

	CHECK_INT(sl_store_archive_candidates(&tx, 500, &c, &n, &err), SL_OK);
	CHECK_INT(n, 1);
	CHECK_INT(c[0].id, d1);
	CHECK_STR(c[0].status, "succeeded");
	CHECK_INT(c[0].current, 0);
	free(c);
	CHECK_INT(sl_store_archive_open(&tx, 500, 1000, 7, &aid, &err), SL_OK);
	CHECK_INT(sl_store_archive_take_deployment(&tx, aid, d1, &err), SL_OK);
	CHECK_INT(sl_store_archive_take_rest(&tx, aid, 500, &err), SL_OK);
	CHECK_INT(sl_store_archive_rows(&tx, aid, table("deployment"), &dep,
					&err),
		  SL_OK);
	CHECK_INT(sl_store_archive_rows(&tx, aid, table("event"), &ev, &err),
		  SL_OK);
	CHECK_INT(dep.nrows, 1);
	CHECK_INT(ev.nrows, 1);
	CHECK_STR(sl_db_text(&dep, 0, 9), "{\"n\":1}");
	CHECK_INT(sl_store_archive_remove(&tx, aid, &err), SL_OK);
	CHECK_INT(sl_store_archive_seal(&tx, aid, "ab12", "{}", &err), SL_OK);
	CHECK_INT(sl_store_deployment_get(&tx, d1, &doc, &seq, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_archive_watermark(&tx, &wm, &err), SL_OK);
	CHECK_INT(wm, 500);
	snprintf(key, sizeof(key), "%lld", (long long)d1);
	CHECK_INT(sl_store_archive_find(&tx, "deployment", key, &found, &before,
					&err),
		  SL_OK);
	CHECK_INT(found, aid);
	CHECK_INT(before, 500);
	CHECK_INT(sl_store_archive_by_digest(&tx, "ab12", &found, &restored,
					     &err),
		  SL_OK);
	CHECK_INT(restored, 0);

	/* Back as it was; a second time each row finds itself there. */
	for (int round = 0; round < 2; round++) {
		const char *cells[10], *evc[5];

		for (size_t i = 0; i < 10; i++)
			cells[i] = sl_db_text(&dep, 0, i);
		for (size_t i = 0; i < 5; i++)
			evc[i] = sl_db_text(&ev, 0, i);
		CHECK_INT(sl_store_archive_put_row(&tx, table("deployment"),
						   cells, &err),
			  round ? SL_ECONFLICT : SL_OK);
		CHECK_INT(sl_store_archive_put_row(&tx, table("event"), evc,
						   &err),
			  round ? SL_ECONFLICT : SL_OK);
	}
	CHECK_INT(sl_store_archive_restored(&tx, aid, 2000, &err), SL_OK);
	CHECK_INT(sl_store_deployment_get(&tx, d1, &doc, &seq, &err), SL_OK);
	CHECK_STR(doc, "{\"n\":1}");
	CHECK_INT(sl_store_archive_watermark(&tx, &wm, &err), SL_OK);
	CHECK_INT(wm, 0);
	CHECK_INT(sl_store_archive_find(&tx, "deployment", key, &found, &before,
					&err),
		  SL_ENOTFOUND);
	free(doc);
	sl_db_rows_fini(&dep);
	sl_db_rows_fini(&ev);
	sl_store_abort(&tx);
	sl_store_close(st);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(an_archive_takes_a_deployment_with_its_events_and_restores_them),
	};
	return store_run_backends(cases, sizeof(cases) / sizeof(cases[0]));
}
