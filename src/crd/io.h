/* io.h — the CRD disk threads (crd.md §1 "I/O rules", §5 R1 and R5, §4 fencing layer 3).
 *
 * Usage: open the disks (disk.h), hand them to crd_io_new() (which owns them from then on),
 * build requests with crd_io_req_new(), fill req->buf for writes, set req->cb, and
 * crd_io_submit() them on a disk index. Tools and tests use crd_io_run() (submit and wait).
 *
 * Rules this layer guarantees (they are the driver contract at the top of lease.h):
 *  - one I/O thread per disk, owned by this module (never the libuv pool); at most one
 *    outstanding syscall per disk; CRD_IO_PRIO_HIGH (slot and lease I/O) is served before
 *    CRD_IO_PRIO_REGION, and region requests are carried out in chunks of at most
 *    CRD_IO_CHUNK bytes so that a slot or lease I/O waits for one chunk at most;
 *  - not_after_ns != 0: checked in the disk thread right before each syscall of the
 *    request; if now >= not_after_ns the request completes with -ETIME and nothing more is
 *    written (R1, fencing layer 3). A region write stopped that way after some chunks leaves
 *    a partial copy, which its CRC rejects;
 *  - issue_ns is taken right before the request's first syscall, complete_ns right after
 *    its last (a write is pwrite + fdatasync; both on CLOCK_BOOTTIME, lib/clock.h);
 *  - a syscall that has not returned io_timeout_ms after its own issue completes the
 *    request at once with -ETIMEDOUT and complete_ns = that syscall's issue + io_timeout
 *    (= issue_ns + io_timeout for single-step requests), while the syscall still runs; the
 *    disk is NOT_ACCESSIBLE until that syscall returns; requests queued on it then complete
 *    with -EAGAIN, and crd_io_submit() refuses new ones with -EAGAIN. When the syscall
 *    returns, its result is dropped (the late landing is not reported again) and the disk
 *    becomes STALE ("needs probe and resync"); the layer above probes, resyncs, reads back
 *    and then calls crd_io_disk_set_state(io, i, CRD_DISK_STALE, CRD_DISK_NORMAL). A
 *    syscall that itself reports -ETIMEDOUT (the `late` fault of disk.h: the write may
 *    still land) also turns a NORMAL disk STALE;
 *
 * Completions: req->cb is called exactly once per accepted request, from a thread of this
 * module — the disk's thread, or the timeout thread for -ETIMEDOUT and the -EAGAIN flush —
 * never from the submitter's thread except in crd_io_free() (-ECANCELED). The callback must
 * not block and must not call crd_io_free(); it may call crd_io_submit(). The request
 * (and its buffer) is valid during the callback only, unless the submitter took a reference
 * (crd_io_req_ref()) before submitting.
 *
 * Shutdown: crd_io_free() joins every disk thread; a thread stuck in a syscall (a hung
 * disk) for longer than io_timeout is detached instead, and closes its disk and frees its
 * state itself when the syscall finally returns (its result is dropped). */
#ifndef SEC_CRD_IO_H
#define SEC_CRD_IO_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crd/disk.h"
#include "crd/status.h"

#define CRD_IO_DISKS_MAX 4           /* external disks + the internal disk */
#define CRD_IO_CHUNK (256u << 10)    /* bytes per region syscall at most (crd.md §1) */

/* A disk's state in this layer is the per-disk status of crd.md §7 (crd/status.h, enum
 * crd_disk_status): NORMAL; NOT_ACCESSIBLE while an I/O that timed out has not returned
 * (owned by this module); STALE "needs probe and resync" (set here after a late return, or
 * by the layer above); INVALID (set by the layer above); NOT_CONFIGURED (an empty slot). */

enum crd_io_op {
	CRD_IO_READ = 1,
	CRD_IO_WRITE, /* pwrite, then fdatasync */
	CRD_IO_OP_MAX
};

enum crd_io_prio {
	CRD_IO_PRIO_HIGH = 0, /* slot and lease blocks */
	CRD_IO_PRIO_REGION,   /* region copies, chunked */
	CRD_IO_PRIO_MAX
};

struct crd_io_req;
typedef void crd_io_cb(struct crd_io_req *req, void *arg);

struct crd_io_req {
	/* set by the submitter */
	enum crd_io_op op;
	enum crd_io_prio prio;
	uint64_t off;          /* bytes, multiple of CRD_BLOCK */
	size_t len;            /* bytes, multiple of CRD_BLOCK, > 0 */
	void *buf;             /* len bytes, 4 KiB aligned, owned by the request */
	uint64_t not_after_ns; /* CLOCK_BOOTTIME; 0 = none */
	uint64_t tag;          /* the caller's (e.g. the lease engine's seq); not used here */
	crd_io_cb *cb;         /* may be NULL */
	void *cb_arg;
	/* filled before cb */
	int disk;
	int result;            /* 0, -ETIMEDOUT, -ETIME, -EAGAIN, -ECANCELED, other -errno */
	uint64_t issue_ns;     /* 0 when nothing was issued */
	uint64_t complete_ns;
	/* private */
	atomic_int refs;
	size_t done_len;       /* bytes carried out so far */
	bool completed;
	struct crd_io_req *next;
};

struct crd_io_cfg {
	uint32_t io_timeout_ms; /* > 0 */
	bool realtime;          /* R5: SCHED_FIFO threads and mlockall(); not fatal if refused */
};

struct crd_io;

/* A request of len bytes at off with a zeroed 4 KiB aligned buffer; one reference, owned
 * by the caller. NULL on out-of-memory. prio defaults to CRD_IO_PRIO_HIGH. */
struct crd_io_req *crd_io_req_new(enum crd_io_op op, uint64_t off, size_t len);
/* Takes one more reference (returns req). */
struct crd_io_req *crd_io_req_ref(struct crd_io_req *req);
/* Drops one reference, frees on the last; accepts NULL; returns NULL. */
struct crd_io_req *crd_io_req_unref(struct crd_io_req *req);

/* Starts one thread per disk plus one timeout thread. Takes ownership of disks[0..n-1]
 * (also on failure; a NULL entry is a NOT_CONFIGURED slot). Returns 0 and *ret, or -errno
 * (-EINVAL for n out of 1..CRD_IO_DISKS_MAX or io_timeout_ms 0). */
int crd_io_new(const struct crd_io_cfg *cfg, struct crd_disk **disks, int n,
	       struct crd_io **ret);
/* Stops every thread (see "Shutdown" above); queued requests complete with -ECANCELED
 * before it returns; no callback runs after it returns. Accepts NULL; returns NULL. */
struct crd_io *crd_io_free(struct crd_io *io);

/* Queues req on disk. Takes over the caller's reference in every case. Returns 0 (req->cb
 * will be called exactly once), or, without calling req->cb: -EAGAIN (the disk is
 * NOT_ACCESSIBLE: a timed-out I/O has not returned), -ENODEV (no such disk or
 * NOT_CONFIGURED), -EINVAL (misaligned or empty request), -ESHUTDOWN (stopping). */
int crd_io_submit(struct crd_io *io, int disk, struct crd_io_req *req);
/* Submits req and waits for its completion (condition variable; bounded by io_timeout
 * per syscall). The caller keeps its reference: read req->result/buf, then unref.
 * Returns req->result, or the crd_io_submit() error (then also stored in req->result).
 * req->cb must be NULL. Never call it from a completion callback. */
int crd_io_run(struct crd_io *io, int disk, struct crd_io_req *req);

/* Online replace (crd.md §1): starts a thread for disk (owned from here, also on failure)
 * at the lowest free index (a NULL entry given to crd_io_new(), or one detached) and
 * returns it in *ret_idx. Returns 0, -ENOSPC (every index in use) or -errno. */
int crd_io_attach(struct crd_io *io, struct crd_disk *disk, int *ret_idx);
/* Stops using disk idx at once: every queued request, and the one whose syscall runs now,
 * completes with -ECANCELED before this returns (a hung syscall's later return is
 * dropped); new submits to idx fail with -ENODEV and the index can be attached again. The
 * thread ends when its syscall returns; crd_io_free() joins it (or detaches it if still
 * hung). Owner thread only (not from a completion callback). 0 or -ENODEV. */
int crd_io_detach(struct crd_io *io, int idx);

/* Detached disk threads (see "Shutdown") whose syscall has not returned yet, process-wide;
 * for tests. */
int crd_io_orphans(void);

/* The disk's open state (NULL for a NOT_CONFIGURED slot); owned by io. */
struct crd_disk *crd_io_disk(struct crd_io *io, int disk);
int crd_io_ndisks(const struct crd_io *io);
uint32_t crd_io_timeout_ms(const struct crd_io *io);
enum crd_disk_status crd_io_disk_state(struct crd_io *io, int disk);
/* Compare-and-set of a disk's state for the layer above (e.g. STALE -> NORMAL after a
 * resync read back, NORMAL -> STALE after a missed write, * -> INVALID). NOT_ACCESSIBLE is
 * owned by this module and can be neither set nor left here. Returns 0, -ESTALE (the state
 * was not `old`) or -EINVAL. */
int crd_io_disk_set_state(struct crd_io *io, int disk, enum crd_disk_status old,
			  enum crd_disk_status new_state);

#endif
