/* test_global.c — the global data of region 0 and the topology file (src/cluster/global.h):
 * round trips of both documents, the redacted form, and every refusal with the field path
 * and rule a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/global.h"
#include "cluster/global_diff.h"

#define UNIT(n, id, role, extra, srv, port)                                                  \
	"{\"name\":\"" n "\",\"unit_id\":" #id ",\"role\":\"" role "\"" extra                \
	",\"server\":\"" srv "\",\"api\":\"127.0.0.1:" #port "\",\"heartbeat\":\"[::1]:" #port "\"}"

static const char topo[] =
	"{\"name\":\"prod cluster\",\"servers\":["
	"{\"name\":\"se1\",\"model\":\"SE710\",\"location\":\"Hall A\"},"
	"{\"name\":\"se2\",\"model\":\"SE310\"}],"
	"\"units\":[" UNIT("mu1", 1, "MU", "", "se1", 7301) "," UNIT("mu2", 2, "MU", "", "se2", 7302)
	"," UNIT("su1", 40, "SU", ",\"su_type\":\"x86\"", "se1", 7340) ","
	UNIT("su2", 256, "SU", ",\"su_type\":\"390\"", "se2", 7356) "]}";

static struct cluster_global *parse(const char *text, unsigned flags, int want,
				    const char *msg)
{
	struct cluster_global *g = cluster_global_new();
	struct sec_err err = {0};
	int r;

	assert_non_null(g);
	r = cluster_global_from_json(text, strlen(text), flags, g, &err);
	if (r != want || (msg && !strstr(err.msg, msg)))
		fail_msg("from_json(%s) = %d '%s', want %d '%s'", text, r, err.msg, want,
			 msg ? msg : "");
	return g;
}

static void test_topology_round_trip(void **state)
{
	struct cluster_global *g = parse(topo, CLUSTER_GLOBAL_TOPOLOGY, 0, NULL), *g2;
	char *s, *s2;

	assert_int_equal(g->n_servers, 2);
	assert_int_equal(g->n_units, 4);
	assert_string_equal(g->servers[1].location, "");
	assert_int_equal(g->units[3].unit_id, 256);
	assert_int_equal(g->units[3].su_type, CLUSTER_SU_390);
	assert_int_equal(g->units[0].su_type, CLUSTER_SU_NONE);
	/* default Management Cluster: the servers with an MU */
	assert_string_equal(g->mc_name, "Management Cluster");
	assert_int_equal(g->n_mc_servers, 2);
	s = cluster_global_to_string(g, CLUSTER_GLOBAL_TOPOLOGY);
	assert_non_null(s);
	assert_null(strstr(s, "accounts"));
	g2 = parse(s, CLUSTER_GLOBAL_TOPOLOGY, 0, NULL);
	s2 = cluster_global_to_string(g2, CLUSTER_GLOBAL_TOPOLOGY);
	assert_string_equal(s, s2);
	free(s);
	free(s2);
	cluster_global_free(g);
	cluster_global_free(g2);
}

/* A full region-0 document from the topology; the hash is a fixed argon2id string. */
static struct cluster_global *full(void)
{
	struct cluster_global *g = parse(topo, CLUSTER_GLOBAL_TOPOLOGY, 0, NULL);
	struct sec_err err = {0};

	assert_int_equal(crd_uuid_parse("5ec1a5e7-0000-4000-8000-00000000c0de", &g->cluster_id), 0);
	snprintf(g->accounts[0].name, sizeof(g->accounts[0].name), "admin");
	snprintf(g->accounts[0].password_hash, sizeof(g->accounts[0].password_hash),
		 "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g");
	g->accounts[0].roles = CLUSTER_ROLE_ADMINISTRATOR;
	snprintf(g->accounts[1].name, sizeof(g->accounts[1].name), "ops");
	snprintf(g->accounts[1].password_hash, sizeof(g->accounts[1].password_hash),
		 "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3BzaGFzaA");
	g->accounts[1].roles = CLUSTER_ROLE_OPERATOR | CLUSTER_ROLE_READER;
	g->n_accounts = 2;
	for (int i = 0; i < AUTH_KEY_BYTES; i++)
		g->token_key.b[i] = (uint8_t)(0xa0 + i);
	g->has_token_key = true;
	assert_int_equal(cluster_global_validate(g, 0, &err), 0);
	return g;
}

static void test_region_round_trip(void **state)
{
	struct cluster_global *g = full(), *g2;
	char *s = cluster_global_to_string(g, 0), *s2, *red;

	assert_non_null(strstr(s, "\"token_key\":\"a0a1a2"));
	assert_non_null(strstr(s, "\"roles\":[\"operator\",\"reader\"]"));
	g2 = parse(s, 0, 0, NULL);
	assert_memory_equal(&g2->token_key, &g->token_key, sizeof(g->token_key));
	assert_string_equal(g2->accounts[1].password_hash, g->accounts[1].password_hash);
	s2 = cluster_global_to_string(g2, 0);
	assert_string_equal(s, s2);
	/* redacted: no hash, no key; and it does not parse as a region-0 document */
	red = cluster_global_to_string(g, CLUSTER_GLOBAL_REDACT);
	assert_null(strstr(red, "$argon2id$"));
	assert_null(strstr(red, "a0a1a2"));
	assert_non_null(strstr(red, "\"token_key\":\"(set)\""));
	cluster_global_free(parse(red, 0, -EINVAL, "accounts[0].password_hash: not an argon2id"));
	free(s);
	free(s2);
	free(red);
	cluster_global_free(g);
	cluster_global_free(g2);
}

/* Replaces the first occurrence of from in topo by to. */
static char *edit(const char *base, const char *from, const char *to)
{
	const char *p = strstr(base, from);
	char *out;

	assert_non_null(p);
	out = malloc(strlen(base) + strlen(to) + 1);
	sprintf(out, "%.*s%s%s", (int)(p - base), base, to, p + strlen(from));
	return out;
}

static void test_topology_errors(void **state)
{
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{"\"unit_id\":40", "\"unit_id\":300", "units[2].unit_id: 300 is out of range 1..256"},
		{"\"unit_id\":40", "\"unit_id\":0", "units[2].unit_id: 0 is out of range 1..256"},
		{"\"unit_id\":40", "\"unit_id\":\"40\"", "units[2].unit_id: expected an integer"},
		{"\"unit_id\":2,", "\"unit_id\":1,", "units[1].unit_id: 1 is also the unit id of units[0] ('mu1')"},
		{"\"name\":\"mu2\"", "\"name\":\"mu1\"", "units[1].name: 'mu1' is a duplicate of units[0]"},
		{"\"name\":\"se2\"", "\"name\":\"se1\"", "servers[1].name: 'se1' is a duplicate of servers[0]"},
		{"\"name\":\"se2\"", "\"name\":\"-se2\"", "servers[1].name: '-se2' must start with a letter or digit"},
		{"\"name\":\"se2\"", "\"name\":\"se 2\"", "servers[1].name: 'se 2' may hold only"},
		{"\"name\":\"se2\"", "\"name\":\"\"", "servers[1].name: '' is empty"},
		{"\"server\":\"se2\",\"api\":\"127.0.0.1:7302\"", "\"server\":\"se9\",\"api\":\"127.0.0.1:7302\"",
		 "units[1].server: 'se9' is not an SE Server of the cluster"},
		{"\"role\":\"MU\"", "\"role\":\"mu\"", "units[0].role: must be 'MU' or 'SU'"},
		{",\"su_type\":\"x86\"", "", "units[2].su_type: an SU needs an SU type"},
		{",\"su_type\":\"x86\"", ",\"su_type\":\"s390\"", "units[2].su_type: must be 'x86' or '390'"},
		{"\"role\":\"MU\"", "\"role\":\"MU\",\"su_type\":\"x86\"", "units[0].su_type: an MU has no SU type"},
		{"127.0.0.1:7302", "127.0.0.1:7301", "units[1].api: '127.0.0.1:7301' is also the API address of units[0] ('mu1')"},
		{"[::1]:7302", "[::1]:7301", "units[1].heartbeat: '[::1]:7301' is also the heartbeat address of units[0]"},
		{"127.0.0.1:7302", "127.0.0.1:0", "units[1].api: '127.0.0.1:0' is not an address"},
		{"127.0.0.1:7302", "127.0.0.1:65536", "is not an address"},
		{"127.0.0.1:7302", "localhost:7302", "units[1].api: 'localhost:7302' is not an address"},
		{"[::1]:7302", "::1:7302", "units[1].heartbeat: '::1:7302' is not an address"},
		{"\"heartbeat\":\"[::1]:7302\"", "\"heartbeat\":\"[::1]:7302\",\"adress\":\"x\"", "units[1].adress: unknown key"},
		{"\"model\":\"SE310\"", "\"model\":7", "servers[1].model: expected a string"},
		{"\"location\":\"Hall A\"", "\"location\":\"Hall\\u0001A\"", "servers[0].location: contains a control character"},
		{"\"name\":\"prod cluster\"", "\"nme\":\"x\"", "nme: unknown key"},
		{"\"name\":\"prod cluster\",", "", "name: missing"},
		{"\"servers\":[", "\"servers\":[],\"x\":[", "x: unknown key"},
		{"{\"name\":\"prod", "{\"accounts\":[],\"name\":\"prod", "accounts: not part of a topology file"},
		{"{\"name\":\"prod", "{\"token_key\":\"00\",\"name\":\"prod", "token_key: not part of a topology file"},
		{"{\"name\":\"prod", "{\"name\":\"a\",\"name\":\"prod", "line 1 column"},
		{"]}", "]", "line 1 column"},
		{"{\"name\":\"prod", "[{\"name\":\"prod", "line 1 column"},
		{"\"units\":[", "\"units\":[],\"u\":[", "u: unknown key"},
		{"\"units\":[", "\"units\":[7,", "units[0]: expected an object"},
		{"\"role\":\"MU\"", "\"role\":\"SU\",\"su_type\":\"x86\"", NULL}, /* mu2 still an MU */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = edit(topo, cases[i].from, cases[i].to);
		cluster_global_free(parse(t, CLUSTER_GLOBAL_TOPOLOGY, cases[i].msg ? -EINVAL : 0,
					  cases[i].msg));
		free(t);
	}
}

static void test_structural_errors(void **state)
{
	struct cluster_global *g = parse(topo, CLUSTER_GLOBAL_TOPOLOGY, 0, NULL);
	struct sec_err err = {0};

	/* an MU-less cluster */
	g->units[0].role = g->units[1].role = CRD_UNIT_SU;
	g->units[0].su_type = g->units[1].su_type = CLUSTER_SU_X86;
	assert_int_equal(cluster_global_validate(g, CLUSTER_GLOBAL_TOPOLOGY, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "units: the cluster has no MU"));
	cluster_global_free(g);
	/* the Management Cluster */
	char *t = edit(topo, "]}", "],\"management_cluster\":{\"name\":\"MC\",\"servers\":[\"se1\"]}}");
	cluster_global_free(parse(t, CLUSTER_GLOBAL_TOPOLOGY, -EINVAL,
				  "management_cluster.servers: SE Server 'se2' of MU units[1] ('mu2') is missing"));
	free(t);
	t = edit(topo, "]}", "],\"management_cluster\":{\"name\":\"MC\",\"servers\":[\"se1\",\"se2\",\"se1\"]}}");
	cluster_global_free(parse(t, CLUSTER_GLOBAL_TOPOLOGY, -EINVAL,
				  "management_cluster.servers[2]: 'se1' is a duplicate"));
	free(t);
	t = edit(topo, "]}", "],\"management_cluster\":{\"name\":\"MC\",\"servers\":[\"se1\",\"se3\"]}}");
	cluster_global_free(parse(t, CLUSTER_GLOBAL_TOPOLOGY, -EINVAL,
				  "management_cluster.servers[1]: 'se3' is not an SE Server"));
	free(t);
	t = edit(topo, "]}", "],\"management_cluster\":{\"name\":\"MC\",\"servers\":[\"se1\",\"se2\"]}}");
	g = parse(t, CLUSTER_GLOBAL_TOPOLOGY, 0, NULL);
	assert_string_equal(g->mc_name, "MC");
	cluster_global_free(g);
	free(t);
	/* no server, no unit */
	cluster_global_free(parse("{\"name\":\"x\",\"servers\":[],\"units\":[]}",
				  CLUSTER_GLOBAL_TOPOLOGY, -EINVAL, "servers: the cluster has no SE Server"));
	cluster_global_free(parse("{\"name\":\"x\",\"servers\":[{\"name\":\"a\"}],\"units\":[]}",
				  CLUSTER_GLOBAL_TOPOLOGY, -EINVAL, "units: the cluster has no unit"));
	cluster_global_free(parse("{\"name\":\"x\",\"servers\":[{\"name\":\"a\"}],\"units\":7}",
				  CLUSTER_GLOBAL_TOPOLOGY, -EINVAL, "units: expected an array"));
	/* too large */
	g = cluster_global_new();
	assert_int_equal(cluster_global_from_json(topo, CLUSTER_GLOBAL_JSON_MAX + 1,
						  CLUSTER_GLOBAL_TOPOLOGY, g, &err), -E2BIG);
	cluster_global_free(g);
}

static void test_region_errors(void **state)
{
	struct cluster_global *g = full();
	char *s = cluster_global_to_string(g, 0), *t;
	struct sec_err err = {0};
	static const struct {
		const char *from, *to, *msg;
	} cases[] = {
		{"\"format\":1", "\"format\":2", "format: 2 is not supported (this version reads 1)"},
		{"\"format\":1,", "", "format: missing"},
		{"5ec1a5e7-0000", "xec1a5e7-0000", "cluster_id: 'xec1a5e7-0000-4000-8000-00000000c0de' is not a uuid"},
		{"5ec1a5e7-0000-4000-8000-00000000c0de", "00000000-0000-0000-0000-000000000000", "cluster_id: is the null uuid"},
		{"\"name\":\"ops\"", "\"name\":\"admin\"", "accounts[1].name: 'admin' is a duplicate of accounts[0]"},
		{"[\"administrator\"]", "[\"root\"]", "accounts[0].roles[0]: unknown role"},
		{"[\"administrator\"]", "[]", "accounts[0].roles: needs at least one role"},
		{"[\"administrator\"]", "[\"operator\"]", "accounts: no account has the role 'administrator'"},
		{"[\"operator\",", "[\"reader\",", "accounts[1].roles[1]: 'reader' is listed twice"},
		{"\"token_key\":\"a0", "\"token_key\":\"z0", "token_key: not 64 hex digits"},
		{",\"token_key\"", ",\"token_key_previous\"", "token_key: missing"},
		{"\"token_key\"", "\"tokenkey\"", "tokenkey: unknown key"},
		{"\"password_hash\":\"$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3BzaGFzaA\"",
		 "\"password_hash\":\"$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3BzaGFzaA\"",
		 "accounts[1].password_hash: not an argon2id hash"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		t = edit(s, cases[i].from, cases[i].to);
		cluster_global_free(parse(t, 0, -EINVAL, cases[i].msg));
		assert_null(strstr(cases[i].msg, "b3BzaGFzaA")); /* sanity of the table */
		free(t);
	}
	/* a hash never appears in an error message */
	t = edit(s, "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$b3BzaGFzaA", "$argon2id$b3BzaGFzaA\\u0000x");
	struct cluster_global *g2 = cluster_global_new();
	assert_int_equal(cluster_global_from_json(t, strlen(t), 0, g2, &err), -EINVAL);
	assert_null(strstr(err.msg, "b3BzaGFzaA"));
	cluster_global_free(g2);
	free(t);
	/* a key never appears in an error message */
	t = edit(s, "\"token_key\":\"a0", "\"token_key\":\"a0a0");
	g2 = cluster_global_new();
	assert_int_equal(cluster_global_from_json(t, strlen(t), 0, g2, &err), -EINVAL);
	assert_null(strstr(err.msg, "a0a1"));
	cluster_global_free(g2);
	free(t);
	free(s);
	cluster_global_free(g);
}

static void test_helpers(void **state)
{
	struct cluster_global *g = full();
	char buf[64];

	assert_int_equal(cluster_global_find_server(g, "se2"), 1);
	assert_int_equal(cluster_global_find_unit(g, "su2"), 3);
	assert_int_equal(cluster_global_find_unit(g, "nope"), -1);
	assert_int_equal(cluster_global_find_account(g, "ops"), 1);
	assert_string_equal(cluster_roles_to_string(CLUSTER_ROLE_ADMINISTRATOR | CLUSTER_ROLE_READER,
						    buf, sizeof(buf)), "administrator,reader");
	assert_string_equal(cluster_su_type_to_string(CLUSTER_SU_390), "390");
	cluster_global_free(g);
	cluster_global_free(NULL);
}


/* What an event lists when region-0 data of a lower term is discarded (force-master). */
static void test_global_diff(void **state)
{
	const char *kept = "{\"name\":\"demo\",\"accounts\":[{\"name\":\"admin\"}],"
			   "\"units\":[1,2],\"servers\":[]}";
	const char *lost = "{\"name\":\"demo\",\"accounts\":[{\"name\":\"op\"}],"
			   "\"units\":[1,2,3],\"alarms\":{}}";
	char out[64], tiny[12];

	assert_int_equal(cluster_global_diff(kept, strlen(kept), kept, strlen(kept), out,
					     sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(cluster_global_diff(kept, strlen(kept), lost, strlen(lost), out,
					     sizeof(out)), 4);
	assert_string_equal(out, "accounts, alarms, servers, units");
	assert_int_equal(cluster_global_diff(kept, strlen(kept), lost, strlen(lost), tiny,
					     sizeof(tiny)), 4);
	assert_string_equal(tiny, "accounts...");
	assert_int_equal(cluster_global_diff("[1]", 3, kept, strlen(kept), out, sizeof(out)),
			 -EINVAL);
	assert_string_equal(out, "the first is not a JSON object");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_topology_round_trip),
		cmocka_unit_test(test_region_round_trip),
		cmocka_unit_test(test_topology_errors),
		cmocka_unit_test(test_structural_errors),
		cmocka_unit_test(test_region_errors),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_global_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
