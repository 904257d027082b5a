/* cmd_priv.h — internals of the command processor shared by cmd*.c (and unit tests). */
#ifndef SEC_SU_CMD_PRIV_H
#define SEC_SU_CMD_PRIV_H

#include "su/cmd.h"
#include "su/vmstate.h"

/* "(3,VM1)" */
#define VMSTR_MAX 32
const char *su_vmstr(const struct su_vm *vm, char out[VMSTR_MAX]);

/* The plan under construction. p->oom is set on any allocation failure. */
struct plan_ctx {
	struct su_plan *p;
	const struct su_model *live;
	const struct su_cmd *c;
	int64_t now_ms;
	bool oom;
};

/* "% ID text" with the catalogue's template of id ("% ID ?" for an id missing from the
 * catalogue, which test_su_msgcat prevents). */
void plan_msg(struct plan_ctx *x, const char *id, ...);
/* The same, appended at commit only. */
void plan_commit_msg(struct plan_ctx *x, const char *id, ...);
/* A plain output line (SHOW-...). */
void plan_line(struct plan_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Rejects: ok = false, rc {maincode, sc1, 0}; effects and next dropped. Returns -1 for
 * `return plan_reject(...)`. */
int plan_reject(struct plan_ctx *x, const char *maincode, unsigned sc1);
/* Rejects with the number of the first message given as maincode. */
int plan_reject_first(struct plan_ctx *x, unsigned sc1);
/* rc of an accepted command (default CMD0001 0 0). */
void plan_rc(struct plan_ctx *x, const char *maincode, unsigned sc1, unsigned sc2);
/* The new model (a copy of live made on first use; state events of it are recorded in the
 * plan). NULL on out-of-memory (x->oom set). */
struct su_model *plan_next(struct plan_ctx *x);
/* A definition that came from another SU (/MIGRATE-VM-DEFINITION's target, RECOVER):
 * appends a copy of vm to next (the caller checked the room) as NOT INITIALIZED at index
 * with vm_uuid, runtime zeroed, emits the event "VM definition (i,name) <how> SU '<su>'",
 * adds the REGION_WRITE. Returns the new VM. */
struct su_vm *plan_take_definition(struct plan_ctx *x, struct su_model *next,
				   const struct su_vm *vm, unsigned index, const crd_uuid *vm_uuid,
				   const char *how, const char *su);
/* Appends an effect for vm (may be NULL: REGION_WRITE). Returns it (NULL: oom). */
struct su_effect *plan_effect(struct plan_ctx *x, enum su_effect_kind k, const struct su_vm *vm,
			      const char *mn);

/* The monitor: index 1 or name MONITOR. */
bool su_vmid_is_monitor(const struct su_vmid *id);
/* The VM named by id in m, initialized or not; NULL if none. */
struct su_vm *su_vmid_find(const struct su_model *m, const struct su_vmid *id);
/* id as the user wrote it: "VM1" or "5". */
const char *su_vmid_str(const struct su_vmid *id, char out[VMSTR_MAX]);

/* Resolves c->vm to an initialized (or FENCED) VM of the live model: VMS4041 for the
 * monitor, VMS4000 when no such VM matches, VMS3042 while it migrates. Returns the live VM
 * or NULL (rejected). */
const struct su_vm *cmd_resolve_initialized(struct plan_ctx *x);

/* Device list helpers. A requested device set: MNs with a usage. */
struct devreq {
	unsigned n;
	struct su_vmdev d[SU_VM_DEVS_MAX * 2];
};
/* Expands c->units against the I/O configuration (ADD) into out; errors as messages
 * (VMS4001, VMS4008, VMS4010). Returns 0 or -1 (messages given). */
int cmd_expand_units_io(struct plan_ctx *x, enum su_usage usage, struct devreq *out);
/* Expands c->units against vm's devices (REMOVE): VMS4007 for a single MN not assigned.
 * Returns 0 or -1. */
int cmd_expand_units_vm(struct plan_ctx *x, const struct su_vm *vm, struct devreq *out);
/* Checks that vm's devices (all of them, vm about to be initialized, or the extra ones
 * in add) do not conflict with other initialized VMs of m: VMS4001 (not generated),
 * VMS4003, VMS4004. Reports every conflict. Returns 0 or -1. */
int cmd_check_dev_conflicts(struct plan_ctx *x, const struct su_model *m, const struct su_vm *vm,
			    const struct su_vmdev *devs, unsigned n);
/* Activation checks for vm (max VMs VMS4016, memory VMS4504, devices). Returns 0 or -1
 * (rejected with the first failure's maincode). */
int cmd_check_activation(struct plan_ctx *x, const struct su_vm *vm);
/* Initializes vm in next (state INIT_ONLY, runtime, QEMU_START effect, messages). */
int cmd_activate(struct plan_ctx *x, struct su_vm *nvm, const char *why);
/* Pool/group/CPUs checks (VMS4620, VMS4621, VMS3011, VMS4622). Returns 0 or -1. */
int cmd_check_pool(struct plan_ctx *x, const char *pool, const char *group, unsigned cpus,
		   const char *vmstr);
int cmd_reject_x86(struct plan_ctx *x);

/* ---- lmcheck.c internals, shared with lmdef.c (MIGRATE-VM-DEFINITION) ---- */
struct su_lm_ctx;
struct su_lm_check;
/* Target detection: VMS2342 (the local SU), VMS2341 (*UNIQUE without a partner),
 * VMS2400 (not detected) as a line and rc {.., 64, 0} in c: returns -1; else 0 and
 * c->target set. */
int su_lm_check_target(const struct su_model *src, const struct su_model *tgt,
		       const struct su_lm_ctx *ctx, struct su_lm_check *c);
/* Rows for the SU Cluster (VMS2347, VMS2343, VMS2402) and type/mode (VMS2410). */
void su_lm_check_cluster(const struct su_model *src, const struct su_model *tgt,
			 const struct su_lm_ctx *ctx, struct su_lm_check *c);
/* Rows for the definition on the target: name (VMS4013), index (VMS4011; VMS4012 for a
 * *ANY index when none is free), limit (VMS2311), pool (VMS4620, VMS2437), group
 * (VMS4621). Sets c->target_index. */
void su_lm_check_target_def(const struct su_model *tgt, const struct su_vm *vm,
			    struct su_lm_check *c);

/* handlers: return 0 (accepted) or -1 (rejected, messages and rc set) */
int cmd_create_vm(struct plan_ctx *x);
int cmd_create_def(struct plan_ctx *x);
int cmd_modify_def(struct plan_ctx *x);
int cmd_activate_def(struct plan_ctx *x);
int cmd_delete_def(struct plan_ctx *x);
int cmd_start_vm(struct plan_ctx *x);
int cmd_shutdown_vm(struct plan_ctx *x);
int cmd_delete_vm(struct plan_ctx *x);
int cmd_hold_vm(struct plan_ctx *x);
int cmd_resume_vm(struct plan_ctx *x);
int cmd_add_devices(struct plan_ctx *x);
int cmd_remove_devices(struct plan_ctx *x);
int cmd_modify_attr(struct plan_ctx *x);
int cmd_show_def(struct plan_ctx *x);
int cmd_show_res(struct plan_ctx *x);
int cmd_show_attr(struct plan_ctx *x);
int cmd_show_jv(struct plan_ctx *x);
int cmd_show_sysinfo(struct plan_ctx *x);    /* cmd_lmshow.c */
int cmd_show_lm_history(struct plan_ctx *x); /* cmd_lmshow.c */
int cmd_help_msg(struct plan_ctx *x);

#endif
