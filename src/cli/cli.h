/* cli.h - the shiplog command-line client, shared between its files.
 *
 * Reading order: main.c (global options, the command table, the parser),
 * commands.c (what each command sends and prints), governance.c,
 * hooks.c and audit.c (the commands the API shapes its own way), http.c
 * (libcurl: JSON requests, and GETs of bytes), table.c (human output:
 * aligned tables and key: value lines).
 *
 * The CLI speaks only HTTP to shiplogd; it never opens a database. Every
 * handler returns one of the exit codes below, and that is what the
 * process exits with. */
#ifndef SL_CLI_H
#define SL_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Exit codes, documented in "shiplog --help". */
enum sl_cli_exit {
	SL_CLI_OK = 0,	    /* done */
	SL_CLI_REFUSED = 1, /* the server answered 4xx */
	SL_CLI_USAGE = 2,   /* bad command line; nothing was sent */
	SL_CLI_FAILED = 3,  /* 5xx, network error, timeout, unreadable answer */
};

/* What the global options (--url, --token, --json) decided. */
struct sl_cli {
	const char *url;      /* base URL without a trailing slash */
	const char *token;    /* NULL when none was given */
	int json;	      /* print the server's JSON instead of tables */
	const char *idem_key; /* the POST's Idempotency-Key; NULL = random */
};

/* How an option's value is read and where it goes in the request. */
enum sl_cli_opt_type {
	SL_OPT_FLAG,	   /* no value; sets the field to true */
	SL_OPT_FALSE,	   /* no value; sets the field to false */
	SL_OPT_STR,	   /* a string */
	SL_OPT_INT,	   /* a decimal integer, checked locally */
	SL_OPT_TAG,	   /* k=v; merged into the "tags" object */
	SL_OPT_LIST,	   /* a string appended to an array; repeatable */
	SL_OPT_ARTIFACT,   /* NAME=URI@SHA256 appended to "artifacts" */
	SL_OPT_SIGNATURE,  /* NAME=SIG: the signature of that artifact */
	SL_OPT_DEPENDENCY, /* SERVICE@RANGE appended to "dependencies" */
};

/* One command-line option of one command. field is the JSON body field
 * (a dotted path such as "build.url" for nested objects) or the query
 * parameter; NULL when the handler reads the option itself. */
struct sl_cli_opt {
	const char *name; /* without the leading "--" */
	enum sl_cli_opt_type type;
	const char *field;
	const char *help; /* e.g. "--owner O   the owning team" */
	/* When the value is a word of a core vocabulary: its names
	 * (sl_<vocab>_names), which the help prints in place of "{}".
	 * NULL otherwise. */
	const char *const *words;
};

/* One option as it appeared on the command line. */
struct sl_cli_optval {
	const struct sl_cli_opt *opt;
	const char *value; /* NULL for flags */
};

/* A parsed command line: the positional arguments and the options, in the
 * order given. The strings point into argv. */
struct sl_cli_args {
	const char **pos;
	int npos;
	struct sl_cli_optval *opts;
	int nopts;
};

/* How one column of a human table is computed from one item. */
struct sl_cli_column {
	const char *header;
	const char *path; /* dotted path into the item, e.g. "running.since" */
	/* When set, renders the cell instead of path; returns a string the
	 * caller frees with free(). */
	char *(*render)(json_t *item);
};

struct sl_cli_cmd;
typedef int sl_cli_handler(const struct sl_cli *cli,
			   const struct sl_cli_cmd *cmd,
			   const struct sl_cli_args *args);

/* One row of the command table. */
struct sl_cli_cmd {
	const char *group; /* "service" */
	const char *sub;   /* "create"; NULL for the group's default command */
	sl_cli_handler *run;
	const char *path;     /* the collection, e.g. "/v1/services" */
	int nargs;	      /* positional arguments required */
	const char *argfield; /* body field the first positional fills */
	const struct sl_cli_opt *opts; /* ends with a row whose name is NULL */
	const struct sl_cli_column *columns; /* for lists; header NULL ends */
	const char *synopsis;		     /* "service get NAME" */
	const char *summary;		     /* one line for group help */
};

/* main.c */
extern const struct sl_cli_cmd sl_cli_cmds[];

/* commands.c: the handlers named in the table. */
sl_cli_handler sl_cli_run_create, sl_cli_run_list, sl_cli_run_get,
	sl_cli_run_update, sl_cli_run_delete, sl_cli_run_release_create,
	sl_cli_run_release_status, sl_cli_run_deploy, sl_cli_run_deploy_get,
	sl_cli_run_deploy_event, sl_cli_run_deploy_rollback, sl_cli_run_status,
	sl_cli_run_token_create;

/* governance.c: gates, approvals, policies, checklists, change requests,
 * windows, grants and reviews. */
/* The JSON object in file ("-": standard input), at most 1 MiB; NULL
 * after printing why (a usage error). Free with json_decref(). */
json_t *sl_cli_read_object(const char *file);
sl_cli_handler sl_cli_run_gate_check, sl_cli_run_decide,
	sl_cli_run_approvals_list, sl_cli_run_approval_withdraw,
	sl_cli_run_policy_get, sl_cli_run_policy_set,
	sl_cli_run_policy_versions, sl_cli_run_checklist_show,
	sl_cli_run_checklist_done, sl_cli_run_change_create,
	sl_cli_run_window_create, sl_cli_run_window_list,
	sl_cli_run_grant_create, sl_cli_run_review_close;

/* hooks.c: inbound webhook receivers (the secret read from a file), the
 * deliveries they kept, and replaying one (exit 0 when applied or
 * ignored, 1 when unmatched or failed). */
sl_cli_handler sl_cli_run_receiver_put, sl_cli_run_receiver_list,
	sl_cli_run_receiver_deliveries, sl_cli_run_receiver_replay;
/* The secret on the first line of file ("-": standard input), as a JSON
 * string (json_decref()); NULL after printing why. */
json_t *sl_cli_read_secret(const char *file);

/* notify.c: subscriptions (the webhook's secret read from a file) and
 * the outbox: its list and replaying a notification. */
sl_cli_handler sl_cli_run_subscription_put, sl_cli_run_subscription_list,
	sl_cli_run_notification_replay;
extern const struct sl_cli_opt sl_cli_subscription_put_opts[],
	sl_cli_notification_list_opts[];
extern const struct sl_cli_column sl_cli_subscription_cols[],
	sl_cli_notification_cols[];

/* import.c: history brought in from a JSON Lines or CSV file, in
 * batches, with progress on stderr and line numbers of the whole file. */
sl_cli_handler sl_cli_run_import;

/* audit.c: the verifiable audit log: its key, a whole-log verification
 * (online or from an export), an entry's inclusion proof, an export. */
sl_cli_handler sl_cli_run_audit_key, sl_cli_run_audit_verify,
	sl_cli_run_audit_prove, sl_cli_run_audit_export;
/* report.c: the compliance reports, written as the server renders them. */
sl_cli_handler sl_cli_run_report;

/* commands.c: helpers the handlers share. */

/* Adds every option of args that has a body field to body. Returns
 * SL_CLI_OK, or SL_CLI_USAGE after printing why. */
int sl_cli_fill_body(json_t *body, const struct sl_cli_args *args);

/* Returns 1 when the option called name was given. */
int sl_cli_has_opt(const struct sl_cli_args *args, const char *name);

/* Returns the value of the last option called name, or NULL. */
const char *sl_cli_opt_value(const struct sl_cli_args *args, const char *name);

/* Checks that every option the synopsis names outside brackets ("reject
 * SVC@VER ENV --comment C") was given. Returns SL_CLI_OK, or SL_CLI_USAGE
 * after printing which is missing. */
int sl_cli_check_required(const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args);

/* Returns cmd->path followed by "/" and the escaped id (when id is not
 * NULL), then suffix (when not NULL). Free with free(). */
char *sl_cli_object_path(const struct sl_cli_cmd *cmd, const char *id,
			 const char *suffix);

/* Returns a new {"release", "environment"} body, the release as an
 * integer when it is an id; NULL when either is not UTF-8. */
json_t *sl_cli_release_body(const char *release, const char *env);

/* Prints a single-object answer: pretty JSON with --json, else
 * "key: value" lines. */
void sl_cli_print_answer(const struct sl_cli *cli, json_t *answer);

/* Sends one request and prints the answer. Returns the exit code. */
int sl_cli_call_and_print(const struct sl_cli *cli, const char *method,
			  const char *path, json_t *body);

/* Returns base with every option that has a field as a query parameter
 * (a flag as "true", its negation as "false"); cursor, when not NULL,
 * replaces a --cursor option. Free with free(). */
char *sl_cli_list_path(const char *base, const struct sl_cli_args *args,
		       const char *cursor);

/* GETs the list at base (with the options that have a field as query
 * parameters, following next_cursor with --all) and prints it as a table
 * of columns, or the JSON page with --json. Returns the exit code. */
int sl_cli_list_at(const struct sl_cli *cli, const struct sl_cli_args *args,
		   const char *base, const struct sl_cli_column *columns);

/* Prints "shiplog: <message>" and a hint to --help on stderr, and returns
 * SL_CLI_USAGE so callers can "return sl_cli_usage(...)". */
int sl_cli_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* http.c */

/* A server's answer. */
struct sl_cli_response {
	long status;
	json_t *json;  /* the parsed body, NULL when empty; json_decref() */
	char etag[64]; /* the ETag header, "" when none */
};

/* Sends one request to cli->url + path (path already escaped, with its
 * query) with body (borrowed, may be NULL) and, for extra_header (may be
 * NULL), one more header line such as "If-Match: \"3\"". On a 2xx answer
 * fills *res and returns SL_CLI_OK; the caller frees res->json with
 * json_decref(). On anything else prints the problem to stderr (and, with
 * --json, the problem document to stdout), leaves res->json NULL and
 * returns SL_CLI_REFUSED or SL_CLI_FAILED. */
int sl_cli_request(const struct sl_cli *cli, const char *method,
		   const char *path, json_t *body, const char *extra_header,
		   struct sl_cli_response *res);

/* POSTs len bytes of data (NUL-terminated after them) of content type
 * ctype to cli->url + path. As sl_cli_request, except that it prints
 * nothing: on a refusal res->json keeps the problem document (or NULL)
 * for the caller, who frees it. */
int sl_cli_send(const struct sl_cli *cli, const char *path, const char *data,
		size_t len, const char *ctype, struct sl_cli_response *res);

/* An answer kept as the bytes it came as: a tile or an entry bundle
 * (binary), a checkpoint or a key (text). */
struct sl_cli_bytes {
	long status; /* the HTTP status; 0 when none came */
	char *data;  /* the body, NUL-terminated after len bytes; free() */
	size_t len;
};

/* GETs cli->url + path (escaped, with its query) and keeps the answer's
 * bytes whatever their type, length-aware. On a 2xx answer fills *res
 * (the caller frees res->data with free()) and returns SL_CLI_OK. On
 * anything else prints the problem to stderr only (a command's --json
 * output stays one document), leaves res->data NULL and returns
 * SL_CLI_REFUSED (4xx) or SL_CLI_FAILED. One libcurl handle serves every
 * such call, so its connection is kept between them. */
int sl_cli_get_bytes(const struct sl_cli *cli, const char *path,
		     struct sl_cli_bytes *res);

/* The same for a POST of the JSON text json: an answer that is a file
 * (an archive). */
int sl_cli_post_bytes(const struct sl_cli *cli, const char *path,
		      const char *json, struct sl_cli_bytes *res);
/* Frees what sl_cli_get_bytes kept; main() calls it before libcurl's
 * global cleanup. */
void sl_cli_http_fini(void);

/* Returns s escaped for one URL path segment ("@" and "+" kept, since a
 * release is named service@version). Free with free(). */
char *sl_cli_escape_segment(const char *s);

/* Returns s percent-encoded for a query value. Free with free(). */
char *sl_cli_escape_query(const char *s);

/* table.c */

/* Returns the value at a dotted path ("running.version") in obj, or NULL.
 * The reference is borrowed from obj. */
json_t *sl_cli_json_path(json_t *obj, const char *path);

/* Returns a human rendering of one JSON value: "-" for null or missing,
 * strings as they are, numbers and booleans in JSON, tags as "k=v,k=v",
 * arrays of strings comma-joined. Free with free(). */
char *sl_cli_format(json_t *v);

/* Prints items (a JSON array of objects) as an aligned table with the
 * given columns, headers first, to stdout. */
void sl_cli_print_table(json_t *items, const struct sl_cli_column *cols);

/* The same, to out. */
void sl_cli_fprint_table(FILE *out, json_t *items,
			 const struct sl_cli_column *cols);

/* Prints a gate verdict's checks ([{"name", "passed", "detail",
 * "overridden"?}]) to out as a CHECK / RESULT / DETAIL table, RESULT
 * being pass, FAIL or overridden. */
void sl_cli_print_checks(FILE *out, json_t *checks);

/* Prints obj as "key: value" lines on stdout; nested objects become
 * "parent.key: value", arrays of objects one indented line per element.
 * Keys listed in skip (NULL-terminated, may be NULL) are left out. */
void sl_cli_print_object(json_t *obj, const char *const *skip);

/* Prints v as pretty JSON followed by a newline on stdout. */
void sl_cli_print_json(json_t *v);

/* incidents.c: show, resolve, confirm and withdraw a cause. */
sl_cli_handler sl_cli_run_incident_show, sl_cli_run_incident_resolve,
	sl_cli_run_incident_cause, sl_cli_run_incident_withdraw;
/* verify.c: verification policies (put from a file, get, delete) and a
 * deployment's verification. */
sl_cli_handler sl_cli_run_verification_put, sl_cli_run_verification_get,
	sl_cli_run_verification_delete, sl_cli_run_deploy_verification;

/* archive.c: retention. create writes the archive file the server
 * answers; read checks a file offline and prints its records; restore
 * sends one back. */
sl_cli_handler sl_cli_run_archive_create, sl_cli_run_archive_read,
	sl_cli_run_archive_restore;
/* metrics.c: the delivery metrics. */
sl_cli_handler sl_cli_run_metrics_dora;

#endif
