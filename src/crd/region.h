/* region.h — region copies: writes, reads and resync (crd.md §2, §3, commit and read
 * columns of the §5 table; seed 1.3 and glossary "CRD").
 *
 * Usage: describe the unit's disks in a struct crd_region_disks (indices into a crd_io:
 * the external disks D1[, D2] and the internal disk), keep one struct crd_region_writer per
 * region this unit writes (its own region k; region 0 while it is the Master MU), and call
 * crd_region_write() for each change, crd_region_read() to read any region.
 *
 * Rules implemented here:
 *  - a region copy = a 4 KiB header block (crd_region_hdr_out()) + the payload, rounded up
 *    to 4 KiB; a payload larger than the copy fails with -ENOSPC before any I/O;
 *  - unit region: generation g goes to copy g mod 2; after a write that failed or timed
 *    out, the next write uses that generation + 2, so the copy holding the last committed
 *    generation is never overwritten. Region 0: both copies in turn on each disk (the one
 *    that does not hold the newest valid data first, + fdatasync, then the other), each write checked against not_after (the writer's lease
 *    validity, R1) in the disk thread;
 *  - order: all external disks (in parallel, one I/O each at a time), then the internal disk,
 *    and the internal disk only once the write is committed;
 *  - commit (§5): the write is durable on at least one external disk, and every external
 *    disk that did not take it is "not reached": disks that were NOT_ACCESSIBLE, INVALID or
 *    NOT_CONFIGURED are skipped, a disk whose write failed is set NORMAL -> STALE (it missed
 *    a committed write; the layer above resyncs it). N = 1: durable on D1;
 *  - read (§5): both copies of every reachable external disk; the highest valid (term,
 *    generation) wins; the internal disk is read only when no external disk is readable, and
 *    the result then says internal_only (the unit's CRD status is ERROR; it changes nothing
 *    shared). A generation found only on the internal disk is therefore never used while an
 *    external disk is readable: it is discarded, never resynced;
 *  - repair (§3): crd_region_repair() copies a dead unit's region unchanged onto stale
 *    disks, into copy (generation mod 2), reads each copy back, and stops as soon as the
 *    caller's owner_dead() says the owner is alive again. Policy (who is dead, which disks
 *    are stale) stays with the caller;
 *  - a returning owner calls crd_region_owner_resync() before its first change: it rewrites
 *    both copies on every reachable disk and reads them back.
 * All calls block (they wait for the disk threads); never call them on the event loop or
 * from an io.h completion callback. */
#ifndef SEC_CRD_REGION_H
#define SEC_CRD_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crd/io.h"
#include "crd/ondisk.h"
#include "lib/err.h"

/* The disks of one unit's CRD, as indices into io. */
struct crd_region_disks {
	struct crd_io *io;
	struct crd_geometry geo;
	int next;                     /* N: 1 or 2 external disks */
	int ext[CRD_SET_DISKS_MAX];   /* io disk index of D1, D2; < 0: not in use (a disk the
				       * unit stopped using after an online replace) */
	int internal;                 /* io disk index of the internal disk, -1 = none */
};

/* Generation bookkeeping of one region this unit writes. */
struct crd_region_writer {
	uint32_t region;
	uint32_t owner;            /* unit id (the Master MU's for region 0) */
	uint64_t incarnation;
	uint64_t committed;        /* last committed generation, 0 = none */
	uint64_t last;             /* last generation written or attempted */
	bool last_failed;          /* the last attempt did not commit */
	uint8_t r0_first[CRD_IO_DISKS_MAX]; /* region 0: copy (0 = A) to write first, per disk */
};

/* Outcome of a write (filled also on failure). */
struct crd_region_wres {
	uint64_t generation;                /* generation written (0: none attempted) */
	bool committed;
	int ext_ok;                         /* external disks that hold it durably */
	int disk_result[CRD_IO_DISKS_MAX];  /* per io disk: 0 ok, 1 not written, < 0 -errno */
};

/* What one copy on one disk held. */
struct crd_region_copy_info {
	int decode;                /* crd_region_hdr_in()/check(): 0 valid header, -ENODATA empty,
				    * other < 0 damaged; 1 = not read (I/O error or not read) */
	struct crd_region_hdr hdr; /* valid when decode == 0 */
};

/* Outcome of a read. payload is owned by the result: crd_region_read_release(). */
struct crd_region_read {
	bool found;                /* a valid copy (header and payload CRC) was found */
	struct crd_region_hdr hdr; /* the winner's header */
	void *payload;             /* hdr.payload_len bytes + a NUL byte (JSON text) */
	int source;                /* io disk index of the winner, -1 none */
	int source_copy;           /* 0 = A, 1 = B */
	bool internal_only;        /* no external disk readable: served by the internal disk;
				    * the unit's CRD status is ERROR */
	int disk_result[CRD_IO_DISKS_MAX]; /* per io disk: 0 read, 1 not read, < 0 -errno */
	struct crd_region_copy_info copy[CRD_IO_DISKS_MAX][2];
};

/* Sets up w for region/owner/incarnation after the highest generation read (0 = none). */
void crd_region_writer_init(struct crd_region_writer *w, uint32_t region, uint32_t owner,
			    uint64_t incarnation, uint64_t generation_seen);
/* Region 0: after w was set up from a read, write first, on each disk, the copy that does not
 * hold the newest valid data (decisions.md "region-0 copy order"). */
struct crd_region_read;
void crd_region_writer_order_from(struct crd_region_writer *w, const struct crd_region_read *r);
/* The generation the next write will use: last + 1, or last + 2 after a failed attempt. */
uint64_t crd_region_writer_next(const struct crd_region_writer *w);

/* Writes payload (len bytes) as the next generation of w->region with term, under the rules
 * at the top. not_after_ns (CLOCK_BOOTTIME, 0 = none) is checked right before every
 * syscall: for region 0 it is the writer's lease validity (crd_lease_valid_until()).
 * Returns 0 when committed, else -ENOSPC (too large; nothing written, w unchanged),
 * -ENODEV (no external disk reachable), or the external disks' error (-EIO, -ETIMEDOUT,
 * -ETIME, -EAGAIN ...): the write is then not committed and may have landed in part
 * (in doubt); w records the attempt. reterr names the region and the disk. ret may be NULL. */
int crd_region_write(const struct crd_region_disks *rd, struct crd_region_writer *w,
		     uint64_t term, const void *payload, size_t len, uint64_t not_after_ns,
		     struct crd_region_wres *ret, struct sec_err *reterr);

/* Reads region under the rules at the top. Returns 0 (ret->found says whether any valid
 * copy exists) or -EIO when no disk at all was readable (reterr says which failed).
 * ret is always initialised; release it with crd_region_read_release(). */
int crd_region_read(const struct crd_region_disks *rd, uint32_t region,
		    struct crd_region_read *ret, struct sec_err *reterr);
void crd_region_read_release(struct crd_region_read *r);

/* Master repair of a dead unit's region (crd.md §3): writes src (a found read result of
 * that region) unchanged — same owner, incarnation, term, generation, payload — into copy
 * (generation mod 2) of each disk in targets[0..ntargets-1] (io disk indices), one disk
 * after the other, reading each back. Before each disk it asks owner_dead(arg); when that
 * returns false it stops. Returns the number of disks repaired and read back (all of them
 * on full success), -ECANCELED when told the owner is alive, -EINVAL for a src not found,
 * or the first I/O or read-back error (-EIO for a read-back mismatch), reterr naming the
 * disk. */
int crd_region_repair(const struct crd_region_disks *rd, const struct crd_region_read *src,
		      const int *targets, int ntargets, bool (*owner_dead)(void *arg), void *arg,
		      struct sec_err *reterr);

/* A returning owner (crd.md §3) before its first change: reads w->region, then rewrites its
 * payload as two new generations (both copies; one region-0 write covers both) on every
 * reachable disk, and reads the external disks back. w is re-initialised from the read
 * (w->owner/incarnation are kept: the new incarnation is written). Returns 0 (also when the
 * region holds nothing: nothing to rewrite), or the read/write/read-back error. */
int crd_region_owner_resync(const struct crd_region_disks *rd, struct crd_region_writer *w,
			    uint64_t term, uint64_t not_after_ns, struct sec_err *reterr);

/* The owner's resync of a disk that comes back (crd.md §1, §3; unit_disks.c): as
 * crd_region_owner_resync(), but only from a read that covered EVERY external disk of rd;
 * otherwise -EAGAIN and nothing is written (with N = 2 a committed generation may sit only
 * on the disk that was not read: rewriting the older one with a higher generation would
 * lose it). */
int crd_region_disk_resync(const struct crd_region_disks *rd, struct crd_region_writer *w,
			   uint64_t term, uint64_t not_after_ns, struct sec_err *reterr);

#endif
