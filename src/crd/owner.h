/* owner.h — VM definition ownership (crd.md §6): definitions, tombstones, former-owner
 * records and LM records of one SU, the reconcile, RECOVER and LM decisions, and the
 * JSON payload of the SU's CRD region.
 *
 * An SU's region (struct crd_owner_region, fixed capacity, no allocation) holds its VM
 * definitions, each with a vm_uuid and an epoch, plus:
 *   tombstones   {vm_uuid, epoch, recovered_from}: a deleted definition that was ever
 *                recovered; no copy with epoch <= that epoch may come back;
 *   former       {vm_uuid, epoch}: this SU gave up (or never holds) vm_uuid and
 *                acknowledges the partner's tombstone; the tombstone goes when read;
 *   lm           "outgoing lm_id" (source), "incoming lm_id" (target), "abort lm_id"
 *                (target, after a commit in doubt).
 * Everything here is pure: callers read regions from the CRD, call these functions and
 * write the result (with the I/O rules of crd.md §3, §5, §6 — this module does none).
 *
 *   reconcile: crd_owner_reconcile(&own, &partner, &new_own, &report)
 *   recover:   crd_owner_recover_check(&req, &newdef, &msgid, &err) then crd_owner_add()
 *   LM:        crd_owner_lm_add() at setup, crd_lm_commit() on the target,
 *              crd_lm_target_abort(), crd_lm_source_decide() on a source restart,
 *              crd_lm_source_finish() / crd_lm_source_resume()
 *   payload:   crd_owner_to_json() / crd_owner_from_json()
 *
 * Validity: a definition is usable (may start) on an SU only when the SU is serving
 * (reconciled since it came back), the copy is not CONFLICT, and the SU has no outgoing LM
 * record for it. */
#ifndef SEC_CRD_OWNER_H
#define SEC_CRD_OWNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crd/alive.h"
#include "crd/ondisk.h"
#include "lib/err.h"

#define CRD_VM_NAME_MAX 64 /* bytes; VM2000 names are 1..8, the SE Manager allows more */
#define CRD_OWNER_DEFS_MAX 128
#define CRD_OWNER_TOMBS_MAX 128
#define CRD_OWNER_FORMERS_MAX 128
#define CRD_OWNER_LM_MAX 16

enum crd_vmdef_flags {
	CRD_VMDEF_CONFLICT = 1u << 0,     /* same vm_uuid valid-looking on both SUs: never starts */
	CRD_VMDEF_DEFINED_ONLY = 1u << 1, /* persistent definition only (after RECOVER) */
	CRD_VMDEF_FENCED = 1u << 2,       /* the guard fenced its guest: never restarted by the SU */
	CRD_VMDEF_FLAGS_ALL = 7u
};

struct crd_vmdef {
	crd_uuid vm_uuid;
	char name[CRD_VM_NAME_MAX + 1];
	uint64_t epoch;
	uint32_t owner;          /* SU unit id */
	uint32_t migrated_from;  /* unit id of the LM source of this epoch, or 0 */
	uint32_t recovered_from; /* unit id it was ever recovered from (kept across LM), or 0 */
	uint64_t lm_id;          /* the LM that committed this epoch, or 0 */
	uint32_t flags;          /* enum crd_vmdef_flags */
};

struct crd_tombstone {
	crd_uuid vm_uuid;
	uint64_t epoch;
	uint32_t recovered_from;
};

struct crd_former {
	crd_uuid vm_uuid;
	uint64_t epoch;
};

enum crd_lm_kind {
	CRD_LM_OUTGOING = 1, /* source: "outgoing lm_id" */
	CRD_LM_INCOMING,     /* target: "incoming lm_id" */
	CRD_LM_ABORT,        /* target: "abort lm_id" */
	CRD_LM_KIND_MAX
};

struct crd_lm_rec {
	enum crd_lm_kind kind;
	uint64_t lm_id;
	crd_uuid vm_uuid;
	uint32_t peer; /* the other SU of the LM */
};

/* The payload of SU `unit`'s region. */
struct crd_owner_region {
	uint32_t unit;
	uint32_t ndefs, ntombs, nformers, nlm;
	struct crd_vmdef defs[CRD_OWNER_DEFS_MAX];
	struct crd_tombstone tombs[CRD_OWNER_TOMBS_MAX];
	struct crd_former formers[CRD_OWNER_FORMERS_MAX];
	struct crd_lm_rec lm[CRD_OWNER_LM_MAX];
};

void crd_owner_init(struct crd_owner_region *r, uint32_t unit);

/* Lookups: NULL when not found (pointers into r). */
const struct crd_vmdef *crd_owner_find(const struct crd_owner_region *r, const crd_uuid *u);
const struct crd_vmdef *crd_owner_find_name(const struct crd_owner_region *r, const char *name);
const struct crd_tombstone *crd_owner_find_tomb(const struct crd_owner_region *r,
						const crd_uuid *u);
const struct crd_former *crd_owner_find_former(const struct crd_owner_region *r,
					       const crd_uuid *u);
const struct crd_lm_rec *crd_owner_find_lm(const struct crd_owner_region *r,
					   enum crd_lm_kind kind, uint64_t lm_id);

/* Adds a definition (copied). Returns 0, -EEXIST (vm_uuid or name already here), -EINVAL
 * (empty or too long name, null uuid), -ENOSPC (CRD_OWNER_DEFS_MAX reached), or -ESTALE
 * (a tombstone here forbids this vm_uuid at this epoch). */
int crd_owner_add(struct crd_owner_region *r, const struct crd_vmdef *d);

/* The user's delete (/DELETE-VM-DEFINITION). A definition that ever lived on another SU
 * (recovered_from or migrated_from set) and is not CONFLICT leaves a tombstone {vm_uuid,
 * epoch, recovered_from}: crd.md §6 asks this for recovered definitions; a migrated one
 * needs it too, or a source that died after the commit could resume its older copy.
 * Deleting a CONFLICT copy is the operator's resolution and leaves none. Returns 0 (no tombstone), 1
 * (tombstone left), -ENOENT, or -ENOSPC (no room for the tombstone: nothing deleted). */
int crd_owner_delete(struct crd_owner_region *r, const crd_uuid *u);

/* Adds an LM record. Returns 0, -EEXIST (same kind and lm_id), -ENOSPC. */
int crd_owner_lm_add(struct crd_owner_region *r, enum crd_lm_kind kind, uint64_t lm_id,
		     const crd_uuid *vm_uuid, uint32_t peer);
/* Removes an LM record; returns 0 or -ENOENT. */
int crd_owner_lm_remove(struct crd_owner_region *r, enum crd_lm_kind kind, uint64_t lm_id);

/* ---- reconcile (crd.md §6) ---- */

enum crd_reconcile_kind {
	CRD_RC_DROPPED_SUPERSEDED = 1, /* partner holds it with a higher epoch naming us */
	CRD_RC_DROPPED_TOMBSTONE,      /* partner's tombstone covers our epoch */
	CRD_RC_CONFLICT_EPOCH,         /* same vm_uuid on both, neither supersedes: CONFLICT */
	CRD_RC_CONFLICT_NAME,          /* VMS2346: same name, different vm_uuid; reported only */
	CRD_RC_CONFLICT_CLEARED,       /* the partner no longer holds the vm_uuid */
	CRD_RC_TOMBSTONE_REMOVED,      /* partner's former record read */
	CRD_RC_FORMER_REMOVED,         /* partner holds no tombstone of it (any more) */
	CRD_RC_ABORT_REMOVED,          /* the source no longer has the outgoing LM */
	CRD_RC_KIND_MAX
};

struct crd_reconcile_item {
	enum crd_reconcile_kind kind;
	crd_uuid vm_uuid;
	crd_uuid other_uuid; /* CONFLICT_NAME: the partner's vm_uuid */
	char name[CRD_VM_NAME_MAX + 1];
	uint64_t epoch;       /* ours */
	uint64_t other_epoch; /* the partner's */
	const char *msgid;    /* "VMS2346" for CONFLICT_NAME, else NULL */
};

#define CRD_RECONCILE_ITEMS_MAX                                                         \
	(3 * CRD_OWNER_DEFS_MAX + CRD_OWNER_TOMBS_MAX + CRD_OWNER_FORMERS_MAX + CRD_OWNER_LM_MAX)

struct crd_reconcile_report {
	uint32_t n;
	struct crd_reconcile_item items[CRD_RECONCILE_ITEMS_MAX];
};

/* Reconciles own (this SU's region) against partner (the partner's region, read with
 * both disks for N = 2, reads issued at least 3 × io_timeout after the own renewal).
 * Writes the new own region to ret (may not alias own) and what happened to report
 * (may be NULL). Rules:
 *  - same vm_uuid on both: the lower epoch is dropped by its owner only when the higher
 *    copy's migrated_from or recovered_from names that owner; otherwise (equal epochs, or
 *    a higher copy naming someone else) both copies are CONFLICT; a copy with no partner
 *    copy left loses CONFLICT;
 *  - a copy whose vm_uuid has a partner tombstone with epoch >= its epoch is dropped;
 *  - every partner tombstone of a vm_uuid we do not hold (any more) is acknowledged with
 *    a former record {vm_uuid, epoch}; our former record goes once the partner holds no
 *    tombstone of it;
 *  - our tombstone goes when the partner has a former record of it and no copy;
 *  - a name on both SUs with different vm_uuids is reported (VMS2346), nothing changes;
 *  - our abort records go once the partner has no outgoing record of that lm_id.
 * Returns 0, or -ENOSPC when a former record does not fit (the partner's tombstone then
 * stays: safe, retried at the next reconcile). */
int crd_owner_reconcile(const struct crd_owner_region *own,
			const struct crd_owner_region *partner, struct crd_owner_region *ret,
			struct crd_reconcile_report *report);

const char *crd_reconcile_kind_to_string(enum crd_reconcile_kind k);

/* ---- RECOVER (/RECOVER-VM-DEFINITION on T for a definition of S) ---- */

struct crd_recover_req {
	const char *name;                      /* VM name */
	const struct crd_owner_region *source; /* S's region as read (both disks for N = 2) */
	const struct crd_owner_region *target; /* T's own region */
	struct crd_alive_verdict source_verdict; /* T's verdict on S */
	bool operator_confirmed;               /* "S is down", given by the operator */
	uint32_t target_limit;                 /* max VM definitions on T */
};

/* Checks the preconditions of crd.md §6 and builds T's new definition in ret_def:
 * epoch + 1, owner T, recovered_from S, migrated_from 0, lm_id 0, flags DEFINED_ONLY.
 * Errors (reterr names VM and units; *ret_msgid the VM2000 message, may be NULL):
 *   -ENOENT  no such definition on S (VMS2300), or T holds a tombstone of it
 *   -EBUSY   S is alive (VMS2344), or S's copy is CONFLICT
 *   -EAGAIN  S's state cannot be determined (fencing none, N = 2 with a disk down, never
 *            seen) and the operator has not confirmed that S is down
 *   -EEXIST  the name is used on T (VMS4013) or T already holds the vm_uuid (VMS2346)
 *   -ENOSPC  T is at its limit (VMS2311)
 * The caller then issues the write only while crd_alive_verdict_fresh() holds (DEAD). */
int crd_owner_recover_check(const struct crd_recover_req *req, struct crd_vmdef *ret_def,
			    const char **ret_msgid, struct sec_err *reterr);

/* ---- LM (crd.md §6, vm2000.md §5) ---- */

/* The target's commit: adds {vm_uuid, epoch + 1, lm_id, owner target, migrated_from
 * src->owner} to target and removes its incoming record of lm_id. Returns as
 * crd_owner_add(). */
int crd_lm_commit(struct crd_owner_region *target, const struct crd_vmdef *src, uint64_t lm_id);
/* The target's abort after a commit in doubt (its QEMU killed and reaped): removes a
 * committed definition of lm_id and the incoming record, adds "abort lm_id". Returns 0
 * or -ENOSPC. */
int crd_lm_target_abort(struct crd_owner_region *target, uint64_t lm_id, const crd_uuid *vm_uuid,
			uint32_t source);

enum crd_lm_decision {
	CRD_LM_WAIT = 0,       /* target alive, nothing conclusive: keep paused, read again */
	CRD_LM_RESUME_SOURCE,  /* abort read, or target dead and no commit: resume */
	CRD_LM_QUIT_SOURCE,    /* commit read: quit the source QEMU, target's definition wins */
	CRD_LM_OPERATOR,       /* cannot be decided: stay paused until `sectl vm lm-resolve` */
	CRD_LM_DECISION_MAX
};

struct crd_lm_source_view {
	uint64_t lm_id;
	crd_uuid vm_uuid;
	uint64_t source_epoch;                 /* epoch of the source's copy */
	bool target_read_ok;                   /* target region read on the required disks */
	const struct crd_owner_region *target; /* that read (used when target_read_ok) */
	enum crd_alive_verdict_kind target_verdict; /* source's verdict on the target */
};

/* The source's decision on restart or after a commit in doubt (crd.md §6), in this order:
 * target region not read on the required disks → OPERATOR; "abort lm_id" read → RESUME;
 * commit read (the target holds vm_uuid with a higher epoch, or a tombstone of it with a
 * higher epoch: committed, then deleted) → QUIT; target DEAD → RESUME; ALIVE → WAIT;
 * UNDETERMINABLE or NEVER_SEEN → OPERATOR. The read of the target region must be issued
 * after the dead verdict it is combined with. */
enum crd_lm_decision crd_lm_source_decide(const struct crd_lm_source_view *v);
/* A target restart: every incoming record it still holds is aborted (its QEMU is gone),
 * as crd_lm_target_abort(). Returns the number aborted or -ENOSPC. */
int crd_lm_target_restart(struct crd_owner_region *target);
/* QUIT_SOURCE: removes the source's copy (no tombstone) and its outgoing record. */
int crd_lm_source_finish(struct crd_owner_region *src, uint64_t lm_id);
/* RESUME_SOURCE: removes the outgoing record only. */
int crd_lm_source_resume(struct crd_owner_region *src, uint64_t lm_id);
const char *crd_lm_decision_to_string(enum crd_lm_decision d);

/* ---- JSON payload ---- */

/* The region as JSON text (malloc'd, NUL-terminated; the caller frees). NULL only on
 * out-of-memory. */
char *crd_owner_to_json(const struct crd_owner_region *r);
/* Parses len bytes of JSON into ret (written only on success). Returns 0 or -EINVAL with
 * reterr naming the field, e.g. "bad VM ownership data: 'vms[1].epoch' must be a
 * non-negative integer", or -E2BIG when a list exceeds its capacity. */
int crd_owner_from_json(const char *buf, size_t len, struct crd_owner_region *ret,
			struct sec_err *reterr);
/* One ownership record alone (LM bodies between SUs): the object of the region's "defs"
 * list. to_json: malloc'd text or NULL on out-of-memory; from_json: 0 and *ret, or -EINVAL
 * with reterr ("bad VM ownership data: 'def.epoch' ..."). */
char *crd_vmdef_to_json(const struct crd_vmdef *d);
int crd_vmdef_from_json(const char *buf, size_t len, struct crd_vmdef *ret, struct sec_err *reterr);

#endif
