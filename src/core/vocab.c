/* vocab.c - the helpers of every word list, and the lists no core rule
 * has a better home for. */
#include "core/vocab.h"

#include <stdio.h>
#include <string.h>

size_t sl_vocab_count(const char *const *names)
{
	size_t n = 0;

	while (names[n])
		n++;
	return n;
}

int sl_vocab_index(const char *const *names, const char *s)
{
	if (!s)
		return -1;
	for (int i = 0; names[i]; i++)
		if (strcmp(names[i], s) == 0)
			return i;
	return -1;
}

const char *sl_vocab_name(const char *const *names, int v)
{
	if (v < 0)
		return NULL;
	for (int i = 0; names[i]; i++)
		if (i == v)
			return names[i];
	return NULL;
}

/* Names are appended while they fit whole, leaving room for "..."; so a
 * cut list still reads as a list and never ends inside a word. */
size_t sl_vocab_join(const char *const *names, const char *sep, char *buf,
		     size_t size)
{
	static const char more[] = "...";
	size_t len = 0, seplen = strlen(sep);

	if (!size)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; names[i]; i++) {
		size_t need = (i ? seplen : 0) + strlen(names[i]);
		size_t reserve = names[i + 1] ? sizeof(more) : 1;

		if (len + need + reserve > size) {
			if (len + sizeof(more) <= size)
				len += (size_t)snprintf(buf + len, size - len,
							"%s", more);
			break;
		}
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
					i ? sep : "", names[i]);
	}
	return len;
}

const char *const sl_decision_names[SL_DECISION__COUNT + 1] = {
	[SL_DECISION_APPROVE] = "approve",
	[SL_DECISION_REJECT] = "reject",
};

const char *const sl_window_kind_names[SL_WIN__COUNT + 1] = {
	[SL_WIN_FREEZE] = "freeze",
	[SL_WIN_BLACKOUT] = "blackout",
	[SL_WIN_MAINTENANCE] = "maintenance",
};

const char *const sl_windows_mode_names[SL_WMODE__COUNT + 1] = {
	[SL_WMODE_NORMAL] = "normal",
	[SL_WMODE_MAINTENANCE_ONLY] = "maintenance_only",
};

const char *const sl_type_check_mode_names[SL_TCHECK__COUNT + 1] = {
	[SL_TCHECK_REFUSE] = "refuse",
	[SL_TCHECK_WARN] = "warn",
};

const char *const sl_change_risk_names[SL_RISK__COUNT + 1] = {
	[SL_RISK_LOW] = "low",
	[SL_RISK_MODERATE] = "moderate",
	[SL_RISK_HIGH] = "high",
	[SL_RISK_VERY_HIGH] = "very_high",
};

SL_VOCAB_DEFINE(sl_decision, enum sl_decision, sl_decision_names)
SL_VOCAB_DEFINE(sl_window_kind, enum sl_window_kind, sl_window_kind_names)
SL_VOCAB_DEFINE(sl_windows_mode, enum sl_windows_mode, sl_windows_mode_names)
SL_VOCAB_DEFINE(sl_type_check_mode, enum sl_type_check_mode,
		sl_type_check_mode_names)
SL_VOCAB_DEFINE(sl_change_risk, enum sl_change_risk, sl_change_risk_names)
