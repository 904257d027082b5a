/* test_su_lmrun.c — the model changes of a Live Migration as plans (su/lmrun.h): the
 * target's reservation is no unit data, the commit gives the target the definition with
 * epoch + 1, history and the source's state, the abort and finish plans (the VM's MONJV
 * stays `$T ` on the source, seed 4.8), sub-status DIFF keeps devices the source did not
 * generate from the VM (seed 4.8), and the partner reconcile (drops a superseded copy,
 * never a running guest's). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "su_fixture.h"
#include "su/lmrun.h"

#define LM_ID 0x1122334455667788ull

/* Carries out a plan's effects (QEMU_START pid 2000) and commits it. */
static void run(struct fx *f, struct su_plan *p)
{
	assert_non_null(p);
	if (!p->ok)
		fx_dump(p);
	assert_true(p->ok);
	for (size_t i = 0; i < p->n_eff; i++) {
		if (p->eff[i].kind == SU_EFF_QEMU_START)
			p->eff[i].pid = 2000;
		p->eff[i].done = true;
	}
	assert_int_equal(su_cmd_commit(f->m, p), 0);
	su_plan_free(p);
}

/* src has a running G1 at index 3; req is what its source sends for the LM. */
static void incoming_of(struct fx *src, struct su_lm_incoming *req)
{
	const struct su_vm *vm = su_model_vm_by_name(src->m, "G1");

	assert_non_null(vm);
	*req = (struct su_lm_incoming){.lm_id = LM_ID, .vm = *vm, .source_unit = 3};
	memset(&req->vm.rt, 0, sizeof(req->vm.rt));
	req->def = *crd_owner_find(&src->m->own, &vm->vm_uuid);
	snprintf(req->source, sizeof(req->source), "su1");
	req->src_io = &src->m->res.io;
}

static struct fx *target_of(enum su_type type)
{
	struct fx *t = fx_new(type);

	t->m->res.unit_id = 4;
	t->m->own.unit = 4;
	snprintf(t->m->res.name, sizeof(t->m->res.name), "su2");
	snprintf(t->m->res.host_name, sizeof(t->m->res.host_name), "su2");
	return t;
}

static struct fx *target(void)
{
	return target_of(SU_TYPE_X86);
}

static void test_reserve_commit(void **state)
{
	struct fx *s = fx_new(SU_TYPE_X86), *t = target();
	struct su_lm_incoming req;

	(void)state;
	fx_ok(s, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64,DEVICES=*PARAMETERS(UNITS=(A000))");
	fx_ok(s, "/START-VM IPL-UNIT=A000,VM-ID=G1");
	incoming_of(s, &req);
	req.vm.state = SU_VM_RUNNING;
	run(t, su_lm_plan_incoming(t->m, &req, 1000));
	const struct su_vm *r = su_model_vm_by_name(t->m, "G1");
	assert_non_null(r);
	assert_int_equal(r->state, SU_VM_SETUP_MIGR);
	assert_non_null(crd_owner_find_lm(&t->m->own, CRD_LM_INCOMING, LM_ID));
	/* the reservation holds the memory but is no unit data */
	assert_int_equal(su_model_mem_free(t->m), 4096 - 64);
	char *js = su_model_to_json(t->m);
	assert_null(strstr(js, "\"G1\""));
	free(js);
	/* a second reservation of the same VM is refused (name and index taken) */
	struct su_plan *p = su_lm_plan_incoming(t->m, &req, 1000);
	assert_false(p->ok);
	su_plan_free(p);
	/* the commit: owned with epoch + 1, migrated from su1, RUNNING, history */
	run(t, su_lm_plan_commit(t->m, 3, LM_ID, &req.def, SU_VM_RUNNING, "su1", 2000));
	r = su_model_vm_by_name(t->m, "G1");
	const struct crd_vmdef *d = crd_owner_find(&t->m->own, &r->vm_uuid);
	assert_non_null(d);
	assert_int_equal(d->epoch, req.def.epoch + 1);
	assert_int_equal(d->migrated_from, 3);
	assert_int_equal(d->lm_id, LM_ID);
	assert_int_equal(r->state, SU_VM_RUNNING);
	assert_false(r->rt.migr);
	assert_int_equal(r->lm_count, 1);
	assert_null(crd_owner_find_lm(&t->m->own, CRD_LM_INCOMING, LM_ID));
	/* the source finishes: its copy and the outgoing record go; the reconcile of the
	 * partner's records changes nothing any more */
	assert_int_equal(crd_owner_lm_add(&s->m->own, CRD_LM_OUTGOING, LM_ID, &r->vm_uuid, 4), 0);
	run(s, su_lm_plan_source_finish(s->m, 3, LM_ID, "su2", NULL, 3000));
	assert_null(su_model_vm_by_name(s->m, "G1"));
	assert_null(crd_owner_find_lm(&s->m->own, CRD_LM_OUTGOING, LM_ID));
	fx_free(s);
	fx_free(t);
}

static void test_target_abort(void **state)
{
	struct fx *s = fx_new(SU_TYPE_X86), *t = target();
	struct su_lm_incoming req;

	(void)state;
	fx_ok(s, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64,DEVICES=*PARAMETERS(UNITS=(A000))");
	incoming_of(s, &req);
	run(t, su_lm_plan_incoming(t->m, &req, 1000));
	struct su_plan *p = su_lm_plan_target_abort(t->m, 3, LM_ID, &req.def.vm_uuid, 3);
	assert_true(p->ok);
	assert_int_equal(p->n_eff, 2);
	assert_int_equal(p->eff[0].kind, SU_EFF_QEMU_QUIT);
	run(t, p);
	assert_null(su_model_vm_by_name(t->m, "G1"));
	assert_int_equal(su_model_mem_free(t->m), 4096);
	assert_non_null(crd_owner_find_lm(&t->m->own, CRD_LM_ABORT, LM_ID));
	fx_free(s);
	fx_free(t);
}

/* The partner holds G1 with epoch + 1 migrated from here: a DEFINED_ONLY copy goes, the
 * copy of a running guest stays (CONFLICT, VMS2346 once). */
static void test_reconcile(void **state)
{
	struct fx *s = fx_new(SU_TYPE_X86);
	struct crd_owner_region partner;

	(void)state;
	fx_ok(s, "/CREATE-VM-DEFINITION VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64");
	fx_ok(s, "/CREATE-VM VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=64");
	crd_owner_init(&partner, 4);
	for (const char *n = "G1"; n; n = strcmp(n, "G1") ? NULL : "G2") {
		struct crd_vmdef d = *crd_owner_find(&s->m->own,
						     &su_model_vm_by_name(s->m, n)->vm_uuid);
		d.epoch++;
		d.owner = 4;
		d.migrated_from = 3;
		assert_int_equal(crd_owner_add(&partner, &d), 0);
	}
	struct su_plan *p = su_plan_reconcile(s->m, &partner);
	assert_true(p->ok);
	assert_true(fx_find(p, "VMS2346") >= 0);
	run(s, p);
	assert_null(su_model_vm_by_name(s->m, "G1"));
	const struct su_vm *g2 = su_model_vm_by_name(s->m, "G2");
	assert_non_null(g2);
	assert_true(crd_owner_find(&s->m->own, &g2->vm_uuid)->flags & CRD_VMDEF_CONFLICT);
	/* the next reconcile says nothing again and writes nothing */
	p = su_plan_reconcile(s->m, &partner);
	assert_int_equal(fx_find(p, "VMS2346"), -1);
	assert_int_equal(p->n_eff, 0);
	su_plan_free(p);
	fx_free(s);
}

/* The source's model after G1 (index 3, MONJV=MON.G1, running) migrated to su2. */
static struct fx *source_finished(const struct su_lmjv *lmjv)
{
	struct fx *s = fx_new(SU_TYPE_X86);

	fx_ok(s, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64,MONJV=MON.G1,"
		 "DEVICES=*PARAMETERS(UNITS=(A000))");
	fx_ok(s, "/START-VM IPL-UNIT=A000,VM-ID=G1");
	struct su_vm *vm = su_model_vm_by_name(s->m, "G1");
	vm->rt.migr = true; /* what /MIGRATE-VM set */
	assert_int_equal(crd_owner_lm_add(&s->m->own, CRD_LM_OUTGOING, LM_ID, &vm->vm_uuid, 4), 0);
	run(s, su_lm_plan_source_finish(s->m, 3, LM_ID, "su2", lmjv, 1796014990000LL));
	assert_null(su_model_vm_by_name(s->m, "G1"));
	return s;
}

/* /SHOW-JV of name on f: its one line (caller frees). */
static char *show_jv(struct fx *f, const char *name)
{
	char cmd[80];

	snprintf(cmd, sizeof(cmd), "/SHOW-JV JV-NAME=%s", name);
	struct su_plan *p = fx_plan(f, cmd);
	if (!p->ok)
		fx_dump(p);
	assert_true(p->ok);
	assert_int_equal(p->n_msgs, 1);
	char *l = strdup(p->msgs[0]);
	su_plan_free(p);
	return l;
}

/* Seed 4.8: after the migration the VM's MONJV says $T on the source, MIGR-OUT stays
 * (docs/decisions.md), also after a restart (unit data), bounded with the LM MONJVs. */
static void test_source_keeps_vm_monjv(void **state)
{
	(void)state;
	struct fx *s = source_finished(NULL);
	/* $T, '0', catid SU1, V, session, monitoring start, VM, index, NONE, MIGR-OUT */
	const char *want = "%$T 0    SU1     V001"
			   "2026-11-30050102";
	char *l = show_jv(s, "mon.g1");

	assert_int_equal(strncmp(l, want, strlen(want)), 0);
	assert_string_equal(l + 71, "G1      003NONE MIGR-OUT");
	/* the unit data keeps it: a restarted secd shows the same */
	struct sec_err err = {0};
	char *js = su_model_to_json(s->m);
	assert_non_null(strstr(js, "\"kind\":\"vm\""));
	struct su_model *m2 = su_model_from_json(js, strlen(js), &err);
	if (!m2)
		fail_msg("%s", err.msg);
	su_model_free(s->m);
	s->m = m2;
	char *l2 = show_jv(s, "MON.G1");
	assert_string_equal(l2, l);
	/* a foreign kind is damaged data */
	char *bad = strdup(js), *k = strstr(bad, "\"kind\":\"vm\"");
	memcpy(k + 8, "xx", 2);
	assert_null(su_model_from_json(bad, strlen(bad), &err));
	assert_non_null(strstr(err.msg, "lm_jvs[0].kind"));
	/* it is finished: SU_LMJV_MAX running LM MONJVs push it out */
	for (unsigned i = 0; i < SU_LMJV_MAX; i++) {
		struct su_lmjv jv = {.status = "$R ", .start_ms = 1};
		snprintf(jv.name, sizeof(jv.name), "LM%u", i);
		assert_int_equal(su_model_lmjv_put(s->m, &jv), 0);
	}
	assert_null(su_model_lmjv_find(s->m, "MON.G1"));
	free(bad);
	free(js);
	free(l2);
	free(l);
	fx_free(s);
}

/* A VM without a MONJV leaves none; an LM MONJV of the same name is the one kept. */
static void test_source_vm_monjv_same_name(void **state)
{
	(void)state;
	struct su_lmjv lmjv = {.status = "$T ",
			       .name = "MON.G1",
			       .vm = "(3,G1)",
			       .phase = 4,
			       .percent = 100,
			       .lm_id = LM_ID,
			       .start_ms = 1,
			       .end_ms = 2};
	struct fx *s = source_finished(&lmjv);

	assert_int_equal(s->m->n_lmjv, 1);
	assert_false(s->m->lmjv[0].vm_monjv);
	fx_free(s);
	s = fx_new(SU_TYPE_X86);
	fx_ok(s, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64");
	const struct su_vm *vm = su_model_vm_by_name(s->m, "G1");
	assert_int_equal(crd_owner_lm_add(&s->m->own, CRD_LM_OUTGOING, LM_ID, &vm->vm_uuid, 4), 0);
	run(s, su_lm_plan_source_finish(s->m, 3, LM_ID, "su2", NULL, 1));
	assert_int_equal(s->m->n_lmjv, 0);
	fx_free(s);
}

/* SU /390, seed 4.8: su2 generates a tape T9 that su1 does not; G1 migrated there gets
 * DIFF and cannot get T9 (VMS4001 naming su1) but T0; another VM can; the record of su1's
 * devices survives a restart; migrated back, G1 loses DIFF and the restriction. */
static void test_diff_refuses_devices(void **state)
{
	struct fx *s = fx_new(SU_TYPE_390), *t = target_of(SU_TYPE_390);
	struct su_lm_incoming req;
	struct sec_err err = {0};

	(void)state;
	struct su_iodev *t9 = &t->m->res.io.dev[t->m->res.io.n++];
	*t9 = *su_model_iodev(t->m, "T0");
	snprintf(t9->mn, sizeof(t9->mn), "T9");
	snprintf(t9->unit_id, sizeof(t9->unit_id), "09");
	fx_ok(s,
	      "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64,DEVICES=*PARAMETERS(UNITS=(A000))");
	incoming_of(s, &req);
	req.vm.state = SU_VM_INIT_ONLY;
	run(t, su_lm_plan_incoming(t->m, &req, 1000));
	run(t, su_lm_plan_commit(t->m, 3, LM_ID, &req.def, SU_VM_INIT_ONLY, "su1", 2000));
	assert_true(su_model_vm_by_name(t->m, "G1")->rt.diff);
	/* a restart in between: the unit data keep DIFF and su1's devices */
	char *js = su_model_to_json(t->m);
	assert_non_null(strstr(js, "\"lm_source_io\":{\"mns\":[\"A000\""));
	struct su_model *m2 = su_model_from_json(js, strlen(js), &err);
	if (!m2)
		fail_msg("%s", err.msg);
	assert_memory_equal(&m2->lm_src_io, &t->m->lm_src_io, sizeof(m2->lm_src_io));
	su_model_free(t->m);
	t->m = m2;
	su_model_set_hooks(t->m,
			   &(struct su_hooks){.event = fx_event, .random = fx_random, .ctx = t});
	struct su_plan *p = fx_plan(t, "/ADD-VM-DEVICES UNITS=(T0,T9),VM-ID=G1");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS4001");
	assert_true(fx_find(p, "DEVICE 'T9' NOT GENERATED IN THE I/O CONFIGURATION OF SU 'su1'") >=
		    0);
	assert_int_equal(fx_find(p, "'T0'"), -1);
	su_plan_free(p);
	fx_ok(t, "/ADD-VM-DEVICES UNITS=T0,VM-ID=G1");
	t->rnd = 100; /* another vm_uuid than su1's G1 (both counters start at 0) */
	fx_ok(t, "/CREATE-VM VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=64");
	fx_ok(t, "/ADD-VM-DEVICES UNITS=T9,VM-ID=G2");
	/* damaged records are refused by name */
	char *bad = strdup(js), *k = strstr(bad, "\"mns\":[\"A000\"");
	memcpy(k + 8, "A0?0", 4);
	assert_null(su_model_from_json(bad, strlen(bad), &err));
	if (!strstr(err.msg, "lm_source_io.mns[0]"))
		fail_msg("%s", err.msg);
	free(bad);
	free(js);
	/* back to su1: no DIFF there; T9 is not generated on su1 itself (the usual VMS4001) */
	struct su_lm_incoming back;
	fx_ok(t, "/REMOVE-VM-DEVICES UNITS=T0,VM-ID=G1");
	incoming_of(t, &back);
	back.vm.state = SU_VM_INIT_ONLY;
	back.vm.rt.diff = true;
	back.source_unit = 4;
	snprintf(back.source, sizeof(back.source), "su2");
	back.lm_id = LM_ID + 1;
	const struct su_vm *g1 = su_model_vm_by_name(s->m, "G1");
	assert_int_equal(crd_owner_lm_add(&s->m->own, CRD_LM_OUTGOING, LM_ID, &g1->vm_uuid, 4), 0);
	run(s, su_lm_plan_source_finish(s->m, 3, LM_ID, "su2", NULL, 2500));
	run(s, su_lm_plan_incoming(s->m, &back, 3000));
	run(s, su_lm_plan_commit(s->m, 3, LM_ID + 1, &back.def, SU_VM_INIT_ONLY, "su2", 4000));
	assert_false(su_model_vm_by_name(s->m, "G1")->rt.diff);
	fx_ok(s, "/ADD-VM-DEVICES UNITS=T0,VM-ID=G1");
	p = fx_plan(s, "/ADD-VM-DEVICES UNITS=T9,VM-ID=G1");
	assert_string_equal(p->rc.maincode, "VMS4001");
	assert_true(fx_find(p, "SU 'su1'") >= 0);
	su_plan_free(p);
	fx_free(s);
	fx_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reserve_commit),
	    cmocka_unit_test(test_target_abort),
	    cmocka_unit_test(test_reconcile),
	    cmocka_unit_test(test_source_keeps_vm_monjv),
	    cmocka_unit_test(test_source_vm_monjv_same_name),
	    cmocka_unit_test(test_diff_refuses_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
