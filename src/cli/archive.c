/* archive.c - shiplog archive: retention from the command line.
 *
 * create asks the server to archive what is older than a cut-off and
 * writes the file it answers; read checks a file offline (each line JSON,
 * the header's format, the trailer's SHA-256 of everything before it) and
 * prints its records; restore sends a file back. The file's own SHA-256
 * is what the server's archive.create audit entry records: read prints
 * it, so the two can be compared. */
#include "cli/cli.h"
#include "core/error.h"
#include "core/merkle.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_CAP (256u << 20)
#define FORMAT	 "shiplog-archive/1"

static void hex(const unsigned char *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* Reads file whole into *data (*len bytes, NUL-terminated); 0, or -1
 * after printing why. */
static int slurp(const char *file, char **data, size_t *len)
{
	FILE *f = fopen(file, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *buf;

	if (!f) {
		fprintf(stderr, "shiplog: cannot open %s: %s\n", file,
			strerror(errno));
		return -1;
	}
	buf = sl_xmalloc(cap + 1);
	while ((got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			if (cap >= FILE_CAP)
				break;
			cap *= 2;
			buf = sl_xrealloc(buf, cap + 1);
		}
	}
	if (ferror(f) || n >= FILE_CAP) {
		fprintf(stderr, "shiplog: cannot read %s%s\n", file,
			n >= FILE_CAP ? ": larger than 256 MiB" : "");
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/* Prints the counts object as "deployment 2, event 5, ...". */
static void print_counts(FILE *out, json_t *counts)
{
	const char *k;
	json_t *v;
	int first = 1;

	json_object_foreach(counts, k, v)
	{
		fprintf(out, "%s%s %lld", first ? "" : ", ", k,
			(long long)json_integer_value(v));
		first = 0;
	}
}

int sl_cli_run_archive_create(const struct sl_cli *cli,
			      const struct sl_cli_cmd *cmd,
			      const struct sl_cli_args *args)
{
	const char *before = sl_cli_opt_value(args, "before");
	const char *out = sl_cli_opt_value(args, "out");
	struct sl_cli_bytes res = {0};
	unsigned char d[SL_HASH_LEN];
	char sha[2 * SL_HASH_LEN + 1], *body;
	json_t *req, *trailer = NULL;
	const char *last;
	FILE *f;
	int rc;

	if (sl_cli_check_required(cmd, args))
		return SL_CLI_USAGE;
	req = json_pack("{ss}", "before", before);
	if (!req)
		return sl_cli_usage("--before is not UTF-8");
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	rc = sl_cli_post_bytes(cli, cmd->path, body, &res);
	free(body);
	if (rc != SL_CLI_OK)
		return rc;
	f = fopen(out, "wb");
	if (!f || fwrite(res.data, 1, res.len, f) != res.len) {
		fprintf(stderr,
			"shiplog: cannot write %s: %s; the records are "
			"archived on the server: restore needs this file, "
			"so keep the answer another way and retry nothing\n",
			out, strerror(errno));
		if (f)
			fclose(f);
		free(res.data);
		return SL_CLI_FAILED;
	}
	fclose(f);
	sl_sha256(res.data, res.len, d);
	hex(d, SL_HASH_LEN, sha);
	/* The trailer is the file's last line. */
	last = res.len > 1 ? res.data + res.len - 2 : res.data;
	while (last > res.data && *last != '\n')
		last--;
	trailer = json_loads(*last == '\n' ? last + 1 : last, 0, NULL);
	if (cli->json) {
		json_t *o =
			json_pack("{ss ss sO}", "file", out, "sha256", sha,
				  "counts", json_object_get(trailer, "counts"));

		if (o) {
			char *s =
				json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

			puts(s);
			free(s);
		}
		json_decref(o);
	} else {
		printf("archived to %s: ", out);
		print_counts(stdout, json_object_get(trailer, "counts"));
		printf("\nsha256 %s\n", sha);
	}
	json_decref(trailer);
	free(res.data);
	return SL_CLI_OK;
}

int sl_cli_run_archive_read(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	const char *file = args->pos[0];
	const char *kind = sl_cli_opt_value(args, "kind");
	char *data = NULL, sha[2 * SL_HASH_LEN + 1], seal[2 * SL_HASH_LEN + 1];
	unsigned char d[SL_HASH_LEN];
	json_t *header = NULL, *trailer = NULL, *records = json_array();
	const char *why = NULL;
	size_t len, lineno = 0, trailer_at = 0;
	int rc = SL_CLI_OK;

	(void)cmd;
	if (slurp(file, &data, &len)) {
		json_decref(records);
		return SL_CLI_USAGE;
	}
	for (size_t at = 0; at < len && !why;) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (data + at)) : len - at;
		json_t *rec = json_loadb(data + at, n, 0, NULL);
		const char *k = json_string_value(json_object_get(rec, "kind"));

		lineno++;
		if (!k)
			why = "a line is not a record";
		else if (trailer)
			why = "a line follows the trailer";
		else if (lineno == 1 && strcmp(k, "header"))
			why = "the first line is not the header";
		else if (!strcmp(k, "header"))
			header = json_incref(rec);
		else if (!strcmp(k, "trailer")) {
			trailer = json_incref(rec);
			trailer_at = at;
		} else if (!kind || !strcmp(kind, k)) {
			json_t *row = json_object_get(rec, "row");
			json_t *doc = json_loads(
				json_string_value(json_object_get(row, "doc"))
					? json_string_value(
						  json_object_get(row, "doc"))
					: "null",
				JSON_DECODE_ANY, NULL);

			json_array_append_new(
				records,
				json_pack("{ss sO so}", "kind", k, "row", row,
					  "document", doc ? doc : json_null()));
		}
		if (why)
			fprintf(stderr, "shiplog: %s: line %zu\n", file,
				lineno);
		json_decref(rec);
		at += n + 1;
	}
	if (!why && (!header ||
		     strcmp(json_string_value(json_object_get(header, "format"))
				    ? json_string_value(
					      json_object_get(header, "format"))
				    : "",
			    FORMAT)))
		why = "no shiplog-archive/1 header";
	if (!why && !trailer)
		why = "no trailer: the file was cut short";
	if (!why) {
		sl_sha256(data, trailer_at, d);
		hex(d, SL_HASH_LEN, seal);
		if (strcmp(seal,
			   json_string_value(json_object_get(trailer, "sha256"))
				   ? json_string_value(
					     json_object_get(trailer, "sha256"))
				   : ""))
			why = "the trailer's SHA-256 does not match the "
			      "records: "
			      "the file was changed";
	}
	sl_sha256(data, len, d);
	hex(d, SL_HASH_LEN, sha);
	if (cli->json) {
		json_t *o = json_object();
		char *s;

		json_object_set_new(o, "ok", json_boolean(!why));
		json_object_set_new(o, "sha256", json_string(sha));
		json_object_set_new(o, "reason",
				    why ? json_string(why) : json_null());
		json_object_set(o, "header", header ? header : json_null());
		json_object_set(o, "counts",
				trailer && json_object_get(trailer, "counts")
					? json_object_get(trailer, "counts")
					: json_null());
		json_object_set(o, "records", records);
		s = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);

		puts(s);
		free(s);
		json_decref(o);
	} else if (!why) {
		size_t i;
		json_t *r;

		printf("archive %lld of everything finished before %s "
		       "(shiplog %s, tree size %lld)\n",
		       (long long)json_integer_value(
			       json_object_get(header, "archive")),
		       json_string_value(json_object_get(header, "before")),
		       json_string_value(json_object_get(header, "shiplog")),
		       (long long)json_integer_value(
			       json_object_get(header, "tree_size")));
		json_array_foreach(records, i, r)
		{
			json_t *doc = json_object_get(r, "document");
			char *s = json_dumps(json_is_null(doc)
						     ? json_object_get(r, "row")
						     : doc,
					     JSON_COMPACT | JSON_SORT_KEYS);

			printf("%s %s\n",
			       json_string_value(json_object_get(r, "kind")),
			       s);
			free(s);
		}
		printf("ok: %s, sha256 %s\n", file, sha);
	}
	if (why) {
		fprintf(stderr, "shiplog: FAILED: %s: %s\n", file, why);
		rc = SL_CLI_REFUSED;
	}
	json_decref(records);
	json_decref(header);
	json_decref(trailer);
	free(data);
	return rc;
}

int sl_cli_run_archive_restore(const struct sl_cli *cli,
			       const struct sl_cli_cmd *cmd,
			       const struct sl_cli_args *args)
{
	struct sl_cli_response res = {0};
	char *data = NULL;
	size_t len;
	int rc;

	if (slurp(args->pos[0], &data, &len))
		return SL_CLI_USAGE;
	rc = sl_cli_send(cli, "/v1/archive/restore", data, len,
			 "application/x-ndjson", &res);
	(void)cmd;
	if (rc == SL_CLI_OK)
		sl_cli_print_answer(cli, res.json);
	else if (res.json) {
		fprintf(stderr, "shiplog: %s\n",
			json_string_value(json_object_get(res.json, "detail"))
				? json_string_value(
					  json_object_get(res.json, "detail"))
				: "refused");
	}
	json_decref(res.json);
	free(data);
	return rc;
}
