/* test_su_recover.c — the plan of /RECOVER-VM-DEFINITION (su/recover.h; seed 5,
 * vm2000-facts.md §1.11, crd.md §6): accepted only with S dead (or undeterminable and
 * confirmed), the definition taken with the same vm_uuid, epoch + 1, recovered_from S,
 * DEFINED_ONLY; every refusal with its return code and nothing changed; in doubt. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "su_fixture.h"
#include "su/recover.h"

#define NOW 1796014862000LL

struct two {
	struct fx *s, *t; /* S = su1 (unit 3) with G1; T = su2 (unit 4) */
};

static struct two *two_new(void)
{
	struct two *w = calloc(1, sizeof(*w));

	w->s = fx_new(SU_TYPE_X86);
	w->t = fx_new(SU_TYPE_X86);
	w->t->m->res.unit_id = 4;
	w->t->m->own.unit = 4;
	w->t->rnd = 1000; /* T's own VMs get other vm_uuids than S's */
	snprintf(w->t->m->res.name, sizeof(w->t->m->res.name), "su2");
	fx_ok(w->s, "/CREATE-VM-DEFINITION VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=64,"
		    "DEVICES=*PARAMETERS(UNITS=(A000))");
	fx_ok(w->s, "/ACTIVATE-VM-DEFINITION VM-NAME=G1"); /* the state on S does not matter */
	return w;
}

static void two_free(struct two *w)
{
	fx_free(w->s);
	fx_free(w->t);
	free(w);
}

static struct su_recover_ctx dead_ctx(void)
{
	return (struct su_recover_ctx){
	    .in_cluster = true, .known = true, .same_cluster = true, .partner = "su1",
	    .partner_unit = 3, .partner_read = true,
	    .verdict = {.verdict = CRD_ALIVE_DEAD, .reason = CRD_ALIVE_R_STALE,
			.evidence_ns = 5000000000ull}};
}

static struct su_cmd recover_cmd(const char *name, const char *su)
{
	struct su_cmd c = {.id = SU_CMD_RECOVER_VM_DEFINITION};

	c.vm.kind = SU_VMID_NAME;
	snprintf(c.vm.name, sizeof(c.vm.name), "%s", name);
	snprintf(c.su_name, sizeof(c.su_name), "%s", su ? su : "");
	return c;
}

/* Plans on T; a refusal must name msgid, carry rc {msgid, 64} and change nothing. */
static void refused(struct two *w, const struct su_cmd *c, const struct su_recover_ctx *x,
		    const struct su_model *partner, const char *msgid)
{
	struct su_plan *p = su_cmd_plan_recover(w->t->m, c, partner, x, NOW);

	assert_non_null(p);
	if (p->ok || strcmp(p->rc.maincode, msgid))
		fx_dump(p);
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, msgid);
	assert_int_equal(p->rc.subcode1, 64);
	assert_true(fx_find(p, msgid) >= 0);
	assert_null(p->next);
	assert_int_equal(p->n_eff, 0);
	su_plan_free(p);
}

static void test_dead_partner_recovered(void **state)
{
	struct two *w = two_new();
	struct su_cmd c = recover_cmd("G1", NULL);
	struct su_recover_ctx x = dead_ctx();
	const struct su_vm *sv = su_model_vm_by_name(w->s->m, "G1");
	const struct crd_vmdef *sd = crd_owner_find(&w->s->m->own, &sv->vm_uuid);

	(void)state;
	struct su_plan *p = su_cmd_plan_recover(w->t->m, &c, w->s->m, &x, NOW);
	assert_non_null(p);
	if (!p->ok)
		fx_dump(p);
	assert_true(p->ok);
	assert_int_equal(p->n_eff, 1);
	assert_int_equal(p->eff[0].kind, SU_EFF_REGION_WRITE);
	p->eff[0].done = true;
	assert_int_equal(su_cmd_commit(w->t->m, p), 0);
	assert_true(fx_find(p, "% VMS2340 VM DEFINITION 'G1' RECOVERED FROM SU 'su1'") >= 0);
	assert_string_equal(p->rc.maincode, "CMD0001");
	const struct su_vm *tv = su_model_vm_by_name(w->t->m, "G1");
	assert_non_null(tv);
	assert_int_equal(tv->state, SU_VM_DEFINED_ONLY);
	assert_int_equal(tv->index, 3);
	assert_int_equal(tv->memory_mib, 64);
	assert_memory_equal(&tv->vm_uuid, &sv->vm_uuid, sizeof(crd_uuid));
	const struct crd_vmdef *td = crd_owner_find(&w->t->m->own, &tv->vm_uuid);
	assert_non_null(td);
	assert_int_equal(td->epoch, sd->epoch + 1);
	assert_int_equal(td->recovered_from, 3);
	assert_int_equal(td->owner, 4);
	assert_int_equal(su_model_mem_free(w->t->m), 4096); /* nothing allocated */
	su_plan_free(p);
	/* the same again: T holds the vm_uuid now */
	refused(w, &c, &x, w->s->m, "VMS2346");
	two_free(w);
}

static void test_refusals(void **state)
{
	struct two *w = two_new();
	struct su_cmd c = recover_cmd("G1", NULL), none = recover_cmd("NOVM", NULL);
	struct su_recover_ctx x;

	(void)state;
	x = dead_ctx();
	x.in_cluster = false;
	refused(w, &c, &x, w->s->m, "VMS2347");
	x = dead_ctx();
	x.partner[0] = 0;
	refused(w, &c, &x, w->s->m, "VMS2341");
	struct su_cmd named = recover_cmd("G1", "su2");
	x = dead_ctx();
	x.named_local = true;
	refused(w, &named, &x, w->s->m, "VMS2342");
	named = recover_cmd("G1", "su9");
	x = dead_ctx();
	x.known = false;
	refused(w, &named, &x, w->s->m, "VMS2400");
	x = dead_ctx();
	x.same_cluster = false;
	refused(w, &named, &x, w->s->m, "VMS2343");
	x = dead_ctx();
	x.partner_read = false;
	refused(w, &c, &x, NULL, "VMS2345");
	/* S's region unreadable: the verdict is said first (a split site reads neither) */
	x.verdict = (struct crd_alive_verdict){.verdict = CRD_ALIVE_UNDETERMINABLE,
					       .reason = CRD_ALIVE_R_UNREADABLE};
	refused(w, &c, &x, NULL, "VMS2349");
	x.verdict = (struct crd_alive_verdict){.verdict = CRD_ALIVE_ALIVE};
	refused(w, &c, &x, NULL, "VMS2344");
	x = dead_ctx();
	refused(w, &none, &x, w->s->m, "VMS2300");
	x.verdict = (struct crd_alive_verdict){.verdict = CRD_ALIVE_ALIVE,
					       .reason = CRD_ALIVE_R_CHANGING};
	refused(w, &c, &x, w->s->m, "VMS2344");
	/* undeterminable: our VMS2349 until the operator confirms */
	x.verdict = (struct crd_alive_verdict){.verdict = CRD_ALIVE_UNDETERMINABLE,
					       .reason = CRD_ALIVE_R_UNREADABLE};
	refused(w, &c, &x, w->s->m, "VMS2349");
	x.verdict.reason = CRD_ALIVE_R_FENCING_NONE;
	refused(w, &c, &x, w->s->m, "VMS2349");
	x.confirmed = true;
	struct su_plan *p = su_cmd_plan_recover(w->t->m, &c, w->s->m, &x, NOW);
	assert_true(p->ok);
	su_plan_free(p);
	/* the name is held on T by another VM (another vm_uuid): VMS2346 with VMS4013 */
	fx_ok(w->t, "/CREATE-VM-DEFINITION VM-NAME=G1,VM-INDEX=5,MEMORY-SIZE=64");
	x = dead_ctx();
	refused(w, &c, &x, w->s->m, "VMS2346");
	p = su_cmd_plan_recover(w->t->m, &c, w->s->m, &x, NOW);
	assert_true(fx_find(p, "% VMS4013 VM NAME 'G1' NOT AVAILABLE") >= 0);
	su_plan_free(p);
	two_free(w);
}

static void test_in_doubt(void **state)
{
	struct two *w = two_new();
	struct su_cmd c = recover_cmd("G1", NULL);
	struct su_recover_ctx x = dead_ctx();

	(void)state;
	struct su_plan *p = su_cmd_plan_recover(w->t->m, &c, w->s->m, &x, NOW);
	assert_true(p->ok);
	p->eff[0].done = true;
	assert_int_equal(su_recover_in_doubt(p, "G1", "su1", 812), 0);
	assert_int_equal(su_cmd_commit(w->t->m, p), 0);
	assert_int_equal(fx_find(p, "VMS2340"), -1);
	assert_true(fx_find(p, "% VMS2348 RECOVERY OF VM DEFINITION 'G1' FROM SU 'su1' IN DOUBT: "
			       "THE CRD WRITE TOOK 812 MS") >= 0);
	assert_string_equal(p->rc.maincode, "VMS2348");
	assert_int_equal(p->rc.subcode2, 2);
	assert_non_null(su_model_vm_by_name(w->t->m, "G1")); /* on disk: it counts */
	assert_int_equal(su_recover_in_doubt(p, "G1", "su1", 1), -EINVAL); /* finished */
	su_plan_free(p);
	two_free(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dead_partner_recovered),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_in_doubt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
