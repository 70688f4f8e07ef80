/* seed.c - loads a synthetic shiplog history straight through the store.
 *
 *   seed --db PATH|URI --deployments N --token SECRET --out DIR
 *        [--batch N] [--services N]
 *
 * Writes N deployments across max(1000, N/1000) services and five
 * environments (dev, test, staging, preprod, production; production has
 * two targets), each with its release and timeline events, through the
 * sl_store_* API inside large write transactions (not over HTTP). The
 * documents are built with jansson and serialised with sl_http_canon, as
 * the daemon builds them. It also mints an admin token whose secret is
 * --token, and writes lists for the load scripts into DIR:
 *   services.txt  every service name
 *   releases.txt  a sample of existing service@version
 *   pairs.txt     a sample of "service environment" with deployments
 *   events.txt    ids of in-progress canary deployments (one per service)
 * Progress goes to stderr. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/semver.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/http.h"
#include "store/internal.h"
#include "store/store.h"

#define NENV   5
#define NSTAGE 6 /* production is deployed to two targets */
#define SAMPLE 20000

static const char *const env_names[NENV] = {"dev", "test", "staging", "preprod",
					    "production"};
static const int env_ranks[NENV] = {10, 20, 30, 40, 50};
/* stage -> environment index and target */
static const int stage_env[NSTAGE] = {0, 1, 2, 3, 4, 4};
static const char *const stage_target[NSTAGE] = {NULL, NULL,	  NULL,
						 NULL, "eu-west", "us-east"};
static const char *const teams[] = {"payments", "identity", "search",
				    "platform", "checkout", "growth",
				    "data",	"mobile"};

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static json_t *tm(int64_t us)
{
	char buf[SL_TIME_BUF];

	return json_string(sl_time_format(us, buf));
}

static void check(enum sl_err rc, const struct sl_error *err, const char *what)
{
	if (rc) {
		fprintf(stderr, "seed: %s: %s\n", what, err->message);
		exit(1);
	}
}

static void hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++)
		out[i] = digits[rnd() & 15];
	out[n] = '\0';
}

static char *store_doc(json_t *doc)
{
	char *text = sl_http_canon(doc);

	json_decref(doc);
	return text;
}

struct seeder {
	struct sl_store *st;
	struct sl_tx tx;
	int open;
	int64_t since_commit, batch;
	struct sl_error err;
	/* stats */
	int64_t deployments, events, releases;
	double t0;
};

static void tx_begin(struct seeder *s)
{
	if (!s->open) {
		check(sl_store_begin(s->st, 1, &s->tx, &s->err), &s->err,
		      "begin");
		s->open = 1;
	}
}

static void tx_maybe_commit(struct seeder *s, int force)
{
	if (s->open && (force || s->since_commit >= s->batch)) {
		check(sl_store_commit(&s->tx, &s->err), &s->err, "commit");
		s->open = 0;
		s->since_commit = 0;
	}
}

/* Appends an event the way the daemon's add_event does: insert with an
 * empty document, then write the document that holds the id and seq. */
static void add_event(struct seeder *s, int64_t dep, int64_t at,
		      const char *status, int traffic, const char *message,
		      const char *actor)
{
	int64_t id = 0, seq = 0;
	json_t *ev;
	char *text;

	check(sl_store_event_insert(&s->tx, dep, at, "{}", &id, &seq, &s->err),
	      &s->err, "event insert");
	ev = json_pack("{sI sI sI so ss? so ss? ss ss}", "id", (json_int_t)id,
		       "deployment_id", (json_int_t)dep, "seq", (json_int_t)seq,
		       "at", tm(at), "status", status, "traffic_percent",
		       traffic >= 0 ? json_integer(traffic) : json_null(),
		       "message", message, "source", "api", "actor", actor);
	text = store_doc(ev);
	check(sl_store_event_set_doc(&s->tx, id, text, &s->err), &s->err,
	      "event doc");
	free(text);
	s->events++;
}

struct svc {
	char name[32];
	int team;
	int64_t ndeploy; /* deployments still to write */
	int64_t version; /* next release number */
	unsigned placed; /* stages that have had a deployment */
};

/* Writes one release of service v and its deployments along the stages,
 * at most *left of them; the last deployment of the service is left in
 * progress as a canary. Fills the sample lists. */
static void one_release(struct seeder *s, struct svc *v, int64_t base,
			FILE *rel_out, int sample_rel, FILE *pairs_out,
			FILE *events_out)
{
	int64_t k = v->version++, rid = 0, t = base;
	struct sl_semver sv;
	char ver[64], name[128], commit[41], sha[65], *key, *text;
	const char *type, *rstatus = "in_progress";
	int ndep = 0;
	json_t *doc;
	struct sl_tag tags[2] = {{"team", teams[v->team]}, {"train", NULL}};
	char train[32];

	snprintf(ver, sizeof(ver), "%lld.%lld.%lld", (long long)(1 + k / 100),
		 (long long)(k % 100 / 10), (long long)(k % 10));
	snprintf(train, sizeof(train), "2026.%02lld", (long long)(k % 52 + 1));
	tags[1].value = train;
	type = k % 100 == 0	 ? "major"
	       : k % 10 == 0	 ? "minor"
	       : rnd() % 50 == 0 ? "hotfix"
				 : "patch";
	check(sl_semver_parse(ver, &sv, &s->err), &s->err, "semver");
	key = sl_semver_sortkey(&sv);
	sl_semver_fini(&sv);
	check(sl_store_release_insert(&s->tx, v->name, ver, key, "planned",
				      type, t, &rid, &s->err),
	      &s->err, "release insert");
	free(key);
	s->releases++;
	if (sample_rel)
		fprintf(rel_out, "%s@%s\n", v->name, ver);

	for (int st = 0; st < NSTAGE && v->ndeploy > 0; st++) {
		int last = v->ndeploy == 1;
		int e = stage_env[st];
		const char *target = stage_target[st];
		uint64_t dice = rnd() % 100;
		const char *strategy = last	   ? "canary"
				       : dice < 60 ? "rolling"
				       : dice < 80 ? "canary"
				       : dice < 92 ? "blue_green"
						   : "recreate";
		int canary = !strcmp(strategy, "canary") ||
			     !strcmp(strategy, "blue_green");
		const char *final = last	       ? "in_progress"
				    : rnd() % 100 < 4  ? "failed"
				    : rnd() % 100 < 30 ? "verified"
						       : "succeeded";
		int64_t created = t + 60 * 1000000LL, started = created,
			finished =
				started + (int64_t)(60 + rnd() % 900) * 1000000,
			verified = finished + 600 * 1000000LL, id = 0, updated;
		char deployer[48], pipe[160];
		json_t *traffic = json_array(), *d;
		int tp = -1;

		snprintf(deployer, sizeof(deployer), "ci-%s", teams[v->team]);
		snprintf(pipe, sizeof(pipe),
			 "https://ci.example.com/%s/%s/pipelines/%llu",
			 teams[v->team], v->name,
			 (unsigned long long)(rnd() % 10000000));
		check(sl_store_deployment_insert(
			      &s->tx, rid, v->name, env_names[e],
			      target ? target : "", "in_progress", created, &id,
			      &s->err),
		      &s->err, "deployment insert");
		add_event(s, id, created, "in_progress", -1, NULL, deployer);
		if (canary) {
			static const int steps[] = {10, 50, 100};
			int nsteps = last ? 1 : 3;

			for (int i = 0; i < nsteps; i++) {
				int64_t at = started +
					     (i + 1) * (finished - started) / 4;
				json_array_append_new(
					traffic,
					json_pack("{si so}", "percent",
						  steps[i], "at", tm(at)));
				tp = steps[i];
				add_event(s, id, at, NULL, tp, NULL, deployer);
			}
		}
		if (strcmp(final, "in_progress") != 0) {
			add_event(s, id, finished,
				  !strcmp(final, "failed") ? "failed"
							   : "succeeded",
				  -1,
				  !strcmp(final, "failed")
					  ? "health check failed: error rate "
					    "above 5%"
					  : NULL,
				  deployer);
			if (!strcmp(final, "verified"))
				add_event(s, id, verified, "verified", -1,
					  "smoke tests passed", deployer);
		}
		updated = !strcmp(final, "in_progress") ? started
			  : !strcmp(final, "verified")	? verified
							: finished;
		d = json_pack(
			"{sI sI ss ss ss so ss ss ss ss so so sn sn"
			" so so so so so sI so}",
			"id", (json_int_t)id, "release_id", (json_int_t)rid,
			"service", v->name, "version", ver, "environment",
			env_names[e], "target",
			target ? json_string(target) : json_null(), "strategy",
			strategy, "status", final, "deployer", deployer,
			"pipeline_url", pipe, "traffic_percent",
			tp >= 0 ? json_integer(tp) : json_null(), "traffic",
			traffic, "rollback_of", "rolled_back_by", "created_at",
			tm(created), "started_at", tm(started), "finished_at",
			strcmp(final, "in_progress") ? tm(finished)
						     : json_null(),
			"verified_at",
			!strcmp(final, "verified") ? tm(verified) : json_null(),
			"duration_seconds",
			strcmp(final, "in_progress")
				? json_real((double)(finished - started) / 1e6)
				: json_null(),
			"revision", (json_int_t)1, "updated_at", tm(updated));
		text = store_doc(d);
		check(sl_store_deployment_update(&s->tx, id, 0, final, updated,
						 text, &s->err),
		      &s->err, "deployment update");
		free(text);
		if (last)
			fprintf(events_out, "%lld\n", (long long)id);
		if (sample_rel && st < NENV)
			fprintf(pairs_out, "%s %s\n", v->name, env_names[e]);
		v->ndeploy--;
		s->deployments++;
		s->since_commit++;
		ndep++;
		t = finished + 3600 * 1000000LL;
		if (!strcmp(final, "failed"))
			break;
		v->placed |= 1u << st;
		if (e == NENV - 1 &&
		    (!strcmp(final, "succeeded") || !strcmp(final, "verified")))
			rstatus = "released";
	}
	if (ndep == 0)
		rstatus = "planned";

	hex(commit, 40);
	hex(sha, 64);
	snprintf(name, sizeof(name), "%s-%s", v->name, ver);
	doc = json_pack(
		"{ss ss ss ss sI ss ss sI ss ss ss s{ss ss} s[{ss ss ss}]"
		" ss sn s{ss ss} sn s{ss ss}}",
		"service", v->name, "version", ver, "type", type, "status",
		rstatus, "id", (json_int_t)rid, "name", name, "commit", commit,
		"revision", (json_int_t)1, "created_at", "", "updated_at", "",
		"git_tag", "", "build", "url",
		"https://ci.example.com/builds/12345", "builder",
		"github-actions", "artifacts", "name", "image", "uri",
		"registry.example.com/app:tag", "sha256", sha, "change_request",
		"CHG0031337", "notes", "rollback", "target_version", "1.0.0",
		"criteria", "error rate above 2% for 5 minutes", "known_issues",
		"tags", "team", teams[v->team], "train", train);
	{
		char tag[80], uri[200];

		snprintf(tag, sizeof(tag), "v%s", ver);
		snprintf(uri, sizeof(uri), "registry.example.com/%s:%s",
			 v->name, ver);
		json_object_set_new(doc, "git_tag", json_string(tag));
		json_object_set_new(doc, "created_at", tm(base));
		json_object_set_new(doc, "updated_at", tm(t));
		json_object_set_new(
			json_array_get(json_object_get(doc, "artifacts"), 0),
			"uri", json_string(uri));
		json_object_set_new(doc, "notes",
				    json_string("Routine release: dependency "
						"bumps, two bug fixes and a "
						"feature behind a flag."));
	}
	text = store_doc(doc);
	check(sl_store_release_update(&s->tx, rid, 0, rstatus, t, text, tags, 2,
				      &s->err),
	      &s->err, "release update");
	free(text);
}

static int64_t parse_size(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (*end == 'k' || *end == 'K')
		v *= 1e3;
	else if (*end == 'm' || *end == 'M')
		v *= 1e6;
	return (int64_t)v;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *token = NULL, *out = NULL;
	int64_t n = 0, nsvc = 0, batch = 50000, now = wall_us();
	struct seeder s = {0};
	struct svc *svcs;
	char path[4096], hash[SL_TOKEN_HASH_HEX];
	FILE *f_svc, *f_rel, *f_pairs, *f_ev;
	int64_t per, rem, rounds, id;
	double last_report;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
		else if (!strcmp(argv[i], "--deployments"))
			n = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--token"))
			token = argv[i + 1];
		else if (!strcmp(argv[i], "--out"))
			out = argv[i + 1];
		else if (!strcmp(argv[i], "--batch"))
			batch = parse_size(argv[i + 1]);
		else if (!strcmp(argv[i], "--services"))
			nsvc = parse_size(argv[i + 1]);
		else {
			fprintf(stderr, "seed: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (!db || !token || !out || n < 1 || strlen(token) < 16) {
		fprintf(stderr, "usage: seed --db PATH|URI --deployments N "
				"--token SECRET(>=16) --out DIR [--batch N] "
				"[--services N]\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 1;
	if (!nsvc)
		nsvc = n / 1000 > 1000 ? n / 1000 : 1000;
	s.batch = batch;
	s.t0 = now_s();
	check(sl_store_open(db, &s.st, &s.err), &s.err, "open");

#define OPEN(fp, name)                                                         \
	do {                                                                   \
		snprintf(path, sizeof(path), "%s/%s", out, name);              \
		if (!(fp = fopen(path, "w"))) {                                \
			fprintf(stderr, "seed: %s: %s\n", path,                \
				strerror(errno));                              \
			return 1;                                              \
		}                                                              \
	} while (0)
	OPEN(f_svc, "services.txt");
	OPEN(f_rel, "releases.txt");
	OPEN(f_pairs, "pairs.txt");
	OPEN(f_ev, "events.txt");

	/* Catalog and token. */
	tx_begin(&s);
	/* SQLite: a page cache of 1 GB for the seeder's connection (the
	 * daemon keeps SQLite's default). At 10m deployments the indexes are
	 * gigabytes; with the default 2 MB every insert reads index pages
	 * back through a system call, from disk where the kernel's page
	 * cache is reclaimed. */
	if (strncmp(db, "postgresql:", 11) != 0)
		check(sl__store_run(&s.tx, "PRAGMA cache_size=-1048576", NULL,
				    0, NULL, NULL, &s.err),
		      &s.err, "cache size");
	sl_token_hash(token, hash);
	check(sl_store_token_insert(&s.tx, "bench-admin", "admin", hash, now,
				    "bench seed", NULL, 0, &id, &s.err),
	      &s.err, "token");
	for (int e = 0; e < NENV; e++) {
		json_t *d = json_pack(
			"{ss si sb s[] ss si sI so so}", "name", env_names[e],
			"rank", env_ranks[e], "protected", e >= 3, "targets",
			"timezone", "UTC", "max_concurrent", 0, "revision",
			(json_int_t)1, "created_at", tm(now - 400 * 86400e6),
			"updated_at", tm(now - 400 * 86400e6));
		char *text;

		if (e == NENV - 1) {
			json_array_append_new(json_object_get(d, "targets"),
					      json_string("eu-west"));
			json_array_append_new(json_object_get(d, "targets"),
					      json_string("us-east"));
		}
		text = store_doc(d);
		check(sl_store_environment_insert(
			      &s.tx, env_names[e], env_ranks[e],
			      now - 400 * 86400e6, text, &s.err),
		      &s.err, "environment");
		free(text);
	}
	svcs = calloc((size_t)nsvc, sizeof(*svcs));
	per = n / nsvc;
	rem = n % nsvc;
	for (int64_t i = 0; i < nsvc; i++) {
		struct svc *v = &svcs[i];
		char repo[128];
		struct sl_tag tags[2];
		json_t *d;
		char *text;

		snprintf(v->name, sizeof(v->name), "svc-%05lld", (long long)i);
		v->team = (int)(i % (sizeof(teams) / sizeof(teams[0])));
		v->ndeploy = per + (i < rem);
		snprintf(repo, sizeof(repo), "https://git.example.com/%s/%s",
			 teams[v->team], v->name);
		d = json_pack("{ss ss si so s{ss ss} ss sI so so}", "name",
			      v->name, "owner", teams[v->team], "tier",
			      (int)(1 + i % 4), "repo", json_string(repo),
			      "tags", "team", teams[v->team], "region",
			      i % 2 ? "eu" : "us", "naming_template",
			      "{service}-{version}", "revision", (json_int_t)1,
			      "created_at", tm(now - 400 * 86400e6),
			      "updated_at", tm(now - 400 * 86400e6));
		tags[0] = (struct sl_tag){"region", i % 2 ? "eu" : "us"};
		tags[1] = (struct sl_tag){"team", teams[v->team]};
		text = store_doc(d);
		check(sl_store_service_insert(&s.tx, v->name,
					      now - 400 * 86400e6, text, tags,
					      2, &s.err),
		      &s.err, "service");
		free(text);
		fprintf(f_svc, "%s\n", v->name);
	}
	tx_maybe_commit(&s, 1);

	/* History, interleaved in time: round r writes release r of every
	 * service that still has deployments to write, so ids follow time
	 * across services as they would in a real store. */
	rounds = (per + (rem > 0) + NSTAGE - 1) / NSTAGE;
	last_report = now_s();
	for (int64_t r = 0, left = n; left > 0; r++) {
		int64_t span = 365LL * 86400 * 1000000, base;

		/* A failed deployment ends its release early, so a few
		 * services need more rounds than estimated; those land
		 * in the last days, still in the past. */
		left = 0;
		for (int64_t i = 0; i < nsvc; i++)
			left += svcs[i].ndeploy;
		if (!left)
			break;

		for (int64_t i = 0; i < nsvc; i++) {
			struct svc *v = &svcs[i];

			if (v->ndeploy <= 0)
				continue;
			base = now - span +
			       (r < rounds ? r : rounds) *
				       (span / (rounds + 2)) +
			       i * 1000000LL;
			tx_begin(&s);
			one_release(&s, v, base, f_rel,
				    rnd() % (uint64_t)(n / SAMPLE + 1) == 0,
				    f_pairs, f_ev);
			tx_maybe_commit(&s, 0);
			if (now_s() - last_report > 5) {
				double el = now_s() - s.t0;

				fprintf(stderr,
					"seed: %lld/%lld deployments, %lld "
					"events, %lld releases, %.0fs, %.0f "
					"deployments/s\n",
					(long long)s.deployments, (long long)n,
					(long long)s.events,
					(long long)s.releases, el,
					(double)s.deployments / el);
				last_report = now_s();
			}
		}
	}
	/* Placements and their status rows: refreshed once per service x
	 * environment x target, at the end (the daemon refreshes after
	 * every change). */
	for (int64_t i = 0; i < nsvc; i++) {
		tx_begin(&s);
		for (int st = 0; st < NSTAGE; st++) {
			const char *tg = stage_target[st];

			if (!(svcs[i].placed & (1u << st)))
				continue;
			check(sl_h_placement_refresh(&s.tx, svcs[i].name,
						     env_names[stage_env[st]],
						     tg ? tg : "", &s.err),
			      &s.err, "placement");
		}
		s.since_commit += NSTAGE;
		tx_maybe_commit(&s, 0);
	}
	tx_maybe_commit(&s, 1);
	fclose(f_svc);
	fclose(f_rel);
	fclose(f_pairs);
	fclose(f_ev);
	sl_store_close(s.st);
	fprintf(stderr,
		"seed: done: %lld deployments, %lld events, %lld releases, "
		"%lld services in %.1fs\n",
		(long long)s.deployments, (long long)s.events,
		(long long)s.releases, (long long)nsvc, now_s() - s.t0);
	free(svcs);
	return 0;
}
