/* unit.h — the CRD runtime of one unit (MU or SU), driven by an event loop.
 *
 * Seed 1.3, glossary "CRD", "Master MU"; crd.md §1 (disks and the disk set), §4 (alive
 * messages), §5 (master lease); architecture.md §4 (one loop owns the state; one I/O thread
 * per disk). It puts together what a unit runs on its CRD:
 *
 *  - start: an exclusive flock(2) on the data directory; the unit identity (a UUID made once
 *    in DATA_DIR/identity) and /etc/machine-id; every disk opened and checked
 *    (crd_disk_open_check: cluster, format version, damage, RETIRED; external files on shared
 *    storage unless unsafe_fs); the configured external paths must be exactly the disk set
 *    recorded on the CRD, else the unit refuses to start naming the disk that differs; the
 *    disk threads (io.h); the own-slot check (a different identity in its own slot stops it:
 *    "duplicate unit id"; its previous incarnation is taken over at once);
 *  - run: renews its alive message every renew_interval on every external disk
 *    (crd_alive_next_slot); an MU runs the master lease (leasedrv.h);
 *  - observe (cfg.observe, secd sets it on MUs): every renew_interval it reads the slot
 *    area of every external disk and keeps one liveness observer per unit id (alive.h
 *    part 3): crd_unit_peer(). The read is split into CRD_IO_CHUNK pieces (64 slots each),
 *    one piece outstanding per disk at a time, submitted as CRD_IO_PRIO_REGION: every
 *    queued slot and lease I/O goes first, so a renewal waits for one 256 KiB read at most
 *    (as behind a region chunk). A disk whose previous round is still being read skips the
 *    round (crd_unit_stats: obs_skipped) instead of queueing a second one; no piece is
 *    read between an MU's claim and its first renewal as Master MU (unit_obs.c);
 *  - CRD disks status (crd.md §7): per external disk NORMAL, NOT_ACCESSIBLE (an I/O of
 *    this unit on it failed or timed out), STALE (it answers again and the unit resyncs
 *    what it owns there), with an event (cfg.crd_event_cb) for each change;
 *  - resync (crd.md §1, §3): a NOT_ACCESSIBLE disk is probed by the I/O the unit does
 *    anyway every renew_interval (its slot write, and the slot-area read when observing);
 *    once one succeeds the disk is STALE and the region thread rewrites the unit's own
 *    region and, while it is the Master MU, region 0 (crd_region_disk_resync: only from a
 *    read of every external disk), reads them back on that disk, and only then marks the
 *    disk NORMAL (also in io.h). A disk that io.h or a
 *    region write turned STALE is resynced the same way;
 *  - the region thread (rthread.h): blocking region I/O off the loop, for the unit's own
 *    resyncs and the caller's jobs (crd_unit_region_submit);
 *  - stop: releases the lease (R4) and writes LEFT (RESTARTING with `restarting`: an SU
 *    with guests), bounded by 2 x io_timeout;
 *  - the disk set (crd.md §1, online `sectl crd replace`; unit_set.c): every renew_interval
 *    the unit reads the superblocks (and the disk set paths record, setpaths.h) of each
 *    external disk it uses. A disk that reads RETIRED, or that a newer set read on any disk
 *    no longer lists, is not used from then on (its I/O thread is detached at once: no more
 *    renewals, lease or region I/O there; status INVALID). A disk of the newer set that the
 *    unit does not use yet is opened from the path the master recorded, checked
 *    (crd_disk_open_check: cluster, disk id, set) and used in the freed position (STALE
 *    until the unit has resynced what it owns there). The master lease continues on the
 *    other disk meanwhile (keep while renewing on at least one): no step-down. A unit that
 *    reaches no disk of the newest set renews on none (an SU fences, an MU cannot be
 *    master). Each change is an event (crd_event_cb);
 *  - force-master (crd.md §5, lease.h "Forced claim"): crd_unit_force_master();
 *  - online replace on the Master MU: crd_unit_replace().
 *
 * It owns no thread besides the disk threads and the region thread and never blocks after
 * start: the owner (a
 * libuv loop in secd, a poll() loop in crd-contender) watches the fds of crd_unit_fds()
 * for POLLIN and calls crd_unit_run() when one is readable or crd_unit_next_ns() has come:
 *
 *   struct crd_unit *u;
 *   if (crd_unit_start(&cfg, &u, &err) < 0) fatalx("%s", err.msg);
 *   while (!stop) { poll(fds of crd_unit_fds(u), until crd_unit_next_ns(u)); crd_unit_run(u); }
 *   crd_unit_stop(u, false);
 *   while (!crd_unit_stopped(u)) { poll(...); crd_unit_run(u); }
 *   u = crd_unit_free(u);
 *
 * Every function is called on the owner thread only. Times: CLOCK_BOOTTIME ns. */
#ifndef SEC_CRD_UNIT_H
#define SEC_CRD_UNIT_H

#include <stdbool.h>
#include <stdint.h>

#include "crd/leasedrv.h"
#include "crd/ondisk.h"
#include "crd/alive.h"
#include "crd/region.h"
#include "crd/rthread.h"
#include "crd/status.h"
#include "lib/err.h"

#define CRD_UNIT_FDS_MAX 3 /* completions, the region thread, the lease driver */

/* A CRD status change of the unit (status.md §5 event, component CRD), on the owner
 * thread; ev is valid during the call only. */
typedef void crd_unit_event_cb(void *arg, const struct crd_status_event *ev);

/* See crd_unit_cfg.renew_cb. */
typedef void crd_unit_renew_cb(void *arg, uint64_t issue_ns, uint32_t fence_ms,
			       uint32_t watchdog_ms);

struct crd_unit_cfg {
	uint32_t unit_id;          /* 1..256 */
	enum crd_unit_role role;   /* CRD_UNIT_MU runs the master lease */
	/* The data directory: locked exclusively, holds the identity file. NULL: no lock, and
	 * `identity` below is used as given (crd-contender). */
	const char *data_dir;
	crd_uuid identity;         /* used only when data_dir is NULL */
	const char *internal;      /* the internal disk, NULL = none */
	const char *external[CRD_SET_DISKS_MAX];
	int n_external;            /* 1 or 2 */
	bool unsafe_fs;            /* external files on a local file system (crd.md §1) */
	struct crd_timing timing;  /* validated (crd_timing_validate) by the caller */
	enum crd_fencing fencing;  /* 0 = self */
	bool realtime;             /* R5: SCHED_FIFO disk threads, mlockall (not fatal) */
	/* Optional: every belief change of the master lease, on the owner thread (leasedrv.h). */
	crd_leasedrv_belief_cb *belief_cb;
	void *belief_arg;
	/* The unit's name in status events ("mu1"); NULL = "unit K". Disks are named by the
	 * basenames of their configured paths. */
	const char *name;
	/* Read every unit's slot every renew_interval (crd_unit_peer; secd: on MUs). */
	bool observe;
	/* Optional: every change of a disk's CRD status (crd_unit_crd_status). */
	crd_unit_event_cb *crd_event_cb;
	void *crd_event_arg;
	/* Optional (SU): after every successful alive-message renewal, on the owner thread:
	 * the issue time that counts for fencing (crd_renewals_last, CLOCK_BOOTTIME ns) and
	 * the fence_timeout and watchdog W (ms) this renewal advertised — what secd sends to
	 * its guard (crd.md §4 fencing layer 2). */
	crd_unit_renew_cb *renew_cb;
	void *renew_arg;
};

/* One unit's liveness as this unit's observer sees it (crd.md §4; status.md §1 "Alive
 * message"). */
struct crd_unit_peer {
	enum crd_alive_verdict_kind verdict;
	enum crd_alive_reason reason;
	uint64_t change_ns; /* CLOCK_BOOTTIME of the last change of the slot's bytes seen (the
			     * completion of the read that first returned them); 0 = never
			     * (also for an empty slot: NEVER_SEEN) */
	enum crd_slot_state state; /* as last read (0 when it never decoded) */
	uint64_t incarnation;      /* as last read */
	bool fresh;                /* DEAD and younger than io_timeout (crd_alive_verdict_fresh) */
	uint64_t evidence_ns;      /* DEAD: crd_alive_verdict.evidence_ns (CLOCK_BOOTTIME); 0 */
	uint64_t bound_ms;         /* dead_bound (ms) of the newest bytes that decode: the one
				    * the unit advertised there (crd_dead_bound_ms); 0 when
				    * nothing decoded */
};

/* Counters for status displays and tests. */
struct crd_unit_stats {
	uint64_t obs_rounds;   /* slot-area reads started (per disk) */
	uint64_t obs_reads;    /* slot-area reads completed without error (per disk) */
	uint64_t obs_skipped;  /* rounds skipped: that disk's previous read still running */
	uint64_t resyncs;      /* disks resynced and marked NORMAL again */
	uint64_t resync_failed;
};

/* The master lease as this unit sees it (an SU: never held). */
struct crd_unit_master {
	bool held;            /* believes it is the Master MU now */
	uint64_t term;        /* term of the belief (valid while held) */
	uint64_t valid_until; /* R1 expiry of the belief, CLOCK_BOOTTIME ns */
};

struct crd_unit;

/* Starts the unit as described at the top. Blocks for at most the disk checks and one slot
 * read per external disk (each bounded by io_timeout). Returns 0 and *ret (free with
 * crd_unit_free), or -errno with reterr saying why, e.g.:
 *   -EWOULDBLOCK "data directory '/d' is locked by another secd (pid 123)"
 *   -EXDEV / -ENODATA / -EPROTO / -EBADMSG / -ESTALE  a disk refused (names its path)
 *   -ENXIO  "external disk 'P' (disk id X) is not in the disk set recorded on the CRD ..."
 *   -EEXIST "duplicate unit id 3: its slot holds identity ..."
 *   -EIO    no external disk's own slot could be read */
int crd_unit_start(const struct crd_unit_cfg *cfg, struct crd_unit **ret,
		   struct sec_err *reterr);
/* Stops the disk threads and the lease driver without writing anything more (call
 * crd_unit_stop first for a clean shutdown), unlocks the data directory. Accepts NULL;
 * returns NULL. */
struct crd_unit *crd_unit_free(struct crd_unit *u);

/* The fds to watch for POLLIN (eventfds of completions); returns how many (<= FDS_MAX). */
int crd_unit_fds(const struct crd_unit *u, int fds[CRD_UNIT_FDS_MAX]);
/* The latest time crd_unit_run() wants to be called (CLOCK_BOOTTIME ns). */
uint64_t crd_unit_next_ns(const struct crd_unit *u);
/* Takes completions, runs the lease driver, renews the alive message when due. */
void crd_unit_run(struct crd_unit *u);

/* The master lease now (leasedrv.h; crd.md §5). */
struct crd_unit_master crd_unit_master(const struct crd_unit *u);
/* New timings (validated by the caller). Only renew_interval, fence_timeout, watchdog and
 * stall_timeout may change on a running unit; they are advertised by the next renewal and
 * take effect once that renewal has completed on an external disk (crd.md §4). Returns 0,
 * or -EINVAL with reterr naming the first value that needs a restart (io_timeout, margin,
 * lease_timeout, claim_delay: the disk threads and the lease engine run under them). */
/* The fencing policy this SU advertises from its next renewal on (its SU Cluster's, crd.md
 * §4): observers never call a unit whose last advertised policy is `none` DEAD. */
void crd_unit_set_fencing(struct crd_unit *u, enum crd_fencing f);
int crd_unit_set_timing(struct crd_unit *u, const struct crd_timing *t,
			struct sec_err *reterr);
/* The timings the unit runs under (and advertises). */
struct crd_timing crd_unit_timing(const struct crd_unit *u);

/* Clean shutdown: R4 release of the lease (MU), then the last alive message with state LEFT,
 * or RESTARTING when restarting (an SU with guests, crd.md §4). Keep calling crd_unit_run()
 * until crd_unit_stopped(): true when both are done, or 2 x io_timeout after this call. */
void crd_unit_stop(struct crd_unit *u, bool restarting);
bool crd_unit_stopped(const struct crd_unit *u);
/* After crd_unit_stopped(): 0 when the release and the last message completed, -ETIMEDOUT
 * when the 2 x io_timeout bound ended the shutdown first. */
int crd_unit_stop_result(const struct crd_unit *u);

/* For region I/O (region.h, blocking: never on the loop thread): the unit's disks. */
const struct crd_region_disks *crd_unit_region_disks(const struct crd_unit *u);
uint64_t crd_unit_incarnation(const struct crd_unit *u);
const crd_uuid *crd_unit_identity(const struct crd_unit *u);
/* Successful alive-message renewals so far (for status and tests). */
uint64_t crd_unit_renewals(const struct crd_unit *u);

/* The liveness of unit_id (1..256) as observed: its slot on every external disk, fed to an
 * alive.h observer (the fallback dead_bound: the largest advertised in any slot read).
 * The unit's own slot is reported from its own writes (also without cfg.observe).
 * Returns 0 and *ret, -ENOENT when that slot was never read (or, for its own, written),
 * -EINVAL for an id out of range. */
int crd_unit_peer(const struct crd_unit *u, uint32_t unit_id, struct crd_unit_peer *ret);

/* The unit's "CRD disks" status (crd.md §7) and, in disks[0..*n-1], each external disk's
 * (n = N). */
enum crd_unit_status crd_unit_crd_status(const struct crd_unit *u,
					 enum crd_disk_status disks[CRD_SET_DISKS_MAX],
					 uint32_t *n);
/* The status names (unit and disk names as in the events). */
const struct crd_status *crd_unit_crd_status_detail(const struct crd_unit *u);

void crd_unit_stats(const struct crd_unit *u, struct crd_unit_stats *ret);

/* Queues job on the unit's region thread (rthread.h): run() gets the unit's disks on that
 * thread, done() is called from crd_unit_run() on the owner thread, in submission order;
 * jobs still queued at crd_unit_free() are cancelled (done() with job->cancelled).
 * Returns 0, -EINVAL (no run), or -ESHUTDOWN (the unit is being freed). */
int crd_unit_region_submit(struct crd_unit *u, struct crd_rjob *job);
/* The writer of region (the unit's own id, or 0) that the unit's resync uses: a region job
 * that writes region k or region 0 must use this one (on the region thread only), so that
 * generations never go back after a resync. NULL for another region. */
struct crd_region_writer *crd_unit_region_writer(struct crd_unit *u, uint32_t region);

/* ---- force-master (crd.md §5) ---- */

/* Asks the lease engine for a forced claim (lease.h "Forced claim"). Returns 0 (pending:
 * poll crd_unit_force_get() after crd_unit_run()), -ENOTSUP (an SU), -EALREADY (this MU is
 * the Master MU), -EBUSY (a claim is under way), -ESHUTDOWN (stopping). */
int crd_unit_force_master(struct crd_unit *u);
/* The state and answer of the last forced claim (state NONE for an SU). */
struct crd_lease_force crd_unit_force_get(const struct crd_unit *u);
void crd_unit_force_cancel(struct crd_unit *u);
/* The name (basename of the path) of external disk i (0..N-1) as events show it. */
const char *crd_unit_disk_name(const struct crd_unit *u, int disk);

/* ---- online replace (crd.md §1; the Master MU) ---- */

struct crd_unit_replace_result {
	int result;            /* 0, or -errno: msg says why, naming the disk */
	char msg[1024];
	uint64_t generation;   /* the new disk set generation */
	char old_name[CRD_STATUS_NAME_MAX + 1];
	bool old_retired;
	char old_note[1024];   /* what happened to OLD, one sentence */
};
typedef void crd_unit_replace_cb(void *arg, const struct crd_unit_replace_result *res);

/* Replaces external disk `old` (its configured path, or its name: the basename) by the disk
 * at new_path on a running cluster, on the unit's region thread (blocking I/O there, never
 * on the loop), as replace.h's offline form does, but with the surviving disk read through
 * the disk threads while every unit keeps running:
 *   1. NEW is formatted into the set (format.h's checks: another cluster's data is refused;
 *      a file must be on shared storage unless the unit runs with unsafe_fs) and gets the
 *      surviving disk's lease block, slots and region copies (with N = 1: OLD's);
 *   2. NEW gets the disk set paths record (setpaths.h: NEW's path and the surviving disk's)
 *      and its superblocks with set generation + 1;
 *   3. the surviving disk gets the same paths record, then the new set in its superblocks
 *      (A, sync, B, sync): from here every unit that reads it switches (see the top);
 *   4. OLD gets the paths record and RETIRED in its superblocks when it is writable (best
 *      effort: res->old_note);
 *   5. this unit stops using OLD and uses NEW (STALE until resynced): the lease is kept.
 * Only on the Master MU while it believes it is (crd.md §1 "a master operation"). Returns 0
 * and calls cb(arg, res) once from crd_unit_run() on the owner thread (also on failure in
 * the job, res->result < 0; failures before step 3 leave the set unchanged), or, without
 * calling cb: -EPERM (not the Master MU), -EBUSY (a replace runs), -ENOENT (old is no disk
 * of this unit), -EINVAL (new_path not absolute, too long, or in use), -EAGAIN (the
 * surviving disk is not NORMAL: a replace would copy stale data). reterr says why. */
int crd_unit_replace(struct crd_unit *u, const char *old, const char *new_path,
		     crd_unit_replace_cb *cb, void *arg, struct sec_err *reterr);

/* Reads DATA_DIR/identity, or makes it (a random UUID, written with fsync) when missing.
 * Returns 0 and *ret, or -errno with reterr naming the file. */
int crd_unit_identity_load(const char *data_dir, crd_uuid *ret, struct sec_err *reterr);
/* /etc/machine-id as a UUID; the null UUID when there is none. */
void crd_unit_machine_id(crd_uuid *ret);

#endif
