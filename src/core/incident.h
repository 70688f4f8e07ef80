/* incident.h - incidents: how bad they are, whether they are over, which
 * deployments shiplog suspects of having caused one, which a person may
 * name as the cause, and what an alert does to the record.
 *
 * An incident is about one environment and one or more services. The
 * http layer reads the stored documents into the plain values below and
 * asks these rules; nothing here reads a clock or a database. */
#ifndef SL_CORE_INCIDENT_H
#define SL_CORE_INCIDENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/vocab.h"

/* How bad an incident is. */
enum sl_incident_severity {
	SL_SEV_CRITICAL,
	SL_SEV_MAJOR,
	SL_SEV_MINOR,
	SL_SEV__COUNT
};
extern const char *const sl_incident_severity_names[SL_SEV__COUNT + 1];
const char *sl_incident_severity_name(enum sl_incident_severity s);
int sl_incident_severity_parse(const char *s, enum sl_incident_severity *out);

/* Whether it is over: resolved exactly when it has a resolved_at. */
enum sl_incident_status { SL_INC_OPEN, SL_INC_RESOLVED, SL_INC__COUNT };
extern const char *const sl_incident_status_names[SL_INC__COUNT + 1];
const char *sl_incident_status_name(enum sl_incident_status s);
int sl_incident_status_parse(const char *s, enum sl_incident_status *out);

/* The most services one incident names. */
#define SL_INCIDENT_SERVICES_MAX 16
/* How many suspected deployments are proposed per service. */
#define SL_INCIDENT_SUSPECTS_PER_SERVICE 3

/* The severity a monitoring label names (Alertmanager's
 * labels.severity: "critical", "warning", "info", "page", ...). Unknown
 * or missing words are major: an alert someone routed to shiplog is
 * worth looking at, and a person can lower it. */
enum sl_incident_severity sl_incident_severity_from_label(const char *label);

/* A stable, slug-safe incident key for a sender's own name of the thing
 * that fires (an alert group's groupKey with the receiver's name): prefix,
 * "-" and the first 16 hex digits of the text's SHA-256. The same text
 * always gives the same key, so a group's firing and resolved
 * notifications find one incident. buf holds at least 64 bytes. */
void sl_incident_key_from(const char *prefix, const char *text, char *buf,
			  size_t size);

/* The time an incident took: resolved_at - started_at in whole seconds,
 * into *seconds. SL_EINVAL on field resolved_at when it ends before it
 * began. */
enum sl_err sl_incident_resolution(int64_t started_at, int64_t resolved_at,
				   int64_t *seconds, struct sl_error *err);

/* A deployment that might have caused an incident, as the store has it. */
struct sl_suspect {
	int64_t id;
	const char *service;
	const char *environment;
	int64_t started_at; /* 0: it never started */
};

/* Which deployments shiplog suspects: for each of services (in their
 * order), the deployments to that service and environment that started
 * strictly before started_at, newest start first (the higher id first at
 * the same moment), at most per_service of them. Writes the indexes into
 * cand of the chosen ones into out (room for n) and returns how many. A
 * deployment that never started cannot have caused anything. */
size_t sl_incident_suspects(const struct sl_suspect *cand, size_t n,
			    const char *environment,
			    const char *const *services, size_t nservices,
			    int64_t started_at, size_t per_service,
			    size_t *out);

/* 1 when a deployment to dep_env of dep_service may be named as the cause
 * of an incident in environment about services: it touched the same
 * environment and one of the services. */
int sl_incident_cause_fits(const char *environment, const char *const *services,
			   size_t nservices, const char *dep_env,
			   const char *dep_service);

/* What an alert's notification does to the incident of its group. */
enum sl_incident_step {
	SL_ISTEP_NONE,	  /* nothing new: already so (reason says) */
	SL_ISTEP_OPEN,	  /* create the incident, open */
	SL_ISTEP_RECORD,  /* create it already resolved (seen only resolved) */
	SL_ISTEP_RESOLVE, /* set resolved_at on the open incident */
	SL_ISTEP_REOPEN,  /* a resolved incident fires again: open it */
};

/* Decides from the notification (firing or resolved) and whether the
 * group's incident exists and is resolved. */
enum sl_incident_step sl_incident_alert_step(int firing, int exists,
					     int resolved);

#endif
