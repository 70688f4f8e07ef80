/* fuzz_note.c - signed notes, checkpoints and verifier keys. Opening a
 * note under a fixed key must never misbehave, and what opens has a text
 * that ends where its blank line begins; a checkpoint that parses and has
 * no extension lines is written back byte for byte (the parser accepts
 * only the canonical form); a verifier key that parses holds the hash of
 * its own name and key. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/note.h"

#define PETER_VKEY                                                             \
	"PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = sl_xstrndup((const char *)data, size);
	struct sl_note_verifier v, w;
	unsigned char root[SL_HASH_LEN];
	char origin[256];
	uint64_t n;
	size_t text_len = 0, lines = 0;

	SL_ASSERT(sl_note_verifier_parse(PETER_VKEY, &v, NULL) == SL_OK);
	if (sl_note_open(&v, s, &text_len, NULL) == SL_OK) {
		SL_ASSERT(text_len > 0 && text_len + 1 < strlen(s));
		SL_ASSERT(s[text_len - 1] == '\n' && s[text_len] == '\n');
	}
	if (sl_checkpoint_parse((const char *)data, size, origin,
				sizeof(origin), &n, root, NULL) == SL_OK) {
		for (size_t i = 0; i < size; i++)
			lines += data[i] == '\n';
		if (lines == 3) {
			char *t = sl_checkpoint_text(origin, n, root);

			SL_ASSERT(strlen(t) == size &&
				  memcmp(t, data, size) == 0);
			free(t);
		}
	}
	if (sl_note_verifier_parse(s, &w, NULL) == SL_OK)
		SL_ASSERT(w.key_hash == sl_note_key_hash(w.name, w.public_key));
	free(s);
	return 0;
}
