/* store_backends.h - the backend harness of the store's unit suites:
 * each test gets a fresh database, a SQLite file in a temporary
 * directory or, when SHIPLOG_TEST_PG names a PostgreSQL server (tests/run
 * starts one), a new database on it. Define STORE_TEST_NAME (a short
 * lowercase word: it names the directory and the databases) before
 * including it, once, in the suite's .c file. */
#ifndef SL_TEST_STORE_BACKENDS_H
#define SL_TEST_STORE_BACKENDS_H

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static char dir[] = "/tmp/shiplog-" STORE_TEST_NAME "-XXXXXX";
static char path[512];		      /* the current test's store URI */
static const char *engine = "sqlite"; /* the backend under test */
static const char *pg_base;	      /* SHIPLOG_TEST_PG */
static int pg_dbs;		      /* databases created on pg_base */

/* Runs one statement on the server in pg_base; aborts on failure. */
static void pg_admin(const char *sql)
{
	PGconn *c = PQconnectdb(pg_base);
	PGresult *res = NULL;

	if (PQstatus(c) == CONNECTION_OK)
		res = PQexec(c, sql);
	if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "%s: %s\n", sql, PQerrorMessage(c));
		abort();
	}
	PQclear(res);
	PQfinish(c);
}

/* path becomes the URI of a new, empty database on pg_base. */
static void pg_new_database(void)
{
	const char *host = strstr(pg_base, "://");
	const char *slash = host ? strchr(host + 3, '/') : NULL;
	const char *query = strchr(pg_base, '?');
	char name[64], sql[128];
	int prefix;

	SL_ASSERT(slash);
	prefix = (int)(slash - pg_base) + 1;
	snprintf(name, sizeof(name), "sl_" STORE_TEST_NAME "_%d_%d",
		 (int)getpid(), pg_dbs++);
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	pg_admin(sql);
	snprintf(path, sizeof(path), "%.*s%s%s", prefix, pg_base, name,
		 query ? query : "");
}

/* Opens a fresh store in a new database; each test gets its own. */
static struct sl_store *fresh(void)
{
	static int n;
	struct sl_store *st = NULL;
	struct sl_error err = {0};

	if (strcmp(engine, "postgresql") == 0)
		pg_new_database();
	else
		snprintf(path, sizeof(path), "%s/t%d.db", dir, n++);
	if (sl_store_open(path, &st, &err) != SL_OK) {
		fprintf(stderr, "open %s: %s\n", path, err.message);
		abort();
	}
	return st;
}

static struct sl_tx wtx(struct sl_store *st)
{
	struct sl_tx tx;
	SL_ASSERT(sl_store_begin(st, 1, &tx, NULL) == SL_OK);
	return tx;
}

/* Removes the temporary directory and drops every database made. */
static void store_teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	for (int i = 0; i < pg_dbs; i++) {
		snprintf(cmd, sizeof(cmd),
			 "DROP DATABASE IF EXISTS sl_" STORE_TEST_NAME
			 "_%d_%d WITH (FORCE)",
			 (int)getpid(), i);
		pg_admin(cmd);
	}
}

/* Runs cases[0..n) on SQLite, then on PostgreSQL when SHIPLOG_TEST_PG
 * names a server; prints the summary line and returns main's status. */
static int store_run_backends(const struct t_case *cases, size_t n)
{
	int passed = 0, failed = 0;

	if (!mkdtemp(dir))
		abort();
	pg_base = getenv("SHIPLOG_TEST_PG");
	if (pg_base && !*pg_base)
		pg_base = NULL;
	engine = "sqlite";
	t_prefix = "sqlite: ";
	t_run(cases, n, &passed, &failed);
	if (pg_base) {
		engine = "postgresql";
		t_prefix = "postgresql: ";
		t_run(cases, n, &passed, &failed);
	} else {
		printf("note: SHIPLOG_TEST_PG is not set; the PostgreSQL "
		       "round is skipped\n");
	}
	store_teardown();
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}

#endif
