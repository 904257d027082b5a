/* test_gedit.c — changes of the global data on a running cluster (src/cluster/gedit.h):
 * servers and units added and removed, every refusal with what a user sees (the message
 * and the conflict list of a 409), and the conflicts of a joining server's own global data
 * (seed 2.1 "Preparing measures in regard to global data"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/gedit.h"

#define HASH_A "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
#define HASH_B "$argon2id$v=19$m=8,t=1,p=1$b3RoZXJzYWx0$b3RoZXJoYXNo"
#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

#define UNIT(n, id, role, extra, srv, port)                                                  \
	"{\"name\":\"" n "\",\"unit_id\":" #id ",\"role\":\"" role "\"" extra                \
	",\"server\":\"" srv "\",\"api\":\"127.0.0.1:" #port "\",\"heartbeat\":\"127.0.0.1:1" #port "\"}"

/* The running cluster: 2 servers, 2 MUs each, one SU; accounts admin and ops. */
static const char cluster_doc[] =
	"{\"format\":1,\"cluster_id\":\"5ec1a5e7-0000-4000-8000-00000000c0de\","
	"\"name\":\"lab\",\"servers\":[{\"name\":\"server1\"},{\"name\":\"server2\"}],"
	"\"units\":[" UNIT("mu1", 1, "MU", "", "server1", 7301) "," UNIT("mu2", 2, "MU", "", "server1", 7302)
	"," UNIT("mu3", 3, "MU", "", "server2", 7303) "," UNIT("mu4", 4, "MU", "", "server2", 7304)
	"," UNIT("su1", 17, "SU", ",\"su_type\":\"x86\"", "server1", 7317) "],"
	"\"accounts\":[{\"name\":\"admin\",\"password_hash\":\"" HASH_A "\",\"roles\":[\"administrator\"]},"
	"{\"name\":\"ops\",\"password_hash\":\"" HASH_A "\",\"roles\":[\"operator\"]}],"
	"\"token_key\":\"" KEY "\"}";

static struct cluster_global *parse(const char *text, unsigned flags)
{
	struct cluster_global *g = cluster_global_new();
	struct sec_err err = {0};

	assert_non_null(g);
	if (cluster_global_from_json(text, strlen(text), flags, g, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	return g;
}

static struct cluster_global *cluster(void)
{
	return parse(cluster_doc, 0);
}

static struct cluster_unit unit(const char *name, uint32_t id, bool mu, const char *server,
				const char *api, const char *hb)
{
	struct cluster_unit u = {.unit_id = id, .role = mu ? CRD_UNIT_MU : CRD_UNIT_SU,
				 .su_type = mu ? CLUSTER_SU_NONE : CLUSTER_SU_X86};

	snprintf(u.name, sizeof(u.name), "%s", name);
	snprintf(u.server, sizeof(u.server), "%s", server);
	snprintf(u.api, sizeof(u.api), "%s", api);
	snprintf(u.heartbeat, sizeof(u.heartbeat), "%s", hb);
	return u;
}

/* conf holds exactly one entry object/name/conflict (in any position). */
static void assert_conflict(const struct cluster_conflicts *c, const char *object,
			    const char *name, const char *conflict)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->c[i].object, object) && !strcmp(c->c[i].name, name) &&
		    !strcmp(c->c[i].conflict, conflict))
			return;
	for (unsigned i = 0; i < c->n; i++)
		print_message("  have %s '%s': %s\n", c->c[i].object, c->c[i].name, c->c[i].conflict);
	fail_msg("no conflict %s '%s': %s", object, name, conflict);
}

static bool in_mc(const struct cluster_global *g, const char *server)
{
	for (unsigned i = 0; i < g->n_mc_servers; i++)
		if (!strcmp(g->mc_servers[i], server))
			return true;
	return false;
}

/* g equals the cluster as parsed (nothing changed). */
static void assert_unchanged(const struct cluster_global *g)
{
	struct cluster_global *o = cluster();

	assert_memory_equal(g, o, sizeof(*g));
	cluster_global_free(o);
}

static void test_add_unit(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_unit su = unit("su2", 18, false, "server2", "127.0.0.1:7318", "127.0.0.1:17318");

	assert_int_equal(cluster_global_add_unit(g, &su, &conf, &err), 0);
	assert_int_equal(g->n_units, 6);
	assert_string_equal(g->units[5].name, "su2");
	assert_int_equal(conf.n, 0);
	assert_int_equal(cluster_global_validate(g, 0, NULL), 0);
	cluster_global_free(g);
}

static void test_add_unit_duplicates_listed(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	/* the name of mu1, the id of mu2, the API address of mu3, the heartbeat of su1 */
	struct cluster_unit u = unit("mu1", 2, true, "server2", "127.0.0.1:7303", "127.0.0.1:17317");

	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EEXIST);
	assert_string_equal(err.msg, "unit 'mu1' cannot be added: 4 conflicts with the units of "
				     "the cluster");
	assert_int_equal(conf.n, 4);
	assert_conflict(&conf, "unit", "mu1", "name in use by a unit of the cluster");
	assert_conflict(&conf, "unit", "mu1", "unit id 2 in use by unit 'mu2'");
	assert_conflict(&conf, "unit", "mu1", "API address 127.0.0.1:7303 in use by unit 'mu3'");
	assert_conflict(&conf, "unit", "mu1",
			"heartbeat address 127.0.0.1:17317 in use by unit 'su1'");
	assert_unchanged(g);
	cluster_global_free(g);
}

static void test_add_unit_refusals(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_unit u = unit("mu9", 9, true, "server9", "127.0.0.1:7309", "127.0.0.1:17309");

	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EBUSY);
	assert_string_equal(err.msg, "unit 'mu9': SE Server 'server9' is not in the cluster (add "
				     "it first)");
	assert_conflict(&conf, "server", "server9", "is not an SE Server of the cluster");
	u = unit("mu9", 9, true, "server1", "127.0.0.1", "127.0.0.1:17309");
	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "unit.api: '127.0.0.1' is not an address (IPv4:port or "
				     "[IPv6]:port)");
	u = unit("mu 9", 9, true, "server1", "127.0.0.1:7309", "127.0.0.1:17309");
	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "unit.name: 'mu 9' may hold only letters, digits, '.', '_' "
				     "and '-'");
	u = unit("su9", 257, false, "server1", "127.0.0.1:7309", "127.0.0.1:17309");
	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "unit.unit_id: 257 is out of range 1..256");
	u.unit_id = 9;
	u.su_type = CLUSTER_SU_NONE;
	assert_int_equal(cluster_global_add_unit(g, &u, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "unit.su_type: an SU needs an SU type ('x86' or '390')");
	assert_unchanged(g);
	cluster_global_free(g);
}

static void test_remove_unit(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};

	assert_int_equal(cluster_global_remove_unit(g, "mu9", &conf, &err), -ENOENT);
	assert_string_equal(err.msg, "unit 'mu9' is not in the cluster");
	assert_int_equal(cluster_global_remove_unit(g, "su1", &conf, &err), 0);
	assert_int_equal(g->n_units, 4);
	assert_int_equal(cluster_global_find_unit(g, "su1"), -1);
	/* server2 keeps the Management Cluster while it has an MU, then leaves it */
	assert_int_equal(cluster_global_remove_unit(g, "mu3", &conf, &err), 0);
	assert_true(in_mc(g, "server2"));
	assert_int_equal(cluster_global_remove_unit(g, "mu4", &conf, &err), 0);
	assert_false(in_mc(g, "server2"));
	assert_int_equal(cluster_global_remove_unit(g, "mu1", &conf, &err), 0);
	assert_int_equal(cluster_global_remove_unit(g, "mu2", &conf, &err), -EBUSY);
	assert_string_equal(err.msg, "unit 'mu2' is the last MU of the cluster");
	assert_int_equal(g->n_units, 1);
	cluster_global_free(g);
}

static void test_remove_server(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};

	assert_int_equal(cluster_global_remove_server(g, "server9", &conf, &err), -ENOENT);
	assert_string_equal(err.msg, "SE Server 'server9' is not in the cluster");
	assert_int_equal(cluster_global_remove_server(g, "server2", &conf, &err), -EBUSY);
	assert_string_equal(err.msg, "SE Server 'server2' still has 2 units: remove them first");
	assert_int_equal(conf.n, 2);
	assert_conflict(&conf, "unit", "mu3", "belongs to SE Server 'server2'");
	assert_conflict(&conf, "unit", "mu4", "belongs to SE Server 'server2'");
	assert_unchanged(g);
	assert_int_equal(cluster_global_remove_unit(g, "mu3", &conf, &err), 0);
	assert_int_equal(cluster_global_remove_unit(g, "mu4", &conf, &err), 0);
	assert_int_equal(cluster_global_remove_server(g, "server2", &conf, &err), 0);
	assert_int_equal(g->n_servers, 1);
	assert_int_equal(g->n_mc_servers, 1);
	assert_string_equal(g->mc_servers[0], "server1");
	cluster_global_free(g);
}

static void test_add_server_with_units_joins_mc(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_server_add a = {.n_units = 2};

	snprintf(a.server.name, sizeof(a.server.name), "server3");
	snprintf(a.server.model, sizeof(a.server.model), "SE710");
	a.model_given = true;
	a.units[0] = unit("mu5", 5, true, "server3", "127.0.0.1:7305", "127.0.0.1:17305");
	a.units[1] = unit("su3", 19, false, "server3", "127.0.0.1:7319", "127.0.0.1:17319");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), 0);
	assert_int_equal(g->n_servers, 3);
	assert_string_equal(g->servers[2].name, "server3");
	assert_string_equal(g->servers[2].model, "SE710");
	assert_int_equal(g->n_units, 7);
	assert_true(in_mc(g, "server3"));
	/* again: the name is taken */
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), -EEXIST);
	assert_string_equal(err.msg, "SE Server 'server3' is already in the cluster");
	assert_conflict(&conf, "server", "server3", "name in use by an SE Server of the cluster");
	cluster_global_free(g);
}

static void test_add_server_refusals(void **state)
{
	struct cluster_global *g = cluster();
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_server_add a = {.n_units = 1};

	snprintf(a.server.name, sizeof(a.server.name), "server3");
	/* a unit of another server */
	a.units[0] = unit("mu5", 5, true, "server1", "127.0.0.1:7305", "127.0.0.1:17305");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "units[0].server: 'server1' is not the SE Server being "
				     "added ('server3')");
	/* a unit id in use */
	a.units[0] = unit("mu5", 4, true, "server3", "127.0.0.1:7305", "127.0.0.1:17305");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), -EEXIST);
	assert_string_equal(err.msg, "SE Server 'server3': 1 of its units conflict with the units "
				     "of the cluster");
	assert_conflict(&conf, "unit", "mu5", "unit id 4 in use by unit 'mu4'");
	/* without units it does not join the Management Cluster (no MU) */
	a.n_units = 0;
	snprintf(a.server.name, sizeof(a.server.name), "-bad");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "server.name: '-bad' must start with a letter or digit");
	assert_unchanged(g);
	snprintf(a.server.name, sizeof(a.server.name), "server3");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), 0);
	assert_false(in_mc(g, "server3"));
	cluster_global_free(g);
}

/* The joining server's own global data: another admin password, ops with other roles, a
 * server name and a unit of the cluster's, a unit at mu1's addresses. */
static const char joining_conflicting[] =
	"{\"format\":1,\"cluster_id\":\"11111111-0000-4000-8000-000000000001\","
	"\"name\":\"other\",\"servers\":[{\"name\":\"server3\"},{\"name\":\"server1\"}],"
	"\"units\":[" UNIT("mu5", 5, "MU", "", "server3", 7305) "," UNIT("mu2", 6, "MU", "", "server3", 7306)
	"," UNIT("mu7", 1, "MU", "", "server1", 7301) "],"
	"\"accounts\":[{\"name\":\"admin\",\"password_hash\":\"" HASH_B "\",\"roles\":[\"administrator\"]},"
	"{\"name\":\"ops\",\"password_hash\":\"" HASH_A "\",\"roles\":[\"operator\",\"reader\"]}]}";

static void test_join_conflicts_listed_nothing_changed(void **state)
{
	struct cluster_global *g = cluster(), *j = parse(joining_conflicting, CLUSTER_GLOBAL_FOREIGN);
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_server_add a = {.joining = j};

	snprintf(a.server.name, sizeof(a.server.name), "server3");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), -EEXIST);
	assert_string_equal(err.msg, "SE Server 'server3': its global data has 7 conflicts with "
				     "the cluster's; make every global object unambiguous first (the "
				     "same on both, or deleted on one; seed 2.1)");
	assert_int_equal(conf.n, 7);
	assert_conflict(&conf, "account", "admin", "different password");
	assert_conflict(&conf, "account", "ops", "different roles");
	assert_conflict(&conf, "server", "server1", "name in use by an SE Server of the cluster");
	assert_conflict(&conf, "unit", "mu2", "name in use by a unit of the cluster");
	assert_conflict(&conf, "unit", "mu7", "unit id 1 in use by unit 'mu1'");
	assert_conflict(&conf, "unit", "mu7", "API address 127.0.0.1:7301 in use by unit 'mu1'");
	assert_conflict(&conf, "unit", "mu7",
			"heartbeat address 127.0.0.1:17301 in use by unit 'mu1'");
	for (unsigned i = 0; i < conf.n; i++) /* never a hash */
		assert_null(strstr(conf.c[i].conflict, "argon2"));
	assert_unchanged(g);
	/* the JSON of the 409's details */
	json_t *d = cluster_conflicts_to_json(&conf);
	assert_int_equal(json_array_size(d), 7);
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "object")),
			    "account");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "name")),
			    "admin");
	assert_string_equal(json_string_value(json_object_get(json_array_get(d, 0), "conflict")),
			    "different password");
	json_decref(d);
	cluster_global_free(j);
	cluster_global_free(g);
}

/* Without conflicts its servers, units and accounts join; the same account joins once;
 * the cluster's name is no conflict. */
static const char joining_clean[] =
	"{\"format\":1,\"cluster_id\":\"11111111-0000-4000-8000-000000000001\","
	"\"name\":\"other\",\"servers\":[{\"name\":\"server3\",\"model\":\"SE310\",\"location\":\"Hall B\"},"
	"{\"name\":\"server4\"}],"
	"\"units\":[" UNIT("mu5", 5, "MU", "", "server3", 7305) "," UNIT("su5", 20, "SU", ",\"su_type\":\"390\"", "server4", 7320) "],"
	"\"accounts\":[{\"name\":\"admin\",\"password_hash\":\"" HASH_A "\",\"roles\":[\"administrator\"]},"
	"{\"name\":\"viewer\",\"password_hash\":\"" HASH_B "\",\"roles\":[\"reader\"]}]}";

static void test_join_without_conflicts(void **state)
{
	struct cluster_global *g = cluster(), *j = parse(joining_clean, CLUSTER_GLOBAL_FOREIGN);
	struct cluster_conflicts conf;
	struct sec_err err = {0};
	struct cluster_server_add a = {.joining = j, .n_units = 1};
	int k;

	snprintf(a.server.name, sizeof(a.server.name), "server3");
	/* given again in the request, identically: added once */
	a.units[0] = unit("mu5", 5, true, "server3", "127.0.0.1:7305", "127.0.0.1:17305");
	assert_int_equal(cluster_global_add_server(g, &a, &conf, &err), 0);
	assert_string_equal(g->name, "lab");
	assert_int_equal(g->n_servers, 4);
	k = cluster_global_find_server(g, "server3");
	assert_true(k >= 0);
	assert_string_equal(g->servers[k].model, "SE310"); /* from its own global data */
	assert_string_equal(g->servers[k].location, "Hall B");
	assert_true(cluster_global_find_server(g, "server4") >= 0);
	assert_int_equal(g->n_units, 7);
	assert_true(cluster_global_find_unit(g, "su5") >= 0);
	assert_int_equal(g->n_accounts, 3);
	k = cluster_global_find_account(g, "viewer");
	assert_true(k >= 0);
	assert_string_equal(g->accounts[k].password_hash, HASH_B);
	assert_int_equal(g->accounts[k].roles, CLUSTER_ROLE_READER);
	assert_true(in_mc(g, "server3"));
	assert_false(in_mc(g, "server4")); /* no MU */
	assert_true(g->has_token_key);     /* the cluster's key stays */
	cluster_global_free(j);
	cluster_global_free(g);
}

static void test_foreign_document(void **state)
{
	struct cluster_global *g = cluster_global_new();
	struct sec_err err = {0};
	char *doc = strdup(cluster_doc);

	/* a joining server's data has no token key, and never sends one */
	assert_int_equal(cluster_global_from_json(doc, strlen(doc), CLUSTER_GLOBAL_FOREIGN, g, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "token_key: not accepted in another cluster's global data "
				     "(its session-token keys are not sent)");
	free(doc);
	assert_int_equal(cluster_global_from_json(joining_clean, strlen(joining_clean), 0, g, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "token_key: missing (the session-token signing key)");
	assert_int_equal(cluster_global_from_json(joining_clean, strlen(joining_clean),
						  CLUSTER_GLOBAL_FOREIGN, g, &err), 0);
	cluster_global_free(g);
}

static void test_conflict_list_bounded(void **state)
{
	struct cluster_conflicts c;
	json_t *j;

	cluster_conflicts_init(&c);
	for (int i = 0; i < CLUSTER_CONFLICTS_MAX + 3; i++)
		cluster_conflicts_add(&c, "unit", "u", "conflict %d", i);
	assert_int_equal(c.n, CLUSTER_CONFLICTS_MAX);
	assert_int_equal(c.more, 3);
	j = cluster_conflicts_to_json(&c);
	assert_int_equal(json_array_size(j), CLUSTER_CONFLICTS_MAX + 1);
	assert_string_equal(json_string_value(json_array_get(j, CLUSTER_CONFLICTS_MAX)),
			    "... and 3 more");
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_unit),
		cmocka_unit_test(test_add_unit_duplicates_listed),
		cmocka_unit_test(test_add_unit_refusals),
		cmocka_unit_test(test_remove_unit),
		cmocka_unit_test(test_remove_server),
		cmocka_unit_test(test_add_server_with_units_joins_mc),
		cmocka_unit_test(test_add_server_refusals),
		cmocka_unit_test(test_join_conflicts_listed_nothing_changed),
		cmocka_unit_test(test_join_without_conflicts),
		cmocka_unit_test(test_foreign_document),
		cmocka_unit_test(test_conflict_list_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
