/* owner.c — VM definition ownership decisions (crd.md §6). Pure logic; the JSON payload
 * is in owner_json.c. */
#include "crd/owner.h"

#include <errno.h>
#include <string.h>

static bool uuid_eq(const crd_uuid *a, const crd_uuid *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static bool uuid_null(const crd_uuid *u)
{
	static const crd_uuid zero;
	return uuid_eq(u, &zero);
}

void crd_owner_init(struct crd_owner_region *r, uint32_t unit)
{
	memset(r, 0, sizeof(*r));
	r->unit = unit;
}

const struct crd_vmdef *crd_owner_find(const struct crd_owner_region *r, const crd_uuid *u)
{
	for (uint32_t i = 0; i < r->ndefs; i++)
		if (uuid_eq(&r->defs[i].vm_uuid, u))
			return &r->defs[i];
	return NULL;
}

const struct crd_vmdef *crd_owner_find_name(const struct crd_owner_region *r, const char *name)
{
	for (uint32_t i = 0; i < r->ndefs; i++)
		if (strcmp(r->defs[i].name, name) == 0)
			return &r->defs[i];
	return NULL;
}

const struct crd_tombstone *crd_owner_find_tomb(const struct crd_owner_region *r,
						const crd_uuid *u)
{
	for (uint32_t i = 0; i < r->ntombs; i++)
		if (uuid_eq(&r->tombs[i].vm_uuid, u))
			return &r->tombs[i];
	return NULL;
}

const struct crd_former *crd_owner_find_former(const struct crd_owner_region *r,
					       const crd_uuid *u)
{
	for (uint32_t i = 0; i < r->nformers; i++)
		if (uuid_eq(&r->formers[i].vm_uuid, u))
			return &r->formers[i];
	return NULL;
}

const struct crd_lm_rec *crd_owner_find_lm(const struct crd_owner_region *r,
					   enum crd_lm_kind kind, uint64_t lm_id)
{
	for (uint32_t i = 0; i < r->nlm; i++)
		if (r->lm[i].kind == kind && r->lm[i].lm_id == lm_id)
			return &r->lm[i];
	return NULL;
}

int crd_owner_add(struct crd_owner_region *r, const struct crd_vmdef *d)
{
	size_t len = strnlen(d->name, sizeof(d->name));
	if (len == 0 || len > CRD_VM_NAME_MAX || uuid_null(&d->vm_uuid))
		return -EINVAL;
	if (crd_owner_find(r, &d->vm_uuid) || crd_owner_find_name(r, d->name))
		return -EEXIST;
	const struct crd_tombstone *t = crd_owner_find_tomb(r, &d->vm_uuid);
	if (t && t->epoch >= d->epoch)
		return -ESTALE;
	if (r->ndefs >= CRD_OWNER_DEFS_MAX)
		return -ENOSPC;
	r->defs[r->ndefs++] = *d;
	return 0;
}

static void def_remove_at(struct crd_owner_region *r, uint32_t i)
{
	r->defs[i] = r->defs[--r->ndefs];
	memset(&r->defs[r->ndefs], 0, sizeof(r->defs[0]));
}

static int def_index(const struct crd_owner_region *r, const crd_uuid *u)
{
	for (uint32_t i = 0; i < r->ndefs; i++)
		if (uuid_eq(&r->defs[i].vm_uuid, u))
			return (int)i;
	return -1;
}

int crd_owner_delete(struct crd_owner_region *r, const crd_uuid *u)
{
	int i = def_index(r, u);
	if (i < 0)
		return -ENOENT;
	const struct crd_vmdef *d = &r->defs[i];
	bool tomb = !(d->flags & CRD_VMDEF_CONFLICT) && (d->recovered_from || d->migrated_from);
	if (tomb) {
		int k = -1;
		for (uint32_t j = 0; j < r->ntombs; j++)
			if (uuid_eq(&r->tombs[j].vm_uuid, u))
				k = (int)j;
		if (k < 0) {
			if (r->ntombs >= CRD_OWNER_TOMBS_MAX)
				return -ENOSPC;
			k = (int)r->ntombs++;
		}
		r->tombs[k] = (struct crd_tombstone){
			.vm_uuid = *u, .epoch = d->epoch, .recovered_from = d->recovered_from};
	}
	def_remove_at(r, (uint32_t)i);
	return tomb ? 1 : 0;
}

int crd_owner_lm_add(struct crd_owner_region *r, enum crd_lm_kind kind, uint64_t lm_id,
		     const crd_uuid *vm_uuid, uint32_t peer)
{
	if (crd_owner_find_lm(r, kind, lm_id))
		return -EEXIST;
	if (r->nlm >= CRD_OWNER_LM_MAX)
		return -ENOSPC;
	r->lm[r->nlm++] = (struct crd_lm_rec){
		.kind = kind, .lm_id = lm_id, .vm_uuid = *vm_uuid, .peer = peer};
	return 0;
}

int crd_owner_lm_remove(struct crd_owner_region *r, enum crd_lm_kind kind, uint64_t lm_id)
{
	for (uint32_t i = 0; i < r->nlm; i++) {
		if (r->lm[i].kind == kind && r->lm[i].lm_id == lm_id) {
			r->lm[i] = r->lm[--r->nlm];
			memset(&r->lm[r->nlm], 0, sizeof(r->lm[0]));
			return 0;
		}
	}
	return -ENOENT;
}

/* ---- reconcile ---- */

static void report_add(struct crd_reconcile_report *rep, enum crd_reconcile_kind kind,
		       const struct crd_vmdef *d, const crd_uuid *u, const struct crd_vmdef *other,
		       uint64_t epoch)
{
	if (!rep || rep->n >= CRD_RECONCILE_ITEMS_MAX)
		return;
	struct crd_reconcile_item *it = &rep->items[rep->n++];
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->vm_uuid = d ? d->vm_uuid : *u;
	if (d)
		memcpy(it->name, d->name, sizeof(it->name));
	it->epoch = d ? d->epoch : epoch;
	if (other) {
		it->other_uuid = other->vm_uuid;
		it->other_epoch = other->epoch;
	}
	it->msgid = kind == CRD_RC_CONFLICT_NAME ? "VMS2346" : NULL;
}

static bool names_unit(const struct crd_vmdef *d, uint32_t unit)
{
	return unit != 0 && (d->migrated_from == unit || d->recovered_from == unit);
}

static int former_note(struct crd_owner_region *r, const crd_uuid *u, uint64_t epoch)
{
	for (uint32_t i = 0; i < r->nformers; i++) {
		if (uuid_eq(&r->formers[i].vm_uuid, u)) {
			if (epoch > r->formers[i].epoch)
				r->formers[i].epoch = epoch;
			return 0;
		}
	}
	if (r->nformers >= CRD_OWNER_FORMERS_MAX)
		return -ENOSPC;
	r->formers[r->nformers++] = (struct crd_former){.vm_uuid = *u, .epoch = epoch};
	return 0;
}

int crd_owner_reconcile(const struct crd_owner_region *own,
			const struct crd_owner_region *partner, struct crd_owner_region *ret,
			struct crd_reconcile_report *report)
{
	int rc = 0;
	const uint32_t me = own->unit;

	memcpy(ret, own, sizeof(*ret));
	if (report)
		report->n = 0;
	ret->ndefs = 0;
	for (uint32_t i = 0; i < own->ndefs; i++) {
		struct crd_vmdef d = own->defs[i];
		const struct crd_vmdef *p = crd_owner_find(partner, &d.vm_uuid);
		enum crd_reconcile_kind drop = 0;
		if (p) {
			if (p->epoch > d.epoch && names_unit(p, me)) {
				drop = CRD_RC_DROPPED_SUPERSEDED;
			} else if (d.epoch > p->epoch && names_unit(&d, partner->unit)) {
				if (d.flags & CRD_VMDEF_CONFLICT)
					report_add(report, CRD_RC_CONFLICT_CLEARED, &d, NULL, p, 0);
				d.flags &= ~CRD_VMDEF_CONFLICT;
			} else {
				d.flags |= CRD_VMDEF_CONFLICT;
				report_add(report, CRD_RC_CONFLICT_EPOCH, &d, NULL, p, 0);
			}
		} else {
			const struct crd_tombstone *t = crd_owner_find_tomb(partner, &d.vm_uuid);
			if (t && t->epoch >= d.epoch) {
				drop = CRD_RC_DROPPED_TOMBSTONE;
			} else if (d.flags & CRD_VMDEF_CONFLICT) {
				d.flags &= ~CRD_VMDEF_CONFLICT;
				report_add(report, CRD_RC_CONFLICT_CLEARED, &d, NULL, NULL, 0);
			}
		}
		if (drop) { /* a tombstone drop is acknowledged below */
			report_add(report, drop, &d, NULL, p, 0);
			continue;
		}
		ret->defs[ret->ndefs++] = d;
	}
	for (uint32_t i = 0; i < ret->ndefs; i++) {
		const struct crd_vmdef *q = crd_owner_find_name(partner, ret->defs[i].name);
		if (q && !uuid_eq(&q->vm_uuid, &ret->defs[i].vm_uuid))
			report_add(report, CRD_RC_CONFLICT_NAME, &ret->defs[i], NULL, q, 0);
	}
	/* acknowledge the partner's tombstones of vm_uuids we do not hold */
	for (uint32_t i = 0; i < partner->ntombs; i++) {
		const struct crd_tombstone *t = &partner->tombs[i];
		if (!crd_owner_find(ret, &t->vm_uuid) && former_note(ret, &t->vm_uuid, t->epoch) < 0)
			rc = -ENOSPC;
	}
	for (uint32_t i = 0; i < ret->ntombs;) {
		const struct crd_tombstone *t = &ret->tombs[i];
		if (crd_owner_find_former(partner, &t->vm_uuid) && !crd_owner_find(partner, &t->vm_uuid)) {
			report_add(report, CRD_RC_TOMBSTONE_REMOVED, NULL, &t->vm_uuid, NULL, t->epoch);
			ret->tombs[i] = ret->tombs[--ret->ntombs];
			memset(&ret->tombs[ret->ntombs], 0, sizeof(ret->tombs[0]));
			continue;
		}
		i++;
	}
	for (uint32_t i = 0; i < ret->nformers;) {
		const struct crd_former *f = &ret->formers[i];
		if (!crd_owner_find_tomb(partner, &f->vm_uuid)) {
			report_add(report, CRD_RC_FORMER_REMOVED, NULL, &f->vm_uuid, NULL, f->epoch);
			ret->formers[i] = ret->formers[--ret->nformers];
			memset(&ret->formers[ret->nformers], 0, sizeof(ret->formers[0]));
			continue;
		}
		i++;
	}
	for (uint32_t i = 0; i < ret->nlm;) {
		const struct crd_lm_rec *l = &ret->lm[i];
		if (l->kind == CRD_LM_ABORT && !crd_owner_find_lm(partner, CRD_LM_OUTGOING, l->lm_id)) {
			report_add(report, CRD_RC_ABORT_REMOVED, NULL, &l->vm_uuid, NULL, 0);
			ret->lm[i] = ret->lm[--ret->nlm];
			memset(&ret->lm[ret->nlm], 0, sizeof(ret->lm[0]));
			continue;
		}
		i++;
	}
	return rc;
}

const char *crd_reconcile_kind_to_string(enum crd_reconcile_kind k)
{
	static const char *const names[CRD_RC_KIND_MAX] = {
		[CRD_RC_DROPPED_SUPERSEDED] = "dropped: superseded by the partner",
		[CRD_RC_DROPPED_TOMBSTONE] = "dropped: deleted on the partner",
		[CRD_RC_CONFLICT_EPOCH] = "conflict: same vm_uuid on both SUs",
		[CRD_RC_CONFLICT_NAME] = "conflict: same name, different vm_uuid (VMS2346)",
		[CRD_RC_CONFLICT_CLEARED] = "conflict cleared",
		[CRD_RC_TOMBSTONE_REMOVED] = "tombstone removed",
		[CRD_RC_FORMER_REMOVED] = "former-owner record removed",
		[CRD_RC_ABORT_REMOVED] = "LM abort record removed",
	};
	return (unsigned)k < CRD_RC_KIND_MAX && names[k] ? names[k] : "?";
}

/* ---- RECOVER ---- */

static int recover_fail(const char **ret_msgid, const char *msgid, struct sec_err *reterr,
			int code, const char *fmt, const char *name, uint32_t a, uint32_t b)
{
	if (ret_msgid)
		*ret_msgid = msgid;
	return sec_errf(reterr, code, fmt, name, a, b);
}

int crd_owner_recover_check(const struct crd_recover_req *req, struct crd_vmdef *ret_def,
			    const char **ret_msgid, struct sec_err *reterr)
{
	const struct crd_owner_region *s = req->source, *t = req->target;
	const char *name = req->name ? req->name : "";
	const struct crd_vmdef *d = crd_owner_find_name(s, name);

	if (ret_msgid)
		*ret_msgid = NULL;
	if (!d)
		return recover_fail(ret_msgid, "VMS2300", reterr, -ENOENT,
				    "recover of VM '%s': no definition on unit %u (target %u)",
				    name, s->unit, t->unit);
	switch (req->source_verdict.verdict) {
	case CRD_ALIVE_DEAD:
		break;
	case CRD_ALIVE_ALIVE:
		return recover_fail(ret_msgid, "VMS2344", reterr, -EBUSY,
				    "recover of VM '%s': remote SU %u is running (target %u)", name,
				    s->unit, t->unit);
	default:
		if (req->operator_confirmed)
			break;
		if (req->source_verdict.reason == CRD_ALIVE_R_FENCING_NONE)
			return recover_fail(ret_msgid, NULL, reterr, -EAGAIN,
					    "recover of VM '%s': unit %u runs with fencing 'none'; "
					    "the operator must confirm that it is down (target %u)",
					    name, s->unit, t->unit);
		return recover_fail(ret_msgid, NULL, reterr, -EAGAIN,
				    "recover of VM '%s': remote SU state cannot be determined; the "
				    "operator must confirm that unit %u is down (target %u)",
				    name, s->unit, t->unit);
	}
	if (d->flags & CRD_VMDEF_CONFLICT)
		return recover_fail(ret_msgid, NULL, reterr, -EBUSY,
				    "recover of VM '%s': the definition on unit %u is in conflict "
				    "(target %u)", name, s->unit, t->unit);
	const struct crd_tombstone *tomb = crd_owner_find_tomb(t, &d->vm_uuid);
	if (tomb && tomb->epoch >= d->epoch)
		return recover_fail(ret_msgid, "VMS2300", reterr, -ENOENT,
				    "recover of VM '%s': the definition of unit %u was deleted on "
				    "unit %u", name, s->unit, t->unit);
	if (crd_owner_find(t, &d->vm_uuid))
		return recover_fail(ret_msgid, "VMS2346", reterr, -EEXIST,
				    "recover of VM '%s': the definition of unit %u is already on "
				    "unit %u", name, s->unit, t->unit);
	if (crd_owner_find_name(t, name))
		return recover_fail(ret_msgid, "VMS4013", reterr, -EEXIST,
				    "recover of VM '%s' from unit %u: the name is in use on unit %u",
				    name, s->unit, t->unit);
	if (t->ndefs >= req->target_limit || t->ndefs >= CRD_OWNER_DEFS_MAX)
		return recover_fail(ret_msgid, "VMS2311", reterr, -ENOSPC,
				    "recover of VM '%s' from unit %u: unit %u has reached its "
				    "maximum number of VM definitions", name, s->unit, t->unit);
	*ret_def = *d;
	ret_def->epoch = d->epoch + 1;
	ret_def->owner = t->unit;
	ret_def->recovered_from = s->unit;
	ret_def->migrated_from = 0;
	ret_def->lm_id = 0;
	ret_def->flags = CRD_VMDEF_DEFINED_ONLY;
	return 0;
}

/* ---- LM ---- */

int crd_lm_commit(struct crd_owner_region *target, const struct crd_vmdef *src, uint64_t lm_id)
{
	struct crd_vmdef d = *src;
	d.epoch = src->epoch + 1;
	d.owner = target->unit;
	d.migrated_from = src->owner;
	d.lm_id = lm_id;
	d.flags &= ~(uint32_t)(CRD_VMDEF_CONFLICT | CRD_VMDEF_FENCED);
	int r = crd_owner_add(target, &d);
	if (r < 0)
		return r;
	(void)crd_owner_lm_remove(target, CRD_LM_INCOMING, lm_id);
	return 0;
}

int crd_lm_target_abort(struct crd_owner_region *target, uint64_t lm_id, const crd_uuid *vm_uuid,
			uint32_t source)
{
	if (!crd_owner_find_lm(target, CRD_LM_ABORT, lm_id)) {
		int r = crd_owner_lm_add(target, CRD_LM_ABORT, lm_id, vm_uuid, source);
		if (r < 0)
			return r;
	}
	int i = def_index(target, vm_uuid);
	if (i >= 0 && target->defs[i].lm_id == lm_id)
		def_remove_at(target, (uint32_t)i);
	(void)crd_owner_lm_remove(target, CRD_LM_INCOMING, lm_id);
	return 0;
}

int crd_lm_target_restart(struct crd_owner_region *target)
{
	int n = 0;
	for (uint32_t i = 0; i < target->nlm;) {
		if (target->lm[i].kind != CRD_LM_INCOMING) {
			i++;
			continue;
		}
		struct crd_lm_rec l = target->lm[i];
		int r = crd_lm_target_abort(target, l.lm_id, &l.vm_uuid, l.peer);
		if (r < 0)
			return r;
		n++;
		i = 0; /* the array was reordered */
	}
	return n;
}

enum crd_lm_decision crd_lm_source_decide(const struct crd_lm_source_view *v)
{
	if (!v->target_read_ok || !v->target)
		return CRD_LM_OPERATOR;
	if (crd_owner_find_lm(v->target, CRD_LM_ABORT, v->lm_id))
		return CRD_LM_RESUME_SOURCE;
	const struct crd_vmdef *d = crd_owner_find(v->target, &v->vm_uuid);
	if (d && d->epoch > v->source_epoch)
		return CRD_LM_QUIT_SOURCE;
	const struct crd_tombstone *t = crd_owner_find_tomb(v->target, &v->vm_uuid);
	if (t && t->epoch > v->source_epoch)
		return CRD_LM_QUIT_SOURCE; /* committed, then deleted on the target */
	switch (v->target_verdict) {
	case CRD_ALIVE_DEAD:
		return CRD_LM_RESUME_SOURCE;
	case CRD_ALIVE_ALIVE:
		return CRD_LM_WAIT;
	default:
		return CRD_LM_OPERATOR;
	}
}

int crd_lm_source_finish(struct crd_owner_region *src, uint64_t lm_id)
{
	const struct crd_lm_rec *l = crd_owner_find_lm(src, CRD_LM_OUTGOING, lm_id);
	if (!l)
		return -ENOENT;
	int i = def_index(src, &l->vm_uuid);
	if (i >= 0)
		def_remove_at(src, (uint32_t)i);
	return crd_owner_lm_remove(src, CRD_LM_OUTGOING, lm_id);
}

int crd_lm_source_resume(struct crd_owner_region *src, uint64_t lm_id)
{
	return crd_owner_lm_remove(src, CRD_LM_OUTGOING, lm_id);
}

const char *crd_lm_decision_to_string(enum crd_lm_decision d)
{
	static const char *const names[CRD_LM_DECISION_MAX] = {
		[CRD_LM_WAIT] = "wait",
		[CRD_LM_RESUME_SOURCE] = "resume source",
		[CRD_LM_QUIT_SOURCE] = "quit source",
		[CRD_LM_OPERATOR] = "stay paused until the operator decides",
	};
	return (unsigned)d < CRD_LM_DECISION_MAX ? names[d] : "?";
}
