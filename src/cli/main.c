/* main.c - shiplog, the command-line client of shiplogd.
 *
 * The commands are one table (sl_cli_cmds): each row names the command,
 * its handler, the collection it talks to, its options and where each
 * option goes in the request, the columns of its human table, and its
 * help. main() finds the row, parses the options against it (global
 * options may come before or after the command), and runs the handler. */
#include "cli/cli.h"
#include "core/error.h"
#include "core/hook.h"
#include "core/incident.h"
#include "core/perm.h"
#include "core/state.h"
#include "core/vocab.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHIPLOG_VERSION "0.1.0"
#define DEFAULT_URL	"http://127.0.0.1:8080"

/* Options every command accepts. */
static const struct sl_cli_opt global_opts[] = {
	{"url", SL_OPT_STR, NULL,
	 "--url U        server (default $SHIPLOG_URL, else " DEFAULT_URL ")",
	 NULL},
	{"token", SL_OPT_STR, NULL,
	 "--token T      bearer token (default $SHIPLOG_TOKEN)", NULL},
	{"json", SL_OPT_FLAG, NULL,
	 "--json         print the server's JSON answer instead of tables",
	 NULL},
	{"idempotency-key", SL_OPT_STR, NULL,
	 "--idempotency-key K  derive each POST's Idempotency-Key from K and\n"
	 "               the request (default $SHIPLOG_IDEMPOTENCY_KEY, else "
	 "a\n"
	 "               random key); a CI job that passes its run id can be\n"
	 "               retried and writes each thing once",
	 NULL},
	{"help", SL_OPT_FLAG, NULL, "--help, -h     show help and exit", NULL},
	{"version", SL_OPT_FLAG, NULL, "--version      show the version", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

#define LIST_OPTS                                                              \
	{"limit", SL_OPT_INT, "limit",                                         \
	 "--limit N      items per page (1-500)", NULL},                       \
		{"cursor", SL_OPT_STR, "cursor",                               \
		 "--cursor C     continue from a previous page", NULL},        \
		{"all", SL_OPT_FLAG, NULL,                                     \
		 "--all          follow next_cursor to the end", NULL},        \
	{                                                                      \
		NULL, 0, NULL, NULL, NULL                                      \
	}

static const struct sl_cli_opt service_opts[] = {
	{"owner", SL_OPT_STR, "owner",
	 "--owner O               owning team (required on create)", NULL},
	{"tier", SL_OPT_INT, "tier",
	 "--tier N                1 (most critical) to 4; default 3", NULL},
	{"repo", SL_OPT_STR, "repo", "--repo URL              repository URL",
	 NULL},
	{"tag", SL_OPT_TAG, "tags",
	 "--tag k=v               a tag; repeatable (merged on update)", NULL},
	{"naming-template", SL_OPT_STR, "naming_template",
	 "--naming-template T     release names, e.g. {service}-{version}",
	 NULL},
	{"release-type-check", SL_OPT_STR, "release_type_check",
	 "--release-type-check M  a type that does not fit the version bump:\n"
	 "                          {}; default refuse",
	 sl_type_check_mode_names},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt service_list_opts[] = {
	{"tag", SL_OPT_TAG, "tag", "--tag k=v      only services with this tag",
	 NULL},
	LIST_OPTS,
};

static const struct sl_cli_opt env_opts[] = {
	{"rank", SL_OPT_INT, "rank",
	 "--rank N               promotion order, 0-1000 (required on create)",
	 NULL},
	{"protected", SL_OPT_FLAG, "protected",
	 "--protected            a governed environment", NULL},
	{"no-protected", SL_OPT_FALSE, "protected",
	 "--no-protected         not governed", NULL},
	{"target", SL_OPT_LIST, "targets",
	 "--target T             a region, cluster or tenant; repeatable "
	 "(replaces the list on update)",
	 NULL},
	{"timezone", SL_OPT_STR, "timezone",
	 "--timezone TZ          IANA time zone; default UTC", NULL},
	{"max-concurrent", SL_OPT_INT, "max_concurrent",
	 "--max-concurrent N     concurrent deployments, 0 = unlimited", NULL},
	{"production", SL_OPT_FLAG, "production",
	 "--production           counts as production in metrics and reports "
	 "(default: the highest rank)",
	 NULL},
	{"no-production", SL_OPT_FALSE, "production",
	 "--no-production        never counts as production", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt plain_list_opts[] = {LIST_OPTS};

static const struct sl_cli_opt release_opts[] = {
	{"type", SL_OPT_STR, "type", "--type T                 {}",
	 sl_release_type_names},
	{"status", SL_OPT_STR, "status",
	 "--status S               {}; default draft",
	 sl_release_initial_status_names},
	{"commit", SL_OPT_STR, "commit", "--commit SHA             git commit",
	 NULL},
	{"git-tag", SL_OPT_STR, "git_tag", "--git-tag TAG            git tag",
	 NULL},
	{"build-url", SL_OPT_STR, "build.url",
	 "--build-url URL          CI job URL", NULL},
	{"builder", SL_OPT_STR, "build.builder",
	 "--builder B              CI system or person that built it", NULL},
	{"artifact", SL_OPT_ARTIFACT, "artifacts",
	 "--artifact N=URI@SHA256  an artifact; repeatable (replaces the "
	 "list\n"
	 "                           on update)",
	 NULL},
	{"artifact-signature", SL_OPT_SIGNATURE, "artifacts",
	 "--artifact-signature N=SIG\n"
	 "                           the signature of the artifact named N "
	 "given\n"
	 "                           with --artifact; repeatable",
	 NULL},
	{"change-request", SL_OPT_STR, "change_request",
	 "--change-request KEY     ITSM change, e.g. CHG0031337", NULL},
	{"rollback-target", SL_OPT_STR, "rollback.target_version",
	 "--rollback-target V      version to roll back to", NULL},
	{"rollback-criteria", SL_OPT_STR, "rollback.criteria",
	 "--rollback-criteria TEXT when to roll back", NULL},
	{"rollback-procedure", SL_OPT_STR, "rollback.procedure",
	 "--rollback-procedure TEXT\n"
	 "                           how to roll back",
	 NULL},
	{"dependency", SL_OPT_DEPENDENCY, "dependencies",
	 "--dependency S@RANGE     service S must run a version in RANGE "
	 "(e.g.\n"
	 "                           ledger@^2.1) in the target environment;\n"
	 "                           repeatable (replaces the list on "
	 "update)",
	 NULL},
	{"notes", SL_OPT_STR, "notes", "--notes TEXT             release notes",
	 NULL},
	{"known-issues", SL_OPT_STR, "known_issues",
	 "--known-issues TEXT      known issues", NULL},
	{"tag", SL_OPT_TAG, "tags",
	 "--tag k=v                a tag; repeatable (merged on update)", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt release_list_opts[] = {
	{"service", SL_OPT_STR, "service", "--service S    of this service",
	 NULL},
	{"env", SL_OPT_STR, "environment",
	 "--env E        deployed to this environment at least once", NULL},
	{"status", SL_OPT_STR, "status", "--status S     in this status: {}",
	 sl_release_status_names},
	{"type", SL_OPT_STR, "type", "--type T       of this type: {}",
	 sl_release_type_names},
	{"tag", SL_OPT_TAG, "tag", "--tag k=v      with this tag", NULL},
	{"since", SL_OPT_STR, "since", "--since T      created at or after T",
	 NULL},
	{"until", SL_OPT_STR, "until", "--until T      created before T", NULL},
	LIST_OPTS,
};

static const struct sl_cli_opt deploy_opts[] = {
	{"target", SL_OPT_STR, "target",
	 "--target T           one of the environment's targets", NULL},
	{"strategy", SL_OPT_STR, "strategy",
	 "--strategy S         {}; default rolling", sl_strategy_names},
	{"status", SL_OPT_STR, "status",
	 "--status S           {}; default queued\n"
	 "                       (in_progress starts it: the gates decide)",
	 sl_deploy_initial_status_names},
	{"deployer", SL_OPT_STR, "deployer",
	 "--deployer D         who deploys; default the token's name", NULL},
	{"pipeline-url", SL_OPT_STR, "pipeline_url",
	 "--pipeline-url URL   the pipeline run", NULL},
	{"override", SL_OPT_LIST, "override.checks",
	 "--override CHECK     emergency releases: set this gate check aside\n"
	 "                       (approvals, checklist, change_request, "
	 "windows,\n"
	 "                       promotion); repeatable; needs --reason",
	 NULL},
	{"reason", SL_OPT_STR, "override.reason",
	 "--reason R           why the override; opens a post-incident "
	 "review",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt deploy_list_opts[] = {
	{"service", SL_OPT_STR, "service", "--service S    of this service",
	 NULL},
	{"env", SL_OPT_STR, "environment", "--env E        to this environment",
	 NULL},
	{"status", SL_OPT_STR, "status", "--status S     in this status: {}",
	 sl_deploy_status_names},
	{"release", SL_OPT_STR, "release", "--release R    of this release",
	 NULL},
	{"type", SL_OPT_STR, "type",
	 "--type T       of releases of this type: {}", sl_release_type_names},
	{"tag", SL_OPT_TAG, "tag", "--tag k=v      of releases with this tag",
	 NULL},
	{"since", SL_OPT_STR, "since", "--since T      created at or after T",
	 NULL},
	{"until", SL_OPT_STR, "until", "--until T      created before T", NULL},
	LIST_OPTS,
};

static const struct sl_cli_opt event_opts[] = {
	{"status", SL_OPT_STR, "status", "--status S      new status: {}",
	 sl_deploy_status_names},
	{"traffic", SL_OPT_INT, "traffic_percent",
	 "--traffic N     traffic percent, 0-100 (canary, blue_green)", NULL},
	{"message", SL_OPT_STR, "message", "--message M     a note", NULL},
	{"at", SL_OPT_STR, "at", "--at T          when (RFC 3339); default now",
	 NULL},
	{"source", SL_OPT_STR, "source",
	 "--source S      who reports it: {}; default cli", sl_source_names},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt rollback_opts[] = {
	{"reason", SL_OPT_STR, "reason", "--reason R     why", NULL},
	{"override", SL_OPT_LIST, "override.checks",
	 "--override CHECK  a rollback to a planned target that never ran\n"
	 "                    there meets the gates; an emergency target may\n"
	 "                    set this check aside; repeatable; needs\n"
	 "                    --override-reason",
	 NULL},
	{"override-reason", SL_OPT_STR, "override.reason",
	 "--override-reason R  why the override; opens a post-incident review",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt status_opts[] = {
	{"service", SL_OPT_STR, "service", "--service S    only this service",
	 NULL},
	{"env", SL_OPT_STR, "environment",
	 "--env E        only this environment", NULL},
	{"tag", SL_OPT_TAG, "tag", "--tag k=v      only services with this tag",
	 NULL},
	LIST_OPTS,
};

static const struct sl_cli_opt audit_opts[] = {
	{"after", SL_OPT_INT, "after", "--after N      entries after seq N",
	 NULL},
	{"actor", SL_OPT_STR, "actor", "--actor A      written by this token",
	 NULL},
	{"action", SL_OPT_STR, "action",
	 "--action A     of this action (e.g. deployment.create)", NULL},
	{"object-type", SL_OPT_STR, "object_type",
	 "--object-type T  about objects of this type", NULL},
	{"object-id", SL_OPT_STR, "object_id",
	 "--object-id I  about the object with this id or name", NULL},
	{"from", SL_OPT_STR, "from", "--from T       at or after T (RFC 3339)",
	 NULL},
	{"to", SL_OPT_STR, "to", "--to T         before T (RFC 3339)", NULL},
	LIST_OPTS,
};

/* The --key option of the audit commands that verify a checkpoint. */
#define AUDIT_KEY_HELP                                                         \
	"--key VKEY     the log's verifier key, or @FILE to read it from a\n"  \
	"                 file; default the key recorded for this server in\n" \
	"                 $SHIPLOG_CONFIG (else "                              \
	"~/.config/shiplog/audit.json),\n"                                     \
	"                 and on first use the server's own, recorded then"

static const struct sl_cli_opt audit_verify_opts[] = {
	{"key", SL_OPT_STR, NULL, AUDIT_KEY_HELP, NULL},
	{"bundle", SL_OPT_STR, NULL,
	 "--bundle FILE  verify a file 'audit export' wrote, with no network;\n"
	 "                 needs --key unless the file's key is one recorded",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt audit_prove_opts[] = {
	{"key", SL_OPT_STR, NULL, AUDIT_KEY_HELP, NULL},
	{"size", SL_OPT_INT, NULL,
	 "--size N       prove it in the tree of the first N entries, and "
	 "that\n"
	 "                 tree in the signed one; default the checkpoint's "
	 "size",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt audit_export_opts[] = {
	{"out", SL_OPT_STR, NULL,
	 "--out FILE     the file to write (- for standard output)", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt token_opts[] = {
	{"name", SL_OPT_STR, "name", "--name N       who or what uses it",
	 NULL},
	{"role", SL_OPT_STR, "role", "--role R       {}", sl_role_names},
	{"env", SL_OPT_LIST, "environments",
	 "--env E        limit it to this environment; repeatable", NULL},
	{"service", SL_OPT_LIST, "services",
	 "--service S    limit it to this service; repeatable", NULL},
	{"team", SL_OPT_LIST, "teams",
	 "--team T       limit it to services this team owns; repeatable",
	 NULL},
	{"group", SL_OPT_LIST, "groups",
	 "--group G      an approval group its holder belongs to; "
	 "repeatable",
	 NULL},
	{"expires", SL_OPT_STR, "expires_at",
	 "--expires T    refused from T on (RFC 3339, in the future, e.g.\n"
	 "                 2026-12-24T00:00:00Z); default never",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt gate_opts[] = {
	{"at", SL_OPT_STR, "at",
	 "--at T               decide for this moment (RFC 3339); default "
	 "now",
	 NULL},
	{"target", SL_OPT_STR, "target",
	 "--target T           one of the environment's targets", NULL},
	{"override", SL_OPT_LIST, "override.checks",
	 "--override CHECK     what an emergency deployment would set "
	 "aside;\n"
	 "                       repeatable; needs --reason",
	 NULL},
	{"reason", SL_OPT_STR, "override.reason",
	 "--reason R           why the override", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt decide_opts[] = {
	{"comment", SL_OPT_STR, "comment",
	 "--comment C    why (required to reject)", NULL},
	{"group", SL_OPT_STR, "group",
	 "--group G      the approval group it counts for; needed when the\n"
	 "                 token belongs to several required groups",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt approvals_list_opts[] = {
	{"env", SL_OPT_STR, "environment",
	 "--env E        only decisions for this environment", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt policy_get_opts[] = {
	{"version", SL_OPT_INT, NULL,
	 "--version N    this version instead of the latest", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt policy_set_opts[] = {
	{"file", SL_OPT_STR, NULL,
	 "--file FILE    the policy document (JSON), or - for standard "
	 "input;\n"
	 "                 the output of 'policy get --json' is taken too",
	 NULL},
	{"force", SL_OPT_FLAG, NULL,
	 "--force        replace whatever version is current (no "
	 "If-Match)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt evidence_opts[] = {
	{"evidence", SL_OPT_STR, "evidence",
	 "--evidence URL   a link to the proof", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt change_opts[] = {
	{"class", SL_OPT_STR, "class", "--class C            {}",
	 sl_change_class_names},
	{"state", SL_OPT_STR, "state", "--state S            {}",
	 sl_change_state_names},
	{"system", SL_OPT_STR, "system",
	 "--system X           the ITSM it lives in", NULL},
	{"risk", SL_OPT_STR, "risk", "--risk R             {}",
	 sl_change_risk_names},
	{"window-start", SL_OPT_STR, "window_start",
	 "--window-start T     planned window start (RFC 3339)", NULL},
	{"window-end", SL_OPT_STR, "window_end",
	 "--window-end T       planned window end (RFC 3339)", NULL},
	{"url", SL_OPT_STR, "url", "--url U              its page in the ITSM",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt window_opts[] = {
	{"kind", SL_OPT_STR, "kind", "--kind K              {}",
	 sl_window_kind_names},
	{"timezone", SL_OPT_STR, "timezone",
	 "--timezone TZ         IANA time zone of the wall times", NULL},
	{"start", SL_OPT_STR, "start",
	 "--start LOCAL         local wall time YYYY-MM-DDTHH:MM:SS", NULL},
	{"end", SL_OPT_STR, "end",
	 "--end LOCAL           a fixed window's end, local wall time", NULL},
	{"rrule", SL_OPT_STR, "rrule",
	 "--rrule RULE          a recurring window: iCalendar RRULE,\n"
	 "                        e.g. FREQ=WEEKLY;BYDAY=FR",
	 NULL},
	{"duration", SL_OPT_INT, "duration_minutes",
	 "--duration MINUTES    a recurring window: each occurrence's "
	 "length",
	 NULL},
	{"env", SL_OPT_STR, "environment",
	 "--env E               only this environment (default every one)",
	 NULL},
	{"service-tag", SL_OPT_STR, "service_tag",
	 "--service-tag k=v     only services with this tag", NULL},
	{"reason", SL_OPT_STR, "reason", "--reason R            why", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt window_list_opts[] = {
	{"from", SL_OPT_STR, "from",
	 "--from T       with --to: list the occurrences in [T, --to)", NULL},
	{"to", SL_OPT_STR, "to",
	 "--to T         end of the range (RFC 3339; at most 400 days)", NULL},
	{"env", SL_OPT_STR, "environment",
	 "--env E        windows of this environment (and org-wide ones)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt grant_opts[] = {
	{"hours", SL_OPT_INT, "hours",
	 "--hours N      it expires by itself after N hours (1-168)", NULL},
	{"reason", SL_OPT_STR, "reason", "--reason R     why (audited)", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt review_list_opts[] = {
	{"open", SL_OPT_FLAG, "open", "--open         only reviews not closed",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt review_close_opts[] = {
	{"link", SL_OPT_STR, "link", "--link URL     the review's record",
	 NULL},
	{"comment", SL_OPT_STR, "comment", "--comment C    a note", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

/* The secret has no option of its own: a file keeps it out of shell
 * history and ps. */
static const struct sl_cli_opt receiver_put_opts[] = {
	{"source", SL_OPT_STR, "source",
	 "--source S                {}\n"
	 "                            the sender: how it signs, what it sends",
	 sl_hook_source_names},
	{"secret-file", SL_OPT_STR, NULL,
	 "--secret-file FILE        the shared secret (the HMAC key, or the "
	 "token\n"
	 "                            the sender presents) is the first line "
	 "of\n"
	 "                            FILE, or of standard input with -; "
	 "never an\n"
	 "                            option's value, so it stays out of "
	 "shell\n"
	 "                            history and ps; never shown back",
	 NULL},
	{"service", SL_OPT_TAG, "services",
	 "--service THEIRS=SERVICE  the sender's repository (e.g. Octo/App),\n"
	 "                            project, application or job THEIRS is\n"
	 "                            SERVICE; repeatable; an unnamed one "
	 "matches\n"
	 "                            the service whose repo URL ends in it",
	 NULL},
	{"env", SL_OPT_TAG, "environments",
	 "--env THEIRS=ENV          the sender's environment THEIRS is ENV;\n"
	 "                            repeatable; an unnamed one matches as it "
	 "is",
	 NULL},
	{"event", SL_OPT_LIST, "events",
	 "--event E                 take only this event of the sender;\n"
	 "                            repeatable; default every event shiplog\n"
	 "                            reads (others are kept as ignored)",
	 NULL},
	{"create-releases", SL_OPT_FLAG, "create_releases",
	 "--create-releases         a delivery naming a SemVer tag no release "
	 "has\n"
	 "                            creates that release (default: kept as\n"
	 "                            unmatched)",
	 NULL},
	{"file", SL_OPT_STR, NULL,
	 "--file FILE               the whole receiver as JSON (source, "
	 "secret,\n"
	 "                            services, environments, events,\n"
	 "                            create_releases), or - for standard "
	 "input;\n"
	 "                            what 'receiver get --json' printed is "
	 "taken\n"
	 "                            too, with --secret-file",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt no_opts[] = {{NULL, 0, NULL, NULL, NULL}};

static const struct sl_cli_opt verification_opts[] = {
	{"service", SL_OPT_STR, NULL,
	 "--service S    a service's own policy (default: the environment's)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt verification_put_opts[] = {
	{"file", SL_OPT_STR, NULL,
	 "--file FILE    the policy as JSON (\"-\": standard input); what\n"
	 "                 'verification get' printed is taken as it is",
	 NULL},
	{"service", SL_OPT_STR, NULL,
	 "--service S    a service's own policy (default: the environment's)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt import_opts[] = {
	{"source", SL_OPT_STR, NULL,
	 "--source NAME            what the records come from (a slug); "
	 "default the file's name",
	 NULL},
	{"format", SL_OPT_STR, NULL,
	 "--format jsonl|csv       default from the file's extension", NULL},
	{"batch", SL_OPT_INT, NULL,
	 "--batch N                records per request and transaction "
	 "(1-5000, default 1000)",
	 NULL},
	{"progress", SL_OPT_FLAG, NULL,
	 "--progress               records done / total on stderr (always "
	 "on a terminal)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt archive_create_opts[] = {
	{"before", SL_OPT_STR, NULL,
	 "--before T     archive what finished before T (RFC 3339), at least\n"
	 "               the server's retention period ago",
	 NULL},
	{"out", SL_OPT_STR, NULL,
	 "--out FILE     where the archive file is written", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt archive_read_opts[] = {
	{"kind", SL_OPT_STR, NULL,
	 "--kind K       only records of this kind (release, release_tag,\n"
	 "               approval, checklist_item, deployment, event,\n"
	 "               verification, hook_link, delivery, notification)",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_column service_cols[] = {
	{"NAME", "name", NULL}, {"OWNER", "owner", NULL},
	{"TIER", "tier", NULL}, {"REPO", "repo", NULL},
	{"TAGS", "tags", NULL}, {NULL, NULL, NULL},
};

static const struct sl_cli_column env_cols[] = {
	{"NAME", "name", NULL},
	{"RANK", "rank", NULL},
	{"PROTECTED", "protected", NULL},
	{"TARGETS", "targets", NULL},
	{"TIMEZONE", "timezone", NULL},
	{"MAX_CONCURRENT", "max_concurrent", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column release_cols[] = {
	{"ID", "id", NULL},
	{"SERVICE", "service", NULL},
	{"VERSION", "version", NULL},
	{"TYPE", "type", NULL},
	{"STATUS", "status", NULL},
	{"NAME", "name", NULL},
	{"CREATED", "created_at", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column deploy_cols[] = {
	{"ID", "id", NULL},
	{"SERVICE", "service", NULL},
	{"VERSION", "version", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"TARGET", "target", NULL},
	{"STRATEGY", "strategy", NULL},
	{"STATUS", "status", NULL},
	{"TRAFFIC", "traffic_percent", NULL},
	{"DEPLOYER", "deployer", NULL},
	{"CREATED", "created_at", NULL},
	{NULL, NULL, NULL},
};

/* Returns the LATEST cell of the status matrix, "version (status)".
 * Free with free(). */
static char *render_latest(json_t *item)
{
	json_t *latest = json_object_get(item, "latest");
	char *v = sl_cli_format(json_object_get(latest, "version"));
	char *s = sl_cli_format(json_object_get(latest, "status"));
	size_t n = strlen(v) + strlen(s) + 4;
	char *out = sl_xmalloc(n);

	if (!json_is_object(latest))
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%s (%s)", v, s);
	free(v);
	free(s);
	return out;
}

static const struct sl_cli_column status_cols[] = {
	{"SERVICE", "service", NULL},	  {"ENVIRONMENT", "environment", NULL},
	{"TARGET", "target", NULL},	  {"RUNNING", "running.version", NULL},
	{"SINCE", "running.since", NULL}, {"LATEST", NULL, render_latest},
	{"BY", "latest.deployer", NULL},  {NULL, NULL, NULL},
};

/* Returns the OBJECT cell of the audit list, "type/id". Free with free(). */
static char *render_object(json_t *item)
{
	char *t = sl_cli_format(json_object_get(item, "object_type"));
	char *id = sl_cli_format(json_object_get(item, "object_id"));
	size_t n = strlen(t) + strlen(id) + 2;
	char *out = sl_xmalloc(n);

	snprintf(out, n, "%s/%s", t, id);
	free(t);
	free(id);
	return out;
}

static const struct sl_cli_column audit_cols[] = {
	{"SEQ", "seq", NULL},
	{"AT", "at", NULL},
	{"ACTOR", "actor", NULL},
	{"ACTION", "action", NULL},
	{"OBJECT", NULL, render_object},
	{"REQUEST", "request_id", NULL},
	{NULL, NULL, NULL},
};

/* A token's scope as "environments=a,b groups=qa", or "-". */
static char *render_scope(json_t *item)
{
	json_t *scope = json_object_get(item, "scope"), *v;
	const char *key;
	char *out = sl_xstrdup("");
	size_t len = 0;

	json_object_foreach(scope, key, v)
	{
		char *s = sl_cli_format(v);
		size_t n = strlen(key) + strlen(s) + 3;

		out = sl_xrealloc(out, len + n);
		snprintf(out + len, n, "%s%s=%s", len ? " " : "", key, s);
		len = strlen(out);
		free(s);
	}
	if (!len) {
		free(out);
		out = sl_xstrdup("-");
	}
	return out;
}

static const struct sl_cli_column token_cols[] = {
	{"ID", "id", NULL},
	{"NAME", "name", NULL},
	{"ROLE", "role", NULL},
	{"SCOPE", NULL, render_scope},
	{"CREATED", "created_at", NULL},
	{"EXPIRES", "expires_at", NULL},
	{"LAST_USED", "last_used_at", NULL},
	{"REVOKED", "revoked_at", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column approval_cols[] = {
	{"ID", "id", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"DECISION", "decision", NULL},
	{"GROUP", "group", NULL},
	{"APPROVER", "approver", NULL},
	{"AT", "at", NULL},
	{"EXPIRES", "expires_at", NULL},
	{"WITHDRAWN", "withdrawn_at", NULL},
	{"COMMENT", "comment", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column pending_cols[] = {
	{"RELEASE", "release", NULL},
	{"ID", "release_id", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"GROUP", "group", NULL},
	{"HAVE", "have", NULL},
	{"REQUIRED", "required", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column policy_version_cols[] = {
	{"VERSION", "version", NULL},
	{"CREATED", "created_at", NULL},
	{"BY", "created_by", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_opt metrics_dora_opts[] = {
	{"from", SL_OPT_STR, "from",
	 "--from T        the period's start (RFC 3339; default 30 days "
	 "before --to)",
	 NULL},
	{"to", SL_OPT_STR, "to", "--to T          its end (default now)", NULL},
	{"bucket", SL_OPT_STR, "bucket",
	 "--bucket B      day, week (from Monday) or month (default week)",
	 NULL},
	{"tz", SL_OPT_STR, "tz",
	 "--tz Z          the buckets' IANA time zone (default UTC)", NULL},
	{"env", SL_OPT_STR, "environment",
	 "--env E         one production environment", NULL},
	{"service", SL_OPT_STR, "service", "--service S     one service", NULL},
	{"team", SL_OPT_STR, "team", "--team T        the services T owns",
	 NULL},
	{"tag", SL_OPT_STR, "tag", "--tag K=V       releases with this tag",
	 NULL},
	{"csv", SL_OPT_FLAG, NULL,
	 "--csv           CSV: a row a bucket, then overall", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt incident_opts[] = {
	{"severity", SL_OPT_STR, "severity", "--severity S       {}",
	 sl_incident_severity_names},
	{"env", SL_OPT_STR, "environment",
	 "--env E            where it happens (required on create)", NULL},
	{"service", SL_OPT_LIST, "services",
	 "--service S        a service it affects; repeatable (required on "
	 "create)",
	 NULL},
	{"summary", SL_OPT_STR, "summary",
	 "--summary TEXT     one line: what is wrong", NULL},
	{"started-at", SL_OPT_STR, "started_at",
	 "--started-at T     when it began (RFC 3339; default now)", NULL},
	{"resolved-at", SL_OPT_STR, "resolved_at",
	 "--resolved-at T    when it ended (RFC 3339)", NULL},
	{"url", SL_OPT_STR, "url", "--url U            where it is tracked",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt incident_update_opts[] = {
	{"severity", SL_OPT_STR, "severity", "--severity S       {}",
	 sl_incident_severity_names},
	{"summary", SL_OPT_STR, "summary",
	 "--summary TEXT     one line: what is wrong", NULL},
	{"url", SL_OPT_STR, "url", "--url U            where it is tracked",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt incident_list_opts[] = {
	{"status", SL_OPT_STR, "status", "--status S     {}",
	 sl_incident_status_names},
	{"env", SL_OPT_STR, "environment", "--env E        in this environment",
	 NULL},
	{"service", SL_OPT_STR, "service", "--service S    naming this service",
	 NULL},
	{"release", SL_OPT_STR, "release",
	 "--release ID   known issues of this release (its id)", NULL},
	{"since", SL_OPT_STR, "since", "--since T      started at or after T",
	 NULL},
	{"until", SL_OPT_STR, "until", "--until T      started before T", NULL},
	LIST_OPTS,
};

static const struct sl_cli_opt incident_resolve_opts[] = {
	{"at", SL_OPT_STR, NULL,
	 "--at T         when it ended (RFC 3339; default now)", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_opt incident_cause_opts[] = {
	{"comment", SL_OPT_STR, "comment", "--comment C    why it is the cause",
	 NULL},
	{NULL, 0, NULL, NULL, NULL},
};

static const struct sl_cli_column incident_cols[] = {
	{"KEY", "key", NULL},
	{"STATUS", "status", NULL},
	{"SEVERITY", "severity", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"SERVICE", "service", NULL},
	{"STARTED", "started_at", NULL},
	{"RESOLVED", "resolved_at", NULL},
	{"SUMMARY", "summary", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column change_cols[] = {
	{"KEY", "key", NULL},
	{"CLASS", "class", NULL},
	{"STATE", "state", NULL},
	{"RISK", "risk", NULL},
	{"SYSTEM", "system", NULL},
	{"WINDOW_START", "window_start", NULL},
	{"WINDOW_END", "window_end", NULL},
	{NULL, NULL, NULL},
};

/* A window's shape: "until END" or "RRULE, N min". */
static char *render_when(json_t *w)
{
	const char *end = json_string_value(json_object_get(w, "end"));
	const char *rrule = json_string_value(json_object_get(w, "rrule"));
	char buf[640];

	if (rrule)
		snprintf(buf, sizeof(buf), "%s, %lld min", rrule,
			 (long long)json_integer_value(
				 json_object_get(w, "duration_minutes")));
	else
		snprintf(buf, sizeof(buf), "until %s", end ? end : "?");
	return sl_xstrdup(buf);
}

static const struct sl_cli_column window_cols[] = {
	{"ID", "id", NULL},
	{"NAME", "name", NULL},
	{"KIND", "kind", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"SERVICE_TAG", "service_tag", NULL},
	{"TIMEZONE", "timezone", NULL},
	{"START", "start", NULL},
	{"RECURRENCE", NULL, render_when},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column grant_cols[] = {
	{"ID", "id", NULL},
	{"TOKEN", "token", NULL},
	{"ROLE", "role", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"EXPIRES", "expires_at", NULL},
	{"GRANTED_BY", "granted_by", NULL},
	{"REASON", "reason", NULL},
	{NULL, NULL, NULL},
};

/* The names of the checks an override set aside, comma-joined. */
static char *render_overridden(json_t *review)
{
	json_t *checks = json_object_get(review, "checks"), *c;
	char *out = sl_xstrdup("");
	size_t i, len = 0;

	json_array_foreach(checks, i, c)
	{
		const char *name =
			json_string_value(json_object_get(c, "check"));
		size_t n = strlen(name ? name : "?") + 2;

		out = sl_xrealloc(out, len + n);
		snprintf(out + len, n, "%s%s", len ? "," : "",
			 name ? name : "?");
		len = strlen(out);
	}
	if (!len) {
		free(out);
		out = sl_xstrdup("-");
	}
	return out;
}

static const struct sl_cli_column review_cols[] = {
	{"ID", "id", NULL},
	{"DEPLOYMENT", "deployment_id", NULL},
	{"RELEASE", "release", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"OVERRIDDEN", NULL, render_overridden},
	{"BY", "overridden_by", NULL},
	{"OPENED", "opened_at", NULL},
	{"CLOSED", "closed_at", NULL},
	{"LINK", "link", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column receiver_cols[] = {
	{"NAME", "name", NULL},
	{"SOURCE", "source", NULL},
	{"URL", "url", NULL},
	{"SERVICES", "services", NULL},
	{"ENVIRONMENTS", "environments", NULL},
	{NULL, NULL, NULL},
};

static const struct sl_cli_column delivery_cols[] = {
	{"ID", "id", NULL},
	{"AT", "at", NULL},
	{"EVENT", "event", NULL},
	{"OUTCOME", "outcome", NULL},
	{"DEPLOYMENT", "deployment", NULL},
	{"REASON", "reason", NULL},
	{NULL, NULL, NULL},
};

/* The command table. A row whose sub is NULL is its group's default
 * command ("shiplog deploy api@1.0.0 prod"). */
static const struct sl_cli_opt report_opts[] = {
	{"from", SL_OPT_STR, NULL,
	 "--from T       the period's start (RFC 3339; not for access)", NULL},
	{"to", SL_OPT_STR, NULL,
	 "--to T         the period's end, excluded (RFC 3339)", NULL},
	{"env", SL_OPT_STR, NULL,
	 "--env E        only this production environment", NULL},
	{"service", SL_OPT_STR, NULL, "--service S    only this service", NULL},
	{"format", SL_OPT_STR, NULL,
	 "--format F     json (default), csv or html (a printable page)", NULL},
	{"out", SL_OPT_STR, NULL,
	 "--out FILE     write it there (default standard output)", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

const struct sl_cli_cmd sl_cli_cmds[] = {
	{"service", "create", sl_cli_run_create, "/v1/services", 1, "name",
	 service_opts, NULL,
	 "service create NAME --owner O [--tier N] [--repo URL] [--tag k=v]... "
	 "[--naming-template T]",
	 "register a service"},
	{"service", "list", sl_cli_run_list, "/v1/services", 0, NULL,
	 service_list_opts, service_cols,
	 "service list [--tag k=v] [--limit N] [--all]", "list services"},
	{"service", "get", sl_cli_run_get, "/v1/services", 1, NULL, no_opts,
	 NULL, "service get NAME", "show one service"},
	{"service", "update", sl_cli_run_update, "/v1/services", 1, NULL,
	 service_opts, NULL,
	 "service update NAME [--owner O] [--tier N] [--repo URL] "
	 "[--tag k=v]... [--naming-template T]",
	 "change a service"},
	{"service", "delete", sl_cli_run_delete, "/v1/services", 1, NULL,
	 no_opts, NULL, "service delete NAME",
	 "delete a service that has no releases"},

	{"env", "create", sl_cli_run_create, "/v1/environments", 1, "name",
	 env_opts, NULL,
	 "env create NAME --rank N [--protected] [--target T]... "
	 "[--timezone TZ] [--max-concurrent N]",
	 "create an environment"},
	{"env", "list", sl_cli_run_list, "/v1/environments", 0, NULL,
	 plain_list_opts, env_cols, "env list [--limit N] [--all]",
	 "list environments by rank"},
	{"env", "get", sl_cli_run_get, "/v1/environments", 1, NULL, no_opts,
	 NULL, "env get NAME", "show one environment"},
	{"env", "update", sl_cli_run_update, "/v1/environments", 1, NULL,
	 env_opts, NULL,
	 "env update NAME [--rank N] [--protected|--no-protected] "
	 "[--target T]... [--timezone TZ] [--max-concurrent N]",
	 "change an environment"},
	{"env", "delete", sl_cli_run_delete, "/v1/environments", 1, NULL,
	 no_opts, NULL, "env delete NAME",
	 "delete an environment that has no deployments"},

	{"release", "create", sl_cli_run_release_create, "/v1/releases", 1,
	 NULL, release_opts, NULL,
	 "release create SERVICE@VERSION --type T [--status S] "
	 "[--commit SHA] [--git-tag TAG] [--build-url URL] [--builder B] "
	 "[--artifact NAME=URI@SHA256]... [--artifact-signature NAME=SIG]... "
	 "[--change-request KEY] [--rollback-target V] "
	 "[--rollback-criteria TEXT] [--rollback-procedure TEXT] "
	 "[--dependency SERVICE@RANGE]... [--notes TEXT] [--known-issues TEXT] "
	 "[--tag k=v]...",
	 "register a release"},
	{"release", "list", sl_cli_run_list, "/v1/releases", 0, NULL,
	 release_list_opts, release_cols,
	 "release list [--service S] [--env E] [--status S] [--type T] "
	 "[--tag k=v] [--since T] [--until T] [--limit N] [--all]",
	 "list releases, newest first"},
	{"release", "get", sl_cli_run_get, "/v1/releases", 1, NULL, no_opts,
	 NULL, "release get ID|SERVICE@VERSION", "show one release"},
	{"release", "status", sl_cli_run_release_status, "/v1/releases", 2,
	 NULL, no_opts, NULL, "release status ID|SERVICE@VERSION STATUS",
	 "plan, unplan or cancel a release (in_progress and released follow "
	 "its deployments)"},
	{"release", "update", sl_cli_run_update, "/v1/releases", 1, NULL,
	 release_opts, NULL,
	 "release update ID|SERVICE@VERSION [--notes TEXT] [--tag k=v]... "
	 "[other create options]",
	 "change a release"},

	{"deploy", NULL, sl_cli_run_deploy, "/v1/deployments", 2, NULL,
	 deploy_opts, NULL,
	 "deploy SERVICE@VERSION ENV [--target T] [--strategy S] "
	 "[--status S] [--deployer D] [--pipeline-url URL] "
	 "[--override CHECK]... [--reason R]",
	 "start (or queue) a deployment; starting runs the gates"},
	{"deploy", "list", sl_cli_run_list, "/v1/deployments", 0, NULL,
	 deploy_list_opts, deploy_cols,
	 "deploy list [--service S] [--env E] [--status S] [--release R] "
	 "[--type T] [--tag k=v] [--since T] [--until T] [--limit N] [--all]",
	 "list deployments, newest first"},
	{"deploy", "get", sl_cli_run_deploy_get, "/v1/deployments", 1, NULL,
	 no_opts, NULL, "deploy get ID",
	 "show one deployment and its timeline"},
	{"deploy", "event", sl_cli_run_deploy_event, "/v1/deployments", 1, NULL,
	 event_opts, NULL,
	 "deploy event ID [--status S] [--traffic N] [--message M] "
	 "[--at RFC3339] [--source S]",
	 "report progress of a deployment"},
	{"deploy", "rollback", sl_cli_run_deploy_rollback, "/v1/deployments", 1,
	 NULL, rollback_opts, NULL,
	 "deploy rollback ID [--reason R] [--override CHECK]... "
	 "[--override-reason R]",
	 "roll a deployment back to what ran before"},

	{"status", NULL, sl_cli_run_status, "/v1/status", 0, NULL, status_opts,
	 status_cols, "status [--service S] [--env E] [--tag k=v] [--limit N]",
	 "what runs where: the environment matrix"},

	{"audit", "list", sl_cli_run_list, "/v1/audit", 0, NULL, audit_opts,
	 audit_cols,
	 "audit list [--actor A] [--action A] [--object-type T] "
	 "[--object-id I] [--from T] [--to T] [--after N] [--limit N] [--all]",
	 "read the audit log"},
	{"audit", "key", sl_cli_run_audit_key, "/v1/audit/key", 0, NULL,
	 no_opts, NULL, "audit key",
	 "print the audit log's verifier key, to pin with --key"},
	{"audit", "verify", sl_cli_run_audit_verify, "/v1/log", 0, NULL,
	 audit_verify_opts, NULL,
	 "audit verify [--key VKEY|@FILE] "
	 "[--bundle FILE]",
	 "check every entry against the signed checkpoint, and that the log "
	 "only grew since the last verify"},
	{"audit", "prove", sl_cli_run_audit_prove, "/v1/audit", 1, NULL,
	 audit_prove_opts, NULL,
	 "audit prove SEQ [--size N] [--key VKEY|@FILE]",
	 "prove that one entry is in the signed tree"},
	{"audit", "export", sl_cli_run_audit_export, "/v1/log", 0, NULL,
	 audit_export_opts, NULL, "audit export --out FILE",
	 "write the log, its tiles and checkpoint to a file for 'audit verify "
	 "--bundle'"},

	{"token", "create", sl_cli_run_token_create, "/v1/tokens", 0, NULL,
	 token_opts, NULL,
	 "token create --name N --role R [--env E]... [--service S]... "
	 "[--team T]... [--group G]... [--expires RFC3339]",
	 "create an API token (shown once)"},
	{"token", "list", sl_cli_run_list, "/v1/tokens", 0, NULL,
	 plain_list_opts, token_cols, "token list [--all]",
	 "list tokens: expiry, last use (to the minute), revocation"},
	{"token", "get", sl_cli_run_get, "/v1/tokens", 1, NULL, no_opts, NULL,
	 "token get ID", "show one token (never its secret)"},
	{"token", "revoke", sl_cli_run_delete, "/v1/tokens", 1, NULL, no_opts,
	 NULL, "token revoke ID", "revoke a token"},

	{"gate", "check", sl_cli_run_gate_check, "/v1/gates/check", 2, NULL,
	 gate_opts, NULL,
	 "gate check SERVICE@VERSION ENV [--at RFC3339] [--target T] "
	 "[--override CHECK]... [--reason R]",
	 "may it go there now? every check; exit 0 allowed, 1 not"},

	{"approve", NULL, sl_cli_run_decide, "/v1/releases", 2, NULL,
	 decide_opts, NULL,
	 "approve SERVICE@VERSION ENV [--comment C] [--group G]",
	 "approve a release for an environment"},
	{"reject", NULL, sl_cli_run_decide, "/v1/releases", 2, NULL,
	 decide_opts, NULL,
	 "reject SERVICE@VERSION ENV --comment C [--group G]",
	 "reject a release for an environment (blocks until withdrawn)"},
	{"approvals", "list", sl_cli_run_approvals_list, "/v1/releases", 1,
	 NULL, approvals_list_opts, approval_cols,
	 "approvals list SERVICE@VERSION [--env E]",
	 "a release's approvals and rejections"},
	{"approvals", "pending", sl_cli_run_list, "/v1/approvals/pending", 0,
	 NULL, no_opts, pending_cols, "approvals pending",
	 "what waits for my approval"},
	{"approvals", "withdraw", sl_cli_run_approval_withdraw, "/v1/approvals",
	 1, NULL, no_opts, NULL, "approvals withdraw ID",
	 "withdraw a decision"},

	{"policy", "get", sl_cli_run_policy_get, "/v1/environments", 1, NULL,
	 policy_get_opts, NULL, "policy get ENV [--version N]",
	 "show an environment's policy"},
	{"policy", "set", sl_cli_run_policy_set, "/v1/environments", 1, NULL,
	 policy_set_opts, NULL, "policy set ENV --file FILE|- [--force]",
	 "replace an environment's policy (a new version)"},
	{"policy", "versions", sl_cli_run_policy_versions, "/v1/environments",
	 1, NULL, no_opts, policy_version_cols, "policy versions ENV",
	 "every version of an environment's policy"},

	{"checklist", "show", sl_cli_run_checklist_show, "/v1/releases", 2,
	 NULL, no_opts, NULL, "checklist show SERVICE@VERSION ENV",
	 "a release's checklist for an environment"},
	{"checklist", "done", sl_cli_run_checklist_done, "/v1/releases", 3,
	 NULL, evidence_opts, NULL,
	 "checklist done SERVICE@VERSION ENV ITEM [--evidence URL]",
	 "complete a checklist item"},

	{"change", "create", sl_cli_run_change_create, "/v1/change-requests", 1,
	 "key", change_opts, NULL,
	 "change create KEY --class C --state S [--system X] [--risk R] "
	 "[--window-start T --window-end T] [--url U]",
	 "record a change request"},
	{"change", "list", sl_cli_run_list, "/v1/change-requests", 0, NULL,
	 no_opts, change_cols, "change list", "list change requests"},
	{"change", "get", sl_cli_run_get, "/v1/change-requests", 1, NULL,
	 no_opts, NULL, "change get KEY", "show one change request"},
	{"change", "update", sl_cli_run_update, "/v1/change-requests", 1, NULL,
	 change_opts, NULL,
	 "change update KEY [--state S] [--class C] [--risk R] [--system X] "
	 "[--window-start T] [--window-end T] [--url U]",
	 "change a change request"},

	{"window", "create", sl_cli_run_window_create, "/v1/windows", 1, "name",
	 window_opts, NULL,
	 "window create NAME --kind K --timezone TZ "
	 "--start LOCAL [--end LOCAL | --rrule RULE --duration MINUTES] "
	 "[--env E] [--service-tag k=v] [--reason R]",
	 "create a freeze, blackout or maintenance window"},
	{"window", "list", sl_cli_run_window_list, "/v1/windows", 0, NULL,
	 window_list_opts, window_cols,
	 "window list [--from T --to T] [--env E]",
	 "list windows, or with --from and --to their occurrences"},
	{"window", "delete", sl_cli_run_delete, "/v1/windows", 1, NULL, no_opts,
	 NULL, "window delete ID", "delete a window"},

	{"grant", "create", sl_cli_run_grant_create, "/v1/grants", 3, NULL,
	 grant_opts, NULL,
	 "grant create TOKEN-NAME ROLE ENV --hours N --reason R",
	 "grant a role on an environment for some hours"},
	{"grant", "list", sl_cli_run_list, "/v1/grants", 0, NULL, no_opts,
	 grant_cols, "grant list", "list grants"},

	{"review", "list", sl_cli_run_list, "/v1/reviews", 0, NULL,
	 review_list_opts, review_cols, "review list [--open]",
	 "post-incident reviews owed by overrides"},
	{"review", "close", sl_cli_run_review_close, "/v1/reviews", 1, NULL,
	 review_close_opts, NULL, "review close ID --link URL [--comment C]",
	 "close a review with a link to its record"},

	{"receiver", "put", sl_cli_run_receiver_put, "/v1/receivers", 1, NULL,
	 receiver_put_opts, NULL,
	 "receiver put NAME (--source S --secret-file FILE|- "
	 "[--service THEIRS=SERVICE]... [--env THEIRS=ENV]... [--event E]... "
	 "[--create-releases] | --file FILE|- [--secret-file FILE|-])",
	 "create or replace an inbound webhook receiver"},
	{"receiver", "list", sl_cli_run_receiver_list, "/v1/receivers", 0, NULL,
	 no_opts, receiver_cols, "receiver list",
	 "list receivers and the URL each sender delivers to"},
	{"receiver", "get", sl_cli_run_get, "/v1/receivers", 1, NULL, no_opts,
	 NULL, "receiver get NAME", "show one receiver (never its secret)"},
	{"receiver", "delete", sl_cli_run_delete, "/v1/receivers", 1, NULL,
	 no_opts, NULL, "receiver delete NAME",
	 "delete a receiver (its deliveries are kept)"},
	{"receiver", "deliveries", sl_cli_run_receiver_deliveries,
	 "/v1/receivers", 1, NULL, plain_list_opts, delivery_cols,
	 "receiver deliveries NAME [--limit N] [--all]",
	 "a receiver's deliveries, newest first, with what came of each"},
	{"receiver", "replay", sl_cli_run_receiver_replay, "/v1/receivers", 2,
	 NULL, no_opts, NULL, "receiver replay NAME ID",
	 "take a kept delivery again, by the receiver's rules as they are "
	 "now"},
	{"subscription", "put", sl_cli_run_subscription_put,
	 "/v1/subscriptions", 1, NULL, sl_cli_subscription_put_opts, NULL,
	 "subscription put NAME --event E... --channel C --endpoint URL "
	 "[--secret-file FILE|-] [--from A --to A...] [--env E]... "
	 "[--service S]... [--team T]...",
	 "create or replace a subscription: who is told of what, and how"},
	{"subscription", "list", sl_cli_run_subscription_list,
	 "/v1/subscriptions", 0, NULL, no_opts, sl_cli_subscription_cols,
	 "subscription list", "list subscriptions"},
	{"subscription", "get", sl_cli_run_get, "/v1/subscriptions", 1, NULL,
	 no_opts, NULL, "subscription get NAME",
	 "show one subscription (never its secret)"},
	{"subscription", "delete", sl_cli_run_delete, "/v1/subscriptions", 1,
	 NULL, no_opts, NULL, "subscription delete NAME",
	 "delete a subscription (its notifications are kept)"},
	{"notification", "list", sl_cli_run_list, "/v1/notifications", 0, NULL,
	 sl_cli_notification_list_opts, sl_cli_notification_cols,
	 "notification list [--status pending|sent|dead] [--subscription N] "
	 "[--limit N] [--all]",
	 "the outbox, newest first, with attempts and the last error"},
	{"notification", "replay", sl_cli_run_notification_replay,
	 "/v1/notifications", 1, NULL, no_opts, NULL, "notification replay ID",
	 "send a dead (or sent) notification again, with the same key"},

	{"incident", "create", sl_cli_run_create, "/v1/incidents", 1, "key",
	 incident_opts, NULL,
	 "incident create KEY --severity S --env E --service S --summary TEXT "
	 "[--service S ...] [--started-at T] [--resolved-at T] [--url U]",
	 "record an incident"},
	{"incident", "list", sl_cli_run_list, "/v1/incidents", 0, NULL,
	 incident_list_opts, incident_cols,
	 "incident list [--status S] [--env E] [--service S] [--release ID] "
	 "[--since T] [--until T] [--limit N] [--all]",
	 "list incidents, newest first"},
	{"incident", "show", sl_cli_run_incident_show, "/v1/incidents", 1, NULL,
	 no_opts, NULL, "incident show KEY",
	 "show an incident, its causes and its suspected deployments"},
	{"incident", "update", sl_cli_run_update, "/v1/incidents", 1, NULL,
	 incident_update_opts, NULL,
	 "incident update KEY [--severity S] [--summary TEXT] [--url U]",
	 "change an incident"},
	{"incident", "resolve", sl_cli_run_incident_resolve, "/v1/incidents", 1,
	 NULL, incident_resolve_opts, NULL, "incident resolve KEY [--at T]",
	 "resolve an incident (its resolution time is recorded)"},
	{"incident", "cause", sl_cli_run_incident_cause, "/v1/incidents", 2,
	 NULL, incident_cause_opts, NULL,
	 "incident cause KEY DEPLOYMENT [--comment C]",
	 "confirm a deployment as the cause: it becomes a change failure "
	 "(release_manager, admin)"},
	{"incident", "withdraw", sl_cli_run_incident_withdraw, "/v1/incidents",
	 2, NULL, no_opts, NULL, "incident withdraw KEY DEPLOYMENT",
	 "withdraw a confirmed cause (release_manager, admin)"},
	{"verification", "put", sl_cli_run_verification_put, "/v1/environments",
	 1, NULL, verification_put_opts, NULL,
	 "verification put ENV --file FILE|- [--service S]",
	 "set how deployments to ENV are verified after they succeed"},
	{"verification", "get", sl_cli_run_verification_get, "/v1/environments",
	 1, NULL, verification_opts, NULL, "verification get ENV [--service S]",
	 "show ENV's (or a service's) verification policy as JSON"},
	{"verification", "delete", sl_cli_run_verification_delete,
	 "/v1/environments", 1, NULL, verification_opts, NULL,
	 "verification delete ENV [--service S]",
	 "stop verifying deployments to ENV (or a service's there)"},
	{"deploy", "verification", sl_cli_run_deploy_verification,
	 "/v1/deployments", 1, NULL, no_opts, NULL, "deploy verification ID",
	 "a deployment's verification: each criterion's last value against "
	 "its threshold, the outcome, the recommendation"},
	{"metrics", "dora", sl_cli_run_metrics_dora, "/v1/metrics/dora", 0,
	 NULL, metrics_dora_opts, NULL,
	 "metrics dora [--from T] [--to T] [--bucket B] [--tz Z] [--env E] "
	 "[--service S] [--team T] [--tag K=V] [--csv]",
	 "delivery metrics (DORA) per bucket and for the period, with levels "
	 "and the trend"},
	{"import", NULL, sl_cli_run_import, "/v1/import", 1, NULL, import_opts,
	 NULL,
	 "import FILE [--source NAME] [--format jsonl|csv] [--batch N] "
	 "[--progress]",
	 "bring history in from JSON Lines or CSV (admin; docs/import/)"},
	{"report", "change", sl_cli_run_report, "/v1/reports", 0, NULL,
	 report_opts, NULL,
	 "report change --from T --to T [--env E] [--service S] "
	 "[--format json|csv|html] [--out FILE]",
	 "every production change of a period with its evidence and audit "
	 "seqs"},
	{"report", "exceptions", sl_cli_run_report, "/v1/reports", 0, NULL,
	 report_opts, NULL,
	 "report exceptions --from T --to T [--env E] [--service S] "
	 "[--format json|csv|html] [--out FILE]",
	 "changes without an approved CR, open override reviews, late "
	 "approvals, segregation breaches, starts in a freeze"},
	{"report", "controls", sl_cli_run_report, "/v1/reports", 0, NULL,
	 report_opts, NULL,
	 "report controls --from T --to T [--env E] [--service S] "
	 "[--format json|csv|html] [--out FILE]",
	 "per control (SOX, ISO 27001, SOC 2, PCI DSS) the evidence found "
	 "and the gaps"},
	{"report", "access", sl_cli_run_report, "/v1/reports", 0, NULL,
	 report_opts, NULL,
	 "report access [--format json|csv|html] [--out FILE]",
	 "who holds which role and scope; expired, revoked, unused 90 days"},
	{"archive", "create", sl_cli_run_archive_create, "/v1/archive", 0, NULL,
	 archive_create_opts, NULL, "archive create --before T --out FILE",
	 "archive what finished before T into FILE (admin)"},
	{"archive", "read", sl_cli_run_archive_read, NULL, 1, NULL,
	 archive_read_opts, NULL, "archive read FILE [--kind K]",
	 "check an archive file offline and print its records"},
	{"archive", "restore", sl_cli_run_archive_restore,
	 "/v1/archive/restore", 1, NULL, no_opts, NULL, "archive restore FILE",
	 "put an archive file's records back (admin; idempotent)"},
	{NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL},
};

static const char exit_help[] =
	"exit codes:\n"
	"  0  done (gate check: allowed; receiver replay: applied or "
	"ignored)\n"
	"  1  the server refused the request (4xx: invalid, unauthorized,\n"
	"     forbidden, not found, conflict, stale revision, refused by\n"
	"     the gates, ...), a gate check found the release not "
	"allowed,\n"
	"     a replayed delivery was unmatched or failed, or an audit\n"
	"     verification or proof FAILED\n"
	"  2  usage error (unknown command or option, missing argument,\n"
	"     bad number); nothing was sent\n"
	"  3  server or network error (5xx, connection refused, timeout,\n"
	"     unreadable answer)\n";

/* What the global options said, wherever they appeared. */
/* The command named in the hint of a usage error, e.g. "release create". */
static char hint_cmd[64] = "";

struct globals {
	const char *url;
	const char *token;
	const char *idem_key;
	int json;
	int help;
	int version;
};

int sl_cli_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("shiplog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nshiplog: see 'shiplog %s%s--help'\n", hint_cmd,
		hint_cmd[0] ? " " : "");
	return SL_CLI_USAGE;
}

static void print_global_help(void)
{
	puts("\nglobal options (before or after the command):");
	for (const struct sl_cli_opt *o = global_opts; o->name; o++)
		printf("  %s\n", o->help);
}

static void print_top_help(void)
{
	puts("usage: shiplog [global options] COMMAND [arguments] [options]\n"
	     "\nA client of the shiplogd HTTP API: services, environments, "
	     "releases,\ndeployments, the status matrix, audit and tokens; "
	     "and governance:\ngate checks, approvals, policies, "
	     "checklists, change requests, windows,\ngrants and "
	     "post-incident reviews; inbound webhook receivers; "
	     "incidents.\n"
	     "\ncommands:");
	for (const struct sl_cli_cmd *c = sl_cli_cmds; c->group; c++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", c->group,
			 c->sub ? " " : "", c->sub ? c->sub : "");
		printf("  %-19s %s\n", name, c->summary);
	}
	print_global_help();
	puts("\nenvironment:\n"
	     "  SHIPLOG_URL    server URL\n"
	     "  SHIPLOG_TOKEN  bearer token\n");
	fputs(exit_help, stdout);
	puts("\n'shiplog COMMAND --help' shows a command's options.");
}

/* Prints one option's help, indented by two. An option whose value is a
 * word of a core vocabulary has its words put in place of "{}" (or after
 * the help, when it has none), joined by "|" and wrapped at 79 columns
 * under the first word, so the help lists what the server accepts. */
static void print_opt_help(const struct sl_cli_opt *o)
{
	const char *mark = o->words ? strstr(o->help, "{}") : NULL;
	const char *line, *tail;
	size_t start, col;

	if (!o->words) {
		printf("  %s\n", o->help);
		return;
	}
	if (mark) {
		printf("  %.*s", (int)(mark - o->help), o->help);
		tail = mark + 2;
	} else {
		printf("  %s ", o->help);
		mark = tail = o->help + strlen(o->help);
	}
	for (line = mark; line > o->help && line[-1] != '\n'; line--)
		;
	start = col = (line == o->help ? 2 : 0) + (size_t)(mark - line) +
		      (tail == mark); /* the space before appended words */
	for (size_t i = 0; o->words[i]; i++) {
		size_t len = strlen(o->words[i]) + 1;

		if (!o->words[i + 1])
			len += strcspn(tail, "\n");
		if (i && col + len > 79) {
			printf("\n%*s", (int)start, "");
			col = start;
		}
		printf("%s%s", o->words[i], o->words[i + 1] ? "|" : "");
		col += len;
	}
	printf("%s\n", tail);
}

/* The group's commands; then the options of its default command (as in
 * "shiplog deploy SERVICE@VERSION ENV"), which has no name of its own to
 * ask for help with. */
static void print_group_help(const char *group)
{
	const struct sl_cli_cmd *dflt = NULL;

	printf("usage: shiplog %s ...\n\ncommands:\n", group);
	for (const struct sl_cli_cmd *c = sl_cli_cmds; c->group; c++)
		if (!strcmp(c->group, group)) {
			printf("  shiplog %s\n      %s\n", c->synopsis,
			       c->summary);
			if (!c->sub)
				dflt = c;
		}
	if (dflt && dflt->opts[0].name) {
		printf("\noptions of 'shiplog %s' itself:\n", group);
		for (const struct sl_cli_opt *o = dflt->opts; o->name; o++)
			print_opt_help(o);
	}
	print_global_help();
	printf("\n'shiplog %s COMMAND --help' shows a command's options.\n",
	       group);
}

static void print_cmd_help(const struct sl_cli_cmd *cmd)
{
	printf("usage: shiplog %s\n\n%s.\n", cmd->synopsis, cmd->summary);
	if (cmd->opts[0].name) {
		puts("\noptions:");
		for (const struct sl_cli_opt *o = cmd->opts; o->name; o++)
			print_opt_help(o);
	}
	print_global_help();
	putchar('\n');
	fputs(exit_help, stdout);
}

/* Returns the option named name (of length len) in opts, or NULL. */
static const struct sl_cli_opt *find_opt(const struct sl_cli_opt *opts,
					 const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len &&
		    !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

/* Returns 0 when s is a whole decimal integer that fits a long. */
static int check_int(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	(void)v;
	return (!*s || *end || errno) ? -1 : 0;
}

/* Reads the option at argv[*i] (which starts with "-") against the
 * global options and cmd_opts (may be NULL). Records it in g or, for a
 * command option, in args (when not NULL); advances *i past its value.
 * Returns 0, or SL_CLI_USAGE after printing why. */
static int parse_opt(int argc, char **argv, int *i,
		     const struct sl_cli_opt *cmd_opts, struct globals *g,
		     struct sl_cli_args *args)
{
	const char *arg = argv[*i], *name, *eq, *value = NULL;
	const struct sl_cli_opt *o;
	size_t len;
	int global = 0;

	if (!strcmp(arg, "-h")) {
		g->help = 1;
		return 0;
	}
	if (strncmp(arg, "--", 2) || !arg[2])
		return sl_cli_usage("unknown option '%s'", arg);
	name = arg + 2;
	eq = strchr(name, '=');
	len = eq ? (size_t)(eq - name) : strlen(name);
	o = find_opt(cmd_opts, name, len);
	if (!o) {
		o = find_opt(global_opts, name, len);
		global = 1;
	}
	if (!o)
		return sl_cli_usage("unknown option '--%.*s'", (int)len, name);

	if (o->type == SL_OPT_FLAG || o->type == SL_OPT_FALSE) {
		if (eq)
			return sl_cli_usage("option '--%s' takes no value",
					    o->name);
	} else if (eq) {
		value = eq + 1;
	} else if (*i + 1 < argc) {
		value = argv[++*i];
	} else {
		return sl_cli_usage("option '--%s' needs a value", o->name);
	}
	if (o->type == SL_OPT_INT && check_int(value))
		return sl_cli_usage("option '--%s' needs a whole number, not "
				    "'%s'",
				    o->name, value);
	if (o->type == SL_OPT_TAG && (!strchr(value, '=') || value[0] == '='))
		return sl_cli_usage("option '--%s' needs key=value, not '%s'",
				    o->name, value);

	if (global) {
		if (!strcmp(o->name, "url"))
			g->url = value;
		else if (!strcmp(o->name, "token"))
			g->token = value;
		else if (!strcmp(o->name, "json"))
			g->json = 1;
		else if (!strcmp(o->name, "idempotency-key"))
			g->idem_key = value;
		else if (!strcmp(o->name, "help"))
			g->help = 1;
		else if (!strcmp(o->name, "version"))
			g->version = 1;
		return 0;
	}
	if (args) {
		args->opts[args->nopts].opt = o;
		args->opts[args->nopts].value = value;
		args->nopts++;
	}
	return 0;
}

/* Returns the first row of group, or NULL when there is none. */
static const struct sl_cli_cmd *find_group(const char *group)
{
	for (const struct sl_cli_cmd *c = sl_cli_cmds; c->group; c++)
		if (!strcmp(c->group, group))
			return c;
	return NULL;
}

/* Returns the row group/sub (sub NULL for the default), or NULL. */
static const struct sl_cli_cmd *find_cmd(const char *group, const char *sub)
{
	for (const struct sl_cli_cmd *c = sl_cli_cmds; c->group; c++)
		if (!strcmp(c->group, group) &&
		    (sub ? c->sub && !strcmp(c->sub, sub) : !c->sub))
			return c;
	return NULL;
}

/* Returns 1 when group has more than one row. */
static int group_has_subs(const char *group)
{
	int n = 0;

	for (const struct sl_cli_cmd *c = sl_cli_cmds; c->group; c++)
		n += !strcmp(c->group, group);
	return n > 1;
}

/* Returns 1 when arg is a global option ("--json", "--url=U", "-h"). */
static int is_global(const char *arg)
{
	if (!strcmp(arg, "-h"))
		return 1;
	if (strncmp(arg, "--", 2))
		return 0;
	arg += 2;
	return find_opt(global_opts, arg, strcspn(arg, "=")) != NULL;
}

/* Reads the global options from argv[*i] on, up to the first word or
 * command option; returns 0 or SL_CLI_USAGE. */
static int skip_globals(int argc, char **argv, int *i, struct globals *g)
{
	for (; *i < argc && is_global(argv[*i]); (*i)++)
		if (parse_opt(argc, argv, i, NULL, g, NULL))
			return SL_CLI_USAGE;
	return 0;
}

/* Finds the command, parses its arguments and runs it. Returns the exit
 * code. */
static int run(int argc, char **argv)
{
	struct globals g = {0};
	struct sl_cli cli = {0};
	struct sl_cli_args args = {0};
	const struct sl_cli_cmd *cmd;
	const char *group;
	char *url = NULL;
	int i = 1, explicit_sub = 0, only_pos = 0, result;

	if (skip_globals(argc, argv, &i, &g))
		return SL_CLI_USAGE;
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i < argc && argv[i][0] == '-' && argv[i][1])
		return sl_cli_usage("unknown option '%s'", argv[i]);
	if (i >= argc) {
		if (g.version) {
			puts("shiplog " SHIPLOG_VERSION);
			return SL_CLI_OK;
		}
		if (g.help) {
			print_top_help();
			return SL_CLI_OK;
		}
		return sl_cli_usage("missing command");
	}
	group = argv[i++];
	if (!find_group(group))
		return sl_cli_usage("unknown command '%s'", group);
	snprintf(hint_cmd, sizeof(hint_cmd), "%s", group);

	if (skip_globals(argc, argv, &i, &g))
		return SL_CLI_USAGE;
	cmd = NULL;
	if (i < argc)
		cmd = find_cmd(group, argv[i]);
	if (cmd) {
		explicit_sub = 1;
		i++;
		snprintf(hint_cmd, sizeof(hint_cmd), "%s %s", group, cmd->sub);
	} else {
		cmd = find_cmd(group, NULL);
	}
	if (!cmd) {
		if (g.help) {
			print_group_help(group);
			return SL_CLI_OK;
		}
		if (i < argc)
			return sl_cli_usage("unknown command '%s %s'", group,
					    argv[i]);
		return sl_cli_usage("'%s' needs a subcommand", group);
	}

	args.pos = sl_xcalloc((size_t)argc, sizeof(*args.pos));
	args.opts = sl_xcalloc((size_t)argc, sizeof(*args.opts));
	for (; i < argc; i++) {
		const char *a = argv[i];

		if (!only_pos && !strcmp(a, "--")) {
			only_pos = 1;
		} else if (!only_pos && a[0] == '-' && a[1]) {
			if (parse_opt(argc, argv, &i, cmd->opts, &g, &args)) {
				result = SL_CLI_USAGE;
				goto out;
			}
		} else {
			args.pos[args.npos++] = a;
		}
	}

	if (g.help) {
		if (explicit_sub || !group_has_subs(group))
			print_cmd_help(cmd);
		else
			print_group_help(group);
		result = SL_CLI_OK;
		goto out;
	}
	if (g.version) {
		puts("shiplog " SHIPLOG_VERSION);
		result = SL_CLI_OK;
		goto out;
	}
	if (args.npos < cmd->nargs) {
		result = sl_cli_usage("missing argument: shiplog %s",
				      cmd->synopsis);
		goto out;
	}
	if (args.npos > cmd->nargs) {
		result = sl_cli_usage("unexpected argument '%s'",
				      args.pos[cmd->nargs]);
		goto out;
	}

	if (!g.url)
		g.url = getenv("SHIPLOG_URL");
	if (!g.url || !*g.url)
		g.url = DEFAULT_URL;
	url = sl_xstrdup(g.url);
	for (size_t n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
		url[n - 1] = '\0';
	if (!g.token)
		g.token = getenv("SHIPLOG_TOKEN");
	cli.url = url;
	cli.token = g.token && *g.token ? g.token : NULL;
	cli.json = g.json;
	if (!g.idem_key)
		g.idem_key = getenv("SHIPLOG_IDEMPOTENCY_KEY");
	cli.idem_key = g.idem_key && *g.idem_key ? g.idem_key : NULL;
	result = cmd->run(&cli, cmd, &args);
out:
	free(url);
	free(args.pos);
	free(args.opts);
	return result;
}

int main(int argc, char **argv)
{
	int result;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "shiplog: cannot start libcurl\n");
		return SL_CLI_FAILED;
	}
	result = run(argc, argv);
	sl_cli_http_fini();
	curl_global_cleanup();
	if (fflush(stdout) == EOF) {
		fprintf(stderr, "shiplog: cannot write the output\n");
		if (result == SL_CLI_OK)
			result = SL_CLI_FAILED;
	}
	return result;
}
