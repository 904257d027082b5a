/* test_su_cmd.c — the VM2000 command processor through parsed command lines: effects,
 * messages and return codes of each command, the checks (VM index, name, limits, memory,
 * devices, IPL unit, states, monitor), two-phase behaviour (a failed effect changes
 * nothing), x86 restrictions and the SHOW output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>

#include "su_fixture.h"

static void expect_rc(const struct su_plan *p, bool ok, const char *mc, unsigned sc1, unsigned sc2)
{
	if (p->ok != ok || strcmp(p->rc.maincode, mc) || p->rc.subcode1 != sc1 ||
	    p->rc.subcode2 != sc2) {
		fx_dump(p);
		fail_msg("want ok=%d rc %s %u %u", ok, mc, sc1, sc2);
	}
}

static void expect_msg(const struct su_plan *p, const char *s)
{
	if (fx_find(p, s) < 0) {
		fx_dump(p);
		fail_msg("no message containing '%s'", s);
	}
}

/* Runs text, expects a rejection with maincode mc and a message containing msg; checks the
 * model did not change (its JSON is the same). */
static void expect_refused(struct fx *f, const char *text, const char *mc, unsigned sc1,
			   const char *msg)
{
	char *before = su_model_to_json(f->m);
	unsigned nev = f->nev;
	struct su_plan *p = fx_run(f, text);
	expect_rc(p, false, mc, sc1, 0);
	expect_msg(p, msg);
	assert_int_equal(p->n_eff, 0);
	assert_null(p->next);
	char *after = su_model_to_json(f->m);
	assert_string_equal(before, after);
	assert_int_equal(f->nev, nev);
	free(before);
	free(after);
	su_plan_free(p);
}

static void expect_effects(const struct su_plan *p, const enum su_effect_kind *k, size_t n)
{
	if (p->n_eff != n) {
		for (size_t i = 0; i < p->n_eff; i++)
			fprintf(stderr, "  eff %s\n", su_effect_kind_to_string(p->eff[i].kind));
		fail_msg("want %zu effects, have %zu", n, p->n_eff);
	}
	for (size_t i = 0; i < n; i++)
		if (p->eff[i].kind != k[i])
			fail_msg("effect %zu is %s, want %s", i,
				 su_effect_kind_to_string(p->eff[i].kind),
				 su_effect_kind_to_string(k[i]));
}
#define EFFECTS(p, ...)                                                                            \
	do {                                                                                       \
		const enum su_effect_kind k_[] = {__VA_ARGS__};                                    \
		expect_effects(p, k_, sizeof(k_) / sizeof(k_[0]));                                 \
	} while (0)

static void test_create_activate_start(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);

	/* a definition: only the region write */
	struct su_plan *p = fx_plan(f, "/CREATE-VM-DEFINITION VM-NAME=vm1,MEMORY-SIZE=512,"
				       "DEVICES=*PARAMETERS(UNITS=(A000,A001,T0))");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_REGION_WRITE);
	assert_null(su_model_vm_by_name(f->m, "VM1")); /* planning changed nothing */
	assert_int_equal(su_cmd_commit(f->m, p), 0);
	assert_int_equal(su_cmd_commit(f->m, p), -EALREADY);
	expect_msg(p, "% VMS3000 VM2000 COMMAND /CREATE-VM-DEFINITION FOR VIRTUAL MACHINE (2,VM1) "
		      "PROCESSED SUCCESSFULLY");
	su_plan_free(p);
	struct su_vm *vm = su_model_vm_by_name(f->m, "VM1");
	assert_non_null(vm);
	assert_int_equal(vm->index, 2); /* *ANY: lowest free */
	assert_int_equal(vm->state, SU_VM_DEFINED_ONLY);
	assert_true(vm->persistent);
	assert_non_null(crd_owner_find(&f->m->own, &vm->vm_uuid));
	assert_int_equal(f->nev, 1);

	/* activate: QEMU paused, then the region */
	p = fx_plan(f, "/ACTIVATE-VM-DEFINITION VM-NAME=VM1,MONJV=MON.VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_START, SU_EFF_REGION_WRITE);
	assert_int_equal(p->eff[0].vm_index, 2);
	assert_string_equal(p->eff[0].mn, ""); /* no IPL unit known yet */
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->state, SU_VM_DEFINED_ONLY);
	assert_int_equal(f->nev, 1); /* events only at commit */
	p->eff[0].pid = 4242;
	assert_int_equal(su_cmd_commit(f->m, p), 0);
	expect_msg(p, "% VMS3050 VIRTUAL MACHINE (2,VM1) CREATED");
	expect_msg(p, "% VMS4005 DEVICE 'A000' ASSIGNED TO VIRTUAL MACHINE (2,VM1)");
	expect_msg(p, "% VMS4005 DEVICE 'T0' ASSIGNED TO VIRTUAL MACHINE (2,VM1)");
	su_plan_free(p);
	vm = su_model_vm_by_name(f->m, "VM1");
	assert_int_equal(vm->state, SU_VM_INIT_ONLY);
	assert_int_equal(vm->rt.qemu_pid, 4242);
	assert_int_equal(f->nev, 2);
	assert_string_equal(f->ev[0].msg, "VM definition (2,VM1) created (CREATE-VM-DEFINITION)");
	assert_string_equal(
	    f->ev[1].msg, "VM (2,VM1) state NOT INITIALIZED -> INIT-ONLY (ACTIVATE-VM-DEFINITION)");

	/* first start without IPL unit: refused */
	expect_refused(f, "/START-VM VM-ID=VM1", "VMS4032", 64,
		       "% VMS4032 NO IPL DEVICE KNOWN FOR VIRTUAL MACHINE (2,VM1)");
	/* start with IPL unit: QEMU was started without it, so quit + start + cont */
	p = fx_run(f, "/START-VM IPL-UNIT=A000,VM-IDENTIFICATION=VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_QUIT, SU_EFF_QEMU_START, SU_EFF_QEMU_CONT, SU_EFF_REGION_WRITE);
	assert_string_equal(p->eff[1].mn, "A000");
	expect_msg(p, "% VMS3000 VM2000 COMMAND /START-VM FOR VIRTUAL MACHINE (2,VM1)");
	su_plan_free(p);
	vm = su_model_vm_by_name(f->m, "VM1");
	assert_int_equal(vm->state, SU_VM_RUNNING);
	assert_string_equal(vm->ipl_unit, "A000");
	assert_string_equal(vm->rt.qemu_ipl, "A000");
	assert_string_equal(f->ev[2].msg, "VM (2,VM1) state INIT-ONLY -> RUNNING (START-VM)");

	/* running: START-VM again refused unless CHECK-VM-STATE=*NO */
	expect_refused(f, "/START-VM VM-ID=2", "VMS4040", 64,
		       "% VMS4040 COMMAND /START-VM NOT ALLOWED FOR VIRTUAL MACHINE (2,VM1) IN "
		       "STATE RUNNING");
	/* the guest shuts down; START-VM from DOWN = reset + cont (same IPL unit) */
	char msg[SU_MSG_MAX];
	assert_int_equal(su_vm_guest_down(f->m, 2, "QMP SHUTDOWN", msg), 1);
	assert_string_equal(msg, "% VMS4021 GUEST SYSTEM ON VIRTUAL MACHINE (2,VM1) TERMINATED. "
				 "VM IN STATE DOWN");
	assert_int_equal(su_vm_guest_down(f->m, 2, "again", msg), 0);
	p = fx_run(f, "/START-VM VM-ID=VM1");
	EFFECTS(p, SU_EFF_QEMU_RESET_CONT, SU_EFF_REGION_WRITE);
	su_plan_free(p);
	assert_int_equal(vm->state, SU_VM_RUNNING);
	fx_free(f);
}

static void test_create_vm_and_delete(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_plan *p = fx_run(f, "/CREATE-VM VM-NAME=VM1,VM-INDEX=5,MEMORY-SIZE=1024,"
				      "PROCESSOR=*MULTI(CPU-NUMBER=2),DEVICES=*PARAMETERS(UNITS="
				      "*DEVICE-RANGE(FROM=A000,TO=A002),USAGE=*EXCLUSIVE)");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_START, SU_EFF_REGION_WRITE);
	expect_msg(p, "% VMS4005 DEVICE 'A002' ASSIGNED TO VIRTUAL MACHINE (5,VM1)");
	su_plan_free(p);
	struct su_vm *vm = su_model_vm_by_index(f->m, 5);
	assert_int_equal(vm->ndevs, 3);
	assert_int_equal(vm->cpus, 2);
	assert_false(vm->persistent); /* CREATE-VM: PERSISTENT=*NO by default */
	assert_int_equal(su_model_mem_free(f->m), 3072);

	/* running VM: DELETE-VM needs CHECK-VM-STATE=*NO */
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	expect_refused(f, "/DELETE-VM VM-ID=VM1", "VMS4040", 64, "IN STATE RUNNING");
	p = fx_run(f, "/DELETE-VM VM-ID=5,CHECK-VM-STATE=*NO");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_QUIT, SU_EFF_REGION_WRITE);
	expect_msg(p, "% VMS4024 VIRTUAL MACHINE (5,VM1) TERMINATED");
	su_plan_free(p);
	/* non-persistent: the definition is gone too */
	assert_null(su_model_vm_by_name(f->m, "VM1"));
	assert_int_equal(su_model_mem_free(f->m), 4096);

	/* persistent: the definition stays, NOT INITIALIZED */
	fx_ok(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=256,PERSISTENT=*YES");
	fx_ok(f, "/DELETE-VM VM-ID=VM2");
	vm = su_model_vm_by_name(f->m, "VM2");
	assert_non_null(vm);
	assert_int_equal(vm->state, SU_VM_DEFINED_ONLY);
	expect_refused(f, "/DELETE-VM VM-ID=VM2", "VMS4000", 64,
		       "% VMS4000 VIRTUAL MACHINE 'VM2' NOT YET CREATED");
	p = fx_run(f, "/DELETE-VM-DEFINITION VM-NAME=VM2");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_REGION_WRITE);
	su_plan_free(p);
	assert_null(su_model_vm_by_name(f->m, "VM2"));
	assert_int_equal(f->m->own.ndefs, 0);
	fx_free(f);
}

static void test_exclusive_device_conflicts(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=(A000,A001))");
	/* exclusive MN on a second VM */
	expect_refused(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A001)",
		       "VMS4003", 64,
		       "% VMS4003 DEVICE 'A001' ALREADY ASSIGNED IN EXCLUSIVE MODE TO VIRTUAL "
		       "MACHINE (2,VM1)");
	/* as a definition it is fine; activation is refused, every conflict reported */
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM2,MEMORY-SIZE=256,"
		 "DEVICES=*PARAMETERS(UNITS=(A000,A001,A002))");
	struct su_plan *p = fx_run(f, "/ACTIVATE-VM-DEFINITION VM-NAME=VM2");
	expect_rc(p, false, "VMS4003", 64, 0);
	expect_msg(p, "DEVICE 'A000' ALREADY ASSIGNED IN EXCLUSIVE MODE");
	expect_msg(p, "DEVICE 'A001' ALREADY ASSIGNED IN EXCLUSIVE MODE");
	assert_int_equal(fx_find(p, "'A002'"), -1);
	su_plan_free(p);
	/* shared vs exclusive */
	fx_ok(f, "/CREATE-VM VM-NAME=VM3,MEMORY-SIZE=256,"
		 "DEVICES=*PARAMETERS(UNITS=A004,USAGE=*SHARED)");
	fx_ok(f, "/CREATE-VM VM-NAME=VM4,MEMORY-SIZE=256,"
		 "DEVICES=*PARAMETERS(UNITS=A004,USAGE=*SHARED)");
	expect_refused(f, "/ADD-VM-DEVICES UNITS=A004,VM-ID=VM1", "VMS4004", 64,
		       "% VMS4004 DEVICE 'A004' ASSIGNED IN SHARED MODE TO VIRTUAL MACHINE "
		       "(4,VM3): EXCLUSIVE ASSIGNMENT NOT POSSIBLE");
	/* a disk of an initialized VM cannot change (no hot-plug); a tape can */
	expect_refused(f, "/ADD-VM-DEVICES UNITS=A004,VM-ID=VM1,TYPE=*SD", "VMS4018", 64,
		       "% VMS4018 DISK 'A004' CANNOT BE ADDED TO OR REMOVED FROM THE INITIALIZED "
		       "VIRTUAL MACHINE (2,VM1)");
	p = fx_run(f, "/ADD-VM-DEVICES UNITS=T0,VM-ID=VM1,TYPE=*SD");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_DEVICE_ADD, SU_EFF_REGION_WRITE);
	expect_msg(p, "% VMS4005 DEVICE 'T0' ASSIGNED TO VIRTUAL MACHINE (2,VM1) (TYPE=SD)");
	su_plan_free(p);
	/* a device that is not generated */
	expect_refused(
	    f, "/ADD-VM-DEVICES UNITS=B000,VM-ID=VM1", "VMS4001", 64,
	    "% VMS4001 DEVICE 'B000' NOT GENERATED IN THE I/O CONFIGURATION OF SU 'su1'");
	expect_refused(f, "/ADD-VM-DEVICES UNITS=*DEVICE-RANGE(FROM=B000,TO=B007),VM-ID=VM1",
		       "VMS4008", 64,
		       "NO DEVICE OF THE I/O CONFIGURATION IN RANGE 'B000' TO 'B007'");
	expect_refused(f, "/ADD-VM-DEVICES UNITS=*DEVICE-RANGE(FROM=A00F,TO=A000),VM-ID=VM1",
		       "VMS4010", 64, "DEVICE RANGE 'A00F' TO 'A000' INVALID");
	/* remove: a device not assigned; then a real one */
	expect_refused(f, "/REMOVE-VM-DEVICES UNITS=A00F,VM-ID=VM1", "VMS4007", 64,
		       "% VMS4007 DEVICE 'A00F' NOT ASSIGNED TO VIRTUAL MACHINE (2,VM1)");
	expect_refused(f, "/REMOVE-VM-DEVICES UNITS=A0*,VM-ID=VM1", "VMS4018", 64,
		       "% VMS4018 DISK 'A000' CANNOT BE ADDED TO OR REMOVED FROM THE INITIALIZED "
		       "VIRTUAL MACHINE (2,VM1)");
	p = fx_run(f, "/REMOVE-VM-DEVICES UNITS=T0,VM-ID=VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_DEVICE_REMOVE, SU_EFF_REGION_WRITE);
	expect_msg(p, "% VMS4009 DEVICE 'T0' REMOVED FROM VIRTUAL MACHINE (2,VM1)");
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->ndevs, 2);
	/* the disks of VM1 go with its termination (and its non-persistent definition) */
	fx_ok(f, "/DELETE-VM VM-ID=VM1,CHECK-VM-STATE=*NO");
	/* now VM2 can be activated */
	fx_ok(f, "/ACTIVATE-VM-DEFINITION VM-NAME=VM2");
	fx_free(f);
}

static void test_memory_exhaustion(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=BIG,MEMORY-SIZE=3(DIMENSION=*GIGABYTE)");
	expect_refused(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=2048", "VMS4504", 128,
		       "% VMS4504 MAIN MEMORY BOTTLENECK: VIRTUAL MACHINE (3,VM2) NEEDS 2048 MB, "
		       "1024 MB FREE");
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM2,MEMORY-SIZE=2048");
	expect_refused(f, "/ACTIVATE-VM-DEFINITION VM-NAME=VM2", "VMS4504", 128,
		       "NEEDS 2048 MB, 1024 MB FREE");
	fx_ok(f, "/CREATE-VM VM-NAME=VM3,MEMORY-SIZE=1024");
	assert_int_equal(su_model_mem_free(f->m), 0);
	fx_free(f);
}

static void test_index_and_name_conflicts(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,VM-INDEX=3,MEMORY-SIZE=256");
	expect_refused(f, "/CREATE-VM VM-NAME=VM2,VM-INDEX=3,MEMORY-SIZE=256", "VMS4011", 64,
		       "% VMS4011 VM INDEX 3 NOT AVAILABLE");
	expect_refused(f, "/CREATE-VM-DEFINITION VM-NAME=VM2,VM-INDEX=3,MEMORY-SIZE=256", "VMS4011",
		       64, "VM INDEX 3 NOT AVAILABLE");
	expect_refused(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256", "VMS4013", 64,
		       "% VMS4013 VM NAME 'VM1' NOT AVAILABLE");
	expect_refused(f, "/CREATE-VM-DEFINITION VM-NAME=vm1,MEMORY-SIZE=256", "VMS4013", 64,
		       "VM NAME 'VM1' NOT AVAILABLE");
	expect_refused(f, "/CREATE-VM VM-NAME=MONITOR,MEMORY-SIZE=256", "VMS4013", 64,
		       "VM NAME 'MONITOR' NOT AVAILABLE");
	/* *ANY takes the lowest free index */
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=D2,MEMORY-SIZE=256");
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=D4,MEMORY-SIZE=256");
	assert_int_equal(su_model_vm_by_name(f->m, "D2")->index, 2);
	assert_int_equal(su_model_vm_by_name(f->m, "D4")->index, 4);
	/* MODIFY-VM-DEFINITION: index of another one refused; *ANY keeps the lowest */
	expect_refused(f, "/MODIFY-VM-DEFINITION VM-NAME=D4,VM-INDEX=2", "VMS4011", 64,
		       "VM INDEX 2 NOT AVAILABLE");
	fx_ok(f, "/MODIFY-VM-DEFINITION VM-NAME=D4,VM-INDEX=9,MEMORY-SIZE=512");
	assert_int_equal(su_model_vm_by_name(f->m, "D4")->index, 9);
	assert_int_equal(su_model_vm_by_name(f->m, "D4")->memory_mib, 512);
	/* MODIFY-VM-DEFINITION of an initialized VM is refused */
	expect_refused(f, "/MODIFY-VM-DEFINITION VM-NAME=VM1,MEMORY-SIZE=512", "VMS2302", 64,
		       "% VMS2302 VM DEFINITION 'VM1' IS ACTIVE");
	expect_refused(f, "/MODIFY-VM-DEFINITION VM-NAME=NONE,MEMORY-SIZE=512", "VMS2300", 64,
		       "% VMS2300 VM DEFINITION 'NONE' DOES NOT EXIST");
	fx_free(f);
}

static void test_limits(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	f->m->res.max_vms = 2;
	f->m->res.max_defs = 3;
	fx_ok(f, "/CREATE-VM VM-NAME=A,MEMORY-SIZE=16");
	fx_ok(f, "/CREATE-VM VM-NAME=B,MEMORY-SIZE=16");
	expect_refused(f, "/CREATE-VM VM-NAME=C,MEMORY-SIZE=16", "VMS4016", 64,
		       "% VMS4016 MAXIMUM NUMBER OF VIRTUAL MACHINES (2) REACHED");
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=C,MEMORY-SIZE=16");
	expect_refused(f, "/CREATE-VM-DEFINITION VM-NAME=D,MEMORY-SIZE=16", "VMS2311", 64,
		       "% VMS2311 MAXIMUM NUMBER OF VM DEFINITIONS (3) REACHED");
	expect_refused(f, "/ACTIVATE-VM-DEFINITION VM-NAME=C", "VMS4016", 64, "VMS4016");
	fx_free(f);
}

static void test_failed_effect_changes_nothing(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	char *before = su_model_to_json(f->m);
	struct su_plan *p = fx_plan(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256");
	assert_true(p->ok);
	/* QEMU did not start */
	assert_int_equal(su_cmd_abort(p, 0, "QEMU exited with status 1"), 0);
	assert_int_equal(su_cmd_abort(p, 0, "again"), -EALREADY);
	assert_int_equal(su_cmd_commit(f->m, p), -EALREADY);
	expect_rc(p, false, "VMS4050", 32, 0);
	expect_msg(p, "% VMS4050 COMMAND /CREATE-VM FOR VIRTUAL MACHINE (2,VM1) NOT EXECUTED. "
		      "REASON: QEMU exited with status 1");
	assert_int_equal(fx_find(p, "VMS3050"), -1); /* commit messages dropped */
	assert_null(p->next);
	assert_int_equal(p->n_eff, 0);
	su_plan_free(p);
	char *after = su_model_to_json(f->m);
	assert_string_equal(before, after);
	assert_int_equal(f->nev, 0);
	free(before);
	free(after);

	/* the region write fails after START-VM's cont: the VM stays INIT-ONLY */
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A000)");
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	fx_ok(f, "/DELETE-VM VM-ID=VM1,CHECK-VM-STATE=*NO");
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A000)");
	p = fx_plan(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	assert_int_equal(su_effect_undo(p->eff[0].kind), 0);
	assert_int_equal(su_cmd_abort(p, (int)p->n_eff - 1, "CRD write timed out"), 0);
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->state, SU_VM_INIT_ONLY);
	assert_int_equal(su_effect_undo(SU_EFF_QEMU_START), SU_EFF_QEMU_QUIT);
	assert_int_equal(su_effect_undo(SU_EFF_QEMU_CONT), SU_EFF_QEMU_STOP);
	fx_free(f);
}

static void test_x86_hold_resume(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A000)");
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	expect_refused(f, "/HOLD-VM VM-ID=VM1", "VMS9004", 64,
		       "% VMS3011 COMMAND /HOLD-VM NOT SUPPORTED ON SU X86");
	expect_refused(f, "/RESUME-VM VM-ID=VM1", "VMS9004", 64,
		       "% VMS3011 COMMAND /RESUME-VM NOT SUPPORTED ON SU X86");
	expect_refused(f, "/START-VM VM-ID=VM1,HOLD=*YES,CHECK-VM-STATE=*NO", "VMS9004", 64,
		       "VMS3011");
	expect_refused(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=256,VM-GROUP-NAME=G1", "VMS9004", 64,
		       "% VMS3011 COMMAND /CREATE-VM NOT SUPPORTED ON SU X86");
	fx_free(f);
}

static void test_390_hold_resume(void **state)
{
	struct fx *f = fx_new(SU_TYPE_390);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,VM-GROUP-NAME=GRP1,"
		 "DEVICES=*PARAMETERS(UNITS=A000)");
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	struct su_plan *p = fx_run(f, "/HOLD-VM VM-ID=VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_STOP, SU_EFF_REGION_WRITE);
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->state, SU_VM_IN_HOLD);
	p = fx_run(f, "/HOLD-VM VM-ID=VM1");
	expect_rc(p, true, "CMD0001", 0, 1);
	expect_msg(p, "% VMS4043 NOTHING TO DO: VIRTUAL MACHINE (2,VM1) ALREADY IN STATE IN HOLD");
	su_plan_free(p);
	p = fx_run(f, "/RESUME-VM VM-ID=VM1");
	EFFECTS(p, SU_EFF_QEMU_CONT, SU_EFF_REGION_WRITE);
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->state, SU_VM_RUNNING);
	expect_refused(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=256,VM-GROUP-NAME=NOGRP", "VMS4621",
		       64, "% VMS4621 VM GROUP 'NOGRP' DOES NOT EXIST");
	fx_free(f);
}

static void test_monitor_protected(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	static const char *const cmds[] = {
	    "/START-VM VM-ID=1,IPL-UNIT=A000",
	    "/START-VM",
	    "/DELETE-VM VM-ID=MONITOR",
	    "/SHUTDOWN-VM VM-ID=1",
	    "/ADD-VM-DEVICES UNITS=A000,VM-ID=1",
	    "/MODIFY-VM-ATTRIBUTES VM-ID=MONITOR,PERSISTENT=*YES",
	    "/ACTIVATE-VM-DEFINITION VM-NAME=MONITOR",
	    "/DELETE-VM-DEFINITION VM-NAME=MONITOR",
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		expect_refused(f, cmds[i], "VMS4041", 64,
			       "NOT ALLOWED FOR THE MONITOR SYSTEM (1,MONITOR)");
	fx_free(f);
}

static void test_ipl_unit_checks(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=(A000,T0,"
		 "*DEVICE-RANGE(FROM=A001,TO=A001,USAGE=*SHARED)))");
	expect_refused(f, "/START-VM VM-ID=VM1,IPL-UNIT=A002", "VMS4030", 64,
		       "% VMS4030 IPL DEVICE 'A002' NOT ASSIGNED TO VIRTUAL MACHINE (2,VM1)");
	expect_refused(f, "/START-VM VM-ID=VM1,IPL-UNIT=T0", "VMS4031", 64,
		       "% VMS4031 IPL DEVICE 'T0' IS NOT A DISK (CLASS tape)");
	expect_refused(f, "/START-VM VM-ID=VM1,IPL-UNIT=A001", "VMS4033", 64,
		       "% VMS4033 IPL DEVICE 'A001' NOT ASSIGNED EXCLUSIVELY");
	expect_refused(f, "/START-VM VM-ID=VM9,IPL-UNIT=A000", "VMS4000", 64,
		       "VIRTUAL MACHINE 'VM9' NOT YET CREATED");
	fx_free(f);
}

static void test_shutdown_and_qemu_gone(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,DEVICES=*PARAMETERS(UNITS=A000)");
	struct su_plan *p = fx_run(f, "/SHUTDOWN-VM VM-ID=VM1");
	expect_rc(p, true, "CMD0001", 0, 1); /* INIT-ONLY: nothing to do */
	su_plan_free(p);
	fx_ok(f, "/START-VM VM-ID=VM1,IPL-UNIT=A000");
	p = fx_run(f, "/SHUTDOWN-VM VM-ID=VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	EFFECTS(p, SU_EFF_QEMU_POWERDOWN);
	assert_int_equal(p->eff[0].grace_ms, SU_SHUTDOWN_GRACE_MS);
	expect_msg(p, "% VMS3001 SHUTDOWN OF GUEST SYSTEM ON VIRTUAL MACHINE (2,VM1) INITIATED");
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->state, SU_VM_RUNNING);
	expect_refused(f, "/SHUTDOWN-VM VM-ID=*VM2000", "VMS9010", 64, "NOT YET AVAILABLE");
	/* QEMU killed: NOT INITIALIZED, a non-persistent definition goes */
	char msg[SU_MSG_MAX];
	f->nev = 0;
	assert_int_equal(su_vm_qemu_gone(f->m, 2, false, "killed by signal 9", msg), 1);
	assert_string_equal(msg, "% VMS4022 VIRTUAL MACHINE (2,VM1) ENDED ABNORMALLY: QEMU killed "
				 "by signal 9"); /* the subject named (newcomer, session 9) */
	assert_int_equal(f->ev[0].weight, CRD_WEIGHT_WARNING);
	assert_null(su_model_vm_by_name(f->m, "VM1"));
	assert_int_equal(su_vm_qemu_gone(f->m, 2, false, "x", msg), -ENOENT);
	/* fenced */
	fx_ok(f, "/CREATE-VM VM-NAME=VM2,MEMORY-SIZE=256,PERSISTENT=*YES");
	assert_int_equal(su_vm_qemu_gone(f->m, 2, true, "renewals stopped", msg), 1);
	assert_int_equal(su_model_vm_by_name(f->m, "VM2")->state, SU_VM_FENCED);
	expect_refused(f, "/START-VM VM-ID=VM2,IPL-UNIT=A000", "VMS4040", 64, "IN STATE FENCED");
	p = fx_run(f, "/DELETE-VM VM-ID=VM2");
	EFFECTS(p, SU_EFF_REGION_WRITE); /* no QEMU to quit */
	su_plan_free(p);
	assert_int_equal(su_model_vm_by_name(f->m, "VM2")->state, SU_VM_DEFINED_ONLY);
	fx_free(f);
}

static void test_show_vm_definition(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM1,VM-INDEX=3,MEMORY-SIZE=512,"
		 "DEVICES=*PARAMETERS(UNITS=(A000,T0))");
	fx_ok(f, "/CREATE-VM VM-NAME=VM2,VM-INDEX=5,MEMORY-SIZE=256,PERSISTENT=*YES");
	struct su_plan *p = fx_run(f, "/SHOW-VM-DEFINITION");
	expect_rc(p, true, "CMD0001", 0, 0);
	assert_int_equal(p->n_eff, 0);
	assert_int_equal(p->n_msgs, 3);
	assert_string_equal(p->msgs[0],
			    "VM-NAME   INDEX  STATE             MEMORY(MB)  CPUS  CPU-POOL  PERS");
	assert_string_equal(p->msgs[1],
			    "VM1           3  NOT INITIALIZED          512     1  *STDPOOL  YES");
	assert_string_equal(p->msgs[2],
			    "VM2           5  INIT-ONLY                256     1  *STDPOOL  YES");
	su_plan_free(p);
	p = fx_run(f, "/SHOW-VM-DEF VM-NAME=VM1,INF=*UNITS");
	expect_rc(p, true, "CMD0001", 0, 0);
	expect_msg(p, "   DEVICE A000  *EXCLUSIVE  disk        D3490-30");
	expect_msg(p, "   DEVICE T0    *EXCLUSIVE  tape        TAPE-U4");
	su_plan_free(p);
	p = fx_run(f, "/SHOW-VM-DEFINITION VM-NAME=V*,INFORMATION=*ALL");
	expect_msg(p, "   VM-UUID:  ");
	expect_msg(p, "   IPL-UNIT: *NONE");
	su_plan_free(p);
	expect_refused(f, "/SHOW-VM-DEFINITION VM-NAME=NOPE", "VMS2300", 64,
		       "VM DEFINITION 'NOPE' DOES NOT EXIST");
	/* the message alone, no table header above it (newcomer, session 8) */
	p = fx_run(f, "/SHOW-VM-DEFINITION VM-NAME=NOPE");
	assert_int_equal(p->n_msgs, 1);
	su_plan_free(p);
	p = fx_run(f, "/SHOW-VM-ATTRIBUTES VM-ID=NOPE");
	expect_rc(p, false, "VMS4000", 64, 0);
	assert_int_equal(p->n_msgs, 1);
	su_plan_free(p);
	fx_free(f);
}

static void test_show_other(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,MONJV=MON.VM1,"
		 "DEVICES=*PARAMETERS(UNITS=A000)");
	struct su_plan *p = fx_run(f, "/SHOW-VM-RESOURCES INFORMATION=*ALL");
	expect_rc(p, true, "CMD0001", 0, 0);
	expect_msg(p, "SU 'su1' (SU X86)  VMS: 1 OF 32  FREE VM SLOTS: 31  FREE MEMORY: 3840 MB");
	expect_msg(p, "(1,MONITOR)");
	expect_msg(p, "A000  D3490-30          disk        C0    00    (2,VM1)");
	expect_msg(p, "A001  D3490-30          disk        C0    01    *FREE");
	expect_msg(p, "MAX-VMS: 32  MAX-VM-DEFINITIONS: 98");
	su_plan_free(p);
	p = fx_run(f, "/SHOW-VM-ATTRIBUTES VM-ID=*VM2000,INFORMATION=*ALL");
	expect_msg(p, "(2,VM1)      INIT-ONLY");
	expect_msg(p, "MON.VM1");
	su_plan_free(p);
	p = fx_run(f, "/SHOW-JV JV-NAME=MON.VM1");
	expect_rc(p, true, "CMD0001", 0, 0);
	expect_msg(p, "%$I 0    SU1     V001");
	expect_msg(p, "VM1     002NONE");
	su_plan_free(p);
	expect_refused(f, "/SHOW-JV JV-NAME=NO.SUCH", "VMS9012", 64, "JOB VARIABLE 'NO.SUCH'");
	p = fx_run(f, "/HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMS4013");
	expect_rc(p, true, "CMD0001", 0, 0);
	assert_string_equal(p->msgs[0], " VMS4013 VM NAME '(&00)' NOT AVAILABLE");
	expect_msg(p, " MEANING");
	expect_msg(p, " RESPONSE");
	su_plan_free(p);
	expect_refused(f, "/HELP-MSG-INFORMATION MSG-IDENTIFICATION=VMS7777", "VMS9011", 64,
		       "MESSAGE 'VMS7777' NOT IN THE MESSAGE CATALOGUE");
	fx_free(f);
}

static void test_not_yet_and_syntax(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	expect_refused(f, "/MIGRATE-VM VM-ID=VM1,SERVER-UNIT-NAME=su2", "VMS9010", 64,
		       "% VMS9010 COMMAND /MIGRATE-VM NOT YET AVAILABLE IN THIS VERSION");
	expect_refused(f, "/RECOVER-VM-DEFINITION VM-NAME=VM1", "VMS9010", 64, "VMS9010");
	/* a rejected plan is neither committed nor aborted; a SHOW plan commits as a no-op */
	struct su_plan *p = fx_plan(f, "/DELETE-VM VM-ID=NOVM");
	assert_false(p->ok);
	assert_int_equal(su_cmd_commit(f->m, p), -EINVAL);
	assert_int_equal(su_cmd_abort(p, -1, "x"), -EINVAL);
	assert_int_equal(fx_find(p, "VMS4050"), -1);
	su_plan_free(p);
	p = fx_plan(f, "/SHOW-VM-RESOURCES");
	assert_true(p->ok);
	assert_null(p->next);
	assert_int_equal(su_cmd_commit(f->m, p), 0);
	char *j = su_plan_result_json(p);
	assert_non_null(
	    strstr(j, "\"rc\":{\"maincode\":\"CMD0001\",\"subcode1\":0,\"subcode2\":0}"));
	assert_non_null(strstr(j, "\"ok\":true"));
	free(j);
	su_plan_free(p);
	expect_refused(f, "/CHECK-VM-MIGRATION VM-ID=VM1", "VMS9010", 64, "VMS9010");
	expect_refused(f, "/START-VM FOO=1", "CMD0202", 1,
		       "% CMD0202 SYNTAX ERROR IN COMMAND: position");
	expect_refused(f,
		       "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256,"
		       "DEVICES=*PARAMETERS(UNITS=*PUBSET-DEVICES(PUBSET=ABC))",
		       "CMD0202", 1, "position 66: unknown value '*PUBSET-DEVICES'");
	fx_ok(f, "/CREATE-VM VM-NAME=VM1,MEMORY-SIZE=256");
	expect_refused(f, "/ADD-VM-DEVICES UNITS=*PUBSET-DEVICES(PUBSET=ABC),VM-ID=VM1", "CMD0202",
		       1,
		       "% CMD0202 SYNTAX ERROR IN COMMAND: UNITS=*PUBSET-DEVICES is not supported");
	fx_free(f);
}

static void test_modify_devices_and_attrs(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM1,MEMORY-SIZE=256");
	fx_ok(f, "/MODIFY-VM-DEFINITION VM-NAME=VM1,DEVICES=*ADD(UNITS=(*DEVICE-RANGE(FROM=A000,"
		 "TO=A003),T0))");
	assert_int_equal(su_model_vm_by_name(f->m, "VM1")->ndevs, 5);
	fx_ok(f, "/MODIFY-VM-DEFINITION VM-NAME=VM1,DEVICES=*REMOVE(UNITS=*DEVICE-RANGE(FROM=A001,"
		 "TO=A002))");
	struct su_vm *vm = su_model_vm_by_name(f->m, "VM1");
	assert_int_equal(vm->ndevs, 3);
	assert_string_equal(vm->devs[1].mn, "A003");
	expect_refused(f, "/MODIFY-VM-DEFINITION VM-NAME=VM1,CPU-POOL-NAME=POOLX", "VMS4620", 64,
		       "CPU POOL 'POOLX' DOES NOT EXIST");
	expect_refused(f, "/MODIFY-VM-DEFINITION VM-NAME=VM1,PROCESSOR=*MULTI(CPU-NUMBER=4)",
		       "VMS4622", 64, "4 CPUS REQUESTED FOR VIRTUAL MACHINE (2,VM1)");
	fx_ok(f, "/ACTIVATE-VM-DEFINITION VM-NAME=VM1");
	fx_ok(f, "/MODIFY-VM-ATTRIBUTES VM-ID=VM1,PERSISTENT=*NO");
	assert_false(su_model_vm_by_name(f->m, "VM1")->persistent);
	expect_refused(f, "/DELETE-VM-DEFINITION VM-NAME=VM1", "VMS2302", 64, "IS ACTIVE");
	fx_free(f);
}

/* A definition that was ever recovered leaves a tombstone when deleted (crd.md §6), and the
 * tombstone is in the region payload. */
static void test_delete_recovered_leaves_tombstone(void **state)
{
	struct fx *f = fx_new(SU_TYPE_X86);
	fx_ok(f, "/CREATE-VM-DEFINITION VM-NAME=VM1,MEMORY-SIZE=256");
	struct su_vm *vm = su_model_vm_by_name(f->m, "VM1");
	crd_uuid u = vm->vm_uuid;
	for (unsigned i = 0; i < f->m->own.ndefs; i++)
		if (crd_uuid_eq(&f->m->own.defs[i].vm_uuid, &u))
			f->m->own.defs[i].recovered_from = 4;
	fx_ok(f, "/DELETE-VM-DEFINITION VM-NAME=VM1");
	assert_int_equal(f->m->own.ndefs, 0);
	assert_non_null(crd_owner_find_tomb(&f->m->own, &u));
	char *s = su_model_to_json(f->m);
	assert_non_null(strstr(s, "\"tombstones\":[{"));
	struct sec_err err = {0};
	struct su_model *m2 = su_model_from_json(s, strlen(s), &err);
	assert_non_null(m2);
	assert_non_null(crd_owner_find_tomb(&m2->own, &u));
	su_model_free(m2);
	free(s);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_activate_start),
	    cmocka_unit_test(test_create_vm_and_delete),
	    cmocka_unit_test(test_exclusive_device_conflicts),
	    cmocka_unit_test(test_memory_exhaustion),
	    cmocka_unit_test(test_index_and_name_conflicts),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_failed_effect_changes_nothing),
	    cmocka_unit_test(test_x86_hold_resume),
	    cmocka_unit_test(test_390_hold_resume),
	    cmocka_unit_test(test_monitor_protected),
	    cmocka_unit_test(test_ipl_unit_checks),
	    cmocka_unit_test(test_shutdown_and_qemu_gone),
	    cmocka_unit_test(test_show_vm_definition),
	    cmocka_unit_test(test_show_other),
	    cmocka_unit_test(test_not_yet_and_syntax),
	    cmocka_unit_test(test_modify_devices_and_attrs),
	    cmocka_unit_test(test_delete_recovered_leaves_tombstone),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
