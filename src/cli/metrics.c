/* metrics.c - `shiplog metrics dora`: the delivery metrics as a table
 * (one row a bucket, then the period's), as CSV, or as the server's
 * JSON. The figures are the server's; this file only lays them out. */
#include "cli/cli.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One measure: its header and where it is in a bucket's object; the CSV
 * and the table share the list. */
struct measure {
	const char *header;
	const char *path;
	int seconds; /* shown as a duration in the table */
};

static const struct measure measures[] = {
	{"deployments", "deployments", 0},
	{"per_day", "deployment_frequency_per_day", 0},
	{"lead_p50", "lead_time_seconds.p50", 1},
	{"lead_p90", "lead_time_seconds.p90", 1},
	{"change_failure_rate", "change_failure_rate", 0},
	{"recovery_p50", "recovery_time_seconds.p50", 1},
	{"rework_rate", "rework_rate", 0},
	{"rollback_rate", "rollback_rate", 0},
	{"rollbacks", "rollbacks", 0},
	{"failed_rollouts", "failed_rollouts", 0},
	{"duration_p50", "deployment_duration_seconds.p50", 1},
	{"duration_p95", "deployment_duration_seconds.p95", 1},
	{"refusal_rate", "gate_refusal_rate", 0},
	{"approval_wait_p50", "approval_wait_seconds.p50", 1},
};
#define NMEASURES (sizeof(measures) / sizeof(measures[0]))

/* A number as a person reads it: seconds as "2h20m", rates to three
 * digits, "-" for none. Caller frees. */
static char *human(json_t *v, int seconds)
{
	char buf[32];
	double x;

	if (!v || json_is_null(v))
		return sl_xstrdup("-");
	if (json_is_integer(v))
		return sl_cli_format(v);
	x = json_number_value(v);
	if (!seconds)
		snprintf(buf, sizeof(buf), "%.3g", x);
	else if (x < 60)
		snprintf(buf, sizeof(buf), "%.0fs", x);
	else if (x < 3600)
		snprintf(buf, sizeof(buf), "%ldm%02lds", (long)x / 60,
			 (long)x % 60);
	else if (x < 86400)
		snprintf(buf, sizeof(buf), "%ldh%02ldm", (long)(x / 3600),
			 ((long)x % 3600) / 60);
	else
		snprintf(buf, sizeof(buf), "%ldd%02ldh", (long)(x / 86400),
			 ((long)x % 86400) / 3600);
	return sl_xstrdup(buf);
}

/* A CSV cell: numbers as the server wrote them, none empty. */
static void csv_cell(json_t *v)
{
	char *s;

	if (!v || json_is_null(v))
		return;
	s = sl_cli_format(v);
	fputs(s, stdout);
	free(s);
}

static void csv_row(const char *label, const char *start, const char *end,
		    json_t *b)
{
	printf("%s,%s,%s", label, start, end);
	for (size_t m = 0; m < NMEASURES; m++) {
		putchar(',');
		csv_cell(sl_cli_json_path(b, measures[m].path));
	}
	putchar('\n');
}

static void print_csv(json_t *doc)
{
	json_t *b;
	size_t i;

	printf("bucket,start,end");
	for (size_t m = 0; m < NMEASURES; m++)
		printf(",%s", measures[m].header);
	putchar('\n');
	json_array_foreach(json_object_get(doc, "buckets"), i, b)
	{
		csv_row(json_string_value(json_object_get(b, "label")),
			json_string_value(json_object_get(b, "start")),
			json_string_value(json_object_get(b, "end")), b);
	}
	csv_row("overall", json_string_value(json_object_get(doc, "from")),
		json_string_value(json_object_get(doc, "to")),
		json_object_get(doc, "overall"));
}

/* The table: a row a bucket and the period's, then the levels and the
 * trend against the period before. */
static void print_table(json_t *doc)
{
	json_t *rows = json_array(), *b, *o = json_object_get(doc, "overall");
	struct sl_cli_column cols[NMEASURES + 2] = {{"BUCKET", "label", NULL}};
	json_t *lv = json_object_get(o, "level"), *v;
	const char *k;
	size_t i;

	for (size_t m = 0; m < NMEASURES; m++)
		cols[m + 1] = (struct sl_cli_column){measures[m].header,
						     measures[m].header, NULL};
	json_array_foreach(json_object_get(doc, "buckets"), i, b)
	{
		json_t *row =
			json_pack("{sO}", "label", json_object_get(b, "label"));

		for (size_t m = 0; m < NMEASURES; m++) {
			char *s = human(sl_cli_json_path(b, measures[m].path),
					measures[m].seconds);

			json_object_set_new(row, measures[m].header,
					    json_string(s));
			free(s);
		}
		json_array_append_new(rows, row);
	}
	{
		json_t *row = json_pack("{ss}", "label", "overall");

		for (size_t m = 0; m < NMEASURES; m++) {
			char *s = human(sl_cli_json_path(o, measures[m].path),
					measures[m].seconds);

			json_object_set_new(row, measures[m].header,
					    json_string(s));
			free(s);
		}
		json_array_append_new(rows, row);
	}
	for (size_t c = 0; c < NMEASURES + 1; c++)
		cols[c].header = c ? measures[c - 1].header : "BUCKET";
	sl_cli_print_table(rows, cols);
	json_decref(rows);
	printf("\nproduction environments: ");
	json_array_foreach(json_object_get(doc, "production_environments"), i,
			   v)
	{
		printf("%s%s", i ? ", " : "", json_string_value(v));
	}
	printf("\nlevels (DORA %lld):",
	       (long long)json_integer_value(
		       json_object_get(doc, "levels_year")));
	json_object_foreach(lv, k, v)
	{
		printf(" %s %s", k,
		       json_is_null(v) ? "-" : json_string_value(v));
	}
	printf("\ntrend against the period before:");
	json_object_foreach(json_object_get(doc, "trend"), k, v)
	{
		if (!json_is_null(v))
			printf(" %s %s", k, json_string_value(v));
	}
	putchar('\n');
}

int sl_cli_run_metrics_dora(const struct sl_cli *cli,
			    const struct sl_cli_cmd *cmd,
			    const struct sl_cli_args *args)
{
	struct sl_cli_response res = {0};
	char *path = sl_cli_list_path(cmd->path, args, NULL);
	int result = sl_cli_request(cli, "GET", path, NULL, NULL, &res);

	if (result == SL_CLI_OK) {
		if (cli->json)
			sl_cli_print_json(res.json);
		else if (sl_cli_has_opt(args, "csv"))
			print_csv(res.json);
		else
			print_table(res.json);
	}
	json_decref(res.json);
	free(path);
	return result;
}
