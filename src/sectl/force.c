/* force.c — `sectl cluster force-master --i-understand [--unit NAME]` (crd.md §5; docs/api.md
 * POST /api/v1/cluster/force-master; README "Operating the cluster with sectl").
 *
 * With N = 2 external CRD disks and one of them unreachable (the seed's two-site layout
 * after an inter-site SAN failure), no Master MU can be elected. This asks ONE MU to claim
 * the master lease on the disks it reads. The request is not forwarded (there is no master
 * to forward to): without --unit it goes to the first MU of the configuration that answers;
 * with --unit NAME each address is tried in turn until the MU named NAME answers (the
 * others answer 421 "this is MU ..."). Exit: 0 forced, 1 refused or failed, 2 usage —
 * including a missing --i-understand, which prints what the operator takes on. */
#include "sectl/client.h"
#include "sectl/sectl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define FORCE_TIMEOUT_MS 120000 /* the claim takes claim_delay and a few I/Os */

static const char force_usage[] =
	"usage: sectl cluster force-master --i-understand [--unit NAME] [--json] [--config FILE]\n"
	"                                  [-v]\n";

static const char force_risk[] =
	"sectl cluster force-master makes one MU the Master MU while a CRD disk is down and no\n"
	"master can be elected (N = 2, crd.md §5). It is refused while a master lease block\n"
	"this MU can read changed within the lease timeout; but it cannot see the disk it does\n"
	"not reach. If an MU on the other side of a split still holds the lease there, the\n"
	"cluster then has TWO Master MUs, each writing its own global data; when the disks\n"
	"rejoin, the data of the lower term (the other side's) is discarded and an event lists\n"
	"what was lost. Make sure first that every MU of the other site is stopped or cannot\n"
	"reach its CRD disk. Then run it again with --i-understand.\n";

static int usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("cluster", force_usage, fmt, arg);
}

static int show(const json_t *ans)
{
	const json_t *d;
	size_t i;

	printf("Master MU forced on '%s' (term %lld; the lease is held on",
	       json_string_value(json_object_get(ans, "master_mu")),
	       (long long)json_integer_value(json_object_get(ans, "term")));
	json_array_foreach(json_object_get(ans, "disks"), i, d)
		printf("%s '%s'", i ? "," : "", json_string_value(d));
	printf(")\n");
	return fflush(stdout) == EOF ? SECTL_EXIT_FAIL : SECTL_EXIT_OK;
}

/* Tries each address in turn until the MU named unit answers something else than 421. */
static int call_unit(struct sectl_client *c, const char *unit, const json_t *body,
		     json_t **ret, struct sec_err *err)
{
	char tried[768];
	size_t n = 0;
	int r = -EHOSTUNREACH;

	tried[0] = '\0';
	for (size_t i = 0; i < sectl_client_naddrs(c); i++) {
		sectl_client_pin(c, (int)i);
		r = sectl_client_call(c, "POST", "/api/v1/cluster/force-master", body, 0, ret, err);
		if (r == 0 || (r != -EHOSTUNREACH && sectl_client_http_status(c) != 421))
			return r;
		if (n < sizeof(tried))
			n += (size_t)snprintf(tried + n, sizeof(tried) - n, "%s%s (%s)", n ? ", " : "",
					      sectl_client_addr_at(c, i),
					      r == -EHOSTUNREACH ? "no answer" : "another MU");
	}
	return sec_errf(err, -ENOENT, "no MU named '%s' answered at any API address of the "
			"configuration: %s", unit, tried);
}

int sectl_cluster_force_master(int argc, char **argv)
{
	enum { OPT_UNDERSTAND = SECTL_OPT_FIRST_FREE, OPT_UNIT };
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"i-understand", no_argument, NULL, OPT_UNDERSTAND},
					     {"unit", required_argument, NULL, OPT_UNIT},
					     {0}};
	struct sectl_api_opts o = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	const char *unit = NULL;
	bool understood = false;
	json_t *body, *ans = NULL;
	int ch, rc, r;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(force_usage, stdout);
			fputs(force_risk, stdout);
			return SECTL_EXIT_OK;
		} else if (ch == OPT_UNDERSTAND) {
			understood = true;
		} else if (ch == OPT_UNIT) {
			unit = optarg;
		} else if (!sectl_api_opt(&o, ch, optarg)) {
			return usage_error("%s", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (!understood) {
		fprintf(stderr, "sectl cluster: force-master needs --i-understand\n\n%s", force_risk);
		return SECTL_EXIT_USAGE;
	}
	if (unit && !*unit)
		return usage_error("%s", "--unit needs the name of an MU");
	if ((rc = sectl_connect(&o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	sectl_client_set_timeout(c, FORCE_TIMEOUT_MS);
	body = unit ? json_pack("{s:s}", "unit", unit) : json_object();
	if (!body)
		r = sec_errf(&err, -ENOMEM, "out of memory");
	else if (unit)
		r = call_unit(c, unit, body, &ans, &err);
	else
		r = sectl_client_call(c, "POST", "/api/v1/cluster/force-master", body, 0, &ans,
				      &err);
	if (r < 0)
		rc = sectl_fail(&err);
	else
		rc = o.json ? sectl_print_json(ans) : show(ans);
	json_decref(body);
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}
