/* lmcheck.h — the Live Migration preconditions (vm2000.md §5 "Checks"; seed 4.1, 4.7, 4.8)
 * and the /MIGRATE-VM-DEFINITION plan (seed 4.3, vm2000-facts.md §1.10, crd.md §6).
 * Pure: no I/O, no clock, no allocation in su_lm_check().
 *
 * The check compares the source SU's model with the target's (the daemon supplies the
 * partner's model as read from its CRD region or asked from its secd) plus facts only the
 * daemon knows (struct su_lm_ctx), and reports EVERY conflict as a row {resource, resource
 * name, message} plus the console lines:
 *
 *     struct su_lm_ctx ctx = {.cluster = "SUC1", .cluster_active = true,
 *                             .same_cluster = true, .target = "su2",
 *                             .src_mode = SU_OPMODE_VM2000, .tgt_mode = SU_OPMODE_VM2000};
 *     struct su_lm_check *chk = malloc(sizeof(*chk));         // ~195 KiB: do not stack it
 *     int r = su_lm_check(live, partner, &ctx, &vmid, chk);    // 1 possible, 0 not, <0
 *     chk->msgs[0..n_msgs)      "% VMS2404 ... REASON: VMS4011", "% VMS4011 ...", ...,
 *                               "% VMS2461 ..." or "% VMS2460 ...", VMS2471 per tape
 *     chk->rc                   {CMD0001,0,0} possible, {VMS2461,0,2} not possible,
 *                               {VMS4000,64,0} no such VM ...
 *     char *json = su_lm_check_json(chk);                       // the API's rows
 *
 * As a command (/CHECK-VM-MIGRATION, /MIGRATE-VM-DEFINITION; /MIGRATE-VM's synchronous
 * part later) use su_cmd_plan_lm(): a plan in the style of su/cmd.h whose messages are the
 * check's. su_cmd_plan() stays as it was for every other command (for these three it
 * still answers VMS9010: it has no partner model).
 *
 * /MIGRATE-VM-DEFINITION (a DEFINED_ONLY definition moves to the partner SU): the source's
 * plan carries in plan->defmig the definition the target must write (vm_uuid kept, epoch
 * + 1, owner = target, migrated_from = source) and has the effects, in this order:
 *   SU_EFF_PARTNER_DEF_WRITE  the partner's secd writes plan->defmig into ITS region
 *                             (it plans that with su_lm_defmig_target_plan() and commits)
 *   SU_EFF_REGION_WRITE       the source writes plan->next (definition removed, no
 *                             tombstone) as its region
 * Target first: a crash between the two writes leaves a superseded copy on the source that
 * the reconcile of crd.md §6 drops (epoch + 1 and migrated_from name the source), never a
 * definition that exists nowhere (docs/decisions.md "MIGRATE-VM-DEFINITION order").
 * Failures the daemon reports with su_lm_defmig_fail(): VMS2323, VMS2324, VMS2325 (target
 * write failed / refused / not confirmed in time: nothing counts, the source keeps it) and
 * VMS2321 (target written, source write failed: the plan still commits, rc warning). */
#ifndef SEC_SU_LMCHECK_H
#define SEC_SU_LMCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "su/cmd.h"
#include "su/model.h"

#define SU_CLUSTER_NAME_MAX 32 /* SU Cluster name: 1..32 of [A-Za-z0-9_-] */

/* BS2000 operation mode of an SU (seed 4.1 "BS2000 operating mode"). */
enum su_opmode { SU_OPMODE_VM2000 = 1, SU_OPMODE_NATIVE, SU_OPMODE_MAX };

/* What the daemon knows beyond the two models. Zeroed = "in no SU Cluster". */
struct su_lm_ctx {
	char cluster[SU_CLUSTER_NAME_MAX + 1]; /* the source's SU Cluster, "" = in none */
	bool cluster_active;		       /* false = INACTIVE (no LM) */
	bool same_cluster;		       /* the target SU is in that SU Cluster too */
	char target[SU_NAME_MAX + 1];	       /* target SU name; *UNIQUE resolved by the caller
						* to the partner ("" = not resolvable: VMS2341) */
	bool outbound_lm;		       /* the source already has an outbound LM running */
	bool config_update;		       /* a configuration update runs (source or target) */
	bool shutdown;			   /* a VM2000 shutdown was initiated (source or target) */
	enum su_opmode src_mode, tgt_mode; /* 0 = VM2000 */
	uint64_t lm_id;		/* /MIGRATE-VM: the new LM's id (the daemon draws it) */
	uint32_t target_unit;	/* /MIGRATE-VM: the target SU's CRD unit id */
};

enum su_lm_sev {
	SU_LM_CONFLICT = 1, /* the LM is not possible */
	SU_LM_WARNING,	    /* VMS2471: a tape / local disk will be detached */
	SU_LM_SEV_MAX
};

#define SU_LM_RES_MAX  24
#define SU_LM_TEXT_MAX 160
#define SU_LM_ROWS_MAX 192 /* 2 per device (64) + every other precondition, with room */
#define SU_LM_MSGS_MAX (2 * SU_LM_ROWS_MAX + 4)

/* One row of the check (vm2000.md §5). */
struct su_lm_row {
	enum su_lm_sev sev;
	char resource[SU_LM_RES_MAX];	 /* "VM index", "Device", "Main memory", "SU Cluster",
					  * "SU type", "Operation mode", "VM name", "VM state",
					  * "VM definitions", "Virtual machines", "CPU pool",
					  * "VM group", "Live migration", "Configuration update",
					  * "VM2000 shutdown", "Monitor system", "Target SU" */
	char name[SU_NAME_MAX + 1];	 /* "5", "CC88", "2048 MB", "SUC1" ... */
	char message[SU_LM_TEXT_MAX];	 /* "already in use", "only 1024 MB free" */
	char msgid[SU_MAINCODE_MAX + 1]; /* the reason's message, "VMS4011" */
	char msg[SU_MSG_MAX];		 /* its console line "% VMS4011 VM INDEX 5 NOT AVAILABLE" */
};

/* The result. ~195 KiB: allocate it (or keep it static), do not put it on a thread stack. */
struct su_lm_check {
	bool possible;		      /* no conflict */
	unsigned n_rows, n_conflicts; /* rows = conflicts + warnings, in check order */
	struct su_lm_row rows[SU_LM_ROWS_MAX];
	struct su_rc rc;	      /* as the command's return code (cmd.h) */
	char vm[32];		      /* "(4,G4)" ("" when the VM was not found) */
	unsigned target_index;	      /* the VM index the VM gets on the target: its own, or
				       * for VM-INDEX=*ANY the target's lowest free one when its
				       * own is taken (0 when unknown / not possible) */
	char source[SU_NAME_MAX + 1]; /* host names as shown in the messages */
	char target[SU_NAME_MAX + 1];
	unsigned n_msgs;
	char msgs[SU_LM_MSGS_MAX][SU_MSG_MAX]; /* console lines, "% VMSnnnn ..." */
	bool truncated;			       /* more rows than SU_LM_ROWS_MAX (not expected) */
};

/* Checks the LM of the VM vm (VM-IDENTIFICATION: index or name; SU_VMID_NONE = the
 * monitor) from src to tgt with ctx, every precondition of vm2000.md §5, and fills out
 * (all of it, written also on rejection). Row order: VM (monitor, state, outbound LM),
 * SU Cluster, types and modes, configuration update, shutdown, then the target's
 * resources (VM name, VM index, definitions, VMs, memory, pool, group, devices), then
 * VMS2471 warnings.
 * tgt may be NULL: the target is not detected (VMS2400, or VMS2341 when ctx->target is
 * "") — a command-level rejection {VMS2400/VMS2341, 64, 0} with no rows; also when the
 * target is the source itself (VMS2342). A VM that does not exist on src: {VMS4000, 64}.
 * Returns 1 (possible: rc CMD0001, VMS2460 last), 0 (not possible or rejected: see rc),
 * -EINVAL (src, ctx, vm or out NULL). Never changes src or tgt. */
int su_lm_check(const struct su_model *src, const struct su_model *tgt, const struct su_lm_ctx *ctx,
		const struct su_vmid *vm, struct su_lm_check *out);

/* The target's own check at LM setup (the prepare request of docs/lm.md): the parts of
 * su_lm_check() that depend on the target, against ITS live model — VM state, VM name,
 * VM index (c->target_index for *ANY), definitions and VMs limits, memory, pool, group,
 * devices (generated, identically when src_io — the source's I/O configuration, sent
 * with the request — is given, else only present; exclusive use; VMS2471 warnings only
 * with src_io). vm: the definition as the source sent it. source: the source SU's name
 * for the messages. Same rows, console lines and returns as su_lm_check(). */
int su_lm_check_incoming(const struct su_model *tgt, const struct su_vm *vm,
			 const struct su_iocfg *src_io, const char *source, struct su_lm_check *c);

/* The rows as the API's JSON (malloc'd; NULL on out-of-memory):
 *   {"vm": "(4,G4)", "source": "su1", "target": "su2", "possible": false,
 *    "rows": [{"severity": "conflict"|"warning", "resource": "VM index", "name": "5",
 *              "message": "already in use", "msgid": "VMS4011", "text": "% VMS4011 ..."}],
 *    "messages": ["% VMS2404 ...", ...], "rc": {"maincode", "subcode1", "subcode2"}} */
char *su_lm_check_json(const struct su_lm_check *c);
const char *su_lm_sev_to_string(enum su_lm_sev s); /* "conflict" / "warning" */
const char *su_opmode_to_string(enum su_opmode m); /* "VM2000" / "NATIVE" */

/* ---- as commands ----
 * Plans /CHECK-VM-MIGRATION (c->vm, c->su_name) or /MIGRATE-VM-DEFINITION (c->vm = the
 * VM-NAME, c->su_name) against live (the source, not changed) and partner (the target's
 * model as the daemon knows it; NULL = not detected). Any other command: su_cmd_plan().
 * CHECK-VM-MIGRATION: ok = true (an information command: no effects, no next), msgs = the
 * check's, rc {CMD0001,0,0} / {VMS2461,0,2}; a missing VM or target: ok = false with
 * {VMS4000|VMS2400|VMS2341|VMS2342, 64, 0}; plan->lm holds the check (rows for the API).
 * MIGRATE-VM-DEFINITION: see the top of this file; refusals (ok = false, nothing changed):
 * VMS2300 no such definition, VMS4015 the VM is initialized, VMS4041 the monitor, and the
 * target-side reasons VMS2324 + VMS4013 / VMS4011 / VMS2311 / VMS4620 / VMS4621, or the
 * SU Cluster ones (VMS2402, VMS2403, VMS2410). Messages VMS2320 on commit.
 * Returns NULL on out-of-memory only. */
struct su_plan *su_cmd_plan_lm(const struct su_model *live, const struct su_cmd *c,
			       const struct su_model *partner, const struct su_lm_ctx *ctx,
			       int64_t now_ms);

/* What the target of a /MIGRATE-VM-DEFINITION writes. */
struct su_lm_defmig {
	struct su_vm vm;	      /* the definition: state DEFINED_ONLY, runtime zeroed */
	struct crd_vmdef def;	      /* its ownership: same vm_uuid, epoch + 1, owner = target
				       * unit, migrated_from = source unit, lm_id 0 */
	char source[SU_NAME_MAX + 1]; /* SU names, for messages and events */
	char target[SU_NAME_MAX + 1];
	uint32_t source_unit, target_unit;
};

/* On the target (the partner's secd, asked to write req): a plan against its live model
 * with next = live + the definition (ownership req->def as is) and one REGION_WRITE
 * effect; an event "VM definition (i,name) migrated from SU 'x'" at commit. Refused
 * (ok = false, {VMS2324, 64, 0}, "% VMS2324 ... REASON: VMSnnnn" + the reason) when the
 * name is used (VMS4013), the index is used (VMS4011), the limit is reached (VMS2311), the
 * pool / group is missing (VMS4620 / VMS4621), req is not for this SU, or the ownership
 * record cannot be added (a tombstone here forbids it: VMS2346). NULL on out-of-memory. */
struct su_plan *su_lm_defmig_target_plan(const struct su_model *live,
					 const struct su_lm_defmig *req, int64_t now_ms);

enum su_defmig_fail {
	SU_DEFMIG_TARGET_FAILED = 1, /* VMS2323: the target's write failed (reason given) */
	SU_DEFMIG_TARGET_REFUSED,    /* VMS2324: the target refused (reason = its msgid) */
	SU_DEFMIG_TARGET_TIMEOUT,    /* VMS2325: not confirmed in time (in doubt) */
	SU_DEFMIG_SOURCE_FAILED,     /* VMS2321: target written, own region write failed */
	SU_DEFMIG_FAIL_MAX
};

/* The daemon reports how a MIGRATE-VM-DEFINITION plan p failed. TARGET_*: like
 * su_cmd_abort() (ok = false, nothing counts; rc {VMS232x, 64, 0}); a TIMEOUT is in doubt
 * — the target may have written it; the reconcile of crd.md §6 settles it (the source's
 * copy is dropped if the target's arrived). SOURCE_FAILED: the plan stays ok and the
 * daemon commits it (the source's copy is superseded by the target's anyway); rc {VMS2321,
 * 0, 2} and VMS2321 instead of VMS2320. Returns 0, -EALREADY (finished), -EINVAL (not a
 * MIGRATE-VM-DEFINITION plan, or not ok). */
int su_lm_defmig_fail(struct su_plan *p, enum su_defmig_fail why, const char *reason);

#endif
