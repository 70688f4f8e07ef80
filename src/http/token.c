/* token.c - API token secrets: generated from libsodium's CSPRNG, kept
 * only as their SHA-256. A 256-bit random secret needs no slow hash: the
 * digest cannot be reversed and guessing is hopeless. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "http/http.h"

void sl_token_hash(const char *secret, char *out)
{
	unsigned char digest[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(digest, (const unsigned char *)secret,
			   strlen(secret));
	sodium_bin2hex(out, SL_TOKEN_HASH_HEX, digest, sizeof(digest));
}

void sl_token_generate(char *out, size_t size)
{
	unsigned char raw[32];
	char hex[65];

	SL_ASSERT(size >= 4 + sizeof(hex));
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
	snprintf(out, size, "slt_%s", hex);
	sodium_memzero(raw, sizeof(raw));
}
