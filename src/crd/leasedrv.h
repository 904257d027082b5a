/* leasedrv.h — runs the master lease engine (lease.h) on the real disk threads (io.h).
 *
 * Seed: glossary "Master MU"; crd.md §5. The driver is owned by one thread, the owner
 * (the daemon's event loop, or a plain poll() loop in tools and tests): it calls
 * crd_leasedrv_run() whenever crd_leasedrv_fd() is readable or crd_leasedrv_next_ns() has
 * come. Completions arrive on the disk threads, are decoded there (crd_lease_in, CRC32C of
 * the raw block) and queued; the owner feeds them to the engine and submits the engine's
 * requests. The engine is never touched by a disk thread.
 *
 * The disks are the external disk set in its order (N = 1 or 2 indices into the io's
 * disks). Belief changes are reported through an optional callback, on the owner thread:
 * `held` true with the R1 expiry, or false with the time the belief ended (its computed
 * expiry, or the step-down time), so a caller can log belief intervals (testing.md). */
#ifndef SEC_CRD_LEASEDRV_H
#define SEC_CRD_LEASEDRV_H

#include <stdbool.h>
#include <stdint.h>

#include "crd/io.h"
#include "crd/lease.h"
#include "crd/ondisk.h"

struct crd_leasedrv;

/* held: true = belief started at now_ns, valid until until_ns (may be extended by later
 * calls with held true); false = the belief ended at until_ns. Times: CLOCK_BOOTTIME ns. */
typedef void crd_leasedrv_belief_cb(void *arg, bool held, uint64_t now_ns, uint64_t until_ns,
				    uint64_t term);

struct crd_leasedrv_cfg {
	struct crd_lease_cfg lease;
	int disks[CRD_SET_DISKS_MAX]; /* io disk index of each external disk of the set */
	struct crd_geometry geo;
	crd_leasedrv_belief_cb *belief_cb;
	void *belief_arg;
};

/* Creates the driver; io stays owned by the caller and must outlive the driver.
 * Returns 0 and *ret, or -ENOMEM / -errno (eventfd). */
int crd_leasedrv_new(struct crd_io *io, const struct crd_leasedrv_cfg *cfg,
		     struct crd_leasedrv **ret);
/* Frees the driver; requests still in flight complete into a detached queue that is freed
 * by the last of them. Accepts NULL; returns NULL. */
struct crd_leasedrv *crd_leasedrv_free(struct crd_leasedrv *d);
/* An eventfd, readable when completions wait for crd_leasedrv_run(). */
int crd_leasedrv_fd(const struct crd_leasedrv *d);
/* Feeds queued completions and due ticks to the engine, submits its requests. */
void crd_leasedrv_run(struct crd_leasedrv *d);
/* When crd_leasedrv_run() wants to be called next at the latest (CLOCK_BOOTTIME ns). */
uint64_t crd_leasedrv_next_ns(const struct crd_leasedrv *d);
/* R4: release on a clean shutdown; then keep calling crd_leasedrv_run() until
 * crd_leasedrv_stopped() (bounded by io_timeout). */
void crd_leasedrv_release(struct crd_leasedrv *d);
bool crd_leasedrv_stopped(const struct crd_leasedrv *d);
/* The engine, read-only, for status and region-0 writes (valid_until, term). */
const struct crd_lease *crd_leasedrv_lease(const struct crd_leasedrv *d);
/* The forced claim of `sectl cluster force-master` (lease.h "Forced claim"): asks for it
 * (0, -EALREADY, -EBUSY, -ESHUTDOWN as crd_lease_force()), reads its state, withdraws a
 * pending one. The answer comes with the next round of reads (crd_leasedrv_run()). */
int crd_leasedrv_force(struct crd_leasedrv *d);
struct crd_lease_force crd_leasedrv_force_get(const struct crd_leasedrv *d);
void crd_leasedrv_force_cancel(struct crd_leasedrv *d);
/* Online replace (crd.md §1): external disk `disk` (0..N-1) is now io disk io_disk. The
 * engine forgets that disk's view (crd_lease_disk_reset); completions still arriving from
 * the previous io disk are reported to it as failed (-ENODEV). 0 or -EINVAL. */
int crd_leasedrv_set_disk(struct crd_leasedrv *d, int disk, int io_disk);
/* Updates the largest lease_timeout advertised in any MU slot (R0 for a damaged block). */
void crd_leasedrv_set_max_lease_ms(struct crd_leasedrv *d, uint32_t ms);

#endif
