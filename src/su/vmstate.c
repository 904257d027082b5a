/* vmstate.c — the VM lifecycle state machine: table and the one state change (vmstate.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/vmstate.h"

static const char *const vm2000_names[SU_VM_STATE_MAX] = {
    [SU_VM_DEFINED_ONLY] = "NOT INITIALIZED",
    [SU_VM_INIT_ONLY] = "INIT-ONLY",
    [SU_VM_RUNNING] = "RUNNING",
    [SU_VM_IN_HOLD] = "IN HOLD (WAIT)",
    [SU_VM_DOWN] = "DOWN",
    [SU_VM_SETUP_MIGR] = "SETUP(MIGR)",
    [SU_VM_FENCED] = "FENCED",
    [SU_VM_CONFLICT] = "CONFLICT",
};

static const char *const sem_names[SU_VM_STATE_MAX] = {
    [SU_VM_DEFINED_ONLY] = "DEFINED_ONLY",
    [SU_VM_INIT_ONLY] = "INIT_ONLY",
    [SU_VM_RUNNING] = "RUNNING",
    [SU_VM_IN_HOLD] = "IN_HOLD",
    [SU_VM_DOWN] = "DOWN",
    [SU_VM_SETUP_MIGR] = "SETUP_MIGR",
    [SU_VM_FENCED] = "FENCED",
    [SU_VM_CONFLICT] = "CONFLICT",
};

#define B(s) (1u << (s))
/* legal[old] = set of new states */
static const unsigned legal[SU_VM_STATE_MAX] = {
    [SU_VM_DEFINED_ONLY] = B(SU_VM_INIT_ONLY) | B(SU_VM_CONFLICT) | B(SU_VM_SETUP_MIGR),
    [SU_VM_INIT_ONLY] =
	B(SU_VM_RUNNING) | B(SU_VM_IN_HOLD) | B(SU_VM_DEFINED_ONLY) | B(SU_VM_FENCED),
    [SU_VM_RUNNING] = B(SU_VM_IN_HOLD) | B(SU_VM_DOWN) | B(SU_VM_DEFINED_ONLY) | B(SU_VM_FENCED),
    [SU_VM_IN_HOLD] = B(SU_VM_RUNNING) | B(SU_VM_DOWN) | B(SU_VM_DEFINED_ONLY) | B(SU_VM_FENCED),
    [SU_VM_DOWN] = B(SU_VM_RUNNING) | B(SU_VM_IN_HOLD) | B(SU_VM_DEFINED_ONLY) | B(SU_VM_FENCED),
    [SU_VM_SETUP_MIGR] =
	B(SU_VM_INIT_ONLY) | B(SU_VM_RUNNING) | B(SU_VM_DOWN) | B(SU_VM_DEFINED_ONLY),
    [SU_VM_FENCED] = B(SU_VM_DEFINED_ONLY),
    [SU_VM_CONFLICT] = B(SU_VM_DEFINED_ONLY),
};
#undef B

static bool in_range(enum su_vm_state s)
{
	return s >= SU_VM_DEFINED_ONLY && s < SU_VM_STATE_MAX;
}

const char *su_vm_state_to_string(enum su_vm_state s)
{
	return in_range(s) ? vm2000_names[s] : "?";
}

const char *su_vm_state_to_sem(enum su_vm_state s)
{
	return in_range(s) ? sem_names[s] : "?";
}

int su_vm_state_parse(const char *s, enum su_vm_state *ret)
{
	for (int i = SU_VM_DEFINED_ONLY; i < SU_VM_STATE_MAX; i++)
		if (strcasecmp(s, vm2000_names[i]) == 0 || strcasecmp(s, sem_names[i]) == 0) {
			*ret = (enum su_vm_state)i;
			return 0;
		}
	return -EINVAL;
}

const char *su_vm_state_show(const struct su_vm *vm, char out[24])
{
	snprintf(out, 24, "%s%s%s", su_vm_state_to_string(vm->state),
		 vm->rt.migr && vm->state != SU_VM_SETUP_MIGR ? "(MIGR)" : "",
		 vm->rt.diff ? "(DIFF)" : "");
	return out;
}

bool su_vm_transition_legal(enum su_vm_state old, enum su_vm_state new_state)
{
	if (!in_range(old) || !in_range(new_state))
		return false;
	return (legal[old] & (1u << new_state)) != 0;
}

int su_vm_set_state(struct su_model *m, struct su_vm *vm, enum su_vm_state old,
		    enum su_vm_state new_state, const char *why)
{
	struct su_event ev = {.weight = CRD_WEIGHT_NOTICE, .component = "Sys-Mgmt"};

	if (!in_range(old) || !in_range(new_state))
		return -EINVAL;
	if (vm->state != old)
		return -ESTALE;
	if (!su_vm_transition_legal(old, new_state))
		return -EPERM;
	vm->state = new_state;
	if (new_state == SU_VM_FENCED || new_state == SU_VM_CONFLICT ||
	    (why && strncmp(why, "QEMU", 4) == 0))
		ev.weight = CRD_WEIGHT_WARNING;
	ev.vm_index = vm->index;
	snprintf(ev.vm_name, sizeof(ev.vm_name), "%s", vm->name);
	snprintf(ev.msg, sizeof(ev.msg), "VM (%u,%s) state %s -> %s%s%s%s", vm->index, vm->name,
		 su_vm_state_to_string(old), su_vm_state_to_string(new_state), why ? " (" : "",
		 why ? why : "", why ? ")" : "");
	if (m->hooks.event)
		m->hooks.event(m->hooks.ctx, &ev);
	return 0;
}
