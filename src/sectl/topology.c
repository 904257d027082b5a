/* topology.c — `sectl server add|remove` and `sectl unit add|remove`: topology changes of a
 * running cluster through the Master MU (issue 3 "The daemon secd", topology bullet; seed
 * 2.1; docs/api.md "Topology changes"; docs/topology.md "Changes on a running cluster").
 *
 *   sectl server add NAME [--model M] [--location L] [--crd PATH[,PATH2]]
 *   sectl server remove NAME
 *   sectl unit add NAME --unit-id N --role mu|su [--su-type x86|390] --server S
 *                  --api ADDR --heartbeat ADDR
 *   sectl unit remove NAME
 *
 * --crd reads the joining server's own global data from its own CRD (region 0, offline,
 * sectl_cluster_read) and sends it without the session-token keys; the Master MU refuses
 * the server while any object of it conflicts with the cluster's (409: one line per
 * conflict). Every command prints what changed (sectl_topology_print) or, with --json,
 * the answer. Exit status: 0 ok, 1 refused or failed, 2 usage. */
#include "sectl/client.h"
#include "sectl/cluster.h"
#include "sectl/sectl.h"
#include "sectl/topology.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char server_usage[] =
	"usage: sectl server add NAME [--model M] [--location L] [--crd PATH[,PATH2]]\n"
	"                        [--json] [--config FILE] [-v]\n"
	"       sectl server remove NAME [--json] [--config FILE] [-v]\n"
	"--crd: the joining server's own external CRD disk(s); its global data is compared\n"
	"with the cluster's and the server is refused while any object conflicts\n";

static const char unit_usage[] =
	"usage: sectl unit add NAME --unit-id N --role mu|su [--su-type x86|390] --server S\n"
	"                      --api ADDR --heartbeat ADDR [--json] [--config FILE] [-v]\n"
	"       sectl unit remove NAME [--json] [--config FILE] [-v]\n"
	"ADDR: IPv4:port or [IPv6]:port; an SU's type defaults to x86. A unit is removed only\n"
	"while it does not run (stop it with SIGTERM first)\n";

/* ---- printing ---- */

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static void print_unit(const json_t *u, FILE *out)
{
	const json_t *id = json_object_get(u, "unit_id");
	const char *role = str(u, "role");

	fprintf(out, "Unit '%s' added to the cluster (%s%s%s, unit id %lld, SE Server '%s', API %s, "
		"heartbeat %s)\n", str(u, "name"), role, !strcmp(role, "SU") ? " " : "",
		!strcmp(role, "SU") ? str(u, "su_type") : "",
		json_is_integer(id) ? (long long)json_integer_value(id) : 0LL, str(u, "server"),
		str(u, "api"), str(u, "heartbeat"));
}

int sectl_topology_print(const json_t *ans, FILE *out)
{
	const json_t *add = json_object_get(ans, "added"), *rm = json_object_get(ans, "removed");
	const json_t *v, *gen = json_object_get(ans, "global_generation");
	size_t i;
	int n = 0;

	json_array_foreach(json_object_get(add, "servers"), i, v) {
		const char *model = str(v, "model"), *loc = str(v, "location");
		fprintf(out, "SE Server '%s' added to the cluster", str(v, "name"));
		if (*model || *loc)
			fprintf(out, " (%s%s%s%s%s)", *model ? "model " : "", model,
				*model && *loc ? ", " : "", *loc ? "location " : "", loc);
		fputc('\n', out);
		n++;
	}
	json_array_foreach(json_object_get(add, "units"), i, v) {
		print_unit(v, out);
		n++;
	}
	json_array_foreach(json_object_get(add, "accounts"), i, v) {
		fprintf(out, "Account '%s' added to the cluster\n", json_string_value(v) ? : "");
		n++;
	}
	json_array_foreach(json_object_get(rm, "units"), i, v) {
		fprintf(out, "Unit '%s' removed from the cluster\n", json_string_value(v) ? : "");
		n++;
	}
	json_array_foreach(json_object_get(rm, "servers"), i, v) {
		fprintf(out, "SE Server '%s' removed from the cluster\n", json_string_value(v) ? : "");
		n++;
	}
	if (json_is_integer(gen))
		fprintf(out, "global data: region-0 generation %lld\n",
			(long long)json_integer_value(gen));
	return n;
}

/* ---- one call ---- */

static int call(const struct sectl_api_opts *o, const char *method, const char *path,
		const json_t *body)
{
	struct sectl_client *c = NULL;
	struct sec_err err = {0};
	json_t *ans = NULL;
	int rc;

	if ((rc = sectl_connect(o, true, &c)) != SECTL_EXIT_OK)
		return rc;
	if (sectl_client_call(c, method, path, body, 0, &ans, &err) < 0)
		rc = sectl_fail(&err);
	else if (o->json)
		rc = sectl_print_json(ans);
	else
		rc = sectl_topology_print(ans, stdout) >= 0 && fflush(stdout) != EOF
			     ? SECTL_EXIT_OK
			     : SECTL_EXIT_FAIL;
	json_decref(ans);
	sectl_client_free(c);
	return rc;
}

/* A name in a URL path: the characters of docs/topology.md only (no escaping needed). */
static bool plain_name(const char *s)
{
	if (!*s || strlen(s) >= 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

/* ---- server ---- */

/* --crd PATH[,PATH2]: the joining server's global data without its token keys. */
static int joining_data(char *arg, json_t **ret)
{
	const char *paths[2];
	char *save = NULL, *p;
	struct cluster_global *g = NULL;
	struct sec_err err = {0};
	int n = 0;

	for (p = strtok_r(arg, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		if (n == 2)
			return sectl_usage_error("server", server_usage, "--crd: a disk set holds at "
						 "most 2 external disks ('%s' is a third)", p);
		paths[n++] = p;
	}
	if (!n)
		return sectl_usage_error("server", server_usage, "%s", "--crd needs PATH[,PATH2]");
	if (sectl_cluster_read(paths, n, 0, &g, &err) < 0) {
		fprintf(stderr, "sectl server: the joining server's global data: %s\n", err.msg);
		return SECTL_EXIT_FAIL;
	}
	*ret = cluster_global_to_json(g, 0);
	cluster_global_free(g);
	if (!*ret) {
		fprintf(stderr, "sectl server: out of memory\n");
		return SECTL_EXIT_FAIL;
	}
	json_object_del(*ret, "token_key"); /* never sent: the cluster keeps its own */
	json_object_del(*ret, "token_key_previous");
	return SECTL_EXIT_OK;
}

static int cmd_server_add(int argc, char **argv)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"model", required_argument, NULL, 'm'},
					     {"location", required_argument, NULL, 'l'},
					     {"crd", required_argument, NULL, 'c'},
					     {0}};
	struct sectl_api_opts o = {0};
	const char *model = NULL, *loc = NULL;
	char *crd = NULL;
	json_t *body, *gd = NULL;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(server_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&o, ch, optarg))
			continue;
		if (ch == 'm')
			model = optarg;
		else if (ch == 'l')
			loc = optarg;
		else if (ch == 'c')
			crd = optarg;
		else
			return sectl_usage_error("server", server_usage, "%s", "bad option");
	}
	if (optind + 1 != argc)
		return sectl_usage_error("server", server_usage, "%s", "add needs one NAME");
	if (crd && (rc = joining_data(crd, &gd)) != SECTL_EXIT_OK)
		return rc;
	body = json_pack("{s:s}", "name", argv[optind]);
	if (model)
		json_object_set_new(body, "model", json_string(model));
	if (loc)
		json_object_set_new(body, "location", json_string(loc));
	if (gd)
		json_object_set_new(body, "global_data", gd);
	rc = call(&o, "POST", "/api/v1/servers", body);
	json_decref(body);
	return rc;
}

/* `server remove NAME`, `unit remove NAME` */
static int cmd_remove(const char *group, const char *usage, const char *what, int argc,
		      char **argv)
{
	static const struct option opts[] = {SECTL_API_LONGOPTS, {0}};
	struct sectl_api_opts o = {0};
	char path[128];
	int ch;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (!sectl_api_opt(&o, ch, optarg))
			return sectl_usage_error(group, usage, "%s", "bad option");
	}
	if (optind + 1 != argc)
		return sectl_usage_error(group, usage, "%s", "remove needs one NAME");
	if (!plain_name(argv[optind]))
		return sectl_usage_error(group, usage, "'%s' is not a name (1..63 of A-Z a-z 0-9 . "
					 "_ -)", argv[optind]);
	snprintf(path, sizeof(path), "/api/v1/%s/%s", what, argv[optind]);
	return call(&o, "DELETE", path, NULL);
}

static int cmd_server_remove(int argc, char **argv)
{
	return cmd_remove("server", server_usage, "servers", argc, argv);
}

int sectl_server_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"add", cmd_server_add, false},
		{"remove", cmd_server_remove, false},
	};

	return sectl_dispatch("server", server_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc,
			      argv);
}

/* ---- unit ---- */

static int unit_usage_error(const char *fmt, const char *arg)
{
	return sectl_usage_error("unit", unit_usage, fmt, arg);
}

static int cmd_unit_add(int argc, char **argv)
{
	enum { O_ID = SECTL_OPT_FIRST_FREE, O_ROLE, O_SU, O_SERVER, O_API, O_HB };
	static const struct option opts[] = {SECTL_API_LONGOPTS,
					     {"unit-id", required_argument, NULL, O_ID},
					     {"role", required_argument, NULL, O_ROLE},
					     {"su-type", required_argument, NULL, O_SU},
					     {"server", required_argument, NULL, O_SERVER},
					     {"api", required_argument, NULL, O_API},
					     {"heartbeat", required_argument, NULL, O_HB},
					     {0}};
	struct sectl_api_opts o = {0};
	const char *id = NULL, *role = NULL, *su = NULL, *server = NULL, *api = NULL, *hb = NULL;
	char *end;
	long uid;
	json_t *body;
	int ch, rc;

	while ((ch = getopt_long(argc, argv, SECTL_API_SHORTOPTS, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(unit_usage, stdout);
			return SECTL_EXIT_OK;
		}
		if (sectl_api_opt(&o, ch, optarg))
			continue;
		switch (ch) {
		case O_ID: id = optarg; break;
		case O_ROLE: role = optarg; break;
		case O_SU: su = optarg; break;
		case O_SERVER: server = optarg; break;
		case O_API: api = optarg; break;
		case O_HB: hb = optarg; break;
		default: return unit_usage_error("%s", "bad option");
		}
	}
	if (optind + 1 != argc)
		return unit_usage_error("%s", "add needs one NAME");
	if (!id || !role || !server || !api || !hb)
		return unit_usage_error("%s", "add needs --unit-id, --role, --server, --api and "
					"--heartbeat");
	uid = strtol(id, &end, 10);
	if (!*id || *end || uid < 1 || uid > 256)
		return unit_usage_error("--unit-id '%s' is not a number in 1..256", id);
	if (strcmp(role, "mu") && strcmp(role, "su"))
		return unit_usage_error("--role '%s': mu or su", role);
	if (su && strcmp(su, "x86") && strcmp(su, "390"))
		return unit_usage_error("--su-type '%s': x86 or 390", su);
	if (su && !strcmp(role, "mu"))
		return unit_usage_error("%s", "--su-type: an MU has no SU type");
	body = json_pack("{s:s, s:I, s:s}", "name", argv[optind], "unit_id", (json_int_t)uid,
			 "role", !strcmp(role, "mu") ? "MU" : "SU");
	if (!strcmp(role, "su"))
		json_object_set_new(body, "su_type", json_string(su ? su : "x86"));
	json_object_set_new(body, "server", json_string(server));
	json_object_set_new(body, "api", json_string(api));
	json_object_set_new(body, "heartbeat", json_string(hb));
	rc = call(&o, "POST", "/api/v1/units", body);
	json_decref(body);
	return rc;
}

static int cmd_unit_remove(int argc, char **argv)
{
	return cmd_remove("unit", unit_usage, "units", argc, argv);
}

int sectl_unit_main(int argc, char **argv)
{
	static const struct sectl_cmd cmds[] = {
		{"add", cmd_unit_add, false},
		{"remove", cmd_unit_remove, false},
	};

	return sectl_dispatch("unit", unit_usage, cmds, sizeof(cmds) / sizeof(cmds[0]), argc,
			      argv);
}
