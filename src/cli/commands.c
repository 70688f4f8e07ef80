/* commands.c - what each command sends and prints.
 *
 * Most commands are one of five generic handlers (create, list, get,
 * update, delete) driven by their row in the command table: options with
 * a field become body members or query parameters. The rest handle what
 * the API shapes differently: SERVICE@VERSION arguments, deployment
 * events and rollbacks, the status matrix, the once-shown token. */
#include "cli/cli.h"
#include "core/error.h"
#include "core/state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct sl_cli_column event_cols[] = {
	{"SEQ", "seq", NULL},	      {"AT", "at", NULL},
	{"STATUS", "status", NULL},   {"TRAFFIC", "traffic_percent", NULL},
	{"SOURCE", "source", NULL},   {"ACTOR", "actor", NULL},
	{"MESSAGE", "message", NULL}, {NULL, NULL, NULL},
};

/* Returns the object at the dotted path's parent in body, creating the
 * objects on the way, and points *leaf at the last path component. The
 * reference is borrowed from body. */
static json_t *parent_of(json_t *body, const char *path, const char **leaf)
{
	const char *dot;

	while ((dot = strchr(path, '.'))) {
		char key[64];
		size_t n = (size_t)(dot - path);
		json_t *child;

		SL_ASSERT(n < sizeof(key));
		memcpy(key, path, n);
		key[n] = '\0';
		child = json_object_get(body, key);
		if (!json_is_object(child)) {
			child = json_object();
			json_object_set_new(body, key, child);
		}
		body = child;
		path = dot + 1;
	}
	*leaf = path;
	return body;
}

/* Returns the array at field in obj, creating it when missing. Borrowed. */
static json_t *array_at(json_t *obj, const char *field)
{
	json_t *a = json_object_get(obj, field);

	if (!json_is_array(a)) {
		a = json_array();
		json_object_set_new(obj, field, a);
	}
	return a;
}

/* Returns a new {"name", "uri", "sha256"} object read from
 * NAME=URI@SHA256 (the URI may itself hold "@": the digest follows the
 * last one), or NULL when spec is not of that shape. Free with
 * json_decref(). */
static json_t *parse_artifact(const char *spec)
{
	const char *eq = strchr(spec, '='), *at = strrchr(spec, '@');
	json_t *a;
	char *name, *uri;

	if (!eq || eq == spec || !at || at < eq + 2 || !at[1])
		return NULL;
	name = sl_xstrndup(spec, (size_t)(eq - spec));
	uri = sl_xstrndup(eq + 1, (size_t)(at - eq - 1));
	a = json_pack("{s:s, s:s, s:s}", "name", name, "uri", uri, "sha256",
		      at + 1);
	free(name);
	free(uri);
	if (!a)
		sl_die("cannot build an artifact (invalid UTF-8?)");
	return a;
}

/* Returns a new {"service", "range"} object read from SERVICE@RANGE (a
 * service name holds no "@", a range none either), or NULL when spec is
 * not of that shape. Free with json_decref(). */
static json_t *parse_dependency(const char *spec)
{
	const char *at = strchr(spec, '@');
	char *service;
	json_t *d;

	if (!at || at == spec || !at[1])
		return NULL;
	service = sl_xstrndup(spec, (size_t)(at - spec));
	d = json_pack("{s:s, s:s}", "service", service, "range", at + 1);
	free(service);
	return d;
}

/* Sets the signature NAME=SIG on the artifact called NAME in the array at
 * field of body. Returns SL_CLI_OK, or SL_CLI_USAGE after printing why. */
static int sign_artifact(json_t *body, const struct sl_cli_opt *o,
			 const char *spec)
{
	const char *eq = strchr(spec, '=');
	json_t *a, *sig;
	size_t i, n;

	if (!eq || eq == spec || !eq[1])
		return sl_cli_usage("--%s needs NAME=SIGNATURE, not '%s'",
				    o->name, spec);
	n = (size_t)(eq - spec);
	json_array_foreach(json_object_get(body, o->field), i, a)
	{
		const char *name =
			json_string_value(json_object_get(a, "name"));

		if (!name || strlen(name) != n || strncmp(name, spec, n))
			continue;
		sig = json_string(eq + 1);
		if (!sig)
			return sl_cli_usage("bad --%s '%s' (not UTF-8?)",
					    o->name, spec);
		json_object_set_new(a, "signature", sig);
		return SL_CLI_OK;
	}
	return sl_cli_usage("--%s %.*s: no --artifact is named '%.*s'", o->name,
			    (int)n, spec, (int)n, spec);
}

/* Returns a JSON string for s, or NULL when s is not valid UTF-8. */
static json_t *str(const char *s)
{
	return json_string(s);
}

int sl_cli_fill_body(json_t *body, const struct sl_cli_args *args)
{
	for (int i = 0; i < args->nopts; i++) {
		const struct sl_cli_opt *o = args->opts[i].opt;
		const char *v = args->opts[i].value, *leaf;
		json_t *parent, *j = NULL;

		if (!o->field)
			continue;
		parent = parent_of(body, o->field, &leaf);
		switch (o->type) {
		case SL_OPT_FLAG:
			j = json_true();
			break;
		case SL_OPT_FALSE:
			j = json_false();
			break;
		case SL_OPT_STR:
			j = str(v);
			break;
		case SL_OPT_INT:
			j = json_integer(strtoll(v, NULL, 10));
			break;
		case SL_OPT_TAG: {
			const char *eq = strchr(v, '=');
			json_t *tags = json_object_get(parent, leaf);
			char *key = sl_xstrndup(v, (size_t)(eq - v));

			if (!json_is_object(tags)) {
				tags = json_object();
				json_object_set_new(parent, leaf, tags);
			}
			j = str(eq + 1);
			if (j && json_object_set_new(tags, key, j))
				j = NULL;
			free(key);
			if (!j)
				return sl_cli_usage("bad --%s '%s'", o->name,
						    v);
			continue;
		}
		case SL_OPT_LIST:
			j = str(v);
			if (!j)
				break;
			json_array_append_new(array_at(parent, leaf), j);
			continue;
		case SL_OPT_ARTIFACT:
			j = parse_artifact(v);
			if (!j)
				return sl_cli_usage(
					"--%s needs NAME=URI@SHA256, "
					"not '%s'",
					o->name, v);
			json_array_append_new(array_at(parent, leaf), j);
			continue;
		case SL_OPT_SIGNATURE:
			continue; /* below, once every artifact is in */
		case SL_OPT_DEPENDENCY:
			j = parse_dependency(v);
			if (!j)
				return sl_cli_usage("--%s needs SERVICE@RANGE, "
						    "not '%s'",
						    o->name, v);
			json_array_append_new(array_at(parent, leaf), j);
			continue;
		}
		if (!j)
			return sl_cli_usage("bad --%s '%s' (not UTF-8?)",
					    o->name, v);
		json_object_set_new(parent, leaf, j);
	}
	for (int i = 0; i < args->nopts; i++) {
		const struct sl_cli_opt *o = args->opts[i].opt;
		int rc;

		if (o->type == SL_OPT_SIGNATURE &&
		    (rc = sign_artifact(body, o, args->opts[i].value)))
			return rc;
	}
	return SL_CLI_OK;
}

int sl_cli_has_opt(const struct sl_cli_args *args, const char *name)
{
	for (int i = 0; i < args->nopts; i++)
		if (!strcmp(args->opts[i].opt->name, name))
			return 1;
	return 0;
}

const char *sl_cli_opt_value(const struct sl_cli_args *args, const char *name)
{
	const char *v = NULL;

	for (int i = 0; i < args->nopts; i++)
		if (!strcmp(args->opts[i].opt->name, name))
			v = args->opts[i].value;
	return v;
}

int sl_cli_check_required(const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args)
{
	const char *p = cmd->synopsis;
	int depth = 0;

	for (; *p; p++) {
		char name[64];
		size_t n;

		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		if (depth || strncmp(p, "--", 2) ||
		    (p > cmd->synopsis && p[-1] != ' '))
			continue;
		n = strcspn(p + 2, " =|]");
		if (n >= sizeof(name))
			continue;
		memcpy(name, p + 2, n);
		name[n] = '\0';
		if (!sl_cli_has_opt(args, name))
			return sl_cli_usage("missing option --%s: shiplog %s",
					    name, cmd->synopsis);
		p += 1 + n;
	}
	return SL_CLI_OK;
}

/* A growable string for building paths. */
struct str {
	char *s;
	size_t len;
};

/* Appends the NUL-terminated a to b. */
static void str_add(struct str *b, const char *a)
{
	size_t n = strlen(a);

	b->s = sl_xrealloc(b->s, b->len + n + 1);
	memcpy(b->s + b->len, a, n + 1);
	b->len += n;
}

/* Appends "?name=value" or "&name=value" with value escaped. */
static void query_add(struct str *b, const char *name, const char *value)
{
	char *e = sl_cli_escape_query(value);

	str_add(b, strchr(b->s, '?') ? "&" : "?");
	str_add(b, name);
	str_add(b, "=");
	str_add(b, e);
	free(e);
}

char *sl_cli_object_path(const struct sl_cli_cmd *cmd, const char *id,
			 const char *suffix)
{
	struct str b = {0};

	str_add(&b, cmd->path);
	if (id) {
		char *e = sl_cli_escape_segment(id);

		str_add(&b, "/");
		str_add(&b, e);
		free(e);
	}
	if (suffix)
		str_add(&b, suffix);
	return b.s;
}

char *sl_cli_list_path(const char *base, const struct sl_cli_args *args,
		       const char *cursor)
{
	struct str b = {0};

	str_add(&b, base);
	for (int i = 0; i < args->nopts; i++) {
		const struct sl_cli_opt *o = args->opts[i].opt;
		const char *v = args->opts[i].value;

		if (!o->field || (cursor && !strcmp(o->field, "cursor")))
			continue;
		if (o->type == SL_OPT_FLAG)
			v = "true";
		else if (o->type == SL_OPT_FALSE)
			v = "false";
		query_add(&b, o->field, v);
	}
	if (cursor)
		query_add(&b, "cursor", cursor);
	return b.s;
}

void sl_cli_print_answer(const struct sl_cli *cli, json_t *answer)
{
	if (!answer)
		return;
	if (cli->json)
		sl_cli_print_json(answer);
	else
		sl_cli_print_object(answer, NULL);
}

int sl_cli_call_and_print(const struct sl_cli *cli, const char *method,
			  const char *path, json_t *body)
{
	struct sl_cli_response res;
	int result = sl_cli_request(cli, method, path, body, NULL, &res);

	if (result == SL_CLI_OK)
		sl_cli_print_answer(cli, res.json);
	json_decref(res.json);
	return result;
}

int sl_cli_run_create(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	json_t *body = json_object();
	int result;

	if (cmd->argfield && args->npos > 0 &&
	    json_object_set_new(body, cmd->argfield, str(args->pos[0]))) {
		result = sl_cli_usage("bad argument '%s'", args->pos[0]);
		goto out;
	}
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK)
		result = sl_cli_call_and_print(cli, "POST", cmd->path, body);
out:
	json_decref(body);
	return result;
}

int sl_cli_run_list(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		    const struct sl_cli_args *args)
{
	return sl_cli_list_at(cli, args, cmd->path, cmd->columns);
}

/* Lists base, one page or (all) every page. */
static int list_pages(const struct sl_cli *cli, const struct sl_cli_args *args,
		      const char *base, const struct sl_cli_column *columns,
		      int all)
{
	int result;
	json_t *items = json_array(), *page = NULL;
	char *cursor = NULL;

	for (;;) {
		struct sl_cli_response res;
		char *path = sl_cli_list_path(base, args, cursor);
		json_t *next;

		result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
		free(path);
		if (result != SL_CLI_OK)
			goto out;
		if (!json_is_array(json_object_get(res.json, "items"))) {
			fprintf(stderr, "shiplog: unreadable answer: no "
					"items\n");
			json_decref(res.json);
			result = SL_CLI_FAILED;
			goto out;
		}
		json_array_extend(items, json_object_get(res.json, "items"));
		json_decref(page);
		page = res.json;
		next = json_object_get(page, "next_cursor");
		if (!all || !json_is_string(next) || !*json_string_value(next))
			break;
		free(cursor);
		cursor = sl_xstrdup(json_string_value(next));
	}

	if (cli->json) {
		if (all) {
			json_object_set(page, "items", items);
			json_object_set_new(page, "next_cursor", json_null());
		}
		sl_cli_print_json(page);
	} else {
		const char *next =
			json_string_value(json_object_get(page, "next_cursor"));

		sl_cli_print_table(items, columns);
		if (next && *next)
			fprintf(stderr,
				"shiplog: more: pass --all, or --cursor %s\n",
				next);
	}
out:
	free(cursor);
	json_decref(page);
	json_decref(items);
	return result;
}

int sl_cli_list_at(const struct sl_cli *cli, const struct sl_cli_args *args,
		   const char *base, const struct sl_cli_column *columns)
{
	return list_pages(cli, args, base, columns,
			  sl_cli_has_opt(args, "all"));
}

int sl_cli_run_get(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		   const struct sl_cli_args *args)
{
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	int result = sl_cli_call_and_print(cli, "GET", path, NULL);

	free(path);
	return result;
}

/* Merges the object's current tags under the new ones in body, so that
 * "--tag k=v" on update adds or changes one tag and keeps the others
 * whether the server replaces or merges "tags". Fills if_match with the
 * object's ETag for the PATCH, so a concurrent change is refused (412)
 * rather than lost. Returns the exit code. */
static int merge_tags(const struct sl_cli *cli, const char *path, json_t *body,
		      char *if_match, size_t size)
{
	struct sl_cli_response res;
	json_t *tags = json_object_get(body, "tags"), *merged;
	int result;

	result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);
	if (result != SL_CLI_OK)
		return result;
	merged = json_deep_copy(json_object_get(res.json, "tags"));
	if (!json_is_object(merged)) {
		json_decref(merged);
		merged = json_object();
	}
	json_object_update(merged, tags);
	json_object_set_new(body, "tags", merged);
	if (res.etag[0])
		snprintf(if_match, size, "If-Match: %s", res.etag);
	json_decref(res.json);
	return SL_CLI_OK;
}

int sl_cli_run_update(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	json_t *body = json_object();
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	char if_match[128] = "";
	struct sl_cli_response res = {0};
	int result = sl_cli_fill_body(body, args);

	if (result != SL_CLI_OK)
		goto out;
	if (!json_object_size(body)) {
		result = sl_cli_usage("nothing to change: shiplog %s",
				      cmd->synopsis);
		goto out;
	}
	if (json_object_get(body, "tags")) {
		result =
			merge_tags(cli, path, body, if_match, sizeof(if_match));
		if (result != SL_CLI_OK)
			goto out;
	}
	result = sl_cli_request(cli, "PATCH", path, body,
				if_match[0] ? if_match : NULL, &res);
	if (result == SL_CLI_OK)
		sl_cli_print_answer(cli, res.json);
	json_decref(res.json);
out:
	free(path);
	json_decref(body);
	return result;
}

int sl_cli_run_delete(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	struct sl_cli_response res;
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	int result = sl_cli_request(cli, "DELETE", path, NULL, NULL, &res);

	if (result == SL_CLI_OK) {
		if (cli->json && res.json)
			sl_cli_print_json(res.json);
		else if (!cli->json)
			printf("%s %s %sd\n", cmd->group, args->pos[0],
			       cmd->sub);
	}
	json_decref(res.json);
	free(path);
	return result;
}

int sl_cli_run_release_create(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	const char *spec = args->pos[0], *at = strchr(spec, '@');
	json_t *body, *service, *version;
	char *name;
	int result;

	if (!at || at == spec || !at[1])
		return sl_cli_usage("expected SERVICE@VERSION, not '%s'", spec);
	name = sl_xstrndup(spec, (size_t)(at - spec));
	service = str(name);
	version = str(at + 1);
	free(name);
	if (!service || !version) {
		json_decref(service);
		json_decref(version);
		return sl_cli_usage("bad SERVICE@VERSION '%s'", spec);
	}
	body = json_object();
	json_object_set_new(body, "service", service);
	json_object_set_new(body, "version", version);
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK)
		result = sl_cli_call_and_print(cli, "POST", cmd->path, body);
	json_decref(body);
	return result;
}

int sl_cli_run_release_status(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	json_t *status = str(args->pos[1]), *body;
	char *path;
	int result;

	if (!status)
		return sl_cli_usage("bad status '%s'", args->pos[1]);
	body = json_object();
	json_object_set_new(body, "status", status);
	path = sl_cli_object_path(cmd, args->pos[0], NULL);
	result = sl_cli_call_and_print(cli, "PATCH", path, body);
	free(path);
	json_decref(body);
	return result;
}

json_t *sl_cli_release_body(const char *release, const char *env)
{
	json_t *rel, *e = str(env), *body;

	/* A release is named by id or service@version; send an id as the
	 * integer the API expects. */
	if (release[strspn(release, "0123456789")] == '\0' &&
	    strlen(release) < 16)
		rel = json_integer(strtoll(release, NULL, 10));
	else
		rel = str(release);
	if (!rel || !e) {
		json_decref(rel);
		json_decref(e);
		return NULL;
	}
	body = json_object();
	json_object_set_new(body, "release", rel);
	json_object_set_new(body, "environment", e);
	return body;
}

int sl_cli_run_deploy(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	const char *release = args->pos[0];
	json_t *body;
	int result;

	if (sl_cli_has_opt(args, "override") != sl_cli_has_opt(args, "reason"))
		return sl_cli_usage("--override CHECK and --reason R go "
				    "together");
	body = sl_cli_release_body(release, args->pos[1]);
	if (!body)
		return sl_cli_usage("bad release or environment");
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK)
		result = sl_cli_call_and_print(cli, "POST", cmd->path, body);
	if (result == SL_CLI_OK && json_object_get(body, "override"))
		fprintf(stderr,
			"shiplog: the override opened a post-incident review; "
			"see 'shiplog review list --open'\n");
	json_decref(body);
	return result;
}

int sl_cli_run_deploy_get(const struct sl_cli *cli,
			  const struct sl_cli_cmd *cmd,
			  const struct sl_cli_args *args)
{
	static const char *const skip[] = {"events", NULL};
	struct sl_cli_response res;
	char *path = sl_cli_object_path(cmd, args->pos[0], NULL);
	int result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);

	if (result == SL_CLI_OK && res.json) {
		if (cli->json) {
			sl_cli_print_json(res.json);
		} else {
			json_t *events = json_object_get(res.json, "events");

			sl_cli_print_object(res.json, skip);
			if (json_is_array(events)) {
				puts("\ntimeline:");
				sl_cli_print_table(events, event_cols);
			}
		}
	}
	json_decref(res.json);
	free(path);
	return result;
}

int sl_cli_run_deploy_event(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	json_t *body;
	char *path;
	int result;

	if (!sl_cli_has_opt(args, "status") &&
	    !sl_cli_has_opt(args, "traffic") &&
	    !sl_cli_has_opt(args, "message"))
		return sl_cli_usage("deploy event needs --status, --traffic "
				    "or --message");
	body = json_object();
	result = sl_cli_fill_body(body, args);
	if (result == SL_CLI_OK) {
		if (!json_object_get(body, "source"))
			json_object_set_new(
				body, "source",
				json_string(sl_source_name(SL_SRC_CLI)));
		path = sl_cli_object_path(cmd, args->pos[0], "/events");
		result = sl_cli_call_and_print(cli, "POST", path, body);
		free(path);
	}
	json_decref(body);
	return result;
}

int sl_cli_run_deploy_rollback(const struct sl_cli *cli,
			       const struct sl_cli_cmd *cmd,
			       const struct sl_cli_args *args)
{
	json_t *body = json_object();
	char *path;
	int result = sl_cli_fill_body(body, args);

	if (result == SL_CLI_OK) {
		path = sl_cli_object_path(cmd, args->pos[0], "/rollback");
		result = sl_cli_call_and_print(cli, "POST", path, body);
		free(path);
	}
	json_decref(body);
	return result;
}

/* The matrix is paged like every list, but "shiplog status" shows all of
 * it unless a page was asked for (--limit or --cursor). */
int sl_cli_run_status(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	return list_pages(cli, args, cmd->path, cmd->columns,
			  sl_cli_has_opt(args, "all") ||
				  !(sl_cli_has_opt(args, "limit") ||
				    sl_cli_has_opt(args, "cursor")));
}

int sl_cli_run_token_create(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	int result = sl_cli_run_create(cli, cmd, args);

	if (result == SL_CLI_OK)
		fprintf(stderr, "shiplog: warning: the token is shown only "
				"once; store it now\n");
	return result;
}
