/* audit.c - the verifiable audit log from the command line: its key, a
 * verification of the whole log against a signed checkpoint (from the
 * daemon, or offline from an export file), one entry's inclusion proof,
 * and the export.
 *
 * docs/audit.md is the specification this follows. Trust starts from a
 * verifier key: the one given with --key, else the one recorded for the
 * server in the user's audit config, else (trust on first use) the one
 * the server presents, recorded then. Every checkpoint is opened with
 * that key. The whole log is read a bundle of 256 entries at a time and
 * checked by core's sl_logcheck, so memory stays that of one bundle and
 * one tile per level whatever the log's size. After a verification the
 * config keeps the tree verified (size and root), and the next one asks
 * the server to prove that the log only grew since. */
#include "cli/cli.h"
#include "core/error.h"
#include "core/logcheck.h"
#include "core/merkle.h"
#include "core/note.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXPORT_FORMAT "shiplog-audit-export/1"
/* An export line longer than this is not one the export writes. */
#define LINE_CAP (1u << 20)
#define B64_HASH 45 /* base64 of 32 bytes, and its NUL */
#define VKEY_CAP 600

/* ---- base64 ---- */

/* Writes the standard padded base64 of bin[0..len) into out (cap bytes,
 * enough for it: sodium_base64_ENCODED_LEN). */
static void b64_encode(const unsigned char *bin, size_t len, char *out,
		       size_t cap)
{
	sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_ORIGINAL);
}

/* ---- the audit config: what the user trusts, per server ---- */

/* Returns the config file's path: $SHIPLOG_CONFIG, else
 * $XDG_CONFIG_HOME/shiplog/audit.json, else
 * ~/.config/shiplog/audit.json; NULL when none can be worked out. Free
 * with free(). */
static char *config_path(void)
{
	const char *p = getenv("SHIPLOG_CONFIG");
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	char buf[4096];

	if (p && *p)
		return sl_xstrdup(p);
	if (xdg && *xdg)
		snprintf(buf, sizeof(buf), "%s/shiplog/audit.json", xdg);
	else if (home && *home)
		snprintf(buf, sizeof(buf), "%s/.config/shiplog/audit.json",
			 home);
	else
		return NULL;
	return sl_xstrdup(buf);
}

/* Returns the config at path: an empty object when there is no file
 * yet; NULL after printing why when it cannot be read or is not a JSON
 * object. Free with json_decref(). */
static json_t *config_load(const char *path)
{
	json_error_t jerr;
	json_t *conf;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return json_object();
	conf = json_load_file(path, 0, &jerr);
	if (!json_is_object(conf)) {
		fprintf(stderr, "shiplog: %s: not a JSON object%s%s\n", path,
			conf ? "" : ": ", conf ? "" : jerr.text);
		json_decref(conf);
		return NULL;
	}
	return conf;
}

/* Creates the directories above path that are missing, each 0700.
 * Returns 0, or -1 with errno set. */
static int make_parents(const char *path)
{
	char *dir = sl_xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; rc == 0 && (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	free(dir);
	return rc;
}

/* Writes conf to path whole: a new 0600 file beside it, synced and
 * renamed over it, so a reader never sees half of one. Returns
 * SL_CLI_OK, or SL_CLI_FAILED after printing why. */
static int config_save(const char *path, json_t *conf)
{
	size_t n = strlen(path) + 32;
	char *tmp = sl_xmalloc(n);
	char *text = json_dumps(conf, JSON_INDENT(2) | JSON_SORT_KEYS);
	int fd = -1, result = SL_CLI_FAILED;
	size_t len;

	if (!text)
		sl_die("cannot encode the audit config");
	snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
	if (make_parents(path) != 0)
		goto fail;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		goto fail;
	len = strlen(text);
	text[len++] = '\n'; /* over the NUL: written by length */
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	result = SL_CLI_OK;
	goto out;
fail:
	fprintf(stderr, "shiplog: cannot write %s: %s\n", path,
		strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
out:
	free(text);
	free(tmp);
	return result;
}

/* ---- the pinned key ---- */

/* Whom a command trusts, and what it verified before. */
struct pin {
	struct sl_note_verifier v;
	char key[VKEY_CAP]; /* v as a verifier-key string */
	char *path;	    /* the config file; free() */
	json_t *conf;	    /* its contents; json_decref() */
	int keep;	    /* 1: record the tree verified under the URL */
	uint64_t before;    /* the tree verified before (0: none) */
	unsigned char before_root[SL_HASH_LEN];
};

static void pin_fini(struct pin *p)
{
	free(p->path);
	json_decref(p->conf);
}

/* Reads a --key value: the key itself, or "@FILE" for the first line of
 * FILE. Returns SL_CLI_OK, or SL_CLI_USAGE after printing why. */
static int read_key_arg(const char *value, char *out, size_t cap)
{
	FILE *f;

	if (value[0] != '@') {
		snprintf(out, cap, "%s", value);
		return SL_CLI_OK;
	}
	f = fopen(value + 1, "r");
	if (!f)
		return sl_cli_usage("--key: cannot open %s: %s", value + 1,
				    strerror(errno));
	if (!fgets(out, (int)cap, f))
		out[0] = '\0';
	fclose(f);
	out[strcspn(out, "\r\n")] = '\0';
	return SL_CLI_OK;
}

/* Reads the tree a record says was verified (its "size" and "root")
 * into p. Returns 0, or -1 after printing why when they are damaged. */
static int read_before(struct pin *p, json_t *rec, const char *url)
{
	json_t *size = json_object_get(rec, "size");
	const char *root = json_string_value(json_object_get(rec, "root"));

	if (!size && !root)
		return 0;
	if (!json_is_integer(size) || json_integer_value(size) < 0 || !root ||
	    sl_base64_decode(root, strlen(root), p->before_root,
			     sizeof(p->before_root)) != SL_HASH_LEN) {
		fprintf(stderr,
			"shiplog: %s: the tree recorded for %s is not a "
			"\"size\" and a base64 \"root\"\n",
			p->path, url);
		return -1;
	}
	p->before = (uint64_t)json_integer_value(size);
	return 0;
}

/* Opens the audit config into p (the given key, if any, read first so a
 * bad one is a usage error). Returns SL_CLI_OK or the exit code. */
static int pin_open(const struct sl_cli_args *args, struct pin *p)
{
	const char *given = sl_cli_opt_value(args, "key");
	struct sl_error err = {0};
	int rc;

	memset(p, 0, sizeof(*p));
	if (given) {
		rc = read_key_arg(given, p->key, sizeof(p->key));
		if (rc != SL_CLI_OK)
			return rc;
		if (sl_note_verifier_parse(p->key, &p->v, &err) != SL_OK)
			return sl_cli_usage("--key: %s", err.message);
	}
	p->path = config_path();
	if (!p->path) {
		fprintf(stderr, "shiplog: no place for the audit config: set "
				"SHIPLOG_CONFIG or HOME\n");
		return SL_CLI_FAILED;
	}
	p->conf = config_load(p->path);
	return p->conf ? SL_CLI_OK : SL_CLI_FAILED;
}

/* Decides the key a command against the server trusts: --key, else the
 * one recorded for cli->url, else the server's own, recorded now (trust
 * on first use, said on stderr). Fills p. Returns SL_CLI_OK or the exit
 * code. */
static int pin_key(const struct sl_cli *cli, const struct sl_cli_args *args,
		   struct pin *p)
{
	struct sl_error err = {0};
	struct sl_cli_bytes res;
	json_t *rec;
	const char *recorded;
	int rc = pin_open(args, p);

	if (rc != SL_CLI_OK)
		return rc;
	rec = json_object_get(p->conf, cli->url);
	recorded = json_string_value(json_object_get(rec, "key"));
	if (p->key[0]) {
		if (recorded && strcmp(recorded, p->key) != 0) {
			fprintf(stderr,
				"shiplog: note: --key is not the key "
				"recorded for %s in %s; that record is left "
				"as it is\n",
				cli->url, p->path);
			return SL_CLI_OK;
		}
		p->keep = 1;
		return recorded && read_before(p, rec, cli->url) ? SL_CLI_FAILED
								 : SL_CLI_OK;
	}
	if (recorded) {
		snprintf(p->key, sizeof(p->key), "%s", recorded);
		if (sl_note_verifier_parse(p->key, &p->v, &err) != SL_OK) {
			fprintf(stderr,
				"shiplog: %s: the key recorded for %s: %s\n",
				p->path, cli->url, err.message);
			return SL_CLI_FAILED;
		}
		p->keep = 1;
		return read_before(p, rec, cli->url) ? SL_CLI_FAILED
						     : SL_CLI_OK;
	}
	rc = sl_cli_get_bytes(cli, "/v1/audit/key", &res);
	if (rc != SL_CLI_OK)
		return rc;
	snprintf(p->key, sizeof(p->key), "%.*s", (int)strcspn(res.data, "\r\n"),
		 res.data);
	free(res.data);
	if (sl_note_verifier_parse(p->key, &p->v, &err) != SL_OK) {
		fprintf(stderr,
			"shiplog: the server's key is not a verifier "
			"key: %s\n",
			err.message);
		return SL_CLI_FAILED;
	}
	json_object_set_new(p->conf, cli->url,
			    json_pack("{ss}", "key", p->key));
	rc = config_save(p->path, p->conf);
	if (rc != SL_CLI_OK)
		return rc;
	fprintf(stderr,
		"shiplog: trusting the log key %s of %s on first use; pin it "
		"with --key (recorded in %s)\n",
		p->key, cli->url, p->path);
	p->keep = 1;
	return SL_CLI_OK;
}

/* ---- checkpoints and verdicts ---- */

struct checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[SL_HASH_LEN];
	char root_b64[B64_HASH];
};

/* Opens the signed note `note` with v into cp. Returns 1 when it is a
 * checkpoint of v's log signed by v; else 0, with the reason. */
static int checkpoint_open(const struct sl_note_verifier *v, const char *note,
			   struct checkpoint *cp, char *reason, size_t cap)
{
	struct sl_error err = {0};
	size_t text_len = 0;

	if (sl_note_open(v, note, &text_len, &err) != SL_OK) {
		snprintf(reason, cap,
			 "the checkpoint is not signed by the pinned key "
			 "(%s)",
			 err.message);
		return 0;
	}
	if (sl_checkpoint_parse(note, text_len, cp->origin, sizeof(cp->origin),
				&cp->size, cp->root, &err) != SL_OK) {
		snprintf(reason, cap, "the signed note is not a checkpoint: %s",
			 err.message);
		return 0;
	}
	if (strcmp(cp->origin, v->name) != 0) {
		snprintf(reason, cap,
			 "the checkpoint is of the log %s, not of %s (the "
			 "pinned key's)",
			 cp->origin, v->name);
		return 0;
	}
	b64_encode(cp->root, SL_HASH_LEN, cp->root_b64, sizeof(cp->root_b64));
	return 1;
}

/* What a verification found. */
struct verdict {
	int ok;
	const struct checkpoint *cp; /* NULL: no checkpoint opened */
	uint64_t first_bad_seq;	     /* 0: none named */
	char reason[512];
	uint64_t consistent_with; /* the tree verified before; 0: none */
};

/* Prints the verdict: "ok: ..." or "FAILED: ..." on stdout, or with
 * --json one object. Returns the exit code it stands for. */
static int print_verdict(const struct sl_cli *cli, const struct verdict *v)
{
	const struct checkpoint *cp = v->cp;

	if (cli->json) {
		json_t *j = json_object();

		json_object_set_new(j, "ok", json_boolean(v->ok));
		json_object_set_new(j, "origin",
				    cp ? json_string(cp->origin) : json_null());
		json_object_set_new(j, "size",
				    cp ? json_integer((json_int_t)cp->size)
				       : json_null());
		json_object_set_new(j, "root",
				    cp ? json_string(cp->root_b64)
				       : json_null());
		json_object_set_new(
			j, "first_bad_seq",
			v->first_bad_seq
				? json_integer((json_int_t)v->first_bad_seq)
				: json_null());
		json_object_set_new(j, "reason",
				    v->ok ? json_null()
					  : json_string(v->reason));
		json_object_set_new(
			j, "consistent_with",
			v->ok && v->consistent_with
				? json_integer((json_int_t)v->consistent_with)
				: json_null());
		sl_cli_print_json(j);
		json_decref(j);
	} else if (v->ok) {
		printf("ok: %s %llu %s, root %s", cp->origin,
		       (unsigned long long)cp->size,
		       cp->size == 1 ? "entry" : "entries", cp->root_b64);
		if (v->consistent_with)
			printf(", consistent with %llu verified before",
			       (unsigned long long)v->consistent_with);
		putchar('\n');
	} else {
		printf("FAILED: %s\n", v->reason);
	}
	return v->ok ? SL_CLI_OK : SL_CLI_REFUSED;
}

/* Progress on stderr, every 256 bundles, for a long log read at a
 * terminal. */
struct progress {
	int on, shown;
	uint64_t total;
};

static void progress_start(struct progress *pr, uint64_t total)
{
	pr->total = total;
	pr->shown = 0;
	pr->on = isatty(2) && total > 256 * SL_TILE_WIDTH;
}

static void progress_step(struct progress *pr, uint64_t bundle)
{
	if (!pr->on || bundle % 256)
		return;
	fprintf(stderr, "\rshiplog: %llu of %llu entries checked",
		(unsigned long long)(bundle * SL_TILE_WIDTH),
		(unsigned long long)pr->total);
	pr->shown = 1;
}

static void progress_end(struct progress *pr)
{
	if (pr->shown)
		fputc('\n', stderr);
}

/* ---- reading the log from the server ---- */

/* The entries of an entry bundle, one after another. */
struct bundle_cursor {
	const unsigned char *p, *end;
};

/* Points *entry and *len at the next entry. Returns 1, 0 at the end, or
 * -1 when what is left is not a length and that many bytes. */
static int bundle_next(struct bundle_cursor *b, const char **entry, size_t *len)
{
	size_t n;

	if (b->p == b->end)
		return 0;
	if (b->end - b->p < 2)
		return -1;
	n = ((size_t)b->p[0] << 8) | b->p[1];
	if ((size_t)(b->end - b->p - 2) < n)
		return -1;
	*entry = (const char *)b->p + 2;
	*len = n;
	b->p += 2 + n;
	return 1;
}

/* GETs tile t (level >= 0) or, for level -1, an entry bundle, into *res.
 * Returns SL_CLI_OK; SL_CLI_OK with why filled when the log does not
 * serve it (404: a verification failure, not an error); else the
 * request's exit code. */
static int fetch(const struct sl_cli *cli, int level, uint64_t index,
		 unsigned width, struct sl_cli_bytes *res, char *why,
		 size_t cap)
{
	char path[128], name[96];
	int rc;

	sl_tile_path(name, sizeof(name), level, index, width);
	snprintf(path, sizeof(path), "/v1/log/%s", name);
	rc = sl_cli_get_bytes(cli, path, res);
	if (rc == SL_CLI_REFUSED && res->status == 404) {
		snprintf(why, cap, "the log does not serve %s", name);
		return SL_CLI_OK;
	}
	if (rc == SL_CLI_OK && level >= 0 &&
	    res->len != (size_t)width * SL_HASH_LEN) {
		snprintf(why, cap, "%s holds %zu bytes, not %u hashes", name,
			 res->len, width);
		free(res->data);
		res->data = NULL;
	}
	return rc;
}

/* GETs entry bundle `index` of the tree of n entries and checks it holds
 * its entries. Returns as fetch() does; on success *res holds it. */
static int fetch_bundle(const struct sl_cli *cli, uint64_t n, uint64_t index,
			struct sl_cli_bytes *res, char *why, size_t cap)
{
	unsigned width = sl_logcheck_tile_width(n, 0, index);
	struct bundle_cursor b;
	const char *e;
	size_t len;
	unsigned got = 0;
	int rc = fetch(cli, -1, index, width, res, why, cap), step;
	char name[96];

	if (rc != SL_CLI_OK || why[0])
		return rc;
	b.p = (const unsigned char *)res->data;
	b.end = b.p + res->len;
	while ((step = bundle_next(&b, &e, &len)) == 1)
		got++;
	if (step < 0 || got != width) {
		sl_tile_path(name, sizeof(name), -1, index, width);
		snprintf(why, cap,
			 "%s is not %u entries, each a 16-bit length and its "
			 "bytes",
			 name, width);
		free(res->data);
		res->data = NULL;
	}
	return SL_CLI_OK;
}

/* What one bundle needs from the server: the tiles the check asks for
 * before it, and the bundle. */
struct fetched {
	struct sl_tile_ref refs[SL_LOGCHECK_LEVELS];
	size_t nrefs;
	struct sl_cli_bytes tiles[SL_LOGCHECK_LEVELS], bundle;
	int rc;	       /* exit code of a request that failed */
	char why[256]; /* the log does not serve what the tree holds */
};

/* The bundles fetched ahead while the ones before are hashed: the
 * server prepares one while the client checks another. */
#define AHEAD 4

struct prefetch {
	const struct sl_cli *cli;
	uint64_t n, bundles;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t made, used; /* bundles fetched / checked so far */
	int stop;
	struct fetched slot[AHEAD];
};

static void fetch_all(struct prefetch *p, uint64_t k, struct fetched *f)
{
	memset(f, 0, sizeof(*f));
	f->nrefs = sl_logcheck_tiles_before(p->n, k * SL_TILE_WIDTH, f->refs);
	for (size_t i = 0; i < f->nrefs && f->rc == SL_CLI_OK && !f->why[0];
	     i++)
		f->rc = fetch(p->cli, f->refs[i].level, f->refs[i].index,
			      f->refs[i].width, &f->tiles[i], f->why,
			      sizeof(f->why));
	if (f->rc == SL_CLI_OK && !f->why[0])
		f->rc = fetch_bundle(p->cli, p->n, k, &f->bundle, f->why,
				     sizeof(f->why));
}

static void fetched_fini(struct fetched *f)
{
	for (size_t i = 0; i < f->nrefs; i++)
		free(f->tiles[i].data);
	free(f->bundle.data);
	memset(f, 0, sizeof(*f));
}

/* The thread that fetches: in order, at most AHEAD bundles ahead of the
 * check, until the end, a failure, or the check stops it. */
static void *prefetcher(void *arg)
{
	struct prefetch *p = arg;

	for (uint64_t k = 0; k < p->bundles; k++) {
		struct fetched f;
		int failed;

		pthread_mutex_lock(&p->mu);
		while (!p->stop && p->made - p->used >= AHEAD)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->stop) {
			pthread_mutex_unlock(&p->mu);
			break;
		}
		pthread_mutex_unlock(&p->mu);
		fetch_all(p, k, &f);
		failed = f.rc != SL_CLI_OK || f.why[0];
		pthread_mutex_lock(&p->mu);
		p->slot[k % AHEAD] = f;
		p->made++;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (failed)
			break;
	}
	return NULL;
}

/* Reads the whole tree of n entries from the server into c: before each
 * bundle the tiles the check asks for. Returns SL_CLI_OK, with why
 * filled when the log stopped serving what the tree holds; else the exit
 * code of a request that failed. */
static int walk_server(const struct sl_cli *cli, struct sl_logcheck *c,
		       uint64_t n, char *why, size_t cap)
{
	struct progress pr;
	struct prefetch p = {
		.cli = cli,
		.n = n,
		.bundles = n / SL_TILE_WIDTH + (n % SL_TILE_WIDTH != 0),
		.mu = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
	};
	pthread_t th;
	int rc = SL_CLI_OK;

	if (pthread_create(&th, NULL, prefetcher, &p) != 0) {
		fprintf(stderr, "shiplog: cannot start a thread\n");
		return SL_CLI_FAILED;
	}
	progress_start(&pr, n);
	for (uint64_t k = 0; k < p.bundles; k++) {
		struct fetched *f = &p.slot[k % AHEAD];
		struct bundle_cursor b;
		const char *e;
		size_t len;

		pthread_mutex_lock(&p.mu);
		while (p.made <= k)
			pthread_cond_wait(&p.cv, &p.mu);
		pthread_mutex_unlock(&p.mu);
		if (f->rc != SL_CLI_OK || f->why[0]) {
			rc = f->rc;
			snprintf(why, cap, "%s", f->why);
			fetched_fini(f);
			break;
		}
		for (size_t i = 0; i < f->nrefs; i++)
			sl_logcheck_tile(
				c, &f->refs[i],
				(const unsigned char *)f->tiles[i].data);
		b.p = (const unsigned char *)f->bundle.data;
		b.end = b.p + f->bundle.len;
		while (bundle_next(&b, &e, &len) == 1)
			sl_logcheck_entry(c, e, len);
		fetched_fini(f);
		pthread_mutex_lock(&p.mu);
		p.used++;
		pthread_cond_broadcast(&p.cv);
		pthread_mutex_unlock(&p.mu);
		progress_step(&pr, k + 1);
	}
	pthread_mutex_lock(&p.mu);
	p.stop = 1;
	pthread_cond_broadcast(&p.cv);
	pthread_mutex_unlock(&p.mu);
	pthread_join(th, NULL);
	/* Bundles fetched ahead of a failure are not checked. */
	for (uint64_t k = p.used + 1; k < p.made; k++)
		fetched_fini(&p.slot[k % AHEAD]);
	progress_end(&pr);
	return rc;
}

/* GETs the latest checkpoint into *note (free()). Returns the exit
 * code. */
static int get_checkpoint(const struct sl_cli *cli, char **note)
{
	struct sl_cli_bytes res;
	int rc = sl_cli_get_bytes(cli, "/v1/log/checkpoint", &res);

	*note = rc == SL_CLI_OK ? res.data : NULL;
	return rc;
}

/* Decodes a proof's "hashes" (base64 strings) into out; returns their
 * number, or -1 when they are not that. */
static long proof_hashes(json_t *doc, unsigned char out[SL_PROOF_MAX][32])
{
	json_t *a = json_object_get(doc, "hashes"), *h;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > SL_PROOF_MAX)
		return -1;
	json_array_foreach(a, i, h)
	{
		const char *s = json_string_value(h);

		if (!s || sl_base64_decode(s, strlen(s), out[i], SL_HASH_LEN) !=
				  SL_HASH_LEN)
			return -1;
	}
	return (long)json_array_size(a);
}

/* Asks the server for the consistency proof from the tree of m entries
 * (root_m) to cp's, and checks it. Returns SL_CLI_OK with *ok set, or
 * the request's exit code. */
static int check_consistency(const struct sl_cli *cli, uint64_t m,
			     const unsigned char root_m[SL_HASH_LEN],
			     const struct checkpoint *cp, int *ok)
{
	unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN];
	struct sl_cli_response res;
	char path[96];
	long len;
	int rc;

	*ok = 0;
	if (m == cp->size) {
		*ok = sodium_memcmp(root_m, cp->root, SL_HASH_LEN) == 0;
		return SL_CLI_OK;
	}
	snprintf(path, sizeof(path), "/v1/audit/consistency?from=%llu&to=%llu",
		 (unsigned long long)m, (unsigned long long)cp->size);
	rc = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	if (rc != SL_CLI_OK)
		return rc;
	len = proof_hashes(res.json, proof);
	*ok = len >= 0 &&
	      sl_merkle_verify_consistency(
		      m, cp->size, root_m, cp->root,
		      (const unsigned char(*)[SL_HASH_LEN])proof, (size_t)len);
	json_decref(res.json);
	return SL_CLI_OK;
}

/* Records the tree of cp as verified for cli->url under p's key.
 * Returns the exit code. */
static int record(const struct sl_cli *cli, struct pin *p,
		  const struct checkpoint *cp)
{
	json_object_set_new(p->conf, cli->url,
			    json_pack("{ss sI ss}", "key", p->key, "size",
				      (json_int_t)cp->size, "root",
				      cp->root_b64));
	return config_save(p->path, p->conf);
}

/* ---- the export file ---- */

/* One line of an export, and where it is. */
struct lines {
	FILE *f;
	char *buf;
	size_t cap;
	size_t lineno;
};

/* Reads the next line without its newline into l->buf; returns its
 * length, or -1 at the end of the file (or past LINE_CAP). */
static long next_line(struct lines *l)
{
	ssize_t n = getline(&l->buf, &l->cap, l->f);

	if (n < 0 || (size_t)n > LINE_CAP)
		return -1;
	l->lineno++;
	if (n > 0 && l->buf[n - 1] == '\n')
		l->buf[--n] = '\0';
	return (long)n;
}

/* Whether line (len bytes, NUL-terminated) is exactly
 * {"tile":"<name>","hashes":"<base64>"}, as export writes it (no escape
 * inside); *b64 then points at the base64, NUL-terminated in place. */
static int exact_tile_line(char *line, size_t len, const char *name,
			   const char **b64)
{
	static const char head[] = "{\"tile\":\"", mid[] = "\",\"hashes\":\"";
	size_t hl = sizeof(head) - 1, nl = strlen(name), ml = sizeof(mid) - 1;
	char *p = line + hl + nl + ml;

	if (len < hl + nl + ml + 2 || memcmp(line, head, hl) != 0 ||
	    memcmp(line + hl, name, nl) != 0 ||
	    memcmp(line + hl + nl, mid, ml) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0 ||
	    memchr(p, '"', (size_t)(line + len - 2 - p)) != NULL ||
	    memchr(p, '\\', (size_t)(line + len - 2 - p)) != NULL)
		return 0;
	line[len - 2] = '\0';
	*b64 = p;
	return 1;
}

/* Reads the tile line for t into hashes. Returns 1, or 0 with why. */
static int read_tile_line(struct lines *l, const struct sl_tile_ref *t,
			  unsigned char *hashes, char *why, size_t cap)
{
	char name[96];
	long n = next_line(l);
	json_t *j = NULL;
	const char *tile = NULL, *b64 = NULL;
	int ok = 0;

	sl_tile_path(name, sizeof(name), t->level, t->index, t->width);
	/* The line as export writes it is read as it is; any other JSON
	 * spelling of the same object through the JSON parser. */
	if (n >= 0 && !exact_tile_line(l->buf, (size_t)n, name, &b64)) {
		j = json_loadb(l->buf, (size_t)n, 0, NULL);
		tile = json_string_value(json_object_get(j, "tile"));
		b64 = json_string_value(json_object_get(j, "hashes"));
	} else if (n >= 0) {
		tile = name;
	}
	if (n < 0)
		snprintf(why, cap, "the export ends before %s", name);
	else if (!tile || strcmp(tile, name) != 0 || !b64)
		snprintf(why, cap, "line %zu of the export is not %s",
			 l->lineno, name);
	else if (sl_base64_decode(b64, strlen(b64), hashes,
				  SL_TILE_WIDTH * SL_HASH_LEN) !=
		 (long)t->width * SL_HASH_LEN)
		snprintf(why, cap,
			 "line %zu of the export: %s does not hold %u "
			 "hashes",
			 l->lineno, name, t->width);
	else
		ok = 1;
	json_decref(j);
	return ok;
}

/* Reads the whole tree of n entries from an export into c, the tiles
 * where the check asks for them. Fills why when the export is not that. */
static void walk_export(struct lines *l, struct sl_logcheck *c, uint64_t n,
			char *why, size_t cap)
{
	unsigned char *hashes = sl_xmalloc(SL_TILE_WIDTH * SL_HASH_LEN);
	struct progress pr;

	progress_start(&pr, n);
	for (uint64_t i = 0; i < n && !why[0]; i++) {
		struct sl_tile_ref refs[SL_LOGCHECK_LEVELS];
		size_t nrefs = sl_logcheck_tiles_before(n, i, refs);
		long len;

		for (size_t r = 0; r < nrefs && !why[0]; r++)
			if (read_tile_line(l, &refs[r], hashes, why, cap))
				sl_logcheck_tile(c, &refs[r], hashes);
		if (why[0])
			break;
		len = next_line(l);
		if (len < 0) {
			snprintf(why, cap,
				 "the export ends after %llu of its %llu "
				 "entries",
				 (unsigned long long)i, (unsigned long long)n);
			break;
		}
		sl_logcheck_entry(c, l->buf, (size_t)len);
		if ((i + 1) % SL_TILE_WIDTH == 0)
			progress_step(&pr, (i + 1) / SL_TILE_WIDTH);
	}
	if (!why[0] && next_line(l) >= 0)
		snprintf(why, cap,
			 "the export goes on after its %llu entries (line %zu)",
			 (unsigned long long)n, l->lineno);
	progress_end(&pr);
	free(hashes);
}

/* Returns 1 when rec (a record of the config) is for key. */
static int record_is_for(json_t *rec, const char *key)
{
	const char *k = json_string_value(json_object_get(rec, "key"));

	return k && strcmp(k, key) == 0;
}

/* Finds the record whose key is key: the one for url first, else any.
 * Returns it (borrowed from conf), or NULL. */
static json_t *record_with_key(json_t *conf, const char *url, const char *key)
{
	json_t *rec = json_object_get(conf, url), *r;
	const char *name;

	if (record_is_for(rec, key))
		return rec;
	json_object_foreach(conf, name, r)
	{
		if (record_is_for(r, key))
			return r;
	}
	return NULL;
}

/* audit verify --bundle FILE: the export checked with no network. */
static int verify_export(const struct sl_cli *cli,
			 const struct sl_cli_args *args, const char *file)
{
	struct lines l = {0};
	struct pin p;
	struct checkpoint cp;
	struct verdict v = {0};
	struct sl_logcheck *c = NULL;
	json_t *head = NULL, *rec;
	const char *key, *note;
	long n;
	int result;

	l.f = fopen(file, "r");
	if (!l.f)
		return sl_cli_usage("--bundle: cannot open %s: %s", file,
				    strerror(errno));
	result = pin_open(args, &p);
	if (result != SL_CLI_OK)
		goto out;
	n = next_line(&l);
	head = n < 0 ? NULL : json_loadb(l.buf, (size_t)n, 0, NULL);
	key = json_string_value(json_object_get(head, "verifier_key"));
	note = json_string_value(json_object_get(head, "checkpoint"));
	if (!json_is_string(json_object_get(head, "format")) ||
	    strcmp(json_string_value(json_object_get(head, "format")),
		   EXPORT_FORMAT) != 0 ||
	    !key || !note) {
		snprintf(v.reason, sizeof(v.reason),
			 "%s is not an export (its first line is not a %s "
			 "header)",
			 file, EXPORT_FORMAT);
		result = print_verdict(cli, &v);
		goto out;
	}
	/* Trust is the user's: the key given, or one recorded before. */
	rec = record_with_key(p.conf, cli->url, p.key[0] ? p.key : key);
	if (!p.key[0]) {
		struct sl_error err = {0};

		if (!rec) {
			result = sl_cli_usage(
				"--bundle needs --key: the export's key %s is "
				"not one recorded in %s",
				key, p.path);
			goto out;
		}
		snprintf(p.key, sizeof(p.key), "%s", key);
		if (sl_note_verifier_parse(p.key, &p.v, &err) != SL_OK) {
			result = sl_cli_usage("the export's key: %s",
					      err.message);
			goto out;
		}
	}
	if (rec && read_before(&p, rec, "this key")) {
		result = SL_CLI_FAILED;
		goto out;
	}
	if (!checkpoint_open(&p.v, note, &cp, v.reason, sizeof(v.reason))) {
		result = print_verdict(cli, &v);
		goto out;
	}
	v.cp = &cp;
	if (p.before > cp.size) {
		fprintf(stderr,
			"shiplog: note: this export (%llu entries) is older "
			"than the %llu verified before; not compared\n",
			(unsigned long long)cp.size,
			(unsigned long long)p.before);
		p.before = 0;
	}
	c = sl_xmalloc(sizeof(*c));
	sl_logcheck_init(c, cp.size, cp.root, p.before, p.before_root);
	walk_export(&l, c, cp.size, v.reason, sizeof(v.reason));
	{
		char broken[sizeof(v.reason)];

		snprintf(broken, sizeof(broken), "%s", v.reason);
		v.ok = sl_logcheck_verdict(c, broken[0] ? broken : NULL,
					   &v.first_bad_seq, v.reason,
					   sizeof(v.reason));
	}
	v.consistent_with = p.before;
	result = print_verdict(cli, &v);
out:
	free(c);
	json_decref(head);
	free(l.buf);
	fclose(l.f);
	pin_fini(&p);
	return result;
}

/* ---- the commands ---- */

int sl_cli_run_audit_key(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
			 const struct sl_cli_args *args)
{
	struct sl_note_verifier v;
	struct sl_error err = {0};
	struct sl_cli_bytes res;
	char key[VKEY_CAP];
	int rc = sl_cli_get_bytes(cli, cmd->path, &res);

	(void)args;
	if (rc != SL_CLI_OK)
		return rc;
	snprintf(key, sizeof(key), "%.*s", (int)strcspn(res.data, "\r\n"),
		 res.data);
	free(res.data);
	if (sl_note_verifier_parse(key, &v, &err) != SL_OK) {
		fprintf(stderr,
			"shiplog: the server's key is not a verifier key: "
			"%s\n",
			err.message);
		return SL_CLI_FAILED;
	}
	if (cli->json) {
		json_t *j = json_pack("{ss}", "verifier_key", key);

		sl_cli_print_json(j);
		json_decref(j);
	} else {
		puts(key);
	}
	return SL_CLI_OK;
}

int sl_cli_run_audit_verify(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	const char *bundle = sl_cli_opt_value(args, "bundle");
	struct pin p = {0};
	struct checkpoint cp;
	struct verdict v = {0};
	struct sl_logcheck *c = NULL;
	char *note = NULL, broken[sizeof(v.reason)] = "";
	int result, consistent = 0;

	(void)cmd;
	if (sodium_init() < 0)
		sl_die("cannot start libsodium");
	if (bundle)
		return verify_export(cli, args, bundle);
	result = pin_key(cli, args, &p);
	if (result != SL_CLI_OK)
		goto out;
	result = get_checkpoint(cli, &note);
	if (result != SL_CLI_OK)
		goto out;
	if (!checkpoint_open(&p.v, note, &cp, v.reason, sizeof(v.reason))) {
		result = print_verdict(cli, &v);
		goto out;
	}
	v.cp = &cp;
	if (p.before > cp.size) {
		snprintf(v.reason, sizeof(v.reason),
			 "the log shrank: %llu entries were verified before, "
			 "the signed checkpoint holds %llu",
			 (unsigned long long)p.before,
			 (unsigned long long)cp.size);
		result = print_verdict(cli, &v);
		goto out;
	}
	c = sl_xmalloc(sizeof(*c));
	sl_logcheck_init(c, cp.size, cp.root, p.before, p.before_root);
	result = walk_server(cli, c, cp.size, broken, sizeof(broken));
	if (result != SL_CLI_OK)
		goto out;
	v.ok = sl_logcheck_verdict(c, broken[0] ? broken : NULL,
				   &v.first_bad_seq, v.reason,
				   sizeof(v.reason));
	if (v.ok && p.before) {
		/* The entries gave both roots; the server must prove the
		 * signed trees consistent too. */
		result = check_consistency(cli, p.before, p.before_root, &cp,
					   &consistent);
		if (result != SL_CLI_OK)
			goto out;
		if (!consistent) {
			v.ok = 0;
			snprintf(v.reason, sizeof(v.reason),
				 "the signed checkpoint is not consistent "
				 "with the %llu entries verified before",
				 (unsigned long long)p.before);
		}
		v.consistent_with = p.before;
	}
	result = print_verdict(cli, &v);
	if (v.ok && p.keep) {
		int rc = record(cli, &p, &cp);

		if (rc != SL_CLI_OK)
			result = rc;
	}
out:
	free(c);
	free(note);
	pin_fini(&p);
	return result;
}

/* Reads a whole decimal number from 1 up; 0 when s is not one. */
static uint64_t positive(const char *s)
{
	uint64_t v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	return v;
}

/* Finds entry seq in the bundle that holds it (of the tree of n entries)
 * and returns a copy of its bytes (free()), with *len; NULL with why
 * filled, or with *rc a failed request's exit code. */
static char *fetch_entry(const struct sl_cli *cli, uint64_t n, uint64_t seq,
			 size_t *len, int *rc, char *why, size_t cap)
{
	struct sl_cli_bytes res = {0};
	struct bundle_cursor b;
	uint64_t index = (seq - 1) / SL_TILE_WIDTH;
	const char *e = NULL;
	char *out = NULL;

	*rc = fetch_bundle(cli, n, index, &res, why, cap);
	if (*rc != SL_CLI_OK || why[0])
		return NULL;
	b.p = (const unsigned char *)res.data;
	b.end = b.p + res.len;
	for (uint64_t i = index * SL_TILE_WIDTH; i < seq; i++)
		bundle_next(&b, &e, len);
	out = sl_xmalloc(*len + 1);
	memcpy(out, e, *len);
	out[*len] = '\0';
	free(res.data);
	return out;
}

int sl_cli_run_audit_prove(const struct sl_cli *cli,
			   const struct sl_cli_cmd *cmd,
			   const struct sl_cli_args *args)
{
	const char *size_arg = sl_cli_opt_value(args, "size");
	uint64_t seq = positive(args->pos[0]), size = 0;
	unsigned char leaf[SL_HASH_LEN], root[SL_HASH_LEN];
	unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN];
	struct sl_cli_response res = {0};
	struct pin p = {0};
	struct checkpoint cp;
	char *note = NULL, *entry = NULL, path[128], why[512] = "";
	json_t *doc = NULL;
	size_t elen = 0;
	long plen;
	int result, ok = 0;

	(void)cmd;
	if (!seq)
		return sl_cli_usage(
			"SEQ must be an entry's number (1 or more), "
			"not '%s'",
			args->pos[0]);
	if (size_arg && !(size = positive(size_arg)))
		return sl_cli_usage("--size must be a tree size (1 or more), "
				    "not '%s'",
				    size_arg);
	if (sodium_init() < 0)
		sl_die("cannot start libsodium");
	result = pin_key(cli, args, &p);
	if (result != SL_CLI_OK)
		goto out;
	result = get_checkpoint(cli, &note);
	if (result != SL_CLI_OK)
		goto out;
	if (!checkpoint_open(&p.v, note, &cp, why, sizeof(why))) {
		printf("FAILED: %s\n", why);
		result = SL_CLI_REFUSED;
		goto out;
	}
	if (!size)
		size = cp.size;
	result = SL_CLI_REFUSED;
	if (size > cp.size) {
		fprintf(stderr,
			"shiplog: --size %llu: the signed tree holds %llu "
			"entries\n",
			(unsigned long long)size, (unsigned long long)cp.size);
		goto out;
	}
	if (seq > size) {
		fprintf(stderr,
			"shiplog: entry %llu is not in the signed tree of %llu "
			"entries (yet: a checkpoint follows the writes within "
			"about a second)\n",
			(unsigned long long)seq, (unsigned long long)size);
		goto out;
	}
	entry = fetch_entry(cli, cp.size, seq, &elen, &result, why,
			    sizeof(why));
	if (!entry) {
		if (result == SL_CLI_OK) {
			printf("FAILED: %s\n", why);
			result = SL_CLI_REFUSED;
		}
		goto out;
	}
	sl_merkle_leaf_hash(entry, elen, leaf);
	snprintf(path, sizeof(path), "/v1/audit/%llu/proof?size=%llu",
		 (unsigned long long)seq, (unsigned long long)size);
	result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	if (result != SL_CLI_OK)
		goto out;
	plen = proof_hashes(res.json, proof);
	if (plen >= 0 && size == cp.size) {
		ok = sl_merkle_verify_inclusion(
			leaf, seq - 1, size,
			(const unsigned char(*)[SL_HASH_LEN])proof,
			(size_t)plen, cp.root);
	} else if (plen >= 0 &&
		   sl_merkle_inclusion_root(
			   leaf, seq - 1, size,
			   (const unsigned char(*)[SL_HASH_LEN])proof,
			   (size_t)plen, root)) {
		/* In tree `size`, whose root the path gives; that tree must
		 * be the first entries of the signed one. */
		result = check_consistency(cli, size, root, &cp, &ok);
		if (result != SL_CLI_OK)
			goto out;
	}
	doc = json_loadb(entry, elen, 0, NULL);
	if (cli->json) {
		json_t *j = json_pack("{sb sI sI sI ss}", "ok", ok, "seq",
				      (json_int_t)seq, "size", (json_int_t)size,
				      "checkpoint_size", (json_int_t)cp.size,
				      "root", cp.root_b64);

		json_object_set_new(j, "reason",
				    ok ? json_null()
				       : json_string("the proof does not "
						     "verify"));

		json_object_set(j, "entry", doc ? doc : json_null());
		sl_cli_print_json(j);
		json_decref(j);
	} else if (ok) {
		if (doc)
			sl_cli_print_json(doc);
		else
			printf("%s\n", entry);
	}
	if (!ok) {
		if (!cli->json)
			printf("FAILED: entry %llu is not in the signed tree "
			       "of %llu entries: the proof does not verify\n",
			       (unsigned long long)seq,
			       (unsigned long long)size);
		result = SL_CLI_REFUSED;
	} else if (!cli->json && size == cp.size) {
		printf("ok: entry %llu is in the signed tree of %llu entries\n",
		       (unsigned long long)seq, (unsigned long long)size);
	} else if (!cli->json) {
		printf("ok: entry %llu is in the tree of %llu entries, which "
		       "the signed tree of %llu entries extends\n",
		       (unsigned long long)seq, (unsigned long long)size,
		       (unsigned long long)cp.size);
	}
out:
	json_decref(doc);
	json_decref(res.json);
	free(entry);
	free(note);
	pin_fini(&p);
	return result;
}

/* Writes the tiles and entries of the tree of n entries to out, in the
 * order of docs/audit.md ("Export bundles"). Returns the exit code. */
static int write_entries(const struct sl_cli *cli, FILE *out, uint64_t n)
{
	uint64_t bundles = n / SL_TILE_WIDTH + (n % SL_TILE_WIDTH != 0);
	char *b64 = sl_xmalloc(sodium_base64_ENCODED_LEN(
		SL_TILE_WIDTH * SL_HASH_LEN, sodium_base64_VARIANT_ORIGINAL));
	char why[256] = "", name[96];
	int rc = SL_CLI_OK;

	for (uint64_t k = 0; k < bundles && rc == SL_CLI_OK; k++) {
		struct sl_tile_ref refs[SL_LOGCHECK_LEVELS];
		size_t nrefs =
			sl_logcheck_tiles_before(n, k * SL_TILE_WIDTH, refs);
		struct sl_cli_bytes res = {0};
		struct bundle_cursor b;
		const char *e;
		size_t len;
		uint64_t seq = k * SL_TILE_WIDTH;

		for (size_t i = 0; i < nrefs && rc == SL_CLI_OK; i++) {
			rc = fetch(cli, refs[i].level, refs[i].index,
				   refs[i].width, &res, why, sizeof(why));
			if (rc != SL_CLI_OK || why[0])
				break;
			sl_tile_path(name, sizeof(name), refs[i].level,
				     refs[i].index, refs[i].width);
			b64_encode((const unsigned char *)res.data, res.len,
				   b64,
				   sodium_base64_ENCODED_LEN(
					   SL_TILE_WIDTH * SL_HASH_LEN,
					   sodium_base64_VARIANT_ORIGINAL));
			fprintf(out, "{\"tile\":\"%s\",\"hashes\":\"%s\"}\n",
				name, b64);
			free(res.data);
			res.data = NULL;
		}
		if (rc == SL_CLI_OK && !why[0])
			rc = fetch_bundle(cli, n, k, &res, why, sizeof(why));
		if (rc != SL_CLI_OK || why[0])
			break;
		b.p = (const unsigned char *)res.data;
		b.end = b.p + res.len;
		while (bundle_next(&b, &e, &len) == 1) {
			seq++;
			if (memchr(e, '\n', len)) {
				snprintf(why, sizeof(why),
					 "entry %llu holds a newline, which "
					 "no entry may",
					 (unsigned long long)seq);
				break;
			}
			fwrite(e, 1, len, out);
			fputc('\n', out);
		}
		free(res.data);
	}
	if (rc == SL_CLI_OK && why[0]) {
		fprintf(stderr, "shiplog: cannot export: %s\n", why);
		rc = SL_CLI_REFUSED;
	}
	free(b64);
	return rc;
}

int sl_cli_run_audit_export(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	const char *file = sl_cli_opt_value(args, "out");
	struct sl_note_verifier v;
	struct sl_error err = {0};
	struct sl_cli_bytes key = {0};
	struct checkpoint cp;
	char *note = NULL, *tmp = NULL, vkey[VKEY_CAP], why[512];
	json_t *head = NULL;
	FILE *out = NULL;
	int to_stdout, result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	if (sodium_init() < 0)
		sl_die("cannot start libsodium");
	to_stdout = !strcmp(file, "-");
	result = sl_cli_get_bytes(cli, "/v1/audit/key", &key);
	if (result != SL_CLI_OK)
		goto out;
	snprintf(vkey, sizeof(vkey), "%.*s", (int)strcspn(key.data, "\r\n"),
		 key.data);
	result = get_checkpoint(cli, &note);
	if (result != SL_CLI_OK)
		goto out;
	/* The export carries the key the server presents; trusting it is
	 * for whoever verifies the export. It must open the checkpoint. */
	result = SL_CLI_FAILED;
	if (sl_note_verifier_parse(vkey, &v, &err) != SL_OK) {
		fprintf(stderr,
			"shiplog: the server's key is not a verifier key: "
			"%s\n",
			err.message);
		goto out;
	}
	if (!checkpoint_open(&v, note, &cp, why, sizeof(why))) {
		fprintf(stderr, "shiplog: cannot export: %s\n", why);
		goto out;
	}
	if (to_stdout) {
		out = stdout;
	} else {
		size_t n = strlen(file) + 32;

		tmp = sl_xmalloc(n);
		snprintf(tmp, n, "%s.tmp-%ld", file, (long)getpid());
		out = fopen(tmp, "w");
		if (!out) {
			fprintf(stderr, "shiplog: cannot write %s: %s\n", tmp,
				strerror(errno));
			goto out;
		}
	}
	head = json_pack("{ss ss ss}", "format", EXPORT_FORMAT, "verifier_key",
			 vkey, "checkpoint", note);
	if (json_dumpf(head, out, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0)
		goto write_failed;
	fputc('\n', out);
	result = write_entries(cli, out, cp.size);
	if (result != SL_CLI_OK)
		goto out;
	result = SL_CLI_FAILED;
	if (fflush(out) != 0 || ferror(out))
		goto write_failed;
	if (!to_stdout) {
		int closed = fsync(fileno(out)) == 0;

		closed = fclose(out) == 0 && closed;
		out = NULL;
		if (!closed || rename(tmp, file) != 0)
			goto write_failed;
		free(tmp);
		tmp = NULL;
	}
	result = SL_CLI_OK;
	if (cli->json && !to_stdout) {
		json_t *j = json_pack("{ss ss sI ss}", "out", file, "origin",
				      cp.origin, "size", (json_int_t)cp.size,
				      "root", cp.root_b64);

		sl_cli_print_json(j);
		json_decref(j);
	} else {
		fprintf(to_stdout ? stderr : stdout,
			"wrote %llu %s of %s (root %s) to %s\n",
			(unsigned long long)cp.size,
			cp.size == 1 ? "entry" : "entries", cp.origin,
			cp.root_b64, to_stdout ? "standard output" : file);
	}
	goto out;
write_failed:
	fprintf(stderr, "shiplog: cannot write %s: %s\n", file,
		strerror(errno));
	result = SL_CLI_FAILED;
out:
	if (out && !to_stdout)
		fclose(out);
	if (tmp)
		unlink(tmp);
	free(tmp);
	json_decref(head);
	free(note);
	free(key.data);
	return result;
}
