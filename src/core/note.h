/* note.h - C2SP signed notes and tlog checkpoints, signed with Ed25519.
 *
 * A checkpoint (C2SP tlog-checkpoint) is the text
 *   "<origin>\n<tree size, decimal>\n<base64 root hash>\n"
 * and a signed note (C2SP signed-note) is a text ending in "\n", a blank
 * line, and one line per signature:
 *   "\u2014 <key name> <base64(key hash (4 bytes) || signature)>\n".
 * An Ed25519 key's hash is the first 4 bytes of
 * SHA-256(key name || "\n" || 0x01 || public key), read big-endian; its
 * verifier key is "<name>+<key hash, 8 hex digits>+<base64(0x01 ||
 * public key)>". The signature is over the note's text, the final newline
 * included. */
#ifndef SL_CORE_NOTE_H
#define SL_CORE_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/merkle.h"

#define SL_ED25519_PUBLIC 32
#define SL_ED25519_SEED	  32 /* what a key pair is made from */
#define SL_ED25519_SECRET 64 /* libsodium's seed || public key form */

/* A signing key: its name (the checkpoint's origin is used) and the
 * Ed25519 pair. */
struct sl_note_signer {
	char name[256];
	unsigned char public_key[SL_ED25519_PUBLIC];
	unsigned char secret_key[SL_ED25519_SECRET];
};

/* A verifier: name, key hash and public key, as parsed from its
 * verifier-key string. */
struct sl_note_verifier {
	char name[256];
	uint32_t key_hash;
	unsigned char public_key[SL_ED25519_PUBLIC];
};

/* The signer named name whose key pair comes from seed (random bytes
 * the caller draws: core draws none), named name (a key name: no spaces, no
 * '+', not empty, at most 255 bytes; else SL_EINVAL, field "origin"). */
enum sl_err sl_note_signer_new(const char *name,
			       const unsigned char seed[SL_ED25519_SEED],
			       struct sl_note_signer *out,
			       struct sl_error *err);
/* The key hash of an Ed25519 public key under a name. */
uint32_t sl_note_key_hash(const char *name,
			  const unsigned char public_key[SL_ED25519_PUBLIC]);
/* Writes the verifier key of s into buf ("name+hash+base64"); returns
 * its length (as snprintf). */
int sl_note_verifier_key(const struct sl_note_signer *s, char *buf, size_t cap);
/* Parses a verifier key; SL_EINVAL (field "key") when it is not one of an
 * Ed25519 key (its hash must match the name and key it holds). */
enum sl_err sl_note_verifier_parse(const char *vkey,
				   struct sl_note_verifier *out,
				   struct sl_error *err);

/* Decodes standard padded base64 s[0..len) into out (at most cap bytes):
 * the decoded length, or -1 when s is not canonical base64 or decodes to
 * more than cap bytes. The alphabet is checked before libsodium decodes
 * (1.0.18 reads bytes of 0x80 and up as digits, giving one value many
 * spellings). Every base64 of the log goes through it. */
long sl_base64_decode(const char *s, size_t len, unsigned char *out,
		      size_t cap);

/* The checkpoint text for origin, size and root. Caller frees. */
char *sl_checkpoint_text(const char *origin, uint64_t size,
			 const unsigned char root[SL_HASH_LEN]);
/* Signs a note's text (which must end in "\n"): the signed note, text
 * plus blank line plus one signature line. Caller frees. */
char *sl_note_sign(const struct sl_note_signer *s, const char *text);
/* Opens a signed note with v: SL_OK when a signature line names v's key
 * (name and key hash) and verifies over the text; then *text_len is the
 * length of the text (the note up to and including the newline before
 * the blank line). SL_EINVAL (field "signature") when the note is
 * malformed, carries no signature by v, or v's signature does not
 * verify; signature lines by other keys are skipped. */
enum sl_err sl_note_open(const struct sl_note_verifier *v, const char *note,
			 size_t *text_len, struct sl_error *err);
/* Parses a checkpoint text (the first three lines; extension lines may
 * follow): origin (into a buffer of cap bytes), size and root.
 * SL_EINVAL (field "checkpoint") when it is not one. */
enum sl_err sl_checkpoint_parse(const char *text, size_t len, char *origin,
				size_t cap, uint64_t *size,
				unsigned char root[SL_HASH_LEN],
				struct sl_error *err);

#endif
