/* import.h - bringing history in: the rules an imported record meets
 * beyond the normal routes' own (which it meets too), and the CSV reader.
 *
 * An import replays what happened elsewhere with its original times. A
 * deployment record names where it ended (its status) and when it was
 * created, started and finished; core works out the moves that take a new
 * deployment there through the deployment machine (state.c), each with
 * its time, and refuses times that contradict each other or the machine.
 * No I/O, no clock: "now" is passed in. */
#ifndef SL_CORE_IMPORT_H
#define SL_CORE_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/state.h"

/* What a record of an import is. */
enum sl_import_kind {
	SL_IMP_SERVICE,
	SL_IMP_ENVIRONMENT,
	SL_IMP_RELEASE,
	SL_IMP_DEPLOYMENT,
	SL_IMP_EVENT,
	SL_IMP__COUNT
};
extern const char *const sl_import_kind_names[SL_IMP__COUNT + 1];
const char *sl_import_kind_name(enum sl_import_kind k);
int sl_import_kind_parse(const char *s, enum sl_import_kind *out);

/* The most records one batch (one request, one transaction) may hold. */
#define SL_IMPORT_BATCH_MAX 5000

/* How far ahead of "now" an original time may be (clocks disagree). */
#define SL_IMPORT_SKEW_US (300LL * 1000000)

/* A deployment record's times, microseconds since the epoch; 0 = not
 * given. */
struct sl_import_times {
	int64_t created_at, started_at, finished_at, verified_at;
};

/* One move of an imported deployment: to status at time at. The first
 * step is the status it is created in (queued or in_progress). */
struct sl_import_step {
	enum sl_deploy_status status;
	int64_t at;
};

/* At most this many steps take a new deployment to any status. */
#define SL_IMPORT_STEPS_MAX 6

/* Plans the moves that bring a new deployment to status `final` with the
 * times t, into steps (*n of them): created queued when it was created
 * before it started (or never started), else created in_progress at its
 * start; then the shortest way through the deployment machine to final,
 * each move at the time it stamps (started_at for in_progress, finished_at
 * for a finishing status, verified_at -- or finished_at -- for verified).
 * Refused (SL_EINVAL, err naming the field) when a time the path needs is
 * missing, a time is given that the final status does not have, the times
 * are out of order (created <= started <= finished <= verified), a time is
 * more than SL_IMPORT_SKEW_US after now, or final cannot be reached. */
enum sl_err sl_import_deploy_plan(enum sl_deploy_status final,
				  const struct sl_import_times *t, int64_t now,
				  struct sl_import_step *steps, size_t *n,
				  struct sl_error *err);

/* Checks an imported event's time against its deployment: not before the
 * deployment's last change (last, the time its document was last
 * updated: a timeline is imported in its order) and not after now (with
 * SL_IMPORT_SKEW_US). SL_EINVAL naming "at" otherwise. */
enum sl_err sl_import_event_at(int64_t at, int64_t last, int64_t now,
			       struct sl_error *err);

/* A CSV reader (RFC 4180: comma-separated, fields optionally in double
 * quotes, "" for a quote inside them, a quoted field may hold commas and
 * line breaks; CRLF or LF line ends; a UTF-8 byte order mark at the start
 * is skipped). Reads from a borrowed buffer. */
struct sl_csv {
	const char *buf;
	size_t len, pos;
	size_t line; /* the line the next record starts on, from 1 */
};
/* One record: its fields (each a malloc'ed NUL-terminated string) and the
 * line it starts on. Free with sl_csv_row_fini. */
struct sl_csv_row {
	char **fields;
	size_t n;
	size_t line;
};
#define SL_CSV_FIELDS_MAX 256

void sl_csv_init(struct sl_csv *c, const char *buf, size_t len);
/* Reads the next record into row: 1 when one was read, 0 at the end, -1
 * (err: SL_EMALFORMED, with the line in its message) for a quote left
 * open, text after a closing quote, a NUL byte or more than
 * SL_CSV_FIELDS_MAX fields. A blank line is skipped. */
int sl_csv_next(struct sl_csv *c, struct sl_csv_row *row, struct sl_error *err);
void sl_csv_row_fini(struct sl_csv_row *row);

#endif
