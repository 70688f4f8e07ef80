/* entry.h - the bytes of an audit entry, the leaves of the log's tree.
 *
 * An entry is one JSON object with its keys in byte order and no
 * whitespace (docs/audit.md is the specification):
 *   {"action":..,"actor":..,"after":..,"at":..,"before":..,
 *    "object_id":..,"object_type":..,"request_id":..,"seq":..,"via":..}
 * at and seq are integers (microseconds since the epoch; the sequence
 * number from 1); before and after are the documents exactly as the API
 * served them (canonical JSON text, embedded as is) or null; request_id
 * and via are strings or null; the others strings. Strings are written as
 * RFC 8785 writes them: '"' and '\' escaped, U+0000..U+001F as \b \t \n
 * \f \r or \u00xx (lowercase hex), everything else as its UTF-8 bytes. */
#ifndef SL_CORE_ENTRY_H
#define SL_CORE_ENTRY_H

#include <stddef.h>
#include <stdint.h>

/* The fields of an entry; strings borrowed, NULL for null. An entry
 * with a change is written
 *   {"action":..,"actor":..,"at":..,"change":..,"object_id":..,
 *    "object_type":..,"request_id":..,"seq":..,"via":..}
 * (change: the RFC 6902 JSON Patch, canonical JSON text embedded as
 * is); one without (written before patches, schema 7) as above, with
 * its before and after documents. */
struct sl_entry {
	int64_t seq, at;
	const char *actor, *action, *object_type, *object_id, *request_id;
	const char *change;	    /* canonical JSON text */
	const char *before, *after; /* legacy: canonical JSON text */
	const char *via;
};

/* The entry's bytes (malloc'ed, NUL-terminated for convenience; *len
 * holds their number). */
char *sl_entry_bytes(const struct sl_entry *e, size_t *len);

/* Appends the entry's bytes to the buffer *buf of *len bytes used and
 * *cap allocated (grown with realloc as needed; NUL-terminated); returns
 * how many bytes were added. */
size_t sl_entry_append(const struct sl_entry *e, char **buf, size_t *len,
		       size_t *cap);

#endif
