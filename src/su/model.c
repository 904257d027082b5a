/* model.c — the SU's VM model: resources, lookups, limits, definitions (model.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/model.h"
#include "su/vmstate.h"

static void copy_str(char *dst, size_t cap, const char *src)
{
	snprintf(dst, cap, "%s", src ? src : "");
}

void su_res_init(struct su_res *res, enum su_type type, const char *name, uint32_t unit_id)
{
	memset(res, 0, sizeof(*res));
	res->type = type;
	copy_str(res->name, sizeof(res->name), name);
	copy_str(res->host_name, sizeof(res->host_name), name);
	res->unit_id = unit_id;
	res->max_vms = SU_DEFAULT_MAX_VMS;
	res->max_defs = SU_DEFAULT_MAX_DEFS;
	res->npools = 1;
	copy_str(res->pools[0].name, sizeof(res->pools[0].name), SU_STDPOOL);
}

struct su_model *su_model_new(const struct su_res *res)
{
	struct su_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->res = *res;
	if (m->res.npools == 0) {
		m->res.npools = 1;
		copy_str(m->res.pools[0].name, sizeof(m->res.pools[0].name), SU_STDPOOL);
	}
	if (m->res.pools[0].cpus == 0)
		m->res.pools[0].cpus = m->res.cpus;
	m->session = 1;
	crd_owner_init(&m->own, res->unit_id);
	return m;
}

struct su_model *su_model_free(struct su_model *m)
{
	free(m);
	return NULL;
}

struct su_model *su_model_copy(const struct su_model *m)
{
	struct su_model *c = malloc(sizeof(*c));

	if (!c)
		return NULL;
	*c = *m;
	memset(&c->hooks, 0, sizeof(c->hooks));
	return c;
}

void su_model_set_hooks(struct su_model *m, const struct su_hooks *h)
{
	if (h)
		m->hooks = *h;
	else
		memset(&m->hooks, 0, sizeof(m->hooks));
}

void su_model_set_res(struct su_model *m, const struct su_res *res)
{
	m->res = *res;
	if (m->res.npools == 0) {
		m->res.npools = 1;
		copy_str(m->res.pools[0].name, sizeof(m->res.pools[0].name), SU_STDPOOL);
		m->res.pools[0].cpus = m->res.cpus;
	}
	m->own.unit = res->unit_id;
}

struct su_vm *su_model_vm_by_index(const struct su_model *m, unsigned index)
{
	for (unsigned i = 0; i < m->nvms; i++)
		if (m->vms[i].index == index)
			return (struct su_vm *)&m->vms[i];
	return NULL;
}

struct su_vm *su_model_vm_by_name(const struct su_model *m, const char *name)
{
	for (unsigned i = 0; i < m->nvms; i++)
		if (strcasecmp(m->vms[i].name, name) == 0)
			return (struct su_vm *)&m->vms[i];
	return NULL;
}

struct su_vm *su_model_vm_by_uuid(const struct su_model *m, const crd_uuid *u)
{
	for (unsigned i = 0; i < m->nvms; i++)
		if (crd_uuid_eq(&m->vms[i].vm_uuid, u))
			return (struct su_vm *)&m->vms[i];
	return NULL;
}

const struct su_iodev *su_model_iodev(const struct su_model *m, const char *mn)
{
	for (unsigned i = 0; i < m->res.io.n; i++)
		if (strcasecmp(m->res.io.dev[i].mn, mn) == 0)
			return &m->res.io.dev[i];
	return NULL;
}

unsigned su_model_free_index(const struct su_model *m)
{
	for (unsigned idx = SU_INDEX_MIN; idx <= SU_INDEX_MAX; idx++)
		if (!su_model_vm_by_index(m, idx))
			return idx;
	return 0;
}

bool su_vm_state_initialized(enum su_vm_state s)
{
	return s == SU_VM_INIT_ONLY || s == SU_VM_RUNNING || s == SU_VM_IN_HOLD ||
	       s == SU_VM_DOWN || s == SU_VM_SETUP_MIGR;
}

unsigned su_model_nvms_initialized(const struct su_model *m)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->nvms; i++)
		if (su_vm_state_initialized(m->vms[i].state))
			n++;
	return n;
}

uint64_t su_model_mem_used(const struct su_model *m)
{
	uint64_t used = 0;

	for (unsigned i = 0; i < m->nvms; i++)
		if (su_vm_state_initialized(m->vms[i].state))
			used += m->vms[i].memory_mib;
	return used;
}

uint64_t su_model_mem_free(const struct su_model *m)
{
	uint64_t used = su_model_mem_used(m);

	return used >= m->res.memory_mib ? 0 : m->res.memory_mib - used;
}

static int make_uuid(struct su_model *m, crd_uuid *ret)
{
	if (!m->hooks.random)
		return crd_uuid_random(ret);
	int r = m->hooks.random(m->hooks.ctx, ret->b, sizeof(ret->b));
	if (r < 0)
		return r;
	ret->b[6] = (uint8_t)((ret->b[6] & 0x0f) | 0x40); /* version 4 */
	ret->b[8] = (uint8_t)((ret->b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	return 0;
}

struct su_vm *su_model_add_vm(struct su_model *m, const struct su_vm *vm, struct sec_err *reterr)
{
	struct crd_vmdef d;
	int r;

	if (m->nvms >= SU_VMS_CAP) {
		sec_errf(reterr, -ENOSPC, "no room for VM definition '%s' (%u stored)", vm->name,
			 m->nvms);
		return NULL;
	}
	if (su_model_vm_by_name(m, vm->name) || strcasecmp(vm->name, SU_MONITOR_NAME) == 0) {
		sec_errf(reterr, -EEXIST, "VM name '%s' is in use", vm->name);
		return NULL;
	}
	if (vm->index < SU_INDEX_MIN || vm->index > SU_INDEX_MAX ||
	    su_model_vm_by_index(m, vm->index)) {
		sec_errf(reterr, -EEXIST, "VM index %u is not available", vm->index);
		return NULL;
	}
	memset(&d, 0, sizeof(d));
	r = make_uuid(m, &d.vm_uuid);
	if (r < 0) {
		sec_errf(reterr, r, "cannot make a vm_uuid: %s", strerror(-r));
		return NULL;
	}
	copy_str(d.name, sizeof(d.name), vm->name);
	d.epoch = 1;
	d.owner = m->res.unit_id;
	r = crd_owner_add(&m->own, &d);
	if (r < 0) {
		sec_errf(reterr, r, "cannot record the ownership of VM definition '%s': %s",
			 vm->name, strerror(-r));
		return NULL;
	}
	struct su_vm *n = &m->vms[m->nvms++];
	*n = *vm;
	n->vm_uuid = d.vm_uuid;
	return n;
}

int su_model_remove_vm(struct su_model *m, const crd_uuid *u)
{
	struct su_vm *vm = su_model_vm_by_uuid(m, u);
	int r;

	if (!vm)
		return -ENOENT;
	if (crd_owner_find(&m->own, u)) {
		r = crd_owner_delete(&m->own, u);
		if (r < 0)
			return r;
	}
	size_t i = (size_t)(vm - m->vms);
	memmove(&m->vms[i], &m->vms[i + 1], (m->nvms - i - 1) * sizeof(m->vms[0]));
	m->nvms--;
	return 0;
}

void su_model_emit(struct su_model *m, const struct su_vm *vm, enum crd_event_weight w,
		   const char *msg)
{
	struct su_event ev = {.weight = w, .component = "Sys-Mgmt", .vm_index = vm->index};

	copy_str(ev.vm_name, sizeof(ev.vm_name), vm->name);
	copy_str(ev.msg, sizeof(ev.msg), msg);
	if (m->hooks.event)
		m->hooks.event(m->hooks.ctx, &ev);
}

int su_model_sync_owner(struct su_model *m)
{
	int dropped = 0;

	for (unsigned i = 0; i < m->nvms;) {
		struct su_vm *vm = &m->vms[i];
		const struct crd_vmdef *d = crd_owner_find(&m->own, &vm->vm_uuid);
		char msg[200];

		if (!d && vm->state == SU_VM_SETUP_MIGR) { /* an incoming LM's reservation */
			i++;
			continue;
		}
		if (!d) {
			snprintf(msg, sizeof(msg),
				 "VM definition (%u,%s) dropped: another SU owns it (crd.md §6)",
				 vm->index, vm->name);
			su_model_emit(m, vm, CRD_WEIGHT_WARNING, msg);
			memmove(vm, vm + 1, (m->nvms - i - 1) * sizeof(*vm));
			m->nvms--;
			dropped++;
			continue;
		}
		if ((d->flags & CRD_VMDEF_CONFLICT) && vm->state == SU_VM_DEFINED_ONLY)
			su_vm_set_state(m, vm, SU_VM_DEFINED_ONLY, SU_VM_CONFLICT, "reconcile");
		else if (!(d->flags & CRD_VMDEF_CONFLICT) && vm->state == SU_VM_CONFLICT)
			su_vm_set_state(m, vm, SU_VM_CONFLICT, SU_VM_DEFINED_ONLY, "reconcile");
		i++;
	}
	return dropped;
}

const char *su_type_to_string(enum su_type t)
{
	switch (t) {
	case SU_TYPE_X86:
		return "x86";
	case SU_TYPE_390:
		return "390";
	default:
		return "?";
	}
}

const char *su_dev_class_to_string(enum su_dev_class c)
{
	switch (c) {
	case SU_DEV_DISK:
		return "disk";
	case SU_DEV_TAPE:
		return "tape";
	case SU_DEV_LOCAL_DISK:
		return "local-disk";
	case SU_DEV_CONSOLE:
		return "console";
	default:
		return "?";
	}
}

const char *su_usage_to_string(enum su_usage u)
{
	switch (u) {
	case SU_USAGE_EXCLUSIVE:
		return "*EXCLUSIVE";
	case SU_USAGE_SHARED:
		return "*SHARED";
	default:
		return "?";
	}
}
