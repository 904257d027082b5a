/* cmd_show.c — information commands: /SHOW-VM-DEFINITION, /SHOW-VM-RESOURCES,
 * /SHOW-VM-ATTRIBUTES, /SHOW-JV, /HELP-MSG-INFORMATION (vm2000-facts.md §1.6, §1.20, §4.1;
 * /SHOW-SYSTEM-INFORMATION and /SHOW-LIVE-MIGRATION-HISTORY are in cmd_lmshow.c).
 * Output layout is ours (docs/messages.md "Output of the SHOW commands"). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lm.h"
#include "su/monjv.h"
#include "su/msgcat.h"

static bool want(enum su_info have, enum su_info what)
{
	return have == what || have == SU_INFO_ALL;
}

static enum su_info info_of(const struct su_cmd *c)
{
	return c->info ? c->info : SU_INFO_STD;
}

static void line_units(struct plan_ctx *x, const struct su_vm *vm)
{
	if (!vm->ndevs) {
		plan_line(x, "   DEVICES:  *NONE");
		return;
	}
	for (unsigned i = 0; i < vm->ndevs; i++) {
		const struct su_iodev *io = su_model_iodev(x->live, vm->devs[i].mn);
		plan_line(x, "   DEVICE %-4s  %-10s  %-10s  %s", vm->devs[i].mn,
			  su_usage_to_string(vm->devs[i].usage),
			  io ? su_dev_class_to_string(io->cls) : "-",
			  io ? io->type : "NOT GENERATED");
	}
}

static void def_block(struct plan_ctx *x, const struct su_vm *vm, enum su_info info)
{
	char st[24], uuid[37];

	plan_line(x, "%-8s  %5u  %-16s  %10llu  %4u  %-8s  %s", vm->name, vm->index,
		  su_vm_state_show(vm, st), (unsigned long long)vm->memory_mib, vm->cpus, vm->pool,
		  vm->persistent ? "YES" : "NO");
	if (info == SU_INFO_STD)
		return;
	if (want(info, SU_INFO_CPU) || want(info, SU_INFO_MEMORY) || info == SU_INFO_ALL) {
		const struct crd_vmdef *d = crd_owner_find(&x->live->own, &vm->vm_uuid);
		crd_uuid_to_string(&vm->vm_uuid, uuid);
		plan_line(x, "   VM-UUID:  %s  EPOCH: %llu", uuid,
			  (unsigned long long)(d ? d->epoch : 0));
		plan_line(x, "   MEMORY-SIZE: %llu MB  CPUS: %u  CPU-POOL: %s  VM-GROUP: %s",
			  (unsigned long long)vm->memory_mib, vm->cpus, vm->pool,
			  vm->group[0] ? vm->group : "*NONE");
	}
	if (want(info, SU_INFO_IPL))
		plan_line(x, "   IPL-UNIT: %s", vm->ipl_unit[0] ? vm->ipl_unit : "*NONE");
	if (want(info, SU_INFO_UNITS))
		line_units(x, vm);
}

static const char def_header[] =
    "VM-NAME   INDEX  STATE             MEMORY(MB)  CPUS  CPU-POOL  PERS";

int cmd_show_def(struct plan_ctx *x)
{
	const struct su_cmd *c = x->c;
	unsigned n = 0;
	enum su_info info = info_of(c);

	for (unsigned idx = SU_INDEX_MIN; idx <= SU_INDEX_MAX; idx++) {
		const struct su_vm *vm = su_model_vm_by_index(x->live, idx);
		if (!vm)
			continue;
		if (c->vm.kind == SU_VMID_NAME && fnmatch(c->vm.name, vm->name, FNM_CASEFOLD) != 0)
			continue;
		if (!n++)
			plan_line(x, "%s", def_header);
		def_block(x, vm, info);
	}
	if (!n && c->vm.kind == SU_VMID_NAME) {
		plan_msg(x, "VMS2300", c->vm.name);
		return plan_reject(x, "VMS2300", 64);
	}
	if (!n) /* no VM defined: the empty table */
		plan_line(x, "%s", def_header);
	return 0;
}

static void attr_block(struct plan_ctx *x, const struct su_vm *vm, enum su_info info)
{
	char st[24], b[VMSTR_MAX];

	plan_line(x, "%-11s  %-16s  %10llu  %4u  %-8s  %s", su_vmstr(vm, b),
		  su_vm_state_show(vm, st), (unsigned long long)vm->memory_mib, vm->cpus, vm->pool,
		  vm->rt.monjv[0] ? vm->rt.monjv : "*NONE");
	if (want(info, SU_INFO_UNITS))
		line_units(x, vm);
	if (want(info, SU_INFO_IPL) || info == SU_INFO_ALL)
		plan_line(x, "   IPL-UNIT: %s  QEMU-PID: %d",
			  vm->ipl_unit[0] ? vm->ipl_unit : "*NONE", (int)vm->rt.qemu_pid);
}

static const char attr_header[] =
    "VM           STATE             MEMORY(MB)  CPUS  CPU-POOL  MONJV";

int cmd_show_attr(struct plan_ctx *x)
{
	const struct su_cmd *c = x->c;
	enum su_info info = info_of(c);
	char b[VMSTR_MAX];
	unsigned n = 0;
	bool all = c->vm.kind == SU_VMID_ALL || c->vm.kind == SU_VMID_NONE;

	/* the header only above rows: a rejected command prints its message alone */
	if (all || su_vmid_is_monitor(&c->vm)) {
		plan_line(x, "%s", attr_header);
		plan_line(x, "%-11s  %-16s  %10s  %4u  %-8s  %s", "(1,MONITOR)", "RUNNING", "-",
			  x->live->res.cpus, SU_STDPOOL, "*NONE");
		n++;
	}
	for (unsigned idx = SU_INDEX_MIN; idx <= SU_INDEX_MAX; idx++) {
		const struct su_vm *vm = su_model_vm_by_index(x->live, idx);
		if (!vm || !(su_vm_state_initialized(vm->state) || vm->state == SU_VM_FENCED))
			continue;
		if (c->vm.kind == SU_VMID_INDEX && vm->index != c->vm.index)
			continue;
		if (c->vm.kind == SU_VMID_NAME && fnmatch(c->vm.name, vm->name, FNM_CASEFOLD) != 0)
			continue;
		if (!n++)
			plan_line(x, "%s", attr_header);
		attr_block(x, vm, info);
	}
	if (!n) {
		plan_msg(x, "VMS4000", su_vmid_str(&c->vm, b));
		return plan_reject(x, "VMS4000", 64);
	}
	return 0;
}

int cmd_show_res(struct plan_ctx *x)
{
	const struct su_model *m = x->live;
	const struct su_res *r = &m->res;
	enum su_info info = info_of(x->c);
	char st[24], b[VMSTR_MAX];

	if (want(info, SU_INFO_STD)) {
		plan_line(x, "SU '%s' (%s)  VMS: %u OF %u  FREE VM SLOTS: %u  FREE MEMORY: %llu MB",
			  r->host_name, r->type == SU_TYPE_X86 ? "SU X86" : "SU /390",
			  su_model_nvms_initialized(m), r->max_vms,
			  r->max_vms - (su_model_nvms_initialized(m) < r->max_vms
					    ? su_model_nvms_initialized(m)
					    : r->max_vms),
			  (unsigned long long)su_model_mem_free(m));
		/* the VM column as wide as "(1,MONITOR)" */
		plan_line(x, "%-11s  %-16s  %10s", "VM", "STATE", "MEMORY(MB)");
		plan_line(x, "%-11s  %-16s  %10s", "(1,MONITOR)", "RUNNING", "-");
		for (unsigned idx = SU_INDEX_MIN; idx <= SU_INDEX_MAX; idx++) {
			const struct su_vm *vm = su_model_vm_by_index(m, idx);
			if (vm)
				plan_line(x, "%-11s  %-16s  %10llu", su_vmstr(vm, b),
					  su_vm_state_show(vm, st),
					  (unsigned long long)vm->memory_mib);
		}
	}
	if (want(info, SU_INFO_MEMORY))
		plan_line(x, "MEMORY: %llu MB  USED: %llu MB  FREE: %llu MB",
			  (unsigned long long)r->memory_mib,
			  (unsigned long long)su_model_mem_used(m),
			  (unsigned long long)su_model_mem_free(m));
	if (want(info, SU_INFO_CPU)) {
		for (unsigned i = 0; i < r->npools; i++)
			plan_line(x, "CPU-POOL %-8s  CPUS: %u", r->pools[i].name, r->pools[i].cpus);
		for (unsigned i = 0; i < r->ngroups; i++)
			plan_line(x, "VM-GROUP %-8s  CPU-POOL: %s", r->groups[i].name,
				  r->groups[i].pool);
	}
	if (want(info, SU_INFO_UNITS)) {
		plan_line(x, "%-4s  %-16s  %-10s  %-4s  %-4s  %s", "MN", "TYPE", "CLASS", "CONN",
			  "UNIT", "ASSIGNED");
		for (unsigned i = 0; i < r->io.n; i++) {
			const struct su_iodev *d = &r->io.dev[i];
			char as[512] = "*FREE";
			size_t o = 0;
			for (unsigned k = 0; k < m->nvms; k++) {
				const struct su_vm *vm = &m->vms[k];
				if (!su_vm_state_initialized(vm->state))
					continue;
				for (unsigned j = 0; j < vm->ndevs; j++)
					if (strcasecmp(vm->devs[j].mn, d->mn) == 0 &&
					    o + 40 < sizeof(as))
						o += (size_t)snprintf(
						    as + o, sizeof(as) - o, "%s%s%s", o ? " " : "",
						    su_vmstr(vm, b),
						    vm->devs[j].usage == SU_USAGE_SHARED ? "(SD)"
											 : "");
			}
			plan_line(x, "%-4s  %-16s  %-10s  %-4s  %-4s  %s", d->mn, d->type,
				  su_dev_class_to_string(d->cls), d->connector, d->unit_id, as);
		}
	}
	if (want(info, SU_INFO_MONJV))
		for (unsigned k = 0; k < m->nvms; k++)
			if (m->vms[k].rt.monjv[0])
				plan_line(x, "MONJV %s: %s", su_vmstr(&m->vms[k], b),
					  m->vms[k].rt.monjv);
	if (want(info, SU_INFO_CONFIGURATION))
		plan_line(x,
			  "SU-TYPE: %s  MAX-VMS: %u  MAX-VM-DEFINITIONS: %u  VM-DEFINITIONS: %u  "
			  "CPUS: %u",
			  r->type == SU_TYPE_X86 ? "X86" : "/390", r->max_vms, r->max_defs, m->nvms,
			  r->cpus);
	return 0;
}

/* SHOW-JV: the MONJV of a VM (by its MONJV name), of an LM (MIGRATE-VM MONJV=, su/lm.h),
 * or of a VM named by its VM name, in this order. */
int cmd_show_jv(struct plan_ctx *x)
{
	const struct su_model *m = x->live;
	const struct su_vm *vm = NULL;
	const struct su_lmjv *lj = NULL;
	char jv[SU_MONJV_LEN + 1];

	for (unsigned k = 0; k < m->nvms && !vm; k++)
		if (m->vms[k].rt.monjv[0] && strcasecmp(m->vms[k].rt.monjv, x->c->jv_name) == 0)
			vm = &m->vms[k];
	if (!vm)
		lj = su_model_lmjv_find(m, x->c->jv_name);
	if (!vm && !lj)
		vm = su_model_vm_by_name(m, x->c->jv_name);
	if (!vm && !lj) {
		plan_msg(x, "VMS9012", x->c->jv_name);
		return plan_reject(x, "VMS9012", 64);
	}
	if (lj)
		su_lm_monjv_build(m, lj, jv);
	else
		su_monjv_build(m, vm, jv);
	jv[SU_MONJV_LEN] = '\0';
	size_t n = SU_MONJV_LEN;
	while (n > 0 && jv[n - 1] == ' ')
		n--;
	plan_line(x, "%%%.*s", (int)n, jv);
	return 0;
}

int cmd_help_msg(struct plan_ctx *x)
{
	const struct su_msgdef *d = su_msg_find(x->c->msg_id);
	size_t n = 0;

	if (!d) {
		plan_msg(x, "VMS9011", x->c->msg_id);
		return plan_reject(x, "VMS9011", 64);
	}
	char **l = su_msg_help(d, &n);
	if (!l) {
		x->oom = true;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		plan_line(x, "%s", l[i]);
		free(l[i]);
	}
	free(l);
	return 0;
}
