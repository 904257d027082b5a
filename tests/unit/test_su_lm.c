/* test_su_lm.c — the pure parts of a Live Migration (src/su/lm.h): console lines, KVP lines
 * and event texts by SU type (vm2000.md §5, seed 4.6), IPL data, LIVE-MIG-COUNT and history
 * (seed 4.5) with /SHOW-SYSTEM-INFORMATION and /SHOW-LIVE-MIGRATION-HISTORY, the MONJV of an
 * LM, and the JSON of all of it (round trip and older unit data). */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "su_fixture.h"

#define NOW 1796014862000LL /* the fixture's planning time: 2026-11-30 05:01:02 UTC */

/* All console lines of one side for the steps given (engine order), "\n"-joined. */
static void run_steps(enum su_type t, enum su_lm_side side, const struct su_lm_msgargs *a0,
		      const enum su_lm_step *steps, size_t nsteps, const char *const *mns,
		      char *out, size_t cap)
{
	char l[SU_LM_LINES_MAX][SU_MSG_MAX];
	struct su_lm_msgargs a = *a0;
	size_t o = 0, k = 0;

	out[0] = '\0';
	for (size_t s = 0; s < nsteps; s++) {
		if (steps[s] == SU_LM_STEP_DEVICE)
			a.mn = mns[k++];
		size_t n = su_lm_console_lines(t, side, steps[s], &a, l, SU_LM_LINES_MAX);
		for (size_t i = 0; i < n; i++)
			o += (size_t)snprintf(out + o, cap - o, "%s\n", l[i]);
	}
}

static const struct su_lm_msgargs args = {
    .vm = "(3,VM03PROD)", .source = "ABGSE30A", .target = "ABGSE30B"};
static const char *const mns[] = {"CC44", "CC45"};

static void test_x86_console_order(void **state)
{
	(void)state;
	char out[2048];
	/* source: phase 1, phase 3 stop, post-treatment (devices), end (seed 4.6.2) */
	const enum su_lm_step src[] = {SU_LM_STEP_BEGIN, SU_LM_STEP_SUSPENDED, SU_LM_STEP_DEVICE,
				       SU_LM_STEP_DEVICE, SU_LM_STEP_END};
	run_steps(SU_TYPE_X86, SU_LM_SOURCE, &args, src, 5, mns, out, sizeof(out));
	assert_string_equal(
	    out, "% VMS2450 LIVE MIGRATION OF VM (3,VM03PROD) TO TARGET SU 'ABGSE30B' STARTED\n"
		 "% VMS4009 DEVICE 'CC44' REMOVED FROM VIRTUAL MACHINE (3,VM03PROD) (BY SYSADM)\n"
		 "% VMS4009 DEVICE 'CC45' REMOVED FROM VIRTUAL MACHINE (3,VM03PROD) (BY SYSADM)\n"
		 "% VMS6021 VIRTUAL MACHINE (3,VM03PROD) TERMINATED BY SYSTEM ADMINISTRATION\n"
		 "% VMS2451 LIVE MIGRATION OF VM (3,VM03PROD) TO TARGET SU 'ABGSE30B' COMPLETED\n");
	/* target: set up, devices, resume (KVP only), end */
	const enum su_lm_step tgt[] = {SU_LM_STEP_BEGIN, SU_LM_STEP_DEVICE, SU_LM_STEP_DEVICE,
				       SU_LM_STEP_RESUMED, SU_LM_STEP_END};
	run_steps(SU_TYPE_X86, SU_LM_TARGET, &args, tgt, 5, mns, out, sizeof(out));
	assert_string_equal(
	    out, "% VMS6020 VIRTUAL MACHINE (3,VM03PROD) CREATED BY SYSTEM ADMINISTRATION\n"
		 "% VMS4005 DEVICE 'CC44' ASSIGNED TO VIRTUAL MACHINE (3,VM03PROD) (BY SYSADM)\n"
		 "% VMS4005 DEVICE 'CC45' ASSIGNED TO VIRTUAL MACHINE (3,VM03PROD) (BY SYSADM)\n"
		 "% VMS2050 GUEST SYSTEM ON VM (3,VM03PROD) READY\n");
	/* no VMS2452 / VMS2432 on x86: the KVP console has HAL0331 / HAL0332 instead */
	char l[SU_LM_LINES_MAX][SU_MSG_MAX];
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, &args,
					     l, SU_LM_LINES_MAX),
			 0);
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_RESUMED, &args,
					     l, SU_LM_LINES_MAX),
			 0);
	/* an INIT-ONLY or DOWN VM has no guest system that could be READY */
	struct su_lm_msgargs a = args;
	a.guest_stopped = true;
	assert_int_equal(
	    su_lm_console_lines(SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_END, &a, l, SU_LM_LINES_MAX),
	    0);
	/* a shared device */
	a.mn = "A000";
	a.shared = true;
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_DEVICE, &a, l,
					     SU_LM_LINES_MAX),
			 1);
	assert_string_equal(l[0], "% VMS4005 DEVICE 'A000' ASSIGNED TO VIRTUAL MACHINE "
				  "(3,VM03PROD) (TYPE=SD) (BY SYSADM)");
}

static void test_390_console_order(void **state)
{
	(void)state;
	char out[2048];
	struct su_lm_msgargs a = {
	    .vm = "(12,VM12PROD)", .source = "ABGSE501", .target = "ABGSE701"};
	const char *const m390[] = {"CS", "FAA5"};
	const enum su_lm_step src[] = {SU_LM_STEP_BEGIN, SU_LM_STEP_SUSPENDED, SU_LM_STEP_DEVICE,
				       SU_LM_STEP_DEVICE, SU_LM_STEP_END};
	run_steps(SU_TYPE_390, SU_LM_SOURCE, &a, src, 5, m390, out, sizeof(out));
	assert_string_equal(
	    out,
	    "% VMS2450 LIVE MIGRATION OF VM (12,VM12PROD) TO TARGET SU 'ABGSE701' STARTED\n"
	    "% VMS2452 VM (12,VM12PROD) SUSPENDED AT LIVE MIGRATION TO TARGET SU 'ABGSE701'\n"
	    "% VMS4009 DEVICE 'CS' REMOVED FROM VIRTUAL MACHINE (12,VM12PROD)\n"
	    "% VMS4009 DEVICE 'FAA5' REMOVED FROM VIRTUAL MACHINE (12,VM12PROD)\n"
	    "% VMS4024 VIRTUAL MACHINE (12,VM12PROD) TERMINATED\n"
	    "% VMS2451 LIVE MIGRATION OF VM (12,VM12PROD) TO TARGET SU 'ABGSE701' COMPLETED\n");
	const enum su_lm_step tgt[] = {SU_LM_STEP_BEGIN, SU_LM_STEP_DEVICE, SU_LM_STEP_DEVICE,
				       SU_LM_STEP_RESUMED, SU_LM_STEP_END};
	a.shared = true; /* both devices shared here */
	run_steps(SU_TYPE_390, SU_LM_TARGET, &a, tgt, 5, m390, out, sizeof(out));
	assert_string_equal(
	    out,
	    "% VMS2430 LIVE MIGRATION OF VM (12,VM12PROD) FROM SOURCE SU 'ABGSE501' STARTED\n"
	    "% VMS3050 VIRTUAL MACHINE (12,VM12PROD) CREATED\n"
	    "% VMS4005 DEVICE 'CS' ASSIGNED TO VIRTUAL MACHINE (12,VM12PROD) (TYPE=SD)\n"
	    "% VMS4005 DEVICE 'FAA5' ASSIGNED TO VIRTUAL MACHINE (12,VM12PROD) (TYPE=SD)\n"
	    "% VMS2432 VM (12,VM12PROD) RESUMED AT LIVE MIGRATION FROM SOURCE SU 'ABGSE501'\n"
	    "% VMS2431 LIVE MIGRATION OF VM (12,VM12PROD) FROM SOURCE SU 'ABGSE501' COMPLETED\n");
	/* /390: no KVP lines */
	char kvp[SU_MSG_MAX] = "x";
	assert_false(
	    su_lm_kvp_line(SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, kvp, sizeof(kvp)));
	assert_string_equal(kvp, "");
}

static void test_abort_lines(void **state)
{
	(void)state;
	char l[SU_LM_LINES_MAX][SU_MSG_MAX];
	struct su_lm_msgargs a = args;
	a.reason = "TARGET QEMU ENDED";

	for (enum su_type t = SU_TYPE_X86; t < SU_TYPE_MAX; t++)
		for (enum su_lm_side s = SU_LM_SOURCE; s < SU_LM_SIDE_MAX; s++) {
			assert_int_equal(su_lm_console_lines(t, s, SU_LM_STEP_ABORTED, &a, l, 4),
					 1);
			assert_string_equal(l[0], "% VMS2426 LIVE MIGRATION OF VM (3,VM03PROD) "
						  "ABORTED. REASON: TARGET QEMU ENDED");
		}
	/* /390 non-convergence: VMS2425 on the source (seed 4.7); x86 never aborts for it */
	a.not_converged = true;
	assert_int_equal(
	    su_lm_console_lines(SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_ABORTED, &a, l, 4), 1);
	assert_string_equal(l[0], "% VMS2425 CHANGING MEMORY PAGES CANNOT BE TRANSFERRED IN TIME. "
				  "LIVE MIGRATION OF VM (3,VM03PROD) TO TARGET SU 'ABGSE30B' "
				  "ABORTED");
	assert_int_equal(
	    su_lm_console_lines(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_ABORTED, &a, l, 4), 1);
	assert_non_null(strstr(l[0], "VMS2426"));
	/* every line's number is in the catalogue (no "% VMSnnnn ?") */
	for (enum su_type t = SU_TYPE_X86; t < SU_TYPE_MAX; t++)
		for (enum su_lm_side s = SU_LM_SOURCE; s < SU_LM_SIDE_MAX; s++)
			for (enum su_lm_step st = SU_LM_STEP_BEGIN; st < SU_LM_STEP_MAX; st++) {
				size_t n = su_lm_console_lines(t, s, st, &args, l, 4);
				for (size_t i = 0; i < n; i++)
					assert_null(strstr(l[i], " ?"));
			}
	/* max is respected; bad input gives nothing */
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_END, &a, l, 1),
			 1);
	assert_non_null(strstr(l[0], "VMS6021"));
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_END, NULL, l, 4),
			 0);
	assert_int_equal(su_lm_console_lines(SU_TYPE_MAX, SU_LM_SOURCE, SU_LM_STEP_END, &a, l, 4),
			 0);
	assert_int_equal(su_lm_console_lines(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_MAX, &a, l, 4),
			 0);
}

static void test_kvp_lines(void **state)
{
	(void)state;
	char kvp[SU_MSG_MAX];

	assert_true(
	    su_lm_kvp_line(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, kvp, sizeof(kvp)));
	assert_string_equal(kvp, "HAL0331 BS2000 SUSPEND");
	assert_true(
	    su_lm_kvp_line(SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_RESUMED, kvp, sizeof(kvp)));
	assert_string_equal(kvp, "HAL0332 BS2000 RESUME, CONTINUING");
	assert_false(su_lm_kvp_line(SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_SUSPENDED, kvp, 8));
	assert_false(su_lm_kvp_line(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_END, kvp, 8));
	assert_string_equal(kvp, "");
	char small[8];
	assert_true(
	    su_lm_kvp_line(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, small, sizeof(small)));
	assert_string_equal(small, "HAL0331");
}

/* Every event text of a whole LM, in step order. */
static size_t all_events(enum su_type t, char ev[8][SU_LM_EVENT_MAX])
{
	size_t n = 0;

	for (enum su_lm_step st = SU_LM_STEP_BEGIN; st < SU_LM_STEP_ABORTED; st++)
		for (enum su_lm_side s = SU_LM_SOURCE; s < SU_LM_SIDE_MAX; s++)
			n += su_lm_event_texts(t, s, st, "V213WUTH",
					       s == SU_LM_SOURCE ? "SU390-SE4" : "SU390-SE2",
					       ev + n, 8 - n);
	return n;
}

static void test_event_texts(void **state)
{
	(void)state;
	char ev[8][SU_LM_EVENT_MAX];

	assert_int_equal(all_events(SU_TYPE_390, ev), 3); /* seed 4.6.3 */
	assert_string_equal(ev[0], "VM 'V213WUTH' on Server Unit 'SU390-SE4' paused");
	assert_string_equal(ev[1], "VM 'V213WUTH' on Server Unit 'SU390-SE4' deleted");
	assert_string_equal(ev[2], "VM 'V213WUTH' on Server Unit 'SU390-SE2' created");
	assert_int_equal(all_events(SU_TYPE_X86, ev), 4); /* + deactivated before deleted */
	assert_string_equal(ev[0], "VM 'V213WUTH' on Server Unit 'SU390-SE4' paused");
	assert_string_equal(ev[1], "VM 'V213WUTH' on Server Unit 'SU390-SE4' deactivated");
	assert_string_equal(ev[2], "VM 'V213WUTH' on Server Unit 'SU390-SE4' deleted");
	assert_string_equal(ev[3], "VM 'V213WUTH' on Server Unit 'SU390-SE2' created");
	/* an aborted LM creates no "created"/"deleted" event */
	assert_int_equal(
	    su_lm_event_texts(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_ABORTED, "G1", "su1", ev, 8),
	    0);
	assert_int_equal(
	    su_lm_event_texts(SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_END, "G1", "su1", ev, 1), 1);
	assert_string_equal(ev[0], "VM 'G1' on Server Unit 'su1' deactivated");
}

static void test_history(void **state)
{
	(void)state;
	struct su_vm vm = {.index = 3};

	su_lm_ipl_set(&vm, "su1", 1000);
	assert_string_equal(vm.ipl_su, "su1");
	assert_int_equal(vm.ipl_ms, 1000);
	assert_int_equal(vm.ipl_index, 3);
	assert_int_equal(vm.lm_count, 0);
	for (unsigned i = 1; i <= SU_LM_HIST_MAX + 3; i++)
		su_lm_history_add(&vm, i % 2 ? "su1" : "su2", i % 2 ? "su2" : "su1", 3 + i % 2,
				  1000 + i);
	assert_int_equal(vm.lm_count, SU_LM_HIST_MAX + 3);
	assert_int_equal(vm.n_hist, SU_LM_HIST_MAX); /* the last 8 */
	assert_int_equal(vm.hist[0].count, 4);
	assert_int_equal(vm.hist[SU_LM_HIST_MAX - 1].count, SU_LM_HIST_MAX + 3);
	assert_int_equal(vm.hist[SU_LM_HIST_MAX - 1].ms, 1000 + SU_LM_HIST_MAX + 3);
	assert_string_equal(vm.hist[SU_LM_HIST_MAX - 1].target, "su2"); /* 11 is odd */
	assert_int_equal(vm.hist[SU_LM_HIST_MAX - 1].index, 4);
	/* an IPL starts a new system: count and history start again */
	su_lm_ipl_set(&vm, "su2", 5000);
	assert_int_equal(vm.lm_count, 0);
	assert_int_equal(vm.n_hist, 0);
	assert_string_equal(vm.ipl_su, "su2");
}

/* Runs text and returns its plan (ok or not); the caller frees. */
static struct su_plan *show(struct fx *f, const char *text)
{
	struct su_plan *p = fx_plan(f, text);
	if (!p->ok)
		fx_dump(p);
	return p;
}

static void test_ipl_by_commands(void **state)
{
	(void)state;
	struct fx *f = fx_new(SU_TYPE_X86);

	fx_ok(f, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=512,DEVICES=*PAR(UNITS=A000)");
	struct su_vm *vm = su_model_vm_by_name(f->m, "G1");
	assert_string_equal(vm->ipl_su, "su1");
	assert_int_equal(vm->ipl_ms, NOW);
	su_lm_history_add(vm, "su1", "su2", 3, NOW + 1000); /* as after an LM */
	assert_int_equal(vm->lm_count, 1);
	/* a started system was IPLed on this SU: LIVE-MIG-COUNT 0 again */
	fx_ok(f, "/START-VM VM-ID=G1,IPL-UNIT=A000");
	vm = su_model_vm_by_name(f->m, "G1");
	assert_int_equal(vm->lm_count, 0);
	assert_int_equal(vm->n_hist, 0);
	assert_int_equal(vm->ipl_index, 3);
	fx_free(f);
}

/* A model as on the target after an LM: G1 loaded on su1, migrated to su1's partner "su9"
 * and back to this SU (su1) as index 3 — so the IPL SU is su1 and this SU too; we name the
 * IPL SU "su7" to tell them apart. */
static struct fx *migrated(bool mighost_current)
{
	struct fx *f = fx_new(SU_TYPE_X86);

	f->m->res.mighost_current = mighost_current;
	fx_ok(f, "/CREATE-VM VM-NAME=G1,VM-INDEX=3,MEMORY-SIZE=512,DEVICES=*PAR(UNITS=A000)");
	struct su_vm *vm = su_model_vm_by_name(f->m, "G1");
	su_lm_ipl_set(vm, "su7", NOW - 86400000);
	vm->ipl_index = 5;
	su_lm_history_add(vm, "su7", "su1", 3, NOW - 3600000);
	return f;
}

static void test_show_system_information(void **state)
{
	(void)state;
	struct fx *f = migrated(false);
	struct su_plan *p = show(f, "/SHOW-SYSTEM-INFORMATION VM-ID=G1");

	assert_true(p->ok);
	assert_int_equal(fx_find(p, "% NSI6231 LIVE MIGRATION HAS OCCURED; DATA OF THE IPL HOST"),
			 0);
	assert_true(fx_find(p, "%CONFIGURATION         = su7") > 0);
	assert_true(fx_find(p, "%CURRENT-CONFIGURATION = su1") > 0);
	assert_true(fx_find(p, "VM-INDEX       = 5") > 0);
	assert_true(fx_find(p, "LIVE-MIG-COUNT = 1") > 0);
	assert_true(fx_find(p, "%IPL-TIME              = 2026-11-29,05:01:02") > 0);
	assert_true(fx_find(p, "HOST-NAME = su7") > 0);
	su_plan_free(p);
	/* SERVER-UNIT=*CURRENT: this SU's data, no NSI message (seed 4.5) */
	p = show(f, "/SHOW-SYSTEM-INFORMATION VM-ID=3,SERVER-UNIT=*CURRENT");
	assert_true(p->ok);
	assert_int_equal(fx_find(p, "NSI623"), -1);
	assert_true(fx_find(p, "%CONFIGURATION         = su1") >= 0);
	assert_true(fx_find(p, "VM-INDEX       = 3") >= 0);
	su_plan_free(p);
	fx_free(f);

	/* MIGHOST current: NSI6232 and the current host's data */
	f = migrated(true);
	p = show(f, "/SHOW-SYSTEM-INFORMATION VM-ID=G1");
	assert_int_equal(fx_find(p, "% NSI6232 LIVE MIGRATION HAS OCCURED; DATA OF THE CURRENT"),
			 0);
	assert_true(fx_find(p, "%CONFIGURATION         = su1") > 0);
	su_plan_free(p);
	p = show(f, "/SHOW-SYSTEM-INFORMATION VM-ID=G1,SERVER-UNIT=*IPL");
	assert_int_equal(fx_find(p, "NSI623"), -1);
	assert_true(fx_find(p, "%CONFIGURATION         = su7") >= 0);
	su_plan_free(p);
	/* never migrated: no NSI message; the monitor; an unknown VM */
	fx_ok(f, "/CREATE-VM VM-NAME=G2,VM-INDEX=4,MEMORY-SIZE=512");
	p = show(f, "/SHOW-SYSTEM-INFORMATION VM-ID=G2");
	assert_int_equal(fx_find(p, "NSI623"), -1);
	assert_true(fx_find(p, "LIVE-MIG-COUNT = 0") > 0);
	su_plan_free(p);
	p = show(f, "/SHOW-SYSTEM-INFORMATION");
	assert_true(p->ok);
	assert_true(fx_find(p, "VM-NAME        = MONITOR") > 0);
	su_plan_free(p);
	p = fx_plan(f, "/SHOW-SYSTEM-INFORMATION VM-ID=NOPE");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS4000");
	su_plan_free(p);
	fx_free(f);
}

static void test_show_lm_history(void **state)
{
	(void)state;
	struct fx *f = migrated(false);
	struct su_plan *p = show(f, "/SHOW-LIVE-MIGRATION-HISTORY VM-ID=G1");

	assert_true(p->ok);
	assert_int_equal(p->n_msgs, 3);
	assert_string_equal(p->msgs[0], "LM-COUNT    DATE         TIME      CONFIGURATION     VM");
	assert_string_equal(p->msgs[1], "00000000    2026-11-29   05:01:02  su7               5");
	assert_string_equal(p->msgs[2], "00000001    2026-11-30   04:01:02  su1               3");
	su_plan_free(p);
	p = show(f, "/SHOW-LIVE-MIGRATION-HISTORY");
	assert_true(p->ok);
	assert_int_equal(p->n_msgs, 1); /* the monitor never migrates */
	su_plan_free(p);
	fx_free(f);
}

static struct su_lmjv jv_of(const char *name, const char *status, int64_t end_ms)
{
	struct su_lmjv jv = {.phase = 2,
			     .percent = 40,
			     .dirty_rate = 1234,
			     .lm_id = 0xab,
			     .start_ms = NOW,
			     .end_ms = end_ms};
	snprintf(jv.name, sizeof(jv.name), "%s", name);
	snprintf(jv.status, sizeof(jv.status), "%s", status);
	snprintf(jv.vm, sizeof(jv.vm), "(3,G1)");
	snprintf(jv.source, sizeof(jv.source), "su1");
	snprintf(jv.target, sizeof(jv.target), "su2");
	return jv;
}

static void test_lmjv_put(void **state)
{
	(void)state;
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_lmjv jv = jv_of("LM.JV", "$S ", 0);
	char name[16];

	assert_int_equal(su_model_lmjv_put(f->m, &jv), 0);
	jv.percent = 80;
	snprintf(jv.status, sizeof(jv.status), "$R ");
	assert_int_equal(su_model_lmjv_put(f->m, &jv), 0); /* replaced by name */
	assert_int_equal(f->m->n_lmjv, 1);
	assert_int_equal(su_model_lmjv_find(f->m, "lm.jv")->percent, 80);
	/* fill up with running ones and one finished: the finished one makes room */
	for (unsigned i = 1; i < SU_LMJV_MAX; i++) {
		snprintf(name, sizeof(name), "JV%u", i);
		struct su_lmjv o = jv_of(name, i == 5 ? "$T " : "$R ", i == 5 ? NOW + 9 : 0);
		assert_int_equal(su_model_lmjv_put(f->m, &o), 0);
	}
	assert_int_equal(f->m->n_lmjv, SU_LMJV_MAX);
	struct su_lmjv more = jv_of("MORE", "$S ", 0);
	assert_int_equal(su_model_lmjv_put(f->m, &more), 0);
	assert_null(su_model_lmjv_find(f->m, "JV5"));
	assert_non_null(su_model_lmjv_find(f->m, "MORE"));
	assert_non_null(su_model_lmjv_find(f->m, "JV6"));
	/* all running: no room, nothing changed */
	struct su_lmjv full = jv_of("FULL", "$S ", 0);
	assert_int_equal(su_model_lmjv_put(f->m, &full), -ENOSPC);
	assert_null(su_model_lmjv_find(f->m, "FULL"));
	/* two finished: the one that ended first goes */
	struct su_lmjv a = jv_of("JV1", "$AE", NOW + 50), b = jv_of("JV2", "$TW", NOW + 20);
	assert_int_equal(su_model_lmjv_put(f->m, &a), 0);
	assert_int_equal(su_model_lmjv_put(f->m, &b), 0);
	assert_int_equal(su_model_lmjv_put(f->m, &full), 0);
	assert_null(su_model_lmjv_find(f->m, "JV2"));
	assert_non_null(su_model_lmjv_find(f->m, "JV1"));
	/* invalid */
	struct su_lmjv bad = jv_of("", "$S ", 0);
	assert_int_equal(su_model_lmjv_put(f->m, &bad), -EINVAL);
	bad = jv_of("X", "$Q ", 0);
	assert_int_equal(su_model_lmjv_put(f->m, &bad), -EINVAL);
	/* su_model_copy copies them (no pointers inside) */
	struct su_model *c = su_model_copy(f->m);
	assert_int_equal(c->n_lmjv, SU_LMJV_MAX);
	assert_int_equal(memcmp(c->lmjv, f->m->lmjv, sizeof(c->lmjv)), 0);
	su_model_free(c);
	fx_free(f);
}

static void test_lm_monjv_layout(void **state)
{
	(void)state;
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_lmjv jv = jv_of("LM.JV", "$AE", NOW + 61000);
	char b[SU_MONJV_LEN + 1];

	f->m->session = 7;
	jv.pause_ms = 42;
	snprintf(jv.reason, sizeof(jv.reason), "TARGET QEMU ENDED");
	su_lm_monjv_build(f->m, &jv, b);
	b[SU_MONJV_LEN] = '\0';
#define AT(from, to, want)                                                                         \
	do {                                                                                       \
		char got[300];                                                                     \
		snprintf(got, sizeof(got), "%.*s", (int)((to) - (from) + 1), b + (from)-1);        \
		assert_string_equal(got, want);                                                    \
	} while (0)
	AT(1, 3, "$AE");
	AT(4, 4, "0");
	AT(9, 12, "SU1 ");
	AT(17, 20, "V007");
	AT(21, 36, "2026-11-30050102");
	AT(37, 52, "2026-11-30050203");
	AT(71, 81, "G1      003");
	AT(82, 86, "2040 ");
	AT(87, 102, "00000000000000ab");
	AT(104, 115, "000000001234");
	AT(117, 124, "00000042");
	AT(129, 132, "su2 ");
	AT(193, 210, "TARGET QEMU ENDED ");
	/* running: no end time, phase blank before phase 1 */
	jv = jv_of("LM.JV", "$S ", 0);
	jv.phase = 0;
	su_lm_monjv_build(f->m, &jv, b);
	AT(1, 3, "$S ");
	AT(37, 52, "                ");
	AT(82, 82, " ");
	AT(193, 256, "                                                                ");
#undef AT
	fx_free(f);
}

static void test_show_jv_lm(void **state)
{
	(void)state;
	struct fx *f = fx_new(SU_TYPE_X86);
	struct su_lmjv jv = jv_of("MON.LM.G1", "$R ", 0);

	assert_int_equal(su_model_lmjv_put(f->m, &jv), 0);
	struct su_plan *p = show(f, "/SHOW-JV JV-NAME=MON.LM.G1");
	assert_true(p->ok);
	assert_int_equal(p->n_msgs, 1);
	assert_int_equal(strncmp(p->msgs[0], "%$R 0    SU1     V001", 21), 0);
	assert_non_null(strstr(p->msgs[0], "su2"));
	su_plan_free(p);
	p = fx_plan(f, "/SHOW-JV JV-NAME=MON.OTHER");
	assert_false(p->ok);
	assert_string_equal(p->rc.maincode, "VMS9012");
	su_plan_free(p);
	fx_free(f);
}

/* A model with every new field set. */
static struct fx *full_model(void)
{
	struct fx *f = migrated(true);
	struct su_lmjv jv = jv_of("MON.LM.G1", "$T ", NOW + 5);

	jv.lm_id = UINT64_C(0xfedcba9876543210);
	jv.pause_ms = 31;
	snprintf(jv.reason, sizeof(jv.reason), "none");
	assert_int_equal(su_model_lmjv_put(f->m, &jv), 0);
	return f;
}

static void test_json_round_trip(void **state)
{
	(void)state;
	struct fx *f = full_model();
	struct sec_err err = {0};
	char *s = su_model_to_json(f->m);

	assert_non_null(s);
	struct su_model *m2 = su_model_from_json(s, strlen(s), &err);
	if (!m2)
		fail_msg("%s", err.msg);
	char *s2 = su_model_to_json(m2);
	assert_string_equal(s, s2);
	assert_true(m2->res.mighost_current);
	const struct su_vm *vm = su_model_vm_by_name(m2, "G1");
	assert_string_equal(vm->ipl_su, "su7");
	assert_int_equal(vm->ipl_index, 5);
	assert_int_equal(vm->lm_count, 1);
	assert_int_equal(vm->n_hist, 1);
	assert_string_equal(vm->hist[0].target, "su1");
	assert_int_equal(m2->n_lmjv, 1);
	assert_memory_equal(&m2->lmjv[0], &f->m->lmjv[0], sizeof(m2->lmjv[0]));
	/* one definition alone (the LM's prepare body) carries the history too */
	char *v = su_vm_to_json(vm);
	struct su_vm one;
	assert_int_equal(su_vm_from_json(v, strlen(v), &one, &err), 0);
	assert_int_equal(one.lm_count, 1);
	assert_memory_equal(&one.hist[0], &vm->hist[0], sizeof(one.hist[0]));
	free(v);
	free(s2);
	su_model_free(m2);
	free(s);
	fx_free(f);
}

static void test_json_old_data(void **state)
{
	(void)state;
	struct fx *f = full_model();
	struct sec_err err = {0};
	char *s = su_model_to_json(f->m);
	json_t *o = json_loads(s, 0, NULL);

	/* unit data written before these fields existed */
	json_object_del(o, "lm_jvs");
	json_object_del(json_object_get(o, "su"), "mighost");
	json_t *vm = json_array_get(json_object_get(o, "vms"), 0);
	const char *keys[] = {"ipl_su", "ipl_ms", "ipl_index", "lm_count", "lm_history"};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(json_object_del(vm, keys[i]), 0);
	char *old = json_dumps(o, JSON_COMPACT);
	struct su_model *m2 = su_model_from_json(old, strlen(old), &err);
	if (!m2)
		fail_msg("%s", err.msg);
	assert_false(m2->res.mighost_current);
	assert_int_equal(m2->n_lmjv, 0);
	assert_int_equal(m2->vms[0].lm_count, 0);
	assert_int_equal(m2->vms[0].n_hist, 0);
	assert_string_equal(m2->vms[0].ipl_su, "");
	/* such a VM shows this SU as its configuration and no IPL row */
	struct su_plan *p = su_cmd_plan_text(m2, "/SHOW-LIVE-MIGRATION-HISTORY VM-ID=G1", NOW);
	assert_true(p->ok);
	assert_int_equal(p->n_msgs, 1);
	su_plan_free(p);
	p = su_cmd_plan_text(m2, "/SHOW-SYSTEM-INFORMATION VM-ID=G1", NOW);
	assert_true(fx_find(p, "%CONFIGURATION         = su1") >= 0);
	assert_true(fx_find(p, "%IPL-TIME              = *NONE") >= 0);
	su_plan_free(p);
	su_model_free(m2);
	free(old);

	/* present but wrong: refused with the field named */
	json_object_set_new(json_object_get(o, "su"), "mighost", json_string("later"));
	old = json_dumps(o, JSON_COMPACT);
	assert_null(su_model_from_json(old, strlen(old), &err));
	assert_non_null(strstr(err.msg, "'su.mighost'"));
	free(old);
	json_object_set_new(json_object_get(o, "su"), "mighost", json_string("ipl"));
	json_object_set_new(vm, "lm_history",
			    json_pack("[{s:i, s:i, s:s, s:s, s:i}]", "count", 0, "ms", 1, "source",
				      "su1", "target", "su2", "index", 3));
	old = json_dumps(o, JSON_COMPACT);
	assert_null(su_model_from_json(old, strlen(old), &err));
	assert_non_null(strstr(err.msg, "'vms[0].lm_history[0].count'"));
	free(old);
	json_object_del(vm, "lm_history");
	json_object_set_new(o, "lm_jvs", json_pack("[{s:s, s:s}]", "name", "X", "status", "$Q "));
	old = json_dumps(o, JSON_COMPACT);
	assert_null(su_model_from_json(old, strlen(old), &err));
	assert_non_null(strstr(err.msg, "lm_jvs[0]"));
	free(old);
	json_decref(o);
	free(s);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_x86_console_order),
	    cmocka_unit_test(test_390_console_order),
	    cmocka_unit_test(test_abort_lines),
	    cmocka_unit_test(test_kvp_lines),
	    cmocka_unit_test(test_event_texts),
	    cmocka_unit_test(test_history),
	    cmocka_unit_test(test_ipl_by_commands),
	    cmocka_unit_test(test_show_system_information),
	    cmocka_unit_test(test_show_lm_history),
	    cmocka_unit_test(test_lmjv_put),
	    cmocka_unit_test(test_lm_monjv_layout),
	    cmocka_unit_test(test_show_jv_lm),
	    cmocka_unit_test(test_json_round_trip),
	    cmocka_unit_test(test_json_old_data),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
