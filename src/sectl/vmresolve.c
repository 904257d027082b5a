/* vmresolve.c — `sectl vm lm-resolve`: the operator's decision on a Live Migration in doubt
 * whose outcome the CRD cannot tell (crd.md §6; docs/lm.md crash table row 6).
 *
 *   sectl vm lm-resolve VM [--su SU] --resume-source|--discard-source --i-understand
 *
 * The source SU asked the target to commit, got no answer, and the target's CRD region
 * cannot be read (VMS2428): the guest stays stopped on the source. --resume-source: the
 * guest continues on the source (right when the target did not commit, or its copy is
 * known gone); --discard-source: the source quits its QEMU and drops its copy of the VM
 * definition (right when the target committed). A wrong decision runs the guest twice or
 * loses it, hence --i-understand. Administrators only; audited ("Action=LM resolve").
 * Finds the LM in doubt of VM on SU --su (default: the SU that has VM, sectl systems),
 * POSTs the decision and follows the LM to its end. */
#include "sectl/client.h"
#include "sectl/sectl.h"
#include "sectl/show.h"
#include "sectl/vm.h"

#include <getopt.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char sectl_vm_resolve_usage[] =
    "usage: sectl vm lm-resolve VM [--su SU] --resume-source|--discard-source --i-understand\n"
    "                              [--json] [--config FILE] [-v]\n"
    "decides a live migration of VM that is in doubt and whose target record cannot be\n"
    "read (VMS2428; the guest is stopped on the source SU): --resume-source continues the\n"
    "guest on the source, --discard-source quits it there and drops the source's copy of\n"
    "the definition. A wrong decision runs the guest twice or loses it: --i-understand.\n";

enum { OPT_SU = SECTL_OPT_FIRST_FREE, OPT_RESUME, OPT_DISCARD, OPT_UNDERSTAND };

struct resolve {
	const char *vm, *su, *decision;
	bool understand;
	struct sectl_api_opts o;
};

static int resolve_args(int argc, char **argv, struct resolve *q)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"su", required_argument, NULL, OPT_SU},
					     {"resume-source", no_argument, NULL, OPT_RESUME},
					     {"discard-source", no_argument, NULL, OPT_DISCARD},
					     {"i-understand", no_argument, NULL, OPT_UNDERSTAND},
					     {0}};
	const char *u = sectl_vm_resolve_usage;
	int ch;

	while ((ch = getopt_long(argc, argv, "-" SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(u, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&q->o, ch, optarg))
			continue;
		switch (ch) {
		case 1:
			if (q->vm)
				return sectl_usage_error("vm", u, "unexpected argument '%s'", optarg);
			q->vm = optarg;
			break;
		case OPT_SU:
			q->su = optarg;
			break;
		case OPT_RESUME:
		case OPT_DISCARD:
			if (q->decision)
				return sectl_usage_error("vm", u, "%s", "--resume-source or "
							 "--discard-source, not both");
			q->decision = ch == OPT_RESUME ? "resume-source" : "discard-source";
			break;
		case OPT_UNDERSTAND:
			q->understand = true;
			break;
		default:
			return sectl_usage_error("vm", u, "%s", "bad option");
		}
	}
	if (optind < argc && !q->vm)
		q->vm = argv[optind++];
	if (optind < argc)
		return sectl_usage_error("vm", u, "unexpected argument '%s'", argv[optind]);
	if (!q->vm)
		return sectl_usage_error("vm", u, "%s", "missing VM");
	if (!q->decision)
		return sectl_usage_error("vm", u, "%s", "--resume-source or --discard-source");
	if (!q->understand)
		return sectl_usage_error("vm", u, "%s", "--i-understand: the decision overrides "
					 "what the CRD cannot tell");
	return -1;
}

/* The lm_id of VM's LM in doubt on SU su (GET .../migrations), into id. */
static int find_doubt(struct sectl_client *c, const char *su, const char *vm, char id[17])
{
	struct sec_err err = {0};
	char path[160];
	json_t *ans = NULL, *lm;
	size_t i;
	int idx = sectl_vm_index(vm), rc = SECTL_EXIT_FAIL;
	const char *other = NULL;

	snprintf(path, sizeof(path), "/api/v1/sus/%s/migrations", su);
	if (sectl_client_call(c, "GET", path, NULL, 0, &ans, &err) < 0)
		return sectl_fail(&err);
	json_array_foreach(json_object_get(ans, "lms"), i, lm)
	{
		const char *name = show_str(lm, "vm_name"), *st = show_str(lm, "state");
		const char *role = show_str(lm, "role");
		char vmtxt[32];
		snprintf(vmtxt, sizeof(vmtxt), "%s", show_str(lm, "vm") ? show_str(lm, "vm") : "");
		char *end;
		long lidx = strtol(vmtxt + (vmtxt[0] == '('), &end, 10); /* "(3,G1)" */
		bool mine = idx > 0 ? *end == ',' && lidx == idx : name && !strcasecmp(name, vm);
		if (!mine || !role || strcmp(role, "source"))
			continue;
		if (st && !strcmp(st, "in-doubt")) {
			snprintf(id, 17, "%s", show_str(lm, "lm_id"));
			rc = SECTL_EXIT_OK;
			break;
		}
		if (!other)
			other = st;
	}
	if (rc != SECTL_EXIT_OK)
		fprintf(stderr, "sectl: no live migration of VM '%s' from SU '%s' is in doubt%s%s%s\n",
			vm, su, other ? " (its last one is " : "", other ? other : "",
			other ? ")" : "");
	json_decref(ans);
	return rc;
}

int sectl_vm_lm_resolve(int argc, char **argv)
{
	struct resolve q = {0};
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	char su[128], id[17], path[256];
	json_t *ans = NULL, *lm = NULL, *body;
	int rc = resolve_args(argc, argv, &q);

	if (rc >= 0)
		return rc;
	if (q.su && (!*q.su || strlen(q.su) >= sizeof(su) || strchr(q.su, '/')))
		return sectl_usage_error("vm", sectl_vm_resolve_usage, "bad SU name '%s'", q.su);
	if ((rc = sectl_connect(&q.o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (q.su)
		snprintf(su, sizeof(su), "%s", q.su);
	else if ((rc = sectl_vm_find_source(c, q.vm, su, sizeof(su))) != SECTL_EXIT_OK)
		goto out;
	if ((rc = find_doubt(c, su, q.vm, id)) != SECTL_EXIT_OK)
		goto out;
	snprintf(path, sizeof(path), "/api/v1/sus/%s/migrations/%s/resolve", su, id);
	body = json_pack("{s:s, s:b}", "decision", q.decision, "confirm", 1);
	rc = sectl_client_call(c, "POST", path, body, 0, &ans, &err);
	json_decref(body);
	if (rc < 0) {
		rc = sectl_fail(&err);
		goto out;
	}
	if (!q.o.json)
		printf("live migration %s of VM '%s' on SU '%s': %s\n", id, q.vm, su,
		       !strcmp(q.decision, "resume-source") ? "the guest continues on the source"
							   : "the source's copy is discarded");
	snprintf(path, sizeof(path), "/api/v1/sus/%s/migrations/%s", su, id);
	if ((rc = sectl_vm_follow(c, path, false, &lm)) != SECTL_EXIT_OK)
		goto out;
	if (q.o.json) {
		rc = sectl_print_json(lm);
	} else {
		const char *st = show_str(lm, "state"), *why = show_str(lm, "reason");
		printf("%s: ", st ? st : "?");
		sectl_vm_put_line(why && *why ? why : show_str(lm, "result"));
		rc = SECTL_EXIT_OK;
	}
out:
	json_decref(ans);
	json_decref(lm);
	sectl_client_free(c);
	return rc;
}
