/* alive.h — alive messages (delta leases), self-fencing and liveness verdicts (crd.md §4).
 *
 * Three pure pieces, no I/O, no clock reads, no allocation; every time is CLOCK_BOOTTIME
 * in ns, passed in by the caller (the disk layer or the deterministic simulator):
 *
 * 1. Writer. At start a unit reads its own slot and calls crd_alive_own_slot_check()
 *    (a different identity is "duplicate unit id"; its own previous incarnation is taken
 *    over at once). Every renew_interval it builds the next slot with crd_alive_next_slot()
 *    and writes it on every accessible external disk.
 * 2. Self-fence (SU). struct crd_renewals keeps the issue time of the last successful
 *    renewal per disk; crd_alive_fenced() says whether the SU must fence (§5 last column)
 *    and crd_alive_not_after_ns() is the bound the disk thread checks right before a slot
 *    write: a renewal never revives an expired slot.
 * 3. Observer. One struct crd_alive_obs per observed unit U, fed with every slot read of U
 *    (crd_alive_obs_feed); crd_alive_obs_verdict() answers ALIVE, DEAD, UNDETERMINABLE
 *    or NEVER_SEEN with a reason. Timed like §5 R0: from the COMPLETION of the first read
 *    that returned a slot's bytes, confirmed by a read ISSUED at least dead_bound(U) later
 *    that returned the same bytes, on every disk §5's table requires (N = 2: both).
 *    dead_bound(U) comes from U's advertised timings (crd_dead_bound_ms), or, for bytes
 *    that do not decode, from the caller's fallback (the largest dead_bound advertised in
 *    any slot). LEFT is dead at once; RESTARTING counts as RUNNING; a last advertised
 *    fencing policy `none` makes U UNDETERMINABLE, never DEAD. A decoded record that is
 *    not LEFT and not yet confirmed for dead_bound on any disk whose last read succeeded
 *    makes U ALIVE, whatever the other disk says; else a required disk unreadable or not
 *    read yet makes it UNDETERMINABLE (N = 2: never DEAD with a disk down). Wall times in
 *    slots are never looked at.
 *
 *    struct crd_alive_obs o;
 *    crd_alive_obs_init(&o, 7, 2, fallback_ms);
 *    for each read:  crd_alive_obs_feed(&o, &read);
 *    struct crd_alive_verdict v = crd_alive_obs_verdict(&o);
 *    if (v.verdict == CRD_ALIVE_DEAD && crd_alive_verdict_fresh(&v, now, io_ms)) ...
 */
#ifndef SEC_CRD_ALIVE_H
#define SEC_CRD_ALIVE_H

#include <stdbool.h>
#include <stdint.h>

#include "crd/ondisk.h"
#include "lib/err.h"

/* ---- 1. writer ---- */

/* What a unit writes about itself; fixed for one incarnation. */
struct crd_alive_self {
	uint32_t unit_id;
	enum crd_unit_role role;
	crd_uuid identity;   /* made once in the data directory */
	crd_uuid machine_id; /* /etc/machine-id */
	uint64_t incarnation; /* random per start */
	enum crd_fencing fencing;
	struct crd_timing timing; /* the timings it runs under: advertised as they are */
};

/* Decides what a unit does with its own slot as read at start. decode is the result of
 * crd_slot_in() for the block (0, -ENODATA for an empty block, or a decode error) and
 * slot the decoded record (read only when decode == 0).
 * Returns 0 (empty or undecodable slot: start with counter 0), 1 (this unit's previous
 * incarnation, or its own: take over at once, *ret_counter = the counter found so the
 * next write continues it), or -EEXIST "duplicate unit id" with reterr saying whose
 * identity is in the slot (another identity or machine-id, or a record for another unit
 * id). *ret_counter is written on 0 and 1. crd.md §4. */
int crd_alive_own_slot_check(const struct crd_alive_self *me, int decode,
			     const struct crd_slot *slot, uint64_t *ret_counter,
			     struct sec_err *reterr);

/* Builds the next slot of `me`: *counter + 1 (and stores it back in *counter), state
 * (RUNNING, RESTARTING or LEFT), me's fencing policy and timings, identity, incarnation,
 * and wall_ns (display only). crd.md §4. */
void crd_alive_next_slot(const struct crd_alive_self *me, uint64_t *counter,
			 enum crd_slot_state state, uint64_t wall_ns, struct crd_slot *ret);

/* ---- 2. self-fence ---- */

/* Issue times of the last successful slot renewal per disk of the set. */
struct crd_renewals {
	uint32_t n; /* 1 or 2 */
	bool ok[CRD_SET_DISKS_MAX];
	uint64_t issue_ns[CRD_SET_DISKS_MAX];
};

void crd_renewals_init(struct crd_renewals *r, uint32_t n);
/* Records a successful renewal on disk (0..n-1) issued at issue_ns (a later renewal
 * only; an older issue time is ignored). */
void crd_renewals_note(struct crd_renewals *r, uint32_t disk, uint64_t issue_ns);
/* The issue time that counts: D1's for N = 1, the later of both for N = 2; false when
 * there was no renewal on the disks that count. */
bool crd_renewals_last(const struct crd_renewals *r, uint64_t *ret_issue_ns);

/* True when the SU must fence at now_ns: no renewal on D1 (N = 1) / on either disk
 * (N = 2) for fence_ms, i.e. now_ns - last >= fence_ms; also true before any renewal.
 * crd.md §4 layer 2, §5 table. */
bool crd_alive_fenced(const struct crd_renewals *r, uint32_t fence_ms, uint64_t now_ns);

/* The bound checked right before the next slot write: the write may be issued only
 * while issue_ns < last + fence_ms. Returns UINT64_MAX when this incarnation has not
 * renewed yet (its first write is unbounded: it runs no guests before it reconciled).
 * crd.md §4 layer 3. */
uint64_t crd_alive_not_after_ns(const struct crd_renewals *r, uint32_t fence_ms);

/* ---- 3. observer ---- */

enum crd_alive_verdict_kind {
	CRD_ALIVE_UNDETERMINABLE = 0,
	CRD_ALIVE_ALIVE,
	CRD_ALIVE_DEAD,
	CRD_ALIVE_NEVER_SEEN, /* every required disk shows an empty slot */
	CRD_ALIVE_VERDICT_MAX
};

enum crd_alive_reason {
	CRD_ALIVE_R_NONE = 0,
	CRD_ALIVE_R_NOT_READ,      /* a required disk has not returned a slot yet (and no
				    * other shows a record within its dead_bound) */
	CRD_ALIVE_R_UNREADABLE,    /* the last read of a required disk failed (idem) */
	CRD_ALIVE_R_FENCING_NONE,  /* last advertised policy is `none` */
	CRD_ALIVE_R_CHANGING,      /* ALIVE: bytes changed within dead_bound on some disk */
	CRD_ALIVE_R_STALE,         /* DEAD: unchanged for dead_bound on every required disk */
	CRD_ALIVE_R_LEFT,          /* DEAD: LEFT (on every required disk that is not stale) */
	CRD_ALIVE_R_EMPTY,         /* NEVER_SEEN */
	CRD_ALIVE_REASON_MAX
};

/* One slot read of the observed unit, as the disk layer saw it. */
struct crd_slot_read {
	uint32_t disk;        /* index in the set, 0..n-1 */
	int result;           /* 0 or -errno of the read itself (timeout: -ETIMEDOUT) */
	uint64_t issue_ns;    /* CLOCK_BOOTTIME when the read was issued */
	uint64_t complete_ns; /* CLOCK_BOOTTIME when it returned */
	int decode;           /* crd_slot_in() result when result == 0 */
	uint32_t raw_crc;     /* crd_block_ident() of the raw 4 KiB block: the bytes' identity */
	struct crd_slot slot; /* valid when decode == 0 */
};

struct crd_alive_disk_obs {
	bool have;              /* some read returned bytes */
	int last_result;        /* result of the last read fed */
	uint32_t raw_crc;       /* the bytes being watched */
	int decode;
	struct crd_slot slot;   /* valid when decode == 0 */
	uint64_t first_complete_ns; /* completion of the first read that returned them */
	uint64_t last_issue_ns;     /* issue of the latest read that returned them */
};

struct crd_alive_obs {
	uint32_t unit_id;
	uint32_t n;
	uint64_t fallback_bound_ms;
	enum crd_fencing last_fencing; /* 0 = not seen */
	struct crd_alive_disk_obs disk[CRD_SET_DISKS_MAX];
};

struct crd_alive_verdict {
	enum crd_alive_verdict_kind verdict;
	enum crd_alive_reason reason;
	/* DEAD: the newest time at which every required disk was seen dead (the minimum
	 * over those disks of the issue time of the latest read that returned the watched
	 * bytes); the verdict's age counts from here. 0 otherwise. */
	uint64_t evidence_ns;
	/* The latest change of the bytes seen on any required disk (first_complete_ns);
	 * 0 when nothing was read. The "alive message" age of status.md §1. */
	uint64_t last_change_ns;
};

/* n = 1 or 2; fallback_bound_ms: dead_bound for bytes that fail to decode (the largest
 * dead_bound advertised in any slot). */
void crd_alive_obs_init(struct crd_alive_obs *o, uint32_t unit_id, uint32_t n,
			uint64_t fallback_bound_ms);
void crd_alive_obs_set_fallback(struct crd_alive_obs *o, uint64_t fallback_bound_ms);
/* Feeds one read. Reads of a disk index >= n are ignored. Different bytes (raw_crc)
 * restart the watch of that disk from r->complete_ns; the same bytes move last_issue_ns
 * forward; a failed read (result < 0) only marks the disk unreadable until the next
 * successful read. Per disk, reads are fed in the order they were issued (the disk layer
 * has at most one outstanding I/O per disk). */
void crd_alive_obs_feed(struct crd_alive_obs *o, const struct crd_slot_read *r);
/* The verdict from the reads fed so far (does not depend on any clock). */
struct crd_alive_verdict crd_alive_obs_verdict(const struct crd_alive_obs *o);
/* dead_bound in ns for disk's watched bytes: from the advertised timings when they
 * decode, else the fallback. */
uint64_t crd_alive_obs_bound_ns(const struct crd_alive_obs *o, uint32_t disk);
/* True when v is DEAD and now_ns - v->evidence_ns < io_ms (crd.md §6 RECOVER: the
 * write is issued only while the dead verdict is younger than io_timeout). */
bool crd_alive_verdict_fresh(const struct crd_alive_verdict *v, uint64_t now_ns, uint32_t io_ms);

const char *crd_alive_verdict_to_string(enum crd_alive_verdict_kind v);
/* A short lowercase reason; R_UNREADABLE for N = 2 reads "remote SU state cannot be
 * determined". */
const char *crd_alive_reason_to_string(enum crd_alive_reason r);

#endif
