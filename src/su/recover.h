/* recover.h — /RECOVER-VM-DEFINITION on the surviving SU T for a definition of its
 * partner S (seed 5; vm2000-facts.md §1.11; crd.md §6). Pure: the daemon reads S's CRD
 * region and passes its verdict on S; this plans the change of T's model.
 *
 *   struct su_recover_ctx ctx = {.in_cluster = true, .partner = "SU2", .partner_unit = 4,
 *                                .partner_read = true, .verdict = v};
 *   p = su_cmd_plan_recover(live, &cmd, partner_model, &ctx, now_ms);
 *   ... carry out p (one REGION_WRITE, issued only while the DEAD verdict is fresh) ...
 *   if the write completed later than io_timeout: su_recover_in_doubt(p, name, S, ms) before commit
 */
#ifndef SEC_SU_RECOVER_H
#define SEC_SU_RECOVER_H

#include "crd/alive.h"
#include "su/cmd.h"

/* What the daemon knows beyond the two models. */
struct su_recover_ctx {
	bool in_cluster;	       /* T is in an SU Cluster (else VMS2347) */
	bool named_local;	       /* SERVER-UNIT-NAME names T itself (VMS2342) */
	bool known;		       /* the named SU is an SU of the cluster (else VMS2400) */
	bool same_cluster;	       /* ... and T's partner in its SU Cluster (else VMS2343) */
	char partner[SU_NAME_MAX + 1]; /* S's name (*UNIQUE resolved; "" = VMS2341) */
	uint32_t partner_unit;	       /* S's CRD unit id */
	bool partner_read;	       /* S's region was read (else VMS2345) */
	struct crd_alive_verdict verdict; /* T's observer's verdict on S */
	bool confirmed;		       /* the operator confirmed that S is down (sectl vm
					* recover --confirm-down; API "confirm_down") */
};

/* Plans c (SU_CMD_RECOVER_VM_DEFINITION: c->vm.name, c->su_name) on T's live model against
 * partner (S's model as read now; NULL = not read / empty). Accepted: next = live + the
 * definition as S had it (same vm_uuid, epoch + 1, recovered_from = S, state DEFINED_ONLY,
 * nothing allocated; the VM index its own or for *ANY a free one), one REGION_WRITE effect,
 * an event "VM definition (i,name) recovered from SU 'S'" and at commit VMS2340. Rejected
 * (ok = false, nothing changed, rc {id, 64, 0}): VMS2347, VMS2341, VMS2342, VMS2400,
 * VMS2343, VMS2345, VMS2300 (no such definition on S, or T holds a tombstone of it),
 * VMS2344 (S is alive), VMS2349 (S's state cannot be determined and not confirmed: ours),
 * VMS2346 (S's copy is in conflict, T holds the same vm_uuid, or T has another VM of that
 * name: then with VMS4013),
 * VMS4011/VMS4012 (index), VMS2311 (T's limit), VMS4620/VMS4621 (pool, group).
 * Returns NULL on out-of-memory only. */
struct su_plan *su_cmd_plan_recover(const struct su_model *live, const struct su_cmd *c,
				    const struct su_model *partner,
				    const struct su_recover_ctx *ctx, int64_t now_ms);

/* The write of an accepted RECOVER plan completed, but write_ms after it was issued, later
 * than io_timeout (crd.md §6): the result is in doubt, never "done". Replaces VMS2340 by
 * VMS2348 (ours) and sets rc {VMS2348, 0, 2}; the change still commits (it is on disk).
 * Call before su_cmd_commit(). Returns 0, -EINVAL for another plan. */
int su_recover_in_doubt(struct su_plan *p, const char *vm_name, const char *partner,
			unsigned write_ms);

#endif
