/* audit.c — `sectl audit [filters]` (seed 2.3.2 audit logging; status.md §6; docs/api.md
 * GET /api/v1/audit, administrators only): Date, Unit, Account, Component, Type, Message,
 * newest first, then "Total: N from M". --json prints the server's answer as it is. */
#include "lib/clock.h"
#include "sectl/client.h"
#include "sectl/logq.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char audit_usage[] =
	"usage: sectl audit [--account A] [--type T] [--unit U] [--component C] [--text T]\n"
	"                   [--from TIME] [--to TIME] [--offset N] [--limit N]\n"
	"                   [--json] [--config FILE] [-v]\n"
	"TIME: 2026-11-30T02:00:00 (UTC), -10m or -2h (before now), or ms since the epoch\n"
	"T: Start, OK, Failed, 'Login successful', 'Login failed', Logout\n";

static int show_audit(const json_t *ans)
{
	static const char *const hdr[] = {"Date", "Unit", "Account", "Component", "Type",
					  "Message"};
	struct table *t = table_new(6, hdr);
	const json_t *e, *ts;
	char when[40];
	size_t i, n;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "entries"), i, e) {
		const char *date = show_str(e, "time");
		if (json_is_integer(ts = json_object_get(e, "ts_ms")))
			date = show_local_time((int64_t)json_integer_value(ts), when, sizeof(when));
		table_add(t, (const char *[]){date, show_str(e, "unit"), show_str(e, "account"),
					      show_str(e, "component"), show_str(e, "type"),
					      show_str(e, "message")});
	}
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	show_page_total(ans, n);
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

int sectl_audit_main(int argc, char **argv)
{
	static const struct option opts[] = {
		SECTL_API_LONGOPTS,
		LOGQ_LONGOPTS,
		{"account", required_argument, NULL, LOGQ_OPT_ACCOUNT},
		{"type", required_argument, NULL, LOGQ_OPT_TYPE},
		{0}};
	struct sectl_api_opts o = {0};
	struct logq q = {0};
	struct sec_err err = {0};
	int64_t now_ms = (int64_t)(clock_wall_ns() / 1000000);
	char *path;
	int ch, r, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(audit_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&o, ch, optarg))
			continue;
		if ((r = logq_opt(&q, LOGQ_AUDIT, ch, optarg, now_ms, &err)) < 0)
			return sectl_usage_error("audit", audit_usage, "%s", err.msg);
		if (r == 0)
			return sectl_usage_error("audit", audit_usage, "%s", "bad option");
	}
	if (optind < argc)
		return sectl_usage_error("audit", audit_usage, "unexpected argument '%s'",
					 argv[optind]);
	if (logq_check(&q, &err) < 0)
		return sectl_usage_error("audit", audit_usage, "%s", err.msg);
	if (!(path = logq_path("/api/v1/audit", &q, 0))) {
		fprintf(stderr, "sectl: out of memory\n");
		return SECTL_EXIT_FAIL;
	}
	rc = sectl_get_show(&o, path, show_audit);
	free(path);
	return rc;
}
