/* test_store.c - the store on a real SQLite file and, when
 * SHIPLOG_TEST_PG names a PostgreSQL server (tests/run starts one), on
 * PostgreSQL too: migrations, revisions, conflicts, lists, audit
 * numbering, transactions, durability. Every test runs once per backend,
 * each on a fresh database. */
#include <libpq-fe.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/db.h"
#include "store/migrations.h"
#include "store/store.h"
#include "test.h"

#define STORE_TEST_NAME "store"
#include "store_backends.h"

static int64_t audit(struct sl_tx *tx, const char *action)
{
	struct sl_audit_entry e = {
		.at = 1,
		.actor = "tester",
		.action = action,
		.object_type = "thing",
		.object_id = "1",
		.change = "[]",
	};
	int64_t seq = -1;

	SL_ASSERT(sl_store_audit_append(tx, &e, &seq, NULL) == SL_OK);
	return seq;
}

TEST(migrations_apply_once_and_reopen_cleanly)
{
	struct sl_store *st = fresh(), *again = NULL;
	struct sl_error err = {0};

	CHECK_INT(sl_store_schema_version(st),
		  sl_migrations[sl_migrations_count - 1].version);
	CHECK_STR(sl_store_engine(st), engine);
	sl_store_close(st);
	CHECK_INT(sl_store_open(path, &again, &err), SL_OK);
	CHECK_INT(sl_store_schema_version(again),
		  sl_migrations[sl_migrations_count - 1].version);
	CHECK_INT(sl_store_ping(again, &err), SL_OK);
	sl_store_close(again);
}

TEST(service_revision_guards_updates)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_tag tags[] = {{"bu", "pay"}};
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t rev = 0;

	CHECK_INT(sl_store_service_insert(&tx, "api", 10, "{\"v\":1}", tags, 1,
					  &err),
		  SL_OK);
	CHECK_INT(sl_store_service_insert(&tx, "api", 11, "{}", NULL, 0, &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "name");
	CHECK_INT(sl_store_service_update(&tx, "api", 1, 12, "{\"v\":2}", tags,
					  1, &err),
		  SL_OK);
	CHECK_INT(sl_store_service_update(&tx, "api", 1, 13, "{\"v\":3}", tags,
					  1, &err),
		  SL_EPRECOND);
	CHECK_INT(sl_store_service_update(&tx, "nope", 1, 13, "{}", NULL, 0,
					  &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_service_get(&tx, "api", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"v\":2}");
	CHECK_INT(rev, 2);
	free(doc);
	CHECK_INT(sl_store_service_delete(&tx, "api", &err), SL_OK);
	CHECK_INT(sl_store_service_get(&tx, "api", &doc, &rev, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	sl_store_close(st);
}

TEST(service_list_pages_by_name_and_filters_by_tag)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_tag pay[] = {{"bu", "pay"}}, ship[] = {{"bu", "ship"}};
	struct sl_filter f = {.limit = 2};
	struct sl_docs rows;
	const char *names[] = {"d", "a", "c", "b"};

	for (int i = 0; i < 4; i++)
		sl_store_service_insert(&tx, names[i], 1, "{}",
					i % 2 ? pay : ship, 1, NULL);
	CHECK_INT(sl_store_service_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 2);
	CHECK_STR(rows.v[0].name, "a");
	CHECK_STR(rows.v[1].name, "b");
	sl_docs_fini(&rows);
	f.cursor_name = "b";
	CHECK_INT(sl_store_service_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 2);
	CHECK_STR(rows.v[0].name, "c");
	sl_docs_fini(&rows);
	f = (struct sl_filter){
		.limit = 10, .tag_key = "bu", .tag_value = "pay"};
	CHECK_INT(sl_store_service_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 2);
	CHECK_STR(rows.v[0].name, "a");
	CHECK_STR(rows.v[1].name, "b");
	sl_docs_fini(&rows);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(releases_are_unique_by_precedence_and_listed_newest_first)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_filter f = {.limit = 10, .status = "planned"};
	struct sl_docs rows;
	int64_t a = 0, b = 0, found = 0;

	sl_store_service_insert(&tx, "api", 1, "{}", NULL, 0, NULL);
	CHECK_INT(sl_store_release_insert(&tx, "api", "1.0.0", "k100", "draft",
					  "major", 5, &a, &err),
		  SL_OK);
	CHECK_INT(sl_store_release_insert(&tx, "api", "1.0.0+b", "k100",
					  "draft", "major", 6, &b, &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "version");
	CHECK_INT(sl_store_release_insert(&tx, "api", "1.1.0", "k110",
					  "planned", "minor", 7, &b, &err),
		  SL_OK);
	CHECK(b > a);
	CHECK_INT(sl_store_release_find(&tx, "api", "k110", &found, &err),
		  SL_OK);
	CHECK_INT(found, b);
	CHECK_INT(sl_store_release_find(&tx, "api", "k999", &found, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_release_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 1);
	CHECK_INT(rows.v[0].id, b);
	sl_docs_fini(&rows);
	f = (struct sl_filter){.limit = 10, .cursor = b};
	CHECK_INT(sl_store_release_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 1);
	CHECK_INT(rows.v[0].id, a);
	sl_docs_fini(&rows);
	f = (struct sl_filter){.limit = 10, .since = 7};
	CHECK_INT(sl_store_release_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 1);
	sl_docs_fini(&rows);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(placement_tracks_latest_and_running)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_filter f = {0};
	struct sl_docs rows;
	int64_t rel = 0, d1 = 0, d2 = 0, running = -1;
	char *run = NULL, *latest = NULL;

	sl_store_service_insert(&tx, "api", 1, "{}", NULL, 0, NULL);
	sl_store_environment_insert(&tx, "prod", 20, 1, "{}", NULL);
	sl_store_release_insert(&tx, "api", "1.0.0", "k", "draft", "major", 1,
				&rel, NULL);
	sl_store_deployment_insert(&tx, rel, "api", "prod", "", "succeeded", 2,
				   &d1, NULL);
	sl_store_deployment_update(&tx, d1, 0, "succeeded", 2, "{\"d\":1}",
				   NULL);
	sl_store_deployment_insert(&tx, rel, "api", "prod", "", "failed", 3,
				   &d2, NULL);
	sl_store_deployment_update(&tx, d2, 0, "failed", 3, "{\"d\":2}", NULL);
	CHECK_INT(sl_store_placement_refresh(&tx, "api", "prod", "", NULL),
		  SL_OK);
	CHECK_INT(sl_store_placement_get(&tx, "api", "prod", "", &run, &latest,
					 NULL),
		  SL_OK);
	CHECK_STR(run, "{\"d\":1}");
	CHECK_STR(latest, "{\"d\":2}");
	free(run);
	free(latest);
	CHECK_INT(sl_store_placement_set_item(&tx, "api", "prod", "",
					      "{\"i\":1}", NULL),
		  SL_OK);
	CHECK_INT(sl_store_placement_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 1);
	CHECK_STR(rows.v[0].name, "api");
	CHECK_STR(rows.v[0].environment, "prod");
	CHECK_STR(rows.v[0].target, "");
	CHECK_STR(rows.v[0].doc, "{\"i\":1}");
	sl_docs_fini(&rows);
	f.service = "other";
	CHECK_INT(sl_store_placement_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_deployment_running(&tx, "api", "prod", "", 0,
					      &running, NULL),
		  SL_OK);
	CHECK_INT(running, d1);
	CHECK_INT(sl_store_deployment_running(&tx, "api", "prod", "", d1,
					      &running, NULL),
		  SL_OK);
	CHECK_INT(running, 0);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

/* The seq an entry has once numbered: at once where one writer writes
 * (what append returned), else what the sequencer gives it. */
static int64_t numbered(struct sl_store *st, int64_t appended, int64_t want)
{
	struct sl_tx tx;
	int64_t n = -1;

	if (sl_store_numbers_at_once(st))
		return appended;
	CHECK_INT(appended, 0);
	SL_ASSERT(sl_store_begin_exclusive(st, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_audit_number(&tx, &n, NULL), SL_OK);
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
	CHECK_INT(n, want > 0);
	return want > 0 ? want : 0;
}

TEST(audit_sequence_is_gap_free_and_rolled_back_writes_leave_nothing)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_filter f = {.limit = 10};
	struct sl_audit_rows rows;
	int64_t a, b, c, n = -1;

	a = audit(&tx, "a");
	b = audit(&tx, "b");
	sl_store_commit(&tx, NULL);
	if (!sl_store_numbers_at_once(st)) {
		/* Both of one commit numbered in one round, in order. */
		SL_ASSERT(sl_store_begin_exclusive(st, &tx, NULL) == SL_OK);
		CHECK_INT(sl_store_audit_number(&tx, &n, NULL), SL_OK);
		SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
		CHECK_INT(n, 2);
		a = 1, b = 2;
	}
	CHECK_INT(a, 1);
	CHECK_INT(b, 2);
	tx = wtx(st);
	audit(&tx, "lost");
	sl_store_abort(&tx);
	/* Nothing left to number: the rolled-back entry is no entry. */
	CHECK_INT(numbered(st, 0, 0), 0);
	tx = wtx(st);
	c = audit(&tx, "c");
	sl_store_commit(&tx, NULL);
	CHECK_INT(numbered(st, c, 3), 3);
	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_audit_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 3);
	CHECK_STR(rows.v[2].action, "c");
	sl_audit_rows_fini(&rows);
	f.after = 2;
	CHECK_INT(sl_store_audit_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 1);
	CHECK_INT(rows.v[0].seq, 3);
	sl_audit_rows_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* Writers side by side: an entry is numbered when the sequencer sees it
 * committed, in the order of provisional ids among those it sees; an
 * entry of a write still open is left for a later round, and nobody's
 * number is taken twice. */
TEST(entries_committed_side_by_side_are_numbered_gap_free_as_they_commit)
{
	struct sl_store *st = fresh();
	struct sl_tx slow, fast, tx;
	struct sl_filter f = {.limit = 10};
	struct sl_audit_rows rows;
	int64_t n = -1, pending = -1;

	if (sl_store_numbers_at_once(st)) {
		/* One writer: nothing is left to number, ever. */
		tx = wtx(st);
		CHECK_INT(audit(&tx, "a"), 1);
		CHECK_INT(sl_store_audit_unnumbered(&tx, &pending, NULL),
			  SL_OK);
		CHECK_INT(pending, 0);
		sl_store_commit(&tx, NULL);
		sl_store_close(st);
		return;
	}
	slow = wtx(st);
	CHECK_INT(audit(&slow, "slow"), 0); /* the lower id */
	fast = wtx(st);
	CHECK_INT(audit(&fast, "fast"), 0);
	SL_ASSERT(sl_store_commit(&fast, NULL) == SL_OK);
	SL_ASSERT(sl_store_begin_exclusive(st, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_audit_unnumbered(&tx, &pending, NULL), SL_OK);
	CHECK_INT(pending, 1);
	CHECK_INT(sl_store_audit_number(&tx, &n, NULL), SL_OK);
	CHECK_INT(n, 1); /* only what was committed */
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
	SL_ASSERT(sl_store_commit(&slow, NULL) == SL_OK);
	SL_ASSERT(sl_store_begin_exclusive(st, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_audit_number(&tx, &n, NULL), SL_OK);
	CHECK_INT(n, 1);
	CHECK_INT(sl_store_audit_number(&tx, &n, NULL), SL_OK);
	CHECK_INT(n, 0);
	CHECK_INT(sl_store_audit_unnumbered(&tx, &pending, NULL), SL_OK);
	CHECK_INT(pending, 0);
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_audit_list(&tx, &f, &rows, NULL), SL_OK);
	CHECK_INT(rows.n, 2);
	if (rows.n == 2) {
		CHECK_INT(rows.v[0].seq, 1);
		CHECK_STR(rows.v[0].action, "fast");
		CHECK_INT(rows.v[1].seq, 2);
		CHECK_STR(rows.v[1].action, "slow");
	}
	sl_audit_rows_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(tokens_are_found_by_hash_until_revoked)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_tokens t = {0};
	int64_t id = 0, got = 0, n = 0;
	char *hash = NULL;

	CHECK_INT(sl_store_token_insert(&tx, "ci", "deployer", "h1", 1, "admin",
					"{\"groups\":[\"qa\"]}", 0, &id, &err),
		  SL_OK);
	CHECK_INT(sl_store_token_insert(&tx, "ci", "admin", "h2", 1, "admin",
					NULL, 0, &got, &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_token_find(&tx, "h1", 2, &t, &hash, &err), SL_OK);
	CHECK_INT(t.n, 1);
	CHECK_STR(t.v[0].scope, "{\"groups\":[\"qa\"]}");
	CHECK_STR(hash, "h1");
	free(hash);
	CHECK_INT(t.v[0].id, id);
	CHECK_STR(t.v[0].name, "ci");
	CHECK_STR(t.v[0].role, "deployer");
	CHECK_STR(t.v[0].created_by, "admin");
	CHECK_INT(t.v[0].created_at, 1);
	CHECK_INT(t.v[0].revoked_at, 0);
	CHECK_INT(t.v[0].expires_at, 0);
	CHECK_INT(t.v[0].last_used_at, 0);
	sl_tokens_fini(&t);
	CHECK_INT(sl_store_token_revoke(&tx, id, 2, &err), SL_OK);
	CHECK_INT(sl_store_token_revoke(&tx, id, 3, &err), SL_ENOTFOUND);
	CHECK_INT(sl_store_token_find(&tx, "h1", 3, &t, &hash, &err),
		  SL_ENOTFOUND);
	CHECK_INT(t.n, 0);
	CHECK(hash == NULL);
	CHECK_INT(sl_store_token_get(&tx, id, &t, &err), SL_OK);
	CHECK_INT(t.v[0].revoked_at, 2);
	sl_tokens_fini(&t);
	CHECK_INT(sl_store_token_count(&tx, NULL, 3, &n, &err), SL_OK);
	CHECK_INT(n, 0);
	sl_store_token_insert(&tx, "ops", "admin", "h3", 4, "admin", NULL, 0,
			      &got, &err);
	CHECK_INT(sl_store_token_count(&tx, NULL, 5, &n, &err), SL_OK);
	CHECK_INT(n, 1);
	CHECK_INT(sl_store_token_count(&tx, "deployer", 5, &n, &err), SL_OK);
	CHECK_INT(n, 0);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(tokens_expire_and_remember_their_last_use)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_tokens rows = {0};
	int64_t id = 0, n = 0;
	char *hash = NULL;

	CHECK_INT(sl_store_token_insert(&tx, "brief", "admin", "h1", 10,
					"admin", NULL, 100, &id, &err),
		  SL_OK);
	CHECK_INT(sl_store_token_find(&tx, "h1", 99, &rows, &hash, &err),
		  SL_OK);
	CHECK_INT(rows.v[0].expires_at, 100);
	CHECK_INT(rows.v[0].last_used_at, 0);
	sl_tokens_fini(&rows);
	free(hash);
	CHECK_INT(sl_store_token_count(&tx, "admin", 99, &n, &err), SL_OK);
	CHECK_INT(n, 1);
	/* At its expiry the token is gone, as if unknown. */
	CHECK_INT(sl_store_token_find(&tx, "h1", 100, &rows, &hash, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_token_count(&tx, "admin", 100, &n, &err), SL_OK);
	CHECK_INT(n, 0);
	/* Last use only moves forward. */
	CHECK_INT(sl_store_token_used(&tx, id, 50, &err), SL_OK);
	CHECK_INT(sl_store_token_used(&tx, id, 40, &err), SL_OK);
	CHECK_INT(sl_store_token_get(&tx, id, &rows, &err), SL_OK);
	CHECK_INT(rows.v[0].expires_at, 100);
	CHECK_INT(rows.v[0].last_used_at, 50);
	sl_tokens_fini(&rows);
	CHECK_INT(sl_store_token_get(&tx, id + 1, &rows, &err), SL_ENOTFOUND);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(idempotency_records_keep_the_first_answer)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_idem rec = {"POST", "/v1/services", "abc", "{\"a\":1}", 201};
	struct sl_idem got;
	struct sl_error err = {0};

	CHECK_INT(sl_store_idem_put(&tx, "admin", "k1", &rec, 1, &err), SL_OK);
	CHECK_INT(sl_store_idem_put(&tx, "admin", "k1", &rec, 1, &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_idem_put(&tx, "other", "k1", &rec, 1, &err), SL_OK);
	CHECK_INT(sl_store_idem_get(&tx, "admin", "k1", &got, &err), SL_OK);
	CHECK_STR(got.response, "{\"a\":1}");
	CHECK_STR(got.body_hash, "abc");
	CHECK_INT(got.status, 201);
	sl_store_idem_fini(&got);
	CHECK_INT(sl_store_idem_get(&tx, "admin", "k2", &got, &err),
		  SL_ENOTFOUND);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(committed_writes_survive_reopen_and_aborted_ones_do_not)
{
	struct sl_store *st = fresh(), *again = NULL;
	struct sl_tx tx = wtx(st);
	char *doc = NULL;
	int64_t rev;

	sl_store_environment_insert(&tx, "kept", 1, 1, "{\"k\":1}", NULL);
	sl_store_commit(&tx, NULL);
	tx = wtx(st);
	sl_store_environment_insert(&tx, "dropped", 2, 1, "{}", NULL);
	sl_store_abort(&tx);
	sl_store_close(st);
	SL_ASSERT(sl_store_open(path, &again, NULL) == SL_OK);
	SL_ASSERT(sl_store_begin(again, 0, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_environment_get(&tx, "kept", &doc, &rev, NULL),
		  SL_OK);
	CHECK_STR(doc, "{\"k\":1}");
	free(doc);
	CHECK_INT(sl_store_environment_get(&tx, "dropped", &doc, &rev, NULL),
		  SL_ENOTFOUND);
	sl_store_abort(&tx);
	sl_store_close(again);
}

static enum sl_err env_read(struct sl_store *st, const char *name)
{
	struct sl_tx tx;
	char *doc = NULL;
	int64_t rev;
	enum sl_err rc;

	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	rc = sl_store_environment_get(&tx, name, &doc, &rev, NULL);
	free(doc);
	sl_store_abort(&tx);
	return rc;
}

/* Reads may share a snapshot across requests (SQLite); a write of this
 * store and a write of another process (here a second store on the same
 * database) are both seen by the very next read, and a write made
 * through a read transaction is committed at once. */
TEST(reads_see_every_committed_write_at_once)
{
	struct sl_store *st = fresh(), *other = NULL;
	unsigned char v1[SL_DATA_VERSION_LEN], v2[SL_DATA_VERSION_LEN];
	int known;
	struct sl_tx tx;

	SL_ASSERT(sl_store_open(path, &other, NULL) == SL_OK);
	CHECK_INT(env_read(st, "mine"), SL_ENOTFOUND);
	CHECK_INT(env_read(st, "theirs"), SL_ENOTFOUND);
	tx = wtx(st);
	CHECK_INT(sl_store_environment_insert(&tx, "mine", 1, 1, "{}", NULL),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, NULL), SL_OK);
	CHECK_INT(env_read(st, "mine"), SL_OK);

	tx = wtx(other);
	CHECK_INT(sl_store_environment_insert(&tx, "theirs", 2, 1, "{}", NULL),
		  SL_OK);
	known = sl_store_data_version(st, v1);
	CHECK_INT(known, strcmp(engine, "sqlite") == 0);
	CHECK_INT(sl_store_commit(&tx, NULL), SL_OK);
	CHECK_INT(env_read(st, "theirs"), SL_OK);
	if (known) {
		CHECK_INT(sl_store_data_version(st, v2), 1);
		CHECK(memcmp(v1, v2, sizeof(v1)) != 0);
		CHECK_INT(sl_store_data_version(st, v1), 1);
		CHECK(memcmp(v1, v2, sizeof(v1)) == 0);
	}

	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	CHECK_INT(env_read(st, "mine"), SL_OK);
	CHECK_INT(
		sl_store_environment_insert(&tx, "via-read", 3, 1, "{}", NULL),
		SL_OK);
	sl_store_abort(&tx);
	CHECK_INT(env_read(other, "via-read"), SL_OK);
	sl_store_close(other);
	sl_store_close(st);
}

/* SQLite: with checkpoints moved off the writer (a thread of their own,
 * and the writer itself only past 4,000 pages), the log is still
 * checkpointed and restarted along the way: after ~40 MB of writes in 200
 * transactions it holds far less than that. */
TEST(the_log_stays_bounded_while_writes_go_on)
{
	struct sl_store *st = fresh();
	char *doc = sl_xmalloc(2049), name[32], wal[4200];
	struct stat sb;

	if (strcmp(engine, "sqlite") != 0) {
		sl_store_close(st);
		free(doc);
		return;
	}
	memset(doc, 'x', 2048);
	doc[0] = '"';
	doc[2047] = '"';
	doc[2048] = '\0';
	for (int t = 0; t < 200; t++) {
		struct sl_tx tx = wtx(st);

		for (int i = 0; i < 100; i++) {
			snprintf(name, sizeof(name), "svc-%d-%d", t, i);
			SL_ASSERT(sl_store_service_insert(&tx, name, 1, doc,
							  NULL, 0,
							  NULL) == SL_OK);
		}
		SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
	}
	snprintf(wal, sizeof(wal), "%s-wal", path);
	SL_ASSERT(stat(wal, &sb) == 0);
	CHECK(sb.st_size < 24 * 1024 * 1024);
	free(doc);
	sl_store_close(st);
}

struct writer {
	struct sl_store *st;
	const char *name;
	enum sl_err rc;
};

/* Inserts one service through its own write transaction. */
static void *write_one(void *arg)
{
	struct writer *w = arg;
	struct sl_tx tx;
	struct sl_error err = {0};

	w->rc = sl_store_begin(w->st, 1, &tx, &err);
	if (w->rc)
		return NULL;
	w->rc = sl_store_service_insert(&tx, w->name, 1, "{}", NULL, 0, &err);
	if (w->rc)
		sl_store_abort(&tx);
	else
		w->rc = sl_store_commit(&tx, &err);
	return NULL;
}

/* Waits until n writers queue for the grouped writer slot (SQLite). */
static void wait_queued(struct sl_store *st, int n)
{
	uint64_t c, w;
	int waiting = 0;

	for (int i = 0; i < 20000 && waiting < n; i++) {
		sl_store_group_stats(st, &c, &w, &waiting);
		usleep(500);
	}
	SL_ASSERT(waiting >= n);
}

/* Two writers queue behind a third: one conflicts, one succeeds. On
 * SQLite all three share one group and one COMMIT; on PostgreSQL they
 * commit one by one. Either way the conflict fails alone. */
TEST(writes_that_arrive_together_share_one_commit_and_fail_alone)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct writer dup = {st, "first", SL_OK}, ok = {st, "third", SL_OK};
	int grouped = strcmp(engine, "sqlite") == 0;
	pthread_t t2, t3;
	uint64_t commits0, writes0, commits, writes;
	char *doc = NULL;
	int64_t rev;

	sl_store_group_stats(st, &commits0, &writes0, NULL);
	CHECK_INT(sl_store_service_insert(&tx, "first", 1, "{}", NULL, 0, NULL),
		  SL_OK);
	pthread_create(&t2, NULL, write_one, &dup);
	if (grouped)
		wait_queued(st, 1);
	pthread_create(&t3, NULL, write_one, &ok);
	if (grouped)
		wait_queued(st, 2);
	CHECK_INT(sl_store_commit(&tx, NULL), SL_OK);
	pthread_join(t2, NULL);
	pthread_join(t3, NULL);
	CHECK_INT(dup.rc, SL_ECONFLICT);
	CHECK_INT(ok.rc, SL_OK);
	sl_store_group_stats(st, &commits, &writes, NULL);
	CHECK_INT(commits - commits0, grouped ? 1 : 0);
	CHECK_INT(writes - writes0, grouped ? 2 : 0);
	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	CHECK_INT(sl_store_service_get(&tx, "first", &doc, &rev, NULL), SL_OK);
	free(doc);
	CHECK_INT(sl_store_service_get(&tx, "third", &doc, &rev, NULL), SL_OK);
	free(doc);
	sl_store_abort(&tx);
	sl_store_close(st);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(migrations_apply_once_and_reopen_cleanly),
		T(service_revision_guards_updates),
		T(service_list_pages_by_name_and_filters_by_tag),
		T(releases_are_unique_by_precedence_and_listed_newest_first),
		T(placement_tracks_latest_and_running),
		T(audit_sequence_is_gap_free_and_rolled_back_writes_leave_nothing),
		T(entries_committed_side_by_side_are_numbered_gap_free_as_they_commit),
		T(tokens_are_found_by_hash_until_revoked),
		T(tokens_expire_and_remember_their_last_use),
		T(idempotency_records_keep_the_first_answer),
		T(committed_writes_survive_reopen_and_aborted_ones_do_not),
		T(writes_that_arrive_together_share_one_commit_and_fail_alone),
		T(reads_see_every_committed_write_at_once),
		T(the_log_stays_bounded_while_writes_go_on),
	};
	return store_run_backends(cases, sizeof(cases) / sizeof(cases[0]));
}
