/* lab_add.c — `sectl lab add-server --dir DIR [--mus M] [--sus K]`: a third (fourth ...) SE
 * Server joins the running lab without downtime (issue 3 topology bullet and the test "a
 * third SE Server added to the running cluster"; seed 2.1), the way an operator does it:
 *
 *   1. plan the server's units (next names, next free unit ids, their ports; lab_plan.c);
 *   2. make their files: directory, data directory, internal CRD disk recording the lab's
 *      external set, secd.conf (lab_setup.c);
 *   3. log in as admin (DIR/admin.password) and POST /api/v1/servers with the units: the
 *      Master MU writes the new global data (an MU that is not the master forwards it);
 *   4. start each new secd and record it in lab.json at once (so `lab down` stops it);
 *   5. wait until every new unit's alive message says RUNNING; DIR/sectl.conf gets the new
 *      MUs' API addresses.
 * A failure before the API took the server removes the new units' files (nothing ran);
 * after it the files stay and the message says what to do. */
#include "auth/password.h"
#include "lib/clock.h"
#include "sectl/client.h"
#include "sectl/lab.h"
#include "sectl/sectl.h"
#include "sectl/topology.h"

#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WAIT_POLL_MS 100

static const char add_usage[] = "usage: sectl lab add-server --dir DIR [--mus M] [--sus K]\n";

static int fail(const char *msg)
{
	fprintf(stderr, "sectl lab: %s\n", msg);
	return SECTL_EXIT_FAIL;
}

static int count_arg(const char *name, const char *arg, int max, int *ret)
{
	char *end, msg[96];
	long v = strtol(arg, &end, 10);

	if (!*arg || *end || v < 0 || v > max) {
		snprintf(msg, sizeof(msg), "--%s '%.32s' is not a number in 0..%d", name, arg, max);
		return sectl_usage_error("lab", add_usage, "%s", msg);
	}
	*ret = (int)v;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *f)
{
	return type == FTW_DP ? rmdir(path) : unlink(path);
}

/* Before the API took them: the new units' directories go (nothing of them ran). */
static void remove_new_units(const struct lab *lab, int first)
{
	char rel[64], path[LAB_PATH_MAX];

	for (int i = first; i < lab->n_units; i++) {
		snprintf(rel, sizeof(rel), "units/%s", lab->units[i].name);
		nftw(lab_path(lab, rel, path), rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
}

/* The body of POST /api/v1/servers: the new server and its units (docs/api.md). */
static json_t *server_body(const struct lab *lab, int first)
{
	char name[16], server[16];
	json_t *units = json_array(), *b;

	lab_server_name(lab->n_servers, name);
	for (int i = first; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "name", u->name, "unit_id",
				      (json_int_t)u->unit_id, "role", u->mu ? "MU" : "SU", "server",
				      lab_server_name(u->server, server), "api", u->api,
				      "heartbeat", u->heartbeat);
		if (j && !u->mu)
			json_object_set_new(j, "su_type", json_string(lab->su390 && !u->sim ? "390"
										   : "x86"));
		json_array_append_new(units, j);
	}
	b = json_pack("{s:s, s:s, s:s, s:o}", "name", name, "model", "SE lab", "location", "lab",
		      "units", units);
	return b;
}

/* POST /api/v1/servers; a 503 (no Master MU yet: a lab just started, or a takeover) is
 * a definite answer that nothing was done: asked again until the deadline. */
static int add_call(const struct lab *lab, struct sectl_client *c, const json_t *body,
		    json_t **ans, struct sec_err *err)
{
	unsigned limit_s = lab->profile == CRD_PROFILE_TEST ? 15 : 30;
	uint64_t deadline = clock_monotonic_ns() + limit_s * NSEC_PER_SEC;
	struct timespec ts = {.tv_nsec = 200 * 1000000L};
	int r;

	while ((r = sectl_client_call(c, "POST", "/api/v1/servers", body, 0, ans, err)) < 0 &&
	       sectl_client_http_status(c) == 503 && clock_monotonic_ns() < deadline)
		nanosleep(&ts, NULL);
	return r;
}

int lab_api_client(const struct lab *lab, struct sectl_client **ret, struct sec_err *err)
{
	char path[LAB_PATH_MAX], pw[AUTH_PASSWORD_MAX + 1];
	struct sectl_client *c = NULL;
	json_t *login = NULL, *ans = NULL;
	int r;

	*ret = NULL;
	if ((r = sectl_client_open(lab_path(lab, "sectl.conf", path), false, &c, err)) < 0)
		return r;
	r = auth_password_read_file(lab_path(lab, "admin.password", path), pw, sizeof(pw), err);
	if (r >= 0) {
		login = json_pack("{s:s, s:s}", "account", "admin", "password", pw);
		r = sectl_client_call(c, "POST", "/api/v1/login", login, SECTL_CALL_NO_TOKEN, &ans,
				      err);
		if (login) /* jansson keeps a copy of the password: wipe it */
			auth_password_wipe((char *)json_string_value(json_object_get(login, "password")),
					   strlen(pw));
		auth_password_wipe(pw, sizeof(pw));
	}
	if (r >= 0)
		r = sectl_client_set_token(c, json_string_value(json_object_get(ans, "token")) ? : "",
					   err);
	json_decref(ans);
	json_decref(login);
	if (r < 0) {
		sectl_client_free(c);
		return r;
	}
	*ret = c;
	return 0;
}

/* Logs in as admin with DIR/admin.password (token in memory only) and adds the server. */
static int api_add_server(const struct lab *lab, int first, struct sec_err *err)
{
	struct sectl_client *c = NULL;
	json_t *ans = NULL, *body = NULL;
	int r;

	if ((r = lab_api_client(lab, &c, err)) < 0)
		return r;
	if (!(body = server_body(lab, first)))
		r = sec_errf(err, -ENOMEM, "out of memory");
	if (r >= 0)
		r = add_call(lab, c, body, &ans, err);
	if (r >= 0)
		sectl_topology_print(ans, stdout);
	json_decref(body);
	json_decref(ans);
	sectl_client_free(c);
	return r;
}

/* Starts the new units, each recorded in lab.json at once. */
static int start_new(struct lab *lab, int first, struct sec_err *err)
{
	struct lab_bins bins;
	int r;

	if ((r = lab_find_bins(lab, &bins, err)) < 0)
		return r;
	for (int i = first; i < lab->n_units; i++)
		if ((r = lab_unit_start_all(lab, &lab->units[i], &bins, err)) < 0 ||
		    (r = lab_state_write(lab, err)) < 0)
			return r;
	return 0;
}

/* Until every new unit's alive message says RUNNING, one ends, or the deadline. */
static int wait_new(const struct lab *lab, int first)
{
	unsigned limit_s = lab->profile == CRD_PROFILE_TEST ? 15 : 30;
	uint64_t deadline = clock_monotonic_ns() + limit_s * NSEC_PER_SEC;
	struct timespec ts = {.tv_nsec = WAIT_POLL_MS * 1000000L};
	struct lab_view v;
	bool all;

	for (;;) {
		for (int i = first; i < lab->n_units; i++)
			if (!lab_unit_running(&lab->units[i])) {
				fprintf(stderr, "sectl lab: unit '%s' (pid %d) ended; the end of %s:\n",
					lab->units[i].name, (int)lab->units[i].pid, lab->units[i].log);
				lab_print_tail(lab->units[i].log, 15, stderr);
				return -ECHILD;
			}
		lab_observe(lab, &v);
		all = true;
		for (int i = first; i < lab->n_units; i++)
			all &= v.alive[i];
		if (all)
			return 0;
		if (clock_monotonic_ns() >= deadline)
			break;
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "sectl lab: the new units did not all start within %u s:\n", limit_s);
	for (int i = first; i < lab->n_units; i++)
		if (!v.alive[i]) {
			fprintf(stderr, "  unit '%s': no alive message yet; the end of %s:\n",
				lab->units[i].name, lab->units[i].log);
			lab_print_tail(lab->units[i].log, 5, stderr);
		}
	return -ETIMEDOUT;
}

static void print_new(const struct lab *lab, int first)
{
	char server[16];

	printf("started %d unit%s (secd) of %s:\n", lab->n_units - first,
	       lab->n_units - first == 1 ? "" : "s", lab_server_name(lab->n_servers, server));
	printf("  %-6s %-4s %-9s %-8s %s\n", "Unit", "Role", "Server", "PID", "API");
	for (int i = first; i < lab->n_units; i++) {
		const struct lab_unit *u = &lab->units[i];
		printf("  %-6s %-4s %-9s %-8d %s\n", u->name, u->mu ? "MU" : "SU",
		       lab_server_name(u->server, server), (int)u->pid, u->api);
	}
}

/* The lab runs: at least one MU of lab.json runs (the API needs a Master MU). */
static bool lab_runs(const struct lab *lab)
{
	for (int i = 0; i < lab->n_units; i++)
		if (lab->units[i].mu && lab_unit_running(&lab->units[i]))
			return true;
	return false;
}

/* Everything after the options, under the DIR lock. */
static int add_server(struct lab *lab, int mus, int sus)
{
	struct sec_err err = {0};
	int first = lab->n_units, r;

	if (mus < 0)
		mus = lab->mus_per_server > 0 ? lab->mus_per_server : 1;
	if (sus < 0)
		sus = lab->sus_per_server;
	if (!lab_runs(lab))
		return fail("the lab does not run (no MU of it runs): start it with 'sectl lab up'");
	if (lab_plan_add_server(lab, mus, sus, &err) < 0)
		return fail(err.msg);
	struct lab_bins bins; /* checked before anything is made: a missing guard is named */
	if (lab_find_bins(lab, &bins, &err) < 0 ||
	    (sus && !lab->guest_image[0] && lab_find_guest_image(lab, NULL, &err) < 0)) {
		remove_new_units(lab, first);
		return fail(err.msg);
	}
	for (int i = first; i < lab->n_units; i++)
		if ((r = lab_setup_unit_files(lab, &lab->units[i], &err)) < 0) {
			remove_new_units(lab, first);
			return fail(err.msg);
		}
	if (api_add_server(lab, first, &err) < 0) {
		remove_new_units(lab, first);
		fprintf(stderr, "sectl lab: the cluster did not take the new server (nothing was "
				"changed or started):\n");
		return fail(err.msg);
	}
	fflush(stdout);
	if (start_new(lab, first, &err) < 0 || wait_new(lab, first) < 0) {
		if (err.msg[0])
			fprintf(stderr, "sectl lab: %s\n", err.msg);
		fprintf(stderr, "sectl lab: the new server is in the cluster's global data, but not "
				"every unit of it runs; their files and logs are in %s/units; "
				"'sectl lab down' stops what started\n", lab->dir);
		return SECTL_EXIT_FAIL;
	}
	if (lab_write_sectl_conf(lab, &err) < 0)
		return fail(err.msg);
	print_new(lab, first);
	return SECTL_EXIT_OK;
}

int lab_cmd_add_server(int argc, char **argv)
{
	static const struct option opts[] = {{"dir", required_argument, NULL, 'd'},
					     {"mus", required_argument, NULL, 'm'},
					     {"sus", required_argument, NULL, 'k'},
					     {0}};
	const char *dir_arg = NULL;
	char dir[LAB_DIR_MAX];
	struct sec_err err = {0};
	struct lab *lab;
	int ch, lockfd, mus = -1, sus = -1, rc;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch == 'd')
			dir_arg = optarg;
		else if (ch == 'm' && (rc = count_arg("mus", optarg, LAB_MUS_PER_SERVER_MAX, &mus)))
			return rc;
		else if (ch == 'k' && (rc = count_arg("sus", optarg, LAB_SUS_PER_SERVER_MAX, &sus)))
			return rc;
		else if (ch != 'm' && ch != 'k')
			return sectl_usage_error("lab", add_usage, "%s", "bad option");
	}
	if (optind < argc)
		return sectl_usage_error("lab", add_usage, "unexpected argument '%s'", argv[optind]);
	if (!dir_arg)
		return sectl_usage_error("lab", add_usage, "%s", "add-server needs --dir DIR");
	if (lab_absolute_dir(dir_arg, dir, &err) < 0 || (lockfd = lab_lock_dir(dir, &err)) < 0)
		return fail(err.msg);
	if (!(lab = lab_new())) {
		close(lockfd);
		return fail("out of memory");
	}
	if (lab_state_read(dir, lab, &err) < 0)
		rc = fail(err.msg);
	else
		rc = add_server(lab, mus, sus);
	close(lockfd);
	lab_free(lab);
	return rc;
}
