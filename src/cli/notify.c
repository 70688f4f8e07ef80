/* notify.c - the subscription and notification commands: who is told of
 * what and how, and the outbox (pending, sent and dead notifications,
 * and replaying one).
 *
 * A webhook's secret is never an option's value: it is read from a file
 * (or standard input), as a receiver's is, and never shown back. */
#include "core/notify.h"
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct sl_cli_opt sl_cli_subscription_put_opts[] = {
	{"event", SL_OPT_LIST, "events",
	 "--event E           {}\n"
	 "                      repeatable; at least one",
	 sl_notify_event_names},
	{"env", SL_OPT_LIST, "environments",
	 "--env E             only events in this environment; repeatable",
	 NULL},
	{"service", SL_OPT_LIST, "services",
	 "--service S         only events about this service; repeatable",
	 NULL},
	{"team", SL_OPT_LIST, "teams",
	 "--team T            only services this team owns; repeatable", NULL},
	{"channel", SL_OPT_STR, "channel.type", "--channel C         {}",
	 sl_notify_channel_names},
	{"endpoint", SL_OPT_STR, "channel.url",
	 "--endpoint URL      webhook, slack: where to post; email: the SMTP\n"
	 "                      server, smtp://host:port",
	 NULL},
	{"secret-file", SL_OPT_STR, NULL,
	 "--secret-file FILE  webhook: the HMAC key is the first line of "
	 "FILE\n"
	 "                      (- for standard input); never shown back",
	 NULL},
	{"from", SL_OPT_STR, "channel.from",
	 "--from ADDR         email: the sender", NULL},
	{"to", SL_OPT_LIST, "channel.to",
	 "--to ADDR           email: a recipient; repeatable", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

const struct sl_cli_opt sl_cli_notification_list_opts[] = {
	{"status", SL_OPT_STR, "status", "--status S     in this status: {}",
	 sl_notify_status_names},
	{"subscription", SL_OPT_STR, "subscription",
	 "--subscription N  for this subscription", NULL},
	{"limit", SL_OPT_INT, "limit", "--limit N      items per page (1-500)",
	 NULL},
	{"cursor", SL_OPT_STR, "cursor",
	 "--cursor C     continue from a previous page", NULL},
	{"all", SL_OPT_FLAG, NULL,
	 "--all          follow next_cursor to the end", NULL},
	{NULL, 0, NULL, NULL, NULL},
};

const struct sl_cli_column sl_cli_subscription_cols[] = {
	{"NAME", "name", NULL},
	{"CHANNEL", "channel.type", NULL},
	{"EVENTS", "events", NULL},
	{"ENVIRONMENTS", "environments", NULL},
	{"SERVICES", "services", NULL},
	{"TEAMS", "teams", NULL},
	{NULL, NULL, NULL},
};

const struct sl_cli_column sl_cli_notification_cols[] = {
	{"ID", "id", NULL},
	{"STATUS", "status", NULL},
	{"EVENT", "event", NULL},
	{"SUBSCRIPTION", "subscription", NULL},
	{"ATTEMPTS", "attempts", NULL},
	{"SUMMARY", "summary", NULL},
	{"LAST_ERROR", "last_error", NULL},
	{NULL, NULL, NULL},
};

int sl_cli_run_subscription_put(const struct sl_cli *cli,
				const struct sl_cli_cmd *cmd,
				const struct sl_cli_args *args)
{
	const char *secret_file = sl_cli_opt_value(args, "secret-file");
	json_t *body = json_object();
	char *path = NULL;
	int result;

	if (!sl_cli_has_opt(args, "event") ||
	    !sl_cli_has_opt(args, "channel") ||
	    !sl_cli_has_opt(args, "endpoint")) {
		result = sl_cli_usage("missing option --%s: shiplog %s",
				      !sl_cli_has_opt(args, "event") ? "event"
				      : !sl_cli_has_opt(args, "channel")
					      ? "channel"
					      : "endpoint",
				      cmd->synopsis);
		goto out;
	}
	result = sl_cli_fill_body(body, args);
	if (result != SL_CLI_OK)
		goto out;
	if (secret_file) {
		json_t *secret = sl_cli_read_secret(secret_file);

		if (!secret) {
			result = SL_CLI_USAGE;
			goto out;
		}
		json_object_set_new(json_object_get(body, "channel"), "secret",
				    secret);
	}
	path = sl_cli_object_path(cmd, args->pos[0], NULL);
	result = sl_cli_call_and_print(cli, "PUT", path, body);
out:
	free(path);
	json_decref(body);
	return result;
}

int sl_cli_run_subscription_list(const struct sl_cli *cli,
				 const struct sl_cli_cmd *cmd,
				 const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	json_t *items;
	int result;

	(void)args;
	result = sl_cli_request(cli, "GET", cmd->path, NULL, NULL, &res);
	if (result != SL_CLI_OK)
		return result;
	items = json_object_get(res.json, "items");
	if (!json_is_array(items)) {
		fprintf(stderr, "shiplog: unreadable answer: no items\n");
		json_decref(res.json);
		return SL_CLI_FAILED;
	}
	if (cli->json)
		sl_cli_print_json(res.json);
	else
		sl_cli_print_table(items, cmd->columns);
	json_decref(res.json);
	return SL_CLI_OK;
}

int sl_cli_run_notification_replay(const struct sl_cli *cli,
				   const struct sl_cli_cmd *cmd,
				   const struct sl_cli_args *args)
{
	const char *id = args->pos[0];
	struct sl_cli_response res;
	char *path;
	int result;

	if (!*id || id[strspn(id, "0123456789")] || strlen(id) > 18 ||
	    id[0] == '0')
		return sl_cli_usage("the notification id must be a positive "
				    "whole number, not '%s'",
				    id);
	path = sl_cli_object_path(cmd, id, "/replay");
	result = sl_cli_request(cli, "POST", path, NULL, NULL, &res);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	if (cli->json)
		sl_cli_print_json(res.json);
	else
		printf("notification %s: %s again (key %s): %s\n", id,
		       json_string_value(json_object_get(res.json, "status")),
		       json_string_value(json_object_get(res.json, "key")),
		       json_string_value(json_object_get(res.json, "summary")));
	json_decref(res.json);
	return SL_CLI_OK;
}
