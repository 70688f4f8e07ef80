/* logcheck.h - checking a whole audit log as it streams by.
 *
 * A verifier holding a signed checkpoint (size n, root) reads every entry
 * of the log in order, with the tiles that cover them, and wants to know
 * whether the entries give the signed root and, when they do not, which
 * entry or tile is the first to disagree. struct sl_logcheck answers in
 * constant memory, whatever the size of the log: one tile per level and
 * the RFC 9162 stack of at most 64 perfect subtrees.
 *
 * The caller feeds, for each stretch of 256 entries from the first on,
 * the tiles sl_logcheck_tiles_before names (highest level first), then
 * the entries' bytes, and at the end asks for the verdict. Each entry's
 * leaf hash is compared with its level-0 tile, and each node at a tile
 * boundary (height 8L, worked out from the entries) with its level-L
 * tile: so when the root is wrong the verdict can name the first entry
 * that is not the one the tree holds, or, when entries and their tile
 * were changed together, the first tile that disagrees with the tile
 * above it. Nothing here reads anything: the CLI feeds it from a daemon's
 * tlog-tiles or from an export file. */
#ifndef SL_CORE_LOGCHECK_H
#define SL_CORE_LOGCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "core/merkle.h"

/* Tile levels of a tree of fewer than 2^64 leaves. */
#define SL_LOGCHECK_LEVELS 8

/* One tile: level (0 for leaf hashes), index, and the width it has in
 * the tree checked (SL_TILE_WIDTH when full). */
struct sl_tile_ref {
	int level;
	uint64_t index;
	unsigned width;
};

struct sl_logcheck {
	uint64_t size;			 /* the signed tree's size */
	unsigned char root[SL_HASH_LEN]; /* and root */
	/* An earlier verified tree (before <= size; 0 for none): when the
	 * first `before` entries do not give before_root, the log was
	 * rewritten below what was verified. */
	uint64_t before;
	unsigned char before_root[SL_HASH_LEN];
	int before_differs;

	uint64_t count; /* entries fed */
	unsigned char stack[64][SL_HASH_LEN];
	size_t depth;
	struct {
		struct sl_tile_ref ref;
		int loaded;
		unsigned char hashes[SL_TILE_WIDTH * SL_HASH_LEN];
	} tiles[SL_LOGCHECK_LEVELS];

	/* The first entry (its seq) whose leaf hash is not its level-0
	 * tile's; 0 when none. */
	uint64_t bad_seq;
	/* The first node at height 8L (L >= 1), worked out from the
	 * entries, that is not what its level-L tile holds: the tile, and
	 * the node's index at that height. */
	int have_bad_node;
	struct sl_tile_ref bad_tile;
	uint64_t bad_node;
};

/* Starts a check of the tree of size entries with the given root;
 * before (0 for none, else at most size) and before_root (may be NULL
 * when before is 0) an earlier verified tree of the same log. */
void sl_logcheck_init(struct sl_logcheck *c, uint64_t size,
		      const unsigned char root[SL_HASH_LEN], uint64_t before,
		      const unsigned char *before_root);

/* The width of tile (level, index) in the tree of size leaves: 1 to
 * SL_TILE_WIDTH, or 0 when the tree has no such tile. */
unsigned sl_logcheck_tile_width(uint64_t size, int level, uint64_t index);

/* The tiles to feed before the entry at leaf index `index` (a multiple
 * of SL_TILE_WIDTH below size), highest level first, into out; returns
 * their number (level 0's always among them). 0 for another index. */
size_t sl_logcheck_tiles_before(uint64_t size, uint64_t index,
				struct sl_tile_ref out[SL_LOGCHECK_LEVELS]);

/* Feeds a tile sl_logcheck_tiles_before named: t->width hashes. */
void sl_logcheck_tile(struct sl_logcheck *c, const struct sl_tile_ref *t,
		      const unsigned char *hashes);

/* Feeds the next entry's bytes (fewer than size fed so far). */
void sl_logcheck_entry(struct sl_logcheck *c, const void *bytes, size_t len);

/* The verdict once every entry was fed, or, with broken (a sentence,
 * e.g. "the export ends after 300 of 1042 entries"), once the stream
 * stopped short. Returns 1 when the entries give the signed root and
 * agree with every tile (and with the tree verified before); else 0,
 * with a sentence in reason (cap bytes) naming the first entry, tile or
 * range that disagrees, and *first_bad_seq that entry's seq (0 when the
 * sentence names a tile or a range instead). */
int sl_logcheck_verdict(const struct sl_logcheck *c, const char *broken,
			uint64_t *first_bad_seq, char *reason, size_t cap);

#endif
