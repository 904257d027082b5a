/* sectl.h — the verb groups of the sectl command table (main.c). Each takes the arguments
 * after the group name (argv[0] is the group) and returns the exit status: 0 success,
 * 1 the operation failed (one line on stderr naming the thing), 2 usage error. */
#ifndef SEC_SECTL_H
#define SEC_SECTL_H

#include <stdbool.h>
#include <stddef.h>

#define SECTL_EXIT_OK 0
#define SECTL_EXIT_FAIL 1
#define SECTL_EXIT_USAGE 2

/* A subcommand of a verb group: takes the arguments after the group (argv[0] = its name). */
struct sectl_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	bool group_help; /* no usage text of its own: `--help`/`-h` anywhere after the
			  * subcommand prints the group's usage on stdout (exit 0) */
};

/* Prints "sectl GROUP: MESSAGE" (fmt with one %s for arg) and the group's usage text on
 * stderr; returns SECTL_EXIT_USAGE. */
int sectl_usage_error(const char *group, const char *usage, const char *fmt, const char *arg);
/* Runs the subcommand argv[1] of a group (argv[0] = the group), resetting getopt; an
 * unknown or missing subcommand is a usage error. Returns the exit status. */
int sectl_dispatch(const char *group, const char *usage, const struct sectl_cmd *cmds, size_t n,
		   int argc, char **argv);

/* `sectl crd format|inspect|verify|replace` (src/sectl/crd.c). */
int sectl_crd_main(int argc, char **argv);
/* `sectl cluster init|show` (src/sectl/cluster.c). */
int sectl_cluster_main(int argc, char **argv);
/* `sectl cluster status` over the REST API (src/sectl/status.c). */
int sectl_cluster_status(int argc, char **argv);
/* `sectl cluster force-master` over the REST API (src/sectl/force.c). */
int sectl_cluster_force_master(int argc, char **argv);
/* The online `sectl crd replace OLD NEW` over the REST API (src/sectl/crd_online.c). */
struct sectl_api_opts;
int sectl_crd_replace_online(const struct sectl_api_opts *o, const char *old, const char *new_path);
/* `sectl units`, `sectl clusters` (src/sectl/status.c). */
int sectl_units_main(int argc, char **argv);
int sectl_clusters_main(int argc, char **argv);
/* `sectl login`, `sectl logout` (src/sectl/login.c). */
int sectl_login_main(int argc, char **argv);
int sectl_logout_main(int argc, char **argv);
/* `sectl events [filters] [--follow]`, `sectl events ack` (src/sectl/events.c). */
int sectl_events_main(int argc, char **argv);
/* `sectl audit [filters]` (src/sectl/audit.c). */
int sectl_audit_main(int argc, char **argv);
/* `sectl server add|remove`, `sectl unit add|remove` through the Master MU
 * (src/sectl/topology.c). */
int sectl_server_main(int argc, char **argv);
int sectl_unit_main(int argc, char **argv);
/* `sectl sucluster create|activate|deactivate|delete|show|list` through the Master MU
 * (src/sectl/sucluster.c). */
int sectl_sucluster_main(int argc, char **argv);
/* `sectl systems`, `sectl sdf SU 'COMMAND'`, `sectl console SU` (src/sectl/su.c). */
int sectl_systems_main(int argc, char **argv);
int sectl_sdf_main(int argc, char **argv);
int sectl_console_main(int argc, char **argv);
/* `sectl vm migrate VM ...` (src/sectl/vm.c), `sectl vm lm-resolve VM ...` (vmresolve.c). */
int sectl_vm_main(int argc, char **argv);
/* `sectl lab up|status|down|add-server` (src/sectl/lab.c). */
int sectl_lab_main(int argc, char **argv);

#endif
