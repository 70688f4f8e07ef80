/* table.c - human output: aligned tables for lists, "key: value" lines
 * for single objects, pretty JSON for --json. */
#include "cli/cli.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *sl_cli_json_path(json_t *obj, const char *path)
{
	const char *dot;

	while (obj && (dot = strchr(path, '.'))) {
		char key[64];
		size_t n = (size_t)(dot - path);

		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		obj = json_object_get(obj, key);
		path = dot + 1;
	}
	return obj ? json_object_get(obj, path) : NULL;
}

/* Returns the items of arr (strings rendered, others as JSON) joined with
 * ",". Free with free(). */
static char *join_array(json_t *arr)
{
	size_t i, len = 0;
	json_t *v;
	char *out = sl_xstrdup("");

	json_array_foreach(arr, i, v)
	{
		char *s = sl_cli_format(v);
		size_t n = strlen(s);

		out = sl_xrealloc(out, len + n + 2);
		if (len)
			out[len++] = ',';
		memcpy(out + len, s, n + 1);
		len += n;
		free(s);
	}
	return out;
}

/* Returns an object of scalars as "k=v,k=v". Free with free(). */
static char *join_object(json_t *obj)
{
	const char *k;
	json_t *v;
	size_t len = 0;
	char *out = sl_xstrdup("");

	json_object_foreach(obj, k, v)
	{
		char *s = sl_cli_format(v);
		size_t n = strlen(k) + strlen(s) + 1;

		out = sl_xrealloc(out, len + n + 2);
		snprintf(out + len, n + 2, "%s%s=%s", len ? "," : "", k, s);
		len = strlen(out);
		free(s);
	}
	return out;
}

char *sl_cli_format(json_t *v)
{
	char *s, *dup;

	if (!v || json_is_null(v))
		return sl_xstrdup("-");
	if (json_is_string(v))
		return sl_xstrdup(json_string_value(v));
	if (json_is_array(v))
		return json_array_size(v) ? join_array(v) : sl_xstrdup("-");
	if (json_is_object(v))
		return json_object_size(v) ? join_object(v) : sl_xstrdup("-");
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT |
				  JSON_REAL_PRECISION(15));
	if (!s)
		sl_die("cannot encode a JSON value");
	dup = sl_xstrdup(s);
	free(s);
	return dup;
}

void sl_cli_print_table(json_t *items, const struct sl_cli_column *cols)
{
	sl_cli_fprint_table(stdout, items, cols);
}

void sl_cli_fprint_table(FILE *out, json_t *items,
			 const struct sl_cli_column *cols)
{
	size_t ncols = 0, nrows = json_array_size(items), r, c;
	size_t *width;
	char **cells;

	while (cols[ncols].header)
		ncols++;
	width = sl_xcalloc(ncols, sizeof(*width));
	cells = sl_xcalloc((nrows + 1) * ncols, sizeof(*cells));
	for (c = 0; c < ncols; c++)
		cells[c] = sl_xstrdup(cols[c].header);
	for (r = 0; r < nrows; r++) {
		json_t *item = json_array_get(items, r);

		for (c = 0; c < ncols; c++) {
			char **cell = &cells[(r + 1) * ncols + c];

			if (cols[c].render)
				*cell = cols[c].render(item);
			else
				*cell = sl_cli_format(
					sl_cli_json_path(item, cols[c].path));
		}
	}
	for (r = 0; r <= nrows; r++)
		for (c = 0; c < ncols; c++) {
			size_t n = strlen(cells[r * ncols + c]);

			if (n > width[c])
				width[c] = n;
		}
	for (r = 0; r <= nrows; r++) {
		for (c = 0; c < ncols; c++) {
			const char *s = cells[r * ncols + c];

			if (c + 1 == ncols)
				fprintf(out, "%s\n", s);
			else
				fprintf(out, "%-*s  ", (int)width[c], s);
			free(cells[r * ncols + c]);
		}
	}
	free(cells);
	free(width);
}

/* A check's verdict: "overridden", "pass" or "FAIL". */
static char *render_result(json_t *check)
{
	if (json_is_true(json_object_get(check, "overridden")))
		return sl_xstrdup("overridden");
	return sl_xstrdup(json_is_true(json_object_get(check, "passed"))
				  ? "pass"
				  : "FAIL");
}

void sl_cli_print_checks(FILE *out, json_t *checks)
{
	static const struct sl_cli_column cols[] = {
		{"CHECK", "name", NULL},
		{"RESULT", NULL, render_result},
		{"DETAIL", "detail", NULL},
		{NULL, NULL, NULL},
	};

	sl_cli_fprint_table(out, checks, cols);
}

/* Returns 1 when key is in the NULL-terminated list skip. */
static int skipped(const char *key, const char *const *skip)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, key))
			return 1;
	return 0;
}

/* Prints obj's members as "prefix.key: value" lines. */
static void print_members(json_t *obj, const char *prefix,
			  const char *const *skip)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v)
	{
		char *s;

		if (!*prefix && skipped(key, skip))
			continue;
		if (json_is_object(v) && json_object_size(v) &&
		    strcmp(key, "tags")) {
			size_t n = strlen(prefix) + strlen(key) + 2;
			char *sub = sl_xmalloc(n);

			snprintf(sub, n, "%s%s.", prefix, key);
			print_members(v, sub, NULL);
			free(sub);
			continue;
		}
		if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
			size_t i;
			json_t *e;

			printf("%s%s:\n", prefix, key);
			json_array_foreach(v, i, e)
			{
				s = sl_cli_format(e);
				printf("  - %s\n", s);
				free(s);
			}
			continue;
		}
		s = sl_cli_format(v);
		printf("%s%s: %s\n", prefix, key, s);
		free(s);
	}
}

void sl_cli_print_object(json_t *obj, const char *const *skip)
{
	print_members(obj, "", skip);
}

void sl_cli_print_json(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_REAL_PRECISION(15) |
					JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);

	if (!s)
		sl_die("cannot encode the answer");
	printf("%s\n", s);
	free(s);
}
