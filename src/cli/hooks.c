/* hooks.c - the receiver commands: inbound webhook receivers (a sender,
 * its shared secret and how its names map onto shiplog's), the
 * deliveries each one kept, and replaying one of them.
 *
 * A receiver's secret is never an option's value: it is read from a file
 * (or standard input), so it does not sit in shell history or in ps, and
 * the server never answers it back. A replay is judged like a gate
 * check: the command succeeds (0) only when the delivery was taken
 * (applied or ignored), so a script can tell a mapping that still misses
 * (1) from a request that went wrong (3). */
#include "cli/cli.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A receiver document larger than this is refused locally. */

/* The longest first line a secret file may have; the server takes at
 * most 256 characters, and says so. */
#define SECRET_LINE_CAP 1024

/* What a replayed delivery's outcome means for the exit code. The
 * outcome words are the server's (core/hook.h); a word not listed here
 * is not known to have been taken, so it exits as refused. */
static const struct {
	const char *outcome;
	int exit;
} replay_exits[] = {
	{"applied", SL_CLI_OK},
	{"ignored", SL_CLI_OK},
	{"unmatched", SL_CLI_REFUSED},
	{"failed", SL_CLI_REFUSED},
	{NULL, 0},
};

/* The members of a receiver's document that the server writes (what
 * "receiver get --json" prints beside what "receiver put" takes). */
static const char *const answer_only[] = {
	"name",	    "url", "secret_fingerprint", "created_at", "updated_at",
	"revision", NULL,
};

/* Returns the receiver document in file ("-": standard input), without
 * the members the server writes when it is what "receiver get --json"
 * printed; NULL after printing why. Free with json_decref(). */
static json_t *load_receiver(const char *file)
{
	json_t *doc = sl_cli_read_object(file);

	/* Only an answer has a fingerprint: a document written by hand
	 * keeps every member, and the server names the ones it refuses. */
	if (doc && json_object_get(doc, "secret_fingerprint"))
		for (size_t i = 0; answer_only[i]; i++)
			json_object_del(doc, answer_only[i]);
	return doc;
}

/* Reads the secret from the first line of f, called name, without its
 * line end ("\n" or "\r\n"). Returns it as a JSON string (free with
 * json_decref()), or NULL after printing why. */
static json_t *read_secret_line(FILE *f, const char *name)
{
	char line[SECRET_LINE_CAP + 2];
	json_t *secret = NULL;
	size_t n;

	if (!fgets(line, sizeof(line), f)) {
		if (ferror(f))
			sl_cli_usage("cannot read %s: %s", name,
				     strerror(errno));
		else
			sl_cli_usage("%s is empty: the secret is its first "
				     "line",
				     name);
		return NULL;
	}
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		n--;
	else if (!feof(f)) {
		sl_cli_usage("the first line of %s is longer than %u bytes",
			     name, SECRET_LINE_CAP);
		return NULL;
	}
	if (n && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	if (!n)
		sl_cli_usage("the first line of %s is empty: the secret is "
			     "its first line",
			     name);
	else if (!(secret = json_string(line)))
		sl_cli_usage("the secret in %s is not UTF-8 text", name);
	return secret;
}

json_t *sl_cli_read_secret(const char *file)
{
	json_t *secret;
	FILE *f;

	if (strcmp(file, "-") == 0)
		return read_secret_line(stdin, "standard input");
	f = fopen(file, "r");
	if (!f) {
		sl_cli_usage("cannot open %s: %s", file, strerror(errno));
		return NULL;
	}
	secret = read_secret_line(f, file);
	fclose(f);
	return secret;
}

/* Returns the body of "receiver put" from the command line: the --file
 * document, or the options; with the secret from --secret-file. NULL
 * after printing why. Free with json_decref(). */
static json_t *receiver_body(const struct sl_cli_cmd *cmd,
			     const struct sl_cli_args *args)
{
	const char *file = sl_cli_opt_value(args, "file");
	const char *secret_file = sl_cli_opt_value(args, "secret-file");
	json_t *body = NULL, *secret;

	if (file) {
		for (int i = 0; i < args->nopts; i++)
			if (args->opts[i].opt->field) {
				sl_cli_usage("--file gives the whole receiver; "
					     "put --%s in it",
					     args->opts[i].opt->name);
				return NULL;
			}
		if (secret_file && !strcmp(file, "-") &&
		    !strcmp(secret_file, "-")) {
			sl_cli_usage("--file and --secret-file cannot both "
				     "read standard input");
			return NULL;
		}
		body = load_receiver(file);
		if (!body)
			return NULL;
		if (!secret_file && !json_object_get(body, "secret")) {
			sl_cli_usage("%s has no secret: add --secret-file "
				     "FILE",
				     strcmp(file, "-") ? file
						       : "standard input");
			goto fail;
		}
	} else {
		const char *missing = !sl_cli_has_opt(args, "source") ? "source"
				      : !secret_file ? "secret-file"
						     : NULL;

		if (missing) {
			sl_cli_usage("missing option --%s (or --file): "
				     "shiplog %s",
				     missing, cmd->synopsis);
			return NULL;
		}
		body = json_object();
		if (sl_cli_fill_body(body, args) != SL_CLI_OK)
			goto fail;
	}
	if (secret_file) {
		secret = sl_cli_read_secret(secret_file);
		if (!secret)
			goto fail;
		json_object_set_new(body, "secret", secret);
	}
	return body;
fail:
	json_decref(body);
	return NULL;
}

int sl_cli_run_receiver_put(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	json_t *body = receiver_body(cmd, args);
	char *path;
	int result;

	if (!body)
		return SL_CLI_USAGE;
	path = sl_cli_object_path(cmd, args->pos[0], NULL);
	result = sl_cli_request(cli, "PUT", path, body, NULL, &res);
	json_decref(body);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	if (cli->json) {
		sl_cli_print_json(res.json);
	} else {
		const char *url =
			json_string_value(json_object_get(res.json, "url"));
		const char *source =
			json_string_value(json_object_get(res.json, "source"));

		printf("receiver %s: deliver to %s%s (source %s)\n",
		       args->pos[0], cli->url, url ? url : "?",
		       source ? source : "?");
	}
	json_decref(res.json);
	return SL_CLI_OK;
}

/* The table shows where senders deliver as a whole URL, the server's own
 * ("/hooks/NAME") put after the one the CLI talks to, which is what goes
 * into the sender's settings. The receivers come as one page. */
int sl_cli_run_receiver_list(const struct sl_cli *cli,
			     const struct sl_cli_cmd *cmd,
			     const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	json_t *items, *item;
	size_t i;
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
	if (cli->json) {
		sl_cli_print_json(res.json);
		json_decref(res.json);
		return SL_CLI_OK;
	}
	json_array_foreach(items, i, item)
	{
		const char *url =
			json_string_value(json_object_get(item, "url"));
		size_t n;
		char *whole;

		if (!url || url[0] != '/')
			continue;
		n = strlen(cli->url) + strlen(url) + 1;
		whole = sl_xmalloc(n);
		snprintf(whole, n, "%s%s", cli->url, url);
		json_object_set_new(item, "url", json_string(whole));
		free(whole);
	}
	sl_cli_print_table(items, cmd->columns);
	json_decref(res.json);
	return SL_CLI_OK;
}

int sl_cli_run_receiver_deliveries(const struct sl_cli *cli,
				   const struct sl_cli_cmd *cmd,
				   const struct sl_cli_args *args)
{
	char *path = sl_cli_object_path(cmd, args->pos[0], "/deliveries");
	int result = sl_cli_list_at(cli, args, path, cmd->columns);

	free(path);
	return result;
}

/* Returns the exit code a replay's outcome means (replay_exits). */
static int replay_exit(const char *outcome)
{
	for (size_t i = 0; replay_exits[i].outcome; i++)
		if (!strcmp(replay_exits[i].outcome, outcome))
			return replay_exits[i].exit;
	return SL_CLI_REFUSED;
}

int sl_cli_run_receiver_replay(const struct sl_cli *cli,
			       const struct sl_cli_cmd *cmd,
			       const struct sl_cli_args *args)
{
	const char *id = args->pos[1];
	struct sl_cli_response res;
	const char *outcome, *reason, *status;
	json_t *dep;
	char suffix[64], *path;
	int result;

	if (!*id || id[strspn(id, "0123456789")] || strlen(id) > 18 ||
	    id[0] == '0')
		return sl_cli_usage("the delivery id must be a positive whole "
				    "number, not '%s'",
				    id);
	snprintf(suffix, sizeof(suffix), "/deliveries/%s/replay", id);
	path = sl_cli_object_path(cmd, args->pos[0], suffix);
	result = sl_cli_request(cli, "POST", path, NULL, NULL, &res);
	free(path);
	if (result != SL_CLI_OK)
		return result;
	outcome = json_string_value(json_object_get(res.json, "outcome"));
	if (!outcome) {
		fprintf(stderr, "shiplog: unreadable answer: no outcome\n");
		json_decref(res.json);
		return SL_CLI_FAILED;
	}
	result = replay_exit(outcome);
	if (cli->json) {
		sl_cli_print_json(res.json);
		json_decref(res.json);
		return result;
	}
	reason = json_string_value(json_object_get(res.json, "reason"));
	status = json_string_value(json_object_get(res.json, "status"));
	dep = json_object_get(res.json, "deployment");
	printf("delivery %lld (replay of %s): %s",
	       (long long)json_integer_value(json_object_get(res.json, "id")),
	       id, outcome);
	if (json_is_integer(dep))
		printf(", deployment %lld%s%s",
		       (long long)json_integer_value(dep), status ? " " : "",
		       status ? status : "");
	if (reason)
		printf(": %s", reason);
	putchar('\n');
	json_decref(res.json);
	return result;
}
