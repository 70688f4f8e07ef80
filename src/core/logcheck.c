/* logcheck.c - checking a whole audit log as it streams by (logcheck.h).
 *
 * The root is RFC 9162's MTH worked out with a stack: after k leaves the
 * stack holds the perfect subtrees of k's binary digits, largest first,
 * and a new leaf merges with the top as many times as k + 1 has trailing
 * zero bits. MTH is then the stack folded from the right. Each merge that
 * makes a node of height 8L (L >= 1) is such a node of the tiles, and is
 * compared with the level-L tile there. */
#include "core/logcheck.h"

#include <stdio.h>
#include <string.h>

void sl_logcheck_init(struct sl_logcheck *c, uint64_t size,
		      const unsigned char root[SL_HASH_LEN], uint64_t before,
		      const unsigned char *before_root)
{
	memset(c, 0, sizeof(*c));
	c->size = size;
	memcpy(c->root, root, SL_HASH_LEN);
	SL_ASSERT(before <= size);
	SL_ASSERT(before == 0 || before_root);
	c->before = before;
	if (before)
		memcpy(c->before_root, before_root, SL_HASH_LEN);
}

unsigned sl_logcheck_tile_width(uint64_t size, int level, uint64_t index)
{
	uint64_t nodes, first;

	if (level < 0 || level >= SL_LOGCHECK_LEVELS ||
	    index > (UINT64_MAX >> SL_TILE_HEIGHT))
		return 0;
	nodes = size >> (SL_TILE_HEIGHT * level);
	first = index * SL_TILE_WIDTH;
	if (nodes <= first)
		return 0;
	return nodes - first >= SL_TILE_WIDTH ? SL_TILE_WIDTH
					      : (unsigned)(nodes - first);
}

size_t sl_logcheck_tiles_before(uint64_t size, uint64_t index,
				struct sl_tile_ref out[SL_LOGCHECK_LEVELS])
{
	size_t n = 0;

	if (index % SL_TILE_WIDTH || index >= size)
		return 0;
	for (int level = SL_LOGCHECK_LEVELS - 1; level >= 0; level--) {
		/* A tile of this level covers 256^(level + 1) leaves. */
		unsigned shift = SL_TILE_HEIGHT * (unsigned)(level + 1);
		uint64_t tile;
		unsigned width;

		if (shift >= 64) {
			if (index)
				continue;
			tile = 0;
		} else if (index & ((UINT64_C(1) << shift) - 1)) {
			continue;
		} else {
			tile = index >> shift;
		}
		width = sl_logcheck_tile_width(size, level, tile);
		if (width)
			out[n++] = (struct sl_tile_ref){level, tile, width};
	}
	return n;
}

void sl_logcheck_tile(struct sl_logcheck *c, const struct sl_tile_ref *t,
		      const unsigned char *hashes)
{
	SL_ASSERT(t->level >= 0 && t->level < SL_LOGCHECK_LEVELS);
	SL_ASSERT(t->width >= 1 && t->width <= SL_TILE_WIDTH);
	c->tiles[t->level].ref = *t;
	c->tiles[t->level].loaded = 1;
	memcpy(c->tiles[t->level].hashes, hashes,
	       (size_t)t->width * SL_HASH_LEN);
}

/* Compares the node at height 8 * level, index `node` (worked out from
 * the entries: a leaf at level 0) with the tile holding it; returns 1
 * when they agree. The caller fed that tile: asserted. */
static int agrees(const struct sl_logcheck *c, int level, uint64_t node,
		  const unsigned char hash[SL_HASH_LEN])
{
	const struct sl_tile_ref *t = &c->tiles[level].ref;

	SL_ASSERT(c->tiles[level].loaded && t->index == node / SL_TILE_WIDTH &&
		  node % SL_TILE_WIDTH < t->width);
	return memcmp(c->tiles[level].hashes +
			      (node % SL_TILE_WIDTH) * SL_HASH_LEN,
		      hash, SL_HASH_LEN) == 0;
}

/* MTH of the leaves fed so far: the stack folded from the right. */
static void fold(const struct sl_logcheck *c, unsigned char out[SL_HASH_LEN])
{
	if (c->depth == 0) {
		sl_sha256("", 0, out);
		return;
	}
	memcpy(out, c->stack[c->depth - 1], SL_HASH_LEN);
	for (size_t i = c->depth - 1; i-- > 0;)
		sl_merkle_node_hash(c->stack[i], out, out);
}

void sl_logcheck_entry(struct sl_logcheck *c, const void *bytes, size_t len)
{
	unsigned char leaf[SL_HASH_LEN];
	unsigned height = 0;
	uint64_t k;

	SL_ASSERT(c->count < c->size);
	sl_merkle_leaf_hash(bytes, len, leaf);
	if (!c->bad_seq && !agrees(c, 0, c->count, leaf))
		c->bad_seq = c->count + 1;
	memcpy(c->stack[c->depth++], leaf, SL_HASH_LEN);
	k = ++c->count;
	while (!(k & 1)) {
		c->depth--;
		sl_merkle_node_hash(c->stack[c->depth - 1], c->stack[c->depth],
				    c->stack[c->depth - 1]);
		k >>= 1;
		height++;
		if (height % SL_TILE_HEIGHT == 0 && !c->have_bad_node) {
			int level = (int)(height / SL_TILE_HEIGHT);
			uint64_t node = (c->count >> height) - 1;

			if (!agrees(c, level, node, c->stack[c->depth - 1])) {
				c->have_bad_node = 1;
				c->bad_tile = c->tiles[level].ref;
				c->bad_node = node;
			}
		}
	}
	if (c->before && c->count == c->before) {
		unsigned char r[SL_HASH_LEN];

		fold(c, r);
		c->before_differs = memcmp(r, c->before_root, SL_HASH_LEN) != 0;
	}
}

/* "tile/0/x001/002.p/7" for t. */
static void name(const struct sl_tile_ref *t, char *buf, size_t cap)
{
	sl_tile_path(buf, cap, t->level, t->index, t->width);
}

int sl_logcheck_verdict(const struct sl_logcheck *c, const char *broken,
			uint64_t *first_bad_seq, char *reason, size_t cap)
{
	unsigned char root[SL_HASH_LEN];
	char tile[96];

	*first_bad_seq = 0;
	if (broken) {
		/* Without every entry the root is unknown, so an entry that
		 * is not its tile's is the best lead there is. */
		if (c->bad_seq) {
			*first_bad_seq = c->bad_seq;
			snprintf(reason, cap,
				 "entry %llu does not match the signed tree "
				 "(and then %s)",
				 (unsigned long long)c->bad_seq, broken);
		} else {
			snprintf(reason, cap, "%s", broken);
		}
		return 0;
	}
	SL_ASSERT(c->count == c->size);
	fold(c, root);
	if (memcmp(root, c->root, SL_HASH_LEN) != 0) {
		if (c->bad_seq) {
			*first_bad_seq = c->bad_seq;
			snprintf(reason, cap,
				 "entry %llu does not match the signed tree",
				 (unsigned long long)c->bad_seq);
		} else if (c->have_bad_node) {
			/* The entries agree with the tiles below this node,
			 * the tile above does not: they were changed
			 * together, somewhere under the node. */
			unsigned shift =
				SL_TILE_HEIGHT * (unsigned)c->bad_tile.level;
			uint64_t first = (c->bad_node << shift) + 1;
			uint64_t last = (c->bad_node + 1) << shift;
			struct sl_tile_ref below = {
				c->bad_tile.level - 1, c->bad_node,
				sl_logcheck_tile_width(c->size,
						       c->bad_tile.level - 1,
						       c->bad_node)};

			name(&below, tile, sizeof(tile));
			snprintf(reason, cap,
				 "entries %llu to %llu (%s) do not match the "
				 "signed tree",
				 (unsigned long long)first,
				 (unsigned long long)last, tile);
		} else {
			snprintf(reason, cap,
				 "the entries and their tiles agree with each "
				 "other but not with the signed root of %llu "
				 "entries",
				 (unsigned long long)c->size);
		}
		return 0;
	}
	/* The entries are the signed ones; what disagrees is a tile. */
	if (c->bad_seq) {
		struct sl_tile_ref t = {
			0, (c->bad_seq - 1) / SL_TILE_WIDTH,
			sl_logcheck_tile_width(
				c->size, 0, (c->bad_seq - 1) / SL_TILE_WIDTH)};

		name(&t, tile, sizeof(tile));
		snprintf(reason, cap,
			 "%s does not match the signed tree (at entry %llu; "
			 "the entries do)",
			 tile, (unsigned long long)c->bad_seq);
		return 0;
	}
	if (c->have_bad_node) {
		name(&c->bad_tile, tile, sizeof(tile));
		snprintf(reason, cap,
			 "%s does not match the signed tree (the entries do)",
			 tile);
		return 0;
	}
	if (c->before_differs) {
		snprintf(reason, cap,
			 "the first %llu entries do not give the root "
			 "verified before: the log was rewritten below it",
			 (unsigned long long)c->before);
		return 0;
	}
	if (cap)
		reason[0] = '\0';
	return 1;
}
