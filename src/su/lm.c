/* lm.c — console lines, KVP lines and event texts of an LM by SU type (lm.h, vm2000.md §5,
 * seed 4.6), IPL data and history of a VM (seed 4.5). The MONJV of an LM is in lmjv.c. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "su/lm.h"
#include "su/msgcat.h"

#define BY_SYSADM " (BY SYSADM)" /* x86: device lines of an LM (seed 4.6.2) */

/* The message numbers of each step, in order, by SU type and side (vm2000.md §5; a step
 * not listed has no line). Two exceptions are applied in su_lm_console_lines(): VMS2425
 * for VMS2426 on a non-converged /390 source, and no VMS2050 for a guest that is not
 * running. */
struct step_lines {
	enum su_type t;
	enum su_lm_side side;
	enum su_lm_step step;
	const char *id[2];
};

static const struct step_lines steps[] = {
    {SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_BEGIN, {"VMS2450"}},
    {SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_DEVICE, {"VMS4009"}},
    {SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_END, {"VMS6021", "VMS2451"}},
    {SU_TYPE_X86, SU_LM_SOURCE, SU_LM_STEP_ABORTED, {"VMS2426"}},
    {SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_BEGIN, {"VMS6020"}},
    {SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_DEVICE, {"VMS4005"}},
    {SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_END, {"VMS2050"}},
    {SU_TYPE_X86, SU_LM_TARGET, SU_LM_STEP_ABORTED, {"VMS2426"}},
    {SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_BEGIN, {"VMS2450"}},
    {SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_DEVICE, {"VMS4009"}},
    {SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_SUSPENDED, {"VMS2452"}},
    {SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_END, {"VMS4024", "VMS2451"}},
    {SU_TYPE_390, SU_LM_SOURCE, SU_LM_STEP_ABORTED, {"VMS2426"}},
    {SU_TYPE_390, SU_LM_TARGET, SU_LM_STEP_BEGIN, {"VMS2430", "VMS3050"}},
    {SU_TYPE_390, SU_LM_TARGET, SU_LM_STEP_DEVICE, {"VMS4005"}},
    {SU_TYPE_390, SU_LM_TARGET, SU_LM_STEP_RESUMED, {"VMS2432"}},
    {SU_TYPE_390, SU_LM_TARGET, SU_LM_STEP_END, {"VMS2431"}},
    {SU_TYPE_390, SU_LM_TARGET, SU_LM_STEP_ABORTED, {"VMS2426"}},
};

static const struct step_lines *step_of(enum su_type t, enum su_lm_side side, enum su_lm_step step)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].t == t && steps[i].side == side && steps[i].step == step)
			return &steps[i];
	return NULL;
}

static bool in_range(enum su_type t, enum su_lm_side side, enum su_lm_step step)
{
	return t >= SU_TYPE_X86 && t < SU_TYPE_MAX && side >= SU_LM_SOURCE &&
	       side < SU_LM_SIDE_MAX && step >= SU_LM_STEP_BEGIN && step < SU_LM_STEP_MAX;
}

static const char *str(const char *s)
{
	return s ? s : "?";
}

/* One line of message id with the inserts that id takes (msgcat.c). */
static void format_line(enum su_type t, const char *id, const struct su_lm_msgargs *a,
			char out[SU_MSG_MAX])
{
	const char *x86 = t == SU_TYPE_X86 ? BY_SYSADM : "";
	char sfx[32];

	if (!strcmp(id, "VMS2450") || !strcmp(id, "VMS2451") || !strcmp(id, "VMS2452") ||
	    !strcmp(id, "VMS2425"))
		su_msg_format(out, SU_MSG_MAX, id, str(a->vm), str(a->target));
	else if (!strcmp(id, "VMS2430") || !strcmp(id, "VMS2431") || !strcmp(id, "VMS2432"))
		su_msg_format(out, SU_MSG_MAX, id, str(a->vm), str(a->source));
	else if (!strcmp(id, "VMS4009")) {
		su_msg_format(out, SU_MSG_MAX, id, str(a->mn), str(a->vm));
		strncat(out, x86, SU_MSG_MAX - strlen(out) - 1);
	} else if (!strcmp(id, "VMS4005")) {
		snprintf(sfx, sizeof(sfx), "%s%s", a->shared ? " (TYPE=SD)" : "", x86);
		su_msg_format(out, SU_MSG_MAX, id, str(a->mn), str(a->vm), sfx);
	} else if (!strcmp(id, "VMS2426"))
		su_msg_format(out, SU_MSG_MAX, id, str(a->vm), a->reason ? a->reason : "UNKNOWN");
	else /* VMS3050, VMS4024, VMS6020, VMS6021, VMS2050: the VM only */
		su_msg_format(out, SU_MSG_MAX, id, str(a->vm));
}

size_t su_lm_console_lines(enum su_type t, enum su_lm_side side, enum su_lm_step step,
			   const struct su_lm_msgargs *a, char out[][SU_MSG_MAX], size_t max)
{
	const struct step_lines *sl = step_of(t, side, step);
	size_t n = 0;

	if (!a || !sl)
		return 0;
	for (size_t i = 0; i < 2 && sl->id[i] && n < max; i++) {
		const char *id = sl->id[i];
		if (!strcmp(id, "VMS2050") && a->guest_stopped)
			continue;
		if (!strcmp(id, "VMS2426") && side == SU_LM_SOURCE && t == SU_TYPE_390 &&
		    a->not_converged)
			id = "VMS2425";
		format_line(t, id, a, out[n++]);
	}
	return n;
}

bool su_lm_kvp_line(enum su_type t, enum su_lm_side side, enum su_lm_step step, char *out,
		    size_t cap)
{
	const char *id = NULL;

	if (t == SU_TYPE_X86 && side == SU_LM_SOURCE && step == SU_LM_STEP_SUSPENDED)
		id = "HAL0331";
	else if (t == SU_TYPE_X86 && side == SU_LM_TARGET && step == SU_LM_STEP_RESUMED)
		id = "HAL0332";
	if (cap)
		out[0] = '\0';
	if (!id)
		return false;
	/* the KVP console shows the number without the monitor's "% " (seed 4.6.2) */
	snprintf(out, cap, "%s %s", id, su_msg_find(id)->text);
	return true;
}

size_t su_lm_event_texts(enum su_type t, enum su_lm_side side, enum su_lm_step step, const char *vm,
			 const char *su, char out[][SU_LM_EVENT_MAX], size_t max)
{
	const char *what[2] = {NULL, NULL};
	size_t n = 0;

	if (!in_range(t, side, step))
		return 0;
	if (side == SU_LM_SOURCE && step == SU_LM_STEP_SUSPENDED)
		what[0] = "paused";
	else if (side == SU_LM_TARGET && step == SU_LM_STEP_END)
		what[0] = "created";
	else if (side == SU_LM_SOURCE && step == SU_LM_STEP_END) {
		what[0] = t == SU_TYPE_X86 ? "deactivated" : "deleted";
		what[1] = t == SU_TYPE_X86 ? "deleted" : NULL;
	}
	for (size_t i = 0; i < 2 && what[i]; i++, n++)
		if (n < max)
			snprintf(out[n], SU_LM_EVENT_MAX, "VM '%s' on Server Unit '%s' %s", str(vm),
				 str(su), what[i]);
	return n < max ? n : max;
}

/* ---- IPL data and history ---- */

void su_lm_ipl_set(struct su_vm *vm, const char *su, int64_t now_ms)
{
	snprintf(vm->ipl_su, sizeof(vm->ipl_su), "%s", str(su));
	vm->ipl_ms = now_ms;
	vm->ipl_index = vm->index;
	vm->lm_count = 0;
	vm->n_hist = 0;
	memset(vm->hist, 0, sizeof(vm->hist));
}

void su_lm_history_add(struct su_vm *vm, const char *source, const char *target, unsigned new_index,
		       int64_t now_ms)
{
	if (vm->n_hist >= SU_LM_HIST_MAX) {
		memmove(&vm->hist[0], &vm->hist[1], (SU_LM_HIST_MAX - 1) * sizeof(vm->hist[0]));
		vm->n_hist = SU_LM_HIST_MAX - 1;
	}
	struct su_lm_hist *h = &vm->hist[vm->n_hist++];
	memset(h, 0, sizeof(*h));
	h->count = ++vm->lm_count;
	h->ms = now_ms;
	snprintf(h->source, sizeof(h->source), "%s", str(source));
	snprintf(h->target, sizeof(h->target), "%s", str(target));
	h->index = new_index;
}

const char *su_lm_step_to_string(enum su_lm_step s)
{
	static const char *const n[SU_LM_STEP_MAX] = {[SU_LM_STEP_BEGIN] = "begin",
						      [SU_LM_STEP_DEVICE] = "device",
						      [SU_LM_STEP_SUSPENDED] = "suspended",
						      [SU_LM_STEP_RESUMED] = "resumed",
						      [SU_LM_STEP_END] = "end",
						      [SU_LM_STEP_ABORTED] = "aborted"};
	return s >= SU_LM_STEP_BEGIN && s < SU_LM_STEP_MAX ? n[s] : "?";
}

const char *su_lm_side_to_string(enum su_lm_side s)
{
	return s == SU_LM_SOURCE ? "source" : s == SU_LM_TARGET ? "target" : "?";
}

void su_lm_src_io_set(struct su_model *m, const char *source, const struct su_iocfg *io)
{
	struct su_lm_src_io *r = &m->lm_src_io;

	snprintf(r->su, sizeof(r->su), "%s", source);
	r->n = 0;
	for (unsigned i = 0; i < io->n && i < SU_IODEV_MAX; i++)
		snprintf(r->mn[r->n++], sizeof(r->mn[0]), "%s", io->dev[i].mn);
}

const char *su_lm_diff_refuses(const struct su_model *m, const struct su_vm *vm, const char *mn)
{
	const struct su_lm_src_io *r = &m->lm_src_io;

	if (!vm->rt.diff || !r->su[0])
		return NULL;
	for (unsigned i = 0; i < r->n && i < SU_IODEV_MAX; i++)
		if (strcasecmp(r->mn[i], mn) == 0)
			return NULL;
	return r->su;
}
