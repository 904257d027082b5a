/* test_su_lmcheck.c — the Live Migration precondition check (su/lmcheck.h, vm2000.md §5
 * "Checks"): one test per precondition, each asserting its row, its message and that
 * neither model changed; several conflicts at once; a clean check with the VMS2471
 * warnings; /CHECK-VM-MIGRATION as a plan; /MIGRATE-VM-DEFINITION (epoch + 1,
 * migrated_from, the target's half, refusals, the daemon's failure reports, and the
 * reconcile outcome of a crash between the target's and the source's write). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdbool.h>

#include "sdf/sdf.h"
#include "su/lmcheck.h"
#include "su_fixture.h"

#define NOW 1796014862000LL

/* Source su1 (unit 3, fixture) and target su2 (unit 4, same I/O configuration except its
 * own local disk L0), an active SU Cluster SUC1, and a check result. */
struct lm {
	struct fx *s, *t;
	struct su_lm_ctx ctx;
	struct su_lm_check *chk;
	char *s_before, *t_before;
	unsigned s_nev, t_nev;
};

static void make_su2(struct fx *t)
{
	struct su_res r = t->m->res;

	snprintf(r.name, sizeof(r.name), "su2");
	snprintf(r.host_name, sizeof(r.host_name), "su2");
	r.unit_id = 4;
	for (unsigned i = 0; i < r.io.n; i++)
		if (strcmp(r.io.dev[i].mn, "L0") == 0)
			snprintf(r.io.dev[i].backing, sizeof(r.io.dev[i].backing),
				 "/lab/su2/L0.img");
	su_model_set_res(t->m, &r);
	t->m->own.unit = 4;
}

static struct lm *lm_new2(enum su_type stype, enum su_type ttype)
{
	struct lm *l = calloc(1, sizeof(*l));

	l->s = fx_new(stype);
	l->t = fx_new(ttype);
	l->t->rnd = 1000; /* other vm_uuids than the source's */
	make_su2(l->t);
	snprintf(l->ctx.cluster, sizeof(l->ctx.cluster), "SUC1");
	l->ctx.cluster_active = true;
	l->ctx.same_cluster = true;
	snprintf(l->ctx.target, sizeof(l->ctx.target), "su2");
	l->chk = calloc(1, sizeof(*l->chk));
	return l;
}

static struct lm *lm_new(void)
{
	return lm_new2(SU_TYPE_X86, SU_TYPE_X86);
}

static void lm_free(struct lm *l)
{
	fx_free(l->s);
	fx_free(l->t);
	free(l->chk);
	free(l->s_before);
	free(l->t_before);
	free(l);
}

/* The VM most tests move: (4,G4), 2048 MB, disks A000 A001, tape T0, local disk L0,
 * console C0, initialized (INIT-ONLY). */
static void lm_g4(struct lm *l)
{
	fx_ok(l->s, "/CREATE-VM VM-NAME=G4,VM-INDEX=4,MEMORY-SIZE=2048,"
		    "DEVICES=*PARAMETERS(UNITS=(A000,A001,T0,L0,C0))");
}

static void dump(const struct su_lm_check *c)
{
	for (unsigned i = 0; i < c->n_rows; i++)
		fprintf(stderr, "  row %s | %s | %s | %s | %s\n",
			su_lm_sev_to_string(c->rows[i].sev), c->rows[i].resource, c->rows[i].name,
			c->rows[i].message, c->rows[i].msgid);
	for (unsigned i = 0; i < c->n_msgs; i++)
		fprintf(stderr, "  | %s\n", c->msgs[i]);
	fprintf(stderr, "  rc %s %u %u\n", c->rc.maincode, c->rc.subcode1, c->rc.subcode2);
}

/* Runs the check of vm (name or "1") and asserts that neither model changed. */
static int lm_check_id(struct lm *l, const struct su_vmid *id)
{
	char *sb = su_model_to_json(l->s->m), *tb = su_model_to_json(l->t->m);
	unsigned sn = l->s->nev, tn = l->t->nev;

	int r = su_lm_check(l->s->m, l->t->m, &l->ctx, id, l->chk);
	char *sa = su_model_to_json(l->s->m), *ta = su_model_to_json(l->t->m);
	assert_string_equal(sb, sa);
	assert_string_equal(tb, ta);
	assert_int_equal(l->s->nev, sn);
	assert_int_equal(l->t->nev, tn);
	free(sb);
	free(tb);
	free(sa);
	free(ta);
	return r;
}

static int lm_check(struct lm *l, const char *name)
{
	struct su_vmid id = {.kind = SU_VMID_NAME};

	snprintf(id.name, sizeof(id.name), "%s", name);
	return lm_check_id(l, &id);
}

static const struct su_lm_row *find_row(const struct su_lm_check *c, const char *resource,
					const char *name, const char *msgid)
{
	for (unsigned i = 0; i < c->n_rows; i++)
		if (strcmp(c->rows[i].resource, resource) == 0 &&
		    strcmp(c->rows[i].name, name) == 0 && strcmp(c->rows[i].msgid, msgid) == 0)
			return &c->rows[i];
	return NULL;
}

static int find_msg(const struct su_lm_check *c, const char *s)
{
	for (unsigned i = 0; i < c->n_msgs; i++)
		if (strstr(c->msgs[i], s))
			return (int)i;
	return -1;
}

/* The check found exactly one conflict: this row (message text contains `message`), its
 * console lines VMS2404 + the reason (containing `text`), then VMS2461; rc VMS2461 0 2. */
static void expect_one(struct lm *l, int r, const char *resource, const char *name,
		       const char *msgid, const char *message, const char *text)
{
	const struct su_lm_row *row = find_row(l->chk, resource, name, msgid);
	char want[160];

	if (r != 0 || !row || l->chk->n_conflicts != 1 || !strstr(row->message, message) ||
	    !strstr(row->msg, text)) {
		dump(l->chk);
		fail_msg("want exactly one conflict %s/%s/%s '%s' '%s'", resource, name, msgid,
			 message, text);
	}
	assert_int_equal(row->sev, SU_LM_CONFLICT);
	assert_false(l->chk->possible);
	/* a conflict of the target: VMS2404 "REJECTED BY TARGET SU" and then the reason's own
	 * message; one of the source itself (its VM's state, the monitor, its other LM): the
	 * reason's message alone */
	bool source_side = !strcmp(resource, "VM state") || !strcmp(resource, "Monitor system") ||
			   !strcmp(resource, "Live migration");
	snprintf(want, sizeof(want), "REJECTED BY TARGET SU 'su2'. REASON: %s", msgid);
	int i = find_msg(l->chk, want);
	if (source_side) {
		assert_int_equal(i, -1);
		i = find_msg(l->chk, text) - 1;
		assert_true(i >= -1);
	} else {
		assert_true(i >= 0);
		assert_non_null(strstr(l->chk->msgs[i], "% VMS2404 LIVE MIGRATION OF VM "));
	}
	assert_true((unsigned)(i + 1) < l->chk->n_msgs);
	assert_non_null(strstr(l->chk->msgs[i + 1], text)); /* the reason's own message next */
	assert_non_null(strstr(l->chk->msgs[l->chk->n_msgs - 1], "% VMS2461 "));
	assert_non_null(strstr(l->chk->msgs[l->chk->n_msgs - 1], "NOT POSSIBLE"));
	assert_string_equal(l->chk->rc.maincode, "VMS2461");
	assert_int_equal(l->chk->rc.subcode1, 0);
	assert_int_equal(l->chk->rc.subcode2, 2);
}

/* ---- a clean check ---- */

static void test_clean_possible_with_warnings(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	int r = lm_check(l, "G4");
	if (r != 1)
		dump(l->chk);
	assert_int_equal(r, 1);
	assert_true(l->chk->possible);
	assert_int_equal(l->chk->n_conflicts, 0);
	assert_int_equal(l->chk->n_rows, 2); /* T0 and L0 warnings only */
	const struct su_lm_row *t0 = find_row(l->chk, "Device", "T0", "VMS2471");
	const struct su_lm_row *l0 = find_row(l->chk, "Device", "L0", "VMS2471");
	assert_non_null(t0);
	assert_non_null(l0);
	assert_int_equal(t0->sev, SU_LM_WARNING);
	assert_int_equal(l0->sev, SU_LM_WARNING);
	assert_string_equal(t0->msg, "% VMS2471 DEVICE 'T0' OF VM (4,G4) WILL BE DETACHED AT LIVE "
				     "MIGRATION");
	assert_true(find_msg(l->chk, "% VMS2471 DEVICE 'L0'") >= 0);
	assert_int_equal(find_msg(l->chk, "VMS2404"), -1);
	assert_string_equal(l->chk->msgs[l->chk->n_msgs - 1],
			    "% VMS2460 LIVE MIGRATION OF VM (4,G4) TO TARGET SU 'su2' POSSIBLE");
	assert_string_equal(l->chk->rc.maincode, "CMD0001");
	assert_int_equal(l->chk->rc.subcode2, 0);

	/* the API rows */
	char *j = su_lm_check_json(l->chk);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"possible\":true"));
	assert_non_null(strstr(j, "{\"severity\":\"warning\",\"resource\":\"Device\",\"name\":"
				  "\"T0\",\"message\":\"tape will be detached\",\"msgid\":"
				  "\"VMS2471\""));
	free(j);

	/* RUNNING and DOWN are fine too; the index by number as well */
	fx_ok(l->s, "/START-VM VM-ID=G4,IPL-UNIT=A000");
	struct su_vmid id = {.kind = SU_VMID_INDEX, .index = 4};
	assert_int_equal(lm_check_id(l, &id), 1);
	assert_int_equal(su_vm_guest_down(l->s->m, 4, "test", NULL), 1);
	assert_int_equal(lm_check(l, "G4"), 1);
	lm_free(l);
	(void)state;
}

/* ---- one test per precondition ---- */

static void test_memory(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM VM-NAME=BIG,MEMORY-SIZE=3000");
	int r = lm_check(l, "G4");
	expect_one(
	    l, r, "Main memory", "2048 MB", "VMS4504", "only 1096 MB free",
	    "% VMS4504 MAIN MEMORY BOTTLENECK: VIRTUAL MACHINE (4,G4) NEEDS 2048 MB, 1096 MB "
	    "FREE");
	lm_free(l);
	(void)state;
}

static void test_vm_index(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=OTHER,VM-INDEX=4,MEMORY-SIZE=256");
	int r = lm_check(l, "G4");
	expect_one(l, r, "VM index", "4", "VMS4011", "already in use",
		   "% VMS4011 VM INDEX 4 NOT AVAILABLE");
	lm_free(l);
	(void)state;
}

/* VM-INDEX=*ANY at creation: any free index on the target will do (seed 4.1) */
static void test_vm_index_any(void **state)
{
	struct lm *l = lm_new();
	fx_ok(l->s, "/CREATE-VM VM-NAME=G2,MEMORY-SIZE=256"); /* *ANY: index 2 */
	assert_true(su_model_vm_by_name(l->s->m, "G2")->index_any);
	assert_int_equal(lm_check(l, "G2"), 1);
	assert_int_equal(l->chk->target_index, 2); /* its own when free */
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=T2,VM-INDEX=2,MEMORY-SIZE=256");
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=T3,VM-INDEX=3,MEMORY-SIZE=256");
	assert_int_equal(lm_check(l, "G2"), 1);
	assert_int_equal(l->chk->target_index, 4); /* else the target's lowest free */
	/* the flag survives the region's JSON */
	char *j = su_model_to_json(l->s->m);
	struct sec_err err = {0};
	struct su_model *m2 = su_model_from_json(j, strlen(j), &err);
	assert_non_null(m2);
	assert_true(su_model_vm_by_name(m2, "G2")->index_any);
	su_model_free(m2);
	free(j);
	/* a definition moved to a fixed index is no longer *ANY */
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=D9,MEMORY-SIZE=256");
	assert_true(su_model_vm_by_name(l->s->m, "D9")->index_any);
	fx_ok(l->s, "/MODIFY-VM-DEFINITION VM-NAME=D9,VM-INDEX=9");
	assert_false(su_model_vm_by_name(l->s->m, "D9")->index_any);
	lm_free(l);
	(void)state;
}

static void test_vm_name(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=G4,VM-INDEX=7,MEMORY-SIZE=256");
	int r = lm_check(l, "G4");
	expect_one(l, r, "VM name", "G4", "VMS4013", "already in use",
		   "% VMS4013 VM NAME 'G4' NOT AVAILABLE");
	lm_free(l);
	(void)state;
}

static void test_exclusive_device(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM VM-NAME=X,VM-INDEX=9,MEMORY-SIZE=256,"
		    "DEVICES=*PARAMETERS(UNITS=(A001))");
	int r = lm_check(l, "G4");
	expect_one(l, r, "Device", "A001", "VMS4003", "already assigned in exclusive mode",
		   "% VMS4003 DEVICE 'A001' ALREADY ASSIGNED IN EXCLUSIVE MODE TO VIRTUAL MACHINE "
		   "(9,X)");
	/* a definition that is not initialized holds nothing */
	lm_free(l);
	l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=X,VM-INDEX=9,MEMORY-SIZE=256,"
		    "DEVICES=*PARAMETERS(UNITS=(A001))");
	assert_int_equal(lm_check(l, "G4"), 1);
	lm_free(l);
	(void)state;
}

static void drop_iodev(struct fx *f, const char *mn)
{
	struct su_res r = f->m->res;
	unsigned k = 0;

	for (unsigned i = 0; i < r.io.n; i++)
		if (strcmp(r.io.dev[i].mn, mn))
			r.io.dev[k++] = r.io.dev[i];
	r.io.n = k;
	su_model_set_res(f->m, &r);
}

static void test_device_not_generated(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	drop_iodev(l->t, "A001");
	int r = lm_check(l, "G4");
	expect_one(l, r, "Device", "A001", "VMS4001", "not generated on the target",
		   "% VMS4001 DEVICE 'A001' NOT GENERATED IN THE I/O CONFIGURATION OF SU 'su2'");
	lm_free(l);
	(void)state;
}

static void test_device_generated_differently(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	struct su_res res = l->t->m->res;
	for (unsigned i = 0; i < res.io.n; i++)
		if (strcmp(res.io.dev[i].mn, "A000") == 0)
			snprintf(res.io.dev[i].connector, sizeof(res.io.dev[i].connector), "C9");
	su_model_set_res(l->t->m, &res);
	int r = lm_check(l, "G4");
	expect_one(l, r, "Device", "A000", "VMS4034", "host connector C0 here, C9 on the target",
		   "% VMS4034 DEVICE 'A000' GENERATED DIFFERENTLY ON SU 'su2'");
	lm_free(l);
	(void)state;
}

static void test_in_hold_390(void **state)
{
	struct lm *l = lm_new2(SU_TYPE_390, SU_TYPE_390);
	lm_g4(l);
	fx_ok(l->s, "/START-VM VM-ID=G4,IPL-UNIT=A000");
	fx_ok(l->s, "/HOLD-VM VM-ID=G4");
	int r = lm_check(l, "G4");
	expect_one(l, r, "VM state", "IN HOLD (WAIT)", "VMS2405", "not RUNNING, INIT-ONLY or DOWN",
		   "% VMS2405 LIVE MIGRATION OF VM (4,G4) NOT POSSIBLE IN STATE IN HOLD (WAIT)");
	fx_ok(l->s, "/RESUME-VM VM-ID=G4");
	assert_int_equal(lm_check(l, "G4"), 1);
	lm_free(l);
	(void)state;
}

static void test_monitor(void **state)
{
	struct lm *l = lm_new();
	struct su_vmid id = {.kind = SU_VMID_INDEX, .index = 1};
	int r = lm_check_id(l, &id);
	expect_one(l, r, "Monitor system", "(1,MONITOR)", "VMS2408",
		   "the monitor cannot be migrated",
		   "% VMS2408 THE MONITOR SYSTEM CANNOT BE MIGRATED");
	assert_int_equal(lm_check(l, "MONITOR"), 0);
	assert_int_equal(l->chk->n_conflicts, 1);
	lm_free(l);
	(void)state;
}

static void test_inactive_cluster(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	l->ctx.cluster_active = false;
	int r = lm_check(l, "G4");
	expect_one(l, r, "SU Cluster", "SUC1", "VMS2402", "INACTIVE",
		   "% VMS2402 SU CLUSTER 'SUC1' IS NOT ACTIVE");
	lm_free(l);
	(void)state;
}

static void test_not_same_cluster(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	l->ctx.same_cluster = false;
	int r = lm_check(l, "G4");
	expect_one(l, r, "SU Cluster", "SUC1", "VMS2343", "not in SU Cluster 'SUC1'",
		   "% VMS2343 SU 'su2' IS NOT IN AN SU CLUSTER WITH SU 'su1'");
	memset(l->ctx.cluster, 0, sizeof(l->ctx.cluster));
	r = lm_check(l, "G4");
	expect_one(l, r, "SU Cluster", "-", "VMS2347", "in no SU Cluster",
		   "% VMS2347 SU 'su1' IS IN NO SU CLUSTER");
	lm_free(l);
	(void)state;
}

static void test_second_outbound_lm(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	l->ctx.outbound_lm = true;
	int r = lm_check(l, "G4");
	expect_one(l, r, "Live migration", "su1", "VMS2401", "another live migration",
		   "% VMS2401 ANOTHER LIVE MIGRATION FROM SU 'su1' IS RUNNING");
	lm_free(l);
	(void)state;
}

static void test_config_update_and_shutdown(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	l->ctx.config_update = true;
	int r = lm_check(l, "G4");
	expect_one(l, r, "Configuration update", "su1", "VMS2406", "running",
		   "% VMS2406 CONFIGURATION UPDATE RUNNING ON SU 'su1'");
	l->ctx.config_update = false;
	l->ctx.shutdown = true;
	r = lm_check(l, "G4");
	expect_one(l, r, "VM2000 shutdown", "su1", "VMS2409", "initiated",
		   "% VMS2409 VM2000 SHUTDOWN INITIATED ON SU 'su1'");
	lm_free(l);
	(void)state;
}

static void test_max_definitions(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=D1,MEMORY-SIZE=256");
	struct su_res res = l->t->m->res;
	res.max_defs = 1;
	su_model_set_res(l->t->m, &res);
	int r = lm_check(l, "G4");
	expect_one(l, r, "VM definitions", "1", "VMS2311", "maximum reached",
		   "% VMS2311 MAXIMUM NUMBER OF VM DEFINITIONS (1) REACHED");
	lm_free(l);
	(void)state;
}

static void test_max_vms(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM VM-NAME=R1,MEMORY-SIZE=256");
	struct su_res res = l->t->m->res;
	res.max_vms = 1;
	su_model_set_res(l->t->m, &res);
	int r = lm_check(l, "G4");
	expect_one(l, r, "Virtual machines", "1", "VMS4016", "maximum reached",
		   "% VMS4016 MAXIMUM NUMBER OF VIRTUAL MACHINES (1) REACHED");
	lm_free(l);
	(void)state;
}

static void test_defined_only(void **state)
{
	struct lm *l = lm_new();
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=5,MEMORY-SIZE=256");
	int r = lm_check(l, "D5");
	expect_one(l, r, "VM state", "NOT INITIALIZED", "VMS2407", "use /MIGRATE-VM-DEFINITION",
		   "% VMS2407 VIRTUAL MACHINE (5,D5) IS NOT INITIALIZED: USE "
		   "/MIGRATE-VM-DEFINITION");
	lm_free(l);
	(void)state;
}

static void test_different_su_types(void **state)
{
	struct lm *l = lm_new2(SU_TYPE_X86, SU_TYPE_390);
	lm_g4(l);
	int r = lm_check(l, "G4");
	expect_one(l, r, "SU type", "su2", "VMS2410", "SU x86 on the source, SU 390 on the target",
		   "% VMS2410 SU 'su1' (x86, VM2000) AND SU 'su2' (390, VM2000) DIFFER");
	lm_free(l);
	(void)state;
}

static void test_operation_modes(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	l->ctx.tgt_mode = SU_OPMODE_NATIVE;
	int r = lm_check(l, "G4");
	expect_one(l, r, "Operation mode", "su2", "VMS2410", "VM2000 on the source, NATIVE on",
		   "% VMS2410 SU 'su1' (x86, VM2000) AND SU 'su2' (x86, NATIVE) DIFFER");
	/* Native BS2000 on both: the target must be empty */
	l->ctx.src_mode = SU_OPMODE_NATIVE;
	assert_int_equal(lm_check(l, "G4"), 1);
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=OLD,VM-INDEX=9,MEMORY-SIZE=256");
	r = lm_check(l, "G4");
	expect_one(l, r, "Target SU", "su2", "VMS2411", "Native BS2000",
		   "% VMS2411 NATIVE BS2000: A BS2000 SYSTEM EXISTS ON TARGET SU 'su2'");
	lm_free(l);
	(void)state;
}

static void add_pool(struct fx *f, const char *name, unsigned cpus)
{
	struct su_res r = f->m->res;

	snprintf(r.pools[r.npools].name, sizeof(r.pools[0].name), "%s", name);
	r.pools[r.npools++].cpus = cpus;
	su_model_set_res(f->m, &r);
}

static void test_pool_missing(void **state)
{
	struct lm *l = lm_new();
	add_pool(l->s, "POOL1", 1);
	fx_ok(l->s, "/CREATE-VM VM-NAME=G4,VM-INDEX=4,MEMORY-SIZE=512,CPU-POOL-NAME=POOL1");
	int r = lm_check(l, "G4");
	expect_one(l, r, "CPU pool", "POOL1", "VMS4620", "does not exist on the target",
		   "% VMS4620 CPU POOL 'POOL1' DOES NOT EXIST");
	add_pool(l->t, "POOL1", 0);
	r = lm_check(l, "G4");
	expect_one(l, r, "CPU pool", "POOL1", "VMS2437", "has no CPU",
		   "% VMS2437 CPU POOL 'POOL1' HAS NO CPU ON SU 'su2'");
	lm_free(l);
	(void)state;
}

static void test_group_missing_390(void **state)
{
	struct lm *l = lm_new2(SU_TYPE_390, SU_TYPE_390);
	fx_ok(l->s, "/CREATE-VM VM-NAME=G4,VM-INDEX=4,MEMORY-SIZE=512,VM-GROUP-NAME=GRP1");
	struct su_res res = l->t->m->res;
	res.ngroups = 0;
	su_model_set_res(l->t->m, &res);
	int r = lm_check(l, "G4");
	expect_one(l, r, "VM group", "GRP1", "VMS4621", "does not exist on the target",
		   "% VMS4621 VM GROUP 'GRP1' DOES NOT EXIST");
	lm_free(l);
	(void)state;
}

/* ---- several conflicts at once: every one reported ---- */

static void test_all_conflicts_reported(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->t, "/CREATE-VM VM-NAME=BIG,VM-INDEX=4,MEMORY-SIZE=3000,"
		    "DEVICES=*PARAMETERS(UNITS=(A000))");
	drop_iodev(l->t, "A001");
	l->ctx.cluster_active = false;
	l->ctx.outbound_lm = true;
	int r = lm_check(l, "G4");
	assert_int_equal(r, 0);
	static const char *const want[][3] = {
	    {"Live migration", "su1", "VMS2401"}, {"SU Cluster", "SUC1", "VMS2402"},
	    {"VM index", "4", "VMS4011"},	  {"Main memory", "2048 MB", "VMS4504"},
	    {"Device", "A000", "VMS4003"},	  {"Device", "A001", "VMS4001"},
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		if (!find_row(l->chk, want[i][0], want[i][1], want[i][2])) {
			dump(l->chk);
			fail_msg("row %s %s %s missing", want[i][0], want[i][1], want[i][2]);
		}
	assert_int_equal(l->chk->n_conflicts, 6);
	assert_non_null(find_row(l->chk, "Device", "T0", "VMS2471")); /* warnings still there */
	unsigned n2404 = 0;
	for (unsigned i = 0; i < l->chk->n_msgs; i++)
		n2404 += strncmp(l->chk->msgs[i], "% VMS2404 ", 10) == 0;
	assert_int_equal(n2404, 5); /* not for the source's own conflict (its other LM) */
	/* conflicts, then warnings, then the verdict */
	assert_string_equal(
	    l->chk->msgs[l->chk->n_msgs - 1],
	    "% VMS2461 LIVE MIGRATION OF VM (4,G4) TO TARGET SU 'su2' NOT POSSIBLE");
	assert_int_equal(find_msg(l->chk, "VMS2460"), -1);
	char *j = su_lm_check_json(l->chk);
	assert_non_null(strstr(j, "\"possible\":false"));
	assert_non_null(
	    strstr(j, "\"rc\":{\"maincode\":\"VMS2461\",\"subcode1\":0,\"subcode2\":2}"));
	free(j);
	lm_free(l);
	(void)state;
}

/* ---- the target's own check at LM setup ---- */

static void test_incoming(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	const struct su_vm *vm = su_model_vm_by_name(l->s->m, "G4");
	assert_int_equal(su_lm_check_incoming(l->t->m, vm, &l->s->m->res.io, "su1", l->chk), 1);
	assert_int_equal(l->chk->n_rows, 2); /* the warnings */
	assert_int_equal(l->chk->target_index, 4);
	/* the target's model changed since the source's check: memory and A001 taken */
	fx_ok(l->t, "/CREATE-VM VM-NAME=BIG,MEMORY-SIZE=3000,DEVICES=*PARAMETERS(UNITS=(A001))");
	char *tb = su_model_to_json(l->t->m);
	assert_int_equal(su_lm_check_incoming(l->t->m, vm, NULL, "su1", l->chk), 0);
	assert_int_equal(l->chk->n_conflicts, 2);
	assert_non_null(find_row(l->chk, "Main memory", "2048 MB", "VMS4504"));
	assert_non_null(find_row(l->chk, "Device", "A001", "VMS4003"));
	assert_null(find_row(l->chk, "Device", "T0", "VMS2471")); /* no src_io: no warnings */
	assert_string_equal(l->chk->rc.maincode, "VMS2461");
	char *ta = su_model_to_json(l->t->m);
	assert_string_equal(tb, ta);
	free(tb);
	free(ta);
	lm_free(l);
	(void)state;
}

/* ---- the VM and the target not found ---- */

static void test_unknown_vm_and_target(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	assert_int_equal(lm_check(l, "NOPE"), 0);
	assert_string_equal(l->chk->rc.maincode, "VMS4000");
	assert_int_equal(l->chk->rc.subcode1, 64);
	assert_int_equal(l->chk->n_rows, 0);
	assert_int_equal(su_lm_check(l->s->m, NULL, &l->ctx,
				     &(struct su_vmid){.kind = SU_VMID_INDEX, .index = 4}, l->chk),
			 0);
	assert_string_equal(l->chk->msgs[0], "% VMS2400 TARGET SU 'su2' NOT DETECTED");
	l->ctx.target[0] = '\0';
	su_lm_check(l->s->m, NULL, &l->ctx, &(struct su_vmid){.kind = SU_VMID_INDEX, .index = 4},
		    l->chk);
	assert_string_equal(l->chk->rc.maincode, "VMS2341");
	snprintf(l->ctx.target, sizeof(l->ctx.target), "su1");
	assert_int_equal(lm_check(l, "G4"), 0);
	assert_string_equal(l->chk->rc.maincode, "VMS2342");
	assert_int_equal(su_lm_check(NULL, l->t->m, &l->ctx, &(struct su_vmid){0}, l->chk),
			 -EINVAL);
	lm_free(l);
	(void)state;
}

/* ---- the commands ---- */

static void parse(const char *text, struct su_cmd *c)
{
	struct sdf_cmd *t = NULL;
	struct sdf_error e = {0};
	struct sec_err err = {0};

	if (sdf_parse(su_syntax, su_syntax_n, text, &t, &e) < 0)
		fail_msg("parse '%s': %s", text, e.msg);
	assert_int_equal(su_cmd_from_sdf(t, text, c, &err), 0);
	sdf_cmd_free(t);
}

static struct su_plan *plan_lm(struct lm *l, const char *text)
{
	struct su_cmd c;

	parse(text, &c);
	struct su_plan *p = su_cmd_plan_lm(l->s->m, &c, l->t->m, &l->ctx, NOW);
	assert_non_null(p);
	return p;
}

static void test_check_command(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	struct su_cmd c;
	parse("/CHECK-VM-MIGRATION VM-ID=G4,SERVER-UNIT-NAME=su2", &c);
	assert_string_equal(c.su_name, "SU2"); /* SDF gives names in upper case */
	parse("/CHECK-VM-MIGRATION VM-ID=G4", &c);
	assert_string_equal(c.su_name, ""); /* *UNIQUE */

	struct su_plan *p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=G4,SERVER-UNIT-NAME=*UNIQUE");
	assert_true(p->ok);
	assert_string_equal(p->rc.maincode, "CMD0001");
	assert_int_equal(p->n_eff, 0);
	assert_null(p->next);
	assert_non_null(p->lm);
	assert_int_equal(p->n_msgs, 3); /* T0, L0, VMS2460 */
	assert_string_equal(p->msgs[2],
			    "% VMS2460 LIVE MIGRATION OF VM (4,G4) TO TARGET SU 'su2' POSSIBLE");
	assert_int_equal(su_cmd_commit(l->s->m, p), 0); /* information only: a no-op */
	su_plan_free(p);

	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=OTHER,VM-INDEX=4,MEMORY-SIZE=256");
	p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=4,SERVER-UNIT-NAME=SU2");
	assert_true(p->ok);
	assert_string_equal(p->rc.maincode, "VMS2461");
	assert_int_equal(p->rc.subcode2, 2);
	assert_int_equal(p->lm->n_conflicts, 1);
	/* the command's result carries the rows (the API's "check") */
	char *txt = su_plan_result_json(p);
	json_t *res = txt ? json_loads(txt, 0, NULL) : NULL;
	json_t *chk = json_object_get(res, "check");
	json_t *r0 = json_array_get(json_object_get(chk, "rows"), 0);
	assert_non_null(r0);
	assert_string_equal(json_string_value(json_object_get(r0, "resource")), "VM index");
	assert_string_equal(json_string_value(json_object_get(r0, "name")), "4");
	assert_string_equal(json_string_value(json_object_get(r0, "message")), "already in use");
	assert_false(json_is_true(json_object_get(chk, "possible")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(chk, "rc"),
								"maincode")), "VMS2461");
	json_decref(res);
	free(txt);
	su_plan_free(p);

	p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=G4,SERVER-UNIT-NAME=su7");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS2400");
	assert_int_equal(p->rc.subcode1, 64);
	su_plan_free(p);
	p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=G4,SERVER-UNIT-NAME=su1");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS2342");
	su_plan_free(p);
	p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=G9");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS4000");
	su_plan_free(p);

	/* other commands go to su_cmd_plan(), which still answers VMS9010 for these */
	p = plan_lm(l, "/SHOW-VM-RESOURCES");
	assert_true(p->ok);
	su_plan_free(p);
	p = su_cmd_plan_text(l->s->m, "/CHECK-VM-MIGRATION VM-ID=G4", NOW);
	assert_string_equal(p->rc.maincode, "VMS9010");
	su_plan_free(p);
	lm_free(l);
	(void)state;
}

/* Carries out a MIGRATE-VM-DEFINITION plan as the daemon does: the target's half first,
 * then the source's region. */
static void run_defmig(struct lm *l, struct su_plan *p)
{
	assert_true(p->ok);
	assert_int_equal(p->n_eff, 2);
	assert_int_equal(p->eff[0].kind, SU_EFF_PARTNER_DEF_WRITE);
	assert_int_equal(p->eff[1].kind, SU_EFF_REGION_WRITE);
	assert_int_equal(su_effect_undo(SU_EFF_PARTNER_DEF_WRITE), 0);
	struct su_plan *tp = su_lm_defmig_target_plan(l->t->m, p->defmig, NOW);
	assert_non_null(tp);
	assert_true(tp->ok);
	assert_int_equal(tp->n_eff, 1);
	assert_int_equal(tp->eff[0].kind, SU_EFF_REGION_WRITE);
	assert_int_equal(su_cmd_commit(l->t->m, tp), 0);
	assert_true(fx_find(tp, "% VMS2322 VM DEFINITION 'D5' TAKEN OVER FROM SU 'su1'") >= 0);
	su_plan_free(tp);
	assert_int_equal(su_cmd_commit(l->s->m, p), 0);
}

static void test_migrate_definition(void **state)
{
	struct lm *l = lm_new();
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=5,MEMORY-SIZE=256,"
		    "DEVICES=*PARAMETERS(UNITS=(A000,T0))");
	struct su_vm *vm = su_model_vm_by_name(l->s->m, "D5");
	crd_uuid u = vm->vm_uuid;
	uint64_t epoch = crd_owner_find(&l->s->m->own, &u)->epoch;
	struct crd_owner_region *before = malloc(sizeof(*before));
	*before = l->s->m->own;
	unsigned sev = l->s->nev, tev = l->t->nev;

	struct su_plan *p = plan_lm(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2");
	assert_true(p->ok);
	assert_non_null(su_model_vm_by_name(l->s->m, "D5")); /* planning changed nothing */
	const struct su_lm_defmig *dm = p->defmig;
	assert_non_null(dm);
	assert_memory_equal(&dm->def.vm_uuid, &u, sizeof(u));
	assert_int_equal(dm->def.epoch, epoch + 1);
	assert_int_equal(dm->def.migrated_from, 3);
	assert_int_equal(dm->def.owner, 4);
	assert_int_equal(dm->def.lm_id, 0);
	assert_int_equal(dm->vm.state, SU_VM_DEFINED_ONLY);
	assert_int_equal(dm->vm.index, 5);
	/* the source's next: no definition, no tombstone (the target's copy supersedes) */
	assert_null(su_model_vm_by_name(p->next, "D5"));
	assert_null(crd_owner_find(&p->next->own, &u));
	assert_null(crd_owner_find_tomb(&p->next->own, &u));

	run_defmig(l, p);
	assert_true(fx_find(p, "% VMS2320 VM DEFINITION 'D5' MIGRATED TO SU 'su2'") >= 0);
	su_plan_free(p);
	assert_null(su_model_vm_by_name(l->s->m, "D5"));
	vm = su_model_vm_by_name(l->t->m, "D5");
	assert_non_null(vm);
	assert_int_equal(vm->index, 5);
	assert_int_equal(vm->state, SU_VM_DEFINED_ONLY);
	assert_int_equal(vm->ndevs, 2);
	const struct crd_vmdef *d = crd_owner_find(&l->t->m->own, &u);
	assert_non_null(d);
	assert_int_equal(d->epoch, epoch + 1);
	assert_int_equal(d->migrated_from, 3);
	assert_int_equal(l->s->nev, sev + 1); /* "migrated to" */
	assert_int_equal(l->t->nev, tev + 1); /* "taken over from" */

	/* the reconcile agrees: nothing to drop or mark after both writes ... */
	struct crd_owner_region *out = malloc(sizeof(*out));
	struct crd_reconcile_report *rep = malloc(sizeof(*rep));
	assert_int_equal(crd_owner_reconcile(&l->s->m->own, &l->t->m->own, out, rep), 0);
	for (uint32_t i = 0; i < rep->n; i++)
		assert_true(rep->items[i].kind != CRD_RC_CONFLICT_EPOCH &&
			    rep->items[i].kind != CRD_RC_DROPPED_SUPERSEDED);
	/* ... and a source that died between the target's write and its own drops its copy
	 * (target first: the definition is never lost, never valid twice) */
	assert_int_equal(crd_owner_reconcile(before, &l->t->m->own, out, rep), 0);
	bool dropped = false;
	for (uint32_t i = 0; i < rep->n; i++)
		dropped |= rep->items[i].kind == CRD_RC_DROPPED_SUPERSEDED &&
			   memcmp(&rep->items[i].vm_uuid, &u, sizeof(u)) == 0;
	assert_true(dropped);
	assert_null(crd_owner_find(out, &u));
	/* the target never drops its copy against the old source region */
	assert_int_equal(crd_owner_reconcile(&l->t->m->own, before, out, rep), 0);
	assert_non_null(crd_owner_find(out, &u));
	assert_int_equal(crd_owner_find(out, &u)->flags & CRD_VMDEF_CONFLICT, 0);
	free(out);
	free(rep);
	free(before);
	lm_free(l);
	(void)state;
}

static void test_migrate_definition_index_any(void **state)
{
	struct lm *l = lm_new();
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=DA,MEMORY-SIZE=256"); /* *ANY: 2 */
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=T2,VM-INDEX=2,MEMORY-SIZE=256");
	struct su_plan *p = plan_lm(l, "/MIGRATE-VM-DEFINITION VM-NAME=DA,SERVER-UNIT-NAME=su2");
	assert_true(p->ok);
	assert_int_equal(p->defmig->vm.index, 3);
	/* index 3 taken on the target meanwhile: the target takes the next free one */
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=T3,VM-INDEX=3,MEMORY-SIZE=256");
	struct su_plan *tp = su_lm_defmig_target_plan(l->t->m, p->defmig, NOW);
	assert_true(tp->ok);
	assert_int_equal(su_cmd_commit(l->t->m, tp), 0);
	su_plan_free(tp);
	assert_int_equal(su_model_vm_by_name(l->t->m, "DA")->index, 4);
	assert_int_equal(su_cmd_commit(l->s->m, p), 0);
	su_plan_free(p);
	lm_free(l);
	(void)state;
}

static void expect_defmig_refused(struct lm *l, const char *text, const char *mc, const char *msg)
{
	char *sb = su_model_to_json(l->s->m), *tb = su_model_to_json(l->t->m);
	struct su_plan *p = plan_lm(l, text);
	if (p->ok || strcmp(p->rc.maincode, mc) || fx_find(p, msg) < 0) {
		fx_dump(p);
		fail_msg("want %s with '%s'", mc, msg);
	}
	assert_int_equal(p->rc.subcode1, 64);
	assert_int_equal(p->n_eff, 0);
	assert_null(p->next);
	assert_null(p->defmig);
	assert_int_equal(su_cmd_commit(l->s->m, p), -EINVAL);
	char *sa = su_model_to_json(l->s->m), *ta = su_model_to_json(l->t->m);
	assert_string_equal(sb, sa);
	assert_string_equal(tb, ta);
	free(sb);
	free(tb);
	free(sa);
	free(ta);
	su_plan_free(p);
}

static void test_migrate_definition_refused(void **state)
{
	struct lm *l = lm_new();
	lm_g4(l);
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=5,MEMORY-SIZE=256");
	expect_defmig_refused(l, "/MIGRATE-VM-DEFINITION VM-NAME=G4,SERVER-UNIT-NAME=su2",
			      "VMS4015",
			      "% VMS4015 VIRTUAL MACHINE (4,G4) IS INITIALIZED: ITS DEFINITION "
			      "CANNOT BE MIGRATED");
	expect_defmig_refused(l, "/MIGRATE-VM-DEFINITION VM-NAME=NOPE,SERVER-UNIT-NAME=su2",
			      "VMS2300", "% VMS2300 VM DEFINITION 'NOPE' DOES NOT EXIST");
	expect_defmig_refused(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su7",
			      "VMS2400", "% VMS2400 TARGET SU 'SU7' NOT DETECTED");
	l->ctx.cluster_active = false;
	expect_defmig_refused(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2",
			      "VMS2402", "% VMS2402 SU CLUSTER 'SUC1' IS NOT ACTIVE");
	l->ctx.cluster_active = true;
	fx_ok(l->t, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=8,MEMORY-SIZE=256");
	expect_defmig_refused(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2",
			      "VMS2324",
			      "% VMS2324 VM DEFINITION 'D5' REJECTED BY TARGET SU 'su2'. REASON: "
			      "VMS4013");

	/* the target's half refuses by itself too (its model may be newer than the
	 * source's view of it): take a request planned against an older target */
	struct lm *l2 = lm_new();
	fx_ok(l2->s, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=5,MEMORY-SIZE=256");
	struct su_plan *p = plan_lm(l2, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2");
	assert_true(p->ok);
	fx_ok(l2->t, "/CREATE-VM-DEFINITION VM-NAME=Z,VM-INDEX=5,MEMORY-SIZE=256");
	char *tb = su_model_to_json(l2->t->m);
	struct su_plan *tp = su_lm_defmig_target_plan(l2->t->m, p->defmig, NOW);
	assert_false(tp->ok);
	assert_string_equal(tp->rc.maincode, "VMS2324");
	assert_true(fx_find(tp, "REASON: VMS4011") >= 0);
	assert_int_equal(su_cmd_commit(l2->t->m, tp), -EINVAL);
	char *ta = su_model_to_json(l2->t->m);
	assert_string_equal(tb, ta);
	free(tb);
	free(ta);
	su_plan_free(tp);
	/* the daemon reports the refusal: nothing counts on the source */
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_TARGET_REFUSED, "VMS4011"), 0);
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS2324");
	assert_int_equal(su_cmd_commit(l2->s->m, p), -EALREADY);
	assert_non_null(su_model_vm_by_name(l2->s->m, "D5"));
	su_plan_free(p);
	lm_free(l2);
	lm_free(l);
	(void)state;
}

static void test_migrate_definition_failures(void **state)
{
	struct lm *l = lm_new();
	fx_ok(l->s, "/CREATE-VM-DEFINITION VM-NAME=D5,VM-INDEX=5,MEMORY-SIZE=256");

	/* not confirmed in time: nothing counts here; in doubt, the reconcile settles it */
	struct su_plan *p = plan_lm(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2");
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_TARGET_TIMEOUT, NULL), 0);
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS2325");
	assert_true(fx_find(p, "% VMS2325 MIGRATION OF VM DEFINITION 'D5' NOT CONFIRMED IN TIME "
			       "BY TARGET SU 'su2'") >= 0);
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_TARGET_FAILED, "x"), -EALREADY);
	su_plan_free(p);
	assert_non_null(su_model_vm_by_name(l->s->m, "D5"));

	p = plan_lm(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2");
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_TARGET_FAILED, "CRD write failed"), 0);
	assert_true(fx_find(p, "% VMS2323 VM DEFINITION 'D5' COULD NOT BE MIGRATED TO SU 'su2': "
			       "CRD write failed") >= 0);
	su_plan_free(p);

	/* target written, own region write failed: commits with a warning */
	p = plan_lm(l, "/MIGRATE-VM-DEFINITION VM-NAME=D5,SERVER-UNIT-NAME=su2");
	struct su_plan *tp = su_lm_defmig_target_plan(l->t->m, p->defmig, NOW);
	assert_int_equal(su_cmd_commit(l->t->m, tp), 0);
	su_plan_free(tp);
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_SOURCE_FAILED, "I/O error"), 0);
	assert_true(p->ok);
	assert_int_equal(su_cmd_commit(l->s->m, p), 0);
	assert_string_equal(p->rc.maincode, "VMS2321");
	assert_int_equal(p->rc.subcode2, 2);
	assert_true(fx_find(p, "% VMS2321 VM DEFINITION 'D5' MIGRATED TO SU 'su2' BUT NOT "
			       "DELETED ON SU 'su1': I/O error") >= 0);
	assert_int_equal(fx_find(p, "VMS2320"), -1);
	assert_null(su_model_vm_by_name(l->s->m, "D5"));
	assert_non_null(su_model_vm_by_name(l->t->m, "D5"));
	su_plan_free(p);

	/* a CHECK plan is not a MIGRATE-VM-DEFINITION plan */
	fx_ok(l->s, "/CREATE-VM VM-NAME=G4,VM-INDEX=4,MEMORY-SIZE=256");
	p = plan_lm(l, "/CHECK-VM-MIGRATION VM-ID=G4");
	assert_int_equal(su_lm_defmig_fail(p, SU_DEFMIG_TARGET_FAILED, "x"), -EINVAL);
	su_plan_free(p);
	lm_free(l);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clean_possible_with_warnings),
	    cmocka_unit_test(test_memory),
	    cmocka_unit_test(test_vm_index),
	    cmocka_unit_test(test_vm_index_any),
	    cmocka_unit_test(test_vm_name),
	    cmocka_unit_test(test_exclusive_device),
	    cmocka_unit_test(test_device_not_generated),
	    cmocka_unit_test(test_device_generated_differently),
	    cmocka_unit_test(test_in_hold_390),
	    cmocka_unit_test(test_monitor),
	    cmocka_unit_test(test_inactive_cluster),
	    cmocka_unit_test(test_not_same_cluster),
	    cmocka_unit_test(test_second_outbound_lm),
	    cmocka_unit_test(test_config_update_and_shutdown),
	    cmocka_unit_test(test_max_definitions),
	    cmocka_unit_test(test_max_vms),
	    cmocka_unit_test(test_defined_only),
	    cmocka_unit_test(test_different_su_types),
	    cmocka_unit_test(test_operation_modes),
	    cmocka_unit_test(test_pool_missing),
	    cmocka_unit_test(test_group_missing_390),
	    cmocka_unit_test(test_all_conflicts_reported),
	    cmocka_unit_test(test_incoming),
	    cmocka_unit_test(test_unknown_vm_and_target),
	    cmocka_unit_test(test_check_command),
	    cmocka_unit_test(test_migrate_definition),
	    cmocka_unit_test(test_migrate_definition_index_any),
	    cmocka_unit_test(test_migrate_definition_refused),
	    cmocka_unit_test(test_migrate_definition_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
