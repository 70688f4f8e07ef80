/* governance.c - the commands that decide, and prove, whether a release
 * may go to an environment: the gate check (the CI step), approvals,
 * policies, checklists, change requests, windows, grants and
 * post-incident reviews.
 *
 * Options the synopsis names outside brackets are checked here before
 * anything is sent (exit 2), so "reject" without --comment or "window
 * create" without --timezone never reaches the server. */
#include "cli/cli.h"
#include "core/error.h"
#include "core/vocab.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Policy documents larger than this are refused locally. */
#define OBJECT_CAP (1u << 20)

static const struct sl_cli_column occurrence_cols[] = {
	{"WINDOW", "window_id", NULL},
	{"NAME", "name", NULL},
	{"KIND", "kind", NULL},
	{"ENVIRONMENT", "environment", NULL},
	{"START", "start", NULL},
	{"END", "end", NULL},
	{NULL, NULL, NULL},
};

/* "yes" when the checklist item is done, else "no". */
static char *render_done(json_t *item)
{
	return sl_xstrdup(json_is_object(json_object_get(item, "done")) ? "yes"
									: "no");
}

static const struct sl_cli_column checklist_cols[] = {
	{"ITEM", "item", NULL},
	{"DONE", NULL, render_done},
	{"BY", "done.by", NULL},
	{"AT", "done.at", NULL},
	{"EVIDENCE", "done.evidence", NULL},
	{NULL, NULL, NULL},
};

/* --override and --reason come together (the server requires a reason;
 * a reason without checks sets nothing aside). */
static int check_override_opts(const struct sl_cli_args *args)
{
	if (sl_cli_has_opt(args, "override") != sl_cli_has_opt(args, "reason"))
		return sl_cli_usage("--override CHECK and --reason R go "
				    "together");
	return SL_CLI_OK;
}

int sl_cli_run_gate_check(const struct sl_cli *cli,
			  const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	json_t *body, *checks;
	int result = check_override_opts(args), allowed;

	if (result != SL_CLI_OK)
		return result;
	body = sl_cli_release_body(args->pos[0], args->pos[1]);
	if (!body)
		return sl_cli_usage("bad release or environment");
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK)
		result = sl_cli_request(cli, "POST", cmd->path, body, NULL,
					&res);
	json_decref(body);
	if (result != SL_CLI_OK)
		return result;
	checks = json_object_get(res.json, "checks");
	if (!json_is_boolean(json_object_get(res.json, "allowed")) ||
	    !json_is_array(checks)) {
		fprintf(stderr, "shiplog: unreadable answer: no verdict\n");
		json_decref(res.json);
		return SL_CLI_FAILED;
	}
	allowed = json_is_true(json_object_get(res.json, "allowed"));
	if (cli->json) {
		sl_cli_print_json(res.json);
	} else {
		const char *until = json_string_value(
			json_object_get(res.json, "valid_until"));

		sl_cli_print_checks(stdout, checks);
		if (until)
			printf("the verdict stands until %s unless something "
			       "is recorded before\n",
			       until);
		puts(allowed ? "allowed" : "not allowed");
	}
	json_decref(res.json);
	return allowed ? SL_CLI_OK : SL_CLI_REFUSED;
}

/* approve and reject: the decision is the command's name. */
int sl_cli_run_decide(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	json_t *body, *env;
	char *path;
	enum sl_decision decision;
	int named, result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	env = json_string(args->pos[1]);
	if (!env)
		return sl_cli_usage("bad environment '%s'", args->pos[1]);
	body = json_object();
	json_object_set_new(body, "environment", env);
	named = sl_decision_parse(cmd->group, &decision) == 0;
	SL_ASSERT(named); /* approve and reject are named after it */
	json_object_set_new(body, "decision",
			    json_string(sl_decision_name(decision)));
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK) {
		path = sl_cli_object_path(cmd, args->pos[0], "/approvals");
		result = sl_cli_call_and_print(cli, "POST", path, body);
		free(path);
	}
	json_decref(body);
	return result;
}

int sl_cli_run_approvals_list(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	char *path = sl_cli_object_path(cmd, args->pos[0], "/approvals");
	int result = sl_cli_list_at(cli, args, path, cmd->columns);

	free(path);
	return result;
}

int sl_cli_run_approval_withdraw(const struct sl_cli *cli,
				 const struct sl_cli_cmd *cmd,
				 const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	int result = sl_cli_request(cli, "DELETE", path, NULL, NULL, &res);

	if (result == SL_CLI_OK) {
		if (cli->json)
			sl_cli_print_json(res.json);
		else
			printf("approval %s withdrawn\n", args->pos[0]);
	}
	json_decref(res.json);
	free(path);
	return result;
}

/* Returns "/v1/environments/<env>/policy" followed by suffix (may be
 * NULL). Free with free(). */
static char *policy_path(const struct sl_cli_cmd *cmd, const char *env,
			 const char *suffix)
{
	size_t n;
	char *base = sl_cli_object_path(cmd, env, "/policy"), *out;

	if (!suffix)
		return base;
	n = strlen(base) + strlen(suffix) + 1;
	out = sl_xmalloc(n);
	snprintf(out, n, "%s%s", base, suffix);
	free(base);
	return out;
}

int sl_cli_run_policy_get(const struct sl_cli *cli,
			  const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args)
{
	static const char *const skip[] = {"policy", NULL};
	const char *version = sl_cli_opt_value(args, "version");
	struct sl_cli_response res;
	char *path, suffix[40] = "";
	int result;

	if (version)
		snprintf(suffix, sizeof(suffix), "?version=%lld",
			 strtoll(version, NULL, 10));
	path = policy_path(cmd, args->pos[0], suffix);
	result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	if (cli->json) {
		sl_cli_print_json(res.json);
	} else {
		/* The policy itself stays JSON: it is what "policy set
		 * --file" takes back. */
		sl_cli_print_object(res.json, skip);
		puts("policy:");
		sl_cli_print_json(json_object_get(res.json, "policy"));
	}
	json_decref(res.json);
	return SL_CLI_OK;
}

/* Reads all of f (at most OBJECT_CAP bytes) as a JSON object. Returns the
 * document, or NULL after printing why. */
static json_t *read_object(FILE *f, const char *name)
{
	char *text = sl_xmalloc(OBJECT_CAP + 1);
	size_t len = fread(text, 1, OBJECT_CAP + 1, f);
	json_error_t jerr;
	json_t *doc = NULL;

	if (ferror(f)) {
		sl_cli_usage("cannot read %s: %s", name, strerror(errno));
	} else if (len > OBJECT_CAP) {
		sl_cli_usage("%s is larger than %u bytes", name, OBJECT_CAP);
	} else {
		doc = json_loadb(text, len, 0, &jerr);
		if (!doc)
			sl_cli_usage("%s is not JSON: line %d: %s", name,
				     jerr.line, jerr.text);
		else if (!json_is_object(doc)) {
			sl_cli_usage("%s must hold a JSON object", name);
			json_decref(doc);
			doc = NULL;
		}
	}
	free(text);
	return doc;
}

json_t *sl_cli_read_object(const char *file)
{
	json_t *doc;
	FILE *f;

	if (strcmp(file, "-") == 0)
		return read_object(stdin, "standard input");
	f = fopen(file, "rb");
	if (!f) {
		sl_cli_usage("cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	doc = read_object(f, file);
	fclose(f);
	return doc;
}

int sl_cli_run_policy_set(const struct sl_cli *cli,
			  const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args)
{
	const char *file = sl_cli_opt_value(args, "file");
	struct sl_cli_response res;
	char if_match[128] = "", *path;
	json_t *doc, *policy;
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	doc = sl_cli_read_object(file);
	if (!doc)
		return SL_CLI_USAGE;
	/* What "policy get --json" printed is taken as well: its policy. */
	policy = json_object_get(doc, "policy");
	if (json_is_object(policy) && json_object_get(doc, "version"))
		json_incref(policy);
	else
		policy = json_incref(doc);
	json_decref(doc);

	path = policy_path(cmd, args->pos[0], NULL);
	if (!sl_cli_has_opt(args, "force")) {
		/* Replace only the version read here: a concurrent change is
		 * refused (412) rather than lost. */
		result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
		if (result != SL_CLI_OK)
			goto out;
		if (res.etag[0])
			snprintf(if_match, sizeof(if_match), "If-Match: %s",
				 res.etag);
		json_decref(res.json);
	}
	result = sl_cli_request(cli, "PUT", path, policy,
				if_match[0] ? if_match : NULL, &res);
	if (result == SL_CLI_OK) {
		if (cli->json)
			sl_cli_print_json(res.json);
		else
			printf("policy of %s is now version %lld\n",
			       args->pos[0],
			       (long long)json_integer_value(
				       json_object_get(res.json, "version")));
	}
	json_decref(res.json);
out:
	free(path);
	json_decref(policy);
	return result;
}

int sl_cli_run_policy_versions(const struct sl_cli *cli,
			       const struct sl_cli_cmd *cmd,
			       const struct sl_cli_args *args)
{
	char *path = policy_path(cmd, args->pos[0], "/versions");
	int result = sl_cli_list_at(cli, args, path, cmd->columns);

	free(path);
	return result;
}

int sl_cli_run_checklist_show(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *env = sl_cli_escape_query(args->pos[1]), *base, *path;
	size_t n;
	int result;

	base = sl_cli_object_path(cmd, args->pos[0], "/checklist");
	n = strlen(base) + strlen(env) + sizeof("?environment=");
	path = sl_xmalloc(n);
	snprintf(path, n, "%s?environment=%s", base, env);
	free(base);
	free(env);
	result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	if (cli->json)
		sl_cli_print_json(res.json);
	else if (json_is_array(json_object_get(res.json, "items")))
		sl_cli_print_table(json_object_get(res.json, "items"),
				   checklist_cols);
	else {
		fprintf(stderr, "shiplog: unreadable answer: no items\n");
		result = SL_CLI_FAILED;
	}
	json_decref(res.json);
	return result;
}

int sl_cli_run_checklist_done(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	json_t *body = json_object(), *env = json_string(args->pos[1]),
	       *item = json_string(args->pos[2]);
	char *path;
	int result;

	if (!env || !item) {
		json_decref(env);
		json_decref(item);
		json_decref(body);
		return sl_cli_usage("bad environment or item");
	}
	json_object_set_new(body, "environment", env);
	json_object_set_new(body, "item", item);
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK) {
		path = sl_cli_object_path(cmd, args->pos[0], "/checklist");
		result = sl_cli_call_and_print(cli, "POST", path, body);
		free(path);
	}
	json_decref(body);
	return result;
}

int sl_cli_run_change_create(const struct sl_cli *cli,
			     const struct sl_cli_cmd *cmd,
			     const struct sl_cli_args *args)
{
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	if (sl_cli_has_opt(args, "window-start") !=
	    sl_cli_has_opt(args, "window-end"))
		return sl_cli_usage("a planned window needs both "
				    "--window-start and --window-end");
	return sl_cli_run_create(cli, cmd, args);
}

int sl_cli_run_window_create(const struct sl_cli *cli,
			     const struct sl_cli_cmd *cmd,
			     const struct sl_cli_args *args)
{
	const char *tag = sl_cli_opt_value(args, "service-tag");
	int end = sl_cli_has_opt(args, "end");
	int rrule = sl_cli_has_opt(args, "rrule");
	int duration = sl_cli_has_opt(args, "duration");
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	if (end && (rrule || duration))
		return sl_cli_usage("give --end for a fixed window, or --rrule "
				    "and --duration for a recurring one, not "
				    "both");
	if (!end && !(rrule && duration))
		return sl_cli_usage("a window needs --end, or --rrule and "
				    "--duration");
	if (tag && (!strchr(tag, '=') || tag[0] == '=' || !strchr(tag, '=')[1]))
		return sl_cli_usage("--service-tag needs key=value, not '%s'",
				    tag);
	return sl_cli_run_create(cli, cmd, args);
}

int sl_cli_run_window_list(const struct sl_cli *cli,
			   const struct sl_cli_cmd *cmd,
			   const struct sl_cli_args *args)
{
	int range = sl_cli_has_opt(args, "from");
	struct sl_cli_response res;
	json_t *occ;
	char *path;
	int result;

	if (range != sl_cli_has_opt(args, "to"))
		return sl_cli_usage("--from and --to go together");
	/* Without a range, or with --json, the page as it comes. */
	if (!range || cli->json)
		return sl_cli_list_at(cli, args, cmd->path, cmd->columns);
	path = sl_cli_list_path(cmd->path, args, NULL);
	result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	occ = json_object_get(res.json, "occurrences");
	if (json_is_array(occ)) {
		sl_cli_print_table(occ, occurrence_cols);
	} else {
		fprintf(stderr, "shiplog: unreadable answer: no occurrences\n");
		result = SL_CLI_FAILED;
	}
	json_decref(res.json);
	return result;
}

int sl_cli_run_grant_create(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	static const char *const fields[] = {"token", "role", "environment"};
	json_t *body;
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	body = json_object();
	for (size_t i = 0; i < 3; i++) {
		json_t *v = json_string(args->pos[i]);

		if (!v) {
			json_decref(body);
			return sl_cli_usage("bad argument '%s'", args->pos[i]);
		}
		json_object_set_new(body, fields[i], v);
	}
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK)
		result = sl_cli_call_and_print(cli, "POST", cmd->path, body);
	json_decref(body);
	return result;
}

int sl_cli_run_review_close(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	json_t *body;
	char *path;
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	body = json_object();
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK) {
		path = sl_cli_object_path(cmd, args->pos[0], "/close");
		result = sl_cli_call_and_print(cli, "POST", path, body);
		free(path);
	}
	json_decref(body);
	return result;
}
