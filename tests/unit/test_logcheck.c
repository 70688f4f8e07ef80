/* test_logcheck.c - checking a whole log as it streams by: trees built
 * with sl_tiles_extend are fed entry by entry with the tiles the check
 * asks for, whole and then with one entry, one tile or both changed; the
 * verdict must be ok for the first and name what was changed for the
 * others. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/logcheck.h"
#include "test.h"

#define H SL_HASH_LEN

/* ---- an in-memory tree ---- */

struct tree {
	uint64_t n;
	unsigned char *tiles[SL_LOGCHECK_LEVELS]; /* level: index * 256 */
	unsigned *widths[SL_LOGCHECK_LEVELS];
	size_t count[SL_LOGCHECK_LEVELS]; /* tiles per level */
	unsigned char root[H];
};

static enum sl_err t_read(void *ctx, int level, uint64_t index, unsigned width,
			  unsigned char *out)
{
	struct tree *t = ctx;

	if (index >= t->count[level] || t->widths[level][index] < width)
		return SL_ENOTFOUND;
	memcpy(out, t->tiles[level] + index * SL_TILE_WIDTH * H,
	       (size_t)width * H);
	return SL_OK;
}

static enum sl_err t_write(void *ctx, int level, uint64_t index, unsigned width,
			   const unsigned char *data)
{
	struct tree *t = ctx;

	CHECK(index < t->count[level]);
	memcpy(t->tiles[level] + index * SL_TILE_WIDTH * H, data,
	       (size_t)width * H);
	t->widths[level][index] = width;
	return SL_OK;
}

/* The bytes of entry seq (from 1) of the test logs; the changed one
 * (changed != 0) ends in 'X' instead of '}'. */
static size_t entry(uint64_t seq, uint64_t changed, char *buf, size_t cap)
{
	size_t len = (size_t)snprintf(buf, cap, "{\"seq\":%llu,\"what\":\"x\"}",
				      (unsigned long long)seq);

	if (seq == changed)
		buf[len - 1] = 'X';
	return len;
}

/* Builds the tree of n entries, entry `changed` changed (0: none), in
 * batches of 1000 leaves. */
static void build(struct tree *t, uint64_t n, uint64_t changed)
{
	struct sl_tile_reader rd = {t_read, t};
	struct sl_tile_writer wr = {t_write, t};
	struct sl_error err = {0};
	unsigned char(*leaves)[H] = calloc(1000, H);
	char buf[64];

	memset(t, 0, sizeof(*t));
	t->n = n;
	for (int l = 0; l < SL_LOGCHECK_LEVELS; l++) {
		t->count[l] = (size_t)((n >> (8 * l)) / SL_TILE_WIDTH + 1);
		t->tiles[l] = calloc(t->count[l] * SL_TILE_WIDTH, H);
		t->widths[l] = calloc(t->count[l], sizeof(unsigned));
	}
	for (uint64_t done = 0; done < n;) {
		size_t k = n - done < 1000 ? (size_t)(n - done) : 1000;

		for (size_t i = 0; i < k; i++)
			sl_merkle_leaf_hash(
				buf,
				entry(done + i + 1, changed, buf, sizeof(buf)),
				leaves[i]);
		CHECK_INT(sl_tiles_extend(&rd, &wr, done,
					  (const unsigned char(*)[H])leaves, k,
					  &err),
			  SL_OK);
		done += k;
	}
	CHECK_INT(sl_merkle_root(&rd, n, t->root, &err), SL_OK);
	free(leaves);
}

static void tree_fini(struct tree *t)
{
	for (int l = 0; l < SL_LOGCHECK_LEVELS; l++) {
		free(t->tiles[l]);
		free(t->widths[l]);
	}
}

/* What a check is fed instead of the signed tree: the entries with entry
 * `changed` changed (0: none), and the tiles of the levels below
 * `rebuilt` worked out again from them (as a rewriter who kept the tiles
 * in line would); one hash, node `node` of tile level `flip` (-1: none),
 * with a bit flipped; and, with stop_at, only that many entries. */
struct change {
	uint64_t changed;
	int rebuilt;
	int flip;
	uint64_t node;
	uint64_t stop_at;
};

/* Feeds the signed tree s to a check, with ch applied (NULL: as it is);
 * returns the verdict. */
static int feed(const struct tree *s, const struct change *ch, uint64_t before,
		const unsigned char *before_root, uint64_t *bad, char *reason,
		size_t cap)
{
	static const struct change none = {.flip = -1};
	struct sl_logcheck *c = malloc(sizeof(*c));
	unsigned char tile[SL_TILE_WIDTH * H];
	struct tree r;
	char buf[64];
	int ok;

	if (!ch)
		ch = &none;
	build(&r, s->n, ch->changed);
	sl_logcheck_init(c, s->n, s->root, before, before_root);
	for (uint64_t i = 0; i < s->n; i++) {
		struct sl_tile_ref refs[SL_LOGCHECK_LEVELS];
		size_t n = sl_logcheck_tiles_before(s->n, i, refs);

		CHECK_INT(n > 0, i % SL_TILE_WIDTH == 0);
		for (size_t k = 0; k < n; k++) {
			const struct sl_tile_ref *f = &refs[k];
			const struct tree *from =
				f->level < ch->rebuilt ? &r : s;

			memcpy(tile,
			       from->tiles[f->level] +
				       f->index * SL_TILE_WIDTH * H,
			       (size_t)f->width * H);
			if (f->level == ch->flip &&
			    f->index == ch->node / SL_TILE_WIDTH)
				tile[(ch->node % SL_TILE_WIDTH) * H] ^= 1;
			sl_logcheck_tile(c, f, tile);
		}
		if (ch->stop_at && i == ch->stop_at)
			break;
		sl_logcheck_entry(c, buf,
				  entry(i + 1, ch->changed, buf, sizeof(buf)));
	}
	ok = sl_logcheck_verdict(c,
				 ch->stop_at ? "the export ends early" : NULL,
				 bad, reason, cap);
	free(c);
	tree_fini(&r);
	return ok;
}

/* ---- the stories ---- */

TEST(the_tiles_asked_for_are_those_covering_each_stretch)
{
	struct sl_tile_ref r[SL_LOGCHECK_LEVELS];

	CHECK_INT(sl_logcheck_tiles_before(300, 0, r), 2);
	CHECK_INT(r[0].level, 1);
	CHECK_INT(r[0].width, 1);
	CHECK_INT(r[1].level, 0);
	CHECK_INT(r[1].width, 256);
	CHECK_INT(sl_logcheck_tiles_before(300, 256, r), 1);
	CHECK_INT(r[0].index, 1);
	CHECK_INT(r[0].width, 44);
	CHECK_INT(sl_logcheck_tiles_before(300, 1, r), 0);
	CHECK_INT(sl_logcheck_tiles_before(300, 512, r), 0);
	CHECK_INT(sl_logcheck_tiles_before(200, 0, r), 1);
	/* 2^16 + 1 leaves: a level-2 tile of one node, a full level-1 tile;
	 * the last leaf has a level-0 tile of its own and nothing above. */
	CHECK_INT(sl_logcheck_tiles_before(65537, 0, r), 3);
	CHECK_INT(r[0].level, 2);
	CHECK_INT(r[0].width, 1);
	CHECK_INT(r[1].width, 256);
	CHECK_INT(sl_logcheck_tiles_before(65537, 65536, r), 1);
	CHECK_INT(r[0].level, 0);
	CHECK_INT(r[0].index, 256);
	CHECK_INT(r[0].width, 1);
	CHECK_INT(sl_logcheck_tile_width(UINT64_MAX, 7, 0), 255);
	CHECK_INT(sl_logcheck_tile_width(UINT64_MAX, 7, 1), 0);
	CHECK_INT(sl_logcheck_tile_width(10, 8, 0), 0);
}

TEST(every_size_checks_out_when_nothing_was_changed)
{
	static const uint64_t sizes[] = {0,    1,     2,     3,	    255,  256,
					 257,  300,   511,   512,   513,  1000,
					 4096, 65535, 65536, 65537, 70000};
	int bad = 0;

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct tree t;
		uint64_t first = 99;
		char reason[256] = "x";

		build(&t, sizes[i], 0);
		if (!feed(&t, NULL, 0, NULL, &first, reason, sizeof(reason)) ||
		    first != 0 || reason[0]) {
			fprintf(stderr, "  size %llu: %s\n",
				(unsigned long long)sizes[i], reason);
			bad++;
		}
		tree_fini(&t);
	}
	CHECK_INT(bad, 0);
}

TEST(a_changed_entry_is_named_by_its_seq)
{
	static const uint64_t seqs[] = {1, 17, 256, 257, 299, 300};
	struct tree t;

	build(&t, 300, 0);
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		struct change ch = {.changed = seqs[i], .flip = -1};
		char reason[256], want[64];
		uint64_t first = 0;

		CHECK_INT(
			feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)),
			0);
		CHECK_INT(first, seqs[i]);
		snprintf(want, sizeof(want),
			 "entry %llu does not match the signed tree",
			 (unsigned long long)seqs[i]);
		CHECK_STR(reason, want);
	}
	tree_fini(&t);
}

TEST(a_changed_tile_under_the_signed_entries_is_named)
{
	struct tree t;
	struct change ch = {.flip = 0, .node = 299};
	char reason[256];
	uint64_t first = 9;

	build(&t, 300, 0);
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 0);
	CHECK_STR(reason, "tile/0/001.p/44 does not match the signed tree (at "
			  "entry 300; the entries do)");
	ch.flip = 1;
	ch.node = 0;
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 0);
	CHECK_STR(reason,
		  "tile/1/000.p/1 does not match the signed tree (the entries "
		  "do)");
	tree_fini(&t);
}

TEST(an_entry_changed_with_its_tiles_is_caught_by_the_tile_above)
{
	struct tree t;
	struct change ch = {.changed = 300, .rebuilt = 1, .flip = -1};
	char reason[256];
	uint64_t first = 9;

	/* Entry 300 and tile 0/001: tile 1/000 disagrees. */
	build(&t, 600, 0);
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 0);
	CHECK_STR(reason, "entries 257 to 512 (tile/0/001) do not match the "
			  "signed tree");
	/* In the rightmost partial tile: no tile above holds it. */
	ch.changed = 590;
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_STR(reason, "the entries and their tiles agree with each other "
			  "but not with the signed root of 600 entries");
	tree_fini(&t);

	/* With its level-0 and level-1 tiles: level 2 says where. */
	build(&t, 70000, 0);
	ch = (struct change){.changed = 1000, .rebuilt = 2, .flip = -1};
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 0);
	CHECK_STR(reason, "entries 1 to 65536 (tile/1/000) do not match the "
			  "signed tree");
	ch.rebuilt = 0;
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 1000);
	tree_fini(&t);
}

TEST(the_tree_verified_before_must_be_the_first_entries)
{
	struct tree t, small;
	unsigned char other[H];
	char reason[256];
	uint64_t first = 9;

	build(&t, 1000, 0);
	build(&small, 700, 0);
	CHECK_INT(
		feed(&t, NULL, 700, small.root, &first, reason, sizeof(reason)),
		1);
	memcpy(other, small.root, H);
	other[0] ^= 1;
	CHECK_INT(feed(&t, NULL, 700, other, &first, reason, sizeof(reason)),
		  0);
	CHECK_STR(reason, "the first 700 entries do not give the root "
			  "verified before: the log was rewritten below it");
	CHECK_INT(feed(&t, NULL, 1000, t.root, &first, reason, sizeof(reason)),
		  1);
	tree_fini(&t);
	tree_fini(&small);
}

TEST(a_stream_that_stops_short_names_what_it_found_first)
{
	struct tree t;
	struct change ch = {.flip = -1, .stop_at = 280};
	char reason[256];
	uint64_t first = 9;

	build(&t, 300, 0);
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 0);
	CHECK_STR(reason, "the export ends early");
	ch.changed = 40;
	CHECK_INT(feed(&t, &ch, 0, NULL, &first, reason, sizeof(reason)), 0);
	CHECK_INT(first, 40);
	CHECK_STR(reason, "entry 40 does not match the signed tree (and then "
			  "the export ends early)");
	tree_fini(&t);
}

TEST_MAIN(T(the_tiles_asked_for_are_those_covering_each_stretch),
	  T(every_size_checks_out_when_nothing_was_changed),
	  T(a_changed_entry_is_named_by_its_seq),
	  T(a_changed_tile_under_the_signed_entries_is_named),
	  T(an_entry_changed_with_its_tiles_is_caught_by_the_tile_above),
	  T(the_tree_verified_before_must_be_the_first_entries),
	  T(a_stream_that_stops_short_names_what_it_found_first))
