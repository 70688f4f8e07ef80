/* incidents.c - the incident commands that the generic handlers do not
 * shape: showing an incident with its suspected deployments, resolving
 * one (now, unless --at says when), and confirming or withdrawing a
 * deployment as its cause. Creating, listing and updating are the
 * generic create, list and update (src/cli/main.c). */
#include "cli/cli.h"
#include "core/validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The suspected deployments, as a table under the incident. */
static const struct sl_cli_column suspect_cols[] = {
	{"DEPLOYMENT", "deployment_id", NULL},
	{"SERVICE", "service", NULL},
	{"VERSION", "release.version", NULL},
	{"REPLACED", "replaced.version", NULL},
	{"STATUS", "status", NULL},
	{"STARTED", "started_at", NULL},
	{"CAUSE", "confirmed", NULL},
	{NULL, NULL, NULL},
};

static const char *const show_skip[] = {"suspected", "causes", NULL};

static const struct sl_cli_column cause_cols[] = {
	{"DEPLOYMENT", "deployment_id", NULL},
	{"SERVICE", "service", NULL},
	{"VERSION", "version", NULL},
	{"BY", "confirmed_by", NULL},
	{"AT", "confirmed_at", NULL},
	{"COMMENT", "comment", NULL},
	{NULL, NULL, NULL},
};

int sl_cli_run_incident_show(const struct sl_cli *cli,
			     const struct sl_cli_cmd *cmd,
			     const struct sl_cli_args *args)
{
	struct sl_cli_response res = {0};
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	int result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);

	if (result == SL_CLI_OK && cli->json) {
		sl_cli_print_json(res.json);
	} else if (result == SL_CLI_OK) {
		sl_cli_print_object(res.json, show_skip);
		printf("\ncauses:\n");
		sl_cli_print_table(json_object_get(res.json, "causes"),
				   cause_cols);
		printf("\nsuspected deployments:\n");
		sl_cli_print_table(json_object_get(res.json, "suspected"),
				   suspect_cols);
	}
	json_decref(res.json);
	free(path);
	return result;
}

int sl_cli_run_incident_resolve(const struct sl_cli *cli,
				const struct sl_cli_cmd *cmd,
				const struct sl_cli_args *args)
{
	const char *at = sl_cli_opt_value(args, "at");
	char now[SL_TIME_BUF];
	char *path;
	json_t *body;
	int result;

	if (!at) {
		struct timespec ts;

		/* The CLI's clock names the moment the person resolved it;
		 * the server checks it is not before the start. */
		clock_gettime(CLOCK_REALTIME, &ts);
		sl_time_format((int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000,
			       now);
		at = now;
	}
	path = sl_cli_object_path(cmd, args->pos[0], NULL);
	body = json_pack("{ss}", "resolved_at", at);
	if (!body) {
		free(path);
		return sl_cli_usage("--at must be UTF-8 text");
	}
	result = sl_cli_call_and_print(cli, "PATCH", path, body);
	json_decref(body);
	free(path);
	return result;
}

/* The deployment id positional, or -1 after saying why. */
static int64_t deployment_arg(const char *s)
{
	int64_t id = 0;

	if (sl_decimal_parse(s, &id) || id < 1) {
		sl_cli_usage("DEPLOYMENT must be a deployment id, not '%s'", s);
		return -1;
	}
	return id;
}

int sl_cli_run_incident_cause(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	int64_t id = deployment_arg(args->pos[1]);
	char *path;
	json_t *body;
	int result;

	if (id < 0)
		return SL_CLI_USAGE;
	body = json_pack("{sI}", "deployment_id", (json_int_t)id);
	result = sl_cli_fill_body(body, args);
	if (result != SL_CLI_OK) {
		json_decref(body);
		return result;
	}
	path = sl_cli_object_path(cmd, args->pos[0], "/causes");
	result = sl_cli_call_and_print(cli, "POST", path, body);
	json_decref(body);
	free(path);
	return result;
}

int sl_cli_run_incident_withdraw(const struct sl_cli *cli,
				 const struct sl_cli_cmd *cmd,
				 const struct sl_cli_args *args)
{
	int64_t id = deployment_arg(args->pos[1]);
	char suffix[48], *path;
	int result;

	if (id < 0)
		return SL_CLI_USAGE;
	snprintf(suffix, sizeof(suffix), "/causes/%lld", (long long)id);
	path = sl_cli_object_path(cmd, args->pos[0], suffix);
	result = sl_cli_call_and_print(cli, "DELETE", path, NULL);
	free(path);
	return result;
}
