/* merkle.c - RFC 9162 Merkle tree hashes, proofs and their verification,
 * computed from C2SP tlog-tiles.
 *
 * Every node the computations need is a perfect subtree of 2^h leaves
 * starting at a multiple of 2^h. With h = 8q + r, its hash is the hash of
 * 2^r consecutive entries of one level-q tile, hashed up r levels: one
 * tile read. A root, an inclusion proof and a consistency proof are the
 * RFC 9162 recursions, whose nodes split into O(log n) such subtrees; the
 * tiles they come from are read once per computation, at the width the
 * tile has in the tree of n leaves. */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/merkle.h"

/* The largest level whose nodes exist in a tree of fewer than 2^64
 * leaves: a level-q tile entry is a node at height 8q < 64. */
#define MAX_LEVEL 7
/* Tiles a computation keeps once read. A proof touches at most three per
 * level; when more are needed, one is read again, which costs a read and
 * never a wrong answer. */
#define CACHE_SLOTS 16

/* SHA-256 through OpenSSL, which uses the processor's SHA extensions
 * where it has them: hashing is most of what verifying a log costs. The
 * digest is fetched once; a failure here is memory running out. */
static EVP_MD *md;
static pthread_once_t md_once = PTHREAD_ONCE_INIT;

static void md_fetch(void)
{
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	SL_ASSERT(md != NULL);
}

void sl_sha256(const void *data, size_t len, unsigned char out[SL_HASH_LEN])
{
	pthread_once(&md_once, md_fetch);
	SL_ASSERT(EVP_Digest(data, len, out, NULL, md, NULL) == 1);
}

void sl_merkle_leaf_hash(const void *entry, size_t len,
			 unsigned char out[SL_HASH_LEN])
{
	static const unsigned char prefix = 0x00;
	EVP_MD_CTX *c;
	int ok;

	pthread_once(&md_once, md_fetch);
	c = EVP_MD_CTX_new();
	SL_ASSERT(c != NULL);
	ok = EVP_DigestInit_ex2(c, md, NULL) == 1 &&
	     EVP_DigestUpdate(c, &prefix, 1) == 1 &&
	     (len == 0 || EVP_DigestUpdate(c, entry, len) == 1) &&
	     EVP_DigestFinal_ex(c, out, NULL) == 1;
	EVP_MD_CTX_free(c);
	SL_ASSERT(ok);
}

void sl_merkle_node_hash(const unsigned char left[SL_HASH_LEN],
			 const unsigned char right[SL_HASH_LEN],
			 unsigned char out[SL_HASH_LEN])
{
	unsigned char in[1 + 2 * SL_HASH_LEN];

	in[0] = 0x01;
	memcpy(in + 1, left, SL_HASH_LEN);
	memcpy(in + 1 + SL_HASH_LEN, right, SL_HASH_LEN);
	sl_sha256(in, sizeof(in), out);
}

/* Writes into out the root of the perfect tree over the count hashes at
 * in (count a power of two, at most SL_TILE_WIDTH); in is left as it
 * was. */
static void hash_up(const unsigned char *in, unsigned count,
		    unsigned char out[SL_HASH_LEN])
{
	unsigned char level[SL_TILE_WIDTH / 2][SL_HASH_LEN];

	SL_ASSERT(count >= 1 && count <= SL_TILE_WIDTH &&
		  (count & (count - 1)) == 0);
	if (count == 1) {
		memcpy(out, in, SL_HASH_LEN);
		return;
	}
	count /= 2;
	for (unsigned i = 0; i < count; i++)
		sl_merkle_node_hash(in + 2 * i * SL_HASH_LEN,
				    in + (2 * i + 1) * SL_HASH_LEN, level[i]);
	for (; count > 1; count /= 2)
		for (unsigned i = 0; i < count / 2; i++)
			sl_merkle_node_hash(level[2 * i], level[2 * i + 1],
					    level[i]);
	memcpy(out, level[0], SL_HASH_LEN);
}

/* The largest power of two smaller than n (n >= 2): where RFC 9162 splits
 * a tree of n leaves. */
static uint64_t split_point(uint64_t n)
{
	return UINT64_C(1) << (63 - __builtin_clzll(n - 1));
}

/* ---- reading tiles ---- */

struct tile {
	int level;
	uint64_t index;
	unsigned char *data; /* SL_TILE_WIDTH hashes, NULL when unused */
};

/* What one computation over the tree of n leaves has read so far. */
struct tiles {
	const struct sl_tile_reader *rd;
	uint64_t n;
	struct tile slot[CACHE_SLOTS];
	unsigned next; /* the slot the next read replaces */
};

static void tiles_init(struct tiles *t, const struct sl_tile_reader *rd,
		       uint64_t n)
{
	memset(t, 0, sizeof(*t));
	t->rd = rd;
	t->n = n;
}

static void tiles_fini(struct tiles *t)
{
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		free(t->slot[i].data);
}

/* The number of hashes tile (level, index) has in the tree of n leaves:
 * SL_TILE_WIDTH for a full tile, floor(n / 2^(8 level)) mod 256 for the
 * rightmost partial one, 0 when the tile does not exist yet. */
static unsigned tile_width(uint64_t n, int level, uint64_t index)
{
	uint64_t nodes = n >> (SL_TILE_HEIGHT * level);
	uint64_t first = index * SL_TILE_WIDTH;

	if (index > nodes / SL_TILE_WIDTH || first >= nodes)
		return 0;
	return nodes - first >= SL_TILE_WIDTH ? SL_TILE_WIDTH
					      : (unsigned)(nodes - first);
}

/* Points *data at tile (level, index) as it is in the tree of t->n
 * leaves, reading it unless this computation already has. 0 or the
 * reader's error, described in err. */
static enum sl_err tiles_get(struct tiles *t, int level, uint64_t index,
			     const unsigned char **data, struct sl_error *err)
{
	unsigned width = tile_width(t->n, level, index);
	struct tile *s;
	enum sl_err rc;

	SL_ASSERT(width > 0);
	for (unsigned i = 0; i < CACHE_SLOTS; i++) {
		s = &t->slot[i];
		if (s->data && s->level == level && s->index == index) {
			*data = s->data;
			return SL_OK;
		}
	}
	s = &t->slot[t->next];
	t->next = (t->next + 1) % CACHE_SLOTS;
	if (!s->data)
		s->data = sl_xmalloc(SL_TILE_WIDTH * SL_HASH_LEN);
	s->level = -1;
	rc = t->rd->read(t->rd->ctx, level, index, width, s->data);
	if (rc != SL_OK)
		return sl_error_set(err, rc, "",
				    "The log's tile %d/%llu (width %u) could "
				    "not be read (%s).",
				    level, (unsigned long long)index, width,
				    sl_error_name(rc));
	s->level = level;
	s->index = index;
	*data = s->data;
	return SL_OK;
}

/* The hash of the perfect subtree of 2^height leaves starting at leaf
 * start (a multiple of 2^height): 2^r entries of one level-q tile,
 * hashed up r levels, where height = 8q + r. */
static enum sl_err subtree_hash(struct tiles *t, uint64_t start,
				unsigned height, unsigned char out[SL_HASH_LEN],
				struct sl_error *err)
{
	int q = (int)(height / SL_TILE_HEIGHT);
	unsigned r = height % SL_TILE_HEIGHT;
	uint64_t node = start >> (SL_TILE_HEIGHT * q);
	unsigned entry = (unsigned)(node % SL_TILE_WIDTH);
	const unsigned char *data = NULL; /* set by tiles_get on success */
	enum sl_err rc;

	SL_ASSERT(height < 64);
	SL_ASSERT((start & ((UINT64_C(1) << height) - 1)) == 0);
	SL_ASSERT(start + (UINT64_C(1) << height) - 1 < t->n);
	rc = tiles_get(t, q, node / SL_TILE_WIDTH, &data, err);
	if (rc != SL_OK)
		return rc;
	hash_up(data + (size_t)entry * SL_HASH_LEN, 1u << r, out);
	return SL_OK;
}

/* MTH(D[start:end]) for a range the RFC 9162 recursion reaches: start is
 * a multiple of a power of two at least end - start, so the range is the
 * perfect subtrees given by the bits of its length, left to right, and
 * its hash folds them from the right. */
static enum sl_err range_hash(struct tiles *t, uint64_t start, uint64_t end,
			      unsigned char out[SL_HASH_LEN],
			      struct sl_error *err)
{
	uint64_t at[64];
	unsigned height[64];
	unsigned char acc[SL_HASH_LEN], piece[SL_HASH_LEN];
	uint64_t len = end - start;
	int count = 0;
	enum sl_err rc;

	SL_ASSERT(start < end);
	for (int h = 63; h >= 0; h--) {
		if (!(len >> h & 1))
			continue;
		at[count] = start;
		height[count++] = (unsigned)h;
		start += UINT64_C(1) << h;
	}
	rc = subtree_hash(t, at[count - 1], height[count - 1], acc, err);
	for (int i = count - 2; rc == SL_OK && i >= 0; i--) {
		rc = subtree_hash(t, at[i], height[i], piece, err);
		if (rc == SL_OK)
			sl_merkle_node_hash(piece, acc, acc);
	}
	if (rc == SL_OK)
		memcpy(out, acc, SL_HASH_LEN);
	return rc;
}

/* Reverses proof[0..len): the recursions find the hashes from the root
 * down, and RFC 9162 lists them from the leaf up. */
static void reverse(unsigned char proof[][SL_HASH_LEN], size_t len)
{
	unsigned char tmp[SL_HASH_LEN];

	for (size_t i = 0; i < len / 2; i++) {
		memcpy(tmp, proof[i], SL_HASH_LEN);
		memcpy(proof[i], proof[len - 1 - i], SL_HASH_LEN);
		memcpy(proof[len - 1 - i], tmp, SL_HASH_LEN);
	}
}

/* ---- roots and proofs ---- */

enum sl_err sl_merkle_root(const struct sl_tile_reader *rd, uint64_t n,
			   unsigned char out[SL_HASH_LEN], struct sl_error *err)
{
	struct tiles t;
	enum sl_err rc;

	if (n == 0) {
		sl_sha256("", 0, out);
		return SL_OK;
	}
	tiles_init(&t, rd, n);
	rc = range_hash(&t, 0, n, out, err);
	tiles_fini(&t);
	return rc;
}

/* RFC 9162 section 2.1.3.1, PATH(m, D[n]), unrolled: at each node the
 * leaf is on one side of the split and the other side's hash is the next
 * proof element, from the root down. */
enum sl_err sl_merkle_inclusion(const struct sl_tile_reader *rd, uint64_t n,
				uint64_t index,
				unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN],
				size_t *len, struct sl_error *err)
{
	struct tiles t;
	uint64_t lo = 0, hi = n;
	size_t count = 0;
	enum sl_err rc = SL_OK;

	*len = 0;
	if (n == 0)
		return sl_error_set(err, SL_EINVAL, "size",
				    "The empty tree has no leaves to prove.");
	if (index >= n)
		return sl_error_set(err, SL_EINVAL, "seq",
				    "Leaf %llu is not in the tree of %llu "
				    "leaves.",
				    (unsigned long long)index,
				    (unsigned long long)n);
	tiles_init(&t, rd, n);
	while (rc == SL_OK && hi - lo > 1) {
		uint64_t k = split_point(hi - lo);

		SL_ASSERT(count < SL_PROOF_MAX);
		if (index - lo < k) {
			rc = range_hash(&t, lo + k, hi, proof[count++], err);
			hi = lo + k;
		} else {
			rc = range_hash(&t, lo, lo + k, proof[count++], err);
			lo += k;
		}
	}
	tiles_fini(&t);
	if (rc != SL_OK)
		return rc;
	reverse(proof, count);
	*len = count;
	return SL_OK;
}

/* RFC 9162 section 2.1.4.1, SUBPROOF(m, D[n], b), unrolled from the root
 * down. Its proofs have at most one hash more than the tree's depth, so
 * for n above 2^63 one may not fit in SL_PROOF_MAX: that is refused, not
 * written past the array. */
enum sl_err
sl_merkle_consistency(const struct sl_tile_reader *rd, uint64_t m, uint64_t n,
		      unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN],
		      size_t *len, struct sl_error *err)
{
	struct tiles t;
	uint64_t lo = 0, hi = n, old = m;
	bool known = true; /* b: MTH(D[0:m]) is the verifier's own root */
	size_t count = 0;
	enum sl_err rc = SL_OK;

	*len = 0;
	if (m == 0)
		return sl_error_set(err, SL_EINVAL, "from",
				    "A consistency proof starts from a tree "
				    "of at least one leaf.");
	if (m > n)
		return sl_error_set(err, SL_EINVAL, "to",
				    "The tree of %llu leaves cannot extend "
				    "the tree of %llu.",
				    (unsigned long long)n,
				    (unsigned long long)m);
	tiles_init(&t, rd, n);
	for (bool done = false; rc == SL_OK && !done;) {
		uint64_t from, to;

		if (hi - lo == old) {
			if (known)
				break;
			from = lo;
			to = hi;
			done = true;
		} else {
			uint64_t k = split_point(hi - lo);

			if (old <= k) {
				from = lo + k;
				to = hi;
				hi = lo + k;
			} else {
				from = lo;
				to = lo + k;
				lo += k;
				old -= k;
				known = false;
			}
		}
		if (count == SL_PROOF_MAX)
			rc = sl_error_set(err, SL_EINVAL, "to",
					  "A consistency proof to a tree of "
					  "%llu leaves is too long.",
					  (unsigned long long)n);
		else
			rc = range_hash(&t, from, to, proof[count++], err);
	}
	tiles_fini(&t);
	if (rc != SL_OK)
		return rc;
	reverse(proof, count);
	*len = count;
	return SL_OK;
}

/* ---- verification ---- */

/* RFC 9162 section 2.1.3.2, step by step. */
int sl_merkle_inclusion_root(const unsigned char leaf_hash[SL_HASH_LEN],
			     uint64_t index, uint64_t n,
			     const unsigned char (*proof)[SL_HASH_LEN],
			     size_t len, unsigned char root[SL_HASH_LEN])
{
	unsigned char r[SL_HASH_LEN];
	uint64_t fn, sn;

	if (index >= n)
		return 0;
	fn = index;
	sn = n - 1;
	memcpy(r, leaf_hash, SL_HASH_LEN);
	for (size_t i = 0; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			sl_merkle_node_hash(proof[i], r, r);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sl_merkle_node_hash(r, proof[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	if (sn != 0)
		return 0;
	memcpy(root, r, SL_HASH_LEN);
	return 1;
}

/* ... and its last step: the root the path leads to must be root. */
int sl_merkle_verify_inclusion(const unsigned char leaf_hash[SL_HASH_LEN],
			       uint64_t index, uint64_t n,
			       const unsigned char (*proof)[SL_HASH_LEN],
			       size_t len,
			       const unsigned char root[SL_HASH_LEN])
{
	unsigned char r[SL_HASH_LEN];

	return sl_merkle_inclusion_root(leaf_hash, index, n, proof, len, r) &&
	       memcmp(r, root, SL_HASH_LEN) == 0;
}

/* RFC 9162 section 2.1.4.2, step by step, for 0 < m < n. Between equal
 * sizes the proof is empty (section 2.1.4.1) and the roots must be
 * equal; a size of 0 or m > n proves nothing. */
int sl_merkle_verify_consistency(uint64_t m, uint64_t n,
				 const unsigned char root_m[SL_HASH_LEN],
				 const unsigned char root_n[SL_HASH_LEN],
				 const unsigned char (*proof)[SL_HASH_LEN],
				 size_t len)
{
	unsigned char fr[SL_HASH_LEN], sr[SL_HASH_LEN];
	uint64_t fn, sn;
	size_t i = 0;

	if (m == 0 || m > n)
		return 0;
	if (m == n)
		return len == 0 && memcmp(root_m, root_n, SL_HASH_LEN) == 0;
	/* 1. An empty path fails. */
	if (len == 0)
		return 0;
	/* 2. and 5.: when m is a power of two, root_m stands first in the
	 * path; both running hashes start from the path's first value. */
	if ((m & (m - 1)) == 0) {
		memcpy(fr, root_m, SL_HASH_LEN);
	} else {
		memcpy(fr, proof[0], SL_HASH_LEN);
		i = 1;
	}
	memcpy(sr, fr, SL_HASH_LEN);
	/* 3. and 4. */
	fn = m - 1;
	sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* 6. */
	for (; i < len; i++) {
		if (sn == 0)
			return 0;
		if ((fn & 1) || fn == sn) {
			sl_merkle_node_hash(proof[i], fr, fr);
			sl_merkle_node_hash(proof[i], sr, sr);
			while (!(fn & 1) && fn != 0) {
				fn >>= 1;
				sn >>= 1;
			}
		} else {
			sl_merkle_node_hash(sr, proof[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	/* 7. */
	return sn == 0 && memcmp(fr, root_m, SL_HASH_LEN) == 0 &&
	       memcmp(sr, root_n, SL_HASH_LEN) == 0;
}

/* ---- building tiles ---- */

/* Level by level: the hashes appended at level L are the leaf hashes (L =
 * 0) or the subtree hashes of the level-(L-1) tiles this call filled.
 * They extend the level's rightmost tile (read back when it is partial)
 * and then fill new ones; each changed tile is written once, and each
 * tile that became full adds its hash to level L + 1. A level where
 * nothing became full ends the climb. */
enum sl_err sl_tiles_extend(const struct sl_tile_reader *rd,
			    const struct sl_tile_writer *wr, uint64_t old,
			    const unsigned char (*leaves)[SL_HASH_LEN],
			    size_t count, struct sl_error *err)
{
	unsigned char(*tile)[SL_HASH_LEN] = NULL;
	const unsigned char(*cur)[SL_HASH_LEN] = leaves;
	unsigned char(*owned)[SL_HASH_LEN] = NULL; /* cur, above level 0 */
	unsigned char(*next)[SL_HASH_LEN] = NULL;
	uint64_t at = old; /* where cur goes in the current level */
	enum sl_err rc = SL_OK;

	if (count == 0)
		return SL_OK;
	if (old + count < old)
		return sl_error_set(err, SL_EINVAL, "size",
				    "A log cannot hold 2^64 entries.");
	tile = sl_xmalloc(SL_TILE_WIDTH * SL_HASH_LEN);
	for (int level = 0; count > 0; level++) {
		uint64_t index = at / SL_TILE_WIDTH;
		unsigned have = (unsigned)(at % SL_TILE_WIDTH);
		size_t full = (size_t)((at + count) / SL_TILE_WIDTH - index);
		size_t used = 0, filled = 0;

		SL_ASSERT(level <= MAX_LEVEL);
		next = full ? sl_xmalloc(full * SL_HASH_LEN) : NULL;
		if (have > 0) {
			rc = rd->read(rd->ctx, level, index, have,
				      (unsigned char *)tile);
			if (rc != SL_OK) {
				rc = sl_error_set(err, rc, "",
						  "The log's tile %d/%llu "
						  "(width %u) could not be "
						  "read (%s).",
						  level,
						  (unsigned long long)index,
						  have, sl_error_name(rc));
				goto out;
			}
		}
		for (; used < count; index++, have = 0) {
			size_t take = SL_TILE_WIDTH - have;
			const unsigned char *data;

			if (take > count - used)
				take = count - used;
			if (have == 0 && take == SL_TILE_WIDTH) {
				data = cur[used]; /* a whole tile, as given */
			} else {
				memcpy(tile[have], cur[used],
				       take * SL_HASH_LEN);
				data = tile[0];
			}
			used += take;
			rc = wr->write(wr->ctx, level, index,
				       have + (unsigned)take, data);
			if (rc != SL_OK) {
				rc = sl_error_set(err, rc, "",
						  "The log's tile %d/%llu "
						  "could not be written (%s).",
						  level,
						  (unsigned long long)index,
						  sl_error_name(rc));
				goto out;
			}
			if (have + take == SL_TILE_WIDTH)
				hash_up(data, SL_TILE_WIDTH, next[filled++]);
		}
		SL_ASSERT(filled == full);
		free(owned);
		owned = next;
		next = NULL;
		cur = (const unsigned char(*)[SL_HASH_LEN])owned;
		count = full;
		at /= SL_TILE_WIDTH;
	}
out:
	free(next);
	free(owned);
	free(tile);
	return rc;
}

/* ---- tile paths ---- */

/* Appends the index as tlog-tiles spells it: 3-digit groups, all but the
 * last prefixed with "x". Returns the new length of buf. */
static size_t put_index(char *buf, size_t cap, size_t len, uint64_t index)
{
	unsigned group[7];
	int count = 0;

	do {
		group[count++] = (unsigned)(index % 1000);
		index /= 1000;
	} while (index > 0);
	while (count-- > 0)
		len += (size_t)snprintf(buf + len, cap - len,
					count > 0 ? "x%03u/" : "%03u",
					group[count]);
	return len;
}

int sl_tile_path(char *buf, size_t cap, int level, uint64_t index,
		 unsigned width)
{
	char path[96];
	size_t len;

	if (level < -1 || level > 63 || width == 0 || width > SL_TILE_WIDTH) {
		if (cap > 0)
			buf[0] = '\0';
		return -1;
	}
	if (level < 0)
		len = (size_t)snprintf(path, sizeof(path), "tile/entries/");
	else
		len = (size_t)snprintf(path, sizeof(path), "tile/%d/", level);
	len = put_index(path, sizeof(path), len, index);
	if (width < SL_TILE_WIDTH)
		snprintf(path + len, sizeof(path) - len, ".p/%u", width);
	return snprintf(buf, cap, "%s", path);
}

/* Reads a decimal number of 1 to max_digits digits, without a leading
 * zero unless it is "0", into *out; returns the position after it or
 * NULL. */
static const char *parse_decimal(const char *p, int max_digits, unsigned *out)
{
	unsigned v = 0;
	int digits = 0;

	while (*p >= '0' && *p <= '9') {
		if (digits == max_digits || (digits == 1 && v == 0))
			return NULL;
		v = v * 10 + (unsigned)(*p++ - '0');
		digits++;
	}
	if (digits == 0)
		return NULL;
	*out = v;
	return p;
}

/* Reads exactly three digits into *out; returns the position after them
 * or NULL. */
static const char *parse_group(const char *p, unsigned *out)
{
	for (int i = 0; i < 3; i++)
		if (p[i] < '0' || p[i] > '9')
			return NULL;
	*out = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 +
	       (unsigned)(p[2] - '0');
	return p + 3;
}

int sl_tile_path_parse(const char *path, int *level, uint64_t *index,
		       unsigned *width)
{
	const char *p = path;
	unsigned lvl = 0, group, w = SL_TILE_WIDTH;
	uint64_t n = 0;
	bool entries = strncmp(p, "entries/", 8) == 0;
	bool first = true;

	if (entries) {
		p += 8;
	} else {
		p = parse_decimal(p, 2, &lvl);
		if (!p || lvl > 63 || *p++ != '/')
			return -1;
	}
	/* "xDDD/" groups, then the last "DDD"; the first of several groups
	 * is not 000, or the index would have leading zeros. */
	for (;;) {
		bool more = *p == 'x';

		p = parse_group(more ? p + 1 : p, &group);
		if (!p || (more && first && group == 0))
			return -1;
		if (n > (UINT64_MAX - group) / 1000)
			return -1;
		n = n * 1000 + group;
		first = false;
		if (!more)
			break;
		if (*p++ != '/')
			return -1;
	}
	if (strncmp(p, ".p/", 3) == 0) {
		p = parse_decimal(p + 3, 3, &w);
		if (!p || w == 0 || w >= SL_TILE_WIDTH)
			return -1;
	}
	if (*p != '\0')
		return -1;
	*level = entries ? -1 : (int)lvl;
	*index = n;
	*width = w;
	return 0;
}
