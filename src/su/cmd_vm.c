/* cmd_vm.c — commands on initialized VMs: /START-VM, /SHUTDOWN-VM, /DELETE-VM, /HOLD-VM,
 * /RESUME-VM, /ADD-VM-DEVICES, /REMOVE-VM-DEVICES, /MODIFY-VM-ATTRIBUTES
 * (vm2000-facts.md §1.12–§1.19), and the state changes from outside commands. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lm.h"
#include "su/msgcat.h"

static struct su_vm *next_vm(struct plan_ctx *x, const struct su_vm *vm)
{
	struct su_model *next = plan_next(x);

	return next ? su_model_vm_by_uuid(next, &vm->vm_uuid) : NULL;
}

static int state_refused(struct plan_ctx *x, const struct su_vm *vm)
{
	char b[VMSTR_MAX];

	plan_msg(x, "VMS4040", su_cmd_name(x->c->id), su_vmstr(vm, b),
		 su_vm_state_to_string(vm->state));
	return plan_reject(x, "VMS4040", 64);
}

static int nothing_to_do(struct plan_ctx *x, const struct su_vm *vm)
{
	char b[VMSTR_MAX];

	plan_msg(x, "VMS4043", su_vmstr(vm, b), su_vm_state_to_string(vm->state));
	plan_rc(x, "CMD0001", 0, 1);
	return 0;
}

static const struct su_vmdev *vm_dev(const struct su_vm *vm, const char *mn)
{
	for (unsigned i = 0; i < vm->ndevs; i++)
		if (strcasecmp(vm->devs[i].mn, mn) == 0)
			return &vm->devs[i];
	return NULL;
}

/* Disks of an initialized VM with a QEMU cannot change (no hot-plug: VMS4018); -1 after
 * the messages, else 0. */
static int disk_hotplug_refused(struct plan_ctx *x, const struct su_vm *vm,
				const struct su_vmdev *d, unsigned n, const char *b)
{
	int r = 0;

	if (vm->state == SU_VM_FENCED)
		return 0; /* no QEMU: only the definition changes */
	for (unsigned i = 0; i < n; i++) {
		const struct su_iodev *io = su_model_iodev(x->live, d[i].mn);
		if (io && (io->cls == SU_DEV_DISK || io->cls == SU_DEV_CONSOLE)) {
			plan_msg(x, "VMS4018", d[i].mn, b);
			r = -1;
		}
	}
	return r;
}

int cmd_start_vm(struct plan_ctx *x)
{
	const struct su_cmd *c = x->c;
	char b[VMSTR_MAX], ipl[SU_MN_MAX + 1];
	const struct su_vm *vm = cmd_resolve_initialized(x);

	if (!vm)
		return -1;
	su_vmstr(vm, b);
	if (c->hold && x->live->res.type == SU_TYPE_X86)
		return cmd_reject_x86(x);
	if (vm->state == SU_VM_FENCED ||
	    ((vm->state == SU_VM_RUNNING || vm->state == SU_VM_IN_HOLD) && !c->check_state_no))
		return state_refused(x, vm);
	snprintf(ipl, sizeof(ipl), "%s", c->ipl_unit[0] ? c->ipl_unit : vm->ipl_unit);
	for (char *s = ipl; *s; s++)
		if (*s >= 'a' && *s <= 'z')
			*s = (char)(*s - 'a' + 'A');
	if (!ipl[0]) {
		plan_msg(x, "VMS4032", b);
		return plan_reject(x, "VMS4032", 64);
	}
	const struct su_vmdev *d = vm_dev(vm, ipl);
	if (!d) {
		plan_msg(x, "VMS4030", ipl, b);
		return plan_reject(x, "VMS4030", 64);
	}
	const struct su_iodev *io = su_model_iodev(x->live, ipl);
	if (!io) {
		plan_msg(x, "VMS4001", ipl, x->live->res.host_name);
		return plan_reject(x, "VMS4001", 64);
	}
	if (io->cls != SU_DEV_DISK) {
		plan_msg(x, "VMS4031", ipl, su_dev_class_to_string(io->cls));
		return plan_reject(x, "VMS4031", 64);
	}
	if (d->usage != SU_USAGE_EXCLUSIVE) {
		plan_msg(x, "VMS4033", ipl, b);
		return plan_reject(x, "VMS4033", 64);
	}
	struct su_vm *n = next_vm(x, vm);
	if (!n)
		return -1;
	enum su_vm_state target = c->hold ? SU_VM_IN_HOLD : SU_VM_RUNNING;
	bool fresh = vm->state == SU_VM_INIT_ONLY;
	if (strcasecmp(vm->rt.qemu_ipl, ipl) != 0) {
		/* QEMU was started without (or with another) IPL disk: a guest that never ran
		 * or is down loses nothing when its QEMU is started again with this one */
		plan_effect(x, SU_EFF_QEMU_QUIT, vm, NULL);
		plan_effect(x, SU_EFF_QEMU_START, vm, ipl);
		snprintf(n->rt.qemu_ipl, sizeof(n->rt.qemu_ipl), "%s", ipl);
		fresh = true;
	}
	if (!c->hold)
		plan_effect(x, fresh ? SU_EFF_QEMU_CONT : SU_EFF_QEMU_RESET_CONT, vm, NULL);
	else if (!fresh) {
		plan_effect(x, SU_EFF_QEMU_RESET_CONT, vm, NULL);
		plan_effect(x, SU_EFF_QEMU_STOP, vm, NULL);
	}
	if (vm->state != target &&
	    su_vm_set_state(x->p->next, n, vm->state, target, su_cmd_name(c->id)) < 0)
		return state_refused(x, vm);
	snprintf(n->ipl_unit, sizeof(n->ipl_unit), "%s", ipl);
	su_lm_ipl_set(n, x->live->res.host_name, x->now_ms); /* an IPL: LIVE-MIG-COUNT 0 */
	n->rt.running_ms = x->now_ms;
	n->rt.aterm = false;
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(c->id), b);
	return 0;
}

int cmd_shutdown_vm(struct plan_ctx *x)
{
	char b[VMSTR_MAX];
	unsigned n = 0;

	if (x->c->vm.kind == SU_VMID_VM2000) {
		plan_msg(x, "VMS9010", "SHUTDOWN-VM VM-IDENTIFICATION=*VM2000");
		return plan_reject(x, "VMS9010", 64);
	}
	if (x->c->vm.kind == SU_VMID_VM_GUESTS) {
		for (unsigned i = 0; i < x->live->nvms; i++) {
			const struct su_vm *vm = &x->live->vms[i];
			if (vm->state != SU_VM_RUNNING || vm->rt.migr)
				continue;
			plan_effect(x, SU_EFF_QEMU_POWERDOWN, vm, NULL);
			plan_commit_msg(x, "VMS3001", su_vmstr(vm, b));
			n++;
		}
		if (!n)
			plan_rc(x, "CMD0001", 0, 1);
		plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), "( ,*VM-GUESTS)");
		return 0;
	}
	const struct su_vm *vm = cmd_resolve_initialized(x);
	if (!vm)
		return -1;
	if (vm->state == SU_VM_INIT_ONLY || vm->state == SU_VM_DOWN)
		return nothing_to_do(x, vm);
	if (vm->state != SU_VM_RUNNING)
		return state_refused(x, vm);
	plan_effect(x, SU_EFF_QEMU_POWERDOWN, vm, NULL);
	plan_commit_msg(x, "VMS3001", su_vmstr(vm, b));
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}

/* Terminates vm in next: QEMU quit, NOT INITIALIZED, a non-persistent definition goes. */
static int terminate(struct plan_ctx *x, const struct su_vm *vm)
{
	char b[VMSTR_MAX];
	struct su_vm *n = next_vm(x, vm);

	if (!n)
		return -1;
	su_vmstr(vm, b);
	if (vm->state != SU_VM_FENCED)
		plan_effect(x, SU_EFF_QEMU_QUIT, vm, NULL);
	if (su_vm_set_state(x->p->next, n, vm->state, SU_VM_DEFINED_ONLY, su_cmd_name(x->c->id)) <
	    0)
		return state_refused(x, vm);
	memset(&n->rt, 0, sizeof(n->rt));
	if (!n->persistent) {
		char ev[80];
		snprintf(ev, sizeof(ev), "VM definition %s deleted (%s, not persistent)", b,
			 su_cmd_name(x->c->id));
		su_model_emit(x->p->next, n, CRD_WEIGHT_NOTICE, ev);
	}
	if (!n->persistent && su_model_remove_vm(x->p->next, &n->vm_uuid) < 0) {
		plan_msg(x, "CMD0221", "no room for the tombstone of the VM definition");
		return plan_reject(x, "CMD0221", 32);
	}
	plan_commit_msg(x, "VMS4024", b);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}

int cmd_delete_vm(struct plan_ctx *x)
{
	bool check = !x->c->check_state_no;

	if (x->c->vm.kind == SU_VMID_ALL) {
		unsigned n = 0;
		for (unsigned i = 0; i < x->live->nvms; i++) {
			const struct su_vm *vm = &x->live->vms[i];
			if (!(su_vm_state_initialized(vm->state) || vm->state == SU_VM_FENCED) ||
			    vm->rt.migr || vm->state == SU_VM_SETUP_MIGR)
				continue;
			if (check && (vm->state == SU_VM_RUNNING || vm->state == SU_VM_IN_HOLD))
				return state_refused(x, vm);
			if (terminate(x, vm) < 0)
				return -1;
			n++;
		}
		if (!n)
			plan_rc(x, "CMD0001", 0, 1);
		if (n)
			plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
		return 0;
	}
	const struct su_vm *vm = cmd_resolve_initialized(x);
	if (!vm)
		return -1;
	if (check && (vm->state == SU_VM_RUNNING || vm->state == SU_VM_IN_HOLD))
		return state_refused(x, vm);
	if (terminate(x, vm) < 0)
		return -1;
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	return 0;
}

static int hold_resume(struct plan_ctx *x, bool hold)
{
	char b[VMSTR_MAX];
	enum su_vm_state from = hold ? SU_VM_RUNNING : SU_VM_IN_HOLD;
	enum su_vm_state to = hold ? SU_VM_IN_HOLD : SU_VM_RUNNING;

	if (x->live->res.type == SU_TYPE_X86)
		return cmd_reject_x86(x);
	if (x->c->vm.kind == SU_VMID_ALL) {
		unsigned n = 0;
		for (unsigned i = 0; i < x->live->nvms; i++) {
			const struct su_vm *vm = &x->live->vms[i];
			if (vm->state != from || vm->rt.migr)
				continue;
			struct su_vm *nv = next_vm(x, vm);
			if (!nv ||
			    su_vm_set_state(x->p->next, nv, from, to, su_cmd_name(x->c->id)) < 0)
				return -1;
			plan_effect(x, hold ? SU_EFF_QEMU_STOP : SU_EFF_QEMU_CONT, vm, NULL);
			n++;
		}
		if (!n)
			plan_rc(x, "CMD0001", 0, 1);
		else
			plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
		plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), "( ,*ALL)");
		return 0;
	}
	const struct su_vm *vm = cmd_resolve_initialized(x);
	if (!vm)
		return -1;
	if (vm->state == to)
		return nothing_to_do(x, vm);
	if (vm->state != from)
		return state_refused(x, vm);
	struct su_vm *nv = next_vm(x, vm);
	if (!nv || su_vm_set_state(x->p->next, nv, from, to, su_cmd_name(x->c->id)) < 0)
		return state_refused(x, vm);
	plan_effect(x, hold ? SU_EFF_QEMU_STOP : SU_EFF_QEMU_CONT, vm, NULL);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), su_vmstr(vm, b));
	return 0;
}

int cmd_hold_vm(struct plan_ctx *x)
{
	return hold_resume(x, true);
}

int cmd_resume_vm(struct plan_ctx *x)
{
	return hold_resume(x, false);
}

/* Sub-status DIFF (seed 4.8): devices the LM source SU did not generate cannot be assigned
 * (VMS4001 naming that SU, for each); -1 after the messages, else 0. */
static int diff_refused(struct plan_ctx *x, const struct su_vm *vm, const struct devreq *add)
{
	int r = 0;

	for (unsigned i = 0; i < add->n; i++) {
		const char *src = su_lm_diff_refuses(x->live, vm, add->d[i].mn);
		if (src) {
			plan_msg(x, "VMS4001", add->d[i].mn, src);
			r = -1;
		}
	}
	return r;
}

int cmd_add_devices(struct plan_ctx *x)
{
	struct devreq r, add = {0};
	char b[VMSTR_MAX];
	const struct su_vm *vm = cmd_resolve_initialized(x);

	if (!vm)
		return -1;
	su_vmstr(vm, b);
	if (cmd_expand_units_io(x, x->c->usage ? x->c->usage : SU_USAGE_EXCLUSIVE, &r) < 0)
		return plan_reject_first(x, 64);
	for (unsigned i = 0; i < r.n; i++) {
		if (vm_dev(vm, r.d[i].mn)) {
			plan_msg(x, "VMS4006", r.d[i].mn, b);
			continue;
		}
		add.d[add.n++] = r.d[i];
	}
	if (!add.n) {
		plan_rc(x, "CMD0001", 0, 1);
		return 0;
	}
	if (diff_refused(x, vm, &add) < 0)
		return plan_reject(x, "VMS4001", 64);
	if (vm->ndevs + add.n > SU_VM_DEVS_MAX) {
		plan_msg(x, "VMS4017", b, SU_VM_DEVS_MAX);
		return plan_reject(x, "VMS4017", 64);
	}
	if (cmd_check_dev_conflicts(x, x->live, vm, add.d, add.n) < 0)
		return plan_reject_first(x, 64);
	if (disk_hotplug_refused(x, vm, add.d, add.n, b) < 0)
		return plan_reject(x, "VMS4018", 64);
	struct su_vm *n = next_vm(x, vm);
	if (!n)
		return -1;
	for (unsigned i = 0; i < add.n; i++) {
		n->devs[n->ndevs++] = add.d[i];
		if (vm->state != SU_VM_FENCED)
			plan_effect(x, SU_EFF_DEVICE_ADD, vm, add.d[i].mn);
		plan_commit_msg(x, "VMS4005", add.d[i].mn, b,
				add.d[i].usage == SU_USAGE_SHARED ? " (TYPE=SD)" : "");
	}
	if (add.n < r.n)
		plan_rc(x, "CMD0001", 0, 2);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}

int cmd_remove_devices(struct plan_ctx *x)
{
	struct devreq r;
	char b[VMSTR_MAX];
	const struct su_vm *vm = cmd_resolve_initialized(x);

	if (!vm)
		return -1;
	su_vmstr(vm, b);
	if (x->c->units_all && !x->c->check_state_no &&
	    (vm->state == SU_VM_RUNNING || vm->state == SU_VM_IN_HOLD))
		return state_refused(x, vm);
	if (cmd_expand_units_vm(x, vm, &r) < 0)
		return plan_reject_first(x, 64);
	if (disk_hotplug_refused(x, vm, r.d, r.n, b) < 0)
		return plan_reject(x, "VMS4018", 64);
	struct su_vm *n = next_vm(x, vm);
	if (!n)
		return -1;
	for (unsigned i = 0; i < r.n; i++) {
		for (unsigned k = 0; k < n->ndevs; k++)
			if (strcasecmp(n->devs[k].mn, r.d[i].mn) == 0) {
				memmove(&n->devs[k], &n->devs[k + 1],
					(n->ndevs - k - 1) * sizeof(n->devs[0]));
				n->ndevs--;
				break;
			}
		if (vm->state != SU_VM_FENCED)
			plan_effect(x, SU_EFF_DEVICE_REMOVE, vm, r.d[i].mn);
		if (strcasecmp(n->ipl_unit, r.d[i].mn) == 0)
			n->ipl_unit[0] = '\0';
		plan_commit_msg(x, "VMS4009", r.d[i].mn, b);
	}
	if (!r.n)
		plan_rc(x, "CMD0001", 0, 1);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}

int cmd_modify_attr(struct plan_ctx *x)
{
	char b[VMSTR_MAX];
	const struct su_vm *vm = cmd_resolve_initialized(x);

	if (!vm)
		return -1;
	su_vmstr(vm, b);
	if (x->c->persistent < 0) {
		plan_rc(x, "CMD0001", 0, 1);
		plan_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
		return 0;
	}
	struct su_vm *n = next_vm(x, vm);
	if (!n)
		return -1;
	n->persistent = x->c->persistent == 1;
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	plan_commit_msg(x, "VMS3000", su_cmd_name(x->c->id), b);
	return 0;
}

/* ---- from outside commands ---- */

int su_vm_guest_down(struct su_model *m, unsigned vm_index, const char *why, char *msg)
{
	struct su_vm *vm = su_model_vm_by_index(m, vm_index);
	char b[VMSTR_MAX];

	if (msg)
		msg[0] = '\0';
	if (!vm)
		return -ENOENT;
	if (vm->state != SU_VM_RUNNING && vm->state != SU_VM_IN_HOLD)
		return 0;
	if (su_vm_set_state(m, vm, vm->state, SU_VM_DOWN, why ? why : "guest shutdown") < 0)
		return 0;
	if (msg)
		su_msg_format(msg, SU_MSG_MAX, "VMS4021", su_vmstr(vm, b));
	return 1;
}

int su_vm_qemu_gone(struct su_model *m, unsigned vm_index, bool fenced, const char *why, char *msg)
{
	struct su_vm *vm = su_model_vm_by_index(m, vm_index);
	char b[VMSTR_MAX], w[160];

	if (msg)
		msg[0] = '\0';
	if (!vm)
		return -ENOENT;
	if (!su_vm_state_initialized(vm->state) || vm->state == SU_VM_SETUP_MIGR)
		return 0;
	snprintf(w, sizeof(w), "QEMU %s", why ? why : "ended");
	su_vmstr(vm, b);
	if (fenced) {
		if (su_vm_set_state(m, vm, vm->state, SU_VM_FENCED, w) < 0)
			return 0;
		vm->rt.qemu_pid = 0;
		if (msg)
			su_msg_format(msg, SU_MSG_MAX, "VMS4023", b, w); /* "QEMU (pid 12) ..." */
		return 1;
	}
	if (su_vm_set_state(m, vm, vm->state, SU_VM_DEFINED_ONLY, w) < 0)
		return 0;
	memset(&vm->rt, 0, sizeof(vm->rt));
	if (msg)
		su_msg_format(msg, SU_MSG_MAX, "VMS4022", b, w);
	if (!vm->persistent) {
		char ev[80];
		snprintf(ev, sizeof(ev), "VM definition %s deleted (not persistent)", b);
		su_model_emit(m, vm, CRD_WEIGHT_NOTICE, ev);
		su_model_remove_vm(m, &vm->vm_uuid);
	}
	return 1;
}
