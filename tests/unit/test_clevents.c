/* test_clevents.c — status events of status.md §5 (seed 2.3.3) and the master-change rule. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>

#include "clstatus/clevents.h"
#include "clstatus_fixture.h"

struct got {
	int n;
	struct clev_event ev[32];
};

static int collect(void *ctx, const struct clev_event *ev)
{
	struct got *g = ctx;
	if (g->n < 32)
		g->ev[g->n] = *ev;
	g->n++;
	return 0;
}

static int count_msg(const struct got *g, const char *msg)
{
	int c = 0;
	for (int i = 0; i < g->n && i < 32; i++)
		if (strcmp(g->ev[i].msg, msg) == 0)
			c++;
	return c;
}

static void dump(const struct got *g)
{
	for (int i = 0; i < g->n && i < 32; i++)
		print_message("  %s %s %s: %s\n", crd_event_weight_to_string(g->ev[i].weight),
			      g->ev[i].component, g->ev[i].unit, g->ev[i].msg);
}

struct fx {
	struct cls_input in;
	struct cls_snapshot a, b;
	struct clev_tracker t;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	clev_tracker_init(&f->t);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* The scenario: 2 SE Servers × 2 MUs, kill -9 the master mu11; mu12 takes over.
 * Exactly three events, each once; the interval without a master raises nothing. */
static void test_kill_master(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	fx_topo(&f->in, 2, 2, false);
	/* mu11 publishes NORMAL; mu12 adopted it (version 7) */
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	f->a.version = 7;
	assert_int_equal(clev_tracker_adopt(&f->t, &f->a), 1);

	/* mu11 killed: mu12 computes without a master for a while */
	f->in.master = -1;
	fx_silent(&f->in, "mu11");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(f->b.mgmt.status, CLS_ERROR);
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu12", collect, &g), 0);
	assert_int_equal(g.n, 0);

	/* mu12 is master: its first computation against the last published snapshot */
	f->in.master = fx_find(&f->in, "mu12");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu12", collect, &g), 3);
	dump(&g);
	assert_int_equal(g.n, 3);
	assert_int_equal(count_msg(&g, "Network heartbeat of unit 'mu11' changed from 'NORMAL' to "
				       "'NOT_ACCESSIBLE'"),
			 1);
	assert_int_equal(count_msg(&g, "Cluster state of 'Management Cluster' changed from "
				       "'NORMAL' to 'WARNING'"),
			 1);
	assert_int_equal(count_msg(&g, "Master MU changed from 'mu11' to 'mu12'"), 1);
	for (int i = 0; i < 3; i++)
		assert_string_equal(g.ev[i].component, "Cluster");
	/* weights of status.md §5 */
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_NOTICE);  /* Master MU changed */
	assert_int_equal(g.ev[1].weight, CRD_WEIGHT_WARNING); /* NOT_ACCESSIBLE */
	assert_int_equal(g.ev[2].weight, CRD_WEIGHT_WARNING); /* → WARNING */
	assert_string_equal(g.ev[1].unit, "mu11");
	assert_string_equal(g.ev[2].unit, "mu12");

	/* later: mu11's alive message goes stale (power UNKNOWN) — no event of its own */
	fx_dead(&f->in, "mu11");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	g.n = 0;
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu12", collect, &g), 0);

	/* mu11 restarts and answers: NORMAL again */
	fx_healthy(fx_obs(&f->in, "mu11"));
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu12", collect, &g), 2);
	dump(&g);
	assert_int_equal(count_msg(&g, "Network heartbeat of unit 'mu11' changed from "
				       "'NOT_ACCESSIBLE' to 'NORMAL'"),
			 1);
	assert_int_equal(count_msg(&g, "Cluster state of 'Management Cluster' changed from "
				       "'WARNING' to 'NORMAL'"),
			 1);
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_NOTICE);
	assert_int_equal(g.ev[1].weight, CRD_WEIGHT_NOTICE);
}

/* status.md §5: a master change with no other difference raises only `Master MU changed`,
 * however long the interval without a master (and whatever it computed meanwhile). */
static void test_master_change_only(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	fx_topo(&f->in, 2, 2, true);
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	assert_int_equal(clev_tracker_publish(&f->t, &f->a, "mu11", collect, &g), 0);
	/* the first publication of a new cluster has nothing to compare with */
	assert_int_equal(g.n, 0);
	f->in.master = -1;
	for (int i = 0; i < 5; i++) {
		assert_int_equal(cls_compute(&f->in, &f->b), 0);
		assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu21", collect, &g), 0);
	}
	f->in.master = fx_find(&f->in, "mu21");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu21", collect, &g), 1);
	assert_string_equal(g.ev[0].msg, "Master MU changed from 'mu11' to 'mu21'");
	assert_string_equal(g.ev[0].component, "Cluster");
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_NOTICE);
	/* publishing the same again: nothing */
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu21", collect, &g), 0);
}

/* The seed 2.3.3 example: an MU powered off → its heartbeat, the Management Cluster and the
 * SU /390 Cluster, each WARNING, with the seed's texts. */
static void test_seed_example_mu_powered_off(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	fx_topo(&f->in, 2, 2, true);
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	fx_obs(&f->in, "mu22")->powered_off = true;
	fx_silent(&f->in, "mu22");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_diff(&f->a, &f->b, "mu11", collect, &g), 3);
	dump(&g);
	assert_string_equal(g.ev[0].msg, "Network heartbeat of unit 'mu22' changed from 'NORMAL' "
					 "to 'NOT_ACCESSIBLE'");
	assert_string_equal(g.ev[1].msg, "Cluster state of 'Management Cluster' changed from "
					 "'NORMAL' to 'WARNING'");
	assert_string_equal(g.ev[2].msg, "Cluster state of 'SU390' changed from 'NORMAL' to "
					 "'WARNING'");
	for (int i = 0; i < 3; i++)
		assert_int_equal(g.ev[i].weight, CRD_WEIGHT_WARNING);
}

/* Weights by new state: NORMAL→NOTICE, WARNING→WARNING, ERROR→ERROR, INACTIVE→NOTICE. */
static void test_cluster_state_weights(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	assert_int_equal(clev_cluster_state_weight(CLS_NORMAL), CRD_WEIGHT_NOTICE);
	assert_int_equal(clev_cluster_state_weight(CLS_WARNING), CRD_WEIGHT_WARNING);
	assert_int_equal(clev_cluster_state_weight(CLS_ERROR), CRD_WEIGHT_ERROR);
	assert_int_equal(clev_cluster_state_weight(CLS_INACTIVE), CRD_WEIGHT_NOTICE);
	fx_topo(&f->in, 2, 2, true);
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	f->in.su_cluster[1].inactive = true;
	fx_obs(&f->in, "su390-1")->crd = CRD_UNIT_ERROR;
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_diff(&f->a, &f->b, "mu11", collect, &g), 2);
	assert_string_equal(g.ev[0].msg, "Cluster state of 'SU390' changed from 'NORMAL' to 'ERROR'");
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_ERROR);
	assert_string_equal(g.ev[1].msg,
			    "Cluster state of 'SUx86' changed from 'NORMAL' to 'INACTIVE'");
	assert_int_equal(g.ev[1].weight, CRD_WEIGHT_NOTICE);
}

/* CRD disk events (component CRD) and clock skew (its own event, component Cluster). */
static void test_crd_disk_and_skew(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	fx_topo(&f->in, 2, 2, false);
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	struct cls_unit_obs *o = fx_obs(&f->in, "mu21");
	o->disk[1] = CRD_DISK_NOT_ACCESSIBLE;
	o->crd = CRD_UNIT_WARNING;
	o = fx_obs(&f->in, "mu22");
	o->skew_known = true;
	o->skew_ms = 2500;
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	assert_int_equal(clev_diff(&f->a, &f->b, "mu11", collect, &g), 3);
	dump(&g);
	assert_string_equal(g.ev[0].msg,
			    "CRD disk 'ext2' of unit 'mu21' changed from 'NORMAL' to 'NOT_ACCESSIBLE'");
	assert_string_equal(g.ev[0].component, "CRD");
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_WARNING);
	assert_string_equal(g.ev[1].msg, "Clock skew of unit 'mu22' is 2500 ms, above the threshold");
	assert_string_equal(g.ev[1].component, "Cluster");
	assert_int_equal(g.ev[1].weight, CRD_WEIGHT_WARNING);
	assert_string_equal(g.ev[2].msg, "Cluster state of 'Management Cluster' changed from "
					 "'NORMAL' to 'WARNING'");
	/* and back */
	g.n = 0;
	assert_int_equal(clev_diff(&f->b, &f->a, "mu11", collect, &g), 3);
	assert_string_equal(g.ev[0].msg,
			    "CRD disk 'ext2' of unit 'mu21' changed from 'NOT_ACCESSIBLE' to 'NORMAL'");
	assert_int_equal(g.ev[0].weight, CRD_WEIGHT_NOTICE);
	assert_string_equal(g.ev[1].msg, "Clock skew of unit 'mu22' is within the threshold again");
	assert_int_equal(g.ev[1].weight, CRD_WEIGHT_NOTICE);
}

/* Topology changes raise no status events; a callback error stops the diff and the tracker
 * keeps the old snapshot so that a retry raises the same events. */
static int fail_second(void *ctx, const struct clev_event *ev)
{
	int *n = ctx;
	(void)ev;
	return ++*n == 2 ? -EIO : 0;
}

static void test_topology_change_and_errors(void **state)
{
	struct fx *f = *state;
	struct got g = {0};
	fx_topo(&f->in, 2, 2, false);
	assert_int_equal(cls_compute(&f->in, &f->a), 0);
	fx_add(&f->in, "mu23", CLS_ROLE_MU, CLS_SU_NONE, 1);
	fx_silent(&f->in, "mu23");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	/* the new unit has no old status: only the cluster state changes */
	assert_int_equal(clev_diff(&f->a, &f->b, "mu11", collect, &g), 1);
	assert_string_equal(g.ev[0].msg, "Cluster state of 'Management Cluster' changed from "
					 "'NORMAL' to 'WARNING'");

	assert_int_equal(clev_tracker_publish(&f->t, &f->a, "mu11", collect, &g), 0);
	fx_silent(&f->in, "mu21");
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	int calls = 0;
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu11", fail_second, &calls), -EIO);
	g.n = 0;
	assert_int_equal(clev_tracker_publish(&f->t, &f->b, "mu11", collect, &g), 2);

	/* adopt: only newer versions with a master */
	clev_tracker_init(&f->t);
	f->a.version = 5;
	assert_int_equal(clev_tracker_adopt(&f->t, &f->a), 1);
	f->b.version = 4;
	assert_int_equal(clev_tracker_adopt(&f->t, &f->b), 0);
	f->in.master = -1;
	assert_int_equal(cls_compute(&f->in, &f->b), 0);
	f->b.version = 9;
	assert_int_equal(clev_tracker_adopt(&f->t, &f->b), 0);
	assert_int_equal(f->t.last.version, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_kill_master, setup, teardown),
		cmocka_unit_test_setup_teardown(test_master_change_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_seed_example_mu_powered_off, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cluster_state_weights, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crd_disk_and_skew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_topology_change_and_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
