/* lmdef.c — the LM commands as plans (lmcheck.h): /CHECK-VM-MIGRATION and
 * /MIGRATE-VM-DEFINITION on the source, the target's half of the latter, and the failure
 * reports of the daemon. Pure, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lm.h"
#include "su/lmcheck.h"
#include "su/msgcat.h"

/* The context with c->su_name applied: a named target must be the partner the daemon
 * supplied (else it is "not detected"), or the local SU (VMS2342 from the check). */
static const struct su_model *resolve_target(const struct su_model *live, const struct su_cmd *c,
					     const struct su_model *partner,
					     const struct su_lm_ctx *ctx, struct su_lm_ctx *ret)
{
	*ret = *ctx;
	if (!c->su_name[0]) {
		if (!ret->target[0] && partner)
			snprintf(ret->target, sizeof(ret->target), "%s", partner->res.name);
		return partner;
	}
	/* SDF upper-cases the operand: the names as configured where they are known */
	if (!ctx->target[0] || strcasecmp(ctx->target, c->su_name))
		snprintf(ret->target, sizeof(ret->target), "%s", c->su_name);
	if (partner && (strcasecmp(partner->res.name, c->su_name) == 0 ||
			strcasecmp(partner->res.host_name, c->su_name) == 0))
		return partner;
	if (strcasecmp(live->res.name, c->su_name) == 0 ||
	    strcasecmp(live->res.host_name, c->su_name) == 0) {
		snprintf(ret->target, sizeof(ret->target), "%s", live->res.name);
		return partner; /* the check answers VMS2342 */
	}
	return NULL;
}

static void copy_msgs(struct plan_ctx *x, const struct su_lm_check *chk, unsigned from)
{
	for (unsigned i = from; i < chk->n_msgs; i++)
		plan_line(x, "%s", chk->msgs[i]);
}

static int plan_check(struct plan_ctx *x, const struct su_model *tgt, const struct su_lm_ctx *ctx)
{
	struct su_lm_check *chk = malloc(sizeof(*chk));

	if (!chk) {
		x->oom = true;
		return -1;
	}
	su_lm_check(x->live, tgt, ctx, &x->c->vm, chk);
	copy_msgs(x, chk, 0);
	x->p->lm = chk;
	if (chk->rc.subcode1)
		return plan_reject(x, chk->rc.maincode, chk->rc.subcode1);
	plan_rc(x, chk->rc.maincode, chk->rc.subcode1, chk->rc.subcode2);
	return 0;
}

/* /MIGRATE-VM's synchronous part (vm2000.md §5 "Phases" 1): the check; possible → the VM
 * shows (MIGR), "outgoing lm_id" (ctx->lm_id, peer ctx->target_unit) is recorded, and the
 * region is written before the command is answered; the daemon then runs the phases. */
static int plan_migrate(struct plan_ctx *x, const struct su_model *tgt, const struct su_lm_ctx *ctx)
{
	if (plan_check(x, tgt, ctx) < 0)
		return -1;
	if (!x->p->lm->possible)
		return plan_reject(x, x->p->lm->rc.maincode, 64);
	struct su_model *next = plan_next(x);
	struct su_vm *vm = next ? su_vmid_find(next, &x->c->vm) : NULL;
	if (!vm)
		return -1;
	if (!ctx->lm_id || crd_owner_lm_add(&next->own, CRD_LM_OUTGOING, ctx->lm_id, &vm->vm_uuid,
					    ctx->target_unit) < 0) {
		plan_line(x, "%% VMS2401 ANOTHER LIVE MIGRATION FROM SU '%s' IS RUNNING",
			  x->live->res.name);
		return plan_reject(x, "VMS2401", 64);
	}
	vm->rt.migr = true;
	if (x->c->monjv[0]) { /* the LM's MONJV: $S (accepted); the engine moves it on */
		struct su_lmjv jv = {.phase = 1, .lm_id = ctx->lm_id, .start_ms = x->now_ms};
		char vmstr[VMSTR_MAX];
		snprintf(jv.name, sizeof(jv.name), "%s", x->c->monjv);
		snprintf(jv.status, sizeof(jv.status), "$S ");
		snprintf(jv.vm, sizeof(jv.vm), "%s", su_vmstr(vm, vmstr));
		snprintf(jv.source, sizeof(jv.source), "%s", x->live->res.host_name);
		snprintf(jv.target, sizeof(jv.target), "%s", ctx->target);
		if (su_model_lmjv_put(next, &jv) < 0) {
			plan_line(x, "%% VMS2401 MONJV '%s' CANNOT BE KEPT: %u MONJVS OF RUNNING LIVE "
				  "MIGRATIONS EXIST", x->c->monjv, (unsigned)SU_LMJV_MAX);
			return plan_reject(x, "VMS2401", 64);
		}
	}
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	return 0;
}

/* Removes vm_uuid's definition and ownership entry from m without a tombstone: the
 * target's copy (epoch + 1, migrated_from = this SU) supersedes any copy of it here
 * (crd.md §6), so a tombstone would only stay forever (the partner holds the vm_uuid). */
static int remove_migrated(struct su_model *m, const crd_uuid *u)
{
	struct su_vm *vm = su_model_vm_by_uuid(m, u);

	if (!vm)
		return -ENOENT;
	for (uint32_t i = 0; i < m->own.ndefs; i++)
		if (memcmp(&m->own.defs[i].vm_uuid, u, sizeof(*u)) == 0) {
			memmove(&m->own.defs[i], &m->own.defs[i + 1],
				(m->own.ndefs - i - 1) * sizeof(m->own.defs[0]));
			m->own.ndefs--;
			break;
		}
	size_t k = (size_t)(vm - m->vms);
	memmove(&m->vms[k], &m->vms[k + 1], (m->nvms - k - 1) * sizeof(m->vms[0]));
	m->nvms--;
	return 0;
}

static int plan_defmig(struct plan_ctx *x, const struct su_model *tgt, const struct su_lm_ctx *ctx)
{
	const struct su_model *live = x->live;
	char vmstr[VMSTR_MAX], id[VMSTR_MAX], ev[200];
	struct su_lm_check *chk = calloc(1, sizeof(*chk));
	int ret = -1;

	if (!chk) {
		x->oom = true;
		return -1;
	}
	if (su_vmid_is_monitor(&x->c->vm)) {
		plan_msg(x, "VMS4041", su_cmd_name(x->c->id));
		ret = plan_reject(x, "VMS4041", 64);
		goto out;
	}
	const struct su_vm *vm = su_vmid_find(live, &x->c->vm);
	if (!vm) {
		plan_msg(x, "VMS2300", su_vmid_str(&x->c->vm, id));
		ret = plan_reject(x, "VMS2300", 64);
		goto out;
	}
	su_vmstr(vm, vmstr);
	const struct crd_vmdef *own = crd_owner_find(&live->own, &vm->vm_uuid);
	if (vm->state == SU_VM_CONFLICT || !own || (own->flags & CRD_VMDEF_CONFLICT)) {
		plan_msg(x, "VMS2346", vm->name);
		ret = plan_reject(x, "VMS2346", 64);
		goto out;
	}
	if (vm->state != SU_VM_DEFINED_ONLY) {
		plan_msg(x, "VMS4015", vmstr);
		ret = plan_reject(x, "VMS4015", 64);
		goto out;
	}
	if (su_lm_check_target(live, tgt, ctx, chk) < 0) {
		copy_msgs(x, chk, 0);
		ret = plan_reject(x, chk->rc.maincode, 64);
		goto out;
	}
	/* the SU Cluster (this SU's own reasons), then the target's (VMS2324 + reason) */
	su_lm_check_cluster(live, tgt, ctx, chk);
	unsigned n_own = chk->n_rows;
	su_lm_check_target_def(tgt, vm, chk);
	for (unsigned i = 0; i < chk->n_rows; i++) {
		if (i >= n_own)
			plan_msg(x, "VMS2324", vm->name, chk->target, chk->rows[i].msgid);
		plan_line(x, "%s", chk->rows[i].msg);
	}
	if (chk->n_rows) {
		ret = plan_reject_first(x, 64);
		goto out;
	}

	/* accepted: the target's part, then this SU without the definition */
	struct su_lm_defmig *dm = calloc(1, sizeof(*dm));
	if (!dm) {
		x->oom = true;
		goto out;
	}
	x->p->defmig = dm;
	dm->vm = *vm;
	dm->vm.index = chk->target_index; /* another one only for VM-INDEX=*ANY */
	memset(&dm->vm.rt, 0, sizeof(dm->vm.rt));
	dm->vm.state = SU_VM_DEFINED_ONLY;
	dm->def = *own;
	dm->def.epoch = own->epoch + 1;
	dm->def.owner = tgt->res.unit_id;
	dm->def.migrated_from = live->res.unit_id;
	dm->def.lm_id = 0;
	dm->def.flags &= ~(uint32_t)(CRD_VMDEF_CONFLICT | CRD_VMDEF_FENCED);
	dm->source_unit = live->res.unit_id;
	dm->target_unit = tgt->res.unit_id;
	snprintf(dm->source, sizeof(dm->source), "%s", live->res.name);
	snprintf(dm->target, sizeof(dm->target), "%s", tgt->res.name);

	struct su_model *next = plan_next(x);
	if (!next)
		goto out;
	snprintf(ev, sizeof(ev), "VM definition %s migrated to SU '%s'", vmstr, chk->target);
	su_model_emit(next, vm, CRD_WEIGHT_NOTICE, ev);
	if (remove_migrated(next, &vm->vm_uuid) < 0) {
		plan_msg(x, "CMD0221", "VM definition vanished from the plan");
		ret = plan_reject(x, "CMD0221", 32);
		goto out;
	}
	plan_effect(x, SU_EFF_PARTNER_DEF_WRITE, vm, NULL);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS2320", vm->name, chk->target);
	ret = 0;
out:
	free(chk);
	return ret;
}

struct su_plan *su_cmd_plan_lm(const struct su_model *live, const struct su_cmd *c,
			       const struct su_model *partner, const struct su_lm_ctx *ctx,
			       int64_t now_ms)
{
	static const struct su_lm_ctx none = {0};
	struct su_lm_ctx lctx;

	if (c->id != SU_CMD_CHECK_VM_MIGRATION && c->id != SU_CMD_MIGRATE_VM_DEFINITION &&
	    c->id != SU_CMD_MIGRATE_VM)
		return su_cmd_plan(live, c, now_ms);
	struct su_plan *p = calloc(1, sizeof(*p));
	struct plan_ctx x = {.p = p, .live = live, .c = c, .now_ms = now_ms};
	if (!p)
		return NULL;
	p->ok = true;
	p->id = c->id;
	plan_rc(&x, "CMD0001", 0, 0);
	const struct su_model *tgt = resolve_target(live, c, partner, ctx ? ctx : &none, &lctx);
	if (c->id == SU_CMD_CHECK_VM_MIGRATION)
		plan_check(&x, tgt, &lctx);
	else if (c->id == SU_CMD_MIGRATE_VM)
		plan_migrate(&x, tgt, &lctx);
	else
		plan_defmig(&x, tgt, &lctx);
	if (x.oom)
		return su_plan_free(p);
	return p;
}

/* ---- the target's half ---- */

struct su_plan *su_lm_defmig_target_plan(const struct su_model *live,
					 const struct su_lm_defmig *req, int64_t now_ms)
{
	struct su_cmd c = {.id = SU_CMD_MIGRATE_VM_DEFINITION};
	struct su_plan *p = calloc(1, sizeof(*p));
	struct plan_ctx x = {.p = p, .live = live, .c = &c, .now_ms = now_ms};
	struct su_lm_check *chk = calloc(1, sizeof(*chk));
	char why[120];

	if (!p || !chk) {
		free(chk);
		free(p);
		return NULL;
	}
	p->ok = true;
	p->id = c.id;
	plan_rc(&x, "CMD0001", 0, 0);
	if (req->target_unit != live->res.unit_id || req->def.owner != live->res.unit_id) {
		snprintf(why, sizeof(why), "request for unit %u, this SU is unit %u",
			 req->target_unit, live->res.unit_id);
		plan_msg(&x, "VMS2323", req->vm.name, live->res.name, why);
		plan_reject(&x, "VMS2323", 64);
		goto out;
	}
	snprintf(chk->target, sizeof(chk->target), "%s", live->res.name);
	su_lm_check_target_def(live, &req->vm, chk);
	if (!chk->n_rows && (crd_owner_find(&live->own, &req->def.vm_uuid) ||
			     crd_owner_find_tomb(&live->own, &req->def.vm_uuid)))
		snprintf(chk->rows[chk->n_rows++].msgid, sizeof(chk->rows[0].msgid), "VMS2346");
	for (unsigned i = 0; i < chk->n_rows; i++) {
		plan_msg(&x, "VMS2324", req->vm.name, live->res.name, chk->rows[i].msgid);
		if (strcmp(chk->rows[i].msgid, "VMS2346") == 0)
			plan_msg(&x, "VMS2346", req->vm.name);
		else
			plan_line(&x, "%s", chk->rows[i].msg);
	}
	if (chk->n_rows) {
		plan_reject(&x, "VMS2324", 64);
		goto out;
	}
	struct su_model *next = plan_next(&x);
	if (!next)
		goto out;
	int r = crd_owner_add(&next->own, &req->def);
	if (r < 0 || next->nvms >= SU_VMS_CAP) {
		plan_msg(&x, "VMS2324", req->vm.name, live->res.name, "VMS2346");
		plan_msg(&x, "VMS2346", req->vm.name);
		plan_reject(&x, "VMS2324", 64);
		goto out;
	}
	/* the index = req's, or for *ANY a free one if it was taken since */
	plan_take_definition(&x, next, &req->vm, chk->target_index, &req->def.vm_uuid,
			     "taken over from", req->source);
	plan_commit_msg(&x, "VMS2322", req->vm.name, req->source);
out:
	free(chk);
	if (x.oom)
		return su_plan_free(p);
	return p;
}

/* ---- failures the daemon reports ---- */

int su_lm_defmig_fail(struct su_plan *p, enum su_defmig_fail why, const char *reason)
{
	struct plan_ctx x = {.p = p};
	const struct su_lm_defmig *dm = p->defmig;

	if (p->finished)
		return -EALREADY;
	if (!p->ok || p->id != SU_CMD_MIGRATE_VM_DEFINITION || !dm)
		return -EINVAL;
	const char *r = reason ? reason : "unknown";
	switch (why) {
	case SU_DEFMIG_TARGET_FAILED:
		plan_msg(&x, "VMS2323", dm->vm.name, dm->target, r);
		break;
	case SU_DEFMIG_TARGET_REFUSED:
		plan_msg(&x, "VMS2324", dm->vm.name, dm->target, r);
		break;
	case SU_DEFMIG_TARGET_TIMEOUT:
		plan_msg(&x, "VMS2325", dm->vm.name, dm->target);
		break;
	case SU_DEFMIG_SOURCE_FAILED:
		/* the commit message VMS2320 becomes VMS2321; the plan still commits */
		for (size_t i = 0; i < p->n_commit_msgs; i++)
			free(p->commit_msgs[i]);
		p->n_commit_msgs = 0;
		plan_commit_msg(&x, "VMS2321", dm->vm.name, dm->target, dm->source, r);
		plan_rc(&x, "VMS2321", 0, 2);
		return x.oom ? -ENOMEM : 0;
	default:
		return -EINVAL;
	}
	p->finished = true;
	plan_reject_first(&x, 64);
	return 0;
}
