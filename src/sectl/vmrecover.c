/* vmrecover.c — `sectl vm recover`: /RECOVER-VM-DEFINITION on the surviving SU of an SU
 * Cluster after its partner failed (issue 7; seed 5; vm2000-facts.md §1.11; crd.md §6).
 *
 *   sectl vm recover VM [--from SU] [--on SU] [--confirm-down] [--json]
 *
 * --from: the failed SU whose definition of VM is taken over; the command runs on its
 * partner in the SU Cluster (GET /api/v1/suclusters), or on --on. Without --from and --on:
 * the one SU of an SU Cluster that `sectl units` shows dead or undeterminable (GET
 * /api/v1/units, alive_verdict); none or several: name it with --from. With --on alone the
 * SU takes it from its partner (*UNIQUE). --confirm-down: the operator
 * confirms that the failed SU is down, needed when the CRD cannot tell (fencing none, two
 * CRD disks with one unreadable: VMS2349). Prints the SU's messages; exit 0 when the
 * definition was recovered (VMS2340), 1 when refused or in doubt (VMS2348). */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/vm.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char sectl_vm_recover_usage[] =
    "usage: sectl vm recover VM [--from SU] [--on SU] [--confirm-down] [--json]\n"
    "                           [--config FILE] [-v]\n"
    "takes over the VM definition VM from the failed SU --from on its partner in the SU\n"
    "Cluster (or on --on): /RECOVER-VM-DEFINITION; without --from, the one SU that sectl\n"
    "units shows dead or undeterminable. Refused while the failed SU may still\n"
    "run (VMS2344); when the CRD cannot tell (VMS2349) --confirm-down says it is down.\n"
    "Then /ACTIVATE-VM-DEFINITION and /START-VM it there (sectl sdf).\n";

enum { OPT_FROM = SECTL_OPT_FIRST_FREE, OPT_ON, OPT_CONFIRM };

struct recover {
	const char *vm, *from, *on;
	bool confirm;
	struct sectl_api_opts o;
};

static int recover_args(int argc, char **argv, struct recover *q)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"from", required_argument, NULL, OPT_FROM},
					     {"on", required_argument, NULL, OPT_ON},
					     {"confirm-down", no_argument, NULL, OPT_CONFIRM},
					     {0}};
	const char *u = sectl_vm_recover_usage;
	int ch;

	while ((ch = getopt_long(argc, argv, "-" SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(u, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&q->o, ch, optarg))
			continue;
		if (ch == 1 && !q->vm)
			q->vm = optarg;
		else if (ch == 1)
			return sectl_usage_error("vm", u, "unexpected argument '%s'", optarg);
		else if (ch == OPT_FROM)
			q->from = optarg;
		else if (ch == OPT_ON)
			q->on = optarg;
		else if (ch == OPT_CONFIRM)
			q->confirm = true;
		else
			return sectl_usage_error("vm", u, "%s", "bad option");
	}
	if (optind < argc && !q->vm)
		q->vm = argv[optind++];
	if (optind < argc)
		return sectl_usage_error("vm", u, "unexpected argument '%s'", argv[optind]);
	if (!q->vm)
		return sectl_usage_error("vm", u, "%s", "missing VM");
	if (sectl_vm_index(q->vm) > 0)
		return sectl_usage_error("vm", u, "%s", "VM: a VM name (RECOVER takes no index)");
	return -1;
}

/* The one SU that the units view shows dead or undeterminable, into buf. */
static int failed_su(struct sectl_client *c, char *buf, size_t size)
{
	struct sec_err err = {0};
	json_t *ans = NULL, *u;
	char names[256] = "";
	size_t i, n = 0;

	if (sectl_client_call(c, "GET", "/api/v1/units", NULL, 0, &ans, &err) < 0)
		return sectl_fail(&err);
	json_array_foreach(json_object_get(ans, "units"), i, u)
	{
		const char *name = show_str(u, "name"), *role = show_str(u, "role");
		const char *v = show_str(u, "alive_verdict");
		if (!name || !role || strcmp(role, "SU") || !v ||
		    (strcmp(v, "dead") && strcmp(v, "undeterminable")))
			continue;
		if (n++ == 0)
			snprintf(buf, size, "%s", name);
		size_t l = strlen(names);
		snprintf(names + l, sizeof(names) - l, "%s%s", l ? ", " : "", name);
	}
	json_decref(ans);
	if (n == 1)
		return SECTL_EXIT_OK;
	if (n == 0)
		fprintf(stderr, "sectl: no SU is dead or undeterminable (sectl units); name the "
			"failed SU with --from\n");
	else
		fprintf(stderr, "sectl: the SUs %s are dead or undeterminable: name the failed SU "
			"with --from\n", names);
	return SECTL_EXIT_FAIL;
}

/* The partner of SU from in its SU Cluster, into buf. */
static int partner_of(struct sectl_client *c, const char *from, char *buf, size_t size)
{
	struct sec_err err = {0};
	json_t *ans = NULL, *sc;
	size_t i;
	int rc = SECTL_EXIT_FAIL;

	if (sectl_client_call(c, "GET", "/api/v1/suclusters", NULL, 0, &ans, &err) < 0)
		return sectl_fail(&err);
	json_array_foreach(json_object_get(ans, "su_clusters"), i, sc)
	{
		const json_t *u = json_object_get(sc, "units");
		const char *a = json_string_value(json_array_get(u, 0));
		const char *b = json_string_value(json_array_get(u, 1));
		if (a && b && (!strcasecmp(a, from) || !strcasecmp(b, from))) {
			snprintf(buf, size, "%s", !strcasecmp(a, from) ? b : a);
			rc = SECTL_EXIT_OK;
			break;
		}
	}
	if (rc != SECTL_EXIT_OK)
		fprintf(stderr, "sectl: SU '%s' is in no SU Cluster (sectl sucluster list); name the "
			"SU that takes the definition with --on\n", from);
	json_decref(ans);
	return rc;
}

int sectl_vm_recover(int argc, char **argv)
{
	struct recover q = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	char on[128], from[128], path[192];
	json_t *ans = NULL, *body;
	const json_t *m;
	size_t i;
	int rc = recover_args(argc, argv, &q);

	if (rc >= 0)
		return rc;
	if ((rc = sectl_connect(&q.o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (!q.from && !q.on) {
		if ((rc = failed_su(c, from, sizeof(from))) != SECTL_EXIT_OK)
			goto out;
		q.from = from;
	}
	if (q.on)
		snprintf(on, sizeof(on), "%s", q.on);
	else if ((rc = partner_of(c, q.from, on, sizeof(on))) != SECTL_EXIT_OK)
		goto out;
	if (strchr(on, '/') || strchr(on, '?')) {
		rc = sectl_usage_error("vm", sectl_vm_recover_usage, "bad SU name '%s'", on);
		goto out;
	}
	snprintf(path, sizeof(path), "/api/v1/sus/%s/recover", on);
	body = json_pack("{s:s, s:s, s:b}", "vm", q.vm, "from", q.from ? q.from : "*UNIQUE",
			 "confirm_down", q.confirm);
	rc = sectl_client_call(c, "POST", path, body, 0, &ans, &err);
	json_decref(body);
	if (rc < 0) {
		rc = sectl_fail(&err);
		goto out;
	}
	if (q.o.json) {
		rc = sectl_print_json(ans);
	} else {
		json_array_foreach(json_object_get(ans, "messages"), i, m)
			sectl_vm_put_line(json_string_value(m));
		rc = SECTL_EXIT_OK;
	}
	const char *mc = show_str(json_object_get(ans, "rc"), "maincode");
	if (!json_is_true(json_object_get(ans, "ok")) || (mc && !strcmp(mc, "VMS2348"))) {
		if (!q.o.json)
			fprintf(stderr, "sectl: VM definition '%s' %s on SU '%s' (%s)\n", q.vm,
				mc && !strcmp(mc, "VMS2348") ? "recovered in doubt" : "not recovered",
				on, mc ? mc : "no return code");
		rc = SECTL_EXIT_FAIL;
	}
out:
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}
