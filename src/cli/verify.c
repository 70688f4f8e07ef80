/* verify.c - the verification commands: an environment's (or a
 * service's) verification policy, put from a file, shown and deleted;
 * and a deployment's verification, each criterion with its last value
 * beside its threshold, the outcome and the recommendation.
 *
 * The policy is JSON in a file (or standard input), as the API takes it:
 * its probes and queries are lists of objects no option could spell
 * well. What "verification get --json" prints is taken back as it is. */
#include "cli/cli.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The members of a stored policy that the server writes. */
static const char *const answer_only[] = {
	"environment", "service", "created_at", "updated_at", "revision", NULL,
};

/* The policy route of ENV (args->pos[0]), with ?service= when given.
 * Free with free(). */
static char *policy_path(const struct sl_cli_cmd *cmd,
			 const struct sl_cli_args *args)
{
	const char *service = sl_cli_opt_value(args, "service");
	char *q = service ? sl_cli_escape_query(service) : NULL;
	char suffix[300];
	char *path;

	snprintf(suffix, sizeof(suffix), "/verification%s%s",
		 q ? "?service=" : "", q ? q : "");
	path = sl_cli_object_path(cmd, args->pos[0], suffix);
	free(q);
	return path;
}

int sl_cli_run_verification_put(const struct sl_cli *cli,
				const struct sl_cli_cmd *cmd,
				const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	json_t *body;
	char *path;
	int result = sl_cli_check_required(cmd, args);

	if (result != SL_CLI_OK)
		return result;
	body = sl_cli_read_object(sl_cli_opt_value(args, "file"));
	if (!body)
		return SL_CLI_USAGE;
	for (size_t i = 0; answer_only[i]; i++)
		json_object_del(body, answer_only[i]);
	path = policy_path(cmd, args);
	result = sl_cli_request(cli, "PUT", path, body, NULL, &res);
	json_decref(body);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	if (cli->json)
		sl_cli_print_json(res.json);
	else
		printf("verification policy of %s%s%s is now revision %lld\n",
		       args->pos[0],
		       sl_cli_opt_value(args, "service") ? " for " : "",
		       sl_cli_opt_value(args, "service")
			       ? sl_cli_opt_value(args, "service")
			       : "",
		       (long long)json_integer_value(
			       json_object_get(res.json, "revision")));
	json_decref(res.json);
	return SL_CLI_OK;
}

int sl_cli_run_verification_get(const struct sl_cli *cli,
				const struct sl_cli_cmd *cmd,
				const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *path = policy_path(cmd, args);
	int result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);

	free(path);
	if (result != SL_CLI_OK)
		return result;
	/* The policy stays JSON: it is what "verification put" takes. */
	sl_cli_print_json(res.json);
	json_decref(res.json);
	return SL_CLI_OK;
}

int sl_cli_run_verification_delete(const struct sl_cli *cli,
				   const struct sl_cli_cmd *cmd,
				   const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *path = policy_path(cmd, args);
	int result = sl_cli_request(cli, "DELETE", path, NULL, NULL, &res);

	free(path);
	if (result != SL_CLI_OK)
		return result;
	json_decref(res.json);
	if (!cli->json)
		printf("verification policy of %s%s%s deleted\n", args->pos[0],
		       sl_cli_opt_value(args, "service") ? " for " : "",
		       sl_cli_opt_value(args, "service")
			       ? sl_cli_opt_value(args, "service")
			       : "");
	return SL_CLI_OK;
}

/* A criterion's last value in words: "12 ms (200)" or "0.01". */
static char *last_value(json_t *c)
{
	json_t *v = json_object_get(c, "value");
	json_t *status = json_object_get(c, "status");
	char *s = sl_cli_format(v), *out;
	size_t n;

	if (json_is_null(v) || !v)
		return s;
	if (!json_is_integer(status))
		return s;
	n = strlen(s) + 40;
	out = malloc(n);
	if (!out)
		return s;
	snprintf(out, n, "%s ms (%lld)", s,
		 (long long)json_integer_value(status));
	free(s);
	return out;
}

static const struct sl_cli_column criterion_cols[] = {
	{"CRITERION", "name", NULL},
	{"KIND", "kind", NULL},
	{"THRESHOLD", "threshold", NULL},
	{"LAST", NULL, last_value},
	{"VERDICT", "verdict", NULL},
	{"REASON", "reason", NULL},
	{NULL, NULL, NULL},
};

/* Exit 0 whatever the outcome: the command shows a record, as "deploy
 * get" does; the deployment's status says what came of it. */
int sl_cli_run_deploy_verification(const struct sl_cli *cli,
				   const struct sl_cli_cmd *cmd,
				   const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *path = sl_cli_object_path(cmd, args->pos[0], "/verification");
	int result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	json_t *v, *reco, *rb;

	free(path);
	if (result != SL_CLI_OK)
		return result;
	v = res.json;
	if (cli->json) {
		sl_cli_print_json(v);
		json_decref(v);
		return SL_CLI_OK;
	}
	printf("deployment %s: %s %s to %s: %s\n", args->pos[0],
	       json_string_value(json_object_get(v, "service")),
	       json_string_value(json_object_get(v, "version")),
	       json_string_value(json_object_get(v, "environment")),
	       json_string_value(json_object_get(v, "state")));
	printf("started %s, period ends %s, %zu of %lld rounds\n",
	       json_string_value(json_object_get(v, "started_at")),
	       json_string_value(json_object_get(v, "ends_at")),
	       json_array_size(json_object_get(v, "rounds")),
	       (long long)json_integer_value(
		       json_object_get(v, "rounds_planned")));
	sl_cli_print_table(json_object_get(v, "criteria"), criterion_cols);
	if (json_is_object(json_object_get(v, "outcome")))
		printf("outcome: %s\n",
		       json_string_value(json_object_get(
			       json_object_get(v, "outcome"), "reason")));
	reco = json_object_get(v, "recommendation");
	if (json_is_object(reco))
		printf("recommended: roll back to %s (deployment %lld)\n",
		       json_string_value(json_object_get(reco, "version")),
		       (long long)json_integer_value(
			       json_object_get(reco, "deployment_id")));
	rb = json_object_get(v, "rollback");
	if (json_is_object(rb) && json_object_get(rb, "deployment_id"))
		printf("rolled back: deployment %lld\n",
		       (long long)json_integer_value(
			       json_object_get(rb, "deployment_id")));
	else if (json_is_object(rb))
		printf("not rolled back: %s\n",
		       json_string_value(json_object_get(rb, "error")));
	json_decref(v);
	return SL_CLI_OK;
}
