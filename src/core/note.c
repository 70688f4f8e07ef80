/* note.c - C2SP signed notes and tlog checkpoints, signed with Ed25519.
 *
 * Parsing is strict where the specs leave room: base64 is the standard
 * alphabet with padding and zero unused bits, a note is valid UTF-8 with
 * no control character but "\n" (checked over the whole note, signature
 * lines included), and its text has no empty line, so the first blank
 * line is the one before the signatures. What a verifier accepts follows
 * golang.org/x/mod/sumdb/note's Open: every signature line must be well
 * formed, lines by other keys are skipped, and the first line by the
 * verifier's key (name and key hash) decides. */
#include "core/note.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALG_ED25519  0x01
#define SIG_LEN	     crypto_sign_BYTES /* 64 */
#define KEY_HASH_LEN 4
#define MAX_NOTE     (1u << 20) /* 1 MiB */
#define MAX_SIGS     100
#define NAME_MAX_LEN 255
/* U+2014 EM DASH and a space: how every signature line begins. */
#define SIG_PREFIX     "\xE2\x80\x94 "
#define SIG_PREFIX_LEN 4

/* Makes libsodium ready before it signs, verifies or makes a key (the
 * daemon calls sodium_init() at start, but tests and tools may not);
 * sodium_init() is safe to call again and again. */
static void sodium_ready(void)
{
	SL_ASSERT(sodium_init() >= 0);
}

/* Decodes the UTF-8 sequence at s[0..len) into *cp and returns its
 * length, or 0 when it is not one (truncated, overlong, a surrogate, or
 * past U+10FFFF), as Go's utf8.DecodeRune would report a RuneError. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

/* 1 when s[0..len) is valid UTF-8 without an ASCII control character
 * other than "\n" (what both specs ask of a note); 0 otherwise. */
static int clean_utf8(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0 || (cp < 0x20 && cp != '\n'))
			return 0;
	}
	return 1;
}

/* 1 when cp is a Unicode space (White_Space, as Go's unicode.IsSpace). */
static int is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 ||
	       cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
	       cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
	       cp == 0x3000;
}

/* 1 when s[0..len) is a key name: not empty, at most 255 bytes, valid
 * UTF-8 with no Unicode space, no '+' and no control character (which
 * would make the note that carries it malformed). */
static int valid_name(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	if (len == 0 || len > NAME_MAX_LEN)
		return 0;
	for (size_t i = 0, n; i < len; i += n) {
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == '+' || is_space(cp))
			return 0;
	}
	return 1;
}

/* 1 when s[0..len) is a note text: one or more lines, each non-empty and
 * ending in "\n", clean UTF-8. */
static int valid_text(const char *s, size_t len)
{
	if (len == 0 || s[0] == '\n' || s[len - 1] != '\n')
		return 0;
	for (size_t i = 1; i < len; i++)
		if (s[i] == '\n' && s[i - 1] == '\n')
			return 0;
	return clean_utf8(s, len);
}

static uint32_t load_be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static void store_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Decodes standard padded base64 s[0..len) into out (at most cap bytes)
 * and returns the decoded length, or -1 when s is not canonical base64 or
 * decodes to more than cap bytes. The alphabet is checked here first:
 * libsodium 1.0.18 reads a byte of 0x80 or more (a signed char) as a
 * base64 digit, so "\xc3\xa9" would decode, and one root, key or
 * signature would have many spellings. */
/* The value of each byte as a base64 digit, or -1. */
static const signed char b64_value[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, 62, -1, -1, -1, 63, 52, 53, 54, 55, 56, 57,
	58, 59, 60, 61, -1, -1, -1, -1, -1, -1, -1, 0,	1,  2,	3,  4,	5,  6,
	7,  8,	9,  10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
	25, -1, -1, -1, -1, -1, -1, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36,
	37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1,
};

static int b64_digit(unsigned char c)
{
	return b64_value[c];
}

/* Standard base64 with its padding, and nothing else: no spaces, no
 * other alphabet, no '=' but at the end, no bits set past the last byte
 * (each byte string has one spelling). Table-free and not constant-time:
 * what it decodes is public (keys, hashes, signatures). */
long sl_base64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t pad = 0, n, k = 0;

	if (len % 4 != 0)
		return -1;
	if (len && p[len - 1] == '=')
		pad = len >= 2 && p[len - 2] == '=' ? 2 : 1;
	n = len / 4 * 3 - pad;
	if (n > cap)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int last = i + 4 == len;
		int a = b64_digit(p[i]), b = b64_digit(p[i + 1]);
		int c = last && pad == 2 ? 0 : b64_digit(p[i + 2]);
		int d = last && pad >= 1 ? 0 : b64_digit(p[i + 3]);
		uint32_t v;

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		if (last &&
		    ((pad == 2 && (b & 0x0F)) || (pad == 1 && (c & 0x03))))
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[k++] = (unsigned char)(v >> 16);
		if (k < n)
			out[k++] = (unsigned char)(v >> 8);
		if (k < n)
			out[k++] = (unsigned char)v;
	}
	return (long)n;
}

enum sl_err sl_note_signer_new(const char *name,
			       const unsigned char seed[SL_ED25519_SEED],
			       struct sl_note_signer *out, struct sl_error *err)
{
	if (!name || !valid_name(name, strlen(name)))
		return sl_error_set(err, SL_EINVAL, "origin",
				    "a key name must be 1 to %d bytes of "
				    "UTF-8 with no spaces and no '+'",
				    NAME_MAX_LEN);
	sodium_ready();
	memset(out, 0, sizeof(*out));
	memcpy(out->name, name, strlen(name) + 1);
	SL_ASSERT(crypto_sign_seed_keypair(out->public_key, out->secret_key,
					   seed) == 0);
	return SL_OK;
}

uint32_t sl_note_key_hash(const char *name,
			  const unsigned char public_key[SL_ED25519_PUBLIC])
{
	static const unsigned char sep[2] = {'\n', ALG_ED25519};
	crypto_hash_sha256_state st;
	unsigned char sum[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)name,
				  strlen(name));
	crypto_hash_sha256_update(&st, sep, sizeof(sep));
	crypto_hash_sha256_update(&st, public_key, SL_ED25519_PUBLIC);
	crypto_hash_sha256_final(&st, sum);
	return load_be32(sum);
}

int sl_note_verifier_key(const struct sl_note_signer *s, char *buf, size_t cap)
{
	unsigned char key[1 + SL_ED25519_PUBLIC];
	char b64[sodium_base64_ENCODED_LEN(sizeof(key),
					   sodium_base64_VARIANT_ORIGINAL)];

	key[0] = ALG_ED25519;
	memcpy(key + 1, s->public_key, SL_ED25519_PUBLIC);
	sodium_bin2base64(b64, sizeof(b64), key, sizeof(key),
			  sodium_base64_VARIANT_ORIGINAL);
	return snprintf(buf, cap, "%s+%08" PRIx32 "+%s", s->name,
			sl_note_key_hash(s->name, s->public_key), b64);
}

/* Reads exactly 8 hex digits (either case, as the Go reference does) at
 * s into *out; 0, or -1 when they are not. */
static int parse_hex32(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;

	if (len != 8)
		return -1;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		uint32_t d;

		if (c >= '0' && c <= '9')
			d = (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (uint32_t)(c - 'A' + 10);
		else
			return -1;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

enum sl_err sl_note_verifier_parse(const char *vkey,
				   struct sl_note_verifier *out,
				   struct sl_error *err)
{
	const char *plus1, *plus2, *key64;
	unsigned char key[1 + SL_ED25519_PUBLIC];
	size_t name_len;
	uint32_t hash;

	/* The base64 may itself hold '+': only the first two split. */
	plus1 = vkey ? strchr(vkey, '+') : NULL;
	plus2 = plus1 ? strchr(plus1 + 1, '+') : NULL;
	if (!plus2)
		return sl_error_set(err, SL_EINVAL, "key",
				    "a verifier key is name+hash+key");
	name_len = (size_t)(plus1 - vkey);
	key64 = plus2 + 1;
	if (!valid_name(vkey, name_len))
		return sl_error_set(
			err, SL_EINVAL, "key",
			"the verifier key's name is not a key name");
	if (parse_hex32(plus1 + 1, (size_t)(plus2 - plus1 - 1), &hash) != 0)
		return sl_error_set(err, SL_EINVAL, "key",
				    "the verifier key's hash is not 8 hex "
				    "digits");
	if (sl_base64_decode(key64, strlen(key64), key, sizeof(key)) !=
		    (long)sizeof(key) ||
	    key[0] != ALG_ED25519)
		return sl_error_set(err, SL_EINVAL, "key",
				    "the verifier key is not an Ed25519 key "
				    "(base64 of 0x01 and 32 bytes)");
	memset(out, 0, sizeof(*out));
	memcpy(out->name, vkey, name_len);
	out->name[name_len] = '\0';
	memcpy(out->public_key, key + 1, SL_ED25519_PUBLIC);
	out->key_hash = sl_note_key_hash(out->name, out->public_key);
	if (out->key_hash != hash)
		return sl_error_set(
			err, SL_EINVAL, "key",
			"the verifier key's hash %08" PRIx32
			" is not that of its name and key (%08" PRIx32 ")",
			hash, out->key_hash);
	return SL_OK;
}

char *sl_checkpoint_text(const char *origin, uint64_t size,
			 const unsigned char root[SL_HASH_LEN])
{
	char b64[sodium_base64_ENCODED_LEN(SL_HASH_LEN,
					   sodium_base64_VARIANT_ORIGINAL)];
	size_t cap;
	char *out;

	/* The origin is the log's own name, never outside input: a
	 * checkpoint line that is empty or broken is a bug upstream. */
	SL_ASSERT(origin && *origin && !strchr(origin, '\n'));
	sodium_bin2base64(b64, sizeof(b64), root, SL_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	cap = strlen(origin) + 1 + 20 + 1 + strlen(b64) + 2;
	out = sl_xmalloc(cap);
	snprintf(out, cap, "%s\n%" PRIu64 "\n%s\n", origin, size, b64);
	return out;
}

char *sl_note_sign(const struct sl_note_signer *s, const char *text)
{
	unsigned char sig[KEY_HASH_LEN + SIG_LEN];
	char b64[sodium_base64_ENCODED_LEN(sizeof(sig),
					   sodium_base64_VARIANT_ORIGINAL)];
	size_t len = strlen(text), cap;
	char *out;

	/* What we sign we must be able to open: the text (checkpoints we
	 * wrote) and the signer's name are ours, so a bad one is a bug. */
	SL_ASSERT(valid_text(text, len));
	SL_ASSERT(valid_name(s->name, strlen(s->name)));
	sodium_ready();
	store_be32(sig, sl_note_key_hash(s->name, s->public_key));
	SL_ASSERT(crypto_sign_detached(sig + KEY_HASH_LEN, NULL,
				       (const unsigned char *)text, len,
				       s->secret_key) == 0);
	sodium_bin2base64(b64, sizeof(b64), sig, sizeof(sig),
			  sodium_base64_VARIANT_ORIGINAL);
	cap = len + 1 + SIG_PREFIX_LEN + strlen(s->name) + 1 + strlen(b64) + 2;
	SL_ASSERT(cap - 1 <= MAX_NOTE);
	out = sl_xmalloc(cap);
	snprintf(out, cap, "%s\n" SIG_PREFIX "%s %s\n", text, s->name, b64);
	return out;
}

/* Fills err for a note that cannot be opened; returns SL_EINVAL. */
#define REFUSE(...) sl_error_set(err, SL_EINVAL, "signature", __VA_ARGS__)

enum sl_err sl_note_open(const struct sl_note_verifier *v, const char *note,
			 size_t *text_len, struct sl_error *err)
{
	const char *split, *line, *end, *sigs_end;
	unsigned char *raw = NULL;
	size_t len, text_n, nsigs = 0;
	int found = 0;
	enum sl_err rc = SL_OK;

	sodium_ready();
	len = strnlen(note, MAX_NOTE + 1);
	if (len > MAX_NOTE)
		return REFUSE("a signed note is at most 1 MiB");
	if (!clean_utf8(note, len))
		return REFUSE("a signed note is UTF-8 with no control "
			      "character but newline");
	/* The text has no empty line, so the first blank line ends it. */
	split = note[0] == '\n' ? NULL : strstr(note, "\n\n");
	if (!split)
		return REFUSE("a signed note is a text, a blank line and "
			      "signature lines");
	text_n = (size_t)(split - note) + 1;
	line = split + 2;
	sigs_end = note + len;
	if (line == sigs_end || sigs_end[-1] != '\n')
		return REFUSE("a signed note ends in signature lines, each "
			      "ending in a newline");
	/* No signature can decode to more bytes than its whole block. */
	raw = sl_xmalloc((size_t)(sigs_end - line));
	for (; line < sigs_end; line = end + 1) {
		const char *name, *sp, *b64;
		long n;

		end = memchr(line, '\n', (size_t)(sigs_end - line));
		if (++nsigs > MAX_SIGS) {
			rc = REFUSE("a signed note has at most %d signatures",
				    MAX_SIGS);
			goto out;
		}
		if ((size_t)(end - line) < SIG_PREFIX_LEN ||
		    memcmp(line, SIG_PREFIX, SIG_PREFIX_LEN) != 0) {
			rc = REFUSE("signature line %zu does not begin with "
				    "an em dash and a space",
				    nsigs);
			goto out;
		}
		name = line + SIG_PREFIX_LEN;
		sp = memchr(name, ' ', (size_t)(end - name));
		b64 = sp ? sp + 1 : end;
		n = sp ? sl_base64_decode(b64, (size_t)(end - b64), raw,
					  (size_t)(sigs_end - line))
		       : -1;
		if (!sp || !valid_name(name, (size_t)(sp - name)) ||
		    n < KEY_HASH_LEN + 1) {
			rc = REFUSE("signature line %zu is not \"— name "
				    "base64\"",
				    nsigs);
			goto out;
		}
		if (found || (size_t)(sp - name) != strlen(v->name) ||
		    memcmp(name, v->name, (size_t)(sp - name)) != 0 ||
		    load_be32(raw) != v->key_hash)
			continue; /* another key's, or a repeat of ours */
		found = 1;
		if (n != KEY_HASH_LEN + SIG_LEN ||
		    crypto_sign_verify_detached(raw + KEY_HASH_LEN,
						(const unsigned char *)note,
						text_n, v->public_key) != 0) {
			rc = REFUSE("the signature by %s+%08" PRIx32
				    " does not verify",
				    v->name, v->key_hash);
			goto out;
		}
	}
	if (!found) {
		rc = REFUSE("the note carries no signature by %s+%08" PRIx32,
			    v->name, v->key_hash);
		goto out;
	}
	if (text_len)
		*text_len = text_n;
out:
	free(raw);
	return rc;
}

/* Fills err for a text that is not a checkpoint; returns SL_EINVAL. */
#define NOT_CHECKPOINT(...)                                                    \
	sl_error_set(err, SL_EINVAL, "checkpoint", __VA_ARGS__)

/* Reads a tree size: decimal, no leading zero but in "0", at most
 * 2^64 - 1. 0, or -1 when s[0..len) is not one. */
static int parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || (s[0] == '0' && len > 1))
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

enum sl_err sl_checkpoint_parse(const char *text, size_t len, char *origin,
				size_t cap, uint64_t *size,
				unsigned char root[SL_HASH_LEN],
				struct sl_error *err)
{
	const char *line[3], *end[3], *p = text;
	unsigned char hash[SL_HASH_LEN + 1];
	uint64_t n;

	/* A checkpoint is a note text, so the same rules hold: lines that
	 * are not empty and end in "\n" (extension lines included). */
	if (!valid_text(text, len))
		return NOT_CHECKPOINT("a checkpoint is lines of UTF-8, none "
				      "empty, each ending in a newline");
	for (int i = 0; i < 3; i++) {
		line[i] = p;
		end[i] = p < text + len
				 ? memchr(p, '\n', (size_t)(text + len - p))
				 : NULL;
		if (!end[i])
			return NOT_CHECKPOINT("a checkpoint has an origin, a "
					      "size and a root hash line");
		p = end[i] + 1;
	}
	if (parse_size(line[1], (size_t)(end[1] - line[1]), &n) != 0)
		return NOT_CHECKPOINT("the tree size is not a decimal number "
				      "without leading zeros below 2^64");
	if (sl_base64_decode(line[2], (size_t)(end[2] - line[2]), hash,
			     sizeof(hash)) != SL_HASH_LEN)
		return NOT_CHECKPOINT("the root hash is not the base64 of "
				      "%d bytes",
				      SL_HASH_LEN);
	if ((size_t)(end[0] - line[0]) >= cap)
		return NOT_CHECKPOINT("the origin is longer than %zu bytes",
				      cap ? cap - 1 : 0);
	memcpy(origin, line[0], (size_t)(end[0] - line[0]));
	origin[end[0] - line[0]] = '\0';
	*size = n;
	memcpy(root, hash, SL_HASH_LEN);
	return SL_OK;
}
