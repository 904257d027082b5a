/* cmd_def.c — /CREATE-VM, /CREATE-VM-DEFINITION, /MODIFY-VM-DEFINITION,
 * /ACTIVATE-VM-DEFINITION, /DELETE-VM-DEFINITION (vm2000-facts.md §1.2–§1.7). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"

static int vmname_of(struct plan_ctx *x, char out[SU_VM_NAME_MAX + 1])
{
	if (x->c->vm.kind != SU_VMID_NAME || !x->c->vm.name[0]) {
		plan_msg(x, "VMS9013", "VM-NAME must be a name of 1..8 characters");
		return plan_reject(x, "VMS9013", 64);
	}
	snprintf(out, SU_VM_NAME_MAX + 1, "%s", x->c->vm.name);
	for (char *s = out; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	return 0;
}

/* Devices of a CREATE-* command, expanded against the I/O configuration. */
static int add_devices(struct plan_ctx *x, struct su_vm *vm, enum su_usage usage)
{
	struct devreq r;
	char b[VMSTR_MAX];

	if (cmd_expand_units_io(x, usage, &r) < 0)
		return plan_reject_first(x, 64);
	for (unsigned i = 0; i < r.n; i++) {
		bool have = false;
		for (unsigned k = 0; k < vm->ndevs; k++)
			have |= strcasecmp(vm->devs[k].mn, r.d[i].mn) == 0;
		if (have)
			continue;
		if (vm->ndevs >= SU_VM_DEVS_MAX) {
			plan_msg(x, "VMS4017", su_vmstr(vm, b), SU_VM_DEVS_MAX);
			return plan_reject(x, "VMS4017", 64);
		}
		vm->devs[vm->ndevs++] = r.d[i];
	}
	return 0;
}

/* Builds a new definition from the operands; checks name, index, limits, pool. */
static int new_definition(struct plan_ctx *x, struct su_vm *vm)
{
	const struct su_cmd *c = x->c;
	const struct su_model *m = x->live;
	char b[VMSTR_MAX];

	memset(vm, 0, sizeof(*vm));
	if (vmname_of(x, vm->name) < 0)
		return -1;
	if (strcasecmp(vm->name, SU_MONITOR_NAME) == 0 || su_model_vm_by_name(m, vm->name)) {
		plan_msg(x, "VMS4013", vm->name);
		return plan_reject(x, "VMS4013", 64);
	}
	if (c->vm_index > 0) {
		if (c->vm_index < SU_INDEX_MIN || c->vm_index > SU_INDEX_MAX ||
		    su_model_vm_by_index(m, (unsigned)c->vm_index)) {
			plan_msg(x, "VMS4011", (unsigned)c->vm_index);
			return plan_reject(x, "VMS4011", 64);
		}
		vm->index = (unsigned)c->vm_index;
	} else {
		vm->index = su_model_free_index(m);
		vm->index_any = true;
		if (!vm->index) {
			plan_msg(x, "VMS4012");
			return plan_reject(x, "VMS4012", 64);
		}
	}
	if (m->nvms >= m->res.max_defs || m->nvms >= SU_VMS_CAP) {
		plan_msg(x, "VMS2311", m->res.max_defs);
		return plan_reject(x, "VMS2311", 64);
	}
	if (c->memory_mib == 0) {
		plan_msg(x, "VMS9013", "MEMORY-SIZE must be given");
		return plan_reject(x, "VMS9013", 64);
	}
	vm->memory_mib = c->memory_mib;
	vm->cpus = c->cpus ? c->cpus : 1;
	snprintf(vm->pool, sizeof(vm->pool), "%s", c->pool[0] ? c->pool : SU_STDPOOL);
	if (c->group[0] && strcasecmp(c->group, "*NONE") != 0)
		snprintf(vm->group, sizeof(vm->group), "%s", c->group);
	if (cmd_check_pool(x, vm->pool, vm->group, vm->cpus, su_vmstr(vm, b)) < 0)
		return -1;
	vm->state = SU_VM_DEFINED_ONLY;
	if (add_devices(x, vm, c->usage ? c->usage : SU_USAGE_EXCLUSIVE) < 0)
		return -1;
	return 0;
}

static struct su_vm *store(struct plan_ctx *x, const struct su_vm *vm)
{
	struct su_model *next = plan_next(x);
	struct sec_err err = {0};

	if (!next)
		return NULL;
	struct su_vm *n = su_model_add_vm(next, vm, &err);
	if (!n) {
		plan_msg(x, "CMD0221", err.msg);
		plan_reject(x, "CMD0221", 32);
		return NULL;
	}
	char ev[80], b[VMSTR_MAX];
	snprintf(ev, sizeof(ev), "VM definition %s created (%s)", su_vmstr(n, b),
		 su_cmd_name(x->c->id));
	su_model_emit(next, n, CRD_WEIGHT_NOTICE, ev);
	return n;
}

int cmd_create_def(struct plan_ctx *x)
{
	struct su_vm vm;
	char b[VMSTR_MAX];

	if (new_definition(x, &vm) < 0)
		return -1;
	vm.persistent = true;
	struct su_vm *n = store(x, &vm);
	if (!n)
		return -1;
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), su_vmstr(n, b));
	return 0;
}

int cmd_create_vm(struct plan_ctx *x)
{
	struct su_vm vm;
	char b[VMSTR_MAX];

	if (new_definition(x, &vm) < 0)
		return -1;
	vm.persistent = x->c->persistent == 1;
	if (cmd_check_activation(x, &vm) < 0)
		return -1;
	struct su_vm *n = store(x, &vm);
	if (!n)
		return -1;
	if (cmd_activate(x, n, "CREATE-VM") < 0)
		return -1;
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), su_vmstr(n, b));
	return 0;
}

/* The definition named by VM-NAME, not initialized. */
static const struct su_vm *find_def(struct plan_ctx *x, bool any_state)
{
	char name[SU_VM_NAME_MAX + 1], b[VMSTR_MAX];

	if (vmname_of(x, name) < 0)
		return NULL;
	if (strcasecmp(name, SU_MONITOR_NAME) == 0) {
		plan_msg(x, "VMS4041", su_cmd_name(x->c->id));
		plan_reject(x, "VMS4041", 64);
		return NULL;
	}
	const struct su_vm *vm = su_model_vm_by_name(x->live, name);
	if (!vm) {
		plan_msg(x, "VMS2300", name);
		plan_reject(x, "VMS2300", 64);
		return NULL;
	}
	if (any_state)
		return vm;
	if (su_vm_state_initialized(vm->state)) {
		plan_msg(x, "VMS2302", vm->name, su_vmstr(vm, b));
		plan_reject(x, "VMS2302", 64);
		return NULL;
	}
	if (vm->state != SU_VM_DEFINED_ONLY) {
		plan_msg(x, "VMS4040", su_cmd_name(x->c->id), su_vmstr(vm, b),
			 su_vm_state_to_string(vm->state));
		plan_reject(x, "VMS4040", 64);
		return NULL;
	}
	return vm;
}

int cmd_activate_def(struct plan_ctx *x)
{
	char b[VMSTR_MAX];
	const struct su_vm *vm = find_def(x, false);

	if (!vm)
		return -1;
	if (cmd_check_pool(x, vm->pool, vm->group, vm->cpus, su_vmstr(vm, b)) < 0)
		return -1;
	if (cmd_check_activation(x, vm) < 0)
		return -1;
	struct su_model *next = plan_next(x);
	if (!next)
		return -1;
	struct su_vm *n = su_model_vm_by_uuid(next, &vm->vm_uuid);
	if (cmd_activate(x, n, "ACTIVATE-VM-DEFINITION") < 0)
		return -1;
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), su_vmstr(n, b));
	return 0;
}

int cmd_modify_def(struct plan_ctx *x)
{
	const struct su_cmd *c = x->c;
	char b[VMSTR_MAX];
	const struct su_vm *vm = find_def(x, false);

	if (!vm)
		return -1;
	struct su_vm w = *vm;
	if (c->vm_index == 0 || c->vm_index > 0) {
		unsigned idx = (unsigned)c->vm_index;
		if (c->vm_index == 0) { /* *ANY: the lowest free, its own counting as free */
			idx = su_model_free_index(x->live);
			if (!idx || idx > vm->index)
				idx = vm->index;
		}
		const struct su_vm *o = su_model_vm_by_index(x->live, idx);
		if (idx < SU_INDEX_MIN || idx > SU_INDEX_MAX || (o && o != vm)) {
			plan_msg(x, "VMS4011", idx);
			return plan_reject(x, "VMS4011", 64);
		}
		w.index = idx;
		w.index_any = c->vm_index == 0;
	}
	if (c->memory_mib)
		w.memory_mib = c->memory_mib;
	if (c->cpus)
		w.cpus = c->cpus;
	if (c->pool[0])
		snprintf(w.pool, sizeof(w.pool), "%s", c->pool);
	if (c->group[0])
		snprintf(w.group, sizeof(w.group), "%s",
			 strcasecmp(c->group, "*NONE") == 0 ? "" : c->group);
	if (cmd_check_pool(x, w.pool, w.group, w.cpus, su_vmstr(&w, b)) < 0)
		return -1;
	if (c->devop == SU_DEVOP_ADD) {
		if (add_devices(x, &w, c->usage ? c->usage : SU_USAGE_EXCLUSIVE) < 0)
			return -1;
	} else if (c->devop == SU_DEVOP_REMOVE) {
		struct devreq r;
		if (cmd_expand_units_vm(x, vm, &r) < 0)
			return plan_reject_first(x, 64);
		for (unsigned i = 0; i < r.n; i++)
			for (unsigned k = 0; k < w.ndevs; k++)
				if (strcasecmp(w.devs[k].mn, r.d[i].mn) == 0) {
					memmove(&w.devs[k], &w.devs[k + 1],
						(w.ndevs - k - 1) * sizeof(w.devs[0]));
					w.ndevs--;
					break;
				}
		if (w.ipl_unit[0]) {
			bool still = false;
			for (unsigned k = 0; k < w.ndevs; k++)
				still |= strcasecmp(w.devs[k].mn, w.ipl_unit) == 0;
			if (!still)
				w.ipl_unit[0] = '\0';
		}
	}
	struct su_model *next = plan_next(x);
	if (!next)
		return -1;
	*su_model_vm_by_uuid(next, &vm->vm_uuid) = w;
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(c->id), su_vmstr(&w, b));
	return 0;
}

int cmd_delete_def(struct plan_ctx *x)
{
	char b[VMSTR_MAX];
	const struct su_vm *vm = find_def(x, true);

	if (!vm)
		return -1;
	if (su_vm_state_initialized(vm->state) || vm->state == SU_VM_FENCED) {
		plan_msg(x, "VMS2302", vm->name, su_vmstr(vm, b));
		return plan_reject(x, "VMS2302", 64);
	}
	struct su_model *next = plan_next(x);
	if (!next)
		return -1;
	su_vmstr(vm, b);
	char ev[80];
	snprintf(ev, sizeof(ev), "VM definition %s deleted (%s)", b, su_cmd_name(x->c->id));
	su_model_emit(next, vm, CRD_WEIGHT_NOTICE, ev);
	int r = su_model_remove_vm(next, &vm->vm_uuid);
	if (r < 0) {
		plan_msg(x, "CMD0221", "no room for the tombstone of the VM definition");
		return plan_reject(x, "CMD0221", 32);
	}
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}
