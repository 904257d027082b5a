/* cmd_check.c — checks shared by the commands: VM identification, devices, pools,
 * activation (cmd_priv.h). Each check reports its own messages. */
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lm.h"
#include "su/iocfg.h"

bool su_vmid_is_monitor(const struct su_vmid *id)
{
	return (id->kind == SU_VMID_INDEX && id->index == SU_MONITOR_INDEX) ||
	       (id->kind == SU_VMID_NAME && strcasecmp(id->name, SU_MONITOR_NAME) == 0) ||
	       id->kind == SU_VMID_NONE;
}

struct su_vm *su_vmid_find(const struct su_model *m, const struct su_vmid *id)
{
	if (id->kind == SU_VMID_INDEX)
		return su_model_vm_by_index(m, id->index);
	if (id->kind == SU_VMID_NAME)
		return su_model_vm_by_name(m, id->name);
	return NULL;
}

const char *su_vmid_str(const struct su_vmid *id, char out[VMSTR_MAX])
{
	if (id->kind == SU_VMID_INDEX)
		snprintf(out, VMSTR_MAX, "%u", id->index);
	else if (id->kind == SU_VMID_NAME)
		snprintf(out, VMSTR_MAX, "%s", id->name);
	else
		snprintf(out, VMSTR_MAX, "*CURRENT");
	return out;
}

const struct su_vm *cmd_resolve_initialized(struct plan_ctx *x)
{
	char b[VMSTR_MAX];

	if (su_vmid_is_monitor(&x->c->vm)) {
		plan_msg(x, "VMS4041", su_cmd_name(x->c->id));
		plan_reject(x, "VMS4041", 64);
		return NULL;
	}
	const struct su_vm *vm = su_vmid_find(x->live, &x->c->vm);
	if (!vm || !(su_vm_state_initialized(vm->state) || vm->state == SU_VM_FENCED)) {
		plan_msg(x, "VMS4000", su_vmid_str(&x->c->vm, b));
		plan_reject(x, "VMS4000", 64);
		return NULL;
	}
	if (vm->rt.migr || vm->state == SU_VM_SETUP_MIGR) {
		plan_msg(x, "VMS3042", su_cmd_name(x->c->id), su_vmstr(vm, b));
		plan_reject(x, "VMS3042", 64);
		return NULL;
	}
	return vm;
}

static bool devreq_has(const struct devreq *r, const char *mn)
{
	for (unsigned i = 0; i < r->n; i++)
		if (strcasecmp(r->d[i].mn, mn) == 0)
			return true;
	return false;
}

static void devreq_add(struct devreq *r, const char *mn, enum su_usage u)
{
	if (devreq_has(r, mn) || r->n >= sizeof(r->d) / sizeof(r->d[0]))
		return;
	snprintf(r->d[r->n].mn, sizeof(r->d[r->n].mn), "%s", mn);
	r->d[r->n].usage = u;
	r->n++;
}

/* An MN pattern: '*' any string, '/' one character (SDF with-wild). */
static bool pattern_match(const char *pattern, const char *mn)
{
	char p[sizeof(((struct su_units_item *)0)->pattern)];

	snprintf(p, sizeof(p), "%s", pattern);
	for (char *s = p; *s; s++)
		if (*s == '/')
			*s = '?';
	return fnmatch(p, mn, FNM_CASEFOLD) == 0;
}

static int check_range(struct plan_ctx *x, const struct su_units_item *it)
{
	if (!su_mn_range_valid(it->from, it->to)) {
		plan_msg(x, "VMS4010", it->from, it->to);
		return -1;
	}
	return 0;
}

int cmd_expand_units_io(struct plan_ctx *x, enum su_usage usage, struct devreq *out)
{
	const struct su_iocfg *io = &x->live->res.io;
	int bad = 0;

	out->n = 0;
	for (unsigned i = 0; i < x->c->n_units; i++) {
		const struct su_units_item *it = &x->c->units[i];
		enum su_usage u = it->usage ? it->usage : usage;
		if (it->pattern[0]) {
			unsigned found = 0;
			for (unsigned k = 0; k < io->n; k++)
				if (pattern_match(it->pattern, io->dev[k].mn)) {
					devreq_add(out, io->dev[k].mn, u);
					found++;
				}
			if (!found) {
				plan_msg(x, "VMS4001", it->pattern, x->live->res.host_name);
				bad = -1;
			}
			continue;
		}
		if (!it->to[0]) {
			if (!su_model_iodev(x->live, it->from)) {
				plan_msg(x, "VMS4001", it->from, x->live->res.host_name);
				bad = -1;
				continue;
			}
			devreq_add(out, su_model_iodev(x->live, it->from)->mn, u);
			continue;
		}
		if (check_range(x, it) < 0) {
			bad = -1;
			continue;
		}
		unsigned found = 0;
		for (unsigned k = 0; k < io->n; k++)
			if (su_mn_in_range(it->from, it->to, io->dev[k].mn)) {
				devreq_add(out, io->dev[k].mn, u);
				found++;
			}
		if (!found) {
			plan_msg(x, "VMS4008", it->from, it->to);
			bad = -1;
		}
	}
	return bad;
}

int cmd_expand_units_vm(struct plan_ctx *x, const struct su_vm *vm, struct devreq *out)
{
	char b[VMSTR_MAX];
	int bad = 0;

	out->n = 0;
	if (x->c->units_all) {
		for (unsigned k = 0; k < vm->ndevs; k++)
			devreq_add(out, vm->devs[k].mn, vm->devs[k].usage);
		return 0;
	}
	for (unsigned i = 0; i < x->c->n_units; i++) {
		const struct su_units_item *it = &x->c->units[i];
		unsigned found = 0;
		if (it->to[0] && check_range(x, it) < 0) {
			bad = -1;
			continue;
		}
		for (unsigned k = 0; k < vm->ndevs; k++) {
			bool hit = it->pattern[0] ? pattern_match(it->pattern, vm->devs[k].mn)
				   : it->to[0]	  ? su_mn_in_range(it->from, it->to, vm->devs[k].mn)
						  : strcasecmp(it->from, vm->devs[k].mn) == 0;
			if (hit) {
				devreq_add(out, vm->devs[k].mn, vm->devs[k].usage);
				found++;
			}
		}
		if (!found && !it->to[0]) {
			plan_msg(x, "VMS4007", it->pattern[0] ? it->pattern : it->from,
				 su_vmstr(vm, b));
			bad = -1;
		} else if (!found) {
			plan_msg(x, "VMS4008", it->from, it->to);
			bad = -1;
		}
	}
	return bad;
}

int cmd_check_dev_conflicts(struct plan_ctx *x, const struct su_model *m, const struct su_vm *vm,
			    const struct su_vmdev *devs, unsigned n)
{
	char b[VMSTR_MAX];
	int bad = 0;

	for (unsigned i = 0; i < n; i++) {
		if (!su_model_iodev(m, devs[i].mn)) {
			plan_msg(x, "VMS4001", devs[i].mn, m->res.host_name);
			bad = -1;
			continue;
		}
		for (unsigned k = 0; k < m->nvms; k++) {
			const struct su_vm *o = &m->vms[k];
			if (crd_uuid_eq(&o->vm_uuid, &vm->vm_uuid) ||
			    !su_vm_state_initialized(o->state))
				continue;
			for (unsigned j = 0; j < o->ndevs; j++) {
				if (strcasecmp(o->devs[j].mn, devs[i].mn) != 0)
					continue;
				const char *id = NULL;
				if (o->devs[j].usage == SU_USAGE_EXCLUSIVE)
					id = "VMS4003";
				else if (devs[i].usage == SU_USAGE_EXCLUSIVE)
					id = "VMS4004";
				if (!id)
					continue;
				plan_msg(x, id, devs[i].mn, su_vmstr(o, b));
				bad = -1;
			}
		}
	}
	return bad;
}

int cmd_check_pool(struct plan_ctx *x, const char *pool, const char *group, unsigned cpus,
		   const char *vmstr)
{
	const struct su_res *r = &x->live->res;
	const struct su_pool *pl = NULL;

	if (group[0] && strcasecmp(group, "*NONE") != 0) {
		if (r->type == SU_TYPE_X86)
			return cmd_reject_x86(x);
		bool found = false;
		for (unsigned i = 0; i < r->ngroups; i++)
			found |= strcasecmp(r->groups[i].name, group) == 0;
		if (!found) {
			plan_msg(x, "VMS4621", group);
			return plan_reject(x, "VMS4621", 64);
		}
	}
	for (unsigned i = 0; i < r->npools; i++)
		if (strcasecmp(r->pools[i].name, pool[0] ? pool : SU_STDPOOL) == 0)
			pl = &r->pools[i];
	if (!pl) {
		plan_msg(x, "VMS4620", pool);
		return plan_reject(x, "VMS4620", 64);
	}
	if (cpus > pl->cpus) {
		plan_msg(x, "VMS4622", cpus, vmstr, pl->name, pl->cpus);
		return plan_reject(x, "VMS4622", 64);
	}
	return 0;
}

int cmd_check_activation(struct plan_ctx *x, const struct su_vm *vm)
{
	const struct su_model *m = x->live;
	char b[VMSTR_MAX];

	su_vmstr(vm, b);
	if (su_model_nvms_initialized(m) >= m->res.max_vms) {
		plan_msg(x, "VMS4016", m->res.max_vms);
		return plan_reject(x, "VMS4016", 64);
	}
	if (vm->memory_mib > su_model_mem_free(m)) {
		plan_msg(x, "VMS4504", b, (unsigned long long)vm->memory_mib,
			 (unsigned long long)su_model_mem_free(m));
		return plan_reject(x, "VMS4504", 128);
	}
	if (cmd_check_dev_conflicts(x, m, vm, vm->devs, vm->ndevs) < 0)
		return plan_reject_first(x, 64);
	return 0;
}

int cmd_activate(struct plan_ctx *x, struct su_vm *nvm, const char *why)
{
	struct su_model *next = x->p->next;
	char b[VMSTR_MAX];

	if (su_vm_set_state(next, nvm, SU_VM_DEFINED_ONLY, SU_VM_INIT_ONLY, why) < 0) {
		plan_msg(x, "CMD0221", "state change refused");
		return plan_reject(x, "CMD0221", 32);
	}
	memset(&nvm->rt, 0, sizeof(nvm->rt));
	su_lm_ipl_set(nvm, x->live->res.host_name, x->now_ms); /* a new system on this SU */
	nvm->rt.started_ms = x->now_ms;
	snprintf(nvm->rt.qemu_ipl, sizeof(nvm->rt.qemu_ipl), "%s", nvm->ipl_unit);
	if (x->c->monjv[0]) {
		snprintf(nvm->rt.monjv, sizeof(nvm->rt.monjv), "%s", x->c->monjv);
		nvm->rt.monjv_ms = x->now_ms;
	}
	plan_effect(x, SU_EFF_QEMU_START, nvm, nvm->ipl_unit);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	su_vmstr(nvm, b);
	plan_commit_msg(x, "VMS3050", b);
	for (unsigned i = 0; i < nvm->ndevs; i++)
		plan_commit_msg(x, "VMS4005", nvm->devs[i].mn, b,
				nvm->devs[i].usage == SU_USAGE_SHARED ? " (TYPE=SD)" : "");
	return 0;
}
