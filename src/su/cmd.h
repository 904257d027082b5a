/* cmd.h — the VM2000 command processor of the monitor system (vm2000.md §4): pure, no I/O.
 *
 * A command arrives as SDF text, is parsed by src/sdf (sdf_parse() with the table of
 * su/syntax.h), turned into a typed struct su_cmd by su_cmd_from_sdf(), and then runs in
 * two phases so that no command is ever partly applied:
 *
 *     struct su_cmd c;  su_cmd_from_sdf(tree, &c, &err);   // or build c directly (tests)
 *     struct su_plan *p = su_cmd_plan(live, &c, now_ms);   // never changes `live`
 *     for (i = 0; p->ok && i < p->n_eff; i++)
 *             if (carry_out(&p->eff[i]) < 0) {             // QEMU via the guard, QMP, CRD
 *                     undo effects i-1..0 (su_effect_undo());
 *                     su_cmd_abort(p, i, "QEMU did not start: ...");  // messages, rc
 *                     goto reply;
 *             }
 *     su_cmd_commit(live, p);     // live := p->next; state events emitted via live's hooks
 *  reply:
 *     p->msgs[0..n_msgs), p->rc, p->ok  →  the API answer / the monitor console
 *     su_plan_free(p);
 *
 * Effects are in the order to carry out; the model change counts only after all of them
 * succeeded and su_cmd_commit() ran. A rejected command has ok = false, its messages and
 * rc, no effects and next = NULL (do not commit or abort it: both refuse with -EINVAL);
 * an information command (SHOW-...) has ok = true, its output lines as messages, no
 * effects, next = NULL (its commit is a no-op).
 *
 * Messages: "% VMSnnnn TEXT" lines (every number in the catalogue, msgcat.h) and plain
 * output lines of the SHOW commands. rc: maincode "CMD0001" / "VMSnnnn", subcode1 (error
 * class: 0, 1 syntax, 32 internal, 64 semantic, 128 bottleneck, 130 unavailable),
 * subcode2 (0, 1 nothing to do, 2 warning), as vm2000-facts.md §1.1. */
#ifndef SEC_SU_CMD_H
#define SEC_SU_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"
#include "su/model.h"
#include "su/syntax.h"

struct su_lm_check;  /* su/lmcheck.h */
struct su_lm_defmig; /* su/lmcheck.h */

/* enum su_cmd_id (the command ids) comes from su/syntax.h (the sdf branch). */

/* VM-IDENTIFICATION (or VM-NAME of the *-VM-DEFINITION commands). */
enum su_vmid_kind {
	SU_VMID_NONE = 0,  /* operand not given / *CURRENT on the monitor = the monitor */
	SU_VMID_INDEX,	   /* <integer 1..99> */
	SU_VMID_NAME,	   /* <name 1..8> (SHOW-*: may hold wildcards '*') */
	SU_VMID_ALL,	   /* *ALL (SHOW-VM-DEFINITION VM-NAME=*ALL, SHOW-VM-ATTRIBUTES *VM2000) */
	SU_VMID_VM_GUESTS, /* SHUTDOWN-VM *VM-GUESTS */
	SU_VMID_VM2000,	   /* SHUTDOWN-VM *VM2000 (not yet available) */
	SU_VMID_KIND_MAX
};

struct su_vmid {
	enum su_vmid_kind kind;
	unsigned index;
	char name[SU_VM_NAME_MAX + 1];
};

/* One UNITS element: a single MN (to = "", pattern = ""), *DEVICE-RANGE(FROM, TO), or an
 * MN pattern with wildcards (pattern != "": '*' any string, '/' one character). usage:
 * the range's own USAGE (MODIFY-VM-DEFINITION *ADD), 0 = the command's. */
struct su_units_item {
	char from[SU_MN_MAX + 1];
	char to[SU_MN_MAX + 1];
	char pattern[21];
	enum su_usage usage;
};
#define SU_UNITS_MAX 28 /* list-poss(28) */

enum su_info {
	SU_INFO_STD = 1,
	SU_INFO_CPU,
	SU_INFO_MEMORY,
	SU_INFO_PRIVILEGES,
	SU_INFO_IPL,
	SU_INFO_UNITS,
	SU_INFO_MONJV,
	SU_INFO_CONFIGURATION,
	SU_INFO_ALL,
	SU_INFO_MAX
};

enum su_devop { SU_DEVOP_UNCHANGED = 0, SU_DEVOP_ADD, SU_DEVOP_REMOVE, SU_DEVOP_MAX };

/* SHOW-SYSTEM-INFORMATION SERVER-UNIT: whose data after an LM (seed 4.5) */
enum su_server_unit {
	SU_SERVER_UNIT_STD = 0, /* by MIGHOST (su_res.mighost_current), with NSI6231/NSI6232 */
	SU_SERVER_UNIT_IPL,	/* the SU of the IPL */
	SU_SERVER_UNIT_CURRENT, /* this SU */
	SU_SERVER_UNIT_MAX
};

/* A typed command. Fields not used by a command are ignored; "unchanged" markers for
 * MODIFY-*: memory_mib 0, cpus 0, vm_index -1, persistent -1, pool/group "" (group "*NONE"
 * removes the group). */
struct su_cmd {
	enum su_cmd_id id;
	const char *text;		/* the command as entered (may be NULL); not owned */
	struct su_vmid vm;		/* VM-IDENTIFICATION / VM-NAME */
	int vm_index;			/* VM-INDEX: 0 = *ANY, -1 = *UNCHANGED, else 2..99 */
	uint64_t memory_mib;		/* MEMORY-SIZE with DIMENSION applied; 0 = unchanged */
	unsigned cpus;			/* multiprocessor level; 0 = *STD (1) / unchanged */
	char pool[SU_VM_NAME_MAX + 2];	/* CPU-POOL-NAME; "" = *STDPOOL / unchanged */
	char group[SU_VM_NAME_MAX + 1]; /* VM-GROUP-NAME (/390); "" = none / unchanged */
	int persistent;			/* PERSISTENT: 1 *YES, 0 *NO, -1 default/unchanged */
	char monjv[SU_MONJV_MAX + 1];	/* MONJV (CREATE-VM, ACTIVATE-VM-DEFINITION), "" none */
	/* devices: CREATE-*: DEVICES=list; ADD/REMOVE-VM-DEVICES: UNITS=; MODIFY-VM-DEFINITION:
	 * DEVICES=*ADD(UNITS=...,USAGE=) / *REMOVE(UNITS=...) */
	enum su_devop devop;
	unsigned n_units;
	struct su_units_item units[SU_UNITS_MAX];
	bool units_all;	     /* REMOVE-VM-DEVICES UNITS=*ALL */
	enum su_usage usage; /* 0 = default (*EXCLUSIVE); TYPE=*SD -> SHARED */
	/* START-VM */
	char ipl_unit[SU_MN_MAX + 1]; /* "" = *STD (the IPL unit last used) */
	bool hold;		      /* HOLD=*YES (/390) */
	bool check_state_no;	      /* CHECK-VM-STATE=*NO (DELETE-VM, START-VM) */
	/* SHOW-* */
	enum su_info info; /* 0 = *STD */
	enum su_server_unit server_unit; /* SHOW-SYSTEM-INFORMATION SERVER-UNIT */
	/* HELP-MSG-INFORMATION / SHOW-JV */
	char msg_id[16];		/* "VMS4013" */
	char jv_name[SU_MONJV_MAX + 1]; /* SHOW-JV JV-NAME: a MONJV name, or a VM name */
	/* CHECK-VM-MIGRATION, MIGRATE-VM, MIGRATE-VM-DEFINITION, RECOVER-VM-DEFINITION */
	char su_name[SU_NAME_MAX + 1]; /* SERVER-UNIT-NAME: "" = *UNIQUE */
};

enum su_effect_kind {
	SU_EFF_QEMU_START = 1,	/* start QEMU paused (-S) for vm_index with the name, memory,
				 * CPUs and devices of that VM in plan->next; mn = the IPL disk
				 * ("" = none known yet: no -kernel, no bootindex); the daemon
				 * fills eff.pid */
	SU_EFF_QEMU_CONT,	/* QMP cont (first start, RESUME-VM) */
	SU_EFF_QEMU_RESET_CONT, /* QMP system_reset + cont (START-VM from DOWN) */
	SU_EFF_QEMU_STOP,	/* QMP stop (HOLD-VM, /390) */
	SU_EFF_QEMU_POWERDOWN,	/* QMP system_powerdown; when no SHUTDOWN event arrives within
				 * grace_ms: QMP stop and su_vm_guest_down() (state DOWN) */
	SU_EFF_QEMU_QUIT,	/* QMP quit, or kill by the guard; wait until reaped */
	SU_EFF_DEVICE_ADD,	/* hot-add mn to the running QEMU (disk: blockdev-add +
				 * device_add; tape/local disk: medium into its drive) */
	SU_EFF_DEVICE_REMOVE,	/* hot-remove mn (disk: device_del; tape/local disk: eject) */
	SU_EFF_MEDIUM_DETACH,	/* blockdev-open-tray(force) + blockdev-remove-medium (LM) */
	SU_EFF_MEDIUM_ATTACH,	/* blockdev-add + insert-medium + close-tray */
	SU_EFF_REGION_WRITE,	/* write su_model_to_json(plan->next) as the SU's CRD region */
	SU_EFF_PARTNER_DEF_WRITE, /* MIGRATE-VM-DEFINITION: the partner SU's secd writes
				   * plan->defmig into its region (su/lmcheck.h) */
	SU_EFF_KIND_MAX
};

struct su_effect {
	enum su_effect_kind kind;
	unsigned vm_index; /* 0 for REGION_WRITE */
	char vm_name[SU_VM_NAME_MAX + 1];
	crd_uuid vm_uuid;
	char mn[SU_MN_MAX + 1]; /* DEVICE_*, MEDIUM_*; QEMU_START: IPL disk */
	uint32_t grace_ms;	/* POWERDOWN */
	int32_t pid;		/* out: QEMU_START fills the QEMU's pid */
	bool done;		/* out: the daemon sets it when carried out */
	bool lm_incoming;	/* QEMU_START of an LM target: -incoming defer (su/lmrun.h) */
};

/* bytes of one console line, NUL included: an LM abort's VMS2426 names the reasons of both SUs
 * (docs/lm.md "Abort") */
#define SU_MSG_MAX	     640
#define SU_SHUTDOWN_GRACE_MS 10000 /* POWERDOWN: then stop and DOWN */
#define SU_MAINCODE_MAX	     8

struct su_rc {
	char maincode[SU_MAINCODE_MAX + 1]; /* "CMD0001", "VMS4013" */
	unsigned subcode1;
	unsigned subcode2;
};

struct su_plan {
	bool ok; /* command accepted (so far: abort makes it false) */
	enum su_cmd_id id;
	struct su_rc rc;
	char **msgs; /* console lines, owned */
	size_t n_msgs, cap_msgs;
	struct su_effect *eff; /* owned */
	size_t n_eff, cap_eff;
	struct su_model *next;	 /* the model after the change (owned); NULL: no change */
	struct su_event *events; /* state events of next, emitted at commit (owned) */
	size_t n_events, cap_events;
	char **commit_msgs; /* messages that count only after commit (VMS3000 ...) */
	size_t n_commit_msgs, cap_commit_msgs;
	struct su_lm_check *lm;	      /* CHECK-VM-MIGRATION: the check (rows), owned */
	struct su_lm_defmig *defmig;  /* MIGRATE-VM-DEFINITION: the target's part, owned */
	bool finished;		    /* committed or aborted */
	struct su_hooks live_hooks; /* internal: the live model's hooks at planning time */
};

/* The name in the command text form, "CREATE-VM" (no slash); "?" out of range
 * (= su_cmd_id_to_string() of su/syntax.h). */
const char *su_cmd_name(enum su_cmd_id id);

/* Plans command c against live (not changed). now_ms: wall clock, ms since the epoch
 * (INIT-ONLY/RUNNING times, MONJV start). Returns the plan, or NULL on out-of-memory only
 * (every rejection is a plan with ok = false). Free with su_plan_free(). */
struct su_plan *su_cmd_plan(const struct su_model *live, const struct su_cmd *c, int64_t now_ms);

/* Makes the change count: copies the daemon's outputs (eff[].pid) into plan->next, swaps
 * the contents of *live and *plan->next (live keeps its hooks), emits the plan's events
 * through live's event hook, and appends the commit messages (VMS3000 ...) to msgs.
 * Returns 0, or -EALREADY when the plan was already committed or aborted, -EINVAL when
 * the plan is not ok (rejected); never fails otherwise (no allocation needed, but a
 * commit message may be lost on out-of-memory). A plan without next (SHOW, SHUTDOWN-VM)
 * changes no model; its commit messages are appended. */
int su_cmd_commit(struct su_model *live, struct su_plan *p);

/* Effect number failed_eff (or -1 for "before any effect") could not be carried out:
 * nothing of the change counts. Adds "% VMS4050 COMMAND /X FOR VM (i,name) NOT EXECUTED.
 * REASON: <reason>", rc {VMS4050, 32, 0}, ok = false. Returns 0, -EALREADY (already
 * committed or aborted) or -EINVAL (a rejected plan: nothing to abort). */
int su_cmd_abort(struct su_plan *p, int failed_eff, const char *reason);

/* The effect that undoes a carried-out effect of kind k (START -> QUIT, CONT -> STOP,
 * STOP -> CONT, DEVICE_ADD -> DEVICE_REMOVE, DEVICE_REMOVE -> DEVICE_ADD, MEDIUM_DETACH ->
 * MEDIUM_ATTACH, MEDIUM_ATTACH -> MEDIUM_DETACH, REGION_WRITE -> REGION_WRITE of the live
 * model), or 0 when there is none (RESET_CONT, POWERDOWN, QUIT, PARTNER_DEF_WRITE: a
 * definition the partner wrote is never taken back, su_lm_defmig_fail() says why). */
enum su_effect_kind su_effect_undo(enum su_effect_kind k);
const char *su_effect_kind_to_string(enum su_effect_kind k);

struct su_plan *su_plan_free(struct su_plan *p);

/* Convenience for secd: the plan's messages and rc as the API object
 *   {"messages": [...], "rc": {"maincode", "subcode1", "subcode2"}, "ok": true}
 * plus, when plan->lm is set (/CHECK-VM-MIGRATION, /MIGRATE-VM), "check": the object of
 * su_lm_check_json() (lmcheck.h: rows, messages, rc of the check; seed 4.7)
 * (malloc'd text; NULL on out-of-memory). */
char *su_plan_result_json(const struct su_plan *p);

/* ---- events from outside commands (QMP events, guard reports) ----
 * Each changes the live model directly through su_vm_set_state() (events emitted) and
 * returns 1 when the model changed (the daemon then writes the region), 0 when nothing
 * was to do, -ENOENT for an unknown VM index. A console message for the monitor console
 * ("% VMS4021 ...") is written to msg (SU_MSG_MAX bytes) when msg is not NULL and the
 * return is 1, else msg = "". */
/* The guest shut down (QMP SHUTDOWN with -no-shutdown), or the POWERDOWN grace ran out:
 * RUNNING/IN_HOLD -> DOWN; QEMU stays. */
int su_vm_guest_down(struct su_model *m, unsigned vm_index, const char *why, char *msg);
/* The VM's QEMU is gone (exit status / signal in why): -> NOT INITIALIZED (DEFINED_ONLY);
 * a non-persistent definition is removed. fenced: the guard fenced it -> FENCED. The
 * caller reports only exits it did not ask for (not the QEMU_QUIT of an effect, e.g.
 * /START-VM restarting a never-run QEMU with its IPL disk, or /DELETE-VM). */
int su_vm_qemu_gone(struct su_model *m, unsigned vm_index, bool fenced, const char *why, char *msg);

/* ---- the parse tree ----
 * Fills ret from a parse tree of src/sdf (sdf_parse() with su_syntax of su/syntax.h).
 * text: the command as entered (kept as a pointer in ret->text; may be NULL).
 * Returns 0, or -EINVAL with reterr for a value the syntax table let through but the
 * command cannot use (an MN pattern with wildcards, *PUBSET-DEVICES, a MEMORY-SIZE above
 * 2^40 MiB); secd then answers "% CMD0202 ..." with rc {CMD0202, 1, 0}.
 * su_cmd_plan_text() does all of it: parse, convert, plan; a syntax error gives a plan with
 * "% CMD0202 SYNTAX ERROR IN COMMAND: position N: ..." and rc {CMD0202, 1, 0}. */
int su_cmd_from_sdf(const struct sdf_cmd *tree, const char *text, struct su_cmd *ret,
		    struct sec_err *reterr);
struct su_plan *su_cmd_plan_text(const struct su_model *live, const char *text, int64_t now_ms);

#endif
