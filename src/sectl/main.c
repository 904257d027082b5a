/* sectl — the secluster command-line client: a table of verb groups, one file each. */
#include "lib/log.h"
#include "sectl/sectl.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
} groups[] = {
	{"crd", sectl_crd_main, "format, inspect, verify and replace CRD disks"},
	{"cluster", sectl_cluster_main, "init and show the global data (CRD region 0); status"},
	{"login", sectl_login_main, "log in to the cluster's API (writes the token file)"},
	{"logout", sectl_logout_main, "log out (removes the token file)"},
	{"server", sectl_server_main, "add or remove an SE Server of the running cluster"},
	{"unit", sectl_unit_main, "add or remove a unit (MU, SU) of the running cluster"},
	{"units", sectl_units_main, "the global unit overview"},
	{"clusters", sectl_clusters_main, "the cluster overview"},
	{"sucluster", sectl_sucluster_main, "create, activate, deactivate, delete, show and list SU Clusters"},
	{"events", sectl_events_main, "event logging: list, follow, acknowledge"},
	{"audit", sectl_audit_main, "audit logging"},
	{"systems", sectl_systems_main, "the systems of every SU (monitors and guests)"},
	{"sdf", sectl_sdf_main, "run a VM2000 command on an SU's monitor"},
	{"console", sectl_console_main, "an SU's monitor console or a guest's KVP console"},
	{"vm", sectl_vm_main, "migrate (live), recover after an SU outage, lm-resolve a VM"},
	{"lab", sectl_lab_main, "up, status, down, add-server, start, kill: a lab on this host"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: sectl COMMAND ...   (sectl --version: its version)\n");
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		fprintf(out, "  %-8s %s\n", groups[i].name, groups[i].summary);
}

int main(int argc, char **argv)
{
	log_init("sectl", 0);
	if (argc < 2) {
		usage(stderr);
		return SECTL_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return SECTL_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("sectl %s\n", SECLUSTER_VERSION);
		return SECTL_EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (!strcmp(argv[1], groups[i].name))
			return groups[i].main(argc - 1, argv + 1);
	fprintf(stderr, "sectl: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return SECTL_EXIT_USAGE;
}
