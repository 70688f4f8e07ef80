/* log.c - the verifiable audit log: key, identity, integrator, start-up
 * check (log.h), and the routes that serve it as C2SP tlog-tiles. */
#include "http/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/entry.h"
#include "core/merkle.h"
#include "core/note.h"
#include "core/validate.h"
#include "http/handlers.h"
#include "http/http.h"

#define PAGE 4096 /* entries read at a time */

static struct {
	pthread_mutex_t mu;
	int started;
	char origin[256];
	char vkey[600];
	struct sl_note_verifier verifier;
	struct sl_note_signer signer;
	char broken[400];
	int64_t last_us;
	unsigned interval_ms;
	char *witness_url, *witness_command;
	uint64_t delivered; /* the latest checkpoint size witnesses took */
} L = {.mu = PTHREAD_MUTEX_INITIALIZER};

const char *sl_log_broken(void)
{
	const char *b;

	pthread_mutex_lock(&L.mu);
	b = L.broken[0] ? L.broken : NULL;
	pthread_mutex_unlock(&L.mu);
	return b;
}

static void log_line(const char *level, const char *msg, const char *detail)
{
	json_t *j = json_pack("{ss ss}", "level", level, "msg", msg);
	char *s;

	if (detail)
		json_object_set_new(j, "detail", json_string(detail));
	s = json_dumps(j, JSON_COMPACT);
	if (s)
		fprintf(stderr, "%s\n", s);
	free(s);
	json_decref(j);
}

/* ---- the signing key ----
 *
 * The file holds one line, as Go's note package writes a private key:
 * "PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte seed)>". */

static enum sl_err key_read(const char *path, struct sl_note_signer *s,
			    struct sl_error *err)
{
	char buf[700], *p, *name, *plus;
	unsigned char raw[64], seed[32];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return sl_error_set(err, SL_EINTERNAL, "log-key",
				    "cannot read the log key %s: %s", path,
				    strerror(errno));
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	if (!p || strncmp(buf, "PRIVATE+KEY+", 12) != 0)
		goto bad;
	buf[strcspn(buf, "\r\n")] = '\0';
	name = buf + 12;
	plus = strchr(name, '+');
	if (!plus || plus - name >= (long)sizeof(s->name))
		goto bad;
	*plus = '\0';
	plus = strchr(plus + 1, '+');
	if (!plus ||
	    (n = (size_t)sl_base64_decode(plus + 1, strlen(plus + 1), raw,
					  sizeof(raw))) != 33 ||
	    raw[0] != 1)
		goto bad;
	memcpy(seed, raw + 1, 32);
	sodium_memzero(raw, sizeof(raw));
	if (sl_note_signer_new(name, seed, s, NULL) != SL_OK)
		goto bad;
	sodium_memzero(seed, sizeof(seed));
	return SL_OK;
bad:
	return sl_error_set(err, SL_EINVAL, "log-key",
			    "%s is not a log key (PRIVATE+KEY+name+hash+key)",
			    path);
}

static enum sl_err key_create(const char *path, const char *name,
			      struct sl_note_signer *s, struct sl_error *err)
{
	unsigned char raw[33], seed[SL_ED25519_SEED];
	char b64[64], line[700];
	enum sl_err rc;
	int fd, len;

	randombytes_buf(seed, sizeof(seed));
	rc = sl_note_signer_new(name, seed, s, err);
	if (rc)
		return rc;
	raw[0] = 1;
	memcpy(raw + 1, seed, sizeof(seed));
	sodium_memzero(seed, sizeof(seed));
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
			  sodium_base64_VARIANT_ORIGINAL);
	sodium_memzero(raw, sizeof(raw));
	len = snprintf(line, sizeof(line), "PRIVATE+KEY+%s+%08x+%s\n", name,
		       sl_note_key_hash(name, s->public_key), b64);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST)
		return key_read(path, s, err); /* another daemon was first */
	if (fd < 0)
		return sl_error_set(err, SL_EINTERNAL, "log-key",
				    "cannot create the log key %s: %s", path,
				    strerror(errno));
	if (write(fd, line, (size_t)len) != len || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return sl_error_set(err, SL_EINTERNAL, "log-key",
				    "cannot write the log key %s", path);
	}
	close(fd);
	sodium_memzero(line, sizeof(line));
	return SL_OK;
}

/* A new origin, unique to this installation: "shiplog.<host>/<random>",
 * a key name (no spaces, no '+'). */
static void new_origin(char *buf, size_t cap)
{
	char host[64] = "local";
	unsigned char r[6];
	char hex[13];

	gethostname(host, sizeof(host) - 1);
	for (char *p = host; *p; p++)
		if (*p == ' ' || *p == '+' || (unsigned char)*p < 0x21 ||
		    (unsigned char)*p > 0x7e)
			*p = '-';
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(hex, sizeof(hex), r, sizeof(r));
	snprintf(buf, cap, "shiplog.%s/%s", host, hex);
}

/* ---- tiles through a transaction ---- */

static enum sl_err tile_read(void *ctx, int level, uint64_t index,
			     unsigned width, unsigned char *out)
{
	struct sl_tx *tx = ctx;
	unsigned char buf[SL_TILE_WIDTH * SL_HASH_LEN];
	unsigned have = 0;
	enum sl_err rc =
		sl_store_log_tile_get(tx, level, index, &have, buf, NULL);

	if (rc)
		return rc;
	if (have < width)
		return SL_ENOTFOUND; /* the tree is shorter than asked */
	memcpy(out, buf, (size_t)width * SL_HASH_LEN);
	return SL_OK;
}

static enum sl_err tile_write(void *ctx, int level, uint64_t index,
			      unsigned width, const unsigned char *data)
{
	return sl_store_log_tile_put(ctx, level, index, width, data, NULL);
}

/* The fields of an audit entry as the tree holds it (borrowed). */
static struct sl_entry entry_fields(const struct sl_audit_row *a)
{
	return (struct sl_entry){
		.seq = a->seq,
		.at = a->at,
		.actor = a->actor,
		.action = a->action,
		.object_type = a->object_type,
		.object_id = a->object_id,
		.request_id = a->request_id,
		.change = a->change,
		.before = a->before,
		.after = a->after,
		.via = a->via,
	};
}

/* The bytes of an audit entry as the tree holds them. */
static char *entry_of(const struct sl_audit_row *a, size_t *len)
{
	struct sl_entry e = entry_fields(a);

	return sl_entry_bytes(&e, len);
}

/* ---- the integrator ---- */

/* One step: at most a page of entries into the tree, and its
 * checkpoint; *added says how many, and *latest (when not NULL) gets the
 * checkpoint of the tree as it now is (free() it). */
static enum sl_err integrate(struct sl_store *st, int64_t now, size_t *added,
			     char **latest, struct sl_error *err)
{
	struct sl_tx tx;
	struct sl_tile_reader rd = {tile_read, &tx};
	struct sl_tile_writer wr = {tile_write, &tx};
	struct sl_audit_rows rows = {0};
	struct sl_filter f = {.limit = PAGE};
	unsigned char(*leaves)[SL_HASH_LEN] = NULL;
	unsigned char root[SL_HASH_LEN];
	char hex[2 * SL_HASH_LEN + 1], *text = NULL, *note = NULL, *kept = NULL;
	uint64_t size = 0;
	enum sl_err rc = sl_store_begin_exclusive(st, &tx, err);

	if (rc)
		return rc;
	rc = sl_store_log_size(&tx, &size, err);
	if (rc == SL_OK) {
		f.after = (int64_t)size;
		rc = sl_store_audit_list(&tx, &f, &rows, err);
	}
	if (rc == SL_OK && rows.n) {
		leaves = sl_xcalloc(rows.n, sizeof(*leaves));
		for (size_t i = 0; rc == SL_OK && i < rows.n; i++) {
			size_t len;
			char *bytes;

			if ((uint64_t)rows.v[i].seq != size + i + 1) {
				rc = sl_error_set(
					err, SL_ECONFLICT, "seq",
					"audit entry %llu is missing",
					(unsigned long long)(size + i + 1));
				break;
			}
			bytes = entry_of(&rows.v[i], &len);
			sl_merkle_leaf_hash(bytes, len, leaves[i]);
			free(bytes);
		}
		if (rc == SL_OK)
			rc = sl_tiles_extend(&rd, &wr, size,
					     (const unsigned char(*)[32])leaves,
					     rows.n, err);
		if (rc == SL_OK) {
			size += rows.n;
			rc = sl_store_log_size_set(&tx, size, err);
		}
	}
	/* A checkpoint for every size reached: the first one of an empty
	 * log too, so there always is one to read. */
	if (rc == SL_OK) {
		enum sl_err have = sl_store_log_checkpoint_get(&tx, size, NULL,
							       &kept, err);

		if (have == SL_ENOTFOUND) {
			rc = sl_merkle_root(&rd, size, root, err);
			if (rc == SL_OK) {
				sodium_bin2hex(hex, sizeof(hex), root,
					       sizeof(root));
				pthread_mutex_lock(&L.mu);
				text = sl_checkpoint_text(L.origin, size, root);
				note = sl_note_sign(&L.signer, text);
				pthread_mutex_unlock(&L.mu);
				rc = sl_store_log_checkpoint_put(
					&tx, size, hex, note, now, err);
			}
		} else {
			rc = have;
		}
	}
	if (rc == SL_OK)
		rc = sl_store_commit(&tx, err);
	else
		sl_store_abort(&tx);
	*added = rc == SL_OK ? rows.n : 0;
	if (latest && rc == SL_OK) {
		free(*latest);
		*latest = note ? note : kept;
		if (note)
			free(kept);
		note = kept = NULL;
	} else {
		free(kept);
		free(note);
	}
	free(text);
	free(leaves);
	sl_audit_rows_fini(&rows);
	return rc;
}

enum sl_err sl_log_integrate(struct sl_store *st, int64_t now_us, char **latest,
			     struct sl_error *err)
{
	enum sl_err rc;
	size_t added = 0;

	if (sl_log_broken())
		return sl_error_set(err, SL_EUNAVAIL, "", "%s",
				    sl_log_broken());
	/* More entries than a page: keep going until the tree is caught up. */
	do
		rc = integrate(st, now_us, &added, latest, err);
	while (rc == SL_OK && added == PAGE);
	return rc;
}

/* ---- witnesses ---- */

static size_t discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* Hands the checkpoint note to the configured witnesses: 0 when every
 * one took it. */
static int deliver(const char *note)
{
	int ok = 1;

	if (L.witness_command) {
		FILE *p = popen(L.witness_command, "w");

		if (!p || fputs(note, p) < 0)
			ok = 0;
		if (p && pclose(p) != 0)
			ok = 0;
		if (!ok)
			log_line("warn", "the checkpoint command failed",
				 L.witness_command);
	}
	if (L.witness_url) {
		CURL *c = curl_easy_init();
		struct curl_slist *h =
			curl_slist_append(NULL, "Content-Type: text/plain");
		long status = 0;
		CURLcode rc = CURLE_FAILED_INIT;

		if (c) {
			curl_easy_setopt(c, CURLOPT_URL, L.witness_url);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, note);
			curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
			curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
			curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
			curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
			rc = curl_easy_perform(c);
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			curl_easy_cleanup(c);
		}
		curl_slist_free_all(h);
		if (rc != CURLE_OK || status < 200 || status > 299) {
			ok = 0;
			log_line("warn",
				 "the checkpoint witness did not take it",
				 L.witness_url);
		}
	}
	return ok ? 0 : -1;
}

/* Delivers the latest checkpoint when the witnesses have not had it. */
static void witness(struct sl_store *st)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *note = NULL;
	uint64_t size = 0;

	if ((!L.witness_url && !L.witness_command) ||
	    sl_store_begin(st, 0, &tx, &err))
		return;
	if (sl_store_log_checkpoint_get(&tx, 0, &size, &note, &err)) {
		sl_store_abort(&tx);
		return;
	}
	sl_store_abort(&tx);
	if (size > L.delivered || L.delivered == UINT64_MAX) {
		if (deliver(note) == 0)
			L.delivered = size;
	}
	free(note);
}

/* One round of the sequencer: numbers up to 10,000 entries committed
 * without a number (*numbered says how many). A concurrent sequencer
 * that won the same entries is no failure: the round is run again. */
static enum sl_err number_round(struct sl_store *st, int64_t *numbered,
				struct sl_error *err)
{
	enum sl_err rc = SL_OK;

	for (int attempt = 0; attempt < 8; attempt++) {
		struct sl_tx tx;
		int64_t pending = 0;

		*numbered = 0;
		rc = sl_store_begin(st, 0, &tx, err);
		if (rc == SL_OK) {
			rc = sl_store_audit_unnumbered(&tx, &pending, err);
			sl_store_abort(&tx);
		}
		if (rc || !pending)
			return rc;
		rc = sl_store_begin_exclusive(st, &tx, err);
		if (rc == SL_OK)
			rc = sl_store_audit_number(&tx, numbered, err);
		if (rc == SL_OK)
			rc = sl_store_commit(&tx, err);
		else
			sl_store_abort(&tx);
		if (rc == SL_OK || !err->transient)
			return rc;
	}
	return rc;
}

enum sl_err sl_log_number(struct sl_store *st, struct sl_error *err)
{
	int64_t n = 0;

	if (sl_store_numbers_at_once(st))
		return SL_OK;
	return number_round(st, &n, err);
}

void sl_log_tick(struct sl_store *st, int64_t now_us)
{
	struct sl_error err = {0};
	int64_t n = 0;
	int due;

	/* Number what was written since the last tick (every tick: the
	 * log's readers wait for nothing), then extend the tree when a
	 * checkpoint is due. */
	if (!sl_store_numbers_at_once(st)) {
		do {
			if (number_round(st, &n, &err)) {
				log_line("warn", "cannot number audit entries",
					 err.message);
				break;
			}
		} while (n == 10000);
	}

	pthread_mutex_lock(&L.mu);
	due = L.started && !L.broken[0] &&
	      now_us - L.last_us >= (int64_t)L.interval_ms * 1000;
	if (due)
		L.last_us = now_us;
	pthread_mutex_unlock(&L.mu);
	if (due && sl_log_integrate(st, now_us, NULL, &err))
		log_line("warn", "cannot extend the audit log", err.message);
	if (due)
		witness(st);
}

/* ---- the start-up check ---- */

/* 0 when the full tile (level, idx) hashes to the node its parent tile
 * holds for it. The root is read from the highest tiles, so without this
 * an entry rewritten together with its level-0 hash would go unseen. */
static enum sl_err tile_check(struct sl_tx *tx, int level, uint64_t idx,
			      struct sl_error *err)
{
	unsigned char tile[SL_TILE_WIDTH * SL_HASH_LEN];
	unsigned char up[SL_TILE_WIDTH * SL_HASH_LEN];
	unsigned width = 0, have = 0, slot = (unsigned)(idx % SL_TILE_WIDTH);
	enum sl_err rc =
		sl_store_log_tile_get(tx, level, idx, &width, tile, err);

	if (rc == SL_OK)
		rc = sl_store_log_tile_get(tx, level + 1, idx / SL_TILE_WIDTH,
					   &have, up, err);
	if (rc == SL_ENOTFOUND ||
	    (rc == SL_OK && (width < SL_TILE_WIDTH || have <= slot)))
		return sl_error_set(err, SL_ECONFLICT, "tile",
				    "tile %d/%llu or its parent is missing",
				    level, (unsigned long long)idx);
	if (rc)
		return rc;
	/* The perfect tree over the 256 hashes, a level at a time. */
	for (unsigned n = SL_TILE_WIDTH; n > 1; n /= 2)
		for (unsigned i = 0; i < n / 2; i++)
			sl_merkle_node_hash(tile + 2 * i * SL_HASH_LEN,
					    tile + (2 * i + 1) * SL_HASH_LEN,
					    tile + i * SL_HASH_LEN);
	if (sodium_memcmp(tile, up + slot * SL_HASH_LEN, SL_HASH_LEN))
		return sl_error_set(err, SL_ECONFLICT, "tile",
				    "tile %d/%llu is not the subtree tile "
				    "%d/%llu holds",
				    level, (unsigned long long)idx, level + 1,
				    (unsigned long long)(idx / SL_TILE_WIDTH));
	return SL_OK;
}

enum sl_err sl_log_verify_stored(struct sl_store *st, struct sl_error *err)
{
	struct sl_tx tx;
	struct sl_tile_reader rd = {tile_read, &tx};
	struct sl_audit_rows rows = {0};
	struct sl_filter f = {.limit = PAGE};
	char *note = NULL, origin[256];
	unsigned char root[SL_HASH_LEN], want[SL_HASH_LEN];
	uint64_t size = 0, csize = 0, done = 0;
	size_t tlen = 0;
	enum sl_err rc = sl_store_begin(st, 0, &tx, err);

	if (rc)
		return rc;
	rc = sl_store_log_size(&tx, &size, err);
	if (rc == SL_OK) {
		rc = sl_store_log_checkpoint_get(&tx, 0, &csize, &note, err);
		if (rc == SL_ENOTFOUND && size == 0) {
			sl_store_abort(&tx);
			return SL_OK; /* nothing signed yet, nothing kept */
		}
		if (rc == SL_ENOTFOUND)
			rc = sl_error_set(err, SL_ECONFLICT, "checkpoint",
					  "the tree covers %llu entries but "
					  "no checkpoint is kept",
					  (unsigned long long)size);
	}
	if (rc == SL_OK &&
	    (sl_note_open(&L.verifier, note, &tlen, err) ||
	     sl_checkpoint_parse(note, tlen, origin, sizeof(origin), &csize,
				 want, err))) {
		char why[sizeof(err->message)]; /* err is written over */

		snprintf(why, sizeof(why), "%s", err->message);
		rc = sl_error_set(err, SL_ECONFLICT, "checkpoint",
				  "the latest checkpoint does not verify "
				  "under the log's key: %s",
				  why);
	}
	if (rc == SL_OK && (csize != size || strcmp(origin, L.origin) != 0))
		rc = sl_error_set(err, SL_ECONFLICT, "checkpoint",
				  "the latest checkpoint (%llu entries) is "
				  "not of the stored tree (%llu)",
				  (unsigned long long)csize,
				  (unsigned long long)size);
	if (rc == SL_OK) {
		rc = sl_merkle_root(&rd, size, root, err);
		if (rc == SL_ENOTFOUND)
			rc = sl_error_set(err, SL_ECONFLICT, "tile",
					  "a tile of the tree is missing");
		if (rc == SL_OK && sodium_memcmp(root, want, sizeof(root)))
			rc = sl_error_set(err, SL_ECONFLICT, "tile",
					  "the stored tiles do not give the "
					  "signed root of %llu entries",
					  (unsigned long long)size);
	}
	/* Every full tile against its parent, level by level. */
	for (int level = 0; level < 7 && (size >> (8 * (level + 1))) > 0;
	     level++)
		for (uint64_t i = 0;
		     rc == SL_OK && i < size >> (8 * (level + 1)); i++)
			rc = tile_check(&tx, level, i, err);
	/* Every entry against its leaf, a page (and a level-0 tile) at a
	 * time: the tile is read once for its 256 entries. */
	while (rc == SL_OK && done < size) {
		unsigned char tile[SL_TILE_WIDTH * SL_HASH_LEN];
		uint64_t have_tile = UINT64_MAX;
		unsigned width = 0;

		f.after = (int64_t)done;
		rc = sl_store_audit_list(&tx, &f, &rows, err);
		for (size_t i = 0; rc == SL_OK && i < rows.n && done < size;
		     i++, done++) {
			unsigned char leaf[SL_HASH_LEN];
			size_t len;
			char *bytes;

			if ((uint64_t)rows.v[i].seq != done + 1) {
				rc = sl_error_set(
					err, SL_ECONFLICT, "seq",
					"audit entry %llu is missing",
					(unsigned long long)(done + 1));
				break;
			}
			if (have_tile != done / SL_TILE_WIDTH) {
				rc = sl_store_log_tile_get(&tx, 0,
							   done / SL_TILE_WIDTH,
							   &width, tile, err);
				have_tile =
					rc ? UINT64_MAX : done / SL_TILE_WIDTH;
			}
			if (rc == SL_ENOTFOUND ||
			    (rc == SL_OK && width <= done % SL_TILE_WIDTH)) {
				rc = sl_error_set(
					err, SL_ECONFLICT, "tile",
					"the tile of entry %llu is "
					"missing",
					(unsigned long long)(done + 1));
				break;
			}
			if (rc)
				break;
			bytes = entry_of(&rows.v[i], &len);
			sl_merkle_leaf_hash(bytes, len, leaf);
			free(bytes);
			if (sodium_memcmp(leaf,
					  tile + (done % SL_TILE_WIDTH) *
							  SL_HASH_LEN,
					  SL_HASH_LEN))
				rc = sl_error_set(
					err, SL_ECONFLICT, "seq",
					"audit entry %llu is not the entry the "
					"signed tree holds",
					(unsigned long long)(done + 1));
		}
		if (rc == SL_OK && rows.n == 0 && done < size)
			rc = sl_error_set(err, SL_ECONFLICT, "seq",
					  "audit entry %llu is missing",
					  (unsigned long long)(done + 1));
		sl_audit_rows_fini(&rows);
	}
	sl_store_abort(&tx);
	free(note);
	return rc;
}

enum sl_err sl_log_start(struct sl_store *st, const struct sl_log_config *cfg,
			 struct sl_error *err)
{
	struct sl_note_signer s;
	struct sl_tx tx;
	char *origin = NULL, *vkey = NULL, mine[600], fresh[256];
	enum sl_err rc;

	/* Daemons of one database may start together: one creates the key
	 * and the identity, and the others wait a moment for the file. */
	for (int i = 0; i < 50 && access(cfg->key_path, F_OK) != 0; i++) {
		rc = sl_store_begin(st, 0, &tx, err);
		if (rc == SL_OK) {
			rc = sl_store_log_identity_get(&tx, &origin, &vkey,
						       err);
			sl_store_abort(&tx);
		}
		free(origin);
		free(vkey);
		origin = vkey = NULL;
		if (rc != SL_OK)
			break; /* no identity yet (or no store): go on */
		usleep(100 * 1000);
	}
	if (access(cfg->key_path, F_OK) == 0) {
		rc = key_read(cfg->key_path, &s, err);
	} else {
		/* A new key is named after the log's origin: the one the
		 * store knows, the one asked for, or a new unique one. */
		rc = sl_store_begin(st, 0, &tx, err);
		if (rc == SL_OK) {
			rc = sl_store_log_identity_get(&tx, &origin, &vkey,
						       err);
			sl_store_abort(&tx);
		}
		if (rc == SL_OK) {
			rc = sl_error_set(err, SL_EINVAL, "log-key",
					  "this log (%s) is signed with a key "
					  "that is not at %s; give it with "
					  "--log-key",
					  origin, cfg->key_path);
			free(origin);
			free(vkey);
			return rc;
		}
		if (rc != SL_ENOTFOUND)
			return rc;
		if (cfg->origin)
			snprintf(fresh, sizeof(fresh), "%s", cfg->origin);
		else
			new_origin(fresh, sizeof(fresh));
		rc = key_create(cfg->key_path, fresh, &s, err);
	}
	if (rc)
		return rc;
	sl_note_verifier_key(&s, mine, sizeof(mine));
	rc = sl_store_begin_exclusive(st, &tx, err);
	if (rc == SL_OK) {
		rc = sl_store_log_identity_get(&tx, &origin, &vkey, err);
		if (rc == SL_ENOTFOUND) {
			rc = sl_store_log_identity_put(&tx, s.name, mine, err);
			if (rc == SL_OK) {
				origin = sl_xstrdup(s.name);
				vkey = sl_xstrdup(mine);
			}
		}
		if (rc == SL_ECONFLICT) {
			/* Another daemon put it just now: read theirs. */
			sl_store_abort(&tx);
			rc = sl_store_begin(st, 0, &tx, err);
			if (rc == SL_OK)
				rc = sl_store_log_identity_get(&tx, &origin,
							       &vkey, err);
		}
		if (rc == SL_OK)
			rc = sl_store_commit(&tx, err);
		else
			sl_store_abort(&tx);
	}
	if (rc == SL_OK && strcmp(vkey, mine) != 0)
		rc = sl_error_set(err, SL_EINVAL, "log-key",
				  "the key at %s is not this log's (%s)",
				  cfg->key_path, vkey);
	if (rc == SL_OK && cfg->origin && strcmp(cfg->origin, origin) != 0)
		rc = sl_error_set(err, SL_EINVAL, "log-origin",
				  "this log's origin is %s, not %s", origin,
				  cfg->origin);
	if (rc == SL_OK) {
		pthread_mutex_lock(&L.mu);
		L.signer = s;
		snprintf(L.origin, sizeof(L.origin), "%s", origin);
		snprintf(L.vkey, sizeof(L.vkey), "%s", vkey);
		rc = sl_note_verifier_parse(vkey, &L.verifier, err);
		L.interval_ms = cfg->interval_ms ? cfg->interval_ms : 1000;
		L.witness_url =
			cfg->witness_url ? sl_xstrdup(cfg->witness_url) : NULL;
		L.witness_command = cfg->witness_command
					    ? sl_xstrdup(cfg->witness_command)
					    : NULL;
		/* After a start the witnesses get the latest once more. */
		L.delivered = UINT64_MAX;
		L.started = rc == SL_OK;
		pthread_mutex_unlock(&L.mu);
	}
	sodium_memzero(&s, sizeof(s));
	free(origin);
	free(vkey);
	if (rc)
		return rc;
	{
		struct sl_error v = {0};
		enum sl_err vr = sl_log_verify_stored(st, &v);

		/* A record that disagrees with its signature, or that is not
		 * even well-formed any more, is served but takes no writes. */
		if (vr == SL_ECONFLICT || vr == SL_EINTERNAL) {
			pthread_mutex_lock(&L.mu);
			snprintf(L.broken, sizeof(L.broken),
				 "the audit log does not match its signed "
				 "checkpoint: %s",
				 v.message);
			pthread_mutex_unlock(&L.mu);
			log_line("error",
				 "the audit log was rewritten; "
				 "refusing writes",
				 v.message);
		} else if (vr) {
			return sl_error_set(err, vr, "", "%s", v.message);
		}
	}
	return SL_OK;
}

/* ---- routes ---- */

/* 1 when the token may read the whole log: it holds every environment's
 * and service's entries, so a token scoped to some is refused (403). */
static int whole_log(struct sl_req *r)
{
	static const char *const keys[] = {"environments", "services", "teams"};
	json_t *scope = r->actor.scope ? sl_http_doc(r->actor.scope) : NULL;
	int limited = 0;

	for (size_t i = 0; scope && i < 3; i++)
		if (json_array_size(json_object_get(scope, keys[i])))
			limited = 1;
	json_decref(scope);
	if (limited)
		sl_http_failf(r, SL_EFORBIDDEN, "scope",
			      "the audit log holds the entries of every "
			      "environment and service; reading it takes a "
			      "token without an environment, service or team "
			      "scope");
	return !limited;
}

void sl_h_audit_key(struct sl_req *r)
{
	char *body;

	pthread_mutex_lock(&L.mu);
	body = sl_xmalloc(strlen(L.vkey) + 2);
	snprintf(body, strlen(L.vkey) + 2, "%s\n", L.vkey);
	pthread_mutex_unlock(&L.mu);
	sl_http_reply_bytes(r, 200, body, strlen(body),
			    "text/plain; charset=utf-8");
}

void sl_h_log_checkpoint(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	char *note = NULL;
	enum sl_err rc;

	if (!whole_log(r))
		return;
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK) {
		rc = sl_store_log_checkpoint_get(&tx, 0, NULL, &note, &err);
		sl_store_abort(&tx);
	}
	if (rc == SL_ENOTFOUND)
		rc = sl_error_set(&err, SL_EUNAVAIL, "",
				  "no checkpoint has been signed yet");
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	r->cache_control = "no-cache";
	sl_http_reply_bytes(r, 200, note, strlen(note),
			    "text/plain; charset=utf-8");
}

/* The entry bundle of index idx and width w: each entry as a big-endian
 * uint16 length and its bytes. */
static enum sl_err bundle(struct sl_tx *tx, uint64_t idx, unsigned w,
			  char **out, size_t *len, struct sl_error *err)
{
	struct sl_audit_rows rows = {0};
	struct sl_filter f = {.after = (int64_t)(idx * SL_TILE_WIDTH),
			      .limit = (int)w};
	size_t cap = 0, n = 0;
	char *buf = NULL;
	enum sl_err rc = sl_store_audit_list(tx, &f, &rows, err);

	/* Each entry written in place after room for its length. */
	for (size_t i = 0; rc == SL_OK && i < rows.n; i++) {
		struct sl_entry e = entry_fields(&rows.v[i]);
		size_t at = n, elen;

		if (n + 2 >= cap) {
			cap = 2 * (n + 2) + 1024;
			buf = sl_xrealloc(buf, cap);
		}
		n += 2;
		elen = sl_entry_append(&e, &buf, &n, &cap);
		if (elen > 0xFFFF)
			rc = sl_error_set(err, SL_EUNAVAIL, "",
					  "audit entry %lld is longer than an "
					  "entry bundle can hold",
					  (long long)rows.v[i].seq);
		buf[at] = (char)(elen >> 8);
		buf[at + 1] = (char)(elen & 0xFF);
	}
	if (rc == SL_OK && rows.n != w)
		rc = sl_error_set(err, SL_ENOTFOUND, "", "no such bundle");
	sl_audit_rows_fini(&rows);
	if (rc) {
		free(buf);
		return rc;
	}
	*out = buf ? buf : sl_xstrdup("");
	*len = n;
	return SL_OK;
}

void sl_h_log_tile(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	int level;
	uint64_t idx, size = 0;
	unsigned width, have = 0;
	unsigned char hashes[SL_TILE_WIDTH * SL_HASH_LEN];
	char *body = NULL;
	size_t len = 0;
	enum sl_err rc;

	if (!whole_log(r))
		return;
	if (sl_tile_path_parse(r->params[0], &level, &idx, &width)) {
		sl_http_failf(r, SL_ENOTFOUND, NULL,
			      "%s is not a tile of this log", r->params[0]);
		return;
	}
	rc = sl_store_begin(sl_http_store(r), 0, &tx, &err);
	if (rc == SL_OK)
		rc = sl_store_log_size(&tx, &size, &err);
	if (rc == SL_OK && level < 0) {
		/* Only what the tree covers is served. */
		if (idx * SL_TILE_WIDTH + width > size)
			rc = sl_error_set(&err, SL_ENOTFOUND, "",
					  "no such bundle");
		else
			rc = bundle(&tx, idx, width, &body, &len, &err);
	} else if (rc == SL_OK) {
		rc = sl_store_log_tile_get(&tx, level, idx, &have, hashes,
					   &err);
		if (rc == SL_OK && have < width)
			rc = sl_error_set(&err, SL_ENOTFOUND, "",
					  "no such tile");
		if (rc == SL_OK) {
			len = (size_t)width * SL_HASH_LEN;
			body = sl_xmalloc(len + 1);
			memcpy(body, hashes, len);
		}
	}
	if (tx.conn)
		sl_store_abort(&tx);
	if (rc) {
		sl_http_fail(r, &err);
		return;
	}
	/* A full tile never changes; a partial one is replaced by a wider
	 * one as the log grows, at another path. */
	r->cache_control = "public, max-age=31536000, immutable";
	sl_http_reply_bytes(r, 200, body, len, "application/octet-stream");
}

/* Reads the tree size a proof is asked against: no larger than the
 * tree. */
static int proof_size(struct sl_req *r, struct sl_tx *tx, const char *key,
		      uint64_t *n)
{
	struct sl_error err = {0};
	int64_t v = 0;
	uint64_t size = 0;

	if (!sl_h_int_param(r, key, &v))
		return 0;
	if (sl_store_log_size(tx, &size, &err)) {
		sl_http_fail(r, &err);
		return 0;
	}
	if (!sl_http_query(r, key) || v < 1 || (uint64_t)v > size) {
		sl_http_failf(r, SL_EMALFORMED, key,
			      "%s must be a tree size from 1 to %llu, the "
			      "size of the latest checkpoint",
			      key, (unsigned long long)size);
		return 0;
	}
	*n = (uint64_t)v;
	return 1;
}

static json_t *hashes_json(unsigned char (*p)[SL_HASH_LEN], size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++) {
		char b64[64];

		sodium_bin2base64(b64, sizeof(b64), p[i], SL_HASH_LEN,
				  sodium_base64_VARIANT_ORIGINAL);
		json_array_append_new(a, json_string(b64));
	}
	return a;
}

void sl_h_audit_proof(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	struct sl_tile_reader rd = {tile_read, &tx};
	unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN];
	uint64_t n = 0;
	int64_t seq = 0;
	size_t len = 0;
	enum sl_err rc;

	if (!whole_log(r))
		return;
	if (!sl_h_path_id(r, "audit entry", &seq))
		return;
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!proof_size(r, &tx, "size", &n))
		goto out;
	if ((uint64_t)seq > n) {
		sl_http_failf(r, SL_EMALFORMED, "size",
			      "entry %lld is not in the tree of %llu entries",
			      (long long)seq, (unsigned long long)n);
		goto out;
	}
	rc = sl_merkle_inclusion(&rd, n, (uint64_t)seq - 1, proof, &len, &err);
	if (rc)
		sl_http_fail(r, &err);
	else
		sl_http_reply_json(r, 200,
				   json_pack("{sI sI sI so}", "seq",
					     (json_int_t)seq, "leaf_index",
					     (json_int_t)(seq - 1), "tree_size",
					     (json_int_t)n, "hashes",
					     hashes_json(proof, len)));
out:
	sl_store_abort(&tx);
}

void sl_h_audit_consistency(struct sl_req *r)
{
	struct sl_error err = {0};
	struct sl_tx tx;
	struct sl_tile_reader rd = {tile_read, &tx};
	unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN];
	uint64_t m = 0, n = 0;
	size_t len = 0;

	if (!whole_log(r))
		return;
	if (sl_store_begin(sl_http_store(r), 0, &tx, &err)) {
		sl_http_fail(r, &err);
		return;
	}
	if (!proof_size(r, &tx, "from", &m) || !proof_size(r, &tx, "to", &n))
		goto out;
	if (m > n) {
		sl_http_failf(r, SL_EMALFORMED, "from",
			      "from (%llu) must not exceed to (%llu)",
			      (unsigned long long)m, (unsigned long long)n);
		goto out;
	}
	if (sl_merkle_consistency(&rd, m, n, proof, &len, &err))
		sl_http_fail(r, &err);
	else
		sl_http_reply_json(r, 200,
				   json_pack("{sI sI so}", "from",
					     (json_int_t)m, "to", (json_int_t)n,
					     "hashes",
					     hashes_json(proof, len)));
out:
	sl_store_abort(&tx);
}

/* POST /v1/log/checkpoint: extends the tree and signs now, when this
 * daemon leads its cluster (only the leader extends the tree), and
 * answers the latest checkpoint. */
void sl_h_log_sign(struct sl_req *r)
{
	struct sl_error err = {0};
	char *note = NULL;

	if (!whole_log(r))
		return;
	if (!sl_store_leader_held(sl_http_store(r))) {
		sl_http_failf(r, SL_ECONFLICT, NULL,
			      "this daemon does not lead its cluster; the "
			      "leader signs a checkpoint within %u ms of a "
			      "write",
			      L.interval_ms);
		return;
	}
	/* The note comes from the signing transaction itself: on SQLite its
	 * COMMIT is shared with the other writes of its group, after this
	 * handler, so a read now would not see it yet. */
	if (sl_log_integrate(sl_http_store(r), r->now, &note, &err)) {
		free(note);
		sl_http_fail(r, &err);
		return;
	}
	r->cache_control = "no-cache";
	sl_http_reply_bytes(r, 200, note, strlen(note),
			    "text/plain; charset=utf-8");
}
