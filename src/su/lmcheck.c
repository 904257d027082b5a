/* lmcheck.c — the Live Migration precondition check (lmcheck.h; vm2000.md §5 "Checks",
 * seed 4.1, 4.7, 4.8): every conflict as a row and as console lines, no I/O. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lmcheck.h"
#include "su/msgcat.h"

const char *su_lm_sev_to_string(enum su_lm_sev s)
{
	return s == SU_LM_CONFLICT ? "conflict" : s == SU_LM_WARNING ? "warning" : "?";
}

const char *su_opmode_to_string(enum su_opmode m)
{
	return m == SU_OPMODE_NATIVE ? "NATIVE" : "VM2000"; /* 0 = VM2000 */
}

static enum su_opmode mode_of(enum su_opmode m)
{
	return m == SU_OPMODE_NATIVE ? SU_OPMODE_NATIVE : SU_OPMODE_VM2000;
}

/* Adds a row; its console line is msgid's template with the arguments. */
static void row(struct su_lm_check *c, enum su_lm_sev sev, const char *resource, const char *name,
		const char *message, const char *msgid, ...)
{
	va_list ap;

	if (c->n_rows >= SU_LM_ROWS_MAX) {
		c->truncated = true;
		if (sev == SU_LM_CONFLICT)
			c->n_conflicts++;
		return;
	}
	struct su_lm_row *r = &c->rows[c->n_rows++];
	memset(r, 0, sizeof(*r));
	r->sev = sev;
	snprintf(r->resource, sizeof(r->resource), "%s", resource);
	snprintf(r->name, sizeof(r->name), "%s", name);
	snprintf(r->message, sizeof(r->message), "%s", message);
	snprintf(r->msgid, sizeof(r->msgid), "%s", msgid);
	va_start(ap, msgid);
	su_msg_vformat(r->msg, sizeof(r->msg), msgid, ap);
	va_end(ap);
	if (sev == SU_LM_CONFLICT)
		c->n_conflicts++;
}

static void line(struct su_lm_check *c, const char *msgid, ...)
{
	va_list ap;

	if (c->n_msgs >= SU_LM_MSGS_MAX) {
		c->truncated = true;
		return;
	}
	va_start(ap, msgid);
	su_msg_vformat(c->msgs[c->n_msgs++], SU_MSG_MAX, msgid, ap);
	va_end(ap);
}

static void copy_line(struct su_lm_check *c, const char *s)
{
	if (c->n_msgs >= SU_LM_MSGS_MAX) {
		c->truncated = true;
		return;
	}
	size_t n = strnlen(s, SU_MSG_MAX - 1);

	memmove(c->msgs[c->n_msgs], s, n); /* s may be a row's text inside c */
	c->msgs[c->n_msgs++][n] = 0;
}

static void set_rc(struct su_lm_check *c, const char *mc, unsigned sc1, unsigned sc2)
{
	snprintf(c->rc.maincode, sizeof(c->rc.maincode), "%s", mc);
	c->rc.subcode1 = sc1;
	c->rc.subcode2 = sc2;
}

/* The SU names shown to people: the host name (VM2000 commands; = name on x86). */
static const char *su_shown(const struct su_model *m)
{
	return m->res.host_name[0] ? m->res.host_name : m->res.name;
}

static bool su_named(const struct su_model *m, const char *name)
{
	return strcasecmp(m->res.name, name) == 0 || strcasecmp(m->res.host_name, name) == 0;
}

static const struct su_pool *pool_of(const struct su_model *m, const char *name)
{
	const char *n = name[0] ? name : SU_STDPOOL;

	for (unsigned i = 0; i < m->res.npools; i++)
		if (strcasecmp(m->res.pools[i].name, n) == 0)
			return &m->res.pools[i];
	return NULL;
}

static bool group_exists(const struct su_model *m, const char *name)
{
	for (unsigned i = 0; i < m->res.ngroups; i++)
		if (strcasecmp(m->res.groups[i].name, name) == 0)
			return true;
	return false;
}

/* ---- the parts of the check ---- */

/* SU Cluster, types and modes: shared with /MIGRATE-VM-DEFINITION (lmdef.c). */
void su_lm_check_cluster(const struct su_model *src, const struct su_model *tgt,
			 const struct su_lm_ctx *ctx, struct su_lm_check *c)
{
	char what[SU_LM_TEXT_MAX];

	if (!ctx->cluster[0]) {
		snprintf(what, sizeof(what), "SU '%s' is in no SU Cluster", su_shown(src));
		row(c, SU_LM_CONFLICT, "SU Cluster", "-", what, "VMS2347", su_shown(src));
	} else {
		if (!ctx->same_cluster) {
			snprintf(what, sizeof(what), "target SU '%s' is not in SU Cluster '%s'",
				 su_shown(tgt), ctx->cluster);
			row(c, SU_LM_CONFLICT, "SU Cluster", ctx->cluster, what, "VMS2343",
			    su_shown(tgt), su_shown(src));
		}
		if (!ctx->cluster_active)
			row(c, SU_LM_CONFLICT, "SU Cluster", ctx->cluster, "INACTIVE", "VMS2402",
			    ctx->cluster);
	}
	enum su_opmode sm = mode_of(ctx->src_mode), tm = mode_of(ctx->tgt_mode);
	const char *st = su_type_to_string(src->res.type), *tt = su_type_to_string(tgt->res.type);
	if (src->res.type != tgt->res.type) {
		snprintf(what, sizeof(what), "SU %s on the source, SU %s on the target", st, tt);
		row(c, SU_LM_CONFLICT, "SU type", su_shown(tgt), what, "VMS2410", su_shown(src), st,
		    su_opmode_to_string(sm), su_shown(tgt), tt, su_opmode_to_string(tm));
	}
	if (sm != tm || (sm == SU_OPMODE_NATIVE && src->res.type != SU_TYPE_X86)) {
		if (sm != tm)
			snprintf(what, sizeof(what), "%s on the source, %s on the target",
				 su_opmode_to_string(sm), su_opmode_to_string(tm));
		else
			snprintf(what, sizeof(what), "Native BS2000 moves only between SUs x86");
		row(c, SU_LM_CONFLICT, "Operation mode", su_shown(tgt), what, "VMS2410",
		    su_shown(src), st, su_opmode_to_string(sm), su_shown(tgt), tt,
		    su_opmode_to_string(tm));
	}
}

/* VM name, VM index and the definitions limit on the target (shared with lmdef.c). */
void su_lm_check_target_def(const struct su_model *tgt, const struct su_vm *vm,
			    struct su_lm_check *c)
{
	char name[SU_NAME_MAX + 1], what[SU_LM_TEXT_MAX];

	if (su_model_vm_by_name(tgt, vm->name))
		row(c, SU_LM_CONFLICT, "VM name", vm->name, "already in use", "VMS4013", vm->name);
	/* a fixed VM index must be free on the target; for one chosen by *ANY any free
	 * index will do (seed 4.1): its own when free, else the target's lowest */
	snprintf(name, sizeof(name), "%u", vm->index);
	c->target_index = vm->index;
	if (su_model_vm_by_index(tgt, vm->index)) {
		unsigned idx = vm->index_any ? su_model_free_index(tgt) : 0;
		if (idx)
			c->target_index = idx;
		else if (vm->index_any)
			row(c, SU_LM_CONFLICT, "VM index", "*ANY", "no free index on the target",
			    "VMS4012");
		else
			row(c, SU_LM_CONFLICT, "VM index", name, "already in use", "VMS4011",
			    vm->index);
	}
	if (tgt->nvms >= tgt->res.max_defs) {
		snprintf(name, sizeof(name), "%u", tgt->res.max_defs);
		snprintf(what, sizeof(what), "maximum reached on the target (%u)", tgt->nvms);
		row(c, SU_LM_CONFLICT, "VM definitions", name, what, "VMS2311", tgt->res.max_defs);
	}
	const struct su_pool *pool = pool_of(tgt, vm->pool);
	const char *pname = vm->pool[0] ? vm->pool : SU_STDPOOL;
	if (!pool)
		row(c, SU_LM_CONFLICT, "CPU pool", pname, "does not exist on the target", "VMS4620",
		    pname);
	else if (pool->cpus == 0)
		row(c, SU_LM_CONFLICT, "CPU pool", pname, "has no CPU on the target", "VMS2437",
		    pname, su_shown(tgt));
	if (vm->group[0] && !group_exists(tgt, vm->group))
		row(c, SU_LM_CONFLICT, "VM group", vm->group, "does not exist on the target",
		    "VMS4621", vm->group);
}

static bool same_generation(const struct su_iodev *a, const struct su_iodev *b, char *why,
			    size_t cap)
{
	if (strcasecmp(a->type, b->type))
		snprintf(why, cap, "device type %s here, %s on the target", a->type, b->type);
	else if (a->cls != b->cls)
		snprintf(why, cap, "class %s here, %s on the target",
			 su_dev_class_to_string(a->cls), su_dev_class_to_string(b->cls));
	else if (strcasecmp(a->connector, b->connector))
		snprintf(why, cap, "host connector %s here, %s on the target", a->connector,
			 b->connector);
	else if (strcasecmp(a->unit_id, b->unit_id))
		snprintf(why, cap, "unit id %s here, %s on the target", a->unit_id, b->unit_id);
	else if (a->cls == SU_DEV_DISK && strcmp(a->backing, b->backing))
		/* a shared disk must be the same image on both sides (vm2000.md §5) */
		snprintf(why, cap, "backing file %.60s here, %.60s on the target", a->backing,
			 b->backing);
	else
		return true;
	return false;
}

static const struct su_iodev *iodev_in(const struct su_iocfg *io, const char *mn)
{
	for (unsigned i = 0; io && i < io->n; i++)
		if (strcasecmp(io->dev[i].mn, mn) == 0)
			return &io->dev[i];
	return NULL;
}

/* src_io: the source's I/O configuration (NULL: generation not compared, no warnings). */
static void check_devices(const struct su_iocfg *src_io, const struct su_model *tgt,
			  const struct su_vm *vm, const char *vmstr, struct su_lm_check *c)
{
	char why[SU_LM_TEXT_MAX], what[SU_LM_TEXT_MAX], other[VMSTR_MAX];

	for (unsigned i = 0; i < vm->ndevs; i++) {
		const struct su_vmdev *d = &vm->devs[i];
		const struct su_iodev *here = iodev_in(src_io, d->mn);
		const struct su_iodev *there = su_model_iodev(tgt, d->mn);

		if (!there) {
			row(c, SU_LM_CONFLICT, "Device", d->mn, "not generated on the target",
			    "VMS4001", d->mn, su_shown(tgt));
			continue;
		}
		if (here && !same_generation(here, there, why, sizeof(why))) {
			snprintf(what, sizeof(what), "generated differently: %.130s", why);
			row(c, SU_LM_CONFLICT, "Device", d->mn, what, "VMS4034", d->mn,
			    su_shown(tgt), why);
		}
		for (unsigned k = 0; k < tgt->nvms; k++) {
			const struct su_vm *o = &tgt->vms[k];
			if (!su_vm_state_initialized(o->state) && o->state != SU_VM_FENCED)
				continue;
			for (unsigned j = 0; j < o->ndevs; j++) {
				if (strcasecmp(o->devs[j].mn, d->mn))
					continue;
				su_vmstr(o, other);
				if (o->devs[j].usage == SU_USAGE_EXCLUSIVE) {
					snprintf(what, sizeof(what),
						 "already assigned in exclusive mode to %s", other);
					row(c, SU_LM_CONFLICT, "Device", d->mn, what, "VMS4003",
					    d->mn, other);
				} else if (d->usage == SU_USAGE_EXCLUSIVE) {
					snprintf(what, sizeof(what),
						 "assigned in shared mode to %s", other);
					row(c, SU_LM_CONFLICT, "Device", d->mn, what, "VMS4004",
					    d->mn, other);
				}
			}
		}
	}
	/* removable media: warnings, after the conflicts */
	for (unsigned i = 0; i < vm->ndevs; i++) {
		const struct su_iodev *here = iodev_in(src_io, vm->devs[i].mn);
		if (here && (here->cls == SU_DEV_TAPE || here->cls == SU_DEV_LOCAL_DISK))
			row(c, SU_LM_WARNING, "Device", here->mn,
			    here->cls == SU_DEV_TAPE ? "tape will be detached"
						     : "local disk will be detached",
			    "VMS2471", here->mn, vmstr);
	}
}

static void check_target_run(const struct su_model *tgt, const struct su_vm *vm,
			     struct su_lm_check *c)
{
	char name[SU_NAME_MAX + 1], what[SU_LM_TEXT_MAX];

	if (su_model_nvms_initialized(tgt) >= tgt->res.max_vms) {
		snprintf(name, sizeof(name), "%u", tgt->res.max_vms);
		row(c, SU_LM_CONFLICT, "Virtual machines", name, "maximum reached on the target",
		    "VMS4016", tgt->res.max_vms);
	}
	uint64_t free_mib = su_model_mem_free(tgt);
	if (vm->memory_mib > free_mib) {
		char vmstr[VMSTR_MAX];
		snprintf(name, sizeof(name), "%llu MB", (unsigned long long)vm->memory_mib);
		snprintf(what, sizeof(what), "only %llu MB free", (unsigned long long)free_mib);
		row(c, SU_LM_CONFLICT, "Main memory", name, what, "VMS4504", su_vmstr(vm, vmstr),
		    (unsigned long long)vm->memory_mib, (unsigned long long)free_mib);
	}
}

/* The state part: RUNNING, INIT-ONLY, DOWN (not migrating). */
static void check_state(const struct su_vm *vm, const char *vmstr, struct su_lm_check *c)
{
	char st[24];

	if (vm->state == SU_VM_DEFINED_ONLY) {
		row(c, SU_LM_CONFLICT, "VM state", "NOT INITIALIZED", "use /MIGRATE-VM-DEFINITION",
		    "VMS2407", vmstr);
		return;
	}
	su_vm_state_show(vm, st);
	if (vm->rt.migr ||
	    (vm->state != SU_VM_RUNNING && vm->state != SU_VM_INIT_ONLY && vm->state != SU_VM_DOWN))
		row(c, SU_LM_CONFLICT, "VM state", st,
		    vm->rt.migr ? "a live migration of the VM runs"
				: "not RUNNING, INIT-ONLY or DOWN",
		    "VMS2405", vmstr, st);
}

/* A conflict of the source itself (its VM, its monitor, its other LM): not the target's
 * rejection, so no VMS2404 ("... REJECTED BY TARGET SU") before its own message. */
static bool source_side(const struct su_lm_row *r)
{
	return !strcmp(r->resource, "Monitor system") || !strcmp(r->resource, "VM state") ||
	       !strcmp(r->resource, "Live migration");
}

/* The console lines from the rows: VMS2404 + reason per conflict of the target (the
 * source's own conflicts: their message alone), the warnings, the verdict. */
static void finish(struct su_lm_check *c)
{
	for (unsigned i = 0; i < c->n_rows; i++) {
		if (c->rows[i].sev != SU_LM_CONFLICT)
			continue;
		if (!source_side(&c->rows[i]))
			line(c, "VMS2404", c->vm, c->target, c->rows[i].msgid);
		copy_line(c, c->rows[i].msg);
	}
	for (unsigned i = 0; i < c->n_rows; i++)
		if (c->rows[i].sev == SU_LM_WARNING)
			copy_line(c, c->rows[i].msg);
	c->possible = c->n_conflicts == 0;
	if (c->possible) {
		line(c, "VMS2460", c->vm, c->target);
		set_rc(c, "CMD0001", 0, 0);
	} else {
		line(c, "VMS2461", c->vm, c->target);
		set_rc(c, "VMS2461", 0, 2);
	}
}

/* Target detection shared with lmdef.c: 0 = tgt usable, else the rejection is in c. */
int su_lm_check_target(const struct su_model *src, const struct su_model *tgt,
		       const struct su_lm_ctx *ctx, struct su_lm_check *c)
{
	if (ctx->target[0] && su_named(src, ctx->target)) {
		line(c, "VMS2342", ctx->target);
		set_rc(c, "VMS2342", 64, 0);
		return -1;
	}
	if (!tgt && !ctx->target[0]) {
		line(c, "VMS2341", su_shown(src));
		set_rc(c, "VMS2341", 64, 0);
		return -1;
	}
	if (!tgt || (ctx->target[0] && !su_named(tgt, ctx->target))) {
		line(c, "VMS2400", ctx->target[0] ? ctx->target : tgt->res.name);
		set_rc(c, "VMS2400", 64, 0);
		return -1;
	}
	if (tgt == src || su_named(tgt, src->res.name)) {
		line(c, "VMS2342", su_shown(tgt));
		set_rc(c, "VMS2342", 64, 0);
		return -1;
	}
	snprintf(c->target, sizeof(c->target), "%s", su_shown(tgt));
	return 0;
}

int su_lm_check(const struct su_model *src, const struct su_model *tgt, const struct su_lm_ctx *ctx,
		const struct su_vmid *vmid, struct su_lm_check *c)
{
	char what[SU_LM_TEXT_MAX];

	if (!src || !ctx || !vmid || !c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	set_rc(c, "CMD0001", 0, 0);
	snprintf(c->source, sizeof(c->source), "%s", su_shown(src));
	snprintf(c->target, sizeof(c->target), "%s", ctx->target);

	/* the VM first: the monitor, an unknown VM */
	const struct su_vm *vm = NULL;
	if (vmid->kind == SU_VMID_NONE || su_vmid_is_monitor(vmid)) {
		snprintf(c->vm, sizeof(c->vm), "(%u,%s)", SU_MONITOR_INDEX, SU_MONITOR_NAME);
	} else {
		vm = su_vmid_find(src, vmid);
		if (!vm) {
			char id[VMSTR_MAX];
			line(c, "VMS4000", su_vmid_str(vmid, id));
			set_rc(c, "VMS4000", 64, 0);
			return 0;
		}
		su_vmstr(vm, c->vm);
	}
	if (su_lm_check_target(src, tgt, ctx, c) < 0)
		return 0;

	if (!vm)
		row(c, SU_LM_CONFLICT, "Monitor system", c->vm, "the monitor cannot be migrated",
		    "VMS2408");
	else
		check_state(vm, c->vm, c);
	if (ctx->outbound_lm)
		row(c, SU_LM_CONFLICT, "Live migration", c->source,
		    "another live migration from this SU is running", "VMS2401", c->source);
	su_lm_check_cluster(src, tgt, ctx, c);
	if (ctx->config_update)
		row(c, SU_LM_CONFLICT, "Configuration update", c->source, "running", "VMS2406",
		    c->source);
	if (ctx->shutdown)
		row(c, SU_LM_CONFLICT, "VM2000 shutdown", c->source, "initiated", "VMS2409",
		    c->source);
	if (mode_of(ctx->tgt_mode) == SU_OPMODE_NATIVE && tgt->nvms > 0) {
		snprintf(what, sizeof(what), "Native BS2000: %u BS2000 system(s) on the target",
			 tgt->nvms);
		row(c, SU_LM_CONFLICT, "Target SU", c->target, what, "VMS2411", c->target);
	}
	if (vm) {
		su_lm_check_target_def(tgt, vm, c);
		check_target_run(tgt, vm, c);
		check_devices(&src->res.io, tgt, vm, c->vm, c);
	}
	finish(c);
	return c->possible ? 1 : 0;
}

int su_lm_check_incoming(const struct su_model *tgt, const struct su_vm *vm,
			 const struct su_iocfg *src_io, const char *source, struct su_lm_check *c)
{
	if (!tgt || !vm || !source || !c)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	snprintf(c->source, sizeof(c->source), "%s", source);
	snprintf(c->target, sizeof(c->target), "%s", su_shown(tgt));
	su_vmstr(vm, c->vm);
	check_state(vm, c->vm, c);
	su_lm_check_target_def(tgt, vm, c);
	check_target_run(tgt, vm, c);
	check_devices(src_io, tgt, vm, c->vm, c);
	finish(c);
	return c->possible ? 1 : 0;
}

char *su_lm_check_json(const struct su_lm_check *c)
{
	json_t *rows = json_array(), *msgs = json_array(), *o = NULL;
	char *s = NULL;

	if (!rows || !msgs)
		goto out;
	for (unsigned i = 0; i < c->n_rows; i++) {
		const struct su_lm_row *r = &c->rows[i];
		if (json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}",
							  "severity", su_lm_sev_to_string(r->sev),
							  "resource", r->resource, "name", r->name,
							  "message", r->message, "msgid", r->msgid,
							  "text", r->msg)) < 0)
			goto out;
	}
	for (unsigned i = 0; i < c->n_msgs; i++)
		if (json_array_append_new(msgs, json_string(c->msgs[i])) < 0)
			goto out;
	o = json_pack("{s:s, s:s, s:s, s:b, s:O, s:O, s:{s:s, s:i, s:i}}", "vm", c->vm, "source",
		      c->source, "target", c->target, "possible", c->possible, "rows", rows,
		      "messages", msgs, "rc", "maincode", c->rc.maincode, "subcode1",
		      (int)c->rc.subcode1, "subcode2", (int)c->rc.subcode2);
	if (o)
		s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(rows);
	json_decref(msgs);
	return s;
}
