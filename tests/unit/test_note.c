/* test_note.c - signed notes, verifier keys and checkpoints: the published
 * vectors of golang.org/x/mod/sumdb/note open and are reproduced byte for
 * byte, and every malformed or tampered note is refused for its reason. */
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/note.h"
#include "test.h"

/* A new random seed for a test key (tests may draw randomness; core
 * does not). */
static const unsigned char *fresh_seed(void)
{
	static unsigned char seed[SL_ED25519_SEED];

	randombytes_buf(seed, sizeof(seed));
	return seed;
}

/* The example key pair and note of golang.org/x/mod/sumdb/note
 * (note.go's package comment and note_test.go). */
#define PETER_VKEY                                                             \
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_TEXT                                                             \
	"If you think cryptography is the answer to your problem,\n"           \
	"then you don't know what your problem is.\n"
#define PETER_SIG                                                              \
	"\xE2\x80\x94 PeterNeumann "                                           \
	"x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqf" \
	"qdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_VKEY                                                             \
	"EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define ENOCH_SIG                                                              \
	"\xE2\x80\x94 EnochRoot "                                              \
	"rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01" \
	"oOTGwnWLox33WWd1RvMc+QQ=\n"

#define MIB (1u << 20)

static struct sl_note_verifier verifier_of(const char *vkey)
{
	struct sl_note_verifier v;

	memset(&v, 0, sizeof(v));
	CHECK_INT(sl_note_verifier_parse(vkey, &v, NULL), SL_OK);
	return v;
}

/* The PeterNeumann signer, rebuilt from its published private key
 * (0x01 || Ed25519 seed). */
static struct sl_note_signer peter_signer(void)
{
	struct sl_note_signer s;
	unsigned char key[33];
	size_t n = 0;

	memset(&s, 0, sizeof(s));
	CHECK_INT(sodium_base642bin(key, sizeof(key), PETER_SKEY64,
				    strlen(PETER_SKEY64), NULL, &n, NULL,
				    sodium_base64_VARIANT_ORIGINAL),
		  0);
	CHECK_INT(n, 33);
	CHECK_INT(key[0], 1);
	snprintf(s.name, sizeof(s.name), "PeterNeumann");
	CHECK_INT(crypto_sign_seed_keypair(s.public_key, s.secret_key, key + 1),
		  0);
	return s;
}

/* text, a blank line and one signature line "— name base64(raw)". */
static char *note_with(const char *text, size_t text_len, const char *name,
		       const unsigned char *raw, size_t n)
{
	size_t b64_cap =
		sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	size_t cap = text_len + strlen(name) + b64_cap + 16;
	char *b64 = malloc(b64_cap), *out = malloc(cap);
	int len;

	sodium_bin2base64(b64, b64_cap, raw, n, sodium_base64_VARIANT_ORIGINAL);
	len = snprintf(out, cap, "%.*s\n\xE2\x80\x94 %s %s\n", (int)text_len,
		       text, name, b64);
	CHECK(len > 0 && (size_t)len < cap);
	free(b64);
	return out;
}

/* Signs any bytes, valid note text or not, with a correct key hash, so
 * that a refusal shows the format rule and not a bad signature. */
static char *sign_any(const struct sl_note_signer *s, const char *text,
		      size_t len)
{
	unsigned char raw[4 + crypto_sign_BYTES];
	uint32_t h = sl_note_key_hash(s->name, s->public_key);

	raw[0] = (unsigned char)(h >> 24);
	raw[1] = (unsigned char)(h >> 16);
	raw[2] = (unsigned char)(h >> 8);
	raw[3] = (unsigned char)h;
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)text, len,
			     s->secret_key);
	return note_with(text, len, s->name, raw, sizeof(raw));
}

/* Opens note with v and expects a refusal whose message contains why. */
static void check_refused(const struct sl_note_verifier *v, const char *note,
			  const char *why, int line)
{
	struct sl_error err;
	size_t text_len = 12345;

	memset(&err, 0, sizeof(err));
	if (sl_note_open(v, note, &text_len, &err) != SL_EINVAL ||
	    strcmp(err.field, "signature") != 0 || !strstr(err.message, why) ||
	    text_len != 12345) {
		fprintf(stderr,
			"  line %d: want refusal \"%s\", got code %d field "
			"\"%s\" message \"%s\"\n",
			line, why, err.code, err.field, err.message);
		t_failed_checks++;
	}
}
#define REFUSED(v, note, why) check_refused(v, note, why, __LINE__)

TEST(published_verifier_keys_parse_to_their_names_and_hashes)
{
	struct sl_note_verifier peter = verifier_of(PETER_VKEY);
	struct sl_note_verifier enoch = verifier_of(ENOCH_VKEY);

	CHECK_STR(peter.name, "PeterNeumann");
	CHECK_INT(peter.key_hash, 0xc74f20a3u);
	CHECK_STR(enoch.name, "EnochRoot");
	CHECK_INT(enoch.key_hash, 0xaf0cfe78u);
	CHECK_INT(sl_note_key_hash(peter.name, peter.public_key), 0xc74f20a3u);
}

TEST(published_note_opens_with_its_verifier)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	size_t text_len = 0;

	CHECK_INT(sl_note_open(&v, PETER_TEXT "\n" PETER_SIG, &text_len, NULL),
		  SL_OK);
	CHECK_INT(text_len, strlen(PETER_TEXT));
}

TEST(published_private_key_reproduces_the_verifier_key_and_note_byte_for_byte)
{
	struct sl_note_signer s = peter_signer();
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	char vkey[128];
	char *note;

	CHECK(memcmp(s.public_key, v.public_key, SL_ED25519_PUBLIC) == 0);
	CHECK_INT(sl_note_verifier_key(&s, vkey, sizeof(vkey)),
		  strlen(PETER_VKEY));
	CHECK_STR(vkey, PETER_VKEY);
	note = sl_note_sign(&s, PETER_TEXT);
	CHECK_STR(note, PETER_TEXT "\n" PETER_SIG);
	free(note);
}

TEST(doubly_signed_published_note_opens_with_either_key)
{
	struct sl_note_verifier peter = verifier_of(PETER_VKEY);
	struct sl_note_verifier enoch = verifier_of(ENOCH_VKEY);
	size_t text_len = 0;

	/* The other key's line comes first: it is skipped, ours decides. */
	CHECK_INT(sl_note_open(&peter, PETER_TEXT "\n" ENOCH_SIG PETER_SIG,
			       &text_len, NULL),
		  SL_OK);
	CHECK_INT(text_len, strlen(PETER_TEXT));
	text_len = 0;
	CHECK_INT(sl_note_open(&enoch, PETER_TEXT "\n" PETER_SIG ENOCH_SIG,
			       &text_len, NULL),
		  SL_OK);
	CHECK_INT(text_len, strlen(PETER_TEXT));
	/* Signed by Enoch alone, it carries nothing by Peter. */
	REFUSED(&peter, PETER_TEXT "\n" ENOCH_SIG, "no signature by");
}

TEST(new_signer_signs_a_note_its_verifier_key_opens)
{
	struct sl_note_signer s;
	struct sl_note_verifier v;
	const char *text = "example.com/log\n42\nsome root\n";
	char vkey[512];
	size_t text_len = 0;
	char *note;

	CHECK_INT(sl_note_signer_new("example.com/log", fresh_seed(), &s, NULL),
		  SL_OK);
	CHECK_STR(s.name, "example.com/log");
	CHECK(sl_note_verifier_key(&s, vkey, sizeof(vkey)) > 0);
	CHECK_INT(sl_note_verifier_parse(vkey, &v, NULL), SL_OK);
	note = sl_note_sign(&s, text);
	CHECK(strncmp(note, text, strlen(text)) == 0);
	CHECK_INT(sl_note_open(&v, note, &text_len, NULL), SL_OK);
	CHECK_INT(text_len, strlen(text));
	/* A second signer of the same name has another key hash. */
	{
		struct sl_note_signer other;
		struct sl_note_verifier ov;
		char okey[512];

		CHECK_INT(sl_note_signer_new("example.com/log", fresh_seed(),
					     &other, NULL),
			  SL_OK);
		sl_note_verifier_key(&other, okey, sizeof(okey));
		CHECK_INT(sl_note_verifier_parse(okey, &ov, NULL), SL_OK);
		CHECK(ov.key_hash != v.key_hash);
		REFUSED(&ov, note, "no signature by");
	}
	free(note);
}

TEST(verifier_key_round_trips_and_its_hash_is_sha256_of_name_newline_alg_key)
{
	struct sl_note_signer s;
	struct sl_note_verifier v;
	unsigned char buf[64 + 2 + SL_ED25519_PUBLIC], sum[32];
	char vkey[512], want[16];
	size_t n = strlen("log.example/a");
	uint32_t by_hand;

	CHECK_INT(sl_note_signer_new("log.example/a", fresh_seed(), &s, NULL),
		  SL_OK);
	memcpy(buf, "log.example/a", n);
	buf[n] = 0x0A;
	buf[n + 1] = 0x01;
	memcpy(buf + n + 2, s.public_key, SL_ED25519_PUBLIC);
	crypto_hash_sha256(sum, buf, n + 2 + SL_ED25519_PUBLIC);
	by_hand = (uint32_t)sum[0] << 24 | (uint32_t)sum[1] << 16 |
		  (uint32_t)sum[2] << 8 | sum[3];
	CHECK_INT(sl_note_key_hash(s.name, s.public_key), by_hand);

	CHECK_INT(sl_note_verifier_key(&s, vkey, sizeof(vkey)), strlen(vkey));
	snprintf(want, sizeof(want), "+%08x+", (unsigned)by_hand);
	CHECK(strncmp(vkey, "log.example/a", n) == 0);
	CHECK(strncmp(vkey + n, want, 10) == 0);
	CHECK_INT(sl_note_verifier_parse(vkey, &v, NULL), SL_OK);
	CHECK_STR(v.name, "log.example/a");
	CHECK_INT(v.key_hash, by_hand);
	CHECK(memcmp(v.public_key, s.public_key, SL_ED25519_PUBLIC) == 0);
	/* As snprintf: the length it needs even when the buffer is short. */
	CHECK_INT(sl_note_verifier_key(&s, vkey, 5), n + 1 + 8 + 1 + 44);
	CHECK_STR(vkey, "log.");
}

TEST(mangled_verifier_keys_are_refused)
{
	struct sl_note_verifier v;
	struct sl_error err;
	char b[sizeof(PETER_VKEY)];
	size_t len = strlen(PETER_VKEY);
	int accepted = 0;

	/* As the Go tests do: every proper substring, every byte bumped. */
	for (size_t i = 0; i <= len; i++)
		for (size_t j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			snprintf(b, sizeof(b), "%.*s", (int)(j - i),
				 &PETER_VKEY[i]);
			if (sl_note_verifier_parse(b, &v, NULL) != SL_EINVAL)
				accepted++;
		}
	for (size_t i = 0; i < len; i++) {
		memcpy(b, PETER_VKEY, sizeof(b));
		b[i]++;
		if (sl_note_verifier_parse(b, &v, NULL) != SL_EINVAL)
			accepted++;
	}
	CHECK_INT(accepted, 0);

	/* Go's own: a key of the wrong length and an unknown algorithm,
	 * each with the key hash adjusted to match. */
	memset(&err, 0, sizeof(err));
	CHECK_INT(
		sl_note_verifier_parse(
			"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
			"LDE4izWy10TWBADKEY==",
			&v, &err),
		SL_EINVAL);
	CHECK_STR(err.field, "key");
	CHECK_INT(
		sl_note_verifier_parse(
			"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/"
			"LDE4izWy10TW",
			&v, NULL),
		SL_EINVAL);
	CHECK_INT(sl_note_verifier_parse("PeterNeumann+c74f20a4+ARpc2QcUPDhMQe"
					 "gwxbzhKqiBfsVkmqq/LDE4izWy10TW",
					 &v, NULL),
		  SL_EINVAL);
	/* A byte past ASCII for the '/': libsodium alone decodes it to
	 * the same key, a second spelling of this verifier key. */
	CHECK_INT(sl_note_verifier_parse("PeterNeumann+c74f20a3+ARpc2QcUPDhMQe"
					 "gwxbzhKqiBfsVkmqq\x80LDE4izWy10TW",
					 &v, NULL),
		  SL_EINVAL);
	CHECK_INT(sl_note_verifier_parse("", &v, NULL), SL_EINVAL);
	CHECK_INT(sl_note_verifier_parse(NULL, &v, NULL), SL_EINVAL);
	/* Hex digits in upper case are the same hash (Go reads them). */
	CHECK_INT(sl_note_verifier_parse("PeterNeumann+C74F20A3+ARpc2QcUPDhMQe"
					 "gwxbzhKqiBfsVkmqq/LDE4izWy10TW",
					 &v, NULL),
		  SL_OK);
	CHECK_INT(v.key_hash, 0xc74f20a3u);
}

TEST(verifier_key_with_a_name_over_255_bytes_is_refused)
{
	struct sl_note_signer s;
	struct sl_note_verifier v;
	char vkey[1024];

	memset(&s, 0, sizeof(s));
	CHECK_INT(sl_note_signer_new("x", fresh_seed(), &s, NULL), SL_OK);
	/* A correct verifier key for a 256-byte name: only the length is
	 * wrong with it. */
	memset(s.name, 'a', 255);
	s.name[255] = '\0';
	CHECK(sl_note_verifier_key(&s, vkey, sizeof(vkey)) > 0);
	CHECK_INT(sl_note_verifier_parse(vkey, &v, NULL), SL_OK);
	{
		unsigned char key[33];
		char b64[64], name[257];
		uint32_t h;
		struct sl_error err;

		memset(name, 'a', 256);
		name[256] = '\0';
		h = sl_note_key_hash(name, s.public_key);
		key[0] = 1;
		memcpy(key + 1, s.public_key, 32);
		sodium_bin2base64(b64, sizeof(b64), key, 33,
				  sodium_base64_VARIANT_ORIGINAL);
		snprintf(vkey, sizeof(vkey), "%s+%08x+%s", name, (unsigned)h,
			 b64);
		memset(&err, 0, sizeof(err));
		CHECK_INT(sl_note_verifier_parse(vkey, &v, &err), SL_EINVAL);
		CHECK_STR(err.field, "key");
	}
}

TEST(changed_text_or_signature_is_refused)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	struct sl_note_signer s = peter_signer();
	unsigned char raw[4 + 64];
	char note[512];
	char *n;

	snprintf(note, sizeof(note), "%s\n%s", PETER_TEXT, PETER_SIG);
	note[strlen("If you think cryptograph")] = 'Y';
	REFUSED(&v, note, "does not verify");

	/* The real signature with one byte flipped, still valid base64. */
	raw[0] = 0xc7, raw[1] = 0x4f, raw[2] = 0x20, raw[3] = 0xa3;
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)PETER_TEXT,
			     strlen(PETER_TEXT), s.secret_key);
	n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumann", raw,
		      sizeof(raw));
	CHECK_STR(n, PETER_TEXT "\n" PETER_SIG); /* the helper is faithful */
	free(n);
	raw[4 + 10] ^= 0x01;
	n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumann", raw,
		      sizeof(raw));
	REFUSED(&v, n, "does not verify");
	free(n);
	raw[4 + 10] ^= 0x01;

	/* Our name and key hash, a signature one byte short or long. */
	n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumann", raw,
		      sizeof(raw) - 1);
	REFUSED(&v, n, "does not verify");
	free(n);
	{
		unsigned char longer[4 + 65];

		memcpy(longer, raw, sizeof(raw));
		longer[sizeof(raw)] = 0;
		n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumann",
			      longer, sizeof(longer));
		REFUSED(&v, n, "does not verify");
		free(n);
	}
}

TEST(signature_under_another_name_or_key_hash_is_not_ours)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	struct sl_note_signer s = peter_signer();
	unsigned char raw[4 + 64];
	char *n;

	raw[0] = 0xc7, raw[1] = 0x4f, raw[2] = 0x20, raw[3] = 0xa3;
	crypto_sign_detached(raw + 4, NULL, (const unsigned char *)PETER_TEXT,
			     strlen(PETER_TEXT), s.secret_key);
	n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumanm", raw,
		      sizeof(raw));
	REFUSED(&v, n, "no signature by PeterNeumann+c74f20a3");
	free(n);
	raw[3] = 0xa4;
	n = note_with(PETER_TEXT, strlen(PETER_TEXT), "PeterNeumann", raw,
		      sizeof(raw));
	REFUSED(&v, n, "no signature by PeterNeumann+c74f20a3");
	free(n);
}

TEST(first_signature_by_our_key_decides)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	char bad[512];
	char *note;

	/* A repeat of our good signature is ignored ... */
	CHECK_INT(sl_note_open(&v, PETER_TEXT "\n" PETER_SIG PETER_SIG, NULL,
			       NULL),
		  SL_OK);
	/* ... and so is a bad one after it, as in the Go reference ... */
	snprintf(bad, sizeof(bad), "%s", PETER_SIG);
	bad[30] = bad[30] == 'A' ? 'B' : 'A';
	note = malloc(1024);
	snprintf(note, 1024, "%s\n%s%s", PETER_TEXT, PETER_SIG, bad);
	CHECK_INT(sl_note_open(&v, note, NULL, NULL), SL_OK);
	/* ... but a bad one first is not outvoted by a good one after. */
	snprintf(note, 1024, "%s\n%s%s", PETER_TEXT, bad, PETER_SIG);
	REFUSED(&v, note, "does not verify");
	free(note);
}

TEST(malformed_notes_are_refused_even_when_signed)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	struct sl_note_signer s = peter_signer();
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"a tab\there\n", "control character"},
		{"a bell\x07\n", "control character"},
		{"a carriage return\r\n", "control character"},
		{"not UTF-8 \xff\n", "UTF-8"},
		{"an overlong slash \xc0\xaf\n", "UTF-8"},
		{"a 3-byte overlong slash \xe0\x80\xaf\n", "UTF-8"},
		{"a 4-byte overlong slash \xf0\x80\x80\xaf\n", "UTF-8"},
		{"past U+10FFFF \xf4\x90\x80\x80\n", "UTF-8"},
		{"a truncated sequence \xe2\x80\n", "UTF-8"},
		{"a surrogate \xed\xa0\x80\n", "UTF-8"},
		{"an empty line\n\nin the text\n", "does not begin with"},
		{"\nan empty first line\n", "a text, a blank line"},
	};
	char *n;

	/* sign_any is faithful: a clean text it signs opens. */
	n = sign_any(&s, "clean text\nin two lines\n", 24);
	CHECK_INT(sl_note_open(&v, n, NULL, NULL), SL_OK);
	free(n);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = sign_any(&s, bad[i].text, strlen(bad[i].text));
		REFUSED(&v, n, bad[i].why);
		free(n);
	}
}

TEST(note_without_blank_line_final_newline_or_em_dash_is_refused)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	char note[512];

	REFUSED(&v, PETER_TEXT PETER_SIG, "a text, a blank line");
	REFUSED(&v, PETER_TEXT, "a text, a blank line");
	REFUSED(&v, PETER_TEXT "\n", "ending in a newline");
	snprintf(note, sizeof(note), "%s\n%s", PETER_TEXT, PETER_SIG);
	note[strlen(note) - 1] = '\0';
	REFUSED(&v, note, "ending in a newline");
	/* "-" or "--" for the em dash, a missing space after it, an en
	 * dash (U+2013). */
	REFUSED(&v,
		PETER_TEXT "\n"
			   "- PeterNeumann x08go/ZJkuBS9UG/\n",
		"em dash");
	snprintf(note, sizeof(note), "%s\n--%s", PETER_TEXT, &PETER_SIG[3]);
	REFUSED(&v, note, "em dash");
	snprintf(note, sizeof(note), "%s\n\xE2\x80\x94%s", PETER_TEXT,
		 &PETER_SIG[4]);
	REFUSED(&v, note, "em dash");
	snprintf(note, sizeof(note), "%s\n\xE2\x80\x93%s", PETER_TEXT,
		 &PETER_SIG[3]);
	REFUSED(&v, note, "em dash");
	/* A line after the signatures that is not one. */
	REFUSED(&v, PETER_TEXT "\n" PETER_SIG "Unexpected line.\n", "em dash");
	REFUSED(&v, PETER_TEXT "\n" PETER_SIG "\n", "em dash");
}

TEST(malformed_signature_lines_are_refused_even_by_other_keys)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	static const char *const lines[] = {
		/* A name with a space (Go's "Bad Name" case). */
		("\xE2\x80\x94 Bad Name "
		 "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcE"
		 "lZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
		"\xE2\x80\x94 a+b AAAAAAAA\n",
		"\xE2\x80\x94  AAAAAAAA\n",
		"\xE2\x80\x94 NoSignature\n",
		"\xE2\x80\x94 Empty \n",
		"\xE2\x80\x94 Short AAAAAA==\n",   /* 4 bytes: no signature */
		"\xE2\x80\x94 Unpadded AAAAAAA\n", /* 5 bytes, no '=' */
		"\xE2\x80\x94 NotBase64 AAAA*AAA\n",
		"\xE2\x80\x94 BadBits AAAAAAB=\n",	/* unused bits set */
		"\xE2\x80\x94 Url AAAAAA-_\n",		/* the URL alphabet */
		"\xE2\x80\x94 Accent AAAAAA\xc3\xa9\n", /* U+00E9 for 2 digits
							 */
	};
	char note[1024];

	/* A well-formed line by another key is fine. */
	snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT,
		 "\xE2\x80\x94 Other AAAAAAA=\n", PETER_SIG);
	CHECK_INT(sl_note_open(&v, note, NULL, NULL), SL_OK);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		snprintf(note, sizeof(note), "%s\n%s%s", PETER_TEXT, lines[i],
			 PETER_SIG);
		REFUSED(&v, note, "is not \"");
	}
}

TEST(at_most_100_signatures)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	size_t sig_len = strlen(PETER_SIG), text_len = strlen(PETER_TEXT);
	char *note = malloc(text_len + 1 + 101 * sig_len + 1);
	char *p = note;

	memcpy(p, PETER_TEXT "\n", text_len + 1);
	p += text_len + 1;
	for (int i = 0; i < 100; i++, p += sig_len)
		memcpy(p, PETER_SIG, sig_len);
	*p = '\0';
	CHECK_INT(sl_note_open(&v, note, NULL, NULL), SL_OK);
	memcpy(p, PETER_SIG, sig_len + 1);
	REFUSED(&v, note, "at most 100 signatures");
	free(note);
}

/* A text of exactly len bytes: lines of 'a', none empty. */
static char *long_text(size_t len)
{
	char *t = malloc(len + 1);

	for (size_t i = 0; i < len; i++)
		t[i] = i % 100 == 99 ? '\n' : 'a';
	t[len - 1] = '\n';
	if (t[len - 2] == '\n')
		t[len - 2] = 'a';
	t[len] = '\0';
	return t;
}

TEST(notes_over_one_mib_are_refused)
{
	struct sl_note_verifier v = verifier_of(PETER_VKEY);
	struct sl_note_signer s = peter_signer();
	/* "\n— PeterNeumann " + 92 base64 + "\n" */
	size_t overhead = 1 + 4 + strlen("PeterNeumann") + 1 + 92 + 1;
	char *t = long_text(MIB - overhead);
	char *n = sign_any(&s, t, strlen(t));

	CHECK_INT(strlen(n), MIB);
	CHECK_INT(sl_note_open(&v, n, NULL, NULL), SL_OK);
	free(n);
	free(t);
	t = long_text(MIB - overhead + 1);
	n = sign_any(&s, t, strlen(t));
	CHECK_INT(strlen(n), MIB + 1);
	REFUSED(&v, n, "at most 1 MiB");
	free(n);
	free(t);
}

static const unsigned char root0[SL_HASH_LEN] = {
	0,  1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15,
	16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
};
#define ROOT0_B64 "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

TEST(checkpoint_text_is_origin_size_and_base64_root)
{
	char *t = sl_checkpoint_text("example.com/log", 12345, root0);
	char origin[64] = "";
	unsigned char root[SL_HASH_LEN];
	uint64_t size = 0;

	CHECK_STR(t, "example.com/log\n12345\n" ROOT0_B64 "\n");
	CHECK_INT(sl_checkpoint_parse(t, strlen(t), origin, sizeof(origin),
				      &size, root, NULL),
		  SL_OK);
	CHECK_STR(origin, "example.com/log");
	CHECK(size == 12345);
	CHECK(memcmp(root, root0, SL_HASH_LEN) == 0);
	free(t);

	t = sl_checkpoint_text("o", 0, root0);
	CHECK_STR(t, "o\n0\n" ROOT0_B64 "\n");
	free(t);
	t = sl_checkpoint_text("o", UINT64_MAX, root0);
	CHECK_STR(t, "o\n18446744073709551615\n" ROOT0_B64 "\n");
	CHECK_INT(sl_checkpoint_parse(t, strlen(t), origin, sizeof(origin),
				      &size, root, NULL),
		  SL_OK);
	CHECK(size == UINT64_MAX);
	free(t);
}

TEST(checkpoint_with_extension_lines_parses_its_first_three)
{
	const char *t = "example.com/log\n7\n" ROOT0_B64 "\next one\n— two\n";
	char origin[64] = "";
	unsigned char root[SL_HASH_LEN];
	uint64_t size = 0;

	/* len bounds the text: what follows it is not read. */
	CHECK_INT(sl_checkpoint_parse(t, strlen(t), origin, sizeof(origin),
				      &size, root, NULL),
		  SL_OK);
	CHECK_STR(origin, "example.com/log");
	CHECK(size == 7);
	CHECK(memcmp(root, root0, SL_HASH_LEN) == 0);
	CHECK_INT(sl_checkpoint_parse(t, strlen(t) - 1, origin, sizeof(origin),
				      &size, root, NULL),
		  SL_EINVAL);
}

TEST(signed_checkpoint_opens_and_parses_back)
{
	struct sl_note_signer s;
	struct sl_note_verifier v;
	char vkey[512], origin[256] = "";
	unsigned char root[SL_HASH_LEN];
	uint64_t size = 0;
	size_t text_len = 0;
	char *t, *note;

	CHECK_INT(sl_note_signer_new("shiplog.example/audit", fresh_seed(), &s,
				     NULL),
		  SL_OK);
	sl_note_verifier_key(&s, vkey, sizeof(vkey));
	CHECK_INT(sl_note_verifier_parse(vkey, &v, NULL), SL_OK);
	t = sl_checkpoint_text(s.name, 99, root0);
	note = sl_note_sign(&s, t);
	CHECK_INT(sl_note_open(&v, note, &text_len, NULL), SL_OK);
	CHECK_INT(text_len, strlen(t));
	CHECK_INT(sl_checkpoint_parse(note, text_len, origin, sizeof(origin),
				      &size, root, NULL),
		  SL_OK);
	CHECK_STR(origin, "shiplog.example/audit");
	CHECK(size == 99);
	CHECK(memcmp(root, root0, SL_HASH_LEN) == 0);
	free(note);
	free(t);
}

TEST(malformed_checkpoints_are_refused)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{"o\n012\n" ROOT0_B64 "\n", "leading zero"},
		{"o\n00\n" ROOT0_B64 "\n", "leading zero"},
		{"o\n18446744073709551616\n" ROOT0_B64 "\n", "overflow"},
		{"o\n99999999999999999999\n" ROOT0_B64 "\n", "overflow"},
		{"o\n-1\n" ROOT0_B64 "\n", "sign"},
		{"o\n+1\n" ROOT0_B64 "\n", "sign"},
		{"o\n 1\n" ROOT0_B64 "\n", "space"},
		{"o\n1a\n" ROOT0_B64 "\n", "letter"},
		{"o\n0x10\n" ROOT0_B64 "\n", "hex"},
		{"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n",
		 "31-byte root"},
		{"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g\n",
		 "33-byte root"},
		{"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\n",
		 "unpadded root"},
		{"o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",
		 "root with unused bits set"},
		{"o\n1\nAAECAwQFBgcICQoLDA\xd8\x80"
		 "DxAREhMUFRYXGBkaGxwdHh8=\n",
		 "root with U+0600 for two digits"},
		{"o\n1\nAAECAwQFBgcICQoLDA\xc3\xa9"
		 "DxAREhMUFRYXGBkaGxwdHh8=\n",
		 "root with U+00E9 for two digits"},
		{"o\n1\n\n", "empty root"},
		{"\n1\n" ROOT0_B64 "\n", "empty origin"},
		{"o\n\n" ROOT0_B64 "\n", "empty size"},
		{"o\n1\n", "missing root line"},
		{"o\n", "missing size line"},
		{"", "empty"},
		{"o\n1\n" ROOT0_B64, "no final newline"},
		{"o\n1\n" ROOT0_B64 "\n\next\n", "empty extension line"},
		{"o\x01\n1\n" ROOT0_B64 "\n", "control character"},
		{"o\xff\n1\n" ROOT0_B64 "\n", "not UTF-8"},
	};
	char origin[64] = "";
	unsigned char root[SL_HASH_LEN];
	uint64_t size;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_error err;

		memset(&err, 0, sizeof(err));
		if (sl_checkpoint_parse(bad[i].text, strlen(bad[i].text),
					origin, sizeof(origin), &size, root,
					&err) != SL_EINVAL ||
		    strcmp(err.field, "checkpoint") != 0) {
			fprintf(stderr, "  accepted: %s\n", bad[i].why);
			t_failed_checks++;
		}
	}
}

TEST(checkpoint_origin_must_fit_the_buffer)
{
	const char *t = "example.com/log\n1\n" ROOT0_B64 "\n";
	char origin[16] = "";
	unsigned char root[SL_HASH_LEN];
	uint64_t size;

	CHECK_INT(sl_checkpoint_parse(t, strlen(t), origin, 15, &size, root,
				      NULL),
		  SL_EINVAL);
	CHECK_INT(sl_checkpoint_parse(t, strlen(t), origin, 16, &size, root,
				      NULL),
		  SL_OK);
	CHECK_STR(origin, "example.com/log");
}

TEST(signer_names_are_key_names)
{
	static const char *const bad[] = {
		"",
		"a b",
		"a+b",
		"a\tb",
		"a\nb",
		"a\x01"
		"b",
		"no\xc2\xa0"
		"break",			/* U+00A0 */
		"ideographic\xe3\x80\x80space", /* U+3000 */
		"line\xe2\x80\xa8sep",		/* U+2028 */
		"not UTF-8 \xff",
	};
	struct sl_note_signer s;
	char name[257];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct sl_error err;

		memset(&err, 0, sizeof(err));
		if (sl_note_signer_new(bad[i], fresh_seed(), &s, &err) !=
			    SL_EINVAL ||
		    strcmp(err.field, "origin") != 0) {
			fprintf(stderr, "  accepted name %zu \"%s\"\n", i,
				bad[i]);
			t_failed_checks++;
		}
	}
	memset(name, 'a', 256);
	name[256] = '\0';
	CHECK_INT(sl_note_signer_new(name, fresh_seed(), &s, NULL), SL_EINVAL);
	name[255] = '\0';
	CHECK_INT(sl_note_signer_new(name, fresh_seed(), &s, NULL), SL_OK);
	CHECK_INT(strlen(s.name), 255);
	CHECK_INT(sl_note_signer_new("sum.golang.org", fresh_seed(), &s, NULL),
		  SL_OK);
	CHECK_INT(sl_note_signer_new("\xe6\x97\xa5\xe6\x9c\xac/log",
				     fresh_seed(), &s, NULL),
		  SL_OK);
}

TEST(base64_decodes_as_libsodium_does_and_refuses_what_it_refuses)
{
	unsigned char bin[64], got[64], want[64];
	char b64[100];

	/* Every length from 0 to 64, random bytes: the same bytes back. */
	for (size_t n = 0; n <= sizeof(bin); n++) {
		randombytes_buf(bin, n);
		sodium_bin2base64(b64, sizeof(b64), bin, n,
				  sodium_base64_VARIANT_ORIGINAL);
		CHECK_INT(sl_base64_decode(b64, strlen(b64), got, sizeof(got)),
			  n);
		CHECK(memcmp(got, bin, n) == 0);
		/* Too little room is refused. */
		if (n > 0)
			CHECK_INT(
				sl_base64_decode(b64, strlen(b64), got, n - 1),
				-1);
	}
	/* What libsodium's strict decoder refuses, refused here too: bad
	 * length, other alphabets, '=' inside, spaces, bits set past the
	 * last byte (a second spelling of the same bytes). */
	static const char *const bad[] = {
		"QQ",	    "QQ=",  "QUJD\n", " QUJD", "QU=D",
		"QQ==QUJD", "Q===", "====",   "QR==",  "QUI=QUJD",
		"QUJ=",	    "-_8=", "QUJD!",  "QUJ\0",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t len = strlen(bad[i]), sn = 0;
		int sodium_ok =
			sodium_base642bin(want, sizeof(want), bad[i], len, NULL,
					  &sn, NULL,
					  sodium_base64_VARIANT_ORIGINAL) == 0;

		CHECK(!sodium_ok);
		CHECK_INT(sl_base64_decode(bad[i], len, got, sizeof(got)), -1);
	}
	CHECK_INT(sl_base64_decode("QUI=", 4, got, sizeof(got)), 2);
	CHECK(memcmp(got, "AB", 2) == 0);
	CHECK_INT(sl_base64_decode("QQ==", 4, got, sizeof(got)), 1);
	CHECK_INT(got[0], 'A');
	CHECK_INT(sl_base64_decode("", 0, got, 0), 0);
}

TEST_MAIN(
	T(published_verifier_keys_parse_to_their_names_and_hashes),
	T(published_note_opens_with_its_verifier),
	T(published_private_key_reproduces_the_verifier_key_and_note_byte_for_byte),
	T(doubly_signed_published_note_opens_with_either_key),
	T(new_signer_signs_a_note_its_verifier_key_opens),
	T(verifier_key_round_trips_and_its_hash_is_sha256_of_name_newline_alg_key),
	T(mangled_verifier_keys_are_refused),
	T(verifier_key_with_a_name_over_255_bytes_is_refused),
	T(changed_text_or_signature_is_refused),
	T(signature_under_another_name_or_key_hash_is_not_ours),
	T(first_signature_by_our_key_decides),
	T(malformed_notes_are_refused_even_when_signed),
	T(note_without_blank_line_final_newline_or_em_dash_is_refused),
	T(malformed_signature_lines_are_refused_even_by_other_keys),
	T(at_most_100_signatures), T(notes_over_one_mib_are_refused),
	T(checkpoint_text_is_origin_size_and_base64_root),
	T(checkpoint_with_extension_lines_parses_its_first_three),
	T(signed_checkpoint_opens_and_parses_back),
	T(malformed_checkpoints_are_refused),
	T(checkpoint_origin_must_fit_the_buffer), T(signer_names_are_key_names),
	T(base64_decodes_as_libsodium_does_and_refuses_what_it_refuses))
