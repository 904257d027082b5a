/* status.c — `sectl cluster status`, `sectl units`, `sectl clusters`: the status snapshot
 * of the Master MU's Cluster Manager as the API publishes it (docs/api.md; status.md §1, §2,
 * §4; seed 1.4 dashboard tile and cluster overview, 2.2 Management Cluster window, 2.3 the
 * global unit overview). Read-only; --json prints the server's answer as it is. */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/table.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* A unit's CRD disks status older than this is shown with its age: the master asks every
 * hb_interval (1 s), so an older report is one a silent unit left behind (status.md §1). */
#define CRD_REPORT_STALE_MS 3000

static const char status_usage[] = "usage: sectl cluster status [--json] [--config FILE] [-v]\n";
static const char units_usage[] = "usage: sectl units [--json] [--config FILE] [-v]\n";
static const char clusters_usage[] = "usage: sectl clusters [--json] [--config FILE] [-v]\n";

/* The options of a read command without filters. Returns -1 to go on, else the exit status. */
static int read_opts(const char *group, const char *usage, int argc, char **argv,
		     struct sectl_api_opts *o)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS, {0}};
	int ch;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (!sectl_api_opt(o, ch, optarg))
			return sectl_usage_error(group, usage, "%s", "bad option");
	}
	if (optind < argc)
		return sectl_usage_error(group, usage, "unexpected argument '%s'", argv[optind]);
	return -1;
}

static long long jint(const json_t *o, const char *key, long long dflt)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

static int print_total(size_t n)
{
	printf("Total: %zu\n", n);
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

/* The dashboard tile "Cluster" (seed 1.4, status.md §4): every cluster, then the
 * Management Cluster (absent with one SE Server) and the SU Clusters, count and status. */
static void print_tile(const json_t *snap)
{
	const json_t *d = json_object_get(snap, "dashboard");
	const json_t *mc = json_object_get(snap, "management_cluster");
	long long all = jint(d, "clusters", 0), su = jint(d, "su_clusters", 0);
	char n_all[24], n_mc[24], n_su[24];
	struct table *t = table_new(3, NULL);

	if (!t)
		return;
	snprintf(n_all, sizeof(n_all), "%lld", all);
	snprintf(n_mc, sizeof(n_mc), "%lld", all - su);
	snprintf(n_su, sizeof(n_su), "%lld", su);
	table_add(t, (const char *[]){"Cluster", n_all, show_str(d, "worst")});
	if (!json_is_false(json_object_get(mc, "present")))
		table_add(t, (const char *[]){"  Management Cluster", n_mc,
					      show_str(d, "management")});
	table_add(t, (const char *[]){"  SU Clusters", n_su, show_str(d, "su_worst")});
	table_print(t, stdout);
	table_free(t);
}

/* The Management Cluster summary (seed 2.2, status.md §2): status summary, IP networks
 * ISL-E (and every server pair that is not NORMAL), Master MU with its CRD status. */
static void print_summary(const json_t *snap)
{
	const json_t *mc = json_object_get(snap, "management_cluster"), *pair;
	const char *master = show_str(snap, "master_mu");
	struct table *t = table_new(3, NULL);
	char name[160];
	size_t i;

	if (!t)
		return;
	table_add(t, (const char *[]){"Status summary", "", show_str(snap, "status")});
	table_add(t, (const char *[]){"IP networks ISL-E", "", show_str(snap, "isl_e")});
	json_array_foreach(json_object_get(mc, "isl_e_pairs"), i, pair) {
		const char *st = show_str(pair, "status");
		if (st && !strcmp(st, "NORMAL"))
			continue;
		snprintf(name, sizeof(name), "  %s - %s", show_str(pair, "a") ? show_str(pair, "a") : "?",
			 show_str(pair, "b") ? show_str(pair, "b") : "?");
		table_add(t, (const char *[]){name, "", st});
	}
	table_add(t, (const char *[]){"Master MU", master ? master : "none",
				      master ? show_str(snap, "master_crd") : "-"});
	if (json_is_true(json_object_get(mc, "versions_differ")))
		table_add(t, (const char *[]){"Software versions", "", "differ between the MUs"});
	printf("Management Cluster summary\n");
	table_print(t, stdout);
	table_free(t);
}

/* "NORMAL", or "WARNING (12 s old)" for a report a silent unit left behind. */
static const char *crd_disks(const json_t *u, char *buf, size_t size)
{
	const json_t *age = json_object_get(u, "crd_disks_age_ms");
	const char *st = show_str(u, "crd_disks");
	char a[32];

	if (!st || !json_is_number(age) || json_number_value(age) <= CRD_REPORT_STALE_MS)
		return st;
	snprintf(buf, size, "%s (%s old)", st, show_age((long long)json_number_value(age), a,
							  sizeof(a)));
	return buf;
}

/* The MU table of seed 2.2. */
static size_t print_mus(const json_t *snap)
{
	static const char *const hdr[] = {"Management Unit", "Server", "Power status",
					  "CRD disks", "Network heartbeat"};
	struct table *t = table_new(5, hdr);
	const json_t *u;
	char crd[96];
	size_t i, n = 0;

	if (!t)
		return 0;
	json_array_foreach(json_object_get(snap, "units"), i, u) {
		const char *role = show_str(u, "role");
		if (!role || strcmp(role, "MU"))
			continue;
		table_add(t, (const char *[]){show_str(u, "name"), show_str(u, "server"),
					      show_str(u, "power_status"),
					      crd_disks(u, crd, sizeof(crd)),
					      show_str(u, "network_heartbeat")});
	}
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	return n;
}

static int show_cluster_status(const json_t *snap)
{
	const char *name = show_str(snap, "cluster");
	char age[96];

	printf("Cluster '%s' %s\n", name ? name : "?", show_snapshot_age(snap, age, sizeof(age)));
	if (!show_str(snap, "master_mu"))
		printf("No Master MU is known: unit statuses are UNKNOWN, the Management Cluster "
		       "is ERROR.\n");
	putchar('\n');
	print_tile(snap);
	putchar('\n');
	print_summary(snap);
	putchar('\n');
	return print_total(print_mus(snap));
}

int sectl_cluster_status(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	int rc = read_opts("cluster", status_usage, argc, argv, &o);

	return rc >= 0 ? rc : sectl_get_show(&o, "/api/v1/cluster/status", show_cluster_status);
}

/* The global unit overview (seed 2.3, status.md §1). */
static int show_units(const json_t *ans)
{
	static const char *const hdr[] = {"Unit", "Role", "Server", "Power status",
					  "Network heartbeat", "CRD disks", "Alive msg", "Verdict",
					  "System status", "Status"};
	struct table *t = table_new(10, hdr);
	const json_t *u;
	char age[96], alive[48], verdict[160], crd[96];
	size_t i, n;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "units"), i, u)
		table_add(t, (const char *[]){show_str(u, "name"), show_str(u, "role"),
					      show_str(u, "server"), show_str(u, "power_status"),
					      show_str(u, "network_heartbeat"),
					      crd_disks(u, crd, sizeof(crd)),
					      show_alive_age(u, alive, sizeof(alive)),
					      show_alive_verdict(u, verdict, sizeof(verdict)),
					      show_str(u, "system_status"), show_str(u, "status")});
	printf("Units %s\n", show_snapshot_age(ans, age, sizeof(age)));
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	return print_total(n);
}

int sectl_units_main(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	int rc = read_opts("units", units_usage, argc, argv, &o);

	return rc >= 0 ? rc : sectl_get_show(&o, "/api/v1/units", show_units);
}

/* The cluster overview (seed 1.4, status.md §4). */
static int show_clusters(const json_t *ans)
{
	static const char *const hdr[] = {"Name", "Type", "Function", "Status"};
	struct table *t = table_new(4, hdr);
	const json_t *cl;
	char age[96];
	size_t i, n;

	if (!t)
		return SECTL_EXIT_FAIL;
	json_array_foreach(json_object_get(ans, "clusters"), i, cl)
		table_add(t, (const char *[]){show_str(cl, "name"), show_str(cl, "type"),
					      show_str(cl, "function"), show_str(cl, "status")});
	printf("Cluster overview %s\n", show_snapshot_age(ans, age, sizeof(age)));
	table_print(t, stdout);
	n = table_rows(t);
	table_free(t);
	return print_total(n);
}

int sectl_clusters_main(int argc, char **argv)
{
	struct sectl_api_opts o = {0};
	int rc = read_opts("clusters", clusters_usage, argc, argv, &o);
	return rc >= 0 ? rc : sectl_get_show(&o, "/api/v1/clusters", show_clusters);
}
