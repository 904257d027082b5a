/* lm.h — the pure parts of a Live Migration (LM) on an SU (vm2000.md §5, seed 4.3–4.8): the
 * monitor console lines and SE Manager event texts of each step by SU type, the guest's KVP
 * console lines HAL0331/HAL0332, the IPL data, LIVE-MIG-COUNT and history of a VM, and the
 * MONJV of an LM. No I/O, no clock: the LM engine (src/secd/lm*.c) passes names and times,
 * and writes the lines and events where they belong.
 *
 * Usage (the engine, at each step of an LM, on each side):
 *
 *     struct su_lm_msgargs a = {.vm = "(3,G1)", .source = "su1", .target = "su2"};
 *     char l[SU_LM_LINES_MAX][SU_MSG_MAX], ev[SU_LM_LINES_MAX][256], kvp[SU_MSG_MAX];
 *     size_t n = su_lm_console_lines(type, SU_LM_SOURCE, SU_LM_STEP_BEGIN, &a, l, SU_LM_LINES_MAX);
 *     ... l[0..n) to the monitor console of the source ...
 *     for each device: a.mn = "A001"; su_lm_console_lines(.., SU_LM_STEP_DEVICE, ..);
 *     at the source's STOP: su_lm_kvp_line(type, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, kvp, ..)
 *                           su_lm_event_texts(type, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, ..)
 *     after the commit on the target: su_lm_history_add(vm, source, target, index, now_ms)
 *     the MONJV: su_model_lmjv_put(m, &jv) at every change, su_lm_monjv_build() to show it
 *
 * The order of the steps is the engine's (vm2000.md §5): BEGIN (phase 1), DEVICE per device
 * (target: setup; source: post-treatment), SUSPENDED (source STOP), RESUMED (target cont),
 * END (phase 4), or ABORTED instead of what is left. On SU x86 this gives, source: VMS2450,
 * VMS4009 ... (BY SYSADM), VMS6021, VMS2451; target: VMS6020, VMS4005 ... (BY SYSADM),
 * VMS2050 (seed 4.6.2); on SU /390, source: VMS2450, VMS2452, VMS4009 ..., VMS4024, VMS2451;
 * target: VMS2430, VMS3050, VMS4005 ..., VMS2432, VMS2431 (seed 4.6.1). */
#ifndef SEC_SU_LM_H
#define SEC_SU_LM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "su/cmd.h" /* SU_MSG_MAX */
#include "su/model.h"
#include "su/monjv.h" /* SU_MONJV_LEN */

#define SU_LM_LINES_MAX 4 /* lines (or events) of one step at most */
#define SU_LM_EVENT_MAX 256

enum su_lm_side { SU_LM_SOURCE = 1, SU_LM_TARGET, SU_LM_SIDE_MAX };

enum su_lm_step {
	SU_LM_STEP_BEGIN = 1, /* phase 1: the LM started (source) / the VM is set up (target) */
	SU_LM_STEP_DEVICE,    /* one device: assigned on the target, removed on the source */
	SU_LM_STEP_SUSPENDED, /* phase 3: the guest stopped on the source */
	SU_LM_STEP_RESUMED,   /* phase 3: the guest continues on the target */
	SU_LM_STEP_END,	      /* phase 4: completed */
	SU_LM_STEP_ABORTED,   /* aborted and reversed (seed 4.7) */
	SU_LM_STEP_MAX
};

/* The inserts of the lines. Strings are not kept; NULL is shown as "?". */
struct su_lm_msgargs {
	const char *vm;	    /* "(3,G1)": the VM as on this side's console */
	const char *source; /* host names of the SUs */
	const char *target;
	const char *mn;	    /* STEP_DEVICE: the device */
	bool shared;	    /* STEP_DEVICE on the target: assigned shared ("(TYPE=SD)") */
	const char *reason; /* STEP_ABORTED: why (VMS2426) */
	bool not_converged; /* STEP_ABORTED on the source SU /390: VMS2425 instead of VMS2426 */
	bool guest_stopped; /* STEP_END on the target x86: the VM migrated INIT-ONLY or DOWN, so
			     * no guest system is READY: no VMS2050 */
	unsigned pause_ms;  /* the real pause (STOP -> RESUME); in no seed text, so in no line:
			     * the MONJV and the API carry it */
};

/* The monitor console lines ("% VMSnnnn ...", SU_MSG_MAX bytes each) of `side` at `step`
 * for an SU of type t, per the table of vm2000.md §5 (see the header comment). Returns the
 * number of lines written to out, at most max (SU_LM_LINES_MAX is always enough); 0 when
 * the step has none on this side and type (e.g. SUSPENDED on x86, whose line is the KVP
 * console's HAL0331), for a NULL a, or a type, side or step out of range. */
size_t su_lm_console_lines(enum su_type t, enum su_lm_side side, enum su_lm_step step,
			   const struct su_lm_msgargs *a, char out[][SU_MSG_MAX], size_t max);

/* The guest's KVP console line on SU x86: "HAL0331 BS2000 SUSPEND" at the source's STOP
 * (SOURCE, SUSPENDED), "HAL0332 BS2000 RESUME, CONTINUING" at the target's resume (TARGET,
 * RESUMED), seed 4.6.2. Returns true and the line in out (cap bytes, truncated); false and
 * out = "" on SU /390 and at every other step. */
bool su_lm_kvp_line(enum su_type t, enum su_lm_side side, enum su_lm_step step, char *out,
		    size_t cap);

/* The SE Manager event texts (component "Sys-Mgmt", weight NOTICE) of `side` at `step`,
 * seed 4.6.3: "VM 'G1' on Server Unit 'su1' paused" (SOURCE, SUSPENDED), "... created"
 * (TARGET, END), "... deactivated" (SOURCE, END, x86 only) and "... deleted" (SOURCE, END):
 * 4 per LM on x86, 3 on /390. vm: the VM name; su: the name of this side's SU. Returns the
 * number of texts written (SU_LM_EVENT_MAX bytes each), at most max; 0: none at this step. */
size_t su_lm_event_texts(enum su_type t, enum su_lm_side side, enum su_lm_step step, const char *vm,
			 const char *su, char out[][SU_LM_EVENT_MAX], size_t max);

/* ---- IPL data, LIVE-MIG-COUNT and history (seed 4.5; they travel with the definition) ----
 * su_lm_ipl_set: the VM was loaded (/START-VM) or initialized (/CREATE-VM,
 * /ACTIVATE-VM-DEFINITION) on the SU with host name su at now_ms (wall clock, ms since the
 * epoch): ipl_su, ipl_ms, ipl_index (= vm->index) set, LIVE-MIG-COUNT 0, history emptied.
 * The LM target never calls it: the LM keeps the system's IPL data.
 * su_lm_history_add: after an LM (on the target, when it owns the VM): LIVE-MIG-COUNT + 1
 * and a row {count, now_ms, source, target, new_index}; the oldest row goes when
 * SU_LM_HIST_MAX rows are kept. */
void su_lm_ipl_set(struct su_vm *vm, const char *su, int64_t now_ms);
void su_lm_history_add(struct su_vm *vm, const char *source, const char *target, unsigned new_index,
		       int64_t now_ms);

/* ---- sub-status DIFF (SU /390, seed 4.8) ----
 * su_lm_src_io_set: records the devices of io (the source's I/O configuration sent at an
 * incoming LM) and the source SU's name in m->lm_src_io, replacing what was there.
 * su_lm_diff_refuses: "As long as a VM has the substatus DIFF ... devices that were not
 * generated on the source SU cannot be assigned to it on the target SU": the source SU's
 * name when vm has DIFF and mn is not in m->lm_src_io (the caller says VMS4001 with it),
 * NULL when mn may be assigned (no DIFF, mn generated there, or no record: unit data of an
 * older build). mn case-insensitive. */
void su_lm_src_io_set(struct su_model *m, const char *source, const struct su_iocfg *io);
const char *su_lm_diff_refuses(const struct su_model *m, const struct su_vm *vm, const char *mn);

/* ---- the MONJV of an LM (/MIGRATE-VM MONJV=name; vm2000.md §5, layout in monjv.h) ----
 * su_lmjv_finished: status $T, $TW, $AE or $AF (monitoring ended).
 * su_model_lmjv_find: the LM MONJV named name (case-insensitive) in m, or NULL.
 * su_model_lmjv_put: stores a copy of *jv in m: replaces the one of the same name, else
 * adds it, else drops the finished one that ended first to make room. Returns 0, -EINVAL
 * for an empty name or a status that is not one of the six, -ENOSPC when SU_LMJV_MAX
 * MONJVs of running LMs fill m (nothing changed).
 * su_lm_monjv_build: the 256 bytes of the MONJV (not NUL-terminated) from jv and m's
 * session and host name; for jv->vm_monjv (the $T MONJV of a VM that migrated away) in
 * the VM MONJV layout, guest state NONE, MIGR-OUT kept (monjv.h, seed 4.8).
 * The VM's MONJVs share the store with the LMs' (same name = same JV; bounded by
 * SU_LMJV_MAX): they are always finished, so they never keep an LM's MONJV out. */
bool su_lmjv_finished(const struct su_lmjv *jv);
const struct su_lmjv *su_model_lmjv_find(const struct su_model *m, const char *name);
int su_model_lmjv_put(struct su_model *m, const struct su_lmjv *jv);
void su_lm_monjv_build(const struct su_model *m, const struct su_lmjv *jv, char out[SU_MONJV_LEN]);

const char *su_lm_step_to_string(enum su_lm_step s); /* "begin", "device", ... */
const char *su_lm_side_to_string(enum su_lm_side s); /* "source", "target" */

#endif
