/* report.c - shiplog report change|exceptions|controls|access: a
 * compliance report fetched as the server renders it (JSON, CSV or a
 * printable HTML page) and written as it came, to a file or standard
 * output. The CLI decides nothing about the report: it passes the period
 * and the filters on. */
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The query options and their parameters, in the order sent. */
static const struct {
	const char *opt, *param;
} params[] = {
	{"from", "from"},	{"to", "to"},	      {"env", "environment"},
	{"service", "service"}, {"format", "format"},
};

/* Writes len bytes of data to file ("-" or NULL: standard output).
 * Returns SL_CLI_OK, or SL_CLI_FAILED after printing why. */
static int write_out(const char *file, const char *data, size_t len)
{
	FILE *f = stdout;
	int result = SL_CLI_OK;

	if (file && strcmp(file, "-")) {
		f = fopen(file, "wb");
		if (!f) {
			fprintf(stderr, "shiplog: cannot write %s: %s\n", file,
				strerror(errno));
			return SL_CLI_FAILED;
		}
	}
	int to_stdout = f == stdout;

	if (fwrite(data, 1, len, f) != len)
		result = SL_CLI_FAILED;
	if (to_stdout ? fflush(f) != 0 : fclose(f) != 0)
		result = SL_CLI_FAILED;
	if (result != SL_CLI_OK)
		fprintf(stderr, "shiplog: cannot write %s\n",
			file && strcmp(file, "-") ? file : "standard output");
	return result;
}

int sl_cli_run_report(const struct sl_cli *cli, const struct sl_cli_cmd *cmd,
		      const struct sl_cli_args *args)
{
	struct sl_cli_bytes res = {0};
	char path[2048];
	size_t len;
	int result = sl_cli_check_required(cmd, args);
	const char *format = sl_cli_opt_value(args, "format");

	if (result != SL_CLI_OK)
		return result;
	if (format && strcmp(format, "json") && strcmp(format, "csv") &&
	    strcmp(format, "html"))
		return sl_cli_usage("--format is json, csv or html, not '%s'",
				    format);
	len = (size_t)snprintf(path, sizeof(path), "%s/%s", cmd->path,
			       cmd->sub);
	for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++) {
		const char *v = sl_cli_opt_value(args, params[i].opt);
		char *q;

		if (!v)
			continue;
		q = sl_cli_escape_query(v);
		len += (size_t)snprintf(
			path + len, len < sizeof(path) ? sizeof(path) - len : 0,
			"%c%s=%s", strchr(path, '?') ? '&' : '?',
			params[i].param, q);
		free(q);
	}
	if (len >= sizeof(path))
		return sl_cli_usage("the options are too long");
	result = sl_cli_get_bytes(cli, path, &res);
	if (result != SL_CLI_OK)
		return result;
	result = write_out(sl_cli_opt_value(args, "out"), res.data, res.len);
	free(res.data);
	return result;
}
