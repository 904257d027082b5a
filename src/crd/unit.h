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
 *  - stop: releases the lease (R4) and writes LEFT (RESTARTING with `restarting`: an SU
 *    with guests), bounded by 2 x io_timeout.
 *
 * It owns no thread besides the disk threads and never blocks after start: the owner (a
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
#include "crd/region.h"
#include "lib/err.h"

#define CRD_UNIT_FDS_MAX 2

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

/* Reads DATA_DIR/identity, or makes it (a random UUID, written with fsync) when missing.
 * Returns 0 and *ret, or -errno with reterr naming the file. */
int crd_unit_identity_load(const char *data_dir, crd_uuid *ret, struct sec_err *reterr);
/* /etc/machine-id as a UUID; the null UUID when there is none. */
void crd_unit_machine_id(crd_uuid *ret);

#endif
