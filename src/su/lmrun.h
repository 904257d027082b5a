/* lmrun.h — the model changes of a Live Migration as plans of su/cmd.h (vm2000.md §5
 * "Phases", crd.md §6 "LM"; seed 4.4). Pure: no I/O, no clock. The daemon (src/secd/lm*.c)
 * carries out each plan's effects and commits it through its command queue, so an LM step
 * never interleaves with a command's change of the same model.
 *
 *   source                                   target
 *   /MIGRATE-VM: su_cmd_plan_lm() with
 *     ctx->lm_id: check, VM (MIGR),
 *     "outgoing lm_id", region write
 *                                            su_lm_plan_incoming(): check again, VM in
 *                                              SETUP(MIGR) (reserved), QEMU with -incoming
 *                                              defer, "incoming lm_id", region write
 *   ... memory copy (QMP) ... completed ...
 *                                            su_lm_plan_commit(): the definition's epoch
 *                                              + 1 owned here, state as on the source,
 *                                              region write; then `cont` (daemon)
 *   su_lm_plan_source_finish(): QEMU quit,
 *     definition and "outgoing" removed
 *   abort before the commit:
 *   su_lm_plan_source_resume(): "outgoing"   su_lm_plan_target_abort(): QEMU killed,
 *     removed, (MIGR) cleared                  reservation dropped, "abort lm_id"
 *
 * The reserved VM of an incoming LM (state SETUP(MIGR), no ownership record yet) lives in
 * the model so that commands see its memory, index, name and devices as taken, but it is
 * not unit data: su_model_to_json() leaves it out (the "incoming lm_id" record is what the
 * CRD holds), and a restarted target aborts the LM (crd_lm_target_restart()). */
#ifndef SEC_SU_LMRUN_H
#define SEC_SU_LMRUN_H

#include <stdint.h>

#include "su/cmd.h"
#include "su/lmcheck.h"

/* What the source sends the target at setup (the prepare request of docs/lm.md). */
struct su_lm_incoming {
	uint64_t lm_id;
	struct su_vm vm;	      /* the definition as on the source (devices to detach
				       * already removed), its state there; runtime zero but
				       * rt.diff (sub-status DIFF) */
	struct crd_vmdef def;	      /* the source's ownership record of it */
	uint32_t source_unit;
	char source[SU_NAME_MAX + 1]; /* the source SU's name (messages) */
	const struct su_iocfg *src_io; /* the source's I/O configuration, NULL = not sent */
};

/* The target's reservation: check (su_lm_check_incoming) against live; ok → next = live
 * + the VM (index = chk->target_index, SETUP(MIGR), runtime cleared but sub-status DIFF
 * on an SU /390 whose I/O configuration differs from req->src_io, seed 4.8) + "incoming
 * lm_id"; on an SU /390 also req->src_io recorded (su_lm_src_io_set, su/lm.h); effects
 * QEMU_START (lm_incoming) and REGION_WRITE. Refused: ok = false, rc {VMS2404, 64,
 * 0}, the check's lines; p->lm holds the check. NULL on out-of-memory. */
struct su_plan *su_lm_plan_incoming(const struct su_model *live, const struct su_lm_incoming *req,
				    int64_t now_ms);

/* The target's commit: the reserved VM at index gets the source's state (RUNNING,
 * INIT-ONLY or DOWN; the daemon resumes a RUNNING one after this plan committed), (MIGR)
 * cleared, and ownership {vm_uuid, src_def->epoch + 1, lm_id, migrated_from source}
 * (crd_lm_commit), LIVE-MIG-COUNT + 1 and a history row (su_lm_history_add: from source to
 * this SU's host name); effect REGION_WRITE. Refused (ok = false, VMS2404): no reserved VM of
 * lm_id at index. NULL on out-of-memory. */
struct su_plan *su_lm_plan_commit(const struct su_model *live, unsigned index, uint64_t lm_id,
				  const struct crd_vmdef *src_def, enum su_vm_state state,
				  const char *source, int64_t now_ms);

/* The target's abort: effects QEMU_QUIT of index (when its VM is still there) and
 * REGION_WRITE; next without the VM of lm_id and with "abort lm_id" (crd_lm_target_abort).
 * index 0: no VM any more (only the records change). NULL on out-of-memory. */
struct su_plan *su_lm_plan_target_abort(const struct su_model *live, unsigned index,
					uint64_t lm_id, const crd_uuid *vm_uuid, uint32_t source_unit);

/* The source after the target committed: effects QEMU_QUIT and REGION_WRITE; next
 * without the definition and the "outgoing lm_id" (crd_lm_source_finish). A VM monitored
 * with a MONJV leaves it behind as `$T ` with MIGR-OUT (seed 4.8; su_lmjv.vm_monjv, kept
 * like the LM MONJVs), end time now_ms (wall clock, ms since the epoch); target is the
 * target SU's name. NULL on out-of-memory. */
struct su_plan *su_lm_plan_source_finish(const struct su_model *live, unsigned index,
					 uint64_t lm_id, const char *target,
					 const struct su_lmjv *jv, int64_t now_ms);

/* The source after an abort (the guest runs here, the daemon resumed it if needed):
 * "outgoing lm_id" removed, (MIGR) cleared; effect REGION_WRITE. NULL on out-of-memory. */
struct su_plan *su_lm_plan_source_resume(const struct su_model *live, unsigned index,
					 uint64_t lm_id, const struct su_lmjv *jv);

/* The LM MONJV jv (su/lm.h) stored (su_model_lmjv_put) and written; jv NULL or a put that
 * fails: a plan without effects. The finish and resume plans above store their jv too
 * (NULL: none). NULL on out-of-memory. */
struct su_plan *su_lm_plan_jv(const struct su_model *live, const struct su_lmjv *jv);

/* The reconcile of crd.md §6 against the partner SU's ownership records (its region as
 * read): crd_owner_reconcile() and su_model_sync_owner() — a copy the partner superseded
 * (a definition migrated there whose answer was in doubt, an LM committed there) goes, a
 * copy on both sides without a winner becomes CONFLICT, abort records the partner no longer
 * needs go. A plan with REGION_WRITE when anything changed, else without effects. NULL on
 * out-of-memory. */
struct su_plan *su_plan_reconcile(const struct su_model *live,
				  const struct crd_owner_region *partner);

#endif
