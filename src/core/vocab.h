/* vocab.h - shiplog's closed word lists, and the helpers every list uses.
 *
 * Each vocabulary is defined once, in core: an enum where code branches
 * on it, and an exported NULL-terminated array of names indexed by that
 * enum (sl_<vocab>_names). The body schemas and the policy schema
 * (src/http) take these arrays as their allowed strings, so validation,
 * the 422 that names the allowed words, the OpenAPI document's "enum" and
 * the CLI's help all read the same words. Names are the wire and storage
 * spelling; a word, once shipped, is never renamed.
 *
 * Where each vocabulary lives: release and deployment statuses, release
 * types, deployment strategies, event sources, change request classes
 * and states in state.h (beside their machines and rules); roles in
 * perm.h (beside the permission table); the words no core rule reads
 * on its own -- approval decisions, window kinds, windows modes, release
 * type check modes, change request risks -- here. */
#ifndef SL_CORE_VOCAB_H
#define SL_CORE_VOCAB_H

#include <stddef.h>

/* The number of names before the NULL that ends names. */
size_t sl_vocab_count(const char *const *names);

/* The index of s in names, or -1 when s is NULL or not one of them;
 * matching is exact and case-sensitive. */
int sl_vocab_index(const char *const *names, const char *s);

/* names[v] (a static string, do not free) when v is an index of names,
 * else NULL. */
const char *sl_vocab_name(const char *const *names, int v);

/* Writes the names joined by sep ("a, b, c") into buf, NUL-terminated
 * and cut short (at a name's end, with "...") when it does not fit.
 * Returns the length written. */
size_t sl_vocab_join(const char *const *names, const char *sep, char *buf,
		     size_t size);

/* Defines prefix_name(type) and prefix_parse(const char *, type *) over a
 * names array, in the shapes documented in state.h. */
#define SL_VOCAB_DEFINE(prefix, type, names)                                   \
	const char *prefix##_name(type v)                                      \
	{                                                                      \
		return sl_vocab_name(names, (int)v);                           \
	}                                                                      \
	int prefix##_parse(const char *s, type *out)                           \
	{                                                                      \
		int i = sl_vocab_index(names, s);                              \
		if (i < 0)                                                     \
			return -1;                                             \
		*out = (type)i;                                                \
		return 0;                                                      \
	}

/* A person's decision on a release for an environment. A rejection
 * blocks the release there until it is withdrawn. */
enum sl_decision {
	SL_DECISION_APPROVE,
	SL_DECISION_REJECT,
	SL_DECISION__COUNT
};
extern const char *const sl_decision_names[SL_DECISION__COUNT + 1];
const char *sl_decision_name(enum sl_decision d);
int sl_decision_parse(const char *s, enum sl_decision *out);

/* A window's kind: a freeze or a blackout stops deployments while in
 * force; a maintenance window opens the way when the environment's
 * policy allows deployments only in maintenance windows. */
enum sl_window_kind {
	SL_WIN_FREEZE,
	SL_WIN_BLACKOUT,
	SL_WIN_MAINTENANCE,
	SL_WIN__COUNT
};
extern const char *const sl_window_kind_names[SL_WIN__COUNT + 1];
const char *sl_window_kind_name(enum sl_window_kind k);
int sl_window_kind_parse(const char *s, enum sl_window_kind *out);

/* A policy's windows_mode: normal (deploy unless a freeze or blackout is
 * in force) or maintenance_only (also only inside a maintenance window). */
enum sl_windows_mode {
	SL_WMODE_NORMAL,
	SL_WMODE_MAINTENANCE_ONLY,
	SL_WMODE__COUNT
};
extern const char *const sl_windows_mode_names[SL_WMODE__COUNT + 1];
const char *sl_windows_mode_name(enum sl_windows_mode m);
int sl_windows_mode_parse(const char *s, enum sl_windows_mode *out);

/* A service's release_type_check: what a release type that does not fit
 * the version bump meets, a refusal (the default) or a warning. */
enum sl_type_check_mode { SL_TCHECK_REFUSE, SL_TCHECK_WARN, SL_TCHECK__COUNT };
extern const char *const sl_type_check_mode_names[SL_TCHECK__COUNT + 1];
const char *sl_type_check_mode_name(enum sl_type_check_mode m);
int sl_type_check_mode_parse(const char *s, enum sl_type_check_mode *out);

/* A change request's risk, as the ITSM rates it; recorded, not judged. */
enum sl_change_risk {
	SL_RISK_LOW,
	SL_RISK_MODERATE,
	SL_RISK_HIGH,
	SL_RISK_VERY_HIGH,
	SL_RISK__COUNT
};
extern const char *const sl_change_risk_names[SL_RISK__COUNT + 1];
const char *sl_change_risk_name(enum sl_change_risk r);
int sl_change_risk_parse(const char *s, enum sl_change_risk *out);

#endif
