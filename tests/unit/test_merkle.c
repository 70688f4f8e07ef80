/* test_merkle.c - the audit log's RFC 9162 tree kept as tlog-tiles: known
 * answers, tiles built in batches against the definition, proofs against
 * a naive RFC 9162 oracle, the cost in tile reads, and tile paths. */
#include <sodium.h>
#include <stdlib.h>

#include "core/merkle.h"
#include "test.h"

#define H	 SL_HASH_LEN
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define LEVELS	 8
#define BIG	 70000 /* leaves: level-1 and level-2 tiles exist past 65,536 */

/* ---- the naive oracle: RFC 9162 section 2.1 read literally ---- */

static void naive_leaf(const void *data, size_t len, unsigned char out[H])
{
	unsigned char buf[64];

	CHECK(len < sizeof(buf));
	buf[0] = 0x00;
	memcpy(buf + 1, data, len);
	crypto_hash_sha256(out, buf, len + 1);
}

static void naive_node(const unsigned char l[H], const unsigned char r[H],
		       unsigned char out[H])
{
	unsigned char buf[1 + 2 * H];

	buf[0] = 0x01;
	memcpy(buf + 1, l, H);
	memcpy(buf + 1 + H, r, H);
	crypto_hash_sha256(out, buf, sizeof(buf));
}

/* The largest power of two smaller than n, counted up the slow way. */
static uint64_t naive_split(uint64_t n)
{
	uint64_t k = 1;

	while (k * 2 < n)
		k *= 2;
	return k;
}

static int memo(const unsigned char (*d)[H], uint64_t n, unsigned char out[H]);

/* MTH(D[n]) over leaf hashes d[0..n). */
static void naive_mth(const unsigned char (*d)[H], uint64_t n,
		      unsigned char out[H])
{
	unsigned char l[H], r[H];
	uint64_t k;

	if (memo(d, n, out))
		return;
	if (n == 0) {
		crypto_hash_sha256(out, (const unsigned char *)"", 0);
		return;
	}
	if (n == 1) {
		memcpy(out, d[0], H);
		return;
	}
	k = naive_split(n);
	naive_mth(d, k, l);
	naive_mth(d + k, n - k, r);
	naive_node(l, r, out);
}

/* PATH(m, D[n]) into proof; returns its length. */
static size_t naive_path(uint64_t m, const unsigned char (*d)[H], uint64_t n,
			 unsigned char (*proof)[H])
{
	uint64_t k;
	size_t len;

	if (n <= 1)
		return 0;
	k = naive_split(n);
	if (m < k) {
		len = naive_path(m, d, k, proof);
		naive_mth(d + k, n - k, proof[len]);
	} else {
		len = naive_path(m - k, d + k, n - k, proof);
		naive_mth(d, k, proof[len]);
	}
	return len + 1;
}

/* SUBPROOF(m, D[n], b) into proof; returns its length. */
static size_t naive_subproof(uint64_t m, const unsigned char (*d)[H],
			     uint64_t n, int b, unsigned char (*proof)[H])
{
	uint64_t k;
	size_t len;

	if (m == n) {
		if (b)
			return 0;
		naive_mth(d, n, proof[0]);
		return 1;
	}
	k = naive_split(n);
	if (m <= k) {
		len = naive_subproof(m, d, k, b, proof);
		naive_mth(d + k, n - k, proof[len]);
	} else {
		len = naive_subproof(m - k, d + k, n - k, 0, proof);
		naive_mth(d, k, proof[len]);
	}
	return len + 1;
}

/* ---- fixtures ---- */

static void unhex(const char *hex, unsigned char *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (unsigned char)v;
	}
}

static const char *tohex(const unsigned char h[H], char buf[2 * H + 1])
{
	for (int i = 0; i < H; i++)
		snprintf(buf + 2 * i, 3, "%02x", h[i]);
	return buf;
}

#define CHECK_HASH(got, want_hex)                                              \
	do {                                                                   \
		char t_g[2 * H + 1];                                           \
		CHECK_STR(tohex(got, t_g), want_hex);                          \
	} while (0)

/* Leaf hashes of BIG entries ("entry 0", "entry 1", ...) and, for levels 1
 * and 2, the hashes of the perfect subtrees a tile entry stands for, each
 * worked out from the leaves with naive_mth. */
static unsigned char (*leaves)[H];
static unsigned char (*level_nodes[3])[H];
static size_t level_count[3];
static int memo_levels; /* levels of level_nodes worked out so far */

/* naive_mth over the fixture leaves would hash all of a 70,000-leaf tree
 * for every root and proof; a perfect subtree of 256 or 65,536 of them
 * is looked up instead, once naive_mth has worked it out. 1 when out was
 * filled. */
static int memo(const unsigned char (*d)[H], uint64_t n, unsigned char out[H])
{
	uintptr_t at = (uintptr_t)d, base = (uintptr_t)leaves;
	uint64_t off;

	if (!leaves || at < base || at >= base + (uintptr_t)BIG * H)
		return 0;
	off = (at - base) / H;
	for (int l = memo_levels; l >= 1; l--) {
		uint64_t span = UINT64_C(1) << (8 * l);

		if (n == span && off % span == 0 &&
		    off / span < level_count[l]) {
			memcpy(out, level_nodes[l][off / span], H);
			return 1;
		}
	}
	return 0;
}

static void fixture(void)
{
	if (leaves)
		return;
	leaves = calloc(BIG, H);
	for (unsigned i = 0; i < BIG; i++) {
		char entry[32];
		int len = snprintf(entry, sizeof(entry), "entry %u", i);

		naive_leaf(entry, (size_t)len, leaves[i]);
	}
	level_nodes[0] = leaves;
	level_count[0] = BIG;
	for (int l = 1; l < 3; l++) {
		uint64_t span = UINT64_C(1) << (8 * l);

		level_count[l] = BIG / span;
		level_nodes[l] = calloc(level_count[l], H);
		for (size_t k = 0; k < level_count[l]; k++)
			naive_mth(leaves + k * span, span, level_nodes[l][k]);
		memo_levels = l;
	}
}

/* ---- an in-memory tile store ---- */

struct mem_tile {
	unsigned width;
	unsigned long long written_in; /* the extension that last wrote it */
	unsigned char data[SL_TILE_WIDTH][H];
};

struct mem_store {
	struct mem_tile **tile[LEVELS];
	size_t count[LEVELS]; /* tile[level][0..count) allocated */
	uint64_t size;	      /* leaves held */
	uint64_t tree;	      /* the tree size a computation asks about */
	unsigned reads, writes;
	unsigned long long call;
	int wide_reads; /* reads of more hashes than the tree of `tree` has */
	int rewrites;	/* a tile written twice by one extension */
	int changes;	/* a write that shrank a tile or changed kept hashes */
	enum sl_err fail; /* when set, what every read and write answers */
};

/* How many hashes tile (level, index) has in the tree of n leaves. */
static unsigned naive_width(uint64_t n, int level, uint64_t index)
{
	uint64_t nodes = n >> (8 * level), first = index * 256;

	if (nodes <= first)
		return 0;
	return nodes - first > 256 ? 256 : (unsigned)(nodes - first);
}

static enum sl_err mem_read(void *ctx, int level, uint64_t index,
			    unsigned width, unsigned char *out)
{
	struct mem_store *s = ctx;
	struct mem_tile *t;

	s->reads++;
	if (s->fail)
		return s->fail;
	if (level < 0 || level >= LEVELS || width == 0 || width > 256 ||
	    width > naive_width(s->tree, level, index))
		s->wide_reads++;
	if (level < 0 || level >= LEVELS || index >= s->count[level])
		return SL_ENOTFOUND;
	t = s->tile[level][index];
	if (!t || width > t->width)
		return SL_ENOTFOUND;
	memcpy(out, t->data, (size_t)width * H);
	return SL_OK;
}

static enum sl_err mem_write(void *ctx, int level, uint64_t index,
			     unsigned width, const unsigned char *data)
{
	struct mem_store *s = ctx;
	struct mem_tile *t;

	s->writes++;
	if (s->fail)
		return s->fail;
	CHECK(level >= 0 && level < LEVELS);
	CHECK(width >= 1 && width <= 256);
	if (level < 0 || level >= LEVELS || width == 0 || width > 256)
		return SL_EINTERNAL;
	if (index >= s->count[level]) {
		size_t n = (size_t)index + 16;

		s->tile[level] = realloc(s->tile[level], n * sizeof(t));
		for (size_t i = s->count[level]; i < n; i++)
			s->tile[level][i] = NULL;
		s->count[level] = n;
	}
	t = s->tile[level][index];
	if (!t)
		t = s->tile[level][index] = calloc(1, sizeof(*t));
	if (t->written_in == s->call)
		s->rewrites++;
	if (width < t->width || memcmp(t->data, data, (size_t)t->width * H))
		s->changes++;
	t->written_in = s->call;
	t->width = width;
	memcpy(t->data, data, (size_t)width * H);
	return SL_OK;
}

static void mem_fini(struct mem_store *s)
{
	for (int l = 0; l < LEVELS; l++) {
		for (size_t i = 0; i < s->count[l]; i++)
			free(s->tile[l][i]);
		free(s->tile[l]);
	}
}

static struct sl_tile_reader reader(struct mem_store *s)
{
	return (struct sl_tile_reader){mem_read, s};
}

/* Appends the next count fixture leaves through sl_tiles_extend. */
static enum sl_err mem_grow(struct mem_store *s, size_t count)
{
	struct sl_tile_reader rd = reader(s);
	struct sl_tile_writer wr = {mem_write, s};
	struct sl_error err = {0};
	enum sl_err rc;

	s->call++;
	s->tree = s->size;
	rc = sl_tiles_extend(&rd, &wr, s->size,
			     (const unsigned char(*)[H])leaves + s->size, count,
			     &err);
	if (rc == SL_OK)
		s->size += count;
	return rc;
}

/* Builds a store of n leaves in batches of 1,000. */
static void mem_build(struct mem_store *s, uint64_t n)
{
	fixture();
	memset(s, 0, sizeof(*s));
	while (s->size < n) {
		uint64_t batch = n - s->size < 1000 ? n - s->size : 1000;

		CHECK_INT(mem_grow(s, (size_t)batch), SL_OK);
	}
}

/* Compares every tile of s with the definition: tile L index N entry i is
 * the hash of the 2^(8L) leaves from (N*256 + i) * 2^(8L), each tile has
 * the width the tree of s->size leaves gives it, and there are no others.
 * Returns the number of tiles that differ. */
static int mem_diff(const struct mem_store *s)
{
	int bad = 0;

	for (int l = 0; l < LEVELS; l++) {
		size_t want = (size_t)(((s->size >> (8 * l)) + 255) / 256);
		size_t n = s->count[l] > want ? s->count[l] : want;

		for (size_t i = 0; i < n; i++) {
			const struct mem_tile *t =
				i < s->count[l] ? s->tile[l][i] : NULL;
			unsigned w = naive_width(s->size, l, i);

			if ((t ? t->width : 0) != w ||
			    (w &&
			     (l > 2 || memcmp(t->data, level_nodes[l][i * 256],
					      (size_t)w * H)))) {
				fprintf(stderr,
					"  tile %d/%zu at %llu leaves: width "
					"%u, want %u%s\n",
					l, i, (unsigned long long)s->size,
					t ? t->width : 0, w,
					t && t->width == w ? " (hashes differ)"
							   : "");
				bad++;
			}
		}
	}
	return bad;
}

/* ---- known answers ---- */

static const struct {
	const char *hex;
} ct_leaves[] = {
	{""},
	{"00"},
	{"10"},
	{"2021"},
	{"3031"},
	{"40414243"},
	{"5051525354555657"},
	{"606162636465666768696a6b6c6d6e6f"},
};

static const char *const ct_roots[] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* The reference proofs of the Certificate Transparency implementations
 * (0-based leaf index here). */
struct ct_proof {
	uint64_t a, n; /* leaf index or old size, tree size */
	const char *proof[4];
};

static const struct ct_proof ct_inclusion[] = {
	{0, 1, {NULL}},
	{0,
	 8,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{5,
	 8,
	 {"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2,
	 3,
	 {"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"}},
	{1,
	 5,
	 {"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

static const struct ct_proof ct_consistency[] = {
	{1, 1, {NULL}},
	{1,
	 8,
	 {"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	  "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"}},
	{6,
	 8,
	 {"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	  "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"}},
	{2,
	 5,
	 {"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	  "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"}},
};

/* Decodes a NULL-terminated list of hex hashes; returns how many. */
static size_t ct_decode(const struct ct_proof *c, unsigned char (*out)[H])
{
	size_t n = 0;

	while (c->proof[n]) {
		unhex(c->proof[n], out[n]);
		n++;
	}
	return n;
}

/* The eight reference leaves, hashed by the naive definition. */
static void ct_leaf_hashes(unsigned char out[8][H])
{
	for (size_t i = 0; i < COUNT(ct_leaves); i++) {
		unsigned char data[16];
		size_t len = strlen(ct_leaves[i].hex) / 2;

		unhex(ct_leaves[i].hex, data);
		naive_leaf(data, len, out[i]);
	}
}

TEST(the_naive_definition_gives_the_reference_roots)
{
	unsigned char d[8][H], root[H];

	ct_leaf_hashes(d);
	for (uint64_t n = 0; n <= 8; n++) {
		naive_mth((const unsigned char(*)[H])d, n, root);
		CHECK_HASH(root, ct_roots[n]);
	}
}

TEST(leaf_and_node_hashes_are_the_rfc_9162_prefixed_sha256)
{
	unsigned char d[8][H], got[H], want[H];

	ct_leaf_hashes(d);
	for (size_t i = 0; i < COUNT(ct_leaves); i++) {
		unsigned char data[16];

		unhex(ct_leaves[i].hex, data);
		sl_merkle_leaf_hash(data, strlen(ct_leaves[i].hex) / 2, got);
		CHECK(memcmp(got, d[i], H) == 0);
	}
	sl_merkle_node_hash(d[0], d[1], got);
	naive_node(d[0], d[1], want);
	CHECK(memcmp(got, want, H) == 0);
	sl_merkle_node_hash(d[1], d[0], got);
	CHECK(memcmp(got, want, H) != 0);
	sl_merkle_leaf_hash(NULL, 0, got);
	CHECK_HASH(got, "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a"
			"30617afa01d");
}

TEST(tiles_of_the_reference_leaves_give_the_reference_roots_and_proofs)
{
	unsigned char d[8][H], root[H], proof[SL_PROOF_MAX][H];
	unsigned char ra[H], rn[H], want[3][H];
	struct mem_store s = {0};
	struct sl_tile_reader rd = reader(&s);
	struct sl_tile_writer wr = {mem_write, &s};
	struct sl_error err = {0};
	size_t len;

	ct_leaf_hashes(d);
	CHECK_INT(sl_tiles_extend(&rd, &wr, 0, (const unsigned char(*)[H])d, 8,
				  &err),
		  SL_OK);
	s.size = 8;
	for (uint64_t n = 0; n <= 8; n++) {
		s.tree = n;
		CHECK_INT(sl_merkle_root(&rd, n, root, &err), SL_OK);
		CHECK_HASH(root, ct_roots[n]);
	}
	s.tree = 8;
	for (size_t i = 0; i < COUNT(ct_inclusion); i++) {
		size_t want_len = ct_decode(&ct_inclusion[i], want);

		CHECK_INT(sl_merkle_inclusion(&rd, ct_inclusion[i].n,
					      ct_inclusion[i].a, proof, &len,
					      &err),
			  SL_OK);
		CHECK_INT(len, want_len);
		CHECK(len == want_len && memcmp(proof, want, len * H) == 0);
		unhex(ct_roots[ct_inclusion[i].n], rn);
		CHECK_INT(sl_merkle_verify_inclusion(
				  d[ct_inclusion[i].a], ct_inclusion[i].a,
				  ct_inclusion[i].n,
				  (const unsigned char(*)[H])want, want_len,
				  rn),
			  1);
	}
	for (size_t i = 0; i < COUNT(ct_consistency); i++) {
		size_t want_len = ct_decode(&ct_consistency[i], want);

		CHECK_INT(sl_merkle_consistency(&rd, ct_consistency[i].a,
						ct_consistency[i].n, proof,
						&len, &err),
			  SL_OK);
		CHECK_INT(len, want_len);
		CHECK(len == want_len && memcmp(proof, want, len * H) == 0);
		unhex(ct_roots[ct_consistency[i].a], ra);
		unhex(ct_roots[ct_consistency[i].n], rn);
		CHECK_INT(sl_merkle_verify_consistency(
				  ct_consistency[i].a, ct_consistency[i].n, ra,
				  rn, (const unsigned char(*)[H])want,
				  want_len),
			  1);
	}
	CHECK_INT(s.wide_reads, 0);
	mem_fini(&s);
}

/* ---- building tiles ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(tiles_built_in_batches_of_any_size_are_the_tiles_of_the_definition)
{
	/* Batch sizes at first, then random ones; a batch stops at each of
	 * these sizes, so the tree passes through them exactly. */
	static const size_t first[] = {1,    7, 255, 256, 257,
				       1000, 1, 1,   2,	  30000};
	static const uint64_t stops[] = {65535, 65536, 65537, BIG};
	struct mem_store s = {0};
	size_t batches = 0, stop = 0;
	int bad = 0, bad_roots = 0;

	fixture();
	while (s.size < BIG) {
		size_t batch = batches < COUNT(first)
				       ? first[batches]
				       : 1 + (size_t)(rng() % 300);
		unsigned char got[H], want[H];
		struct sl_tile_reader rd = reader(&s);
		struct sl_error err = {0};
		unsigned reads;
		int at_stop;

		if (s.size + batch > stops[stop])
			batch = (size_t)(stops[stop] - s.size);
		reads = s.reads;
		CHECK_INT(mem_grow(&s, batch), SL_OK);
		/* One read at most per level: its partial tile. */
		CHECK(s.reads - reads <= 3);
		at_stop = s.size == stops[stop];
		stop += at_stop;
		batches++;
		bad += mem_diff(&s);
		if (batches % 16 && !at_stop)
			continue;
		s.tree = s.size;
		CHECK_INT(sl_merkle_root(&rd, s.size, got, &err), SL_OK);
		naive_mth((const unsigned char(*)[H])leaves, s.size, want);
		bad_roots += memcmp(got, want, H) != 0;
	}
	CHECK_INT(s.size, BIG);
	CHECK(batches > 200);
	CHECK_INT(bad, 0);
	CHECK_INT(bad_roots, 0);
	CHECK_INT(s.rewrites, 0);
	CHECK_INT(s.changes, 0);
	CHECK_INT(s.wide_reads, 0);
	/* Level 2 holds the hash of the first 65,536 leaves. */
	CHECK_INT(s.count[2] > 0 && s.tile[2][0] ? s.tile[2][0]->width : 0, 1);
	CHECK_INT(s.count[3], 0);
	mem_fini(&s);
}

TEST(the_root_of_every_size_is_the_naive_mth)
{
	static const uint64_t spread[] = {
		601,   1000,  4095,  4096,  4097,  12345, 32767, 32768,
		40000, 65280, 65535, 65536, 65537, 65791, 65792, 65793,
		66000, 66001, 69888, 69889, 69999, BIG};
	struct mem_store s;
	struct sl_tile_reader rd = reader(&s);
	unsigned char got[H], want[H];
	struct sl_error err = {0};
	int bad = 0;

	mem_build(&s, BIG);
	for (uint64_t n = 0; n < 601 + COUNT(spread); n++) {
		uint64_t size = n <= 600 ? n : spread[n - 601];

		s.tree = size;
		CHECK_INT(sl_merkle_root(&rd, size, got, &err), SL_OK);
		naive_mth((const unsigned char(*)[H])leaves, size, want);
		if (memcmp(got, want, H) != 0) {
			fprintf(stderr, "  root of %llu differs\n",
				(unsigned long long)size);
			bad++;
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(s.wide_reads, 0);
	mem_fini(&s);
}

TEST(extending_by_one_leaf_reads_at_most_one_tile_per_level)
{
	static const struct {
		uint64_t old;
		unsigned reads, writes;
	} cases[] = {
		{0, 0, 1},     /* a new level-0 tile */
		{69999, 1, 1}, /* the partial level-0 tile */
		{65535, 2, 3}, /* fills 0/255 and 1/000; starts 2/000 */
		{65791, 1, 2}, /* fills 0/256; starts 1/001 */
		{66047, 2, 2}, /* fills 0/257; extends 1/001.p/1 */
		{256, 0, 1},   /* starts 0/001; nothing above changes */
	};

	for (size_t i = 0; i < COUNT(cases); i++) {
		struct mem_store s;

		mem_build(&s, cases[i].old);
		s.reads = s.writes = 0;
		CHECK_INT(mem_grow(&s, 1), SL_OK);
		CHECK_INT(s.reads, cases[i].reads);
		CHECK_INT(s.writes, cases[i].writes);
		CHECK_INT(mem_diff(&s), 0);
		CHECK_INT(s.wide_reads, 0);
		mem_fini(&s);
	}
}

TEST(extending_reports_a_store_that_cannot_answer)
{
	struct mem_store s;
	struct sl_tile_reader rd;
	struct sl_tile_writer wr = {mem_write, NULL};
	struct sl_error err = {0};
	unsigned char h[H] = {0};

	mem_build(&s, 300);
	rd = reader(&s);
	wr.ctx = &s;
	s.writes = 0;
	s.fail = SL_EUNAVAIL;
	CHECK_INT(mem_grow(&s, 1), SL_EUNAVAIL); /* reading 0/001.p/44 */
	CHECK_INT(s.writes, 0);
	s.fail = SL_OK;
	/* A store that lost its partial tile is damaged. */
	free(s.tile[0][1]);
	s.tile[0][1] = NULL;
	CHECK_INT(mem_grow(&s, 1), SL_ENOTFOUND);
	CHECK_INT(sl_tiles_extend(&rd, &wr, 300,
				  (const unsigned char(*)[H])leaves, 1, &err),
		  SL_ENOTFOUND);
	CHECK_INT(err.code, SL_ENOTFOUND);
	/* Writes that fail stop the extension (0/002 is new: no read). */
	s.fail = SL_EUNAVAIL;
	s.reads = 0;
	CHECK_INT(sl_tiles_extend(&rd, &wr, 512,
				  (const unsigned char(*)[H])leaves, 1, &err),
		  SL_EUNAVAIL);
	CHECK_INT(s.reads, 0);
	s.fail = SL_OK;
	CHECK_INT(sl_tiles_extend(&rd, &wr, UINT64_MAX,
				  (const unsigned char(*)[H]) & h, 1, &err),
		  SL_EINVAL);
	CHECK_INT(sl_tiles_extend(&rd, &wr, 300, NULL, 0, &err), SL_OK);
	mem_fini(&s);
}

/* ---- proofs ---- */

/* Checks the inclusion proof of leaf index in the tree of n leaves that s
 * gives: it equals PATH, verifies, and every damaged variant is refused.
 * Returns the number of failures. */
static int check_inclusion(struct mem_store *s, uint64_t index, uint64_t n)
{
	struct sl_tile_reader rd = reader(s);
	unsigned char proof[SL_PROOF_MAX + 1][H], want[SL_PROOF_MAX][H];
	unsigned char root[H], other[H], bent[SL_PROOF_MAX + 1][H];
	const unsigned char(*p)[H] = (const unsigned char(*)[H])proof;
	const unsigned char *leaf = leaves[index];
	struct sl_error err = {0};
	size_t len = 0, want_len;
	int bad = 0;

	s->tree = n;
	if (sl_merkle_inclusion(&rd, n, index, proof, &len, &err) != SL_OK)
		return 1;
	want_len =
		naive_path(index, (const unsigned char(*)[H])leaves, n, want);
	bad += len != want_len || memcmp(proof, want, len * H) != 0;
	naive_mth((const unsigned char(*)[H])leaves, n, root);
	bad += sl_merkle_verify_inclusion(leaf, index, n, p, len, root) != 1;
	/* The root the path leads to is the tree's; a path of another
	 * length leads nowhere. */
	bad += sl_merkle_inclusion_root(leaf, index, n, p, len, other) != 1 ||
	       memcmp(other, root, H) != 0;
	if (len > 0)
		bad += sl_merkle_inclusion_root(leaf, index, n, p, len - 1,
						other);
	/* A flipped bit anywhere. */
	for (size_t i = 0; i < len; i++) {
		memcpy(bent, proof, len * H);
		bent[i][i % H] ^= 0x10;
		bad += sl_merkle_verify_inclusion(
			leaf, index, n, (const unsigned char(*)[H])bent, len,
			root);
	}
	memcpy(other, leaf, H);
	other[0] ^= 1;
	bad += sl_merkle_verify_inclusion(other, index, n, p, len, root);
	bad += sl_merkle_verify_inclusion(leaf, index, n, p, len, other);
	/* Another index. */
	if (index > 0)
		bad += sl_merkle_verify_inclusion(leaf, index - 1, n, p, len,
						  root);
	bad += sl_merkle_verify_inclusion(leaf, index + 1, n, p, len, root);
	bad += sl_merkle_verify_inclusion(leaf, index ^ 2, n, p, len, root);
	/* Another size, with that size's own root or this one. */
	if (n + 1 <= BIG) {
		naive_mth((const unsigned char(*)[H])leaves, n + 1, other);
		bad += sl_merkle_verify_inclusion(leaf, index, n + 1, p, len,
						  other);
	}
	if (n - 1 > index) {
		naive_mth((const unsigned char(*)[H])leaves, n - 1, other);
		bad += sl_merkle_verify_inclusion(leaf, index, n - 1, p, len,
						  other);
	}
	bad += sl_merkle_verify_inclusion(leaf, index, n * 2, p, len, root);
	bad += sl_merkle_verify_inclusion(leaf, index, n / 2, p, len, root);
	bad += sl_merkle_verify_inclusion(leaf, index, index, p, len, root);
	/* Truncated, extended at either end. */
	if (len > 0)
		bad += sl_merkle_verify_inclusion(leaf, index, n, p, len - 1,
						  root);
	memcpy(proof[len], root, H);
	bad += sl_merkle_verify_inclusion(leaf, index, n, p, len + 1, root);
	memcpy(bent[0], root, H);
	memcpy(bent[1], proof, len * H);
	bad += sl_merkle_verify_inclusion(
		leaf, index, n, (const unsigned char(*)[H])bent, len + 1, root);
	if (bad)
		fprintf(stderr, "  inclusion of %llu in %llu: %d failures\n",
			(unsigned long long)index, (unsigned long long)n, bad);
	return bad;
}

/* The same for the consistency proof from m to n leaves. */
static int check_consistency(struct mem_store *s, uint64_t m, uint64_t n)
{
	struct sl_tile_reader rd = reader(s);
	unsigned char proof[SL_PROOF_MAX + 1][H], want[SL_PROOF_MAX][H];
	unsigned char rm[H], rn[H], other[H], bent[SL_PROOF_MAX + 1][H];
	const unsigned char(*p)[H] = (const unsigned char(*)[H])proof;
	struct sl_error err = {0};
	size_t len = 0, want_len;
	int bad = 0;

	memset(proof, 0, sizeof(proof));
	s->tree = n;
	if (sl_merkle_consistency(&rd, m, n, proof, &len, &err) != SL_OK)
		return 1;
	want_len = naive_subproof(m, (const unsigned char(*)[H])leaves, n, 1,
				  want);
	bad += len != want_len || memcmp(proof, want, len * H) != 0;
	naive_mth((const unsigned char(*)[H])leaves, m, rm);
	naive_mth((const unsigned char(*)[H])leaves, n, rn);
	bad += sl_merkle_verify_consistency(m, n, rm, rn, p, len) != 1;
	if (m == n) {
		/* Nothing to prove but that the roots agree. */
		bad += len != 0;
		bad += sl_merkle_verify_consistency(m, n, rm, rn, p, 1);
		memcpy(other, rm, H);
		other[5] ^= 4;
		bad += sl_merkle_verify_consistency(m, n, rm, other, p, 0);
		return bad;
	}
	for (size_t i = 0; i < len; i++) {
		memcpy(bent, proof, len * H);
		bent[i][(i * 7) % H] ^= 0x01;
		bad += sl_merkle_verify_consistency(
			m, n, rm, rn, (const unsigned char(*)[H])bent, len);
	}
	bad += sl_merkle_verify_consistency(m, n, rn, rm, p, len);
	memcpy(other, rm, H);
	other[31] ^= 0x80;
	bad += sl_merkle_verify_consistency(m, n, other, rn, p, len);
	bad += sl_merkle_verify_consistency(m, n, rm, other, p, len);
	/* Other sizes, each with its own root. */
	if (m > 1) {
		naive_mth((const unsigned char(*)[H])leaves, m - 1, other);
		bad += sl_merkle_verify_consistency(m - 1, n, other, rn, p,
						    len);
	}
	naive_mth((const unsigned char(*)[H])leaves, m + 1, other);
	bad += sl_merkle_verify_consistency(m + 1, n, other, rn, p, len);
	if (n + 1 <= BIG) {
		naive_mth((const unsigned char(*)[H])leaves, n + 1, other);
		bad += sl_merkle_verify_consistency(m, n + 1, rm, other, p,
						    len);
	}
	naive_mth((const unsigned char(*)[H])leaves, n - 1, other);
	bad += sl_merkle_verify_consistency(m, n - 1, rm, other, p, len);
	bad += sl_merkle_verify_consistency(m, n * 2, rm, rn, p, len);
	bad += sl_merkle_verify_consistency(0, n, rm, rn, p, len);
	bad += sl_merkle_verify_consistency(n, m, rn, rm, p, len);
	/* Empty, truncated, extended at either end. */
	bad += sl_merkle_verify_consistency(m, n, rm, rn, p, 0);
	bad += sl_merkle_verify_consistency(m, n, rm, rn, p, len - 1);
	memcpy(proof[len], rn, H);
	bad += sl_merkle_verify_consistency(m, n, rm, rn, p, len + 1);
	memcpy(bent[0], rm, H);
	memcpy(bent[1], proof, len * H);
	bad += sl_merkle_verify_consistency(
		m, n, rm, rn, (const unsigned char(*)[H])bent, len + 1);
	if (bad)
		fprintf(stderr,
			"  consistency from %llu to %llu: %d failures\n",
			(unsigned long long)m, (unsigned long long)n, bad);
	return bad;
}

/* Sizes where tiles and levels begin and end, and a few between. */
static const uint64_t edges[] = {255,	256,   257,   511,   512,
				 4097,	32768, 65535, 65536, 65537,
				 65791, 65792, 66001, 69999, BIG - 1};

TEST(inclusion_proofs_are_rfc_9162_paths_and_verify_only_as_given)
{
	struct mem_store s;
	int bad = 0, pairs = 0;

	mem_build(&s, BIG);
	for (uint64_t n = 1; n <= 70; n++)
		for (uint64_t i = 0; i < n; i++, pairs++)
			bad += check_inclusion(&s, i, n);
	for (size_t e = 0; e < COUNT(edges); e++) {
		uint64_t n = edges[e];
		uint64_t at[] = {0,	1,     255,   256,
				 n / 2, n - 2, n - 1, rng() % n};

		for (size_t i = 0; i < COUNT(at); i++, pairs++)
			if (at[i] < n)
				bad += check_inclusion(&s, at[i], n);
	}
	CHECK(pairs > 2500);
	CHECK_INT(bad, 0);
	CHECK_INT(s.wide_reads, 0);
	mem_fini(&s);
}

TEST(consistency_proofs_are_rfc_9162_subproofs_and_verify_only_as_given)
{
	struct mem_store s;
	int bad = 0, pairs = 0;

	mem_build(&s, BIG);
	for (uint64_t n = 1; n <= 40; n++)
		for (uint64_t m = 1; m <= n; m++, pairs++)
			bad += check_consistency(&s, m, n);
	for (size_t e = 0; e < COUNT(edges); e++) {
		uint64_t n = edges[e];
		uint64_t from[] = {1,	2,     3,     255, 256,
				   257, n / 2, n - 1, n,   1 + rng() % n};

		for (size_t i = 0; i < COUNT(from); i++, pairs++)
			if (from[i] <= n)
				bad += check_consistency(&s, from[i], n);
	}
	CHECK(pairs > 900);
	CHECK_INT(bad, 0);
	CHECK_INT(s.wide_reads, 0);
	mem_fini(&s);
}

TEST(proofs_out_of_range_are_refused_with_the_field)
{
	struct mem_store s;
	struct sl_tile_reader rd;
	unsigned char proof[SL_PROOF_MAX][H], root[H];
	struct sl_error err = {0};
	size_t len = 99;

	mem_build(&s, 10);
	rd = reader(&s);
	s.tree = 10;
	s.reads = 0;
	CHECK_INT(sl_merkle_inclusion(&rd, 10, 10, proof, &len, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "seq");
	CHECK_INT(len, 0);
	CHECK_INT(sl_merkle_inclusion(&rd, 0, 0, proof, &len, &err), SL_EINVAL);
	CHECK_STR(err.field, "size");
	CHECK_INT(sl_merkle_consistency(&rd, 0, 10, proof, &len, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "from");
	CHECK_INT(sl_merkle_consistency(&rd, 5, 4, proof, &len, &err),
		  SL_EINVAL);
	CHECK_STR(err.field, "to");
	CHECK_INT(sl_merkle_consistency(&rd, 10, 10, proof, &len, &err), SL_OK);
	CHECK_INT(len, 0);
	CHECK_INT(s.reads, 0);
	/* The verifiers refuse what proves nothing. */
	naive_mth((const unsigned char(*)[H])leaves, 1, root);
	CHECK_INT(sl_merkle_verify_inclusion(leaves[0], 0, 1, NULL, 0, root),
		  1);
	CHECK_INT(sl_merkle_verify_inclusion(leaves[0], 0, 0, NULL, 0, root),
		  0);
	CHECK_INT(sl_merkle_verify_inclusion(leaves[0], 1, 1, NULL, 0, root),
		  0);
	CHECK_INT(sl_merkle_verify_consistency(1, 1, root, root, NULL, 0), 1);
	CHECK_INT(sl_merkle_verify_consistency(0, 0, root, root, NULL, 0), 0);
	CHECK_INT(sl_merkle_verify_consistency(0, 1, root, root, NULL, 0), 0);
	CHECK_INT(sl_merkle_verify_consistency(2, 1, root, root, NULL, 0), 0);
	mem_fini(&s);
}

TEST(a_store_that_cannot_answer_fails_the_computation)
{
	struct mem_store s;
	struct sl_tile_reader rd;
	unsigned char proof[SL_PROOF_MAX][H], root[H];
	struct sl_error err = {0};
	size_t len;

	mem_build(&s, 1000);
	rd = reader(&s);
	s.tree = 1000;
	s.fail = SL_EUNAVAIL;
	CHECK_INT(sl_merkle_root(&rd, 1000, root, &err), SL_EUNAVAIL);
	CHECK_INT(err.code, SL_EUNAVAIL);
	CHECK_INT(sl_merkle_inclusion(&rd, 1000, 3, proof, &len, &err),
		  SL_EUNAVAIL);
	CHECK_INT(len, 0);
	CHECK_INT(sl_merkle_consistency(&rd, 7, 1000, proof, &len, &err),
		  SL_EUNAVAIL);
	s.fail = SL_OK;
	/* Asked about a bigger tree than it holds: tiles are missing. */
	s.tree = 1001;
	CHECK_INT(sl_merkle_root(&rd, 1001, root, &err), SL_ENOTFOUND);
	CHECK_INT(err.code, SL_ENOTFOUND);
	mem_fini(&s);
}

/* ---- cost ---- */

TEST(roots_and_proofs_read_a_few_tiles_per_level)
{
	static const uint64_t sizes[] = {BIG, 65535, 65536, 65537, 256 * 257};
	struct mem_store s;
	struct sl_tile_reader rd;
	unsigned char proof[SL_PROOF_MAX][H], root[H];
	struct sl_error err = {0};
	unsigned most_root = 0, most_incl = 0, most_cons = 0;
	size_t len;

	mem_build(&s, BIG);
	rd = reader(&s);
	for (size_t i = 0; i < COUNT(sizes); i++) {
		uint64_t n = sizes[i];

		s.tree = n;
		s.reads = 0;
		CHECK_INT(sl_merkle_root(&rd, n, root, &err), SL_OK);
		/* One read per level at most: its rightmost tile. */
		CHECK(s.reads <= 3);
		if (s.reads > most_root)
			most_root = s.reads;
		for (uint64_t at = 0; at < n; at += 1 + at / 3) {
			s.reads = 0;
			CHECK_INT(sl_merkle_inclusion(&rd, n, at, proof, &len,
						      &err),
				  SL_OK);
			CHECK(s.reads <= 4 * 17);
			if (s.reads > most_incl)
				most_incl = s.reads;
			s.reads = 0;
			CHECK_INT(sl_merkle_consistency(&rd, at + 1, n, proof,
							&len, &err),
				  SL_OK);
			CHECK(s.reads <= 4 * 17);
			if (s.reads > most_cons)
				most_cons = s.reads;
		}
	}
	/* Three levels of tiles: a tile read per level and side at most. */
	CHECK(most_incl <= 6);
	CHECK(most_cons <= 6);
	printf("     tile reads up to %d leaves: root %u, inclusion %u, "
	       "consistency %u\n",
	       BIG, most_root, most_incl, most_cons);
	mem_fini(&s);
}

/* ---- the largest trees ---- */

/* A store for the tree of 2^64 - 1 equal leaves: every entry of a level-q
 * tile is the hash of the perfect tree of 2^(8q) such leaves. */
static unsigned char uniform[LEVELS][H];
static unsigned uniform_reads;

static enum sl_err uniform_read(void *ctx, int level, uint64_t index,
				unsigned width, unsigned char *out)
{
	(void)ctx;
	(void)index;
	uniform_reads++;
	for (unsigned i = 0; i < width; i++)
		memcpy(out + (size_t)i * H, uniform[level], H);
	return SL_OK;
}

TEST(proofs_in_a_tree_of_2_to_the_64_minus_1_leaves_fit_or_are_refused)
{
	static const uint64_t from[] = {UINT64_C(1) << 63, UINT64_MAX - 1,
					(UINT64_C(1) << 62) + 4,
					UINT64_C(1) << 40, 1};
	/* Odd sizes below 2^63 end on a leaf 64 levels down: with the hashes
	 * on the way and the leaf, ceil(log2 n) + 1 = 65 of them. */
	static const uint64_t too_long[] = {3, (UINT64_C(1) << 62) + 5,
					    (UINT64_C(1) << 40) | 12345};
	struct sl_tile_reader rd = {uniform_read, NULL};
	unsigned char proof[SL_PROOF_MAX][H], root[H], mid[H], h[H];
	struct sl_error err = {0};
	uint64_t n = UINT64_MAX;
	size_t len;

	naive_leaf("", 0, h);
	for (int l = 0; l < LEVELS; l++) {
		memcpy(uniform[l], h, H);
		for (int i = 0; i < 8; i++)
			naive_node(h, h, h);
	}
	CHECK_INT(sl_merkle_root(&rd, n, root, &err), SL_OK);
	/* Leaf 2 is 64 levels down: the longest inclusion proof. */
	uniform_reads = 0;
	CHECK_INT(sl_merkle_inclusion(&rd, n, 2, proof, &len, &err), SL_OK);
	CHECK_INT(len, 64);
	CHECK(uniform_reads <= 3 * LEVELS);
	CHECK_INT(sl_merkle_verify_inclusion(uniform[0], 2, n,
					     (const unsigned char(*)[H])proof,
					     len, root),
		  1);
	CHECK_INT(sl_merkle_verify_inclusion(uniform[0], 2, UINT64_C(1) << 63,
					     (const unsigned char(*)[H])proof,
					     len, root),
		  0);
	CHECK_INT(sl_merkle_inclusion(&rd, n, n - 1, proof, &len, &err), SL_OK);
	CHECK_INT(sl_merkle_verify_inclusion(uniform[0], n - 1, n,
					     (const unsigned char(*)[H])proof,
					     len, root),
		  1);
	/* From these sizes it fits and verifies. */
	for (size_t i = 0; i < COUNT(from); i++) {
		CHECK_INT(sl_merkle_root(&rd, from[i], mid, &err), SL_OK);
		CHECK_INT(sl_merkle_consistency(&rd, from[i], n, proof, &len,
						&err),
			  SL_OK);
		CHECK_INT(sl_merkle_verify_consistency(
				  from[i], n, mid, root,
				  (const unsigned char(*)[H])proof, len),
			  1);
		CHECK_INT(sl_merkle_verify_consistency(
				  from[i], n, root, mid,
				  (const unsigned char(*)[H])proof, len),
			  0);
	}
	/* More than SL_PROOF_MAX hashes: refused, not overflowed. */
	for (size_t i = 0; i < COUNT(too_long); i++) {
		memset(&err, 0, sizeof(err));
		CHECK_INT(sl_merkle_consistency(&rd, too_long[i], n, proof,
						&len, &err),
			  SL_EINVAL);
		CHECK_STR(err.field, "to");
		CHECK_INT(len, 0);
	}
}

/* ---- tile paths ---- */

TEST(tile_paths_are_written_in_three_digit_groups)
{
	static const struct {
		int level;
		uint64_t index;
		unsigned width;
		const char *path;
	} cases[] = {
		{0, 1234067, 256, "tile/0/x001/x234/067"},
		{0, 5, 256, "tile/0/005"},
		{0, 0, 1, "tile/0/000.p/1"},
		{2, 1234067, 9, "tile/2/x001/x234/067.p/9"},
		{1, 1000, 256, "tile/1/x001/000"},
		{1, 999, 255, "tile/1/999.p/255"},
		{63, 7, 256, "tile/63/007"},
		{-1, 0, 7, "tile/entries/000.p/7"},
		{-1, 1234067, 256, "tile/entries/x001/x234/067"},
		{0, UINT64_MAX, 256,
		 "tile/0/x018/x446/x744/x073/x709/x551/615"},
	};
	char buf[80];

	for (size_t i = 0; i < COUNT(cases); i++) {
		int level = 99;
		uint64_t index = 0;
		unsigned width = 0;

		CHECK_INT(sl_tile_path(buf, sizeof(buf), cases[i].level,
				       cases[i].index, cases[i].width),
			  strlen(cases[i].path));
		CHECK_STR(buf, cases[i].path);
		CHECK_INT(sl_tile_path_parse(cases[i].path + 5, &level, &index,
					     &width),
			  0);
		CHECK_INT(level, cases[i].level);
		CHECK(index == cases[i].index);
		CHECK_INT(width, cases[i].width);
	}
	/* Cut short like snprintf. */
	CHECK_INT(sl_tile_path(buf, 5, 0, 5, 256), 10);
	CHECK_STR(buf, "tile");
	CHECK_INT(sl_tile_path(buf, sizeof(buf), 0, 5, 0), -1);
	CHECK_INT(sl_tile_path(buf, sizeof(buf), 0, 5, 257), -1);
	CHECK_INT(sl_tile_path(buf, sizeof(buf), 64, 5, 256), -1);
	CHECK_INT(sl_tile_path(buf, sizeof(buf), -2, 5, 256), -1);
}

TEST(tile_paths_not_in_canonical_form_are_refused)
{
	static const char *const bad[] = {
		"",
		"0",
		"0/",
		"0/5",
		"0/05",
		"0/0005",
		"0/x005",
		"0/x000/005",
		"0/x001/234/067",
		"0/x001/x234/067/",
		"0/x01/234",
		"0/005.p/256",
		"0/005.p/0",
		"0/005.p/007",
		"0/005.p/",
		"0/005.p/7x",
		"0/005.p/1000",
		"0/005x",
		"0/005 ",
		"0/0a5",
		"0/x001//005",
		"0/X001/005",
		"00/005",
		"01/005",
		"64/005",
		"100/005",
		"-1/005",
		"/005",
		"tile/0/005",
		"entries/5",
		"entries/005.p/256",
		"entry/005",
		"0/x018/x446/x744/x073/x709/x551/616",
		"0/x999/x999/x999/x999/x999/x999/x999/999",
	};

	for (size_t i = 0; i < COUNT(bad); i++) {
		int level = 99;
		uint64_t index = 42;
		unsigned width = 42;

		if (sl_tile_path_parse(bad[i], &level, &index, &width) != -1) {
			fprintf(stderr, "  \"%s\" was accepted\n", bad[i]);
			t_failed_checks++;
		}
		CHECK_INT(level, 99);
	}
}

TEST_MAIN(T(the_naive_definition_gives_the_reference_roots),
	  T(leaf_and_node_hashes_are_the_rfc_9162_prefixed_sha256),
	  T(tiles_of_the_reference_leaves_give_the_reference_roots_and_proofs),
	  T(tiles_built_in_batches_of_any_size_are_the_tiles_of_the_definition),
	  T(the_root_of_every_size_is_the_naive_mth),
	  T(extending_by_one_leaf_reads_at_most_one_tile_per_level),
	  T(extending_reports_a_store_that_cannot_answer),
	  T(inclusion_proofs_are_rfc_9162_paths_and_verify_only_as_given),
	  T(consistency_proofs_are_rfc_9162_subproofs_and_verify_only_as_given),
	  T(proofs_out_of_range_are_refused_with_the_field),
	  T(a_store_that_cannot_answer_fails_the_computation),
	  T(roots_and_proofs_read_a_few_tiles_per_level),
	  T(proofs_in_a_tree_of_2_to_the_64_minus_1_leaves_fit_or_are_refused),
	  T(tile_paths_are_written_in_three_digit_groups),
	  T(tile_paths_not_in_canonical_form_are_refused))
