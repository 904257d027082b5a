/* vmstate.h — the VM lifecycle state machine (vm2000.md §3, vm2000-facts.md §2.1).
 *
 * One function, su_vm_set_state(), makes every state change of a VM: it checks that the VM
 * is in the expected old state (compare-and-set) and that old -> new is in the transition
 * table, changes the state and emits one event (component "Sys-Mgmt") through the model's
 * event hook:  `VM (3,VM1) state INIT-ONLY -> RUNNING (START-VM)`.
 *
 * Transition table (the only legal ones; everything else is -EPERM):
 *   DEFINED_ONLY -> INIT_ONLY        /CREATE-VM, /ACTIVATE-VM-DEFINITION
 *   DEFINED_ONLY -> CONFLICT         reconcile (crd.md §6)
 *   INIT_ONLY    -> RUNNING          /START-VM
 *   INIT_ONLY    -> IN_HOLD          /START-VM HOLD=*YES (/390)
 *   DOWN         -> RUNNING          /START-VM (system_reset + cont)
 *   DOWN         -> IN_HOLD          /START-VM HOLD=*YES (/390)
 *   RUNNING      -> IN_HOLD          /HOLD-VM (/390)
 *   IN_HOLD      -> RUNNING          /RESUME-VM (/390)
 *   RUNNING      -> DOWN             guest shutdown (QMP SHUTDOWN), /SHUTDOWN-VM grace over
 *   IN_HOLD      -> DOWN             guest ended while held
 *   INIT_ONLY, RUNNING, IN_HOLD, DOWN -> DEFINED_ONLY   /DELETE-VM, QEMU gone
 *   INIT_ONLY, RUNNING, IN_HOLD, DOWN -> FENCED         the guard fenced the guest
 *   FENCED       -> DEFINED_ONLY     operator acknowledges (/DELETE-VM)
 *   CONFLICT     -> DEFINED_ONLY     the partner no longer holds the vm_uuid
 *   DEFINED_ONLY -> SETUP_MIGR       LM target setup (later issue)
 *   SETUP_MIGR   -> INIT_ONLY, RUNNING, DOWN            LM committed on the target
 *   SETUP_MIGR   -> DEFINED_ONLY     LM aborted on the target (then removed)
 * The "(MIGR)" suffix of a source VM is the runtime flag rt.migr, not a state. */
#ifndef SEC_SU_VMSTATE_H
#define SEC_SU_VMSTATE_H

#include <stdbool.h>

#include "su/model.h"

/* VM2000 spelling: "NOT INITIALIZED" (DEFINED_ONLY), "INIT-ONLY", "RUNNING",
 * "IN HOLD (WAIT)", "DOWN", "SETUP(MIGR)", "FENCED", "CONFLICT"; "?" out of range. */
const char *su_vm_state_to_string(enum su_vm_state s);
/* SE Manager spelling: "DEFINED_ONLY", "INIT_ONLY", "RUNNING", "IN_HOLD", "DOWN",
 * "SETUP_MIGR", "FENCED", "CONFLICT"; "?" out of range. */
const char *su_vm_state_to_sem(enum su_vm_state s);
/* Parses either spelling; returns 0 or -EINVAL. */
int su_vm_state_parse(const char *s, enum su_vm_state *ret);
/* The VM2000 spelling with "(MIGR)" appended when vm->rt.migr ("RUNNING(MIGR)"); out must
 * hold 24 bytes. Returns out. */
const char *su_vm_state_show(const struct su_vm *vm, char out[24]);

/* Whether old -> new is in the table. */
bool su_vm_transition_legal(enum su_vm_state old, enum su_vm_state new_state);

/* The one state change. vm must belong to m. why: what caused it ("START-VM", "QEMU
 * exited with status 9"), shown in the event; may be NULL. Returns 0 (changed, one event
 * emitted), -ESTALE (vm->state != old: nothing changed), -EPERM (old -> new illegal:
 * nothing changed), -EINVAL (state out of range). Event weight: NOTICE, WARNING for
 * FENCED, CONFLICT and a QEMU that went away (why starting with "QEMU"). */
int su_vm_set_state(struct su_model *m, struct su_vm *vm, enum su_vm_state old,
		    enum su_vm_state new_state, const char *why);

#endif
