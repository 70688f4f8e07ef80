/* incident.c - the rules of incidents (incident.h). */
#include "core/incident.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/merkle.h"

const char *const sl_incident_severity_names[SL_SEV__COUNT + 1] = {
	[SL_SEV_CRITICAL] = "critical",
	[SL_SEV_MAJOR] = "major",
	[SL_SEV_MINOR] = "minor",
};
const char *const sl_incident_status_names[SL_INC__COUNT + 1] = {
	[SL_INC_OPEN] = "open",
	[SL_INC_RESOLVED] = "resolved",
};
SL_VOCAB_DEFINE(sl_incident_severity, enum sl_incident_severity,
		sl_incident_severity_names)
SL_VOCAB_DEFINE(sl_incident_status, enum sl_incident_status,
		sl_incident_status_names)

/* The words monitoring systems use, by the severity each means here. */
static const struct {
	const char *word;
	enum sl_incident_severity severity;
} labels[] = {
	{"critical", SL_SEV_CRITICAL},	{"page", SL_SEV_CRITICAL},
	{"emergency", SL_SEV_CRITICAL}, {"fatal", SL_SEV_CRITICAL},
	{"p1", SL_SEV_CRITICAL},	{"sev1", SL_SEV_CRITICAL},
	{"major", SL_SEV_MAJOR},	{"error", SL_SEV_MAJOR},
	{"high", SL_SEV_MAJOR},		{"warning", SL_SEV_MAJOR},
	{"p2", SL_SEV_MAJOR},		{"sev2", SL_SEV_MAJOR},
	{"minor", SL_SEV_MINOR},	{"info", SL_SEV_MINOR},
	{"low", SL_SEV_MINOR},		{"none", SL_SEV_MINOR},
	{"p3", SL_SEV_MINOR},		{"p4", SL_SEV_MINOR},
	{"sev3", SL_SEV_MINOR},
};

enum sl_incident_severity sl_incident_severity_from_label(const char *label)
{
	for (size_t i = 0; label && i < sizeof(labels) / sizeof(labels[0]); i++)
		if (strcasecmp(labels[i].word, label) == 0)
			return labels[i].severity;
	return SL_SEV_MAJOR;
}

void sl_incident_key_from(const char *prefix, const char *text, char *buf,
			  size_t size)
{
	unsigned char h[SL_HASH_LEN];
	char hex[17];

	SL_ASSERT(size >= 64 && strlen(prefix) < 40);
	sl_sha256(text, strlen(text), h);
	for (size_t i = 0; i < 8; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	snprintf(buf, size, "%s-%s", prefix, hex);
}

enum sl_err sl_incident_resolution(int64_t started_at, int64_t resolved_at,
				   int64_t *seconds, struct sl_error *err)
{
	if (resolved_at < started_at)
		return sl_error_set(err, SL_EINVAL, "resolved_at",
				    "resolved_at must not be before the "
				    "incident started");
	*seconds = (resolved_at - started_at) / 1000000;
	return SL_OK;
}

static int listed(const char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (v[i] && strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* Newer start first, then the higher id: the order suspects are shown. */
static int newer(const struct sl_suspect *a, const struct sl_suspect *b)
{
	if (a->started_at != b->started_at)
		return a->started_at > b->started_at;
	return a->id > b->id;
}

size_t sl_incident_suspects(const struct sl_suspect *cand, size_t n,
			    const char *environment,
			    const char *const *services, size_t nservices,
			    int64_t started_at, size_t per_service, size_t *out)
{
	size_t total = 0;

	for (size_t s = 0; s < nservices; s++) {
		size_t first = total;

		if (listed(services, s, services[s]))
			continue; /* named twice: proposed once */
		for (size_t i = 0; i < n; i++) {
			const struct sl_suspect *c = &cand[i];
			size_t at;

			if (!c->service || strcmp(c->service, services[s]) ||
			    !c->environment ||
			    strcmp(c->environment, environment) ||
			    c->started_at <= 0 || c->started_at >= started_at)
				continue;
			/* Insertion into this service's sorted run. */
			at = total;
			while (at > first && newer(c, &cand[out[at - 1]]))
				at--;
			if (at - first >= per_service)
				continue;
			if (total - first == per_service)
				total--; /* the oldest kept falls off */
			memmove(&out[at + 1], &out[at],
				(total - at) * sizeof(*out));
			out[at] = i;
			total++;
		}
	}
	return total;
}

int sl_incident_cause_fits(const char *environment, const char *const *services,
			   size_t nservices, const char *dep_env,
			   const char *dep_service)
{
	return environment && dep_env && strcmp(environment, dep_env) == 0 &&
	       listed(services, nservices, dep_service);
}

enum sl_incident_step sl_incident_alert_step(int firing, int exists,
					     int resolved)
{
	if (!exists)
		return firing ? SL_ISTEP_OPEN : SL_ISTEP_RECORD;
	if (firing)
		return resolved ? SL_ISTEP_REOPEN : SL_ISTEP_NONE;
	return resolved ? SL_ISTEP_NONE : SL_ISTEP_RESOLVE;
}
