/* test_store_reports.c - what the compliance reports ask the store
 * (src/store/import.c, migration 16) on SQLite and, when SHIPLOG_TEST_PG
 * names a server, on PostgreSQL: which import brought a deployment in,
 * found by the deployment rather than by the source's id. */
#include <stdlib.h>

#include "store/store.h"
#include "test.h"

#define STORE_TEST_NAME "reports"
#include "store_backends.h"

TEST(an_imported_object_names_its_source_and_another_is_not_found)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *source = NULL;

	CHECK_INT(sl_store_import_link(&tx, "jira", "deployment", "d-1", "41",
				       5, &err),
		  SL_OK);
	CHECK_INT(sl_store_import_link(&tx, "jira", "release", "r-1", "42", 5,
				       &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_import_source_of(&tx, "deployment", "41", &source,
					    &err),
		  SL_OK);
	CHECK_STR(source, "jira");
	free(source);
	source = NULL;
	/* Release 42 is not deployment 42, and deployment 42 was not
	 * imported. */
	CHECK_INT(sl_store_import_source_of(&tx, "deployment", "42", &source,
					    &err),
		  SL_ENOTFOUND);
	CHECK(source == NULL);
	sl_store_abort(&tx);
	sl_store_close(st);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(an_imported_object_names_its_source_and_another_is_not_found),
	};
	return store_run_backends(cases, sizeof(cases) / sizeof(cases[0]));
}
