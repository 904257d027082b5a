/* sucluster.c — `sectl sucluster`: SU Clusters through the Master MU (seed 3.1, 3.3;
 * status.md §3; issue 5 "SU Clusters"; docs/api.md "SU Clusters").
 *
 *   sectl sucluster create NAME --units SU1,SU2 [--fencing self|none]
 *   sectl sucluster activate NAME        (administrators)
 *   sectl sucluster deactivate NAME      (administrators; INACTIVE: no Live Migration)
 *   sectl sucluster delete NAME
 *   sectl sucluster show NAME            the status and the units table of seed 3.3
 *   sectl sucluster list                 every SU Cluster with its status
 *
 * Every command takes --json (the API's answer as is), --config FILE and -v. A write
 * prints one line in the words of its event ("SU Cluster 'SUC1' created with the SUs 'su1'
 * and 'su2'"). Exit status: 0 ok, 1 refused or failed (the reason on stderr), 2 usage. */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
	"usage: sectl sucluster create NAME --units SU1,SU2 [--fencing self|none]\n"
	"       sectl sucluster activate|deactivate|delete NAME\n"
	"       sectl sucluster show NAME\n"
	"       sectl sucluster list\n"
	"each also takes [--json] [--config FILE] [-v]\n"
	"NAME: 1..32 of A-Z a-z 0-9 _ -; the two SUs need the same SU type, an SU belongs to at\n"
	"most one SU Cluster; deactivated (INACTIVE), no Live Migration is possible\n";

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("sucluster", usage, fmt, arg);
}

/* An SU Cluster name as it may stand in a URL path (no escaping needed). */
static bool suc_name(const char *s)
{
	if (!*s || strlen(s) > 32)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* Options: the API ones plus --units and --fencing (create only: want_create). Leaves
 * the one NAME in *name. Returns -1 to go on, else the exit status. */
static int read_args(int argc, char **argv, bool want_create, bool want_name,
		     struct sectl_api_opts *o, const char **name, const char **units,
		     const char **fencing)
{
	enum { O_UNITS = SECTL_OPT_FIRST_FREE, O_FENCING };
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"units", required_argument, NULL, O_UNITS},
					     {"fencing", required_argument, NULL, O_FENCING},
					     {0}};
	int ch;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(o, ch, optarg))
			continue;
		if (want_create && ch == O_UNITS)
			*units = optarg;
		else if (want_create && ch == O_FENCING)
			*fencing = optarg;
		else
			return usage_error("%s", "bad option");
	}
	if (!want_name) {
		if (optind != argc)
			return usage_error("unexpected argument '%s'", argv[optind]);
		return -1;
	}
	if (optind + 1 != argc)
		return usage_error("%s", "needs one NAME");
	*name = argv[optind];
	if (!suc_name(*name))
		return usage_error("'%s' is not an SU Cluster name (1..32 of A-Z a-z 0-9 _ -)",
				   *name);
	return -1;
}

/* One write; prints line (with %s = NAME) or the answer as JSON. */
static int write_call(const struct sectl_api_opts *o, const char *method, const char *path,
		      const json_t *body, const char *line, const char *name)
{
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *ans = NULL, *gen;
	int rc;

	if ((rc = sectl_connect(o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (sectl_client_call(c, method, path, body, 0, &ans, &err) < 0) {
		rc = sectl_fail(&err);
	} else if (o->json) {
		rc = sectl_print_json(ans);
	} else {
		const json_t *s = json_object_get(ans, "su_cluster"), *u = json_object_get(s, "units");
		printf(line, name, json_string_value(json_array_get(u, 0)) ?: "?",
		       json_string_value(json_array_get(u, 1)) ?: "?");
		putchar('\n');
		if (json_is_integer(gen = json_object_get(ans, "global_generation")))
			printf("global data: region-0 generation %lld\n",
			       (long long)json_integer_value(gen));
		rc = fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
	}
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}

static int cmd_create(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	const char *name = NULL, *units = NULL, *fencing = NULL;
	char a[64], b[64];
	const char *comma;
	json_t *body;
	int rc;

	if ((rc = read_args(argc, argv, true, true, &o, &name, &units, &fencing)) >= 0)
		return rc;
	if (!units)
		return usage_error("%s", "create needs --units SU1,SU2");
	comma = strchr(units, ',');
	if (!comma || strchr(comma + 1, ',') || comma == units || !comma[1] ||
	    (size_t)(comma - units) >= sizeof(a) || strlen(comma + 1) >= sizeof(b))
		return usage_error("--units '%s': give exactly two SU names, SU1,SU2", units);
	snprintf(a, sizeof(a), "%.*s", (int)(comma - units), units);
	snprintf(b, sizeof(b), "%s", comma + 1);
	if (fencing && strcmp(fencing, "self") && strcmp(fencing, "none"))
		return usage_error("--fencing '%s': must be self or none", fencing);
	body = json_pack("{s:s, s:[s, s]}", "name", name, "units", a, b);
	if (fencing)
		json_object_set_new(body, "fencing", json_string(fencing));
	rc = write_call(&o, "POST", "/api/v1/suclusters", body,
			"SU Cluster '%s' created with the SUs '%s' and '%s'", name);
	json_decref(body);
	return rc;
}

static int cmd_name_write(int argc, char **argv, const char *method, const char *suffix,
			  const char *line)
{
	struct sectl_api_opts o = {0};
	const char *name = NULL;
	char path[128];
	int rc;

	if ((rc = read_args(argc, argv, false, true, &o, &name, NULL, NULL)) >= 0)
		return rc;
	snprintf(path, sizeof(path), "/api/v1/suclusters/%s%s", name, suffix);
	return write_call(&o, method, path, NULL, line, name);
}

static int cmd_activate(int argc, char **argv)
{
	return cmd_name_write(argc, argv, "POST", "/activate", "SU Cluster '%s' activated");
}

static int cmd_deactivate(int argc, char **argv)
{
	return cmd_name_write(argc, argv, "POST", "/deactivate",
			      "SU Cluster '%s' deactivated (INACTIVE: no Live Migration)");
}

static int cmd_delete(int argc, char **argv)
{
	return cmd_name_write(argc, argv, "DELETE", "", "SU Cluster '%s' deleted");
}

static int print_total(size_t n)
{
	printf("Total: %zu\n", n);
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

/* "an SU is not ON; ..." of a reasons array into buf. */
static const char *reasons_text(const json_t *a, char *buf, size_t size)
{
	size_t i, n = 0;
	const json_t *v;

	buf[0] = '\0';
	json_array_foreach(a, i, v) {
		int w = snprintf(buf + n, size - n, "%s%s", n ? "; " : "",
				 json_string_value(v) ?: "?");
		if (w < 0 || (size_t)w >= size - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

static int show_one(const json_t *ans)
{
	static const char *const hdr[] = {"Unit", "Model", "Server", "Operation mode",
					  "Power status", "CRD disks", "Network heartbeat",
					  "Alive msg", "Verdict"};
	const json_t *s = json_object_get(ans, "su_cluster"), *row;
	struct table *kv = table_new(2, NULL), *t = table_new(9, hdr);
	char age[96], why[512], alive[48], verdict[160];
	size_t i, n;

	if (!kv || !t) {
		table_free(kv);
		table_free(t);
		return SECTL_EXIT_FAIL;
	}
	printf("SU Cluster %s: Status %s\n", show_str(s, "name") ?: "?",
	       show_snapshot_age(ans, age, sizeof(age)));
	table_add(kv, (const char *[]){"Cluster name:", show_str(s, "name")});
	table_add(kv, (const char *[]){"Function:", show_str(s, "function")});
	table_add(kv, (const char *[]){"SU type:", show_str(s, "su_type")});
	table_add(kv, (const char *[]){"Status summary:", show_str(s, "status")});
	reasons_text(json_object_get(s, "reasons"), why, sizeof(why));
	if (why[0])
		table_add(kv, (const char *[]){"Reasons:", why});
	table_add(kv, (const char *[]){"Fencing:", show_str(s, "fencing")});
	table_print(kv, stdout);
	printf("\nSU Cluster %s: Units\n", show_str(s, "name") ?: "?");
	json_array_foreach(json_object_get(s, "units_table"), i, row)
		table_add(t, (const char *[]){show_str(row, "unit"), show_str(row, "model"),
					      show_str(row, "server"), show_str(row, "operation_mode"),
					      show_str(row, "power_status"), show_str(row, "crd_disks"),
					      show_str(row, "network_heartbeat"),
					      show_alive_age(row, alive, sizeof(alive)),
					      show_alive_verdict(row, verdict, sizeof(verdict))});
	table_print(t, stdout);
	/* the seed counts the SUs ("Total: 2"), not the MU rows of an SU /390 Cluster */
	n = 0;
	json_array_foreach(json_object_get(s, "units_table"), i, row)
		n += show_str(row, "role") && !strcmp(show_str(row, "role"), "SU");
	table_free(kv);
	table_free(t);
	return print_total(n);
}

static int show_list(const json_t *ans)
{
	static const char *const hdr[] = {"Name", "SU type", "Units", "Status", "Fencing"};
	struct table *t = table_new(5, hdr);
	const json_t *s;
	char age[96], units[160];
	size_t i, n;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "su_clusters"), i, s) {
		const json_t *u = json_object_get(s, "units");
		snprintf(units, sizeof(units), "%s,%s", json_string_value(json_array_get(u, 0)) ?: "?",
			 json_string_value(json_array_get(u, 1)) ?: "?");
		table_add(t, (const char *[]){show_str(s, "name"), show_str(s, "su_type"), units,
					      show_str(s, "status"), show_str(s, "fencing")});
	}
	printf("SU Clusters %s\n", show_snapshot_age(ans, age, sizeof(age)));
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	return print_total(n);
}

static int cmd_show(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	const char *name = NULL;
	char path[128];
	int rc;

	if ((rc = read_args(argc, argv, false, true, &o, &name, NULL, NULL)) >= 0)
		return rc;
	snprintf(path, sizeof(path), "/api/v1/suclusters/%s", name);
	return sectl_get_show(&o, path, show_one);
}

static int cmd_list(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	int rc;

	if ((rc = read_args(argc, argv, false, false, &o, NULL, NULL, NULL)) >= 0)
		return rc;
	return sectl_get_show(&o, "/api/v1/suclusters", show_list);
}

int sectl_sucluster_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"create", cmd_create, false},
		{"activate", cmd_activate, false},
		{"deactivate", cmd_deactivate, false},
		{"delete", cmd_delete, false},
		{"show", cmd_show, false},
		{"list", cmd_list, false},
	};
	return sectl_dispatch("sucluster", usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc,
			      argv);
}
