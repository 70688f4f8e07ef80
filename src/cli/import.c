/* import.c - "shiplog import FILE": history from another tool, sent to
 * POST /v1/import in batches.
 *
 * The file is split into records (a JSON Lines line; a CSV record, read
 * by core's CSV reader so a quoted line break stays inside its field),
 * and every batch of them is one request and one transaction: a CSV
 * batch repeats the header row. The server names a bad record by its
 * line in the batch; the command says its line in the whole file, which
 * batches were written before it and that nothing after was sent. A
 * second run of the same file writes nothing (the server matches the
 * source's ids), so a stopped import is finished by running it again. */
#include "core/import.h"
#include "cli/cli.h"
#include "core/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The largest file the command reads. */
#define FILE_CAP      (256u * 1024 * 1024)
#define BATCH_DEFAULT 1000

/* One record: its bytes in the file and the line it starts on. */
struct rec {
	size_t off, len, line;
};

struct split {
	struct rec *v;
	size_t n, cap;
	size_t head_len; /* CSV: the header row's bytes, line end included */
};

static void add(struct split *s, size_t off, size_t len, size_t line)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = sl_xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	s->v[s->n++] = (struct rec){off, len, line};
}

/* Reads file whole into *data (*len bytes, NUL-terminated); 0, or -1
 * after printing why. */
static int slurp(const char *file, char **data, size_t *len)
{
	FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	size_t cap = 1 << 16, n = 0, got;
	char *buf;

	if (!f) {
		sl_cli_usage("cannot open %s: %s", file, strerror(errno));
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
		sl_cli_usage(n >= FILE_CAP ? "%s is larger than 256 MiB: "
					     "split it"
					   : "cannot read %s",
			     file);
		free(buf);
		if (f != stdin)
			fclose(f);
		return -1;
	}
	if (f != stdin)
		fclose(f);
	buf[n] = '\0';
	*data = buf;
	*len = n;
	return 0;
}

/* Non-blank lines, each a record. */
static void split_jsonl(const char *d, size_t len, struct split *s)
{
	size_t pos = 0, line = 1;

	while (pos < len) {
		const char *nl = memchr(d + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - d) : len;

		for (size_t i = pos; i < end; i++)
			if (d[i] != ' ' && d[i] != '\t' && d[i] != '\r') {
				add(s, pos, end - pos, line);
				break;
			}
		pos = end + 1;
		line++;
	}
}

/* The header row and each record after it, as the server will read
 * them; -1 after printing where the file is not CSV. */
static int split_csv(const char *d, size_t len, const char *file,
		     struct split *s)
{
	struct sl_csv c;
	struct sl_csv_row row;
	struct sl_error err = {0};
	size_t before;
	int got, first = 1;

	sl_csv_init(&c, d, len);
	for (;;) {
		before = c.pos;
		got = sl_csv_next(&c, &row, &err);
		if (got <= 0)
			break;
		/* The record's own bytes: from where it starts (blank lines
		 * before it skipped) to the end of its line. */
		while (before < c.pos &&
		       (d[before] == '\n' || d[before] == '\r'))
			before++;
		if (first)
			s->head_len = c.pos;
		else
			add(s, before, c.pos - before, row.line);
		first = 0;
		sl_csv_row_fini(&row);
	}
	if (got < 0) {
		fprintf(stderr, "shiplog: %s: %s\n", file, err.message);
		return -1;
	}
	if (first) {
		fprintf(stderr, "shiplog: %s: no header row\n", file);
		return -1;
	}
	return 0;
}

/* The source's default name: the file's base name without its
 * extension, lower-cased, other characters than [a-z0-9-] as '-'. */
static void default_source(const char *file, char *out, size_t size)
{
	const char *base = strrchr(file, '/');
	size_t n = 0;

	base = base ? base + 1 : file;
	for (const char *p = base; *p && *p != '.' && n + 1 < size && n < 32;
	     p++) {
		char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;

		out[n++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9')
				   ? ch
				   : '-';
	}
	out[n] = '\0';
	if (!n || out[0] == '-')
		snprintf(out, size, "import");
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The file line of a line in a batch's body: the record that starts
 * there (or the header's, for a line before the first record). */
static size_t file_line(const struct split *s, size_t first, size_t count,
			const size_t *body_lines, size_t line)
{
	size_t best = 0;

	for (size_t i = 0; i < count; i++)
		if (body_lines[i] <= line)
			best = s->v[first + i].line + (line - body_lines[i]);
	return best ? best : 1;
}

static void progress(int show, int tty, size_t done, size_t total)
{
	if (!show)
		return;
	if (tty)
		fprintf(stderr, "\rimport: %zu/%zu records", done, total);
	else
		fprintf(stderr, "import: %zu/%zu records\n", done, total);
	if (tty && done == total)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Adds the counts of one batch's answer (created, matched) into sum. */
static void sum_counts(json_t *sum, json_t *answer, const char *key)
{
	const char *k;
	json_t *v, *into = json_object_get(sum, key);

	json_object_foreach(json_object_get(answer, key), k, v)
		json_object_set_new(
			into, k,
			json_integer(
				json_integer_value(json_object_get(into, k)) +
				json_integer_value(v)));
}

/* Prints why a batch was refused, with its line in the file. */
static void refused(const char *file, json_t *problem, size_t batch,
		    size_t line, long status)
{
	json_t *errs = json_object_get(problem, "errors");
	json_t *e0 = json_array_get(errs, 0);
	const char *detail =
		json_string_value(json_object_get(problem, "detail"));
	const char *field = json_string_value(json_object_get(e0, "field"));

	if (line)
		fprintf(stderr, "shiplog: %s:%zu: %s%s%s\n", file, line,
			field && *field ? field : "",
			field && *field ? ": " : "",
			e0 ? json_string_value(json_object_get(e0, "message"))
			: detail ? detail
				 : "refused");
	else
		fprintf(stderr, "shiplog: batch %zu: HTTP %ld: %s\n", batch,
			status, detail ? detail : "no answer");
}

int sl_cli_run_import(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	const char *file = args->pos[0];
	const char *format = sl_cli_opt_value(args, "format");
	const char *batch_s = sl_cli_opt_value(args, "batch");
	const char *source = sl_cli_opt_value(args, "source");
	int tty = isatty(2), show = tty || sl_cli_has_opt(args, "progress");
	struct split s = {0};
	char *data = NULL, *body = NULL, *path = NULL, *esc, src[40];
	size_t len = 0, batch = BATCH_DEFAULT, done = 0, nbatches,
	       *lines = NULL;
	json_t *sum = NULL, *items = json_array();
	int csv, result = SL_CLI_USAGE;

	(void)cmd;
	if (batch_s) {
		char *end;
		long v;

		errno = 0;
		v = strtol(batch_s, &end, 10);
		if (errno || *end || v < 1 || v > SL_IMPORT_BATCH_MAX) {
			result = sl_cli_usage("--batch is a number of records "
					      "from 1 to %d",
					      SL_IMPORT_BATCH_MAX);
			goto out;
		}
		batch = (size_t)v;
	}
	if (format && strcmp(format, "jsonl") && strcmp(format, "csv")) {
		result = sl_cli_usage("--format is jsonl or csv, not %s",
				      format);
		goto out;
	}
	if (!format) {
		if (ends_with(file, ".csv"))
			format = "csv";
		else if (ends_with(file, ".jsonl") ||
			 ends_with(file, ".ndjson"))
			format = "jsonl";
		else {
			result = sl_cli_usage("cannot tell the format of %s "
					      "from its name: give --format "
					      "jsonl or --format csv",
					      file);
			goto out;
		}
	}
	csv = strcmp(format, "csv") == 0;
	if (!source) {
		default_source(file, src, sizeof(src));
		source = src;
	}
	if (slurp(file, &data, &len))
		goto out;
	if (csv ? split_csv(data, len, file, &s)
		: (split_jsonl(data, len, &s), 0)) {
		result = SL_CLI_REFUSED;
		goto out;
	}
	if (!s.n) {
		fprintf(stderr, "shiplog: %s holds no records\n", file);
		result = SL_CLI_REFUSED;
		goto out;
	}
	esc = sl_cli_escape_query(source);
	len = strlen(esc) + sizeof("/v1/import?source=");
	path = sl_xmalloc(len);
	snprintf(path, len, "/v1/import?source=%s", esc);
	free(esc);
	sum = json_pack("{ss sI sI s{} s{}}", "source", source, "records",
			(json_int_t)s.n, "batches", (json_int_t)0, "created",
			"matched");
	nbatches = (s.n + batch - 1) / batch;
	lines = sl_xmalloc(batch * sizeof(*lines));
	result = SL_CLI_OK;
	progress(show, tty, 0, s.n);
	for (size_t b = 0; b < nbatches; b++) {
		size_t first = b * batch,
		       count = s.n - first < batch ? s.n - first : batch;
		size_t blen = csv ? s.head_len : 0, pos, body_line = 1;
		struct sl_cli_response res;
		size_t i;
		json_t *it;

		for (i = 0; i < count; i++)
			blen += s.v[first + i].len + 1;
		body = sl_xrealloc(body, blen + 2);
		pos = 0;
		if (csv) {
			memcpy(body, data, s.head_len);
			pos = s.head_len;
			for (i = 0; i < s.head_len; i++)
				body_line += data[i] == '\n';
			if (s.head_len && data[s.head_len - 1] != '\n') {
				body[pos++] = '\n';
				body_line++;
			}
		}
		for (i = 0; i < count; i++) {
			const struct rec *r = &s.v[first + i];

			lines[i] = body_line;
			memcpy(body + pos, data + r->off, r->len);
			pos += r->len;
			for (size_t j = 0; j < r->len; j++)
				body_line += data[r->off + j] == '\n';
			if (!r->len || data[r->off + r->len - 1] != '\n') {
				body[pos++] = '\n';
				body_line++;
			}
		}
		body[pos] = '\0';
		result = sl_cli_send(cli, path, body, pos,
				     csv ? "text/csv" : "application/x-ndjson",
				     &res);
		if (result != SL_CLI_OK) {
			json_int_t at = json_integer_value(
				json_object_get(res.json, "line"));
			size_t line = at > 0 ? file_line(&s, first, count,
							 lines, (size_t)at)
					     : 0;

			if (show && tty)
				fputc('\n', stderr);
			if (res.status)
				refused(file, res.json, b + 1, line,
					res.status);
			if (b == 1)
				fprintf(stderr,
					"shiplog: batch 1 (records 1-%zu) was "
					"written; nothing of batch 2 or after "
					"is kept\n",
					first);
			else if (b)
				fprintf(stderr,
					"shiplog: batches 1-%zu (records "
					"1-%zu) were written; nothing of "
					"batch %zu or after is kept\n",
					b, first, b + 1);
			else
				fprintf(stderr, "shiplog: nothing was "
						"written\n");
			if (cli->json) {
				json_t *p = res.json ? json_incref(res.json)
						     : json_object();

				size_t k;
				json_t *e;

				if (line)
					json_object_set_new(
						p, "line",
						json_integer((json_int_t)line));
				json_array_foreach(json_object_get(p, "errors"),
						   k, e) if (line)
					json_object_set_new(
						e, "line",
						json_integer((json_int_t)line));
				json_object_set_new(
					p, "batch",
					json_integer((json_int_t)b + 1));
				json_object_set_new(
					p, "batches_written",
					json_integer((json_int_t)b));
				json_object_set_new(
					p, "records_written",
					json_integer((json_int_t)first));
				sl_cli_print_json(p);
				json_decref(p);
			}
			json_decref(res.json);
			goto out;
		}
		sum_counts(sum, res.json, "created");
		sum_counts(sum, res.json, "matched");
		json_array_foreach(json_object_get(res.json, "items"), i, it)
		{
			json_int_t at =
				json_integer_value(json_object_get(it, "line"));

			json_object_set_new(
				it, "line",
				json_integer((json_int_t)file_line(
					&s, first, count, lines, (size_t)at)));
			json_array_append(items, it);
		}
		json_object_set_new(sum, "batches",
				    json_integer((json_int_t)b + 1));
		json_decref(res.json);
		done += count;
		progress(show, tty, done, s.n);
	}
	if (cli->json) {
		json_object_set(sum, "items", items);
		sl_cli_print_json(sum);
	} else {
		const char *k;
		json_t *v;

		printf("%-12s %8s %8s\n", "KIND", "CREATED", "MATCHED");
		json_object_foreach(json_object_get(sum, "created"), k, v)
			printf("%-12s %8lld %8lld\n", k,
			       (long long)json_integer_value(v),
			       (long long)json_integer_value(json_object_get(
				       json_object_get(sum, "matched"), k)));
		printf("%zu records from %s in %zu batches, source %s\n", s.n,
		       file, nbatches, source);
	}
out:
	json_decref(sum);
	json_decref(items);
	free(lines);
	free(body);
	free(path);
	free(data);
	free(s.v);
	return result;
}
