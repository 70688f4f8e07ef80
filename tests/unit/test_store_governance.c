/* test_store_governance.c - the governance store (src/store/governance.c)
 * on a real SQLite file and, when SHIPLOG_TEST_PG names a PostgreSQL
 * server (tests/run starts one), on PostgreSQL too: policies, approvals,
 * checklists, change requests, windows, grants, reviews and what the
 * gates read. Every test runs once per backend, each on a fresh database,
 * and asserts the ids, orders and counts the SQL answers, so a wrong
 * filter, order or join fails it. */
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/db.h"
#include "store/store.h"
#include "test.h"

#define STORE_TEST_NAME "gov"
#include "store_backends.h"

static struct sl_tx rtx(struct sl_store *st)
{
	struct sl_tx tx;
	SL_ASSERT(sl_store_begin(st, 0, &tx, NULL) == SL_OK);
	return tx;
}

/* Runs one statement on the current test's database through its driver,
 * outside the store: for a state no store function writes yet. */
static void raw_exec(const char *sql)
{
	const struct sl_db_ops *ops =
		strcmp(engine, "postgresql") == 0 ? &sl_db_pg : &sl_db_sqlite;
	struct sl_error err = {0};
	void *conn = NULL;

	SL_ASSERT(ops->open(path, &conn, &err) == SL_OK);
	if (ops->exec(conn, sql, NULL, 0, 0, NULL, NULL, &err) != SL_OK) {
		fprintf(stderr, "%s: %s\n", sql, err.message);
		abort();
	}
	ops->close(conn);
}

/* ---- what the tests build on ---- */

/* Appends printf-style text to a list description in buf. */
static void add(char *buf, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len >= cap - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, cap - len, fmt, ap);
	va_end(ap);
}

/* The ids of a list, as "1,3,4": one check that prints both lists. */
static const char *ids(const struct sl_docs *d)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		add(buf, sizeof(buf), "%s%lld", i ? "," : "",
		    (long long)d->v[i].id);
	return buf;
}

/* The ids and documents of a list, as "1=doc 2=doc". */
static const char *id_docs(const struct sl_docs *d)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		add(buf, sizeof(buf), "%s%lld=%s", i ? " " : "",
		    (long long)d->v[i].id,
		    d->v[i].doc ? d->v[i].doc : "(null)");
	return buf;
}

/* The names and documents of a list, as "name=doc name=doc". */
static const char *named_docs(const struct sl_docs *d)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		add(buf, sizeof(buf), "%s%s=%s", i ? " " : "",
		    d->v[i].name ? d->v[i].name : "(null)",
		    d->v[i].doc ? d->v[i].doc : "(null)");
	return buf;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The documents of a list in byte order, " "-separated: for lists whose
 * order the store does not promise. */
static const char *sorted_docs(const struct sl_docs *d)
{
	static char buf[512];
	const char *v[16];
	size_t n = d->n < 16 ? d->n : 16;

	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		v[i] = d->v[i].doc ? d->v[i].doc : "(null)";
	qsort(v, n, sizeof(v[0]), by_text);
	for (size_t i = 0; i < n; i++)
		add(buf, sizeof(buf), "%s%s", i ? " " : "", v[i]);
	return buf;
}

/* Services api and web; environments dev, staging, prod (ranks 10, 20,
 * 30); releases 1 (api 1.0.0), 2 (api 1.1.0) and 3 (web 1.0.0). */
static void seed(struct sl_tx *tx)
{
	int64_t id = 0;

	SL_ASSERT(sl_store_service_insert(tx, "api", 1, "{}", NULL, 0, NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_service_insert(tx, "web", 1, "{}", NULL, 0, NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_environment_insert(tx, "dev", 10, 1, "{}", NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_environment_insert(tx, "staging", 20, 1, "{}",
					      NULL) == SL_OK);
	SL_ASSERT(sl_store_environment_insert(tx, "prod", 30, 1, "{}", NULL) ==
		  SL_OK);
	SL_ASSERT(sl_store_release_insert(tx, "api", "1.0.0", "k100", "planned",
					  "major", 1, &id, NULL) == SL_OK &&
		  id == 1);
	SL_ASSERT(sl_store_release_insert(tx, "api", "1.1.0", "k110", "planned",
					  "minor", 1, &id, NULL) == SL_OK &&
		  id == 2);
	SL_ASSERT(sl_store_release_insert(tx, "web", "1.0.0", "k100", "planned",
					  "major", 1, &id, NULL) == SL_OK &&
		  id == 3);
}

/* A deployment of release rel in a status, its document "{"d":N}"
 * where N is its id; returns the id. */
static int64_t deploy(struct sl_tx *tx, int64_t rel, const char *service,
		      const char *env, const char *target, const char *status)
{
	char doc[32];
	int64_t id = 0;

	SL_ASSERT(sl_store_deployment_insert(tx, rel, service, env, target,
					     status, 5, &id, NULL) == SL_OK);
	snprintf(doc, sizeof(doc), "{\"d\":%lld}", (long long)id);
	SL_ASSERT(sl_store_deployment_update(tx, id, 0, status, 5, doc, NULL) ==
		  SL_OK);
	return id;
}

/* ---- policies ---- */

TEST(policy_versions_count_per_environment_from_one)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	int64_t v = 0;

	CHECK_INT(sl_store_policy_put(&tx, "staging", "{\"s\":1}", "alice", 10,
				      &v, &err),
		  SL_OK);
	CHECK_INT(v, 1);
	CHECK_INT(sl_store_policy_put(&tx, "prod", "{\"p\":1}", "bob", 20, &v,
				      &err),
		  SL_OK);
	CHECK_INT(v, 1);
	CHECK_INT(sl_store_policy_put(&tx, "staging", "{\"s\":2}", "bob", 30,
				      &v, &err),
		  SL_OK);
	CHECK_INT(v, 2);
	CHECK_INT(sl_store_policy_put(&tx, "staging", "{\"s\":3}", "carol", 40,
				      &v, &err),
		  SL_OK);
	CHECK_INT(v, 3);
	CHECK_INT(sl_store_policy_put(&tx, "prod", "{\"p\":2}", "carol", 50, &v,
				      &err),
		  SL_OK);
	CHECK_INT(v, 2);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	sl_store_close(st);
}

TEST(policy_get_answers_the_latest_or_the_version_asked_for)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t v = 0, got = -1;

	sl_store_policy_put(&tx, "staging", "{\"s\":1}", "alice", 10, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":2}", "alice", 20, &v, NULL);
	sl_store_policy_put(&tx, "prod", "{\"p\":1}", "alice", 30, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":3}", "alice", 40, &v, NULL);
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_policy_get(&tx, "staging", 0, &doc, &got, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"s\":3}");
	CHECK_INT(got, 3);
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_policy_get(&tx, "staging", 2, &doc, &got, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"s\":2}");
	CHECK_INT(got, 2);
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_policy_get(&tx, "staging", 1, &doc, &got, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"s\":1}");
	CHECK_INT(got, 1);
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_policy_get(&tx, "prod", 0, &doc, &got, &err), SL_OK);
	CHECK_STR(doc, "{\"p\":1}");
	CHECK_INT(got, 1);
	free(doc);
	doc = NULL;
	/* prod has no version 2 although staging has. */
	CHECK_INT(sl_store_policy_get(&tx, "prod", 2, &doc, &got, &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	CHECK_INT(sl_store_policy_get(&tx, "staging", 4, &doc, &got, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_policy_get(&tx, "dev", 0, &doc, &got, &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(policy_set_doc_rewrites_only_that_version)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t v = 0, got = 0;

	sl_store_policy_put(&tx, "staging", "{\"s\":1}", "alice", 10, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":2}", "alice", 20, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":3}", "alice", 30, &v, NULL);
	sl_store_policy_put(&tx, "prod", "{\"p\":1}", "alice", 40, &v, NULL);
	sl_store_policy_put(&tx, "prod", "{\"p\":2}", "alice", 50, &v, NULL);
	CHECK_INT(sl_store_policy_set_doc(&tx, "staging", 2,
					  "{\"s\":2,\"version\":2}", &err),
		  SL_OK);
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	sl_store_policy_get(&tx, "staging", 2, &doc, &got, NULL);
	CHECK_STR(doc, "{\"s\":2,\"version\":2}");
	free(doc);
	doc = NULL;
	sl_store_policy_get(&tx, "staging", 1, &doc, &got, NULL);
	CHECK_STR(doc, "{\"s\":1}");
	free(doc);
	doc = NULL;
	sl_store_policy_get(&tx, "staging", 0, &doc, &got, NULL);
	CHECK_STR(doc, "{\"s\":3}");
	CHECK_INT(got, 3);
	free(doc);
	doc = NULL;
	sl_store_policy_get(&tx, "prod", 2, &doc, &got, NULL);
	CHECK_STR(doc, "{\"p\":2}");
	free(doc);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* A version as "version@created_at by created_by: doc". */
static const char *policy_rows(const struct sl_policies *p)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < p->n; i++)
		add(buf, sizeof(buf), "%s%lld@%lld by %s: %s", i ? " | " : "",
		    (long long)p->v[i].version, (long long)p->v[i].created_at,
		    p->v[i].created_by ? p->v[i].created_by : "(null)",
		    p->v[i].doc ? p->v[i].doc : "(null)");
	return buf;
}

TEST(policy_versions_list_one_environment_oldest_first)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_policies p = {0};
	int64_t v = 0;

	sl_store_policy_put(&tx, "staging", "{\"s\":1}", "alice", 10, &v, NULL);
	sl_store_policy_put(&tx, "prod", "{\"p\":1}", "dave", 15, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":2}", "bob", 20, &v, NULL);
	sl_store_policy_put(&tx, "staging", "{\"s\":3}", "carol", 30, &v, NULL);
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_policy_versions(&tx, "staging", &p, &err), SL_OK);
	CHECK_INT(p.n, 3);
	CHECK_STR(policy_rows(&p), "1@10 by alice: {\"s\":1} | "
				   "2@20 by bob: {\"s\":2} | "
				   "3@30 by carol: {\"s\":3}");
	sl_policies_fini(&p);
	CHECK_INT(sl_store_policy_versions(&tx, "prod", &p, &err), SL_OK);
	CHECK_STR(policy_rows(&p), "1@15 by dave: {\"p\":1}");
	sl_policies_fini(&p);
	CHECK_INT(sl_store_policy_versions(&tx, "dev", &p, &err), SL_OK);
	CHECK_INT(p.n, 0);
	sl_policies_fini(&p);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- approvals ---- */

static const struct sl_approval_row approve_staging = {
	1, "staging", "alice", "qa", "approve", 100, 0, "sha256:aa"};

TEST(approval_insert_numbers_them_and_get_answers_the_doc_set)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_approval_row prod = {1,	 "prod", "bob", NULL,
				       "reject", 110,	 500,	"sha256:bb"};
	char *doc = NULL;
	int64_t a1 = 0, a2 = 0, a3 = 0;

	seed(&tx);
	CHECK_INT(sl_store_approval_insert(&tx, &approve_staging, &a1, &err),
		  SL_OK);
	CHECK_INT(sl_store_approval_insert(&tx, &prod, &a2, &err), SL_OK);
	/* The same decision again is a second row, not a conflict. */
	CHECK_INT(sl_store_approval_insert(&tx, &approve_staging, &a3, &err),
		  SL_OK);
	CHECK_INT(a1, 1);
	CHECK_INT(a2, 2);
	CHECK_INT(a3, 3);
	CHECK_INT(sl_store_approval_get(&tx, a2, &doc, &err), SL_OK);
	CHECK_STR(doc, "{}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_approval_set_doc(&tx, a2, "{\"id\":2}", &err),
		  SL_OK);
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_approval_get(&tx, a2, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"id\":2}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_approval_get(&tx, a1, &doc, &err), SL_OK);
	CHECK_STR(doc, "{}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_approval_get(&tx, a3, &doc, &err), SL_OK);
	CHECK_STR(doc, "{}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_approval_get(&tx, 4, &doc, &err), SL_ENOTFOUND);
	CHECK(doc == NULL);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(a_decision_voided_then_withdrawn_ended_when_it_was_voided)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_approvals a = {0};
	int64_t a1 = 0, a2 = 0;

	seed(&tx);
	sl_store_approval_insert(&tx, &approve_staging, &a1, NULL);
	sl_store_approval_insert(&tx, &approve_staging, &a2, NULL);
	CHECK_INT(sl_store_approval_void(&tx, a1, 250, "{}", NULL), SL_OK);
	CHECK_INT(sl_store_approval_withdraw(&tx, a1, 400, "{}", NULL), SL_OK);
	CHECK_INT(sl_store_approval_withdraw(&tx, a2, 300, "{}", NULL), SL_OK);
	CHECK_INT(sl_store_approval_void(&tx, a2, 500, "{}", NULL), SL_OK);
	CHECK_INT(sl_store_approval_list(&tx, 1, NULL, &a, NULL), SL_OK);
	CHECK_INT(a.n, 2);
	CHECK_INT(a.v[0].ended_at, 250);
	CHECK_INT(a.v[1].ended_at, 300);
	sl_approvals_fini(&a);
	sl_store_commit(&tx, NULL);
	sl_store_close(st);
}

TEST(approval_withdraw_happens_once_and_void_keeps_its_doc)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t a1 = 0, a2 = 0, a3 = 0;

	seed(&tx);
	sl_store_approval_insert(&tx, &approve_staging, &a1, NULL);
	sl_store_approval_insert(&tx, &approve_staging, &a2, NULL);
	sl_store_approval_insert(&tx, &approve_staging, &a3, NULL);
	CHECK_INT(sl_store_approval_withdraw(&tx, a1, 200, "{\"w\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_approval_withdraw(&tx, a1, 300, "{\"w\":2}", &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "id");
	CHECK_INT(sl_store_approval_void(&tx, a2, 250, "{\"v\":1}", &err),
		  SL_OK);
	/* The refused withdrawal left the transaction usable. */
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	sl_store_approval_get(&tx, a1, &doc, NULL);
	CHECK_STR(doc, "{\"w\":1}");
	free(doc);
	doc = NULL;
	sl_store_approval_get(&tx, a2, &doc, NULL);
	CHECK_STR(doc, "{\"v\":1}");
	free(doc);
	doc = NULL;
	sl_store_approval_get(&tx, a3, &doc, NULL);
	CHECK_STR(doc, "{}");
	free(doc);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* An approval as "id:approver/group/decision@at<expires digest env
 * ended=ended_at doc". */
static const char *approval_rows(const struct sl_approvals *a)
{
	static char buf[1024];

	buf[0] = '\0';
	for (size_t i = 0; i < a->n; i++) {
		const struct sl_approval_rec *r = &a->v[i];

		add(buf, sizeof(buf),
		    "%s%lld:%s/%s/%s@%lld<%lld %s %s ended=%lld %s",
		    i ? " | " : "", (long long)r->id,
		    r->approver ? r->approver : "(null)",
		    r->group ? r->group : "(null)",
		    r->decision ? r->decision : "(null)", (long long)r->at,
		    (long long)r->expires_at,
		    r->artifacts_digest ? r->artifacts_digest : "(null)",
		    r->environment ? r->environment : "(null)",
		    (long long)r->ended_at, r->doc ? r->doc : "(null)");
	}
	return buf;
}

/* The ids of approvals, as "1,3,4". */
static const char *approval_ids(const struct sl_approvals *a)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < a->n; i++)
		add(buf, sizeof(buf), "%s%lld", i ? "," : "",
		    (long long)a->v[i].id);
	return buf;
}

/* Approvals 1 (release 1, staging, alice for qa, withdrawn at 200),
 * 2 (release 1, prod, bob for no group, rejecting, expiring at 500),
 * 3 (release 2, staging), 4 (release 1, staging, dave, voided at 250)
 * and 5 (release 1, dev); each with the document {"a":N}, then the
 * withdrawal's or the void's. */
static void approval_seed(struct sl_store *st)
{
	const struct sl_approval_row a[] = {
		{1, "staging", "alice", "qa", "approve", 100, 0, "sha256:aa"},
		{1, "prod", "bob", NULL, "reject", 110, 500, "sha256:bb"},
		{2, "staging", "carol", "qa", "approve", 115, 0, "sha256:cc"},
		{1, "staging", "dave", "sre", "approve", 120, 900, "sha256:aa"},
		{1, "dev", "erin", "qa", "approve", 130, 0, "sha256:aa"},
	};
	struct sl_tx tx = wtx(st);
	int64_t id = 0;
	char doc[16];

	seed(&tx);
	for (size_t i = 0; i < sizeof(a) / sizeof(a[0]); i++) {
		SL_ASSERT(sl_store_approval_insert(&tx, &a[i], &id, NULL) ==
				  SL_OK &&
			  id == (int64_t)i + 1);
		snprintf(doc, sizeof(doc), "{\"a\":%lld}", (long long)id);
		SL_ASSERT(sl_store_approval_set_doc(&tx, id, doc, NULL) ==
			  SL_OK);
	}
	CHECK_INT(sl_store_approval_withdraw(&tx, 1, 200, "{\"a\":1,\"w\":1}",
					     NULL),
		  SL_OK);
	CHECK_INT(
		sl_store_approval_void(&tx, 4, 250, "{\"a\":4,\"v\":1}", NULL),
		SL_OK);
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
}

TEST(approval_list_answers_a_releases_decisions_oldest_first_with_their_end)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_approvals a = {0};

	approval_seed(st);
	tx = rtx(st);
	CHECK_INT(sl_store_approval_list(&tx, 1, NULL, &a, &err), SL_OK);
	CHECK_STR(approval_rows(&a),
		  "1:alice/qa/approve@100<0 sha256:aa staging ended=200 "
		  "{\"a\":1,\"w\":1} | "
		  "2:bob/(null)/reject@110<500 sha256:bb prod ended=0 "
		  "{\"a\":2} | "
		  "4:dave/sre/approve@120<900 sha256:aa staging ended=250 "
		  "{\"a\":4,\"v\":1} | "
		  "5:erin/qa/approve@130<0 sha256:aa dev ended=0 {\"a\":5}");
	CHECK_INT(a.n, 4);
	if (a.n == 4)
		CHECK(a.v[1].group == NULL);
	sl_approvals_fini(&a);
	CHECK_INT(sl_store_approval_list(&tx, 1, "staging", &a, &err), SL_OK);
	CHECK_STR(approval_ids(&a), "1,4");
	sl_approvals_fini(&a);
	CHECK_INT(sl_store_approval_list(&tx, 1, "prod", &a, &err), SL_OK);
	CHECK_STR(approval_ids(&a), "2");
	sl_approvals_fini(&a);
	CHECK_INT(sl_store_approval_list(&tx, 2, NULL, &a, &err), SL_OK);
	CHECK_STR(approval_rows(&a),
		  "3:carol/qa/approve@115<0 sha256:cc staging ended=0 "
		  "{\"a\":3}");
	sl_approvals_fini(&a);
	CHECK_INT(sl_store_approval_list(&tx, 3, NULL, &a, &err), SL_OK);
	CHECK_INT(a.n, 0);
	sl_approvals_fini(&a);
	/* An environment name matches whole. */
	CHECK_INT(sl_store_approval_list(&tx, 1, "stag", &a, &err), SL_OK);
	CHECK_INT(a.n, 0);
	sl_approvals_fini(&a);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(approval_list_scoped_keeps_the_scopes_environments)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_approvals a = {0};
	static const struct {
		const char *env;
		struct sl_scope_lists scope;
		const char *want;
	} cases[] = {
		{NULL, {NULL, NULL, NULL}, "1,2,4,5"},
		{NULL, {"\nstaging\n", NULL, NULL}, "1,4"},
		{NULL, {"\nprod\nstaging\n", NULL, NULL}, "1,2,4"},
		{NULL, {"\ndev\n", NULL, NULL}, "5"},
		{NULL, {"\n", NULL, NULL}, ""},
		{NULL, {"\nstag\nproduction\n", NULL, NULL}, ""},
		{"staging", {"\nstaging\nprod\n", NULL, NULL}, "1,4"},
		{"prod", {"\nstaging\n", NULL, NULL}, ""},
		{"dev", {NULL, NULL, NULL}, "5"},
		/* Approvals are on environments: services do not limit
		 * them. */
		{NULL, {NULL, "\nweb\n", "\nweb\n"}, "1,2,4,5"},
	};

	approval_seed(st);
	tx = rtx(st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(sl_store_approval_list_scoped(&tx, 1, cases[i].env,
							&cases[i].scope, &a,
							&err),
			  SL_OK);
		if (strcmp(approval_ids(&a), cases[i].want) != 0)
			fprintf(stderr, "  case %zu:\n", i);
		CHECK_STR(approval_ids(&a), cases[i].want);
		sl_approvals_fini(&a);
	}
	/* The rows are the whole decisions, as the unscoped list has them. */
	CHECK_INT(sl_store_approval_list_scoped(&tx, 1, NULL, &cases[1].scope,
						&a, &err),
		  SL_OK);
	CHECK_STR(approval_rows(&a),
		  "1:alice/qa/approve@100<0 sha256:aa staging ended=200 "
		  "{\"a\":1,\"w\":1} | "
		  "4:dave/sre/approve@120<900 sha256:aa staging ended=250 "
		  "{\"a\":4,\"v\":1}");
	sl_approvals_fini(&a);
	/* Only release 1's: release 2's staging approval is not in it. */
	CHECK_INT(sl_store_approval_list_scoped(&tx, 2, NULL, &cases[1].scope,
						&a, &err),
		  SL_OK);
	CHECK_STR(approval_ids(&a), "3");
	sl_approvals_fini(&a);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- checklists ---- */

TEST(checklist_item_is_done_once_per_release_and_environment)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_docs rows = {0};

	seed(&tx);
	CHECK_INT(sl_store_checklist_done(&tx, 1, "staging", "smoke", 10,
					  "{\"n\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_checklist_done(&tx, 1, "staging", "smoke", 11,
					  "{\"n\":2}", &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "item");
	/* The same item elsewhere is another completion. */
	CHECK_INT(sl_store_checklist_done(&tx, 1, "prod", "smoke", 12,
					  "{\"n\":3}", &err),
		  SL_OK);
	CHECK_INT(sl_store_checklist_done(&tx, 2, "staging", "smoke", 13,
					  "{\"n\":4}", &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	CHECK_INT(sl_store_checklist_list(&tx, 1, "staging", &rows, &err),
		  SL_OK);
	CHECK_STR(named_docs(&rows), "smoke={\"n\":1}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(checklist_list_answers_one_release_and_environment_in_order_done)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_docs rows = {0};

	seed(&tx);
	sl_store_checklist_done(&tx, 1, "staging", "smoke", 10, "{\"s\":1}",
				NULL);
	sl_store_checklist_done(&tx, 1, "staging", "backup", 10, "{\"b\":1}",
				NULL);
	sl_store_checklist_done(&tx, 1, "staging", "canary", 5, "{\"c\":1}",
				NULL);
	sl_store_checklist_done(&tx, 1, "prod", "smoke", 7, "{\"s\":2}", NULL);
	sl_store_checklist_done(&tx, 2, "staging", "docs", 3, "{\"d\":1}",
				NULL);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	/* By when they were done, then by item. */
	CHECK_INT(sl_store_checklist_list(&tx, 1, "staging", &rows, &err),
		  SL_OK);
	CHECK_STR(named_docs(&rows), "canary={\"c\":1} backup={\"b\":1} "
				     "smoke={\"s\":1}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_checklist_list(&tx, 1, "prod", &rows, &err), SL_OK);
	CHECK_STR(named_docs(&rows), "smoke={\"s\":2}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_checklist_list(&tx, 2, "staging", &rows, &err),
		  SL_OK);
	CHECK_STR(named_docs(&rows), "docs={\"d\":1}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_checklist_list(&tx, 2, "prod", &rows, &err), SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_checklist_list(&tx, 3, "staging", &rows, &err),
		  SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- change requests ---- */

TEST(change_request_keys_are_unique_and_listed_in_key_order)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	char *doc = NULL;
	int64_t rev = 0;

	CHECK_INT(sl_store_change_insert(&tx, "CHG-3", 10, "{\"c\":3}", &err),
		  SL_OK);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-1", 11, "{\"c\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-2", 12, "{\"c\":2}", &err),
		  SL_OK);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-1", 13, "{\"dup\":1}", &err),
		  SL_ECONFLICT);
	CHECK_STR(err.field, "key");
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	CHECK_INT(sl_store_change_get(&tx, "CHG-1", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"c\":1}");
	CHECK_INT(rev, 1);
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_change_get(&tx, "CHG-9", &doc, &rev, &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	CHECK_INT(sl_store_change_list(&tx, &rows, &err), SL_OK);
	CHECK_STR(named_docs(&rows),
		  "CHG-1={\"c\":1} CHG-2={\"c\":2} CHG-3={\"c\":3}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(change_request_update_needs_the_current_revision)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	int64_t rev = 0;

	sl_store_change_insert(&tx, "CHG-1", 10, "{\"r\":1}", NULL);
	sl_store_change_insert(&tx, "CHG-2", 10, "{\"other\":1}", NULL);
	CHECK_INT(
		sl_store_change_update(&tx, "CHG-1", 1, 20, "{\"r\":2}", &err),
		SL_OK);
	/* Revision 1 is stale now: refused, and nothing changes. */
	CHECK_INT(sl_store_change_update(&tx, "CHG-1", 1, 30, "{\"stale\":1}",
					 &err),
		  SL_EPRECOND);
	CHECK_STR(err.field, "If-Match");
	CHECK_INT(
		sl_store_change_update(&tx, "CHG-1", 2, 40, "{\"r\":3}", &err),
		SL_OK);
	CHECK_INT(sl_store_change_update(&tx, "CHG-1", 5, 50, "{\"ahead\":1}",
					 &err),
		  SL_EPRECOND);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	CHECK_INT(sl_store_change_get(&tx, "CHG-1", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"r\":3}");
	CHECK_INT(rev, 3);
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_change_get(&tx, "CHG-2", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"other\":1}");
	CHECK_INT(rev, 1);
	free(doc);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- windows ---- */

/* Windows as "id@environment=doc", "*" for an organisation-wide one. */
static const char *window_rows(const struct sl_docs *d)
{
	static char buf[512];

	buf[0] = '\0';
	for (size_t i = 0; i < d->n; i++)
		add(buf, sizeof(buf), "%s%lld@%s=%s", i ? " " : "",
		    (long long)d->v[i].id,
		    d->v[i].environment ? d->v[i].environment : "*",
		    d->v[i].doc ? d->v[i].doc : "(null)");
	return buf;
}

TEST(window_delete_answers_the_doc_before_once_and_hides_it_from_the_list)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;
	struct sl_docs rows = {0};
	int64_t w1 = 0, w2 = 0, w3 = 0;

	seed(&tx);
	CHECK_INT(sl_store_window_insert(&tx, "staging", 10, &w1, &err), SL_OK);
	CHECK_INT(sl_store_window_insert(&tx, NULL, 11, &w2, &err), SL_OK);
	CHECK_INT(sl_store_window_insert(&tx, "prod", 12, &w3, &err), SL_OK);
	CHECK_INT(w1, 1);
	CHECK_INT(w2, 2);
	CHECK_INT(w3, 3);
	CHECK_INT(sl_store_window_set_doc(&tx, w1, "{\"w\":1}", &err), SL_OK);
	CHECK_INT(sl_store_window_set_doc(&tx, w2, "{\"w\":2}", &err), SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	CHECK_INT(sl_store_window_list(&tx, &rows, &err), SL_OK);
	CHECK_STR(window_rows(&rows),
		  "1@staging={\"w\":1} 2@*={\"w\":2} 3@prod={}");
	/* Organisation-wide: no environment at all, not an empty one. */
	CHECK_INT(rows.n, 3);
	if (rows.n == 3)
		CHECK(rows.v[1].environment == NULL);
	sl_docs_fini(&rows);
	sl_store_abort(&tx);

	tx = wtx(st);
	CHECK_INT(sl_store_window_delete(&tx, w1, 20, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"w\":1}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_window_delete(&tx, w1, 21, &doc, &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	CHECK_INT(sl_store_window_delete(&tx, 4, 21, &doc, &err), SL_ENOTFOUND);
	/* A window whose document was never set answers the placeholder. */
	CHECK_INT(sl_store_window_delete(&tx, w3, 22, &doc, &err), SL_OK);
	CHECK_STR(doc, "{}");
	free(doc);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	CHECK_INT(sl_store_window_list(&tx, &rows, &err), SL_OK);
	CHECK_STR(window_rows(&rows), "2@*={\"w\":2}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- grants ---- */

/* A grant row as "id:role@environment<expires_at". */
static const char *grant_rows(const struct sl_grants *g)
{
	static char buf[256];

	buf[0] = '\0';
	for (size_t i = 0; i < g->n; i++)
		add(buf, sizeof(buf), "%s%lld:%s@%s<%lld", i ? " " : "",
		    (long long)g->v[i].id, g->v[i].role ? g->v[i].role : "-",
		    g->v[i].environment ? g->v[i].environment : "-",
		    (long long)g->v[i].expires_at);
	return buf;
}

/* Tokens 1 (ci) and 2 (ops). Grants: 1 deployer@staging for ci until
 * 100, 2 approver@prod for ci until 200, 3 deployer@dev for ci until 50,
 * 4 deployer@staging for ops until 300, 5 admin@prod for ci until 400,
 * revoked; each with the document {"g":N}. */
static void grant_seed(struct sl_store *st)
{
	static const struct {
		int64_t token;
		const char *role, *env;
		int64_t expires;
	} g[] = {
		{1, "deployer", "staging", 100},
		{1, "approver", "prod", 200},
		{1, "deployer", "dev", 50},
		{2, "deployer", "staging", 300},
		{1, "admin", "prod", 400},
	};
	struct sl_tx tx = wtx(st);
	int64_t id = 0;
	char doc[16];

	SL_ASSERT(sl_store_token_insert(&tx, "ci", "reader", "h1", 1, "admin",
					NULL, 0, &id, NULL) == SL_OK &&
		  id == 1);
	SL_ASSERT(sl_store_token_insert(&tx, "ops", "reader", "h2", 1, "admin",
					NULL, 0, &id, NULL) == SL_OK &&
		  id == 2);
	for (size_t i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
		CHECK_INT(sl_store_grant_insert(&tx, g[i].token, g[i].role,
						g[i].env, g[i].expires, &id,
						NULL),
			  SL_OK);
		CHECK_INT(id, (int64_t)i + 1);
		snprintf(doc, sizeof(doc), "{\"g\":%lld}", (long long)id);
		CHECK_INT(sl_store_grant_set_doc(&tx, id, doc, NULL), SL_OK);
	}
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
	/* No store function revokes a grant yet; the column is there. */
	raw_exec("UPDATE grants SET revoked_at = 60 WHERE id = 5");
}

TEST(grant_active_leaves_out_expired_revoked_and_other_tokens_grants)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_grants g = {0};

	grant_seed(st);
	tx = rtx(st);
	CHECK_INT(sl_store_grant_active(&tx, 1, 49, &g, &err), SL_OK);
	CHECK_STR(grant_rows(&g), "1:deployer@staging<100 "
				  "2:approver@prod<200 3:deployer@dev<50");
	sl_grants_fini(&g);
	/* At its expires_at a grant is over. */
	CHECK_INT(sl_store_grant_active(&tx, 1, 50, &g, &err), SL_OK);
	CHECK_STR(grant_rows(&g), "1:deployer@staging<100 2:approver@prod<200");
	sl_grants_fini(&g);
	CHECK_INT(sl_store_grant_active(&tx, 1, 100, &g, &err), SL_OK);
	CHECK_STR(grant_rows(&g), "2:approver@prod<200");
	sl_grants_fini(&g);
	CHECK_INT(sl_store_grant_active(&tx, 1, 200, &g, &err), SL_OK);
	CHECK_INT(g.n, 0);
	sl_grants_fini(&g);
	CHECK_INT(sl_store_grant_active(&tx, 2, 100, &g, &err), SL_OK);
	CHECK_STR(grant_rows(&g), "4:deployer@staging<300");
	sl_grants_fini(&g);
	CHECK_INT(sl_store_grant_active(&tx, 3, 0, &g, &err), SL_OK);
	CHECK_INT(g.n, 0);
	sl_grants_fini(&g);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(grant_list_keeps_the_scopes_environments)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	struct sl_scope_lists all = {0}, staging = {"\nstaging\n", NULL, NULL},
			      two = {"\nstaging\nprod\n", NULL, NULL},
			      none = {"\n", NULL, NULL},
			      part = {"\nstag\nproduction\n", NULL, NULL},
			      other = {NULL, "\nweb\n", "\nweb\n"};

	grant_seed(st);
	tx = wtx(st);
	CHECK_INT(sl_store_grant_set_doc(&tx, 2, "{\"g\":2,\"x\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	tx = rtx(st);
	/* Every grant, expired and revoked ones too, by id. */
	CHECK_INT(sl_store_grant_list(&tx, &all, &rows, &err), SL_OK);
	CHECK_STR(id_docs(&rows), "1={\"g\":1} 2={\"g\":2,\"x\":1} "
				  "3={\"g\":3} 4={\"g\":4} 5={\"g\":5}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_grant_list(&tx, &staging, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,4");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_grant_list(&tx, &two, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,2,4,5");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_grant_list(&tx, &none, &rows, &err), SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	/* A name matches whole: "stag" is not staging, "production" not
	 * prod. */
	CHECK_INT(sl_store_grant_list(&tx, &part, &rows, &err), SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	/* Grants are on environments: services do not limit them. */
	CHECK_INT(sl_store_grant_list(&tx, &other, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,2,3,4,5");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- reviews ---- */

/* Deployments 1 (api in staging), 2 (api in prod), 3 (web in prod) and
 * one review for each (ids 1, 2, 3, documents {"r":N}); review 2 is
 * closed at 70. */
static void review_seed(struct sl_store *st)
{
	struct sl_tx tx = wtx(st);
	int64_t d[3], id = 0;
	char doc[16];

	seed(&tx);
	d[0] = deploy(&tx, 1, "api", "staging", "", "succeeded");
	d[1] = deploy(&tx, 1, "api", "prod", "", "succeeded");
	d[2] = deploy(&tx, 3, "web", "prod", "", "succeeded");
	for (int i = 0; i < 3; i++) {
		CHECK_INT(sl_store_review_insert(&tx, d[i], 60, &id, NULL),
			  SL_OK);
		CHECK_INT(id, i + 1);
		snprintf(doc, sizeof(doc), "{\"r\":%d}", i + 1);
		CHECK_INT(sl_store_review_set_doc(&tx, id, doc, i == 1 ? 70 : 0,
						  NULL),
			  SL_OK);
	}
	SL_ASSERT(sl_store_commit(&tx, NULL) == SL_OK);
}

TEST(review_get_answers_the_doc_set_on_that_review)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	char *doc = NULL;

	review_seed(st);
	tx = wtx(st);
	CHECK_INT(sl_store_review_set_doc(&tx, 1, "{\"r\":1,\"x\":1}", 0, &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	tx = rtx(st);
	CHECK_INT(sl_store_review_get(&tx, 1, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"r\":1,\"x\":1}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_review_get(&tx, 2, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"r\":2}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_review_get(&tx, 4, &doc, &err), SL_ENOTFOUND);
	CHECK(doc == NULL);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(review_list_hides_closed_ones_when_asked_and_reopens)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	struct sl_scope_lists all = {0};

	review_seed(st);
	tx = rtx(st);
	CHECK_INT(sl_store_review_list(&tx, 0, &all, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,2,3");
	CHECK_INT(rows.n, 3);
	if (rows.n == 3)
		CHECK_STR(rows.v[1].doc, "{\"r\":2}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_review_list(&tx, 1, &all, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,3");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);

	/* Closed at 0 means open again; a closing hides it. */
	tx = wtx(st);
	CHECK_INT(
		sl_store_review_set_doc(&tx, 2, "{\"r\":2,\"re\":1}", 0, &err),
		SL_OK);
	CHECK_INT(sl_store_review_set_doc(&tx, 3, "{\"r\":3}", 80, &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);
	tx = rtx(st);
	CHECK_INT(sl_store_review_list(&tx, 1, &all, &rows, &err), SL_OK);
	CHECK_STR(ids(&rows), "1,2");
	CHECK_INT(rows.n, 2);
	if (rows.n == 2)
		CHECK_STR(rows.v[1].doc, "{\"r\":2,\"re\":1}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(review_list_filters_by_the_deployments_environment_and_service)
{
	struct sl_store *st = fresh();
	struct sl_tx tx;
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	static const struct {
		int open_only;
		struct sl_scope_lists scope;
		const char *want;
	} cases[] = {
		{0, {"\nprod\n", NULL, NULL}, "2,3"},
		{0, {"\nstaging\n", NULL, NULL}, "1"},
		{0, {"\ndev\nstaging\n", NULL, NULL}, "1"},
		{0, {NULL, "\nweb\n", NULL}, "3"},
		{0, {NULL, "\napi\n", NULL}, "1,2"},
		{0, {NULL, NULL, "\napi\n"}, "1,2"},
		{0, {NULL, NULL, "\nweb\n"}, "3"},
		{0, {"\nprod\n", NULL, "\napi\n"}, "2"},
		{0, {"\nprod\n", "\napi\n", "\nweb\n"}, ""},
		{0, {"\nstaging\nprod\n", "\napi\nweb\n", NULL}, "1,2,3"},
		{0, {"\n", NULL, NULL}, ""},
		{0, {NULL, "\n", NULL}, ""},
		{0, {NULL, NULL, "\n"}, ""},
		{0, {"\nprodx\n", "\nap\n", NULL}, ""},
		{1, {"\nprod\n", NULL, NULL}, "3"},
		{1, {NULL, "\napi\n", NULL}, "1"},
	};

	review_seed(st);
	tx = rtx(st);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_INT(sl_store_review_list(&tx, cases[i].open_only,
					       &cases[i].scope, &rows, &err),
			  SL_OK);
		if (strcmp(ids(&rows), cases[i].want) != 0)
			fprintf(stderr, "  case %zu:\n", i);
		CHECK_STR(ids(&rows), cases[i].want);
		sl_docs_fini(&rows);
	}
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- what the gates read ---- */

TEST(deployment_count_status_counts_one_environment_up_to_most)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	int64_t n = -1;

	seed(&tx);
	deploy(&tx, 1, "api", "staging", "a", "running");
	deploy(&tx, 1, "api", "staging", "b", "running");
	deploy(&tx, 3, "web", "staging", "", "running");
	deploy(&tx, 2, "api", "staging", "c", "failed");
	deploy(&tx, 1, "api", "prod", "", "running");
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_deployment_count_status(&tx, "staging", "running",
						   10, &n, &err),
		  SL_OK);
	CHECK_INT(n, 3);
	CHECK_INT(sl_store_deployment_count_status(&tx, "staging", "running", 3,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 3);
	CHECK_INT(sl_store_deployment_count_status(&tx, "staging", "running", 2,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 2);
	CHECK_INT(sl_store_deployment_count_status(&tx, "staging", "running", 0,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 0);
	CHECK_INT(sl_store_deployment_count_status(&tx, "staging", "failed", 10,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 1);
	CHECK_INT(sl_store_deployment_count_status(&tx, "prod", "running", 10,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 1);
	n = -1;
	CHECK_INT(sl_store_deployment_count_status(&tx, "dev", "running", 10,
						   &n, &err),
		  SL_OK);
	CHECK_INT(n, 0);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(release_success_in_finds_the_first_succeeded_or_verified)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	char *doc = NULL;

	seed(&tx);
	/* Ids 1-3: successes that are not release 1's in staging. */
	deploy(&tx, 2, "api", "staging", "", "succeeded");
	deploy(&tx, 1, "api", "prod", "", "succeeded");
	deploy(&tx, 3, "web", "staging", "", "verified");
	/* Release 1 in staging: 4 failed, 5 running, 6 succeeded,
	 * 7 verified. */
	deploy(&tx, 1, "api", "staging", "", "failed");
	deploy(&tx, 1, "api", "staging", "", "running");
	deploy(&tx, 1, "api", "staging", "eu", "succeeded");
	deploy(&tx, 1, "api", "staging", "", "verified");
	/* Release 2 in dev: only a verified one, after a rolled-back one. */
	deploy(&tx, 2, "api", "dev", "", "rolled_back");
	deploy(&tx, 2, "api", "dev", "", "verified");
	/* Release 3 in prod: never succeeded. */
	deploy(&tx, 3, "web", "prod", "", "failed");
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_release_success_in(&tx, 1, "staging", &doc, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"d\":6}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_release_success_in(&tx, 2, "dev", &doc, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"d\":9}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_release_success_in(&tx, 1, "prod", &doc, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"d\":2}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_release_success_in(&tx, 3, "prod", &doc, &err),
		  SL_ENOTFOUND);
	CHECK(doc == NULL);
	CHECK_INT(sl_store_release_success_in(&tx, 1, "dev", &doc, &err),
		  SL_ENOTFOUND);
	CHECK_INT(sl_store_release_success_in(&tx, 4, "staging", &doc, &err),
		  SL_ENOTFOUND);
	sl_store_abort(&tx);
	sl_store_close(st);
}

TEST(running_in_answers_what_each_target_of_a_placement_runs)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	static const char *const places[][3] = {
		{"api", "prod", "eu"},	  {"api", "prod", "us"},
		{"api", "prod", "ap"},	  {"web", "prod", "eu"},
		{"api", "staging", "eu"},
	};
	int64_t d4 = 0;

	seed(&tx);
	deploy(&tx, 1, "api", "prod", "eu", "succeeded"); /* 1 */
	deploy(&tx, 2, "api", "prod", "eu", "failed");	  /* 2 */
	deploy(&tx, 1, "api", "prod", "us", "verified");  /* 3 */
	d4 = deploy(&tx, 2, "api", "prod", "us", "succeeded");
	deploy(&tx, 2, "api", "prod", "ap", "running");	     /* 5 */
	deploy(&tx, 3, "web", "prod", "eu", "succeeded");    /* 6 */
	deploy(&tx, 2, "api", "staging", "eu", "succeeded"); /* 7 */
	for (size_t i = 0; i < sizeof(places) / sizeof(places[0]); i++)
		CHECK_INT(sl_store_placement_refresh(&tx, places[i][0],
						     places[i][1], places[i][2],
						     &err),
			  SL_OK);
	sl_store_commit(&tx, NULL);

	tx = rtx(st);
	CHECK_INT(sl_store_running_in(&tx, "api", "prod", &rows, &err), SL_OK);
	CHECK_INT(rows.n, 2);
	CHECK_STR(sorted_docs(&rows), "{\"d\":1} {\"d\":4}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_running_in(&tx, "web", "prod", &rows, &err), SL_OK);
	CHECK_STR(sorted_docs(&rows), "{\"d\":6}");
	sl_docs_fini(&rows);
	CHECK_INT(sl_store_running_in(&tx, "api", "dev", &rows, &err), SL_OK);
	CHECK_INT(rows.n, 0);
	sl_docs_fini(&rows);
	sl_store_abort(&tx);

	/* 4 fails after all: us runs 3 again once the placement knows. */
	tx = wtx(st);
	CHECK_INT(sl_store_deployment_update(&tx, d4, 1, "failed", 9,
					     "{\"d\":4,\"failed\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_placement_refresh(&tx, "api", "prod", "us", &err),
		  SL_OK);
	sl_store_commit(&tx, NULL);
	tx = rtx(st);
	CHECK_INT(sl_store_running_in(&tx, "api", "prod", &rows, &err), SL_OK);
	CHECK_STR(sorted_docs(&rows), "{\"d\":1} {\"d\":3}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

/* ---- transactions ---- */

/* A duplicate refused as SL_ECONFLICT fails only its own statement: the
 * writes before and after it in the same transaction commit (PostgreSQL
 * would abort the whole transaction without the store's savepoint). */
TEST(a_refused_duplicate_leaves_the_write_transaction_usable)
{
	struct sl_store *st = fresh();
	struct sl_tx tx = wtx(st);
	struct sl_error err = {0};
	struct sl_docs rows = {0};
	char *doc = NULL;
	int64_t v = 0, a = 0, rev = 0;

	seed(&tx);
	sl_store_commit(&tx, NULL);

	tx = wtx(st);
	CHECK_INT(sl_store_checklist_done(&tx, 1, "staging", "smoke", 10,
					  "{\"i\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_checklist_done(&tx, 1, "staging", "smoke", 11,
					  "{\"i\":2}", &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_checklist_done(&tx, 1, "staging", "backup", 12,
					  "{\"i\":3}", &err),
		  SL_OK);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-1", 13, "{\"c\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-1", 14, "{\"c\":2}", &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_change_insert(&tx, "CHG-2", 15, "{\"c\":3}", &err),
		  SL_OK);
	CHECK_INT(sl_store_approval_insert(&tx, &approve_staging, &a, &err),
		  SL_OK);
	CHECK_INT(sl_store_approval_withdraw(&tx, a, 16, "{\"w\":1}", &err),
		  SL_OK);
	CHECK_INT(sl_store_approval_withdraw(&tx, a, 17, "{\"w\":2}", &err),
		  SL_ECONFLICT);
	CHECK_INT(sl_store_policy_put(&tx, "staging", "{\"p\":1}", "alice", 18,
				      &v, &err),
		  SL_OK);
	CHECK_INT(sl_store_commit(&tx, &err), SL_OK);

	tx = rtx(st);
	/* What committed is there: the first of each, and what followed. */
	CHECK_INT(sl_store_change_get(&tx, "CHG-1", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"c\":1}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_change_get(&tx, "CHG-2", &doc, &rev, &err), SL_OK);
	CHECK_STR(doc, "{\"c\":3}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_approval_get(&tx, a, &doc, &err), SL_OK);
	CHECK_STR(doc, "{\"w\":1}");
	free(doc);
	doc = NULL;
	CHECK_INT(sl_store_policy_get(&tx, "staging", 0, &doc, &v, &err),
		  SL_OK);
	CHECK_STR(doc, "{\"p\":1}");
	free(doc);
	CHECK_INT(sl_store_checklist_list(&tx, 1, "staging", &rows, &err),
		  SL_OK);
	CHECK_STR(named_docs(&rows), "smoke={\"i\":1} backup={\"i\":3}");
	sl_docs_fini(&rows);
	sl_store_abort(&tx);
	sl_store_close(st);
}

int main(void)
{
	static const struct t_case cases[] = {
		T(policy_versions_count_per_environment_from_one),
		T(policy_get_answers_the_latest_or_the_version_asked_for),
		T(policy_set_doc_rewrites_only_that_version),
		T(policy_versions_list_one_environment_oldest_first),
		T(approval_insert_numbers_them_and_get_answers_the_doc_set),
		T(approval_withdraw_happens_once_and_void_keeps_its_doc),
		T(a_decision_voided_then_withdrawn_ended_when_it_was_voided),
		T(approval_list_answers_a_releases_decisions_oldest_first_with_their_end),
		T(approval_list_scoped_keeps_the_scopes_environments),
		T(checklist_item_is_done_once_per_release_and_environment),
		T(checklist_list_answers_one_release_and_environment_in_order_done),
		T(change_request_keys_are_unique_and_listed_in_key_order),
		T(change_request_update_needs_the_current_revision),
		T(window_delete_answers_the_doc_before_once_and_hides_it_from_the_list),
		T(grant_active_leaves_out_expired_revoked_and_other_tokens_grants),
		T(grant_list_keeps_the_scopes_environments),
		T(review_get_answers_the_doc_set_on_that_review),
		T(review_list_hides_closed_ones_when_asked_and_reopens),
		T(review_list_filters_by_the_deployments_environment_and_service),
		T(deployment_count_status_counts_one_environment_up_to_most),
		T(release_success_in_finds_the_first_succeeded_or_verified),
		T(running_in_answers_what_each_target_of_a_placement_runs),
		T(a_refused_duplicate_leaves_the_write_transaction_usable),
	};
	return store_run_backends(cases, sizeof(cases) / sizeof(cases[0]));
}
