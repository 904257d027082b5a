/* cmd.c — the two-phase command processor: plan, commit, abort (cmd.h). */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "su/cmd_priv.h"
#include "su/lmcheck.h"
#include "su/msgcat.h"

const char *su_cmd_name(enum su_cmd_id id)
{
	return su_cmd_id_to_string(id);
}

const char *su_vmstr(const struct su_vm *vm, char out[VMSTR_MAX])
{
	snprintf(out, VMSTR_MAX, "(%u,%s)", vm->index, vm->name);
	return out;
}

/* ---- growing arrays ---- */

static bool push_str(char ***arr, size_t *n, size_t *cap, char *s)
{
	if (!s)
		return false;
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		char **na = realloc(*arr, nc * sizeof(*na));
		if (!na) {
			free(s);
			return false;
		}
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = s;
	return true;
}

static char *vfmt_msg(const char *id, va_list ap)
{
	char line[SU_MSG_TEXT_MAX + 16];

	su_msg_vformat(line, sizeof(line), id, ap);
	return strdup(line);
}

void plan_msg(struct plan_ctx *x, const char *id, ...)
{
	va_list ap;

	va_start(ap, id);
	char *l = vfmt_msg(id, ap);
	va_end(ap);
	if (!push_str(&x->p->msgs, &x->p->n_msgs, &x->p->cap_msgs, l))
		x->oom = true;
}

void plan_commit_msg(struct plan_ctx *x, const char *id, ...)
{
	va_list ap;

	va_start(ap, id);
	char *l = vfmt_msg(id, ap);
	va_end(ap);
	if (!push_str(&x->p->commit_msgs, &x->p->n_commit_msgs, &x->p->cap_commit_msgs, l))
		x->oom = true;
}

void plan_line(struct plan_ctx *x, const char *fmt, ...)
{
	va_list ap;
	char *l = NULL;

	va_start(ap, fmt);
	if (vasprintf(&l, fmt, ap) < 0)
		l = NULL;
	va_end(ap);
	if (!push_str(&x->p->msgs, &x->p->n_msgs, &x->p->cap_msgs, l))
		x->oom = true;
}

static void free_strs(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
	free(a);
}

static void drop_change(struct su_plan *p)
{
	p->next = su_model_free(p->next);
	free(p->eff);
	p->eff = NULL;
	p->n_eff = p->cap_eff = 0;
	free(p->events);
	p->events = NULL;
	p->n_events = p->cap_events = 0;
	free_strs(p->commit_msgs, p->n_commit_msgs);
	p->commit_msgs = NULL;
	p->n_commit_msgs = p->cap_commit_msgs = 0;
}

void plan_rc(struct plan_ctx *x, const char *maincode, unsigned sc1, unsigned sc2)
{
	snprintf(x->p->rc.maincode, sizeof(x->p->rc.maincode), "%s", maincode);
	x->p->rc.subcode1 = sc1;
	x->p->rc.subcode2 = sc2;
}

int plan_reject(struct plan_ctx *x, const char *maincode, unsigned sc1)
{
	x->p->ok = false;
	plan_rc(x, maincode, sc1, 0);
	drop_change(x->p);
	return -1;
}

int plan_reject_first(struct plan_ctx *x, unsigned sc1)
{
	char mc[SU_MAINCODE_MAX + 1] = "CMD0221";

	for (size_t i = 0; i < x->p->n_msgs; i++)
		if (strncmp(x->p->msgs[i], "% ", 2) == 0) {
			snprintf(mc, sizeof(mc), "%.7s", x->p->msgs[i] + 2);
			break;
		}
	return plan_reject(x, mc, sc1);
}

static void record_event(void *ctx, const struct su_event *ev)
{
	struct su_plan *p = ctx;

	if (p->n_events == p->cap_events) {
		size_t nc = p->cap_events ? p->cap_events * 2 : 8;
		struct su_event *ne = realloc(p->events, nc * sizeof(*ne));
		if (!ne)
			return; /* an event lost only on out-of-memory; the change still counts */
		p->events = ne;
		p->cap_events = nc;
	}
	p->events[p->n_events++] = *ev;
}

static int plan_random(void *ctx, void *buf, size_t n)
{
	struct su_plan *p = ctx;

	return p->live_hooks.random(p->live_hooks.ctx, buf, n);
}

struct su_model *plan_next(struct plan_ctx *x)
{
	if (x->p->next)
		return x->p->next;
	x->p->next = su_model_copy(x->live);
	if (!x->p->next) {
		x->oom = true;
		return NULL;
	}
	/* state events of next are recorded (emitted at commit); uuids come from live's hook */
	x->p->live_hooks = x->live->hooks;
	struct su_hooks h = {.event = record_event,
			     .random = x->live->hooks.random ? plan_random : NULL,
			     .ctx = x->p};
	x->p->next->hooks = h;
	return x->p->next;
}

struct su_effect *plan_effect(struct plan_ctx *x, enum su_effect_kind k, const struct su_vm *vm,
			      const char *mn)
{
	struct su_plan *p = x->p;

	if (p->n_eff == p->cap_eff) {
		size_t nc = p->cap_eff ? p->cap_eff * 2 : 8;
		struct su_effect *ne = realloc(p->eff, nc * sizeof(*ne));
		if (!ne) {
			x->oom = true;
			return NULL;
		}
		p->eff = ne;
		p->cap_eff = nc;
	}
	struct su_effect *e = &p->eff[p->n_eff++];
	memset(e, 0, sizeof(*e));
	e->kind = k;
	if (vm) {
		e->vm_index = vm->index;
		snprintf(e->vm_name, sizeof(e->vm_name), "%s", vm->name);
		e->vm_uuid = vm->vm_uuid;
	}
	if (mn)
		snprintf(e->mn, sizeof(e->mn), "%s", mn);
	if (k == SU_EFF_QEMU_POWERDOWN)
		e->grace_ms = SU_SHUTDOWN_GRACE_MS;
	return e;
}

int cmd_reject_x86(struct plan_ctx *x)
{
	plan_msg(x, "VMS3011", su_cmd_name(x->c->id));
	return plan_reject(x, "VMS9004", 64);
}

struct su_vm *plan_take_definition(struct plan_ctx *x, struct su_model *next,
				   const struct su_vm *vm, unsigned index, const crd_uuid *vm_uuid,
				   const char *how, const char *su)
{
	struct su_vm *n = &next->vms[next->nvms++];
	char vmstr[VMSTR_MAX], ev[200];

	*n = *vm;
	n->index = index;
	memset(&n->rt, 0, sizeof(n->rt));
	n->state = SU_VM_DEFINED_ONLY;
	n->vm_uuid = *vm_uuid;
	snprintf(ev, sizeof(ev), "VM definition %s %s SU '%s'", su_vmstr(n, vmstr), how, su);
	su_model_emit(next, n, CRD_WEIGHT_NOTICE, ev);
	plan_effect(x, SU_EFF_REGION_WRITE, NULL, NULL);
	return n;
}

static int not_yet(struct plan_ctx *x)
{
	plan_msg(x, "VMS9010", su_cmd_name(x->c->id));
	return plan_reject(x, "VMS9010", 64);
}

typedef int (*handler_fn)(struct plan_ctx *x);

static const handler_fn handlers[SU_CMD_MAX] = {
    [SU_CMD_CREATE_VM] = cmd_create_vm,
    [SU_CMD_CREATE_VM_DEFINITION] = cmd_create_def,
    [SU_CMD_MODIFY_VM_DEFINITION] = cmd_modify_def,
    [SU_CMD_ACTIVATE_VM_DEFINITION] = cmd_activate_def,
    [SU_CMD_DELETE_VM_DEFINITION] = cmd_delete_def,
    [SU_CMD_SHOW_VM_DEFINITION] = cmd_show_def,
    [SU_CMD_START_VM] = cmd_start_vm,
    [SU_CMD_SHUTDOWN_VM] = cmd_shutdown_vm,
    [SU_CMD_DELETE_VM] = cmd_delete_vm,
    [SU_CMD_HOLD_VM] = cmd_hold_vm,
    [SU_CMD_RESUME_VM] = cmd_resume_vm,
    [SU_CMD_ADD_VM_DEVICES] = cmd_add_devices,
    [SU_CMD_REMOVE_VM_DEVICES] = cmd_remove_devices,
    [SU_CMD_MODIFY_VM_ATTRIBUTES] = cmd_modify_attr,
    [SU_CMD_SHOW_VM_RESOURCES] = cmd_show_res,
    [SU_CMD_SHOW_VM_ATTRIBUTES] = cmd_show_attr,
    [SU_CMD_SHOW_JV] = cmd_show_jv,
    [SU_CMD_HELP_MSG_INFORMATION] = cmd_help_msg,
    [SU_CMD_CHECK_VM_MIGRATION] = not_yet,
    [SU_CMD_MIGRATE_VM] = not_yet,
    [SU_CMD_MIGRATE_VM_DEFINITION] = not_yet,
    [SU_CMD_RECOVER_VM_DEFINITION] = not_yet,
    [SU_CMD_SHOW_SYSTEM_INFORMATION] = cmd_show_sysinfo,
    [SU_CMD_SHOW_LIVE_MIGRATION_HISTORY] = cmd_show_lm_history,
};

struct su_plan *su_cmd_plan(const struct su_model *live, const struct su_cmd *c, int64_t now_ms)
{
	struct su_plan *p = calloc(1, sizeof(*p));
	struct plan_ctx x = {.p = p, .live = live, .c = c, .now_ms = now_ms};

	if (!p)
		return NULL;
	p->ok = true;
	p->id = c->id;
	plan_rc(&x, "CMD0001", 0, 0);
	if (c->id < SU_CMD_CREATE_VM || c->id >= SU_CMD_MAX || !handlers[c->id]) {
		plan_msg(&x, "CMD0221", "unknown command number");
		plan_reject(&x, "CMD0221", 32);
	} else {
		handlers[c->id](&x);
	}
	if (x.oom)
		return su_plan_free(p);
	return p;
}

/* Swaps n bytes of a and b through a small buffer (commit cannot fail for want of memory). */
static void swap_bytes(void *a, void *b, size_t n)
{
	unsigned char t[4096], *x = a, *y = b;

	for (size_t o = 0; o < n; o += sizeof(t)) {
		size_t k = n - o < sizeof(t) ? n - o : sizeof(t);
		memcpy(t, x + o, k);
		memcpy(x + o, y + o, k);
		memcpy(y + o, t, k);
	}
}

int su_cmd_commit(struct su_model *live, struct su_plan *p)
{
	if (p->finished)
		return -EALREADY;
	if (!p->ok)
		return -EINVAL;
	if (p->next) {
		for (size_t i = 0; i < p->n_eff; i++) {
			struct su_effect *e = &p->eff[i];
			struct su_vm *vm;
			if (e->kind != SU_EFF_QEMU_START || !e->vm_index)
				continue;
			vm = su_model_vm_by_index(p->next, e->vm_index);
			if (vm)
				vm->rt.qemu_pid = e->pid;
		}
		struct su_hooks h = live->hooks;
		swap_bytes(live, p->next, sizeof(*live));
		live->hooks = h;
		for (size_t i = 0; i < p->n_events; i++)
			if (h.event)
				h.event(h.ctx, &p->events[i]);
	}
	p->finished = true;
	for (size_t i = 0; i < p->n_commit_msgs; i++) {
		push_str(&p->msgs, &p->n_msgs, &p->cap_msgs,
			 p->commit_msgs[i]); /* frees on failure */
		p->commit_msgs[i] = NULL;
	}
	return 0;
}

int su_cmd_abort(struct su_plan *p, int failed_eff, const char *reason)
{
	struct plan_ctx x = {.p = p};
	char vm[VMSTR_MAX] = "( ,*NONE)";

	if (p->finished)
		return -EALREADY;
	if (!p->ok)
		return -EINVAL;
	p->finished = true;
	if (failed_eff >= 0 && (size_t)failed_eff < p->n_eff && p->eff[failed_eff].vm_index)
		snprintf(vm, sizeof(vm), "(%u,%s)", p->eff[failed_eff].vm_index,
			 p->eff[failed_eff].vm_name);
	plan_msg(&x, "VMS4050", su_cmd_name(p->id), vm, reason ? reason : "unknown");
	p->ok = false;
	plan_rc(&x, "VMS4050", 32, 0);
	drop_change(p);
	return 0;
}

enum su_effect_kind su_effect_undo(enum su_effect_kind k)
{
	switch (k) {
	case SU_EFF_QEMU_START:
		return SU_EFF_QEMU_QUIT;
	case SU_EFF_QEMU_CONT:
		return SU_EFF_QEMU_STOP;
	case SU_EFF_QEMU_STOP:
		return SU_EFF_QEMU_CONT;
	case SU_EFF_DEVICE_ADD:
		return SU_EFF_DEVICE_REMOVE;
	case SU_EFF_DEVICE_REMOVE:
		return SU_EFF_DEVICE_ADD;
	case SU_EFF_MEDIUM_DETACH:
		return SU_EFF_MEDIUM_ATTACH;
	case SU_EFF_MEDIUM_ATTACH:
		return SU_EFF_MEDIUM_DETACH;
	case SU_EFF_REGION_WRITE:
		return SU_EFF_REGION_WRITE;
	default:
		return 0;
	}
}

const char *su_effect_kind_to_string(enum su_effect_kind k)
{
	static const char *const n[SU_EFF_KIND_MAX] = {
	    [SU_EFF_QEMU_START] = "qemu-start",		  [SU_EFF_QEMU_CONT] = "qemu-cont",
	    [SU_EFF_QEMU_RESET_CONT] = "qemu-reset-cont", [SU_EFF_QEMU_STOP] = "qemu-stop",
	    [SU_EFF_QEMU_POWERDOWN] = "qemu-powerdown",	  [SU_EFF_QEMU_QUIT] = "qemu-quit",
	    [SU_EFF_DEVICE_ADD] = "device-add",		  [SU_EFF_DEVICE_REMOVE] = "device-remove",
	    [SU_EFF_MEDIUM_DETACH] = "medium-detach",	  [SU_EFF_MEDIUM_ATTACH] = "medium-attach",
	    [SU_EFF_REGION_WRITE] = "region-write",
	    [SU_EFF_PARTNER_DEF_WRITE] = "partner-def-write"};
	return k >= SU_EFF_QEMU_START && k < SU_EFF_KIND_MAX ? n[k] : "?";
}

struct su_plan *su_plan_free(struct su_plan *p)
{
	if (!p)
		return NULL;
	drop_change(p);
	free_strs(p->msgs, p->n_msgs);
	free(p->lm);
	free(p->defmig);
	free(p);
	return NULL;
}

char *su_plan_result_json(const struct su_plan *p)
{
	json_t *msgs = json_array(), *o;
	char *s;

	if (!msgs)
		return NULL;
	for (size_t i = 0; i < p->n_msgs; i++)
		json_array_append_new(msgs, json_string(p->msgs[i]));
	o = json_pack("{s:o, s:{s:s, s:i, s:i}, s:b}", "messages", msgs, "rc", "maincode",
		      p->rc.maincode, "subcode1", (int)p->rc.subcode1, "subcode2",
		      (int)p->rc.subcode2, "ok", p->ok);
	if (!o)
		return NULL;
	if (p->lm) { /* the LM check's rows (lmcheck.h) for the API */
		char *chk = su_lm_check_json(p->lm);
		json_t *c = chk ? json_loads(chk, 0, NULL) : NULL;
		free(chk);
		if (!c || json_object_set_new(o, "check", c) < 0) {
			json_decref(o);
			return NULL;
		}
	}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}
