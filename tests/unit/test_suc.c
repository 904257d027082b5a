/* test_suc.c — SU Clusters in the global data (src/cluster/global.h "SU Clusters",
 * gedit.h "SU Clusters"; seed 3.1): validation naming the field, JSON both ways, the
 * lookup an SU's secd uses, and the edits with every refusal a user sees. */
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
#include "cluster/global_diff.h"

#define HASH_A "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g"
#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

#define UNIT(n, id, role, extra, srv, port)                                                  \
	"{\"name\":\"" n "\",\"unit_id\":" #id ",\"role\":\"" role "\"" extra                \
	",\"server\":\"" srv "\",\"api\":\"127.0.0.1:" #port "\",\"heartbeat\":\"127.0.0.1:1" #port "\"}"
#define X86 ",\"su_type\":\"x86\""
#define S390 ",\"su_type\":\"390\""

/* server1: mu1, su1 (x86), su3 (x86); server2: mu2, su2 (x86), su4 (/390), su6 (/390);
 * server3 (no MU): su5 (/390). */
#define DOC_HEAD                                                                             \
	"{\"format\":1,\"cluster_id\":\"5ec1a5e7-0000-4000-8000-00000000c0de\","             \
	"\"name\":\"lab\",\"servers\":[{\"name\":\"server1\"},{\"name\":\"server2\"},"       \
	"{\"name\":\"server3\"}],\"units\":["                                                \
	UNIT("mu1", 1, "MU", "", "server1", 7301) "," UNIT("mu2", 2, "MU", "", "server2", 7302) \
	"," UNIT("su1", 17, "SU", X86, "server1", 7317) "," UNIT("su2", 18, "SU", X86, "server2", 7318) \
	"," UNIT("su3", 19, "SU", X86, "server1", 7319) "," UNIT("su4", 20, "SU", S390, "server2", 7320) \
	"," UNIT("su5", 21, "SU", S390, "server3", 7321) "," UNIT("su6", 22, "SU", S390, "server2", 7322) \
	"],\"accounts\":[{\"name\":\"admin\",\"password_hash\":\"" HASH_A "\",\"roles\":[\"administrator\"]}]," \
	"\"token_key\":\"" KEY "\""

static const char base_doc[] = DOC_HEAD "}";

static struct cluster_global *parse(const char *text)
{
	struct cluster_global *g = cluster_global_new();
	struct sec_err err = {0};

	assert_non_null(g);
	if (cluster_global_from_json(text, strlen(text), 0, g, &err) < 0)
		fail_msg("from_json: %s", err.msg);
	return g;
}

/* text is refused with a message starting with want. */
static void assert_refused(const char *text, const char *want)
{
	struct cluster_global *g = cluster_global_new();
	struct sec_err err = {0};

	assert_int_equal(cluster_global_from_json(text, strlen(text), 0, g, &err), -EINVAL);
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("message '%s' does not start with '%s'", err.msg, want);
	cluster_global_free(g);
}

static struct cluster_su_cluster suc(const char *name, const char *a, const char *b)
{
	struct cluster_su_cluster c = {.active = true, .fencing = CLUSTER_FENCING_SELF};

	snprintf(c.name, sizeof(c.name), "%s", name);
	snprintf(c.units[0], sizeof(c.units[0]), "%s", a);
	snprintf(c.units[1], sizeof(c.units[1]), "%s", b);
	return c;
}

static void test_json_both_ways(void **state)
{
	static const char doc[] = DOC_HEAD ",\"su_clusters\":[{\"name\":\"SUC1\",\"units\":"
		"[\"su1\",\"su2\"]},{\"name\":\"S-390_a\",\"units\":[\"su4\",\"su6\"],\"active\":false,"
		"\"fencing\":\"none\"}]}";
	struct cluster_global *g = parse(doc), *h;
	const char *partner = NULL;
	const struct cluster_su_cluster *c;
	char *text, what[128];

	(void)state;
	assert_int_equal(g->n_su_clusters, 2);
	assert_true(g->su_clusters[0].active); /* defaults */
	assert_int_equal(g->su_clusters[0].fencing, CLUSTER_FENCING_SELF);
	assert_false(g->su_clusters[1].active);
	assert_int_equal(g->su_clusters[1].fencing, CLUSTER_FENCING_NONE);
	c = cluster_su_cluster_of(g, "su2", &partner);
	assert_non_null(c);
	assert_string_equal(c->name, "SUC1");
	assert_string_equal(partner, "su1");
	c = cluster_su_cluster_of(g, "su4", &partner);
	assert_string_equal(c->name, "S-390_a");
	assert_string_equal(partner, "su6");
	assert_null(cluster_su_cluster_of(g, "su3", &partner));
	assert_null(partner);
	assert_null(cluster_su_cluster_of(g, "mu1", NULL));
	assert_null(cluster_su_cluster_of(g, "nosuch", NULL));
	assert_int_equal(cluster_global_find_su_cluster(g, "S-390_a"), 1);
	assert_int_equal(cluster_global_find_su_cluster(g, "suc1"), -1); /* case matters */
	text = cluster_global_to_string(g, 0);
	assert_non_null(text);
	assert_non_null(strstr(text, "\"su_clusters\":[{\"name\":\"SUC1\",\"units\":[\"su1\","
				     "\"su2\"],\"active\":true,\"fencing\":\"self\"},"));
	h = parse(text);
	assert_memory_equal(g->su_clusters, h->su_clusters, sizeof(g->su_clusters));
	assert_int_equal(h->n_su_clusters, 2);
	/* the diff of two region-0 documents names the key */
	{
		struct cluster_global *b = parse(base_doc);
		char *base = cluster_global_to_string(b, 0);
		cluster_global_free(b);
		assert_int_equal(cluster_global_diff(base, strlen(base), text, strlen(text), what,
						     sizeof(what)), 1);
		assert_string_equal(what, "su_clusters");
		free(base);
	}
	free(text);
	cluster_global_free(g);
	cluster_global_free(h);
}

static void test_no_su_clusters_key_left_out(void **state)
{
	struct cluster_global *g = parse(base_doc);
	char *text = cluster_global_to_string(g, 0);

	(void)state;
	assert_null(strstr(text, "su_clusters"));
	free(text);
	cluster_global_free(g);
}

#define SUCS(x) DOC_HEAD ",\"su_clusters\":[" x "]}"

static void test_validation_names_field(void **state)
{
	(void)state;
	assert_refused(SUCS("{\"name\":\"\",\"units\":[\"su1\",\"su2\"]}"),
		       "su_clusters[0].name: '' is empty");
	assert_refused(SUCS("{\"name\":\"a.b\",\"units\":[\"su1\",\"su2\"]}"),
		       "su_clusters[0].name: 'a.b' may hold only");
	assert_refused(SUCS("{\"name\":\"abcdefghijabcdefghijabcdefghijabc\",\"units\":[\"su1\",\"su2\"]}"),
		       "su_clusters[0].name: is longer than 32 bytes");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\"]}"),
		       "su_clusters[0].units: expected an array of exactly two SU names");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\",\"su3\"]}"),
		       "su_clusters[0].units: expected an array of exactly two");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su9\"]}"),
		       "su_clusters[0].units[1]: 'su9' is not a unit of the cluster");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"mu1\",\"su2\"]}"),
		       "su_clusters[0].units[0]: 'mu1' is an MU, not an SU");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su1\"]}"),
		       "su_clusters[0].units[1]: 'su1' is named twice");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su4\"]}"),
		       "su_clusters[0].units: 'su1' is an SU x86 and 'su4' an SU 390 (both SUs "
		       "need the same SU type)");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su4\",\"su5\"]}"),
		       "su_clusters[0].units[1]: SE Server 'server3' of SU /390 'su5' is not in "
		       "the Management Cluster");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"]},"
			    "{\"name\":\"A\",\"units\":[\"su3\",\"su1\"]}"),
		       "su_clusters[1].name: 'A' is the name of su_clusters[0]");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"]},"
			    "{\"name\":\"B\",\"units\":[\"su3\",\"su1\"]}"),
		       "su_clusters[1].units[1]: SU 'su1' is already in SU Cluster 'A'");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"],\"fencing\":\"kill\"}"),
		       "su_clusters[0].fencing: must be 'self' or 'none'");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"],\"active\":1}"),
		       "su_clusters[0].active: expected true or false");
	assert_refused(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"],\"color\":1}"),
		       "su_clusters[0].color: unknown key");
	assert_refused(DOC_HEAD ",\"su_clusters\":{}}", "su_clusters: expected an array");
}

/* x86 SUs in the same SE Server need no Management Cluster; two x86 pairs coexist. */
static void test_x86_same_server(void **state)
{
	struct cluster_global *g = parse(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su3\"]}"));

	(void)state;
	assert_int_equal(g->n_su_clusters, 1);
	cluster_global_free(g);
}

static void test_add_and_refusals(void **state)
{
	struct cluster_global *g = parse(base_doc), *o = parse(base_doc);
	struct cluster_conflicts conf;
	struct cluster_su_cluster c;
	struct sec_err err = {0};

	(void)state;
	c = suc("SUC1", "su1", "su2");
	c.fencing = CLUSTER_FENCING_NONE;
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), 0);
	assert_int_equal(g->n_su_clusters, 1);
	assert_int_equal(g->su_clusters[0].fencing, CLUSTER_FENCING_NONE);
	memcpy(o, g, sizeof(*o));

	c = suc("SUC2", "su3", "su1");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EEXIST);
	assert_string_equal(err.msg, "SU Cluster 'SUC2' cannot be created: SU 'su1' already in "
				     "SU Cluster 'SUC1' (an SU belongs to at most one SU Cluster)");
	assert_int_equal(conf.n, 1);
	assert_string_equal(conf.c[0].object, "unit");
	assert_string_equal(conf.c[0].name, "su1");

	c = suc("SUC1", "su3", "su6");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "su_cluster.units: 'su3' is an SU x86 and 'su6' an SU 390 "
				     "(both SUs need the same SU type)");
	c = suc("SUC1", "su4", "su6");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EEXIST);
	assert_string_equal(conf.c[0].object, "su_cluster");
	assert_string_equal(err.msg, "SU Cluster 'SUC1' cannot be created: SU Cluster 'SUC1' name "
				     "in use by an SU Cluster");
	c = suc("X", "su3", "nosuch");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "su_cluster.units[1]: 'nosuch' is not a unit of the cluster");
	c = suc("X", "mu2", "su3");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EINVAL);
	assert_string_equal(err.msg, "su_cluster.units[0]: 'mu2' is an MU, not an SU");
	c = suc("X", "su5", "su4");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "SE Server 'server3' of SU /390 'su5' is not in the "
					"Management Cluster"));
	c = suc("bad name", "su4", "su6");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), -EINVAL);
	assert_memory_equal(g, o, sizeof(*g)); /* every refusal changed nothing */

	c = suc("S390", "su4", "su6");
	assert_int_equal(cluster_global_add_su_cluster(g, &c, &conf, &err), 0);
	assert_int_equal(g->n_su_clusters, 2);
	cluster_global_free(g);
	cluster_global_free(o);
}

static void test_activate_delete(void **state)
{
	struct cluster_global *g = parse(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"]},"
					      "{\"name\":\"B\",\"units\":[\"su4\",\"su6\"]}"));
	struct cluster_conflicts conf;
	struct sec_err err = {0};

	(void)state;
	assert_int_equal(cluster_global_set_su_cluster_active(g, "B", false, &conf, &err), 0);
	assert_false(g->su_clusters[1].active);
	assert_true(g->su_clusters[0].active);
	assert_int_equal(cluster_global_set_su_cluster_active(g, "B", false, &conf, &err), 0);
	assert_false(g->su_clusters[1].active);
	assert_int_equal(cluster_global_set_su_cluster_active(g, "B", true, &conf, &err), 0);
	assert_true(g->su_clusters[1].active);
	assert_int_equal(cluster_global_set_su_cluster_active(g, "C", true, &conf, &err), -ENOENT);
	assert_string_equal(err.msg, "SU Cluster 'C' does not exist");
	assert_int_equal(cluster_global_remove_su_cluster(g, "C", &conf, &err), -ENOENT);
	assert_int_equal(cluster_global_remove_su_cluster(g, "A", &conf, &err), 0);
	assert_int_equal(g->n_su_clusters, 1);
	assert_string_equal(g->su_clusters[0].name, "B");
	assert_null(cluster_su_cluster_of(g, "su1", NULL));
	cluster_global_free(g);
}

/* An SU in an SU Cluster is not removed; an MU whose removal would leave an SU /390
 * Cluster without its Management Cluster is refused by the validation. */
static void test_remove_unit_in_su_cluster(void **state)
{
	struct cluster_global *g = parse(SUCS("{\"name\":\"A\",\"units\":[\"su1\",\"su2\"]},"
					      "{\"name\":\"B\",\"units\":[\"su4\",\"su6\"]}"));
	struct cluster_conflicts conf;
	struct sec_err err = {0};

	(void)state;
	assert_int_equal(cluster_global_remove_unit(g, "su2", &conf, &err), -EBUSY);
	assert_string_equal(err.msg, "SU 'su2' is in SU Cluster 'A': delete the SU Cluster first");
	assert_int_equal(conf.n, 1);
	assert_string_equal(conf.c[0].object, "su_cluster");
	assert_string_equal(conf.c[0].name, "A");
	assert_int_equal(cluster_global_remove_unit(g, "mu2", &conf, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "is not in the Management Cluster"));
	assert_int_equal(cluster_global_remove_unit(g, "su3", &conf, &err), 0);
	assert_int_equal(cluster_global_remove_su_cluster(g, "A", &conf, &err), 0);
	assert_int_equal(cluster_global_remove_unit(g, "su2", &conf, &err), 0);
	cluster_global_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_both_ways),
		cmocka_unit_test(test_no_su_clusters_key_left_out),
		cmocka_unit_test(test_validation_names_field),
		cmocka_unit_test(test_x86_same_server),
		cmocka_unit_test(test_add_and_refusals),
		cmocka_unit_test(test_activate_delete),
		cmocka_unit_test(test_remove_unit_in_su_cluster),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
