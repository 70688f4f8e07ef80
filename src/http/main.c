/* main.c - shiplogd: the daemon, and its offline token command.
 *
 *   shiplogd [--listen HOST:PORT] [--db PATH] [--threads N]
 *   shiplogd token create --name N --role R [--db PATH]
 *
 * On first start with no tokens it mints the admin token (the value of
 * SHIPLOG_BOOTSTRAP_TOKEN when set, else random), writes it to a 0600
 * file beside the database and says so once. SIGTERM and SIGINT stop
 * accepting, finish the requests in flight and close the store. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/archive.h"
#include "core/perm.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/http.h"
#include "http/log.h"
#include "store/fault.h"
#include "workers/workers.h"

#define VERSION "0.1.0"

static const char usage[] =
	"usage: shiplogd [--listen HOST:PORT] [--db PATH|URI] [--threads N]\n"
	"                [--readers N] [--token-file PATH]\n"
	"                [--max-connections N] [--max-connections-per-ip N]\n"
	"                [--connection-timeout SECONDS]\n"
	"                [--log-key PATH] [--log-origin NAME]\n"
	"                [--checkpoint-interval MS] [--witness-url URL]\n"
	"                [--witness-command CMD] [--retention-days N]\n"
	"       shiplogd token create --name NAME --role ROLE [--db PATH]\n"
	"\n"
	"Runs the shiplog release-tracking server.\n"
	"\n"
	"  --listen HOST:PORT  address to serve on (default 127.0.0.1:8080)\n"
	"  --db PATH|URI       SQLite database file (default ./shiplog.db), "
	"or\n"
	"                      postgresql://user@host:port/dbname\n"
	"  --token-file PATH   where the first admin token is written "
	"(default\n"
	"                      DB.admin-token, or ./shiplog.admin-token on\n"
	"                      PostgreSQL)\n"
	"  --threads N         request threads (default: the CPUs it may\n"
	"                      run on, on SQLite, whose writes go to one\n"
	"                      writer thread; 4 per CPU, at least 8, on\n"
	"                      PostgreSQL)\n"
	"  --readers N         SQLite: threads that run the reads the read\n"
	"                      cache cannot answer, so a read waiting on\n"
	"                      the disk holds no request thread (default 4\n"
	"                      per request thread, at most 16)\n"
	"  --max-connections N  open connections at most (default 4096)\n"
	"  --max-connections-per-ip N  of them from one client address\n"
	"                      (default 256; 0 = no limit, e.g. behind a\n"
	"                      proxy that is every client's address)\n"
	"  --connection-timeout S  close a connection idle or sending\n"
	"                      nothing for S seconds (default 30)\n"
	"  --log-key PATH      the audit log's Ed25519 signing key, created\n"
	"                      (mode 0600) on first start (default "
	"DB.log-key,\n"
	"                      or ./shiplog.log-key on PostgreSQL); every\n"
	"                      daemon of one database needs the same key\n"
	"  --log-origin NAME   the log's origin, the first time (default\n"
	"                      shiplog.HOST/RANDOM, unique to the install)\n"
	"  --checkpoint-interval MS  sign a checkpoint at most this often\n"
	"                      while the log grows (default 1000)\n"
	"  --retention-days N  records finished more than N days ago may be\n"
	"                      archived (POST /v1/archive); default 0, or\n"
	"                      SHIPLOG_RETENTION_DAYS: everything is kept\n"
	"  --witness-url URL   POST each new checkpoint (text/plain) there,\n"
	"                      retried until taken (a 2xx)\n"
	"  --witness-command CMD  run CMD (sh -c) with each new checkpoint\n"
	"                      on its standard input, retried until it\n"
	"                      exits 0\n"
	"  -h, --help          this text\n"
	"  --version           print the version\n"
	"\n"
	"Environment: SHIPLOG_BOOTSTRAP_TOKEN sets the first admin token;\n"
	"SHIPLOG_CACHE_MB the read cache's size in MiB (default 32, 0 off;\n"
	"SQLite only).\n"
	"Roles: admin release_manager approver deployer developer auditor.\n"
	"Exit codes: 0 clean stop, 1 runtime failure, 2 usage error.\n";

static int64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void logj(const char *level, const char *msg, const char *k,
		 const char *v)
{
	char when[SL_TIME_BUF];
	json_t *line =
		json_pack("{ss ss ss}", "time", sl_time_format(now_us(), when),
			  "level", level, "msg", msg);
	char *text;

	if (k && v)
		json_object_set_new(line, k, json_string(v));
	text = json_dumps(line, JSON_COMPACT);
	fprintf(stderr, "%s\n", text);
	free(text);
	json_decref(line);
}

/* Mints a token straight into the store with its audit entry. */
static enum sl_err mint(struct sl_store *st, const char *name, const char *role,
			const char *secret, const char *by, int if_no_admin,
			int *minted, struct sl_error *err)
{
	char hash[SL_TOKEN_HASH_HEX], when[SL_TIME_BUF], idb[24];
	struct sl_audit_entry e = {0};
	struct sl_tx tx;
	int64_t id = 0, seq, now = now_us();
	json_t *pub;
	char *text;
	enum sl_err rc;

	sl_token_hash(secret, hash);
	*minted = 0;
	rc = sl_store_begin_exclusive(st, &tx, err);
	if (rc)
		return rc;
	/* Counting inside the write transaction makes "mint when there is
	 * none" atomic across daemons starting together. */
	if (if_no_admin) {
		int64_t n = 0;

		rc = sl_store_token_count(&tx, sl_role_name(SL_ROLE_ADMIN), now,
					  &n, err);
		if (rc || n > 0) {
			sl_store_abort(&tx);
			return rc;
		}
	}
	rc = sl_store_token_insert(&tx, name, role, hash, now, by, NULL, 0, &id,
				   err);
	if (rc) {
		sl_store_abort(&tx);
		return rc;
	}
	/* The document GET /v1/tokens/{id} serves, as the API's entry for
	 * a new token holds it. */
	pub = json_pack("{sI ss ss ss ss s{} sn sn sn}", "id", (json_int_t)id,
			"name", name, "role", role, "created_at",
			sl_time_format(now, when), "created_by", by, "scope",
			"expires_at", "last_used_at", "revoked_at");
	text = json_dumps(pub, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(idb, sizeof(idb), "%lld", (long long)id);
	e.at = now;
	e.actor = by;
	e.action = "token.create";
	e.object_type = "token";
	e.object_id = idb;
	rc = sl_http_audit_append(&tx, &e, NULL, text, &seq, err);
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	*minted = rc == SL_OK;
	free(text);
	json_decref(pub);
	return rc;
}

/* Creates an admin token when the store has no live one: on first
 * start, and as a way back in when every admin token was revoked. The
 * secret goes to path (0600). */
static int bootstrap(struct sl_store *st, const char *path)
{
	struct sl_error err = {0};
	char secret[300], name[64] = "admin";
	const char *given = getenv("SHIPLOG_BOOTSTRAP_TOKEN");
	enum sl_err rc;
	int minted = 0, fd;
	FILE *f;

	if (given && *given) {
		if (strlen(given) < 16 || strlen(given) >= sizeof(secret)) {
			logj("error",
			     "SHIPLOG_BOOTSTRAP_TOKEN must be 16 to 255 "
			     "characters",
			     NULL, NULL);
			return -1;
		}
		snprintf(secret, sizeof(secret), "%s", given);
	} else {
		sl_token_generate(secret, sizeof(secret));
	}
	rc = mint(st, name, sl_role_name(SL_ROLE_ADMIN), secret, "shiplogd", 1,
		  &minted, &err);
	if (rc == SL_ECONFLICT) {
		/* "admin" was revoked: mint under a new name. */
		snprintf(name, sizeof(name), "admin-%lld",
			 (long long)(now_us() / 1000000));
		rc = mint(st, name, sl_role_name(SL_ROLE_ADMIN), secret,
			  "shiplogd", 1, &minted, &err);
	}
	if (rc) {
		logj("error", err.message, NULL, NULL);
		return -1;
	}
	if (!minted)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		logj("error", "cannot write the admin token file", "path",
		     path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	fprintf(f, "%s\n", secret);
	fclose(f);
	sodium_memzero(secret, sizeof(secret));
	fprintf(stderr, "shiplogd: created the admin token '%s'; it is in %s\n",
		name, path);
	return 0;
}

static int token_command(int argc, char **argv)
{
	static const struct option opts[] = {
		{"name", required_argument, NULL, 'n'},
		{"role", required_argument, NULL, 'r'},
		{"db", required_argument, NULL, 'd'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *name = NULL, *role = NULL, *db = "./shiplog.db";
	char secret[80];
	struct sl_error err = {0};
	struct sl_store *st = NULL;
	enum sl_role rl;
	int c;

	if (argc < 2 || strcmp(argv[1], "create") != 0) {
		fputs(argc >= 2 && (!strcmp(argv[1], "--help") ||
				    !strcmp(argv[1], "-h"))
			      ? usage
			      : "shiplogd: usage: shiplogd token create --name "
				"NAME --role ROLE [--db PATH]\n",
		      argc >= 2 && (!strcmp(argv[1], "--help") ||
				    !strcmp(argv[1], "-h"))
			      ? stdout
			      : stderr);
		return argc >= 2 && (!strcmp(argv[1], "--help") ||
				     !strcmp(argv[1], "-h"))
			       ? 0
			       : 2;
	}
	optind = 1;
	while ((c = getopt_long(argc - 1, argv + 1, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'r':
			role = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (!name || !role || !*name || strlen(name) > 64) {
		fprintf(stderr, "shiplogd: token create needs --name (1 to 64 "
				"characters) and --role\n");
		return 2;
	}
	if (sl_role_parse(role, &rl)) {
		fprintf(stderr, "shiplogd: unknown role '%s'\n", role);
		return 2;
	}
	if (sl_store_open(db, &st, &err)) {
		fprintf(stderr, "shiplogd: %s\n", err.message);
		return 1;
	}
	sl_token_generate(secret, sizeof(secret));
	if (mint(st, name, role, secret, "shiplogd token create", 0, &c,
		 &err)) {
		fprintf(stderr, "shiplogd: %s\n", err.message);
		sl_store_close(st);
		return 1;
	}
	printf("%s\n", secret);
	fprintf(stderr,
		"shiplogd: token '%s' (%s) created; this is the only time "
		"its secret is shown\n",
		name, role);
	sl_store_close(st);
	return 0;
}

/* Leadership: one daemon of a cluster runs the work that must happen
 * once (dispatchers, detectors). This thread keeps trying to take the
 * lock and logs every change; /readyz reports the current answer. */
struct leadership {
	struct sl_store *st;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	int stop;
	unsigned interval_ms;
};

/* Writes the tokens' noted last uses (see tokcache.c); a failure is
 * logged and the uses wait for the next round. */
static void flush_token_uses(struct sl_store *st)
{
	struct sl_error err = {0};

	if (sl_tokcache_flush(st, &err))
		logj("warn", "cannot record token uses", "error", err.message);
}

/* Runs the stall detector when its time comes, logging what it did. */
static void stall_tick(struct sl_store *st)
{
	struct sl_error err = {0};
	size_t moved = 0;
	char n[24];

	if (sl_stall_tick(st, now_us(), &moved, &err))
		logj("warn", "stall detector failed", "error", err.message);
	else if (moved) {
		snprintf(n, sizeof(n), "%zu", moved);
		logj("info", "deployments stalled", "count", n);
	}
}

/* Runs the verification worker when its time comes, logging what it
 * did. */
static void verify_tick(struct sl_store *st)
{
	struct sl_error err = {0};
	size_t started = 0, ended = 0;
	char n[24];

	if (sl_verify_tick(st, now_us(), &started, &ended, &err))
		logj("warn", "verification failed", "error", err.message);
	if (started) {
		snprintf(n, sizeof(n), "%zu", started);
		logj("info", "verifications started", "count", n);
	}
	if (ended) {
		snprintf(n, sizeof(n), "%zu", ended);
		logj("info", "verifications ended", "count", n);
	}
}

/* Runs the notification dispatcher when its time comes, logging what it
 * did. */
static void dispatch_tick(struct sl_store *st)
{
	struct sl_error err = {0};
	size_t sent = 0, failed = 0;
	char a[24], b[24];

	if (sl_dispatch_tick(st, now_us, &sent, &failed, &err))
		logj("warn", "notification dispatcher failed", "error",
		     err.message);
	if (sent || failed) {
		snprintf(a, sizeof(a), "%zu", sent);
		snprintf(b, sizeof(b), "%zu", failed);
		logj("info", "notifications sent", "count", a);
		if (failed)
			logj("info", "notification attempts failed", "count",
			     b);
	}
}

/* The notification dispatcher's own thread: sending waits on receivers
 * (up to SHIPLOG_DISPATCH_TIMEOUT_MS each), which must not hold up the
 * leadership thread's checkpoints and stall detection. It works while
 * this daemon is the leader, waking every 50 ms; the dispatcher keeps
 * its own pace. */
static void *dispatch_run(void *arg)
{
	struct leadership *l = arg;

	sl_store_fault_exempt_thread();
	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		struct timespec until;

		pthread_mutex_unlock(&l->lock);
		if (sl_store_leader_held(l->st))
			dispatch_tick(l->st);
		pthread_mutex_lock(&l->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 50 * 1000000L;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (!l->stop)
			pthread_cond_timedwait(&l->wake, &l->lock, &until);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

static void *leadership_run(void *arg)
{
	struct leadership *l = arg;
	int was = 0;

	/* Its bookkeeping (token uses) is no request's decision: armed
	 * store faults and traces are for the requests' calls. */
	sl_store_fault_exempt_thread();
	pthread_mutex_lock(&l->lock);
	while (!l->stop) {
		struct timespec until;
		int now;

		pthread_mutex_unlock(&l->lock);
		now = sl_store_leader_try(l->st, SL_LEADER_KEY) == 1;
		if (now != was)
			logj("info", now ? "became leader" : "lost leadership",
			     NULL, NULL);
		was = now;
		sl_store_tick(l->st);
		flush_token_uses(l->st);
		if (now) {
			sl_log_tick(l->st, now_us());
			stall_tick(l->st);
			verify_tick(l->st);
		}
		pthread_mutex_lock(&l->lock);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += l->interval_ms / 1000;
		until.tv_nsec += (long)(l->interval_ms % 1000) * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		if (!l->stop)
			pthread_cond_timedwait(&l->wake, &l->lock, &until);
	}
	pthread_mutex_unlock(&l->lock);
	return NULL;
}

/* A number option from min to max, into *out; 0 (said on stderr) when
 * the value is anything else. */
static int number(const char *option, const char *value, long min, long max,
		  unsigned *out)
{
	int64_t n = 0;

	if (sl_decimal_parse(value, &n) || n < min || n > max) {
		fprintf(stderr, "shiplogd: %s wants %ld to %ld\n", option, min,
			max);
		return 0;
	}
	*out = (unsigned)n;
	return 1;
}

/* A thread count option: 1 to 256, into *out; 0 (said on stderr) when
 * the value is anything else. */
static int thread_count(const char *option, const char *value, unsigned *out)
{
	int n = atoi(value);

	if (n < 1 || n > 256) {
		fprintf(stderr, "shiplogd: %s wants 1 to 256\n", option);
		return 0;
	}
	*out = (unsigned)n;
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"listen", required_argument, NULL, 'l'},
		{"db", required_argument, NULL, 'd'},
		{"threads", required_argument, NULL, 't'},
		{"readers", required_argument, NULL, 'r'},
		{"token-file", required_argument, NULL, 'T'},
		{"max-connections", required_argument, NULL, 'C'},
		{"max-connections-per-ip", required_argument, NULL, 'P'},
		{"connection-timeout", required_argument, NULL, 'O'},
		{"log-key", required_argument, NULL, 'K'},
		{"log-origin", required_argument, NULL, 'G'},
		{"checkpoint-interval", required_argument, NULL, 'I'},
		{"witness-url", required_argument, NULL, 'W'},
		{"witness-command", required_argument, NULL, 'X'},
		{"retention-days", required_argument, NULL, 'D'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{0},
	};
	struct sl_server_config cfg = {.listen = "127.0.0.1:8080"};
	const char *db = "./shiplog.db";
	struct sl_error err = {0};
	struct sl_store *st = NULL;
	struct sl_server *srv = NULL;
	char addr[96], token_path[4096];
	struct leadership leader = {0};
	pthread_t leader_thread, dispatch_thread;
	const char *token_file = NULL;
	struct sl_log_config logcfg = {.interval_ms = 1000};
	unsigned retention = 0;
	char key_path[4096];
	sigset_t set;
	int c, sig, status = 0;

	/* Few arenas and no trimming: per-request buffers are reused
	 * instead of mapped and unmapped, which costs page faults and TLB
	 * flushes on every request. */
	mallopt(M_ARENA_MAX, 2);
	mallopt(M_MMAP_THRESHOLD, 1024 * 1024);
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	if (sodium_init() < 0) {
		fprintf(stderr, "shiplogd: libsodium failed to start\n");
		return 1;
	}
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return token_command(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l':
			cfg.listen = optarg;
			break;
		case 'd':
			db = optarg;
			break;
		case 't':
			if (!thread_count("--threads", optarg, &cfg.threads))
				return 2;
			break;
		case 'r':
			if (!thread_count("--readers", optarg, &cfg.readers))
				return 2;
			break;
		case 'T':
			token_file = optarg;
			break;
		case 'C':
			if (!number("--max-connections", optarg, 1, 1000000,
				    &cfg.max_connections))
				return 2;
			break;
		case 'P':
			if (!number("--max-connections-per-ip", optarg, 0,
				    1000000, &cfg.max_per_ip))
				return 2;
			if (cfg.max_per_ip == 0)
				cfg.max_per_ip = SL_SERVER_NO_LIMIT;
			break;
		case 'O':
			if (!number("--connection-timeout", optarg, 1, 86400,
				    &cfg.timeout_s))
				return 2;
			break;
		case 'K':
			logcfg.key_path = optarg;
			break;
		case 'G':
			logcfg.origin = optarg;
			break;
		case 'W':
			logcfg.witness_url = optarg;
			break;
		case 'X':
			logcfg.witness_command = optarg;
			break;
		case 'D':
			if (!number("--retention-days", optarg, 0,
				    SL_ARCHIVE_MAX_DAYS, &retention))
				return 2;
			break;
		case 'I':
			if (!number("--checkpoint-interval", optarg, 10,
				    86400000, &logcfg.interval_ms))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("shiplogd %s\n", VERSION);
			return 0;
		default:
			fputs("shiplogd: see shiplogd --help\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shiplogd: unexpected argument '%s'\n",
			argv[optind]);
		return 2;
	}
	if (!retention && getenv("SHIPLOG_RETENTION_DAYS") &&
	    !number("SHIPLOG_RETENTION_DAYS", getenv("SHIPLOG_RETENTION_DAYS"),
		    0, SL_ARCHIVE_MAX_DAYS, &retention))
		return 2;
	sl_h_archive_configure(retention);
	/* Block the stop signals before any thread starts, so only the
	 * sigwait below receives them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (sl_store_open(db, &st, &err)) {
		logj("error", err.message, "db", db);
		return 1;
	}
	if (token_file)
		snprintf(token_path, sizeof(token_path), "%s", token_file);
	else if (sl_store_is_pg(db))
		snprintf(token_path, sizeof(token_path),
			 "./shiplog.admin-token");
	else
		snprintf(token_path, sizeof(token_path), "%s.admin-token", db);
	if (bootstrap(st, token_path)) {
		sl_store_close(st);
		return 1;
	}
	if (!logcfg.key_path) {
		if (sl_store_is_pg(db))
			snprintf(key_path, sizeof(key_path),
				 "./shiplog.log-key");
		else
			snprintf(key_path, sizeof(key_path), "%s.log-key", db);
		logcfg.key_path = key_path;
	}
	if (sl_log_start(st, &logcfg, &err)) {
		logj("error", err.message, "log-key", logcfg.key_path);
		sl_store_close(st);
		return 1;
	}
	cfg.store = st;
	if (!cfg.threads) {
		/* The CPUs this process may run on (taskset, cgroups'
		 * cpusets), not all the machine has: more request threads
		 * than CPUs only take turns, and the turns show as latency. */
		cpu_set_t cpus;
		long n = sched_getaffinity(0, sizeof(cpus), &cpus) == 0
				 ? CPU_COUNT(&cpus)
				 : sysconf(_SC_NPROCESSORS_ONLN);

		if (n < 1)
			n = 1;
		cfg.threads = sl_store_grouped(st)
				      ? (unsigned)n
				      : (unsigned)(n < 2 ? 8 : 4 * n);
	}
	if (!cfg.readers) {
		/* Readers mostly wait on the disk, so more of them than
		 * CPUs: that many reads are in flight at once. */
		cfg.readers = 4 * cfg.threads < 16 ? 4 * cfg.threads : 16;
	}
	if (sl_server_start(&cfg, &srv, &err)) {
		logj("error", err.message, "listen", cfg.listen);
		sl_store_close(st);
		return 1;
	}
	snprintf(addr, sizeof(addr), "%.*s:%u",
		 (int)(strrchr(cfg.listen, ':') - cfg.listen), cfg.listen,
		 sl_server_port(srv));
	logj("info", "listening", "addr", addr);
	leader.st = st;
	leader.interval_ms = 1000;
	if (getenv("SHIPLOG_LEADER_INTERVAL_MS"))
		leader.interval_ms =
			(unsigned)atoi(getenv("SHIPLOG_LEADER_INTERVAL_MS"));
	if (leader.interval_ms < 10)
		leader.interval_ms = 10;
	pthread_mutex_init(&leader.lock, NULL);
	pthread_cond_init(&leader.wake, NULL);
	pthread_create(&leader_thread, NULL, leadership_run, &leader);
	pthread_create(&dispatch_thread, NULL, dispatch_run, &leader);
	sigwait(&set, &sig);
	logj("info", "stopping", "signal", sig == SIGTERM ? "TERM" : "INT");
	pthread_mutex_lock(&leader.lock);
	leader.stop = 1;
	pthread_cond_broadcast(&leader.wake);
	pthread_mutex_unlock(&leader.lock);
	pthread_join(leader_thread, NULL);
	pthread_join(dispatch_thread, NULL);
	pthread_mutex_destroy(&leader.lock);
	pthread_cond_destroy(&leader.wake);
	sl_server_stop(srv);
	flush_token_uses(st);
	sl_store_close(st);
	logj("info", "stopped", NULL, NULL);
	return status;
}
