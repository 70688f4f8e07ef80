/* sqlite_baseline.c - the write baseline of bench/run: durable event rows
 * inserted straight into SQLite, no HTTP, no JSON, no audit.
 *
 *   sqlite_baseline --db PATH --threads 64 --batch B --seconds S
 *   sqlite_baseline --db PATH --threads 0 --batch B --seconds S
 *
 * Same pragmas as the daemon's driver (journal_mode=WAL,
 * synchronous=FULL, foreign_keys=ON), the same deployment_events table
 * and the same INSERT (seq = MAX(seq) + 1 per deployment, read by a
 * subquery in VALUES: INSERT ... SELECT from the table written goes
 * through a temporary table and costs twice as much), with
 * event-sized documents (about 230 bytes). --threads clients each submit
 * one row at a time and wait until it is committed (like 64 HTTP
 * connections). With --batch 1 every row is its own BEGIN IMMEDIATE ...
 * COMMIT under one writer mutex (the daemon today); with --batch B rows
 * that arrive together are committed by one thread in one transaction of
 * up to B rows (group commit), and each client is released only after
 * that commit. With --threads 0 there are no clients: one thread inserts
 * B rows and commits, again and again - what the engine itself does on
 * one core with these pragmas, the ceiling of any durable design that
 * commits B rows at a time. With --audit, each event also writes the other
 * rows the daemon writes for it, in the same transaction: its deployment's
 * document (~2 KB) read and rewritten, and the audit entry (the next
 * gap-free seq) with what changed in it, a JSON Patch of the size the
 * daemon writes, and the environment and service. rows then counts
 * events. With --entry, each event writes its row and its audit entry
 * (the event as the change) and nothing else: the least any design that
 * audits every write in the same transaction can write. Prints one line:
 *   BASELINE batch=B threads=T rows=N seconds=S rows_per_s=R p50_us=N p99_us=N
 *            cpu_us_per_row=C
 * (C: the process's user and system time per row: what a row costs the
 * processor, without the waits for the disk).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define MAX_THREADS 256
#define MAX_LAT	    (1 << 22)

static sqlite3 *db;
static sqlite3_stmt *ins, *aud, *dget, *dput;
static int batch = 1, nthreads = 64, audit, entry_only;
static double seconds = 10;
static volatile int stop_flag;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

struct pending {
	int64_t dep;
	char doc[320];
	int done;
	struct pending *next;
};
static struct pending *queue_head, **queue_tail = &queue_head;
static int committing;
static int64_t total_rows;
static uint32_t *lat;
static size_t nlat;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "sqlite_baseline: %s: %s\n", what, sqlite3_errmsg(db));
	exit(1);
}

static void exec(const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		die(sql);
}

/* The deployment document's rewrite and the audit entry of one event:
 * the old document is read, a new one written with a new revision, and
 * the audit entry says what changed. */
static void insert_audited(const struct pending *p)
{
	static char after[4096], change[512];
	const char *before;
	char *at;
	size_t n;

	if (entry_only) {
		/* Only the audit entry, holding the event (its own bytes
		 * as the change): no document is read or rewritten. */
		sqlite3_bind_text(aud, 1, p->doc, -1, SQLITE_STATIC);
		goto entry;
	}
	sqlite3_bind_int64(dget, 1, p->dep);
	if (sqlite3_step(dget) != SQLITE_ROW)
		die("deployment read");
	before = (const char *)sqlite3_column_text(dget, 0);
	n = strlen(before);
	if (n >= sizeof(after))
		die("deployment document too long");
	memcpy(after, before, n + 1);
	/* A new revision: the document changes in place, as an event's
	 * update changes a few fields of it. */
	at = strstr(after, "\"revision\":");
	if (at)
		at[11] = (char)('0' + (at[11] - '0' + 1) % 10);
	snprintf(change, sizeof(change),
		 "[{\"op\":\"add\",\"path\":\"/events/-\",\"value\":{"
		 "\"at\":\"2026-11-30T10:06:52.500000Z\",\"message\":null,"
		 "\"status\":\"in_progress\",\"traffic_percent\":%d}},"
		 "{\"op\":\"replace\",\"path\":\"/revision\",\"value\":%c},"
		 "{\"op\":\"replace\",\"path\":\"/updated_at\",\"value\":"
		 "\"2026-11-30T10:06:52.500000Z\"}]",
		 (int)(p->dep % 100), at ? at[11] : '1');
	sqlite3_bind_text(aud, 1, change, -1, SQLITE_STATIC);
	sqlite3_reset(dget);
	sqlite3_bind_text(dput, 1, after, -1, SQLITE_STATIC);
	sqlite3_bind_int64(dput, 2, p->dep);
	if (sqlite3_step(dput) != SQLITE_DONE)
		die("deployment update");
	sqlite3_reset(dput);
entry:
	sqlite3_bind_int64(aud, 2, (int64_t)time(NULL) * 1000000);
	sqlite3_bind_int64(aud, 3, p->dep);
	if (sqlite3_step(aud) != SQLITE_DONE)
		die("audit insert");
	sqlite3_reset(aud);
}

static void insert(const struct pending *p)
{
	sqlite3_bind_int64(ins, 1, p->dep);
	sqlite3_bind_int64(ins, 2, (int64_t)time(NULL) * 1000000);
	sqlite3_bind_text(ins, 3, p->doc, -1, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		die("insert");
	sqlite3_reset(ins);
	if (audit)
		insert_audited(p);
}

/* Commits everything queued, up to batch rows per transaction, while
 * holding the role of committer; called with mu held. */
static void commit_queue(void)
{
	committing = 1;
	while (queue_head) {
		struct pending *take = queue_head, *p = take, *rest;
		int n = 1;

		while (p->next && n < batch) {
			p = p->next;
			n++;
		}
		rest = p->next;
		p->next = NULL;
		queue_head = rest;
		if (!rest)
			queue_tail = &queue_head;
		pthread_mutex_unlock(&mu);
		exec("BEGIN IMMEDIATE");
		for (p = take; p; p = p->next)
			insert(p);
		exec("COMMIT");
		pthread_mutex_lock(&mu);
		for (p = take; p; p = p->next)
			p->done = 1;
		total_rows += n;
		pthread_cond_broadcast(&cv);
	}
	committing = 0;
}

/* The next event row of a client (tid) or of the direct loop: a random
 * deployment among 1,000 and an event-sized document. */
static void make_row(struct pending *p, uint64_t *x, unsigned long tid,
		     uint64_t n)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	memset(p, 0, sizeof(*p));
	p->dep = (int64_t)(*x % 1000) + 1;
	snprintf(p->doc, sizeof(p->doc),
		 "{\"actor\":\"bench-admin\",\"at\":\"2026-11-22T10:00:"
		 "00.123456Z\",\"deployment_id\":%lld,\"id\":0,"
		 "\"message\":\"bench baseline %lu-%llu\",\"seq\":0,"
		 "\"source\":\"api\",\"status\":null,"
		 "\"traffic_percent\":%d}",
		 (long long)p->dep, tid, (unsigned long long)n,
		 (int)(*x % 101));
}

/* --threads 0: no clients, no hand-over; batches back to back. */
static void direct(void)
{
	struct pending p;
	uint64_t n = 0, x = 0x9E3779B97F4A7C15ULL;
	double t0 = now();

	while (now() - t0 < seconds) {
		double b0 = now();

		exec("BEGIN IMMEDIATE");
		for (int i = 0; i < batch; i++) {
			make_row(&p, &x, 0, n++);
			insert(&p);
		}
		exec("COMMIT");
		total_rows += batch;
		/* Every row of a batch waits for its commit. */
		for (int i = 0; i < batch && nlat < MAX_LAT; i++)
			lat[nlat++] = (uint32_t)((now() - b0) * 1e6);
	}
}

static void *client(void *arg)
{
	uintptr_t tid = (uintptr_t)arg;
	uint64_t n = 0, x = 0x9E3779B97F4A7C15ULL ^ tid;
	struct pending p;

	while (!stop_flag) {
		double t0 = now();

		make_row(&p, &x, (unsigned long)tid, n++);
		pthread_mutex_lock(&mu);
		p.next = NULL;
		*queue_tail = &p;
		queue_tail = &p.next;
		if (batch == 1) {
			/* One transaction per row, writers in line. */
			while (committing)
				pthread_cond_wait(&cv, &mu);
		}
		while (!p.done) {
			if (!committing)
				commit_queue();
			else
				pthread_cond_wait(&cv, &mu);
		}
		if (nlat < MAX_LAT)
			lat[nlat++] = (uint32_t)((now() - t0) * 1e6);
		pthread_mutex_unlock(&mu);
	}
	return NULL;
}

/* The 1,000 deployments events go to, each with a document the size of a
 * canary deployment's after a few traffic steps (~2 KB). */
static void seed_deployments(void)
{
	char doc[4096];
	sqlite3_stmt *put;
	size_t n;

	if (sqlite3_prepare_v2(db,
			       "INSERT OR IGNORE INTO deployments (id, doc)"
			       " VALUES (?1, ?2)",
			       -1, &put, NULL) != SQLITE_OK)
		die("prepare seed");
	exec("BEGIN");
	for (int64_t id = 1; id <= 1000; id++) {
		n = (size_t)snprintf(
			doc, sizeof(doc),
			"{\"created_at\":\"2026-03-03T23:39:24.144893Z\","
			"\"deployer\":\"ci-payments\",\"environment\":"
			"\"preprod\",\"id\":%lld,\"pipeline_url\":\"https:"
			"//ci.example.com/payments/svc-00000/pipelines/"
			"3118300\",\"release_id\":1001,\"revision\":1,"
			"\"service\":\"svc-00000\",\"status\":"
			"\"in_progress\",\"strategy\":\"canary\","
			"\"traffic\":[",
			(long long)id);
		for (int i = 0; i < 40; i++)
			n += (size_t)snprintf(
				doc + n, sizeof(doc) - n,
				"%s{\"at\":\"2026-12-02T14:12:%02d.581156Z\","
				"\"percent\":%d}",
				i ? "," : "", i, (i * 7) % 101);
		snprintf(doc + n, sizeof(doc) - n, "]}");
		sqlite3_bind_int64(put, 1, id);
		sqlite3_bind_text(put, 2, doc, -1, SQLITE_STATIC);
		if (sqlite3_step(put) != SQLITE_DONE)
			die("seed");
		sqlite3_reset(put);
	}
	exec("COMMIT");
	sqlite3_finalize(put);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *path = NULL;
	pthread_t th[MAX_THREADS];
	struct timespec ts;
	struct rusage ru;
	double t0, el, cpu;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--audit")) {
			audit = 1;
			continue;
		}
		if (!strcmp(argv[i], "--entry")) {
			audit = entry_only = 1;
			continue;
		}
		if (i + 1 >= argc)
			break;
		if (!strcmp(argv[i], "--db"))
			path = argv[i + 1];
		else if (!strcmp(argv[i], "--threads"))
			nthreads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--batch"))
			batch = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		i++;
	}
	if (!path || nthreads < 0 || nthreads > MAX_THREADS || batch < 1) {
		fprintf(stderr, "usage: sqlite_baseline --db PATH [--threads "
				"64|0] [--batch 1] [--seconds 10] "
				"[--audit | --entry]\n");
		return 2;
	}
	lat = malloc(sizeof(*lat) * MAX_LAT);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		die("open");
	exec("PRAGMA journal_mode=WAL;"
	     "PRAGMA synchronous=FULL;"
	     "PRAGMA foreign_keys=ON;"
	     "CREATE TABLE IF NOT EXISTS deployment_events ("
	     " id INTEGER PRIMARY KEY,"
	     " deployment_id BIGINT NOT NULL,"
	     " seq BIGINT NOT NULL,"
	     " at BIGINT NOT NULL,"
	     " doc TEXT NOT NULL,"
	     " UNIQUE (deployment_id, seq));"
	     "CREATE TABLE IF NOT EXISTS audit ("
	     " seq BIGINT PRIMARY KEY,"
	     " at BIGINT NOT NULL,"
	     " actor TEXT NOT NULL,"
	     " action TEXT NOT NULL,"
	     " object_type TEXT NOT NULL,"
	     " object_id TEXT NOT NULL,"
	     " request_id TEXT,"
	     " before TEXT,"
	     " after TEXT,"
	     " change TEXT,"
	     " environment TEXT,"
	     " service TEXT);"
	     "CREATE TABLE IF NOT EXISTS deployments ("
	     " id INTEGER PRIMARY KEY,"
	     " doc TEXT NOT NULL);");
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO deployment_events (deployment_id,"
			       " seq, at, doc) VALUES (?1, (SELECT"
			       " COALESCE(MAX(seq), 0) + 1 FROM"
			       " deployment_events WHERE deployment_id = ?1),"
			       " ?2, ?3)",
			       -1, SQLITE_PREPARE_PERSISTENT, &ins,
			       NULL) != SQLITE_OK)
		die("prepare");
	if (sqlite3_prepare_v3(db,
			       "INSERT INTO audit (seq, at, actor, action,"
			       " object_type, object_id, change, environment,"
			       " service) VALUES ((SELECT COALESCE(MAX(seq), 0)"
			       " + 1 FROM audit), ?2, 'bench-admin',"
			       " 'deployment.event', 'deployment', ?3, ?1,"
			       " 'production', 'payments')",
			       -1, SQLITE_PREPARE_PERSISTENT, &aud,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(db, "SELECT doc FROM deployments WHERE id = ?1",
			       -1, SQLITE_PREPARE_PERSISTENT, &dget,
			       NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(
		    db, "UPDATE deployments SET doc = ?1 WHERE id = ?2", -1,
		    SQLITE_PREPARE_PERSISTENT, &dput, NULL) != SQLITE_OK)
		die("prepare audit");
	if (audit)
		seed_deployments();
	t0 = now();
	if (nthreads == 0) {
		direct();
	} else {
		for (int i = 0; i < nthreads; i++)
			pthread_create(&th[i], NULL, client,
				       (void *)(uintptr_t)i);
		ts.tv_sec = (time_t)seconds;
		ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
		nanosleep(&ts, NULL);
		stop_flag = 1;
		for (int i = 0; i < nthreads; i++)
			pthread_join(th[i], NULL);
	}
	el = now() - t0;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
	      (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	qsort(lat, nlat, sizeof(*lat), cmp_u32);
	printf("BASELINE batch=%d threads=%d rows=%lld seconds=%.2f "
	       "rows_per_s=%.1f p50_us=%u p99_us=%u cpu_us_per_row=%.2f\n",
	       batch, nthreads, (long long)total_rows, el,
	       (double)total_rows / el, nlat ? lat[nlat / 2] : 0,
	       nlat ? lat[nlat * 99 / 100] : 0,
	       total_rows ? cpu / (double)total_rows : 0);
	sqlite3_finalize(ins);
	sqlite3_finalize(aud);
	sqlite3_finalize(dget);
	sqlite3_finalize(dput);
	sqlite3_close(db);
	free(lat);
	return 0;
}
