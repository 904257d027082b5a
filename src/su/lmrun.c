/* lmrun.c — the model changes of a Live Migration as plans (lmrun.h). Pure, no I/O. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "su/cmd_priv.h"
#include "su/lm.h"
#include "su/lmrun.h"

static struct su_plan *plan_begin(struct plan_ctx *x, const struct su_model *live,
				  const struct su_cmd *c, int64_t now_ms)
{
	struct su_plan *p = calloc(1, sizeof(*p));

	*x = (struct plan_ctx){.p = p, .live = live, .c = c, .now_ms = now_ms};
	if (!p)
		return NULL;
	p->ok = true;
	p->id = c->id;
	plan_rc(x, "CMD0001", 0, 0);
	return p;
}

static struct su_plan *plan_end(struct plan_ctx *x)
{
	if (x->oom)
		return su_plan_free(x->p);
	return x->p;
}

/* Removes the VM at index from m (no ownership change). */
static void drop_vm(struct su_model *m, unsigned index)
{
	struct su_vm *vm = su_model_vm_by_index(m, index);

	if (!vm)
		return;
	size_t k = (size_t)(vm - m->vms);
	memmove(&m->vms[k], &m->vms[k + 1], (m->nvms - k - 1) * sizeof(m->vms[0]));
	m->nvms--;
}

static const struct su_cmd lm_cmd = {.id = SU_CMD_MIGRATE_VM};

struct su_plan *su_lm_plan_incoming(const struct su_model *live, const struct su_lm_incoming *req,
				    int64_t now_ms)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, now_ms);
	struct su_lm_check *chk = p ? malloc(sizeof(*chk)) : NULL;

	if (!chk) {
		su_plan_free(p);
		return NULL;
	}
	p->lm = chk;
	su_lm_check_incoming(live, &req->vm, req->src_io, req->source, chk);
	if (!chk->possible || !chk->target_index) { /* its lines tell the source why */
		for (unsigned i = 0; i < chk->n_msgs; i++)
			plan_line(&x, "%s", chk->msgs[i]);
		plan_reject(&x, "VMS2404", 64);
		return plan_end(&x);
	}
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	if (next->nvms >= SU_VMS_CAP ||
	    crd_owner_lm_add(&next->own, CRD_LM_INCOMING, req->lm_id, &req->def.vm_uuid,
			     req->source_unit) < 0) {
		plan_line(&x, "%% VMS2404 LIVE MIGRATION OF VM (%u,%s) REJECTED BY TARGET SU "
			  "'%s'. REASON: NO ROOM FOR THE LM RECORD", req->vm.index, req->vm.name,
			  live->res.name);
		plan_reject(&x, "VMS2404", 64);
		return plan_end(&x);
	}
	struct su_vm *n = &next->vms[next->nvms++];
	*n = req->vm;
	n->vm_uuid = req->def.vm_uuid;
	n->index = chk->target_index;
	memset(&n->rt, 0, sizeof(n->rt));
	n->rt.migr = true;
	n->rt.started_ms = now_ms;
	/* SU /390 (seed 4.8): an I/O configuration that differs from the source's gives DIFF;
	 * a VM with DIFF loses it when it migrates back (an SU Cluster has two SUs: the other
	 * one is the SU it came from) */
	n->rt.diff = live->res.type == SU_TYPE_390 && !req->vm.rt.diff && req->src_io &&
		     !su_iocfg_same(req->src_io, &live->res.io);
	if (live->res.type == SU_TYPE_390 && req->src_io) /* what a DIFF VM may get */
		su_lm_src_io_set(next, req->source, req->src_io);
	n->state = SU_VM_SETUP_MIGR;
	struct su_effect *e = plan_effect(&x, SU_EFF_QEMU_START, n, n->ipl_unit);
	if (e)
		e->lm_incoming = true;
	plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

struct su_plan *su_lm_plan_commit(const struct su_model *live, unsigned index, uint64_t lm_id,
				  const struct crd_vmdef *src_def, enum su_vm_state state,
				  const char *source, int64_t now_ms)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, now_ms);
	const struct su_vm *vm = p ? su_model_vm_by_index(live, index) : NULL;

	if (!p)
		return NULL;
	if (!vm || vm->state != SU_VM_SETUP_MIGR ||
	    memcmp(&vm->vm_uuid, &src_def->vm_uuid, sizeof(vm->vm_uuid)) ||
	    !crd_owner_find_lm(&live->own, CRD_LM_INCOMING, lm_id)) {
		plan_line(&x, "%% VMS2404 LIVE MIGRATION REJECTED BY TARGET SU '%s'. REASON: NO "
			  "RESERVED VM AT INDEX %u FOR THIS LIVE MIGRATION", live->res.name, index);
		plan_reject(&x, "VMS2404", 64);
		return plan_end(&x);
	}
	if (state != SU_VM_RUNNING && state != SU_VM_INIT_ONLY && state != SU_VM_DOWN)
		state = SU_VM_INIT_ONLY;
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	if (crd_lm_commit(&next->own, src_def, lm_id) < 0) {
		plan_line(&x, "%% VMS2404 LIVE MIGRATION REJECTED BY TARGET SU '%s'. REASON: THE "
			  "OWNERSHIP RECORD CANNOT BE ADDED", live->res.name);
		plan_reject(&x, "VMS2404", 64);
		return plan_end(&x);
	}
	struct su_vm *n = su_model_vm_by_index(next, index);
	n->rt.migr = false;
	if (state == SU_VM_RUNNING)
		n->rt.running_ms = now_ms;
	su_vm_set_state(next, n, SU_VM_SETUP_MIGR, state, "live migration");
	su_lm_history_add(n, source, live->res.host_name, index, now_ms);
	plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

struct su_plan *su_lm_plan_target_abort(const struct su_model *live, unsigned index,
					uint64_t lm_id, const crd_uuid *vm_uuid, uint32_t source_unit)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, 0);
	const struct su_vm *vm = p && index ? su_model_vm_by_index(live, index) : NULL;

	if (!p)
		return NULL;
	if (vm && memcmp(&vm->vm_uuid, vm_uuid, sizeof(*vm_uuid)))
		vm = NULL; /* the index holds another VM by now: not ours to stop */
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	if (vm) {
		plan_effect(&x, SU_EFF_QEMU_QUIT, vm, NULL);
		drop_vm(next, index);
	}
	/* -ENOSPC (no room for "abort lm_id"): the incoming record is gone anyway, and a
	 * source that finds neither a commit nor an abort waits for this SU's dead verdict */
	(void)crd_lm_target_abort(&next->own, lm_id, vm_uuid, source_unit);
	plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

/* The VM's own MONJV after it migrated away (seed 4.8): $T, MIGR-OUT kept (su_lmjv). */
static struct su_lmjv vm_monjv_terminated(const struct su_model *live, const struct su_vm *vm,
					  uint64_t lm_id, const char *target, int64_t now_ms)
{
	struct su_lmjv jv = {.vm_monjv = true,
			     .status = "$T ",
			     .lm_id = lm_id,
			     .start_ms = vm->rt.monjv_ms ? vm->rt.monjv_ms : vm->rt.started_ms,
			     .end_ms = now_ms};

	snprintf(jv.name, sizeof(jv.name), "%s", vm->rt.monjv);
	snprintf(jv.vm, sizeof(jv.vm), "(%u,%s)", vm->index, vm->name);
	snprintf(jv.source, sizeof(jv.source), "%s", live->res.host_name);
	snprintf(jv.target, sizeof(jv.target), "%s", target);
	return jv;
}

struct su_plan *su_lm_plan_source_finish(const struct su_model *live, unsigned index,
					 uint64_t lm_id, const char *target,
					 const struct su_lmjv *jv, int64_t now_ms)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, now_ms);
	const struct su_vm *vm = p ? su_model_vm_by_index(live, index) : NULL;
	char vmstr[VMSTR_MAX], ev[200];

	if (!p)
		return NULL;
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	if (vm) {
		plan_effect(&x, SU_EFF_QEMU_QUIT, vm, NULL);
		snprintf(ev, sizeof(ev), "VM %s migrated to SU '%s': its definition left this SU",
			 su_vmstr(vm, vmstr), target);
		su_model_emit(next, vm, CRD_WEIGHT_NOTICE, ev);
	}
	crd_lm_source_finish(&next->own, lm_id);
	drop_vm(next, index);
	if (vm && vm->rt.monjv[0]) { /* before the LM's: of the same name, the LM's stays */
		struct su_lmjv vjv = vm_monjv_terminated(live, vm, lm_id, target, now_ms);
		(void)su_model_lmjv_put(next, &vjv); /* -ENOSPC: not kept, the LM is */
	}
	if (jv)
		(void)su_model_lmjv_put(next, jv); /* -ENOSPC: the MONJV is not kept, the LM is */
	plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

struct su_plan *su_lm_plan_source_resume(const struct su_model *live, unsigned index,
					 uint64_t lm_id, const struct su_lmjv *jv)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, 0);

	if (!p)
		return NULL;
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	struct su_vm *n = su_model_vm_by_index(next, index);
	if (n)
		n->rt.migr = false;
	crd_lm_source_resume(&next->own, lm_id);
	if (jv)
		(void)su_model_lmjv_put(next, jv);
	plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

struct su_plan *su_lm_plan_jv(const struct su_model *live, const struct su_lmjv *jv)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, 0);

	if (!p || !jv)
		return p;
	struct su_model *next = plan_next(&x);
	if (!next)
		return plan_end(&x);
	if (su_model_lmjv_put(next, jv) == 0)
		plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
	return plan_end(&x);
}

/* A copy whose guest runs here is never dropped by a reconcile: a partner's higher epoch
 * can be a write that landed late (a target fenced at its LM commit whose hung write
 * completed afterwards, while this SU had continued the guest, docs/decisions.md). Its
 * ownership entry is put back into own marked CONFLICT (the guest runs on but never starts
 * again until an operator resolves it), with VMS2346 and a WARNING the first time. */
static void keep_running(const struct su_model *live, struct crd_owner_region *own,
			 struct plan_ctx *x)
{
	for (unsigned i = 0; i < live->nvms; i++) {
		const struct su_vm *vm = &live->vms[i];
		const struct crd_vmdef *d = crd_owner_find(&live->own, &vm->vm_uuid);
		if (!d || !su_vm_state_initialized(vm->state) || vm->state == SU_VM_SETUP_MIGR ||
		    crd_owner_find(own, &vm->vm_uuid))
			continue;
		struct crd_vmdef keep = *d;
		keep.flags |= CRD_VMDEF_CONFLICT; /* it runs on, but never starts again */
		if (crd_owner_add(own, &keep) < 0 || (d->flags & CRD_VMDEF_CONFLICT))
			continue; /* said already */
		plan_line(x, "%% VMS2346 VM DEFINITION '%s' IS NOT UNIQUE IN THE SU CLUSTER", vm->name);
		struct su_model *next = plan_next(x);
		if (next)
			su_model_emit(next, vm, CRD_WEIGHT_WARNING, "VM definition superseded on "
				      "the partner SU while its guest runs here: kept (resolve by "
				      "hand: /DELETE-VM here or there)");
	}
}

struct su_plan *su_plan_reconcile(const struct su_model *live, const struct crd_owner_region *partner)
{
	struct plan_ctx x;
	struct su_plan *p = plan_begin(&x, live, &lm_cmd, 0);
	struct crd_owner_region *own = p ? malloc(sizeof(*own)) : NULL;
	struct crd_reconcile_report *rep = own ? malloc(sizeof(*rep)) : NULL;

	if (!rep) {
		free(own);
		return su_plan_free(p);
	}
	if (crd_owner_reconcile(&live->own, partner, own, rep) == 0) {
		keep_running(live, own, &x);
		if (memcmp(own, &live->own, sizeof(*own))) {
			struct su_model *next = plan_next(&x);
			if (next) {
				next->own = *own;
				su_model_sync_owner(next); /* superseded copies go, CONFLICT */
				plan_effect(&x, SU_EFF_REGION_WRITE, NULL, NULL);
			}
		}
	}
	free(own);
	free(rep);
	return plan_end(&x);
}
