/* merkle.h - the audit log as an RFC 9162 Merkle tree, stored as C2SP
 * tlog-tiles.
 *
 * Leaves are entries' bytes: leaf hash = SHA-256(0x00 || bytes), node
 * hash = SHA-256(0x01 || left || right), and the tree of n leaves is
 * RFC 9162 section 2.1's MTH: the left subtree holds the largest power of
 * two below n. Proofs are section 2.1.3 (inclusion) and 2.1.4
 * (consistency), verified as 2.1.3.2 and 2.1.4.2 say.
 *
 * The tree is kept as tlog-tiles: a tile at level L holds up to 256
 * consecutive hashes of tree nodes at height 8L (level 0: leaf hashes),
 * so every node hash is at most one tile read plus hashing up to 255
 * hashes. A tile is full with 256 hashes; the rightmost of a level may be
 * partial. Nothing here reads a database: tiles come through a reader the
 * caller supplies, and the computations cost O(log n) tile reads. */
#ifndef SL_CORE_MERKLE_H
#define SL_CORE_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define SL_HASH_LEN    32
#define SL_TILE_HEIGHT 8
#define SL_TILE_WIDTH  256
/* Enough for any inclusion proof, and for any consistency proof of
 * trees up to 2^63 leaves (past that one may need 65 hashes: the
 * functions refuse such a pair rather than overflow). */
#define SL_PROOF_MAX 64

/* Reads `width` hashes (width * SL_HASH_LEN bytes into out) of the tile
 * at level `level`, index `index`: the tile's first `width` hashes, which
 * exist in the tree the caller asked about. 0, or an sl_err the
 * computation then returns (SL_EUNAVAIL when the store cannot answer;
 * SL_ENOTFOUND when the tile is missing, which means the stored tree is
 * damaged). */
struct sl_tile_reader {
	enum sl_err (*read)(void *ctx, int level, uint64_t index,
			    unsigned width, unsigned char *out);
	void *ctx;
};

/* SHA-256 of len bytes at data. */
void sl_sha256(const void *data, size_t len, unsigned char out[SL_HASH_LEN]);
/* RFC 9162: SHA-256(0x00 || entry) and SHA-256(0x01 || left || right);
 * out may be left or right. */
void sl_merkle_leaf_hash(const void *entry, size_t len,
			 unsigned char out[SL_HASH_LEN]);
void sl_merkle_node_hash(const unsigned char left[SL_HASH_LEN],
			 const unsigned char right[SL_HASH_LEN],
			 unsigned char out[SL_HASH_LEN]);

/* The root of the tree of the first n leaves (n >= 1; for n = 0 the
 * SHA-256 of the empty string, as RFC 9162 defines it). */
enum sl_err sl_merkle_root(const struct sl_tile_reader *rd, uint64_t n,
			   unsigned char out[SL_HASH_LEN],
			   struct sl_error *err);

/* The inclusion proof of leaf `index` in the tree of n leaves (index <
 * n): *len hashes into proof, in RFC 9162 order (from the leaf up).
 * SL_EINVAL (field "seq" / "size") for an index or size out of range. */
enum sl_err sl_merkle_inclusion(const struct sl_tile_reader *rd, uint64_t n,
				uint64_t index,
				unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN],
				size_t *len, struct sl_error *err);

/* The consistency proof between the trees of m and n leaves
 * (0 < m <= n): *len hashes, in RFC 9162 order; none when m == n.
 * SL_EINVAL (field "from" / "to") out of range. */
enum sl_err
sl_merkle_consistency(const struct sl_tile_reader *rd, uint64_t m, uint64_t n,
		      unsigned char proof[SL_PROOF_MAX][SL_HASH_LEN],
		      size_t *len, struct sl_error *err);

/* RFC 9162 section 2.1.3.2 without its last comparison: 1, with the root
 * of the tree of n leaves that proof[0..len) leads to from leaf_hash as
 * leaf `index`, when the proof has the length and shape of such a path;
 * 0 otherwise. What the root is worth is the caller's to decide: a
 * consistency proof to a signed root, say. */
int sl_merkle_inclusion_root(const unsigned char leaf_hash[SL_HASH_LEN],
			     uint64_t index, uint64_t n,
			     const unsigned char (*proof)[SL_HASH_LEN],
			     size_t len, unsigned char root[SL_HASH_LEN]);

/* 1 when proof[0..len) proves that leaf_hash is leaf `index` of the
 * tree of n leaves whose root is root; 0 otherwise. */
int sl_merkle_verify_inclusion(const unsigned char leaf_hash[SL_HASH_LEN],
			       uint64_t index, uint64_t n,
			       const unsigned char (*proof)[SL_HASH_LEN],
			       size_t len,
			       const unsigned char root[SL_HASH_LEN]);

/* 1 when proof[0..len) proves that the tree of m leaves with root
 * root_m is a prefix of the tree of n leaves with root root_n. */
int sl_merkle_verify_consistency(uint64_t m, uint64_t n,
				 const unsigned char root_m[SL_HASH_LEN],
				 const unsigned char root_n[SL_HASH_LEN],
				 const unsigned char (*proof)[SL_HASH_LEN],
				 size_t len);

/* ---- building tiles ---- */

/* Receives one tile to keep (level, index, width hashes in data), whole
 * or partial: a later call for the same level and index with a larger
 * width replaces it. 0 or an sl_err that stops the extension. */
struct sl_tile_writer {
	enum sl_err (*write)(void *ctx, int level, uint64_t index,
			     unsigned width, const unsigned char *data);
	void *ctx;
};

/* Extends the stored tree of `old` leaves with the leaf hashes
 * leaves[0..count): writes every tile (at every level) whose content
 * changes, reading through rd the partial tiles it extends. Cost:
 * O(count + log n) hashing, O(count / 256 + log n) tile reads and
 * writes. */
enum sl_err sl_tiles_extend(const struct sl_tile_reader *rd,
			    const struct sl_tile_writer *wr, uint64_t old,
			    const unsigned char (*leaves)[SL_HASH_LEN],
			    size_t count, struct sl_error *err);

/* The tile path of C2SP tlog-tiles for a tile of level (or -1 for an
 * entry bundle), index and width: "tile/0/x001/x234/067",
 * "tile/entries/000.p/7". Writes at most cap bytes; returns the length
 * (as snprintf). */
int sl_tile_path(char *buf, size_t cap, int level, uint64_t index,
		 unsigned width);
/* Parses a path below "tile/" ("0/x001/067.p/9", "entries/005") into
 * level (-1 for entries), index and width (SL_TILE_WIDTH for a full
 * tile). -1 when it is not a tile path in canonical form. */
int sl_tile_path_parse(const char *path, int *level, uint64_t *index,
		       unsigned *width);

#endif
